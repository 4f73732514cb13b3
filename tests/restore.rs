//! "Nothing lost, ever": a restore or test restore changes a database only when it was accepted
//! and the whole file loaded; it loads only files proven complete; verify judges files the way
//! restore loads them. On the real servers, with real kills of the real binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use om_upgrade::backup::manifest::{self, FileFormat, Method};
use om_upgrade::backup::output::Compression;
use om_upgrade::backup::take::{self, BackupRequest};
use om_upgrade::db::Engine;
use tokio_util::sync::CancellationToken;

async fn backup_of(db: &TestDb, dir: &Path, format: FileFormat) -> take::Backup {
    let request = BackupRequest {
        settings: db.settings(),
        output_dir: dir.to_path_buf(),
        name: None,
        method: Method::Builtin,
        format,
        compression: Compression::None,
        python: None,
        tuning: Default::default(),
        fernet_key: None,
    };
    take::take(&request, None, CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("backup of {}: {e}", db.url))
}

/// A copy of the backup under `name`, changed by `edit`, without a manifest.
fn lone_copy(made: &take::Backup, name: &str, edit: impl Fn(&mut Vec<u8>)) -> PathBuf {
    let path = made.path.with_file_name(name);
    let mut bytes = std::fs::read(&made.path).unwrap();
    edit(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn restore_cli(file: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    restore_cli_traced(file, url, extra).0
}

/// [`restore_cli`], also giving the restore's process id, which its staging databases carry.
fn restore_cli_traced(file: &Path, url: &str, extra: &[&str]) -> (std::process::Output, u32) {
    let mut args = vec!["restore", file.to_str().unwrap(), "--db-url", url];
    args.extend_from_slice(extra);
    run_traced(&args, &[])
}

async fn database_exists(engine: Engine, name: &str) -> bool {
    let admin = admin(engine).await;
    let sql = match engine {
        Engine::Postgres => "SELECT COUNT(*) FROM pg_database WHERE datname = $1",
        Engine::Mysql => "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
    };
    let n = admin.fetch_i64(sql, &[name]).await.unwrap();
    admin.close().await;
    n > 0
}

/// A name for a database that does not exist (the test drops it if a restore made it).
fn fresh_name(engine: Engine) -> (String, String, DropLater) {
    let name = format!(
        "omu_t_new_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let url = format!("{}/{name}", server_url(engine));
    (
        name.clone(),
        url,
        DropLater {
            engine,
            name: Some(name),
        },
    )
}

/// Drops a database a failing test may have left, whatever happens.
struct DropLater {
    engine: Engine,
    name: Option<String>,
}

impl Drop for DropLater {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            // TestDb's destructor does the dropping.
            drop(TestDb {
                engine: self.engine,
                url: String::new(),
                name,
            });
        }
    }
}

async fn fingerprints(db: &TestDb) -> std::collections::BTreeMap<String, String> {
    let conn = db.connect().await;
    let prints = server_fingerprints(&conn).await;
    conn.close().await;
    prints
}

/// Adds a table of `rows` rows to `db`: something a load takes a moment over.
async fn add_big_table(db: &TestDb, rows: u32) {
    let conn = db.connect().await;
    let sql = match db.engine {
        Engine::Postgres => format!(
            "CREATE TABLE omu_big (id integer PRIMARY KEY, t text); \
             INSERT INTO omu_big SELECT g, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, {rows}) g"
        ),
        Engine::Mysql => {
            let digits = "(SELECT 0 i UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 \
                          UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL \
                          SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
            format!(
                "CREATE TABLE omu_big (id INT PRIMARY KEY, t VARCHAR(80)); \
                 INSERT INTO omu_big SELECT n, CONCAT(MD5(n), MD5(n + 1)) FROM ( \
                 SELECT a.i + 10 * b.i + 100 * c.i + 1000 * d.i + 10000 * e.i + 100000 * f.i AS n \
                 FROM {digits} a, {digits} b, {digits} c, {digits} d, {digits} e, {digits} f) s \
                 WHERE n BETWEEN 1 AND {rows}"
            )
        }
    };
    conn.execute_script(&sql).await.unwrap();
    conn.close().await;
}

/// Makes the target differ from the backup, so that a restore that went through shows.
async fn change_rows(db: &TestDb) {
    let conn = db.connect().await;
    conn.execute_script("DELETE FROM tag_usage; DELETE FROM entity_extension")
        .await
        .unwrap();
    conn.close().await;
}

/// Starts `om-upgrade restore` with `args` (stdin not a terminal).
fn spawn_restore(args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_om-upgrade"));
    command
        .arg("restore")
        .args(args)
        .env_remove("DB_USER_PASSWORD")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().expect("the om-upgrade binary runs")
}

/// Polls `sign` until it holds, then SIGKILLs the child. Fails when the child ends first.
async fn kill_when<F, Fut>(mut child: Child, what: &str, sign: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "the restore ended ({status}) before {what}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if sign().await {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no sign that {what} after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
}

// ---- 1. guards first: a refused test restore changes nothing -------------------------------

#[tokio::test]
async fn refused_test_restore_leaves_target_untouched() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
        // One wrong URL: the "scratch" database is the production one.
        let before = fingerprints(&source).await;
        let out = run(
            &[
                "verify",
                made.path.to_str().unwrap(),
                "--restore-into",
                &source.url,
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("refuses to overwrite it"),
            "{engine}: {}",
            stderr(&out)
        );
        assert_eq!(before, fingerprints(&source).await, "{engine}");
    }
}

