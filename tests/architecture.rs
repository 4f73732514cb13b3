//! The architecture rules of ARCHITECTURE.md, checked against the source text:
//!
//! 1. the core (every top-level module but `cli` and `tui`) never refers to `cli` or `tui`;
//! 2. no import cycle between top-level modules, except the ones allowed (and commented) in
//!    [`ALLOWED_TOP_LEVEL_CYCLES`];
//! 3. no import cycle between the files of one module, except within the ones in
//!    [`ALLOWED_FILE_CYCLES`] (what is left of older structure; the list may only shrink).
//!
//! It reads every `.rs` file under `src/` (tests excluded: `#[cfg(test)]` items and the files
//! they declare), finds every path it names (`use` trees, inline `crate::`/`super::`/`self::`
//! paths, paths through a child module) and resolves each to the file that defines the named
//! item, following `use` imports and `pub use` re-exports. No parser crate: comments, strings and char literals
//! are blanked first, which is enough for paths.
//!
//! Run `cargo test --test architecture -- --nocapture` to see the module graph's cycles listed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Cycles between top-level modules that are tolerated for now, each as its sorted members.
/// Empty: there are none. Add one only with a comment saying why it cannot be broken yet.
const ALLOWED_TOP_LEVEL_CYCLES: &[&[&str]] = &[];

/// Cycles between the files of one module that are tolerated for now (module paths). Each is a
/// `mod.rs` that both declares shared types and calls its children, or two files that call
/// each other. A cycle within one of these passes; remove an entry when its cycle is gone
/// (the test prints which); never add one.
const ALLOWED_FILE_CYCLES: &[&[&str]] = &[
    // `restore/mod.rs` holds `RestoreError`/`Accepted` and calls the engines' loaders.
    &[
        "backup::restore",
        "backup::restore::load",
        "backup::restore::mysql",
        "backup::restore::postgres",
    ],
];

/// The views: only they may print, and the core may not name them.
const VIEWS: &[&str] = &["cli", "tui"];

type ModPath = Vec<String>;

struct Source {
    module: ModPath,
    file: PathBuf,
    /// Blanked text: no comments, strings or char literals; `#[cfg(test)]` items removed.
    text: String,
}

/// A reference from a file to a module, with the path text that made it (for messages).
#[derive(Debug, Clone)]
struct Reference {
    from: ModPath,
    to: ModPath,
    file: PathBuf,
    path: String,
}

#[test]
fn the_core_never_names_the_views() {
    let graph = Graph::read();
    let mut offences = Vec::new();
    for r in &graph.references {
        let (Some(from), Some(to)) = (r.from.first(), r.to.first()) else {
            continue;
        };
        if !VIEWS.contains(&from.as_str()) && VIEWS.contains(&to.as_str()) {
            offences.push(format!(
                "{}: `{}` (core module `{from}` names `{to}`)",
                r.file.display(),
                r.path
            ));
        }
    }
    assert!(
        offences.is_empty(),
        "the core must not use `cli` or `tui` (move the shared thing into the core):\n  {}",
        offences.join("\n  ")
    );
}

#[test]
fn no_cycles_between_top_level_modules() {
    let graph = Graph::read();
    let edges = graph.edges(|m| m.first().cloned());
    let cycles = strongly_connected(&edges);
    report("top-level module cycles", &cycles, &edges);
    let allowed = allowed(ALLOWED_TOP_LEVEL_CYCLES);
    let unexpected: Vec<_> = cycles.iter().filter(|c| !allowed.contains(*c)).collect();
    assert!(
        unexpected.is_empty(),
        "import cycles between top-level modules (move the shared type to the lowest module \
         that needs it):\n{}",
        describe(&unexpected, &edges)
    );
}

