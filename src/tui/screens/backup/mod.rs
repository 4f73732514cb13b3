//! Backup: choose how (method, folder, format, compression), take the backup with a live
//! progress bar per table and overall, then see where it is and check it (verify, test
//! restore). Earlier backups in the folder are listed with whether they were verified, and one
//! can be picked instead of taking a new one. The work itself is `backup::take`, `verify`,
//! `rehearse` and `locate`, run by the loop's workers.

mod view;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::database::FormError;
use super::{Keys, RunId, Screen};
use crate::backup::locate::FoundBackup;
use crate::backup::manifest::{FileFormat, Manifest, Method};
use crate::backup::output::Compression;
use crate::backup::progress::ProgressEvent;
use crate::backup::rehearse::RestoreCheck;
use crate::backup::restore::RestoreError;
use crate::backup::source::{SourceKey, SourceMatch};
use crate::backup::take::{Backup as Taken, BackupError, BackupRequest};
use crate::backup::verify::{VerifyError, VerifyReport};
use crate::config::{DbSettings, Secret};
use crate::report::StepStatus;
use crate::store::{Copied, StoreError};
use crate::tui::keymap::{Binding, keys};
use crate::tui::theme::Look;
use crate::tui::widgets::progress::Progress;
use crate::tui::widgets::text_field::{self, TextEdit, TextField};

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    /// Tab: between the options (or the chosen backup) and the list of backups found.
    SwitchFocus,
    /// Next choice of the selected option, or edit the folder.
    Change,
    EditText(TextEdit),
    Commit,
    CancelEdit,
    /// Take a backup with the options.
    Start,
    /// Stop the running work.
    Cancel,
    /// Show the options instead of the chosen backup, or back.
    ToggleOptions,
    Verify,
    /// Ask before a test restore: it creates a scratch database on the live server.
    TestRestore,
    /// The answer to that question: go ahead, or cancel with nothing created.
    ConfirmRestore,
    CancelRestore,
    /// Make the selected backup of the list the one to keep and check.
    Use,
    /// Copy the chosen backup off this host, to the destination of the options.
    CopyOff,
}

/// Work for the loop's backup worker.
#[derive(Debug, Clone)]
pub enum Work {
    Take {
        run: RunId,
        request: Box<BackupRequest>,
    },
    Verify {
        run: RunId,
        path: PathBuf,
    },
    /// Restore into the scratch database `scratch` (made on `server`, then dropped) and
    /// compare.
    TestRestore {
        run: RunId,
        path: PathBuf,
        manifest: Box<Manifest>,
        server: Box<DbSettings>,
        scratch: String,
    },
    /// Copy the backup and its manifest to `url` (an off-host store), verified.
    Copy {
        run: RunId,
        path: PathBuf,
        url: String,
    },
    /// Look for backups in these folders.
    Find {
        dirs: Vec<PathBuf>,
    },
    /// Stop the work of this run (a backup removes its partial file, a test restore drops its
    /// scratch database).
    Cancel(RunId),
}

impl Work {
    /// The run a crash of this work is reported for (finding backups has none).
    pub fn run_id(&self) -> Option<RunId> {
        match self {
            Work::Take { run, .. }
            | Work::Verify { run, .. }
            | Work::TestRestore { run, .. }
            | Work::Copy { run, .. }
            | Work::Cancel(run) => Some(*run),
            Work::Find { .. } => None,
        }
    }
}

/// What the worker reports.
#[derive(Debug)]
pub enum WorkEvent {
    Progress {
        run: RunId,
        /// Since the work started.
        elapsed: Duration,
        event: ProgressEvent,
    },
    Taken {
        run: RunId,
        result: Box<Result<Taken, BackupError>>,
    },
    Verified {
        run: RunId,
        result: Box<Result<VerifyReport, VerifyError>>,
    },
    Restored {
        run: RunId,
        result: Box<Result<RestoreCheck, RestoreError>>,
    },
    /// Bytes of a copy sent so far.
    Uploading {
        run: RunId,
        sent: u64,
        total: u64,
    },
    Copied {
        run: RunId,
        result: Box<Result<Copied, StoreError>>,
    },
    /// The task died (a bug): said instead of waiting forever.
    Crashed {
        run: RunId,
        reason: String,
    },
    Found(Vec<FoundBackup>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Backup,
    Verify,
    TestRestore,
    Copy,
}

impl Task {
    fn noun(self) -> &'static str {
        match self {
            Task::Backup => "backup",
            Task::Verify => "verification",
            Task::TestRestore => "test restore",
            Task::Copy => "copy off this host",
        }
    }
}

