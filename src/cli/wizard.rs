//! `om-upgrade` without a subcommand: the wizard on a terminal, otherwise an explanation.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use super::CliError;
use super::args::{ConnectionArgs, InstallationArgs};
use super::clients::FindArgs;
use crate::config::{self, Env, paths::Paths};
use crate::knowledge::Catalogue;
use crate::knowledge::scan::ScanInputs;
use crate::session;
use crate::tui::{self, Exit, SessionStart, Setup, theme::Theme};
use crate::version::Version;

/// What the wizard would walk through, for when it cannot start.
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
  om-upgrade completions SHELL, man   shell completions and man pages
Run `om-upgrade --help` for settings and examples.";

#[derive(Debug, Clone, Args, Default)]
pub struct WizardArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// The OpenMetadata version you plan to upgrade to (e.g. 1.2.0) [default: the newest release
    /// om-upgrade knows; the wizard lets you pick another]
    #[arg(long, value_name = "X.Y.Z", help_heading = "Wizard")]
    pub target: Option<Version>,

    /// Start over: ignore the answers saved by an earlier run of the wizard
    #[arg(long, help_heading = "Wizard")]
    pub fresh: bool,

    /// Ingestion workflow YAMLs for the release review to scan: a folder or one file
    #[arg(long, value_name = "DIR", help_heading = "Wizard", value_parser = super::values::workflows)]
    pub workflows: Option<PathBuf>,

    #[command(flatten)]
    pub find: FindArgs,

    #[command(flatten)]
    pub installation: InstallationArgs,
}

pub async fn run(args: WizardArgs, env: &Env) -> Result<i32, CliError> {
    if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        eprintln!(
            "om-upgrade: the interactive wizard needs a terminal, and this is not one.\n\n{PLAN}"
        );
        return Ok(2);
    }
    let mut args = args;
    offer_compose(&mut args.connection, env);
    let state_dir = Paths::from_env(env).state_dir;
    let setup = setup(args, env)?;
    let ended = tui::run(setup, state_dir.clone())
        .await
        .map_err(|error| CliError::Failed {
            message: error.to_string(),
            hint: Some("run the subcommands instead (see `om-upgrade --help`)".into()),
        })?;
    for panic in &ended.background_panics {
        eprintln!("om-upgrade: a background task failed: {panic}");
    }
    if ended.session_saved {
        eprintln!(
            "Your answers are saved in {} (one file per database); `om-upgrade` offers to resume \
             them for the same database (--fresh starts over).",
            state_dir.display()
        );
    }
    match &ended.exit {
        Exit::InputClosed(Some(error)) => {
            eprintln!("om-upgrade: the terminal input failed: {error}")
        }
        Exit::Quit | Exit::Signal(_) | Exit::InputClosed(None) => {}
    }
    Ok(ended.exit.code())
}

/// With nothing saying where the database is, a compose file in the current folder likely
/// does: asks (before the screen is taken) whether to read it.
fn offer_compose(connection: &mut ConnectionArgs, env: &Env) {
    let Some(found) = compose_to_offer(connection, env, Path::new(".")) else {
        return;
    };
    eprint!(
        "Found {} here. Read the connection settings from it (its OpenMetadata server \
         service and .env)? [Y/n] ",
        found.display()
    );
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_ok() && accepts(&answer) {
        connection.compose = Some(found);
    }
}

/// The compose file in `dir` to offer, when no flag or server variable names the database.
fn compose_to_offer(connection: &ConnectionArgs, env: &Env, dir: &Path) -> Option<PathBuf> {
    let named = connection.compose.is_some()
        || connection.helm_values.is_some()
        || connection.config.is_some()
        || connection.db_url.is_some()
        || connection.host.is_some()
        || ["DB_HOST", "DB_SCHEME", "DB_DRIVER_CLASS"]
            .iter()
            .any(|name| env.get(name).is_some_and(|v| !v.trim().is_empty()));
    if named {
        return None;
    }
    config::compose::find_in(dir)
}

/// Enter, `y` or `yes`.
fn accepts(answer: &str) -> bool {
    matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "" | "y" | "yes"
    )
}

/// What the wizard starts from: the settings, the saved session (unless --fresh), the
/// catalogue, and the files and clients of this command line.
pub(crate) fn setup(args: WizardArgs, env: &Env) -> Result<Setup, CliError> {
    let mut resolved = config::resolve(&args.connection.to_inputs(), env)?;
    let (installation, warnings) = args.installation.settings(&args.connection, env);
    resolved.warnings.extend(warnings);
    let paths = Paths::from_env(env);
    let session = if args.fresh {
        // The session replaced is gone, not offered again after a quit without a save.
        match session::remove_for(&paths.state_dir, &resolved.settings) {
            Ok(()) => SessionStart::None,
            Err(error) => SessionStart::Unreadable(error),
        }
    } else {
        match session::load_for(&paths.state_dir, &resolved.settings) {
            Ok(Some(saved)) => SessionStart::Offer(Box::new(saved)),
            Ok(None) => SessionStart::None,
            Err(error) => SessionStart::Unreadable(error),
        }
    };
    Ok(Setup {
        settings: resolved.settings,
        warnings: resolved.warnings,
        target: args.target,
        backup_dir: paths.backups_dir(),
        report_path: paths.reports_dir().join(crate::report::default_file_name(
            chrono::Utc::now(),
            crate::report::Format::Markdown,
        )),
        session,
        theme: Theme::from_env(env),
        catalogue: Catalogue::load(None).map(Arc::new).map_err(Arc::new),
        files: ScanInputs {
            server_config: args.connection.config.clone(),
            workflows: args.workflows.clone(),
            env: env.clone(),
        },
        clients: args.find.request(env),
        installation,
    })
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::cli::Cli;

    #[test]
    fn a_compose_file_here_is_offered_only_when_nothing_names_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let none = ConnectionArgs::default();
        assert_eq!(compose_to_offer(&none, &Env::default(), dir.path()), None);
        let file = dir.path().join("docker-compose.yml");
        std::fs::write(&file, "services: {}\n").unwrap();
        assert_eq!(
            compose_to_offer(&none, &Env::default(), dir.path()),
            Some(file.clone())
        );
        let with_host = ConnectionArgs {
            host: Some("db".into()),
            ..Default::default()
        };
        assert_eq!(
            compose_to_offer(&with_host, &Env::default(), dir.path()),
            None
        );
        let env = Env::from_pairs([("DB_HOST", "db.internal")]);
        assert_eq!(compose_to_offer(&none, &env, dir.path()), None);
        assert!(accepts("\n") && accepts("Y\n") && accepts(" yes "));
        assert!(!accepts("n\n") && !accepts("no"));
    }

    #[test]
    fn the_command_line_is_consistent_and_takes_the_wizard_flags() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "om-upgrade",
            "--db-url",
            "mysql://om@db/openmetadata_db",
            "--target",
            "1.2",
            "--fresh",
        ])
        .expect("wizard flags parse");
        assert!(cli.command.is_none());
        assert!(cli.wizard.fresh);
        assert_eq!(
            cli.wizard.target.map(|t| t.to_string()).as_deref(),
            Some("1.2.0")
        );
        let bad = Cli::try_parse_from(["om-upgrade", "--target", "one.two"]).unwrap_err();
        assert!(
            bad.to_string().contains("'one.two' is not a version"),
            "{bad}"
        );
    }
}
