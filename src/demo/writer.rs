//! Batched multi-row INSERTs for the sample data, one buffer per table.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use sqlx::AssertSqlSafe;

use super::schema::{ColKind, JsonKind, TableDef, Ty, column_name, table_ref};
use crate::db::inspect::Product;
use crate::db::{Db, DbError};

/// One value to insert.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Text(String),
    Json(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Ts(NaiveDateTime),
    Date(NaiveDate),
}

impl Val {
    fn size(&self) -> usize {
        match self {
            Val::Text(s) | Val::Json(s) => s.len(),
            _ => 8,
        }
    }
}

/// Flush a table's buffer at this many bytes or rows (well under max_allowed_packet and the
/// 65535 bind parameters of both protocols).
const BATCH_BYTES: usize = 1 << 20;
const BATCH_ROWS: usize = 500;

struct Buffer {
    rows: Vec<Vec<Val>>,
    bytes: usize,
}

/// Writes rows into the sample tables.
pub struct Sink<'a> {
    db: &'a Db,
    product: Product,
    tables: BTreeMap<&'static str, TableDef>,
    buffers: BTreeMap<&'static str, Buffer>,
    /// Rows written (or buffered) per table.
    pub counts: BTreeMap<&'static str, u64>,
}

impl<'a> Sink<'a> {
    pub fn new(db: &'a Db, product: Product, tables: Vec<TableDef>) -> Self {
        Sink {
            db,
            product,
            tables: tables.into_iter().map(|t| (t.name, t)).collect(),
            buffers: BTreeMap::new(),
            counts: BTreeMap::new(),
        }
    }

    /// Queues a row (values in the order of the table's insertable columns).
    pub async fn push(&mut self, table: &'static str, row: Vec<Val>) -> Result<(), DbError> {
        let def = self
            .tables
            .get(table)
            .ok_or_else(|| DbError::Other(format!("sample data for unknown table {table}")))?;
        if def.insertable().len() != row.len() {
            return Err(DbError::Other(format!(
                "sample row for {table} has {} values for {} columns",
                row.len(),
                def.insertable().len()
            )));
        }
        let size: usize = row.iter().map(Val::size).sum();
        let buffer = self.buffers.entry(table).or_insert_with(|| Buffer {
            rows: Vec::new(),
            bytes: 0,
        });
        buffer.rows.push(row);
        buffer.bytes += size;
        *self.counts.entry(table).or_default() += 1;
        if buffer.bytes >= BATCH_BYTES || buffer.rows.len() >= BATCH_ROWS {
            self.flush(table).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, table: &'static str) -> Result<(), DbError> {
        let Some(buffer) = self.buffers.get_mut(table) else {
            return Ok(());
        };
        if buffer.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut buffer.rows);
        buffer.bytes = 0;
        let sql = insert_sql(self.product, &self.tables[table], rows.len());
        self.execute(table, sql, rows).await
    }

    /// Runs one multi-row INSERT into `table` with the rows' values bound in order.
    async fn execute(&self, table: &str, sql: String, rows: Vec<Vec<Val>>) -> Result<(), DbError> {
        macro_rules! bind_rows {
            ($query:expr) => {{
                let mut q = $query;
                for row in rows {
                    for value in row {
                        q = match value {
                            Val::Null => q.bind(None::<String>),
                            Val::Text(s) | Val::Json(s) => q.bind(s),
                            Val::Int(i) => q.bind(i),
                            Val::Float(f) => q.bind(f),
                            Val::Bool(b) => q.bind(b),
                            Val::Ts(t) => q.bind(t),
                            Val::Date(d) => q.bind(d),
                        };
                    }
                }
                q
            }};
        }
        let no_pool = || DbError::Other("no pool".into());
        let result = match self.product {
            Product::Postgres => {
                let pool = self.db.pg_pool().ok_or_else(no_pool)?;
                bind_rows!(sqlx::query(AssertSqlSafe(sql)))
                    .execute(pool)
                    .await
                    .map(drop)
            }
            _ => {
                let pool = self.db.mysql_pool().ok_or_else(no_pool)?;
                bind_rows!(sqlx::query(AssertSqlSafe(sql)))
                    .execute(pool)
                    .await
                    .map(drop)
            }
        };
        result.map_err(|e| {
            let error = self.db.error(e);
            DbError::Other(format!("inserting sample rows into {table}: {error}"))
        })
    }

    /// Writes everything still buffered.
    pub async fn finish(&mut self) -> Result<(), DbError> {
        let tables: Vec<&'static str> = self.buffers.keys().copied().collect();
        for table in tables {
            self.flush(table).await?;
        }
        Ok(())
    }
}

/// `INSERT INTO table (columns) VALUES (…), (…)` with one placeholder a value, for `rows` rows
/// (Postgres placeholders cast to the column's type).
fn insert_sql(product: Product, def: &TableDef, rows: usize) -> String {
    let columns = def.insertable();
    let pg = product == Product::Postgres;
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        table_ref(product, def),
        columns
            .iter()
            .map(|c| match product {
                Product::Postgres => format!("\"{}\"", column_name(product, c)),
                _ => format!("`{c}`"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for (c, column) in columns.iter().enumerate() {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            if pg {
                sql.push_str(&format!("CAST(${n} AS {})", pg_type(def, column)));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// Postgres type to cast a bound parameter to, so NULLs and numbers land in any column type.
fn pg_type(def: &TableDef, column: &str) -> &'static str {
    let kind = def.cols.iter().find(|c| c.name == column).map(|c| &c.kind);
    match kind {
        Some(ColKind::Json {
            kind: JsonKind::Jsonb,
            ..
        }) => "jsonb",
        Some(ColKind::Json {
            kind: JsonKind::PlainJson,
            ..
        }) => "json",
        Some(ColKind::Plain { ty, .. }) => match ty {
            Ty::BigInt => "bigint",
            Ty::Int => "integer",
            Ty::SmallInt => "smallint",
            Ty::Bool => "boolean",
            Ty::Double => "double precision",
            Ty::Timestamp => "timestamp",
            Ty::Date => "date",
            Ty::Varchar(_) | Ty::Ascii(_) | Ty::Text => "text",
        },
        _ => "text",
    }
}
