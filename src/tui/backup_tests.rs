//! The Backup step on the App alone: keys, worker events fed by hand, and snapshots at 80x24
//! and 120x40 of the states an operator meets (options, running with progress, done, verified
//! and test-restored, failed on a full disk or a folder it may not write, cancelled).

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::KeyCode;

use super::action::Effect;
use super::app::{App, Overlay, SessionStart, Setup};
use super::event::Event;
use super::screens::RunId;
use super::screens::ScreenId;
use super::screens::backup::{Work, WorkEvent};
use super::test_support::*;
use crate::backup::locate::FoundBackup;
use crate::backup::manifest::{
    FileFormat, FileInfo, Manifest, Method, Source, TableEntry, Verification,
};
use crate::backup::output::Compression;
use crate::backup::progress::ProgressEvent;
use crate::backup::rehearse::{RestoreCheck, TableComparison};
use crate::backup::restore::{Restored, RestoredTable};
use crate::backup::scan::{FileKind, FileScan};
use crate::backup::take::{Backup, BackupError};
use crate::backup::verify::{Finding, VerifyReport};
use crate::checks::Status;
use crate::db::Engine;
use crate::report::StepStatus;
use crate::session::{Saved, SavedConnection, Session};

const FOLDER: &str = "/home/operator/.local/share/om-upgrade/backups";
const FILE: &str =
    "/home/operator/.local/share/om-upgrade/backups/openmetadata_202611261000_backup.sql";
const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn snapshot(name: &str, app: &App) {
    for (width, height) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), draw(app, width, height));
    }
}

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().expect("a time")
}

fn manifest(verification: Option<Verification>) -> Manifest {
    Manifest {
        manifest_version: 1,
        tool: "om-upgrade".into(),
        tool_version: "0.1.0".into(),
        method: Method::Builtin,
        format: FileFormat::Sql,
        source: Source {
            engine: Engine::Postgres,
            product: "PostgreSQL".into(),
            server_version: "15.4".into(),
            host: "db.internal".into(),
            port: 5432,
            database: "openmetadata_db".into(),
            schema: Some("public".into()),
            openmetadata_version: Some("1.1.5".into()),
            data_bytes: None,
        },
        started_at: at("2026-11-26T10:00:00Z"),
        finished_at: at("2026-11-26T10:00:03Z"),
        consistency: "one read-only REPEATABLE READ snapshot for every table".into(),
        tables: vec![
            TableEntry {
                name: "table_entity".into(),
                rows: 1200,
                checksum: None,
            },
            TableEntry {
                name: "query_entity".into(),
                rows: 990,
                checksum: None,
            },
        ],
        file: FileInfo {
            name: "openmetadata_202611261000_backup.sql".into(),
            bytes: 4_718_592,
            sha256: SHA.into(),
            compression: Compression::None,
        },
        largest_statement_bytes: Some(65_536),
        notes: Vec::new(),
        verification,
        copies: Vec::new(),
        secrets: None,
    }
}

/// A backup that just finished (a backup older than a day is not "the backup before the
/// upgrade").
fn taken() -> Backup {
    let mut manifest = manifest(None);
    manifest.finished_at = chrono::Utc::now();
    manifest.started_at = manifest.finished_at - chrono::Duration::seconds(3);
    Backup {
        path: FILE.into(),
        manifest_path: format!("{FILE}.manifest.json").into(),
        manifest,
        removed_partials: Vec::new(),
        completed_backups: Vec::new(),
    }
}

