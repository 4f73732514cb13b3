//! The wizard's session: its answers, kept between runs (the step, the target, the connection
//! form, the acknowledged release items and the last backup — never the password), and what
//! its steps found ([`StepResults`]: the outcomes, when they were computed and the [`ResultKey`]
//! they were computed for), written by the wizard and read by the wizard and by
//! `om-upgrade report`. One file per database (engine, host, port, name), so that one
//! database's answers are never offered or applied to another. Written atomically (temp file,
//! fsync, rename), readable by the owner only.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::checks::runner::CheckResult;
use crate::config::DbSettings;
use crate::db::Engine;
use crate::report::ReleaseReview;
use crate::small_file::{self, Accept, ReadError};

/// The one session file of earlier versions (for every database); still read when it is for
/// the database asked about.
pub const FILE_NAME: &str = "wizard-session.json";

/// Session files are `wizard-session-<engine>-<host>-<port>-<database>.json`.
const FILE_PREFIX: &str = "wizard-session-";

/// Bumped when the file's shape changes; files of unknown formats are not guessed at.
const FORMAT: u32 = 3;

/// Format 2 kept no results: its steps come back "not run".
const FORMAT_WITHOUT_RESULTS: u32 = 2;

/// Format 1 wrote the port as the text of the form (`"5432"`); it is still read.
const FORMAT_PORT_AS_TEXT: u32 = 1;

/// A session holds a few kilobytes of answers.
const MAX_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub screen: ScreenId,
    /// The target version as the operator gave it (valid when saved).
    pub target: Option<String>,
    pub connection: SavedConnection,
    /// Release items the operator acknowledged on the Releases step, as `<release>/<item id>`
    /// (`1.2/query-service-required`).
    #[serde(default)]
    pub acknowledged: BTreeSet<String>,
    /// The backup taken (or picked) in the wizard, for the Summary and the report.
    #[serde(default)]
    pub last_backup: Option<PathBuf>,
    /// Where the wizard copies backups off this host (a store URL or a folder; never a
    /// credential: URLs that carry one are refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_to: Option<String>,
    /// What the steps found, each with when and for what.
    #[serde(default)]
    pub results: SavedResults,
}

/// What the steps that check something found, when it was kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedResults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<Box<StepResults>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub releases: Option<Box<StepResults>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<Box<StepResults>>,
}

impl SavedResults {
    pub fn of(&self, step: ScreenId) -> Option<&StepResults> {
        match step {
            ScreenId::Database => self.database.as_deref(),
            ScreenId::Releases => self.releases.as_deref(),
            ScreenId::Clients => self.clients.as_deref(),
            _ => None,
        }
    }

    pub fn slot(&mut self, step: ScreenId) -> Option<&mut Option<Box<StepResults>>> {
        match step {
            ScreenId::Database => Some(&mut self.database),
            ScreenId::Releases => Some(&mut self.releases),
            ScreenId::Clients => Some(&mut self.clients),
            _ => None,
        }
    }
}

/// One step's results: the check outcomes (and the release review, without acknowledgements,
/// which the session keeps apart), when they were computed and what for. Free text as the
/// checks said it; the password is never in it (the wizard masks it before saving).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResults {
    pub computed_at: DateTime<Utc>,
    pub key: ResultKey,
    pub checks: Vec<CheckResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReleaseReview>,
    /// Set when read back: an input file changed (or went) since.
    #[serde(skip)]
    pub files_changed: bool,
}

/// What results were computed for: the database (no secret), the target, the other inputs as
/// typed (paths, interpreters) and the input files as they were then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultKey {
    pub connection: SavedConnection,
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<Fingerprint>,
}

impl ResultKey {
    /// The same database, target and inputs (the files are compared when read back).
    pub fn same_inputs(&self, other: &ResultKey) -> bool {
        self.connection == other.connection
            && self.target == other.target
            && self.inputs == other.inputs
    }
}

/// A file as it was: its size and time of last change, or that it was not there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub path: PathBuf,
    pub size: Option<u64>,
    pub modified: Option<DateTime<Utc>>,
}

/// Files read in one folder at most: a fingerprint is a few hundred bytes each.
const MAX_FINGERPRINTS: usize = 500;

