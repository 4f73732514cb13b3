//! Colour for terminal output, decided by `--color`, NO_COLOR, CLICOLOR_FORCE and whether the
//! output is a terminal.

use std::io::IsTerminal;

use crossterm::style::{Color, Stylize};

use crate::checks::Status;

#[derive(Debug, Clone, Copy)]
pub struct Painter {
    color: bool,
}

impl Painter {
    /// Colour for stdout, following `--color`, NO_COLOR (https://no-color.org) and
    /// CLICOLOR_FORCE.
    pub fn stdout(env: &crate::config::Env) -> Self {
        Painter {
            color: super::globals::colour_wanted(env, std::io::stdout().is_terminal()),
        }
    }

    fn paint(&self, text: &str, color: Color) -> String {
        if self.color {
            text.with(color).to_string()
        } else {
            text.to_string()
        }
    }

    pub fn status(&self, status: Status) -> String {
        let text = format!("{} {}", status.glyph(), status.label());
        match status {
            Status::Pass => self.paint(&text, Color::Green),
            Status::Warn => self.paint(&text, Color::Yellow),
            Status::Fail => self.paint(&text, Color::Red),
            Status::Skip => self.paint(&text, Color::DarkGrey),
        }
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint(text, Color::DarkGrey)
    }

    pub fn bold(&self, text: &str) -> String {
        if self.color {
            text.bold().to_string()
        } else {
            text.to_string()
        }
    }
}
