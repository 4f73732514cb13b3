//! `search.version` and `search.health`: the search engine the server uses, asked over HTTP.

use std::sync::Arc;
use std::time::Duration;

use super::{Check, CheckId, Context, Outcome};
use crate::config::Source;
use crate::config::installation::{Configured, SearchSettings};
use crate::config::naming::Setting;
use crate::db::inspect::Detection;
use crate::http::Reply;
use crate::search::{self, EngineInfo, HealthStatus, Verdict};
use crate::version::Version;

/// The step these checks belong to (the registry, [`super::all`], reads it).
pub const STEP: super::Step = super::Step::Installation;

pub const VERSION: CheckId = CheckId::new("search.version");
pub const HEALTH: CheckId = CheckId::new("search.health");

/// Slack beyond the request's own timeouts, so a request's own error wins over the runner's.
const SLACK: Duration = Duration::from_secs(2);

pub fn checks(ctx: &Context) -> Vec<Check> {
    let timeout = match &ctx.installation.search {
        Configured::Yes(s) => s.timeouts.total() + SLACK,
        _ => super::DEFAULT_TIMEOUT,
    };
    vec![
        Check::new(
            VERSION,
            "Search engine version against the target",
            |ctx| async move { version(&ctx).await },
        )
        .timeout(timeout),
        Check::new(HEALTH, "Search cluster health", |ctx| async move {
            health(&ctx).await
        })
        .timeout(timeout),
    ]
}

/// The settings, or the outcome that says why there are none.
fn settings(ctx: &Context) -> Result<&SearchSettings, Outcome> {
    match &ctx.installation.search {
        Configured::Yes(s) => Ok(s),
        Configured::No => Err(Outcome::skip(format!(
            "no search engine named: give its URL ({}), the server's ELASTICSEARCH_HOST, or \
             its openmetadata.yaml ({})",
            ctx.naming.name(Setting::SearchUrl),
            ctx.naming.name(Setting::ServerConfig)
        ))),
        Configured::Bad(why) => Err(Outcome::fail(why.clone()).fix(format!(
            "Fix the value, or give the search engine's URL ({}).",
            ctx.naming.name(Setting::SearchUrl)
        ))),
    }
}

fn with_sources(ctx: &Context, outcome: Outcome, s: &SearchSettings) -> Outcome {
    let mut outcome = outcome.detail("url from", s.url.source.to_string());
    if let Some(user) = &s.user {
        outcome = outcome.detail("user", format!("{} (from {})", user.value, user.source));
    }
    if let Some(ca) = &s.ca_file {
        outcome = outcome.detail(
            "CA file",
            format!("{} (from {})", ca.value.display(), ca.source),
        );
    }
    if let Some(store) = &s.unusable_truststore {
        outcome = outcome.line(format!(
            "{} (from {}) is a Java truststore om-upgrade cannot read: give its CA as PEM ({})",
            store.value.display(),
            store.source,
            ctx.naming.name(Setting::SearchCa)
        ));
    }
    outcome
}

/// GET `path`; a failure or a non-2xx status becomes the outcome.
async fn ask(ctx: &Context, s: &SearchSettings, path: &str) -> Result<Reply, Outcome> {
    let endpoint = search::endpoint(s);
    let url = format!("{endpoint}{path}");
    let reply = endpoint
        .get(path)
        .await
        .map_err(|e| Outcome::fail(format!("{url}: {e}")).fix(e.remediation()))?;
    match reply.status {
        200..=299 => Ok(reply),
        401 | 403 => Err(Outcome::fail(format!(
            "{url} refused the request (HTTP {}){}",
            reply.status,
            match &s.user {
                Some(user) => format!(" for user '{}'", user.value),
                None => " without credentials".into(),
            }
        ))
        .fix(format!(
            "Give the user the server uses: ELASTICSEARCH_USER and ELASTICSEARCH_PASSWORD in the \
             environment, or its openmetadata.yaml (elasticsearch.username/password; {}).",
            ctx.naming.name(Setting::ServerConfig)
        ))),
        status => Err(Outcome::fail(format!(
            "{url} answered HTTP {status}: {}",
            reply.excerpt(100)
        ))
        .fix("Check that the url is the search engine's, not a proxy or another service.")),
    }
}

/// The release to compare with and how to name it: the target, else the installed version.
async fn release_to_compare(ctx: &Context) -> Option<(Version, String, bool)> {
    if let Some(target) = &ctx.target {
        return Some((target.clone(), format!("OpenMetadata {target}"), true));
    }
    match ctx.detection().await {
        Ok(Detection::OpenMetadata(info)) => {
            let installed = info.schema_version.clone()?;
            Some((
                installed.clone(),
                format!("the installed OpenMetadata {installed}"),
                false,
            ))
        }
        _ => None,
    }
}

