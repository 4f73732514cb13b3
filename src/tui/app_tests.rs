//! The keyboard flow of the wizard, on the App alone: no terminal, no database. Worker results
//! are fed by hand as events.

use crossterm::event::KeyCode;

use super::*;
use crate::checks::Outcome;
use crate::db::{DbError, Engine};
use crate::report::StepStatus;
use crate::session::{self, SavedConnection};
use crate::tui::screens::RunId;
use crate::tui::screens::database::{self, TestJob};
use crate::tui::test_support::*;

fn run_checks(effects: &[Effect]) -> Option<&TestJob> {
    effects.iter().find_map(|e| match e {
        Effect::Database(database::Work::Test(job)) => Some(job.as_ref()),
        _ => None,
    })
}

fn saves(effects: &[Effect]) -> Vec<&Session> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SaveSession(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// On the Database step, test started: returns the run.
fn database_test_running(app: &mut App) -> RunId {
    press(app, KeyCode::Enter);
    assert_eq!(app.screen(), ScreenId::Database);
    let effects = type_keys(app, "t");
    let job = run_checks(&effects).expect("t starts the checks");
    job.run
}

#[test]
fn enter_walks_to_the_database_step_and_q_quits_at_once_when_idle() {
    let mut app = app();
    assert_eq!(app.screen(), ScreenId::Welcome);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen(), ScreenId::Database);
    press(&mut app, KeyCode::Left);
    assert_eq!(app.screen(), ScreenId::Welcome);
    type_keys(&mut app, "nnnnnnnn");
    assert_eq!(
        app.screen(),
        ScreenId::Summary,
        "the stepper stops at the end"
    );
    // Passing by, the release review and the client search started: quitting asks.
    assert!(app.is_busy());
    type_keys(&mut app, "q");
    assert!(matches!(app.overlay(), Some(Overlay::ConfirmQuit)));
    type_keys(&mut app, "y");
    assert_eq!(app.exit(), Some(&Exit::Quit));
    assert_eq!(app.exit().map(Exit::code), Some(0));

    let mut app = self::app();
    type_keys(&mut app, "q");
    assert_eq!(app.exit(), Some(&Exit::Quit), "idle: q quits at once");
}

#[test]
fn a_pending_quit_happens_once_the_running_work_finishes() {
    let mut app = app();
    let run = database_test_running(&mut app);
    type_keys(&mut app, "q");
    assert!(matches!(app.overlay(), Some(Overlay::ConfirmQuit)));
    assert_eq!(app.exit(), None, "the checks are still running");
    app.handle(Event::Database(database::WorkEvent::Done { run }));
    assert!(!app.is_busy());
    assert_eq!(app.exit(), Some(&Exit::Quit), "nothing left to wait for");
}

#[test]
fn the_target_is_picked_from_the_catalogue_newest_first() {
    let mut app = app();
    let newest = catalogue().newest().clone();
    assert_eq!(app.target(), Some(&newest), "the newest release by default");
    assert_eq!(app.current().status(), StepStatus::Pass);
    type_keys(&mut app, "t");
    // Single-letter keys answer the list: q and n do not quit or move on.
    type_keys(&mut app, "qn");
    assert_eq!(app.exit(), None);
    assert_eq!(app.screen(), ScreenId::Welcome);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("newest first"), "{screen}");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.target(), Some(&newest), "Esc keeps the target");
    pick_target(&mut app, "1.2.0");
    assert!(draw(&app, 80, 24).contains("1.2.0  (picked here)"));
    // The list opens at the current target: Enter keeps it.
    type_keys(&mut app, "t");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.target().map(ToString::to_string).as_deref(),
        Some("1.2.0")
    );
    // The list ends at the oldest release.
    type_keys(&mut app, "t");
    for _ in 0..200 {
        press(&mut app, KeyCode::PageDown);
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.target(), known_releases().last());
}

#[test]
fn a_target_flag_the_catalogue_does_not_know_is_flagged() {
    let app = App::new(Setup {
        target: Some("1.2.9".parse().unwrap()),
        ..setup()
    });
    assert_eq!(app.current().status(), StepStatus::Warn);
    assert!(draw(&app, 80, 24).contains("not a release om-upgrade knows"));
}

