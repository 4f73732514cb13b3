//! One entry of `items:`: its identity, its texts, the patch it starts at, what it requires,
//! and how to find it in files and the database.

use super::probe::parse_probe;
use super::reader::{Ctx, Map, is_kebab};
use super::reader::{minor_line, parse_engines, patch_version};
use super::rules::parse_rule;
use crate::knowledge::model::{Component, Item, Kind, Probe, Range, Requirements};
use crate::version::Version;
use crate::yaml::{Node, NodeKind};

/// Longest title shown on one line.
const TITLE_MAX: usize = 90;

const ITEM_KEYS: [&str; 16] = [
    "id",
    "patch",
    "until",
    "kind",
    "components",
    "title",
    "change",
    "migration",
    "action",
    "source",
    "unverified",
    "requires",
    "engines",
    "measured_by",
    "config_rules",
    "probes",
];

/// Which release an item belongs to.
pub(super) struct Line<'a> {
    pub(super) version: &'a str,
    pub(super) patches: &'a [Version],
}

pub(super) fn parse_item(
    ctx: &mut Ctx<'_>,
    node: &Node,
    index: usize,
    line: &Line<'_>,
) -> Option<Item> {
    ctx.where_ = format!("item {}: ", index + 1);
    let map = ctx.mapping(node, "an item")?;
    map.unknown_keys(ctx, &ITEM_KEYS);
    let id = parse_id(ctx, &map);
    let kind = parse_kind(ctx, &map);
    let components = parse_components(ctx, &map);
    let title = parse_title(ctx, &map);
    let change = map.text(ctx, "change", true);
    let migration = map.text(ctx, "migration", false);
    let action = map.text(ctx, "action", true);
    let source = map.url(ctx, "source");
    let patch = parse_patch(ctx, &map, line);
    let until = parse_until(ctx, &map, line, patch.as_ref());
    let unverified = parse_unverified(ctx, &map);
    let requires = parse_item_requires(ctx, &map, kind);
    let engines = parse_engines(ctx, &map);
    let measured_by = parse_measured_by(ctx, &map);
    let config_rules = match map.get("config_rules") {
        None => Vec::new(),
        Some(node) => ctx
            .sequence(node, "config_rules")
            .unwrap_or_default()
            .iter()
            .filter_map(|rule| parse_rule(ctx, rule))
            .collect(),
    };
    let probes = parse_probes(ctx, &map);
    ctx.where_.clear();
    Some(Item {
        id: id?,
        release: line.version.to_string(),
        patch: patch?,
        until,
        kind: kind?,
        components,
        title: title?,
        change: change?,
        migration,
        action: action?,
        source: source?,
        unverified,
        requires,
        engines,
        measured_by,
        config_rules,
        probes,
        file: ctx.file.to_string(),
        line: node.line,
    })
}

/// The id, which also names the item in later problems.
fn parse_id(ctx: &mut Ctx<'_>, map: &Map<'_>) -> Option<String> {
    let id = map.text(ctx, "id", true)?;
    ctx.where_ = format!("item '{id}': ");
    if !is_kebab(&id) {
        ctx.problem(
            map.line_of("id"),
            &format!("id '{id}' must be kebab-case (a-z, 0-9, dashes)"),
        );
    }
    Some(id)
}

fn parse_kind(ctx: &mut Ctx<'_>, map: &Map<'_>) -> Option<Kind> {
    let text = map.text(ctx, "kind", true)?;
    let kind = Kind::parse(&text);
    if kind.is_none() {
        ctx.problem(
            map.line_of("kind"),
            &format!(
                "kind '{text}' is not one of {}",
                Kind::ALL.map(Kind::as_str).join(", ")
            ),
        );
    }
    kind
}

fn parse_components(ctx: &mut Ctx<'_>, map: &Map<'_>) -> Vec<Component> {
    let Some(node) = map.get("components") else {
        ctx.problem(map.node.line, "missing required field 'components'");
        return Vec::new();
    };
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
                    "component '{}' is not known (server, ingestion, database, search, airflow, \
                     openmetadata.yaml, helm, docker, api, sdk, ui or connector:<ServiceType>)",
                    c.as_scalar().unwrap_or("?")
                ),
            ),
        }
    }
    components
}

fn parse_title(ctx: &mut Ctx<'_>, map: &Map<'_>) -> Option<String> {
    let title = map.text(ctx, "title", true)?;
    if title.contains('\n') {
        ctx.problem(map.line_of("title"), "title must be one line");
    } else if title.chars().count() > TITLE_MAX {
        ctx.problem(
            map.line_of("title"),
            &format!("title is longer than {TITLE_MAX} characters"),
        );
    }
    Some(title)
}

/// The first patch the item applies to: `patch:` when given, else the line's first patch.
fn parse_patch(ctx: &mut Ctx<'_>, map: &Map<'_>, line: &Line<'_>) -> Option<Version> {
    let Some(text) = map.text(ctx, "patch", false) else {
        return Some(line.patches.first().cloned().unwrap_or_else(|| {
            let (major, minor) = minor_line(line.version).unwrap_or((0, 0));
            Version::new(major, minor, 0)
        }));
    };
    let (major, minor) = minor_line(line.version).unwrap_or((0, 0));
    match patch_version(&text, major, minor) {
        Some(v) if line.patches.contains(&v) => Some(v),
        _ => {
            ctx.problem(
                map.line_of("patch"),
                &format!("patch '{text}' is not one of this release's patches"),
            );
            None
        }
    }
}

