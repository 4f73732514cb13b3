//! PostgreSQL: pg_dump files, loaded by psql in one transaction (`--single-transaction`): a
//! script drops the replaced tables, loads the file and checks the manifest's row counts
//! before psql commits.

use std::io::Write;

use tokio_util::sync::CancellationToken;

use super::types::{Accepted, Done, RestoreError, RestoredTable};
use crate::backup::completeness;
use crate::backup::external::{self, ExternalError};
use crate::db::admin;
use crate::db::inspect::quote_ident;
use crate::db::{Db, Engine};

/// A pg_dump file, through psql in one transaction: a script drops the replaced tables, loads
/// the file and checks the manifest's row counts before psql commits.
pub(super) async fn native(
    accepted: &Accepted,
    cancel: &CancellationToken,
) -> Result<Done, RestoreError> {
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
