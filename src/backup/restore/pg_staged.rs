//! The parallel PostgreSQL restore (`--jobs N`, om-upgrade SQL backups): tables created in a
//! staging schema, data loaded and keys and indexes built there on N connections, then one
//! transaction switches the staged tables into the target schema (see `postgres` for the
//! rollback story). The target is untouched until that transaction commits.

use std::sync::Arc;

use sqlx::{Connection, PgConnection};
use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;

use super::load::{self, Items, Loaded};
use super::pg_load::{self, Counts};
use super::types::{Accepted, Done, RestoreError};
use crate::backup::lexer::{self, Item, LexError};
use crate::backup::progress::Reporter;
use crate::db::inspect::quote_ident;
use crate::db::{Db, Engine, admin};

/// Items read ahead to judge the file's schema part; a file with more is loaded on one
/// connection.
const PRELUDE_ITEMS: usize = 20_000;
/// COPY data handed to a loader at a time (whole rows; a bigger block is split).
const UNIT_BYTES: usize = 1 << 20;

/// Reads the file's schema part (everything before its first COPY) ahead and gives it back to
/// `items`: true when it can be created in a staging schema (settings, schemas, tables,
/// sequences), false when it holds anything else (functions, extensions: they name their
/// schema, so they would land in the target) and the file loads in one transaction.
pub(super) async fn stageable(items: &mut Items) -> bool {
    let mut ahead = Vec::new();
    let mut stageable = true;
    while let Some(item) = items.recv().await {
        let (stop, fits) = match &item {
            Ok(Item::Statement { sql, .. }) if load::is_copy_from_stdin(sql) => (true, true),
            Ok(Item::Statement { sql, .. }) => (false, schema_statement(sql)),
            Ok(Item::Comment { .. } | Item::Meta { .. }) => (false, true),
            Ok(_) | Err(_) => (true, false),
        };
        ahead.push(item);
        stageable &= fits;
        if stop || !stageable || ahead.len() >= PRELUDE_ITEMS {
            stageable &= stop;
            break;
        }
    }
    items.put_back(ahead);
    stageable
}

fn schema_statement(sql: &str) -> bool {
    [
        "SET ",
        "CREATE SCHEMA ",
        "CREATE TABLE ",
        "CREATE SEQUENCE ",
    ]
    .iter()
    .any(|p| {
        sql.get(..p.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(p))
    })
}

/// Loads the file through a staging schema on `accepted.jobs` connections, `leader` first;
/// the staging schema is dropped whatever happens, except a kill.
pub(super) async fn run(
    db: &Db,
    leader: PgConnection,
    accepted: &Accepted,
    mut items: Items,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    let staging = admin::staging_name();
    let mut conns = vec![leader];
    conns.extend(more_connections(db, accepted.jobs - 1).await);
    let mut notes = Vec::new();
    if conns.len() < accepted.jobs {
        notes.push(format!(
            "loaded on {} of the {} connections asked for (the server refused more)",
            conns.len(),
            accepted.jobs
        ));
    }
    let mut stage = Stage {
        db,
        staging: &staging,
        accepted,
        reporter,
        cancel,
    };
    let result = stage.load(&mut conns, &mut items).await;
    let result = match result {
        Ok(later) => stage.switch(&mut conns[0], later).await,
        Err(e) => Err(e),
    };
    match (&result, conns.first_mut()) {
        (Ok(_), Some(conn)) => notes.extend(other_stagings(conn).await),
        (Ok(_), None) => {}
        (Err(_), leader) => drop_staging(db, leader, &staging).await,
    }
    for conn in conns {
        let _ = conn.close().await;
    }
    result.map(|mut done| {
        done.notes.extend(notes);
        done
    })
}

/// `n` more connections to the target database, opened together (each one handshake).
async fn more_connections(db: &Db, n: usize) -> Vec<PgConnection> {
    let opening = (0..n).map(|_| pg_load::detached(db));
    futures_util::future::join_all(opening)
        .await
        .into_iter()
        .filter_map(|c| {
            c.inspect_err(|e| tracing::warn!("loading with fewer connections: {e}"))
                .ok()
        })
        .collect()
}

