//! Option groups shared by several subcommands.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::values;
use crate::config::deployment::DeploymentInputs;
use crate::config::installation::{
    Configured, InstallInputs, InstallSettings, resolve_installation,
};
use crate::config::{DbInputs, Env, SettingsWarning, TlsMode};
use crate::db::Engine;

const HEADING: &str = "Database connection";

/// How to reach the metadata database. Flags are spelled like the official `metadata backup`
/// CLI; anything not given comes from the server's environment variables, then from
/// `--config openmetadata.yaml`, then from the server's defaults.
#[derive(Debug, Clone, Args, Default)]
pub struct ConnectionArgs {
    /// Database engine [env: DB_SCHEME, DB_DRIVER_CLASS] [default: mysql]
    #[arg(help_heading = HEADING, long, value_enum)]
    pub engine: Option<Engine>,

    /// Database host [env: DB_HOST] [default: localhost]
    #[arg(help_heading = HEADING, short = 'H', long)]
    pub host: Option<String>,

    /// Database port [env: DB_PORT] [default: 3306 for mysql, 5432 for postgres]
    #[arg(help_heading = HEADING, long, value_parser = values::port)]
    pub port: Option<u16>,

    /// Database user [env: DB_USER] [default: openmetadata_user]
    #[arg(help_heading = HEADING, short = 'u', long)]
    pub user: Option<String>,

    /// Database name [env: OM_DATABASE] [default: openmetadata_db]
    #[arg(help_heading = HEADING, short = 'd', long)]
    pub database: Option<String>,

    /// Postgres schema holding the OpenMetadata tables [default: public]
    #[arg(help_heading = HEADING, short = 's', long)]
    pub schema: Option<String>,

    /// Everything in one url: mysql://USER@HOST:PORT/DB or postgres://USER@HOST:PORT/DB
    /// (jdbc: urls work too); single flags override its parts
    #[arg(help_heading = HEADING, long, value_name = "URL")]
    pub db_url: Option<String>,

    /// Password (visible in `ps` and shell history: prefer DB_USER_PASSWORD or --password-file)
    #[arg(help_heading = HEADING, short = 'p', long, conflicts_with = "password_file")]
    pub password: Option<String>,

    /// Read the password from the first line of FILE [env alternative: DB_USER_PASSWORD]
    #[arg(help_heading = HEADING, long, value_name = "FILE", value_parser = values::password_file)]
    pub password_file: Option<PathBuf>,

    /// The OpenMetadata server's openmetadata.yaml, to read its `database:` settings
    #[arg(help_heading = HEADING, long, value_name = "FILE", value_parser = values::server_config)]
    pub config: Option<PathBuf>,

    /// TLS to the database [default: prefer, or what DB_PARAMS/the url says]
    #[arg(help_heading = HEADING, long, value_enum, value_name = "MODE")]
    pub ssl_mode: Option<TlsMode>,

    /// CA certificate (PEM) to verify the database server with
    #[arg(help_heading = HEADING, long, value_name = "FILE", value_parser = values::ca_file)]
    pub ssl_ca: Option<PathBuf>,

    /// Seconds to wait for the database to answer a connection attempt
    #[arg(help_heading = HEADING, long, value_name = "SECONDS", default_value = "5", value_parser = values::seconds)]
    pub connect_timeout: Duration,

    // Deployment files: the server's environment as the installation was started with it.
    /// The docker compose file the installation was started with: the OpenMetadata server
    /// service's environment, env_file and the .env beside it (service hosts become the ports
    /// they publish)
    #[arg(help_heading = HEADING, long, value_name = "FILE", conflicts_with = "helm_values")]
    pub compose: Option<PathBuf>,

    /// The OpenMetadata Helm chart's values (`helm get values RELEASE -o yaml`); passwords in
    /// Secrets are read with kubectl when it is on PATH
    #[arg(help_heading = HEADING, long, value_name = "FILE")]
    pub helm_values: Option<PathBuf>,

    /// Kubernetes namespace of the Helm release, for its Secrets [default: kubectl's current]
    #[arg(help_heading = HEADING, long, value_name = "NS", requires = "helm_values")]
    pub namespace: Option<String>,

    /// Helm release name, for advice [default: RELEASE]
    #[arg(help_heading = HEADING, long, value_name = "NAME", requires = "helm_values")]
    pub release: Option<String>,
}

impl ConnectionArgs {
    pub fn to_inputs(&self) -> DbInputs {
        DbInputs {
            engine: self.engine,
            host: self.host.clone(),
            port: self.port,
            user: self.user.clone(),
            database: self.database.clone(),
            schema: self.schema.clone(),
            db_url: self.db_url.clone(),
            password: self.password.clone(),
            password_file: self.password_file.clone(),
            config: self.config.clone(),
            ssl_mode: self.ssl_mode,
            ssl_ca: self.ssl_ca.clone(),
            connect_timeout: Some(self.connect_timeout),
            deployment: self.deployment(),
        }
    }

    pub fn deployment(&self) -> DeploymentInputs {
        DeploymentInputs {
            compose: self.compose.clone(),
            helm_values: self.helm_values.clone(),
            namespace: self.namespace.clone(),
            release: self.release.clone(),
        }
    }
}

const INSTALLATION_HEADING: &str = "Search engine and server";

