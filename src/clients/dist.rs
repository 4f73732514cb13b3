//! Installed Python distributions, read from their `*.dist-info/METADATA` (or `*.egg-info`)
//! files. Nothing is imported: the heavy packages stay untouched.
//!
//! pip does not record which extras were asked for, so the plugins of
//! `openmetadata-ingestion[mysql,snowflake]` are inferred: an extra counts as in use when every
//! distribution its `Requires-Dist: ...; extra == "x"` lines name is installed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A distribution name in PEP 503 normal form: lower case, runs of `-`, `_`, `.` become `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            in_separator = true;
        } else {
            if in_separator && !out.is_empty() {
                out.push('-');
            }
            in_separator = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// When a `Requires-Dist` line applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applies {
    /// No marker: always installed with the package.
    Always,
    /// A marker without extras (`python_version < "3.9"`): part of the base install, sometimes.
    Conditional,
    /// Only with these extras; `conditional` when the marker also tests the environment.
    Extras {
        extras: Vec<String>,
        conditional: bool,
    },
}

/// One `Requires-Dist` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Normalised distribution name.
    pub name: String,
    /// Extras asked of that distribution (`openmetadata-ingestion[mysql]; extra == "all"`).
    pub wants_extras: Vec<String>,
    pub applies: Applies,
}

/// The fields of a METADATA / PKG-INFO file this module needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Normalised name.
    pub name: String,
    /// `None` when the file has no `Version`: a damaged install, which pip itself stops on.
    pub version: Option<String>,
    /// Normalised extra names.
    pub provides_extra: Vec<String>,
    pub requires_dist: Vec<Requirement>,
}

/// Parses the header block of a core-metadata file (RFC 822 style; continuation lines start with
/// blanks). `None` without a `Name`.
pub fn parse_metadata(text: &str) -> Option<Metadata> {
    let mut name = None;
    let mut version = None;
    let mut provides_extra = Vec::new();
    let mut requires_dist = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break; // the description body follows
        }
        if line.starts_with([' ', '\t']) {
            continue; // continuation of a field this module does not read
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(normalize(value)),
            "version" => version = Some(value.to_string()),
            "provides-extra" => provides_extra.push(normalize(value)),
            "requires-dist" => requires_dist.extend(parse_requirement(value)),
            _ => {}
        }
    }
    Some(Metadata {
        name: name.filter(|n| !n.is_empty())?,
        version: version.filter(|v| !v.is_empty()),
        provides_extra,
        requires_dist,
    })
}

/// `PyMySQL[rsa] (>=1.0) ; extra == "mysql"` → name `pymysql`, extras `[rsa]`, applies to mysql.
fn parse_requirement(text: &str) -> Option<Requirement> {
    let (spec, marker) = match text.split_once(';') {
        Some((spec, marker)) => (spec, Some(marker.trim())),
        None => (text, None),
    };
    let spec = spec.trim();
    let name_end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = normalize(&spec[..name_end]);
    if name.is_empty() {
        return None;
    }
    let rest = spec[name_end..].trim_start();
    let wants_extras = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((extras, _)) => extras
            .split(',')
            .map(normalize)
            .filter(|e| !e.is_empty())
            .collect(),
        None => Vec::new(),
    };
    let applies = match marker.filter(|m| !m.is_empty()) {
        None => Applies::Always,
        Some(marker) => classify_marker(marker),
    };
    Some(Requirement {
        name,
        wants_extras,
        applies,
    })
}

/// Reads the `extra == "x"` clauses of a marker. Only the shapes build tools write are
/// understood: one clause, clauses joined by `or` (all of them extras), or an extra clause
/// `and`-ed with environment tests.
fn classify_marker(marker: &str) -> Applies {
    let marker = strip_parens(marker);
    let disjuncts = split_top_level(marker, " or ");
    if disjuncts.len() > 1 {
        let extras: Option<Vec<String>> = disjuncts
            .iter()
            .map(|d| extra_clause(strip_parens(d)))
            .collect();
        // `extra == "a" or python_version < "3.9"` applies without the extra too.
        return match extras {
            Some(extras) => Applies::Extras {
                extras,
                conditional: false,
            },
            None => Applies::Conditional,
        };
    }
    let conjuncts = split_top_level(marker, " and ");
    let extras: Vec<String> = conjuncts
        .iter()
        .filter_map(|c| extra_clause(strip_parens(c)))
        .collect();
    if extras.is_empty() {
        Applies::Conditional
    } else {
        Applies::Extras {
            conditional: extras.len() < conjuncts.len(),
            extras,
        }
    }
}

