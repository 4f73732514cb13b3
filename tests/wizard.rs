//! The wizard end to end: the real binary in a real terminal (tmux), driven by keys and read
//! back from the screen. Checks that the terminal is given back on every way out, and prints
//! (does not assert) how fast it is: time to first frame, idle CPU, key latency.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::*;
use om_upgrade::db::Engine;

const WELCOME: &str = "Gets OpenMetadata's database ready";

static SESSIONS: AtomicU32 = AtomicU32::new(0);

/// One om-upgrade run in its own tmux server. The pane runs a small script: the binary (its pid
/// written down), then, once it exits, its exit code and `stty -a` of the same terminal, so the
/// terminal's mode after the exit can be checked.
struct Pane {
    socket: String,
    dir: PathBuf,
}

fn tmux_available() {
    let found = Command::new("tmux").arg("-V").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "these tests need tmux: install it with `apt-get install -y tmux` (.ci/run does)"
    );
}

fn quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

impl Pane {
    fn start(dir: &Path, size: (u16, u16), args: &[&str], env: &[(&str, &str)]) -> Pane {
        tmux_available();
        let name = format!("run-{}", SESSIONS.fetch_add(1, Ordering::SeqCst));
        let run = dir.join(&name);
        // The server's socket lives in the test's temp dir and goes with it.
        let socket = run.join("tmux.sock").display().to_string();
        std::fs::create_dir_all(&run).expect("run dir");
        let mut command = vec!["env".to_string()];
        for var in [
            "DB_HOST",
            "DB_PORT",
            "DB_USER",
            "DB_USER_PASSWORD",
            "OM_DATABASE",
            "DB_SCHEME",
            "DB_DRIVER_CLASS",
            "DB_PARAMS",
            "RUST_LOG",
        ] {
            command.push(format!("-u {var}"));
        }
        command.push(quote(&format!(
            "OM_UPGRADE_DATA_DIR={}",
            dir.join("data").display()
        )));
        command.push(quote(&format!(
            "OM_UPGRADE_STATE_DIR={}",
            dir.join("state").display()
        )));
        command.push("NO_COLOR=1".into());
        for (k, v) in env {
            command.push(quote(&format!("{k}={v}")));
        }
        command.push(quote(env!("CARGO_BIN_EXE_om-upgrade")));
        command.extend(args.iter().map(|a| quote(a)));
        let script = format!(
            "sh -c 'echo $$ > \"$0/pid\"; exec {}' {run}\n\
             echo $? > {run}/exit.tmp && mv {run}/exit.tmp {run}/exit\n\
             stty -a > {run}/stty\n\
             exec sleep 600\n",
            command.join(" ").replace('\'', r"'\''"),
            run = quote(&run.display().to_string()),
        );
        let script_path = run.join("run.sh");
        std::fs::write(&script_path, script).expect("script");
        let status = Command::new("tmux")
            .args(["-S", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &size.0.to_string(), "-y", &size.1.to_string()])
            .args(["-s", "omu", "sh"])
            .arg(&script_path)
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        Pane { socket, dir: run }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-S", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "omu"])
    }

    /// The screen with what scrolled off it.
    fn history(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-S", "-2000", "-t", "omu"])
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.tmux(&["send-keys", "-t", "omu", key]);
            // Esc followed at once by another key reads as Alt+key: let each arrive alone.
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "omu", "-l", text]);
    }

    fn wait_for(&self, what: &str, timeout: Duration) -> String {
        self.wait_until(what, timeout, |s| s.contains(what))
    }

    fn wait_until(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < timeout,
                "waited {timeout:?} for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn pid(&self) -> u32 {
        let started = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(self.dir.join("pid"))
                && let Ok(pid) = text.trim().parse()
            {
                return pid;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "no pid file");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the wizard to exit; returns its exit code.
    fn exit_code(&self) -> i32 {
        let started = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(self.dir.join("exit")) {
                return text.trim().parse().expect("exit code");
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the wizard did not exit; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Normal screen, cooked mode with echo, visible cursor.
    fn assert_terminal_restored(&self) {
        let started = Instant::now();
        let stty = loop {
            if let Ok(text) = std::fs::read_to_string(self.dir.join("stty"))
                && !text.is_empty()
            {
                break text;
            }
            assert!(started.elapsed() < Duration::from_secs(5), "no stty output");
            std::thread::sleep(Duration::from_millis(10));
        };
        let flags: Vec<&str> = stty.split_whitespace().collect();
        for flag in ["icanon", "echo", "isig"] {
            assert!(
                flags.contains(&flag),
                "terminal left without {flag}:\n{stty}"
            );
        }
        let state = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            "omu",
            "#{alternate_on} #{cursor_flag}",
        ]);
        assert_eq!(
            state.trim(),
            "0 1",
            "alternate screen still on, or cursor hidden:\n{}",
            self.screen()
        );
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-S", &self.socket, "kill-server"])
            .output();
    }
}

