//! The rest of the installation in the wizard: the Database step's test runs the search engine,
//! server and secrets checks with the database checks, shows them, and hands them to the
//! report's Installation step.

use crossterm::event::KeyCode;

use super::action::Effect;
use super::app::{App, Setup};
use super::event::Event;
use super::screens::ScreenId;
use super::screens::database::{self, TestJob};
use super::test_support::*;
use super::workers::database::connection_checks;
use crate::checks::runner::CheckEvent;
use crate::checks::{CheckId, Context, Outcome, Step};
use crate::config::installation::{Configured, InstallSettings};
use crate::config::{Env, installation};

const NEW_CHECKS: [&str; 7] = [
    "db.migration_rights",
    "db.charset",
    "db.migration_state",
    "secrets.fernet",
    "search.version",
    "search.health",
    "server.version",
];

/// The wizard started with `--search-url` and `--server-url`.
fn setup_with_installation() -> Setup {
    let (installation, _) = installation::resolve_installation(
        &installation::InstallInputs {
            search_url: Some("https://es.internal:9200".into()),
            server_url: Some("http://openmetadata:8585".into()),
            ..Default::default()
        },
        &Env::default(),
    )
    .expect("installation settings resolve");
    Setup {
        installation,
        ..setup()
    }
}

fn start_test(app: &mut App) -> TestJob {
    press(app, KeyCode::Enter);
    type_keys(app, "t")
        .into_iter()
        .find_map(|e| match e {
            Effect::Database(database::Work::Test(job)) => Some(*job),
            _ => None,
        })
        .expect("t tests the connection")
}

fn outcome(id: &str) -> Outcome {
    match id {
        "search.version" => Outcome::fail(
            "Elasticsearch 8.11.4 is older than OpenMetadata 1.12.0 supports: Elasticsearch 9.0 \
             or newer, OpenSearch 3.0 or newer",
        )
        .fix("Upgrade the search engine to a supported version before the server."),
        "secrets.fernet" => Outcome::warn("the key is the public default").fix(
            "Rotate it: FERNET_KEY=\"NEW_KEY,OLD_KEY\", then run the server's rotate command.",
        ),
        other => Outcome::pass(format!("{other}: fine")),
    }
}

#[test]
fn the_connection_test_takes_the_installation_settings_and_runs_every_new_check() {
    let mut app = App::new(setup_with_installation());
    let job = start_test(&mut app);
    assert!(
        matches!(&job.installation.search, Configured::Yes(s) if s.url.value.as_str() == "https://es.internal:9200/"),
        "{:?}",
        job.installation.search
    );
    assert!(matches!(&job.installation.server, Configured::Yes(_)));
    let ctx =
        Context::new(job.settings, job.target, job.backup_dir).with_installation(job.installation);
    let checks = connection_checks(&ctx);
    let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
    for id in NEW_CHECKS {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    assert!(ids.contains(&"backup.disk_space"));
    // Only the Database and Installation steps, and the room for a backup.
    for check in &checks {
        assert!(
            matches!(check.step, Some(Step::Database | Step::Installation))
                || check.id == crate::checks::backup::DISK_SPACE,
            "{} belongs to {:?}",
            check.id,
            check.step
        );
    }
}

#[test]
fn database_with_the_installation_checks() {
    let mut app = App::new(setup_with_installation());
    let job = start_test(&mut app);
    let run = job.run;
    let ctx = Context::new(job.settings, job.target, job.backup_dir)
        .with_installation(InstallSettings::default());
    let checks = connection_checks(&ctx);
    app.handle(Event::Database(database::WorkEvent::Planned {
        run,
        checks: checks
            .iter()
            .map(|c| (c.id.clone(), c.title.to_string()))
            .collect(),
    }));
    for check in &checks {
        let id: &'static str = Box::leak(check.id.to_string().into_boxed_str());
        app.handle(Event::Database(database::WorkEvent::Check {
            run,
            event: CheckEvent::Finished(result(id, &check.title, outcome(id))),
        }));
    }
    app.handle(Event::Database(database::WorkEvent::Done { run }));
    for (width, height) in [(80, 24), (120, 40)] {
        let screen = draw(&app, width, height);
        insta::assert_snapshot!(format!("database_installation_{width}x{height}"), screen);
    }
    // Every new check is on the screen (the list scrolls at 80x24: the larger one shows all).
    let big = draw(&app, 120, 40);
    for id in NEW_CHECKS {
        assert!(big.contains(id), "{id} not shown:\n{big}");
    }
    // The failed search engine is what the step shows first, with its fix.
    assert!(big.contains("Upgrade the search engine"), "{big}");

    // And the Summary's results carry each check's step, for the report's checklist.
    let results = app.screen_of(ScreenId::Database).results();
    let step_of = |id: &str| {
        results
            .iter()
            .find(|r| r.id == CheckId::owned(id.to_string()))
            .and_then(|r| r.step)
    };
    assert_eq!(step_of("search.version"), Some(Step::Installation));
    assert_eq!(step_of("server.version"), Some(Step::Installation));
    assert_eq!(step_of("secrets.fernet"), Some(Step::Installation));
    assert_eq!(step_of("db.migration_rights"), Some(Step::Database));
}
