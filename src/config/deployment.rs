//! The deployment files an installation was started from: a docker compose file (`--compose`)
//! or the OpenMetadata Helm chart's values (`--helm-values`). Both come down to what the
//! server itself sees: its environment variables (`DB_HOST`, `ELASTICSEARCH_HOST`,
//! `FERNET_KEY`, …), each with the place it was written. Those variables are layered under the
//! process environment, the usual resolution reads them by the server's names, and every
//! value it took from them is then labelled with that place instead of "env NAME".

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::installation::{Configured, InstallSettings};
use super::{ConfigError, DbSettings, Env, SettingsWarning, Source, Sourced};

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

impl Deployment {
    /// Reads the deployment file the inputs name, if any.
    pub fn load(inputs: &DeploymentInputs, env: &Env) -> Result<Option<Deployment>, ConfigError> {
        if let Some(path) = &inputs.compose {
            return Ok(Some(super::compose::load(path, env)?));
        }
        if let Some(path) = &inputs.helm_values {
            return Ok(Some(super::helm::load(path, inputs, env)?));
        }
        Ok(None)
    }
}

/// The environment resolution reads: the process environment over the deployment's.
#[derive(Debug, Clone)]
pub struct Layered {
    pub env: Env,
    /// The deployment's variables that the process environment does not override.
    origins: BTreeMap<String, Source>,
    pub image_tag: Option<Sourced<String>>,
    pub warnings: Vec<SettingsWarning>,
}

impl Layered {
    pub fn load(inputs: &DeploymentInputs, env: &Env) -> Result<Layered, ConfigError> {
        Ok(match Deployment::load(inputs, env)? {
            Some(deployment) => Layered::over(deployment, env),
            None => Layered {
                env: env.clone(),
                origins: BTreeMap::new(),
                image_tag: None,
                warnings: Vec::new(),
            },
        })
    }

    /// A variable set (non-empty) in the process environment wins over the deployment's.
    pub fn over(deployment: Deployment, env: &Env) -> Layered {
        let mut vars: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut origins = BTreeMap::new();
        for (name, value) in deployment.vars {
            if env.non_empty(&name).is_some() {
                continue;
            }
            vars.insert(name.clone(), value.value);
            origins.insert(name, value.source);
        }
        Layered {
            env: Env(vars),
            origins,
            image_tag: deployment.image_tag,
            warnings: deployment.warnings,
        }
    }

    /// "env DB_HOST" becomes the place in the deployment file the value came from.
    fn relabel(&self, source: &mut Source) {
        if let Source::Env(name) = source
            && let Some(origin) = self.origins.get(*name)
        {
            *source = origin.clone();
        }
    }

    pub fn relabel_db(&self, s: &mut DbSettings) {
        for source in [
            &mut s.engine.source,
            &mut s.host.source,
            &mut s.port.source,
            &mut s.user.source,
            &mut s.database.source,
            &mut s.schema.source,
            &mut s.tls.source,
        ] {
            self.relabel(source);
        }
        if let Some(password) = &mut s.password {
            self.relabel(&mut password.source);
        }
    }

    pub fn relabel_installation(&self, s: &mut InstallSettings) {
        if let Configured::Yes(search) = &mut s.search {
            self.relabel(&mut search.url.source);
            self.relabel(&mut search.distribution.source);
            for source in [
                search.user.as_mut().map(|u| &mut u.source),
                search.password.as_mut().map(|p| &mut p.source),
                search.ca_file.as_mut().map(|c| &mut c.source),
                search.unusable_truststore.as_mut().map(|t| &mut t.source),
            ]
            .into_iter()
            .flatten()
            {
                self.relabel(source);
            }
        }
        if let Configured::Yes(server) = &mut s.server {
            self.relabel(&mut server.url.source);
        }
        self.relabel(&mut s.secrets.manager.source);
        if let Some(key) = &mut s.secrets.fernet_key {
            self.relabel(&mut key.source);
        }
    }
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

    #[test]
    fn the_process_environment_wins_and_keeps_its_label() {
        let file = PathBuf::from("docker-compose.yml");
        let at = |line| Source::Compose {
            file: file.clone(),
            line,
            note: None,
        };
        let deployment = Deployment {
            vars: BTreeMap::from([
                (
                    "DB_HOST".to_string(),
                    Sourced::new("db.compose".into(), at(3)),
                ),
                ("DB_USER".to_string(), Sourced::new("om".into(), at(4))),
            ]),
            ..Default::default()
        };
        let env = Env::from_pairs([("DB_HOST", "db.shell"), ("DB_USER", " ")]);
        let layered = Layered::over(deployment, &env);
        assert_eq!(layered.env.get("DB_HOST"), Some("db.shell"));
        assert_eq!(layered.env.get("DB_USER"), Some("om"));
        let mut host = Source::Env("DB_HOST");
        layered.relabel(&mut host);
        assert_eq!(host, Source::Env("DB_HOST"));
        let mut user = Source::Env("DB_USER");
        layered.relabel(&mut user);
        assert_eq!(user, at(4));
    }
}
