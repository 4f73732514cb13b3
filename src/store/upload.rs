//! Uploading a backup and its manifest: a streaming multipart upload with bounded memory,
//! verified before it counts, never over an existing object, never leaving a partial object
//! under the final name.
//!
//! Per store:
//! - S3 / GCS / Azure: the object appears only when the multipart upload is completed (S3
//!   CompleteMultipartUpload, GCS XML multipart completion, Azure Put Block List), so the upload
//!   goes straight to the final key; a failure aborts the upload, and a killed process leaves
//!   only invisible parts (S3/GCS: an incomplete multipart upload that a lifecycle rule or the
//!   next `abort` removes; Azure: uncommitted blocks the service discards after a week).
//!   The crate's multipart completion takes no condition, so "never overwrite" is checked
//!   before the upload and again right before completion (check-then-put).
//! - A folder: the file is written under a temporary name in the same folder, verified, then
//!   hard-linked to the final name (which fails if it exists: atomic, no overwrite) and the
//!   temporary name removed.
//! - The manifest (small) is one conditional put (S3 If-None-Match, Azure If-None-Match, GCS
//!   ifGenerationMatch=0, a folder's create-new) and is written only after the data object was
//!   verified: a manifest in the store means a verified copy.

use std::io::Read;
use std::path::Path;

use bytes::Bytes;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use md5::Md5;
use object_store::{MultipartUpload, ObjectStoreExt as _, PutMode, PutOptions, PutPayload};
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::progress::UploadReporter;
use super::{Store, StoreError, StoreKind, UPLOAD_TEMP_INFIX, UploadEvent};
use crate::backup::manifest::{self, MANIFEST_SUFFIX};
use crate::backup::output::hex;

pub use crate::backup::manifest::VerifiedBy;

/// One verified object in the store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredObject {
    pub name: String,
    pub url: String,
    pub bytes: u64,
    /// SHA-256 of the bytes sent (hex).
    pub sha256: String,
    pub verified_by: VerifiedBy,
}

/// A backup and its manifest, both stored and verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredCopy {
    pub data: StoredObject,
    pub manifest: StoredObject,
}

/// What was sent: size, SHA-256, and the per-part MD5s for S3's ETag.
struct Sent {
    bytes: u64,
    sha256: String,
    part_md5s: Vec<[u8; 16]>,
}

impl Sent {
    /// S3's ETag of a multipart object: MD5 of the concatenated part MD5s, `-` part count.
    fn multipart_etag(&self) -> String {
        let mut md5 = Md5::new();
        for part in &self.part_md5s {
            md5.update(part);
        }
        format!("{}-{}", hex(&md5.finalize()), self.part_md5s.len())
    }
}

/// S3 allows 10,000 parts; stay below with room.
const MAX_PARTS: u64 = 9_000;
/// S3's smallest part (but the last).
const MIN_PART: usize = 5 << 20;

impl Store {
    /// Uploads a backup file and then its manifest (`NAME.manifest.json` beside it) under the
    /// destination's prefix. The copy counts only when both are stored and verified, and the
    /// file's size and SHA-256 match its manifest.
    pub async fn upload_backup(
        &self,
        backup: &Path,
        events: Option<UnboundedSender<UploadEvent>>,
    ) -> Result<StoredCopy, StoreError> {
        self.upload_backup_until(backup, events, &CancellationToken::new())
            .await
    }

    /// As [`Store::upload_backup`]; `cancel` stops it, aborting the unfinished upload.
    pub async fn upload_backup_until(
        &self,
        backup: &Path,
        events: Option<UnboundedSender<UploadEvent>>,
        cancel: &CancellationToken,
    ) -> Result<StoredCopy, StoreError> {
        let manifest = manifest::read(backup)?;
        let name = file_name(backup)?;
        let manifest_name = format!("{name}{MANIFEST_SUFFIX}");
        if self.exists(&name).await? || self.exists(&manifest_name).await? {
            // A copy of this backup killed before it finished (or before it was recorded):
            // completed when what is stored is this backup, else refused, never replaced.
            return self.adopt_existing(backup, &manifest, events, cancel).await;
        }
        let data = self
            .upload_file_until(backup, &name, events.clone(), cancel)
            .await?;
        if data.bytes != manifest.file.bytes || data.sha256 != manifest.file.sha256 {
            let _ = self.delete(&name).await;
            return Err(StoreError::Mismatch {
                url: data.url,
                detail: format!(
                    "the local file ({} bytes, sha256 {}) does not match its manifest ({} bytes, \
                     sha256 {}): it changed after the backup; nothing was kept in the store",
                    data.bytes, data.sha256, manifest.file.bytes, manifest.file.sha256
                ),
            });
        }
        if cancel.is_cancelled() {
            // Interrupted after the data was stored: without its manifest it is no copy.
            let _ = self.delete(&name).await;
            return Err(StoreError::Cancelled { url: data.url });
        }
        let text = read_manifest_text(backup)?;
        match self.put_small(&manifest_name, Bytes::from(text)).await {
            Ok(manifest) => Ok(StoredCopy { data, manifest }),
            Err(error) => {
                // Without its manifest the data object is no verified copy: do not leave it.
                let _ = self.delete(&name).await;
                Err(error)
            }
        }
    }

