//! What is installed where: every interpreter found, its Python, its OpenMetadata packages and
//! Airflow, the plugins in use and whether the `metadata` CLI runs.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Semaphore;

use super::ClientsError;
use super::broken::Broken;
use super::discover::{self, Candidate, Origin, Request};
use super::dist;
use super::probe::{self, CliProbe, Facts, ProbeError};
use crate::status::Status;
use crate::version::Version;

pub const INGESTION: &str = "openmetadata-ingestion";
pub const MANAGED_APIS: &str = "openmetadata-managed-apis";
pub const AIRFLOW: &str = "apache-airflow";
const PIP: &str = "pip";

/// Interpreters probed at the same time (each may import the ingestion package).
const PARALLEL_PROBES: usize = 4;

/// An installed distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// As published (`1.2.0.1`, `2.7.3`, `1.3.0.0rc1`); `None` when it cannot be told for sure
    /// (see `problem`).
    pub version: Option<String>,
    /// The leading `x.y.z[.w]` of the version, when it has one.
    #[serde(skip)]
    pub release: Option<Version>,
    /// The metadata folder it was read from (the first, when there are several).
    pub location: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<MetadataProblem>,
}

/// Why the installed version of a distribution is not known for sure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MetadataProblem {
    /// Its metadata file is missing, unreadable or has no `Version`.
    NoVersion { file: PathBuf },
    /// Several metadata folders in one site folder, left by an interrupted upgrade.
    Duplicates { copies: Vec<MetadataFolder> },
}

/// One of several metadata folders of a distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetadataFolder {
    pub version: Option<String>,
    pub location: PathBuf,
}

impl Package {
    /// From the metadata folders [`dist::scan`] found for one name (at least one).
    fn from_found(found: &[dist::Found]) -> Option<Self> {
        let first = found.first()?;
        let (version, problem) = match found {
            [one] => match one.version() {
                Some(version) => (Some(version.to_string()), None),
                None => (
                    None,
                    Some(MetadataProblem::NoVersion {
                        file: one.file.clone(),
                    }),
                ),
            },
            several => {
                let copies: Vec<MetadataFolder> = several
                    .iter()
                    .map(|f| MetadataFolder {
                        version: f.version().map(str::to_string),
                        location: f.location.clone(),
                    })
                    .collect();
                let agreed = copies
                    .iter()
                    .all(|c| c.version.is_some() && c.version == copies[0].version);
                (
                    copies[0].version.clone().filter(|_| agreed),
                    Some(MetadataProblem::Duplicates { copies }),
                )
            }
        };
        Some(Package {
            release: version.as_deref().and_then(pep440_release),
            version,
            location: first.location.clone(),
            problem,
        })
    }

    /// Its version for a person: `1.2.0.1`, `unknown`, or `1.1.5.0 or 1.2.0.0`.
    pub fn version_text(&self) -> String {
        match (&self.version, &self.problem) {
            (Some(version), _) => version.clone(),
            (None, Some(MetadataProblem::Duplicates { copies })) => copies
                .iter()
                .map(|c| c.version.as_deref().unwrap_or("unknown"))
                .collect::<Vec<_>>()
                .join(" or "),
            (None, _) => "unknown".to_string(),
        }
    }
}

/// The metadata to infer the plugins from: the newest of several copies (the install that was
/// meant to stay), else the only one.
fn metadata_for_extras(found: &[dist::Found]) -> Option<&dist::Metadata> {
    found
        .iter()
        .filter_map(|f| f.metadata.as_ref())
        .max_by_key(|m| m.version.as_deref().and_then(pep440_release))
}

/// The release segment of a PEP 440 version (`1!1.2.0.1rc2+local` → `1.2.0.1`), when it has two
/// to four parts.
pub fn pep440_release(text: &str) -> Option<Version> {
    let text = text.trim();
    let text = text.split_once('!').map_or(text, |(_, rest)| rest);
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    text[..end].trim_end_matches('.').parse().ok()
}

/// A Python interpreter that answered.
#[derive(Debug, Clone, Serialize)]
pub struct Interpreter {
    /// The interpreter to run pip with (`sys.executable`, else the path it was found at).
    pub path: PathBuf,
    /// Why it was looked at (several when PATH and a flag name the same environment).
    pub origins: Vec<Origin>,
    pub python: Version,
    pub prefix: PathBuf,
    pub venv: bool,
    pub pip: bool,
    pub ingestion: Option<Package>,
    pub managed_apis: Option<Package>,
    pub airflow: Option<Package>,
    /// Extras of `openmetadata-ingestion` inferred from the installed distributions.
    pub plugins: Vec<String>,
    /// `python -m metadata --version`, run when the ingestion package is installed.
    pub metadata_cli: Option<CliProbe>,
}