#[test]
fn ctrl_c_quits_even_while_editing() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert!(app.current().is_editing());
    app.handle(ctrl('c'));
    assert_eq!(app.exit(), Some(&Exit::Quit));
}

#[test]
fn test_runs_the_form_settings_and_shows_each_check_as_it_goes() {
    let mut app = app();
    pick_target(&mut app, "1.2.0");
    press(&mut app, KeyCode::Enter);
    let effects = type_keys(&mut app, "t");
    let job = run_checks(&effects).expect("checks started");
    assert_eq!(job.settings.host.value, "db.internal");
    assert_eq!(job.settings.engine.value, Engine::Postgres);
    assert_eq!(
        job.settings.password.as_ref().map(|p| p.value.expose()),
        Some("s3cret-pw")
    );
    assert_eq!(
        job.target.as_ref().map(ToString::to_string).as_deref(),
        Some("1.2.0")
    );
    assert_eq!(
        job.backup_dir,
        std::path::PathBuf::from("/home/operator/.local/share/om-upgrade/backups")
    );
    let run = job.run;
    assert!(app.is_busy());
    assert_eq!(app.current().status(), StepStatus::Running);

    planned(&mut app, run);
    started(&mut app, run, "db.connect");
    assert!(draw(&app, 80, 24).contains("running…"));
    finished(
        &mut app,
        run,
        result(
            "db.connect",
            "Database reachable",
            Outcome::pass("connected"),
        ),
    );
    finished(
        &mut app,
        run,
        result(
            "db.sort_memory",
            "Sort memory",
            Outcome::warn("work_mem is 4 MiB").fix("raise work_mem"),
        ),
    );
    app.handle(Event::Database(database::WorkEvent::Done { run }));
    assert!(!app.is_busy());
    assert_eq!(app.current().status(), StepStatus::Warn);
    // The warning is selected, so its remediation is on screen.
    assert!(draw(&app, 80, 24).contains("What to do: raise work_mem"));
}

#[test]
fn a_second_test_waits_for_the_first_and_old_results_are_ignored() {
    let mut app = app();
    let first = database_test_running(&mut app);
    assert!(
        run_checks(&type_keys(&mut app, "t")).is_none(),
        "t is disabled while running"
    );
    planned(&mut app, first);
    app.handle(Event::Database(database::WorkEvent::Done { run: first }));
    let second = run_checks(&type_keys(&mut app, "t")).expect("t again").run;
    assert_ne!(first, second);
    planned(&mut app, second);
    // A straggler from the first run changes nothing.
    finished(
        &mut app,
        first,
        result("db.connect", "x", Outcome::fail("old")),
    );
    app.handle(Event::Database(database::WorkEvent::Done { run: first }));
    assert!(app.is_busy(), "the second run is still running");
    assert!(!draw(&app, 80, 24).contains("old"));
}

#[test]
fn quitting_while_checks_run_asks_first() {
    let mut app = app();
    database_test_running(&mut app);
    type_keys(&mut app, "q");
    assert!(matches!(app.overlay(), Some(Overlay::ConfirmQuit)));
    assert_eq!(app.exit(), None);
    type_keys(&mut app, "n");
    assert!(app.overlay().is_none());
    assert_eq!(
        app.screen(),
        ScreenId::Database,
        "n answered the question, not 'next'"
    );
    app.handle(ctrl('c'));
    assert_eq!(app.exit(), Some(&Exit::Quit), "Ctrl-C quits without asking");

    let mut app = self::app();
    database_test_running(&mut app);
    type_keys(&mut app, "qy");
    assert_eq!(app.exit(), Some(&Exit::Quit));
}

#[test]
fn an_unreachable_database_fails_with_its_remediation() {
    let mut app = app();
    let run = database_test_running(&mut app);
    planned(&mut app, run);
    let error = DbError::Refused {
        addr: "db.internal:5432".into(),
    };
    finished(
        &mut app,
        run,
        result(
            "db.connect",
            "Database reachable",
            Outcome::fail(error.to_string()).fix(error.remediation()),
        ),
    );
    finished(
        &mut app,
        run,
        result(
            "db.size",
            "Size",
            Outcome::skip("skipped: db.connect failed"),
        ),
    );
    app.handle(Event::Database(database::WorkEvent::Done { run }));
    assert_eq!(app.current().status(), StepStatus::Fail);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("connection refused by db.internal:5432"),
        "{screen}"
    );
    assert!(
        screen.contains("Nothing listens on db.internal:5432"),
        "{screen}"
    );
}

