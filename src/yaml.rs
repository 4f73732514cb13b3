//! The one way YAML is read, and the one place that knows which YAML library does it.
//!
//! Every YAML input — the server's openmetadata.yaml, ingestion workflows, the release
//! catalogue, and any deployment file read later (docker-compose.yml, Helm values) — is read
//! with [`read_file`] and parsed with [`parse`], [`parse_located`] or
//! [`parse_located_documents`], all under the same [`LIMITS`]: a file over a limit is refused
//! with the limit named, before its aliases can be expanded (a 300-byte "billion laughs" file
//! would otherwise take gigabytes). Callers only see [`Value`], [`Node`] and [`YamlError`], so
//! the library (today yaml-rust2's event parser, which keeps every node's line) can be replaced
//! here without touching them.

use std::fmt;
use std::path::Path;

use crate::humanize;
use crate::small_file::{self, Accept, ReadError};

/// How much of a YAML input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file or text, in bytes.
    pub max_bytes: usize,
    /// The deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// The most nodes (scalars, sequences, mappings) once aliases (`*name`) are expanded.
    pub max_nodes: usize,
    /// The most scalar text, in bytes, once aliases are expanded.
    pub max_text: usize,
}

/// The limits every YAML input is read under: far above any OpenMetadata configuration,
/// workflow or catalogue file (tens of kilobytes) and the largest Helm values files known
/// (a few hundred kilobytes), and low enough that a hostile file costs little memory: at most
/// about 150 MB, for a 1 MiB `[a,a,a,…]`, because yaml-rust2 reads a whole flow collection
/// ahead into tokens of ~100 bytes each before it yields its first event; other shapes stay
/// under 50 MB. Size is the limit that bounds that look-ahead.
pub const LIMITS: Limits = Limits {
    max_bytes: 1 << 20,
    max_depth: 64,
    max_nodes: 250_000,
    max_text: 8 << 20,
};

/// A YAML input that could not be read, and where in it, when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct YamlError {
    pub kind: ErrorKind,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// What went wrong. Each message follows the file's name: "`x.yaml`: not valid YAML: …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("no such file")]
    NotFound,
    /// A folder, a device, a FIFO, or an I/O error.
    #[error("{0}")]
    Unreadable(String),
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("larger than {}, the most a YAML file may have", humanize::bytes(*limit as u64))]
    TooLarge { limit: usize },
    #[error("nested more than {limit} levels deep, the most a YAML file may be")]
    TooDeep { limit: usize },
    #[error(
        "more than {} nodes{}, the most a YAML file may hold{}",
        humanize::count(*limit as i64),
        if *aliased { " once its aliases (*name) are expanded" } else { "" },
        if *aliased { " (are aliases repeated on purpose?)" } else { "" }
    )]
    TooManyNodes {
        limit: usize,
        /// Whether aliases were expanded on the way (a "billion laughs").
        aliased: bool,
    },
    #[error(
        "more than {} of text once its aliases (*name) are expanded, the most a YAML file may \
         hold (are aliases repeated on purpose?)",
        humanize::bytes(*limit as u64)
    )]
    TooMuchText { limit: usize },
    #[error("not valid YAML: {0}")]
    Syntax(String),
}

impl YamlError {
    fn new(kind: ErrorKind) -> Self {
        YamlError {
            kind,
            line: None,
            column: None,
        }
    }

    fn at(kind: ErrorKind, line: usize, column: usize) -> Self {
        YamlError {
            kind,
            line: Some(line),
            column: Some(column),
        }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, " (line {line}, column {column})"),
            (Some(line), None) => write!(f, " (line {line})"),
            _ => Ok(()),
        }
    }
}

