//! Runs [`Effect`]s on tokio tasks and reports back on the event channel. At most one session
//! write is in flight; later sessions replace a pending one, so the newest always lands last.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::action::{CheckJob, Effect};
use super::event::Event;
use super::export;
use super::screens::database::is_connection_check;
use super::session::{self, Session};
use crate::checks::runner::{self, CheckEvent};
use crate::checks::{self, Context};
use crate::db::Db;

pub struct Jobs {
    events: mpsc::UnboundedSender<Event>,
    session_tx: watch::Sender<Option<Session>>,
    writer: JoinHandle<bool>,
}

impl Jobs {
    pub fn new(events: mpsc::UnboundedSender<Event>, state_dir: PathBuf) -> Jobs {
        let (session_tx, session_rx) = watch::channel(None);
        let writer = tokio::spawn(write_sessions(session_rx, state_dir, events.clone()));
        Jobs {
            events,
            session_tx,
            writer,
        }
    }

    pub fn start(&self, effect: Effect) {
        match effect {
            Effect::ExportReport(job) => export::spawn(*job, self.events.clone()),
            Effect::RunChecks(job) => {
                tokio::spawn(run_checks(*job, self.events.clone()));
            }
            Effect::SaveSession(session) => {
                self.session_tx.send_replace(Some(session));
            }
        }
    }

    /// Waits (briefly) for the last session to be written; true when one was saved this run.
    pub async fn finish(self) -> bool {
        drop(self.session_tx);
        tokio::time::timeout(Duration::from_secs(3), self.writer)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(false)
    }
}

async fn write_sessions(
    mut rx: watch::Receiver<Option<Session>>,
    state_dir: PathBuf,
    events: mpsc::UnboundedSender<Event>,
) -> bool {
    let mut saved_any = false;
    while rx.changed().await.is_ok() {
        let Some(session) = rx.borrow_and_update().clone() else {
            continue;
        };
        let dir = state_dir.clone();
        let written =
            tokio::task::spawn_blocking(move || session::save(&dir, &session, chrono::Utc::now()))
                .await;
        let result = match written {
            Ok(Ok(_)) => {
                saved_any = true;
                Ok(())
            }
            Ok(Err(error)) => Err(error),
            Err(join) => Err(session::SessionError::Write {
                dir: state_dir.clone(),
                reason: join.to_string(),
            }),
        };
        let _ = events.send(Event::SessionSaved(result));
    }
    saved_any
}

async fn run_checks(job: CheckJob, events: mpsc::UnboundedSender<Event>) {
    let run = job.run;
    let work = tokio::spawn(check_run(job, events.clone()));
    if let Err(error) = work.await {
        let reason = if error.is_panic() {
            "a background task panicked".to_string()
        } else {
            error.to_string()
        };
        let _ = events.send(Event::ChecksCrashed { run, reason });
    }
}

pub(super) async fn check_run(job: CheckJob, events: mpsc::UnboundedSender<Event>) {
    let run = job.run;
    let no_password = job.settings.password.is_none();
    let settings = job.settings.clone();
    let ctx = Context::new(job.settings, job.target, job.backup_dir);
    let selected: Vec<_> = checks::all(&ctx)
        .into_iter()
        .filter(|check| is_connection_check(&check.id))
        .collect();
    let planned = selected
        .iter()
        .map(|c| (c.id.clone(), c.title.to_string()))
        .collect();
    let _ = events.send(Event::ChecksPlanned {
        run,
        checks: planned,
    });
    // Connect here rather than inside db.connect, to learn from the typed error whether the
    // server wants a password; the check then reports on this same attempt.
    let _ = events.send(Event::Check {
        run,
        event: CheckEvent::Started(checks::db::CONNECT),
    });
    let connection = Db::connect(&settings).await;
    if no_password && matches!(&connection, Err(e) if e.is_auth_failure()) {
        let _ = events.send(Event::PasswordNeeded { run });
    }
    let ctx = Arc::new(ctx.with_connection(connection));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let forward_to = events.clone();
    let forward = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            let _ = forward_to.send(Event::Check { run, event });
        }
    });
    runner::run(selected, ctx.clone(), Some(tx)).await;
    ctx.close().await;
    // The runner dropped its sender: the forwarder drains what is left and ends.
    let _ = forward.await;
    let _ = events.send(Event::ChecksDone { run });
}