/// A note naming the staging schemas of other restores (killed ones leave theirs).
async fn other_stagings(conn: &mut PgConnection) -> Option<String> {
    let pattern = format!("{}%", admin::STAGING_PREFIX.replace('_', "\\_"));
    let names = sqlx::query_scalar::<_, String>(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1",
    )
    .bind(pattern)
    .fetch_all(&mut *conn)
    .await
    .ok()?;
    (!names.is_empty()).then(|| {
        format!(
            "staging schemas of other restores, still running or killed, are in the database: {}; \
             they hold no part of the target: drop them (DROP SCHEMA … CASCADE) when no restore runs",
            names.join(", ")
        )
    })
}

/// Drops the staging schema of a failed restore (on a new connection when the leader's broke).
async fn drop_staging(db: &Db, leader: Option<&mut PgConnection>, staging: &str) {
    let sql = format!(
        "DROP SCHEMA IF EXISTS {} CASCADE",
        quote_ident(Engine::Postgres, staging)
    );
    if let Some(conn) = leader
        && sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await
            .is_ok()
    {
        return;
    }
    let _ = db.execute_script(&sql).await;
}

/// Statements of the file with their line numbers.
type Statements = Vec<(String, u64)>;

/// What the loaders are handed.
enum Work {
    /// Whole rows of one COPY block.
    Copy {
        sql: Arc<str>,
        line: u64,
        table: Arc<str>,
        data: Vec<u8>,
    },
    /// Statements building one table's keys and indexes.
    Statements(Vec<(String, u64)>),
}

/// What the staged load works with.
struct Stage<'a> {
    db: &'a Db,
    staging: &'a str,
    accepted: &'a Accepted,
    reporter: &'a Reporter,
    cancel: &'a CancellationToken,
}

/// What the load leaves for the switch: the statements to run in it, what was sent, the rows
/// the server stored.
struct Later {
    statements: Vec<(String, u64)>,
    loaded: Loaded,
    counts: Counts,
}

