//! The backup writer under faults and odd requests, on the real servers: a full disk at each
//! step, a process killed at each step, names and folders that point elsewhere, compression
//! told by the bytes, the room a backup really needs, secrets kept from child processes, files
//! of the official CLI that lack tables, and values that only survive when written carefully.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use om_upgrade::backup::manifest::{FileFormat, Method};
use om_upgrade::backup::output::Compression;
use om_upgrade::backup::steps::{self, Step};
use om_upgrade::backup::take::{self, BackupError, BackupRequest};
use om_upgrade::db::Engine;
use tokio_util::sync::CancellationToken;

fn request(db: &TestDb, dir: &Path, name: &str) -> BackupRequest {
    request_for(&db.url, dir, name)
}

fn request_for(url: &str, dir: &Path, name: &str) -> BackupRequest {
    BackupRequest {
        settings: settings_for(url),
        output_dir: dir.to_path_buf(),
        name: Some(name.into()),
        method: Method::Builtin,
        format: FileFormat::Sql,
        compression: Compression::None,
        python: None,
        tuning: Default::default(),
        fernet_key: None,
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A size-limited tmpfs mounted for one test (the tests run as root, as CI does here); it
/// fails the test when it cannot be mounted, and is unmounted when dropped.
struct Tmpfs {
    _parent: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let parent = tempfile::tempdir().unwrap();
        let path = parent.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let out = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("cannot run mount: {e}"));
        assert!(
            out.status.success(),
            "\n\nThis test fills a disk: it mounts a {size} tmpfs, which needs root (CAP_SYS_ADMIN), \
             as CI has on this machine. mount said: {}\n\n",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs {
            _parent: parent,
            path,
        }
    }

    /// Writes a file that takes the free space down to about `leave` bytes.
    fn fill_leaving(&self, leave: u64) {
        let free = om_upgrade::backup::space::available_bytes(&self.path)
            .unwrap()
            .available;
        let mut filler = std::fs::File::create(self.path.join("filler")).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        let mut todo = free.saturating_sub(leave);
        while todo > 0 {
            let n = todo.min(chunk.len() as u64) as usize;
            if std::io::Write::write_all(&mut filler, &chunk[..n]).is_err() {
                break;
            }
            todo -= n as u64;
        }
        let _ = filler.sync_all();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = std::process::Command::new("umount")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.path)
                .status();
        }
    }
}

/// Fills the disk at `step` of a backup written into `dir`.
fn fill_disk_at(dir: &Path, step: Step) -> steps::HookGuard {
    let disk = dir.to_path_buf();
    steps::on_steps_in(dir, move |reached| {
        if reached == step {
            let mut filler = std::fs::File::create(disk.join("filler")).unwrap();
            let chunk = vec![0u8; 64 * 1024];
            while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
        }
    })
}

#[tokio::test]
async fn a_full_disk_at_any_step_leaves_nothing_under_a_final_name_and_says_what_is_left() {
    for engine in ENGINES {
        let (db, _) = TestDb::demo(engine, 1).await;
        let disk = Tmpfs::mount("16m");
        let _fill = fill_disk_at(&disk.path, Step::DataWritten);
        let error = take::take(
            &request(&db, &disk.path, "full.sql"),
            None,
            CancellationToken::new(),
        )
        .await
        .expect_err("the manifest cannot fit");
        let BackupError::Output { source, left, .. } = &error else {
            panic!("{engine}: {error}");
        };
        assert_eq!(source.raw_os_error(), Some(28), "{engine}: {error}");
        assert!(left.is_empty(), "{engine}: {left}");
        let message = error.to_string();
        assert!(
            message.contains("No space left on device")
                && message.contains("nothing was left on disk"),
            "{engine}: {message}"
        );
        let hint = error.remediation().unwrap_or_default();
        assert!(
            hint.contains("The disk is full") && !hint.contains("removed"),
            "{engine}: {hint}"
        );
        assert_eq!(names_in(&disk.path), ["filler"], "{engine}");
        // The listing and the recent-backup check find nothing to trust there.
        let listed = run(
            &["backups", disk.path.to_str().unwrap(), "--format", "json"],
            &[],
        );
        let entries: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
        assert!(
            !entries.as_array().unwrap().iter().any(|e| e["path"]
                .as_str()
                .unwrap()
                .starts_with(disk.path.to_str().unwrap())),
            "{engine}: {entries}"
        );
        // A few hundred KB: the data itself does not fit.
        let small = Tmpfs::mount("300k");
        let error = take::take(
            &request(&db, &small.path, "full.sql"),
            None,
            CancellationToken::new(),
        )
        .await
        .expect_err("a 3 MB backup cannot fit in 300 KB");
        assert!(
            error.to_string().contains("nothing was left on disk"),
            "{engine}: {error}"
        );
        assert!(names_in(&small.path).is_empty(), "{engine}");
        // A disk that fills once the manifest is written breaks nothing: the renames need no room.
        let late = Tmpfs::mount("16m");
        let _fill = fill_disk_at(&late.path, Step::ManifestWritten);
        take::take(
            &request(&db, &late.path, "renamed.sql"),
            None,
            CancellationToken::new(),
        )
        .await
        .expect("the renames need no space");
        assert_eq!(
            names_in(&late.path),
            ["filler", "renamed.sql", "renamed.sql.manifest.json"]
        );
    }
}

