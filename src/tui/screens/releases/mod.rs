//! Releases: every item between the installed version and the target, grouped by release and
//! kind, each marked "affects you", "not you" or "unknown" with its evidence (read-only probes
//! in the database, hits in openmetadata.yaml and workflow files). Breaking items can be
//! acknowledged; a details pane says what changes, what the migration does, what to do and
//! where it is written. The review is the release checks' work (`checks::release`,
//! `knowledge::impact`), run by the loop's worker.

mod view;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::database::FormError;
use super::{Keys, RunId, Screen};
use crate::checks::CheckId;
use crate::checks::release::NotInstalled;
use crate::checks::runner::{CheckEvent, CheckResult};
use crate::config::DbSettings;
use crate::knowledge::impact::{Elsewhere, Verdict};
use crate::knowledge::review::{Review, Reviewed};
use crate::knowledge::scan::ScanInputs;
use crate::knowledge::{Catalogue, Installed, Kind, KnowledgeError};
use crate::report::StepStatus;
use crate::session::Fingerprint;
use crate::tui::keymap::{Binding, keys};
use crate::tui::theme::Look;
use crate::tui::widgets::text_field::{self, TextEdit, TextField};
use crate::version::Version;

/// Rows a page key scrolls the details by.
const DETAIL_PAGE: u16 = 5;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    /// Scroll the selected item's details.
    PageUp,
    PageDown,
    /// The details take the whole step (the list is hidden), or share it again.
    ToggleDetails,
    /// Show only what affects this installation, or everything.
    ToggleFilter,
    /// With the filter on, show the items that cannot be told ("unknown") too, or hide them.
    ToggleUnknown,
    /// Mark the selected breaking item to acknowledge it with the others marked, or unmark it.
    Mark,
    /// Acknowledge the marked items; with none marked, acknowledge the selected breaking item
    /// or take its acknowledgement back.
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
    /// What the other steps measured, for the items measured by their checks.
    pub elsewhere: Elsewhere,
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

/// A finished review, with the release checks of the probed items as `om-upgrade check`
/// reports them (for the Summary).
#[derive(Debug, Clone)]
pub struct Finished {
    pub review: Review,
    pub results: Vec<CheckResult>,
    /// What the other steps had measured when it was judged.
    pub elsewhere: Elsewhere,
    /// The files it read, as they were.
    pub files: Vec<Fingerprint>,
}

impl Finished {
    /// Judges the items again with what the other steps measured now, when that changed for an
    /// item measured by another step's check (nothing is probed again).
    fn rejudge(&mut self, catalogue: &Catalogue, elsewhere: &Elsewhere) {
        let checks: BTreeSet<&str> = self
            .review
            .items
            .iter()
            .filter_map(|r| r.item.measured_by.as_deref())
            .collect();
        let changed = checks
            .iter()
            .any(|id| self.elsewhere.get(*id) != elsewhere.get(*id));
        if !changed {
            return;
        }
        let Ok(plan) = catalogue.plan_for(&self.review.installed, &self.review.to) else {
            return;
        };
        self.review = crate::knowledge::review::review(
            catalogue,
            &plan,
            self.review.database.clone(),
            self.review.scan.clone(),
            elsewhere,
        );
        self.elsewhere = elsewhere.clone();
    }
}

/// Why there is no review.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReviewError {
    /// The release catalogue did not load (a bug of om-upgrade, or a broken --releases-dir).
    #[error("{0}")]
    Catalogue(Arc<KnowledgeError>),
    #[error("the connection is not usable: {0}")]
    Connection(FormError),
    /// The installed version is not known: not an OpenMetadata database, or not readable.
    #[error("cannot tell what is installed: {0}")]
    Installed(NotInstalled),
    /// No upgrade from the installed version to the target (a downgrade, an unknown release).
    #[error("{0}")]
    Plan(Arc<KnowledgeError>),
    #[error("the review stopped by an internal error: {0}")]
    Crashed(String),
}

impl ReviewError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            ReviewError::Catalogue(_) => "This is a bug of om-upgrade: report it.".into(),
            ReviewError::Connection(_) => "Fix it on the Database step, then come back.".into(),
            ReviewError::Installed(_) => "Test the connection on the Database step: the review \
                                          reads the installed version from the OpenMetadata \
                                          database."
                .into(),
            ReviewError::Plan(error) => error.hint().into(),
            ReviewError::Crashed(_) => format!("{} tries again.", keys::RERUN[0].hint()),
        }
    }
}

