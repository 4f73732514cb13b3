//! The release review of the Releases step: the installed version from the database, the
//! upgrade plan, the operator's files scanned, every probe run (read-only) through the checks
//! runner with each item reported as it goes, and every item judged.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Reply;
use crate::checks::release::{self, ProbeBoard};
use crate::checks::{CheckId, Context};
use crate::knowledge::{self, review::Database};
use crate::tui::screens::releases::{Finished, ReviewError, ReviewJob, Work, WorkEvent};

pub async fn run(work: Work, reply: Reply<WorkEvent>, cancel: CancellationToken) {
    let Work::Review(job) = work;
    let run = job.run;
    let started = std::time::Instant::now();
    let ctx = Arc::new(
        Context::new(
            job.settings.clone(),
            Some(job.target.clone()),
            job.backup_dir.clone(),
        )
        .with_catalogue(job.catalogue.clone())
        .with_files(job.files.clone()),
    );
    let result = tokio::select! {
        result = probe_and_review(&job, &ctx, &reply) => result,
        // Probes only read: stopping midway leaves nothing behind.
        () = cancel.cancelled() => return,
    };
    ctx.close().await;
    reply.send(WorkEvent::Reviewed {
        run,
        result: Box::new(result),
        took: started.elapsed(),
    });
}

async fn probe_and_review(
    job: &ReviewJob,
    ctx: &Arc<Context>,
    reply: &Reply<WorkEvent>,
) -> Result<Finished, ReviewError> {
    let run = job.run;
    let installed = release::installed_from_db(ctx)
        .await
        .map_err(ReviewError::Installed)?;
    let plan = job
        .catalogue
        .plan_for(&installed, &job.target)
        .map_err(|error| ReviewError::Plan(Arc::new(error)))?;
    let probes = plan
        .items
        .iter()
        .filter(|i| !i.probes.is_empty())
        .map(|i| {
            (
                CheckId::owned(i.check_id()),
                format!("{} ({})", i.title, i.release),
            )
        })
        .collect();
    reply.send(WorkEvent::Planned {
        run,
        from: installed.clone(),
        probes,
    });
    let scan = job.files.scan(&plan.items);
    // The item checks judge the plan's items with this scan rather than scanning again.
    ctx.share_scan(scan.clone());
    let board: ProbeBoard = Arc::new(Mutex::new(BTreeMap::new()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let forward_to = reply.clone();
    let forward = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            forward_to.send(WorkEvent::Probe { run, event });
        }
    });
    let (server, results) = release::probe_items(ctx.clone(), &plan, &board, Some(tx)).await;
    let _ = forward.await;
    let database = Database::Probed {
        probes: board.lock().map(|b| b.clone()).unwrap_or_default(),
        server,
    };
    let files = [&job.files.server_config, &job.files.workflows]
        .into_iter()
        .flatten()
        .flat_map(|path| crate::session::fingerprints(path))
        .collect();
    Ok(Finished {
        review: knowledge::review::review(&job.catalogue, &plan, database, scan, &job.elsewhere),
        results,
        elsewhere: job.elsewhere.clone(),
        files,
    })
}
