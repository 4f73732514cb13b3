//! `demo`: a sample OpenMetadata 1.1.x database to rehearse on, and realistic data for tests
//! and benchmarks.

mod data;
pub mod schema;
mod writer;

use std::collections::BTreeMap;

use crate::config::DbSettings;
use crate::db::inspect::{self, Product};
use crate::db::{Db, DbError, Engine};
pub use data::Expected;

/// What `demo` built.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoSummary {
    pub database: String,
    pub product: Product,
    pub scale: u32,
    /// The schema version the sample's bookkeeping records.
    pub openmetadata_version: String,
    pub rows: BTreeMap<String, u64>,
    pub expected: Expected,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("{what} already has {tables} tables; demo only writes into an empty database")]
    NotEmpty { what: String, tables: usize },
    #[error("scale must be at least 1")]
    BadScale,
    #[error("{what} holds a sample database that was not finished (its last row is missing)")]
    Unfinished { what: String },
}

/// What [`create_if_missing`] did.
#[derive(Debug, Clone)]
pub enum Outcome {
    Created(DemoSummary),
    /// The database already held a finished sample; nothing was written.
    AlreadyThere(ExistingDemo),
}

/// A finished sample found in place.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExistingDemo {
    pub database: String,
    pub product: Product,
    pub tables: usize,
    /// Exact for small tables, the server's estimate for large ones.
    pub rows: u64,
}

/// How a sample is recognised: its fixture MySQL service's made-up Fernet token, which no real
/// installation holds.
const SIGNATURE: &str = "demo-not-a-real-token";

/// Progress of the sample build, for the command line to show.
pub trait Progress {
    fn unit_done(&mut self, done: u32, total: u32);
}

impl Progress for () {
    fn unit_done(&mut self, _: u32, _: u32) {}
}

/// Creates the database if needed, refuses a non-empty one, then writes the schema and
/// `scale` units of data (about 2 MB each).
pub async fn create(
    settings: &DbSettings,
    scale: u32,
    progress: &mut dyn Progress,
) -> Result<DemoSummary, DemoError> {
    if scale == 0 {
        return Err(DemoError::BadScale);
    }
    ensure_database(settings).await?;
    let db = Db::connect(settings).await?;
    let result = fill(&db, settings, scale, progress).await;
    db.close().await;
    result
}

/// [`create`], except that a database which already holds a finished sample is left as it is
/// (so the set-up command can be run again). A database with any other tables is still refused,
/// and so is an unfinished sample.
pub async fn create_if_missing(
    settings: &DbSettings,
    scale: u32,
    progress: &mut dyn Progress,
) -> Result<Outcome, DemoError> {
    if scale == 0 {
        return Err(DemoError::BadScale);
    }
    ensure_database(settings).await?;
    let db = Db::connect(settings).await?;
    let result = match find_existing(&db, settings).await {
        Ok(None) => fill(&db, settings, scale, progress)
            .await
            .map(Outcome::Created),
        Ok(Some(existing)) => Ok(Outcome::AlreadyThere(existing)),
        Err(error) => Err(error),
    };
    db.close().await;
    result
}

/// `None` for a database without tables; the finished sample it holds; or why it is refused.
async fn find_existing(db: &Db, settings: &DbSettings) -> Result<Option<ExistingDemo>, DemoError> {
    let existing = inspect::table_sizes(db).await?;
    if existing.is_empty() {
        return Ok(None);
    }
    let mut found: Vec<String> = existing.iter().map(|t| t.name.to_lowercase()).collect();
    let mut sample: Vec<String> = schema::tables()
        .iter()
        .map(|t| t.name.to_lowercase())
        .collect();
    found.sort();
    sample.sort();
    let signed = found == sample
        && {
            let json_text = match db.engine() {
                Engine::Mysql => "CAST(json AS CHAR)",
                Engine::Postgres => "json::text",
            };
            let sql = format!(
                "SELECT COUNT(*) FROM dbservice_entity WHERE name = 'prod_mysql' AND {json_text} LIKE '%{SIGNATURE}%'"
            );
            db.fetch_i64(&sql, &[]).await? == 1
        };
    if !signed {
        return Err(DemoError::NotEmpty {
            what: what(settings),
            tables: existing.len(),
        });
    }
    if db
        .fetch_i64("SELECT COUNT(*) FROM task_sequence", &[])
        .await?
        == 0
    {
        return Err(DemoError::Unfinished {
            what: what(settings),
        });
    }
    let tables = inspect::tables(db).await?;
    Ok(Some(ExistingDemo {
        database: settings.database.value.clone(),
        product: inspect::server_info(db).await?.product,
        tables: tables.len(),
        rows: tables
            .iter()
            .filter_map(|t| t.rows.value())
            .map(|n| n.max(0) as u64)
            .sum(),
    }))
}

/// The database (MySQL) or schema (Postgres) the sample goes into, for messages.
fn what(settings: &DbSettings) -> String {
    match settings.engine.value {
        Engine::Mysql => format!("database '{}'", settings.database.value),
        Engine::Postgres => format!(
            "schema '{}' of database '{}'",
            settings.schema.value, settings.database.value
        ),
    }
}

async fn fill(
    db: &Db,
    settings: &DbSettings,
    scale: u32,
    progress: &mut dyn Progress,
) -> Result<DemoSummary, DemoError> {
    let existing = inspect::tables(db).await?;
    if !existing.is_empty() {
        return Err(DemoError::NotEmpty {
            what: what(settings),
            tables: existing.len(),
        });
    }
    let product = inspect::server_info(db).await?.product;
    let tables = schema::tables();
    for table in &tables {
        db.execute_script(&schema::create_table(product, table))
            .await?;
        for index in schema::create_indexes(product, table) {
            db.execute_script(&index).await?;
        }
    }
    let mut sink = writer::Sink::new(db, product, tables);
    let mut generator = data::Generator::new(&mut sink);
    generator.bookkeeping().await?;
    let services = generator.fixtures().await?;
    for unit in 0..scale {
        generator.unit(unit, &services).await?;
        generator
            .duplicate_time_series(&format!(
                "{}.sales_{unit}.schema_0.orders_0.orders_0_row_count",
                if unit % 2 == 0 {
                    "prod_mysql"
                } else {
                    "analytics_pg"
                }
            ))
            .await?;
        progress.unit_done(unit + 1, scale);
    }
    generator.finish().await?;
    let expected = generator.expected.clone();
    if product == Product::Postgres {
        // Serial sequences continue after the explicit ids written above.
        for (table, column) in [
            ("openmetadata_settings", "id"),
            ("task_sequence", "id"),
            ("server_change_log", "installed_rank"),
        ] {
            db.execute_script(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 (SELECT COALESCE(MAX({column}), 1) FROM {table}))"
            ))
            .await?;
        }
    }
    Ok(DemoSummary {
        database: settings.database.value.clone(),
        product,
        scale,
        openmetadata_version: "1.1.5".into(),
        rows: sink
            .counts
            .iter()
            .map(|(t, n)| (t.to_string(), *n))
            .collect(),
        expected,
    })
}

/// Creates the database when it does not exist yet.
async fn ensure_database(settings: &DbSettings) -> Result<(), DbError> {
    match Db::connect(settings).await {
        Ok(db) => {
            db.close().await;
            return Ok(());
        }
        Err(DbError::UnknownDatabase { .. }) => {}
        Err(other) => return Err(other),
    }
    crate::db::admin::create_database(settings).await
}
