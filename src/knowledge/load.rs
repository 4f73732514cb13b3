//! Reading catalogue files: YAML with positions into [`Release`]s, and every malformed or
//! incomplete entry reported with its file and line.

use std::collections::BTreeSet;
use std::fmt;

use super::model::{
    Component, ConfigRule, Effect, EngineSql, FileKind, Item, Kind, Probe, Range, Release,
    Requirements, When,
};
use super::probe_sql;
use super::template;
use crate::db::Engine;
use crate::version::Version;
use crate::yaml::{self, Entry, Node, NodeKind};

/// A mistake in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.message)
    }
}

/// Longest title shown on one line.
const TITLE_MAX: usize = 90;

/// Parses one catalogue file. Problems are appended to `problems`; a release is returned when
/// the file could be read at all (so several files' problems are reported together).
pub fn parse_release(file: &str, text: &str, problems: &mut Vec<Problem>) -> Option<Release> {
    let mut ctx = Ctx {
        file,
        problems,
        where_: String::new(),
    };
    if text.contains('\t') {
        let line = text.lines().position(|l| l.contains('\t')).unwrap_or(0) + 1;
        ctx.problem(line, "contains a tab character; indent with spaces");
    }
    let doc = match yaml::parse_located(text) {
        Ok(doc) => doc,
        Err(error) => {
            ctx.problem(error.line.unwrap_or(1), &error.kind.to_string());
            return None;
        }
    };
    let top = ctx.mapping(&doc, "the file")?;
    top.unknown_keys(
        &mut ctx,
        &[
            "release",
            "date",
            "notes",
            "patches",
            "upgrade_from",
            "items",
        ],
    );

    let name = file.strip_suffix(".yaml").unwrap_or(file);
    let release_text = top.text(&mut ctx, "release", true);
    let (major, minor) = match release_text.as_deref().map(minor_line) {
        Some(Some(parts)) => parts,
        Some(None) => {
            ctx.problem(
                top.line_of("release"),
                "release must be 'major.minor', like \"1.2\"",
            );
            return None;
        }
        None => return None,
    };
    let release = format!("{major}.{minor}");
    if release != name {
        ctx.problem(
            top.line_of("release"),
            &format!("release \"{release}\" does not match the file name {file}"),
        );
    }
    let date = top.text(&mut ctx, "date", false);
    if let Some(date) = &date {
        let ok = date.len() >= 7
            && date
                .split('-')
                .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
            && matches!(date.split('-').count(), 2 | 3);
        if !ok {
            ctx.problem(
                top.line_of("date"),
                &format!("date '{date}' is not YYYY-MM or YYYY-MM-DD"),
            );
        }
    }
    let notes = top.url(&mut ctx, "notes").unwrap_or_default();

    let mut patches: Vec<Version> = Vec::new();
    match top.get("patches") {
        None => ctx.problem(top.node.line, "missing required field 'patches'"),
        Some(node) => {
            let items = ctx.sequence(node, "patches").unwrap_or_default();
            if items.is_empty() {
                ctx.problem(node.line, "patches must list at least one release");
            }
            for item in items {
                match item
                    .as_scalar()
                    .and_then(|t| patch_version(t, major, minor))
                {
                    Some(v) if patches.last().is_some_and(|last| *last >= v) => ctx.problem(
                        item.line,
                        &format!(
                            "patch {v} is not after the one before it: keep patches ascending"
                        ),
                    ),
                    Some(v) => patches.push(v),
                    None => ctx.problem(
                        item.line,
                        &format!(
                            "'{}' is not a {major}.{minor}.x patch release",
                            item.as_scalar().unwrap_or("?")
                        ),
                    ),
                }
            }
        }
    }
    let upgrade_from =
        top.text(&mut ctx, "upgrade_from", false)
            .and_then(|t| match t.parse::<Version>() {
                Ok(v) => Some(v),
                Err(_) => {
                    ctx.problem(
                        top.line_of("upgrade_from"),
                        &format!("upgrade_from '{t}' is not a version"),
                    );
                    None
                }
            });

    let mut items = Vec::new();
    match top.get("items") {
        None => ctx.problem(top.node.line, "missing required field 'items'"),
        Some(node) => {
            let list = ctx.sequence(node, "items").unwrap_or_default();
            if list.is_empty() {
                ctx.problem(node.line, "items must list at least one item");
            }
            let mut ids = BTreeSet::new();
            for (index, item_node) in list.iter().enumerate() {
                if let Some(item) = parse_item(&mut ctx, item_node, index, &release, &patches) {
                    if !ids.insert(item.id.clone()) {
                        ctx.problem(
                            item.line,
                            &format!("item id '{}' is used twice in this file", item.id),
                        );
                    }
                    items.push(item);
                }
            }
        }
    }
    Some(Release {
        version: release,
        major,
        minor,
        date,
        notes,
        patches,
        upgrade_from,
        items,
        file: file.to_string(),
    })
}