#[test]
fn no_new_cycles_between_files_of_a_module() {
    let graph = Graph::read();
    let mut all = Vec::new();
    let tops: BTreeSet<String> = graph
        .modules
        .iter()
        .filter_map(|m| m.first().cloned())
        .collect();
    let mut edges_all = BTreeMap::new();
    for top in &tops {
        let edges = graph.edges(|m| (m.first() == Some(top)).then(|| m.join("::")));
        all.extend(strongly_connected(&edges));
        edges_all.extend(edges);
    }
    report("file cycles within a module", &all, &edges_all);
    let allowed = allowed(ALLOWED_FILE_CYCLES);
    // An allowed cycle may shrink (or go) without failing a merge; say so, to keep the list
    // honest. A cycle that is new, or larger than what was allowed, fails.
    for gone in allowed.iter().filter(|c| !all.contains(c)) {
        println!("ALLOWED_FILE_CYCLES: {gone:?} is gone or smaller now: update the list");
    }
    let within_allowed =
        |cycle: &Vec<String>| allowed.iter().any(|a| cycle.iter().all(|m| a.contains(m)));
    let unexpected: Vec<_> = all.iter().filter(|c| !within_allowed(c)).collect();
    assert!(
        unexpected.is_empty(),
        "import cycles between the files of a module (move the shared type into a file both \
         can use):\n{}",
        describe(&unexpected, &edges_all)
    );
}

