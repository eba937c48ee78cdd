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