fn found() -> Vec<FoundBackup> {
    vec![
        FoundBackup {
            path: FILE.into(),
            bytes: 4_718_592,
            taken_at: at("2026-11-26T10:00:03Z"),
            manifest: Some(manifest(None)),
        },
        FoundBackup {
            path: "/home/operator/.local/share/om-upgrade/backups/openmetadata_202611200930_backup.sql".into(),
            bytes: 4_500_000,
            taken_at: at("2026-11-20T09:30:00Z"),
            manifest: Some(manifest(Some(Verification {
                at: at("2026-11-20T09:35:00Z"),
                ok: true,
                summary: "2 tables, 2,190 rows, 4.3 MiB".into(),
                restored: false,
            }))),
        },
        FoundBackup {
            path: "/home/operator/.local/share/om-upgrade/backups/openmetadata_202310010000_backup.sql".into(),
            bytes: 3_100_000,
            taken_at: at("2023-10-01T00:00:00Z"),
            manifest: None,
        },
    ]
}

/// On the Backup step, the folder looked at (and empty).
fn on_backup() -> App {
    let mut app = app();
    type_keys(&mut app, "nn");
    assert_eq!(app.screen(), ScreenId::Backup);
    app
}

fn work(effects: &[Effect]) -> Vec<&Work> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Backup(work) => Some(work),
            _ => None,
        })
        .collect()
}

/// Presses `b`; returns the run of the backup it started.
fn start(app: &mut App) -> RunId {
    let effects = type_keys(app, "b");
    match work(&effects).as_slice() {
        [Work::Take { run, .. }] => *run,
        other => panic!("b starts one backup: {other:?}"),
    }
}

fn backup_event(app: &mut App, event: WorkEvent) -> Vec<Effect> {
    app.handle(Event::Backup(event))
}

fn progress(app: &mut App, run: RunId, ms: u64, event: ProgressEvent) {
    backup_event(
        app,
        WorkEvent::Progress {
            run,
            elapsed: Duration::from_millis(ms),
            event,
        },
    );
}

/// A backup well under way: 23 of 55 tables done, the 24th half read.
fn halfway(app: &mut App, run: RunId) {
    progress(
        app,
        run,
        10,
        ProgressEvent::Started {
            tables: 55,
            rows_estimate: 200_000,
            bytes_estimate: 400 << 20,
        },
    );
    for (index, (name, rows)) in [
        ("bot_entity", 12),
        ("chart_entity", 4_000),
        ("dashboard_entity", 9_000),
        ("database_entity", 30),
    ]
    .into_iter()
    .enumerate()
    {
        progress(
            app,
            run,
            100,
            ProgressEvent::TableStarted {
                index,
                name: name.into(),
                rows_estimate: rows,
            },
        );
        progress(
            app,
            run,
            200,
            ProgressEvent::TableDone {
                index,
                name: name.into(),
                rows,
            },
        );
    }
    progress(
        app,
        run,
        2_000,
        ProgressEvent::TableStarted {
            index: 23,
            name: "entity_extension_time_series".into(),
            rows_estimate: 60_000,
        },
    );
    progress(
        app,
        run,
        4_000,
        ProgressEvent::Progress {
            table_rows: 36_000,
            total_rows: 80_000,
            bytes: 160 << 20,
        },
    );
}

#[test]
fn b_backs_up_the_database_form_into_the_folder_with_the_options() {
    let mut app = on_backup();
    assert_eq!(app.current().status(), StepStatus::NotRun);
    // Method: builtin → metadata-cli; it writes om-cli, uncompressed.
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let effects = type_keys(&mut app, "b");
    let [Work::Take { request, .. }] = work(&effects).as_slice() else {
        panic!("a backup starts");
    };
    assert_eq!(request.method, Method::MetadataCli);
    assert_eq!(request.format, FileFormat::OmCli, "the only format it has");
    assert_eq!(request.output_dir, PathBuf::from(FOLDER));
    assert_eq!(request.settings.host.value, "db.internal");
    assert_eq!(
        request.settings.password.as_ref().map(|p| p.value.expose()),
        Some("s3cret-pw")
    );
    assert!(app.is_busy());
    assert_eq!(app.current().status(), StepStatus::Running);
}

