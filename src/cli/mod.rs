//! The command line: clap definitions and one module per subcommand. Library modules never
//! print; this layer does.

/// `println!` that ends the process quietly when stdout is a closed pipe (`… | head`), instead
/// of panicking as `println!` does.
macro_rules! outln {
    () => {
        $crate::cli::out_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::out_line(format_args!($($arg)*))
    };
}

pub mod args;
mod backup;
mod backups;
pub(crate) mod check;
mod clients;
mod connect;
mod demo;
mod progress;
mod releases;
pub(crate) mod report;
mod restore;
mod style;
mod values;
mod verify;
pub(crate) mod wizard;

use clap::{Parser, Subcommand};

use crate::config::{ConfigError, Env, SettingsWarning};
use crate::knowledge::KnowledgeError;

const ABOUT: &str = "Get an OpenMetadata installation ready for a server upgrade";

const LONG_ABOUT: &str = "\
Get an OpenMetadata installation ready for a server upgrade.

Walks through the upgrade prerequisites OpenMetadata documents: reach the metadata database \
(MySQL or PostgreSQL), back it up, review what changes between your version and the target, \
check the Python ingestion clients, and export a checklist for the change ticket.

Run without a subcommand on a terminal for the guided wizard; every step is also a subcommand \
for scripts. Connection settings are read like the OpenMetadata server reads them: flags, then \
DB_HOST, DB_PORT, DB_USER, DB_USER_PASSWORD, OM_DATABASE, DB_SCHEME, DB_DRIVER_CLASS, DB_PARAMS, \
then the deployment files (--compose docker-compose.yml with its .env, or --helm-values \
values.yaml with Secrets read through kubectl), then --config openmetadata.yaml, then the \
server's defaults.";

const AFTER_HELP: &str = "\
Examples:
  Check the database the server's config points at:
    om-upgrade check --config /opt/openmetadata/conf/openmetadata.yaml --target 1.2.0

  Same, with the docker compose file (and .env) the installation was started with:
    om-upgrade check --compose /opt/openmetadata/docker-compose.yml --target 1.2.0

  Same, with the server's environment variables:
    DB_HOST=db.internal DB_USER_PASSWORD=... om-upgrade check --target 1.2.0

  Check the Python clients of a custom Airflow against the target:
    om-upgrade clients --target 1.2.0 --python /opt/airflow/venv/bin/python

  The checklist report for the change ticket, as one HTML page:
    om-upgrade report --target 1.2.0 --format html --output upgrade-checklist.html

  Rehearse on a sample database:
    om-upgrade demo --db-url postgres://postgres@127.0.0.1:5432/omu_demo
    om-upgrade check --db-url postgres://postgres@127.0.0.1:5432/omu_demo

Exit codes: 0 nothing failed (warnings allowed), 1 a check or operation failed,
2 usage or settings error. --strict turns warnings into failures.";

#[derive(Debug, Parser)]
#[command(name = "om-upgrade", version, long_version = long_version(), about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The wizard's options (without a subcommand).
    #[command(flatten)]
    pub wizard: wizard::WizardArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every pre-upgrade check and report pass / warn / fail
    #[command(long_about = check::LONG_ABOUT)]
    Check(check::CheckArgs),
    /// Back up the metadata database (consistent, streamed, verified)
    #[command(long_about = backup::LONG_ABOUT)]
    Backup(backup::BackupArgs),
    /// Check a backup file against its manifest (and optionally restore it to compare)
    #[command(long_about = verify::LONG_ABOUT)]
    Verify(verify::VerifyArgs),
    /// List the backups on this host, newest first
    #[command(long_about = backups::LONG_ABOUT)]
    Backups(backups::BackupsArgs),
    /// Restore a backup into a database
    #[command(long_about = restore::LONG_ABOUT)]
    Restore(restore::RestoreArgs),
    /// Find the Python ingestion clients and say how to align them with the target
    #[command(long_about = clients::LONG_ABOUT)]
    Clients(clients::ClientsArgs),
    /// Create a sample OpenMetadata 1.1 database to rehearse the upgrade on
    #[command(long_about = demo::LONG_ABOUT)]
    Demo(demo::DemoArgs),
    /// What changes between two releases, and what it does to this installation
    #[command(long_about = releases::LONG_ABOUT, after_help = releases::AFTER_HELP)]
    Releases(releases::ReleasesArgs),
    /// Run every check and write the checklist report for the change ticket
    #[command(long_about = report::LONG_ABOUT)]
    Report(report::ReportArgs),
}

