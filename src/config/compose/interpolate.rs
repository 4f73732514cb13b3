//! Docker compose's variable interpolation, applied to a value after the file is parsed:
//! `$$` is a literal `$`; `$VAR` and `${VAR}` are the variable (empty when unset, which compose
//! warns about and we report); `${VAR:-default}` when unset or empty, `${VAR-default}` when
//! unset; `${VAR:?message}` / `${VAR?message}` stop with the message; `${VAR:+other}` /
//! `${VAR+other}` give `other` when set. Defaults may hold further references.

/// What a value became, and the variables it named.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interpolated {
    pub value: String,
    /// Variables whose value was used (not a default), in order.
    pub used: Vec<String>,
    /// Variables named without a default that are not set: compose makes them empty.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterpolateError {
    /// `${VAR:?message}` with VAR unset (or empty).
    #[error("{variable} is required: {message}")]
    Required { variable: String, message: String },
    #[error("'{text}' is not a valid ${{VAR}} reference")]
    Syntax { text: String },
    #[error("references nested more than {MAX_DEPTH} deep")]
    TooDeep,
    #[error("longer than {} once its variables are replaced", crate::humanize::bytes(MAX_VALUE as u64))]
    TooLong,
}

/// The longest value a reference may make: variables that repeat each other (`B=$A$A$A`,
/// `C=$B$B$B`) would otherwise grow without bound.
pub const MAX_VALUE: usize = 1 << 20;

/// How deep `${A:-${B:-${C}}}` may nest: more is a hostile file.
const MAX_DEPTH: usize = 8;

/// Interpolates `text`, looking variables up with `lookup`.
pub fn interpolate(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Interpolated, InterpolateError> {
    let mut out = Interpolated::default();
    expand(text, lookup, 0, &mut out)?;
    Ok(out)
}

fn expand(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
    out: &mut Interpolated,
) -> Result<(), InterpolateError> {
    if depth > MAX_DEPTH {
        return Err(InterpolateError::TooDeep);
    }
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        if out.value.len() > MAX_VALUE {
            return Err(InterpolateError::TooLong);
        }
        out.value.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.value.push('$');
            rest = tail;
        } else if let Some(body_and_tail) = after.strip_prefix('{') {
            let Some(len) = closing_brace(body_and_tail) else {
                return Err(InterpolateError::Syntax {
                    text: rest[at..].chars().take(40).collect(),
                });
            };
            braced(&body_and_tail[..len], lookup, depth, out)?;
            rest = &body_and_tail[len + 1..];
        } else {
            let len = name_len(after);
            if len == 0 {
                // A `$` before anything else is itself.
                out.value.push('$');
            } else {
                substitute(&after[..len], lookup, out);
            }
            rest = &after[len..];
        }
    }
    out.value.push_str(rest);
    if out.value.len() > MAX_VALUE {
        return Err(InterpolateError::TooLong);
    }
    Ok(())
}

/// The length of a variable name at the start of `text` (`[A-Za-z_][A-Za-z0-9_]*`).
fn name_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if bytes
        .first()
        .is_none_or(|b| !(b.is_ascii_alphabetic() || *b == b'_'))
    {
        return 0;
    }
    bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count()
}

/// The index of the `}` closing a `${`, counting nested `${ … }`.
fn closing_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn substitute(name: &str, lookup: &dyn Fn(&str) -> Option<String>, out: &mut Interpolated) {
    match lookup(name) {
        Some(value) => {
            out.value.push_str(&value);
            out.used.push(name.to_string());
        }
        None => out.missing.push(name.to_string()),
    }
}

