//! Progress of an upload, sent as events so the command line and the wizard draw the same bar.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::VerifiedBy;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadEvent {
    Started {
        url: String,
        bytes: u64,
    },
    /// At most ten times per second, and once when everything was sent.
    Sent {
        url: String,
        sent: u64,
        total: u64,
    },
    Verifying {
        url: String,
        by: VerifiedBy,
    },
    Verified {
        url: String,
    },
}

const PERIOD: Duration = Duration::from_millis(100);

/// Sends upload events, throttled; a reporter without a channel reports nothing.
pub(crate) struct UploadReporter {
    tx: Option<UnboundedSender<UploadEvent>>,
    url: String,
    total: u64,
    sent: u64,
    last: Option<Instant>,
}

impl UploadReporter {
    pub(crate) fn new(tx: Option<UnboundedSender<UploadEvent>>, url: &str, total: u64) -> Self {
        UploadReporter {
            tx,
            url: url.to_string(),
            total,
            sent: 0,
            last: None,
        }
    }

    pub(crate) fn send(&self, event: UploadEvent) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(event);
        }
    }

    pub(crate) fn started(&self) {
        self.send(UploadEvent::Started {
            url: self.url.clone(),
            bytes: self.total,
        });
    }

    pub(crate) fn add(&mut self, bytes: u64) {
        self.sent += bytes;
        let due = self.last.is_none_or(|last| last.elapsed() >= PERIOD);
        if self.tx.is_some() && (due || self.sent >= self.total) {
            self.last = Some(Instant::now());
            self.send(UploadEvent::Sent {
                url: self.url.clone(),
                sent: self.sent,
                total: self.total,
            });
        }
    }

    pub(crate) fn verifying(&self, by: VerifiedBy) {
        self.send(UploadEvent::Verifying {
            url: self.url.clone(),
            by,
        });
    }

    pub(crate) fn verified(&self) {
        self.send(UploadEvent::Verified {
            url: self.url.clone(),
        });
    }
}
