//! Intents and work. A key press becomes an [`Action`] (what the operator asked for); the App
//! applies it and may return [`Effect`]s (work to start), which the event loop runs on tokio
//! tasks. Results come back as [`super::event::Event`]s. Nothing here performs IO, so the
//! keyboard flow is testable without a terminal or a database.

use std::path::PathBuf;

use super::screens::{database, summary, welcome};
use super::session::Session;
use crate::config::DbSettings;
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
    Welcome(welcome::Action),
    Database(database::Action),
    Summary(summary::Action),
}

/// Work for the loop to start.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Run the database checks with these settings; events carry `run`.
    RunChecks(Box<CheckJob>),
    /// Write the session file (the latest one wins).
    SaveSession(Session),
    /// Build the report from what the steps hold and write it.
    ExportReport(Box<ExportJob>),
}

/// Identifies one connection test, so results of an older test are never taken for a newer one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub u64);

/// A report to write: where, and what it is made of (the stamp, the backup's manifest and the
/// secrets to mask are read by the job).
#[derive(Debug, Clone)]
pub struct ExportJob {
    pub request: summary::ExportRequest,
    /// The connection as tested (its password is only used to mask it).
    pub settings: DbSettings,
    pub target: Option<Version>,
    pub results: Vec<crate::checks::runner::CheckResult>,
    pub review: Option<crate::report::ReleaseReview>,
    pub acknowledged: std::collections::BTreeSet<String>,
    pub last_backup: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct CheckJob {
    pub run: RunId,
    pub settings: DbSettings,
    pub target: Option<Version>,
    pub backup_dir: PathBuf,
}
