//! One [`Db`] type over MySQL/MariaDB and PostgreSQL (sqlx, rustls), connected with a timeout on
//! every attempt and errors classified into causes ([`DbError`]).

pub mod admin;
pub mod charset;
mod error;
pub mod inspect;
pub mod migrations;
mod nodelay;
pub mod read;
pub mod rights;
mod work_names;

use std::time::{Duration, Instant};

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlRow, MySqlSslMode};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgRow, PgSslMode};
use sqlx::{AssertSqlSafe, Column, Row, TypeInfo};

use crate::config::{DbSettings, TlsMode};
pub use crate::engine::Engine;
pub use error::DbError;
use error::{Attempt, classify};

#[derive(Clone)]
enum Pool {
    Mysql(MySqlPool),
    Postgres(PgPool),
}

/// Where a [`Db`] is connected, for messages (never the password).
#[derive(Debug, Clone)]
pub struct Target {
    pub engine: Engine,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub database: String,
    /// The Postgres schema (`search_path`); on MySQL the database itself.
    pub schema: String,
    pub password_given: bool,
}

impl Target {
    fn of(settings: &DbSettings) -> Target {
        Target {
            engine: settings.engine.value,
            host: settings.host.value.clone(),
            port: settings.port.value,
            user: settings.user.value.clone(),
            database: settings.database.value.clone(),
            schema: match settings.engine.value {
                Engine::Mysql => settings.database.value.clone(),
                Engine::Postgres => settings.schema.value.clone(),
            },
            password_given: settings.password.is_some(),
        }
    }

    fn attempt(&self) -> Attempt<'_> {
        Attempt {
            engine: self.engine,
            host: &self.host,
            port: self.port,
            user: &self.user,
            database: &self.database,
            password_given: self.password_given,
        }
    }
}

/// A connection pool to the metadata database.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    target: Target,
    /// How long the first connection took.
    pub connect_time: Duration,
}

/// Opens the pool, its first connection made within `timeout`.
async fn open_pool(
    settings: &DbSettings,
    engine: Engine,
    timeout: Duration,
) -> Result<Pool, sqlx::Error> {
    match engine {
        Engine::Mysql => pool_options(timeout)
            .connect_with(mysql_options(settings, None))
            .await
            .map(Pool::Mysql),
        Engine::Postgres => pool_options(timeout)
            .connect_with(pg_options(settings, Some(&settings.database.value)))
            .await
            .map(Pool::Postgres),
    }
}

/// The pool either engine gets: [`POOL_SIZE`] connections at most, none kept open for
/// nothing, each made within `timeout` and with Nagle's delay off.
fn pool_options<DB: sqlx::Database>(timeout: Duration) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(POOL_SIZE)
        .min_connections(0)
        .acquire_timeout(timeout)
        .after_connect(|_, _| {
            Box::pin(async {
                nodelay::set_on_all_tcp_sockets();
                Ok(())
            })
        })
}

/// Connections per pool: enough for the checks to run side by side, few enough for a busy server.
const POOL_SIZE: u32 = 4;

/// One value of a result row, decoded whatever the column type.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Float(f) => Some(*f as i64),
            Cell::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Text(t) => Some(t.clone()),
            Cell::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        }
    }
}

