//! Alignment rules: is an interpreter's client right for the target server, and what to run when
//! it is not.
//!
//! - `openmetadata-ingestion` and `openmetadata-managed-apis`: `major.minor.patch` must equal the
//!   server's; the fourth, PyPI-only part is free (1.2.0.1 is a client of server 1.2.0).
//! - Python must be in the release's supported range, Airflow in its required range, as the
//!   release catalogue gives them; an unknown range is a warning, never a pass.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::inventory::{AIRFLOW, INGESTION, Interpreter, MANAGED_APIS, MetadataProblem, Package};
use super::pip::{self, ShellCommand};
use crate::knowledge::{Range, Requirements};
use crate::status::Status;
use crate::version::Version;

/// What the target release asks of its clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// The target server release.
    pub server: Version,
    /// Supported Python versions, when known.
    pub python: Option<Range>,
    /// Supported Airflow versions, when known.
    pub airflow: Option<Range>,
}

impl Policy {
    /// The target's policy, with the Python and Airflow ranges the release catalogue gives it.
    pub fn for_release(target: &Version, requirements: &Requirements) -> Self {
        Policy {
            server: target.release(),
            python: requirements.python.clone(),
            airflow: requirements.airflow.clone(),
        }
    }
}

/// What a verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Python,
    Ingestion,
    ManagedApis,
    Airflow,
}

impl Aspect {
    pub const ALL: [Aspect; 4] = [
        Aspect::Python,
        Aspect::Ingestion,
        Aspect::ManagedApis,
        Aspect::Airflow,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Aspect::Python => "Python",
            Aspect::Ingestion => INGESTION,
            Aspect::ManagedApis => MANAGED_APIS,
            Aspect::Airflow => "apache-airflow",
        }
    }
}

/// One row of an interpreter's table: current → required, and the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub aspect: Aspect,
    pub status: Status,
    /// What is installed (`None`: not installed).
    pub current: Option<String>,
    /// What the target needs (`None`: unknown, or nothing needed).
    pub required: Option<String>,
    /// Why, in words.
    pub note: String,
}

/// How to align an interpreter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// Run these in the interpreter (what `--apply` does).
    InPlace { commands: Vec<ShellCommand> },
    /// The Python cannot be fixed in place: make a new environment on a supported Python.
    NewVenv {
        venv: PathBuf,
        commands: Vec<ShellCommand>,
        notes: Vec<String>,
    },
}

impl Fix {
    pub fn commands(&self) -> &[ShellCommand] {
        match self {
            Fix::InPlace { commands } | Fix::NewVenv { commands, .. } => commands,
        }
    }
}

/// A step no command here can do (an Airflow upgrade, deleting a damaged metadata folder), and
/// the aspects it resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub about: Vec<Aspect>,
    pub text: String,
}

impl std::fmt::Display for Advice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// As its text: the JSON report lists advice as sentences.
impl Serialize for Advice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// One verdict per aspect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdicts {
    pub python: Verdict,
    pub ingestion: Verdict,
    pub managed_apis: Verdict,
    pub airflow: Verdict,
}

impl Verdicts {
    pub fn get(&self, aspect: Aspect) -> &Verdict {
        match aspect {
            Aspect::Python => &self.python,
            Aspect::Ingestion => &self.ingestion,
            Aspect::ManagedApis => &self.managed_apis,
            Aspect::Airflow => &self.airflow,
        }
    }

    /// In table order.
    pub fn iter(&self) -> impl Iterator<Item = &Verdict> {
        Aspect::ALL.into_iter().map(|aspect| self.get(aspect))
    }
}

/// The verdicts for one interpreter, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub verdicts: Verdicts,
    pub fix: Option<Fix>,
    /// Steps no command here can do.
    pub advice: Vec<Advice>,
}

impl Assessment {
    pub fn verdict(&self, aspect: Aspect) -> &Verdict {
        self.verdicts.get(aspect)
    }

    /// The advice that resolves `aspect`.
    pub fn advice_for(&self, aspect: Aspect) -> impl Iterator<Item = &Advice> {
        self.advice
            .iter()
            .filter(move |a| a.about.contains(&aspect))
    }
}

