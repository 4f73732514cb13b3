//! The Summary step: snapshots at 80x24 and 120x40 (nothing run yet; a database test with a
//! blocker and warnings; editing the file name; written; an existing file; an unwritable
//! folder, written for real), the keyboard flow of an export, and a real export whose file
//! holds no password.

use crossterm::event::KeyCode;

use super::action::Effect;
use super::app::App;
use super::event::Event;
use super::screens::ScreenId;
use super::screens::summary::{ExportJob, Written};
use super::screens::{RunId, database, summary};
use super::test_support::*;
use super::workers::summary::export_report;
use crate::checks::Outcome;
use crate::report::StepStatus;
use crate::report::{Format, WriteError};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snapshot(name: &str, app: &App) {
    for (width, height) in SIZES {
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), draw(app, width, height));
    }
}

/// A finished connection test with one failure and two warnings, then on to the Summary.
fn tested_then_summary(app: &mut App) {
    press(app, KeyCode::Enter);
    let effects = type_keys(app, "t");
    let run = effects
        .iter()
        .find_map(|e| match e {
            Effect::Database(database::Work::Test(job)) => Some(job.run),
            _ => None,
        })
        .expect("t starts the checks");
    feed_results(app, run);
    type_keys(app, "nnnn");
    assert_eq!(app.screen(), ScreenId::Summary);
}

fn feed_results(app: &mut App, run: RunId) {
    planned(app, run);
    for (id, title, outcome) in [
        (
            "db.connect",
            "Database reachable, login works",
            Outcome::pass("connected to postgres://om@db.internal:5432/openmetadata_db in 12 ms"),
        ),
        (
            "db.server_version",
            "Database server version",
            Outcome::pass("PostgreSQL 15.19 (OpenMetadata 1.2.0 documents 12 to 16)"),
        ),
        (
            "db.openmetadata",
            "OpenMetadata database and its version",
            Outcome::pass("OpenMetadata schema 1.1.5 in schema 'public'"),
        ),
        (
            "db.privileges",
            "User can read every table in one snapshot",
            Outcome::fail("user 'om' cannot read 3 of 55 tables").fix(
                "Grant SELECT on every table of the metadata database to 'om', or use the \
                 OpenMetadata server's own database user.",
            ),
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
            Outcome::warn("1.9 GiB free in /var/backups/om for a backup of about 1.5 GiB")
                .fix("Space is tight: free some space or choose another folder."),
        ),
    ] {
        finished(app, run, result(id, title, outcome));
    }
    app.handle(Event::Database(database::WorkEvent::Done { run }));
}

fn export_job(effects: Vec<Effect>) -> ExportJob {
    effects
        .into_iter()
        .find_map(|e| match e {
            Effect::Summary(summary::Work::Export(job)) => Some(*job),
            _ => None,
        })
        .expect("e starts the export")
}

#[test]
fn summary_before_anything_ran() {
    let mut app = app();
    type_keys(&mut app, "nnnnn");
    assert_eq!(app.screen(), ScreenId::Summary);
    snapshot("summary_fresh", &app);
    // At 80x24 the report's path does not fit a row: folder and file each whole on their own.
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("folder  /var/lib/om-upgrade/reports "),
        "{screen}"
    );
    assert!(
        screen.contains("file    om-upgrade-report-20261126-100005.md "),
        "{screen}"
    );
}

#[test]
fn summary_lists_blockers_first_with_what_to_do() {
    let mut app = app();
    tested_then_summary(&mut app);
    snapshot("summary_findings", &app);
    // The selection walks the findings; the remediation follows it.
    press(&mut app, KeyCode::Down);
    snapshot("summary_second_finding", &app);
}

#[test]
fn summary_editing_the_file_name() {
    let mut app = app();
    tested_then_summary(&mut app);
    press(&mut app, KeyCode::Enter);
    assert!(app.current().is_editing());
    for _ in 0.."om-upgrade-report-20261126-100005.md".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_keys(&mut app, "change-4711.md");
    snapshot("summary_editing_path", &app);
}

