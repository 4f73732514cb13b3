//! Releases: every item between the installed version and the target, grouped by release and
//! kind, each marked "affects you", "not you" or "unknown" with its evidence (read-only probes
//! in the database, hits in openmetadata.yaml and workflow files). Breaking items can be
//! acknowledged; a details pane says what changes, what the migration does, what to do and
//! where it is written. The review is the release checks' work (`checks::release`,
//! `knowledge::impact`), run by the loop's worker.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::{Look, Screen, StepStatus};
use crate::checks::runner::CheckEvent;
use crate::checks::{CheckId, Status};
use crate::config::DbSettings;
use crate::knowledge::impact::{Impact, Verdict};
use crate::knowledge::scan::{ScanInputs, ScanReport};
use crate::knowledge::{Catalogue, Item, Kind, Stop};
use crate::tui::action::{Action as AppAction, Effect, RunId};
use crate::tui::keymap::{Binding, keys};
use crate::tui::widgets::progress::{bar, fraction};
use crate::tui::widgets::text_field::{self, TextEdit, TextField, field_spans};
use crate::tui::widgets::{scroll_offset, wrapped_height};
use crate::version::Version;

/// Rows a page key moves.
const PAGE: isize = 8;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    /// Show only what affects this installation (and what cannot be told), or everything.
    ToggleFilter,
    /// Acknowledge the selected breaking item, or take the acknowledgement back.
    Acknowledge,
    Rerun,
    EditWorkflows,
    EditConfig,
    EditText(TextEdit),
    Commit,
    CancelEdit,
}

/// A review to run.
#[derive(Debug, Clone)]
pub struct ReviewJob {
    pub run: RunId,
    pub settings: DbSettings,
    pub target: Version,
    pub catalogue: Arc<Catalogue>,
    pub files: ScanInputs,
    pub backup_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub enum Work {
    Review(Box<ReviewJob>),
}

impl Work {
    pub fn run_id(&self) -> RunId {
        match self {
            Work::Review(job) => job.run,
        }
    }
}

/// A release line of the review, for its group heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInfo {
    pub version: String,
    pub date: Option<String>,
    pub notes: String,
}

#[derive(Debug, Clone)]
pub struct Reviewed {
    pub item: Item,
    pub impact: Impact,
}

/// What the upgrade crosses, measured.
#[derive(Debug, Clone)]
pub struct Review {
    pub from: Version,
    pub to: Version,
    pub stops: Vec<Stop>,
    /// The database server that was probed (`PostgreSQL 15.4`), when known.
    pub server: Option<String>,
    pub scan: ScanReport,
    pub releases: Vec<ReleaseInfo>,
    /// In plan order: by release, then catalogue order.
    pub items: Vec<Reviewed>,
}

/// Why there is no review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewError {
    pub message: String,
    pub hint: String,
}

#[derive(Debug)]
pub enum WorkEvent {
    /// The installed version is known; these item checks will probe the database.
    Planned {
        run: RunId,
        from: Version,
        probes: Vec<(CheckId, String)>,
    },
    Probe {
        run: RunId,
        event: CheckEvent,
    },
    Reviewed {
        run: RunId,
        result: Box<Result<Review, ReviewError>>,
    },
    Crashed {
        run: RunId,
        reason: String,
    },
}

/// What a review was asked for; a review for other inputs is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
struct For {
    target: Version,
    url: String,
    config: String,
    workflows: String,
}

/// A review under way.
#[derive(Debug, Clone)]
struct Probing {
    run: RunId,
    /// The installed version, once read.
    from: Option<Version>,
    probes: Vec<(CheckId, String)>,
    done: usize,
    /// The title of the item being probed.
    current: Option<String>,
}

#[derive(Debug, Clone)]
enum Phase {
    Running(Probing),
    Done(Box<Review>),
    Failed(ReviewError),
}

#[derive(Debug, Clone)]
struct State {
    asked: For,
    phase: Phase,
}

/// What the review needs from the rest of the wizard.
pub struct Inputs<'a> {
    pub target: Option<&'a Version>,
    /// The Database step's form as settings, or why it is not usable.
    pub connection: Result<DbSettings, String>,
    pub url: String,
    pub catalogue: Result<&'a Arc<Catalogue>, &'a str>,
    pub backup_dir: &'a Path,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Workflows,
    Config,
}

/// One line of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Release(usize),
    Kind(Kind),
    Item(usize),
}

