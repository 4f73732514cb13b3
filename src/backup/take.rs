//! Taking a backup: the request, the file naming, the writer thread, the manifest.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::dump::{self, DumpError, DumpPlan, Header, Out, Tuning};
use super::external;
use super::leftovers;
use super::manifest::{self, FileFormat, FileInfo, Manifest, Method, Source, TableEntry};
use super::naming::{self, RequestError};
use super::output::{self, BackupFile, Compression, Finished, Left, WriteFailure};
use super::progress::{ProgressEvent, Reporter};
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
    External(#[from] external::ExternalError),
    #[error("{0}")]
    Invalid(String),
    #[error("the backup was cancelled; no file was kept")]
    Cancelled,
}

impl BackupError {
    /// A write failure with what it left on disk.
    fn output(path: PathBuf, failure: WriteFailure) -> BackupError {
        BackupError::Output {
            path,
            source: failure.source,
            left: failure.left,
        }
    }

    /// An error before anything was written.
    fn before_writing(path: PathBuf, source: std::io::Error) -> BackupError {
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

pub use naming::default_name;

/// Where the copy-by-hand commands send a backup: placeholders for the operator to fill.
const COPY_DESTINATION: &str = "USER@BACKUP-HOST:/srv/backups/openmetadata/";

/// A command that copies a backup and its manifest to another host, to be adapted by the
/// operator (user, host and folder are placeholders).
pub fn copy_off_host(path: &Path, manifest_path: &Path) -> String {
    let quote = |p: &Path| crate::shell::quote(&p.display().to_string());
    format!(
        "rsync -av --progress {} {} {COPY_DESTINATION}",
        quote(path),
        quote(manifest_path)
    )
}

/// The same copy as [`copy_off_host`] in two shorter commands, each as its words quoted for
/// the shell (for a narrow screen, where whole paths do not fit a row): `cd` into the
/// backup's folder, then `rsync` of the backup and its manifest by name.
pub fn copy_off_host_from_folder(path: &Path, manifest_path: &Path) -> [Vec<String>; 2] {
    let quote = |p: &Path| crate::shell::quote(&p.display().to_string());
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = |p: &Path| {
        p.file_name()
            .map_or_else(|| quote(p), |n| quote(Path::new(n)))
    };
    [
        vec!["cd".into(), quote(folder)],
        vec![
            "rsync".into(),
            "-av".into(),
            "--progress".into(),
            name(path),
            name(manifest_path),
            COPY_DESTINATION.into(),
        ],
    ]
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

/// Takes a backup; progress goes to `events`, `cancel` stops it (the partial file is removed).
pub async fn take(
    request: &BackupRequest,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<Backup, BackupError> {
    request.check()?;
    output::create_private_dir(&request.output_dir)
        .map_err(|source| BackupError::before_writing(request.output_dir.clone(), source))?;
    let tidied = leftovers::tidy(&request.output_dir);
    let mut backup = match request.method {
        Method::Builtin => builtin(request, events, cancel).await?,
        Method::MetadataCli | Method::Native => external::take(request, cancel).await?,
    };
    backup.removed_partials = tidied.removed;
    backup.completed_backups = tidied.completed;
    Ok(backup)
}

async fn builtin(
    request: &BackupRequest,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<Backup, BackupError> {
    let db = Db::connect(&request.settings).await?;
    let result = builtin_on(&db, request, events, cancel).await;
    db.close().await;
    result
}

async fn builtin_on(
    db: &Db,
    request: &BackupRequest,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<Backup, BackupError> {
    let source = describe_source(db, &request.settings).await?;
    let secrets = secret_facts(db, request).await;
    let started_at = Utc::now();
    let name = request
        .name
        .clone()
        .unwrap_or_else(|| default_name(&request.output_dir, request.format, request.compression));
    let file = BackupFile::create(&request.output_dir, &name, request.compression)
        .map_err(|source| BackupError::before_writing(request.output_dir.join(&name), source))?;
    let target = file.target().to_path_buf();
    let (tx, writer, commit) = spawn_writer(file);
    let header = Header {
        product: source.product.clone(),
        server_version: source.server_version.clone(),
        database: source.database.clone(),
        schema: source.schema.clone(),
        openmetadata_version: source.openmetadata_version.clone(),
        started_at,
    };
    let plan = DumpPlan {
        format: request.format,
        header: &header,
        tuning: request.tuning,
    };
    let mut out = Out::new(Some(tx));
    let reporter = Reporter::new(events);
    let dumped = tokio::select! {
        result = dump::dump(db, &plan, &mut out, &reporter, &cancel) => result,
        () = cancel.cancelled() => Err(DumpError::Cancelled),
    };
    let dumped = match dumped {
        Ok(d) => {
            commit.store(true, Ordering::SeqCst);
            d
        }
        Err(error) => {
            drop(out);
            let written = join_writer(writer, &target).await;
            return Err(match (error, written) {
                (DumpError::Cancelled, Err(failure)) if failure.left.is_empty() => {
                    BackupError::Cancelled
                }
                (DumpError::Cancelled, Err(failure)) => BackupError::output(
                    target,
                    WriteFailure {
                        source: std::io::Error::other("the backup was cancelled"),
                        left: failure.left,
                    },
                ),
                (DumpError::Cancelled, Ok(_)) => BackupError::Cancelled,
                // The writer failed first (disk full): that is the real cause.
                (DumpError::OutputClosed, Err(failure)) => BackupError::output(target, failure),
                (error, _) => BackupError::Dump(error),
            });
        }
    };
    drop(out);
    let written = join_writer(writer, &target)
        .await
        .map_err(|failure| BackupError::output(target.clone(), failure))?;
    let mut notes = Vec::new();
    if !dumped.skipped_views.is_empty() {
        notes.push(format!(
            "views not backed up (only tables are): {}",
            dumped.skipped_views.join(", ")
        ));
    }
    if request.format == FileFormat::OmCli {
        notes.push(
            "om-cli format: data only, in the line format of `metadata restore` 1.1; restore into a database \
             already at the same OpenMetadata version. The migration bookkeeping tables are left out, as the \
             official CLI does."
                .into(),
        );
        if source.engine == crate::db::Engine::Mysql {
            notes.push(
                "`metadata restore` runs each line on a new connection, so the file's first line \
                 (sql_mode NO_AUTO_VALUE_ON_ZERO) does not reach its INSERTs: there a row with 0 in \
                 an AUTO_INCREMENT column is renumbered; om-upgrade restore and mysql keep it."
                    .into(),
            );
        }
    }
    let manifest = Manifest {
        manifest_version: manifest::MANIFEST_VERSION,
        tool: "om-upgrade".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        method: Method::Builtin,
        format: request.format,
        source,
        started_at,
        finished_at: Utc::now(),
        consistency: "one read-only REPEATABLE READ snapshot for every table".into(),
        tables: dumped.tables,
        file: file_info(&written, request.compression),
        largest_statement_bytes: Some(dumped.largest_statement),
        notes,
        verification: None,
        copies: Vec::new(),
        secrets,
    };
    publish(written, manifest)
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

type Writer = std::thread::JoinHandle<Result<Finished, WriteFailure>>;

/// Writes blocks on a thread of its own (file I/O, compression and SHA-256 off the async
/// runtime); finishes the file only when told to, otherwise removes the partial file.
fn spawn_writer(mut file: BackupFile) -> (mpsc::Sender<Vec<u8>>, Writer, Arc<AtomicBool>) {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(8);
    let commit = Arc::new(AtomicBool::new(false));
    let commit_flag = commit.clone();
    let handle = std::thread::spawn(move || {
        while let Some(block) = rx.blocking_recv() {
            if let Err(error) = file.write_all(&block) {
                return Err(file.abandon(error));
            }
        }
        if commit_flag.load(Ordering::SeqCst) {
            file.finish()
        } else {
            Err(file.abandon(std::io::Error::other("backup stopped before the end")))
        }
    });
    (tx, handle, commit)
}

async fn join_writer(writer: Writer, target: &Path) -> Result<Finished, WriteFailure> {
    let partial = output::partial_of(target);
    let lost = |source: std::io::Error| WriteFailure {
        source,
        left: Left::of(&[&partial]),
    };
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .map_err(|e| lost(std::io::Error::other(e)))?
        .map_err(|_| lost(std::io::Error::other("the writer thread panicked")))?
}

/// Row counts of a manifest's tables as a map, for comparisons.
pub fn table_rows(tables: &[TableEntry]) -> std::collections::BTreeMap<&str, u64> {
    tables.iter().map(|t| (t.name.as_str(), t.rows)).collect()
}