fn braced(
    body: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
    out: &mut Interpolated,
) -> Result<(), InterpolateError> {
    let len = name_len(body);
    let (name, op) = body.split_at(len);
    if name.is_empty() {
        return Err(InterpolateError::Syntax {
            text: format!("${{{body}}}"),
        });
    }
    if op.is_empty() {
        substitute(name, lookup, out);
        return Ok(());
    }
    let (colon, op) = match op.strip_prefix(':') {
        Some(op) => (true, op),
        None => (false, op),
    };
    let Some(kind) = op.chars().next().filter(|c| matches!(c, '-' | '?' | '+')) else {
        return Err(InterpolateError::Syntax {
            text: format!("${{{body}}}"),
        });
    };
    let arg = &op[1..];
    let value = lookup(name);
    // With the colon, an empty value counts as unset.
    let set = value.as_ref().is_some_and(|v| !colon || !v.is_empty());
    match kind {
        '-' if set => {
            out.value.push_str(value.as_deref().unwrap_or_default());
            out.used.push(name.to_string());
        }
        '-' => expand(arg, lookup, depth + 1, out)?,
        '?' if set => {
            out.value.push_str(value.as_deref().unwrap_or_default());
            out.used.push(name.to_string());
        }
        '?' => {
            let mut message = Interpolated::default();
            expand(arg, lookup, depth + 1, &mut message)?;
            return Err(InterpolateError::Required {
                variable: name.to_string(),
                message: message.value,
            });
        }
        _ if set => {
            out.used.push(name.to_string());
            expand(arg, lookup, depth + 1, out)?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, vars: &[(&str, &str)]) -> Result<Interpolated, InterpolateError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        interpolate(text, &move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn value(text: &str, vars: &[(&str, &str)]) -> String {
        run(text, vars).unwrap().value
    }

    #[test]
    fn plain_and_braced_references() {
        let vars = [("DB_HOST", "mysql"), ("PORT", "3306")];
        assert_eq!(value("$DB_HOST:$PORT", &vars), "mysql:3306");
        assert_eq!(value("${DB_HOST}x", &vars), "mysqlx");
        assert_eq!(value("$DB_HOST-suffix", &vars), "mysql-suffix");
        let out = run("h=${DB_HOST} p=$PORT", &vars).unwrap();
        assert_eq!(out.used, vec!["DB_HOST", "PORT"]);
        assert!(out.missing.is_empty());
    }

    #[test]
    fn colon_dash_defaults_when_unset_or_empty_dash_only_when_unset() {
        let vars = [("EMPTY", "")];
        assert_eq!(value("${EMPTY:-d}", &vars), "d");
        assert_eq!(value("${EMPTY-d}", &vars), "");
        assert_eq!(value("${UNSET:-d}", &vars), "d");
        assert_eq!(value("${UNSET-d}", &vars), "d");
        assert_eq!(value("${UNSET:-}", &vars), "");
        // Defaults keep colons, spaces and quotes as written; upstream files rely on it.
        assert_eq!(
            value("${DB_PARAMS:-a=1&useSSL=false}", &[]),
            "a=1&useSSL=false"
        );
        assert_eq!(
            value("${SEARCH_TYPE:- \"elasticsearch\"}", &[]),
            " \"elasticsearch\""
        );
        assert_eq!(value("${X:-jdbc:mysql://h:1/d}", &[]), "jdbc:mysql://h:1/d");
    }

    #[test]
    fn nested_defaults() {
        assert_eq!(value("${A:-${B:-b}}", &[]), "b");
        assert_eq!(value("${A:-${B:-b}}", &[("B", "bb")]), "bb");
        assert_eq!(value("${A:-x${B}y}", &[("B", "1")]), "x1y");
    }

    #[test]
    fn required_variables_stop_with_their_message() {
        assert_eq!(
            run("${DB_PASSWORD:?set it in .env}", &[]),
            Err(InterpolateError::Required {
                variable: "DB_PASSWORD".into(),
                message: "set it in .env".into()
            })
        );
        assert!(run("${EMPTY:?no}", &[("EMPTY", "")]).is_err());
        assert_eq!(value("${EMPTY?no}", &[("EMPTY", "")]), "");
        assert_eq!(value("${SET:?no}", &[("SET", "v")]), "v");
    }

    #[test]
    fn plus_gives_the_alternative_when_set() {
        assert_eq!(value("${A:+yes}", &[("A", "1")]), "yes");
        assert_eq!(value("${A:+yes}", &[("A", "")]), "");
        assert_eq!(value("${A+yes}", &[("A", "")]), "yes");
        assert_eq!(value("${A+yes}", &[]), "");
    }

    #[test]
    fn double_dollar_is_a_literal_dollar() {
        assert_eq!(value("pa$$word", &[("word", "x")]), "pa$word");
        assert_eq!(value("$${HOME}", &[("HOME", "/root")]), "${HOME}");
        assert_eq!(value("cost: 5$", &[]), "cost: 5$");
        assert_eq!(value("$ 1", &[]), "$ 1");
    }

    #[test]
    fn unset_without_default_is_empty_and_reported() {
        let out = run("u=${NOPE} v=$ALSO_NOT", &[]).unwrap();
        assert_eq!(out.value, "u= v=");
        assert_eq!(out.missing, vec!["NOPE", "ALSO_NOT"]);
    }

    #[test]
    fn broken_references_are_errors() {
        assert!(matches!(
            run("${OPEN", &[]),
            Err(InterpolateError::Syntax { .. })
        ));
        assert!(matches!(
            run("${}", &[]),
            Err(InterpolateError::Syntax { .. })
        ));
        assert!(matches!(
            run("${A*b}", &[]),
            Err(InterpolateError::Syntax { .. })
        ));
        let deep = format!("{}x{}", "${A:-".repeat(20), "}".repeat(20));
        assert_eq!(run(&deep, &[]), Err(InterpolateError::TooDeep));
        let long = "x".repeat(1000);
        assert_eq!(
            run(&"$L".repeat(2000), &[("L", long.as_str())]),
            Err(InterpolateError::TooLong)
        );
        assert_eq!(
            run(&"$L".repeat(1000), &[("L", long.as_str())])
                .unwrap()
                .value
                .len(),
            1_000_000
        );
    }
}