// ---- 2. only files proven complete -----------------------------------------------------------

#[tokio::test]
async fn restore_refuses_a_truncated_backup_without_manifest_and_touches_nothing() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
        // Cut between two statements, two thirds in: everything before the cut loads (on
        // PostgreSQL without the indexes and constraints, which come last).
        let boundary = match engine {
            Engine::Mysql => "\n--\n-- table: ",
            Engine::Postgres => "\nCOPY ",
        };
        let truncated = lone_copy(&made, "cut.sql", |b| {
            let text = String::from_utf8(b.clone()).unwrap();
            let at = text[..text.len() * 2 / 3].rfind(boundary).unwrap();
            b.truncate(at + 1);
        });
        let (name, url, _guard) = fresh_name(engine);
        let out = restore_cli(&truncated, &url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is incomplete"),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(
            !database_exists(engine, &name).await,
            "{engine}: the refused restore created {name}"
        );
        // Not even --force and --allow-incomplete load a cut om-upgrade backup over data.
        let before = fingerprints(&source).await;
        let out = restore_cli(
            &truncated,
            &source.url,
            &["--force", "--yes", "--allow-incomplete"],
        );
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
        assert_eq!(before, fingerprints(&source).await, "{engine}");
        // A compressed copy cut short does not decompress to its end.
        let zst = dir.path().join("cut.sql.zst");
        let packed = zstd::encode_all(&std::fs::read(&made.path).unwrap()[..], 3).unwrap();
        std::fs::write(&zst, &packed[..packed.len() / 2]).unwrap();
        let out = restore_cli(&zst, &url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot be decompressed to its end"),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(!database_exists(engine, &name).await, "{engine}");
        // The whole file without its manifest is proven by its end marker.
        let whole = lone_copy(&made, "whole.sql", |_| {});
        let out = restore_cli(&whole, &url, &[]);
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
    }
}

#[tokio::test]
async fn a_forged_end_marker_does_not_hide_missing_rows() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
        // Rows cut out of the middle, the end (and its marker) kept.
        let text = std::fs::read_to_string(&made.path).unwrap();
        let cut = match engine {
            Engine::Mysql => {
                let start = text.find("INSERT INTO `tag_usage`").unwrap();
                let end = start + text[start..].find(";\n").unwrap() + 2;
                format!("{}{}", &text[..start], &text[end..])
            }
            Engine::Postgres => {
                let start = text.find("COPY \"tag_usage\"").unwrap();
                let data = start + text[start..].find('\n').unwrap() + 1;
                let end = data + text[data..].find("\\.\n").unwrap();
                format!("{}{}", &text[..data], &text[end..])
            }
        };
        let forged = dir.path().join("forged.sql");
        std::fs::write(&forged, &cut).unwrap();
        let (name, url, _guard) = fresh_name(engine);
        let out = restore_cli(&forged, &url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("end marker counts"),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(!database_exists(engine, &name).await, "{engine}");
        let verified = run(&["verify", forged.to_str().unwrap()], &[]);
        assert_eq!(verified.status.code(), Some(1), "{}", stdout(&verified));

        // A manifest sealed again over the cut file still records the rows.
        let mut m = made.manifest.clone();
        let (sha, bytes) = om_upgrade::backup::output::sha256_file(&forged).unwrap();
        m.file.sha256 = sha;
        m.file.bytes = bytes;
        manifest::write(&forged, &m).unwrap();
        let out = restore_cli(&forged, &url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("tag_usage") && stderr(&out).contains("its manifest records"),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(!database_exists(engine, &name).await, "{engine}");
    }
}

#[tokio::test]
async fn a_file_that_drops_a_table_or_whose_end_marker_is_cut_is_not_restored() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
        let text = std::fs::read_to_string(&made.path).unwrap();
        let footer = text.rfind("-- om-upgrade backup complete").unwrap();
        // A statement slipped in before the (untouched) end marker drops a table the file
        // filled: the rows sent still match the marker, the table is gone.
        let dropped = lone_copy(&made, "dropped.sql", |bytes| {
            bytes.splice(
                footer..footer,
                b"DROP TABLE IF EXISTS user_entity;\n".iter().copied(),
            );
        });
        let (name, url, _guard) = fresh_name(engine);
        let out = restore_cli(&dropped, &url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("user_entity missing"),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(!database_exists(engine, &name).await, "{engine}");
        // Cut inside the end marker: every row is there, but nothing proves it; verify says
        // so, and restore agrees.
        let cut = lone_copy(&made, "cut.sql", |bytes| bytes.truncate(footer + 35));
        let verified = run(&["verify", cut.to_str().unwrap()], &[]);
        assert_eq!(verified.status.code(), Some(1), "{}", stdout(&verified));
        let out = restore_cli(&cut, &url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("is incomplete"),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(!database_exists(engine, &name).await, "{engine}");
        // The same file whole still restores without its manifest.
        let whole = lone_copy(&made, "whole.sql", |_| {});
        let out = restore_cli(&whole, &url, &[]);
        assert_eq!(out.status.code(), Some(0), "{engine}: {}", stderr(&out));
    }
}

