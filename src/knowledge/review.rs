//! The release review: every item of an upgrade judged against what was measured about this
//! installation (the metadata database's probes and server, the operator's config and workflow
//! files), grouped by release, with the count of each verdict.
//!
//! [`review`] is the one place the review is made. `om-upgrade releases`, the wizard's
//! Releases step and the report gather the measurements their own way (probing now, or reading
//! what a check run left) and hand them here; what they show is rendered from the [`Review`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::impact::{self, Elsewhere, Impact, Measurements, Verdict};
use super::probes::ProbeResult;
use super::scan::ScanReport;
use super::{Catalogue, Installed, Item, Plan, Stop};
use crate::db::inspect::ServerInfo;
use crate::version::Version;

/// What the metadata database said about the plan's items, or why it was not asked.
#[derive(Debug, Clone)]
pub enum Database {
    Probed {
        /// Probe results by item key (`1.2/query-service-required`).
        probes: BTreeMap<String, Vec<ProbeResult>>,
        /// The database server, for the requirement items; `None` when it could not be read.
        server: Option<ServerInfo>,
    },
    /// Not measured: why ("the database could not be reached: …").
    NotMeasured(String),
}

/// A release the review crosses, for its group heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInfo {
    pub version: String,
    pub date: Option<String>,
    /// The upgrade notes.
    pub notes: String,
}

/// One item and what it does to this installation.
#[derive(Debug, Clone)]
pub struct Reviewed {
    pub item: Item,
    pub impact: Impact,
}

/// How many items have each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub items: usize,
    pub affects: usize,
    pub not_affected: usize,
    pub unknown: usize,
}

/// What an upgrade crosses, measured.
#[derive(Debug, Clone)]
pub struct Review {
    /// What is installed, as the plan was made for it (the version to show).
    pub installed: Installed,
    /// Where the plan starts, as a release (0.0.0 when nothing is recorded).
    pub from: Version,
    pub to: Version,
    /// Releases to upgrade to first, in order.
    pub stops: Vec<Stop>,
    /// Minor releases crossed that the catalogue has no file for.
    pub missing: Vec<String>,
    /// What to tell the operator about `missing`, when some are.
    pub missing_warning: Option<String>,
    /// The releases of `items`, in order.
    pub releases: Vec<ReleaseInfo>,
    /// In plan order: by release, then catalogue order.
    pub items: Vec<Reviewed>,
    pub counts: Counts,
    pub scan: ScanReport,
    pub database: Database,
}

/// Judges every item of `plan` with what was measured: `database` (the probes of the plan's
/// items and the server), `scan` (the operator's files, scanned against at least the plan's
/// items) and `elsewhere` (the run's checks that measure items, such as `db.sort_memory`).
pub fn review(
    catalogue: &Catalogue,
    plan: &Plan<'_>,
    database: Database,
    scan: ScanReport,
    elsewhere: &Elsewhere,
) -> Review {
    let (probes, no_database, server) = match &database {
        Database::Probed { probes, server } => (Some(probes), "", server.as_ref()),
        Database::NotMeasured(why) => (None, why.as_str(), None),
    };
    let measurements = Measurements {
        probes,
        no_database,
        scan: &scan,
        server,
        elsewhere,
    };
    let items: Vec<Reviewed> = plan
        .items
        .iter()
        .map(|item| Reviewed {
            item: (*item).clone(),
            impact: impact::assess(item, &measurements),
        })
        .collect();
    Review {
        installed: plan.installed.clone(),
        from: plan.from.clone(),
        to: plan.to.clone(),
        stops: plan.stops.clone(),
        missing: plan.missing.clone(),
        missing_warning: plan.missing_warning(catalogue.origin()),
        releases: releases_of(catalogue, plan),
        counts: count(&items),
        items,
        scan,
        database,
    }
}

/// The release of each group of the plan's items, with its date and notes.
fn releases_of(catalogue: &Catalogue, plan: &Plan<'_>) -> Vec<ReleaseInfo> {
    let mut releases: Vec<ReleaseInfo> = Vec::new();
    for item in &plan.items {
        if releases.iter().any(|r| r.version == item.release) {
            continue;
        }
        let release = catalogue.release_of(&item.patch);
        releases.push(ReleaseInfo {
            version: item.release.clone(),
            date: release.and_then(|r| r.date.clone()),
            notes: release.map(|r| r.notes.clone()).unwrap_or_default(),
        });
    }
    releases
}

