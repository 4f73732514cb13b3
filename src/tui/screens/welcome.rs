//! Welcome: what the wizard will do, where each setting was found, and the target version.
//!
//! The target is typed and checked as a [`Version`]; it becomes a pick-list once the release
//! catalogue exists.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Look, Screen, ScreenId, StepStatus};
use crate::config::{DbSettings, SettingsWarning, Source};
use crate::db::Engine;
use crate::tui::action::Action as AppAction;
use crate::tui::keymap::{Binding, keys};
use crate::tui::widgets::text_field::{self, TextEdit, TextField};
use crate::version::{Version, VersionError};

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    EditTarget,
    Edit(TextEdit),
    Commit,
    Cancel,
}

/// Where the target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetOrigin {
    Flag,
    Session,
    Typed,
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
    /// The field while it is being edited.
    editing: Option<TextField>,
    error: Option<VersionError>,
    found: Vec<Found>,
    warnings: Vec<String>,
}

impl Welcome {
    pub fn new(
        settings: &DbSettings,
        warnings: &[SettingsWarning],
        target: Option<Version>,
    ) -> Welcome {
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
        Welcome {
            target: target.map(|t| (t, TargetOrigin::Flag)),
            editing: None,
            error: None,
            found,
            warnings: warnings.iter().map(ToString::to_string).collect(),
        }
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

    pub fn update(&mut self, action: Action) {
        match action {
            Action::EditTarget => {
                let current = self.target().map(ToString::to_string).unwrap_or_default();
                self.editing = Some(TextField::new(current));
            }
            Action::Edit(edit) => {
                if let Some(field) = &mut self.editing {
                    field.apply(edit);
                    self.error = None;
                }
            }
            Action::Commit => {
                let Some(field) = &self.editing else { return };
                let text = field.value().trim();
                if text.is_empty() {
                    self.target = None;
                    self.editing = None;
                    return;
                }
                match text.parse::<Version>() {
                    Ok(version) => {
                        let unchanged = self.target().is_some_and(|t| *t == version);
                        if !unchanged {
                            self.target = Some((version, TargetOrigin::Typed));
                        }
                        self.editing = None;
                        self.error = None;
                    }
                    Err(error) => self.error = Some(error),
                }
            }
            Action::Cancel => {
                self.editing = None;
                self.error = None;
            }
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
            let style = if id.is_built() {
                theme.text()
            } else {
                theme.dim()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {} {:<10}", number + 1, id.title()), style),
                Span::styled(what, style),
            ]));
        }
        let missing: Vec<&str> = ScreenId::ALL
            .iter()
            .filter(|id| !id.is_built())
            .map(|id| id.title())
            .collect();
        if !missing.is_empty() {
            lines.push(Line::styled(
                format!("  Not built yet: {}.", missing.join(", ")),
                theme.notice(),
            ));
        }
        lines
    }

    fn target_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let label = Span::styled("Target version  ", theme.title());
        let mut lines = Vec::new();
        match &self.editing {
            Some(field) => {
                let mut spans = vec![label];
                spans.extend(field_spans(field, look));
                lines.push(Line::from(spans));
                match &self.error {
                    Some(error) => lines.push(Line::styled(
                        format!("  {} {error}", crate::checks::Status::Fail.glyph()),
                        theme.error(),
                    )),
                    None => lines.push(Line::styled(
                        "  e.g. 1.2.0; empty to decide later",
                        theme.dim(),
                    )),
                }
            }
            None => {
                let (value, source) = match &self.target {
                    Some((version, origin)) => (
                        Span::styled(version.to_string(), theme.text()),
                        match origin {
                            TargetOrigin::Flag => "from --target",
                            TargetOrigin::Session => "from the saved session",
                            TargetOrigin::Typed => "typed here",
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
            }
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

/// A field being edited: the value with the cursor cell highlighted.
pub fn field_spans(field: &TextField, look: Look) -> Vec<Span<'static>> {
    let theme = look.theme;
    let chars: Vec<char> = field.value().chars().collect();
    let before: String = chars[..field.cursor()].iter().collect();
    let at: String = chars
        .get(field.cursor())
        .map_or(" ".into(), |c| c.to_string());
    let after: String = chars.iter().skip(field.cursor() + 1).collect();
    vec![
        Span::styled(before, theme.editing()),
        Span::styled(at, theme.editing().patch(theme.selected())),
        Span::styled(after, theme.editing()),
    ]
}

impl Screen for Welcome {
    fn bindings(&self) -> Vec<Binding> {
        if self.editing.is_some() {
            let mut b = vec![
                Binding::new(keys::COMMIT, "accept", AppAction::Welcome(Action::Commit)),
                Binding::new(keys::CANCEL, "cancel", AppAction::Welcome(Action::Cancel)),
            ];
            b.extend(text_field::edit_bindings(|e| {
                AppAction::Welcome(Action::Edit(e))
            }));
            b
        } else {
            let label = if self.target.is_some() {
                "change target"
            } else {
                "choose target"
            };
            vec![
                Binding::new(keys::CONTINUE, "continue", AppAction::NextStep),
                Binding::new(keys::TARGET, label, AppAction::Welcome(Action::EditTarget)),
            ]
        }
    }

    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding>)> {
        let mut sections = vec![("This step", self.bindings())];
        if self.editing.is_none() {
            sections.push((
                "While editing the target",
                text_field::edit_bindings(|e| AppAction::Welcome(Action::Edit(e))),
            ));
        }
        sections
    }

    fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    fn typed(&self, c: char) -> Option<AppAction> {
        Some(AppAction::Welcome(Action::Edit(TextEdit::Insert(c))))
    }

    fn status(&self) -> StepStatus {
        if self.target.is_some() {
            StepStatus::Pass
        } else {
            StepStatus::NotStarted
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, look: Look) {
        let mut lines = self.plan_lines(look);
        lines.push(Line::raw(""));
        lines.extend(self.target_lines(look));
        lines.push(Line::raw(""));
        lines.extend(self.settings_lines(look));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }
}
