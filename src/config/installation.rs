//! Where the settings of the rest of the installation come from: the search engine, the
//! running server's address and the secrets key. Same order as the database settings: flags >
//! the server's environment variables > `openmetadata.yaml` > the server's defaults, each value
//! with its [`Source`].
//!
//! The search engine and the server are only checked when something names them (a flag, one of
//! the server's variables, or a `--config` whose section exists): om-upgrade usually runs on a
//! jump host, where the server's `localhost` defaults would name the wrong machine.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::deployment::DeploymentInputs;
use super::layered::Layered;
use super::server_sections::{self, SearchSection, ServerSections};
use super::{ConfigError, Env, Secret, SettingsWarning, Source, Sourced};
use crate::http::Timeouts;

/// Which engine the server is configured for (`SEARCH_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    Elasticsearch,
    OpenSearch,
}

impl Distribution {
    /// The catalogue's requirement key.
    pub fn key(self) -> &'static str {
        match self {
            Distribution::Elasticsearch => "elasticsearch",
            Distribution::OpenSearch => "opensearch",
        }
    }

    pub fn parse(text: &str) -> Option<Distribution> {
        match text.trim().trim_matches('"').to_ascii_lowercase().as_str() {
            "elasticsearch" => Some(Distribution::Elasticsearch),
            "opensearch" => Some(Distribution::OpenSearch),
            _ => None,
        }
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Distribution::Elasticsearch => "Elasticsearch",
            Distribution::OpenSearch => "OpenSearch",
        })
    }
}

/// Something the checks look at: set up, not named anywhere, or named with a bad value.
#[derive(Debug, Clone)]
pub enum Configured<T> {
    Yes(T),
    /// Nothing names it; the check says how to name it.
    No,
    /// A value from the environment or openmetadata.yaml that cannot be used, in words.
    Bad(String),
}

/// How to reach the search engine.
#[derive(Debug, Clone)]
pub struct SearchSettings {
    /// Scheme, host, port (and a path prefix); never with credentials.
    pub url: Sourced<Url>,
    pub distribution: Sourced<Distribution>,
    pub user: Option<Sourced<String>>,
    pub password: Option<Sourced<Secret>>,
    pub ca_file: Option<Sourced<PathBuf>>,
    /// A truststore the server names that is not PEM (a Java keystore): not used, reported.
    pub unusable_truststore: Option<Sourced<PathBuf>>,
    pub timeouts: Timeouts,
}

/// How to reach the running OpenMetadata server.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The server's root (`http://om:8585`), without `/api`.
    pub url: Sourced<Url>,
    pub ca_file: Option<PathBuf>,
    pub timeouts: Timeouts,
}

/// What the server is told about secrets.
#[derive(Debug, Clone)]
pub struct SecretsSettings {
    /// `db` (secrets in the database, Fernet-encrypted; `noop` before 1.3) or an external store.
    pub manager: Sourced<String>,
    /// `FERNET_KEY`: one key, or several separated by commas (the first encrypts).
    pub fernet_key: Option<Sourced<Secret>>,
}

#[derive(Debug, Clone)]
pub struct InstallSettings {
    pub search: Configured<SearchSettings>,
    pub server: Configured<ServerSettings>,
    pub secrets: SecretsSettings,
    /// The server image's tag in the deployment files (`--compose`, `--helm-values`): the
    /// installed version when the database cannot say.
    pub image_tag: Option<Sourced<String>>,
}

impl Default for InstallSettings {
    fn default() -> Self {
        InstallSettings {
            search: Configured::No,
            server: Configured::No,
            secrets: SecretsSettings {
                manager: Sourced::new("db".into(), Source::Default),
                fernet_key: None,
            },
            image_tag: None,
        }
    }
}

/// What the command line said (all optional).
#[derive(Debug, Clone, Default)]
pub struct InstallInputs {
    pub search_url: Option<String>,
    pub search_ca: Option<PathBuf>,
    pub server_url: Option<String>,
    pub server_ca: Option<PathBuf>,
    /// The longest one HTTP reply may take.
    pub http_timeout: Option<Duration>,
    /// The server's openmetadata.yaml (the same `--config` as the database settings).
    pub config: Option<PathBuf>,
    /// The same deployment files as the database settings.
    pub deployment: DeploymentInputs,
}

pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_SEARCH_CONNECT: Duration = Duration::from_secs(5);

/// Resolves the installation settings. A malformed url given as a flag is an error (a usage
/// error); a bad value from the environment or the file makes only the check that needs it fail.
/// The deployment files' own warnings are the database settings' to report.
pub fn resolve_installation(
    inputs: &InstallInputs,
    env: &Env,
) -> Result<(InstallSettings, Vec<SettingsWarning>), ConfigError> {
    let layered = Layered::load(&inputs.deployment, env)?;
    let (mut settings, warnings) = resolve_installation_in(inputs, &layered.env)?;
    relabel_from_deployment(&layered, &mut settings);
    settings.image_tag = layered.image_tag;
    Ok((settings, warnings))
}

fn resolve_installation_in(
    inputs: &InstallInputs,
    env: &Env,
) -> Result<(InstallSettings, Vec<SettingsWarning>), ConfigError> {
    let mut warnings = Vec::new();
    let file = inputs
        .config
        .as_deref()
        .map(|path| server_sections::load(path, env))
        .transpose()?;
    let read_timeout = inputs.http_timeout.unwrap_or(DEFAULT_HTTP_TIMEOUT);
    let search = resolve_search(inputs, env, file.as_ref(), read_timeout, &mut warnings)?;
    let server = resolve_server(inputs, env, file.as_ref(), read_timeout)?;
    let secrets = resolve_secrets(env, file.as_ref());
    Ok((
        InstallSettings {
            search,
            server,
            secrets,
            image_tag: None,
        },
        warnings,
    ))
}

fn file_source(file: &ServerSections) -> Source {
    Source::ConfigFile(file.path.clone())
}

/// `--search-url` / `--server-url`: an http(s) url with a host.
pub fn check_flag_url(flag: &'static str, text: &str) -> Result<Url, ConfigError> {
    let bad = || ConfigError::BadValue {
        origin: flag.to_string(),
        value: text.to_string(),
        expected: "an http:// or https:// url with a host, like https://es.internal:9200",
    };
    let url = Url::parse(text.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(url)
}

fn strip_credentials(url: &Url) -> Url {
    let mut plain = url.clone();
    let _ = plain.set_username("");
    let _ = plain.set_password(None);
    plain
}

/// Where the search settings are looked up: the server's environment, then its file's
/// `elasticsearch` section.
struct SearchLookup<'a> {
    env: &'a Env,
    section: Option<(SearchSection, Source)>,
}

impl SearchLookup<'_> {
    fn in_file(&self, pick: fn(&SearchSection) -> Option<String>) -> Option<Sourced<String>> {
        self.section
            .as_ref()
            .and_then(|(s, source)| pick(s).map(|v| Sourced::new(v, source.clone())))
    }

    fn in_env(&self, name: &'static str) -> Option<Sourced<String>> {
        self.env
            .non_empty(name)
            .map(|v| Sourced::new(v.trim().to_string(), Source::Env(name)))
    }

    /// The environment variable, else the file's key.
    fn either(
        &self,
        name: &'static str,
        pick: fn(&SearchSection) -> Option<String>,
    ) -> Option<Sourced<String>> {
        self.in_env(name).or_else(|| self.in_file(pick))
    }
}