/// CPU time (user + system) of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
}

fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

#[tokio::test]
async fn wizard_walks_to_a_passing_database_test_then_quits_and_resumes() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = db.url.clone();
    let args = ["--db-url", url.as_str(), "--target", "1.2.0"];

    let spawned = Instant::now();
    let pane = Pane::start(dir.path(), (80, 24), &args, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    let first_frame = spawned.elapsed();
    let screen = pane.screen();
    assert!(screen.contains("target 1.2.0"), "{screen}");
    assert!(screen.contains("from --db-url"), "{screen}");

    let pid = pane.pid();
    let ticks = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(10));
    let idle_cpu = (cpu_ticks(pid) - ticks) as f64 / clock_ticks_per_second() as f64 / 10.0 * 100.0;

    pane.keys(&["Enter"]);
    pane.wait_for("Connection test  not run yet", Duration::from_secs(5));

    let mut latencies = Vec::new();
    for (key, expect) in [("j", "› host"), ("k", "› engine")].repeat(5) {
        let sent = Instant::now();
        pane.keys(&[key]);
        pane.wait_for(expect, Duration::from_secs(5));
        // keys() sleeps 30 ms after sending; measure from the send.
        latencies.push(sent.elapsed().saturating_sub(Duration::from_millis(30)));
    }

    // A password typed into the form is used but never saved (trust auth ignores it).
    pane.keys(&["j", "j", "j", "j", "Enter"]);
    pane.type_text("e2e-never-saved");
    pane.keys(&["Enter"]);
    // Shown as a fixed mask, whatever its length (15 characters here).
    let screen = pane.wait_for("password ••••••••  ", Duration::from_secs(5));
    assert!(!screen.contains("•••••••••"), "{screen}");

    pane.keys(&["t"]);
    let screen = pane.wait_until("the test to finish", Duration::from_secs(30), |s| {
        s.contains("Connection test  ") && s.contains(" passed") && !s.contains("running")
    });
    assert!(screen.contains("✔ db.connect"), "{screen}");
    assert!(screen.contains("✔ db.openmetadata"), "{screen}");
    assert!(
        !screen.contains('✘'),
        "nothing fails on the demo database:\n{screen}"
    );
    assert!(
        screen.contains("✔ Database") || screen.contains("! Database"),
        "the sidebar shows the step passed (warnings allowed):\n{screen}"
    );

    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
    pane.assert_terminal_restored();
    let after = pane.screen();
    assert!(after.contains("Your answers are saved in"), "{after}");

    let session = session_of(dir.path());
    assert!(session.contains("\"screen\": \"database\""), "{session}");
    assert!(!session.contains("e2e-never-saved"), "{session}");

    // The next start offers the session; resuming lands on the Database step, with the test
    // it kept and when it ran.
    let pane = Pane::start(dir.path(), (80, 24), &args, &[]);
    pane.wait_for("Resume?", Duration::from_secs(10));
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("Connection test  kept from ", Duration::from_secs(5));
    assert!(screen.contains(" UTC ("), "{screen}");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);

    // --fresh does not ask.
    let mut fresh = args.to_vec();
    fresh.push("--fresh");
    let pane = Pane::start(dir.path(), (80, 24), &fresh, &[]);
    let screen = pane.wait_for(WELCOME, Duration::from_secs(10));
    assert!(!screen.contains("Resume?"), "{screen}");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
    pane.assert_terminal_restored();

    latencies.sort();
    eprintln!(
        "wizard e2e (80x24, debug build): first frame {} ms after spawn; idle CPU {idle_cpu:.2}% \
         over 10 s; key latency median {} ms, max {} ms (n={}, includes tmux capture polling)",
        first_frame.as_millis(),
        latencies[latencies.len() / 2].as_millis(),
        latencies[latencies.len() - 1].as_millis(),
        latencies.len(),
    );
}

/// Database test with a typed password, then the Summary exports the report: the file is in the
/// data folder's reports/, owner-only, lists the checklist, and holds no password.
#[tokio::test]
async fn the_summary_exports_the_report_without_the_password() {
    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    let user = MysqlUser::create(&db, "s", "sum-Pa55word", "SELECT").await;
    let user = &user.name;
    let dir = tempfile::tempdir().expect("temp dir");
    let pane = Pane::start(
        dir.path(),
        (80, 24),
        &[
            "--engine",
            "mysql",
            "-H",
            "127.0.0.1",
            "-u",
            user,
            "-d",
            &db.name,
            "--target",
            "1.2.0",
        ],
        &[],
    );
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter", "t"]);
    pane.wait_for("password needed", Duration::from_secs(15));
    pane.type_text("sum-Pa55word");
    pane.keys(&["Enter", "t"]);
    pane.wait_until("the test to finish", Duration::from_secs(30), |s| {
        s.contains("✔ db.connect") && !s.contains("running")
    });
    pane.keys(&["n", "n", "n", "n"]);
    let screen = pane.wait_for("Export the report", Duration::from_secs(5));
    assert!(screen.contains("Blockers and open actions"), "{screen}");
    pane.keys(&["e"]);
    let screen = pane.wait_for("written", Duration::from_secs(15));
    assert!(screen.contains("readable by you only"), "{screen}");

    let reports = dir.path().join("data/reports");
    let files: Vec<PathBuf> = std::fs::read_dir(&reports)
        .expect("the reports folder was made")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert!(
        file.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("om-upgrade-report-") && n.ends_with(".md")),
        "{file:?}"
    );
    let text = std::fs::read_to_string(file).expect("report");
    assert!(
        text.starts_with("# Pre-upgrade checklist: OpenMetadata 1.1.5 → 1.2.0"),
        "{text}"
    );
    assert!(text.contains("**1. Database connectivity**"), "{text}");
    assert!(text.contains("exported from the wizard"), "{text}");
    assert!(
        !text.contains("sum-Pa55word"),
        "the password is in the report"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
    pane.assert_terminal_restored();
}

