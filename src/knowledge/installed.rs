//! The version an upgrade starts from, as the database records it. A database whose
//! bookkeeping names no version is planned as "before every release", but is never shown as a
//! made-up version such as 0.0.0.

use std::fmt;

use crate::version::Version;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// The schema level of the migration history, or the version the operator gave.
    Exact(Version),
    /// No native migration is recorded: a Flyway-only database, OpenMetadata 1.0.x or older.
    Unrecorded,
}

impl Installed {
    /// A version below every release: a plan from it covers the whole catalogue.
    pub fn before_every_release() -> Version {
        Version::new(0, 0, 0)
    }

    /// Where the upgrade plan starts: every item above it is part of the upgrade. Only for
    /// planning; show the `Installed` itself to people.
    pub fn plan_from(&self) -> Version {
        match self {
            Installed::Exact(version) => version.clone(),
            Installed::Unrecorded => Installed::before_every_release(),
        }
    }
}

impl fmt::Display for Installed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Installed::Exact(version) => write!(f, "{version}"),
            Installed::Unrecorded => f.write_str("1.0.x or older"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unrecorded_version_plans_from_the_start_but_reads_as_1_0_or_older() {
        assert_eq!(Installed::Unrecorded.plan_from(), Version::new(0, 0, 0));
        assert_eq!(Installed::Unrecorded.to_string(), "1.0.x or older");
        let exact = Installed::Exact(Version::new(1, 1, 5));
        assert_eq!(exact.plan_from(), Version::new(1, 1, 5));
        assert_eq!(exact.to_string(), "1.1.5");
    }
}
