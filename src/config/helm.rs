//! `--helm-values values.yaml`: what the OpenMetadata Helm chart hands the server, read from the
//! chart's values — `openmetadata.config.database.*`, `openmetadata.config.elasticsearch.*`,
//! `openmetadata.config.fernetkey`, `openmetadata.config.secretsManager.provider`, the
//! pipeline client's `metadataApiEndpoint` and `image.tag` — under the server's variable names
//! (the chart's templates set the same ones). Passwords the chart takes from a Secret
//! (`secretRef`/`secretKey`) are read with kubectl when it is on PATH; otherwise a warning says
//! which Secret and key hold it and how to give it.

use std::path::{Path, PathBuf};

use super::deployment::{Deployment, DeploymentInputs};
use super::kubectl::{self, KubectlError, SecretRef};
use super::{Env, SettingsWarning, Source, Sourced};
use crate::yaml::{self, ErrorKind, Value, YamlError};

#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    #[error("{} does not exist: give the values file of the OpenMetadata release{}", path.display(), get_values(release.as_deref(), namespace.as_deref()))]
    Missing {
        path: PathBuf,
        release: Option<String>,
        namespace: Option<String>,
    },
    #[error("{}: {error}; fix the file or give the settings with flags", path.display())]
    Yaml { path: PathBuf, error: YamlError },
    #[error("{} has no `openmetadata.config` section: is it the values of the OpenMetadata chart (not openmetadata-dependencies)?{}", path.display(), get_values(release.as_deref(), namespace.as_deref()))]
    NotValues {
        path: PathBuf,
        release: Option<String>,
        namespace: Option<String>,
    },
}

/// ", e.g. `helm get values openmetadata -n om -o yaml > values.yaml`".
fn get_values(release: Option<&str>, namespace: Option<&str>) -> String {
    let namespace = namespace.map(|ns| format!(" -n {ns}")).unwrap_or_default();
    format!(
        " (`helm get values {}{namespace} -o yaml > values.yaml` writes it)",
        release.unwrap_or("RELEASE")
    )
}

/// Values key under `openmetadata.config.` → the server's variable.
const PLAIN: [(&str, &str); 14] = [
    ("database.host", "DB_HOST"),
    ("database.port", "DB_PORT"),
    ("database.driverClass", "DB_DRIVER_CLASS"),
    ("database.dbScheme", "DB_SCHEME"),
    ("database.databaseName", "OM_DATABASE"),
    ("database.auth.username", "DB_USER"),
    ("database.dbParams", "DB_PARAMS"),
    ("elasticsearch.host", "ELASTICSEARCH_HOST"),
    ("elasticsearch.port", "ELASTICSEARCH_PORT"),
    ("elasticsearch.scheme", "ELASTICSEARCH_SCHEME"),
    ("elasticsearch.searchType", "SEARCH_TYPE"),
    (
        "elasticsearch.connectionTimeoutSecs",
        "ELASTICSEARCH_CONNECTION_TIMEOUT_SECS",
    ),
    ("secretsManager.provider", "SECRET_MANAGER"),
    (
        "pipelineServiceClientConfig.metadataApiEndpoint",
        "SERVER_HOST_API_URL",
    ),
];

/// Values key of a `secretRef`/`secretKey` pair → the server's variable, and what it is.
struct SecretValue {
    key: &'static str,
    var: &'static str,
    what: &'static str,
    /// Only read when this key is `true` (the search engine's auth).
    enabled_by: Option<&'static str>,
    /// Advice for giving it another way.
    otherwise: &'static str,
}

const SECRETS: [SecretValue; 3] = [
    SecretValue {
        key: "database.auth.password",
        var: "DB_USER_PASSWORD",
        what: "the database password",
        enabled_by: None,
        otherwise: "or use --password-file",
    },
    SecretValue {
        key: "elasticsearch.auth.password",
        var: "ELASTICSEARCH_PASSWORD",
        what: "the search engine password",
        enabled_by: Some("elasticsearch.auth.enabled"),
        otherwise: "",
    },
    SecretValue {
        key: "fernetkey",
        var: "FERNET_KEY",
        what: "the Fernet key",
        enabled_by: None,
        otherwise: "",
    },
];