#[test]
fn a_panic_gives_the_terminal_back_and_shows_the_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pane = Pane::start(dir.path(), (80, 24), &[], &[("OM_UPGRADE_TEST_PANIC", "1")]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["F12"]);
    assert_eq!(pane.exit_code(), 101, "a panic exits with 101");
    pane.assert_terminal_restored();
    let history = pane.history();
    assert!(history.contains("injected panic"), "{history}");
}

#[test]
fn sigterm_gives_the_terminal_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pane = Pane::start(dir.path(), (80, 24), &[], &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    let status = Command::new("kill")
        .args(["-TERM", &pane.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    assert_eq!(pane.exit_code(), 143);
    pane.assert_terminal_restored();
}

#[test]
fn a_small_terminal_is_told_and_a_resize_redraws() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pane = Pane::start(dir.path(), (70, 20), &[], &[]);
    pane.wait_for("Terminal too small", Duration::from_secs(10));
    assert!(pane.screen().contains("70x20 here"));
    pane.tmux(&["resize-window", "-t", "omu", "-x", "100", "-y", "30"]);
    pane.wait_for(WELCOME, Duration::from_secs(5));
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
    pane.assert_terminal_restored();
}

#[test]
fn wizard_flags_do_not_mix_with_subcommands() {
    let out = run(&["--host", "db.internal", "check"], &[]);
    assert_eq!(out.status.code(), Some(2));
    // Said in words, with where the option goes instead.
    assert!(
        stderr(&out).contains("--host before `check` is an option of the wizard")
            && stderr(&out).contains("om-upgrade check --host"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_server_that_wants_a_password_gets_asked_for_it() {
    let db = TestDb::new(Engine::Mysql).await;
    let user = MysqlUser::create(&db, "w", "wiz-Pa55", "SELECT").await;
    let user = &user.name;
    let dir = tempfile::tempdir().expect("temp dir");
    let pane = Pane::start(
        dir.path(),
        (100, 30),
        &[
            "--engine",
            "mysql",
            "-H",
            "127.0.0.1",
            "-u",
            user,
            "-d",
            &db.name,
        ],
        // Logs go to a file, never over the screen.
        &[("RUST_LOG", "debug")],
    );
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter", "t"]);
    pane.wait_for(
        &format!("password needed for '{user}'"),
        Duration::from_secs(15),
    );
    pane.type_text("wiz-Pa55");
    pane.keys(&["Enter", "t"]);
    let screen = pane.wait_until("the second test", Duration::from_secs(30), |s| {
        s.contains("✔ db.connect") && !s.contains("running")
    });
    assert!(!screen.contains("wiz-Pa55"), "{screen}");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
    pane.assert_terminal_restored();
    let history = pane.history();
    assert!(
        !history.contains("DEBUG"),
        "log lines on the screen:\n{history}"
    );
    let log = std::fs::read_to_string(dir.path().join("state/wizard.log")).expect("log file");
    assert!(log.contains("DEBUG"), "{log}");
    assert!(!log.contains("wiz-Pa55"), "the password is in the log");
}

/// The backups in the wizard's default folder (under the test's data dir), by name.
/// The one wizard session saved under `dir`'s state folder (one file per database).
fn session_of(dir: &Path) -> String {
    let files = session_files(dir);
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::read_to_string(&files[0]).expect("session saved")
}

fn session_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("state")) else {
        return Vec::new();
    };
    entries
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("wizard-session-") && n.ends_with(".json"))
        })
        .collect()
}

