//! The release review as the report records it: every item between the installed version and
//! the target, what it does to this installation (affects you / not / unknown, with the
//! evidence), where it was found, and whether the operator acknowledged it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::redact::{Redactor, Scrub};
use crate::knowledge::impact::Impact;
use crate::knowledge::model::FileKind;
use crate::knowledge::review::{Review, Reviewed};
use crate::knowledge::scan::ScanReport;
use crate::knowledge::{Effect, Item};

pub use crate::knowledge::impact::Verdict;

/// Where an item was found to affect this installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundIn {
    /// A read-only probe counted rows in the metadata database.
    Database,
    /// The database server's version is outside what the release documents.
    DatabaseServer,
    /// The server's openmetadata.yaml.
    OpenmetadataYaml,
    /// An ingestion workflow YAML.
    Workflows,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// `<release>/<item id>`, as acknowledgements name it.
    pub key: String,
    pub release: String,
    pub id: String,
    pub kind: String,
    pub title: String,
    pub verdict: Verdict,
    /// One line: what was measured.
    pub summary: String,
    /// The facts behind the verdict, one per line (counts, examples, file and line).
    pub evidence: Vec<String>,
    pub found_in: Vec<FoundIn>,
    /// What to do.
    pub action: String,
    /// The upgrade notes that document it.
    pub source: String,
    pub acknowledged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    pub version: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCounts {
    pub items: usize,
    pub affects: usize,
    pub not_affected: usize,
    pub unknown: usize,
    /// Items acknowledged by the operator (any verdict).
    pub acknowledged: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseReview {
    pub from: String,
    pub to: String,
    /// Releases to upgrade to first, in order.
    pub stops: Vec<Stop>,
    /// What could not be measured, and why.
    pub notes: Vec<String>,
    pub counts: ReviewCounts,
    pub items: Vec<ReviewItem>,
}

impl ReleaseReview {
    /// The review as the report records it, with the operator's acknowledgements (item keys).
    pub fn of(review: &Review, acknowledged: &BTreeSet<String>) -> ReleaseReview {
        let mut notes = Vec::new();
        if let Some(why) = review.not_measured()
            && review.items.iter().any(|r| !r.item.probes.is_empty())
        {
            notes.push(format!("database not measured: {why}"));
        }
        let mut counts = ReviewCounts::default();
        let mut items = Vec::new();
        for reviewed in &review.items {
            let item = ReviewItem::of(reviewed, &review.scan, acknowledged);
            counts.items += 1;
            match item.verdict {
                Verdict::Affects => counts.affects += 1,
                Verdict::NotAffected => counts.not_affected += 1,
                Verdict::Unknown => counts.unknown += 1,
            }
            if item.acknowledged {
                counts.acknowledged += 1;
            }
            items.push(item);
        }
        for problem in &review.scan.problems {
            notes.push(format!("cannot use {problem}"));
        }
        ReleaseReview {
            from: review.installed.to_string(),
            to: review.to.to_string(),
            stops: review
                .stops
                .iter()
                .map(|s| Stop {
                    version: s.version.to_string(),
                    reason: s.reason.clone(),
                })
                .collect(),
            notes,
            counts,
            items,
        }
    }

    /// The same review with these acknowledgements instead (the wizard's session keeps a
    /// review without them, and the acknowledgements apart).
    pub fn acknowledged_as(mut self, acknowledged: &BTreeSet<String>) -> ReleaseReview {
        for item in &mut self.items {
            item.acknowledged = acknowledged.contains(&item.key);
        }
        self.counts.acknowledged = self.items.iter().filter(|i| i.acknowledged).count();
        self
    }

    /// The items the operator still has to deal with: affecting and not acknowledged.
    pub fn unacknowledged_affecting(&self) -> impl Iterator<Item = &ReviewItem> {
        self.items
            .iter()
            .filter(|i| i.verdict == Verdict::Affects && !i.acknowledged)
    }

    /// Whether every item found in files of this kind is acknowledged (so the check that
    /// scanned them has nothing open). False when none was found there.
    pub fn all_acknowledged_in(&self, place: FoundIn) -> bool {
        let mut found = self
            .items
            .iter()
            .filter(|i| i.found_in.contains(&place))
            .peekable();
        found.peek().is_some() && found.all(|i| i.acknowledged)
    }
}

impl ReviewItem {
    fn of(reviewed: &Reviewed, scan: &ScanReport, acknowledged: &BTreeSet<String>) -> ReviewItem {
        let Reviewed { item, impact } = reviewed;
        let key = item.key();
        let found_in = if impact.verdict == Verdict::Affects {
            found_in(item, impact, scan)
        } else {
            Vec::new()
        };
        let mut evidence = Vec::new();
        for fact in &impact.evidence {
            evidence.push(fact.text.clone());
            evidence.extend(fact.samples.iter().map(|s| format!("e.g. {s}")));
        }
        ReviewItem {
            acknowledged: acknowledged.contains(&key),
            key,
            release: item.release.clone(),
            id: item.id.clone(),
            kind: item.kind.to_string(),
            title: item.title.clone(),
            verdict: impact.verdict,
            summary: impact.summary.clone(),
            evidence,
            found_in,
            action: item.action.clone(),
            source: item.source.clone(),
        }
    }
}

/// Where an affecting item was found: the files its config hits are in, the database when one
/// of its "affects" probes found rows (an "info" probe's rows are background), else the
/// database server for a requirement.
fn found_in(item: &Item, impact: &Impact, scan: &ScanReport) -> Vec<FoundIn> {
    let mut places: Vec<FoundIn> = scan
        .hits_for(item)
        .map(|hit| match hit.kind {
            FileKind::Server => FoundIn::OpenmetadataYaml,
            FileKind::Workflow => FoundIn::Workflows,
        })
        .collect();
    let probed = impact.evidence.iter().any(|fact| {
        fact.count.is_some_and(|n| n > 0)
            && fact.probe.as_ref().is_some_and(|id| {
                item.probes
                    .iter()
                    .any(|p| p.id == *id && p.effect == Effect::Affects)
            })
    });
    if probed {
        places.push(FoundIn::Database);
    }
    if item.requires.is_some() && places.is_empty() {
        places.push(FoundIn::DatabaseServer);
    }
    places.sort();
    places.dedup();
    places
}

// As for the report: versions, ids, kinds and source links are structure, left as built;
// what the items and stops say is scrubbed.

impl Scrub for ReleaseReview {
    fn scrub(&mut self, r: &Redactor) {
        let ReleaseReview {
            from: _,
            to: _,
            stops,
            notes,
            counts: _,
            items,
        } = self;
        for Stop { version: _, reason } in stops {
            reason.scrub(r);
        }
        notes.scrub(r);
        items.scrub(r);
    }
}

impl Scrub for ReviewItem {
    fn scrub(&mut self, r: &Redactor) {
        let ReviewItem {
            key: _,
            release: _,
            id: _,
            kind: _,
            title,
            verdict: _,
            summary,
            evidence,
            found_in: _,
            action,
            source: _,
            acknowledged: _,
        } = self;
        for text in [title, summary, action] {
            text.scrub(r);
        }
        evidence.scrub(r);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::knowledge::probes::{ProbeOutcome, ProbeResult};
    use crate::knowledge::review::Database;
    use crate::knowledge::scan::{Hit, ScanReport};
    use crate::knowledge::{self, Catalogue};
    use crate::version::Version;

    #[test]
    fn every_item_is_judged_with_its_evidence_and_acknowledgement() {
        let catalogue = Catalogue::load(None).unwrap();
        let plan = catalogue
            .plan(&Version::new(1, 1, 5), &Version::new(1, 2, 0))
            .unwrap();
        let queries = plan
            .items
            .iter()
            .find(|i| i.id == "query-service-required")
            .expect("1.2 has the query item");
        let domo = plan
            .items
            .iter()
            .find(|i| i.config_rules.iter().any(|r| r.file == FileKind::Workflow))
            .expect("1.2 has a workflow rule");
        let mut probes = BTreeMap::new();
        probes.insert(
            queries.key(),
            queries
                .probes
                .iter()
                .map(|p| ProbeResult {
                    probe: p.id.clone(),
                    effect: p.effect,
                    outcome: ProbeOutcome::Found {
                        count: 37,
                        samples: vec!["select 1".into()],
                    },
                    text: "37 queries will be deleted".into(),
                })
                .collect::<Vec<_>>(),
        );
        let scan = ScanReport {
            workflows: Some("/etc/om/workflows".into()),
            workflow_files: 1,
            hits: vec![Hit {
                item: domo.key(),
                kind: FileKind::Workflow,
                file: "/etc/om/workflows/domo.yaml".into(),
                line: Some(12),
                text: "sandboxDomain is set".into(),
            }],
            ..ScanReport::default()
        };
        let measured = knowledge::review::review(
            &catalogue,
            &plan,
            Database::Probed {
                probes,
                server: None,
            },
            scan,
            &Default::default(),
        );
        let acknowledged = BTreeSet::from([queries.key()]);
        let review = ReleaseReview::of(&measured, &acknowledged);

        assert_eq!(
            (review.from.as_str(), review.to.as_str()),
            ("1.1.5", "1.2.0")
        );
        assert_eq!(review.items.len(), plan.items.len());
        let q = review
            .items
            .iter()
            .find(|i| i.key == queries.key())
            .unwrap();
        assert_eq!(q.verdict, Verdict::Affects);
        assert!(q.acknowledged);
        assert_eq!(q.found_in, vec![FoundIn::Database]);
        assert!(q.evidence.iter().any(|e| e == "e.g. select 1"), "{q:?}");
        let d = review.items.iter().find(|i| i.key == domo.key()).unwrap();
        assert_eq!(d.verdict, Verdict::Affects);
        assert!(!d.acknowledged);
        assert_eq!(d.found_in, vec![FoundIn::Workflows]);
        assert!(!review.all_acknowledged_in(FoundIn::Workflows));
        assert!(!review.all_acknowledged_in(FoundIn::OpenmetadataYaml));
        assert_eq!(review.counts.acknowledged, 1);
        assert_eq!(
            review.counts.affects + review.counts.not_affected + review.counts.unknown,
            review.counts.items
        );
        let open: Vec<&str> = review
            .unacknowledged_affecting()
            .map(|i| i.key.as_str())
            .collect();
        assert!(open.contains(&domo.key().as_str()) && !open.contains(&queries.key().as_str()));
    }
}
