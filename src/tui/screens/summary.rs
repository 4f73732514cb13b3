//! Summary: the checklist of every step with its status (blockers first), what failed and what
//! is open with what to do, and the export of the report (Markdown, JSON or HTML) to a path the
//! operator can edit. The App hands this step an [`Overview`] of what the other steps hold after
//! every event; the report itself is built and written by the report module, on a job.

use std::path::{Path, PathBuf};

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Keys, Screen, ScreenId};
use crate::checks::runner::CheckResult;
use crate::checks::{CheckId, Status};
use crate::humanize;
use crate::report::model::{Overall, Readiness};
use crate::report::{Format, WriteError};
use crate::report::{Recorded, StepStatus};
use crate::tui::keymap::{Binding, keys};
use crate::tui::theme::Look;
use crate::tui::widgets::text_field::field_spans;
use crate::tui::widgets::text_field::{self, TextEdit, TextField};
use crate::tui::widgets::{copyable, ellipsize};

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    NextFormat,
    EditPath,
    Edit(TextEdit),
    Commit,
    Cancel,
    Export,
}

/// Where to write, as the operator chose it; the App adds what the report is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub path: PathBuf,
    pub format: Format,
    /// Replace the file there (the operator asked again after being told it exists).
    pub replace: bool,
    /// The folder is the default reports folder, which is created when missing.
    pub create_folder: bool,
}

/// A report to write: where, and what it is made of.
#[derive(Debug, Clone)]
pub struct ExportJob {
    pub request: ExportRequest,
    /// What the steps hold; the backup's facts are read by the worker, from `last_backup`.
    pub recorded: Recorded,
    pub last_backup: Option<PathBuf>,
    /// The operator picked that backup although it is not of this database.
    pub backup_used_anyway: bool,
}

/// Work for the Summary's worker.
#[derive(Debug, Clone)]
pub enum Work {
    /// Assemble the report and write it.
    Export(Box<ExportJob>),
}

#[derive(Debug)]
pub enum WorkEvent {
    Written(Result<Written, WriteError>),
}

/// A report on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    pub format: Format,
}

/// One step as the checklist shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLine {
    pub id: ScreenId,
    pub status: StepStatus,
    /// Statuses of the checks it ran.
    pub checks: Vec<Status>,
    /// Its results are the saved session's: when they were computed
    /// ("2026-12-07 20:31 UTC (12 min ago)").
    pub kept: Option<String>,
}

/// A failed check (blocker) or a warning still open, with the step that ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub step: ScreenId,
    pub id: CheckId,
    pub status: Status,
    pub summary: String,
    pub remediation: Option<String>,
}

impl Finding {
    pub fn of(step: ScreenId, result: &CheckResult) -> Finding {
        Finding {
            step,
            id: result.id.clone(),
            status: result.outcome.status,
            summary: result.outcome.summary.clone(),
            remediation: result.outcome.remediation.clone(),
        }
    }
}

/// What the other steps hold, as the App last saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    pub steps: Vec<StepLine>,
    /// Blockers first, then open actions, each in check order.
    pub findings: Vec<Finding>,
    /// The verdict of the report assembly on what the steps hold.
    pub overall: Option<Overall>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Export {
    NotYet,
    Writing(PathBuf),
    Written(Written),
    /// Written before the steps changed: it no longer says what they hold.
    Outdated(Written),
    /// The file is there: the next export of the same path replaces it.
    Exists(PathBuf),
    Failed(WriteError),
}

#[derive(Debug, Clone)]
pub struct Summary {
    overview: Overview,
    /// The file to write (as typed).
    path: String,
    default_folder: PathBuf,
    format: Format,
    editing: Option<TextField>,
    export: Export,
    selected: usize,
}

/// The path with its extension switched from one format's to another's, when it had the first.
fn with_extension(path: &str, from: Format, to: Format) -> String {
    match path.strip_suffix(&format!(".{}", from.extension())) {
        Some(stem) => format!("{stem}.{}", to.extension()),
        None => path.to_string(),
    }
}

impl Summary {
    /// `default_path`: the reports folder and a timestamped Markdown file name.
    pub fn new(default_path: PathBuf) -> Summary {
        Summary {
            overview: Overview::default(),
            path: default_path.display().to_string(),
            default_folder: default_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            format: Format::Markdown,
            editing: None,
            export: Export::NotYet,
            selected: 0,
        }
    }

