//! PostgreSQL loading steps both the one-transaction load and the staged parallel load use:
//! detached connections, `COPY … FROM stdin`, statements, and the rows the server reported per
//! table (counted from the COPY and INSERT results, not by scanning the tables afterwards).

use sqlx::PgConnection;

use super::load;
use super::types::RestoreError;
use crate::backup::lexer;
use crate::db::inspect::quote_ident;
use crate::db::{Db, DbError, Engine};

/// A connection of its own, outside the pool: when the work is cancelled mid-result it is
/// simply closed, instead of being drained and handed back to the pool. The pool's idle
/// connection (the one that inspected the target) is taken first: no new handshake.
pub(super) async fn detached(db: &Db) -> Result<PgConnection, RestoreError> {
    let pool = db
        .pg_pool()
        .ok_or_else(|| DbError::Other("not a Postgres connection".into()))?;
    let conn = pool.acquire().await.map_err(|e| db.error(e))?;
    Ok(conn.detach())
}

/// Runs a statement as text.
pub(super) async fn execute(
    db: &Db,
    conn: &mut PgConnection,
    sql: &str,
    line: u64,
) -> Result<u64, RestoreError> {
    let done = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *conn)
        .await
        .map_err(|e| load::statement_error(db, line, sql, e))?;
    Ok(done.rows_affected())
}

/// Ends the transaction open on `conn`: commits when `result` is `Ok`, rolls back otherwise.
pub(super) async fn end_transaction<T>(
    db: &Db,
    conn: &mut PgConnection,
    result: Result<T, RestoreError>,
) -> Result<T, RestoreError> {
    match result {
        Ok(done) => {
            sqlx::raw_sql("COMMIT")
                .execute(&mut *conn)
                .await
                .map_err(|e| db.error(e))?;
            Ok(done)
        }
        Err(e) => {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
            Err(e)
        }
    }
}

/// Loads one block of COPY data (complete rows) with `sql` (`COPY … FROM stdin`); gives the
/// rows the server stored.
pub(super) async fn copy_block(
    db: &Db,
    conn: &mut PgConnection,
    sql: &str,
    line: u64,
    data: Vec<u8>,
) -> Result<u64, RestoreError> {
    let failed = |e| load::statement_error(db, line, sql, e);
    let mut copy = conn.copy_in_raw(sql).await.map_err(failed)?;
    if let Err(e) = copy.send(data).await {
        let _ = copy.abort("the load stopped").await;
        return Err(failed(e));
    }
    copy.finish().await.map_err(failed)
}

/// Tries to take the locks on the tables the restore replaces this many times, this far apart.
const LOCK_TRIES: u32 = 40;
const LOCK_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// Takes the exclusive locks on `tables` (those of them that exist, named as the restore drops
/// them) inside the transaction open on `conn`, before the restore changes the target. A lock
/// another session holds (a running server, a transaction left open) is not waited on, which
/// would leave the restore hanging unseen for as long as that session lives: it is tried again
/// for a while (a short query ends), and then the restore fails naming the sessions; a cancel
/// stops it at once. The transaction stays usable either way (each try is in a savepoint).
pub(super) async fn lock_replaced(
    db: &Db,
    conn: &mut PgConnection,
    tables: &[String],
    what: &str,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<(), RestoreError> {
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT t FROM unnest($1::text[]) t WHERE to_regclass(quote_ident(t)) IS NOT NULL",
    )
    .bind(tables)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| db.error(e))?;
    if existing.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = existing
        .iter()
        .map(|t| quote_ident(Engine::Postgres, t))
        .collect();
    let lock = format!(
        "SAVEPOINT omu_lock; LOCK TABLE {} IN ACCESS EXCLUSIVE MODE NOWAIT; RELEASE SAVEPOINT omu_lock",
        names.join(", ")
    );
    for _ in 0..LOCK_TRIES {
        match sqlx::raw_sql(sqlx::AssertSqlSafe(lock.clone()))
            .execute(&mut *conn)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if lock_not_available(&e) => {
                execute(db, conn, "ROLLBACK TO SAVEPOINT omu_lock", 0).await?;
            }
            Err(e) => return Err(db.error(e).into()),
        }
        if cancel.is_cancelled() {
            return Err(RestoreError::Cancelled { untouched: true });
        }
        tokio::time::sleep(LOCK_PAUSE).await;
    }
    Err(RestoreError::TargetLocked {
        what: what.to_string(),
        holders: lock_holders(conn, &existing).await,
    })
}

fn lock_not_available(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "55P03")
}

/// The sessions holding locks on `tables`, for the operator to find them.
async fn lock_holders(conn: &mut PgConnection, tables: &[String]) -> String {
    let found: Result<Option<String>, _> = sqlx::query_scalar(
        "SELECT string_agg(DISTINCT format('pid %s, %s, %s, on %s', a.pid, \
         coalesce(nullif(a.application_name, ''), 'no application name'), a.state, l.relation::regclass), '; ') \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.granted AND l.pid <> pg_backend_pid() \
         AND l.relation IN (SELECT to_regclass(quote_ident(t)) FROM unnest($1::text[]) t)",
    )
    .bind(tables)
    .fetch_one(&mut *conn)
    .await;
    match found {
        Ok(Some(holders)) => holders,
        _ => "sessions not found; they may have ended".into(),
    }
}