#[test]
fn the_options_cycle_within_what_each_method_can_write() {
    let mut app = on_backup();
    // builtin: sql → om-cli; compression none → zstd → gzip.
    type_keys(&mut app, "jj");
    press(&mut app, KeyCode::Enter);
    type_keys(&mut app, "j");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("om-cli"), "{screen}");
    assert!(screen.contains("gzip"), "{screen}");
    // native: its own format, no compression.
    type_keys(&mut app, "kkk");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let effects = type_keys(&mut app, "b");
    let [Work::Take { request, .. }] = work(&effects).as_slice() else {
        panic!("a backup starts");
    };
    assert_eq!(request.method, Method::Native);
    assert_eq!(request.format, FileFormat::Native);
    assert_eq!(request.compression, Compression::None);
}

#[test]
fn the_folder_is_typed_and_letters_are_text_while_typing() {
    let mut app = on_backup();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert!(app.current().is_editing());
    app.handle(ctrl('u'));
    let effects = type_keys(&mut app, "/srv/qnb");
    assert!(work(&effects).is_empty(), "b and q are text here");
    assert_eq!(app.exit(), None);
    let effects = press(&mut app, KeyCode::Enter);
    let [Work::Find { dirs }] = work(&effects).as_slice() else {
        panic!("a new folder is looked at");
    };
    assert_eq!(dirs[0], PathBuf::from("/srv/qnb"));
    let effects = type_keys(&mut app, "b");
    let [Work::Take { request, .. }] = work(&effects).as_slice() else {
        panic!("a backup starts");
    };
    assert_eq!(request.output_dir, PathBuf::from("/srv/qnb"));
}

#[test]
fn a_bad_database_form_is_said_here_and_nothing_runs() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    type_keys(&mut app, "jj");
    press(&mut app, KeyCode::Enter);
    app.handle(ctrl('u'));
    type_keys(&mut app, "x");
    press(&mut app, KeyCode::Enter);
    type_keys(&mut app, "n");
    let effects = type_keys(&mut app, "b");
    assert!(work(&effects).is_empty());
    assert_eq!(app.current().status(), StepStatus::Fail);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("'x' is not a port number"), "{screen}");
    assert!(screen.contains("Database step"), "{screen}");
}

#[test]
fn esc_cancels_a_running_backup_and_says_the_partial_file_is_gone() {
    let mut app = on_backup();
    let run = start(&mut app);
    halfway(&mut app, run);
    let effects = press(&mut app, KeyCode::Esc);
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Backup(Work::Cancel(r)) if *r == run
        )),
        "{effects:?}"
    );
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("Cancelling…"), "{screen}");
    assert!(app.is_busy(), "busy until the backup says it stopped");
    let effects = backup_event(
        &mut app,
        WorkEvent::Taken {
            run,
            result: Box::new(Err(BackupError::Cancelled)),
        },
    );
    assert!(!app.is_busy());
    assert!(matches!(work(&effects).as_slice(), [Work::Find { .. }]));
    assert_eq!(app.current().status(), StepStatus::NotRun);
    assert_eq!(app.session().last_backup, None);
    snapshot("backup_cancelled", &app);
}

#[test]
fn quitting_during_a_backup_says_it_cancels_the_backup() {
    let mut app = on_backup();
    let run = start(&mut app);
    halfway(&mut app, run);
    type_keys(&mut app, "q");
    assert!(matches!(app.overlay(), Some(Overlay::ConfirmQuit)));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("A backup is running"), "{screen}");
    assert!(screen.contains("quitting cancels it"), "{screen}");
    snapshot("backup_confirm_quit", &app);
    type_keys(&mut app, "y");
    assert!(app.exit().is_some());
}

