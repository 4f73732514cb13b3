//! Off-host copies of backups: put, list, read and verify them in a destination given by URL —
//! S3 and S3-compatible stores, Azure Blob Storage, Google Cloud Storage, or a mounted folder —
//! over the `object_store` crate. Credentials come only from each cloud's standard chain and
//! never appear in an error, a log line or a Debug output.

mod adopt;
mod aws_profile;
mod connect;
mod copy;
mod destination;
mod error;
mod list;
mod progress;
mod read;
mod redact;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use object_store::{ObjectStore, ObjectStoreExt as _};

pub use copy::{Copied, record_check, record_copy};
pub use destination::{Destination, StoreKind};
pub use error::StoreError;
pub use list::{StoredBackup, StoredManifest};
pub use progress::UploadEvent;
pub use read::{StoredReader, split_object_url};
pub use redact::Redactor;
pub use upload::{StoredCopy, StoredObject, VerifiedBy};

/// Infix of the temporary names uploads use where the store needs one (a folder); listings show
/// them as unfinished uploads.
pub use crate::backup::paths::UPLOAD_TEMP_INFIX;

/// Settings for talking to a destination. None of them is a credential.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// S3-compatible endpoint (MinIO, Ceph, R2); overrides AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
    pub s3_endpoint: Option<String>,
    /// Bound on one request, retries included: past it an operation fails as unreachable.
    pub timeout: Duration,
    /// Bound on opening a connection.
    pub connect_timeout: Duration,
    /// Size of one uploaded part (at least 5 MiB, S3's minimum; grown for files above
    /// 9,000 parts).
    pub part_size: usize,
    /// Parts in flight at once. Memory holds about `part_size * (concurrency + 2)` of data
    /// (in flight, queued, being read); 6 MiB x 4 measured 56 MiB peak RSS for a 1 GB upload.
    pub concurrency: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            s3_endpoint: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            part_size: 6 << 20,
            concurrency: 4,
        }
    }
}

/// An opened destination.
pub struct Store {
    destination: Destination,
    inner: Arc<dyn ObjectStore>,
    options: StoreOptions,
    redactor: Redactor,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The inner store's Debug may show credentials: never print it.
        f.debug_struct("Store")
            .field("destination", &self.destination.to_string())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Store {
    pub fn destination(&self) -> &Destination {
        &self.destination
    }

    /// The URL of an object under the destination.
    pub fn url_of(&self, name: &str) -> String {
        self.destination.url_of(name)
    }

    fn context<'a>(&'a self, url: &'a str) -> error::Context<'a> {
        error::Context {
            url,
            chain: match self.destination.kind {
                StoreKind::S3 => error::Chain::Aws,
                StoreKind::Azure => error::Chain::Azure,
                StoreKind::Gcs => error::Chain::Google,
                StoreKind::Folder => error::Chain::None,
            },
            bucket_word: self.destination.kind.bucket_word(),
            timeout: self.options.timeout,
            redactor: &self.redactor,
        }
    }

    fn classify(&self, url: &str, error: object_store::Error) -> StoreError {
        self.context(url).classify(error)
    }

    /// Checks that the destination answers, the credentials work and the bucket exists, by
    /// listing the prefix once.
    pub async fn check(&self) -> Result<(), StoreError> {
        let url = self.destination.to_string();
        self.with_timeout(
            &url,
            self.inner
                .list_with_delimiter(self.destination.prefix_path().as_ref()),
        )
        .await
        .map(|_| ())
    }

    /// Whether an object exists under `name`.
    pub async fn exists(&self, name: &str) -> Result<bool, StoreError> {
        let url = self.url_of(name);
        match self
            .with_timeout(&url, self.inner.head(&self.destination.key(name)))
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Removes one object (a backup's data file or manifest); a missing one is not an error.
    pub async fn delete(&self, name: &str) -> Result<(), StoreError> {
        let url = self.url_of(name);
        match self
            .with_timeout(&url, self.inner.delete(&self.destination.key(name)))
            .await
        {
            Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Runs one store request under the overall timeout (the crate's own timeouts bound each
    /// attempt; this bounds attempts, retries and credential look-ups together).
    async fn with_timeout<T>(
        &self,
        url: &str,
        request: impl Future<Output = object_store::Result<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.options.timeout, request).await {
            Ok(result) => result.map_err(|e| self.classify(url, e)),
            Err(_) => Err(StoreError::Unreachable {
                url: url.to_string(),
                timeout: self.options.timeout,
                detail: "no answer".into(),
            }),
        }
    }
}