    /// Takes the latest view of the other steps. A report written before a change no longer
    /// says what the steps hold: it is shown as outdated.
    pub fn refresh(&mut self, overview: Overview) {
        if overview != self.overview {
            self.selected = self.selected.min(overview.findings.len().saturating_sub(1));
            // Summaries carry ages ("taken 3 minutes ago"): only the verdict and the steps
            // say whether what the report says changed.
            let changed =
                overview.steps != self.overview.steps || overview.overall != self.overview.overall;
            if let Export::Written(written) = &self.export
                && changed
            {
                self.export = Export::Outdated(written.clone());
            }
            self.overview = overview;
        }
    }

    /// The verdict shown: the report assembly's on what the steps hold.
    pub fn overall(&self) -> Option<Overall> {
        self.overview.overall
    }

    fn writing(&self) -> bool {
        matches!(self.export, Export::Writing(_))
    }

    /// Applies an action; returns the export to start, if one was asked for.
    pub fn update(&mut self, action: Action) -> Option<ExportRequest> {
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => {
                let last = self.overview.findings.len().saturating_sub(1);
                self.selected = (self.selected + 1).min(last);
            }
            Action::NextFormat => {
                let next = self.format.next();
                self.path = with_extension(&self.path, self.format, next);
                self.format = next;
                if matches!(self.export, Export::Exists(_)) {
                    self.export = Export::NotYet;
                }
            }
            Action::EditPath => self.editing = Some(TextField::new(self.path.clone())),
            Action::Edit(edit) => {
                if let Some(field) = &mut self.editing {
                    field.apply(edit);
                }
            }
            Action::Commit => {
                if let Some(field) = self.editing.take()
                    && field.value() != self.path
                {
                    self.path = field.value().trim().to_string();
                    if matches!(self.export, Export::Exists(_)) {
                        self.export = Export::NotYet;
                    }
                }
            }
            Action::Cancel => self.editing = None,
            Action::Export => return self.start_export(),
        }
        None
    }

    fn start_export(&mut self) -> Option<ExportRequest> {
        if self.writing() || self.path.trim().is_empty() {
            return None;
        }
        let path = PathBuf::from(self.path.trim());
        // An outdated report of this path is replaced by the one of now, as the line says.
        let replace = matches!(&self.export, Export::Exists(p) if *p == path)
            || matches!(&self.export, Export::Outdated(w) if w.path == path);
        let create_folder = path.parent() == Some(self.default_folder.as_path());
        self.export = Export::Writing(path.clone());
        Some(ExportRequest {
            path,
            format: self.format,
            replace,
            create_folder,
        })
    }

    /// The worker's answer.
    pub fn on_event(&mut self, event: WorkEvent) {
        let WorkEvent::Written(result) = event;
        self.export = match result {
            Ok(written) => Export::Written(written),
            Err(WriteError::Exists { path }) => Export::Exists(path),
            Err(error) => Export::Failed(error),
        };
    }

    /// The verdict `om-upgrade report` gives the same state, with its exit code.
    fn heading(&self, look: Look) -> Line<'static> {
        let theme = look.theme;
        let ran = self
            .overview
            .steps
            .iter()
            .any(|s| !s.checks.is_empty() || s.status == StepStatus::Stale);
        let plural = |n: usize, one: &str, many: &str| humanize::plural(n, one, many);
        let (text, style) = match self.overview.overall {
            _ if !ran => ("no step has run yet".to_string(), theme.dim()),
            None => ("no step has run yet".to_string(), theme.dim()),
            Some(o) => {
                let exit = format!(" · exit code {}", o.exit_code);
                match o.readiness {
                    Readiness::Blocked => (
                        format!(
                            "not ready: {}, {}{exit}",
                            plural(o.blockers, "blocker", "blockers"),
                            plural(o.open_actions, "open action", "open actions")
                        ),
                        theme.status(Status::Fail),
                    ),
                    Readiness::Incomplete => (
                        format!(
                            "not ready: {} not checked{exit}",
                            plural(o.incomplete, "step", "steps")
                        ),
                        theme.status(Status::Warn),
                    ),
                    Readiness::ActionsOpen => (
                        format!(
                            "no blocker, {}{exit}",
                            plural(o.open_actions, "open action", "open actions")
                        ),
                        theme.status(Status::Warn),
                    ),
                    Readiness::Ready => (
                        format!("ready: every step passed{exit}"),
                        theme.status(Status::Pass),
                    ),
                }
            }
        };
        Line::from(vec![
            Span::styled("Summary  ", theme.title()),
            Span::styled(text, style),
        ])
    }

    fn step_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let severity = |s: StepStatus| match s {
            StepStatus::Fail => 0,
            StepStatus::Warn => 1,
            StepStatus::Running => 2,
            StepStatus::NotRun | StepStatus::Stale => 3,
            StepStatus::Pass | StepStatus::Skip => 4,
        };
        let mut steps: Vec<&StepLine> = self.overview.steps.iter().collect();
        steps.sort_by_key(|s| severity(s.status));
        // Kept results say so, and the heading says from when (the oldest), in one line.
        let oldest = steps.iter().filter_map(|s| s.kept.as_deref()).min();
        let mut lines = vec![match oldest {
            Some(when) => Line::from(vec![
                Span::styled("Steps", theme.title()),
                Span::styled(format!("  results kept from {when}"), theme.dim()),
            ]),
            None => Line::styled("Steps", theme.title()),
        }];
        for step in steps {
            let text = match step.status {
                StepStatus::Running => "running…".to_string(),
                StepStatus::Stale => "stale — re-run".to_string(),
                StepStatus::NotRun if step.id == ScreenId::Backup && !step.checks.is_empty() => {
                    "no verified backup of this database yet".to_string()
                }
                _ if step.checks.is_empty() => "not run yet".to_string(),
                _ => crate::checks::tally(&step.checks),
            };
            let text = match &step.kept {
                Some(_) if !step.checks.is_empty() => format!("{text} · kept"),
                _ => text,
            };
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(
                    crate::tui::theme::step_glyph(step.status, look.tick),
                    theme.step(step.status),
                ),
                Span::raw(" "),
                Span::styled(format!("{:<10}", step.id.title()), theme.text()),
                Span::styled(text, theme.dim()),
            ]));
        }
        lines
    }

    fn render_findings(&self, area: Rect, buf: &mut Buffer, look: Look) {
        let theme = look.theme;
        let findings = &self.overview.findings;
        // Room for the heading and three lines of what to do; the rest lists findings.
        let rows = usize::from(area.height.saturating_sub(4)).max(1);
        let [heading, list, detail] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(u16::try_from(findings.len().clamp(1, rows)).unwrap_or(1)),
            Constraint::Fill(1),
        ])
        .areas(area);
        Line::from(vec![
            Span::styled("Blockers and open actions", theme.title()),
            Span::styled(
                if findings.len() > rows {
                    format!("  {} (↑↓)", findings.len())
                } else {
                    String::new()
                },
                theme.dim(),
            ),
        ])
        .render(heading, buf);
        if findings.is_empty() {
            Line::styled("  none in the steps run so far", theme.dim()).render(list, buf);
            return;
        }
        Paragraph::new(self.finding_lines(list, look)).render(list, buf);
        if let Some(finding) = findings.get(self.selected) {
            let fix = finding
                .remediation
                .as_deref()
                .unwrap_or("no remediation given: see the step for details");
            let text = fix.split_whitespace().collect::<Vec<_>>().join(" ");
            // Indented under the list, so that it reads as the selected row's.
            let indented = Rect {
                x: detail.x.saturating_add(4),
                width: detail.width.saturating_sub(4),
                ..detail
            };
            Paragraph::new(Line::from(vec![
                Span::styled(
                    format!("{} · what to do: ", finding.step.title()),
                    theme.dim(),
                ),
                Span::raw(text),
            ]))
            .wrap(Wrap { trim: false })
            .render(indented, buf);
        }
    }

    /// The findings that fit `list`, scrolled to the selected one.
    fn finding_lines(&self, list: Rect, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let findings = &self.overview.findings;
        let height = usize::from(list.height);
        let offset = (self.selected + 1).saturating_sub(height);
        // Ids get at most half the width, so the summaries stay readable at 80 columns.
        let id_width = findings
            .iter()
            .map(|f| f.id.as_str().chars().count())
            .max()
            .unwrap_or(0)
            .min(usize::from(list.width / 2).saturating_sub(4));
        findings
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, finding)| {
                let status = finding.status;
                let selected = i == self.selected;
                let line = Line::from(vec![
                    Span::raw(if selected { "› " } else { "  " }),
                    Span::styled(status.glyph(), theme.status(status)),
                    Span::raw(" "),
                    Span::styled(
                        format!("{:<id_width$}  ", ellipsize(finding.id.as_str(), id_width)),
                        theme.text(),
                    ),
                    Span::styled(finding.summary.clone(), theme.text()),
                ]);
                if selected {
                    line.style(theme.selected())
                } else {
                    line
                }
            })
            .collect()
    }

    /// The export block: title, formats, the file (cut into lines of `width`, as a path has no
    /// spaces to wrap at).
    fn export_lines(&self, width: usize, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let mut formats = vec![Span::raw("  format  ")];
        for format in Format::ALL {
            if format == self.format {
                formats.push(Span::styled(
                    format!(" {} ", format.label()),
                    theme.selected(),
                ));
            } else {
                formats.push(Span::styled(format!(" {} ", format.label()), theme.dim()));
            }
            formats.push(Span::raw(" "));
        }
        formats.push(Span::styled(
            format!("({} switches)", key_hint(keys::FORMAT)),
            theme.dim(),
        ));
        let mut lines = vec![
            Line::styled("Export the report", theme.title()),
            Line::from(formats),
        ];
        match &self.editing {
            Some(field) => lines.extend(cut_into_lines(
                "  file    ",
                field_spans(field, look),
                width,
            )),
            None => lines.extend(path_rows(&self.path, width, look)),
        }
        lines
    }

    fn export_status(&self, look: Look) -> Line<'static> {
        let theme = look.theme;
        let export = key_hint(keys::EXPORT);
        match &self.export {
            Export::NotYet => Line::styled(
                format!("{export} writes it (owner-only; an existing file is not replaced)"),
                theme.dim(),
            ),
            Export::Writing(path) => Line::styled(
                format!(
                    "{} writing {}…",
                    crate::tui::theme::spinner(look.tick),
                    path.display()
                ),
                theme.dim(),
            ),
            Export::Written(written) => {
                let elsewhere = if written.path.to_string_lossy() == self.path.trim() {
                    String::new()
                } else {
                    format!(" to {}", written.path.display())
                };
                Line::from(vec![
                    Span::styled(
                        format!("{} written", Status::Pass.glyph()),
                        theme.status(Status::Pass),
                    ),
                    Span::raw(format!(
                        "{elsewhere} ({}, {}), readable by you only",
                        written.format.label(),
                        humanize::bytes(written.bytes)
                    )),
                ])
            }
            Export::Outdated(written) => Line::styled(
                format!(
                    "{} {} was written before the last change: {export} again for a report of \
                     what the steps hold now",
                    Status::Warn.glyph(),
                    written.path.display()
                ),
                theme.status(Status::Warn),
            ),
            Export::Exists(path) => {
                let which = if path.to_string_lossy() == self.path.trim() {
                    "this file".to_string()
                } else {
                    path.display().to_string()
                };
                Line::styled(
                    format!(
                        "{} {which} already exists: {export} again replaces it, or change the name",
                        Status::Warn.glyph(),
                    ),
                    theme.status(Status::Warn),
                )
            }
            Export::Failed(error) => Line::styled(
                format!("{} {error}: {}", Status::Fail.glyph(), error.hint()),
                theme.error(),
            ),
        }
    }
}

