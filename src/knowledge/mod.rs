//! Release knowledge: the catalogue of every breaking change, deprecation, connection and config
//! change, requirement and action from OpenMetadata 1.0 on (`assets/releases/*.yaml`, embedded
//! in the binary, or a newer set from `--releases-dir`), the upgrade path between two versions,
//! read-only probes that measure an item in the metadata database, and scanners for the
//! operator's YAML files.

mod advice;
mod coverage;
pub mod impact;
mod installed;
mod load;
pub mod model;
mod probe_sql;
pub mod probes;
mod requirements;
pub mod review;
pub mod scan;
mod template;

use std::path::{Path, PathBuf};

pub use advice::TargetAdvice;
pub use installed::Installed;
pub use load::Problem;
pub use model::{
    Component, ConfigRule, Effect, EngineSql, FileKind, Item, Kind, Probe, Range, Reach, Release,
    Requirements, Requires, VersionRole, When,
};
pub use requirements::{ExtensionRequirement, Requirement, Software, TargetRequirements};

use crate::version::Version;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/releases.rs"));
}

/// Where the catalogue came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Built into this binary.
    Embedded,
    /// Read from `--releases-dir`.
    Dir(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Embedded => f.write_str("built in"),
            Origin::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("cannot read the release catalogue {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use the release file {}: {error}", path.display())]
    UnreadableFile {
        path: PathBuf,
        error: crate::yaml::YamlError,
    },
    #[error("{} holds no release files (*.yaml, one per minor release such as 1.2.yaml)", dir.display())]
    Empty { dir: PathBuf },
    #[error("the release catalogue ({origin}) has {} problem{}:\n  {}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Invalid {
        origin: Origin,
        problems: Vec<Problem>,
    },
    #[error(
        "OpenMetadata {version} is not in the release catalogue, which knows {oldest} to {newest}"
    )]
    UnknownRelease {
        version: Version,
        oldest: Version,
        newest: Version,
    },
    #[error("OpenMetadata {version} is not a known {line} release (known: {})", known.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    UnknownPatch {
        version: Version,
        line: String,
        known: Vec<Version>,
    },
    #[error(
        "the target {to} is older than the installed {from}: OpenMetadata cannot be downgraded"
    )]
    Downgrade { from: Version, to: Version },
    #[error(
        "OpenMetadata {version} is not a published {line} release; the nearest known are {nearest}"
    )]
    NotPublished {
        version: Version,
        line: String,
        /// The known releases just below and above it ("1.1.7 and 1.2.0").
        nearest: String,
    },
    #[error("OpenMetadata {version} is older than the release catalogue, which starts at {oldest}")]
    OlderThanCatalogue {
        version: Version,
        oldest: Version,
        role: VersionRole,
    },
    #[error("OpenMetadata {version} is newer than the release catalogue, which covers {reach}")]
    NewerThanCatalogue { version: Version, reach: Reach },
}

impl KnowledgeError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            KnowledgeError::Unreadable { .. } | KnowledgeError::Empty { .. } => {
                "--releases-dir must point at a folder of release files like assets/releases"
            }
            KnowledgeError::UnreadableFile { .. } => {
                "each *.yaml in --releases-dir must be a release file like those in \
                 assets/releases (format in assets/releases/README.md)"
            }
            KnowledgeError::Invalid { .. } => {
                "fix the lines named above; the format is described in assets/releases/README.md"
            }
            KnowledgeError::UnknownRelease { .. } | KnowledgeError::UnknownPatch { .. } => {
                "choose a released version (`om-upgrade releases` lists them), or load a newer \
                 catalogue with --releases-dir"
            }
            KnowledgeError::NotPublished { .. } => {
                "give a published release (`om-upgrade releases` lists them); OpenMetadata's \
                 four-part client versions (1.2.0.1) count as their server release"
            }
            KnowledgeError::OlderThanCatalogue {
                role: VersionRole::Installed,
                ..
            } => {
                "om-upgrade reviews upgrades from 1.0 on: upgrade to 1.0.x with OpenMetadata's \
                 own guide first, then come back"
            }
            KnowledgeError::OlderThanCatalogue { .. } => {
                "choose a target the catalogue knows (`om-upgrade releases` lists them)"
            }
            KnowledgeError::NewerThanCatalogue { .. } => {
                "this om-upgrade's catalogue does not know that release yet: load a newer \
                 catalogue with --releases-dir, or choose a release it knows"
            }
            KnowledgeError::Downgrade { .. } => {
                "choose a target at or above the installed version; to go back, restore the \
                 backup taken before the last upgrade"
            }
        }
    }
}

/// A stop the upgrade must make on the way to the target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stop {
    pub version: Version,
    pub reason: String,
}