fn strip_parens(text: &str) -> &str {
    let mut text = text.trim();
    while text.starts_with('(') && text.ends_with(')') && balanced(&text[1..text.len() - 1]) {
        text = text[1..text.len() - 1].trim();
    }
    text
}

fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// Splits on `separator` outside parentheses and quotes.
fn split_top_level<'a>(text: &'a str, separator: &str) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if i < start {
            continue; // inside a separator just taken
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth == 0 && text[i..].starts_with(separator) => {
                    parts.push(&text[start..i]);
                    start = i + separator.len();
                }
                _ => {}
            },
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `extra == "mysql"` or `"mysql" == extra` → `mysql`.
fn extra_clause(clause: &str) -> Option<String> {
    let (left, right) = clause.split_once("==")?;
    let (left, right) = (left.trim(), right.trim());
    let literal = if left == "extra" {
        right
    } else if right == "extra" {
        left
    } else {
        return None;
    };
    let unquoted = literal
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .or_else(|| {
            literal
                .strip_prefix('\'')
                .and_then(|l| l.strip_suffix('\''))
        })?;
    Some(normalize(unquoted))
}

/// A metadata folder of a distribution found on an interpreter's `sys.path`.
#[derive(Debug, Clone)]
pub struct Found {
    /// `None` when the metadata file is missing, unreadable or names no distribution.
    pub metadata: Option<Metadata>,
    /// The `*.dist-info` / `*.egg-info` it was read from.
    pub location: PathBuf,
    /// The METADATA / PKG-INFO file in it.
    pub file: PathBuf,
}

impl Found {
    pub fn version(&self) -> Option<&str> {
        self.metadata.as_ref()?.version.as_deref()
    }
}

/// What is installed on a `sys.path`.
#[derive(Debug, Default)]
pub struct Site {
    /// Every distribution name seen (normalised), from the metadata folders' names.
    pub installed: BTreeSet<String>,
    /// The metadata folders of the distributions asked for, from the first `sys.path` folder
    /// that has any, as Python looks; sorted by folder name. Several in one folder are the
    /// leftover of an interrupted install: which one Python and pip see is then not defined.
    pub found: BTreeMap<String, Vec<Found>>,
}

/// Scans `sys.path` folders for metadata folders; reads METADATA only for `wanted` names.
/// Unreadable folders are passed over: a path entry may be a zip file or gone.
pub fn scan(path: &[PathBuf], wanted: &[&str]) -> Site {
    let mut site = Site::default();
    for dir in path {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut in_this_folder: BTreeMap<String, Vec<Found>> = BTreeMap::new();
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            let Some((stem, metadata_file)) = metadata_folder(file_name) else {
                continue;
            };
            let name = normalize(stem.split('-').next().unwrap_or(stem));
            if wanted.contains(&name.as_str()) && !site.found.contains_key(&name) {
                let location = entry.path();
                let file = if location.is_dir() {
                    location.join(metadata_file)
                } else {
                    location.clone()
                };
                in_this_folder.entry(name.clone()).or_default().push(Found {
                    metadata: read_metadata(&file),
                    location,
                    file,
                });
            }
            site.installed.insert(name);
        }
        for (name, mut found) in in_this_folder {
            found.sort_by(|a, b| a.location.cmp(&b.location));
            site.found.insert(name, found);
        }
    }
    site
}

/// `foo_bar-1.0.dist-info` → (`foo_bar-1.0`, `METADATA`).
fn metadata_folder(file_name: &str) -> Option<(&str, &'static str)> {
    if let Some(stem) = file_name.strip_suffix(".dist-info") {
        Some((stem, "METADATA"))
    } else {
        file_name
            .strip_suffix(".egg-info")
            .map(|stem| (stem, "PKG-INFO"))
    }
}

fn read_metadata(file: &Path) -> Option<Metadata> {
    let bytes = std::fs::read(file).ok()?;
    parse_metadata(&String::from_utf8_lossy(&bytes))
}

