//! The off-host store against real servers on loopback: moto (S3, authentication enforced) and
//! Azurite (Azure Blob), started by `scripts/setup-test-services`. Each test creates its own
//! bucket or container and removes it. A server that cannot be reached fails the test with how
//! to start it; nothing is skipped. GCS has no local server here and is not tested.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use om_upgrade::config::Env;
use om_upgrade::store::{Store, StoreError, StoreOptions, StoredManifest, UploadEvent, VerifiedBy};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

mod common;

use common::stores::*;

/// A file of pseudo-random bytes (incompressible, reproducible).
fn random_file(dir: &Path, name: &str, bytes: usize) -> PathBuf {
    let path = dir.join(name);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ bytes as u64;
    let mut written = 0;
    while written < bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let chunk = state.to_le_bytes();
        let n = chunk.len().min(bytes - written);
        file.write_all(&chunk[..n]).unwrap();
        written += n;
    }
    file.flush().unwrap();
    path
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A backup file with a manifest beside it that describes `sha256` (the file's own unless
/// told otherwise).
fn backup_with_manifest(dir: &Path, name: &str, bytes: usize, sha256: Option<&str>) -> PathBuf {
    let path = random_file(dir, name, bytes);
    let contents = std::fs::read(&path).unwrap();
    let sha = sha256
        .map(str::to_string)
        .unwrap_or_else(|| sha256_hex(&contents));
    let manifest = serde_json::json!({
        "manifest_version": 1,
        "tool": "om-upgrade",
        "tool_version": "0.1.0",
        "method": "builtin",
        "format": "sql",
        "source": {
            "engine": "postgres", "product": "PostgreSQL", "server_version": "15",
            "host": "127.0.0.1", "port": 5432, "database": "om", "openmetadata_version": "1.1.5"
        },
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:01Z",
        "consistency": "repeatable-read snapshot",
        "tables": [{"name": "entity", "rows": 3}],
        "file": {"name": name, "bytes": contents.len(), "sha256": sha, "compression": "none"}
    });
    std::fs::write(
        dir.join(format!("{name}.manifest.json")),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    path
}

fn assert_no_secret(error: &StoreError, secrets: &[&str]) {
    let text = format!("{error} | {error:?}");
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "a credential appears in the error: {text}"
        );
    }
}

async fn round_trip(kind: Kind, expected_verification: VerifiedBy) {
    let bucket = Bucket::new(kind);
    let store = bucket.store("om/prod");
    store.check().await.expect("the new bucket answers");
    let dir = tempfile::tempdir().unwrap();
    // Two parts: 5 MiB and a short last one.
    let backup = backup_with_manifest(dir.path(), "om-2026.sql", (5 << 20) + 4321, None);
    let contents = std::fs::read(&backup).unwrap();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let copy = store
        .upload_backup(&backup, Some(tx))
        .await
        .expect("upload");
    assert_eq!(copy.data.bytes, contents.len() as u64);
    assert_eq!(copy.data.sha256, sha256_hex(&contents));
    assert_eq!(copy.data.verified_by, expected_verification);
    assert_eq!(
        copy.data.url,
        format!("{}/om-2026.sql", bucket.url("om/prod"))
    );
    assert_eq!(copy.manifest.name, "om-2026.sql.manifest.json");
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    assert!(
        matches!(events.first(), Some(UploadEvent::Started { .. })),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, UploadEvent::Sent { sent, total, .. } if sent == total)),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(UploadEvent::Verified { .. })),
        "{events:?}"
    );

    // A raw file without a manifest lists as such.
    let raw = random_file(dir.path(), "official-cli.sql", 1000);
    store
        .upload_file(&raw, "official-cli.sql", None)
        .await
        .expect("raw upload");

    let listed = store.list_backups().await.expect("list");
    let names: Vec<_> = listed.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(listed.len(), 2, "{names:?}");
    let ours = listed
        .iter()
        .find(|b| b.name == "om-2026.sql")
        .expect("listed");
    assert_eq!(ours.bytes, contents.len() as u64);
    match &ours.manifest {
        StoredManifest::Present(m) => assert_eq!(m.file.sha256, copy.data.sha256),
        other => panic!("manifest not read: {other:?}"),
    }
    let raw_listed = listed
        .iter()
        .find(|b| b.name == "official-cli.sql")
        .expect("raw listed");
    assert_eq!(raw_listed.manifest, StoredManifest::Missing);

    // Streaming read gives back the same bytes.
    let mut reader = store.open_reader("om-2026.sql").await.expect("open");
    assert_eq!(reader.size(), contents.len() as u64);
    let mut read = Vec::new();
    reader.read_to_end(&mut read).await.unwrap();
    assert!(read == contents, "streamed bytes differ");
    store
        .verify_object("om-2026.sql", copy.data.bytes, &copy.data.sha256)
        .await
        .expect("verify");
    let wrong = store
        .verify_object("om-2026.sql", copy.data.bytes, &sha256_hex(b"other"))
        .await;
    assert!(
        matches!(wrong, Err(StoreError::Mismatch { .. })),
        "{wrong:?}"
    );

    // The same backup again is recognised by reading it back, not uploaded over (another file
    // of the same name is refused: `copying_again_completes_…`); the stored one is untouched.
    let again = store
        .upload_backup(&backup, None)
        .await
        .expect("the same backup is recognised");
    assert_eq!(again.data.verified_by, VerifiedBy::ReadBack);
    store
        .verify_object("om-2026.sql", copy.data.bytes, &copy.data.sha256)
        .await
        .expect("still whole");
}

