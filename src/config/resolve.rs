//! Resolving the database settings: flags > the server's environment (over the deployment
//! files' environment) > the server's `openmetadata.yaml` > the server's defaults, each value
//! taken from the first layer that names it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::db_url::{self, UrlParts, parse_port};
use super::deployment::DeploymentInputs;
use super::layered::Layered;
use super::server_yaml::{self, ServerDbConfig};
use super::settings::{DbSettings, SettingsWarning, Source, Sourced, Tls, TlsMode};
use super::tls_ca;
use super::{ConfigError, Env};
use crate::engine::Engine;
use crate::secret::Secret;
use crate::small_file::{self, Accept};

/// What the command line said about the database (all optional).
#[derive(Debug, Clone, Default)]
pub struct DbInputs {
    pub engine: Option<Engine>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub schema: Option<String>,
    pub db_url: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub ssl_mode: Option<TlsMode>,
    pub ssl_ca: Option<PathBuf>,
    pub connect_timeout: Option<Duration>,
    /// `--compose` / `--helm-values`: the server's environment as the deployment gives it.
    pub deployment: DeploymentInputs,
}

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A password file holds one line; anything this large is the wrong file.
pub(super) const PASSWORD_FILE_MAX: usize = 64 << 10;

/// Resolved settings and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub settings: DbSettings,
    pub warnings: Vec<SettingsWarning>,
    /// The server image's tag in the deployment files: the installed version when the
    /// database cannot say.
    pub image_tag: Option<Sourced<String>>,
}

/// Resolves the database settings: flags > env > the deployment files' environment >
/// openmetadata.yaml > defaults.
pub fn resolve(inputs: &DbInputs, env: &Env) -> Result<Resolved, ConfigError> {
    let layered = Layered::load(&inputs.deployment, env)?;
    let mut resolved = resolve_in(inputs, &layered.env)?;
    layered.relabel_db(&mut resolved.settings);
    resolved.warnings.extend(layered.warnings);
    resolved.image_tag = layered.image_tag;
    Ok(resolved)
}

fn resolve_in(inputs: &DbInputs, env: &Env) -> Result<Resolved, ConfigError> {
    let mut warnings = Vec::new();
    let layers = Layers::read(inputs, env)?;
    let engine = layers.engine()?;
    let port = layers.port(engine.value)?;
    let password = layers.password(&mut warnings)?;
    let tls = layers.tls()?;
    check_ca_file(&tls)?;
    let params = [
        &layers.url.params,
        &layers.env_params,
        &layers.yaml_url.params,
    ]
    .into_iter()
    .find(|p| !p.is_empty())
    .cloned()
    .unwrap_or_default();

    Ok(Resolved {
        settings: DbSettings {
            engine,
            host: layers.host(),
            port,
            user: layers.user(),
            password,
            database: layers.database(),
            schema: layers.schema(),
            tls,
            params,
            connect_timeout: inputs.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        },
        warnings,
        image_tag: None,
    })
}

/// Everything a setting may come from, highest first: the flags, `--db-url`, the server's
/// environment (and its `DB_PARAMS`), its openmetadata.yaml (and the url in it). Each setting
/// takes the first layer that names it.
struct Layers<'a> {
    inputs: &'a DbInputs,
    env: &'a Env,
    url: UrlParts,
    yaml: Option<ServerDbConfig>,
    yaml_url: UrlParts,
    env_params: Vec<(String, String)>,
}

impl<'a> Layers<'a> {
    fn read(inputs: &'a DbInputs, env: &'a Env) -> Result<Self, ConfigError> {
        let url = inputs
            .db_url
            .as_deref()
            .map(|u| {
                db_url::parse(u).map_err(|error| ConfigError::BadUrl {
                    origin: "--db-url".into(),
                    error,
                })
            })
            .transpose()?
            .unwrap_or_default();
        let yaml = inputs
            .config
            .as_deref()
            .map(|path| server_yaml::load(path, env))
            .transpose()?;
        let yaml_url = yaml
            .as_ref()
            .and_then(|y| y.url.clone())
            .unwrap_or_default();
        let env_params = env
            .non_empty("DB_PARAMS")
            .map(parse_params)
            .unwrap_or_default();
        Ok(Layers {
            inputs,
            env,
            url,
            yaml,
            yaml_url,
            env_params,
        })
    }