/// Spans laid out after `prefix`, cut at `width` characters whatever they hold; the following
/// lines are indented like the first.
/// The report's path on one row; where it does not fit, its folder and its file name on a row
/// each (cut with "…" only when one alone does not fit), so that neither wraps in the middle
/// and each copies whole.
fn path_rows(path: &str, width: usize, look: Look) -> Vec<Line<'static>> {
    const LABEL: usize = 10;
    let row = |label: &str, text: &str| {
        Line::from(vec![
            Span::raw(format!("  {label:<8}")),
            Span::styled(
                copyable::fit(text, width.saturating_sub(LABEL)),
                look.theme.text(),
            ),
        ])
    };
    match path.rsplit_once('/') {
        Some((folder, name)) if LABEL + path.chars().count() > width && !folder.is_empty() => {
            vec![row("folder", folder), row("file", name)]
        }
        _ => vec![row("file", path)],
    }
}

fn cut_into_lines(prefix: &str, spans: Vec<Span<'static>>, width: usize) -> Vec<Line<'static>> {
    let indent = prefix.chars().count();
    let room = width.saturating_sub(indent).max(1);
    let mut lines: Vec<Vec<Span<'static>>> = vec![vec![Span::raw(prefix.to_string())]];
    let mut used = 0;
    for span in spans {
        let mut rest: Vec<char> = span.content.chars().collect();
        while !rest.is_empty() {
            if used == room {
                lines.push(vec![Span::raw(" ".repeat(indent))]);
                used = 0;
            }
            let take = (room - used).min(rest.len());
            let piece: String = rest.drain(..take).collect();
            used += take;
            if let Some(line) = lines.last_mut() {
                line.push(Span::styled(piece, span.style));
            }
        }
    }
    lines.into_iter().map(Line::from).collect()
}

fn key_hint(keys: &[crate::tui::keymap::Key]) -> String {
    keys.first().map(|k| k.hint()).unwrap_or_default()
}

impl Keys for Summary {
    type Action = Action;

    fn bindings(&self) -> Vec<Binding<Action>> {
        if self.editing.is_some() {
            let mut b = vec![
                Binding::new(keys::COMMIT, "accept", Action::Commit),
                Binding::new(keys::CANCEL, "cancel", Action::Cancel),
            ];
            b.extend(text_field::edit_bindings(Action::Edit));
            return b;
        }
        let export = match &self.export {
            Export::Exists(path) if self.path.trim() == path.to_string_lossy() => "replace it",
            _ => "export",
        };
        vec![
            Binding::new(keys::EXPORT, export, Action::Export)
                .enabled(!self.writing() && !self.path.trim().is_empty()),
            Binding::new(keys::FORMAT, "format", Action::NextFormat),
            Binding::new(keys::EDIT_PATH, "change file", Action::EditPath),
            Binding::new(keys::UP, "previous finding", Action::Up).help_only(),
            Binding::new(keys::DOWN, "next finding", Action::Down).help_only(),
        ]
    }

    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding<Action>>)> {
        text_field::help_sections(
            self.bindings(),
            self.editing.is_some(),
            "While editing the file name",
            Action::Edit,
        )
    }

    fn typed(&self, c: char) -> Option<Action> {
        Some(Action::Edit(TextEdit::Insert(c)))
    }
}

