//! Progress of long work (backup, restore, verify), sent as events so the command line and the
//! wizard draw the same thing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// At most ten times per second.
    Progress {
        /// Rows done in the table that reported (with parallel readers, one of them).
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

/// Sends progress events, throttled; cheap to clone and to share between parallel readers. A
/// reporter without a channel reports nothing.
#[derive(Clone)]
pub struct Reporter {
    inner: Arc<Inner>,
}

struct Inner {
    tx: Option<UnboundedSender<ProgressEvent>>,
    started: Instant,
    total_rows: AtomicU64,
    bytes: AtomicU64,
    /// Milliseconds after `started` of the last Progress event.
    last_ms: AtomicU64,
}

impl Reporter {
    pub fn new(tx: Option<UnboundedSender<ProgressEvent>>) -> Self {
        Reporter {
            inner: Arc::new(Inner {
                tx,
                started: Instant::now(),
                total_rows: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
                last_ms: AtomicU64::new(0),
            }),
        }
    }

    pub fn send(&self, event: ProgressEvent) {
        if let Some(tx) = &self.inner.tx {
            let _ = tx.send(event);
        }
    }

    pub fn table_started(&self, index: usize, name: &str, rows_estimate: u64) {
        self.send(ProgressEvent::TableStarted {
            index,
            name: name.to_string(),
            rows_estimate,
        });
    }

    /// Counts rows and bytes done; `table_rows` is the reporting table's running total. Call
    /// it per batch, not per row: it may read the clock.
    pub fn add(&self, table_rows: u64, rows: u64, bytes: u64) {
        let inner = &self.inner;
        let total_rows = inner.total_rows.fetch_add(rows, Ordering::Relaxed) + rows;
        let bytes = inner.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if inner.tx.is_none() {
            return;
        }
        let now = inner.started.elapsed().as_millis() as u64;
        let last = inner.last_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= PROGRESS_PERIOD.as_millis() as u64
            && inner
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.send(ProgressEvent::Progress {
                table_rows,
                total_rows,
                bytes,
            });
        }
    }

    pub fn table_done(&self, index: usize, name: &str, rows: u64) {
        self.send(ProgressEvent::TableDone {
            index,
            name: name.to_string(),
            rows,
        });
    }

    pub fn total_rows(&self) -> u64 {
        self.inner.total_rows.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_several_clones_and_throttles_events() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let reporter = Reporter::new(Some(tx));
        let other = reporter.clone();
        for _ in 0..1000 {
            reporter.add(1, 1, 10);
            other.add(1, 1, 10);
        }
        assert_eq!(reporter.total_rows(), 2000);
        let mut progress = 0;
        while let Ok(event) = rx.try_recv() {
            assert!(matches!(event, ProgressEvent::Progress { .. }));
            progress += 1;
        }
        // 2000 calls within far less than a second: at most a few events.
        assert!(progress <= 2, "{progress} events");
    }
}
