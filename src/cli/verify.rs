//! `om-upgrade verify FILE`: is the backup whole and true to its manifest?

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::args::{Format, StoreArgs};
use super::style::Painter;
use super::{CliError, progress};
use crate::backup::manifest::Verification;
use crate::backup::progress::Reporter;
use crate::backup::rehearse::{self, RestoreCheck};
use crate::backup::remote::RemoteBackup;
use crate::backup::verify::{self, VerifyError, VerifyReport};
use crate::config::paths::Paths;
use crate::config::{self, DbInputs, Env};
use crate::db::Engine;
use crate::store::{Store, split_object_url};

pub const LONG_ABOUT: &str = "\
Check a backup file: its SHA-256 and size against its manifest, every statement parsed to the \
end, the rows and content checksum of every table against the manifest, and the end marker its \
writer puts last (om-upgrade's, which also counts the rows before it; pg_dump's; mysqldump's). \
A truncated, corrupted, empty or foreign file fails and says what is wrong and where; these are \
the rules `om-upgrade restore` applies before it loads a file. Files written by the official \
`metadata backup` (which have no manifest and no end marker) are parsed and counted, with a \
warning that nothing proves them complete.

With --restore-into URL the backup is also restored into that database and every table \
compared. The database must not exist or be empty: one that holds tables is refused before \
anything changes. Afterwards the restore's work is removed (the database if it was created for \
the check, else the tables the restore put there).

The result is recorded in the manifest, so `om-upgrade backups` shows which backups were verified.

A stored backup (s3://bucket/prefix/NAME.sql, az://…, gs://…) is verified straight from the store \
in one streaming pass, without a local copy, against the manifest stored beside it; \
--restore-into then streams it again into the database. Its result is recorded in the local \
manifest that lists the copy (in the default backup folder or the current one), not in the \
stored manifest, which is written once and never replaced (a verify needs only read rights).";

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The backup file (.sql, .sql.zst, .sql.gz), or a stored backup: s3://bucket/prefix/NAME.sql, az://…, gs://…
    #[arg(value_name = "FILE|URL")]
    pub file: PathBuf,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Also restore into this database and compare (mysql://… or postgres://…; password from
    /// DB_USER_PASSWORD)
    #[arg(long, value_name = "URL")]
    pub restore_into: Option<String>,

    /// Engine of a file without manifest or header (official `metadata backup` files)
    #[arg(long, value_enum)]
    pub engine: Option<Engine>,

    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    #[command(flatten)]
    pub json: super::args::JsonFlag,
}

#[derive(Serialize)]
struct JsonResult<'a> {
    ok: bool,
    status: crate::checks::Status,
    summary: String,
    report: &'a VerifyReport,
    restore: Option<&'a RestoreCheck>,
}

pub async fn run(mut args: VerifyArgs, env: &Env) -> Result<i32, CliError> {
    args.format = args.json.or(args.format, Format::Json);
    if let Some(url) = args.file.to_str().filter(|f| f.contains("://")) {
        return run_remote(url.to_string(), &args, env).await;
    }
    if !args.file.is_file() {
        return Err(CliError::Usage(format!(
            "{} is not a file",
            args.file.display()
        )));
    }
    let file = args.file.clone();
    let engine = args.engine;
    let report = with_progress(move |reporter| verify::verify(&file, engine, reporter)).await?;
    let mut restore = None;
    if let Some(url) = &args.restore_into {
        let Some(manifest) = &report.manifest else {
            return Err(CliError::Usage(
                "--restore-into needs the backup's manifest".into(),
            ));
        };
        let target = config::resolve(
            &DbInputs {
                db_url: Some(url.clone()),
                ..Default::default()
            },
            env,
        )?
        .settings;
        let cancel = CancellationToken::new();
        super::signals::cancel_on_signals(cancel.clone());
        let (events, drawing) = progress::start("restore");
        let result = rehearse::check(&args.file, manifest, &target, events, cancel).await;
        let _ = drawing.await;
        restore = Some(result.map_err(|error| CliError::Failed {
            hint: error.remediation(),
            message: format!("test restore failed: {error}"),
        })?);
    }
    let _ = verify::record(&report, restore.as_ref().is_some_and(RestoreCheck::ok));
    Ok(print_outcome(args.format, &report, restore.as_ref(), env))
}

/// Runs a verification (blocking: it reads the whole file) off the runtime, its progress on
/// the bar.
async fn with_progress(
    verify: impl FnOnce(&Reporter) -> Result<VerifyReport, VerifyError> + Send + 'static,
) -> Result<VerifyReport, CliError> {
    let (events, drawing) = progress::start("verify");
    let report = tokio::task::spawn_blocking(move || verify(&Reporter::new(events)))
        .await
        .map_err(|e| CliError::Failed {
            message: format!("verify stopped: {e}"),
            hint: None,
        })?
        .map_err(|e| CliError::Failed {
            message: e.to_string(),
            hint: None,
        })?;
    let _ = drawing.await;
    Ok(report)
}

