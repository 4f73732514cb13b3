use std::os::unix::fs::PermissionsExt;

use super::*;

/// Shaped like the chart's values.yaml (the keys this reads, and some it does not).
const VALUES: &str = r#"replicaCount: 1
openmetadata:
  config:
    logLevel: INFO
    elasticsearch:
      enabled: true
      host: opensearch
      searchType: opensearch
      port: 9200
      scheme: http
      auth:
        enabled: false
        username: "elasticsearch"
        password:
          secretRef: elasticsearch-secrets
          secretKey: openmetadata-elasticsearch-password
    database:
      enabled: true
      host: 127.0.0.1
      port: 3306
      driverClass: com.mysql.cj.jdbc.Driver
      dbScheme: mysql
      databaseName: openmetadata_db
      auth:
        username: openmetadata_user
        password:
          secretRef: mysql-secrets
          secretKey: openmetadata-mysql-password
      dbParams: "allowPublicKeyRetrieval=true&useSSL=false&serverTimezone=UTC"
    fernetkey:
      value: "jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA="
      secretRef: ""
      secretKey: ""
    secretsManager:
      provider: db
image:
  repository: docker.getcollate.io/openmetadata/server
  tag: "1.1.5"
"#;

/// A `kubectl` that answers `get secret mysql-secrets -n openmetadata -o json` as kubectl does
/// (the recorded shape), records its arguments, and fails like kubectl for anything else.
pub(crate) fn stand_in_kubectl(dir: &Path) -> PathBuf {
    let script = format!(
        r#"#!/bin/sh
echo "$@" >> "{log}"
if [ "$*" = "get secret mysql-secrets -n openmetadata -o json" ]; then
cat <<'JSON'
{{
    "apiVersion": "v1",
    "data": {{
        "openmetadata-mysql-password": "czNjcmV0LXB3"
    }},
    "kind": "Secret",
    "metadata": {{
        "name": "mysql-secrets",
        "namespace": "openmetadata",
        "resourceVersion": "1234"
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
    path
}

fn inputs(namespace: Option<&str>) -> DeploymentInputs {
    DeploymentInputs {
        namespace: namespace.map(str::to_string),
        release: Some("openmetadata".into()),
        ..Default::default()
    }
}

#[test]
fn reads_the_chart_values_and_the_password_secret_through_kubectl() {
    let dir = tempfile::tempdir().unwrap();
    stand_in_kubectl(dir.path());
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, VALUES).unwrap();
    let env = Env::from_pairs([("PATH", dir.path().to_str().unwrap())]);
    let d = load(&values, &inputs(Some("openmetadata")), &env).unwrap();
    let var = |name: &str| d.vars[name].value.clone();
    assert_eq!(var("DB_HOST"), "127.0.0.1");
    assert_eq!(var("DB_PORT"), "3306");
    assert_eq!(var("DB_USER"), "openmetadata_user");
    assert_eq!(var("OM_DATABASE"), "openmetadata_db");
    assert_eq!(var("DB_SCHEME"), "mysql");
    assert_eq!(var("DB_USER_PASSWORD"), "s3cret-pw");
    assert_eq!(var("ELASTICSEARCH_HOST"), "opensearch");
    assert_eq!(var("SEARCH_TYPE"), "opensearch");
    assert_eq!(var("SECRET_MANAGER"), "db");
    assert_eq!(
        var("FERNET_KEY"),
        "jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA="
    );
    // The search engine's auth is off: its Secret is not asked for.
    assert!(!d.vars.contains_key("ELASTICSEARCH_PASSWORD"));
    assert_eq!(
        d.vars["DB_HOST"].source.to_string(),
        format!("{}:openmetadata.config.database.host", values.display())
    );
    assert_eq!(
        d.vars["DB_USER_PASSWORD"].source.to_string(),
        "secret openmetadata/mysql-secrets:openmetadata-mysql-password"
    );
    assert_eq!(d.image_tag.as_ref().unwrap().value, "1.1.5");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // kubectl was asked once, and only names were on its command line.
    let log = std::fs::read_to_string(dir.path().join("kubectl.log")).unwrap();
    assert_eq!(log, "get secret mysql-secrets -n openmetadata -o json\n");
}

#[test]
fn without_kubectl_or_the_secret_the_warning_says_which_secret_and_how() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, VALUES).unwrap();
    // No kubectl on this PATH.
    let env = Env::from_pairs([("PATH", dir.path().to_str().unwrap())]);
    let d = load(&values, &inputs(Some("om")), &env).unwrap();
    assert!(!d.vars.contains_key("DB_USER_PASSWORD"));
    let warning = d.warnings[0].to_string();
    assert_eq!(
        warning,
        format!(
            "the database password is key openmetadata-mysql-password of Secret mysql-secrets in \
             namespace om ({}:openmetadata.config.database.auth.password), and it was not read: \
             kubectl is not on PATH. Give it with DB_USER_PASSWORD=\"$(kubectl get secret \
             mysql-secrets -n om -o jsonpath='{{.data.openmetadata-mysql-password}}' | base64 \
             -d)\" (or use --password-file)",
            values.display()
        )
    );
    // kubectl there, the Secret not: kubectl's own words.
    stand_in_kubectl(dir.path());
    let d = load(&values, &inputs(Some("elsewhere")), &env).unwrap();
    let warning = d.warnings[0].to_string();
    assert!(
        warning.contains(
            "kubectl failed: Error from server (NotFound): secrets \"mysql-secrets\" not found"
        ),
        "{warning}"
    );
    // Given in the environment: kubectl is not asked.
    std::fs::remove_file(dir.path().join("kubectl.log")).unwrap();
    let env = Env::from_pairs([
        ("PATH", dir.path().to_str().unwrap()),
        ("DB_USER_PASSWORD", "given"),
    ]);
    let d = load(&values, &inputs(Some("openmetadata")), &env).unwrap();
    assert!(d.warnings.is_empty());
    assert!(!dir.path().join("kubectl.log").exists());
}

#[test]
fn a_cluster_host_gets_port_forward_advice_and_bad_files_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "openmetadata:\n  config:\n    database:\n      host: mysql\n      port: 3306\n",
    )
    .unwrap();
    let d = load(&values, &inputs(Some("om")), &Env::default()).unwrap();
    assert_eq!(
        d.warnings[0].to_string(),
        "the database host mysql is a name inside the cluster: from outside it, run `kubectl \
         port-forward svc/mysql 3306:3306 -n om` and give --host 127.0.0.1"
    );
    std::fs::write(&values, "mysql:\n  enabled: true\n").unwrap();
    let error = load(&values, &inputs(Some("om")), &Env::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{} has no `openmetadata.config` section: is it the values of the OpenMetadata chart \
             (not openmetadata-dependencies)? (`helm get values openmetadata -n om -o yaml > \
             values.yaml` writes it)",
            values.display()
        )
    );
    std::fs::write(&values, "openmetadata: [\n").unwrap();
    let error = load(&values, &inputs(None), &Env::default()).unwrap_err();
    assert!(error.to_string().contains("not valid YAML"), "{error}");
}
