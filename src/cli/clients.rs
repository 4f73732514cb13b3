//! `om-upgrade clients`: the Python interpreters on this host, what OpenMetadata packages they
//! hold, how they compare with the target server, and the pip commands that align them
//! (`--apply` runs them after asking).

use std::io::{BufRead, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::Stdio;

use clap::Args;
use serde::Serialize;

use super::CliError;
use super::args::Format;
use super::style::Painter;
use crate::checks::Status;
use crate::clients::pip::ShellCommand;
use crate::clients::{self, Assessment, Broken, Fix, Interpreter, Inventory, Policy, Request};
use crate::config::Env;
use crate::secrets::ScrubEnv;
use crate::version::Version;

pub const LONG_ABOUT: &str = "\
Find the Python interpreters that run OpenMetadata ingestion (or a custom Airflow) and say \
exactly how to align them with the target server.

Looks at the interpreters given with --python (repeatable); without --python, at python3 and \
python on PATH and the active VIRTUAL_ENV; and at the virtual environments under each --search \
folder. For each: the Python version, openmetadata-ingestion and the plugins (extras) in use, \
openmetadata-managed-apis, apache-airflow, and whether `python -m metadata --version` works. \
Nothing is imported: versions come from the installed packages' metadata. pip does not record \
which extras were asked for, so plugins are inferred from the packages each extra installs.

Rules: the client's x.y.z must equal the server's (a fourth part is free: 1.2.0.1 is a client \
of server 1.2.0), managed-apis too where Airflow runs it, and Python and Airflow must be \
versions the target supports. The commands pin `==x.y.z.*`, so pip installs the newest client \
build of that server release.

--apply runs the pip commands in each interpreter that can be fixed in place, after a y/N \
question on the terminal (--yes answers it, e.g. in scripts), streams pip's output, then checks \
again. Exit code 0 when nothing failed, 1 when something failed (a --python interpreter that \
cannot run counts as failed; one found on PATH or under --search as a warning), 2 for a usage \
error (e.g. a --python path that does not exist).";

/// Where to look for Python interpreters (shared with `check`).
#[derive(Debug, Clone, Args, Default)]
pub struct FindArgs {
    /// A Python interpreter (or virtual environment folder) running ingestion or Airflow;
    /// repeatable [default: python3 and python on PATH, and VIRTUAL_ENV]
    #[arg(long = "python", value_name = "PATH", help_heading = "Python clients",
          value_parser = super::values::python)]
    pub pythons: Vec<PathBuf>,

    /// Also look for virtual environments (pyvenv.cfg beside bin/python) under DIR; repeatable
    #[arg(long, value_name = "DIR", help_heading = "Python clients",
          value_parser = super::values::search_folder)]
    pub search: Vec<PathBuf>,
}

impl FindArgs {
    pub fn request(&self, env: &Env) -> Request {
        Request::new(self.pythons.clone(), self.search.clone(), env)
    }
}

#[derive(Debug, Args)]
pub struct ClientsArgs {
    /// The OpenMetadata version you plan to upgrade to (e.g. 1.2.0); without it, only lists
    #[arg(long, value_name = "X.Y.Z")]
    pub target: Option<Version>,

    #[command(flatten)]
    pub find: FindArgs,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    #[command(flatten)]
    pub json: super::args::JsonFlag,

    /// Run the pip commands in each interpreter that can be fixed in place, after asking
    #[arg(long, requires = "target")]
    pub apply: bool,

    /// With --apply: run without asking (needed when there is no terminal)
    #[arg(long, requires = "apply")]
    pub yes: bool,

    /// Count warnings as failures in the exit code
    #[arg(long)]
    pub strict: bool,

    /// Use the release files in DIR (a newer catalogue) instead of the built-in ones
    #[arg(long, value_name = "DIR", value_parser = super::values::releases_dir)]
    pub releases_dir: Option<std::path::PathBuf>,
}

/// An interpreter with its verdicts (none without a target, or when nothing is installed there).
#[derive(Serialize)]
struct Judged {
    #[serde(flatten)]
    interpreter: Interpreter,
    assessment: Option<Assessment>,
}

struct Report {
    judged: Vec<Judged>,
    broken: Vec<Broken>,
    /// An interpreter named with `--python` does not run (see [`Inventory::named_broken`]).
    named_broken: bool,
    notes: Vec<String>,
}