fn backup_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("data/backups"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn wizard_walks_every_step_on_a_demo_database() {
    let (db, summary) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = db.url.clone();
    let args = ["--db-url", url.as_str(), "--target", "1.2.0"];
    let pane = Pane::start(dir.path(), (120, 40), &args, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));

    // Database: the connection test passes.
    pane.keys(&["Enter"]);
    pane.wait_for("Connection test  not run yet", Duration::from_secs(5));
    pane.keys(&["t"]);
    let screen = pane.wait_until("the test to finish", Duration::from_secs(30), |s| {
        s.contains("Connection test  ") && s.contains(" passed") && !s.contains("running")
    });
    assert!(!screen.contains('✘'), "{screen}");

    // Backup: taken, and where it is is said.
    pane.keys(&["n"]);
    pane.wait_for("Backup options", Duration::from_secs(5));
    pane.keys(&["b"]);
    let screen = pane.wait_for("Backup complete", Duration::from_secs(60));
    let files = backup_files(dir.path());
    let backup = files
        .iter()
        .find(|f| f.ends_with("_backup.sql"))
        .unwrap_or_else(|| panic!("a backup file in {files:?}"));
    let path = dir.path().join("data/backups").join(backup);
    assert!(
        screen.contains(&path.display().to_string()),
        "the absolute path {} is on screen:\n{screen}",
        path.display()
    );
    assert!(screen.contains("rsync -av --progress"), "{screen}");
    assert!(
        screen.contains("! Backup"),
        "taken, not yet verified: not ticked:\n{screen}"
    );
    assert!(!files.iter().any(|f| f.ends_with(".partial")), "{files:?}");
    // Checked: read back against its manifest, then restored into a scratch database.
    pane.keys(&["v"]);
    let screen = pane.wait_for("whole and true to its manifest", Duration::from_secs(30));
    assert!(
        screen.contains("✔ Backup"),
        "verified: the sidebar says so:\n{screen}"
    );
    // A test restore asks first, naming the scratch database it creates on the live server.
    pane.keys(&["t"]);
    let screen = pane.wait_for("Test restore?", Duration::from_secs(5));
    assert!(screen.contains("omu_restore_check_"), "{screen}");
    pane.keys(&["y"]);
    let screen = pane.wait_for("scratch database dropped", Duration::from_secs(60));
    assert!(screen.contains("tables restored into"), "{screen}");

    // Releases: on PostgreSQL the 1.2.0 query migration deletes nothing (not you); the Draft
    // glossary terms it approves affect this installation.
    pane.keys(&["n"]);
    let screen = pane.wait_until("the review", Duration::from_secs(60), |s| {
        s.contains("items in 1 release") && !s.contains("Reviewing")
    });
    let marked = |verdict: &str, title: &str| {
        screen
            .lines()
            .any(|l| l.contains(verdict) && l.contains(title))
    };
    assert!(marked("✔ not you", "Query entity now requires"), "{screen}");
    assert!(
        marked("✘ affects you", "Glossary terms in Draft"),
        "{screen}"
    );
    let drafts = summary.expected.draft_glossary_terms;
    assert!(drafts > 0, "the demo has Draft terms");

    // Clients: looked for and judged against 1.2.0.
    pane.keys(&["n"]);
    pane.wait_until("the interpreters", Duration::from_secs(60), |s| {
        s.contains("Python clients for OpenMetadata 1.2.0") && !s.contains("Looking for Python")
    });

    // Summary: the report of this walk is exported, with the backup it took.
    pane.keys(&["n"]);
    pane.wait_for("Export the report", Duration::from_secs(5));
    pane.keys(&["e"]);
    pane.wait_for("written", Duration::from_secs(15));
    let reports: Vec<PathBuf> = std::fs::read_dir(dir.path().join("data/reports"))
        .expect("the reports folder was made")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report = std::fs::read_to_string(&reports[0]).expect("report");
    assert!(report.contains(&path.display().to_string()), "{report}");
    assert!(report.contains("Query entity now requires"), "{report}");

    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
    pane.assert_terminal_restored();
    let session = session_of(dir.path());
    assert!(
        session.contains(&format!("\"last_backup\": \"{}\"", path.display())),
        "{session}"
    );
}

