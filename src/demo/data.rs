//! Deterministic sample content of an OpenMetadata 1.1.x installation.
//!
//! Everything the release probes look for is here in known numbers (returned in
//! [`Expected`]): queries the 1.2 migration deletes, Domo services still on `sandboxDomain`,
//! duplicate time-series rows, draft glossary terms, plus values that are hard to back up
//! (quotes, backslashes, newlines, unicode, NULL versus empty, large JSON).

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use md5::{Digest, Md5};
use serde_json::{Value, json};

use super::writer::{Sink, Val};
use crate::db::DbError;

/// 2023-09-01T00:00:00Z: the sample's installation looks a few months old in late 2023.
const EPOCH_MS: i64 = 1_693_526_400_000;
const DAY_MS: i64 = 86_400_000;

/// Strings that break naive escaping.
const TRICKY: [&str; 8] = [
    "Customer's \"golden\" record",
    "Path C:\\data\\raw and regex \\d+\\.csv",
    "Line one\nLine two\n\ttabbed",
    "Unicode: naïve café — 数据仓库 — بيانات — 🚀",
    "Percent 100% and %s and $1 and ?",
    "Backslash at the end \\",
    "SQL-ish '); DROP TABLE users; --",
    "",
];

/// Numbers the sample was built with, for tests and for the operator.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Expected {
    pub queries_total: u64,
    /// Queries the 1.2.0 migration deletes (no table path to a database service).
    pub queries_deleted_by_1_2: u64,
    /// Domo services with `connection.config.sandboxDomain`, per service table.
    pub domo_sandbox_domain: Vec<(String, u64)>,
    /// Domo services without `sandboxDomain` (the Postgres 1.2.0 statement risks them).
    pub domo_without_sandbox_domain: u64,
    /// Rows 1.2.0 deletes as duplicates of entity_extension_time_series.
    pub time_series_duplicates: u64,
    pub draft_glossary_terms: u64,
    /// Metadata ingestion pipelines still using viewParsingTimeoutLimit / markAllDeletedTables.
    pub pipelines_with_renamed_options: u64,
    /// Metadata pipelines without viewParsingTimeoutLimit (the Postgres 1.2.0 statement risks them).
    pub pipelines_without_view_parsing_timeout: u64,
    /// Test cases whose testCaseResult has a testCaseFailureStatus (1.3.0 removes it).
    pub test_cases_with_failure_status: u64,
    /// entity_extension rows ending in customMetrics (1.3.0 deletes them).
    pub custom_metrics_rows: u64,
    /// Tables with a single `owner`, and stored entity versions with one (1.5.0 owner → owners).
    pub tables_with_single_owner: u64,
    pub entity_versions_with_single_owner: u64,
    /// Custom properties of the types date, dateTime and time (1.5.0 deletes those types).
    pub custom_properties_of_removed_types: u64,
    /// DeltaLake services with the pre-1.5 metastoreConnection shape.
    pub deltalake_old_shape: u64,
    /// Glossary terms with `status` and no `entityStatus` (1.10.0 moves it).
    pub glossary_terms_with_status: u64,
    /// Task threads (2.0.0 moves them to task_entity).
    pub task_threads: u64,
    /// Service connections holding `fernet:` encrypted secrets.
    pub connections_with_fernet_secrets: u64,
}

/// A small deterministic generator (splitmix64): the same scale gives the same database.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

