//! Running probes: read-only SQL on one connection of its own, inside one READ ONLY transaction
//! (MySQL `START TRANSACTION ... READ ONLY`, Postgres `BEGIN ... READ ONLY`), each statement
//! under a timeout. The database refuses any write in such a transaction, whatever a catalogue
//! file from `--releases-dir` says.

use std::time::Duration;

use serde::Serialize;
use sqlx::{AssertSqlSafe, Connection as _};
use tokio::sync::Mutex;

use super::model::{Effect, Probe, SchemaCondition};
use super::template;
use crate::db::{Cell, Db, DbError, Engine};

/// How long one probe statement may run.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// Sample rows shown as evidence, at most.
const SAMPLE_ROWS: usize = 5;
/// Characters of one sample row shown, at most.
const SAMPLE_CHARS: usize = 100;

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// Rows the item touches, with a few of them as examples.
    Found {
        count: i64,
        samples: Vec<String>,
    },
    /// Nothing the item touches.
    Clear,
    /// The probe has no SQL for this engine: the item does not concern it.
    NotApplicable {
        engine: Engine,
    },
    /// The probe is written for another schema (`if_table` / `if_no_table`): the data it
    /// looks for is kept elsewhere in this database, where a sibling probe counts it.
    OtherSchema {
        table: String,
        exists: bool,
    },
    MissingTable {
        table: String,
    },
    Failed {
        error: String,
        remediation: String,
    },
    TimedOut {
        seconds: u64,
    },
}

/// A probe's outcome and the sentence that says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeResult {
    pub probe: String,
    pub effect: Effect,
    #[serde(flatten)]
    pub outcome: ProbeOutcome,
    pub text: String,
}

impl ProbeResult {
    /// The count, when the probe ran (0 when nothing was found or it does not apply).
    pub fn count(&self) -> Option<i64> {
        match &self.outcome {
            ProbeOutcome::Found { count, .. } => Some(*count),
            ProbeOutcome::Clear
            | ProbeOutcome::NotApplicable { .. }
            | ProbeOutcome::OtherSchema { .. } => Some(0),
            _ => None,
        }
    }
}

/// Why a statement in the probe session failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("did not finish within {}s", .0.as_secs())]
    TimedOut(Duration),
}

enum Conn {
    Mysql(sqlx::MySqlConnection),
    Postgres(sqlx::PgConnection),
}

struct Open {
    conn: Conn,
    /// Base tables of the schema, read inside the transaction.
    tables: Vec<String>,
    /// Set while a statement runs: still set on the next use means the caller was cancelled
    /// mid-statement (a check's own timeout), and the connection is not trusted any more.
    busy: bool,
}

/// One connection in a READ ONLY transaction, shared by the probes of a run and used by one
/// probe at a time. Opened on first use; after a timeout the connection is dropped (the server
/// may still be busy with the statement) and the next probe opens a new one.
pub struct ProbeSession {
    state: Mutex<Option<Open>>,
    timeout: Duration,
}

impl Default for ProbeSession {
    fn default() -> Self {
        ProbeSession::new(PROBE_TIMEOUT)
    }
}

impl ProbeSession {
    pub fn new(timeout: Duration) -> Self {
        ProbeSession {
            state: Mutex::new(None),
            timeout,
        }
    }

    /// Runs a probe; never fails, a problem becomes the outcome.
    pub async fn run(&self, db: &Db, probe: &Probe) -> ProbeResult {
        let outcome = self.measure(db, probe).await;
        let text = describe(probe, &outcome);
        ProbeResult {
            probe: probe.id.clone(),
            effect: probe.effect,
            outcome,
            text,
        }
    }

