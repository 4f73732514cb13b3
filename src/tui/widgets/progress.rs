//! Long work as the progress events tell it (backup, verify, restore): the model that sums the
//! events up, and the bars drawn from it. Time comes with each event (measured by the worker),
//! so the model stays a pure function of what it was told.

use std::time::Duration;

use ratatui::text::{Line, Span};

use crate::backup::progress::ProgressEvent;
use crate::humanize;
use crate::tui::theme::Look;

/// Tables finished, newest last, kept for display.
const RECENT_TABLES: usize = 50;

/// The table being worked on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableProgress {
    /// 0-based position in the plan.
    pub index: usize,
    pub name: String,
    pub rows_estimate: u64,
    pub rows: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Tables planned, once the plan is known.
    pub tables: Option<usize>,
    pub rows_estimate: u64,
    pub bytes_estimate: u64,
    pub current: Option<TableProgress>,
    /// Finished tables (name, rows), the most recent last.
    pub done: Vec<(String, u64)>,
    pub tables_done: usize,
    pub rows: u64,
    pub bytes: u64,
    /// Since the work started, as of the last event.
    pub elapsed: Duration,
}

/// `part` of `whole` as a fraction in 0..=1; `None` when the whole is unknown (zero).
pub fn fraction(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64).clamp(0.0, 1.0))
}

/// `[█████░░░░░]`, `width` cells between the brackets; an unknown fraction draws an empty bar.
pub fn bar(fraction: Option<f64>, width: usize) -> String {
    let filled = fraction.map_or(0, |f| ((f * width as f64).round() as usize).min(width));
    format!("[{}{}]", "█".repeat(filled), "░".repeat(width - filled))
}

/// Estimates are statistics: a count past one means "nearly done", not "over 100 %".
fn nearly(fraction: Option<f64>) -> Option<f64> {
    fraction.map(|f| f.min(0.99))
}

fn percent(fraction: Option<f64>) -> String {
    fraction.map_or_else(|| "  ?%".into(), |f| format!("{:>3.0}%", f * 100.0))
}

impl Progress {
    pub fn apply(&mut self, event: ProgressEvent, elapsed: Duration) {
        self.elapsed = self.elapsed.max(elapsed);
        match event {
            ProgressEvent::Started {
                tables,
                rows_estimate,
                bytes_estimate,
            } => {
                self.tables = Some(tables);
                self.rows_estimate = rows_estimate;
                self.bytes_estimate = bytes_estimate;
            }
            ProgressEvent::TableStarted {
                index,
                name,
                rows_estimate,
            } => {
                self.current = Some(TableProgress {
                    index,
                    name,
                    rows_estimate,
                    rows: 0,
                });
            }
            ProgressEvent::Progress {
                table_rows,
                total_rows,
                bytes,
            } => {
                if let Some(current) = &mut self.current {
                    current.rows = table_rows;
                }
                self.rows = total_rows;
                self.bytes = bytes;
            }
            ProgressEvent::TableDone { name, rows, .. } => {
                self.current = None;
                self.tables_done += 1;
                self.done.push((name, rows));
                if self.done.len() > RECENT_TABLES {
                    self.done.remove(0);
                }
            }
        }
    }

    /// How far the whole is: by rows when the plan estimated them, else by tables.
    pub fn overall(&self) -> Option<f64> {
        if self.tables.is_some_and(|t| self.tables_done >= t) {
            return Some(1.0);
        }
        if self.rows_estimate > 0 {
            return nearly(fraction(self.rows, self.rows_estimate));
        }
        self.tables
            .and_then(|t| fraction(self.tables_done as u64, t as u64))
    }

    fn per_second(&self, n: u64) -> Option<f64> {
        let secs = self.elapsed.as_secs_f64();
        (secs >= 0.5 && n > 0).then(|| n as f64 / secs)
    }

    pub fn rows_per_second(&self) -> Option<f64> {
        self.per_second(self.rows)
    }

    pub fn bytes_per_second(&self) -> Option<f64> {
        self.per_second(self.bytes)
    }

