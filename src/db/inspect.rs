//! Read-only questions about the connected database: what server it is, which tables it has,
//! whether it is an OpenMetadata database and at which schema version, what this user may read.

use std::fmt;

use serde::Serialize;

use super::{Cell, Db, DbError, Engine};
use crate::version::Version;

/// The database product behind the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Product {
    #[serde(rename = "MySQL")]
    Mysql,
    #[serde(rename = "MariaDB")]
    MariaDb,
    #[serde(rename = "PostgreSQL")]
    Postgres,
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Product::Mysql => "MySQL",
            Product::MariaDb => "MariaDB",
            Product::Postgres => "PostgreSQL",
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerInfo {
    pub product: Product,
    /// As the server reports it (`8.0.36`, `10.11.19-MariaDB-0+deb12u1`, `15.20 (Debian …)`).
    pub version_text: String,
    /// The numeric part, when it parses.
    pub version: Option<semver::Version>,
}

pub async fn server_info(db: &Db) -> Result<ServerInfo, DbError> {
    let sql = match db.engine() {
        Engine::Mysql => "SELECT VERSION()",
        Engine::Postgres => "SHOW server_version",
    };
    let rows = db.fetch_rows(sql, &[]).await?;
    let version_text = rows
        .first()
        .and_then(|r| r.first())
        .and_then(Cell::as_text)
        .unwrap_or_default();
    let product = match db.engine() {
        Engine::Postgres => Product::Postgres,
        Engine::Mysql if version_text.to_ascii_lowercase().contains("mariadb") => Product::MariaDb,
        Engine::Mysql => Product::Mysql,
    };
    Ok(ServerInfo {
        product,
        version: leading_version(&version_text),
        version_text,
    })
}

/// `15.20 (Debian…)` → 15.20.0, `10.11.19-MariaDB` → 10.11.19.
pub fn leading_version(text: &str) -> Option<semver::Version> {
    let numeric: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = numeric
        .split('.')
        .filter(|p| !p.is_empty())
        .map(str::parse::<u64>);
    let major = parts.next()?.ok()?;
    let minor = parts.next().and_then(Result::ok).unwrap_or(0);
    let patch = parts.next().and_then(Result::ok).unwrap_or(0);
    Some(semver::Version::new(major, minor, patch))
}

/// Quotes an identifier for the engine.
pub fn quote_ident(engine: Engine, name: &str) -> String {
    match engine {
        Engine::Mysql => format!("`{}`", name.replace('`', "``")),
        Engine::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// How many rows a table has, and how sure we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "rows", rename_all = "lowercase")]
pub enum RowCount {
    Exact(i64),
    /// From the server's statistics (InnoDB `TABLE_ROWS`, Postgres `reltuples`).
    Estimate(i64),
    Unknown,
}

impl RowCount {
    pub fn value(self) -> Option<i64> {
        match self {
            RowCount::Exact(n) | RowCount::Estimate(n) => Some(n),
            RowCount::Unknown => None,
        }
    }
}

impl fmt::Display for RowCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowCount::Exact(n) => write!(f, "{n}"),
            RowCount::Estimate(n) => write!(f, "~{n}"),
            RowCount::Unknown => f.write_str("?"),
        }
    }
}

/// A base table of the schema with its size.
#[derive(Debug, Clone, Serialize)]
pub struct TableInfo {
    pub name: String,
    pub rows: RowCount,
    pub data_bytes: u64,
    pub index_bytes: u64,
    /// MySQL storage engine (`InnoDB`, `MyISAM`, …); `None` on Postgres.
    pub storage_engine: Option<String>,
}

/// Tables at most this big are counted exactly; bigger ones use the server's estimate, so a
/// check stays fast on a large installation.
const EXACT_COUNT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Every base table of the schema (MySQL: the database), with sizes and row counts.
pub async fn tables(db: &Db) -> Result<Vec<TableInfo>, DbError> {
    let mut tables = table_sizes(db).await?;
    for table in tables
        .iter_mut()
        .filter(|t| t.data_bytes <= EXACT_COUNT_MAX_BYTES)
    {
        let sql = format!(
            "SELECT COUNT(*) FROM {}",
            quote_ident(db.engine(), &table.name)
        );
        table.rows = RowCount::Exact(db.fetch_i64(&sql, &[]).await?);
    }
    Ok(tables)
}

