//! DDL of an OpenMetadata 1.1.x database, written from the schema facts (shared/openmetadata/
//! schema.md §2): entity tables with a `json` document, a hash column and generated columns
//! extracted from the json; relationship, extension, time-series and bookkeeping tables.
//!
//! The same table list renders for MySQL 8, MariaDB (which refuses NOT NULL and PRIMARY KEY on
//! generated columns: UNIQUE instead) and PostgreSQL (lower-case unquoted names, jsonb, STORED
//! generated columns).

use crate::db::inspect::Product;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Varchar(u32),
    /// Hash columns: ASCII, binary collation on MySQL.
    Ascii(u32),
    BigInt,
    Int,
    SmallInt,
    Bool,
    Double,
    Timestamp,
    Date,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// MySQL JSON / Postgres JSONB.
    Jsonb,
    /// Postgres plain `json` (some OpenMetadata tables use it).
    PlainJson,
}

#[derive(Debug, Clone)]
pub enum ColKind {
    Json {
        kind: JsonKind,
        nullable: bool,
    },
    /// Generated from a path of the `json` column (`id`, `task.id`).
    Generated {
        path: &'static str,
        ty: Ty,
        stored: bool,
        not_null: bool,
    },
    Plain {
        ty: Ty,
        not_null: bool,
        auto_increment: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Col {
    pub name: &'static str,
    pub kind: ColKind,
}

#[derive(Debug, Clone)]
pub struct TableDef {
    pub name: &'static str,
    pub cols: Vec<Col>,
    pub primary_key: Vec<&'static str>,
    pub unique: Vec<Vec<&'static str>>,
    pub indexes: Vec<Vec<&'static str>>,
    /// Postgres name needs quotes (Flyway's upper-case DATABASE_CHANGE_LOG).
    pub pg_quoted_name: bool,
    /// Columns OpenMetadata declares NOT NULL on MySQL only.
    pub pg_nullable: Vec<&'static str>,
}

impl TableDef {
    fn new(name: &'static str) -> Self {
        TableDef {
            name,
            cols: Vec::new(),
            primary_key: Vec::new(),
            unique: Vec::new(),
            indexes: Vec::new(),
            pg_quoted_name: false,
            pg_nullable: Vec::new(),
        }
    }

    fn col(mut self, name: &'static str, kind: ColKind) -> Self {
        self.cols.push(Col { name, kind });
        self
    }

    fn plain(self, name: &'static str, ty: Ty, not_null: bool) -> Self {
        self.col(
            name,
            ColKind::Plain {
                ty,
                not_null,
                auto_increment: false,
            },
        )
    }

    fn json(self, kind: JsonKind, nullable: bool) -> Self {
        self.col("json", ColKind::Json { kind, nullable })
    }

    fn generated(self, name: &'static str, path: &'static str, ty: Ty, not_null: bool) -> Self {
        self.col(
            name,
            ColKind::Generated {
                path,
                ty,
                stored: false,
                not_null,
            },
        )
    }

    fn stored(self, name: &'static str, path: &'static str, ty: Ty, not_null: bool) -> Self {
        self.col(
            name,
            ColKind::Generated {
                path,
                ty,
                stored: true,
                not_null,
            },
        )
    }

    fn pg_nullable(mut self, column: &'static str) -> Self {
        self.pg_nullable.push(column);
        self
    }

    fn pk(mut self, cols: &[&'static str]) -> Self {
        self.primary_key = cols.to_vec();
        self
    }

    fn unique(mut self, cols: &[&'static str]) -> Self {
        self.unique.push(cols.to_vec());
        self
    }

    fn index(mut self, cols: &[&'static str]) -> Self {
        self.indexes.push(cols.to_vec());
        self
    }

    /// Names of the columns a client may insert into (not generated).
    pub fn insertable(&self) -> Vec<&'static str> {
        self.cols
            .iter()
            .filter(|c| !matches!(c.kind, ColKind::Generated { .. }))
            .map(|c| c.name)
            .collect()
    }

    pub fn is_json(&self, column: &str) -> Option<JsonKind> {
        self.cols
            .iter()
            .find(|c| c.name == column)
            .and_then(|c| match c.kind {
                ColKind::Json { kind, .. } => Some(kind),
                _ => None,
            })
    }
}

/// Hash column of an entity table: `fqnHash` for hierarchical entities, `nameHash` for top-level ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Fqn,
    Name,
}

impl Hash {
    pub fn column(self) -> &'static str {
        match self {
            Hash::Fqn => "fqnHash",
            Hash::Name => "nameHash",
        }
    }
}

/// The entity table pattern: generated id/name/updatedAt/updatedBy/deleted, json, a hash column.
fn entity(name: &'static str, hash: Hash) -> TableDef {
    entity_with(name, hash, JsonKind::Jsonb, |t| t)
}

fn entity_with(
    name: &'static str,
    hash: Hash,
    json: JsonKind,
    extra: impl FnOnce(TableDef) -> TableDef,
) -> TableDef {
    let table = TableDef::new(name)
        .stored("id", "id", Ty::Varchar(36), true)
        .generated("name", "name", Ty::Varchar(256), true)
        .json(json, false)
        .generated("updatedAt", "updatedAt", Ty::BigInt, true)
        .generated("updatedBy", "updatedBy", Ty::Varchar(256), true)
        .generated("deleted", "deleted", Ty::Bool, false)
        .plain(hash.column(), Ty::Ascii(256), false);
    extra(table)
        .pk(&["id"])
        .unique(&[hash.column()])
        .index(&["updatedAt"])
}

fn service(name: &'static str) -> TableDef {
    entity_with(name, Hash::Name, JsonKind::Jsonb, |t| {
        t.generated("serviceType", "serviceType", Ty::Varchar(256), true)
    })
}

/// Entity tables and their hash column, as of 1.1.x (services apart, in [`SERVICE_TABLES`]).
pub const ENTITY_TABLES: [(&str, Hash); 33] = [
    ("automations_workflow", Hash::Name),
    ("bot_entity", Hash::Name),
    ("chart_entity", Hash::Fqn),
    ("classification", Hash::Name),
    ("dashboard_data_model_entity", Hash::Fqn),
    ("dashboard_entity", Hash::Fqn),
    ("data_insight_chart", Hash::Fqn),
    ("database_entity", Hash::Fqn),
    ("database_schema_entity", Hash::Fqn),
    ("event_subscription_entity", Hash::Name),
    ("glossary_entity", Hash::Name),
    ("glossary_term_entity", Hash::Fqn),
    ("ingestion_pipeline_entity", Hash::Fqn),
    ("kpi_entity", Hash::Name),
    ("metric_entity", Hash::Fqn),
    ("ml_model_entity", Hash::Fqn),
    ("pipeline_entity", Hash::Fqn),
    ("policy_entity", Hash::Fqn),
    ("query_entity", Hash::Name),
    ("report_entity", Hash::Fqn),
    ("role_entity", Hash::Name),
    ("storage_container_entity", Hash::Fqn),
    ("table_entity", Hash::Fqn),
    ("tag", Hash::Fqn),
    ("team_entity", Hash::Name),
    ("test_case", Hash::Fqn),
    ("test_connection_definition", Hash::Name),
    ("test_definition", Hash::Name),
    ("test_suite", Hash::Fqn),
    ("topic_entity", Hash::Fqn),
    ("type_entity", Hash::Name),
    ("user_entity", Hash::Name),
    ("web_analytic_event", Hash::Fqn),
];

/// Service tables: entity tables with `nameHash` and a generated `serviceType`.
pub const SERVICE_TABLES: [&str; 7] = [
    "dashboard_service_entity",
    "dbservice_entity",
    "messaging_service_entity",
    "metadata_service_entity",
    "mlmodel_service_entity",
    "pipeline_service_entity",
    "storage_service_entity",
];

/// Every table of the sample database.
pub fn tables() -> Vec<TableDef> {
    let mut tables: Vec<TableDef> = Vec::new();
    for (name, hash) in ENTITY_TABLES {
        tables.push(match name {
            "user_entity" => entity_with(name, hash, JsonKind::Jsonb, |t| {
                t.generated("email", "email", Ty::Varchar(256), true)
            }),
            "ingestion_pipeline_entity" => entity_with(name, hash, JsonKind::PlainJson, |t| t),
            "query_entity" => entity_with(name, hash, JsonKind::Jsonb, |t| {
                t.generated("checksum", "checksum", Ty::Varchar(32), false)
            }),
            _ => entity(name, hash),
        });
    }
    tables.extend(SERVICE_TABLES.into_iter().map(service));
    tables.push(
        TableDef::new("thread_entity")
            .stored("id", "id", Ty::Varchar(36), true)
            .generated("entityId", "entityId", Ty::Varchar(36), false)
            .generated("entityLink", "about", Ty::Varchar(256), true)
            .generated("assignedTo", "addressedTo", Ty::Varchar(256), false)
            .json(JsonKind::Jsonb, false)
            .generated("createdAt", "threadTs", Ty::BigInt, true)
            .generated("createdBy", "createdBy", Ty::Varchar(256), true)
            .generated("updatedAt", "updatedAt", Ty::BigInt, true)
            .generated("updatedBy", "updatedBy", Ty::Varchar(256), true)
            .generated("resolved", "resolved", Ty::Bool, false)
            .generated("type", "type", Ty::Varchar(64), false)
            .generated("taskId", "task.id", Ty::Int, false)
            .generated("taskStatus", "task.status", Ty::Varchar(64), false)
            .pk(&["id"])
            .unique(&["taskId"])
            .index(&["updatedAt"]),
    );
    tables.push(
        TableDef::new("entity_relationship")
            .plain("fromId", Ty::Varchar(36), true)
            .plain("toId", Ty::Varchar(36), true)
            .plain("fromEntity", Ty::Varchar(256), true)
            .plain("toEntity", Ty::Varchar(256), true)
            .plain("relation", Ty::SmallInt, true)
            .plain("jsonSchema", Ty::Varchar(256), false)
            .json(JsonKind::Jsonb, true)
            .plain("deleted", Ty::Bool, true)
            .pk(&["fromId", "toId", "relation"])
            .index(&["toId"]),
    );
    tables.push(
        TableDef::new("field_relationship")
            .plain("fromFQNHash", Ty::Ascii(382), true)
            .plain("toFQNHash", Ty::Ascii(382), true)
            .plain("fromFQN", Ty::Varchar(2096), true)
            .plain("toFQN", Ty::Varchar(2096), true)
            .plain("fromType", Ty::Varchar(256), true)
            .plain("toType", Ty::Varchar(256), true)
            .plain("relation", Ty::SmallInt, true)
            .plain("jsonSchema", Ty::Varchar(256), false)
            .json(JsonKind::Jsonb, true)
            .pk(&["fromFQNHash", "toFQNHash", "relation"]),
    );
    tables.push(
        TableDef::new("entity_extension")
            .plain("id", Ty::Varchar(36), true)
            .plain("extension", Ty::Varchar(256), true)
            .plain("jsonSchema", Ty::Varchar(256), true)
            .json(JsonKind::Jsonb, false)
            .pk(&["id", "extension"]),
    );
    // No unique key before 1.2.0, which deletes duplicates before adding one.
    tables.push(
        TableDef::new("entity_extension_time_series")
            .plain("entityFQNHash", Ty::Ascii(768), true)
            .plain("extension", Ty::Varchar(256), true)
            .plain("jsonSchema", Ty::Varchar(256), true)
            .json(JsonKind::Jsonb, false)
            .stored("timestamp", "timestamp", Ty::BigInt, true)
            .index(&["entityFQNHash", "extension", "timestamp"]),
    );
    tables.push(
        TableDef::new("profiler_data_time_series")
            .plain("entityFQNHash", Ty::Ascii(768), true)
            // As in OpenMetadata's own Postgres DDL of this table.
            .pg_nullable("entityFQNHash")
            .plain("extension", Ty::Varchar(256), true)
            .plain("jsonSchema", Ty::Varchar(256), true)
            .json(JsonKind::PlainJson, false)
            .stored("operation", "metric", Ty::Varchar(256), false)
            .stored("timestamp", "timestamp", Ty::BigInt, true)
            .index(&["entityFQNHash", "extension", "timestamp"]),
    );
    tables.push(
        TableDef::new("report_data_time_series")
            .plain("entityFQNHash", Ty::Ascii(768), true)
            .plain("extension", Ty::Varchar(256), true)
            .plain("jsonSchema", Ty::Varchar(256), true)
            .json(JsonKind::Jsonb, false)
            .stored("timestamp", "timestamp", Ty::BigInt, true)
            .index(&["entityFQNHash", "timestamp"]),
    );
    tables.push(
        TableDef::new("tag_usage")
            .plain("source", Ty::SmallInt, true)
            .plain("tagFQN", Ty::Varchar(256), true)
            .plain("tagFQNHash", Ty::Ascii(382), true)
            .plain("targetFQNHash", Ty::Ascii(382), true)
            .plain("labelType", Ty::SmallInt, true)
            .plain("state", Ty::SmallInt, true)
            .unique(&["source", "tagFQNHash", "targetFQNHash"]),
    );
    tables.push(
        TableDef::new("entity_usage")
            .plain("id", Ty::Varchar(36), true)
            .plain("entityType", Ty::Varchar(20), true)
            .plain("usageDate", Ty::Date, false)
            .plain("count1", Ty::Int, false)
            .plain("count7", Ty::Int, false)
            .plain("count30", Ty::Int, false)
            .plain("percentile1", Ty::Double, false)
            .plain("percentile7", Ty::Double, false)
            .plain("percentile30", Ty::Double, false)
            .unique(&["id", "usageDate"]),
    );
    tables.push(
        TableDef::new("change_event")
            .generated("eventType", "eventType", Ty::Varchar(36), true)
            .generated("entityType", "entityType", Ty::Varchar(36), true)
            .generated("userName", "userName", Ty::Varchar(256), true)
            .generated("eventTime", "timestamp", Ty::BigInt, true)
            .json(JsonKind::Jsonb, false)
            .index(&["eventType"])
            .index(&["eventTime"]),
    );
    tables.push(
        TableDef::new("openmetadata_settings")
            .col(
                "id",
                ColKind::Plain {
                    ty: Ty::Int,
                    not_null: true,
                    auto_increment: true,
                },
            )
            .plain("configType", Ty::Varchar(36), true)
            .json(JsonKind::Jsonb, false)
            .pk(&["id", "configType"])
            .unique(&["configType"]),
    );
    tables.push(
        TableDef::new("task_sequence")
            .col(
                "id",
                ColKind::Plain {
                    ty: Ty::Int,
                    not_null: true,
                    auto_increment: true,
                },
            )
            .plain("dummy", Ty::Varchar(1), false)
            .pk(&["id"]),
    );
    tables.push(
        TableDef::new("SERVER_CHANGE_LOG")
            .col(
                "installed_rank",
                ColKind::Plain {
                    ty: Ty::Int,
                    not_null: true,
                    auto_increment: true,
                },
            )
            .plain("version", Ty::Varchar(256), true)
            .plain("migrationFileName", Ty::Varchar(256), true)
            .plain("checksum", Ty::Varchar(256), true)
            .plain("installed_on", Ty::Timestamp, false)
            .pk(&["version"])
            .unique(&["installed_rank"]),
    );
    tables.push(
        TableDef::new("SERVER_MIGRATION_SQL_LOGS")
            .plain("version", Ty::Varchar(256), true)
            .plain("sqlStatement", Ty::Varchar(10000), true)
            .plain("checksum", Ty::Varchar(256), true)
            .plain("executedAt", Ty::Timestamp, false)
            .pk(&["checksum"]),
    );
    let mut flyway = TableDef::new("DATABASE_CHANGE_LOG")
        .plain("installed_rank", Ty::Int, true)
        .plain("version", Ty::Varchar(50), false)
        .plain("description", Ty::Varchar(200), true)
        .plain("type", Ty::Varchar(20), true)
        .plain("script", Ty::Varchar(1000), true)
        .plain("checksum", Ty::Int, false)
        .plain("installed_by", Ty::Varchar(100), true)
        .plain("installed_on", Ty::Timestamp, false)
        .plain("execution_time", Ty::Int, true)
        .plain("success", Ty::Bool, true)
        .pk(&["installed_rank"]);
    flyway.pg_quoted_name = true;
    tables.push(flyway);
    tables
}

/// Column name as created on the engine (Postgres folds unquoted DDL to lower case).
pub fn column_name(product: Product, name: &str) -> String {
    match product {
        Product::Postgres => name.to_ascii_lowercase(),
        _ => name.to_string(),
    }
}

fn quote(product: Product, name: &str) -> String {
    match product {
        Product::Postgres => format!("\"{}\"", name.to_ascii_lowercase()),
        _ => format!("`{name}`"),
    }
}

/// The table name as used in SQL on this engine.
pub fn table_ref(product: Product, table: &TableDef) -> String {
    match product {
        Product::Postgres if table.pg_quoted_name => format!("\"{}\"", table.name),
        _ => quote(product, table.name),
    }
}

fn sql_type(product: Product, ty: Ty) -> String {
    let pg = product == Product::Postgres;
    match ty {
        Ty::Varchar(n) => format!("VARCHAR({n})"),
        Ty::Ascii(n) if pg => format!("VARCHAR({n})"),
        Ty::Ascii(n) => format!("VARCHAR({n}) CHARACTER SET ascii COLLATE ascii_bin"),
        Ty::BigInt => "BIGINT".into(),
        Ty::Int => "INTEGER".into(),
        Ty::SmallInt if pg => "SMALLINT".into(),
        Ty::SmallInt => "TINYINT".into(),
        Ty::Bool => "BOOLEAN".into(),
        Ty::Double if pg => "DOUBLE PRECISION".into(),
        Ty::Double => "DOUBLE".into(),
        Ty::Timestamp => "TIMESTAMP".into(),
        Ty::Date => "DATE".into(),
        Ty::Text => "TEXT".into(),
    }
}

fn generation_expr(product: Product, path: &str, ty: Ty) -> String {
    match product {
        Product::Postgres => {
            let parts: Vec<&str> = path.split('.').collect();
            let text = if parts.len() == 1 {
                format!("json ->> '{path}'")
            } else {
                format!("json #>> '{{{}}}'", parts.join(","))
            };
            match ty {
                Ty::BigInt => format!("({text})::bigint"),
                Ty::Int => format!("({text})::integer"),
                Ty::Bool => format!("({text})::boolean"),
                _ => text,
            }
        }
        // Portable to MySQL 8 and MariaDB (no ->> on MariaDB).
        _ => {
            let text = format!("JSON_UNQUOTE(JSON_EXTRACT(`json`, '$.{path}'))");
            match ty {
                Ty::Bool => format!("({text} = 'true')"),
                Ty::BigInt | Ty::Int => format!("CAST({text} AS SIGNED)"),
                _ => text,
            }
        }
    }
}

/// `CREATE TABLE` for one table on one product.
pub fn create_table(product: Product, table: &TableDef) -> String {
    let pg = product == Product::Postgres;
    let mut lines: Vec<String> = table
        .cols
        .iter()
        .map(|col| column_sql(product, table, col))
        .collect();
    lines.extend(key_lines(product, table));
    let mut sql = format!(
        "CREATE TABLE {} (\n  {}\n)",
        table_ref(product, table),
        lines.join(",\n  ")
    );
    if !pg {
        sql.push_str(" DEFAULT CHARSET=utf8mb4");
    }
    sql
}

/// One column's line of `CREATE TABLE`.
fn column_sql(product: Product, table: &TableDef, col: &Col) -> String {
    let pg = product == Product::Postgres;
    let name = quote(product, col.name);
    match &col.kind {
        ColKind::Json { kind, nullable } => {
            let ty = match (pg, kind) {
                (true, JsonKind::Jsonb) => "JSONB",
                (true, JsonKind::PlainJson) => "JSON",
                (false, _) => "JSON",
            };
            let null = if *nullable { "" } else { " NOT NULL" };
            format!("{name} {ty}{null}")
        }
        ColKind::Generated {
            path,
            ty,
            stored,
            not_null,
        } => {
            let stored = if *stored || pg { " STORED" } else { " VIRTUAL" };
            let not_null = if *not_null && product != Product::MariaDb {
                " NOT NULL"
            } else {
                ""
            };
            format!(
                "{name} {} GENERATED ALWAYS AS ({}){stored}{not_null}",
                sql_type(product, *ty),
                generation_expr(product, path, *ty)
            )
        }
        ColKind::Plain {
            ty,
            not_null,
            auto_increment,
        } => {
            let ty_sql = match (pg, auto_increment) {
                (true, true) => "SERIAL".to_string(),
                _ => sql_type(product, *ty),
            };
            let nullable_here = pg && table.pg_nullable.contains(&col.name);
            let not_null = if *not_null && !nullable_here {
                " NOT NULL"
            } else {
                ""
            };
            let auto = if *auto_increment && !pg {
                " AUTO_INCREMENT"
            } else {
                ""
            };
            let default = match ty {
                Ty::Timestamp => " DEFAULT CURRENT_TIMESTAMP",
                _ => "",
            };
            format!("{name} {ty_sql}{not_null}{auto}{default}")
        }
    }
}

/// The key lines of `CREATE TABLE`: the primary key, the unique keys and (not on Postgres,
/// which creates them apart) the indexes. MariaDB cannot key a generated column as primary,
/// so such a key becomes the first unique one.
fn key_lines(product: Product, table: &TableDef) -> Vec<String> {
    let generated_key = |cols: &[&str]| {
        cols.iter().any(|c| {
            table
                .cols
                .iter()
                .any(|col| col.name == *c && matches!(col.kind, ColKind::Generated { .. }))
        })
    };
    let key_list = |cols: &[&str]| {
        cols.iter()
            .map(|c| quote(product, c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = Vec::new();
    let mut uniques = table.unique.clone();
    if !table.primary_key.is_empty() {
        if product == Product::MariaDb && generated_key(&table.primary_key) {
            uniques.insert(0, table.primary_key.clone());
        } else {
            lines.push(format!("PRIMARY KEY ({})", key_list(&table.primary_key)));
        }
    }
    for unique in &uniques {
        lines.push(format!("UNIQUE ({})", key_list(unique)));
    }
    if product != Product::Postgres {
        for index in &table.indexes {
            lines.push(format!("INDEX ({})", key_list(index)));
        }
    }
    lines
}

/// Postgres creates indexes apart from the table.
pub fn create_indexes(product: Product, table: &TableDef) -> Vec<String> {
    if product != Product::Postgres {
        return Vec::new();
    }
    table
        .indexes
        .iter()
        .enumerate()
        .map(|(i, cols)| {
            format!(
                "CREATE INDEX {}_idx{i} ON {} ({})",
                table.name.to_ascii_lowercase(),
                table_ref(product, table),
                cols.iter()
                    .map(|c| quote(product, c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> TableDef {
        tables().into_iter().find(|t| t.name == name).unwrap()
    }

    #[test]
    fn table_names_are_unique() {
        let all = tables();
        let mut names: Vec<_> = all.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn mariadb_gets_no_primary_key_on_generated_columns() {
        let mysql = create_table(Product::Mysql, &table("table_entity"));
        let mariadb = create_table(Product::MariaDb, &table("table_entity"));
        assert!(mysql.contains("PRIMARY KEY (`id`)"), "{mysql}");
        assert!(mysql.contains("STORED NOT NULL"), "{mysql}");
        assert!(!mariadb.contains("PRIMARY KEY"), "{mariadb}");
        assert!(mariadb.contains("UNIQUE (`id`)"), "{mariadb}");
        assert!(!mariadb.contains("STORED NOT NULL"), "{mariadb}");
    }

    #[test]
    fn postgres_ddl_is_lower_case_with_jsonb_and_stored_columns() {
        let pg = create_table(Product::Postgres, &table("table_entity"));
        assert!(pg.contains("\"fqnhash\" VARCHAR(256)"), "{pg}");
        assert!(pg.contains("\"json\" JSONB NOT NULL"), "{pg}");
        assert!(
            pg.contains("((json ->> 'updatedAt')::bigint) STORED NOT NULL"),
            "{pg}"
        );
        let flyway = create_table(Product::Postgres, &table("DATABASE_CHANGE_LOG"));
        assert!(
            flyway.starts_with("CREATE TABLE \"DATABASE_CHANGE_LOG\""),
            "{flyway}"
        );
        let ingestion = create_table(Product::Postgres, &table("ingestion_pipeline_entity"));
        assert!(ingestion.contains("\"json\" JSON NOT NULL"), "{ingestion}");
    }

    #[test]
    fn generated_columns_are_not_insertable() {
        let t = table("table_entity");
        assert_eq!(t.insertable(), vec!["json", "fqnHash"]);
    }
}
