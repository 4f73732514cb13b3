//! What a restore is asked, what it answers and how it fails, and the accepted restore the
//! engines load: the types every file of `restore` shares (a leaf: it calls none of them).

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::version::VersionMismatch;
use crate::backup::completeness::{NotProven, Proof};
use crate::backup::external;
use crate::backup::lexer::LexError;
use crate::backup::manifest::{Manifest, ManifestError};
use crate::backup::remote::RemoteBackup;
use crate::backup::scan::FileKind;
use crate::config::DbSettings;
use crate::db::{Db, DbError, Engine};
use crate::humanize;

#[derive(Debug, Clone)]
pub struct RestoreRequest {
    pub file: PathBuf,
    pub settings: DbSettings,
    /// Replace what the target holds (the caller asked the operator).
    pub replace_existing: bool,
    /// Load a file that nothing proves complete (a foreign file without its end marker or
    /// manifest); the operator said so.
    pub allow_incomplete: bool,
}

impl RestoreRequest {
    pub fn new(file: PathBuf, settings: DbSettings) -> Self {
        RestoreRequest {
            file,
            settings,
            replace_existing: false,
            allow_incomplete: false,
        }
    }
}

/// What the target database holds before a restore.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetState {
    pub exists: bool,
    pub tables: Vec<String>,
    /// Rows in the tables, when counted (to tell an empty schema from a used one).
    pub rows: u64,
    pub openmetadata_version: Option<String>,
}

impl TargetState {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoredTable {
    pub name: String,
    /// Rows in the target after the restore.
    pub rows: u64,
    /// Rows the manifest (or the file) says the backup holds.
    pub expected: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    pub database: String,
    pub kind: FileKind,
    /// What proved the file whole.
    pub proof: Proof,
    pub statements: u64,
    pub tables: Vec<RestoredTable>,
    /// Tables replaced because the operator chose to replace the database's content.
    pub dropped: Vec<String>,
    /// How the load went where the operator may want to know (a staging database left over,
    /// a load in place).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// The OpenMetadata server version to start against the database, when the restore went
    /// into an empty database (the backup's version: a newer server must upgrade from it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_server: Option<String>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Restored {
    /// Tables whose row count differs from the backup's (none: a restore with a difference
    /// is not switched in).
    pub fn mismatches(&self) -> Vec<&RestoredTable> {
        self.tables
            .iter()
            .filter(|t| t.expected.is_some_and(|e| e != t.rows))
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    #[error("{} does not match its manifest (SHA-256 {found} instead of {expected}): the file changed or is damaged; refusing to restore it", path.display())]
    Damaged {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{0}")]
    NotProven(#[from] NotProven),
    #[error("the backup is of a {file} database; the target is {target}")]
    EngineMismatch { file: Engine, target: Engine },
    #[error(
        "the backup is of schema '{file}', the target schema is '{target}': restore into a schema of the same name (-s {file})"
    )]
    SchemaMismatch { file: String, target: String },
    #[error(
        "this dump names its database (USE, \\connect or CREATE DATABASE: mysqldump --databases, pg_dump --create): loading it would write into that database, not into '{target}'"
    )]
    NamesDatabase { target: String },
    #[error("{what} already holds {tables} tables{}; restore refuses to overwrite it without --force", om_version.as_ref().map(|v| format!(" (OpenMetadata {v})")).unwrap_or_default())]
    NotEmpty {
        what: String,
        tables: usize,
        om_version: Option<String>,
    },
    #[error(
        "this file holds data only (TRUNCATE/INSERT statements): {what} must already have the OpenMetadata tables of the same version"
    )]
    NeedsSchema { what: String },
    #[error(
        "{what} changed since the restore was checked (its tables are not the same); nothing was changed"
    )]
    TargetChanged { what: String },
    #[error(
        "{what}: other sessions hold locks on tables the restore replaces ({holders}); the restore did not wait for them, and the target was not changed"
    )]
    TargetLocked { what: String, holders: String },
    #[error("the file's largest statement is {}, above this server's max_allowed_packet of {}", humanize::bytes(*needed), humanize::bytes(*allowed))]
    PacketTooSmall { needed: u64, allowed: u64 },
    #[error("user '{user}' may not create or fill {what}: {detail}")]
    TargetDenied {
        user: String,
        engine: Engine,
        what: String,
        detail: String,
    },
    #[error(
        "user '{user}' may not create the staging database a MySQL restore over existing tables loads into first: {detail}"
    )]
    StagingDenied { user: String, detail: String },
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("line {line}{}: the server refused the statement: {error}\n  statement: {excerpt}", table.as_ref().map(|t| format!(", table {t}")).unwrap_or_default())]
    Statement {
        line: u64,
        table: Option<String>,
        error: DbError,
        excerpt: String,
    },
    #[error("{0}")]
    Parse(#[from] LexError),
    #[error("{0}")]
    External(#[from] external::ExternalError),
    #[error(
        "after loading, {} not hold the rows {}: {}; {UNTOUCHED}",
        humanize::plural(tables.len(), "table does", "tables do"),
        if *against_manifest { "its manifest records" } else { "the file holds" },
        tables.join("; ")
    )]
    CountMismatch {
        tables: Vec<String>,
        against_manifest: bool,
    },
    #[error(
        "the file's end marker counts {marked_tables} tables and {marked} rows, but the file holds {loaded_tables} tables and {loaded} rows: it was altered after the backup; {UNTOUCHED}"
    )]
    FooterMismatch {
        marked_tables: u64,
        marked: u64,
        loaded_tables: u64,
        loaded: u64,
    },
    #[error("{0}")]
    VersionMismatch(VersionMismatch),
    #[error(
        "{url} was written by pg_dump or mysqldump, which om-upgrade loads with psql or mysql from a local file: copy it to this host and restore the file"
    )]
    NotStreamable { url: String },
    #[error("the restore was cancelled; {}", if *untouched { UNTOUCHED } else { "the database holds a partial restore, marked unfinished (om-upgrade check fails it)" })]
    Cancelled { untouched: bool },
}

