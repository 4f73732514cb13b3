//! The long work of the steps, run on tokio tasks by [`super::jobs`]: each worker takes its
//! step's `Work`, calls the core (checks, backup, knowledge, clients, report) and reports back
//! with its step's `WorkEvent`s through a [`Reply`]. Workers know neither the App nor the
//! event loop's own event type.

pub mod backup;
pub mod clients;
pub mod database;
pub mod releases;
pub mod summary;

use std::sync::Arc;

/// Where a worker sends its step's events; the loop wraps them into its own.
pub struct Reply<E> {
    send: Arc<dyn Fn(E) -> bool + Send + Sync>,
}

impl<E> Clone for Reply<E> {
    fn clone(&self) -> Self {
        Reply {
            send: self.send.clone(),
        }
    }
}

impl<E> Reply<E> {
    /// `send` delivers an event and says whether anyone still listens.
    pub fn new(send: impl Fn(E) -> bool + Send + Sync + 'static) -> Reply<E> {
        Reply {
            send: Arc::new(send),
        }
    }

    /// Sends `event`; false when the wizard is gone.
    pub fn send(&self, event: E) -> bool {
        (self.send)(event)
    }
}
