//! Keeps secrets out of reports. A [`Redactor`] knows the secret values of this run (the
//! database password, secret-named environment variables, values under secret-looking keys of
//! the scanned openmetadata.yaml and workflow YAMLs) and replaces them wherever they appear; it
//! also masks what looks like a secret whatever its origin: JWTs (`eyJ…` in three parts),
//! `fernet:` values, passwords in urls, `Bearer` tokens, and `key: value` / `key=value` pairs
//! whose key names a secret.

use std::path::Path;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::config::installation::{Configured, InstallSettings};
use crate::config::substitute::substitute;
use crate::config::{DbSettings, Env};
use crate::yaml::{self, Value};

/// What a secret is replaced with.
pub const MASK: &str = "[redacted]";

/// Known secrets at least this long are masked wherever they occur; shorter ones only where
/// they stand alone (so a short password does not eat parts of ordinary words).
const SUBSTRING_MIN: usize = 8;

/// Values shorter than this, from config files or the environment, are not taken as secrets:
/// they cannot be told from ordinary words and numbers. (The database password is always.)
const LEARNED_MIN: usize = 4;

/// How deep a folder of workflow YAMLs is searched, as the scanner does.
const MAX_DEPTH: usize = 8;

pub use crate::secrets::is_secret_key;

static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*").expect("valid regex")
});
static FERNET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"fernet:[A-Za-z0-9_=+/-]+").expect("valid regex"));
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]*):([^\s/@]+)@").expect("valid regex")
});
static BEARER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}").expect("valid regex")
});
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)(?P<sep>["']?\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s,;&}\]]+)"#,
    )
    .expect("valid regex")
});
/// A `${VAR}` or `${VAR:-default}` placeholder of openmetadata.yaml.
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}").expect("valid regex")
});
/// `key: value` on a line, for YAML that does not parse.
static YAML_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:-\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*:\s*(.+?)\s*$"#).expect("valid regex")
});

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Known secret values, longest first.
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Learns one secret value.
    pub fn secret(&mut self, value: &str) {
        let value = value.trim();
        if value.is_empty() || value == MASK || self.secrets.iter().any(|s| s == value) {
            return;
        }
        self.secrets.push(value.to_string());
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// Learns a value found in a file or the environment, unless it is too short or plainly
    /// not a secret (a boolean, a small number, an unresolved placeholder).
    fn learned(&mut self, value: &str) {
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        let lower = value.to_ascii_lowercase();
        let plain_word = matches!(lower.as_str(), "true" | "false" | "null" | "none" | "~");
        let small_number = value.len() < 6 && value.chars().all(|c| c.is_ascii_digit());
        if value.chars().count() < LEARNED_MIN || plain_word || small_number {
            return;
        }
        if let Some(caps) = PLACEHOLDER.captures(value)
            && caps.get(0).is_some_and(|m| m.as_str() == value)
        {
            if let Some(default) = caps.get(2) {
                self.learned(default.as_str());
            }
            return;
        }
        self.secret(value);
        // A multi-line secret (a PEM key) may be quoted a line at a time.
        if value.contains('\n') {
            for line in value.lines() {
                if line.trim().chars().count() >= SUBSTRING_MIN {
                    self.secret(line);
                }
            }
        }
    }

    /// The database password.
    pub fn with_settings(mut self, settings: &DbSettings) -> Redactor {
        if let Some(password) = &settings.password {
            self.secret(password.value.expose());
        }
        self
    }

    /// The secrets of the rest of the installation, wherever they were read from
    /// (openmetadata.yaml, the environment, a compose file, Helm values, a Kubernetes Secret):
    /// the search engine's password and the Fernet keys, each key of a rotation list too.
    pub fn with_installation(mut self, installation: &InstallSettings) -> Redactor {
        if let Configured::Yes(search) = &installation.search
            && let Some(password) = &search.password
        {
            self.secret(password.value.expose());
        }
        if let Some(keys) = &installation.secrets.fernet_key {
            let keys = keys.value.expose();
            self.secret(keys);
            for key in keys.split(',') {
                self.secret(key);
            }
        }
        self
    }

    /// Values of environment variables whose names look secret (`DB_USER_PASSWORD`,
    /// `FERNET_KEY`, `…_TOKEN`).
    pub fn with_env(mut self, env: &Env) -> Redactor {
        for (name, value) in env.iter() {
            if is_secret_key(name) {
                self.learned(value);
            }
        }
        self
    }

    /// Values under secret-looking keys of a YAML file, as written and after the server's
    /// `${VAR:-default}` substitution with `env`. An unreadable file teaches nothing (the
    /// scanners report it); one that does not parse is read line by line.
    pub fn with_yaml_file(mut self, path: &Path, env: &Env) -> Redactor {
        if let Ok(text) = yaml::read_file(path) {
            self.learn_yaml(&text, env);
        }
        self
    }

    /// As [`Redactor::with_yaml_file`] for every `*.yaml`/`*.yml` under a folder (or one file).
    pub fn with_yaml_files_in(mut self, path: &Path, env: &Env) -> Redactor {
        let mut files = Vec::new();
        yaml_files(path, 0, &mut files);
        for file in files {
            self = self.with_yaml_file(&file, env);
        }
        self
    }

    fn learn_yaml(&mut self, text: &str, env: &Env) {
        // Text that grows too large with its `${VAR}`s replaced is learnt from as written.
        let substituted = substitute(text, env)
            .map(|(text, _)| text)
            .unwrap_or_default();
        let mut parsed = false;
        for doc in [text, substituted.as_str()] {
            if let Ok(value) = yaml::parse(doc) {
                parsed = true;
                self.learn_value(&value, false);
            }
        }
        if !parsed {
            for line in text.lines().chain(substituted.lines()) {
                if let Some(caps) = YAML_LINE.captures(line)
                    && is_secret_key(&caps[1])
                {
                    let value = caps[2].split(" #").next().unwrap_or_default();
                    self.learned(value);
                }
            }
        }
    }

    /// Walks a YAML tree; every scalar under a secret-looking key is learned.
    fn learn_value(&mut self, value: &Value, under_secret: bool) {
        match value {
            Value::Mapping(entries) => {
                for (key, child) in entries {
                    self.learn_value(child, under_secret || is_secret_key(key));
                }
            }
            Value::Sequence(items) => {
                for child in items {
                    self.learn_value(child, under_secret);
                }
            }
            Value::String(text) | Value::Number(text) if under_secret => self.learned(text),
            _ => {}
        }
    }

    /// `text` with every known secret and everything that looks like one masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            out = replace_secret(&out, secret);
        }
        let out = JWT.replace_all(&out, MASK);
        let out = FERNET.replace_all(&out, format!("fernet:{MASK}").as_str());
        let out = URL_PASSWORD.replace_all(&out, format!("$1:{MASK}@").as_str());
        let out = BEARER.replace_all(&out, format!("$1 {MASK}").as_str());
        KEY_VALUE
            .replace_all(&out, |caps: &Captures| {
                let value = &caps["value"];
                let secret = value_in_prose(value);
                // A value already masked (its `]` ends the match early) is left alone.
                if is_secret_key(&caps["key"])
                    && !secret.is_empty()
                    && !value.starts_with(&MASK[..MASK.len() - 1])
                {
                    let after = &value[secret.len()..];
                    format!("{}{}{MASK}{after}", &caps["key"], &caps["sep"])
                } else {
                    caps[0].to_string()
                }
            })
            .into_owned()
    }
}

