//! What the catalogue advises about versions: the recommended target, known-bad releases and
//! what to take instead, whether a version given on the command line is a published release,
//! what an unknown installed version means, and how far the catalogue reaches.

use serde::Serialize;

use super::model::{KnownBad, Reach, VersionRole};
use super::{Catalogue, Installed, KnowledgeError, Origin};
use crate::db::Engine;
use crate::version::Version;

/// A target the project itself later superseded, and what to take instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetAdvice {
    pub target: Version,
    /// The recommended release to take instead (the newest good patch of the line, or the fix).
    pub instead: Version,
    pub fixed_in: Version,
    pub reason: String,
    pub source: String,
    /// The engines it goes wrong on; empty means every engine.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<Engine>,
}

impl TargetAdvice {
    /// One sentence for a warning.
    pub fn message(&self) -> String {
        format!(
            "OpenMetadata {} is a known-bad release{}: {} (fixed in {}, {}); take {} instead",
            self.target,
            self.on_engines(),
            self.reason,
            self.fixed_in,
            self.source,
            self.instead
        )
    }

    /// " on PostgreSQL" for a release that goes wrong on one engine only; empty otherwise.
    pub fn on_engines(&self) -> String {
        if self.engines.is_empty() {
            return String::new();
        }
        let names: Vec<&str> = self.engines.iter().map(|e| engine_label(*e)).collect();
        format!(" on {}", names.join(" and "))
    }
}

fn engine_label(engine: Engine) -> &'static str {
    match engine {
        Engine::Mysql => "MySQL",
        Engine::Postgres => "PostgreSQL",
    }
}

impl Catalogue {
    /// How far this catalogue reaches.
    pub fn reach(&self) -> Reach {
        Reach {
            newest: self.newest().clone(),
            checked: self.releases().last().and_then(|r| r.checked.clone()),
        }
    }

    /// The entry that marks `version` as known-bad on `engine` (`None`: any engine, so an entry
    /// for one engine counts), if one does.
    pub fn known_bad(&self, version: &Version, engine: Option<Engine>) -> Option<&KnownBad> {
        let version = version.release();
        self.release_of(&version)?
            .known_bad
            .iter()
            .find(|bad| bad.patches.contains(&version) && bad.affects(engine))
    }

    /// The release to upgrade to: the newest patch of the `line` (`"2.0"`; the newest line when
    /// `None`) that is not known-bad on any engine. `None` when the catalogue has no such line.
    pub fn recommended(&self, line: Option<&str>) -> Option<Version> {
        let release = match line {
            Some(line) => self.releases().iter().find(|r| r.version == line)?,
            None => self.releases().last()?,
        };
        let good = release
            .patches
            .iter()
            .rev()
            .find(|p| self.known_bad(p, None).is_none())
            .cloned();
        // Every patch of the line is known-bad: the fix lives in a later line.
        good.or_else(|| {
            let newest = release.newest()?;
            Some(self.known_bad(newest, None)?.fixed_in.clone())
        })
    }

    /// What to say when `target` is known-bad on `engine` (`None` when the engine is not known:
    /// a release that goes wrong on one engine is then reported, naming that engine): the fix
    /// and the release to take instead.
    pub fn target_advice(&self, target: &Version, engine: Option<Engine>) -> Option<TargetAdvice> {
        let bad = self.known_bad(target, engine)?;
        let instead = self
            .recommended(Some(&target.minor_line()))
            .filter(|v| *v >= bad.fixed_in)
            .unwrap_or_else(|| bad.fixed_in.clone());
        Some(TargetAdvice {
            target: target.release(),
            instead,
            fixed_in: bad.fixed_in.clone(),
            reason: bad.reason.clone(),
            source: bad.source.clone(),
            engines: bad.engines.clone(),
        })
    }

    /// Checks a version given on the command line: it must be a published release the catalogue
    /// knows. Returns its `x.y.z` form; the error names the nearest known releases.
    pub fn validate_version(
        &self,
        version: &Version,
        role: VersionRole,
    ) -> Result<Version, KnowledgeError> {
        let release = version.release();
        // A partial --releases-dir replaces the built-in files, not the list of releases.
        if let Origin::Dir(_) = self.origin()
            && let Some(built_in) = Catalogue::built_in()
            && built_in.known_release(&release).is_ok()
            && self.release_of(&release).is_none()
        {
            return Ok(release);
        }
        if release < self.oldest() {
            return Err(KnowledgeError::OlderThanCatalogue {
                version: release,
                oldest: self.oldest(),
                role,
            });
        }
        match self.known_release(&release) {
            Ok(known) => Ok(known),
            Err(KnowledgeError::UnknownPatch { version, line, .. }) => {
                let (below, above) = self.nearest(&version);
                let nearest = format!(
                    "{} and {}",
                    below.map_or_else(|| "none older".to_string(), |v| v.to_string()),
                    above.map_or_else(|| "none newer".to_string(), |v| v.to_string())
                );
                Err(KnowledgeError::NotPublished {
                    version,
                    line,
                    nearest,
                })
            }
            Err(KnowledgeError::UnknownRelease { version, .. }) => {
                Err(KnowledgeError::NewerThanCatalogue {
                    version,
                    reach: self.reach(),
                })
            }
            Err(other) => Err(other),
        }
    }