/// The base tables with the server's size figures and row estimates, without counting rows.
pub async fn table_sizes(db: &Db) -> Result<Vec<TableInfo>, DbError> {
    let tables = match db.engine() {
        Engine::Mysql => {
            // MySQL 8 caches these statistics for a day unless told otherwise; MariaDB has no
            // such variable, so a failure here is expected there and harmless.
            let _ = db
                .execute("SET SESSION information_schema_stats_expiry = 0", &[])
                .await;
            db.fetch_rows(
                "SELECT TABLE_NAME, CAST(TABLE_ROWS AS SIGNED), CAST(DATA_LENGTH AS SIGNED), \
                 CAST(INDEX_LENGTH AS SIGNED), ENGINE \
                 FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' \
                 ORDER BY TABLE_NAME",
                &[],
            )
            .await?
        }
        Engine::Postgres => {
            db.fetch_rows(
                // reltuples is -1 until the first vacuum or analyze: then the live tuples the
                // statistics collector counted.
                "SELECT c.relname::text, \
                 (CASE WHEN c.reltuples < 0 THEN s.n_live_tup ELSE c.reltuples END)::bigint, \
                 pg_table_size(c.oid)::bigint, \
                 pg_indexes_size(c.oid)::bigint, NULL::text \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid \
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
                 ORDER BY c.relname",
                &[],
            )
            .await?
        }
    }
    .into_iter()
    .map(|row| {
        let get = |i: usize| row.get(i).cloned().unwrap_or(Cell::Null);
        let estimate = get(1).as_i64().filter(|n| *n >= 0);
        TableInfo {
            name: get(0).as_text().unwrap_or_default(),
            rows: estimate.map_or(RowCount::Unknown, RowCount::Estimate),
            data_bytes: get(2).as_i64().unwrap_or(0).max(0) as u64,
            index_bytes: get(3).as_i64().unwrap_or(0).max(0) as u64,
            storage_engine: get(4).as_text(),
        }
    })
    .collect::<Vec<_>>();
    Ok(tables)
}

/// What the migration bookkeeping says.
#[derive(Debug, Clone, Serialize)]
pub struct OmInfo {
    /// The schema level: the newest applied native migration (`1.1.5`), or `None` for a
    /// Flyway-only (≤ 1.0) database.
    pub schema_version: Option<Version>,
    pub era: Era,
    /// Newest Flyway script version (`013`), when the Flyway table exists.
    pub flyway_version: Option<String>,
    /// Migrations recorded as not completed (2.x `status` other than COMPLETED).
    pub incomplete_migrations: Vec<String>,
    /// Applied native migration versions, oldest first.
    pub applied: Vec<String>,
    /// Every base table of the schema, as named in the database.
    pub tables: Vec<String>,
}

/// Generation of the migration bookkeeping (see the schema facts, §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Era {
    /// ≤ 1.0.x: only Flyway's DATABASE_CHANGE_LOG.
    FlywayOnly,
    /// 1.1 – 1.9: Flyway plus native SERVER_CHANGE_LOG.
    Native,
    /// 1.10+: Flyway history imported into SERVER_CHANGE_LOG as 0.0.N rows.
    Merged,
    /// 2.x: SERVER_CHANGE_LOG with migrationType / status.
    V2,
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Era::FlywayOnly => "Flyway only (1.0.x or older)",
            Era::Native => "native migrations (1.1 to 1.9)",
            Era::Merged => "merged history (1.10 or newer)",
            Era::V2 => "2.x migration history",
        })
    }
}

/// Either an OpenMetadata database, or why we think it is not one.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detection {
    OpenMetadata(OmInfo),
    NotOpenMetadata {
        table_count: usize,
        missing: Vec<String>,
    },
}

/// Decides whether the schema holds OpenMetadata, and reads its schema version.
pub async fn detect_openmetadata(db: &Db) -> Result<Detection, DbError> {
    let tables = table_names(db).await?;
    let find = |wanted: &str| {
        tables
            .iter()
            .find(|t| t.eq_ignore_ascii_case(wanted))
            .cloned()
    };
    let mut missing: Vec<String> = Vec::new();
    if find("entity_relationship").is_none() {
        missing.push("entity_relationship".into());
    }
    if find("dbservice_entity").is_none() && find("table_entity").is_none() {
        missing.push("dbservice_entity or table_entity".into());
    }
    let server_log = find("server_change_log");
    let flyway_log = find("database_change_log");
    if server_log.is_none() && flyway_log.is_none() {
        missing.push("server_change_log or DATABASE_CHANGE_LOG".into());
    }
    if !missing.is_empty() {
        return Ok(Detection::NotOpenMetadata {
            table_count: tables.len(),
            missing,
        });
    }

    let engine = db.engine();
    let ServerLog {
        applied,
        incomplete,
        has_status,
    } = match &server_log {
        Some(log) => read_server_log(db, log).await?,
        None => ServerLog::default(),
    };
    let flyway_version = match &flyway_log {
        Some(log) => {
            let sql = format!("SELECT version FROM {}", quote_ident(engine, log));
            db.fetch_rows(&sql, &[])
                .await?
                .iter()
                .filter_map(|r| r.first().and_then(Cell::as_text))
                .max_by_key(|v| v.trim().parse::<u64>().unwrap_or(0))
        }
        None => None,
    };
    let schema_version = schema_level(&applied);
    let imported_flyway = applied.iter().any(|v| v.starts_with("0.0."));
    let era = if server_log.is_none() {
        Era::FlywayOnly
    } else if has_status {
        Era::V2
    } else if imported_flyway {
        Era::Merged
    } else {
        Era::Native
    };
    Ok(Detection::OpenMetadata(OmInfo {
        schema_version,
        era,
        flyway_version,
        incomplete_migrations: incomplete,
        applied,
        tables,
    }))
}

