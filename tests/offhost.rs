//! Backups off the host, end to end through the binary: `backup --copy-to` to the local S3
//! (moto) and Azure (Azurite) servers, `backups URL`, `verify URL`, `restore URL` streamed from
//! the store into a fresh database with every table equal, on PostgreSQL and MariaDB; the
//! same-version guard; an interrupted copy; wrong credentials. Servers that are down fail the
//! tests with how to start them.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::stores::{Bucket, Kind, fixture, s3_env, s3_keys};
use common::*;
use om_upgrade::db::Engine;

async fn fingerprints(db: &TestDb) -> std::collections::BTreeMap<String, String> {
    let conn = db.connect().await;
    let prints = server_fingerprints(&conn).await;
    conn.close().await;
    prints
}

fn env_pairs(buckets: &[&Bucket]) -> Vec<(String, String)> {
    buckets.iter().flat_map(|b| b.env.clone()).collect()
}

fn run_with(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    run(args, &pairs)
}

fn json_of(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\nstdout: {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

fn assert_ok(output: &std::process::Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({:?}):\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
}

/// Every secret of the test environment is absent from the output.
fn assert_no_secrets(output: &std::process::Output, env: &[(String, String)]) {
    let text = format!("{}{}", stdout(output), stderr(output));
    for (name, value) in env {
        if name.contains("SECRET") || name.contains("CONNECTION_STRING") || name.ends_with("KEY_ID")
        {
            assert!(
                !text.contains(value.as_str()),
                "{name} appears in the output"
            );
        }
    }
    assert!(!text.contains(common::stores::AZURITE_KEY));
}

async fn round_trip(engine: Engine) {
    let (source, _) = TestDb::demo(engine, 1).await;
    let s3 = Bucket::new(Kind::S3);
    let az = Bucket::new(Kind::Azure);
    let env = env_pairs(&[&s3, &az]);
    let dir = tempfile::tempdir().unwrap();
    let (s3_url, az_url) = (s3.url("om/prod"), az.url("om/prod"));
    let out = run_with(
        &[
            "backup",
            "--db-url",
            &source.url,
            "-o",
            dir.path().to_str().unwrap(),
            "--copy-to",
            &s3_url,
            "--copy-to",
            &az_url,
            "--json",
        ],
        &env,
    );
    assert_ok(&out, "backup --copy-to");
    assert_no_secrets(&out, &env);
    let result = json_of(&out);
    let path = result["path"].as_str().unwrap().to_string();
    let name = Path::new(&path).file_name().unwrap().to_str().unwrap();
    let copies = result["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 2, "{result}");
    assert_eq!(
        copies[0]["record"]["verified_by"], "store-checksum",
        "S3 verifies by the multipart ETag"
    );
    assert_eq!(copies[1]["record"]["verified_by"], "read-back");

    // The local manifest records both verified copies, and nothing secret.
    let manifest_text = std::fs::read_to_string(format!("{path}.manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text).unwrap();
    let urls: Vec<&str> = manifest["copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [format!("{s3_url}/{name}"), format!("{az_url}/{name}")]
    );
    for (_, value) in &env {
        assert!(!manifest_text.contains(value.as_str()) || value.len() < 12);
    }

    let before = fingerprints(&source).await;
    for url in [&s3_url, &az_url] {
        // Listed as a verified copy, with its manifest.
        let out = run_with(&["backups", url, "--format", "json"], &env);
        assert_ok(&out, "backups URL");
        let listed = json_of(&out);
        let entries = listed.as_array().unwrap();
        assert_eq!(entries.len(), 1, "{listed}");
        assert_eq!(entries[0]["state"], "verified-copy");
        assert_eq!(
            entries[0]["manifest"]["file"]["sha256"], result["sha256"],
            "{listed}"
        );

        let object = format!("{url}/{name}");
        let out = run_with(&["verify", &object, "--format", "json"], &env);
        assert_ok(&out, "verify URL");
        assert_eq!(json_of(&out)["ok"], true);

        // Restored straight from the store into a fresh database: every table equal.
        let target = TestDb::new(engine).await;
        let out = run_with(&["restore", &object, "--db-url", &target.url], &env);
        assert_ok(&out, "restore URL");
        assert_no_secrets(&out, &env);
        assert!(
            stdout(&out).contains("Start OpenMetadata "),
            "{}",
            stdout(&out)
        );
        assert_eq!(before, fingerprints(&target).await, "{engine} from {url}");
    }
}

#[tokio::test]
async fn postgres_backup_copied_to_s3_and_azure_restores_from_each() {
    round_trip(Engine::Postgres).await;
}

#[tokio::test]
async fn mysql_backup_copied_to_s3_and_azure_restores_from_each() {
    round_trip(Engine::Mysql).await;
}

/// The history of `db` says `version` (its newest migration row is rewritten).
async fn set_history_version(db: &TestDb, version: &str) {
    let conn = db.connect().await;
    let sql = match db.engine {
        Engine::Postgres => format!(
            "UPDATE server_change_log SET version = '{version}' WHERE installed_rank = \
             (SELECT MAX(installed_rank) FROM server_change_log)"
        ),
        Engine::Mysql => format!(
            "UPDATE SERVER_CHANGE_LOG SET version = '{version}' ORDER BY installed_rank DESC LIMIT 1"
        ),
    };
    conn.execute_script(&sql).await.unwrap();
    conn.close().await;
}

#[tokio::test]
async fn restore_refuses_another_openmetadata_version_without_force() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            &[
                "backup",
                "--db-url",
                &source.url,
                "-o",
                dir.path().to_str().unwrap(),
                "--json",
            ],
            &[],
        );
        assert_ok(&out, "backup");
        let result = json_of(&out);
        let file = result["path"].as_str().unwrap().to_string();
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{file}.manifest.json")).unwrap(),
        )
        .unwrap();
        let version = manifest["source"]["openmetadata_version"]
            .as_str()
            .expect("the demo has a version")
            .to_string();

        let (target, _) = TestDb::demo(engine, 1).await;
        set_history_version(&target, "9.9.9").await;
        let before = fingerprints(&target).await;
        let out = run(&["restore", &file, "--db-url", &target.url, "--json"], &[]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let text = stderr(&out);
        assert!(
            text.contains(&format!("the backup is of OpenMetadata {version}"))
                && text.contains("says 9.9.9"),
            "{text}"
        );
        assert_eq!(before, fingerprints(&target).await, "the target changed");

        let out = run(
            &[
                "restore",
                &file,
                "--db-url",
                &target.url,
                "--force",
                "--yes",
            ],
            &[],
        );
        assert_ok(&out, "restore --force");
        assert!(
            stderr(&out).contains("--force was given"),
            "{}",
            stderr(&out)
        );
        assert_eq!(fingerprints(&source).await, fingerprints(&target).await);
        // Over a database that had a history, it does not tell which server to start.
        assert!(!stdout(&out).contains("Start OpenMetadata"));

        // Into an empty database: the server version to start against it is said.
        let empty = TestDb::new(engine).await;
        let out = run(&["restore", &file, "--db-url", &empty.url], &[]);
        assert_ok(&out, "restore into an empty database");
        assert!(
            stdout(&out).contains(&format!(
                "Start OpenMetadata {version} against this database"
            )),
            "{}",
            stdout(&out)
        );

        // Without a manifest the version is unknown: a warning, not a refusal.
        let lone = dir.path().join("lone.sql");
        std::fs::copy(&file, &lone).unwrap();
        let empty = TestDb::new(engine).await;
        let out = run(
            &["restore", lone.to_str().unwrap(), "--db-url", &empty.url],
            &[],
        );
        assert_ok(&out, "restore without manifest");
        assert!(
            stderr(&out).contains("no manifest, so its OpenMetadata version is unknown"),
            "{}",
            stderr(&out)
        );
    }
}

/// A backup-shaped file of `bytes` pseudo-random bytes with a manifest that describes it.
fn big_backup(dir: &Path, bytes: usize) -> std::path::PathBuf {
    use sha2::Digest as _;
    let path = dir.join("big.sql");
    let mut data = Vec::with_capacity(bytes);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    while data.len() < bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(bytes);
    std::fs::write(&path, &data).unwrap();
    let sha: String = sha2::Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = serde_json::json!({
        "manifest_version": 1, "tool": "om-upgrade", "tool_version": "0.1.0",
        "method": "builtin", "format": "sql",
        "source": {"engine": "postgres", "product": "PostgreSQL", "server_version": "15",
                   "host": "127.0.0.1", "port": 5432, "database": "om",
                   "openmetadata_version": "1.1.5"},
        "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z",
        "consistency": "repeatable-read snapshot", "tables": [],
        "file": {"name": "big.sql", "bytes": bytes, "sha256": sha, "compression": "none"}
    });
    std::fs::write(
        dir.join("big.sql.manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    path
}

#[tokio::test]
async fn an_interrupted_copy_aborts_its_upload_and_stores_nothing() {
    let bucket = Bucket::new(Kind::S3);
    let dir = tempfile::tempdir().unwrap();
    let file = big_backup(dir.path(), 96 << 20);
    let url = bucket.url("om");
    let mut child = Command::new(env!("CARGO_BIN_EXE_om-upgrade"))
        .args(["copy", file.to_str().unwrap(), &url])
        .envs(bucket.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the multipart upload exists, then interrupt as Ctrl-C does.
    let deadline = Instant::now() + Duration::from_secs(60);
    while fixture(Kind::S3, "pending-uploads", &bucket.name) != "1" {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the copy ended before it was interrupted"
        );
        assert!(Instant::now() < deadline, "no upload started");
        std::thread::sleep(Duration::from_millis(100));
    }
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::INT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("cancelled"), "{}", stderr(&out));
    // Nothing under the final names, and the unfinished upload was aborted.
    assert_eq!(fixture(Kind::S3, "pending-uploads", &bucket.name), "0");
    let out = run_with(&["backups", &url, "--format", "json"], &bucket.env);
    assert_ok(&out, "backups URL");
    assert_eq!(json_of(&out), serde_json::json!([]));
    // And the local manifest records no copy.
    let manifest = std::fs::read_to_string(dir.path().join("big.sql.manifest.json")).unwrap();
    assert!(!manifest.contains("\"copies\""), "{manifest}");
}

#[tokio::test]
async fn wrong_credentials_fail_clearly_with_exit_1_and_are_never_echoed() {
    let bucket = Bucket::new(Kind::S3);
    let dir = tempfile::tempdir().unwrap();
    let file = big_backup(dir.path(), 1024);
    let keys = s3_keys();
    let wrong_secret = "wrongSecretKeyValue0123456789abcdefghijkl";
    let env = s3_env(&keys.access_key_id, wrong_secret, &keys.endpoint);
    let url = bucket.url("om");
    let object = format!("{url}/big.sql");
    for args in [
        vec!["copy", file.to_str().unwrap(), url.as_str()],
        vec!["backups", url.as_str()],
        vec!["verify", object.as_str()],
        vec![
            "restore",
            object.as_str(),
            "--db-url",
            "postgres://postgres@127.0.0.1:5432/x",
        ],
    ] {
        let out = run_with(&args, &env);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let text = stderr(&out);
        assert!(
            text.contains("credentials") && text.contains("were refused"),
            "{args:?}: {text}"
        );
        assert!(!text.contains(wrong_secret) && !text.contains(&keys.access_key_id));
    }
    // A wrong credential is found before a backup is taken, not after.
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let out = run_with(
        &[
            "backup",
            "--db-url",
            &source.url,
            "-o",
            dir.path().to_str().unwrap(),
            "--copy-to",
            &url,
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("were refused"), "{}", stderr(&out));
    let taken = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("openmetadata_")
        })
        .count();
    assert_eq!(
        taken, 0,
        "a backup was taken although its copy could not be made"
    );
    // A missing bucket and an unreachable endpoint: named, exit 1, within the timeout.
    let good = s3_env(&keys.access_key_id, &keys.secret_access_key, &keys.endpoint);
    let missing = format!("s3://{}-missing/om", bucket.name);
    let out = run_with(&["copy", file.to_str().unwrap(), &missing], &good);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    let nowhere = s3_env(
        &keys.access_key_id,
        &keys.secret_access_key,
        "http://127.0.0.1:9",
    );
    let started = Instant::now();
    let out = run_with(
        &["copy", file.to_str().unwrap(), &url, "--store-timeout", "5"],
        &nowhere,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot reach"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(30));
    // A URL that is no destination is a usage error.
    let out = run_with(&["copy", file.to_str().unwrap(), "ftp://x/y"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

// ---- Red-team regressions (notes/17-redteam.md) ----

/// Runs the binary on a pseudo-terminal (`script` from util-linux), so that progress bars are
/// drawn; returns everything the terminal showed.
fn run_on_a_terminal(args: &[&str], env: &[(String, String)]) -> (bool, String) {
    let command = std::iter::once(env!("CARGO_BIN_EXE_om-upgrade"))
        .chain(args.iter().copied())
        .map(om_upgrade::shell::quote)
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    (
        out.status.success(),
        format!("{}{}", stdout(&out), stderr(&out)),
    )
}

#[tokio::test]
async fn quiet_copy_draws_no_progress_bar_on_a_terminal() {
    let bucket = Bucket::new(Kind::S3);
    let dir = tempfile::tempdir().unwrap();
    let file = big_backup(dir.path(), 13 << 20);
    let file = file.to_str().unwrap();
    // Without -q the bar is drawn (so the terminal is one), with -q it is not.
    let (ok, shown) = run_on_a_terminal(&["copy", file, &bucket.url("loud")], &bucket.env);
    assert!(ok, "{shown}");
    assert!(shown.contains("copy ["), "no bar without -q: {shown}");
    let (ok, shown) = run_on_a_terminal(&["-q", "copy", file, &bucket.url("quiet")], &bucket.env);
    assert!(ok, "{shown}");
    assert!(!shown.contains("copy ["), "a bar despite -q: {shown}");
    assert!(shown.contains("Copied and verified"), "{shown}");
}

#[tokio::test]
async fn backups_lists_folders_as_folders_and_urls_as_stores_when_both_are_given() {
    let bucket = Bucket::new(Kind::S3);
    let here = tempfile::tempdir().unwrap();
    let file = big_backup(here.path(), 4096);
    let url = bucket.url("om");
    assert_ok(
        &run_with(&["copy", file.to_str().unwrap(), &url], &bucket.env),
        "copy",
    );
    let folder = here.path().to_str().unwrap();
    for args in [vec![folder, url.as_str()], vec![url.as_str(), folder]] {
        let out = run_with(
            &[&["backups", "--json"][..], &args[..]].concat(),
            &bucket.env,
        );
        assert_ok(&out, "backups DIR URL");
        let entries = json_of(&out);
        let entries = entries.as_array().unwrap();
        let local: Vec<_> = entries
            .iter()
            .filter(|e| e["path"].as_str().is_some_and(|p| p.starts_with(folder)))
            .collect();
        let stored: Vec<_> = entries.iter().filter(|e| e.get("url").is_some()).collect();
        assert_eq!(
            local.len(),
            1,
            "the folder is listed as a folder: {entries:?}"
        );
        assert_eq!(local[0]["path"], file.to_str().unwrap());
        assert_eq!(local[0]["state"], "complete");
        assert_eq!(stored.len(), 1, "the URL is listed as a store: {entries:?}");
        assert_eq!(stored[0]["url"], format!("{url}/big.sql"));
        assert_eq!(stored[0]["state"], "verified-copy");
    }
}

#[tokio::test]
async fn children_of_a_backup_with_copy_to_inherit_no_store_credential() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let az = Bucket::new(Kind::Azure);
    let s3 = Bucket::new(Kind::S3);
    let env = env_pairs(&[&az, &s3]);
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("env.log");
    let real = om_upgrade::backup::external::find_on_path("pg_dump").expect("pg_dump");
    let pg_dump = bin.path().join("pg_dump");
    std::fs::write(
        &pg_dump,
        format!(
            "#!/bin/sh\nenv >> {}\nexec {} \"$@\"\n",
            log.display(),
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &pg_dump,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let dir = tempfile::tempdir().unwrap();
    let out = run_with(
        &[
            "backup",
            "--db-url",
            &source.url,
            "-o",
            dir.path().to_str().unwrap(),
            "--method",
            "native",
            "--copy-to",
            &az.url("om"),
            "--copy-to",
            &s3.url("om"),
        ],
        &[env.clone(), vec![("PATH".into(), path)]].concat(),
    );
    assert_ok(&out, "backup --method native --copy-to");
    let seen = std::fs::read_to_string(&log).unwrap();
    assert!(seen.contains("PATH="), "pg_dump did not run: {seen}");
    for (name, value) in &env {
        if name == "HOME" || name == "AWS_REGION" || name == "AWS_ENDPOINT_URL" {
            continue;
        }
        assert!(
            !seen.contains(&format!("{name}=")) && !seen.contains(value.as_str()),
            "pg_dump inherited {name}"
        );
    }
    assert!(!seen.contains(common::stores::AZURITE_KEY));
}

#[tokio::test]
async fn verify_url_records_its_result_in_the_local_manifest_that_lists_the_copy() {
    let bucket = Bucket::new(Kind::S3);
    let data = tempfile::tempdir().unwrap();
    let folder = data.path().join("backups");
    std::fs::create_dir(&folder).unwrap();
    let file = big_backup(&folder, 4096);
    let env = [
        bucket.env.clone(),
        vec![(
            "OM_UPGRADE_DATA_DIR".into(),
            data.path().to_str().unwrap().into(),
        )],
    ]
    .concat();
    let url = bucket.url("om");
    assert_ok(
        &run_with(&["copy", file.to_str().unwrap(), &url], &env),
        "copy",
    );
    // Random bytes are no SQL: the stored copy fails, and that is what gets recorded.
    let out = run_with(&["verify", &format!("{url}/big.sql"), "--json"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("recorded in"), "{}", stderr(&out));
    let local: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("big.sql.manifest.json")).unwrap(),
    )
    .unwrap();
    let checked = &local["copies"][0]["checked"];
    assert_eq!(checked["ok"], false, "{local}");
    assert!(checked["summary"].is_string(), "{local}");
    let out = run_with(&["backups"], &env);
    assert!(
        stdout(&out).contains("FAILED") && stdout(&out).contains("checked"),
        "{}",
        stdout(&out)
    );
    // The stored manifest is as it was stored.
    let listed = json_of(&run_with(&["backups", &url, "--json"], &env));
    assert!(
        !listed[0]["manifest"].to_string().contains("checked"),
        "{listed}"
    );
    // A copy no local manifest lists: said so, nothing written.
    let other = tempfile::tempdir().unwrap();
    let alone = [
        bucket.env.clone(),
        vec![(
            "OM_UPGRADE_DATA_DIR".into(),
            other.path().to_str().unwrap().into(),
        )],
    ]
    .concat();
    let out = run_with(&["verify", &format!("{url}/big.sql")], &alone);
    assert!(stderr(&out).contains("not recorded"), "{}", stderr(&out));
}

/// A stored PostgreSQL backup is read once by `restore URL`: its SHA-256 is computed while it
/// loads, and an object that no longer matches its manifest is rolled back before the commit.
#[tokio::test]
async fn a_stored_object_changed_after_its_manifest_is_not_restored() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let s3 = Bucket::new(Kind::S3);
    let dir = tempfile::tempdir().unwrap();
    let url = s3.url("om/tampered");
    let out = run_with(
        &[
            "backup",
            "--db-url",
            &source.url,
            "-o",
            dir.path().to_str().unwrap(),
            "--name",
            "b.sql",
            "--copy-to",
            &url,
        ],
        &s3.env,
    );
    assert_ok(&out, "backup --copy-to");
    // The stored object replaced by one with a row changed (same size), its manifest kept.
    let local = dir.path().join("b.sql");
    let mut bytes = std::fs::read(&local).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let start = text.find("COPY \"tag_usage\"").unwrap();
    let row = start + text[start..].find('\n').unwrap() + 1;
    let at = row + text[row..].find(|c: char| c.is_ascii_lowercase()).unwrap();
    bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
    let tampered = dir.path().join("tampered.sql");
    std::fs::write(&tampered, &bytes).unwrap();
    let store = s3.store("om/tampered");
    store.delete("b.sql").await.unwrap();
    store.upload_file(&tampered, "b.sql", None).await.unwrap();
    for jobs in ["1", "2"] {
        let target = TestDb::new(Engine::Postgres).await;
        let object = format!("{url}/b.sql");
        let out = run_with(
            &["restore", &object, "--db-url", &target.url, "--jobs", jobs],
            &s3.env,
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "--jobs {jobs}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("does not match its manifest"),
            "--jobs {jobs}: {}",
            stderr(&out)
        );
        let conn = target.connect().await;
        let tables = om_upgrade::db::inspect::tables(&conn).await.unwrap();
        conn.close().await;
        assert!(tables.is_empty(), "--jobs {jobs}: {tables:?}");
    }
}