#[tokio::test]
async fn s3_round_trip_upload_list_and_streaming_read() {
    round_trip(Kind::S3, VerifiedBy::StoreChecksum).await;
}

#[tokio::test]
async fn azure_round_trip_upload_list_and_streaming_read() {
    round_trip(Kind::Azure, VerifiedBy::ReadBack).await;
}

#[tokio::test]
async fn folder_round_trip_keeps_no_temporary_file_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let share = tempfile::tempdir().unwrap();
    let store = Store::open(
        share.path().to_str().unwrap(),
        &small_parts(),
        &Env::default(),
    )
    .unwrap();
    let backup = backup_with_manifest(dir.path(), "b.sql", 6 << 20, None);
    let copy = store.upload_backup(&backup, None).await.expect("upload");
    assert_eq!(copy.data.verified_by, VerifiedBy::ReadBack);
    let mut names: Vec<_> = std::fs::read_dir(share.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["b.sql", "b.sql.manifest.json"]);
    assert_eq!(
        std::fs::read(share.path().join("b.sql")).unwrap(),
        std::fs::read(&backup).unwrap()
    );
    let again = store.upload_file(&backup, "b.sql", None).await;
    assert!(
        matches!(again, Err(StoreError::ObjectExists { .. })),
        "{again:?}"
    );
    assert_eq!(store.list_backups().await.unwrap().len(), 1);
}

#[tokio::test]
async fn upload_of_a_file_that_does_not_match_its_manifest_keeps_nothing() {
    let bucket = Bucket::new(Kind::S3);
    let store = bucket.store("");
    let dir = tempfile::tempdir().unwrap();
    let backup = backup_with_manifest(
        dir.path(),
        "changed.sql",
        1 << 20,
        Some(&sha256_hex(b"before")),
    );
    let result = store.upload_backup(&backup, None).await;
    assert!(
        matches!(result, Err(StoreError::Mismatch { .. })),
        "{result:?}"
    );
    assert!(!store.exists("changed.sql").await.unwrap());
    assert!(!store.exists("changed.sql.manifest.json").await.unwrap());
}

/// Environment variable that turns [`upload_in_child_process`] into the upload to kill.
const CHILD_FILE: &str = "OMU_STORE_TEST_CHILD_FILE";
const CHILD_URL: &str = "OMU_STORE_TEST_CHILD_URL";

/// The upload that `*_kill_during_upload_*` kills: run in a child process of this test binary,
/// with the store's settings in its real environment.
#[tokio::test]
#[ignore = "helper: run in a child process by the kill-during-upload tests"]
async fn upload_in_child_process() {
    let file = PathBuf::from(std::env::var(CHILD_FILE).expect("run by a kill test"));
    let url = std::env::var(CHILD_URL).unwrap();
    let options = StoreOptions {
        concurrency: 1,
        ..small_parts()
    };
    let store = Store::open(&url, &options, &Env::from_process()).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let upload =
        tokio::spawn(async move { store.upload_file(&file, "killed.sql", Some(tx)).await });
    while let Some(event) = rx.recv().await {
        if let UploadEvent::Sent { sent, .. } = event {
            println!("SENT {sent}");
            std::io::stdout().flush().unwrap();
        }
    }
    upload.await.unwrap().unwrap();
}

