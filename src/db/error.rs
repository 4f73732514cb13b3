//! Database errors in words a person understands, each with what to do about it.

use std::time::Duration;

use sqlx::error::DatabaseError;

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
    /// What the operator should try next.
    pub fn remediation(&self) -> String {
        match self {
            DbError::Dns { host } => format!(
                "Check the host name '{host}' for typos and that this host's DNS can resolve it \
                 (`getent hosts {host}`); or give the IP address with -H."
            ),
            DbError::Refused { addr } => format!(
                "Nothing listens on {addr}. Check host and port (--port), that the database \
                 server is running, and that it listens on the network (MySQL bind-address, \
                 Postgres listen_addresses)."
            ),
            DbError::Unreachable { addr, .. } => format!(
                "There is no route to {addr}. Check the address, VPN and firewall between this \
                 host and the database."
            ),
            DbError::Timeout { addr, .. } => format!(
                "Packets to {addr} get no answer: a firewall or security group probably drops \
                 them. Check the address and the network path, or raise --connect-timeout for a \
                 slow link."
            ),
            DbError::NoHandshake { engine, .. } => format!(
                "Something listens there but does not answer as {engine}. Check --engine and \
                 --port (MySQL usually 3306, Postgres 5432); behind a TLS-only proxy try \
                 --ssl-mode require; or raise --connect-timeout for a slow server."
            ),
            DbError::Tls { .. } => "Check the TLS settings: --ssl-mode (disable, prefer, require, \
                 verify-ca, verify-full) and --ssl-ca with the CA that signed the server's \
                 certificate; DB_PARAMS useSSL / sslmode say what the server uses."
                .to_string(),
            DbError::WrongProtocol { engine, .. } => format!(
                "The port answers, but not as {engine}. Check --engine and --port (MySQL \
                 usually 3306, Postgres 5432)."
            ),
            DbError::AuthFailed {
                password_given: false,
                ..
            } => "Give the password with DB_USER_PASSWORD, --password-file FILE, or run on a \
                  terminal to be asked for it."
                .to_string(),
            DbError::AuthFailed { user, .. } => format!(
                "Check the user name and password. The OpenMetadata server uses DB_USER and \
                 DB_USER_PASSWORD (or database.user/password in openmetadata.yaml); use the same \
                 account as the server, or one that can read all its tables. User: '{user}'."
            ),
            DbError::HostNotAllowed { user, .. } => format!(
                "Allow '{user}' to connect from this host (MySQL: a grant for '{user}'@'<this \
                 host>'; Postgres: a pg_hba.conf line), or run om-upgrade from a host that is \
                 allowed, such as the OpenMetadata server's."
            ),
            DbError::UnknownDatabase { .. } => "Check the database name (-d, OM_DATABASE, or the \
                 url in openmetadata.yaml). OpenMetadata's default is openmetadata_db."
                .to_string(),
            DbError::UnknownSchema { .. } => {
                "Give the schema holding the OpenMetadata tables with \
                 -s (usually public)."
                    .to_string()
            }
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
            DbError::ConnectionLost { .. } => "The server closed the connection. If it requires \
                 TLS, try --ssl-mode require; check the server's log for why it hung up."
                .to_string(),
            DbError::Server { .. } | DbError::Other(_) => {
                "See the server's message above; run again with RUST_LOG=debug for more detail."
                    .to_string()
            }
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
