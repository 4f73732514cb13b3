//! Database: the connection form, prefilled from the resolved settings, and the connection test
//! (the database checks and the room for a backup, run by the step's worker through the shared
//! runner) with each outcome, its details and what to do.

use std::path::PathBuf;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Keys, RunId, Screen};
use crate::checks::runner::{CheckEvent, CheckResult};
use crate::checks::{CheckId, Status};
use crate::config::installation::InstallSettings;
use crate::config::{self, DbSettings, Secret, Source, Sourced};
use crate::db::Engine;
use crate::report::StepStatus;
use crate::session::SavedConnection;
use crate::tui::keymap::{Binding, keys};
use crate::tui::theme::Look;
use crate::tui::widgets::check_list::{CheckDetail, CheckList, CheckRow, CheckState};
use crate::tui::widgets::text_field::{self, TextEdit, TextField, field_spans};
use crate::tui::widgets::wrapped_height;
use crate::version::Version;

/// Columns for a form value before its origin.
const VALUE_WIDTH: usize = 24;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    /// Tab: between the form and the test results.
    SwitchFocus,
    /// Start editing the selected field (or switch the engine).
    Edit,
    ToggleEngine,
    EditText(TextEdit),
    Commit,
    /// Accept and edit the next field.
    CommitNext,
    Cancel,
    Test,
}

/// A connection test to run.
#[derive(Debug, Clone)]
pub struct TestJob {
    pub run: RunId,
    pub settings: DbSettings,
    pub target: Option<Version>,
    pub backup_dir: PathBuf,
    /// The search engine, the running server and the secrets key.
    pub installation: InstallSettings,
}

/// Work for the Database step's worker.
#[derive(Debug, Clone)]
pub enum Work {
    /// Run the connection test with these settings; its events carry `run`.
    Test(Box<TestJob>),
}

impl Work {
    pub fn run_id(&self) -> RunId {
        match self {
            Work::Test(job) => job.run,
        }
    }
}

/// What the worker reports.
#[derive(Debug)]
pub enum WorkEvent {
    /// The checks the test will run, in display order.
    Planned {
        run: RunId,
        checks: Vec<(CheckId, String)>,
    },
    Check {
        run: RunId,
        event: CheckEvent,
    },
    /// The server asked for a password and the form has none (like psql, the step then asks).
    PasswordNeeded {
        run: RunId,
    },
    /// Every result of `run` has been sent.
    Done {
        run: RunId,
    },
    /// The task died (a bug): said instead of waiting forever.
    Crashed {
        run: RunId,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Engine,
    Host,
    Port,
    User,
    Password,
    Database,
    Schema,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Engine,
        Field::Host,
        Field::Port,
        Field::User,
        Field::Password,
        Field::Database,
        Field::Schema,
    ];

    fn label(self) -> &'static str {
        match self {
            Field::Engine => "engine",
            Field::Host => "host",
            Field::Port => "port",
            Field::User => "user",
            Field::Password => "password",
            Field::Database => "database",
            Field::Schema => "schema",
        }
    }

    fn index(self) -> usize {
        Field::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }

    fn next(self) -> Field {
        Field::ALL[(self.index() + 1) % Field::ALL.len()]
    }

    fn prev(self) -> Field {
        Field::ALL[(self.index() + Field::ALL.len() - 1) % Field::ALL.len()]
    }
}

/// Where a form value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Found(Source),
    Session,
    Edited,
}

impl Origin {
    fn describe(&self) -> String {
        match self {
            Origin::Found(Source::Default) => "default".into(),
            Origin::Found(source) => format!("from {source}"),
            Origin::Session => "saved session".into(),
            Origin::Edited => "edited".into(),
        }
    }

    /// Given on this command line (a flag, or a deployment file it names): a saved session
    /// does not override it.
    fn is_explicit(&self) -> bool {
        matches!(
            self,
            Origin::Found(
                Source::Flag(_)
                    | Source::DbUrl
                    | Source::PasswordFile(_)
                    | Source::Compose { .. }
                    | Source::HelmValues { .. }
                    | Source::KubeSecret { .. }
            )
        )
    }

