//! PostgreSQL restores, all or nothing, in one of two ways:
//!
//! - **One connection** (`--jobs 1`, a data-only file, or a backup whose schema part holds
//!   functions or extensions): the whole restore is one transaction. The tables it replaces are
//!   dropped inside it, the file is loaded, the rows are checked inside it and it is committed
//!   only when they match; a failure, a cancel or a kill leaves the target as it was (the server
//!   rolls back).
//! - **Several connections** (`--jobs N`, an om-upgrade SQL backup): the tables are created in
//!   a fresh staging schema `omu_restore_stage_<time>_<pid>_<n>` of the target database, their
//!   data is loaded on N connections and their keys and indexes built there, also on N
//!   connections; the target is not touched. Then ONE transaction switches it in: it drops the
//!   replaced tables, moves every staged table and sequence into the target schema, adds the
//!   foreign keys and sequence positions, checks the rows and drops the (now empty) staging
//!   schema, and commits only when the rows match. Separate transactions cannot commit
//!   together, so no commit of the loaders ever reaches the target: only the switch does. A
//!   failure drops the staging schema; a kill before the switch commits leaves the target as
//!   it was and the staging schema behind (a later restore names it, to be dropped).
//!
//! Either way the file's SHA-256 is computed while it loads and checked before the commit;
//! the rows are those the server reported for each COPY and INSERT, counted again with one
//! statement only when a statement of the file may have removed some.

use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

use super::load::{self, Items, Loaded};
use super::pg_load::{self, Counts};
use super::pg_native;
use super::pg_staged;
use super::target::{create_pg_target, drop_pg_target};
use super::types::{Accepted, Done, RestoreError};
use crate::backup::lexer::{self, Item, LexError};
use crate::backup::progress::Reporter;
use crate::backup::scan::FileKind;
use crate::db::{Db, Engine, admin};

pub(super) async fn run(
    accepted: &Accepted,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    let settings = &accepted.request.settings;
    let created = match accepted.target.exists {
        true => None,
        false => Some(create_pg_target(settings).await?),
    };
    let result = match accepted.kind {
        FileKind::PgDump => pg_native::native(accepted, cancel).await,
        _ => builtin(accepted, reporter, cancel).await,
    };
    if let Some(admin) = created {
        if result.is_err() {
            // Made for this restore, which was rolled back: nothing of it should stay.
            drop_pg_target(&admin, settings).await;
        }
        admin.close().await;
    }
    result
}

async fn builtin(
    accepted: &Accepted,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    // The connection that inspected the target when it exists; else one to the new database.
    let db = match &accepted.db {
        Some(db) => db.clone(),
        None => Db::connect_one(&accepted.request.settings).await?,
    };
    let result = async {
        let mut items = load::items_of(accepted, Engine::Postgres).await?;
        let mut conn = pg_load::detached(&db).await?;
        let staged = accepted.jobs > 1
            && accepted.kind == FileKind::OmUpgradeSql
            && pg_staged::stageable(&mut items).await;
        let result = match staged {
            true => pg_staged::run(&db, conn, accepted, items, reporter, cancel).await,
            false => {
                let result =
                    one_transaction(&db, &mut conn, accepted, &mut items, reporter, cancel).await;
                let _ = conn.close().await;
                result
            }
        };
        result.map_err(|e| damaged_instead(accepted, e))
    }
    .await;
    if accepted.db.is_none() {
        db.close().await;
    }
    result
}

/// A load that failed on a file whose SHA-256 was to be checked at its end: when the file does
/// not match its manifest, that is the cause to report (a local file is hashed again to tell).
fn damaged_instead(accepted: &Accepted, error: RestoreError) -> RestoreError {
    let explains = matches!(
        error,
        RestoreError::Statement { .. }
            | RestoreError::Parse(_)
            | RestoreError::CountMismatch { .. }
    );
    let Some(manifest) = accepted.manifest.as_ref() else {
        return error;
    };
    if !explains || !accepted.hash_on_load || accepted.remote.is_some() {
        return error;
    }
    let path = &accepted.request.file;
    match crate::backup::output::sha256_file(path) {
        Ok((found, bytes)) if found != manifest.file.sha256 || bytes != manifest.file.bytes => {
            RestoreError::Damaged {
                path: path.clone(),
                expected: manifest.file.sha256.clone(),
                found,
            }
        }
        _ => error,
    }
}

/// The whole restore in one transaction on `conn`, committed only when the file was whole and
/// every table holds the rows the backup recorded.
async fn one_transaction(
    db: &Db,
    conn: &mut PgConnection,
    accepted: &Accepted,
    items: &mut Items,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    sqlx::raw_sql("BEGIN")
        .execute(&mut *conn)
        .await
        .map_err(|e| db.error(e))?;
    let result = load_in_transaction(db, conn, accepted, items, reporter, cancel).await;
    pg_load::end_transaction(db, conn, result).await
}

