//! The built-in dump: one read-only REPEATABLE READ snapshot for the whole database, every row
//! streamed once from the server to the output (never a table in memory), per-table row counts
//! and content checksums computed on the way.
//!
//! Postgres data travels as `COPY … TO STDOUT` text, written as `COPY … FROM stdin` blocks that
//! psql and `om-upgrade restore` load in one round trip per table. MySQL rows arrive over the
//! text protocol and are written as multi-row INSERTs of bounded size with escaped literals.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, Row};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::checksum::TableChecksum;
use super::manifest::{FileFormat, TableEntry};
use super::progress::{ProgressEvent, Reporter};
use super::schema::{self, SchemaDump, TableSchema, ValueKind};
use super::sql::{self, column_list, quote_ident};
use crate::db::{Db, DbError, Engine};

/// The first line of every om-upgrade SQL backup.
pub const HEADER_MARK: &str = "om-upgrade backup";
/// The comment that ends a complete om-upgrade SQL backup.
pub const FOOTER_MARK: &str = "om-upgrade backup complete";
/// File layout version, in the header.
pub const SQL_FORMAT: &str = "om-upgrade-sql/1";

/// The first line of a MySQL om-cli file.
pub const MYSQL_OM_CLI_MODE: &str = "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';";

/// Tables the official CLI leaves out (the restored database keeps its own bookkeeping).
pub const OM_CLI_SKIPPED: [&str; 3] = [
    "database_change_log",
    "server_change_log",
    "server_migration_sql_logs",
];

/// Bytes per block handed to the writer, and the most a MySQL INSERT gathers before a new one.
const BLOCK_BYTES: usize = 1 << 20;
const STATEMENT_BYTES: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("reading table {table}: {error}")]
    Table { table: String, error: DbError },
    #[error("the output stopped accepting data (see the writer's error)")]
    OutputClosed,
    #[error("cancelled")]
    Cancelled,
}

/// Facts written into the file header.
#[derive(Debug, Clone)]
pub struct Header {
    pub product: String,
    pub server_version: String,
    pub database: String,
    pub schema: Option<String>,
    pub openmetadata_version: Option<String>,
    pub started_at: DateTime<Utc>,
}

/// What a dump produced.
#[derive(Debug, Clone)]
pub struct Dumped {
    pub tables: Vec<TableEntry>,
    pub largest_statement: u64,
    pub skipped_views: Vec<String>,
}

/// Where dumped bytes go: the writer's channel, or nowhere (to compute checksums only).
pub struct Out {
    tx: Option<mpsc::Sender<Vec<u8>>>,
    block: Vec<u8>,
}

