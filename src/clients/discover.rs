//! Where to look for Python interpreters: the ones named with `--python`, else `python3` and
//! `python` on PATH and an active `VIRTUAL_ENV`; plus the virtual environments found under
//! `--search` folders (a `pyvenv.cfg` with `bin/python` beside it).

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::ClientsError;
use crate::config::Env;

/// How deep below a `--search` folder virtual environments are looked for.
pub const SEARCH_DEPTH: usize = 5;
/// Folders read per `--search` folder before giving up (so `--search /` ends).
pub const SEARCH_FOLDER_LIMIT: usize = 20_000;

/// What to look at, and how long an interpreter may take to answer.
#[derive(Debug, Clone)]
pub struct Request {
    /// Interpreters named by the operator; when any is given, PATH and VIRTUAL_ENV are not used.
    pub pythons: Vec<PathBuf>,
    /// Folders to search for virtual environments.
    pub search: Vec<PathBuf>,
    /// The PATH to look for `python3` / `python` on.
    pub path_var: Option<String>,
    /// An active virtual environment (`VIRTUAL_ENV`).
    pub virtual_env: Option<PathBuf>,
    /// Time for an interpreter to report its version and `sys.path`.
    pub probe_timeout: Duration,
    /// Time for `python -m metadata --version`, which imports the ingestion package.
    pub cli_timeout: Duration,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            pythons: Vec::new(),
            search: Vec::new(),
            path_var: None,
            virtual_env: None,
            probe_timeout: Duration::from_secs(10),
            cli_timeout: Duration::from_secs(30),
        }
    }
}

impl Request {
    /// Explicit interpreters and search folders, with PATH and VIRTUAL_ENV from `env`.
    pub fn new(pythons: Vec<PathBuf>, search: Vec<PathBuf>, env: &Env) -> Self {
        Request {
            pythons,
            search,
            path_var: env.get("PATH").map(str::to_string),
            virtual_env: env
                .get("VIRTUAL_ENV")
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from),
            ..Request::default()
        }
    }
}

/// Why an interpreter is looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// Named with `--python`.
    Flag,
    /// `python3` or `python` found on PATH.
    Path { name: String },
    /// The active `VIRTUAL_ENV`.
    VirtualEnv,
    /// A virtual environment under a `--search` folder.
    Search { folder: PathBuf },
}

impl Origin {
    /// The operator named this interpreter: it is judged even with nothing installed.
    pub fn is_explicit(&self) -> bool {
        matches!(self, Origin::Flag)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag => f.write_str("given with --python"),
            Origin::Path { name } => write!(f, "{name} on PATH"),
            Origin::VirtualEnv => f.write_str("the active VIRTUAL_ENV"),
            Origin::Search { folder } => write!(f, "found under {}", folder.display()),
        }
    }
}

/// An interpreter to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    pub origin: Origin,
}

/// The candidates of a request, in order, each path once; notes say where a search stopped.
pub fn candidates(request: &Request) -> Result<(Vec<Candidate>, Vec<String>), ClientsError> {
    let mut found = Vec::new();
    let mut notes = Vec::new();
    for given in &request.pythons {
        found.push(Candidate {
            path: explicit_interpreter(given)?,
            origin: Origin::Flag,
        });
    }
    if request.pythons.is_empty() {
        if let Some(path_var) = &request.path_var {
            for name in ["python3", "python"] {
                if let Some(path) = on_path(path_var, name) {
                    found.push(Candidate {
                        path,
                        origin: Origin::Path { name: name.into() },
                    });
                }
            }
        }
        if let Some(path) = request.virtual_env.as_deref().and_then(venv_python) {
            found.push(Candidate {
                path,
                origin: Origin::VirtualEnv,
            });
        }
    }
    for folder in &request.search {
        if !folder.is_dir() {
            return Err(ClientsError::SearchFolder {
                path: folder.clone(),
            });
        }
        let (venvs, complete) = find_venvs(folder);
        if !complete {
            notes.push(format!(
                "stopped searching {} after {SEARCH_FOLDER_LIMIT} folders: give a narrower --search",
                folder.display()
            ));
        }
        found.extend(venvs.into_iter().map(|path| Candidate {
            path,
            origin: Origin::Search {
                folder: folder.clone(),
            },
        }));
    }
    let mut unique: Vec<Candidate> = Vec::with_capacity(found.len());
    for mut candidate in found {
        // Interpreters are run from `/`, so a relative path would point elsewhere.
        if let Ok(absolute) = std::path::absolute(&candidate.path) {
            candidate.path = absolute;
        }
        if !unique.iter().any(|c| c.path == candidate.path) {
            unique.push(candidate);
        }
    }
    Ok((unique, notes))
}

/// A `--python` value: an executable file, or a virtual environment's folder.
fn explicit_interpreter(given: &Path) -> Result<PathBuf, ClientsError> {
    let missing = || ClientsError::MissingInterpreter {
        path: given.to_path_buf(),
    };
    if is_dangling_link(given) {
        // A link to a removed Python (a venv whose base Python is gone) is not a mistyped path:
        // probing it fails and says why.
        return Ok(given.to_path_buf());
    }
    let metadata = std::fs::metadata(given).map_err(|_| missing())?;
    if metadata.is_dir() {
        return venv_python(given).ok_or_else(|| ClientsError::NotAnInterpreter {
            path: given.to_path_buf(),
            reason: "it is a folder without bin/python".into(),
        });
    }
    if metadata.permissions().mode() & 0o111 == 0 {
        return Err(ClientsError::NotAnInterpreter {
            path: given.to_path_buf(),
            reason: "it is not executable".into(),
        });
    }
    Ok(given.to_path_buf())
}