#[tokio::test]
async fn keys_answer_during_a_long_backup_and_esc_cancels_it() {
    let (db, _) = TestDb::demo(Engine::Postgres, 60).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = db.url.clone();
    let pane = Pane::start(
        dir.path(),
        (80, 24),
        &["--db-url", url.as_str(), "--target", "1.2.0"],
        &[],
    );
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["n", "n"]);
    pane.wait_for("Backup options", Duration::from_secs(5));
    pane.keys(&["b"]);
    pane.wait_for("overall", Duration::from_secs(30));

    // The help opens and closes while the backup runs: time from the key to the new screen.
    let mut latencies = Vec::new();
    for _ in 0..8 {
        if !pane.screen().contains("Backing up") {
            break;
        }
        for (shown, what) in [(true, "the help"), (false, "the help to close")] {
            let sent = Instant::now();
            pane.tmux(&["send-keys", "-t", "omu", "?"]);
            pane.wait_until(what, Duration::from_secs(5), |s| {
                s.contains("Everywhere") == shown
            });
            latencies.push(sent.elapsed());
        }
    }
    assert!(
        latencies.len() >= 4,
        "the backup ended before keys could be timed; use a bigger demo"
    );

    pane.keys(&["Escape"]);
    let screen = pane.wait_for("Backup cancelled", Duration::from_secs(30));
    assert!(screen.contains("the partial file was removed"), "{screen}");
    assert_eq!(
        backup_files(dir.path()),
        Vec::<String>::new(),
        "nothing is left behind"
    );

    // Idle again: no tick, no redraw.
    let pid = pane.pid();
    let ticks = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(5));
    let idle_cpu = (cpu_ticks(pid) - ticks) as f64 / clock_ticks_per_second() as f64 / 5.0 * 100.0;

    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
    pane.assert_terminal_restored();

    latencies.sort();
    eprintln!(
        "wizard during a backup (scale 60, 80x24, debug build): key latency median {} ms, max {} \
         ms (n={}, includes tmux capture polling); idle CPU {idle_cpu:.2}% over 5 s after the \
         cancel",
        latencies[latencies.len() / 2].as_millis(),
        latencies[latencies.len() - 1].as_millis(),
        latencies.len(),
    );
}

// The six ways the wizard's checklist used to say "ready" when it was not, each replayed
// against a real database and ending with an exported report that does not tick what failed.

/// The JSON report the Summary exports (f switches Markdown to JSON, e writes it).
fn export_json(pane: &Pane, dir: &Path) -> serde_json::Value {
    pane.keys(&["f"]);
    pane.wait_for(".json", Duration::from_secs(5));
    pane.keys(&["e"]);
    pane.wait_until("the export", Duration::from_secs(30), |s| {
        s.contains("written") && !s.contains("writing")
    });
    let reports: Vec<PathBuf> = std::fs::read_dir(dir.join("data/reports"))
        .expect("the reports folder was made")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    serde_json::from_str(&std::fs::read_to_string(&reports[0]).expect("report")).expect("json")
}

/// On the Database step, runs the connection test and waits for it to end.
fn test_connection(pane: &Pane) -> String {
    pane.keys(&["t"]);
    pane.wait_until("the test to finish", Duration::from_secs(60), |s| {
        s.contains("Connection test  ") && s.contains(" passed") && !s.contains("running")
    })
}

