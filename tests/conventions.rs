//! The command-line conventions every subcommand follows, checked on the built binary: help with
//! an about text and examples, the global flags, `--json`, completions and man pages that name
//! every subcommand, `--version`, `--color`, `-q`/`-v`, and a re-runnable `demo --if-missing`.
//! The subcommands are discovered from clap's command tree, so a new one is held to the same
//! rules without changing this file.

mod common;

use clap::CommandFactory;
use common::{TestDb, run, stderr, stdout};
use om_upgrade::cli::Cli;
use om_upgrade::db::Engine;

/// Every subcommand as the words that name it (`["check"]`, …), nested ones included.
fn subcommand_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), &[], &mut out);
    out
}

/// Subcommands that print a result a script may read; the others print a file format.
fn reports(name: &str) -> bool {
    !matches!(name, "completions" | "man")
}

#[test]
fn every_subcommand_has_help_with_about_examples_and_the_global_flags() {
    let paths = subcommand_paths();
    let names: Vec<&str> = paths.iter().map(|p| p[0].as_str()).collect();
    for expected in ["check", "backup", "report", "demo", "completions", "man"] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    let tree = Cli::command();
    for path in &paths {
        let cmd = path
            .iter()
            .try_fold(&tree, |cmd, name| cmd.find_subcommand(name))
            .unwrap();
        let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
        assert!(!about.trim().is_empty(), "{path:?} has no about text");
        for flag in ["--help", "-h"] {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push(flag);
            let out = run(&args, &[]);
            let help = stdout(&out);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
            assert!(help.contains("Usage: om-upgrade"), "{args:?}:\n{help}");
            assert!(
                help.contains("Examples:"),
                "{args:?} shows no examples:\n{help}"
            );
            for global in ["--color <WHEN>", "--quiet", "--verbose"] {
                assert!(help.contains(global), "{args:?} lacks {global}:\n{help}");
            }
            assert_eq!(
                help.contains("--json"),
                reports(&path[0]),
                "{args:?}: --json on every subcommand that reports, and only there:\n{help}"
            );
        }
        // The long help starts with the long about (or the about) text.
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let long = stdout(&run(&args, &[]));
        let first = cmd
            .get_long_about()
            .or(cmd.get_about())
            .unwrap()
            .to_string();
        // Wrapped to the terminal's width: compare the first words.
        let words = |text: &str| {
            text.split_whitespace()
                .take(6)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(words(&long), words(&first), "{args:?}:\n{long}");
    }
    let top = run(&["--help"], &[]);
    assert_eq!(top.status.code(), Some(0));
    assert!(stdout(&top).contains("Examples:"));
}

#[test]
fn json_is_the_one_spelling_and_excludes_a_different_format() {
    let json = run(
        &["releases", "--from", "1.1.7", "--to", "1.2.0", "--json"],
        &[],
    );
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let same = run(
        &[
            "releases", "--from", "1.1.7", "--to", "1.2.0", "--format", "json",
        ],
        &[],
    );
    assert_eq!(
        value,
        serde_json::from_slice::<serde_json::Value>(&same.stdout).unwrap()
    );
    let both = run(
        &[
            "releases", "--to", "1.2.0", "--json", "--format", "markdown",
        ],
        &[],
    );
    assert_eq!(both.status.code(), Some(2));
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );

    let folder = tempfile::tempdir().unwrap();
    let listed = run(&["backups", folder.path().to_str().unwrap(), "--json"], &[]);
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    serde_json::from_slice::<serde_json::Value>(&listed.stdout).expect("backups --json is JSON");
}