/// What upgrading from one version to another crosses.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// What is installed, as the plan was made for it: the version to show people.
    pub installed: Installed,
    /// Where the plan starts (`installed` as a release; 0.0.0 when the database records no
    /// version): for comparing, never for showing.
    pub from: Version,
    pub to: Version,
    /// Intermediate releases to upgrade to first, in order.
    pub stops: Vec<Stop>,
    /// Items in (from, to], by release then catalogue order.
    pub items: Vec<&'a Item>,
    /// Minor releases the upgrade crosses that the catalogue has no file for (a partial
    /// `--releases-dir`): their items are missing from `items`.
    pub missing: Vec<String>,
}

impl Plan<'_> {
    /// What to tell the operator when the catalogue does not cover the whole upgrade.
    pub fn missing_warning(&self, origin: &Origin) -> Option<String> {
        let (last, rest) = self.missing.split_last()?;
        let lines = if rest.is_empty() {
            format!("a file for {last}")
        } else {
            format!("files for {} and {last}", rest.join(", "))
        };
        Some(format!(
            "the release catalogue ({origin}) has no {lines}, which the upgrade from {} to {} \
             crosses: {} items are not listed; add {} to the folder",
            self.installed,
            self.to,
            if rest.is_empty() { "its" } else { "their" },
            if rest.is_empty() { "it" } else { "them" },
        ))
    }
}

/// Every release the tool knows, oldest first.
#[derive(Debug, Clone)]
pub struct Catalogue {
    releases: Vec<Release>,
    origin: Origin,
    newest: Version,
}

