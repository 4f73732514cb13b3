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
}

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

async fn fill(
    db: &Db,
    settings: &DbSettings,
    scale: u32,
    progress: &mut dyn Progress,
) -> Result<DemoSummary, DemoError> {
    let existing = inspect::tables(db).await?;
    if !existing.is_empty() {
        let what = match settings.engine.value {
            Engine::Mysql => format!("database '{}'", settings.database.value),
            Engine::Postgres => format!(
                "schema '{}' of database '{}'",
                settings.schema.value, settings.database.value
            ),
        };
        return Err(DemoError::NotEmpty {
            what,
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
