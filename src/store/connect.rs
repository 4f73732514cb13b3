//! Opening a destination: the object store for its kind, configured from the cloud's standard
//! credential chain (never from a flag) and bounded by timeouts.

use std::sync::{Arc, Once};

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::local::LocalFileSystem;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};

use super::{Destination, Redactor, Store, StoreError, StoreKind, StoreOptions, aws_profile};
use crate::config::Env;

/// The HTTP client uses rustls without a built-in crypto provider: ring, which sqlx's TLS
/// already builds, is installed once for the process.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another provider was installed first, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Store {
    /// Opens the destination `url` without contacting it (see [`Store::check`]). Credentials
    /// come from `env` (the process environment in the binary) and the cloud's config files
    /// and machine identity.
    pub fn open(url: &str, options: &StoreOptions, env: &Env) -> Result<Store, StoreError> {
        install_crypto_provider();
        let destination = Destination::parse(url)?;
        let mut redactor = Redactor::from_env(env);
        let setup = |e: object_store::Error| StoreError::Setup {
            url: destination.to_string(),
            detail: redactor_text(env, &e),
        };
        let inner: Arc<dyn ObjectStore> = match destination.kind {
            StoreKind::S3 => Arc::new(
                s3(&destination, options, env, &mut redactor)
                    .build()
                    .map_err(setup)?,
            ),
            StoreKind::Azure => {
                Arc::new(azure(&destination, options, env)?.build().map_err(setup)?)
            }
            StoreKind::Gcs => Arc::new(gcs(&destination, options, env).build().map_err(setup)?),
            StoreKind::Folder => {
                let folder = destination.folder.clone().unwrap_or_default();
                if !folder.is_dir() {
                    return Err(StoreError::FolderMissing { path: folder });
                }
                Arc::new(
                    LocalFileSystem::new_with_prefix(&folder)
                        .map_err(setup)?
                        .with_fsync(true)
                        .with_automatic_cleanup(true),
                )
            }
        };
        Ok(Store {
            destination,
            inner,
            options: options.clone(),
            redactor,
        })
    }
}

fn redactor_text(env: &Env, error: &object_store::Error) -> String {
    Redactor::from_env(env).redact(&error.to_string())
}

/// A stalled connection fails after `timeout` without data; a whole request is not bounded here
/// because reading a large backup back legitimately takes longer. The store's callers bound
/// each request that carries no large body.
fn client_options(options: &StoreOptions, allow_http: bool) -> ClientOptions {
    ClientOptions::new()
        .with_timeout_disabled()
        .with_read_timeout(options.timeout)
        .with_connect_timeout(options.connect_timeout)
        .with_allow_http(allow_http)
}

/// Retries for transient errors, all within the operation's timeout.
fn retry(options: &StoreOptions) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: 3,
        retry_timeout: options.timeout,
    }
}

/// Settings of one cloud from the environment: every `PREFIX*` variable the builder knows.
fn from_env<K: std::str::FromStr>(env: &Env, prefixes: &[&str]) -> Vec<(K, String)> {
    env.iter()
        .filter(|(name, _)| prefixes.iter().any(|p| name.starts_with(p)))
        .filter_map(|(name, value)| {
            Some((name.to_ascii_lowercase().parse().ok()?, value.to_string()))
        })
        .collect()
}

fn s3(
    destination: &Destination,
    options: &StoreOptions,
    env: &Env,
    redactor: &mut Redactor,
) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::new();
    for (key, value) in from_env::<AmazonS3ConfigKey>(env, &["AWS_"]) {
        builder = builder.with_config(key, value);
    }
    if env.get("AWS_ACCESS_KEY_ID").is_none() {
        let profile = aws_profile::read(env);
        if let (Some(id), Some(secret)) = (&profile.access_key_id, &profile.secret_access_key) {
            redactor.add(id);
            redactor.add(secret);
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
            if let Some(token) = &profile.session_token {
                redactor.add(token);
                builder = builder.with_token(token);
            }
        }
        if env.get("AWS_REGION").is_none()
            && env.get("AWS_DEFAULT_REGION").is_none()
            && let Some(region) = &profile.region
        {
            builder = builder.with_region(region);
        }
    }
    // The service-specific variable wins over the general one, as in the AWS SDKs.
    let endpoint = options
        .s3_endpoint
        .clone()
        .or_else(|| env.get("AWS_ENDPOINT_URL_S3").map(str::to_string))
        .or_else(|| env.get("AWS_ENDPOINT_URL").map(str::to_string))
        .or_else(|| env.get("AWS_ENDPOINT").map(str::to_string));
    let allow_http = endpoint
        .as_deref()
        .is_some_and(|e| e.starts_with("http://"));
    if let Some(endpoint) = endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if builder
        .get_config_value(&AmazonS3ConfigKey::Region)
        .is_none()
    {
        builder = builder.with_region("us-east-1");
    }
    builder
        .with_bucket_name(&destination.bucket)
        .with_client_options(client_options(options, allow_http))
        .with_retry(retry(options))
}

