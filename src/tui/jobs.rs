//! Runs [`Effect`]s on tokio tasks and reports back on the event channel. At most one session
//! write is in flight; later sessions replace a pending one, so the newest always lands last.
//! Every step's job gets a cancellation token: `Effect::Cancel` stops one, and on the way out
//! all are cancelled and awaited (briefly), so a backup removes its partial file before the
//! process ends.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::action::{CheckJob, Effect, JobId};
use super::event::Event;
use super::export;
use super::screens::database::is_connection_check;
use super::screens::{ScreenId, backup, clients, releases};
use super::workers;
use crate::checks::runner::{self, CheckEvent};
use crate::checks::{self, Context};
use crate::db::Db;
use crate::session::{self, Session};

/// How long quitting waits for cancelled jobs to clean up.
const WIND_DOWN: Duration = Duration::from_secs(5);

/// The event a job's step gets when the job's task dies.
type Crashed = Box<dyn FnOnce(String) -> Event + Send>;

struct Running {
    id: Option<JobId>,
    cancel: CancellationToken,
    handle: JoinHandle<()>,
}

pub struct Jobs {
    events: mpsc::UnboundedSender<Event>,
    session_tx: watch::Sender<Option<Session>>,
    writer: JoinHandle<bool>,
    running: Vec<Running>,
}

impl Jobs {
    pub fn new(events: mpsc::UnboundedSender<Event>, state_dir: PathBuf) -> Jobs {
        let (session_tx, session_rx) = watch::channel(None);
        let writer = tokio::spawn(write_sessions(session_rx, state_dir, events.clone()));
        Jobs {
            events,
            session_tx,
            writer,
            running: Vec::new(),
        }
    }

    pub fn start(&mut self, effect: Effect) {
        match effect {
            Effect::ExportReport(job) => export::spawn(*job, self.events.clone()),
            Effect::RunChecks(job) => {
                tokio::spawn(run_checks(*job, self.events.clone()));
            }
            Effect::SaveSession(session) => {
                self.session_tx.send_replace(Some(session));
            }
            Effect::Backup(work) => {
                let id = work.run_id().map(|run| JobId {
                    step: ScreenId::Backup,
                    run,
                });
                let crashed: Option<Crashed> = id.map(|id| -> Crashed {
                    Box::new(move |reason| {
                        Event::Backup(backup::WorkEvent::Crashed {
                            run: id.run,
                            reason,
                        })
                    })
                });
                let events = self.events.clone();
                self.spawn(id, crashed, |cancel| {
                    workers::backup::run(work, events, cancel)
                });
            }
            Effect::Releases(work) => {
                let run = work.run_id();
                let crashed: Crashed = Box::new(move |reason| {
                    Event::Releases(releases::WorkEvent::Crashed { run, reason })
                });
                let events = self.events.clone();
                let id = JobId {
                    step: ScreenId::Releases,
                    run,
                };
                self.spawn(Some(id), Some(crashed), |cancel| {
                    workers::releases::run(work, events, cancel)
                });
            }
            Effect::Clients(work) => {
                let run = work.run_id();
                let crashed: Crashed = Box::new(move |reason| {
                    Event::Clients(clients::WorkEvent::Crashed { run, reason })
                });
                let events = self.events.clone();
                let id = JobId {
                    step: ScreenId::Clients,
                    run,
                };
                self.spawn(Some(id), Some(crashed), |cancel| {
                    workers::clients::run(work, events, cancel)
                });
            }
            Effect::Cancel(id) => {
                for job in self.running.iter().filter(|j| j.id == Some(id)) {
                    job.cancel.cancel();
                }
            }
        }
    }

    fn spawn<F, Fut>(&mut self, id: Option<JobId>, crashed: Option<Crashed>, work: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.running.retain(|job| !job.handle.is_finished());
        let cancel = CancellationToken::new();
        let task = tokio::spawn(work(cancel.clone()));
        let events = self.events.clone();
        let handle = tokio::spawn(async move {
            if let Err(error) = task.await
                && let Some(crashed) = crashed
            {
                let reason = if error.is_panic() {
                    "a background task panicked".to_string()
                } else {
                    error.to_string()
                };
                let _ = events.send(crashed(reason));
            }
        });
        self.running.push(Running { id, cancel, handle });
    }

    /// Cancels every job still running and waits (briefly) for them to clean up, then for the
    /// last session to be written; true when one was saved this run.
    pub async fn finish(self) -> bool {
        for job in &self.running {
            job.cancel.cancel();
        }
        let jobs = futures_util::future::join_all(self.running.into_iter().map(|j| j.handle));
        let _ = tokio::time::timeout(WIND_DOWN, jobs).await;
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