/// The checker checks itself: a made-up crate with a forbidden import and a cycle.
#[test]
fn the_reader_finds_paths_in_use_trees_inline_and_through_re_exports() {
    let dir = tempfile_dir();
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    };
    write(
        "lib.rs",
        "pub mod a;\npub mod b;\npub mod cli;\npub mod leaf;\n",
    );
    write(
        "a/mod.rs",
        "mod inner;\npub use inner::Thing;\nuse crate::{b::{self, f as g}, leaf::*};\n\
         #[cfg(test)]\nmod tests { use crate::cli::Cli; }\n\
         fn x() { let s = \"crate::cli::Hidden\"; // crate::cli::Comment\n }\n",
    );
    write(
        "a/inner.rs",
        "pub struct Thing;\nfn y() { super::super::b::f(); }\n",
    );
    write("b.rs", "pub fn f() { let _ = crate::a::Thing; }\n");
    write("cli.rs", "");
    write(
        "leaf.rs",
        "fn z() -> Result<(), crate::cli::E> { todo!() }\n",
    );
    let graph = Graph::read_dir(&dir);
    let pairs: BTreeSet<(String, String)> = graph
        .references
        .iter()
        .map(|r| (r.from.join("::"), r.to.join("::")))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("a", "b"),
        ("a", "leaf"),
        ("a::inner", "b"),
        ("b", "a::inner"),
        ("leaf", "cli"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(pairs, expected);
    let tops = strongly_connected(&graph.edges(|m| m.first().cloned()));
    assert_eq!(tops, vec![vec!["a".to_string(), "b".to_string()]]);
    fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("om-upgrade-architecture-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn allowed(list: &[&[&str]]) -> Vec<Vec<String>> {
    list.iter()
        .map(|c| {
            let mut v: Vec<String> = c.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        })
        .collect()
}

fn report(title: &str, cycles: &[Vec<String>], edges: &Edges) {
    println!("{title}: {}", cycles.len());
    if !cycles.is_empty() {
        let all: Vec<_> = cycles.iter().collect();
        println!("{}", describe(&all, edges));
    }
}

/// Each cycle with the edges inside it and one path text per edge as evidence.
fn describe(cycles: &[&Vec<String>], edges: &Edges) -> String {
    let mut out = String::new();
    for cycle in cycles {
        out.push_str(&format!("  cycle {cycle:?}\n"));
        for from in cycle.iter() {
            for (to, evidence) in edges.get(from).into_iter().flatten() {
                if cycle.contains(to) {
                    out.push_str(&format!("    {from} -> {to}   ({evidence})\n"));
                }
            }
        }
    }
    out
}

/// From node → to node → one path text that makes the edge (`file: path`).
type Edges = BTreeMap<String, BTreeMap<String, String>>;

struct Graph {
    modules: BTreeSet<ModPath>,
    references: Vec<Reference>,
}

impl Graph {
    fn read() -> Graph {
        Graph::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
    }

    fn read_dir(src: &Path) -> Graph {
        // Files are named relative to the crate root in messages.
        let root = src.parent().unwrap_or(src);
        let mut files = Vec::new();
        walk(src, &mut files);
        files.sort();
        let mut sources = Vec::new();
        let mut test_files = BTreeSet::new();
        for file in files {
            let rel = file.strip_prefix(src).unwrap();
            // main.rs is the binary, a separate crate that only calls `cli`.
            if rel == Path::new("main.rs") {
                continue;
            }
            let raw = fs::read_to_string(&file).unwrap();
            let (text, tests) = drop_test_items(&raw, &blank(&raw));
            for (name, path_attr) in tests {
                test_files.extend(child_files(&file, &name, path_attr.as_deref()));
            }
            sources.push(Source {
                module: module_of(rel),
                file,
                text,
            });
        }
        // A file declared under `#[cfg(test)]`, and everything below it, is test code.
        let test_modules: Vec<ModPath> = sources
            .iter()
            .filter(|s| test_files.contains(&s.file))
            .map(|s| s.module.clone())
            .collect();
        sources.retain(|s| !test_modules.iter().any(|t| s.module.starts_with(t)));
        let modules: BTreeSet<ModPath> = sources.iter().map(|s| s.module.clone()).collect();

        let mut raw_refs = Vec::new();
        let mut reexports: BTreeMap<ModPath, BTreeMap<String, ModPath>> = BTreeMap::new();
        for s in &sources {
            for found in paths_in(&s.text, &s.module) {
                let Some(abs) = absolute(&found.scope, &found.segments, &modules) else {
                    continue;
                };
                // Every `use` (not only `pub use`) names an item for the module's children too:
                // `super::print_warnings` in a child reaches what the parent imported.
                if found.is_use
                    && let Some(name) = found
                        .alias
                        .clone()
                        .or_else(|| found.segments.last().cloned())
                    && name != "*"
                    && name != "self"
                {
                    reexports
                        .entry(found.scope.clone())
                        .or_default()
                        .insert(name, abs.clone());
                }
                raw_refs.push((s, found, abs));
            }
        }
        let mut references = Vec::new();
        for (s, found, abs) in raw_refs {
            let to = resolve(&abs, &modules, &reexports);
            // A module re-exporting its own children (`pub use take::Backup;` in `backup`) is
            // its public face, not a use: the child does not become a dependency of it.
            let facade = found.reexport && to.starts_with(&s.module);
            if to != s.module && !facade {
                let text = found.text;
                references.push(Reference {
                    from: s.module.clone(),
                    to,
                    file: s.file.strip_prefix(root).unwrap_or(&s.file).to_path_buf(),
                    path: text,
                });
            }
        }
        Graph {
            modules,
            references,
        }
    }

    /// The graph with modules mapped to nodes (`None`: leave the reference out).
    fn edges(&self, node: impl Fn(&ModPath) -> Option<String>) -> Edges {
        let mut edges = Edges::new();
        for r in &self.references {
            if let (Some(a), Some(b)) = (node(&r.from), node(&r.to))
                && a != b
            {
                let evidence = format!("{}: `{}`", r.file.display(), r.path);
                edges.entry(a).or_default().entry(b).or_insert(evidence);
            }
        }
        edges
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `backup/take.rs` → `backup::take`; `backup/mod.rs` → `backup`; `lib.rs` → the root.
fn module_of(rel: &Path) -> ModPath {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The files a `mod name;` in `file` may load.
fn child_files(file: &Path, name: &str, path_attr: Option<&str>) -> Vec<PathBuf> {
    let dir = file.parent().unwrap();
    let stem = file.file_stem().unwrap().to_string_lossy();
    if let Some(p) = path_attr {
        return vec![dir.join(p)];
    }
    let base = if matches!(stem.as_ref(), "mod" | "lib" | "main") {
        dir.to_path_buf()
    } else {
        dir.join(stem.as_ref())
    };
    vec![
        base.join(format!("{name}.rs")),
        base.join(name).join("mod.rs"),
    ]
}

/// Comments, string and char literals replaced by spaces (newlines kept, byte offsets kept),
/// so only code is left.
fn blank(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let is_ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let put_blank = |out: &mut String, s: &[char]| {
        for ch in s {
            match ch {
                '\n' => out.push('\n'),
                _ => out.extend(std::iter::repeat_n(' ', ch.len_utf8())),
            }
        }
    };
    let mut i = 0;
    while i < c.len() {
        let prev_ident = i > 0 && is_ident(c[i - 1]);
        let end = if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            c[i..]
                .iter()
                .position(|&ch| ch == '\n')
                .map_or(c.len(), |p| i + p)
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            block_comment_end(&c, i)
        } else if !prev_ident && let Some((hashes, body)) = raw_string_start(&c, i) {
            raw_string_end(&c, body, hashes)
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            j + 1
        } else if c[i] == '\'' && c.get(i + 1) == Some(&'\\') {
            // '\n', '\'', '\u{..}': the closing quote after the escaped character.
            c.iter()
                .skip(i + 3)
                .position(|&ch| ch == '\'')
                .map_or(c.len(), |p| i + 3 + p + 1)
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            i + 3
        } else {
            out.push(c[i]);
            i += 1;
            continue;
        };
        let end = end.min(c.len());
        put_blank(&mut out, &c[i..end]);
        i = end;
    }
    out
}

fn block_comment_end(c: &[char], start: usize) -> usize {
    let (mut depth, mut j) = (1, start + 2);
    while j < c.len() && depth > 0 {
        if c[j] == '/' && c.get(j + 1) == Some(&'*') {
            depth += 1;
            j += 1;
        } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
            depth -= 1;
            j += 1;
        }
        j += 1;
    }
    j
}

fn raw_string_end(c: &[char], body: usize, hashes: usize) -> usize {
    let mut j = body;
    while j < c.len() {
        if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
            return j + 1 + hashes;
        }
        j += 1;
    }
    j
}

/// At `r"`, `r#"`, `br"`…: the number of `#` and where the body starts.
fn raw_string_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = match (c[i], c.get(i + 1)) {
        ('r', _) => i + 1,
        ('b', Some('r')) => i + 2,
        _ => return None,
    };
    let mut hashes = 0;
    while c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (c.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// Removes every item under `#[cfg(test)]` from `blank` (the blanked `raw`) and returns the
/// `mod name;` declarations among them (with their `#[path]`), whose files are test code.
fn drop_test_items(raw: &str, blank: &str) -> (String, Vec<(String, Option<String>)>) {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut tests = Vec::new();
    let mut pos = 0;
    while let Some(found) = blank[pos..].find(MARK) {
        let at = pos + found;
        out.push_str(&blank[pos..at]);
        let end = at + item_end(&blank[at..]);
        let decl = &blank[at..end];
        let words: Vec<&str> = decl
            .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        if decl.trim_end().ends_with(';')
            && let Some(k) = words.iter().position(|w| *w == "mod")
        {
            // `#[path = "x.rs"]`: the string is blanked in `blank`, so read it from `raw`.
            let path_attr = decl.find("#[path").and_then(|p| {
                let attr = &raw[at + p..end];
                let open = attr.find('"')?;
                let close = attr[open + 1..].find('"')?;
                Some(attr[open + 1..open + 1 + close].to_string())
            });
            tests.push((words[k + 1].to_string(), path_attr));
        }
        out.extend(decl.chars().map(|ch| if ch == '\n' { '\n' } else { ' ' }));
        pos = end;
    }
    out.push_str(&blank[pos..]);
    (out, tests)
}

/// Where the item starting at `item` (its attributes first) ends: after its `;` or its body.
fn item_end(item: &str) -> usize {
    let bytes = item.as_bytes();
    let mut i = 0;
    // Skip the attributes.
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) == Some(&b'#') {
            let mut depth = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'[' => depth += 1,
                    b']' => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        } else {
            break;
        }
    }
    let mut depth = 0;
    while i < bytes.len() {
        match bytes[i] {
            b';' if depth == 0 => return i + 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// One path a file names.
struct Found {
    /// The module the path is relative to (a file's module, or an inline `mod` inside it).
    scope: ModPath,
    segments: Vec<String>,
    /// `use … as alias`.
    alias: Option<String>,
    /// Found in a `use` declaration.
    is_use: bool,
    /// A `pub use` (any visibility).
    reexport: bool,
    text: String,
}

/// Every path in `text`: `use` trees and inline paths, with inline `mod name { … }` bodies
/// read in their own scope.
fn paths_in(text: &str, module: &ModPath) -> Vec<Found> {
    let mut found = Vec::new();
    scan(text, module, &mut found);
    found
}

fn scan(text: &str, scope: &ModPath, found: &mut Vec<Found>) {
    let tokens = tokenize(text);
    // Names brought in by `use`, for inline paths that start with one (`db::connect` after
    // `use crate::db;`).
    let mut imported: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut inline = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        if t == "mod" && tokens.get(i + 2).map(String::as_str) == Some("{") {
            // An inline module: its body has its own scope for `self`/`super`.
            let end = matching(&tokens, i + 2);
            let mut inner = scope.clone();
            inner.push(tokens[i + 1].clone());
            scan(&tokens[i + 3..end].join(" "), &inner, found);
            i = end + 1;
        } else if t == "use" {
            let reexport = i > 0 && (tokens[i - 1] == "pub" || tokens[i - 1] == ")");
            let end = tokens[i..]
                .iter()
                .position(|t| t == ";")
                .map_or(tokens.len(), |p| i + p);
            let tree: String = tokens[i + 1..end]
                .iter()
                .map(|t| if t == "as" { AS } else { t.as_str() })
                .collect();
            for (segments, alias) in expand_use(&tree) {
                if let Some(name) = alias.clone().or_else(|| segments.last().cloned())
                    && name != "*"
                {
                    imported.insert(name, segments.clone());
                }
                found.push(Found {
                    scope: scope.clone(),
                    text: format!("use {}", segments.join("::")),
                    segments,
                    alias,
                    is_use: true,
                    reexport,
                });
            }
            i = end + 1;
        } else if is_ident(t)
            && tokens.get(i + 1).map(String::as_str) == Some("::")
            && (i == 0 || tokens[i - 1] != "::")
        {
            // An inline path: `a::b::c` not preceded by `::`.
            let mut segments = vec![t.to_string()];
            let mut j = i + 1;
            while tokens.get(j).map(String::as_str) == Some("::")
                && tokens.get(j + 1).is_some_and(|n| is_ident(n))
            {
                segments.push(tokens[j + 1].clone());
                j += 2;
            }
            inline.push(segments);
            i = j;
        } else {
            i += 1;
        }
    }
    for segments in inline {
        let text = segments.join("::");
        let segments = match imported.get(&segments[0]) {
            Some(full) if !matches!(segments[0].as_str(), "crate" | "self" | "super") => {
                full.iter().chain(&segments[1..]).cloned().collect()
            }
            _ => segments,
        };
        found.push(Found {
            scope: scope.clone(),
            text,
            segments,
            alias: None,
            is_use: false,
            reexport: false,
        });
    }
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && t.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Identifiers, `::`, and every other character as its own token.
fn tokenize(text: &str) -> Vec<String> {
    let c: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i].is_whitespace() {
            i += 1;
        } else if c[i].is_alphanumeric() || c[i] == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            tokens.push(c[start..i].iter().collect());
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            tokens.push("::".into());
            i += 2;
        } else {
            tokens.push(c[i].to_string());
            i += 1;
        }
    }
    tokens
}

