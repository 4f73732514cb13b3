//! The migration history the server keeps, and what is wrong with it.
//!
//! - `SERVER_CHANGE_LOG` (1.1+): one row per applied native migration directory, in
//!   `installed_rank` order; 2.x adds `status` (`STARTED`, `COMPLETED`, `FAILED`).
//! - `SERVER_MIGRATION_SQL_LOGS` (1.1+): one row per executed statement, with its version. The
//!   1.x runner records a version in `SERVER_CHANGE_LOG` only after all its steps ran, so
//!   statements of a version that has no change-log row are a migration that stopped half-way.
//! - Flyway's `DATABASE_CHANGE_LOG` (≤ 1.9; may be gone from 1.10): `success` false is a failed
//!   script, and Flyway refuses to migrate past it until `repair` removes it.
//!
//! (See the schema notes, §1, and the server's MigrationWorkflow.)

use serde::Serialize;

use super::inspect::quote_ident;
use super::read::{ReadQuery, column_names, find_tables};
use super::{Cell, DbError};
use crate::version::Version;

/// One applied (or attempted) native migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerLogRow {
    pub rank: i64,
    pub version: String,
    /// 2.x only.
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlywayRow {
    pub rank: i64,
    pub version: Option<String>,
    pub script: String,
    pub success: bool,
}

/// A version whose statements ran but that never recorded itself as done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unfinished {
    pub version: String,
    pub statements: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct History {
    /// `None` when the table does not exist.
    pub server_log: Option<Vec<ServerLogRow>>,
    pub flyway: Option<Vec<FlywayRow>>,
    pub unfinished: Vec<Unfinished>,
}

/// Something wrong in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// 2.x row with status FAILED or STARTED.
    NotCompleted { version: String, status: String },
    /// Flyway script recorded with success = false.
    FlywayFailed { version: String, script: String },
    /// Statements logged for a version without a change-log row.
    Unfinished { version: String, statements: i64 },
    /// Applied after a newer version.
    OutOfOrder { version: String, after: String },
}

impl Problem {
    pub fn is_failure(&self) -> bool {
        !matches!(self, Problem::OutOfOrder { .. })
    }
}

pub async fn history(q: &impl ReadQuery) -> Result<History, DbError> {
    let engine = q.engine();
    let tables = find_tables(
        q,
        &[
            "server_change_log",
            "server_migration_sql_logs",
            "database_change_log",
        ],
    )
    .await?;
    let named = |wanted: &str| tables.iter().find(|t| t.eq_ignore_ascii_case(wanted));
    let text = |row: &Vec<Cell>, i: usize| row.get(i).and_then(Cell::as_text);
    let mut history = History::default();

    if let Some(log) = named("server_change_log") {
        let columns = column_names(q, log).await?;
        let column = |wanted: &str| {
            columns
                .iter()
                .find(|c| c.eq_ignore_ascii_case(wanted))
                .map(|c| quote_ident(engine, c))
        };
        let status = column("status").unwrap_or_else(|| "NULL".into());
        let sql = format!(
            "SELECT installed_rank, version, {status} FROM {} ORDER BY installed_rank",
            quote_ident(engine, log)
        );
        history.server_log = Some(
            q.rows(&sql)
                .await?
                .iter()
                .map(|r| ServerLogRow {
                    rank: r.first().and_then(Cell::as_i64).unwrap_or(0),
                    version: text(r, 1).unwrap_or_default(),
                    status: text(r, 2),
                })
                .collect(),
        );
        if let Some(sql_logs) = named("server_migration_sql_logs") {
            let sql = format!(
                "SELECT s.version, COUNT(*) FROM {} s WHERE NOT EXISTS \
                 (SELECT 1 FROM {} c WHERE c.version = s.version) \
                 GROUP BY s.version ORDER BY s.version",
                quote_ident(engine, sql_logs),
                quote_ident(engine, log)
            );
            history.unfinished = q
                .rows(&sql)
                .await?
                .iter()
                .map(|r| Unfinished {
                    version: text(r, 0).unwrap_or_default(),
                    statements: r.get(1).and_then(Cell::as_i64).unwrap_or(0),
                })
                .collect();
        }
    }
    if let Some(flyway) = named("database_change_log") {
        let sql = format!(
            "SELECT installed_rank, version, script, success FROM {} ORDER BY installed_rank",
            quote_ident(engine, flyway)
        );
        history.flyway = Some(
            q.rows(&sql)
                .await?
                .iter()
                .map(|r| FlywayRow {
                    rank: r.first().and_then(Cell::as_i64).unwrap_or(0),
                    version: text(r, 1),
                    script: text(r, 2).unwrap_or_default(),
                    success: r.get(3).and_then(Cell::as_i64) != Some(0),
                })
                .collect(),
        );
    }
    Ok(history)
}

