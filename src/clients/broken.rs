//! Interpreters that could not be asked about themselves: why, in words an operator can act on,
//! and what to do about it.
//!
//! One named with `--python` is a failure: the operator said ingestion runs there, so its client
//! cannot be judged and the upgrade cannot be prepared. One found on PATH, in `VIRTUAL_ENV` or
//! under `--search` is a warning: it may be a leftover nobody runs.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::discover::{Candidate, Origin};
use super::probe::ProbeError;
use crate::status::Status;

/// Links followed before giving up on a chain of symbolic links (the kernel's limit).
const MAX_LINKS: usize = 40;

/// An interpreter that could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    pub path: PathBuf,
    pub origins: Vec<Origin>,
    pub status: Status,
    /// Why it cannot run, in words.
    pub reason: String,
    /// What to do about it.
    pub remedy: String,
}

impl Broken {
    pub fn new(candidate: &Candidate, error: &ProbeError) -> Self {
        let Diagnosis { reason, remedy } = diagnose(&candidate.path, error);
        Broken {
            path: candidate.path.clone(),
            origins: vec![candidate.origin.clone()],
            status: if candidate.origin.is_explicit() {
                Status::Fail
            } else {
                Status::Warn
            },
            reason,
            remedy,
        }
    }
}

struct Diagnosis {
    reason: String,
    remedy: String,
}

/// The virtual environment an interpreter path is the `bin/python` of.
struct Venv {
    root: PathBuf,
    /// `home` of `pyvenv.cfg`: the folder of the Python it was made from.
    home: Option<PathBuf>,
    /// `3.10` from `version = 3.10.13` (or `version_info`).
    python_line: Option<String>,
}

impl Venv {
    fn of(python: &Path) -> Option<Venv> {
        let bin = python
            .parent()
            .filter(|b| b.file_name().is_some_and(|name| name == "bin"))?;
        let root = bin.parent()?.to_path_buf();
        let cfg = std::fs::read_to_string(root.join("pyvenv.cfg")).ok()?;
        let value = |wanted: &str| {
            cfg.lines().find_map(|line| {
                let (key, value) = line.split_once('=')?;
                (key.trim() == wanted).then(|| value.trim().to_string())
            })
        };
        let python_line = value("version")
            .or_else(|| value("version_info"))
            .and_then(|v| {
                let mut parts = v.split('.');
                Some(format!("{}.{}", parts.next()?, parts.next()?))
            });
        Some(Venv {
            home: value("home").map(PathBuf::from),
            root,
            python_line,
        })
    }

    /// How to make it again; its packages have to be installed again after.
    fn recreate(&self) -> String {
        let python = match &self.python_line {
            Some(line) => format!("python{line}"),
            None => "python3".to_string(),
        };
        format!(
            "Recreate the virtual environment from an installed Python (`{python} -m venv --clear {}`), then install its packages again; or, if ingestion now runs elsewhere, give that interpreter with --python.",
            self.root.display()
        )
    }
}

fn diagnose(path: &Path, error: &ProbeError) -> Diagnosis {
    let venv = Venv::of(path);
    let check_path = "Check the path: give the Python that runs ingestion (e.g. /opt/airflow/venv/bin/python) or its virtual environment's folder.";
    if let Some(target) = missing_link_target(path) {
        return match venv {
            Some(venv) => Diagnosis {
                reason: format!(
                    "it is a link to {}, which does not exist: the Python this virtual environment was made from was removed or moved",
                    target.display()
                ),
                remedy: venv.recreate(),
            },
            None => Diagnosis {
                reason: format!("it is a link to {}, which does not exist", target.display()),
                remedy: check_path.to_string(),
            },
        };
    }
    if let Some(venv) = &venv
        && let Some(home) = venv.home.as_ref().filter(|home| !home.exists())
    {
        return Diagnosis {
            reason: format!(
                "the Python this virtual environment was made from ({}, the home in its pyvenv.cfg) does not exist any more ({error})",
                home.display()
            ),
            remedy: venv.recreate(),
        };
    }
    match (error, Program::read(path)) {
        (ProbeError::Spawn(_), Program::Script { interpreter })
            if !Path::new(&interpreter).exists() =>
        {
            Diagnosis {
                reason: format!("its #! line names {interpreter}, which does not exist"),
                remedy: check_path.to_string(),
            }
        }
        (ProbeError::Spawn(_), Program::Other) => Diagnosis {
            reason: format!(
                "it is not a program: neither a #! script nor an executable binary ({error})"
            ),
            remedy: check_path.to_string(),
        },
        (ProbeError::Timeout(_), _) => Diagnosis {
            reason: error.to_string(),
            remedy: format!(
                "Run `{} -c 'import sys'` to see why it does not answer (a sitecustomize module, or a slow network file system).",
                path.display()
            ),
        },
        _ => Diagnosis {
            reason: error.to_string(),
            remedy: match venv {
                Some(venv) => format!(
                    "Run `{} -c 'import sys'` to see the error. {}",
                    path.display(),
                    venv.recreate()
                ),
                None => format!(
                    "Run `{} -c 'import sys'` to see the error. {check_path}",
                    path.display()
                ),
            },
        },
    }
}

