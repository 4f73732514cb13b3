//! `om-upgrade releases` and the release checks against the real servers: the catalogue, the
//! version errors, the probes' numbers on a demo database (and after fixing it), the read-only
//! transaction, and the workflow / openmetadata.yaml scanners.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use om_upgrade::db::{Db, Engine};
use om_upgrade::demo::Expected;
use om_upgrade::knowledge::probes::{ProbeError, ProbeSession};
use serde_json::Value;

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\nstdout: {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

fn items(report: &Value) -> Vec<&Value> {
    report["releases"]
        .as_array()
        .unwrap_or_else(|| panic!("no releases in {report}"))
        .iter()
        .flat_map(|g| g["items"].as_array().unwrap().iter())
        .collect()
}

fn item<'a>(report: &'a Value, id: &str) -> &'a Value {
    items(report)
        .into_iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {report}"))
}

/// Probe id → count measured (None: the probe could not run).
fn probe_counts(report: &Value) -> BTreeMap<String, Option<i64>> {
    let mut counts = BTreeMap::new();
    for item in items(report) {
        for evidence in item["impact"]["evidence"].as_array().unwrap() {
            if let Some(probe) = evidence["probe"].as_str() {
                counts.insert(probe.to_string(), evidence["count"].as_i64());
            }
        }
    }
    counts
}

