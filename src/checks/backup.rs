//! Backup-related checks that need no backup yet.

use std::sync::Arc;

use super::{Check, CheckId, Context, Outcome};
use crate::backup::space;
use crate::humanize;

pub const DISK_SPACE: CheckId = CheckId::new("backup.disk_space");

pub fn checks(_ctx: &Context) -> Vec<Check> {
    vec![
        Check::new(DISK_SPACE, "Room for a backup", |ctx| async move {
            disk_space(&ctx).await
        })
        .after(super::db::SIZE),
    ]
}

/// Comfortable: the backup fits twice (room for a compressed copy, a test restore's temp files).
const COMFORT_FACTOR: f64 = 2.0;
/// Tight: it fits with a small margin.
const MINIMUM_FACTOR: f64 = 1.2;

async fn disk_space(ctx: &Arc<Context>) -> Outcome {
    let tables = match ctx.tables().await {
        Ok(t) => t,
        Err(e) => return Outcome::skip(format!("database size unknown: {e}")),
    };
    // A SQL dump is close to the table data in size; indexes are rebuilt, not dumped.
    let needed: u64 = tables.iter().map(|t| t.data_bytes).sum();
    let folder = &ctx.backup_dir;
    let free = match space::available_bytes(folder) {
        Ok(free) => free,
        Err(e) => {
            return Outcome::fail(format!(
                "cannot tell the free space for {}: {e}",
                folder.display()
            ))
            .fix("Choose a backup folder on a mounted, writable file system with --output.");
        }
    };
    let ratio = if needed == 0 {
        f64::INFINITY
    } else {
        free.available as f64 / needed as f64
    };
    let summary = format!(
        "{} free in {} for a backup of about {}",
        humanize::bytes(free.available),
        free.measured_at.display(),
        humanize::bytes(needed)
    );
    let outcome = if ratio >= COMFORT_FACTOR {
        Outcome::pass(summary)
    } else if ratio >= MINIMUM_FACTOR {
        Outcome::warn(summary).fix(
            "Space is tight: free some space or choose another folder with --output before backing up.",
        )
    } else {
        Outcome::fail(summary).fix(format!(
            "The backup needs about {} and {} is free: choose a folder with more room (--output DIR) or free space first.",
            humanize::bytes(needed),
            humanize::bytes(free.available)
        ))
    };
    outcome.detail("backup folder", folder.display().to_string())
}
