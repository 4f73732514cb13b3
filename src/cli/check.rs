//! `om-upgrade check`: every available check, as text or JSON.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde::Serialize;

use super::args::{ConnectionArgs, Format};
use super::style::Painter;
use super::{CliError, connect, print_warnings};
use crate::checks::runner::{self, CheckResult};
use crate::checks::{self, Context, Status};
use crate::config::{self, DbSettings, Env, SettingsView, paths::Paths};
use crate::knowledge::scan::ScanInputs;
use crate::knowledge::{Catalogue, VersionRole};
use crate::version::Version;

pub const LONG_ABOUT: &str = "\
Run every pre-upgrade check and report pass / warn / fail.

Checks: db.connect (reachability and login), db.server_version (MySQL/PostgreSQL version \
against what the target release documents), db.openmetadata (is it an OpenMetadata database, \
at which version), db.privileges (can this user read every table in one snapshot, as a backup \
needs), db.size, db.sort_memory (the 20 MB OpenMetadata asks for during migrations), \
backup.disk_space (room for a backup in the backup folder), and with --target: release.path \
(the releases in between and any required stop), one release.<item> check per release item \
that can be measured in the database (read-only probes, e.g. release.query_service_required: \
the queries the 1.2 migration deletes; the item's places in the --config and --workflows files \
count too, as in `om-upgrade releases`), release.config (openmetadata.yaml given with --config) \
release.workflows (ingestion workflow YAMLs given with --workflows), and clients.python, \
clients.ingestion, clients.managed_apis, clients.airflow (the Python clients found with --python, \
--search, or on PATH, against --target; see `om-upgrade clients`).

The rest of the installation: db.migration_rights (PostgreSQL table ownership and CREATE on the \
schema, MySQL DDL privileges), db.charset (utf8mb4 / UTF8), db.migration_state (failed, \
unfinished or out-of-order migration history), secrets.fernet (does FERNET_KEY open the stored \
secrets; never shows them), search.version and search.health (with --search-url or the \
server's ELASTICSEARCH_* variables or --config), server.version (with --server-url, \
SERVER_HOST_API_URL or --config).

Exit code 0 when nothing failed (warnings allowed; --strict makes them failures), 1 when a \
check failed, 2 for a usage or settings error.";

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    #[command(flatten)]
    pub json: super::args::JsonFlag,

    /// Count warnings as failures in the exit code
    #[arg(long)]
    pub strict: bool,
}

/// What `check` and `report` share: the database, the target, and the files, clients and
/// backup folder the checks look at.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// The OpenMetadata version you plan to upgrade to (e.g. 1.2.0)
    #[arg(long, value_name = "X.Y.Z")]
    pub target: Option<Version>,

    /// Ingestion workflow YAMLs to scan for changed connection fields: a folder or one file
    #[arg(long, value_name = "DIR", value_parser = super::values::workflows)]
    pub workflows: Option<PathBuf>,

    /// Use the release files in DIR (a newer catalogue) instead of the built-in ones
    #[arg(long, value_name = "DIR", value_parser = super::values::releases_dir)]
    pub releases_dir: Option<PathBuf>,

    #[command(flatten)]
    pub clients: super::clients::FindArgs,

    #[command(flatten)]
    pub installation: super::args::InstallationArgs,

    /// Folder the backup will be written to [default: the data folder's backups/]
    #[arg(long, value_name = "DIR", value_parser = super::values::backup_dir)]
    pub backup_dir: Option<PathBuf>,
}

/// Connects (asking for a password on a terminal when the server wants one) and runs every
/// check of the registry. The caller reads what it needs from the context, then closes it.
pub(super) async fn run_checks(
    args: &RunArgs,
    target: Option<Version>,
    catalogue: Arc<Catalogue>,
    mut settings: DbSettings,
    backup_dir: PathBuf,
    env: &Env,
) -> (Arc<Context>, Vec<CheckResult>) {
    let (connection, took) = connect::connect_timed(&mut settings).await;
    let ctx = Arc::new(
        context(args, target, catalogue, settings, backup_dir, env).with_connection(connection),
    );
    let mut results = runner::run(checks::all(&ctx), ctx.clone(), None).await;
    // db.connect judges the attempt made above: its time is that attempt's.
    if let Some(connect) = results.iter_mut().find(|r| r.id == checks::db::CONNECT) {
        connect.duration += took;
    }
    (ctx, results)
}

