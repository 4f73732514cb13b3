//! The resolved connection settings and what they say about themselves: each value with the
//! [`Source`] it came from, the TLS wanted, a view without the password, and the warnings
//! resolution found. Every reader of settings (the server file, the deployment files, the
//! installation's other services) builds these; none of them is built here.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::engine::Engine;
use crate::secret::Secret;

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    DbUrl,
    PasswordFile(PathBuf),
    Env(&'static str),
    ConfigFile(PathBuf),
    /// A line of a docker compose file, or of an env file it names; the note says more (the
    /// `.env` line a `${VAR}` came from, the published port a service name became).
    Compose {
        file: PathBuf,
        line: usize,
        note: Option<String>,
    },
    /// A key of a Helm values file (`openmetadata.config.database.host`).
    HelmValues {
        file: PathBuf,
        key: String,
    },
    /// A key of a Kubernetes Secret, read with kubectl; no namespace is kubectl's current one.
    KubeSecret {
        namespace: Option<String>,
        name: String,
        key: String,
    },
    Prompt,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::DbUrl => f.write_str("--db-url"),
            Source::PasswordFile(path) => write!(f, "--password-file {}", path.display()),
            Source::Env(name) => write!(f, "env {name}"),
            Source::ConfigFile(path) => write!(f, "{}", path.display()),
            Source::Compose { file, line, note } => {
                write!(f, "{}:{line}", file.display())?;
                match note {
                    Some(note) => write!(f, " ({note})"),
                    None => Ok(()),
                }
            }
            Source::HelmValues { file, key } => write!(f, "{}:{key}", file.display()),
            Source::KubeSecret {
                namespace,
                name,
                key,
            } => match namespace {
                Some(ns) => write!(f, "secret {ns}/{name}:{key}"),
                None => write!(f, "secret {name}:{key}"),
            },
            Source::Prompt => f.write_str("prompt"),
            Source::Default => f.write_str("default"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: Source) -> Self {
        Sourced { value, source }
    }
}

/// How much TLS to insist on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it (the drivers' default).
    Prefer,
    /// TLS or nothing, without checking the certificate.
    Require,
    /// TLS with a certificate signed by a trusted CA (--ssl-ca).
    VerifyCa,
    /// As verify-ca, and the certificate must name the host.
    VerifyFull,
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tls {
    pub mode: TlsMode,
    pub ca_file: Option<PathBuf>,
}

/// Fully resolved connection settings for the metadata database.
#[derive(Debug, Clone)]
pub struct DbSettings {
    pub engine: Sourced<Engine>,
    pub host: Sourced<String>,
    pub port: Sourced<u16>,
    pub user: Sourced<String>,
    pub password: Option<Sourced<Secret>>,
    pub database: Sourced<String>,
    /// Postgres schema holding the OpenMetadata tables (ignored on MySQL).
    pub schema: Sourced<String>,
    pub tls: Sourced<Tls>,
    /// Driver parameters as found (JDBC params of `DB_PARAMS` / the url), for display only.
    pub params: Vec<(String, String)>,
    pub connect_timeout: Duration,
}

impl DbSettings {
    /// `mysql://user@host:3306/db`, never with the password.
    pub fn display_url(&self) -> String {
        let host = if self.host.value.contains(':') {
            format!("[{}]", self.host.value)
        } else {
            self.host.value.clone()
        };
        format!(
            "{}://{}@{}:{}/{}",
            self.engine.value, self.user.value, host, self.port.value, self.database.value
        )
    }

    /// The same server, another database (for scratch and demo databases).
    pub fn with_database(&self, database: &str) -> DbSettings {
        DbSettings {
            database: Sourced::new(database.to_string(), Source::Flag("--database")),
            ..self.clone()
        }
    }

    pub fn set_password(&mut self, password: Secret, source: Source) {
        self.password = Some(Sourced::new(password, source));
    }
}

/// Settings as they are shown to people and written to JSON: no secret, each with its source.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    pub engine: Sourced<Engine>,
    pub host: Sourced<String>,
    pub port: Sourced<u16>,
    pub user: Sourced<String>,
    /// `"***"` when a password is set, with its source; never the password.
    pub password: Option<Sourced<&'static str>>,
    pub database: Sourced<String>,
    pub schema: Sourced<String>,
    pub tls: Sourced<Tls>,
    pub connect_timeout_secs: f64,
}

impl From<&DbSettings> for SettingsView {
    fn from(s: &DbSettings) -> Self {
        SettingsView {
            engine: s.engine.clone(),
            host: s.host.clone(),
            port: s.port.clone(),
            user: s.user.clone(),
            password: s
                .password
                .as_ref()
                .map(|p| Sourced::new("***", p.source.clone())),
            database: s.database.clone(),
            schema: s.schema.clone(),
            tls: s.tls.clone(),
            connect_timeout_secs: s.connect_timeout.as_secs_f64(),
        }
    }
}

/// Something worth telling the operator about the settings, though they work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsWarning {
    PasswordOnCommandLine {
        flag: &'static str,
    },
    PasswordFileReadableByOthers {
        path: PathBuf,
    },
    /// Something a deployment file (`--compose`, `--helm-values`) says that needs a hand.
    Deployment(String),
}

impl fmt::Display for SettingsWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsWarning::PasswordOnCommandLine { flag } => write!(
                f,
                "the password given with {flag} is visible to other users in `ps` and is kept in \
                 your shell history; prefer DB_USER_PASSWORD, --password-file or the prompt"
            ),
            SettingsWarning::PasswordFileReadableByOthers { path } => write!(
                f,
                "{} can be read by other users; run `chmod 600 {}`",
                path.display(),
                path.display()
            ),
            SettingsWarning::Deployment(text) => f.write_str(text),
        }
    }
}
