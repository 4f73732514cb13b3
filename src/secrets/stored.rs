//! Secrets the OpenMetadata server keeps in its database: which secrets manager it uses,
//! where `fernet:` values (and `secret:` references to an external store) are stored, and
//! whether a key opens them. Nothing here returns, logs or stores a secret's plaintext, and
//! the encrypted values themselves stay inside this module (only their places leave it).

use serde::Serialize;

use super::fernet::{self, KeyRing, TokenError};
use crate::db::inspect::quote_ident;
use crate::db::read::{ReadQuery, texts};
use crate::db::{Cell, DbError, Engine};
use crate::secret::Secret;

/// The prefix of a reference to a secret kept by an external secrets manager.
pub const REFERENCE_PREFIX: &str = "secret:";

/// Where the server keeps secrets (`secretsManagerConfiguration.secretsManager`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Manager {
    /// In the database, Fernet-encrypted (`db`; `noop` before 1.3).
    Database,
    /// AWS Secrets Manager / SSM, Azure Key Vault, GCP, Kubernetes, …: the database holds
    /// `secret:` references.
    External(String),
}

impl Manager {
    pub fn from_setting(name: &str) -> Manager {
        match name.trim().trim_matches('"').to_ascii_lowercase().as_str() {
            "" | "db" | "noop" => Manager::Database,
            other => Manager::External(other.to_string()),
        }
    }
}

/// Tables whose entity JSON can hold secrets: every service (connections), users (bot JWTs),
/// ingestion pipelines (dbt and server connections) and event subscriptions (webhook secrets).
fn holds_secrets(table: &str) -> bool {
    let t = table.to_ascii_lowercase();
    t.ends_with("service_entity")
        || matches!(
            t.as_str(),
            "user_entity" | "ingestion_pipeline_entity" | "event_subscription_entity"
        )
}

/// How many rows of one table hold encrypted values or references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCount {
    pub table: String,
    pub fernet_rows: i64,
    pub reference_rows: i64,
}

/// One stored encrypted value: where it is, never what it is.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredValue {
    pub table: String,
    pub entity: String,
    /// The JSON path inside the entity (`connection.config.authType.password`).
    pub path: String,
    token: String,
}

impl std::fmt::Debug for StoredValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.table, self.entity, self.path)
    }
}

impl StoredValue {
    /// `dbservice_entity "mysql_prod" connection.config.authType.password`
    pub fn place(&self) -> String {
        format!("{} \"{}\" {}", self.table, self.entity, self.path)
    }
}

/// What the database holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredSecrets {
    /// Tables with at least one encrypted value or reference.
    pub tables: Vec<TableCount>,
    /// A few encrypted values, one table after another.
    pub samples: Vec<StoredValue>,
}

impl StoredSecrets {
    pub fn fernet_rows(&self) -> i64 {
        self.tables.iter().map(|t| t.fernet_rows).sum()
    }

    pub fn reference_rows(&self) -> i64 {
        self.tables.iter().map(|t| t.reference_rows).sum()
    }
}

fn json_text(engine: Engine) -> &'static str {
    match engine {
        Engine::Mysql => "json",
        Engine::Postgres => "json::text",
    }
}

/// Counts rows with `"fernet:` and `"secret:` values in the tables that can hold secrets, and
/// reads up to `sample_limit` encrypted values (taking one table's at a time, so the sample
/// spans services and bots).
pub async fn stored_secrets(
    q: &impl ReadQuery,
    sample_limit: usize,
) -> Result<StoredSecrets, DbError> {
    let all_tables = texts(
        &q.rows(match q.engine() {
            Engine::Mysql => {
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
            }
            Engine::Postgres => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \
                 current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            }
        })
        .await?,
    );
    let candidates: Vec<&String> = all_tables.iter().filter(|t| holds_secrets(t)).collect();
    if candidates.is_empty() {
        return Ok(StoredSecrets::default());
    }
    let tables = count_rows(q, &candidates).await?;
    let with_fernet: Vec<&TableCount> = tables.iter().filter(|t| t.fernet_rows > 0).collect();
    let samples = if sample_limit == 0 || with_fernet.is_empty() {
        Vec::new()
    } else {
        sample_values(q, &with_fernet, sample_limit).await?
    };
    Ok(StoredSecrets { tables, samples })
}

