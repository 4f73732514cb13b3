//! The search engine (Elasticsearch or OpenSearch): what `GET /` and `GET /_cluster/health`
//! say, and whether its version is one the target release supports.
//!
//! `GET /` answers `{"name", "cluster_name", "version": {"number": "8.11.4", …}, "tagline"}` on
//! Elasticsearch 7 to 9; OpenSearch 1 to 3 answers the same shape with
//! `version.distribution: "opensearch"`. Cluster health has `status` green / yellow / red.

use std::fmt;

use serde::Serialize;

use crate::config::installation::{Distribution, SearchSettings};
use crate::http::Endpoint;
use crate::knowledge::{Catalogue, Range, Software};
use crate::secret::Secret;
use crate::version::Version;

/// Where to ask, with the server's login (a user without password sends an empty one).
pub fn endpoint(settings: &SearchSettings) -> Endpoint {
    Endpoint {
        base: settings.url.value.clone(),
        basic_auth: settings.user.as_ref().map(|user| {
            (
                user.value.clone(),
                settings
                    .password
                    .as_ref()
                    .map_or_else(|| Secret::new(""), |p| p.value.clone()),
            )
        }),
        ca_file: settings.ca_file.as_ref().map(|c| c.value.clone()),
        timeouts: settings.timeouts,
    }
}

/// What `GET /` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineInfo {
    pub distribution: Distribution,
    /// As the engine reports it (`8.11.4`, `3.4.0`, `9.1.0-SNAPSHOT`).
    pub number: String,
    /// The numeric part, when it parses.
    pub version: Option<Version>,
    pub cluster_name: Option<String>,
}

impl fmt::Display for EngineInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.distribution, self.number)
    }
}

/// Why a reply is not what a search engine says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("the reply is not JSON: {excerpt}")]
    NotJson { excerpt: String },
    #[error("the reply has no version.number: is this a search engine?")]
    NoVersion,
    #[error("the reply has no status: is this a search engine?")]
    NoStatus,
}

fn parse_json(body: &[u8]) -> Result<serde_json::Value, ReplyError> {
    serde_json::from_slice(body).map_err(|_| {
        let text = String::from_utf8_lossy(body);
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        ReplyError::NotJson {
            excerpt: flat.chars().take(80).collect(),
        }
    })
}

/// Reads `GET /`.
pub fn parse_root(body: &[u8]) -> Result<EngineInfo, ReplyError> {
    let json = parse_json(body)?;
    let version = json.get("version").ok_or(ReplyError::NoVersion)?;
    let number = version
        .get("number")
        .and_then(|n| n.as_str())
        .ok_or(ReplyError::NoVersion)?
        .to_string();
    let distribution = match version.get("distribution").and_then(|d| d.as_str()) {
        Some(d) if d.eq_ignore_ascii_case("opensearch") => Distribution::OpenSearch,
        _ => Distribution::Elasticsearch,
    };
    Ok(EngineInfo {
        distribution,
        version: number.parse::<Version>().ok().map(|v| v.release()),
        number,
        cluster_name: json
            .get("cluster_name")
            .and_then(|c| c.as_str())
            .map(String::from),
    })
}

/// Cluster health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Green,
    Yellow,
    Red,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: HealthStatus,
    pub nodes: Option<i64>,
    pub unassigned_shards: Option<i64>,
    pub active_shards_percent: Option<String>,
}

/// Reads `GET /_cluster/health`.
pub fn parse_health(body: &[u8]) -> Result<Health, ReplyError> {
    let json = parse_json(body)?;
    let status = match json.get("status").and_then(|s| s.as_str()) {
        Some(s) if s.eq_ignore_ascii_case("green") => HealthStatus::Green,
        Some(s) if s.eq_ignore_ascii_case("yellow") => HealthStatus::Yellow,
        Some(s) if s.eq_ignore_ascii_case("red") => HealthStatus::Red,
        _ => return Err(ReplyError::NoStatus),
    };
    let int = |key: &str| json.get(key).and_then(|v| v.as_i64());
    Ok(Health {
        status,
        nodes: int("number_of_nodes"),
        unassigned_shards: int("unassigned_shards"),
        active_shards_percent: json
            .get("active_shards_percent_as_number")
            .map(|v| v.to_string()),
    })
}

/// What a release supports of one search distribution, and where that is written: the
/// catalogue's per-release requirement for it ([`Catalogue::requirements_for`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchRequirement {
    pub distribution: Distribution,
    pub range: Range,
    /// The release whose documentation states it.
    pub stated_for: Version,
    /// A link to that documentation.
    pub source: String,
}

