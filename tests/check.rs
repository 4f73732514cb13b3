//! `om-upgrade check` and `demo` against the real servers: what an operator sees for a good
//! database and for each way a connection goes wrong.

mod common;

use std::time::{Duration, Instant};

use common::*;
use om_upgrade::db::Engine;

#[tokio::test]
async fn demo_database_passes_connect_and_is_recognised_as_openmetadata_1_1_5() {
    for engine in ENGINES {
        let db = TestDb::new(engine).await;
        let demo = run(&["demo", "--db-url", &db.url], &[]);
        assert!(demo.status.success(), "{engine}: {}", stderr(&demo));
        assert!(stdout(&demo).contains("1.1.5"), "{}", stdout(&demo));

        let started = Instant::now();
        let out = run(
            &[
                "check", "--db-url", &db.url, "--format", "json", "--target", "1.2.0",
            ],
            &[],
        );
        let took = started.elapsed();
        let report = check_json(&out);
        assert_eq!(
            check_by_id(&report, "db.connect")["status"],
            "pass",
            "{engine}: {report}"
        );
        let om = check_by_id(&report, "db.openmetadata");
        assert_eq!(om["status"], "pass", "{engine}: {om}");
        assert!(om["summary"].as_str().unwrap().contains("1.1.5"), "{om}");
        assert_eq!(check_by_id(&report, "db.privileges")["status"], "pass");
        assert_eq!(check_by_id(&report, "db.size")["status"], "pass");
        assert_eq!(check_by_id(&report, "backup.disk_space")["status"], "pass");
        assert_eq!(report["tool_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(report["target"], "1.2.0");
        // Exit code follows the checks: without a backup yet, backup.recent is the one failure
        // (MariaDB and the default sort memory only warn).
        let failing: Vec<&str> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(failing, vec!["backup.recent"], "{engine}: {report}");
        // Its advice, pasted, backs up this database, not the default one.
        let take_one = check_by_id(&report, "backup.recent")["remediation"]
            .as_str()
            .unwrap()
            .to_string();
        for flag in [format!("--engine {engine}"), format!("-d {}", db.name)] {
            assert!(take_one.contains(&flag), "{engine}: {take_one}");
        }
        assert_eq!(out.status.code(), Some(1), "{engine}: {report}");
        eprintln!("check on {engine} took {took:?}");
    }
}

#[tokio::test]
async fn strict_turns_warnings_into_exit_1() {
    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    // A verified backup, so that nothing fails and only warnings are left.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().to_str().unwrap();
    let backup = run(
        &["backup", "--db-url", &db.url, "-o", dir, "--test-restore"],
        &[],
    );
    assert!(backup.status.success(), "{}", stderr(&backup));
    let out = run(&["check", "--db-url", &db.url, "--backup-dir", dir], &[]);
    // MariaDB is not a documented OpenMetadata backend: a warning, so --strict fails.
    assert!(stdout(&out).contains("WARN"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("FAIL"), "{}", stdout(&out));
    assert_eq!(out.status.code(), Some(0));
    let strict = run(
        &[
            "check",
            "--db-url",
            &db.url,
            "--backup-dir",
            dir,
            "--strict",
        ],
        &[],
    );
    assert_eq!(strict.status.code(), Some(1));
}

#[tokio::test]
async fn text_output_has_one_line_per_check_with_a_glyph() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let out = run(&["check", "--db-url", &db.url], &[]);
    let text = stdout(&out);
    for id in [
        "db.connect",
        "db.server_version",
        "db.openmetadata",
        "db.privileges",
        "db.size",
        "db.sort_memory",
        "backup.disk_space",
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("{id} missing:\n{text}"));
        assert!(
            ["✔ PASS", "! WARN", "✘ FAIL", "- SKIP"]
                .iter()
                .any(|g| line.starts_with(g)),
            "{line}"
        );
    }
    assert!(
        !text.contains('\u{1b}'),
        "NO_COLOR output has escape codes:\n{text}"
    );
}

#[tokio::test]
async fn a_database_that_is_not_openmetadata_fails_clearly() {
    for engine in ENGINES {
        let db = TestDb::new(engine).await;
        let out = run(&["check", "--db-url", &db.url, "--format", "json"], &[]);
        let report = check_json(&out);
        assert_eq!(check_by_id(&report, "db.connect")["status"], "pass");
        let om = check_by_id(&report, "db.openmetadata");
        assert_eq!(om["status"], "fail", "{om}");
        assert!(
            om["summary"]
                .as_str()
                .unwrap()
                .contains("not an OpenMetadata database"),
            "{om}"
        );
        assert!(
            om["remediation"].as_str().unwrap().contains("--database"),
            "{om}"
        );
        assert_eq!(out.status.code(), Some(1));

        // Some unrelated tables: still not OpenMetadata, and the message says what is missing.
        let conn = db.connect().await;
        conn.execute_script("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
            .await
            .unwrap();
        conn.close().await;
        let report = check_json(&run(
            &["check", "--db-url", &db.url, "--format", "json"],
            &[],
        ));
        let om = check_by_id(&report, "db.openmetadata");
        assert_eq!(om["status"], "fail");
        assert!(
            om["summary"]
                .as_str()
                .unwrap()
                .contains("it has 1 table but not entity_relationship"),
            "{om}"
        );
    }
}

/// Runs `check` with the given connection arguments and returns (db.connect outcome, exit code, elapsed).
fn connect_failure(args: &[&str]) -> (serde_json::Value, Option<i32>, Duration, String) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let started = Instant::now();
    let out = run(&all, &[]);
    let elapsed = started.elapsed();
    let report = check_json(&out);
    let connect = check_by_id(&report, "db.connect").clone();
    assert_eq!(connect["status"], "fail", "{args:?}: {connect}");
    // Everything after the connection is skipped with the reason, not failed again.
    let om = check_by_id(&report, "db.openmetadata");
    assert_eq!(om["status"], "skip", "{om}");
    assert_eq!(om["summary"], "skipped: db.connect failed");
    (
        connect,
        out.status.code(),
        elapsed,
        format!("{}{}", stdout(&out), stderr(&out)),
    )
}

#[tokio::test]
async fn unknown_host_is_a_dns_failure() {
    let (connect, code, _, _) =
        connect_failure(&["--engine", "postgres", "-H", "no-such-host.invalid"]);
    assert!(
        connect["summary"]
            .as_str()
            .unwrap()
            .contains("cannot resolve host name 'no-such-host.invalid'"),
        "{connect}"
    );
    assert!(
        connect["remediation"].as_str().unwrap().contains("DNS"),
        "{connect}"
    );
    assert_eq!(code, Some(1));
}

#[tokio::test]
async fn closed_port_is_connection_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let port = port.to_string();
    let (connect, code, elapsed, _) = connect_failure(&["-H", "127.0.0.1", "--port", &port]);
    assert!(
        connect["summary"]
            .as_str()
            .unwrap()
            .starts_with("connection refused by 127.0.0.1:"),
        "{connect}"
    );
    assert!(
        elapsed < Duration::from_secs(4),
        "refused should not wait for the timeout: {elapsed:?}"
    );
    assert_eq!(code, Some(1));
}

