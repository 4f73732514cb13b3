//! Everything the event loop reacts to, on one channel: terminal input, the tick, signals, the
//! session writer's answer and the steps' workers' events (each wrapped in its step's variant).

use std::io;

use crossterm::event::{Event as TermEvent, EventStream, KeyEvent};
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::screens::{backup, clients, database, releases, summary};
use crate::session::SessionError;

#[derive(Debug)]
pub enum Event {
    /// A key press (releases and repeats of other kinds are dropped at the source).
    Key(KeyEvent),
    /// The terminal changed size; the next draw adapts.
    Resize,
    /// Animation while work runs.
    Tick,
    SessionSaved(Result<(), SessionError>),
    Database(database::WorkEvent),
    Backup(backup::WorkEvent),
    Releases(releases::WorkEvent),
    Clients(clients::WorkEvent),
    Summary(summary::WorkEvent),
    /// SIGTERM, SIGHUP or SIGINT: leave now, restoring the terminal.
    Signal(Signal),
    /// The terminal input ended or broke (e.g. the SSH session went away).
    InputClosed(Option<io::Error>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Terminate,
    Hangup,
    Interrupt,
}

impl Signal {
    /// The conventional exit code of a process stopped by this signal (128 + number).
    pub fn exit_code(self) -> i32 {
        128 + match self {
            Signal::Hangup => 1,
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
        }
    }
}

/// The terminal events the App cares about: key presses (not releases or repeats, which
/// terminals with the kitty protocol or Windows report, and which would double every key) and
/// resizes.
pub fn translate(event: TermEvent) -> Option<Event> {
    match event {
        TermEvent::Key(key) if key.is_press() => Some(Event::Key(key)),
        TermEvent::Resize(..) => Some(Event::Resize),
        _ => None,
    }
}

/// Forwards key presses and resizes until the receiver is gone or input ends.
pub fn spawn_input(tx: UnboundedSender<Event>) {
    tokio::spawn(async move {
        let mut stream = EventStream::new();
        loop {
            let next = tokio::select! {
                () = tx.closed() => return,
                next = stream.next() => next,
            };
            let event = match next {
                Some(Ok(event)) => match translate(event) {
                    Some(event) => event,
                    None => continue,
                },
                Some(Err(error)) => Event::InputClosed(Some(error)),
                None => Event::InputClosed(None),
            };
            let last = matches!(event, Event::InputClosed(_));
            if tx.send(event).is_err() || last {
                return;
            }
        }
    });
}

/// Turns SIGTERM, SIGHUP and SIGINT into events, so the loop restores the terminal on its way
/// out. (In raw mode Ctrl-C is a key, not a signal; SIGINT comes from `kill`.)
pub fn spawn_signals(tx: UnboundedSender<Event>) -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        loop {
            let which = tokio::select! {
                () = tx.closed() => return,
                _ = term.recv() => Signal::Terminate,
                _ = hup.recv() => Signal::Hangup,
                _ = int.recv() => Signal::Interrupt,
            };
            if tx.send(Event::Signal(which)).is_err() {
                return;
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEventKind, KeyEventState, KeyModifiers};

    fn key(kind: KeyEventKind) -> TermEvent {
        TermEvent::Key(KeyEvent {
            code: KeyCode::Char('q'),
            modifiers: KeyModifiers::NONE,
            kind,
            state: KeyEventState::NONE,
        })
    }

    #[test]
    fn only_presses_and_resizes_get_through() {
        assert!(matches!(
            translate(key(KeyEventKind::Press)),
            Some(Event::Key(_))
        ));
        assert!(translate(key(KeyEventKind::Release)).is_none());
        assert!(translate(key(KeyEventKind::Repeat)).is_none());
        assert!(matches!(
            translate(TermEvent::Resize(100, 40)),
            Some(Event::Resize)
        ));
        assert!(translate(TermEvent::FocusGained).is_none());
    }

    #[test]
    fn signals_exit_like_the_shell_expects() {
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Hangup.exit_code(), 129);
        assert_eq!(Signal::Interrupt.exit_code(), 130);
    }
}