impl Db {
    /// Connects, failing with a classified error after `settings.connect_timeout` at most.
    pub async fn connect(settings: &DbSettings) -> Result<Db, DbError> {
        let target = Target::of(settings);
        let timeout = settings.connect_timeout;
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        // Reach the port first: the pool retries refused connections until its timeout, and a
        // plain TCP attempt tells DNS, refusal, no route and silence apart.
        reach(&target, deadline, timeout).await?;
        let connecting = open_pool(settings, target.engine, timeout);
        let no_handshake = || DbError::NoHandshake {
            addr: target.attempt().addr(),
            engine: target.engine,
            after: timeout,
        };
        let pool = match tokio::time::timeout_at(deadline, connecting).await {
            Ok(Ok(pool)) => pool,
            Ok(Err(sqlx::Error::PoolTimedOut)) | Err(_) => return Err(no_handshake()),
            Ok(Err(error)) => return Err(classify(error, &target.attempt())),
        };
        let db = Db {
            pool,
            target,
            connect_time: started.elapsed(),
        };
        tracing::info!(
            engine = ?db.target.engine,
            host = %db.target.host,
            port = db.target.port,
            database = %db.target.database,
            user = %db.target.user,
            millis = db.connect_time.as_millis() as u64,
            "connected to the database"
        );
        if db.target.engine == Engine::Postgres {
            db.check_schema().await?;
        }
        Ok(db)
    }

    /// Fails when the Postgres schema the settings name does not exist in the database.
    async fn check_schema(&self) -> Result<(), DbError> {
        let exists = self
            .fetch_i64(
                "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = $1",
                &[&self.target.schema],
            )
            .await?;
        if exists == 0 {
            return Err(DbError::UnknownSchema {
                schema: self.target.schema.clone(),
                database: self.target.database.clone(),
            });
        }
        Ok(())
    }

    /// Connects to the server without choosing a database (to create or drop one).
    pub async fn connect_server(settings: &DbSettings) -> Result<Db, DbError> {
        let admin = match settings.engine.value {
            Engine::Mysql => settings.with_database(""),
            // Postgres always needs a database: `postgres` exists on every cluster.
            Engine::Postgres => settings.with_database("postgres"),
        };
        let mut admin = admin;
        admin.schema.value = "public".into();
        Db::connect(&admin).await
    }