impl Stage<'_> {
    /// Creates the staging schema and the tables, loads the data and builds the keys and
    /// indexes there; returns what the switch still has to do.
    async fn load(
        &mut self,
        conns: &mut Vec<PgConnection>,
        items: &mut Items,
    ) -> Result<Later, RestoreError> {
        let mut loaded = Loaded::default();
        let sets = self
            .create_tables(&mut conns[0], items, &mut loaded)
            .await?;
        for conn in conns.iter_mut().skip(1) {
            for set in &sets {
                pg_load::execute(self.db, conn, set, 0).await?;
            }
        }
        let (tx, rx) = mpsc::channel(conns.len());
        let (loaders, stop) = self.spawn(std::mem::take(conns), rx, true);
        let dispatched = self.dispatch(items, tx, &mut loaded, &stop).await;
        if dispatched.is_err() {
            stop.cancel();
        }
        let (back, counted) = loaders.finish().await;
        *conns = back;
        let (post, mut counts) = match (dispatched, counted) {
            (Ok(post), Ok(counts)) => (post, counts),
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e),
            // The loader's error, unless the file's (the loaders were stopped for it).
            (Err(e), Err(l)) => return Err(if is_stop(&e) { l } else { e }),
        };
        items.check_whole(self.accepted).await?;
        loaded.finish(self.reporter);
        let (staged, statements) = split_post_data(post, &self.file_schema());
        let (tx, rx) = mpsc::channel(staged.len().max(1));
        for group in staged {
            let _ = tx.send(Work::Statements(group)).await;
        }
        drop(tx);
        let (builders, _) = self.spawn(std::mem::take(conns), rx, false);
        let (back, built) = builders.finish().await;
        *conns = back;
        counts.merge(built?);
        Ok(Later {
            statements,
            loaded,
            counts,
        })
    }

    /// The schema the backup was taken from, which its index statements name.
    fn file_schema(&self) -> String {
        let manifest = self.accepted.manifest.as_ref();
        manifest
            .and_then(|m| m.source.schema.clone())
            .unwrap_or_else(|| self.target_schema())
    }

    fn target_schema(&self) -> String {
        self.accepted.request.settings.schema.value.clone()
    }

    /// The schema part of the file, in the staging schema, in one transaction on `conn`; gives
    /// the session settings every loader runs first.
    async fn create_tables(
        &self,
        conn: &mut PgConnection,
        items: &mut Items,
        loaded: &mut Loaded,
    ) -> Result<Vec<String>, RestoreError> {
        let db = self.db;
        let staging = quote_ident(Engine::Postgres, self.staging);
        pg_load::execute(db, conn, &format!("BEGIN; CREATE SCHEMA {staging}"), 0).await?;
        let path = format!("SET search_path = {staging}, pg_catalog");
        pg_load::execute(db, conn, &path, 0).await?;
        let mut sets = Vec::new();
        let result = async {
            while let Some(item) = items.recv().await {
                let (sql, line) = match item? {
                    Item::Statement { sql, line } => (sql, line),
                    Item::Comment { text, .. } => {
                        loaded.comment(&text);
                        continue;
                    }
                    Item::BinaryStatement { line, .. } => {
                        return Err(LexError::NotUtf8 { line }.into());
                    }
                    Item::Meta { .. } | Item::CopyData { .. } | Item::CopyEnd { .. } => continue,
                };
                if load::is_copy_from_stdin(&sql) {
                    items.put_back(vec![Ok(Item::Statement { sql, line })]);
                    break;
                }
                loaded.statements += 1;
                let upper = sql.to_ascii_uppercase();
                if upper.starts_with("SET SEARCH_PATH") || upper.starts_with("CREATE SCHEMA") {
                    continue;
                }
                pg_load::execute(db, conn, &sql, line).await?;
                if upper.starts_with("SET ") {
                    sets.push(sql);
                } else if let Some(table) = lexer::statement_table(&sql) {
                    loaded.switch_to(&table, self.reporter);
                }
            }
            Ok(())
        }
        .await;
        pg_load::end_transaction(db, conn, result).await?;
        sets.push(path);
        Ok(sets)
    }

    /// Starts one loader per connection on the work of `rx`; `in_transaction`: each loader's
    /// work is one transaction (the data), else each statement commits alone (keys and
    /// indexes: locks held no longer than a statement, so loaders cannot deadlock).
    fn spawn(
        &self,
        conns: Vec<PgConnection>,
        rx: mpsc::Receiver<Work>,
        in_transaction: bool,
    ) -> (Loaders, CancellationToken) {
        let stop = self.cancel.child_token();
        let queue = Arc::new(Mutex::new(rx));
        let handles = conns
            .into_iter()
            .map(|conn| {
                let loader = loader(
                    self.db.clone(),
                    conn,
                    queue.clone(),
                    stop.clone(),
                    in_transaction,
                );
                tokio::spawn(loader)
            })
            .collect();
        (Loaders { handles }, stop)
    }
}

/// Loaders at work.
struct Loaders {
    handles: Vec<tokio::task::JoinHandle<Result<(PgConnection, Counts), RestoreError>>>,
}

impl Loaders {
    /// Waits for every loader; gives back the connections of those that finished and their
    /// counts, or the first real error (a loader stopped because another failed says less).
    async fn finish(self) -> (Vec<PgConnection>, Result<Counts, RestoreError>) {
        let mut conns = Vec::new();
        let mut counts = Counts::default();
        let mut error: Option<RestoreError> = None;
        for handle in self.handles {
            let outcome = handle.await.unwrap_or_else(|e| {
                Err(RestoreError::Db(crate::db::DbError::Other(e.to_string())))
            });
            match outcome {
                Ok((conn, c)) => {
                    conns.push(conn);
                    counts.merge(c);
                }
                Err(e) => {
                    let stopped = matches!(e, RestoreError::Cancelled { .. });
                    if error
                        .as_ref()
                        .is_none_or(|old| matches!(old, RestoreError::Cancelled { .. }) && !stopped)
                    {
                        error = Some(e);
                    }
                }
            }
        }
        (conns, error.map_or(Ok(counts), Err))
    }
}

/// A loader stopped because another failed (or the operator cancelled).
fn is_stop(error: &RestoreError) -> bool {
    matches!(error, RestoreError::Cancelled { .. })
}

