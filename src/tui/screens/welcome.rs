//! Welcome: what the wizard will do, where each setting was found, and the target version,
//! picked from the releases the catalogue knows (newest by default).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Keys, Screen, ScreenId};
use crate::config::{DbSettings, SettingsWarning, Source};
use crate::db::Engine;
use crate::knowledge::{Catalogue, KnowledgeError};
use crate::report::StepStatus;
use crate::tui::keymap::{Binding, keys};
use crate::tui::theme::Look;
use crate::version::Version;

/// Versions shown at once in the pick-list.
const PICK_ROWS: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// On to the next step (the App moves).
    Continue,
    /// Open the pick-list of known releases.
    Pick,
    Up,
    Down,
    PageUp,
    PageDown,
    Accept,
    Cancel,
    /// A digit or a dot typed in the open list: jumps to the newest version that starts so.
    Jump(char),
}

/// Where the target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetOrigin {
    Flag,
    Session,
    Picked,
    /// Nothing chosen: the newest release the catalogue knows.
    Newest,
}

/// One resolved setting, as found at start.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    name: &'static str,
    value: String,
    /// None for a value that was not found anywhere (no password).
    source: Option<Source>,
}

#[derive(Debug, Clone)]
pub struct Welcome {
    target: Option<(Version, TargetOrigin)>,
    /// Every release the catalogue knows, newest first.
    known: Vec<Version>,
    /// Why there is no list to pick from.
    catalogue_error: Option<String>,
    /// The highlighted row while the pick-list is open.
    picking: Option<usize>,
    found: Vec<Found>,
    warnings: Vec<String>,
    /// The version installed, once the Database step read it: older targets are refused.
    installed: Option<Version>,
    /// The recommended release of each minor line (its newest patch that is not known-bad).
    recommended: Vec<Version>,
    /// Known-bad releases (on this engine) and the release to take instead.
    bad: Vec<(Version, Version)>,
    /// What was typed in the open list to jump to a version.
    jump: String,
    /// Why the highlighted version was not taken.
    refused: Option<String>,
}

impl Welcome {
    pub fn new(
        settings: &DbSettings,
        warnings: &[SettingsWarning],
        target: Option<Version>,
        catalogue: Result<&Catalogue, &KnowledgeError>,
    ) -> Welcome {
        let (known, catalogue_error) = match catalogue {
            Ok(catalogue) => (
                catalogue
                    .releases()
                    .iter()
                    .rev()
                    .flat_map(|r| r.patches.iter().rev().cloned())
                    .collect(),
                None,
            ),
            Err(error) => (Vec::new(), Some(error.to_string())),
        };
        let engine = Some(settings.engine.value);
        let (recommended, bad) = match catalogue {
            Ok(catalogue) => {
                let mut lines: Vec<String> = known.iter().map(Version::minor_line).collect();
                lines.dedup();
                (
                    lines
                        .iter()
                        .filter_map(|line| catalogue.recommended(Some(line)))
                        .collect(),
                    known
                        .iter()
                        .filter_map(|v| {
                            catalogue
                                .target_advice(v, engine)
                                .map(|a| (v.clone(), a.instead))
                        })
                        .collect(),
                )
            }
            Err(_) => (Vec::new(), Vec::new()),
        };
        let target = match target {
            Some(version) => Some((version, TargetOrigin::Flag)),
            // The newest release that is not known-bad.
            None => catalogue
                .ok()
                .and_then(|c| c.recommended(None))
                .filter(|v| known.contains(v))
                .or_else(|| known.first().cloned())
                .map(|newest| (newest, TargetOrigin::Newest)),
        };
        Welcome {
            target,
            known,
            catalogue_error,
            picking: None,
            found: found_settings(settings),
            warnings: warnings.iter().map(ToString::to_string).collect(),
            installed: None,
            recommended,
            bad,
            jump: String::new(),
            refused: None,
        }
    }

    /// The installed version, as the Database step read it.
    pub fn set_installed(&mut self, installed: Option<Version>) {
        if installed.is_some() {
            self.installed = installed;
        }
    }

