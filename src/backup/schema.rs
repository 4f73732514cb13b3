//! The schema part of a backup: every base table's DDL and columns, read inside the backup's
//! snapshot. MySQL gives its own DDL (`SHOW CREATE TABLE`); for Postgres the statements are
//! built from the catalogs the way pg_dump orders them: extensions, functions and sequences
//! first, tables with their columns and CHECK constraints, then after the data the keys,
//! indexes, foreign keys and sequence positions.

use serde::Serialize;

use crate::db::Engine;
use crate::db::inspect::quote_ident;

/// How a column's values are written as literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    Number,
    Text,
    Binary,
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    /// Computed by the server from other columns: declared in the DDL, never dumped.
    pub generated: bool,
    pub kind: ValueKind,
    /// Postgres `GENERATED ALWAYS AS IDENTITY`: an INSERT that gives its value must say
    /// `OVERRIDING SYSTEM VALUE`.
    pub always_identity: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<Column>,
    /// `CREATE TABLE …` (without `;`).
    pub create: String,
    /// Statements to run after the table's data is in (Postgres keys and indexes).
    pub after_data: Vec<String>,
    /// Server estimate of rows, for progress.
    pub rows_estimate: u64,
    pub bytes_estimate: u64,
    /// Postgres heap pages (the unit a big table is split by for parallel reading); 0 on MySQL.
    pub pages: u64,
}

impl TableSchema {
    /// Has a column whose given values need `OVERRIDING SYSTEM VALUE` (Postgres).
    pub fn has_always_identity(&self) -> bool {
        self.columns
            .iter()
            .any(|c| c.always_identity && !c.generated)
    }

    /// Columns whose values the backup stores.
    pub fn dumped_columns(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| !c.generated)
            .map(|c| c.name.clone())
            .collect()
    }
}

/// Everything but the rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SchemaDump {
    /// Before the tables: extensions, functions, sequences.
    pub before_tables: Vec<String>,
    pub tables: Vec<TableSchema>,
    /// After all data: foreign keys, sequence positions.
    pub after_all: Vec<String>,
    /// Views are not backed up (OpenMetadata has none); listed so the operator knows.
    pub skipped_views: Vec<String>,
}

type Conn<'c, DB> = &'c mut <DB as sqlx::Database>::Connection;

async fn rows_mysql(
    conn: Conn<'_, sqlx::MySql>,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    row.try_get_unchecked::<Option<Vec<u8>>, _>(i)
                        .ok()
                        .flatten()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                })
                .collect()
        })
        .collect())
}

/// MySQL/MariaDB: tables and their DDL, on the snapshot connection.
pub async fn mysql(conn: &mut sqlx::MySqlConnection) -> Result<SchemaDump, sqlx::Error> {
    let tables = rows_mysql(
        &mut *conn,
        "SELECT TABLE_NAME, TABLE_TYPE, CAST(COALESCE(TABLE_ROWS, 0) AS CHAR), \
         CAST(COALESCE(DATA_LENGTH, 0) AS CHAR) \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
    )
    .await?;
    let mut columns_of: std::collections::HashMap<String, Vec<Column>> = Default::default();
    for c in rows_mysql(
        &mut *conn,
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, EXTRA FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .await?
    {
        let data_type = c[2].clone().unwrap_or_default().to_ascii_lowercase();
        let extra = c[3].clone().unwrap_or_default().to_ascii_uppercase();
        columns_of
            .entry(c[0].clone().unwrap_or_default())
            .or_default()
            .push(Column {
                name: c[1].clone().unwrap_or_default(),
                // DEFAULT_GENERATED marks expression defaults, which are ordinary columns.
                generated: extra.contains("GENERATED") && !extra.contains("DEFAULT_GENERATED"),
                kind: mysql_kind(&data_type),
                always_identity: false,
            });
    }
    let mut dump = SchemaDump::default();
    for row in tables {
        let name = row[0].clone().unwrap_or_default();
        if row[1].as_deref() == Some("VIEW") {
            dump.skipped_views.push(name);
            continue;
        }
        let columns = columns_of.remove(&name).unwrap_or_default();
        let create = rows_mysql(
            &mut *conn,
            &format!("SHOW CREATE TABLE {}", quote_ident(Engine::Mysql, &name)),
        )
        .await?
        .into_iter()
        .next()
        .and_then(|r| r.get(1).cloned().flatten())
        .unwrap_or_default();
        dump.tables.push(TableSchema {
            name,
            columns,
            create,
            after_data: Vec::new(),
            rows_estimate: parse_u64(&row[2]),
            bytes_estimate: parse_u64(&row[3]),
            pages: 0,
        });
    }
    Ok(dump)
}

fn parse_u64(value: &Option<String>) -> u64 {
    value.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn mysql_kind(data_type: &str) -> ValueKind {
    match data_type {
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "decimal"
        | "numeric" | "float" | "double" | "real" | "year" => ValueKind::Number,
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "bit"
        | "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
        | "multipolygon" | "geometrycollection" => ValueKind::Binary,
        _ => ValueKind::Text,
    }
}

async fn rows_pg(
    conn: &mut sqlx::PgConnection,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.try_get::<Option<String>, _>(i).ok().flatten())
                .collect()
        })
        .collect())
}

