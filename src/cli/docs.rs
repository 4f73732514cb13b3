//! `om-upgrade completions SHELL` and `om-upgrade man`: shell completions and man pages,
//! generated from the same clap definitions the parser uses, so they never fall behind.

use std::path::{Path, PathBuf};

use clap::Args;
use clap_complete::Shell;

use super::CliError;

pub const COMPLETIONS_LONG_ABOUT: &str = "\
Print the shell completion script for SHELL to stdout.

Generated from the command-line definitions of this build, so it completes every subcommand and \
flag this version has, and the values of flags that take a fixed set (--engine, --format, \
--color, ...).";

pub const MAN_LONG_ABOUT: &str = "\
Print the om-upgrade(1) man page (roff) to stdout, or with --output-dir write one page per \
command: om-upgrade.1 and om-upgrade-check.1, om-upgrade-backup.1, ... for every subcommand.

Generated from the command-line definitions of this build. Packagers: run it once after the \
build and install the pages into man1; a page per subcommand is what `man om-upgrade-check` \
finds.";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write om-upgrade.1 and one om-upgrade-SUBCOMMAND.1 per subcommand into DIR (replacing
    /// pages of an earlier run) instead of printing the main page
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

/// The command tree as it is parsed: globals propagated, help flags added, every subcommand
/// named `om-upgrade-SUB` for its page.
fn built(mut cmd: clap::Command) -> clap::Command {
    cmd.build();
    cmd
}

/// `cmd` is the whole command line's tree (`Cli::command()`), handed in so that this module
/// does not name the one that names it.
pub fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> Result<i32, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "om-upgrade", &mut script);
    outln!("{}", String::from_utf8_lossy(&script).trim_end());
    Ok(0)
}

/// Every man page: its file name and its roff text, the main page first.
pub fn pages(cmd: clap::Command) -> Result<Vec<(String, String)>, CliError> {
    let cmd = built(cmd);
    let mut pages = vec![("om-upgrade.1".to_string(), render(&cmd)?)];
    let mut stack: Vec<clap::Command> = cmd.get_subcommands().cloned().collect();
    stack.reverse();
    while let Some(sub) = stack.pop() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = sub
            .get_display_name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("om-upgrade-{}", sub.get_name()));
        pages.push((format!("{name}.1"), render(&sub)?));
        let mut children: Vec<clap::Command> = sub.get_subcommands().cloned().collect();
        children.reverse();
        stack.extend(children);
    }
    Ok(pages)
}

fn render(cmd: &clap::Command) -> Result<String, CliError> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .source(format!("om-upgrade {}", env!("CARGO_PKG_VERSION")))
        .manual("om-upgrade manual")
        .render(&mut roff)
        .map_err(|error| CliError::Failed {
            message: format!("cannot render the man page: {error}"),
            hint: None,
        })?;
    String::from_utf8(roff).map_err(|error| CliError::Failed {
        message: format!("the man page is not UTF-8: {error}"),
        hint: None,
    })
}

pub fn man(args: ManArgs, cmd: clap::Command) -> Result<i32, CliError> {
    let pages = pages(cmd)?;
    match args.output_dir {
        None => outln!("{}", pages[0].1.trim_end()),
        Some(dir) => {
            write_pages(&dir, &pages)?;
            if !super::globals::quiet() {
                eprintln!("wrote {} man pages into {}", pages.len(), dir.display());
            }
        }
    }
    Ok(0)
}

fn write_pages(dir: &Path, pages: &[(String, String)]) -> Result<(), CliError> {
    if !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "--output-dir {}: not a folder (create it first)",
            dir.display()
        )));
    }
    use std::os::unix::fs::PermissionsExt;
    for (name, roff) in pages {
        let path = dir.join(name);
        crate::report::file::write(&path, roff.as_bytes(), true).map_err(|error| {
            CliError::Failed {
                message: format!("cannot write the man page: {error}"),
                hint: Some(error.hint().into()),
            }
        })?;
        // Written owner-only like every file om-upgrade makes; a man page is for everyone.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).map_err(
            |error| CliError::Failed {
                message: format!("cannot make {} readable: {error}", path.display()),
                hint: None,
            },
        )?;
    }
    Ok(())
}
