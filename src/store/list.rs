//! The backups under a destination's prefix, each with its manifest.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::ObjectStoreExt as _;

use super::{Store, StoreError, UPLOAD_TEMP_INFIX};
use crate::backup::manifest::{MANIFEST_SUFFIX, Manifest};

/// A data object under the prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBackup {
    pub name: String,
    pub url: String,
    pub bytes: u64,
    pub last_modified: DateTime<Utc>,
    pub manifest: StoredManifest,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StoredManifest {
    Present(Box<Manifest>),
    /// No manifest: an upload that did not finish, or a file copied by other means.
    Missing,
    /// A manifest that cannot be read as one.
    Invalid(String),
    /// Not a backup: the temporary file of a copy into a folder that was killed before it
    /// finished (`NAME.omu-upload-…`); nothing uses it, it can be removed.
    UnfinishedUpload,
}

/// Manifests read at once by a listing.
const MANIFEST_READS: usize = 8;

/// Manifests larger than this are not manifests.
const MAX_MANIFEST_BYTES: usize = 16 << 20;

impl Store {
    /// Lists the backups directly under the prefix (not in sub-folders), newest first, with
    /// their manifests read and parsed.
    pub async fn list_backups(&self) -> Result<Vec<StoredBackup>, StoreError> {
        let url = self.destination.to_string();
        let prefix = self.destination.prefix_path();
        let listing = self
            .with_timeout(&url, self.inner.list_with_delimiter(prefix.as_ref()))
            .await
            .map_err(|error| unlistable_name(&url, error))?;
        let mut data = BTreeMap::new();
        let mut manifests = BTreeMap::new();
        for object in listing.objects {
            let Some(name) = object.location.filename().map(str::to_string) else {
                continue;
            };
            if name.contains(UPLOAD_TEMP_INFIX) || name.contains('#') {
                continue;
            }
            match name.strip_suffix(MANIFEST_SUFFIX) {
                Some(data_name) => {
                    manifests.insert(data_name.to_string(), name);
                }
                None => {
                    data.insert(name, object);
                }
            }
        }
        // A few manifests at a time: thousands of backups under one prefix list in seconds.
        let manifests = &manifests;
        let reads = data.into_iter().map(|(name, object)| async move {
            let manifest = match manifests.get(&name) {
                // Removed since the listing: as if it had not been there.
                Some(manifest_name) => match self.read_manifest(manifest_name).await {
                    Err(StoreError::NotFound { .. }) => StoredManifest::Missing,
                    other => other?,
                },
                None => StoredManifest::Missing,
            };
            Ok::<_, StoreError>(StoredBackup {
                url: self.url_of(&name),
                name,
                bytes: object.size,
                last_modified: object.last_modified,
                manifest,
            })
        });
        let mut backups: Vec<StoredBackup> = futures_util::stream::iter(reads)
            .buffered(MANIFEST_READS)
            .try_collect()
            .await?;
        backups.extend(self.unfinished_uploads());
        backups.sort_by(|a, b| {
            b.last_modified
                .cmp(&a.last_modified)
                .then(a.name.cmp(&b.name))
        });
        Ok(backups)
    }

    /// What killed copies into a folder left: their temporary files (`NAME.omu-upload-…`, and
    /// the crate's `…#N` part files, which its own listing hides). Stores other than a folder
    /// upload straight to the final name and leave nothing visible.
    fn unfinished_uploads(&self) -> Vec<StoredBackup> {
        let Some(folder) = &self.destination.folder else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(folder) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let meta = entry.metadata().ok().filter(|m| m.is_file())?;
                name.contains(UPLOAD_TEMP_INFIX).then(|| StoredBackup {
                    url: self.url_of(&name),
                    name,
                    bytes: meta.len(),
                    last_modified: meta
                        .modified()
                        .map(DateTime::from)
                        .unwrap_or_else(|_| Utc::now()),
                    manifest: StoredManifest::UnfinishedUpload,
                })
            })
            .collect()
    }

    pub(super) async fn read_manifest(&self, name: &str) -> Result<StoredManifest, StoreError> {
        let url = self.url_of(name);
        let key = self.destination.key(name);
        let result = self.with_timeout(&url, self.inner.get(&key)).await?;
        if result.meta.size > MAX_MANIFEST_BYTES as u64 {
            return Ok(StoredManifest::Invalid(format!(
                "{} bytes is too large for a manifest",
                result.meta.size
            )));
        }
        let bytes = self.with_timeout(&url, result.bytes()).await?;
        Ok(match serde_json::from_slice::<Manifest>(&bytes) {
            Ok(manifest) => StoredManifest::Present(Box::new(manifest)),
            Err(e) => StoredManifest::Invalid(e.to_string()),
        })
    }
}

/// The crate refuses a whole listing page when one key under the prefix has a `..` or empty
/// segment or a control character (`a//b`, `x/../y`): say so, and which, instead of the
/// crate's words.
fn unlistable_name(url: &str, error: StoreError) -> StoreError {
    match error {
        StoreError::Other { detail, .. }
            if detail.contains("whilst parsing path segment")
                || detail.contains("empty path segment") =>
        {
            // The name may hold control characters (escape sequences): never print them.
            let detail: String = detail
                .chars()
                .map(|c| match c {
                    c if c.is_control() => c.escape_unicode().to_string(),
                    c => c.to_string(),
                })
                .collect();
            StoreError::Other {
                url: url.to_string(),
                detail: format!(
                    "an object under this prefix has a name the store client cannot list \
                     ({detail}): move it out of the prefix, or keep the backups under a prefix \
                     of their own"
                ),
            }
        }
        other => other,
    }
}
