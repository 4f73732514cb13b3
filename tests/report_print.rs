//! The HTML report printed by a real browser: headless Chromium (Debian's `chromium`) renders
//! the page to PDF and PNG, and poppler's `pdftotext`/`pdfinfo` read the PDF back. Without
//! Chromium the test says it did not run; with OMU_REQUIRE_CHROMIUM=1 (set by .ci/run) it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestDb, run, stderr, stdout};
use om_upgrade::db::Engine;

/// The browser and poppler tools, or `None` when the test cannot run here.
fn tools() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let find = |name: &str| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        })
    };
    let chromium = std::env::var_os("OMU_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| find("chromium"))
        .or_else(|| find("chromium-browser"));
    let pdftotext = find("pdftotext");
    let pdfinfo = find("pdfinfo");
    match (chromium, pdftotext, pdfinfo) {
        (Some(c), Some(t), Some(i)) => Some((c, t, i)),
        _ if std::env::var("OMU_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1") => panic!(
            "OMU_REQUIRE_CHROMIUM=1 but chromium, pdftotext or pdfinfo is missing: \
             apt-get install chromium poppler-utils"
        ),
        _ => {
            eprintln!(
                "\n*** print test NOT RUN: needs chromium and poppler-utils \
                 (apt-get install chromium poppler-utils) ***\n"
            );
            None
        }
    }
}

/// Runs a command to its end, killing it after `limit`; its exit status must be success.
fn run_within(command: &mut Command, limit: Duration) -> String {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            assert!(
                status.success(),
                "{command:?} failed ({status}):\n{text}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            return text;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn chromium(binary: &Path, profile: &Path, args: &[String], page: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--no-first-run")
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .env("HOME", profile);
    command
}

/// Whitespace removed: pdftotext breaks lines where the page did.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[tokio::test]
async fn the_html_report_prints_every_step_on_its_own_pages_with_every_check() {
    let Some((browser, pdftotext, pdfinfo)) = tools() else {
        return;
    };
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = "print-test-Secret-4711";
    let env = [("DB_USER_PASSWORD", secret)];
    let html = dir.path().join("checklist.html");
    let written = run(
        &[
            "report",
            "--db-url",
            &db.url,
            "--target",
            "1.2.0",
            "--format",
            "html",
            "--output",
            html.to_str().unwrap(),
            "--no-session",
        ],
        &env,
    );
    assert!(html.is_file(), "no report: {}", stderr(&written));
    let json = run(
        &[
            "report",
            "--db-url",
            &db.url,
            "--target",
            "1.2.0",
            "--json",
            "--output",
            "-",
            "--no-session",
        ],
        &env,
    );
    let report: serde_json::Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&json), stderr(&json)));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("@media print"), "no print stylesheet");
    let steps = page.matches("<section class=\"step\">").count();
    assert!(steps >= 4, "{steps} steps in the page");

    let profile = dir.path().join("profile");
    std::fs::create_dir(&profile).unwrap();
    let pdf = dir.path().join("checklist.pdf");
    run_within(
        &mut chromium(
            &browser,
            &profile,
            &[format!("--print-to-pdf={}", pdf.display())],
            &html,
        ),
        Duration::from_secs(180),
    );
    let png = dir.path().join("checklist.png");
    run_within(
        &mut chromium(
            &browser,
            &profile,
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1024,1400".into(),
            ],
            &html,
        ),
        Duration::from_secs(180),
    );
    let image = std::fs::read(&png).unwrap();
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        image.len() > 20_000,
        "a {} byte screenshot is blank",
        image.len()
    );

    let info = run_within(Command::new(&pdfinfo).arg(&pdf), Duration::from_secs(60));
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in:\n{info}"));
    // The summary, then every step from a new page.
    assert!(pages > steps, "{pages} pages for {steps} steps:\n{info}");

    let text = run_within(
        // -raw: the text in the order the browser drew it, so a check id wrapped inside its
        // table cell reads on (the default layout mode interleaves the table's columns).
        Command::new(&pdftotext).arg("-raw").arg(&pdf).arg("-"),
        Duration::from_secs(60),
    );
    let flat = squeezed(&text);
    let mut headings = vec![
        "Checklist".to_string(),
        "Blockers".into(),
        "Open actions".into(),
    ];
    for step in report["checklist"].as_array().unwrap() {
        headings.push(format!(
            "{}. {}",
            step["number"],
            step["title"].as_str().unwrap()
        ));
    }
    for heading in &headings {
        assert!(
            flat.contains(&squeezed(heading)),
            "no {heading:?} in:\n{text}"
        );
    }
    // Every check of a checklist step is in that step's table; the whole-installation checks
    // (search, server, secrets) belong to no step yet and are printed when they need action,
    // under Blockers / Open actions.
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["step"].is_null() || matches!(c["status"].as_str(), Some("warn" | "fail")))
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(ids.len() >= 10, "{ids:?}");
    for id in ids {
        assert!(
            flat.contains(id),
            "check {id} is not on the printed pages:\n{text}"
        );
    }
    assert!(!text.contains(secret), "the password is printed");
    // Every step starts a page: its heading is the first text on one.
    for step in report["checklist"].as_array().unwrap() {
        let heading = squeezed(&format!(
            "{}. {}",
            step["number"],
            step["title"].as_str().unwrap()
        ));
        assert!(
            text.split('\u{c}')
                .any(|page| squeezed(page).starts_with(&heading)),
            "{heading} does not start a page:\n{text}"
        );
    }
}