#[derive(Debug, Clone)]
struct Running {
    run: RunId,
    task: Task,
    /// Method of a backup (external tools report no progress).
    method: Method,
    /// What the work is on: the folder of a backup, the file of a verify or restore.
    on: PathBuf,
    progress: Progress,
    /// A copy's bytes sent and total.
    uploaded: Option<(u64, u64)>,
    cancelling: bool,
}

/// How the last task ended when it left no result to show with the backup.
#[derive(Debug, Clone, PartialEq)]
enum Ended {
    Failed {
        task: Task,
        message: String,
        hint: Option<String>,
    },
    Cancelled {
        task: Task,
        message: String,
    },
}

/// The backup the wizard keeps: taken here, picked from the list, or from the saved session.
#[derive(Debug, Clone)]
struct Chosen {
    path: PathBuf,
    manifest: Option<Manifest>,
    bytes: Option<u64>,
    /// Taken during this run (its numbers are fresh).
    taken: bool,
    removed_partials: Vec<PathBuf>,
    verify: Option<Result<VerifyReport, Arc<VerifyError>>>,
    restore: Option<Result<RestoreCheck, Arc<RestoreError>>>,
    /// The operator chose "use anyway" for a backup that is not of this database (another
    /// source, or no manifest to tell): recorded as such, never counted as this database's.
    used_anyway: bool,
    /// Looked for in its folder and not found (a resumed session's backup that was removed).
    missing: bool,
}

impl Chosen {
    fn path_only(path: PathBuf) -> Chosen {
        Chosen {
            path,
            manifest: None,
            bytes: None,
            taken: false,
            removed_partials: Vec::new(),
            verify: None,
            restore: None,
            used_anyway: false,
            missing: false,
        }
    }

    fn found(found: &FoundBackup) -> Chosen {
        Chosen {
            manifest: found.manifest.clone(),
            bytes: Some(found.bytes),
            ..Chosen::path_only(found.path.clone())
        }
    }

    fn manifest_path(&self) -> PathBuf {
        crate::backup::manifest::path_for(&self.path)
    }

    /// A test restore needs the manifest of a built-in SQL backup (what it compares with).
    fn restorable(&self) -> Result<&Manifest, &'static str> {
        match &self.manifest {
            None => Err("needs a manifest (backups of om-upgrade have one)"),
            Some(m) if m.method == Method::Builtin && m.format == FileFormat::Sql => Ok(m),
            Some(_) => Err("needs a built-in backup in the sql format"),
        }
    }

    /// Checked, and how it went: a failed check wins over a passed one.
    fn checked(&self) -> Option<bool> {
        let verify = match &self.verify {
            Some(Ok(report)) => Some(report.ok()),
            Some(Err(_)) => Some(false),
            None => None,
        };
        let restore = match &self.restore {
            Some(Ok(check)) => Some(check.ok()),
            Some(Err(_)) => Some(false),
            None => None,
        };
        match (verify, restore) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (None, None) => self
                .manifest
                .as_ref()
                .and_then(|m| m.verification.as_ref())
                .map(|v| v.ok),
            _ => Some(true),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Method,
    Folder,
    Format,
    Compression,
    CopyTo,
}

impl Field {
    const ALL: [Field; 5] = [
        Field::Method,
        Field::Folder,
        Field::Format,
        Field::Compression,
        Field::CopyTo,
    ];

    fn label(self) -> &'static str {
        match self {
            Field::Method => "method",
            Field::Folder => "folder",
            Field::Format => "format",
            Field::Compression => "compression",
            Field::CopyTo => "copy to",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Top,
    List,
}

#[derive(Debug, Clone)]
pub struct Backup {
    /// The server's Fernet key, for the manifest's fingerprint of it.
    fernet_key: Option<Secret>,
    method: Method,
    folder: String,
    default_folder: PathBuf,
    format: FileFormat,
    compression: Compression,
    /// Interpreter for `metadata backup` (the first `--python`), else python3.
    python: Option<PathBuf>,
    field: Field,
    editing: Option<TextField>,
    focus: Focus,
    /// Show the options even though a backup is chosen.
    options: bool,
    running: Option<Running>,
    ended: Option<Ended>,
    chosen: Option<Chosen>,
    found: Option<Vec<FoundBackup>>,
    selected: usize,
    last_run: u64,
    /// Where "copy it off this host" puts the backup (a store URL or a folder); empty: not set.
    copy_to: String,
    /// The database of the Database step's form: backups are judged against it.
    database: Option<SourceKey>,
    /// A backup of another source the operator picked once: picking it again uses it anyway.
    refused: Option<Refused>,
    /// The test restore asked about: nothing is created before the operator says yes.
    restore_question: Option<RestoreQuestion>,
    /// Makes the name of a scratch database (unique on its server).
    scratch_names: fn() -> String,
}

/// A test restore asked about and not answered yet: what it will create, where.
#[derive(Debug, Clone)]
struct RestoreQuestion {
    path: PathBuf,
    manifest: Manifest,
    server: DbSettings,
    scratch: String,
}

/// A pick refused because the backup is not of this database.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refused {
    path: PathBuf,
    why: String,
}

