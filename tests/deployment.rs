//! `--compose` and `--helm-values` against the real servers: the settings an installation was
//! started with, read from files shaped like the upstream ones (written here, not copied),
//! reach the local PostgreSQL and MariaDB. Kubernetes cannot run here: the Secret comes from a
//! `kubectl` stand-in first on PATH that answers as `kubectl get secret NAME -n NS -o json`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::*;
use om_upgrade::db::Engine;

/// The port of the local test server, which the compose file's database service "publishes".
fn local_port(engine: Engine) -> String {
    server_url(engine)
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string()
}

/// A compose file like the upstream quickstart: the database service publishes the local
/// server's port; the server's variables default like upstream's, the password has no usable
/// default and the user and database come from `.env`.
fn compose_file(engine: Engine) -> String {
    let (service, image, scheme, driver, port) = match engine {
        Engine::Mysql => (
            "mysql",
            "docker.getcollate.io/openmetadata/db:1.1.5",
            "mysql",
            "com.mysql.cj.jdbc.Driver",
            "3306",
        ),
        Engine::Postgres => (
            "postgresql",
            "docker.getcollate.io/openmetadata/postgresql:1.1.5",
            "postgresql",
            "org.postgresql.Driver",
            "5432",
        ),
    };
    let published = local_port(engine);
    format!(
        r#"version: "3.9"
services:
  {service}:
    image: {image}
    restart: always
    ports:
      - "{published}:{port}"
  execute-migrate-all:
    image: docker.getcollate.io/openmetadata/server:1.1.5
    command: "./bootstrap/bootstrap_storage.sh migrate-all"
  openmetadata-server:
    container_name: openmetadata_server
    image: docker.getcollate.io/openmetadata/server:${{OM_IMAGE_TAG:-1.1.5}}
    environment:
      SERVER_PORT: ${{SERVER_PORT:-8585}}
      DB_DRIVER_CLASS: ${{DB_DRIVER_CLASS:-{driver}}}
      DB_SCHEME: ${{DB_SCHEME:-{scheme}}}
      DB_PARAMS: ${{DB_PARAMS:-allowPublicKeyRetrieval=true&useSSL=false&serverTimezone=UTC}}
      DB_USER: ${{DB_USER:-openmetadata_user}}
      DB_USER_PASSWORD: ${{DB_USER_PASSWORD:?set the database password in .env}}
      DB_HOST: ${{DB_HOST:-{service}}}
      DB_PORT: ${{DB_PORT:-{port}}}
      OM_DATABASE: ${{OM_DATABASE:-openmetadata_db}}
      FERNET_KEY: ${{FERNET_KEY:-jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA=}}
    ports:
      - "8585:8585"
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The user each engine's test logs in as: on MariaDB one with a real password, so that only
/// the right password from `.env` connects (PostgreSQL's test server trusts local logins).
async fn login(db: &TestDb, password: &str) -> (String, Option<MysqlUser>) {
    match db.engine {
        Engine::Mysql => {
            let user = MysqlUser::create(db, "compose", password, "ALL").await;
            (user.name.clone(), Some(user))
        }
        Engine::Postgres => ("postgres".to_string(), None),
    }
}

#[tokio::test]
async fn check_with_compose_reads_the_password_from_dotenv_on_both_engines() {
    let password = "Compose-Pa55-in-dotenv";
    for engine in ENGINES {
        let (db, _) = TestDb::demo(engine, 1).await;
        let (user, _guard) = login(&db, password).await;
        let dir = tempfile::tempdir().unwrap();
        let compose = write(dir.path(), "docker-compose.yml", &compose_file(engine));
        write(
            dir.path(),
            ".env",
            &format!(
                "# the project's variables\nDB_USER={user}\nOM_DATABASE={}\nDB_USER_PASSWORD='{password}'\n",
                db.name
            ),
        );
        let compose_arg = compose.to_str().unwrap();
        let out = run(
            &["check", "--compose", compose_arg, "--format", "json"],
            &[("RUST_LOG", "debug")],
        );
        let report = check_json(&out);
        assert_eq!(
            check_by_id(&report, "db.connect")["status"],
            "pass",
            "{engine}: {report}\n{}",
            stderr(&out)
        );
        let om = check_by_id(&report, "db.openmetadata");
        assert!(om["summary"].as_str().unwrap().contains("1.1.5"), "{om}");
        // Every value says where it came from: the compose line, the .env line, the service.
        let settings = &report["settings"];
        let dotenv = dir.path().join(".env");
        assert_eq!(settings["host"]["value"], "127.0.0.1");
        let host_from = settings["host"]["source"].as_str().unwrap();
        let service = if engine == Engine::Mysql {
            "mysql"
        } else {
            "postgresql"
        };
        assert_eq!(
            host_from,
            format!(
                "{compose_arg}:21 (DB_HOST={service} is service {service}, published on \
                 127.0.0.1:{})",
                local_port(engine)
            )
        );
        assert_eq!(
            settings["password"]["source"],
            format!(
                "{compose_arg}:20 (DB_USER_PASSWORD from {}:4)",
                dotenv.display()
            )
        );
        assert_eq!(
            settings["database"]["source"],
            format!("{compose_arg}:23 (OM_DATABASE from {}:3)", dotenv.display())
        );
        assert_eq!(
            settings["engine"]["source"],
            format!("{compose_arg}:17"),
            "{engine}"
        );
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(password), "the password leaked:\n{all}");

        // The text output says the same on the connect check's lines.
        let text = run(&["check", "--compose", compose_arg], &[]);
        let text = stdout(&text);
        assert!(
            text.contains(&format!("host from: {compose_arg}:21 (DB_HOST={service}")),
            "{text}"
        );
    }
}

#[tokio::test]
async fn the_image_tag_stands_in_for_the_version_when_the_database_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap().port();
    drop(listener);
    let compose = compose_file(Engine::Mysql).replace(
        &format!("\"{}:3306\"", local_port(Engine::Mysql)),
        &format!("\"{closed}:3306\""),
    );
    let compose = write(dir.path(), "docker-compose.yml", &compose);
    write(
        dir.path(),
        ".env",
        "DB_USER_PASSWORD=x\nOM_IMAGE_TAG=1.1.5\n",
    );
    let out = run(
        &[
            "check",
            "--compose",
            compose.to_str().unwrap(),
            "--target",
            "1.2.0",
            "--format",
            "json",
        ],
        &[],
    );
    let report = check_json(&out);
    assert_eq!(check_by_id(&report, "db.connect")["status"], "fail");
    let path = check_by_id(&report, "release.path");
    let summary = path["summary"].as_str().unwrap();
    assert!(summary.starts_with("1.1.5 → 1.2.0"), "{path}");
    assert!(
        path.to_string().contains("server image tag 1.1.5"),
        "{path}"
    );
    // `releases` takes the tag too, and says so.
    let out = run(
        &[
            "releases",
            "--compose",
            compose.to_str().unwrap(),
            "--to",
            "1.2.0",
        ],
        &[],
    );
    assert!(
        stdout(&out).contains("installed 1.1.5 (the server image's tag in the deployment file)"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("taking the server image's tag 1.1.5"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_variable_missing_from_dotenv_is_a_settings_error_naming_file_and_variable() {
    let dir = tempfile::tempdir().unwrap();
    let compose = write(
        dir.path(),
        "docker-compose.yml",
        &compose_file(Engine::Mysql),
    );
    // No .env at all: the password's `${DB_USER_PASSWORD:?…}` stops.
    let out = run(&["check", "--compose", compose.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "{} line 20: DB_USER_PASSWORD is required: set the database password in .env",
            compose.display()
        )),
        "{}",
        stderr(&out)
    );
    // A hostile file: one clear error, exit 2.
    std::fs::write(&compose, "services: [1, 2\n").unwrap();
    let out = run(&["check", "--compose", compose.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not valid YAML"), "{}", stderr(&out));
}

/// A `kubectl` that answers one Secret as kubectl does (the recorded JSON shape of
/// `kubectl get secret -o json`) and records its arguments.
fn stand_in_kubectl(dir: &Path, secret: &str, password: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(password);
    let script = format!(
        r#"#!/bin/sh
echo "$@" >> "{log}"
if [ "$*" = "get secret {secret} -n openmetadata -o json" ]; then
cat <<'JSON'
{{
    "apiVersion": "v1",
    "data": {{
        "openmetadata-mysql-password": "{encoded}"
    }},
    "kind": "Secret",
    "metadata": {{
        "creationTimestamp": "2026-11-30T10:00:00Z",
        "name": "{secret}",
        "namespace": "openmetadata",
        "resourceVersion": "4242",
        "uid": "0b7e5c1e-0000-4000-8000-000000000000"
    }},
    "type": "Opaque"
}}
JSON
exit 0
fi
echo "Error from server (NotFound): secrets \"$3\" not found" >&2
exit 1
"#,
        log = dir.join("kubectl.log").display()
    );
    let path = dir.join("kubectl");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn check_with_helm_values_reads_the_password_secret_through_kubectl() {
    let password = "Helm-Secret-Pa55";
    for engine in ENGINES {
        let (db, _) = TestDb::demo(engine, 1).await;
        let (user, _guard) = login(&db, password).await;
        let dir = tempfile::tempdir().unwrap();
        stand_in_kubectl(dir.path(), "mysql-secrets", password);
        let (driver, scheme) = match engine {
            Engine::Mysql => ("com.mysql.cj.jdbc.Driver", "mysql"),
            Engine::Postgres => ("org.postgresql.Driver", "postgresql"),
        };
        let values = write(
            dir.path(),
            "values.yaml",
            &format!(
                r#"openmetadata:
  config:
    elasticsearch:
      host: opensearch
      searchType: opensearch
      port: 9200
      scheme: http
    database:
      host: 127.0.0.1
      port: {port}
      driverClass: {driver}
      dbScheme: {scheme}
      databaseName: {name}
      auth:
        username: {user}
        password:
          secretRef: mysql-secrets
          secretKey: openmetadata-mysql-password
    fernetkey:
      value: "jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA="
image:
  repository: docker.getcollate.io/openmetadata/server
  tag: "1.1.5"
"#,
                port = local_port(engine),
                name = db.name
            ),
        );
        let path = format!(
            "{}:{}",
            dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = run(
            &[
                "check",
                "--helm-values",
                values.to_str().unwrap(),
                "--namespace",
                "openmetadata",
                "--release",
                "openmetadata",
                "--format",
                "json",
            ],
            &[("PATH", &path), ("RUST_LOG", "debug")],
        );
        let report = check_json(&out);
        assert_eq!(
            check_by_id(&report, "db.connect")["status"],
            "pass",
            "{engine}: {report}\n{}",
            stderr(&out)
        );
        let settings = &report["settings"];
        assert_eq!(
            settings["password"]["source"],
            "secret openmetadata/mysql-secrets:openmetadata-mysql-password"
        );
        assert_eq!(
            settings["user"]["source"],
            format!(
                "{}:openmetadata.config.database.auth.username",
                values.display()
            )
        );
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(password), "the password leaked:\n{all}");
        // kubectl was asked once (the database and the installation settings share the
        // answer), with only names on its command line.
        let log = std::fs::read_to_string(dir.path().join("kubectl.log")).unwrap();
        assert_eq!(log, "get secret mysql-secrets -n openmetadata -o json\n");
    }
}