/// One loader: takes work from the queue until it is empty, on its own connection.
async fn loader(
    db: Db,
    mut conn: PgConnection,
    queue: Arc<Mutex<mpsc::Receiver<Work>>>,
    stop: CancellationToken,
    in_transaction: bool,
) -> Result<(PgConnection, Counts), RestoreError> {
    if in_transaction {
        pg_load::execute(&db, &mut conn, "BEGIN", 0).await?;
    }
    let worked = async {
        let mut counts = Counts::default();
        loop {
            let work = tokio::select! {
                work = async { queue.lock().await.recv().await } => work,
                () = stop.cancelled() => return Err(RestoreError::Cancelled { untouched: true }),
            };
            match work {
                None => return Ok(counts),
                Some(Work::Copy {
                    sql,
                    line,
                    table,
                    data,
                }) => {
                    let rows = pg_load::copy_block(&db, &mut conn, &sql, line, data).await?;
                    counts.add(&table, rows);
                }
                Some(Work::Statements(statements)) => {
                    for (sql, line) in statements {
                        let rows = pg_load::execute(&db, &mut conn, &sql, line).await?;
                        counts.statement(&sql, rows);
                    }
                }
            }
        }
    }
    .await;
    if worked.is_err() {
        stop.cancel();
    }
    let counts = match in_transaction {
        true => pg_load::end_transaction(&db, &mut conn, worked).await?,
        false => worked?,
    };
    Ok((conn, counts))
}

