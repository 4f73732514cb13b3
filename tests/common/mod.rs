//! Test harness: real PostgreSQL and MariaDB/MySQL servers, one uniquely named database per
//! test, dropped afterwards. A server that cannot be reached fails the test with how to start
//! it; nothing is skipped.
#![allow(dead_code)]

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use om_upgrade::config::{self, DbInputs, DbSettings, Env};
use om_upgrade::db::{Db, Engine};

pub const PG_URL_ENV: &str = "OMU_TEST_PG_URL";
pub const MYSQL_URL_ENV: &str = "OMU_TEST_MYSQL_URL";

/// Server url (without database) for an engine.
pub fn server_url(engine: Engine) -> String {
    let (var, default) = match engine {
        Engine::Postgres => (PG_URL_ENV, "postgres://postgres@127.0.0.1:5432"),
        Engine::Mysql => (MYSQL_URL_ENV, "mysql://root@127.0.0.1:3306"),
    };
    std::env::var(var)
        .unwrap_or_else(|_| default.to_string())
        .trim_end_matches('/')
        .to_string()
}

fn how_to_start(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => {
            "start PostgreSQL with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
             (or set OMU_TEST_PG_URL to a reachable server)"
        }
        Engine::Mysql => {
            "start MariaDB with `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd` \
             (or set OMU_TEST_MYSQL_URL to a reachable server)"
        }
    }
}

pub fn settings_for(url: &str) -> DbSettings {
    config::resolve(
        &DbInputs {
            db_url: Some(url.to_string()),
            ..Default::default()
        },
        &Env::default(),
    )
    .expect("test url parses")
    .settings
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database that exists for one test.
pub struct TestDb {
    pub engine: Engine,
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// Creates an empty database with a unique name.
    pub async fn new(engine: Engine) -> TestDb {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "omu_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            nanos % 100_000
        );
        let admin = admin(engine).await;
        admin
            .execute_script(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        admin.close().await;
        TestDb {
            engine,
            url: format!("{}/{name}", server_url(engine)),
            name,
        }
    }

    /// A database filled by `om-upgrade demo` (through the library).
    pub async fn demo(engine: Engine, scale: u32) -> (TestDb, om_upgrade::demo::DemoSummary) {
        let db = TestDb::new(engine).await;
        let summary = om_upgrade::demo::create(&db.settings(), scale, &mut ())
            .await
            .unwrap_or_else(|e| panic!("demo on {engine}: {e}"));
        (db, summary)
    }

    pub fn settings(&self) -> DbSettings {
        settings_for(&self.url)
    }

    pub async fn connect(&self) -> Db {
        Db::connect(&self.settings())
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.url))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = match self.engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Engine::Mysql => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        if let Err(e) = admin_blocking(self.engine, sql) {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

/// A MySQL/MariaDB user for one test, with a password and privileges on one test database;
/// dropped with the guard, also when the test fails.
pub struct MysqlUser {
    pub name: String,
}

impl MysqlUser {
    /// `<db>_<suffix>` identified by `password`, holding `privileges` (`ALL`, `SELECT`, …) on `db`.
    pub async fn create(db: &TestDb, suffix: &str, password: &str, privileges: &str) -> MysqlUser {
        let name = format!("{}_{suffix}", db.name);
        let quoted = password.replace('\\', "\\\\").replace('\'', "\\'");
        let admin = admin(Engine::Mysql).await;
        admin
            .execute_script(&format!(
                "CREATE USER '{name}'@'%' IDENTIFIED BY '{quoted}'; \
                 GRANT {privileges} ON {}.* TO '{name}'@'%'",
                db.name
            ))
            .await
            .unwrap_or_else(|e| panic!("cannot create test user {name}: {e}"));
        admin.close().await;
        MysqlUser { name }
    }
}

impl Drop for MysqlUser {
    fn drop(&mut self) {
        let sql = format!("DROP USER IF EXISTS '{}'@'%'", self.name);
        if let Err(e) = admin_blocking(Engine::Mysql, sql) {
            eprintln!("warning: could not drop test user {}: {e}", self.name);
        }
    }
}

/// Runs `sql` as the admin from a destructor, which runs outside async: on a private runtime
/// on its own thread.
fn admin_blocking(engine: Engine, sql: String) -> Result<(), String> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let admin = admin(engine).await;
            let result = admin.execute_script(&sql).await;
            admin.close().await;
            result.map_err(|e| e.to_string())
        })
    })
    .join()
    .unwrap_or_else(|_| Err("the cleanup thread panicked".into()))
}

/// A connection to the server itself; panics loudly when the server is down.
pub async fn admin(engine: Engine) -> Db {
    let url = server_url(engine);
    let settings = settings_for(&format!("{url}/"));
    Db::connect_server(&settings).await.unwrap_or_else(|e| {
        panic!(
            "\n\nThe {engine} test server at {url} cannot be reached: {e}\nThese tests need it: {}\n\n",
            how_to_start(engine)
        )
    })
}

/// Runs the built binary with arguments and extra environment; HOME-based folders are kept
/// inside a temp dir so tests never touch the user's data.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    run_traced(args, env).0
}

