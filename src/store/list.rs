//! The backups under a destination's prefix, each with its manifest.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
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
}

/// Manifests larger than this are not manifests.
const MAX_MANIFEST_BYTES: usize = 16 << 20;

impl Store {
    /// Lists the backups directly under the prefix (not in sub-folders), newest first, with
    /// their manifests read and parsed.
    pub async fn list_backups(&self) -> Result<Vec<StoredBackup>, StoreError> {
        let url = self.destination.to_string();
        let listing = self
            .with_timeout(
                &url,
                self.inner
                    .list_with_delimiter(self.destination.prefix_path().as_ref()),
            )
            .await?;
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
        let mut backups = Vec::new();
        for (name, object) in data {
            let manifest = match manifests.get(&name) {
                Some(manifest_name) => self.read_manifest(manifest_name).await?,
                None => StoredManifest::Missing,
            };
            backups.push(StoredBackup {
                url: self.url_of(&name),
                name,
                bytes: object.size,
                last_modified: object.last_modified,
                manifest,
            });
        }
        backups.sort_by(|a, b| {
            b.last_modified
                .cmp(&a.last_modified)
                .then(a.name.cmp(&b.name))
        });
        Ok(backups)
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