impl Out {
    pub fn new(tx: Option<mpsc::Sender<Vec<u8>>>) -> Self {
        Out {
            tx,
            block: Vec::with_capacity(BLOCK_BYTES + STATEMENT_BYTES),
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.tx.is_some() {
            self.block.extend_from_slice(bytes);
        }
    }

    fn push_str(&mut self, text: &str) {
        self.push(text.as_bytes());
    }

    async fn maybe_flush(&mut self) -> Result<(), DumpError> {
        if self.block.len() >= BLOCK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// Another writer into the same output, with its own block (for a parallel reader).
    fn fork(&self) -> Out {
        Out::new(self.tx.clone())
    }

    pub async fn flush(&mut self) -> Result<(), DumpError> {
        if let Some(tx) = &self.tx
            && !self.block.is_empty()
        {
            let block = std::mem::replace(
                &mut self.block,
                Vec::with_capacity(BLOCK_BYTES + STATEMENT_BYTES),
            );
            tx.send(block).await.map_err(|_| DumpError::OutputClosed)?;
        }
        Ok(())
    }
}

/// Dumps the database `db` points at.
pub async fn dump(
    db: &Db,
    plan: &DumpPlan<'_>,
    out: &mut Out,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Dumped, DumpError> {
    match db.engine() {
        Engine::Mysql => dump_mysql(db, plan.format, plan.header, out, reporter, cancel).await,
        Engine::Postgres => dump_postgres(db, plan, out, reporter, cancel).await,
    }
}

/// What to write and how to read it.
#[derive(Debug, Clone)]
pub struct DumpPlan<'a> {
    pub format: FileFormat,
    pub header: &'a Header,
    pub tuning: Tuning,
}

fn header_text(engine: Engine, header: &Header, format: FileFormat) -> String {
    if format == FileFormat::OmCli {
        // `metadata restore` executes every line: no comments. On MySQL one statement so that a
        // 0 in an AUTO_INCREMENT column is kept, not renumbered, by a restore that runs the
        // lines on one connection (om-upgrade restore, mysql); `metadata restore` opens a new
        // connection per line and runs it harmlessly.
        return match engine {
            Engine::Mysql => format!("{MYSQL_OM_CLI_MODE}\n"),
            Engine::Postgres => String::new(),
        };
    }
    let mut text = format!(
        "-- {HEADER_MARK}: OpenMetadata metadata database\n\
         -- format: {SQL_FORMAT}\n\
         -- tool: om-upgrade {}\n\
         -- engine: {engine} ({} {})\n\
         -- database: {}{}\n\
         -- openmetadata: {}\n\
         -- started: {}\n",
        env!("CARGO_PKG_VERSION"),
        header.product,
        header.server_version,
        header.database,
        header
            .schema
            .as_ref()
            .map(|s| format!(" (schema {s})"))
            .unwrap_or_default(),
        header.openmetadata_version.as_deref().unwrap_or("unknown"),
        header
            .started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    match engine {
        Engine::Mysql => text.push_str(
            "-- Restore: om-upgrade restore FILE, or: mysql --default-character-set=utf8mb4 DATABASE < FILE\n\n\
             SET NAMES utf8mb4;\n\
             SET time_zone = '+00:00';\n\
             SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';\n\
             SET FOREIGN_KEY_CHECKS = 0;\n\
             SET UNIQUE_CHECKS = 0;\n\n",
        ),
        Engine::Postgres => {
            let schema = header.schema.as_deref().unwrap_or("public");
            text.push_str(&format!(
                "-- Restore: om-upgrade restore FILE, or: psql -v ON_ERROR_STOP=1 --single-transaction -d DATABASE -f FILE\n\n\
                 SET client_encoding = 'UTF8';\n\
                 SET standard_conforming_strings = on;\n\
                 SET check_function_bodies = false;\n\
                 SET DateStyle = ISO;\n\
                 SET IntervalStyle = postgres;\n\
                 CREATE SCHEMA IF NOT EXISTS {0};\n\
                 SET search_path = {0}, pg_catalog;\n\n",
                quote_ident(Engine::Postgres, schema)
            ));
        }
    }
    text
}

fn footer_text(engine: Engine, tables: &[TableEntry]) -> String {
    let rows: u64 = tables.iter().map(|t| t.rows).sum();
    let reset = match engine {
        Engine::Mysql => "SET FOREIGN_KEY_CHECKS = 1;\nSET UNIQUE_CHECKS = 1;\n",
        Engine::Postgres => "",
    };
    format!(
        "{reset}-- {FOOTER_MARK}: {} tables, {rows} rows\n",
        tables.len()
    )
}

fn is_skipped(format: FileFormat, table: &str) -> bool {
    format == FileFormat::OmCli && OM_CLI_SKIPPED.contains(&table.to_ascii_lowercase().as_str())
}

fn announce(schema: &SchemaDump, format: FileFormat, reporter: &Reporter) {
    let tables: Vec<&TableSchema> = schema
        .tables
        .iter()
        .filter(|t| !is_skipped(format, &t.name))
        .collect();
    reporter.send(ProgressEvent::Started {
        tables: tables.len(),
        rows_estimate: tables.iter().map(|t| t.rows_estimate).sum(),
        bytes_estimate: tables.iter().map(|t| t.bytes_estimate).sum(),
    });
}

/// The outline both engines share: announce what will be read, then the file's header.
fn begin_file(
    engine: Engine,
    schema: &SchemaDump,
    format: FileFormat,
    header: &Header,
    out: &mut Out,
    reporter: &Reporter,
) {
    announce(schema, format, reporter);
    out.push_str(&header_text(engine, header, format));
}

/// What comes before a table's rows: its `CREATE TABLE` in a SQL file, a `TRUNCATE` in an
/// om-cli one (the official restore loads into tables the server made).
fn table_preamble(engine: Engine, format: FileFormat, table: &TableSchema) -> String {
    match format {
        FileFormat::OmCli => format!("TRUNCATE TABLE {};\n", quote_ident(engine, &table.name)),
        _ => format!("--\n-- table: {}\n--\n{};\n\n", table.name, table.create),
    }
}

/// How each dumped (not generated) column's values are written.
fn value_kinds(table: &TableSchema) -> Vec<ValueKind> {
    table
        .columns
        .iter()
        .filter(|c| !c.generated)
        .map(|c| c.kind)
        .collect()
}

async fn dump_mysql(
    db: &Db,
    format: FileFormat,
    header: &Header,
    out: &mut Out,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Dumped, DumpError> {
    let mut conn = mysql_snapshot(db).await?;
    let schema = schema::mysql(&mut conn).await.map_err(|e| db.error(e))?;
    begin_file(Engine::Mysql, &schema, format, header, out, reporter);
    let mut tables = Vec::new();
    let mut largest = 0u64;
    let mut index = 0;
    for table in &schema.tables {
        if is_skipped(format, &table.name) {
            continue;
        }
        if cancel.is_cancelled() {
            return Err(DumpError::Cancelled);
        }
        reporter.table_started(index, &table.name, table.rows_estimate);
        out.push_str(&table_preamble(Engine::Mysql, format, table));
        let read = MysqlTable {
            db,
            table,
            format,
            reporter,
            cancel,
        };
        let (checksum, table_largest) = read.rows(&mut conn, out).await?;
        largest = largest.max(table_largest);
        reporter.table_done(index, &table.name, checksum.rows);
        tables.push(TableEntry {
            name: table.name.clone(),
            rows: checksum.rows,
            checksum: Some(checksum.digest()),
        });
        index += 1;
        out.maybe_flush().await?;
    }
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    if format != FileFormat::OmCli {
        out.push_str(&footer_text(Engine::Mysql, &tables));
    }
    out.flush().await?;
    Ok(Dumped {
        tables,
        largest_statement: largest,
        skipped_views: schema.skipped_views,
    })
}

/// A connection of its own in a read-only REPEATABLE READ snapshot, outside the pool: when the
/// work is cancelled mid-result it is simply closed, instead of being drained and handed back
/// to the pool.
async fn mysql_snapshot(db: &Db) -> Result<sqlx::MySqlConnection, DumpError> {
    let pool = db
        .mysql_pool()
        .ok_or_else(|| DbError::Other("not a MySQL connection".into()))?;
    let mut conn = pool.acquire().await.map_err(|e| db.error(e))?.detach();
    for statement in [
        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
    ] {
        sqlx::raw_sql(statement)
            .execute(&mut conn)
            .await
            .map_err(|e| db.error(e))?;
    }
    Ok(conn)
}

/// One MySQL table's rows, streamed into multi-row INSERTs of bounded size (one INSERT per
/// row for om-cli).
struct MysqlTable<'a> {
    db: &'a Db,
    table: &'a TableSchema,
    format: FileFormat,
    reporter: &'a Reporter,
    cancel: &'a CancellationToken,
}

impl MysqlTable<'_> {
    /// Writes the rows; returns their checksum and the longest statement written.
    async fn rows(
        &self,
        conn: &mut sqlx::MySqlConnection,
        out: &mut Out,
    ) -> Result<(TableChecksum, u64), DumpError> {
        let (table, format, reporter) = (self.table, self.format, self.reporter);
        let columns = table.dumped_columns();
        let kinds = value_kinds(table);
        let name = quote_ident(Engine::Mysql, &table.name);
        let insert_head = format!(
            "INSERT INTO {name} ({}) VALUES ",
            column_list(Engine::Mysql, &columns)
        );
        let select = format!(
            "SELECT {} FROM {name}",
            column_list(Engine::Mysql, &columns)
        );
        let mut rows = sqlx::raw_sql(AssertSqlSafe(select)).fetch(conn);
        let mut checksum = TableChecksum::default();
        let mut tuple = Vec::with_capacity(4096);
        let mut statement_len = 0usize;
        let mut largest = 0u64;
        let mut unreported = (0u64, 0usize);
        let table_error = |e| DumpError::Table {
            table: table.name.clone(),
            error: self.db.error(e),
        };
        while let Some(row) = rows.try_next().await.map_err(table_error)? {
            mysql_tuple(&mut tuple, &row, &kinds).map_err(table_error)?;
            checksum.add_row(&tuple);
            let before = out.block.len();
            if format == FileFormat::OmCli {
                out.push(insert_head.as_bytes());
                out.push(&tuple);
                out.push(b";\n");
                largest = largest.max((insert_head.len() + tuple.len() + 1) as u64);
            } else {
                if statement_len == 0 {
                    out.push(insert_head.as_bytes());
                    statement_len = insert_head.len();
                } else {
                    out.push(b",");
                    statement_len += 1;
                }
                out.push(&tuple);
                statement_len += tuple.len();
                if statement_len >= STATEMENT_BYTES {
                    out.push(b";\n");
                    largest = largest.max(statement_len as u64);
                    statement_len = 0;
                }
            }
            unreported.0 += 1;
            unreported.1 += out.block.len().saturating_sub(before);
            if out.block.len() >= BLOCK_BYTES {
                reporter.add(checksum.rows, unreported.0, unreported.1 as u64);
                unreported = (0, 0);
                if self.cancel.is_cancelled() {
                    return Err(DumpError::Cancelled);
                }
                out.maybe_flush().await?;
            }
        }
        drop(rows);
        if statement_len > 0 {
            out.push(b";\n");
            largest = largest.max(statement_len as u64);
        }
        if format != FileFormat::OmCli {
            out.push(b"\n");
        }
        reporter.add(checksum.rows, unreported.0, unreported.1 as u64);
        Ok((checksum, largest))
    }
}

/// `(v1,v2,…)`: one MySQL row as a tuple of SQL literals, into `tuple` (cleared first).
fn mysql_tuple(
    tuple: &mut Vec<u8>,
    row: &sqlx::mysql::MySqlRow,
    kinds: &[ValueKind],
) -> Result<(), sqlx::Error> {
    tuple.clear();
    tuple.push(b'(');
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            tuple.push(b',');
        }
        match row.try_get_unchecked::<Option<&[u8]>, _>(i)? {
            None => tuple.extend_from_slice(b"NULL"),
            Some(value) => match kind {
                ValueKind::Number => sql::mysql_number(tuple, value),
                ValueKind::Text => sql::mysql_string(tuple, value),
                ValueKind::Binary => sql::mysql_hex(tuple, value),
            },
        }
    }
    tuple.push(b')');
    Ok(())
}

