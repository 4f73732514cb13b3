//! The named steps of putting a backup in place, and a seam where tests act at one of them
//! (fill the disk, kill the process) to prove what each step leaves behind. Nothing in the tool
//! registers a hook: without one, reaching a step costs a look at an empty list.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where the writing of a backup stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The data is complete and fsynced under `NAME.partial`; nothing else exists yet.
    DataWritten,
    /// The manifest is complete and fsynced under `NAME.manifest.json.partial`.
    ManifestWritten,
    /// The data has its final name; the manifest is still under its temporary one.
    DataRenamed,
    /// Both files have their final names.
    Published,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Step::DataWritten,
        Step::ManifestWritten,
        Step::DataRenamed,
        Step::Published,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::DataWritten => "data-written",
            Step::ManifestWritten => "manifest-written",
            Step::DataRenamed => "data-renamed",
            Step::Published => "published",
        }
    }
}

type Hook = Arc<dyn Fn(Step) + Send + Sync>;

static HOOKS: Mutex<Vec<(u64, PathBuf, Hook)>> = Mutex::new(Vec::new());
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Removes its hook when dropped.
pub struct HookGuard(u64);

impl Drop for HookGuard {
    fn drop(&mut self) {
        if let Ok(mut hooks) = HOOKS.lock() {
            hooks.retain(|(id, _, _)| *id != self.0);
        }
    }
}

/// For tests: calls `hook` at every step of every backup written into `folder`, until the guard
/// is dropped.
#[doc(hidden)]
pub fn on_steps_in(folder: &Path, hook: impl Fn(Step) + Send + Sync + 'static) -> HookGuard {
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Ok(mut hooks) = HOOKS.lock() {
        hooks.push((id, folder.to_path_buf(), Arc::new(hook)));
    }
    HookGuard(id)
}

/// The backup whose final file is `target` reached `step`.
pub(super) fn reached(step: Step, target: &Path) {
    let hooks: Vec<Hook> = match HOOKS.lock() {
        Ok(hooks) => hooks
            .iter()
            .filter(|(_, folder, _)| target.parent() == Some(folder.as_path()))
            .map(|(_, _, hook)| Arc::clone(hook))
            .collect(),
        Err(_) => return,
    };
    for hook in hooks {
        hook(step);
    }
}
