//! Fixtures for the wizard's tests: an App on fixed settings, key presses, check results.

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::Effect;
use super::app::{App, SessionStart, Setup};
use super::event::Event;
use super::screens::{RunId, database};
use super::theme::Theme;
use crate::checks::runner::{CheckEvent, CheckResult};
use crate::checks::{CheckId, Outcome};
use crate::config::{self, DbInputs, Env};
use crate::version::Version;

/// Settings as `--db-url postgres://om@db.internal:5432/openmetadata_db` resolves them, with
/// DB_USER_PASSWORD in the environment.
pub fn setup() -> Setup {
    let resolved = config::resolve(
        &DbInputs {
            db_url: Some("postgres://om@db.internal:5432/openmetadata_db".into()),
            ..Default::default()
        },
        &Env::from_pairs([("DB_USER_PASSWORD", "s3cret-pw")]),
    )
    .expect("fixture settings resolve");
    Setup {
        settings: resolved.settings,
        warnings: resolved.warnings,
        target: None,
        backup_dir: PathBuf::from("/home/operator/.local/share/om-upgrade/backups"),
        report_path: PathBuf::from(
            "/var/lib/om-upgrade/reports/om-upgrade-report-20261126-100005.md",
        ),
        session: SessionStart::None,
        theme: Theme::monochrome(),
        catalogue: Ok(catalogue()),
        files: Default::default(),
        // Nothing on PATH: the Clients step looks only where a test says.
        clients: Default::default(),
        installation: Default::default(),
    }
}

/// The built-in release catalogue.
pub fn catalogue() -> std::sync::Arc<crate::knowledge::Catalogue> {
    std::sync::Arc::new(crate::knowledge::Catalogue::load(None).expect("built-in catalogue"))
}

pub fn app() -> App {
    App::new(setup())
}

pub fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Presses each character of `text` as a key; returns all effects.
pub fn type_keys(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| app.handle(key(KeyCode::Char(c))))
        .collect()
}

pub fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(key(code))
}

pub fn result(id: &'static str, title: &str, outcome: Outcome) -> CheckResult {
    CheckResult {
        id: CheckId::new(id),
        title: title.into(),
        step: crate::checks::registered_step(id),
        outcome,
        duration: Duration::from_millis(120),
    }
}

/// The connection checks in the order the registry has them.
pub const PLANNED: [(&str, &str); 7] = [
    ("db.connect", "Database reachable, login works"),
    ("db.server_version", "Database server version"),
    ("db.openmetadata", "OpenMetadata database and its version"),
    ("db.privileges", "User can read every table in one snapshot"),
    ("db.size", "Database size and row counts"),
    ("db.sort_memory", "Sort memory for the migration"),
    ("backup.disk_space", "Room for a backup"),
];

pub fn planned(app: &mut App, run: RunId) {
    app.handle(Event::Database(database::WorkEvent::Planned {
        run,
        checks: PLANNED
            .iter()
            .map(|(id, title)| (CheckId::new(id), (*title).to_string()))
            .collect(),
    }));
}

pub fn started(app: &mut App, run: RunId, id: &'static str) {
    app.handle(Event::Database(database::WorkEvent::Check {
        run,
        event: CheckEvent::Started(CheckId::new(id)),
    }));
}

pub fn finished(app: &mut App, run: RunId, result: CheckResult) {
    app.handle(Event::Database(database::WorkEvent::Check {
        run,
        event: CheckEvent::Finished(result),
    }));
}

/// Draws the App at `width` x `height`; the text of the screen, version-independent. The
/// newest release, the default target, reads `X.Y.Z` (as wide as the real one), so that a
/// newer catalogue does not change every snapshot.
pub fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| frame.render_widget(app, frame.area()))
        .expect("draw");
    let newest = catalogue().newest().to_string();
    let placeholder = format!("{:Z<width$}", "X.Y.", width = newest.len());
    terminal
        .backend()
        .to_string()
        .replace(env!("CARGO_PKG_VERSION"), "[version]")
        .replace(
            &format!("target {newest} "),
            &format!("target {placeholder} "),
        )
        .replace(
            &format!("version  {newest} "),
            &format!("version  {placeholder} "),
        )
}

/// Every release the catalogue knows, newest first (the order of the pick-list).
pub fn known_releases() -> Vec<Version> {
    catalogue()
        .releases()
        .iter()
        .rev()
        .flat_map(|r| r.patches.iter().rev().cloned())
        .collect()
}

/// On the Welcome step: picks `version` from the target list.
pub fn pick_target(app: &mut App, version: &str) {
    let known = known_releases();
    let want = known
        .iter()
        .position(|v| v.to_string() == version)
        .expect("a release the catalogue knows");
    let from = app
        .target()
        .and_then(|t| known.iter().position(|k| k == t))
        .unwrap_or(0);
    type_keys(app, "t");
    let key = if want >= from {
        KeyCode::Down
    } else {
        KeyCode::Up
    };
    for _ in 0..want.abs_diff(from) {
        press(app, key);
    }
    press(app, KeyCode::Enter);
    assert_eq!(
        app.target().map(ToString::to_string).as_deref(),
        Some(version)
    );
}