/// How a dump spreads its reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Postgres connections reading one exported snapshot together. MySQL cannot share a
    /// snapshot between connections without locking the server, so it always reads with one.
    pub readers: usize,
    /// Postgres tables with more heap pages than this are read as ranges of this many pages,
    /// so that one large table (in OpenMetadata usually profiler_data_time_series or
    /// entity_extension) does not leave all readers but one idle.
    pub range_pages: u64,
}

impl Default for Tuning {
    /// Two readers overlap the server's work with ours (measured about 1.3x on two cores);
    /// ranges of 4096 pages are 32 MiB of heap.
    fn default() -> Self {
        Tuning {
            readers: 2,
            range_pages: 4096,
        }
    }
}

/// A table, or a range of its heap pages, for a reader to stream.
struct PgJob {
    index: usize,
    name: String,
    quoted: String,
    columns: String,
    kinds: Arc<Vec<ValueKind>>,
    rows_estimate: u64,
    /// Pages `[start, end)`; `None` for the whole table, an open end for the last range.
    pages: Option<(u64, Option<u64>)>,
    /// Bytes this job is expected to read (for ordering).
    weight: u64,
    /// An INSERT must override a `GENERATED ALWAYS AS IDENTITY` column.
    overriding: bool,
}

impl PgJob {
    /// `INSERT INTO t (cols) VALUES ` for om-cli lines, overriding an identity column's values.
    fn insert_head(&self) -> String {
        format!(
            "INSERT INTO {} ({}) {}VALUES ",
            self.quoted,
            self.columns,
            if self.overriding {
                "OVERRIDING SYSTEM VALUE "
            } else {
                ""
            }
        )
    }

