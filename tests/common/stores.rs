//! The local object stores the off-host tests use: moto (S3, authentication enforced) and
//! Azurite (Azure Blob), started by `scripts/setup-test-services`; one bucket or container per
//! test, removed afterwards. A server that cannot be reached fails the test with how to start it.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use om_upgrade::config::Env;
use om_upgrade::store::{Store, StoreOptions};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
pub const HOW_TO_START: &str =
    "start them with `scripts/setup-test-services` (it installs moto and Azurite under .services/)";
/// Azurite's well-known development account key (public, the same in every installation).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    S3,
    Azure,
}

pub fn port(kind: Kind) -> u16 {
    let (var, default) = match kind {
        Kind::S3 => ("OMU_TEST_S3_PORT", 5000),
        Kind::Azure => ("OMU_TEST_AZURE_PORT", 10000),
    };
    std::env::var(var)
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(default)
}

pub fn require_server(kind: Kind) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port(kind)));
    if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
        panic!("the {kind:?} test server does not answer on {addr}: {HOW_TO_START}");
    }
}

pub struct S3Keys {
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub no_rights_access_key_id: String,
    pub no_rights_secret_access_key: String,
}

pub fn s3_keys() -> S3Keys {
    let path = Path::new(ROOT).join(".services/moto-credentials.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; {HOW_TO_START}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("moto credentials are JSON");
    let field = |name: &str| {
        json[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} missing in {}", path.display()))
            .to_string()
    };
    S3Keys {
        endpoint: field("endpoint"),
        access_key_id: field("access_key_id"),
        secret_access_key: field("secret_access_key"),
        no_rights_access_key_id: field("no_rights_access_key_id"),
        no_rights_secret_access_key: field("no_rights_secret_access_key"),
    }
}

pub fn s3_env(key_id: &str, secret: &str, endpoint: &str) -> Vec<(String, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID".into(), key_id.into()),
        ("AWS_SECRET_ACCESS_KEY".into(), secret.into()),
        ("AWS_ENDPOINT_URL".into(), endpoint.into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        // No profile files of the machine running the tests.
        ("HOME".into(), "/nonexistent".into()),
    ]
}

pub fn azure_env(key: &str, port: u16) -> Vec<(String, String)> {
    vec![(
        "AZURE_STORAGE_CONNECTION_STRING".into(),
        format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};\
             BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        ),
    )]
}

pub fn env_of(pairs: &[(String, String)]) -> Env {
    Env::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A bucket (S3) or container (Azure) that exists for one test.
pub struct Bucket {
    pub kind: Kind,
    pub name: String,
    /// The environment a correctly configured operator would have.
    pub env: Vec<(String, String)>,
}

impl Bucket {
    pub fn new(kind: Kind) -> Bucket {
        require_server(kind);
        let name = format!(
            "omu-t-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
                % 100_000
        );
        let env = match kind {
            Kind::S3 => {
                let keys = s3_keys();
                s3_env(&keys.access_key_id, &keys.secret_access_key, &keys.endpoint)
            }
            Kind::Azure => azure_env(AZURITE_KEY, port(kind)),
        };
        fixture(kind, "create", &name);
        Bucket { kind, name, env }
    }

    pub fn url(&self, prefix: &str) -> String {
        match self.kind {
            Kind::S3 => format!("s3://{}/{prefix}", self.name),
            Kind::Azure => format!("az://{}/{prefix}", self.name),
        }
    }

    pub fn store(&self, prefix: &str) -> Store {
        Store::open(&self.url(prefix), &small_parts(), &env_of(&self.env)).expect("store opens")
    }
}

impl Drop for Bucket {
    fn drop(&mut self) {
        fixture(self.kind, "delete", &self.name);
    }
}

pub fn fixture(kind: Kind, verb: &str, name: &str) -> String {
    fixture_with(kind, verb, &[name])
}

/// Stores `file` (or the bytes "x") under `key` exactly as given, as another tool would.
#[allow(dead_code)]
pub fn put_raw(kind: Kind, bucket: &str, key: &str, file: Option<&Path>) {
    let file = file.map(|f| f.to_str().unwrap());
    fixture_with(kind, "put", &[&[bucket, key][..], file.as_slice()].concat());
}

fn fixture_with(kind: Kind, verb: &str, args: &[&str]) -> String {
    let name = args[0];
    let command = match kind {
        Kind::S3 => format!("s3-{verb}"),
        Kind::Azure => format!("az-{verb}"),
    };
    let python = Path::new(ROOT).join(".services/venv/bin/python");
    let out = Command::new(&python)
        .arg(Path::new(ROOT).join("scripts/store-test-fixture"))
        .arg(&command)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {HOW_TO_START}", python.display()));
    if !out.status.success() && !std::thread::panicking() {
        panic!(
            "store-test-fixture {command} {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Small parts so that a few-MB file is a real multipart upload.
pub fn small_parts() -> StoreOptions {
    StoreOptions {
        part_size: 5 << 20,
        concurrency: 2,
        timeout: Duration::from_secs(20),
        ..StoreOptions::default()
    }
}
