//! `restore`: loads a backup into a database on one connection, in large transactions (on
//! Postgres the whole restore is one transaction: it lands completely or not at all), stopping
//! at the first failing statement with its table, its line and the server's error.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::external;
use super::lexer::{self, Item, LexError, Lexer};
use super::manifest::{self, FileFormat, Manifest, ManifestError};
use super::progress::{ProgressEvent, Reporter};
use super::scan::{self, FileKind};
use crate::config::DbSettings;
use crate::db::admin;
use crate::db::inspect::{self, Detection, quote_ident};
use crate::db::{Db, DbError, Engine};
use crate::humanize;

#[derive(Debug, Clone)]
pub struct RestoreRequest {
    pub file: PathBuf,
    pub settings: DbSettings,
    /// Drop what the target holds first (the caller asked the operator).
    pub replace_existing: bool,
}

/// What the target database holds before a restore.
#[derive(Debug, Clone, Serialize)]
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
    pub statements: u64,
    pub tables: Vec<RestoredTable>,
    /// Tables dropped first because the operator chose to replace the database's content.
    pub dropped: Vec<String>,
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Restored {
    /// Tables whose row count differs from the backup's.
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
    #[error("the backup is of a {file} database; the target is {target}")]
    EngineMismatch { file: Engine, target: Engine },
    #[error(
        "the backup is of schema '{file}', the target schema is '{target}': restore into a schema of the same name (-s {file})"
    )]
    SchemaMismatch { file: String, target: String },
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
    #[error("the file's largest statement is {}, above this server's max_allowed_packet of {}", humanize::bytes(*needed), humanize::bytes(*allowed))]
    PacketTooSmall { needed: u64, allowed: u64 },
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
    #[error("the restore was cancelled{}", if *rolled_back { "; nothing was changed (the transaction was rolled back)" } else { "; the database holds a partial restore" })]
    Cancelled { rolled_back: bool },
}

