//! The `database:` block of the OpenMetadata server's `openmetadata.yaml`.

use std::path::{Path, PathBuf};

use super::db_url::{self, UrlParts};
use super::substitute::{Unresolved, substitute};
use super::{ConfigError, Env};
use crate::yaml::{self, ErrorKind, Value, YamlError};

/// What `openmetadata.yaml` says about the metadata database, after `${VAR:-default}` substitution.
#[derive(Debug, Clone, Default)]
pub struct ServerDbConfig {
    pub path: PathBuf,
    pub driver_class: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub url: Option<UrlParts>,
}

/// `openmetadata.yaml` read through the one YAML entry point, after the server's `${VAR:-default}`
/// substitution, with the variables that had neither a value nor a default.
pub(super) fn read_document(
    path: &Path,
    env: &Env,
) -> Result<(Value, Vec<Unresolved>), ConfigError> {
    let unusable = |error: YamlError| match error.kind {
        ErrorKind::NotFound => ConfigError::ConfigFileMissing {
            path: path.to_path_buf(),
        },
        _ => ConfigError::ConfigYaml {
            path: path.to_path_buf(),
            error,
        },
    };
    let text = yaml::read_file(path).map_err(unusable)?;
    let (text, unresolved) =
        substitute(&text, env).map_err(|error| ConfigError::ConfigOvergrown {
            path: path.to_path_buf(),
            error,
        })?;
    let doc = yaml::parse(&text).map_err(unusable)?;
    Ok((doc, unresolved))
}

pub fn load(path: &Path, env: &Env) -> Result<ServerDbConfig, ConfigError> {
    let (doc, unresolved) = read_document(path, env)?;
    let Some(database) = doc
        .get("database")
        .filter(|d| matches!(d, Value::Mapping(_)))
    else {
        return Err(ConfigError::ConfigNoDatabase {
            path: path.to_path_buf(),
        });
    };
    let field = |key: &str| database.get(key).and_then(Value::as_scalar);
    // A `${VAR}` left in a value we use is an error; elsewhere in the file it is not our business.
    let used = ["driverClass", "user", "password", "url"];
    for missing in &unresolved {
        let in_used_field = used.iter().any(|key| {
            field(key).is_some_and(|value| value.contains(&format!("${{{}", missing.variable)))
        });
        if in_used_field {
            return Err(ConfigError::UnresolvedVariable {
                path: path.to_path_buf(),
                variable: missing.variable.clone(),
                line: missing.line,
            });
        }
    }
    let url = field("url")
        .map(|url| {
            db_url::parse(&url).map_err(|error| ConfigError::BadUrl {
                origin: format!("database.url in {}", path.display()),
                error,
            })
        })
        .transpose()?;
    Ok(ServerDbConfig {
        path: path.to_path_buf(),
        driver_class: field("driverClass"),
        user: field("user"),
        password: field("password"),
        url,
    })
}