/// The choices of a method: `metadata backup` and the native tools write one format, plain.
fn formats(method: Method) -> &'static [FileFormat] {
    match method {
        Method::Builtin => &[FileFormat::Sql, FileFormat::OmCli],
        Method::MetadataCli => &[FileFormat::OmCli],
        Method::Native => &[FileFormat::Native],
    }
}

fn compressions(method: Method) -> &'static [Compression] {
    match method {
        Method::Builtin => &[Compression::None, Compression::Zstd, Compression::Gzip],
        Method::MetadataCli | Method::Native => &[Compression::None],
    }
}

fn next_of<T: Copy + PartialEq>(choices: &[T], current: T) -> T {
    let at = choices.iter().position(|c| *c == current).unwrap_or(0);
    choices[(at + 1) % choices.len()]
}

impl Backup {
    pub fn new(default_folder: PathBuf, python: Option<PathBuf>) -> Backup {
        Backup {
            fernet_key: None,
            method: Method::Builtin,
            folder: default_folder.display().to_string(),
            default_folder,
            format: FileFormat::Sql,
            compression: Compression::None,
            python,
            field: Field::Method,
            editing: None,
            focus: Focus::Top,
            options: false,
            running: None,
            ended: None,
            chosen: None,
            found: None,
            selected: 0,
            last_run: 0,
            copy_to: String::new(),
            database: None,
            refused: None,
            restore_question: None,
            scratch_names: crate::backup::rehearse::scratch_name,
        }
    }

    /// Scratch databases named by `names` (tests name them predictably).
    pub fn name_scratch_with(&mut self, names: fn() -> String) {
        self.scratch_names = names;
    }

    /// The destination of copies off this host, for the session.
    pub fn copy_to(&self) -> Option<&str> {
        Some(self.copy_to.trim()).filter(|d| !d.is_empty())
    }

    /// The destination a saved session remembers.
    pub fn resume_copy_to(&mut self, destination: Option<&str>) {
        if let Some(destination) = destination {
            self.copy_to = destination.to_string();
        }
    }

    /// The manifests of backups taken here record which key wrote the stored secrets.
    pub fn with_fernet_key(mut self, key: Option<Secret>) -> Backup {
        self.fernet_key = key;
        self
    }

    /// The database of the Database step's form (`None` while the form is not usable).
    pub fn set_database(&mut self, database: Option<SourceKey>) {
        if self.database != database {
            self.refused = None;
            self.database = database;
        }
    }

    /// How the chosen backup's source compares with this database; `None` while either is not
    /// known (no backup, its manifest not read yet, or no usable connection).
    fn chosen_match(&self) -> Option<SourceMatch> {
        let chosen = self.chosen.as_ref()?;
        let wanted = self.database.as_ref()?;
        chosen.bytes?;
        Some(match &chosen.manifest {
            Some(m) if SourceKey::of_manifest(m) == *wanted => SourceMatch::Same,
            Some(m) => SourceMatch::Other(SourceKey::of_manifest(m)),
            None => SourceMatch::Unknown,
        })
    }

    /// Whether a backup found is of this database (`None`: the form is not usable).
    fn is_this_database(&self, found: &FoundBackup) -> Option<SourceMatch> {
        self.database
            .as_ref()
            .map(|wanted| SourceMatch::of(found, wanted))
    }

    /// The backup to keep (taken or picked), for the session and the summary.
    pub fn last_backup(&self) -> Option<&Path> {
        self.chosen.as_ref().map(|c| c.path.as_path())
    }