    fn yaml_source(&self) -> Source {
        Source::ConfigFile(
            self.yaml
                .as_ref()
                .map(|y| y.path.clone())
                .unwrap_or_default(),
        )
    }

    fn engine(&self) -> Result<Sourced<Engine>, ConfigError> {
        Ok(first(vec![
            (self.inputs.engine, Source::Flag("--engine")),
            (self.url.engine, Source::DbUrl),
            (env_engine(self.env, "DB_SCHEME")?, Source::Env("DB_SCHEME")),
            (
                env_engine(self.env, "DB_DRIVER_CLASS")?,
                Source::Env("DB_DRIVER_CLASS"),
            ),
            (self.yaml_url.engine, self.yaml_source()),
            (
                self.yaml
                    .as_ref()
                    .and_then(|y| y.driver_class.as_deref())
                    .map(|d| {
                        engine_for_driver(
                            d,
                            &format!("database.driverClass in {}", self.yaml_source()),
                        )
                    })
                    .transpose()?,
                self.yaml_source(),
            ),
        ])
        .unwrap_or_else(|| Sourced::new(Engine::Mysql, Source::Default)))
    }

    fn host(&self) -> Sourced<String> {
        first(vec![
            (self.inputs.host.clone(), Source::Flag("--host")),
            (self.url.host.clone(), Source::DbUrl),
            (
                self.env.non_empty("DB_HOST").map(str::to_string),
                Source::Env("DB_HOST"),
            ),
            (self.yaml_url.host.clone(), self.yaml_source()),
        ])
        .unwrap_or_else(|| Sourced::new("localhost".into(), Source::Default))
    }

    fn port(&self, engine: Engine) -> Result<Sourced<u16>, ConfigError> {
        let env_port = self
            .env
            .non_empty("DB_PORT")
            .map(|p| {
                parse_port(p).map_err(|_| ConfigError::BadValue {
                    origin: "env DB_PORT".into(),
                    value: p.into(),
                    expected: "a port number (1-65535)",
                })
            })
            .transpose()?;
        Ok(first(vec![
            (self.inputs.port, Source::Flag("--port")),
            (self.url.port, Source::DbUrl),
            (env_port, Source::Env("DB_PORT")),
            (self.yaml_url.port, self.yaml_source()),
        ])
        .unwrap_or_else(|| Sourced::new(engine.default_port(), Source::Default)))
    }

    fn user(&self) -> Sourced<String> {
        first(vec![
            (self.inputs.user.clone(), Source::Flag("--user")),
            (self.url.user.clone(), Source::DbUrl),
            (
                self.env.non_empty("DB_USER").map(str::to_string),
                Source::Env("DB_USER"),
            ),
            (
                self.yaml.as_ref().and_then(|y| y.user.clone()),
                self.yaml_source(),
            ),
            (self.yaml_url.user.clone(), self.yaml_source()),
        ])
        .unwrap_or_else(|| Sourced::new("openmetadata_user".into(), Source::Default))
    }

    fn database(&self) -> Sourced<String> {
        first(vec![
            (self.inputs.database.clone(), Source::Flag("--database")),
            (self.url.database.clone(), Source::DbUrl),
            (
                self.env.non_empty("OM_DATABASE").map(str::to_string),
                Source::Env("OM_DATABASE"),
            ),
            (self.yaml_url.database.clone(), self.yaml_source()),
        ])
        .unwrap_or_else(|| Sourced::new("openmetadata_db".into(), Source::Default))
    }

    fn schema(&self) -> Sourced<String> {
        first(vec![
            (self.inputs.schema.clone(), Source::Flag("--schema")),
            (param(&self.url.params, "currentSchema"), Source::DbUrl),
            (
                param(&self.env_params, "currentSchema"),
                Source::Env("DB_PARAMS"),
            ),
            (
                param(&self.yaml_url.params, "currentSchema"),
                self.yaml_source(),
            ),
        ])
        .unwrap_or_else(|| Sourced::new("public".into(), Source::Default))
    }

