//! MySQL/MariaDB, where DDL cannot be rolled back: the file is loaded into a fresh staging
//! database (`omu_restore_stage_…`), its rows counted there, and only then switched in with one
//! `RENAME TABLE` statement, which the server applies atomically: the target holds either what
//! it held or the whole backup. The replaced tables move into the staging database, which is
//! dropped last. A data-only file (`metadata backup`, om-cli) gets a copy of each target table it
//! writes to, made when it first names it.
//!
//! Without the right to create the staging database, a target with nothing to lose (no tables;
//! for a data-only file, no rows) is loaded in place under a marker table that
//! `db.openmetadata` fails, dropped only when the counts match.

use std::collections::HashSet;

use chrono::Utc;
use sqlx::{Connection, MySqlConnection, Row};
use tokio_util::sync::CancellationToken;

use super::load::judge;
use super::load::{self, Loaded};
use super::target::{create_target, inspect_target};
use super::types::{Accepted, Done, RestoreError};
use crate::backup::external;
use crate::backup::lexer;
use crate::backup::progress::Reporter;
use crate::backup::scan::FileKind;
use crate::config::DbSettings;
use crate::db::admin;
use crate::db::inspect::{self, quote_ident};
use crate::db::{Db, DbError, Engine};

/// Commit MySQL data in transactions of about this many statement bytes.
const COMMIT_BYTES: usize = 64 << 20;

pub(super) async fn run(
    accepted: &Accepted,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    let settings = &accepted.request.settings;
    let others = other_stagings(settings).await;
    let staging = settings.with_database(&admin::staging_name());
    let mut done = match admin::create_database(&staging).await {
        Ok(()) => staged(accepted, &staging, reporter, cancel).await,
        Err(DbError::PermissionDenied { detail }) => {
            // An unfinished restore's leftovers are nothing to keep either.
            let nothing_to_lose = was_marked(accepted)
                || match accepted.kind {
                    FileKind::Statements => accepted.target.rows == 0,
                    _ => accepted.target.is_empty(),
                };
            if !nothing_to_lose {
                return Err(RestoreError::StagingDenied {
                    user: settings.user.value.clone(),
                    detail,
                });
            }
            in_place(accepted, reporter, cancel).await
        }
        Err(e) => Err(e.into()),
    }?;
    if !others.is_empty() {
        done.notes.push(format!(
            "staging databases of other restores, still running or killed, are on the server: {}; \
             they hold no part of any target (a killed restore's may hold the tables it replaced): \
             drop them when no restore runs",
            others.join(", ")
        ));
    }
    Ok(done)
}

/// Staging databases that are there before this restore makes its own.
async fn other_stagings(settings: &DbSettings) -> Vec<String> {
    let Ok(server) = Db::connect_server(settings).await else {
        return Vec::new();
    };
    let pattern = format!("{}%", admin::STAGING_PREFIX.replace('_', "\\_"));
    let rows = server
        .fetch_rows(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? ORDER BY 1",
            &[&pattern],
        )
        .await
        .unwrap_or_default();
    server.close().await;
    rows.iter().filter_map(|r| r.first()?.as_text()).collect()
}

async fn staged(
    accepted: &Accepted,
    staging: &DbSettings,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    let filled = fill(accepted, staging, reporter, cancel).await;
    let switched = match filled {
        Ok((done, tables)) => switch(accepted, staging, &tables).await.map(|()| done),
        Err(e) => Err(e),
    };
    let dropped = admin::drop_database(staging).await;
    let mut done = switched?;
    if let Err(e) = dropped {
        done.notes.push(format!(
            "the staging database '{}' (now holding the tables that were replaced) could not be \
             dropped: {e}; drop it when you no longer need them",
            staging.database.value
        ));
    }
    Ok(done)
}

