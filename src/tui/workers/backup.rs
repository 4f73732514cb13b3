//! Takes, verifies, test-restores and finds backups for the Backup step, with the progress
//! events of the backup module stamped with the time since the work started.

use std::time::Instant;

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Reply;
use crate::backup::progress::{ProgressEvent, Reporter};
use crate::backup::{locate, rehearse, take, verify};
use crate::config::Env;
use crate::store::{Copied, Store, StoreError, StoreOptions, UploadEvent};
use crate::tui::screens::RunId;
use crate::tui::screens::backup::{Work, WorkEvent};

pub async fn run(work: Work, reply: Reply<WorkEvent>, cancel: CancellationToken) {
    let send = |event: WorkEvent| {
        reply.send(event);
    };
    match work {
        Work::Take { run, request } => {
            let mut request = *request;
            // The result names the file by this folder: absolute, so it reads the same anywhere.
            request.output_dir = std::path::absolute(&request.output_dir)
                .unwrap_or_else(|_| request.output_dir.clone());
            let (progress, forward) = forward_progress(run, reply.clone());
            let result = take::take(&request, Some(progress), cancel).await;
            let _ = forward.await;
            send(WorkEvent::Taken {
                run,
                result: Box::new(result),
            });
        }
        Work::Verify { run, path } => {
            let (progress, forward) = forward_progress(run, reply.clone());
            let checked = tokio::task::spawn_blocking(move || {
                let reporter = Reporter::new(Some(progress));
                let report = verify::verify(&path, None, &reporter);
                if let Ok(report) = &report {
                    // Recorded in the manifest, as `om-upgrade verify` does, for the list.
                    let _ = verify::record(report, false);
                }
                report
            })
            .await;
            let _ = forward.await;
            send(match checked {
                Ok(result) => WorkEvent::Verified {
                    run,
                    result: Box::new(result),
                },
                Err(error) => WorkEvent::Crashed {
                    run,
                    reason: error.to_string(),
                },
            });
        }
        Work::TestRestore {
            run,
            path,
            manifest,
            server,
            scratch,
        } => {
            let scratch = server.with_database(&scratch);
            let (progress, forward) = forward_progress(run, reply.clone());
            let result =
                rehearse::check_in_scratch(&path, &manifest, &scratch, Some(progress), cancel)
                    .await;
            let _ = forward.await;
            if let Ok(check) = &result {
                let _ = rehearse::record(&path, &manifest, check);
            }
            send(WorkEvent::Restored {
                run,
                result: Box::new(result),
            });
        }
        Work::Copy { run, path, url } => {
            let result = copy_off(run, &path, &url, reply.clone(), &cancel).await;
            send(WorkEvent::Copied {
                run,
                result: Box::new(result),
            });
        }
        Work::Find { dirs } => {
            let found = tokio::task::spawn_blocking(move || locate::find(&dirs))
                .await
                .unwrap_or_default();
            send(WorkEvent::Found(found));
        }
        // The loop stops the job itself.
        Work::Cancel(_) => {}
    }
}

/// Opens the destination (credentials from the process's standard chain), checks it, and
/// copies the backup there, forwarding the bytes sent.
async fn copy_off(
    run: RunId,
    path: &std::path::Path,
    url: &str,
    reply: Reply<WorkEvent>,
    cancel: &CancellationToken,
) -> Result<Copied, StoreError> {
    let store = Store::open(url, &StoreOptions::default(), &Env::from_process())?;
    store.check().await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let forward = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let UploadEvent::Sent { sent, total, .. } = event
                && !reply.send(WorkEvent::Uploading { run, sent, total })
            {
                return;
            }
        }
    });
    let result = store.copy_backup(path, Some(tx), cancel).await;
    let _ = forward.await;
    result
}

/// A progress channel for the backup module whose events reach the App with their time.
fn forward_progress(
    run: RunId,
    reply: Reply<WorkEvent>,
) -> (UnboundedSender<ProgressEvent>, JoinHandle<()>) {
    let started = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            let progress = WorkEvent::Progress {
                run,
                elapsed: started.elapsed(),
                event,
            };
            if !reply.send(progress) {
                return;
            }
        }
    });
    (tx, handle)
}