#[tokio::test]
async fn foreign_files_load_only_when_their_end_marker_or_the_operator_says_so() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let dump = dir.path().join("native.sql");
        let mut tool = match engine {
            Engine::Postgres => {
                let mut c = Command::new("pg_dump");
                c.args(["-h", "127.0.0.1", "-U", "postgres", "--no-owner", "-f"])
                    .arg(&dump)
                    .arg(&source.name);
                c
            }
            Engine::Mysql => {
                let mut c = Command::new("mysqldump");
                c.args([
                    "-h",
                    "127.0.0.1",
                    "-u",
                    "root",
                    "--single-transaction",
                    "--result-file",
                ])
                .arg(&dump)
                .arg(&source.name);
                c
            }
        };
        let out = tool.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A dump that switches to its own database would write there, not into the target.
        let named = dir.path().join("named.sql");
        let switching = match engine {
            Engine::Postgres => Command::new("pg_dump")
                .args(["-h", "127.0.0.1", "-U", "postgres", "--create", "-f"])
                .arg(&named)
                .arg(&source.name)
                .output(),
            Engine::Mysql => Command::new("mysqldump")
                .args(["-h", "127.0.0.1", "-u", "root", "--result-file"])
                .arg(&named)
                .args(["--databases", &source.name])
                .output(),
        };
        assert!(switching.unwrap().status.success());
        let (other, other_url, _other_guard) = fresh_name(engine);
        let out = restore_cli(&named, &other_url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("names its database"),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(!database_exists(engine, &other).await, "{engine}");
        let text = std::fs::read_to_string(&dump).unwrap();
        let marker = match engine {
            Engine::Postgres => "-- PostgreSQL database dump complete",
            Engine::Mysql => "-- Dump completed",
        };
        let cut = dir.path().join("cut.sql");
        std::fs::write(&cut, &text[..text.find(marker).unwrap()]).unwrap();
        let (name, url, _guard) = fresh_name(engine);
        let out = restore_cli(&cut, &url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot prove") && stderr(&out).contains("--allow-incomplete"),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(!database_exists(engine, &name).await, "{engine}");
        let verified = run(&["verify", cut.to_str().unwrap()], &[]);
        assert_eq!(verified.status.code(), Some(1), "{}", stdout(&verified));
        // With the marker, the same file loads: the operator is not forced into the flag.
        let out = restore_cli(&dump, &url, &[]);
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        let restored = TestDb {
            engine,
            name: name.clone(),
            url: url.clone(),
        };
        assert_eq!(fingerprints(&source).await, fingerprints(&restored).await);
        std::mem::forget(restored); // dropped by the guard
    }
}

#[tokio::test]
async fn a_data_only_file_without_manifest_needs_allow_incomplete() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let om_cli = backup_of(&source, dir.path(), FileFormat::OmCli).await;
    let lone = lone_copy(&om_cli, "lone.sql", |_| {});
    // The same database as target: the schema is there, the data replaced by the same data.
    let out = restore_cli(&lone, &source.url, &["--force", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot prove") && stderr(&out).contains("--allow-incomplete"),
        "{}",
        stderr(&out)
    );
    let out = restore_cli(
        &lone,
        &source.url,
        &["--force", "--yes", "--allow-incomplete"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing proves"), "{}", stderr(&out));
}

// ---- 4. MySQL: a failed or killed restore leaves the target as it was -----------------------

#[tokio::test]
async fn a_restore_that_fails_midway_leaves_the_target_as_it_was() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
        // A row the server refuses, late in the file (the last table, before the end marker).
        let text = std::fs::read_to_string(&made.path).unwrap();
        let bad = match engine {
            Engine::Mysql => "INSERT INTO `user_entity` (`json`) VALUES ('not json');\n",
            Engine::Postgres => "INSERT INTO \"user_entity\" (\"json\") VALUES ('not json');\n",
        };
        let at = text.find("-- om-upgrade backup complete").unwrap();
        let poisoned = dir.path().join("poisoned.sql");
        std::fs::write(&poisoned, format!("{}{bad}{}", &text[..at], &text[at..])).unwrap();
        change_rows(&source).await;
        let before = fingerprints(&source).await;
        let (out, pid) = restore_cli_traced(&poisoned, &source.url, &["--force", "--yes"]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("the server refused the statement"),
            "{engine}: {}",
            stderr(&out)
        );
        assert_eq!(before, fingerprints(&source).await, "{engine}");
        assert!(no_staging_left(engine, pid).await, "{engine}");
    }
}

