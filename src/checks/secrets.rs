//! `secrets.fernet`: the secrets manager in use, and whether the server's Fernet key opens the
//! secrets stored in the database. A few stored values are test-decrypted; their plaintext
//! never leaves `secrets::fernet`, and only their places are shown.

use std::sync::Arc;

use super::db::CONNECT;
use super::{Check, CheckId, Context, Outcome};
use crate::config::installation::SecretsSettings;
use crate::config::naming::Setting;
use crate::humanize::plural;
use crate::secrets::fernet::{self, KeyRing};
use crate::secrets::{self, Manager, StoredSecrets};

/// The step these checks belong to (the registry, [`super::all`], reads it).
pub const STEP: super::Step = super::Step::Installation;

pub const FERNET: CheckId = CheckId::new("secrets.fernet");

/// Stored values test-decrypted, at most.
const SAMPLES: usize = 5;

pub fn checks(_ctx: &Context) -> Vec<Check> {
    vec![
        Check::new(
            FERNET,
            "Fernet key against the stored secrets",
            |ctx| async move { fernet_check(&ctx).await },
        )
        .after(CONNECT),
    ]
}

/// How to move off the public default key, from what the server does: `FERNET_KEY` may list
/// several keys, the first encrypts and all decrypt (Fernet.java). No release documents a
/// command that re-encrypts what is stored.
pub const ROTATE_ADVICE: &str = "Make a new key (`openssl rand -base64 32`) and set \
FERNET_KEY=\"NEW_KEY,OLD_KEY\" on the server (the first key encrypts, every key in the list \
decrypts): secrets saved from then on use the new key. Stored ones keep the old key until each \
service connection and bot is saved again; keep the old key in the list until `om-upgrade \
check` with FERNET_KEY=NEW_KEY alone passes. Do this after the upgrade, not during it, and keep \
the keys out of backups.";