    fn copy_out(&self) -> String {
        match self.pages {
            None => format!("COPY {} ({}) TO STDOUT", self.quoted, self.columns),
            Some((start, end)) => {
                let upper = end
                    .map(|e| format!(" AND ctid < '({e},0)'::tid"))
                    .unwrap_or_default();
                format!(
                    "COPY (SELECT {} FROM {} WHERE ctid >= '({start},0)'::tid{upper}) TO STDOUT",
                    self.columns, self.quoted
                )
            }
        }
    }
}

/// The jobs for one table: the whole table, or ranges of `range_pages` heap pages.
fn pg_jobs(index: usize, table: &TableSchema, range_pages: u64) -> Vec<PgJob> {
    let kinds = Arc::new(value_kinds(table));
    let job = |pages: Option<(u64, Option<u64>)>, weight: u64| PgJob {
        index,
        name: table.name.clone(),
        quoted: quote_ident(Engine::Postgres, &table.name),
        columns: column_list(Engine::Postgres, &table.dumped_columns()),
        kinds: Arc::clone(&kinds),
        rows_estimate: table.rows_estimate,
        pages,
        weight,
        overriding: table.has_always_identity(),
    };
    let range_pages = range_pages.max(1);
    if table.pages <= range_pages {
        return vec![job(None, table.bytes_estimate)];
    }
    let ranges = table.pages.div_ceil(range_pages);
    let weight = table.bytes_estimate / ranges;
    (0..ranges)
        .map(|r| {
            let start = r * range_pages;
            // The last range is open: rows on pages added since the sizes were read are
            // invisible to the snapshot anyway, but never lost.
            let end = (r + 1 < ranges).then_some(start + range_pages);
            job(Some((start, end)), weight)
        })
        .collect()
}

