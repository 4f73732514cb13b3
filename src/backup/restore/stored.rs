//! Restoring a backup read from an off-host store, as a stream: no local copy. The guards are
//! those of a local file, answered from the stored manifest. On PostgreSQL the object is read
//! once: its size and SHA-256 are computed while it loads and checked before anything is
//! committed. On MySQL one streaming read checks them first, then the load streams the object
//! again, pinned to the same version of it.

use super::types::{Accepted, RestoreError, RestoreRequest};
use super::{accept_target, check_engine, hashes_on_load};
use crate::backup::completeness::Proof;
use crate::backup::manifest::FileFormat;
use crate::backup::remote::RemoteBackup;
use crate::backup::scan::FileKind;
use crate::config::DbSettings;

/// Every guard of [`super::accept`] for a stored backup with its manifest.
pub async fn accept_remote(
    remote: RemoteBackup,
    settings: DbSettings,
    replace_existing: bool,
) -> Result<Accepted, RestoreError> {
    let manifest = remote.manifest.clone();
    let kind = match manifest.format {
        FileFormat::Sql => FileKind::OmUpgradeSql,
        FileFormat::OmCli => FileKind::Statements,
        FileFormat::Native => {
            return Err(RestoreError::NotStreamable {
                url: remote.url.clone(),
            });
        }
    };
    check_engine(Some(manifest.source.engine), settings.engine.value)?;
    let hash_on_load = hashes_on_load(settings.engine.value, kind);
    if !hash_on_load {
        check_stored_sha256(&remote).await?;
    }
    let request = RestoreRequest {
        file: remote.display_path(),
        settings,
        replace_existing,
        allow_incomplete: false,
    };
    let mut accepted =
        accept_target(request, Some(manifest), kind, Proof::Manifest, Some(remote)).await?;
    accepted.hash_on_load = hash_on_load;
    Ok(accepted)
}

/// Reads the whole stored object: its size and SHA-256 are those of its manifest.
async fn check_stored_sha256(remote: &RemoteBackup) -> Result<(), RestoreError> {
    let reading = remote.clone();
    let hashed = tokio::task::spawn_blocking(move || reading.hash())
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r)
        .map_err(|source| RestoreError::Unreadable {
            path: remote.display_path(),
            source,
        })?;
    if !remote.matches(&hashed) {
        return Err(RestoreError::Damaged {
            path: remote.display_path(),
            expected: remote.manifest.file.sha256.clone(),
            found: hashed.sha256,
        });
    }
    Ok(())
}
