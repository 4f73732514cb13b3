//! The report from a fixed set of outcomes: golden files for the three formats (a fixed clock,
//! user and host, so nothing in them changes from run to run), the JSON against its schema,
//! acknowledgements, and secrets kept out of every format.
//!
//! `OMU_UPDATE_GOLDEN=1 cargo test --lib report::` rewrites the golden files after an intended
//! change; review the diff before committing it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::model::{BackupFacts, Readiness, StepStatus, Verified};
use super::review::{FoundIn, ReleaseReview, ReviewCounts, ReviewItem, Stop, Verdict};
use super::*;
use crate::checks::runner::CheckResult;
use crate::checks::{CheckId, Outcome};
use crate::config::{self, DbInputs, Env};
use crate::version::Version;

fn result(id: &'static str, title: &str, outcome: Outcome) -> CheckResult {
    CheckResult {
        id: CheckId::new(id),
        title: title.into(),
        step: crate::checks::registered_step(id),
        outcome,
        duration: Duration::from_millis(42),
    }
}

fn stamp() -> Stamp {
    Stamp {
        at: "2026-11-26T10:00:05Z".parse().unwrap(),
        user: "operator".into(),
        host: "jump-host".into(),
        tool_version: "0.0.0-test".into(),
    }
}

fn database() -> DatabaseView {
    DatabaseView {
        engine: "postgres".into(),
        host: "db.internal".into(),
        port: 5432,
        database: "openmetadata_db".into(),
        schema: Some("public".into()),
        user: "openmetadata_user".into(),
    }
}

fn results() -> Vec<CheckResult> {
    vec![
        result(
            "db.connect",
            "Database reachable, login works",
            Outcome::pass(
                "connected to postgres://openmetadata_user@db.internal:5432/openmetadata_db in 12 ms",
            )
            .detail("TLS", "no (plain TCP)")
            .detail("user from", "env DB_USER"),
        ),
        result(
            "db.server_version",
            "Database server version",
            Outcome::pass("PostgreSQL 15.19 (OpenMetadata 1.2.0 documents 12 to 16)"),
        ),
        result(
            "db.openmetadata",
            "OpenMetadata database and its version",
            Outcome::pass("OpenMetadata schema 1.1.5 in schema 'public' of database 'openmetadata_db'")
                .detail("schema version", "1.1.5")
                .detail("tables", "55"),
        ),
        result(
            "db.sort_memory",
            "Sort memory for the migration",
            Outcome::warn("work_mem is 4.0 MiB; migrations on large query tables can fail with \"Out of sort memory\"")
                .fix("Before the migration run `ALTER DATABASE \"openmetadata_db\" SET work_mem = '20MB';` (new sessions pick it up), and `ALTER DATABASE \"openmetadata_db\" RESET work_mem;` afterwards."),
        ),
        result(
            "backup.disk_space",
            "Room for a backup",
            Outcome::pass("67.4 GiB free in /var/backups/om for a backup of about 2.1 MiB"),
        ),
        result(
            "backup.recent",
            "A recent verified backup of this database",
            Outcome::pass("verified backup taken 2 min ago")
                .detail("file", "/var/backups/om/openmetadata_db-20261126-0957.sql.zst")
                .detail("size", "2.1 MiB"),
        ),
        result(
            "release.path",
            "Upgrade path to the target release",
            Outcome::pass("1.1.5 → 1.2.0: 4 items in 1 release (2 breaking, 1 connection, 1 config)")
                .fix("Review every item with `om-upgrade releases --to 1.2.0` and the same connection settings."),
        ),
        result(
            "release.query_service_required",
            "Queries need a query service (1.2)",
            Outcome::warn("37 queries will be deleted by the migration")
                .detail("orphan-queries", "37 queries will be deleted by the migration")
                .line("e.g. select * from sales where region = 'EMEA'")
                .fix("Attach each query to a query service before upgrading, or accept that they go."),
        ),
        result(
            "release.workflows",
            "Ingestion workflow YAMLs against the connection changes",
            Outcome::warn("1 place in workflow YAMLs to change for 1.1.5 → 1.2.0")
                .detail("/etc/om/workflows/domo.yaml:12", "sandboxDomain is set (DomoDatabase) — Domo sandboxDomain renamed")
                .fix("Edit each place as its item says; `om-upgrade releases` shows what to do for each."),
        ),
        result(
            "clients.python",
            "Python version of the ingestion clients",
            Outcome::pass("/opt/airflow/venv/bin/python: Python 3.10.14 is supported by 1.2.0"),
        ),
        result(
            "clients.ingestion",
            "openmetadata-ingestion matches the target",
            Outcome::fail("/opt/airflow/venv/bin/python: openmetadata-ingestion 1.1.7.5 is not 1.2.0")
                .detail("/opt/airflow/venv/bin/python", "FAIL 1.1.7.5 → ==1.2.0.*")
                .fix("For /opt/airflow/venv/bin/python, run:\n    /opt/airflow/venv/bin/python -m pip install \"openmetadata-ingestion[mysql,postgres]==1.2.0.*\""),
        ),
        result(
            "clients.airflow",
            "Airflow version for the target",
            Outcome::skip("apache-airflow is not installed in the 1 interpreter(s) found"),
        ),
        result(
            "secrets.fernet",
            "Fernet key against the stored secrets",
            Outcome::pass("the key opens the 2 sampled secrets of 3 rows"),
        ),
        result(
            "search.version",
            "Search engine version against the target",
            Outcome::pass("OpenSearch 2.19.1 is supported by OpenMetadata 1.2.0 (OpenSearch 1.3 or newer)"),
        ),
        result(
            "search.health",
            "Search cluster health",
            Outcome::pass("cluster 'om' is green"),
        ),
        result(
            "server.version",
            "Running OpenMetadata server version",
            Outcome::pass("OpenMetadata 1.1.5 answers at http://openmetadata:8585/api"),
        ),
    ]
}

