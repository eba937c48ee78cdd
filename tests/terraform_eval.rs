//! The Terraform evaluator on fixture folders: `terraform.tfvars` and `*.auto.tfvars`, local
//! modules evaluated with their caller's arguments, and registry GitHub-OIDC role modules read
//! through `rules/terraform/oidc-modules.toml`. Each `fire` folder must give the findings
//! listed; its `safe` twin none from these rules.
#![cfg(test)]

use std::path::PathBuf;

use tollgate::engine::{self, CheckOptions};

const RULES: &[&str] = &["iam-oidc-trust-unbounded", "long-ttl", "deploy-path-bypass"];

/// `(rule, severity, file, line)` of every finding of [`RULES`], sorted.
fn findings(path: &str) -> Vec<(String, String, String, usize)> {
    let report = engine::check(&CheckOptions {
        paths: vec![
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/terraform")
                .join(path),
        ],
        ..CheckOptions::default()
    });
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut out: Vec<_> = report
        .findings
        .iter()
        .filter(|f| RULES.contains(&f.rule))
        .map(|f| {
            let file = f
                .region
                .path
                .split_once(&format!("{path}/"))
                .map_or(f.region.path.clone(), |(_, rest)| rest.to_string());
            (
                f.rule.to_string(),
                f.severity.to_string(),
                file,
                f.region.line,
            )
        })
        .collect();
    out.sort();
    out
}

fn row(rule: &str, severity: &str, file: &str, line: usize) -> (String, String, String, usize) {
    (rule.into(), severity.into(), file.into(), line)
}

#[test]
fn tfvars_set_variables() {
    assert_eq!(
        findings("tfvars/fire"),
        vec![
            row("iam-oidc-trust-unbounded", "high", "main.tf", 18),
            row("long-ttl", "medium", "main.tf", 9),
        ]
    );
    assert_eq!(findings("tfvars/safe"), vec![]);
}

#[test]
fn local_modules_take_the_callers_arguments() {
    // The role is declared at the call (main.tf), once: the module's own file, which has a
    // caller, does not declare it again.
    assert_eq!(
        findings("local-module/fire"),
        vec![
            row("iam-oidc-trust-unbounded", "medium", "main.tf", 1),
            row("long-ttl", "medium", "main.tf", 1),
        ]
    );
    assert_eq!(findings("local-module/safe"), vec![]);
}

#[test]
fn nested_local_modules_are_followed() {
    // main.tf → modules/app → modules/role: the role is declared at the root's call, with the
    // arguments passed down both levels.
    assert_eq!(
        findings("nested-module/fire"),
        vec![row("iam-oidc-trust-unbounded", "medium", "main.tf", 1)]
    );
    assert_eq!(findings("nested-module/safe"), vec![]);
}

#[test]
fn registry_modules_are_read_through_the_table() {
    assert_eq!(
        findings("registry-module/fire"),
        vec![
            row("deploy-path-bypass", "high", "main.tf", 5),
            row("iam-oidc-trust-unbounded", "high", "main.tf", 12),
            row("long-ttl", "medium", "main.tf", 6),
        ]
    );
    assert_eq!(findings("registry-module/safe"), vec![]);
}

/// checkov's GitHub OIDC trust cases (CKV_AWS_358/393, in `../shared` when present): every
/// case checkov fails gets a finding at medium or above. (Cases it passes that tollgate reports
/// are `repo:org/*` and `repo:org/repo:*`, stricter by the rule's docs.)
#[test]
fn checkov_failing_oidc_cases_are_medium_or_above() {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/peers/iam/checkov");
    let Ok(labels) = std::fs::read_to_string(base.join("labels.tsv")) else {
        eprintln!("skipped: {} not present", base.display());
        return;
    };
    let mut failing = 0;
    for line in labels
        .lines()
        .filter(|l| l.contains("OIDC") && l.contains("FAILED"))
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let (file, address) = (fields[0], fields[1]);
        let text = std::fs::read_to_string(base.join(file)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), &text).unwrap();
        let (kind, name) = address.split_once('.').unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.contains(&format!("\"{kind}\" \"{name}\"")))
            .unwrap()
            + 1;
        let end = lines
            .iter()
            .enumerate()
            .skip(start)
            .find(|(_, l)| l.starts_with("data ") || l.starts_with("resource "))
            .map_or(lines.len(), |(i, _)| i);
        let report = engine::check(&CheckOptions {
            paths: vec![dir.path().to_path_buf()],
            ..CheckOptions::default()
        });
        let found = report.findings.iter().any(|f| {
            f.rule == "iam-oidc-trust-unbounded"
                && (start..=end).contains(&f.region.line)
                && matches!(f.severity.to_string().as_str(), "medium" | "high")
        });
        assert!(found, "{file} {address}: no finding at medium or above");
        failing += 1;
    }
    assert!(failing >= 12, "{failing}");
}

