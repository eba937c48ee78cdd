//! Environment protection and deploy-path rules, on fixture repositories that fire and on
//! their safe twins.
#![cfg(test)]

use std::path::PathBuf;

use tollgate::engine::{self, CheckOptions};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// `(rule, file name, line)` of every finding, sorted.
fn findings(path: &str) -> Vec<(String, String, usize)> {
    let report = engine::check(&CheckOptions {
        paths: vec![fixture(path)],
        config: None,
        ..CheckOptions::default()
    });
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut out: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let name = f
                .region
                .path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            (f.rule.to_string(), name, f.region.line)
        })
        .collect();
    out.sort();
    out
}

fn has(found: &[(String, String, usize)], rule: &str, file: &str, line: usize) -> bool {
    found
        .iter()
        .any(|(r, f, l)| r == rule && f == file && *l == line)
}

#[test]
fn settings_and_terraform_environments_fire() {
    let found = findings("environment/fires");
    for (rule, file, line) in [
        ("self-review-allowed", "settings.yml", 6),
        ("environment-admin-bypass", "settings.yml", 6),
        ("environment-any-branch", "settings.yml", 6),
        ("environment-unprotected", "settings.yml", 11),
        ("self-review-allowed", "environments.tf", 5),
        ("environment-admin-bypass", "environments.tf", 6),
        ("environment-unprotected", "environments.tf", 18),
        ("environment-any-branch", "environments.tf", 18),
        ("environment-admin-bypass", "environments.tf", 18),
    ] {
        assert!(
            has(&found, rule, file, line),
            "{rule} at {file}:{line} missing from {found:#?}"
        );
    }
    // `staging` is not a production environment, and `prod-eu`'s branch policy is fine.
    assert!(
        !found
            .iter()
            .any(|(r, f, l)| f == "settings.yml" && *l >= 15 && r != "environment-unprotected")
    );
    assert_eq!(found.len(), 9, "{found:#?}");
}

#[test]
fn safe_environments_stay_quiet() {
    assert_eq!(findings("environment/quiet"), Vec::new());
}

#[test]
fn trust_bound_to_a_branch_bypasses_the_environment() {
    let found = findings("deploy-path/bypass");
    assert_eq!(
        found,
        vec![("deploy-path-bypass".to_string(), "roles.tf".to_string(), 13)]
    );
    let report = engine::check(&CheckOptions {
        paths: vec![fixture("deploy-path/bypass")],
        config: None,
        ..CheckOptions::default()
    });
    let related = &report.findings[0].related;
    assert_eq!(related.len(), 1);
    assert!(
        related[0]
            .region
            .path
            .ends_with(".github/workflows/deploy.yml")
    );
    assert_eq!(related[0].region.line, 6);
}

#[test]
fn trust_bound_to_the_environment_does_not() {
    assert_eq!(findings("deploy-path/bound"), Vec::new());
}

#[test]
fn a_cross_file_finding_is_suppressed_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture("deploy-path/bypass");
    for relative in [
        ".github/workflows/deploy.yml",
        "tollgate.yml",
        "infra/roles.tf",
    ] {
        let target = dir.path().join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let mut text = std::fs::read_to_string(source.join(relative)).unwrap();
        if relative == "infra/roles.tf" {
            // The comment goes on the line above the trust condition the finding points at.
            text = text.replacen(
                "          \"token.actions.githubusercontent.com:sub\"",
                "          # tollgate: ignore[deploy-path-bypass] only this workflow runs on main\n          \"token.actions.githubusercontent.com:sub\"",
                1,
            );
        }
        std::fs::write(target, text).unwrap();
    }
    let report = engine::check(&CheckOptions {
        paths: vec![dir.path().to_path_buf()],
        config: None,
        ..CheckOptions::default()
    });
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}
