//! The release catalogue as types: a [`Release`] per minor line, its [`Item`]s, and what an
//! item needs to be measured ([`Probe`], [`ConfigRule`]) or what it requires ([`Requirements`]).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::version::Version;

/// One minor release line (`1.2`) and everything its upgrade notes list.
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    /// `major.minor`, as in the file name.
    pub version: String,
    #[serde(skip)]
    pub major: u64,
    #[serde(skip)]
    pub minor: u64,
    pub date: Option<String>,
    /// The main upgrade-notes page of this line.
    pub notes: String,
    /// Every known server patch release of the line, ascending.
    pub patches: Vec<Version>,
    /// The oldest installed version this release's migrations accept, when OpenMetadata
    /// documents one (2.1+ refuses databases below 2.0.0): older installations must stop at an
    /// intermediate release first.
    pub upgrade_from: Option<Version>,
    /// Patches the project later superseded because of a regression, with the fix.
    pub known_bad: Vec<KnownBad>,
    /// When this file's patch list and items were last checked against their sources
    /// (`YYYY-MM-DD`).
    pub checked: Option<String>,
    #[serde(skip)]
    pub items: Vec<Item>,
    /// The file it was read from (`1.2.yaml`).
    #[serde(skip)]
    pub file: String,
}

impl Release {
    /// The first patch (`1.2.0`).
    pub fn first(&self) -> Version {
        Version::new(self.major, self.minor, 0)
    }

    /// The newest known patch.
    pub fn newest(&self) -> Option<&Version> {
        self.patches.last()
    }
}

/// Patches of a line that OpenMetadata later superseded because of a regression (data loss, a
/// broken migration), and the release that fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownBad {
    /// The affected patches, ascending.
    pub patches: Vec<Version>,
    /// The first release that fixes it.
    pub fixed_in: Version,
    /// What goes wrong, in a sentence.
    pub reason: String,
    pub source: String,
    /// The database engines it goes wrong on; empty means every engine.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<crate::db::Engine>,
}

impl KnownBad {
    /// Whether it goes wrong on `engine`; an unknown engine counts as affected, so that the
    /// warning is given until the engine is known.
    pub fn affects(&self, engine: Option<crate::db::Engine>) -> bool {
        self.engines.is_empty() || engine.is_none_or(|e| self.engines.contains(&e))
    }
}

/// What sort of change an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Breaking,
    Connection,
    Config,
    Deprecation,
    Requirement,
    Action,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Breaking,
        Kind::Connection,
        Kind::Config,
        Kind::Deprecation,
        Kind::Requirement,
        Kind::Action,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Breaking => "breaking",
            Kind::Connection => "connection",
            Kind::Config => "config",
            Kind::Deprecation => "deprecation",
            Kind::Requirement => "requirement",
            Kind::Action => "action",
        }
    }

    /// A heading for a group of items of this kind.
    pub fn heading(self) -> &'static str {
        match self {
            Kind::Breaking => "Breaking changes",
            Kind::Connection => "Connection changes",
            Kind::Config => "Configuration changes",
            Kind::Deprecation => "Deprecations",
            Kind::Requirement => "Requirements",
            Kind::Action => "Actions",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an item touches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Component {
    Server,
    Ingestion,
    Database,
    Search,
    Airflow,
    OpenmetadataYaml,
    Helm,
    Docker,
    Api,
    Sdk,
    Ui,
    /// A connector by service type (`DomoDatabase`).
    Connector(String),
}

impl Component {
    const NAMED: [(&'static str, Component); 11] = [
        ("server", Component::Server),
        ("ingestion", Component::Ingestion),
        ("database", Component::Database),
        ("search", Component::Search),
        ("airflow", Component::Airflow),
        ("openmetadata.yaml", Component::OpenmetadataYaml),
        ("helm", Component::Helm),
        ("docker", Component::Docker),
        ("api", Component::Api),
        ("sdk", Component::Sdk),
        ("ui", Component::Ui),
    ];

    pub fn parse(text: &str) -> Option<Component> {
        if let Some(service_type) = text.strip_prefix("connector:") {
            let valid =
                !service_type.is_empty() && service_type.bytes().all(|b| b.is_ascii_alphanumeric());
            return valid.then(|| Component::Connector(service_type.to_string()));
        }
        Component::NAMED
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, c)| c.clone())
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Component::Connector(service_type) => write!(f, "connector:{service_type}"),
            named => {
                let name = Component::NAMED
                    .iter()
                    .find(|(_, c)| c == named)
                    .map_or("?", |(name, _)| name);
                f.write_str(name)
            }
        }
    }
}