/// What the Postgres readers share.
#[derive(Clone)]
struct PgWork {
    db: Db,
    queue: Arc<Mutex<VecDeque<PgJob>>>,
    /// Per table: jobs not finished yet, rows read so far.
    remaining: Arc<Mutex<HashMap<usize, (usize, u64)>>>,
    format: FileFormat,
    reporter: Reporter,
    cancel: CancellationToken,
}

/// What a reader did.
struct PgRead {
    conn: sqlx::PgConnection,
    checksums: Vec<(usize, TableChecksum)>,
    largest: u64,
}

async fn dump_postgres(
    db: &Db,
    plan: &DumpPlan<'_>,
    out: &mut Out,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Dumped, DumpError> {
    let DumpPlan {
        format,
        header,
        tuning,
    } = plan.clone();
    let pool = db
        .pg_pool()
        .ok_or_else(|| DbError::Other("not a Postgres connection".into()))?;
    let (mut leader, joining) = pg_snapshot(db, pool, tuning.readers).await?;
    let schema = schema::postgres(&mut leader)
        .await
        .map_err(|e| db.error(e))?;
    begin_file(Engine::Postgres, &schema, format, header, out, reporter);
    let tables: Vec<(usize, &TableSchema)> = schema
        .tables
        .iter()
        .filter(|t| !is_skipped(format, &t.name))
        .enumerate()
        .collect();
    if format == FileFormat::Sql {
        for statement in &schema.before_tables {
            out.push_str(&format!("{statement};\n\n"));
        }
    }
    for (_, table) in &tables {
        out.push_str(&table_preamble(Engine::Postgres, format, table));
    }
    out.flush().await?;

    // Biggest first, so the readers finish together.
    let mut jobs: Vec<PgJob> = tables
        .iter()
        .flat_map(|(i, t)| pg_jobs(*i, t, tuning.range_pages))
        .collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.weight));
    let work = PgWork {
        db: db.clone(),
        remaining: Arc::new(Mutex::new(count_jobs(&jobs))),
        queue: Arc::new(Mutex::new(VecDeque::from(jobs))),
        format,
        reporter: reporter.clone(),
        cancel: cancel.clone(),
    };
    let mut connections = vec![leader];
    connections.extend(joined(joining).await);
    let read = read_in_parallel(&work, connections, out, tables.len()).await?;
    let tables: Vec<TableEntry> = tables
        .iter()
        .map(|(index, table)| TableEntry {
            name: table.name.clone(),
            rows: read.checksums[*index].rows,
            checksum: Some(read.checksums[*index].digest()),
        })
        .collect();
    if format == FileFormat::Sql {
        out.push_str(&after_data(&schema));
        out.push_str(&footer_text(Engine::Postgres, &tables));
    }
    out.flush().await?;
    for mut conn in read.conns {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
        let _ = sqlx::Connection::close(conn).await;
    }
    Ok(Dumped {
        tables,
        largest_statement: read.largest,
        skipped_views: schema.skipped_views,
    })
}

/// The readers that managed to join; without the others the dump reads with fewer.
async fn joined(joining: Joining) -> Vec<sqlx::PgConnection> {
    let mut connections = Vec::new();
    for join in joining {
        match join.await {
            Ok(Ok(conn)) => connections.push(conn),
            Ok(Err(e)) => tracing::warn!("reading with fewer connections: {e}"),
            Err(e) => tracing::warn!("reading with fewer connections: {e}"),
        }
    }
    connections
}

