//! The process environment as the settings read it.

use std::collections::BTreeMap;

/// A snapshot of the environment, so resolution is a pure function (and testable).
#[derive(Debug, Clone, Default)]
pub struct Env(pub(super) BTreeMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Env(std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Env(pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The same environment with `name` set to `value`, or removed with `None`: how a flag that
    /// overrides a variable (`--color never` is NO_COLOR=1) takes effect.
    pub fn with(mut self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.0.insert(name.to_string(), value.to_string()),
            None => self.0.remove(name),
        };
        self
    }

    /// Every variable, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A variable that is set to something other than blanks.
    pub(super) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }
}
