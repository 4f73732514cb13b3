//! A progress bar on stderr driven by the same events the wizard shows.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::backup::progress::ProgressEvent;
use crate::humanize;

/// One bar on stderr (hidden when `visible` is false): `verb`, the bar, the percentage, a
/// message, the time taken and the time left.
fn new_bar(verb: &'static str, visible: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        None,
        if visible {
            ProgressDrawTarget::stderr_with_hz(8)
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {prefix} [{bar:30}] {percent:>3}% {msg} ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(verb);
    bar
}

/// Starts drawing; returns the sender to give to the work and a handle to await at the end.
pub fn start(verb: &'static str) -> (Option<mpsc::UnboundedSender<ProgressEvent>>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<ProgressEvent>();
    let visible = std::io::stderr().is_terminal() && !super::globals::quiet();
    let handle = tokio::spawn(async move {
        let bar = new_bar(verb, visible);
        let mut tables = 0usize;
        let mut current = String::new();
        let mut table_index = 0usize;
        // Rows when the server estimated them (Postgres does not until a table is analyzed),
        // else bytes against the tables' size on disk.
        let mut by_rows = true;
        while let Some(event) = rx.recv().await {
            match event {
                ProgressEvent::Started {
                    tables: n,
                    rows_estimate,
                    bytes_estimate,
                } => {
                    tables = n;
                    by_rows = rows_estimate > 0 || bytes_estimate == 0;
                    bar.set_length(
                        if by_rows {
                            rows_estimate
                        } else {
                            bytes_estimate
                        }
                        .max(1),
                    );
                }
                ProgressEvent::TableStarted { index, name, .. } => {
                    table_index = index + 1;
                    current = name;
                }
                ProgressEvent::Progress {
                    total_rows, bytes, ..
                } => {
                    let done = if by_rows { total_rows } else { bytes };
                    // Estimates can be low: never show more than 100 %.
                    if done > bar.length().unwrap_or(0) {
                        bar.set_length(done);
                    }
                    bar.set_position(done);
                    bar.set_message(format!(
                        "table {table_index}/{tables} {current}, {} rows, {}",
                        humanize::count(total_rows as i64),
                        humanize::bytes(bytes)
                    ));
                }
                ProgressEvent::TableDone { .. } => bar.tick(),
            }
        }
        bar.finish_and_clear();
    });
    (Some(tx), handle)
}

/// Starts drawing an upload's progress (bytes sent, then the verification).
pub fn start_upload() -> (
    Option<mpsc::UnboundedSender<crate::store::UploadEvent>>,
    JoinHandle<()>,
) {
    use crate::store::UploadEvent;
    let (tx, mut rx) = mpsc::unbounded_channel::<UploadEvent>();
    // `-q`: no progress, as for every other bar.
    let visible = std::io::stderr().is_terminal() && !super::globals::quiet();
    let handle = tokio::spawn(async move {
        let bar = new_bar("copy", visible);
        while let Some(event) = rx.recv().await {
            match event {
                UploadEvent::Started { url, bytes } => {
                    bar.set_length(bytes.max(1));
                    bar.set_position(0);
                    bar.set_message(url);
                }
                UploadEvent::Sent { url, sent, total } => {
                    bar.set_position(sent);
                    bar.set_message(format!(
                        "{} of {} to {url}",
                        humanize::bytes(sent),
                        humanize::bytes(total)
                    ));
                }
                UploadEvent::Verifying { url, by } => {
                    bar.set_message(format!("verifying {url} by {by}"));
                }
                UploadEvent::Verified { .. } => bar.tick(),
            }
        }
        bar.finish_and_clear();
    });
    (Some(tx), handle)
}
