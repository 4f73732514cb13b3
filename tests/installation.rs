//! The installation checks: migration rights, charset, migration history and the Fernet key on
//! the real PostgreSQL and MariaDB (each test builds its bad case), and the search engine and
//! server checks against a local HTTP(S) stand-in answering with the documented replies.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use om_upgrade::checks::runner::{self, CheckResult};
use om_upgrade::checks::{self, Check, CheckId, Context, Status};
use om_upgrade::config::installation::{
    Configured, Distribution, InstallSettings, SearchSettings, ServerSettings,
};
use om_upgrade::config::{Secret, Source, Sourced};
use om_upgrade::db::Engine;
use om_upgrade::http::Timeouts;
use om_upgrade::secrets::fernet::{DEFAULT_KEY, KeyRing};
use om_upgrade::version::Version;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

// ---------------------------------------------------------------------------------------------
// Running a few checks through the library

/// Runs `db.connect` (their dependency) and the checks `wanted` against `url`.
async fn run_checks(
    url: &str,
    installation: InstallSettings,
    target: Option<Version>,
    wanted: &[CheckId],
) -> Vec<CheckResult> {
    let ctx = Context::new(settings_for(url), target, std::env::temp_dir())
        .with_installation(installation);
    let all: Vec<Check> = checks::all(&ctx);
    let chosen = all
        .into_iter()
        .filter(|c| c.id == checks::db::CONNECT || wanted.contains(&c.id))
        .collect();
    let ctx = Arc::new(ctx);
    let results = runner::run(chosen, ctx.clone(), None).await;
    ctx.close().await;
    results
}

fn result<'a>(results: &'a [CheckResult], id: &CheckId) -> &'a CheckResult {
    results
        .iter()
        .find(|r| r.id == *id)
        .unwrap_or_else(|| panic!("no {id} in {results:#?}"))
}

/// Every text of an outcome, for searching.
fn all_text(r: &CheckResult) -> String {
    let mut text = r.outcome.summary.clone();
    for d in &r.outcome.details {
        text.push('\n');
        if let Some(label) = &d.label {
            text.push_str(label);
            text.push_str(": ");
        }
        text.push_str(&d.text);
    }
    if let Some(fix) = &r.outcome.remediation {
        text.push('\n');
        text.push_str(fix);
    }
    text
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos % 100_000
    )
}

/// A PostgreSQL role for one test, dropped with the guard (declare it before the TestDb whose
/// objects it owns: locals drop in reverse order, so the database goes first).
struct PgRole {
    name: String,
}

impl PgRole {
    async fn create(options: &str) -> PgRole {
        let name = unique("omu_r");
        let admin = admin(Engine::Postgres).await;
        admin
            .execute_script(&format!("CREATE ROLE {name} {options}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create role {name}: {e}"));
        admin.close().await;
        PgRole { name }
    }
}

impl Drop for PgRole {
    fn drop(&mut self) {
        let name = self.name.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let admin = admin(Engine::Postgres).await;
                if let Err(e) = admin
                    .execute_script(&format!("DROP ROLE IF EXISTS {name}"))
                    .await
                {
                    eprintln!("warning: could not drop role {name}: {e}");
                }
                admin.close().await;
            })
        })
        .join()
        .ok();
    }
}

// ---------------------------------------------------------------------------------------------
// db.migration_rights

#[tokio::test]
async fn postgres_tables_owned_by_another_role_are_named_with_the_statements() {
    let migrator = PgRole::create("LOGIN").await;
    let owner = PgRole::create("NOLOGIN").await;
    let db = TestDb::new(Engine::Postgres).await;
    let admin = db.connect().await;
    admin
        .execute_script(&format!(
            "CREATE TABLE mine (id int); ALTER TABLE mine OWNER TO {m}; \
             CREATE TABLE theirs (id int); ALTER TABLE theirs OWNER TO {o}; \
             CREATE TABLE postgres_owned (id int);",
            m = migrator.name,
            o = owner.name
        ))
        .await
        .unwrap();
    admin.close().await;
    let url = format!("{}/{}", server_url(Engine::Postgres), db.name).replacen(
        "postgres@",
        &format!("{}@", migrator.name),
        1,
    );

    let results = run_checks(
        &url,
        InstallSettings::default(),
        None,
        &[checks::migration::RIGHTS],
    )
    .await;
    let r = result(&results, &checks::migration::RIGHTS);
    assert_eq!(r.outcome.status, Status::Fail, "{r:#?}");
    assert!(
        r.outcome.summary.contains("cannot ALTER 2 of 3 tables")
            && r.outcome
                .summary
                .contains("may not CREATE in schema 'public'"),
        "{}",
        r.outcome.summary
    );
    let named: Vec<_> = r
        .outcome
        .details
        .iter()
        .filter_map(|d| d.label.clone())
        .collect();
    assert_eq!(named, vec!["postgres_owned", "theirs"]);
    let fix = r.outcome.remediation.clone().unwrap();
    let m = &migrator.name;
    assert!(
        fix.contains(&format!(
            "ALTER TABLE \"public\".\"theirs\" OWNER TO \"{m}\";"
        )) && fix.contains(&format!(
            "ALTER TABLE \"public\".\"postgres_owned\" OWNER TO \"{m}\";"
        )) && fix.contains(&format!("GRANT \"{}\" TO \"{m}\";", owner.name))
            && !fix.contains("GRANT \"postgres\"")
            && fix.contains(&format!("GRANT CREATE ON SCHEMA \"public\" TO \"{m}\";")),
        "{fix}"
    );

    // Membership in the owning role is enough, as PostgreSQL allows.
    let admin = db.connect().await;
    admin
        .execute_script(&format!(
            "GRANT {} TO {m}; GRANT CREATE ON SCHEMA public TO {m}; \
             ALTER TABLE postgres_owned OWNER TO {m}",
            owner.name
        ))
        .await
        .unwrap();
    admin.close().await;
    let results = run_checks(
        &url,
        InstallSettings::default(),
        None,
        &[checks::migration::RIGHTS],
    )
    .await;
    let r = result(&results, &checks::migration::RIGHTS);
    assert_eq!(r.outcome.status, Status::Pass, "{r:#?}");
    assert!(r.outcome.summary.contains("all 3 tables"), "{r:#?}");
}