    fn source(&self) -> Source {
        match self {
            Origin::Found(source) => source.clone(),
            Origin::Session | Origin::Edited => Source::Prompt,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Input {
    text: String,
    origin: Origin,
}

impl Input {
    fn found(text: impl Into<String>, source: &Source) -> Input {
        Input {
            text: text.into(),
            origin: Origin::Found(source.clone()),
        }
    }
}

/// Why the form cannot be tested as it is, or what it needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the {} is empty", .0.label())]
    Empty(Field),
    #[error("'{0}' is not a port number (1-65535)")]
    NotAPort(String),
    /// The server asked for a password the form does not have.
    #[error(
        "password needed for '{user}': type it, {}, then {}",
        keys::COMMIT[0].hint(),
        keys::TEST[0].hint()
    )]
    PasswordNeeded { user: String },
}

impl FormError {
    /// The field to fix.
    pub fn field(&self) -> Field {
        match self {
            FormError::Empty(field) => *field,
            FormError::NotAPort(_) => Field::Port,
            FormError::PasswordNeeded { .. } => Field::Password,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Running,
    Finished,
    Crashed(String),
}

#[derive(Debug, Clone)]
struct TestRun {
    run: RunId,
    rows: Vec<CheckRow>,
    phase: Phase,
    /// The form changed since this test started: the results describe other settings.
    stale: bool,
    /// The server asked for a password the form did not have.
    password_needed: bool,
    /// The target the test judged the installed version against (a downgrade fails).
    target: Option<Version>,
    /// Brought back from the saved session: when it was computed ("2026-12-07 20:31 UTC
    /// (12 min ago)").
    restored: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Form,
    Results,
}

#[derive(Debug, Clone)]
pub struct Database {
    base: DbSettings,
    backup_dir: PathBuf,
    installation: InstallSettings,
    engine: Engine,
    engine_origin: Origin,
    host: Input,
    port: Input,
    user: Input,
    password: Input,
    database: Input,
    schema: Input,
    focus: Focus,
    field: Field,
    editing: Option<TextField>,
    form_error: Option<FormError>,
    test: Option<TestRun>,
    selected_check: usize,
    last_run: u64,
}

impl Database {
    pub fn new(settings: &DbSettings, backup_dir: PathBuf) -> Database {
        let s = settings;
        let (password, password_source) = match &s.password {
            Some(p) => (p.value.expose().to_string(), p.source.clone()),
            None => (String::new(), Source::Default),
        };
        Database {
            base: settings.clone(),
            backup_dir,
            installation: InstallSettings::default(),
            engine: s.engine.value,
            engine_origin: Origin::Found(s.engine.source.clone()),
            host: Input::found(&s.host.value, &s.host.source),
            port: Input::found(s.port.value.to_string(), &s.port.source),
            user: Input::found(&s.user.value, &s.user.source),
            password: Input::found(password, &password_source),
            database: Input::found(&s.database.value, &s.database.source),
            schema: Input::found(&s.schema.value, &s.schema.source),
            focus: Focus::Form,
            field: Field::Engine,
            editing: None,
            form_error: None,
            test: None,
            selected_check: 0,
            last_run: 0,
        }
    }

    /// Tests the search engine, the running server and the secrets key with the database.
    pub fn with_installation(mut self, installation: InstallSettings) -> Database {
        self.installation = installation;
        self
    }

    fn input(&self, field: Field) -> Option<&Input> {
        match field {
            Field::Engine => None,
            Field::Host => Some(&self.host),
            Field::Port => Some(&self.port),
            Field::User => Some(&self.user),
            Field::Password => Some(&self.password),
            Field::Database => Some(&self.database),
            Field::Schema => Some(&self.schema),
        }
    }

    fn input_mut(&mut self, field: Field) -> Option<&mut Input> {
        match field {
            Field::Engine => None,
            Field::Host => Some(&mut self.host),
            Field::Port => Some(&mut self.port),
            Field::User => Some(&mut self.user),
            Field::Password => Some(&mut self.password),
            Field::Database => Some(&mut self.database),
            Field::Schema => Some(&mut self.schema),
        }
    }

    /// `mysql://user@host:port/db` as the form stands (never the password).
    pub fn display_url(&self) -> String {
        let host = if self.host.text.contains(':') {
            format!("[{}]", self.host.text)
        } else {
            self.host.text.clone()
        };
        format!(
            "{}://{}@{}:{}/{}",
            self.engine, self.user.text, host, self.port.text, self.database.text
        )
    }

    /// The form as a session saves it: everything but the password.
    pub fn saved(&self) -> SavedConnection {
        SavedConnection {
            engine: self.engine,
            host: self.host.text.clone(),
            port: self.port_number().unwrap_or(self.base.port.value),
            user: self.user.text.clone(),
            database: self.database.text.clone(),
            schema: self.schema.text.clone(),
        }
    }

    /// Takes a saved session's values, except those given on this command line.
    pub fn resume(&mut self, saved: &SavedConnection) {
        if !self.engine_origin.is_explicit() && self.engine != saved.engine {
            self.engine = saved.engine;
            self.engine_origin = Origin::Session;
        }
        let port = saved.port.to_string();
        for (field, text) in [
            (Field::Host, &saved.host),
            (Field::Port, &port),
            (Field::User, &saved.user),
            (Field::Database, &saved.database),
            (Field::Schema, &saved.schema),
        ] {
            if let Some(input) = self.input_mut(field)
                && !input.origin.is_explicit()
                && input.text != *text
            {
                input.text = text.clone();
                input.origin = Origin::Session;
            }
        }
    }

    /// The form's port, when it is a port number.
    fn port_number(&self) -> Option<u16> {
        config::parse_port(&self.port.text).ok()
    }

    /// The search engine, the running server and the secrets key, as found at start.
    pub fn installation(&self) -> &InstallSettings {
        &self.installation
    }

    /// The settings as the form stands, or as found at start when the form is not valid.
    pub fn tested_settings(&self) -> DbSettings {
        self.settings().unwrap_or_else(|_| self.base.clone())
    }

    /// The settings to test, or what is wrong with the form.
    pub fn settings(&self) -> Result<DbSettings, FormError> {
        let required = |field: Field| -> Result<(), FormError> {
            match self.input(field) {
                Some(input) if input.text.trim().is_empty() => Err(FormError::Empty(field)),
                _ => Ok(()),
            }
        };
        required(Field::Host)?;
        required(Field::User)?;
        required(Field::Database)?;
        if self.engine == Engine::Postgres {
            required(Field::Schema)?;
        }
        let Some(port) = self.port_number() else {
            return Err(FormError::NotAPort(self.port.text.clone()));
        };
        let sourced =
            |input: &Input| Sourced::new(input.text.trim().to_string(), input.origin.source());
        Ok(DbSettings {
            engine: Sourced::new(self.engine, self.engine_origin.source()),
            host: sourced(&self.host),
            port: Sourced::new(port, self.port.origin.source()),
            user: sourced(&self.user),
            password: (!self.password.text.is_empty()).then(|| {
                Sourced::new(
                    Secret::new(self.password.text.clone()),
                    self.password.origin.source(),
                )
            }),
            database: sourced(&self.database),
            schema: sourced(&self.schema),
            ..self.base.clone()
        })
    }

    fn running(&self) -> bool {
        self.test
            .as_ref()
            .is_some_and(|t| t.phase == Phase::Running)
    }

    /// Shows the results of a test kept in the saved session, computed `when` for `target`;
    /// `stale` when they were for another connection or target than the form's now.
    pub fn restore(
        &mut self,
        results: Vec<CheckResult>,
        target: Option<Version>,
        stale: bool,
        when: String,
    ) {
        let rows = results
            .into_iter()
            .map(|result| CheckRow {
                id: result.id.clone(),
                title: result.title.clone(),
                state: CheckState::Done(result),
            })
            .collect();
        self.last_run += 1;
        self.test = Some(TestRun {
            run: RunId(self.last_run),
            rows,
            phase: Phase::Finished,
            stale,
            password_needed: false,
            target,
            restored: Some(when),
        });
    }

    /// The target changed: a test judged against another target no longer describes it.
    pub fn observe_target(&mut self, target: Option<&Version>) {
        if let Some(test) = &mut self.test
            && test.target.as_ref() != target
        {
            test.stale = true;
        }
    }

    fn mark_stale(&mut self) {
        if let Some(test) = &mut self.test {
            test.stale = true;
        }
    }

    pub fn update(&mut self, action: Action, target: Option<&Version>) -> Vec<Work> {
        match action {
            Action::Up => match self.focus {
                Focus::Form => self.field = self.field.prev(),
                Focus::Results => self.selected_check = self.selected_check.saturating_sub(1),
            },
            Action::Down => match self.focus {
                Focus::Form => self.field = self.field.next(),
                Focus::Results => {
                    let last = self
                        .test
                        .as_ref()
                        .map_or(0, |t| t.rows.len().saturating_sub(1));
                    self.selected_check = (self.selected_check + 1).min(last);
                }
            },
            Action::SwitchFocus => {
                self.focus = match self.focus {
                    Focus::Form if self.test.is_some() => Focus::Results,
                    _ => Focus::Form,
                };
            }
            // The engine has no text to edit: only Space switches it, so that Enter pressed to
            // move on never changes it.
            Action::Edit => {
                if let Some(input) = self.input(self.field) {
                    self.editing = Some(editor(self.field, &input.text));
                }
            }
            Action::ToggleEngine => {
                let old = self.engine;
                self.engine = match old {
                    Engine::Mysql => Engine::Postgres,
                    Engine::Postgres => Engine::Mysql,
                };
                self.engine_origin = Origin::Edited;
                // A port that was the old engine's default follows the engine, and then says
                // it was changed here (not where the old value came from).
                if self.port.text == old.default_port().to_string() {
                    self.port.text = self.engine.default_port().to_string();
                    self.port.origin = Origin::Edited;
                }
                self.form_error = None;
                self.mark_stale();
            }
            Action::EditText(edit) => {
                if let Some(field) = &mut self.editing {
                    field.apply(edit);
                }
            }
            Action::Commit => self.commit(),
            Action::CommitNext => {
                self.commit();
                self.field = self.field.next();
                // Past the last field the engine comes round again: select it, do not switch it.
                if let Some(input) = self.input(self.field) {
                    self.editing = Some(editor(self.field, &input.text));
                }
            }
            Action::Cancel => self.editing = None,
            Action::Test => return self.start_test(target).into_iter().collect(),
        }
        Vec::new()
    }

    fn commit(&mut self) {
        let Some(field) = self.editing.take() else {
            return;
        };
        let current = self.field;
        let changed = match self.input_mut(current) {
            Some(input) if input.text != field.value() => {
                input.text = field.value().to_string();
                input.origin = Origin::Edited;
                true
            }
            _ => false,
        };
        if changed {
            if self
                .form_error
                .as_ref()
                .is_some_and(|e| e.field() == current)
            {
                self.form_error = None;
            }
            self.mark_stale();
        }
    }

    fn start_test(&mut self, target: Option<&Version>) -> Option<Work> {
        if self.running() {
            return None;
        }
        let settings = match self.settings() {
            Ok(settings) => settings,
            Err(error) => {
                self.focus = Focus::Form;
                self.field = error.field();
                self.form_error = Some(error);
                return None;
            }
        };
        self.form_error = None;
        self.last_run += 1;
        let run = RunId(self.last_run);
        self.test = Some(TestRun {
            run,
            rows: Vec::new(),
            phase: Phase::Running,
            stale: false,
            password_needed: false,
            target: target.cloned(),
            restored: None,
        });
        self.focus = Focus::Results;
        self.selected_check = 0;
        Some(Work::Test(Box::new(TestJob {
            run,
            settings,
            target: target.cloned(),
            backup_dir: self.backup_dir.clone(),
            installation: self.installation.clone(),
        })))
    }

    fn current_test(&mut self, run: RunId) -> Option<&mut TestRun> {
        self.test.as_mut().filter(|t| t.run == run)
    }

    /// Takes what the worker reports.
    pub fn on_event(&mut self, event: WorkEvent) {
        match event {
            WorkEvent::Planned { run, checks } => self.on_planned(run, checks),
            WorkEvent::Check { run, event } => self.on_check(run, event),
            WorkEvent::PasswordNeeded { run } => self.on_password_needed(run),
            WorkEvent::Done { run } => self.on_done(run),
            WorkEvent::Crashed { run, reason } => self.on_crashed(run, reason),
        }
    }

    fn on_planned(&mut self, run: RunId, checks: Vec<(CheckId, String)>) {
        if let Some(test) = self.current_test(run) {
            test.rows = checks
                .into_iter()
                .map(|(id, title)| CheckRow {
                    id,
                    title,
                    state: CheckState::Waiting,
                })
                .collect();
        }
    }

    fn on_check(&mut self, run: RunId, event: CheckEvent) {
        let Some(test) = self.current_test(run) else {
            return;
        };
        let (id, state) = match event {
            CheckEvent::Started(id) => (id, CheckState::Running),
            CheckEvent::Finished(result) => (result.id.clone(), CheckState::Done(result)),
        };
        match test.rows.iter_mut().find(|row| row.id == id) {
            Some(row) => row.state = state,
            None => {
                let title = match &state {
                    CheckState::Done(result) => result.title.clone(),
                    _ => String::new(),
                };
                test.rows.push(CheckRow { id, title, state });
            }
        }
    }

    fn on_password_needed(&mut self, run: RunId) {
        if let Some(test) = self.current_test(run) {
            test.password_needed = true;
        }
    }

    fn on_done(&mut self, run: RunId) {
        let Some(test) = self.current_test(run) else {
            return;
        };
        test.phase = Phase::Finished;
        if test.password_needed && !test.stale {
            // Ask, as psql would: the password field opens, with what to do next.
            self.focus = Focus::Form;
            self.field = Field::Password;
            self.editing = Some(TextField::hidden(""));
            self.form_error = Some(FormError::PasswordNeeded {
                user: self.user.text.clone(),
            });
            return;
        }
        // Show the worst finding first: its remediation is what the operator needs.
        let worst = [Status::Fail, Status::Warn]
            .into_iter()
            .find_map(|status| test.rows.iter().position(|r| r.status() == Some(status)));
        self.selected_check = worst.unwrap_or(0);
    }

    fn on_crashed(&mut self, run: RunId, reason: String) {
        if let Some(test) = self.current_test(run) {
            test.phase = Phase::Crashed(reason);
        }
    }

    fn field_line(&self, field: Field, look: Look) -> Line<'static> {
        let theme = look.theme;
        let selected = self.focus == Focus::Form && self.field == field;
        let marker = if selected { "›" } else { " " };
        let mut spans = vec![Span::raw(format!("{marker} {:<9}", field.label()))];
        let editing = self.editing.as_ref().filter(|_| selected);
        let (value_width, origin) = match (field, self.input(field)) {
            (Field::Engine, _) => {
                spans.push(Span::styled(
                    format!("{:<9}", self.engine.to_string()),
                    theme.text(),
                ));
                let other = match self.engine {
                    Engine::Mysql => Engine::Postgres,
                    Engine::Postgres => Engine::Mysql,
                };
                spans.push(Span::styled(format!("(or {other})"), theme.dim()));
                (
                    9 + 5 + other.to_string().len(),
                    self.engine_origin.describe(),
                )
            }
            (_, Some(input)) => {
                let width = match editing {
                    Some(text) => {
                        let shown = text.shown();
                        spans.extend(field_spans(&shown, look));
                        shown.value().chars().count() + 1
                    }
                    None if field == Field::Password && input.text.is_empty() => {
                        spans.push(Span::styled("(none)", theme.dim()));
                        6
                    }
                    None if field == Field::Password => {
                        spans.push(Span::styled(text_field::MASK, theme.text()));
                        text_field::MASK.chars().count()
                    }
                    None if field == Field::Schema && self.engine == Engine::Mysql => {
                        spans.push(Span::styled(input.text.clone(), theme.dim()));
                        spans.push(Span::styled(" (Postgres only)", theme.dim()));
                        input.text.chars().count() + 16
                    }
                    None => {
                        spans.push(Span::styled(input.text.clone(), theme.text()));
                        input.text.chars().count()
                    }
                };
                let origin = if field == Field::Password && input.text.is_empty() {
                    String::new()
                } else {
                    input.origin.describe()
                };
                (width, origin)
            }
            (_, None) => (0, String::new()),
        };
        spans.push(Span::raw(
            " ".repeat(VALUE_WIDTH.saturating_sub(value_width).max(1)),
        ));
        spans.push(Span::styled(origin, theme.dim()));
        let line = Line::from(spans);
        if selected && editing.is_none() {
            line.style(theme.selected())
        } else {
            line
        }
    }

    fn form_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let mut lines = vec![Line::styled("Connection", theme.title())];
        lines.extend(Field::ALL.iter().map(|f| self.field_line(*f, look)));
        if let Some(error) = &self.form_error {
            lines.push(Line::styled(
                format!("  {} {error}", Status::Fail.glyph()),
                theme.error(),
            ));
        }
        lines
    }

