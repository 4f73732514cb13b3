//! `om-upgrade report` against the real servers: a demo database on each engine with a real,
//! verified backup gives a report whose checklist shows the seed's prerequisites (backup,
//! release review, clients) with their measured outcomes; secrets from the settings, the
//! environment and the scanned YAML files appear in no format; files are never replaced
//! silently; the exit code gates a pipeline.

mod common;

use std::path::Path;

use common::*;
use om_upgrade::db::Engine;
use om_upgrade::session::ScreenId;
use om_upgrade::session::{self, SavedConnection, Session};

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/report.schema.json"),
    )
    .expect("the schema is in assets/");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a JSON Schema")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\nstdout: {}\nstderr: {}",
            stdout(out),
            stderr(out)
        )
    })
}

fn item<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    step(report, "release_review")["release_review"]["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == id))
        .unwrap_or_else(|| panic!("no release item {id}"))
}

#[tokio::test]
async fn a_demo_database_with_a_verified_backup_shows_the_three_prerequisites() {
    let validator = schema();
    for engine in ENGINES {
        let (db, demo) = TestDb::demo(engine, 1).await;
        let backups = tempfile::tempdir().unwrap();
        let backups_dir = backups.path().to_str().unwrap();
        let backup = run(
            &[
                "backup",
                "--db-url",
                &db.url,
                "-o",
                backups_dir,
                "--test-restore",
            ],
            &[],
        );
        assert!(backup.status.success(), "{engine}: {}", stderr(&backup));
        let file = std::fs::read_dir(backups.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| !p.to_string_lossy().ends_with(".manifest.json"))
            .expect("the backup file");
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{}.manifest.json", file.display())).unwrap(),
        )
        .unwrap();

        // The wizard's session names the backup and acknowledges the queries item.
        let state = tempfile::tempdir().unwrap();
        let settings = db.settings();
        let saved = session::save(
            state.path(),
            &Session {
                screen: ScreenId::Summary,
                target: Some("1.2.0".into()),
                connection: SavedConnection {
                    engine,
                    host: settings.host.value.clone(),
                    port: settings.port.value,
                    user: settings.user.value.clone(),
                    database: settings.database.value.clone(),
                    schema: settings.schema.value.clone(),
                },
                acknowledged: ["1.2/query-service-required".to_string()].into(),
                last_backup: Some(file.clone()),
                copy_to: None,
                results: Default::default(),
            },
            chrono::Utc::now(),
        )
        .unwrap();
        let python = peer_python();
        let mut args = vec![
            "report",
            "--db-url",
            &db.url,
            "--session",
            saved.to_str().unwrap(),
            "--format",
            "json",
        ];
        if let Some(python) = &python {
            args.extend(["--python", python.to_str().unwrap()]);
        }
        let out = run(&args, &[]);
        let report = json(&out);
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{engine}: {errors:#?}");
        assert_eq!(report["schema_version"], 1);
        assert_eq!(
            report["openmetadata"]["installed"],
            demo.openmetadata_version
        );
        assert_eq!(
            report["openmetadata"]["target"], "1.2.0",
            "from the session"
        );
        assert_eq!(report["database"]["database"], db.name.as_str());
        let steps: Vec<&str> = report["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            vec![
                "database",
                "backup",
                "release_review",
                "clients",
                "installation"
            ]
        );
        // 5. The rest of the installation: the key is checked against the demo's stored
        // secrets; no search engine or server was named, so those say so.
        let installation = step(&report, "installation");
        assert_eq!(
            installation["checks"],
            serde_json::json!([
                "secrets.fernet",
                "search.version",
                "search.health",
                "server.version"
            ]),
            "{engine}: {installation}"
        );
        assert_eq!(check_by_id(&report, "search.version")["status"], "skip");

        // 2. Backup: the real file, its size, its sha256 and the test restore.
        let backup = step(&report, "backup");
        assert_eq!(backup["status"], "pass", "{engine}: {backup}");
        assert_eq!(backup["done"], true);
        let facts = &backup["backup"];
        assert_eq!(
            facts["path"],
            std::fs::canonicalize(&file).unwrap().to_str().unwrap()
        );
        assert_eq!(facts["bytes"], std::fs::metadata(&file).unwrap().len());
        assert_eq!(facts["sha256"], manifest["file"]["sha256"]);
        assert_eq!(facts["verified"], "passed");
        assert_eq!(facts["restored"], true);

        // 3. Release review: what the demo was built with, measured; the acknowledgement kept.
        let queries = item(&report, "query-service-required");
        assert_eq!(queries["acknowledged"], true);
        if engine == Engine::Mysql {
            assert_eq!(queries["verdict"], "affects", "{queries}");
            assert_eq!(queries["found_in"], serde_json::json!(["database"]));
            let deleted = demo.expected.queries_deleted_by_1_2.to_string();
            assert!(
                queries["summary"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{deleted} queries")),
                "{queries}"
            );
        } else {
            // The PostgreSQL 1.2.0 migration deletes no query (see 1.2.yaml).
            assert_eq!(queries["verdict"], "not_affected", "{queries}");
        }
        let domo = item(&report, "domo-sandbox-domain-renamed");
        assert_eq!(domo["verdict"], "affects", "{domo}");
        assert_eq!(domo["acknowledged"], false);
        let review = step(&report, "release_review");
        assert_eq!(review["status"], "warn", "the Domo item is still open");
        if engine == Engine::Mysql {
            // A passing check (PostgreSQL) has nothing to acknowledge.
            let acknowledged_check = check_by_id(&report, "release.query_service_required");
            assert_eq!(acknowledged_check["acknowledged"], true);
        }
        let open: Vec<&str> = report["open_actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["check"].as_str().unwrap())
            .collect();
        assert!(
            open.contains(&"release.domo_sandbox_domain_renamed"),
            "{open:?}"
        );
        assert!(
            !open.contains(&"release.query_service_required"),
            "{open:?}"
        );

        // 4. Clients: the official CLI's venv holds openmetadata-ingestion 1.1.7.5, which the
        // report must fail with the pip command; without it nothing is found here.
        let clients = step(&report, "clients");
        match &python {
            Some(python) => {
                assert_eq!(clients["status"], "fail", "{engine}: {clients}");
                let commands = clients["commands"].as_array().expect("commands");
                assert!(
                    commands.iter().any(|c| {
                        let c = c.as_str().unwrap();
                        c.starts_with(python.to_str().unwrap())
                            && c.contains("openmetadata-ingestion")
                            && c.contains("==1.2.0.*")
                    }),
                    "{commands:?}"
                );
            }
            None => {
                assert_eq!(clients["status"], "skip", "{engine}: {clients}");
                assert!(clients.get("commands").is_none());
            }
        }

        // The exit code follows the checks, as `check`'s does.
        let failed = report["overall"]["checks"]["fail"].as_u64().unwrap();
        assert_eq!(out.status.code(), Some(i32::from(failed > 0)), "{engine}");
        assert_eq!(report["overall"]["exit_code"], i32::from(failed > 0));

        // The same run as Markdown and HTML lists the same prerequisites.
        let markdown = run(
            &[
                "report",
                "--db-url",
                &db.url,
                "--session",
                saved.to_str().unwrap(),
                "--format",
                "markdown",
            ],
            &[],
        );
        let text = stdout(&markdown);
        assert!(text.contains("- [x] **2. Backup** (✔ pass)"), "{text}");
        assert!(
            text.contains("- [ ] **3. Release review** (! warn)"),
            "{text}"
        );
        assert!(text.contains("**4. Client alignment**"), "{text}");
        if engine == Engine::Mysql {
            let acknowledged_line = text
                .lines()
                .find(|l| l.contains("(`1.2/query-service-required`)"))
                .expect("the queries item is detailed");
            assert!(
                acknowledged_line.starts_with("- [x] "),
                "{acknowledged_line}"
            );
        }
        let html = run(
            &[
                "report",
                "--db-url",
                &db.url,
                "--session",
                saved.to_str().unwrap(),
                "--format",
                "html",
            ],
            &[],
        );
        let page = stdout(&html);
        assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(page.contains("<strong>2. Backup</strong>"), "{page}");
        assert!(page.contains(manifest["file"]["sha256"].as_str().unwrap()));

        // --strict: the warnings that are still open fail the pipeline.
        let strict = run(
            &[
                "report",
                "--db-url",
                &db.url,
                "--session",
                saved.to_str().unwrap(),
                "--strict",
                "--output",
                "-",
            ],
            &[],
        );
        assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
    }
}

const SECRETS: [&str; 8] = [
    "Pg-Passw0rd!report",
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJlLXNpZw",
    "fernet:gAAAAABreportsecret",
    "jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA=",
    "snowflake-pw-31337",
    "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY",
    "airflow-admin-pw",
    "env-only-secret-token",
];

/// A release catalogue whose one extra item matches configured values exactly, so that the
/// scanners quote them in the checks' details and the review's evidence, as a rule on a
/// secret-bearing key would.
fn catalogue_quoting_secrets(dir: &Path) -> std::path::PathBuf {
    let releases = dir.join("releases");
    std::fs::create_dir(&releases).unwrap();
    copy_of_the_built_in_catalogue(&releases);
    let extra = format!(
        "\n  - id: test-quotes-configured-values\n    kind: config\n    components: [server]\n    \
         title: A rule that quotes configured values (test only)\n    change: Test.\n    \
         action: Nothing to do.\n    source: https://example.invalid/test\n    config_rules:\n      \
         - file: server\n        key: database.password\n        when: equals\n        value: \"{}\"\n      \
         - file: workflow\n        key: workflowConfig.openMetadataServerConfig.securityConfig.jwtToken\n        \
         when: equals\n        value: \"{}\"\n      \
         - file: workflow\n        key: source.serviceConnection.config.password\n        when: equals\n        \
         value: \"{}\"\n",
        SECRETS[0], SECRETS[1], SECRETS[4]
    );
    let file = releases.join("1.2.yaml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&extra);
    std::fs::write(&file, text).unwrap();
    releases
}

/// The server's openmetadata.yaml, the workflow YAMLs and the environment are full of secrets
/// (PostgreSQL trusts the test user, so the config's password is sent and accepted), and the
/// scanners quote some of them: none appears in any format, on stdout or stderr.
#[tokio::test]
async fn no_secret_from_settings_or_scanned_files_appears_in_any_format() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let releases = catalogue_quoting_secrets(dir.path());
    let config = dir.path().join("openmetadata.yaml");
    std::fs::write(
        &config,
        format!(
            "database:\n  host: 127.0.0.1\n  port: 5432\n  driverClass: org.postgresql.Driver\n  \
             user: postgres\n  password: ${{DB_USER_PASSWORD:-{pw}}}\n  \
             url: jdbc:postgresql://127.0.0.1:5432/{name}\n\
             fernetConfiguration:\n  fernetKey: ${{FERNET_KEY:-{fernet}}}\n\
             pipelineServiceClientConfiguration:\n  enabled: true\n  \
             metadataApiEndpoint: http://localhost:8585/api\n  \
             authConfig:\n    password: {airflow}\n\
             secretsManagerConfiguration:\n  secretsManager: noop\n",
            pw = SECRETS[0],
            name = db.name,
            fernet = SECRETS[3],
            airflow = SECRETS[6],
        ),
    )
    .unwrap();
    let workflows = dir.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    std::fs::write(
        workflows.join("snowflake.yaml"),
        format!(
            "source:\n  type: snowflake\n  serviceName: sf\n  serviceConnection:\n    config:\n      \
             type: Snowflake\n      username: etl\n      password: {sf}\n      \
             connectionArguments:\n        awsSecretAccessKey: {aws}\n        note: \"{fernet}\"\n\
             workflowConfig:\n  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n    \
             authProvider: openmetadata\n    securityConfig:\n      jwtToken: {jwt}\n",
            sf = SECRETS[4],
            aws = SECRETS[5],
            fernet = SECRETS[2],
            jwt = SECRETS[1],
        ),
    )
    .unwrap();
    let env = [("OMU_TEST_API_TOKEN", SECRETS[7])];
    let args = |format: &'static str| {
        vec![
            "report".to_string(),
            "--config".into(),
            config.to_str().unwrap().into(),
            "--workflows".into(),
            workflows.to_str().unwrap().into(),
            "--releases-dir".into(),
            releases.to_str().unwrap().into(),
            "--target".into(),
            "1.2.0".into(),
            "--no-session".into(),
            "--format".into(),
            format.into(),
            "--output".into(),
            "-".into(),
        ]
    };
    for format in ["markdown", "json", "html"] {
        let args = args(format);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args, &env);
        let text = stdout(&out);
        // It connected with the config's settings (password included) and measured.
        assert!(text.contains("1.1.5"), "{format}: {text}\n{}", stderr(&out));
        // The scanners did quote the configured values: in their place stands the mask.
        assert!(
            text.replace('\\', "")
                .contains("database.password is [redacted]"),
            "{format}: {text}"
        );
        for secret in SECRETS {
            assert!(!text.contains(secret), "{format} shows {secret}:\n{text}");
            assert!(!stderr(&out).contains(secret), "stderr shows {secret}");
        }
        if format == "json" {
            let report = json(&out);
            let item = item(&report, "test-quotes-configured-values");
            assert_eq!(item["verdict"], "affects", "{item}");
            assert_eq!(
                item["found_in"],
                serde_json::json!(["openmetadata_yaml", "workflows"]),
                "{item}"
            );
        }
    }
}

