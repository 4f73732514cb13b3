//! `om-upgrade clients` and the `clients.*` checks against real virtual environments
//! (`python -m venv`) holding fake-but-real distributions: `*.dist-info` folders with METADATA
//! and RECORD, as pip writes them. Nothing is downloaded: `--apply` installs from wheels built
//! here, with pip told not to use an index.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use om_upgrade::checks::Status;
use om_upgrade::clients::{self, Aspect, Fix, Policy, Request};
use om_upgrade::db::Engine;
use om_upgrade::knowledge::Range;
use om_upgrade::version::Version;

/// A virtual environment in a temp folder.
struct Venv {
    _dir: tempfile::TempDir,
    root: PathBuf,
    site: PathBuf,
}

impl Venv {
    /// `python -m venv --without-pip`: fast, and enough for everything but `--apply`.
    fn new(python: &Path) -> Venv {
        Venv::create(python, false)
    }

    fn with_pip(python: &Path) -> Venv {
        Venv::create(python, true)
    }

    fn create(python: &Path, pip: bool) -> Venv {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("venv");
        let mut command = Command::new(python);
        command.args(["-m", "venv"]);
        if !pip {
            command.arg("--without-pip");
        }
        let out = command.arg(&root).output().expect("python runs");
        assert!(
            out.status.success(),
            "venv failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let site = python_output(
            &root.join("bin/python"),
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        );
        Venv {
            _dir: dir,
            root,
            site: PathBuf::from(site.trim()),
        }
    }

    fn python(&self) -> PathBuf {
        self.root.join("bin/python")
    }

    /// Installs a distribution's metadata the way pip leaves it (METADATA, INSTALLER, RECORD).
    fn dist(&self, name: &str, version: &str, extra_headers: &str) {
        let folder = format!("{}-{version}.dist-info", name.replace('-', "_"));
        let info = self.site.join(&folder);
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{extra_headers}\nA description.\n"),
        )
        .unwrap();
        std::fs::write(info.join("INSTALLER"), "pip\n").unwrap();
        std::fs::write(
            info.join("RECORD"),
            format!("{folder}/METADATA,,\n{folder}/INSTALLER,,\n{folder}/RECORD,,\n"),
        )
        .unwrap();
    }

    /// A `metadata` package whose `python -m metadata --version` prints like the real one.
    fn metadata_cli(&self, version: &str) {
        let package = self.site.join("metadata");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::write(package.join("__init__.py"), "").unwrap();
        std::fs::write(
            package.join("__main__.py"),
            format!("print('metadata {version} from fake (python 3)')\n"),
        )
        .unwrap();
    }
}

fn python_output(python: &Path, script: &str) -> String {
    let out = Command::new(python)
        .args(["-c", script])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The interpreter every test venv is made from: python3 on PATH (3.11 on the build machines).
fn python3() -> PathBuf {
    PathBuf::from("python3")
}

/// A Python of the given minor line: on PATH, else installed by pyenv. Fails loudly if none.
fn python_of(minor: &str) -> PathBuf {
    let name = format!("python{minor}");
    let answers = |p: &Path| {
        Command::new(p)
            .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == minor)
    };
    if answers(Path::new(&name)) {
        return PathBuf::from(name);
    }
    let pyenv_root = std::env::var("PYENV_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".pyenv"));
    let mut found: Vec<PathBuf> = std::fs::read_dir(pyenv_root.join("versions"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{minor}."))
        })
        .map(|e| e.path().join("bin").join(&name))
        .filter(|p| answers(p))
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!("these tests need Python {minor}: install it (e.g. `pyenv install {minor}`) or put {name} on PATH")
    })
}

const INGESTION_METADATA: &str = "\
Requires-Python: >=3.8
Provides-Extra: mysql
Provides-Extra: snowflake
Provides-Extra: postgres
Provides-Extra: all
Requires-Dist: pydantic (>=1.10)
Requires-Dist: PyMySQL (>=1.0.2) ; extra == \"mysql\"
Requires-Dist: snowflake-sqlalchemy~=1.4 ; extra == \"snowflake\"
Requires-Dist: snowflake-connector-python ; extra == \"snowflake\"
Requires-Dist: psycopg2-binary ; extra == \"postgres\"
Requires-Dist: openmetadata-ingestion[mysql,postgres,snowflake] ; extra == \"all\"";

/// A custom-Airflow venv on OpenMetadata 1.1.5 with the mysql and snowflake plugins.
fn airflow_venv_1_1_5() -> Venv {
    let venv = Venv::new(&python3());
    venv.dist("openmetadata-ingestion", "1.1.5.0", INGESTION_METADATA);
    venv.dist(
        "openmetadata-managed-apis",
        "1.1.5.0",
        "Requires-Dist: apache-airflow (>=2.3)",
    );
    venv.dist("apache-airflow", "2.6.3", "");
    venv.dist("pydantic", "1.10.13", "");
    venv.dist("PyMySQL", "1.1.0", "");
    venv.dist("snowflake-sqlalchemy", "1.5.0", "");
    venv.dist("snowflake-connector-python", "3.2.0", "");
    venv
}

