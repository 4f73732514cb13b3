//! Colour for terminal output, off when NO_COLOR is set or the output is not a terminal.

use std::io::IsTerminal;

use crossterm::style::{Color, Stylize};

use crate::checks::Status;

#[derive(Debug, Clone, Copy)]
pub struct Painter {
    color: bool,
}

impl Painter {
    /// Colour for stdout, following NO_COLOR (https://no-color.org).
    pub fn stdout(env: &crate::config::Env) -> Self {
        let no_color = env.get("NO_COLOR").is_some_and(|v| !v.is_empty());
        Painter {
            color: !no_color && std::io::stdout().is_terminal(),
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
