//! The Releases step on the App alone: the review it asks for, worker events fed by hand (a
//! real upgrade plan from the catalogue, judged by `knowledge::impact` from hand-made probe
//! results), acknowledgements and the filter, and snapshots at 80x24 and 120x40.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::KeyCode;

use super::action::Effect;
use super::app::{App, SessionStart, Setup};
use super::event::Event;
use super::screens::RunId;
use super::screens::ScreenId;
use super::screens::releases::{Finished, ReviewError, Work, WorkEvent};
use super::test_support::*;
use crate::checks::release::NotInstalled;
use crate::checks::runner::{CheckEvent, CheckResult};
use crate::checks::{CheckId, Outcome};
use crate::db::inspect::{Product, ServerInfo};
use crate::db::{DbError, Engine};
use crate::knowledge::probes::{self, ProbeOutcome, ProbeResult};
use crate::knowledge::scan::ScanReport;
use crate::knowledge::{self, Installed, review::Database};
use crate::report::StepStatus;
use crate::session::{Saved, SavedConnection, Session};
use crate::version::Version;

const QUERIES: &str = "1.2/query-service-required";
const GLOSSARY: &str = "glossary-draft-terms-approved";

fn snapshot(name: &str, app: &App) {
    for (width, height) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), draw(app, width, height));
    }
}

fn v(text: &str) -> Version {
    text.parse().expect("a version")
}

/// The review of 1.1.5 → 1.2.0: the queries probe finds 3 rows, the Domo one 2 services (or
/// none), the glossary probe cannot run, every other probe finds nothing.
fn review(domo: bool) -> Finished {
    let catalogue = catalogue();
    let plan = catalogue.plan(&v("1.1.5"), &v("1.2.0")).expect("a plan");
    let mut board = BTreeMap::new();
    for item in plan.items.iter().filter(|i| !i.probes.is_empty()) {
        let results = item
            .probes
            .iter()
            .map(|probe| {
                let outcome = match (item.id.as_str(), probe.id.as_str()) {
                    ("query-service-required", _) => ProbeOutcome::Found {
                        count: 3,
                        samples: vec!["SELECT 1 /* ad-hoc query 0_8 */".into()],
                    },
                    ("domo-sandbox-domain-renamed", "domo-database-sandbox-domain") if domo => {
                        ProbeOutcome::Found {
                            count: 2,
                            samples: vec!["domo_sales".into(), "domo_ops".into()],
                        }
                    }
                    (GLOSSARY, _) => ProbeOutcome::Failed {
                        error: "permission denied for table glossary_term_entity".into(),
                        remediation: "GRANT SELECT ON glossary_term_entity TO om".into(),
                    },
                    _ => ProbeOutcome::Clear,
                };
                ProbeResult {
                    probe: probe.id.clone(),
                    effect: probe.effect,
                    text: probes::describe(probe, &outcome),
                    outcome,
                }
            })
            .collect();
        board.insert(item.key(), results);
    }
    let server = ServerInfo {
        product: Product::Postgres,
        version_text: "15.4".into(),
        version: Some(semver::Version::new(15, 4, 0)),
    };
    Finished {
        review: knowledge::review::review(
            &catalogue,
            &plan,
            Database::Probed {
                probes: board,
                server: Some(server),
            },
            ScanReport::default(),
            &Default::default(),
        ),
        results: Vec::new(),
        elsewhere: Default::default(),
        files: Vec::new(),
    }
}

fn reviews(effects: &[Effect]) -> Vec<&Work> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Releases(work) => Some(work),
            _ => None,
        })
        .collect()
}

/// Target 1.2.0, on the Releases step: returns the review it started.
fn on_releases(app: &mut App) -> RunId {
    pick_target(app, "1.2.0");
    type_keys(app, "nn");
    let effects = type_keys(app, "n");
    assert_eq!(app.screen(), ScreenId::Releases);
    match reviews(&effects).as_slice() {
        [Work::Review(job)] => job.run,
        other => panic!("arriving starts a review: {other:?}"),
    }
}

fn reviewed(app: &mut App, run: RunId, review: Finished) {
    app.handle(Event::Releases(WorkEvent::Reviewed {
        run,
        result: Box::new(Ok(review)),
        took: Duration::from_millis(1200),
    }));
}