/// `--version`: the tool's version and how far its built-in release catalogue reaches.
fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let reach = crate::knowledge::Catalogue::built_in_reach()
            .map_or_else(|| "unreadable".to_string(), |r| r.to_string());
        format!(
            "{}\nrelease catalogue: OpenMetadata {reach}",
            env!("CARGO_PKG_VERSION")
        )
    })
}

/// A failure the command line reports and maps to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Boxed: the catalogue's errors are large, and every command returns this.
    #[error(transparent)]
    Knowledge(Box<KnowledgeError>),
    #[error("{0}")]
    Usage(String),
    #[error("{message}")]
    Failed {
        message: String,
        hint: Option<String>,
    },
}

impl From<KnowledgeError> for CliError {
    fn from(error: KnowledgeError) -> Self {
        CliError::Knowledge(Box::new(error))
    }
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Knowledge(_) | CliError::Usage(_) => 2,
            CliError::Failed { .. } => 1,
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            CliError::Failed { hint, .. } => hint.as_deref(),
            CliError::Config(_) => Some("see `om-upgrade --help` for where settings come from"),
            CliError::Knowledge(error) => Some(error.hint()),
            CliError::Usage(_) => None,
        }
    }
}

/// Runs the parsed command line; returns the exit code.
pub async fn run(cli: Cli, env: Env) -> Result<i32, CliError> {
    match cli.command {
        Some(Command::Check(args)) => check::run(args, &env).await,
        Some(Command::Backup(args)) => backup::run(args, &env).await,
        Some(Command::Verify(args)) => verify::run(args, &env).await,
        Some(Command::Backups(args)) => backups::run(args, &env).await,
        Some(Command::Restore(args)) => restore::run(args, &env).await,
        Some(Command::Clients(args)) => clients::run(args, &env).await,
        Some(Command::Demo(args)) => demo::run(args, &env).await,
        Some(Command::Releases(args)) => releases::run(args, &env).await,
        Some(Command::Report(args)) => report::run(args, &env).await,
        None => wizard::run(cli.wizard, &env).await,
    }
}

const PLAN: &str = "\
om-upgrade walks through OpenMetadata's upgrade prerequisites:
  1. Database   reach the metadata database, check its version and privileges
  2. Backup     take a consistent backup and keep it somewhere safe
  3. Releases   what changes between your version and the target, and what it does to you
  4. Clients    align the Python ingestion clients with the target
  5. Summary    a checklist report for the change ticket

Subcommands that do this today:
  om-upgrade check [--target X.Y.Z]   every check, pass / warn / fail (--format json)
  om-upgrade backup [--test-restore]  a consistent, verified backup (verify, backups, restore)
  om-upgrade releases --to X.Y.Z      what changes up to the target, and what it does to you
  om-upgrade clients --target X.Y.Z   the Python clients and the pip commands to align them
  om-upgrade report --target X.Y.Z    the checklist report (Markdown, JSON, HTML)
  om-upgrade demo                     a sample database to rehearse on
Run `om-upgrade --help` for settings and examples.";

pub(crate) fn out_line(args: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(error) = writeln!(std::io::stdout().lock(), "{args}")
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        // What a shell reports for a process killed by SIGPIPE.
        std::process::exit(141);
    }
}

/// Prints settings warnings to stderr.
fn print_warnings(warnings: &[SettingsWarning]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}
