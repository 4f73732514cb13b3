//! A backup copied off this host: uploaded with its manifest, verified, and recorded in the
//! local manifest so `backups`, the wizard and the report can show where the copies are.

use std::path::{Path, PathBuf};

use chrono::Utc;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::{Store, StoreError, StoredCopy, UploadEvent};
use crate::backup::manifest::{self, CopyRecord, Verification};

/// A verified copy, and whether it could be written down in the local manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Copied {
    pub record: CopyRecord,
    pub stored: StoredCopy,
    /// Why the local manifest could not record the copy (the copy itself is fine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_recorded: Option<String>,
}

impl Store {
    /// Uploads the backup and its manifest, verifies both, and records the copy in the local
    /// manifest. An existing object under either name is never replaced; `cancel` stops the
    /// upload and aborts it.
    pub async fn copy_backup(
        &self,
        backup: &Path,
        events: Option<UnboundedSender<UploadEvent>>,
        cancel: &CancellationToken,
    ) -> Result<Copied, StoreError> {
        let stored = self.upload_backup_until(backup, events, cancel).await?;
        let record = CopyRecord {
            url: stored.data.url.clone(),
            at: Utc::now(),
            verified_by: stored.data.verified_by,
            bytes: stored.data.bytes,
            sha256: stored.data.sha256.clone(),
            checked: None,
        };
        let not_recorded = record_copy(backup, &record).err();
        Ok(Copied {
            record,
            stored,
            not_recorded,
        })
    }
}

/// Records the outcome of `verify URL` of a stored copy in the local manifests (in `dirs`) that
/// list a copy at `url` of the same file (`sha256`); returns the manifests written. The stored
/// manifest is never rewritten: it is written once, may be write-protected (object lock), and
/// a verify needs only the right to read.
pub fn record_check(
    dirs: &[PathBuf],
    url: &str,
    sha256: &str,
    check: &Verification,
) -> Vec<PathBuf> {
    let mut written = Vec::new();
    for found in crate::backup::locate::find(dirs) {
        let Some(mut manifest) = found.manifest else {
            continue;
        };
        let Some(copy) = manifest
            .copies
            .iter_mut()
            .find(|c| c.url == url && c.sha256.eq_ignore_ascii_case(sha256))
        else {
            continue;
        };
        copy.checked = Some(check.clone());
        if let Ok(path) = manifest::write(&found.path, &manifest) {
            written.push(path);
        }
    }
    written
}

/// Adds the copy to the manifest beside the backup (atomically replaced); the error says why
/// it could not.
pub fn record_copy(backup: &Path, record: &CopyRecord) -> Result<(), String> {
    let mut manifest = manifest::read(backup).map_err(|e| e.to_string())?;
    manifest.add_copy(record.clone());
    manifest::write(backup, &manifest)
        .map(drop)
        .map_err(|e| format!("cannot write {}: {e}", manifest::path_for(backup).display()))
}