fn resolve_search(
    inputs: &InstallInputs,
    env: &Env,
    file: Option<&ServerSections>,
    read_timeout: Duration,
    warnings: &mut Vec<SettingsWarning>,
) -> Result<Configured<SearchSettings>, ConfigError> {
    let look = SearchLookup {
        env,
        section: file.and_then(|f| f.search.clone().map(|s| (s, file_source(f)))),
    };
    let (url, mut user, mut password) = match &inputs.search_url {
        Some(text) => flag_search_url(text, warnings)?,
        None => match search_url_from_parts(&look) {
            Configured::Yes(url) => (url, None, None),
            Configured::No => return Ok(Configured::No),
            Configured::Bad(why) => return Ok(Configured::Bad(why)),
        },
    };
    let distribution = match look.either("SEARCH_TYPE", |s| s.search_type.clone()) {
        None => Sourced::new(Distribution::Elasticsearch, Source::Default),
        Some(text) => match Distribution::parse(&text.value) {
            Some(d) => Sourced::new(d, text.source),
            None => {
                return Ok(Configured::Bad(format!(
                    "the search type from {} is '{}', expected elasticsearch or opensearch",
                    text.source, text.value
                )));
            }
        },
    };
    user = user.or_else(|| look.either("ELASTICSEARCH_USER", |s| s.username.clone()));
    password = password
        .or_else(|| {
            env.get("ELASTICSEARCH_PASSWORD")
                .filter(|p| !p.is_empty())
                .map(|p| Sourced::new(Secret::new(p), Source::Env("ELASTICSEARCH_PASSWORD")))
        })
        .or_else(|| {
            look.in_file(|s| s.password.clone())
                .map(|p| Sourced::new(Secret::new(p.value), p.source))
        });
    let (ca_file, unusable_truststore) = search_ca(inputs, &look);
    let connect = look
        .either("ELASTICSEARCH_CONNECTION_TIMEOUT_SECS", |s| {
            s.connection_timeout_secs.clone()
        })
        .and_then(|s| s.value.parse::<u64>().ok())
        .filter(|secs| *secs > 0)
        .map_or(DEFAULT_SEARCH_CONNECT, Duration::from_secs);
    Ok(Configured::Yes(SearchSettings {
        url,
        distribution,
        user,
        password,
        ca_file,
        unusable_truststore,
        timeouts: Timeouts {
            connect,
            read: read_timeout,
        },
    }))
}

/// The url, user and password of `--search-url` (credentials in a flag are warned about).
#[allow(clippy::type_complexity)]
fn flag_search_url(
    text: &str,
    warnings: &mut Vec<SettingsWarning>,
) -> Result<
    (
        Sourced<Url>,
        Option<Sourced<String>>,
        Option<Sourced<Secret>>,
    ),
    ConfigError,
> {
    let url = check_flag_url("--search-url", text)?;
    let mut user = None;
    let mut password = None;
    if !url.username().is_empty() {
        user = Some(Sourced::new(
            url.username().to_string(),
            Source::Flag("--search-url"),
        ));
    }
    if let Some(pw) = url.password() {
        warnings.push(SettingsWarning::PasswordOnCommandLine {
            flag: "--search-url",
        });
        password = Some(Sourced::new(Secret::new(pw), Source::Flag("--search-url")));
    }
    let url = Sourced::new(strip_credentials(&url), Source::Flag("--search-url"));
    Ok((url, user, password))
}

/// The url the server would join from scheme, host and port (`scheme://host:port`); `No` when
/// nothing names the search engine.
fn search_url_from_parts(look: &SearchLookup<'_>) -> Configured<Sourced<Url>> {
    let host = look.either("ELASTICSEARCH_HOST", |s| s.host.clone());
    let port = look.either("ELASTICSEARCH_PORT", |s| s.port.clone());
    let scheme = look.either("ELASTICSEARCH_SCHEME", |s| s.scheme.clone());
    let named = host.is_some()
        || port.is_some()
        || scheme.is_some()
        || look.env.non_empty("SEARCH_TYPE").is_some()
        || look.section.is_some();
    if !named {
        return Configured::No;
    }
    let scheme_value = scheme.as_ref().map_or("http", |s| s.value.as_str());
    if !matches!(scheme_value, "http" | "https") {
        let origin = scheme.as_ref().map(|s| s.source.to_string());
        return Configured::Bad(format!(
            "the search scheme from {} is '{scheme_value}', expected http or https",
            origin.unwrap_or_default()
        ));
    }
    let port_value = match &port {
        None => 9200,
        Some(p) => match p.value.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Configured::Bad(format!(
                    "the search port from {} is '{}', expected a port number (1-65535)",
                    p.source, p.value
                ));
            }
        },
    };
    let host_value = host.as_ref().map_or("localhost", |h| h.value.as_str());
    // The server joins scheme://host:port; a host given with its scheme is a common slip.
    let host_value = host_value
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let bracketed = if host_value.contains(':') && !host_value.starts_with('[') {
        format!("[{host_value}]")
    } else {
        host_value.to_string()
    };
    let text = format!("{scheme_value}://{bracketed}:{port_value}");
    let Ok(url) = Url::parse(&text) else {
        return Configured::Bad(format!(
            "the search engine settings make '{text}', which is not a url"
        ));
    };
    // The host decides where the url came from; the others are details.
    let source = host
        .map(|h| h.source)
        .or(port.map(|p| p.source))
        .or(scheme.map(|s| s.source))
        .unwrap_or(Source::Default);
    Configured::Yes(Sourced::new(url, source))
}