impl Report {
    fn new(inventory: Inventory, policy: Option<&Policy>) -> Self {
        let named_broken = inventory.named_broken().is_some();
        let judged = inventory
            .interpreters
            .into_iter()
            .map(|interpreter| Judged {
                assessment: policy
                    .filter(|_| interpreter.is_relevant())
                    .map(|p| clients::assess(&interpreter, p)),
                interpreter,
            })
            .collect();
        Report {
            judged,
            named_broken,
            broken: inventory.broken,
            notes: inventory.notes,
        }
    }

    fn worst(&self) -> Option<Status> {
        let statuses: Vec<Status> = self
            .judged
            .iter()
            .filter_map(|j| j.assessment.as_ref())
            .flat_map(|a| a.verdicts.iter().map(|v| v.status))
            .chain(self.broken.iter().map(|b| b.status))
            .collect();
        [Status::Fail, Status::Warn, Status::Pass]
            .into_iter()
            .find(|s| statuses.contains(s))
    }
}

/// A pip command run by `--apply`.
#[derive(Serialize)]
struct Applied {
    interpreter: PathBuf,
    command: ShellCommand,
    /// `None` when pip could not be started or was killed by a signal.
    exit_code: Option<i32>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    tool_version: &'static str,
    target: Option<&'a Version>,
    policy: Option<&'a Policy>,
    plugins: &'static str,
    interpreters: &'a [Judged],
    broken: &'a [Broken],
    notes: &'a [String],
    applied: &'a [Applied],
    exit_code: i32,
}

const PLUGINS_INFERRED: &str =
    "inferred from the installed packages: pip does not record which extras were asked for";

pub async fn run(mut args: ClientsArgs, env: &Env) -> Result<i32, CliError> {
    args.format = args.json.or(args.format, Format::Json);
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if args.apply && !args.yes && !interactive {
        return Err(CliError::Usage(
            "--apply asks before running pip, and there is no terminal to ask on: run it on a terminal, or add --yes to run without asking".into(),
        ));
    }
    let request = args.find.request(env);
    let catalogue = crate::knowledge::Catalogue::load(args.releases_dir.as_deref())?;
    let policy = match &args.target {
        Some(target) => {
            catalogue.validate_version(target, crate::knowledge::VersionRole::Target)?;
            Some(Policy::for_release(target, &catalogue.requirements(target)))
        }
        None => None,
    };
    let paint = Painter::stdout(env);
    let mut report = Report::new(discover(&request).await?, policy.as_ref());
    let mut applied = Vec::new();
    if args.apply {
        if args.format == Format::Text {
            print_text(&report, policy.as_ref(), &paint);
        }
        applied = apply(&report, args.format, args.yes).await;
        if !applied.is_empty() {
            report = Report::new(discover(&request).await?, policy.as_ref());
            if args.format == Format::Text {
                outln!();
                outln!("{}", paint.bold("After pip:"));
            }
        }
    }
    let pip_failed = applied.iter().any(|a| a.exit_code != Some(0));
    let code = match report.worst() {
        _ if pip_failed => 1,
        Some(Status::Fail) => 1,
        Some(Status::Warn) if args.strict => 1,
        _ => 0,
    };
    match args.format {
        Format::Json => {
            let json = JsonReport {
                tool_version: env!("CARGO_PKG_VERSION"),
                target: args.target.as_ref(),
                policy: policy.as_ref(),
                plugins: PLUGINS_INFERRED,
                interpreters: &report.judged,
                broken: &report.broken,
                notes: &report.notes,
                applied: &applied,
                exit_code: code,
            };
            let text = serde_json::to_string_pretty(&json).map_err(|e| CliError::Failed {
                message: format!("cannot write JSON: {e}"),
                hint: None,
            })?;
            outln!("{text}");
        }
        Format::Text if args.apply && applied.is_empty() => {}
        Format::Text => print_text(&report, policy.as_ref(), &paint),
    }
    Ok(code)
}

async fn discover(request: &Request) -> Result<Inventory, CliError> {
    clients::discover(request).await.map_err(|e| match e {
        clients::ClientsError::Internal(message) => CliError::Failed {
            message,
            hint: None,
        },
        other => CliError::Usage(other.to_string()),
    })
}