fn count(items: &[Reviewed]) -> Counts {
    let mut counts = Counts::default();
    for reviewed in items {
        counts.items += 1;
        match reviewed.impact.verdict {
            Verdict::Affects => counts.affects += 1,
            Verdict::NotAffected => counts.not_affected += 1,
            Verdict::Unknown => counts.unknown += 1,
        }
    }
    counts
}

impl Review {
    /// The database server that was probed (`PostgreSQL 15.4`), when known.
    pub fn server(&self) -> Option<String> {
        match &self.database {
            Database::Probed {
                server: Some(server),
                ..
            } => Some(format!("{} {}", server.product, server.version_text)),
            _ => None,
        }
    }

    /// Why the database was not measured, when it was not.
    pub fn not_measured(&self) -> Option<&str> {
        match &self.database {
            Database::Probed { .. } => None,
            Database::NotMeasured(why) => Some(why),
        }
    }

    /// The reviewed items of one release.
    pub fn items_of<'a>(&'a self, release: &'a str) -> impl Iterator<Item = &'a Reviewed> {
        self.items.iter().filter(move |r| r.item.release == release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::probes::ProbeOutcome;

    fn v(text: &str) -> Version {
        text.parse().expect("a version")
    }

    #[test]
    fn every_item_is_judged_counted_and_grouped_by_release() {
        let catalogue = Catalogue::load(None).unwrap();
        let plan = catalogue.plan(&v("1.1.5"), &v("1.3.0")).unwrap();
        let queries = plan
            .items
            .iter()
            .find(|i| i.id == "query-service-required")
            .expect("1.2 has the query item");
        let probes = BTreeMap::from([(
            queries.key(),
            queries
                .probes
                .iter()
                .map(|p| ProbeResult {
                    probe: p.id.clone(),
                    effect: p.effect,
                    outcome: ProbeOutcome::Found {
                        count: 3,
                        samples: Vec::new(),
                    },
                    text: "3 queries will be deleted".into(),
                })
                .collect(),
        )]);
        let review = review(
            &catalogue,
            &plan,
            Database::Probed {
                probes,
                server: None,
            },
            ScanReport::default(),
            &Default::default(),
        );

        assert_eq!(review.items.len(), plan.items.len());
        let versions: Vec<&str> = review.releases.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(versions, ["1.2", "1.3"]);
        assert_eq!(
            review.items_of("1.2").count() + review.items_of("1.3").count(),
            review.items.len()
        );
        let q = review
            .items
            .iter()
            .find(|r| r.item.key() == queries.key())
            .unwrap();
        assert_eq!(q.impact.verdict, Verdict::Affects);
        let c = review.counts;
        assert_eq!(c.items, review.items.len());
        assert_eq!(c.affects + c.not_affected + c.unknown, c.items);
        assert!(c.affects >= 1);
        assert_eq!(review.not_measured(), None);
    }

    #[test]
    fn without_the_database_probed_items_are_unknown_and_say_why() {
        let catalogue = Catalogue::load(None).unwrap();
        let plan = catalogue.plan(&v("1.1.5"), &v("1.2.0")).unwrap();
        let review = review(
            &catalogue,
            &plan,
            Database::NotMeasured("the database could not be reached: refused".into()),
            ScanReport::default(),
            &Default::default(),
        );
        let probed: Vec<&Reviewed> = review
            .items
            .iter()
            .filter(|r| !r.item.probes.is_empty())
            .collect();
        assert!(!probed.is_empty());
        for r in probed {
            assert_eq!(r.impact.verdict, Verdict::Unknown, "{}", r.item.id);
            assert!(
                r.impact.evidence[0].text.contains("could not be reached"),
                "{:?}",
                r.impact
            );
        }
        assert_eq!(
            review.not_measured(),
            Some("the database could not be reached: refused")
        );
        assert_eq!(review.server(), None);
    }
}