fn item(key: &str, kind: &str, title: &str, verdict: Verdict) -> ReviewItem {
    let (release, id) = key.split_once('/').unwrap();
    ReviewItem {
        key: key.into(),
        release: release.into(),
        id: id.into(),
        kind: kind.into(),
        title: title.into(),
        verdict,
        summary: String::new(),
        evidence: Vec::new(),
        found_in: Vec::new(),
        action: "Read the upgrade notes.".into(),
        source: "https://docs.open-metadata.org/latest/deployment/upgrade/versions/110-to-120"
            .into(),
        acknowledged: false,
    }
}

fn review(acknowledged: &BTreeSet<String>) -> ReleaseReview {
    let mut items = vec![
        ReviewItem {
            summary: "37 queries will be deleted by the migration".into(),
            evidence: vec![
                "37 queries will be deleted by the migration".into(),
                "e.g. select * from sales where region = 'EMEA'".into(),
            ],
            found_in: vec![FoundIn::Database],
            action:
                "Attach each query to a query service before upgrading, or accept that they go."
                    .into(),
            ..item(
                "1.2/query-service-required",
                "breaking",
                "Queries need a query service",
                Verdict::Affects,
            )
        },
        ReviewItem {
            summary: "/etc/om/workflows/domo.yaml:12: sandboxDomain is set (DomoDatabase)".into(),
            evidence: vec![
                "/etc/om/workflows/domo.yaml:12: sandboxDomain is set (DomoDatabase)".into(),
            ],
            found_in: vec![FoundIn::Workflows],
            action: "Rename sandboxDomain to instanceDomain in the Domo connections.".into(),
            ..item(
                "1.2/domo-sandbox-domain-renamed",
                "connection",
                "Domo sandboxDomain renamed",
                Verdict::Affects,
            )
        },
        ReviewItem {
            summary: "does not affect you: openmetadata.yaml does not use it".into(),
            evidence: vec!["openmetadata.yaml does not use it".into()],
            ..item(
                "1.2/secrets-manager-loader",
                "config",
                "secretsManagerLoader added",
                Verdict::NotAffected,
            )
        },
        ReviewItem {
            summary: "om-upgrade cannot measure this one: read it and decide".into(),
            ..item(
                "1.2/search-reindex",
                "breaking",
                "Reindex search after the upgrade",
                Verdict::Unknown,
            )
        },
    ];
    for item in &mut items {
        item.acknowledged = acknowledged.contains(&item.key);
    }
    ReleaseReview {
        from: "1.1.5".into(),
        to: "1.2.0".into(),
        stops: vec![Stop {
            version: "1.1.7".into(),
            reason: "fixture: a required intermediate release".into(),
        }],
        notes: Vec::new(),
        counts: ReviewCounts {
            items: 4,
            affects: 2,
            not_affected: 1,
            unknown: 1,
            acknowledged: acknowledged.len(),
        },
        items,
    }
}

