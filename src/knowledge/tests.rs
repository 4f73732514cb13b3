//! The embedded catalogue and the version logic.

use super::*;
use crate::db::Engine;

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn embedded() -> Catalogue {
    Catalogue::load(None).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_embedded_file_parses_and_every_item_has_a_source() {
    let catalogue = embedded();
    let lines: Vec<&str> = catalogue
        .releases()
        .iter()
        .map(|r| r.version.as_str())
        .collect();
    let mut expected: Vec<String> = (0..=13).map(|minor| format!("1.{minor}")).collect();
    expected.push("2.0".into());
    assert_eq!(lines, expected);
    for release in catalogue.releases() {
        assert!(release.notes.starts_with("https://"), "{}", release.file);
        assert!(!release.items.is_empty(), "{}", release.file);
        for item in &release.items {
            assert!(
                item.source.starts_with("https://"),
                "{} {}: no source",
                release.file,
                item.id
            );
            assert!(!item.action.is_empty() && !item.change.is_empty());
        }
    }
    assert_eq!(catalogue.newest(), &v("2.0.7"));
    assert_eq!(catalogue.oldest(), v("1.0.0"));
}

#[test]
fn every_release_lists_its_python_and_database_requirements() {
    let catalogue = embedded();
    for release in catalogue.releases() {
        let requirements = catalogue.requirements(&release.first());
        assert!(requirements.python.is_some(), "{}: python", release.version);
        assert!(requirements.mysql.is_some(), "{}: mysql", release.version);
        assert!(
            requirements.postgres.is_some(),
            "{}: postgres",
            release.version
        );
    }
}

/// The ingestion Python range of every minor line, as OpenMetadata's support matrix gives it
/// (1.0 and 1.1 cap at 3.10 because 3.11 only arrived in 1.3). `None`: no maximum documented.
const DOCUMENTED_PYTHON: [(&str, &str, Option<&str>); 15] = [
    ("1.0", "3.7", Some("3.10")),
    ("1.1", "3.7", Some("3.10")),
    ("1.2", "3.8", Some("3.10")),
    ("1.3", "3.8", Some("3.11")),
    ("1.4", "3.8", Some("3.11")),
    ("1.5", "3.8", Some("3.11")),
    ("1.6", "3.8", Some("3.11")),
    ("1.7", "3.9", Some("3.11")),
    ("1.8", "3.9", Some("3.11")),
    ("1.9", "3.9", Some("3.11")),
    ("1.10", "3.9", Some("3.11")),
    ("1.11", "3.10", Some("3.12")),
    ("1.12", "3.10", Some("3.12")),
    ("1.13", "3.10", Some("3.12")),
    ("2.0", "3.10", None),
];

#[test]
fn every_release_caps_python_where_the_support_matrix_does() {
    let catalogue = embedded();
    for release in catalogue.releases() {
        let (_, min, max) = DOCUMENTED_PYTHON
            .iter()
            .find(|(line, _, _)| *line == release.version)
            .unwrap_or_else(|| panic!("{}: add its documented Python range", release.version));
        for patch in &release.patches {
            let python = catalogue.requirements(patch).python.unwrap();
            assert_eq!(python.min, Some(v(min)), "{patch}: python minimum");
            assert_eq!(python.max, max.map(v), "{patch}: python maximum");
        }
    }
    // The audit's case: a 1.1 target must refuse the Pythons 1.1 ingestion does not run on.
    let python = catalogue.requirements(&v("1.1.7")).python.unwrap();
    assert!(python.contains(&v("3.10.13")));
    assert!(!python.contains(&v("3.11.0")));
    assert!(!python.contains(&v("3.12.1")));
}

#[test]
fn the_three_seed_items_of_1_2_are_there() {
    let catalogue = embedded();
    let plan = catalogue.plan(&v("1.1.7"), &v("1.2.0")).unwrap();
    let ids: Vec<&str> = plan.items.iter().map(|i| i.id.as_str()).collect();
    for id in [
        "query-service-required",
        "domo-sandbox-domain-renamed",
        "python-3-8-to-3-10",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(plan.items.iter().all(|i| i.release == "1.2"));
    // 1.2.1 items are not part of 1.2.0.
    assert!(!ids.contains(&"logo-login-config-moved-to-ui"));
    let domo = plan
        .items
        .iter()
        .find(|i| i.id == "domo-sandbox-domain-renamed")
        .unwrap();
    assert_eq!(domo.kind, Kind::Connection);
    assert_eq!(domo.probes.len(), 4, "three kinds and the Postgres risk");
    let python = plan
        .items
        .iter()
        .find(|i| i.id == "python-3-8-to-3-10")
        .unwrap();
    let range = python.requires.as_ref().unwrap().python.as_ref().unwrap();
    assert_eq!(range.to_string(), "3.8–3.10");
}

#[test]
fn items_apply_in_the_half_open_range_from_exclusive_to_inclusive() {
    let catalogue = embedded();
    let plan = catalogue.plan(&v("1.2.0"), &v("1.2.1")).unwrap();
    assert!(
        plan.items.iter().all(|i| i.patch == v("1.2.1")),
        "{:?}",
        plan.items
    );
    assert!(!plan.items.is_empty());
    assert!(
        catalogue
            .plan(&v("1.2.0"), &v("1.2.0"))
            .unwrap()
            .items
            .is_empty()
    );
    // A four-part client version and a snapshot count as their server release.
    let plan = catalogue.plan(&v("1.1.7.3"), &v("1.2.0-SNAPSHOT")).unwrap();
    assert_eq!(plan.from, v("1.1.7"));
    assert_eq!(plan.to, v("1.2.0"));
    // Across several releases, in release order.
    let plan = catalogue.plan(&v("1.1.5"), &v("1.6.3")).unwrap();
    let releases: Vec<&str> = plan.items.iter().map(|i| i.release.as_str()).collect();
    assert!(releases.windows(2).all(|w| v(w[0]) <= v(w[1])));
    assert!(releases.contains(&"1.6") && !releases.contains(&"1.7"));
}

#[test]
fn unknown_targets_and_downgrades_are_errors_that_say_why() {
    let catalogue = embedded();
    let err = catalogue.plan(&v("1.2.0"), &v("1.1.0")).unwrap_err();
    assert!(matches!(err, KnowledgeError::Downgrade { .. }));
    assert_eq!(
        err.to_string(),
        "the target 1.1.0 is older than the installed 1.2.0: OpenMetadata cannot be downgraded"
    );
    let err = catalogue.plan(&v("1.2.0"), &v("9.9.9")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "OpenMetadata 9.9.9 is not in the release catalogue, which knows 1.0.0 to 2.0.7"
    );
    let err = catalogue.known_release(&v("1.2.9")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "OpenMetadata 1.2.9 is not a known 1.2 release (known: 1.2.0, 1.2.1, 1.2.2, 1.2.3, 1.2.4, 1.2.5)"
    );
    assert!(catalogue.known_release(&v("1.2")).is_ok());
    // The installed version may be anything, even older than the catalogue.
    assert!(catalogue.plan(&v("0.13.2"), &v("1.0.0")).is_ok());
}

#[test]
fn requirements_take_the_newest_item_at_or_below_the_target() {
    let catalogue = embedded();
    let r = catalogue.requirements(&v("1.2.0"));
    assert_eq!(r.python.as_ref().unwrap().to_string(), "3.8–3.10");
    assert!(r.python.as_ref().unwrap().contains(&v("3.10.12")));
    assert!(!r.python.as_ref().unwrap().contains(&v("3.11.1")));
    assert_eq!(r.mysql.as_ref().unwrap().min, Some(v("8.0.0")));
    assert_eq!(r.java.as_ref().unwrap().min, Some(v("17.0")));
    let r = catalogue.requirements(&v("1.3.0"));
    assert_eq!(r.python.as_ref().unwrap().to_string(), "3.8–3.11");
    // Patch-level requirement items apply from their patch on.
    let airflow = |t: &str| catalogue.requirements(&v(t)).airflow.unwrap().min.unwrap();
    assert_eq!(airflow("1.6.3"), v("2.9.0"));
    assert_eq!(airflow("1.6.4"), v("2.9.3"));
    assert_eq!(airflow("1.6.5"), v("2.10.5"));
    let r = catalogue.requirements(&v("2.0.7"));
    assert_eq!(r.mysql.as_ref().unwrap().min, Some(v("8.0.42")));
    assert_eq!(r.postgres.as_ref().unwrap().min, Some(v("15.0")));
    // Older than the catalogue: nothing is known.
    assert_eq!(
        catalogue.requirements(&v("0.13.0")),
        Requirements::default()
    );
}

fn with_extra(name: &str, text: &str) -> Catalogue {
    let mut files: Vec<(String, String)> = embedded::EMBEDDED
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    files.push((name.to_string(), text.to_string()));
    Catalogue::from_texts(files, Origin::Dir("test".into())).unwrap_or_else(|e| panic!("{e}"))
}

const V2_1: &str = r#"release: "2.1"
notes: https://example.org/2.1
patches: ["2.1.0", "2.1.1"]
upgrade_from: "2.0.0"
items:
  - id: gate
    kind: breaking
    components: [database]
    title: 2.1 migrates only 2.0 databases
    change: Databases below 2.0.0 are refused.
    action: Upgrade to 2.0.x first.
    source: https://example.org/gate
"#;

#[test]
fn a_release_that_refuses_old_databases_forces_an_intermediate_stop() {
    let catalogue = with_extra("2.1.yaml", V2_1);
    assert_eq!(catalogue.newest(), &v("2.1.1"));
    let plan = catalogue.plan(&v("1.13.4"), &v("2.1.1")).unwrap();
    assert_eq!(
        plan.stops,
        vec![Stop {
            version: v("2.0.7"),
            reason: "OpenMetadata 2.1 migrates only databases at 2.0.0 or newer".into()
        }]
    );
    assert!(
        catalogue
            .plan(&v("2.0.3"), &v("2.1.0"))
            .unwrap()
            .stops
            .is_empty()
    );
    assert!(
        catalogue
            .plan(&v("1.13.4"), &v("2.0.7"))
            .unwrap()
            .stops
            .is_empty()
    );
}

#[test]
fn a_broken_file_in_a_set_is_rejected_with_file_and_line() {
    let broken = V2_1.replace("    source: https://example.org/gate\n", "");
    let mut files: Vec<(String, String)> = vec![("2.1.yaml".into(), broken)];
    files.push(("1.9.yaml".into(), "release: \"1.9\"\nitems: [\n".into()));
    let err = Catalogue::from_texts(files, Origin::Dir("x".into())).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("2 problems"), "{text}");
    assert!(
        text.contains("2.1.yaml line 6: item 'gate': missing required field 'source'"),
        "{text}"
    );
    assert!(text.contains("1.9.yaml line "), "{text}");
}

#[test]
fn the_items_an_audit_found_missing_are_there() {
    let catalogue = embedded();
    let find = |release: &str, id: &str| {
        catalogue
            .releases()
            .iter()
            .filter(|r| r.version == release)
            .flat_map(|r| &r.items)
            .find(|i| i.id == id)
            .unwrap_or_else(|| panic!("{release}/{id} is missing"))
    };
    let cases: [(&str, &str, Kind, &[&str], &str); 5] = [
        (
            "1.10",
            "security-support-ends-for-1-6",
            Kind::Deprecation,
            &["server"],
            "content/partials/v1.11/releases/1.10.0.md",
        ),
        (
            "1.11",
            "redis-cache-and-30s-timeouts",
            Kind::Config,
            &["server", "openmetadata.yaml"],
            "content/partials/v1.11/releases/1.11.0.md",
        ),
        (
            "1.11",
            "query-statement-source-and-parser-config",
            Kind::Connection,
            &["connector:Postgres", "ingestion"],
            "snippets/releases/1.11.5.mdx",
        ),
        (
            "1.12",
            "kubernetes-orchestrator-and-semantic-search",
            Kind::Config,
            &["server", "openmetadata.yaml", "helm"],
            "snippets/releases/1.12.0.mdx",
        ),
        (
            "1.13",
            "new-connection-options",
            Kind::Connection,
            &[
                "connector:Mysql",
                "connector:Athena",
                "connector:Oracle",
                "connector:Snowflake",
            ],
            "snippets/releases/1.13.0.mdx",
        ),
    ];
    for (release, id, kind, components, source) in cases {
        let item = find(release, id);
        assert_eq!(item.kind, kind, "{release}/{id}");
        let names: Vec<String> = item.components.iter().map(ToString::to_string).collect();
        assert_eq!(names, components, "{release}/{id}");
        assert!(
            item.source.ends_with(source),
            "{release}/{id}: {}",
            item.source
        );
    }
    // Patch-level items apply from their patch only.
    assert_eq!(
        find("1.11", "query-statement-source-and-parser-config").patch,
        v("1.11.5")
    );
}

#[test]
fn the_built_in_catalogue_covers_every_upgrade_it_knows() {
    let catalogue = embedded();
    for (from, to) in [("0.0.0", "2.0.7"), ("1.0.0", "2.0.7"), ("1.12.3", "1.13.2")] {
        let plan = catalogue.plan(&v(from), &v(to)).unwrap();
        assert!(plan.missing.is_empty(), "{from} → {to}: {:?}", plan.missing);
        assert_eq!(plan.missing_warning(catalogue.origin()), None);
    }
}

#[test]
fn a_releases_dir_without_the_releases_in_between_says_which_are_missing() {
    let catalogue = Catalogue::from_texts(
        [("2.1.yaml".to_string(), V2_1.to_string())],
        Origin::Dir("/srv/om-releases".into()),
    )
    .unwrap();
    let plan = catalogue.plan(&v("1.13.4"), &v("2.1.1")).unwrap();
    assert_eq!(plan.missing, ["1.13", "2.0"]);
    assert_eq!(
        plan.missing_warning(catalogue.origin()).unwrap(),
        "the release catalogue (/srv/om-releases) has no files for 1.13 and 2.0, which the \
         upgrade from 1.13.4 to 2.1.1 crosses: their items are not listed; add them to the folder"
    );
    let plan = catalogue.plan(&v("2.0.7"), &v("2.1.1")).unwrap();
    assert!(plan.missing.is_empty(), "{:?}", plan.missing);
    // With the built-in files next to it, nothing is missing.
    let complete = with_extra("2.1.yaml", V2_1);
    let plan = complete.plan(&v("1.13.4"), &v("2.1.1")).unwrap();
    assert!(plan.missing.is_empty(), "{:?}", plan.missing);
}

#[test]
fn a_missing_release_warning_for_an_unrecorded_version_names_no_made_up_version() {
    let catalogue = Catalogue::from_texts(
        [("2.1.yaml".to_string(), V2_1.to_string())],
        Origin::Dir("/srv/om-releases".into()),
    )
    .unwrap();
    let plan = catalogue
        .plan_for(&Installed::Unrecorded, &v("2.1.1"))
        .unwrap();
    assert_eq!(plan.from, v("0.0.0"));
    let warning = plan.missing_warning(catalogue.origin()).unwrap();
    assert!(
        warning.contains("the upgrade from 1.0.x or older to 2.1.1 crosses"),
        "{warning}"
    );
    assert!(!warning.contains("0.0.0"), "{warning}");
}

/// Every OpenMetadata server release from 1.0.0 to 2.0.7. Taken from PyPI on 2026-12-07
/// (`pip index versions openmetadata-ingestion` and `openmetadata-managed-apis`: every
/// four-part client version x.y.z.w names server release x.y.z), which matches the
/// `<x.y.z>-release` tags the release notes link to. No 2.1 release is published.
const PUBLISHED: [(&str, u64); 15] = [
    ("1.0", 5),
    ("1.1", 7),
    ("1.2", 5),
    ("1.3", 4),
    ("1.4", 8),
    ("1.5", 15),
    ("1.6", 13),
    ("1.7", 7),
    ("1.8", 12),
    ("1.9", 17),
    ("1.10", 14),
    ("1.11", 14),
    ("1.12", 14),
    ("1.13", 6),
    ("2.0", 7),
];

#[test]
fn the_catalogue_knows_every_published_release_and_every_item_has_a_source() {
    let catalogue = embedded();
    let published: Vec<Version> = PUBLISHED
        .iter()
        .flat_map(|(line, newest)| (0..=*newest).map(move |p| v(&format!("{line}.{p}"))))
        .collect();
    assert_eq!(published.len(), 163);
    for release in &published {
        assert_eq!(
            catalogue
                .validate_version(release, VersionRole::Target)
                .ok(),
            Some(release.clone()),
            "{release} is published but not in the catalogue"
        );
    }
    let known: Vec<&Version> = catalogue
        .releases()
        .iter()
        .flat_map(|r| &r.patches)
        .collect();
    assert_eq!(
        known.len(),
        published.len(),
        "the catalogue lists a release never published"
    );
    for item in catalogue.releases().iter().flat_map(|r| &r.items) {
        assert!(
            item.source.starts_with("https://"),
            "{}: no source",
            item.key()
        );
    }
    for bad in catalogue.releases().iter().flat_map(|r| &r.known_bad) {
        assert!(bad.source.starts_with("https://"), "{bad:?}: no source");
    }
}

#[test]
fn no_item_is_marked_unverified() {
    let catalogue = embedded();
    let unverified: Vec<String> = catalogue
        .releases()
        .iter()
        .flat_map(|r| &r.items)
        .filter(|i| i.unverified)
        .map(|i| format!("{} ({} line {})", i.key(), i.file, i.line))
        .collect();
    assert!(unverified.is_empty(), "verify or remove: {unverified:?}");
}

#[test]
fn the_catalogue_says_how_far_it_reaches_and_what_to_take_instead_of_a_bad_2_0() {
    let catalogue = embedded();
    let reach = catalogue.reach();
    assert_eq!(reach.newest, v("2.0.7"));
    assert_eq!(reach.checked.as_deref(), Some("2026-12-07"));
    assert_eq!(Catalogue::built_in_reach(), Some(reach));
    assert_eq!(catalogue.recommended(None), Some(v("2.0.7")));
    assert_eq!(catalogue.recommended(Some("1.13")), Some(v("1.13.6")));
    for bad in ["2.0.0", "2.0.3", "2.0.4"] {
        let advice = catalogue.target_advice(&v(bad), None).unwrap();
        assert_eq!(advice.instead, v("2.0.7"), "{bad}");
    }
    assert_eq!(
        catalogue.target_advice(&v("2.0.4"), None).unwrap().fixed_in,
        v("2.0.5")
    );
    assert_eq!(catalogue.target_advice(&v("2.0.5"), None), None);
}

/// 1.2.0-1.2.2 break the viewParsingTimeoutLimit rename on PostgreSQL only.
#[test]
fn the_1_2_postgres_regression_is_known_bad_on_postgres_only() {
    let catalogue = embedded();
    for target in ["1.2.0", "1.2.1", "1.2.2"] {
        let on_postgres = catalogue
            .target_advice(&v(target), Some(Engine::Postgres))
            .unwrap_or_else(|| panic!("{target} on PostgreSQL"));
        assert_eq!(on_postgres.instead, v("1.2.5"), "{target}");
        assert!(
            on_postgres
                .message()
                .contains("is a known-bad release on PostgreSQL: "),
            "{}",
            on_postgres.message()
        );
        assert_eq!(
            catalogue.target_advice(&v(target), Some(Engine::Mysql)),
            None,
            "{target} on MySQL"
        );
        // Until the engine is known, the warning is given and names the engine.
        assert_eq!(catalogue.target_advice(&v(target), None), Some(on_postgres));
    }
    assert_eq!(
        catalogue.target_advice(&v("1.2.3"), Some(Engine::Postgres)),
        None
    );
}

/// The PostgreSQL failure of the 1.2.0-1.2.2 rename is met only by targets up to 1.2.2; the
/// rename itself stays in every later review.
#[test]
fn an_item_a_later_patch_made_moot_leaves_reviews_past_it() {
    let catalogue = embedded();
    let ids = |to: &str| -> Vec<String> {
        catalogue
            .plan(&v("1.1.7"), &v(to))
            .unwrap()
            .items
            .iter()
            .map(|i| i.id.clone())
            .collect()
    };
    let failure = "postgres-view-parsing-rename-fails";
    for to in ["1.2.0", "1.2.2"] {
        assert!(ids(to).iter().any(|i| i == failure), "{to}");
    }
    for to in ["1.2.3", "2.0.7"] {
        let ids = ids(to);
        assert!(!ids.iter().any(|i| i == failure), "{to}: {ids:?}");
        assert!(
            ids.iter().any(|i| i == "query-parsing-timeout-renamed"),
            "{to}: {ids:?}"
        );
    }
    let probed = |to: &str| -> bool {
        catalogue
            .probed_items_up_to(&v(to))
            .iter()
            .any(|i| i.id == failure)
    };
    assert!(probed("1.2.2"));
    assert!(!probed("1.2.3"));
}

#[test]
fn requirements_for_a_target_carry_the_item_and_source_that_state_them() {
    let catalogue = embedded();
    let r = catalogue.requirements_for(&v("2.0.7"));
    let postgres = r.get(Software::Postgres).unwrap();
    assert_eq!(postgres.range.min, Some(v("15.0")));
    assert_eq!(postgres.item, "2.0/platform-requirements");
    assert!(
        postgres
            .source
            .ends_with("v2.0.x/deployment/minimum-requirements.mdx")
    );
    let opensearch = r.get(Software::Opensearch).unwrap();
    assert_eq!(opensearch.range.min, Some(v("3.0.0")));
    // Java is not restated for 2.0: 1.13's requirement stays in force, and says where from.
    let java = r.get(Software::Java).unwrap();
    assert_eq!(java.stated_for, v("1.13.0"));
    assert_eq!(java.range.min, Some(v("21.0")));
    // 1.8 states no Java: 1.7's 17 holds until 1.9 asks for 21.
    assert_eq!(
        catalogue
            .requirements_for(&v("1.8.3"))
            .get(Software::Java)
            .unwrap()
            .range
            .min,
        Some(v("17.0"))
    );
    // The untyped view agrees with the sourced one.
    assert_eq!(
        catalogue.requirements(&v("2.0.7")).postgres,
        Some(postgres.range.clone())
    );
}

#[test]
fn a_postgres_extension_a_migration_needs_is_a_requirement_of_every_later_target() {
    let extra = r#"release: "2.1"
notes: https://example.org/2.1
patches: ["2.1.0", "2.1.1"]
items:
  - id: btree-gin-index
    patch: "2.1.1"
    kind: requirement
    components: [database]
    title: The 2.1.1 migration creates btree_gin
    change: A migration runs CREATE EXTENSION btree_gin.
    action: Allow btree_gin on managed PostgreSQL first.
    source: https://example.org/pg
    requires:
      postgres_extensions: [btree_gin]
"#;
    let catalogue = with_extra("2.1.yaml", extra);
    let names = |target: &str| -> Vec<String> {
        catalogue
            .requirements_for(&v(target))
            .postgres_extensions
            .iter()
            .map(|e| e.name.clone())
            .collect()
    };
    // The built-in pg_trgm of 1.11.0 holds for every later target, btree_gin from 2.1.1 on.
    assert!(names("1.10.14").is_empty(), "{:?}", names("1.10.14"));
    assert_eq!(names("1.11.0"), ["pg_trgm"]);
    assert_eq!(names("2.1.0"), ["pg_trgm"]);
    let r = catalogue.requirements_for(&v("2.1.1"));
    assert_eq!(names("2.1.1"), ["pg_trgm", "btree_gin"]);
    assert!(
        r.postgres_extensions[0]
            .source
            .contains("native/1.11.0/postgres")
    );
    assert_eq!(r.postgres_extensions[1].source, "https://example.org/pg");
    // The ranges of earlier releases still hold.
    assert_eq!(
        r.get(Software::Postgres).unwrap().range.min,
        Some(v("15.0"))
    );
}

/// What a server release needs of its platform only ever grows: a later release that states a
/// lower minimum than an earlier one (1.13's search once did) is a data error, since the same
/// installation passes through both.
#[test]
fn platform_minimums_never_fall_from_one_release_to_the_next() {
    let catalogue = embedded();
    let servers = [
        Software::Mysql,
        Software::Postgres,
        Software::Java,
        Software::Elasticsearch,
        Software::Opensearch,
    ];
    let mut previous: Vec<(Software, Version, Version)> = Vec::new();
    for release in catalogue.releases() {
        let target = release.patches.last().unwrap();
        let r = catalogue.requirements_for(target);
        for software in servers {
            let Some(min) = r.get(software).and_then(|s| s.range.min.clone()) else {
                continue;
            };
            if let Some((_, before, at)) = previous.iter().find(|(s, _, _)| *s == software) {
                assert!(
                    &min >= before,
                    "{software:?}: {target} needs {min}, less than the {before} of {at}"
                );
            }
            previous.retain(|(s, _, _)| *s != software);
            previous.push((software, min, target.clone()));
        }
    }
}

/// The review of `from → to` on a database of `product`, probed with nothing found, with
/// `elsewhere` as what the run's other checks measured.
fn reviewed_on(
    product: crate::db::inspect::Product,
    from: &str,
    to: &str,
    elsewhere: &impact::Elsewhere,
) -> review::Review {
    let catalogue = embedded();
    let plan = catalogue.plan(&v(from), &v(to)).unwrap();
    let server = crate::db::inspect::ServerInfo {
        product,
        version_text: "8.0.36".into(),
        version: Some(semver::Version::new(8, 0, 36)),
    };
    review::review(
        &catalogue,
        &plan,
        review::Database::Probed {
            probes: Default::default(),
            server: Some(server),
        },
        scan::ScanReport::default(),
        elsewhere,
    )
}

fn verdict_of(review: &review::Review, key: &str) -> impact::Impact {
    review
        .items
        .iter()
        .find(|r| r.item.key() == key)
        .unwrap_or_else(|| panic!("{key} is in the review"))
        .impact
        .clone()
}

#[test]
fn an_item_of_one_engine_does_not_affect_the_other() {
    use crate::db::inspect::Product;
    let key = "1.3/mysql-migration-hardcodes-schema-name";
    let none = impact::Elsewhere::new();
    let on_postgres = verdict_of(
        &reviewed_on(Product::Postgres, "1.2.5", "1.3.0", &none),
        key,
    );
    assert_eq!(on_postgres.verdict, impact::Verdict::NotAffected);
    assert!(
        on_postgres.summary.contains("MySQL/MariaDB only"),
        "{on_postgres:?}"
    );
    for product in [Product::Mysql, Product::MariaDb] {
        let on_mysql = verdict_of(&reviewed_on(product, "1.2.5", "1.3.0", &none), key);
        assert!(
            !on_mysql.summary.contains("only; this database is"),
            "{on_mysql:?}"
        );
    }
    // And the other way round.
    let key = "1.2/postgres-md5-function-required";
    let on_mysql = verdict_of(&reviewed_on(Product::Mysql, "1.1.5", "1.2.0", &none), key);
    assert_eq!(on_mysql.verdict, impact::Verdict::NotAffected);
}

#[test]
fn items_measured_by_a_check_take_its_outcome_on_both_engines() {
    use crate::db::inspect::Product;
    use crate::status::Status;
    let measured = |check: &str, status: Status, summary: &str| {
        impact::Elsewhere::from([(
            check.to_string(),
            impact::Measured {
                status,
                summary: summary.into(),
            },
        )])
    };
    let sort = "1.2/raise-sort-memory-before-migration";
    let python = "1.2/python-3-8-to-3-10";
    for (product, setting) in [
        (Product::Postgres, "work_mem"),
        (Product::Mysql, "sort_buffer_size"),
    ] {
        let none = impact::Elsewhere::new();
        let unmeasured = reviewed_on(product, "1.1.5", "1.2.0", &none);
        assert_eq!(
            verdict_of(&unmeasured, sort).verdict,
            impact::Verdict::Unknown
        );
        assert_eq!(
            verdict_of(&unmeasured, python).verdict,
            impact::Verdict::Unknown
        );

        let enough = measured(
            "db.sort_memory",
            Status::Pass,
            &format!("{setting} is 64 MiB"),
        );
        let impact = verdict_of(&reviewed_on(product, "1.1.5", "1.2.0", &enough), sort);
        assert_eq!(impact.verdict, impact::Verdict::NotAffected, "{impact:?}");
        assert!(
            impact
                .summary
                .contains(&format!("db.sort_memory: {setting} is 64 MiB"))
        );

        let low = measured(
            "db.sort_memory",
            Status::Warn,
            &format!("{setting} is 4 MiB"),
        );
        let impact = verdict_of(&reviewed_on(product, "1.1.5", "1.2.0", &low), sort);
        assert_eq!(impact.verdict, impact::Verdict::Affects, "{impact:?}");

        let fits = measured(
            "clients.python",
            Status::Pass,
            "Python 3.9.18 fits 3.8-3.10",
        );
        let impact = verdict_of(&reviewed_on(product, "1.1.5", "1.2.0", &fits), python);
        assert_eq!(impact.verdict, impact::Verdict::NotAffected, "{impact:?}");
        let too_new = measured(
            "clients.python",
            Status::Fail,
            "Python 3.12 is not supported",
        );
        let impact = verdict_of(&reviewed_on(product, "1.1.5", "1.2.0", &too_new), python);
        assert_eq!(impact.verdict, impact::Verdict::Affects, "{impact:?}");
    }
}

#[test]
fn every_measured_by_names_a_check_and_every_engine_item_names_an_engine() {
    let catalogue = embedded();
    let items: Vec<&Item> = catalogue.releases().iter().flat_map(|r| &r.items).collect();
    let measured: Vec<&str> = items
        .iter()
        .filter_map(|i| i.measured_by.as_deref())
        .collect();
    assert!(measured.contains(&"db.sort_memory") && measured.contains(&"clients.python"));
    // The wizard hands the review the Database and Clients steps' checks; `report` all.
    let known = [
        crate::checks::db::SORT_MEMORY.to_string(),
        crate::checks::clients::PYTHON.to_string(),
    ];
    for check in measured {
        assert!(
            known.iter().any(|k| k == check),
            "{check} is not a known check"
        );
    }
    assert!(items.iter().any(|i| i.engines == [Engine::Mysql]));
    assert!(items.iter().any(|i| i.engines == [Engine::Postgres]));
}