/// The part of an unquoted `key: value` value that is the value, when it is written in prose:
/// without what closes the sentence or a bracket opened before the key (`(using password:
/// YES)`, `` `password: x`. ``). A closer the value itself opened stays (`f(x)`), and so do
/// `!` and `?`, which end many passwords.
fn value_in_prose(value: &str) -> &str {
    let unmatched = |text: &str, open: char, close: char| {
        text.matches(close).count() > text.matches(open).count()
    };
    let unpaired = |text: &str, quote: char| text.matches(quote).count() % 2 == 1;
    let mut value = value;
    while let Some(last) = value.chars().next_back() {
        let closes_prose = match last {
            ')' => unmatched(value, '(', ')'),
            '>' => unmatched(value, '<', '>'),
            '"' | '\'' | '`' => unpaired(value, last),
            '.' | ':' => true,
            _ => false,
        };
        if !closes_prose {
            break;
        }
        value = &value[..value.len() - last.len_utf8()];
    }
    value
}

/// A value whose free text is passed through a [`Redactor`]. Structural fields (ids, names,
/// versions, links) are left alone: they never come from a secret, and a short password that
/// is also a word would corrupt them. Implementations destructure their type whole, so that a
/// field added later has to be judged one or the other.
pub trait Scrub {
    fn scrub(&mut self, redactor: &Redactor);
}