/// `om-upgrade clients --target TARGET --python PYTHON EXTRA… --format json`, and its report.
fn clients_json(
    target: &str,
    python: &Path,
    extra: &[&str],
) -> (std::process::Output, serde_json::Value) {
    let python = python.to_str().unwrap();
    let args = [
        &["clients", "--target", target, "--python", python][..],
        extra,
        &["--format", "json"],
    ]
    .concat();
    let out = run(&args, &[]);
    let report = check_json(&out);
    (out, report)
}

/// pip told to install only from the wheels in `wheels`, without an index or a version check.
fn offline_pip(wheels: &Path) -> [(&'static str, &str); 3] {
    [
        ("PIP_NO_INDEX", "1"),
        ("PIP_FIND_LINKS", wheels.to_str().unwrap()),
        ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    ]
}

fn only_interpreter(report: &serde_json::Value) -> &serde_json::Value {
    let list = report["interpreters"].as_array().expect("interpreters");
    assert_eq!(list.len(), 1, "{report}");
    &list[0]
}

#[test]
fn detects_versions_plugins_and_mismatches_without_the_network() {
    let venv = airflow_venv_1_1_5();
    let python = venv.python();
    let (out, report) = clients_json("1.3.0", &python, &[]);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let i = only_interpreter(&report);
    assert_eq!(i["path"], python.to_str().unwrap());
    assert_eq!(i["venv"], true);
    assert_eq!(i["pip"], false);
    assert!(i["python"].as_str().unwrap().starts_with("3."), "{i}");
    assert_eq!(i["ingestion"]["version"], "1.1.5.0");
    assert_eq!(i["managed_apis"]["version"], "1.1.5.0");
    assert_eq!(i["airflow"]["version"], "2.6.3");
    // postgres is not installed, so neither is `all`.
    assert_eq!(i["plugins"], serde_json::json!(["mysql", "snowflake"]));
    assert!(report["plugins"].as_str().unwrap().contains("inferred"));
    // No `metadata` module here: the CLI probe says so instead of crashing.
    assert_eq!(i["metadata_cli"]["works"], false);
    assert!(
        i["metadata_cli"]["output"]
            .as_str()
            .unwrap()
            .contains("No module named metadata"),
        "{i}"
    );
    let verdicts = &i["assessment"]["verdicts"];
    assert_eq!(verdicts["ingestion"]["status"], "fail");
    assert_eq!(verdicts["ingestion"]["required"], "1.3.0.*");
    assert_eq!(verdicts["managed_apis"]["status"], "fail");
    // The supported range comes from the release catalogue: 1.3 supports 3.8–3.11.
    assert_eq!(verdicts["python"]["status"], "pass");
    assert_eq!(verdicts["airflow"]["status"], "pass");
    let fix = &i["assessment"]["fix"];
    assert_eq!(fix["kind"], "in_place");
    let shell: Vec<&str> = fix["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["shell"].as_str().unwrap())
        .collect();
    let p = python.display();
    assert_eq!(
        shell,
        [
            format!("{p} -m ensurepip --upgrade"),
            format!(
                "{p} -m pip install \"openmetadata-ingestion[mysql,snowflake]==1.3.0.*\" \"openmetadata-managed-apis==1.3.0.*\""
            ),
        ]
    );

    // The text view: a table per interpreter and the commands.
    let out = run(
        &[
            "clients",
            "--target",
            "1.3.0",
            "--python",
            python.to_str().unwrap(),
        ],
        &[],
    );
    let text = stdout(&out);
    for expected in [
        "✘ FAIL   openmetadata-ingestion     1.1.5.0  1.3.0.*",
        "plugins: mysql, snowflake (inferred",
        "To align it, run:",
        "-m pip install \"openmetadata-ingestion[mysql,snowflake]==1.3.0.*\"",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
}

#[test]
fn a_four_part_client_of_the_target_release_passes() {
    let venv = Venv::new(&python3());
    venv.dist("openmetadata-ingestion", "1.3.0.1", INGESTION_METADATA);
    venv.dist("psycopg2-binary", "2.9.9", "");
    venv.metadata_cli("1.3.0.1");
    let (out, report) = clients_json("1.3.0", &venv.python(), &[]);
    let i = only_interpreter(&report);
    let ingestion = &i["assessment"]["verdicts"]["ingestion"];
    assert_eq!(ingestion["status"], "pass", "{report}");
    assert_eq!(ingestion["current"], "1.3.0.1");
    assert_eq!(i["plugins"], serde_json::json!(["postgres"]));
    assert_eq!(i["metadata_cli"]["works"], true);
    assert_eq!(
        i["metadata_cli"]["output"],
        "metadata 1.3.0.1 from fake (python 3)"
    );
    assert_eq!(
        i["assessment"]["verdicts"]["managed_apis"]["status"],
        "skip"
    );
    assert!(i["assessment"]["fix"].is_null());
    // Nothing to warn about: exit 0, with --strict too.
    assert_eq!(out.status.code(), Some(0));
    let strict = run(
        &[
            "clients",
            "--target",
            "1.3.0",
            "--python",
            venv.python().to_str().unwrap(),
            "--strict",
        ],
        &[],
    );
    assert_eq!(strict.status.code(), Some(0));
    // Another release of the same minor line is a mismatch.
    let (_, report) = clients_json("1.3.1", &venv.python(), &[]);
    assert_eq!(
        only_interpreter(&report)["assessment"]["verdicts"]["ingestion"]["status"],
        "fail"
    );
}

/// The release catalogue provides the ranges; the rules are tested here with explicit ones:
/// 1.2 supports Python 3.8–3.10, 1.13 supports 3.10–3.12.
#[tokio::test]
async fn python_outside_the_target_range_fails_with_a_new_venv_recipe() {
    let v = |s: &str| s.parse::<Version>().unwrap();
    let policy = |server: &str, min: &str, max: &str| Policy {
        server: v(server),
        python: Some(Range::new(Some(v(min)), Some(v(max)))),
        airflow: None,
    };
    let py311 = Venv::new(&python3());
    py311.dist("openmetadata-ingestion", "1.3.0.1", INGESTION_METADATA);
    py311.dist("PyMySQL", "1.1.0", "");
    py311.metadata_cli("1.3.0.1");
    let py310 = Venv::new(&python_of("3.10"));
    py310.dist("openmetadata-ingestion", "1.3.0.1", INGESTION_METADATA);
    let inventory = clients::discover(&Request {
        pythons: vec![py311.python(), py310.python()],
        ..Request::default()
    })
    .await
    .unwrap();
    assert_eq!(inventory.interpreters.len(), 2, "{inventory:?}");
    let (i311, i310) = (&inventory.interpreters[0], &inventory.interpreters[1]);
    assert_eq!(i311.python.minor_line(), "3.11", "python3 here is 3.11");
    assert_eq!(i310.python.minor_line(), "3.10");

    let a = clients::assess(i311, &policy("1.3.0", "3.8", "3.10"));
    let python = a.verdict(Aspect::Python);
    assert_eq!(python.status, Status::Fail);
    assert_eq!(python.required.as_deref(), Some("3.8–3.10"));
    assert!(python.note.contains("not supported"), "{}", python.note);
    // The client itself is right: only the Python is wrong.
    assert_eq!(a.verdict(Aspect::Ingestion).status, Status::Pass);
    let Some(Fix::NewVenv { venv, commands, .. }) = &a.fix else {
        panic!("{:?}", a.fix)
    };
    let new_python = venv.join("bin/python");
    assert_eq!(
        commands.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            format!("python3.10 -m venv {}", venv.display()),
            format!("{} -m pip install --upgrade pip", new_python.display()),
            format!(
                "{} -m pip install \"openmetadata-ingestion[mysql]==1.3.0.*\"",
                new_python.display()
            ),
        ]
    );
    assert_eq!(
        clients::assess(i310, &policy("1.3.0", "3.8", "3.10"))
            .verdict(Aspect::Python)
            .status,
        Status::Pass
    );
    // 1.13 accepts 3.11 and refuses nothing here but the 1.2 client.
    let a = clients::assess(i311, &policy("1.13.0", "3.10", "3.12"));
    assert_eq!(a.verdict(Aspect::Python).status, Status::Pass);
    assert_eq!(a.verdict(Aspect::Ingestion).status, Status::Fail);
}

/// A client that warns (its `metadata` CLI does not start, its version cannot be read) on a
/// Python the target does not support: the advice is the new venv, never a reinstall in place.
#[tokio::test]
async fn client_advice_on_an_unsupported_python_points_to_the_new_venv() {
    let venv = Venv::new(&python3());
    venv.dist("openmetadata-ingestion", "1.3.0.0", INGESTION_METADATA);
    venv.dist("openmetadata-managed-apis", "banana", "");
    let inventory = clients::discover(&Request {
        pythons: vec![venv.python()],
        ..Request::default()
    })
    .await
    .unwrap();
    let v = |s: &str| s.parse::<Version>().unwrap();
    let policy = Policy {
        server: v("1.3.0"),
        python: Some(Range::new(Some(v("3.8")), Some(v("3.10")))),
        airflow: None,
    };
    let results =
        om_upgrade::checks::clients::results(&inventory, &policy, std::time::Duration::ZERO);
    let by_id = |id: &str| results.iter().find(|r| r.id.as_str() == id).unwrap();
    assert_eq!(by_id("clients.python").outcome.status, Status::Fail);
    let new_python = venv.root.with_file_name("venv-om-1.3.0").join("bin/python");
    for id in ["clients.ingestion", "clients.managed_apis"] {
        let outcome = &by_id(id).outcome;
        assert_eq!(outcome.status, Status::Warn, "{id}: {outcome:?}");
        let remediation = outcome.remediation.as_deref().unwrap_or_default();
        assert!(
            remediation.contains(&format!("{} -m pip install", new_python.display())),
            "{id} should install into the new venv:\n{remediation}"
        );
        assert!(
            !remediation.contains(&format!("{} -m pip install", venv.python().display())),
            "{id} should not reinstall in place:\n{remediation}"
        );
    }
}

#[test]
fn a_missing_interpreter_path_is_a_clear_usage_error() {
    let out = run(
        &[
            "clients",
            "--target",
            "1.3.0",
            "--python",
            "/nonexistent/venv/bin/python",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no Python interpreter at '/nonexistent/venv/bin/python'"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    let out = run(&["clients", "--search", "/nonexistent/folder"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a folder"), "{}", stderr(&out));
}

/// A venv made from a link to python3 that is then deleted: what is left when the Python a venv
/// was made from is removed (bin/python links to nothing).
fn venv_without_its_base_python() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base/bin");
    std::fs::create_dir_all(&base).unwrap();
    let real = python_output(
        &python3(),
        "import os, sys; print(os.path.realpath(sys.executable))",
    );
    std::os::unix::fs::symlink(real.trim(), base.join("python3")).unwrap();
    let venv = dir.path().join("search/venv");
    let out = Command::new(base.join("python3"))
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(dir.path().join("base")).unwrap();
    (dir, venv)
}

#[tokio::test]
async fn an_interpreter_named_with_python_that_cannot_run_fails_with_the_cause() {
    let (_dir, venv) = venv_without_its_base_python();
    let python = venv.join("bin/python");
    let line = python_output(
        &python3(),
        "import sys; print('%d.%d' % sys.version_info[:2])",
    );
    let line = line.trim();
    for given in [&venv, &python] {
        let out = run(
            &[
                "clients",
                "--target",
                "1.3.0",
                "--python",
                given.to_str().unwrap(),
            ],
            &[],
        );
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
        for expected in [
            "✘ FAIL",
            "which does not exist: the Python this virtual environment was made from was removed or moved",
            &format!("python{line} -m venv --clear {}", venv.display()),
        ] {
            assert!(text.contains(expected), "{expected:?} missing:\n{text}");
        }
        assert!(!text.contains("No Python with"), "it was found:\n{text}");
    }

    // A file that is not a program at all.
    let notes = venv.parent().unwrap().join("notes");
    std::fs::write(&notes, "not a program\n").unwrap();
    std::fs::set_permissions(&notes, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = run(
        &[
            "clients",
            "--python",
            notes.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    let report = check_json(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["broken"][0]["status"], "fail", "{report}");
    assert!(
        report["broken"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("it is not a program"),
        "{report}"
    );
    assert!(
        report["broken"][0]["remedy"]
            .as_str()
            .unwrap()
            .starts_with("Check the path"),
        "{report}"
    );

    // Found by --search rather than named, the same venv is a warning: it may be a leftover.
    let out = run(
        &[
            "clients",
            "--target",
            "1.3.0",
            "--search",
            venv.parent().unwrap().to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    let report = check_json(&out);
    assert_eq!(report["broken"][0]["status"], "warn", "{report}");
    assert_eq!(out.status.code(), Some(0), "{report}");

    // `check` fails clients.python with the cause and the remedy; the others point at it.
    let db = TestDb::new(Engine::Postgres).await;
    let out = run(
        &[
            "check",
            "--db-url",
            &db.url,
            "--target",
            "1.3.0",
            "--python",
            python.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    let report = check_json(&out);
    let python_check = check_by_id(&report, "clients.python");
    assert_eq!(python_check["status"], "fail", "{python_check}");
    let summary = python_check["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!("cannot run {}: it is a link to", python.display())),
        "{python_check}"
    );
    let remediation = python_check["remediation"].as_str().unwrap();
    assert!(
        remediation.contains("venv --clear") && !remediation.contains("If ingestion runs"),
        "{python_check}"
    );
    let ingestion = check_by_id(&report, "clients.ingestion");
    assert_eq!(ingestion["status"], "skip", "{ingestion}");
    assert!(
        ingestion["summary"]
            .as_str()
            .unwrap()
            .contains("see clients.python"),
        "{ingestion}"
    );
}

#[test]
fn search_finds_venvs_below_a_folder_and_lists_without_a_target() {
    let venv = airflow_venv_1_1_5();
    let parent = venv.root.parent().unwrap();
    let out = run(
        &[
            "clients",
            "--search",
            parent.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    let report = check_json(&out);
    let found = report["interpreters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["prefix"] == venv.root.to_str().unwrap())
        .unwrap_or_else(|| panic!("venv not found: {report}"));
    assert_eq!(found["origins"][0]["kind"], "search");
    assert_eq!(found["ingestion"]["version"], "1.1.5.0");
    assert!(found["assessment"].is_null(), "no target, no verdicts");
    assert_eq!(out.status.code(), Some(0));
}

/// Parses every requirement of the printed commands with the `packaging` library pip vendors,
/// after splitting the lines the way a shell does.
#[test]
fn printed_pip_requirements_are_valid_pep_508() {
    let venv = airflow_venv_1_1_5();
    venv.dist("psycopg2-binary", "2.9.9", "");
    let (_, report) = clients_json("1.3.0", &venv.python(), &[]);
    let mut lines: Vec<String> = only_interpreter(&report)["assessment"]["fix"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["shell"].as_str().unwrap().to_string())
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("[all]==1.3.0.*")),
        "{lines:?}"
    );
    // python3 here is 3.11, outside 1.2's 3.8–3.10: the new-venv recipe.
    let recipe = clients::assess(
        &interpreter_of(&venv),
        &Policy {
            server: "1.3.0".parse().unwrap(),
            python: Some(Range::new(
                Some("3.8".parse().unwrap()),
                Some("3.10".parse().unwrap()),
            )),
            airflow: None,
        },
    );
    lines.extend(
        recipe
            .fix
            .unwrap()
            .commands()
            .iter()
            .map(ToString::to_string),
    );
    let checker = r#"
import shlex, sys
from pip._vendor.packaging.requirements import Requirement
for line in sys.stdin.read().splitlines():
    argv = shlex.split(line)
    if argv[1:4] != ["-m", "pip", "install"]:
        continue
    if any(arg.startswith("-") for arg in argv[4:]):
        continue  # `pip install --upgrade pip`
    for arg in argv[4:]:
        req = Requirement(arg)
        ok = [v for v in ("1.3.0", "1.3.0.1", "1.3.0.7", "1.3.1", "1.1.5.0") if req.specifier.contains(v)]
        print(req.name, sorted(req.extras), ok)
"#;
    let mut child = Command::new("python3")
        .args(["-c", checker])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed = String::from_utf8_lossy(&out.stdout);
    let expected_versions = "['1.3.0', '1.3.0.1', '1.3.0.7']";
    assert_eq!(
        parsed.lines().collect::<Vec<_>>(),
        [
            format!("openmetadata-ingestion ['all'] {expected_versions}"),
            format!("openmetadata-managed-apis [] {expected_versions}"),
            format!("openmetadata-ingestion ['all'] {expected_versions}"),
            format!("openmetadata-managed-apis [] {expected_versions}"),
        ],
        "{lines:#?}"
    );
}

/// The interpreter of a venv as the library sees it.
fn interpreter_of(venv: &Venv) -> clients::Interpreter {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let inventory = runtime
        .block_on(clients::discover(&Request {
            pythons: vec![venv.python()],
            ..Request::default()
        }))
        .unwrap();
    inventory.interpreters.into_iter().next().unwrap()
}

#[test]
fn apply_refuses_without_a_terminal_unless_told_yes() {
    let out = run(&["clients", "--target", "1.3.0", "--apply"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    let out = run(&["clients", "--apply", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(2), "--apply needs --target");
}

/// Runs om-upgrade with stdin and stderr on a pseudo-terminal (so that `--apply` asks), types
/// `answer` when the question shows, and returns the exit code, what the terminal showed and
/// stdout. Python's `pty` module does the terminal work.
fn run_on_a_terminal(args: &[&str], env: &[(&str, &str)], answer: &str) -> (i32, String, String) {
    let driver = r#"
import json, os, pty, select, subprocess, sys
argv, answer = json.loads(sys.argv[1]), sys.argv[2]
master, slave = pty.openpty()
child = subprocess.Popen(argv, stdin=slave, stderr=slave, stdout=subprocess.PIPE)
os.close(slave)
shown, answered = b"", False
while True:
    ready, _, _ = select.select([master], [], [], 60)
    if not ready:
        child.kill()
        break
    try:
        chunk = os.read(master, 4096)
    except OSError:  # EIO: the child closed the terminal
        break
    if not chunk:
        break
    shown += chunk
    if not answered and b"Proceed? [y/N]" in shown:
        os.write(master, answer.encode() + b"\n")
        answered = True
out = child.stdout.read()
print(json.dumps({"code": child.wait(), "shown": shown.decode(errors="replace"), "stdout": out.decode()}))
"#;
    let data = tempfile::tempdir().unwrap();
    let argv: Vec<&str> = [env!("CARGO_BIN_EXE_om-upgrade")]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    let out = Command::new("python3")
        .args(["-c", driver])
        .arg(serde_json::to_string(&argv).unwrap())
        .arg(answer)
        .env("OM_UPGRADE_DATA_DIR", data.path())
        .env("OM_UPGRADE_STATE_DIR", data.path())
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        result["code"].as_i64().unwrap() as i32,
        result["shown"].as_str().unwrap().to_string(),
        result["stdout"].as_str().unwrap().to_string(),
    )
}

/// `--apply` without `--yes` on a terminal: "n" runs nothing, "y" runs pip.
#[test]
fn apply_asks_on_a_terminal_and_n_installs_nothing() {
    let venv = Venv::with_pip(&python3());
    venv.dist(
        "openmetadata-ingestion",
        "1.1.5.0",
        "Provides-Extra: mysql\nRequires-Dist: PyMySQL ; extra == \"mysql\"",
    );
    let wheels = tempfile::tempdir().unwrap();
    wheel(wheels.path(), "openmetadata-ingestion", "1.3.0.1", "", &[]);
    let python = venv.python();
    let args = [
        "clients",
        "--target",
        "1.3.0",
        "--python",
        python.to_str().unwrap(),
        "--apply",
        "--format",
        "json",
    ];
    let pip_env = offline_pip(wheels.path());
    let installed = || {
        let mut found: Vec<String> = std::fs::read_dir(&venv.site)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("openmetadata_ingestion-"))
            .collect();
        found.sort();
        found
    };

    let (code, shown, stdout) = run_on_a_terminal(&args, &pip_env, "n");
    assert!(
        shown.contains(&format!(
            "{} -m pip install \"openmetadata-ingestion==1.3.0.*\"",
            python.display()
        )) && shown.contains("Proceed? [y/N]"),
        "the question shows the command:\n{shown}"
    );
    assert!(
        shown.contains(&format!("skipped {}", python.display())),
        "{shown}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["applied"], serde_json::json!([]), "{report}");
    assert_eq!(only_interpreter(&report)["ingestion"]["version"], "1.1.5.0");
    assert_eq!(installed(), ["openmetadata_ingestion-1.1.5.0.dist-info"]);
    assert_eq!(code, 1, "still misaligned:\n{shown}");

    // The same run answered "y" does install: the "n" above is what kept pip from running.
    let (code, shown, stdout) = run_on_a_terminal(&args, &pip_env, "y");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["applied"][0]["exit_code"], 0, "{shown}");
    assert_eq!(installed(), ["openmetadata_ingestion-1.3.0.1.dist-info"]);
    assert_eq!(code, 0, "{shown}");
}

/// Builds a wheel with the given dist-info METADATA and files, by hand (zip + RECORD).
fn wheel(folder: &Path, name: &str, version: &str, metadata: &str, files: &[(&str, &str)]) {
    let script = r#"
import sys, zipfile, json
folder, name, version, metadata, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
stem = name.replace("-", "_")
info = "%s-%s.dist-info" % (stem, version)
path = "%s/%s-%s-py3-none-any.whl" % (folder, stem, version)
entries = dict(files)
entries[info + "/METADATA"] = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s\n" % (name, version, metadata)
entries[info + "/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
record = "".join("%s,,\n" % p for p in entries) + info + "/RECORD,,\n"
with zipfile.ZipFile(path, "w") as z:
    for p, text in entries.items():
        z.writestr(p, text)
    z.writestr(info + "/RECORD", record)
"#;
    let files_json = serde_json::to_string(
        &files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(folder)
        .args([name, version, metadata, &files_json])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--apply --yes` runs the printed pip command in the venv, offline (pip reads PIP_NO_INDEX and
/// PIP_FIND_LINKS from the environment it inherits), then checks again.
#[test]
fn apply_runs_pip_in_the_interpreter_and_checks_again() {
    let venv = Venv::with_pip(&python3());
    venv.dist(
        "openmetadata-ingestion",
        "1.1.5.0",
        "Provides-Extra: mysql\nRequires-Dist: PyMySQL ; extra == \"mysql\"",
    );
    venv.dist("PyMySQL", "1.1.0", "");
    let wheels = tempfile::tempdir().unwrap();
    wheel(
        wheels.path(),
        "openmetadata-ingestion",
        "1.3.0.1",
        "Provides-Extra: mysql\nRequires-Dist: PyMySQL ; extra == \"mysql\"",
        &[
            ("metadata/__init__.py", ""),
            (
                "metadata/__main__.py",
                "print('metadata 1.3.0.1 from wheel')\n",
            ),
        ],
    );
    // A newer build of another release must not be picked: the pin holds pip to 1.3.0.*.
    wheel(wheels.path(), "openmetadata-ingestion", "1.3.1.0", "", &[]);
    let python = venv.python();
    let out = run(
        &[
            "clients",
            "--target",
            "1.3.0",
            "--python",
            python.to_str().unwrap(),
            "--apply",
            "--yes",
            "--format",
            "json",
        ],
        &offline_pip(wheels.path()),
    );
    let report = check_json(&out);
    let err = stderr(&out);
    assert!(
        err.contains("Successfully installed"),
        "pip's output is streamed:\n{err}"
    );
    let applied = report["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 1, "{report}");
    assert_eq!(applied[0]["exit_code"], 0);
    assert_eq!(
        applied[0]["command"]["argv"],
        serde_json::json!([
            python.to_str().unwrap(),
            "-m",
            "pip",
            "install",
            "openmetadata-ingestion[mysql]==1.3.0.*"
        ])
    );
    // The report is the state after pip.
    let i = only_interpreter(&report);
    assert_eq!(i["ingestion"]["version"], "1.3.0.1");
    assert_eq!(i["plugins"], serde_json::json!(["mysql"]));
    assert_eq!(i["metadata_cli"]["output"], "metadata 1.3.0.1 from wheel");
    assert_eq!(i["assessment"]["verdicts"]["ingestion"]["status"], "pass");
    assert!(i["assessment"]["fix"].is_null());
    assert_eq!(out.status.code(), Some(0), "{report}");
}

/// Two dist-info folders of openmetadata-ingestion in one venv (an upgrade interrupted between
/// writing the new one and removing the old): reported with both versions and folders, no
/// version claimed, and the printed commands really leave one clean install.
#[test]
fn two_metadata_folders_for_one_package_are_reported_and_cleaned_up() {
    let venv = Venv::with_pip(&python3());
    venv.dist("openmetadata-ingestion", "1.3.0.0", INGESTION_METADATA);
    venv.dist("openmetadata-ingestion", "1.1.5.0", INGESTION_METADATA);
    venv.dist("PyMySQL", "1.1.0", "");
    let python = venv.python();
    let args = [
        "clients",
        "--target",
        "1.3.0",
        "--python",
        python.to_str().unwrap(),
        "--format",
        "json",
    ];
    let out = run(&args, &[]);
    let report = check_json(&out);
    let i = only_interpreter(&report);
    assert!(i["ingestion"]["version"].is_null(), "{i}");
    assert_eq!(i["ingestion"]["problem"]["kind"], "duplicates", "{i}");
    let copies: Vec<(String, String)> = i["ingestion"]["problem"]["copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let folder = PathBuf::from(c["location"].as_str().unwrap());
            (
                c["version"].as_str().unwrap().to_string(),
                folder.file_name().unwrap().to_string_lossy().into_owned(),
            )
        })
        .collect();
    assert_eq!(
        copies,
        [
            (
                "1.1.5.0".into(),
                "openmetadata_ingestion-1.1.5.0.dist-info".into()
            ),
            (
                "1.3.0.0".into(),
                "openmetadata_ingestion-1.3.0.0.dist-info".into()
            ),
        ]
    );
    let verdict = &i["assessment"]["verdicts"]["ingestion"];
    assert_eq!(verdict["status"], "warn", "{verdict}");
    assert_eq!(verdict["current"], "1.1.5.0 or 1.3.0.0");
    assert!(
        verdict["note"]
            .as_str()
            .unwrap()
            .contains("left by an interrupted upgrade"),
        "{verdict}"
    );
    assert_eq!(out.status.code(), Some(0), "a warning: {report}");

    let wheels = tempfile::tempdir().unwrap();
    wheel(
        wheels.path(),
        "openmetadata-ingestion",
        "1.3.0.1",
        "Provides-Extra: mysql\nRequires-Dist: PyMySQL ; extra == \"mysql\"",
        &[],
    );
    let out = run(
        &[&args[..], &["--apply", "--yes"]].concat(),
        &offline_pip(wheels.path()),
    );
    let report = check_json(&out);
    let applied: Vec<&str> = report["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["command"]["shell"].as_str().unwrap())
        .collect();
    let p = python.display();
    assert_eq!(
        applied,
        [
            format!("{p} -m pip uninstall -y openmetadata-ingestion"),
            format!("{p} -m pip uninstall -y openmetadata-ingestion"),
            format!("{p} -m pip install \"openmetadata-ingestion[mysql]==1.3.0.*\""),
        ],
        "{}",
        stderr(&out)
    );
    let i = only_interpreter(&report);
    assert_eq!(i["ingestion"]["version"], "1.3.0.1", "{i}");
    assert!(i["ingestion"]["problem"].is_null(), "{i}");
    assert_eq!(out.status.code(), Some(0), "{report}");
}

/// A METADATA without a Version is a damaged install, not an absent one.
#[test]
fn a_package_without_a_version_is_installed_with_an_unknown_version() {
    let venv = Venv::new(&python3());
    let info = venv.site.join("openmetadata_ingestion-1.3.0.0.dist-info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(
        info.join("METADATA"),
        "Metadata-Version: 2.1\nName: openmetadata-ingestion\n\nA description.\n",
    )
    .unwrap();
    let (out, report) = clients_json("1.3.0", &venv.python(), &[]);
    let i = only_interpreter(&report);
    assert!(i["ingestion"].is_object(), "installed: {i}");
    assert!(i["ingestion"]["version"].is_null(), "{i}");
    assert_eq!(
        i["ingestion"]["problem"]["file"],
        info.join("METADATA").to_str().unwrap()
    );
    let verdict = &i["assessment"]["verdicts"]["ingestion"];
    assert_eq!(verdict["status"], "warn", "{verdict}");
    assert_eq!(verdict["current"], "unknown");
    assert!(
        verdict["note"].as_str().unwrap().contains(&format!(
            "{} has no Version",
            info.join("METADATA").display()
        )),
        "{verdict}"
    );
    let advice = i["assessment"]["advice"][0].as_str().unwrap();
    assert!(
        advice.starts_with(&format!("Delete {} by hand", info.display())),
        "{advice}"
    );
    assert_eq!(out.status.code(), Some(0), "{report}");
}

#[tokio::test]
async fn check_runs_the_client_checks_with_the_target() {
    let db = TestDb::new(Engine::Postgres).await;
    let venv = Venv::new(&python3());
    venv.dist("openmetadata-ingestion", "1.3.0.3", INGESTION_METADATA);
    venv.metadata_cli("1.3.0.3");
    let python = venv.python();
    let out = run(
        &[
            "check",
            "--db-url",
            &db.url,
            "--target",
            "1.3.0",
            "--python",
            python.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    let report = check_json(&out);
    let ingestion = check_by_id(&report, "clients.ingestion");
    assert_eq!(ingestion["status"], "pass", "{ingestion}");
    assert!(
        ingestion["summary"]
            .as_str()
            .unwrap()
            .contains("1.3.0.3 is a client build of server 1.3.0"),
        "{ingestion}"
    );
    let python_check = check_by_id(&report, "clients.python");
    assert_eq!(python_check["status"], "pass", "{python_check}");
    assert!(
        python_check["summary"]
            .as_str()
            .unwrap()
            .contains("OpenMetadata 1.3.0 supports Python 3.8–3.11"),
        "{python_check}"
    );
    assert_eq!(
        check_by_id(&report, "clients.managed_apis")["status"],
        "skip"
    );
    assert_eq!(check_by_id(&report, "clients.airflow")["status"], "skip");

    // Without a target the client checks say why they did not run.
    let out = run(
        &[
            "check",
            "--db-url",
            &db.url,
            "--python",
            python.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    let report = check_json(&out);
    for id in [
        "clients.python",
        "clients.ingestion",
        "clients.managed_apis",
        "clients.airflow",
    ] {
        let check = check_by_id(&report, id);
        assert_eq!(check["status"], "skip", "{check}");
        assert!(
            check["summary"].as_str().unwrap().contains("--target"),
            "{check}"
        );
    }

    // A --python that is not an interpreter fails clients.python with the reason; the others
    // point at it.
    let dir = tempfile::tempdir().unwrap();
    let not_python = dir.path().join("python");
    std::fs::write(&not_python, "not a program\n").unwrap();
    let check_with = |python: &str| {
        run(
            &[
                "check", "--db-url", &db.url, "--target", "1.3.0", "--python", python, "--format",
                "json",
            ],
            &[],
        )
    };
    let report = check_json(&check_with(not_python.to_str().unwrap()));
    let python_check = check_by_id(&report, "clients.python");
    assert_eq!(python_check["status"], "fail");
    assert!(
        python_check["summary"]
            .as_str()
            .unwrap()
            .contains(not_python.to_str().unwrap()),
        "{python_check}"
    );
    assert_eq!(check_by_id(&report, "clients.ingestion")["status"], "skip");
    // One that does not exist is a usage error, as in `om-upgrade clients`.
    let out = check_with("/nonexistent/python");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no Python interpreter at '/nonexistent/python'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_catalogue_makes_python_3_11_fail_for_1_2_with_a_new_venv_recipe() {
    // python3 on the build machines is 3.11; OpenMetadata 1.2 supports 3.8–3.10.
    let venv = airflow_venv_1_1_5();
    let python = venv.python();
    let (out, report) = clients_json("1.2.0", &python, &[]);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let i = only_interpreter(&report);
    assert_eq!(
        i["assessment"]["verdicts"]["python"]["status"], "fail",
        "{i}"
    );
    assert_eq!(
        i["assessment"]["verdicts"]["python"]["required"], "3.8–3.10",
        "{i}"
    );
    let fix = i["assessment"]["fix"].to_string();
    assert!(fix.contains("python3.10 -m venv"), "{fix}");
    assert!(
        fix.contains("openmetadata-ingestion[mysql,snowflake]==1.2.0.*"),
        "{fix}"
    );
}

#[test]
fn the_catalogue_makes_python_3_12_fail_for_1_1() {
    // 1.1 ingestion runs on Python 3.7–3.10; the catalogue once gave "3.7 or newer".
    let venv = Venv::new(&python_of("3.12"));
    venv.dist("openmetadata-ingestion", "1.1.5.0", INGESTION_METADATA);
    venv.dist("PyMySQL", "1.1.0", "");
    let (out, report) = clients_json("1.1.7", &venv.python(), &[]);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let python = &only_interpreter(&report)["assessment"]["verdicts"]["python"];
    assert_eq!(python["status"], "fail", "{python}");
    assert_eq!(python["required"], "3.7–3.10", "{python}");
}
