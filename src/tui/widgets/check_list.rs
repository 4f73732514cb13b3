//! Checks as they run: one line each, then the details and remediation of the selected one.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::checks::runner::CheckResult;
use crate::checks::{CheckId, Status};
use crate::tui::theme::{Look, spinner};

#[derive(Debug, Clone)]
pub enum CheckState {
    Waiting,
    Running,
    Done(CheckResult),
}

#[derive(Debug, Clone)]
pub struct CheckRow {
    pub id: CheckId,
    pub title: String,
    pub state: CheckState,
}

impl CheckRow {
    pub fn status(&self) -> Option<Status> {
        match &self.state {
            CheckState::Done(result) => Some(result.outcome.status),
            _ => None,
        }
    }
}

/// The list; `selected` is highlighted and kept in view.
pub struct CheckList<'a> {
    pub rows: &'a [CheckRow],
    pub selected: Option<usize>,
    pub look: Look,
}

impl Widget for CheckList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.look.theme;
        let height = usize::from(area.height);
        let selected = self.selected.unwrap_or(0);
        let offset = (selected + 1).saturating_sub(height);
        let id_width = self
            .rows
            .iter()
            .map(|r| r.id.as_str().chars().count())
            .max()
            .unwrap_or(0);
        let lines: Vec<Line> = self
            .rows
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, row)| {
                let (glyph, glyph_style, summary) = match &row.state {
                    CheckState::Waiting => ("·", theme.dim(), "waiting".to_string()),
                    CheckState::Running => (
                        spinner(self.look.tick),
                        theme.step(crate::report::StepStatus::Running),
                        "running…".to_string(),
                    ),
                    CheckState::Done(result) => (
                        result.outcome.status.glyph(),
                        theme.status(result.outcome.status),
                        result.outcome.summary.clone(),
                    ),
                };
                let is_selected = self.selected == Some(i);
                let marker = if is_selected { "›" } else { " " };
                let id = format!("{:<id_width$}", row.id.as_str());
                let line = Line::from(vec![
                    Span::raw(format!("{marker} ")),
                    Span::styled(glyph, glyph_style),
                    Span::raw(" "),
                    Span::styled(id, theme.text()),
                    Span::raw("  "),
                    Span::styled(summary, theme.text()),
                ]);
                if is_selected {
                    line.style(theme.selected())
                } else {
                    line
                }
            })
            .collect();
        Paragraph::new(lines).render(area, buf);
    }
}

/// Everything about one check: title, summary, details, what to do.
pub struct CheckDetail<'a> {
    pub row: &'a CheckRow,
    pub look: Look,
}

/// How long the check took, to the millisecond under a second (a refused connection takes a
/// few: "0.0 s" would read as not measured).
fn took(duration: Duration) -> String {
    crate::humanize::duration(duration)
}

impl CheckDetail<'_> {
    pub fn lines(&self) -> Vec<Line<'static>> {
        let theme = self.look.theme;
        let mut lines = vec![Line::from(vec![
            Span::styled(self.row.id.to_string(), theme.title()),
            Span::styled(format!("  {}", self.row.title), theme.dim()),
        ])];
        match &self.row.state {
            CheckState::Waiting => lines.push(Line::styled(
                "Waits for the checks it depends on.",
                theme.dim(),
            )),
            CheckState::Running => lines.push(Line::styled("Running…", theme.dim())),
            CheckState::Done(result) => {
                let outcome = &result.outcome;
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{} {}", outcome.status.glyph(), outcome.status.label()),
                        theme.status(outcome.status),
                    ),
                    Span::raw(format!("  {}", outcome.summary)),
                    Span::styled(format!("  ({})", took(result.duration)), theme.dim()),
                ]));
                for detail in &outcome.details {
                    let text = match &detail.label {
                        Some(label) => format!("  {label}: {}", detail.text),
                        None => format!("  {}", detail.text),
                    };
                    lines.push(Line::styled(text, theme.dim()));
                }
                if let Some(fix) = &outcome.remediation {
                    lines.push(Line::from(vec![
                        Span::styled("What to do: ", theme.title()),
                        Span::raw(fix.clone()),
                    ]));
                }
            }
        }
        lines
    }
}

impl Widget for CheckDetail<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Paragraph::new(self.lines())
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }
}
