//! The module graph points one way: util → source → model → rules → engine → output/cli.
//!
//! Every `crate::…` path in `src/` (imports and inline paths alike, tests included) is read
//! and checked against the layer each top-level module sits in: a module may use only
//! modules below it. A second check keeps rules from reaching into other rules' files: what
//! two rules share belongs in `model` (or `util`). `cargo test --test layers -- --nocapture`
//! prints the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom up. A module may use only modules of a lower rank.
/// `rule_meta` is the macro the registry exports (`crate::rule_meta!`), part of `rules`.
const LAYERS: &[(&str, u32)] = &[
    ("util", 0),
    ("escape", 1),
    ("source", 2),
    ("finding", 3),
    ("model", 4),
    ("config", 5),
    ("baseline", 6),
    ("rules", 7),
    ("rule_meta", 7),
    ("suppress", 8),
    ("engine", 9),
    ("drift", 10),
    ("output", 11),
    ("paths", 12),
    ("fuzz", 12),
    ("cli", 13),
];

/// Rule files that still borrow from another rule's file, each owned by the issue that moves
/// the shared knowledge into `model`. The list may only shrink: a new borrow fails the test,
/// and so does an entry that no longer borrows.
const KNOWN_BORROWS: &[(&str, &str)] = &[
    // `judge_sub` (what a GitHub OIDC `sub` admits) belongs in a `model::oidc` (issue 16).
    (
        "rules/vault/vault_jwt_unbounded.rs",
        "rules/iam/iam_oidc_trust_unbounded.rs",
    ),
    // `SUB`, `trusts_github`, `outside_environment` (issue 15).
    ("paths.rs", "rules/deploy_path/deploy_path_bypass.rs"),
    // `credential_kind_of_secret`, the secret-name classifier (issue 18).
    ("drift/github.rs", "rules/workflow/standing_credentials.rs"),
];

fn rank(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (doc comments name modules in prose).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.split("//").next().unwrap_or_default()))
}

/// Every `crate::a::b::c` path in a line, as its segments; a `crate::{a, b::c}` group gives
/// one path per member.
fn crate_paths(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for member in group[..end].split(',') {
                let segments = segments(member.trim());
                if !segments.is_empty() {
                    out.push(segments);
                }
            }
        } else {
            out.push(segments(rest));
        }
    }
    out
}

fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        out.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    out
}

struct Crate {
    /// Path under `src/` → text.
    files: BTreeMap<String, String>,
}

impl Crate {
    fn read() -> std::io::Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut paths = Vec::new();
        sources(&root, &mut paths);
        let mut files = BTreeMap::new();
        for p in paths {
            let relative = p
                .strip_prefix(&root)
                .map_err(std::io::Error::other)?
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(relative, fs::read_to_string(&p)?);
        }
        Ok(Self { files })
    }

    /// The file a module path names, if it is one of the crate's files.
    fn file_of(&self, segments: &[String]) -> Option<String> {
        (1..=segments.len()).rev().find_map(|n| {
            let joined = segments[..n].join("/");
            [format!("{joined}.rs"), format!("{joined}/mod.rs")]
                .into_iter()
                .find(|candidate| self.files.contains_key(candidate))
        })
    }

    fn is_rule_file(&self, path: &str) -> bool {
        path.starts_with("rules/")
            && self.files[path]
                .lines()
                .any(|line| line.starts_with("crate::rule_meta!("))
    }

    /// Whether `name` is the rule itself (its unit struct), which any layer above may run.
    fn is_the_rule(&self, path: &str, name: &str) -> bool {
        self.files[path].contains(&format!("pub struct {name};"))
    }
}

/// The files that run rules rather than borrow from them: the engine, the suppression
/// reader (the meta rule's id), the CLI and the fuzz entry points.
const RUNNERS: &[&str] = &["engine.rs", "suppress.rs", "cli.rs", "fuzz.rs"];

fn top_module(path: &str) -> &str {
    let first = path.split('/').next().unwrap_or(path);
    first.strip_suffix(".rs").unwrap_or(first)
}

#[test]
fn imports_point_down_the_layers() {
    let krate = Crate::read().unwrap();
    let mut graph: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut upward = Vec::new();
    let mut unknown = BTreeSet::new();
    for (path, text) in &krate.files {
        let from = top_module(path);
        if matches!(from, "lib" | "main") {
            continue;
        }
        let Some(from_rank) = rank(from) else {
            unknown.insert(from.to_string());
            continue;
        };
        for (line, code) in code_lines(text) {
            for segments in crate_paths(code) {
                let Some(to) = segments.first() else { continue };
                // The registry's macro is exported at the crate root but is part of `rules`.
                let to = &if to == "rule_meta" {
                    "rules".to_string()
                } else {
                    to.clone()
                };
                if to == from || to == "self" {
                    continue;
                }
                let Some(to_rank) = rank(to) else {
                    unknown.insert(to.clone());
                    continue;
                };
                graph.entry(from).or_default().insert(to.clone());
                if to_rank >= from_rank {
                    upward.push(format!(
                        "src/{path}:{line}: {from} uses crate::{}",
                        segments.join("::")
                    ));
                }
            }
        }
    }
    for (from, to) in &graph {
        let to: Vec<&str> = to.iter().map(String::as_str).collect();
        println!("{from} -> {}", to.join(", "));
    }
    assert!(
        unknown.is_empty(),
        "modules missing from LAYERS: {unknown:?}"
    );
    assert!(
        upward.is_empty(),
        "imports pointing up the layers:\n{}",
        upward.join("\n")
    );
}

#[test]
fn rules_do_not_borrow_from_other_rules() {
    let krate = Crate::read().unwrap();
    let mut borrows = BTreeSet::new();
    for (path, text) in &krate.files {
        if RUNNERS.contains(&path.as_str()) || path.starts_with("output/") {
            continue;
        }
        for (_, code) in code_lines(text) {
            for segments in crate_paths(code) {
                let Some(target) = krate.file_of(&segments) else {
                    continue;
                };
                let last = segments.last().map(String::as_str).unwrap_or_default();
                if target != *path
                    && krate.is_rule_file(&target)
                    && !krate.is_the_rule(&target, last)
                {
                    borrows.insert((path.clone(), target));
                }
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN_BORROWS
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let new: Vec<_> = borrows.difference(&known).collect();
    assert!(
        new.is_empty(),
        "files reaching into another rule's file (move the shared part to model): {new:?}"
    );
    let gone: Vec<_> = known.difference(&borrows).collect();
    assert!(
        gone.is_empty(),
        "no longer borrowed, remove from KNOWN_BORROWS: {gone:?}"
    );
}

#[test]
fn the_reader_sees_grouped_and_inline_paths() {
    assert_eq!(
        crate_paths("use crate::{source::Node, util::duration};"),
        vec![
            vec!["source".to_string(), "Node".into()],
            vec!["util".into(), "duration".into()]
        ]
    );
    assert_eq!(
        crate_paths("let x = crate::config::parse(a); supercrate::x"),
        vec![vec!["config".to_string(), "parse".into()]]
    );
}