const KILL_DIR: &str = "OMU_TEST_KILL_DIR";
const KILL_STEP: &str = "OMU_TEST_KILL_STEP";
const KILL_URL: &str = "OMU_TEST_KILL_URL";

/// Not a test: the child process of
/// `a_backup_killed_at_any_step_leaves_nothing_final_or_an_unfinished_backup_shown_as_such`,
/// which runs this test binary with these variables and expects it to die of SIGKILL.
#[tokio::test]
#[ignore = "runs only as the child process of a kill -9 test"]
async fn child_backup_that_kills_itself_at_a_step() {
    let (Ok(dir), Ok(step), Ok(url)) = (
        std::env::var(KILL_DIR),
        std::env::var(KILL_STEP),
        std::env::var(KILL_URL),
    ) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let step = Step::ALL
        .into_iter()
        .find(|s| s.name() == step)
        .expect("a step name");
    let _hook = steps::on_steps_in(&dir, move |reached| {
        if reached == step {
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL)
                .unwrap();
        }
    });
    let _ = take::take(
        &request_for(&url, &dir, "killed.sql"),
        None,
        CancellationToken::new(),
    )
    .await;
    panic!("the backup was not killed at {}", step.name());
}

fn kill_at(step: Step, url: &str, dir: &Path) {
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_backup_that_kills_itself_at_a_step",
            "--ignored",
            "--nocapture",
        ])
        .env(KILL_DIR, dir)
        .env(KILL_STEP, step.name())
        .env(KILL_URL, url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(9),
        "the child did not die of SIGKILL at {}: {status}",
        step.name()
    );
}

fn backups_json(dir: &Path) -> Vec<serde_json::Value> {
    let out = run(&["backups", dir.to_str().unwrap(), "--format", "json"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    all.into_iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .is_some_and(|p| Path::new(p).starts_with(dir))
        })
        .collect()
}