/// Reads a YAML file: a regular file (never a folder, device or FIFO, which could hang) of at
/// most [`LIMITS`]`.max_bytes` of UTF-8 text. A byte-order mark is dropped.
pub fn read_file(path: &Path) -> Result<String, YamlError> {
    let bytes = small_file::read(path, LIMITS.max_bytes, Accept::Regular).map_err(|error| {
        YamlError::new(match error {
            ReadError::NotFound => ErrorKind::NotFound,
            ReadError::TooLarge { limit } => ErrorKind::TooLarge { limit },
            other => ErrorKind::Unreadable(other.to_string()),
        })
    })?;
    let mut text = String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        YamlError {
            kind: ErrorKind::NotUtf8,
            line: Some(line),
            column: None,
        }
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// Parses the first document of `text` into a [`Value`] tree to be walked by key.
pub fn parse(text: &str) -> Result<Value, YamlError> {
    parse_located(text).map(Value::from)
}

/// Parses the first document of `text` keeping positions; an empty text is a `Null` node.
/// Aliases are resolved to a copy of their anchor's node.
pub fn parse_located(text: &str) -> Result<Node, YamlError> {
    let mut documents = located::load(text, &LIMITS, false)?;
    Ok(if documents.is_empty() {
        Node {
            kind: NodeKind::Null,
            line: 1,
            column: 1,
        }
    } else {
        documents.swap_remove(0)
    })
}

/// Parses every document of `text` (separated by `---`) keeping positions: lines count from
/// the start of the text, not of the document. An empty text has no document.
pub fn parse_located_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    located::load(text, &LIMITS, true)
}

/// A parsed YAML node. Scalars keep their text so that `3306` and `"3306"` read the same.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(String),
    String(String),
    Sequence(Vec<Value>),
    Mapping(Vec<(String, Value)>),
}

impl Value {
    /// The child at `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Mapping(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node at a dotted path (`database.url`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        path.split('.').try_fold(self, |node, key| node.get(key))
    }

    /// A scalar as text (`None` for null, sequences and mappings).
    pub fn as_scalar(&self) -> Option<String> {
        match self {
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) | Value::String(n) => Some(n.clone()),
            _ => None,
        }
    }
}

impl From<Node> for Value {
    fn from(node: Node) -> Self {
        match node.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(b),
            NodeKind::Number(n) => Value::Number(n),
            NodeKind::String(s) => Value::String(s),
            NodeKind::Sequence(items) => {
                Value::Sequence(items.into_iter().map(Value::from).collect())
            }
            NodeKind::Mapping(entries) => Value::Mapping(
                entries
                    .into_iter()
                    .map(|entry| (entry.key, Value::from(entry.value)))
                    .collect(),
            ),
        }
    }
}

/// A YAML node and where it starts in the text (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub line: usize,
    pub column: usize,
}

/// What a [`Node`] holds. Scalars keep their text, as in [`Value`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
}

/// One key of a mapping; `key` is the key's text, `key_line` the line it is written on.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_line: usize,
    pub value: Node,
}

impl Node {
    /// The entry for `key` of a mapping (the first one, should a key repeat).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Mapping(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry at a dotted path (`source.serviceConnection.config.type`).
    pub fn entry_at(&self, path: &str) -> Option<&Entry> {
        let mut node = self;
        let mut found = None;
        for key in path.split('.') {
            let entry = node.entry(key)?;
            node = &entry.value;
            found = Some(entry);
        }
        found
    }

    /// A scalar as text (`None` for null, sequences and mappings).
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Bool(true) => Some("true"),
            NodeKind::Bool(false) => Some("false"),
            NodeKind::Number(n) | NodeKind::String(n) => Some(n),
            _ => None,
        }
    }

    /// A string (quoted, or plain text that is not a number, bool or null).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self.kind, NodeKind::Mapping(_))
    }
}

mod located {
    //! yaml-rust2's events, one at a time, into [`Node`]s, counting as it goes: the parse stops
    //! at the first event over a limit. (`Parser::load` would recurse once per nesting level
    //! and could not be stopped.)

    use std::collections::HashMap;

    use yaml_rust2::parser::{Event, Parser, Tag};
    use yaml_rust2::scanner::{Marker, TScalarStyle};

    use super::{Entry, ErrorKind, Limits, Node, NodeKind, YamlError};

    /// What a node costs: itself and everything under it, aliases expanded.
    #[derive(Debug, Clone, Copy, Default)]
    struct Weight {
        nodes: usize,
        text: usize,
    }

