//! What a finished check run knows beyond its outcomes, gathered for the report: the release
//! review of every item between the installed version and the target (with the probe results
//! the item checks left on the context's board, the config scanners and the server's version),
//! and the newest backup of this database with its manifest.

use std::collections::BTreeSet;

use super::model::BackupFacts;
use super::review::ReleaseReview;
use crate::backup::locate;
use crate::checks::Context;
use crate::checks::release::installed_from_db;
use crate::checks::runner::CheckResult;
use crate::knowledge::{self, review::Database};

/// The review of a run whose checks are done (the item checks left their probe results on the
/// context's board; `results` measure the items measured elsewhere); `Err` says why there is
/// none (no target, not an OpenMetadata database, …).
pub async fn review_of_run(
    ctx: &Context,
    results: &[CheckResult],
    acknowledged: &BTreeSet<String>,
) -> Result<ReleaseReview, String> {
    let Some(target) = &ctx.target else {
        return Err("no target version given".into());
    };
    let catalogue = ctx.catalogue().map_err(str::to_string)?;
    let installed = installed_from_db(ctx).await.map_err(|e| e.to_string())?;
    let plan = catalogue
        .plan_for(&installed, target)
        .map_err(|e| e.to_string())?;
    let database = match ctx.db().await {
        Ok(_) => Database::Probed {
            probes: ctx
                .probe_board()
                .lock()
                .map(|board| board.clone())
                .unwrap_or_default(),
            server: ctx.server_info().await.ok().cloned(),
        },
        Err(error) => Database::NotMeasured(format!("the database could not be reached: {error}")),
    };
    let review = knowledge::review::review(
        catalogue,
        &plan,
        database,
        ctx.scan().clone(),
        &crate::checks::runner::elsewhere(results),
    );
    Ok(ReleaseReview::of(&review, acknowledged))
}

/// The newest backup of the run's database in its backup folder: the one `backup.recent`
/// judged.
pub fn newest_backup(ctx: &Context) -> Option<BackupFacts> {
    let s = &ctx.settings;
    let found = locate::find(std::slice::from_ref(&ctx.backup_dir));
    crate::backup::source::newest_of(&found, s).map(BackupFacts::of)
}
