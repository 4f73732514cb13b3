//! Which database engine an installation runs on. A leaf shared by the settings (`config`), the
//! database layer (`db`), the release knowledge and the backups.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The database engine family. MariaDB counts as MySQL (same protocol and SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// MySQL 8 (and MariaDB, for rehearsals).
    #[value(alias = "mariadb")]
    Mysql,
    /// PostgreSQL.
    #[value(alias = "postgresql", alias = "pg")]
    Postgres,
}

impl Engine {
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Mysql => 3306,
            Engine::Postgres => 5432,
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Mysql => "mysql",
            Engine::Postgres => "postgres",
        })
    }
}