#[tokio::test]
async fn a_backup_killed_at_any_step_leaves_nothing_final_or_an_unfinished_backup_shown_as_such() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    for step in [Step::DataWritten, Step::ManifestWritten] {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        kill_at(step, &db.url, &dir);
        let names = names_in(&dir);
        assert!(
            !names.contains(&"killed.sql".to_string())
                && !names.contains(&"killed.sql.manifest.json".to_string()),
            "{}: {names:?}",
            step.name()
        );
        let listed = backups_json(&dir);
        assert_eq!(listed.len(), 1, "{}: {listed:?}", step.name());
        assert_eq!(listed[0]["state"], "partial", "{}", step.name());
        // The next backup into the folder removes what the killed one left.
        let out = run(
            &["backup", "--db-url", &db.url, "-o", dir.to_str().unwrap()],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("killed.sql.partial, left by a backup that did not finish"),
            "{}",
            stderr(&out)
        );
        assert!(
            !names_in(&dir).iter().any(|n| n.contains("killed")),
            "{:?}",
            names_in(&dir)
        );
    }

    // Killed between the two renames: the data has its name, the manifest does not yet.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    kill_at(Step::DataRenamed, &db.url, &dir);
    assert_eq!(
        names_in(&dir),
        ["killed.sql", "killed.sql.manifest.json.partial"]
    );
    let listed = backups_json(&dir);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["state"], "manifest-not-in-place");
    let text = run(&["backups", dir.to_str().unwrap()], &[]);
    assert!(
        stdout(&text).contains("Unfinished, not usable as backups")
            && stdout(&text).contains("killed before its manifest was put in place"),
        "{}",
        stdout(&text)
    );
    let killed = dir.join("killed.sql");
    let verified = run(&["verify", killed.to_str().unwrap()], &[]);
    assert_eq!(verified.status.code(), Some(1), "{}", stdout(&verified));
    assert!(
        stdout(&verified).contains("killed before its manifest was put in place"),
        "{}",
        stdout(&verified)
    );
    let check = check_json(&run(
        &[
            "check",
            "--db-url",
            &db.url,
            "--backup-dir",
            dir.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    ));
    let recent = check_by_id(&check, "backup.recent");
    assert_eq!(recent["status"], "fail", "{recent}");
    assert!(
        recent.to_string().contains("unfinished, not counted"),
        "{recent}"
    );
    // Its name is not reused, and the refusal says what the file is.
    let again = run(
        &[
            "backup",
            "--db-url",
            &db.url,
            "-o",
            dir.to_str().unwrap(),
            "--name",
            "killed.sql",
        ],
        &[],
    );
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("killed before its manifest was put in place"),
        "{}",
        stderr(&again)
    );
    // The next backup checks the data against the manifest and puts the manifest in place.
    let out = run(
        &["backup", "--db-url", &db.url, "-o", dir.to_str().unwrap()],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("note: completed"), "{}", stderr(&out));
    assert!(dir.join("killed.sql.manifest.json").exists());
    assert_eq!(
        run(&["verify", killed.to_str().unwrap()], &[])
            .status
            .code(),
        Some(0)
    );

    // A file of ours whose manifest is gone (as older versions left them) is shown as such.
    std::fs::remove_file(dir.join("killed.sql.manifest.json")).unwrap();
    let listed = backups_json(&dir);
    let orphan = listed
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("killed.sql"))
        .unwrap();
    assert_eq!(orphan["state"], "no-manifest-ours", "{listed:?}");
}