/// The fingerprints of `path`: the file, or the files of the folder (not below), by name.
pub fn fingerprints(path: &Path) -> Vec<Fingerprint> {
    let one = |path: PathBuf| {
        let meta = fs::metadata(&path).ok();
        Fingerprint {
            size: meta.as_ref().map(fs::Metadata::len),
            modified: meta
                .and_then(|m| m.modified().ok())
                .map(DateTime::<Utc>::from),
            path,
        }
    };
    if !path.is_dir() {
        return vec![one(path.to_path_buf())];
    }
    let mut files: Vec<PathBuf> = fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.truncate(MAX_FINGERPRINTS);
    let mut all = vec![one(path.to_path_buf())];
    all.extend(files.into_iter().map(one));
    all
}

/// Whether the files of `kept` are no longer as they were (changed, gone, or new in a
/// folder). The paths fingerprinted are those no other entry lists as its folder; a file
/// given on its own and also found in a given folder (openmetadata.yaml among the workflow
/// files) counts once on both sides.
fn files_changed(kept: &[Fingerprint]) -> bool {
    let listed_in_folder = |p: &Fingerprint| {
        kept.iter()
            .any(|q| Some(q.path.as_path()) == p.path.parent())
    };
    let now: Vec<Fingerprint> = kept
        .iter()
        .filter(|p| !listed_in_folder(p))
        .flat_map(|p| fingerprints(&p.path))
        .collect();
    let each_once = |mut list: Vec<Fingerprint>| {
        list.sort_by(|a, b| a.path.cmp(&b.path));
        list.dedup();
        list
    };
    each_once(now) != each_once(kept.to_vec())
}

/// The connection form as typed; no password field exists, so none can be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedConnection {
    pub engine: Engine,
    pub host: String,
    /// The form's port when it was a port number, else the one found at start.
    #[serde(deserialize_with = "port_number_or_text")]
    pub port: u16,
    pub user: String,
    pub database: String,
    pub schema: String,
}

/// The steps, in the order the wizard walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScreenId {
    Welcome,
    Database,
    Backup,
    Releases,
    Clients,
    Summary,
}

impl ScreenId {
    pub const ALL: [ScreenId; 6] = [
        ScreenId::Welcome,
        ScreenId::Database,
        ScreenId::Backup,
        ScreenId::Releases,
        ScreenId::Clients,
        ScreenId::Summary,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ScreenId::Welcome => "Welcome",
            ScreenId::Database => "Database",
            ScreenId::Backup => "Backup",
            ScreenId::Releases => "Releases",
            ScreenId::Clients => "Clients",
            ScreenId::Summary => "Summary",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The next step; the last one stays where it is.
    pub fn next(self) -> ScreenId {
        Self::ALL.get(self.index() + 1).copied().unwrap_or(self)
    }

    /// The previous step; the first one stays where it is.
    pub fn prev(self) -> ScreenId {
        self.index()
            .checked_sub(1)
            .and_then(|i| Self::ALL.get(i).copied())
            .unwrap_or(self)
    }

    pub fn is_first(self) -> bool {
        self.index() == 0
    }

    pub fn is_last(self) -> bool {
        self.index() + 1 == Self::ALL.len()
    }
}

impl SavedConnection {
    /// Whether this is the database of `settings` (engine, host, port and name).
    pub fn is_for(&self, settings: &DbSettings) -> bool {
        self.engine == settings.engine.value
            && self.host == settings.host.value
            && self.port == settings.port.value
            && self.database == settings.database.value
    }
}

/// A port as written now (a number) or by format 1 (its text, `"5432"`).
fn port_number_or_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Port {
        Number(u16),
        Text(String),
    }
    match Port::deserialize(deserializer)? {
        Port::Number(port) => Ok(port),
        Port::Text(text) => match text.trim().parse::<u16>() {
            Ok(port) if port > 0 => Ok(port),
            _ => Err(serde::de::Error::custom(format!(
                "the port '{text}' is not a port number"
            ))),
        },
    }
}

#[derive(Serialize, Deserialize)]
struct SessionFile {
    format: u32,
    saved_at: DateTime<Utc>,
    #[serde(flatten)]
    session: Session,
}

/// A session found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub path: PathBuf,
    pub saved_at: DateTime<Utc>,
    pub session: Session,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("cannot read the saved session {}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    #[error("the saved session {} is not readable as a session ({reason}); it will be replaced", path.display())]
    Malformed { path: PathBuf, reason: String },
    #[error("the saved session {} was written by another version of om-upgrade (format {found}); it will be replaced", path.display())]
    OtherFormat { path: PathBuf, found: u32 },
    #[error("cannot save the session in {}: {reason}; set OM_UPGRADE_STATE_DIR to a writable folder", dir.display())]
    Write { dir: PathBuf, reason: String },
}

