//! The static keys and region of an AWS profile (`~/.aws/credentials`, `~/.aws/config`, or the
//! files AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE name), for when the environment holds no
//! keys. Profiles that delegate (SSO, credential_process, role_arn) are not followed: the
//! environment or the machine's identity must provide those credentials.

use std::path::PathBuf;

use crate::config::Env;

#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct AwsProfile {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub region: Option<String>,
}

impl std::fmt::Debug for AwsProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsProfile")
            .field("has_keys", &self.access_key_id.is_some())
            .field("region", &self.region)
            .finish()
    }
}

pub(crate) fn read(env: &Env) -> AwsProfile {
    let name = env
        .get("AWS_PROFILE")
        .or_else(|| env.get("AWS_DEFAULT_PROFILE"))
        .unwrap_or("default");
    let home = env.get("HOME").map(PathBuf::from);
    let file = |var: &str, default: &str| {
        env.get(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
    };
    let credentials = section(&file("AWS_SHARED_CREDENTIALS_FILE", "credentials"), name);
    // In the config file every profile but the default one is `[profile NAME]`.
    let config_name = if name == "default" {
        name.to_string()
    } else {
        format!("profile {name}")
    };
    let config = section(&file("AWS_CONFIG_FILE", "config"), &config_name);
    let get = |key: &str| {
        credentials
            .iter()
            .chain(config.iter())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    AwsProfile {
        access_key_id: get("aws_access_key_id"),
        secret_access_key: get("aws_secret_access_key"),
        session_token: get("aws_session_token"),
        region: get("region"),
    }
}

/// The `key = value` lines of one `[name]` section of an INI file.
fn section(text: &str, name: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = header.trim() == name;
            continue;
        }
        if inside && let Some((key, value)) = line.split_once('=') {
            pairs.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_named_profile_from_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        let config = dir.path().join("config");
        std::fs::write(
            &creds,
            "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\n\
             [backup]\naws_access_key_id=AKIABACKUP\naws_secret_access_key = s3cr3t\n",
        )
        .unwrap();
        std::fs::write(
            &config,
            "[default]\nregion = us-east-1\n[profile backup]\nregion = eu-west-3\n",
        )
        .unwrap();
        let env = Env::from_pairs([
            ("AWS_PROFILE", "backup"),
            ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ]);
        let profile = read(&env);
        assert_eq!(profile.access_key_id.as_deref(), Some("AKIABACKUP"));
        assert_eq!(profile.secret_access_key.as_deref(), Some("s3cr3t"));
        assert_eq!(profile.region.as_deref(), Some("eu-west-3"));
        assert!(!format!("{profile:?}").contains("s3cr3t"));
    }

    #[test]
    fn no_files_no_profile() {
        let env = Env::from_pairs([("HOME", "/nonexistent-home")]);
        assert_eq!(read(&env), AwsProfile::default());
    }
}
