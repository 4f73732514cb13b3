//! The Clients step on the App alone: where it looks, interpreters fed by hand and judged by the
//! real rules against the target, the pip commands (selected, shown as plain text, applied after
//! a question, their output streamed, then checked again), and snapshots at 80x24 and 120x40.

use std::path::PathBuf;

use crossterm::event::KeyCode;

use super::action::Effect;
use super::app::{App, Overlay, Setup};
use super::event::Event;
use super::screens::RunId;
use super::screens::ScreenId;
use super::screens::clients::{Work, WorkEvent};
use super::test_support::*;
use crate::clients::discover::Origin;
use crate::clients::inventory::{Package, pep440_release};
use crate::clients::probe::CliProbe;
use crate::clients::{ClientsError, Interpreter, Inventory, Request};
use crate::report::StepStatus;

const VENV: &str = "/opt/airflow/venv/bin/python";

fn snapshot(name: &str, app: &App) {
    for (width, height) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), draw(app, width, height));
    }
}

fn package(version: &str) -> Package {
    Package {
        version: Some(version.into()),
        release: pep440_release(version),
        location: "/opt/airflow/venv/lib/python3.9/site-packages".into(),
        problem: None,
    }
}

/// Airflow's venv on Python 3.9 with the 1.1.5 clients, and a bare Python 3.11 named by the
/// operator.
fn inventory() -> Inventory {
    Inventory {
        interpreters: vec![
            Interpreter {
                path: VENV.into(),
                origins: vec![Origin::Search {
                    folder: "/opt/airflow".into(),
                }],
                python: "3.9.18".parse().unwrap(),
                prefix: "/opt/airflow/venv".into(),
                venv: true,
                pip: true,
                ingestion: Some(package("1.1.5.0")),
                managed_apis: Some(package("1.1.5.0")),
                airflow: Some(package("2.6.3")),
                plugins: vec!["mysql".into()],
                metadata_cli: Some(CliProbe {
                    works: true,
                    output: "metadata 1.1.5.0 from /opt/airflow/venv (python 3.9)".into(),
                }),
            },
            Interpreter {
                path: "/usr/bin/python3".into(),
                origins: vec![Origin::Flag],
                python: "3.11.2".parse().unwrap(),
                prefix: "/usr".into(),
                venv: false,
                pip: true,
                ingestion: None,
                managed_apis: None,
                airflow: None,
                plugins: Vec::new(),
                metadata_cli: None,
            },
        ],
        broken: Vec::new(),
        notes: Vec::new(),
        looked_at: vec![VENV.into(), "/usr/bin/python3".into()],
    }
}

fn work(effects: &[Effect]) -> Vec<&Work> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Clients(work) => Some(work),
            _ => None,
        })
        .collect()
}

/// Target 1.2.0, on the Clients step: returns the search it started.
fn on_clients(app: &mut App) -> RunId {
    pick_target(app, "1.2.0");
    type_keys(app, "nnn");
    let effects = type_keys(app, "n");
    assert_eq!(app.screen(), ScreenId::Clients);
    match work(&effects).as_slice() {
        [Work::Find { run, .. }] => *run,
        other => panic!("arriving looks for interpreters: {other:?}"),
    }
}

fn found(app: &mut App, run: RunId, result: Result<Inventory, ClientsError>) -> Vec<Effect> {
    app.handle(Event::Clients(WorkEvent::Found {
        run,
        result: Box::new(result),
        took: std::time::Duration::from_millis(700),
    }))
}

fn with_python_flag() -> App {
    App::new(Setup {
        clients: Request {
            pythons: vec!["/usr/bin/python3".into()],
            search: vec!["/opt/airflow".into()],
            ..Request::default()
        },
        ..setup()
    })
}

#[test]
fn arriving_looks_where_the_command_line_said() {
    let mut app = with_python_flag();
    pick_target(&mut app, "1.2.0");
    type_keys(&mut app, "nnn");
    let effects = type_keys(&mut app, "n");
    let [Work::Find { request, .. }] = work(&effects).as_slice() else {
        panic!("a search starts");
    };
    assert_eq!(request.pythons, vec![PathBuf::from("/usr/bin/python3")]);
    assert_eq!(request.search, vec![PathBuf::from("/opt/airflow")]);
    assert!(app.is_busy());
    assert_eq!(app.current().status(), StepStatus::Running);
}

#[test]
fn snapshots_no_interpreter_found() {
    let mut app = app();
    let run = on_clients(&mut app);
    found(
        &mut app,
        run,
        Ok(Inventory {
            looked_at: vec!["/usr/bin/python3".into()],
            ..Inventory::default()
        }),
    );
    assert_eq!(app.current().status(), StepStatus::Warn);
    assert!(draw(&app, 80, 24).contains("No Python with openmetadata-ingestion"));
    snapshot("clients_none_found", &app);
}