/// 1. A backup of another database (MariaDB) in the folder of a PostgreSQL installation: the
/// list says whose it is, picking it is refused, "use anyway" is recorded and not ticked.
#[tokio::test]
async fn e2e_a_backup_of_another_database_is_refused_and_recorded_when_used_anyway() {
    let (pg, _) = TestDb::demo(Engine::Postgres, 1).await;
    let (maria, _) = TestDb::demo(Engine::Mysql, 1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let backups = dir.path().join("data/backups");
    let out = run(
        &[
            "backup",
            "--db-url",
            &maria.url,
            "--output",
            backups.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = run(&["backups", backups.to_str().unwrap()], &[]);
    let other = format!("of mysql 127.0.0.1:3306/{}", maria.name);
    assert!(stdout(&listed).contains(&other), "{}", stdout(&listed));

    let args = ["--db-url", pg.url.as_str(), "--target", "1.2.5"];
    let pane = Pane::start(dir.path(), (120, 40), &args, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter"]);
    test_connection(&pane);
    pane.keys(&["n"]);
    pane.wait_for("OTHER:", Duration::from_secs(10));
    pane.keys(&["Tab", "Enter"]);
    let screen = pane.wait_for("Not used:", Duration::from_secs(5));
    assert!(screen.contains("not of this database"), "{screen}");
    assert!(screen.contains("use anyway"), "{screen}");
    assert!(!screen.contains("✔ Backup"), "{screen}");
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("NOT this database (used anyway", Duration::from_secs(5));
    assert!(!screen.contains("✔ Backup"), "{screen}");
    pane.keys(&["n", "n", "n"]);
    pane.wait_for("Export the report", Duration::from_secs(5));
    let report = export_json(&pane, dir.path());
    let backup = &report["checklist"][1];
    assert_eq!(backup["step"], "backup");
    assert_eq!(backup["done"], false, "{backup}");
    assert_ne!(backup["status"], "pass", "{backup}");
    assert_eq!(backup["backup"]["used_anyway"], true, "{backup}");
    assert!(
        backup["backup"]["source"]
            .as_str()
            .is_some_and(|s| s.contains(&maria.name)),
        "{backup}"
    );
    assert_ne!(report["overall"]["readiness"], "ready");
    pane.keys(&["q"]);
    pane.keys(&["y"]);
    pane.exit_code();
    pane.assert_terminal_restored();
}

/// 2. A target older than the installed version (MariaDB, 1.1.5 → 1.0.0): a blocker with exit
/// code 1 in the Summary and the export, as `om-upgrade report` says; the list refuses it.
#[tokio::test]
async fn e2e_a_downgrade_target_is_a_blocker_with_the_exit_code_of_report() {
    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let args = ["--db-url", db.url.as_str(), "--target", "1.0.0"];
    let pane = Pane::start(dir.path(), (80, 24), &args, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter", "t"]);
    pane.wait_until("the test to finish", Duration::from_secs(60), |s| {
        s.contains("✘ db.openmetadata") && !s.contains("running")
    });
    pane.keys(&["p", "t"]);
    let screen = pane.wait_for("older than installed: refused", Duration::from_secs(5));
    assert!(screen.contains("1.0.0"), "{screen}");
    pane.keys(&["Escape"]);
    pane.keys(&["n", "n", "n", "n", "n"]);
    let screen = pane.wait_for("Export the report", Duration::from_secs(5));
    assert!(screen.contains("not ready"), "{screen}");
    assert!(screen.contains("exit code 1"), "{screen}");
    let report = export_json(&pane, dir.path());
    assert_eq!(
        report["overall"]["readiness"], "blocked",
        "{}",
        report["overall"]
    );
    assert_eq!(report["overall"]["exit_code"], 1);
    assert!(
        report["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["check"] == "db.openmetadata"),
        "{}",
        report["blockers"]
    );
    let cli = run(
        &[
            "report",
            "--db-url",
            &db.url,
            "--target",
            "1.0.0",
            "--no-session",
            "--format",
            "json",
            "--output",
            "-",
        ],
        &[],
    );
    let cli_report: serde_json::Value = serde_json::from_str(&stdout(&cli)).expect("json");
    assert_eq!(cli.status.code(), Some(1), "{}", stderr(&cli));
    assert_eq!(
        cli_report["overall"]["readiness"],
        report["overall"]["readiness"]
    );
    assert_eq!(
        cli_report["overall"]["exit_code"],
        report["overall"]["exit_code"]
    );
    pane.keys(&["q"]);
    pane.keys(&["y"]);
    pane.exit_code();
}

/// 3. Quit and resume (PostgreSQL): the verified backup comes back with its real facts, the
/// connection test with its results; the steps that never ran are "not run" in the report,
/// never half a result.
#[tokio::test]
async fn e2e_resume_restores_the_backup_and_marks_what_is_not_kept_not_run() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let args = ["--db-url", db.url.as_str(), "--target", "1.2.5"];
    let pane = Pane::start(dir.path(), (120, 40), &args, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter"]);
    test_connection(&pane);
    pane.keys(&["n"]);
    pane.wait_for("Backup options", Duration::from_secs(5));
    pane.keys(&["b"]);
    pane.wait_for("Backup complete", Duration::from_secs(60));
    pane.keys(&["v"]);
    pane.wait_for("✔ Backup", Duration::from_secs(30));
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);

    let pane = Pane::start(dir.path(), (120, 40), &args, &[]);
    pane.wait_for("Resume?", Duration::from_secs(10));
    pane.keys(&["Enter"]);
    pane.wait_for("✔ Backup", Duration::from_secs(10));
    pane.keys(&["n", "n", "n"]);
    let screen = pane.wait_for("Export the report", Duration::from_secs(5));
    assert!(!screen.contains("0 B"), "{screen}");
    let report = export_json(&pane, dir.path());
    let database = &report["checklist"][0];
    let backup = &report["checklist"][1];
    // The connection test is kept with the session (its results and their time).
    assert_eq!(database["status"], "warn", "{database}");
    assert_eq!(report["checklist"][2]["status"], "not_run");
    assert_ne!(report["openmetadata"]["installed"], serde_json::Value::Null);
    assert_eq!(backup["status"], "pass", "{backup}");
    assert_eq!(backup["backup"]["verified"], "passed", "{backup}");
    assert!(backup["backup"]["bytes"].as_u64().unwrap() > 0, "{backup}");
    assert_eq!(report["overall"]["readiness"], "incomplete");
    assert_eq!(report["overall"]["exit_code"], 1);
    pane.keys(&["q"]);
    pane.keys(&["y"]);
    pane.exit_code();
}

/// 3b. Quit and resume after every step ran (PostgreSQL, a password in the URL): the session
/// keeps each step's results with their time and key (never the password); on resume the
/// Summary and the Database step show them with their time, the export agrees with itself and
/// with the one made before quitting, and `om-upgrade report` gives the same verdict.
#[tokio::test]
async fn e2e_resume_restores_every_steps_results_with_their_time() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    const PASSWORD: &str = "Kept-Out-Of-The-Session-42";
    let url = db
        .url
        .replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1);
    assert_ne!(url, db.url, "the test URL names the user postgres");
    let args = ["--db-url", url.as_str(), "--target", "1.2.5"];
    let pane = Pane::start(dir.path(), (120, 40), &args, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter"]);
    test_connection(&pane);
    pane.keys(&["n"]);
    pane.wait_for("Backup options", Duration::from_secs(5));
    pane.keys(&["b"]);
    pane.wait_for("Backup complete", Duration::from_secs(60));
    pane.keys(&["v"]);
    pane.wait_for("✔ Backup", Duration::from_secs(30));
    pane.keys(&["n"]);
    pane.wait_for("breaking acknowledged", Duration::from_secs(60));
    pane.keys(&["n", "n"]);
    pane.wait_until("every step to finish", Duration::from_secs(120), |s| {
        s.contains("Export the report") && !s.contains("running…")
    });
    let before = export_json(&pane, dir.path());
    std::fs::rename(dir.path().join("data/reports"), dir.path().join("before")).unwrap();
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);

    let session = session_of(dir.path());
    assert!(!session.contains(PASSWORD), "{session}");
    let saved: serde_json::Value = serde_json::from_str(&session).unwrap();
    for step in ["database", "releases", "clients"] {
        let kept = &saved["results"][step];
        assert!(kept["computed_at"].is_string(), "{step}: {kept}");
        assert_eq!(kept["key"]["target"], "1.2.5", "{step}");
        assert_eq!(kept["key"]["connection"]["database"], db.name.as_str());
    }

    let pane = Pane::start(dir.path(), (120, 40), &args, &[]);
    pane.wait_for("Resume?", Duration::from_secs(10));
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("Export the report", Duration::from_secs(10));
    assert!(screen.contains("kept from"), "{screen}");
    assert!(!screen.contains("not run yet"), "{screen}");
    let after = export_json(&pane, dir.path());
    for (i, step) in before["checklist"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            after["checklist"][i]["status"], step["status"],
            "{}",
            after["checklist"][i]
        );
    }
    assert_eq!(after["overall"], before["overall"]);
    assert_eq!(
        after["openmetadata"]["installed"], "1.1.5",
        "{}",
        after["openmetadata"]
    );
    assert_eq!(after["checklist"][1]["backup"]["verified"], "passed");
    assert_eq!(after["blockers"], before["blockers"]);
    assert_eq!(after["open_actions"], before["open_actions"]);

    // `om-upgrade report` for the same state: the same verdict and exit code.
    let data = dir.path().join("data").display().to_string();
    let state = dir.path().join("state").display().to_string();
    let cli = run(
        &[
            "report", "--db-url", &url, "--target", "1.2.5", "--format", "json", "--output", "-",
        ],
        &[
            ("OM_UPGRADE_DATA_DIR", data.as_str()),
            ("OM_UPGRADE_STATE_DIR", state.as_str()),
        ],
    );
    let cli_report: serde_json::Value = serde_json::from_str(&stdout(&cli)).expect("json");
    assert_eq!(
        cli_report["overall"]["readiness"], after["overall"]["readiness"],
        "report: {}\nwizard: {}",
        cli_report["overall"], after["overall"]
    );
    assert_eq!(
        cli_report["overall"]["exit_code"],
        after["overall"]["exit_code"]
    );
    assert_eq!(
        cli.status.code(),
        after["overall"]["exit_code"].as_i64().map(|c| c as i32)
    );

    // The Database step shows the kept test with its time (going back re-runs nothing there).
    pane.keys(&["p", "p", "p", "p"]);
    let screen = pane.wait_for("kept from", Duration::from_secs(10));
    assert!(screen.contains("Connection test"), "{screen}");
    pane.keys(&["q"]);
    pane.keys(&["y"]);
    pane.exit_code();
}

/// 4. The target changed after the database test (MariaDB): its results are stale, the Summary
/// and the report say "stale — re-run", and the report written before is shown outdated.
#[tokio::test]
async fn e2e_a_changed_target_makes_results_stale() {
    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let args = ["--db-url", db.url.as_str(), "--target", "1.2.5"];
    let pane = Pane::start(dir.path(), (120, 40), &args, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter"]);
    test_connection(&pane);
    pane.keys(&["Right", "Right", "Right", "Right"]);
    pane.wait_for("Export the report", Duration::from_secs(5));
    let before = export_json(&pane, dir.path());
    assert_ne!(before["checklist"][0]["status"], "stale");
    pane.keys(&["p", "p", "p", "p", "p", "t", "Up", "Enter"]);
    let screen = pane.wait_for("picked here", Duration::from_secs(5));
    assert!(!screen.contains("target 1.2.5"), "{screen}");
    pane.keys(&["n", "n", "n", "n", "n"]);
    let screen = pane.wait_for("Export the report", Duration::from_secs(5));
    assert!(screen.contains("stale — re-run"), "{screen}");
    assert!(screen.contains("written before the last"), "{screen}");
    pane.keys(&["e"]);
    pane.wait_until("the export", Duration::from_secs(30), |s| {
        s.contains("written") && !s.contains("writing") && !s.contains("before the last")
    });
    let reports: Vec<PathBuf> = std::fs::read_dir(dir.path().join("data/reports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&reports[0]).unwrap()).unwrap();
    assert_eq!(
        after["checklist"][0]["status"], "stale",
        "{}",
        after["checklist"][0]
    );
    assert_ne!(after["overall"]["readiness"], "ready");
    pane.keys(&["q"]);
    pane.keys(&["y"]);
    pane.exit_code();
}

/// 5. Sessions are per database: another database's session is not offered, and --fresh
/// removes the one it replaces.
#[tokio::test]
async fn e2e_another_databases_session_is_not_offered_and_fresh_removes_it() {
    let (pg, _) = TestDb::demo(Engine::Postgres, 1).await;
    let maria = TestDb::new(Engine::Mysql).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let on = |url: &str| vec![url.to_string(), "--target".into(), "1.2.5".into()];
    let start = |url: &str, extra: &[&str]| {
        let mut args: Vec<String> = vec!["--db-url".into()];
        args.extend(on(url));
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        Pane::start(dir.path(), (80, 24), &refs, &[])
    };
    let pane = start(&pg.url, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter"]);
    pane.wait_for("Connection test  not run yet", Duration::from_secs(5));
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
    assert_eq!(session_files(dir.path()).len(), 1);

    let pane = start(&maria.url, &[]);
    let screen = pane.wait_for(WELCOME, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!pane.screen().contains("Resume?"), "{screen}");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);

    let pane = start(&pg.url, &[]);
    pane.wait_for("Resume?", Duration::from_secs(10));
    pane.keys(&["n", "q"]);
    assert_eq!(pane.exit_code(), 0);

    let pane = start(&pg.url, &["--fresh"]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
    assert!(session_files(dir.path()).is_empty(), "--fresh removed it");
    let pane = start(&pg.url, &[]);
    let screen = pane.wait_for(WELCOME, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!pane.screen().contains("Resume?"), "{screen}");
    pane.keys(&["q"]);
    assert_eq!(pane.exit_code(), 0);
}

/// 6. Enter on the engine field of a flag-given `postgres` changes nothing: the labels still
/// say where the values came from, the test connects, the report names postgres.
#[tokio::test]
async fn e2e_enter_keeps_the_flag_given_engine() {
    let db = TestDb::new(Engine::Postgres).await;
    let settings = db.settings();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = settings.port.value.to_string();
    let args = [
        "--engine",
        "postgres",
        "-H",
        settings.host.value.as_str(),
        "--port",
        port.as_str(),
        "-u",
        settings.user.value.as_str(),
        "-d",
        db.name.as_str(),
        "--target",
        "1.2.5",
    ];
    let pane = Pane::start(dir.path(), (80, 24), &args, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter"]);
    pane.wait_for("Connection test  not run yet", Duration::from_secs(5));
    pane.keys(&["Enter", "Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    let screen = pane.screen();
    let engine = screen
        .lines()
        .find(|l| l.contains("engine "))
        .unwrap_or_default();
    assert!(engine.contains("postgres"), "{screen}");
    assert!(engine.contains("from flag"), "{screen}");
    let port_line = screen
        .lines()
        .find(|l| l.contains(" port "))
        .unwrap_or_default();
    assert!(
        port_line.contains(&port) && port_line.contains("from flag"),
        "{screen}"
    );
    pane.keys(&["t"]);
    let screen = pane.wait_until("the test to finish", Duration::from_secs(60), |s| {
        s.contains("Connection test  ") && !s.contains("running") && s.contains("db.connect")
    });
    assert!(screen.contains("✔ db.connect"), "{screen}");
    pane.keys(&["n", "n", "n", "n"]);
    pane.wait_for("Export the report", Duration::from_secs(5));
    let report = export_json(&pane, dir.path());
    assert_eq!(report["database"]["engine"], "postgres");
    pane.keys(&["q"]);
    pane.keys(&["y"]);
    pane.exit_code();
}

/// Ctrl-C while the connection test hangs (a port that takes the connection and never answers,
/// with a connect timeout of a minute): the wizard does not ask, stops the attempt and exits,
/// long before the attempt would have ended, with the terminal given back.
#[test]
fn ctrl_c_during_a_hanging_connection_attempt_quits() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
    let port = silent.local_addr().expect("its address").port().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let args = [
        "--engine",
        "postgres",
        "-H",
        "127.0.0.1",
        "--port",
        port.as_str(),
        "-u",
        "om",
        "-d",
        "openmetadata_db",
        "--connect-timeout",
        "60",
    ];
    let pane = Pane::start(dir.path(), (80, 24), &args, &[]);
    pane.wait_for(WELCOME, Duration::from_secs(10));
    pane.keys(&["Enter"]);
    pane.wait_for("Connection test  not run yet", Duration::from_secs(5));
    pane.keys(&["t"]);
    pane.wait_for("running", Duration::from_secs(5));
    pane.keys(&["C-c"]);
    // exit_code waits 10 s at most: far less than the attempt's minute.
    assert_eq!(pane.exit_code(), 0);
    pane.assert_terminal_restored();
    drop(silent);
}
