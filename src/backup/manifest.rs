//! `NAME.manifest.json` beside each backup: what was backed up, from where, and how to tell
//! that the file is still whole.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::checksum::Digest;
use super::compression::Compression;
// The file names live in `paths` (which `output` uses too); named here as well, where callers
// look for them.
pub use super::paths::{MANIFEST_SUFFIX, manifest_of as path_for};
use crate::db::Engine;
use crate::small_file::{self, Accept, ReadError};

/// The largest manifest read: far above one for thousands of tables (about 130 bytes each).
pub const MAX_MANIFEST_BYTES: usize = 64 << 20;
/// Version of the manifest layout.
pub const MANIFEST_VERSION: u32 = 1;

/// How the backup was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// om-upgrade's own consistent streaming dump
    Builtin,
    /// the official `python -m metadata backup` (openmetadata-ingestion)
    MetadataCli,
    /// pg_dump / mysqldump
    Native,
}

/// The file's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    /// Schema and data, loadable by `om-upgrade restore`, mysql or psql
    Sql,
    /// The line format of `metadata backup` 1.1, accepted by `metadata restore`
    OmCli,
    /// What pg_dump / mysqldump wrote
    Native,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub rows: u64,
    /// Order-independent content checksum of the rows as written (absent for files we did not
    /// write ourselves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Digest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub engine: Engine,
    pub product: String,
    pub server_version: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    /// Postgres schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// OpenMetadata schema version when the backup was taken.
    pub openmetadata_version: Option<String>,
    /// Table data as the server measured it when the backup was taken (Postgres
    /// `pg_table_size`, MySQL `DATA_LENGTH`): the next backup's size is estimated from the
    /// ratio of the file to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
    pub compression: Compression,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub summary: String,
    /// The backup was restored into a scratch database and compared.
    #[serde(default)]
    pub restored: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    pub tool: String,
    pub tool_version: String,
    pub method: Method,
    pub format: FileFormat,
    pub source: Source,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// "repeatable-read snapshot" or what the method guarantees.
    pub consistency: String,
    pub tables: Vec<TableEntry>,
    pub file: FileInfo,
    /// Largest single statement in the file (MySQL restores need max_allowed_packet above it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_statement_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Verified copies off this host (`backup --copy-to`, `copy`), oldest first. Recorded in the
    /// local manifest only: the stored manifest was put before its copy was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copies: Vec<CopyRecord>,
    /// Whether the database held Fernet-encrypted secrets and which key wrote them (a
    /// fingerprint, never the key): absent when they could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<crate::secrets::SecretFacts>,
}

/// How a stored copy was checked against what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifiedBy {
    /// The store's own checksum over the bytes it received (S3's multipart ETag: the MD5 of
    /// the parts' MD5s), compared with the same checksum over the bytes sent.
    StoreChecksum,
    /// The object was read back and its SHA-256 and size compared.
    ReadBack,
}

impl std::fmt::Display for VerifiedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerifiedBy::StoreChecksum => "the store's checksum of the received parts",
            VerifiedBy::ReadBack => "reading it back",
        })
    }
}

/// A verified copy of the backup off this host. The URL names the place only: credentials
/// never appear in a destination URL (one that carries them is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyRecord {
    /// Where the data object is (`s3://bucket/prefix/NAME`, `az://…`, `gs://…`, a folder).
    pub url: String,
    /// When its verification finished.
    pub at: DateTime<Utc>,
    pub verified_by: VerifiedBy,
    /// Size and SHA-256 of the stored object, equal to the manifest's `file`.
    pub bytes: u64,
    pub sha256: String,
    /// The last `om-upgrade verify URL` of the stored copy (read from the store and parsed,
    /// maybe restored into a scratch database). Recorded here: the stored manifest is written
    /// once and never replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<Verification>,
}

impl Manifest {
    /// Records a verified copy (replacing an earlier record of the same URL).
    pub fn add_copy(&mut self, copy: CopyRecord) {
        // A new copy at the same URL has not been checked since it was made.
        self.copies.retain(|c| c.url != copy.url);
        self.copies.push(copy);
    }

    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("no manifest next to the backup ({}): cannot check it against what was backed up{}", path.display(),
        interrupted.as_ref().map(|p| format!(
            "; {} is there: the backup was killed before its manifest was put in place, so it is \
             not complete (the next `om-upgrade backup` into this folder checks and completes it)",
            p.display()
        )).unwrap_or_default())]
    Missing {
        path: PathBuf,
        /// The manifest under its temporary name, left by a backup killed at its last step.
        interrupted: Option<PathBuf>,
    },
    #[error("cannot read the manifest {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the manifest {} is not valid: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

impl ManifestError {
    /// The backup was killed before its manifest was put in place: incomplete, not foreign.
    pub fn is_interrupted_backup(&self) -> bool {
        matches!(
            self,
            ManifestError::Missing {
                interrupted: Some(_),
                ..
            }
        )
    }
}

pub fn read(backup: &Path) -> Result<Manifest, ManifestError> {
    let path = path_for(backup);
    // Bounded, and never a FIFO or device: a manifest that is a pipe would hang `backups`,
    // `verify` and `restore`, one that is /dev/zero would read until memory runs out.
    let text =
        small_file::read(&path, MAX_MANIFEST_BYTES, Accept::Regular).map_err(
            |error| match error {
                ReadError::NotFound => ManifestError::Missing {
                    interrupted: Some(super::paths::partial_of(&path))
                        .filter(|p| p.symlink_metadata().is_ok()),
                    path: path.clone(),
                },
                ReadError::Io(source) => ManifestError::Unreadable {
                    path: path.clone(),
                    source,
                },
                other => ManifestError::Unreadable {
                    path: path.clone(),
                    source: std::io::Error::other(other.to_string()),
                },
            },
        )?;
    serde_json::from_slice(&text).map_err(|e| ManifestError::Invalid {
        path,
        message: e.to_string(),
    })
}

/// The manifest as written to disk.
pub fn to_json(manifest: &Manifest) -> std::io::Result<Vec<u8>> {
    let mut text = serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?;
    text.push(b'\n');
    Ok(text)
}

/// Replaces the manifest of an existing backup (to record a verification).
pub fn write(backup: &Path, manifest: &Manifest) -> std::io::Result<PathBuf> {
    let path = path_for(backup);
    super::output::write_atomic(&path, &to_json(manifest)?)?;
    Ok(path)
}
