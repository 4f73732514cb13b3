//! Input an operator (or whoever wrote their files) gets wrong or makes hostile: YAML that
//! expands without end through every way in (--workflows, --config, --releases-dir, check,
//! report), files that are not files, and flags whose value cannot be right. Each is refused
//! with the file or flag named and what to do, never by running out of memory or hanging.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use om_upgrade::db::Engine;

/// A "billion laughs": 9^9 strings once its aliases are expanded. The parse must stop on line
/// 6, where the count first passes the 250,000-node limit: that is what proves it was refused
/// before being expanded (the 9^9 of line 9 would take gigabytes).
const BILLION_LAUGHS: &str = "\
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
";

const LIMIT_MESSAGE: &str =
    "more than 250,000 nodes once its aliases (*name) are expanded, the most a YAML file may hold";

/// A workflows folder: one Domo workflow the 1.2 review flags, and the billion laughs.
fn workflows_with_laughs() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a_laughs.yaml"), BILLION_LAUGHS).unwrap();
    std::fs::write(dir.path().join("b_domo.yaml"), DOMO_WORKFLOW).unwrap();
    let laughs = dir.path().join("a_laughs.yaml");
    (dir, laughs)
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn billion_laughs_in_a_workflows_folder_is_reported_and_the_scan_goes_on() {
    let (dir, laughs) = workflows_with_laughs();
    let out = run(
        &[
            "releases",
            "--from",
            "1.1.7",
            "--to",
            "1.2.0",
            "--workflows",
            text(dir.path()),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let scan = &report["scan"];
    let problems = scan["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{scan}");
    assert_eq!(problems[0]["file"], text(&laughs), "{scan}");
    assert_eq!(
        problems[0]["line"], 6,
        "refused on line 6, before expanding: {scan}"
    );
    assert!(
        problems[0]["error"]
            .as_str()
            .unwrap()
            .starts_with(LIMIT_MESSAGE),
        "{scan}"
    );
    // The file after it was still read, and its finding reported.
    assert_eq!(scan["workflow_files"], 1, "{scan}");
    assert!(
        stdout(&out).contains("b_domo.yaml"),
        "the Domo workflow is evidence: {report}"
    );
}

#[test]
fn billion_laughs_as_openmetadata_yaml_is_a_usage_error_naming_the_file_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("openmetadata.yaml");
    std::fs::write(&config, BILLION_LAUGHS).unwrap();
    for command in ["check", "releases"] {
        let out = run(&[command, "--config", text(&config)], &[]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{}: {LIMIT_MESSAGE}", config.display())),
            "{command}: {err}"
        );
        assert!(err.contains("(line 6, column"), "{command}: {err}");
        assert!(stdout(&out).is_empty(), "{command}: nothing ran");
    }
}

#[test]
fn billion_laughs_in_a_releases_dir_is_a_usage_error_naming_the_file_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    copy_of_the_built_in_catalogue(dir.path());
    std::fs::write(dir.path().join("1.3.yaml"), BILLION_LAUGHS).unwrap();
    for command in [
        &["releases", "--from", "1.1.7", "--to", "1.2.0"][..],
        &["check", "--target", "1.2.0"][..],
    ] {
        let out = run(
            &[command, &["--releases-dir", text(dir.path())]].concat(),
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{command:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("1.3.yaml line 6: {LIMIT_MESSAGE}")),
            "{command:?}: {err}"
        );
    }
}

#[tokio::test]
async fn check_and_report_refuse_a_billion_laughs_workflow_and_go_on() {
    let db = TestDb::new(Engine::Postgres).await;
    let (dir, laughs) = workflows_with_laughs();
    let flags = [
        "--db-url",
        &db.url,
        "--target",
        "1.2.0",
        "--workflows",
        text(dir.path()),
        "--format",
        "json",
    ];
    let out = run(&[&["check"][..], &flags].concat(), &[]);
    let report = check_json(&out);
    let workflows = check_by_id(&report, "release.workflows");
    let shown = workflows.to_string();
    assert!(
        shown.contains(&format!("{}:6", laughs.display())),
        "{shown}"
    );
    assert!(shown.contains(LIMIT_MESSAGE), "{shown}");
    assert!(
        shown.contains("1 workflow file read"),
        "the scan went on: {shown}"
    );

    let out = run(&[&["report"][..], &flags, &["--output", "-"]].concat(), &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.contains(&format!("{}:6", laughs.display())),
        "{report}"
    );
    assert!(report.contains(LIMIT_MESSAGE), "{report}");
}

