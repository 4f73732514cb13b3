//! Named styles. Screens ask for a meaning ("pass", "key", "selected"), never for a colour.
//!
//! Without colour (NO_COLOR, or a monochrome terminal) every meaning still reads: statuses have
//! their own glyphs, the selection is reversed, keys are bold and disabled things are dim.

use ratatui::style::{Color, Modifier, Style};

use crate::checks::Status;
use crate::config::Env;
use crate::report::StepStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colour unless NO_COLOR is set to something (https://no-color.org); `--color never` sets it.
    pub fn from_env(env: &Env) -> Theme {
        Theme {
            color: env.get("NO_COLOR").is_none_or(str::is_empty),
        }
    }

    pub const fn colored() -> Theme {
        Theme { color: true }
    }

    pub const fn monochrome() -> Theme {
        Theme { color: false }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn header(self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn text(self) -> Style {
        Style::new()
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// The selected row of a list or form.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// A field being edited.
    pub fn editing(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::UNDERLINED)
    }

    pub fn border(self) -> Style {
        self.dim()
    }

    pub fn focused_border(self) -> Style {
        self.fg(Color::Cyan)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn key_desc(self) -> Style {
        Style::new()
    }

    pub fn key_disabled(self) -> Style {
        self.dim()
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn notice(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn status(self, status: Status) -> Style {
        match status {
            Status::Pass => self.fg(Color::Green),
            Status::Warn => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Status::Fail => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Status::Skip => self.dim(),
        }
    }

    pub fn step(self, status: StepStatus) -> Style {
        match status {
            StepStatus::NotRun => self.dim(),
            StepStatus::Stale => self.fg(Color::Yellow),
            StepStatus::Running => self.fg(Color::Cyan),
            StepStatus::Pass => self.status(Status::Pass),
            StepStatus::Warn => self.status(Status::Warn),
            StepStatus::Fail => self.status(Status::Fail),
            StepStatus::Skip => self.status(Status::Skip),
        }
    }
}

/// What rendering needs besides the state: the theme and the animation frame.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    pub theme: Theme,
    pub tick: u64,
}

/// Braille spinner frames, one per tick while work runs.
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The glyph of a running thing at `tick`.
pub fn spinner(tick: u64) -> &'static str {
    SPINNER[(tick % SPINNER.len() as u64) as usize]
}

/// A step's glyph, which reads without colour; `tick` animates a running one.
pub fn step_glyph(status: StepStatus, tick: u64) -> &'static str {
    match status {
        StepStatus::Running => spinner(tick),
        other => other.glyph(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_drops_colours_but_keeps_modifiers() {
        let mono = Theme::from_env(&Env::from_pairs([("NO_COLOR", "1")]));
        assert_eq!(mono, Theme::monochrome());
        assert_eq!(mono.status(Status::Pass).fg, None);
        assert!(mono.selected().add_modifier.contains(Modifier::REVERSED));
        assert!(mono.header().add_modifier.contains(Modifier::REVERSED));
        // An empty NO_COLOR does not count (the spec says "set to a non-empty value").
        assert_eq!(
            Theme::from_env(&Env::from_pairs([("NO_COLOR", "")])),
            Theme::colored()
        );
    }

    #[test]
    fn glyphs_differ_without_colour() {
        let glyphs: Vec<_> = [
            StepStatus::NotRun,
            StepStatus::Running,
            StepStatus::Pass,
            StepStatus::Warn,
            StepStatus::Fail,
        ]
        .iter()
        .map(|s| step_glyph(*s, 0))
        .collect();
        let mut unique = glyphs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), glyphs.len(), "{glyphs:?}");
    }
}