/// The session file of earlier versions in `state_dir`.
pub fn path_in(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

/// The session file of one database in `state_dir`.
pub fn path_for(state_dir: &Path, connection: &SavedConnection) -> PathBuf {
    let key = format!(
        "{}-{}-{}-{}",
        connection.engine, connection.host, connection.port, connection.database
    );
    // Host and database names are the operator's: only safe characters reach the file name.
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(180)
        .collect();
    state_dir.join(format!("{FILE_PREFIX}{key}.json"))
}

/// The connection of `settings` as a session names it (the form's other fields are not part
/// of which database it is).
fn key_of(settings: &DbSettings) -> SavedConnection {
    SavedConnection {
        engine: settings.engine.value,
        host: settings.host.value.clone(),
        port: settings.port.value,
        user: settings.user.value.clone(),
        database: settings.database.value.clone(),
        schema: settings.schema.value.clone(),
    }
}

/// Reads the session saved in `state_dir` for the database of `settings`; `Ok(None)` when
/// there is none. A session of another database is never returned.
pub fn load_for(state_dir: &Path, settings: &DbSettings) -> Result<Option<Saved>, SessionError> {
    if let Some(saved) = load_file(&path_for(state_dir, &key_of(settings)))? {
        return Ok(Some(saved).filter(|s| s.session.connection.is_for(settings)));
    }
    // The single file of earlier versions, when it is for this database.
    match load_file(&path_in(state_dir)) {
        Ok(saved) => Ok(saved.filter(|s| s.session.connection.is_for(settings))),
        // Another database's broken file is not this database's business.
        Err(_) => Ok(None),
    }
}

/// Removes the session of the database of `settings` (`--fresh`): the one it replaces is not
/// offered again, even when the wizard is left before it saves anything.
pub fn remove_for(state_dir: &Path, settings: &DbSettings) -> Result<(), SessionError> {
    let fail = |reason: String| SessionError::Write {
        dir: state_dir.to_path_buf(),
        reason,
    };
    let mine = path_for(state_dir, &key_of(settings));
    match fs::remove_file(&mine) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(format!("cannot remove {}: {e}", mine.display()))),
    }
    let legacy = path_in(state_dir);
    if let Ok(Some(saved)) = load_file(&legacy)
        && saved.session.connection.is_for(settings)
    {
        fs::remove_file(&legacy)
            .map_err(|e| fail(format!("cannot remove {}: {e}", legacy.display())))?;
    }
    Ok(())
}

