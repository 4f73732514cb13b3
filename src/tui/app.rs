//! The App: the one owner of the wizard's state. It routes keys to the active step through the
//! bindings that apply now, applies [`Action`]s, takes worker [`Event`]s, and returns
//! [`Effect`]s for the loop to start. It performs no IO and never draws (see `ui.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::action::{Action, Effect};
use super::event::{Event, Signal};
use super::keymap::{self, Binding, keys};
use super::screens::backup::Backup;
use super::screens::clients::Clients;
use super::screens::database::{Database, FormError};
use super::screens::releases::{self, Releases};
use super::screens::summary::{self, ExportJob, Finding, Overview, StepLine, Summary};
use super::screens::welcome::{self, Welcome};
use super::screens::{Keys, Screen, ScreenId};
use super::theme::Look;
use super::theme::Theme;
use crate::backup::source::SourceKey;
use crate::checks::Status;
use crate::checks::runner::CheckResult;
use crate::clients::Request;
use crate::config::installation::InstallSettings;
use crate::config::{DbSettings, SettingsWarning};
use crate::knowledge::impact::Elsewhere;
use crate::knowledge::scan::ScanInputs;
use crate::knowledge::{Catalogue, KnowledgeError};
use crate::report::model::Step;
use crate::report::redact::{Redactor, Scrub};
use crate::report::{Recorded, StepStatus, Via};
use crate::session::{ResultKey, Saved, Session, SessionError, StepResults};
use crate::version::Version;

/// What the wizard starts from.
#[derive(Debug, Clone)]
pub struct Setup {
    pub settings: DbSettings,
    pub warnings: Vec<SettingsWarning>,
    /// `--target`.
    pub target: Option<Version>,
    pub backup_dir: PathBuf,
    /// Where the Summary offers to export the report (the reports folder and a timestamped name).
    pub report_path: PathBuf,
    pub session: SessionStart,
    pub theme: Theme,
    /// The release catalogue (the target's pick-list, the review), or why it did not load.
    pub catalogue: Result<Arc<Catalogue>, Arc<KnowledgeError>>,
    /// `--config` and `--workflows`, for the release review's file scans.
    pub files: ScanInputs,
    /// Where to look for Python clients (`--python`, `--search`, PATH, VIRTUAL_ENV).
    pub clients: Request,
    /// The search engine, the running server and the secrets key, which the Database step's
    /// test checks with the database.
    pub installation: InstallSettings,
}

/// The saved session found at start.
#[derive(Debug, Clone)]
pub enum SessionStart {
    /// None on disk, or `--fresh`.
    None,
    /// Offered for resume.
    Offer(Box<Saved>),
    /// There, but unreadable: said once, then replaced by the next save.
    Unreadable(SessionError),
}

/// A box over the current step that takes the keys until it closes.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help,
    ConfirmQuit,
    Resume(Box<Saved>),
}

/// Why the wizard ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(Signal),
    /// The terminal input ended (with the error, when there was one).
    InputClosed(Option<String>),
}

impl Exit {
    pub fn code(&self) -> i32 {
        match self {
            Exit::Quit => 0,
            Exit::Signal(signal) => signal.exit_code(),
            Exit::InputClosed(_) => 1,
        }
    }
}

pub struct App {
    pub(super) screen: ScreenId,
    pub(super) overlay: Option<Overlay>,
    pub(super) welcome: Welcome,
    pub(super) database: Database,
    pub(super) backup: Backup,
    releases: Releases,
    clients: Clients,
    pub(super) summary: Summary,
    catalogue: Result<Arc<Catalogue>, Arc<KnowledgeError>>,
    backup_dir: PathBuf,
    pub(super) look: Look,
    /// One line for the operator, shown above the footer until replaced.
    pub(super) notice: Option<String>,
    exit: Option<Exit>,
    /// The session last handed to the writer (or found at start): saved again only on change.
    saved: Session,
    /// Results brought back from the saved session, each until its step runs again.
    kept: Vec<(ScreenId, StepResults)>,
}