impl Catalogue {
    /// The built-in catalogue, or the one in `releases_dir` (every `*.yaml` there).
    pub fn load(releases_dir: Option<&Path>) -> Result<Catalogue, KnowledgeError> {
        match releases_dir {
            None => Catalogue::from_texts(
                embedded::EMBEDDED
                    .iter()
                    .map(|(name, text)| (name.to_string(), text.to_string())),
                Origin::Embedded,
            ),
            Some(dir) => {
                let unreadable = |source| KnowledgeError::Unreadable {
                    path: dir.to_path_buf(),
                    source,
                };
                let mut files = Vec::new();
                for entry in std::fs::read_dir(dir).map_err(unreadable)? {
                    let path = entry.map_err(unreadable)?.path();
                    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                        continue;
                    };
                    if !name.ends_with(".yaml") || !path.is_file() {
                        continue;
                    }
                    let text = crate::yaml::read_file(&path).map_err(|error| {
                        KnowledgeError::UnreadableFile {
                            path: path.clone(),
                            error,
                        }
                    })?;
                    files.push((name.to_string(), text));
                }
                if files.is_empty() {
                    return Err(KnowledgeError::Empty {
                        dir: dir.to_path_buf(),
                    });
                }
                Catalogue::from_texts(files, Origin::Dir(dir.to_path_buf()))
            }
        }
    }

    /// Builds a catalogue from (file name, text) pairs; every problem of every file is reported.
    pub fn from_texts(
        files: impl IntoIterator<Item = (String, String)>,
        origin: Origin,
    ) -> Result<Catalogue, KnowledgeError> {
        let mut problems = Vec::new();
        let mut releases: Vec<Release> = files
            .into_iter()
            .filter_map(|(name, text)| load::parse_release(&name, &text, &mut problems))
            .collect();
        releases.sort_by_key(|r| (r.major, r.minor));
        for pair in releases.windows(2) {
            if (pair[0].major, pair[0].minor) == (pair[1].major, pair[1].minor) {
                problems.push(Problem {
                    file: pair[1].file.clone(),
                    line: 1,
                    message: format!("release {} is also in {}", pair[1].version, pair[0].file),
                });
            }
        }
        // Items that carry probes name checks (`release.<id>`), so their ids must be unique.
        let mut probe_ids: Vec<(&str, &Item)> = Vec::new();
        for item in releases.iter().flat_map(|r| &r.items) {
            if item.probes.is_empty() {
                continue;
            }
            if let Some((_, other)) = probe_ids.iter().find(|(id, _)| *id == item.id) {
                problems.push(Problem {
                    file: item.file.clone(),
                    line: item.line,
                    message: format!(
                        "item '{}' has probes, so its id names a check and must be unique, \
                         but {} line {} uses it too",
                        item.id, other.file, other.line
                    ),
                });
            }
            probe_ids.push((&item.id, item));
        }
        if !problems.is_empty() {
            return Err(KnowledgeError::Invalid { origin, problems });
        }
        let newest = releases
            .iter()
            .rev()
            .find_map(|r| r.newest().cloned())
            .ok_or_else(|| KnowledgeError::Invalid {
                origin: origin.clone(),
                problems: vec![Problem {
                    file: "(catalogue)".into(),
                    line: 1,
                    message: "no release files".into(),
                }],
            })?;
        Ok(Catalogue {
            releases,
            origin,
            newest,
        })
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    /// The newest release the catalogue knows (a patch, such as 2.0.7).
    pub fn newest(&self) -> &Version {
        &self.newest
    }

    /// The oldest release the catalogue knows (such as 1.0.0).
    pub fn oldest(&self) -> Version {
        self.releases
            .first()
            .and_then(|r| r.patches.first().cloned())
            .unwrap_or_else(|| self.newest.clone())
    }

    /// The minor line `version` belongs to.
    pub fn release_of(&self, version: &Version) -> Option<&Release> {
        self.releases
            .iter()
            .find(|r| (r.major, r.minor) == (version.major(), version.minor()))
    }

    /// Checks that `target` is a release the catalogue knows; returns its `x.y.z` form.
    /// Snapshots and four-part client versions are taken as their server release.
    pub fn known_release(&self, target: &Version) -> Result<Version, KnowledgeError> {
        let release = target.release();
        match self.release_of(&release) {
            Some(line) if line.patches.contains(&release) => Ok(release),
            Some(line) => Err(KnowledgeError::UnknownPatch {
                version: release,
                line: line.version.clone(),
                known: line.patches.clone(),
            }),
            None => Err(KnowledgeError::UnknownRelease {
                version: release,
                oldest: self.oldest(),
                newest: self.newest.clone(),
            }),
        }
    }

    /// The items and stops of an upgrade from `from` (what is installed; any version) to `to`
    /// (a known release).
    pub fn plan(&self, from: &Version, to: &Version) -> Result<Plan<'_>, KnowledgeError> {
        self.plan_for(&Installed::Exact(from.release()), to)
    }

    /// The plan of an upgrade from what the database records (`Unrecorded`: before every
    /// release) to `to` (a known release); the plan shows `installed`, never a made-up version.
    pub fn plan_for(
        &self,
        installed: &Installed,
        to: &Version,
    ) -> Result<Plan<'_>, KnowledgeError> {
        let to = self.known_release(to)?;
        let from = installed.plan_from().release();
        if to < from {
            return Err(KnowledgeError::Downgrade { from, to });
        }
        let items = self
            .releases
            .iter()
            .flat_map(|r| &r.items)
            .filter(|item| item.applies(&from, &to))
            .collect();
        // A loaded set is compared with the built-in one, which knows the lines up to its date.
        let reference = match self.origin {
            Origin::Embedded => None,
            Origin::Dir(_) => Catalogue::built_in(),
        };
        let missing = coverage::missing_lines(
            &self.releases,
            reference.map_or(&[], |c| c.releases()),
            &from,
            &to,
        );
        Ok(Plan {
            installed: installed.clone(),
            stops: self.stops(&from, &to),
            from,
            to,
            items,
            missing,
        })
    }

    /// How far the catalogue built into this binary reaches (None if it does not parse, which
    /// its tests rule out).
    pub fn built_in_reach() -> Option<Reach> {
        Catalogue::built_in().map(Catalogue::reach)
    }

    /// The built-in catalogue, parsed once per process (None if it does not parse, which its
    /// tests rule out).
    pub(crate) fn built_in() -> Option<&'static Catalogue> {
        static BUILT_IN: std::sync::OnceLock<Option<Catalogue>> = std::sync::OnceLock::new();
        BUILT_IN.get_or_init(|| Catalogue::load(None).ok()).as_ref()
    }

    /// Releases whose migrations refuse the installed version force a stop at the newest
    /// release they accept.
    fn stops(&self, from: &Version, to: &Version) -> Vec<Stop> {
        let mut stops = Vec::new();
        let mut current = from.clone();
        for release in &self.releases {
            let first = release.first();
            if first <= current || first > *to {
                continue;
            }
            let Some(minimum) = &release.upgrade_from else {
                continue;
            };
            if current >= *minimum {
                continue;
            }
            let stop = self
                .releases
                .iter()
                .flat_map(|r| &r.patches)
                .filter(|p| *p >= minimum && **p < first)
                .max()
                .cloned()
                .unwrap_or_else(|| minimum.clone());
            stops.push(Stop {
                reason: format!(
                    "OpenMetadata {} migrates only databases at {minimum} or newer",
                    release.version
                ),
                version: stop.clone(),
            });
            current = stop;
        }
        stops
    }

    /// The requirements in force for `target`: for each of python, mysql, postgres, java,
    /// elasticsearch, opensearch and airflow, the range of the newest requirement item at or
    /// below it. [`Catalogue::requirements_for`] gives the same ranges with their sources.
    pub fn requirements(&self, target: &Version) -> Requirements {
        let sourced = self.requirements_for(target);
        let mut result = Requirements::default();
        for requirement in &sourced.ranges {
            if let Some(slot) = result.slot(requirement.software.key()) {
                *slot = Some(requirement.range.clone());
            }
        }
        result.postgres_extensions = sourced
            .postgres_extensions
            .into_iter()
            .map(|e| e.name)
            .collect();
        result
    }

    /// Items at or below `target` that carry probes and still hold there: the ones a check can
    /// measure.
    pub fn probed_items_up_to(&self, target: &Version) -> Vec<&Item> {
        let target = target.release();
        self.releases
            .iter()
            .flat_map(|r| &r.items)
            .filter(|item| !item.probes.is_empty() && item.patch <= target && item.reaches(&target))
            .collect()
    }
}

#[cfg(test)]
mod tests;