/// Postgres: the schema's extensions, functions, sequences, tables, keys and indexes, read from
/// the catalogs on the snapshot connection (search_path is the backed-up schema) with one query
/// per kind of object, not per table.
pub async fn postgres(conn: &mut sqlx::PgConnection) -> Result<SchemaDump, sqlx::Error> {
    let mut dump = SchemaDump::default();
    pg_extensions(conn, &mut dump).await?;
    pg_functions(conn, &mut dump).await?;
    pg_sequences(conn, &mut dump).await?;
    let mut tables = pg_columns(conn).await?;
    let mut after_data = pg_constraints(conn, &mut tables, &mut dump).await?;
    pg_indexes(conn, &mut after_data).await?;
    let stats: std::collections::HashMap<String, (u64, u64, u64)> = rows_pg(
        conn,
        // reltuples is -1 until a table was first vacuumed or analyzed: the live-tuple count
        // of the statistics collector then gives the progress bar something to move by.
        "SELECT c.relname::text, \
                (CASE WHEN c.reltuples < 0 THEN COALESCE(s.n_live_tup, 0) \
                      ELSE c.reltuples END)::bigint::text, \
                pg_table_size(c.oid)::text, \
                (pg_relation_size(c.oid, 'main') / current_setting('block_size')::bigint)::text \
         FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid \
         WHERE c.relnamespace = current_schema()::regnamespace \
           AND c.relkind IN ('r', 'p')",
    )
    .await?
    .into_iter()
    .map(|r| {
        let name = r[0].clone().unwrap_or_default();
        (name, (parse_u64(&r[1]), parse_u64(&r[2]), parse_u64(&r[3])))
    })
    .collect();
    for (name, lines, columns) in tables {
        let (rows_estimate, bytes_estimate, pages) = stats.get(&name).copied().unwrap_or((0, 0, 0));
        dump.tables.push(TableSchema {
            create: format!(
                "CREATE TABLE {} (\n    {}\n)",
                quote_ident(Engine::Postgres, &name),
                lines.join(",\n    ")
            ),
            after_data: after_data.remove(&name).unwrap_or_default(),
            name,
            columns,
            rows_estimate,
            bytes_estimate,
            pages,
        });
    }
    dump.skipped_views = rows_pg(
        conn,
        "SELECT c.relname::text FROM pg_class c \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('v', 'm') \
         ORDER BY 1",
    )
    .await?
    .into_iter()
    .filter_map(|r| r[0].clone())
    .collect();

    pg_sequence_positions(conn, &mut dump).await?;
    Ok(dump)
}

