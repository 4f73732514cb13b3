//! OpenMetadata version numbers.
//!
//! The server speaks `1.2`, `1.2.0` or `1.2.0-SNAPSHOT`; the Python client on PyPI adds a fourth
//! part (`1.2.0.1` is a client build for server `1.2.0`). Everything is reduced to a
//! [`semver::Version`] whose `major.minor.patch` is the server release; a fourth part becomes
//! build metadata so it never changes ordering between server releases.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A server release of OpenMetadata (or the server release a client build belongs to).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(semver::Version);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{input}' is not a version: expected something like 1.2, 1.2.0, 1.2.0-SNAPSHOT or 1.2.0.1"
)]
pub struct VersionError {
    pub input: String,
}

impl Version {
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version(semver::Version::new(major, minor, patch))
    }

    pub fn major(&self) -> u64 {
        self.0.major
    }

    pub fn minor(&self) -> u64 {
        self.0.minor
    }

    pub fn patch(&self) -> u64 {
        self.0.patch
    }

    /// The fourth, PyPI-only part (`1` in `1.2.0.1`), when there is one.
    pub fn client_build(&self) -> Option<u64> {
        self.0.build.as_str().parse().ok()
    }

    /// `major.minor.patch` only: the server release this version belongs to.
    pub fn release(&self) -> Version {
        Version::new(self.0.major, self.0.minor, self.0.patch)
    }

    /// `major.minor` as written in the release catalogue (`1.2`).
    pub fn minor_line(&self) -> String {
        format!("{}.{}", self.0.major, self.0.minor)
    }

    pub fn is_prerelease(&self) -> bool {
        !self.0.pre.is_empty()
    }

    pub fn as_semver(&self) -> &semver::Version {
        &self.0
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || VersionError {
            input: input.to_string(),
        };
        let trimmed = input.trim().trim_start_matches(['v', 'V']);
        let (numbers, pre) = match trimmed.split_once('-') {
            Some((numbers, pre)) => (numbers, Some(pre)),
            None => (trimmed, None),
        };
        let parts: Vec<u64> = numbers
            .split('.')
            .map(|part| {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    Err(err())
                } else {
                    part.parse::<u64>().map_err(|_| err())
                }
            })
            .collect::<Result<_, _>>()?;
        let mut version = match parts.as_slice() {
            [major, minor] => semver::Version::new(*major, *minor, 0),
            [major, minor, patch] => semver::Version::new(*major, *minor, *patch),
            [major, minor, patch, build] => {
                let mut v = semver::Version::new(*major, *minor, *patch);
                v.build = semver::BuildMetadata::new(&build.to_string()).map_err(|_| err())?;
                v
            }
            _ => return Err(err()),
        };
        if let Some(pre) = pre {
            if pre.is_empty() {
                return Err(err());
            }
            version.pre = semver::Prerelease::new(pre).map_err(|_| err())?;
        }
        Ok(Version(version))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // semver ignores build metadata in `cmp_precedence`; the fourth part still orders
        // client builds of one release (1.2.0.1 < 1.2.0.2).
        self.0
            .cmp_precedence(&other.0)
            .then_with(|| self.client_build().cmp(&other.client_build()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.0;
        write!(f, "{}.{}.{}", v.major, v.minor, v.patch)?;
        if let Some(build) = self.client_build() {
            write!(f, ".{build}")?;
        }
        if !v.pre.is_empty() {
            write!(f, "-{}", v.pre)?;
        }
        Ok(())
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn parses_server_forms() {
        assert_eq!(v("1.2"), Version::new(1, 2, 0));
        assert_eq!(v("1.2.0"), Version::new(1, 2, 0));
        assert_eq!(v(" v1.10.3 ").to_string(), "1.10.3");
        let snapshot = v("1.2.0-SNAPSHOT");
        assert!(snapshot.is_prerelease());
        assert_eq!(snapshot.to_string(), "1.2.0-SNAPSHOT");
        assert_eq!(snapshot.release(), Version::new(1, 2, 0));
    }

    #[test]
    fn four_part_client_versions_map_to_their_server_release() {
        let client = v("1.2.0.1");
        assert_eq!(client.release(), Version::new(1, 2, 0));
        assert_eq!(client.client_build(), Some(1));
        assert_eq!(client.to_string(), "1.2.0.1");
        assert!(v("1.2.0.1") < v("1.2.0.2"));
        assert!(v("1.2.0.9") < v("1.2.1"));
    }

    #[test]
    fn orders_numerically_not_as_strings() {
        assert!(v("1.9.14") < v("1.10.0"));
        assert!(v("1.2.0-SNAPSHOT") < v("1.2.0"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "banana",
            "1",
            "1.2.3.4.5",
            "1..2",
            "1.2.x",
            "-1.2",
            "1.2.0-",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} should not parse");
        }
    }
}