/// What a SQL file runs after every table's data: each table's keys and indexes, then the
/// foreign keys and sequence positions.
fn after_data(schema: &SchemaDump) -> String {
    let mut text = String::new();
    for table in &schema.tables {
        for statement in &table.after_data {
            text.push_str(&format!("{statement};\n"));
        }
    }
    text.push('\n');
    for statement in &schema.after_all {
        text.push_str(&format!("{statement};\n"));
    }
    text
}

/// Readers joining the leader's snapshot, still connecting.
type Joining = Vec<tokio::task::JoinHandle<Result<sqlx::PgConnection, sqlx::Error>>>;

/// The leader's connection in a read-only snapshot, exported when the server allows it, and
/// `readers - 1` more connections joining it (each a TLS handshake, made while the leader reads
/// the catalogs). Connections of their own, outside the pool: when the work is cancelled
/// mid-result they are simply closed, instead of being drained and handed back to the pool.
async fn pg_snapshot(
    db: &Db,
    pool: &sqlx::PgPool,
    readers: usize,
) -> Result<(sqlx::PgConnection, Joining), DumpError> {
    let mut leader = pool.acquire().await.map_err(|e| db.error(e))?.detach();
    sqlx::raw_sql(PG_SNAPSHOT)
        .execute(&mut leader)
        .await
        .map_err(|e| db.error(e))?;
    // Other connections join this snapshot; without the function (or the right), one reader.
    let snapshot: Option<String> = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut leader)
        .await
        .ok();
    let joining = snapshot
        .iter()
        .flat_map(|id| (1..readers).map(move |_| id.clone()))
        .map(|id| {
            let pool = pool.clone();
            tokio::spawn(async move { join_snapshot(&pool, &id).await })
        })
        .collect();
    Ok((leader, joining))
}

/// What the readers did together: each table's checksum (merged over its ranges), the longest
/// statement, and the connections to close.
struct ReadAll {
    checksums: Vec<TableChecksum>,
    largest: u64,
    conns: Vec<sqlx::PgConnection>,
}

/// Runs one reader per connection over the shared queue; the first failure stops the others
/// at their next job and is returned.
async fn read_in_parallel(
    work: &PgWork,
    connections: Vec<sqlx::PgConnection>,
    out: &Out,
    table_count: usize,
) -> Result<ReadAll, DumpError> {
    let readers: Vec<_> = connections
        .into_iter()
        .map(|conn| tokio::spawn(read_pg_tables(work.clone(), conn, out.fork())))
        .collect();
    let mut all = ReadAll {
        checksums: vec![TableChecksum::default(); table_count],
        largest: 0,
        conns: Vec::new(),
    };
    let mut failure = None;
    for reader in readers {
        match reader.await {
            Ok(Ok(read)) => {
                for (index, checksum) in read.checksums {
                    all.checksums[index].merge(&checksum);
                }
                all.largest = all.largest.max(read.largest);
                all.conns.push(read.conn);
            }
            Ok(Err(e)) => {
                // The others stop at their next table; their results no longer matter.
                work.queue.lock().map(|mut q| q.clear()).ok();
                failure.get_or_insert(e);
            }
            Err(join) => {
                work.queue.lock().map(|mut q| q.clear()).ok();
                failure.get_or_insert(DumpError::Db(DbError::Other(format!(
                    "a reader stopped: {join}"
                ))));
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(all),
    }
}

/// How many jobs each table has (and rows read so far, none yet).
fn count_jobs(jobs: &[PgJob]) -> HashMap<usize, (usize, u64)> {
    let mut counts = HashMap::new();
    for job in jobs {
        counts.entry(job.index).or_insert((0, 0)).0 += 1;
    }
    counts
}

/// Session settings of every Postgres reader, so that all of them write the same text.
const PG_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
     SET LOCAL DateStyle = ISO; SET LOCAL IntervalStyle = postgres; \
     SET LOCAL extra_float_digits = 3; SET LOCAL TimeZone = 'UTC'; \
     SET LOCAL bytea_output = hex";

/// Another connection reading the leader's exported snapshot.
async fn join_snapshot(pool: &sqlx::PgPool, id: &str) -> Result<sqlx::PgConnection, sqlx::Error> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut conn)
        .await?;
    // `transaction_snapshot` is no setting (set_config refuses it): the only way in is this
    // statement, which takes no parameter, so the id is checked before it is inlined.
    if !is_snapshot_id(id) {
        return Err(sqlx::Error::Protocol(format!(
            "cannot join the snapshot: '{id}' is not a snapshot id"
        )));
    }
    sqlx::raw_sql(AssertSqlSafe(format!("SET TRANSACTION SNAPSHOT '{id}'")))
        .execute(&mut conn)
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("cannot join the snapshot: {e}")))?;
    sqlx::raw_sql(
        PG_SNAPSHOT.trim_start_matches("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "),
    )
    .execute(&mut conn)
    .await?;
    Ok(conn)
}