/// A table being built from the catalogs: its name, its `CREATE TABLE` lines (columns, then
/// CHECK constraints) and its columns.
type PgTable = (String, Vec<String>, Vec<Column>);

/// Statements to run after a table's data, by table.
type AfterData = std::collections::HashMap<String, Vec<String>>;

/// The schema's extensions (plpgsql comes with every database).
async fn pg_extensions(
    conn: &mut sqlx::PgConnection,
    dump: &mut SchemaDump,
) -> Result<(), sqlx::Error> {
    for row in rows_pg(
        conn,
        "SELECT e.extname::text, n.nspname::text FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1",
    )
    .await?
    {
        dump.before_tables.push(format!(
            "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}",
            quote_ident(Engine::Postgres, row[0].as_deref().unwrap_or_default()),
            quote_ident(Engine::Postgres, row[1].as_deref().unwrap_or_default())
        ));
    }
    Ok(())
}

/// The schema's own functions and procedures (not an extension's).
async fn pg_functions(
    conn: &mut sqlx::PgConnection,
    dump: &mut SchemaDump,
) -> Result<(), sqlx::Error> {
    for row in rows_pg(
        conn,
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p \
         WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind IN ('f', 'p') \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') \
         ORDER BY p.proname",
    )
    .await?
    {
        if let Some(def) = &row[0] {
            dump.before_tables
                .push(def.trim_end().trim_end_matches(';').to_string());
        }
    }
    Ok(())
}

/// Sequences not created by an identity column; their position is set after the data.
async fn pg_sequences(
    conn: &mut sqlx::PgConnection,
    dump: &mut SchemaDump,
) -> Result<(), sqlx::Error> {
    for row in rows_pg(
        conn,
        "SELECT c.relname::text, format_type(s.seqtypid, NULL), s.seqstart::text, \
                s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text, \
                s.seqcycle::text, \
                (SELECT quote_ident(t.relname) || '.' || quote_ident(a.attname) \
                   FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid \
                   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
                  WHERE d.objid = c.oid AND d.deptype = 'a' LIMIT 1) \
         FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'S' \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i') \
         ORDER BY c.relname",
    )
    .await?
    {
        let get = |i: usize| row[i].clone().unwrap_or_default();
        let name = quote_ident(Engine::Postgres, &get(0));
        dump.before_tables.push(format!(
            "CREATE SEQUENCE {name} AS {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
            get(1),
            get(2),
            get(3),
            get(4),
            get(5),
            get(6),
            if get(7) == "true" { " CYCLE" } else { "" }
        ));
        if let Some(owner) = &row[8] {
            dump.after_all
                .push(format!("ALTER SEQUENCE {name} OWNED BY {owner}"));
        }
    }

    Ok(())
}

/// Every column of every table, in order, as DDL lines and as [`Column`]s.
async fn pg_columns(conn: &mut sqlx::PgConnection) -> Result<Vec<PgTable>, sqlx::Error> {
    let mut tables: Vec<PgTable> = Vec::new();
    for c in rows_pg(
        conn,
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                a.attnotnull::text, pg_get_expr(d.adbin, d.adrelid), a.attgenerated::text, \
                a.attidentity::text, \
                CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation \
                     THEN (SELECT quote_ident(co.collname) FROM pg_collation co \
                           WHERE co.oid = a.attcollation) END, \
                t.typcategory::text \
         FROM pg_class c \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
         ORDER BY c.relname, a.attnum",
    )
    .await?
    {
        let get = |i: usize| c[i].clone().unwrap_or_default();
        let table = get(0);
        if tables.last().is_none_or(|(t, _, _)| *t != table) {
            tables.push((table, Vec::new(), Vec::new()));
        }
        let Some((_, lines, cols)) = tables.last_mut() else {
            continue;
        };
        let col_name = get(1);
        let generated = get(5) == "s";
        let mut line = format!("{} {}", quote_ident(Engine::Postgres, &col_name), get(2));
        if let Some(collation) = &c[7] {
            line.push_str(&format!(" COLLATE {collation}"));
        }
        match (generated, get(6).as_str(), &c[4]) {
            (true, _, Some(expr)) => {
                line.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED"))
            }
            (false, "a", _) => line.push_str(" GENERATED ALWAYS AS IDENTITY"),
            (false, "d", _) => line.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
            (false, _, Some(default)) => line.push_str(&format!(" DEFAULT {default}")),
            _ => {}
        }
        if get(3) == "true" {
            line.push_str(" NOT NULL");
        }
        lines.push(line);
        cols.push(Column {
            always_identity: !generated && get(6) == "a",
            name: col_name,
            generated,
            kind: match get(8).as_str() {
                "N" => ValueKind::Number,
                _ if get(2) == "bytea" => ValueKind::Binary,
                _ => ValueKind::Text,
            },
        });
    }
    Ok(tables)
}

