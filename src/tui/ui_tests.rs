//! Snapshots of the frame and each built step, at 80x24 (the smallest supported) and 120x40,
//! in the states an operator meets: fresh, editing with an error, running, passed, unreachable
//! database, overlays, and a terminal that is too small. Worker results are fed by hand, except
//! the unreachable database, which is the real check against a closed port.

use std::time::Duration;

use crossterm::event::KeyCode;

use super::action::Effect;
use super::app::{App, SessionStart, Setup};
use super::event::Event;
use super::screens::RunId;
use super::screens::ScreenId;
use super::screens::database::{self, TestJob};
use super::test_support::*;
use crate::checks::Outcome;
use crate::checks::runner::CheckEvent;
use crate::db::Engine;
use crate::session::{Saved, SavedConnection, Session};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snapshot(name: &str, app: &App) {
    for (width, height) in SIZES {
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), draw(app, width, height));
    }
}

fn on_database(app: &mut App) {
    press(app, KeyCode::Enter);
}

fn start_test(app: &mut App) -> RunId {
    on_database(app);
    let effects = type_keys(app, "t");
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Database(database::Work::Test(job)) => Some(job.run),
            _ => None,
        })
        .expect("test started")
}

fn demo_results(app: &mut App, run: RunId) {
    planned(app, run);
    for (id, title, outcome) in [
        (
            "db.connect",
            "Database reachable, login works",
            Outcome::pass("connected to postgres://om@db.internal:5432/openmetadata_db in 12 ms")
                .detail("TLS", "no (plain TCP)")
                .detail("user from", "--db-url"),
        ),
        (
            "db.server_version",
            "Database server version",
            Outcome::pass("PostgreSQL 15.19 (at least 12 for OpenMetadata 1.2.0)"),
        ),
        (
            "db.openmetadata",
            "OpenMetadata database and its version",
            Outcome::pass("OpenMetadata schema 1.1.5 in schema 'public'"),
        ),
        (
            "db.privileges",
            "User can read every table in one snapshot",
            Outcome::pass("user 'om' can read all 55 tables in one snapshot"),
        ),
        (
            "db.size",
            "Database size and row counts",
            Outcome::pass("4.5 MiB in 55 tables, 2,190 rows"),
        ),
        (
            "db.sort_memory",
            "Sort memory for the migration",
            Outcome::warn("work_mem is 4.0 MiB; the migration asks for 20 MiB").fix(
                "Before the migration run `ALTER DATABASE \"openmetadata_db\" SET work_mem = \
                 '20MB';` and reset it afterwards.",
            ),
        ),
        (
            "backup.disk_space",
            "Room for a backup",
            Outcome::pass("67.4 GiB free in /var/backups/om for a backup of about 2.1 MiB"),
        ),
    ] {
        finished(app, run, result(id, title, outcome));
    }
    app.handle(Event::Database(database::WorkEvent::Done { run }));
}

#[test]
fn welcome() {
    snapshot("welcome", &app());
}

#[test]
fn welcome_with_target_and_warning() {
    let resolved = crate::config::resolve(
        &crate::config::DbInputs {
            db_url: Some("mysql://om:pw@db.internal/openmetadata_db".into()),
            ..Default::default()
        },
        &crate::config::Env::default(),
    )
    .unwrap();
    let app = App::new(Setup {
        settings: resolved.settings,
        warnings: resolved.warnings,
        target: Some("1.2.0".parse().unwrap()),
        ..setup()
    });
    snapshot("welcome_target_flag_and_password_warning", &app);
}

#[test]
fn welcome_picking_the_target() {
    let mut app = app();
    pick_target(&mut app, "1.2.0");
    type_keys(&mut app, "t");
    press(&mut app, KeyCode::Down);
    snapshot("welcome_pick_target", &app);
}

#[test]
fn database_form() {
    let mut app = app();
    on_database(&mut app);
    snapshot("database_form", &app);
}

#[test]
fn database_editing_password() {
    let mut app = app();
    on_database(&mut app);
    type_keys(&mut app, "jjjj");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Left);
    snapshot("database_editing_password", &app);
}

#[test]
fn database_running() {
    let mut app = app();
    let run = start_test(&mut app);
    planned(&mut app, run);
    started(&mut app, run, "db.connect");
    finished(
        &mut app,
        run,
        result(
            "db.connect",
            "Database reachable, login works",
            Outcome::pass("connected in 12 ms"),
        ),
    );
    for id in ["db.server_version", "db.openmetadata", "db.privileges"] {
        started(&mut app, run, id);
    }
    app.handle(Event::Tick);
    snapshot("database_running", &app);
}

#[test]
fn database_done_with_a_warning() {
    let mut app = app();
    let run = start_test(&mut app);
    demo_results(&mut app, run);
    snapshot("database_done_warning", &app);
    // Back on the form, the results stay in view under it.
    press(&mut app, KeyCode::Tab);
    snapshot("database_done_form_focus", &app);
}

