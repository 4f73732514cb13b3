//! Runs [`Effect`]s on tokio tasks: each step's work on its worker (`workers::<step>`), whose
//! events come back on the event channel wrapped in the step's variant. At most one session
//! write is in flight; later sessions replace a pending one, so the newest always lands last.
//! Every step's job gets a cancellation token: a step's `Cancel` work stops one, and on the way
//! out all are cancelled and awaited (briefly), so a backup removes its partial file before the
//! process ends.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::action::Effect;
use super::event::Event;
use super::screens::{RunId, ScreenId, backup, clients, database, releases};
use super::workers::{self, Reply};
use crate::session::{self, Session};

/// How long quitting waits for cancelled jobs to clean up.
const WIND_DOWN: Duration = Duration::from_secs(5);

/// The event a job's step gets when the job's task dies.
type Crashed = Box<dyn FnOnce(String) -> Event + Send>;

fn crashed(event: impl FnOnce(String) -> Event + Send + 'static) -> Option<Crashed> {
    Some(Box::new(event))
}

/// A cancellable job: the step that started it and its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct JobId {
    step: ScreenId,
    run: RunId,
}

impl JobId {
    fn new(step: ScreenId, run: RunId) -> JobId {
        JobId { step, run }
    }
}

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
            Effect::SaveSession(session) => {
                self.session_tx.send_replace(Some(session));
            }
            Effect::Database(work) => {
                let run = work.run_id();
                let crashed = crashed(move |reason| {
                    Event::Database(database::WorkEvent::Crashed { run, reason })
                });
                let reply = self.reply(Event::Database);
                self.spawn(
                    Some(JobId::new(ScreenId::Database, run)),
                    crashed,
                    |cancel| workers::database::run(work, reply, cancel),
                );
            }
            Effect::Backup(backup::Work::Cancel(run)) => {
                self.cancel(JobId::new(ScreenId::Backup, run));
            }
            Effect::Backup(work) => {
                let id = work.run_id().map(|run| JobId::new(ScreenId::Backup, run));
                let crashed = id.and_then(|id| {
                    crashed(move |reason| {
                        Event::Backup(backup::WorkEvent::Crashed {
                            run: id.run,
                            reason,
                        })
                    })
                });
                let reply = self.reply(Event::Backup);
                self.spawn(id, crashed, |cancel| {
                    workers::backup::run(work, reply, cancel)
                });
            }
            Effect::Releases(work) => {
                let run = work.run_id();
                let crashed = crashed(move |reason| {
                    Event::Releases(releases::WorkEvent::Crashed { run, reason })
                });
                let reply = self.reply(Event::Releases);
                self.spawn(
                    Some(JobId::new(ScreenId::Releases, run)),
                    crashed,
                    |cancel| workers::releases::run(work, reply, cancel),
                );
            }
            Effect::Clients(work) => {
                let run = work.run_id();
                let crashed = crashed(move |reason| {
                    Event::Clients(clients::WorkEvent::Crashed { run, reason })
                });
                let reply = self.reply(Event::Clients);
                self.spawn(
                    Some(JobId::new(ScreenId::Clients, run)),
                    crashed,
                    |cancel| workers::clients::run(work, reply, cancel),
                );
            }
            Effect::Summary(work) => {
                let reply = self.reply(Event::Summary);
                self.spawn(None, None, |_| workers::summary::run(work, reply));
            }
        }
    }

    /// Where a step's worker sends its events: into the loop, wrapped by `wrap`.
    fn reply<E: 'static>(&self, wrap: fn(E) -> Event) -> Reply<E> {
        let events = self.events.clone();
        Reply::new(move |event| events.send(wrap(event)).is_ok())
    }

    fn cancel(&self, id: JobId) {
        for job in self.running.iter().filter(|j| j.id == Some(id)) {
            job.cancel.cancel();
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