async fn kill_during_upload(kind: Kind) {
    let bucket = Bucket::new(kind);
    let dir = tempfile::tempdir().unwrap();
    // Four parts sent one at a time: the first acknowledged part leaves three to go.
    let file = random_file(dir.path(), "big.sql", 20 << 20);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "upload_in_child_process",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .envs(bucket.env.iter().map(|(k, v)| (k, v)))
        .env(CHILD_FILE, &file)
        .env(CHILD_URL, bucket.url(""))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines
        .find(|line| line.as_ref().is_ok_and(|l| l.starts_with("SENT ")))
        .expect("the child reports a sent part")
        .unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    child.wait().unwrap();
    let sent: u64 = first["SENT ".len()..].parse().unwrap();
    assert!(sent < 20 << 20, "the child finished before it was killed");

    let store = bucket.store("");
    assert!(
        !store.exists("killed.sql").await.unwrap(),
        "an object under the final name"
    );
    assert!(store.list_backups().await.unwrap().is_empty());
    if kind == Kind::S3 {
        // The parts sent so far sit in an unfinished multipart upload, invisible.
        assert_eq!(fixture(kind, "pending-uploads", &bucket.name), "1");
    }
}

#[tokio::test]
async fn s3_kill_during_upload_leaves_no_object_under_the_final_name() {
    kill_during_upload(Kind::S3).await;
}

#[tokio::test]
async fn azure_kill_during_upload_leaves_no_object_under_the_final_name() {
    kill_during_upload(Kind::Azure).await;
}

#[tokio::test]
async fn s3_wrong_credentials_are_named_and_never_echoed() {
    let bucket = Bucket::new(Kind::S3);
    let keys = s3_keys();
    let wrong_secret = "wrongSecretKeyValue0123456789abcdefghijkl";
    for (id, secret) in [
        (keys.access_key_id.as_str(), wrong_secret),
        ("AKIAUNKNOWNKEY000000", wrong_secret),
    ] {
        let env = env_of(&s3_env(id, secret, &keys.endpoint));
        let store = Store::open(&bucket.url("p"), &small_parts(), &env).unwrap();
        let err = store.check().await.unwrap_err();
        assert!(matches!(err, StoreError::WrongCredentials { .. }), "{err}");
        assert_no_secret(&err, &[secret, id, &keys.secret_access_key]);
    }
}

#[tokio::test]
async fn s3_permission_denied_is_told_apart_from_wrong_credentials() {
    let bucket = Bucket::new(Kind::S3);
    let keys = s3_keys();
    let env = env_of(&s3_env(
        &keys.no_rights_access_key_id,
        &keys.no_rights_secret_access_key,
        &keys.endpoint,
    ));
    let store = Store::open(&bucket.url("p"), &small_parts(), &env).unwrap();
    let err = store.check().await.unwrap_err();
    assert!(matches!(err, StoreError::PermissionDenied { .. }), "{err}");
    assert_no_secret(
        &err,
        &[
            &keys.no_rights_secret_access_key,
            &keys.no_rights_access_key_id,
        ],
    );
}

#[tokio::test]
async fn azure_wrong_key_is_named_and_never_echoed() {
    require_server(Kind::Azure);
    let bucket = Bucket::new(Kind::Azure);
    let wrong_key = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";
    let env = env_of(&azure_env(wrong_key, port(Kind::Azure)));
    let store = Store::open(&bucket.url("p"), &small_parts(), &env).unwrap();
    let err = store.check().await.unwrap_err();
    assert!(matches!(err, StoreError::WrongCredentials { .. }), "{err}");
    assert_no_secret(&err, &[wrong_key, AZURITE_KEY]);
}

#[tokio::test]
async fn missing_bucket_and_container_are_named() {
    for kind in [Kind::S3, Kind::Azure] {
        require_server(kind);
        let env = match kind {
            Kind::S3 => {
                let keys = s3_keys();
                s3_env(&keys.access_key_id, &keys.secret_access_key, &keys.endpoint)
            }
            Kind::Azure => azure_env(AZURITE_KEY, port(kind)),
        };
        let url = match kind {
            Kind::S3 => "s3://omu-no-such-bucket-17/p",
            Kind::Azure => "az://omu-no-such-container-17/p",
        };
        let store = Store::open(url, &small_parts(), &env_of(&env)).unwrap();
        let err = store.check().await.unwrap_err();
        assert!(
            matches!(err, StoreError::MissingBucket { .. }),
            "{kind:?}: {err}"
        );
    }
}

