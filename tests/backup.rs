//! Backups on the real servers: round trips, snapshot consistency, crash safety, verify,
//! restore, secrets, and interoperability with the official `metadata backup`/`restore`.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use om_upgrade::backup::manifest::{self, FileFormat, Method};
use om_upgrade::backup::output::Compression;
use om_upgrade::backup::restore::{self, RestoreError, RestoreRequest};
use om_upgrade::backup::take::{self, BackupRequest};
use om_upgrade::db::Engine;
use tokio_util::sync::CancellationToken;

fn request(db: &TestDb, dir: &Path) -> BackupRequest {
    BackupRequest {
        settings: db.settings(),
        output_dir: dir.to_path_buf(),
        name: None,
        method: Method::Builtin,
        format: FileFormat::Sql,
        compression: Compression::None,
        python: None,
        tuning: Default::default(),
        fernet_key: None,
    }
}

async fn backup(db: &TestDb, dir: &Path) -> take::Backup {
    take::take(&request(db, dir), None, CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("backup of {}: {e}", db.url))
}

async fn restore_into(
    file: &Path,
    target: &TestDb,
    replace: bool,
) -> Result<restore::Restored, RestoreError> {
    restore::restore(
        RestoreRequest {
            replace_existing: replace,
            ..RestoreRequest::new(file.to_path_buf(), target.settings())
        },
        None,
        CancellationToken::new(),
    )
    .await
}

/// A table with every kind of value that breaks naive dumpers.
async fn add_tricky_table(db: &TestDb) {
    let conn = db.connect().await;
    let big: String = {
        let items: Vec<String> = (0..90_000)
            .map(|i| format!("{{\"k\":{i},\"v\":\"élément \\\"{i}\\\" \\\\ ok\"}}"))
            .collect();
        format!("{{\"items\":[{}]}}", items.join(","))
    };
    assert!(big.len() > 3_000_000, "{}", big.len());
    let texts = [
        "plain",
        "it's \"quoted\"",
        "back\\slash \\n not a newline \\",
        "line\nbreak\r\nand\ttab",
        "unicode: naïve 数据 بيانات 🚀 \u{2028}",
        "",
        "%s %% :name $1 ?",
        "'); DROP TABLE x; --",
    ];
    let binary: Vec<u8> = (0u8..=255).collect();
    match db.engine {
        Engine::Postgres => {
            conn.execute_script(
                "CREATE TABLE omu_tricky (id integer PRIMARY KEY, txt text, bin bytea, js jsonb, j json, \
                 ts timestamp, tstz timestamptz, flag boolean, num numeric(20,6), dbl double precision, empty text)",
            )
            .await
            .unwrap();
            let pool = conn.pg_pool().unwrap();
            for (i, text) in texts.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO omu_tricky VALUES ($1, $2, $3, $4::jsonb, $5::json, '1999-12-31 23:59:59.123456', \
                     '2038-01-19 03:14:07+02', $6, 12345678901234.123456, 0.1, '')",
                )
                .bind(i as i32)
                .bind(*text)
                .bind(&binary)
                .bind(serde_json::json!({"text": text, "n": i}).to_string())
                .bind(format!("{{ \"spacing\" :  \"kept\", \"dup\": 1, \"dup\": 2, \"t\": {} }}", serde_json::json!(text)))
                .bind(i % 2 == 0)
                .execute(pool)
                .await
                .unwrap();
            }
            sqlx::query("INSERT INTO omu_tricky (id, txt, js) VALUES (100, NULL, $1::jsonb)")
                .bind(&big)
                .execute(pool)
                .await
                .unwrap();
        }
        Engine::Mysql => {
            conn.execute_script(
                "CREATE TABLE omu_tricky (id INT PRIMARY KEY, txt LONGTEXT, bin LONGBLOB, js JSON, \
                 ts TIMESTAMP(6) NULL, dt DATETIME(6), flag BOOLEAN, num DECIMAL(20,6), dbl DOUBLE, \
                 empty VARCHAR(10)) DEFAULT CHARSET=utf8mb4",
            )
            .await
            .unwrap();
            let pool = conn.mysql_pool().unwrap();
            for (i, text) in texts.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO omu_tricky VALUES (?, ?, ?, ?, '2038-01-19 03:14:07.5', '1999-12-31 23:59:59.123456', ?, 12345678901234.123456, 0.1, '')",
                )
                .bind(i as i32)
                .bind(format!("{text}\0nul"))
                .bind(&binary)
                .bind(serde_json::json!({"text": text, "n": i}).to_string())
                .bind(i % 2 == 0)
                .execute(pool)
                .await
                .unwrap();
            }
            sqlx::query("INSERT INTO omu_tricky (id, txt, js) VALUES (100, NULL, ?)")
                .bind(&big)
                .execute(pool)
                .await
                .unwrap();
        }
    }
    conn.close().await;
}