/// `until:`, the last release the item applies to: a patch of its own line or a later release,
/// not before the item's first patch.
fn parse_until(
    ctx: &mut Ctx<'_>,
    map: &Map<'_>,
    line: &Line<'_>,
    patch: Option<&Version>,
) -> Option<Version> {
    let text = map.text(ctx, "until", false)?;
    let exact = text.split('.').count() == 3;
    let version = text.parse::<Version>().ok().filter(|v| {
        exact
            && !v.is_prerelease()
            && v.client_build().is_none()
            && (!line
                .patches
                .iter()
                .any(|p| (p.major(), p.minor()) == (v.major(), v.minor()))
                || line.patches.contains(v))
    });
    match version {
        Some(v) if patch.is_none_or(|p| v >= *p) => Some(v),
        Some(v) => {
            ctx.problem(
                map.line_of("until"),
                &format!(
                    "until {v} is before the item's first patch {}",
                    patch.map_or_else(String::new, ToString::to_string)
                ),
            );
            None
        }
        None => {
            ctx.problem(
                map.line_of("until"),
                &format!(
                    "until '{text}' must be a release such as 1.2.2: a patch of this line or a \
                     later release"
                ),
            );
            None
        }
    }
}

/// `measured_by: db.sort_memory`: the id of a check (`<group>.<name>`, lower case).
fn parse_measured_by(ctx: &mut Ctx<'_>, map: &Map<'_>) -> Option<String> {
    let id = map.text(ctx, "measured_by", false)?;
    let well_formed = id.split_once('.').is_some_and(|(group, name)| {
        [group, name].iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
    });
    if !well_formed {
        ctx.problem(
            map.line_of("measured_by"),
            &format!("measured_by '{id}' must be a check id such as db.sort_memory"),
        );
        return None;
    }
    Some(id)
}

fn parse_unverified(ctx: &mut Ctx<'_>, map: &Map<'_>) -> bool {
    match map.get("unverified") {
        None => false,
        Some(node) if node.kind == NodeKind::Bool(true) => true,
        Some(node) => {
            ctx.problem(node.line, "unverified, when present, must be true");
            false
        }
    }
}

/// `requires:`, which only a requirement item has (and must have).
fn parse_item_requires(
    ctx: &mut Ctx<'_>,
    map: &Map<'_>,
    kind: Option<Kind>,
) -> Option<Requirements> {
    let node = map.get("requires");
    if kind == Some(Kind::Requirement) && node.is_none() {
        ctx.problem(
            map.node.line,
            "a requirement item needs 'requires' (python, mysql, postgres, ...)",
        );
    }
    let requires = node.and_then(|node| parse_requires(ctx, node));
    if requires.is_some() && kind.is_some_and(|k| k != Kind::Requirement) {
        ctx.problem(
            map.line_of("requires"),
            "'requires' is only allowed on kind: requirement",
        );
    }
    requires
}

fn parse_probes(ctx: &mut Ctx<'_>, map: &Map<'_>) -> Vec<Probe> {
    let Some(node) = map.get("probes") else {
        return Vec::new();
    };
    let mut probes: Vec<Probe> = Vec::new();
    for probe_node in ctx.sequence(node, "probes").unwrap_or_default() {
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
    if map.entries().is_empty() {
        ctx.problem(node.line, "requires must name at least one requirement");
    }
    for entry in map.entries() {
        if entry.key == "postgres_extensions" {
            requires.postgres_extensions = parse_extensions(ctx, &entry.value);
            continue;
        }
        let Some(slot) = requires.slot(&entry.key) else {
            ctx.problem(
                entry.key_line,
                &format!(
                    "requires.{} is not known ({}, postgres_extensions)",
                    entry.key,
                    Requirements::KEYS.join(", ")
                ),
            );
            continue;
        };
        if let Some(range) = parse_range(ctx, &entry.key, entry.key_line, &entry.value) {
            *slot = Some(range);
        }
    }
    Some(requires)
}

/// `{ min: "3.8", max: "3.10" }` under `requires.<key>`.
fn parse_range(ctx: &mut Ctx<'_>, key: &str, key_line: usize, node: &Node) -> Option<Range> {
    let range_map = ctx.mapping(node, &format!("requires.{key}"))?;
    range_map.unknown_keys(ctx, &["min", "max"]);
    let mut range = Range::default();
    for (name, target) in [("min", &mut range.min), ("max", &mut range.max)] {
        if let Some(text) = range_map.text(ctx, name, false) {
            match bound(&text) {
                Some(v) => *target = Some(v),
                None => ctx.problem(
                    range_map.line_of(name),
                    &format!("requires.{key}.{name} '{text}' is not a version"),
                ),
            }
        }
    }
    if range.min.is_none() && range.max.is_none() {
        ctx.problem(key_line, &format!("requires.{key} needs min or max"));
    }
    if let (Some(min), Some(max)) = (&range.min, &range.max)
        && min > max
    {
        ctx.problem(
            key_line,
            &format!("requires.{key}: min {min} is above max {max}"),
        );
    }
    Some(range)
}

/// `postgres_extensions: [pg_trgm]`: extension names as `CREATE EXTENSION` takes them.
fn parse_extensions(ctx: &mut Ctx<'_>, node: &Node) -> Vec<String> {
    let mut names = Vec::new();
    for name in ctx
        .sequence(node, "requires.postgres_extensions")
        .unwrap_or_default()
    {
        match name.as_str() {
            Some(n)
                if !n.is_empty()
                    && n.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                    }) =>
            {
                names.push(n.to_string())
            }
            _ => ctx.problem(name.line, "a PostgreSQL extension is a name like pg_trgm"),
        }
    }
    names
}