#[test]
fn summary_after_a_written_report() {
    let mut app = app();
    tested_then_summary(&mut app);
    let job = export_job(type_keys(&mut app, "e"));
    assert!(app.is_busy(), "quitting asks while the file is written");
    app.handle(Event::Summary(summary::WorkEvent::Written(Ok(Written {
        path: job.request.path,
        bytes: 6_912,
        format: Format::Markdown,
    }))));
    assert_eq!(app.screen_of(ScreenId::Summary).status(), StepStatus::Pass);
    snapshot("summary_written", &app);
}

#[test]
fn summary_when_the_file_exists() {
    let mut app = app();
    tested_then_summary(&mut app);
    let job = export_job(type_keys(&mut app, "e"));
    app.handle(Event::Summary(summary::WorkEvent::Written(Err(
        WriteError::Exists {
            path: job.request.path,
        },
    ))));
    snapshot("summary_file_exists", &app);
    let again = export_job(type_keys(&mut app, "e"));
    assert!(again.request.replace, "asked again: replace it");
}

/// The real export job into a folder nobody can write (even root: /proc takes no new files).
#[test]
fn summary_export_error_unwritable_folder() {
    let mut app = app();
    tested_then_summary(&mut app);
    press(&mut app, KeyCode::Enter);
    app.handle(ctrl('u'));
    type_keys(&mut app, "/proc/change-4711.md");
    press(&mut app, KeyCode::Enter);
    let job = export_job(type_keys(&mut app, "e"));
    assert!(!job.request.create_folder);
    let result = export_report(job);
    assert!(
        matches!(&result, Err(WriteError::Io { path, .. }) if path.starts_with("/proc")),
        "{result:?}"
    );
    app.handle(Event::Summary(summary::WorkEvent::Written(result)));
    assert_eq!(app.screen_of(ScreenId::Summary).status(), StepStatus::Fail);
    snapshot("summary_export_error", &app);
}

#[test]
fn the_export_takes_what_the_steps_hold_and_the_format_keys() {
    let mut app = app();
    tested_then_summary(&mut app);
    type_keys(&mut app, "f");
    let job = export_job(type_keys(&mut app, "e"));
    assert_eq!(job.request.format, Format::Json);
    assert_eq!(
        job.request.path.to_str(),
        Some("/var/lib/om-upgrade/reports/om-upgrade-report-20261126-100005.json")
    );
    assert!(job.request.create_folder, "the default reports folder");
    let ids: Vec<&str> = job.recorded.results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, PLANNED.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    assert_eq!(job.recorded.settings.host.value, "db.internal");
    assert_eq!(
        type_keys(&mut app, "e")
            .iter()
            .filter(|e| matches!(e, Effect::Summary(_)))
            .count(),
        0,
        "one export at a time"
    );
}

/// A real export into a new reports folder: the file is there, owner-only, holds the checklist
/// and the form's results, and not the password.
#[test]
fn a_real_export_writes_the_report_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("reports/om-upgrade-report-20261126-100005.html");
    let mut app = App::new(crate::tui::Setup {
        report_path: path.clone(),
        ..setup()
    });
    tested_then_summary(&mut app);
    type_keys(&mut app, "ff");
    let job = export_job(type_keys(&mut app, "e"));
    assert_eq!(job.request.format, Format::Html);
    let password = job
        .recorded
        .settings
        .password
        .as_ref()
        .map(|p| p.value.expose().to_string())
        .expect("the fixture has a password");
    let written = export_report(job).expect("written");
    assert_eq!(written.path, path);
    let html = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written.bytes, html.len() as u64);
    assert!(
        html.contains("<strong>1. Database connectivity</strong>"),
        "{html}"
    );
    assert!(html.contains("db.privileges"), "{html}");
    assert!(html.contains("exported from the wizard"), "{html}");
    assert!(!html.contains(&password), "the password is in the report");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// Writes the export the Summary asks for as JSON into `dir` and reads it back.