/// The restore with process id `pid` left no staging database. Scoped to that one restore:
/// tests run in parallel, and a killed restore of another test leaves its own until tidied.
async fn no_staging_left(engine: Engine, pid: u32) -> bool {
    if engine == Engine::Postgres {
        return true;
    }
    staging_of(Some(pid)).await.is_empty()
}

/// Staging databases (of the restore with process id `pid`, or of restores no longer running).
async fn staging_of(pid: Option<u32>) -> Vec<String> {
    let admin = admin(Engine::Mysql).await;
    let rows = admin
        .fetch_rows(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'omu\\_restore\\_stage\\_%'",
            &[],
        )
        .await
        .unwrap();
    admin.close().await;
    rows.iter()
        .filter_map(|r| r[0].as_text())
        .filter(|name| {
            let owner = name
                .split('_')
                .nth_back(1)
                .and_then(|p| p.parse::<u32>().ok());
            match (pid, owner) {
                (Some(pid), Some(owner)) => owner == pid,
                (None, Some(owner)) => !std::path::Path::new(&format!("/proc/{owner}")).exists(),
                _ => false,
            }
        })
        .collect()
}

#[tokio::test]
async fn a_killed_mysql_restore_leaves_the_target_as_it_was() {
    let (source, _) = TestDb::demo(Engine::Mysql, 1).await;
    add_big_table(&source, 150_000).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    change_rows(&source).await;
    let before = fingerprints(&source).await;
    let child = spawn_restore(
        &[
            made.path.to_str().unwrap(),
            "--db-url",
            &source.url,
            "--force",
            "--yes",
        ],
        &[],
    );
    let pid = child.id();
    // Wherever the restore loads (the target, or a staging database of its own), it is
    // inserting the big table's rows now.
    let watch = admin(Engine::Mysql).await;
    let watching = &watch;
    let target = source.name.clone();
    kill_when(child, "the load reached the big table", || {
        let target = target.clone();
        async move {
            let n = watching
                .fetch_i64(
                    &format!(
                        "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
                         WHERE INFO LIKE 'INSERT INTO `omu\\_big`%' \
                         AND (DB = ? OR DB LIKE 'omu\\_restore\\_stage\\_%\\_{pid}\\_%')"
                    ),
                    &[&target],
                )
                .await
                .unwrap();
            n > 0
        }
    })
    .await;
    watch.close().await;
    assert_eq!(before, fingerprints(&source).await, "the target changed");
    let check = check_json(&run(
        &["check", "--db-url", &source.url, "--format", "json"],
        &[],
    ));
    assert_eq!(check_by_id(&check, "db.openmetadata")["status"], "pass");
    // What the kill left: the staging database, named after the killed process.
    let left = staging_of(Some(pid)).await;
    assert_eq!(left.len(), 1, "{left:?}");
    let admin = admin(Engine::Mysql).await;
    admin
        .execute_script(&format!("DROP DATABASE `{}`", left[0]))
        .await
        .unwrap();
    admin.close().await;
}

#[tokio::test]
async fn a_killed_postgres_restore_leaves_the_target_as_it_was() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    add_big_table(&source, 300_000).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    change_rows(&source).await;
    let before = fingerprints(&source).await;
    let child = spawn_restore(
        &[
            made.path.to_str().unwrap(),
            "--db-url",
            &source.url,
            "--force",
            "--yes",
            "--jobs",
            "1",
        ],
        &[],
    );
    let name = source.name.clone();
    kill_when(child, "the load reached the big table", || {
        let name = name.clone();
        async move {
            let admin = admin(Engine::Postgres).await;
            let n = admin
                .fetch_i64(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 \
                     AND query LIKE 'COPY \"omu_big\"%'",
                    &[&name],
                )
                .await
                .unwrap();
            admin.close().await;
            n > 0
        }
    })
    .await;
    // The server rolls the transaction back when the connection drops.
    assert_eq!(before, fingerprints(&source).await, "the target changed");
}

