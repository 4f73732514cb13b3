//! Reading catalogue files: YAML with positions into [`Release`]s, and every malformed or
//! incomplete entry reported with its file and line. The file's own fields are read here; an
//! item in [`item`], its config rules in [`rules`] and its probes in [`probe`].

mod item;
mod probe;
mod reader;
mod rules;

use std::collections::BTreeSet;

use self::item::{Line, parse_item};
pub use self::reader::Problem;
use self::reader::{Ctx, Map, minor_line, parse_engines, patch_version};
use super::model::{Item, KnownBad, Release};
use crate::version::Version;
use crate::yaml::{self, Node};

const RELEASE_KEYS: [&str; 8] = [
    "release",
    "date",
    "checked",
    "notes",
    "patches",
    "upgrade_from",
    "known_bad",
    "items",
];

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
    top.unknown_keys(&mut ctx, &RELEASE_KEYS);
    let (major, minor) = parse_line(&mut ctx, &top, file)?;
    let version = format!("{major}.{minor}");
    let date = parse_date(&mut ctx, &top, "date");
    let checked = parse_date(&mut ctx, &top, "checked");
    let notes = top.url(&mut ctx, "notes").unwrap_or_default();
    let patches = parse_patches(&mut ctx, &top, major, minor);
    let upgrade_from = parse_upgrade_from(&mut ctx, &top);
    let known_bad = parse_known_bad(&mut ctx, &top, &patches);
    let line = Line {
        version: &version,
        patches: &patches,
    };
    let items = parse_items(&mut ctx, &top, &line);
    Some(Release {
        version,
        major,
        minor,
        date,
        notes,
        patches,
        upgrade_from,
        known_bad,
        checked,
        items,
        file: file.to_string(),
    })
}

/// `release: "1.2"`, which must match the file name.
fn parse_line(ctx: &mut Ctx<'_>, top: &Map<'_>, file: &str) -> Option<(u64, u64)> {
    let text = top.text(ctx, "release", true)?;
    let Some((major, minor)) = minor_line(&text) else {
        ctx.problem(
            top.line_of("release"),
            "release must be 'major.minor', like \"1.2\"",
        );
        return None;
    };
    let release = format!("{major}.{minor}");
    let name = file.strip_suffix(".yaml").unwrap_or(file);
    if release != name {
        ctx.problem(
            top.line_of("release"),
            &format!("release \"{release}\" does not match the file name {file}"),
        );
    }
    Some((major, minor))
}

/// An optional `YYYY-MM` or `YYYY-MM-DD` field.
fn parse_date(ctx: &mut Ctx<'_>, top: &Map<'_>, key: &str) -> Option<String> {
    let date = top.text(ctx, key, false)?;
    let ok = date.len() >= 7
        && date
            .split('-')
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && matches!(date.split('-').count(), 2 | 3);
    if !ok {
        ctx.problem(
            top.line_of(key),
            &format!("{key} '{date}' is not YYYY-MM or YYYY-MM-DD"),
        );
    }
    Some(date)
}

fn parse_patches(ctx: &mut Ctx<'_>, top: &Map<'_>, major: u64, minor: u64) -> Vec<Version> {
    let mut patches: Vec<Version> = Vec::new();
    let Some(node) = top.get("patches") else {
        ctx.problem(top.node.line, "missing required field 'patches'");
        return patches;
    };
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
                &format!("patch {v} is not after the one before it: keep patches ascending"),
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
    patches
}

fn parse_upgrade_from(ctx: &mut Ctx<'_>, top: &Map<'_>) -> Option<Version> {
    let text = top.text(ctx, "upgrade_from", false)?;
    let version = text.parse::<Version>().ok();
    if version.is_none() {
        ctx.problem(
            top.line_of("upgrade_from"),
            &format!("upgrade_from '{text}' is not a version"),
        );
    }
    version
}

/// `known_bad:`: patches of this line the project superseded, each with its fix and source.
fn parse_known_bad(ctx: &mut Ctx<'_>, top: &Map<'_>, patches: &[Version]) -> Vec<KnownBad> {
    let Some(node) = top.get("known_bad") else {
        return Vec::new();
    };
    let mut known_bad = Vec::new();
    for (index, entry) in ctx
        .sequence(node, "known_bad")
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        ctx.where_ = format!("known_bad {}: ", index + 1);
        if let Some(bad) = parse_known_bad_entry(ctx, entry, patches) {
            known_bad.push(bad);
        }
    }
    ctx.where_.clear();
    known_bad
}