#[tokio::test]
async fn unreachable_endpoints_fail_within_the_timeout() {
    let keys = s3_keys();
    let options = StoreOptions {
        timeout: Duration::from_secs(1),
        connect_timeout: Duration::from_secs(1),
        ..small_parts()
    };
    // Nothing listens: refused at once.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // Accepts connections and never answers: the timeout must end it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().take(16) {
            held.push(stream);
        }
    });
    for addr in [closed, silent_addr] {
        let cases = [
            (
                "s3://bucket/p",
                s3_env(
                    &keys.access_key_id,
                    &keys.secret_access_key,
                    &format!("http://{addr}"),
                ),
            ),
            ("az://container/p", azure_env(AZURITE_KEY, addr.port())),
        ];
        for (url, env) in cases {
            let store = Store::open(url, &options, &env_of(&env)).unwrap();
            let started = Instant::now();
            let err = store.check().await.unwrap_err();
            let took = started.elapsed();
            assert!(
                matches!(err, StoreError::Unreachable { .. }),
                "{url} at {addr}: {err}"
            );
            assert!(
                took < Duration::from_secs(5),
                "{url} at {addr} took {took:?}"
            );
            assert_no_secret(&err, &[&keys.secret_access_key, AZURITE_KEY]);
        }
    }
}

// ---- Red-team regressions (notes/17-redteam.md) ----

/// A name with non-ASCII letters and characters the crate would percent-encode.
const ODD_NAME: &str = "bäckup€ [1] 50%.sql";

async fn odd_names_round_trip(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let backup = backup_with_manifest(dir.path(), ODD_NAME, 4096, None);
    let copy = store.upload_backup(&backup, None).await.expect("upload");
    assert!(
        copy.data.url.ends_with(&format!("/{ODD_NAME}")),
        "{}",
        copy.data.url
    );
    let listed = store
        .list_backups()
        .await
        .expect("the listing reads back what was stored");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].name, ODD_NAME);
    assert!(
        matches!(listed[0].manifest, StoredManifest::Present(_)),
        "{listed:?}"
    );
    let remote = store
        .remote_backup(ODD_NAME)
        .await
        .expect("opened by its name");
    let hashed = tokio::task::spawn_blocking(move || remote.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hashed.sha256, copy.data.sha256);
}

#[tokio::test]
async fn names_are_stored_as_they_are_and_listed_back_in_every_store() {
    for kind in [Kind::S3, Kind::Azure] {
        let bucket = Bucket::new(kind);
        odd_names_round_trip(&bucket.store("prëfix")).await;
        // Another tool finds the object under the name om-upgrade printed.
        put_raw(kind, &bucket.name, &format!("prëfix/{ODD_NAME}.txt"), None);
        let names: Vec<String> = bucket
            .store("prëfix")
            .list_backups()
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert!(names.contains(&format!("{ODD_NAME}.txt")), "{names:?}");
    }
    let share = tempfile::tempdir().unwrap();
    let store = Store::open(
        share.path().to_str().unwrap(),
        &small_parts(),
        &Env::default(),
    )
    .unwrap();
    odd_names_round_trip(&store).await;
    assert!(
        share.path().join(ODD_NAME).is_file(),
        "the file on the share has the name shown"
    );
}

#[tokio::test]
async fn a_key_the_client_cannot_list_is_named_instead_of_a_crate_error() {
    let bucket = Bucket::new(Kind::S3);
    put_raw(Kind::S3, &bucket.name, "om/..", None);
    let error = bucket.store("om").list_backups().await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("an object under this prefix has a name") && text.contains("\"..\""),
        "{text}"
    );
    // A control character in the name is not echoed raw to the terminal.
    let bucket = Bucket::new(Kind::S3);
    put_raw(Kind::S3, &bucket.name, "om/a\u{1b}[2Jb", None);
    let text = bucket
        .store("om")
        .list_backups()
        .await
        .unwrap_err()
        .to_string();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains("\\u{1b}"), "{text:?}");
}

#[tokio::test]
async fn a_killed_copy_into_a_folder_is_listed_as_an_unfinished_upload() {
    let share = tempfile::tempdir().unwrap();
    // What `kill -9` of a folder copy leaves: the crate's part file of the temporary name.
    let left = "b.sql.omu-upload-4242-18ef128fc82da35f#1";
    std::fs::write(share.path().join(left), vec![7u8; 1000]).unwrap();
    let store = Store::open(
        share.path().to_str().unwrap(),
        &small_parts(),
        &Env::default(),
    )
    .unwrap();
    let listed = store.list_backups().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].name, left);
    assert_eq!(listed[0].bytes, 1000);
    assert_eq!(listed[0].manifest, StoredManifest::UnfinishedUpload);
    // Never taken for a backup.
    assert!(store.remote_backup(left).await.is_err());
}

