//! The command line: clap definitions and one module per subcommand. Library modules never
//! print; this layer does.

pub mod args;
mod check;
mod connect;
mod demo;
mod style;
mod wizard;

use clap::{Parser, Subcommand};

use crate::config::{ConfigError, Env, SettingsWarning};

const ABOUT: &str = "Get an OpenMetadata installation ready for a server upgrade";

const LONG_ABOUT: &str = "\
Get an OpenMetadata installation ready for a server upgrade.

Walks through the upgrade prerequisites OpenMetadata documents: reach the metadata database \
(MySQL or PostgreSQL), back it up, review what changes between your version and the target, \
check the Python ingestion clients, and export a checklist for the change ticket.

Run without a subcommand on a terminal for the guided wizard; every step is also a subcommand \
for scripts. Connection settings are read like the OpenMetadata server reads them: flags, then \
DB_HOST, DB_PORT, DB_USER, DB_USER_PASSWORD, OM_DATABASE, DB_SCHEME, DB_DRIVER_CLASS, DB_PARAMS, \
then --config openmetadata.yaml, then the server's defaults.";

const AFTER_HELP: &str = "\
Examples:
  Check the database the server's config points at:
    om-upgrade check --config /opt/openmetadata/conf/openmetadata.yaml --target 1.2.0

  Same, with the server's environment variables:
    DB_HOST=db.internal DB_USER_PASSWORD=... om-upgrade check --target 1.2.0

  Rehearse on a sample database:
    om-upgrade demo --db-url postgres://postgres@127.0.0.1:5432/omu_demo
    om-upgrade check --db-url postgres://postgres@127.0.0.1:5432/omu_demo

Exit codes: 0 nothing failed (warnings allowed), 1 a check or operation failed,
2 usage or settings error. --strict turns warnings into failures.";

#[derive(Debug, Parser)]
#[command(name = "om-upgrade", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
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
    /// Create a sample OpenMetadata 1.1 database to rehearse the upgrade on
    #[command(long_about = demo::LONG_ABOUT)]
    Demo(demo::DemoArgs),
}

/// A failure the command line reports and maps to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{message}")]
    Failed {
        message: String,
        hint: Option<String>,
    },
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Usage(_) => 2,
            CliError::Failed { .. } => 1,
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            CliError::Failed { hint, .. } => hint.as_deref(),
            CliError::Config(_) => Some("see `om-upgrade --help` for where settings come from"),
            CliError::Usage(_) => None,
        }
    }
}

/// Runs the parsed command line; returns the exit code.
pub async fn run(cli: Cli, env: Env) -> Result<i32, CliError> {
    match cli.command {
        Some(Command::Check(args)) => check::run(args, &env).await,
        Some(Command::Demo(args)) => demo::run(args, &env).await,
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
  om-upgrade demo                     a sample database to rehearse on
Run `om-upgrade --help` for settings and examples.";

/// Prints settings warnings to stderr.
fn print_warnings(warnings: &[SettingsWarning]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}
