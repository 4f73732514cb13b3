//! Taking a backup: the built-in method (the dump streamed to a writer thread, then the
//! manifest), or another program's through `external`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::dump::{self, DumpError, DumpPlan, Header, Out};
use super::external;
use super::leftovers;
use super::manifest::{self, FileFormat, Manifest, Method, Source, TableEntry};
use super::output::{self, BackupFile, Finished, Left, WriteFailure};
use super::progress::{ProgressEvent, Reporter};
pub use super::request::{Backup, BackupError, BackupRequest};
use super::request::{describe_source, file_info, publish, secret_facts};
use crate::db::Db;

pub use super::naming::default_name;

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
    // The writer finishes the file only when told the dump is whole.
    if dumped.is_ok() {
        commit.store(true, Ordering::SeqCst);
    }
    drop(out);
    let written = join_writer(writer, &target).await;
    let (dumped, written) = match (dumped, written) {
        (Ok(dumped), Ok(written)) => (dumped, written),
        (Ok(_), Err(failure)) => return Err(BackupError::output(target, failure)),
        (Err(error), written) => return Err(dump_failed(error, written, target)),
    };
    let manifest = Manifest {
        manifest_version: manifest::MANIFEST_VERSION,
        tool: "om-upgrade".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        method: Method::Builtin,
        format: request.format,
        notes: notes(&dumped, request.format, &source),
        source,
        started_at,
        finished_at: Utc::now(),
        consistency: "one read-only REPEATABLE READ snapshot for every table".into(),
        tables: dumped.tables,
        file: file_info(&written, request.compression),
        largest_statement_bytes: Some(dumped.largest_statement),
        verification: None,
        copies: Vec::new(),
        secrets,
    };
    publish(written, manifest)
}

/// The error of a dump that did not finish, from what the writer left: a cancel that left
/// nothing is only a cancel; a writer that failed first (disk full) is the real cause.
fn dump_failed(
    error: DumpError,
    written: Result<Finished, WriteFailure>,
    target: PathBuf,
) -> BackupError {
    match (error, written) {
        (DumpError::Cancelled, Err(failure)) if failure.left.is_empty() => BackupError::Cancelled,
        (DumpError::Cancelled, Err(failure)) => BackupError::output(
            target,
            WriteFailure {
                source: std::io::Error::other("the backup was cancelled"),
                left: failure.left,
            },
        ),
        (DumpError::Cancelled, Ok(_)) => BackupError::Cancelled,
        (DumpError::OutputClosed, Err(failure)) => BackupError::output(target, failure),
        (error, _) => BackupError::Dump(error),
    }
}

/// What the manifest says about what the built-in dump left out or how to load it.
fn notes(dumped: &dump::Dumped, format: FileFormat, source: &Source) -> Vec<String> {
    let mut notes = Vec::new();
    if !dumped.skipped_views.is_empty() {
        notes.push(format!(
            "views not backed up (only tables are): {}",
            dumped.skipped_views.join(", ")
        ));
    }
    if format == FileFormat::OmCli {
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
    notes
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
