//! Secrets: which names hold one and what child processes may inherit ([`env`]), and the
//! secrets the OpenMetadata server keeps in its database ([`stored`], with the [`fernet`]
//! cipher that opens them). Nothing here returns, logs or stores a secret's plaintext.

pub mod env;
pub mod fernet;
pub mod stored;

pub use env::{ScrubEnv, is_secret_key};
pub use stored::{Manager, SecretFacts, StoredSecrets, manifest_facts, stored_secrets, try_keys};
