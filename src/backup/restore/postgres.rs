//! PostgreSQL: the whole restore is one transaction. The tables it replaces are dropped inside
//! it, the rows are counted inside it, and it is committed only when they match; a failure, a
//! cancel or a kill leaves the target as it was (the server rolls back).

use std::io::Write;

use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

use super::load::{self, Loaded};
use super::{Accepted, Done, RestoreError, RestoredTable, judge};
use crate::backup::completeness;
use crate::backup::external::{self, ExternalError};
use crate::backup::lexer::{self, Item, LexError};
use crate::backup::progress::Reporter;
use crate::backup::scan::FileKind;
use crate::db::admin;
use crate::db::inspect::quote_ident;
use crate::db::{Db, DbError, Engine};

pub(super) async fn run(
    accepted: &Accepted,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    let settings = &accepted.request.settings;
    let created = !accepted.target.exists;
    if created {
        super::create_target(settings).await?;
    }
    let result = match accepted.kind {
        FileKind::PgDump => native(accepted, cancel).await,
        _ => builtin(accepted, reporter, cancel).await,
    };
    if result.is_err() && created {
        // Made for this restore, which was rolled back: nothing of it should stay.
        let _ = admin::drop_database(settings).await;
    }
    result
}

async fn builtin(
    accepted: &Accepted,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    let db = Db::connect(&accepted.request.settings).await?;
    let pool = db
        .pg_pool()
        .ok_or_else(|| DbError::Other("not a Postgres connection".into()))?;
    // A connection of its own, outside the pool: when the work is cancelled mid-result it is
    // simply closed, instead of being drained and handed back to the pool.
    let conn = pool.acquire().await.map_err(|e| db.error(e));
    let result = match conn {
        Ok(conn) => {
            let mut conn = conn.detach();
            let result = in_transaction(&db, &mut conn, accepted, reporter, cancel).await;
            let _ = conn.close().await;
            result
        }
        Err(e) => Err(e.into()),
    };
    db.close().await;
    result
}

async fn in_transaction(
    db: &Db,
    conn: &mut PgConnection,
    accepted: &Accepted,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
    let mut items = load::items_of(accepted, Engine::Postgres).await?;
    sqlx::raw_sql("BEGIN")
        .execute(&mut *conn)
        .await
        .map_err(|e| db.error(e))?;
    let result = async {
        if !accepted.replaces.is_empty() {
            // Inside the restore's transaction: a failed restore keeps the old tables.
            let sql = admin::drop_tables_sql(Engine::Postgres, &accepted.replaces);
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *conn)
                .await
                .map_err(|e| load::statement_error(db, 0, &sql, e))?;
        }
        let mut loaded = Loaded::default();
        while let Some(item) = items.recv().await {
            if cancel.is_cancelled() {
                return Err(RestoreError::Cancelled { untouched: true });
            }
            let (sql, line) = match item? {
                Item::Statement { sql, line } => (sql, line),
                Item::Comment { text, .. } => {
                    loaded.comment(&text);
                    continue;
                }
                Item::BinaryStatement { line, .. } => return Err(LexError::NotUtf8 { line }.into()),
                Item::Meta { .. } | Item::CopyData { .. } | Item::CopyEnd { .. } => continue,
            };
            loaded.statements += 1;
            if load::is_copy_from_stdin(&sql) {
                let table = lexer::statement_table(&sql).unwrap_or_default();
                loaded.switch_to(&table, reporter);
                copy(
                    db,
                    conn,
                    &sql,
                    line,
                    &mut items,
                    &mut loaded,
                    reporter,
                    cancel,
                )
                .await?;
            } else {
                let done = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| load::statement_error(db, line, &sql, e))?;
                if let Some(table) = lexer::statement_table(&sql) {
                    loaded.switch_to(&table, reporter);
                    if sql
                        .get(..8)
                        .is_some_and(|s| s.eq_ignore_ascii_case("TRUNCATE"))
                    {
                        loaded.truncated();
                    }
                }
                let rows = if load::is_insert(&sql) {
                    done.rows_affected()
                } else {
                    0
                };
                loaded.add(rows, sql.len() as u64, reporter);
            }
        }
        loaded.finish(reporter);
        let names = match accepted.kind {
            FileKind::Statements => loaded.table_names(),
            _ => tables_of_current_schema(db, conn).await?,
        };
        let counted = count(db, conn, &names).await?;
        let tables = judge(counted, accepted.manifest.as_ref(), &loaded)?;
        Ok(Done {
            statements: loaded.statements,
            tables,
            notes: Vec::new(),
        })
    }
    .await;
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

