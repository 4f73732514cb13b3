//! The one place that knows which YAML library is used.
//!
//! serde_yaml is archived upstream; callers only see [`from_str`], [`parse`], [`Value`] and
//! [`YamlError`], so a successor library can be swapped in here without touching them.
//! [`parse_located`] and [`parse_located_documents`] keep the line and column of every node
//! (yaml-rust2's event parser, since serde_yaml drops positions): the release catalogue and the
//! config scanners report them.

use std::fmt;

use serde::de::DeserializeOwned;

/// A YAML document that could not be read, with the position the parser gave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct YamlError {
    pub message: String,
    /// 1-based line, when the parser knows it.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl From<serde_yaml::Error> for YamlError {
    fn from(error: serde_yaml::Error) -> Self {
        let location = error.location();
        // serde_yaml appends " at line X column Y" to its message; the position is kept apart.
        let message = error.to_string();
        let message = match message.find(" at line ") {
            Some(cut) if location.is_some() => message[..cut].to_string(),
            _ => message,
        };
        YamlError {
            message,
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
        }
    }
}

/// Deserializes a typed document.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    Ok(serde_yaml::from_str(text)?)
}

/// Parses a document into a [`Value`] tree to be walked by key.
pub fn parse(text: &str) -> Result<Value, YamlError> {
    let value: serde_yaml::Value = serde_yaml::from_str(text)?;
    Ok(Value::from(value))
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

impl From<serde_yaml::Value> for Value {
    fn from(value: serde_yaml::Value) -> Self {
        match value {
            serde_yaml::Value::Null => Value::Null,
            serde_yaml::Value::Bool(b) => Value::Bool(b),
            serde_yaml::Value::Number(n) => Value::Number(n.to_string()),
            serde_yaml::Value::String(s) => Value::String(s),
            serde_yaml::Value::Sequence(items) => {
                Value::Sequence(items.into_iter().map(Value::from).collect())
            }
            serde_yaml::Value::Mapping(map) => Value::Mapping(
                map.into_iter()
                    .map(|(k, v)| (key_text(k), Value::from(v)))
                    .collect(),
            ),
            serde_yaml::Value::Tagged(tagged) => Value::from(tagged.value),
        }
    }
}

fn key_text(key: serde_yaml::Value) -> String {
    match Value::from(key) {
        Value::Null => "null".to_string(),
        other => other.as_scalar().unwrap_or_default(),
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

/// Parses the first document of `text` keeping positions; an empty text is a `Null` node.
/// Aliases are resolved to a copy of their anchor's node.
pub fn parse_located(text: &str) -> Result<Node, YamlError> {
    let mut documents = load_located(text, false)?;
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
    load_located(text, true)
}

fn load_located(text: &str, every_document: bool) -> Result<Vec<Node>, YamlError> {
    use yaml_rust2::parser::Parser;
    let mut builder = located::Builder::default();
    Parser::new_from_str(text)
        .load(&mut builder, every_document)
        .map_err(|e| YamlError {
            message: e.info().to_string(),
            line: Some(e.marker().line()),
            column: Some(e.marker().col()),
        })?;
    Ok(builder.finish())
}

mod located {
    use std::collections::HashMap;

    use yaml_rust2::parser::{Event, MarkedEventReceiver};
    use yaml_rust2::scanner::{Marker, TScalarStyle};

    use super::{Entry, Node, NodeKind};

    enum Open {
        Sequence(Node, usize),
        /// A mapping and, once read, the key waiting for its value.
        Mapping(Node, usize, Option<(String, usize)>),
    }

    #[derive(Default)]
    pub struct Builder {
        stack: Vec<Open>,
        anchors: HashMap<usize, Node>,
        documents: Vec<Node>,
    }

    impl Builder {
        /// The root node of each document read.
        pub fn finish(self) -> Vec<Node> {
            self.documents
        }

        fn complete(&mut self, node: Node, anchor: usize) {
            if anchor > 0 {
                self.anchors.insert(anchor, node.clone());
            }
            match self.stack.last_mut() {
                None => self.documents.push(node),
                Some(Open::Sequence(seq, _)) => {
                    if let NodeKind::Sequence(items) = &mut seq.kind {
                        items.push(node);
                    }
                }
                Some(Open::Mapping(map, _, pending)) => match pending.take() {
                    None => *pending = Some((key_text(&node), node.line)),
                    Some((key, key_line)) => {
                        if let NodeKind::Mapping(entries) = &mut map.kind {
                            entries.push(Entry {
                                key,
                                key_line,
                                value: node,
                            });
                        }
                    }
                },
            }
        }
    }

    fn key_text(node: &Node) -> String {
        match &node.kind {
            NodeKind::Null => "null".to_string(),
            _ => node.as_scalar().unwrap_or_default().to_string(),
        }
    }

    /// YAML 1.2 core schema for plain scalars; quoted scalars are always strings.
    fn scalar(text: String, style: TScalarStyle) -> NodeKind {
        if style != TScalarStyle::Plain {
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

    impl MarkedEventReceiver for Builder {
        fn on_event(&mut self, event: Event, mark: Marker) {
            let at = |kind| Node {
                kind,
                line: mark.line(),
                column: mark.col(),
            };
            match event {
                Event::Scalar(text, style, anchor, _) => {
                    self.complete(at(scalar(text, style)), anchor);
                }
                Event::Alias(anchor) => {
                    let node = self
                        .anchors
                        .get(&anchor)
                        .cloned()
                        .unwrap_or(at(NodeKind::Null));
                    self.complete(node, 0);
                }
                Event::SequenceStart(anchor, _) => {
                    self.stack
                        .push(Open::Sequence(at(NodeKind::Sequence(Vec::new())), anchor));
                }
                Event::MappingStart(anchor, _) => {
                    self.stack.push(Open::Mapping(
                        at(NodeKind::Mapping(Vec::new())),
                        anchor,
                        None,
                    ));
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    if let Some(Open::Sequence(node, anchor) | Open::Mapping(node, anchor, _)) =
                        self.stack.pop()
                    {
                        self.complete(node, anchor);
                    }
                }
                Event::Nothing
                | Event::StreamStart
                | Event::StreamEnd
                | Event::DocumentStart
                | Event::DocumentEnd => {}
            }
        }
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
        assert!(!err.message.contains(" at line "), "{err:?}");
    }
}