#[tokio::test]
async fn blackholed_address_fails_within_the_connect_timeout() {
    // A listener whose accept queue is full: the kernel drops further SYNs, like a firewall.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(stream)) = tokio::time::timeout(
            Duration::from_millis(300),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(stream);
        }
    }
    let port = addr.port().to_string();
    let (connect, code, elapsed, _) = connect_failure(&[
        "--engine",
        "postgres",
        "-H",
        "127.0.0.1",
        "--port",
        &port,
        "--connect-timeout",
        "2",
    ]);
    let summary = connect["summary"].as_str().unwrap();
    assert!(
        summary.contains("no answer from 127.0.0.1")
            || summary.contains("did not complete a postgres login within 2s"),
        "{connect}"
    );
    assert!(
        elapsed < Duration::from_secs(8),
        "must give up near the 2 s timeout: {elapsed:?}"
    );
    assert_eq!(code, Some(1));
    drop(listener);
}

#[tokio::test]
async fn wrong_password_is_an_authentication_failure_and_never_echoed() {
    let db = TestDb::new(Engine::Mysql).await;
    let user = MysqlUser::create(&db, "u", "right-Pa55", "SELECT").await;
    let user = &user.name;
    let secret = "wrong-Secret-42";
    for format in ["text", "json"] {
        let out = run(
            &[
                "check",
                "-H",
                "127.0.0.1",
                "-u",
                user,
                "-d",
                &db.name,
                "--format",
                format,
            ],
            &[("DB_USER_PASSWORD", secret), ("RUST_LOG", "trace")],
        );
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            all.contains(&format!("authentication failed for user '{user}'")),
            "{all}"
        );
        assert!(!all.contains(secret), "the password leaked:\n{all}");
        assert_eq!(out.status.code(), Some(1));
    }
    // The right password on the command line works, warns, and is not echoed either.
    let out = run(
        &[
            "check",
            "-H",
            "127.0.0.1",
            "-u",
            user,
            "-d",
            &db.name,
            "-p",
            "right-Pa55",
            "--format",
            "json",
        ],
        &[("RUST_LOG", "debug")],
    );
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains("visible to other users in `ps`"),
        "{all}"
    );
    assert!(!all.contains("right-Pa55"), "the password leaked:\n{all}");
    let report = check_json(&out);
    assert_eq!(check_by_id(&report, "db.connect")["status"], "pass");
    assert_eq!(report["settings"]["password"]["value"], "***");
}

