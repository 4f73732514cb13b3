//! `om-upgrade backup`: take a backup, print where it is and how to keep it safe.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::args::{ConnectionArgs, StoreArgs};
use super::{CliError, connect, print_warnings, progress};
use crate::backup::dump::Tuning;
use crate::backup::manifest::{FileFormat, Method};
use crate::backup::output::Compression;
use crate::backup::rehearse::{self, RestoreCheck};
use crate::backup::take::{self, Backup, BackupRequest};
use crate::config::installation::resolve_secrets_only;
use crate::config::{self, DbSettings, Env, paths::Paths};
use crate::humanize;
use crate::store::{Copied, Store};

pub const LONG_ABOUT: &str = "\
Back up the OpenMetadata metadata database before the upgrade.

The built-in method reads every table inside one read-only REPEATABLE READ snapshot, streams the \
rows straight to the file (memory stays small whatever the database size), and writes schema and \
data as plain SQL that `om-upgrade restore`, psql or mysql can load. A manifest \
(NAME.manifest.json) records the tables, row counts, content checksums and the file's SHA-256 for \
`om-upgrade verify`. Both are written under temporary names (NAME.partial, mode 0600), fsynced, \
and only then renamed, data first, never replacing a file: a cancelled or failed backup leaves \
nothing under a final name, and says what, if anything, it left on disk.

--name is a file name in --output (no folder part); it must end in .zst with --compress zstd and \
in .gz with --compress gzip (a mismatch is refused, not corrected).

--test-restore then proves the backup: it restores it into a scratch database on the same server \
(created and dropped again; needs the right to create databases) and compares every table with \
what was backed up.

Other methods: --method metadata-cli runs the official `python -m metadata backup` (password \
passed through a file, not the command line); --method native runs pg_dump or mysqldump.";

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Folder for the backup [default: the data folder's backups/]
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// File name in --output, ending in .zst/.gz with --compress [default: openmetadata_YYYYmmddHHMM_backup.sql]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// File layout
    #[arg(long, value_enum, default_value = "sql")]
    pub format: FileFormat,

    /// Compress the file
    #[arg(long, value_enum, default_value = "none")]
    pub compress: Compression,

    /// Who makes the backup
    #[arg(long, value_enum, default_value = "builtin")]
    pub method: Method,

    /// Python with openmetadata-ingestion installed, for --method metadata-cli [default: python3]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,

    /// Restore the backup into a scratch database and compare it with the live snapshot
    #[arg(long)]
    pub test_restore: bool,

    /// PostgreSQL: connections reading the snapshot together (built-in method)
    #[arg(long, short = 'j', value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(1..=16))]
    pub jobs: u8,

    /// Then copy the backup and its manifest off this host, verified (repeatable):
    /// s3://bucket/prefix, az://container/prefix, gs://bucket/prefix or a folder
    #[arg(long, value_name = "URL")]
    pub copy_to: Vec<String>,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Print the result as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct JsonResult<'a> {
    path: &'a Path,
    manifest: &'a Path,
    bytes: u64,
    sha256: &'a str,
    tables: usize,
    rows: u64,
    removed_partials: &'a [PathBuf],
    completed_backups: &'a [PathBuf],
    test_restore: Option<&'a RestoreCheck>,
    copies: &'a [Copied],
}

pub async fn run(args: BackupArgs, env: &Env) -> Result<i32, CliError> {
    let resolved = config::resolve(&args.connection.to_inputs(), env)?;
    print_warnings(&resolved.warnings);
    let mut settings = resolved.settings;
    if args.test_restore && (args.method != Method::Builtin || args.format != FileFormat::Sql) {
        return Err(CliError::Usage(
            "--test-restore needs the built-in method and the sql format (the default)".into(),
        ));
    }
    let mut request = request(&args, &settings, env)?;
    // Usage errors first: before a password prompt or a connection.
    request
        .check()
        .map_err(|error| CliError::Usage(error.to_string()))?;
    connect::ensure_password(&mut settings)
        .await
        .map_err(|e| CliError::Failed {
            message: format!("cannot connect: {e}"),
            hint: Some(e.remediation()),
        })?;
    request.settings = settings.clone();
    // A destination that cannot be used fails now, not after the backup.
    let stores = super::copy::open_all(&args.copy_to, &args.store, env).await?;
    let cancel = CancellationToken::new();
    super::signals::cancel_on_signals(cancel.clone());
    let (events, drawing) = progress::start("backup");
    let result = take::take(&request, events, cancel.clone()).await;
    let _ = drawing.await;
    let backup = result.map_err(|error| CliError::Failed {
        hint: error.remediation(),
        message: format!("backup failed: {error}"),
    })?;
    note_tidied(&backup);
    let check = if args.test_restore {
        Some(test_restore(&backup, &settings, args.json, &cancel).await?)
    } else {
        None
    };
    // A backup that failed its test restore is not worth keeping off the host.
    let copies = if check.as_ref().is_none_or(RestoreCheck::ok) {
        copy_off(&backup, &stores, &cancel).await?
    } else {
        Vec::new()
    };
    if args.json {
        print_json(&backup, check.as_ref(), &copies);
    } else {
        print_done(&backup, check.as_ref(), &copies);
    }
    Ok(match &check {
        Some(c) if !c.ok() => 1,
        _ => 0,
    })
}

