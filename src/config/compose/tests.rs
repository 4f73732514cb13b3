use std::path::Path;

use super::*;
use crate::config::Source;

/// Shaped like the upstream quickstart file: a database, a search engine, the one-shot
/// migration service and the server, most values `${VAR:-default}`.
const UPSTREAM_SHAPED: &str = r#"version: "3.9"
services:
  mysql:
    container_name: openmetadata_mysql
    image: docker.getcollate.io/openmetadata/db:1.1.5
    ports:
      - "13306:3306"
  elasticsearch:
    image: docker.elastic.co/elasticsearch/elasticsearch:8.10.2
    ports:
      - target: 9200
        published: "19200"
  execute-migrate-all:
    image: docker.getcollate.io/openmetadata/server:1.1.5
    command: "./bootstrap/bootstrap_storage.sh migrate-all"
    environment:
      DB_HOST: ${DB_HOST:-wrong-service}
  openmetadata-server:
    image: docker.getcollate.io/openmetadata/server:${OM_VERSION:-1.1.5}
    environment:
      DB_DRIVER_CLASS: ${DB_DRIVER_CLASS:-com.mysql.cj.jdbc.Driver}
      DB_SCHEME: ${DB_SCHEME:-mysql}
      DB_USER: ${DB_USER:-openmetadata_user}
      DB_USER_PASSWORD: ${DB_USER_PASSWORD:-openmetadata_password}
      DB_HOST: ${DB_HOST:-mysql}
      DB_PORT: ${DB_PORT:-3306}
      OM_DATABASE: ${OM_DATABASE:-openmetadata_db}
      ELASTICSEARCH_HOST: ${ELASTICSEARCH_HOST:- elasticsearch}
      ELASTICSEARCH_USER: ${ELASTICSEARCH_USER:-""}
      SEARCH_TYPE: ${SEARCH_TYPE:- "elasticsearch"}
      FERNET_KEY: ${FERNET_KEY:-jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA=}
      SERVER_HOST_API_URL: ${SERVER_HOST_API_URL:-http://openmetadata-server:8585/api}
    ports:
      - "8585:8585"
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn value<'a>(d: &'a Deployment, name: &str) -> &'a str {
    &d.vars[name].value
}

fn compose_line(d: &Deployment, name: &str) -> usize {
    match &d.vars[name].source {
        Source::Compose { line, .. } => *line,
        other => panic!("{name} from {other}"),
    }
}

#[test]
fn reads_the_server_service_with_the_dotenv_and_published_ports() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "docker-compose.yml", UPSTREAM_SHAPED);
    write(
        dir.path(),
        ".env",
        "# only the password\nDB_USER_PASSWORD=s3cret-pw\nOM_VERSION=1.1.7\n",
    );
    let d = load(&file, &Env::default()).unwrap();
    assert_eq!(value(&d, "DB_USER_PASSWORD"), "s3cret-pw");
    assert_eq!(value(&d, "DB_USER"), "openmetadata_user");
    // `mysql` is a service: the address it publishes, and the source says so.
    assert_eq!(value(&d, "DB_HOST"), "127.0.0.1");
    assert_eq!(value(&d, "DB_PORT"), "13306");
    assert_eq!(compose_line(&d, "DB_HOST"), 25);
    assert_eq!(compose_line(&d, "DB_PORT"), 7);
    assert_eq!(
        d.vars["DB_HOST"].source.to_string(),
        format!(
            "{}:25 (DB_HOST=mysql is service mysql, published on 127.0.0.1:13306)",
            file.display()
        )
    );
    assert_eq!(
        d.vars["DB_USER_PASSWORD"].source.to_string(),
        format!(
            "{}:24 (DB_USER_PASSWORD from {}:2)",
            file.display(),
            dir.path().join(".env").display()
        )
    );
    // The search engine's host had a leading blank in the default; the long syntax publishes it.
    assert_eq!(value(&d, "ELASTICSEARCH_HOST"), "127.0.0.1");
    assert_eq!(value(&d, "ELASTICSEARCH_PORT"), "19200");
    assert_eq!(value(&d, "ELASTICSEARCH_USER"), "");
    assert_eq!(value(&d, "SEARCH_TYPE"), " \"elasticsearch\"");
    assert_eq!(
        value(&d, "SERVER_HOST_API_URL"),
        "http://127.0.0.1:8585/api"
    );
    assert_eq!(
        value(&d, "FERNET_KEY"),
        "jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA="
    );
    let tag = d.image_tag.unwrap();
    assert_eq!(tag.value, "1.1.7");
    assert!(
        tag.source.to_string().contains(":19 (OM_VERSION from"),
        "{}",
        tag.source
    );
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn the_shell_wins_over_the_dotenv_for_interpolation() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "docker-compose.yml", UPSTREAM_SHAPED);
    write(dir.path(), ".env", "DB_USER=from_dotenv\n");
    let d = load(&file, &Env::from_pairs([("DB_USER", "from_shell")])).unwrap();
    assert_eq!(value(&d, "DB_USER"), "from_shell");
    // No .env line to name: the compose line alone.
    assert_eq!(
        d.vars["DB_USER"].source.to_string(),
        format!("{}:23", file.display())
    );
}