    /// Takes the backup of a saved session; its details come with the next look at the folder.
    pub fn resume(&mut self, path: Option<&Path>) {
        if let Some(path) = path {
            self.chosen = Some(Chosen::path_only(path.to_path_buf()));
        }
    }

    /// The folders to look for backups in: the chosen folder, the default one, and the one of
    /// the chosen backup.
    fn search_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![
            PathBuf::from(self.folder.trim()),
            self.default_folder.clone(),
        ];
        if let Some(parent) = self.chosen.as_ref().and_then(|c| c.path.parent()) {
            dirs.push(parent.to_path_buf());
        }
        dirs.retain(|d| !d.as_os_str().is_empty());
        dirs.dedup();
        dirs
    }

    /// Looks at the folders again (on entering the step, after each task).
    pub fn refresh(&self) -> Work {
        Work::Find {
            dirs: self.search_dirs(),
        }
    }

    fn next_run(&mut self) -> RunId {
        self.last_run += 1;
        RunId(self.last_run)
    }

    fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// `connection` is the Database step's form as settings, or why it is not usable.
    pub fn update(
        &mut self,
        action: Action,
        connection: Result<DbSettings, FormError>,
    ) -> Vec<Work> {
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::SwitchFocus => {
                self.focus = match self.focus {
                    Focus::Top if self.found.as_ref().is_some_and(|f| !f.is_empty()) => Focus::List,
                    _ => Focus::Top,
                };
            }
            Action::Change => self.change(),
            Action::EditText(edit) => {
                if let Some(field) = &mut self.editing {
                    field.apply(edit);
                }
            }
            Action::Commit => {
                if let Some(field) = self.editing.take() {
                    if self.field == Field::CopyTo {
                        self.copy_to = field.value().trim().to_string();
                        return Vec::new();
                    }
                    let changed = field.value().trim() != self.folder;
                    self.folder = field.value().trim().to_string();
                    if changed {
                        return vec![self.refresh()];
                    }
                }
            }
            Action::CancelEdit => self.editing = None,
            Action::ToggleOptions => self.options = !self.options,
            Action::Start => return self.start(connection).into_iter().collect(),
            Action::Cancel => {
                if let Some(running) = &mut self.running
                    && running.task != Task::Verify
                {
                    running.cancelling = true;
                    return vec![Work::Cancel(running.run)];
                }
            }
            Action::Verify => {
                if let Some(chosen) = &self.chosen
                    && !self.is_running()
                {
                    let path = chosen.path.clone();
                    let run = self.begin(Task::Verify, path.clone());
                    return vec![Work::Verify { run, path }];
                }
            }
            Action::TestRestore => self.ask_test_restore(connection),
            Action::ConfirmRestore => return self.test_restore().into_iter().collect(),
            Action::CancelRestore => self.restore_question = None,
            Action::CopyOff => return self.copy_off().into_iter().collect(),
            Action::Use => self.use_selected(),
        }
        Vec::new()
    }

    /// Makes the selected backup the one kept. A backup that is not of this database is
    /// refused the first time, with why; picked again, it is used anyway, and said so.
    fn use_selected(&mut self) {
        let Some(found) = self
            .found
            .as_ref()
            .and_then(|f| f.get(self.selected))
            .cloned()
        else {
            return;
        };
        let mismatch = match (&self.database, self.is_this_database(&found)) {
            (Some(wanted), Some(m)) => m.mismatch(wanted),
            _ => Some(
                "this database is not known yet (the Database step's form is not usable), so \
                 the backup cannot be matched to it"
                    .to_string(),
            ),
        };
        let used_anyway = match mismatch {
            None => false,
            Some(why) => {
                if self.refused.as_ref().is_none_or(|r| r.path != found.path) {
                    self.refused = Some(Refused {
                        path: found.path.clone(),
                        why,
                    });
                    return;
                }
                true
            }
        };
        self.refused = None;
        let same = self.chosen.as_ref().is_some_and(|c| c.path == found.path);
        if !same {
            self.chosen = Some(Chosen::found(&found));
        }
        if let Some(chosen) = &mut self.chosen {
            chosen.used_anyway = used_anyway;
        }
        self.options = false;
        self.focus = Focus::Top;
        self.ended = None;
    }

    /// The backup kept was picked although it is not of this database.
    pub fn used_anyway(&self) -> bool {
        self.chosen.as_ref().is_some_and(|c| c.used_anyway)
    }

    fn move_by(&mut self, delta: isize) {
        match self.focus {
            Focus::Top => {
                let at = Field::ALL
                    .iter()
                    .position(|f| *f == self.field)
                    .unwrap_or(0);
                let at = at.saturating_add_signed(delta).min(Field::ALL.len() - 1);
                self.field = Field::ALL[at];
            }
            Focus::List => {
                let last = self.found.as_ref().map_or(0, |f| f.len().saturating_sub(1));
                self.selected = self.selected.saturating_add_signed(delta).min(last);
                self.refused = None;
            }
        }
    }

    fn change(&mut self) {
        match self.field {
            Field::Method => {
                self.method = next_of(
                    &[Method::Builtin, Method::MetadataCli, Method::Native],
                    self.method,
                );
                // Each method has its own formats; keep what still applies.
                if !formats(self.method).contains(&self.format) {
                    self.format = formats(self.method)[0];
                }
                if !compressions(self.method).contains(&self.compression) {
                    self.compression = Compression::None;
                }
            }
            Field::Folder => self.editing = Some(TextField::new(self.folder.clone())),
            Field::CopyTo => self.editing = Some(TextField::new(self.copy_to.clone())),
            Field::Format => self.format = next_of(formats(self.method), self.format),
            Field::Compression => {
                self.compression = next_of(compressions(self.method), self.compression);
            }
        }
    }

    fn begin(&mut self, task: Task, on: PathBuf) -> RunId {
        let run = self.next_run();
        self.running = Some(Running {
            run,
            task,
            method: self.method,
            on,
            progress: Progress::default(),
            uploaded: None,
            cancelling: false,
        });
        self.ended = None;
        run
    }

    fn start(&mut self, connection: Result<DbSettings, FormError>) -> Option<Work> {
        if self.is_running() {
            return None;
        }
        let settings = match connection {
            Ok(settings) => settings,
            Err(problem) => {
                self.ended = Some(Ended::Failed {
                    task: Task::Backup,
                    message: format!("the connection is not usable: {problem}"),
                    hint: Some("Fix it on the Database step (← twice), then come back.".into()),
                });
                return None;
            }
        };
        let folder = self.folder.trim();
        if folder.is_empty() {
            self.ended = Some(Ended::Failed {
                task: Task::Backup,
                message: "no folder to write the backup to".into(),
                hint: Some(format!(
                    "Choose one in the options ({}).",
                    keys::OPTIONS[0].hint()
                )),
            });
            return None;
        }
        let output_dir = PathBuf::from(folder);
        let request = BackupRequest {
            settings,
            output_dir: output_dir.clone(),
            name: None,
            method: self.method,
            format: self.format,
            compression: self.compression,
            python: self.python.clone(),
            tuning: Default::default(),
            fernet_key: self.fernet_key.clone(),
        };
        let run = self.begin(Task::Backup, output_dir);
        self.options = false;
        self.focus = Focus::Top;
        Some(Work::Take {
            run,
            request: Box::new(request),
        })
    }

    /// Copies the chosen backup to the destination of the options; without one, opens it.
    fn copy_off(&mut self) -> Option<Work> {
        if self.is_running() {
            return None;
        }
        let path = self.chosen.as_ref()?.path.clone();
        let Some(url) = self.copy_to().map(str::to_string) else {
            self.options = true;
            self.focus = Focus::Top;
            self.field = Field::CopyTo;
            self.editing = Some(TextField::new(String::new()));
            return None;
        };
        let run = self.begin(Task::Copy, PathBuf::from(&url));
        Some(Work::Copy { run, path, url })
    }

    /// Asks before a test restore, naming the scratch database it would create on the live
    /// server; nothing is created until the answer is yes.
    fn ask_test_restore(&mut self, connection: Result<DbSettings, FormError>) {
        if self.is_running() {
            return;
        }
        let Some(chosen) = self.chosen.as_ref() else {
            return;
        };
        let Ok(manifest) = chosen.restorable() else {
            return;
        };
        let (manifest, path) = (manifest.clone(), chosen.path.clone());
        match connection {
            Ok(server) => {
                self.restore_question = Some(RestoreQuestion {
                    path,
                    manifest,
                    server,
                    scratch: (self.scratch_names)(),
                });
            }
            Err(problem) => {
                self.ended = Some(Ended::Failed {
                    task: Task::TestRestore,
                    message: format!("the connection is not usable: {problem}"),
                    hint: Some("Fix it on the Database step, then come back.".into()),
                });
            }
        }
    }

    /// The test restore the operator said yes to.
    fn test_restore(&mut self) -> Option<Work> {
        if self.is_running() {
            return None;
        }
        let question = self.restore_question.take()?;
        let run = self.begin(Task::TestRestore, question.path.clone());
        Some(Work::TestRestore {
            run,
            path: question.path,
            manifest: Box::new(question.manifest),
            server: Box::new(question.server),
            scratch: question.scratch,
        })
    }

    /// The question before a test restore, drawn over the step while it is open: the scratch
    /// database by name, and the server it goes on.
    fn render_restore_question(&self, area: Rect, buf: &mut Buffer, look: Look) {
        use ratatui::text::Line;
        use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};
        let Some(question) = &self.restore_question else {
            return;
        };
        let s = &question.server;
        let server = format!(
            "{}://{}@{}:{}",
            s.engine.value, s.user.value, s.host.value, s.port.value
        );
        let theme = look.theme;
        let lines = vec![
            Line::raw("A test restore creates a scratch database on the live server:"),
            Line::styled(format!("  {}", question.scratch), theme.title()),
            Line::raw(format!("  on {server}")),
            Line::raw(
                "It restores the backup into it, compares every table with the manifest, and \
                 drops it. Your OpenMetadata database is only read.",
            ),
            Line::raw(""),
            Line::styled(
                format!(
                    "{} creates it and tests · {} cancels, creating nothing",
                    keys::YES[0].hint(),
                    keys::NO[1].hint()
                ),
                theme.notice(),
            ),
        ];
        let popup = crate::tui::widgets::centered(area, area.width, 10);
        Clear.render(popup, buf);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .title(" Test restore? ")
                    .border_style(theme.focused_border()),
            )
            .render(popup, buf);
    }

    /// Takes what the worker reports; returns more work (a fresh look at the folder).
    pub fn on_event(&mut self, event: WorkEvent) -> Vec<Work> {
        let run = match &event {
            WorkEvent::Found(found) => {
                self.on_found(found.clone());
                return Vec::new();
            }
            WorkEvent::Progress { run, .. }
            | WorkEvent::Taken { run, .. }
            | WorkEvent::Verified { run, .. }
            | WorkEvent::Restored { run, .. }
            | WorkEvent::Uploading { run, .. }
            | WorkEvent::Copied { run, .. }
            | WorkEvent::Crashed { run, .. } => *run,
        };
        let Some(running) = self.running.as_mut().filter(|r| r.run == run) else {
            return Vec::new();
        };
        let task = running.task;
        match event {
            WorkEvent::Progress { elapsed, event, .. } => {
                running.progress.apply(event, elapsed);
                return Vec::new();
            }
            WorkEvent::Taken { result, .. } => self.on_taken(task, *result),
            WorkEvent::Verified { result, .. } => {
                if let Some(chosen) = &mut self.chosen {
                    chosen.verify = Some((*result).map_err(Arc::new));
                }
            }
            WorkEvent::Restored { result, .. } => self.on_restored(task, *result),
            WorkEvent::Uploading { sent, total, .. } => {
                running.uploaded = Some((sent, total));
                return Vec::new();
            }
            WorkEvent::Copied { result, .. } => self.on_copied(task, *result),
            WorkEvent::Crashed { reason, .. } => {
                self.ended = Some(Ended::Failed {
                    task,
                    message: format!("stopped by an internal error: {reason}"),
                    hint: None,
                });
            }
            WorkEvent::Found(_) => {}
        }
        self.running = None;
        vec![self.refresh()]
    }

    /// A backup ended: it is the one kept now, or why there is none.
    fn on_taken(&mut self, task: Task, result: Result<Taken, BackupError>) {
        match result {
            Ok(backup) => {
                self.chosen = Some(Chosen {
                    path: backup.path.clone(),
                    bytes: Some(backup.manifest.file.bytes),
                    manifest: Some(backup.manifest),
                    taken: true,
                    removed_partials: backup.removed_partials,
                    verify: None,
                    restore: None,
                    used_anyway: false,
                    missing: false,
                });
                self.options = false;
            }
            Err(BackupError::Cancelled) => {
                self.ended = Some(Ended::Cancelled {
                    task,
                    message: "Backup cancelled: the partial file was removed; nothing was kept \
                              under the final name."
                        .into(),
                });
            }
            Err(error) => {
                self.ended = Some(Ended::Failed {
                    task,
                    hint: error.remediation(),
                    message: error.to_string(),
                });
            }
        }
    }

    /// A test restore ended: its result goes with the backup, unless it was cancelled.
    fn on_restored(&mut self, task: Task, result: Result<RestoreCheck, RestoreError>) {
        match result {
            Err(error @ RestoreError::Cancelled { .. }) => {
                self.ended = Some(Ended::Cancelled {
                    task,
                    message: format!(
                        "Test restore cancelled ({error}); the scratch database was dropped."
                    ),
                });
            }
            result => {
                if let Some(chosen) = &mut self.chosen {
                    chosen.restore = Some(result.map_err(Arc::new));
                }
            }
        }
    }

    /// A copy ended: a verified copy joins the backup's manifest (the file's own manifest
    /// records it too, and the next look at the folder reads it back).
    fn on_copied(&mut self, task: Task, result: Result<Copied, StoreError>) {
        match result {
            Ok(copied) => {
                if let Some(manifest) = self.chosen.as_mut().and_then(|c| c.manifest.as_mut()) {
                    manifest.add_copy(copied.record);
                }
                self.options = false;
            }
            Err(error @ StoreError::Cancelled { .. }) => {
                self.ended = Some(Ended::Cancelled {
                    task,
                    message: format!("Copy cancelled: {error}."),
                });
            }
            Err(error) => {
                self.ended = Some(Ended::Failed {
                    task,
                    message: error.to_string(),
                    hint: Some(
                        "Check the destination in the options and the credentials in the \
                         environment (each cloud's standard variables, profile or identity)."
                            .into(),
                    ),
                });
            }
        }
    }

    fn on_found(&mut self, found: Vec<FoundBackup>) {
        // A resumed or picked backup learns its manifest (and whether it still exists).
        if let Some(chosen) = &mut self.chosen {
            match found.iter().find(|f| f.path == chosen.path) {
                Some(same) => {
                    chosen.bytes = Some(same.bytes);
                    chosen.manifest = same.manifest.clone();
                    chosen.missing = false;
                }
                // Its folder is always searched: not found there, it is gone or unfinished.
                None => chosen.missing = true,
            }
        }
        self.selected = self.selected.min(found.len().saturating_sub(1));
        if found.is_empty() && self.focus == Focus::List {
            self.focus = Focus::Top;
        }
        self.found = Some(found);
    }
}