fn azure(
    destination: &Destination,
    options: &StoreOptions,
    env: &Env,
) -> Result<MicrosoftAzureBuilder, StoreError> {
    let mut builder = MicrosoftAzureBuilder::new();
    for (key, value) in from_env::<AzureConfigKey>(env, &["AZURE_"]) {
        builder = builder.with_config(key, value);
    }
    if let Some(text) = env.get("IDENTITY_ENDPOINT") {
        builder = builder.with_msi_endpoint(text);
    }
    let mut allow_http = false;
    if let Some(text) = env.get("AZURE_STORAGE_CONNECTION_STRING") {
        let connection = ConnectionString::parse(text).map_err(|reason| StoreError::Setup {
            url: destination.to_string(),
            detail: format!("AZURE_STORAGE_CONNECTION_STRING {reason}"),
        })?;
        if let Some(account) = connection.account {
            builder = builder.with_account(account);
        }
        if let Some(key) = connection.key {
            builder = builder.with_access_key(key);
        }
        if let Some(sas) = connection.sas {
            builder = builder.with_config(AzureConfigKey::SasKey, sas);
        }
        if let Some(endpoint) = connection.blob_endpoint {
            allow_http = endpoint.starts_with("http://");
            builder = builder.with_endpoint(endpoint.trim_end_matches('/').to_string());
        }
        if connection.development {
            builder = builder.with_use_emulator(true);
        }
    }
    if let Some(endpoint) = env
        .get("AZURE_STORAGE_ENDPOINT")
        .or_else(|| env.get("AZURE_ENDPOINT"))
    {
        allow_http |= endpoint.starts_with("http://");
    }
    Ok(builder
        .with_container_name(&destination.bucket)
        .with_client_options(client_options(options, allow_http))
        .with_retry(retry(options)))
}

fn gcs(destination: &Destination, options: &StoreOptions, env: &Env) -> GoogleCloudStorageBuilder {
    let mut builder = GoogleCloudStorageBuilder::new();
    for (key, value) in from_env::<GoogleConfigKey>(env, &["GOOGLE_"]) {
        builder = builder.with_config(key, value);
    }
    // The standard variable for application default credentials.
    if let Some(path) = env.get("GOOGLE_APPLICATION_CREDENTIALS") {
        builder = builder.with_application_credentials(path);
    }
    builder
        .with_bucket_name(&destination.bucket)
        .with_client_options(client_options(options, false))
        .with_retry(retry(options))
}

/// The parts of an Azure Storage connection string om-upgrade uses.
#[derive(Default)]
struct ConnectionString {
    account: Option<String>,
    key: Option<String>,
    sas: Option<String>,
    blob_endpoint: Option<String>,
    development: bool,
}

impl ConnectionString {
    fn parse(text: &str) -> Result<ConnectionString, String> {
        let mut out = ConnectionString::default();
        let mut protocol = "https".to_string();
        let mut suffix = None;
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err("has a part without `=`".into());
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "accountname" => out.account = Some(value.to_string()),
                "accountkey" => out.key = Some(value.to_string()),
                "sharedaccesssignature" => out.sas = Some(value.to_string()),
                "blobendpoint" => out.blob_endpoint = Some(value.to_string()),
                "defaultendpointsprotocol" => protocol = value.to_ascii_lowercase(),
                "endpointsuffix" => suffix = Some(value.to_string()),
                "usedevelopmentstorage" => out.development = value.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        if out.blob_endpoint.is_none()
            && let (Some(account), Some(suffix)) = (&out.account, suffix)
        {
            out.blob_endpoint = Some(format!("{protocol}://{account}.blob.{suffix}"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ==";

    #[test]
    fn opening_an_https_s3_store_needs_no_crypto_setup_by_the_caller() {
        let env = Env::from_pairs([
            ("AWS_ACCESS_KEY_ID", "AKIATESTTESTTEST"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ]);
        let store = Store::open("s3://bucket/prefix", &StoreOptions::default(), &env).unwrap();
        let debug = format!("{store:?}");
        assert!(
            !debug.contains(SECRET) && !debug.contains("AKIATESTTESTTEST"),
            "{debug}"
        );
        assert!(debug.contains("s3://bucket/prefix"), "{debug}");
    }

    #[test]
    fn azure_connection_string_sets_account_key_and_endpoint() {
        let text = format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={SECRET};\
             BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
        );
        let c = ConnectionString::parse(&text).unwrap();
        assert_eq!(c.account.as_deref(), Some("devstoreaccount1"));
        assert_eq!(c.key.as_deref(), Some(SECRET));
        assert_eq!(
            c.blob_endpoint.as_deref(),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        let c =
            ConnectionString::parse("AccountName=a;AccountKey=k;EndpointSuffix=core.windows.net")
                .unwrap();
        assert_eq!(
            c.blob_endpoint.as_deref(),
            Some("https://a.blob.core.windows.net")
        );
        let env = Env::from_pairs([("AZURE_STORAGE_CONNECTION_STRING", text.as_str())]);
        let store = Store::open("az://container", &StoreOptions::default(), &env).unwrap();
        assert!(!format!("{store:?}").contains(SECRET));
    }

    #[test]
    fn a_missing_folder_is_refused_rather_than_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("not-mounted");
        let err = Store::open(
            missing.to_str().unwrap(),
            &StoreOptions::default(),
            &Env::default(),
        )
        .unwrap_err();
        assert!(matches!(err, StoreError::FolderMissing { .. }), "{err}");
        assert!(!missing.exists());
    }
}
