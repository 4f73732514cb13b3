//! The proof that a backup is usable: restore it into a scratch database, dump that the same
//! way, and compare per-table row counts and content checksums with the backup's manifest
//! (which recorded them from the live snapshot).

use std::path::Path;

use chrono::Utc;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::dump::{self, DumpPlan, Header, Out, Tuning};
use super::manifest::{FileFormat, Manifest, Method};
use super::progress::{ProgressEvent, Reporter};
use super::remote::RemoteBackup;
use super::restore::{self, RestoreError, RestoreRequest, Restored};
use crate::config::DbSettings;
use crate::db::admin;
use crate::db::{Db, DbError};

#[derive(Debug, Clone, Serialize)]
pub struct TableComparison {
    pub name: String,
    pub expected_rows: u64,
    pub restored_rows: Option<u64>,
    /// `None` when the backup's checksums are not comparable (made by another tool).
    pub checksum_matches: Option<bool>,
}

impl TableComparison {
    pub fn ok(&self) -> bool {
        self.restored_rows == Some(self.expected_rows) && self.checksum_matches != Some(false)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoreCheck {
    pub database: String,
    /// The scratch database was created for the check and dropped afterwards.
    pub dropped: bool,
    pub restored: Restored,
    pub tables: Vec<TableComparison>,
    pub checksums_compared: bool,
}

impl RestoreCheck {
    pub fn ok(&self) -> bool {
        self.tables.iter().all(TableComparison::ok)
    }
}

/// A scratch database name that will not collide.
pub fn scratch_name() -> String {
    format!(
        "{}{}_{}",
        admin::SCRATCH_PREFIX,
        Utc::now().format("%Y%m%d%H%M%S"),
        std::process::id()
    )
}

/// Restores `file` into `target` (which must not exist or be empty), compares, and removes
/// again what the restore made. A target that holds tables, or a file the restore refuses, is
/// refused before anything is created or dropped.
pub async fn check(
    file: &Path,
    manifest: &Manifest,
    target: &DbSettings,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<RestoreCheck, RestoreError> {
    let accepted = restore::accept(RestoreRequest::new(file.to_path_buf(), target.clone())).await?;
    check_accepted(accepted, manifest, target, events, cancel).await
}

/// [`check`] for a backup in an off-host store, streamed from it.
pub async fn check_remote(
    remote: RemoteBackup,
    target: &DbSettings,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<RestoreCheck, RestoreError> {
    let manifest = remote.manifest.clone();
    let accepted = restore::accept_remote(remote, target.clone(), false).await?;
    check_accepted(accepted, &manifest, target, events, cancel).await
}

async fn check_accepted(
    accepted: restore::Accepted,
    manifest: &Manifest,
    target: &DbSettings,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<RestoreCheck, RestoreError> {
    let created = !accepted.target().exists;
    // A restore that fails removes what it made itself.
    let restored = accepted.run(events, cancel.clone()).await?;
    let tables: Vec<String> = restored.tables.iter().map(|t| t.name.clone()).collect();
    let compared = compare(restored, manifest, target, &cancel).await;
    let dropped = if created {
        admin::drop_database(target).await.is_ok()
    } else {
        // The operator's own empty database: drop the tables the restore put there.
        let _ = drop_tables(target, &tables).await;
        false
    };
    let mut check = compared?;
    check.dropped = dropped;
    Ok(check)
}

/// `check` into a scratch database (see `scratch_name`) that it creates and drops. Being
/// refused there is not about the metadata tables but about having such a database.
pub async fn check_in_scratch(
    file: &Path,
    manifest: &Manifest,
    scratch: &DbSettings,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<RestoreCheck, RestoreError> {
    check(file, manifest, scratch, events, cancel)
        .await
        .map_err(|e| match e {
            RestoreError::Db(DbError::PermissionDenied { detail })
            | RestoreError::TargetDenied { detail, .. } => {
                RestoreError::Db(DbError::ScratchDatabaseDenied {
                    user: scratch.user.value.clone(),
                    detail,
                })
            }
            e => e,
        })
}

/// Records a test restore in the backup's manifest, as a verification, so `backups` and the
/// wizard show the backup as checked.
pub fn record(backup: &Path, manifest: &Manifest, check: &RestoreCheck) -> std::io::Result<()> {
    let mut manifest = manifest.clone();
    manifest.verification = Some(super::manifest::Verification {
        at: Utc::now(),
        ok: check.ok(),
        summary: if check.ok() {
            format!(
                "restored into a scratch database: all {} tables match",
                check.tables.len()
            )
        } else {
            "restored into a scratch database: some tables differ".into()
        },
        restored: true,
    });
    super::manifest::write(backup, &manifest).map(drop)
}

async fn compare(
    restored: Restored,
    manifest: &Manifest,
    target: &DbSettings,
    cancel: &CancellationToken,
) -> Result<RestoreCheck, RestoreError> {
    let comparable = manifest.method == Method::Builtin && manifest.format == FileFormat::Sql;
    let live = if comparable {
        let db = Db::connect(target).await?;
        let header = Header {
            product: String::new(),
            server_version: String::new(),
            database: target.database.value.clone(),
            schema: None,
            openmetadata_version: None,
            started_at: Utc::now(),
        };
        let plan = DumpPlan {
            format: FileFormat::Sql,
            header: &header,
            tuning: Tuning::default(),
        };
        let dumped = dump::dump(
            &db,
            &plan,
            &mut Out::new(None),
            &Reporter::new(None),
            cancel,
        )
        .await;
        db.close().await;
        Some(dumped.map_err(|e| {
            RestoreError::Db(DbError::Other(format!(
                "re-reading the restored database: {e}"
            )))
        })?)
    } else {
        None
    };
    let tables = manifest
        .tables
        .iter()
        .map(|expected| {
            let restored_rows = restored
                .tables
                .iter()
                .find(|t| t.name == expected.name)
                .map(|t| t.rows);
            let checksum_matches = live.as_ref().map(|live| {
                live.tables
                    .iter()
                    .find(|t| t.name == expected.name)
                    .is_some_and(|t| t.checksum == expected.checksum && t.rows == expected.rows)
            });
            TableComparison {
                name: expected.name.clone(),
                expected_rows: expected.rows,
                restored_rows,
                checksum_matches,
            }
        })
        .collect();
    Ok(RestoreCheck {
        database: target.database.value.clone(),
        dropped: false,
        restored,
        tables,
        checksums_compared: comparable,
    })
}

/// Drops the tables a test restore put into a database the operator named for it.
async fn drop_tables(target: &DbSettings, tables: &[String]) -> Result<(), DbError> {
    let db = Db::connect(target).await?;
    let result = admin::drop_tables(&db, tables).await;
    db.close().await;
    result
}
