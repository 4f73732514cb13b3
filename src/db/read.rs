//! Read-only queries, whoever runs them: the connection pool, or the one read-only transaction
//! a check run shares (`knowledge::probes::ProbeSession`). The installation's database checks
//! take this, so they run wherever the caller wants them.

use std::future::Future;

use super::{Cell, Db, DbError, Engine};

pub trait ReadQuery: Sync {
    fn engine(&self) -> Engine;

    /// Every row of `sql` (no binds: values are inlined with [`quote_literal`]).
    fn rows(&self, sql: &str) -> impl Future<Output = Result<Vec<Vec<Cell>>, DbError>> + Send;
}

impl ReadQuery for Db {
    fn engine(&self) -> Engine {
        Db::engine(self)
    }

    fn rows(&self, sql: &str) -> impl Future<Output = Result<Vec<Vec<Cell>>, DbError>> + Send {
        self.fetch_rows(sql, &[])
    }
}

/// A string literal for either engine: quotes doubled, and backslashes doubled too, because
/// MySQL reads them as escapes (standard_conforming_strings Postgres does not, and a doubled
/// backslash there would be two).
pub fn quote_literal(engine: Engine, text: &str) -> String {
    match engine {
        Engine::Mysql => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''")),
        Engine::Postgres => format!("'{}'", text.replace('\'', "''")),
    }
}

/// The first column of every row, as text.
pub fn texts(rows: &[Vec<Cell>]) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r.first().and_then(Cell::as_text))
        .collect()
}

/// Base tables of the schema (MySQL: the database) whose lower-cased name is one of `wanted`,
/// as the database spells them.
pub async fn find_tables(q: &impl ReadQuery, wanted: &[&str]) -> Result<Vec<String>, DbError> {
    let list = wanted
        .iter()
        .map(|t| quote_literal(q.engine(), &t.to_ascii_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match q.engine() {
        Engine::Mysql => format!(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_TYPE = 'BASE TABLE' AND LOWER(TABLE_NAME) IN ({list}) ORDER BY TABLE_NAME"
        ),
        Engine::Postgres => format!(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \
             current_schema() AND table_type = 'BASE TABLE' AND lower(table_name) IN ({list}) \
             ORDER BY table_name"
        ),
    };
    Ok(texts(&q.rows(&sql).await?))
}

/// The columns of `table`, as the database spells them.
pub async fn column_names(q: &impl ReadQuery, table: &str) -> Result<Vec<String>, DbError> {
    let name = quote_literal(q.engine(), table);
    let sql = match q.engine() {
        Engine::Mysql => format!(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = {name} ORDER BY ORDINAL_POSITION"
        ),
        Engine::Postgres => format!(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = \
             current_schema() AND table_name = {name} ORDER BY ordinal_position"
        ),
    };
    Ok(texts(&q.rows(&sql).await?))
}
