//! Config scanners: the server's openmetadata.yaml and a folder of ingestion workflow YAMLs,
//! matched against the [`ConfigRule`]s of the items in an upgrade. Every hit has a file and a
//! line; a file that cannot be read or parsed is reported and the scan goes on.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::model::{ConfigRule, FileKind, Item, When};
use crate::config::Env;
use crate::config::substitute::substitute;
use crate::yaml::{self, Node, YamlError};

/// How deep `--workflows` looks into sub-folders.
const MAX_DEPTH: usize = 8;

/// Which of the operator's files to scan, and the environment openmetadata.yaml is read with.
#[derive(Debug, Clone, Default)]
pub struct ScanInputs {
    /// The server's openmetadata.yaml (`--config`).
    pub server_config: Option<PathBuf>,
    /// A folder (or one file) of ingestion workflow YAMLs (`--workflows`).
    pub workflows: Option<PathBuf>,
    pub env: Env,
}

impl ScanInputs {
    /// Scans what was given against the rules of `items`.
    pub fn scan(&self, items: &[&Item]) -> ScanReport {
        let mut report = ScanReport::default();
        if let Some(path) = &self.server_config {
            scan_server_config(path, items, &self.env, &mut report);
        }
        if let Some(path) = &self.workflows {
            scan_workflows(path, items, &mut report);
        }
        report
    }
}

/// A rule of an item that matched a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The item's key (`1.2/domo-sandbox-domain-renamed`).
    pub item: String,
    pub kind: FileKind,
    pub file: PathBuf,
    /// Where the key is (for a missing key: where its parent is), when known.
    pub line: Option<usize>,
    pub text: String,
}

/// A file the scan could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub error: String,
}

impl FileProblem {
    fn yaml(file: &Path, error: YamlError) -> FileProblem {
        FileProblem {
            file: file.to_path_buf(),
            line: error.line,
            error: error.kind.to_string(),
        }
    }
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        write!(f, ": {}", self.error)
    }
}

/// What was scanned and what was found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    /// The openmetadata.yaml that was read, when one was given and could be parsed.
    pub server_config: Option<PathBuf>,
    /// The folder (or file) of workflows, when one was given.
    pub workflows: Option<PathBuf>,
    /// Workflow files read (YAML with a `source:` section in at least one of its documents).
    pub workflow_files: usize,
    /// YAML files in that folder that are not ingestion workflows.
    pub other_files: usize,
    pub problems: Vec<FileProblem>,
    pub hits: Vec<Hit>,
}

impl ScanReport {
    /// Whether files of this kind were scanned, so that "no hit" means "not affected".
    pub fn covers(&self, kind: FileKind) -> bool {
        match kind {
            FileKind::Server => self.server_config.is_some(),
            FileKind::Workflow => self.workflows.is_some(),
        }
    }

    pub fn hits_for<'a>(&'a self, item: &Item) -> impl Iterator<Item = &'a Hit> {
        let key = item.key();
        self.hits.iter().filter(move |h| h.item == key)
    }
}

/// Scans the server's openmetadata.yaml, after `${VAR:-default}` substitution as the server
/// does it, against the server rules of `items`.
pub fn scan_server_config(path: &Path, items: &[&Item], env: &Env, report: &mut ScanReport) {
    let Some(text) = read(path, report) else {
        return;
    };
    let text = match substitute(&text, env) {
        Ok((text, _)) => text,
        Err(error) => {
            report.problems.push(FileProblem {
                file: path.to_path_buf(),
                line: None,
                error: error.to_string(),
            });
            return;
        }
    };
    let doc = match yaml::parse_located(&text) {
        Ok(doc) => doc,
        Err(error) => return report.problems.push(FileProblem::yaml(path, error)),
    };
    report.server_config = Some(path.to_path_buf());
    for item in items {
        for rule in item
            .config_rules
            .iter()
            .filter(|r| r.file == FileKind::Server)
        {
            if let Some((line, text)) = matches(&doc, rule) {
                report.hits.push(Hit {
                    item: item.key(),
                    kind: FileKind::Server,
                    file: path.to_path_buf(),
                    line,
                    text,
                });
            }
        }
    }
}