#[tokio::test]
async fn names_and_folders_that_point_elsewhere_are_refused_before_connecting() {
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("backups");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("taken.sql"), b"precious").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.join("link.sql")).unwrap();
    let a_file = outside.path().join("a-file");
    std::fs::write(&a_file, b"x").unwrap();
    let d = dir.to_str().unwrap();
    let absolute = outside.path().join("abs.sql");
    // Nothing listens on port 1: a refusal that came after connecting would be exit 1.
    let url = "postgres://postgres@127.0.0.1:1/omu_nothing";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["-o", d, "--name", "../x.sql"],
            "is a path, not a file name",
        ),
        (
            vec!["-o", d, "--name", absolute.to_str().unwrap()],
            "is a path, not a file name",
        ),
        (vec!["-o", d, "--name", ""], "--name is empty"),
        (
            vec!["-o", a_file.to_str().unwrap()],
            "is a file, not a folder",
        ),
        (
            vec!["-o", d, "--name", "taken.sql"],
            "already exists; a backup never replaces a file",
        ),
        (
            vec!["-o", d, "--name", "link.sql"],
            "already exists; a backup never replaces a file",
        ),
        (vec!["-o", d, "--name", ".hidden.sql"], "starts with a dot"),
        (
            vec!["-o", d, "--name", "x.sql.partial"],
            "keeps for its own files",
        ),
    ];
    for (args, expected) in cases {
        let mut full = vec!["backup", "--db-url", url];
        full.extend(args.iter().copied());
        let out = run(&full, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(names_in(outside.path()), ["a-file", "backups"]);
    assert_eq!(names_in(&dir), ["link.sql", "taken.sql"]);
    assert_eq!(std::fs::read(dir.join("taken.sql")).unwrap(), b"precious");
}

#[tokio::test]
async fn a_zstd_backup_must_be_named_so_and_every_reader_goes_by_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for (engine, compression, extension) in [
        (Engine::Postgres, "zstd", ".zst"),
        (Engine::Mysql, "gzip", ".gz"),
    ] {
        let (db, _) = TestDb::demo(engine, 1).await;
        let refused = run(
            &[
                "backup",
                "--db-url",
                &db.url,
                "-o",
                d,
                "--compress",
                compression,
                "--name",
                "z.sql",
            ],
            &[],
        );
        assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
        assert!(
            stderr(&refused).contains(&format!("use --name z.sql{extension}")),
            "{}",
            stderr(&refused)
        );
        let name = format!("{engine}.sql{extension}");
        let out = run(
            &[
                "backup",
                "--db-url",
                &db.url,
                "-o",
                d,
                "--compress",
                compression,
                "--name",
                &name,
            ],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        // Renamed by hand to a plain `.sql` name: still read as what it is.
        let renamed = dir.path().join(format!("{engine}-renamed.sql"));
        std::fs::rename(dir.path().join(&name), &renamed).unwrap();
        std::fs::rename(
            dir.path().join(format!("{name}.manifest.json")),
            dir.path()
                .join(format!("{engine}-renamed.sql.manifest.json")),
        )
        .unwrap();
        let verified = run(&["verify", renamed.to_str().unwrap()], &[]);
        assert_eq!(
            verified.status.code(),
            Some(0),
            "{engine}: {}",
            stdout(&verified)
        );
        let target = TestDb::new(engine).await;
        let restored = run(
            &[
                "restore",
                renamed.to_str().unwrap(),
                "--db-url",
                &target.url,
            ],
            &[],
        );
        assert!(restored.status.success(), "{engine}: {}", stderr(&restored));
        assert_eq!(
            server_fingerprints(&db.connect().await).await,
            server_fingerprints(&target.connect().await).await,
            "{engine}"
        );
    }
}

/// `backup.disk_space` of `check --format json` for a database and a backup folder.
fn disk_space_check(db: &TestDb, folder: &Path) -> serde_json::Value {
    let check = check_json(&run(
        &[
            "check",
            "--db-url",
            &db.url,
            "--backup-dir",
            folder.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    ));
    check_by_id(&check, "backup.disk_space").clone()
}

#[tokio::test]
async fn room_for_a_backup_is_judged_by_what_backups_really_weigh() {
    // Large JSON documents, which Postgres keeps compressed: the file is far bigger than the
    // table data the server reports.
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    db.connect()
        .await
        .execute_script(
            "CREATE TABLE omu_big (id integer PRIMARY KEY, doc jsonb); \
             INSERT INTO omu_big SELECT 1, jsonb_build_object('items', \
               (SELECT jsonb_agg(jsonb_build_object('k', i, 'v', 'élément \"' || i || '\" \\ ok')) \
                FROM generate_series(1, 90000) i)); ANALYZE",
        )
        .await
        .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let sized = take::take(
        &request(&db, elsewhere.path(), "sized.sql"),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let file_bytes = sized.manifest.file.bytes;
    let data_bytes = sized
        .manifest
        .source
        .data_bytes
        .expect("the table data size is recorded");
    assert!(
        file_bytes > data_bytes * 5 / 2,
        "the case needs a file well above twice its table data: {file_bytes} vs {data_bytes}"
    );

    // No earlier backup here; room for twice the table data, not for the file.
    let disk = Tmpfs::mount("32m");
    disk.fill_leaving(data_bytes * 23 / 10);
    let outcome = disk_space_check(&db, &disk.path);
    assert_eq!(outcome["status"], "warn", "{outcome}");
    let text = outcome.to_string();
    assert!(
        text.contains("no earlier backup of this database") && text.contains("5.4"),
        "{text}"
    );
    let out = run(
        &[
            "backup",
            "--db-url",
            &db.url,
            "-o",
            disk.path.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "it did fit: {}", stdout(&out));
    assert!(
        stderr(&out).contains("No space left on device"),
        "{}",
        stderr(&out)
    );
    drop(disk);

    // With a backup of this database in the folder, its real ratio decides.
    let disk = Tmpfs::mount("32m");
    take::take(
        &request(&db, &disk.path, "earlier.sql"),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    disk.fill_leaving(file_bytes * 95 / 100);
    let outcome = disk_space_check(&db, &disk.path);
    assert_eq!(outcome["status"], "fail", "{outcome}");
    assert!(
        outcome
            .to_string()
            .contains("the file-to-data ratio of 1 earlier backup"),
        "{outcome}"
    );
    std::fs::remove_file(disk.path.join("filler")).unwrap();
    disk.fill_leaving(file_bytes * 3);
    let outcome = disk_space_check(&db, &disk.path);
    assert_eq!(outcome["status"], "pass", "{outcome}");
}

#[tokio::test]
async fn negative_zero_identity_columns_and_a_zero_auto_increment_survive_both_formats() {
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let edge = match engine {
            Engine::Postgres => {
                "CREATE TABLE omu_edge (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
                 f double precision, r real); \
                 INSERT INTO omu_edge (f, r) VALUES ('-0', '-0'), (1.5, '-0'), ('NaN', '-Infinity')"
            }
            Engine::Mysql => {
                "CREATE TABLE omu_edge (id INT AUTO_INCREMENT PRIMARY KEY, f DOUBLE, r FLOAT); \
                 SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'; \
                 INSERT INTO omu_edge VALUES (0, -0e0, -0e0), (1, 1.5, 2), (2, -1, 0)"
            }
        };
        source.connect().await.execute_script(edge).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let expected = server_fingerprints(&source.connect().await).await;
        assert!(expected.contains_key("omu_edge"));

        let out = run(
            &[
                "backup",
                "--db-url",
                &source.url,
                "-o",
                d,
                "--name",
                "full.sql",
            ],
            &[],
        );
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        let full = dir.path().join("full.sql");
        let target = TestDb::new(engine).await;
        let out = run(
            &["restore", full.to_str().unwrap(), "--db-url", &target.url],
            &[],
        );
        assert!(out.status.success(), "{engine} sql: {}", stderr(&out));
        assert_eq!(
            server_fingerprints(&target.connect().await).await,
            expected,
            "{engine}: the sql format"
        );

        let out = run(
            &[
                "backup",
                "--db-url",
                &source.url,
                "-o",
                d,
                "--name",
                "cli.sql",
                "--format",
                "om-cli",
            ],
            &[],
        );
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        // The data-only file needs the schema; the rows it must bring back are deleted first.
        let target = TestDb::new(engine).await;
        let out = run(
            &["restore", full.to_str().unwrap(), "--db-url", &target.url],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        target
            .connect()
            .await
            .execute_script("DELETE FROM omu_edge")
            .await
            .unwrap();
        let cli = dir.path().join("cli.sql");
        let out = run(
            &[
                "restore",
                cli.to_str().unwrap(),
                "--db-url",
                &target.url,
                "--force",
                "--yes",
            ],
            &[],
        );
        assert!(out.status.success(), "{engine} om-cli: {}", stderr(&out));
        let restored = server_fingerprints(&target.connect().await).await;
        assert_eq!(
            restored.get("omu_edge"),
            expected.get("omu_edge"),
            "{engine}: the om-cli format"
        );
    }
}

/// Writes a program that records its environment into `log`, then runs `real`.
fn recording(path: &Path, log: &Path, real: &str) {
    std::fs::write(
        path,
        format!("#!/bin/sh\nenv >> {}\nexec {real} \"$@\"\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// A stand-in for `python -m metadata backup` that records its environment into `log` and
/// "writes" the backup `file`.
fn fake_metadata_python(dir: &Path, log: &Path, file: &Path) -> PathBuf {
    let script = dir.join("python");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             env >> {log}\n\
             while [ $# -gt 0 ]; do [ \"$1\" = --output ] && out=$2; shift; done\n\
             cp {file} \"$out/openmetadata_202601010101_backup.sql\"\n\
             echo \"Backup stored locally under $out/openmetadata_202601010101_backup.sql\" >&2\n",
            log = log.display(),
            file = file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

/// An om-cli file of `db`, as `metadata backup` would write it.
async fn om_cli_file(db: &TestDb, dir: &Path) -> PathBuf {
    let mut req = request(db, dir, "om-cli.sql");
    req.format = FileFormat::OmCli;
    take::take(&req, None, CancellationToken::new())
        .await
        .unwrap()
        .path
}

#[tokio::test]
async fn child_processes_inherit_no_secret_from_the_environment() {
    let secret = "Child-Secret-4242";
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        // Postgres here trusts any password; on MariaDB make a user that has this one.
        let mysql_user = match engine {
            Engine::Postgres => None,
            Engine::Mysql => Some(MysqlUser::create(&source, "c", secret, "ALL").await),
        };
        let user = mysql_user.as_ref().map_or("postgres", |u| u.name.as_str());
        let bin = tempfile::tempdir().unwrap();
        let log = bin.path().join("env.log");
        let dump = match engine {
            Engine::Postgres => "pg_dump",
            Engine::Mysql => "mysqldump",
        };
        let real = om_upgrade::backup::external::find_on_path(dump).expect("the dump tool");
        recording(&bin.path().join(dump), &log, real.to_str().unwrap());
        let made = tempfile::tempdir().unwrap();
        let python =
            fake_metadata_python(bin.path(), &log, &om_cli_file(&source, made.path()).await);
        let path = format!(
            "{}:{}",
            bin.path().display(),
            std::env::var("PATH").unwrap()
        );
        let environment = [
            ("DB_USER_PASSWORD", secret),
            ("FERNET_KEY", "fernet-key-value-1"),
            ("ELASTICSEARCH_PASSWORD", "search-password-2"),
            ("DB_PARAMS", "sslmode=disable&password=params-password-3"),
            ("OM_BACKUP_URL", &format!("mysql://om:{secret}@db/om")),
            ("PATH", &path),
        ];
        let engine_flag = engine.to_string();
        for method in ["native", "metadata-cli"] {
            let dir = tempfile::tempdir().unwrap();
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
                    method,
                    "--python",
                    python.to_str().unwrap(),
                ],
                &environment,
            );
            assert!(out.status.success(), "{engine} {method}: {}", stderr(&out));
        }
        let seen = std::fs::read_to_string(&log).unwrap();
        assert!(
            seen.contains("PATH="),
            "{engine}: the children did not run: {seen}"
        );
        for (name, value) in &environment[..5] {
            assert!(
                !seen.contains(&format!("{name}=")) && !seen.contains(value),
                "{engine}: a child inherited {name}"
            );
        }
        assert!(!seen.contains(secret), "{engine}: a child saw the password");
    }
}

#[tokio::test]
async fn a_metadata_cli_file_that_lacks_tables_or_rows_is_refused_with_what_is_missing() {
    for engine in ENGINES {
        let (source, demo) = TestDb::demo(engine, 1).await;
        let made = tempfile::tempdir().unwrap();
        let whole = om_cli_file(&source, made.path()).await;
        let text = std::fs::read_to_string(&whole).unwrap();
        let one_table = made.path().join("one-table.sql");
        std::fs::write(
            &one_table,
            text.lines()
                .filter(|l| l.contains("bot_entity") || l.starts_with("SET "))
                .map(|l| format!("{l}\n"))
                .collect::<String>(),
        )
        .unwrap();
        let mut dropped_one = false;
        let short_of_a_row = made.path().join("short.sql");
        std::fs::write(
            &short_of_a_row,
            text.lines()
                .filter(|l| {
                    let drop =
                        !dropped_one && l.starts_with("INSERT INTO") && l.contains("tag_usage");
                    dropped_one |= drop;
                    !drop
                })
                .map(|l| format!("{l}\n"))
                .collect::<String>(),
        )
        .unwrap();
        let engine_flag = engine.to_string();
        let user = match engine {
            Engine::Postgres => "postgres",
            Engine::Mysql => "root",
        };
        let backup_with = |file: &Path| {
            let bin = tempfile::tempdir().unwrap();
            let python = fake_metadata_python(bin.path(), &bin.path().join("env.log"), file);
            let dir = tempfile::tempdir().unwrap();
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
                ],
                &[],
            );
            (out, names_in(dir.path()))
        };
        let tables = om_upgrade::db::inspect::table_names(&source.connect().await)
            .await
            .unwrap()
            .iter()
            .filter(|t| {
                !om_upgrade::backup::dump::OM_CLI_SKIPPED
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(t))
            })
            .count();
        let (out, left) = backup_with(&one_table);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stdout(&out));
        assert!(
            stderr(&out).contains(&format!(
                "{} of the database's {tables} tables are missing",
                tables - 1
            )),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(left.is_empty(), "{engine}: {left:?}");
        let (out, left) = backup_with(&short_of_a_row);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", stdout(&out));
        let rows = demo.rows["tag_usage"];
        assert!(
            stderr(&out).contains(&format!(
                "tag_usage: {} in the file, {rows} in the database",
                rows - 1
            )),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(left.is_empty(), "{engine}: {left:?}");
        let (out, left) = backup_with(&whole);
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        assert_eq!(left.len(), 2, "{engine}: {left:?}");
    }
}

/// The files under the temp folder (one level into `om-upgrade-*` folders) that hold `secret`.
fn temp_files_holding(secret: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut look = |path: &Path| {
        if std::fs::read(path)
            .is_ok_and(|b| b.windows(secret.len()).any(|w| w == secret.as_bytes()))
        {
            found.push(path.to_path_buf());
        }
    };
    for entry in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
        let path = entry.path();
        let ours = entry
            .file_name()
            .to_string_lossy()
            .starts_with("om-upgrade");
        match entry.file_type() {
            Ok(t) if t.is_file() => look(&path),
            Ok(t) if t.is_dir() && ours => {
                for inner in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                    look(&inner.path());
                }
            }
            _ => {}
        }
    }
    found
}

#[tokio::test]
async fn a_killed_native_backup_leaves_no_password_on_disk() {
    let secret = "Killed-Secret-7373";
    for engine in ENGINES {
        let (source, _) = TestDb::demo(engine, 1).await;
        let mysql_user = match engine {
            Engine::Postgres => None,
            Engine::Mysql => Some(MysqlUser::create(&source, "k", secret, "ALL").await),
        };
        let user = mysql_user.as_ref().map_or("postgres", |u| u.name.as_str());
        // A dump tool that shows what it was given and then hangs, as a long dump does.
        let bin = tempfile::tempdir().unwrap();
        let log = bin.path().join("given.log");
        let tool = match engine {
            Engine::Postgres => "pg_dump",
            Engine::Mysql => "mysqldump",
        };
        std::fs::write(
            bin.path().join(tool),
            format!(
                "#!/bin/sh\n\
                 f=$PGPASSFILE\n\
                 for a in \"$@\"; do case \"$a\" in --defaults-extra-file=*) f=${{a#*=}};; esac; done\n\
                 {{ echo \"$$ $f\"; cat \"$f\"; }} > {log}.tmp\n\
                 mv {log}.tmp {log}\n\
                 exec sleep 120\n",
                log = log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            bin.path().join(tool),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_om-upgrade"))
            .args(["backup", "--engine", &engine.to_string(), "-H", "127.0.0.1"])
            .args(["-u", user, "-d", &source.name, "--method", "native", "-o"])
            .arg(dir.path())
            .env("DB_USER_PASSWORD", secret)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.path().display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while !log.exists() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "{engine}: backup ended"
            );
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "{engine}: the dump tool never started"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let given = std::fs::read_to_string(&log).unwrap();
        let (first, rest) = given.split_once('\n').unwrap();
        let (tool_pid, credentials) = first.split_once(' ').unwrap();
        // The tool could read its password.
        assert!(rest.contains(secret), "{engine}: the tool got {given:?}");
        child.kill().unwrap(); // SIGKILL: om-upgrade cannot clean up
        child.wait().unwrap();
        let _ = std::process::Command::new("kill")
            .args(["-9", tool_pid])
            .status();
        assert!(
            std::fs::read(credentials).is_err(),
            "{engine}: {credentials} is still there"
        );
        let left = temp_files_holding(secret);
        assert!(
            left.is_empty(),
            "{engine}: the password is left in {left:?}"
        );
    }
}