fn is_executable_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The first `name` on a PATH, like `command -v`.
fn on_path(path_var: &str, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path_var)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable_file(candidate))
}

/// `bin/python` (or `bin/python3`) of a virtual environment folder; when neither runs, a link
/// to a removed Python, so that the broken environment is reported rather than passed over.
fn venv_python(venv: &Path) -> Option<PathBuf> {
    let entries = ["python", "python3"].map(|name| venv.join("bin").join(name));
    entries
        .iter()
        .find(|p| is_executable_file(p))
        .or_else(|| entries.iter().find(|p| is_dangling_link(p)))
        .cloned()
}

/// A symbolic link whose target does not exist (or a loop of links).
fn is_dangling_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) && !path.exists()
}

/// Virtual environments below `root` (not following symbolic links, not looking inside a
/// virtual environment once found). The flag is false when the folder limit was reached.
fn find_venvs(root: &Path) -> (Vec<PathBuf>, bool) {
    let mut venvs = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    let mut visited = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        visited += 1;
        if visited > SEARCH_FOLDER_LIMIT {
            return (sorted(venvs), false);
        }
        if dir.join("pyvenv.cfg").is_file()
            && let Some(python) = venv_python(&dir)
        {
            venvs.push(python);
            continue;
        }
        if depth >= SEARCH_DEPTH {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
    (sorted(venvs), true)
}

fn sorted(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executable(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn fake_venv(dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
        let python = dir.join("bin/python");
        executable(&python);
        python
    }

    #[test]
    fn a_missing_or_unusable_python_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let request = |p: PathBuf| Request {
            pythons: vec![p],
            ..Request::default()
        };
        let err = candidates(&request(dir.path().join("nope/bin/python"))).unwrap_err();
        assert!(
            matches!(err, ClientsError::MissingInterpreter { .. }),
            "{err}"
        );
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "x").unwrap();
        let err = candidates(&request(text)).unwrap_err();
        assert!(err.to_string().contains("not executable"), "{err}");
        let err = candidates(&request(dir.path().to_path_buf())).unwrap_err();
        assert!(err.to_string().contains("without bin/python"), "{err}");
    }

    #[test]
    fn a_venv_whose_python_link_is_dangling_is_still_a_candidate() {
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("venv");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        std::fs::write(venv.join("pyvenv.cfg"), "home = /gone/bin\n").unwrap();
        std::os::unix::fs::symlink("/gone/bin/python3", venv.join("bin/python")).unwrap();
        for given in [venv.clone(), venv.join("bin/python")] {
            let (found, _) = candidates(&Request {
                pythons: vec![given],
                ..Request::default()
            })
            .unwrap();
            assert_eq!(found[0].path, venv.join("bin/python"));
        }
        let (found, _) = candidates(&Request {
            search: vec![dir.path().to_path_buf()],
            ..Request::default()
        })
        .unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn a_venv_folder_stands_for_its_python() {
        let dir = tempfile::tempdir().unwrap();
        let python = fake_venv(&dir.path().join("venv"));
        let (found, _) = candidates(&Request {
            pythons: vec![dir.path().join("venv")],
            ..Request::default()
        })
        .unwrap();
        assert_eq!(found[0].path, python);
    }

    #[test]
    fn path_and_virtual_env_are_used_only_without_python_flags() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        executable(&bin.join("python3"));
        let venv_python = fake_venv(&dir.path().join("active"));
        let mut request = Request {
            path_var: Some(format!("/nonexistent:{}", bin.display())),
            virtual_env: Some(dir.path().join("active")),
            ..Request::default()
        };
        let (found, _) = candidates(&request).unwrap();
        let origins: Vec<_> = found.iter().map(|c| c.origin.to_string()).collect();
        assert_eq!(origins, ["python3 on PATH", "the active VIRTUAL_ENV"]);
        assert_eq!(found[1].path, venv_python);
        request.pythons = vec![venv_python.clone()];
        let (found, _) = candidates(&request).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].origin, Origin::Flag);
    }

    #[test]
    fn search_finds_venvs_within_the_depth_and_not_inside_venvs() {
        let dir = tempfile::tempdir().unwrap();
        let shallow = fake_venv(&dir.path().join("opt/airflow/.venv"));
        fake_venv(&dir.path().join("opt/airflow/.venv/lib/nested"));
        fake_venv(&dir.path().join("a/b/c/d/e/too-deep"));
        std::fs::create_dir_all(dir.path().join("cfg-only")).unwrap();
        std::fs::write(dir.path().join("cfg-only/pyvenv.cfg"), "").unwrap();
        let (found, notes) = candidates(&Request {
            search: vec![dir.path().to_path_buf()],
            ..Request::default()
        })
        .unwrap();
        assert_eq!(
            found.iter().map(|c| &c.path).collect::<Vec<_>>(),
            [&shallow]
        );
        assert!(notes.is_empty());
        let err = candidates(&Request {
            search: vec![dir.path().join("absent")],
            ..Request::default()
        })
        .unwrap_err();
        assert!(matches!(err, ClientsError::SearchFolder { .. }));
    }
}
