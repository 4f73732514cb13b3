//! The requirements in force for a target release, each with the item and source that state
//! it: what the database, search-engine, Java and Python checks compare against.

use serde::Serialize;

use super::Catalogue;
use super::model::{Item, Range};
use crate::version::Version;

/// What a requirement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Software {
    Python,
    Mysql,
    Postgres,
    Java,
    Elasticsearch,
    Opensearch,
    Airflow,
}

impl Software {
    pub const ALL: [Software; 7] = [
        Software::Python,
        Software::Mysql,
        Software::Postgres,
        Software::Java,
        Software::Elasticsearch,
        Software::Opensearch,
        Software::Airflow,
    ];

    /// The key in the catalogue's `requires:` (`mysql`).
    pub fn key(self) -> &'static str {
        match self {
            Software::Python => "python",
            Software::Mysql => "mysql",
            Software::Postgres => "postgres",
            Software::Java => "java",
            Software::Elasticsearch => "elasticsearch",
            Software::Opensearch => "opensearch",
            Software::Airflow => "airflow",
        }
    }
}

/// One supported range and where the catalogue has it from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub software: Software,
    pub range: Range,
    /// The item that states it (`2.0/platform-requirements`).
    pub item: String,
    /// The release whose notes state it (it stays in force until a later release says else).
    pub stated_for: Version,
    pub source: String,
}

/// A PostgreSQL extension a migration creates, which a managed PostgreSQL must allow first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtensionRequirement {
    pub name: String,
    pub item: String,
    pub stated_for: Version,
    pub source: String,
}

/// Everything required of an installation for a target release.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TargetRequirements {
    /// One per software the catalogue states a range for, in [`Software::ALL`] order.
    pub ranges: Vec<Requirement>,
    /// PostgreSQL extensions the migrations up to the target create.
    pub postgres_extensions: Vec<ExtensionRequirement>,
}

impl TargetRequirements {
    pub fn get(&self, software: Software) -> Option<&Requirement> {
        self.ranges.iter().find(|r| r.software == software)
    }
}

impl Catalogue {
    /// The requirements in force for `target`: for each software the range of the newest
    /// requirement item at or below it, and every PostgreSQL extension a migration up to it
    /// creates, each with its source.
    pub fn requirements_for(&self, target: &Version) -> TargetRequirements {
        let items = self.requirement_items(target);
        let ranges = Software::ALL
            .into_iter()
            .filter_map(|software| {
                let (item, range) = items.iter().rev().find_map(|item| {
                    let range = item.requires.as_ref()?.get(software.key())?;
                    Some((*item, range))
                })?;
                Some(Requirement {
                    software,
                    range: range.clone(),
                    item: item.key(),
                    stated_for: item.patch.clone(),
                    source: item.source.clone(),
                })
            })
            .collect();
        let mut postgres_extensions: Vec<ExtensionRequirement> = Vec::new();
        for item in &items {
            let names = item.requires.iter().flat_map(|r| &r.postgres_extensions);
            for name in names {
                if !postgres_extensions.iter().any(|e| e.name == *name) {
                    postgres_extensions.push(ExtensionRequirement {
                        name: name.clone(),
                        item: item.key(),
                        stated_for: item.patch.clone(),
                        source: item.source.clone(),
                    });
                }
            }
        }
        TargetRequirements {
            ranges,
            postgres_extensions,
        }
    }

    /// Requirement items at or below `target`, by patch (catalogue order within one patch).
    fn requirement_items(&self, target: &Version) -> Vec<&Item> {
        let target = target.release();
        let mut items: Vec<&Item> = self
            .releases()
            .iter()
            .flat_map(|r| &r.items)
            .filter(|item| item.requires.is_some() && item.patch <= target)
            .collect();
        items.sort_by(|a, b| a.patch.cmp(&b.patch));
        items
    }
}