impl Backup {
    /// `backup.recent` for the backup kept here (see [`Screen::results`]).
    fn judged(&self) -> Option<crate::checks::runner::CheckResult> {
        use crate::checks::Outcome;
        let chosen = self.chosen.as_ref()?;
        let result = |outcome: Outcome| crate::checks::runner::CheckResult {
            id: crate::checks::backup::RECENT,
            title: crate::checks::backup::RECENT_TITLE.into(),
            step: Some(crate::checks::backup::STEP),
            outcome,
            duration: Duration::ZERO,
        };
        let path = chosen.path.display().to_string();
        if chosen.missing {
            return Some(result(
                Outcome::fail(format!(
                    "the backup chosen earlier is no longer a complete backup in its folder: {path}"
                ))
                .fix("Take a new backup on this step, or pick one from the list."),
            ));
        }
        let wanted = self.database.as_ref()?;
        let matched = self.chosen_match()?;
        if let Some(why) = matched.mismatch(wanted) {
            let outcome = if chosen.used_anyway {
                Outcome::warn(format!(
                    "not a backup of this database, used anyway by the operator: {why}"
                ))
            } else {
                Outcome::fail(format!("no backup of this database chosen: {why}"))
            };
            return Some(result(
                outcome
                    .detail("file", path)
                    .fix("Take a backup of this database on this step (b)."),
            ));
        }
        let mut manifest = chosen.manifest.clone();
        if let (Some(m), Some(ok)) = (manifest.as_mut(), chosen.checked()) {
            m.verification = Some(crate::backup::manifest::Verification {
                at: chrono::Utc::now(),
                ok,
                summary: String::new(),
                restored: matches!(chosen.restore, Some(Ok(_))),
            });
        }
        let manifest = manifest?;
        let found = FoundBackup {
            path: chosen.path.clone(),
            bytes: chosen.bytes.unwrap_or(manifest.file.bytes),
            taken_at: manifest.finished_at,
            manifest: Some(manifest),
        };
        Some(result(crate::checks::backup::judge(
            &found,
            "Take a new backup on this step.",
        )))
    }
}