#[test]
fn from_1_1_7_to_1_2_0_lists_the_three_seed_items_without_a_database() {
    let out = run(
        &[
            "releases", "--from", "1.1.7", "--to", "1.2.0", "--format", "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["from"], "1.1.7");
    assert_eq!(report["to"], "1.2.0");
    assert_eq!(report["database"]["status"], "not used");
    let query = item(&report, "query-service-required");
    assert_eq!(query["kind"], "breaking");
    assert!(query["source"].as_str().unwrap().starts_with("https://"));
    assert!(query["migration"].as_str().unwrap().contains("deleted"));
    let domo = item(&report, "domo-sandbox-domain-renamed");
    assert_eq!(domo["kind"], "connection");
    assert_eq!(
        domo["components"],
        serde_json::json!([
            "connector:DomoDatabase",
            "connector:DomoDashboard",
            "connector:DomoPipeline"
        ])
    );
    let python = item(&report, "python-3-8-to-3-10");
    assert_eq!(python["requires"]["python"]["min"], "3.8");
    assert_eq!(python["requires"]["python"]["max"], "3.10");
    // Without the database, what needs it is unknown, and says why.
    assert_eq!(query["impact"]["verdict"], "unknown");
    assert!(
        query["impact"]["summary"]
            .as_str()
            .unwrap()
            .contains("no database setting given"),
        "{query}"
    );
    // Every item has its source, and only 1.2 items are listed.
    for i in items(&report) {
        assert!(i["source"].as_str().unwrap().starts_with("https://"), "{i}");
        assert_eq!(i["release"], "1.2", "{i}");
    }
}

#[test]
fn downgrades_unknown_targets_and_garbage_versions_exit_2_with_a_reason() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["--from", "1.2.0", "--to", "1.1.0"],
            "the target 1.1.0 is older than the installed 1.2.0: OpenMetadata cannot be downgraded",
        ),
        (
            &["--from", "1.2.0", "--to", "9.9.9"],
            "OpenMetadata 9.9.9 is newer than the release catalogue, which covers releases up to \
             2.0.7, checked 2026-12-07",
        ),
        (
            &["--from", "1.1.7", "--to", "1.2.9"],
            "OpenMetadata 1.2.9 is not a published 1.2 release; the nearest known are 1.2.5 and 1.3.0",
        ),
        (
            &["--from", "1.1.99", "--to", "1.2.0"],
            "OpenMetadata 1.1.99 is not a published 1.1 release; the nearest known are 1.1.7 and 1.2.0",
        ),
        (
            &["--from", "0.13.2", "--to", "1.2.0"],
            "OpenMetadata 0.13.2 is older than the release catalogue, which starts at 1.0.0",
        ),
        (
            &["--from", "1.1.7", "--to", "banana"],
            "'banana' is not a version",
        ),
        (
            &["--from", "one", "--to", "1.2.0"],
            "'one' is not a version",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["releases"];
        all.extend_from_slice(args);
        let out = run(&all, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
    // check validates --target against the catalogue before connecting anywhere.
    let out = run(&["check", "--target", "9.9.9"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("9.9.9 is newer than the release catalogue"));
    // So does report, and --version names the same reach.
    let out = run(&["report", "--target", "9.9.9", "--output", "-"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("covers releases up to 2.0.7, checked 2026-12-07"),
        "{}",
        stderr(&out)
    );
    let out = run(&["--version"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("release catalogue: OpenMetadata releases up to 2.0.7, checked 2026-12-07"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn without_from_and_without_a_reachable_database_it_says_what_to_give() {
    // Nothing listens on this port; no database setting comes from the environment.
    let out = run(&["releases", "--to", "1.2.0", "--port", "1"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot read the installed version"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--from"), "{}", stderr(&out));
}

/// The probe counts a demo database must show, from the numbers it was built with.
fn expected_counts(engine: Engine, e: &Expected) -> Vec<(&'static str, Option<i64>)> {
    let domo = |table: &str| {
        e.domo_sandbox_domain
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| *n as i64)
    };
    let pg_only = |n: u64| match engine {
        Engine::Postgres => Some(n as i64),
        Engine::Mysql => Some(0),
    };
    let mysql_only = |n: u64| match engine {
        Engine::Mysql => Some(n as i64),
        Engine::Postgres => Some(0),
    };
    vec![
        // On PostgreSQL the 1.2.0 query migration deletes nothing (see 1.2.yaml).
        ("unlinked-queries", mysql_only(e.queries_deleted_by_1_2)),
        (
            "postgres-queries-left-without-service",
            pg_only(e.queries_total),
        ),
        ("domo-database-sandbox-domain", domo("dbservice_entity")),
        (
            "domo-dashboard-sandbox-domain",
            domo("dashboard_service_entity"),
        ),
        (
            "domo-pipeline-sandbox-domain",
            domo("pipeline_service_entity"),
        ),
        (
            "postgres-domo-without-sandbox-domain",
            pg_only(e.domo_without_sandbox_domain),
        ),
        (
            "metadata-pipelines-with-view-parsing-timeout",
            Some(e.pipelines_with_renamed_options as i64),
        ),
        // The PostgreSQL failure of that rename ends at 1.2.2 (`until`): a review up to 2.0.7 does
        // not meet it.
        (
            "postgres-metadata-pipelines-without-view-parsing-timeout",
            None,
        ),
        (
            "metadata-pipelines-with-mark-all-deleted-tables",
            Some(e.pipelines_with_renamed_options as i64),
        ),
        (
            "duplicate-time-series-rows",
            Some(e.time_series_duplicates as i64),
        ),
        ("draft-glossary-terms", Some(e.draft_glossary_terms as i64)),
        (
            "fernet-encrypted-connections",
            Some(e.connections_with_fernet_secrets as i64),
        ),
        ("secret-manager-references", Some(0)),
        (
            "custom-metrics-extension-rows",
            Some(e.custom_metrics_rows as i64),
        ),
        (
            "test-cases-with-failure-status",
            Some(e.test_cases_with_failure_status as i64),
        ),
        (
            "entities-with-single-owner",
            Some(e.tables_with_single_owner as i64),
        ),
        // A 1.1 database has no domain_entity: the 1.2-era owner probe does not apply.
        ("domain-entities-with-single-owner", Some(0)),
        (
            "entity-versions-with-single-owner",
            Some(e.entity_versions_with_single_owner as i64),
        ),
        (
            "custom-properties-of-removed-types",
            Some(e.custom_properties_of_removed_types as i64),
        ),
        (
            "deltalake-metastore-connection",
            Some(e.deltalake_old_shape as i64),
        ),
        (
            "glossary-terms-with-status",
            Some(e.glossary_terms_with_status as i64),
        ),
        ("tasks-and-announcements", Some(e.task_threads as i64)),
        ("iceberg-services", Some(0)),
        // Tables a 1.1 database does not have yet: the probe says so instead of failing.
        ("active-data-contracts", None),
        // The 1.1 results are still in entity_extension_time_series, where the sibling probe
        // counts them (the demo's carry no failure status).
        ("test-results-with-failure-status", Some(0)),
        ("pre-1-2-test-results-with-failure-status", Some(0)),
        ("suggestions", None),
        ("installed-mcp-apps", None),
    ]
}

/// Fixes what the probes found, as an operator (or the migration) would.
async fn fix(db: &Db) {
    let unlinked: Vec<String> = db
        .fetch_rows(
            "SELECT q.id FROM query_entity q \
             LEFT JOIN entity_relationship tq ON tq.toId = q.id AND tq.fromEntity = 'table' AND tq.toEntity = 'query' \
             LEFT JOIN entity_relationship st ON st.toId = tq.fromId AND st.fromEntity = 'databaseSchema' AND st.toEntity = 'table' \
             LEFT JOIN entity_relationship ds ON ds.toId = st.fromId AND ds.fromEntity = 'database' AND ds.toEntity = 'databaseSchema' \
             LEFT JOIN entity_relationship svc ON svc.toId = ds.fromId AND svc.fromEntity = 'databaseService' AND svc.toEntity = 'database' \
             GROUP BY q.id HAVING SUM(CASE WHEN svc.fromId IS NULL THEN 1 ELSE 0 END) > 0",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .filter_map(|r| r[0].as_text())
        .collect();
    let placeholder = match db.engine() {
        Engine::Mysql => "?",
        Engine::Postgres => "$1",
    };
    for id in &unlinked {
        db.execute(
            &format!("DELETE FROM query_entity WHERE id = {placeholder}"),
            &[id],
        )
        .await
        .unwrap();
    }
    let statements: &[&str] = match db.engine() {
        Engine::Mysql => &[
            "UPDATE dbservice_entity SET json = JSON_REMOVE(JSON_SET(json, '$.connection.config.instanceDomain', JSON_EXTRACT(json, '$.connection.config.sandboxDomain')), '$.connection.config.sandboxDomain') WHERE JSON_CONTAINS_PATH(json, 'one', '$.connection.config.sandboxDomain')",
            "UPDATE dashboard_service_entity SET json = JSON_REMOVE(JSON_SET(json, '$.connection.config.instanceDomain', JSON_EXTRACT(json, '$.connection.config.sandboxDomain')), '$.connection.config.sandboxDomain') WHERE JSON_CONTAINS_PATH(json, 'one', '$.connection.config.sandboxDomain')",
            "UPDATE ingestion_pipeline_entity SET json = JSON_REMOVE(json, '$.sourceConfig.config.viewParsingTimeoutLimit', '$.sourceConfig.config.markAllDeletedTables')",
            "DELETE FROM entity_extension_time_series WHERE JSON_UNQUOTE(JSON_EXTRACT(json, '$.result')) = 'duplicate row'",
            "UPDATE glossary_term_entity SET json = JSON_REMOVE(json, '$.status')",
            "DELETE FROM entity_extension WHERE extension LIKE '%customMetrics'",
            "UPDATE test_case SET json = JSON_REMOVE(json, '$.testCaseResult.testCaseFailureStatus')",
            "UPDATE table_entity SET json = JSON_REMOVE(json, '$.owner')",
            "UPDATE entity_extension SET json = JSON_REMOVE(json, '$.owner')",
            "DELETE FROM type_entity",
            "UPDATE dbservice_entity SET json = JSON_REMOVE(json, '$.connection.config.metastoreConnection')",
            "DELETE FROM thread_entity WHERE JSON_UNQUOTE(JSON_EXTRACT(json, '$.type')) = 'Task'",
        ],
        Engine::Postgres => &[
            "UPDATE dbservice_entity SET json = jsonb_set(json #- '{connection,config,sandboxDomain}', '{connection,config,instanceDomain}', json #> '{connection,config,sandboxDomain}') WHERE (json #> '{connection,config,sandboxDomain}') IS NOT NULL",
            "UPDATE dashboard_service_entity SET json = jsonb_set(json #- '{connection,config,sandboxDomain}', '{connection,config,instanceDomain}', json #> '{connection,config,sandboxDomain}') WHERE (json #> '{connection,config,sandboxDomain}') IS NOT NULL",
            "UPDATE ingestion_pipeline_entity SET json = (json::jsonb #- '{sourceConfig,config,viewParsingTimeoutLimit}' #- '{sourceConfig,config,markAllDeletedTables}')::json",
            "DELETE FROM entity_extension_time_series WHERE json ->> 'result' = 'duplicate row'",
            "UPDATE glossary_term_entity SET json = json - 'status'",
            "DELETE FROM entity_extension WHERE extension LIKE '%customMetrics'",
            "UPDATE test_case SET json = json #- '{testCaseResult,testCaseFailureStatus}'",
            "UPDATE table_entity SET json = json - 'owner'",
            "UPDATE entity_extension SET json = json - 'owner'",
            "DELETE FROM type_entity",
            "UPDATE dbservice_entity SET json = json #- '{connection,config,metastoreConnection}'",
            "DELETE FROM thread_entity WHERE json ->> 'type' = 'Task'",
        ],
    };
    for sql in statements {
        db.execute_script(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[tokio::test]
async fn probes_report_the_demo_numbers_on_both_engines_and_zero_once_fixed() {
    for engine in ENGINES {
        let (db, summary) = TestDb::demo(engine, 1).await;
        let out = run(&["releases", "--db-url", &db.url, "--format", "json"], &[]);
        assert_eq!(out.status.code(), Some(0), "{engine}: {}", stderr(&out));
        let report = json(&out);
        assert_eq!(report["from"], "1.1.5", "read from the database");
        assert_eq!(report["from_source"], "database");
        assert_eq!(report["to"], "2.0.7", "the newest by default");
        assert_eq!(report["database"]["status"], "probed");
        let counts = probe_counts(&report);
        for (probe, expected) in expected_counts(engine, &summary.expected) {
            assert_eq!(
                counts.get(probe).copied().flatten(),
                expected,
                "{engine}: probe {probe}"
            );
        }
        let query = item(&report, "query-service-required");
        if engine == Engine::Mysql {
            assert_eq!(query["impact"]["verdict"], "affects");
            assert_eq!(
                query["impact"]["summary"],
                format!(
                    "{} queries will be deleted by the migration (no table path to a database \
                     service)",
                    summary.expected.queries_deleted_by_1_2
                )
            );
            let samples = &query["impact"]["evidence"][0]["samples"];
            assert!(
                samples
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s.as_str().unwrap().contains("ad-hoc query")),
                "{engine}: {samples}"
            );
        } else {
            // Nothing is deleted on PostgreSQL; what it does instead is background.
            assert_eq!(query["impact"]["verdict"], "not_affected", "{query}");
        }
        // Measured elsewhere: the sort-memory items take `db.sort_memory`'s outcome.
        let sort = item(&report, "raise-sort-memory-before-migration");
        assert_ne!(sort["impact"]["verdict"], "unknown", "{engine}: {sort}");
        assert!(
            sort["impact"]["summary"]
                .as_str()
                .is_some_and(|s| s.contains("db.sort_memory: ")),
            "{engine}: {sort}"
        );
        // An item of one engine is "not you" on the other.
        let schema = item(&report, "mysql-migration-hardcodes-schema-name");
        let other_engine = schema["impact"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("applies to MySQL/MariaDB only"));
        assert_eq!(
            other_engine,
            engine == Engine::Postgres,
            "{engine}: {schema}"
        );
        if engine == Engine::Postgres {
            assert_eq!(schema["impact"]["verdict"], "not_affected", "{schema}");
        }
        let missing = item(&report, "mcp-apps-retired");
        assert_eq!(missing["impact"]["verdict"], "unknown");
        assert_eq!(
            missing["impact"]["summary"],
            "unknown: table installed_apps does not exist"
        );

        fix(&db.connect().await).await;
        let report = json(&run(
            &["releases", "--db-url", &db.url, "--format", "json"],
            &[],
        ));
        let counts = probe_counts(&report);
        for (probe, expected) in expected_counts(engine, &summary.expected) {
            let after = counts.get(probe).copied().flatten();
            match probe {
                // Background information and what no fix touches.
                "fernet-encrypted-connections" | "postgres-queries-left-without-service" => {
                    continue;
                }
                // Renaming sandboxDomain by hand leaves every Domo service without it: exactly
                // what makes the Postgres statement fail.
                "postgres-domo-without-sandbox-domain" => {
                    let all_domo = summary.expected.domo_without_sandbox_domain as i64
                        + summary
                            .expected
                            .domo_sandbox_domain
                            .iter()
                            .map(|(_, n)| *n as i64)
                            .sum::<i64>();
                    let want = if engine == Engine::Postgres {
                        all_domo
                    } else {
                        0
                    };
                    assert_eq!(after, Some(want), "{engine}: {probe}");
                }
                _ if expected.is_none() => assert_eq!(after, None, "{engine}: {probe}"),
                _ => assert_eq!(after, Some(0), "{engine}: probe {probe} after the fix"),
            }
        }
        assert_eq!(
            item(&report, "query-service-required")["impact"]["verdict"],
            "not_affected"
        );
        assert_eq!(
            item(&report, "glossary-draft-terms-approved")["impact"]["summary"],
            "does not affect you: no glossary term is in Draft"
        );
    }
}

#[tokio::test]
async fn check_with_a_target_runs_the_release_checks() {
    for engine in ENGINES {
        let (db, summary) = TestDb::demo(engine, 1).await;
        let out = run(
            &[
                "check", "--db-url", &db.url, "--target", "1.2.0", "--format", "json",
            ],
            &[],
        );
        let report = check_json(&out);
        let path = check_by_id(&report, "release.path");
        // 1.2.0 is known-bad on PostgreSQL only (the viewParsingTimeoutLimit rename): there a
        // warning names the newest 1.2 patch; on MySQL the path is fine.
        let text = path["summary"].as_str().unwrap();
        assert!(text.starts_with("1.1.5 → 1.2.0: "), "{path}");
        let rename = check_by_id(&report, "release.postgres_view_parsing_rename_fails");
        if engine == Engine::Postgres {
            assert_eq!(path["status"], "warn", "{engine}: {path}");
            assert!(
                text.ends_with("1.2.0 is a known-bad release on PostgreSQL: take 1.2.5 instead"),
                "{path}"
            );
            assert_eq!(rename["status"], "warn", "{rename}");
        } else {
            assert_eq!(path["status"], "pass", "{engine}: {path}");
            assert!(!text.contains("known-bad"), "{path}");
            assert_eq!(rename["status"], "pass", "{rename}");
        }
        let query = check_by_id(&report, "release.query_service_required");
        if engine == Engine::Mysql {
            assert_eq!(query["status"], "warn", "{engine}: {query}");
            assert!(
                query["summary"].as_str().unwrap().starts_with(&format!(
                    "{} queries will be deleted",
                    summary.expected.queries_deleted_by_1_2
                )),
                "{query}"
            );
            assert!(query["remediation"].as_str().unwrap().contains("export"));
        } else {
            assert_eq!(query["status"], "pass", "{engine}: {query}");
        }
        let domo = check_by_id(&report, "release.domo_sandbox_domain_renamed");
        assert_eq!(domo["status"], "warn", "{domo}");
        // Items after the target are not checks of this run; items before the installed
        // version are skipped as already applied.
        assert!(
            report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["id"] != "release.owner_becomes_owners")
        );
        let skipped = check_by_id(&report, "release.looker_git_credentials");
        assert_eq!(skipped["status"], "skip", "{skipped}");
        assert_eq!(check_by_id(&report, "release.config")["status"], "skip");
        assert_eq!(check_by_id(&report, "release.workflows")["status"], "skip");
        // Release items only warn; the one failure is that no backup was taken yet.
        let failing: Vec<&str> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(failing, vec!["backup.recent"], "{engine}: {report}");
        assert_eq!(out.status.code(), Some(1), "{engine}: {report}");
        // The database server's range now comes from the catalogue.
        let server = check_by_id(&report, "db.server_version");
        if engine == Engine::Postgres {
            assert!(
                server["summary"]
                    .as_str()
                    .unwrap()
                    .contains("OpenMetadata 1.2.0 documents (12.0–14.6)"),
                "{server}"
            );
        } else {
            assert!(server["summary"].as_str().unwrap().contains("MariaDB"));
        }
    }
}

#[tokio::test]
async fn the_probe_transaction_refuses_writes_on_both_engines() {
    for engine in ENGINES {
        let (test_db, summary) = TestDb::demo(engine, 1).await;
        let db = test_db.connect().await;
        let session = ProbeSession::default();
        let before = session
            .query(&db, "SELECT COUNT(*) FROM query_entity")
            .await
            .unwrap();
        for write in [
            "DELETE FROM query_entity",
            "UPDATE glossary_term_entity SET json = json",
            "CREATE TABLE om_upgrade_was_here (id INT)",
        ] {
            let error = session.query(&db, write).await.unwrap_err();
            let text = error.to_string().to_lowercase();
            assert!(
                matches!(error, ProbeError::Db(_))
                    && text.contains("read")
                    && text.contains("only"),
                "{engine}: {write}: {error}"
            );
        }
        // The session is still usable after the refused writes, and nothing changed.
        let after = session
            .query(&db, "SELECT COUNT(*) FROM query_entity")
            .await
            .unwrap();
        assert_eq!(before, after);
        assert_eq!(
            after[0][0].as_i64(),
            Some(summary.expected.queries_total as i64)
        );
        session.close().await;
        let tables = db
            .fetch_i64(
                match engine {
                    Engine::Mysql => "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'om_upgrade_was_here'",
                    Engine::Postgres => "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'om_upgrade_was_here'",
                },
                &[],
            )
            .await
            .unwrap();
        assert_eq!(tables, 0, "{engine}");
        db.close().await;
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn workflow_files_are_scanned_with_file_and_line_and_a_broken_one_does_not_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a_domo.yaml", DOMO_WORKFLOW);
    write(
        dir.path(),
        "b_broken.yaml",
        "source:\n  type: [unclosed\n  serviceName: x\n",
    );
    write(
        dir.path(),
        "nested/c_metadata.yml",
        "source:\n  type: mysql\n  serviceConnection:\n    config:\n      type: Mysql\n  sourceConfig:\n    config:\n      type: DatabaseMetadata\n      viewParsingTimeoutLimit: 300\n",
    );
    write(dir.path(), "d_not_a_workflow.yaml", "just: [a, list]\n");
    write(
        dir.path(),
        "e_dashboard.yaml",
        &DOMO_WORKFLOW
            .replace("DomoDatabase", "Looker")
            .replace("domodatabase", "looker"),
    );
    let workflows = dir.path().to_str().unwrap();
    let out = run(
        &[
            "releases",
            "--from",
            "1.1.7",
            "--to",
            "1.2.0",
            "--workflows",
            workflows,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let scan = &report["scan"];
    assert_eq!(scan["workflow_files"], 3, "{scan}");
    assert_eq!(scan["other_files"], 1, "{scan}");
    let problems = scan["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{scan}");
    assert!(
        problems[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("b_broken.yaml")
    );
    assert!(problems[0]["line"].as_u64().is_some(), "{scan}");
    assert!(
        problems[0]["error"]
            .as_str()
            .unwrap()
            .contains("not valid YAML")
    );

    let domo = item(&report, "domo-sandbox-domain-renamed");
    assert_eq!(domo["impact"]["verdict"], "affects", "{domo}");
    let evidence = &domo["impact"]["evidence"][0];
    assert!(evidence["file"].as_str().unwrap().ends_with("a_domo.yaml"));
    assert_eq!(
        evidence["line"], 8,
        "sandboxDomain is on line 8: {evidence}"
    );
    // The Looker file has the same key but is not a Domo connector.
    let in_files = domo["impact"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["file"].is_string())
        .count();
    assert_eq!(in_files, 1, "{domo}");
    // The file after the broken one was still read.
    let renamed = item(&report, "query-parsing-timeout-renamed");
    assert_eq!(renamed["impact"]["verdict"], "affects", "{renamed}");
    assert_eq!(renamed["impact"]["evidence"][0]["line"], 9);

    let text = stdout(&run(
        &[
            "releases",
            "--from",
            "1.1.7",
            "--to",
            "1.2.0",
            "--workflows",
            workflows,
        ],
        &[],
    ));
    assert!(
        text.contains(
            "a_domo.yaml:8: source.serviceConnection.config.sandboxDomain is set (DomoDatabase)"
        ),
        "{text}"
    );
    assert!(text.contains("b_broken.yaml line "), "{text}");
    assert!(text.contains("not valid YAML"), "{text}");
    assert!(text.contains("✘ affects you"), "{text}");
}

/// A catalogue with one item of each verdict once `domo.yaml` is scanned: the Domo rule
/// matches it, the Looker rule does not, and the notes cannot be measured.
const ONE_OF_EACH: &str = r#"release: "1.1"
notes: https://example.org/1.1
patches: ["1.1.0"]
items:
  - id: domo-key-renamed
    kind: connection
    components: [connector:DomoDatabase]
    title: Domo renames sandboxDomain
    change: Renamed.
    action: Rename it.
    source: https://example.org/domo
    config_rules:
      - file: workflow
        key: source.serviceConnection.config.sandboxDomain
        when: present
  - id: looker-key-removed
    kind: connection
    components: [connector:Looker]
    title: Looker drops githubCredentials
    change: Removed.
    action: Remove it.
    source: https://example.org/looker
    config_rules:
      - file: workflow
        key: source.serviceConnection.config.githubCredentials
        when: present
  - id: read-the-notes
    kind: action
    components: [server]
    title: Read the notes
    change: Things change.
    action: Read them.
    source: https://example.org/notes
"#;

#[test]
fn affecting_me_leaves_out_only_the_items_that_do_not_affect_you() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "catalogue/1.1.yaml", ONE_OF_EACH);
    write(dir.path(), "workflows/domo.yaml", DOMO_WORKFLOW);
    let catalogue = dir.path().join("catalogue");
    let workflows = dir.path().join("workflows");
    let releases = |extra: &[&str]| {
        let mut args = vec![
            "releases",
            "--from",
            "1.0.0",
            "--to",
            "1.1.0",
            "--releases-dir",
            catalogue.to_str().unwrap(),
            "--workflows",
            workflows.to_str().unwrap(),
        ];
        args.extend(extra);
        let out = run(&args, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out
    };
    let verdicts = |report: &Value| -> Vec<(String, String)> {
        items(report)
            .into_iter()
            .map(|i| {
                let verdict = i["impact"]["verdict"].as_str().unwrap();
                (i["id"].as_str().unwrap().into(), verdict.into())
            })
            .collect()
    };
    let every = json(&releases(&["--format", "json"]));
    assert_eq!(
        verdicts(&every),
        [
            ("domo-key-renamed", "affects"),
            ("looker-key-removed", "not_affected"),
            ("read-the-notes", "unknown"),
        ]
        .map(|(id, verdict)| (id.to_string(), verdict.to_string())),
        "the data must hold an item of each verdict"
    );

    let mine = json(&releases(&["--affecting-me", "--format", "json"]));
    assert_eq!(
        verdicts(&mine),
        [
            ("domo-key-renamed", "affects"),
            ("read-the-notes", "unknown")
        ]
        .map(|(id, verdict)| (id.to_string(), verdict.to_string())),
        "{mine}"
    );
    assert_eq!(mine["affecting_me"], true);
    assert_eq!(
        mine["counts"], every["counts"],
        "counts still cover every item"
    );

    let looker = item(&every, "looker-key-removed");
    assert_eq!(
        looker["impact"]["summary"], "does not affect you: no workflow YAML uses it",
        "{looker}"
    );

    let text = stdout(&releases(&["--affecting-me"]));
    assert!(
        text.contains("workflows: ")
            && text.contains(" (1 workflow file, 0 other YAML files ignored)"),
        "{text}"
    );
    assert!(
        text.contains(
            "3 items: 1 affects you, 1 does not, 1 unknown (items that do not affect you are left out)"
        ),
        "{text}"
    );
    assert!(text.contains("Domo renames sandboxDomain"), "{text}");
    assert!(text.contains("Read the notes"), "{text}");
    assert!(!text.contains("Looker drops githubCredentials"), "{text}");
}

/// One verdict everywhere: the database has no Domo service left on sandboxDomain, but the
/// second workflow of a file still sets it. The item's check warns with the file, as
/// `releases` says "affects you"; without the files both say they cannot tell.
#[tokio::test]
async fn the_item_check_and_releases_agree_on_what_the_workflow_scan_found() {
    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    let conn = db.connect().await;
    fix(&conn).await;
    conn.close().await;
    let dir = tempfile::tempdir().unwrap();
    let mysql = "source:\n  type: mysql\n  serviceConnection:\n    config:\n      type: Mysql\n";
    write(
        dir.path(),
        "both.yaml",
        &format!("{mysql}---\n{DOMO_WORKFLOW}"),
    );
    let workflows = dir.path().to_str().unwrap();
    let judged = |files: &[&str]| {
        let mut args = vec!["check", "--db-url", db.url.as_str(), "--target", "1.2.0"];
        args.extend(files);
        args.extend(["--format", "json"]);
        let check = check_json(&run(&args, &[]));
        let check = check_by_id(&check, "release.domo_sandbox_domain_renamed").clone();
        let mut args = vec!["releases", "--db-url", db.url.as_str(), "--to", "1.2.0"];
        args.extend(files);
        args.extend(["--format", "json"]);
        let out = run(&args, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let impact = item(&json(&out), "domo-sandbox-domain-renamed")["impact"].clone();
        (check, impact)
    };

    let (check, impact) = judged(&["--workflows", workflows]);
    assert_eq!(impact["verdict"], "affects", "{impact}");
    assert_eq!(check["status"], "warn", "{check}");
    assert_eq!(check["summary"], impact["summary"], "{check}");
    let hit = format!(
        "{}:14: source.serviceConnection.config.sandboxDomain is set (DomoDatabase)",
        dir.path().join("both.yaml").display()
    );
    assert_eq!(impact["summary"], hit.as_str());
    assert!(
        check["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["text"] == hit.as_str()),
        "{check}"
    );
    assert!(
        check["remediation"]
            .as_str()
            .unwrap()
            .contains("instanceDomain")
    );

    let (check, impact) = judged(&[]);
    assert_eq!(impact["verdict"], "unknown", "{impact}");
    assert_eq!(check["status"], "skip", "{check}");
    assert_eq!(check["summary"], impact["summary"], "{check}");
    assert_eq!(
        check["summary"], "workflow YAMLs not scanned (--workflows DIR)",
        "{check}"
    );
}

#[tokio::test]
async fn openmetadata_yaml_is_scanned_and_its_database_probed() {
    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("openmetadata.yaml");
    std::fs::write(
        &config,
        format!(
            "server:\n  applicationConnectors:\n    - type: http\n      port: 8585\n\
             database:\n  driverClass: com.mysql.cj.jdbc.Driver\n  user: ${{DB_USER:-root}}\n  url: jdbc:mysql://127.0.0.1:3306/{}\n\
             secretsManagerConfiguration:\n  secretsManager: ${{SECRET_MANAGER:-noop}}\n",
            db.name
        ),
    )
    .unwrap();
    let out = run(
        &[
            "releases",
            "--from",
            "1.2.0",
            "--to",
            "1.3.0",
            "--config",
            config.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        report["database"]["status"], "probed",
        "the yaml's database is used"
    );
    let noop = item(&report, "secrets-manager-noop-renamed-db");
    assert_eq!(noop["impact"]["verdict"], "affects", "{noop}");
    let evidence = &noop["impact"]["evidence"][0];
    assert_eq!(evidence["line"], 10, "{evidence}");
    assert_eq!(
        evidence["text"],
        format!(
            "{}:10: secretsManagerConfiguration.secretsManager is noop",
            config.display()
        )
    );
    // The database name is not openmetadata_db: background evidence, since whether the 1.3.0
    // script names the schema depends on the image.
    let name = item(&report, "mysql-migration-hardcodes-schema-name");
    let evidence = name["impact"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["probe"] == "schema-not-named-openmetadata-db")
        .unwrap_or_else(|| panic!("{name}"));
    assert!(
        evidence["text"]
            .as_str()
            .unwrap()
            .contains(&format!("the database is named {}", db.name)),
        "{name}"
    );
}

const V2_1: &str = r#"release: "2.1"
notes: https://example.org/2.1
patches: ["2.1.0"]
upgrade_from: "2.0.0"
items:
  - id: migration-gate
    kind: breaking
    components: [database]
    title: 2.1 migrates only databases at 2.0.0 or newer
    change: Older databases are refused.
    action: Upgrade to 2.0.x first.
    source: https://example.org/gate
"#;

#[test]
fn a_newer_catalogue_from_releases_dir_is_used_and_its_stops_shown() {
    let dir = tempfile::tempdir().unwrap();
    copy_of_the_built_in_catalogue(dir.path());
    write(dir.path(), "2.1.yaml", V2_1);
    let releases_dir = dir.path().to_str().unwrap();
    let out = run(
        &[
            "releases",
            "--from",
            "1.13.4",
            "--releases-dir",
            releases_dir,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["to"], "2.1.0", "the newest of the loaded set");
    assert_eq!(report["catalogue"], releases_dir);
    assert_eq!(report["missing_releases"], serde_json::json!([]));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert_eq!(
        report["stops"][0]["version"], "2.0.7",
        "{}",
        report["stops"]
    );
    item(&report, "migration-gate");
    let text = stdout(&run(
        &[
            "releases",
            "--from",
            "1.13.4",
            "--releases-dir",
            releases_dir,
        ],
        &[],
    ));
    assert!(
        text.contains("required stop: upgrade to 2.0.7 first (OpenMetadata 2.1 migrates only databases at 2.0.0 or newer)"),
        "{text}"
    );

    // A broken file in the set: usage error, with file and line.
    write(
        dir.path(),
        "2.1.yaml",
        &V2_1.replace("    source: https://example.org/gate\n", ""),
    );
    let out = run(
        &[
            "releases",
            "--from",
            "1.13.4",
            "--releases-dir",
            releases_dir,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("2.1.yaml line 6: item 'migration-gate': missing required field 'source'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn markdown_output_is_a_checklist_with_sources() {
    let out = run(
        &[
            "releases", "--from", "1.1.7", "--to", "1.2.1", "--format", "markdown",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.starts_with("# OpenMetadata upgrade review: 1.1.7 → 1.2.1\n"),
        "{text}"
    );
    assert!(text.contains("\n## 1.2 (2023-10-26)\n"), "{text}");
    assert!(text.contains("### Breaking changes"), "{text}");
    assert!(
        text.contains("- [ ] Unknown: **Query entity now requires a database service"),
        "{text}"
    );
    assert!(
        text.contains("`logo-login-config-moved-to-ui`, from 1.2.1"),
        "{text}"
    );
    assert!(text.contains("  - Source: <https://"), "{text}");
}

#[test]
fn a_releases_dir_probe_that_writes_a_file_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    copy_of_the_built_in_catalogue(dir.path());
    let probe = "    probes:
      - id: dump-services
        tables: [dbservice_entity]
        count:
          mysql: SELECT json FROM dbservice_entity INTO OUTFILE '/tmp/omu_wtcat_dump.txt'
        affects: \"{count}\"
        clear: none
";
    write(dir.path(), "2.1.yaml", &format!("{V2_1}{probe}"));
    let out = run(
        &[
            "releases",
            "--from",
            "2.0.7",
            "--releases-dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "2.1.yaml line 17: item 'migration-gate': count SQL (mysql) must not use into: \
             SELECT … INTO writes the result to a file, a variable or a new table"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_releases_dir_that_leaves_out_releases_in_between_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "2.1.yaml", V2_1);
    let releases_dir = dir.path().to_str().unwrap();
    let args = |format: &'static str| {
        vec![
            "releases",
            "--from",
            "1.13.4",
            "--releases-dir",
            releases_dir,
            "--format",
            format,
        ]
    };
    let warning = format!(
        "warning: the release catalogue ({releases_dir}) has no files for 1.13 and 2.0, which \
         the upgrade from 1.13.4 to 2.1.0 crosses: their items are not listed; add them to the \
         folder"
    );
    let out = run(&args("json"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(&warning), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        report["missing_releases"],
        serde_json::json!(["1.13", "2.0"])
    );
    assert_eq!(items(&report).len(), 1, "only what 2.1.yaml holds");

    let out = run(&args("text"), &[]);
    assert!(stderr(&out).contains(&warning), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("! incomplete catalogue: the release catalogue"),
        "{}",
        stdout(&out)
    );
    let out = run(&args("markdown"), &[]);
    assert!(
        stdout(&out).contains("> **Incomplete catalogue:** the release catalogue"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn the_path_check_warns_when_the_releases_dir_leaves_out_releases() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "2.1.yaml", V2_1);
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let out = run(
        &[
            "check",
            "--db-url",
            &db.url,
            "--target",
            "2.1.0",
            "--releases-dir",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    let report = check_json(&out);
    let path = check_by_id(&report, "release.path");
    assert_eq!(path["status"], "warn", "{path}");
    let summary = path["summary"].as_str().unwrap();
    // The demo database is at 1.1.5: every line from 1.1 (its later patches) to 2.0 is missing.
    assert!(
        summary.contains(
            "the release catalogue has no file for 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, \
             1.10, 1.11, 1.12, 1.13, 2.0"
        ),
        "{path}"
    );
    assert!(
        path["remediation"]
            .as_str()
            .unwrap()
            .starts_with("Add the release files for 1.1, 1.2"),
        "{path}"
    );
}

/// The 1.2.0 Postgres rename of one Domo table, as the migration writes it: the new value is
/// only ever read from sandboxDomain.
fn domo_rename_1_2_0(table: &str, service_type: &str) -> String {
    format!(
        "UPDATE {table} SET json = jsonb_set(json::jsonb #- '{{connection,config,sandboxDomain}}', \
         '{{connection,config,instanceDomain}}', \
         (json #> '{{connection,config,sandboxDomain}}')::jsonb, true) \
         WHERE serviceType = '{service_type}'"
    )
}

const DOMO_TABLES: [(&str, &str); 3] = [
    ("dbservice_entity", "DomoDatabase"),
    ("dashboard_service_entity", "DomoDashboard"),
    ("pipeline_service_entity", "DomoPipeline"),
];

#[tokio::test]
async fn the_postgres_domo_probe_counts_what_the_1_2_rename_cannot_take() {
    let (test_db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let db = test_db.connect().await;
    let probe = || {
        let out = run(
            &[
                "releases",
                "--db-url",
                &test_db.url,
                "--to",
                "1.2.0",
                "--format",
                "json",
            ],
            &[],
        );
        let report = json(&out);
        let item = item(&report, "domo-sandbox-domain-renamed").clone();
        let evidence = item["impact"]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["probe"] == "postgres-domo-without-sandbox-domain")
            .unwrap_or_else(|| panic!("{item}"))
            .clone();
        let samples: Vec<String> = evidence["samples"]
            .as_array()
            .map(|s| s.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        (
            evidence["count"].as_i64(),
            samples,
            evidence["text"].clone(),
        )
    };

    // The demo has one Domo service with no domain key at all.
    let (count, samples, _) = probe();
    assert_eq!(count, Some(1));
    assert_eq!(samples, ["domo_pipelines · no domain at all"]);

    // An operator renames sandboxDomain to instanceDomain by hand: those services are still
    // counted, because the migration's statement reads sandboxDomain only.
    for (table, _) in &DOMO_TABLES[..2] {
        db.execute_script(&format!(
            "UPDATE {table} SET json = jsonb_set(json #- '{{connection,config,sandboxDomain}}', \
             '{{connection,config,instanceDomain}}', json #> '{{connection,config,sandboxDomain}}') \
             WHERE (json #> '{{connection,config,sandboxDomain}}') IS NOT NULL"
        ))
        .await
        .unwrap();
    }
    let (count, samples, text) = probe();
    assert_eq!(count, Some(4));
    assert!(
        samples.contains(&"domo_sales · instanceDomain set, sandboxDomain gone".to_string()),
        "{samples:?}"
    );
    let text = text.as_str().unwrap();
    assert!(
        text.contains("even where instanceDomain is already set")
            && text.contains("put the Domo domain under connection.config.sandboxDomain"),
        "{text}"
    );
    // What the probe predicts: the statement fails on a table whose services all have
    // instanceDomain.
    let error = db
        .execute_script(&domo_rename_1_2_0("dbservice_entity", "DomoDatabase"))
        .await
        .expect_err("the 1.2.0 rename of hand-renamed services");
    assert!(error.to_string().contains("null value"), "{error}");

    // The remedy the probe gives: the domain back under sandboxDomain. Then nothing is counted
    // and every rename statement goes through.
    for (table, service_type) in DOMO_TABLES {
        db.execute_script(&format!(
            "UPDATE {table} SET json = jsonb_set(json::jsonb, '{{connection,config,sandboxDomain}}', \
             COALESCE(json #> '{{connection,config,instanceDomain}}', '\"https://acme.domo.com\"'::jsonb)) \
             WHERE serviceType = '{service_type}'"
        ))
        .await
        .unwrap();
    }
    let (count, _, text) = probe();
    assert_eq!(count, Some(0), "{text}");
    for (table, service_type) in DOMO_TABLES {
        db.execute_script(&domo_rename_1_2_0(table, service_type))
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
}

/// Runs `releases` on `url` and returns the probe counts.
fn counts_for(url: &str, to: &str) -> BTreeMap<String, Option<i64>> {
    let out = run(
        &["releases", "--db-url", url, "--to", to, "--format", "json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    probe_counts(&json(&out))
}

/// Sets `owner` on the first `n` rows of `table` (by id).
async fn give_owner(db: &Db, table: &str, n: usize) {
    let ids = db
        .fetch_rows(&format!("SELECT id FROM {table} ORDER BY id"), &[])
        .await
        .unwrap();
    assert!(ids.len() >= n, "{table} has {} rows", ids.len());
    let (set, placeholder) = match db.engine() {
        Engine::Mysql => (
            "JSON_SET(json, '$.owner', JSON_OBJECT('id', 'o', 'type', 'team'))",
            "?",
        ),
        Engine::Postgres => (
            "jsonb_set(json::jsonb, '{owner}', '{\"id\": \"o\", \"type\": \"team\"}'::jsonb)",
            "$1",
        ),
    };
    for row in &ids[..n] {
        let id = row[0].as_text().unwrap();
        db.execute(
            &format!("UPDATE {table} SET json = {set} WHERE id = {placeholder}"),
            &[&id],
        )
        .await
        .unwrap();
    }
}

/// The probes the audit found counting the wrong thing, each on a database holding exactly k
/// rows the migration touches and m it leaves alone (on top of the demo's own, which the demo
/// test pins): the count must be k on both engines.
#[tokio::test]
async fn the_fixed_probes_count_exactly_the_rows_their_migrations_touch() {
    for engine in ENGINES {
        let (test_db, summary) = TestDb::demo(engine, 1).await;
        let e = &summary.expected;
        let db = test_db.connect().await;
        let json_type = match engine {
            Engine::Mysql => "JSON",
            Engine::Postgres => "jsonb",
        };
        // 1.3, a 1.1 database: k = 2 results with a failure status, m = 1 without, m = 1 of
        // another extension that carries one.
        for (n, extension, status) in [
            (1, "testCase.testCaseResult", true),
            (2, "testCase.testCaseResult", true),
            (3, "testCase.testCaseResult", false),
            (4, "table.tableProfile", true),
        ] {
            let failure = if status {
                r#", "testCaseFailureStatus": {"testCaseFailureStatusType": "Ack"}"#
            } else {
                ""
            };
            db.execute_script(&format!(
                "INSERT INTO entity_extension_time_series (entityFQNHash, extension, jsonSchema, json) \
                 VALUES ('km{n}', '{extension}', 'testCaseResult', \
                 '{{\"timestamp\": {n}{failure}}}')"
            ))
            .await
            .unwrap();
        }
        // 1.5: k = 1 dashboard, 1 topic and 1 chart with an owner, besides the demo's tables.
        give_owner(&db, "dashboard_entity", 1).await;
        give_owner(&db, "topic_entity", 1).await;
        give_owner(&db, "chart_entity", 1).await;
        // 1.10: k = 2 Active contracts the migration rewrites, m = 2 Active ones it already
        // did (entityStatus set) and 1 Draft.
        db.execute_script(&format!(
            "CREATE TABLE data_contract_entity (id VARCHAR(36) NOT NULL, json {json_type} NOT NULL)"
        ))
        .await
        .unwrap();
        for (n, doc) in [
            (1, r#"{"status": "Active"}"#),
            (2, r#"{"status": "Active"}"#),
            (3, r#"{"status": "Active", "entityStatus": "Approved"}"#),
            (4, r#"{"status": "Active", "entityStatus": "Approved"}"#),
            (5, r#"{"status": "Draft"}"#),
        ] {
            db.execute_script(&format!(
                "INSERT INTO data_contract_entity (id, json) VALUES ('c{n}', '{doc}')"
            ))
            .await
            .unwrap();
        }
        db.close().await;

        let counts = counts_for(&test_db.url, "2.0.7");
        let count = |probe: &str| counts.get(probe).copied().flatten();
        assert_eq!(
            count("pre-1-2-test-results-with-failure-status"),
            Some(2),
            "{engine}"
        );
        assert_eq!(
            count("test-results-with-failure-status"),
            Some(0),
            "{engine}"
        );
        assert_eq!(
            count("entities-with-single-owner"),
            Some(e.tables_with_single_owner as i64 + 3),
            "{engine}"
        );
        assert_eq!(count("active-data-contracts"), Some(2), "{engine}");
        // 1.2: the deletion count is MySQL's; PostgreSQL deletes nothing and keeps every query
        // without a service.
        let (deleted, kept) = match engine {
            Engine::Mysql => (e.queries_deleted_by_1_2 as i64, 0),
            Engine::Postgres => (0, e.queries_total as i64),
        };
        assert_eq!(count("unlinked-queries"), Some(deleted), "{engine}");
        assert_eq!(
            count("postgres-queries-left-without-service"),
            Some(kept),
            "{engine}"
        );
    }
}

/// 1.1's elasticsearch.searchType: leaving it out means Elasticsearch, so only OpenSearch
/// installations are affected and the file alone cannot say which one runs.
#[test]
fn a_missing_search_type_does_not_flag_an_elasticsearch_installation() {
    let dir = tempfile::tempdir().unwrap();
    let verdict = |yaml: &str| {
        let config = dir.path().join("openmetadata.yaml");
        std::fs::write(&config, yaml).unwrap();
        let out = run(
            &[
                "releases",
                "--from",
                "1.0.5",
                "--to",
                "1.1.0",
                "--config",
                config.to_str().unwrap(),
                "--format",
                "json",
            ],
            &[],
        );
        // 1: the unreachable database is reported as a failure; the review is still printed.
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        item(&json(&out), "search-type-key-added")["impact"].clone()
    };
    // Nothing listens on port 1: the database part fails fast and the scan still runs.
    let database = "database:\n  driverClass: com.mysql.cj.jdbc.Driver\n  url: jdbc:mysql://127.0.0.1:1/openmetadata_db\n";
    let elasticsearch = verdict(&format!(
        "{database}elasticsearch:\n  host: es.internal\n  port: 9200\n"
    ));
    assert_eq!(elasticsearch["verdict"], "unknown", "{elasticsearch}");
    assert!(
        elasticsearch["summary"]
            .as_str()
            .unwrap()
            .contains("matters only if your search engine is OpenSearch"),
        "{elasticsearch}"
    );
    let opensearch = verdict(&format!(
        "{database}elasticsearch:\n  host: os.internal\n  searchType: opensearch\n"
    ));
    assert_eq!(opensearch["verdict"], "not_affected", "{opensearch}");
}

/// `check --target` of a release the project superseded warns and names the one to take.
#[tokio::test]
async fn check_of_a_known_bad_target_names_the_release_to_take_instead() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let out = run(
        &[
            "check", "--db-url", &db.url, "--target", "2.0.3", "--format", "json",
        ],
        &[],
    );
    let report = check_json(&out);
    let path = check_by_id(&report, "release.path");
    assert_eq!(path["status"], "warn", "{path}");
    assert!(
        path["summary"]
            .as_str()
            .unwrap()
            .contains("2.0.3 is a known-bad release: take 2.0.7 instead"),
        "{path}"
    );
    assert!(
        path["remediation"]
            .as_str()
            .unwrap()
            .starts_with("Upgrade to 2.0.7 instead of 2.0.3."),
        "{path}"
    );
    let out = run(&["releases", "--from", "1.13.6", "--to", "2.0.3"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("OpenMetadata 2.0.3 is a known-bad release")
            && stderr(&out).contains("take 2.0.7 instead"),
        "{}",
        stderr(&out)
    );
    // A release bad on PostgreSQL only: without a database the engine is not known, so the
    // warning is given and names it (the check above shows MySQL is spared once connected).
    let out = run(&["releases", "--from", "1.1.7", "--to", "1.2.0"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("OpenMetadata 1.2.0 is a known-bad release on PostgreSQL: ")
            && stderr(&out).contains("take 1.2.5 instead"),
        "{}",
        stderr(&out)
    );
}

/// Builds the tables a probe reads (the 1.1 schema `demo` writes, plus the few later releases
/// added) and writes rows into them, each entity row with the fields its generated columns need.
struct ProbeFixture {
    db: Db,
    tables: Vec<om_upgrade::demo::schema::TableDef>,
    next: u32,
}

impl ProbeFixture {
    async fn new(db: Db, only: Option<&[&str]>) -> ProbeFixture {
        use om_upgrade::demo::schema;
        let product = om_upgrade::db::inspect::server_info(&db)
            .await
            .unwrap()
            .product;
        let tables: Vec<_> = schema::tables()
            .into_iter()
            .filter(|t| only.is_none_or(|names| names.contains(&t.name)))
            .collect();
        for table in &tables {
            db.execute_script(&schema::create_table(product, table))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", table.name));
        }
        ProbeFixture {
            db,
            tables,
            next: 0,
        }
    }

    fn json_type(&self) -> &'static str {
        match self.db.engine() {
            Engine::Mysql => "JSON",
            Engine::Postgres => "jsonb",
        }
    }

    /// A table of a later release, reduced to the columns the probes read.
    async fn later_table(&self, name: &str, columns: &str) {
        let sql = format!(
            "CREATE TABLE {name} ({columns}, json {} NOT NULL)",
            self.json_type()
        );
        self.db.execute_script(&sql).await.unwrap();
    }

    async fn sql(&self, sql: &str) {
        self.db
            .execute_script(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// One row of an entity or service table: `doc` plus id, name, FQN and audit fields. Returns
    /// its number n: the row's id ends in n and its hash column holds `h{n}`.
    async fn entity(&mut self, table: &str, doc: Value) -> u32 {
        self.next += 1;
        let n = self.next;
        let mut doc = doc;
        let fields = doc.as_object_mut().unwrap();
        for (key, value) in [
            (
                "id",
                Value::from(format!("00000000-0000-0000-0000-{n:012}")),
            ),
            ("name", Value::from(format!("{table}_{n}"))),
            (
                "fullyQualifiedName",
                Value::from(format!("svc.{table}_{n}")),
            ),
            ("updatedAt", Value::from(1_700_000_000_000_i64 + n as i64)),
            ("updatedBy", Value::from("admin")),
            ("deleted", Value::from(false)),
        ] {
            fields.entry(key).or_insert(value);
        }
        let def = self
            .tables
            .iter()
            .find(|t| t.name == table)
            .unwrap_or_else(|| panic!("no table {table} in the fixture"));
        let mut columns = Vec::new();
        let mut values = Vec::new();
        for column in def.insertable() {
            columns.push(column.to_string());
            values.push(if column == "json" {
                format!("'{}'", doc.to_string().replace('\'', "''"))
            } else {
                format!("'h{n}'")
            });
        }
        self.sql(&format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            values.join(", ")
        ))
        .await;
        n
    }

    async fn row(&self, table: &str, columns: &str, values: &[String]) {
        for value in values {
            self.sql(&format!("INSERT INTO {table} ({columns}) VALUES ({value})"))
                .await;
        }
    }
}

fn service(service_type: &str, config: Value) -> Value {
    serde_json::json!({"serviceType": service_type, "connection": {"config": config}})
}

/// The count every probe of the catalogue must give on the fixture below: (probe, MySQL,
/// PostgreSQL). Probes written for one engine count 0 on the other ("does not apply").
const PROBE_CASES: [(&str, i64, i64); 53] = [
    // 1.0: two users share dave@x.com exactly; bob@x.com and BOB@x.com collide only under MySQL's
    // case-insensitive collation, as the unique key would.
    ("users-sharing-an-email", 4, 2),
    // 1.1: services of the probed type with the key, against one of that type without it and
    // one of another type with it.
    ("password-outside-auth-type", 2, 2),
    ("looker-github-credentials", 1, 1),
    ("bigquery-gcs-config", 1, 1),
    ("datalake-gcs-config", 1, 1),
    // 1.2: three queries, two without a table path to a service (MySQL deletes them; on
    // PostgreSQL the statement deletes none and every query stays without a service).
    ("unlinked-queries", 2, 0),
    ("postgres-queries-left-without-service", 0, 3),
    // One Domo service of each type with sandboxDomain, one of each with instanceDomain only.
    ("domo-database-sandbox-domain", 1, 1),
    ("domo-dashboard-sandbox-domain", 1, 1),
    ("domo-pipeline-sandbox-domain", 1, 1),
    ("postgres-domo-without-sandbox-domain", 0, 3),
    // Two DatabaseMetadata pipelines with the option, a DashboardMetadata one without, a
    // usage pipeline with both options.
    ("metadata-pipelines-with-view-parsing-timeout", 2, 2),
    (
        "postgres-metadata-pipelines-without-view-parsing-timeout",
        0,
        1,
    ),
    ("metadata-pipelines-with-mark-all-deleted-tables", 1, 1),
    // 1.2.3: a Databricks service with useUnityCatalog true, one with false, a UnityCatalog one
    // with the flag.
    ("databricks-services-with-unity-catalog", 1, 1),
    // 3 extra rows: one key three times, another twice, a third once.
    ("duplicate-time-series-rows", 3, 3),
    ("draft-glossary-terms", 2, 2),
    // 1.3
    ("fernet-encrypted-connections", 1, 1),
    // Two alerts of the operator's, the server's ActivityFeedAlert and DataInsightReport.
    ("alerts-deleted", 2, 2),
    ("secret-manager-references", 1, 1),
    // The test database is not named openmetadata_db; MySQL only.
    ("schema-not-named-openmetadata-db", 1, 0),
    ("custom-metrics-extension-rows", 2, 2),
    ("test-cases-with-failure-status", 1, 1),
    ("test-results-with-failure-status", 2, 2),
    // This database has data_quality_data_time_series: the pre-1.2 probe does not apply.
    ("pre-1-2-test-results-with-failure-status", 0, 0),
    // 1.4.6: 'alice' repeats 'Alice' (deleted by name), 'robert' has BOB@x.com and 'dave2'
    // dave@x.com (deleted by email among the users left).
    ("users-colliding-by-case", 3, 3),
    // 1.4.7: of the users 1.4.6 leaves, 'carol2' has the FQN CAROL; 'alice' would collide too
    // but 1.4.6 has deleted it already.
    ("users-colliding-by-fqn-case", 1, 1),
    // 1.5: a table, a topic and a conversation thread with owner, a table with owners only.
    ("entities-with-single-owner", 3, 3),
    // A domain, a persona, a search service and an installed app with owner; a data product,
    // a document and three apps without.
    ("domain-entities-with-single-owner", 4, 4),
    // A version row and a custom-property row with owner, a version row without.
    ("entity-versions-with-single-owner", 2, 2),
    ("custom-properties-of-removed-types", 3, 3),
    ("deltalake-metastore-connection", 1, 1),
    // 1.6: three results of test cases that do not exist, one of an existing test case.
    ("orphan-test-results", 3, 3),
    // 1.7: a Databricks service without httpPath, one with it, a Trino one without.
    ("databricks-without-http-path", 1, 1),
    // 1.10.5: two workflow runs in the Flowable history the migration empties.
    ("governance-workflow-runs-in-history", 2, 2),
    // 1.10: three terms with status and no entityStatus, one with both, one with neither.
    ("glossary-terms-with-status", 3, 3),
    ("active-data-contracts", 2, 2),
    // 1.11.6: the second DatabaseMetadata pipeline sets overrideLineage, the usage one too.
    ("metadata-pipelines-with-override-lineage", 1, 1),
    // 1.11.8: a Salesforce service with sobjectName, one with sobjectNames.
    ("salesforce-services-with-sobject-name", 1, 1),
    // 1.11.9: the six 1.2 duplicate rows of entity_extension_time_series; MySQL only.
    ("mysql-time-series-rows-rebuilt", 6, 0),
    // 1.11.11: a Rest service with the flat openAPISchemaURL, one with the nested one.
    ("rest-services-with-flat-schema-url", 1, 1),
    // 1.11.12: an OpenLineage service with flat Kafka fields, one with brokerConfig; a Redshift
    // service with password, one with authType.password.
    ("openlineage-services-with-flat-kafka-fields", 1, 1),
    ("redshift-password-outside-auth-type", 1, 1),
    // 1.12.7: the two version rows of entity_extension (three other rows are not versions).
    ("entity-versions-rewritten", 2, 2),
    // 1.12.9: one profile key three times, another once, two rows without metric (operation
    // NULL, which the unique key never rejected); PostgreSQL only.
    ("postgres-duplicate-profile-rows", 0, 2),
    // 1.13.4: a page link and a port to a column, against a column link of another relation
    // and a port to a table.
    ("column-links-deleted", 2, 2),
    // 1.12: a database and a dashboard service with a dot in the name (every other service has
    // none); one of two API services; one of three data products has ports.
    ("services-with-dots-in-name", 2, 2),
    ("api-services-with-dots-in-name", 1, 1),
    ("data-products-with-ports", 1, 1),
    // 1.13
    ("iceberg-services", 1, 1),
    // 2.0
    ("tasks-and-announcements", 3, 3),
    ("suggestions", 2, 2),
    ("installed-mcp-apps", 2, 2),
];

/// Writes k affected and m unaffected rows for every probe (see [`PROBE_CASES`]).
async fn fill_probe_cases(f: &mut ProbeFixture) {
    use serde_json::json;
    let ids = |n: u32| format!("00000000-0000-0000-0001-{n:012}");
    // 1.1
    for (kind, config) in [
        ("Mysql", json!({"username": "om", "password": "pw"})),
        ("Postgres", json!({"username": "om", "password": "pw"})),
        ("Mysql", json!({"authType": {"password": "pw"}})),
        ("Snowflake", json!({"password": "pw"})),
        (
            "BigQuery",
            json!({"credentials": {"gcsConfig": {"type": "service_account"}}}),
        ),
        (
            "BigQuery",
            json!({"credentials": {"gcpConfig": {"type": "service_account"}}}),
        ),
        (
            "Datalake",
            json!({"configSource": {"securityConfig": {"gcsConfig": {"type": "x"}}}}),
        ),
        (
            "Datalake",
            json!({"configSource": {"securityConfig": {"gcpConfig": {"type": "x"}}}}),
        ),
        (
            "DomoDatabase",
            json!({"sandboxDomain": "https://acme.domo.com"}),
        ),
        (
            "DomoDatabase",
            json!({"instanceDomain": "https://acme.domo.com"}),
        ),
        (
            "DeltaLake",
            json!({"metastoreConnection": {"metastoreHostPort": "h:9083"}}),
        ),
        (
            "DeltaLake",
            json!({"configSource": {"connection": {"metastoreHostPort": "h:9083"}}}),
        ),
        ("Iceberg", json!({"catalog": {"name": "c"}})),
        ("Trino", json!({"password": "fernet:gAAAAABk"})),
        ("Databricks", json!({"hostPort": "h:443"})),
        (
            "Databricks",
            json!({"hostPort": "h:443", "httpPath": "/sql/1.0/warehouses/w"}),
        ),
        (
            "Databricks",
            json!({"hostPort": "h:443", "httpPath": "/p", "useUnityCatalog": true}),
        ),
        (
            "Databricks",
            json!({"hostPort": "h:443", "httpPath": "/p", "useUnityCatalog": false}),
        ),
        (
            "UnityCatalog",
            json!({"hostPort": "h:443", "useUnityCatalog": true}),
        ),
        ("Salesforce", json!({"sobjectName": "Account"})),
        ("Salesforce", json!({"sobjectNames": ["Account"]})),
        ("Redshift", json!({"username": "om", "password": "pw"})),
        (
            "Redshift",
            json!({"username": "om", "authType": {"password": "pw"}}),
        ),
    ] {
        f.entity("dbservice_entity", service(kind, config)).await;
    }
    let mut dotted = service("Mysql", json!({"hostPort": "h:3306"}));
    dotted["name"] = json!("prod.mysql");
    f.entity("dbservice_entity", dotted).await;
    let mut dotted = service("Looker", json!({"clientId": "c"}));
    dotted["name"] = json!("bi.looker");
    f.entity("dashboard_service_entity", dotted).await;
    // 1.0 / 1.4.6 / 1.4.7 users, in id order: (name, email, fullyQualifiedName).
    for (name, email, fqn) in [
        ("Alice", "alice@x.com", "Alice"),
        ("alice", "alice.b@x.com", "alice"),
        ("bob", "bob@x.com", "bob"),
        ("robert", "BOB@x.com", "robert"),
        ("carol", "carol@x.com", "carol"),
        ("carol2", "carol2@x.com", "CAROL"),
        ("dave", "dave@x.com", "dave"),
        ("dave2", "dave@x.com", "dave2"),
    ] {
        f.entity(
            "user_entity",
            json!({"name": name, "email": email, "fullyQualifiedName": fqn}),
        )
        .await;
    }
    // 1.3 alerts
    for name in [
        "ActivityFeedAlert",
        "DataInsightReport",
        "slack-on-schema-change",
        "failed-tests",
    ] {
        f.entity("event_subscription_entity", json!({"name": name}))
            .await;
    }
    for (kind, config) in [
        (
            "Looker",
            json!({"githubCredentials": {"repositoryName": "r"}}),
        ),
        ("Looker", json!({"clientId": "c"})),
        (
            "Tableau",
            json!({"githubCredentials": {"repositoryName": "r"}}),
        ),
        (
            "DomoDashboard",
            json!({"sandboxDomain": "https://acme.domo.com"}),
        ),
        (
            "DomoDashboard",
            json!({"instanceDomain": "https://acme.domo.com"}),
        ),
    ] {
        f.entity("dashboard_service_entity", service(kind, config))
            .await;
    }
    for (kind, config) in [
        (
            "DomoPipeline",
            json!({"sandboxDomain": "https://acme.domo.com"}),
        ),
        (
            "DomoPipeline",
            json!({"instanceDomain": "https://acme.domo.com"}),
        ),
        ("Airflow", json!({"password": "secret:/om/airflow"})),
        (
            "OpenLineage",
            json!({"brokersUrl": "kafka:9092", "topicName": "openlineage"}),
        ),
        (
            "OpenLineage",
            json!({"brokerConfig": {"brokersUrl": "kafka:9092", "topicName": "openlineage"}}),
        ),
    ] {
        f.entity("pipeline_service_entity", service(kind, config))
            .await;
    }
    // 1.2 queries: Q1 has no table; Q2's schema has no database; Q3 reaches its service.
    for n in 1..=3 {
        f.entity(
            "query_entity",
            json!({"id": ids(n), "query": format!("SELECT {n}"), "checksum": format!("c{n}")}),
        )
        .await;
    }
    let relation = |from: u32, to: u32, from_entity: &str, to_entity: &str| {
        format!(
            "'{}', '{}', '{from_entity}', '{to_entity}', 0, FALSE",
            ids(from),
            ids(to)
        )
    };
    f.row(
        "entity_relationship",
        "fromId, toId, fromEntity, toEntity, relation, deleted",
        &[
            relation(20, 2, "table", "query"),
            relation(21, 20, "databaseSchema", "table"),
            relation(30, 3, "table", "query"),
            relation(31, 30, "databaseSchema", "table"),
            relation(32, 31, "database", "databaseSchema"),
            relation(33, 32, "databaseService", "database"),
        ],
    )
    .await;
    // 1.13.4: links to columns the migration deletes (relations 10, 23), and two it keeps.
    f.row(
        "entity_relationship",
        "fromId, toId, fromEntity, toEntity, relation, deleted",
        &[
            "'col1', 'page1', 'tableColumn', 'page', 10, FALSE".into(),
            "'dp1', 'col2', 'dataProduct', 'tableColumn', 23, FALSE".into(),
            "'col3', 'page2', 'tableColumn', 'page', 0, FALSE".into(),
            "'dp2', 'tbl1', 'dataProduct', 'table', 24, FALSE".into(),
        ],
    )
    .await;
    // 1.12.9: profile rows; the key of p1 three times, p2 once, p3 twice without a metric.
    let profile =
        |key: &str, doc: &str| format!("'{key}', 'table.tableProfile', 'tableProfile', '{doc}'");
    let with_metric = r#"{"metric": "rowCount", "timestamp": 1}"#;
    let without_metric = r#"{"timestamp": 1}"#;
    f.row(
        "profiler_data_time_series",
        "entityFQNHash, extension, jsonSchema, json",
        &[
            profile("p1", with_metric),
            profile("p1", with_metric),
            profile("p1", with_metric),
            profile("p2", with_metric),
            profile("p3", without_metric),
            profile("p3", without_metric),
        ],
    )
    .await;
    for (pipeline_type, config) in [
        (
            "metadata",
            json!({"type": "DatabaseMetadata", "viewParsingTimeoutLimit": 300, "markAllDeletedTables": true}),
        ),
        (
            "metadata",
            json!({"type": "DatabaseMetadata", "viewParsingTimeoutLimit": 300, "overrideLineage": true}),
        ),
        ("metadata", json!({"type": "DashboardMetadata"})),
        (
            "usage",
            json!({"type": "DatabaseUsage", "viewParsingTimeoutLimit": 300, "markAllDeletedTables": true, "overrideLineage": false}),
        ),
    ] {
        f.entity(
            "ingestion_pipeline_entity",
            json!({"pipelineType": pipeline_type, "sourceConfig": {"config": config}}),
        )
        .await;
    }
    let mut series = Vec::new();
    for (key, times) in [("d1", 3), ("d2", 2), ("d3", 1)] {
        for _ in 0..times {
            series.push(format!(
                "'{key}', 'table.tableProfile', 'tableProfile', '{{\"timestamp\": 1}}'"
            ));
        }
    }
    f.row(
        "entity_extension_time_series",
        "entityFQNHash, extension, jsonSchema, json",
        &series,
    )
    .await;
    for doc in [
        json!({"status": "Draft"}),
        json!({"status": "Draft"}),
        json!({"status": "Approved"}),
        json!({"status": "Approved", "entityStatus": "Approved"}),
        json!({}),
    ] {
        f.entity("glossary_term_entity", doc).await;
    }
    // 1.3
    let owner = json!({"id": "o", "type": "team"});
    f.row(
        "entity_extension",
        "id, extension, jsonSchema, json",
        &[
            "'e1', 'table.customMetrics', 'customMetric', '{}'".into(),
            "'e2', 'column.customMetrics', 'customMetric', '{}'".into(),
            "'e3', 'table.version.0.1', 'table', '{}'".into(),
            format!("'e4', 'table.version.0.2', 'table', '{{\"owner\": {owner}}}'"),
            format!("'e5', 'table.customProperty', 'table', '{{\"owner\": {owner}}}'"),
        ],
    )
    .await;
    let mut test_cases = Vec::new();
    for doc in [
        json!({"testCaseResult": {"testCaseFailureStatus": {"testCaseFailureStatusType": "Ack"}}}),
        json!({"testCaseResult": {"testCaseStatus": "Failed"}}),
    ] {
        test_cases.push(f.entity("test_case", doc).await);
    }
    f.later_table(
        "data_quality_data_time_series",
        "entityFQNHash VARCHAR(768), extension VARCHAR(256) NOT NULL, jsonSchema VARCHAR(256) NOT NULL",
    )
    .await;
    f.row(
        "data_quality_data_time_series",
        "entityFQNHash, extension, jsonSchema, json",
        &[
            "'t1', 'testCase.testCaseResult', 'r', '{\"testCaseFailureStatus\": {}}'".into(),
            "'t2', 'testCase.testCaseResult', 'r', '{\"testCaseFailureStatus\": {}}'".into(),
            "'t3', 'testCase.testCaseResult', 'r', '{\"testCaseStatus\": \"Success\"}'".into(),
            // 1.6: the only result of a test case that exists.
            format!(
                "'h{}', 'testCase.testCaseResult', 'r', '{{\"testCaseStatus\": \"Success\"}}'",
                test_cases[0]
            ),
        ],
    )
    .await;
    // 1.5
    f.entity("table_entity", json!({"owner": owner})).await;
    f.entity("table_entity", json!({"owners": [owner]})).await;
    f.entity("table_entity", json!({})).await;
    f.entity("topic_entity", json!({"owner": owner})).await;
    f.entity(
        "thread_entity",
        json!({"id": ids(200), "type": "Conversation", "about": "<#E::table::t>",
            "threadTs": 1, "createdBy": "admin", "owner": owner}),
    )
    .await;
    for table in [
        "domain_entity",
        "data_product_entity",
        "stored_procedure_entity",
        "search_index_entity",
        "search_service_entity",
        "persona_entity",
        "doc_store",
        "apps_marketplace",
    ] {
        f.later_table(table, "id VARCHAR(36) NOT NULL").await;
    }
    let with_owner = format!("'{{\"owner\": {owner}}}'");
    for (table, json) in [
        ("domain_entity", with_owner.as_str()),
        ("persona_entity", with_owner.as_str()),
        ("search_service_entity", with_owner.as_str()),
        ("data_product_entity", "'{}'"),
        ("doc_store", "'{}'"),
    ] {
        f.row(table, "id, json", &[format!("'x1', {json}")]).await;
    }
    // 1.12: one more data product with ports, one without.
    f.row(
        "data_product_entity",
        "id, json",
        &[
            "'x2', '{\"inputPorts\": [{\"name\": \"in\"}]}'".into(),
            "'x3', '{\"name\": \"no ports\"}'".into(),
        ],
    )
    .await;
    f.later_table(
        "api_service_entity",
        "id VARCHAR(36) NOT NULL, name VARCHAR(256) NOT NULL",
    )
    .await;
    f.row(
        "api_service_entity",
        "id, name, json",
        &[
            "'s1', 'api.rest', '{}'".into(),
            "'s2', 'api_rest', '{}'".into(),
            // 1.11.11: the flat schema URL the migration nests, and an already nested one.
            r#"'s3', 'rest_flat', '{"serviceType": "Rest", "name": "rest_flat", "connection": {"config": {"openAPISchemaURL": "https://x/openapi.json"}}}'"#.into(),
            r#"'s4', 'rest_nested', '{"serviceType": "Rest", "name": "rest_nested", "connection": {"config": {"openAPISchemaConnection": {"openAPISchemaURL": "https://x/openapi.json"}}}}'"#.into(),
        ],
    )
    .await;
    // 1.10.5: Flowable's history table, upper case on MySQL as Flowable creates it.
    f.later_table("ACT_HI_PROCINST", "ID_ VARCHAR(64) NOT NULL")
        .await;
    f.row(
        "ACT_HI_PROCINST",
        "ID_, json",
        &["'p1', '{}'".into(), "'p2', '{}'".into()],
    )
    .await;
    let property = |name: &str, kind: &str| json!({"name": name, "propertyType": {"name": kind}});
    f.entity(
        "type_entity",
        json!({"customProperties": [property("a", "date"), property("b", "string"), property("c", "dateTime")]}),
    )
    .await;
    f.entity(
        "type_entity",
        json!({"customProperties": [property("d", "time")]}),
    )
    .await;
    f.entity("type_entity", json!({})).await;
    // 1.10
    f.later_table("data_contract_entity", "id VARCHAR(36) NOT NULL")
        .await;
    f.row(
        "data_contract_entity",
        "id, json",
        &[
            "'c1', '{\"status\": \"Active\"}'".into(),
            "'c2', '{\"status\": \"Active\"}'".into(),
            "'c3', '{\"status\": \"Active\", \"entityStatus\": \"Approved\"}'".into(),
            "'c4', '{\"status\": \"Draft\"}'".into(),
        ],
    )
    .await;
    // 2.0
    for (n, kind) in [
        (1, "Task"),
        (2, "Task"),
        (3, "Announcement"),
        (4, "Conversation"),
    ] {
        let mut doc = json!({"id": ids(100 + n), "type": kind, "about": "<#E::table::t>",
            "threadTs": 1, "createdBy": "admin"});
        if kind == "Task" {
            doc["task"] = json!({"id": n, "status": "Open"});
        }
        f.entity("thread_entity", doc).await;
    }
    f.later_table("suggestions", "id VARCHAR(36) NOT NULL")
        .await;
    f.row(
        "suggestions",
        "id, json",
        &["'s1', '{}'".into(), "'s2', '{}'".into()],
    )
    .await;
    f.later_table(
        "installed_apps",
        "id VARCHAR(36) NOT NULL, name VARCHAR(256) NOT NULL",
    )
    .await;
    f.row(
        "installed_apps",
        "id, name, json",
        &[
            "'a1', 'McpApplication', '{}'".into(),
            "'a2', 'McpChatApplication', '{}'".into(),
            "'a3', 'SearchIndexingApplication', '{}'".into(),
            format!("'a4', 'DataInsightsApplication', {with_owner}"),
        ],
    )
    .await;
}

/// Every probe of the catalogue, on a database holding exactly k rows or services the
/// migration touches and m it leaves alone, counts k on both engines. A probe added to the
/// catalogue without a case here fails the test.
#[tokio::test]
async fn every_probe_counts_exactly_its_k_affected_rows_on_both_engines() {
    use om_upgrade::knowledge::Catalogue;
    let catalogue = Catalogue::load(None).unwrap();
    let probes: Vec<_> = catalogue
        .releases()
        .iter()
        .flat_map(|r| &r.items)
        .flat_map(|i| &i.probes)
        .collect();
    let mut listed: Vec<&str> = PROBE_CASES.iter().map(|c| c.0).collect();
    listed.sort();
    let mut known: Vec<&str> = probes.iter().map(|p| p.id.as_str()).collect();
    known.sort();
    assert_eq!(
        listed, known,
        "every probe needs a case here, and only those"
    );

    for engine in ENGINES {
        let test_db = TestDb::new(engine).await;
        let mut fixture = ProbeFixture::new(test_db.connect().await, None).await;
        fill_probe_cases(&mut fixture).await;
        let session = ProbeSession::default();
        let mut wrong = Vec::new();
        for probe in &probes {
            let (_, mysql, postgres) = PROBE_CASES.iter().find(|c| c.0 == probe.id).unwrap();
            let want = match engine {
                Engine::Mysql => *mysql,
                Engine::Postgres => *postgres,
            };
            let result = session.run(&fixture.db, probe).await;
            if result.count() != Some(want) {
                wrong.push(format!(
                    "{}: want {want}, got {:?}",
                    probe.id, result.outcome
                ));
            }
        }
        session.close().await;
        assert!(wrong.is_empty(), "{engine}: {wrong:#?}");
        fixture.db.close().await;
    }
}

/// The pre-1.2 sibling of the 1.3 test-result probe on a 1.1 database (results still in
/// entity_extension_time_series, no data_quality_data_time_series): k = 2, while the probe for
/// the newer layout does not apply.
#[tokio::test]
async fn the_1_1_test_result_probe_counts_k_where_the_results_still_are() {
    use om_upgrade::knowledge::Catalogue;
    let catalogue = Catalogue::load(None).unwrap();
    let probe = |id: &str| {
        catalogue
            .releases()
            .iter()
            .flat_map(|r| &r.items)
            .flat_map(|i| &i.probes)
            .find(|p| p.id == id)
            .unwrap()
            .clone()
    };
    for engine in ENGINES {
        let test_db = TestDb::new(engine).await;
        let fixture = ProbeFixture::new(
            test_db.connect().await,
            Some(&["entity_extension_time_series"]),
        )
        .await;
        fixture
            .row(
                "entity_extension_time_series",
                "entityFQNHash, extension, jsonSchema, json",
                &[
                    "'r1', 'testCase.testCaseResult', 'r', '{\"timestamp\": 1, \"testCaseFailureStatus\": {}}'".into(),
                    "'r2', 'testCase.testCaseResult', 'r', '{\"timestamp\": 2, \"testCaseFailureStatus\": {}}'".into(),
                    "'r3', 'testCase.testCaseResult', 'r', '{\"timestamp\": 3}'".into(),
                    "'r4', 'table.tableProfile', 'p', '{\"timestamp\": 4, \"testCaseFailureStatus\": {}}'".into(),
                ],
            )
            .await;
        let session = ProbeSession::default();
        let old = session
            .run(
                &fixture.db,
                &probe("pre-1-2-test-results-with-failure-status"),
            )
            .await;
        assert_eq!(old.count(), Some(2), "{engine}: {:?}", old.outcome);
        let new = session
            .run(&fixture.db, &probe("test-results-with-failure-status"))
            .await;
        assert!(
            matches!(
                new.outcome,
                om_upgrade::knowledge::probes::ProbeOutcome::OtherSchema { .. }
            ),
            "{engine}: {:?}",
            new.outcome
        );
        session.close().await;
        fixture.db.close().await;
    }
}
