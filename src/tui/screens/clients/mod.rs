//! Clients: the Python interpreters that run ingestion (or a custom Airflow), how their Python,
//! `openmetadata-ingestion`, `openmetadata-managed-apis` and Airflow compare with the target,
//! and the pip commands that align them: selectable, shown as plain text to copy, and run here
//! after a y/N question with pip's output on screen, then checked again. Finding and judging
//! is `clients::discover`/`assess`; pip runs in the loop's worker.

mod view;

use std::path::PathBuf;
use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{Keys, RunId, Screen};
use crate::checks::Status;
use crate::clients::pip::ShellCommand;
use crate::clients::{
    self, Assessment, ClientsError, Fix, Interpreter, Inventory, Policy, Request,
};
use crate::knowledge::Catalogue;
use crate::report::StepStatus;
use crate::tui::keymap::{Binding, keys};
use crate::tui::theme::Look;
use crate::tui::widgets::text_field::{self, TextEdit, TextField};
use crate::version::Version;

/// Lines of pip's output kept.
const OUTPUT_LINES: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    /// Tab: interpreters → commands → where to look.
    SwitchFocus,
    Recheck,
    /// Ask to run the in-place commands of the selected interpreter.
    Apply,
    /// The answer to the question.
    Confirm,
    Decline,
    /// The commands alone, over the whole screen and flush left, to select and copy with the
    /// mouse (nothing is put on a clipboard).
    TogglePlain,
    /// pip's output of the last run, or back.
    ToggleOutput,
    AddPython,
    AddFolder,
    EditPlace,
    RemovePlace,
    EditText(TextEdit),
    Commit,
    CancelEdit,
}

#[derive(Debug, Clone)]
pub enum Work {
    Find {
        run: RunId,
        request: Box<Request>,
    },
    /// Run these commands one after the other, stopping at the first that fails.
    Pip {
        run: RunId,
        commands: Vec<ShellCommand>,
    },
}

impl Work {
    pub fn run_id(&self) -> RunId {
        match self {
            Work::Find { run, .. } | Work::Pip { run, .. } => *run,
        }
    }
}

#[derive(Debug)]
pub enum WorkEvent {
    Found {
        run: RunId,
        result: Box<Result<Inventory, ClientsError>>,
        /// How long looking took (the client checks report it).
        took: std::time::Duration,
    },
    PipStarted {
        run: RunId,
        index: usize,
    },
    PipLine {
        run: RunId,
        line: String,
    },
    /// A command ended: its exit code (`None`: a signal), or why it could not start.
    PipExited {
        run: RunId,
        index: usize,
        code: Result<Option<i32>, Arc<std::io::Error>>,
    },
    PipDone {
        run: RunId,
    },
    Crashed {
        run: RunId,
        reason: String,
    },
}

/// An interpreter or folder the operator named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Python(String),
    Folder(String),
}

impl Place {
    fn text(&self) -> &str {
        match self {
            Place::Python(t) | Place::Folder(t) => t,
        }
    }

    fn with_text(&self, text: String) -> Place {
        match self {
            Place::Python(_) => Place::Python(text),
            Place::Folder(_) => Place::Folder(text),
        }
    }
}

#[derive(Debug, Clone)]
enum Phase {
    Finding { run: RunId },
    Found(Inventory),
    Failed(ClientsError),
}

#[derive(Debug, Clone)]
struct PipRun {
    run: RunId,
    interpreter: PathBuf,
    commands: Vec<ShellCommand>,
    /// Exit of each command that ended.
    exits: Vec<Result<Option<i32>, Arc<std::io::Error>>>,
    current: Option<usize>,
    output: Vec<String>,
    done: bool,
}

impl PipRun {
    fn succeeded(&self) -> bool {
        self.done
            && self.exits.len() == self.commands.len()
            && self.exits.iter().all(|e| matches!(e, Ok(Some(0))))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Interpreters,
    Commands,
    Places,
}

#[derive(Debug, Clone)]
enum Editing {
    /// A new place (not yet in the list).
    New(Place),
    Existing(usize),
}

#[derive(Debug, Clone)]
pub struct Clients {
    base: Request,
    places: Vec<Place>,
    /// The places the shown results were found with.
    asked: Vec<Place>,
    phase: Option<Phase>,
    /// How long the last look for interpreters took.
    took: std::time::Duration,
    policy: Option<Policy>,
    focus: Focus,
    interpreter: usize,
    command: usize,
    place: usize,
    editing: Option<(Editing, TextField)>,
    /// The question before pip runs: in which interpreter, what.
    confirm: Option<(PathBuf, Vec<ShellCommand>)>,
    pip: Option<PipRun>,
    show_output: bool,
    plain: bool,
    last_run: u64,
}

/// Interpreters worth judging, with their assessment (none without a target).
fn judged<'a>(
    inventory: &'a Inventory,
    policy: Option<&Policy>,
) -> Vec<(&'a Interpreter, Option<Assessment>)> {
    inventory
        .relevant()
        .map(|i| (i, policy.map(|p| clients::assess(i, p))))
        .collect()
}