/// Moves the selection down to the item with this id.
fn select(app: &mut App, id: &str) {
    for _ in 0..40 {
        if draw(app, 120, 40).contains(&format!("1.2/{id} ·")) {
            return;
        }
        press(app, KeyCode::Down);
    }
    panic!("{id} is not in the list");
}

#[test]
fn arriving_reviews_the_target_with_the_database_form() {
    let mut app = app();
    pick_target(&mut app, "1.2.0");
    type_keys(&mut app, "nn");
    let effects = type_keys(&mut app, "n");
    let [Work::Review(job)] = reviews(&effects).as_slice() else {
        panic!("a review starts");
    };
    assert_eq!(job.target, v("1.2.0"));
    assert_eq!(job.settings.host.value, "db.internal");
    assert_eq!(job.files.workflows, None);
    assert!(app.is_busy());
    assert_eq!(app.current().status(), StepStatus::Running);
    // Coming back to a current review does not start another.
    press(&mut app, KeyCode::Left);
    assert!(reviews(&press(&mut app, KeyCode::Right)).is_empty());
}

#[test]
fn snapshots_while_probing() {
    let mut app = app();
    let run = on_releases(&mut app);
    app.handle(Event::Releases(WorkEvent::Planned {
        run,
        from: Installed::Exact(v("1.1.5")),
        probes: vec![
            (
                CheckId::new("release.query_service_required"),
                "Query entity now requires a database service (1.2)".into(),
            ),
            (
                CheckId::new("release.domo_sandbox_domain_renamed"),
                "Domo connectors: sandboxDomain renamed to instanceDomain (1.2)".into(),
            ),
            (
                CheckId::new("release.glossary_draft_terms_approved"),
                "Glossary terms in Draft become Approved (1.2)".into(),
            ),
        ],
    }));
    app.handle(Event::Releases(WorkEvent::Probe {
        run,
        event: CheckEvent::Finished(CheckResult {
            id: CheckId::new("release.query_service_required"),
            title: String::new(),
            step: crate::checks::registered_step("release.query_service_required"),
            outcome: Outcome::warn("3 queries"),
            duration: std::time::Duration::from_millis(40),
        }),
    }));
    app.handle(Event::Releases(WorkEvent::Probe {
        run,
        event: CheckEvent::Started(CheckId::new("release.domo_sandbox_domain_renamed")),
    }));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("1 of 3"), "{screen}");
    snapshot("releases_probing", &app);
}

#[test]
fn items_are_grouped_marked_and_explained() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(true));
    assert!(!app.is_busy());
    assert_eq!(app.current().status(), StepStatus::Warn);
    let screen = draw(&app, 120, 40);
    // The first thing to act on is selected: the queries the migration deletes.
    assert!(screen.contains("› [ ] ✘ affects you"), "{screen}");
    assert!(screen.contains("3 queries will be deleted"), "{screen}");
    assert!(screen.contains("What to do:"), "{screen}");
    assert!(screen.contains("110-to-120.md"), "{screen}");
    assert!(screen.contains("Breaking changes"), "{screen}");
    assert!(screen.contains("Connection changes"), "{screen}");
    snapshot("releases_review", &app);
}

#[test]
fn a_probe_that_could_not_run_is_unknown_and_says_why() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(true));
    select(&mut app, GLOSSARY);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("! unknown: the probe could not run"),
        "{screen}"
    );
    assert!(
        screen.contains("denied for table glossary_term_entity"),
        "{screen}"
    );
    snapshot("releases_failed_probe", &app);
}

#[test]
fn space_acknowledges_breaking_items_only_and_the_session_keeps_them() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(true));
    let effects = type_keys(&mut app, " ");
    assert!(app.session().acknowledged.contains(QUERIES));
    let saved = effects.iter().any(|e| match e {
        Effect::SaveSession(s) => s.acknowledged.contains(QUERIES),
        _ => false,
    });
    assert!(saved, "an acknowledgement is saved at once");
    assert!(draw(&app, 120, 40).contains("[x] acknowledged"));
    // A connection change cannot be acknowledged: its key does nothing.
    select(&mut app, "domo-sandbox-domain-renamed");
    type_keys(&mut app, " ");
    assert_eq!(app.session().acknowledged.len(), 1);
    // Space again takes it back.
    for _ in 0..40 {
        press(&mut app, KeyCode::Up);
    }
    type_keys(&mut app, " ");
    assert!(app.session().acknowledged.is_empty());
}