    /// Why `version` cannot be the target: older than what is installed.
    fn downgrade(&self, version: &Version) -> Option<String> {
        let installed = self.installed.as_ref()?;
        (version.release() < installed.release()).then(|| {
            format!(
                "{version} is older than the installed {installed}: OpenMetadata cannot be \
                 downgraded"
            )
        })
    }

    /// The release to take instead of a known-bad `version`.
    fn instead_of(&self, version: &Version) -> Option<&Version> {
        self.bad
            .iter()
            .find(|(bad, _)| *bad == version.release())
            .map(|(_, instead)| instead)
    }

    pub fn target(&self) -> Option<&Version> {
        self.target.as_ref().map(|(v, _)| v)
    }

    /// Takes the target of a saved session, unless one was given on the command line.
    pub fn resume(&mut self, saved: Option<&str>) {
        if matches!(self.target, Some((_, TargetOrigin::Flag))) {
            return;
        }
        if let Some(version) = saved.and_then(|s| s.parse::<Version>().ok()) {
            self.target = Some((version, TargetOrigin::Session));
        }
    }

    /// The target is one the catalogue lists (a flag or an old session may name another).
    fn target_is_known(&self) -> bool {
        self.target()
            .is_none_or(|t| self.known.contains(&t.release()))
    }