    async fn measure(&self, db: &Db, probe: &Probe) -> ProbeOutcome {
        let Some(count_sql) = probe.count.for_engine(db.engine()) else {
            return ProbeOutcome::NotApplicable {
                engine: db.engine(),
            };
        };
        let failed = |error: ProbeError| match error {
            ProbeError::TimedOut(after) => ProbeOutcome::TimedOut {
                seconds: after.as_secs(),
            },
            ProbeError::Db(error) => ProbeOutcome::Failed {
                remediation: error.remediation(),
                error: error.to_string(),
            },
        };
        let mut state = self.state.lock().await;
        let tables = match self.open(db, &mut state).await {
            Ok(open) => &open.tables,
            Err(error) => return failed(error),
        };
        if let Some(condition) = &probe.schema
            && !condition.holds(tables)
        {
            let (SchemaCondition::TableExists(table) | SchemaCondition::TableMissing(table)) =
                condition;
            return ProbeOutcome::OtherSchema {
                table: table.clone(),
                exists: matches!(condition, SchemaCondition::TableMissing(_)),
            };
        }
        if let Some(missing) = probe
            .tables
            .iter()
            .find(|t| !tables.iter().any(|have| have.eq_ignore_ascii_case(t)))
        {
            return ProbeOutcome::MissingTable {
                table: missing.clone(),
            };
        }
        let rows = match self.fetch_locked(db, &mut state, count_sql).await {
            Ok(rows) => rows,
            Err(error) => return failed(error),
        };
        let Some(count) = rows.first().and_then(|r| r.first()).and_then(count_of) else {
            return ProbeOutcome::Failed {
                error: "the probe's count query did not return a number".into(),
                remediation: "Fix the probe's SQL in the release catalogue (cast the count to \
                              BIGINT / SIGNED)."
                    .into(),
            };
        };
        if count == 0 {
            return ProbeOutcome::Clear;
        }
        let samples = match probe
            .sample
            .as_ref()
            .and_then(|s| s.for_engine(db.engine()))
        {
            None => Vec::new(),
            Some(sql) => match self.fetch_locked(db, &mut state, sql).await {
                Ok(rows) => rows
                    .iter()
                    .take(SAMPLE_ROWS)
                    .map(|r| sample_line(r))
                    .collect(),
                Err(error) => vec![format!("(no examples: {error})")],
            },
        };
        ProbeOutcome::Found { count, samples }
    }

    /// Runs one query inside the session's read-only transaction.
    pub async fn query(&self, db: &Db, sql: &str) -> Result<Vec<Vec<Cell>>, ProbeError> {
        let mut state = self.state.lock().await;
        self.open(db, &mut state).await?;
        self.fetch_locked(db, &mut state, sql).await
    }

    /// Ends the transaction and closes the connection, if one is open.
    pub async fn close(&self) {
        let Some(open) = self.state.lock().await.take() else {
            return;
        };
        match open.conn {
            Conn::Mysql(mut conn) => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
                let _ = conn.close().await;
            }
            Conn::Postgres(mut conn) => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
                let _ = conn.close().await;
            }
        }
    }

    async fn open<'s>(&self, db: &Db, state: &'s mut Option<Open>) -> Result<&'s Open, ProbeError> {
        if state.as_ref().is_some_and(|open| open.busy) {
            *state = None;
        }
        if state.is_none() {
            let opening = open(db);
            let open = tokio::time::timeout(self.timeout, opening)
                .await
                .map_err(|_| ProbeError::TimedOut(self.timeout))??;
            *state = Some(open);
        }
        state
            .as_ref()
            .ok_or_else(|| ProbeError::Db(DbError::Other("no probe connection".into())))
    }

    async fn fetch_locked(
        &self,
        db: &Db,
        state: &mut Option<Open>,
        sql: &str,
    ) -> Result<Vec<Vec<Cell>>, ProbeError> {
        let Some(open) = state.as_mut() else {
            return Err(ProbeError::Db(DbError::Other("no probe connection".into())));
        };
        open.busy = true;
        let result = tokio::time::timeout(self.timeout, fetch(db, &mut open.conn, sql)).await;
        open.busy = false;
        match result {
            Ok(result) => Ok(result?),
            Err(_) => {
                // The statement may still run on the server; this connection is given up.
                *state = None;
                Err(ProbeError::TimedOut(self.timeout))
            }
        }
    }
}

/// A connection of its own (detached from the pool, so it never goes back to it inside the
/// transaction), in a READ ONLY transaction with one consistent snapshot.
async fn open(db: &Db) -> Result<Open, ProbeError> {
    let tables_sql = match db.engine() {
        Engine::Mysql => {
            "SELECT TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
        }
        Engine::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let mut conn = if let Some(pool) = db.mysql_pool() {
        let mut conn = pool.acquire().await.map_err(|e| db.error(e))?.detach();
        sqlx::raw_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            .execute(&mut conn)
            .await
            .map_err(|e| db.error(e))?;
        Conn::Mysql(conn)
    } else if let Some(pool) = db.pg_pool() {
        let mut conn = pool.acquire().await.map_err(|e| db.error(e))?.detach();
        sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut conn)
            .await
            .map_err(|e| db.error(e))?;
        Conn::Postgres(conn)
    } else {
        return Err(DbError::Other("unsupported database pool".into()).into());
    };
    let tables = fetch(db, &mut conn, tables_sql)
        .await?
        .iter()
        .filter_map(|row| row.first().and_then(Cell::as_text))
        .collect();
    Ok(Open {
        conn,
        tables,
        busy: false,
    })
}

