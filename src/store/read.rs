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

use super::{Store, StoreError};
use crate::backup::output::hex;

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
        let size = result.meta.size;
        let redactor = self.redactor.clone();
        let stream = result
            .into_stream()
            .map_err(move |e| {
                std::io::Error::other(format!(
                    "reading {url}: {}",
                    redactor.redact(&e.to_string())
                ))
            })
            .boxed();
        Ok(StoredReader {
            size,
            inner: StreamReader::new(stream),
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
