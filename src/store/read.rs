//! Reading a stored object as a stream (verify and restore straight from the store, without a
//! local copy), and checking one against an expected size and SHA-256 by reading it back.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::ObjectStoreExt as _;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::io::StreamReader;

use std::sync::Arc;

use object_store::{GetOptions, GetResult};
use tokio_util::io::SyncIoBridge;

use super::{Redactor, Store, StoreError, StoredManifest};
use crate::backup::manifest::MANIFEST_SUFFIX;
use crate::backup::output::hex;
use crate::backup::remote::{Opener, RemoteBackup};

/// A stored object, read as it arrives. Read errors carry no credentials.
pub struct StoredReader {
    size: u64,
    inner: StreamReader<BoxStream<'static, std::io::Result<Bytes>>, Bytes>,
}

impl std::fmt::Debug for StoredReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredReader")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl StoredReader {
    /// The object's size, as the store reported it.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl AsyncRead for StoredReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl Store {
    /// Opens `name` under the prefix for streaming.
    pub async fn open_reader(&self, name: &str) -> Result<StoredReader, StoreError> {
        let url = self.url_of(name);
        let result = self
            .with_timeout(&url, self.inner.get(&self.destination.key(name)))
            .await?;
        Ok(StoredReader {
            size: result.meta.size,
            inner: StreamReader::new(redacted_stream(result, url, self.redactor.clone())),
        })
    }

    /// Reads `name` back and compares its size and SHA-256 (hex) with the expected ones.
    pub async fn verify_object(
        &self,
        name: &str,
        bytes: u64,
        sha256: &str,
    ) -> Result<(), StoreError> {
        let url = self.url_of(name);
        let result = self
            .with_timeout(&url, self.inner.get(&self.destination.key(name)))
            .await?;
        let mut stream = result.into_stream();
        let mut sha = Sha256::new();
        let mut seen = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(&url, e))?;
            seen += chunk.len() as u64;
            sha.update(&chunk);
        }
        let stored = hex(&sha.finalize());
        if seen != bytes || !stored.eq_ignore_ascii_case(sha256) {
            return Err(StoreError::Mismatch {
                url,
                detail: format!(
                    "read back {seen} bytes with sha256 {stored}; expected {bytes} bytes with sha256 {sha256}"
                ),
            });
        }
        Ok(())
    }
}

/// An object's bytes as they arrive; a read error names the URL, never a credential.
fn redacted_stream(
    result: GetResult,
    url: String,
    redactor: Redactor,
) -> BoxStream<'static, std::io::Result<Bytes>> {
    result
        .into_stream()
        .map_err(move |e| {
            std::io::Error::other(format!(
                "reading {url}: {}",
                redactor.redact(&e.to_string())
            ))
        })
        .boxed()
}

/// A URL that names one stored backup (`s3://bucket/prefix/NAME.sql`): the store of its
/// prefix and the object's name.
pub fn split_object_url(url: &str) -> Result<(String, String), StoreError> {
    let trimmed = url.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((prefix, name))
            if !name.is_empty() && !prefix.ends_with(':') && !prefix.ends_with(":/") =>
        {
            Ok((prefix.to_string(), name.to_string()))
        }
        _ => Err(StoreError::BadUrl {
            url: url.split(['?', '#']).next().unwrap_or("").to_string(),
            reason: "name the backup file itself, e.g. s3://bucket/prefix/NAME.sql (list them \
                     with `om-upgrade backups s3://bucket/prefix`)"
                .into(),
        }),
    }
}

impl Store {
    /// The stored backup `name` with its stored manifest, as a stream source for verify and
    /// restore. Every read of it is pinned to the object as it is now (its ETag, where the
    /// store has one): a replaced object fails the read instead of mixing two backups.
    pub async fn remote_backup(&self, name: &str) -> Result<RemoteBackup, StoreError> {
        let url = self.url_of(name);
        let manifest_name = format!("{name}{MANIFEST_SUFFIX}");
        let manifest = match self.read_manifest(&manifest_name).await {
            Ok(StoredManifest::Present(m)) => *m,
            Ok(StoredManifest::Invalid(why)) => {
                return Err(StoreError::Other {
                    url: self.url_of(&manifest_name),
                    detail: format!("the manifest is not valid: {why}"),
                });
            }
            Ok(StoredManifest::Missing | StoredManifest::UnfinishedUpload)
            | Err(StoreError::NotFound { .. }) => {
                return Err(StoreError::NoManifest { url });
            }
            Err(other) => return Err(other),
        };
        let key = self.destination.key(name);
        let meta = self.with_timeout(&url, self.inner.head(&key)).await?;
        let inner = self.inner.clone();
        let redactor = self.redactor.clone();
        let handle = tokio::runtime::Handle::current();
        let etag = meta.e_tag.clone();
        let timeout = self.options.timeout;
        let context_url = url.clone();
        let opener: Opener = Arc::new(move || {
            let options = GetOptions::new().with_if_match(etag.clone());
            let result = handle
                .block_on(async {
                    tokio::time::timeout(timeout, inner.get_opts(&key, options)).await
                })
                .map_err(|_| {
                    std::io::Error::other(format!("{context_url}: no answer within {timeout:?}"))
                })?
                .map_err(|e| {
                    let text = match e {
                        object_store::Error::Precondition { .. } => {
                            "the object was replaced while it was being read".to_string()
                        }
                        other => redactor.redact(&other.to_string()),
                    };
                    std::io::Error::other(format!("reading {context_url}: {text}"))
                })?;
            let stream = redacted_stream(result, context_url.clone(), redactor.clone());
            let reader = StreamReader::new(stream);
            Ok(
                Box::new(SyncIoBridge::new_with_handle(reader, handle.clone()))
                    as Box<dyn std::io::Read + Send>,
            )
        });
        Ok(RemoteBackup::new(url, manifest, opener))
    }
}