/// The extras of `metadata` whose distributions are all installed, smallest set that says the
/// same: an extra wholly contained in another one in use (`mysql` inside `all`) is left out.
/// Extras that add nothing beyond the base install cannot be told apart and are never listed.
pub fn infer_extras(metadata: &Metadata, installed: &BTreeSet<String>) -> Vec<String> {
    let base: BTreeSet<&str> = metadata
        .requires_dist
        .iter()
        .filter(|r| matches!(r.applies, Applies::Always | Applies::Conditional))
        .map(|r| r.name.as_str())
        .collect();
    let mut in_use: Vec<(String, BTreeSet<String>)> = Vec::new();
    for extra in &metadata.provides_extra {
        let needs = extra_needs(metadata, extra, &base, &mut BTreeSet::new());
        if !needs.is_empty() && needs.iter().all(|n| installed.contains(n)) {
            in_use.push((extra.clone(), needs));
        }
    }
    in_use
        .iter()
        .filter(|(_, needs)| {
            !in_use
                .iter()
                .any(|(_, other)| needs.len() < other.len() && needs.is_subset(other))
        })
        .map(|(extra, _)| extra.clone())
        .collect()
}

/// The distributions only `extra` brings in (not the base install), following the package's
/// requirements on itself (`openmetadata-ingestion[mysql]; extra == "all"`).
fn extra_needs(
    metadata: &Metadata,
    extra: &str,
    base: &BTreeSet<&str>,
    visiting: &mut BTreeSet<String>,
) -> BTreeSet<String> {
    let mut needs = BTreeSet::new();
    if !visiting.insert(extra.to_string()) {
        return needs;
    }
    for requirement in &metadata.requires_dist {
        let Applies::Extras {
            extras,
            conditional: false,
        } = &requirement.applies
        else {
            continue;
        };
        if !extras.iter().any(|e| e == extra) {
            continue;
        }
        if requirement.name == metadata.name {
            for inner in &requirement.wants_extras {
                needs.extend(extra_needs(metadata, inner, base, visiting));
            }
        } else if !base.contains(requirement.name.as_str()) {
            needs.insert(requirement.name.clone());
        }
    }
    needs
}

#[cfg(test)]
mod tests {
    use super::*;

