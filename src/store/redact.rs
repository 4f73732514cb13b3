//! Keeps credentials out of every message: the secret values the environment holds are replaced,
//! and so are the signature and credential parts of URLs and signed-request echoes.

use std::sync::LazyLock;

use regex::Regex;

use crate::config::Env;

/// Variables whose values are secrets, in every chain om-upgrade reads.
const SECRET_VARIABLES: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_MASTER_KEY",
    "AZURE_STORAGE_SAS_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_TOKEN",
    "AZURE_CLIENT_SECRET",
    "AZURE_STORAGE_CLIENT_SECRET",
    "AZURE_STORAGE_CONNECTION_STRING",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
];

static SIGNED_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)((?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|credential|se|st|skoid|sktid)=)[^&\s,;]+",
        r"|(<(?:AWSAccessKeyId|StringToSign|CanonicalRequest|SignatureProvided|StringToSignBytes|AuthenticationErrorDetail)>)[^<]*",
        r"|(AccountKey=)[^;\s]+",
        r"|(SharedAccessSignature=)[^;\s]+",
        r"|\b(AKIA|ASIA)[0-9A-Z]{12,}",
    ))
    .expect("static regex")
});

/// Replaces known secret values and signed-request parts with `***`.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    pub fn from_env(env: &Env) -> Redactor {
        let mut redactor = Redactor::default();
        for name in SECRET_VARIABLES {
            if let Some(value) = env.get(name) {
                redactor.add(value);
                // A connection string's parts are secret too.
                for part in value.split(';') {
                    if let Some((_, v)) = part.split_once('=') {
                        redactor.add(v);
                    }
                }
            }
        }
        redactor
    }

    /// Adds a secret (values shorter than 8 characters would blank out ordinary words).
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.len() >= 8 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            // Longest first, so a secret containing another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "***");
            }
        }
        SIGNED_PARTS
            .replace_all(&text, |caps: &regex::Captures| {
                match (1..=4).find_map(|i| caps.get(i)) {
                    Some(keep) => format!("{}***", keep.as_str()),
                    None => "***".to_string(),
                }
            })
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_environment_secrets_and_signed_parts() {
        let env = Env::from_pairs([
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            (
                "AZURE_STORAGE_CONNECTION_STRING",
                "AccountName=acct;AccountKey=c2VjcmV0a2V5dmFsdWU=;BlobEndpoint=http://h/acct",
            ),
        ]);
        let r = Redactor::from_env(&env);
        let text = r.redact(
            "failed with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and c2VjcmV0a2V5dmFsdWU= at \
             https://a.blob.core.windows.net/c/b?sv=1&sig=abcDEF%2B123 \
             <AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId> X-Amz-Signature=deadbeef",
        );
        for secret in [
            "wJalrXUtnFEMI",
            "c2VjcmV0a2V5dmFsdWU",
            "abcDEF",
            "AKIAIOSFODNN7EXAMPLE",
            "deadbeef",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("sig=***"), "{text}");
    }
}