#[test]
fn snapshots_interpreters_judged_against_the_target() {
    let mut app = with_python_flag();
    let run = on_clients(&mut app);
    found(&mut app, run, Ok(inventory()));
    // Python 3.11 is not supported by 1.2.0: a failure, with a new environment to make.
    assert_eq!(app.current().status(), StepStatus::Fail);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("1.1.5.0"), "{screen}");
    assert!(
        screen.contains("-m pip install \"openmetadata-ingestion[mysql]==1.2.0.*\""),
        "{screen}"
    );
    assert!(screen.contains("python3.10 -m venv"), "{screen}");
    snapshot("clients_found", &app);
    type_keys(&mut app, "c");
    let plain = draw(&app, 120, 40);
    assert!(
        plain.contains(&format!(
            "{VENV} -m pip install \"openmetadata-ingestion[mysql]==1.2.0.*\""
        )),
        "{plain}"
    );
    assert!(
        plain.contains(&format!("\n\"{VENV} -m pip install")),
        "flush left over the whole width, nothing else: {plain}"
    );
    snapshot("clients_plain_commands", &app);
    // At 80 columns a command longer than the screen breaks between words, continued with a
    // backslash: the rows paste as the one command, none is cut in the middle of a word.
    let narrow = draw(&app, 80, 24);
    let rows: Vec<&str> = narrow
        .lines()
        .skip(1)
        .map(|l| {
            let l = l.strip_prefix('"').unwrap_or(l);
            l.strip_suffix('"').unwrap_or(l).trim_end()
        })
        .filter(|l| !l.is_empty())
        .take_while(|l| !l.contains("c back"))
        .collect();
    let pasted = rows.join("\n").replace(" \\\n  ", " ");
    assert!(
        pasted.contains(&format!(
            "{VENV} -m pip install \"openmetadata-ingestion[mysql]==1.2.0.*\" \
             \"openmetadata-managed-apis==1.2.0.*\""
        )),
        "{narrow}"
    );
}

/// The footer offers `a apply` only where there are commands to run in place, and names what
/// `c` does: it shows the commands alone (to select and copy), it copies nothing itself.
#[test]
fn apply_is_offered_only_with_something_to_apply() {
    let mut app = with_python_flag();
    let run = on_clients(&mut app);
    found(&mut app, run, Ok(inventory()));
    let results = app.screen_of(ScreenId::Clients).results();
    assert!(
        !results.is_empty()
            && results
                .iter()
                .all(|r| r.duration == std::time::Duration::from_millis(700)),
        "the client checks take the search's time: {results:?}"
    );
    let footer = |app: &App| {
        draw(app, 120, 40)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string()
    };
    assert!(footer(&app).contains("a apply"), "{}", footer(&app));
    assert!(
        footer(&app).contains("c commands alone"),
        "{}",
        footer(&app)
    );
    assert!(!footer(&app).contains("copy as text"));
    // The second interpreter needs a new environment: nothing to apply in place.
    press(&mut app, KeyCode::Down);
    assert!(!footer(&app).contains("a apply"), "{}", footer(&app));
    let mut app = with_python_flag();
    let run = on_clients(&mut app);
    found(&mut app, run, Ok(Default::default()));
    assert!(!footer(&app).contains("a apply"), "{}", footer(&app));
    assert!(!footer(&app).contains("commands alone"), "{}", footer(&app));
}

#[test]
fn apply_asks_then_runs_pip_shows_its_output_and_checks_again() {
    let mut app = with_python_flag();
    let run = on_clients(&mut app);
    found(&mut app, run, Ok(inventory()));
    type_keys(&mut app, "a");
    assert!(draw(&app, 80, 24).contains("Run pip?"));
    snapshot("clients_confirm_apply", &app);
    // n answers the question (it does not move to the next step), and nothing runs.
    assert!(work(&type_keys(&mut app, "n")).is_empty());
    assert_eq!(app.screen(), ScreenId::Clients);
    type_keys(&mut app, "a");
    let effects = type_keys(&mut app, "y");
    let [Work::Pip { run, commands }] = work(&effects).as_slice() else {
        panic!("y runs pip");
    };
    let run = *run;
    assert!(commands.iter().all(|c| c.argv[0] == VENV), "{commands:?}");
    assert!(app.is_busy());
    app.handle(Event::Clients(WorkEvent::PipStarted { run, index: 0 }));
    for line in [
        "Collecting openmetadata-ingestion[mysql]==1.2.0.*",
        "  Downloading openmetadata_ingestion-1.2.0.1-py3-none-any.whl (4.1 MB)",
        "Installing collected packages: openmetadata-ingestion",
    ] {
        app.handle(Event::Clients(WorkEvent::PipLine {
            run,
            line: line.into(),
        }));
    }
    type_keys(&mut app, "q");
    assert!(matches!(app.overlay(), Some(Overlay::ConfirmQuit)));
    assert!(draw(&app, 80, 24).contains("pip is running"));
    press(&mut app, KeyCode::Esc);
    snapshot("clients_pip_running", &app);
    for index in 0..commands.len() {
        app.handle(Event::Clients(WorkEvent::PipExited {
            run,
            index,
            code: Ok(Some(0)),
        }));
    }
    let effects = app.handle(Event::Clients(WorkEvent::PipDone { run }));
    assert!(
        matches!(work(&effects).as_slice(), [Work::Find { .. }]),
        "checked again after pip"
    );
}

