//! What every way of taking a backup shares: the request, the finished backup and its error,
//! and the steps around the dump itself (describing the source, the stored secrets' facts,
//! publishing the file with its manifest). `take` (the built-in method) and `external` (other
//! programs) both build on it.

use std::path::PathBuf;

use super::dump::{DumpError, Tuning};
use super::external::ExternalError;
use super::leftovers;
use super::manifest::{self, FileFormat, FileInfo, Manifest, Method, Source};
use super::naming::{self, RequestError};
use super::output::{Compression, Finished, Left, WriteFailure};
use crate::config::{DbSettings, Secret};
use crate::db::inspect::{self, Detection};
use crate::db::{Db, DbError, Engine};
use crate::secrets::SecretFacts;

/// What to back up and how.
#[derive(Debug, Clone)]
pub struct BackupRequest {
    pub settings: DbSettings,
    pub output_dir: PathBuf,
    /// File name; default `openmetadata_<YYYYmmddHHMM>_backup.sql`.
    pub name: Option<String>,
    pub method: Method,
    pub format: FileFormat,
    pub compression: Compression,
    /// Interpreter for `--method metadata-cli`.
    pub python: Option<PathBuf>,
    /// How the built-in method spreads its reading.
    pub tuning: Tuning,
    /// The server's `FERNET_KEY`, when known: the manifest records which key wrote the stored
    /// secrets (a fingerprint, never the key).
    pub fernet_key: Option<Secret>,
}

impl BackupRequest {
    /// The checks made before connecting: the folder, the name and the options together.
    pub fn check(&self) -> Result<(), RequestError> {
        naming::check_folder(&self.output_dir)?;
        match (self.method, self.format) {
            (Method::Builtin, FileFormat::Native) => return Err(RequestError::NativeFormat),
            (Method::MetadataCli | Method::Native, _) if self.compression != Compression::None => {
                return Err(RequestError::CompressNeedsBuiltin);
            }
            _ => {}
        }
        if let Some(name) = &self.name {
            naming::check_name(name, &self.output_dir, self.method, self.compression)?;
            let path = self.output_dir.join(name);
            for taken in [path.clone(), manifest::path_for(&path)] {
                if taken.symlink_metadata().is_ok() {
                    return Err(RequestError::NameTaken {
                        unfinished: leftovers::unfinished_state(&taken),
                        path: taken.display().to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// A finished backup.
#[derive(Debug, Clone)]
pub struct Backup {
    pub path: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest: Manifest,
    /// Partial files of killed runs found and removed before starting.
    pub removed_partials: Vec<PathBuf>,
    /// Backups killed at their last step whose manifest was put in place before starting.
    pub completed_backups: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("{what} is not an OpenMetadata database; refusing to back it up (check -d/--database{})", if *postgres { " and -s/--schema" } else { "" })]
    NotOpenMetadata { what: String, postgres: bool },
    #[error("{0}")]
    Dump(#[from] DumpError),
    #[error("{0}")]
    Request(#[from] RequestError),
    #[error("writing {}: {source}; {left}", path.display())]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
        /// What the failed write left on disk after removing what it could.
        left: Left,
    },
    #[error("{0}")]
    External(#[from] ExternalError),
    #[error("{0}")]
    Invalid(String),
    #[error("the backup was cancelled; no file was kept")]
    Cancelled,
}

impl BackupError {
    /// A write failure with what it left on disk.
    pub(super) fn output(path: PathBuf, failure: WriteFailure) -> BackupError {
        BackupError::Output {
            path,
            source: failure.source,
            left: failure.left,
        }
    }

    /// An error before anything was written.
    pub(super) fn before_writing(path: PathBuf, source: std::io::Error) -> BackupError {
        BackupError::Output {
            path,
            source,
            left: Left::default(),
        }
    }

    pub fn remediation(&self) -> Option<String> {
        match self {
            BackupError::Db(e) => Some(e.remediation()),
            BackupError::Dump(DumpError::Db(e))
            | BackupError::Dump(DumpError::Table { error: e, .. }) => Some(e.remediation()),
            BackupError::Output { source, .. } if source.raw_os_error() == Some(28) => Some(
                "The disk is full: free space, or choose a folder with more room with --output."
                    .into(),
            ),
            BackupError::Output { source, .. }
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                Some("Choose another --name, or move the existing file away first.".into())
            }
            BackupError::Output { .. } => Some(
                "Check that the folder exists, is writable, and has room (--output DIR).".into(),
            ),
            BackupError::External(e) => Some(e.remediation()),
            _ => None,
        }
    }
}

/// Connects and describes the source; refuses a database that is not OpenMetadata.
pub(super) async fn describe_source(db: &Db, settings: &DbSettings) -> Result<Source, BackupError> {
    let server = inspect::server_info(db).await?;
    let openmetadata_version = match inspect::detect_openmetadata(db).await? {
        Detection::OpenMetadata(info) => info.schema_version.map(|v| v.to_string()),
        Detection::NotOpenMetadata { .. } => {
            let postgres = settings.engine.value == Engine::Postgres;
            return Err(BackupError::NotOpenMetadata {
                what: if postgres {
                    format!(
                        "schema '{}' of database '{}'",
                        settings.schema.value, settings.database.value
                    )
                } else {
                    format!("database '{}'", settings.database.value)
                },
                postgres,
            });
        }
    };
    let data_bytes = inspect::table_sizes(db)
        .await
        .ok()
        .map(|tables| tables.iter().map(|t| t.data_bytes).sum());
    Ok(Source {
        data_bytes,
        engine: settings.engine.value,
        product: server.product.to_string(),
        server_version: server.version_text.clone(),
        host: settings.host.value.clone(),
        port: settings.port.value,
        database: settings.database.value.clone(),
        schema: (settings.engine.value == Engine::Postgres).then(|| settings.schema.value.clone()),
        openmetadata_version,
    })
}

/// What the manifest says about the stored secrets; none when they cannot be read (the backup
/// does not depend on it).
pub(super) async fn secret_facts(db: &Db, request: &BackupRequest) -> Option<SecretFacts> {
    crate::secrets::manifest_facts(db, request.fernet_key.as_ref())
        .await
        .ok()
}

/// Writes the manifest beside the finished data file and puts both in place.
pub(super) fn publish(written: Finished, manifest: Manifest) -> Result<Backup, BackupError> {
    let target = written.target().to_path_buf();
    let text = match manifest::to_json(&manifest) {
        Ok(text) => text,
        Err(source) => return Err(BackupError::output(target, written.discard(source))),
    };
    let published = written
        .publish(&text)
        .map_err(|failure| BackupError::output(target, failure))?;
    Ok(Backup {
        path: published.path,
        manifest_path: published.manifest_path,
        manifest,
        removed_partials: Vec::new(),
        completed_backups: Vec::new(),
    })
}

pub(super) fn file_info(written: &Finished, compression: Compression) -> FileInfo {
    FileInfo {
        name: written
            .target()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes: written.bytes,
        sha256: written.sha256.clone(),
        compression,
    }
}