fn matching(tokens: &[String], open: usize) -> usize {
    let mut depth = 0;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// `a::{b, c::{d as e, self}}` (tokens joined, `as` as the [`AS`] marker) → `[a,b]`,
/// `[a,c,d]` (alias `e`), `[a,c]`.
fn expand_use(tree: &str) -> Vec<(Vec<String>, Option<String>)> {
    let mut out = Vec::new();
    expand_into(&[], tree, &mut out);
    out
}

fn expand_into(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, Option<String>)>) {
    let tree = tree.trim_start_matches("::");
    match tree.find('{') {
        None => {
            let mut segments: Vec<String> = prefix.to_vec();
            let mut alias = None;
            segments.extend(tree.split("::").filter(|p| !p.is_empty()).map(String::from));
            if let Some(last) = segments.last().cloned()
                && let Some((name, a)) = split_as(&last)
            {
                *segments.last_mut().unwrap() = name;
                alias = Some(a);
            }
            if segments.last().is_some_and(|s| s == "self") {
                segments.pop();
            }
            if !segments.is_empty() {
                out.push((segments, alias));
            }
        }
        Some(open) => {
            let mut head = prefix.to_vec();
            head.extend(
                tree[..open]
                    .split("::")
                    .filter(|p| !p.is_empty())
                    .map(String::from),
            );
            let close = tree.rfind('}').unwrap_or(tree.len());
            let inner = &tree[open + 1..close];
            let (mut depth, mut start) = (0, 0);
            for (k, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand_into(&head, &inner[start..k], out);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            if start < inner.len() {
                expand_into(&head, &inner[start..], out);
            }
        }
    }
}

/// `name as alias` (joined with the [`AS`] marker by [`scan`]) → `(name, alias)`.
fn split_as(segment: &str) -> Option<(String, String)> {
    segment
        .split_once(AS)
        .map(|(a, b)| (a.to_string(), b.to_string()))
}

/// Stands for the keyword `as` in a joined `use` tree.
const AS: &str = "\u{1}";

/// The absolute module-relative path of `segments` written in `scope`, or `None` when it does
/// not start in this crate (an external crate, a local variable's type, a prelude name).
fn absolute(scope: &ModPath, segments: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let mut base = scope.clone();
    let mut rest = segments;
    match segments.first()?.as_str() {
        "crate" => {
            base.clear();
            rest = &segments[1..];
        }
        "self" | "super" => {
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => {}
                    "super" => {
                        base.pop();
                    }
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        first => {
            // A path through a child module of the scope (2018 paths), else not ours.
            let mut child = scope.clone();
            child.push(first.to_string());
            if !modules.contains(&child) && !modules.iter().any(|m| m.starts_with(&child)) {
                return None;
            }
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The module file that defines what `abs` names: its longest module prefix, then through that
/// module's `use` of the next name (a re-export, or an import its children reach by `super::`).
fn resolve(
    abs: &ModPath,
    modules: &BTreeSet<ModPath>,
    reexports: &BTreeMap<ModPath, BTreeMap<String, ModPath>>,
) -> ModPath {
    let mut current = abs.clone();
    for _ in 0..8 {
        let k = (0..=current.len())
            .rev()
            .find(|k| modules.contains(&current[..*k].to_vec()))
            .unwrap_or(0);
        let module = current[..k].to_vec();
        let next = current.get(k);
        match next.and_then(|n| reexports.get(&module).and_then(|r| r.get(n))) {
            Some(target) if *target != current => {
                let mut t = target.clone();
                t.extend(current[k + 1..].iter().cloned());
                current = t;
            }
            _ => return module,
        }
    }
    current
}

/// The cycles of a graph: its strongly connected components of more than one node, each
/// sorted, in order (Tarjan).
fn strongly_connected(edges: &Edges) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a Edges,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.edges.get(v).into_iter().flat_map(|m| m.keys()) {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    let nodes: BTreeSet<&str> = edges
        .iter()
        .flat_map(|(a, bs)| std::iter::once(a.as_str()).chain(bs.keys().map(String::as_str)))
        .collect();
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}
