//! Creating and dropping databases and tables: for restores, scratch databases and samples.

use super::inspect::quote_ident;
pub use super::work_names::{
    SCRATCH_PREFIX, STAGING_PREFIX, UNFINISHED_RESTORE_TABLE, WORK_PREFIX,
};
use super::{Db, DbError, Engine};
use crate::config::DbSettings;

/// A staging database name that will not collide (with other runs, or other restores of this
/// process).
pub fn staging_name() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    format!(
        "{STAGING_PREFIX}{}_{}_{}",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// Creates the database `settings` names, in UTF-8 (utf8mb4 on MySQL).
pub async fn create_database(settings: &DbSettings) -> Result<(), DbError> {
    let name = quote_ident(settings.engine.value, &settings.database.value);
    let sql = match settings.engine.value {
        Engine::Mysql => format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"),
        Engine::Postgres => format!("CREATE DATABASE {name} ENCODING 'UTF8'"),
    };
    on_server(settings, &sql).await
}

/// Drops the database `settings` names, closing other sessions on Postgres.
pub async fn drop_database(settings: &DbSettings) -> Result<(), DbError> {
    let name = quote_ident(settings.engine.value, &settings.database.value);
    let sql = match settings.engine.value {
        Engine::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        Engine::Mysql => format!("DROP DATABASE IF EXISTS {name}"),
    };
    on_server(settings, &sql).await
}

async fn on_server(settings: &DbSettings, sql: &str) -> Result<(), DbError> {
    let admin = Db::connect_server(settings).await?;
    let result = admin.execute_script(sql).await;
    admin.close().await;
    result
}

/// The statements that drop `tables` whatever references them.
pub fn drop_tables_sql(engine: Engine, tables: &[String]) -> String {
    let mut script = match engine {
        Engine::Mysql => String::from("SET FOREIGN_KEY_CHECKS = 0;\n"),
        Engine::Postgres => String::new(),
    };
    let cascade = match engine {
        Engine::Postgres => " CASCADE",
        Engine::Mysql => "",
    };
    for table in tables {
        script.push_str(&format!(
            "DROP TABLE IF EXISTS {}{cascade};\n",
            quote_ident(engine, table)
        ));
    }
    script
}

/// Drops `tables` of the connected database.
pub async fn drop_tables(db: &Db, tables: &[String]) -> Result<(), DbError> {
    db.execute_script(&drop_tables_sql(db.engine(), tables))
        .await
}