#[test]
fn completions_for_every_shell_name_every_subcommand() {
    let names: Vec<String> = subcommand_paths()
        .into_iter()
        .map(|p| p[0].clone())
        .collect();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell], &[]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.len() > 1000, "{shell}: {script}");
        for name in &names {
            assert!(
                script.contains(name.as_str()),
                "{shell} completion lacks {name}"
            );
        }
        // fish writes flags as `-l color`, the others as `--color`.
        for flag in ["color", "db-url", "json", "if-missing"] {
            assert!(
                script.contains(&format!("--{flag}")) || script.contains(&format!("-l {flag}")),
                "{shell} completion lacks --{flag}"
            );
        }
    }
    let bad = run(&["completions", "tcsh"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_pages_cover_every_subcommand() {
    let names: Vec<String> = subcommand_paths()
        .into_iter()
        .map(|p| p[0].clone())
        .collect();
    let out = run(&["man"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH om-upgrade 1"),
        "{page}"
    );
    for name in &names {
        assert!(
            page.contains(&format!("om\\-upgrade\\-{}", name.replace('-', "\\-")))
                || page.contains(&format!("\\fB{name}\\fR")),
            "the main page does not name {name}:\n{page}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let out = run(&["man", "--output-dir", dir.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    use std::os::unix::fs::PermissionsExt;
    for file in std::iter::once("om-upgrade.1".to_string())
        .chain(names.iter().map(|n| format!("om-upgrade-{n}.1")))
    {
        let path = dir.path().join(&file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{file} was not written: {e}"));
        assert!(text.contains(".TH "), "{file}: {text}");
        assert!(text.contains(".SH OPTIONS"), "{file}: {text}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{file}");
    }
    let check = std::fs::read_to_string(dir.path().join("om-upgrade-check.1")).unwrap();
    assert!(check.contains("\\-\\-target"), "{check}");
    assert!(check.contains("Examples:"), "{check}");
    let missing = run(&["man", "--output-dir", "/nonexistent/om-upgrade-man"], &[]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
}

#[test]
fn version_is_one_line_short_and_says_the_build_and_catalogue_long() {
    let short = run(&["-V"], &[]);
    assert_eq!(short.status.code(), Some(0));
    assert_eq!(
        stdout(&short).trim_end(),
        format!("om-upgrade {}", env!("CARGO_PKG_VERSION"))
    );
    let long = stdout(&run(&["--version"], &[]));
    let lines: Vec<&str> = long.lines().collect();
    assert_eq!(
        lines[0],
        format!("om-upgrade {}", env!("CARGO_PKG_VERSION")),
        "{long}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("built: ") && l.contains("rustc")),
        "{long}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("release catalogue: OpenMetadata ")),
        "{long}"
    );
}

#[test]
fn color_follows_the_flag_then_no_color_then_clicolor_force() {
    let releases = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["releases", "--from", "1.1.7", "--to", "1.2.0"];
        args.extend_from_slice(extra);
        let out = run(&args, env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out).contains('\u{1b}')
    };
    // run() sets NO_COLOR=1; output into a pipe.
    assert!(!releases(&[], &[]));
    assert!(releases(&["--color", "always"], &[]));
    assert!(releases(&["--color=always"], &[("NO_COLOR", "")]));
    assert!(releases(&[], &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]));
    assert!(!releases(
        &["--color", "never"],
        &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]
    ));
    // Before the subcommand too.
    let out = run(
        &[
            "--color", "always", "releases", "--from", "1.1.7", "--to", "1.2.0",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains('\u{1b}'));
    let bad = run(&["--color", "sometimes", "releases"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_wizard_option_before_a_subcommand_is_refused_with_where_to_put_it() {
    let out = run(&["--target", "1.2.0", "releases", "--to", "1.2.0"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let text = stderr(&out);
    assert!(
        text.contains("--target before `releases` is an option of the wizard"),
        "{text}"
    );
    let both = run(&["-q", "-v", "releases", "--to", "1.2.0"], &[]);
    assert_eq!(both.status.code(), Some(2));
}

#[tokio::test]
async fn quiet_and_verbose_say_less_and_more_on_stderr() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let check = |flags: &[&str]| {
        // A password on the command line is warned about (trust authentication ignores it).
        let mut args = vec!["check", "--db-url", db.url.as_str(), "--target", "1.2.0"];
        args.extend_from_slice(&["--password", "not-needed"]);
        args.extend_from_slice(flags);
        let out = run(&args, &[]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        (stdout(&out), stderr(&out))
    };
    let (plain_out, plain_err) = check(&[]);
    assert!(
        plain_err.contains("warning: the password given with"),
        "{plain_err}"
    );
    let (quiet_out, quiet_err) = check(&["-q"]);
    assert_eq!(quiet_err, "", "-q leaves errors only");
    assert_eq!(
        quiet_out.lines().count(),
        plain_out.lines().count(),
        "-q leaves the result as it is"
    );
    assert!(
        !plain_err.contains("connected to the database"),
        "{plain_err}"
    );
    let (_, verbose) = check(&["-v"]);
    assert!(verbose.contains("connected to the database"), "{verbose}");
    assert!(verbose.contains("check finished"), "{verbose}");
    assert!(verbose.contains("db.connect"), "{verbose}");
    assert!(
        !verbose.contains("SELECT"),
        "-v does not show SQL:\n{verbose}"
    );
    let (_, very) = check(&["-vv"]);
    assert!(
        very.contains("SELECT"),
        "-vv shows the SQL statements:\n{very}"
    );
    // -v wins over RUST_LOG=off, and works before the subcommand too.
    let out = run(
        &["-v", "check", "--db-url", &db.url],
        &[("RUST_LOG", "off")],
    );
    assert!(
        stderr(&out).contains("connected to the database"),
        "{}",
        stderr(&out)
    );
}

/// The README's first command: `demo --if-missing` builds the sample once and leaves it alone
/// afterwards, but still refuses a database that holds anything else, or a sample cut short.
#[tokio::test]
async fn demo_if_missing_is_rerunnable_and_still_refuses_foreign_databases() {
    for engine in common::ENGINES {
        let db = TestDb::new(engine).await;
        // The set-up command also creates the database itself.
        let admin = common::admin(engine).await;
        admin
            .execute_script(&format!("DROP DATABASE {}", db.name))
            .await
            .unwrap();
        let first = run(
            &["demo", "--db-url", &db.url, "--if-missing", "--json"],
            &[],
        );
        assert_eq!(first.status.code(), Some(0), "{engine}: {}", stderr(&first));
        let created: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
        assert_eq!(created["created"], true);
        let again = run(&["demo", "--db-url", &db.url, "--if-missing"], &[]);
        assert_eq!(again.status.code(), Some(0), "{engine}: {}", stderr(&again));
        let text = stdout(&again);
        assert!(text.contains("already holds the sample"), "{text}");
        assert!(text.contains("Next: om-upgrade check"), "{text}");
        let json = run(
            &["demo", "--db-url", &db.url, "--if-missing", "--json"],
            &[],
        );
        let reused: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(reused["created"], false, "{reused}");
        assert_eq!(reused["tables"], om_upgrade::demo::schema::tables().len());
        // Without --if-missing it is refused, as before.
        let plain = run(&["demo", "--db-url", &db.url], &[]);
        assert_eq!(plain.status.code(), Some(1));
        // A sample cut short (its last row missing) is not taken for a finished one.
        let conn = db.connect().await;
        conn.execute_script("DELETE FROM task_sequence")
            .await
            .unwrap();
        conn.close().await;
        let cut = run(&["demo", "--db-url", &db.url, "--if-missing"], &[]);
        assert_eq!(cut.status.code(), Some(1));
        assert!(
            stderr(&cut).contains("was not finished"),
            "{}",
            stderr(&cut)
        );

        // Any other database with tables is refused, and left untouched.
        let foreign = TestDb::new(engine).await;
        let conn = foreign.connect().await;
        conn.execute_script("CREATE TABLE dbservice_entity (name VARCHAR(50), json TEXT)")
            .await
            .unwrap();
        conn.close().await;
        let refused = run(&["demo", "--db-url", &foreign.url, "--if-missing"], &[]);
        assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
        assert!(
            stderr(&refused).contains("already has 1 tables"),
            "{}",
            stderr(&refused)
        );
        let conn = foreign.connect().await;
        assert_eq!(
            conn.fetch_i64("SELECT COUNT(*) FROM dbservice_entity", &[])
                .await
                .unwrap(),
            0
        );
        conn.close().await;
        admin.close().await;
    }
}