#[test]
fn a_failed_pip_fails_the_step_and_keeps_its_output() {
    let mut app = with_python_flag();
    let run = on_clients(&mut app);
    let mut only_venv = inventory();
    only_venv.interpreters.truncate(1);
    found(&mut app, run, Ok(only_venv.clone()));
    assert_eq!(app.current().status(), StepStatus::Fail, "1.1.5 client");
    type_keys(&mut app, "a");
    let effects = type_keys(&mut app, "y");
    let run = match work(&effects).as_slice() {
        [Work::Pip { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    app.handle(Event::Clients(WorkEvent::PipStarted { run, index: 0 }));
    app.handle(Event::Clients(WorkEvent::PipLine {
        run,
        line: "ERROR: Could not find a version that satisfies the requirement".into(),
    }));
    app.handle(Event::Clients(WorkEvent::PipExited {
        run,
        index: 0,
        code: Ok(Some(1)),
    }));
    let effects = app.handle(Event::Clients(WorkEvent::PipDone { run }));
    let run = match work(&effects).as_slice() {
        [Work::Find { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    found(&mut app, run, Ok(only_venv));
    // A failure stays on screen until the operator goes back to the results.
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("Could not find a version"), "{screen}");
    assert!(screen.contains("failed with exit code 1"), "{screen}");
    type_keys(&mut app, "o");
    assert!(draw(&app, 80, 24).contains("pip failed in"));
    assert_eq!(app.current().status(), StepStatus::Fail);
}

#[test]
fn interpreters_and_folders_are_added_and_looked_at() {
    let mut app = app();
    let run = on_clients(&mut app);
    found(&mut app, run, Ok(Inventory::default()));
    type_keys(&mut app, "i");
    assert!(app.current().is_editing());
    type_keys(&mut app, "/srv/venv/bin/python");
    let effects = press(&mut app, KeyCode::Enter);
    let [Work::Find { request, run }] = work(&effects).as_slice() else {
        panic!("looked at again");
    };
    assert_eq!(request.pythons, vec![PathBuf::from("/srv/venv/bin/python")]);
    let run = *run;
    found(
        &mut app,
        run,
        Err(ClientsError::MissingInterpreter {
            path: "/srv/venv/bin/python".into(),
        }),
    );
    assert_eq!(app.current().status(), StepStatus::Fail);
    snapshot("clients_missing_interpreter", &app);
    // Remove it again from "Where to look", where adding it left the focus.
    let effects = type_keys(&mut app, "d");
    let [Work::Find { request, run }] = work(&effects).as_slice() else {
        panic!("looked at again");
    };
    assert!(request.pythons.is_empty());
    let run = *run;
    assert!(
        work(&type_keys(&mut app, "s")).is_empty() && !app.current().is_editing(),
        "nothing is added while a search runs"
    );
    found(&mut app, run, Ok(Inventory::default()));
    type_keys(&mut app, "s");
    type_keys(&mut app, "/opt");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(matches!(
        work(&effects).as_slice(),
        [Work::Find { request, .. }] if request.search == vec![PathBuf::from("/opt")]
    ));
}

#[test]
fn the_target_changes_the_verdicts_without_looking_again() {
    let mut app = with_python_flag();
    let run = on_clients(&mut app);
    found(&mut app, run, Ok(inventory()));
    assert!(draw(&app, 120, 40).contains("==1.2.0.*"));
    type_keys(&mut app, "pppp");
    pick_target(&mut app, "1.1.5");
    type_keys(&mut app, "nnn");
    let effects = type_keys(&mut app, "n");
    assert!(work(&effects).is_empty(), "the interpreters are known");
    let screen = draw(&app, 120, 40);
    assert!(!screen.contains("==1.2.0.*"), "{screen}");
}
