//! The running OpenMetadata server: `GET /api/v1/system/version` answers
//! `{"version": "1.2.0", "revision": "<git sha>", "timestamp": <build time, ms>}` without
//! authentication.

use serde::Serialize;

use crate::config::installation::ServerSettings;
use crate::http::{Endpoint, HttpError};
use crate::version::Version;

pub const VERSION_PATH: &str = "/api/v1/system/version";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerVersion {
    /// As the server reports it (`1.2.0`, `1.12.0-SNAPSHOT`).
    pub text: String,
    pub version: Option<Version>,
    pub revision: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AskError {
    #[error("{0}")]
    Http(#[from] HttpError),
    #[error("{url} answered HTTP {status}: {excerpt}")]
    Status {
        url: String,
        status: u16,
        excerpt: String,
    },
    #[error("{url} did not answer like an OpenMetadata server: {why}")]
    NotOpenMetadata { url: String, why: String },
}

impl AskError {
    pub fn remediation(&self) -> String {
        match self {
            AskError::Http(e) => e.remediation(),
            AskError::Status {
                status: 401 | 403, ..
            } => "The version endpoint needs no login on OpenMetadata; a proxy in front asks for \
                 one: give the server's own address with --server-url."
                .into(),
            AskError::Status { .. } | AskError::NotOpenMetadata { .. } => {
                "Check that --server-url (or SERVER_HOST_API_URL) is the OpenMetadata server's \
                 address, e.g. http://openmetadata:8585."
                    .into()
            }
        }
    }
}

/// Where to ask (no login: the version endpoint needs none).
pub fn endpoint(settings: &ServerSettings) -> Endpoint {
    Endpoint {
        base: settings.url.value.clone(),
        basic_auth: None,
        ca_file: settings.ca_file.clone(),
        timeouts: settings.timeouts,
    }
}

/// Reads a `/api/v1/system/version` reply.
pub fn parse_version(body: &[u8]) -> Result<ServerVersion, String> {
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the reply is not JSON".to_string())?;
    let text = json
        .get("version")
        .and_then(|v| v.as_str())
        .ok_or_else(|| "the reply has no \"version\"".to_string())?
        .to_string();
    Ok(ServerVersion {
        version: text.parse::<Version>().ok().map(|v| v.release()),
        text,
        revision: json
            .get("revision")
            .and_then(|v| v.as_str())
            .map(String::from),
    })
}

/// Asks the server for its version.
pub async fn ask_version(endpoint: &Endpoint) -> Result<ServerVersion, AskError> {
    let reply = endpoint.get(VERSION_PATH).await?;
    let url = format!("{endpoint}{VERSION_PATH}");
    if !reply.is_success() {
        return Err(AskError::Status {
            url,
            status: reply.status,
            excerpt: reply.excerpt(100),
        });
    }
    parse_version(&reply.body).map_err(|why| AskError::NotOpenMetadata { url, why })
}

/// For `restore`: the version of an OpenMetadata server that still answers at the configured
/// address, or `None` when nothing answers there (restoring under a running server corrupts
/// its caches and search index). Bounded by the settings' timeouts.
pub async fn still_running(settings: &ServerSettings) -> Option<ServerVersion> {
    ask_version(&endpoint(settings)).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_replies() {
        let v = parse_version(
            br#"{"version":"1.12.0-SNAPSHOT","revision":"abc123","timestamp":1731000000000}"#,
        )
        .unwrap();
        assert_eq!(v.version, Some(Version::new(1, 12, 0)));
        assert_eq!(v.revision.as_deref(), Some("abc123"));
        assert!(parse_version(b"{}").is_err());
        assert!(parse_version(b"garbage").is_err());
    }
}