pub fn assess(interpreter: &Interpreter, policy: &Policy) -> Assessment {
    let python = python_verdict(interpreter, policy);
    let ingestion = client_verdict(Aspect::Ingestion, interpreter.ingestion.as_ref(), policy)
        .map(|v| with_cli_check(v, interpreter))
        .unwrap_or_else(|| not_installed(Aspect::Ingestion, "not installed"));
    let managed_apis = client_verdict(
        Aspect::ManagedApis,
        interpreter.managed_apis.as_ref(),
        policy,
    )
    .unwrap_or_else(|| {
        not_installed(
            Aspect::ManagedApis,
            if interpreter.airflow.is_some() {
                "not installed: only needed when the OpenMetadata server deploys pipelines to this Airflow"
            } else {
                "not installed"
            },
        )
    });
    let (airflow, mut advice) = airflow_verdict(interpreter, policy);
    let clients_misaligned = ingestion.status == Status::Fail
        || managed_apis.status == Status::Fail
        || clients(interpreter).any(|(_, p)| p.problem.is_some());
    let fix = if python.status == Status::Fail {
        new_venv(interpreter, policy)
    } else if clients_misaligned {
        let commands = in_place_commands(interpreter, &policy.server);
        match unversioned_client(interpreter) {
            // pip stops on a distribution without a version, so its commands cannot run yet.
            Some(location) => {
                advice.push(delete_then_run(location, &commands));
                None
            }
            None => Some(Fix::InPlace { commands }),
        }
    } else {
        None
    };
    Assessment {
        verdicts: Verdicts {
            python,
            ingestion,
            managed_apis,
            airflow,
        },
        fix,
        advice,
    }
}

/// The OpenMetadata packages installed in an interpreter.
fn clients(interpreter: &Interpreter) -> impl Iterator<Item = (&'static str, &Package)> {
    [
        (INGESTION, interpreter.ingestion.as_ref()),
        (MANAGED_APIS, interpreter.managed_apis.as_ref()),
    ]
    .into_iter()
    .filter_map(|(name, package)| Some((name, package?)))
}

/// The metadata folder (or `.egg-info` file) of an OpenMetadata package that has no version.
fn unversioned_client(interpreter: &Interpreter) -> Option<&Path> {
    clients(interpreter).find_map(|(_, package)| match &package.problem {
        Some(MetadataProblem::NoVersion { .. }) => Some(package.location.as_path()),
        _ => None,
    })
}

fn delete_then_run(location: &Path, commands: &[ShellCommand]) -> Advice {
    let commands: Vec<String> = commands.iter().map(|c| format!("`{c}`")).collect();
    Advice {
        about: vec![Aspect::Ingestion, Aspect::ManagedApis],
        text: format!(
            "Delete {} by hand (pip stops on a distribution without a version), then run {}.",
            location.display(),
            commands.join(" and ")
        ),
    }
}

/// Why an installed version is not known for sure, in words.
fn problem_note(problem: &MetadataProblem) -> String {
    match problem {
        MetadataProblem::NoVersion { file } => format!(
            "installed, but {} has no Version: the install is damaged",
            file.display()
        ),
        MetadataProblem::Duplicates { copies } => {
            let listed: Vec<String> = copies
                .iter()
                .map(|c| {
                    format!(
                        "{} ({})",
                        c.location.display(),
                        c.version.as_deref().unwrap_or("no version")
                    )
                })
                .collect();
            format!(
                "{} metadata folders, left by an interrupted upgrade: {}; which one Python and pip see is not defined",
                copies.len(),
                listed.join(", ")
            )
        }
    }
}

fn python_verdict(interpreter: &Interpreter, policy: &Policy) -> Verdict {
    let current = interpreter.python.to_string();
    let server = &policy.server;
    match &policy.python {
        None => Verdict {
            aspect: Aspect::Python,
            status: Status::Warn,
            current: Some(current),
            required: None,
            note: format!(
                "the Python versions OpenMetadata {server} supports are not known to this build: check its release notes"
            ),
        },
        Some(range) if range.contains(&interpreter.python) => Verdict {
            aspect: Aspect::Python,
            status: Status::Pass,
            current: Some(current),
            required: Some(range.to_string()),
            note: format!("OpenMetadata {server} supports Python {range}"),
        },
        Some(range) => Verdict {
            aspect: Aspect::Python,
            status: Status::Fail,
            note: format!(
                "Python {current} is not supported by OpenMetadata {server}, which supports Python {range}"
            ),
            current: Some(current),
            required: Some(range.to_string()),
        },
    }
}

