//! `break-glass-role` through the binary: each declared `break_glass` role is defined in the
//! repository's IaC, short-lived, MFA-only for people, never trusted to GitHub OIDC and never
//! assumed by a workflow; the safe twin stays quiet.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fixtures/e2e/support.rs"]
mod support;

use support::{Repo, run, tollgate};

const POLICY: &str =
    "break_glass:\n  - role: break-glass-admin\n    approvers: [security-leads]\n    max_ttl: 1h\n";

const LOOSE_TF: &str = r#"resource "aws_iam_role" "break_glass" {
  name                 = "break-glass-admin"
  max_session_duration = 43200
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::123456789012:root" } },
      { Effect = "Allow", Action = "sts:AssumeRoleWithWebIdentity",
        Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
        Condition = { StringEquals = { "token.actions.githubusercontent.com:sub" = "repo:acme/app:environment:production", "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" } } }
    ]
  })
}
"#;

const SAFE_TF: &str = r#"resource "aws_iam_role" "break_glass" {
  name                 = "break-glass-admin"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::123456789012:role/security-leads" },
        Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } } }
    ]
  })
}
"#;

const WORKFLOW: &str = "name: deploy\non:\n  push:\n    branches: [main]\npermissions:\n  id-token: write\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4\n        with:\n          role-to-assume: arn:aws:iam::123456789012:role/break-glass-admin\n          aws-region: eu-west-1\n";

fn findings(files: &[(&str, &[u8])]) -> Vec<(String, u64, String)> {
    let repo = Repo::with(files);
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .args(["check", ".", "--format", "json"]);
    let output = run(&mut cmd);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut out: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "break-glass-role")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_loose_break_glass_role_is_reported_on_each_count() {
    let found = findings(&[
        ("tollgate.yml", POLICY.as_bytes()),
        ("infra/iam.tf", LOOSE_TF.as_bytes()),
        (".github/workflows/deploy.yml", WORKFLOW.as_bytes()),
    ]);
    let messages: Vec<&str> = found.iter().map(|(_, _, m)| m.as_str()).collect();
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("12h sessions, longer than its max_ttl of 1h"))
    );
    assert!(messages.iter().any(|m| m.contains("without MFA")));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("trusts GitHub's OIDC provider"))
    );
    assert!(
        found
            .iter()
            .any(|(path, line, m)| path == ".github/workflows/deploy.yml"
                && *line == 14
                && m.contains("a workflow must never assume it"))
    );
}

#[test]
fn a_break_glass_role_defined_nowhere_is_reported_on_its_entry() {
    let found = findings(&[("tollgate.yml", POLICY.as_bytes())]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("tollgate.yml", 2));
    assert!(found[0].2.contains("defined in no IAM JSON"));
}

#[test]
fn the_safe_twin_is_quiet() {
    let found = findings(&[
        ("tollgate.yml", POLICY.as_bytes()),
        ("infra/iam.tf", SAFE_TF.as_bytes()),
    ]);
    assert!(found.is_empty(), "{found:#?}");
    // And without a break_glass key the rule has nothing to say.
    let found = findings(&[("infra/iam.tf", LOOSE_TF.as_bytes())]);
    assert!(found.is_empty(), "{found:#?}");
}