#[test]
fn a_fifo_or_a_device_given_as_yaml_is_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("workflow.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // In a scanned folder: reported, and the scan goes on (nobody ever writes to the FIFO, so
    // opening it the usual way would wait forever).
    std::fs::write(dir.path().join("domo.yaml"), DOMO_WORKFLOW).unwrap();
    let out = run(
        &[
            "releases",
            "--from",
            "1.1.7",
            "--to",
            "1.2.0",
            "--workflows",
            text(dir.path()),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("workflow.yaml: a pipe (FIFO), not a regular file"),
        "{}",
        stdout(&out)
    );
    // Named directly: a usage error.
    for (flag, path, why) in [
        ("--config", text(&fifo), "is a pipe (FIFO), not a file"),
        ("--config", "/dev/zero", "is a device, not a file"),
        ("--workflows", "/dev/zero", "is a device, not a file"),
    ] {
        let out = run(&["releases", "--to", "1.2.0", flag, path], &[]);
        assert_eq!(out.status.code(), Some(2), "{flag} {path}");
        assert!(
            stderr(&out).contains(why),
            "{flag} {path}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn port_0_is_a_usage_error_like_any_port_outside_1_to_65535() {
    for (args, env) in [
        (&["check", "--port", "0"][..], &[][..]),
        (&["check", "--port", "99999"][..], &[][..]),
        (&["check"][..], &[("DB_PORT", "0")][..]),
        (
            &["check", "--db-url", "mysql://root@127.0.0.1:0/db"][..],
            &[][..],
        ),
    ] {
        let out = run(args, env);
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}");
        let err = stderr(&out);
        assert!(
            err.contains("is not a port number (1-65535)")
                || err.contains("a port number (1-65535)"),
            "{args:?} {env:?}: {err}"
        );
        assert!(stdout(&out).is_empty(), "{args:?}: nothing ran");
    }
}

#[test]
fn an_ssl_ca_that_is_not_a_pem_certificate_is_a_usage_error_saying_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("ca.pem");
    std::fs::write(&notes, "this is not a certificate\n").unwrap();
    let pg = server_url(Engine::Postgres);
    for (ca, why) in [
        (text(&notes), "holds no PEM certificate"),
        (text(dir.path()), "is a folder, not a file"),
    ] {
        let out = run(&["check", "--db-url", &pg, "--ssl-ca", ca], &[]);
        assert_eq!(out.status.code(), Some(2), "{ca}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains(why), "{ca}: {err}");
        assert!(
            err.contains("PEM file of the CA that signed the database server's certificate"),
            "{ca}: {err}"
        );
    }
}

#[test]
fn path_and_number_flags_that_cannot_be_right_exit_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.yaml");
    std::fs::write(&file, "a: 1\n").unwrap();
    let (folder, file) = (text(dir.path()), text(&file));
    let absent = "/nonexistent/om-upgrade-test";
    let cases: &[(&[&str], &str)] = &[
        (&["releases", "--workflows", absent], "--workflows <DIR>"),
        (&["check", "--workflows", absent], "--workflows <DIR>"),
        (&["check", "--releases-dir", file], "--releases-dir <DIR>"),
        (
            &["clients", "--releases-dir", absent],
            "--releases-dir <DIR>",
        ),
        (&["check", "--config", folder], "--config <FILE>"),
        (
            &["check", "--password-file", folder],
            "--password-file <FILE>",
        ),
        (&["check", "--ssl-ca", absent], "--ssl-ca <FILE>"),
        (&["check", "--python", absent], "--python <PATH>"),
        (&["check", "--search", file], "--search <DIR>"),
        (&["check", "--backup-dir", file], "--backup-dir <DIR>"),
        (
            &["check", "--connect-timeout", "1e-9"],
            "--connect-timeout <SECONDS>",
        ),
        (&["demo", "--scale", "0"], "--scale <SCALE>"),
    ];
    for (args, flag) in cases {
        let out = run(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("for '{flag}'")), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "{args:?}: nothing ran");
    }
}

