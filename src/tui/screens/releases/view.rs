//! Drawing the Releases step: the probing under way, the grouped list with each item's mark,
//! and the details of the selected item.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::{Input, Phase, Probing, Releases, ReviewError, Row};
use crate::checks::Status;
use crate::knowledge::Kind;
use crate::knowledge::impact::Verdict;
use crate::knowledge::review::{Review, Reviewed};
use crate::report::StepStatus;
use crate::tui::keymap::keys;
use crate::tui::theme::Look;
use crate::tui::widgets::progress::{bar, fraction};
use crate::tui::widgets::text_field::field_spans;
use crate::tui::widgets::{ellipsize, scroll_offset, wrapped_height};

impl Releases {
    /// Draws the step (read-only).
    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, look: Look) {
        match self.state.as_ref().map(|s| &s.phase) {
            None => {
                let lines = vec![
                    Line::styled("Release review", look.theme.title()),
                    Line::styled(
                        "Choose a target version on the Welcome step first.",
                        look.theme.notice(),
                    ),
                ];
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .render(area, buf);
            }
            Some(Phase::Running(probing)) => self.render_running(probing, area, buf, look),
            Some(Phase::Failed(error)) => self.render_failed(error, area, buf, look),
            Some(Phase::Done(finished)) => self.render_review(&finished.review, area, buf, look),
        }
    }

    fn headline(&self, review: &Review, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let count = |v: Verdict| {
            review
                .items
                .iter()
                .filter(|r| r.impact.verdict == v)
                .count()
        };
        let breaking: Vec<&Reviewed> = review
            .items
            .iter()
            .filter(|r| r.item.kind == Kind::Breaking)
            .collect();
        let acked = breaking
            .iter()
            .filter(|r| self.acknowledged.contains(&r.item.key()))
            .count();
        let mut lines = vec![
            Line::styled(
                format!(
                    "{} → {}: {} items in {} release{}",
                    review.installed,
                    review.to,
                    review.items.len(),
                    review.releases.len(),
                    if review.releases.len() == 1 { "" } else { "s" }
                ),
                theme.title(),
            ),
            Line::raw(format!(
                "{} affect you · {} unknown · {} not you · {acked} of {} breaking acknowledged{}",
                count(Verdict::Affects),
                count(Verdict::Unknown),
                count(Verdict::NotAffected),
                breaking.len(),
                self.filter_note(count(Verdict::Unknown))
            )),
        ];
        for stop in &review.stops {
            lines.push(Line::styled(
                format!(
                    "{} stop at {} first: {}",
                    Status::Warn.glyph(),
                    stop.version,
                    stop.reason
                ),
                theme.notice(),
            ));
        }
        lines
    }

    /// What the filter hides, said in the headline.
    fn filter_note(&self, unknown: usize) -> String {
        match (self.affecting_only, self.show_unknown) {
            (false, _) => String::new(),
            (true, true) => " · showing what affects you and the unknown".into(),
            (true, false) if unknown == 0 => " · showing what affects you".into(),
            (true, false) => format!(
                " · showing what affects you ({unknown} unknown hidden: {} shows them)",
                keys::SHOW_UNKNOWN[0].hint()
            ),
        }
    }

    fn inputs_line(&self, look: Look) -> Line<'static> {
        let theme = look.theme;
        let scanned = |text: &str| {
            if text.is_empty() {
                "not scanned".to_string()
            } else {
                text.to_string()
            }
        };
        let mut spans = vec![Span::styled("openmetadata.yaml ", theme.dim())];
        match &self.editing {
            Some((Input::Config, field)) => spans.extend(field_spans(field, look)),
            _ => spans.push(Span::raw(scanned(&self.config))),
        }
        spans.push(Span::styled(" · workflows ", theme.dim()));
        match &self.editing {
            Some((Input::Workflows, field)) => spans.extend(field_spans(field, look)),
            _ => spans.push(Span::raw(scanned(&self.workflows))),
        }
        if let Some(review) = self.review() {
            let problems = review.scan.problems.len();
            if problems > 0 {
                spans.push(Span::styled(
                    format!(
                        " · {problems} file{} unreadable",
                        if problems == 1 { "" } else { "s" }
                    ),
                    theme.notice(),
                ));
            }
            if let Some(server) = review.server() {
                spans.push(Span::styled(
                    format!(" · {server} probed read-only"),
                    theme.dim(),
                ));
            }
        }
        Line::from(spans)
    }

    fn list_lines(&self, review: &Review, height: usize, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let rows = self.rows();
        if rows.is_empty() {
            let text = if review.items.is_empty() {
                "Nothing to review between these versions."
            } else {
                "Nothing shown affects you: the other items were measured as not affecting \
                 this installation, or cannot be told (hidden unless asked)."
            };
            return vec![Line::styled(text, theme.dim())];
        }
        let at = rows
            .iter()
            .position(|r| *r == Row::Item(self.selected))
            .unwrap_or(0);
        let offset = scroll_offset(at, height, rows.len());
        rows.iter()
            .skip(offset)
            .take(height)
            .map(|row| match row {
                Row::Release(r) => {
                    let release = &review.releases[*r];
                    Line::from(vec![
                        Span::styled(format!("OpenMetadata {}", release.version), theme.title()),
                        Span::styled(
                            release
                                .date
                                .as_ref()
                                .map(|d| format!("  ({d})"))
                                .unwrap_or_default(),
                            theme.dim(),
                        ),
                    ])
                }
                Row::Kind(kind) => Line::styled(format!(" {}", kind.heading()), theme.dim()),
                Row::Item(i) => {
                    let reviewed = &review.items[*i];
                    let (label, status) = mark(reviewed.impact.verdict);
                    let key = reviewed.item.key();
                    let ack = match reviewed.item.kind {
                        Kind::Breaking if self.acknowledged.contains(&key) => "[x]",
                        Kind::Breaking if self.marked.contains(&key) => "[*]",
                        Kind::Breaking => "[ ]",
                        _ => "   ",
                    };
                    let selected = *i == self.selected;
                    let line = Line::from(vec![
                        Span::raw(format!("{} {ack} ", if selected { "›" } else { " " })),
                        Span::styled(
                            format!("{} {label:<12}", status.glyph()),
                            theme.status(status),
                        ),
                        Span::raw(reviewed.item.title.clone()),
                    ]);
                    if selected {
                        line.style(theme.selected())
                    } else {
                        line
                    }
                }
            })
            .collect()
    }

    fn detail_lines(&self, reviewed: &Reviewed, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let item = &reviewed.item;
        let impact = &reviewed.impact;
        let (label, status) = mark(impact.verdict);
        let components: Vec<String> = item.components.iter().map(ToString::to_string).collect();
        let mut lines = vec![
            Line::styled(item.title.clone(), theme.title()),
            Line::styled(
                format!(
                    "{} · {} · from {} · {}{}",
                    item.key(),
                    item.kind,
                    item.patch,
                    components.join(", "),
                    if item.unverified {
                        " · unverified"
                    } else {
                        ""
                    }
                ),
                theme.dim(),
            ),
            Line::from(vec![
                Span::styled(format!("{} ", status.glyph()), theme.status(status)),
                Span::raw(verdict_sentence(label, &impact.summary)),
            ]),
        ];
        for evidence in &impact.evidence {
            if impact.evidence.len() > 1 {
                lines.push(Line::styled(format!("  · {}", evidence.text), theme.dim()));
            }
            for sample in &evidence.samples {
                lines.push(Line::styled(format!("    e.g. {sample}"), theme.dim()));
            }
        }
        let section = |title: &str, text: &str| {
            Line::from(vec![
                Span::styled(format!("{title}: "), theme.title()),
                Span::raw(text.to_string()),
            ])
        };
        lines.push(section("What changes", &item.change));
        if let Some(migration) = &item.migration {
            lines.push(section("The migration", migration));
        }
        lines.push(section("What to do", &item.action));
        lines.push(section("Source", &item.source));
        if item.kind == Kind::Breaking {
            lines.push(self.acknowledgement_line(&item.key(), look));
        }
        lines
    }

    /// Whether a breaking item is acknowledged (or marked to be), and which key changes it.
    fn acknowledgement_line(&self, key: &str, look: Look) -> Line<'static> {
        let theme = look.theme;
        let acked = self.acknowledged.contains(key);
        let marked = self.marked.contains(key);
        if marked && !acked {
            Line::styled(
                format!(
                    "[*] marked: {} acknowledges the {} marked ({} unmarks)",
                    keys::ACKNOWLEDGE[0].hint(),
                    self.marked.len(),
                    keys::MARK[0].hint()
                ),
                theme.notice(),
            )
        } else if acked {
            Line::styled(
                format!(
                    "[x] acknowledged ({} takes it back)",
                    keys::ACKNOWLEDGE[0].hint()
                ),
                theme.status(Status::Pass),
            )
        } else {
            Line::styled(
                format!(
                    "[ ] not acknowledged: {} acknowledges that you have read it and will act \
                     ({} marks it to acknowledge with others)",
                    keys::ACKNOWLEDGE[0].hint(),
                    keys::MARK[0].hint()
                ),
                theme.notice(),
            )
        }
    }

    fn render_running(&self, probing: &Probing, area: Rect, buf: &mut Buffer, look: Look) {
        let theme = look.theme;
        let mut lines = vec![Line::from(vec![
            Span::styled(
                format!("{} ", crate::tui::theme::spinner(look.tick)),
                theme.step(StepStatus::Running),
            ),
            Span::styled("Reviewing the releases", theme.title()),
        ])];
        match &probing.from {
            None => lines.push(Line::styled(
                "Reading the installed version from the database…",
                theme.dim(),
            )),
            Some(from) => {
                let (done, total) = (probing.done, probing.probes.len());
                lines.push(Line::raw(format!(
                    "Installed {from}; probing the database (read-only) for {total} items"
                )));
                let f = fraction(done as u64, total as u64);
                lines.push(Line::raw(format!(
                    "{} {done} of {total}",
                    bar(f, usize::from(area.width).saturating_sub(14).min(40))
                )));
                if let Some(current) = &probing.current {
                    lines.push(Line::styled(format!("now: {current}"), theme.dim()));
                }
            }
        }
        lines.push(Line::raw(""));
        lines.push(self.inputs_line(look));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }

    fn render_failed(&self, error: &ReviewError, area: Rect, buf: &mut Buffer, look: Look) {
        let theme = look.theme;
        let lines = vec![
            Line::styled("Release review", theme.title()),
            Line::styled(format!("{} {error}", Status::Fail.glyph()), theme.error()),
            Line::from(vec![
                Span::styled("What to do: ", theme.title()),
                Span::raw(error.hint()),
            ]),
            Line::raw(""),
            self.inputs_line(look),
        ];
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }

    fn render_review(&self, review: &Review, area: Rect, buf: &mut Buffer, look: Look) {
        let theme = look.theme;
        let mut head = self.headline(review, look);
        if self.stale {
            head.push(Line::styled(
                format!(
                    "for other settings (target, connection or files changed): {} reviews again",
                    keys::RERUN[0].hint()
                ),
                theme.notice(),
            ));
        }
        head.push(self.inputs_line(look));
        let head_height = wrapped_height(&head, area.width).min(area.height / 3);
        let [head_area, body] =
            Layout::vertical([Constraint::Length(head_height), Constraint::Fill(1)]).areas(area);
        Paragraph::new(head)
            .wrap(Wrap { trim: false })
            .render(head_area, buf);
        if self.details_only {
            if let Some(reviewed) = self.selected_item() {
                self.render_details(reviewed, body, buf, look);
            }
            return;
        }
        let wide = body.width >= 100;
        let (list_area, detail_area) = if wide {
            let [list, detail] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(body);
            (list, detail)
        } else {
            let [list, detail] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(body);
            (list, detail)
        };
        let borders = if wide { Borders::LEFT } else { Borders::TOP };
        Paragraph::new(self.list_lines(review, usize::from(list_area.height), look))
            .render(list_area, buf);
        let block = Block::new().borders(borders).border_style(theme.border());
        let inner = block.inner(detail_area);
        block.render(detail_area, buf);
        let inner = if wide {
            inner.inner(ratatui::layout::Margin::new(1, 0))
        } else {
            inner
        };
        if let Some(reviewed) = self.selected_item() {
            self.render_details(reviewed, inner, buf, look);
        }
    }

    /// The selected item's details, scrolled as asked; a last row says what is cut and which
    /// keys show it, so "What to do" is never silently out of sight.
    fn render_details(&self, reviewed: &Reviewed, area: Rect, buf: &mut Buffer, look: Look) {
        let lines = self.detail_lines(reviewed, look);
        let total = wrapped_height(&lines, area.width);
        let fits = total <= area.height;
        let room = if fits {
            area.height
        } else {
            area.height.saturating_sub(1)
        };
        let scroll = self.detail_scroll.min(total.saturating_sub(room));
        let [text_area, more_area] =
            Layout::vertical([Constraint::Length(room), Constraint::Fill(1)]).areas(area);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .render(text_area, buf);
        if fits {
            return;
        }
        let below = total - scroll - room;
        let text = match (scroll > 0, below > 0) {
            (_, true) => format!(
                "↓ {below} more row{}: {} scrolls, {} shows the details alone",
                if below == 1 { "" } else { "s" },
                keys::PAGE_DOWN[0].hint(),
                keys::DETAILS[0].hint()
            ),
            (true, false) => format!("↑ {} scrolls back up", keys::PAGE_UP[0].hint()),
            (false, false) => String::new(),
        };
        Line::styled(
            ellipsize(&text, usize::from(more_area.width)),
            look.theme.notice(),
        )
        .render(more_area, buf);
    }

    /// At most how many rows the item's details take (wrapped at the narrowest detail pane),
    /// which bounds how far they scroll.
    pub(super) fn detail_rows_at_most(&self, reviewed: &Reviewed) -> u16 {
        const NARROWEST: u16 = 40;
        let look = Look {
            theme: crate::tui::theme::Theme::monochrome(),
            tick: 0,
        };
        wrapped_height(&self.detail_lines(reviewed, look), NARROWEST)
    }
}

fn mark(verdict: Verdict) -> (&'static str, Status) {
    match verdict {
        Verdict::Affects => ("affects you", Status::Fail),
        Verdict::NotAffected => ("not you", Status::Pass),
        Verdict::Unknown => ("unknown", Status::Warn),
    }
}

/// "affects you: 3 queries …", without saying the verdict twice when the summary says it.
fn verdict_sentence(label: &str, summary: &str) -> String {
    if summary.starts_with("unknown") || summary.starts_with("does not affect you") {
        summary.to_string()
    } else {
        format!("{label}: {summary}")
    }
}
