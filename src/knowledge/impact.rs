//! What an item does to this installation: its probes' results, the config scanners' hits and
//! the database server's version, turned into "affects you", "does not affect you" or
//! "unknown", with the evidence.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::model::{Effect, FileKind, Item, Range};
use super::probes::{ProbeOutcome, ProbeResult};
use super::scan::ScanReport;
use crate::db::inspect::{Product, ServerInfo};
use crate::engine::Engine;
use crate::status::Status;
use crate::version::Version;

/// What a check of the run measured, for the items it measures (`measured_by`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measured {
    pub status: Status,
    /// Its one line.
    pub summary: String,
}

/// The outcomes of the run's checks by check id (`db.sort_memory`), for the items measured
/// elsewhere; empty when a view has none.
pub type Elsewhere = BTreeMap<String, Measured>;

/// What an item does to this installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Affects,
    NotAffected,
    Unknown,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Affects => "affects you",
            Verdict::NotAffected => "not you",
            Verdict::Unknown => "unknown",
        }
    }
}

/// One fact behind a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The probe it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
    /// A count measured in the database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Examples of what was counted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<String>,
}

impl Evidence {
    fn text(text: impl Into<String>) -> Self {
        Evidence {
            text: text.into(),
            file: None,
            line: None,
            probe: None,
            count: None,
            samples: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    pub verdict: Verdict,
    /// One line: "37 queries will be deleted by the migration", "does not affect you: …".
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// Everything measured about an installation.
#[derive(Debug, Clone, Copy)]
pub struct Measurements<'a> {
    /// Probe results by item key; `None` when the database was not probed.
    pub probes: Option<&'a std::collections::BTreeMap<String, Vec<ProbeResult>>>,
    /// Why the database was not probed, when it was not.
    pub no_database: &'a str,
    pub scan: &'a ScanReport,
    /// The metadata database's server, for requirement items.
    pub server: Option<&'a ServerInfo>,
    /// What the run's other checks measured (`db.sort_memory`, `clients.python`).
    pub elsewhere: &'a Elsewhere,
}

/// Judges one item.
pub fn assess(item: &Item, m: &Measurements<'_>) -> Impact {
    let mut found = Found::default();
    let measured_elsewhere = found.elsewhere(item, m);
    found.probes(item, m);
    found.config(item, m);
    found.requirements(item, m, measured_elsewhere);
    let impact = found.into_impact();
    match other_engine(item, m.server) {
        // What was measured stays as background.
        Some(text) => {
            let mut evidence = vec![Evidence::text(&text)];
            evidence.extend(impact.evidence);
            Impact {
                verdict: Verdict::NotAffected,
                summary: format!("does not affect you: {text}"),
                evidence,
            }
        }
        None => impact,
    }
}

/// Why an item about other engines than the metadata database's does not affect it.
fn other_engine(item: &Item, server: Option<&ServerInfo>) -> Option<String> {
    let server = server?;
    let engine = match server.product {
        Product::Mysql | Product::MariaDb => Engine::Mysql,
        Product::Postgres => Engine::Postgres,
    };
    if item.engines.is_empty() || item.engines.contains(&engine) {
        return None;
    }
    let names: Vec<&str> = item
        .engines
        .iter()
        .map(|e| match e {
            Engine::Mysql => "MySQL/MariaDB",
            Engine::Postgres => "PostgreSQL",
        })
        .collect();
    Some(format!(
        "applies to {} only; this database is {}",
        names.join(" and "),
        server.product
    ))
}

/// The evidence about one item, sorted by what it says.
#[derive(Default)]
struct Found {
    affects: Vec<Evidence>,
    clear: Vec<Evidence>,
    unknown: Vec<Evidence>,
    info: Vec<Evidence>,
}

impl Found {
    /// What the check named by `measured_by` found, when the run has its outcome; whether it
    /// did.
    fn elsewhere(&mut self, item: &Item, m: &Measurements<'_>) -> bool {
        let Some(check) = &item.measured_by else {
            return false;
        };
        let Some(measured) = m.elsewhere.get(check) else {
            return false;
        };
        let evidence = Evidence::text(format!("{check}: {}", measured.summary));
        match measured.status {
            Status::Pass => self.clear.push(evidence),
            Status::Warn | Status::Fail => self.affects.push(evidence),
            Status::Skip => self.unknown.push(evidence),
        }
        true
    }

    /// What the item's probes found in the database.
    fn probes(&mut self, item: &Item, m: &Measurements<'_>) {
        if !item.probes.is_empty() {
            match m.probes.map(|p| p.get(&item.key())) {
                None => self.unknown.push(Evidence::text(format!(
                    "database not measured: {}",
                    m.no_database
                ))),
                Some(None) => self
                    .unknown
                    .push(Evidence::text("database not measured for this item")),
                Some(Some(results)) => {
                    for result in results {
                        let mut evidence = Evidence::text(&result.text);
                        evidence.probe = Some(result.probe.clone());
                        evidence.count = result.count();
                        if let ProbeOutcome::Found { samples, .. } = &result.outcome {
                            evidence.samples = samples.clone();
                        }
                        match (&result.outcome, result.effect) {
                            (ProbeOutcome::Found { .. }, Effect::Affects) => {
                                self.affects.push(evidence)
                            }
                            (ProbeOutcome::Found { .. }, Effect::Info) => self.info.push(evidence),
                            (
                                ProbeOutcome::Clear
                                | ProbeOutcome::NotApplicable { .. }
                                | ProbeOutcome::OtherSchema { .. },
                                _,
                            ) => self.clear.push(evidence),
                            _ => self.unknown.push(evidence),
                        }
                    }
                }
            }
        }
    }

    /// What the config rules found in the scanned files (or that the files were not scanned).
    fn config(&mut self, item: &Item, m: &Measurements<'_>) {
        for kind in [FileKind::Server, FileKind::Workflow] {
            if !item.config_rules.iter().any(|r| r.file == kind) {
                continue;
            }
            let (what, flag, unused) = match kind {
                FileKind::Server => (
                    "openmetadata.yaml",
                    "--config FILE",
                    "openmetadata.yaml does not use it",
                ),
                FileKind::Workflow => (
                    "workflow YAMLs",
                    "--workflows DIR",
                    "no workflow YAML uses it",
                ),
            };
            if !m.scan.covers(kind) {
                self.unknown
                    .push(Evidence::text(format!("{what} not scanned ({flag})")));
                continue;
            }
            let hits: Vec<_> = m.scan.hits_for(item).filter(|h| h.kind == kind).collect();
            // Rules that matter with one search engine only: a match cannot say "affects you".
            let conditional_on = item
                .config_rules
                .iter()
                .filter(|r| r.file == kind)
                .find_map(|r| r.search_engine);
            if hits.is_empty() {
                self.clear.push(Evidence::text(unused));
            }
            for hit in hits {
                let mut evidence = Evidence::text(format!(
                    "{}{}: {}",
                    hit.file.display(),
                    hit.line.map(|l| format!(":{l}")).unwrap_or_default(),
                    hit.text
                ));
                evidence.file = Some(hit.file.clone());
                evidence.line = hit.line;
                match conditional_on {
                    // The file cannot say which engine runs: the operator's answer decides.
                    Some(engine) => {
                        evidence.text = format!(
                            "{}; this matters only if your search engine is {}",
                            evidence.text,
                            engine.label()
                        );
                        self.unknown.push(evidence);
                    }
                    None => self.affects.push(evidence),
                }
            }
        }
    }

    /// The database server's version against the item's requirements; the requirements this
    /// tool cannot measure are listed as unknown.
    fn requirements(&mut self, item: &Item, m: &Measurements<'_>, measured_elsewhere: bool) {
        if let Some(requires) = &item.requires {
            let db_range = |product| match product {
                Product::Mysql => requires.mysql.as_ref(),
                Product::Postgres => requires.postgres.as_ref(),
                Product::MariaDb => None,
            };
            if requires.mysql.is_some() || requires.postgres.is_some() {
                match m.server {
                    None => self.unknown.push(Evidence::text(format!(
                        "database server version not measured: {}",
                        m.no_database
                    ))),
                    Some(server) => match (db_range(server.product), &server.version) {
                        (Some(range), Some(version)) => {
                            let version = Version::new(version.major, version.minor, version.patch);
                            let (bucket, evidence) = database_version(server, &version, range);
                            match bucket {
                                Bucket::Affects => self.affects.push(evidence),
                                Bucket::Clear => self.clear.push(evidence),
                                Bucket::Unknown => self.unknown.push(evidence),
                            }
                        }
                        _ => self.unknown.push(Evidence::text(format!(
                            "{} {}: OpenMetadata documents MySQL and PostgreSQL only",
                            server.product, server.version_text
                        ))),
                    },
                }
            }
            let unmeasured: Vec<String> =
                ["python", "java", "elasticsearch", "opensearch", "airflow"]
                    .into_iter()
                    .filter_map(|key| requires.get(key).map(|r| format!("{key} {r}")))
                    .collect();
            // What another check measured stands for what this one cannot.
            if !unmeasured.is_empty() && !measured_elsewhere {
                self.unknown.push(Evidence::text(format!(
                    "not measured here: {}",
                    unmeasured.join(", ")
                )));
            }
        }
    }

    /// Affects wins; otherwise anything unknown; otherwise clear.
    fn into_impact(self) -> Impact {
        let Found {
            affects,
            clear,
            unknown,
            info,
        } = self;
        let measured = !(affects.is_empty() && clear.is_empty() && unknown.is_empty());
        let (verdict, summary) = if !affects.is_empty() {
            (Verdict::Affects, join(&affects))
        } else if !measured {
            (
                Verdict::Unknown,
                "om-upgrade cannot measure this one: read it and decide".to_string(),
            )
        } else if !unknown.is_empty() {
            (Verdict::Unknown, join(&unknown))
        } else {
            (
                Verdict::NotAffected,
                format!("does not affect you: {}", join(&clear)),
            )
        };
        let mut evidence = affects;
        evidence.extend(info);
        evidence.extend(unknown);
        evidence.extend(clear);
        Impact {
            verdict,
            summary,
            evidence,
        }
    }
}

/// Older than documented affects the upgrade; newer than documented is only "not known to work".
fn database_version(server: &ServerInfo, version: &Version, range: &Range) -> (Bucket, Evidence) {
    let shown = format!("{} {}", server.product, version);
    if range.contains(version) {
        (
            Bucket::Clear,
            Evidence::text(format!("{shown} is within {range}")),
        )
    } else if range.is_below(version) {
        (
            Bucket::Affects,
            Evidence::text(format!(
                "{shown} is older than {range}: upgrade the database server first"
            )),
        )
    } else {
        (
            Bucket::Unknown,
            Evidence::text(format!("{shown} is newer than documented ({range})")),
        )
    }
}

enum Bucket {
    Affects,
    Clear,
    Unknown,
}

fn join(evidence: &[Evidence]) -> String {
    evidence
        .iter()
        .map(|e| e.text.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}
