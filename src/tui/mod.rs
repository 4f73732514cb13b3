//! The wizard: `om-upgrade` without a subcommand, on a terminal.
//!
//! # Shape
//!
//! One event loop ([`run`]) owns the [`App`]. Everything it reacts to arrives as an [`Event`] on
//! one mpsc channel: key presses and resizes (crossterm's `EventStream`, presses only), signals
//! (SIGTERM/SIGHUP/SIGINT), a tick (10 Hz, only while work runs) and the results of background
//! work. For a key, the App looks the press up in the bindings that apply now
//! ([`App::bindings`]: overlay, else the step's plus the global ones) and gets an [`Action`]
//! (an intent). [`App::update`] applies it and returns [`Effect`]s (work to start), which the
//! loop hands to [`jobs`], which runs them on tokio tasks and sends the results back as events.
//! The App never does IO and rendering (`impl Widget for &App`, in `ui.rs`) never changes it,
//! so the whole keyboard flow is testable without a terminal or a database. The loop redraws
//! after each event and otherwise sleeps (no fixed frame rate).
//!
//! # How a step is built
//!
//! Every step is built the same way, and knows nothing of the App, the loop or the other steps:
//! - **a screen** (`screens/<step>`): its state, implementing [`screens::Screen`] (status,
//!   busy, what it found, read-only render; the drawing may live in `view.rs` beside it);
//! - **its own actions**: an `Action` enum, and its keys as `Binding<Action>`s through
//!   [`screens::Keys`]; `update(action, …)` returns its own `Work`;
//! - **a worker** for its long work (`workers/<step>.rs`): `run(work, reply, cancel)` calls the
//!   core and answers with the step's `WorkEvent`s through a `workers::Reply`; the screen
//!   takes them in `on_event`, ignoring those of an older [`screens::RunId`].
//!
//! The App wraps them: a step's actions in a variant of [`Action`] (`Action::Database(..)`), its
//! work in a variant of [`Effect`], its events in a variant of [`Event`]; `jobs.rs` starts each
//! step's work on its worker and wraps what the worker sends.
//!
//! To add a check to a step, add it to the core (`checks`) and to what the step's worker runs
//! (the Database worker runs `checks::db` and the disk-space check; the Releases worker the
//! item checks of the plan); its result reaches the Summary and the report through
//! [`screens::Screen::results`]. To add a step: its screen, actions and worker as above; its
//! state in [`App`] and its arms in `App::keys_of`, `App::update_step`, `App::handle` and
//! `Jobs::start`; its [`ScreenId`](screens::ScreenId) (in `crate::session`, which keeps the
//! answers worth saving). The exported report is assembled by `report::assemble` from what the
//! steps hold ([`screens::Screen::results`], the Releases step's
//! [`screens::Screen::release_review`], the acknowledgements and the backup in
//! [`App::session`]).

pub mod action;
pub mod app;
pub mod event;
mod jobs;
pub mod keymap;
pub mod screens;
pub mod terminal;
pub mod theme;
mod ui;
pub mod widgets;
pub(crate) mod workers;

#[cfg(test)]
mod backup_tests;
#[cfg(test)]
mod clients_tests;
#[cfg(test)]
mod installation_tests;
#[cfg(test)]
mod releases_tests;
#[cfg(test)]
mod summary_tests;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod ui_tests;

use std::time::Duration;

use tokio::sync::mpsc;

pub use action::{Action, Effect};
pub use app::{App, Exit, SessionStart, Setup};
pub use event::Event;

/// Ticks per second while work runs (spinners); none while idle.
pub const TICK_HZ: u64 = 10;
pub const TICK_PERIOD: Duration = Duration::from_millis(1000 / TICK_HZ);

/// Where the wizard's log goes when RUST_LOG asks for one: `wizard.log` in the state folder,
/// since the screen is the wizard's. Without RUST_LOG (or when the file cannot be opened)
/// nothing is kept.
pub fn log_writer(env: &crate::config::Env) -> Box<dyn std::io::Write + Send> {
    if env.get("RUST_LOG").is_none() {
        return Box::new(std::io::sink());
    }
    let dir = crate::config::paths::Paths::from_env(env).state_dir;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match std::fs::create_dir_all(&dir).and_then(|()| options.open(dir.join("wizard.log"))) {
        Ok(file) => Box::new(file),
        Err(_) => Box::new(std::io::sink()),
    }
}

/// How the wizard ended, for the caller to report after the terminal is back.
#[derive(Debug)]
pub struct Ended {
    pub exit: Exit,
    /// A session file was written during this run.
    pub session_saved: bool,
    /// Panics of background tasks, with their messages.
    pub background_panics: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("cannot use the terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// Runs the wizard until the operator quits, a signal arrives or the terminal goes away.
pub async fn run(setup: Setup, state_dir: std::path::PathBuf) -> Result<Ended, TuiError> {
    let mut app = App::new(setup);
    let (tx, mut rx) = mpsc::unbounded_channel();
    event::spawn_signals(tx.clone())?;
    let mut tui = terminal::Tui::enter()?;
    event::spawn_input(tx.clone());
    let mut jobs = jobs::Jobs::new(tx, state_dir);
    let mut ticker = tokio::time::interval(TICK_PERIOD);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    #[cfg(debug_assertions)]
    let inject_panic = std::env::var_os("OM_UPGRADE_TEST_PANIC").is_some();

    let exit = loop {
        tui.draw(|frame| frame.render_widget(&app, frame.area()))?;
        let event = tokio::select! {
            event = rx.recv() => event.unwrap_or(Event::InputClosed(None)),
            _ = ticker.tick(), if app.is_busy() => Event::Tick,
        };
        // Debug builds only: lets the tests prove that a panic gives the terminal back.
        #[cfg(debug_assertions)]
        if inject_panic
            && matches!(&event, Event::Key(k) if k.code == crossterm::event::KeyCode::F(12))
        {
            panic!("injected panic (OM_UPGRADE_TEST_PANIC)");
        }
        for effect in app.handle(event) {
            jobs.start(effect);
        }
        if let Some(exit) = app.exit() {
            break exit.clone();
        }
    };
    // Work still running is stopped with the screen still up, saying "quitting…".
    if app.is_quitting() {
        let _ = tui.draw(|frame| frame.render_widget(&app, frame.area()));
    }
    let session_saved = jobs.finish().await;
    drop(tui);
    Ok(Ended {
        exit,
        session_saved,
        background_panics: terminal::take_deferred_panics(),
    })
}