/// `--search-ca`, else the server's truststore when it is PEM; a truststore that is not (a
/// Java keystore) is returned second, to be named in the check.
fn search_ca(
    inputs: &InstallInputs,
    look: &SearchLookup<'_>,
) -> (Option<Sourced<PathBuf>>, Option<Sourced<PathBuf>>) {
    if let Some(path) = &inputs.search_ca {
        return (
            Some(Sourced::new(path.clone(), Source::Flag("--search-ca"))),
            None,
        );
    }
    let truststore = look
        .either("ELASTICSEARCH_TRUST_STORE_PATH", |s| {
            s.truststore_path.clone()
        })
        .map(|p| Sourced::new(PathBuf::from(p.value), p.source));
    match truststore {
        Some(store) if is_pem(&store.value) => (Some(store), None),
        Some(store) => (None, Some(store)),
        None => (None, None),
    }
}

/// Whether a file starts like PEM (a Java keystore is binary). Read as a small regular file: a
/// truststore path naming a FIFO would wait forever, one naming /dev/zero would fill memory.
fn is_pem(path: &Path) -> bool {
    crate::small_file::read(
        path,
        MAX_TRUSTSTORE_BYTES,
        crate::small_file::Accept::Regular,
    )
    .map(|bytes| String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).contains("-----BEGIN"))
    .unwrap_or(false)
}

/// The largest truststore read: far above a CA bundle (a few hundred kilobytes).
const MAX_TRUSTSTORE_BYTES: usize = 16 << 20;

/// `http://om:8585/api` (the form of SERVER_HOST_API_URL) → `http://om:8585`.
fn server_root(mut url: Url) -> Url {
    let path = url.path().trim_end_matches('/').to_string();
    let root = path.strip_suffix("/api").unwrap_or(&path).to_string();
    url.set_path(&root);
    url.set_query(None);
    url
}

fn resolve_server(
    inputs: &InstallInputs,
    env: &Env,
    file: Option<&ServerSections>,
    read_timeout: Duration,
) -> Result<Configured<ServerSettings>, ConfigError> {
    let timeouts = Timeouts {
        connect: DEFAULT_SEARCH_CONNECT,
        read: read_timeout,
    };
    let ca_file = inputs.server_ca.clone();
    if let Some(text) = &inputs.server_url {
        let url = check_flag_url("--server-url", text)?;
        return Ok(Configured::Yes(ServerSettings {
            url: Sourced::new(
                server_root(strip_credentials(&url)),
                Source::Flag("--server-url"),
            ),
            ca_file,
            timeouts,
        }));
    }
    let named = env
        .non_empty("SERVER_HOST_API_URL")
        .map(|v| Sourced::new(v.trim().to_string(), Source::Env("SERVER_HOST_API_URL")))
        .or_else(|| {
            file.and_then(|f| {
                f.server_api
                    .clone()
                    .map(|v| Sourced::new(v, file_source(f)))
            })
        });
    let Some(named) = named else {
        return Ok(Configured::No);
    };
    match Url::parse(&named.value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(Configured::Yes(ServerSettings {
                url: Sourced::new(server_root(strip_credentials(&url)), named.source),
                ca_file,
                timeouts,
            }))
        }
        _ => Ok(Configured::Bad(format!(
            "the server address from {} is '{}', which is not an http(s) url",
            named.source, named.value
        ))),
    }
}

/// The secrets settings alone (`backup` and `restore` need the key, not the search engine):
/// `SECRET_MANAGER` / `FERNET_KEY`, else the `--config` file's.
pub fn resolve_secrets_only(
    env: &Env,
    config: Option<&Path>,
) -> Result<SecretsSettings, ConfigError> {
    let file = config
        .map(|path| server_sections::load(path, env))
        .transpose()?;
    Ok(resolve_secrets(env, file.as_ref()))
}