impl Clients {
    /// `base` holds PATH, VIRTUAL_ENV and the `--python` / `--search` of the command line.
    pub fn new(base: Request) -> Clients {
        let mut places: Vec<Place> = base
            .pythons
            .iter()
            .map(|p| Place::Python(p.display().to_string()))
            .collect();
        places.extend(
            base.search
                .iter()
                .map(|p| Place::Folder(p.display().to_string())),
        );
        Clients {
            base,
            asked: places.clone(),
            places,
            phase: None,
            took: std::time::Duration::ZERO,
            policy: None,
            focus: Focus::Interpreters,
            interpreter: 0,
            command: 0,
            place: 0,
            editing: None,
            confirm: None,
            pip: None,
            show_output: false,
            plain: false,
            last_run: 0,
        }
    }

    /// Judges against this target (with the catalogue's Python and Airflow ranges).
    pub fn set_target(&mut self, target: Option<&Version>, catalogue: Option<&Catalogue>) {
        self.policy = target.map(|t| {
            let requirements = catalogue.map(|c| c.requirements(t)).unwrap_or_default();
            Policy::for_release(t, &requirements)
        });
        self.clamp();
    }

    /// Where the step looks for interpreters, for the session's key.
    pub fn key_inputs(&self) -> Vec<String> {
        self.places
            .iter()
            .map(|place| match place {
                Place::Python(p) => format!("python={p}"),
                Place::Folder(f) => format!("search={f}"),
            })
            .collect()
    }

    fn request(&self) -> Request {
        let mut request = self.base.clone();
        request.pythons = Vec::new();
        request.search = Vec::new();
        for place in &self.places {
            match place {
                Place::Python(p) => request.pythons.push(PathBuf::from(p)),
                Place::Folder(f) => request.search.push(PathBuf::from(f)),
            }
        }
        request
    }

    fn finding(&self) -> bool {
        matches!(self.phase, Some(Phase::Finding { .. }))
    }

    fn pip_running(&self) -> bool {
        self.pip.as_ref().is_some_and(|p| !p.done)
    }

    /// On entering the step: look for interpreters the first time.
    pub fn on_enter(&mut self) -> Vec<Work> {
        if self.phase.is_none() {
            return self.find().into_iter().collect();
        }
        Vec::new()
    }

    fn find(&mut self) -> Option<Work> {
        if self.finding() || self.pip_running() {
            return None;
        }
        self.last_run += 1;
        let run = RunId(self.last_run);
        self.phase = Some(Phase::Finding { run });
        self.asked = self.places.clone();
        Some(Work::Find {
            run,
            request: Box::new(self.request()),
        })
    }

    fn inventory(&self) -> Option<&Inventory> {
        match &self.phase {
            Some(Phase::Found(inventory)) => Some(inventory),
            _ => None,
        }
    }

