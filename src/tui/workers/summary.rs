//! The Summary's worker: the report export. The report is assembled (`report::assemble`, as
//! `om-upgrade report` assembles it) from what the wizard's steps hold, with what only the
//! worker reads (the clock, user and host, the backup's manifest, the secrets to mask), and
//! written like `om-upgrade report` writes it.

use super::Reply;
use crate::report::{self, BackupFacts, Stamp, WriteError};
use crate::tui::screens::summary::{ExportJob, ExportRequest, Work, WorkEvent, Written};

pub async fn run(work: Work, reply: Reply<WorkEvent>) {
    let Work::Export(job) = work;
    let path = job.request.path.clone();
    let result = tokio::task::spawn_blocking(move || export_report(*job))
        .await
        .unwrap_or_else(|error| {
            Err(WriteError::Io {
                path,
                reason: format!("the export stopped: {error}"),
            })
        });
    reply.send(WorkEvent::Written(result));
}

/// Builds the report from what the wizard's steps hold and writes it (blocking: file IO).
pub(crate) fn export_report(job: ExportJob) -> Result<Written, WriteError> {
    let ExportJob {
        request,
        mut recorded,
        last_backup,
        backup_used_anyway,
    } = job;
    let ExportRequest {
        path,
        format,
        replace,
        create_folder,
    } = request;
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
    recorded.backup = last_backup
        .as_deref()
        .and_then(|backup| BackupFacts::read(backup).ok())
        .map(|facts| BackupFacts {
            used_anyway: backup_used_anyway,
            ..facts
        });
    let stamp = Stamp::now(&recorded.files.env);
    let text = format.render(&report::assemble(recorded, stamp));
    crate::report::file::write(&path, text.as_bytes(), replace)?;
    Ok(Written {
        path,
        bytes: text.len() as u64,
        format,
    })
}