/// What every failed restore says about the target.
const UNTOUCHED: &str = "the target was not changed";

impl RestoreError {
    pub fn remediation(&self) -> Option<String> {
        match self {
            RestoreError::NotEmpty { .. } => Some(
                "Restore into an empty database (-d NEW_NAME, created for you), or add --force to \
                 replace what the target holds with the backup (you will be asked to confirm)."
                    .into(),
            ),
            RestoreError::TargetLocked { .. } => Some(
                "Stop the OpenMetadata server (and every client using the database), or end those \
                 sessions (SELECT pg_terminate_backend(PID)), then restore again."
                    .into(),
            ),
            RestoreError::PacketTooSmall { needed, .. } => Some(format!(
                "Raise it for the restore: SET GLOBAL max_allowed_packet = {};  (then reconnect)",
                (needed + (1 << 20)).next_power_of_two()
            )),
            RestoreError::Statement { .. } => Some(
                "Nothing of the restore was kept: the target is as it was. Fix the cause (the \
                 statement and the server's message are above) and restore again."
                    .into(),
            ),
            RestoreError::Db(e) => Some(e.remediation()),
            RestoreError::Damaged { path, .. } => Some(format!(
                "Run `om-upgrade verify {}` to see what is wrong, and restore another copy of the backup.",
                path.display()
            )),
            RestoreError::NotProven(e) => e.remediation(),
            RestoreError::NeedsSchema { .. } => Some(
                "Start the same OpenMetadata version once against the empty database so it creates \
                 its tables, stop it, then restore; or restore an om-upgrade SQL backup, which \
                 includes the schema."
                    .into(),
            ),
            RestoreError::StagingDenied { user, .. } => Some(format!(
                "Let '{user}' create and drop the staging databases (GRANT ALL ON `{}%`.* TO \
                 '{user}'@'<this host>'), restore as a user who may, or restore into an empty \
                 database.",
                crate::db::admin::WORK_PREFIX.replace('_', "\\_")
            )),
            RestoreError::TargetDenied { user, engine, .. } => Some(format!(
                "Restore as a user who may create and fill the target database, or let '{user}' \
                 do it ({}).",
                match engine {
                    Engine::Postgres => format!(
                        "ALTER ROLE \"{user}\" CREATEDB; or CREATE DATABASE … OWNER \"{user}\""
                    ),
                    Engine::Mysql => format!("GRANT ALL ON `DATABASE`.* TO '{user}'@'<this host>'"),
                }
            )),
            RestoreError::NamesDatabase { .. } => Some(
                "Dump the one database without --databases / --create (mysqldump DB > FILE, \
                 pg_dump -d DB -f FILE), or load this file with mysql/psql yourself."
                    .into(),
            ),
            RestoreError::CountMismatch { .. } | RestoreError::FooterMismatch { .. } => Some(
                "Do not rely on this backup: run `om-upgrade verify FILE` and restore another copy."
                    .into(),
            ),
            RestoreError::External(e) => Some(e.remediation()),
            RestoreError::VersionMismatch(m) => Some(format!(
                "Restore into an empty database (-d NEW_NAME, created for you) and start \
                 OpenMetadata {} against it, or pick the backup taken from {}; --force restores \
                 anyway (the server will then run on a database of another version).",
                m.backup, m.target
            )),
            _ => None,
        }
    }
}