    const INGESTION: &str = "\
Metadata-Version: 2.1
Name: openmetadata-ingestion
Version: 1.1.5.0
Summary: Ingestion Framework for OpenMetadata
License: Apache
  License 2.0
Requires-Python: >=3.8
Provides-Extra: mysql
Provides-Extra: snowflake
Provides-Extra: postgres
Provides-Extra: sqlite
Provides-Extra: all
Requires-Dist: pydantic (>=1.10)
Requires-Dist: typing-extensions; python_version < \"3.9\"
Requires-Dist: PyMySQL (>=1.0.2) ; extra == \"mysql\"
Requires-Dist: snowflake-sqlalchemy~=1.4 ; extra == 'snowflake'
Requires-Dist: snowflake_connector_python ; (extra == \"snowflake\")
Requires-Dist: psycopg2-binary ; extra == \"postgres\"
Requires-Dist: pydantic ; extra == \"sqlite\"
Requires-Dist: backports.zoneinfo ; python_version < \"3.9\" and extra == \"postgres\"
Requires-Dist: openmetadata-ingestion[mysql,postgres,snowflake] ; extra == \"all\"

Requires-Dist: not-a-header ; extra == \"mysql\"
";

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| normalize(s)).collect()
    }

    /// An `openmetadata_ingestion-{version}.dist-info` folder with its METADATA in `site`.
    fn dist_info(site: &Path, version: &str) {
        let info = site.join(format!("openmetadata_ingestion-{version}.dist-info"));
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            format!("Name: openmetadata-ingestion\nVersion: {version}\n"),
        )
        .unwrap();
    }

    #[test]
    fn normalizes_like_pep_503() {
        assert_eq!(
            normalize("OpenMetadata_Ingestion"),
            "openmetadata-ingestion"
        );
        assert_eq!(normalize("backports.zoneinfo"), "backports-zoneinfo");
        assert_eq!(normalize("a__-b"), "a-b");
    }

    #[test]
    fn parses_fields_and_markers() {
        let m = parse_metadata(INGESTION).unwrap();
        assert_eq!(m.name, "openmetadata-ingestion");
        assert_eq!(m.version.as_deref(), Some("1.1.5.0"));
        assert_eq!(
            m.provides_extra,
            ["mysql", "snowflake", "postgres", "sqlite", "all"]
        );
        let pymysql = &m.requires_dist[2];
        assert_eq!(pymysql.name, "pymysql");
        assert_eq!(
            pymysql.applies,
            Applies::Extras {
                extras: vec!["mysql".into()],
                conditional: false
            }
        );
        assert_eq!(m.requires_dist[1].applies, Applies::Conditional);
        assert_eq!(
            m.requires_dist[7].applies,
            Applies::Extras {
                extras: vec!["postgres".into()],
                conditional: true
            }
        );
        assert_eq!(
            m.requires_dist[8].wants_extras,
            ["mysql", "postgres", "snowflake"]
        );
        // The body after the blank line is not read.
        assert!(m.requires_dist.iter().all(|r| r.name != "not-a-header"));
    }

    #[test]
    fn or_markers_name_several_extras() {
        assert_eq!(
            classify_marker(r#"extra == "a" or extra == 'b'"#),
            Applies::Extras {
                extras: vec!["a".into(), "b".into()],
                conditional: false
            }
        );
        assert_eq!(
            classify_marker(r#"sys_platform == "linux" or python_version < "3.9""#),
            Applies::Conditional
        );
    }

    #[test]
    fn metadata_without_a_name_is_rejected_and_without_a_version_kept() {
        assert!(parse_metadata("Version: 1.0\n").is_none());
        let m = parse_metadata("Name: x\nVersion:\n").unwrap();
        assert_eq!((m.name.as_str(), m.version), ("x", None));
    }

    #[test]
    fn infers_extras_whose_distributions_are_installed() {
        let m = parse_metadata(INGESTION).unwrap();
        let installed = names(&[
            "pydantic",
            "pymysql",
            "snowflake-sqlalchemy",
            "snowflake-connector-python",
        ]);
        assert_eq!(infer_extras(&m, &installed), ["mysql", "snowflake"]);
        // Half of snowflake's distributions is not enough.
        let installed = names(&["pydantic", "pymysql", "snowflake-sqlalchemy"]);
        assert_eq!(infer_extras(&m, &installed), ["mysql"]);
    }

    #[test]
    fn an_extra_inside_another_in_use_is_folded_into_it() {
        let m = parse_metadata(INGESTION).unwrap();
        let installed = names(&[
            "pymysql",
            "snowflake-sqlalchemy",
            "snowflake-connector-python",
            "psycopg2-binary",
        ]);
        assert_eq!(infer_extras(&m, &installed), ["all"]);
    }

    #[test]
    fn extras_that_add_nothing_to_the_base_are_never_inferred() {
        let m = parse_metadata(INGESTION).unwrap();
        assert!(infer_extras(&m, &names(&["pydantic"])).is_empty());
    }

    #[test]
    fn scan_keeps_every_metadata_folder_of_a_name_in_one_folder() {
        let dir = tempfile::tempdir().unwrap();
        let later = dir.path().join("later");
        for (site, version) in [
            (dir.path(), "1.2.0.0"),
            (dir.path(), "1.1.5.0"),
            (later.as_path(), "1.0.0"),
        ] {
            dist_info(site, version);
        }
        // A folder without its METADATA is still an installed distribution.
        std::fs::create_dir_all(dir.path().join("apache_airflow-2.7.3.dist-info")).unwrap();
        let site = scan(
            &[dir.path().to_path_buf(), later],
            &["openmetadata-ingestion", "apache-airflow"],
        );
        let versions: Vec<_> = site.found["openmetadata-ingestion"]
            .iter()
            .map(Found::version)
            .collect();
        assert_eq!(versions, [Some("1.1.5.0"), Some("1.2.0.0")]);
        let airflow = &site.found["apache-airflow"];
        assert!(airflow[0].metadata.is_none());
        assert!(
            airflow[0]
                .file
                .ends_with("apache_airflow-2.7.3.dist-info/METADATA")
        );
    }

    #[test]
    fn scan_reads_the_first_metadata_on_the_path_and_lists_every_name() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first");
        let second = dir.path().join("second");
        for (site, version) in [(&first, "1.2.0.1"), (&second, "1.1.0")] {
            dist_info(site, version);
        }
        std::fs::create_dir_all(second.join("PyMySQL-1.1.0.dist-info")).unwrap();
        std::fs::write(
            second.join("legacy-0.1-py3.8.egg-info"),
            "Name: legacy\nVersion: 0.1\n",
        )
        .unwrap();
        let site = scan(
            &[first, dir.path().join("missing"), second],
            &["openmetadata-ingestion", "legacy"],
        );
        let version = |name: &str| {
            let found = &site.found[name];
            assert_eq!(found.len(), 1, "{found:?}");
            found[0].version().map(str::to_string)
        };
        assert_eq!(
            version("openmetadata-ingestion").as_deref(),
            Some("1.2.0.1")
        );
        assert_eq!(version("legacy").as_deref(), Some("0.1"));
        assert_eq!(
            site.installed,
            names(&["openmetadata-ingestion", "pymysql", "legacy"])
        );
    }
}