#[derive(Debug)]
pub enum WorkEvent {
    /// The installed version is known; these item checks will probe the database.
    Planned {
        run: RunId,
        from: Installed,
        probes: Vec<(CheckId, String)>,
    },
    Probe {
        run: RunId,
        event: CheckEvent,
    },
    Reviewed {
        run: RunId,
        result: Box<Result<Finished, ReviewError>>,
        /// How long the review took (a failed one reports it too).
        took: std::time::Duration,
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
    from: Option<Installed>,
    probes: Vec<(CheckId, String)>,
    done: usize,
    /// The title of the item being probed.
    current: Option<String>,
}

#[derive(Debug, Clone)]
enum Phase {
    Running(Probing),
    Done(Box<Finished>),
    Failed(ReviewError),
}

#[derive(Debug, Clone)]
struct State {
    asked: For,
    phase: Phase,
    /// How long the review took, once it ended.
    took: std::time::Duration,
}

/// What the review needs from the rest of the wizard.
pub struct Inputs<'a> {
    pub target: Option<&'a Version>,
    /// The Database step's form as settings, or why it is not usable.
    pub connection: Result<DbSettings, FormError>,
    pub url: String,
    pub catalogue: Result<&'a Arc<Catalogue>, &'a Arc<KnowledgeError>>,
    pub backup_dir: &'a Path,
    /// What the other steps' checks measured (`db.sort_memory`, `clients.python`).
    pub elsewhere: Elsewhere,
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
    /// Keys of the breaking items marked to acknowledge together.
    marked: BTreeSet<String>,
    affecting_only: bool,
    /// With `affecting_only`: the "unknown" items are shown too.
    show_unknown: bool,
    /// The details have the whole step.
    details_only: bool,
    /// Rows the details are scrolled by (back to the top when the selection moves).
    detail_scroll: u16,
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
            marked: BTreeSet::new(),
            affecting_only: false,
            show_unknown: false,
            details_only: false,
            detail_scroll: 0,
            selected: 0,
            config: path_text(files.server_config.as_ref()),
            workflows: path_text(files.workflows.as_ref()),
            files,
            editing: None,
            stale: false,
            last_run: 0,
        }
    }

    /// The files the review reads (as typed here), with the environment they are read with.
    pub fn files(&self) -> ScanInputs {
        self.files_of(self.config.trim(), self.workflows.trim())
    }

    fn files_of(&self, config: &str, workflows: &str) -> ScanInputs {
        let file = |text: &str| (!text.is_empty()).then(|| PathBuf::from(text));
        ScanInputs {
            server_config: file(config),
            workflows: file(workflows),
            env: self.files.env.clone(),
        }
    }

    /// The review's inputs besides the database and the target, for the session's key.
    pub fn key_inputs(&self) -> Vec<String> {
        vec![
            format!("openmetadata.yaml={}", self.config.trim()),
            format!("workflows={}", self.workflows.trim()),
        ]
    }

    /// The files the shown review read, as they were then.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        self.finished().map(|f| f.files.clone()).unwrap_or_default()
    }

    pub fn acknowledged(&self) -> &BTreeSet<String> {
        &self.acknowledged
    }

    pub fn resume(&mut self, acknowledged: &BTreeSet<String>) {
        self.acknowledged = acknowledged.clone();
    }

    fn review(&self) -> Option<&Review> {
        self.finished().map(|f| &f.review)
    }

    fn finished(&self) -> Option<&Finished> {
        match &self.state {
            Some(State {
                phase: Phase::Done(finished),
                ..
            }) => Some(finished),
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

    /// Marks the review stale when the target, the connection or the files changed since;
    /// judges its items again when what the other steps measured for them changed.
    pub fn observe(&mut self, inputs: &Inputs) {
        let wanted = self.wanted(inputs);
        self.stale = match &self.state {
            Some(state) => wanted.as_ref() != Some(&state.asked),
            None => false,
        };
        if let (
            Some(State {
                phase: Phase::Done(finished),
                ..
            }),
            Ok(catalogue),
        ) = (&mut self.state, inputs.catalogue)
        {
            finished.rejudge(catalogue, &inputs.elsewhere);
        }
    }

    /// On entering the step: review when there is none yet or it is stale.
    pub fn on_enter(&mut self, inputs: &Inputs) -> Vec<Work> {
        self.observe(inputs);
        if self.running() || (self.state.is_some() && !self.stale) {
            return Vec::new();
        }
        self.start(inputs).into_iter().collect()
    }

    fn start(&mut self, inputs: &Inputs) -> Option<Work> {
        if self.running() {
            return None;
        }
        let Some(asked) = self.wanted(inputs) else {
            self.state = None;
            return None;
        };
        let files = self.files_of(&asked.config, &asked.workflows);
        self.stale = false;
        let (catalogue, settings) = match (inputs.catalogue, &inputs.connection) {
            (Ok(catalogue), Ok(settings)) => (catalogue.clone(), settings.clone()),
            (Err(error), _) => {
                let phase = Phase::Failed(ReviewError::Catalogue(error.clone()));
                self.state = Some(State {
                    asked,
                    phase,
                    took: std::time::Duration::ZERO,
                });
                return None;
            }
            (_, Err(problem)) => {
                let phase = Phase::Failed(ReviewError::Connection(problem.clone()));
                self.state = Some(State {
                    asked,
                    phase,
                    took: std::time::Duration::ZERO,
                });
                return None;
            }
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
            took: std::time::Duration::ZERO,
        });
        Some(Work::Review(Box::new(ReviewJob {
            run,
            settings,
            target,
            catalogue,
            files,
            backup_dir: inputs.backup_dir.to_path_buf(),
            elsewhere: inputs.elsewhere.clone(),
        })))
    }

    pub fn update(&mut self, action: Action, inputs: &Inputs) -> Vec<Work> {
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.detail_scroll = self.detail_scroll.saturating_sub(DETAIL_PAGE),
            Action::PageDown => {
                let most = self
                    .selected_item()
                    .map_or(0, |r| self.detail_rows_at_most(r));
                self.detail_scroll = (self.detail_scroll + DETAIL_PAGE).min(most);
            }
            Action::ToggleDetails => self.details_only = !self.details_only,
            Action::ToggleFilter => {
                self.affecting_only = !self.affecting_only;
                self.keep_selection_visible();
            }
            Action::ToggleUnknown => {
                self.show_unknown = !self.show_unknown;
                self.keep_selection_visible();
            }
            Action::Mark => {
                if let Some(key) = self.selected_breaking()
                    && !self.marked.remove(&key)
                {
                    self.marked.insert(key);
                }
            }
            Action::Acknowledge => self.acknowledge(),
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

    /// The key of the selected item, when it is a breaking one (only those are acknowledged).
    fn selected_breaking(&self) -> Option<String> {
        self.selected_item()
            .filter(|r| r.item.kind == Kind::Breaking)
            .map(|r| r.item.key())
    }

    /// Acknowledges every marked item at once; with none marked, the selected one (or takes
    /// its acknowledgement back).
    fn acknowledge(&mut self) {
        if !self.marked.is_empty() {
            self.acknowledged.append(&mut self.marked);
            return;
        }
        if let Some(key) = self.selected_breaking()
            && !self.acknowledged.remove(&key)
        {
            self.acknowledged.insert(key);
        }
    }

    /// Whether the filter shows an item of this verdict.
    fn shown(&self, verdict: Verdict) -> bool {
        match verdict {
            _ if !self.affecting_only => true,
            Verdict::Affects => true,
            Verdict::Unknown => self.show_unknown,
            Verdict::NotAffected => false,
        }
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
                    if !self.shown(reviewed.impact.verdict) {
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
        if let Some(i) = items.get(at)
            && *i != self.selected
        {
            self.selected = *i;
            self.detail_scroll = 0;
        }
    }

    fn keep_selection_visible(&mut self) {
        let items = self.visible_items();
        if !items.contains(&self.selected) {
            self.detail_scroll = 0;
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
            WorkEvent::Reviewed { result, took, .. } => {
                state.took = took;
                state.phase = match *result {
                    Ok(finished) => Phase::Done(Box::new(finished)),
                    Err(error) => Phase::Failed(error),
                };
                // Start on the first thing to look at, with nothing marked.
                self.marked.clear();
                self.detail_scroll = 0;
                self.selected = self
                    .review()
                    .and_then(|r| r.items.iter().position(pending))
                    .unwrap_or(0);
                self.keep_selection_visible();
            }
            WorkEvent::Crashed { reason, .. } => {
                state.phase = Phase::Failed(ReviewError::Crashed(reason));
            }
        }
    }
}

impl Keys for Releases {
    type Action = Action;

    fn bindings(&self) -> Vec<Binding<Action>> {
        if self.editing.is_some() {
            let mut b = vec![
                Binding::new(keys::COMMIT, "accept", Action::Commit),
                Binding::new(keys::CANCEL, "cancel", Action::CancelEdit),
            ];
            b.extend(text_field::edit_bindings(Action::EditText));
            return b;
        }
        let mut b = Vec::new();
        if self.review().is_some() {
            let breaking = self.selected_breaking().is_some();
            let acknowledge = match self.marked.len() {
                0 => "acknowledge".to_string(),
                n => format!("acknowledge {n} marked"),
            };
            b.push(
                Binding::new(keys::ACKNOWLEDGE, acknowledge, Action::Acknowledge)
                    .enabled(breaking || !self.marked.is_empty()),
            );
            let marked = self
                .selected_breaking()
                .is_some_and(|key| self.marked.contains(&key));
            let mark = if marked { "unmark" } else { "mark" };
            b.push(Binding::new(keys::MARK, mark, Action::Mark).enabled(breaking));
            let filter = if self.affecting_only {
                "show all"
            } else {
                "affecting me"
            };
            b.push(Binding::new(keys::FILTER, filter, Action::ToggleFilter));
            if self.affecting_only {
                let unknown = if self.show_unknown {
                    "hide unknown"
                } else {
                    "show unknown"
                };
                b.push(Binding::new(
                    keys::SHOW_UNKNOWN,
                    unknown,
                    Action::ToggleUnknown,
                ));
            }
            let details = if self.details_only {
                "list and details"
            } else {
                "details only"
            };
            b.push(Binding::new(keys::DETAILS, details, Action::ToggleDetails).help_only());
            b.push(
                Binding::new(keys::PAGE_DOWN, "scroll details down", Action::PageDown).help_only(),
            );
            b.push(Binding::new(keys::PAGE_UP, "scroll details up", Action::PageUp).help_only());
        }
        b.push(Binding::new(keys::RERUN, "review again", Action::Rerun).enabled(!self.running()));
        b.push(
            Binding::new(keys::WORKFLOWS, "workflows folder", Action::EditWorkflows)
                .enabled(!self.running()),
        );
        b.push(
            Binding::new(keys::SERVER_CONFIG, "openmetadata.yaml", Action::EditConfig)
                .enabled(!self.running()),
        );
        b.push(Binding::new(keys::UP, "previous item", Action::Up).help_only());
        b.push(Binding::new(keys::DOWN, "next item", Action::Down).help_only());
        b
    }

    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding<Action>>)> {
        text_field::help_sections(
            self.bindings(),
            self.editing.is_some(),
            "While editing a path",
            Action::EditText,
        )
    }

    fn typed(&self, c: char) -> Option<Action> {
        Some(Action::EditText(TextEdit::Insert(c)))
    }
}

impl Screen for Releases {
    fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    fn is_busy(&self) -> bool {
        self.running()
    }

    fn is_stale(&self) -> bool {
        self.stale && self.state.is_some() && !self.running()
    }

    /// The item checks of a finished review; a review that could not be made (a downgrade, an
    /// unknown release, no installed version) is a failed `release.path`, as `report` has it.
    fn results(&self) -> Vec<CheckResult> {
        if self.stale {
            return Vec::new();
        }
        match &self.state {
            Some(State {
                phase: Phase::Done(finished),
                ..
            }) => finished.results.clone(),
            Some(State {
                phase: Phase::Failed(error),
                took,
                ..
            }) => vec![CheckResult {
                id: crate::checks::release::PATH,
                title: "Upgrade path to the target release".into(),
                step: Some(crate::checks::release::STEP),
                outcome: crate::checks::Outcome::fail(error.to_string()).fix(error.hint()),
                duration: *took,
            }],
            _ => Vec::new(),
        }
    }

    fn release_review(&self) -> Option<crate::report::ReleaseReview> {
        let review = self.review().filter(|_| !self.stale)?;
        Some(crate::report::ReleaseReview::of(review, &self.acknowledged))
    }

    fn status(&self) -> StepStatus {
        let Some(state) = &self.state else {
            return StepStatus::NotRun;
        };
        match &state.phase {
            Phase::Running(_) => StepStatus::Running,
            _ if self.stale => StepStatus::NotRun,
            Phase::Failed(_) => StepStatus::Fail,
            Phase::Done(review) => {
                let open = review.review.items.iter().filter(|r| pending(r)).any(|r| {
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
        self.draw(area, buf, look);
    }
}
