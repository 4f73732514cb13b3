//! Secrets the OpenMetadata server keeps in its database: which secrets manager it uses,
//! where `fernet:` values (and `secret:` references to an external store) are stored, and
//! whether a key opens them. Nothing here returns, logs or stores a secret's plaintext, and
//! the encrypted values themselves stay inside this module (only their places leave it).

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFacts {
    /// The database holds Fernet-encrypted values: restoring it needs the same key.
    pub holds_fernet_secrets: bool,
    /// The server's key is the public default (`None`: the key is not known here).
    pub key_is_public_default: Option<bool>,
    /// The fingerprint ([`KeyRing::fingerprints`]) of the key the sampled stored values were
    /// written with, when the key given opens them: a restore compares the key in use with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
}

/// Stored values sampled to learn which key wrote them (values no key opens, left by a bad
/// import or an old key, do not stop the search).
const FACT_SAMPLES: usize = 20;

/// The facts for a backup manifest, read through the backup's own snapshot (or any reader).
pub async fn manifest_facts(
    q: &impl ReadQuery,
    key: Option<&Secret>,
) -> Result<SecretFacts, DbError> {
    let stored = stored_secrets(q, FACT_SAMPLES).await?;
    let ring = key.and_then(|k| KeyRing::parse(k.expose()).ok());
    Ok(SecretFacts {
        holds_fernet_secrets: stored.fernet_rows() > 0,
        key_is_public_default: key.map(|_| ring.as_ref().is_some_and(KeyRing::holds_default)),
        key_fingerprint: ring.and_then(|ring| {
            stored
                .samples
                .iter()
                .find_map(|s| ring.signer_fingerprint(&s.token))
        }),
    })
}

impl SecretFacts {
    /// One line for `backups` and the report: "Fernet-encrypted secrets, written with the key
    /// of fingerprint 0123456789abcdef (the public default key)".
    pub fn describe(&self) -> String {
        if !self.holds_fernet_secrets {
            return "no Fernet-encrypted secrets".into();
        }
        let mut text = String::from("Fernet-encrypted secrets");
        match &self.key_fingerprint {
            Some(print) => text.push_str(&format!(", written with the key of fingerprint {print}")),
            None => text.push_str(", key not known when it was taken"),
        }
        if self.key_is_public_default == Some(true) {
            text.push_str(" (the public default key: anyone with this backup can read them)");
        }
        text
    }

    /// What to warn about before restoring a backup with these facts while the server uses
    /// `key` (`FERNET_KEY`): none when the backup holds no encrypted secrets or the key is the
    /// one they were written with.
    pub fn restore_warning(&self, key: Option<&Secret>) -> Option<String> {
        if !self.holds_fernet_secrets {
            return None;
        }
        let Some(key) = key else {
            return Some(
                "the backup holds Fernet-encrypted secrets (service connections, bot tokens) \
                 and no FERNET_KEY is set here: the server that runs on the restored database \
                 needs the key they were written with"
                    .into(),
            );
        };
        let ring = match KeyRing::parse(key.expose()) {
            Ok(ring) => ring,
            Err(why) => {
                return Some(format!(
                    "the backup holds Fernet-encrypted secrets, and FERNET_KEY cannot be used \
                     ({why}): the server needs the key they were written with"
                ));
            }
        };
        let written_with = self.key_fingerprint.as_ref()?;
        if ring.fingerprints().contains(written_with) {
            return None;
        }
        Some(format!(
            "the key in use (fingerprint {}) is not the one the backup's secrets were written \
             with (fingerprint {written_with}): after the restore the server cannot decrypt its \
             service connections and bot tokens; set FERNET_KEY to that key (or list it after \
             the new one to rotate)",
            ring.fingerprints().join(", ")
        ))
    }
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
    fn a_restore_warns_when_the_key_in_use_is_not_the_one_that_wrote_the_secrets() {
        let key_a = Secret::new(fernet::DEFAULT_KEY);
        let key_b = Secret::new("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        let ring_a = KeyRing::parse(key_a.expose()).unwrap();
        let token = ring_a.encrypt(b"p@ss");
        let print = ring_a.signer_fingerprint(&token).expect("key A signed it");
        assert_eq!(print.len(), 16);
        assert!(!print.contains(fernet::DEFAULT_KEY));
        assert_eq!(ring_a.fingerprints(), vec![print.clone()]);
        let facts = SecretFacts {
            holds_fernet_secrets: true,
            key_is_public_default: Some(true),
            key_fingerprint: Some(print.clone()),
        };
        assert_eq!(facts.restore_warning(Some(&key_a)), None);
        // Key A among others (a rotation in progress) still opens them.
        let both = Secret::new(format!("{},{}", key_b.expose(), key_a.expose()));
        assert_eq!(facts.restore_warning(Some(&both)), None);
        let wrong = facts
            .restore_warning(Some(&key_b))
            .expect("another key warns");
        assert!(
            wrong.contains(&print) && wrong.contains("not the one"),
            "{wrong}"
        );
        assert!(!wrong.contains(key_b.expose()), "{wrong}");
        assert!(
            facts
                .restore_warning(None)
                .is_some_and(|w| w.contains("no FERNET_KEY"))
        );
        let none = SecretFacts {
            holds_fernet_secrets: false,
            ..facts.clone()
        };
        assert_eq!(none.restore_warning(Some(&key_b)), None);
        assert!(facts.describe().contains(&print));
        assert!(facts.describe().contains("public default"));
        assert_eq!(none.describe(), "no Fernet-encrypted secrets");
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