    /// Every command to run: (interpreter, command, can run in place).
    fn commands(&self) -> Vec<(PathBuf, ShellCommand, bool)> {
        let Some(inventory) = self.inventory() else {
            return Vec::new();
        };
        judged(inventory, self.policy.as_ref())
            .into_iter()
            .flat_map(|(interpreter, assessment)| {
                let fix = assessment.and_then(|a| a.fix);
                let in_place = matches!(fix, Some(Fix::InPlace { .. }));
                fix.map(|f| f.commands().to_vec())
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |c| (interpreter.path.clone(), c, in_place))
            })
            .collect()
    }

    fn clamp(&mut self) {
        let interpreters = self.inventory().map_or(0, |i| i.relevant().count());
        self.interpreter = self.interpreter.min(interpreters.saturating_sub(1));
        self.command = self.command.min(self.commands().len().saturating_sub(1));
        self.place = self.place.min(self.places.len().saturating_sub(1));
    }

    /// The interpreter the apply key works on, with its in-place commands.
    fn apply_target(&self) -> Option<(PathBuf, Vec<ShellCommand>)> {
        let inventory = self.inventory()?;
        let judged = judged(inventory, self.policy.as_ref());
        let path = match self.focus {
            Focus::Commands => self.commands().get(self.command)?.0.clone(),
            _ => judged.get(self.interpreter)?.0.path.clone(),
        };
        let (_, assessment) = judged.into_iter().find(|(i, _)| i.path == path)?;
        match assessment?.fix? {
            Fix::InPlace { commands } => Some((path, commands)),
            Fix::NewVenv { .. } => None,
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Work> {
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::SwitchFocus => {
                self.focus = match self.focus {
                    Focus::Interpreters => Focus::Commands,
                    Focus::Commands => Focus::Places,
                    Focus::Places => Focus::Interpreters,
                };
            }
            Action::Recheck => return self.find().into_iter().collect(),
            Action::Apply => self.confirm = self.apply_target(),
            Action::Confirm => return self.run_pip().into_iter().collect(),
            Action::Decline => self.confirm = None,
            Action::TogglePlain => self.plain = !self.plain,
            Action::ToggleOutput => self.show_output = !self.show_output,
            Action::AddPython => self.add_place(Place::Python(String::new())),
            Action::AddFolder => self.add_place(Place::Folder(String::new())),
            Action::EditPlace => {
                if let Some(place) = self.places.get(self.place) {
                    self.editing =
                        Some((Editing::Existing(self.place), TextField::new(place.text())));
                }
            }
            Action::RemovePlace => {
                if self.place < self.places.len() {
                    self.places.remove(self.place);
                    self.clamp();
                    return self.find().into_iter().collect();
                }
            }
            Action::EditText(edit) => {
                if let Some((_, field)) = &mut self.editing {
                    field.apply(edit);
                }
            }
            Action::Commit => return self.commit_place().into_iter().collect(),
            Action::CancelEdit => self.editing = None,
        }
        Vec::new()
    }

    /// The answer to the question: run the commands it asked about.
    fn run_pip(&mut self) -> Option<Work> {
        let (interpreter, commands) = self.confirm.take()?;
        self.last_run += 1;
        let run = RunId(self.last_run);
        self.pip = Some(PipRun {
            run,
            interpreter,
            commands: commands.clone(),
            exits: Vec::new(),
            current: None,
            output: Vec::new(),
            done: false,
        });
        self.show_output = true;
        Some(Work::Pip { run, commands })
    }

    /// Starts typing a new interpreter or folder.
    fn add_place(&mut self, empty: Place) {
        self.focus = Focus::Places;
        self.editing = Some((Editing::New(empty), TextField::default()));
    }

    /// Takes the place typed (an empty one removes it) and looks again when the list changed.
    fn commit_place(&mut self) -> Option<Work> {
        let (editing, field) = self.editing.take()?;
        let text = field.value().trim().to_string();
        match editing {
            Editing::New(_) if text.is_empty() => return None,
            Editing::New(place) => {
                self.places.push(place.with_text(text));
                self.place = self.places.len() - 1;
            }
            Editing::Existing(i) if text.is_empty() => {
                self.places.remove(i);
            }
            Editing::Existing(i) => {
                if self.places[i].text() == text {
                    return None;
                }
                self.places[i] = self.places[i].with_text(text);
            }
        }
        self.clamp();
        self.find()
    }

    fn move_by(&mut self, delta: isize) {
        let len = match self.focus {
            Focus::Interpreters => self.inventory().map_or(0, |i| i.relevant().count()),
            Focus::Commands => self.commands().len(),
            Focus::Places => self.places.len(),
        };
        let at = match self.focus {
            Focus::Interpreters => &mut self.interpreter,
            Focus::Commands => &mut self.command,
            Focus::Places => &mut self.place,
        };
        *at = at.saturating_add_signed(delta).min(len.saturating_sub(1));
    }

    pub fn on_event(&mut self, event: WorkEvent) -> Vec<Work> {
        match event {
            WorkEvent::Found { run, result, took } => {
                if matches!(self.phase, Some(Phase::Finding { run: r }) if r == run) {
                    self.took = took;
                    self.phase = Some(match *result {
                        Ok(inventory) => Phase::Found(inventory),
                        Err(error) => Phase::Failed(error),
                    });
                    self.clamp();
                }
            }
            WorkEvent::Crashed { run, reason } => {
                if matches!(self.phase, Some(Phase::Finding { run: r }) if r == run) {
                    self.phase = Some(Phase::Failed(ClientsError::Internal(reason)));
                } else if let Some(pip) = self.pip.as_mut().filter(|p| p.run == run) {
                    pip.output
                        .push(format!("stopped by an internal error: {reason}"));
                    pip.done = true;
                }
            }
            WorkEvent::PipStarted { run, index } => {
                if let Some(pip) = self.pip.as_mut().filter(|p| p.run == run) {
                    pip.current = Some(index);
                    if let Some(command) = pip.commands.get(index) {
                        pip.output.push(format!("$ {command}"));
                    }
                }
            }
            WorkEvent::PipLine { run, line } => {
                if let Some(pip) = self.pip.as_mut().filter(|p| p.run == run) {
                    pip.output.push(line);
                    if pip.output.len() > OUTPUT_LINES {
                        pip.output.remove(0);
                    }
                }
            }
            WorkEvent::PipExited { run, index, code } => {
                if let Some(pip) = self.pip.as_mut().filter(|p| p.run == run) {
                    let said = match &code {
                        Ok(Some(0)) => "exit code 0".to_string(),
                        Ok(Some(code)) => format!("failed with exit code {code}"),
                        Ok(None) => "stopped by a signal".to_string(),
                        Err(error) => format!("could not start: {error}"),
                    };
                    pip.output.push(format!("({said})"));
                    if pip.exits.len() == index {
                        pip.exits.push(code);
                    }
                }
            }
            WorkEvent::PipDone { run } => {
                if let Some(pip) = self.pip.as_mut().filter(|p| p.run == run) {
                    pip.done = true;
                    pip.current = None;
                    // A failure stays on screen; success goes back to the (new) results.
                    self.show_output = !pip.succeeded();
                    // What pip changed is judged again.
                    return self.find().into_iter().collect();
                }
            }
        }
        Vec::new()
    }
}