fn exported_json(app: &mut App, dir: &std::path::Path) -> serde_json::Value {
    let mut job = export_job(type_keys(app, "e"));
    job.request.path = dir.join("report.json");
    job.request.format = Format::Json;
    job.request.create_folder = false;
    job.request.replace = true;
    let written = export_report(job).expect("written");
    app.handle(Event::Summary(summary::WorkEvent::Written(Ok(
        written.clone()
    ))));
    serde_json::from_str(&std::fs::read_to_string(&written.path).unwrap()).unwrap()
}

/// The Summary's verdict and exit code are the exported report's, which `om-upgrade report`
/// assembles the same way: one state, one verdict.
#[test]
fn the_summary_and_the_export_give_the_same_verdict_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app();
    tested_then_summary(&mut app);
    let shown = app.summary.overall().expect("a verdict");
    let json = exported_json(&mut app, dir.path());
    assert_eq!(json["overall"], serde_json::to_value(shown).unwrap());
    assert_eq!(shown.exit_code, 1, "a failed check is a failure");
    assert_eq!(json["overall"]["readiness"], "blocked");
    // The same recorded state through `report`'s own assembly gives the same verdict.
    let job = export_job(type_keys(&mut app, "e"));
    let cli = crate::report::assemble(job.recorded, crate::report::Stamp::now(&Default::default()));
    assert_eq!(cli.overall, shown);
    // A step not run is not "ready": the backup was never taken here.
    let backup = &json["checklist"][1];
    assert_eq!(backup["step"], "backup");
    assert_ne!(backup["done"], true, "{backup}");
    assert_ne!(backup["status"], "pass", "{backup}");
}

/// Nothing failed, but the backup, the review and the clients never ran: not ready, exit 1.
#[test]
fn steps_not_run_are_not_ready_in_the_summary_and_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    let effects = type_keys(&mut app, "t");
    let run = effects
        .iter()
        .find_map(|e| match e {
            Effect::Database(database::Work::Test(job)) => Some(job.run),
            _ => None,
        })
        .expect("t starts the checks");
    planned(&mut app, run);
    for (id, title) in PLANNED {
        finished(&mut app, run, result(id, title, Outcome::pass("fine")));
    }
    app.handle(Event::Database(database::WorkEvent::Done { run }));
    type_keys(&mut app, "nnnn");
    let shown = app.summary.overall().expect("a verdict");
    assert_eq!(shown.readiness, crate::report::model::Readiness::Incomplete);
    assert_eq!(shown.exit_code, 1);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("not ready"), "{screen}");
    assert!(screen.contains("exit code 1"), "{screen}");
    assert!(
        screen.contains("no verified backup of this database yet"),
        "free disk space alone is not a backup: {screen}"
    );
    let json = exported_json(&mut app, dir.path());
    assert_eq!(json["overall"]["readiness"], "incomplete");
    assert_eq!(json["overall"]["exit_code"], 1);
    assert_eq!(json["checklist"][1]["status"], "not_run");
}

/// A target changed after the database test: the test judged another target, so its results
/// are stale, and a report written before says so.
#[test]
fn changing_the_target_makes_the_database_results_stale_and_the_export_outdated() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app();
    tested_then_summary(&mut app);
    exported_json(&mut app, dir.path());
    assert_eq!(app.screen_of(ScreenId::Summary).status(), StepStatus::Pass);
    type_keys(&mut app, "ppppp");
    assert_eq!(app.screen(), ScreenId::Welcome);
    let other = known_releases()
        .into_iter()
        .find(|v| Some(v) != app.target())
        .unwrap()
        .to_string();
    pick_target(&mut app, &other);
    assert!(app.screen_of(ScreenId::Database).is_stale());
    type_keys(&mut app, "nnnnn");
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("stale — re-run"), "{screen}");
    assert!(
        screen.contains("was written before the last change"),
        "{screen}"
    );
    let json = exported_json(&mut app, dir.path());
    assert_eq!(json["checklist"][0]["status"], "stale");
    assert!(
        json["checklist"][0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("stale — re-run"),
        "{json}"
    );
    assert_eq!(json["overall"]["exit_code"], 1);
}