/// [`run`], also giving the child's process id (names of what it made carry it).
pub fn run_traced(args: &[&str], env: &[(&str, &str)]) -> (Output, u32) {
    let data = std::env::temp_dir().join(format!("omu-test-data-{}", std::process::id()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_om-upgrade"));
    command
        .args(args)
        .env_remove("DB_HOST")
        .env_remove("DB_PORT")
        .env_remove("DB_USER")
        .env_remove("DB_USER_PASSWORD")
        .env_remove("OM_DATABASE")
        .env_remove("DB_SCHEME")
        .env_remove("DB_DRIVER_CLASS")
        .env_remove("DB_PARAMS")
        .env_remove("SEARCH_TYPE")
        .env_remove("ELASTICSEARCH_HOST")
        .env_remove("ELASTICSEARCH_PORT")
        .env_remove("ELASTICSEARCH_SCHEME")
        .env_remove("ELASTICSEARCH_USER")
        .env_remove("ELASTICSEARCH_PASSWORD")
        .env_remove("ELASTICSEARCH_TRUST_STORE_PATH")
        .env_remove("SERVER_HOST_API_URL")
        .env_remove("FERNET_KEY")
        .env_remove("SECRET_MANAGER")
        .env_remove("RUST_LOG")
        .env("OM_UPGRADE_DATA_DIR", &data)
        .env("OM_UPGRADE_STATE_DIR", &data)
        .env("NO_COLOR", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the om-upgrade binary runs");
    let pid = child.id();
    let output = child
        .wait_with_output()
        .expect("the om-upgrade binary runs");
    (output, pid)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The checks of `check --format json` output, by id.
pub fn check_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\nstdout: {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

/// The checklist step `name` (`database`, `backup`, `release_review`, …) of a JSON report.
pub fn step<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checklist"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["step"] == name))
        .unwrap_or_else(|| panic!("no step {name} in {report}"))
}

pub fn check_by_id<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

pub const ENGINES: [Engine; 2] = [Engine::Postgres, Engine::Mysql];

/// Per-table fingerprints computed by the server itself (independent of om-upgrade's own
/// serializer): Postgres md5 over every row's text, ordered; MySQL `CHECKSUM TABLE`.
pub async fn server_fingerprints(db: &Db) -> std::collections::BTreeMap<String, String> {
    fingerprints(db, false).await
}

/// As [`server_fingerprints`], but Postgres `json` values compare by meaning (as jsonb), for
/// files whose writer re-serialized JSON (the official CLI does).
pub async fn semantic_fingerprints(db: &Db) -> std::collections::BTreeMap<String, String> {
    fingerprints(db, true).await
}

async fn fingerprints(db: &Db, semantic: bool) -> std::collections::BTreeMap<String, String> {
    use om_upgrade::db::inspect;
    let mut out = std::collections::BTreeMap::new();
    for table in inspect::tables(db).await.expect("tables") {
        let quoted = inspect::quote_ident(db.engine(), &table.name);
        let (sql, column) = match db.engine() {
            Engine::Postgres => {
                let row = if semantic {
                    "to_jsonb(t)::text"
                } else {
                    "t::text"
                };
                (
                    format!(
                        "SELECT COALESCE(md5(string_agg({row}, '|' ORDER BY {row})), 'empty') FROM {quoted} t"
                    ),
                    0,
                )
            }
            Engine::Mysql => (format!("CHECKSUM TABLE {quoted}"), 1),
        };
        let rows = db.fetch_rows(&sql, &[]).await.expect("fingerprint");
        let value = rows[0][column].as_text().unwrap_or_default();
        let count = db
            .fetch_i64(&format!("SELECT COUNT(*) FROM {quoted}"), &[])
            .await
            .expect("count");
        out.insert(table.name, format!("{count}:{value}"));
    }
    out
}

/// The official CLI's venv, when it was set up (`scripts/setup-peer-venv`). With
/// OMU_REQUIRE_PEER=1 (as in CI) its absence fails the test instead of skipping it.
pub fn peer_python() -> Option<std::path::PathBuf> {
    let venv = std::env::var("OMU_PEER_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".peer/om-ingestion-1.1")
        });
    let python = venv.join("bin/python");
    if python.exists() {
        return Some(python);
    }
    if std::env::var("OMU_REQUIRE_PEER").is_ok_and(|v| v == "1") {
        panic!(
            "OMU_REQUIRE_PEER=1 but {} does not exist: run scripts/setup-peer-venv",
            python.display()
        );
    }
    eprintln!(
        "\n*** interop test NOT RUN: no peer venv at {} (create it with scripts/setup-peer-venv) ***\n",
        venv.display()
    );
    None
}

/// Copies the built-in release files (assets/releases/*.yaml) into the folder `into`.
pub fn copy_of_the_built_in_catalogue(into: &std::path::Path) {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/releases");
    for entry in std::fs::read_dir(assets).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, into.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// An ingestion workflow of a Domo service that still sets sandboxDomain (renamed in 1.2).
pub const DOMO_WORKFLOW: &str = "\
source:
  type: domodatabase
  serviceName: domo_sales
  serviceConnection:
    config:
      type: DomoDatabase
      clientId: abc
      sandboxDomain: https://acme.domo.com
      secretToken: ${DOMO_TOKEN}
  sourceConfig:
    config:
      type: DatabaseMetadata
sink:
  type: metadata-rest
  config: {}
workflowConfig:
  openMetadataServerConfig:
    hostPort: http://localhost:8585/api
    authProvider: openmetadata
";
