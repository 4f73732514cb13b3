//! The commands operators are told to run: pip requirement strings that pin a server release
//! (`openmetadata-ingestion[mysql]==1.2.0.*`, a PEP 440 prefix match, so any client build
//! `1.2.0.w` of server 1.2.0 satisfies it and pip picks the newest), and shell lines quoted so
//! they can be pasted.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::secrets::ScrubEnv;
use crate::shell::quote;
use crate::version::Version;

/// A command as an argument vector; shown as a shell line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellCommand {
    pub argv: Vec<String>,
}

impl ShellCommand {
    fn new(program: &Path, args: impl IntoIterator<Item = String>) -> Self {
        let mut argv = vec![program.display().to_string()];
        argv.extend(args);
        ShellCommand { argv }
    }
}

impl fmt::Display for ShellCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted: Vec<String> = self.argv.iter().map(|a| quote(a)).collect();
        f.write_str(&quoted.join(" "))
    }
}

impl Serialize for ShellCommand {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("ShellCommand", 2)?;
        s.serialize_field("argv", &self.argv)?;
        s.serialize_field("shell", &self.to_string())?;
        s.end()
    }
}

/// `1.2.0.*`: every client build of the target's server release.
pub fn pin(server: &Version) -> String {
    format!("{}.*", server.release())
}

/// `name[extra,...]==x.y.z.*`.
pub fn requirement(name: &str, extras: &[String], server: &Version) -> String {
    let extras = if extras.is_empty() {
        String::new()
    } else {
        format!("[{}]", extras.join(","))
    };
    format!("{name}{extras}=={}", pin(server))
}

/// `python -m pip install REQ...`
pub fn install(python: &Path, requirements: &[String]) -> ShellCommand {
    ShellCommand::new(
        python,
        ["-m", "pip", "install"]
            .into_iter()
            .map(String::from)
            .chain(requirements.iter().cloned()),
    )
}

/// `python -m pip uninstall -y NAME`: removes one installed copy (pip removes one at a time).
pub fn uninstall(python: &Path, name: &str) -> ShellCommand {
    ShellCommand::new(
        python,
        ["-m", "pip", "uninstall", "-y", name].map(String::from),
    )
}

/// `python -m pip install --upgrade pip`
pub fn upgrade_pip(python: &Path) -> ShellCommand {
    ShellCommand::new(
        python,
        ["-m", "pip", "install", "--upgrade", "pip"].map(String::from),
    )
}

/// `python -m ensurepip --upgrade`: pip for an environment made without it.
pub fn ensurepip(python: &Path) -> ShellCommand {
    ShellCommand::new(python, ["-m", "ensurepip", "--upgrade"].map(String::from))
}

/// `python3.10 -m venv DIR`
pub fn new_venv(python: &str, venv: &Path) -> ShellCommand {
    ShellCommand::new(
        Path::new(python),
        [
            "-m".to_string(),
            "venv".to_string(),
            venv.display().to_string(),
        ],
    )
}

/// Runs a command without a terminal, sending each line it prints (stdout and stderr, as they
/// come) to `lines`. Cancelling kills it. Returns its exit code: `None` when a signal ended it
/// or it was cancelled.
pub async fn run_streamed(
    command: &ShellCommand,
    lines: tokio::sync::mpsc::UnboundedSender<String>,
    cancel: tokio_util::sync::CancellationToken,
) -> std::io::Result<Option<i32>> {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

    let Some((program, args)) = command.argv.split_first() else {
        return Err(std::io::Error::other("empty command"));
    };
    let mut child = tokio::process::Command::new(program)
        .scrub_secrets(&[])
        .args(args)
        // pip asks nothing and draws no progress bars without a terminal.
        .env("PIP_NO_INPUT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    fn forward(
        pipe: Option<impl AsyncRead + Unpin + Send + 'static>,
        lines: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let Some(pipe) = pipe else { return };
            let mut reader = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if lines.send(line).is_err() {
                    return;
                }
            }
        })
    }
    let out = forward(child.stdout.take(), lines.clone());
    let err = forward(child.stderr.take(), lines);
    let status = tokio::select! {
        status = child.wait() => status?,
        () = cancel.cancelled() => {
            let _ = child.kill().await;
            let _ = tokio::join!(out, err);
            return Ok(None);
        }
    };
    let _ = tokio::join!(out, err);
    Ok(status.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_every_client_build_of_the_server_release() {
        let server: Version = "1.2.0".parse().unwrap();
        assert_eq!(pin(&server), "1.2.0.*");
        // A four-part or snapshot target pins its server release.
        assert_eq!(pin(&"1.2.0.1".parse().unwrap()), "1.2.0.*");
        assert_eq!(
            requirement(
                "openmetadata-ingestion",
                &["mysql".into(), "snowflake".into()],
                &server
            ),
            "openmetadata-ingestion[mysql,snowflake]==1.2.0.*"
        );
        assert_eq!(
            requirement("openmetadata-managed-apis", &[], &server),
            "openmetadata-managed-apis==1.2.0.*"
        );
    }

    #[test]
    fn quotes_only_what_the_shell_would_change() {
        assert_eq!(quote("/opt/venv/bin/python"), "/opt/venv/bin/python");
        assert_eq!(quote("a[b]==1.*"), "\"a[b]==1.*\"");
        assert_eq!(quote("/my venvs/python"), "\"/my venvs/python\"");
        assert_eq!(quote("it's $HOME"), r"'it'\''s $HOME'");
        assert_eq!(quote(""), "\"\"");
        let command = install(
            Path::new("/opt/venv/bin/python"),
            &["openmetadata-ingestion[mysql]==1.2.0.*".into()],
        );
        assert_eq!(
            command.to_string(),
            "/opt/venv/bin/python -m pip install \"openmetadata-ingestion[mysql]==1.2.0.*\""
        );
    }

    #[tokio::test]
    async fn streams_every_line_and_the_exit_code() {
        let command = ShellCommand {
            argv: ["sh", "-c", "echo one; echo two >&2; exit 3"]
                .map(String::from)
                .to_vec(),
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let code = run_streamed(&command, tx, Default::default())
            .await
            .unwrap();
        assert_eq!(code, Some(3));
        let mut lines = Vec::new();
        while let Some(line) = rx.recv().await {
            lines.push(line);
        }
        lines.sort();
        assert_eq!(lines, ["one", "two"]);
    }

    #[tokio::test]
    async fn cancelling_kills_the_command() {
        let command = ShellCommand {
            argv: ["sleep", "30"].map(String::from).to_vec(),
        };
        let cancel = tokio_util::sync::CancellationToken::new();
        cancel.cancel();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let started = std::time::Instant::now();
        let code = run_streamed(&command, tx, cancel).await.unwrap();
        assert_eq!(code, None);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