impl Serialize for Component {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Supported versions of something, both ends inclusive. A maximum whose patch is 0 covers its
/// whole minor line: `max: 3.10` accepts every 3.10.x, `max: 8.11.4` only up to 8.11.4.
/// Serialized as written in the catalogue (`{"min": "3.8", "max": "3.10"}`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Range {
    pub min: Option<Version>,
    pub max: Option<Version>,
}

impl Range {
    pub fn new(min: Option<Version>, max: Option<Version>) -> Self {
        Range { min, max }
    }

    pub fn contains(&self, version: &Version) -> bool {
        let version = version.release();
        let above_min = self.min.as_ref().is_none_or(|min| version >= min.release());
        let below_max = self.max.as_ref().is_none_or(|max| {
            if max.patch() == 0 {
                (version.major(), version.minor()) <= (max.major(), max.minor())
            } else {
                version <= max.release()
            }
        });
        above_min && below_max
    }

    /// Whether `version` is below the minimum (rather than above the maximum).
    pub fn is_below(&self, version: &Version) -> bool {
        self.min
            .as_ref()
            .is_some_and(|min| version.release() < min.release())
    }
}

/// A bound as written in the catalogue: 3.10 rather than 3.10.0.
fn short(v: &Version) -> String {
    if v.patch() == 0 {
        format!("{}.{}", v.major(), v.minor())
    } else {
        v.release().to_string()
    }
}

impl Serialize for Range {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Range", 2)?;
        s.serialize_field("min", &self.min.as_ref().map(short))?;
        s.serialize_field("max", &self.max.as_ref().map(short))?;
        s.end()
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.min, &self.max) {
            (Some(min), Some(max)) => write!(f, "{}–{}", short(min), short(max)),
            (Some(min), None) => write!(f, "{} or newer", short(min)),
            (None, Some(max)) => write!(f, "up to {}", short(max)),
            (None, None) => f.write_str("any version"),
        }
    }
}

/// Version requirements: of one requirement item, or the ones in force for a target release.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Requirements {
    pub python: Option<Range>,
    pub mysql: Option<Range>,
    pub postgres: Option<Range>,
    pub java: Option<Range>,
    pub elasticsearch: Option<Range>,
    pub opensearch: Option<Range>,
    pub airflow: Option<Range>,
    /// PostgreSQL extensions a migration creates: a managed PostgreSQL (RDS, Cloud SQL, Azure)
    /// must allow them before the upgrade.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub postgres_extensions: Vec<String>,
}

/// What a requirement item requires (the same shape as the requirements of a target).
pub type Requires = Requirements;

impl Requirements {
    pub const KEYS: [&'static str; 7] = [
        "python",
        "mysql",
        "postgres",
        "java",
        "elasticsearch",
        "opensearch",
        "airflow",
    ];

    pub fn get(&self, key: &str) -> Option<&Range> {
        match key {
            "python" => self.python.as_ref(),
            "mysql" => self.mysql.as_ref(),
            "postgres" => self.postgres.as_ref(),
            "java" => self.java.as_ref(),
            "elasticsearch" => self.elasticsearch.as_ref(),
            "opensearch" => self.opensearch.as_ref(),
            "airflow" => self.airflow.as_ref(),
            _ => None,
        }
    }

