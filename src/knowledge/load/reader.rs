//! The catalogue loader's reading tools: problems collected with their file and line, a
//! mapping node read key by key, and the name checks every part of a file uses.

use std::collections::BTreeSet;
use std::fmt;

use crate::engine::Engine;
use crate::version::Version;
use crate::yaml::{Entry, Node, NodeKind};

/// A mistake in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.message)
    }
}

/// Problems are collected with the item they belong to.
pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
    pub(super) problems: &'a mut Vec<Problem>,
    /// `item 'x': ` while reading an item.
    pub(super) where_: String,
}

impl Ctx<'_> {
    pub(super) fn problem(&mut self, line: usize, message: &str) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            line,
            message: format!("{}{message}", self.where_),
        });
    }

    pub(super) fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<Map<'n>> {
        match &node.kind {
            NodeKind::Mapping(entries) => {
                let mut seen = BTreeSet::new();
                for entry in entries {
                    if !seen.insert(entry.key.as_str()) {
                        self.problem(
                            entry.key_line,
                            &format!("key '{}' appears twice", entry.key),
                        );
                    }
                }
                Some(Map { node })
            }
            _ => {
                self.problem(node.line, &format!("{what} must be a mapping (key: value)"));
                None
            }
        }
    }

    pub(super) fn sequence<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.kind {
            NodeKind::Sequence(items) => Some(items),
            _ => {
                self.problem(node.line, &format!("{what} must be a list"));
                None
            }
        }
    }
}

/// A mapping node being read.
pub(super) struct Map<'n> {
    pub(super) node: &'n Node,
}

impl Map<'_> {
    pub(super) fn entries(&self) -> &[Entry] {
        match &self.node.kind {
            NodeKind::Mapping(entries) => entries,
            _ => &[],
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&Node> {
        self.node.get(key)
    }

    /// The line of `key`, or of the mapping when the key is missing.
    pub(super) fn line_of(&self, key: &str) -> usize {
        self.node.entry(key).map_or(self.node.line, |e| e.key_line)
    }

    pub(super) fn unknown_keys(&self, ctx: &mut Ctx<'_>, known: &[&str]) {
        for entry in self.entries() {
            if !known.contains(&entry.key.as_str()) {
                ctx.problem(
                    entry.key_line,
                    &format!("unknown key '{}' (known: {})", entry.key, known.join(", ")),
                );
            }
        }
    }

    /// A non-empty text value; `required` reports a missing key.
    pub(super) fn text(&self, ctx: &mut Ctx<'_>, key: &str, required: bool) -> Option<String> {
        let Some(entry) = self.node.entry(key) else {
            if required {
                ctx.problem(self.node.line, &format!("missing required field '{key}'"));
            }
            return None;
        };
        match entry.value.as_scalar().map(str::trim) {
            Some(text) if !text.is_empty() => Some(text.to_string()),
            _ => {
                ctx.problem(entry.key_line, &format!("{key} must be non-empty text"));
                None
            }
        }
    }

    pub(super) fn url(&self, ctx: &mut Ctx<'_>, key: &str) -> Option<String> {
        let text = self.text(ctx, key, true)?;
        if text.starts_with("https://") && !text.contains(char::is_whitespace) && text.len() > 8 {
            Some(text)
        } else {
            ctx.problem(
                self.line_of(key),
                &format!("{key} must be an https:// link, got '{text}'"),
            );
            None
        }
    }
}

pub(super) fn is_kebab(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

pub(super) fn is_identifier(text: &str) -> bool {
    text.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

pub(super) fn is_dotted_key(text: &str) -> bool {
    text.split('.').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// `1.2` → `(1, 2)`: the release line a catalogue file is about.
pub(super) fn minor_line(text: &str) -> Option<(u64, u64)> {
    let (major, minor) = text.split_once('.')?;
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    Some((number(major)?, number(minor)?))
}

/// `text` as an exact `major.minor.patch` release of the line.
pub(super) fn patch_version(text: &str, major: u64, minor: u64) -> Option<Version> {
    let v: Version = text.parse().ok()?;
    let exact = text.split('.').count() == 3 && !v.is_prerelease();
    (exact && v.major() == major && v.minor() == minor).then_some(v)
}

/// `engines: [postgres]`: the engines a known-bad release goes wrong on, or an item is about
/// (absent: every one).
pub(super) fn parse_engines(ctx: &mut Ctx<'_>, map: &Map<'_>) -> Vec<Engine> {
    let Some(node) = map.get("engines") else {
        return Vec::new();
    };
    let list = ctx.sequence(node, "engines").unwrap_or_default();
    if list.is_empty() {
        ctx.problem(
            node.line,
            "engines must name mysql or postgres (or be left out)",
        );
    }
    let mut engines = Vec::new();
    for name in list {
        match name.as_scalar() {
            Some("mysql") => engines.push(Engine::Mysql),
            Some("postgres") => engines.push(Engine::Postgres),
            other => ctx.problem(
                name.line,
                &format!("engine '{}' is not mysql or postgres", other.unwrap_or("?")),
            ),
        }
    }
    engines.dedup();
    engines
}