impl App {
    pub fn new(setup: Setup) -> App {
        let catalogue = setup.catalogue;
        let welcome = Welcome::new(
            &setup.settings,
            &setup.warnings,
            setup.target,
            catalogue.as_deref().map_err(|e| e.as_ref()),
        );
        let database = Database::new(&setup.settings, setup.backup_dir.clone())
            .with_installation(setup.installation.clone());
        let backup = Backup::new(
            setup.backup_dir.clone(),
            setup.clients.pythons.first().cloned(),
        )
        .with_fernet_key(
            setup
                .installation
                .secrets
                .fernet_key
                .as_ref()
                .map(|k| k.value.clone()),
        );
        let releases = Releases::new(setup.files);
        let mut clients = Clients::new(setup.clients);
        clients.set_target(welcome.target(), catalogue.as_deref().ok());
        let (overlay, notice) = match setup.session {
            SessionStart::None => (None, None),
            SessionStart::Offer(saved) => (Some(Overlay::Resume(saved)), None),
            SessionStart::Unreadable(error) => (None, Some(error.to_string())),
        };
        // Starting is not a change: only what the operator does is saved.
        let saved = Session {
            screen: ScreenId::Welcome,
            target: welcome.target().map(ToString::to_string),
            connection: database.saved(),
            acknowledged: Default::default(),
            last_backup: None,
            copy_to: None,
            results: Default::default(),
        };
        App {
            screen: ScreenId::Welcome,
            overlay,
            welcome,
            database,
            backup,
            releases,
            clients,
            summary: Summary::new(setup.report_path),
            catalogue,
            backup_dir: setup.backup_dir,
            look: Look {
                theme: setup.theme,
                tick: 0,
            },
            notice,
            exit: None,
            saved,
            kept: Vec::new(),
        }
    }

    pub fn screen_of(&self, id: ScreenId) -> &dyn Screen {
        match id {
            ScreenId::Welcome => &self.welcome,
            ScreenId::Database => &self.database,
            ScreenId::Backup => &self.backup,
            ScreenId::Releases => &self.releases,
            ScreenId::Clients => &self.clients,
            ScreenId::Summary => &self.summary,
        }
    }

    pub fn current(&self) -> &dyn Screen {
        self.screen_of(self.screen)
    }

