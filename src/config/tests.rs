use std::io::Write;

use super::resolve::PASSWORD_FILE_MAX;
use super::*;
use crate::engine::Engine;

const OM_YAML: &str = r#"
server:
  applicationConnectors:
    - type: http
      port: ${SERVER_PORT:-8585}
database:
  # the name of the JDBC driver, mysql in this case
  driverClass: ${DB_DRIVER_CLASS:-com.mysql.cj.jdbc.Driver}
  user: ${DB_USER:-openmetadata_user}
  password: ${DB_USER_PASSWORD:-openmetadata_password}
  url: jdbc:${DB_SCHEME:-mysql}://${DB_HOST:-localhost}:${DB_PORT:-3306}/${OM_DATABASE:-openmetadata_db}?${DB_PARAMS:-allowPublicKeyRetrieval=true&useSSL=false&serverTimezone=UTC}
"#;

fn yaml_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

/// A file holding the test CA certificate.
fn ca_file() -> tempfile::NamedTempFile {
    yaml_file(tls_ca::TEST_CA)
}

fn resolve_with(inputs: DbInputs, env: &[(&str, &str)]) -> Resolved {
    resolve(&inputs, &Env::from_pairs(env.iter().copied())).unwrap()
}

#[test]
fn defaults_are_the_servers() {
    let s = resolve_with(DbInputs::default(), &[]).settings;
    assert_eq!(s.engine.value, Engine::Mysql);
    assert_eq!(s.host.value, "localhost");
    assert_eq!(s.port.value, 3306);
    assert_eq!(s.user.value, "openmetadata_user");
    assert_eq!(s.database.value, "openmetadata_db");
    assert_eq!(s.schema.value, "public");
    assert!(s.password.is_none());
    assert_eq!(s.tls.value.mode, TlsMode::Prefer);
    assert_eq!(s.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
    for source in [
        &s.engine.source,
        &s.host.source,
        &s.port.source,
        &s.user.source,
    ] {
        assert_eq!(*source, Source::Default);
    }
}

#[test]
fn default_port_follows_the_engine() {
    let s = resolve_with(
        DbInputs {
            engine: Some(Engine::Postgres),
            ..Default::default()
        },
        &[],
    )
    .settings;
    assert_eq!(s.port.value, 5432);
    assert_eq!(s.port.source, Source::Default);
}

#[test]
fn yaml_is_read_with_substitution_and_its_jdbc_url_parsed() {
    let file = yaml_file(OM_YAML);
    let s = resolve_with(
        DbInputs {
            config: Some(file.path().into()),
            ..Default::default()
        },
        &[],
    )
    .settings;
    let from_yaml = Source::ConfigFile(file.path().into());
    assert_eq!(s.engine, Sourced::new(Engine::Mysql, from_yaml.clone()));
    assert_eq!(
        s.host,
        Sourced::new("localhost".to_string(), from_yaml.clone())
    );
    assert_eq!(s.port, Sourced::new(3306, from_yaml.clone()));
    assert_eq!(s.database.value, "openmetadata_db");
    assert_eq!(
        s.user,
        Sourced::new("openmetadata_user".to_string(), from_yaml.clone())
    );
    let password = s.password.expect("the yaml's default password");
    assert_eq!(password.value.expose(), "openmetadata_password");
    assert_eq!(password.source, from_yaml);
    // useSSL=false in the default DB_PARAMS disables TLS.
    assert_eq!(s.tls.value.mode, TlsMode::Disable);
    assert!(
        s.params
            .iter()
            .any(|(k, v)| k == "serverTimezone" && v == "UTC")
    );
}

#[test]
fn env_beats_yaml_and_flags_beat_env() {
    let file = yaml_file(OM_YAML);
    let env = [
        ("DB_HOST", "db.env"),
        ("DB_PORT", "3307"),
        ("DB_USER", "env_user"),
        ("OM_DATABASE", "env_db"),
        ("DB_USER_PASSWORD", "env-secret"),
    ];
    let only_yaml = DbInputs {
        config: Some(file.path().into()),
        ..Default::default()
    };
    let s = resolve_with(only_yaml.clone(), &env).settings;
    assert_eq!(
        s.host,
        Sourced::new("db.env".to_string(), Source::Env("DB_HOST"))
    );
    assert_eq!(s.port, Sourced::new(3307, Source::Env("DB_PORT")));
    assert_eq!(s.user.source, Source::Env("DB_USER"));
    assert_eq!(
        s.database,
        Sourced::new("env_db".to_string(), Source::Env("OM_DATABASE"))
    );
    let password = s.password.unwrap();
    assert_eq!(password.value.expose(), "env-secret");
    assert_eq!(password.source, Source::Env("DB_USER_PASSWORD"));

    let with_flags = DbInputs {
        host: Some("db.flag".into()),
        port: Some(3310),
        user: Some("flag_user".into()),
        database: Some("flag_db".into()),
        ..only_yaml
    };
    let s = resolve_with(with_flags, &env).settings;
    assert_eq!(
        s.host,
        Sourced::new("db.flag".to_string(), Source::Flag("--host"))
    );
    assert_eq!(s.port, Sourced::new(3310, Source::Flag("--port")));
    assert_eq!(s.user.source, Source::Flag("--user"));
    assert_eq!(s.database.source, Source::Flag("--database"));
}

#[test]
fn yaml_with_postgres_driver_and_sslmode_params() {
    let text = OM_YAML.replace("${DB_SCHEME:-mysql}", "${DB_SCHEME:-postgresql}");
    let file = yaml_file(&text);
    let ca = ca_file();
    let params = format!("sslmode=verify-full&sslrootcert={}", ca.path().display());
    let s = resolve_with(
        DbInputs {
            config: Some(file.path().into()),
            ..Default::default()
        },
        &[
            ("DB_DRIVER_CLASS", "org.postgresql.Driver"),
            ("DB_PORT", "5432"),
            ("DB_PARAMS", params.as_str()),
        ],
    )
    .settings;
    assert_eq!(s.engine.value, Engine::Postgres);
    assert_eq!(s.engine.source, Source::Env("DB_DRIVER_CLASS"));
    assert_eq!(s.port.value, 5432);
    assert_eq!(s.tls.value.mode, TlsMode::VerifyFull);
    assert_eq!(s.tls.value.ca_file.as_deref(), Some(ca.path()));
    assert_eq!(s.tls.source, Source::Env("DB_PARAMS"));
}

#[test]
fn db_url_sits_between_flags_and_env() {
    let r = resolve_with(
        DbInputs {
            db_url: Some("postgres://alice:pw@pg.example:6543/om?sslmode=require".into()),
            database: Some("override".into()),
            ..Default::default()
        },
        &[("DB_HOST", "ignored"), ("DB_USER_PASSWORD", "ignored")],
    );
    let s = r.settings;
    assert_eq!(s.engine, Sourced::new(Engine::Postgres, Source::DbUrl));
    assert_eq!(
        s.host,
        Sourced::new("pg.example".to_string(), Source::DbUrl)
    );
    assert_eq!(s.port.value, 6543);
    assert_eq!(s.user.value, "alice");
    assert_eq!(s.database.source, Source::Flag("--database"));
    assert_eq!(s.password.unwrap().value.expose(), "pw");
    assert_eq!(s.tls.value.mode, TlsMode::Require);
    assert_eq!(
        r.warnings,
        vec![SettingsWarning::PasswordOnCommandLine { flag: "--db-url" }]
    );
}

#[test]
fn password_flag_works_but_warns() {
    let r = resolve_with(
        DbInputs {
            password: Some("s3cret".into()),
            ..Default::default()
        },
        &[("DB_USER_PASSWORD", "env")],
    );
    assert_eq!(r.settings.password.unwrap().value.expose(), "s3cret");
    assert_eq!(
        r.warnings,
        vec![SettingsWarning::PasswordOnCommandLine { flag: "--password" }]
    );
}

#[test]
fn password_file_first_line_and_permission_warning() {
    use std::os::unix::fs::PermissionsExt;
    let file = yaml_file("from-file\nsecond line ignored\n");
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = resolve_with(
        DbInputs {
            password_file: Some(file.path().into()),
            ..Default::default()
        },
        &[("DB_USER_PASSWORD", "env")],
    );
    assert_eq!(
        r.settings.password.as_ref().unwrap().value.expose(),
        "from-file"
    );
    assert!(matches!(
        r.warnings.as_slice(),
        [SettingsWarning::PasswordFileReadableByOthers { .. }]
    ));
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = resolve_with(
        DbInputs {
            password_file: Some(file.path().into()),
            ..Default::default()
        },
        &[],
    );
    assert!(r.warnings.is_empty());
}

#[test]
fn mysql_connector_j_tls_params() {
    let cases = [
        ("useSSL=true", TlsMode::Prefer),
        ("useSSL=true&requireSSL=true", TlsMode::Require),
        (
            "useSSL=true&verifyServerCertificate=true",
            TlsMode::VerifyCa,
        ),
        ("sslMode=VERIFY_IDENTITY", TlsMode::VerifyFull),
        ("sslMode=DISABLED&useSSL=true", TlsMode::Disable),
    ];
    for (params, expected) in cases {
        let s = resolve_with(DbInputs::default(), &[("DB_PARAMS", params)]).settings;
        assert_eq!(s.tls.value.mode, expected, "{params}");
    }
}

#[test]
fn flags_for_tls_win() {
    let ca = ca_file();
    let s = resolve_with(
        DbInputs {
            ssl_ca: Some(ca.path().into()),
            ..Default::default()
        },
        &[("DB_PARAMS", "useSSL=false")],
    )
    .settings;
    assert_eq!(s.tls.value.mode, TlsMode::VerifyCa);
    assert_eq!(s.tls.source, Source::Flag("--ssl-mode"));
}

fn resolve_err(inputs: DbInputs, env: &[(&str, &str)]) -> ConfigError {
    resolve(&inputs, &Env::from_pairs(env.iter().copied())).unwrap_err()
}

#[test]
fn missing_yaml_says_where_to_look() {
    let err = resolve_err(
        DbInputs {
            config: Some("/nonexistent/openmetadata.yaml".into()),
            ..Default::default()
        },
        &[],
    );
    assert!(matches!(err, ConfigError::ConfigFileMissing { .. }));
    assert!(err.to_string().contains("--config"), "{err}");
}

#[test]
fn malformed_yaml_gives_the_line() {
    let file = yaml_file("database:\n  url: [jdbc:mysql://h/db\n  user: x\n");
    let err = resolve_err(
        DbInputs {
            config: Some(file.path().into()),
            ..Default::default()
        },
        &[],
    );
    let ConfigError::ConfigYaml { error, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(error.line.is_some());
    assert!(err.to_string().contains("line"), "{err}");
}

#[test]
fn yaml_without_database_section() {
    let file = yaml_file("server:\n  port: 8585\n");
    let err = resolve_err(
        DbInputs {
            config: Some(file.path().into()),
            ..Default::default()
        },
        &[],
    );
    assert!(
        matches!(err, ConfigError::ConfigNoDatabase { .. }),
        "{err:?}"
    );
}

#[test]
fn unresolved_variable_in_the_url_is_an_error_with_its_line() {
    let file =
        yaml_file("database:\n  url: jdbc:mysql://${OM_DB_HOST}:3306/db\nother: ${ALSO_UNSET}\n");
    let err = resolve_err(
        DbInputs {
            config: Some(file.path().into()),
            ..Default::default()
        },
        &[],
    );
    let ConfigError::UnresolvedVariable { variable, line, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!((variable.as_str(), *line), ("OM_DB_HOST", 2));
}

#[test]
fn bad_env_values_are_named() {
    let err = resolve_err(DbInputs::default(), &[("DB_PORT", "33o6")]);
    assert!(err.to_string().contains("DB_PORT"), "{err}");
    let err = resolve_err(
        DbInputs::default(),
        &[("DB_DRIVER_CLASS", "oracle.jdbc.OracleDriver")],
    );
    assert!(err.to_string().contains("DB_DRIVER_CLASS"), "{err}");
    let err = resolve_err(DbInputs::default(), &[("DB_PARAMS", "sslmode=sometimes")]);
    assert!(err.to_string().contains("sslmode"), "{err}");
}

#[test]
fn malformed_db_url_is_a_config_error() {
    let err = resolve_err(
        DbInputs {
            db_url: Some("mysql//nope".into()),
            ..Default::default()
        },
        &[],
    );
    assert!(matches!(err, ConfigError::BadUrl { .. }), "{err:?}");
}

#[test]
fn views_and_debug_never_show_the_password() {
    let s = resolve_with(
        DbInputs {
            password: Some("hunter2-very-secret".into()),
            ..Default::default()
        },
        &[],
    )
    .settings;
    let json = serde_json::to_string(&SettingsView::from(&s)).unwrap();
    assert!(!json.contains("hunter2"), "{json}");
    assert!(json.contains("***"));
    assert!(!format!("{s:?}").contains("hunter2"));
    assert!(!s.display_url().contains("hunter2"));
}

#[test]
fn a_ca_file_that_holds_no_certificate_is_a_settings_error_naming_it() {
    let not_pem = yaml_file("just some notes\n");
    let folder = tempfile::tempdir().unwrap();
    for (path, why) in [
        (not_pem.path(), "holds no PEM certificate"),
        (folder.path(), "a folder, not a file"),
    ] {
        let err = resolve_err(
            DbInputs {
                ssl_ca: Some(path.into()),
                ..Default::default()
            },
            &[],
        );
        assert!(matches!(err, ConfigError::CaFile { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("(given with --ssl-ca)"), "{text}");
        assert!(text.contains(why), "{text}");
        assert!(text.contains("give the PEM file of the CA"), "{text}");
    }
    // From the url parameters too.
    let params = format!("sslmode=verify-ca&sslrootcert={}", not_pem.path().display());
    let err = resolve_err(DbInputs::default(), &[("DB_PARAMS", params.as_str())]);
    assert!(
        err.to_string().contains("sslrootcert in DB_PARAMS"),
        "{err}"
    );
    // A mode that does not verify never reads it: a server-side path is no error here.
    let unused = "sslmode=require&sslrootcert=/opt/openmetadata/certs/ca.pem";
    let s = resolve_with(DbInputs::default(), &[("DB_PARAMS", unused)]).settings;
    assert_eq!(s.tls.value.mode, TlsMode::Require);
}

#[test]
fn port_0_is_refused_from_every_source() {
    let err = resolve_err(DbInputs::default(), &[("DB_PORT", "0")]);
    assert!(err.to_string().contains("a port number (1-65535)"), "{err}");
    let err = resolve_err(
        DbInputs {
            db_url: Some("mysql://u@h:0/db".into()),
            ..Default::default()
        },
        &[],
    );
    assert!(
        err.to_string()
            .contains("'0' is not a port number (1-65535)"),
        "{err}"
    );
    assert_eq!(parse_port("0"), Err(BadPort("0".into())));
    assert_eq!(parse_port("65535"), Ok(65535));
}

#[test]
fn a_password_file_that_is_a_device_or_huge_is_refused_and_a_pipe_is_read() {
    let err = resolve_err(
        DbInputs {
            password_file: Some("/dev/zero".into()),
            ..Default::default()
        },
        &[],
    );
    assert!(
        err.to_string().contains("a device, not a regular file"),
        "{err}"
    );
    let huge = yaml_file(&"x".repeat(PASSWORD_FILE_MAX + 1));
    let err = resolve_err(
        DbInputs {
            password_file: Some(huge.path().into()),
            ..Default::default()
        },
        &[],
    );
    assert!(err.to_string().contains("larger than 64.0 KiB"), "{err}");
}