impl Screen for Summary {
    fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    fn is_busy(&self) -> bool {
        self.writing()
    }

    fn status(&self) -> StepStatus {
        match self.export {
            Export::NotYet => StepStatus::NotRun,
            Export::Writing(_) => StepStatus::Running,
            Export::Written(_) => StepStatus::Pass,
            Export::Outdated(_) => StepStatus::Stale,
            Export::Exists(_) => StepStatus::Warn,
            Export::Failed(_) => StepStatus::Fail,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, look: Look) {
        let steps = self.step_lines(look);
        let export = self.export_lines(usize::from(area.width), look);
        let [
            heading,
            _,
            steps_area,
            _,
            findings,
            _,
            export_area,
            status_area,
        ] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(u16::try_from(steps.len()).unwrap_or(u16::MAX)),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(u16::try_from(export.len()).unwrap_or(u16::MAX)),
            Constraint::Length(2),
        ])
        .areas(area);
        self.heading(look).render(heading, buf);
        Paragraph::new(steps).render(steps_area, buf);
        self.render_findings(findings, buf, look);
        Paragraph::new(export).render(export_area, buf);
        // Indented like the lines above, also where it wraps.
        let status_area = Rect {
            x: status_area.x.saturating_add(2),
            width: status_area.width.saturating_sub(2),
            ..status_area
        };
        Paragraph::new(self.export_status(look))
            .wrap(Wrap { trim: false })
            .render(status_area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_follows_the_format_only_when_it_was_the_formats() {
        assert_eq!(
            with_extension("/r/report.md", Format::Markdown, Format::Json),
            "/r/report.json"
        );
        assert_eq!(
            with_extension("/r/notes.txt", Format::Markdown, Format::Json),
            "/r/notes.txt"
        );
    }

    #[test]
    fn an_existing_file_is_replaced_only_when_asked_again_for_the_same_path() {
        let mut summary = Summary::new(PathBuf::from("/r/report.md"));
        let first = summary.update(Action::Export).expect("export starts");
        assert!(!first.replace && first.create_folder);
        assert_eq!(summary.update(Action::Export), None, "one at a time");
        summary.on_event(WorkEvent::Written(Err(WriteError::Exists {
            path: first.path.clone(),
        })));
        assert_eq!(summary.status(), StepStatus::Warn);
        let again = summary.update(Action::Export).expect("export starts");
        assert!(again.replace);
        summary.on_event(WorkEvent::Written(Err(WriteError::Exists {
            path: again.path.clone(),
        })));
        summary.update(Action::NextFormat);
        let other = summary.update(Action::Export).expect("export starts");
        assert_eq!(other.path, PathBuf::from("/r/report.json"));
        assert!(!other.replace, "another file is not replaced");
    }
}