fn md5_hex(text: &str) -> String {
    let digest = Md5::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// OpenMetadata's FQN hash: one MD5 per dotted part, joined with dots.
fn fqn_hash(fqn: &str) -> String {
    fqn.split('.').map(md5_hex).collect::<Vec<_>>().join(".")
}

fn ts(ms: i64) -> NaiveDateTime {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

/// Reference to an entity, as OpenMetadata embeds it in other documents.
#[derive(Debug, Clone)]
struct Ref {
    id: String,
    kind: &'static str,
    name: String,
    fqn: String,
}

impl Ref {
    fn json(&self) -> Value {
        json!({"id": self.id, "type": self.kind, "name": self.name, "fullyQualifiedName": self.fqn, "deleted": false})
    }
}

// Relationship ordinals (openmetadata-spec entityRelationship.json).
const CONTAINS: i64 = 0;
const MENTIONED_IN: i64 = 5;
const USES: i64 = 7;
const OWNS: i64 = 8;
const HAS: i64 = 10;
const FOLLOWS: i64 = 11;
const UPSTREAM: i64 = 13;

pub struct Generator<'s, 'db> {
    sink: &'s mut Sink<'db>,
    rng: Rng,
    clock: i64,
    pub expected: Expected,
    tricky: usize,
    task_id: i64,
    users: Vec<Ref>,
    teams: Vec<Ref>,
    tags: Vec<(String, String)>,
    glossary: Option<Ref>,
}

const COLUMN_TYPES: [(&str, &str); 8] = [
    ("BIGINT", "bigint"),
    ("VARCHAR", "varchar(255)"),
    ("TIMESTAMP", "timestamp"),
    ("DECIMAL", "decimal(18,2)"),
    ("BOOLEAN", "boolean"),
    ("JSON", "json"),
    ("DATE", "date"),
    ("TEXT", "text"),
];

impl<'s, 'db> Generator<'s, 'db> {
    pub fn new(sink: &'s mut Sink<'db>) -> Self {
        Generator {
            sink,
            rng: Rng(0x000A_11CE_5EED_u64),
            clock: EPOCH_MS,
            expected: Expected::default(),
            tricky: 0,
            task_id: 0,
            users: Vec::new(),
            teams: Vec::new(),
            tags: Vec::new(),
            glossary: None,
        }
    }

    fn tick(&mut self) -> i64 {
        self.clock += 1000 + self.rng.below(60_000) as i64;
        self.clock
    }

    fn tricky(&mut self) -> &'static str {
        self.tricky = (self.tricky + 1) % TRICKY.len();
        TRICKY[self.tricky]
    }

    fn description(&mut self, what: &str) -> String {
        format!("{what}. {}", self.tricky())
    }

    fn new_ref(&mut self, kind: &'static str, name: &str, parent_fqn: Option<&str>) -> Ref {
        let fqn = match parent_fqn {
            Some(parent) => format!("{parent}.{name}"),
            None => name.to_string(),
        };
        Ref {
            id: self.rng.uuid(),
            kind,
            name: name.to_string(),
            fqn,
        }
    }

    fn base_doc(&mut self, r: &Ref, what: &str) -> Value {
        let updated_at = self.tick();
        let description = self.description(what);
        json!({
            "id": r.id,
            "name": r.name,
            "fullyQualifiedName": r.fqn,
            "description": description,
            "version": 0.1,
            "updatedAt": updated_at,
            "updatedBy": "admin",
            "href": format!("http://localhost:8585/api/v1/{}s/{}", r.kind, r.id),
            "deleted": false,
        })
    }

    async fn entity(
        &mut self,
        table: &'static str,
        r: &Ref,
        doc: Value,
        by_fqn: bool,
    ) -> Result<(), DbError> {
        let hash = if by_fqn {
            fqn_hash(&r.fqn)
        } else {
            md5_hex(&r.name)
        };
        self.sink
            .push(table, vec![Val::Json(doc.to_string()), Val::Text(hash)])
            .await
    }

    async fn relate(
        &mut self,
        from: &Ref,
        to: &Ref,
        relation: i64,
        json: Option<Value>,
    ) -> Result<(), DbError> {
        self.sink
            .push(
                "entity_relationship",
                vec![
                    Val::Text(from.id.clone()),
                    Val::Text(to.id.clone()),
                    Val::Text(from.kind.to_string()),
                    Val::Text(to.kind.to_string()),
                    Val::Int(relation),
                    match &json {
                        Some(_) => Val::Text("entityRelationship".into()),
                        None => Val::Null,
                    },
                    json.map_or(Val::Null, |j| Val::Json(j.to_string())),
                    Val::Bool(false),
                ],
            )
            .await
    }

    async fn change_event(&mut self, r: &Ref, event: &str) -> Result<(), DbError> {
        let at = self.tick();
        let doc = json!({
            "eventType": event, "entityType": r.kind, "entityId": r.id,
            "entityFullyQualifiedName": r.fqn, "userName": "admin", "timestamp": at,
            "currentVersion": 0.1, "previousVersion": 0.1,
        });
        self.sink
            .push("change_event", vec![Val::Json(doc.to_string())])
            .await
    }

    /// Bookkeeping of a server that ran the 1.1.0 … 1.1.5 native migrations after Flyway v001 … v013.
    pub async fn bookkeeping(&mut self) -> Result<(), DbError> {
        for (rank, script) in (1..=13).enumerate() {
            let at = ts(EPOCH_MS - 200 * DAY_MS + rank as i64 * 1000);
            self.sink
                .push(
                    "DATABASE_CHANGE_LOG",
                    vec![
                        Val::Int(rank as i64 + 1),
                        Val::Text(format!("{script:03}")),
                        Val::Text(format!("create db connection info {script}")),
                        Val::Text("SQL".into()),
                        Val::Text(format!("v{script:03}__create_db_connection_info.sql")),
                        Val::Int(-(self.rng.below(1 << 30) as i64)),
                        Val::Text("openmetadata_user".into()),
                        Val::Ts(at),
                        Val::Int(40 + rank as i64),
                        Val::Bool(true),
                    ],
                )
                .await?;
        }
        for patch in 0..=5 {
            let version = format!("1.1.{patch}");
            let at = EPOCH_MS - (10 - patch) * 7 * DAY_MS;
            self.sink
                .push(
                    "SERVER_CHANGE_LOG",
                    vec![
                        Val::Int(patch + 1),
                        Val::Text(version.clone()),
                        Val::Text(format!("bootstrap/sql/migrations/native/{version}")),
                        Val::Text(self.rng.uuid()),
                        Val::Ts(ts(at)),
                    ],
                )
                .await?;
            for n in 0..3 {
                let statement = format!(
                    "UPDATE dbservice_entity SET json = JSON_REMOVE(json, '$.connection.config.legacy{n}') WHERE serviceType = 'Mysql' /* {version} */"
                );
                self.sink
                    .push(
                        "SERVER_MIGRATION_SQL_LOGS",
                        vec![
                            Val::Text(version.clone()),
                            Val::Text(statement.clone()),
                            Val::Text(md5_hex(&statement)),
                            Val::Ts(ts(at + n * 1000)),
                        ],
                    )
                    .await?;
            }
        }
        for (id, (config_type, doc)) in [
            ("emailConfiguration", json!({"emailingEntity": "OpenMetadata", "supportUrl": "https://slack.open-metadata.org", "enableSmtpServer": false, "senderMail": "it's-me@example.com", "serverEndpoint": "", "serverPort": 587, "username": "", "password": "", "transportationStrategy": "SMTP_TLS"})),
            ("customLogoConfiguration", json!({"customLogoUrlPath": "", "customMonogramUrlPath": ""})),
            ("loginConfiguration", json!({"maxLoginFailAttempts": 3, "accessBlockTime": 600, "jwtTokenExpiryTime": 3600})),
        ]
        .into_iter()
        .enumerate()
        {
            self.sink
                .push("openmetadata_settings", vec![Val::Int(id as i64 + 1), Val::Text(config_type.into()), Val::Json(doc.to_string())])
                .await?;
        }
        Ok(())
    }

    /// Users, teams, roles, bots, tags, glossary, services.
    pub async fn fixtures(&mut self) -> Result<Services, DbError> {
        for role in ["DataConsumer", "DataSteward", "DataOwner"] {
            let r = self.new_ref("role", role, None);
            let doc = self.base_doc(&r, &format!("Role {role}"));
            self.entity("role_entity", &r, doc, false).await?;
            let p = self.new_ref("policy", &format!("{role}Policy"), None);
            let mut doc = self.base_doc(&p, "Policy");
            doc["rules"] = json!([{"name": format!("{role}Rule"), "effect": "allow", "operations": ["ViewAll"], "resources": ["all"]}]);
            self.entity("policy_entity", &p, doc, true).await?;
        }
        let org = self.new_ref("team", "Organization", None);
        let mut doc = self.base_doc(&org, "The whole organisation");
        doc["teamType"] = json!("Organization");
        self.entity("team_entity", &org, doc, false).await?;
        self.teams.push(org);
        let admin = self.user("admin", false).await?;
        self.users.push(admin);
        let bot_user = self.user("ingestion-bot", true).await?;
        let bot = self.new_ref("bot", "ingestion-bot", None);
        let mut doc = self.base_doc(&bot, "Bot used by ingestion pipelines");
        doc["botUser"] = bot_user.json();
        self.entity("bot_entity", &bot, doc, false).await?;

        for (classification, tags) in [
            ("PII", vec!["Sensitive", "NonSensitive", "None"]),
            ("Tier", vec!["Tier1", "Tier2", "Tier3", "Tier4", "Tier5"]),
        ] {
            let c = self.new_ref("classification", classification, None);
            let mut doc = self.base_doc(&c, &format!("{classification} classification"));
            doc["mutuallyExclusive"] = json!(true);
            self.entity("classification", &c, doc, false).await?;
            for tag in tags {
                let t = self.new_ref("tag", tag, Some(classification));
                let mut doc = self.base_doc(&t, &format!("Tag {tag}"));
                doc["classification"] = c.json();
                self.entity("tag", &t, doc, true).await?;
                self.relate(&c, &t, CONTAINS, None).await?;
                self.tags.push((t.fqn.clone(), fqn_hash(&t.fqn)));
            }
        }
        let glossary = self.new_ref("glossary", "Business Glossary", None);
        let doc = self.base_doc(&glossary, "Terms the business uses");
        self.entity("glossary_entity", &glossary, doc, false)
            .await?;
        self.glossary = Some(glossary);

        let om = self.new_ref("metadataService", "OpenMetadata", None);
        let mut doc = self.base_doc(&om, "OpenMetadata's own service");
        doc["serviceType"] = json!("OpenMetadata");
        doc["connection"] = json!({"config": {"type": "OpenMetadata", "hostPort": "http://localhost:8585/api", "authProvider": "openmetadata", "secretsManagerProvider": "noop"}});
        self.entity("metadata_service_entity", &om, doc, false)
            .await?;

        let mysql = self
            .service(
                "dbservice_entity",
                "databaseService",
                "prod_mysql",
                "Mysql",
                json!({
                    "type": "Mysql", "scheme": "mysql+pymysql", "username": "om_reader",
                    "authType": {"password": "fernet:gAAAAABk3demo-not-a-real-token=="},
                    "hostPort": "mysql.internal:3306", "supportsMetadataExtraction": true
                }),
            )
            .await?;
        let postgres = self
            .service(
                "dbservice_entity",
                "databaseService",
                "analytics_pg",
                "Postgres",
                json!({
                    "type": "Postgres", "scheme": "postgresql+psycopg2", "username": "om_reader",
                    "authType": {"password": "fernet:gAAAAABk3demo-also-not-real=="},
                    "hostPort": "pg.internal:5432", "database": "analytics"
                }),
            )
            .await?;
        let domo = |kind: &str, with_sandbox: bool| {
            let mut config = json!({"type": kind, "clientId": "domo-client", "secretToken": "fernet:gAAAAABk3domo==", "accessToken": "fernet:gAAAAABk3domo2==", "apiHost": "api.domo.com"});
            if with_sandbox {
                config["sandboxDomain"] = json!("https://acme.domo.com");
            }
            config
        };
        let mut sandbox = std::collections::BTreeMap::<&str, u64>::new();
        for (table, kind_ref, name, kind, with_sandbox) in [
            (
                "dbservice_entity",
                "databaseService",
                "domo_sales",
                "DomoDatabase",
                true,
            ),
            (
                "dbservice_entity",
                "databaseService",
                "domo_finance",
                "DomoDatabase",
                true,
            ),
            (
                "dashboard_service_entity",
                "dashboardService",
                "domo_dashboards",
                "DomoDashboard",
                true,
            ),
            (
                "pipeline_service_entity",
                "pipelineService",
                "domo_pipelines",
                "DomoPipeline",
                false,
            ),
        ] {
            self.service(table, kind_ref, name, kind, domo(kind, with_sandbox))
                .await?;
            let entry = sandbox.entry(table).or_default();
            if with_sandbox {
                *entry += 1;
            } else {
                self.expected.domo_without_sandbox_domain += 1;
            }
        }
        self.expected.domo_sandbox_domain = sandbox
            .into_iter()
            .map(|(t, n)| (t.to_string(), n))
            .collect();
        let looker = self
            .service("dashboard_service_entity", "dashboardService", "looker", "Looker", json!({
                "type": "Looker", "clientId": "looker", "clientSecret": "fernet:gAAAAABk3looker==",
                "hostPort": "https://looker.internal", "gitCredentials": {"type": "GitHub", "repositoryName": "lookml", "repositoryOwner": "acme", "token": "fernet:gAAAAABk3gh=="}
            }))
            .await?;
        let airflow = self
            .service("pipeline_service_entity", "pipelineService", "airflow", "Airflow", json!({
                "type": "Airflow", "hostPort": "http://airflow.internal:8080", "numberOfStatus": 10,
                "connection": {"type": "Backend"}
            }))
            .await?;
        let kafka = self
            .service("messaging_service_entity", "messagingService", "kafka", "Kafka", json!({
                "type": "Kafka", "bootstrapServers": "kafka.internal:9092", "saslMechanism": "PLAIN"
            }))
            .await?;
        let services = Services {
            mysql,
            postgres,
            looker,
            airflow,
            kafka,
        };
        self.service("mlmodel_service_entity", "mlmodelService", "mlflow", "Mlflow", json!({
            "type": "Mlflow", "trackingUri": "http://mlflow.internal", "registryUri": "mysql+pymysql://mlflow"
        }))
        .await?;
        self.service("storage_service_entity", "storageService", "s3", "S3", json!({
            "type": "S3", "awsConfig": {"awsRegion": "eu-west-1", "awsSecretAccessKey": "fernet:gAAAAABk3aws=="}
        }))
        .await?;
        self.service(
            "dbservice_entity",
            "databaseService",
            "delta_lake",
            "DeltaLake",
            json!({
                "type": "DeltaLake", "appName": "OpenMetadata",
                "metastoreConnection": {"metastoreHostPort": "thrift://hive.internal:9083"}
            }),
        )
        .await?;
        self.expected.deltalake_old_shape += 1;

        // Custom properties on tables, two of them of the date types 1.5.0 removes.
        let table_type = self.new_ref("type", "table", None);
        let mut doc = self.base_doc(&table_type, "Custom properties of tables");
        doc["category"] = json!("entity");
        let mut properties = Vec::new();
        for (property, type_name) in [
            ("launchDate", "date"),
            ("steward", "string"),
            ("lastAudit", "dateTime"),
        ] {
            let type_id = self.rng.uuid();
            properties.push(json!({"name": property, "description": "A custom property", "propertyType": {"id": type_id, "type": "type", "name": type_name}}));
            if matches!(type_name, "date" | "dateTime" | "time") {
                self.expected.custom_properties_of_removed_types += 1;
            }
        }
        doc["customProperties"] = json!(properties);
        self.entity("type_entity", &table_type, doc, false).await?;

        // Ingestion pipelines of the MySQL service, with 1.1-era source config options.
        for (name, pipeline_type, old_options) in [
            ("prod_mysql_metadata", "metadata", true),
            ("prod_mysql_usage", "usage", false),
            ("analytics_pg_metadata", "metadata", false),
        ] {
            let p = self.new_ref("ingestionPipeline", name, Some(&services.mysql.fqn));
            let mut doc = self.base_doc(&p, "Scheduled ingestion");
            let mut config = json!({"type": if pipeline_type == "metadata" { "DatabaseMetadata" } else { "DatabaseUsage" }});
            if old_options {
                config["viewParsingTimeoutLimit"] = json!(300);
                config["markAllDeletedTables"] = json!(true);
                self.expected.pipelines_with_renamed_options += 1;
            } else if pipeline_type == "metadata" {
                self.expected.pipelines_without_view_parsing_timeout += 1;
            }
            doc["pipelineType"] = json!(pipeline_type);
            doc["sourceConfig"] = json!({"config": config});
            doc["airflowConfig"] = json!({"scheduleInterval": "0 * * * *", "retries": 3});
            doc["service"] = services.mysql.json();
            self.entity("ingestion_pipeline_entity", &p, doc, true)
                .await?;
            for day in 0..3 {
                let at = EPOCH_MS + day * DAY_MS;
                let status = json!({"runId": self.rng.uuid(), "pipelineState": "success", "startDate": at, "timestamp": at, "endDate": at + 60_000});
                self.sink
                    .push(
                        "entity_extension_time_series",
                        vec![
                            Val::Text(fqn_hash(&p.fqn)),
                            Val::Text("ingestionPipeline.pipelineStatus".into()),
                            Val::Text("pipelineStatus".into()),
                            Val::Json(status.to_string()),
                        ],
                    )
                    .await?;
            }
        }
        Ok(services)
    }

    async fn user(&mut self, name: &str, bot: bool) -> Result<Ref, DbError> {
        let r = self.new_ref("user", name, None);
        let mut doc = self.base_doc(&r, "A person who uses the catalogue");
        doc["email"] = json!(format!("{name}@example.com"));
        doc["isBot"] = json!(bot);
        doc["isAdmin"] = json!(name == "admin");
        if bot {
            doc["authenticationMechanism"] = json!({"authType": "JWT", "config": {"JWTToken": "fernet:gAAAAABk3jwt-demo==", "JWTTokenExpiry": "Unlimited"}});
        }
        self.entity("user_entity", &r, doc, false).await?;
        Ok(r)
    }

    async fn service(
        &mut self,
        table: &'static str,
        kind: &'static str,
        name: &str,
        service_type: &str,
        config: Value,
    ) -> Result<Ref, DbError> {
        let r = self.new_ref(kind, name, None);
        let mut doc = self.base_doc(&r, &format!("{service_type} service"));
        doc["serviceType"] = json!(service_type);
        if config.to_string().contains("\"fernet:") {
            self.expected.connections_with_fernet_secrets += 1;
        }
        doc["connection"] = json!({"config": config});
        self.entity(table, &r, doc, false).await?;
        self.change_event(&r, "entityCreated").await?;
        Ok(r)
    }

    /// One unit of scale: a database with schemas, tables, queries, people and activity.
    pub async fn unit(&mut self, unit: u32, services: &Services) -> Result<(), DbError> {
        let service = if unit.is_multiple_of(2) {
            &services.mysql
        } else {
            &services.postgres
        };
        let owner_team = self.new_ref("team", &format!("team_{unit}"), None);
        let doc = self.base_doc(&owner_team, "A data team");
        self.entity("team_entity", &owner_team, doc, false).await?;
        let org = self.teams[0].clone();
        self.relate(&org, &owner_team, HAS, None).await?;
        let mut unit_users = Vec::new();
        for n in 0..3 {
            let user = self.user(&format!("user_{unit}_{n}"), false).await?;
            self.relate(&owner_team, &user, HAS, None).await?;
            unit_users.push(user);
        }
        self.users.extend(unit_users.iter().cloned());

        let database = self.new_ref("database", &format!("sales_{unit}"), Some(&service.fqn));
        let mut doc = self.base_doc(&database, "Sales data");
        doc["service"] = service.json();
        self.entity("database_entity", &database, doc, true).await?;
        self.relate(service, &database, CONTAINS, None).await?;

        let mut tables = Vec::new();
        for s in 0..2 {
            let schema = self.new_ref(
                "databaseSchema",
                &format!("schema_{s}"),
                Some(&database.fqn),
            );
            let mut doc = self.base_doc(&schema, "A schema");
            doc["database"] = database.json();
            doc["service"] = service.json();
            self.entity("database_schema_entity", &schema, doc, true)
                .await?;
            self.relate(&database, &schema, CONTAINS, None).await?;
            for t in 0..10 {
                let columns = if unit == 0 && s == 0 && t == 0 {
                    2000
                } else {
                    25
                };
                let table = self
                    .table(
                        &schema,
                        &database,
                        service,
                        &format!("orders_{t}"),
                        columns,
                        &owner_team,
                        &unit_users[t % 3],
                    )
                    .await?;
                self.relate(&schema, &table, CONTAINS, None).await?;
                tables.push(table);
            }
        }
        for pair in tables.windows(2).step_by(3) {
            let lineage = json!({"sqlQuery": format!("INSERT INTO {} SELECT * FROM {} WHERE note <> 'it''s'", pair[1].fqn, pair[0].fqn), "columnsLineage": [{"fromColumns": [format!("{}.id", pair[0].fqn)], "toColumn": format!("{}.id", pair[1].fqn)}], "source": "QueryLineage"});
            self.relate(&pair[0], &pair[1], UPSTREAM, Some(lineage))
                .await?;
        }

        // Queries: eight with a table path to the service, two with no table at all.
        for q in 0..10 {
            let linked = q < 8;
            let target_tables: Vec<Ref> = if linked {
                vec![tables[q * 2 % tables.len()].clone()]
            } else {
                Vec::new()
            };
            self.query(unit, q, &target_tables, &unit_users[q % 3])
                .await?;
            if !linked {
                self.expected.queries_deleted_by_1_2 += 1;
            }
        }
        if unit == 0 {
            // A table whose schema link is missing: a query mentioning it (and a good table)
            // is still deleted by 1.2.0, which handles each path on its own.
            let schema = self.new_ref("databaseSchema", "lost_schema", Some(&database.fqn));
            let dangling = self
                .table(
                    &schema,
                    &database,
                    service,
                    "orphaned_table",
                    5,
                    &owner_team,
                    &unit_users[0],
                )
                .await?;
            self.query(unit, 99, &[tables[0].clone(), dangling], &unit_users[0])
                .await?;
            self.expected.queries_deleted_by_1_2 += 1;
        }

        // Glossary terms, one still in Draft.
        let glossary = self
            .glossary
            .clone()
            .ok_or_else(|| DbError::Other("no glossary".into()))?;
        for n in 0..2 {
            let term = self.new_ref(
                "glossaryTerm",
                &format!("Term{unit}_{n}"),
                Some(&glossary.fqn),
            );
            let mut doc = self.base_doc(&term, "A business term");
            doc["glossary"] = glossary.json();
            doc["status"] = json!(if n == 0 { "Draft" } else { "Approved" });
            self.expected.glossary_terms_with_status += 1;
            doc["synonyms"] = json!(["alias 'one'", "alias \"two\""]);
            self.entity("glossary_term_entity", &term, doc, true)
                .await?;
            self.relate(&glossary, &term, CONTAINS, None).await?;
            if n == 0 {
                self.expected.draft_glossary_terms += 1;
            }
        }

        // A dashboard with charts, a pipeline, a topic.
        let dashboard = self.new_ref(
            "dashboard",
            &format!("revenue_{unit}"),
            Some(&services.looker.fqn),
        );
        let mut doc = self.base_doc(&dashboard, "Revenue dashboard");
        doc["dashboardUrl"] = json!(format!("https://looker.internal/dashboards/{unit}"));
        let mut charts = Vec::new();
        for c in 0..3 {
            let chart = self.new_ref(
                "chart",
                &format!("chart_{unit}_{c}"),
                Some(&services.looker.fqn),
            );
            let mut cdoc = self.base_doc(&chart, "A chart");
            cdoc["chartType"] = json!("Line");
            cdoc["chartUrl"] = json!(format!("https://looker.internal/charts/{unit}/{c}"));
            self.entity("chart_entity", &chart, cdoc, true).await?;
            charts.push(chart.json());
            self.relate(&services.looker, &chart, CONTAINS, None)
                .await?;
        }
        doc["charts"] = json!(charts);
        self.entity("dashboard_entity", &dashboard, doc, true)
            .await?;
        self.relate(&services.looker, &dashboard, CONTAINS, None)
            .await?;

        let pipeline = self.new_ref(
            "pipeline",
            &format!("load_sales_{unit}"),
            Some(&services.airflow.fqn),
        );
        let mut doc = self.base_doc(&pipeline, "Nightly load");
        doc["pipelineUrl"] = json!(format!("http://airflow.internal/dags/load_sales_{unit}"));
        doc["tasks"] = json!([{"name": "extract", "taskUrl": "http://airflow.internal/t/extract"}, {"name": "load", "downstreamTasks": ["extract"]}]);
        self.entity("pipeline_entity", &pipeline, doc, true).await?;
        self.relate(&services.airflow, &pipeline, CONTAINS, None)
            .await?;

        let topic = self.new_ref(
            "topic",
            &format!("orders_events_{unit}"),
            Some(&services.kafka.fqn),
        );
        let mut doc = self.base_doc(&topic, "Order events");
        doc["partitions"] = json!(6);
        doc["messageSchema"] = json!({"schemaType": "Avro", "schemaText": "{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}"});
        self.entity("topic_entity", &topic, doc, true).await?;
        self.relate(&services.kafka, &topic, CONTAINS, None).await?;

        // Conversation and, every few units, a task.
        let thread_id = self.rng.uuid();
        let about = format!("<#E::table::{}>", tables[0].fqn);
        let at = self.tick();
        let mut thread = json!({"id": thread_id, "type": "Conversation", "about": about, "entityId": tables[0].id, "threadTs": at, "createdBy": unit_users[0].name, "updatedAt": at, "updatedBy": unit_users[0].name, "resolved": false, "message": self.description("Question about this table"), "posts": [{"id": self.rng.uuid(), "message": "Answer with a \\ backslash", "from": "admin", "postTs": at + 1}]});
        if unit.is_multiple_of(5) {
            self.task_id += 1;
            thread["type"] = json!("Task");
            thread["addressedTo"] = json!(about.clone());
            thread["task"] = json!({"id": self.task_id, "type": "RequestDescription", "status": "Open", "assignees": [unit_users[1].json()]});
            self.expected.task_threads += 1;
        }
        self.sink
            .push("thread_entity", vec![Val::Json(thread.to_string())])
            .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn table(
        &mut self,
        schema: &Ref,
        database: &Ref,
        service: &Ref,
        name: &str,
        columns: usize,
        team: &Ref,
        user: &Ref,
    ) -> Result<Ref, DbError> {
        let table = self.new_ref("table", name, Some(&schema.fqn));
        let mut doc = self.base_doc(&table, "Orders placed through the web shop");
        let column_docs: Vec<Value> = (0..columns)
            .map(|c| {
                let (data_type, display) = COLUMN_TYPES[c % COLUMN_TYPES.len()];
                json!({
                    "name": format!("col_{c}"), "dataType": data_type, "dataTypeDisplay": display,
                    "dataLength": if data_type == "VARCHAR" { 255 } else { 1 },
                    "description": if c % 4 == 0 { Value::Null } else { json!(TRICKY[c % TRICKY.len()]) },
                    "fullyQualifiedName": format!("{}.col_{c}", table.fqn), "ordinalPosition": c + 1,
                    "constraint": if c == 0 { json!("PRIMARY_KEY") } else { json!("NULL") }, "tags": [],
                })
            })
            .collect();
        doc["tableType"] = json!("Regular");
        doc["columns"] = json!(column_docs);
        doc["databaseSchema"] = schema.json();
        doc["database"] = database.json();
        doc["service"] = service.json();
        doc["serviceType"] = json!(if service.name == "prod_mysql" {
            "Mysql"
        } else {
            "Postgres"
        });
        doc["owner"] = team.json();
        self.expected.tables_with_single_owner += 1;
        doc["tableConstraints"] = json!([{"constraintType": "PRIMARY_KEY", "columns": ["col_0"]}]);
        self.entity("table_entity", &table, doc.clone(), true)
            .await?;
        self.relate(team, &table, OWNS, None).await?;
        self.relate(user, &table, FOLLOWS, None).await?;
        self.change_event(&table, "entityCreated").await?;

        // Version history, sample data.
        for version in ["0.1", "0.2"] {
            self.expected.entity_versions_with_single_owner += 1;
            let mut old = doc.clone();
            old["version"] = json!(version.parse::<f64>().unwrap_or(0.1));
            self.sink
                .push(
                    "entity_extension",
                    vec![
                        Val::Text(table.id.clone()),
                        Val::Text(format!("table.version.{version}")),
                        Val::Text("table".into()),
                        Val::Json(old.to_string()),
                    ],
                )
                .await?;
        }
        let rows: Vec<Value> = (0..20)
            .map(|r| {
                json!([
                    r,
                    format!("row {r}: {}", TRICKY[r % TRICKY.len()]),
                    r as f64 * 1.5,
                    r % 2 == 0
                ])
            })
            .collect();
        let sample = json!({"columns": ["col_0", "col_1", "col_2", "col_3"], "rows": rows});
        self.sink
            .push(
                "entity_extension",
                vec![
                    Val::Text(table.id.clone()),
                    Val::Text("table.sampleData".into()),
                    Val::Text("tableData".into()),
                    Val::Json(sample.to_string()),
                ],
            )
            .await?;

        // Tags: a tier on the table, PII on some columns.
        let tier = self.tags[3 + (self.rng.below(5) as usize)].clone();
        self.sink
            .push(
                "tag_usage",
                vec![
                    Val::Int(0),
                    Val::Text(tier.0.clone()),
                    Val::Text(tier.1.clone()),
                    Val::Text(fqn_hash(&table.fqn)),
                    Val::Int(0),
                    Val::Int(1),
                ],
            )
            .await?;
        for c in (0..columns.min(25)).step_by(5) {
            let pii = self.tags[0].clone();
            self.sink
                .push(
                    "tag_usage",
                    vec![
                        Val::Int(0),
                        Val::Text(pii.0),
                        Val::Text(pii.1),
                        Val::Text(fqn_hash(&format!("{}.col_{c}", table.fqn))),
                        Val::Int(1),
                        Val::Int(1),
                    ],
                )
                .await?;
        }

        // Three days of profiles, usage, and a test case with results.
        let table_hash = fqn_hash(&table.fqn);
        for day in 0..3 {
            let at = EPOCH_MS + day * DAY_MS;
            let profile = json!({"timestamp": at, "rowCount": 10_000 + self.rng.below(1000), "columnCount": columns, "sizeInByte": 1_048_576, "profileSample": 100.0});
            self.sink
                .push(
                    "profiler_data_time_series",
                    vec![
                        Val::Text(table_hash.clone()),
                        Val::Text("table.tableProfile".into()),
                        Val::Text("tableProfile".into()),
                        Val::Json(profile.to_string()),
                    ],
                )
                .await?;
            for c in 0..columns.min(25) {
                let column_hash = fqn_hash(&format!("{}.col_{c}", table.fqn));
                let profile = json!({"name": format!("col_{c}"), "timestamp": at, "valuesCount": 10_000, "nullCount": self.rng.below(100), "uniqueCount": self.rng.below(10_000), "min": 0, "max": self.rng.below(1_000_000), "mean": 512.25, "stddev": 12.5, "histogram": {"boundaries": ["0-10", "10-100", "100+"], "frequencies": [10, 100, 1000]}});
                self.sink
                    .push(
                        "profiler_data_time_series",
                        vec![
                            Val::Text(column_hash),
                            Val::Text("table.columnProfile".into()),
                            Val::Text("columnProfile".into()),
                            Val::Json(profile.to_string()),
                        ],
                    )
                    .await?;
            }
            let date = NaiveDate::from_ymd_opt(2023, 9, 1 + day as u32).unwrap_or_default();
            self.sink
                .push(
                    "entity_usage",
                    vec![
                        Val::Text(table.id.clone()),
                        Val::Text("table".into()),
                        Val::Date(date),
                        Val::Int(self.rng.below(50) as i64),
                        Val::Int(self.rng.below(300) as i64),
                        Val::Int(self.rng.below(1000) as i64),
                        Val::Float(50.0),
                        Val::Float(60.5),
                        Val::Float(70.25),
                    ],
                )
                .await?;
        }
        let test = self.new_ref("testCase", &format!("{name}_row_count"), Some(&table.fqn));
        let mut tdoc = self.base_doc(&test, "Row count within bounds");
        tdoc["entityLink"] = json!(format!("<#E::table::{}>", table.fqn));
        tdoc["parameterValues"] =
            json!([{"name": "minValue", "value": "1"}, {"name": "maxValue", "value": "1000000"}]);
        if name == "orders_1" {
            // A failure someone acknowledged, in the pre-1.3 shape.
            tdoc["testCaseResult"] = json!({"timestamp": EPOCH_MS, "testCaseStatus": "Failed", "result": "Found 0 rows", "testCaseFailureStatus": {"testCaseFailureStatusType": "Ack", "testCaseFailureReason": null, "updatedBy": "admin", "updatedAt": EPOCH_MS}});
            self.expected.test_cases_with_failure_status += 1;
        }
        if name == "orders_2" {
            let metrics = json!([{"name": "late_orders", "expression": "SELECT COUNT(*) FROM orders WHERE shipped > due", "columnName": null}]);
            self.sink
                .push(
                    "entity_extension",
                    vec![
                        Val::Text(table.id.clone()),
                        Val::Text("table.customMetrics".into()),
                        Val::Text("customMetric".into()),
                        Val::Json(metrics.to_string()),
                    ],
                )
                .await?;
            self.expected.custom_metrics_rows += 1;
        }
        self.entity("test_case", &test, tdoc, true).await?;
        let test_hash = fqn_hash(&test.fqn);
        for day in 0..3 {
            let at = EPOCH_MS + day * DAY_MS;
            let result = json!({"timestamp": at, "testCaseStatus": "Success", "result": "Found 10000 rows", "testResultValue": [{"name": "rowCount", "value": "10000"}]});
            self.sink
                .push(
                    "entity_extension_time_series",
                    vec![
                        Val::Text(test_hash.clone()),
                        Val::Text("testCase.testCaseResult".into()),
                        Val::Text("testCaseResult".into()),
                        Val::Json(result.to_string()),
                    ],
                )
                .await?;
        }
        Ok(table)
    }

    async fn query(
        &mut self,
        unit: u32,
        q: usize,
        tables: &[Ref],
        user: &Ref,
    ) -> Result<(), DbError> {
        let sql = match tables.first() {
            Some(t) => format!(
                "SELECT *\nFROM {}\nWHERE note = 'it''s \\ fine' -- q{unit}_{q}",
                t.fqn
            ),
            None => format!("SELECT 1 /* ad-hoc query {unit}_{q} with 'quotes' */"),
        };
        let checksum = md5_hex(&sql);
        let r = self.new_ref("query", &checksum, None);
        let mut doc = self.base_doc(&r, "A query seen in the usage logs");
        doc["query"] = json!(sql);
        doc["checksum"] = json!(checksum);
        doc["duration"] = json!(self.rng.below(5000) as f64 / 10.0);
        doc["queryDate"] = json!(EPOCH_MS);
        self.entity("query_entity", &r, doc, false).await?;
        for table in tables {
            self.relate(table, &r, MENTIONED_IN, None).await?;
        }
        self.relate(user, &r, USES, None).await?;
        self.expected.queries_total += 1;
        Ok(())
    }

    /// One duplicate test result per unit: 1.2.0 deletes these before adding a unique key.
    pub async fn duplicate_time_series(&mut self, fqn: &str) -> Result<(), DbError> {
        let result =
            json!({"timestamp": EPOCH_MS, "testCaseStatus": "Failed", "result": "duplicate row"});
        self.sink
            .push(
                "entity_extension_time_series",
                vec![
                    Val::Text(fqn_hash(fqn)),
                    Val::Text("testCase.testCaseResult".into()),
                    Val::Text("testCaseResult".into()),
                    Val::Json(result.to_string()),
                ],
            )
            .await?;
        self.expected.time_series_duplicates += 1;
        Ok(())
    }

    pub async fn finish(&mut self) -> Result<(), DbError> {
        self.sink.finish().await?;
        // Written last and alone: `demo --if-missing` takes this row as "the sample was
        // finished" (a killed run leaves a database without it).
        self.sink
            .push(
                "task_sequence",
                vec![Val::Int(self.task_id.max(1)), Val::Null],
            )
            .await?;
        self.sink.finish().await
    }
}

#[derive(Debug, Clone)]
pub struct Services {
    mysql: Ref,
    postgres: Ref,
    looker: Ref,
    airflow: Ref,
    kafka: Ref,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqn_hash_is_one_md5_per_part() {
        let hash = fqn_hash("svc.db");
        let parts: Vec<&str> = hash.split('.').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], md5_hex("svc"));
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn the_generator_is_deterministic() {
        let mut a = Rng(1);
        let mut b = Rng(1);
        assert_eq!(a.uuid(), b.uuid());
        assert_ne!(a.uuid(), Rng(2).uuid());
    }
}