    /// The one-line form shown while the results have the focus.
    fn form_summary(&self, look: Look) -> Line<'static> {
        let theme = look.theme;
        let schema = if self.engine == Engine::Postgres {
            format!(" schema {}", self.schema.text)
        } else {
            String::new()
        };
        Line::from(vec![
            Span::styled("Connection  ", theme.title()),
            Span::raw(format!("{}{schema}", self.display_url())),
        ])
    }

    fn test_heading(&self, look: Look) -> Line<'static> {
        let theme = look.theme;
        let title = Span::styled("Connection test  ", theme.title());
        let Some(test) = &self.test else {
            return Line::from(vec![title, Span::styled("not run yet", theme.dim())]);
        };
        let finished: Vec<Status> = test.rows.iter().filter_map(|r| r.status()).collect();
        let tally = crate::checks::tally_by_status(&finished);
        let state = match &test.phase {
            _ if test.stale => Span::styled(
                format!(
                    "{}: {} tests again",
                    if test.restored.is_some() {
                        "stale — kept for another target or connection"
                    } else {
                        "for the settings before your edit"
                    },
                    keys::TEST[0].hint()
                ),
                theme.notice(),
            ),
            Phase::Running => {
                let done = test.rows.iter().filter(|r| r.status().is_some()).count();
                Span::styled(
                    format!("running: {done} of {} done", test.rows.len()),
                    theme.dim(),
                )
            }
            // The list shows how each check went; the footer says how to test again.
            Phase::Finished => match &test.restored {
                Some(when) => Span::raw(format!("kept from {when}")),
                None => Span::raw(tally),
            },
            Phase::Crashed(reason) => Span::styled(
                format!("stopped by an internal error: {reason}"),
                theme.error(),
            ),
        };
        Line::from(vec![title, state])
    }

    fn render_form_focus(&self, area: Rect, buf: &mut Buffer, look: Look) {
        let form = self.form_lines(look);
        let form_height = u16::try_from(form.len()).unwrap_or(u16::MAX);
        let [form_area, _, heading_area, list_area] = Layout::vertical([
            Constraint::Length(form_height),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(area);
        Paragraph::new(form).render(form_area, buf);
        self.test_heading(look).render(heading_area, buf);
        match &self.test {
            Some(test) => CheckList {
                rows: &test.rows,
                selected: None,
                look,
            }
            .render(list_area, buf),
            None => Paragraph::new(format!(
                "{} runs the connection checks: can this host log in, which server version, \
                 is it OpenMetadata, can this user read every table, how big is it, is there \
                 room for a backup.",
                keys::TEST[0].hint()
            ))
            .style(look.theme.dim())
            .wrap(Wrap { trim: false })
            .render(list_area, buf),
        }
    }

    /// The form in one line, the checks and the selected one's details. The details get the
    /// rows they need (so "What to do" shows) and the list the rest, scrolled to the selected
    /// check, with a row saying how many are out of sight.
    fn render_results_focus(&self, test: &TestRun, area: Rect, buf: &mut Buffer, look: Look) {
        let detail = test
            .rows
            .get(self.selected_check)
            .map(|row| CheckDetail { row, look });
        let detail_lines = detail.as_ref().map(CheckDetail::lines).unwrap_or_default();
        let rows = u16::try_from(test.rows.len().max(1)).unwrap_or(u16::MAX);
        // Summary, heading and the gap; the list keeps at least three rows.
        let room = area.height.saturating_sub(3);
        let wanted = wrapped_height(&detail_lines, area.width);
        let list_rows = rows.min(room.saturating_sub(wanted).max(3));
        let cut = list_rows < rows;
        let [
            summary_area,
            heading_area,
            list_area,
            more_area,
            detail_area,
        ] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(list_rows.saturating_sub(u16::from(cut))),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(area);
        self.form_summary(look).render(summary_area, buf);
        self.test_heading(look).render(heading_area, buf);
        CheckList {
            rows: &test.rows,
            selected: Some(self.selected_check),
            look,
        }
        .render(list_area, buf);
        if cut {
            let shown = usize::from(list_area.height);
            Line::styled(
                format!(
                    "  {} of {} checks shown: {}/{} moves through them",
                    shown,
                    test.rows.len(),
                    keys::UP[0].hint(),
                    keys::DOWN[0].hint()
                ),
                look.theme.dim(),
            )
            .render(more_area, buf);
        }
        Paragraph::new(detail_lines)
            .wrap(Wrap { trim: false })
            .render(detail_area, buf);
    }
}

impl Keys for Database {
    type Action = Action;

    fn bindings(&self) -> Vec<Binding<Action>> {
        if self.editing.is_some() {
            let mut b = vec![
                Binding::new(keys::COMMIT, "accept", Action::Commit),
                Binding::new(keys::COMMIT_NEXT, "accept, next field", Action::CommitNext),
                Binding::new(keys::CANCEL, "cancel", Action::Cancel),
            ];
            b.extend(text_field::edit_bindings(Action::EditText));
            return b;
        }
        let test_label = if self.test.is_some() {
            "test again"
        } else {
            "test"
        };
        let mut b = Vec::new();
        match self.focus {
            Focus::Form if self.field == Field::Engine => b.push(Binding::new(
                keys::SWITCH,
                "switch engine",
                Action::ToggleEngine,
            )),
            Focus::Form => b.push(Binding::new(keys::EDIT, "edit", Action::Edit)),
            Focus::Results => {}
        }
        b.push(Binding::new(keys::TEST, test_label, Action::Test).enabled(!self.running()));
        if self.test.is_some() {
            let label = match self.focus {
                Focus::Form => "results",
                Focus::Results => "edit form",
            };
            b.push(Binding::new(keys::FOCUS_NEXT, label, Action::SwitchFocus));
        }
        let what = match self.focus {
            Focus::Form => "field",
            Focus::Results => "check",
        };
        b.push(Binding::new(keys::UP, format!("previous {what}"), Action::Up).help_only());
        b.push(Binding::new(keys::DOWN, format!("next {what}"), Action::Down).help_only());
        b
    }

    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding<Action>>)> {
        text_field::help_sections(
            self.bindings(),
            self.editing.is_some(),
            "While editing a field",
            Action::EditText,
        )
    }

    fn typed(&self, c: char) -> Option<Action> {
        Some(Action::EditText(TextEdit::Insert(c)))
    }
}