fn not_installed(aspect: Aspect, note: &str) -> Verdict {
    Verdict {
        aspect,
        status: Status::Skip,
        current: None,
        required: None,
        note: note.to_string(),
    }
}

/// Same server release, any fourth part.
fn client_verdict(aspect: Aspect, package: Option<&Package>, policy: &Policy) -> Option<Verdict> {
    let package = package?;
    let server = &policy.server;
    let current = Some(package.version_text());
    let required = Some(pip::pin(server));
    let (status, note) = match (&package.problem, &package.release) {
        (Some(problem), _) => (Status::Warn, problem_note(problem)),
        (None, None) => (
            Status::Warn,
            format!(
                "cannot read the version '{}' as x.y.z[.w]",
                package.version_text()
            ),
        ),
        (None, Some(release)) if release.release() == server.release() => (
            Status::Pass,
            match release.client_build() {
                Some(_) => format!(
                    "{} is a client build of server {}",
                    package.version_text(),
                    release.release()
                ),
                None => format!("matches server {server}"),
            },
        ),
        (None, Some(release)) => (
            Status::Fail,
            format!(
                "{} is the client of server {}; the target server is {server}",
                package.version_text(),
                release.release()
            ),
        ),
    };
    Some(Verdict {
        aspect,
        status,
        current,
        required,
        note,
    })
}

/// A right version whose `metadata` CLI does not start is still broken.
fn with_cli_check(verdict: Verdict, interpreter: &Interpreter) -> Verdict {
    match &interpreter.metadata_cli {
        Some(cli) if verdict.status == Status::Pass && !cli.works => Verdict {
            status: Status::Warn,
            note: format!(
                "{}, but `python -m metadata --version` fails: {}",
                verdict.note, cli.output
            ),
            ..verdict
        },
        _ => verdict,
    }
}

fn airflow_verdict(interpreter: &Interpreter, policy: &Policy) -> (Verdict, Vec<Advice>) {
    let Some(airflow) = &interpreter.airflow else {
        return (not_installed(Aspect::Airflow, "not installed"), Vec::new());
    };
    let server = &policy.server;
    let current = Some(airflow.version_text());
    let verdict = |status, required: Option<String>, note: String| Verdict {
        aspect: Aspect::Airflow,
        status,
        current: current.clone(),
        required,
        note,
    };
    let advice = |text: String| {
        vec![Advice {
            about: vec![Aspect::Airflow],
            text,
        }]
    };
    let constraints = format!(
        "with Airflow's constraints file for Python {}",
        interpreter.python.minor_line()
    );
    if let Some(problem) = &airflow.problem {
        let text = reinstall_airflow(interpreter, &airflow.location, problem, &constraints);
        return (
            verdict(
                Status::Warn,
                policy.airflow.as_ref().map(ToString::to_string),
                problem_note(problem),
            ),
            advice(text),
        );
    }
    match (&policy.airflow, &airflow.release) {
        (None, _) => (
            verdict(
                Status::Warn,
                None,
                format!(
                    "the Airflow versions OpenMetadata {server} supports are not known to this build: check its release notes"
                ),
            ),
            Vec::new(),
        ),
        (Some(range), None) => (
            verdict(
                Status::Warn,
                Some(range.to_string()),
                format!(
                    "cannot read the Airflow version '{}'; OpenMetadata {server} needs Airflow {range}",
                    airflow.version_text()
                ),
            ),
            Vec::new(),
        ),
        (Some(range), Some(release)) if range.contains(release) => (
            verdict(
                Status::Pass,
                Some(range.to_string()),
                format!("OpenMetadata {server} works with Airflow {range}"),
            ),
            Vec::new(),
        ),
        (Some(range), Some(_)) => (
            verdict(
                Status::Fail,
                Some(range.to_string()),
                format!(
                    "Airflow {} is outside what OpenMetadata {server} supports (Airflow {range})",
                    airflow.version_text()
                ),
            ),
            advice(format!(
                "Upgrade Apache Airflow in {} to {range} following Airflow's upgrade guide ({constraints}), then align the OpenMetadata packages.",
                interpreter.prefix.display(),
            )),
        ),
    }
}

