//! Database errors in words a person understands, each with what to do about it.

use std::time::Duration;

use sqlx::error::DatabaseError;

use crate::config::naming::{Naming, Setting};

/// Why talking to the metadata database failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    #[error("cannot resolve host name '{host}'")]
    Dns { host: String },
    #[error("connection refused by {addr}")]
    Refused { addr: String },
    #[error("{addr} cannot be reached ({detail})")]
    Unreachable { addr: String, detail: String },
    #[error("no answer from {addr} within {}s", after.as_secs_f32())]
    Timeout { addr: String, after: Duration },
    #[error("{addr} accepts connections but did not complete a {engine} login within {}s", after.as_secs_f32())]
    NoHandshake {
        addr: String,
        engine: super::Engine,
        after: Duration,
    },
    #[error("TLS failed with {addr}: {detail}")]
    Tls { addr: String, detail: String },
    #[error("{addr} does not speak the {engine} protocol ({detail})")]
    WrongProtocol {
        addr: String,
        engine: super::Engine,
        detail: String,
    },
    #[error("authentication failed for user '{user}'{}: {detail}", if *password_given { "" } else { " (no password was given)" })]
    AuthFailed {
        user: String,
        password_given: bool,
        detail: String,
    },
    #[error("the server refuses connections for user '{user}' from this host: {detail}")]
    HostNotAllowed { user: String, detail: String },
    #[error("database '{database}' does not exist on {addr}")]
    UnknownDatabase { database: String, addr: String },
    #[error("schema '{schema}' does not exist in database '{database}'")]
    UnknownSchema { schema: String, database: String },
    #[error("permission denied: {detail}")]
    PermissionDenied { detail: String },
    #[error("user '{user}' may not create or fill a scratch database: {detail}")]
    ScratchDatabaseDenied { user: String, detail: String },
    #[error("the connection to {addr} broke: {detail}")]
    ConnectionLost { addr: String, detail: String },
    #[error("the server answered with an error: {detail}")]
    Server {
        code: Option<String>,
        detail: String,
    },
    #[error("{0}")]
    Other(String),
}

impl DbError {
    /// What the operator should try next, naming settings as on the command line.
    pub fn remediation(&self) -> String {
        self.remediation_named(Naming::CommandLine)
    }

    /// What the operator should try next, naming the settings as `naming`'s reader finds them
    /// (flags, or the wizard's form fields).
    pub fn remediation_named(&self, naming: Naming) -> String {
        let n = |setting| naming.name(setting);
        match self {
            DbError::Dns { .. }
            | DbError::Refused { .. }
            | DbError::Unreachable { .. }
            | DbError::Timeout { .. }
            | DbError::NoHandshake { .. }
            | DbError::Tls { .. }
            | DbError::WrongProtocol { .. } => self.reaching_remediation(naming),
            DbError::AuthFailed {
                password_given: false,
                ..
            } => format!("Give the password ({}).", n(Setting::Password)),
            DbError::AuthFailed { user, .. } => format!(
                "Check the user name ({}) and password ({}). The OpenMetadata server uses \
                 DB_USER and DB_USER_PASSWORD (or database.user/password in openmetadata.yaml); \
                 use the same account as the server, or one that can read all its tables. \
                 User: '{user}'.",
                n(Setting::User),
                n(Setting::Password)
            ),
            DbError::HostNotAllowed { user, .. } => format!(
                "Allow '{user}' to connect from this host (MySQL: a grant for '{user}'@'<this \
                 host>'; Postgres: a pg_hba.conf line), or run om-upgrade from a host that is \
                 allowed, such as the OpenMetadata server's."
            ),
            DbError::UnknownDatabase { .. } => format!(
                "Check the database name ({}). OpenMetadata's default is openmetadata_db.",
                n(Setting::Database)
            ),
            DbError::UnknownSchema { .. } => format!(
                "Give the schema holding the OpenMetadata tables ({}; usually public).",
                n(Setting::Schema)
            ),
            DbError::PermissionDenied { .. } => "Use the OpenMetadata server's own database user, \
                 or grant this user SELECT on every table of the metadata database."
                .to_string(),
            DbError::ScratchDatabaseDenied { user, .. } => format!(
                "A test restore creates a scratch database, fills it and drops it. Let '{user}' \
                 do that (Postgres: ALTER ROLE \"{user}\" CREATEDB; MySQL: GRANT ALL ON \
                 `{}%`.* TO '{user}'@'<this host>'), or have an empty database made for it and \
                 run om-upgrade verify FILE --restore-into URL.",
                // In a MySQL grant `_` is a wildcard too.
                super::work_names::WORK_PREFIX.replace('_', "\\_")
            ),
            DbError::ConnectionLost { .. } => format!(
                "The server closed the connection. If it requires TLS, try TLS mode require \
                 ({}); check the server's log for why it hung up.",
                n(Setting::SslMode)
            ),
            DbError::Server { .. } | DbError::Other(_) => {
                "See the server's message above; run again with RUST_LOG=debug for more detail."
                    .to_string()
            }
        }
    }