    /// Uploads any local file as `name` under the prefix, verified; refuses an existing name.
    pub async fn upload_file(
        &self,
        local: &Path,
        name: &str,
        events: Option<UnboundedSender<UploadEvent>>,
    ) -> Result<StoredObject, StoreError> {
        self.upload_file_until(local, name, events, &CancellationToken::new())
            .await
    }

    /// As [`Store::upload_file`]; `cancel` stops it before completion and aborts the upload.
    pub async fn upload_file_until(
        &self,
        local: &Path,
        name: &str,
        events: Option<UnboundedSender<UploadEvent>>,
        cancel: &CancellationToken,
    ) -> Result<StoredObject, StoreError> {
        let url = self.url_of(name);
        let local_error = |source| StoreError::Local {
            path: local.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(local).map_err(local_error)?.len();
        if self.exists(name).await? {
            return Err(StoreError::ObjectExists { url });
        }
        let folder = self.destination.kind == StoreKind::Folder;
        let target_name = if folder {
            format!("{name}{UPLOAD_TEMP_INFIX}{}", unique_suffix())
        } else {
            name.to_string()
        };
        let target = self.destination.key(&target_name);
        let mut reporter = UploadReporter::new(events, &url, size);
        reporter.started();

        let mut upload = self
            .with_timeout(&url, self.inner.put_multipart(&target))
            .await?;
        let sending = self.send_parts(local, size, upload.as_mut(), &mut reporter);
        let sent = tokio::select! {
            sent = sending => sent,
            () = cancel.cancelled() => Err(StoreError::Cancelled { url: url.clone() }),
        };
        let sent = match sent {
            Ok(sent) if !cancel.is_cancelled() => sent,
            Ok(_) => {
                let _ = tokio::time::timeout(self.options.timeout, upload.abort()).await;
                return Err(StoreError::Cancelled { url });
            }
            Err(error) => {
                let _ = tokio::time::timeout(self.options.timeout, upload.abort()).await;
                return Err(error);
            }
        };
        if !folder && self.exists(name).await? {
            let _ = tokio::time::timeout(self.options.timeout, upload.abort()).await;
            return Err(StoreError::ObjectExists { url });
        }
        if let Err(error) = self.with_timeout(&url, upload.complete()).await {
            let _ = tokio::time::timeout(self.options.timeout, upload.abort()).await;
            return Err(error);
        }

        let verified_by = self
            .verify_and_place(&target_name, name, &sent, &reporter, cancel)
            .await?;
        reporter.verified();
        Ok(StoredObject {
            name: name.to_string(),
            url,
            bytes: sent.bytes,
            sha256: sent.sha256,
            verified_by,
        })
    }

    /// Reads the file on a blocking thread (hashing as it goes) and uploads its parts, at most
    /// `concurrency` at once: memory stays near `part_size * (concurrency + 2)`.
    async fn send_parts(
        &self,
        local: &Path,
        size: u64,
        upload: &mut dyn MultipartUpload,
        reporter: &mut UploadReporter,
    ) -> Result<Sent, StoreError> {
        let part_size = part_size(size, self.options.part_size);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(1);
        let path = local.to_path_buf();
        let reader = tokio::task::spawn_blocking(move || read_parts(&path, part_size, tx));

        let url = self.destination.to_string();
        let mut in_flight = FuturesUnordered::new();
        let concurrency = self.options.concurrency.max(1);
        let timeout = self.options.timeout;
        let mut sent_error = None;
        while let Some(part) = rx.recv().await {
            while in_flight.len() >= concurrency {
                match in_flight.next().await {
                    Some(Ok(len)) => reporter.add(len),
                    Some(Err(e)) => {
                        sent_error = Some(e);
                        break;
                    }
                    None => break,
                }
            }
            if sent_error.is_some() {
                break;
            }
            let len = part.len() as u64;
            let request = upload.put_part(PutPayload::from(part));
            in_flight.push(async move {
                match tokio::time::timeout(timeout, request).await {
                    Ok(result) => result.map(|()| len),
                    Err(_) => Err(object_store::Error::Generic {
                        store: "upload",
                        source: "a part was not accepted in time: timed out".into(),
                    }),
                }
            });
        }
        while sent_error.is_none() {
            match in_flight.next().await {
                Some(Ok(len)) => reporter.add(len),
                Some(Err(e)) => sent_error = Some(e),
                None => break,
            }
        }
        drop(rx);
        let read = reader.await;
        if let Some(error) = sent_error {
            return Err(self.classify(&url, error));
        }
        let sent = match read {
            Ok(result) => result.map_err(|source| StoreError::Local {
                path: local.to_path_buf(),
                source,
            })?,
            Err(join) => {
                return Err(StoreError::Local {
                    path: local.to_path_buf(),
                    source: std::io::Error::other(join.to_string()),
                });
            }
        };
        if sent.bytes != size {
            return Err(StoreError::Local {
                path: local.to_path_buf(),
                source: std::io::Error::other(format!(
                    "the file changed size while it was uploaded ({size} bytes at the start, {} sent)",
                    sent.bytes
                )),
            });
        }
        Ok(sent)
    }

    /// Checks the completed object under `target_name` against what was sent and, in a folder,
    /// gives it its final name. `cancel` (Ctrl-C, SIGTERM) stops a read-back, which takes
    /// minutes for a large backup: the object, not verified, is removed.
    async fn verify_and_place(
        &self,
        target_name: &str,
        name: &str,
        sent: &Sent,
        reporter: &UploadReporter,
        cancel: &CancellationToken,
    ) -> Result<VerifiedBy, StoreError> {
        let url = self.url_of(name);
        let verified = tokio::select! {
            verified = self.verify_sent(target_name, sent, reporter) => verified,
            () = cancel.cancelled() => Err(StoreError::Cancelled { url: url.clone() }),
        };
        let verified_by = match verified {
            Ok(by) => by,
            Err(error) => {
                let _ = self.delete(target_name).await;
                return Err(error);
            }
        };
        if self.destination.kind == StoreKind::Folder {
            let target = self.destination.key(target_name);
            let moved = self
                .with_timeout(
                    &url,
                    self.inner
                        .rename_if_not_exists(&target, &self.destination.key(name)),
                )
                .await;
            if let Err(error) = moved {
                let _ = self.delete(target_name).await;
                return Err(error);
            }
        }
        Ok(verified_by)
    }

    /// Checks the completed object against what was sent.
    async fn verify_sent(
        &self,
        name: &str,
        sent: &Sent,
        reporter: &UploadReporter,
    ) -> Result<VerifiedBy, StoreError> {
        let url = self.url_of(name);
        if self.destination.kind == StoreKind::S3 {
            let meta = self
                .with_timeout(&url, self.inner.head(&self.destination.key(name)))
                .await?;
            let etag = meta
                .e_tag
                .as_deref()
                .unwrap_or("")
                .trim_matches('"')
                .to_ascii_lowercase();
            // Encrypted objects (SSE-KMS, SSE-C) and some S3-compatible stores have ETags that are
            // no MD5: those are read back instead.
            if is_multipart_md5_etag(&etag) {
                reporter.verifying(VerifiedBy::StoreChecksum);
                let expected = sent.multipart_etag();
                if meta.size != sent.bytes || etag != expected {
                    return Err(StoreError::Mismatch {
                        url,
                        detail: format!(
                            "stored {} bytes with ETag {etag}, sent {} bytes with ETag {expected}",
                            meta.size, sent.bytes
                        ),
                    });
                }
                return Ok(VerifiedBy::StoreChecksum);
            }
        }
        reporter.verifying(VerifiedBy::ReadBack);
        self.verify_object(name, sent.bytes, &sent.sha256).await?;
        Ok(VerifiedBy::ReadBack)
    }

    /// A small object (a manifest) in one conditional put, read back and compared.
    pub(super) async fn put_small(
        &self,
        name: &str,
        contents: Bytes,
    ) -> Result<StoredObject, StoreError> {
        let url = self.url_of(name);
        let key = self.destination.key(name);
        let options = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        self.with_timeout(
            &url,
            self.inner
                .put_opts(&key, PutPayload::from(contents.clone()), options),
        )
        .await?;
        let stored = self
            .with_timeout(&url, async { self.inner.get(&key).await?.bytes().await })
            .await?;
        if stored != contents {
            let _ = self.delete(name).await;
            return Err(StoreError::Mismatch {
                url,
                detail: format!("read back {} bytes, sent {}", stored.len(), contents.len()),
            });
        }
        Ok(StoredObject {
            name: name.to_string(),
            url,
            bytes: contents.len() as u64,
            sha256: hex(&Sha256::digest(&contents)),
            verified_by: VerifiedBy::ReadBack,
        })
    }
}

/// The text of the manifest beside `backup`, as it is stored beside the copy.
pub(super) fn read_manifest_text(backup: &Path) -> Result<Vec<u8>, StoreError> {
    let path = manifest::path_for(backup);
    std::fs::read(&path).map_err(|source| StoreError::Local { path, source })
}

pub(super) fn file_name(path: &Path) -> Result<String, StoreError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| StoreError::Local {
            path: path.to_path_buf(),
            source: std::io::Error::other("not a file name in UTF-8"),
        })
}

