//! Per-table content checksums that do not depend on row order.
//!
//! Each row's serialized bytes (a COPY text line on Postgres, a `(v1,v2,…)` tuple on MySQL) is
//! hashed with XXH3-128 and the hashes are added modulo 2^128: the sum of a multiset, so a dump
//! of the restored database matches the original whatever order the server returns rows in,
//! and a duplicated or missing row changes it. Not a security measure (the file's SHA-256 is).

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableChecksum {
    pub rows: u64,
    sum: u128,
}

impl TableChecksum {
    pub fn add_row(&mut self, row: &[u8]) {
        self.rows += 1;
        self.sum = self.sum.wrapping_add(xxhash_rust::xxh3::xxh3_128(row));
    }

    /// Combines the checksum of another part of the same table.
    pub fn merge(&mut self, other: &TableChecksum) {
        self.rows += other.rows;
        self.sum = self.sum.wrapping_add(other.sum);
    }

    pub fn digest(&self) -> Digest {
        Digest(self.sum)
    }
}

/// The hex form written to manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest(u128);

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        u128::from_str_radix(&text, 16).map(Digest).map_err(|_| {
            serde::de::Error::custom(format!("'{text}' is not a 128-bit hex checksum"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_but_content_and_multiplicity_do() {
        let rows: [&[u8]; 3] = [b"a\t1\n", b"b\t2\n", b"c\t3\n"];
        let mut forward = TableChecksum::default();
        rows.iter().for_each(|r| forward.add_row(r));
        let mut backward = TableChecksum::default();
        rows.iter().rev().for_each(|r| backward.add_row(r));
        assert_eq!(forward, backward);

        let mut changed = TableChecksum::default();
        [b"a\t1\n" as &[u8], b"b\t2\n", b"c\t4\n"]
            .iter()
            .for_each(|r| changed.add_row(r));
        assert_ne!(forward.digest(), changed.digest());

        let mut doubled = forward;
        doubled.add_row(b"a\t1\n");
        assert_ne!(forward.digest(), doubled.digest());
        assert_eq!(doubled.rows, 4);
    }

    #[test]
    fn digests_round_trip_through_json() {
        let mut c = TableChecksum::default();
        c.add_row(b"x");
        let json = serde_json::to_string(&c.digest()).unwrap();
        let back: Digest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c.digest());
    }
}
