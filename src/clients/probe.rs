//! Asking an interpreter about itself: a tiny script prints its version, prefix and `sys.path`
//! as JSON (it imports only `sys` and `json`, and works from Python 2.7 on); and whether
//! `python -m metadata --version` runs. Every run has a timeout and is killed when it expires,
//! so a broken interpreter never hangs the tool.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::process::Command;

use crate::humanize;
use crate::secrets::ScrubEnv;
use crate::version::Version;

const FACTS_SCRIPT: &str = "import sys, json; print(json.dumps({\
'version': list(sys.version_info[:3]), \
'executable': sys.executable, \
'prefix': sys.prefix, \
'base_prefix': getattr(sys, 'base_prefix', sys.prefix), \
'path': [p for p in sys.path if p]}))";

/// What an interpreter says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub python: Version,
    /// `sys.executable`: the path pip commands should use.
    pub executable: Option<PathBuf>,
    pub prefix: PathBuf,
    /// `sys.prefix != sys.base_prefix`: a virtual environment.
    pub venv: bool,
    pub path: Vec<PathBuf>,
}

#[derive(Deserialize)]
struct RawFacts {
    version: Vec<u64>,
    executable: Option<String>,
    prefix: String,
    base_prefix: String,
    path: Vec<String>,
}

/// Why an interpreter could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot start it: {0}")]
    Spawn(String),
    #[error("no answer within {}", humanize::duration(*.0))]
    Timeout(Duration),
    #[error("it exited with {status}: {message}")]
    Failed { status: String, message: String },
    #[error("it did not answer like a Python interpreter: {0}")]
    NotPython(String),
}

/// A finished run of a command with its captured output.
struct Ran {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

async fn run(program: &Path, args: &[&str], timeout: Duration) -> Result<Ran, ProbeError> {
    let child = Command::new(program)
        .scrub_secrets(&[])
        .args(args)
        // Nothing in the current folder should shadow a module.
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ProbeError::Spawn(e.to_string()))?;
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => Err(ProbeError::Timeout(timeout)),
        Ok(Err(e)) => Err(ProbeError::Spawn(e.to_string())),
        Ok(Ok(output)) => Ok(Ran {
            success: output.status.success(),
            status: output.status.to_string(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }),
    }
}

/// The last non-blank line of an error output (Python puts the exception there).
fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
        .to_string()
}

pub async fn facts(python: &Path, timeout: Duration) -> Result<Facts, ProbeError> {
    let ran = run(python, &["-c", FACTS_SCRIPT], timeout).await?;
    if !ran.success {
        return Err(ProbeError::Failed {
            status: ran.status,
            message: last_line(&ran.stderr),
        });
    }
    parse_facts(&ran.stdout)
}

fn parse_facts(stdout: &str) -> Result<Facts, ProbeError> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'));
    let raw: RawFacts = line
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| {
            ProbeError::NotPython(format!("unexpected output '{}'", last_line(stdout)))
        })?;
    let python = match raw.version.as_slice() {
        [major, minor, micro] => Version::new(*major, *minor, *micro),
        other => return Err(ProbeError::NotPython(format!("version {other:?}"))),
    };
    Ok(Facts {
        python,
        executable: raw.executable.filter(|e| !e.is_empty()).map(PathBuf::from),
        venv: raw.prefix != raw.base_prefix,
        prefix: PathBuf::from(raw.prefix),
        path: raw.path.into_iter().map(PathBuf::from).collect(),
    })
}

/// Result of `python -m metadata --version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CliProbe {
    pub works: bool,
    /// What it printed (its version line), or why it failed.
    pub output: String,
}

/// Runs `python -B -m metadata --version` (`-B`: no bytecode files written into the venv).
pub async fn metadata_cli(python: &Path, timeout: Duration) -> CliProbe {
    match run(python, &["-B", "-m", "metadata", "--version"], timeout).await {
        Ok(ran) if ran.success => {
            let printed = if ran.stdout.trim().is_empty() {
                &ran.stderr
            } else {
                &ran.stdout
            };
            CliProbe {
                works: true,
                output: printed
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("no output")
                    .to_string(),
            }
        }
        Ok(ran) => CliProbe {
            works: false,
            output: last_line(&ran.stderr),
        },
        Err(e) => CliProbe {
            works: false,
            output: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("python");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[tokio::test]
    async fn a_hanging_interpreter_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let python = script(dir.path(), "exec sleep 30");
        let started = std::time::Instant::now();
        let err = facts(&python, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(matches!(err, ProbeError::Timeout(_)), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let cli = metadata_cli(&python, Duration::from_millis(300)).await;
        assert!(!cli.works);
        assert!(cli.output.contains("no answer within"), "{}", cli.output);
    }

    #[tokio::test]
    async fn a_crash_or_strange_output_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let python = script(dir.path(), "echo 'ImportError: broken' >&2; exit 3");
        let err = facts(&python, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "it exited with exit status: 3: ImportError: broken"
        );
        let python = script(dir.path(), "echo hello");
        let err = facts(&python, Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(err, ProbeError::NotPython(_)), "{err}");
    }

    #[test]
    fn parses_the_script_output() {
        let facts = parse_facts(
            "noise from sitecustomize\n{\"version\": [3, 10, 13], \"executable\": \"/v/bin/python\", \
             \"prefix\": \"/v\", \"base_prefix\": \"/usr\", \"path\": [\"/v/lib/python3.10/site-packages\"]}\n",
        )
        .unwrap();
        assert_eq!(facts.python, Version::new(3, 10, 13));
        assert!(facts.venv);
        assert_eq!(facts.executable, Some(PathBuf::from("/v/bin/python")));
        assert_eq!(
            facts.path,
            [PathBuf::from("/v/lib/python3.10/site-packages")]
        );
    }

    #[tokio::test]
    async fn the_real_python3_answers() {
        let facts = facts(Path::new("python3"), Duration::from_secs(20))
            .await
            .expect("python3 on PATH answers the probe");
        assert_eq!(facts.python.major(), 3);
        assert!(!facts.path.is_empty());
    }
}