#[test]
fn a_finished_backup_is_kept_in_the_session_and_can_be_checked() {
    let mut app = on_backup();
    let run = start(&mut app);
    let effects = backup_event(
        &mut app,
        WorkEvent::Taken {
            run,
            result: Box::new(Ok(taken())),
        },
    );
    assert!(!app.is_busy());
    // Taken is not verified: the step passes only on a verified backup of this database.
    assert_eq!(app.current().status(), StepStatus::Warn);
    let saved: Vec<&Session> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::SaveSession(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(
        saved.last().and_then(|s| s.last_backup.clone()),
        Some(PathBuf::from(FILE))
    );
    let effects = type_keys(&mut app, "v");
    assert!(
        matches!(work(&effects).as_slice(), [Work::Verify { path, .. }] if path == &PathBuf::from(FILE))
    );
    assert!(app.is_busy());
    assert!(
        work(&type_keys(&mut app, "t")).is_empty(),
        "one task at a time"
    );
}

#[test]
fn a_test_restore_goes_to_the_database_step_s_server() {
    let mut app = on_backup();
    let run = start(&mut app);
    backup_event(
        &mut app,
        WorkEvent::Taken {
            run,
            result: Box::new(Ok(taken())),
        },
    );
    app.backup.name_scratch_with(|| SCRATCH.into());
    // t asks first, naming the scratch database and its server; y starts it.
    assert!(work(&type_keys(&mut app, "t")).is_empty(), "nothing yet");
    let screen = draw(&app, 80, 24);
    assert!(screen.contains(SCRATCH), "{screen}");
    assert!(
        screen.contains("postgres://om@db.internal:5432"),
        "{screen}"
    );
    snapshot("backup_confirm_test_restore", &app);
    let effects = type_keys(&mut app, "y");
    let [
        Work::TestRestore {
            path,
            server,
            scratch,
            ..
        },
    ] = work(&effects).as_slice()
    else {
        panic!("y starts the test restore");
    };
    assert_eq!(path, &PathBuf::from(FILE));
    assert_eq!(server.host.value, "db.internal");
    assert_eq!(scratch, SCRATCH, "the database named is the one made");
    assert!(
        app.current()
            .quit_warning()
            .is_some_and(|w| w.contains("scratch database"))
    );
}

const SCRATCH: &str = "omu_restore_check_20261126100500_4242";

#[test]
fn esc_at_the_test_restore_question_creates_nothing() {
    let mut app = on_backup();
    let run = start(&mut app);
    backup_event(
        &mut app,
        WorkEvent::Taken {
            run,
            result: Box::new(Ok(taken())),
        },
    );
    app.backup.name_scratch_with(|| SCRATCH.into());
    assert!(work(&type_keys(&mut app, "t")).is_empty());
    assert!(draw(&app, 120, 40).contains(SCRATCH));
    let effects = press(&mut app, KeyCode::Esc);
    assert!(
        work(&effects).is_empty(),
        "Esc creates nothing: {effects:?}"
    );
    assert!(!app.is_busy());
    assert!(
        !draw(&app, 120, 40).contains(SCRATCH),
        "the question is gone"
    );
    assert_eq!(
        app.screen(),
        ScreenId::Backup,
        "Esc answered the question only"
    );
}

#[test]
fn a_picked_backup_without_a_manifest_can_be_verified_but_not_test_restored() {
    let mut app = on_backup();
    backup_event(&mut app, WorkEvent::Found(found()));
    press(&mut app, KeyCode::Tab);
    type_keys(&mut app, "jj");
    press(&mut app, KeyCode::Enter);
    // Without a manifest it cannot be told which database it is of: refused once, with why.
    assert_eq!(app.session().last_backup, None);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("it cannot be told whether it is of this database"),
        "{screen}"
    );
    assert!(screen.contains("use anyway"), "{screen}");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.session().last_backup,
        Some(PathBuf::from(
            "/home/operator/.local/share/om-upgrade/backups/openmetadata_202310010000_backup.sql"
        ))
    );
    assert_eq!(
        app.current().status(),
        StepStatus::Warn,
        "picked, not checked"
    );
    assert!(work(&type_keys(&mut app, "t")).is_empty());
    assert!(draw(&app, 120, 40).contains("a test restore needs a manifest"));
    assert_eq!(work(&type_keys(&mut app, "v")).len(), 1);
}

