//! Env files as docker compose reads them: the project's `.env` (variables for `${VAR}` in the
//! compose file) and a service's `env_file:` (variables of the container). One `KEY=VALUE` a
//! line, `export ` allowed, `#` comments; a value in single quotes is literal, in double
//! quotes it takes `\n`-style escapes and `${VAR}`, unquoted it is trimmed, loses a ` #comment`
//! and takes `${VAR}`.

use std::path::{Path, PathBuf};

use super::interpolate::{Interpolated, interpolate};
use super::{ComposeError, Located};
use crate::small_file::{self, Accept};

/// An env file is a handful of lines; anything this large is the wrong file.
const ENV_FILE_MAX: usize = 1 << 20;
/// The most its values may hold once their `${VAR}`s are replaced.
const VALUES_MAX: usize = 8 << 20;

/// One variable of an env file and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvLine {
    pub name: String,
    pub value: Located,
}

/// Reads an env file; `lookup` answers the `${VAR}`s its values name (earlier lines of the
/// same file answer first).
pub fn read(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<EnvLine>, ComposeError> {
    let bytes = small_file::read(path, ENV_FILE_MAX, Accept::Regular).map_err(|error| {
        ComposeError::EnvFile {
            path: path.to_path_buf(),
            reason: error.to_string(),
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|_| ComposeError::EnvFile {
        path: path.to_path_buf(),
        reason: "not UTF-8 text".into(),
    })?;
    parse(&text, path, lookup)
}

pub fn parse(
    text: &str,
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<EnvLine>, ComposeError> {
    let mut lines: Vec<EnvLine> = Vec::new();
    let mut total = 0usize;
    for (index, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let bad = |reason: &str| ComposeError::EnvLine {
            path: path.to_path_buf(),
            line,
            reason: reason.to_string(),
        };
        let statement = trimmed
            .strip_prefix("export ")
            .unwrap_or(trimmed)
            .trim_start();
        let Some((name, value)) = statement.split_once('=') else {
            return Err(bad("expected NAME=VALUE"));
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(bad("expected NAME=VALUE"));
        }
        let earlier = |var: &str| {
            lines
                .iter()
                .rev()
                .find(|l| l.name == var)
                .map(|l| l.value.text.clone())
                .or_else(|| lookup(var))
        };
        let value = value.trim();
        let text = if let Some(inner) = value.strip_prefix('\'') {
            let Some(end) = inner.find('\'') else {
                return Err(bad("the value's single quote is not closed on this line"));
            };
            inner[..end].to_string()
        } else if let Some(inner) = value.strip_prefix('"') {
            let Some(end) = closing_quote(inner) else {
                return Err(bad("the value's double quote is not closed on this line"));
            };
            let unescaped = unescape(&inner[..end]);
            expand(&unescaped, &earlier, path, line)?
        } else {
            let bare = match value.find(" #") {
                Some(at) => value[..at].trim_end(),
                None => value,
            };
            expand(bare, &earlier, path, line)?
        };
        total += text.len();
        if total > VALUES_MAX {
            return Err(bad(&format!(
                "the values grow past {} once their ${{VAR}}s are replaced",
                crate::humanize::bytes(VALUES_MAX as u64)
            )));
        }
        lines.push(EnvLine {
            name: name.to_string(),
            value: Located {
                text,
                file: path.to_path_buf(),
                line,
                via: None,
            },
        });
    }
    Ok(lines)
}

fn expand(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    path: &Path,
    line: usize,
) -> Result<String, ComposeError> {
    let Interpolated { value, .. } =
        interpolate(text, lookup).map_err(|error| ComposeError::Interpolate {
            path: PathBuf::from(path),
            line,
            error,
        })?;
    Ok(value)
}

/// The index of the `"` ending a double-quoted value (a `\"` does not end it).
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Vec<(String, String, usize)>, ComposeError> {
        let lines = parse(text, Path::new(".env"), &|name| {
            (name == "FROM_SHELL").then(|| "shell".to_string())
        })?;
        Ok(lines
            .into_iter()
            .map(|l| (l.name, l.value.text, l.value.line))
            .collect())
    }

    #[test]
    fn reads_names_values_and_lines() {
        let text = "# comment\n\nDB_USER=om\nexport DB_USER_PASSWORD = 's3 cr$t' \n\
                    QUOTED=\"a\\\"b # not a comment\"\nBARE=x # comment\nEMPTY=\n";
        assert_eq!(
            parse_text(text).unwrap(),
            vec![
                ("DB_USER".into(), "om".into(), 3),
                ("DB_USER_PASSWORD".into(), "s3 cr$t".into(), 4),
                ("QUOTED".into(), "a\"b # not a comment".into(), 5),
                ("BARE".into(), "x".into(), 6),
                ("EMPTY".into(), "".into(), 7),
            ]
        );
    }

    #[test]
    fn values_interpolate_earlier_lines_then_the_shell() {
        let text = "HOST=db\nURL=${HOST}:${PORT:-3306}/${FROM_SHELL}\nLIT='${HOST}'\n";
        let lines = parse_text(text).unwrap();
        assert_eq!(lines[1].1, "db:3306/shell");
        assert_eq!(lines[2].1, "${HOST}");
    }

    #[test]
    fn broken_lines_name_the_file_and_line() {
        let error = parse_text("A=1\njust words\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            ".env line 2: expected NAME=VALUE; fix the file or give the settings with flags"
        );
        assert!(parse_text("A='open\n").is_err());
        assert!(parse_text("A=${OPEN\n").is_err());
        // Variables repeating each other stop at a bound, not at the machine's memory.
        let mut doubling = format!("A0={}\n", "x".repeat(1000));
        for i in 1..40 {
            doubling.push_str(&format!("A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
        }
        let error = parse_text(&doubling).unwrap_err().to_string();
        assert!(
            error.contains("once its variables are replaced") || error.contains("grow past"),
            "{error}"
        );
    }
}
