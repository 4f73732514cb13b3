//! Intents and work. A key press becomes an [`Action`] (what the operator asked for); the App
//! applies it and may return [`Effect`]s (work to start), which the event loop runs on tokio
//! tasks. Results come back as [`super::event::Event`]s. Nothing here performs IO, so the
//! keyboard flow is testable without a terminal or a database.

use std::path::PathBuf;

use super::screens::{ScreenId, backup, clients, database, releases, summary, welcome};
use crate::config::DbSettings;
use crate::session::Session;
use crate::version::Version;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Quit; asks first while work is running.
    Quit,
    /// Quit without asking (the answer to "quit anyway?").
    QuitNow,
    ToggleHelp,
    /// Close the open overlay (help, question).
    CloseOverlay,
    NextStep,
    PrevStep,
    /// Take the saved session offered at start.
    Resume,
    /// Ignore the saved session offered at start.
    StartFresh,
    Summary(summary::Action),
    Welcome(welcome::Action),
    Database(database::Action),
    Backup(backup::Action),
    Releases(releases::Action),
    Clients(clients::Action),
}

/// Work for the loop to start.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Build the report from what the steps hold and write it.
    ExportReport(Box<super::export::ExportJob>),
    /// Run the database checks with these settings; events carry `run`.
    RunChecks(Box<CheckJob>),
    /// Write the session file (the latest one wins).
    SaveSession(Session),
    Backup(backup::Work),
    Releases(releases::Work),
    Clients(clients::Work),
    /// Stop a running job (its step says how it ends).
    Cancel(JobId),
}

/// Identifies one connection test, so results of an older test are never taken for a newer one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub u64);

/// A cancellable job: the step that started it and its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobId {
    pub step: ScreenId,
    pub run: RunId,
}

#[derive(Debug, Clone)]
pub struct CheckJob {
    pub run: RunId,
    pub settings: DbSettings,
    pub target: Option<Version>,
    pub backup_dir: PathBuf,
}