#[test]
fn resuming_brings_the_last_backup_back() {
    let app = App::new(Setup {
        session: SessionStart::Offer(Box::new(Saved {
            path: "/state/wizard-session.json".into(),
            saved_at: at("2026-11-26T11:00:00Z"),
            session: Session {
                screen: ScreenId::Backup,
                target: Some("1.2.0".into()),
                connection: SavedConnection {
                    engine: Engine::Postgres,
                    host: "db.internal".into(),
                    port: 5432,
                    user: "om".into(),
                    database: "openmetadata_db".into(),
                    schema: "public".into(),
                },
                acknowledged: Default::default(),
                last_backup: Some(FILE.into()),
                copy_to: None,
                results: Default::default(),
            },
        })),
        ..setup()
    });
    let mut app = app;
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen(), ScreenId::Backup);
    let [Work::Find { dirs }] = work(&effects).as_slice() else {
        panic!("the folder is looked at on arrival");
    };
    assert!(dirs.contains(&PathBuf::from(FOLDER)));
    assert_eq!(app.session().last_backup, Some(PathBuf::from(FILE)));
    backup_event(&mut app, WorkEvent::Found(found()));
    assert!(draw(&app, 120, 40).contains(SHA), "the manifest was found");
}

#[test]
fn stale_results_of_an_older_run_change_nothing() {
    let mut app = on_backup();
    let run = start(&mut app);
    backup_event(
        &mut app,
        WorkEvent::Taken {
            run: RunId(run.0 + 7),
            result: Box::new(Ok(taken())),
        },
    );
    assert!(app.is_busy());
    assert_eq!(app.session().last_backup, None);
}

#[test]
fn snapshots_options_and_backups_found() {
    let mut app = on_backup();
    snapshot("backup_options_looking", &app);
    backup_event(&mut app, WorkEvent::Found(found()));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Down);
    snapshot("backup_options_found", &app);
}

/// At 80x24 nothing an operator copies wraps in the middle: the path is split into its folder
/// and name, the sha256 is whole on its row or cut with a marker, and the copy command is `cd`
/// then `rsync` by name, broken only between words with ` \` continuations.
fn copyables_do_not_wrap_mid_token(screen: &str) {
    let rows: Vec<&str> = screen
        .lines()
        .map(|l| l.trim_end_matches([' ', '"']))
        .collect();
    let has = |text: &str| rows.iter().any(|r| r.ends_with(text));
    assert!(
        has("folder /home/operator/.local/share/om-upgrade/backups"),
        "{screen}"
    );
    assert!(
        has("file   openmetadata_202611261000_backup.sql"),
        "{screen}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains(&SHA[..20]) && (r.contains(SHA) || r.contains('…'))),
        "{screen}"
    );
    assert!(
        has("cd /home/operator/.local/share/om-upgrade/backups"),
        "{screen}"
    );
    assert!(
        has("rsync -av --progress openmetadata_202611261000_backup.sql \\"),
        "{screen}"
    );
    assert!(
        has("  openmetadata_202611261000_backup.sql.manifest.json \\"),
        "{screen}"
    );
    assert!(
        has("  USER@BACKUP-HOST:/srv/backups/openmetadata/"),
        "{screen}"
    );
}

#[test]
fn snapshots_running_with_progress() {
    let mut app = on_backup();
    let run = start(&mut app);
    halfway(&mut app, run);
    app.handle(Event::Tick);
    snapshot("backup_running", &app);
}

