//! `${VAR}` / `${VAR:-default}` substitution, as the OpenMetadata server applies it to
//! `openmetadata.yaml` before parsing (Dropwizard's non-strict environment substitutor).

use super::Env;

/// A `${VAR}` without default whose variable is not set. The server leaves such text as it is;
/// we report it, because a literal `${DB_HOST}` is never a usable setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub variable: String,
    pub line: usize,
}

/// Replaces every `${NAME}` and `${NAME:-default}` with the value from `env`.
/// `$${...}` is an escaped literal `${...}`. Returns the text and the variables left unresolved.
pub fn substitute(text: &str, env: &Env) -> (String, Vec<Unresolved>) {
    let mut out = String::with_capacity(text.len());
    let mut unresolved = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
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
                    let line = text[..text.len() - rest.len() + start]
                        .matches('\n')
                        .count()
                        + 1;
                    unresolved.push(Unresolved {
                        variable: name.to_string(),
                        line,
                    });
                    out.push_str(&rest[start..end]);
                }
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    (out, unresolved)
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
        let (out, missing) = substitute("h: ${DB_HOST:-localhost} p: ${DB_PORT:-3306}", &e);
        assert_eq!(out, "h: db.internal p: 3306");
        assert!(missing.is_empty());
    }

    #[test]
    fn empty_default_and_defaults_with_colons() {
        let (out, _) = substitute("a: '${A:-}' b: ${B:-jdbc:mysql://x:1/y?u=1&v=2}", &env(&[]));
        assert_eq!(out, "a: '' b: jdbc:mysql://x:1/y?u=1&v=2");
    }

    #[test]
    fn reports_unresolved_variables_with_their_line() {
        let (out, missing) = substitute("a: 1\nb: ${NOPE}\n", &env(&[]));
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
        let (out, missing) = substitute("x: $${HOME} y: ${Y:-1}", &env(&[("HOME", "/root")]));
        assert_eq!(out, "x: ${HOME} y: 1");
        assert!(missing.is_empty());
    }

    #[test]
    fn unterminated_reference_is_left_alone() {
        let (out, missing) = substitute("x: ${OPEN", &env(&[]));
        assert_eq!(out, "x: ${OPEN");
        assert!(missing.is_empty());
    }
}