#[tokio::test]
async fn an_unfinished_in_place_restore_fails_the_openmetadata_check() {
    let (source, _) = TestDb::demo(Engine::Mysql, 1).await;
    add_big_table(&source, 150_000).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    // A user who may use the target only: no staging database, so the load goes in place.
    let target = TestDb::new(Engine::Mysql).await;
    let user = MysqlUser::create(&target, "r", "restore-pw", "ALL").await;
    let args = [
        made.path.to_str().unwrap(),
        "--engine",
        "mysql",
        "-H",
        "127.0.0.1",
        "-u",
        &user.name,
        "-d",
        &target.name,
    ];
    let child = spawn_restore(&args, &[("DB_USER_PASSWORD", "restore-pw")]);
    let name = target.name.clone();
    kill_when(child, "the load reached the big table", || {
        let name = name.clone();
        async move {
            let admin = admin(Engine::Mysql).await;
            let n = admin
                .fetch_i64(
                    "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'omu_big' \
                     AND TABLE_SCHEMA = ?",
                    &[&name],
                )
                .await
                .unwrap();
            admin.close().await;
            n > 0
        }
    })
    .await;
    let check = check_json(&run(
        &["check", "--db-url", &target.url, "--format", "json"],
        &[],
    ));
    let openmetadata = check_by_id(&check, "db.openmetadata");
    assert_eq!(openmetadata["status"], "fail", "{openmetadata}");
    assert!(
        openmetadata["summary"]
            .as_str()
            .unwrap()
            .contains("did not finish"),
        "{openmetadata}"
    );
    // Restoring again replaces the unfinished restore, in place, and removes the mark.
    let mut again = args.to_vec();
    again.extend(["--force", "--yes"]);
    let mut command = vec!["restore"];
    command.extend(again);
    let out = run(&command, &[("DB_USER_PASSWORD", "restore-pw")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("loaded in place"), "{}", stdout(&out));
    let check = check_json(&run(
        &["check", "--db-url", &target.url, "--format", "json"],
        &[],
    ));
    assert_eq!(check_by_id(&check, "db.openmetadata")["status"], "pass");
    assert_eq!(fingerprints(&source).await, fingerprints(&target).await);
}

// ---- 7, 16: not a backup ----------------------------------------------------------------------

#[tokio::test]
async fn verify_fails_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.sql");
    std::fs::write(&empty, b"").unwrap();
    let out = run(&["verify", empty.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("is empty"), "{}", stdout(&out));
    let comments = dir.path().join("comments.sql");
    std::fs::write(&comments, b"-- nothing here\n\n").unwrap();
    let out = run(&["verify", comments.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

#[tokio::test]
async fn random_bytes_are_not_a_sql_backup_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let random = dir.path().join("random.sql");
    // Deterministic noise, with bytes that are neither text nor UTF-8.
    let bytes: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&random, bytes).unwrap();
    let out = run(&["verify", random.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("is not a SQL backup"),
        "{}",
        stdout(&out)
    );
    for engine in ENGINES {
        let (name, url, _guard) = fresh_name(engine);
        let out = restore_cli(&random, &url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}");
        let err = stderr(&out);
        assert!(
            err.contains("is not a SQL backup") && !err.contains("data only"),
            "{engine}: {err}"
        );
        assert!(!database_exists(engine, &name).await, "{engine}");
    }
}

#[tokio::test]
async fn a_failed_restore_drops_the_database_it_created() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
        let text = std::fs::read_to_string(&made.path).unwrap();
        let at = text.find("-- om-upgrade backup complete").unwrap();
        let poisoned = dir.path().join("poisoned.sql");
        std::fs::write(
            &poisoned,
            format!(
                "{}INSERT INTO no_such_table VALUES (1);\n{}",
                &text[..at],
                &text[at..]
            ),
        )
        .unwrap();
        let (name, url, _guard) = fresh_name(engine);
        let (out, pid) = restore_cli_traced(&poisoned, &url, &[]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
        assert!(
            !database_exists(engine, &name).await,
            "{engine}: the failed restore left {name}"
        );
        assert!(no_staging_left(engine, pid).await, "{engine}");
    }
}

// ---- 9, 10: verify reads what restore loads ---------------------------------------------------

#[tokio::test]
async fn verify_accepts_table_names_with_spaces_and_quotes() {
    for engine in ENGINES {
        let (db, demo) = TestDb::demo(engine, 1).await;
        let conn = db.connect().await;
        let sql = match engine {
            Engine::Mysql => {
                "CREATE TABLE `my table` (id INT PRIMARY KEY, v TEXT); \
                 INSERT INTO `my table` VALUES (1, 'a'), (2, 'b'); \
                 CREATE TABLE `it's \"q\"` (id INT PRIMARY KEY); \
                 INSERT INTO `it's \"q\"` VALUES (1), (2), (3)"
            }
            Engine::Postgres => {
                "CREATE TABLE \"my table\" (id int PRIMARY KEY, v text); \
                 INSERT INTO \"my table\" VALUES (1, 'a'), (2, 'b'); \
                 CREATE TABLE \"it's \"\"q\"\"\" (id int PRIMARY KEY); \
                 INSERT INTO \"it's \"\"q\"\"\" VALUES (1), (2), (3)"
            }
        };
        conn.execute_script(sql).await.unwrap();
        conn.close().await;
        let dir = tempfile::tempdir().unwrap();
        let made = backup_of(&db, dir.path(), FileFormat::Sql).await;
        let out = run(&["verify", made.path.to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(0), "{engine}: {}", stdout(&out));
        let rows: u64 = demo.rows.values().sum::<u64>() + 5;
        assert_eq!(made.manifest.total_rows(), rows);
        let expected = format!(
            "OK: {} tables, {} rows",
            made.manifest.tables.len(),
            om_upgrade::humanize::count(rows as i64)
        );
        assert!(
            stdout(&out).contains(&expected),
            "{expected}: {}",
            stdout(&out)
        );
    }
}

#[tokio::test]
async fn verify_accepts_a_mysqldump_with_raw_binary_that_restore_loads() {
    let db = TestDb::new(Engine::Mysql).await;
    let conn = db.connect().await;
    conn.execute_script("CREATE TABLE blobs (id INT PRIMARY KEY, b LONGBLOB)")
        .await
        .unwrap();
    let binary: Vec<u8> = (0u8..=255).rev().collect();
    for id in 0..3 {
        sqlx::query("INSERT INTO blobs VALUES (?, ?)")
            .bind(id)
            .bind(&binary)
            .execute(conn.mysql_pool().unwrap())
            .await
            .unwrap();
    }
    conn.close().await;
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("raw.sql");
    let out = Command::new("mysqldump")
        .args([
            "-h",
            "127.0.0.1",
            "-u",
            "root",
            "--single-transaction",
            "--result-file",
        ])
        .arg(&dump)
        .arg(&db.name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::str::from_utf8(&std::fs::read(&dump).unwrap()).is_err(),
        "the dump should hold raw (non-UTF-8) bytes"
    );
    let out = run(&["verify", dump.to_str().unwrap(), "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["report"]["kind"], "mysql-dump");
    assert_eq!(report["report"]["scan"]["tables"][0]["rows"], 3, "{report}");
    let (name, url, _guard) = fresh_name(Engine::Mysql);
    let out = restore_cli(&dump, &url, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let restored = TestDb {
        engine: Engine::Mysql,
        name,
        url,
    };
    assert_eq!(fingerprints(&db).await, fingerprints(&restored).await);
    std::mem::forget(restored); // dropped by the guard
}

// ---- red team: a target the user may not create ----------------------------------------------

/// A PostgreSQL role for one test, dropped with the guard.
struct PgRole {
    name: String,
}

impl Drop for PgRole {
    fn drop(&mut self) {
        drop(TestDb {
            engine: Engine::Postgres,
            url: String::new(),
            name: format!("{}_db", self.name),
        });
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let admin = admin(Engine::Postgres).await;
                    let _ = admin
                        .execute_script(&format!("DROP ROLE IF EXISTS {name}"))
                        .await;
                    admin.close().await;
                })
        })
        .join();
    }
}

#[tokio::test]
async fn a_restore_without_the_right_to_create_the_target_says_so_and_creates_nothing() {
    let (source, _) = TestDb::demo(Engine::Mysql, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    // May read the source, nothing else.
    let user = MysqlUser::create(&source, "ro", "ro-pw", "SELECT").await;
    let (name, _, _guard) = fresh_name(Engine::Mysql);
    let (out, pid) = run_traced(
        &[
            "restore",
            made.path.to_str().unwrap(),
            "--engine",
            "mysql",
            "-H",
            "127.0.0.1",
            "-u",
            &user.name,
            "-d",
            &name,
        ],
        &[("DB_USER_PASSWORD", "ro-pw")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("may not create or fill database") && err.contains("GRANT ALL ON"),
        "{err}"
    );
    assert!(!database_exists(Engine::Mysql, &name).await);
    assert!(no_staging_left(Engine::Mysql, pid).await);

    // PostgreSQL: a role without CREATEDB.
    let role = PgRole {
        name: format!("omu_t_role_{}", std::process::id()),
    };
    let admin_pg = admin(Engine::Postgres).await;
    admin_pg
        .execute_script(&format!("CREATE ROLE {} LOGIN", role.name))
        .await
        .unwrap();
    admin_pg.close().await;
    let (pg_source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let pg_made = backup_of(&pg_source, dir.path(), FileFormat::Sql).await;
    let target = format!("{}_db", role.name);
    let url = format!(
        "{}/{target}",
        server_url(Engine::Postgres).replacen("postgres@", &format!("{}@", role.name), 1)
    );
    let out = restore_cli(&pg_made.path, &url, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("may not create or fill") && err.contains("CREATEDB"),
        "{err}"
    );
    assert!(!database_exists(Engine::Postgres, &target).await);
}

// ---- 17. PostgreSQL: the parallel restore (staging schema, one switch transaction) ------------

/// What else a restore must bring back on PostgreSQL: keys, indexes, constraints and sequence
/// positions of the current schema.
async fn pg_structure(url: &str) -> Vec<Vec<String>> {
    let conn = om_upgrade::db::Db::connect(&settings_for(url))
        .await
        .unwrap();
    let rows = conn
        .fetch_rows(
            "SELECT 'index', indexname::text, indexdef FROM pg_indexes \
             WHERE schemaname = current_schema() \
             UNION ALL SELECT 'constraint', conname::text, pg_get_constraintdef(oid) \
             FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
             UNION ALL SELECT 'sequence', sequencename::text, last_value::text FROM pg_sequences \
             WHERE schemaname = current_schema() ORDER BY 1, 2, 3",
            &[],
        )
        .await
        .unwrap();
    conn.close().await;
    rows.iter()
        .map(|r| r.iter().map(|c| c.as_text().unwrap_or_default()).collect())
        .collect()
}

/// Staging schemas in the PostgreSQL database `name` (of the restore with process id `pid`).
async fn pg_stagings(url: &str, pid: Option<u32>) -> Vec<String> {
    let conn = om_upgrade::db::Db::connect(&settings_for(url))
        .await
        .unwrap();
    let rows = conn
        .fetch_rows(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'omu\\_restore\\_stage\\_%'",
            &[],
        )
        .await
        .unwrap();
    conn.close().await;
    rows.iter()
        .filter_map(|r| r[0].as_text())
        .filter(|name| pid.is_none_or(|pid| name.contains(&format!("_{pid}_"))))
        .collect()
}

#[tokio::test]
async fn a_parallel_postgres_restore_brings_back_every_table_key_and_index() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    add_big_table(&source, 20_000).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    let expected = fingerprints(&source).await;
    let structure = pg_structure(&source.url).await;
    for jobs in ["1", "2", "3"] {
        let (name, url, _guard) = fresh_name(Engine::Postgres);
        let out = restore_cli(&made.path, &url, &["--jobs", jobs]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "--jobs {jobs}: {}",
            stderr(&out)
        );
        let restored = om_upgrade::db::Db::connect(&settings_for(&url))
            .await
            .unwrap();
        let prints = server_fingerprints(&restored).await;
        restored.close().await;
        assert_eq!(expected, prints, "--jobs {jobs}: {name}");
        assert_eq!(structure, pg_structure(&url).await, "--jobs {jobs}");
        assert!(pg_stagings(&url, None).await.is_empty(), "--jobs {jobs}");
    }
    // Over a database that holds other rows: replaced, on two connections.
    change_rows(&source).await;
    let out = restore_cli(
        &made.path,
        &source.url,
        &["--force", "--yes", "--jobs", "2"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(expected, fingerprints(&source).await);
    assert_eq!(structure, pg_structure(&source.url).await);
    assert!(pg_stagings(&source.url, None).await.is_empty());
}

#[tokio::test]
async fn a_parallel_restore_that_fails_midway_leaves_the_target_and_no_staging_schema() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    add_big_table(&source, 50_000).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    // A row the server refuses at the end of the big table's first block (whichever connection
    // loads it), the end marker kept: the file loads until the server refuses that row.
    let text = std::fs::read_to_string(&made.path).unwrap();
    let start = text.find("COPY \"omu_big\"").unwrap();
    let end = start + text[start..].find("\\.\n").unwrap();
    let poisoned = lone_copy(&made, "poisoned.sql", |bytes| {
        bytes.splice(end..end, b"not-a-number\tx\n".iter().copied());
    });
    change_rows(&source).await;
    let before = fingerprints(&source).await;
    let (out, pid) = restore_cli_traced(&poisoned, &source.url, &["--force", "--yes", "-j", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the server refused the statement")
            && stderr(&out).contains("omu_big"),
        "{}",
        stderr(&out)
    );
    assert_eq!(before, fingerprints(&source).await);
    assert!(pg_stagings(&source.url, Some(pid)).await.is_empty());
    // Into a new database: not created either.
    let (name, url, _guard) = fresh_name(Engine::Postgres);
    let out = restore_cli(&poisoned, &url, &["-j", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!database_exists(Engine::Postgres, &name).await);
}

#[tokio::test]
async fn a_loader_connection_terminated_mid_load_leaves_the_target_and_no_staging_schema() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    add_big_table(&source, 300_000).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    change_rows(&source).await;
    let before = fingerprints(&source).await;
    let child = spawn_restore(
        &[
            made.path.to_str().unwrap(),
            "--db-url",
            &source.url,
            "--force",
            "--yes",
            "--jobs",
            "2",
        ],
        &[],
    );
    let pid = child.id();
    let admin = admin(Engine::Postgres).await;
    let started = Instant::now();
    let terminated = loop {
        let n = admin
            .fetch_i64(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 \
                 AND query LIKE 'COPY \"omu_big\"%' AND state = 'active'",
                &[&source.name],
            )
            .await
            .unwrap();
        if n > 0 {
            break true;
        }
        if started.elapsed() > Duration::from_secs(120) {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    admin.close().await;
    assert!(terminated, "no loader of omu_big seen");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(before, fingerprints(&source).await, "the target changed");
    assert!(pg_stagings(&source.url, Some(pid)).await.is_empty());
}

#[tokio::test]
async fn a_killed_parallel_postgres_restore_leaves_the_target_as_it_was() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    add_big_table(&source, 300_000).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    change_rows(&source).await;
    let before = fingerprints(&source).await;
    let child = spawn_restore(
        &[
            made.path.to_str().unwrap(),
            "--db-url",
            &source.url,
            "--force",
            "--yes",
            "--jobs",
            "2",
        ],
        &[],
    );
    let pid = child.id();
    let name = source.name.clone();
    kill_when(child, "the load reached the big table", || {
        let name = name.clone();
        async move {
            let admin = admin(Engine::Postgres).await;
            let n = admin
                .fetch_i64(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 \
                     AND query LIKE 'COPY \"omu_big\"%'",
                    &[&name],
                )
                .await
                .unwrap();
            admin.close().await;
            n > 0
        }
    })
    .await;
    assert_eq!(before, fingerprints(&source).await, "the target changed");
    // What the kill left: the staging schema, named after the killed process; `check` names
    // it (it used to pass the database without a word), and so does the next restore.
    let left = pg_stagings(&source.url, Some(pid)).await;
    assert_eq!(left.len(), 1);
    let check = check_json(&run(
        &["check", "--db-url", &source.url, "--format", "json"],
        &[],
    ));
    let found = check_by_id(&check, "db.openmetadata");
    assert_eq!(found["status"], "warn", "{found}");
    assert!(
        found["summary"].as_str().unwrap().contains(&left[0]),
        "{found}"
    );
    let out = restore_cli(&made.path, &source.url, &["--force", "--yes", "-j", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(&left[0]), "{}", stdout(&out));
}

#[tokio::test]
async fn a_postgres_file_changed_after_its_manifest_is_refused_before_the_commit() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    // One byte of a row changed, the manifest kept: the file still loads, its SHA-256 differs.
    let mut bytes = std::fs::read(&made.path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let start = text.find("COPY \"tag_usage\"").unwrap();
    let row = start + text[start..].find('\n').unwrap() + 1;
    let at = row + text[row..].find(|c: char| c.is_ascii_lowercase()).unwrap();
    bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
    std::fs::write(&made.path, &bytes).unwrap();
    for jobs in ["1", "2"] {
        let (name, url, _guard) = fresh_name(Engine::Postgres);
        let out = restore_cli(&made.path, &url, &["--jobs", jobs]);
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
        assert!(
            !database_exists(Engine::Postgres, &name).await,
            "--jobs {jobs}"
        );
    }
}

#[tokio::test]
async fn a_restore_over_a_table_another_session_locks_fails_naming_it_instead_of_waiting() {
    use sqlx::Connection;
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    change_rows(&source).await;
    let before = fingerprints(&source).await;
    // A session (a server's open transaction) holding a lock on a table the restore replaces:
    // the restore used to wait for it for ever, unseen (with --jobs 2, after the whole load).
    let mut holder = sqlx::PgConnection::connect(&source.url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE user_entity IN ACCESS SHARE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    for jobs in ["1", "2"] {
        let (out, pid) =
            restore_cli_traced(&made.path, &source.url, &["--force", "--yes", "-j", jobs]);
        assert_eq!(out.status.code(), Some(1), "-j {jobs}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("other sessions hold locks on tables the restore replaces")
                && stderr(&out).contains("on user_entity"),
            "-j {jobs}: {}",
            stderr(&out)
        );
        assert!(pg_stagings(&source.url, Some(pid)).await.is_empty());
    }
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    assert_eq!(before, fingerprints(&source).await);
    // The lock gone, the same restore goes through.
    let out = restore_cli(&made.path, &source.url, &["--force", "--yes", "-j", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(pg_stagings(&source.url, None).await.is_empty());
    holder.close().await.unwrap();
}

#[tokio::test]
async fn a_restore_stopped_while_it_waits_for_a_lock_changes_nothing() {
    use sqlx::Connection;
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    change_rows(&source).await;
    let before = fingerprints(&source).await;
    let mut holder = sqlx::PgConnection::connect(&source.url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE tag_usage IN ACCESS SHARE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let child = spawn_restore(
        &[
            made.path.to_str().unwrap(),
            "--db-url",
            &source.url,
            "--force",
            "--yes",
            "-j",
            "2",
        ],
        &[],
    );
    let pid = child.id();
    // The switch is trying to take the locks (after the whole load): SIGTERM, as Ctrl-C. The
    // switch used to go on waiting and commit once the lock was released.
    let admin = admin(Engine::Postgres).await;
    let started = Instant::now();
    loop {
        let n = admin
            .fetch_i64(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 \
                 AND query LIKE '%SAVEPOINT omu_lock%'",
                &[&source.name],
            )
            .await
            .unwrap();
        if n > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the switch never tried to take the locks"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    admin.close().await;
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    holder.close().await.unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cancelled"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(before, fingerprints(&source).await, "the target changed");
    assert!(pg_stagings(&source.url, Some(pid)).await.is_empty());
}

#[tokio::test]
async fn a_restore_over_its_own_restore_replaces_a_sequence_no_table_owns() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let conn = source.connect().await;
    conn.execute_script("CREATE SEQUENCE omu_free_seq; SELECT setval('omu_free_seq', 42)")
        .await
        .unwrap();
    conn.close().await;
    let dir = tempfile::tempdir().unwrap();
    let made = backup_of(&source, dir.path(), FileFormat::Sql).await;
    let structure = pg_structure(&source.url).await;
    for jobs in ["1", "2"] {
        let (_name, url, _guard) = fresh_name(Engine::Postgres);
        let out = restore_cli(&made.path, &url, &["-j", jobs]);
        assert_eq!(out.status.code(), Some(0), "-j {jobs}: {}", stderr(&out));
        // The restored database holds the free-standing sequence: restoring the same backup
        // over it used to stop after the load ("relation omu_free_seq already exists").
        let out = restore_cli(&made.path, &url, &["--force", "--yes", "-j", jobs]);
        assert_eq!(out.status.code(), Some(0), "-j {jobs}: {}", stderr(&out));
        assert_eq!(structure, pg_structure(&url).await, "-j {jobs}");
        assert!(pg_stagings(&url, None).await.is_empty());
    }
}