fn minor_line(text: &str) -> Option<(u64, u64)> {
    let (major, minor) = text.split_once('.')?;
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    Some((number(major)?, number(minor)?))
}

fn patch_version(text: &str, major: u64, minor: u64) -> Option<Version> {
    let v: Version = text.parse().ok()?;
    let exact = text.split('.').count() == 3 && !v.is_prerelease();
    (exact && v.major() == major && v.minor() == minor).then_some(v)
}

fn parse_item(
    ctx: &mut Ctx<'_>,
    node: &Node,
    index: usize,
    release: &str,
    patches: &[Version],
) -> Option<Item> {
    ctx.where_ = format!("item {}: ", index + 1);
    let map = ctx.mapping(node, "an item")?;
    map.unknown_keys(
        ctx,
        &[
            "id",
            "patch",
            "kind",
            "components",
            "title",
            "change",
            "migration",
            "action",
            "source",
            "unverified",
            "requires",
            "config_rules",
            "probes",
        ],
    );
    let id = map.text(ctx, "id", true);
    if let Some(id) = &id {
        ctx.where_ = format!("item '{id}': ");
        if !is_kebab(id) {
            ctx.problem(
                map.line_of("id"),
                &format!("id '{id}' must be kebab-case (a-z, 0-9, dashes)"),
            );
        }
    }
    let kind = map
        .text(ctx, "kind", true)
        .and_then(|k| match Kind::parse(&k) {
            Some(kind) => Some(kind),
            None => {
                ctx.problem(
                    map.line_of("kind"),
                    &format!(
                        "kind '{k}' is not one of {}",
                        Kind::ALL.map(Kind::as_str).join(", ")
                    ),
                );
                None
            }
        });
    let components = match map.get("components") {
        None => {
            ctx.problem(map.node.line, "missing required field 'components'");
            Vec::new()
        }
        Some(node) => {
            let list = ctx.sequence(node, "components").unwrap_or_default();
            if list.is_empty() {
                ctx.problem(node.line, "components must name at least one component");
            }
            let mut components = Vec::new();
            for c in list {
                match c.as_str().and_then(Component::parse) {
                    Some(component) if components.contains(&component) => {
                        ctx.problem(c.line, &format!("component {component} is listed twice"))
                    }
                    Some(component) => components.push(component),
                    None => ctx.problem(
                        c.line,
                        &format!(
                            "component '{}' is not known (server, ingestion, database, search, \
                             airflow, openmetadata.yaml, helm, docker, api, sdk, ui or \
                             connector:<ServiceType>)",
                            c.as_scalar().unwrap_or("?")
                        ),
                    ),
                }
            }
            components
        }
    };
    let title = map.text(ctx, "title", true);
    if let Some(title) = &title {
        if title.contains('\n') {
            ctx.problem(map.line_of("title"), "title must be one line");
        } else if title.chars().count() > TITLE_MAX {
            ctx.problem(
                map.line_of("title"),
                &format!("title is longer than {TITLE_MAX} characters"),
            );
        }
    }
    let change = map.text(ctx, "change", true);
    let migration = map.text(ctx, "migration", false);
    let action = map.text(ctx, "action", true);
    let source = map.url(ctx, "source");
    let patch = match map.text(ctx, "patch", false) {
        None => Some(patches.first().cloned().unwrap_or_else(|| {
            let (major, minor) = minor_line(release).unwrap_or((0, 0));
            Version::new(major, minor, 0)
        })),
        Some(text) => match text.parse::<Version>() {
            Ok(v) if patches.contains(&v) && text.split('.').count() == 3 => Some(v),
            _ => {
                ctx.problem(
                    map.line_of("patch"),
                    &format!("patch '{text}' is not one of this release's patches"),
                );
                None
            }
        },
    };
    let unverified = match map.get("unverified") {
        None => false,
        Some(node) if node.kind == NodeKind::Bool(true) => true,
        Some(node) => {
            ctx.problem(node.line, "unverified, when present, must be true");
            false
        }
    };
    let requires = map
        .get("requires")
        .and_then(|node| parse_requires(ctx, node));
    if kind == Some(Kind::Requirement) && map.get("requires").is_none() {
        ctx.problem(
            map.node.line,
            "a requirement item needs 'requires' (python, mysql, postgres, ...)",
        );
    }
    if requires.is_some() && kind.is_some_and(|k| k != Kind::Requirement) {
        ctx.problem(
            map.line_of("requires"),
            "'requires' is only allowed on kind: requirement",
        );
    }
    let config_rules = match map.get("config_rules") {
        None => Vec::new(),
        Some(node) => ctx
            .sequence(node, "config_rules")
            .unwrap_or_default()
            .iter()
            .filter_map(|rule| parse_rule(ctx, rule))
            .collect(),
    };
    let probes = match map.get("probes") {
        None => Vec::new(),
        Some(node) => {
            let list = ctx.sequence(node, "probes").unwrap_or_default();
            let mut probes: Vec<Probe> = Vec::new();
            for probe_node in list {
                if let Some(probe) = parse_probe(ctx, probe_node) {
                    if probes.iter().any(|p| p.id == probe.id) {
                        ctx.problem(
                            probe_node.line,
                            &format!("probe id '{}' is used twice", probe.id),
                        );
                    }
                    probes.push(probe);
                }
            }
            probes
        }
    };
    ctx.where_.clear();
    Some(Item {
        id: id?,
        release: release.to_string(),
        patch: patch?,
        kind: kind?,
        components,
        title: title?,
        change: change?,
        migration,
        action: action?,
        source: source?,
        unverified,
        requires,
        config_rules,
        probes,
        file: ctx.file.to_string(),
        line: node.line,
    })
}