    /// What to try when the server could not be reached or spoken to.
    fn reaching_remediation(&self, naming: Naming) -> String {
        let n = |setting| naming.name(setting);
        match self {
            DbError::Dns { host } => format!(
                "Check the host name '{host}' for typos and that this host's DNS can resolve it \
                 (`getent hosts {host}`); or give the IP address ({}).",
                n(Setting::Host)
            ),
            DbError::Refused { addr } => format!(
                "Nothing listens on {addr}. Check the host ({}) and port ({}), that the database \
                 server is running, and that it listens on the network (MySQL bind-address, \
                 Postgres listen_addresses).",
                n(Setting::Host),
                n(Setting::Port)
            ),
            DbError::Unreachable { addr, .. } => format!(
                "There is no route to {addr}. Check the address, VPN and firewall between this \
                 host and the database."
            ),
            DbError::Timeout { addr, .. } => format!(
                "Packets to {addr} get no answer: a firewall or security group probably drops \
                 them. Check the address and the network path, or raise the connect timeout \
                 ({}) for a slow link.",
                n(Setting::ConnectTimeout)
            ),
            DbError::NoHandshake { engine, .. } => format!(
                "Something listens there but does not answer as {engine}. Check the engine ({}) \
                 and port ({}; MySQL usually 3306, Postgres 5432); behind a TLS-only proxy try \
                 TLS mode require ({}); or raise the connect timeout ({}) for a slow server.",
                n(Setting::Engine),
                n(Setting::Port),
                n(Setting::SslMode),
                n(Setting::ConnectTimeout)
            ),
            DbError::Tls { .. } => format!(
                "Check the TLS settings: the TLS mode ({}: disable, prefer, require, verify-ca, \
                 verify-full) and the CA that signed the server's certificate ({}); DB_PARAMS \
                 useSSL / sslmode say what the server uses.",
                n(Setting::SslMode),
                n(Setting::SslCa)
            ),
            DbError::WrongProtocol { engine, .. } => format!(
                "The port answers, but not as {engine}. Check the engine ({}) and port ({}; \
                 MySQL usually 3306, Postgres 5432).",
                n(Setting::Engine),
                n(Setting::Port)
            ),
            // Only the variants above are passed here (`remediation_named`).
            _ => String::new(),
        }
    }

    pub fn is_auth_failure(&self) -> bool {
        matches!(self, DbError::AuthFailed { .. })
    }
}

/// Who we were trying to reach, to put into messages.
#[derive(Debug, Clone)]
pub(crate) struct Attempt<'a> {
    pub engine: super::Engine,
    pub host: &'a str,
    pub port: u16,
    pub user: &'a str,
    pub database: &'a str,
    pub password_given: bool,
}

impl Attempt<'_> {
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Turns a sqlx error into a [`DbError`].
pub(crate) fn classify(error: sqlx::Error, attempt: &Attempt<'_>) -> DbError {
    match error {
        sqlx::Error::Io(io) => classify_io(&io, attempt),
        sqlx::Error::Tls(e) => DbError::Tls {
            addr: attempt.addr(),
            detail: without_source_locations(&e.to_string()),
        },
        sqlx::Error::Database(db) => classify_database(db.as_ref(), attempt),
        sqlx::Error::PoolTimedOut => DbError::Timeout {
            addr: attempt.addr(),
            after: Duration::ZERO,
        },
        sqlx::Error::Protocol(detail) => DbError::WrongProtocol {
            addr: attempt.addr(),
            engine: attempt.engine,
            detail: without_source_locations(&detail),
        },
        sqlx::Error::Configuration(e) => DbError::Other(format!(
            "bad connection settings: {}",
            without_source_locations(&e.to_string())
        )),
        other => DbError::Other(without_source_locations(&other.to_string())),
    }
}

/// The text without the driver's internal source locations (`sqlx_postgres::connection::tls:95`,
/// `(at sqlx_core::net:12)`): they say nothing to an operator.
pub(crate) fn without_source_locations(text: &str) -> String {
    fn is_location(token: &str) -> bool {
        let token = token.trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | ',' | ';'));
        let Some((path, line)) = token.rsplit_once(':') else {
            return false;
        };
        let ident = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        !line.is_empty()
            && line.chars().all(|c| c.is_ascii_digit())
            && path.contains("::")
            && path.split("::").all(ident)
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if is_location(word) {
            continue;
        }
        if matches!(*word, "at" | "(at") && words.get(i + 1).is_some_and(|w| is_location(w)) {
            continue;
        }
        kept.push(word);
    }
    let joined = kept.join(" ");
    joined
        .trim_end_matches(|c: char| c == ':' || c == ',' || c.is_whitespace())
        .to_string()
}