#[tokio::test]
async fn an_object_replaced_after_it_was_opened_is_not_read() {
    for kind in [Kind::S3, Kind::Azure] {
        let bucket = Bucket::new(kind);
        let store = bucket.store("om");
        let dir = tempfile::tempdir().unwrap();
        let backup = backup_with_manifest(dir.path(), "b.sql", 4096, None);
        store.upload_backup(&backup, None).await.unwrap();
        // Checked (as restore checks it), then replaced by another tool, then loaded.
        let remote = store.remote_backup("b.sql").await.unwrap();
        let first = remote.clone();
        let hashed = tokio::task::spawn_blocking(move || first.hash())
            .await
            .unwrap()
            .unwrap();
        assert!(remote.matches(&hashed));
        let other = random_file(dir.path(), "other.sql", 4096);
        put_raw(kind, &bucket.name, "om/b.sql", Some(&other));
        let error = tokio::task::spawn_blocking(move || remote.open().map(drop))
            .await
            .unwrap()
            .expect_err("a replaced object is refused");
        assert!(error.to_string().contains("replaced"), "{kind:?}: {error}");
    }
}

#[tokio::test]
async fn a_copy_cancelled_while_it_is_read_back_keeps_nothing() {
    let bucket = Bucket::new(Kind::Azure);
    let store = bucket.store("om");
    let dir = tempfile::tempdir().unwrap();
    let backup = backup_with_manifest(dir.path(), "b.sql", 24 << 20, None);
    let cancel = tokio_util::sync::CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // Ctrl-C as soon as the read-back of the whole stored object starts.
    let interrupt = async {
        while let Some(event) = rx.recv().await {
            if matches!(event, UploadEvent::Verifying { .. }) {
                cancel.cancel();
            }
        }
    };
    let upload = store.upload_backup_until(&backup, Some(tx), &cancel);
    let (result, ()) = tokio::join!(upload, interrupt);
    assert!(
        matches!(result, Err(StoreError::Cancelled { .. })),
        "{result:?}"
    );
    assert!(
        !store.exists("b.sql").await.unwrap(),
        "an unverified object was left"
    );
    assert!(!store.exists("b.sql.manifest.json").await.unwrap());
}

#[tokio::test]
async fn copying_again_completes_a_copy_killed_before_its_manifest_and_never_replaces() {
    for kind in [Kind::S3, Kind::Azure] {
        let bucket = Bucket::new(kind);
        let store = bucket.store("om");
        let dir = tempfile::tempdir().unwrap();
        let backup = backup_with_manifest(dir.path(), "b.sql", 6 << 20, None);
        // What a copy killed after its data and before its manifest leaves.
        store.upload_file(&backup, "b.sql", None).await.unwrap();
        let copy = store
            .upload_backup(&backup, None)
            .await
            .expect("the same backup completes the copy");
        assert_eq!(copy.data.verified_by, VerifiedBy::ReadBack);
        let listed = store.list_backups().await.unwrap();
        assert!(
            matches!(listed[0].manifest, StoredManifest::Present(_)),
            "{listed:?}"
        );
        // Both there (killed before the local manifest recorded it): recorded now.
        let copied = store
            .copy_backup(&backup, None, &Default::default())
            .await
            .expect("an identical stored copy is recorded");
        let local = std::fs::read_to_string(dir.path().join("b.sql.manifest.json")).unwrap();
        assert!(local.contains(&copied.record.url), "{local}");
        // Another backup of the same name is refused, and the stored one is not touched.
        let other_dir = tempfile::tempdir().unwrap();
        let other = backup_with_manifest(other_dir.path(), "b.sql", 1 << 20, None);
        let refused = store.upload_backup(&other, None).await;
        assert!(
            matches!(refused, Err(StoreError::ObjectExists { .. })),
            "{refused:?}"
        );
        let remote = store.remote_backup("b.sql").await.unwrap();
        let hashed = tokio::task::spawn_blocking(move || remote.hash())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hashed.sha256, copy.data.sha256, "{kind:?}");
    }
}

#[tokio::test]
async fn a_copy_into_the_backups_own_folder_is_no_copy() {
    let dir = tempfile::tempdir().unwrap();
    let backup = backup_with_manifest(dir.path(), "b.sql", 4096, None);
    let store = Store::open(
        dir.path().to_str().unwrap(),
        &small_parts(),
        &Env::default(),
    )
    .unwrap();
    let result = store.copy_backup(&backup, None, &Default::default()).await;
    assert!(
        result
            .as_ref()
            .is_err_and(|e| e.to_string().contains("the backup itself")),
        "{result:?}"
    );
    let local = std::fs::read_to_string(dir.path().join("b.sql.manifest.json")).unwrap();
    assert!(!local.contains("\"copies\""), "{local}");
}
