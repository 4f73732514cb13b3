//! The environment resolution reads when deployment files are given: the process environment
//! over the server's environment as `--compose` or `--helm-values` give it, and the labels that
//! say in which file a value was written.

use std::collections::BTreeMap;

use super::deployment::{Deployment, DeploymentInputs};
use super::settings::{DbSettings, SettingsWarning, Source, Sourced};
use super::{ConfigError, Env};

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
        Ok(match load(inputs, env)? {
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
    pub(super) fn relabel(&self, source: &mut Source) {
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
}

/// Reads the deployment file the inputs name, if any.
fn load(inputs: &DeploymentInputs, env: &Env) -> Result<Option<Deployment>, ConfigError> {
    if let Some(path) = &inputs.compose {
        return Ok(Some(super::compose::load(path, env)?));
    }
    if let Some(path) = &inputs.helm_values {
        return Ok(Some(super::helm::load(path, inputs, env)?));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

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