/// Ctrl-C during a connection attempt that hangs: no question, the wizard quits at once and
/// its last frame says "quitting…" while the attempt is stopped (the loop then cancels it).
#[test]
fn ctrl_c_while_a_connection_hangs_quits_at_once_saying_so() {
    let mut app = app();
    database_test_running(&mut app);
    assert!(app.is_busy());
    app.handle(ctrl('c'));
    assert!(app.overlay().is_none(), "no question asked");
    assert_eq!(app.exit(), Some(&Exit::Quit));
    assert!(app.is_quitting());
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("quitting…"), "{screen}");
    assert!(
        screen.contains("Work is still running: Database."),
        "{screen}"
    );
    // The same from the quit question.
    let mut app = self::app();
    database_test_running(&mut app);
    type_keys(&mut app, "q");
    app.handle(ctrl('c'));
    assert_eq!(app.exit(), Some(&Exit::Quit));
    assert!(draw(&app, 80, 24).contains("quitting…"));
}

/// `q quit` (Ctrl-C while a field is edited) shows in the footer of every step at 80x24,
/// whatever else has to give way.
#[test]
fn every_footer_says_how_to_quit() {
    let mut app = app();
    for _ in ScreenId::ALL {
        let screen = draw(&app, 80, 24);
        let footer = screen.lines().last().unwrap_or_default();
        assert!(footer.contains("q quit"), "{:?}: {footer}", app.screen());
        assert!(footer.contains("? help"), "{:?}: {footer}", app.screen());
        type_keys(&mut app, "n");
    }
    let mut app = self::app();
    press(&mut app, KeyCode::Enter);
    type_keys(&mut app, "j");
    press(&mut app, KeyCode::Enter);
    assert!(app.current().is_editing());
    let screen = draw(&app, 80, 24);
    assert!(
        screen
            .lines()
            .last()
            .unwrap_or_default()
            .contains("Ctrl-C quit"),
        "{screen}"
    );
}

#[test]
fn a_crashed_run_ends_as_a_failure_instead_of_spinning() {
    let mut app = app();
    let run = database_test_running(&mut app);
    app.handle(Event::Database(database::WorkEvent::Crashed {
        run,
        reason: "a background task panicked".into(),
    }));
    assert!(!app.is_busy());
    assert_eq!(app.current().status(), StepStatus::Fail);
}

#[test]
fn a_bad_port_is_shown_on_the_form_and_nothing_runs() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    // engine → host → port
    type_keys(&mut app, "jj");
    press(&mut app, KeyCode::Enter);
    app.handle(ctrl('u'));
    type_keys(&mut app, "54x2");
    press(&mut app, KeyCode::Enter);
    assert!(run_checks(&type_keys(&mut app, "t")).is_none());
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("'54x2' is not a port number (1-65535)"),
        "{screen}"
    );
    assert!(screen.contains("edited"), "{screen}");
}

#[test]
fn editing_after_a_test_makes_its_results_stale() {
    let mut app = app();
    let run = database_test_running(&mut app);
    planned(&mut app, run);
    finished(
        &mut app,
        run,
        result("db.connect", "x", Outcome::pass("ok")),
    );
    app.handle(Event::Database(database::WorkEvent::Done { run }));
    assert_eq!(app.current().status(), StepStatus::Pass);
    press(&mut app, KeyCode::Tab);
    type_keys(&mut app, "j");
    press(&mut app, KeyCode::Enter);
    type_keys(&mut app, "2");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.current().status(), StepStatus::NotRun);
    assert!(draw(&app, 80, 24).contains("for the settings before your edit"));
}