/// checkov's GCP and Azure GitHub OIDC trust cases (CKV_GCP_125, CKV_AZURE_249), re-written in
/// `checkov-oidc/`: each resource labelled `fail_*` gets an `iam-oidc-trust-unbounded` finding at
/// medium or above, `pass_*` none, and `stricter_*` (checkov passes that the rule's docs say
/// tollgate reports) one.
#[test]
fn checkov_gcp_and_azure_oidc_cases() {
    let base =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform/checkov-oidc");
    let report = engine::check(&CheckOptions {
        paths: vec![base.clone()],
        ..CheckOptions::default()
    });
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut cases = 0;
    for file in ["gcp.tf", "azure.tf"] {
        let text = std::fs::read_to_string(base.join(file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let starts: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].starts_with("resource "))
            .collect();
        for (n, &start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(lines.len());
            let label = lines[start].split('"').nth(3).unwrap();
            let found: Vec<String> = report
                .findings
                .iter()
                .filter(|f| {
                    f.rule == "iam-oidc-trust-unbounded"
                        && f.region.path.ends_with(file)
                        && (start + 1..=end).contains(&f.region.line)
                })
                .map(|f| f.severity.to_string())
                .collect();
            let serious = found.iter().any(|s| s == "medium" || s == "high");
            if label.starts_with("fail_") {
                assert!(
                    serious,
                    "{file} {label}: no finding at medium or above: {found:?}"
                );
            } else if label.starts_with("pass_") {
                assert!(found.is_empty(), "{file} {label}: {found:?}");
            } else if label.starts_with("stricter_") {
                assert!(!found.is_empty(), "{file} {label}: documented as reported");
            } else {
                continue;
            }
            cases += 1;
        }
    }
    assert_eq!(cases, 10 + 9);
}

#[test]
fn gcp_deploy_path_through_the_service_account_binding() {
    assert_eq!(
        findings("gcp-path/fire"),
        vec![row("deploy-path-bypass", "high", "main.tf", 32)]
    );
    assert_eq!(findings("gcp-path/safe"), vec![]);
}

#[test]
fn azure_deploy_path_through_the_federated_credential() {
    assert_eq!(
        findings("azure-path/fire"),
        vec![row("deploy-path-bypass", "high", "main.tf", 12)]
    );
    assert_eq!(findings("azure-path/safe"), vec![]);
}

/// `dir` with a root calling `m0`, each `m<d>` calling `m<d+1>` `fan_out` times, and the
/// deepest module making one role trusted on `repo:o/*`.
fn module_fan(dir: &std::path::Path, depth: usize, fan_out: usize) {
    for d in 0..=depth {
        let folder = dir.join(format!("m{d}"));
        std::fs::create_dir_all(&folder).unwrap();
        let mut text = String::from("variable \"name\" { default = \"x\" }\n");
        if d < depth {
            for k in 0..fan_out {
                text.push_str(&format!(
                    "module \"c{k}\" {{\n  source = \"../m{}\"\n  name = \"${{var.name}}-{k}\"\n}}\n",
                    d + 1
                ));
            }
        } else {
            text.push_str(concat!(
                "resource \"aws_iam_role\" \"r\" {\n  name = var.name\n",
                "  assume_role_policy = jsonencode({ Statement = [{ Effect = \"Allow\",\n",
                "    Action = \"sts:AssumeRoleWithWebIdentity\",\n",
                "    Principal = { Federated = \"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com\" },\n",
                "    Condition = { StringLike = { \"token.actions.githubusercontent.com:sub\" = \"repo:o/*\" } } }] })\n}\n",
            ));
        }
        std::fs::write(folder.join("main.tf"), text).unwrap();
    }
    std::fs::write(
        dir.join("main.tf"),
        "module \"top\" {\n  source = \"./m0\"\n  name = \"t\"\n}\n",
    )
    .unwrap();
}

fn oidc_findings_in(dir: &std::path::Path) -> usize {
    let report = engine::check(&CheckOptions {
        paths: vec![dir.to_path_buf()],
        ..CheckOptions::default()
    });
    report
        .findings
        .iter()
        // One high finding per role (`repo:o/*`); the low "no `aud`" beside it is not counted.
        .filter(|f| f.rule == "iam-oidc-trust-unbounded" && f.severity.to_string() == "high")
        .count()
}

#[test]
fn module_instances_below_one_call_are_bounded() {
    // Two levels of two calls each are followed whole: four instances of the role.
    let small = tempfile::tempdir().unwrap();
    module_fan(small.path(), 2, 2);
    assert_eq!(oidc_findings_in(small.path()), 4);
    // Eight levels of four calls would be 4^8 = 65,536 instances from nine small files: the
    // evaluation stops at its instance budget instead of growing with fan-out^depth.
    let hostile = tempfile::tempdir().unwrap();
    module_fan(hostile.path(), 8, 4);
    let found = oidc_findings_in(hostile.path());
    assert!(found > 0 && found < 1_000, "{found} findings");
}

#[test]
fn a_nested_module_outside_the_repository_is_not_read() {
    // repo/main.tf → repo/app → ../../outside: the second hop leaves the scanned tree.
    let base = tempfile::tempdir().unwrap();
    module_fan(&base.path().join("outside"), 0, 0);
    let repo = base.path().join("scan/repo");
    std::fs::create_dir_all(repo.join("app")).unwrap();
    std::fs::write(
        repo.join("main.tf"),
        "module \"app\" {\n  source = \"./app\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("app/main.tf"),
        "module \"escape\" {\n  source = \"../../../outside/m0\"\n  name = \"t\"\n}\n",
    )
    .unwrap();
    assert_eq!(oidc_findings_in(&repo), 0);
    // The same module inside the tree is followed.
    std::fs::create_dir_all(repo.join("inside/m0")).unwrap();
    std::fs::copy(
        base.path().join("outside/m0/main.tf"),
        repo.join("inside/m0/main.tf"),
    )
    .unwrap();
    std::fs::write(
        repo.join("app/main.tf"),
        "module \"inner\" {\n  source = \"../inside/m0\"\n  name = \"t\"\n}\n",
    )
    .unwrap();
    assert_eq!(oidc_findings_in(&repo), 1);
}
