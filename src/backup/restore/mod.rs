//! `restore`: loads a backup into a database. Every guard runs first, before anything is
//! created, dropped or written ([`accept`]); only what passed them — an [`Accepted`] restore —
//! can change a database ([`Accepted::run`]). The load is all or nothing: PostgreSQL loads in
//! one transaction that is committed only after the row counts match; MySQL, where DDL cannot
//! be rolled back, loads into a staging database that is switched in with one atomic
//! `RENAME TABLE` only after the row counts match (see `mysql`).

mod load;
mod mysql;
mod postgres;
mod stored;
mod version;

pub use stored::accept_remote;
pub use version::VersionMismatch;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::completeness::{self, NotProven, Proof};
use super::external;
use super::lexer::LexError;
use super::manifest::{self, FileFormat, Manifest, ManifestError};
use super::progress::{ProgressEvent, Reporter};
use super::remote::RemoteBackup;
use super::scan::{self, FileKind};
use crate::config::DbSettings;
use crate::db::inspect::{self, Detection};
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

/// What the target holds now; a missing database counts as empty.
pub async fn inspect_target(settings: &DbSettings) -> Result<TargetState, DbError> {
    let db = match Db::connect(settings).await {
        Ok(db) => db,
        Err(DbError::UnknownDatabase { .. }) => {
            return Ok(TargetState {
                exists: false,
                tables: Vec::new(),
                rows: 0,
                openmetadata_version: None,
            });
        }
        Err(e) => return Err(e),
    };
    let result = async {
        let tables = inspect::tables(&db).await?;
        let openmetadata_version = match inspect::detect_openmetadata(&db).await? {
            Detection::OpenMetadata(info) => info.schema_version.map(|v| v.to_string()),
            Detection::NotOpenMetadata { .. } => None,
        };
        Ok(TargetState {
            exists: true,
            rows: tables
                .iter()
                .filter_map(|t| t.rows.value())
                .map(|n| n.max(0) as u64)
                .sum(),
            tables: tables.into_iter().map(|t| t.name).collect(),
            openmetadata_version,
        })
    }
    .await;
    db.close().await;
    result
}

fn describe_target(settings: &DbSettings) -> String {
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
    request: RestoreRequest,
    manifest: Option<Manifest>,
    kind: FileKind,
    proof: Proof,
    target: TargetState,
    /// Tables of the target the restore replaces.
    replaces: Vec<String>,
    /// The backup is read from an off-host store, not from `request.file`.
    remote: Option<RemoteBackup>,
    /// What the operator should know before the load (the version guard's warnings).
    warnings: Vec<String>,
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

    /// The target already holds data that the restore will replace.
    pub fn overwrites(&self) -> bool {
        !self.replaces.is_empty() || (self.kind == FileKind::Statements && self.target.rows > 0)
    }

    fn what(&self) -> String {
        describe_target(&self.request.settings)
    }

    /// Loads the file. Nothing of the target changes unless the whole file loads and every
    /// table holds the rows the backup recorded.
    pub async fn run(
        self,
        events: Option<mpsc::UnboundedSender<ProgressEvent>>,
        cancel: CancellationToken,
    ) -> Result<Restored, RestoreError> {
        let started = Instant::now();
        // The operator may have looked at a prompt for a while: the target must still be
        // what was accepted.
        let now = inspect_target(&self.request.settings).await?;
        if now.exists != self.target.exists || now.tables != self.target.tables {
            return Err(RestoreError::TargetChanged { what: self.what() });
        }
        let reporter = Reporter::new(events);
        if let Some(m) = &self.manifest {
            reporter.send(ProgressEvent::Started {
                tables: m.tables.len(),
                rows_estimate: m.total_rows(),
                bytes_estimate: m.file.bytes,
            });
        }
        let done = match self.request.settings.engine.value {
            Engine::Postgres => postgres::run(&self, &reporter, &cancel).await?,
            Engine::Mysql => mysql::run(&self, &reporter, &cancel).await?,
        };
        Ok(Restored {
            database: self.request.settings.database.value.clone(),
            kind: self.kind,
            proof: self.proof,
            statements: done.statements,
            tables: done.tables,
            dropped: self.replaces.clone(),
            notes: self.warnings.iter().cloned().chain(done.notes).collect(),
            duration: started.elapsed(),
            start_server: if self.target.openmetadata_version.is_none() {
                self.manifest
                    .as_ref()
                    .and_then(|m| m.source.openmetadata_version.clone())
            } else {
                None
            },
        })
    }
}

