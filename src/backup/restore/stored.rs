//! Restoring a backup read from an off-host store, as a stream: no local copy. The guards are
//! those of a local file, answered from the stored manifest and one streaming read of the
//! object (its size and SHA-256); the load then streams the object again, pinned to the same
//! version of it.

use super::{Accepted, RestoreError, RestoreRequest, accept_target, check_engine};
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
            expected: manifest.file.sha256.clone(),
            found: hashed.sha256,
        });
    }
    let request = RestoreRequest {
        file: remote.display_path(),
        settings,
        replace_existing,
        allow_incomplete: false,
    };
    accept_target(request, Some(manifest), kind, Proof::Manifest, Some(remote)).await
}