/// Runs the in-place fixes, each interpreter after its own confirmation (unless `yes`).
async fn apply(report: &Report, format: Format, yes: bool) -> Vec<Applied> {
    let mut applied = Vec::new();
    let mut anything = false;
    for judged in &report.judged {
        let path = &judged.interpreter.path;
        match judged.assessment.as_ref().and_then(|a| a.fix.as_ref()) {
            None => {}
            Some(Fix::NewVenv { .. }) => {
                anything = true;
                eprintln!(
                    "not applied to {}: its Python is not supported by the target, so pip cannot fix it in place; follow the new-environment steps above",
                    path.display()
                );
            }
            Some(Fix::InPlace { commands }) => {
                anything = true;
                if !yes && !confirm(path, commands).await {
                    eprintln!("skipped {}", path.display());
                    continue;
                }
                for command in commands {
                    eprintln!("running: {command}");
                    let exit_code = run_streamed(command, format).await;
                    match exit_code {
                        Some(0) => {}
                        Some(code) => eprintln!("pip exited with code {code}"),
                        None => eprintln!("could not run it, or it was interrupted"),
                    }
                    let ok = exit_code == Some(0);
                    applied.push(Applied {
                        interpreter: path.clone(),
                        command: command.clone(),
                        exit_code,
                    });
                    if !ok {
                        break;
                    }
                }
            }
        }
    }
    if !anything {
        eprintln!("nothing to apply: every interpreter found is aligned (or has nothing to align)");
    }
    applied
}

/// Asks on the terminal; anything but y/yes is a no.
async fn confirm(path: &std::path::Path, commands: &[ShellCommand]) -> bool {
    let mut question = format!("\nIn {}, run:\n", path.display());
    for command in commands {
        question.push_str(&format!("    {command}\n"));
    }
    question.push_str("Proceed? [y/N] ");
    tokio::task::spawn_blocking(move || {
        let mut stderr = std::io::stderr();
        let _ = stderr.write_all(question.as_bytes());
        let _ = stderr.flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).is_ok()
            && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    })
    .await
    .unwrap_or(false)
}

/// Runs a command with its output shown as it comes (on stderr when stdout carries JSON).
async fn run_streamed(command: &ShellCommand, format: Format) -> Option<i32> {
    let (program, args) = command.argv.split_first()?;
    let mut child = tokio::process::Command::new(program);
    child.scrub_secrets(&[]).args(args).stdin(Stdio::null());
    if format == Format::Json {
        let stderr = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
        child.stdout(Stdio::from(stderr));
    }
    child.status().await.ok()?.code()
}

fn print_text(report: &Report, policy: Option<&Policy>, paint: &Painter) {
    let target = policy
        .map(|p| format!(", target OpenMetadata {}", p.server))
        .unwrap_or_default();
    outln!(
        "{}",
        paint.bold(&format!(
            "om-upgrade {}: Python clients on this host{target}",
            env!("CARGO_PKG_VERSION")
        ))
    );
    let (relevant, others): (Vec<&Judged>, Vec<&Judged>) = report
        .judged
        .iter()
        .partition(|j| j.interpreter.is_relevant());
    for judged in &relevant {
        outln!();
        print_interpreter(judged, paint);
    }
    if relevant.is_empty() && !report.named_broken {
        outln!();
        outln!(
            "No Python with openmetadata-ingestion, openmetadata-managed-apis or apache-airflow was found."
        );
        outln!(
            "If ingestion runs on this host, name its interpreter with --python PATH or search a folder with --search DIR."
        );
    }
    if !others.is_empty() {
        outln!();
        outln!("Also found, without OpenMetadata packages or Airflow:");
        for judged in others {
            let i = &judged.interpreter;
            outln!(
                "  {} (Python {}, {})",
                i.path.display(),
                i.python,
                origins(i)
            );
        }
    }
    if !report.broken.is_empty() {
        outln!();
        outln!("Could not run:");
        for broken in &report.broken {
            outln!(
                "  {} {} ({}): {}",
                paint.status(broken.status),
                broken.path.display(),
                broken
                    .origins
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
                broken.reason
            );
            outln!("    {}", broken.remedy);
        }
    }
    for note in &report.notes {
        outln!("note: {note}");
    }
    if policy.is_none() && !relevant.is_empty() {
        outln!();
        outln!("Add --target X.Y.Z to check these against the server version you upgrade to.");
    }
}

