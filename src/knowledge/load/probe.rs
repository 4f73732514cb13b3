//! `probes:` of an item: read-only SQL per engine (or the `connection:` shorthand, whose SQL is
//! generated from validated names), each refused with its line when it is not one read-only
//! query.

use super::reader::{Ctx, Map, is_identifier, is_kebab};
use super::rules::service_types;
use crate::db::Engine;
use crate::knowledge::model::{Effect, EngineSql, Probe, SchemaCondition};
use crate::knowledge::{probe_sql, template};
use crate::yaml::Node;

/// What a probe reads and runs: its tables, the count SQL and the optional sample SQL.
type ProbeSql = (Vec<String>, EngineSql, Option<EngineSql>);

pub(super) fn parse_probe(ctx: &mut Ctx<'_>, node: &Node) -> Option<Probe> {
    let map = ctx.mapping(node, "a probe")?;
    map.unknown_keys(
        ctx,
        &[
            "id",
            "effect",
            "tables",
            "count",
            "sample",
            "connection",
            "if_table",
            "if_no_table",
            "affects",
            "clear",
        ],
    );
    let id = map.text(ctx, "id", true);
    if let Some(id) = &id
        && !is_kebab(id)
    {
        ctx.problem(
            map.line_of("id"),
            &format!("probe id '{id}' must be kebab-case"),
        );
    }
    let effect = parse_effect(ctx, &map);
    let affects = map.text(ctx, "affects", true);
    for unknown in affects
        .iter()
        .flat_map(|a| template::unknown_placeholders(a))
    {
        ctx.problem(
            map.line_of("affects"),
            &format!(
                "probe '{}': affects has {unknown}: use {{count}}, {{first}} or {{one|many}}",
                id.as_deref().unwrap_or("?")
            ),
        );
    }
    let clear = map.text(ctx, "clear", true);
    let schema = parse_schema_condition(ctx, &map);
    let sql = match (map.get("count"), map.get("connection")) {
        (Some(_), Some(_)) => {
            ctx.problem(
                node.line,
                "a probe has either count (SQL) or connection, not both",
            );
            None
        }
        (None, None) => {
            ctx.problem(node.line, "a probe needs count (SQL) or connection");
            None
        }
        (Some(count), None) => parse_sql_probe(ctx, &map, node, count),
        (None, Some(connection)) => {
            for key in ["tables", "sample"] {
                if map.get(key).is_some() {
                    ctx.problem(
                        map.line_of(key),
                        &format!("{key} is derived from connection; leave it out"),
                    );
                }
            }
            parse_connection_probe(ctx, connection)
        }
    };
    let (tables, count, sample) = sql?;
    Some(Probe {
        id: id?,
        effect: effect?,
        tables,
        schema,
        count,
        sample,
        affects: affects?,
        clear: clear?,
    })
}

/// `if_table: t` (the probe is for databases that have t) or `if_no_table: t` (for databases
/// from before t existed).
fn parse_schema_condition(ctx: &mut Ctx<'_>, map: &Map<'_>) -> Option<SchemaCondition> {
    let exists = map.text(ctx, "if_table", false);
    let missing = map.text(ctx, "if_no_table", false);
    let condition = match (exists, missing) {
        (Some(_), Some(_)) => {
            ctx.problem(
                map.line_of("if_no_table"),
                "give if_table or if_no_table, not both",
            );
            return None;
        }
        (Some(t), None) => SchemaCondition::TableExists(t),
        (None, Some(t)) => SchemaCondition::TableMissing(t),
        (None, None) => return None,
    };
    let (SchemaCondition::TableExists(table) | SchemaCondition::TableMissing(table)) = &condition;
    if !is_identifier(table) {
        ctx.problem(
            map.node.line,
            &format!("if_table / if_no_table '{table}' must be a lower-case table name"),
        );
        return None;
    }
    Some(condition)
}

fn parse_effect(ctx: &mut Ctx<'_>, map: &Map<'_>) -> Option<Effect> {
    match map.text(ctx, "effect", false).as_deref() {
        None | Some("affects") => Some(Effect::Affects),
        Some("info") => Some(Effect::Info),
        Some(other) => {
            ctx.problem(
                map.line_of("effect"),
                &format!("effect '{other}' must be affects or info"),
            );
            None
        }
    }
}

/// `count:` / `sample:` / `tables:` written out by hand.
fn parse_sql_probe(
    ctx: &mut Ctx<'_>,
    map: &Map<'_>,
    node: &Node,
    count: &Node,
) -> Option<ProbeSql> {
    let count = parse_engine_sql(ctx, count, "count");
    let sample = map
        .get("sample")
        .and_then(|s| parse_engine_sql(ctx, s, "sample"));
    if let Some(sample) = &sample {
        for sql in [&sample.mysql, &sample.postgres].into_iter().flatten() {
            if !sql.to_ascii_uppercase().contains("LIMIT") {
                ctx.problem(
                    map.line_of("sample"),
                    "sample SQL must have a LIMIT (it is shown as evidence)",
                );
            }
        }
    }
    let tables = match map.get("tables") {
        None => {
            ctx.problem(node.line, "a SQL probe must list the tables it reads");
            None
        }
        Some(t) => {
            let mut tables = Vec::new();
            for table in ctx.sequence(t, "tables").unwrap_or_default() {
                match table.as_str() {
                    Some(name) if !name.is_empty() => tables.push(name.to_string()),
                    _ => ctx.problem(table.line, "a table is a name"),
                }
            }
            Some(tables)
        }
    };
    Some((tables?, count?, sample))
}

