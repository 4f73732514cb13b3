//! Does a file made by another program hold the whole database? The tables it names and the
//! rows it holds, compared with the live database counted just before and just after the
//! program ran. `metadata backup` reads each table at its own moment (no snapshot), so a row
//! count is only held against a table whose count did not change while it ran.

use std::collections::BTreeMap;

use crate::db::inspect::{self, quote_ident};
use crate::db::{Db, DbError};

use super::manifest::TableEntry;

/// Exact row counts of every base table, by name.
pub type Counts = BTreeMap<String, u64>;

/// Counts the rows of every base table of the database `db` points at.
pub async fn count_rows(db: &Db) -> Result<Counts, DbError> {
    let mut counts = Counts::new();
    for table in inspect::table_names(db).await? {
        let sql = format!("SELECT COUNT(*) FROM {}", quote_ident(db.engine(), &table));
        let rows = db.fetch_i64(&sql, &[]).await?;
        counts.insert(table, rows.max(0) as u64);
    }
    Ok(counts)
}

/// What a file lacks compared with the live database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Live tables the file does not name.
    pub missing: Vec<String>,
    /// Tables whose count did not change while the program ran, and the file's differs:
    /// (table, rows in the file, rows in the database).
    pub miscounted: Vec<(String, u64, u64)>,
    /// Tables whose count changed while the program ran (not held against the file).
    pub changed: Vec<String>,
    /// Tables the file was compared on.
    pub expected: usize,
}

impl Coverage {
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.miscounted.is_empty()
    }
}

/// Compares the tables of a file with the live counts taken `before` and `after` the program
/// ran. `left_out` names tables the program leaves out on purpose (compared without case);
/// `compare_rows` is false when only the table list can be compared.
pub fn compare(
    file: &[TableEntry],
    before: &Counts,
    after: &Counts,
    left_out: &[&str],
    compare_rows: bool,
) -> Coverage {
    let in_file: BTreeMap<&str, u64> = file.iter().map(|t| (t.name.as_str(), t.rows)).collect();
    let mut coverage = Coverage::default();
    for (table, &rows_before) in before {
        if left_out
            .iter()
            .any(|skipped| skipped.eq_ignore_ascii_case(table))
        {
            continue;
        }
        // Created while the program ran: it may or may not have seen it.
        let Some(&rows_after) = after.get(table) else {
            continue;
        };
        coverage.expected += 1;
        let Some(&rows_in_file) = in_file.get(table.as_str()) else {
            coverage.missing.push(table.clone());
            continue;
        };
        if !compare_rows {
            continue;
        }
        if rows_before != rows_after {
            coverage.changed.push(table.clone());
        } else if rows_in_file != rows_before {
            coverage
                .miscounted
                .push((table.clone(), rows_in_file, rows_before));
        }
    }
    coverage
}

/// "a, b, c and 4 more".
pub fn list(names: &[String], shown: usize) -> String {
    let mut text = names
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > shown {
        text.push_str(&format!(" and {} more", names.len() - shown));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> Counts {
        pairs.iter().map(|(n, r)| (n.to_string(), *r)).collect()
    }

    fn entry(name: &str, rows: u64) -> TableEntry {
        TableEntry {
            name: name.into(),
            rows,
            checksum: None,
        }
    }

    #[test]
    fn missing_tables_and_wrong_counts_are_found_moving_tables_are_not_held_against_it() {
        let before = counts(&[
            ("a", 3),
            ("b", 5),
            ("busy", 10),
            ("c", 0),
            ("SERVER_CHANGE_LOG", 9),
        ]);
        let after = counts(&[
            ("a", 3),
            ("b", 5),
            ("busy", 12),
            ("c", 0),
            ("SERVER_CHANGE_LOG", 9),
            ("new", 1),
        ]);
        let file = [entry("a", 3), entry("b", 4), entry("busy", 11)];
        let coverage = compare(&file, &before, &after, &["server_change_log"], true);
        assert_eq!(coverage.missing, ["c"]);
        assert_eq!(coverage.miscounted, [("b".to_string(), 4, 5)]);
        assert_eq!(coverage.changed, ["busy"]);
        assert_eq!(coverage.expected, 4);
        assert!(!coverage.is_complete());
        let names_only = compare(&file, &before, &after, &["server_change_log"], false);
        assert_eq!(names_only.missing, ["c"]);
        assert!(names_only.miscounted.is_empty());
    }

    #[test]
    fn long_lists_are_shortened() {
        let names: Vec<String> = (1..=7).map(|i| format!("t{i}")).collect();
        assert_eq!(list(&names, 3), "t1, t2, t3 and 4 more");
        assert_eq!(list(&names[..2], 3), "t1, t2");
    }
}
