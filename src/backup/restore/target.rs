//! The target of a restore: what it holds (on a connection the restore keeps for its load),
//! and creating it.

use super::types::{RestoreError, TargetState, describe_target};
use crate::config::DbSettings;
use crate::db::inspect::{self, Detection};
use crate::db::{Db, DbError, Engine};

/// What the target holds now; a missing database counts as empty.
pub async fn inspect_target(settings: &DbSettings) -> Result<TargetState, DbError> {
    let (state, db) = inspect_kept(settings).await?;
    if let Some(db) = db {
        db.close().await;
    }
    Ok(state)
}

/// [`inspect_target`], keeping the connection to the target database (when it exists) for the
/// load: a restore then pays the connection's handshake once.
pub(super) async fn inspect_kept(
    settings: &DbSettings,
) -> Result<(TargetState, Option<Db>), DbError> {
    let db = match Db::connect_one(settings).await {
        Ok(db) => db,
        Err(DbError::UnknownDatabase { .. }) => {
            let state = TargetState {
                exists: false,
                tables: Vec::new(),
                rows: 0,
                openmetadata_version: None,
            };
            return Ok((state, None));
        }
        Err(e) => return Err(e),
    };
    match inspect_on(&db).await {
        Ok(state) => Ok((state, Some(db))),
        Err(e) => {
            db.close().await;
            Err(e)
        }
    }
}

/// What the target database `db` is connected to holds.
pub(super) async fn inspect_on(db: &Db) -> Result<TargetState, DbError> {
    let tables = inspect::tables(db).await?;
    let openmetadata_version = match inspect::detect_openmetadata(db).await? {
        Detection::OpenMetadata(info) => info.schema_version.map(|v| v.to_string()),
        Detection::NotOpenMetadata { .. } => None,
    };
    Ok(TargetState {
        exists: true,
        rows: tables
            .iter()
            .filter_map(|t| t.rows.value())
            .map(|n| n.max(0) as u64)
            .sum(),
        tables: tables.into_iter().map(|t| t.name).collect(),
        openmetadata_version,
    })
}

/// A refusal by the server to let this user reach or create the target, said as such.
pub(super) fn denied(settings: &DbSettings, error: DbError) -> RestoreError {
    match error {
        DbError::PermissionDenied { detail } => RestoreError::TargetDenied {
            user: settings.user.value.clone(),
            engine: settings.engine.value,
            what: describe_target(settings),
            detail,
        },
        e => RestoreError::Db(e),
    }
}

/// Creates the target database for the restore.
pub(super) async fn create_target(settings: &DbSettings) -> Result<(), RestoreError> {
    crate::db::admin::create_database(settings)
        .await
        .map_err(|e| denied(settings, e))
}

/// PostgreSQL: creates the target database on one server connection, which is returned to drop
/// it again if the restore fails. A database of that name made since the restore was accepted
/// is not touched: the restore stops as [`RestoreError::TargetChanged`].
pub(super) async fn create_pg_target(settings: &DbSettings) -> Result<Db, RestoreError> {
    let admin = Db::connect_server_one(settings)
        .await
        .map_err(|e| denied(settings, e))?;
    let created = async {
        let name = &settings.database.value;
        let there = admin
            .fetch_i64(
                "SELECT COUNT(*) FROM pg_database WHERE datname = $1",
                &[name],
            )
            .await?;
        if there > 0 {
            return Err(RestoreError::TargetChanged {
                what: describe_target(settings),
            });
        }
        let sql = format!(
            "CREATE DATABASE {} ENCODING 'UTF8'",
            inspect::quote_ident(Engine::Postgres, name)
        );
        admin
            .execute_script(&sql)
            .await
            .map_err(|e| denied(settings, e))
    }
    .await;
    match created {
        Ok(()) => Ok(admin),
        Err(e) => {
            admin.close().await;
            Err(e)
        }
    }
}

/// PostgreSQL: drops the database [`create_pg_target`] made, on its server connection.
pub(super) async fn drop_pg_target(admin: &Db, settings: &DbSettings) {
    let sql = format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        inspect::quote_ident(Engine::Postgres, &settings.database.value)
    );
    let _ = admin.execute_script(&sql).await;
}