#[test]
fn snapshots_done_then_verified_and_test_restored() {
    let mut app = on_backup();
    let run = start(&mut app);
    backup_event(
        &mut app,
        WorkEvent::Taken {
            run,
            result: Box::new(Ok(taken())),
        },
    );
    backup_event(&mut app, WorkEvent::Found(found()));
    snapshot("backup_done", &app);
    copyables_do_not_wrap_mid_token(&draw(&app, 80, 24));

    let effects = type_keys(&mut app, "v");
    let run = match work(&effects).as_slice() {
        [Work::Verify { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    let scan = FileScan {
        kind: FileKind::OmUpgradeSql,
        tables: manifest(None).tables,
        statements: 120,
        complete: true,
        largest_statement: 65_536,
        header_engine: Some(Engine::Postgres),
    };
    let report = VerifyReport {
        path: FILE.into(),
        bytes: 4_718_592,
        sha256: SHA.into(),
        engine: Engine::Postgres,
        kind: Some(FileKind::OmUpgradeSql),
        manifest: Some(manifest(None)),
        scan: Some(scan),
        findings: vec![
            Finding {
                status: Status::Pass,
                text: "SHA-256 matches the manifest (9f86d081884c7d65)".into(),
            },
            Finding {
                status: Status::Pass,
                text: "every table matches the manifest: 2 tables, 2,190 rows".into(),
            },
        ],
    };
    backup_event(
        &mut app,
        WorkEvent::Verified {
            run,
            result: Box::new(Ok(report)),
        },
    );
    let effects = type_keys(&mut app, "ty");
    let run = match work(&effects).as_slice() {
        [Work::TestRestore { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    let check = RestoreCheck {
        database: "omu_restore_check_20261126100500_4242".into(),
        dropped: true,
        restored: Restored {
            database: "omu_restore_check_20261126100500_4242".into(),
            kind: FileKind::OmUpgradeSql,
            proof: crate::backup::completeness::Proof::Manifest,
            notes: Vec::new(),
            statements: 120,
            tables: vec![RestoredTable {
                name: "table_entity".into(),
                rows: 1200,
                expected: Some(1200),
            }],
            dropped: Vec::new(),
            duration: Duration::from_millis(900),
            start_server: None,
        },
        tables: manifest(None)
            .tables
            .iter()
            .map(|t| TableComparison {
                name: t.name.clone(),
                expected_rows: t.rows,
                restored_rows: Some(t.rows),
                checksum_matches: Some(true),
            })
            .collect(),
        checksums_compared: true,
    };
    backup_event(
        &mut app,
        WorkEvent::Restored {
            run,
            result: Box::new(Ok(check)),
        },
    );
    // The list's copy of the backup is from 2026-11-26: more than a day old, so not "the
    // backup before the upgrade" however well it checks out.
    assert_eq!(app.current().status(), StepStatus::Warn);
    snapshot("backup_verified_and_restored", &app);
    let mut fresh = found();
    fresh[0].manifest = Some(taken().manifest);
    backup_event(&mut app, WorkEvent::Found(fresh));
    assert_eq!(app.current().status(), StepStatus::Pass);
}

#[test]
fn snapshots_a_full_disk_and_a_folder_it_may_not_write() {
    let mut app = on_backup();
    let run = start(&mut app);
    halfway(&mut app, run);
    backup_event(
        &mut app,
        WorkEvent::Taken {
            run,
            result: Box::new(Err(BackupError::Output {
                path: FILE.into(),
                source: std::io::Error::from_raw_os_error(28),
                left: Default::default(),
            })),
        },
    );
    assert_eq!(app.current().status(), StepStatus::Fail);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("The disk is full"), "{screen}");
    snapshot("backup_failed_disk_full", &app);

    let run = start(&mut app);
    backup_event(
        &mut app,
        WorkEvent::Taken {
            run,
            result: Box::new(Err(BackupError::Output {
                path: "/root/backups".into(),
                source: std::io::Error::from_raw_os_error(13),
                left: Default::default(),
            })),
        },
    );
    snapshot("backup_failed_permission", &app);
}

#[test]
fn a_failed_check_of_the_backup_fails_the_step() {
    let mut app = on_backup();
    let run = start(&mut app);
    backup_event(
        &mut app,
        WorkEvent::Taken {
            run,
            result: Box::new(Ok(taken())),
        },
    );
    let effects = type_keys(&mut app, "v");
    let run = match work(&effects).as_slice() {
        [Work::Verify { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    let report = VerifyReport {
        path: FILE.into(),
        bytes: 100,
        sha256: "00".repeat(32),
        engine: Engine::Postgres,
        kind: None,
        manifest: None,
        scan: None,
        findings: vec![Finding {
            status: Status::Fail,
            text: "the file is 100 B but the manifest says 4.5 MiB: it was truncated after the \
                   backup"
                .into(),
        }],
    };
    backup_event(
        &mut app,
        WorkEvent::Verified {
            run,
            result: Box::new(Ok(report)),
        },
    );
    assert_eq!(app.current().status(), StepStatus::Fail);
    assert!(draw(&app, 120, 40).contains("it was truncated after the backup"));
}

#[test]
fn a_crashed_worker_ends_as_a_failure_instead_of_spinning() {
    let mut app = on_backup();
    let run = start(&mut app);
    backup_event(
        &mut app,
        WorkEvent::Crashed {
            run,
            reason: "a background task panicked".into(),
        },
    );
    assert!(!app.is_busy());
    assert_eq!(app.current().status(), StepStatus::Fail);
}

#[test]
fn copy_off_this_host_asks_for_a_destination_remembers_it_and_shows_the_verified_copy() {
    let mut app = on_backup();
    let run = start(&mut app);
    backup_event(
        &mut app,
        WorkEvent::Taken {
            run,
            result: Box::new(Ok(taken())),
        },
    );
    assert!(draw(&app, 80, 24).contains("Not off this host yet"));
    // Without a destination, c opens the "copy to" field of the options.
    assert!(work(&type_keys(&mut app, "c")).is_empty());
    assert!(app.current().is_editing());
    type_keys(&mut app, "s3://om-backups/prod");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.session().copy_to.as_deref(),
        Some("s3://om-backups/prod")
    );
    let effects = type_keys(&mut app, "c");
    let [Work::Copy { run, path, url }] = work(&effects).as_slice() else {
        panic!("c copies the backup: {effects:?}");
    };
    let run = *run;
    assert_eq!(path, &PathBuf::from(FILE));
    assert_eq!(url, "s3://om-backups/prod");
    assert!(app.is_busy());
    backup_event(
        &mut app,
        WorkEvent::Uploading {
            run,
            sent: 3 << 20,
            total: 9 << 20,
        },
    );
    assert!(draw(&app, 80, 24).contains("3.0 MiB of 9.0 MiB sent"));
    let record = crate::backup::manifest::CopyRecord {
        url: format!(
            "s3://om-backups/prod/{}",
            std::path::Path::new(FILE)
                .file_name()
                .unwrap()
                .to_string_lossy()
        ),
        at: at("2026-11-26T10:05:00Z"),
        verified_by: crate::backup::manifest::VerifiedBy::StoreChecksum,
        bytes: 4_500_000,
        sha256: "ab".into(),
        checked: None,
    };
    let object = |name: &str| crate::store::StoredObject {
        name: name.into(),
        url: format!("s3://om-backups/prod/{name}"),
        bytes: 1,
        sha256: "ab".into(),
        verified_by: crate::backup::manifest::VerifiedBy::StoreChecksum,
    };
    backup_event(
        &mut app,
        WorkEvent::Copied {
            run,
            result: Box::new(Ok(crate::store::Copied {
                record: record.clone(),
                stored: crate::store::StoredCopy {
                    data: object("b.sql"),
                    manifest: object("b.sql.manifest.json"),
                },
                not_recorded: None,
            })),
        },
    );
    assert!(!app.is_busy());
    let screen = draw(&app, 120, 40);
    assert!(screen.contains(&record.url), "{screen}");
    assert!(
        screen.contains("verified by the store's checksum"),
        "{screen}"
    );
    assert!(!screen.contains("Not off this host yet"), "{screen}");
}
