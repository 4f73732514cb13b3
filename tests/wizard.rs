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

    // The next start offers the session; resuming lands on the Database step.
    let pane = Pane::start(dir.path(), (80, 24), &args, &[]);
    pane.wait_for("Resume?", Duration::from_secs(10));
    pane.keys(&["Enter"]);
    pane.wait_for("Connection test  not run yet", Duration::from_secs(5));
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
    assert!(
        stderr(&out).contains("cannot be used with"),
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
    pane.keys(&["t"]);
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