/// Constraints: CHECK inline in the table; keys after the table's data (returned); foreign
/// keys after every table.
async fn pg_constraints(
    conn: &mut sqlx::PgConnection,
    tables: &mut [PgTable],
    dump: &mut SchemaDump,
) -> Result<AfterData, sqlx::Error> {
    let mut after_data = AfterData::new();
    for row in rows_pg(
        conn,
        "SELECT c.relname::text, k.conname::text, pg_get_constraintdef(k.oid), k.contype::text \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
           AND k.contype IN ('c', 'p', 'u', 'x', 'f') \
         ORDER BY c.relname, k.contype, k.conname",
    )
    .await?
    {
        let table = row[0].clone().unwrap_or_default();
        let quoted = quote_ident(Engine::Postgres, &table);
        let constraint = format!(
            "CONSTRAINT {} {}",
            quote_ident(Engine::Postgres, row[1].as_deref().unwrap_or_default()),
            row[2].as_deref().unwrap_or_default()
        );
        match row[3].as_deref() {
            Some("c") => {
                if let Some((_, lines, _)) = tables.iter_mut().find(|(t, _, _)| *t == table) {
                    lines.push(constraint);
                }
            }
            Some("f") => dump
                .after_all
                .push(format!("ALTER TABLE ONLY {quoted} ADD {constraint}")),
            _ => after_data
                .entry(table)
                .or_default()
                .push(format!("ALTER TABLE ONLY {quoted} ADD {constraint}")),
        }
    }
    Ok(after_data)
}

/// Indexes that no constraint made, after their table's data.
async fn pg_indexes(
    conn: &mut sqlx::PgConnection,
    after_data: &mut AfterData,
) -> Result<(), sqlx::Error> {
    for row in rows_pg(
        conn,
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indrelid \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
         ORDER BY c.relname, i.indexrelid::regclass::text",
    )
    .await?
    {
        if let (Some(table), Some(def)) = (&row[0], &row[1]) {
            after_data
                .entry(table.clone())
                .or_default()
                .push(def.clone());
        }
    }
    Ok(())
}

/// Sequence positions (serial, identity and standalone), read in the snapshot.
async fn pg_sequence_positions(
    conn: &mut sqlx::PgConnection,
    dump: &mut SchemaDump,
) -> Result<(), sqlx::Error> {
    for row in rows_pg(
        conn,
        "SELECT sequencename::text, last_value::text FROM pg_sequences \
         WHERE schemaname = current_schema() ORDER BY 1",
    )
    .await?
    {
        let quoted = quote_ident(Engine::Postgres, row[0].as_deref().unwrap_or_default());
        let mut literal = Vec::new();
        super::sql::pg_string(&mut literal, quoted.as_bytes());
        let literal = String::from_utf8_lossy(&literal);
        // A sequence never used has no last value: restart it where it starts.
        dump.after_all.push(match &row[1] {
            Some(value) => format!("SELECT pg_catalog.setval({literal}, {value}, true)"),
            None => format!("ALTER SEQUENCE {quoted} RESTART"),
        });
    }
    Ok(())
}
