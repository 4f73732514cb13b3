//! The benchmark's floor: stream every row of every table over one sqlx connection and throw it
//! away (Postgres `COPY … TO STDOUT`, MySQL `SELECT` of the stored columns over the text
//! protocol). No backup can be faster than reading its data once; `scripts/bench-backup`
//! compares against this.
//!
//! Usage: cargo run --release --example stream_floor -- DB_URL

use futures_util::TryStreamExt;
use om_upgrade::config::{self, DbInputs, Env};
use om_upgrade::db::inspect::{self, quote_ident};
use om_upgrade::db::{Db, Engine};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: stream_floor DB_URL")?;
    let settings = config::resolve(
        &DbInputs {
            db_url: Some(url),
            ..Default::default()
        },
        &Env::from_process(),
    )?
    .settings;
    let db = Db::connect(&settings).await?;
    let tables = inspect::tables(&db).await?;
    let (mut rows, mut bytes) = (0u64, 0u64);
    match db.engine() {
        Engine::Postgres => {
            let mut conn = db.pg_pool().ok_or("no pool")?.acquire().await?;
            for table in &tables {
                let sql = format!(
                    "COPY {} TO STDOUT",
                    quote_ident(Engine::Postgres, &table.name)
                );
                let mut stream = conn.copy_out_raw(&sql).await?;
                while let Some(chunk) = stream.try_next().await? {
                    rows += 1;
                    bytes += chunk.len() as u64;
                }
            }
        }
        Engine::Mysql => {
            use sqlx::Row;
            let mut conn = db.mysql_pool().ok_or("no pool")?.acquire().await?;
            for table in &tables {
                // The stored columns only, as a backup reads them: generated ones are computed
                // from the JSON on every read, and a restore computes them again.
                let columns: Vec<String> = sqlx::query_scalar(
                    "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
                     WHERE table_schema = DATABASE() AND table_name = ? \
                     AND extra NOT LIKE '%GENERATED%' ORDER BY ordinal_position",
                )
                .bind(&table.name)
                .fetch_all(&mut *conn)
                .await?;
                let columns: Vec<String> = columns
                    .iter()
                    .map(|c| quote_ident(Engine::Mysql, c))
                    .collect();
                let sql = format!(
                    "SELECT {} FROM {}",
                    columns.join(", "),
                    quote_ident(Engine::Mysql, &table.name)
                );
                let mut stream = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
                while let Some(row) = stream.try_next().await? {
                    rows += 1;
                    for i in 0..row.len() {
                        let value: Option<&[u8]> = row.try_get_unchecked(i)?;
                        bytes += value.map_or(0, |v| v.len() as u64);
                    }
                }
            }
        }
    }
    println!("{rows} rows, {bytes} bytes");
    Ok(())
}
