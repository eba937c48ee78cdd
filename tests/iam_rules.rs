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
    let mut findings = engine::check_file(&file, rules, &Config::default());
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