/// What the server's own migration log says.
#[derive(Default)]
struct ServerLog {
    /// Versions completed (or, before the log had a status, every version), in order.
    applied: Vec<String>,
    /// `version (status)` of each entry not completed.
    incomplete: Vec<String>,
    /// Whether the log has a status column (`Era::V2`).
    has_status: bool,
}

async fn read_server_log(db: &Db, log: &str) -> Result<ServerLog, DbError> {
    let engine = db.engine();
    let mut found = ServerLog {
        has_status: column_names(db, log)
            .await?
            .iter()
            .any(|c| c.eq_ignore_ascii_case("status")),
        ..ServerLog::default()
    };
    let sql = if found.has_status {
        format!(
            "SELECT version, status FROM {} ORDER BY installed_rank",
            quote_ident(engine, log)
        )
    } else {
        format!(
            "SELECT version, NULL FROM {} ORDER BY installed_rank",
            quote_ident(engine, log)
        )
    };
    for row in db.fetch_rows(&sql, &[]).await? {
        let version = row.first().and_then(Cell::as_text).unwrap_or_default();
        let status = row.get(1).and_then(Cell::as_text);
        match status.as_deref() {
            Some(s) if !s.eq_ignore_ascii_case("COMPLETED") => {
                found.incomplete.push(format!("{version} ({s})"));
            }
            _ => found.applied.push(version),
        }
    }
    Ok(found)
}

/// The newest OpenMetadata level among applied migration versions: numeric comparison, Flyway
/// imports (`0.0.N`) and extension rows (`1.12.1-collate`) ignored, `2.0.0-baseline` counted as 2.0.0.
pub fn schema_level(applied: &[String]) -> Option<Version> {
    applied
        .iter()
        .filter_map(|raw| {
            let raw = raw.trim();
            let base = match raw.split_once('-') {
                Some((base, "baseline")) => base,
                Some(_) => return None,
                None => raw,
            };
            let version: Version = base.parse().ok()?;
            (version.major() > 0).then_some(version)
        })
        .max()
}

/// The names of the base tables of the schema (MySQL: the database).
pub async fn table_names(db: &Db) -> Result<Vec<String>, DbError> {
    let sql = match db.engine() {
        Engine::Mysql => {
            "SELECT TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
        }
        Engine::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    Ok(db
        .fetch_rows(sql, &[])
        .await?
        .iter()
        .filter_map(|r| r.first().and_then(Cell::as_text))
        .collect())
}

async fn column_names(db: &Db, table: &str) -> Result<Vec<String>, DbError> {
    let sql = match db.engine() {
        Engine::Mysql => {
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
        }
        Engine::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    Ok(db
        .fetch_rows(sql, &[table])
        .await?
        .iter()
        .filter_map(|r| r.first().and_then(Cell::as_text))
        .collect())
}

/// What a backup of this schema will be allowed to do.
#[derive(Debug, Clone, Serialize)]
pub struct Privileges {
    pub tables_checked: usize,
    /// Tables this user cannot read, with the server's reason.
    pub unreadable: Vec<(String, String)>,
    /// Why a consistent read-only snapshot could not be opened, if it could not.
    pub snapshot_error: Option<String>,
    /// MySQL tables outside InnoDB: a consistent snapshot does not cover them.
    pub non_transactional: Vec<(String, String)>,
}

/// Opens the snapshot a backup will use and checks that every table can be read in it.
pub async fn privileges(db: &Db) -> Result<Privileges, DbError> {
    match db.engine() {
        Engine::Mysql => mysql_privileges(db).await,
        Engine::Postgres => pg_privileges(db).await,
    }
}

async fn mysql_privileges(db: &Db) -> Result<Privileges, DbError> {
    use sqlx::Connection as _;
    let tables = tables(db).await?;
    let pool = db
        .mysql_pool()
        .ok_or_else(|| DbError::Other("not a MySQL pool".into()))?;
    let mut conn = pool.acquire().await.map_err(|e| db.error(e))?;
    let snapshot = async {
        sqlx::raw_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *conn)
            .await?;
        sqlx::raw_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            .execute(&mut *conn)
            .await
    }
    .await;
    let snapshot_error = snapshot.err().map(|e| db.error(e).to_string());
    let mut unreadable = Vec::new();
    for table in &tables {
        let sql = format!(
            "SELECT 1 FROM {} LIMIT 0",
            quote_ident(Engine::Mysql, &table.name)
        );
        if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
        {
            unreadable.push((table.name.clone(), db.error(e).to_string()));
        }
    }
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
    let _ = conn.ping().await;
    let non_transactional = tables
        .iter()
        .filter_map(|t| {
            let engine = t.storage_engine.as_deref()?;
            (!engine.eq_ignore_ascii_case("InnoDB")).then(|| (t.name.clone(), engine.to_string()))
        })
        .collect();
    Ok(Privileges {
        tables_checked: tables.len(),
        unreadable,
        snapshot_error,
        non_transactional,
    })
}

async fn pg_privileges(db: &Db) -> Result<Privileges, DbError> {
    let pool = db
        .pg_pool()
        .ok_or_else(|| DbError::Other("not a Postgres pool".into()))?;
    let mut conn = pool.acquire().await.map_err(|e| db.error(e))?;
    let snapshot = sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *conn)
        .await;
    let snapshot_error = snapshot.err().map(|e| db.error(e).to_string());
    // has_*_privilege answers without erroring, so one denied table does not abort the transaction.
    let rows = sqlx::query_as::<_, (String, String, bool)>(
        "SELECT c.relname::text, \
                CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, \
                CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'SELECT') \
                     ELSE has_table_privilege(c.oid, 'SELECT') END \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S') \
         ORDER BY c.relname",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| db.error(e));
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
    let rows = rows?;
    Ok(Privileges {
        tables_checked: rows.iter().filter(|(_, kind, _)| kind == "table").count(),
        unreadable: rows
            .into_iter()
            .filter(|(_, _, ok)| !ok)
            .map(|(name, kind, _)| (name, format!("no SELECT privilege on this {kind}")))
            .collect(),
        snapshot_error,
        non_transactional: Vec::new(),
    })
}