/// The checks' context for these arguments: the catalogue, the files to scan and where to
/// look for clients (not connected yet).
pub(crate) fn context(
    args: &RunArgs,
    target: Option<Version>,
    catalogue: Arc<Catalogue>,
    settings: DbSettings,
    backup_dir: PathBuf,
    env: &Env,
) -> Context {
    let (installation, warnings) = args.installation.settings(&args.connection, env);
    print_warnings(&warnings);
    let files = ScanInputs {
        server_config: args.connection.config.clone(),
        workflows: args.workflows.clone(),
        env: env.clone(),
    };
    Context::new(settings, target, backup_dir)
        .with_catalogue(catalogue)
        .with_files(files)
        .with_clients(args.clients.request(env))
        .with_installation(installation)
}

#[derive(Serialize)]
struct JsonReport<'a> {
    tool_version: &'static str,
    settings: SettingsView,
    warnings: Vec<String>,
    target: Option<&'a Version>,
    checks: &'a [CheckResult],
    exit_code: i32,
}

pub async fn run(mut args: CheckArgs, env: &Env) -> Result<i32, CliError> {
    args.format = args.json.or(args.format, Format::Json);
    let run = &args.run;
    let catalogue = Arc::new(Catalogue::load(run.releases_dir.as_deref())?);
    if let Some(target) = &run.target {
        catalogue.validate_version(target, VersionRole::Target)?;
    }
    let resolved = config::resolve(&run.connection.to_inputs(), env)?;
    print_warnings(&resolved.warnings);
    let backup_dir = run
        .backup_dir
        .clone()
        .unwrap_or_else(|| Paths::from_env(env).backups_dir());
    let (ctx, results) = run_checks(
        run,
        run.target.clone(),
        catalogue,
        resolved.settings,
        backup_dir,
        env,
    )
    .await;
    ctx.close().await;
    let code = runner::exit_code(&results, args.strict);
    match args.format {
        Format::Json => {
            let report = JsonReport {
                tool_version: env!("CARGO_PKG_VERSION"),
                settings: SettingsView::from(&ctx.settings),
                warnings: resolved.warnings.iter().map(ToString::to_string).collect(),
                target: run.target.as_ref(),
                checks: &results,
                exit_code: code,
            };
            let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::Failed {
                message: format!("cannot write JSON: {e}"),
                hint: None,
            })?;
            outln!("{text}");
        }
        Format::Text => print_text(&results, &ctx, &Painter::stdout(env)),
    }
    Ok(code)
}

fn print_text(results: &[CheckResult], ctx: &Context, paint: &Painter) {
    let target = ctx
        .target
        .as_ref()
        .map(|t| format!(", target {t}"))
        .unwrap_or_default();
    outln!(
        "{}",
        paint.bold(&format!(
            "om-upgrade {}: checking {}{target}",
            env!("CARGO_PKG_VERSION"),
            ctx.settings.display_url()
        ))
    );
    outln!();
    let id_width = results
        .iter()
        .map(|r| r.id.as_str().len())
        .max()
        .unwrap_or(0);
    for result in results {
        outln!(
            "{}  {:<id_width$}  {}",
            paint.status(result.outcome.status),
            result.id.as_str(),
            result.outcome.summary
        );
        for detail in &result.outcome.details {
            let line = match &detail.label {
                Some(label) => format!("{label}: {}", detail.text),
                None => detail.text.clone(),
            };
            outln!("          {}", paint.dim(&line));
        }
        if let Some(fix) = &result.outcome.remediation {
            outln!("          → {}", fix.replace('\n', "\n            "));
        }
    }
    let statuses: Vec<Status> = results.iter().map(|r| r.outcome.status).collect();
    outln!();
    outln!("{}", checks::tally(&statuses));
}
