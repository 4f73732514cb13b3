//! The shared checks. A [`Check`] has a stable id, a title and an async run returning an
//! [`Outcome`]; the [`runner`] runs a set concurrently under timeouts. The TUI and the
//! subcommands are two views of these.

pub mod backup;
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

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::humanize;

pub use context::Context;
pub use step::Step;

/// Result of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    /// A glyph that reads without colour.
    pub fn glyph(self) -> &'static str {
        match self {
            Status::Pass => "✔",
            Status::Warn => "!",
            Status::Fail => "✘",
            Status::Skip => "-",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A stable check id such as `db.connect`: the contract with scripts, reports and the wizard.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CheckId(Cow<'static, str>);

impl CheckId {
    pub const fn new(id: &'static str) -> Self {
        CheckId(Cow::Borrowed(id))
    }

    pub fn owned(id: String) -> Self {
        CheckId(Cow::Owned(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One line of a check's details: free text, or a labelled value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub text: String,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub status: Status,
    /// One line.
    pub summary: String,
    pub details: Vec<Detail>,
    /// What the operator should do, when there is something to do.
    pub remediation: Option<String>,
}

impl Outcome {
    fn new(status: Status, summary: impl Into<String>) -> Self {
        Outcome {
            status,
            summary: summary.into(),
            details: Vec::new(),
            remediation: None,
        }
    }

    pub fn pass(summary: impl Into<String>) -> Self {
        Outcome::new(Status::Pass, summary)
    }

    pub fn warn(summary: impl Into<String>) -> Self {
        Outcome::new(Status::Warn, summary)
    }

    pub fn fail(summary: impl Into<String>) -> Self {
        Outcome::new(Status::Fail, summary)
    }

    pub fn skip(summary: impl Into<String>) -> Self {
        Outcome::new(Status::Skip, summary)
    }

    /// Adds a labelled detail (`label: text`).
    pub fn detail(mut self, label: impl Into<String>, text: impl Into<String>) -> Self {
        self.details.push(Detail {
            label: Some(label.into()),
            text: text.into(),
        });
        self
    }

    /// Adds an unlabelled detail line.
    pub fn line(mut self, text: impl Into<String>) -> Self {
        self.details.push(Detail {
            label: None,
            text: text.into(),
        });
        self
    }

    pub fn fix(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = Some(remediation.into());
        self
    }
}

type RunFuture = Pin<Box<dyn Future<Output = Outcome> + Send + 'static>>;
type RunFn = Box<dyn Fn(Arc<Context>) -> RunFuture + Send + Sync>;

/// Default time a check may take before it counts as failed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A check: id, title, the checks it needs, a timeout and the work.
pub struct Check {
    pub id: CheckId,
    pub title: Cow<'static, str>,
    /// The step it belongs to, as the registry ([`all`]) declares it.
    pub step: Option<Step>,
    pub depends_on: Vec<CheckId>,
    pub timeout: Duration,
    run: RunFn,
}

impl Check {
    pub fn new<F, Fut>(id: CheckId, title: impl Into<Cow<'static, str>>, run: F) -> Self
    where
        F: Fn(Arc<Context>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        Check {
            id,
            title: title.into(),
            step: None,
            depends_on: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            run: Box::new(move |ctx| Box::pin(run(ctx))),
        }
    }

    /// Runs only when `dependency` passed or warned; otherwise this check is skipped.
    pub fn after(mut self, dependency: CheckId) -> Self {
        self.depends_on.push(dependency);
        self
    }

    /// Belongs to `step`: the registry says so for every check it lists.
    pub fn in_step(mut self, step: Step) -> Self {
        self.step = Some(step);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn start(&self, ctx: Arc<Context>) -> RunFuture {
        (self.run)(ctx)
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("id", &self.id)
            .field("depends_on", &self.depends_on)
            .finish_non_exhaustive()
    }
}

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
                .with_catalogue(Arc::new(catalogue));
            all(&ctx).into_iter().map(|c| (c.id, c.step)).collect()
        })
        .iter()
        .find(|(known, _)| known.as_str() == id)
        .and_then(|(_, step)| *step)
}
