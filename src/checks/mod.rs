//! The shared checks. A [`Check`] has a stable id, a title and an async run returning an
//! [`Outcome`]; the [`runner`] runs a set concurrently under timeouts. The TUI and the
//! subcommands are two views of these.

pub mod backup;
mod check;
pub mod clients;
pub mod context;
pub mod db;
pub mod migration;
pub mod release;
pub mod runner;
pub mod search;
pub mod secrets;
pub mod server;
mod snapshot;
mod step;

use crate::humanize;

pub use crate::status::Status;
pub use check::{Check, CheckId, DEFAULT_TIMEOUT, Detail, Outcome};
pub use context::Context;
pub use step::Step;

type Module = fn(&Context) -> Vec<Check>;

/// The registry: every module of checks and the step its checks belong to, in the order they
/// are shown. A new check goes into its module; a new module, here.
const REGISTRY: [(Step, Module); 8] = [
    (db::STEP, db::checks),
    (migration::STEP, migration::checks),
    (secrets::STEP, secrets::checks),
    (backup::STEP, backup::checks),
    (release::STEP, release::checks),
    (clients::STEP, clients::checks),
    (search::STEP, search::checks),
    (server::STEP, server::checks),
];

/// Every check this build knows, in the order they are shown.
pub fn all(ctx: &Context) -> Vec<Check> {
    of_steps(ctx, &Step::ALL)
}

/// The checks of these steps, in the registry's order (only their modules are asked).
pub fn of_steps(ctx: &Context, steps: &[Step]) -> Vec<Check> {
    REGISTRY
        .iter()
        .filter(|(step, _)| steps.contains(step))
        .flat_map(|(step, module)| module(ctx).into_iter().map(|c| c.in_step(*step)))
        .collect()
}

/// Tally of a set of checks: "6 checks: 5 passed, 1 warning".
pub fn tally(statuses: &[Status]) -> String {
    format!(
        "{}: {}",
        humanize::plural(statuses.len(), "check", "checks"),
        tally_by_status(statuses)
    )
}

/// `2 passed, 1 warning`: how many of each status, leaving out the ones with none.
pub fn tally_by_status(statuses: &[Status]) -> String {
    [
        (Status::Pass, "passed", "passed"),
        (Status::Warn, "warning", "warnings"),
        (Status::Fail, "failed", "failed"),
        (Status::Skip, "skipped", "skipped"),
    ]
    .into_iter()
    .filter_map(|(status, one, many)| {
        let n = statuses.iter().filter(|s| **s == status).count();
        (n > 0).then(|| humanize::plural(n, one, many))
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// The step the registry declares for the check `id` (with every release item's check), for
/// results a test makes by hand.
#[cfg(test)]
pub(crate) fn registered_step(id: &str) -> Option<Step> {
    use std::sync::OnceLock;
    static STEPS: OnceLock<Vec<(CheckId, Option<Step>)>> = OnceLock::new();
    STEPS
        .get_or_init(|| {
            let settings = crate::config::resolve(
                &crate::config::DbInputs::default(),
                &crate::config::Env::default(),
            )
            .expect("default settings")
            .settings;
            let catalogue = crate::knowledge::Catalogue::load(None).expect("built-in catalogue");
            let newest = catalogue.newest().clone();
            let ctx = Context::new(settings, Some(newest), std::env::temp_dir())
                .with_catalogue(std::sync::Arc::new(catalogue));
            all(&ctx).into_iter().map(|c| (c.id, c.step)).collect()
        })
        .iter()
        .find(|(known, _)| known.as_str() == id)
        .and_then(|(_, step)| *step)
}