/// What an engine's load reports back.
struct Done {
    statements: u64,
    tables: Vec<RestoredTable>,
    notes: Vec<String>,
}

/// Every guard of a restore, in one place and before anything is written: the file (manifest
/// and SHA-256, kind, completeness, engine, schema), then the target (empty, or replace asked;
/// the schema a data-only file needs; the server's packet size).
pub async fn accept(request: RestoreRequest) -> Result<Accepted, RestoreError> {
    let path = &request.file;
    let settings = &request.settings;
    let unreadable = |source| RestoreError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let manifest = match manifest::read(path) {
        Ok(m) => Some(m),
        Err(ManifestError::Missing { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(m) = &manifest {
        let (found, bytes) = super::output::sha256_file(path).map_err(unreadable)?;
        if found != m.file.sha256 || bytes != m.file.bytes {
            return Err(RestoreError::Damaged {
                path: path.to_path_buf(),
                expected: m.file.sha256.clone(),
                found,
            });
        }
    }
    let head = completeness::read_head(path).map_err(unreadable)?;
    let kind = match manifest.as_ref().map(|m| m.format) {
        Some(FileFormat::Sql) => FileKind::OmUpgradeSql,
        Some(FileFormat::OmCli) => FileKind::Statements,
        Some(FileFormat::Native) | None => completeness::kind_of(path, &head)?,
    };
    let head_text = String::from_utf8_lossy(&head);
    let target_engine = settings.engine.value;
    let file_engine = manifest
        .as_ref()
        .map(|m| m.source.engine)
        .or_else(|| scan::sniff_engine(&head_text));
    check_engine(file_engine, target_engine)?;
    let proof = completeness::prove(path, kind, manifest.is_some(), request.allow_incomplete)?;
    if matches!(kind, FileKind::MysqlDump | FileKind::PgDump) && names_a_database(&head_text) {
        return Err(RestoreError::NamesDatabase {
            target: settings.database.value.clone(),
        });
    }
    accept_target(request, manifest, kind, proof, None).await
}

/// The guards on the target, for a local or a stored backup: the schema, the same-version
/// guard, empty or replace asked, the schema a data-only file needs, the server's packet size.
async fn accept_target(
    request: RestoreRequest,
    manifest: Option<Manifest>,
    kind: FileKind,
    proof: Proof,
    remote: Option<RemoteBackup>,
) -> Result<Accepted, RestoreError> {
    let settings = &request.settings;
    let target_engine = settings.engine.value;
    if target_engine == Engine::Postgres
        && kind == FileKind::OmUpgradeSql
        && let Some(file_schema) = manifest.as_ref().and_then(|m| m.source.schema.clone())
        && file_schema != settings.schema.value
    {
        return Err(RestoreError::SchemaMismatch {
            file: file_schema,
            target: settings.schema.value.clone(),
        });
    }
    let target = inspect_target(settings)
        .await
        .map_err(|e| denied(settings, e))?;
    let what = describe_target(settings);
    let warnings = version::guard(
        manifest.as_ref(),
        target.openmetadata_version.as_deref(),
        request.replace_existing,
        &what,
    )
    .map_err(RestoreError::VersionMismatch)?;
    let not_empty = || RestoreError::NotEmpty {
        what: what.clone(),
        tables: target.tables.len(),
        om_version: target.openmetadata_version.clone(),
    };
    let replaces = match kind {
        FileKind::Statements => {
            if target.openmetadata_version.is_none() {
                return Err(RestoreError::NeedsSchema { what });
            }
            if target.rows > 0 && !request.replace_existing {
                return Err(not_empty());
            }
            Vec::new()
        }
        _ => {
            if !target.is_empty() && !request.replace_existing {
                return Err(not_empty());
            }
            target.tables.clone()
        }
    };
    if target_engine == Engine::Mysql
        && !matches!(kind, FileKind::MysqlDump)
        && let Some(needed) = manifest.as_ref().and_then(|m| m.largest_statement_bytes)
    {
        let server = Db::connect_server(settings).await?;
        let allowed = server
            .fetch_i64("SELECT CAST(@@max_allowed_packet AS SIGNED)", &[])
            .await;
        server.close().await;
        let allowed = allowed?.max(0) as u64;
        if needed + 1024 > allowed {
            return Err(RestoreError::PacketTooSmall { needed, allowed });
        }
    }
    Ok(Accepted {
        request,
        manifest,
        kind,
        proof,
        target,
        replaces,
        remote,
        warnings,
    })
}

/// Accepts and runs a restore (for callers that ask the operator nothing in between).
pub async fn restore(
    request: RestoreRequest,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<Restored, RestoreError> {
    accept(request).await?.run(events, cancel).await
}

/// A backup loads only into the engine it was taken from.
fn check_engine(file: Option<Engine>, target: Engine) -> Result<(), RestoreError> {
    match file {
        Some(file) if file != target => Err(RestoreError::EngineMismatch { file, target }),
        _ => Ok(()),
    }
}

/// A refusal by the server to let this user reach or create the target, said as such.
fn denied(settings: &DbSettings, error: DbError) -> RestoreError {
    match error {
        DbError::PermissionDenied { detail } => RestoreError::TargetDenied {
            user: settings.user.value.clone(),
            engine: settings.engine.value,
            what: describe_target(settings),
            detail,
        },
        e => RestoreError::Db(e),
    }
}

/// Creates the target database for the restore.
async fn create_target(settings: &DbSettings) -> Result<(), RestoreError> {
    crate::db::admin::create_database(settings)
        .await
        .map_err(|e| denied(settings, e))
}

/// A dump of `mysqldump --databases` or `pg_dump --create` switches databases itself.
fn names_a_database(head: &str) -> bool {
    head.lines().any(|line| {
        let line = line.trim_start();
        let upper = line.to_ascii_uppercase();
        upper.starts_with("USE ")
            || upper.starts_with("CREATE DATABASE")
            || line.starts_with("\\connect ")
            || line.starts_with("\\c ")
    })
}

/// Compares the rows counted in the loaded tables with what the backup holds (its manifest,
/// else what the loader sent), and the loader's total with the file's end marker. `Err` means
/// the load must not be kept.
fn judge(
    counted: Vec<(String, u64)>,
    manifest: Option<&Manifest>,
    loaded: &load::Loaded,
) -> Result<Vec<RestoredTable>, RestoreError> {
    if manifest.is_none()
        && let Some((marked_tables, marked)) = loaded.footer
        && (marked != loaded.total_rows() || marked_tables != loaded.tables.len() as u64)
    {
        return Err(RestoreError::FooterMismatch {
            marked_tables,
            marked,
            loaded_tables: loaded.tables.len() as u64,
            loaded: loaded.total_rows(),
        });
    }
    let expected_of = |name: &str| match manifest {
        Some(m) => m.tables.iter().find(|t| t.name == name).map(|t| t.rows),
        None => loaded.rows_of(name),
    };
    let mut tables: Vec<RestoredTable> = counted
        .into_iter()
        .map(|(name, rows)| RestoredTable {
            expected: expected_of(&name),
            name,
            rows,
        })
        .collect();
    let mut missing = Vec::new();
    if let Some(m) = manifest {
        for entry in &m.tables {
            if entry.rows > 0 && !tables.iter().any(|t| t.name == entry.name) {
                tables.push(RestoredTable {
                    name: entry.name.clone(),
                    rows: 0,
                    expected: Some(entry.rows),
                });
            }
        }
    } else {
        // Every table the file made or filled must be there after it: a statement of the file
        // may have dropped one (an altered file).
        for (name, rows) in &loaded.tables {
            if !tables.iter().any(|t| t.name == *name) {
                missing.push(format!("{name} missing, {rows} rows expected"));
            }
        }
    }
    let wrong: Vec<String> = tables
        .iter()
        .filter_map(|t| match t.expected {
            Some(e) if e != t.rows => Some(format!("{} {} rows, {e} expected", t.name, t.rows)),
            _ => None,
        })
        .chain(missing)
        .collect();
    if wrong.is_empty() {
        Ok(tables)
    } else {
        Err(RestoreError::CountMismatch {
            tables: wrong,
            against_manifest: manifest.is_some(),
        })
    }
}
