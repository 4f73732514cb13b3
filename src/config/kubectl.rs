//! One key of a Kubernetes Secret, read with the operator's own `kubectl get secret NAME -o
//! json` (its context, its credentials). Only the Secret's name and namespace are on kubectl's
//! command line; the value comes back on its stdout, is base64-decoded here, and never printed.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::{Env, Secret};

/// How long kubectl may take (an exec credential plugin may be slow; a hang must not be).
const TIMEOUT: Duration = Duration::from_secs(30);
/// A Secret is small; a reply larger than this is not one.
const REPLY_MAX: u64 = 4 << 20;

/// A Secret key, as the Helm values name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub namespace: Option<String>,
    pub name: String,
    pub key: String,
}

impl SecretRef {
    /// The command an operator runs to give the value through the environment instead.
    pub fn shell_command(&self) -> String {
        let namespace = self
            .namespace
            .as_ref()
            .map(|ns| format!(" -n {ns}"))
            .unwrap_or_default();
        format!(
            "kubectl get secret {}{namespace} -o jsonpath='{{.data.{}}}' | base64 -d",
            self.name,
            self.key.replace('.', "\\.")
        )
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum KubectlError {
    #[error("kubectl is not on PATH")]
    NotOnPath,
    #[error("kubectl could not start: {0}")]
    Start(String),
    #[error("kubectl did not answer within {} seconds", TIMEOUT.as_secs())]
    Timeout,
    #[error("kubectl failed: {0}")]
    Failed(String),
    #[error("kubectl's answer is not a Secret: {0}")]
    BadAnswer(String),
    #[error("the Secret has no key {key} (its keys: {keys})")]
    NoKey { key: String, keys: String },
}

/// `kubectl` on the PATH of `env`.
fn find(env: &Env) -> Option<PathBuf> {
    let path = env.get("PATH")?;
    std::env::split_paths(path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
}

/// kubectl's answers in this run, by (program, namespace, name): the database settings and
/// the installation's are resolved apart, and one question to the cluster is enough.
type Answers = BTreeMap<(PathBuf, Option<String>, String), Result<String, KubectlError>>;
static ANSWERS: Mutex<Answers> = Mutex::new(BTreeMap::new());

/// Reads one key of a Secret with kubectl.
pub fn read_secret(env: &Env, secret: &SecretRef) -> Result<Secret, KubectlError> {
    let program = find(env).ok_or(KubectlError::NotOnPath)?;
    let id = (
        program.clone(),
        secret.namespace.clone(),
        secret.name.clone(),
    );
    let known = ANSWERS
        .lock()
        .ok()
        .and_then(|answers| answers.get(&id).cloned());
    let answer = match known {
        Some(answer) => answer,
        None => {
            let answer = ask(program, secret);
            if let Ok(mut answers) = ANSWERS.lock() {
                answers.insert(id, answer.clone());
            }
            answer
        }
    };
    decode(&answer?, &secret.key)
}

/// `kubectl get secret NAME [-n NS] -o json`: its stdout, or its first line of complaint.
fn ask(program: PathBuf, secret: &SecretRef) -> Result<String, KubectlError> {
    let mut command = Command::new(program);
    command.args(["get", "secret", &secret.name]);
    if let Some(ns) = &secret.namespace {
        command.args(["-n", ns]);
    }
    command
        .args(["-o", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (status, stdout, stderr) = run(command)?;
    if !status {
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message")
            .trim()
            .chars()
            .take(300)
            .collect::<String>();
        return Err(KubectlError::Failed(first));
    }
    Ok(stdout)
}

/// The value of `key` in the JSON of a Secret.
fn decode(json: &str, key: &str) -> Result<Secret, KubectlError> {
    let doc: serde_json::Value =
        serde_json::from_str(json).map_err(|e| KubectlError::BadAnswer(e.to_string()))?;
    if doc.get("kind").and_then(|k| k.as_str()) != Some("Secret") {
        return Err(KubectlError::BadAnswer("no \"kind\": \"Secret\"".into()));
    }
    let data = doc.get("data").and_then(|d| d.as_object());
    let Some(encoded) = data.and_then(|d| d.get(key)).and_then(|v| v.as_str()) else {
        let keys = data
            .map(|d| d.keys().cloned().collect::<Vec<_>>().join(", "))
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| "none".into());
        return Err(KubectlError::NoKey {
            key: key.to_string(),
            keys,
        });
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| KubectlError::BadAnswer(format!("the value of {key} is not base64")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| KubectlError::BadAnswer(format!("the value of {key} is not UTF-8 text")))?;
    Ok(Secret::new(text))
}

/// Runs the command to its end or the timeout; (succeeded, stdout, stderr).
fn run(mut command: Command) -> Result<(bool, String, String), KubectlError> {
    let mut child = command
        .spawn()
        .map_err(|e| KubectlError::Start(e.to_string()))?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(pipe) = pipe {
                let _ = pipe.take(REPLY_MAX).read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(KubectlError::Timeout);
            }
            Err(e) => return Err(KubectlError::Start(e.to_string())),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok((status.success(), stdout, stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDED: &str = r#"{
    "apiVersion": "v1",
    "data": {
        "openmetadata-mysql-password": "czNjcmV0LXB3"
    },
    "kind": "Secret",
    "metadata": {
        "name": "mysql-secrets",
        "namespace": "openmetadata"
    },
    "type": "Opaque"
}"#;

    #[test]
    fn decodes_the_key_of_a_secret() {
        let secret = decode(RECORDED, "openmetadata-mysql-password").unwrap();
        assert_eq!(secret.expose(), "s3cret-pw");
        let missing = decode(RECORDED, "password").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the Secret has no key password (its keys: openmetadata-mysql-password)"
        );
        assert!(matches!(
            decode("{\"kind\": \"Pod\"}", "x"),
            Err(KubectlError::BadAnswer(_))
        ));
        assert!(matches!(
            decode("not json", "x"),
            Err(KubectlError::BadAnswer(_))
        ));
    }

    #[test]
    fn the_advice_command_escapes_dots() {
        let secret = SecretRef {
            namespace: Some("om".into()),
            name: "db".into(),
            key: "db.password".into(),
        };
        assert_eq!(
            secret.shell_command(),
            "kubectl get secret db -n om -o jsonpath='{.data.db\\.password}' | base64 -d"
        );
    }
}