impl Keys for Clients {
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
        if self.confirm.is_some() {
            return vec![
                Binding::new(keys::YES, "run them", Action::Confirm),
                Binding::new(keys::NO, "do not", Action::Decline),
            ];
        }
        if self.plain {
            return vec![Binding::new(keys::PLAIN_TEXT, "back", Action::TogglePlain)];
        }
        let busy = self.finding() || self.pip_running();
        let mut b = Vec::new();
        // Offered only when the selection has pip commands to run in place.
        if self.apply_target().is_some() {
            b.push(Binding::new(keys::APPLY, "apply", Action::Apply).enabled(!busy));
        }
        if !self.commands().is_empty() {
            b.push(Binding::new(
                keys::PLAIN_TEXT,
                "commands alone",
                Action::TogglePlain,
            ));
        }
        b.push(Binding::new(keys::RERUN, "check again", Action::Recheck).enabled(!busy));
        if self.pip.is_some() {
            let label = if self.show_output {
                "hide pip output"
            } else {
                "pip output"
            };
            b.push(Binding::new(keys::OPTIONS, label, Action::ToggleOutput));
        }
        let what = match self.focus {
            Focus::Interpreters => "commands",
            Focus::Commands => "where to look",
            Focus::Places => "interpreters",
        };
        b.push(Binding::new(keys::FOCUS_NEXT, what, Action::SwitchFocus));
        b.push(Binding::new(keys::ADD_PYTHON, "add interpreter", Action::AddPython).enabled(!busy));
        b.push(
            Binding::new(keys::ADD_FOLDER, "add search folder", Action::AddFolder).enabled(!busy),
        );
        if self.focus == Focus::Places && !self.places.is_empty() {
            b.push(Binding::new(keys::EDIT, "edit", Action::EditPlace).enabled(!busy));
            b.push(Binding::new(keys::REMOVE, "remove", Action::RemovePlace).enabled(!busy));
        }
        b.push(Binding::new(keys::UP, "previous", Action::Up).help_only());
        b.push(Binding::new(keys::DOWN, "next", Action::Down).help_only());
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

impl Screen for Clients {
    fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    fn is_busy(&self) -> bool {
        self.finding() || self.pip_running()
    }

    /// The plain commands get the whole width, so that long ones wrap as little as possible.
    fn takes_whole_screen(&self) -> bool {
        self.plain
    }

    fn quit_warning(&self) -> Option<String> {
        self.pip_running().then(|| {
            "pip is running: quitting stops it, which can leave the environment half \
             upgraded (run the same command again to finish)."
                .to_string()
        })
    }

    fn results(&self) -> Vec<crate::checks::runner::CheckResult> {
        match (&self.phase, &self.policy) {
            (Some(Phase::Found(inventory)), Some(policy)) => {
                crate::checks::clients::results(inventory, policy, self.took)
            }
            _ => Vec::new(),
        }
    }

    fn status(&self) -> StepStatus {
        if self.is_busy() {
            return StepStatus::Running;
        }
        let pip_failed = self.pip.as_ref().is_some_and(|p| p.done && !p.succeeded());
        match &self.phase {
            None => StepStatus::NotRun,
            Some(Phase::Finding { .. }) => StepStatus::Running,
            Some(Phase::Failed(_)) => StepStatus::Fail,
            Some(Phase::Found(inventory)) => {
                let judged = judged(inventory, self.policy.as_ref());
                let statuses: Vec<Status> = judged
                    .iter()
                    .filter_map(|(_, a)| a.as_ref())
                    .flat_map(|a| a.verdicts.iter().map(|v| v.status))
                    .chain(inventory.broken.iter().map(|b| b.status))
                    .collect();
                if pip_failed || statuses.contains(&Status::Fail) {
                    StepStatus::Fail
                } else if judged.is_empty()
                    || self.policy.is_none()
                    || statuses.contains(&Status::Warn)
                {
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