/// The `fernet:` and `secret:` rows of each table, in one round trip; tables with neither are
/// left out.
async fn count_rows(
    q: &impl ReadQuery,
    candidates: &[&String],
) -> Result<Vec<TableCount>, DbError> {
    let engine = q.engine();
    let json = json_text(engine);
    let count = |pattern: &str| match engine {
        Engine::Mysql => format!(
            "CAST(COALESCE(SUM(CASE WHEN {json} LIKE '%\"{pattern}%' THEN 1 ELSE 0 END), 0) AS SIGNED)"
        ),
        Engine::Postgres => {
            format!("(COUNT(*) FILTER (WHERE {json} LIKE '%\"{pattern}%'))::bigint")
        }
    };
    let fernet_count = count(fernet::PREFIX);
    let reference_count = count(REFERENCE_PREFIX);
    let sql = candidates
        .iter()
        .map(|t| {
            format!(
                "SELECT {}, {fernet_count}, {reference_count} FROM {}",
                crate::db::read::quote_literal(engine, t),
                quote_ident(engine, t)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    Ok(q.rows(&sql)
        .await?
        .iter()
        .map(|r| TableCount {
            table: r.first().and_then(Cell::as_text).unwrap_or_default(),
            fernet_rows: r.get(1).and_then(Cell::as_i64).unwrap_or(0),
            reference_rows: r.get(2).and_then(Cell::as_i64).unwrap_or(0),
        })
        .filter(|t| t.fernet_rows > 0 || t.reference_rows > 0)
        .collect())
}

/// Up to `limit` encrypted values, from a few rows of each table (one round trip), with the
/// entity and the JSON path each was found at.
async fn sample_values(
    q: &impl ReadQuery,
    with_fernet: &[&TableCount],
    limit: usize,
) -> Result<Vec<StoredValue>, DbError> {
    let engine = q.engine();
    let json = json_text(engine);
    let sql = with_fernet
        .iter()
        .map(|t| {
            format!(
                "(SELECT {}, {json} FROM {} WHERE {json} LIKE '%\"{}%' LIMIT 2)",
                crate::db::read::quote_literal(engine, &t.table),
                quote_ident(engine, &t.table),
                fernet::PREFIX
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let mut samples = Vec::new();
    for row in q.rows(&sql).await? {
        let (Some(table), Some(text)) = (
            row.first().and_then(Cell::as_text),
            row.get(1).and_then(Cell::as_text),
        ) else {
            continue;
        };
        let Ok(document) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let entity = document
            .get("fullyQualifiedName")
            .or_else(|| document.get("name"))
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string();
        let mut found = Vec::new();
        collect_encrypted(&document, String::new(), &mut found);
        for (path, token) in found {
            if samples.len() >= limit {
                break;
            }
            samples.push(StoredValue {
                table: table.clone(),
                entity: entity.clone(),
                path,
                token,
            });
        }
    }
    Ok(samples)
}

fn collect_encrypted(value: &serde_json::Value, path: String, out: &mut Vec<(String, String)>) {
    let child = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) if s.starts_with(fernet::PREFIX) => {
            out.push((path, s.clone()))
        }
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                collect_encrypted(v, child(key), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_encrypted(v, child(&i.to_string()), out);
            }
        }
        _ => {}
    }
}

/// A stored value that does not open, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub place: String,
    pub why: TokenError,
}

/// Tries `keys` on every sampled value: the places that did not open.
pub fn try_keys(keys: &KeyRing, samples: &[StoredValue]) -> Vec<Closed> {
    samples
        .iter()
        .filter_map(|s| {
            keys.opens(&s.token).err().map(|why| Closed {
                place: s.place(),
                why,
            })
        })
        .collect()
}

/// What a backup manifest records about secrets: never the key, never a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SecretFacts {
    /// The database holds Fernet-encrypted values: restoring it needs the same key.
    pub holds_fernet_secrets: bool,
    /// The server's key is the public default (`None`: the key is not known here).
    pub key_is_public_default: Option<bool>,
}

/// The facts for a backup manifest, read through the backup's own snapshot (or any reader).
pub async fn manifest_facts(
    q: &impl ReadQuery,
    key: Option<&Secret>,
) -> Result<SecretFacts, DbError> {
    let stored = stored_secrets(q, 0).await?;
    Ok(SecretFacts {
        holds_fernet_secrets: stored.fernet_rows() > 0,
        key_is_public_default: key
            .map(|k| KeyRing::parse(k.expose()).is_ok_and(|ring| ring.holds_default())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_values_are_found_with_their_paths() {
        let doc: serde_json::Value = serde_json::from_str(
            r#"{"name":"pg","connection":{"config":{"password":"fernet:abc","hosts":["a",{"token":"fernet:def"}],"user":"u"}}}"#,
        )
        .unwrap();
        let mut found = Vec::new();
        collect_encrypted(&doc, String::new(), &mut found);
        let paths: Vec<_> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "connection.config.hosts.1.token",
                "connection.config.password"
            ]
        );
    }

    #[test]
    fn managers_by_name() {
        assert_eq!(Manager::from_setting("db"), Manager::Database);
        assert_eq!(Manager::from_setting("noop"), Manager::Database);
        assert_eq!(
            Manager::from_setting("managed-aws"),
            Manager::External("managed-aws".into())
        );
        assert!(holds_secrets("dbservice_entity"));
        assert!(holds_secrets("user_entity"));
        assert!(!holds_secrets("table_entity"));
    }
}