    pub fn slot(&mut self, key: &str) -> Option<&mut Option<Range>> {
        match key {
            "python" => Some(&mut self.python),
            "mysql" => Some(&mut self.mysql),
            "postgres" => Some(&mut self.postgres),
            "java" => Some(&mut self.java),
            "elasticsearch" => Some(&mut self.elasticsearch),
            "opensearch" => Some(&mut self.opensearch),
            "airflow" => Some(&mut self.airflow),
            _ => None,
        }
    }
}

/// Which of the operator's files a [`ConfigRule`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// The server's openmetadata.yaml (`--config`).
    Server,
    /// An ingestion workflow YAML (`--workflows DIR`).
    Workflow,
}

/// When a [`ConfigRule`] matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    Present,
    Absent,
    /// The key holds this scalar (after `${VAR:-default}` substitution in openmetadata.yaml).
    Equals(String),
}

/// How to find an item in the operator's YAML files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigRule {
    pub file: FileKind,
    /// Dotted path from the document root.
    pub key: String,
    pub when: When,
    /// Workflow rules only: the connector types (`source.serviceConnection.config.type`) the rule
    /// applies to; empty means every workflow.
    pub service_types: Vec<String>,
    /// The rule matters only on installations with this search engine: until the engine is
    /// known, a match makes the item "unknown" rather than "affects you".
    pub search_engine: Option<SearchEngine>,
}

/// The search engine behind an installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchEngine {
    Elasticsearch,
    Opensearch,
}

impl SearchEngine {
    pub fn parse(text: &str) -> Option<SearchEngine> {
        match text {
            "elasticsearch" => Some(SearchEngine::Elasticsearch),
            "opensearch" => Some(SearchEngine::Opensearch),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SearchEngine::Elasticsearch => "Elasticsearch",
            SearchEngine::Opensearch => "OpenSearch",
        }
    }
}

/// Whether a probe's finding makes the item affect the installation, or is background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Affects,
    Info,
}

/// SQL for each engine; a probe without SQL for an engine does not apply to it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EngineSql {
    pub mysql: Option<String>,
    pub postgres: Option<String>,
}

impl EngineSql {
    pub fn for_engine(&self, engine: crate::db::Engine) -> Option<&str> {
        match engine {
            crate::db::Engine::Mysql => self.mysql.as_deref(),
            crate::db::Engine::Postgres => self.postgres.as_deref(),
        }
    }
}

/// Which schema a probe is written for, told by one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaCondition {
    /// The table exists (the release that created it is installed).
    TableExists(String),
    /// The table does not exist yet (an older release is installed).
    TableMissing(String),
}

impl SchemaCondition {
    /// Whether a schema with these base tables is the one the probe is written for.
    pub fn holds(&self, tables: &[String]) -> bool {
        let has = |t: &str| tables.iter().any(|have| have.eq_ignore_ascii_case(t));
        match self {
            SchemaCondition::TableExists(t) => has(t),
            SchemaCondition::TableMissing(t) => !has(t),
        }
    }
}

/// A read-only measurement in the metadata database: how many rows an item touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Unique within its item.
    pub id: String,
    pub effect: Effect,
    /// Tables the SQL reads: a missing one makes the probe "unknown", not an error.
    pub tables: Vec<String>,
    /// The schema the probe is written for: on another one it does not apply (a count of 0),
    /// so a probe for data an older release keeps elsewhere can stand beside it.
    pub schema: Option<SchemaCondition>,
    /// One row whose first column is a number.
    pub count: EngineSql,
    /// A few rows of text shown as evidence (the SQL has a LIMIT).
    pub sample: Option<EngineSql>,
    /// Said when the count is above zero; `{count}` and `{first}` (first sample row) are filled
    /// in, and `{one|many}` agrees with the count.
    pub affects: String,
    /// Said when the count is zero.
    pub clear: String,
}

