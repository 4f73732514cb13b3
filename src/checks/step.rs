//! The steps of the upgrade's prerequisites a check belongs to: the wizard's step that shows it
//! and the report's checklist entry that counts it. The registry ([`super::all`]) declares each
//! check's step, so a new check has exactly one place to go.

use serde::{Deserialize, Serialize};

/// OpenMetadata's upgrade prerequisites, in the order the report's checklist has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Database,
    Backup,
    ReleaseReview,
    Clients,
    /// The rest of the installation: the search engine, the running server and the secrets key.
    Installation,
}

impl Step {
    /// In checklist order. Installation comes last so that the numbers of the first four stay
    /// what reports written before it say.
    pub const ALL: [Step; 5] = [
        Step::Database,
        Step::Backup,
        Step::ReleaseReview,
        Step::Clients,
        Step::Installation,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Step::Database => "Database connectivity",
            Step::Backup => "Backup",
            Step::ReleaseReview => "Release review",
            Step::Clients => "Client alignment",
            Step::Installation => "Search engine, server and secrets",
        }
    }

    /// Its number in the checklist, from 1.
    pub fn number(self) -> u8 {
        Step::ALL
            .iter()
            .position(|s| *s == self)
            .map_or(0, |i| i as u8 + 1)
    }
}
