//! The Database step's connection test: the database checks, the rest of the installation
//! (search engine, running server, secrets key) and the room for a backup, run by the shared
//! runner with each check reported as it starts and ends. The connection attempt is
//! `db.connect`'s own (so it reports the attempt's duration); its typed error, kept by the
//! context, tells whether the server wants a password the form does not have.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Reply;
use crate::checks::runner;
use crate::checks::{self, Check, Context, Step};
use crate::config::naming::Naming;
use crate::tui::screens::database::{TestJob, Work, WorkEvent};

pub async fn run(work: Work, reply: Reply<WorkEvent>, cancel: CancellationToken) {
    let Work::Test(job) = work;
    tokio::select! {
        () = test(*job, &reply) => {}
        // The checks only read: stopping midway leaves nothing behind.
        () = cancel.cancelled() => {}
    }
}

/// The checks of a connection test, in the registry's order: every check of the Database step
/// (the migration's rights, charset and history included) and of the Installation step (the
/// search engine, the running server, the secrets key), and the room for a backup.
pub(crate) fn connection_checks(ctx: &Context) -> Vec<Check> {
    checks::of_steps(ctx, &[Step::Database, Step::Installation, Step::Backup])
        .into_iter()
        .filter(|check| check.step != Some(Step::Backup) || check.id == checks::backup::DISK_SPACE)
        .collect()
}

pub(crate) async fn test(job: TestJob, reply: &Reply<WorkEvent>) {
    let run = job.run;
    let no_password = job.settings.password.is_none();
    let ctx = Arc::new(
        Context::new(job.settings, job.target, job.backup_dir)
            .with_installation(job.installation)
            // The operator reads the advice beside the connection form: named as its fields.
            .with_naming(Naming::Form),
    );
    let selected = connection_checks(&ctx);
    let planned = selected
        .iter()
        .map(|c| (c.id.clone(), c.title.to_string()))
        .collect();
    reply.send(WorkEvent::Planned {
        run,
        checks: planned,
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let forward_to = reply.clone();
    let forward = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            forward_to.send(WorkEvent::Check { run, event });
        }
    });
    // db.connect makes the connection attempt itself, so its duration is the attempt's.
    runner::run(selected, ctx.clone(), Some(tx)).await;
    // The runner dropped its sender: the forwarder drains what is left and ends.
    let _ = forward.await;
    // The attempt's typed error (kept by the context, not tried again) tells whether the
    // server wants a password the form does not have.
    if no_password && matches!(ctx.db().await, Err(e) if e.is_auth_failure()) {
        reply.send(WorkEvent::PasswordNeeded { run });
    }
    ctx.close().await;
    reply.send(WorkEvent::Done { run });
}
