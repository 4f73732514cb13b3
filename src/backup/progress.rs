//! Progress of long work (backup, restore, verify), sent as events so the command line and the
//! wizard draw the same thing.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

/// What a long-running backup, restore or verification reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// The plan: how many tables and about how much.
    Started {
        tables: usize,
        rows_estimate: u64,
        bytes_estimate: u64,
    },
    TableStarted {
        index: usize,
        name: String,
        rows_estimate: u64,
    },
    /// At most a few times per second.
    Progress {
        table_rows: u64,
        total_rows: u64,
        bytes: u64,
    },
    TableDone {
        index: usize,
        name: String,
        rows: u64,
    },
}

/// Minimum time between two `Progress` events.
const PROGRESS_PERIOD: Duration = Duration::from_millis(100);

/// Sends progress events, throttled; a reporter without a channel reports nothing.
pub struct Reporter {
    tx: Option<UnboundedSender<ProgressEvent>>,
    last: Instant,
    pub table_rows: u64,
    pub total_rows: u64,
    pub bytes: u64,
}

impl Reporter {
    pub fn new(tx: Option<UnboundedSender<ProgressEvent>>) -> Self {
        Reporter {
            tx,
            last: Instant::now(),
            table_rows: 0,
            total_rows: 0,
            bytes: 0,
        }
    }

    pub fn send(&self, event: ProgressEvent) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(event);
        }
    }

    pub fn table_started(&mut self, index: usize, name: &str, rows_estimate: u64) {
        self.table_rows = 0;
        self.send(ProgressEvent::TableStarted {
            index,
            name: name.to_string(),
            rows_estimate,
        });
    }

    /// Counts rows and bytes; emits a `Progress` event when enough time has passed.
    pub fn add(&mut self, rows: u64, bytes: u64) {
        self.table_rows += rows;
        self.total_rows += rows;
        self.bytes += bytes;
        if self.tx.is_some() && self.last.elapsed() >= PROGRESS_PERIOD {
            self.last = Instant::now();
            self.send(ProgressEvent::Progress {
                table_rows: self.table_rows,
                total_rows: self.total_rows,
                bytes: self.bytes,
            });
        }
    }

    pub fn table_done(&mut self, index: usize, name: &str, rows: u64) {
        self.send(ProgressEvent::TableDone {
            index,
            name: name.to_string(),
            rows,
        });
    }
}