/// The backup the flags ask for (the password is added once it is known).
fn request(args: &BackupArgs, settings: &DbSettings, env: &Env) -> Result<BackupRequest, CliError> {
    let output_dir = args
        .output
        .clone()
        .unwrap_or_else(|| Paths::from_env(env).backups_dir());
    let output_dir = std::path::absolute(&output_dir).unwrap_or(output_dir);
    Ok(BackupRequest {
        settings: settings.clone(),
        output_dir,
        name: args.name.clone(),
        method: args.method,
        format: args.format,
        compression: args.compress,
        python: args.python.clone(),
        tuning: Tuning {
            readers: usize::from(args.jobs),
            ..Tuning::default()
        },
        fernet_key: resolve_secrets_only(env, args.connection.config.as_deref())?
            .fernet_key
            .map(|k| k.value),
    })
}

/// Says what the backup tidied up from earlier runs before it started.
fn note_tidied(backup: &Backup) {
    for removed in &backup.removed_partials {
        eprintln!(
            "note: removed {}, left by a backup that did not finish",
            removed.display()
        );
    }
    for completed in &backup.completed_backups {
        eprintln!(
            "note: completed {}: a backup killed at its last step; its data matched its manifest's \
             SHA-256, and the manifest was put in place",
            completed.display()
        );
    }
}

/// `--test-restore`: restores the backup into a scratch database and compares; the result is
/// recorded in the manifest.
async fn test_restore(
    backup: &Backup,
    settings: &DbSettings,
    json: bool,
    cancel: &CancellationToken,
) -> Result<RestoreCheck, CliError> {
    let scratch = settings.with_database(&rehearse::scratch_name());
    if !json {
        eprintln!(
            "Test restore into scratch database '{}'…",
            scratch.database.value
        );
    }
    let (events, drawing) = progress::start("restore");
    let result = rehearse::check_in_scratch(
        &backup.path,
        &backup.manifest,
        &scratch,
        events,
        cancel.clone(),
    )
    .await;
    let _ = drawing.await;
    let check = result.map_err(|error| CliError::Failed {
        hint: error.remediation(),
        message: format!(
            "the backup was written ({}), but the test restore failed: {error}",
            backup.path.display()
        ),
    })?;
    let _ = rehearse::record(&backup.path, &backup.manifest, &check);
    Ok(check)
}

/// `--copy-to`: copies the backup to every store, saying that the backup itself was written
/// when a copy fails.
async fn copy_off(
    backup: &Backup,
    stores: &[Store],
    cancel: &CancellationToken,
) -> Result<Vec<Copied>, CliError> {
    super::copy::copy_all(&backup.path, stores, cancel)
        .await
        .map_err(|error| match error {
            CliError::Failed { message, hint } => CliError::Failed {
                message: format!(
                    "the backup was written ({}), but copying it off this host failed: {message}",
                    backup.path.display()
                ),
                hint,
            },
            other => other,
        })
}

fn print_json(backup: &Backup, check: Option<&RestoreCheck>, copies: &[Copied]) {
    let result = JsonResult {
        path: &backup.path,
        manifest: &backup.manifest_path,
        bytes: backup.manifest.file.bytes,
        sha256: &backup.manifest.file.sha256,
        tables: backup.manifest.tables.len(),
        rows: backup.manifest.total_rows(),
        removed_partials: &backup.removed_partials,
        completed_backups: &backup.completed_backups,
        test_restore: check,
        copies,
    };
    outln!(
        "{}",
        serde_json::to_string_pretty(&result).unwrap_or_default()
    );
}

fn print_done(backup: &Backup, check: Option<&RestoreCheck>, copies: &[Copied]) {
    let m = &backup.manifest;
    let took = (m.finished_at - m.started_at).to_std().unwrap_or_default();
    outln!("Backup complete: {}", backup.path.display());
    outln!(
        "  size      {} ({}, {}, {})",
        humanize::bytes(m.file.bytes),
        humanize::plural(m.tables.len(), "table", "tables"),
        humanize::rows(m.total_rows()),
        humanize::duration(took)
    );
    outln!("  sha256    {}", m.file.sha256);
    outln!("  manifest  {}", backup.manifest_path.display());
    if let Some(version) = &m.source.openmetadata_version {
        outln!(
            "  of        OpenMetadata {version} on {} ({})",
            m.source.database,
            m.source.product
        );
    }
    for note in &m.notes {
        outln!("  note      {note}");
    }
    if let Some(check) = check {
        if check.ok() {
            outln!(
                "Test restore: all {} tables restored into '{}' match the backup ({}){}.",
                check.tables.len(),
                check.database,
                if check.checksums_compared {
                    "row counts and content checksums"
                } else {
                    "row counts"
                },
                if check.dropped {
                    ", scratch database dropped"
                } else {
                    ""
                }
            );
        } else {
            outln!("Test restore FAILED: these tables differ:");
            for t in check.tables.iter().filter(|t| !t.ok()) {
                outln!(
                    "  {}: {} rows expected, {} restored{}",
                    t.name,
                    t.expected_rows,
                    t.restored_rows.map_or("none".into(), |r| r.to_string()),
                    if t.checksum_matches == Some(false) {
                        ", content differs"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    outln!();
    if copies.is_empty() {
        outln!("Keep a copy off this host before upgrading, for example:");
        outln!(
            "  om-upgrade copy {} s3://BUCKET/PREFIX   (or az://…, gs://…, a mounted folder)",
            crate::shell::quote(&backup.path.display().to_string())
        );
        outln!(
            "  {}",
            take::copy_off_host(&backup.path, &backup.manifest_path)
        );
    } else {
        super::copy::print_copies(copies);
    }
    outln!(
        "Check it any time with: om-upgrade verify {}",
        crate::shell::quote(&backup.path.display().to_string())
    );
}
