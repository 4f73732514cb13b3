//! The settings as command-line flags, for advice to paste: "Next: om-upgrade check …",
//! "Take one now: om-upgrade backup …". The flags reach the same database the same way, so the
//! pasted command does not fall back to the defaults; the password is never among them (the
//! command asks for it, or takes DB_USER_PASSWORD, as the one that gave the advice did).

use super::{DbSettings, TlsMode};
use crate::engine::Engine;
use crate::shell::quote;

/// `--engine postgres -H db --port 5432 -u om -d openmetadata_db`, plus `--schema`, `--ssl-mode`
/// and `--ssl-ca` when they are not the defaults; each value quoted for a POSIX shell.
pub fn connection_flags(settings: &DbSettings) -> String {
    let mut flags = vec![
        format!("--engine {}", settings.engine.value),
        format!("-H {}", quote(&settings.host.value)),
        format!("--port {}", settings.port.value),
        format!("-u {}", quote(&settings.user.value)),
        format!("-d {}", quote(&settings.database.value)),
    ];
    if settings.engine.value == Engine::Postgres && settings.schema.value != "public" {
        flags.push(format!("--schema {}", quote(&settings.schema.value)));
    }
    let tls = &settings.tls.value;
    if tls.mode != TlsMode::Prefer {
        flags.push(format!("--ssl-mode {}", tls.mode));
    }
    if let Some(ca) = &tls.ca_file {
        flags.push(format!("--ssl-ca {}", quote(&ca.display().to_string())));
    }
    flags.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DbInputs, Env, resolve};

    fn flags_for(inputs: DbInputs, env: &[(&str, &str)]) -> String {
        let settings = resolve(&inputs, &Env::from_pairs(env.iter().copied()))
            .unwrap()
            .settings;
        connection_flags(&settings)
    }

    #[test]
    fn names_the_database_whatever_the_settings_came_from() {
        let from_env = flags_for(
            DbInputs::default(),
            &[
                ("DB_SCHEME", "postgresql"),
                ("DB_HOST", "db.internal"),
                ("DB_USER", "om"),
                ("OM_DATABASE", "om_prod"),
                ("DB_USER_PASSWORD", "s3cret-pw"),
            ],
        );
        assert_eq!(
            from_env,
            "--engine postgres -H db.internal --port 5432 -u om -d om_prod"
        );
        let from_url = flags_for(
            DbInputs {
                db_url: Some("mysql://om:s3cret-pw@10.0.0.5:3307/om_prod".into()),
                ..Default::default()
            },
            &[],
        );
        assert_eq!(
            from_url,
            "--engine mysql -H 10.0.0.5 --port 3307 -u om -d om_prod"
        );
        assert!(!from_url.contains("s3cret-pw"), "{from_url}");
    }

    #[test]
    fn schema_and_tls_when_they_are_not_the_defaults_and_values_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("db ca.pem");
        std::fs::write(&ca, crate::config::tls_ca::TEST_CA).unwrap();
        let flags = flags_for(
            DbInputs {
                engine: Some(Engine::Postgres),
                host: Some("db.internal".into()),
                user: Some("om user".into()),
                database: Some("om$db".into()),
                schema: Some("om_schema".into()),
                ssl_ca: Some(ca.clone()),
                password: Some("s3cret-pw".into()),
                ..Default::default()
            },
            &[],
        );
        assert_eq!(
            flags,
            format!(
                "--engine postgres -H db.internal --port 5432 -u \"om user\" -d 'om$db' \
                 --schema om_schema --ssl-mode verify-ca --ssl-ca \"{}\"",
                ca.display()
            )
        );
        assert!(!flags.contains("s3cret-pw"), "{flags}");
        // MySQL has no schema.
        let mysql = flags_for(
            DbInputs {
                engine: Some(Engine::Mysql),
                schema: Some("om_schema".into()),
                ..Default::default()
            },
            &[],
        );
        assert!(!mysql.contains("--schema"), "{mysql}");
    }
}
