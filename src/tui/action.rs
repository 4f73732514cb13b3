//! Intents and work. A key press becomes an [`Action`] (what the operator asked for): a global
//! one, or a step's own action wrapped in its variant. The App applies it and may return
//! [`Effect`]s (work to start): the steps' own work, wrapped likewise, and the session to save.
//! The event loop runs them on tokio tasks; results come back as [`super::event::Event`]s.
//! Nothing here performs IO, so the keyboard flow is testable without a terminal or a database.

use super::screens::{backup, clients, database, releases, summary, welcome};
use crate::session::Session;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Quit; asks first while work is running.
    Quit,
    /// Quit without asking (the answer to "quit anyway?").
    QuitNow,
    /// Ctrl-C: quit now, without asking, stopping whatever runs (the loop says "quitting…"
    /// while the work winds down).
    Interrupt,
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
    Backup(backup::Action),
    Releases(releases::Action),
    Clients(clients::Action),
    Summary(summary::Action),
}

/// Work for the loop to start.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Write the session file (the latest one wins).
    SaveSession(Session),
    Database(database::Work),
    Backup(backup::Work),
    Releases(releases::Work),
    Clients(clients::Work),
    Summary(summary::Work),
}
