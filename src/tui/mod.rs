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
//! # Adding a step
//!
//! A step is one module under `screens/` with a state struct implementing [`screens::Screen`]
//! (bindings, status, busy, read-only render), its own `Action` enum wrapped in a variant of
//! [`Action`], an `update` returning effects, and `on_…` methods for its worker events. To land
//! one: add its state to [`App`], route its action and events in
//! `App::update`/`App::handle`, add its `Effect` and `Event` variants and their runner in
//! `jobs.rs`, and add its answers to
//! [`crate::session::Session`]. What it found reaches the Summary and the exported report through
//! [`screens::Screen::results`] (its check results) and, for the Releases step,
//! [`screens::Screen::release_review`] (`report::ReleaseReview::from_impacts` over its judged
//! items), plus the acknowledgements and last backup in [`App::session`].

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
    drop(tui);
    let session_saved = jobs.finish().await;
    Ok(Ended {
        exit,
        session_saved,
        background_panics: terminal::take_deferred_panics(),
    })
}