impl Interpreter {
    /// Something OpenMetadata cares about is installed here.
    pub fn hosts_client(&self) -> bool {
        self.ingestion.is_some() || self.managed_apis.is_some() || self.airflow.is_some()
    }

    /// Judged by the alignment rules: it hosts a client, or the operator named it.
    pub fn is_relevant(&self) -> bool {
        self.hosts_client() || self.origins.iter().any(Origin::is_explicit)
    }
}

/// Everything found for a request.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    pub interpreters: Vec<Interpreter>,
    pub broken: Vec<Broken>,
    /// Where discovery stopped early, and similar remarks.
    pub notes: Vec<String>,
    /// Every path looked at, for a "nothing found" message.
    pub looked_at: Vec<PathBuf>,
}

impl Inventory {
    pub fn relevant(&self) -> impl Iterator<Item = &Interpreter> {
        self.interpreters.iter().filter(|i| i.is_relevant())
    }

    /// The first interpreter named with `--python` that does not run (a broken one found
    /// otherwise only warns).
    pub fn named_broken(&self) -> Option<&Broken> {
        self.broken.iter().find(|b| b.status == Status::Fail)
    }
}

/// Finds and probes the interpreters of a request. Interpreters are probed concurrently; two
/// paths into one environment (`python3` and `python` on PATH) are reported once.
pub async fn discover(request: &Request) -> Result<Inventory, ClientsError> {
    let search_request = request.clone();
    let (candidates, notes) =
        tokio::task::spawn_blocking(move || discover::candidates(&search_request))
            .await
            .map_err(|e| ClientsError::Internal(e.to_string()))??;
    let limit = Arc::new(Semaphore::new(PARALLEL_PROBES));
    let mut tasks = Vec::with_capacity(candidates.len());
    for candidate in &candidates {
        let candidate = candidate.clone();
        let limit = limit.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            probe_one(&candidate, &request).await
        }));
    }
    let mut inventory = Inventory {
        notes,
        looked_at: candidates.iter().map(|c| c.path.clone()).collect(),
        ..Inventory::default()
    };
    for (candidate, task) in candidates.into_iter().zip(tasks) {
        let probed = task
            .await
            .map_err(|e| ClientsError::Internal(e.to_string()))?;
        match probed {
            Ok(interpreter) => {
                match inventory
                    .interpreters
                    .iter_mut()
                    .find(|i| i.prefix == interpreter.prefix)
                {
                    Some(same) => same.origins.extend(interpreter.origins),
                    None => inventory.interpreters.push(interpreter),
                }
            }
            Err(error) => inventory.broken.push(Broken::new(&candidate, &error)),
        }
    }
    Ok(inventory)
}

async fn probe_one(candidate: &Candidate, request: &Request) -> Result<Interpreter, ProbeError> {
    let facts = probe::facts(&candidate.path, request.probe_timeout).await?;
    let Facts {
        python,
        executable,
        prefix,
        venv,
        path,
    } = facts;
    let site = tokio::task::spawn_blocking(move || {
        dist::scan(&path, &[INGESTION, MANAGED_APIS, AIRFLOW, PIP])
    })
    .await
    .map_err(|e| ProbeError::Spawn(e.to_string()))?;
    let package = |name: &str| {
        site.found
            .get(name)
            .and_then(|found| Package::from_found(found))
    };
    let plugins = site
        .found
        .get(INGESTION)
        .and_then(|found| metadata_for_extras(found))
        .map(|metadata| dist::infer_extras(metadata, &site.installed))
        .unwrap_or_default();
    let interpreter_path = executable.unwrap_or_else(|| candidate.path.clone());
    let ingestion = package(INGESTION);
    let metadata_cli = match ingestion {
        Some(_) => Some(probe::metadata_cli(&interpreter_path, request.cli_timeout).await),
        None => None,
    };
    Ok(Interpreter {
        path: interpreter_path,
        origins: vec![candidate.origin.clone()],
        python,
        prefix,
        venv,
        pip: site.installed.contains(PIP),
        managed_apis: package(MANAGED_APIS),
        airflow: package(AIRFLOW),
        ingestion,
        plugins,
        metadata_cli,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_segment_of_pypi_versions() {
        let release = |s: &str| pep440_release(s).map(|v| v.to_string());
        assert_eq!(release("1.2.0.1").as_deref(), Some("1.2.0.1"));
        assert_eq!(release("1.3.0.0rc1").as_deref(), Some("1.3.0.0"));
        assert_eq!(release("2.7.3").as_deref(), Some("2.7.3"));
        assert_eq!(release("1!2.9.0.post1+local").as_deref(), Some("2.9.0"));
        assert_eq!(release("3.0").as_deref(), Some("3.0.0"));
        assert_eq!(release("banana"), None);
        assert_eq!(release("1.2.3.4.5"), None);
    }
}
