//! The Summary's report export, run as a job: the report is built from what the wizard's steps
//! hold, with what only the job reads (the clock, user and host, the backup's manifest, the
//! secrets to mask), and written like `om-upgrade report` writes it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use tokio::sync::mpsc::UnboundedSender;

use super::event::Event;
use super::screens::summary::{ExportRequest, Written};
use crate::checks::runner::CheckResult;
use crate::config::{DbSettings, Env, Source};
use crate::report::{
    BackupFacts, DatabaseView, Inputs, Redactor, ReleaseReview, Report, Stamp, Via, WriteError,
};
use crate::version::Version;

/// A report to write: where, and what it is made of.
#[derive(Debug, Clone)]
pub struct ExportJob {
    pub request: ExportRequest,
    /// The connection as tested (its password is only used to mask it).
    pub settings: DbSettings,
    pub target: Option<Version>,
    pub results: Vec<CheckResult>,
    pub review: Option<ReleaseReview>,
    pub acknowledged: BTreeSet<String>,
    pub last_backup: Option<PathBuf>,
}

/// Writes on a blocking thread; the answer comes back as [`Event::ReportWritten`].
pub(super) fn spawn(job: ExportJob, events: UnboundedSender<Event>) {
    tokio::spawn(async move {
        let path = job.request.path.clone();
        let result = tokio::task::spawn_blocking(move || export_report(job))
            .await
            .unwrap_or_else(|error| {
                Err(WriteError::Io {
                    path,
                    reason: format!("the export stopped: {error}"),
                })
            });
        let _ = events.send(Event::ReportWritten(result));
    });
}

/// Builds the report from what the wizard's steps hold and writes it (blocking: file IO).
pub(super) fn export_report(job: ExportJob) -> Result<Written, WriteError> {
    let env = Env::from_process();
    let ExportRequest {
        path,
        format,
        replace,
        create_folder,
    } = job.request;
    if create_folder && let Some(folder) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(folder).map_err(|error| WriteError::Io {
            path: path.clone(),
            reason: format!("cannot create {}: {error}", folder.display()),
        })?;
    }
    let mut redactor = Redactor::new().with_settings(&job.settings).with_env(&env);
    // When the settings came from the server's openmetadata.yaml, its other secrets are known.
    if let Some(config) = config_file_of(&job.settings) {
        redactor = redactor.with_yaml_file(&config, &env);
    }
    let review_missing = job
        .review
        .is_none()
        .then(|| "the release review was not done in this wizard session".to_string());
    let inputs = Inputs {
        stamp: Stamp::now(&env),
        via: Via::Wizard,
        database: DatabaseView::of(&job.settings),
        target: job.target,
        results: job.results,
        backup: job
            .last_backup
            .as_deref()
            .and_then(|backup| BackupFacts::read(backup).ok()),
        review: job.review,
        review_missing,
        acknowledged: job.acknowledged,
        strict: false,
    };
    let text = format.render(&Report::build(inputs, &redactor));
    crate::report::file::write(&path, text.as_bytes(), replace)?;
    Ok(Written {
        path,
        bytes: text.len() as u64,
        format,
    })
}

/// The openmetadata.yaml any setting was read from.
fn config_file_of(settings: &DbSettings) -> Option<PathBuf> {
    let sources = [
        &settings.engine.source,
        &settings.host.source,
        &settings.port.source,
        &settings.user.source,
        &settings.database.source,
    ];
    sources
        .into_iter()
        .chain(settings.password.as_ref().map(|p| &p.source))
        .find_map(|source| match source {
            Source::ConfigFile(path) => Some(path.clone()),
            _ => None,
        })
}
