//! The deployment files an installation was started from: a docker compose file (`--compose`)
//! or the OpenMetadata Helm chart's values (`--helm-values`). Both come down to what the
//! server itself sees: its environment variables (`DB_HOST`, `ELASTICSEARCH_HOST`,
//! `FERNET_KEY`, …), each with the place it was written. `layered` puts those variables under
//! the process environment; the usual resolution reads them by the server's names, and every
//! value it took from them is then labelled with that place instead of "env NAME".

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::settings::{SettingsWarning, Sourced};

/// What the command line said about deployment files.
#[derive(Debug, Clone, Default)]
pub struct DeploymentInputs {
    pub compose: Option<PathBuf>,
    pub helm_values: Option<PathBuf>,
    /// Kubernetes namespace of the Helm release (its Secrets); kubectl's current one if unset.
    pub namespace: Option<String>,
    /// Helm release name (named in advice).
    pub release: Option<String>,
}

/// The server's environment as a deployment file gives it.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    /// By the server's variable names.
    pub vars: BTreeMap<String, Sourced<String>>,
    /// The server image's tag (`1.1.5` of `openmetadata/server:1.1.5`).
    pub image_tag: Option<Sourced<String>>,
    pub warnings: Vec<SettingsWarning>,
}

/// `1.1.5` of `docker.getcollate.io/openmetadata/server:1.1.5@sha256:…`; `None` without a tag.
pub fn image_tag(image: &str) -> Option<String> {
    let image = image.trim();
    let image = image.split_once('@').map_or(image, |(name, _digest)| name);
    let last = image.rsplit('/').next().unwrap_or(image);
    let (_, tag) = last.split_once(':')?;
    let tag = tag.trim();
    (!tag.is_empty()).then(|| tag.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(
            image_tag("docker.getcollate.io/openmetadata/server:1.6.4").as_deref(),
            Some("1.6.4")
        );
        assert_eq!(
            image_tag("registry:5000/openmetadata/server:1.1.5@sha256:ab").as_deref(),
            Some("1.1.5")
        );
        assert_eq!(image_tag("registry:5000/openmetadata/server"), None);
        assert_eq!(image_tag("openmetadata/server"), None);
    }
}