    fn password(
        &self,
        warnings: &mut Vec<SettingsWarning>,
    ) -> Result<Option<Sourced<Secret>>, ConfigError> {
        let password_file = self
            .inputs
            .password_file
            .as_deref()
            .map(|path| read_password_file(path, warnings))
            .transpose()?;
        if self.inputs.password.is_some() {
            warnings.push(SettingsWarning::PasswordOnCommandLine { flag: "--password" });
        } else if self.url.password.is_some() && password_file.is_none() {
            warnings.push(SettingsWarning::PasswordOnCommandLine { flag: "--db-url" });
        }
        Ok(first(vec![
            (self.inputs.password.clone(), Source::Flag("--password")),
            (
                password_file,
                Source::PasswordFile(self.inputs.password_file.clone().unwrap_or_default()),
            ),
            (self.url.password.clone(), Source::DbUrl),
            (
                self.env.get("DB_USER_PASSWORD").map(str::to_string),
                Source::Env("DB_USER_PASSWORD"),
            ),
            (
                self.yaml.as_ref().and_then(|y| y.password.clone()),
                self.yaml_source(),
            ),
            (self.yaml_url.password.clone(), self.yaml_source()),
        ])
        .map(|p| Sourced::new(Secret::new(p.value), p.source)))
    }

    fn tls(&self) -> Result<Sourced<Tls>, ConfigError> {
        let flag_tls = match (self.inputs.ssl_mode, &self.inputs.ssl_ca) {
            (None, None) => None,
            (mode, ca) => Some(Tls {
                mode: mode.unwrap_or(if ca.is_some() {
                    TlsMode::VerifyCa
                } else {
                    TlsMode::Prefer
                }),
                ca_file: ca.clone(),
            }),
        };
        Ok(first(vec![
            (flag_tls, Source::Flag("--ssl-mode")),
            (
                tls_from_params(&self.url.params, "--db-url")?,
                Source::DbUrl,
            ),
            (
                tls_from_params(&self.env_params, "env DB_PARAMS")?,
                Source::Env("DB_PARAMS"),
            ),
            (
                tls_from_params(&self.yaml_url.params, "database.url")?,
                self.yaml_source(),
            ),
        ])
        .unwrap_or_else(|| {
            Sourced::new(
                Tls {
                    mode: TlsMode::Prefer,
                    ca_file: None,
                },
                Source::Default,
            )
        }))
    }
}

fn first<T>(candidates: Vec<(Option<T>, Source)>) -> Option<Sourced<T>> {
    candidates
        .into_iter()
        .find_map(|(value, source)| value.map(|v| Sourced::new(v, source)))
}

/// JDBC parameter names are case-sensitive (`sslmode` is Postgres, `sslMode` is MySQL).
fn param(params: &[(String, String)], key: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// `a=1&b=2` (the form of `DB_PARAMS`).
fn parse_params(text: &str) -> Vec<(String, String)> {
    text.trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (pair.to_string(), String::new()),
        })
        .collect()
}

fn env_engine(env: &Env, name: &'static str) -> Result<Option<Engine>, ConfigError> {
    let Some(value) = env.non_empty(name) else {
        return Ok(None);
    };
    let origin = format!("env {name}");
    match name {
        "DB_DRIVER_CLASS" => engine_for_driver(value, &origin).map(Some),
        _ => db_url::engine_for_scheme(value.trim())
            .map(Some)
            .ok_or_else(|| ConfigError::BadValue {
                origin,
                value: value.into(),
                expected: "mysql or postgresql",
            }),
    }
}

fn engine_for_driver(driver: &str, origin: &str) -> Result<Engine, ConfigError> {
    let lower = driver.to_ascii_lowercase();
    if lower.contains("mysql") || lower.contains("mariadb") {
        Ok(Engine::Mysql)
    } else if lower.contains("postgres") {
        Ok(Engine::Postgres)
    } else {
        Err(ConfigError::BadValue {
            origin: origin.to_string(),
            value: driver.to_string(),
            expected: "com.mysql.cj.jdbc.Driver or org.postgresql.Driver",
        })
    }
}