impl Keys for Backup {
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
        if self.restore_question.is_some() {
            return vec![
                Binding::new(keys::YES, "create it and test", Action::ConfirmRestore),
                Binding::new(keys::NO, "cancel", Action::CancelRestore),
            ];
        }
        if let Some(running) = &self.running {
            let label = format!("cancel {}", running.task.noun());
            return vec![
                Binding::new(keys::CLOSE, label, Action::Cancel)
                    .enabled(running.task != Task::Verify && !running.cancelling),
            ];
        }
        let mut b = Vec::new();
        let showing_options = self.chosen.is_none() || self.options;
        match self.focus {
            Focus::Top if showing_options => {
                let label = match self.field {
                    Field::Folder => "edit folder",
                    Field::CopyTo => "edit destination",
                    _ => "change",
                };
                b.push(Binding::new(keys::TOGGLE, label, Action::Change));
            }
            Focus::Top => {}
            Focus::List => {
                let refused = self.refused.as_ref().is_some_and(|r| {
                    self.found
                        .as_ref()
                        .and_then(|f| f.get(self.selected))
                        .is_some_and(|f| f.path == r.path)
                });
                let label = if refused {
                    "use anyway"
                } else {
                    "use this backup"
                };
                b.push(Binding::new(keys::CONTINUE, label, Action::Use));
            }
        }
        let again = if self.chosen.is_some() {
            "back up again"
        } else {
            "back up"
        };
        b.push(Binding::new(keys::BACKUP, again, Action::Start));
        if let Some(chosen) = &self.chosen {
            b.push(Binding::new(keys::VERIFY, "verify", Action::Verify));
            b.push(Binding::new(keys::COPY_OFF, "copy", Action::CopyOff));
            b.push(
                Binding::new(keys::TEST, "test restore", Action::TestRestore)
                    .enabled(chosen.restorable().is_ok()),
            );
            let label = if self.options {
                "show backup"
            } else {
                "options"
            };
            b.push(Binding::new(keys::OPTIONS, label, Action::ToggleOptions));
        }
        if self.found.as_ref().is_some_and(|f| !f.is_empty()) {
            let label = match self.focus {
                Focus::Top => "backups found",
                Focus::List => "back",
            };
            b.push(Binding::new(keys::FOCUS_NEXT, label, Action::SwitchFocus));
        }
        b.push(Binding::new(keys::UP, "previous", Action::Up).help_only());
        b.push(Binding::new(keys::DOWN, "next", Action::Down).help_only());
        b
    }

    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding<Action>>)> {
        text_field::help_sections(
            self.bindings(),
            self.editing.is_some(),
            "While editing the folder",
            Action::EditText,
        )
    }

    fn typed(&self, c: char) -> Option<Action> {
        Some(Action::EditText(TextEdit::Insert(c)))
    }
}

