//! What a check is: a stable [`CheckId`], a title and an async run that returns an [`Outcome`].

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::context::Context;
use super::step::Step;
use crate::status::Status;

/// A stable check id such as `db.connect`: the contract with scripts, reports and the wizard.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub text: String,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub status: Status,
    /// One line.
    pub summary: String,
    pub details: Vec<Detail>,
    /// What the operator should do, when there is something to do.
    pub remediation: Option<String>,
}

impl Outcome {
    pub(super) fn new(status: Status, summary: impl Into<String>) -> Self {
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

pub(super) type RunFuture = Pin<Box<dyn Future<Output = Outcome> + Send + 'static>>;
pub(super) type RunFn = Box<dyn Fn(Arc<Context>) -> RunFuture + Send + Sync>;

/// Default time a check may take before it counts as failed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A check: id, title, the checks it needs, a timeout and the work.
pub struct Check {
    pub id: CheckId,
    pub title: Cow<'static, str>,
    /// The step it belongs to, as the registry ([`super::all`]) declares it.
    pub step: Option<Step>,
    pub depends_on: Vec<CheckId>,
    pub timeout: Duration,
    pub(super) run: RunFn,
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

    pub(super) fn start(&self, ctx: Arc<Context>) -> RunFuture {
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
