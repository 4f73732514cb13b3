//! `om-upgrade report`: every check, then the checklist report for the change ticket, in
//! Markdown, JSON or HTML.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use super::check::{RunArgs, run_checks};
use super::{CliError, print_warnings};
use crate::checks::Context;
use crate::checks::runner::CheckResult;
use crate::config::{self, DbSettings, Env, paths::Paths};
use crate::knowledge::{Catalogue, VersionRole};
use crate::report::model::Readiness;
use crate::report::{
    self, BackupFacts, Format, Recorded, ReleaseReview, Report, Stamp, Via, WriteError, collect,
};
use crate::session::{self, Saved, Session};
use crate::version::Version;

pub const LONG_ABOUT: &str = "\
Run every pre-upgrade check and write the checklist report for the change ticket.

The report records who ran it, when, on which host, with which om-upgrade, the installed and \
target OpenMetadata versions and the database (engine, host, database; never a password), then \
OpenMetadata's upgrade prerequisites in order, each ticked when done: 1. database connectivity, \
2. backup (the newest backup of this database with its path, size, sha256 and verification), \
3. release review (every item between the versions: affects you / not / unknown, the evidence, \
and whether it was acknowledged in the wizard), 4. client alignment (with the pip commands); \
then the blockers (failed checks) and the open actions (warnings, with what to do). Passwords, \
tokens, JWTs, fernet: values and values under secret-looking keys of the scanned YAML files \
are replaced by [redacted] in every format.

Formats: markdown (GitHub/GitLab task lists and tables), json (versioned: schema_version, \
schema in assets/report.schema.json), html (one self-contained page, prints well).

Where it goes: --output FILE, or - for stdout. Without --output, to stdout when stdout is not \
a terminal (a pipe or a redirection), otherwise to a new file in the data folder's reports/ \
(om-upgrade-report-YYYYmmdd-HHMMSS.md, UTC), whose path is printed. The file is written \
atomically and readable by its owner only; an existing file is never replaced without --force.

The wizard's session: the acknowledgements of release items, the backup taken in the wizard \
(its folder is where backups are looked for) and the target come from the session the wizard \
saved in the state folder (~/.local/state/om-upgrade/wizard-session-<engine>-<host>-<port>-<database>.json), when \
there is one for the same database; --session FILE names another, --no-session ignores it.

Exit code 0 when nothing failed (warnings allowed), 1 when a check failed or a step could not \
be checked (with --strict: also when a warning is open; acknowledged items do not count), 2 for a usage or settings error, \
before anything runs: so `report` can gate a pipeline.";

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Where to write the report; - for stdout [default: stdout when it is not a terminal,
    /// else a new file in the data folder's reports/]
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace the --output file when it exists
    #[arg(long, requires = "output")]
    pub force: bool,

    /// Report format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    #[command(flatten)]
    pub json: super::args::JsonFlag,

    /// The wizard session to take acknowledgements, the last backup and the target from
    /// [default: the one saved in the state folder, when there is one]
    #[arg(long, value_name = "FILE", conflicts_with = "no_session")]
    pub session: Option<PathBuf>,

    /// Ignore the wizard's saved session
    #[arg(long)]
    pub no_session: bool,

    /// Count open warnings as failures in the exit code
    #[arg(long)]
    pub strict: bool,
}

/// Where the report goes.
enum Destination {
    Stdout,
    File { path: PathBuf, replace: bool },
}

fn cannot_write(error: WriteError) -> String {
    format!("cannot write the report there: {error} ({})", error.hint())
}