fn parse_known_bad_entry(ctx: &mut Ctx<'_>, node: &Node, patches: &[Version]) -> Option<KnownBad> {
    let map = ctx.mapping(node, "a known_bad entry")?;
    map.unknown_keys(ctx, &["patches", "fixed_in", "reason", "source", "engines"]);
    let mut bad = Vec::new();
    match map.get("patches") {
        None => ctx.problem(node.line, "missing required field 'patches'"),
        Some(list) => {
            for p in ctx.sequence(list, "patches").unwrap_or_default() {
                match p.as_scalar().and_then(|t| t.parse::<Version>().ok()) {
                    Some(v) if patches.contains(&v) => bad.push(v),
                    _ => ctx.problem(
                        p.line,
                        &format!(
                            "'{}' is not one of this release's patches",
                            p.as_scalar().unwrap_or("?")
                        ),
                    ),
                }
            }
        }
    }
    bad.sort();
    let fixed_in = map
        .text(ctx, "fixed_in", true)
        .and_then(|t| match t.parse::<Version>() {
            Ok(v) if bad.iter().all(|b| *b < v) => Some(v),
            _ => {
                ctx.problem(
                    map.line_of("fixed_in"),
                    &format!("fixed_in '{t}' must be a release after every patch it fixes"),
                );
                None
            }
        });
    let reason = map.text(ctx, "reason", true);
    let source = map.url(ctx, "source");
    let engines = parse_engines(ctx, &map);
    if bad.is_empty() {
        return None;
    }
    Some(KnownBad {
        patches: bad,
        fixed_in: fixed_in?,
        reason: reason?,
        source: source?,
        engines,
    })
}

fn parse_items(ctx: &mut Ctx<'_>, top: &Map<'_>, line: &Line<'_>) -> Vec<Item> {
    let mut items = Vec::new();
    let Some(node) = top.get("items") else {
        ctx.problem(top.node.line, "missing required field 'items'");
        return items;
    };
    let list = ctx.sequence(node, "items").unwrap_or_default();
    if list.is_empty() {
        ctx.problem(node.line, "items must list at least one item");
    }
    let mut ids = BTreeSet::new();
    for (index, item_node) in list.iter().enumerate() {
        if let Some(item) = parse_item(ctx, item_node, index, line) {
            if !ids.insert(item.id.clone()) {
                ctx.problem(
                    item.line,
                    &format!("item id '{}' is used twice in this file", item.id),
                );
            }
            items.push(item);
        }
    }
    items
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
    fn until_bounds_an_item_by_a_release_not_before_its_first_patch() {
        let with = |until: &str| {
            GOOD.replace(
                "    patch: \"1.2.1\"\n",
                &format!("    patch: \"1.2.1\"\n    until: \"{until}\"\n"),
            )
        };
        let (release, problems) = parse(&with("1.2.1"));
        assert!(problems.is_empty(), "{problems:?}");
        let python = &release.unwrap().items[1];
        assert_eq!(python.until, Some(Version::new(1, 2, 1)));
        assert!(python.applies(&Version::new(1, 2, 0), &Version::new(1, 2, 1)));
        assert!(!python.applies(&Version::new(1, 2, 0), &Version::new(1, 3, 0)));
        // A later line's release is a bound too (a fix shipped in the next minor).
        let (release, problems) = parse(&with("1.3.4"));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(release.unwrap().items[1].until, Some(Version::new(1, 3, 4)));

        assert_eq!(
            problems_of(&with("1.2.0")),
            vec![
                "1.2.yaml line 28: item 'python': until 1.2.0 is before the item's first patch 1.2.1"
            ]
        );
        assert!(
            problems_of(&with("1.2.7"))[0]
                .contains("until '1.2.7' must be a release such as 1.2.2"),
            "{:?}",
            problems_of(&with("1.2.7"))
        );
        assert!(problems_of(&with("1.3"))[0].contains("until '1.3' must be a release"));
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