#[test]
fn list_form_env_file_and_variables_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "compose.yaml",
        "services:\n  om:\n    image: openmetadata/server:1.2.0\n    env_file:\n      \
         - server.env\n      - path: optional.env\n        required: false\n    environment:\n      \
         - DB_HOST=db.internal\n      - DB_USER_PASSWORD\n      - OM_DATABASE=$$literal\n",
    );
    write(
        dir.path(),
        "server.env",
        "DB_HOST=overridden\nDB_USER=om_env_file\n",
    );
    let d = load(&file, &Env::from_pairs([("DB_USER_PASSWORD", "pw")])).unwrap();
    assert_eq!(value(&d, "DB_HOST"), "db.internal");
    assert_eq!(compose_line(&d, "DB_HOST"), 9);
    assert_eq!(value(&d, "DB_USER"), "om_env_file");
    assert_eq!(
        d.vars["DB_USER"].source.to_string(),
        format!("{}:2", dir.path().join("server.env").display())
    );
    assert_eq!(value(&d, "DB_USER_PASSWORD"), "pw");
    assert_eq!(value(&d, "OM_DATABASE"), "$literal");
    assert_eq!(d.image_tag.unwrap().value, "1.2.0");
}

#[test]
fn a_service_that_publishes_nothing_is_a_warning_not_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "docker-compose.yml",
        "services:\n  postgresql:\n    image: postgres:15\n  server:\n    \
         image: openmetadata/server:1.3.0\n    environment:\n      DB_HOST: postgresql\n      \
         DB_SCHEME: postgresql\n",
    );
    let d = load(&file, &Env::default()).unwrap();
    assert_eq!(value(&d, "DB_HOST"), "postgresql");
    let warning = d.warnings[0].to_string();
    assert!(warning.contains("does not publish port 5432"), "{warning}");
}

fn error_of(compose: &str, dotenv: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "docker-compose.yml", compose);
    if let Some(dotenv) = dotenv {
        write(dir.path(), ".env", dotenv);
    }
    load(&file, &Env::default())
        .unwrap_err()
        .to_string()
        .replace(&dir.path().display().to_string(), "DIR")
}

#[test]
fn a_variable_without_value_or_default_names_the_file_line_and_variable() {
    let compose = "services:\n  om:\n    image: openmetadata/server:1.1.5\n    environment:\n      \
                   DB_USER_PASSWORD: ${DB_PASSWORD}\n";
    assert_eq!(
        error_of(compose, Some("OTHER=1\n")),
        "DIR/docker-compose.yml line 5 uses ${DB_PASSWORD}, which is not set and has no \
         default: set it in DIR/.env or export it"
    );
    let required = "services:\n  om:\n    image: openmetadata/server:1.1.5\n    environment:\n      \
                    - DB_USER_PASSWORD=${DB_PASSWORD:?put the password in .env}\n";
    assert_eq!(
        error_of(required, None),
        "DIR/docker-compose.yml line 5: DB_PASSWORD is required: put the password in .env"
    );
}