    impl Weight {
        fn add(&mut self, other: Weight) {
            self.nodes = self.nodes.saturating_add(other.nodes);
            self.text = self.text.saturating_add(other.text);
        }
    }

    /// A sequence or mapping being read.
    struct Open {
        node: Node,
        anchor: usize,
        weight: Weight,
        /// In a mapping: the key read, waiting for its value (its text and line).
        key: Option<(String, usize)>,
    }

    struct Builder<'l> {
        limits: &'l Limits,
        stack: Vec<Open>,
        /// Anchored nodes of the current document, with their weight.
        anchors: HashMap<usize, (Node, Weight)>,
        documents: Vec<Node>,
        /// Everything built so far, anchor copies included.
        total: Weight,
        /// Whether an alias has been expanded.
        aliased: bool,
    }

    /// Parses `text` under `limits`: its first document, or all of them.
    pub(super) fn load(
        text: &str,
        limits: &Limits,
        every_document: bool,
    ) -> Result<Vec<Node>, YamlError> {
        if text.len() > limits.max_bytes {
            return Err(YamlError::new(ErrorKind::TooLarge {
                limit: limits.max_bytes,
            }));
        }
        let mut parser = Parser::new_from_str(text);
        let mut builder = Builder {
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            documents: Vec::new(),
            total: Weight::default(),
            aliased: false,
        };
        loop {
            let (event, mark) = parser.next_token().map_err(|e| {
                // The scanner reads ahead, and has its own (higher) nesting limit.
                let kind = match e.info() {
                    "recursion limit exceeded" => ErrorKind::TooDeep {
                        limit: limits.max_depth,
                    },
                    info => ErrorKind::Syntax(info.to_string()),
                };
                error_at(kind, e.marker())
            })?;
            match event {
                Event::StreamEnd => break,
                Event::DocumentEnd if !every_document => break,
                event => builder.on_event(event, mark)?,
            }
        }
        Ok(builder.documents)
    }

    impl Builder<'_> {
        fn on_event(&mut self, event: Event, mark: Marker) -> Result<(), YamlError> {
            let at = |kind| Node {
                kind,
                line: mark.line(),
                column: mark.col() + 1,
            };
            match event {
                // Anchors belong to their document.
                Event::DocumentStart => self.anchors.clear(),
                Event::Scalar(text, style, anchor, tag) => {
                    let weight = Weight {
                        nodes: 1,
                        text: text.len(),
                    };
                    self.charge(weight, &mark)?;
                    self.complete(at(scalar(text, style, tag.as_ref())), anchor, weight, &mark)?;
                }
                Event::Alias(anchor) => {
                    let Some((_, weight)) = self.anchors.get(&anchor) else {
                        return Err(error_at(
                            ErrorKind::Syntax("an alias to an anchor of another document".into()),
                            &mark,
                        ));
                    };
                    let weight = *weight;
                    // Counted before it is copied: a copy over the limit is never made.
                    self.aliased = true;
                    self.charge(weight, &mark)?;
                    let node = self.anchors[&anchor].0.clone();
                    self.complete(node, 0, weight, &mark)?;
                }
                Event::SequenceStart(anchor, _) => {
                    self.open(at(NodeKind::Sequence(Vec::new())), anchor, &mark)?
                }
                Event::MappingStart(anchor, _) => {
                    self.open(at(NodeKind::Mapping(Vec::new())), anchor, &mark)?
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    if let Some(open) = self.stack.pop() {
                        self.complete(open.node, open.anchor, open.weight, &mark)?;
                    }
                }
                Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            }
            Ok(())
        }

        fn charge(&mut self, weight: Weight, mark: &Marker) -> Result<(), YamlError> {
            self.total.add(weight);
            let kind = if self.total.nodes > self.limits.max_nodes {
                ErrorKind::TooManyNodes {
                    limit: self.limits.max_nodes,
                    aliased: self.aliased,
                }
            } else if self.total.text > self.limits.max_text {
                ErrorKind::TooMuchText {
                    limit: self.limits.max_text,
                }
            } else {
                return Ok(());
            };
            Err(error_at(kind, mark))
        }

        fn open(&mut self, node: Node, anchor: usize, mark: &Marker) -> Result<(), YamlError> {
            if self.stack.len() >= self.limits.max_depth {
                return Err(error_at(
                    ErrorKind::TooDeep {
                        limit: self.limits.max_depth,
                    },
                    mark,
                ));
            }
            let weight = Weight { nodes: 1, text: 0 };
            self.charge(weight, mark)?;
            self.stack.push(Open {
                node,
                anchor,
                weight,
                key: None,
            });
            Ok(())
        }

        /// Puts a finished node where it belongs: in its parent, or as a document.
        fn complete(
            &mut self,
            node: Node,
            anchor: usize,
            weight: Weight,
            mark: &Marker,
        ) -> Result<(), YamlError> {
            if anchor > 0 {
                // The anchor keeps a copy, which costs as much again.
                self.charge(weight, mark)?;
                self.anchors.insert(anchor, (node.clone(), weight));
            }
            let Some(parent) = self.stack.last_mut() else {
                self.documents.push(node);
                return Ok(());
            };
            parent.weight.add(weight);
            match &mut parent.node.kind {
                NodeKind::Sequence(items) => items.push(node),
                NodeKind::Mapping(entries) => match parent.key.take() {
                    None => parent.key = Some((key_text(&node), node.line)),
                    Some((key, key_line)) => entries.push(Entry {
                        key,
                        key_line,
                        value: node,
                    }),
                },
                _ => {}
            }
            Ok(())
        }
    }

    /// yaml-rust2 counts lines from 1 and columns from 0; people count both from 1.
    fn error_at(kind: ErrorKind, mark: &Marker) -> YamlError {
        YamlError::at(kind, mark.line(), mark.col() + 1)
    }

    fn key_text(node: &Node) -> String {
        match &node.kind {
            NodeKind::Null => "null".to_string(),
            _ => node.as_scalar().unwrap_or_default().to_string(),
        }
    }

    /// YAML 1.2 core schema for plain scalars; quoted scalars, and `!!str`, are strings.
    fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> NodeKind {
        let str_tag = tag.is_some_and(|t| t.handle == "tag:yaml.org,2002:" && t.suffix == "str");
        if style != TScalarStyle::Plain || str_tag {
            return NodeKind::String(text);
        }
        match text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
            "true" | "True" | "TRUE" => NodeKind::Bool(true),
            "false" | "False" | "FALSE" => NodeKind::Bool(false),
            t if is_number(t) => NodeKind::Number(text),
            _ => NodeKind::String(text),
        }
    }

    fn is_number(text: &str) -> bool {
        let t = text.strip_prefix(['-', '+']).unwrap_or(text);
        if t.is_empty() {
            return false;
        }
        let decimal = t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && t.bytes().filter(|b| *b == b'.').count() <= 1
            && t != ".";
        decimal
            || t.parse::<f64>().is_ok() && t.bytes().any(|b| b == b'e' || b == b'E')
            || t.starts_with("0x") && i64::from_str_radix(&t[2..], 16).is_ok()
            || t.starts_with("0o") && i64::from_str_radix(&t[2..], 8).is_ok()
            || matches!(t, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_nodes_know_their_lines() {
        let text = "# comment\nsource:\n  type: domodatabase\n  serviceConnection:\n    config:\n      type: DomoDatabase\n      sandboxDomain: https://x.domo.com\n      port: 8080\n      quoted: \"8080\"\n      empty:\n      list: [a, b]\n";
        let doc = parse_located(text).unwrap();
        let entry = doc
            .entry_at("source.serviceConnection.config.sandboxDomain")
            .unwrap();
        assert_eq!(entry.key_line, 7);
        assert_eq!(entry.value.as_str(), Some("https://x.domo.com"));
        let config = doc.entry_at("source.serviceConnection.config").unwrap();
        assert_eq!(config.key_line, 5);
        assert_eq!(
            config.value.get("port").unwrap().kind,
            NodeKind::Number("8080".into())
        );
        assert_eq!(config.value.get("quoted").unwrap().as_str(), Some("8080"));
        assert_eq!(config.value.get("empty").unwrap().kind, NodeKind::Null);
        assert!(matches!(
            &config.value.get("list").unwrap().kind,
            NodeKind::Sequence(items) if items.len() == 2
        ));
        assert!(doc.entry_at("source.missing.key").is_none());
    }

    #[test]
    fn located_parse_reports_the_line_of_a_syntax_error_and_resolves_aliases() {
        let err = parse_located("a: 1\nb: [unclosed\nc: 3\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
        let doc = parse_located("base: &b {x: 1}\ncopy: *b\n").unwrap();
        assert_eq!(doc.entry_at("copy.x").unwrap().value.as_scalar(), Some("1"));
        assert_eq!(parse_located("").unwrap().kind, NodeKind::Null);
    }

    #[test]
    fn every_document_is_read_with_lines_counted_from_the_start_of_the_text() {
        let text = "a: 1\n---\n# second\nb:\n  c: 2\n---\n";
        let documents = parse_located_documents(text).unwrap();
        assert_eq!(documents.len(), 3, "{documents:?}");
        assert_eq!(documents[1].entry_at("b.c").unwrap().key_line, 5);
        assert_eq!(documents[2].kind, NodeKind::Null);
        assert!(parse_located_documents("").unwrap().is_empty());
        assert_eq!(
            parse_located(text).unwrap().entry_at("a").unwrap().key_line,
            1
        );
        let err = parse_located_documents("a: 1\n---\nb: [unclosed\n").unwrap_err();
        assert_eq!(err.line, Some(4), "{err:?}");
    }

    #[test]
    fn walks_dotted_paths() {
        let doc = parse("database:\n  url: jdbc:mysql://h:3306/db\n  port: 3306\n").unwrap();
        assert_eq!(
            doc.get_path("database.url")
                .and_then(Value::as_scalar)
                .as_deref(),
            Some("jdbc:mysql://h:3306/db")
        );
        assert_eq!(
            doc.get_path("database.port")
                .and_then(Value::as_scalar)
                .as_deref(),
            Some("3306")
        );
        assert!(doc.get_path("database.missing").is_none());
    }

    #[test]
    fn reports_the_line_of_a_syntax_error() {
        let err = parse("a: 1\nb: [unclosed\nc: 3\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
        assert!(matches!(err.kind, ErrorKind::Syntax(_)), "{err:?}");
    }

    /// A "billion laughs": nine levels of nine aliases each, 9^9 strings once expanded.
    pub(crate) const BILLION_LAUGHS: &str = "\
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
";

    #[test]
    fn billion_laughs_is_refused_before_its_aliases_are_expanded() {
        let refused = |result: Result<Vec<Node>, YamlError>| {
            let err = result.unwrap_err();
            assert_eq!(
                err.kind,
                ErrorKind::TooManyNodes {
                    limit: LIMITS.max_nodes,
                    aliased: true,
                },
                "{err}"
            );
            // Stopped on line 6, where the count first passes the limit (9^6 copies), not
            // after building the 9^9 of line 9.
            assert_eq!(err.line, Some(6), "{err}");
            assert!(err.to_string().contains("250,000 nodes"), "{err}");
        };
        refused(parse_located_documents(BILLION_LAUGHS));
        refused(parse_located(BILLION_LAUGHS).map(|n| vec![n]));
        refused(parse(BILLION_LAUGHS).map(|_| Vec::new()));
        // Below the limit, aliases are expanded as before.
        let small = BILLION_LAUGHS
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n");
        let doc = parse_located(&small).unwrap();
        let NodeKind::Sequence(c) = &doc.get("c").unwrap().kind else {
            panic!("{doc:?}");
        };
        assert_eq!(c.len(), 9);
    }

    #[test]
    fn every_node_copied_by_an_alias_counts_against_the_limits() {
        let limits = Limits {
            max_bytes: 1 << 20,
            max_depth: 8,
            max_nodes: 100,
            max_text: 1000,
        };
        // Many small aliases, merge keys and aliases used as keys are all copies.
        let many = format!("base: &b {{x: 1}}\nlist: [{}]\n", ["*b"; 40].join(", "));
        let err = located::load(&many, &limits, true).unwrap_err();
        assert!(
            matches!(
                err.kind,
                ErrorKind::TooManyNodes {
                    limit: 100,
                    aliased: true
                }
            ),
            "{err}"
        );
        let merges: String = (0..40)
            .map(|i| format!("m{i}:\n  <<: *b\n  y: 2\n"))
            .collect();
        let err =
            located::load(&format!("base: &b {{x: 1}}\n{merges}"), &limits, true).unwrap_err();
        assert!(matches!(err.kind, ErrorKind::TooManyNodes { .. }), "{err}");
        let doc = located::load("&k key: 1\n*k : 2\n", &limits, false).unwrap();
        assert_eq!(doc[0].entry("key").unwrap().key_line, 1);
        // A long scalar repeated: the text, not the node count, gives out.
        let text = format!("a: &a {}\nb: [*a, *a, *a]\n", "x".repeat(300));
        let err = located::load(&text, &limits, true).unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooMuchText { limit: 1000 }, "{err}");
        assert_eq!(err.line, Some(2), "{err}");
    }

    #[test]
    fn a_file_of_too_many_plain_nodes_is_not_blamed_on_aliases() {
        let limits = Limits {
            max_nodes: 100,
            ..LIMITS
        };
        let err = located::load(&"- a\n".repeat(200), &limits, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "more than 100 nodes, the most a YAML file may hold (line 100, column 3)"
        );
    }

    #[test]
    fn nesting_and_size_are_bounded() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        let err = parse_located(&deep).unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooDeep { limit: 64 }, "{err}");
        // Far deeper than the stack would take when recursed: refused at level 65 all the same.
        let deeper = "[".repeat(1_000_000);
        let err = parse_located(&deeper).unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooDeep { limit: 64 }, "{err}");
        let block: String = (0..70).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert!(matches!(
            parse_located(&block).unwrap_err().kind,
            ErrorKind::TooDeep { .. }
        ));
        let fine = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse_located(&fine).is_ok());

        let big = format!("a: {}\n", "x".repeat(LIMITS.max_bytes));
        let err = parse_located_documents(&big).unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooLarge { limit: 1 << 20 });
        assert!(err.to_string().contains("1.0 MiB"), "{err}");
    }

    #[test]
    fn anchors_stay_in_their_document_and_tags_are_read() {
        let err = parse_located_documents("a: &x 1\n---\nb: *x\n").unwrap_err();
        assert!(matches!(err.kind, ErrorKind::Syntax(_)), "{err}");
        let doc = parse_located("port: !!str 3306\nname: !custom value\n").unwrap();
        assert_eq!(doc.get("port").unwrap().as_str(), Some("3306"));
        assert_eq!(doc.get("name").unwrap().as_str(), Some("value"));
    }

    #[test]
    fn files_are_read_only_when_they_are_small_regular_utf8_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, "\u{feff}a: 1\n").unwrap();
        assert_eq!(read_file(&path).unwrap(), "a: 1\n");
        std::fs::write(&path, b"a: 1\nb: \xff\n").unwrap();
        let err = read_file(&path).unwrap_err();
        assert_eq!((err.kind.clone(), err.line), (ErrorKind::NotUtf8, Some(2)));
        assert_eq!(
            read_file(&dir.path().join("absent.yaml")).unwrap_err().kind,
            ErrorKind::NotFound
        );
        let folder = read_file(dir.path()).unwrap_err();
        assert_eq!(folder.to_string(), "a folder, not a file");
        let zero = read_file(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(zero.to_string(), "a device, not a regular file");
        let fifo = dir.path().join("fifo.yaml");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        assert_eq!(
            read_file(&fifo).unwrap_err().to_string(),
            "a pipe (FIFO), not a regular file"
        );
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(LIMITS.max_bytes as u64 + 1).unwrap();
        assert_eq!(
            read_file(&path).unwrap_err().kind,
            ErrorKind::TooLarge {
                limit: LIMITS.max_bytes
            }
        );
    }
}