#[tokio::test]
async fn mysql_user_without_alter_is_given_the_grant() {
    let db = TestDb::new(Engine::Mysql).await;
    let user = MysqlUser::create(
        &db,
        "noalter",
        "pw-noalter",
        "SELECT, INSERT, UPDATE, DELETE, CREATE, INDEX, DROP, REFERENCES",
    )
    .await;
    let url = format!(
        "mysql://{}:pw-noalter@{}/{}",
        user.name,
        server_url(Engine::Mysql).trim_start_matches("mysql://root@"),
        db.name
    );
    let results = run_checks(
        &url,
        InstallSettings::default(),
        None,
        &[checks::migration::RIGHTS],
    )
    .await;
    let r = result(&results, &checks::migration::RIGHTS);
    assert_eq!(r.outcome.status, Status::Fail, "{r:#?}");
    assert!(
        r.outcome
            .summary
            .starts_with(&format!("'{}'@'%' lacks ALTER on `{}`", user.name, db.name)),
        "{}",
        r.outcome.summary
    );
    assert_eq!(
        r.outcome.remediation.as_deref(),
        Some(
            format!(
                "As an administrator:\n  GRANT ALTER ON `{}`.* TO '{}'@'%';",
                db.name, user.name
            )
            .as_str()
        )
    );

    // A default role holding ALTER counts.
    let role = format!("{}_ddl", db.name);
    let admin = admin(Engine::Mysql).await;
    admin
        .execute_script(&format!(
            "CREATE ROLE {role}; GRANT ALTER ON {db}.* TO {role}; GRANT {role} TO '{u}'@'%'; \
             SET DEFAULT ROLE {role} FOR '{u}'@'%'",
            db = db.name,
            u = user.name
        ))
        .await
        .unwrap();
    let results = run_checks(
        &url,
        InstallSettings::default(),
        None,
        &[checks::migration::RIGHTS],
    )
    .await;
    admin
        .execute_script(&format!("DROP ROLE IF EXISTS {role}"))
        .await
        .unwrap();
    admin.close().await;
    let r = result(&results, &checks::migration::RIGHTS);
    assert_eq!(r.outcome.status, Status::Pass, "{r:#?}");
    assert!(
        all_text(r).contains(&format!("roles counted: {role}")),
        "{r:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// db.charset

#[tokio::test]
async fn latin1_tables_and_utf8mb3_columns_are_named_with_convert_statements() {
    let db = TestDb::new(Engine::Mysql).await;
    let conn = db.connect().await;
    conn.execute_script(
        "CREATE TABLE legacy_latin (id INT, name VARCHAR(20)) DEFAULT CHARSET=latin1; \
         CREATE TABLE mixed (id INT, a VARCHAR(10) CHARACTER SET utf8mb3, b TEXT) DEFAULT CHARSET=utf8mb4; \
         CREATE TABLE fine (id INT, c TEXT, fqnHash VARCHAR(256) COLLATE ascii_bin) DEFAULT CHARSET=utf8mb4",
    )
    .await
    .unwrap();
    conn.close().await;
    let results = run_checks(
        &db.url,
        InstallSettings::default(),
        None,
        &[checks::migration::CHARSET],
    )
    .await;
    let r = result(&results, &checks::migration::CHARSET);
    assert_eq!(r.outcome.status, Status::Fail, "{r:#?}");
    assert_eq!(
        r.outcome.summary,
        "1 table and 2 text columns are not utf8mb4 (latin1, utf8mb3): newer migrations fail on them"
    );
    let labels: Vec<_> = r
        .outcome
        .details
        .iter()
        .filter_map(|d| d.label.clone())
        .collect();
    assert_eq!(
        labels,
        vec![
            "table legacy_latin",
            "column legacy_latin.name",
            "column mixed.a"
        ]
    );
    let fix = r.outcome.remediation.clone().unwrap();
    assert!(
        fix.contains("ALTER TABLE `legacy_latin` CONVERT TO CHARACTER SET utf8mb4;")
            && fix.contains("ALTER TABLE `mixed` CONVERT TO CHARACTER SET utf8mb4;")
            && !fix.contains("`fine`"),
        "{fix}"
    );
}

#[tokio::test]
async fn a_postgres_database_in_utf8_passes_the_charset_check() {
    let db = TestDb::new(Engine::Postgres).await;
    let results = run_checks(
        &db.url,
        InstallSettings::default(),
        None,
        &[checks::migration::CHARSET],
    )
    .await;
    let r = result(&results, &checks::migration::CHARSET);
    assert_eq!(r.outcome.status, Status::Pass, "{r:#?}");
    assert!(r.outcome.summary.contains("encoded UTF8"), "{r:#?}");
}

// ---------------------------------------------------------------------------------------------
// db.migration_state

#[tokio::test]
async fn failed_flyway_rows_and_half_run_versions_are_named() {
    let db = TestDb::new(Engine::Mysql).await;
    let conn = db.connect().await;
    conn.execute_script(
        "CREATE TABLE DATABASE_CHANGE_LOG (installed_rank INT PRIMARY KEY, version VARCHAR(50), \
           description VARCHAR(200), type VARCHAR(20), script VARCHAR(1000), checksum INT, \
           installed_by VARCHAR(100), installed_on TIMESTAMP DEFAULT CURRENT_TIMESTAMP, \
           execution_time INT, success TINYINT(1)); \
         INSERT INTO DATABASE_CHANGE_LOG (installed_rank, version, script, success) VALUES \
           (1, '001', 'v001__create_db_connection_info.sql', 1), \
           (2, '002', 'v002__create_db_connection_info.sql', 0); \
         CREATE TABLE SERVER_CHANGE_LOG (installed_rank SERIAL, version VARCHAR(256) PRIMARY KEY, \
           migrationFileName VARCHAR(256) NOT NULL, checksum VARCHAR(256) NOT NULL, \
           installed_on TIMESTAMP DEFAULT CURRENT_TIMESTAMP); \
         INSERT INTO SERVER_CHANGE_LOG (version, migrationFileName, checksum) VALUES \
           ('1.1.0', 'bootstrap/sql/migrations/native/1.1.0', 'a'), \
           ('1.1.5', 'bootstrap/sql/migrations/native/1.1.5', 'b'), \
           ('1.1.1', 'bootstrap/sql/migrations/native/1.1.1', 'c'); \
         CREATE TABLE SERVER_MIGRATION_SQL_LOGS (version VARCHAR(256) NOT NULL, \
           sqlStatement VARCHAR(10000) NOT NULL, checksum VARCHAR(256) PRIMARY KEY, \
           executedAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP); \
         INSERT INTO SERVER_MIGRATION_SQL_LOGS (version, sqlStatement, checksum) VALUES \
           ('1.1.0', 'CREATE TABLE x', 's1'), ('1.2.0', 'ALTER TABLE a', 's2'), \
           ('1.2.0', 'ALTER TABLE b', 's3'), ('1.2.0', 'UPDATE c', 's4')",
    )
    .await
    .unwrap();
    conn.close().await;
    let results = run_checks(
        &db.url,
        InstallSettings::default(),
        Some(Version::new(1, 3, 0)),
        &[checks::migration::STATE],
    )
    .await;
    let r = result(&results, &checks::migration::STATE);
    assert_eq!(r.outcome.status, Status::Fail, "{r:#?}");
    assert_eq!(
        r.outcome.summary,
        "2 failed or unfinished entries in the migration history (schema 1.1.5)"
    );
    let details: Vec<_> = r
        .outcome
        .details
        .iter()
        .filter_map(|d| Some(format!("{}: {}", d.label.clone()?, d.text)))
        .collect();
    assert_eq!(
        details,
        vec![
            "Flyway 002: v002__create_db_connection_info.sql failed (success = false)",
            "1.2.0: 3 statements ran, but the version was never recorded as done",
            "1.1.1: applied after 1.1.5",
        ]
    );
    let text = all_text(r);
    assert!(
        text.contains("repair")
            && text.contains(
                "1.3.0 will run the migrations after 1.1.5 up to 1.3.0: releases 1.1.6–1.1.7, 1.2.0–1.2.5, 1.3.0"
            ),
        "{text}"
    );
}

#[tokio::test]
async fn a_failed_2x_row_fails_and_a_schema_newer_than_the_target_fails() {
    let db = TestDb::new(Engine::Postgres).await;
    let conn = db.connect().await;
    conn.execute_script(
        "CREATE TABLE server_change_log (installed_rank SERIAL, version VARCHAR(256) PRIMARY KEY, \
           migrationFileName VARCHAR(256) NOT NULL, checksum VARCHAR(256) NOT NULL, \
           installed_on TIMESTAMP DEFAULT now(), migrationType VARCHAR(20) NOT NULL DEFAULT 'NATIVE', \
           status VARCHAR(20) NOT NULL DEFAULT 'COMPLETED'); \
         INSERT INTO server_change_log (version, migrationFileName, checksum, migrationType) \
           VALUES ('2.0.0-baseline', 'baseline', 'x', 'BASELINE'); \
         INSERT INTO server_change_log (version, migrationFileName, checksum, status) \
           VALUES ('2.1.0', 'bootstrap/sql/migrations/native/2.1.0', 'y', 'FAILED')",
    )
    .await
    .unwrap();
    conn.close().await;
    let results = run_checks(
        &db.url,
        InstallSettings::default(),
        None,
        &[checks::migration::STATE],
    )
    .await;
    let r = result(&results, &checks::migration::STATE);
    assert_eq!(r.outcome.status, Status::Fail, "{r:#?}");
    assert!(all_text(r).contains("2.1.0: status FAILED"), "{r:#?}");

    let conn = db.connect().await;
    conn.execute_script("DELETE FROM server_change_log WHERE status = 'FAILED'")
        .await
        .unwrap();
    conn.close().await;
    let results = run_checks(
        &db.url,
        InstallSettings::default(),
        Some(Version::new(1, 13, 0)),
        &[checks::migration::STATE],
    )
    .await;
    let r = result(&results, &checks::migration::STATE);
    assert_eq!(r.outcome.status, Status::Fail, "{r:#?}");
    assert!(
        r.outcome
            .summary
            .contains("schema 2.0.0, newer than the target 1.13.0"),
        "{r:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// secrets.fernet

fn key_b64(byte: u8) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

fn with_key(key: Option<&str>) -> InstallSettings {
    let mut settings = InstallSettings::default();
    settings.secrets.fernet_key =
        key.map(|k| Sourced::new(Secret::new(k), Source::Env("FERNET_KEY")));
    settings
}

/// A service and a bot whose secrets are encrypted with `key`; returns the plaintexts.
async fn store_secrets(db: &TestDb, key: &str) -> Vec<String> {
    let ring = KeyRing::parse(key).unwrap();
    let password = format!("plain-{}-pw", unique("s"));
    let token = format!("plain-{}-jwt", unique("t"));
    let service = serde_json::json!({
        "name": "mysql_prod",
        "connection": {"config": {"type": "Mysql", "username": "etl",
            "authType": {"password": ring.encrypt(password.as_bytes())}}}
    });
    let bot = serde_json::json!({
        "name": "ingestion-bot",
        "authenticationMechanism": {"authType": "JWT",
            "config": {"JWTToken": ring.encrypt(token.as_bytes())}}
    });
    let json_type = match db.engine {
        Engine::Mysql => "JSON",
        Engine::Postgres => "JSONB",
    };
    let quote = |v: &serde_json::Value| v.to_string().replace('\'', "''");
    let conn = db.connect().await;
    conn.execute_script(&format!(
        "CREATE TABLE dbservice_entity (id VARCHAR(36), json {json_type}); \
         CREATE TABLE user_entity (id VARCHAR(36), json {json_type}); \
         CREATE TABLE table_entity (id VARCHAR(36), json {json_type}); \
         INSERT INTO dbservice_entity VALUES ('1', '{}'); \
         INSERT INTO user_entity VALUES ('2', '{}'); \
         INSERT INTO user_entity VALUES ('3', '{{\"name\": \"alice\"}}')",
        quote(&service),
        quote(&bot)
    ))
    .await
    .unwrap();
    conn.close().await;
    vec![password, token]
}

#[tokio::test]
async fn secrets_written_with_key_a_do_not_open_with_key_b_and_plaintext_stays_hidden() {
    for engine in ENGINES {
        let db = TestDb::new(engine).await;
        let plaintexts = store_secrets(&db, &key_b64(0xa)).await;
        let run = |key: Option<String>| {
            let url = db.url.clone();
            async move {
                let results = run_checks(
                    &url,
                    with_key(key.as_deref()),
                    None,
                    &[checks::secrets::FERNET],
                )
                .await;
                result(&results, &checks::secrets::FERNET).clone()
            }
        };

        let wrong = run(Some(key_b64(0xb))).await;
        assert_eq!(wrong.outcome.status, Status::Fail, "{engine}: {wrong:#?}");
        assert_eq!(
            wrong.outcome.summary,
            "this key is not the one these secrets were written with: 2 of 2 sampled secrets do not open"
        );
        let text = all_text(&wrong);
        assert!(
            text.contains(
                "dbservice_entity \"mysql_prod\" connection.config.authType.password: none of the keys signed it"
            ) && text.contains(
                "user_entity \"ingestion-bot\" authenticationMechanism.config.JWTToken"
            ) && text.contains("dbservice_entity 1 row, user_entity 1 row"),
            "{text}"
        );

        let right = run(Some(format!("{}, {}", key_b64(0xb), key_b64(0xa)))).await;
        assert_eq!(right.outcome.status, Status::Pass, "{engine}: {right:#?}");

        let none = run(None).await;
        assert_eq!(none.outcome.status, Status::Warn, "{none:#?}");
        assert!(
            none.outcome
                .summary
                .starts_with("2 rows hold Fernet-encrypted secrets")
        );

        for outcome in [&wrong, &right, &none] {
            let json = serde_json::to_string(outcome).unwrap();
            for plaintext in &plaintexts {
                assert!(
                    !json.contains(plaintext.as_str()),
                    "{engine}: plaintext in {json}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_public_default_key_warns_with_how_to_rotate() {
    let db = TestDb::new(Engine::Postgres).await;
    store_secrets(&db, DEFAULT_KEY).await;
    // The server's spelling (standard base64) and the ingestion side's (base64url) both count.
    for key in [DEFAULT_KEY.to_string(), DEFAULT_KEY.replace('/', "_")] {
        let results = run_checks(
            &db.url,
            with_key(Some(&key)),
            None,
            &[checks::secrets::FERNET],
        )
        .await;
        let r = result(&results, &checks::secrets::FERNET);
        assert_eq!(r.outcome.status, Status::Warn, "{r:#?}");
        assert!(
            r.outcome
                .summary
                .starts_with("the key is the public default")
                && r.outcome.summary.contains("opens the 2 sampled secrets"),
            "{r:#?}"
        );
        assert!(
            r.outcome
                .remediation
                .as_deref()
                .is_some_and(|f| f.contains("FERNET_KEY=\"NEW_KEY,OLD_KEY\"")),
            "{r:#?}"
        );
    }
}

/// The plaintext of stored secrets appears nowhere the binary writes: text and JSON output of
/// `check`, and the report file.
#[tokio::test]
async fn stored_secrets_plaintext_never_reaches_output_or_reports() {
    let db = TestDb::new(Engine::Mysql).await;
    let plaintexts = store_secrets(&db, &key_b64(0xa)).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    let mut outputs = Vec::new();
    for key in [key_b64(0xa), key_b64(0xb)] {
        for format in ["text", "json"] {
            let out = run(
                &["check", "--db-url", &db.url, "--format", format],
                &[("FERNET_KEY", &key)],
            );
            outputs.push(format!("{}{}", stdout(&out), stderr(&out)));
        }
        let out = run(
            &[
                "report",
                "--db-url",
                &db.url,
                "--target",
                "1.2.0",
                "--format",
                "markdown",
                "--output",
                report.to_str().unwrap(),
            ],
            &[("FERNET_KEY", &key)],
        );
        outputs.push(format!("{}{}", stdout(&out), stderr(&out)));
        outputs.push(std::fs::read_to_string(&report).unwrap_or_default());
    }
    assert!(
        outputs.iter().any(|o| o.contains("secrets.fernet")),
        "the check ran: {outputs:#?}"
    );
    for output in &outputs {
        for plaintext in &plaintexts {
            assert!(
                !output.contains(plaintext.as_str()),
                "plaintext in {output}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A local HTTP(S) stand-in for the search engine and the server

#[derive(Clone)]
enum Answer {
    Json(u16, String),
    /// Accepts the request and never answers.
    Hang,
    /// Not HTTP at all.
    Garbage,
}

struct Stub {
    url: String,
    /// PEM of the self-signed certificate, for HTTPS stubs.
    ca_pem: Option<String>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request_path(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    head.split_whitespace().nth(1).map(String::from)
}

async fn answer(
    mut stream: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    routes: &[(&str, Answer)],
) {
    let Some(path) = read_request_path(&mut stream).await else {
        return;
    };
    let found = routes
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, a)| a.clone());
    let reply = match found {
        Some(Answer::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        Some(Answer::Garbage) => b"SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n".to_vec(),
        Some(Answer::Json(status, body)) => format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
        None => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
    };
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

async fn stub(routes: Vec<(&'static str, Answer)>, tls: bool) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let routes = Arc::new(routes);
    let (acceptor, ca_pem) = if tls {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let pem = cert.cert.pem();
        let key = tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
            cert.signing_key.serialize_der().into(),
        );
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
        (
            Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
            Some(pem),
        )
    } else {
        (None, None)
    };
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(tls) = acceptor.accept(stream).await {
                            answer(tls, &routes).await;
                        }
                    }
                    None => answer(stream, &routes).await,
                }
            });
        }
    });
    let scheme = if tls { "https" } else { "http" };
    Stub {
        url: format!("{scheme}://localhost:{port}"),
        ca_pem,
        task,
    }
}

// Reply bodies written from the documented shapes of `GET /` and `GET /_cluster/health`.
fn es_root(number: &str) -> String {
    format!(
        r#"{{"name":"es01","cluster_name":"docker-cluster","cluster_uuid":"k3v2x0cWQ4m5pQnq0k1p0A","version":{{"number":"{number}","build_flavor":"default","build_type":"docker","build_hash":"0000000","build_date":"2024-01-01T00:00:00.000Z","build_snapshot":false,"lucene_version":"9.8.0","minimum_wire_compatibility_version":"7.17.0","minimum_index_compatibility_version":"7.0.0"}},"tagline":"You Know, for Search"}}"#
    )
}

fn os_root(number: &str) -> String {
    format!(
        r#"{{"name":"opensearch-node1","cluster_name":"opensearch-cluster","cluster_uuid":"Zt0bC1tWQmWd0a4n6jKq8g","version":{{"distribution":"opensearch","number":"{number}","build_type":"tar","build_hash":"0000000","build_date":"2025-01-01T00:00:00.000Z","build_snapshot":false,"lucene_version":"10.1.0","minimum_wire_compatibility_version":"2.19.0","minimum_index_compatibility_version":"2.0.0"}},"tagline":"The OpenSearch Project: https://opensearch.org/"}}"#
    )
}

fn health(status: &str) -> String {
    format!(
        r#"{{"cluster_name":"docker-cluster","status":"{status}","timed_out":false,"number_of_nodes":1,"number_of_data_nodes":1,"active_primary_shards":12,"active_shards":12,"relocating_shards":0,"initializing_shards":0,"unassigned_shards":{},"delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,"task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":{}}}"#,
        if status == "green" { 0 } else { 12 },
        if status == "green" { "100.0" } else { "50.0" }
    )
}

fn search_settings(
    url: &str,
    distribution: Option<Distribution>,
    ca: Option<&std::path::Path>,
) -> InstallSettings {
    InstallSettings {
        search: Configured::Yes(SearchSettings {
            url: Sourced::new(url.parse().unwrap(), Source::Flag("--search-url")),
            distribution: match distribution {
                Some(d) => Sourced::new(d, Source::Env("SEARCH_TYPE")),
                None => Sourced::new(Distribution::Elasticsearch, Source::Default),
            },
            user: None,
            password: None,
            ca_file: ca.map(|p| Sourced::new(p.to_path_buf(), Source::Flag("--search-ca"))),
            unusable_truststore: None,
            timeouts: Timeouts {
                connect: Duration::from_secs(2),
                read: Duration::from_millis(700),
            },
        }),
        ..InstallSettings::default()
    }
}

/// No database here: the HTTP checks do not need one (db.connect fails fast on a closed port).
const NO_DB: &str = "mysql://nobody@127.0.0.1:1/none";

async fn search_results(settings: InstallSettings, target: &str) -> (CheckResult, CheckResult) {
    let results = run_checks(
        NO_DB,
        settings,
        Some(target.parse().unwrap()),
        &[checks::search::VERSION, checks::search::HEALTH],
    )
    .await;
    (
        result(&results, &checks::search::VERSION).clone(),
        result(&results, &checks::search::HEALTH).clone(),
    )
}

#[tokio::test]
async fn elasticsearch_8_fails_for_1_12_and_says_what_it_supports() {
    let s = stub(
        vec![
            ("/", Answer::Json(200, es_root("8.11.4"))),
            ("/_cluster/health", Answer::Json(200, health("green"))),
        ],
        false,
    )
    .await;
    let (version, health) = search_results(search_settings(&s.url, None, None), "1.12.0").await;
    assert_eq!(version.outcome.status, Status::Fail, "{version:#?}");
    assert_eq!(
        version.outcome.summary,
        "Elasticsearch 8.11.4 is older than OpenMetadata 1.12.0 supports: Elasticsearch 9.0 or newer, OpenSearch 3.0 or newer"
    );
    // The catalogue's source for the 1.12 search minimums is named.
    assert!(
        all_text(&version).contains("snippets/releases/1.12.1.mdx"),
        "{version:#?}"
    );
    assert_eq!(health.outcome.status, Status::Pass, "{health:#?}");
    // The same engine is fine for 1.11 (Elasticsearch 8.0–8.11.4).
    let (version, _) = search_results(search_settings(&s.url, None, None), "1.11.0").await;
    assert_eq!(version.outcome.status, Status::Pass, "{version:#?}");
}

#[tokio::test]
async fn every_documented_engine_reply_is_read() {
    let cases = [
        (es_root("7.17.18"), "Elasticsearch 7.17.18", "1.1.0"),
        (es_root("8.11.4"), "Elasticsearch 8.11.4", "1.11.0"),
        (es_root("9.3.1"), "Elasticsearch 9.3.1", "1.12.0"),
        (os_root("1.3.20"), "OpenSearch 1.3.20", "1.3.0"),
        (os_root("2.19.1"), "OpenSearch 2.19.1", "1.11.0"),
        (os_root("3.4.0"), "OpenSearch 3.4.0", "1.12.0"),
    ];
    for (body, shown, target) in cases {
        let s = stub(
            vec![
                ("/", Answer::Json(200, body)),
                ("/_cluster/health", Answer::Json(200, health("green"))),
            ],
            false,
        )
        .await;
        let (version, _) = search_results(search_settings(&s.url, None, None), target).await;
        assert!(version.outcome.summary.starts_with(shown), "{version:#?}");
        assert_ne!(
            version.outcome.status,
            Status::Fail,
            "{shown} for {target}: {version:#?}"
        );
    }
    // The acceptance case: OpenSearch 3.4 passes for 1.12.
    let s = stub(vec![("/", Answer::Json(200, os_root("3.4.0")))], false).await;
    let (version, _) = search_results(
        search_settings(&s.url, Some(Distribution::OpenSearch), None),
        "1.12.0",
    )
    .await;
    assert_eq!(version.outcome.status, Status::Pass, "{version:#?}");
}

#[tokio::test]
async fn yellow_warns_red_fails_and_a_wrong_search_type_fails() {
    let s = stub(
        vec![
            ("/", Answer::Json(200, os_root("3.4.0"))),
            ("/_cluster/health", Answer::Json(200, health("yellow"))),
        ],
        false,
    )
    .await;
    let (version, health_result) = search_results(
        search_settings(&s.url, Some(Distribution::Elasticsearch), None),
        "1.12.0",
    )
    .await;
    assert_eq!(
        health_result.outcome.status,
        Status::Warn,
        "{health_result:#?}"
    );
    assert_eq!(version.outcome.status, Status::Fail, "{version:#?}");
    assert!(
        version
            .outcome
            .summary
            .contains("set up for Elasticsearch (search type from env SEARCH_TYPE)")
    );
    let s = stub(
        vec![("/_cluster/health", Answer::Json(200, health("red")))],
        false,
    )
    .await;
    let (_, health_result) = search_results(search_settings(&s.url, None, None), "1.12.0").await;
    assert_eq!(
        health_result.outcome.status,
        Status::Fail,
        "{health_result:#?}"
    );
    assert!(health_result.outcome.summary.contains("is red"));
}

#[tokio::test]
async fn refused_logins_hangs_garbage_and_nothing_listening_fail_in_words() {
    let s = stub(
        vec![
            (
                "/",
                Answer::Json(
                    401,
                    r#"{"error":{"type":"security_exception"},"status":401}"#.into(),
                ),
            ),
            ("/_cluster/health", Answer::Hang),
        ],
        false,
    )
    .await;
    let started = std::time::Instant::now();
    let (version, health) = search_results(search_settings(&s.url, None, None), "1.12.0").await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(version.outcome.status, Status::Fail);
    assert!(
        version
            .outcome
            .summary
            .contains("refused the request (HTTP 401) without credentials"),
        "{version:#?}"
    );
    assert_eq!(health.outcome.status, Status::Fail);
    assert!(
        health.outcome.summary.contains("no reply from localhost:"),
        "{health:#?}"
    );

    let s = stub(
        vec![
            ("/", Answer::Garbage),
            (
                "/_cluster/health",
                Answer::Json(200, "<html>proxy</html>".into()),
            ),
        ],
        false,
    )
    .await;
    let (version, health) = search_results(search_settings(&s.url, None, None), "1.12.0").await;
    assert!(
        version.outcome.summary.contains("did not answer HTTP"),
        "{version:#?}"
    );
    assert!(health.outcome.summary.contains("not JSON"), "{health:#?}");

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (version, _) = search_results(
        search_settings(&format!("http://127.0.0.1:{closed}"), None, None),
        "1.12.0",
    )
    .await;
    assert_eq!(version.outcome.status, Status::Fail);
    assert!(
        version.outcome.summary.contains("connection refused"),
        "{version:#?}"
    );
}

#[tokio::test]
async fn a_self_signed_certificate_is_refused_unless_its_ca_is_given() {
    let s = stub(
        vec![
            ("/", Answer::Json(200, es_root("9.3.1"))),
            ("/_cluster/health", Answer::Json(200, health("green"))),
        ],
        true,
    )
    .await;
    let (version, _) = search_results(search_settings(&s.url, None, None), "1.12.0").await;
    assert_eq!(version.outcome.status, Status::Fail, "{version:#?}");
    assert!(
        version
            .outcome
            .summary
            .contains("is not trusted: it is signed by an unknown CA"),
        "{version:#?}"
    );
    assert!(
        version
            .outcome
            .remediation
            .as_deref()
            .unwrap()
            .contains("--search-ca")
    );

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, s.ca_pem.as_deref().unwrap()).unwrap();
    let (version, health) =
        search_results(search_settings(&s.url, None, Some(&ca)), "1.12.0").await;
    assert_eq!(version.outcome.status, Status::Pass, "{version:#?}");
    assert_eq!(health.outcome.status, Status::Pass, "{health:#?}");
}

// ---------------------------------------------------------------------------------------------
// server.version

fn server_settings(url: &str) -> InstallSettings {
    InstallSettings {
        server: Configured::Yes(ServerSettings {
            url: Sourced::new(url.parse().unwrap(), Source::Flag("--server-url")),
            ca_file: None,
            timeouts: Timeouts {
                connect: Duration::from_secs(2),
                read: Duration::from_millis(700),
            },
        }),
        ..InstallSettings::default()
    }
}

#[tokio::test]
async fn the_running_server_against_the_database_and_the_target() {
    let (db, _) = TestDb::demo(Engine::Postgres, 1).await;
    let version = |v: &str| {
        Answer::Json(
            200,
            format!(r#"{{"version":"{v}","revision":"7a1c3f9","timestamp":1700000000000}}"#),
        )
    };
    let check = |answer: Answer, target: Option<&'static str>| {
        let url = db.url.clone();
        async move {
            let s = stub(vec![("/api/v1/system/version", answer)], false).await;
            let results = run_checks(
                &url,
                server_settings(&s.url),
                target.map(|t| t.parse().unwrap()),
                &[checks::server::VERSION, checks::db::OPENMETADATA],
            )
            .await;
            result(&results, &checks::server::VERSION).clone()
        }
    };
    // The demo database is at schema 1.1.x.
    let same = check(version("1.1.7"), Some("1.2.0")).await;
    assert_eq!(same.outcome.status, Status::Pass, "{same:#?}");
    let ahead = check(version("1.3.1"), None).await;
    assert_eq!(ahead.outcome.status, Status::Warn, "{ahead:#?}");
    assert!(
        ahead.outcome.summary.contains("migrations were not run"),
        "{ahead:#?}"
    );
    let newer_than_target = check(version("1.3.1"), Some("1.2.0")).await;
    assert_eq!(
        newer_than_target.outcome.status,
        Status::Fail,
        "{newer_than_target:#?}"
    );
    let login = check(Answer::Json(401, "{}".into()), None).await;
    assert_eq!(login.outcome.status, Status::Fail);
    assert!(
        login.outcome.summary.contains("answered HTTP 401"),
        "{login:#?}"
    );
    let hang = check(Answer::Hang, None).await;
    assert_eq!(hang.outcome.status, Status::Fail);
    assert!(hang.outcome.summary.contains("no reply"), "{hang:#?}");
}

#[tokio::test]
async fn restore_can_tell_a_server_still_answers() {
    use om_upgrade::server::still_running;
    let s = stub(
        vec![(
            "/api/v1/system/version",
            Answer::Json(200, r#"{"version":"1.2.0"}"#.into()),
        )],
        false,
    )
    .await;
    let Configured::Yes(settings) = server_settings(&s.url).server else {
        unreachable!()
    };
    assert_eq!(still_running(&settings).await.unwrap().text, "1.2.0");
    drop(s);
    let Configured::Yes(settings) = server_settings("http://127.0.0.1:1").server else {
        unreachable!()
    };
    assert!(still_running(&settings).await.is_none());
}

// ---------------------------------------------------------------------------------------------
// The command line

#[test]
fn malformed_search_and_server_urls_are_usage_errors() {
    for (flag, url) in [
        ("--search-url", "es.internal:9200"),
        ("--server-url", "ftp://om"),
    ] {
        let out = run(&["check", flag, url], &[]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{}", stderr(&out));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_the_search_engine_and_server_from_flags_and_env() {
    let (db, _) = TestDb::demo(Engine::Mysql, 1).await;
    let es = stub(
        vec![
            ("/", Answer::Json(200, es_root("8.11.4"))),
            ("/_cluster/health", Answer::Json(200, health("green"))),
        ],
        true,
    )
    .await;
    let om = stub(
        vec![(
            "/api/v1/system/version",
            Answer::Json(200, r#"{"version":"1.1.7"}"#.into()),
        )],
        false,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, es.ca_pem.as_deref().unwrap()).unwrap();
    let args: Vec<String> = [
        "check",
        "--db-url",
        &db.url,
        "--target",
        "1.12.0",
        "--format",
        "json",
        "--search-ca",
        ca.to_str().unwrap(),
        "--server-url",
        &format!("{}/api", om.url),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let port = es.url.rsplit(':').next().unwrap().to_string();
    let (first_args, first_port) = (args.clone(), port.clone());
    let out = tokio::task::spawn_blocking(move || {
        let (args, port) = (first_args, first_port);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(
            &args,
            &[
                ("ELASTICSEARCH_HOST", "localhost"),
                ("ELASTICSEARCH_PORT", &port),
                ("ELASTICSEARCH_SCHEME", "https"),
                ("FERNET_KEY", DEFAULT_KEY),
            ],
        )
    })
    .await
    .unwrap();
    let report = check_json(&out);
    let version = check_by_id(&report, "search.version");
    assert_eq!(version["status"], "fail", "{version}");
    assert!(
        version["summary"]
            .as_str()
            .unwrap()
            .contains("Elasticsearch 9.0 or newer")
    );
    assert!(
        version.to_string().contains("env ELASTICSEARCH_HOST"),
        "{version}"
    );
    assert_eq!(check_by_id(&report, "search.health")["status"], "pass");
    assert_eq!(
        check_by_id(&report, "server.version")["status"],
        "pass",
        "{report}"
    );
    for id in ["db.migration_rights", "db.charset", "db.migration_state"] {
        assert_eq!(check_by_id(&report, id)["status"], "pass", "{id}: {report}");
    }
    // The demo stores no Fernet secrets; the default key still warns.
    assert_eq!(
        check_by_id(&report, "secrets.fernet")["status"],
        "warn",
        "{report}"
    );
    assert_eq!(out.status.code(), Some(1));
    // Each check says the step the registry puts it in.
    for (id, step) in [
        ("db.migration_rights", "database"),
        ("db.charset", "database"),
        ("db.migration_state", "database"),
        ("secrets.fernet", "installation"),
        ("search.version", "installation"),
        ("search.health", "installation"),
        ("server.version", "installation"),
    ] {
        assert_eq!(check_by_id(&report, id)["step"], step, "{id}: {report}");
    }

    // The report, from the same command line, has them under their prerequisite.
    let mut args: Vec<String> = args
        .iter()
        .map(|a| {
            if a == "check" {
                "report".into()
            } else {
                a.clone()
            }
        })
        .collect();
    args.extend(["--output".into(), "-".into()]);
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(
            &args,
            &[
                ("ELASTICSEARCH_HOST", "localhost"),
                ("ELASTICSEARCH_PORT", &port),
                ("ELASTICSEARCH_SCHEME", "https"),
                ("FERNET_KEY", DEFAULT_KEY),
            ],
        )
    })
    .await
    .unwrap();
    let report = check_json(&out);
    let installation = step(&report, "installation");
    assert_eq!(installation["number"], 5, "{installation}");
    assert_eq!(installation["status"], "fail", "{installation}");
    assert_eq!(
        installation["checks"],
        serde_json::json!([
            "secrets.fernet",
            "search.version",
            "search.health",
            "server.version"
        ]),
        "{installation}"
    );
    let database = step(&report, "database");
    for id in ["db.migration_rights", "db.charset", "db.migration_state"] {
        assert!(
            database["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == id),
            "{id} not in {database}"
        );
    }
    assert!(
        report["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "search.version" && f["step"] == "installation"),
        "{report}"
    );
    // How far the catalogue reaches, as `--version` says it.
    let reach = om_upgrade::knowledge::Catalogue::built_in_reach().unwrap();
    assert_eq!(
        report["openmetadata"]["catalogue"]["newest"],
        reach.newest.to_string(),
        "{report}"
    );
    assert_eq!(
        report["openmetadata"]["catalogue"]["checked"],
        reach.checked.clone().unwrap(),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------------
// The backup manifest and restore

/// The manifest remembers which key wrote the stored secrets (a fingerprint: never the key nor
/// a secret) and `backups` shows it; `restore` warns with another key, without a key, and while
/// the OpenMetadata server still answers at its address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_remember_the_secrets_key_and_restore_warns_about_the_installation() {
    let (source, _) = TestDb::demo(Engine::Postgres, 1).await;
    let key_a = key_b64(0xa);
    let key_b = key_b64(0xb);
    // The demo's database services get a password encrypted with key A.
    let plaintext = format!("plain-{}-pw", unique("s"));
    let token = KeyRing::parse(&key_a)
        .unwrap()
        .encrypt(plaintext.as_bytes());
    let conn = source.connect().await;
    conn.execute_script(&format!(
        "UPDATE dbservice_entity SET json = jsonb_set(json, '{{connection,config,password}}', \
         to_jsonb('{token}'::text))"
    ))
    .await
    .unwrap();
    conn.close().await;
    let plaintexts = [plaintext];
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap().to_string();
    let out = run(
        &[
            "backup",
            "--db-url",
            &source.url,
            "--output",
            &folder,
            "--name",
            "with-secrets.sql",
        ],
        &[("FERNET_KEY", &key_a)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let file = dir.path().join("with-secrets.sql");
    let manifest_path = om_upgrade::backup::manifest::path_for(&file);
    let manifest_text = std::fs::read_to_string(&manifest_path).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text).unwrap();
    let print = KeyRing::parse(&key_a).unwrap().fingerprints().remove(0);
    assert_eq!(
        manifest["secrets"],
        serde_json::json!({
            "holds_fernet_secrets": true,
            "key_is_public_default": false,
            "key_fingerprint": print,
        }),
        "{manifest_text}"
    );
    let listed = run(&["backups", &folder], &[]);
    assert!(
        stdout(&listed).contains(&format!(
            "Fernet-encrypted secrets, written with the key of fingerprint {print}"
        )),
        "{}",
        stdout(&listed)
    );
    let listed_json = run(&["backups", &folder, "--format", "json"], &[]);
    assert!(
        stdout(&listed_json).contains(&print),
        "{}",
        stdout(&listed_json)
    );

    // Restoring with key B while a server answers: both are said, before anything loads.
    let om = stub(
        vec![(
            "/api/v1/system/version",
            Answer::Json(200, r#"{"version":"1.1.7"}"#.into()),
        )],
        false,
    )
    .await;
    let into_b = TestDb::new(Engine::Postgres).await;
    let (path, url, server, b) = (
        file.to_str().unwrap().to_string(),
        into_b.url.clone(),
        om.url.clone(),
        key_b.clone(),
    );
    let restored = tokio::task::spawn_blocking(move || {
        run(
            &["restore", &path, "--db-url", &url, "--server-url", &server],
            &[("FERNET_KEY", &b)],
        )
    })
    .await
    .unwrap();
    assert!(restored.status.success(), "{}", stderr(&restored));
    let said = stderr(&restored);
    assert!(
        said.contains("an OpenMetadata server (1.1.7) still answers at"),
        "{said}"
    );
    assert!(
        said.contains("is not the one the backup's secrets were written with")
            && said.contains(&print),
        "{said}"
    );
    drop(om);

    // Without a key it says the server will need one; with key A and no server, nothing.
    let into_none = TestDb::new(Engine::Postgres).await;
    let none = run(
        &[
            "restore",
            file.to_str().unwrap(),
            "--db-url",
            &into_none.url,
        ],
        &[],
    );
    assert!(none.status.success(), "{}", stderr(&none));
    assert!(
        stderr(&none).contains("no FERNET_KEY is set"),
        "{}",
        stderr(&none)
    );
    let into_a = TestDb::new(Engine::Postgres).await;
    let fine = run(
        &["restore", file.to_str().unwrap(), "--db-url", &into_a.url],
        &[("FERNET_KEY", &key_a)],
    );
    assert!(fine.status.success(), "{}", stderr(&fine));
    assert!(!stderr(&fine).contains("warning:"), "{}", stderr(&fine));

    // Neither key nor secret in any of it.
    let everything = [
        manifest_text,
        stdout(&listed),
        stdout(&listed_json),
        said,
        stderr(&none),
        stderr(&fine),
    ]
    .join("\n");
    for secret in plaintexts.iter().chain([&key_a, &key_b]) {
        assert!(!everything.contains(secret.as_str()), "{secret} leaked");
    }
}