/// TLS from JDBC-style parameters: Postgres `sslmode`/`ssl`/`sslrootcert`, MySQL Connector/J
/// `sslMode`/`useSSL`/`requireSSL`/`verifyServerCertificate`. `None` when they say nothing.
fn tls_from_params(params: &[(String, String)], origin: &str) -> Result<Option<Tls>, ConfigError> {
    let get = |key: &str| param(params, key).map(|v| v.to_ascii_lowercase());
    let is_true = |key: &str| get(key).is_some_and(|v| v == "true" || v == "1");
    let bad = |key: &str, value: String, expected: &'static str| ConfigError::BadValue {
        origin: format!("{key} in {origin}"),
        value,
        expected,
    };
    let mode = if let Some(mode) = param(params, "sslmode") {
        Some(match mode.to_ascii_lowercase().as_str() {
            "disable" => TlsMode::Disable,
            "allow" | "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" => TlsMode::VerifyFull,
            _ => {
                return Err(bad(
                    "sslmode",
                    mode,
                    "disable, allow, prefer, require, verify-ca or verify-full",
                ));
            }
        })
    } else if let Some(mode) = get("sslMode") {
        Some(match mode.as_str() {
            "disabled" => TlsMode::Disable,
            "preferred" => TlsMode::Prefer,
            "required" => TlsMode::Require,
            "verify_ca" => TlsMode::VerifyCa,
            "verify_identity" => TlsMode::VerifyFull,
            _ => {
                return Err(bad(
                    "sslMode",
                    mode,
                    "DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY",
                ));
            }
        })
    } else if let Some(use_ssl) = get("useSSL") {
        // Connector/J: useSSL=false disables; true prefers, unless required or verified.
        Some(if use_ssl == "false" || use_ssl == "0" {
            TlsMode::Disable
        } else if is_true("verifyServerCertificate") {
            TlsMode::VerifyCa
        } else if is_true("requireSSL") {
            TlsMode::Require
        } else {
            TlsMode::Prefer
        })
    } else {
        // pgJDBC: ssl=true means verify-full unless sslmode says otherwise.
        get("ssl").map(|ssl| {
            if ssl == "true" {
                TlsMode::VerifyFull
            } else {
                TlsMode::Disable
            }
        })
    };
    let ca_file = param(params, "sslrootcert").map(PathBuf::from);
    Ok(match (mode, ca_file) {
        (None, None) => None,
        (mode, ca_file) => Some(Tls {
            mode: mode.unwrap_or(TlsMode::VerifyCa),
            ca_file,
        }),
    })
}

/// The CA file of a verifying TLS mode must hold a certificate the driver can use; other
/// modes never read it (a server-side path in openmetadata.yaml need not exist here then).
fn check_ca_file(tls: &Sourced<Tls>) -> Result<(), ConfigError> {
    let Some(path) = &tls.value.ca_file else {
        return Ok(());
    };
    if !matches!(tls.value.mode, TlsMode::VerifyCa | TlsMode::VerifyFull) {
        return Ok(());
    }
    tls_ca::check(path).map_err(|error| ConfigError::CaFile {
        path: path.clone(),
        origin: match &tls.source {
            Source::Flag(_) => "given with --ssl-ca".to_string(),
            Source::DbUrl => "sslrootcert in --db-url".to_string(),
            Source::Env(name) => format!("sslrootcert in {name}"),
            other => format!("sslrootcert in {other}"),
        },
        error,
    })
}

fn read_password_file(
    path: &Path,
    warnings: &mut Vec<SettingsWarning>,
) -> Result<String, ConfigError> {
    let unreadable = |reason: String| ConfigError::PasswordFile {
        path: path.to_path_buf(),
        reason,
    };
    // A pipe is fine (`--password-file <(pass show db)`); a device or a huge file is not.
    let bytes = small_file::read(path, PASSWORD_FILE_MAX, Accept::RegularOrPipe)
        .map_err(|error| unreadable(error.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| unreadable("not UTF-8 text".into()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            warnings.push(SettingsWarning::PasswordFileReadableByOthers {
                path: path.to_path_buf(),
            });
        }
    }
    let first_line = text.lines().next().unwrap_or_default();
    Ok(first_line.to_string())
}