#[test]
fn enter_never_switches_the_engine_space_does_and_a_default_port_follows() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let session = app.session();
    assert_eq!(
        session.connection.engine,
        Engine::Postgres,
        "Enter is not a switch"
    );
    assert_eq!(session.connection.port, 5432);
    type_keys(&mut app, "e");
    assert_eq!(app.session().connection.engine, Engine::Postgres);
    type_keys(&mut app, " ");
    let session = app.session();
    assert_eq!(session.connection.engine, Engine::Mysql);
    assert_eq!(session.connection.port, 3306);
    let screen = draw(&app, 120, 40);
    // The port moved with the engine: it says so, not where the old value came from.
    let port_line = screen.lines().find(|l| l.contains(" port ")).unwrap();
    assert!(port_line.contains("3306"), "{screen}");
    assert!(port_line.contains("edited"), "{screen}");
}

#[test]
fn tab_accepts_and_moves_to_the_next_field() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    type_keys(&mut app, "j");
    press(&mut app, KeyCode::Enter);
    app.handle(ctrl('u'));
    type_keys(&mut app, "db2");
    press(&mut app, KeyCode::Tab);
    assert!(app.current().is_editing(), "now editing the port");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.session().connection.host, "db2");
    // Tab through the last field comes back to the engine without switching it.
    type_keys(&mut app, "jjjj");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Tab);
    assert!(!app.current().is_editing());
    assert_eq!(app.session().connection.engine, Engine::Postgres);
}

#[test]
fn the_password_never_reaches_the_session() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    type_keys(&mut app, "jjjj");
    press(&mut app, KeyCode::Enter);
    type_keys(&mut app, "-more");
    let effects = press(&mut app, KeyCode::Enter);
    let text = serde_json::to_string(&app.session()).unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    for session in saves(&effects) {
        assert!(!serde_json::to_string(session).unwrap().contains("s3cret"));
    }
    let screen = draw(&app, 80, 24);
    assert!(!screen.contains("s3cret"), "{screen}");
    // A fixed mask: that a password is there, never how long it is (14 characters here).
    assert!(screen.contains("password ••••••••  "), "{screen}");
    assert!(!screen.contains("•••••••••"), "{screen}");
}

#[test]
fn sessions_are_saved_on_change_only() {
    let mut app = app();
    assert!(
        saves(&type_keys(&mut app, "?")).is_empty(),
        "help changes no answer"
    );
    type_keys(&mut app, "?");
    let effects = press(&mut app, KeyCode::Enter);
    let saved = saves(&effects);
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].screen, ScreenId::Database);
    assert!(saves(&type_keys(&mut app, "jk")).is_empty());
}

fn offered(connection: SavedConnection, target: Option<&str>) -> Setup {
    Setup {
        session: SessionStart::Offer(Box::new(session::Saved {
            path: "/state/wizard-session.json".into(),
            saved_at: "2026-11-20T09:30:00Z".parse().unwrap(),
            session: Session {
                screen: ScreenId::Database,
                target: target.map(String::from),
                connection,
                acknowledged: Default::default(),
                last_backup: None,
                copy_to: None,
                results: Default::default(),
            },
        })),
        ..setup()
    }
}

fn saved_connection() -> SavedConnection {
    SavedConnection {
        engine: Engine::Postgres,
        host: "other.internal".into(),
        port: 6543,
        user: "admin".into(),
        database: "om_prod".into(),
        schema: "om".into(),
    }
}

#[test]
fn resume_takes_the_saved_answers_but_flags_win() {
    let mut app = App::new(offered(saved_connection(), Some("1.3.1")));
    assert!(matches!(app.overlay(), Some(Overlay::Resume(_))));
    // Keys go to the question, and nothing is saved before it is answered.
    assert!(saves(&type_keys(&mut app, "jq")).is_empty());
    assert_eq!(app.exit(), None);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(app.overlay().is_none());
    assert_eq!(app.screen(), ScreenId::Database);
    assert_eq!(
        app.target().map(ToString::to_string).as_deref(),
        Some("1.3.1")
    );
    // --db-url gave host, port, user and database: they stay. The schema came from the
    // default, so the session's wins.
    let now = app.session();
    assert_eq!(now.connection.host, "db.internal");
    assert_eq!(now.connection.port, 5432);
    assert_eq!(now.connection.database, "openmetadata_db");
    assert_eq!(now.connection.schema, "om");
    assert_eq!(saves(&effects).len(), 1, "the resumed state is saved");
}