/// One breaking change, deprecation, connection or config change, requirement or action.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: String,
    /// The minor line (`1.2`).
    pub release: String,
    /// The first patch the item applies to (`1.2.1`; `1.2.0` unless the catalogue says otherwise).
    pub patch: Version,
    /// The last release it applies to, when a later patch made it moot (`1.2.2`: fixed in
    /// 1.2.3): an upgrade to a newer target does not meet it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Version>,
    pub kind: Kind,
    pub components: Vec<Component>,
    pub title: String,
    pub change: String,
    pub migration: Option<String>,
    pub action: String,
    pub source: String,
    pub unverified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires: Option<Requirements>,
    /// The database engines the item is about (`engines: [mysql]`); empty: every engine. On
    /// another engine the item does not affect the installation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<crate::engine::Engine>,
    /// The check that already measures what the item is about (`measured_by: db.sort_memory`):
    /// its outcome, when a run has one, is the item's evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured_by: Option<String>,
    #[serde(skip)]
    pub config_rules: Vec<ConfigRule>,
    #[serde(skip)]
    pub probes: Vec<Probe>,
    #[serde(skip)]
    pub file: String,
    #[serde(skip)]
    pub line: usize,
}

impl Item {
    /// Unique across the catalogue: `1.2/query-service-required`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.release, self.id)
    }

    /// The id of the shared check that measures this item (`release.query_service_required`).
    pub fn check_id(&self) -> String {
        format!("release.{}", self.id.replace('-', "_"))
    }

    /// Whether upgrading from `from` to `to` crosses this item: its patch is in (from, to] and
    /// the target is not past its `until`.
    pub fn applies(&self, from: &Version, to: &Version) -> bool {
        self.patch > from.release() && self.patch <= to.release() && self.reaches(to)
    }

    /// Whether the item still holds for a target: false once a later patch made it moot.
    pub fn reaches(&self, target: &Version) -> bool {
        self.until
            .as_ref()
            .is_none_or(|until| target.release() <= *until)
    }
}

/// How far a catalogue reaches: its newest release and when it was last checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub newest: Version,
    /// `YYYY-MM-DD` of the newest file's check, when it says.
    pub checked: Option<String>,
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "releases up to {}", self.newest)?;
        if let Some(checked) = &self.checked {
            write!(f, ", checked {checked}")?;
        }
        Ok(())
    }
}

/// Which version a command-line flag names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRole {
    /// What is installed (`--from`).
    Installed,
    /// Where the upgrade goes (`--to`, `--target`).
    Target,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn a_minor_maximum_covers_every_patch_of_that_minor() {
        let python = Range {
            min: Some(v("3.8")),
            max: Some(v("3.10")),
        };
        assert!(python.contains(&v("3.8.0")));
        assert!(python.contains(&v("3.10.14")));
        assert!(!python.contains(&v("3.11.0")));
        assert!(!python.contains(&v("3.7.17")));
        assert!(python.is_below(&v("3.7.17")));
        assert!(!python.is_below(&v("3.11")));
        assert_eq!(python.to_string(), "3.8–3.10");

        let es = Range {
            min: Some(v("8.0.0")),
            max: Some(v("8.11.4")),
        };
        assert!(es.contains(&v("8.11.4")));
        assert!(!es.contains(&v("8.11.5")));
        assert_eq!(es.to_string(), "8.0–8.11.4");
        assert_eq!(
            Range {
                min: Some(v("15.0")),
                max: None
            }
            .to_string(),
            "15.0 or newer"
        );
    }

    #[test]
    fn components_and_kinds_round_trip_their_names() {
        for name in [
            "server",
            "openmetadata.yaml",
            "connector:DomoDatabase",
            "ui",
        ] {
            assert_eq!(Component::parse(name).unwrap().to_string(), name);
        }
        assert!(Component::parse("connector:").is_none());
        assert!(Component::parse("connector:Domo Database").is_none());
        assert!(Component::parse("servers").is_none());
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
    }
}