impl Scrub for String {
    fn scrub(&mut self, redactor: &Redactor) {
        *self = redactor.redact(self);
    }
}

/// A check's outcome kept outside a report (the wizard's session): its free text scrubbed, a
/// labelled secret (`password: …`) masked whole.
impl Scrub for crate::checks::runner::CheckResult {
    fn scrub(&mut self, r: &Redactor) {
        let crate::checks::Outcome {
            status: _,
            summary,
            details,
            remediation,
        } = &mut self.outcome;
        summary.scrub(r);
        remediation.scrub(r);
        for detail in details {
            if detail.label.as_deref().is_some_and(is_secret_key) {
                detail.text = MASK.to_string();
            } else {
                detail.text.scrub(r);
            }
        }
    }
}

impl<T: Scrub> Scrub for Option<T> {
    fn scrub(&mut self, redactor: &Redactor) {
        if let Some(value) = self {
            value.scrub(redactor);
        }
    }
}

impl<T: Scrub> Scrub for Vec<T> {
    fn scrub(&mut self, redactor: &Redactor) {
        for value in self {
            value.scrub(redactor);
        }
    }
}

/// Replaces `secret` in `text`: everywhere when it is long, only where it stands alone when
/// it is short.
fn replace_secret(text: &str, secret: &str) -> String {
    if secret.chars().count() >= SUBSTRING_MIN {
        return text.replace(secret, MASK);
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in text.match_indices(secret) {
        if at < rest {
            continue;
        }
        let before = text[..at].chars().next_back();
        let after = text[at + secret.len()..].chars().next();
        if word(before) || word(after) {
            continue;
        }
        out.push_str(&text[rest..at]);
        out.push_str(MASK);
        rest = at + secret.len();
    }
    out.push_str(&text[rest..]);
    out
}

fn yaml_files(path: &Path, depth: usize, files: &mut Vec<std::path::PathBuf>) {
    if !path.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let child = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if hidden {
            continue;
        }
        if kind.is_dir() {
            if depth < MAX_DEPTH {
                yaml_files(&child, depth + 1, files);
            }
        } else if child
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
        {
            files.push(child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_key_names() {
        for name in [
            "password",
            "database.password",
            "DB_USER_PASSWORD",
            "clientSecret",
            "jwtToken",
            "fernetKey",
            "awsSecretAccessKey",
            "credentials",
            "api_key",
            "FERNET_KEY",
            "awsAccessKeyId",
        ] {
            assert!(is_secret_key(name), "{name}");
        }
        for name in [
            "secretsManager",
            "tokenExpiry",
            "keyId",
            "username",
            "hostPort",
            "PWD",
            "OLDPWD",
            "",
        ] {
            assert!(!is_secret_key(name), "{name}");
        }
    }

    #[test]
    fn patterns_are_masked_whatever_their_origin() {
        let r = Redactor::new();
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJl";
        let text = format!(
            "token {jwt}; fernet:gAAAAABk123; mysql://om:hunter22@db:3306/x; \
             Authorization: Bearer abcdefgh12345678; password=swordfish9, apiKey: \"k-123456\"; \
             user: om"
        );
        let out = r.redact(&text);
        for secret in [
            jwt,
            "gAAAAABk123",
            "hunter22",
            "abcdefgh12345678",
            "swordfish9",
            "k-123456",
        ] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("user: om"), "{out}");
        assert!(out.contains("mysql://om:[redacted]@db:3306/x"), "{out}");
    }

    #[test]
    fn a_secret_value_in_prose_ends_before_closing_brackets_and_quotes() {
        let r = Redactor::new();
        for (text, expected) in [
            (
                "Access denied for user 'om'@'10.0.0.5' (using password: YES)",
                "Access denied for user 'om'@'10.0.0.5' (using password: [redacted])",
            ),
            ("[token=abc123]", "[token=[redacted]]"),
            ("<password=hunter22>", "<password=[redacted]>"),
            ("set `password: hunter22`.", "set `password: [redacted]`."),
            ("'password=hunter22'", "'password=[redacted]'"),
            ("(\"password: hunter22\")", "(\"password: [redacted]\")"),
            ("password: hunter22.", "password: [redacted]."),
            // Inside the value they are part of it, and the value is masked whole.
            ("password: f(x)y", "password: [redacted]"),
            ("(password: f(x))", "(password: [redacted])"),
            ("password: it's", "password: [redacted]"),
            ("password: a.b", "password: [redacted]"),
            ("password: Passw0rd!", "password: [redacted]"),
        ] {
            assert_eq!(r.redact(text), expected, "{text}");
        }
    }

    #[test]
    fn known_secrets_long_anywhere_short_only_alone() {
        let mut r = Redactor::new();
        r.secret("correct-horse-battery");
        r.secret("pw1");
        let out = r.redact("xcorrect-horse-batteryx pw1 pw12 apw1 (pw1)");
        assert_eq!(out, "x[redacted]x [redacted] pw12 apw1 ([redacted])");
    }

    #[test]
    fn yaml_values_under_secret_keys_are_learned_raw_and_substituted() {
        let yaml = "database:\n  user: openmetadata_user\n  password: ${DB_USER_PASSWORD:-openmetadata_password}\n\
                    fernetConfiguration:\n  fernetKey: ${FERNET_KEY:-jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA=}\n\
                    secretsManagerConfiguration:\n  secretsManager: noop\n\
                    source:\n  serviceConnection:\n    config:\n      credentials:\n        gcpConfig:\n          privateKeyId: abcdef0123\n          clientEmail: bot@example.iam\n";
        let env = Env::from_pairs([("FERNET_KEY", "env-fernet-key-value")]);
        let mut r = Redactor::new();
        r.learn_yaml(yaml, &env);
        let out = r.redact(
            "openmetadata_password env-fernet-key-value jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA= \
             abcdef0123 bot@example.iam noop openmetadata_user",
        );
        assert_eq!(
            out,
            "[redacted] [redacted] [redacted] [redacted] [redacted] noop openmetadata_user"
        );
    }

    #[test]
    fn yaml_that_does_not_parse_is_read_line_by_line() {
        let mut r = Redactor::new();
        r.learn_yaml(
            "a: [unclosed\npassword: \"tiger-tiger\" # old\n",
            &Env::default(),
        );
        assert_eq!(r.redact("tiger-tiger"), MASK);
    }

    #[test]
    fn short_and_plain_values_are_not_learned_from_files() {
        let mut r = Redactor::new();
        r.learn_yaml("password: abc\ntoken: true\nkey: 1234\n", &Env::default());
        assert_eq!(r.redact("abc true 1234"), "abc true 1234");
    }
}
