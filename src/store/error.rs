//! What can go wrong with a destination, in the words an operator uses, and the translation of
//! the object-store crate's errors into them. No error text ever carries a credential.

use std::path::PathBuf;
use std::time::Duration;

use super::redact::Redactor;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{url} is not a destination om-upgrade understands: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot set up {url}: {detail}")]
    Setup { url: String, detail: String },
    #[error(
        "the credentials for {url} were refused ({detail}): check the keys or identity the \
         environment provides ({hint})"
    )]
    WrongCredentials {
        url: String,
        detail: String,
        hint: &'static str,
    },
    #[error("no usable credentials for {url} ({detail}): {hint}")]
    NoCredentials {
        url: String,
        detail: String,
        hint: &'static str,
    },
    #[error(
        "permission denied on {url} ({detail}): the credentials were accepted but may not do \
         this; grant them read, write, list and delete on the prefix"
    )]
    PermissionDenied { url: String, detail: String },
    #[error("the {word} of {url} does not exist ({detail}): create it first or fix the name")]
    MissingBucket {
        url: String,
        word: &'static str,
        detail: String,
    },
    #[error(
        "cannot reach the store for {url} within {} s ({detail}): check the endpoint, the \
         network and any proxy",
        timeout.as_secs()
    )]
    Unreachable {
        url: String,
        timeout: Duration,
        detail: String,
    },
    #[error("{url} already exists: om-upgrade never overwrites a stored backup")]
    ObjectExists { url: String },
    #[error("{url} does not exist")]
    NotFound { url: String },
    #[error(
        "{url} has no manifest beside it in the store: it is no verified copy (an upload that \
         did not finish, or a file copied by other means); copy it here and use the local file"
    )]
    NoManifest { url: String },
    #[error("the stored copy {url} does not match what was sent: {detail}")]
    Mismatch { url: String, detail: String },
    #[error("the folder {} does not exist or is not a folder (is the share mounted?)", path.display())]
    FolderMissing { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Manifest(#[from] crate::backup::manifest::ManifestError),
    #[error("{url}: {detail}")]
    Other { url: String, detail: String },
    #[error(
        "the copy to {url} was cancelled; its unfinished upload was aborted, nothing is stored under its name"
    )]
    Cancelled { url: String },
}

/// Which credential chain the hint should name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Chain {
    Aws,
    Azure,
    Google,
    None,
}

impl Chain {
    fn hint(self) -> &'static str {
        match self {
            Chain::Aws => {
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE with ~/.aws/credentials, \
                 web identity or the instance role"
            }
            Chain::Azure => {
                "AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT_NAME with \
                 AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_SAS_KEY, a service principal \
                 (AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET), workload or managed identity"
            }
            Chain::Google => {
                "GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login` or the \
                 instance's service account"
            }
            Chain::None => "check the folder's permissions",
        }
    }
}

/// The context a store operation failed in.
pub(crate) struct Context<'a> {
    pub url: &'a str,
    pub chain: Chain,
    pub bucket_word: &'static str,
    pub timeout: Duration,
    pub redactor: &'a Redactor,
}