#[test]
fn acknowledging_every_open_breaking_item_passes_the_step() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(false));
    assert_eq!(app.current().status(), StepStatus::Warn);
    for _ in 0..40 {
        press(&mut app, KeyCode::Up);
    }
    for _ in 0..40 {
        let screen = draw(&app, 120, 40);
        if screen.contains("[ ] not acknowledged") {
            type_keys(&mut app, " ");
        }
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(app.current().status(), StepStatus::Pass);
    assert!(app.session().acknowledged.contains(QUERIES));
    assert!(
        app.session()
            .acknowledged
            .contains(&format!("1.2/{GLOSSARY}"))
    );
}

#[test]
fn the_filter_shows_what_affects_you_and_what_cannot_be_told() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(true));
    let all = draw(&app, 120, 40);
    type_keys(&mut app, "f");
    let filtered = draw(&app, 120, 40);
    assert!(filtered.contains("showing what affects you"), "{filtered}");
    assert!(!filtered.contains("✔ not you"), "{filtered}");
    assert!(filtered.contains("✘ affects you"), "{filtered}");
    assert_ne!(all, filtered);
    snapshot("releases_affecting_me", &app);
    type_keys(&mut app, "f");
    assert!(draw(&app, 120, 40).contains("✔ not you"));
}

#[test]
fn acknowledgements_come_back_with_the_session() {
    let mut acknowledged = std::collections::BTreeSet::new();
    acknowledged.insert(QUERIES.to_string());
    let mut app = App::new(Setup {
        session: SessionStart::Offer(Box::new(Saved {
            path: "/state/wizard-session.json".into(),
            saved_at: "2026-11-26T11:00:00Z".parse().unwrap(),
            session: Session {
                screen: ScreenId::Releases,
                target: Some("1.2.0".into()),
                connection: SavedConnection {
                    engine: Engine::Postgres,
                    host: "db.internal".into(),
                    port: 5432,
                    user: "om".into(),
                    database: "openmetadata_db".into(),
                    schema: "public".into(),
                },
                acknowledged,
                last_backup: None,
                copy_to: None,
                results: Default::default(),
            },
        })),
        ..setup()
    });
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen(), ScreenId::Releases);
    let run = match reviews(&effects).as_slice() {
        [Work::Review(job)] => job.run,
        other => panic!("the resumed step reviews: {other:?}"),
    };
    reviewed(&mut app, run, review(true));
    assert!(draw(&app, 120, 40).contains("› [x] ✘ affects you"));
}

#[test]
fn another_target_makes_the_review_stale_and_arriving_reviews_again() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(true));
    type_keys(&mut app, "ppp");
    pick_target(&mut app, "1.2.1");
    assert_eq!(
        app.screen_of(ScreenId::Releases).status(),
        StepStatus::NotRun
    );
    type_keys(&mut app, "nn");
    let effects = type_keys(&mut app, "n");
    let [Work::Review(job)] = reviews(&effects).as_slice() else {
        panic!("a new review for the new target");
    };
    assert_eq!(job.target, v("1.2.1"));
    // The old review's late answer is not taken for the new one.
    reviewed(&mut app, run, review(true));
    assert!(app.is_busy());
}

#[test]
fn a_workflows_folder_is_typed_and_reviewed_with() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(true));
    type_keys(&mut app, "w");
    assert!(app.current().is_editing());
    type_keys(&mut app, "/opt/wf");
    let effects = press(&mut app, KeyCode::Enter);
    let [Work::Review(job)] = reviews(&effects).as_slice() else {
        panic!("reviewed again with the folder");
    };
    assert_eq!(job.files.workflows, Some(PathBuf::from("/opt/wf")));
    assert!(draw(&app, 80, 24).contains("workflows /opt/wf"));
}