/// The server's sort memory for new sessions, in bytes: MySQL `sort_buffer_size`, Postgres
/// `work_mem`. OpenMetadata asks for about 20 MB before running migrations (since 1.2).
pub async fn sort_memory_bytes(db: &Db) -> Result<i64, DbError> {
    let sql = match db.engine() {
        Engine::Mysql => "SELECT CAST(@@GLOBAL.sort_buffer_size AS SIGNED)",
        Engine::Postgres => "SELECT pg_size_bytes(current_setting('work_mem'))::bigint",
    };
    db.fetch_i64(sql, &[]).await
}

/// The TLS protocol/cipher of this session, or `None` for plain TCP.
pub async fn tls_in_use(db: &Db) -> Result<Option<String>, DbError> {
    let (sql, column) = match db.engine() {
        // Works on MySQL 8 and MariaDB alike: (Variable_name, Value).
        Engine::Mysql => ("SHOW SESSION STATUS LIKE 'Ssl_cipher'", 1),
        Engine::Postgres => (
            "SELECT CASE WHEN ssl THEN version || ' ' || cipher END \
             FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            0,
        ),
    };
    let rows = db.fetch_rows(sql, &[]).await?;
    Ok(rows
        .first()
        .and_then(|r| r.get(column))
        .and_then(Cell::as_text)
        .filter(|s| !s.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_level_is_numeric_and_ignores_imports_and_extensions() {
        let applied: Vec<String> = [
            "0.0.0",
            "0.0.15",
            "1.1.0",
            "1.9.3",
            "1.10.0",
            "1.12.1-collate",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(schema_level(&applied), Some(Version::new(1, 10, 0)));
        let baseline: Vec<String> = vec!["2.0.0-baseline".into()];
        assert_eq!(schema_level(&baseline), Some(Version::new(2, 0, 0)));
        assert_eq!(schema_level(&[]), None);
    }

    #[test]
    fn leading_versions_of_real_server_strings() {
        assert_eq!(
            leading_version("10.11.19-MariaDB-0+deb12u1"),
            Some(semver::Version::new(10, 11, 19))
        );
        assert_eq!(
            leading_version("15.20 (Debian 15.20-0+deb12u1)"),
            Some(semver::Version::new(15, 20, 0))
        );
        assert_eq!(
            leading_version("8.0.36"),
            Some(semver::Version::new(8, 0, 36))
        );
        assert_eq!(leading_version("weird"), None);
    }

    #[test]
    fn identifiers_are_quoted_per_engine() {
        assert_eq!(quote_ident(Engine::Mysql, "offset"), "`offset`");
        assert_eq!(quote_ident(Engine::Mysql, "a`b"), "`a``b`");
        assert_eq!(
            quote_ident(Engine::Postgres, "DATABASE_CHANGE_LOG"),
            "\"DATABASE_CHANGE_LOG\""
        );
    }
}