impl Screen for Backup {
    fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    fn is_busy(&self) -> bool {
        self.is_running()
    }

    fn quit_warning(&self) -> Option<String> {
        self.running.as_ref().map(|running| match running.task {
            Task::Backup => "A backup is running: quitting cancels it, and its partial file is \
                             removed."
                .to_string(),
            Task::TestRestore => "A test restore is running: quitting cancels it, and the \
                                  scratch database is dropped."
                .to_string(),
            Task::Verify => "A verification is reading the backup: quitting stops it (the \
                             backup is not changed)."
                .to_string(),
            Task::Copy => "A copy off this host is running: quitting aborts its upload; \
                           nothing is kept under its name in the store."
                .to_string(),
        })
    }

    /// The backup kept here, judged as `backup.recent` judges the newest backup on disk (with
    /// this run's verify and test restore counted), and only as this database's backup when
    /// its manifest says it is of this database. Nothing while the backup's details are not
    /// read yet (a resumed session) or this database is not known: the step is then not run.
    fn results(&self) -> Vec<crate::checks::runner::CheckResult> {
        self.judged().into_iter().collect()
    }

    fn status(&self) -> StepStatus {
        if self.is_running() {
            return StepStatus::Running;
        }
        if matches!(self.ended, Some(Ended::Failed { .. })) {
            return StepStatus::Fail;
        }
        match self.judged().map(|r| r.outcome.status) {
            None => StepStatus::NotRun,
            Some(crate::checks::Status::Pass) => StepStatus::Pass,
            Some(crate::checks::Status::Warn) => StepStatus::Warn,
            Some(crate::checks::Status::Fail) => StepStatus::Fail,
            Some(crate::checks::Status::Skip) => StepStatus::Skip,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, look: Look) {
        self.draw(area, buf, look);
        self.render_restore_question(area, buf, look);
    }
}