/// Rows the server reported stored, per table; and whether a statement of the file may have
/// removed rows or tables behind those reports, so that the tables must be counted.
#[derive(Debug, Default)]
pub(super) struct Counts {
    rows: Vec<(String, u64)>,
    pub recount: bool,
}

impl Counts {
    pub fn add(&mut self, table: &str, rows: u64) {
        match self.rows.iter_mut().find(|(t, _)| t == table) {
            Some((_, n)) => *n += rows,
            None => self.rows.push((table.to_string(), rows)),
        }
    }

    pub fn merge(&mut self, other: Counts) {
        for (table, rows) in other.rows {
            self.add(&table, rows);
        }
        self.recount |= other.recount;
    }

    /// Notes a statement other than COPY: the rows an INSERT stored, a TRUNCATE that empties,
    /// anything unknown that may remove rows.
    pub fn statement(&mut self, sql: &str, rows_affected: u64) {
        let table = lexer::statement_table(sql);
        if load::is_insert(sql) {
            if let Some(table) = table {
                self.add(&table, rows_affected);
            }
        } else if starts_with(sql, "TRUNCATE") {
            match table {
                Some(table) => self.rows.retain(|(t, _)| *t != table),
                None => self.recount = true,
            }
        } else if !only_adds(sql) {
            self.recount = true;
        }
    }

    fn of(&self, table: &str) -> u64 {
        self.rows
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n)
    }
}

fn starts_with(sql: &str, prefix: &str) -> bool {
    sql.get(..prefix.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(prefix))
}

/// Statements that create objects or set rows' sources without removing rows: what
/// om-upgrade's SQL backups hold. After any other statement the tables are counted.
fn only_adds(sql: &str) -> bool {
    const ADDING: [&str; 13] = [
        "SET ",
        "CREATE SCHEMA ",
        "CREATE TABLE ",
        "CREATE SEQUENCE ",
        "CREATE INDEX ",
        "CREATE UNIQUE INDEX ",
        "CREATE EXTENSION ",
        "CREATE FUNCTION ",
        "CREATE OR REPLACE FUNCTION ",
        "CREATE OR REPLACE PROCEDURE ",
        "SELECT pg_catalog.setval(",
        "ALTER SEQUENCE ",
        "COPY ",
    ];
    ADDING.iter().any(|p| starts_with(sql, p))
        || (starts_with(sql, "ALTER TABLE ONLY ")
            && !sql.contains(';')
            && sql.to_ascii_uppercase().contains(" ADD CONSTRAINT "))
}

/// The base tables of the connection's current schema.
pub(super) async fn tables_of_current_schema(
    db: &Db,
    conn: &mut PgConnection,
) -> Result<Vec<String>, RestoreError> {
    sqlx::query_scalar::<_, String>(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| RestoreError::Db(db.error(e)))
}

/// The rows of `tables`: as the server reported them during the load, or counted with one
/// statement when a statement of the file may have changed them since.
pub(super) async fn counted(
    db: &Db,
    conn: &mut PgConnection,
    tables: &[String],
    counts: &Counts,
) -> Result<Vec<(String, u64)>, RestoreError> {
    if !counts.recount || tables.is_empty() {
        return Ok(tables.iter().map(|t| (t.clone(), counts.of(t))).collect());
    }
    let parts: Vec<String> = tables
        .iter()
        .map(|t| {
            format!(
                "(SELECT COUNT(*) FROM {})",
                quote_ident(Engine::Postgres, t)
            )
        })
        .collect();
    let sql = format!("SELECT ARRAY[{}]::bigint[]", parts.join(", "));
    let rows = sqlx::query_scalar::<_, Vec<i64>>(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| RestoreError::Db(db.error(e)))?;
    Ok(tables
        .iter()
        .cloned()
        .zip(rows.into_iter().map(|n| n.max(0) as u64))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_that_may_remove_rows_make_the_tables_counted() {
        let mut counts = Counts::default();
        counts.add("t", 5);
        counts.statement("INSERT INTO \"t\" (a) VALUES (1)", 1);
        counts.statement("CREATE INDEX i ON public.t USING btree (a)", 0);
        counts.statement(
            "ALTER TABLE ONLY \"t\" ADD CONSTRAINT \"k\" PRIMARY KEY (a)",
            0,
        );
        assert_eq!((counts.of("t"), counts.recount), (6, false));
        counts.statement("TRUNCATE TABLE \"t\"", 0);
        assert_eq!((counts.of("t"), counts.recount), (0, false));
        for sql in [
            "DROP TABLE IF EXISTS user_entity",
            "DELETE FROM \"t\"",
            "ALTER TABLE ONLY \"t\" ADD CONSTRAINT \"k\" PRIMARY KEY (a); DELETE FROM \"t\"",
        ] {
            let mut counts = Counts::default();
            counts.statement(sql, 0);
            assert!(counts.recount, "{sql}");
        }
    }
}