/// How to clear Airflow's broken package metadata and install it again.
fn reinstall_airflow(
    interpreter: &Interpreter,
    location: &std::path::Path,
    problem: &MetadataProblem,
    constraints: &str,
) -> String {
    match problem {
        MetadataProblem::NoVersion { .. } => format!(
            "Delete {} by hand (pip stops on a distribution without a version), then reinstall Apache Airflow {constraints}.",
            location.display()
        ),
        MetadataProblem::Duplicates { copies } => format!(
            "Run `{}` {} times (once per copy; or delete the stale metadata folder), then reinstall Apache Airflow {constraints}.",
            pip::uninstall(&interpreter.path, AIRFLOW),
            copies.len()
        ),
    }
}

/// The requirements to install: the OpenMetadata packages present, ingestion with its plugins.
fn requirements(
    interpreter: &Interpreter,
    server: &Version,
    always_ingestion: bool,
) -> Vec<String> {
    let mut reqs = Vec::new();
    if interpreter.ingestion.is_some() || always_ingestion {
        reqs.push(pip::requirement(INGESTION, &interpreter.plugins, server));
    }
    if interpreter.managed_apis.is_some() {
        reqs.push(pip::requirement(MANAGED_APIS, &[], server));
    }
    reqs
}

/// A new environment on a supported Python, with the OpenMetadata packages pinned.
fn new_venv(interpreter: &Interpreter, policy: &Policy) -> Option<Fix> {
    let server = &policy.server;
    let range = policy.python.as_ref()?;
    let wanted = range.max.as_ref().or(range.min.as_ref())?;
    let venv = new_venv_path(interpreter, server);
    let venv_python = venv.join("bin").join("python");
    let mut notes = vec![format!(
        "Make it with any Python {range}; python{} is the newest OpenMetadata {server} supports.",
        wanted.minor_line()
    )];
    notes.push(if interpreter.airflow.is_some() {
        "Install Apache Airflow in it too (with Airflow's constraints file for that Python), then point the scheduler and workers at it.".to_string()
    } else {
        format!(
            "Then run ingestion with {} (or its bin/metadata).",
            venv_python.display()
        )
    });
    Some(Fix::NewVenv {
        commands: vec![
            pip::new_venv(&format!("python{}", wanted.minor_line()), &venv),
            pip::upgrade_pip(&venv_python),
            pip::install(&venv_python, &requirements(interpreter, server, true)),
        ],
        venv,
        notes,
    })
}

/// pip if missing, one uninstall per copy of a package installed several times (pip removes
/// one at a time), then the pinned packages.
fn in_place_commands(interpreter: &Interpreter, server: &Version) -> Vec<ShellCommand> {
    let mut commands = Vec::new();
    if !interpreter.pip {
        commands.push(pip::ensurepip(&interpreter.path));
    }
    for (name, package) in clients(interpreter) {
        if let Some(MetadataProblem::Duplicates { copies }) = &package.problem {
            commands.extend((0..copies.len()).map(|_| pip::uninstall(&interpreter.path, name)));
        }
    }
    commands.push(pip::install(
        &interpreter.path,
        &requirements(interpreter, server, false),
    ));
    commands
}