fn resolve_secrets(env: &Env, file: Option<&ServerSections>) -> SecretsSettings {
    let manager = env
        .non_empty("SECRET_MANAGER")
        .map(|v| Sourced::new(v.trim().to_string(), Source::Env("SECRET_MANAGER")))
        .or_else(|| {
            file.and_then(|f| {
                f.secrets_manager
                    .clone()
                    .map(|v| Sourced::new(v, file_source(f)))
            })
        })
        .unwrap_or_else(|| Sourced::new("db".into(), Source::Default));
    let fernet_key = env
        .non_empty("FERNET_KEY")
        .map(|v| Sourced::new(Secret::new(v.trim()), Source::Env("FERNET_KEY")))
        .or_else(|| {
            file.and_then(|f| {
                f.fernet_key
                    .clone()
                    .map(|v| Sourced::new(Secret::new(v), file_source(f)))
            })
        });
    SecretsSettings {
        manager,
        fernet_key,
    }
}

/// Values the deployment files gave are labelled with where they were written there.
fn relabel_from_deployment(layered: &Layered, s: &mut InstallSettings) {
    if let Configured::Yes(search) = &mut s.search {
        layered.relabel(&mut search.url.source);
        layered.relabel(&mut search.distribution.source);
        for source in [
            search.user.as_mut().map(|u| &mut u.source),
            search.password.as_mut().map(|p| &mut p.source),
            search.ca_file.as_mut().map(|c| &mut c.source),
            search.unusable_truststore.as_mut().map(|t| &mut t.source),
        ]
        .into_iter()
        .flatten()
        {
            layered.relabel(source);
        }
    }
    if let Configured::Yes(server) = &mut s.server {
        layered.relabel(&mut server.url.source);
    }
    layered.relabel(&mut s.secrets.manager.source);
    if let Some(key) = &mut s.secrets.fernet_key {
        layered.relabel(&mut key.source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    fn search(inputs: InstallInputs, pairs: &[(&str, &str)]) -> Configured<SearchSettings> {
        resolve_installation(&inputs, &env(pairs)).unwrap().0.search
    }

    #[test]
    fn nothing_named_means_no_search_engine_and_no_server() {
        let (settings, warnings) =
            resolve_installation(&InstallInputs::default(), &env(&[])).unwrap();
        assert!(matches!(settings.search, Configured::No));
        assert!(matches!(settings.server, Configured::No));
        assert!(settings.secrets.fernet_key.is_none());
        assert_eq!(settings.secrets.manager.value, "db");
        assert!(warnings.is_empty());
    }

    #[test]
    fn search_engine_from_the_servers_variables_with_sources() {
        let Configured::Yes(s) = search(
            InstallInputs::default(),
            &[
                ("ELASTICSEARCH_HOST", "es.internal"),
                ("ELASTICSEARCH_SCHEME", "https"),
                ("ELASTICSEARCH_USER", "elastic"),
                ("ELASTICSEARCH_PASSWORD", "pw"),
                ("SEARCH_TYPE", "OpenSearch"),
            ],
        ) else {
            panic!("configured")
        };
        assert_eq!(s.url.value.as_str(), "https://es.internal:9200/");
        assert_eq!(s.url.source, Source::Env("ELASTICSEARCH_HOST"));
        assert_eq!(s.distribution.value, Distribution::OpenSearch);
        assert_eq!(s.user.unwrap().source, Source::Env("ELASTICSEARCH_USER"));
        assert_eq!(s.password.unwrap().value.expose(), "pw");
    }

    #[test]
    fn search_url_flag_wins_and_a_password_in_it_warns() {
        let (settings, warnings) = resolve_installation(
            &InstallInputs {
                search_url: Some("https://admin:pw@os.internal:9201".into()),
                ..Default::default()
            },
            &env(&[("ELASTICSEARCH_HOST", "elsewhere")]),
        )
        .unwrap();
        let Configured::Yes(s) = settings.search else {
            panic!("configured")
        };
        assert_eq!(s.url.value.as_str(), "https://os.internal:9201/");
        assert_eq!(s.user.unwrap().value, "admin");
        assert_eq!(
            warnings,
            vec![SettingsWarning::PasswordOnCommandLine {
                flag: "--search-url"
            }]
        );
    }

    #[test]
    fn malformed_flag_urls_are_usage_errors_and_bad_env_values_are_not() {
        for url in ["es.internal:9200", "ftp://es", "http://"] {
            let error = resolve_installation(
                &InstallInputs {
                    search_url: Some(url.into()),
                    ..Default::default()
                },
                &env(&[]),
            )
            .unwrap_err();
            assert!(error.to_string().contains("--search-url"), "{error}");
        }
        assert!(
            resolve_installation(
                &InstallInputs {
                    server_url: Some("localhost:8585".into()),
                    ..Default::default()
                },
                &env(&[]),
            )
            .is_err()
        );
        let Configured::Bad(why) =
            search(InstallInputs::default(), &[("ELASTICSEARCH_PORT", "nine")])
        else {
            panic!("bad")
        };
        assert!(
            why.contains("env ELASTICSEARCH_PORT") && why.contains("nine"),
            "{why}"
        );
    }

    #[test]
    fn the_servers_yaml_names_search_server_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openmetadata.yaml");
        std::fs::write(
            &path,
            "database:\n  url: jdbc:mysql://db:3306/om\nelasticsearch:\n  searchType: ${SEARCH_TYPE:- \"elasticsearch\"}\n  host: ${ELASTICSEARCH_HOST:-localhost}\n  port: ${ELASTICSEARCH_PORT:-9200}\n  scheme: ${ELASTICSEARCH_SCHEME:-http}\n  username: ${ELASTICSEARCH_USER:-\"\"}\n  password: ${ELASTICSEARCH_PASSWORD:-\"\"}\n  truststorePath: ${ELASTICSEARCH_TRUST_STORE_PATH:-\"\"}\n  connectionTimeoutSecs: ${ELASTICSEARCH_CONNECTION_TIMEOUT_SECS:-3}\npipelineServiceClientConfiguration:\n  metadataApiEndpoint: ${SERVER_HOST_API_URL:-http://localhost:8585/api}\nfernetConfiguration:\n  fernetKey: ${FERNET_KEY:-jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA=}\nsecretsManagerConfiguration:\n  secretsManager: ${SECRET_MANAGER:-db}\n",
        )
        .unwrap();
        let (settings, _) = resolve_installation(
            &InstallInputs {
                config: Some(path.clone()),
                ..Default::default()
            },
            &env(&[("SECRET_MANAGER", "aws")]),
        )
        .unwrap();
        let Configured::Yes(search) = settings.search else {
            panic!("search configured")
        };
        assert_eq!(search.url.value.as_str(), "http://localhost:9200/");
        assert_eq!(search.url.source, Source::ConfigFile(path.clone()));
        assert!(search.user.is_none() && search.password.is_none());
        assert_eq!(search.timeouts.connect, Duration::from_secs(3));
        let Configured::Yes(server) = settings.server else {
            panic!("server configured")
        };
        assert_eq!(server.url.value.as_str(), "http://localhost:8585/");
        let key = settings.secrets.fernet_key.unwrap();
        assert_eq!(key.value.expose(), crate::secrets::fernet::DEFAULT_KEY);
        assert_eq!(key.source, Source::ConfigFile(path));
        assert_eq!(
            settings.secrets.manager.source,
            Source::Env("SECRET_MANAGER")
        );
    }

    #[test]
    fn a_java_truststore_is_reported_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let jks = dir.path().join("truststore.jks");
        std::fs::write(&jks, [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).unwrap();
        let Configured::Yes(s) = search(
            InstallInputs::default(),
            &[
                ("ELASTICSEARCH_HOST", "es.internal"),
                ("ELASTICSEARCH_TRUST_STORE_PATH", jks.to_str().unwrap()),
            ],
        ) else {
            panic!("configured")
        };
        assert!(s.ca_file.is_none());
        assert_eq!(s.unusable_truststore.unwrap().value, jks);
    }
}