#[test]
fn broken_and_hostile_files_give_one_clear_error() {
    assert_eq!(
        error_of("just a string\n", None),
        "DIR/docker-compose.yml is not a docker compose file: it has no `services:` mapping"
    );
    assert_eq!(
        error_of(
            "services:\n  db:\n    image: mysql:8\n  web:\n    image: nginx\n",
            None
        ),
        "DIR/docker-compose.yml has no OpenMetadata server service (one whose image is \
         openmetadata/server); its services: db, web"
    );
    let syntax = error_of("services:\n  om: [unclosed\n", None);
    assert!(
        syntax.starts_with("DIR/docker-compose.yml: not valid YAML"),
        "{syntax}"
    );
    let laughs = format!(
        "a: &a [x,x,x,x,x,x,x,x,x,x]\n{}services: {{}}\n",
        (b'b'..=b'j')
            .map(|c| {
                let prev = (c - 1) as char;
                let c = c as char;
                format!("{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n")
            })
            .collect::<String>()
    );
    let expanded = error_of(&laughs, None);
    assert!(
        expanded.contains("the most a YAML file may hold"),
        "{expanded}"
    );
    let env_file =
        "services:\n  om:\n    image: openmetadata/server:1.1.5\n    env_file: /dev/zero\n";
    assert!(
        error_of(env_file, None).starts_with("cannot read the env file /dev/zero"),
        "{}",
        error_of(env_file, None)
    );
    let missing =
        "services:\n  om:\n    image: openmetadata/server:1.1.5\n    env_file: gone.env\n";
    assert!(
        error_of(missing, None).starts_with("cannot read the env file DIR/gone.env"),
        "{}",
        error_of(missing, None)
    );
    assert!(
        error_of(
            "services:\n  om:\n    image: openmetadata/server\n    environment: 5\n",
            None
        )
        .contains("neither a mapping nor a list")
    );
    assert_eq!(
        error_of(
            "services:\n  om:\n    image: openmetadata/server\n",
            Some("broken line\n")
        ),
        "DIR/.env line 1: expected NAME=VALUE; fix the file or give the settings with flags"
    );
    let repeated = format!(
        "services:\n  om:\n    image: openmetadata/server\n    environment:\n{}",
        (0..20)
            .map(|i| format!("      V{i}: ${{BIG}}\n"))
            .collect::<String>()
    );
    let big = format!("BIG={}\n", "x".repeat(900_000));
    assert_eq!(
        error_of(&repeated, Some(&big)),
        "the values of DIR/docker-compose.yml grow past 8.0 MiB once their ${VAR}s are replaced \
         (are variables repeated on purpose?)"
    );
    let dir = tempfile::tempdir().unwrap();
    assert!(
        load(&dir.path().join("nope.yml"), &Env::default())
            .unwrap_err()
            .to_string()
            .ends_with(
                "does not exist: give the docker-compose.yml the installation was started with"
            )
    );
}

#[test]
fn finds_the_file_compose_would_use() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(find_in(dir.path()), None);
    write(dir.path(), "docker-compose.yml", "services: {}\n");
    assert_eq!(
        find_in(dir.path()),
        Some(dir.path().join("docker-compose.yml"))
    );
    write(dir.path(), "compose.yaml", "services: {}\n");
    assert_eq!(find_in(dir.path()), Some(dir.path().join("compose.yaml")));
    std::fs::create_dir(dir.path().join("compose.yml")).unwrap();
    assert_eq!(find_in(dir.path()), Some(dir.path().join("compose.yaml")));
}
