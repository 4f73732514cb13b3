//! The built-in dump: one read-only REPEATABLE READ snapshot for the whole database, every row
//! streamed once from the server to the output (never a table in memory), per-table row counts
//! and content checksums computed on the way.
//!
//! Postgres data travels as `COPY … TO STDOUT` text, written as `COPY … FROM stdin` blocks that
//! psql and `om-upgrade restore` load in one round trip per table. MySQL rows arrive over the
//! text protocol and are written as multi-row INSERTs of bounded size with escaped literals.

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
    format: FileFormat,
    header: &Header,
    out: &mut Out,
    reporter: &mut Reporter,
    cancel: &CancellationToken,
) -> Result<Dumped, DumpError> {
    match db.engine() {
        Engine::Mysql => dump_mysql(db, format, header, out, reporter, cancel).await,
        Engine::Postgres => dump_postgres(db, format, header, out, reporter, cancel).await,
    }
}

fn header_text(engine: Engine, header: &Header, format: FileFormat) -> String {
    if format == FileFormat::OmCli {
        // `metadata restore` executes every line: no comments, no session settings.
        return String::new();
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

async fn dump_mysql(
    db: &Db,
    format: FileFormat,
    header: &Header,
    out: &mut Out,
    reporter: &mut Reporter,
    cancel: &CancellationToken,
) -> Result<Dumped, DumpError> {
    let pool = db
        .mysql_pool()
        .ok_or_else(|| DbError::Other("not a MySQL connection".into()))?;
    // A connection of its own, outside the pool: when the work is cancelled mid-result it is
    // simply closed, instead of being drained and handed back to the pool.
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
    let schema = schema::mysql(&mut conn).await.map_err(|e| db.error(e))?;
    announce(&schema, format, reporter);
    out.push_str(&header_text(Engine::Mysql, header, format));
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
        let columns = table.dumped_columns();
        let kinds: Vec<ValueKind> = table
            .columns
            .iter()
            .filter(|c| !c.generated)
            .map(|c| c.kind)
            .collect();
        let name = quote_ident(Engine::Mysql, &table.name);
        let insert_head = format!(
            "INSERT INTO {name} ({}) VALUES ",
            column_list(Engine::Mysql, &columns)
        );
        match format {
            FileFormat::OmCli => out.push_str(&format!("TRUNCATE TABLE {name};\n")),
            _ => out.push_str(&format!(
                "--\n-- table: {}\n--\n{};\n\n",
                table.name, table.create
            )),
        }
        let select = format!(
            "SELECT {} FROM {name}",
            column_list(Engine::Mysql, &columns)
        );
        let mut rows = sqlx::raw_sql(AssertSqlSafe(select)).fetch(&mut conn);
        let mut checksum = TableChecksum::default();
        let mut tuple = Vec::with_capacity(4096);
        let mut statement_len = 0usize;
        let table_error = |e| DumpError::Table {
            table: table.name.clone(),
            error: db.error(e),
        };
        while let Some(row) = rows.try_next().await.map_err(table_error)? {
            tuple.clear();
            tuple.push(b'(');
            for (i, kind) in kinds.iter().enumerate() {
                if i > 0 {
                    tuple.push(b',');
                }
                match row
                    .try_get_unchecked::<Option<&[u8]>, _>(i)
                    .map_err(table_error)?
                {
                    None => tuple.extend_from_slice(b"NULL"),
                    Some(value) => match kind {
                        ValueKind::Number => tuple.extend_from_slice(value),
                        ValueKind::Text => sql::mysql_string(&mut tuple, value),
                        ValueKind::Binary => sql::mysql_hex(&mut tuple, value),
                    },
                }
            }
            tuple.push(b')');
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
            reporter.add(1, (out.block.len().saturating_sub(before)) as u64);
            if out.block.len() >= BLOCK_BYTES {
                if cancel.is_cancelled() {
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

async fn dump_postgres(
    db: &Db,
    format: FileFormat,
    header: &Header,
    out: &mut Out,
    reporter: &mut Reporter,
    cancel: &CancellationToken,
) -> Result<Dumped, DumpError> {
    let pool = db
        .pg_pool()
        .ok_or_else(|| DbError::Other("not a Postgres connection".into()))?;
    // A connection of its own, outside the pool: when the work is cancelled mid-result it is
    // simply closed, instead of being drained and handed back to the pool.
    let mut conn = pool.acquire().await.map_err(|e| db.error(e))?.detach();
    sqlx::raw_sql(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
         SET LOCAL DateStyle = ISO; SET LOCAL IntervalStyle = postgres; \
         SET LOCAL extra_float_digits = 3; SET LOCAL TimeZone = 'UTC'; \
         SET LOCAL bytea_output = hex",
    )
    .execute(&mut conn)
    .await
    .map_err(|e| db.error(e))?;
    let schema = schema::postgres(&mut conn).await.map_err(|e| db.error(e))?;
    announce(&schema, format, reporter);
    out.push_str(&header_text(Engine::Postgres, header, format));
    if format == FileFormat::Sql {
        for statement in &schema.before_tables {
            out.push_str(&format!("{statement};\n\n"));
        }
    }
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
        let columns = table.dumped_columns();
        let kinds: Vec<ValueKind> = table
            .columns
            .iter()
            .filter(|c| !c.generated)
            .map(|c| c.kind)
            .collect();
        let name = quote_ident(Engine::Postgres, &table.name);
        let list = column_list(Engine::Postgres, &columns);
        let insert_head = format!("INSERT INTO {name} ({list}) VALUES ");
        match format {
            FileFormat::OmCli => out.push_str(&format!("TRUNCATE TABLE {name};\n")),
            _ => out.push_str(&format!(
                "--\n-- table: {}\n--\n{};\n\nCOPY {name} ({list}) FROM stdin;\n",
                table.name, table.create
            )),
        }
        let table_error = |e| DumpError::Table {
            table: table.name.clone(),
            error: db.error(e),
        };
        let mut checksum = TableChecksum::default();
        let mut partial: Vec<u8> = Vec::new();
        let mut literal_row = Vec::with_capacity(4096);
        {
            let mut stream = conn
                .copy_out_raw(&format!("COPY {name} ({list}) TO STDOUT"))
                .await
                .map_err(table_error)?;
            while let Some(chunk) = stream.try_next().await.map_err(table_error)? {
                // Each message is normally one row; split anyway, keeping a partial line.
                let mut rest: &[u8] = &chunk;
                if !partial.is_empty() {
                    partial.extend_from_slice(rest);
                    rest = &[];
                }
                let data: Vec<u8>;
                let bytes: &[u8] = if partial.is_empty() {
                    rest
                } else {
                    data = std::mem::take(&mut partial);
                    &data
                };
                let mut start = 0;
                let mut rows_here = 0;
                let before = out.block.len();
                for end in memchr::memchr_iter(b'\n', bytes) {
                    let line = &bytes[start..=end];
                    start = end + 1;
                    rows_here += 1;
                    if format == FileFormat::OmCli {
                        literal_row.clear();
                        pg_literal_tuple(&mut literal_row, line, &kinds);
                        checksum.add_row(&literal_row);
                        out.push(insert_head.as_bytes());
                        out.push(&literal_row);
                        out.push(b";\n");
                        largest = largest.max((insert_head.len() + literal_row.len() + 1) as u64);
                    } else {
                        checksum.add_row(line);
                    }
                }
                if format != FileFormat::OmCli {
                    out.push(&bytes[..start]);
                }
                partial.extend_from_slice(&bytes[start..]);
                reporter.add(rows_here, (out.block.len().saturating_sub(before)) as u64);
                if out.block.len() >= BLOCK_BYTES {
                    if cancel.is_cancelled() {
                        return Err(DumpError::Cancelled);
                    }
                    out.maybe_flush().await?;
                }
            }
        }
        if format == FileFormat::Sql {
            out.push(b"\\.\n\n");
            for statement in &table.after_data {
                out.push_str(&format!("{statement};\n"));
            }
            out.push(b"\n");
        }
        reporter.table_done(index, &table.name, checksum.rows);
        tables.push(TableEntry {
            name: table.name.clone(),
            rows: checksum.rows,
            checksum: Some(checksum.digest()),
        });
        index += 1;
        out.maybe_flush().await?;
    }
    if format == FileFormat::Sql {
        for statement in &schema.after_all {
            out.push_str(&format!("{statement};\n"));
        }
        out.push_str(&footer_text(Engine::Postgres, &tables));
    }
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    out.flush().await?;
    Ok(Dumped {
        tables,
        largest_statement: largest,
        skipped_views: schema.skipped_views,
    })
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
            Some(value) => match kinds.get(i) {
                Some(ValueKind::Number) => out.extend_from_slice(&value),
                _ => sql::pg_string(out, &value),
            },
        }
    }
    out.push(b')');
}

#[cfg(test)]
mod tests {
    use super::*;

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