fn print_text(report: &VerifyReport, restore: Option<&RestoreCheck>, paint: &Painter) {
    outln!(
        "{}",
        paint.bold(&format!("Verifying {}", report.path.display()))
    );
    for finding in &report.findings {
        outln!("{}  {}", paint.status(finding.status), finding.text);
    }
    if let Some(scan) = &report.scan {
        outln!();
        // Every table, the empty ones too: the list is what the file holds.
        for table in &scan.tables {
            outln!(
                "  {:<40} {:>12} {}",
                table.name,
                crate::humanize::count(table.rows as i64),
                if table.rows == 1 { "row" } else { "rows" }
            );
        }
    }
    if let Some(check) = restore {
        outln!();
        let status = if check.ok() {
            crate::checks::Status::Pass
        } else {
            crate::checks::Status::Fail
        };
        outln!(
            "{}  restored into '{}': {} of {} tables match",
            paint.status(status),
            check.database,
            check.tables.iter().filter(|t| t.ok()).count(),
            check.tables.len()
        );
    }
    outln!();
    outln!(
        "{}",
        if report.ok() && restore.is_none_or(RestoreCheck::ok) {
            format!("OK: {}", report.summary())
        } else {
            "NOT OK: do not rely on this backup".to_string()
        }
    );
}

/// Opens a stored backup named by its URL, with the manifest stored beside it.
pub(super) async fn open_remote(
    url: &str,
    args: &StoreArgs,
    env: &Env,
) -> Result<RemoteBackup, CliError> {
    let (prefix, name) = split_object_url(url).map_err(super::copy::store_error)?;
    let store = Store::open(&prefix, &args.to_options(), env).map_err(super::copy::store_error)?;
    store
        .remote_backup(&name)
        .await
        .map_err(super::copy::store_error)
}

/// `verify URL`: one streaming pass over the stored object (and `--restore-into` streams it
/// again). The result is recorded in the local manifest that lists the copy, never in the
/// stored one.
async fn run_remote(url: String, args: &VerifyArgs, env: &Env) -> Result<i32, CliError> {
    let remote = open_remote(&url, &args.store, env).await?;
    let (stored_url, sha256) = (remote.url.clone(), remote.manifest.file.sha256.clone());
    let reading = remote.clone();
    let report = with_progress(move |reporter| verify::verify_remote(&reading, reporter)).await?;
    let mut restore = None;
    if let Some(target_url) = &args.restore_into
        && report.ok()
    {
        let target = config::resolve(
            &DbInputs {
                db_url: Some(target_url.clone()),
                ..Default::default()
            },
            env,
        )?
        .settings;
        let cancel = CancellationToken::new();
        super::signals::cancel_on_signals(cancel.clone());
        let (events, drawing) = progress::start("restore");
        let result = rehearse::check_remote(remote, &target, events, cancel).await;
        let _ = drawing.await;
        restore = Some(result.map_err(|error| CliError::Failed {
            hint: error.remediation(),
            message: format!("test restore failed: {error}"),
        })?);
    }
    record_remote_check(&stored_url, &sha256, &report, restore.as_ref(), env);
    Ok(print_outcome(args.format, &report, restore.as_ref(), env))
}

/// Records the outcome of `verify URL` in the local manifests that list this copy (the default
/// backup folder and the current one): `backups`, the wizard and the report then show when the
/// stored copy was last checked. The stored manifest is never rewritten (see `record_check`).
fn record_remote_check(
    url: &str,
    sha256: &str,
    report: &VerifyReport,
    restore: Option<&RestoreCheck>,
    env: &Env,
) {
    let check = Verification {
        at: chrono::Utc::now(),
        ok: report.ok(),
        summary: report.summary(),
        restored: restore.is_some_and(RestoreCheck::ok),
    };
    let mut dirs = vec![Paths::from_env(env).backups_dir()];
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd);
    }
    let written = crate::store::record_check(&dirs, url, sha256, &check);
    if written.is_empty() {
        note!(
            "note: not recorded: no backup in {} lists this copy (the stored manifest is never \
             rewritten)",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for path in written {
        note!("note: recorded in {}", path.display());
    }
}

/// Prints a verification (and its test restore) as text or JSON; the exit code it earns.
fn print_outcome(
    format: Format,
    report: &VerifyReport,
    restore: Option<&RestoreCheck>,
    env: &Env,
) -> i32 {
    let ok = report.ok() && restore.is_none_or(RestoreCheck::ok);
    match format {
        Format::Json => {
            let result = JsonResult {
                ok,
                status: report.status(),
                summary: report.summary(),
                report,
                restore,
            };
            outln!(
                "{}",
                serde_json::to_string_pretty(&result).unwrap_or_default()
            );
        }
        Format::Text => print_text(report, restore, &Painter::stdout(env)),
    }
    if ok { 0 } else { 1 }
}
