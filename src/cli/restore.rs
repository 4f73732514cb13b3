//! `om-upgrade restore FILE`: load a backup into a database.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::args::{ConnectionArgs, InstallationArgs, ServerArgs, StoreArgs};
use super::{CliError, print_warnings, progress};
use crate::backup::completeness::Proof;
use crate::backup::restore::{self, Accepted, RestoreError, RestoreRequest, Restored};
use crate::config::installation::Configured;
use crate::config::{self, DbSettings, Env};
use crate::humanize;
use crate::server;

pub const LONG_ABOUT: &str = "\
Restore a backup into a database, all or nothing. Every check runs before anything is created, \
dropped or written: the file must match its manifest, or, without one, end with the end marker \
its writer puts last (om-upgrade's '-- om-upgrade backup complete', pg_dump's '-- PostgreSQL \
database dump complete', mysqldump's '-- Dump completed'); a truncated om-upgrade backup is \
refused, and a file nothing proves complete (`metadata backup` files have neither manifest nor \
marker) only loads with --allow-incomplete.

On PostgreSQL an om-upgrade backup loads on --jobs connections (2 by default): its tables are \
created in a staging schema (omu_restore_stage_…) of the target database, filled and indexed \
there on every connection, and switched into the target schema by one transaction that commits \
only when every table holds the rows the backup recorded; a failed restore drops the staging \
schema, a killed one leaves it (the target is unchanged either way). With --jobs 1, and for \
data-only and pg_dump files, the whole restore is one transaction instead. --jobs does not \
apply to MySQL/MariaDB. On MySQL/MariaDB the file loads into a staging database \
(omu_restore_stage_…) and its tables replace the target's in one atomic RENAME TABLE only when \
the rows match; a failed or killed restore leaves the target as it was. The first statement the \
server refuses stops the restore with its table, line and the server's error.

The target database is created if it does not exist. A database that already holds tables is \
refused unless --force; then, after you confirm on a terminal, its tables are replaced by the \
backup's. Files of the official `metadata backup` (and --format om-cli) hold data only: they \
need the OpenMetadata tables to exist already (same version), as `metadata restore` does. \
pg_dump/mysqldump files are loaded with psql/mysql.

Same version: a backup fits only a database and server of the OpenMetadata version it was taken \
from. The manifest's version is compared with the target's migration history and a mismatch is \
refused without --force; a backup without manifest gets a warning. After a restore into an \
empty database, the version of the server to start against it is printed.

Before loading it warns when an OpenMetadata server still answers at --server-url (or \
SERVER_HOST_API_URL, --config): stop it first, then start it and reindex. It also warns when the \
backup's manifest says its secrets were written with another Fernet key than FERNET_KEY (or \
--config's fernetConfiguration), or when no key is set: the server would not decrypt them.

A stored backup (s3://bucket/prefix/NAME.sql, az://…, gs://…, with its manifest beside it) is \
restored straight from the store, without a local copy: it is read once to check its size and \
SHA-256 against the stored manifest, then streamed into the database, pinned to the same object \
version. Credentials come from each cloud's standard chain, never from an option.";

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file, or a stored backup: s3://bucket/prefix/NAME.sql, az://…, gs://…
    #[arg(value_name = "FILE|URL")]
    pub file: PathBuf,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Replace what the target database holds (asks for confirmation on a terminal)
    #[arg(long)]
    pub force: bool,

    /// Do not ask for confirmation (for scripts)
    #[arg(long, requires = "force")]
    pub yes: bool,

    /// Load a file that nothing proves complete: no manifest and no end marker (`metadata
    /// backup` files; pg_dump/mysqldump files cut before their last line). A truncated file then
    /// loads partially
    #[arg(long)]
    pub allow_incomplete: bool,

    /// PostgreSQL: connections that load the data and build the indexes together (om-upgrade
    /// SQL backups; 1 loads in one transaction). MySQL/MariaDB always loads on one
    #[arg(long, short = 'j', value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(1..=16))]
    pub jobs: u8,

    /// Print the result as JSON on stdout
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub server: ServerArgs,
}

pub async fn run(args: RestoreArgs, env: &Env) -> Result<i32, CliError> {
    let remote_url = args
        .file
        .to_str()
        .filter(|f| f.contains("://"))
        .map(str::to_string);
    if remote_url.is_none() && !args.file.is_file() {
        return Err(CliError::Usage(format!(
            "{} is not a file",
            args.file.display()
        )));
    }
    let resolved = config::resolve(&args.connection.to_inputs(), env)?;
    print_warnings(&resolved.warnings);
    let mut settings = resolved.settings;
    super::connect::ensure_password(&mut settings)
        .await
        .map_err(|e| CliError::Failed {
            message: format!("cannot connect: {e}"),
            hint: Some(e.remediation()),
        })?;
    // Every check first; nothing has been changed when one refuses.
    let accepted = accept(&args, remote_url.as_deref(), &settings, env).await?;
    for warning in accepted.warnings() {
        eprintln!("warning: {warning}");
    }
    if accepted.proof() == Proof::Unproven {
        eprintln!(
            "warning: nothing proves {} complete; loading it as --allow-incomplete asks",
            args.file.display()
        );
    }
    for warning in installation_warnings(&args, &accepted, env).await {
        eprintln!("warning: {warning}");
    }
    if accepted.overwrites()
        && std::io::stdin().is_terminal()
        && !args.yes
        && !confirmed(&args, &accepted, &settings)
    {
        eprintln!("Not confirmed; nothing was changed.");
        return Ok(1);
    }
    let cancel = CancellationToken::new();
    super::signals::cancel_on_signals(cancel.clone());
    let (events, drawing) = progress::start("restore");
    let result = accepted.run(events, cancel).await;
    let _ = drawing.await;
    let restored = result.map_err(failed)?;
    let mismatches = restored.mismatches().len();
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&restored).unwrap_or_default()
        );
    } else {
        print_text(&restored, &settings.display_url());
    }
    Ok(if mismatches == 0 { 0 } else { 1 })
}

