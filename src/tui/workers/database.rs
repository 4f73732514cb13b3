//! The Database step's connection test: the database checks, the rest of the installation
//! (search engine, running server, secrets key) and the room for a backup, run by the shared
//! runner with each check reported as it starts and ends. It connects first itself,
//! to learn from the typed error whether the server wants a password the form does not have.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Reply;
use crate::checks::runner::{self, CheckEvent};
use crate::checks::{self, Check, Context, Step};
use crate::db::Db;
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
    let settings = job.settings.clone();
    let ctx =
        Context::new(job.settings, job.target, job.backup_dir).with_installation(job.installation);
    let selected = connection_checks(&ctx);
    let planned = selected
        .iter()
        .map(|c| (c.id.clone(), c.title.to_string()))
        .collect();
    reply.send(WorkEvent::Planned {
        run,
        checks: planned,
    });
    // Connect here rather than inside db.connect, to learn from the typed error whether the
    // server wants a password; the check then reports on this same attempt.
    reply.send(WorkEvent::Check {
        run,
        event: CheckEvent::Started(checks::db::CONNECT),
    });
    let connection = Db::connect(&settings).await;
    if no_password && matches!(&connection, Err(e) if e.is_auth_failure()) {
        reply.send(WorkEvent::PasswordNeeded { run });
    }
    let ctx = Arc::new(ctx.with_connection(connection));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let forward_to = reply.clone();
    let forward = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            forward_to.send(WorkEvent::Check { run, event });
        }
    });
    runner::run(selected, ctx.clone(), Some(tx)).await;
    ctx.close().await;
    // The runner dropped its sender: the forwarder drains what is left and ends.
    let _ = forward.await;
    reply.send(WorkEvent::Done { run });
}