#[tokio::test]
async fn round_trip_restores_every_table_identically_including_tricky_values() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 2).await;
        add_tricky_table(&source).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup(&source, dir.path()).await;
        assert!(made.path.exists());
        assert!(
            made.manifest
                .tables
                .iter()
                .any(|t| t.name == "omu_tricky" && t.rows == 9)
        );

        let target = TestDb::new(engine).await;
        let restored = restore_into(&made.path, &target, false).await.unwrap();
        assert!(
            restored.mismatches().is_empty(),
            "{engine}: {:?}",
            restored.mismatches()
        );

        // The servers' own fingerprints, independent of om-upgrade's serializer.
        let a = server_fingerprints(&source.connect().await).await;
        let b = server_fingerprints(&target.connect().await).await;
        assert_eq!(a.len(), 56, "{engine}: {a:?}");
        for (table, fingerprint) in &a {
            assert_eq!(
                Some(fingerprint),
                b.get(table),
                "{engine}: table {table} differs after the round trip"
            );
        }
    }
}

#[tokio::test]
async fn a_concurrent_writer_does_not_break_the_snapshot() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 3).await;
        let conn = source.connect().await;
        // Written together in one transaction: in any consistent snapshot both have the same rows.
        conn.execute_script("CREATE TABLE aaa_first (id INTEGER PRIMARY KEY); CREATE TABLE zzz_last (id INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        let stop = CancellationToken::new();
        let writer = {
            let stop = stop.clone();
            let url = source.url.clone();
            tokio::spawn(async move {
                let db = om_upgrade::db::Db::connect(&settings_for(&url))
                    .await
                    .unwrap();
                let mut id = 0;
                while !stop.is_cancelled() {
                    id += 1;
                    let sql = match db.engine() {
                        Engine::Postgres => format!(
                            "BEGIN; INSERT INTO aaa_first VALUES ({id}); INSERT INTO zzz_last VALUES ({id}); COMMIT;"
                        ),
                        Engine::Mysql => format!(
                            "START TRANSACTION; INSERT INTO aaa_first VALUES ({id}); INSERT INTO zzz_last VALUES ({id}); COMMIT;"
                        ),
                    };
                    db.execute_script(&sql).await.unwrap();
                }
                db.close().await;
                id
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup(&source, dir.path()).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.cancel();
        let written = writer.await.unwrap();
        let rows = |name: &str| {
            made.manifest
                .tables
                .iter()
                .find(|t| t.name == name)
                .unwrap()
                .rows
        };
        let (first, last) = (rows("aaa_first"), rows("zzz_last"));
        assert!(first > 0, "{engine}: the writer had not started");
        assert_eq!(first, last, "{engine}: tables read at different moments");
        assert!(
            written as u64 > first,
            "{engine}: the writer went on after the snapshot ({written} > {first})"
        );
        conn.close().await;
    }
}

fn partials(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect()
}

fn finals(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect()
}

/// Starts `om-upgrade backup` and waits until its partial file has grown.
fn start_backup(db: &TestDb, dir: &Path) -> std::process::Child {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_om-upgrade"))
        .args([
            "backup",
            "--db-url",
            &db.url,
            "-o",
            dir.to_str().unwrap(),
            "--name",
            "slow.sql",
        ])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if partials(dir).iter().any(|p| {
            std::fs::metadata(p)
                .map(|m| m.len() > 4096)
                .unwrap_or(false)
        }) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

#[tokio::test]
async fn a_killed_backup_never_leaves_a_final_file_and_the_next_run_cleans_up() {
    let (db, _) = TestDb::demo(Engine::Postgres, 60).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = start_backup(&db, dir.path());
    assert_eq!(
        partials(dir.path()).len(),
        1,
        "the backup should be running"
    );
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert!(
        finals(dir.path()).is_empty(),
        "a killed backup left {:?}",
        finals(dir.path())
    );
    assert_eq!(partials(dir.path()).len(), 1);

    let out = run(
        &[
            "backup",
            "--db-url",
            &db.url,
            "-o",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("slow.sql.partial, left by a backup that did not finish"),
        "{}",
        stderr(&out)
    );
    assert!(partials(dir.path()).is_empty());
    assert_eq!(finals(dir.path()).len(), 1);
}

#[tokio::test]
async fn ctrl_c_cancels_cleanly() {
    let (db, _) = TestDb::demo(Engine::Mysql, 60).await;
    let dir = tempfile::tempdir().unwrap();
    let child = start_backup(&db, dir.path());
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
        rustix::process::Signal::INT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cancelled"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(partials(dir.path()).is_empty() && finals(dir.path()).is_empty());
}

#[tokio::test]
async fn verify_catches_a_flipped_byte_a_truncation_and_a_missing_manifest() {
    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup(&db, dir.path()).await;
    let good = run(&["verify", made.path.to_str().unwrap()], &[]);
    assert_eq!(good.status.code(), Some(0), "{}", stdout(&good));
    assert!(stdout(&good).contains("OK: 55 tables"), "{}", stdout(&good));

    let copy = |name: &str, edit: &dyn Fn(&mut Vec<u8>), manifest: bool| -> PathBuf {
        let path = dir.path().join(name);
        let mut bytes = std::fs::read(&made.path).unwrap();
        edit(&mut bytes);
        std::fs::write(&path, bytes).unwrap();
        if manifest {
            std::fs::copy(&made.manifest_path, manifest::path_for(&path)).unwrap();
        }
        path
    };
    let flipped = copy(
        "flipped.sql",
        &|b| {
            let at = b.windows(8).position(|w| w == b"Line one").unwrap();
            b[at] ^= 0x01;
        },
        true,
    );
    let out = run(&["verify", flipped.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("SHA-256 differs")
            && text.contains("the rows differ from what was backed up"),
        "{text}"
    );

    let truncated = copy("truncated.sql", &|b| b.truncate(b.len() * 2 / 3), true);
    let out = run(
        &["verify", truncated.to_str().unwrap(), "--format", "json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["report"]["findings"].to_string();
    assert!(findings.contains("truncated"), "{findings}");

    let lonely = copy("lonely.sql", &|_| {}, false);
    let out = run(&["verify", lonely.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("no manifest next to the backup"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn restore_refuses_a_non_empty_database_and_replaces_it_with_force() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup(&source, dir.path()).await;
        let (other, _) = TestDb::demo(engine, 2).await;
        let out = run(
            &[
                "restore",
                made.path.to_str().unwrap(),
                "--db-url",
                &other.url,
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("refuses to overwrite it without --force"),
            "{}",
            stderr(&out)
        );

        let out = run(
            &[
                "restore",
                made.path.to_str().unwrap(),
                "--db-url",
                &other.url,
                "--force",
                "--yes",
            ],
            &[],
        );
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        assert_eq!(
            server_fingerprints(&source.connect().await).await,
            server_fingerprints(&other.connect().await).await,
            "{engine}"
        );
    }
}

/// Appends a statement that the server refuses, and re-seals the manifest.
fn poison(made: &take::Backup, dir: &Path, statement: &str) -> PathBuf {
    let path = dir.join("poisoned.sql");
    let text = std::fs::read_to_string(&made.path).unwrap();
    let cut = text.find("-- om-upgrade backup complete").unwrap();
    let poisoned = format!("{}{statement}\n{}", &text[..cut], &text[cut..]);
    std::fs::write(&path, &poisoned).unwrap();
    let mut m = made.manifest.clone();
    let (sha, bytes) = om_upgrade::backup::output::sha256_file(&path).unwrap();
    m.file.sha256 = sha;
    m.file.bytes = bytes;
    manifest::write(&path, &m).unwrap();
    path
}

#[tokio::test]
async fn a_failing_statement_stops_the_restore_with_table_line_and_cause() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup(&source, dir.path()).await;
        let statement = match engine {
            Engine::Mysql => {
                "INSERT INTO `tag_usage` (`source`, `tagFQN`, `tagFQNHash`, `targetFQNHash`, `labelType`, `state`) VALUES (0,'x',NULL,'y',0,1);"
            }
            Engine::Postgres => "INSERT INTO \"tag_usage\" (\"source\") VALUES (0);",
        };
        let poisoned = poison(&made, dir.path(), statement);
        let target = TestDb::new(engine).await;
        let out = run(
            &[
                "restore",
                poisoned.to_str().unwrap(),
                "--db-url",
                &target.url,
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains("table tag_usage") && err.contains("the server refused the statement"),
            "{engine}: {err}"
        );
        assert!(err.contains("line "), "{err}");
        if engine == Engine::Postgres {
            // One transaction: nothing of the restore remains.
            let tables = om_upgrade::db::inspect::tables(&target.connect().await)
                .await
                .unwrap();
            assert!(
                tables.is_empty(),
                "rolled back, but found {} tables",
                tables.len()
            );
        }
    }
}

#[tokio::test]
async fn restore_refuses_a_file_that_changed_after_the_backup() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup(&source, dir.path()).await;
    let mut bytes = std::fs::read(&made.path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&made.path, bytes).unwrap();
    let target = TestDb::new(Engine::Postgres).await;
    let error = restore_into(&made.path, &target, false).await.unwrap_err();
    assert!(matches!(error, RestoreError::Damaged { .. }), "{error}");
}

#[tokio::test]
async fn test_restore_proves_the_backup_and_is_recorded_for_the_recent_backup_check() {
    for engine in ENGINES {
        let (db, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            &[
                "backup",
                "--db-url",
                &db.url,
                "-o",
                dir.path().to_str().unwrap(),
                "--test-restore",
                "--json",
            ],
            &[],
        );
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let tables = result["test_restore"]["tables"].as_array().unwrap();
        assert_eq!(tables.len(), 55);
        assert!(
            tables.iter().all(|t| t["checksum_matches"] == true),
            "{result}"
        );
        assert_eq!(result["test_restore"]["dropped"], true);

        let listing = run(
            &["backups", dir.path().to_str().unwrap(), "--format", "json"],
            &[],
        );
        let entries: serde_json::Value = serde_json::from_slice(&listing.stdout).unwrap();
        let entry = entries
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["database"] == db.name.as_str())
            .unwrap();
        assert_eq!(entry["verified"], true);
        assert_eq!(entry["openmetadata_version"], "1.1.5");

        let check = check_json(&run(
            &[
                "check",
                "--db-url",
                &db.url,
                "--backup-dir",
                dir.path().to_str().unwrap(),
                "--format",
                "json",
            ],
            &[],
        ));
        let recent = check_by_id(&check, "backup.recent");
        assert_eq!(recent["status"], "pass", "{recent}");
    }
}

#[tokio::test]
async fn compressed_backups_verify_and_restore() {
    for (engine, compression) in [(Engine::Postgres, "zstd"), (Engine::Mysql, "gzip")] {
        let (db, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            &[
                "backup",
                "--db-url",
                &db.url,
                "-o",
                dir.path().to_str().unwrap(),
                "--compress",
                compression,
                "--json",
            ],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let path = result["path"].as_str().unwrap().to_string();
        assert!(
            path.ends_with(if compression == "zstd" {
                ".sql.zst"
            } else {
                ".sql.gz"
            }),
            "{path}"
        );
        assert_eq!(run(&["verify", &path], &[]).status.code(), Some(0));
        let target = TestDb::new(engine).await;
        let restored = restore_into(Path::new(&path), &target, false)
            .await
            .unwrap();
        assert!(restored.mismatches().is_empty());
    }
}

#[tokio::test]
async fn native_tools_back_up_and_restore_with_the_password_out_of_argv() {
    // A MySQL user with a password, and wrappers that record how they were called.
    let (source, demo) = TestDb::demo(Engine::Mysql, 1).await;
    let secret = "Native-Secret-77";
    let user = MysqlUser::create(&source, "u", secret, "ALL").await;
    let user = &user.name;
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("calls.log");
    let real =
        om_upgrade::backup::external::find_on_path("mysqldump").expect("mysqldump on this machine");
    executable(
        &bin.path().join("mysqldump"),
        &format!(
            "#!/bin/sh\necho \"$@\" >> {}\nexec {} \"$@\"\n",
            log.display(),
            real.display()
        ),
    );
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "backup",
            "-H",
            "127.0.0.1",
            "-u",
            user,
            "-d",
            &source.name,
            "-o",
            dir.path().to_str().unwrap(),
            "--method",
            "native",
            "--json",
        ],
        &[("DB_USER_PASSWORD", secret), ("PATH", &path)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains("--single-transaction") && calls.contains("--defaults-extra-file="),
        "{calls}"
    );
    assert!(
        !calls.contains(secret),
        "the password was on the command line: {calls}"
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = result["path"].as_str().unwrap();
    for leak in [
        std::fs::read_to_string(file).unwrap(),
        std::fs::read_to_string(format!("{file}.manifest.json")).unwrap(),
        stdout(&out),
        stderr(&out),
    ] {
        assert!(!leak.contains(secret), "the password leaked");
    }
    assert_eq!(result["rows"], demo.rows.values().sum::<u64>());
    // And it restores through the mysql client.
    let target = TestDb::new(Engine::Mysql).await;
    let restored = restore_into(Path::new(file), &target, false).await.unwrap();
    assert!(
        restored.mismatches().is_empty(),
        "{:?}",
        restored.mismatches()
    );
}

#[tokio::test]
async fn pg_dump_backups_restore_through_psql() {
    let (source, demo) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "backup",
            "--db-url",
            &source.url,
            "-o",
            dir.path().to_str().unwrap(),
            "--method",
            "native",
            "--json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["rows"], demo.rows.values().sum::<u64>());
    let target = TestDb::new(Engine::Postgres).await;
    restore_into(Path::new(result["path"].as_str().unwrap()), &target, false)
        .await
        .unwrap();
    assert_eq!(
        server_fingerprints(&source.connect().await).await,
        server_fingerprints(&target.connect().await).await
    );
}

/// A stand-in for `python -m metadata backup` that records its argv and environment and
/// "writes" the backup `file`.
fn fake_metadata_python(dir: &Path, file: &Path) -> PathBuf {
    let script = dir.join("python");
    executable(
        &script,
        &format!(
            "#!/bin/sh\n\
             echo \"ARGV $@\" >> {log}\n\
             env | grep -E 'PASS|PGPASSFILE' >> {log}\n\
             for a in \"$@\"; do case \"$a\" in read_default_file=*) cat \"${{a#read_default_file=}}\" >> {log};; esac; done\n\
             [ -n \"$PGPASSFILE\" ] && cat \"$PGPASSFILE\" >> {log}\n\
             while [ $# -gt 0 ]; do [ \"$1\" = --output ] && out=$2; shift; done\n\
             cp {file} \"$out/openmetadata_202601010101_backup.sql\"\n\
             echo \"Backup stored locally under $out/openmetadata_202601010101_backup.sql\" >&2\n",
            log = dir.join("calls.log").display(),
            file = file.display()
        ),
    );
    script
}

/// Writes a script that can be run (mode 0755).
fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn metadata_cli_gets_the_password_from_a_file_not_argv() {
    let secret = "Cli-Secret-99";
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        // Postgres here trusts any password; on MariaDB make a user that has this one.
        let mysql_user = match engine {
            Engine::Postgres => None,
            Engine::Mysql => Some(MysqlUser::create(&source, "u", secret, "ALL").await),
        };
        let user = mysql_user.as_ref().map_or("postgres", |u| u.name.as_str());
        let bin = tempfile::tempdir().unwrap();
        // What the official CLI would write: every table (a file without them is refused).
        let mut om_cli = request(&source, bin.path());
        om_cli.format = FileFormat::OmCli;
        om_cli.name = Some("om-cli.sql".into());
        let file = take::take(&om_cli, None, CancellationToken::new())
            .await
            .unwrap()
            .path;
        let python = fake_metadata_python(bin.path(), &file);
        let dir = tempfile::tempdir().unwrap();
        let engine_flag = engine.to_string();
        let out = run(
            &[
                "backup",
                "--engine",
                &engine_flag,
                "-H",
                "127.0.0.1",
                "-u",
                user,
                "-d",
                &source.name,
                "-o",
                dir.path().to_str().unwrap(),
                "--method",
                "metadata-cli",
                "--python",
                python.to_str().unwrap(),
                "--json",
            ],
            &[("DB_USER_PASSWORD", secret)],
        );
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        let calls = std::fs::read_to_string(bin.path().join("calls.log")).unwrap();
        let argv = calls.lines().find(|l| l.starts_with("ARGV")).unwrap();
        assert!(!argv.contains(secret), "password in argv: {argv}");
        assert!(argv.contains("-m metadata backup"), "{argv}");
        // It reached the tool through a private file.
        assert!(
            calls
                .lines()
                .any(|l| !l.starts_with("ARGV") && l.contains(secret)),
            "{calls}"
        );
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let manifest = std::fs::read_to_string(result["manifest"].as_str().unwrap()).unwrap();
        assert!(
            manifest.contains("\"method\": \"metadata-cli\"") && !manifest.contains(secret),
            "{manifest}"
        );
    }
}

#[tokio::test]
async fn om_cli_backups_are_accepted_by_the_official_restore() {
    let Some(python) = peer_python() else { return };
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        // The official restore needs the schema in place: restore our full backup first.
        let full = backup(&source, dir.path()).await;
        let target = TestDb::new(engine).await;
        restore_into(&full.path, &target, false).await.unwrap();
        // Change the source so the target only matches if the om-cli file really loads.
        source
            .connect()
            .await
            .execute_script("DELETE FROM tag_usage; DELETE FROM entity_usage")
            .await
            .unwrap();
        let mut req = request(&source, dir.path());
        req.format = FileFormat::OmCli;
        req.name = Some("om-cli.sql".into());
        let cli_file = take::take(&req, None, CancellationToken::new())
            .await
            .unwrap();
        let mut command = std::process::Command::new(&python);
        command.args([
            "-m",
            "metadata",
            "restore",
            "-H",
            "127.0.0.1",
            "-d",
            &target.name,
            "--input",
            cli_file.path.to_str().unwrap(),
        ]);
        match engine {
            Engine::Mysql => command.args(["-u", "root", "-p", "", "--port", "3306"]),
            Engine::Postgres => command.args([
                "-u", "postgres", "-p", "x", "--port", "5432", "-s", "public",
            ]),
        };
        let out = command.output().unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            log.contains("Restore finished. 0 queries failed"),
            "{engine}: {log}"
        );
        let a = server_fingerprints(&source.connect().await).await;
        let b = server_fingerprints(&target.connect().await).await;
        for (table, fingerprint) in &a {
            if [
                "SERVER_CHANGE_LOG",
                "server_change_log",
                "SERVER_MIGRATION_SQL_LOGS",
                "server_migration_sql_logs",
                "DATABASE_CHANGE_LOG",
            ]
            .contains(&table.as_str())
            {
                continue;
            }
            assert_eq!(Some(fingerprint), b.get(table), "{engine}: {table}");
        }
    }
}

/// Runs the official `metadata backup` on a test database; returns the file it wrote.
fn official_backup(python: &Path, source: &TestDb, dir: &Path) -> PathBuf {
    let mut command = std::process::Command::new(python);
    command.args([
        "-m",
        "metadata",
        "backup",
        "-H",
        "127.0.0.1",
        "-d",
        &source.name,
        "--output",
        dir.to_str().unwrap(),
    ]);
    match source.engine {
        Engine::Mysql => command.args(["-u", "root", "-p", "", "--port", "3306"]),
        Engine::Postgres => command.args([
            "-u", "postgres", "-p", "x", "--port", "5432", "-s", "public",
        ]),
    };
    let out = command.output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    om_upgrade::backup::external::parse_backup_path(&log).unwrap_or_else(|| panic!("{log}"))
}

#[tokio::test]
async fn files_of_metadata_backup_are_accepted_by_verify_and_restore() {
    let Some(python) = peer_python() else { return };
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        // Apart: the official CLI appends to an existing file of the same minute-stamped name.
        let ours = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let full = backup(&source, ours.path()).await;
        // `metadata backup` 1.1.7.5 writes only `json` for profiler_data_time_series and drops
        // its entityFQNHash: on MySQL (NOT NULL) such a file cannot be restored, and our restore
        // says so instead of counting a failure and going on.
        if engine == Engine::Mysql {
            let lossy = official_backup(&python, &source, dir.path());
            let target = TestDb::new(engine).await;
            restore_into(&full.path, &target, false).await.unwrap();
            let out = run(
                &[
                    "restore",
                    lossy.to_str().unwrap(),
                    "--db-url",
                    &target.url,
                    "--force",
                    "--yes",
                    "--allow-incomplete",
                ],
                &[],
            );
            assert_eq!(out.status.code(), Some(1));
            assert!(
                stderr(&out).contains("table profiler_data_time_series"),
                "{}",
                stderr(&out)
            );
            std::fs::remove_file(&lossy).unwrap();
        }
        source
            .connect()
            .await
            .execute_script("DELETE FROM profiler_data_time_series")
            .await
            .unwrap();
        let file = official_backup(&python, &source, dir.path());
        let engine_flag = engine.to_string();
        let verified = run(
            &[
                "verify",
                file.to_str().unwrap(),
                "--engine",
                &engine_flag,
                "--format",
                "json",
            ],
            &[],
        );
        assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
        let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
        assert_eq!(report["report"]["kind"], "statements");

        // Its restore needs the schema: give the target our full backup, then replace the data.
        let target = TestDb::new(engine).await;
        restore_into(&full.path, &target, false).await.unwrap();
        // Nothing proves such a file complete: it loads only when the operator says so.
        let refused = run(
            &[
                "restore",
                file.to_str().unwrap(),
                "--db-url",
                &target.url,
                "--force",
                "--yes",
            ],
            &[],
        );
        assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
        assert!(
            stderr(&refused).contains("--allow-incomplete"),
            "{}",
            stderr(&refused)
        );
        let out = run(
            &[
                "restore",
                file.to_str().unwrap(),
                "--db-url",
                &target.url,
                "--force",
                "--yes",
                "--allow-incomplete",
            ],
            &[],
        );
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        // It rewrites JSON text (json.dumps), so compare JSON by meaning.
        let a = semantic_fingerprints(&source.connect().await).await;
        let b = semantic_fingerprints(&target.connect().await).await;
        for (table, fingerprint) in &a {
            // The official CLI leaves out the bookkeeping; the target keeps its own (older) rows.
            if table.to_ascii_lowercase().contains("change_log")
                || table.to_ascii_lowercase().contains("migration")
            {
                continue;
            }
            assert_eq!(Some(fingerprint), b.get(table), "{engine}: {table}");
        }
    }
}

#[tokio::test]
async fn postgres_tables_read_in_page_ranges_by_several_readers_restore_identically() {
    let (source, _) = TestDb::demo(Engine::Postgres, 2).await;
    add_tricky_table(&source).await;
    let dir = tempfile::tempdir().unwrap();
    let mut req = request(&source, dir.path());
    // Tiny ranges and three readers: every table of any size is read in many interleaved parts.
    req.tuning = om_upgrade::backup::dump::Tuning {
        readers: 3,
        range_pages: 2,
    };
    let made = take::take(&req, None, CancellationToken::new())
        .await
        .unwrap();
    let text = std::fs::read_to_string(&made.path).unwrap();
    let blocks = text.matches("COPY \"profiler_data_time_series\"").count();
    assert!(blocks > 10, "expected many COPY blocks, found {blocks}");
    let verified = run(&["verify", made.path.to_str().unwrap()], &[]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));

    let target = TestDb::new(Engine::Postgres).await;
    let restored = restore_into(&made.path, &target, false).await.unwrap();
    assert!(
        restored.mismatches().is_empty(),
        "{:?}",
        restored.mismatches()
    );
    assert_eq!(
        server_fingerprints(&source.connect().await).await,
        server_fingerprints(&target.connect().await).await
    );
}

/// The official CLI's driver reads the option file with configparser, not as `mysql` does:
/// quotes, backslashes and `#` in a password must reach the server unchanged.
#[tokio::test]
async fn metadata_cli_backs_up_with_a_password_full_of_quotes() {
    let Some(python) = peer_python() else { return };
    let secret = r#"Au:d"it\3 #pw'"#;
    let (source, _) = TestDb::demo(Engine::Mysql, 1).await;
    let user = MysqlUser::create(&source, "q", secret, "ALL").await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "backup",
            "--engine",
            "mysql",
            "-H",
            "127.0.0.1",
            "-u",
            &user.name,
            "-d",
            &source.name,
            "-o",
            dir.path().to_str().unwrap(),
            "--method",
            "metadata-cli",
            "--python",
            python.to_str().unwrap(),
            "--json",
        ],
        &[("DB_USER_PASSWORD", secret)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(result["rows"].as_u64().unwrap() > 0, "{result}");
}

#[tokio::test]
async fn a_test_restore_without_the_right_to_create_databases_says_what_to_grant() {
    let (source, _) = TestDb::demo(Engine::Mysql, 1).await;
    let user = MysqlUser::create(&source, "ro", "ro-pw", "SELECT, SHOW VIEW").await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "backup",
            "--engine",
            "mysql",
            "-H",
            "127.0.0.1",
            "-u",
            &user.name,
            "-d",
            &source.name,
            "-o",
            dir.path().to_str().unwrap(),
            "--test-restore",
        ],
        &[("DB_USER_PASSWORD", "ro-pw")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("may not create or fill a scratch database") && err.contains("GRANT ALL ON"),
        "{err}"
    );
}

#[tokio::test]
async fn metadata_cli_without_the_ingestion_package_says_how_to_install_it() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let bin = tempfile::tempdir().unwrap();
    let python = bin.path().join("python");
    executable(
        &python,
        "#!/bin/sh\necho '/usr/bin/python3: No module named metadata' >&2\nexit 1\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "backup",
            "--db-url",
            &source.url,
            "-o",
            dir.path().to_str().unwrap(),
            "--method",
            "metadata-cli",
            "--python",
            python.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("openmetadata-ingestion in") && err.contains("pip install"),
        "{err}"
    );
}

/// PostgreSQL leaves `reltuples` at -1 until a table is first vacuumed or analyzed: the row
/// estimate (what a backup's progress bar and time left run on) then comes from the live
/// tuples the statistics collector counted, not "unknown".
#[tokio::test]
async fn a_never_analyzed_postgres_table_still_has_a_row_estimate() {
    let db = TestDb::new(Engine::Postgres).await;
    let conn = db.connect().await;
    conn.execute_script(
        "CREATE TABLE fresh (id int); INSERT INTO fresh SELECT generate_series(1, 500);",
    )
    .await
    .unwrap();
    let reltuples = conn
        .fetch_i64(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'fresh'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(reltuples, -1, "a new table is not analyzed yet");
    // The statistics reach the collector within about a second of the commit.
    let started = std::time::Instant::now();
    loop {
        let sizes = om_upgrade::db::inspect::table_sizes(&conn).await.unwrap();
        let fresh = sizes.iter().find(|t| t.name == "fresh").expect("the table");
        if fresh.rows == om_upgrade::db::inspect::RowCount::Estimate(500) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no estimate from n_live_tup: {:?}",
            fresh.rows
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