fn counts(stored: &StoredSecrets) -> String {
    stored
        .tables
        .iter()
        .filter(|t| t.fernet_rows > 0)
        .map(|t| {
            format!(
                "{} {}",
                t.table,
                plural(t.fernet_rows as usize, "row", "rows")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn fernet_check(ctx: &Arc<Context>) -> Outcome {
    let snapshot = match ctx.snapshot().await {
        Ok(s) => s,
        Err(e) => return Outcome::skip(format!("no database connection: {e}")),
    };
    let stored = match secrets::stored_secrets(&snapshot, SAMPLES).await {
        Ok(s) => s,
        Err(e) => {
            return Outcome::fail(format!("could not look for stored secrets: {e}"))
                .fix(e.remediation());
        }
    };
    let settings = &ctx.installation.secrets;
    let encrypted = stored.fernet_rows();
    let external_note = match Manager::from_setting(&settings.manager.value) {
        Manager::External(name) => Some(format!(
            "secrets manager '{name}': the database holds references to secrets kept there, not \
             the secrets; the upgraded server needs the same access to '{name}'"
        )),
        Manager::Database => None,
    };
    let context = |outcome| with_context(outcome, settings, &stored);

    let Some(key) = &settings.fernet_key else {
        return context(without_key(ctx, encrypted, external_note.as_deref()));
    };
    if key.value.expose().trim() == fernet::NO_ENCRYPTION {
        return context(encryption_off(encrypted));
    }
    let ring = match KeyRing::parse(key.value.expose()) {
        Ok(ring) => ring,
        Err(error) => {
            return context(
                Outcome::fail(format!(
                    "the Fernet key from {} is not usable: {error}",
                    key.source
                ))
                .fix("The server cannot start with it either: set FERNET_KEY to the key the secrets were written with (32 bytes, base64)."),
            );
        }
    };
    let tried = stored.samples.len();
    let outcome = judge_samples(&ring, &stored, external_note.as_deref());
    let mut outcome = context(outcome);
    if let (Some(note), true) = (&external_note, encrypted > 0 || tried > 0) {
        outcome = outcome.line(note.clone());
    }
    outcome
}

/// The details every outcome of the check carries: the manager, where the key came from, and
/// how many rows hold encrypted values and secret references.
fn with_context(outcome: Outcome, settings: &SecretsSettings, stored: &StoredSecrets) -> Outcome {
    let mut outcome = outcome.detail(
        "secrets manager",
        format!(
            "{} (from {})",
            settings.manager.value, settings.manager.source
        ),
    );
    if let Some(key) = &settings.fernet_key {
        outcome = outcome.detail("key from", key.source.to_string());
    }
    if stored.fernet_rows() > 0 {
        outcome = outcome.detail("encrypted values", counts(stored));
    }
    let references = stored.reference_rows();
    if references > 0 {
        outcome = outcome.detail(
            "secret: references",
            plural(references as usize, "row", "rows"),
        );
    }
    outcome
}

/// No key was given: fine unless something is encrypted.
fn without_key(ctx: &Context, encrypted: i64, external_note: Option<&str>) -> Outcome {
    if encrypted > 0 {
        Outcome::warn(format!(
            "{} hold Fernet-encrypted secrets, but the server's key is not known here",
            plural(encrypted as usize, "row", "rows")
        ))
        .fix(format!(
            "Give the server's key as FERNET_KEY (its environment) or in its openmetadata.yaml \
             (fernetConfiguration.fernetKey; {}), so om-upgrade can check that it opens them; \
             without the same key after the upgrade every connection breaks.",
            ctx.naming.name(Setting::ServerConfig)
        ))
    } else {
        match external_note {
            Some(note) => Outcome::pass(note),
            None => Outcome::pass("no Fernet-encrypted secrets stored; no key was given"),
        }
    }
}

/// `FERNET_KEY=no_encryption`.
fn encryption_off(encrypted: i64) -> Outcome {
    if encrypted > 0 {
        Outcome::fail(format!(
            "FERNET_KEY is {} (encryption off), but {} hold encrypted secrets the server \
             cannot read",
            fernet::NO_ENCRYPTION,
            plural(encrypted as usize, "row", "rows")
        ))
        .fix("Set FERNET_KEY to the key these secrets were written with.")
    } else {
        Outcome::warn(format!(
            "FERNET_KEY is {}: new secrets are stored unencrypted in the database and in \
             every backup",
            fernet::NO_ENCRYPTION
        ))
        .fix("Set a key (`openssl rand -base64 32`) and save the service connections again.")
    }
}

/// The key against the sampled values: a wrong key fails, values that are not tokens warn,
/// the public default key warns.
fn judge_samples(ring: &KeyRing, stored: &StoredSecrets, external_note: Option<&str>) -> Outcome {
    let encrypted = stored.fernet_rows();
    let closed = secrets::try_keys(ring, &stored.samples);
    let tried = stored.samples.len();
    let (wrong_key, malformed): (Vec<_>, Vec<_>) = closed
        .iter()
        .partition(|c| c.why == fernet::TokenError::WrongKey);
    if !wrong_key.is_empty() {
        let mut outcome = Outcome::fail(format!(
            "this key is not the one these secrets were written with: {} of {} sampled {} do \
             not open",
            wrong_key.len(),
            tried,
            if tried == 1 { "secret" } else { "secrets" }
        ));
        for c in &closed {
            outcome = outcome.detail(c.place.clone(), c.why.to_string());
        }
        outcome.fix(
            "Find the FERNET_KEY the server had when these were saved (the old deployment's \
             environment, .env, Helm values or Kubernetes secret) and use it; a list \
             \"KEY_A,KEY_B\" opens secrets of both. Without it those connections must be \
             entered again.",
        )
    } else if !malformed.is_empty() {
        let mut outcome = Outcome::warn(format!(
            "{} of {} sampled values marked fernet: are not Fernet tokens: no key opens them, \
             the server cannot either",
            malformed.len(),
            tried
        ));
        for c in &malformed {
            outcome = outcome.detail(c.place.clone(), c.why.to_string());
        }
        outcome.fix(
            "Enter those credentials again (edit and save the service or bot) after the upgrade.",
        )
    } else if ring.holds_default() {
        Outcome::warn(format!(
            "the key is the public default shipped with OpenMetadata{}: anyone holding a backup \
             can decrypt the stored credentials",
            if encrypted > 0 {
                format!(" and opens the {tried} sampled secrets")
            } else {
                String::new()
            }
        ))
        .fix(ROTATE_ADVICE)
    } else if tried > 0 {
        Outcome::pass(format!(
            "the key opens all {} sampled ({} hold encrypted values)",
            plural(tried, "secret", "secrets"),
            plural(encrypted as usize, "row", "rows")
        ))
    } else {
        Outcome::pass(external_note.map(str::to_string).unwrap_or_else(|| {
            "no Fernet-encrypted secrets stored; the key is not the public default".into()
        }))
    }
}