#[derive(Debug, Clone)]
pub struct Releases {
    state: Option<State>,
    /// Keys (`1.2/query-service-required`) of the acknowledged breaking items.
    acknowledged: BTreeSet<String>,
    affecting_only: bool,
    /// Index into the review's items.
    selected: usize,
    config: String,
    workflows: String,
    /// The environment openmetadata.yaml is read with.
    files: ScanInputs,
    editing: Option<(Input, TextField)>,
    /// Set by the App when the target or the connection no longer match the review.
    stale: bool,
    last_run: u64,
}

fn path_text(path: Option<&PathBuf>) -> String {
    path.map(|p| p.display().to_string()).unwrap_or_default()
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

/// An item the operator still has to act on (or decide about).
fn pending(reviewed: &Reviewed) -> bool {
    match reviewed.item.kind {
        Kind::Breaking => reviewed.impact.verdict != Verdict::NotAffected,
        _ => reviewed.impact.verdict == Verdict::Affects,
    }
}

impl Releases {
    pub fn new(files: ScanInputs) -> Releases {
        Releases {
            state: None,
            acknowledged: BTreeSet::new(),
            affecting_only: false,
            selected: 0,
            config: path_text(files.server_config.as_ref()),
            workflows: path_text(files.workflows.as_ref()),
            files,
            editing: None,
            stale: false,
            last_run: 0,
        }
    }

    pub fn acknowledged(&self) -> &BTreeSet<String> {
        &self.acknowledged
    }

    pub fn resume(&mut self, acknowledged: &BTreeSet<String>) {
        self.acknowledged = acknowledged.clone();
    }

    fn review(&self) -> Option<&Review> {
        match &self.state {
            Some(State {
                phase: Phase::Done(review),
                ..
            }) => Some(review),
            _ => None,
        }
    }

    fn running(&self) -> bool {
        matches!(
            self.state,
            Some(State {
                phase: Phase::Running(_),
                ..
            })
        )
    }

    fn wanted(&self, inputs: &Inputs) -> Option<For> {
        Some(For {
            target: inputs.target?.clone(),
            url: inputs.url.clone(),
            config: self.config.trim().to_string(),
            workflows: self.workflows.trim().to_string(),
        })
    }

    /// Marks the review stale when the target, the connection or the files changed since.
    pub fn observe(&mut self, inputs: &Inputs) {
        let wanted = self.wanted(inputs);
        self.stale = match &self.state {
            Some(state) => wanted.as_ref() != Some(&state.asked),
            None => false,
        };
    }

    /// On entering the step: review when there is none yet or it is stale.
    pub fn on_enter(&mut self, inputs: &Inputs) -> Vec<Effect> {
        self.observe(inputs);
        if self.running() || (self.state.is_some() && !self.stale) {
            return Vec::new();
        }
        self.start(inputs).into_iter().collect()
    }

    fn start(&mut self, inputs: &Inputs) -> Option<Effect> {
        if self.running() {
            return None;
        }
        let fail = |message: String, hint: &str| {
            Phase::Failed(ReviewError {
                message,
                hint: hint.to_string(),
            })
        };
        let Some(asked) = self.wanted(inputs) else {
            self.state = None;
            return None;
        };
        let file = |text: &str| (!text.is_empty()).then(|| PathBuf::from(text));
        let files = ScanInputs {
            server_config: file(&asked.config),
            workflows: file(&asked.workflows),
            env: self.files.env.clone(),
        };
        self.stale = false;
        let (catalogue, settings) = match (inputs.catalogue, &inputs.connection) {
            (Err(error), _) => {
                self.state = Some(State {
                    asked,
                    phase: fail(error.to_string(), "This is a bug of om-upgrade: report it."),
                });
                return None;
            }
            (_, Err(problem)) => {
                self.state = Some(State {
                    asked,
                    phase: fail(
                        format!("the connection is not usable: {problem}"),
                        "Fix it on the Database step, then come back.",
                    ),
                });
                return None;
            }
            (Ok(catalogue), Ok(settings)) => (catalogue.clone(), settings.clone()),
        };
        self.last_run += 1;
        let run = RunId(self.last_run);
        let target = asked.target.clone();
        self.state = Some(State {
            asked,
            phase: Phase::Running(Probing {
                run,
                from: None,
                probes: Vec::new(),
                done: 0,
                current: None,
            }),
        });
        Some(Effect::Releases(Work::Review(Box::new(ReviewJob {
            run,
            settings,
            target,
            catalogue,
            files,
            backup_dir: inputs.backup_dir.to_path_buf(),
        }))))
    }

    pub fn update(&mut self, action: Action, inputs: &Inputs) -> Vec<Effect> {
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-PAGE),
            Action::PageDown => self.move_by(PAGE),
            Action::ToggleFilter => {
                self.affecting_only = !self.affecting_only;
                self.keep_selection_visible();
            }
            Action::Acknowledge => {
                if let Some(reviewed) = self.selected_item()
                    && reviewed.item.kind == Kind::Breaking
                {
                    let key = reviewed.item.key();
                    if !self.acknowledged.remove(&key) {
                        self.acknowledged.insert(key);
                    }
                }
            }
            Action::Rerun => return self.start(inputs).into_iter().collect(),
            Action::EditWorkflows => {
                self.editing = Some((Input::Workflows, TextField::new(self.workflows.clone())));
            }
            Action::EditConfig => {
                self.editing = Some((Input::Config, TextField::new(self.config.clone())));
            }
            Action::EditText(edit) => {
                if let Some((_, field)) = &mut self.editing {
                    field.apply(edit);
                }
            }
            Action::Commit => {
                if let Some((input, field)) = self.editing.take() {
                    let value = field.value().trim().to_string();
                    let slot = match input {
                        Input::Workflows => &mut self.workflows,
                        Input::Config => &mut self.config,
                    };
                    if *slot != value {
                        *slot = value;
                        // New files to read: review again with them.
                        return self.start(inputs).into_iter().collect();
                    }
                }
            }
            Action::CancelEdit => self.editing = None,
        }
        Vec::new()
    }

    /// The rows of the list, as the filter shows them.
    fn rows(&self) -> Vec<Row> {
        let Some(review) = self.review() else {
            return Vec::new();
        };
        let mut rows = Vec::new();
        for (r, release) in review.releases.iter().enumerate() {
            let mut heading = false;
            for kind in Kind::ALL {
                let mut kind_heading = false;
                for (i, reviewed) in review.items.iter().enumerate() {
                    if reviewed.item.release != release.version || reviewed.item.kind != kind {
                        continue;
                    }
                    if self.affecting_only && reviewed.impact.verdict == Verdict::NotAffected {
                        continue;
                    }
                    if !heading {
                        rows.push(Row::Release(r));
                        heading = true;
                    }
                    if !kind_heading {
                        rows.push(Row::Kind(kind));
                        kind_heading = true;
                    }
                    rows.push(Row::Item(i));
                }
            }
        }
        rows
    }

    fn visible_items(&self) -> Vec<usize> {
        self.rows()
            .into_iter()
            .filter_map(|r| match r {
                Row::Item(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    fn move_by(&mut self, delta: isize) {
        let items = self.visible_items();
        let at = items.iter().position(|i| *i == self.selected).unwrap_or(0);
        let at = at
            .saturating_add_signed(delta)
            .min(items.len().saturating_sub(1));
        if let Some(i) = items.get(at) {
            self.selected = *i;
        }
    }

    fn keep_selection_visible(&mut self) {
        let items = self.visible_items();
        if !items.contains(&self.selected) {
            self.selected = items
                .iter()
                .copied()
                .find(|i| *i > self.selected)
                .or_else(|| items.last().copied())
                .unwrap_or(0);
        }
    }

    fn selected_item(&self) -> Option<&Reviewed> {
        self.review()?
            .items
            .get(self.selected)
            .filter(|_| self.visible_items().contains(&self.selected))
    }

    pub fn on_event(&mut self, event: WorkEvent) {
        let run = match &event {
            WorkEvent::Planned { run, .. }
            | WorkEvent::Probe { run, .. }
            | WorkEvent::Reviewed { run, .. }
            | WorkEvent::Crashed { run, .. } => *run,
        };
        let Some(state) = self.state.as_mut() else {
            return;
        };
        let Phase::Running(probing) = &mut state.phase else {
            return;
        };
        if probing.run != run {
            return;
        }
        match event {
            WorkEvent::Planned { from, probes, .. } => {
                probing.from = Some(from);
                probing.probes = probes;
            }
            WorkEvent::Probe { event, .. } => match event {
                CheckEvent::Started(id) => {
                    probing.current = probing
                        .probes
                        .iter()
                        .find(|(p, _)| *p == id)
                        .map(|(_, title)| title.clone());
                }
                CheckEvent::Finished(_) => probing.done += 1,
            },
            WorkEvent::Reviewed { result, .. } => {
                state.phase = match *result {
                    Ok(review) => Phase::Done(Box::new(review)),
                    Err(error) => Phase::Failed(error),
                };
                // Start on the first thing to look at.
                self.selected = self
                    .review()
                    .and_then(|r| r.items.iter().position(pending))
                    .unwrap_or(0);
                self.keep_selection_visible();
            }
            WorkEvent::Crashed { reason, .. } => {
                state.phase = Phase::Failed(ReviewError {
                    message: format!("the review stopped by an internal error: {reason}"),
                    hint: format!("{} tries again.", keys::RERUN[0].hint()),
                });
            }
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
                    review.from,
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
                if self.affecting_only {
                    " · showing what affects you"
                } else {
                    ""
                }
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
            if let Some(server) = &review.server {
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
                "Nothing affects you or is unknown: every item was measured as not affecting \
                 this installation."
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
                    let ack = match reviewed.item.kind {
                        Kind::Breaking if self.acknowledged.contains(&reviewed.item.key()) => "[x]",
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
            let acked = self.acknowledged.contains(&item.key());
            lines.push(if acked {
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
                        "[ ] not acknowledged: {} acknowledges that you have read it and will act",
                        keys::ACKNOWLEDGE[0].hint()
                    ),
                    theme.notice(),
                )
            });
        }
        lines
    }

    fn render_running(&self, probing: &Probing, area: Rect, buf: &mut Buffer, look: Look) {
        let theme = look.theme;
        let mut lines = vec![Line::from(vec![
            Span::styled(
                format!("{} ", super::spinner(look.tick)),
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
            Line::styled(
                format!("{} {}", Status::Fail.glyph(), error.message),
                theme.error(),
            ),
            Line::from(vec![
                Span::styled("What to do: ", theme.title()),
                Span::raw(error.hint.clone()),
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
            Paragraph::new(self.detail_lines(reviewed, look))
                .wrap(Wrap { trim: false })
                .render(inner, buf);
        }
    }
}

impl Screen for Releases {
    fn bindings(&self) -> Vec<Binding> {
        let wrap = AppAction::Releases;
        if self.editing.is_some() {
            let mut b = vec![
                Binding::new(keys::COMMIT, "accept", wrap(Action::Commit)),
                Binding::new(keys::CANCEL, "cancel", wrap(Action::CancelEdit)),
            ];
            b.extend(text_field::edit_bindings(|e| {
                AppAction::Releases(Action::EditText(e))
            }));
            return b;
        }
        let mut b = Vec::new();
        if self.review().is_some() {
            let breaking = self
                .selected_item()
                .is_some_and(|r| r.item.kind == Kind::Breaking);
            b.push(
                Binding::new(keys::ACKNOWLEDGE, "acknowledge", wrap(Action::Acknowledge))
                    .enabled(breaking),
            );
            let filter = if self.affecting_only {
                "show all"
            } else {
                "affecting me"
            };
            b.push(Binding::new(
                keys::FILTER,
                filter,
                wrap(Action::ToggleFilter),
            ));
        }
        b.push(
            Binding::new(keys::RERUN, "review again", wrap(Action::Rerun)).enabled(!self.running()),
        );
        b.push(
            Binding::new(
                keys::WORKFLOWS,
                "workflows folder",
                wrap(Action::EditWorkflows),
            )
            .enabled(!self.running()),
        );
        b.push(
            Binding::new(
                keys::SERVER_CONFIG,
                "openmetadata.yaml",
                wrap(Action::EditConfig),
            )
            .enabled(!self.running()),
        );
        b.push(Binding::new(keys::UP, "previous item", wrap(Action::Up)).help_only());
        b.push(Binding::new(keys::DOWN, "next item", wrap(Action::Down)).help_only());
        b.push(Binding::new(keys::PAGE_UP, "page up", wrap(Action::PageUp)).help_only());
        b.push(Binding::new(keys::PAGE_DOWN, "page down", wrap(Action::PageDown)).help_only());
        b
    }

    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding>)> {
        let mut sections = vec![("This step", self.bindings())];
        if self.editing.is_none() {
            sections.push((
                "While editing a path",
                text_field::edit_bindings(|e| AppAction::Releases(Action::EditText(e))),
            ));
        }
        sections
    }

    fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    fn typed(&self, c: char) -> Option<AppAction> {
        Some(AppAction::Releases(Action::EditText(TextEdit::Insert(c))))
    }

    fn is_busy(&self) -> bool {
        self.running()
    }

    fn status(&self) -> StepStatus {
        let Some(state) = &self.state else {
            return StepStatus::NotStarted;
        };
        match &state.phase {
            Phase::Running(_) => StepStatus::Running,
            _ if self.stale => StepStatus::NotStarted,
            Phase::Failed(_) => StepStatus::Fail,
            Phase::Done(review) => {
                let open = review.items.iter().filter(|r| pending(r)).any(|r| {
                    !(r.item.kind == Kind::Breaking && self.acknowledged.contains(&r.item.key()))
                });
                if open {
                    StepStatus::Warn
                } else {
                    StepStatus::Pass
                }
            }
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, look: Look) {
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
            Some(Phase::Done(review)) => self.render_review(review, area, buf, look),
        }
    }
}