/// The rest of the installation: the search engine and the running server. Without these, the
/// server's own variables (ELASTICSEARCH_*, SEARCH_TYPE, SERVER_HOST_API_URL) and `--config`
/// name them; with none of those they are not checked.
#[derive(Debug, Clone, Args, Default)]
pub struct InstallationArgs {
    /// Search engine url, e.g. https://es.internal:9200 [env: ELASTICSEARCH_SCHEME, ELASTICSEARCH_HOST, ELASTICSEARCH_PORT; user and password from ELASTICSEARCH_USER, ELASTICSEARCH_PASSWORD]
    #[arg(help_heading = INSTALLATION_HEADING, long, value_name = "URL", value_parser = values::search_url)]
    pub search_url: Option<String>,

    /// CA certificate (PEM) that signed the search engine's certificate [env: ELASTICSEARCH_TRUST_STORE_PATH, when PEM]
    #[arg(help_heading = INSTALLATION_HEADING, long, value_name = "FILE", value_parser = values::ca_file)]
    pub search_ca: Option<PathBuf>,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// The running OpenMetadata server (`check` compares its version; `restore` warns while it
/// still answers).
#[derive(Debug, Clone, Args, Default)]
pub struct ServerArgs {
    /// The running OpenMetadata server, e.g. http://openmetadata:8585 [env: SERVER_HOST_API_URL]
    #[arg(help_heading = INSTALLATION_HEADING, long, value_name = "URL", value_parser = values::server_url)]
    pub server_url: Option<String>,

    /// CA certificate (PEM) that signed the server's certificate
    #[arg(help_heading = INSTALLATION_HEADING, long, value_name = "FILE", value_parser = values::ca_file)]
    pub server_ca: Option<PathBuf>,

    /// Seconds to wait for each HTTP reply (search engine, server)
    #[arg(help_heading = INSTALLATION_HEADING, long, value_name = "SECONDS", default_value = "10", value_parser = values::seconds)]
    pub http_timeout: Duration,
}

impl InstallationArgs {
    /// With the `--config` the database settings read, which names these too.
    pub fn to_inputs(&self, config: Option<PathBuf>) -> InstallInputs {
        InstallInputs {
            search_url: self.search_url.clone(),
            search_ca: self.search_ca.clone(),
            server_url: self.server.server_url.clone(),
            server_ca: self.server.server_ca.clone(),
            // Zero only from `Default` (the flag refuses it): the settings' own default then.
            http_timeout: Some(self.server.http_timeout).filter(|t| !t.is_zero()),
            config,
            deployment: DeploymentInputs::default(),
        }
    }

    /// The search engine, server and secrets settings, with what to warn about. The flags'
    /// urls were checked when parsed and the config file when the database settings were read,
    /// so what is left to go wrong is reported by the checks that need the settings.
    /// The connection's `--config` and deployment files (`--compose`, `--helm-values`) are read
    /// for them too.
    pub fn settings(
        &self,
        connection: &ConnectionArgs,
        env: &Env,
    ) -> (InstallSettings, Vec<SettingsWarning>) {
        let mut inputs = self.to_inputs(connection.config.clone());
        inputs.deployment = connection.deployment();
        match resolve_installation(&inputs, env) {
            Ok(resolved) => resolved,
            Err(error) => (
                InstallSettings {
                    search: Configured::Bad(error.to_string()),
                    server: Configured::Bad(error.to_string()),
                    ..InstallSettings::default()
                },
                Vec::new(),
            ),
        }
    }
}

/// Output format of reporting subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// For people: one line per item, colours on a terminal (NO_COLOR respected)
    #[default]
    Text,
    /// For scripts: one JSON document on stdout
    Json,
}

const STORE_HEADING: &str = "Off-host store";

/// How to reach an off-host store (`s3://`, `az://`, `gs://`, a folder). Credentials are never
/// options: they come from each cloud's standard chain (environment, profile files, identity).
#[derive(Debug, Clone, Args, Default)]
pub struct StoreArgs {
    /// S3-compatible endpoint for s3:// URLs (MinIO, Ceph, Cloudflare R2) [env: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL]
    #[arg(help_heading = STORE_HEADING, long, value_name = "URL")]
    pub s3_endpoint: Option<String>,

    /// Seconds a store request may take (retries included) before it fails as unreachable
    #[arg(help_heading = STORE_HEADING, long, value_name = "SECONDS", default_value = "60", value_parser = values::seconds)]
    pub store_timeout: Duration,
}

impl StoreArgs {
    pub fn to_options(&self) -> crate::store::StoreOptions {
        let defaults = crate::store::StoreOptions::default();
        crate::store::StoreOptions {
            s3_endpoint: self.s3_endpoint.clone(),
            timeout: self.store_timeout,
            connect_timeout: defaults.connect_timeout.min(self.store_timeout),
            ..defaults
        }
    }
}

/// `--json`: the one spelling for machine-readable output, on every subcommand that reports.
/// Where the subcommand has a `--format`, it is that format's `json` and excludes `--format`.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct JsonFlag {
    /// One JSON document on stdout (the same as --format json)
    #[arg(long = "json", conflicts_with = "format")]
    pub json: bool,
}

impl JsonFlag {
    /// The format to write: `json` when `--json` was given, else the `--format` one.
    pub fn or<F>(self, format: F, json: F) -> F {
        if self.json { json } else { format }
    }
}