#[test]
fn snapshots_a_review_that_could_not_run() {
    let mut app = app();
    let run = on_releases(&mut app);
    app.handle(Event::Releases(WorkEvent::Reviewed {
        run,
        result: Box::new(Err(ReviewError::Installed(NotInstalled::Unreadable(
            DbError::Refused {
                addr: "db.internal:5432".into(),
            },
        )))),
        took: Duration::from_millis(1200),
    }));
    assert_eq!(app.current().status(), StepStatus::Fail);
    snapshot("releases_error", &app);
    let effects = type_keys(&mut app, "r");
    assert_eq!(reviews(&effects).len(), 1, "r tries again");
}

/// A target older than the installed version: the review cannot be made, and that is a failed
/// `release.path` (a blocker, exit code 1), not a step "not run yet".
#[test]
fn a_downgrade_target_is_a_blocker_in_the_summary() {
    let mut app = app();
    let run = on_releases(&mut app);
    app.handle(Event::Releases(WorkEvent::Reviewed {
        run,
        result: Box::new(Err(ReviewError::Plan(std::sync::Arc::new(
            knowledge::KnowledgeError::Downgrade {
                from: v("1.3.0"),
                to: v("1.2.0"),
            },
        )))),
        took: Duration::from_millis(1200),
    }));
    let results = app.screen_of(ScreenId::Releases).results();
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0].duration,
        Duration::from_millis(1200),
        "the failed review reports how long it took"
    );
    assert_eq!(results[0].id.as_str(), "release.path");
    assert_eq!(results[0].outcome.status, crate::checks::Status::Fail);
    type_keys(&mut app, "nn");
    assert_eq!(app.screen(), ScreenId::Summary);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("not ready: 1 blocker"), "{screen}");
    assert!(screen.contains("exit code 1"), "{screen}");
    assert!(screen.contains("cannot be downgraded"), "{screen}");
}

/// Once the installed version is known, older releases are marked in the list and refused.
#[test]
fn the_target_list_marks_and_refuses_downgrades_and_jumps_to_typed_versions() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    let run = type_keys(&mut app, "t")
        .iter()
        .find_map(|e| match e {
            Effect::Database(crate::tui::screens::database::Work::Test(job)) => Some(job.run),
            _ => None,
        })
        .expect("t starts the checks");
    planned(&mut app, run);
    finished(
        &mut app,
        run,
        result(
            "db.openmetadata",
            "OpenMetadata database and its version",
            Outcome::pass("OpenMetadata schema 1.2.0")
                .detail(crate::checks::db::SCHEMA_VERSION_DETAIL, "1.2.0"),
        ),
    );
    app.handle(Event::Database(
        crate::tui::screens::database::WorkEvent::Done { run },
    ));
    type_keys(&mut app, "p");
    assert_eq!(app.screen(), ScreenId::Welcome);
    let before = app.target().cloned();
    type_keys(&mut app, "t1.1");
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("› 1.1.7"),
        "typing 1.1 jumps to the newest 1.1: {screen}"
    );
    assert!(screen.contains("older than installed: refused"), "{screen}");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.target().cloned(), before, "a downgrade is not taken");
    assert!(draw(&app, 120, 40).contains("OpenMetadata cannot be downgraded"));
    type_keys(&mut app, "1.2.5");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.target().map(ToString::to_string).as_deref(),
        Some("1.2.5")
    );
}

/// At 80x24 the details of an item do not fit under the list: a last row says what is cut,
/// PgDn scrolls them until "What to do" shows, and Enter gives them the whole step.
#[test]
fn the_details_scroll_at_80x24_so_what_to_do_is_reached() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(true));
    let screen = draw(&app, 80, 24);
    assert!(!screen.contains("What to do"), "cut at first: {screen}");
    assert!(screen.contains("more rows: PgDn scrolls"), "{screen}");
    let mut reached = false;
    for _ in 0..10 {
        press(&mut app, KeyCode::PageDown);
        if draw(&app, 80, 24).contains("What to do:") {
            reached = true;
            break;
        }
    }
    assert!(reached, "PgDn reaches What to do: {}", draw(&app, 80, 24));
    snapshot("releases_details_scrolled", &app);
    for _ in 0..10 {
        press(&mut app, KeyCode::PageUp);
    }
    assert!(draw(&app, 80, 24).contains("Query entity now requires"));
    // Enter: the details alone, the list hidden; Enter again brings it back.
    press(&mut app, KeyCode::Enter);
    let alone = draw(&app, 80, 24);
    assert!(!alone.contains("Breaking changes"), "{alone}");
    assert!(alone.contains("What changes:"), "{alone}");
    press(&mut app, KeyCode::Enter);
    assert!(draw(&app, 80, 24).contains("Breaking changes"));
    // Moving to another item and back starts the details at the top again.
    press(&mut app, KeyCode::PageDown);
    assert!(!draw(&app, 80, 24).contains("unlinked queries"));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Up);
    assert!(draw(&app, 80, 24).contains("unlinked queries"));
}