async fn fetch(db: &Db, conn: &mut Conn, sql: &str) -> Result<Vec<Vec<Cell>>, DbError> {
    let sql = AssertSqlSafe(sql.to_string());
    match conn {
        Conn::Mysql(conn) => sqlx::query(sql)
            .fetch_all(&mut *conn)
            .await
            .map(|rows| rows.iter().map(crate::db::mysql_cells).collect())
            .map_err(|e| db.error(e)),
        Conn::Postgres(conn) => {
            // An error aborts a Postgres transaction; a savepoint keeps the later probes going.
            sqlx::raw_sql("SAVEPOINT om_upgrade_probe")
                .execute(&mut *conn)
                .await
                .map_err(|e| db.error(e))?;
            let result = sqlx::query(sql).fetch_all(&mut *conn).await;
            let end = if result.is_ok() {
                "RELEASE SAVEPOINT om_upgrade_probe"
            } else {
                "ROLLBACK TO SAVEPOINT om_upgrade_probe"
            };
            sqlx::raw_sql(end)
                .execute(&mut *conn)
                .await
                .map_err(|e| db.error(e))?;
            result
                .map(|rows| rows.iter().map(crate::db::pg_cells).collect())
                .map_err(|e| db.error(e))
        }
    }
}

/// The count in a result cell. NULL is not a count: it is also what a column of a type the
/// decoder does not know (such as Postgres `numeric`) reads as, so probes cast to BIGINT.
fn count_of(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Null => None,
        Cell::Text(t) => t.trim().split('.').next().and_then(|n| n.parse().ok()),
        other => other.as_i64(),
    }
}

/// One sample row on one line: cells joined, whitespace collapsed, long text cut.
fn sample_line(row: &[Cell]) -> String {
    let text = row
        .iter()
        .map(|c| c.as_text().unwrap_or_else(|| "NULL".into()))
        .collect::<Vec<_>>()
        .join(" · ");
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > SAMPLE_CHARS {
        let cut: String = collapsed.chars().take(SAMPLE_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        collapsed
    }
}

/// The sentence for an outcome: the probe's own words for found / clear, else why it is unknown.
pub fn describe(probe: &Probe, outcome: &ProbeOutcome) -> String {
    match outcome {
        ProbeOutcome::Found { count, samples } => template::fill(
            &probe.affects,
            *count,
            samples.first().map_or("?", String::as_str),
        ),
        ProbeOutcome::Clear => probe.clear.clone(),
        ProbeOutcome::NotApplicable { engine } => {
            let only = match engine {
                Engine::Mysql => "PostgreSQL",
                Engine::Postgres => "MySQL",
            };
            format!("{} is a {only}-only concern", probe.id)
        }
        ProbeOutcome::OtherSchema { table, exists } => format!(
            "{} does not apply: this database {} table {table}",
            probe.id,
            if *exists { "already has" } else { "has no" }
        ),
        ProbeOutcome::MissingTable { table } => {
            format!("unknown: table {table} does not exist")
        }
        ProbeOutcome::Failed { error, .. } => format!("unknown: the probe could not run: {error}"),
        ProbeOutcome::TimedOut { seconds } => {
            format!("unknown: the probe did not finish within {seconds}s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::model::EngineSql;

    fn probe() -> Probe {
        Probe {
            id: "p".into(),
            effect: Effect::Affects,
            tables: vec!["t".into()],
            schema: None,
            count: EngineSql {
                mysql: Some("SELECT 1".into()),
                postgres: None,
            },
            sample: None,
            affects: "{count} rows, such as {first}".into(),
            clear: "no rows".into(),
        }
    }

    #[test]
    fn outcomes_read_as_sentences() {
        let p = probe();
        let found = ProbeOutcome::Found {
            count: 37,
            samples: vec!["q1".into()],
        };
        assert_eq!(describe(&p, &found), "37 rows, such as q1");
        assert_eq!(describe(&p, &ProbeOutcome::Clear), "no rows");
        assert_eq!(
            describe(
                &p,
                &ProbeOutcome::MissingTable {
                    table: "suggestions".into()
                }
            ),
            "unknown: table suggestions does not exist"
        );
    }

    #[test]
    fn sample_rows_fit_on_one_line() {
        let long = "SELECT *\n  FROM t ".repeat(20);
        let line = sample_line(&[Cell::Text(long), Cell::Int(3)]);
        assert!(!line.contains('\n'));
        assert_eq!(line.chars().count(), SAMPLE_CHARS);
        assert!(line.ends_with('…'));
        assert_eq!(
            sample_line(&[Cell::Text("a".into()), Cell::Null]),
            "a · NULL"
        );
        assert_eq!(count_of(&Cell::Text("12".into())), Some(12));
        assert_eq!(count_of(&Cell::Null), None);
    }
}
