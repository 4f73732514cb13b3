//! `${VAR}` / `${VAR:-default}` substitution, as the OpenMetadata server applies it to
//! `openmetadata.yaml` before parsing (Dropwizard's non-strict environment substitutor).

use super::Env;
use crate::humanize;
use crate::yaml::LIMITS;

/// The text grew past what a YAML file may hold while its `${VAR}`s were replaced: a small
/// file whose many references name a long variable would otherwise take any amount of memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "larger than {} once its ${{VAR}} references are replaced, the most a YAML file may have",
    humanize::bytes(*limit as u64)
)]
pub struct Overgrown {
    pub limit: usize,
}

/// A `${VAR}` without default whose variable is not set. The server leaves such text as it is;
/// we report it, because a literal `${DB_HOST}` is never a usable setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub variable: String,
    pub line: usize,
}

/// Replaces every `${NAME}` and `${NAME:-default}` with the value from `env`.
/// `$${...}` is an escaped literal `${...}`. Returns the text and the variables left unresolved;
/// stops when the text grows past the YAML size limit.
pub fn substitute(text: &str, env: &Env) -> Result<(String, Vec<Unresolved>), Overgrown> {
    substitute_within(text, env, LIMITS.max_bytes)
}

fn substitute_within(
    text: &str,
    env: &Env,
    limit: usize,
) -> Result<(String, Vec<Unresolved>), Overgrown> {
    let mut out = String::with_capacity(text.len().min(limit));
    let mut unresolved = Vec::new();
    let mut rest = text;
    // Lines are counted as the text is walked, once (counting from the start for every
    // reference would be quadratic).
    let mut line = 1;
    while let Some(start) = rest.find("${") {
        if out.len() > limit {
            return Err(Overgrown { limit });
        }
        let escaped = start > 0 && rest.as_bytes()[start - 1] == b'$';
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let body = &rest[start + 2..start + 2 + len];
        let end = start + 2 + len + 1;
        if escaped {
            out.push_str(&rest[..start - 1]);
            out.push_str(&rest[start..end]);
        } else {
            out.push_str(&rest[..start]);
            let (name, default) = match body.split_once(":-") {
                Some((name, default)) => (name.trim(), Some(default)),
                None => (body.trim(), None),
            };
            match (env.get(name), default) {
                (Some(value), _) => out.push_str(value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => {
                    unresolved.push(Unresolved {
                        variable: name.to_string(),
                        line: line + newlines(&rest[..start]),
                    });
                    out.push_str(&rest[start..end]);
                }
            }
        }
        line += newlines(&rest[..end]);
        rest = &rest[end..];
    }
    out.push_str(rest);
    if out.len() > limit {
        return Err(Overgrown { limit });
    }
    Ok((out, unresolved))
}

fn newlines(text: &str) -> usize {
    memchr::memchr_iter(b'\n', text.as_bytes()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn uses_env_then_default() {
        let e = env(&[("DB_HOST", "db.internal")]);
        let (out, missing) =
            substitute("h: ${DB_HOST:-localhost} p: ${DB_PORT:-3306}", &e).unwrap();
        assert_eq!(out, "h: db.internal p: 3306");
        assert!(missing.is_empty());
    }

    #[test]
    fn empty_default_and_defaults_with_colons() {
        let (out, _) =
            substitute("a: '${A:-}' b: ${B:-jdbc:mysql://x:1/y?u=1&v=2}", &env(&[])).unwrap();
        assert_eq!(out, "a: '' b: jdbc:mysql://x:1/y?u=1&v=2");
    }

    #[test]
    fn reports_unresolved_variables_with_their_line() {
        let (out, missing) = substitute("a: 1\nb: ${NOPE}\n", &env(&[])).unwrap();
        assert_eq!(out, "a: 1\nb: ${NOPE}\n");
        assert_eq!(
            missing,
            vec![Unresolved {
                variable: "NOPE".into(),
                line: 2
            }]
        );
    }

    #[test]
    fn escaped_dollar_is_kept_literally() {
        let (out, missing) =
            substitute("x: $${HOME} y: ${Y:-1}", &env(&[("HOME", "/root")])).unwrap();
        assert_eq!(out, "x: ${HOME} y: 1");
        assert!(missing.is_empty());
    }

    #[test]
    fn unterminated_reference_is_left_alone() {
        let (out, missing) = substitute("x: ${OPEN", &env(&[])).unwrap();
        assert_eq!(out, "x: ${OPEN");
        assert!(missing.is_empty());
    }

    #[test]
    fn many_references_to_a_long_variable_stop_at_the_limit() {
        let long = "x".repeat(1000);
        let e = env(&[("LONG", long.as_str())]);
        let text = "a: ${LONG}\n".repeat(100);
        assert_eq!(
            substitute_within(&text, &e, 50_000),
            Err(Overgrown { limit: 50_000 })
        );
        let (out, _) = substitute_within(&text, &e, 200_000).unwrap();
        assert_eq!(out.len(), 100 * 1004);
    }

    #[test]
    fn lines_of_unresolved_references_are_counted_once() {
        let text = "a: ${A}\n\nb: $${B} ${C:-c}\nd: ${D}${E}\n";
        let (_, missing) = substitute(text, &env(&[])).unwrap();
        let lines: Vec<_> = missing
            .iter()
            .map(|m| (m.variable.as_str(), m.line))
            .collect();
        assert_eq!(lines, vec![("A", 1), ("D", 4), ("E", 4)]);
    }
}