#[tokio::test]
async fn unknown_postgres_role_is_an_authentication_failure() {
    let (connect, code, _, _) = connect_failure(&[
        "--engine",
        "postgres",
        "-H",
        "127.0.0.1",
        "-u",
        "no_such_role_omu",
        "-d",
        "test",
    ]);
    assert!(
        connect["summary"]
            .as_str()
            .unwrap()
            .contains("authentication failed for user 'no_such_role_omu'"),
        "{connect}"
    );
    assert_eq!(code, Some(1));
}

#[tokio::test]
async fn missing_database_is_named() {
    for (engine, user) in [(Engine::Postgres, "postgres"), (Engine::Mysql, "root")] {
        let engine = engine.to_string();
        let (connect, code, _, _) = connect_failure(&[
            "--engine",
            &engine,
            "-H",
            "127.0.0.1",
            "-u",
            user,
            "-d",
            "omu_no_such_db",
        ]);
        assert!(
            connect["summary"]
                .as_str()
                .unwrap()
                .contains("database 'omu_no_such_db' does not exist"),
            "{connect}"
        );
        assert_eq!(code, Some(1));
    }
}

#[tokio::test]
async fn missing_postgres_schema_is_named() {
    let (connect, _, _, _) = connect_failure(&[
        "--engine",
        "postgres",
        "-H",
        "127.0.0.1",
        "-u",
        "postgres",
        "-d",
        "test",
        "-s",
        "nope",
    ]);
    assert!(
        connect["summary"]
            .as_str()
            .unwrap()
            .contains("schema 'nope' does not exist"),
        "{connect}"
    );
}