/// The search requirements in force for `release`: the catalogue's, for each distribution it
/// states a range for.
pub fn requirements_for(catalogue: &Catalogue, release: &Version) -> Vec<SearchRequirement> {
    let requirements = catalogue.requirements_for(release);
    [
        (Distribution::Elasticsearch, Software::Elasticsearch),
        (Distribution::OpenSearch, Software::Opensearch),
    ]
    .into_iter()
    .filter_map(|(distribution, software)| {
        let r = requirements.get(software)?;
        Some(SearchRequirement {
            distribution,
            range: r.range.clone(),
            stated_for: r.stated_for.clone(),
            source: r.source.clone(),
        })
    })
    .collect()
}

/// How a found engine compares with what a release supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Supported {
        requirement: SearchRequirement,
    },
    TooOld {
        requirement: SearchRequirement,
    },
    /// Newer than the documented maximum: usually works, not documented.
    Newer {
        requirement: SearchRequirement,
    },
    /// The release documents the other distribution only.
    OtherDistribution {
        supported: Vec<SearchRequirement>,
    },
    /// Nothing documented for this release.
    Unknown,
    /// The engine's version number does not parse.
    Unreadable,
}

pub fn judge(found: &EngineInfo, supported: &[SearchRequirement]) -> Verdict {
    let Some(requirement) = supported
        .iter()
        .find(|r| r.distribution == found.distribution)
    else {
        return if supported.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::OtherDistribution {
                supported: supported.to_vec(),
            }
        };
    };
    let Some(version) = &found.version else {
        return Verdict::Unreadable;
    };
    let requirement = requirement.clone();
    if requirement.range.contains(version) {
        Verdict::Supported { requirement }
    } else if requirement.range.is_below(version) {
        Verdict::TooOld { requirement }
    } else {
        Verdict::Newer { requirement }
    }
}

/// `Elasticsearch 9.0 or newer, OpenSearch 3.0 or newer`
pub fn describe(supported: &[SearchRequirement]) -> String {
    supported
        .iter()
        .map(|r| format!("{} {}", r.distribution, r.range))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_replies_tell_the_distribution() {
        let es = parse_root(
            br#"{"name":"n1","cluster_name":"docker-cluster","version":{"number":"8.11.4","build_flavor":"default"},"tagline":"You Know, for Search"}"#,
        )
        .unwrap();
        assert_eq!(es.distribution, Distribution::Elasticsearch);
        assert_eq!(es.version, Some(Version::new(8, 11, 4)));
        let os = parse_root(
            br#"{"name":"n1","version":{"distribution":"opensearch","number":"3.4.0"},"tagline":"The OpenSearch Project: https://opensearch.org/"}"#,
        )
        .unwrap();
        assert_eq!(os.distribution, Distribution::OpenSearch);
        assert_eq!(os.to_string(), "OpenSearch 3.4.0");
        assert!(matches!(
            parse_root(b"<html>hello</html>"),
            Err(ReplyError::NotJson { .. })
        ));
        assert_eq!(parse_root(b"{\"ok\":true}"), Err(ReplyError::NoVersion));
    }

    #[test]
    fn verdicts_against_a_range() {
        let req = |d, min: &str| SearchRequirement {
            distribution: d,
            range: Range::new(Some(min.parse().unwrap()), None),
            stated_for: Version::new(1, 12, 0),
            source: "https://example.org".into(),
        };
        let supported = vec![
            req(Distribution::Elasticsearch, "9.3.0"),
            req(Distribution::OpenSearch, "3.4.0"),
        ];
        let engine = |d, v: &str| EngineInfo {
            distribution: d,
            number: v.into(),
            version: v.parse().ok(),
            cluster_name: None,
        };
        assert!(matches!(
            judge(&engine(Distribution::Elasticsearch, "8.11.4"), &supported),
            Verdict::TooOld { .. }
        ));
        assert!(matches!(
            judge(&engine(Distribution::OpenSearch, "3.4.0"), &supported),
            Verdict::Supported { .. }
        ));
        assert!(matches!(
            judge(&engine(Distribution::OpenSearch, "2.19.0"), &supported[..1]),
            Verdict::OtherDistribution { .. }
        ));
        assert_eq!(
            judge(&engine(Distribution::OpenSearch, "2.19.0"), &[]),
            Verdict::Unknown
        );
        assert_eq!(
            describe(&supported),
            "Elasticsearch 9.3 or newer, OpenSearch 3.4 or newer"
        );
    }
}