/// Decides where to write, and checks that it can be written before any check runs; an error
/// is a usage error.
fn destination(args: &ReportArgs, env: &Env) -> Result<Destination, String> {
    match &args.output {
        Some(path) if path.as_os_str() == "-" => Ok(Destination::Stdout),
        Some(path) => {
            report::file::check_target(path, args.force).map_err(cannot_write)?;
            Ok(Destination::File {
                path: path.clone(),
                replace: args.force,
            })
        }
        None if !std::io::stdout().is_terminal() => Ok(Destination::Stdout),
        None => {
            let dir = Paths::from_env(env).reports_dir();
            create_private_dir(&dir).map_err(|e| {
                format!(
                    "cannot create the reports folder {}: {e}; give --output FILE, or set \
                     OM_UPGRADE_DATA_DIR to a writable folder",
                    dir.display()
                )
            })?;
            let path = dir.join(report::default_file_name(chrono::Utc::now(), args.format));
            report::file::check_target(&path, false).map_err(cannot_write)?;
            Ok(Destination::File {
                path,
                replace: false,
            })
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The wizard session to use: the one named, else the saved one (a broken saved one is said
/// and skipped; a broken named one is a usage error).
fn load_session(
    args: &ReportArgs,
    env: &Env,
    settings: &DbSettings,
) -> Result<Option<Saved>, String> {
    if args.no_session {
        return Ok(None);
    }
    match &args.session {
        Some(path) => match session::load_file(path) {
            Ok(Some(saved)) => Ok(Some(saved)),
            Ok(None) => Err(format!(
                "no wizard session at {}: give the file the wizard saved (`{}` in the state \
                 folder), or leave --session out",
                path.display(),
                session::FILE_NAME
            )),
            Err(error) => Err(error.to_string()),
        },
        None => match session::load_for(&Paths::from_env(env).state_dir, settings) {
            Ok(saved) => Ok(saved),
            Err(error) => {
                note!("warning: {error}; the report is made without it");
                Ok(None)
            }
        },
    }
}

pub async fn run(mut args: ReportArgs, env: &Env) -> Result<i32, CliError> {
    args.format = args.json.or(args.format, Format::Json);
    let destination = destination(&args, env).map_err(CliError::Usage)?;
    let resolved = config::resolve(&args.run.connection.to_inputs(), env)?;
    let saved = load_session(&args, env, &resolved.settings).map_err(CliError::Usage)?;
    let catalogue = Arc::new(Catalogue::load(args.run.releases_dir.as_deref())?);
    print_warnings(&resolved.warnings);
    let settings = resolved.settings;
    let session = session_for(saved, &settings);
    let target = target_of(&args, session.as_ref(), &catalogue)?;
    let backup_dir = backup_dir_of(&args, session.as_ref(), env);
    let acknowledged = acknowledged_for(session, &target);

    let (ctx, results) = run_checks(
        &args.run,
        Some(target),
        catalogue,
        settings,
        backup_dir,
        env,
    )
    .await;
    let review = collect::review_of_run(&ctx, &results, &acknowledged).await;
    let backup = collect::newest_backup(&ctx);
    ctx.close().await;
    let recorded = recorded(&args, &ctx, results, review, backup, acknowledged);
    let report = report::assemble(recorded, Stamp::now(env));
    write(&report, args.format, destination)?;
    Ok(report.overall.exit_code)
}

/// The saved session, when it is for this database (else said, and not used).
fn session_for(saved: Option<Saved>, settings: &DbSettings) -> Option<Session> {
    let saved = saved?;
    if saved.session.connection.is_for(settings) {
        return Some(saved.session);
    }
    let c = &saved.session.connection;
    note!(
        "warning: the wizard session {} is for {}://{}:{}/{}, not {}: its acknowledgements and \
         backup are not used",
        saved.path.display(),
        c.engine,
        c.host,
        c.port,
        c.database,
        settings.display_url()
    );
    None
}

/// --target, else the wizard session's; a release the catalogue knows.
fn target_of(
    args: &ReportArgs,
    session: Option<&Session>,
    catalogue: &Catalogue,
) -> Result<Version, CliError> {
    let target = match (&args.run.target, session.and_then(|s| s.target.as_deref())) {
        (Some(target), _) => target.clone(),
        (None, Some(text)) => text.parse::<Version>().map_err(|e| {
            CliError::Usage(format!(
                "the wizard session's target: {e}; give --target X.Y.Z"
            ))
        })?,
        (None, None) => {
            return Err(CliError::Usage(
                "give --target X.Y.Z: the report compares the installation with the release you \
                 upgrade to (the wizard's session names none)"
                    .into(),
            ));
        }
    };
    Ok(catalogue.validate_version(&target, VersionRole::Target)?)
}

/// The session's acknowledgements, when they were made for this target (an item acknowledged
/// for one target is not acknowledged for another: said, and not used).
fn acknowledged_for(session: Option<Session>, target: &Version) -> BTreeSet<String> {
    let Some(session) = session else {
        return BTreeSet::new();
    };
    let made_for = session
        .target
        .as_deref()
        .and_then(|t| t.parse::<Version>().ok());
    if made_for.as_ref() == Some(target) || session.acknowledged.is_empty() {
        return session.acknowledged;
    }
    eprintln!(
        "warning: the wizard session's acknowledgements were made for the target {}, not {target}: \
         they are not used",
        session.target.as_deref().unwrap_or("(none)")
    );
    BTreeSet::new()
}

/// --backup-dir, else the folder of the wizard session's backup, else the default.
fn backup_dir_of(args: &ReportArgs, session: Option<&Session>, env: &Env) -> PathBuf {
    args.run
        .backup_dir
        .clone()
        .or_else(|| {
            session
                .and_then(|s| s.last_backup.as_ref())
                .and_then(|b| b.parent())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| Paths::from_env(env).backups_dir())
}

/// What this run recorded, with the files it read, for the report.
pub(crate) fn recorded(
    args: &ReportArgs,
    ctx: &Context,
    results: Vec<CheckResult>,
    review: Result<ReleaseReview, String>,
    backup: Option<BackupFacts>,
    acknowledged: BTreeSet<String>,
) -> Recorded {
    Recorded {
        via: Via::Report,
        settings: ctx.settings.clone(),
        target: ctx.target.clone(),
        catalogue: ctx.catalogue().ok().map(|c| c.reach()),
        results,
        backup,
        review,
        acknowledged,
        strict: args.strict,
        stale: Default::default(),
        files: ctx.files().clone(),
        installation: ctx.installation.clone(),
    }
}

/// Writes the report where it goes.
fn write(report: &Report, format: Format, destination: Destination) -> Result<(), CliError> {
    let text = format.render(report);
    match destination {
        Destination::Stdout => outln!("{}", text.trim_end_matches('\n')),
        Destination::File { path, replace } => {
            report::file::write(&path, text.as_bytes(), replace).map_err(|error| {
                CliError::Failed {
                    message: format!("cannot write the report: {error}"),
                    hint: Some(error.hint().into()),
                }
            })?;
            note!("{}", written(report, &path));
        }
    }
    Ok(())
}

/// What the operator reads after a report was written to a file.
fn written(report: &Report, path: &Path) -> String {
    let o = &report.overall;
    let verdict = match o.readiness {
        Readiness::Blocked => format!(
            "not ready: {} blocker{}, {} open action{}",
            o.blockers,
            if o.blockers == 1 { "" } else { "s" },
            o.open_actions,
            if o.open_actions == 1 { "" } else { "s" }
        ),
        Readiness::ActionsOpen => format!(
            "no blocker, {} open action{}",
            o.open_actions,
            if o.open_actions == 1 { "" } else { "s" }
        ),
        Readiness::Incomplete => format!(
            "not ready: {} step{} not checked",
            o.incomplete,
            if o.incomplete == 1 { "" } else { "s" }
        ),
        Readiness::Ready => "ready".to_string(),
    };
    format!("Report written to {} ({verdict}).", path.display())
}