fn parse_engine_sql(ctx: &mut Ctx<'_>, node: &Node, what: &str) -> Option<EngineSql> {
    let map = ctx.mapping(node, what)?;
    map.unknown_keys(ctx, &["sql", "mysql", "postgres"]);
    let shared_text = map.text(ctx, "sql", false);
    let mysql = map.text(ctx, "mysql", false);
    let postgres = map.text(ctx, "postgres", false);
    if shared_text.is_some() && (mysql.is_some() || postgres.is_some()) {
        ctx.problem(
            node.line,
            &format!("{what}: give sql (both engines) or mysql/postgres, not both"),
        );
        return None;
    }
    let shared = shared_text.is_some();
    let sql = match shared_text {
        Some(sql) => EngineSql {
            mysql: Some(sql.clone()),
            postgres: Some(sql),
        },
        None => EngineSql { mysql, postgres },
    };
    if sql.mysql.is_none() && sql.postgres.is_none() {
        ctx.problem(node.line, &format!("{what} needs sql, mysql or postgres"));
        return None;
    }
    // One read-only query each: the READ ONLY transaction does not stop every side effect.
    for engine in [Engine::Mysql, Engine::Postgres] {
        let Some(reason) = sql
            .for_engine(engine)
            .and_then(|t| probe_sql::refusal(t, engine))
        else {
            continue;
        };
        let name = engine.to_string();
        let key = if shared { "sql" } else { name.as_str() };
        ctx.problem(map.line_of(key), &format!("{what} SQL ({engine}) {reason}"));
        return None;
    }
    Some(sql)
}

/// `connection: {table, service_types, key, when}`: services of some types whose
/// `connection.config` has (or lacks) a key. The SQL is generated for both engines from
/// validated names only, so nothing from the file reaches the database unchecked.
fn parse_connection_probe(ctx: &mut Ctx<'_>, node: &Node) -> Option<ProbeSql> {
    let map = ctx.mapping(node, "connection")?;
    map.unknown_keys(ctx, &["table", "service_types", "key", "when"]);
    let table = map.text(ctx, "table", true);
    if let Some(table) = &table
        && !is_identifier(table)
    {
        ctx.problem(
            map.line_of("table"),
            &format!("table '{table}' must be a lower-case table name"),
        );
        return None;
    }
    let key = map.text(ctx, "key", true);
    if let Some(key) = &key
        && !key
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        ctx.problem(
            map.line_of("key"),
            &format!("key '{key}' must be a dotted path under connection.config"),
        );
        return None;
    }
    let present = match map.text(ctx, "when", true).as_deref() {
        Some("present") => Some(true),
        Some("absent") => Some(false),
        Some(other) => {
            ctx.problem(
                map.line_of("when"),
                &format!("when '{other}' must be present or absent"),
            );
            None
        }
        None => None,
    };
    let types = match map.get("service_types") {
        None => {
            ctx.problem(map.node.line, "missing required field 'service_types'");
            Vec::new()
        }
        Some(list) => service_types(ctx, list),
    };
    let (table, key, present) = (table?, key?, present?);
    if types.is_empty() {
        return None;
    }
    Some(connection_sql(&table, &types, &key, present))
}

/// The count and sample SQL of a `connection:` probe, for both engines.
fn connection_sql(table: &str, types: &[String], key: &str, present: bool) -> ProbeSql {
    let types = types
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let mysql_path = format!("$.connection.config.{key}");
    let pg_path = format!("{{connection,config,{}}}", key.replace('.', ","));
    let mysql_where = format!(
        "JSON_UNQUOTE(JSON_EXTRACT(json, '$.serviceType')) IN ({types}) \
         AND JSON_CONTAINS_PATH(json, 'one', '{mysql_path}') = {}",
        if present { 1 } else { 0 }
    );
    let pg_where = format!(
        "json::jsonb ->> 'serviceType' IN ({types}) AND (json::jsonb #> '{pg_path}') IS {}NULL",
        if present { "NOT " } else { "" }
    );
    let count = EngineSql {
        mysql: Some(format!("SELECT COUNT(*) FROM {table} WHERE {mysql_where}")),
        postgres: Some(format!("SELECT COUNT(*) FROM {table} WHERE {pg_where}")),
    };
    let sample = EngineSql {
        mysql: Some(format!(
            "SELECT JSON_UNQUOTE(JSON_EXTRACT(json, '$.name')) FROM {table} WHERE {mysql_where} \
             ORDER BY 1 LIMIT 5"
        )),
        postgres: Some(format!(
            "SELECT json::jsonb ->> 'name' FROM {table} WHERE {pg_where} ORDER BY 1 LIMIT 5"
        )),
    };
    (vec![table.to_string()], count, Some(sample))
}