impl Screen for Database {
    fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    fn is_busy(&self) -> bool {
        self.running()
    }

    fn status(&self) -> StepStatus {
        match &self.test {
            None => StepStatus::NotRun,
            Some(test) if test.stale => StepStatus::NotRun,
            Some(test) => match test.phase {
                Phase::Running => StepStatus::Running,
                Phase::Crashed(_) => StepStatus::Fail,
                Phase::Finished => super::worst(test.rows.iter().filter_map(CheckRow::status)),
            },
        }
    }

    fn is_stale(&self) -> bool {
        self.test.as_ref().is_some_and(|t| t.stale)
    }

    fn results(&self) -> Vec<CheckResult> {
        match &self.test {
            Some(test) if !test.stale => test
                .rows
                .iter()
                .filter_map(|row| match &row.state {
                    CheckState::Done(result) => Some(result.clone()),
                    CheckState::Waiting | CheckState::Running => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, look: Look) {
        match (&self.test, self.focus) {
            (Some(test), Focus::Results) => self.render_results_focus(test, area, buf, look),
            _ => self.render_form_focus(area, buf, look),
        }
    }
}

/// The editor of a field: the password's hides what is typed.
fn editor(field: Field, text: &str) -> TextField {
    match field {
        Field::Password => TextField::hidden(text),
        _ => TextField::new(text),
    }
}