    pub fn update(&mut self, action: Action) {
        let last = self.known.len().saturating_sub(1);
        match action {
            Action::Pick => {
                let at = self
                    .target()
                    .and_then(|t| self.known.iter().position(|k| *k == t.release()))
                    .unwrap_or(0);
                self.picking = (!self.known.is_empty()).then_some(at);
            }
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(PICK_ROWS as isize)),
            Action::PageDown => self.move_by(PICK_ROWS as isize),
            Action::Jump(c) => self.jump_to(c),
            Action::Accept => {
                let Some(version) = self
                    .picking
                    .and_then(|i| self.known.get(i.min(last)))
                    .cloned()
                else {
                    return;
                };
                self.jump.clear();
                if let Some(why) = self.downgrade(&version) {
                    self.refused = Some(why);
                    return;
                }
                self.picking = None;
                self.jump.clear();
                self.refused = None;
                let unchanged = self.target().is_some_and(|t| *t == version);
                if !unchanged {
                    self.target = Some((version, TargetOrigin::Picked));
                }
            }
            Action::Cancel => {
                self.picking = None;
                self.jump.clear();
                self.refused = None;
            }
            Action::Continue => {}
        }
    }

    fn move_by(&mut self, delta: isize) {
        let last = self.known.len().saturating_sub(1);
        self.jump.clear();
        self.refused = None;
        if let Some(at) = &mut self.picking {
            *at = at.saturating_add_signed(delta).min(last);
        }
    }

    /// Typing `1.4` highlights the newest 1.4 release; a prefix no version has starts over
    /// with the character typed.
    fn jump_to(&mut self, c: char) {
        // `1.1` is the 1.1 line (1.1.7), not 1.12; a partial number matches as typed.
        let find = |prefix: &str| {
            let whole = |v: &Version| {
                let text = v.to_string();
                text == prefix || text.starts_with(&format!("{prefix}."))
            };
            self.known.iter().position(whole).or_else(|| {
                self.known
                    .iter()
                    .position(|v| v.to_string().starts_with(prefix))
            })
        };
        let mut prefix = format!("{}{c}", self.jump);
        let mut at = find(&prefix);
        if at.is_none() {
            prefix = c.to_string();
            at = find(&prefix);
        }
        match at {
            Some(at) => {
                self.jump = prefix;
                self.picking = Some(at);
            }
            None => self.jump.clear(),
        }
    }

    fn plan_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let mut lines = vec![Line::styled(
            "Gets OpenMetadata's database ready for a server upgrade:",
            theme.text(),
        )];
        for (number, id) in ScreenId::ALL.iter().skip(1).enumerate() {
            let what = match id {
                ScreenId::Database => "reach it; check version, privileges, free space",
                ScreenId::Backup => "a consistent backup, verified, kept safe",
                ScreenId::Releases => "what changes up to the target, for you",
                ScreenId::Clients => "align the Python ingestion clients",
                ScreenId::Summary => "a checklist and report for the ticket",
                ScreenId::Welcome => "",
            };
            let style = theme.text();
            lines.push(Line::from(vec![
                Span::styled(format!("  {} {:<10}", number + 1, id.title()), style),
                Span::styled(what, style),
            ]));
        }
        lines
    }

    fn target_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let label = Span::styled("Target version  ", theme.title());
        let mut lines = Vec::new();
        let (value, source) = match &self.target {
            Some((version, origin)) => (
                Span::styled(version.to_string(), theme.text()),
                match origin {
                    TargetOrigin::Flag => "from --target",
                    TargetOrigin::Session => "from the saved session",
                    TargetOrigin::Picked => "picked here",
                    TargetOrigin::Newest => "the newest recommended release om-upgrade knows",
                },
            ),
            None => (
                Span::styled("not chosen yet", theme.notice()),
                "the release review needs it",
            ),
        };
        lines.push(Line::from(vec![
            label,
            value,
            Span::styled(format!("  ({source})"), theme.dim()),
        ]));
        let glyph = |s: crate::checks::Status| s.glyph();
        if let Some(why) = self.target().and_then(|t| self.downgrade(t)) {
            lines.push(Line::styled(
                format!(
                    "  {} {why}: pick another",
                    glyph(crate::checks::Status::Fail)
                ),
                theme.error(),
            ));
        } else if let Some(instead) = self.target().and_then(|t| self.instead_of(t)) {
            lines.push(Line::styled(
                format!(
                    "  {} a known-bad release: take {instead} instead",
                    glyph(crate::checks::Status::Warn)
                ),
                theme.notice(),
            ));
        }
        if let Some(error) = &self.catalogue_error {
            lines.push(Line::styled(
                format!("  {} {error}", crate::checks::Status::Fail.glyph()),
                theme.error(),
            ));
        } else if !self.target_is_known() {
            lines.push(Line::styled(
                format!(
                    "  {} not a release om-upgrade knows ({} to {}): pick one",
                    crate::checks::Status::Warn.glyph(),
                    self.known
                        .last()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    self.known
                        .first()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ),
                theme.notice(),
            ));
        }
        lines
    }

    /// The open pick-list: a window of versions around the highlighted one.
    fn pick_lines(&self, at: usize, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let offset = crate::tui::widgets::scroll_offset(at, PICK_ROWS, self.known.len());
        let mut lines = vec![Line::styled(
            format!(
                "Releases om-upgrade knows ({}), newest first:",
                self.known.len()
            ),
            theme.dim(),
        )];
        for (i, version) in self.known.iter().enumerate().skip(offset).take(PICK_ROWS) {
            let mut notes: Vec<String> = Vec::new();
            if i == 0 {
                notes.push("newest".into());
            }
            if self.recommended.contains(version) {
                notes.push("recommended".into());
            }
            if let Some(instead) = self.instead_of(version) {
                notes.push(format!("known-bad: take {instead}"));
            }
            if self.downgrade(version).is_some() {
                notes.push("older than installed: refused".into());
            } else if self
                .installed
                .as_ref()
                .is_some_and(|v| v.release() == *version)
            {
                notes.push("installed".into());
            }
            if self.target().is_some_and(|t| t == version) {
                notes.push("current target".into());
            }
            let marker = if i == at { "›" } else { " " };
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!("({})", notes.join(", "))
            };
            let line = Line::from(vec![
                Span::raw(format!("  {marker} {:<10}", version.to_string())),
                Span::styled(notes, theme.dim()),
            ]);
            lines.push(if i == at {
                line.style(theme.selected())
            } else {
                line
            });
        }
        if let Some(why) = &self.refused {
            lines.push(Line::styled(
                format!("  {} {why}", crate::checks::Status::Fail.glyph()),
                theme.error(),
            ));
        } else if !self.jump.is_empty() {
            lines.push(Line::styled(format!("  jump: {}", self.jump), theme.dim()));
        } else {
            lines.push(Line::styled(
                "  type a version (1.4) to jump to it",
                theme.dim(),
            ));
        }
        lines
    }

    fn settings_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let mut lines = vec![Line::from(vec![
            Span::styled("Settings found", theme.title()),
            Span::styled("  (flags > env > openmetadata.yaml > default)", theme.dim()),
        ])];
        for found in &self.found {
            let source = match &found.source {
                None => String::new(),
                Some(Source::Default) => "default".to_string(),
                Some(other) => format!("from {other}"),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<9}", found.name), theme.dim()),
                Span::styled(format!("{:<22}", found.value), theme.text()),
                Span::styled(format!(" {source}"), theme.dim()),
            ]));
        }
        for warning in &self.warnings {
            lines.push(Line::styled(
                format!("  {} {warning}", crate::checks::Status::Warn.glyph()),
                theme.notice(),
            ));
        }
        lines
    }
}