#[test]
fn malformed_db_url_is_a_usage_error() {
    let out = run(&["check", "--db-url", "mysql//root@localhost"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad database url in --db-url"),
        "{}",
        stderr(&out)
    );
    let out = run(&["check", "--db-url", "oracle://h/db"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown database scheme 'oracle'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_or_malformed_openmetadata_yaml_is_a_usage_error() {
    let out = run(
        &["check", "--config", "/nonexistent/openmetadata.yaml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/openmetadata.yaml does not exist"),
        "{}",
        stderr(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openmetadata.yaml");
    std::fs::write(
        &path,
        "database:\n  url: [jdbc:mysql://x\n  password: hunter2\n",
    )
    .unwrap();
    let out = run(&["check", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(": not valid YAML: ") && err.contains("(line 3, column"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[tokio::test]
async fn settings_come_from_openmetadata_yaml_and_env() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openmetadata.yaml");
    std::fs::write(
        &path,
        "database:\n  driverClass: ${DB_DRIVER_CLASS:-org.postgresql.Driver}\n  user: ${DB_USER:-postgres}\n  password: ${DB_USER_PASSWORD:-}\n  url: jdbc:postgresql://${DB_HOST:-localhost}:${DB_PORT:-5432}/${OM_DATABASE:-openmetadata_db}?${DB_PARAMS:-sslmode=disable}\n",
    )
    .unwrap();
    let out = run(
        &[
            "check",
            "--config",
            path.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[("DB_HOST", "127.0.0.1"), ("OM_DATABASE", &db.name)],
    );
    let report = check_json(&out);
    assert_eq!(
        check_by_id(&report, "db.openmetadata")["status"],
        "pass",
        "{report}"
    );
    assert_eq!(report["settings"]["host"]["source"], "env DB_HOST");
    assert_eq!(report["settings"]["user"]["source"], path.to_str().unwrap());
    assert_eq!(report["settings"]["tls"]["value"]["mode"], "disable");
}

#[tokio::test]
async fn demo_refuses_a_database_that_has_tables() {
    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    let out = run(&["demo", "--db-url", &db.url], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("demo only writes into an empty database"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn without_a_subcommand_and_without_a_terminal_it_explains_and_exits_2() {
    let out = run(&[], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("needs a terminal") && err.contains("om-upgrade check"),
        "{err}"
    );
}

#[test]
fn help_teaches_settings_and_exit_codes() {
    let out = run(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for needle in [
        "DB_USER_PASSWORD",
        "openmetadata.yaml",
        "Exit codes",
        "om-upgrade demo",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    let out = run(&["check", "--help"], &[]);
    let help = stdout(&out);
    for needle in [
        "--db-url",
        "--password-file",
        "[env: DB_HOST]",
        "--strict",
        "db.privileges",
    ] {
        assert!(
            help.contains(needle),
            "check --help lacks {needle}:\n{help}"
        );
    }
}

/// Whether `text` shows the version 0.0.0 (not as the tail of a client version like 1.0.0.0).
fn shows_0_0_0(text: &str) -> bool {
    text.match_indices("0.0.0")
        .any(|(at, _)| !text[..at].ends_with(|c: char| c.is_ascii_digit() || c == '.'))
}

/// 0.0.0 stands for "before every release" inside the plan only: with the database out of
/// reach the scan says the installed version is unknown and which releases it assumed, and a
/// database that records no version (Flyway only) reads as 1.0.x or older.
#[tokio::test]
async fn an_unknown_or_unrecorded_installed_version_is_said_so_never_shown_as_0_0_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("domo.yaml"), DOMO_WORKFLOW).unwrap();
    let workflows = dir.path().to_str().unwrap();
    let check = |url: &str| {
        run(
            &[
                "check",
                "--db-url",
                url,
                "--target",
                "1.2.0",
                "--workflows",
                workflows,
                "--format",
                "json",
            ],
            &[],
        )
    };

    let out = check("mysql://root@127.0.0.1:1/omu_unreachable");
    let report = check_json(&out);
    let scan = check_by_id(&report, "release.workflows");
    assert_eq!(
        scan["summary"],
        "1 place in workflow YAMLs to change for an upgrade to 1.2.0 from an unknown version",
        "{scan}"
    );
    assert!(
        scan["details"].as_array().unwrap().iter().any(|d| d["text"]
            .as_str()
            .unwrap()
            .contains("the items of every release from 1.0.0 to 1.2.0 were checked")),
        "{scan}"
    );
    assert!(!shows_0_0_0(&stdout(&out)), "{}", stdout(&out));

    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    let conn = db.connect().await;
    conn.execute_script("DROP TABLE SERVER_CHANGE_LOG")
        .await
        .unwrap();
    conn.close().await;
    let out = check(&db.url);
    let report = check_json(&out);
    let path = check_by_id(&report, "release.path");
    assert!(
        path["summary"]
            .as_str()
            .unwrap()
            .starts_with("1.0.x or older → 1.2.0: "),
        "{path}"
    );
    let scan = check_by_id(&report, "release.workflows");
    assert!(
        scan["summary"]
            .as_str()
            .unwrap()
            .ends_with("to change for 1.0.x or older → 1.2.0"),
        "{scan}"
    );
    assert!(!shows_0_0_0(&stdout(&out)), "{}", stdout(&out));

    let out = run(
        &[
            "report", "--db-url", &db.url, "--target", "1.2.0", "--format", "json",
        ],
        &[],
    );
    let text = stdout(&out);
    let report = check_json(&out);
    let review = step(&report, "release_review");
    assert_eq!(
        review["release_review"]["from"], "1.0.x or older",
        "{review}"
    );
    assert!(!shows_0_0_0(&text), "{text}");
}

/// A server that takes the connection and never answers: `db.connect` fails once the connect
/// timeout is over and reports the time the attempt took, not 0.
#[test]
fn a_failed_connection_reports_how_long_it_tried() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
    let port = silent.local_addr().expect("its address").port().to_string();
    let out = run(
        &[
            "check",
            "--engine",
            "postgres",
            "-H",
            "127.0.0.1",
            "--port",
            &port,
            "-u",
            "om",
            "-d",
            "x",
            "--connect-timeout",
            "1",
            "--format",
            "json",
        ],
        &[],
    );
    drop(silent);
    let report = check_json(&out);
    let connect = check_by_id(&report, "db.connect");
    assert_eq!(connect["status"], "fail", "{connect}");
    let millis = connect["duration_ms"].as_u64().expect("a duration");
    assert!(millis >= 1000, "the attempt took the timeout: {connect}");
}