impl Context<'_> {
    /// Classifies an error of the object-store crate.
    pub(crate) fn classify(&self, error: object_store::Error) -> StoreError {
        use object_store::Error as E;
        let text = self.redactor.redact(&full_text(&error));
        let detail = detail_of(&text);
        let url = self.url.to_string();
        let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
        if has(&["NoSuchBucket", "ContainerNotFound", "bucket does not exist"]) {
            return StoreError::MissingBucket {
                url,
                word: self.bucket_word,
                detail,
            };
        }
        // No credentials in the environment: the crate asked the instance's metadata service
        // (AWS IMDS, Azure managed identity), which is not there or refused. Its 403 or timeout is
        // no verdict of the store on credentials it accepted.
        if has(&[
            "169.254.169.254",
            "/latest/api/token",
            "/iam/security-credentials",
            "/metadata/identity/oauth2/token",
            "Error performing token request",
        ]) {
            return StoreError::NoCredentials {
                url,
                detail,
                hint: self.chain.hint(),
            };
        }
        if has(&[
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "InvalidClientTokenId",
            "ExpiredToken",
            "InvalidToken",
            "AuthenticationFailed",
            "InvalidAuthenticationInfo",
            // Azurite's words for a wrong account key (Azure says AuthenticationFailed).
            "failed to authenticate",
        ]) || matches!(error, E::Unauthenticated { .. })
        {
            return StoreError::WrongCredentials {
                url,
                detail,
                hint: self.chain.hint(),
            };
        }
        match error {
            E::AlreadyExists { .. } | E::Precondition { .. } => StoreError::ObjectExists { url },
            E::NotFound { .. } => StoreError::NotFound { url },
            E::PermissionDenied { .. } => StoreError::PermissionDenied { url, detail },
            _ if has(&[
                "AccessDenied",
                "AuthorizationPermissionMismatch",
                "AuthorizationFailure",
                "403 Forbidden",
            ]) =>
            {
                StoreError::PermissionDenied { url, detail }
            }
            _ if has(&[
                "error sending request",
                "Connection refused",
                "connection refused",
                "dns error",
                "timed out",
                "operation timed out",
                "tcp connect",
                "connection closed",
                "Connection reset",
            ]) =>
            {
                StoreError::Unreachable {
                    url,
                    timeout: self.timeout,
                    detail,
                }
            }
            _ if has(&["credential", "Credential", "token", "Token"]) => {
                StoreError::NoCredentials {
                    url,
                    detail,
                    hint: self.chain.hint(),
                }
            }
            _ => StoreError::Other { url, detail },
        }
    }
}

/// The error and all its sources, one line.
fn full_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// The short reason: the store's `<Code>`/`<Message>` when the answer carried them, else the
/// innermost cause.
fn detail_of(text: &str) -> String {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find('<')? + start;
        Some(text[start..end].trim().to_string())
    };
    if let Some(code) = tag("Code") {
        return match tag("Message") {
            Some(message) if !message.is_empty() => format!("{code}: {}", first_line(&message)),
            _ => code,
        };
    }
    let last = text.rsplit(": ").next().unwrap_or(text);
    let last = if last.len() < 12 { text } else { last };
    let mut detail = first_line(last).to_string();
    if detail.len() > 240 {
        let mut end = 240;
        while !detail.is_char_boundary(end) {
            end -= 1;
        }
        detail.truncate(end);
        detail.push('…');
    }
    detail
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metadata_service_that_refuses_is_no_credentials_not_a_permission() {
        let redactor = Redactor::default();
        let context = Context {
            url: "s3://b/p",
            chain: Chain::Aws,
            bucket_word: "bucket",
            timeout: Duration::from_secs(5),
            redactor: &redactor,
        };
        let error = object_store::Error::Generic {
            store: "S3",
            source: "HTTP error: Client error with status 403 Forbidden: denied destination \
                     (PUT http://169.254.169.254/latest/api/token)"
                .into(),
        };
        let classified = context.classify(error);
        assert!(
            matches!(classified, StoreError::NoCredentials { .. }),
            "{classified:?}"
        );
        assert!(classified.to_string().contains("AWS_ACCESS_KEY_ID"));
    }

    #[test]
    fn detail_prefers_the_stores_code_and_message() {
        let text = "Generic S3 error: Client error with status 403 Forbidden: <?xml version=\"1.0\"?>\
                    <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we \
                    calculated does not match</Message></Error>";
        assert_eq!(
            detail_of(text),
            "SignatureDoesNotMatch: The request signature we calculated does not match"
        );
        assert_eq!(
            detail_of(
                "Generic error: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)"
            ),
            "Connection refused (os error 111)"
        );
    }
}