/// `-u postgres -p postgres`, as on many development setups: the password is also the
/// engine's name, the user and a word of check ids and source links. The report keeps them
/// all (and so its schema), in every format, while the free text still hides the password.
#[tokio::test]
async fn a_password_that_is_the_engine_name_leaves_the_structure_alone() {
    let validator = schema();
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let check = "release.mysql_postgres_auth_type";
    let source = "/bootstrap/sql/migrations/native/1.2.0/postgres/schemaChanges.sql";
    let report = |format: &str| {
        let out = run(
            &[
                "report",
                "--db-url",
                &db.url,
                "-p",
                "postgres",
                "--target",
                "1.2.0",
                "--no-session",
                "--format",
                format,
                "--output",
                "-",
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        out
    };
    let out = report("json");
    let json = json(&out);
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(json["database"]["engine"], "postgres");
    assert_eq!(json["database"]["user"], "postgres");
    check_by_id(&json, check);
    let sources: Vec<&str> = step(&json, "release_review")["release_review"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["source"].as_str())
        .collect();
    assert!(sources.iter().any(|s| s.ends_with(source)), "{sources:?}");
    for format in ["markdown", "html"] {
        let text = stdout(&report(format));
        assert!(text.contains(check), "{format}: {text}");
        assert!(text.contains(source), "{format}: {text}");
        assert!(
            !text.contains("[redacted]/schemaChanges"),
            "{format}: {text}"
        );
    }
}

#[tokio::test]
async fn an_existing_file_is_never_replaced_without_force() {
    let db = TestDb::new(Engine::Mysql).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checklist.md");
    std::fs::write(&path, "keep me").unwrap();
    let target = path.to_str().unwrap();
    let base = [
        "report",
        "--db-url",
        &db.url,
        "--target",
        "1.2.0",
        "--no-session",
        "--output",
        target,
    ];
    let out = run(&base, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");

    let mut forced = base.to_vec();
    forced.push("--force");
    let out = run(&forced, &[]);
    // An empty database: db.openmetadata fails, so the report says blocked and exits 1.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Pre-upgrade checklist"), "{text}");
    assert!(stderr(&out).contains(&format!("Report written to {target}")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");

    // A folder that does not exist is said before anything runs.
    let out = run(
        &[
            "report",
            "--target",
            "1.2.0",
            "--output",
            "/nonexistent-folder/report.md",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the folder /nonexistent-folder does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_target_is_needed_and_must_be_known() {
    let out = run(&["report", "--no-session", "--output", "-"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("give --target X.Y.Z"),
        "{}",
        stderr(&out)
    );
    let out = run(&["report", "--target", "9.9.9", "--output", "-"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("9.9.9 is newer than the release catalogue"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_session_for_another_database_is_not_used() {
    let db = TestDb::new(Engine::Postgres).await;
    let state = tempfile::tempdir().unwrap();
    let saved = session::save(
        state.path(),
        &Session {
            screen: ScreenId::Summary,
            target: Some("1.2.0".into()),
            connection: SavedConnection {
                engine: Engine::Mysql,
                host: "db.elsewhere".into(),
                port: 3306,
                user: "om".into(),
                database: "openmetadata_db".into(),
                schema: "public".into(),
            },
            acknowledged: ["1.2/query-service-required".to_string()].into(),
            last_backup: None,
            copy_to: None,
            results: Default::default(),
        },
        chrono::Utc::now(),
    )
    .unwrap();
    let out = run(
        &[
            "report",
            "--db-url",
            &db.url,
            "--session",
            saved.to_str().unwrap(),
            "--output",
            "-",
        ],
        &[],
    );
    assert!(
        stderr(&out).contains("is for mysql://db.elsewhere:3306/openmetadata_db"),
        "{}",
        stderr(&out)
    );
    // Its target is not taken either.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("give --target"), "{}", stderr(&out));
}
