//! A copy that is already (partly) there: what a copy killed after its data was stored leaves
//! (the data without its manifest: Azure, GCS and S3 between completion and the manifest), or a
//! copy killed before the local manifest recorded it. Copying the same backup again completes
//! it — the stored object is read back and must be this backup, byte for byte — instead of
//! failing forever on "already exists". Anything else under the name is refused, never
//! replaced.

use std::path::Path;

use bytes::Bytes;
use object_store::ObjectStoreExt as _;
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::progress::UploadReporter;
use super::upload::{file_name, read_manifest_text};
use super::{Store, StoreError, StoredCopy, StoredObject, UploadEvent, VerifiedBy};
use crate::backup::manifest::{MANIFEST_SUFFIX, Manifest};
use crate::backup::output::hex;

impl Store {
    /// Completes the copy of `backup` whose data object (and maybe manifest) is already stored.
    pub(super) async fn adopt_existing(
        &self,
        backup: &Path,
        manifest: &Manifest,
        events: Option<UnboundedSender<UploadEvent>>,
        cancel: &CancellationToken,
    ) -> Result<StoredCopy, StoreError> {
        let name = file_name(backup)?;
        let manifest_name = format!("{name}{MANIFEST_SUFFIX}");
        let url = self.url_of(&name);
        let other = |url: String| StoreError::ObjectExists { url };
        if self.is_the_backup_itself(backup, &name) {
            return Err(StoreError::Other {
                url,
                detail: "this is the backup itself, not a copy: copy it to another folder or \
                         store"
                    .into(),
            });
        }
        if !self.exists(&name).await? {
            // A manifest without its data is not this tool's leftover.
            return Err(other(self.url_of(&manifest_name)));
        }
        let stored_manifest = match self.exists(&manifest_name).await? {
            true => Some(self.stored_manifest_of(&manifest_name, manifest).await?),
            false => None,
        };
        let reporter = UploadReporter::new(events, &url, manifest.file.bytes);
        reporter.started();
        reporter.verifying(VerifiedBy::ReadBack);
        let read_back = tokio::select! {
            read = self.verify_object(&name, manifest.file.bytes, &manifest.file.sha256) => read,
            () = cancel.cancelled() => return Err(StoreError::Other {
                url,
                detail: "cancelled while the stored object was read back; it is left as it \
                         was found"
                    .into(),
            }),
        };
        match read_back {
            Ok(()) => {}
            Err(StoreError::Mismatch { .. }) => return Err(other(url)),
            Err(error) => return Err(error),
        }
        let data = StoredObject {
            name: name.clone(),
            url,
            bytes: manifest.file.bytes,
            sha256: manifest.file.sha256.clone(),
            verified_by: VerifiedBy::ReadBack,
        };
        let manifest = match stored_manifest {
            Some(stored) => stored,
            None => {
                let text = read_manifest_text(backup)?;
                self.put_small(&manifest_name, Bytes::from(text)).await?
            }
        };
        reporter.verified();
        Ok(StoredCopy { data, manifest })
    }

    /// Whether the destination is a folder where `name` is the very file `backup` (the backup's
    /// own folder, or a path to it): reading it back would "verify" the original.
    fn is_the_backup_itself(&self, backup: &Path, name: &str) -> bool {
        use std::os::unix::fs::MetadataExt as _;
        let Some(folder) = &self.destination.folder else {
            return false;
        };
        match (
            std::fs::metadata(folder.join(name)),
            std::fs::metadata(backup),
        ) {
            (Ok(stored), Ok(local)) => stored.dev() == local.dev() && stored.ino() == local.ino(),
            _ => false,
        }
    }

    /// The stored manifest `name`, when it describes the same file as `manifest` (its list of
    /// copies may differ: it was stored before later copies were recorded).
    async fn stored_manifest_of(
        &self,
        name: &str,
        manifest: &Manifest,
    ) -> Result<StoredObject, StoreError> {
        let url = self.url_of(name);
        let key = self.destination.key(name);
        let text = self
            .with_timeout(&url, async { self.inner.get(&key).await?.bytes().await })
            .await?;
        match serde_json::from_slice::<Manifest>(&text) {
            Ok(stored) if stored.file == manifest.file => Ok(StoredObject {
                name: name.to_string(),
                url,
                bytes: text.len() as u64,
                sha256: hex(&Sha256::digest(&text)),
                verified_by: VerifiedBy::ReadBack,
            }),
            _ => Err(StoreError::ObjectExists { url }),
        }
    }
}