    /// Time left at the rate so far, when the plan estimated the rows.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rows_per_second()?;
        let left = self.rows_estimate.checked_sub(self.rows)?;
        (self.rows_estimate > 0).then(|| Duration::from_secs_f64(left as f64 / rate))
    }

    /// The bars and figures, `width` columns wide.
    pub fn lines(&self, width: u16, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let label_width = 9;
        // Label, bar, percent and about twenty columns of text after it.
        let bar_width = usize::from(width)
            .saturating_sub(label_width + 2 + 5 + 22)
            .clamp(10, 40);
        let overall = self.overall();
        let tables = match (self.tables, &self.current) {
            (Some(total), Some(current)) => format!("table {} of {total}", current.index + 1),
            (Some(total), None) => format!("{} of {total} tables", self.tables_done),
            (None, _) => String::new(),
        };
        let mut lines = vec![Line::from(vec![
            Span::styled(format!("{:<label_width$}", "overall"), theme.title()),
            Span::raw(bar(overall, bar_width)),
            Span::raw(format!(" {}  {tables}", percent(overall))),
        ])];
        let mut figures = Vec::new();
        if self.rows_estimate > 0 {
            figures.push(format!(
                "{} of ~{} rows",
                humanize::count(self.rows as i64),
                humanize::count(self.rows_estimate as i64)
            ));
        } else if self.rows > 0 {
            figures.push(format!("{} rows", humanize::count(self.rows as i64)));
        }
        if self.bytes > 0 {
            figures.push(humanize::bytes(self.bytes));
        }
        let rates: Vec<String> = [
            self.rows_per_second()
                .map(|r| format!("{} rows/s", humanize::count(r as i64))),
            self.bytes_per_second()
                .map(|b| format!("{}/s", humanize::bytes(b as u64))),
        ]
        .into_iter()
        .flatten()
        .collect();
        // Amounts, then speed and time: two short rows rather than one that wraps.
        let mut timing = Vec::new();
        if !rates.is_empty() {
            timing.push(rates.join(", "));
        }
        timing.push(format!("{} elapsed", clock(self.elapsed)));
        if let Some(eta) = self.eta() {
            timing.push(format!("about {} left", clock(eta)));
        }
        for row in [figures, timing] {
            if !row.is_empty() {
                lines.push(Line::styled(
                    format!("{:label_width$}{}", "", row.join(" · ")),
                    theme.dim(),
                ));
            }
        }
        if let Some(current) = &self.current {
            let table = nearly(fraction(current.rows, current.rows_estimate));
            lines.push(Line::from(vec![
                Span::styled(format!("{:<label_width$}", "table"), theme.title()),
                Span::raw(bar(table, bar_width)),
                Span::raw(format!(" {}", percent(table))),
            ]));
            let rows = if current.rows_estimate > 0 {
                format!(
                    "{} of ~{} rows",
                    humanize::count(current.rows as i64),
                    humanize::count(current.rows_estimate as i64)
                )
            } else {
                format!("{} rows", humanize::count(current.rows as i64))
            };
            lines.push(Line::from(vec![
                Span::raw(format!("{:label_width$}{} ", "", current.name)),
                Span::styled(format!("· {rows}"), theme.dim()),
            ]));
        }
        lines
    }

    /// The finished tables, most recent first, as many as `height` allows.
    pub fn done_lines(&self, height: usize, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        self.done
            .iter()
            .rev()
            .take(height)
            .map(|(name, rows)| {
                Line::from(vec![
                    Span::styled(
                        format!("  {} ", crate::checks::Status::Pass.glyph()),
                        theme.status(crate::checks::Status::Pass),
                    ),
                    Span::raw(format!("{name:<32} ")),
                    Span::styled(humanize::rows(*rows), theme.dim()),
                ])
            })
            .collect()
    }
}

/// `0:07`, `12:34`, `1:02:03`.
pub fn clock(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn fractions_of_nothing_are_unknown_not_a_division_by_zero() {
        assert_eq!(fraction(0, 0), None);
        assert_eq!(fraction(5, 0), None);
        assert_eq!(fraction(5, 10), Some(0.5));
        assert_eq!(fraction(20, 10), Some(1.0));
        assert_eq!(bar(None, 4), "[░░░░]");
        assert_eq!(bar(Some(0.5), 4), "[██░░]");
        assert_eq!(bar(Some(1.0), 4), "[████]");
        assert_eq!(percent(None), "  ?%");
    }

    #[test]
    fn events_add_up_to_rates_and_a_time_left() {
        let mut p = Progress::default();
        assert_eq!(p.overall(), None);
        p.apply(
            ProgressEvent::Started {
                tables: 2,
                rows_estimate: 1000,
                bytes_estimate: 0,
            },
            at(0),
        );
        p.apply(
            ProgressEvent::TableStarted {
                index: 0,
                name: "a".into(),
                rows_estimate: 400,
            },
            at(10),
        );
        p.apply(
            ProgressEvent::Progress {
                table_rows: 250,
                total_rows: 250,
                bytes: 2048,
            },
            at(1000),
        );
        assert_eq!(p.overall(), Some(0.25));
        assert_eq!(p.rows_per_second(), Some(250.0));
        assert_eq!(p.eta(), Some(Duration::from_secs(3)));
        assert_eq!(p.current.as_ref().map(|c| c.rows), Some(250));
        p.apply(
            ProgressEvent::TableDone {
                index: 0,
                name: "a".into(),
                rows: 400,
            },
            at(1500),
        );
        assert_eq!(p.current, None);
        assert_eq!(p.done, vec![("a".to_string(), 400)]);
        // More rows than estimated: nearly done, never past the end before the last table.
        p.apply(
            ProgressEvent::Progress {
                table_rows: 900,
                total_rows: 1300,
                bytes: 4096,
            },
            at(2000),
        );
        assert_eq!(p.overall(), Some(0.99));
        assert_eq!(p.eta(), None, "past the estimate, no time left is promised");
        p.apply(
            ProgressEvent::TableDone {
                index: 1,
                name: "b".into(),
                rows: 900,
            },
            at(2100),
        );
        assert_eq!(p.overall(), Some(1.0));
    }

    #[test]
    fn without_row_estimates_tables_measure_the_way() {
        let mut p = Progress::default();
        p.apply(
            ProgressEvent::Started {
                tables: 4,
                rows_estimate: 0,
                bytes_estimate: 0,
            },
            at(0),
        );
        p.apply(
            ProgressEvent::TableDone {
                index: 0,
                name: "a".into(),
                rows: 3,
            },
            at(100),
        );
        assert_eq!(p.overall(), Some(0.25));
        assert_eq!(p.eta(), None);
    }

    #[test]
    fn clocks_read_like_clocks() {
        assert_eq!(clock(Duration::from_secs(7)), "0:07");
        assert_eq!(clock(Duration::from_secs(754)), "12:34");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03");
    }
}