/// m marks breaking items; Space then acknowledges all the marked ones at once.
#[test]
fn marked_items_are_acknowledged_together() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(true));
    type_keys(&mut app, "m");
    select(&mut app, GLOSSARY);
    type_keys(&mut app, "m");
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("[*]"), "{screen}");
    assert!(screen.contains("Space acknowledge 2 marked"), "{screen}");
    assert!(
        app.session().acknowledged.is_empty(),
        "marking acknowledges nothing"
    );
    type_keys(&mut app, " ");
    let acknowledged = app.session().acknowledged;
    assert!(acknowledged.contains(QUERIES), "{acknowledged:?}");
    assert!(
        acknowledged.contains(&format!("1.2/{GLOSSARY}")),
        "{acknowledged:?}"
    );
    assert_eq!(acknowledged.len(), 2);
    assert!(
        !draw(&app, 120, 40).contains("[*]"),
        "the marks are used up"
    );
    // With nothing marked, Space is about the selected item again.
    type_keys(&mut app, " ");
    assert_eq!(app.session().acknowledged.len(), 1);
}

/// "affecting me" shows what affects this installation; the items that cannot be told are
/// hidden (the headline counts them) until u shows them.
#[test]
fn affecting_me_hides_the_unknown_unless_asked() {
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(true));
    type_keys(&mut app, "f");
    let screen = draw(&app, 120, 40);
    assert!(!screen.contains("! unknown "), "{screen}");
    assert!(screen.contains("unknown hidden: u shows them"), "{screen}");
    assert!(screen.contains("✘ affects you"), "{screen}");
    type_keys(&mut app, "u");
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("! unknown "), "{screen}");
    assert!(!screen.contains("✔ not you"), "{screen}");
    type_keys(&mut app, "u");
    assert!(!draw(&app, 120, 40).contains("! unknown "));
}

/// The sort-memory item is judged by the Database step's `db.sort_memory`: unknown until that
/// ran, then its outcome, without probing again.
#[test]
fn the_sort_memory_item_takes_the_database_steps_measurement() {
    const SORT: &str = "1.2/raise-sort-memory-before-migration";
    let verdict = |app: &App| {
        app.screen_of(ScreenId::Releases)
            .release_review()
            .expect("a review")
            .items
            .into_iter()
            .find(|i| i.key == SORT)
            .expect("the sort-memory item")
            .verdict
    };
    let mut app = app();
    let run = on_releases(&mut app);
    reviewed(&mut app, run, review(false));
    assert_eq!(verdict(&app), knowledge::impact::Verdict::Unknown);

    type_keys(&mut app, "pp");
    assert_eq!(app.screen(), ScreenId::Database);
    let effects = type_keys(&mut app, "t");
    let run = effects
        .iter()
        .find_map(|e| match e {
            Effect::Database(crate::tui::screens::database::Work::Test(job)) => Some(job.run),
            _ => None,
        })
        .expect("t starts the checks");
    planned(&mut app, run);
    finished(
        &mut app,
        run,
        result(
            "db.sort_memory",
            "Sort memory for the migration",
            Outcome::warn("work_mem is 4.0 MiB; migrations on large query tables can fail"),
        ),
    );
    assert_eq!(verdict(&app), knowledge::impact::Verdict::Affects);
    finished(
        &mut app,
        run,
        result(
            "db.sort_memory",
            "Sort memory for the migration",
            Outcome::pass("work_mem is 64 MiB (OpenMetadata asks for about 20 MB)"),
        ),
    );
    assert_eq!(verdict(&app), knowledge::impact::Verdict::NotAffected);
    // Judged again, not reviewed again.
    assert!(reviews(&type_keys(&mut app, "nn")).is_empty());
}