    pub fn engine(&self) -> Engine {
        self.target.engine
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The MySQL pool (only for the engine-specific code of backup/restore).
    pub fn mysql_pool(&self) -> Option<&MySqlPool> {
        match &self.pool {
            Pool::Mysql(pool) => Some(pool),
            Pool::Postgres(_) => None,
        }
    }

    /// The Postgres pool (only for the engine-specific code of backup/restore).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Mysql(_) => None,
        }
    }

    /// Classifies an error that happened on this connection.
    pub fn error(&self, error: sqlx::Error) -> DbError {
        classify(error, &self.target.attempt())
    }

    /// Runs a statement that returns no rows (text binds only). `sql` must use the engine's
    /// placeholders (`?` on MySQL, `$1` on Postgres).
    pub async fn execute(&self, sql: &str, binds: &[&str]) -> Result<u64, DbError> {
        let sql = AssertSqlSafe(sql.to_string());
        let result = match &self.pool {
            Pool::Mysql(pool) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                q.execute(pool).await.map(|r| r.rows_affected())
            }
            Pool::Postgres(pool) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                q.execute(pool).await.map(|r| r.rows_affected())
            }
        };
        result.map_err(|e| self.error(e))
    }

    /// Runs a statement as plain text (no binds, several statements allowed).
    pub async fn execute_script(&self, sql: &str) -> Result<(), DbError> {
        let sql = AssertSqlSafe(sql.to_string());
        let result = match &self.pool {
            Pool::Mysql(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            Pool::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        };
        result.map_err(|e| self.error(e))
    }

    /// Runs a query and returns every row as [`Cell`]s.
    pub async fn fetch_rows(&self, sql: &str, binds: &[&str]) -> Result<Vec<Vec<Cell>>, DbError> {
        let sql = AssertSqlSafe(sql.to_string());
        let result = match &self.pool {
            Pool::Mysql(pool) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                q.fetch_all(pool)
                    .await
                    .map(|rows| rows.iter().map(mysql_cells).collect())
            }
            Pool::Postgres(pool) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                q.fetch_all(pool)
                    .await
                    .map(|rows| rows.iter().map(pg_cells).collect())
            }
        };
        result.map_err(|e| self.error(e))
    }

    /// Runs a query whose first row's first column is an integer (a count).
    pub async fn fetch_i64(&self, sql: &str, binds: &[&str]) -> Result<i64, DbError> {
        let rows = self.fetch_rows(sql, binds).await?;
        match rows.first().and_then(|r| r.first()) {
            Some(Cell::Null) => Ok(0),
            Some(cell) => cell
                .as_i64()
                .ok_or_else(|| DbError::Other(format!("expected a number, got {cell:?}"))),
            None => Err(DbError::Other("the query returned no row".into())),
        }
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Mysql(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// Resolves the host and opens (then drops) a TCP connection to the port.
async fn reach(
    target: &Target,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<(), DbError> {
    let addr = target.attempt().addr();
    let timed_out = || DbError::Timeout {
        addr: addr.clone(),
        after: timeout,
    };
    let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
    let addresses: Vec<_> = match tokio::time::timeout_at(deadline, lookup).await {
        Err(_) => return Err(timed_out()),
        Ok(Err(_)) => {
            return Err(DbError::Dns {
                host: target.host.clone(),
            });
        }
        Ok(Ok(addresses)) => addresses.collect(),
    };
    let mut last_error = None;
    for socket in addresses {
        match tokio::time::timeout_at(deadline, tokio::net::TcpStream::connect(socket)).await {
            Err(_) => return Err(timed_out()),
            Ok(Ok(_stream)) => return Ok(()),
            Ok(Err(error)) => last_error = Some(error),
        }
    }
    Err(match last_error {
        Some(error) => classify(sqlx::Error::Io(error), &target.attempt()),
        None => DbError::Dns {
            host: target.host.clone(),
        },
    })
}

fn mysql_options(settings: &DbSettings, database: Option<&str>) -> MySqlConnectOptions {
    let mut options = MySqlConnectOptions::new()
        .host(&settings.host.value)
        .port(settings.port.value)
        .username(&settings.user.value)
        .charset("utf8mb4")
        .ssl_mode(match settings.tls.value.mode {
            TlsMode::Disable => MySqlSslMode::Disabled,
            TlsMode::Prefer => MySqlSslMode::Preferred,
            TlsMode::Require => MySqlSslMode::Required,
            TlsMode::VerifyCa => MySqlSslMode::VerifyCa,
            TlsMode::VerifyFull => MySqlSslMode::VerifyIdentity,
        });
    let database = database.unwrap_or(&settings.database.value);
    if !database.is_empty() {
        options = options.database(database);
    }
    if let Some(password) = &settings.password {
        options = options.password(password.value.expose());
    }
    if let Some(ca) = &settings.tls.value.ca_file {
        options = options.ssl_ca(ca);
    }
    options
}

fn pg_options(settings: &DbSettings, database: Option<&str>) -> PgConnectOptions {
    let mut options = PgConnectOptions::new_without_pgpass()
        .host(&settings.host.value)
        .port(settings.port.value)
        .username(&settings.user.value)
        .database(database.unwrap_or(&settings.database.value))
        .application_name("om-upgrade")
        .options([("search_path", settings.schema.value.as_str())])
        .ssl_mode(match settings.tls.value.mode {
            TlsMode::Disable => PgSslMode::Disable,
            TlsMode::Prefer => PgSslMode::Prefer,
            TlsMode::Require => PgSslMode::Require,
            TlsMode::VerifyCa => PgSslMode::VerifyCa,
            TlsMode::VerifyFull => PgSslMode::VerifyFull,
        });
    if let Some(password) = &settings.password {
        options = options.password(password.value.expose());
    }
    if let Some(ca) = &settings.tls.value.ca_file {
        options = options.ssl_root_cert(ca);
    }
    options
}

pub(crate) fn mysql_cells(row: &MySqlRow) -> Vec<Cell> {
    (0..row.columns().len())
        .map(|i| {
            let type_name = row.column(i).type_info().name().to_ascii_uppercase();
            decode_cell(&type_name, |kind| match kind {
                Kind::Int => row
                    .try_get::<Option<i64>, _>(i)
                    .map(|v| v.map(Cell::Int))
                    .ok(),
                Kind::UInt => row
                    .try_get::<Option<u64>, _>(i)
                    .map(|v| v.map(|u| Cell::Int(u as i64)))
                    .ok(),
                Kind::Float => row
                    .try_get::<Option<f64>, _>(i)
                    .map(|v| v.map(Cell::Float))
                    .ok(),
                Kind::Text | Kind::Bytes | Kind::Bool => common_cell(row, i, kind),
            })
        })
        .collect()
}

pub(crate) fn pg_cells(row: &PgRow) -> Vec<Cell> {
    (0..row.columns().len())
        .map(|i| {
            let type_name = row.column(i).type_info().name().to_ascii_uppercase();
            decode_cell(&type_name, |kind| match kind {
                Kind::Int => row
                    .try_get::<Option<i64>, _>(i)
                    .or_else(|_| row.try_get::<Option<i32>, _>(i).map(|v| v.map(i64::from)))
                    .or_else(|_| row.try_get::<Option<i16>, _>(i).map(|v| v.map(i64::from)))
                    .map(|v| v.map(Cell::Int))
                    .ok(),
                Kind::UInt => None,
                Kind::Float => row
                    .try_get::<Option<f64>, _>(i)
                    .or_else(|_| row.try_get::<Option<f32>, _>(i).map(|v| v.map(f64::from)))
                    .map(|v| v.map(Cell::Float))
                    .ok(),
                Kind::Text | Kind::Bytes | Kind::Bool => common_cell(row, i, kind),
            })
        })
        .collect()
}

/// Text, bytes and booleans, which both drivers decode alike.
fn common_cell<R>(row: &R, i: usize, kind: Kind) -> Option<Option<Cell>>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    match kind {
        Kind::Text => row
            .try_get::<Option<String>, _>(i)
            .map(|v| v.map(Cell::Text))
            .ok(),
        Kind::Bytes => row
            .try_get::<Option<Vec<u8>>, _>(i)
            .map(|v| v.map(Cell::Bytes))
            .ok(),
        Kind::Bool => row
            .try_get::<Option<bool>, _>(i)
            .map(|v| v.map(|b| Cell::Int(b as i64)))
            .ok(),
        Kind::Int | Kind::UInt | Kind::Float => None,
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    UInt,
    Float,
    Text,
    Bytes,
    Bool,
}

/// Tries the decoders that fit the column type first, then the rest; a value no decoder
/// accepts becomes `Null` rather than an error (these rows are for inspection only).
fn decode_cell(type_name: &str, mut get: impl FnMut(Kind) -> Option<Option<Cell>>) -> Cell {
    let preferred: &[Kind] = if type_name.contains("UNSIGNED") {
        &[Kind::UInt, Kind::Int]
    } else if type_name.contains("INT") {
        &[Kind::Int, Kind::UInt]
    } else if type_name.contains("FLOAT") || type_name.contains("DOUBLE") || type_name == "REAL" {
        &[Kind::Float]
    } else if type_name.contains("BOOL") {
        &[Kind::Bool]
    } else if type_name.contains("BLOB") || type_name.contains("BINARY") || type_name == "BYTEA" {
        &[Kind::Bytes, Kind::Text]
    } else {
        &[Kind::Text, Kind::Bytes]
    };
    let all = [
        Kind::Int,
        Kind::UInt,
        Kind::Float,
        Kind::Bool,
        Kind::Text,
        Kind::Bytes,
    ];
    preferred
        .iter()
        .chain(all.iter())
        .find_map(|kind| get(*kind))
        .map(|value| value.unwrap_or(Cell::Null))
        .unwrap_or(Cell::Null)
}