/// Beside the old environment (`/opt/venv` → `/opt/venv-om-1.2.0`); a relative folder when the
/// interpreter is not a virtual environment.
fn new_venv_path(interpreter: &Interpreter, server: &Version) -> PathBuf {
    match (interpreter.venv, interpreter.prefix.file_name()) {
        (true, Some(name)) => interpreter
            .prefix
            .with_file_name(format!("{}-om-{server}", name.to_string_lossy())),
        _ => Path::new(&format!("openmetadata-{server}")).to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::discover::Origin;
    use crate::clients::inventory::{MetadataFolder, pep440_release};
    use crate::clients::probe::CliProbe;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    fn range(min: &str, max: &str) -> Range {
        Range::new(Some(v(min)), Some(v(max)))
    }

    fn package(version: &str) -> Package {
        Package {
            version: Some(version.into()),
            release: pep440_release(version),
            location: PathBuf::from("/site"),
            problem: None,
        }
    }

    fn duplicates(versions: &[&str]) -> Package {
        let copies: Vec<MetadataFolder> = versions
            .iter()
            .map(|v| MetadataFolder {
                version: Some(v.to_string()),
                location: PathBuf::from(format!("/site/openmetadata_ingestion-{v}.dist-info")),
            })
            .collect();
        Package {
            version: None,
            release: None,
            location: copies[0].location.clone(),
            problem: Some(MetadataProblem::Duplicates { copies }),
        }
    }

    fn interpreter(python: &str) -> Interpreter {
        Interpreter {
            path: PathBuf::from("/opt/venv/bin/python"),
            origins: vec![Origin::Flag],
            python: v(python),
            prefix: PathBuf::from("/opt/venv"),
            venv: true,
            pip: true,
            ingestion: None,
            managed_apis: None,
            airflow: None,
            plugins: Vec::new(),
            metadata_cli: None,
        }
    }

    fn with_ingestion(mut i: Interpreter, version: &str, plugins: &[&str]) -> Interpreter {
        i.ingestion = Some(package(version));
        i.plugins = plugins.iter().map(|p| p.to_string()).collect();
        i.metadata_cli = Some(CliProbe {
            works: true,
            output: format!("metadata {version}"),
        });
        i
    }

    /// 1.2: Python 3.8–3.10.
    fn policy_1_2() -> Policy {
        Policy {
            server: v("1.2.0"),
            python: Some(range("3.8", "3.10")),
            airflow: Some(range("2.3", "2.7")),
        }
    }

    /// 1.13: Python 3.10–3.12.
    fn policy_1_13() -> Policy {
        Policy {
            server: v("1.13.0"),
            python: Some(range("3.10", "3.12")),
            airflow: None,
        }
    }

    #[test]
    fn ranges_admit_the_whole_max_minor_line() {
        let r = range("3.8", "3.10");
        assert!(r.contains(&v("3.8.0")));
        assert!(r.contains(&v("3.10.13")));
        assert!(!r.contains(&v("3.11.7")));
        assert!(!r.contains(&v("3.7.16")));
        assert_eq!(r.to_string(), "3.8–3.10");
        assert_eq!(
            Range::new(Some(v("3.8.1")), None).to_string(),
            "3.8.1 or newer"
        );
        assert_eq!(Range::new(None, Some(v("3.12"))).to_string(), "up to 3.12");
    }

    #[test]
    fn a_four_part_client_of_the_same_release_passes() {
        let i = with_ingestion(interpreter("3.10.13"), "1.2.0.1", &["mysql"]);
        let a = assess(&i, &policy_1_2());
        let ingestion = a.verdict(Aspect::Ingestion);
        assert_eq!(ingestion.status, Status::Pass, "{ingestion:?}");
        assert_eq!(ingestion.note, "1.2.0.1 is a client build of server 1.2.0");
        assert_eq!(a.verdict(Aspect::Python).status, Status::Pass);
        assert_eq!(a.fix, None);
    }

    #[test]
    fn another_release_fails_with_a_pinned_install_of_the_same_plugins() {
        let mut i = with_ingestion(interpreter("3.10.13"), "1.1.5.0", &["mysql", "snowflake"]);
        i.managed_apis = Some(package("1.1.5"));
        i.airflow = Some(package("2.6.3"));
        let a = assess(&i, &policy_1_2());
        assert_eq!(a.verdict(Aspect::Ingestion).status, Status::Fail);
        assert_eq!(
            a.verdict(Aspect::Ingestion).note,
            "1.1.5.0 is the client of server 1.1.5; the target server is 1.2.0"
        );
        assert_eq!(a.verdict(Aspect::ManagedApis).status, Status::Fail);
        assert_eq!(a.verdict(Aspect::Airflow).status, Status::Pass);
        let Some(Fix::InPlace { commands }) = &a.fix else {
            panic!("{:?}", a.fix)
        };
        assert_eq!(
            commands.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "/opt/venv/bin/python -m pip install \"openmetadata-ingestion[mysql,snowflake]==1.2.0.*\" \"openmetadata-managed-apis==1.2.0.*\""
            ]
        );
    }

    #[test]
    fn a_python_outside_the_range_fails_with_a_new_venv_recipe() {
        let i = with_ingestion(interpreter("3.11.7"), "1.1.5.0", &["mysql"]);
        let a = assess(&i, &policy_1_2());
        let python = a.verdict(Aspect::Python);
        assert_eq!(python.status, Status::Fail);
        assert_eq!(python.required.as_deref(), Some("3.8–3.10"));
        let Some(Fix::NewVenv { venv, commands, .. }) = &a.fix else {
            panic!("{:?}", a.fix)
        };
        assert_eq!(venv, Path::new("/opt/venv-om-1.2.0"));
        assert_eq!(
            commands.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "python3.10 -m venv /opt/venv-om-1.2.0",
                "/opt/venv-om-1.2.0/bin/python -m pip install --upgrade pip",
                "/opt/venv-om-1.2.0/bin/python -m pip install \"openmetadata-ingestion[mysql]==1.2.0.*\"",
            ]
        );
        // The same Python is fine for 1.13.
        let i = with_ingestion(interpreter("3.11.7"), "1.13.0.2", &[]);
        let a = assess(&i, &policy_1_13());
        assert_eq!(a.verdict(Aspect::Python).status, Status::Pass);
        assert_eq!(a.verdict(Aspect::Ingestion).status, Status::Pass);
        // 3.9 is too old for 1.13.
        let a = assess(&interpreter("3.9.18"), &policy_1_13());
        assert_eq!(a.verdict(Aspect::Python).status, Status::Fail);
    }

    #[test]
    fn unknown_ranges_warn_and_never_pass() {
        let mut i = with_ingestion(interpreter("3.11.7"), "1.2.0", &[]);
        i.airflow = Some(package("2.7.3"));
        let a = assess(
            &i,
            &Policy::for_release(&v("1.2.0"), &Requirements::default()),
        );
        for aspect in [Aspect::Python, Aspect::Airflow] {
            let verdict = a.verdict(aspect);
            assert_eq!(verdict.status, Status::Warn, "{verdict:?}");
            assert!(verdict.note.contains("not known"), "{}", verdict.note);
        }
        assert_eq!(a.verdict(Aspect::Ingestion).status, Status::Pass);
        assert_eq!(a.fix, None);
    }

    #[test]
    fn airflow_outside_the_range_fails_with_advice() {
        let mut i = interpreter("3.10.13");
        i.airflow = Some(package("2.9.3"));
        let a = assess(&i, &policy_1_2());
        assert_eq!(a.verdict(Aspect::Airflow).status, Status::Fail);
        assert!(a.advice[0].text.contains("2.3–2.7"), "{:?}", a.advice);
        assert!(
            a.verdict(Aspect::ManagedApis)
                .note
                .contains("only needed when")
        );
    }

    #[test]
    fn right_version_with_a_broken_cli_warns() {
        let mut i = with_ingestion(interpreter("3.10.13"), "1.2.0.0", &[]);
        i.metadata_cli = Some(CliProbe {
            works: false,
            output: "ModuleNotFoundError: No module named 'pydantic'".into(),
        });
        let verdict = assess(&i, &policy_1_2()).verdict(Aspect::Ingestion).clone();
        assert_eq!(verdict.status, Status::Warn);
        assert!(verdict.note.contains("pydantic"), "{}", verdict.note);
    }

    #[test]
    fn two_metadata_folders_warn_without_a_version_and_are_uninstalled_first() {
        let mut i = with_ingestion(interpreter("3.10.13"), "1.2.0.0", &["mysql"]);
        i.ingestion = Some(duplicates(&["1.1.5.0", "1.2.0.0"]));
        let a = assess(&i, &policy_1_2());
        let verdict = a.verdict(Aspect::Ingestion);
        assert_eq!(verdict.status, Status::Warn, "{verdict:?}");
        assert_eq!(verdict.current.as_deref(), Some("1.1.5.0 or 1.2.0.0"));
        assert_eq!(
            verdict.note,
            "2 metadata folders, left by an interrupted upgrade: \
             /site/openmetadata_ingestion-1.1.5.0.dist-info (1.1.5.0), \
             /site/openmetadata_ingestion-1.2.0.0.dist-info (1.2.0.0); \
             which one Python and pip see is not defined"
        );
        let Some(Fix::InPlace { commands }) = &a.fix else {
            panic!("{:?}", a.fix)
        };
        assert_eq!(
            commands.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "/opt/venv/bin/python -m pip uninstall -y openmetadata-ingestion",
                "/opt/venv/bin/python -m pip uninstall -y openmetadata-ingestion",
                "/opt/venv/bin/python -m pip install \"openmetadata-ingestion[mysql]==1.2.0.*\"",
            ]
        );
    }

    #[test]
    fn a_client_without_a_version_is_installed_but_damaged() {
        let mut i = with_ingestion(interpreter("3.10.13"), "1.2.0.0", &[]);
        let file = PathBuf::from("/site/openmetadata_ingestion-1.2.0.0.dist-info/METADATA");
        i.ingestion = Some(Package {
            version: None,
            release: None,
            location: file.parent().unwrap().to_path_buf(),
            problem: Some(MetadataProblem::NoVersion { file }),
        });
        i.managed_apis = Some(package("1.1.5"));
        let a = assess(&i, &policy_1_2());
        let verdict = a.verdict(Aspect::Ingestion);
        assert_eq!(verdict.status, Status::Warn, "{verdict:?}");
        assert_eq!(verdict.current.as_deref(), Some("unknown"));
        assert!(
            verdict
                .note
                .contains("openmetadata_ingestion-1.2.0.0.dist-info/METADATA has no Version"),
            "{}",
            verdict.note
        );
        // pip stops on it: no command to run as is, but the steps for both clients.
        assert_eq!(a.fix, None);
        for aspect in [Aspect::Ingestion, Aspect::ManagedApis] {
            let advice: Vec<_> = a.advice_for(aspect).map(ToString::to_string).collect();
            assert_eq!(advice.len(), 1, "{advice:?}");
            assert!(
                advice[0]
                    .starts_with("Delete /site/openmetadata_ingestion-1.2.0.0.dist-info by hand")
                    && advice[0].contains("\"openmetadata-managed-apis==1.2.0.*\""),
                "{}",
                advice[0]
            );
        }
        assert_eq!(a.advice_for(Aspect::Airflow).count(), 0);
    }

    #[test]
    fn egg_info_without_a_version_is_deleted_itself_not_its_site_folder() {
        let unversioned = |location: &str, file: &str| Package {
            version: None,
            release: None,
            location: PathBuf::from(location),
            problem: Some(MetadataProblem::NoVersion {
                file: PathBuf::from(file),
            }),
        };
        let mut i = interpreter("3.10.13");
        // An `.egg-info` folder: its metadata file is PKG-INFO.
        i.ingestion = Some(unversioned(
            "/site/openmetadata_ingestion-1.2.0.0.egg-info",
            "/site/openmetadata_ingestion-1.2.0.0.egg-info/PKG-INFO",
        ));
        // An `.egg-info` file: it is its own metadata file.
        i.airflow = Some(unversioned(
            "/site/apache_airflow-2.7.3.egg-info",
            "/site/apache_airflow-2.7.3.egg-info",
        ));
        let a = assess(&i, &policy_1_2());
        let client: Vec<_> = a
            .advice_for(Aspect::Ingestion)
            .map(ToString::to_string)
            .collect();
        assert_eq!(client.len(), 1, "{client:?}");
        assert!(
            client[0].starts_with("Delete /site/openmetadata_ingestion-1.2.0.0.egg-info by hand"),
            "{}",
            client[0]
        );
        let airflow: Vec<_> = a
            .advice_for(Aspect::Airflow)
            .map(ToString::to_string)
            .collect();
        assert_eq!(airflow.len(), 1, "{airflow:?}");
        assert!(
            airflow[0].starts_with("Delete /site/apache_airflow-2.7.3.egg-info by hand"),
            "{}",
            airflow[0]
        );
    }

    #[test]
    fn without_pip_the_fix_bootstraps_it_first() {
        let mut i = with_ingestion(interpreter("3.10.13"), "1.1.5", &[]);
        i.pip = false;
        let a = assess(&i, &policy_1_2());
        let commands: Vec<String> = a
            .fix
            .unwrap()
            .commands()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(commands[0], "/opt/venv/bin/python -m ensurepip --upgrade");
        assert_eq!(commands.len(), 2);
    }
}