fn failed(error: RestoreError) -> CliError {
    CliError::Failed {
        hint: error.remediation(),
        message: format!("restore failed: {error}"),
    }
}

/// Every guard of the restore, for a file or a stored backup (`remote_url`).
async fn accept(
    args: &RestoreArgs,
    remote_url: Option<&str>,
    settings: &DbSettings,
    env: &Env,
) -> Result<Accepted, CliError> {
    let accepted = match remote_url {
        Some(url) => {
            let remote = super::verify::open_remote(url, &args.store, env).await?;
            restore::accept_remote(remote, settings.clone(), args.force)
                .await
                .map_err(failed)?
        }
        None => {
            let request = RestoreRequest {
                file: args.file.clone(),
                settings: settings.clone(),
                replace_existing: args.force,
                allow_incomplete: args.allow_incomplete,
            };
            restore::accept(request).await.map_err(failed)?
        }
    };
    Ok(accepted.with_jobs(usize::from(args.jobs)))
}

/// Asks the operator on the terminal to confirm replacing what the target holds, by typing
/// the database's name.
fn confirmed(args: &RestoreArgs, accepted: &Accepted, settings: &DbSettings) -> bool {
    let state = accepted.target();
    eprintln!(
        "{} holds {}{} ({}). They will be replaced by {} once it has loaded completely.",
        settings.display_url(),
        humanize::plural(state.tables.len(), "table", "tables"),
        state
            .openmetadata_version
            .as_ref()
            .map(|v| format!(" of OpenMetadata {v}"))
            .unwrap_or_default(),
        humanize::rows(state.rows),
        args.file.display()
    );
    eprint!(
        "Type the database name ({}) to go on: ",
        settings.database.value
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    answer.trim() == settings.database.value
}

/// What the rest of the installation says against this restore: a server that still answers
/// at its address, and a Fernet key that is not the one the backup's secrets were written
/// with. Warnings, not refusals: the operator may know better (a server about to be stopped,
/// a key rotated on purpose).
async fn installation_warnings(args: &RestoreArgs, accepted: &Accepted, env: &Env) -> Vec<String> {
    let only_server = InstallationArgs {
        server: args.server.clone(),
        ..InstallationArgs::default()
    };
    let (installation, _) = only_server.settings(&args.connection, env);
    let mut warnings = Vec::new();
    if let Configured::Yes(server) = &installation.server
        && let Some(running) = server::still_running(server).await
    {
        warnings.push(format!(
            "an OpenMetadata server ({}) still answers at {}: stop it before restoring; a \
             restore under a running server leaves its caches and search index describing the \
             old data (start it afterwards and reindex)",
            running.text, server.url.value
        ));
    }
    let facts = accepted.manifest().and_then(|m| m.secrets.as_ref());
    let key = installation.secrets.fernet_key.as_ref().map(|k| &k.value);
    warnings.extend(facts.and_then(|facts| facts.restore_warning(key)));
    warnings
}

fn print_text(restored: &Restored, target: &str) {
    let rows: u64 = restored.tables.iter().map(|t| t.rows).sum();
    outln!(
        "Restored into {target}: {}, {} in {}.",
        humanize::plural(restored.tables.len(), "table", "tables"),
        humanize::rows(rows),
        humanize::duration(restored.duration)
    );
    if !restored.dropped.is_empty() {
        outln!(
            "  replaced {} that {} there before",
            humanize::plural(restored.dropped.len(), "table", "tables"),
            if restored.dropped.len() == 1 {
                "was"
            } else {
                "were"
            }
        );
    }
    for note in &restored.notes {
        outln!("  note: {note}");
    }
    if let Some(version) = &restored.start_server {
        outln!(
            "Start OpenMetadata {version} against this database (the version the backup was \
             taken from); a newer server upgrades it from there."
        );
    }
    let mismatches = restored.mismatches();
    if mismatches.is_empty() {
        if restored.tables.iter().any(|t| t.expected.is_some()) {
            outln!("Every table has the row count the backup recorded.");
        }
    } else {
        outln!("These tables do not have the rows the backup recorded:");
        for t in mismatches {
            outln!(
                "  {}: {} rows, {} expected",
                t.name,
                t.rows,
                t.expected.unwrap_or(0)
            );
        }
    }
}
