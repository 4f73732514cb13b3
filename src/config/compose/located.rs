//! A value of a compose file (or of an env file it names) with the line it is written on.

use std::path::PathBuf;

use crate::config::settings::Source;

/// A value and the line it is written on; `via` names the `.env` lines its `${VAR}`s used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub text: String,
    pub file: PathBuf,
    pub line: usize,
    pub via: Option<String>,
}

impl Located {
    pub(super) fn source(&self, note: Option<String>) -> Source {
        let note = match (&self.via, note) {
            (Some(via), Some(note)) => Some(format!("{via}; {note}")),
            (via, note) => note.or(via.clone()),
        };
        Source::Compose {
            file: self.file.clone(),
            line: self.line,
            note,
        }
    }
}
