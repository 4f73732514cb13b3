//! Database URLs: the JDBC urls of `openmetadata.yaml` (`jdbc:mysql://…`, `jdbc:postgresql://…`)
//! and the `--db-url` form (`mysql://user@host:3306/db`, `postgres://…`).

use crate::engine::Engine;

/// A port number that is not one a database can listen on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a port number (1-65535)")]
pub struct BadPort(pub String);

/// Parses a port: 1-65535 (0 asks the system for any free port, never a database's).
pub fn parse_port(text: &str) -> Result<u16, BadPort> {
    match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(BadPort(text.to_string())),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UrlParts {
    pub engine: Option<Engine>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Query parameters in the order given (`useSSL=false`, `sslmode=require`, ...).
    pub params: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error(
        "unknown database scheme '{scheme}': use mysql://, postgres:// (or jdbc:mysql://, jdbc:postgresql://)"
    )]
    UnknownScheme { scheme: String },
    #[error("several hosts in one url are not supported: give the primary with --host")]
    SeveralHosts,
    #[error(
        "the url has no host: expected mysql://HOST:PORT/DATABASE or postgres://HOST:PORT/DATABASE"
    )]
    NoHost,
    #[error("{0}")]
    Malformed(String),
}

/// Maps a scheme (with or without `jdbc:`) to an engine.
pub fn engine_for_scheme(scheme: &str) -> Option<Engine> {
    match scheme.to_ascii_lowercase().as_str() {
        "mysql" | "mariadb" => Some(Engine::Mysql),
        "postgres" | "postgresql" => Some(Engine::Postgres),
        _ => None,
    }
}

/// Parses `jdbc:mysql://h:3306/db?x=1`, `mysql://u:p@h/db` and their Postgres twins.
pub fn parse(input: &str) -> Result<UrlParts, UrlError> {
    let trimmed = input.trim();
    let without_jdbc = trimmed
        .strip_prefix("jdbc:")
        .or_else(|| trimmed.strip_prefix("JDBC:"))
        .unwrap_or(trimmed);
    let Some((scheme, after_scheme)) = without_jdbc.split_once("://") else {
        return Err(UrlError::Malformed(format!(
            "'{}' is not a database url: expected mysql://HOST:PORT/DATABASE or postgres://HOST:PORT/DATABASE",
            redact_userinfo(trimmed)
        )));
    };
    let engine = engine_for_scheme(scheme).ok_or_else(|| UrlError::UnknownScheme {
        scheme: scheme.to_string(),
    })?;
    let authority = after_scheme.split(['/', '?']).next().unwrap_or_default();
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if hosts.contains(',') {
        return Err(UrlError::SeveralHosts);
    }
    // `url` parses any "special-less" scheme generically; a fixed scheme keeps it predictable.
    let url = url::Url::parse(&format!("db://{after_scheme}")).map_err(|e| {
        UrlError::Malformed(format!(
            "'{}' is not a valid url: {e}",
            redact_userinfo(trimmed)
        ))
    })?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .ok_or(UrlError::NoHost)?;
    let decode = |s: &str| {
        percent_decode(s).map_err(|_| UrlError::Malformed("the url has invalid %-escapes".into()))
    };
    let user = match url.username() {
        "" => None,
        u => Some(decode(u)?),
    };
    let password = url.password().map(decode).transpose()?;
    let database = match url.path().trim_start_matches('/') {
        "" => None,
        db => Some(decode(db)?),
    };
    let port = url
        .port()
        .map(|port| parse_port(&port.to_string()))
        .transpose()
        .map_err(|error| UrlError::Malformed(error.to_string()))?;
    let params = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(UrlParts {
        engine: Some(engine),
        host: Some(host),
        port,
        database,
        user,
        password,
        params,
    })
}

fn percent_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
}

/// `scheme://user:secret@host` → `scheme://user:***@host`, for messages about a bad url.
pub fn redact_userinfo(input: &str) -> String {
    let Some(scheme_end) = input.find("://") else {
        return input.to_string();
    };
    let authority_start = scheme_end + 3;
    let authority_end = input[authority_start..]
        .find(['/', '?'])
        .map_or(input.len(), |i| authority_start + i);
    match input[authority_start..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &input[authority_start..authority_start + at];
            let user = userinfo.split(':').next().unwrap_or_default();
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!(
                "{}{}{}",
                &input[..authority_start],
                masked,
                &input[authority_start + at..]
            )
        }
        None => input.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_default_mysql_jdbc_url_of_openmetadata_yaml() {
        let parts = parse(
            "jdbc:mysql://localhost:3306/openmetadata_db?allowPublicKeyRetrieval=true&useSSL=false&serverTimezone=UTC",
        )
        .unwrap();
        assert_eq!(parts.engine, Some(Engine::Mysql));
        assert_eq!(parts.host.as_deref(), Some("localhost"));
        assert_eq!(parts.port, Some(3306));
        assert_eq!(parts.database.as_deref(), Some("openmetadata_db"));
        assert_eq!(
            parts.params,
            vec![
                ("allowPublicKeyRetrieval".into(), "true".into()),
                ("useSSL".into(), "false".into()),
                ("serverTimezone".into(), "UTC".into()),
            ]
        );
    }

    #[test]
    fn parses_postgres_jdbc_url_with_sslmode() {
        let parts = parse("jdbc:postgresql://pg.internal:5433/openmetadata_db?sslmode=verify-full&sslrootcert=/etc/ca.pem").unwrap();
        assert_eq!(parts.engine, Some(Engine::Postgres));
        assert_eq!(parts.port, Some(5433));
        assert_eq!(parts.params[0], ("sslmode".into(), "verify-full".into()));
        assert_eq!(
            parts.params[1],
            ("sslrootcert".into(), "/etc/ca.pem".into())
        );
    }

    #[test]
    fn parses_user_password_and_escapes() {
        let parts = parse("postgres://om%40corp:p%2Fss@[::1]/om%20db").unwrap();
        assert_eq!(parts.user.as_deref(), Some("om@corp"));
        assert_eq!(parts.password.as_deref(), Some("p/ss"));
        assert_eq!(parts.host.as_deref(), Some("::1"));
        assert_eq!(parts.port, None);
        assert_eq!(parts.database.as_deref(), Some("om db"));
    }

    #[test]
    fn rejects_what_it_cannot_use() {
        assert!(matches!(
            parse("oracle://h/db"),
            Err(UrlError::UnknownScheme { .. })
        ));
        assert!(matches!(
            parse("mysql://a:1,b:2/db"),
            Err(UrlError::SeveralHosts)
        ));
        assert!(matches!(parse("mysql:///db"), Err(UrlError::NoHost)));
        assert!(matches!(parse("not a url"), Err(UrlError::Malformed(_))));
        assert!(matches!(
            parse("mysql://h:99999/db"),
            Err(UrlError::Malformed(_))
        ));
    }

    #[test]
    fn malformed_url_messages_hide_the_password() {
        let err = parse("mysql://u:hunter2@h:notaport/db").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert_eq!(
            redact_userinfo("postgres://u:s3cr3t@h/db"),
            "postgres://u:***@h/db"
        );
    }
}