pub(super) fn describe_target(settings: &DbSettings) -> String {
    match settings.engine.value {
        Engine::Mysql => format!("database '{}'", settings.database.value),
        Engine::Postgres => format!(
            "schema '{}' of database '{}'",
            settings.schema.value, settings.database.value
        ),
    }
}

/// A restore that passed every guard: the file is proven whole (or the operator allowed an
/// unproven one), it fits the target, and the target may be written (empty, or the operator
/// chose to replace it). Only [`accept`] makes one, and only it can change a database.
#[derive(Debug)]
pub struct Accepted {
    pub(super) request: RestoreRequest,
    pub(super) manifest: Option<Manifest>,
    pub(super) kind: FileKind,
    pub(super) proof: Proof,
    pub(super) target: TargetState,
    /// Tables of the target the restore replaces.
    pub(super) replaces: Vec<String>,
    /// The backup is read from an off-host store, not from `request.file`.
    pub(super) remote: Option<RemoteBackup>,
    /// What the operator should know before the load (the version guard's warnings).
    pub(super) warnings: Vec<String>,
    /// The connection to the target database the guards used, kept for the load (none when
    /// the database does not exist yet).
    pub(super) db: Option<Db>,
    /// PostgreSQL: connections that load the data together ([`Accepted::with_jobs`]).
    pub(super) jobs: usize,
    /// The file's size and SHA-256 are checked while it loads, before anything is committed
    /// (PostgreSQL's own loader), not read once more before the load.
    pub(super) hash_on_load: bool,
}

impl Accepted {
    /// The target as it was when the restore was accepted.
    pub fn target(&self) -> &TargetState {
        &self.target
    }

    pub fn proof(&self) -> Proof {
        self.proof
    }

    /// Warnings of the guards that did not refuse (a backup without manifest, whose
    /// OpenMetadata version is unknown; a version mismatch the operator forced).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The backup's manifest, when it has one.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// Loads a PostgreSQL backup of om-upgrade's SQL format on `jobs` connections (1: in one
    /// transaction; more: into a staging schema switched in by one transaction). MySQL and
    /// other files load as before.
    pub fn with_jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// The target already holds data that the restore will replace.
    pub fn overwrites(&self) -> bool {
        !self.replaces.is_empty() || (self.kind == FileKind::Statements && self.target.rows > 0)
    }

    pub(super) fn what(&self) -> String {
        describe_target(&self.request.settings)
    }
}

/// What an engine's load reports back.
pub(super) struct Done {
    pub statements: u64,
    pub tables: Vec<RestoredTable>,
    pub notes: Vec<String>,
}