pub fn load(path: &Path, inputs: &DeploymentInputs, env: &Env) -> Result<Deployment, HelmError> {
    let unusable = |error: YamlError| match error.kind {
        ErrorKind::NotFound => HelmError::Missing {
            path: path.to_path_buf(),
            release: inputs.release.clone(),
            namespace: inputs.namespace.clone(),
        },
        _ => HelmError::Yaml {
            path: path.to_path_buf(),
            error,
        },
    };
    let doc = yaml::parse(&yaml::read_file(path).map_err(unusable)?).map_err(unusable)?;
    let Some(config) = doc
        .get_path("openmetadata.config")
        .filter(|c| matches!(c, Value::Mapping(_)))
    else {
        return Err(HelmError::NotValues {
            path: path.to_path_buf(),
            release: inputs.release.clone(),
            namespace: inputs.namespace.clone(),
        });
    };
    let at = |key: &str| Source::HelmValues {
        file: path.to_path_buf(),
        key: key.to_string(),
    };
    let mut deployment = Deployment::default();
    for (key, var) in PLAIN {
        if let Some(value) = scalar(config.get_path(key)) {
            let source = at(&format!("openmetadata.config.{key}"));
            deployment
                .vars
                .insert(var.to_string(), Sourced::new(value, source));
        }
    }
    // The chart takes the key from its Secret when one is named.
    let fernet_secret = scalar(config.get_path("fernetkey.secretRef")).is_some();
    if let Some(key) = scalar(config.get_path("fernetkey.value")).filter(|_| !fernet_secret) {
        deployment.vars.insert(
            "FERNET_KEY".into(),
            Sourced::new(key, at("openmetadata.config.fernetkey.value")),
        );
    }
    let search_auth =
        scalar(config.get_path("elasticsearch.auth.enabled")).as_deref() == Some("true");
    if search_auth && let Some(user) = scalar(config.get_path("elasticsearch.auth.username")) {
        deployment.vars.insert(
            "ELASTICSEARCH_USER".into(),
            Sourced::new(user, at("openmetadata.config.elasticsearch.auth.username")),
        );
    }
    secrets(path, config, inputs, env, &mut deployment);
    if let Some(host) = deployment.vars.get("DB_HOST")
        && let Some(advice) = in_cluster_advice(&host.value, inputs, deployment.vars.get("DB_PORT"))
    {
        deployment.warnings.push(advice);
    }
    if let Some(tag) = scalar(doc.get_path("image.tag")) {
        deployment.image_tag = Some(Sourced::new(tag, at("image.tag")));
    }
    Ok(deployment)
}

/// A non-empty scalar value, trimmed.
fn scalar(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_scalar)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The values the chart takes from a Secret: read with kubectl (unless the environment gives
/// them already), or a warning that says where they are and how to give them.
fn secrets(
    path: &Path,
    config: &Value,
    inputs: &DeploymentInputs,
    env: &Env,
    deployment: &mut Deployment,
) {
    for secret in &SECRETS {
        if secret
            .enabled_by
            .is_some_and(|flag| scalar(config.get_path(flag)).as_deref() != Some("true"))
        {
            continue;
        }
        let node = config.get_path(secret.key);
        let (Some(name), Some(key)) = (
            scalar(node.and_then(|n| n.get("secretRef"))),
            scalar(node.and_then(|n| n.get("secretKey"))),
        ) else {
            continue;
        };
        // Given in the environment already: no need to ask the cluster.
        if env.non_empty(secret.var).is_some() {
            continue;
        }
        let reference = SecretRef {
            namespace: inputs.namespace.clone(),
            name,
            key,
        };
        match kubectl::read_secret(env, &reference) {
            Ok(value) => {
                let source = Source::KubeSecret {
                    namespace: reference.namespace.clone(),
                    name: reference.name.clone(),
                    key: reference.key.clone(),
                };
                deployment.vars.insert(
                    secret.var.to_string(),
                    Sourced::new(value.expose().to_string(), source),
                );
            }
            Err(error) => deployment
                .warnings
                .push(secret_advice(path, secret, &reference, &error)),
        }
    }
}

fn secret_advice(
    path: &Path,
    secret: &SecretValue,
    reference: &SecretRef,
    error: &KubectlError,
) -> SettingsWarning {
    let namespace = reference
        .namespace
        .as_ref()
        .map(|ns| format!(" in namespace {ns}"))
        .unwrap_or_else(|| " in kubectl's current namespace (--namespace NS to name it)".into());
    let otherwise = if secret.otherwise.is_empty() {
        String::new()
    } else {
        format!(" ({})", secret.otherwise)
    };
    SettingsWarning::Deployment(format!(
        "{} is key {} of Secret {}{namespace} ({}:openmetadata.config.{}), and it was not read: \
         {error}. Give it with {}=\"$({})\"{otherwise}",
        secret.what,
        reference.key,
        reference.name,
        path.display(),
        secret.key,
        secret.var,
        reference.shell_command(),
    ))
}

/// A host that is a bare name (`mysql`) is a Service inside the cluster: from outside it a
/// port-forward reaches it.
fn in_cluster_advice(
    host: &str,
    inputs: &DeploymentInputs,
    port: Option<&Sourced<String>>,
) -> Option<SettingsWarning> {
    let host = host.trim();
    if host.contains('.') || host.contains(':') || host == "localhost" {
        return None;
    }
    let port = port.map_or("3306", |p| p.value.as_str());
    let namespace = inputs
        .namespace
        .as_ref()
        .map(|ns| format!(" -n {ns}"))
        .unwrap_or_default();
    Some(SettingsWarning::Deployment(format!(
        "the database host {host} is a name inside the cluster: from outside it, run \
         `kubectl port-forward svc/{host} {port}:{port}{namespace}` and give --host 127.0.0.1"
    )))
}

#[cfg(test)]
mod tests;
