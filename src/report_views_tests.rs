//! The two views of a run write one report: `om-upgrade report` and the wizard's export, given
//! the same command line and the same check results, produce the same JSON but for what names
//! how it was made — and mask the same secrets, including one found only in a `--workflows`
//! file and the installation's secrets found only in a `--compose` file.

use std::collections::BTreeSet;
use std::sync::Arc;

use clap::Parser;
use crossterm::event::KeyCode;
use serde_json::Value;

use crate::checks::runner::CheckResult;
use crate::checks::{CheckId, Outcome};
use crate::cli::{Cli, Command};
use crate::config::{self, Env};
use crate::knowledge::Catalogue;
use crate::report::{self, Format, Stamp};
use crate::tui::App;
use crate::tui::screens::{database, summary};
use crate::tui::test_support::{finished, planned, press, type_keys};
use crate::tui::workers::summary::export_report;
use crate::tui::{Effect, Event};

/// Only in the workflow file: neither the settings nor the environment know it.
const WORKFLOW_SECRET: &str = "wf-only-Zq8v1mK3x";
/// Only in the compose file: the server's Fernet key (two, rotating) and the search password.
const FERNET_KEYS: &str =
    "Qm9va2tlZXBlcnNLZXlPbmVBQUFBQUFBQUFBQUFBQUE=,T2xkS2V5VHdvQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=";
const SEARCH_PASSWORD: &str = "search-pw-Kx81vQ";

const COMPOSE: &str = "services:\n  openmetadata-server:\n    image: docker.getcollate.io/openmetadata/server:1.1.5\n    \
environment:\n      ELASTICSEARCH_HOST: es.internal\n      ELASTICSEARCH_USER: elastic\n      \
ELASTICSEARCH_PASSWORD: search-pw-Kx81vQ\n      FERNET_KEY: \"Qm9va2tlZXBlcnNLZXlPbmVBQUFBQUFBQUFBQUFBQUE=,\
T2xkS2V5VHdvQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\"\n";

fn results() -> Vec<CheckResult> {
    crate::tui::test_support::PLANNED
        .iter()
        .map(|(id, title)| {
            let outcome = match *id {
                // A check that quotes the workflow's value in prose, where no `key: value`
                // pattern gives it away: only the redactor's knowledge of the file masks it.
                "db.privileges" => Outcome::warn(format!(
                    "the ingestion job logs in as etl with {WORKFLOW_SECRET} and cannot read 2 tables; \
                     the server encrypts with {old} and searches with {SEARCH_PASSWORD}",
                    old = FERNET_KEYS.split(',').nth(1).unwrap()
                ))
                .fix("Grant SELECT on every table."),
                _ => Outcome::pass(format!("{title}: fine")),
            };
            CheckResult {
                id: CheckId::new(id),
                title: (*title).to_string(),
                step: crate::checks::registered_step(id),
                outcome,
                duration: std::time::Duration::from_millis(7),
            }
        })
        .collect()
}

/// The report's JSON without what names how it was made: who, when and which view, and the
/// words a step that did not run is described with.
fn comparable(json: &str) -> Value {
    let mut value: Value = serde_json::from_str(json).expect("the report is JSON");
    value
        .as_object_mut()
        .expect("an object")
        .remove("generated");
    for step in value["checklist"].as_array_mut().expect("a checklist") {
        let summary = step["summary"].as_str().unwrap_or_default();
        if ["not run in this wizard session", "not checked in this run"].contains(&summary) {
            step["summary"] = "not run".into();
        }
    }
    value
}

#[test]
fn the_wizard_export_and_report_write_the_same_report_with_the_same_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    let compose = dir.path().join("docker-compose.yml");
    std::fs::write(&compose, COMPOSE).unwrap();
    std::fs::write(
        workflows.join("postgres.yaml"),
        format!(
            "source:\n  type: postgres\n  serviceName: pg\n  serviceConnection:\n    config:\n      \
             type: Postgres\n      username: etl\n      authType:\n        password: {WORKFLOW_SECRET}\n"
        ),
    )
    .unwrap();
    let env = Env::from_pairs([
        ("DB_USER_PASSWORD", "s3cret-pw"),
        (
            "OM_UPGRADE_STATE_DIR",
            dir.path().join("state").to_str().unwrap(),
        ),
        (
            "OM_UPGRADE_DATA_DIR",
            dir.path().join("data").to_str().unwrap(),
        ),
    ]);
    let flags = [
        "--db-url",
        "postgres://om@db.internal:5432/openmetadata_db",
        "--workflows",
        workflows.to_str().unwrap(),
        "--compose",
        compose.to_str().unwrap(),
        "--target",
        "1.2.0",
    ];

    // The wizard, started with these flags: its connection test gives the results, then the
    // Summary exports JSON.
    let cli = Cli::try_parse_from(["om-upgrade", "--fresh"].iter().chain(&flags)).unwrap();
    let mut setup = crate::cli::wizard::setup(cli.wizard, &env).unwrap();
    setup.report_path = dir.path().join("wizard.json");
    let mut app = App::new(setup);
    press(&mut app, KeyCode::Enter);
    let run = type_keys(&mut app, "t")
        .iter()
        .find_map(|e| match e {
            Effect::Database(database::Work::Test(job)) => Some(job.run),
            _ => None,
        })
        .expect("t tests the connection");
    planned(&mut app, run);
    for result in results() {
        finished(&mut app, run, result);
    }
    app.handle(Event::Database(database::WorkEvent::Done { run }));
    type_keys(&mut app, "nnnn");
    let job: summary::ExportJob = type_keys(&mut app, "fe")
        .into_iter()
        .find_map(|e| match e {
            Effect::Summary(summary::Work::Export(job)) if job.request.format == Format::Json => {
                Some(*job)
            }
            _ => None,
        })
        .expect("e exports");
    let written = export_report(job).expect("the wizard writes its report");
    let wizard = std::fs::read_to_string(&written.path).unwrap();

    // `om-upgrade report` with the same flags, its checks having found the same.
    let cli = Cli::try_parse_from(
        ["om-upgrade", "report", "--no-session", "--format", "json"]
            .iter()
            .chain(&flags),
    )
    .unwrap();
    let Some(Command::Report(args)) = cli.command else {
        panic!("report parses");
    };
    let settings = config::resolve(&args.run.connection.to_inputs(), &env)
        .unwrap()
        .settings;
    let ctx = crate::cli::check::context(
        &args.run,
        args.run.target.clone(),
        Arc::new(Catalogue::load(None).unwrap()),
        settings,
        dir.path().join("backups"),
        &env,
    );
    let recorded = crate::cli::report::recorded(
        &args,
        &ctx,
        results(),
        Err("not measured in this test".into()),
        None,
        BTreeSet::new(),
    );
    let cli_json = args
        .format
        .render(&report::assemble(recorded, Stamp::now(&env)));

    for (view, text) in [("the wizard", &wizard), ("report", &cli_json)] {
        assert!(!text.contains(WORKFLOW_SECRET), "{view} shows it:\n{text}");
        assert!(!text.contains("s3cret-pw"), "{view} shows the password");
        for secret in FERNET_KEYS.split(',').chain([SEARCH_PASSWORD]) {
            assert!(!text.contains(secret), "{view} shows {secret}:\n{text}");
        }
        assert!(
            text.contains("encrypts with [redacted] and searches with [redacted]"),
            "{view}:\n{text}"
        );
        assert!(
            text.contains("logs in as etl with [redacted] and cannot read"),
            "{view}:\n{text}"
        );
    }
    assert_eq!(comparable(&wizard), comparable(&cli_json));
}
