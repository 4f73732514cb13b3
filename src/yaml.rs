//! The one place that knows which YAML library is used.
//!
//! serde_yaml is archived upstream; callers only see [`from_str`], [`parse`], [`Value`] and
//! [`YamlError`], so a successor library can be swapped in here without touching them.

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

#[cfg(test)]
mod tests {
    use super::*;

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
