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

use crate::humanize;

pub use crate::status::Status;
pub use check::{Check, CheckId, DEFAULT_TIMEOUT, Detail, Outcome};
pub use context::Context;

/// Every check this build knows, in the order they are shown.
pub fn all(ctx: &Context) -> Vec<Check> {
    let mut checks = db::checks(ctx);
    checks.extend(migration::checks(ctx));
    checks.extend(secrets::checks(ctx));
    checks.extend(backup::checks(ctx));
    checks.extend(release::checks(ctx));
    checks.extend(clients::checks(ctx));
    checks.extend(search::checks(ctx));
    checks.extend(server::checks(ctx));
    checks
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
