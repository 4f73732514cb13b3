//! Where om-upgrade keeps its own files. Nothing else computes these paths.

use std::path::PathBuf;

use super::Env;

/// The tool's folders: data (backups, reports) and state (wizard session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub state_dir: PathBuf,
}

pub const DATA_DIR_ENV: &str = "OM_UPGRADE_DATA_DIR";
pub const STATE_DIR_ENV: &str = "OM_UPGRADE_STATE_DIR";

impl Paths {
    /// The platform folders (`~/.local/share/om-upgrade`, `~/.local/state/om-upgrade` on Linux),
    /// each overridable by `OM_UPGRADE_DATA_DIR` / `OM_UPGRADE_STATE_DIR`. Without a home
    /// directory and without overrides, the current directory's `.om-upgrade` is used.
    pub fn from_env(env: &Env) -> Paths {
        let dirs = directories::ProjectDirs::from("", "", "om-upgrade");
        let fallback = || PathBuf::from(".om-upgrade");
        let data_dir = env
            .non_empty(DATA_DIR_ENV)
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .unwrap_or_else(fallback);
        let state_dir = env
            .non_empty(STATE_DIR_ENV)
            .map(PathBuf::from)
            .or_else(|| {
                dirs.as_ref().map(|d| {
                    d.state_dir()
                        .unwrap_or_else(|| d.data_local_dir())
                        .to_path_buf()
                })
            })
            .unwrap_or_else(fallback);
        Paths {
            data_dir,
            state_dir,
        }
    }

    /// Default folder for backups.
    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }

    /// Default folder for exported reports.
    pub fn reports_dir(&self) -> PathBuf {
        self.data_dir.join("reports")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_win() {
        let env = Env::from_pairs([(DATA_DIR_ENV, "/data/omu"), (STATE_DIR_ENV, "/state/omu")]);
        let paths = Paths::from_env(&env);
        assert_eq!(paths.backups_dir(), PathBuf::from("/data/omu/backups"));
        assert_eq!(paths.state_dir, PathBuf::from("/state/omu"));
    }
}