fn classify_io(io: &std::io::Error, attempt: &Attempt<'_>) -> DbError {
    use std::io::ErrorKind;
    let text = io.to_string();
    let addr = attempt.addr();
    match io.kind() {
        ErrorKind::ConnectionRefused => DbError::Refused { addr },
        ErrorKind::TimedOut => DbError::Timeout {
            addr,
            after: Duration::ZERO,
        },
        ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable
        | ErrorKind::AddrNotAvailable => DbError::Unreachable { addr, detail: text },
        ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::UnexpectedEof
        | ErrorKind::BrokenPipe => DbError::ConnectionLost { addr, detail: text },
        _ if looks_like_dns(&text) => DbError::Dns {
            host: attempt.host.to_string(),
        },
        _ => DbError::ConnectionLost { addr, detail: text },
    }
}

fn looks_like_dns(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "lookup address",
        "name or service not known",
        "nodename nor servname",
        "no address associated",
        "temporary failure in name resolution",
        "name resolution",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

fn classify_database(db: &dyn DatabaseError, attempt: &Attempt<'_>) -> DbError {
    let detail = db.message().to_string();
    let user = attempt.user.to_string();
    if let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return match mysql.number() {
            1045 | 1698 => DbError::AuthFailed {
                user,
                password_given: attempt.password_given,
                detail,
            },
            1130 => DbError::HostNotAllowed { user, detail },
            1049 => DbError::UnknownDatabase {
                database: attempt.database.to_string(),
                addr: attempt.addr(),
            },
            1044 | 1142 | 1143 | 1227 | 1370 => DbError::PermissionDenied { detail },
            n => DbError::Server {
                code: Some(n.to_string()),
                detail,
            },
        };
    }
    let code = db.code().map(|c| c.to_string());
    match code.as_deref() {
        Some("28P01") => DbError::AuthFailed {
            user,
            password_given: attempt.password_given,
            detail,
        },
        Some("28000") if detail.contains("pg_hba.conf") => DbError::HostNotAllowed { user, detail },
        Some("28000") => DbError::AuthFailed {
            user,
            password_given: attempt.password_given,
            detail,
        },
        Some("3D000") => DbError::UnknownDatabase {
            database: attempt.database.to_string(),
            addr: attempt.addr(),
        },
        Some("42501") => DbError::PermissionDenied { detail },
        _ => DbError::Server { code, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Engine;

    fn every_error() -> Vec<DbError> {
        let (addr, user, detail) = ("db:5432".to_string(), "om".to_string(), "x".to_string());
        let after = Duration::from_secs(5);
        vec![
            DbError::Dns { host: "db".into() },
            DbError::Refused { addr: addr.clone() },
            DbError::Unreachable {
                addr: addr.clone(),
                detail: detail.clone(),
            },
            DbError::Timeout {
                addr: addr.clone(),
                after,
            },
            DbError::NoHandshake {
                addr: addr.clone(),
                engine: Engine::Postgres,
                after,
            },
            DbError::Tls {
                addr: addr.clone(),
                detail: detail.clone(),
            },
            DbError::WrongProtocol {
                addr: addr.clone(),
                engine: Engine::Mysql,
                detail: detail.clone(),
            },
            DbError::AuthFailed {
                user: user.clone(),
                password_given: false,
                detail: detail.clone(),
            },
            DbError::AuthFailed {
                user: user.clone(),
                password_given: true,
                detail: detail.clone(),
            },
            DbError::HostNotAllowed {
                user: user.clone(),
                detail: detail.clone(),
            },
            DbError::UnknownDatabase {
                database: "om".into(),
                addr: addr.clone(),
            },
            DbError::UnknownSchema {
                schema: "om".into(),
                database: "om".into(),
            },
            DbError::PermissionDenied {
                detail: detail.clone(),
            },
            DbError::ConnectionLost {
                addr,
                detail: detail.clone(),
            },
            DbError::Server { code: None, detail },
        ]
    }

    /// Beside the wizard's form, advice names its fields; a setting the form does not have is
    /// named only as the option to start the wizard with, and said to be one.
    #[test]
    fn advice_for_the_form_names_only_its_fields() {
        for error in every_error() {
            let text = error.remediation_named(Naming::Form);
            let options: Vec<&str> = text
                .split_whitespace()
                .map(|w| w.trim_start_matches('('))
                .filter(|w| w.starts_with('-') && w.len() > 1)
                .collect();
            let introduced = text
                .matches(": an option to start om-upgrade with, not on the form")
                .count();
            assert_eq!(options.len(), introduced, "{error:?}: {text}");
            assert!(
                !text.contains("OM_DATABASE") && !text.contains("--password-file"),
                "{text}"
            );
        }
        let refused = DbError::Refused {
            addr: "db:5432".into(),
        };
        assert!(
            refused
                .remediation_named(Naming::Form)
                .contains("the host field")
        );
        assert!(
            refused.remediation().contains("--port"),
            "the command line keeps its flags"
        );
    }

    #[test]
    fn driver_source_locations_are_left_out() {
        assert_eq!(
            super::without_source_locations(
                "error communicating with database: unexpected response from SSLRequest: 0x45 \
                 (sqlx_postgres::connection::tls:95)"
            ),
            "error communicating with database: unexpected response from SSLRequest: 0x45"
        );
        assert_eq!(
            super::without_source_locations("connection refused by 10.0.0.5:3306"),
            "connection refused by 10.0.0.5:3306"
        );
    }
}