/// The one YAML entry point: only src/yaml.rs may name the YAML libraries, so that every YAML
/// read is bounded by its limits and the library can be swapped in one place.
#[test]
fn nothing_outside_src_yaml_rs_uses_a_yaml_library() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    for dir in ["src", "tests", "benches", "examples"] {
        rust_files(&root.join(dir), &mut sources);
    }
    sources.push(root.join("build.rs"));
    assert!(sources.len() > 50, "the sources were found: {sources:?}");
    let this_file = root.join("tests/hostile_input.rs");
    let mut offenders = Vec::new();
    for path in sources
        .iter()
        .filter(|p| **p != root.join("src/yaml.rs") && **p != this_file)
    {
        let text = std::fs::read_to_string(path).unwrap();
        for library in [
            "serde_yaml",
            "yaml_rust2",
            "yaml-rust2",
            "serde_yml",
            "saphyr",
        ] {
            if text.contains(library) {
                offenders.push(format!("{} uses {library}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
    // And src/yaml.rs is where the parser is.
    let yaml = std::fs::read_to_string(root.join("src/yaml.rs")).unwrap();
    assert!(yaml.contains("yaml_rust2::parser"));
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Runs the binary with at most 2 GB of address space (a regression then fails instead of
/// taking the machine's memory) and fails the test if it takes more than 60 s (instead of
/// hanging it).
fn run_bounded(args: &[&str]) -> std::process::Output {
    run_bounded_with(args, &[])
}

fn run_bounded_with(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let data = std::env::temp_dir().join(format!("omu-test-data-{}", std::process::id()));
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_om-upgrade"));
    command
        .args(args)
        .env("OM_UPGRADE_DATA_DIR", &data)
        .env("OM_UPGRADE_STATE_DIR", &data)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = rustix::process::Rlimit {
                current: Some(2 << 30),
                maximum: Some(2 << 30),
            };
            rustix::process::setrlimit(rustix::process::Resource::As, limit)?;
            Ok(())
        });
    }
    let mut child = command.spawn().expect("the om-upgrade binary runs");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("om-upgrade {args:?} still runs after 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_manifest_that_is_a_fifo_or_a_device_is_refused_without_waiting_or_reading_forever() {
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("a.sql");
    std::fs::write(
        &backup,
        "-- om-upgrade backup: OpenMetadata metadata database\n\
         -- engine: postgres (PostgreSQL 15)\nCREATE TABLE t (a int);\n\
         -- om-upgrade backup complete: 1 tables, 0 rows\n",
    )
    .unwrap();
    let manifest = dir.path().join("a.sql.manifest.json");
    for (kind, why) in [
        ("fifo", "a pipe (FIFO), not a regular file"),
        ("zero", "a device, not a regular file"),
    ] {
        let _ = std::fs::remove_file(&manifest);
        match kind {
            "fifo" => assert!(
                std::process::Command::new("mkfifo")
                    .arg(&manifest)
                    .status()
                    .unwrap()
                    .success()
            ),
            _ => std::os::unix::fs::symlink("/dev/zero", &manifest).unwrap(),
        }
        let out = run_bounded(&["verify", text(&backup)]);
        assert_eq!(out.status.code(), Some(1), "{kind}: {}", stdout(&out));
        assert!(stdout(&out).contains(why), "{kind}: {}", stdout(&out));
        let target = format!("{}/omu_never_created", server_url(Engine::Postgres));
        let out = run_bounded(&["restore", text(&backup), "--db-url", &target]);
        assert_eq!(out.status.code(), Some(1), "{kind}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{kind}: {}", stderr(&out));
        let out = run_bounded(&["backups", text(dir.path())]);
        assert_eq!(out.status.code(), Some(0), "{kind}: {}", stderr(&out));
        assert!(stdout(&out).contains("a.sql"), "{kind}: {}", stdout(&out));
    }
}

#[test]
fn a_search_truststore_that_is_a_fifo_or_a_device_is_not_waited_on_or_read_forever() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("truststore.jks");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let target = format!("{}/omu_never_created", server_url(Engine::Postgres));
    for store in [text(&fifo), "/dev/zero"] {
        let out = run_bounded_with(
            &["check", "--db-url", &target, "--format", "json"],
            &[
                ("ELASTICSEARCH_HOST", "127.0.0.1"),
                ("ELASTICSEARCH_PORT", "1"),
                ("ELASTICSEARCH_TRUST_STORE_PATH", store),
            ],
        );
        // The database does not exist: the check fails, and it ends.
        assert_eq!(out.status.code(), Some(1), "{store}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("search."),
            "{store}: {}",
            stdout(&out)
        );
    }
}