/// The end of a chain of symbolic links from `path`, when it does not exist.
fn missing_link_target(path: &Path) -> Option<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let target = std::fs::read_link(&current).ok()?;
        current = match current.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
        if std::fs::symlink_metadata(&current).is_err() {
            return Some(current);
        }
    }
    None
}

/// What an executable file is, from its first bytes.
enum Program {
    Script { interpreter: String },
    Binary,
    Other,
}

impl Program {
    fn read(path: &Path) -> Program {
        use std::io::Read;
        let mut head = [0u8; 256];
        let read = std::fs::File::open(path)
            .and_then(|mut file| file.read(&mut head))
            .unwrap_or(0);
        let head = &head[..read];
        if head.starts_with(b"\x7fELF") {
            return Program::Binary;
        }
        let Some(line) = head.strip_prefix(b"#!") else {
            return Program::Other;
        };
        let line = String::from_utf8_lossy(line);
        let line = line.lines().next().unwrap_or_default();
        match line.split_whitespace().next() {
            Some(interpreter) => Program::Script {
                interpreter: interpreter.to_string(),
            },
            None => Program::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    fn candidate(path: &Path, origin: Origin) -> Candidate {
        Candidate {
            path: path.to_path_buf(),
            origin,
        }
    }

    fn spawn_error() -> ProbeError {
        ProbeError::Spawn("No such file or directory (os error 2)".into())
    }

    fn executable(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn a_venv_whose_python_was_removed_says_so_and_how_to_recreate_it() {
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("venv");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        std::fs::write(
            venv.join("pyvenv.cfg"),
            "home = /gone/bin\nversion = 3.10.13\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("python3.10", venv.join("bin/python")).unwrap();
        std::os::unix::fs::symlink("/gone/bin/python3.10", venv.join("bin/python3.10")).unwrap();
        let broken = Broken::new(
            &candidate(&venv.join("bin/python"), Origin::Flag),
            &spawn_error(),
        );
        assert_eq!(broken.status, Status::Fail);
        assert_eq!(
            broken.reason,
            "it is a link to /gone/bin/python3.10, which does not exist: the Python this virtual environment was made from was removed or moved"
        );
        assert!(
            broken
                .remedy
                .contains(&format!("`python3.10 -m venv --clear {}`", venv.display())),
            "{}",
            broken.remedy
        );
    }

    #[test]
    fn a_copied_python_whose_home_is_gone_is_blamed_on_the_home() {
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("venv");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        std::fs::write(venv.join("pyvenv.cfg"), "home = /gone/bin\n").unwrap();
        let python = venv.join("bin/python");
        executable(&python, "#!/bin/sh\nexit 1\n");
        let error = ProbeError::Failed {
            status: "exit status: 1".into(),
            message: "ModuleNotFoundError: No module named 'encodings'".into(),
        };
        let broken = Broken::new(&candidate(&python, Origin::Flag), &error);
        assert!(
            broken.reason.starts_with(
                "the Python this virtual environment was made from (/gone/bin, the home in its pyvenv.cfg) does not exist any more"
            ),
            "{}",
            broken.reason
        );
        assert!(broken.reason.contains("encodings"), "{}", broken.reason);
        assert!(broken.remedy.contains("`python3 -m venv --clear"));
    }

    #[test]
    fn a_file_that_is_not_a_program_or_names_a_missing_interpreter_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes");
        executable(&text, "hello\n");
        let error = ProbeError::Spawn("Exec format error (os error 8)".into());
        let broken = Broken::new(&candidate(&text, Origin::Flag), &error);
        assert!(
            broken.reason.starts_with("it is not a program"),
            "{}",
            broken.reason
        );
        assert!(broken.remedy.starts_with("Check the path"));

        let script = dir.path().join("python");
        executable(&script, "#!/nonexistent/python3 -E\n");
        let broken = Broken::new(
            &candidate(
                &script,
                Origin::Path {
                    name: "python".into(),
                },
            ),
            &spawn_error(),
        );
        assert_eq!(broken.status, Status::Warn, "found on PATH: a warning");
        assert_eq!(
            broken.reason,
            "its #! line names /nonexistent/python3, which does not exist"
        );
    }

    #[test]
    fn other_failures_keep_the_probe_error_and_say_how_to_see_more() {
        let dir = tempfile::tempdir().unwrap();
        let python = dir.path().join("python");
        executable(&python, "#!/bin/sh\nsleep 9\n");
        let broken = Broken::new(
            &candidate(&python, Origin::Flag),
            &ProbeError::Timeout(Duration::from_secs(10)),
        );
        assert!(broken.reason.starts_with("no answer within"));
        assert!(
            broken.remedy.contains("-c 'import sys'"),
            "{}",
            broken.remedy
        );
    }
}