impl RestoreError {
    pub fn remediation(&self) -> Option<String> {
        match self {
            RestoreError::NotEmpty { .. } => Some(
                "Restore into an empty database (-d NEW_NAME, created for you), or add --force to drop \
                 what the target holds and replace it with the backup (you will be asked to confirm)."
                    .into(),
            ),
            RestoreError::PacketTooSmall { needed, .. } => Some(format!(
                "Raise it for the restore: SET GLOBAL max_allowed_packet = {};  (then reconnect)",
                (needed + (1 << 20)).next_power_of_two()
            )),
            RestoreError::Statement { .. } => Some(
                "Nothing after this statement was restored. On Postgres the whole restore was rolled \
                 back; on MySQL the database holds what came before it: fix the cause, drop the \
                 database and restore again."
                    .into(),
            ),
            RestoreError::Db(e) => Some(e.remediation()),
            RestoreError::Damaged { path, .. } => Some(format!(
                "Run `om-upgrade verify {}` to see what is wrong, and restore another copy of the backup.",
                path.display()
            )),
            RestoreError::NeedsSchema { .. } => Some(
                "Start the same OpenMetadata version once against the empty database so it creates \
                 its tables, stop it, then restore; or restore an om-upgrade SQL backup, which \
                 includes the schema."
                    .into(),
            ),
            RestoreError::External(e) => Some(e.remediation()),
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
    let tables = inspect::tables(&db).await?;
    let openmetadata_version = match inspect::detect_openmetadata(&db).await? {
        Detection::OpenMetadata(info) => info.schema_version.map(|v| v.to_string()),
        Detection::NotOpenMetadata { .. } => None,
    };
    db.close().await;
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

fn describe_target(settings: &DbSettings) -> String {
    match settings.engine.value {
        Engine::Mysql => format!("database '{}'", settings.database.value),
        Engine::Postgres => format!(
            "schema '{}' of database '{}'",
            settings.schema.value, settings.database.value
        ),
    }
}

/// Reads the file's items on a thread (decompression and lexing off the runtime).
fn spawn_reader(
    path: &Path,
    engine: Engine,
) -> Result<mpsc::Receiver<Result<Item, LexError>>, RestoreError> {
    let reader = super::open_reader(path).map_err(|source| RestoreError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let (tx, rx) = mpsc::channel(32);
    std::thread::spawn(move || {
        let mut lexer = Lexer::new(reader, engine);
        loop {
            let item = lexer.next_item();
            let stop = !matches!(item, Ok(Some(_)));
            let sent = match item {
                Ok(Some(item)) => tx.blocking_send(Ok(item)),
                Ok(None) => break,
                Err(e) => tx.blocking_send(Err(e)),
            };
            if stop || sent.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

/// Restores `request.file` into the target database.
pub async fn restore(
    request: &RestoreRequest,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<Restored, RestoreError> {
    let started = Instant::now();
    let path = &request.file;
    let settings = &request.settings;
    let target_engine = settings.engine.value;
    let manifest = match manifest::read(path) {
        Ok(m) => Some(m),
        Err(ManifestError::Missing { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(m) = &manifest {
        let (found, _) =
            super::output::sha256_file(path).map_err(|source| RestoreError::Unreadable {
                path: path.to_path_buf(),
                source,
            })?;
        if found != m.file.sha256 {
            return Err(RestoreError::Damaged {
                path: path.to_path_buf(),
                expected: m.file.sha256.clone(),
                found,
            });
        }
    }
    let head = read_head(path)?;
    let file_engine = manifest
        .as_ref()
        .map(|m| m.source.engine)
        .or_else(|| scan::sniff_engine(&head));
    if let Some(file) = file_engine
        && file != target_engine
    {
        return Err(RestoreError::EngineMismatch {
            file,
            target: target_engine,
        });
    }
    let kind = kind_of(manifest.as_ref(), &head);
    if target_engine == Engine::Postgres
        && let Some(file_schema) = manifest.as_ref().and_then(|m| m.source.schema.clone())
        && file_schema != settings.schema.value
        && kind == FileKind::OmUpgradeSql
    {
        return Err(RestoreError::SchemaMismatch {
            file: file_schema,
            target: settings.schema.value.clone(),
        });
    }
    let state = inspect_target(settings).await?;
    let what = describe_target(settings);
    match kind {
        FileKind::Statements => {
            if state.openmetadata_version.is_none() {
                return Err(RestoreError::NeedsSchema { what });
            }
            if state.rows > 0 && !request.replace_existing {
                return Err(RestoreError::NotEmpty {
                    what,
                    tables: state.tables.len(),
                    om_version: state.openmetadata_version,
                });
            }
        }
        _ => {
            if !state.is_empty() && !request.replace_existing {
                return Err(RestoreError::NotEmpty {
                    what,
                    tables: state.tables.len(),
                    om_version: state.openmetadata_version,
                });
            }
        }
    }
    if !state.exists {
        admin::create_database(settings).await?;
    }
    let reporter = Reporter::new(events);
    if let Some(m) = &manifest {
        reporter.send(ProgressEvent::Started {
            tables: m.tables.len(),
            rows_estimate: m.total_rows(),
            bytes_estimate: m.file.bytes,
        });
    }
    let replace: Vec<String> = if kind == FileKind::Statements {
        Vec::new()
    } else {
        state.tables.clone()
    };
    let (statements, dropped, db) = match kind {
        FileKind::PgDump | FileKind::MysqlDump => {
            if !replace.is_empty() {
                let db = Db::connect(settings).await?;
                let result = admin::drop_tables(&db, &replace).await;
                db.close().await;
                result?;
            }
            external::load_native(path, settings, &cancel).await?;
            (0, replace, Db::connect(settings).await?)
        }
        _ => {
            let db = Db::connect(settings).await?;
            let result = match target_engine {
                Engine::Postgres => run_postgres(&db, path, &replace, &reporter, &cancel).await,
                Engine::Mysql => {
                    run_mysql(&db, path, manifest.as_ref(), &replace, &reporter, &cancel).await
                }
            };
            match result {
                Ok(statements) => (statements, replace, db),
                Err(e) => {
                    db.close().await;
                    return Err(e);
                }
            }
        }
    };
    let tables = count_restored(&db, manifest.as_ref()).await;
    db.close().await;
    let tables = tables?;
    Ok(Restored {
        database: settings.database.value.clone(),
        kind,
        statements,
        tables,
        dropped,
        duration: started.elapsed(),
    })
}

fn read_head(path: &Path) -> Result<String, RestoreError> {
    use std::io::Read;
    let mut reader = super::open_reader(path).map_err(|source| RestoreError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let mut buffer = vec![0u8; 4096];
    let n = reader
        .read(&mut buffer)
        .map_err(|source| RestoreError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(String::from_utf8_lossy(&buffer[..n]).into_owned())
}

fn kind_of(manifest: Option<&Manifest>, head: &str) -> FileKind {
    match manifest.map(|m| m.format) {
        Some(FileFormat::Sql) => FileKind::OmUpgradeSql,
        Some(FileFormat::OmCli) => FileKind::Statements,
        _ if head.contains("PostgreSQL database dump") => FileKind::PgDump,
        _ if head.contains("MySQL dump") || head.contains("MariaDB dump") => FileKind::MysqlDump,
        _ if head.contains(super::dump::HEADER_MARK) => FileKind::OmUpgradeSql,
        _ => FileKind::Statements,
    }
}

fn statement_error(db: &Db, line: u64, sql: &str, error: sqlx::Error) -> RestoreError {
    let excerpt: String = sql.chars().take(160).collect();
    RestoreError::Statement {
        line,
        table: lexer::statement_table(sql),
        error: db.error(error),
        excerpt: if sql.len() > excerpt.len() {
            format!("{excerpt}…")
        } else {
            excerpt
        },
    }
}

/// Per-table progress of a restore whose file may hold a table's data in several blocks.
#[derive(Default)]
struct TableProgress {
    /// Tables in the order first seen, with their rows so far.
    seen: Vec<(String, u64)>,
    current: Option<usize>,
}

impl TableProgress {
    fn switch_to(&mut self, table: &str, reporter: &Reporter) {
        if self.current.is_some_and(|i| self.seen[i].0 == table) {
            return;
        }
        self.finish(reporter);
        let index = match self.seen.iter().position(|(t, _)| t == table) {
            Some(i) => i,
            None => {
                self.seen.push((table.to_string(), 0));
                self.seen.len() - 1
            }
        };
        reporter.table_started(index, table, 0);
        self.current = Some(index);
    }

    fn add(&mut self, rows: u64, bytes: u64, reporter: &Reporter) {
        let table_rows = match self.current {
            Some(i) => {
                self.seen[i].1 += rows;
                self.seen[i].1
            }
            None => 0,
        };
        reporter.add(table_rows, rows, bytes);
    }

    fn finish(&mut self, reporter: &Reporter) {
        if let Some(i) = self.current.take() {
            reporter.table_done(i, &self.seen[i].0, self.seen[i].1);
        }
    }
}

fn is_copy_from_stdin(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    upper.starts_with("COPY ") && upper.trim_end().ends_with("FROM STDIN")
}

/// Postgres: everything in one transaction, COPY blocks streamed with `copy_in_raw`.
async fn run_postgres(
    db: &Db,
    path: &Path,
    replace: &[String],
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<u64, RestoreError> {
    let pool = db
        .pg_pool()
        .ok_or_else(|| DbError::Other("not a Postgres connection".into()))?;
    // A connection of its own, outside the pool: when the work is cancelled mid-result it is
    // simply closed, instead of being drained and handed back to the pool.
    let mut conn = pool.acquire().await.map_err(|e| db.error(e))?.detach();
    let mut items = spawn_reader(path, Engine::Postgres)?;
    sqlx::raw_sql("BEGIN")
        .execute(&mut conn)
        .await
        .map_err(|e| db.error(e))?;
    let result = async {
        if !replace.is_empty() {
            // Inside the restore's transaction: a failed restore leaves the old tables.
            let sql = admin::drop_tables_sql(Engine::Postgres, replace);
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut conn)
                .await
                .map_err(|e| statement_error(db, 0, &sql, e))?;
        }
        let mut statements = 0u64;
        let mut tables = TableProgress::default();
        while let Some(item) = items.recv().await {
            if cancel.is_cancelled() {
                return Err(RestoreError::Cancelled { rolled_back: true });
            }
            let Item::Statement { sql, line } = item? else {
                continue;
            };
            statements += 1;
            if is_copy_from_stdin(&sql) {
                let table = lexer::statement_table(&sql).unwrap_or_default();
                tables.switch_to(&table, reporter);
                let mut copy = conn
                    .copy_in_raw(&sql)
                    .await
                    .map_err(|e| statement_error(db, line, &sql, e))?;
                loop {
                    match items.recv().await {
                        Some(Ok(Item::CopyData { data, rows })) => {
                            let len = data.len() as u64;
                            copy.send(data)
                                .await
                                .map_err(|e| statement_error(db, line, &sql, e))?;
                            tables.add(rows, len, reporter);
                            if cancel.is_cancelled() {
                                let _ = copy.abort("cancelled").await;
                                return Err(RestoreError::Cancelled { rolled_back: true });
                            }
                        }
                        Some(Ok(Item::CopyEnd { .. })) => break,
                        Some(Err(e)) => {
                            let _ = copy.abort("the backup file is damaged").await;
                            return Err(e.into());
                        }
                        Some(Ok(_)) | None => {
                            let _ = copy.abort("the backup file is damaged").await;
                            return Err(LexError::UnterminatedCopy { line }.into());
                        }
                    }
                }
                copy.finish()
                    .await
                    .map_err(|e| statement_error(db, line, &sql, e))?;
            } else {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| statement_error(db, line, &sql, e))?;
                tables.add(0, sql.len() as u64, reporter);
            }
        }
        tables.finish(reporter);
        Ok(statements)
    }
    .await;
    match result {
        Ok(statements) => {
            sqlx::raw_sql("COMMIT")
                .execute(&mut conn)
                .await
                .map_err(|e| db.error(e))?;
            Ok(statements)
        }
        Err(e) => {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
            Err(e)
        }
    }
}

/// Commit MySQL data in transactions of about this many statement bytes.
const MYSQL_COMMIT_BYTES: usize = 64 << 20;

async fn run_mysql(
    db: &Db,
    path: &Path,
    manifest: Option<&Manifest>,
    replace: &[String],
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<u64, RestoreError> {
    let pool = db
        .mysql_pool()
        .ok_or_else(|| DbError::Other("not a MySQL connection".into()))?;
    // A connection of its own, outside the pool: when the work is cancelled mid-result it is
    // simply closed, instead of being drained and handed back to the pool.
    let mut conn = pool.acquire().await.map_err(|e| db.error(e))?.detach();
    if let Some(needed) = manifest.and_then(|m| m.largest_statement_bytes) {
        let allowed = sqlx::query_scalar::<_, i64>("SELECT CAST(@@max_allowed_packet AS SIGNED)")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| db.error(e))? as u64;
        if needed + 1024 > allowed {
            return Err(RestoreError::PacketTooSmall { needed, allowed });
        }
    }
    if !replace.is_empty() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(admin::drop_tables_sql(
            Engine::Mysql,
            replace,
        )))
        .execute(&mut conn)
        .await
        .map_err(|e| db.error(e))?;
    }
    sqlx::raw_sql("SET autocommit = 0")
        .execute(&mut conn)
        .await
        .map_err(|e| db.error(e))?;
    let mut items = spawn_reader(path, Engine::Mysql)?;
    let mut statements = 0u64;
    let mut pending = 0usize;
    let mut tables = TableProgress::default();
    while let Some(item) = items.recv().await {
        if cancel.is_cancelled() {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
            return Err(RestoreError::Cancelled { rolled_back: false });
        }
        let Item::Statement { sql, line } = item? else {
            continue;
        };
        statements += 1;
        if let Some(table) = lexer::statement_table(&sql) {
            tables.switch_to(&table, reporter);
        }
        let result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut conn)
            .await
            .map_err(|e| statement_error(db, line, &sql, e))?;
        let is_insert = sql
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("INSERT"));
        tables.add(
            if is_insert { result.rows_affected() } else { 0 },
            sql.len() as u64,
            reporter,
        );
        pending += sql.len();
        if pending >= MYSQL_COMMIT_BYTES {
            sqlx::raw_sql("COMMIT")
                .execute(&mut conn)
                .await
                .map_err(|e| db.error(e))?;
            pending = 0;
        }
    }
    tables.finish(reporter);
    sqlx::raw_sql("COMMIT; SET autocommit = 1; SET FOREIGN_KEY_CHECKS = 1")
        .execute(&mut conn)
        .await
        .map_err(|e| db.error(e))?;
    let _ = sqlx::Connection::close(conn).await;
    Ok(statements)
}

/// Counts rows per table in the restored database, next to what the backup held.
async fn count_restored(
    db: &Db,
    manifest: Option<&Manifest>,
) -> Result<Vec<RestoredTable>, DbError> {
    let mut restored = Vec::new();
    for table in inspect::tables(db).await? {
        let rows = db
            .fetch_i64(
                &format!(
                    "SELECT COUNT(*) FROM {}",
                    quote_ident(db.engine(), &table.name)
                ),
                &[],
            )
            .await? as u64;
        let expected = manifest
            .and_then(|m| m.tables.iter().find(|t| t.name == table.name))
            .map(|t| t.rows);
        restored.push(RestoredTable {
            name: table.name,
            rows,
            expected,
        });
    }
    Ok(restored)
}