async fn load_in_transaction(
    db: &Db,
    conn: &mut PgConnection,
    accepted: &Accepted,
    items: &mut Items,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    if !accepted.replaces.is_empty() {
        // Inside the restore's transaction: a failed restore keeps the old tables.
        let (replaces, what) = (&accepted.replaces, accepted.what());
        pg_load::lock_replaced(db, conn, replaces, &what, cancel).await?;
        let sql = admin::drop_tables_sql(Engine::Postgres, &accepted.replaces);
        pg_load::execute(db, conn, &sql, 0).await?;
    }
    let replacing = !accepted.replaces.is_empty();
    let (loaded, counts) = load_items(db, conn, replacing, items, reporter, cancel).await?;
    items.check_whole(accepted).await?;
    let names = match accepted.kind {
        FileKind::Statements => loaded.table_names(),
        _ => pg_load::tables_of_current_schema(db, conn).await?,
    };
    let counted = pg_load::counted(db, conn, &names, &counts).await?;
    let tables = load::judge(counted, accepted.manifest.as_ref(), &loaded)?;
    Ok(Done {
        statements: loaded.statements,
        tables,
        notes: Vec::new(),
    })
}

/// The name of the sequence a `CREATE SEQUENCE` statement creates, as written (quoted,
/// qualified or not); `None` for any other statement.
fn created_sequence(sql: &str) -> Option<&str> {
    let prefix = "CREATE SEQUENCE ";
    if !sql.get(..prefix.len())?.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = sql[prefix.len()..].trim_start();
    let mut quoted = false;
    let end = rest
        .char_indices()
        .find(|&(_, c)| {
            if c == '"' {
                quoted = !quoted;
            }
            !quoted && c.is_whitespace()
        })
        .map_or(rest.len(), |(i, _)| i);
    let name = &rest[..end];
    let if_not_exists = name.eq_ignore_ascii_case("IF");
    (!name.is_empty() && !if_not_exists).then_some(name)
}

/// Runs every item of the file on `conn`, in order; `replacing`: the restore replaces the
/// target's tables (the sequences the file creates replace the target's of the same name).
async fn load_items(
    db: &Db,
    conn: &mut PgConnection,
    replacing: bool,
    items: &mut Items,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<(Loaded, Counts), RestoreError> {
    let mut loaded = Loaded::default();
    let mut counts = Counts::default();
    while let Some(item) = items.recv().await {
        if cancel.is_cancelled() {
            return Err(RestoreError::Cancelled { untouched: true });
        }
        let Some((sql, line)) = loaded.statement(item)? else {
            continue;
        };
        let table = lexer::statement_table(&sql);
        if let Some(table) = &table {
            loaded.switch_to(table, reporter);
        }
        if load::is_copy_from_stdin(&sql) {
            let rows = copy(db, conn, &sql, line, items, &mut loaded, reporter, cancel).await?;
            counts.add(&table.unwrap_or_default(), rows);
            continue;
        }
        if replacing && let Some(name) = created_sequence(&sql) {
            // A sequence of the target no replaced table owned (one a restore of this backup
            // made) is replaced too; one something still uses stops the restore.
            pg_load::execute(db, conn, &format!("DROP SEQUENCE IF EXISTS {name}"), line).await?;
        }
        let rows = pg_load::execute(db, conn, &sql, line).await?;
        if table.is_some()
            && sql
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("TRUNCATE"))
        {
            loaded.truncated();
        }
        counts.statement(&sql, rows);
        let sent = if load::is_insert(&sql) { rows } else { 0 };
        loaded.add(sent, sql.len() as u64, reporter);
    }
    loaded.finish(reporter);
    Ok((loaded, counts))
}

/// Streams one `COPY … FROM stdin` block with `copy_in_raw`; gives the rows the server stored.
#[allow(clippy::too_many_arguments)]
async fn copy(
    db: &Db,
    conn: &mut PgConnection,
    sql: &str,
    line: u64,
    items: &mut Items,
    loaded: &mut Loaded,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<u64, RestoreError> {
    let mut copy = conn
        .copy_in_raw(sql)
        .await
        .map_err(|e| load::statement_error(db, line, sql, e))?;
    loop {
        match items.recv().await {
            Some(Ok(Item::CopyData { data, rows })) => {
                let len = data.len() as u64;
                copy.send(data)
                    .await
                    .map_err(|e| load::statement_error(db, line, sql, e))?;
                loaded.add(rows, len, reporter);
                if cancel.is_cancelled() {
                    let _ = copy.abort("cancelled").await;
                    return Err(RestoreError::Cancelled { untouched: true });
                }
            }
            Some(Ok(Item::CopyEnd { .. })) => break,
            Some(Err(e)) => {
                let _ = copy.abort("the backup file is damaged").await;
                return Err(e.into());
            }
            Some(Ok(_)) | None => {
                let _ = copy.abort("the backup file is damaged").await;
                return Err(LexError::UnterminatedCopy { line }.into());
            }
        }
    }
    copy.finish()
        .await
        .map_err(|e| load::statement_error(db, line, sql, e))
}

#[cfg(test)]
mod tests {
    use super::created_sequence;

    #[test]
    fn the_sequence_a_statement_creates_is_named_as_written() {
        assert_eq!(
            created_sequence("CREATE SEQUENCE \"a \"\" b\" AS bigint START WITH 1"),
            Some("\"a \"\" b\"")
        );
        assert_eq!(
            created_sequence("create sequence public.s START 1"),
            Some("public.s")
        );
        assert_eq!(created_sequence("CREATE SEQUENCE IF NOT EXISTS s"), None);
        assert_eq!(created_sequence("CREATE TABLE s (id int)"), None);
    }
}
