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
mod copy;
mod demo;
mod error;
mod output;
mod progress;
mod releases;
pub(crate) mod report;
mod restore;
mod signals;
mod style;
mod values;
mod verify;
pub(crate) mod wizard;

use clap::{Parser, Subcommand};

use crate::config::Env;
pub use error::CliError;
pub(crate) use output::out_line;
use output::print_warnings;

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
    /// Copy a backup and its manifest off this host (S3, Azure Blob, GCS, a folder), verified
    #[command(long_about = copy::LONG_ABOUT)]
    Copy(copy::CopyArgs),
    /// List the backups on this host (or under a store URL), newest first
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

/// Runs the parsed command line; returns the exit code.
pub async fn run(cli: Cli, env: Env) -> Result<i32, CliError> {
    match cli.command {
        Some(Command::Check(args)) => check::run(args, &env).await,
        Some(Command::Backup(args)) => backup::run(args, &env).await,
        Some(Command::Verify(args)) => verify::run(args, &env).await,
        Some(Command::Backups(args)) => backups::run(args, &env).await,
        Some(Command::Copy(args)) => copy::run(args, &env).await,
        Some(Command::Restore(args)) => restore::run(args, &env).await,
        Some(Command::Clients(args)) => clients::run(args, &env).await,
        Some(Command::Demo(args)) => demo::run(args, &env).await,
        Some(Command::Releases(args)) => releases::run(args, &env).await,
        Some(Command::Report(args)) => report::run(args, &env).await,
        None => wizard::run(cli.wizard, &env).await,
    }
}