    pub fn screen(&self) -> ScreenId {
        self.screen
    }

    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlay.as_ref()
    }

    pub fn exit(&self) -> Option<&Exit> {
        self.exit.as_ref()
    }

    /// Quitting, with work still winding down: the last frame says so.
    pub fn is_quitting(&self) -> bool {
        self.exit == Some(Exit::Quit) && self.is_busy()
    }

    /// Work is running somewhere: the tick runs and quitting asks first.
    pub fn is_busy(&self) -> bool {
        ScreenId::ALL.iter().any(|id| self.screen_of(*id).is_busy())
    }

    pub fn target(&self) -> Option<&Version> {
        self.welcome.target()
    }

    /// The answers worth keeping between runs (never the password).
    pub fn session(&self) -> Session {
        Session {
            screen: self.screen,
            target: self.target().map(ToString::to_string),
            connection: self.database.saved(),
            acknowledged: self.releases.acknowledged().clone(),
            last_backup: self.backup.last_backup().map(Path::to_path_buf),
            copy_to: self.backup.copy_to().map(str::to_string),
            results: self.results_to_keep(),
        }
    }

    /// What the steps found, as the session keeps it.
    fn results_to_keep(&self) -> crate::session::SavedResults {
        let now = chrono::Utc::now();
        let mut results = crate::session::SavedResults::default();
        for id in [ScreenId::Database, ScreenId::Releases, ScreenId::Clients] {
            if let Some(slot) = results.slot(id) {
                *slot = self.step_results(id, now).map(Box::new);
            }
        }
        results
    }

    /// A step's finished, current results with the key they were computed for and when (the
    /// time they first appeared); none while it runs or when they are stale. Free text is
    /// masked with the password.
    fn step_results(
        &self,
        id: ScreenId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<StepResults> {
        if let Some((kept, stale)) = self.kept_of(id) {
            return (!stale).then(|| kept.clone());
        }
        let screen = self.screen_of(id);
        if screen.is_busy() || screen.is_stale() {
            return None;
        }
        let mut checks = screen.results();
        let mut review = screen
            .release_review()
            .map(|r| r.acknowledged_as(&Default::default()));
        if checks.is_empty() && review.is_none() {
            return None;
        }
        let key = self.result_key(id);
        let unchanged = |before: &StepResults, checks: &[CheckResult], review: &Option<_>| {
            before.key == key && before.checks == checks && before.review == *review
        };
        // Saved already (the common case, on every event): nothing to mask again.
        let before = self.saved.results.of(id);
        if let Some(before) = before.filter(|b| unchanged(b, &checks, &review)) {
            return Some(before.clone());
        }
        let redactor = Redactor::new().with_settings(&self.database.tested_settings());
        checks.scrub(&redactor);
        review.scrub(&redactor);
        let computed_at = match before {
            Some(before) if unchanged(before, &checks, &review) => before.computed_at,
            _ => now,
        };
        Some(StepResults {
            computed_at,
            key,
            checks,
            review,
            files_changed: false,
        })
    }

    /// What results of a step would be computed for now: this database, this target and the
    /// step's other inputs (and the files its shown results read).
    fn result_key(&self, id: ScreenId) -> ResultKey {
        let (inputs, files) = match id {
            ScreenId::Releases => (self.releases.key_inputs(), self.releases.fingerprints()),
            ScreenId::Clients => (self.clients.key_inputs(), Vec::new()),
            _ => (Vec::new(), Vec::new()),
        };
        ResultKey {
            connection: self.database.saved(),
            target: self.target().map(ToString::to_string),
            inputs,
            files,
        }
    }

    /// The results a step has from the saved session while it has none of its own (the
    /// Database step shows them as its own), and whether they are stale: computed for another
    /// database, target or inputs, or their files changed since.
    fn kept_of(&self, id: ScreenId) -> Option<(&StepResults, bool)> {
        let (_, kept) = self.kept.iter().find(|(step, _)| *step == id)?;
        let screen = self.screen_of(id);
        let results = screen.results();
        if id == ScreenId::Database {
            return (results == kept.checks).then_some((kept, false));
        }
        let own = screen.is_busy()
            || screen.is_stale()
            || !results.is_empty()
            || screen.release_review().is_some();
        if own {
            return None;
        }
        let stale = kept.files_changed || !kept.key.same_inputs(&self.result_key(id));
        Some((kept, stale))
    }

    /// "2026-12-07 20:31 UTC (12 min ago)" for a step showing kept results.
    fn kept_note(&self, id: ScreenId) -> Option<String> {
        let (kept, stale) = self.kept_of(id)?;
        (!stale).then(|| crate::humanize::at_with_age(kept.computed_at, chrono::Utc::now()))
    }

    /// Brings back the results of the saved session: the Database step shows its test (stale
    /// when it was for another connection or target), the other steps' results stand in the
    /// Summary and the report until the step runs again.
    fn restore_results(&mut self, saved: &crate::session::SavedResults) {
        self.saved.results = saved.clone();
        self.kept = [ScreenId::Database, ScreenId::Releases, ScreenId::Clients]
            .into_iter()
            .filter_map(|id| saved.of(id).map(|r| (id, r.clone())))
            .collect();
        if let Some(test) = saved.of(ScreenId::Database) {
            let stale =
                test.files_changed || !test.key.same_inputs(&self.result_key(ScreenId::Database));
            self.database.restore(
                test.checks.clone(),
                test.key.target.as_deref().and_then(|t| t.parse().ok()),
                stale,
                crate::humanize::at_with_age(test.computed_at, chrono::Utc::now()),
            );
        }
    }

    /// The Database step's form as settings, or what is wrong with it.
    fn connection(&self) -> Result<DbSettings, FormError> {
        self.database.settings()
    }

    /// Work a step starts when the operator arrives on it.
    fn enter(&mut self) -> Vec<Effect> {
        match self.screen {
            ScreenId::Backup => vec![Effect::Backup(self.backup.refresh())],
            ScreenId::Releases => {
                let inputs = review_inputs(
                    &self.welcome,
                    &self.database,
                    &self.catalogue,
                    &self.backup_dir,
                    self.elsewhere(),
                );
                wrap(self.releases.on_enter(&inputs), Effect::Releases)
            }
            ScreenId::Clients => wrap(self.clients.on_enter(), Effect::Clients),
            ScreenId::Welcome | ScreenId::Database | ScreenId::Summary => Vec::new(),
        }
    }

    /// The keys of a step, as the App's actions.
    fn keys_of(&self, id: ScreenId) -> Box<dyn StepKeys + '_> {
        match id {
            ScreenId::Welcome => Box::new(Wrapped(&self.welcome, Action::Welcome)),
            ScreenId::Database => Box::new(Wrapped(&self.database, Action::Database)),
            ScreenId::Backup => Box::new(Wrapped(&self.backup, Action::Backup)),
            ScreenId::Releases => Box::new(Wrapped(&self.releases, Action::Releases)),
            ScreenId::Clients => Box::new(Wrapped(&self.clients, Action::Clients)),
            ScreenId::Summary => Box::new(Wrapped(&self.summary, Action::Summary)),
        }
    }

    fn global_bindings(&self) -> Vec<Binding<Action>> {
        vec![
            Binding::new(keys::NEXT_STEP, "next step", Action::NextStep)
                .enabled(!self.screen.is_last()),
            Binding::new(keys::PREV_STEP, "back", Action::PrevStep)
                .enabled(!self.screen.is_first()),
            Binding::new(keys::INTERRUPT, "quit without asking", Action::Interrupt).help_only(),
            Binding::new(keys::QUIT, "quit", Action::Quit).pinned(),
            Binding::new(keys::HELP, "help", Action::ToggleHelp).pinned(),
        ]
    }

    /// Every binding that applies now, in footer order: the overlay's, or the step's then the
    /// global ones. Key presses are looked up in this same list.
    pub fn bindings(&self) -> Vec<Binding<Action>> {
        match &self.overlay {
            Some(Overlay::Help) => vec![
                Binding::new(keys::CLOSE_HELP, "close", Action::CloseOverlay),
                Binding::new(keys::INTERRUPT, "quit", Action::Interrupt).help_only(),
            ],
            Some(Overlay::ConfirmQuit) => vec![
                Binding::new(keys::YES, "quit anyway", Action::QuitNow),
                Binding::new(keys::NO, "keep going", Action::CloseOverlay),
                Binding::new(keys::INTERRUPT, "quit anyway", Action::Interrupt).help_only(),
            ],
            Some(Overlay::Resume(_)) => vec![
                Binding::new(keys::ACCEPT, "resume", Action::Resume),
                Binding::new(keys::NO, "start fresh", Action::StartFresh),
                // Other keys go to the question (q too): Ctrl-C is how to quit from it.
                Binding::new(keys::INTERRUPT, "quit", Action::Interrupt).pinned(),
            ],
            None => {
                let mut bindings = self.keys_of(self.screen).bindings();
                if self.current().is_editing() {
                    bindings
                        .push(Binding::new(keys::INTERRUPT, "quit", Action::Interrupt).pinned());
                } else {
                    bindings.extend(self.global_bindings());
                }
                bindings
            }
        }
    }

    /// The help overlay's sections: this step's keys, then the ones that work everywhere.
    pub fn help_sections(&self) -> Vec<(&'static str, Vec<Binding<Action>>)> {
        let mut sections = self.keys_of(self.screen).help_sections();
        sections.push(("Everywhere", self.global_bindings()));
        sections
    }

    /// What a key press asks for, if anything.
    pub fn on_key(&self, key: &KeyEvent) -> Option<Action> {
        keymap::lookup(&self.bindings(), key).or_else(|| {
            if self.overlay.is_none() && self.current().is_editing() {
                keymap::printable(key).and_then(|c| self.keys_of(self.screen).typed(c))
            } else {
                None
            }
        })
    }

    /// Takes one event; returns the work to start.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let mut effects = Vec::new();
        let event_kind = if matches!(event, Event::Tick | Event::Resize) {
            EventKind::Tick
        } else {
            EventKind::Other
        };
        match event {
            Event::Key(key) => {
                if let Some(action) = self.on_key(&key) {
                    return self.update(action);
                }
            }
            Event::Database(event) => self.database.on_event(event),
            Event::Backup(event) => effects = wrap(self.backup.on_event(event), Effect::Backup),
            Event::Releases(event) => self.releases.on_event(event),
            Event::Clients(event) => effects = wrap(self.clients.on_event(event), Effect::Clients),
            Event::Summary(event) => self.summary.on_event(event),
            Event::Resize => {}
            Event::Tick => self.look.tick = self.look.tick.wrapping_add(1),
            Event::SessionSaved(Ok(())) => {}
            Event::SessionSaved(Err(error)) => self.notice = Some(error.to_string()),
            Event::Signal(signal) => self.exit = Some(Exit::Signal(signal)),
            Event::InputClosed(error) => {
                self.exit = Some(Exit::InputClosed(error.map(|e| e.to_string())));
            }
        }
        // The quit question was only asked because work was running; once it is done, the
        // operator's answer is already known.
        if matches!(self.overlay, Some(Overlay::ConfirmQuit)) && !self.is_busy() {
            self.exit = Some(Exit::Quit);
        }
        self.refresh_summary();
        // What a step found is kept as soon as it is done (ticks change nothing worth saving).
        if !matches!(event_kind, EventKind::Tick) {
            self.save_if_changed(&mut effects);
        }
        effects
    }

    /// Applies an intent; returns the work to start.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut effects = match action {
            Action::Quit if self.is_busy() => {
                self.overlay = Some(Overlay::ConfirmQuit);
                Vec::new()
            }
            Action::Quit | Action::QuitNow | Action::Interrupt => {
                self.overlay = None;
                self.exit = Some(Exit::Quit);
                Vec::new()
            }
            Action::ToggleHelp => {
                self.overlay = match self.overlay {
                    Some(Overlay::Help) => None,
                    _ => Some(Overlay::Help),
                };
                Vec::new()
            }
            Action::CloseOverlay | Action::StartFresh => {
                self.overlay = None;
                Vec::new()
            }
            Action::NextStep | Action::Welcome(welcome::Action::Continue) => {
                self.go(self.screen.next())
            }
            Action::PrevStep => self.go(self.screen.prev()),
            Action::Resume => self.resume(),
            step => self.update_step(step),
        };
        self.refresh_summary();
        self.save_if_changed(&mut effects);
        effects
    }

    /// Moves to a step; returns the work it starts on arrival.
    fn go(&mut self, to: ScreenId) -> Vec<Effect> {
        if to == self.screen {
            return Vec::new();
        }
        self.screen = to;
        self.enter()
    }

    /// Takes the answers of the session offered at start.
    fn resume(&mut self) -> Vec<Effect> {
        let Some(Overlay::Resume(saved)) = self.overlay.take() else {
            return Vec::new();
        };
        let session = &saved.session;
        self.welcome.resume(session.target.as_deref());
        self.database.resume(&session.connection);
        // Acknowledgements hold for the target they were made for (--target may name another).
        let same_target = self.target().map(ToString::to_string) == session.target;
        if same_target {
            self.releases.resume(&session.acknowledged);
        } else if !session.acknowledged.is_empty() {
            self.notice = Some(format!(
                "The saved acknowledgements were made for the target {}, not {}: not applied.",
                session.target.as_deref().unwrap_or("(none)"),
                self.target().map(ToString::to_string).unwrap_or_default()
            ));
        }
        self.backup.resume(session.last_backup.as_deref());
        self.backup.resume_copy_to(session.copy_to.as_deref());
        self.restore_results(&session.results);
        self.screen = session.screen;
        self.target_changed();
        let mut effects = self.enter();
        // The kept backup's facts come from its manifest, whichever step the session was on.
        if self.screen != ScreenId::Backup && session.last_backup.is_some() {
            effects.push(Effect::Backup(self.backup.refresh()));
        }
        effects
    }

    /// A step's own action, with what it needs from the other steps; its work as effects.
    fn update_step(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Welcome(action) => {
                let before = self.welcome.target().cloned();
                self.welcome.update(action);
                if self.welcome.target() != before.as_ref() {
                    self.target_changed();
                }
                Vec::new()
            }
            Action::Database(action) => {
                let target = self.welcome.target().cloned();
                wrap(
                    self.database.update(action, target.as_ref()),
                    Effect::Database,
                )
            }
            Action::Backup(action) => {
                let connection = self.connection();
                wrap(self.backup.update(action, connection), Effect::Backup)
            }
            Action::Releases(action) => {
                let inputs = review_inputs(
                    &self.welcome,
                    &self.database,
                    &self.catalogue,
                    &self.backup_dir,
                    self.elsewhere(),
                );
                wrap(self.releases.update(action, &inputs), Effect::Releases)
            }
            Action::Clients(action) => wrap(self.clients.update(action), Effect::Clients),
            Action::Summary(action) => match self.summary.update(action) {
                Some(request) => {
                    let job = Box::new(self.export_job(request));
                    vec![Effect::Summary(summary::Work::Export(job))]
                }
                None => Vec::new(),
            },
            // Global actions are applied by `update`.
            _ => Vec::new(),
        }
    }

    /// The Clients step judges against the target.
    fn target_changed(&mut self) {
        self.database.observe_target(self.welcome.target());
        self.clients
            .set_target(self.welcome.target(), self.catalogue.as_deref().ok());
    }

    /// Every check result the steps hold, in step order; a check run again by a later step
    /// counts with its latest result, where it first appeared.
    fn results_by_step(&self) -> Vec<(ScreenId, CheckResult)> {
        let mut all: Vec<(ScreenId, CheckResult)> = Vec::new();
        for id in ScreenId::ALL {
            let mut results = self.screen_of(id).results();
            if results.is_empty()
                && let Some((kept, false)) = self.kept_of(id)
            {
                results = kept.checks.clone();
            }
            for result in results {
                match all.iter_mut().find(|(_, r)| r.id == result.id) {
                    Some(slot) => *slot = (id, result),
                    None => all.push((id, result)),
                }
            }
        }
        all
    }

    /// What the other steps' checks measured (or kept from the session), for the release
    /// items they measure (`db.sort_memory`, `clients.python`).
    fn elsewhere(&self) -> Elsewhere {
        let results: Vec<CheckResult> = self
            .results_by_step()
            .into_iter()
            .filter(|(id, _)| matches!(id, ScreenId::Database | ScreenId::Clients))
            .map(|(_, result)| result)
            .collect();
        crate::checks::runner::elsewhere(&results)
    }

    /// The wizard's steps and the report's prerequisites they fill.
    const STEPS: [(ScreenId, Step); 4] = [
        (ScreenId::Database, Step::Database),
        (ScreenId::Backup, Step::Backup),
        (ScreenId::Releases, Step::ReleaseReview),
        (ScreenId::Clients, Step::Clients),
    ];

    /// What the steps hold now, as a report records it. The Summary's verdict and the exported
    /// report are both made from this, by the report's own assembly.
    fn recorded(&self) -> Recorded {
        let kept_review = || match self.kept_of(ScreenId::Releases) {
            Some((kept, false)) => kept
                .review
                .clone()
                .map(|r| r.acknowledged_as(self.releases.acknowledged())),
            _ => None,
        };
        let review = self
            .screen_of(ScreenId::Releases)
            .release_review()
            .or_else(kept_review)
            .ok_or_else(|| "the release review was not done in this wizard session".to_string());
        let stale = Self::STEPS
            .into_iter()
            .filter(|(id, _)| {
                self.screen_of(*id).is_stale() || matches!(self.kept_of(*id), Some((_, true)))
            })
            .map(|(_, step)| step)
            .collect();
        Recorded {
            via: Via::Wizard,
            settings: self.database.tested_settings(),
            target: self.target().cloned(),
            catalogue: self.catalogue.as_ref().ok().map(|c| c.reach()),
            results: self.results_by_step().into_iter().map(|(_, r)| r).collect(),
            backup: None,
            review,
            acknowledged: self.releases.acknowledged().clone(),
            strict: false,
            stale,
            files: self.releases.files(),
            installation: self.database.installation().clone(),
        }
    }

    /// Hands the Summary the verdict `report` gives the same state: each step's status (or
    /// that it is running), the blockers and open actions, and the exit code.
    fn refresh_summary(&mut self) {
        // The review follows the other steps: stale when its inputs changed, judged again
        // when what they measured for its items did.
        let inputs = review_inputs(
            &self.welcome,
            &self.database,
            &self.catalogue,
            &self.backup_dir,
            self.elsewhere(),
        );
        self.releases.observe(&inputs);
        let database = self.connection().ok().map(|s| SourceKey::of_settings(&s));
        self.backup.set_database(database);
        let report = crate::report::assemble::verdict(self.recorded());
        self.welcome.set_installed(
            report
                .openmetadata
                .installed
                .as_deref()
                .and_then(|v| v.parse().ok()),
        );
        let steps = Self::STEPS
            .into_iter()
            .map(|(id, step)| {
                let prerequisite = report.checklist.iter().find(|p| p.step == step);
                let status = if self.screen_of(id).is_busy() {
                    StepStatus::Running
                } else {
                    prerequisite.map_or(StepStatus::NotRun, |p| p.status)
                };
                let checks = prerequisite
                    .map(|p| {
                        p.checks
                            .iter()
                            .filter_map(|c| report.check(c))
                            .map(|c| {
                                if c.acknowledged {
                                    Status::Pass
                                } else {
                                    c.status
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                StepLine {
                    id,
                    status,
                    checks,
                    kept: self.kept_note(id),
                }
            })
            .collect();
        let findings = self.findings_of(&report);
        self.summary.refresh(Overview {
            steps,
            findings,
            overall: Some(report.overall),
        });
    }

    /// The report's blockers and open actions, each with the step that found it.
    fn findings_of(&self, report: &crate::report::Report) -> Vec<Finding> {
        let tagged = self.results_by_step();
        report
            .blockers
            .iter()
            .chain(&report.open_actions)
            .map(|finding| {
                match tagged.iter().find(|(_, r)| r.id.as_str() == finding.check) {
                    Some((step, result)) => Finding::of(*step, result),
                    // A release item nobody measured or acknowledged.
                    None => Finding {
                        step: Self::STEPS
                            .into_iter()
                            .find(|(_, step)| Some(*step) == finding.step)
                            .map_or(ScreenId::Releases, |(id, _)| id),
                        id: crate::checks::CheckId::owned(finding.check.clone()),
                        status: Status::Warn,
                        summary: finding.summary.clone(),
                        remediation: finding.remediation.clone(),
                    },
                }
            })
            .collect()
    }

    /// The report export the Summary asked for, with what the steps hold.
    fn export_job(&self, request: summary::ExportRequest) -> ExportJob {
        ExportJob {
            request,
            recorded: self.recorded(),
            last_backup: self.backup.last_backup().map(Path::to_path_buf),
            backup_used_anyway: self.backup.used_anyway(),
        }
    }

    fn save_if_changed(&mut self, effects: &mut Vec<Effect>) {
        // Until the operator answers the resume question, the old session stays untouched.
        if matches!(self.overlay, Some(Overlay::Resume(_))) {
            return;
        }
        let now = self.session();
        if now != self.saved {
            self.saved = now.clone();
            effects.push(Effect::SaveSession(now));
        }
    }
}

/// Whether an event can change what is saved.
enum EventKind {
    Tick,
    Other,
}

/// A step's work, as the App's effects.
fn wrap<W>(work: Vec<W>, effect: fn(W) -> Effect) -> Vec<Effect> {
    work.into_iter().map(effect).collect()
}

/// A step's keys in the App's actions, whatever the step's own action type.
trait StepKeys {
    fn bindings(&self) -> Vec<Binding<Action>>;
    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding<Action>>)>;
    fn typed(&self, c: char) -> Option<Action>;
}

/// A step with the variant that wraps its actions.
struct Wrapped<'a, S: Keys>(&'a S, fn(S::Action) -> Action);

impl<S: Keys> StepKeys for Wrapped<'_, S> {
    fn bindings(&self) -> Vec<Binding<Action>> {
        let Wrapped(step, wrap) = self;
        step.bindings().into_iter().map(|b| b.map(wrap)).collect()
    }

    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding<Action>>)> {
        let Wrapped(step, wrap) = self;
        step.help_sections()
            .into_iter()
            .map(|(title, bindings)| (title, bindings.into_iter().map(|b| b.map(wrap)).collect()))
            .collect()
    }

    fn typed(&self, c: char) -> Option<Action> {
        let Wrapped(step, wrap) = self;
        step.typed(c).map(wrap)
    }
}

/// What the release review needs from the other steps.
fn review_inputs<'a>(
    welcome: &'a Welcome,
    database: &'a Database,
    catalogue: &'a Result<Arc<Catalogue>, Arc<KnowledgeError>>,
    backup_dir: &'a Path,
    elsewhere: Elsewhere,
) -> releases::Inputs<'a> {
    releases::Inputs {
        target: welcome.target(),
        connection: database.settings(),
        url: database.display_url(),
        catalogue: catalogue.as_ref(),
        backup_dir,
        elsewhere,
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