fn origins(i: &Interpreter) -> String {
    i.origins
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn print_interpreter(judged: &Judged, paint: &Painter) {
    let i = &judged.interpreter;
    print_facts(i, paint);
    let Some(assessment) = &judged.assessment else {
        for (name, package) in [
            (clients::inventory::INGESTION, &i.ingestion),
            (clients::inventory::MANAGED_APIS, &i.managed_apis),
            (clients::inventory::AIRFLOW, &i.airflow),
        ] {
            if let Some(package) = package {
                outln!("  {name} {}", package.version_text());
            }
        }
        return;
    };
    print_verdicts(assessment, paint);
    print_fix(assessment);
}

/// Where the interpreter is, how it was found, its Python, pip, CLI and plugins.
fn print_facts(i: &Interpreter, paint: &Painter) {
    let kind = if i.venv {
        "virtual environment"
    } else {
        "installation"
    };
    outln!(
        "{}  ({}; {kind} {})",
        paint.bold(&i.path.display().to_string()),
        origins(i),
        i.prefix.display()
    );
    let mut facts = vec![
        format!("Python {}", i.python),
        format!("pip {}", if i.pip { "installed" } else { "not installed" }),
    ];
    if let Some(cli) = &i.metadata_cli {
        facts.push(if cli.works {
            format!("`python -m metadata --version`: {}", cli.output)
        } else {
            format!("`python -m metadata --version` fails: {}", cli.output)
        });
    }
    outln!("  {}", facts.join(" · "));
    if i.ingestion.is_some() {
        let plugins = if i.plugins.is_empty() {
            "none detected".to_string()
        } else {
            i.plugins.join(", ")
        };
        outln!("  plugins: {plugins} ({PLUGINS_INFERRED})");
    }
}

/// The table of verdicts (what, current, required), then what is wrong with each.
fn print_verdicts(assessment: &Assessment, paint: &Painter) {
    let current =
        |v: &clients::Verdict| v.current.clone().unwrap_or_else(|| "not installed".into());
    let width = assessment
        .verdicts
        .iter()
        .map(|v| current(v).chars().count())
        .max()
        .unwrap_or(0)
        .max("current".len());
    outln!();
    outln!(
        "    {:<8} {:<26} {:<width$}  required",
        "status",
        "what",
        "current"
    );
    for verdict in assessment.verdicts.iter() {
        outln!(
            "    {} {:<26} {:<width$}  {}",
            pad(&paint.status(verdict.status), 6, verdict.status),
            verdict.aspect.label(),
            current(verdict),
            verdict
                .required
                .as_deref()
                .unwrap_or(if verdict.status == Status::Skip {
                    ""
                } else {
                    "unknown"
                })
        );
    }
    for verdict in assessment.verdicts.iter() {
        if matches!(verdict.status, Status::Fail | Status::Warn) {
            outln!("    {}: {}", verdict.aspect.label(), verdict.note);
        }
    }
}

/// The commands that align it, and the advice.
fn print_fix(assessment: &Assessment) {
    match &assessment.fix {
        Some(Fix::InPlace { commands }) => {
            outln!("  To align it, run:");
            for command in commands {
                outln!("    {command}");
            }
        }
        Some(Fix::NewVenv {
            commands, notes, ..
        }) => {
            outln!("  Its Python cannot run the target's client: make a new environment:");
            for command in commands {
                outln!("    {command}");
            }
            for note in notes {
                outln!("  {note}");
            }
        }
        None => {}
    }
    for advice in &assessment.advice {
        outln!("  {advice}");
    }
}

/// Pads a possibly coloured status label to the width of its plain text plus two.
fn pad(painted: &str, plain_width: usize, status: Status) -> String {
    let plain = format!("{} {}", status.glyph(), status.label())
        .chars()
        .count();
    format!(
        "{painted}{}",
        " ".repeat((plain_width + 2).saturating_sub(plain))
    )
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use crate::cli::Cli;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn apply_needs_a_target_and_yes_needs_apply() {
        let parse =
            |args: &[&str]| Cli::try_parse_from([&["om-upgrade", "clients"], args].concat());
        assert!(parse(&["--apply"]).is_err());
        assert!(parse(&["--target", "1.2.0", "--yes"]).is_err());
        assert!(parse(&["--target", "1.2.0", "--apply", "--yes"]).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let python = dir.path().join("python");
        std::fs::write(&python, "").unwrap();
        let (python, folder) = (python.to_str().unwrap(), dir.path().to_str().unwrap());
        assert!(parse(&["--python", python, "--python", folder, "--search", folder]).is_ok());
        // A path that is not there is a usage error, before anything runs.
        assert!(parse(&["--search", &format!("{folder}/absent")]).is_err());
    }
}
