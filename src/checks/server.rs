//! `server.version`: the running OpenMetadata server, against the database's schema version
//! and the target.

use std::sync::Arc;
use std::time::Duration;

use super::{Check, CheckId, Context, Outcome};
use crate::config::installation::Configured;
use crate::config::naming::Setting;
use crate::db::inspect::Detection;
use crate::server;

/// The step these checks belong to (the registry, [`super::all`], reads it).
pub const STEP: super::Step = super::Step::Installation;

pub const VERSION: CheckId = CheckId::new("server.version");

const SLACK: Duration = Duration::from_secs(2);

pub fn checks(ctx: &Context) -> Vec<Check> {
    let timeout = match &ctx.installation.server {
        Configured::Yes(s) => s.timeouts.total() + SLACK,
        _ => super::DEFAULT_TIMEOUT,
    };
    vec![
        Check::new(
            VERSION,
            "Running OpenMetadata server version",
            |ctx| async move { version(&ctx).await },
        )
        .timeout(timeout),
    ]
}

async fn version(ctx: &Arc<Context>) -> Outcome {
    let s = match &ctx.installation.server {
        Configured::Yes(s) => s,
        Configured::No => {
            return Outcome::skip(format!(
                "no server address: give it ({}), or SERVER_HOST_API_URL, or the server's \
                 openmetadata.yaml ({})",
                ctx.naming.name(Setting::ServerUrl),
                ctx.naming.name(Setting::ServerConfig)
            ));
        }
        Configured::Bad(why) => {
            return Outcome::fail(why.clone()).fix(format!(
                "Give the server's address ({}).",
                ctx.naming.name(Setting::ServerUrl)
            ));
        }
    };
    let endpoint = server::endpoint(s);
    let running = match server::ask_version(&endpoint).await {
        Ok(v) => v,
        Err(e) => {
            return Outcome::fail(e.to_string())
                .fix(e.remediation())
                .detail("url from", s.url.source.to_string());
        }
    };
    let url = endpoint.to_string();
    let schema = match ctx.detection().await {
        Ok(Detection::OpenMetadata(info)) => info.schema_version.clone(),
        _ => None,
    };
    let shown = format!("OpenMetadata {} answers at {url}", running.text);
    let mut outcome = match (&running.version, &schema, &ctx.target) {
        (Some(v), _, Some(target)) if target < v => Outcome::fail(format!(
            "{shown}; the target {target} is older: OpenMetadata cannot be downgraded"
        ))
        .fix("Choose a target at or above the running version."),
        (Some(v), Some(schema), _) if v < schema => Outcome::warn(format!(
            "{shown}, but the database was migrated by {schema} or later: this server is older \
             than its database"
        ))
        .fix(
            "A newer release migrated this database and an older binary runs on it (a rollback \
             without restoring the backup?): run the release that migrated it, or restore the \
             backup taken before that upgrade.",
        ),
        (Some(v), Some(schema), _)
            if (v.major(), v.minor()) != (schema.major(), schema.minor()) =>
        {
            Outcome::warn(format!(
                "{shown}, but the database's schema is {schema}: its migrations were not run or \
                 not recorded"
            ))
            .fix(format!(
                "Run `./bootstrap/openmetadata-ops.sh migrate` with the {} release (or check \
                 that --server-url and the database belong to the same installation).",
                running.text
            ))
        }
        (Some(_), Some(schema), _) => Outcome::pass(format!(
            "{shown} (database schema {schema}: patch releases without migrations add no row)"
        )),
        _ => Outcome::pass(shown),
    };
    outcome = outcome.detail("url from", s.url.source.to_string());
    if let Some(revision) = &running.revision {
        outcome = outcome.detail("revision", revision.clone());
    }
    outcome
}