#[test]
fn a_target_flag_beats_the_saved_target() {
    let mut setup = offered(saved_connection(), Some("1.3.1"));
    setup.target = Some("1.2.0".parse().unwrap());
    let mut app = App::new(setup);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.target().map(ToString::to_string).as_deref(),
        Some("1.2.0")
    );
}

/// Acknowledgements hold for the target they were made for: resumed with the same target they
/// come back; with another target (--target) they are not applied, and that is said.
#[test]
fn acknowledgements_come_back_only_for_their_target() {
    let with_acks = |target_flag: Option<&str>| {
        let mut setup = offered(saved_connection(), Some("1.3.1"));
        if let SessionStart::Offer(saved) = &mut setup.session {
            saved
                .session
                .acknowledged
                .insert("1.2/query-service-required".into());
        }
        setup.target = target_flag.map(|t| t.parse().unwrap());
        let mut app = App::new(setup);
        press(&mut app, KeyCode::Enter);
        app
    };
    let same = with_acks(None);
    assert_eq!(same.session().acknowledged.len(), 1);
    let other = with_acks(Some("1.2.0"));
    assert!(other.session().acknowledged.is_empty());
    let screen = draw(&other, 120, 40);
    assert!(
        screen.contains("made for the target 1.3.1, not 1.2.0: not applied"),
        "{screen}"
    );
}

/// Results kept in the session come back with their time when their key still matches (the
/// Database step shows them, the Summary and the report count them), and are "stale" for
/// another target, never reused.
#[test]
fn kept_results_come_back_for_their_key_and_are_stale_for_another_target() {
    let connection = {
        let mut app = App::new(offered(saved_connection(), Some("1.3.1")));
        press(&mut app, KeyCode::Enter);
        app.session().connection
    };
    let resumed = |target_flag: Option<&str>| {
        let mut setup = offered(saved_connection(), Some("1.3.1"));
        if let SessionStart::Offer(saved) = &mut setup.session {
            saved.session.results.database = Some(Box::new(StepResults {
                computed_at: "2026-11-20T09:00:00Z".parse().unwrap(),
                key: ResultKey {
                    connection: connection.clone(),
                    target: Some("1.3.1".into()),
                    inputs: Vec::new(),
                    files: Vec::new(),
                },
                checks: vec![result(
                    "db.connect",
                    "Database reachable, login works",
                    Outcome::pass("connected as om"),
                )],
                review: None,
                files_changed: false,
            }));
        }
        setup.target = target_flag.map(|t| t.parse().unwrap());
        let mut app = App::new(setup);
        press(&mut app, KeyCode::Enter);
        app
    };

    let same = resumed(None);
    let recorded = same.recorded();
    assert!(
        recorded
            .results
            .iter()
            .any(|r| r.id.as_str() == "db.connect")
    );
    assert!(recorded.stale.is_empty(), "{:?}", recorded.stale);
    for (width, height) in [(80, 24), (120, 40)] {
        let screen = draw(&same, width, height);
        assert!(
            screen.contains("kept from 2026-11-20 09:00 UTC ("),
            "{screen}"
        );
    }
    let mut on_summary = resumed(None);
    type_keys(&mut on_summary, "nnnn");
    assert_eq!(on_summary.screen(), ScreenId::Summary);
    let screen = draw(&on_summary, 80, 24);
    assert!(
        screen.contains("Steps  results kept from 2026-11-20 09:00 UTC ("),
        "{screen}"
    );
    assert!(screen.contains("· kept"), "{screen}");
    let kept = same.session().results.database.expect("still kept");
    assert_eq!(
        kept.computed_at,
        "2026-11-20T09:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );

    let other = resumed(Some("1.2.0"));
    let recorded = other.recorded();
    assert!(
        !recorded
            .results
            .iter()
            .any(|r| r.id.as_str() == "db.connect")
    );
    assert!(recorded.stale.contains(&Step::Database));
    assert_eq!(
        other.session().results.database,
        None,
        "stale results are not kept"
    );
    let screen = draw(&other, 120, 40);
    assert!(
        screen.contains("stale — kept for another target or connection"),
        "{screen}"
    );
}

#[test]
fn start_fresh_keeps_this_start_as_it_is() {
    let mut app = App::new(offered(saved_connection(), Some("1.3.1")));
    type_keys(&mut app, "n");
    assert!(app.overlay().is_none());
    assert_eq!(app.screen(), ScreenId::Welcome);
    assert_eq!(app.target(), Some(catalogue().newest()));
    assert_eq!(app.session().connection.schema, "public");
}

#[test]
fn an_unreadable_session_is_said_once_on_screen() {
    let setup = Setup {
        session: SessionStart::Unreadable(session::SessionError::Malformed {
            path: "/state/wizard-session.json".into(),
            reason: "expected value at line 1 column 1".into(),
        }),
        ..setup()
    };
    let app = App::new(setup);
    assert!(draw(&app, 80, 24).contains("is not readable as a session"));
}

#[test]
fn help_lists_every_key_and_closes_with_esc() {
    let mut app = app();
    type_keys(&mut app, "?");
    assert!(matches!(app.overlay(), Some(Overlay::Help)));
    let hints: Vec<String> = app
        .help_sections()
        .iter()
        .flat_map(|(_, b)| b.iter().map(Binding::hint))
        .collect();
    for expected in ["Enter", "t", "q", "Ctrl-C", "?", "→/n", "←/p"] {
        assert!(
            hints.iter().any(|h| h == expected),
            "{expected} in {hints:?}"
        );
    }
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay().is_none());
}