/// What `pg_export_snapshot()` returns: hex groups joined by `-` (`00000003-0000001B-1`).
fn is_snapshot_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    (2..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 16 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Takes tables from the queue until it is empty, writing each as COPY blocks (or INSERT
/// lines for om-cli) of bounded size that stand on their own in the file.
async fn read_pg_tables(
    work: PgWork,
    mut conn: sqlx::PgConnection,
    mut out: Out,
) -> Result<PgRead, DumpError> {
    let mut checksums = Vec::new();
    let mut largest = 0u64;
    while let Some(job) = work.queue.lock().ok().and_then(|mut q| q.pop_front()) {
        if work.cancel.is_cancelled() {
            return Err(DumpError::Cancelled);
        }
        if job.pages.is_none_or(|(start, _)| start == 0) {
            work.reporter
                .table_started(job.index, &job.name, job.rows_estimate);
        }
        let (checksum, job_largest) = copy_job(&work, &mut conn, &job, &mut out).await?;
        largest = largest.max(job_largest);
        out.flush().await?;
        let done = work.remaining.lock().ok().and_then(|mut r| {
            let (left, rows) = r.entry(job.index).or_insert((1, 0));
            *left = left.saturating_sub(1);
            *rows += checksum.rows;
            (*left == 0).then_some(*rows)
        });
        if let Some(rows) = done {
            work.reporter.table_done(job.index, &job.name, rows);
        }
        checksums.push((job.index, checksum));
    }
    Ok(PgRead {
        conn,
        checksums,
        largest,
    })
}

/// Streams one job's `COPY … TO STDOUT` into the file: COPY blocks of bounded size that stand
/// on their own (or INSERT lines for om-cli). Returns the rows' checksum and the longest
/// statement.
async fn copy_job(
    work: &PgWork,
    conn: &mut sqlx::PgConnection,
    job: &PgJob,
    out: &mut Out,
) -> Result<(TableChecksum, u64), DumpError> {
    let mut largest = 0u64;
    let table_error = |e: sqlx::Error| DumpError::Table {
        table: job.name.clone(),
        error: work.db.error(e),
    };
    let copy_head = format!("COPY {} ({}) FROM stdin;\n", job.quoted, job.columns);
    let insert_head = job.insert_head();
    let mut checksum = TableChecksum::default();
    let mut partial: Vec<u8> = Vec::new();
    let mut literal_row = Vec::with_capacity(4096);
    let mut block_rows = 0u64;
    let mut unreported = (0u64, out.block.len());
    {
        let mut stream = conn
            .copy_out_raw(&job.copy_out())
            .await
            .map_err(table_error)?;
        while let Some(chunk) = stream.try_next().await.map_err(table_error)? {
            // Each message is normally one row; split anyway, keeping a partial line.
            partial.extend_from_slice(&chunk);
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', &partial) {
                let line = &partial[start..=end];
                start = end + 1;
                hash_row(
                    &mut checksum,
                    work.format,
                    line,
                    &job.kinds,
                    &mut literal_row,
                );
                match work.format {
                    FileFormat::OmCli => {
                        out.push(insert_head.as_bytes());
                        out.push(&literal_row);
                        out.push(b";\n");
                        largest = largest.max((insert_head.len() + literal_row.len() + 1) as u64);
                    }
                    _ => {
                        if block_rows == 0 {
                            out.push(copy_head.as_bytes());
                        }
                        out.push(line);
                        block_rows += 1;
                    }
                }
                unreported.0 += 1;
            }
            partial.drain(..start);
            if out.block.len() >= BLOCK_BYTES {
                end_copy_block(out, &mut block_rows);
                work.reporter.add(
                    checksum.rows,
                    unreported.0,
                    (out.block.len() - unreported.1) as u64,
                );
                if work.cancel.is_cancelled() {
                    return Err(DumpError::Cancelled);
                }
                out.flush().await?;
                unreported = (0, 0);
            }
        }
    }
    end_copy_block(out, &mut block_rows);
    work.reporter.add(
        checksum.rows,
        unreported.0,
        out.block.len().saturating_sub(unreported.1) as u64,
    );
    Ok((checksum, largest))
}

/// Ends an open COPY block (`\.`), so that the file's next block stands on its own.
fn end_copy_block(out: &mut Out, block_rows: &mut u64) {
    if *block_rows > 0 {
        out.push(b"\\.\n");
        *block_rows = 0;
    }
}

/// Adds one COPY line to a table's checksum, as the file holds it: the line itself, or for
/// om-cli the literal tuple (left in `literal`).
fn hash_row(
    checksum: &mut TableChecksum,
    format: FileFormat,
    line: &[u8],
    kinds: &[ValueKind],
    literal: &mut Vec<u8>,
) {
    if format == FileFormat::OmCli {
        literal.clear();
        pg_literal_tuple(literal, line, kinds);
        checksum.add_row(literal);
    } else {
        checksum.add_row(line);
    }
}

/// One COPY text line as a `(v1,v2,…)` tuple of Postgres literals.
fn pg_literal_tuple(out: &mut Vec<u8>, line: &[u8], kinds: &[ValueKind]) {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    out.push(b'(');
    for (i, field) in line.split(|&b| b == b'\t').enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match sql::pg_copy_field(field) {
            None => out.extend_from_slice(b"NULL"),
            // NaN and ±Infinity are numbers to Postgres, but only as quoted literals; so is a
            // float's -0 (the literal -0 is the integer 0, whose sign is lost).
            Some(value) => match kinds.get(i) {
                Some(ValueKind::Number)
                    if is_plain_number(&value) && !sql::is_negative_zero(&value) =>
                {
                    out.extend_from_slice(&value)
                }
                _ => sql::pg_string(out, &value),
            },
        }
    }
    out.push(b')');
}