/// Loads the file into the staging database and counts; returns the tables to switch in.
async fn fill(
    accepted: &Accepted,
    staging: &DbSettings,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<(Done, Vec<String>), RestoreError> {
    let db = Db::connect(staging).await?;
    let result = async {
        let loaded = match accepted.kind {
            FileKind::MysqlDump => {
                external::load_native(&accepted.request.file, staging, cancel).await?;
                Loaded::default()
            }
            FileKind::Statements => {
                let from = &accepted.request.settings.database.value;
                statements(&db, accepted, Some(from), reporter, cancel).await?
            }
            _ => statements(&db, accepted, None, reporter, cancel).await?,
        };
        let names = match accepted.kind {
            FileKind::Statements => loaded.table_names(),
            _ => table_names(&db).await?,
        };
        let counted = count(&db, &names).await?;
        let tables = judge(counted, accepted.manifest.as_ref(), &loaded)?;
        Ok((
            Done {
                statements: loaded.statements,
                tables,
                notes: Vec::new(),
            },
            names,
        ))
    }
    .await;
    db.close().await;
    result
}

/// Moves the loaded tables from staging into the target, and the tables they replace into
/// staging, in one atomic `RENAME TABLE`.
async fn switch(
    accepted: &Accepted,
    staging: &DbSettings,
    tables: &[String],
) -> Result<(), RestoreError> {
    let settings = &accepted.request.settings;
    let created = !accepted.target.exists;
    if created {
        create_target(settings).await?;
    }
    let result = async {
        let now = inspect_target(settings).await?;
        if now.tables != accepted.target.tables {
            return Err(RestoreError::TargetChanged {
                what: accepted.what(),
            });
        }
        let replaced: &[String] = match accepted.kind {
            FileKind::Statements => tables,
            _ => &accepted.replaces,
        };
        let Some(sql) = switch_sql(
            &settings.database.value,
            &staging.database.value,
            tables,
            replaced,
        ) else {
            return Ok(());
        };
        let server = Db::connect_server(settings).await?;
        let renamed = server.execute_script(&sql).await;
        server.close().await;
        Ok(renamed?)
    }
    .await;
    if result.is_err() && created {
        let _ = admin::drop_database(settings).await;
    }
    result
}

/// `RENAME TABLE` that puts `tables` of `staging` into `target` and the `replaced` tables of
/// `target` into `staging`; `None` when there is nothing to move.
fn switch_sql(
    target: &str,
    staging: &str,
    tables: &[String],
    replaced: &[String],
) -> Option<String> {
    let q = |db: &str, table: &str| {
        format!(
            "{}.{}",
            quote_ident(Engine::Mysql, db),
            quote_ident(Engine::Mysql, table)
        )
    };
    let taken = |name: &String| tables.contains(name) || replaced.contains(name);
    let mut swap = String::from("omu_restore_swap");
    while taken(&swap) {
        swap.push('_');
    }
    let mut pairs = Vec::new();
    for table in tables {
        if replaced.contains(table) {
            pairs.push((q(target, table), q(staging, &swap)));
            pairs.push((q(staging, table), q(target, table)));
            pairs.push((q(staging, &swap), q(staging, table)));
        } else {
            pairs.push((q(staging, table), q(target, table)));
        }
    }
    for table in replaced.iter().filter(|t| !tables.contains(t)) {
        pairs.push((q(target, table), q(staging, table)));
    }
    (!pairs.is_empty()).then(|| {
        let pairs: Vec<String> = pairs.iter().map(|(a, b)| format!("{a} TO {b}")).collect();
        format!("RENAME TABLE {}", pairs.join(", "))
    })
}

fn was_marked(accepted: &Accepted) -> bool {
    accepted
        .target
        .tables
        .iter()
        .any(|t| t.eq_ignore_ascii_case(admin::UNFINISHED_RESTORE_TABLE))
}

/// Loads in place under the unfinished-restore marker; on failure puts the target back as it
/// was (it had nothing to lose), or leaves it marked when it was an unfinished restore already.
async fn in_place(
    accepted: &Accepted,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    let settings = &accepted.request.settings;
    let created = !accepted.target.exists;
    if created {
        create_target(settings).await?;
    }
    let db = Db::connect(settings).await?;
    let marker = quote_ident(Engine::Mysql, admin::UNFINISHED_RESTORE_TABLE);
    let marked = async {
        // The mark first, so that no moment passes with part of the data and no mark.
        db.execute_script(&format!(
            "CREATE TABLE IF NOT EXISTS {marker} (started_at VARCHAR(40) NOT NULL, backup VARCHAR(1024) NOT NULL)"
        ))
        .await?;
        db.execute(
            &format!("INSERT INTO {marker} VALUES (?, ?)"),
            &[
                &Utc::now().to_rfc3339(),
                &accepted.request.file.to_string_lossy(),
            ],
        )
        .await?;
        let leftovers: Vec<String> = accepted
            .replaces
            .iter()
            .filter(|t| !t.eq_ignore_ascii_case(admin::UNFINISHED_RESTORE_TABLE))
            .cloned()
            .collect();
        admin::drop_tables(&db, &leftovers).await
    }
    .await;
    let loaded = match marked {
        Ok(()) => load_in_place(&db, accepted, reporter, cancel).await,
        Err(e) => Err(e.into()),
    };
    let result = match loaded {
        Ok(mut done) => match db.execute_script(&format!("DROP TABLE {marker}")).await {
            Ok(()) => {
                done.notes.push(format!(
                    "loaded in place: user '{}' may not create a staging database",
                    settings.user.value
                ));
                Ok(done)
            }
            Err(e) => Err(e.into()),
        },
        Err(e) if created || was_marked(accepted) => Err(e),
        Err(e) => match put_back(&db, accepted).await {
            Ok(()) => Err(e),
            Err(_) => Err(match e {
                RestoreError::Cancelled { .. } => RestoreError::Cancelled { untouched: false },
                e => e,
            }),
        },
    };
    db.close().await;
    if result.is_err() && created {
        let _ = admin::drop_database(settings).await;
    }
    result
}

async fn load_in_place(
    db: &Db,
    accepted: &Accepted,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    let loaded = match accepted.kind {
        FileKind::MysqlDump => {
            external::load_native(&accepted.request.file, &accepted.request.settings, cancel)
                .await?;
            Loaded::default()
        }
        _ => statements(db, accepted, None, reporter, cancel).await?,
    };
    let names: Vec<String> = match accepted.kind {
        FileKind::Statements => loaded.table_names(),
        _ => table_names(db)
            .await?
            .into_iter()
            .filter(|t| t != admin::UNFINISHED_RESTORE_TABLE)
            .collect(),
    };
    let counted = count(db, &names).await?;
    let tables = judge(counted, accepted.manifest.as_ref(), &loaded)?;
    Ok(Done {
        statements: loaded.statements,
        tables,
        notes: Vec::new(),
    })
}

/// Empties again what a failed in-place load wrote into a target that had nothing to lose.
async fn put_back(db: &Db, accepted: &Accepted) -> Result<(), DbError> {
    let now = table_names(db).await?;
    match accepted.kind {
        FileKind::Statements => {
            let mut script = String::new();
            for table in now.iter().filter(|t| *t != admin::UNFINISHED_RESTORE_TABLE) {
                script.push_str(&format!(
                    "TRUNCATE TABLE {};\n",
                    quote_ident(Engine::Mysql, table)
                ));
            }
            script.push_str(&format!(
                "DROP TABLE {}",
                quote_ident(Engine::Mysql, admin::UNFINISHED_RESTORE_TABLE)
            ));
            db.execute_script(&script).await
        }
        _ => {
            // It had no tables: every table there now is the restore's, the marker last.
            let (marker, ours): (Vec<String>, Vec<String>) = now
                .into_iter()
                .filter(|t| !accepted.target.tables.contains(t))
                .partition(|t| t == admin::UNFINISHED_RESTORE_TABLE);
            admin::drop_tables(db, &ours).await?;
            admin::drop_tables(db, &marker).await
        }
    }
}

async fn table_names(db: &Db) -> Result<Vec<String>, DbError> {
    Ok(inspect::tables(db)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect())
}

async fn count(db: &Db, tables: &[String]) -> Result<Vec<(String, u64)>, DbError> {
    let mut counted = Vec::with_capacity(tables.len());
    for table in tables {
        let rows = db
            .fetch_i64(
                &format!("SELECT COUNT(*) FROM {}", quote_ident(Engine::Mysql, table)),
                &[],
            )
            .await?;
        counted.push((table.clone(), rows.max(0) as u64));
    }
    Ok(counted)
}

/// Runs the file's statements on one connection of `db`, in large transactions. With
/// `copy_from`, each table a statement names is first created like that database's table.
async fn statements(
    db: &Db,
    accepted: &Accepted,
    copy_from: Option<&str>,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Loaded, RestoreError> {
    let pool = db
        .mysql_pool()
        .ok_or_else(|| DbError::Other("not a MySQL connection".into()))?;
    // A connection of its own, outside the pool: when the work is cancelled mid-result it is
    // simply closed, instead of being drained and handed back to the pool.
    let mut conn = pool.acquire().await.map_err(|e| db.error(e))?.detach();
    let result = run_statements(db, &mut conn, accepted, copy_from, reporter, cancel).await;
    let _ = conn.close().await;
    result
}

async fn run_statements(
    db: &Db,
    conn: &mut MySqlConnection,
    accepted: &Accepted,
    copy_from: Option<&str>,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Loaded, RestoreError> {
    // A data-only file truncates tables that others may reference.
    sqlx::raw_sql("SET autocommit = 0; SET FOREIGN_KEY_CHECKS = 0")
        .execute(&mut *conn)
        .await
        .map_err(|e| db.error(e))?;
    let mut items = load::items_of(accepted, Engine::Mysql).await?;
    let mut loaded = Loaded::default();
    let mut copied: HashSet<String> = HashSet::new();
    let mut pending = 0usize;
    while let Some(item) = items.recv().await {
        if cancel.is_cancelled() {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
            return Err(RestoreError::Cancelled { untouched: true });
        }
        let Some((sql, line)) = loaded.statement(item)? else {
            continue;
        };
        let table = lexer::statement_table(&sql);
        if let (Some(from), Some(table)) = (copy_from, &table)
            && copied.insert(table.clone())
        {
            copy_definition(db, conn, from, table, line, &sql).await?;
        }
        if let Some(table) = &table {
            loaded.switch_to(table, reporter);
        }
        let result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await
            .map_err(|e| load::statement_error(db, line, &sql, e))?;
        if sql
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("TRUNCATE"))
        {
            loaded.truncated();
        }
        let rows = if load::is_insert(&sql) {
            result.rows_affected()
        } else {
            0
        };
        loaded.add(rows, sql.len() as u64, reporter);
        pending += sql.len();
        if pending >= COMMIT_BYTES {
            sqlx::raw_sql("COMMIT")
                .execute(&mut *conn)
                .await
                .map_err(|e| db.error(e))?;
            pending = 0;
        }
    }
    loaded.finish(reporter);
    sqlx::raw_sql("COMMIT; SET autocommit = 1; SET FOREIGN_KEY_CHECKS = 1")
        .execute(&mut *conn)
        .await
        .map_err(|e| db.error(e))?;
    Ok(loaded)
}

/// Creates `table` in the connection's (staging) database as it is defined in `from`.
async fn copy_definition(
    db: &Db,
    conn: &mut MySqlConnection,
    from: &str,
    table: &str,
    line: u64,
    statement: &str,
) -> Result<(), RestoreError> {
    let show = format!(
        "SHOW CREATE TABLE {}.{}",
        quote_ident(Engine::Mysql, from),
        quote_ident(Engine::Mysql, table)
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(show))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| load::statement_error(db, line, statement, e))?;
    let ddl: String = row
        .try_get::<String, _>(1)
        .or_else(|_| {
            row.try_get::<Vec<u8>, _>(1)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        })
        .map_err(|e| load::statement_error(db, line, statement, e))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
        .execute(&mut *conn)
        .await
        .map_err(|e| load::statement_error(db, line, statement, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_swaps_replaced_tables_and_moves_the_rest_in_one_statement() {
        let sql = switch_sql(
            "om",
            "stage",
            &["a".into(), "new".into()],
            &["a".into(), "gone".into()],
        )
        .unwrap();
        assert_eq!(
            sql,
            "RENAME TABLE `om`.`a` TO `stage`.`omu_restore_swap`, `stage`.`a` TO `om`.`a`, \
             `stage`.`omu_restore_swap` TO `stage`.`a`, `stage`.`new` TO `om`.`new`, \
             `om`.`gone` TO `stage`.`gone`"
        );
        assert_eq!(switch_sql("om", "stage", &[], &[]), None);
        let clash = switch_sql(
            "om",
            "s",
            &["omu_restore_swap".into()],
            &["omu_restore_swap".into()],
        )
        .unwrap();
        assert!(clash.contains("`s`.`omu_restore_swap_`"), "{clash}");
    }
}