#[test]
fn the_footer_comes_from_the_same_bindings_as_the_keys() {
    let app = app();
    let screen = draw(&app, 80, 24);
    let footer = screen.lines().nth(23).unwrap_or_default().to_string();
    for binding in app.bindings().iter().filter(|b| b.in_footer) {
        assert!(
            footer.contains(&format!("{} {}", binding.short_hint(), binding.label)),
            "{} missing from {footer}",
            binding.label
        );
    }
}

#[test]
fn signals_and_a_lost_terminal_end_the_wizard() {
    let mut app = app();
    app.handle(Event::Signal(super::super::event::Signal::Terminate));
    assert_eq!(app.exit().map(Exit::code), Some(143));
    let mut app = self::app();
    app.handle(Event::InputClosed(None));
    assert_eq!(app.exit().map(Exit::code), Some(1));
}

#[test]
fn the_tick_animates_only_what_runs() {
    let mut app = app();
    assert!(!app.is_busy(), "idle: the loop runs no tick");
    let run = database_test_running(&mut app);
    planned(&mut app, run);
    started(&mut app, run, "db.connect");
    let before = draw(&app, 80, 24);
    app.handle(Event::Tick);
    assert_ne!(before, draw(&app, 80, 24), "the spinner moved");
}

#[test]
fn a_server_that_wants_a_password_opens_the_password_field() {
    let mut setup = setup();
    setup.settings.password = None;
    let mut app = App::new(setup);
    let run = database_test_running(&mut app);
    planned(&mut app, run);
    app.handle(Event::Database(database::WorkEvent::PasswordNeeded { run }));
    let error = DbError::AuthFailed {
        user: "om".into(),
        password_given: false,
        detail: "password authentication failed".into(),
    };
    finished(
        &mut app,
        run,
        result(
            "db.connect",
            "Database reachable",
            Outcome::fail(error.to_string()).fix(error.remediation()),
        ),
    );
    app.handle(Event::Database(database::WorkEvent::Done { run }));
    assert!(app.current().is_editing(), "the password field is open");
    assert!(draw(&app, 80, 24).contains("password needed for 'om'"));
    type_keys(&mut app, "pw");
    press(&mut app, KeyCode::Enter);
    let effects = type_keys(&mut app, "t");
    let job = run_checks(&effects).expect("tested again");
    assert_eq!(
        job.settings.password.as_ref().map(|p| p.value.expose()),
        Some("pw")
    );
    assert!(!draw(&app, 80, 24).contains("password needed"));
}