fn is_kebab(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn is_identifier(text: &str) -> bool {
    text.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_dotted_key(text: &str) -> bool {
    text.split('.').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// A bound of a requirement range: `3.10`, `8.0.42`, or a bare major like `17`.
fn bound(text: &str) -> Option<Version> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return format!("{text}.0").parse().ok();
    }
    let v: Version = text.parse().ok()?;
    (!v.is_prerelease() && v.client_build().is_none()).then_some(v)
}

fn parse_requires(ctx: &mut Ctx<'_>, node: &Node) -> Option<Requirements> {
    let map = ctx.mapping(node, "requires")?;
    let mut requires = Requirements::default();
    let NodeKind::Mapping(entries) = &map.node.kind else {
        return None;
    };
    if entries.is_empty() {
        ctx.problem(node.line, "requires must name at least one requirement");
    }
    for entry in entries {
        let Some(slot) = requires.slot(&entry.key) else {
            ctx.problem(
                entry.key_line,
                &format!(
                    "requires.{} is not known ({})",
                    entry.key,
                    Requirements::KEYS.join(", ")
                ),
            );
            continue;
        };
        let Some(range_map) = ctx.mapping(&entry.value, &format!("requires.{}", entry.key)) else {
            continue;
        };
        range_map.unknown_keys(ctx, &["min", "max"]);
        let mut range = Range::default();
        for (name, target) in [("min", &mut range.min), ("max", &mut range.max)] {
            if let Some(text) = range_map.text(ctx, name, false) {
                match bound(&text) {
                    Some(v) => *target = Some(v),
                    None => ctx.problem(
                        range_map.line_of(name),
                        &format!("requires.{}.{name} '{text}' is not a version", entry.key),
                    ),
                }
            }
        }
        if range.min.is_none() && range.max.is_none() {
            ctx.problem(
                entry.key_line,
                &format!("requires.{} needs min or max", entry.key),
            );
        }
        if let (Some(min), Some(max)) = (&range.min, &range.max)
            && min > max
        {
            ctx.problem(
                entry.key_line,
                &format!("requires.{}: min {min} is above max {max}", entry.key),
            );
        }
        *slot = Some(range);
    }
    Some(requires)
}

fn parse_rule(ctx: &mut Ctx<'_>, node: &Node) -> Option<ConfigRule> {
    let map = ctx.mapping(node, "a config rule")?;
    map.unknown_keys(ctx, &["file", "key", "when", "value", "service_types"]);
    let file = match map.text(ctx, "file", true).as_deref() {
        Some("server") => Some(FileKind::Server),
        Some("workflow") => Some(FileKind::Workflow),
        Some(other) => {
            ctx.problem(
                map.line_of("file"),
                &format!("config rule file '{other}' must be server or workflow"),
            );
            None
        }
        None => None,
    };
    let key = map.text(ctx, "key", true);
    if let Some(key) = &key {
        if !is_dotted_key(key) {
            ctx.problem(
                map.line_of("key"),
                &format!("config rule key '{key}' must be a dotted path"),
            );
        } else if file == Some(FileKind::Workflow)
            && ![
                "source.",
                "workflowConfig.",
                "processor.",
                "sink.",
                "bulkSink.",
                "stage.",
            ]
            .iter()
            .any(|root| key.starts_with(root))
        {
            ctx.problem(
                map.line_of("key"),
                &format!("workflow rule key '{key}' must start at a workflow section (source., workflowConfig., processor., sink., ...)"),
            );
        }
    }
    let value = map.text(ctx, "value", false);
    let when = match (map.text(ctx, "when", true).as_deref(), value) {
        (Some("present"), None) => Some(When::Present),
        (Some("absent"), None) => Some(When::Absent),
        (Some("equals"), Some(value)) => Some(When::Equals(value)),
        (Some("equals"), None) => {
            ctx.problem(map.line_of("when"), "when: equals needs a value");
            None
        }
        (Some("present" | "absent"), Some(_)) => {
            ctx.problem(map.line_of("value"), "value only goes with when: equals");
            None
        }
        (Some(other), _) => {
            ctx.problem(
                map.line_of("when"),
                &format!("when '{other}' must be present, absent or equals"),
            );
            None
        }
        (None, _) => None,
    };
    let service_types = match map.get("service_types") {
        None => Vec::new(),
        Some(node) => {
            if file == Some(FileKind::Server) {
                ctx.problem(node.line, "service_types only applies to workflow rules");
            }
            let mut types = Vec::new();
            for t in ctx.sequence(node, "service_types").unwrap_or_default() {
                match t.as_str() {
                    Some(s) if s.bytes().all(|b| b.is_ascii_alphanumeric()) && !s.is_empty() => {
                        types.push(s.to_string())
                    }
                    _ => ctx.problem(t.line, "a service type is a name like DomoDatabase"),
                }
            }
            if types.is_empty() {
                ctx.problem(node.line, "service_types must name at least one type");
            }
            types
        }
    };
    Some(ConfigRule {
        file: file?,
        key: key?,
        when: when?,
        service_types,
    })
}

fn parse_probe(ctx: &mut Ctx<'_>, node: &Node) -> Option<Probe> {
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
    let effect = match map.text(ctx, "effect", false).as_deref() {
        None | Some("affects") => Some(Effect::Affects),
        Some("info") => Some(Effect::Info),
        Some(other) => {
            ctx.problem(
                map.line_of("effect"),
                &format!("effect '{other}' must be affects or info"),
            );
            None
        }
    };
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
        (Some(count), None) => {
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
            match (count, tables) {
                (Some(count), Some(tables)) => Some((tables, count, sample)),
                _ => None,
            }
        }
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
        count,
        sample,
        affects: affects?,
        clear: clear?,
    })
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
fn parse_connection_probe(
    ctx: &mut Ctx<'_>,
    node: &Node,
) -> Option<(Vec<String>, EngineSql, Option<EngineSql>)> {
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
    let mut types = Vec::new();
    match map.get("service_types") {
        None => ctx.problem(map.node.line, "missing required field 'service_types'"),
        Some(list) => {
            for t in ctx.sequence(list, "service_types").unwrap_or_default() {
                match t.as_str() {
                    Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                        types.push(format!("'{s}'"))
                    }
                    _ => ctx.problem(t.line, "a service type is a name like DomoDatabase"),
                }
            }
        }
    }
    let (table, key, present) = (table?, key?, present?);
    if types.is_empty() {
        return None;
    }
    let types = types.join(", ");
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
    Some((vec![table], count, Some(sample)))
}