/// The real connection test against a port where nothing listens.
#[tokio::test]
async fn database_unreachable() {
    let mut setup = setup();
    setup.settings.host.value = "127.0.0.1".into();
    setup.settings.port.value = 1;
    let mut app = App::new(setup);
    on_database(&mut app);
    let effects = type_keys(&mut app, "t");
    let Some(Effect::Database(database::Work::Test(job))) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::Database(_)))
    else {
        panic!("t starts the checks");
    };
    let job = TestJob {
        backup_dir: std::env::temp_dir(),
        ..*job
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reply = super::workers::Reply::new(move |event| tx.send(event).is_ok());
    super::workers::database::test(job, &reply).await;
    while let Ok(mut event) = rx.try_recv() {
        if let database::WorkEvent::Check {
            event: CheckEvent::Finished(result),
            ..
        } = &mut event
        {
            result.duration = Duration::from_millis(3);
        }
        app.handle(Event::Database(event));
    }
    assert!(!app.is_busy());
    snapshot("database_unreachable", &app);
}

#[test]
fn database_password_needed() {
    let mut setup = setup();
    setup.settings.password = None;
    let mut app = App::new(setup);
    let run = start_test(&mut app);
    planned(&mut app, run);
    app.handle(Event::Database(database::WorkEvent::PasswordNeeded { run }));
    let error = crate::db::DbError::AuthFailed {
        user: "om".into(),
        password_given: false,
        detail: "password authentication failed for user \"om\"".into(),
    };
    finished(
        &mut app,
        run,
        result(
            "db.connect",
            "Database reachable, login works",
            Outcome::fail(error.to_string()).fix(error.remediation()),
        ),
    );
    for (id, title) in &PLANNED[1..] {
        finished(
            &mut app,
            run,
            result(id, title, Outcome::skip("skipped: db.connect failed")),
        );
    }
    app.handle(Event::Database(database::WorkEvent::Done { run }));
    snapshot("database_password_needed", &app);
}

#[test]
fn help_overlay() {
    let mut app = app();
    on_database(&mut app);
    type_keys(&mut app, "?");
    snapshot("help_database", &app);
}

#[test]
fn confirm_quit_overlay() {
    let mut app = app();
    let run = start_test(&mut app);
    planned(&mut app, run);
    type_keys(&mut app, "q");
    snapshot("confirm_quit", &app);
}

#[test]
fn resume_overlay() {
    let app = App::new(Setup {
        session: SessionStart::Offer(Box::new(Saved {
            path: "/state/wizard-session.json".into(),
            saved_at: "2026-11-20T09:30:00Z".parse().unwrap(),
            session: Session {
                screen: ScreenId::Database,
                target: Some("1.2.0".into()),
                connection: SavedConnection {
                    engine: Engine::Mysql,
                    host: "db.internal".into(),
                    port: 3306,
                    user: "openmetadata_user".into(),
                    database: "openmetadata_db".into(),
                    schema: "public".into(),
                },
                acknowledged: Default::default(),
                last_backup: None,
                copy_to: None,
                results: Default::default(),
            },
        })),
        ..setup()
    });
    snapshot("resume", &app);
}

#[test]
fn too_small() {
    let app = app();
    for (width, height) in [(79, 24), (80, 23), (60, 20)] {
        let screen = draw(&app, width, height);
        assert!(
            screen.contains("Terminal too small"),
            "{width}x{height}: {screen}"
        );
        assert!(
            screen.contains(&format!("{width}x{height} here")),
            "{screen}"
        );
    }
    insta::assert_snapshot!("too_small_60x20", draw(&app, 60, 20));
}

/// A server that takes the connection and never answers (the port listens, nothing accepts):
/// `db.connect` fails once the connect timeout is over and says how long it tried, not 0; at
/// 80x24 the card still shows what to do, naming the settings as the form's fields.
#[tokio::test]
async fn a_connection_that_gets_no_answer_reports_how_long_it_tried() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
    let port = silent.local_addr().expect("its address").port();
    let mut setup = setup();
    setup.settings.host.value = "127.0.0.1".into();
    setup.settings.port.value = port;
    setup.settings.connect_timeout = Duration::from_millis(300);
    let mut app = App::new(setup);
    on_database(&mut app);
    let effects = type_keys(&mut app, "t");
    let Some(Effect::Database(database::Work::Test(job))) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::Database(_)))
    else {
        panic!("t starts the checks");
    };
    let job = TestJob {
        backup_dir: std::env::temp_dir(),
        ..*job
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reply = super::workers::Reply::new(move |event| tx.send(event).is_ok());
    super::workers::database::test(job, &reply).await;
    drop(silent);
    let mut connect = None;
    while let Ok(event) = rx.try_recv() {
        if let database::WorkEvent::Check {
            event: CheckEvent::Finished(result),
            ..
        } = &event
            && result.id.as_str() == "db.connect"
        {
            connect = Some(result.clone());
        }
        app.handle(Event::Database(event));
    }
    let connect = connect.expect("db.connect finished");
    assert_eq!(connect.outcome.status, crate::checks::Status::Fail);
    assert!(
        connect.duration >= Duration::from_millis(300),
        "it tried for the connect timeout, and says so: {:?}",
        connect.duration
    );
    let fix = connect.outcome.remediation.clone().unwrap_or_default();
    assert!(
        fix.contains("the engine field") && fix.contains("the port field"),
        "{fix}"
    );
    assert!(
        !fix.contains("--port") && !fix.contains("--engine"),
        "{fix}"
    );
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("What to do"), "{screen}");
    assert!(!screen.contains("(0.0 s)"), "{screen}");
}