/// Streams one `COPY … FROM stdin` block with `copy_in_raw`.
#[allow(clippy::too_many_arguments)]
async fn copy(
    db: &Db,
    conn: &mut PgConnection,
    sql: &str,
    line: u64,
    items: &mut tokio::sync::mpsc::Receiver<Result<Item, LexError>>,
    loaded: &mut Loaded,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<(), RestoreError> {
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
        .map_err(|e| load::statement_error(db, line, sql, e))?;
    Ok(())
}

async fn tables_of_current_schema(
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

async fn count(
    db: &Db,
    conn: &mut PgConnection,
    tables: &[String],
) -> Result<Vec<(String, u64)>, RestoreError> {
    let mut counted = Vec::with_capacity(tables.len());
    for table in tables {
        let sql = format!(
            "SELECT COUNT(*) FROM {}",
            quote_ident(Engine::Postgres, table)
        );
        let rows = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| RestoreError::Db(db.error(e)))?;
        counted.push((table.clone(), rows.max(0) as u64));
    }
    Ok(counted)
}

/// A pg_dump file, through psql in one transaction: a script drops the replaced tables, loads
/// the file and checks the manifest's row counts before psql commits.
async fn native(accepted: &Accepted, cancel: &CancellationToken) -> Result<Done, RestoreError> {
    let path = &accepted.request.file;
    let settings = &accepted.request.settings;
    let unreadable = |source| RestoreError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    if !completeness::is_plain(path).map_err(unreadable)? {
        return Err(ExternalError::Unsupported(
            "decompress a native dump before restoring it".into(),
        )
        .into());
    }
    let absolute = std::path::absolute(path).map_err(unreadable)?;
    let schema = accepted
        .manifest
        .as_ref()
        .and_then(|m| m.source.schema.clone())
        .unwrap_or_else(|| settings.schema.value.clone());
    let expected: Vec<(String, u64)> = accepted
        .manifest
        .as_ref()
        .map(|m| m.tables.iter().map(|t| (t.name.clone(), t.rows)).collect())
        .unwrap_or_default();
    let script = psql_script(
        &absolute.to_string_lossy(),
        &settings.schema.value,
        &accepted.replaces,
        &schema,
        &expected,
    );
    let mut file = tempfile::Builder::new()
        .prefix("om-upgrade-restore-")
        .suffix(".sql")
        .tempfile()
        .map_err(unreadable)?;
    file.write_all(script.as_bytes()).map_err(unreadable)?;
    file.flush().map_err(unreadable)?;
    external::load_native(file.path(), settings, cancel).await?;
    // Committed: the counts were checked inside the transaction; these are for the report.
    let db = Db::connect(settings).await?;
    let names: Vec<String> = crate::db::inspect::tables(&db)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let rows = db
            .fetch_i64(
                &format!(
                    "SELECT COUNT(*) FROM {}",
                    quote_ident(Engine::Postgres, &name)
                ),
                &[],
            )
            .await?;
        tables.push(RestoredTable {
            expected: expected.iter().find(|(t, _)| *t == name).map(|(_, n)| *n),
            name,
            rows: rows.max(0) as u64,
        });
    }
    db.close().await;
    Ok(Done {
        statements: 0,
        tables,
        notes: Vec::new(),
    })
}

/// The psql script around a pg_dump file (run with --single-transaction).
fn psql_script(
    file: &str,
    target_schema: &str,
    replaces: &[String],
    file_schema: &str,
    expected: &[(String, u64)],
) -> String {
    let mut script = String::from("\\set ON_ERROR_STOP on\n");
    if !replaces.is_empty() {
        script.push_str(&format!(
            "SET search_path TO {};\n{}",
            quote_ident(Engine::Postgres, target_schema),
            admin::drop_tables_sql(Engine::Postgres, replaces)
        ));
    }
    // In a psql argument in single quotes, a quote is doubled and a backslash escapes.
    let quoted = file.replace('\\', "\\\\").replace('\'', "''");
    script.push_str(&format!("\\i '{quoted}'\n"));
    if !expected.is_empty() {
        script.push_str("DO $omu_counts$ DECLARE n bigint; BEGIN\n");
        for (table, rows) in expected {
            script.push_str(&format!(
                "  SELECT count(*) INTO n FROM {}.{};\n  IF n <> {rows} THEN RAISE EXCEPTION \
                 'om-upgrade: table % holds % rows, its manifest records {rows}; nothing was kept', {}, n; END IF;\n",
                quote_ident(Engine::Postgres, file_schema),
                quote_ident(Engine::Postgres, table),
                sql_literal(table)
            ));
        }
        script.push_str("END $omu_counts$;\n");
    }
    script
}

fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_psql_script_drops_loads_and_checks_in_that_order() {
        let script = psql_script(
            "/b/it's.sql",
            "public",
            &["old".into()],
            "public",
            &[("a b".into(), 3)],
        );
        let drop = script.find("DROP TABLE IF EXISTS \"old\" CASCADE").unwrap();
        let load = script.find("\\i '/b/it''s.sql'").unwrap();
        let check = script.find("FROM \"public\".\"a b\"").unwrap();
        assert!(drop < load && load < check, "{script}");
        assert!(script.contains("IF n <> 3 THEN"), "{script}");
    }
}