/// Reads a session file (`om-upgrade report --session FILE`); `Ok(None)` when it does not exist.
pub fn load_file(path: &Path) -> Result<Option<Saved>, SessionError> {
    let path = path.to_path_buf();
    // Bounded, and never a FIFO or a device: `--session /dev/zero` would fill memory.
    let text = match small_file::read(&path, MAX_BYTES, Accept::Regular) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(ReadError::NotFound) => return Ok(None),
        Err(e) => {
            return Err(SessionError::Read {
                path,
                reason: e.to_string(),
            });
        }
    };
    let malformed = |reason: String| SessionError::Malformed {
        path: path.clone(),
        reason,
    };
    let raw: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
    match raw.get("format").and_then(serde_json::Value::as_u64) {
        Some(f)
            if [FORMAT, FORMAT_WITHOUT_RESULTS, FORMAT_PORT_AS_TEXT]
                .iter()
                .any(|known| f == u64::from(*known)) => {}
        Some(found) => {
            return Err(SessionError::OtherFormat {
                path,
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        None => return Err(malformed("no format number".into())),
    }
    let mut file: SessionFile =
        serde_json::from_value(raw).map_err(|e| malformed(e.to_string()))?;
    for step in ScreenId::ALL {
        if let Some(Some(results)) = file.session.results.slot(step) {
            results.files_changed = files_changed(&results.key.files);
        }
    }
    Ok(Some(Saved {
        path,
        saved_at: file.saved_at,
        session: file.session,
    }))
}

/// Writes `session` into `state_dir` atomically: a reader sees the old file or the new one,
/// never half of one.
pub fn save(
    state_dir: &Path,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<PathBuf, SessionError> {
    let fail = |reason: String| SessionError::Write {
        dir: state_dir.to_path_buf(),
        reason,
    };
    let file = SessionFile {
        format: FORMAT,
        saved_at: now,
        session: session.clone(),
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| fail(e.to_string()))?;
    text.push('\n');
    create_private_dir(state_dir).map_err(|e| fail(e.to_string()))?;
    let path = path_for(state_dir, &session.connection);
    let temp = state_dir.join(format!(".{FILE_PREFIX}.{}.tmp", std::process::id()));
    let written = write_private(&temp, text.as_bytes()).and_then(|()| fs::rename(&temp, &path));
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(fail(e.to_string()));
    }
    Ok(path)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            screen: ScreenId::Database,
            target: Some("1.2.0".into()),
            connection: SavedConnection {
                engine: Engine::Postgres,
                host: "db.internal".into(),
                port: 5432,
                user: "om".into(),
                database: "openmetadata_db".into(),
                schema: "public".into(),
            },
            acknowledged: Default::default(),
            last_backup: None,
            copy_to: None,
            results: Default::default(),
        }
    }

    fn mine(dir: &Path) -> PathBuf {
        path_for(dir, &session().connection)
    }

    fn load(dir: &Path) -> Result<Option<Saved>, SessionError> {
        load_file(&mine(dir))
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn stepper_saturates_at_both_ends() {
        assert_eq!(ScreenId::Welcome.prev(), ScreenId::Welcome);
        assert_eq!(ScreenId::Welcome.next(), ScreenId::Database);
        assert_eq!(ScreenId::Summary.next(), ScreenId::Summary);
        assert_eq!(ScreenId::Summary.prev(), ScreenId::Clients);
        assert!(ScreenId::Welcome.is_first() && ScreenId::Summary.is_last());
    }

    #[test]
    fn round_trips_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("nested/state");
        let path = save(&state, &session(), at("2026-11-26T10:00:00Z")).unwrap();
        assert_eq!(path, mine(&state));
        assert_eq!(
            path.file_name().unwrap(),
            "wizard-session-postgres-db.internal-5432-openmetadata_db.json"
        );
        let saved = load(&state).unwrap().unwrap();
        assert_eq!(saved.session, session());
        assert_eq!(saved.saved_at, at("2026-11-26T10:00:00Z"));
        let names: Vec<_> = fs::read_dir(&state)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![path.file_name().unwrap().to_os_string()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_format_1_session_with_its_port_as_text_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = serde_json::to_value(SessionFile {
            format: FORMAT,
            saved_at: at("2026-11-26T10:00:00Z"),
            session: session(),
        })
        .unwrap();
        file["format"] = 1.into();
        file["connection"]["port"] = "5432".into();
        fs::write(mine(dir.path()), file.to_string()).unwrap();
        assert_eq!(load(dir.path()).unwrap().unwrap().session, session());

        file["connection"]["port"] = "54x".into();
        fs::write(mine(dir.path()), file.to_string()).unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(matches!(err, SessionError::Malformed { .. }), "{err}");
        assert!(
            err.to_string().contains("'54x' is not a port number"),
            "{err}"
        );
        assert!(err.to_string().contains("will be replaced"), "{err}");
    }

    fn kept_results(files: Vec<Fingerprint>) -> StepResults {
        StepResults {
            computed_at: at("2026-12-07T20:31:00Z"),
            key: ResultKey {
                connection: session().connection,
                target: Some("1.2.0".into()),
                inputs: vec!["openmetadata.yaml=".into()],
                files,
            },
            checks: vec![CheckResult {
                id: crate::checks::CheckId::new("db.connect"),
                title: "Connect".into(),
                step: Some(crate::checks::Step::Database),
                outcome: crate::checks::Outcome::pass("connected to PostgreSQL 15.4")
                    .detail("server", "PostgreSQL 15.4"),
                duration: std::time::Duration::from_millis(42),
            }],
            review: None,
            files_changed: false,
        }
    }

    #[test]
    fn results_come_back_with_their_time_key_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("openmetadata.yaml");
        fs::write(&config, "database: {}\n").unwrap();
        let mut kept = session();
        kept.results.database = Some(Box::new(kept_results(Vec::new())));
        kept.results.releases = Some(Box::new(kept_results(fingerprints(&config))));
        save(dir.path(), &kept, at("2026-12-07T20:32:00Z")).unwrap();
        let back = load(dir.path()).unwrap().unwrap().session;
        assert_eq!(back, kept);
        let releases = back.results.of(ScreenId::Releases).unwrap();
        assert!(!releases.files_changed);
        assert_eq!(releases.computed_at, at("2026-12-07T20:31:00Z"));

        // The file the results were computed from changed: read back, they say so.
        fs::write(&config, "database: {host: other}\n").unwrap();
        let back = load(dir.path()).unwrap().unwrap().session;
        assert!(back.results.of(ScreenId::Releases).unwrap().files_changed);
        assert!(!back.results.of(ScreenId::Database).unwrap().files_changed);
    }

    #[test]
    fn a_config_file_inside_the_workflows_folder_is_not_always_changed() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("openmetadata.yaml");
        fs::write(&config, "database: {}\n").unwrap();
        fs::write(dir.path().join("workflow.yaml"), "source: {}\n").unwrap();
        let mut files = fingerprints(&config);
        files.extend(fingerprints(dir.path()));
        assert!(!files_changed(&files));
        fs::write(dir.path().join("workflow.yaml"), "source: {type: mysql}\n").unwrap();
        assert!(files_changed(&files));
    }

    #[test]
    fn a_format_2_session_loads_with_no_results() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = serde_json::to_value(SessionFile {
            format: FORMAT,
            saved_at: at("2026-11-26T10:00:00Z"),
            session: session(),
        })
        .unwrap();
        file["format"] = 2.into();
        file.as_object_mut().unwrap().remove("results");
        fs::write(mine(dir.path()), file.to_string()).unwrap();
        let back = load(dir.path()).unwrap().unwrap().session;
        assert_eq!(back, session());
        assert_eq!(back.results, SavedResults::default());
    }

    #[test]
    fn a_newer_save_replaces_the_older() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &session(), at("2026-11-26T10:00:00Z")).unwrap();
        let mut later = session();
        later.screen = ScreenId::Welcome;
        save(dir.path(), &later, at("2026-11-26T11:00:00Z")).unwrap();
        assert_eq!(load(dir.path()).unwrap().unwrap().session, later);
    }

    #[test]
    fn no_file_is_no_session() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_device_given_as_the_session_is_refused_not_read_forever() {
        let err = load_file(Path::new("/dev/zero")).unwrap_err();
        assert!(
            err.to_string().contains("a device, not a regular file"),
            "{err}"
        );
    }

    #[test]
    fn garbage_and_other_formats_are_reported_not_guessed() {
        let dir = tempfile::tempdir().unwrap();
        let path = mine(dir.path());
        fs::write(&path, "{ not json").unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(matches!(err, SessionError::Malformed { .. }), "{err}");
        assert!(err.to_string().contains("will be replaced"), "{err}");

        fs::write(&path, r#"{"format": 99, "screen": "welcome"}"#).unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(
            matches!(err, SessionError::OtherFormat { found: 99, .. }),
            "{err}"
        );
    }

    #[test]
    fn an_unwritable_folder_is_an_error_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, "").unwrap();
        let err = save(&blocker.join("state"), &session(), Utc::now()).unwrap_err();
        assert!(err.to_string().contains("OM_UPGRADE_STATE_DIR"), "{err}");
    }

    fn settings(url: &str) -> DbSettings {
        crate::config::resolve(
            &crate::config::DbInputs {
                db_url: Some(url.into()),
                ..Default::default()
            },
            &crate::config::Env::default(),
        )
        .unwrap()
        .settings
    }

    #[test]
    fn each_database_has_its_own_session_and_fresh_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let here = settings("postgres://om@db.internal:5432/openmetadata_db");
        let other = settings("mysql://om@db.internal:3306/openmetadata_db");
        let mut acked = session();
        acked
            .acknowledged
            .insert("1.2/query-service-required".into());
        save(dir.path(), &acked, at("2026-11-26T10:00:00Z")).unwrap();
        assert_eq!(load_for(dir.path(), &here).unwrap().unwrap().session, acked);
        assert_eq!(
            load_for(dir.path(), &other).unwrap(),
            None,
            "never another's"
        );

        // The single file of earlier versions counts only for its own database.
        let legacy = SessionFile {
            format: FORMAT,
            saved_at: at("2026-11-26T09:00:00Z"),
            session: session(),
        };
        fs::write(path_in(dir.path()), serde_json::to_string(&legacy).unwrap()).unwrap();
        assert_eq!(load_for(dir.path(), &other).unwrap(), None);

        remove_for(dir.path(), &here).unwrap();
        assert_eq!(
            load_for(dir.path(), &here).unwrap(),
            None,
            "--fresh removed both"
        );
        assert!(!path_in(dir.path()).exists());
        remove_for(dir.path(), &here).unwrap();
    }
}
