//! Per-rule fixtures for the IAM, Vault and Terraform rules: every file under
//! `tests/fixtures/iam/<rule-id>/` is checked with only that rule enabled. Files named
//! `safe*` must give no finding; the others must give at least one, and their findings are
//! snapshotted. Files under `clean/` must give no finding from any rule.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test harness fails by panicking"
)]
use std::path::{Path, PathBuf};

use tollgate::config::Config;
use tollgate::engine;
use tollgate::rules::{self, Rule};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iam");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn run(path: &Path, rules: &[&'static dyn Rule]) -> Vec<String> {
    let display = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    let file = engine::load_one(path, &display)
        .unwrap_or_else(|e| panic!("{display}: {}", e.message))
        .unwrap_or_else(|| panic!("{display}: not read as a policy file"));
    let mut findings = engine::check_file(&file, rules, &Config::default(), &Default::default());
    findings.sort_by_key(|f| (f.region.line, f.region.column, f.rule));
    findings
        .into_iter()
        .map(|f| {
            format!(
                "{}:{} {} [{}] {}",
                f.region.line, f.region.column, f.severity, f.rule, f.message
            )
        })
        .collect()
}

#[test]
fn rule_fixtures_fire_and_safe_twins_stay_quiet() {
    let mut checked = 0;
    for path in fixtures() {
        let rule_dir = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if rule_dir == "clean" {
            let findings = run(&path, rules::registry());
            assert!(
                findings.is_empty(),
                "{name} should be clean:\n{}",
                findings.join("\n")
            );
            checked += 1;
            continue;
        }
        let rule = rules::registry()
            .iter()
            .copied()
            .find(|r| r.meta().id == rule_dir)
            .unwrap_or_else(|| panic!("no rule `{rule_dir}`"));
        let findings = run(&path, &[rule]);
        if name.starts_with("safe") {
            assert!(
                findings.is_empty(),
                "{rule_dir}/{name} should be quiet:\n{}",
                findings.join("\n")
            );
        } else {
            assert!(!findings.is_empty(), "{rule_dir}/{name} should fire");
            insta::assert_snapshot!(format!("{rule_dir}__{name}"), findings.join("\n"));
        }
        checked += 1;
    }
    assert!(checked > 10);
}

/// The peers' Vault corpus (beside the repository as `../shared`, when present): every file
/// Vault accepts parses, and OpenBao's parse-error cases are errors with a line and column.
#[test]
fn vault_corpus_parses_and_openbao_errors_have_positions() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/peers/vault");
    let Ok(labels) = std::fs::read_to_string(corpus.join("openbao/labels.tsv")) else {
        eprintln!("skipped: {} not present", corpus.display());
        return;
    };
    let mut bad = std::collections::HashSet::new();
    for line in labels.lines().skip(1) {
        let mut fields = line.split('\t');
        let (Some(file), Some(label)) = (fields.next(), fields.next()) else {
            continue;
        };
        if let Some(message) = label.strip_prefix("parse-error: ") {
            let path = corpus.join("openbao").join(file);
            let error = engine::load_one(&path, file).err().unwrap();
            assert!(
                error.line.is_some() && error.column.is_some(),
                "{file}: no position"
            );
            let first = message.split(" | ").next().unwrap();
            let wanted = first.split(" on line").next().unwrap();
            assert!(
                error.message.contains(wanted),
                "{file}: {} lacks {wanted}",
                error.message
            );
            bad.insert(path);
        }
    }
    let mut stack = vec![corpus];
    let mut parsed = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(ext, "hcl" | "tf") || bad.contains(&path) {
                continue;
            }
            let result = engine::load_one(&path, &path.to_string_lossy());
            assert!(
                result.is_ok(),
                "{}: {:?}",
                path.display(),
                result.err().map(|e| e.message)
            );
            parsed += 1;
        }
    }
    assert!(parsed > 40, "{parsed}");
}

/// Broken inputs are errors naming the file and position, never panics.
#[test]
fn bad_inputs_are_positioned_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("a.tf", "resource \"aws_iam_role\" \"x\" {\n  name = \n"),
        ("b.hcl", "path \"secret/*\" {\n  capabilities = [\"read\"\n"),
        (
            "c.tf",
            "resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOF\n{ \"Statement\": [ }\nEOF\n}\n",
        ),
        ("d.policy", "path \"x\" { capabilities = [\"read\"] } }"),
        ("e.hcl", "\u{0}\u{1}path"),
    ];
    for (name, text) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        match engine::load_one(&path, name) {
            Err(error) => {
                assert_eq!(error.path, name);
                assert!(error.line.is_some(), "{name}: {}", error.message);
            }
            Ok(file) => {
                // Accepted as something else (a heredoc that is not JSON stays a string).
                let file = file.map(|f| {
                    engine::check_file(
                        &f,
                        rules::registry(),
                        &Config::default(),
                        &Default::default(),
                    )
                });
                assert!(file.is_none_or(|f| f.len() < 100), "{name}");
            }
        }
    }
}