/// Scans every document of every `*.yaml` / `*.yml` under `path` (a folder, searched
/// recursively, or one file) against the workflow rules of `items`.
pub fn scan_workflows(path: &Path, items: &[&Item], report: &mut ScanReport) {
    report.workflows = Some(path.to_path_buf());
    let mut files = Vec::new();
    if path.is_dir() {
        collect(path, 0, &mut files, report);
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    for file in files {
        let Some(text) = read(&file, report) else {
            continue;
        };
        // One file may hold several workflows separated by `---`.
        let documents = match yaml::parse_located_documents(&text) {
            Ok(documents) => documents,
            Err(error) => {
                report.problems.push(FileProblem::yaml(&file, error));
                continue;
            }
        };
        let workflows: Vec<&Node> = documents
            .iter()
            .filter(|doc| doc.get("source").is_some_and(Node::is_mapping))
            .collect();
        if workflows.is_empty() {
            report.other_files += 1;
            continue;
        }
        report.workflow_files += 1;
        for doc in workflows {
            scan_workflow(doc, &file, items, report);
        }
    }
}

/// Matches one workflow document of `file` against the workflow rules of `items`.
fn scan_workflow(doc: &Node, file: &Path, items: &[&Item], report: &mut ScanReport) {
    let service_type = doc
        .entry_at("source.serviceConnection.config.type")
        .or_else(|| doc.entry_at("source.type"))
        .and_then(|e| e.value.as_scalar())
        .map(str::to_string);
    for item in items {
        for rule in item
            .config_rules
            .iter()
            .filter(|r| r.file == FileKind::Workflow)
        {
            let applies = rule.service_types.is_empty()
                || service_type
                    .as_deref()
                    .is_some_and(|t| rule.service_types.iter().any(|s| s.eq_ignore_ascii_case(t)));
            if !applies {
                continue;
            }
            if let Some((line, mut text)) = matches(doc, rule) {
                if let Some(t) = &service_type {
                    text = format!("{text} ({t})");
                }
                report.hits.push(Hit {
                    item: item.key(),
                    kind: FileKind::Workflow,
                    file: file.to_path_buf(),
                    line,
                    text,
                });
            }
        }
    }
}

fn read(path: &Path, report: &mut ScanReport) -> Option<String> {
    yaml::read_file(path)
        .map_err(|error| report.problems.push(FileProblem::yaml(path, error)))
        .ok()
}

fn collect(dir: &Path, depth: usize, files: &mut Vec<PathBuf>, report: &mut ScanReport) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            report.problems.push(FileProblem {
                file: dir.to_path_buf(),
                line: None,
                error: format!("cannot list: {error}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        // Symbolic links to folders are not followed: no loops, no scanning outside.
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if !hidden && depth < MAX_DEPTH {
                collect(&path, depth + 1, files, report);
            }
        } else if !hidden
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
        {
            files.push(path);
        }
    }
}

/// Whether `rule` matches the document: the line to point at and what was found.
fn matches(doc: &Node, rule: &ConfigRule) -> Option<(Option<usize>, String)> {
    let entry = doc.entry_at(&rule.key);
    match &rule.when {
        When::Present => entry.map(|e| (Some(e.key_line), format!("{} is set", rule.key))),
        When::Equals(value) => entry
            .filter(|e| e.value.as_scalar() == Some(value.as_str()))
            .map(|e| (Some(e.key_line), format!("{} is {value}", rule.key))),
        When::Absent => {
            if entry.is_some() {
                return None;
            }
            // A missing key matters only where its parent section exists.
            match rule.key.rsplit_once('.') {
                None => Some((None, format!("{} is missing", rule.key))),
                Some((parent, _)) => doc
                    .entry_at(parent)
                    .filter(|p| p.value.is_mapping())
                    .map(|p| (Some(p.key_line), format!("{} is missing", rule.key))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::model::{Kind, Requirements};
    use crate::version::Version;

    fn item(id: &str, rules: Vec<ConfigRule>) -> Item {
        Item {
            id: id.into(),
            release: "1.2".into(),
            patch: Version::new(1, 2, 0),
            until: None,
            kind: Kind::Config,
            components: Vec::new(),
            title: id.into(),
            change: "c".into(),
            migration: None,
            action: "a".into(),
            source: "https://x".into(),
            unverified: false,
            requires: None::<Requirements>,
            engines: Vec::new(),
            measured_by: None,
            config_rules: rules,
            probes: Vec::new(),
            file: "1.2.yaml".into(),
            line: 1,
        }
    }

    fn rule(file: FileKind, key: &str, when: When, types: &[&str]) -> ConfigRule {
        ConfigRule {
            file,
            key: key.into(),
            when,
            service_types: types.iter().map(|s| s.to_string()).collect(),
            search_engine: None,
        }
    }

    #[test]
    fn server_rules_see_substituted_values_and_missing_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openmetadata.yaml");
        std::fs::write(
            &path,
            "server:\n  port: 8585\nsecretsManagerConfiguration:\n  secretsManager: ${SECRET_MANAGER:-noop}\npipelineServiceClientConfiguration:\n  enabled: true\n",
        )
        .unwrap();
        let noop = item(
            "noop",
            vec![rule(
                FileKind::Server,
                "secretsManagerConfiguration.secretsManager",
                When::Equals("noop".into()),
                &[],
            )],
        );
        let loader = item(
            "loader",
            vec![rule(
                FileKind::Server,
                "pipelineServiceClientConfiguration.secretsManagerLoader",
                When::Absent,
                &[],
            )],
        );
        let mut report = ScanReport::default();
        scan_server_config(&path, &[&noop, &loader], &Env::default(), &mut report);
        assert!(report.covers(FileKind::Server));
        let found: Vec<_> = report
            .hits
            .iter()
            .map(|h| (h.item.as_str(), h.line))
            .collect();
        assert_eq!(found, vec![("1.2/noop", Some(4)), ("1.2/loader", Some(5))]);

        let mut report = ScanReport::default();
        let env = Env::from_pairs([("SECRET_MANAGER", "db")]);
        scan_server_config(&path, &[&noop], &env, &mut report);
        assert!(report.hits.is_empty());
    }

    #[test]
    fn every_document_of_a_workflow_file_is_scanned() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("all.yaml"),
            "source:\n  type: mysql\n  serviceConnection:\n    config:\n      type: Mysql\n\
             ---\n\
             source:\n  type: domodashboard\n  serviceConnection:\n    config:\n      type: DomoDashboard\n      sandboxDomain: https://acme.domo.com\n",
        )
        .unwrap();
        let domo = item(
            "domo",
            vec![rule(
                FileKind::Workflow,
                "source.serviceConnection.config.sandboxDomain",
                When::Present,
                &["DomoDashboard"],
            )],
        );
        let mut report = ScanReport::default();
        scan_workflows(dir.path(), &[&domo], &mut report);
        assert_eq!(report.workflow_files, 1);
        assert_eq!(report.other_files, 0);
        let found: Vec<_> = report
            .hits
            .iter()
            .map(|h| (h.file.file_name().unwrap().to_str().unwrap(), h.line))
            .collect();
        assert_eq!(found, vec![("all.yaml", Some(12))], "{report:?}");
        assert!(report.hits[0].text.ends_with("(DomoDashboard)"));
    }
}
