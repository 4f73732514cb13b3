//! What counts as a secret by its name (keys of configuration files, environment variables),
//! and the environment child processes start with: this process's, without any variable that
//! holds a secret. Every child (pg_dump, psql, mysqldump, mysql, the official `metadata` CLI,
//! the Python interpreters the client checks run) gets its environment from [`ScrubEnv`]; the
//! one secret a child needs is then passed to it explicitly (a 0600 file it is pointed at).

use std::ffi::OsString;

/// Does a key (or variable) name a secret? The last part of a dotted path is judged, without
/// case, `_` or `-`: `database.password`, `DB_USER_PASSWORD`, `clientSecret`, `jwtToken`,
/// `fernetKey`, `awsSecretAccessKey`, `awsAccessKeyId`, `credentials` do; `secretsManager`,
/// `tokenExpiry`, `keyId` do not.
pub fn is_secret_key(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    let normal: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const ENDINGS: [&str; 12] = [
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "credential",
        "credentials",
        "key",
        "apikey",
    ];
    // Wherever they stand in the name: `awsAccessKeyId`, `privateKeyId`, `dbPasswordFile`.
    const PARTS: [&str; 6] = [
        "password",
        "passwd",
        "accesskey",
        "privatekey",
        "secretkey",
        "apikey",
    ];
    // The shell's working directories are not passwords.
    if matches!(normal.as_str(), "pwd" | "oldpwd") {
        return false;
    }
    !normal.is_empty()
        && (ENDINGS.iter().any(|end| normal.ends_with(end))
            || PARTS.iter().any(|part| normal.contains(part)))
}

/// Variables the settings are read from that hold a secret or may embed one (JDBC parameters
/// can carry `password=`), and those the database clients would read a password from, whatever
/// [`is_secret_key`] says of their names.
/// `AZURE_STORAGE_CONNECTION_STRING` carries the storage account key (`AccountKey=…`) or a SAS
/// (`SharedAccessSignature=…`) under a name that says neither.
pub const SECRET_VARIABLES: [&str; 5] = [
    "DB_USER_PASSWORD",
    "DB_PARAMS",
    "PGPASSWORD",
    "MYSQL_PWD",
    "AZURE_STORAGE_CONNECTION_STRING",
];

/// A secret shorter than this is not looked for inside other variables' values: it would match
/// by chance (and a child without PATH or HOME fails).
const VALUE_MATCH_MIN: usize = 6;

/// The variables of this process a child must not inherit: those named as secrets, and those
/// whose value contains one of `known` (the database password, wherever else it was put).
pub fn secret_variables(known: &[&str]) -> Vec<OsString> {
    secret_variables_of(std::env::vars_os(), known)
}

fn secret_variables_of(
    vars: impl Iterator<Item = (OsString, OsString)>,
    known: &[&str],
) -> Vec<OsString> {
    vars.filter(|(name, value)| {
        let name = name.to_string_lossy();
        let value = value.to_string_lossy();
        SECRET_VARIABLES.contains(&name.as_ref())
            || is_secret_key(&name)
            || known
                .iter()
                .any(|secret| secret.len() >= VALUE_MATCH_MIN && value.contains(secret))
    })
    .map(|(name, _)| name)
    .collect()
}

/// Starts a child without the secrets of this process's environment.
pub trait ScrubEnv {
    /// Removes every variable [`secret_variables`] names from the child's environment. Call it
    /// before setting the variables the child needs.
    fn scrub_secrets(&mut self, known: &[&str]) -> &mut Self;
}

impl ScrubEnv for std::process::Command {
    fn scrub_secrets(&mut self, known: &[&str]) -> &mut Self {
        for name in secret_variables(known) {
            self.env_remove(name);
        }
        self
    }
}

impl ScrubEnv for tokio::process::Command {
    fn scrub_secrets(&mut self, known: &[&str]) -> &mut Self {
        for name in secret_variables(known) {
            self.env_remove(name);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_by_name_and_by_value() {
        let vars = [
            ("DB_USER_PASSWORD", "pw-1-long"),
            ("DB_PARAMS", "sslmode=require"),
            ("FERNET_KEY", "k"),
            ("ELASTICSEARCH_PASSWORD", "e"),
            ("MYSQL_PWD", "m"),
            ("CONN", "mysql://om:pw-1-long@db/om"),
            ("PATH", "/usr/bin"),
            ("PWD", "/home/om"),
            ("PGPASSFILE", "/home/om/.pgpass"),
            ("LANG", "C.UTF-8"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let mut removed: Vec<String> =
            secret_variables_of(vars.into_iter(), &["pw-1-long", "usr", ""])
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
        removed.sort();
        assert_eq!(
            removed,
            [
                "CONN",
                "DB_PARAMS",
                "DB_USER_PASSWORD",
                "ELASTICSEARCH_PASSWORD",
                "FERNET_KEY",
                "MYSQL_PWD"
            ]
        );
    }
}