/// `iam-privilege-escalation` on the Terraform modules under `tests/fixtures/iam-modules/`,
/// each checked as a repository: a role's policies are gathered from every file of its
/// module. `fire-*` modules must report a path, `safe-*` twins none.
#[test]
fn escalation_is_judged_on_each_principal_across_a_module_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iam-modules");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 4);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let report = engine::check(&engine::CheckOptions {
            paths: vec![dir.clone()],
            ..engine::CheckOptions::default()
        });
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        let found: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.rule == "iam-privilege-escalation")
            .map(|f| {
                let file = f.region.path.rsplit('/').next().unwrap_or_default();
                format!("{file}:{} {}", f.region.line, f.message)
            })
            .collect();
        if name.starts_with("safe") {
            assert!(
                found.is_empty(),
                "{name} should be quiet:\n{}",
                found.join("\n")
            );
        } else {
            assert!(!found.is_empty(), "{name} should fire");
            insta::assert_snapshot!(format!("iam-modules__{name}"), found.join("\n"));
        }
    }
}

/// The two wildcard rules together give each statement at most one finding: a statement
/// whose action wildcard is reported names its `Resource: "*"` there, and the resource rule
/// reports only statements the action rule leaves alone.
#[test]
fn each_statement_gets_at_most_one_wildcard_finding() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/iam-wildcards/one-per-statement.json");
    let wildcard_rules: Vec<&'static dyn Rule> = rules::registry()
        .iter()
        .copied()
        .filter(|r| r.meta().id.starts_with("iam-wildcard-"))
        .collect();
    assert_eq!(wildcard_rules.len(), 2);
    let findings = run(&path, &wildcard_rules);
    // One a statement, each on its own line.
    let lines: Vec<&str> = findings
        .iter()
        .map(|f| f.split(' ').next().unwrap())
        .collect();
    let mut unique = lines.clone();
    unique.dedup();
    assert_eq!(lines, unique, "{}", findings.join("\n"));
    assert_eq!(findings.len(), 4, "{}", findings.join("\n"));
    assert!(
        findings[0].contains("[iam-wildcard-action]")
            && findings[0].contains("on `Resource: \"*\"`")
    );
    assert!(
        findings[1].contains("[iam-wildcard-action]")
            && findings[1].contains("on `Resource: \"*\"`")
    );
    assert!(
        findings[2].contains("[iam-wildcard-resource]"),
        "{}",
        findings[2]
    );
    assert!(
        findings[3].contains("[iam-wildcard-action]") && !findings[3].contains("on `Resource"),
        "{}",
        findings[3]
    );
}

/// On the real repositories beside this one (`../shared/corpus/real-repos`, when present):
/// every IAM statement gets at most one `iam-wildcard-*` finding. Each finding is placed in
/// the statement whose source span holds it. Prints the counts it checked.
#[test]
fn real_repositories_get_at_most_one_wildcard_finding_per_statement() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real-repos");
    if !root.is_dir() {
        return;
    }
    let wildcard_rules: Vec<&'static dyn Rule> = rules::registry()
        .iter()
        .copied()
        .filter(|r| r.meta().id.starts_with("iam-wildcard-"))
        .collect();
    let (mut files, mut findings_seen, mut statements_reported) = (0, 0, 0);
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.to_string_lossy().into_owned();
            if ![".json", ".tf", ".yaml", ".yml", ".template"]
                .iter()
                .any(|e| name.ends_with(e))
            {
                continue;
            }
            let display = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let Ok(Some(file)) = engine::load_one(&path, &display) else {
                continue;
            };
            let findings = engine::check_file(
                &file,
                &wildcard_rules,
                &Config::default(),
                &Default::default(),
            );
            if findings.is_empty() {
                continue;
            }
            files += 1;
            findings_seen += findings.len();
            let policies = tollgate::model::iam::policies(&file);
            let spans: Vec<(usize, usize, usize, usize)> = policies
                .iter()
                .flat_map(|p| &p.statements)
                .map(|s| {
                    let (a, b) = (
                        file.position(s.node.span.start),
                        file.position(s.node.span.end),
                    );
                    (a.line, a.column, b.line, b.column)
                })
                .collect();
            let mut per_statement = std::collections::HashMap::new();
            for f in &findings {
                let at = (f.region.line, f.region.column);
                // The innermost statement holding the finding.
                let holder = spans
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| (s.0, s.1) <= at && at <= (s.2, s.3))
                    .min_by_key(|(_, s)| (s.2 - s.0, s.3))
                    .map(|(i, _)| i);
                if let Some(i) = holder {
                    per_statement.entry(i).or_insert_with(Vec::new).push(f.rule);
                }
            }
            statements_reported += per_statement.len();
            for rules in per_statement.values() {
                assert!(rules.len() <= 1, "{display}: {rules:?} on one statement");
            }
        }
    }
    println!(
        "real-repos: {findings_seen} iam-wildcard-* findings in {files} files, on {statements_reported} statements, at most one each"
    );
}