fn backup() -> BackupFacts {
    BackupFacts {
        path: "/var/backups/om/openmetadata_db-20261126-0957.sql.zst".into(),
        bytes: 2_201_344,
        sha256: Some("9f2c1e0b7a4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e6d5c4b3a".into()),
        taken_at: "2026-11-26T09:57:40Z".into(),
        method: Some("builtin".into()),
        openmetadata_version: Some("1.1.5".into()),
        verified: Verified::Passed,
        verification: Some("55 tables, 2190 rows and every checksum match".into()),
        verified_at: Some("2026-11-26T09:58:02Z".into()),
        restored: true,
        copies: Vec::new(),
        secrets: Some(
            "Fernet-encrypted secrets, written with the key of fingerprint 0123456789abcdef".into(),
        ),
        source: "postgres db.internal:5432/openmetadata_db".into(),
        used_anyway: false,
    }
}

fn inputs() -> Inputs {
    let acknowledged = BTreeSet::from(["1.2/query-service-required".to_string()]);
    Inputs {
        stamp: stamp(),
        via: Via::Report,
        database: database(),
        target: Some(Version::new(1, 2, 0)),
        catalogue: Some(crate::knowledge::Reach {
            newest: Version::new(2, 0, 7),
            checked: Some("2026-12-01".into()),
        }),
        results: results(),
        backup: Some(backup()),
        review: Some(review(&acknowledged)),
        review_missing: None,
        acknowledged,
        strict: false,
        stale: Default::default(),
    }
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares with the golden file, or rewrites it with OMU_UPDATE_GOLDEN=1.
fn assert_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var("OMU_UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with OMU_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the rendered report at line {}:\n  golden:   {:?}\n  rendered: {:?}\n\
             (OMU_UPDATE_GOLDEN=1 rewrites it after an intended change)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

fn report() -> Report {
    Report::build(inputs(), &Redactor::new())
}

#[test]
fn every_verified_copy_off_the_host_is_listed() {
    let mut inputs = inputs();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:01:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let copy = |url: &str, by| crate::backup::manifest::CopyRecord {
        url: url.into(),
        at,
        verified_by: by,
        bytes: 2_201_344,
        sha256: "9f2c".into(),
        checked: None,
    };
    use crate::backup::manifest::VerifiedBy;
    if let Some(b) = inputs.backup.as_mut() {
        b.copies = vec![
            copy("s3://om-backups/prod/b.sql.zst", VerifiedBy::StoreChecksum),
            copy("az://backups/prod/b.sql.zst", VerifiedBy::ReadBack),
        ];
    }
    let report = Report::build(inputs, &Redactor::new());
    for format in [Format::Markdown, Format::Html, Format::Json] {
        let text = format.render(&report);
        for url in [
            "s3://om-backups/prod/b.sql.zst",
            "az://backups/prod/b.sql.zst",
        ] {
            assert!(text.contains(url), "{format:?} misses {url}");
        }
    }
    assert!(
        Format::Markdown
            .render(&report)
            .contains("verified by reading it back")
    );
}

#[test]
fn golden_markdown() {
    assert_golden("report.md", &Format::Markdown.render(&report()));
}

#[test]
fn golden_json() {
    assert_golden("report.json", &Format::Json.render(&report()));
}

#[test]
fn golden_html() {
    assert_golden("report.html", &Format::Html.render(&report()));
}

#[test]
fn the_checklist_follows_the_prerequisites_with_their_facts() {
    let report = report();
    let steps: Vec<(u8, &str, StepStatus, bool)> = report
        .checklist
        .iter()
        .map(|p| (p.number, p.title.as_str(), p.status, p.done))
        .collect();
    assert_eq!(
        steps,
        vec![
            (1, "Database connectivity", StepStatus::Warn, false),
            (2, "Backup", StepStatus::Pass, true),
            // The queries item is acknowledged; the Domo one (workflows) is not.
            (3, "Release review", StepStatus::Warn, false),
            (4, "Client alignment", StepStatus::Fail, false),
            (
                5,
                "Search engine, server and secrets",
                StepStatus::Pass,
                true
            ),
        ]
    );
    assert_eq!(
        report.checklist[4].checks,
        vec![
            "secrets.fernet",
            "search.version",
            "search.health",
            "server.version"
        ]
    );
    assert_eq!(report.checklist[1].backup, Some(backup()));
    assert_eq!(
        report.checklist[3].commands,
        vec![
            "/opt/airflow/venv/bin/python -m pip install \"openmetadata-ingestion[mysql,postgres]==1.2.0.*\""
        ]
    );
    let blockers: Vec<&str> = report.blockers.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(blockers, vec!["clients.ingestion"]);
    let open: Vec<&str> = report
        .open_actions
        .iter()
        .map(|f| f.check.as_str())
        .collect();
    // The reindex item is breaking, cannot be measured and is not acknowledged: open too.
    assert_eq!(
        open,
        vec!["db.sort_memory", "release.workflows", "1.2/search-reindex"]
    );
    assert!(
        report
            .check("release.query_service_required")
            .unwrap()
            .acknowledged
    );
    assert_eq!(report.overall.readiness, Readiness::Blocked);
    assert_eq!(report.overall.exit_code, 1);
    assert_eq!(report.openmetadata.installed.as_deref(), Some("1.1.5"));
}

#[test]
fn acknowledging_everything_leaves_only_real_warnings_and_strict_counts_them() {
    let mut inputs = inputs();
    inputs
        .results
        .retain(|r| r.id.as_str() != "clients.ingestion");
    inputs.acknowledged = BTreeSet::from([
        "1.2/query-service-required".to_string(),
        "1.2/domo-sandbox-domain-renamed".to_string(),
        "1.2/search-reindex".to_string(),
    ]);
    inputs.review = Some(review(&inputs.acknowledged));
    let report = Report::build(inputs.clone(), &Redactor::new());
    assert_eq!(report.checklist[2].status, StepStatus::Pass);
    assert!(report.checklist[2].done);
    assert_eq!(report.overall.readiness, Readiness::ActionsOpen);
    assert_eq!(report.overall.exit_code, 0);
    inputs.strict = true;
    let strict = Report::build(inputs, &Redactor::new());
    assert_eq!(strict.overall.exit_code, 1);
}

/// A breaking item nobody measured is an open action until it is acknowledged, and keeps the
/// release review from being done; one measured not to affect you, or not breaking, is not.
#[test]
fn an_unmeasured_breaking_item_is_open_until_acknowledged() {
    let mut inputs = inputs();
    inputs.results.retain(|r| {
        !matches!(
            r.id.as_str(),
            "clients.ingestion" | "db.sort_memory" | "release.workflows"
        )
    });
    inputs.acknowledged = BTreeSet::from([
        "1.2/query-service-required".to_string(),
        "1.2/domo-sandbox-domain-renamed".to_string(),
    ]);
    inputs.review = Some(review(&inputs.acknowledged));
    let report = Report::build(inputs.clone(), &Redactor::new());
    let open: Vec<(&str, &str)> = report
        .open_actions
        .iter()
        .map(|f| (f.check.as_str(), f.title.as_str()))
        .collect();
    assert_eq!(
        open,
        vec![("1.2/search-reindex", "Reindex search after the upgrade")]
    );
    let finding = &report.open_actions[0];
    assert_eq!(finding.step, Some(crate::checks::Step::ReleaseReview));
    assert!(
        finding
            .summary
            .contains("neither measured nor acknowledged"),
        "{finding:?}"
    );
    assert_eq!(
        finding.remediation.as_deref(),
        Some("Read the upgrade notes.")
    );
    assert_eq!(report.checklist[2].status, StepStatus::Warn);
    assert!(!report.checklist[2].done);
    assert_eq!(report.overall.readiness, Readiness::ActionsOpen);
    let markdown = crate::report::markdown::render(&report);
    assert!(markdown.contains("1.2/search-reindex"), "{markdown}");

    // Its own check could not tell (a probe failed): open once, through that check.
    let mut failed_probe = inputs.clone();
    failed_probe.results.push(result(
        "release.search_reindex",
        "Reindex search after the upgrade",
        Outcome::warn("cannot tell: permission denied for table search_index"),
    ));
    let report = Report::build(failed_probe, &Redactor::new());
    let open: Vec<&str> = report
        .open_actions
        .iter()
        .map(|f| f.check.as_str())
        .collect();
    assert_eq!(open, vec!["release.search_reindex"]);

    inputs.acknowledged.insert("1.2/search-reindex".to_string());
    inputs.review = Some(review(&inputs.acknowledged));
    let report = Report::build(inputs, &Redactor::new());
    assert!(report.open_actions.is_empty(), "{:?}", report.open_actions);
    assert_eq!(report.checklist[2].status, StepStatus::Pass);
}

/// Each check counts towards the step the registry declares for it: a failed search engine
/// blocks the Installation step, the migration's database checks the Database step.
#[test]
fn installation_checks_count_towards_their_own_step() {
    let mut inputs = inputs();
    inputs.results.push(result(
        "db.migration_rights",
        "The user can change the tables",
        Outcome::fail("user 'om' does not own 2 of 55 tables: bot_entity, role_entity"),
    ));
    for r in &mut inputs.results {
        if r.id.as_str() == "search.version" {
            r.outcome = Outcome::fail(
                "Elasticsearch 8.11.4 is older than OpenMetadata 1.12.0 supports: \
                 Elasticsearch 9.0 or newer, OpenSearch 3.0 or newer",
            );
        }
    }
    let report = Report::build(inputs, &Redactor::new());
    let installation = &report.checklist[4];
    assert_eq!(installation.step, crate::checks::Step::Installation);
    assert_eq!(installation.status, StepStatus::Fail);
    assert!(
        installation
            .summary
            .starts_with("search.version: Elasticsearch 8.11.4 is older"),
        "{}",
        installation.summary
    );
    assert!(
        report.checklist[0]
            .checks
            .contains(&"db.migration_rights".to_string())
    );
    let blocker = |id: &str| {
        report
            .blockers
            .iter()
            .find(|f| f.check == id)
            .map(|f| f.step)
    };
    assert_eq!(
        blocker("search.version"),
        Some(Some(crate::checks::Step::Installation))
    );
    assert_eq!(
        blocker("db.migration_rights"),
        Some(Some(crate::checks::Step::Database))
    );
    let markdown = Format::Markdown.render(&report);
    assert!(
        markdown.contains("**5. Search engine, server and secrets**"),
        "{markdown}"
    );
    assert!(markdown.contains("Release catalogue | releases up to 2.0.7, checked 2026-12-01"));
}

#[test]
fn steps_the_wizard_did_not_run_say_so() {
    let mut inputs = inputs();
    inputs.via = Via::Wizard;
    inputs.results.retain(|r| r.id.as_str().starts_with("db."));
    inputs.review = None;
    inputs.backup = None;
    let report = Report::build(inputs, &Redactor::new());
    let statuses: Vec<StepStatus> = report.checklist.iter().map(|p| p.status).collect();
    assert_eq!(
        statuses,
        vec![
            StepStatus::Warn,
            StepStatus::NotRun,
            StepStatus::NotRun,
            StepStatus::NotRun,
            StepStatus::NotRun
        ]
    );
    assert_eq!(
        report.checklist[1].summary,
        "not run in this wizard session"
    );
    let markdown = Format::Markdown.render(&report);
    assert!(
        markdown.contains("- [ ] **2. Backup** (· not run): not run in this wizard session"),
        "{markdown}"
    );
}

#[test]
fn the_json_follows_its_schema() {
    let schema: serde_json::Value = serde_json::from_str(JSON_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema");
    let mut wizard = inputs();
    wizard.via = Via::Wizard;
    wizard.backup = None;
    wizard.review = None;
    wizard.review_missing = Some("no target version given".into());
    wizard.target = None;
    for report in [report(), Report::build(wizard, &Redactor::new())] {
        let text = Format::Json.render(&report);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(text.starts_with("{\n  \"schema_version\": 1,"), "{text}");
        // What the schema says is what the code writes.
        assert_eq!(
            schema["properties"]["schema_version"]["const"],
            SCHEMA_VERSION
        );
    }
    // And it is not a schema that accepts anything.
    let mut broken: serde_json::Value =
        serde_json::from_str(&Format::Json.render(&report())).unwrap();
    broken["checklist"][0]["status"] = "fine".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn markdown_has_no_raw_html_and_html_loads_nothing() {
    let mut inputs = inputs();
    inputs.results[0].outcome.summary =
        "<script>alert(1)</script> <img src=x onerror=alert(2)> | ` ** _x_ [a](javascript:x)"
            .into();
    let report = Report::build(inputs, &Redactor::new());
    let markdown = Format::Markdown.render(&report);
    for (i, _) in markdown.match_indices('<') {
        let rest = &markdown[i..];
        assert!(
            rest.starts_with("<https://") || markdown[..i].ends_with('\\'),
            "raw '<' in the Markdown: {}",
            &rest[..rest.len().min(40)]
        );
    }
    assert!(markdown.contains("\\<script\\>"), "{markdown}");
    let html = Format::Html.render(&report);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script", "<img", "<link", "<iframe", "<object", "<embed", "<video", "<audio", "<source",
        "@import", "url(",
    ] {
        assert!(!lower.contains(banned), "{banned} in the HTML");
    }
    for (i, _) in lower.match_indices("href=\"") {
        assert!(
            lower[i + 6..].starts_with("https://"),
            "a link that is not https: {}",
            &lower[i..i + 40]
        );
    }
}

const SECRETS: [&str; 9] = [
    "Pg-Passw0rd!db",
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.dGhpc2lzYXNpZ25hdHVyZQ",
    "fernet:gAAAAABlZ2V0aGVyc2VjcmV0",
    "AKIAEXAMPLESECRET42",
    "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY",
    "snowflake-pw-31337",
    "jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA=",
    "airflow-admin-pw",
    "client-secret-value-99",
];

/// A report whose checks quote every secret, built with a redactor that learned them from the
/// settings, the environment, an openmetadata.yaml and a workflow YAML: no format shows any.
#[test]
fn no_secret_reaches_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("openmetadata.yaml");
    std::fs::write(
        &config,
        format!(
            "database:\n  host: db.internal\n  user: openmetadata_user\n  password: ${{DB_USER_PASSWORD:-{}}}\n\
             fernetConfiguration:\n  fernetKey: ${{FERNET_KEY:-{}}}\n\
             authenticationConfiguration:\n  oidcConfiguration:\n    secret: {}\n\
             pipelineServiceClientConfiguration:\n  password: {}\n",
            SECRETS[0], SECRETS[6], SECRETS[8], SECRETS[7]
        ),
    )
    .unwrap();
    let workflows = dir.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    std::fs::write(
        workflows.join("snowflake.yaml"),
        format!(
            "source:\n  type: snowflake\n  serviceConnection:\n    config:\n      type: Snowflake\n      \
             username: etl\n      password: {}\n      awsConfig:\n        awsAccessKeyId: {}\n        \
             awsSecretAccessKey: {}\nworkflowConfig:\n  openMetadataServerConfig:\n    securityConfig:\n      \
             jwtToken: {}\n",
            SECRETS[5], SECRETS[3], SECRETS[4], SECRETS[1]
        ),
    )
    .unwrap();
    let env = Env::from_pairs([("DB_USER_PASSWORD", SECRETS[0]), ("FERNET_KEY", SECRETS[6])]);
    let resolved = config::resolve(
        &DbInputs {
            config: Some(config.clone()),
            ..Default::default()
        },
        &env,
    )
    .unwrap();
    let redactor = Redactor::new()
        .with_settings(&resolved.settings)
        .with_env(&env)
        .with_yaml_file(&config, &env)
        .with_yaml_files_in(&workflows, &env);

    let mut inputs = inputs();
    inputs.database = DatabaseView::of(&resolved.settings);
    let all = SECRETS.join(" ");
    inputs.results.push(result(
        "release.config",
        "openmetadata.yaml against the releases' config changes",
        Outcome::warn(format!("quoted config: {all}"))
            .detail("password", SECRETS[0])
            .detail(
                "line",
                format!("password: {} fernetKey: {}", SECRETS[0], SECRETS[6]),
            )
            .line(format!(
                "mysql://om:{}@db:3306/x Bearer {}",
                SECRETS[2], SECRETS[1]
            ))
            .fix(format!("remove {all}")),
    ));
    inputs.backup.as_mut().unwrap().verification = Some(all.clone());
    let review = inputs.review.as_mut().unwrap();
    review.items[0].evidence.push(all.clone());
    review.notes.push(all.clone());
    let report = Report::build(inputs, &redactor);
    for format in Format::ALL {
        let text = format.render(&report);
        for secret in SECRETS {
            assert!(!text.contains(secret), "{} shows {secret}", format.label());
        }
        // Markdown escapes brackets and underscores: compare without the escapes.
        let plain = text.replace('\\', "");
        assert!(plain.contains("[redacted]"), "{}", format.label());
        // Ordinary values stay readable.
        assert!(plain.contains("openmetadata_user"), "{}", format.label());
    }
}

/// The report's structure, by JSON pointer (`*` for any index): built from the registry, the
/// catalogue, the settings and the file system, never rewritten by the redactor.
const STRUCTURAL: [&str; 34] = [
    "/generated/at",
    "/generated/user",
    "/generated/host",
    "/generated/tool",
    "/generated/tool_version",
    "/openmetadata/installed",
    "/openmetadata/target",
    "/openmetadata/catalogue/newest",
    "/openmetadata/catalogue/checked",
    "/database/engine",
    "/database/host",
    "/database/database",
    "/database/schema",
    "/database/user",
    "/checklist/*/title",
    "/checklist/*/checks/*",
    "/checklist/*/backup/path",
    "/checklist/*/backup/sha256",
    "/checklist/*/backup/taken_at",
    "/checklist/*/backup/method",
    "/checklist/*/backup/openmetadata_version",
    "/checklist/*/backup/verified_at",
    "/checklist/*/backup/source",
    "/checklist/*/release_review/from",
    "/checklist/*/release_review/to",
    "/checklist/*/release_review/stops/*/version",
    "/checklist/*/release_review/items/*/key",
    "/checklist/*/release_review/items/*/release",
    "/checklist/*/release_review/items/*/id",
    "/checklist/*/release_review/items/*/kind",
    "/checklist/*/release_review/items/*/source",
    "/blockers/*/check",
    "/open_actions/*/check",
    "/checks/*/id",
];

/// `/checks/3/id` as [`STRUCTURAL`] names it: `/checks/*/id`.
fn field_of(path: &str) -> String {
    path.split('/')
        .map(|part| {
            if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
                "*"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every string field of the report is judged: free text goes through the redactor, structure
/// is left as built. Each field in turn is set to a secret in the serialized form and the
/// report scrubbed again: a free-text field must come out clean, a structural one unchanged.
/// A field added later is free text until it is listed in [`STRUCTURAL`].
#[test]
fn every_text_field_is_scrubbed() {
    const SECRET: &str = "Sup3r-Secret-Value";
    let mut redactor = Redactor::new();
    redactor.secret(SECRET);
    let template = serde_json::to_value(report()).unwrap();
    let mut paths = Vec::new();
    string_paths(&template, String::new(), &mut paths);
    let mut tried = 0;
    let mut structural_seen = BTreeSet::new();
    for path in &paths {
        let mut value = template.clone();
        *value.pointer_mut(path).unwrap() = SECRET.into();
        // Enum fields do not take an arbitrary string: those are not free text.
        let Ok(mut report) = serde_json::from_value::<Report>(value) else {
            continue;
        };
        tried += 1;
        redact::Scrub::scrub(&mut report, &redactor);
        let scrubbed = serde_json::to_value(&report).unwrap();
        let field = field_of(path);
        if STRUCTURAL.contains(&field.as_str()) {
            structural_seen.insert(field);
            assert_eq!(
                scrubbed.pointer(path).unwrap(),
                SECRET,
                "{path} was rewritten"
            );
        } else {
            let text = scrubbed.to_string();
            assert!(!text.contains(SECRET), "{path} is not scrubbed");
        }
    }
    assert!(tried > 50, "only {tried} text fields found");
    let stale: Vec<&&str> = STRUCTURAL
        .iter()
        .filter(|f| !structural_seen.contains(**f))
        .collect();
    assert!(stale.is_empty(), "not in the report: {stale:?}");
}

/// How a format shows an id or a name: in code, or as a JSON string.
fn as_code(format: Format, text: &str) -> String {
    match format {
        Format::Markdown => format!("`{text}`"),
        Format::Html => format!("<code>{text}</code>"),
        Format::Json => format!("\"{text}\""),
    }
}

/// `-u postgres -p postgres` is common on development setups, and a password may be an engine
/// name: the redactor must not rewrite the engine, the user, the ids or the links that spell
/// the same word (the JSON would fail its schema and the links would break), while the free
/// text still hides it.
#[test]
fn a_password_that_is_a_common_word_leaves_the_structure_alone() {
    const ITEM_CHECK: &str = "release.mysql_postgres_auth_type";
    const SOURCE: &str = "https://github.com/open-metadata/OpenMetadata/blob/main/bootstrap/sql/migrations/native/1.2.0/postgres/schemaChanges.sql";
    let schema: serde_json::Value = serde_json::from_str(JSON_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (engine, password) in [
        (crate::db::Engine::Postgres, "postgres"),
        (crate::db::Engine::Mysql, "mysql"),
    ] {
        let settings = config::resolve(
            &DbInputs {
                engine: Some(engine),
                host: Some("db.internal".into()),
                user: Some(password.into()),
                database: Some("openmetadata_db".into()),
                password: Some(password.into()),
                ..Default::default()
            },
            &Env::default(),
        )
        .unwrap()
        .settings;
        let redactor = Redactor::new().with_settings(&settings);
        let mut inputs = inputs();
        inputs.database = DatabaseView::of(&settings);
        inputs.results.push(result(
            ITEM_CHECK,
            "MySQL and Postgres auth type (1.1)",
            Outcome::pass("not part of this upgrade: mysql-postgres-auth-type applies from 1.1.0")
                .detail("login", format!("failed (using password: {password})")),
        ));
        let review = inputs.review.as_mut().unwrap();
        review.items.push(ReviewItem {
            source: SOURCE.into(),
            ..item(
                "1.1/mysql-postgres-auth-type",
                "connection",
                "MySQL and Postgres auth type",
                Verdict::NotAffected,
            )
        });
        review.counts.items += 1;
        review.counts.not_affected += 1;
        let plain = serde_json::to_value(Report::build(inputs.clone(), &Redactor::new())).unwrap();
        let report = Report::build(inputs, &redactor);

        let scrubbed = serde_json::to_value(&report).unwrap();
        let mut paths = Vec::new();
        string_paths(&plain, String::new(), &mut paths);
        let structural: Vec<&String> = paths
            .iter()
            .filter(|p| STRUCTURAL.contains(&field_of(p).as_str()))
            .collect();
        assert!(structural.len() > 30, "{password}: {structural:?}");
        for path in structural {
            assert_eq!(
                scrubbed.pointer(path),
                plain.pointer(path),
                "{password}: {path} was rewritten"
            );
        }
        // The free text still hides it.
        let login = &report.check(ITEM_CHECK).unwrap().details[0].text;
        assert_eq!(login, "failed (using password: [redacted])", "{password}");

        for format in Format::ALL {
            let text = format.render(&report);
            let label = format.label();
            for id in report.checks.iter().map(|c| c.id.as_str()) {
                assert!(
                    text.contains(&as_code(format, id)),
                    "{password}: {label} lost {id}"
                );
            }
            for name in [password, "mysql-postgres-auth-type"] {
                assert!(
                    text.contains(&as_code(format, name)),
                    "{password}: {label} lost {name}"
                );
            }
            assert!(
                text.contains(SOURCE),
                "{password}: {label} broke the source link"
            );
        }
        let json: serde_json::Value = serde_json::from_str(&Format::Json.render(&report)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{password}: {errors:#?}");
        assert_eq!(json["database"]["engine"], engine.to_string());
        assert_eq!(json["database"]["user"], password);
    }
}

fn string_paths(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(_) => out.push(at),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                string_paths(item, format!("{at}/{i}"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                string_paths(item, format!("{at}/{key}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn default_names_sort_by_time_and_carry_the_format() {
    let at = "2026-11-26T10:00:05Z".parse().unwrap();
    assert_eq!(
        default_file_name(at, Format::Html),
        "om-upgrade-report-20261126-100005.html"
    );
}
