//! Entering and leaving the full-screen terminal, on every path out: normal return, error
//! (`Drop`), panic on the UI thread (a panic hook that restores, then chains to the previous
//! hook), and signals (turned into events by `event.rs`, so the loop returns normally).
//!
//! A panic on another thread (a check's task) is not the UI's end: the runner turns it into a
//! failed check. Its message is kept and printed once the terminal is back, instead of being
//! written over the screen.

use std::io::{self, Stdout, stdout};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::thread::ThreadId;

use crossterm::cursor::Show;
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Raw mode and the alternate screen are on.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static UI_THREAD: OnceLock<ThreadId> = OnceLock::new();
static HOOK: Once = Once::new();
/// Panics of other threads while the screen was ours, to print after restoring.
static DEFERRED_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The terminal while the wizard owns it; dropping it gives it back.
pub struct Tui {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Tui {
    /// Raw mode, alternate screen, hidden cursor; installs the panic hook once.
    pub fn enter() -> io::Result<Tui> {
        let _ = UI_THREAD.set(std::thread::current().id());
        HOOK.call_once(install_panic_hook);
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let entered = execute!(stdout(), EnterAlternateScreen)
            .and_then(|()| Terminal::new(CrosstermBackend::new(stdout())));
        match entered {
            Ok(mut terminal) => {
                terminal.hide_cursor()?;
                terminal.clear()?;
                Ok(Tui { terminal })
            }
            Err(error) => {
                restore();
                Err(error)
            }
        }
    }
}

impl Deref for Tui {
    type Target = Terminal<CrosstermBackend<Stdout>>;
    fn deref(&self) -> &Self::Target {
        &self.terminal
    }
}

impl DerefMut for Tui {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.terminal
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        restore();
    }
}

/// Gives the terminal back: cooked mode, main screen, visible cursor. Safe to call twice.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        // Raw mode first: it has more effect than the screen switch. Failures here have nowhere
        // better to go than stderr, which is the normal screen again by now.
        if let Err(error) = disable_raw_mode() {
            eprintln!("om-upgrade: could not leave raw mode: {error} (run `reset`)");
        }
        if let Err(error) = execute!(stdout(), LeaveAlternateScreen, Show) {
            eprintln!("om-upgrade: could not restore the screen: {error} (run `reset`)");
        }
    }
}

/// Panic messages of background threads, collected while the screen was in use.
pub fn take_deferred_panics() -> Vec<String> {
    DEFERRED_PANICS
        .lock()
        .map(|mut panics| std::mem::take(&mut *panics))
        .unwrap_or_default()
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let on_ui = UI_THREAD.get() == Some(&std::thread::current().id());
        if ACTIVE.load(Ordering::SeqCst) && !on_ui {
            if let Ok(mut panics) = DEFERRED_PANICS.lock() {
                panics.push(info.to_string());
            }
            return;
        }
        restore();
        previous(info);
    }));
}