/// Process id and clock: unique enough for a temporary name in one folder.
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{nanos:x}", std::process::id())
}

fn part_size(size: u64, wanted: usize) -> usize {
    let needed = size.div_ceil(MAX_PARTS) as usize;
    let mib = 1 << 20;
    wanted.max(needed).max(MIN_PART).div_ceil(mib) * mib
}

fn is_multipart_md5_etag(etag: &str) -> bool {
    match etag.split_once('-') {
        Some((md5, count)) => {
            md5.len() == 32
                && md5.bytes().all(|b| b.is_ascii_hexdigit())
                && count.parse::<u32>().is_ok()
        }
        None => false,
    }
}

/// Reads whole parts, hashes them, and hands them to the uploader. An empty file is one empty
/// part (a multipart upload needs at least one).
fn read_parts(
    path: &Path,
    part_size: usize,
    tx: tokio::sync::mpsc::Sender<Bytes>,
) -> std::io::Result<Sent> {
    let mut file = std::fs::File::open(path)?;
    let mut sha = Sha256::new();
    let mut part_md5s = Vec::new();
    let mut bytes = 0u64;
    loop {
        let mut buffer = vec![0u8; part_size];
        let mut filled = 0;
        while filled < part_size {
            match file.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled == 0 && !part_md5s.is_empty() {
            break;
        }
        buffer.truncate(filled);
        sha.update(&buffer);
        part_md5s.push(Md5::digest(&buffer).into());
        bytes += filled as u64;
        if tx.blocking_send(Bytes::from(buffer)).is_err() {
            // The uploader stopped (an error it reports itself).
            break;
        }
        if filled < part_size {
            break;
        }
    }
    Ok(Sent {
        bytes,
        sha256: hex(&sha.finalize()),
        part_md5s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_stays_within_s3_limits() {
        assert_eq!(part_size(1 << 20, 8 << 20), 8 << 20);
        assert_eq!(part_size(0, 1 << 20), MIN_PART);
        let huge = 200u64 << 30;
        let part = part_size(huge, 8 << 20) as u64;
        assert!(huge.div_ceil(part) <= MAX_PARTS);
    }

    #[test]
    fn multipart_etag_is_md5_of_part_md5s() {
        let parts: [&[u8]; 2] = [b"hello ", b"world"];
        let sent = Sent {
            bytes: 11,
            sha256: String::new(),
            part_md5s: parts.iter().map(|p| Md5::digest(p).into()).collect(),
        };
        let mut joined = Vec::new();
        for p in parts {
            joined.extend_from_slice(&Md5::digest(p));
        }
        assert_eq!(
            sent.multipart_etag(),
            format!("{}-2", hex(&Md5::digest(&joined)))
        );
        assert!(is_multipart_md5_etag(&sent.multipart_etag()));
        assert!(!is_multipart_md5_etag("0x8DC1234567890AB"));
        assert!(!is_multipart_md5_etag("5d41402abc4b2a76b9719d911017c592"));
    }
}