impl Stage<'_> {
    /// Hands the file's COPY blocks to the loaders, in units of whole rows; gives the
    /// statements after the data (keys, indexes, foreign keys, sequence positions).
    async fn dispatch(
        &self,
        items: &mut Items,
        tx: mpsc::Sender<Work>,
        loaded: &mut Loaded,
        stop: &CancellationToken,
    ) -> Result<Vec<(String, u64)>, RestoreError> {
        let mut post = Vec::new();
        while let Some(item) = items.recv().await {
            if self.cancel.is_cancelled() || stop.is_cancelled() {
                return Err(RestoreError::Cancelled { untouched: true });
            }
            let Some((sql, line)) = loaded.statement(item)? else {
                continue;
            };
            if !load::is_copy_from_stdin(&sql) {
                post.push((sql, line));
                continue;
            }
            let table: Arc<str> = lexer::statement_table(&sql).unwrap_or_default().into();
            loaded.switch_to(&table, self.reporter);
            self.send_block(items, &tx, sql.into(), line, table, loaded, stop)
                .await?;
        }
        Ok(post)
    }

    /// Reads one COPY block's rows and hands them out in units of about [`UNIT_BYTES`].
    #[allow(clippy::too_many_arguments)]
    async fn send_block(
        &self,
        items: &mut Items,
        tx: &mpsc::Sender<Work>,
        sql: Arc<str>,
        line: u64,
        table: Arc<str>,
        loaded: &mut Loaded,
        stop: &CancellationToken,
    ) -> Result<(), RestoreError> {
        let mut unit = Vec::new();
        loop {
            let end = match items.recv().await {
                Some(Ok(Item::CopyData { data, rows })) => {
                    loaded.add(rows, data.len() as u64, self.reporter);
                    unit.extend_from_slice(&data);
                    false
                }
                Some(Ok(Item::CopyEnd { .. })) => true,
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(_)) | None => return Err(LexError::UnterminatedCopy { line }.into()),
            };
            if (end && !unit.is_empty()) || unit.len() >= UNIT_BYTES {
                let work = Work::Copy {
                    sql: sql.clone(),
                    line,
                    table: table.clone(),
                    data: std::mem::take(&mut unit),
                };
                tokio::select! {
                    sent = tx.send(work) => sent.map_err(|_| RestoreError::Cancelled { untouched: true })?,
                    () = stop.cancelled() => return Err(RestoreError::Cancelled { untouched: true }),
                }
            }
            if end {
                return Ok(());
            }
        }
    }

    /// One transaction on `conn` puts the staged tables in the place of the target's: drops the
    /// replaced tables, moves the staged tables and sequences into the target schema, runs the
    /// statements left for it, checks the rows, drops the empty staging schema; commits only
    /// when the rows match.
    async fn switch(&self, conn: &mut PgConnection, later: Later) -> Result<Done, RestoreError> {
        pg_load::execute(self.db, conn, "BEGIN", 0).await?;
        let result = self.switch_in_transaction(conn, later).await;
        pg_load::end_transaction(self.db, conn, result).await
    }

    async fn switch_in_transaction(
        &self,
        conn: &mut PgConnection,
        later: Later,
    ) -> Result<Done, RestoreError> {
        let db = self.db;
        let Later {
            statements,
            loaded,
            mut counts,
        } = later;
        let target = quote_ident(Engine::Postgres, &self.target_schema());
        let sql = format!("SET LOCAL search_path = {target}, pg_catalog");
        pg_load::execute(db, conn, &sql, 0).await?;
        if !self.accepted.replaces.is_empty() {
            let (replaces, what) = (&self.accepted.replaces, self.accepted.what());
            pg_load::lock_replaced(db, conn, replaces, &what, self.cancel).await?;
            let sql = admin::drop_tables_sql(Engine::Postgres, &self.accepted.replaces);
            pg_load::execute(db, conn, &sql, 0).await?;
        }
        self.move_staged(conn, &target).await?;
        for (sql, line) in statements {
            let rows = pg_load::execute(db, conn, &sql, line).await?;
            counts.statement(&sql, rows);
        }
        let names = pg_load::tables_of_current_schema(db, conn).await?;
        let counted = pg_load::counted(db, conn, &names, &counts).await?;
        let tables = load::judge(counted, self.accepted.manifest.as_ref(), &loaded)?;
        // The operator stopped the restore while the switch ran: it does not commit.
        if self.cancel.is_cancelled() {
            return Err(RestoreError::Cancelled { untouched: true });
        }
        // Empty now: anything left in it was not moved, and the switch does not go through.
        let sql = format!(
            "DROP SCHEMA {}",
            quote_ident(Engine::Postgres, self.staging)
        );
        pg_load::execute(db, conn, &sql, 0).await?;
        Ok(Done {
            statements: loaded.statements,
            tables,
            notes: Vec::new(),
        })
    }

    /// Moves the staged tables (with their indexes, keys and owned sequences), then the other
    /// sequences, into the target schema.
    async fn move_staged(&self, conn: &mut PgConnection, target: &str) -> Result<(), RestoreError> {
        let staging = quote_ident(Engine::Postgres, self.staging);
        for (kinds, what) in [("'r', 'p'", "TABLE"), ("'S'", "SEQUENCE")] {
            let sql = format!(
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind IN ({kinds}) ORDER BY 1"
            );
            let names = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
                .bind(self.staging)
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| RestoreError::Db(self.db.error(e)))?;
            for name in names {
                let name = quote_ident(Engine::Postgres, &name);
                if what == "SEQUENCE" && !self.accepted.replaces.is_empty() {
                    // A sequence of the target no replaced table owned (one a restore of this
                    // backup made) is replaced too; one something still uses stops the switch.
                    let sql = format!("DROP SEQUENCE IF EXISTS {target}.{name}");
                    pg_load::execute(self.db, conn, &sql, 0).await?;
                }
                let sql = format!("ALTER {what} {staging}.{name} SET SCHEMA {target}");
                pg_load::execute(self.db, conn, &sql, 0).await?;
            }
        }
        Ok(())
    }
}

/// Splits the statements after the data into those that build one table's keys and indexes,
/// grouped by table, which run in the staging schema on every connection, and the rest
/// (foreign keys, sequence positions, anything else), which the switch runs in file order.
/// An index statement names its table with the backup's schema: that name is taken off, so
/// that it builds the staged table's index.
fn split_post_data(
    statements: Vec<(String, u64)>,
    file_schema: &str,
) -> (Vec<Statements>, Statements) {
    let mut groups: Vec<(String, Statements)> = Vec::new();
    let mut rest = Vec::new();
    for (sql, line) in statements {
        match staged_form(&sql, file_schema) {
            Some((table, staged)) => match groups.iter_mut().find(|(t, _)| *t == table) {
                Some((_, group)) => group.push((staged, line)),
                None => groups.push((table, vec![(staged, line)])),
            },
            None => rest.push((sql, line)),
        }
    }
    (groups.into_iter().map(|(_, g)| g).collect(), rest)
}

