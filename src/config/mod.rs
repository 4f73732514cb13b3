//! Where the connection settings come from: flags > the OpenMetadata server's environment
//! variables > the server's `openmetadata.yaml` > the server's defaults. Every resolved value
//! remembers its [`Source`], so screens and reports can say "host from DB_HOST".

pub mod command_line;
pub mod compose;
pub mod db_url;
pub mod deployment;
mod env;
mod error;
pub mod helm;
pub mod installation;
mod kubectl;
mod layered;
pub mod naming;
pub mod paths;
mod resolve;
mod server_sections;
mod server_yaml;
mod settings;
pub mod substitute;
pub mod tls_ca;

pub use crate::secret::Secret;
pub use db_url::{BadPort, parse_port};
pub use env::Env;
pub use error::ConfigError;
pub use resolve::{DEFAULT_CONNECT_TIMEOUT, DbInputs, Resolved, resolve};
pub use server_yaml::ServerDbConfig;
pub use settings::{DbSettings, SettingsView, SettingsWarning, Source, Sourced, Tls, TlsMode};

#[cfg(test)]
mod tests;