/// Problems are collected with the item they belong to.
struct Ctx<'a> {
    file: &'a str,
    problems: &'a mut Vec<Problem>,
    /// `item 'x': ` while reading an item.
    where_: String,
}

impl Ctx<'_> {
    fn problem(&mut self, line: usize, message: &str) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            line,
            message: format!("{}{message}", self.where_),
        });
    }

    fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<Map<'n>> {
        match &node.kind {
            NodeKind::Mapping(entries) => {
                let mut seen = BTreeSet::new();
                for entry in entries {
                    if !seen.insert(entry.key.as_str()) {
                        self.problem(
                            entry.key_line,
                            &format!("key '{}' appears twice", entry.key),
                        );
                    }
                }
                Some(Map { node })
            }
            _ => {
                self.problem(node.line, &format!("{what} must be a mapping (key: value)"));
                None
            }
        }
    }

    fn sequence<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.kind {
            NodeKind::Sequence(items) => Some(items),
            _ => {
                self.problem(node.line, &format!("{what} must be a list"));
                None
            }
        }
    }
}

/// A mapping node being read.
struct Map<'n> {
    node: &'n Node,
}

impl Map<'_> {
    fn entries(&self) -> &[Entry] {
        match &self.node.kind {
            NodeKind::Mapping(entries) => entries,
            _ => &[],
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.node.get(key)
    }

    /// The line of `key`, or of the mapping when the key is missing.
    fn line_of(&self, key: &str) -> usize {
        self.node.entry(key).map_or(self.node.line, |e| e.key_line)
    }

    fn unknown_keys(&self, ctx: &mut Ctx<'_>, known: &[&str]) {
        for entry in self.entries() {
            if !known.contains(&entry.key.as_str()) {
                ctx.problem(
                    entry.key_line,
                    &format!("unknown key '{}' (known: {})", entry.key, known.join(", ")),
                );
            }
        }
    }

    /// A non-empty text value; `required` reports a missing key.
    fn text(&self, ctx: &mut Ctx<'_>, key: &str, required: bool) -> Option<String> {
        let Some(entry) = self.node.entry(key) else {
            if required {
                ctx.problem(self.node.line, &format!("missing required field '{key}'"));
            }
            return None;
        };
        match entry.value.as_scalar().map(str::trim) {
            Some(text) if !text.is_empty() => Some(text.to_string()),
            _ => {
                ctx.problem(entry.key_line, &format!("{key} must be non-empty text"));
                None
            }
        }
    }

    fn url(&self, ctx: &mut Ctx<'_>, key: &str) -> Option<String> {
        let text = self.text(ctx, key, true)?;
        if text.starts_with("https://") && !text.contains(char::is_whitespace) && text.len() > 8 {
            Some(text)
        } else {
            ctx.problem(
                self.line_of(key),
                &format!("{key} must be an https:// link, got '{text}'"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"release: "1.2"
notes: https://example.org/notes
patches: ["1.2.0", "1.2.1"]
items:
  - id: an-item
    kind: connection
    components: [connector:DomoDatabase]
    title: Something changed
    change: It changed.
    action: Do something.
    source: https://example.org/source
    config_rules:
      - file: workflow
        service_types: [DomoDatabase]
        key: source.serviceConnection.config.sandboxDomain
        when: present
    probes:
      - id: domo
        connection:
          table: dbservice_entity
          service_types: [DomoDatabase]
          key: sandboxDomain
          when: present
        affects: "{count} services"
        clear: none
  - id: python
    patch: "1.2.1"
    kind: requirement
    components: [ingestion]
    title: Python
    change: Python range.
    action: Use it.
    source: https://example.org/python
    requires:
      python: { min: "3.8", max: "3.10" }
      java: { min: "17" }
"#;

    fn parse(text: &str) -> (Option<Release>, Vec<Problem>) {
        let mut problems = Vec::new();
        let release = parse_release("1.2.yaml", text, &mut problems);
        (release, problems)
    }

    #[test]
    fn a_good_file_parses_into_typed_items() {
        let (release, problems) = parse(GOOD);
        assert!(problems.is_empty(), "{problems:?}");
        let release = release.unwrap();
        assert_eq!(release.version, "1.2");
        assert_eq!(release.items.len(), 2);
        let domo = &release.items[0];
        assert_eq!(domo.patch, Version::new(1, 2, 0));
        assert_eq!(domo.line, 5);
        let sql = domo.probes[0].count.mysql.as_deref().unwrap();
        assert!(
            sql.contains(
                "JSON_CONTAINS_PATH(json, 'one', '$.connection.config.sandboxDomain') = 1"
            ),
            "{sql}"
        );
        let pg = domo.probes[0].count.postgres.as_deref().unwrap();
        assert!(
            pg.contains("#> '{connection,config,sandboxDomain}') IS NOT NULL"),
            "{pg}"
        );
        let python = &release.items[1];
        assert_eq!(python.patch, Version::new(1, 2, 1));
        let requires = python.requires.as_ref().unwrap();
        assert_eq!(
            requires.java.as_ref().unwrap().min,
            Some(Version::new(17, 0, 0))
        );
        assert_eq!(requires.python.as_ref().unwrap().to_string(), "3.8–3.10");
    }

    fn problems_of(text: &str) -> Vec<String> {
        parse(text).1.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn incomplete_and_malformed_items_are_reported_with_their_line() {
        let missing_source = GOOD.replace("    source: https://example.org/source\n", "");
        let problems = problems_of(&missing_source);
        assert_eq!(
            problems,
            vec!["1.2.yaml line 5: item 'an-item': missing required field 'source'"]
        );

        let bad_kind = GOOD.replace("kind: connection", "kind: brekaing");
        let problems = problems_of(&bad_kind);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("1.2.yaml line 6: item 'an-item': kind 'brekaing'"),
            "{problems:?}"
        );

        let bad_patch = GOOD.replace("patch: \"1.2.1\"", "patch: \"1.2.7\"");
        assert!(
            problems_of(&bad_patch)[0]
                .starts_with("1.2.yaml line 27: item 'python': patch '1.2.7'")
        );

        let typo = GOOD.replace("    action: Do something.\n", "    actoin: Do something.\n");
        let problems = problems_of(&typo);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("line 10") && p.contains("unknown key 'actoin'")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("missing required field 'action'")),
            "{problems:?}"
        );

        let commit = GOOD.replace(
            "        connection:\n          table: dbservice_entity\n          service_types: [DomoDatabase]\n          key: sandboxDomain\n          when: present\n",
            "        tables: [t]\n        count: { sql: COMMIT }\n",
        );
        assert!(
            problems_of(&commit)[0].contains("must be a query starting with SELECT or WITH"),
            "{:?}",
            problems_of(&commit)
        );

        let unsafe_table = GOOD.replace(
            "table: dbservice_entity",
            "table: dbservice_entity; DROP TABLE x",
        );
        assert!(problems_of(&unsafe_table)[0].contains("must be a lower-case table name"));

        let no_limit = GOOD.replace(
            "        connection:\n          table: dbservice_entity\n          service_types: [DomoDatabase]\n          key: sandboxDomain\n          when: present\n",
            "        tables: [t]\n        count: { sql: SELECT 1 }\n        sample: { sql: SELECT name FROM t }\n",
        );
        assert!(
            problems_of(&no_limit)[0].contains("must have a LIMIT"),
            "{:?}",
            problems_of(&no_limit)
        );

        let typo = GOOD.replace("\"{count} services\"", "\"{cuont} {service|services}\"");
        assert_eq!(
            problems_of(&typo),
            vec![
                "1.2.yaml line 24: item 'an-item': probe 'domo': affects has {cuont}: use \
                 {count}, {first} or {one|many}"
            ]
        );
    }

    #[test]
    fn probe_sql_that_is_not_one_read_only_query_is_refused_with_its_line() {
        let connection = "        connection:\n          table: dbservice_entity\n          service_types: [DomoDatabase]\n          key: sandboxDomain\n          when: present\n";
        let with_count = |count: &str| {
            GOOD.replace(
                connection,
                &format!("        tables: [t]\n        count:\n{count}"),
            )
        };

        let outfile = with_count(
            "          mysql: SELECT json FROM t INTO OUTFILE '/tmp/om.txt'\n          postgres: SELECT 1\n",
        );
        let problems = problems_of(&outfile);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "1.2.yaml line 21: item 'an-item': count SQL (mysql) must not use into: "
            ),
            "{problems:?}"
        );

        let two = with_count("          sql: SELECT 1; SELECT 2\n");
        assert_eq!(
            problems_of(&two),
            vec![
                "1.2.yaml line 21: item 'an-item': count SQL (mysql) must be one statement: a ';' \
                 outside a string would start another"
            ]
        );

        let sleep =
            with_count("          postgres: SELECT COUNT(*) FROM t WHERE pg_sleep(5) IS NULL\n");
        assert!(
            problems_of(&sleep)[0].starts_with(
                "1.2.yaml line 21: item 'an-item': count SQL (postgres) must not use pg_sleep: "
            ),
            "{:?}",
            problems_of(&sleep)
        );

        // The same checks hold for the sample query.
        let locking_sample = with_count(
            "          sql: SELECT 1\n        sample:\n          sql: SELECT name FROM t LIMIT 5 FOR UPDATE\n",
        );
        assert!(
            problems_of(&locking_sample)[0].starts_with(
                "1.2.yaml line 23: item 'an-item': sample SQL (mysql) must not use update"
            ),
            "{:?}",
            problems_of(&locking_sample)
        );
    }

    #[test]
    fn broken_yaml_and_a_wrong_file_name_are_reported() {
        let problems = problems_of("release: \"1.2\"\nitems: [unclosed\n");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("1.2.yaml line "), "{problems:?}");
        assert!(problems[0].contains("not valid YAML"), "{problems:?}");

        let mut problems = Vec::new();
        parse_release("1.3.yaml", GOOD, &mut problems);
        assert!(
            problems[0]
                .to_string()
                .contains("does not match the file name 1.3.yaml")
        );
    }
}