/// Every setting as found at start, with where it came from (never the password itself).
fn found_settings(settings: &DbSettings) -> Vec<Found> {
    let s = settings;
    let mut found = vec![
        Found {
            name: "engine",
            value: s.engine.value.to_string(),
            source: Some(s.engine.source.clone()),
        },
        Found {
            name: "host",
            value: s.host.value.clone(),
            source: Some(s.host.source.clone()),
        },
        Found {
            name: "port",
            value: s.port.value.to_string(),
            source: Some(s.port.source.clone()),
        },
        Found {
            name: "user",
            value: s.user.value.clone(),
            source: Some(s.user.source.clone()),
        },
        match &s.password {
            Some(p) => Found {
                name: "password",
                value: "set (hidden)".into(),
                source: Some(p.source.clone()),
            },
            None => Found {
                name: "password",
                value: "not set; the Database step takes one if needed".into(),
                source: None,
            },
        },
        Found {
            name: "database",
            value: s.database.value.clone(),
            source: Some(s.database.source.clone()),
        },
    ];
    if s.engine.value == Engine::Postgres {
        found.push(Found {
            name: "schema",
            value: s.schema.value.clone(),
            source: Some(s.schema.source.clone()),
        });
    }
    found.push(Found {
        name: "TLS",
        value: s.tls.value.mode.to_string(),
        source: Some(s.tls.source.clone()),
    });
    found
}

impl Keys for Welcome {
    type Action = Action;

    fn bindings(&self) -> Vec<Binding<Action>> {
        if self.picking.is_some() {
            return vec![
                Binding::new(keys::COMMIT, "choose", Action::Accept),
                Binding::new(keys::CANCEL, "cancel", Action::Cancel),
                Binding::new(keys::UP, "newer", Action::Up),
                Binding::new(keys::DOWN, "older", Action::Down),
                Binding::new(keys::PAGE_UP, "page up", Action::PageUp).help_only(),
                Binding::new(keys::PAGE_DOWN, "page down", Action::PageDown).help_only(),
            ];
        }
        vec![
            Binding::new(keys::CONTINUE, "continue", Action::Continue),
            Binding::new(keys::TARGET, "change target", Action::Pick)
                .enabled(!self.known.is_empty()),
        ]
    }

    fn typed(&self, c: char) -> Option<Action> {
        (self.picking.is_some() && (c.is_ascii_digit() || c == '.')).then_some(Action::Jump(c))
    }
}

impl Screen for Welcome {
    /// The open list has the keyboard, like a field being edited: no single-letter global key
    /// applies (Ctrl-C still quits).
    fn is_editing(&self) -> bool {
        self.picking.is_some()
    }

    fn status(&self) -> StepStatus {
        match &self.target {
            None => StepStatus::NotRun,
            Some((version, _)) if self.downgrade(version).is_some() => StepStatus::Fail,
            Some(_) if !self.target_is_known() => StepStatus::Warn,
            Some((version, _)) if self.instead_of(version).is_some() => StepStatus::Warn,
            Some(_) => StepStatus::Pass,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, look: Look) {
        let mut lines = self.plan_lines(look);
        lines.push(Line::raw(""));
        lines.extend(self.target_lines(look));
        lines.push(Line::raw(""));
        match self.picking {
            Some(at) => lines.extend(self.pick_lines(at, look)),
            None => lines.extend(self.settings_lines(look)),
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }
}
