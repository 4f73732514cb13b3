//! A password or key held in memory. A leaf, so settings, HTTP, search and the secret scans can
//! all carry one without depending on each other. (The `secrets` module is something else: it
//! finds and redacts the secrets an installation stores.)

use std::fmt;

/// A password. It has no `Display`, and `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