/// `1.2.0` → Some; Flyway imports (`0.0.N`), extension rows (`1.12.1-collate`) and anything
/// unparseable → None. `2.0.0-baseline` counts as 2.0.0.
fn release_version(raw: &str) -> Option<Version> {
    let raw = raw.trim();
    let base = match raw.split_once('-') {
        Some((base, "baseline")) => base,
        Some(_) => return None,
        None => raw,
    };
    let version: Version = base.parse().ok()?;
    (version.major() > 0).then_some(version)
}

impl History {
    /// Everything wrong, failures first.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for row in self.server_log.iter().flatten() {
            if let Some(status) = &row.status
                && !status.eq_ignore_ascii_case("COMPLETED")
            {
                problems.push(Problem::NotCompleted {
                    version: row.version.clone(),
                    status: status.clone(),
                });
            }
        }
        for row in self.flyway.iter().flatten() {
            if !row.success {
                problems.push(Problem::FlywayFailed {
                    version: row.version.clone().unwrap_or_else(|| "(none)".into()),
                    script: row.script.clone(),
                });
            }
        }
        for unfinished in &self.unfinished {
            problems.push(Problem::Unfinished {
                version: unfinished.version.clone(),
                statements: unfinished.statements,
            });
        }
        let mut newest: Option<(Version, String)> = None;
        for row in self.server_log.iter().flatten() {
            let Some(version) = release_version(&row.version) else {
                continue;
            };
            match &newest {
                Some((top, shown)) if version < *top => problems.push(Problem::OutOfOrder {
                    version: row.version.clone(),
                    after: shown.clone(),
                }),
                _ => newest = Some((version, row.version.clone())),
            }
        }
        let mut newest_script: Option<(u64, String)> = None;
        for row in self.flyway.iter().flatten() {
            let Some(number) = row
                .version
                .as_deref()
                .and_then(|v| v.trim().parse::<u64>().ok())
            else {
                continue;
            };
            match &newest_script {
                Some((top, shown)) if number < *top => problems.push(Problem::OutOfOrder {
                    version: format!("Flyway {}", row.version.as_deref().unwrap_or_default()),
                    after: format!("Flyway {shown}"),
                }),
                _ => newest_script = Some((number, row.version.clone().unwrap_or_default())),
            }
        }
        problems.sort_by_key(|p| !p.is_failure());
        problems
    }

    /// The newest OpenMetadata level among completed native migrations.
    pub fn schema_level(&self) -> Option<Version> {
        self.server_log
            .iter()
            .flatten()
            .filter(|r| {
                r.status
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case("COMPLETED"))
            })
            .filter_map(|r| release_version(&r.version))
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rank: i64, version: &str, status: Option<&str>) -> ServerLogRow {
        ServerLogRow {
            rank,
            version: version.into(),
            status: status.map(String::from),
        }
    }

    #[test]
    fn failed_started_and_out_of_order_rows_are_named() {
        let history = History {
            server_log: Some(vec![
                row(1, "1.1.0", None),
                row(2, "1.3.0", None),
                row(3, "1.2.0", None),
                row(4, "0.0.12", None),
                row(5, "1.12.1-collate", None),
                row(6, "1.10.0", None),
            ]),
            flyway: Some(vec![
                FlywayRow {
                    rank: 1,
                    version: Some("001".into()),
                    script: "v001__x.sql".into(),
                    success: true,
                },
                FlywayRow {
                    rank: 2,
                    version: Some("002".into()),
                    script: "v002__y.sql".into(),
                    success: false,
                },
            ]),
            unfinished: vec![Unfinished {
                version: "1.11.0".into(),
                statements: 7,
            }],
        };
        assert_eq!(
            history.problems(),
            vec![
                Problem::FlywayFailed {
                    version: "002".into(),
                    script: "v002__y.sql".into()
                },
                Problem::Unfinished {
                    version: "1.11.0".into(),
                    statements: 7
                },
                Problem::OutOfOrder {
                    version: "1.2.0".into(),
                    after: "1.3.0".into()
                },
            ]
        );
        assert_eq!(history.schema_level(), Some(Version::new(1, 10, 0)));
    }

    #[test]
    fn v2_status_rows_that_did_not_complete_fail_and_do_not_count_as_the_level() {
        let history = History {
            server_log: Some(vec![
                row(1, "2.0.0-baseline", Some("COMPLETED")),
                row(2, "2.1.0", Some("FAILED")),
            ]),
            ..Default::default()
        };
        assert_eq!(
            history.problems(),
            vec![Problem::NotCompleted {
                version: "2.1.0".into(),
                status: "FAILED".into()
            }]
        );
        assert_eq!(history.schema_level(), Some(Version::new(2, 0, 0)));
    }
}