async fn version(ctx: &Arc<Context>) -> Outcome {
    let s = match settings(ctx) {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let reply = match ask(ctx, s, "/").await {
        Ok(r) => r,
        Err(outcome) => return with_sources(ctx, outcome, s),
    };
    let url = crate::http::display_url(&s.url.value);
    let found = match search::parse_root(&reply.body) {
        Ok(found) => found,
        Err(e) => {
            return with_sources(
                ctx,
                Outcome::fail(format!("{url} answered, but not like a search engine: {e}"))
                    .fix("Check that the url is the Elasticsearch / OpenSearch endpoint."),
                s,
            );
        }
    };
    if s.distribution.source != Source::Default && s.distribution.value != found.distribution {
        return with_sources(
            ctx,
            Outcome::fail(format!(
                "the server is set up for {} (search type from {}), but {url} runs {found}",
                s.distribution.value, s.distribution.source
            ))
            .fix(format!(
                "Set SEARCH_TYPE={} (elasticsearch.searchType) to match the engine, or point the \
                 server at the right one.",
                found.distribution.key()
            )),
            s,
        );
    }
    let Some((release, whom, is_target)) = release_to_compare(ctx).await else {
        return with_sources(
            ctx,
            Outcome::pass(format!(
                "{found} at {url} (give --target to compare it with what OpenMetadata supports)"
            )),
            s,
        );
    };
    let outcome = judge(&found, &url, ctx, &release, &whom, is_target);
    let mut outcome = with_sources(ctx, outcome, s);
    if let Some(cluster) = &found.cluster_name {
        outcome = outcome.detail("cluster", cluster.clone());
    }
    outcome
}

/// The engine's version against what the catalogue documents for `release` (the target, or
/// the installed release when no target is given): too old fails before a target.
fn judge(
    found: &EngineInfo,
    url: &str,
    ctx: &Context,
    release: &Version,
    whom: &str,
    is_target: bool,
) -> Outcome {
    let supported = ctx
        .catalogue()
        .map(|c| search::requirements_for(c, release))
        .unwrap_or_default();
    let documented = search::describe(&supported);
    match search::judge(found, &supported) {
        Verdict::Supported { requirement } => {
            Outcome::pass(format!("{found} at {url} ({whom} supports {documented})"))
                .detail("documented", requirement.source)
        }
        Verdict::TooOld { requirement } => {
            let text = format!("{found} is older than {whom} supports: {documented}");
            let outcome = if is_target {
                Outcome::fail(text)
            } else {
                Outcome::warn(text)
            };
            outcome
                .detail("documented", requirement.source)
                .fix(format!(
                    "Move the search engine to {documented} before upgrading OpenMetadata; a new \
                     cluster starts empty, so reindex All entities after the upgrade."
                ))
        }
        Verdict::Newer { requirement } => Outcome::warn(format!(
            "{found} is newer than {whom} documents ({documented})"
        ))
        .detail("documented", requirement.source)
        .fix("Newer versions usually work; rehearse the upgrade against it first."),
        Verdict::OtherDistribution { supported } => {
            let mut outcome = Outcome::fail(format!(
                "{found}: {whom} documents only {documented}"
            ));
            for r in supported {
                outcome = outcome.detail("documented", r.source);
            }
            outcome.fix(format!(
                "Move to {documented} before upgrading, and set SEARCH_TYPE to match."
            ))
        }
        Verdict::Unknown => Outcome::warn(format!(
            "{found} at {url}: the release catalogue says nothing about the search engine for {whom}"
        ))
        .fix("Check OpenMetadata's requirements page for that release."),
        Verdict::Unreadable => Outcome::warn(format!(
            "{url} reports version '{}', which om-upgrade cannot compare ({whom} supports {documented})",
            found.number
        )),
    }
}

async fn health(ctx: &Arc<Context>) -> Outcome {
    let s = match settings(ctx) {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let reply = match ask(ctx, s, "/_cluster/health").await {
        Ok(r) => r,
        Err(outcome) => return with_sources(ctx, outcome, s),
    };
    let url = crate::http::display_url(&s.url.value);
    let health = match search::parse_health(&reply.body) {
        Ok(h) => h,
        Err(e) => {
            return with_sources(
                ctx,
                Outcome::fail(format!(
                    "{url}/_cluster/health answered, but not like a search engine: {e}"
                )),
                s,
            );
        }
    };
    let mut outcome = match health.status {
        HealthStatus::Green => Outcome::pass(format!("cluster at {url} is green")),
        HealthStatus::Yellow => Outcome::warn(format!(
            "cluster at {url} is yellow: some replica shards are not allocated"
        ))
        .fix(
            "Usual on a single node (replicas have nowhere to go); on a cluster, check the \
             nodes before upgrading: the reindex after it writes every index.",
        ),
        HealthStatus::Red => Outcome::fail(format!(
            "cluster at {url} is red: some primary shards are not allocated, so indexes are \
             missing data"
        ))
        .fix(
            "Fix the cluster first (`GET /_cluster/allocation/explain` says why); the upgrade's \
             reindex fails on a red cluster.",
        ),
    };
    if let Some(nodes) = health.nodes {
        outcome = outcome.detail("nodes", nodes.to_string());
    }
    if let Some(unassigned) = health.unassigned_shards.filter(|n| *n > 0) {
        outcome = outcome.detail("unassigned shards", unassigned.to_string());
    }
    with_sources(ctx, outcome, s)
}