fn is_plain_number(value: &[u8]) -> bool {
    !value.is_empty()
        && value
            .iter()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_snapshot_ids_are_inlined() {
        assert!(is_snapshot_id("00000003-0000001B-1"));
        assert!(is_snapshot_id("00000004-00000002"));
        assert!(!is_snapshot_id("1'; DROP TABLE x; --"));
        assert!(!is_snapshot_id(""));
        assert!(!is_snapshot_id("00000003--1"));
    }

    /// The second reader really shares the leader's snapshot (it did not: `set_config` of
    /// `transaction_snapshot` is refused by PostgreSQL, and every backup read on one
    /// connection). Needs the test PostgreSQL (OMU_TEST_PG_URL, default 127.0.0.1:5432).
    #[tokio::test]
    async fn a_second_reader_joins_the_exported_snapshot() {
        let server = std::env::var("OMU_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&format!("{}/postgres", server.trim_end_matches('/')))
            .await
            .unwrap_or_else(|e| panic!("this test needs PostgreSQL at {server}: {e}"));
        let mut leader = pool.acquire().await.unwrap().detach();
        sqlx::raw_sql(PG_SNAPSHOT)
            .execute(&mut leader)
            .await
            .unwrap();
        let id: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut leader)
            .await
            .unwrap();
        let mut joined = join_snapshot(&pool, &id).await.expect("joins the snapshot");
        let snapshot = "SELECT pg_current_snapshot()::text";
        let a: String = sqlx::query_scalar(snapshot)
            .fetch_one(&mut leader)
            .await
            .unwrap();
        let b: String = sqlx::query_scalar(snapshot)
            .fetch_one(&mut joined)
            .await
            .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn non_finite_numbers_and_negative_zero_are_quoted() {
        let mut out = Vec::new();
        let kinds = [ValueKind::Number; 6];
        pg_literal_tuple(&mut out, b"NaN\t-Infinity\t-1.5e-07\t42\t-0\t0\n", &kinds);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "('NaN','-Infinity',-1.5e-07,42,'-0',0)"
        );
    }

    #[test]
    fn copy_lines_become_literal_tuples() {
        let mut out = Vec::new();
        pg_literal_tuple(
            &mut out,
            b"7\tit's\\na\\\\b\t\\N\n",
            &[ValueKind::Number, ValueKind::Text, ValueKind::Text],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "(7,E'it''s\\na\\\\b',NULL)"
        );
    }
}
