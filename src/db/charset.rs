//! Character sets: newer OpenMetadata migrations expect utf8mb4 on MySQL (a latin1 or utf8mb3
//! table or column makes them fail) and a UTF8 database on PostgreSQL. OpenMetadata's own
//! schema declares its hash columns (`fqnHash`, `nameHash`) `ascii`: ascii and binary are
//! subsets of utf8mb4 and are not reported.

use serde::Serialize;

use super::read::ReadQuery;
use super::{Cell, DbError, Engine};

/// A table or column that is not utf8mb4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotUtf8mb4 {
    pub table: String,
    /// `None` for the table's default.
    pub column: Option<String>,
    pub charset: String,
    pub collation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "engine", rename_all = "lowercase")]
pub enum Charsets {
    Mysql {
        database_charset: String,
        database_collation: String,
        /// Table defaults, then columns, in table order.
        not_utf8mb4: Vec<NotUtf8mb4>,
    },
    Postgres {
        encoding: String,
    },
}

impl Charsets {
    /// The tables that need converting (each once), in order.
    pub fn tables_to_convert(&self) -> Vec<&str> {
        let mut tables: Vec<&str> = Vec::new();
        if let Charsets::Mysql { not_utf8mb4, .. } = self {
            for item in not_utf8mb4 {
                if !tables.contains(&item.table.as_str()) {
                    tables.push(&item.table);
                }
            }
        }
        tables
    }
}

pub async fn charsets(q: &impl ReadQuery) -> Result<Charsets, DbError> {
    let text = |row: &Vec<Cell>, i: usize| row.get(i).and_then(Cell::as_text).unwrap_or_default();
    match q.engine() {
        Engine::Postgres => {
            let rows = q
                .rows(
                    "SELECT pg_encoding_to_char(encoding)::text FROM pg_database \
                     WHERE datname = current_database()",
                )
                .await?;
            Ok(Charsets::Postgres {
                encoding: rows.first().map(|r| text(r, 0)).unwrap_or_default(),
            })
        }
        Engine::Mysql => {
            let database = q
                .rows(
                    "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME \
                     FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
                )
                .await?;
            let database = database.first().cloned().unwrap_or_default();
            let tables = q
                .rows(
                    "SELECT t.TABLE_NAME, c.CHARACTER_SET_NAME, t.TABLE_COLLATION \
                     FROM information_schema.TABLES t \
                     JOIN information_schema.COLLATIONS c ON c.COLLATION_NAME = t.TABLE_COLLATION \
                     WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' \
                     AND c.CHARACTER_SET_NAME NOT IN ('utf8mb4', 'ascii', 'binary') \
                     ORDER BY t.TABLE_NAME",
                )
                .await?;
            let columns = q
                .rows(
                    "SELECT col.TABLE_NAME, col.COLUMN_NAME, col.CHARACTER_SET_NAME, \
                            col.COLLATION_NAME \
                     FROM information_schema.COLUMNS col \
                     JOIN information_schema.TABLES t \
                       ON t.TABLE_SCHEMA = col.TABLE_SCHEMA AND t.TABLE_NAME = col.TABLE_NAME \
                     WHERE col.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' \
                     AND col.CHARACTER_SET_NAME IS NOT NULL \
                     AND col.CHARACTER_SET_NAME NOT IN ('utf8mb4', 'ascii', 'binary') \
                     ORDER BY col.TABLE_NAME, col.ORDINAL_POSITION",
                )
                .await?;
            let mut not_utf8mb4: Vec<NotUtf8mb4> = tables
                .iter()
                .map(|r| NotUtf8mb4 {
                    table: text(r, 0),
                    column: None,
                    charset: text(r, 1),
                    collation: text(r, 2),
                })
                .chain(columns.iter().map(|r| NotUtf8mb4 {
                    table: text(r, 0),
                    column: Some(text(r, 1)),
                    charset: text(r, 2),
                    collation: text(r, 3),
                }))
                .collect();
            not_utf8mb4.sort_by(|a, b| (&a.table, &a.column).cmp(&(&b.table, &b.column)));
            Ok(Charsets::Mysql {
                database_charset: text(&database, 0),
                database_collation: text(&database, 1),
                not_utf8mb4,
            })
        }
    }
}
