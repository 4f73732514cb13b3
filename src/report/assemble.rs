//! The one assembly of a report: what a run recorded and what it was given → the [`Report`],
//! with every secret the run knows masked. `om-upgrade report` and the wizard's export both
//! hand their run over as [`Recorded`]; neither builds a report or a redactor itself.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::model::{BackupFacts, DatabaseView, Inputs, Report, Stamp, Step, Via};
use super::redact::Redactor;
use super::review::ReleaseReview;
use crate::checks::runner::CheckResult;
use crate::config::installation::InstallSettings;
use crate::config::{DbSettings, Source};
use crate::knowledge::Reach;
use crate::knowledge::scan::ScanInputs;
use crate::version::Version;

/// What a run recorded, and the places it read that may hold a secret.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub via: Via,
    /// The connection as used (its password is only used to mask it).
    pub settings: DbSettings,
    pub target: Option<Version>,
    /// How far the release catalogue the run used reaches (none when it did not load).
    pub catalogue: Option<Reach>,
    /// Every check that ran, in the registry's order.
    pub results: Vec<CheckResult>,
    /// The backup the report points at.
    pub backup: Option<BackupFacts>,
    /// The release review, or why there is none.
    pub review: Result<ReleaseReview, String>,
    /// Release items the operator acknowledged (`1.2/query-service-required`).
    pub acknowledged: BTreeSet<String>,
    /// Open actions count as failures in the exit code.
    pub strict: bool,
    /// Steps whose results were computed for other inputs: reported "stale — re-run".
    pub stale: BTreeSet<Step>,
    /// The operator's files the run read (openmetadata.yaml, workflow YAMLs) and the
    /// environment.
    pub files: ScanInputs,
    /// The rest of the installation as configured; only its secrets are used, to mask them.
    pub installation: InstallSettings,
}

/// The report of a run, made at `stamp`, with every secret of the run masked.
pub fn assemble(recorded: Recorded, stamp: Stamp) -> Report {
    let redactor =
        redactor(&recorded.settings, &recorded.files).with_installation(&recorded.installation);
    Report::build(inputs(recorded, stamp), &redactor)
}

/// The verdict, checklist and findings of a run, assembled exactly as [`assemble`] does but
/// without reading any file or masking secrets: for a view that shows only those (the wizard's
/// Summary), so that it says what the exported report and `om-upgrade report` say.
pub fn verdict(recorded: Recorded) -> Report {
    let stamp = Stamp {
        at: chrono::Utc::now(),
        user: String::new(),
        host: String::new(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    Report::build(inputs(recorded, stamp), &Redactor::new())
}

fn inputs(recorded: Recorded, stamp: Stamp) -> Inputs {
    let Recorded {
        via,
        settings,
        target,
        catalogue,
        results,
        backup,
        review,
        acknowledged,
        strict,
        stale,
        files: _,
        installation: _,
    } = recorded;
    let (review, review_missing) = match review {
        Ok(review) => (Some(review), None),
        Err(why) => (None, Some(why)),
    };
    Inputs {
        stamp,
        via,
        database: DatabaseView::of(&settings),
        target,
        catalogue,
        results,
        backup,
        review,
        review_missing,
        acknowledged,
        strict,
        stale,
    }
}

/// Every secret source a run knows: the database password, the environment, the
/// openmetadata.yaml the settings were read from, and the files the run scanned.
fn redactor(settings: &DbSettings, files: &ScanInputs) -> Redactor {
    let env = &files.env;
    let mut redactor = Redactor::new().with_settings(settings).with_env(env);
    let mut yaml_files: Vec<PathBuf> = config_files_of(settings);
    yaml_files.extend(files.server_config.iter().cloned());
    yaml_files.sort();
    yaml_files.dedup();
    for file in &yaml_files {
        redactor = redactor.with_yaml_file(file, env);
    }
    if let Some(workflows) = &files.workflows {
        redactor = redactor.with_yaml_files_in(workflows, env);
    }
    redactor
}

/// The files any setting was read from: openmetadata.yaml, compose files and Helm values (their
/// other secret-looking keys are learnt too).
fn config_files_of(settings: &DbSettings) -> Vec<PathBuf> {
    let sources = [
        &settings.engine.source,
        &settings.host.source,
        &settings.port.source,
        &settings.user.source,
        &settings.database.source,
        &settings.schema.source,
        &settings.tls.source,
    ];
    sources
        .into_iter()
        .chain(settings.password.as_ref().map(|p| &p.source))
        .filter_map(|source| match source {
            Source::ConfigFile(path)
            | Source::Compose { file: path, .. }
            | Source::HelmValues { file: path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect()
}