/// The table a key or index statement builds on and the statement as it runs in the staging
/// schema; `None` for anything else (a foreign key needs the other table: the switch adds it).
fn staged_form(sql: &str, file_schema: &str) -> Option<(String, String)> {
    let upper = sql.to_ascii_uppercase();
    if sql.contains(';') {
        return None;
    }
    if let Some(rest) = upper.strip_prefix("ALTER TABLE ONLY ") {
        let keyed = [
            " PRIMARY KEY ",
            " PRIMARY KEY(",
            " UNIQUE ",
            " UNIQUE(",
            " EXCLUDE ",
        ]
        .iter()
        .any(|k| upper.contains(k));
        if !upper.contains(" ADD CONSTRAINT ") || !keyed || upper.contains(" REFERENCES ") {
            return None;
        }
        let name_len = rest.find(" ADD CONSTRAINT ")?;
        let table = sql["ALTER TABLE ONLY ".len()..][..name_len].trim();
        return table
            .starts_with('"')
            .then(|| (table_key(table), sql.to_string()));
    }
    if !(upper.starts_with("CREATE INDEX ") || upper.starts_with("CREATE UNIQUE INDEX ")) {
        return None;
    }
    let on = upper.find(" ON ")? + " ON ".len();
    let only = if upper[on..].starts_with("ONLY ") {
        "ONLY ".len()
    } else {
        0
    };
    let at = on + only;
    let qualified = [
        format!("{}.", quote_ident(Engine::Postgres, file_schema)),
        format!("{file_schema}."),
    ];
    let prefix = qualified
        .iter()
        .find(|p| sql[at..].starts_with(p.as_str()))?;
    let after = &sql[at + prefix.len()..];
    let table = after.split(" USING ").next()?.trim();
    Some((table_key(table), format!("{}{}", &sql[..at], after)))
}

/// A table's name as written in a statement, quoted or not, as one key.
fn table_key(written: &str) -> String {
    match written.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => written.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_indexes_build_in_staging_and_foreign_keys_wait_for_the_switch() {
        let statements = vec![
            (
                "ALTER TABLE ONLY \"a b\" ADD CONSTRAINT \"a_pkey\" PRIMARY KEY (id)".to_string(),
                1,
            ),
            (
                "CREATE UNIQUE INDEX a_name ON public.\"a b\" USING btree (name)".to_string(),
                2,
            ),
            ("CREATE INDEX t_x ON ONLY public.t USING btree (x)".to_string(), 3),
            (
                "ALTER TABLE ONLY \"t\" ADD CONSTRAINT \"t_fk\" FOREIGN KEY (a) REFERENCES \"a b\"(id)"
                    .to_string(),
                4,
            ),
            ("SELECT pg_catalog.setval('\"s\"', 3, true)".to_string(), 5),
            ("CREATE INDEX o ON other.t USING btree (x)".to_string(), 6),
        ];
        let (staged, rest) = split_post_data(statements, "public");
        assert_eq!(
            staged,
            vec![
                vec![
                    (
                        "ALTER TABLE ONLY \"a b\" ADD CONSTRAINT \"a_pkey\" PRIMARY KEY (id)"
                            .to_string(),
                        1
                    ),
                    (
                        "CREATE UNIQUE INDEX a_name ON \"a b\" USING btree (name)".to_string(),
                        2
                    ),
                ],
                vec![("CREATE INDEX t_x ON ONLY t USING btree (x)".to_string(), 3)],
            ]
        );
        let lines: Vec<u64> = rest.iter().map(|(_, line)| *line).collect();
        assert_eq!(lines, [4, 5, 6]);
    }

    #[test]
    fn only_a_schema_of_tables_and_sequences_is_staged() {
        assert!(schema_statement("CREATE TABLE \"t\" (id integer)"));
        assert!(schema_statement("set search_path = \"public\", pg_catalog"));
        assert!(!schema_statement(
            "CREATE OR REPLACE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$"
        ));
        assert!(!schema_statement(
            "CREATE EXTENSION IF NOT EXISTS \"pgcrypto\" WITH SCHEMA \"public\""
        ));
    }
}
