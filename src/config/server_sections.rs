//! The parts of the OpenMetadata server's `openmetadata.yaml` beyond `database:` that the
//! installation checks read: `elasticsearch:`, `fernetConfiguration:`,
//! `secretsManagerConfiguration:` and the server's own API address
//! (`pipelineServiceClientConfiguration.metadataApiEndpoint`), after `${VAR:-default}`
//! substitution as the server applies it.

use std::path::{Path, PathBuf};

use super::server_yaml::read_document;
use super::{ConfigError, Env};
use crate::yaml::Value;

/// The `elasticsearch:` block (the server uses it for OpenSearch too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchSection {
    pub search_type: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub scheme: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub truststore_path: Option<String>,
    pub connection_timeout_secs: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ServerSections {
    pub path: PathBuf,
    pub search: Option<SearchSection>,
    pub fernet_key: Option<String>,
    pub secrets_manager: Option<String>,
    pub server_api: Option<String>,
}

/// Reads the sections; a missing section is `None`, not an error (the file's own problems are
/// reported by the database settings, which read it first).
pub fn load(path: &Path, env: &Env) -> Result<ServerSections, ConfigError> {
    let (doc, _unresolved) = read_document(path, env)?;
    // `""` is how the server's file writes "not set" (`${ELASTICSEARCH_USER:-""}`); a value
    // still holding `${` names a variable that is not set and has no default.
    let scalar = |value: Option<&Value>| {
        value
            .and_then(Value::as_scalar)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && !s.contains("${"))
    };
    let search = doc
        .get("elasticsearch")
        .filter(|s| matches!(s, Value::Mapping(_)))
        .map(|section| {
            let field = |key: &str| scalar(section.get(key));
            SearchSection {
                search_type: field("searchType"),
                host: field("host"),
                port: field("port"),
                scheme: field("scheme"),
                username: field("username"),
                password: field("password"),
                truststore_path: field("truststorePath"),
                connection_timeout_secs: field("connectionTimeoutSecs"),
            }
        });
    Ok(ServerSections {
        path: path.to_path_buf(),
        search,
        fernet_key: scalar(doc.get_path("fernetConfiguration.fernetKey")),
        secrets_manager: scalar(doc.get_path("secretsManagerConfiguration.secretsManager")),
        server_api: scalar(doc.get_path("pipelineServiceClientConfiguration.metadataApiEndpoint")),
    })
}