    /// What to tell the operator when the database reports a version the catalogue does not
    /// know: most likely the catalogue is older than the installation.
    pub fn installed_warning(&self, installed: &Installed) -> Option<String> {
        let Installed::Exact(version) = installed else {
            return None;
        };
        let release = version.release();
        if release < self.oldest() || self.known_release(&release).is_ok() {
            return None;
        }
        Some(format!(
            "the database reports OpenMetadata {version}, which the release catalogue ({}: {}) \
             does not know: the catalogue may be older than the installation; load a newer one \
             with --releases-dir",
            self.origin(),
            self.reach()
        ))
    }

    /// The known releases just below and just above `version`.
    fn nearest(&self, version: &Version) -> (Option<Version>, Option<Version>) {
        let all = self.releases().iter().flat_map(|r| &r.patches);
        let below = all.clone().filter(|p| *p < version).max().cloned();
        let above = all.filter(|p| *p > version).min().cloned();
        (below, above)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Origin;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    const LINE: &str = r#"release: "3.0"
checked: "2027-01-02"
notes: https://example.org/3.0
patches: ["3.0.0", "3.0.1", "3.0.2", "3.0.3"]
known_bad:
  - patches: ["3.0.0", "3.0.1"]
    fixed_in: "3.0.2"
    reason: the migration drops tags
    source: https://example.org/3.0.2
items:
  - id: something
    kind: action
    components: [server]
    title: Something
    change: Changes.
    action: Act.
    source: https://example.org/x
"#;

    fn catalogue() -> Catalogue {
        Catalogue::from_texts(
            [("3.0.yaml".to_string(), LINE.to_string())],
            Origin::Dir("t".into()),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_known_bad_target_names_the_newest_good_patch_of_its_line() {
        let c = catalogue();
        let advice = c.target_advice(&v("3.0.1"), None).unwrap();
        assert_eq!(advice.instead, v("3.0.3"));
        assert_eq!(advice.fixed_in, v("3.0.2"));
        assert!(
            advice.message().contains("take 3.0.3 instead"),
            "{}",
            advice.message()
        );
        assert_eq!(c.target_advice(&v("3.0.2"), None), None);
        assert_eq!(c.recommended(None), Some(v("3.0.3")));
        assert_eq!(c.recommended(Some("3.0")), Some(v("3.0.3")));
        assert_eq!(c.recommended(Some("2.9")), None);
        assert_eq!(
            c.reach(),
            Reach {
                newest: v("3.0.3"),
                checked: Some("2027-01-02".into())
            }
        );
    }

    #[test]
    fn a_release_bad_on_one_engine_warns_there_and_while_the_engine_is_unknown() {
        let text = LINE.replace(
            "items:",
            "  - patches: [\"3.0.2\"]\n    fixed_in: \"3.0.3\"\n    reason: the rename fails\n    \
             source: https://example.org/3.0.3\n    engines: [postgres]\nitems:",
        );
        let c = Catalogue::from_texts([("3.0.yaml".to_string(), text)], Origin::Dir("t".into()))
            .unwrap_or_else(|e| panic!("{e}"));
        let on_postgres = c
            .target_advice(&v("3.0.2"), Some(Engine::Postgres))
            .unwrap();
        assert_eq!(on_postgres.engines, vec![Engine::Postgres]);
        assert_eq!(
            on_postgres.message(),
            "OpenMetadata 3.0.2 is a known-bad release on PostgreSQL: the rename fails (fixed in \
             3.0.3, https://example.org/3.0.3); take 3.0.3 instead"
        );
        assert_eq!(c.target_advice(&v("3.0.2"), Some(Engine::Mysql)), None);
        assert_eq!(c.target_advice(&v("3.0.2"), None), Some(on_postgres));
        // An entry for every engine still warns on each.
        assert!(c.target_advice(&v("3.0.1"), Some(Engine::Mysql)).is_some());
        // The recommended release is good on every engine.
        assert_eq!(c.recommended(Some("3.0")), Some(v("3.0.3")));

        let typo = LINE.replace(
            "items:",
            "  - patches: [\"3.0.2\"]\n    fixed_in: \"3.0.3\"\n    reason: r\n    \
             source: https://example.org/3.0.3\n    engines: [oracle]\nitems:",
        );
        let err = Catalogue::from_texts([("3.0.yaml".to_string(), typo)], Origin::Dir("t".into()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("engine 'oracle' is not mysql or postgres"),
            "{err}"
        );
    }

    #[test]
    fn versions_that_are_not_published_name_the_nearest_known_ones() {
        let c = catalogue();
        let err = c
            .validate_version(&v("3.0.9"), VersionRole::Target)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OpenMetadata 3.0.9 is not a published 3.0 release; the nearest known are 3.0.3 \
             and none newer"
        );
        let err = c
            .validate_version(&v("2.9.9"), VersionRole::Installed)
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "OpenMetadata 2.9.9 is older than the release catalogue, which starts at 3.0.0"
            ),
            "{err}"
        );
        assert_eq!(
            c.validate_version(&v("3.0.1.4"), VersionRole::Installed)
                .unwrap(),
            v("3.0.1")
        );
        let installed = Installed::Exact(v("3.0.7"));
        assert!(
            c.installed_warning(&installed)
                .unwrap()
                .contains("the catalogue may be older than the installation")
        );
        assert_eq!(c.installed_warning(&Installed::Exact(v("3.0.2"))), None);
        assert_eq!(c.installed_warning(&Installed::Unrecorded), None);
    }
}
