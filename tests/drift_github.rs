//! `tollgate drift --github` against a GitHub stand-in on 127.0.0.1 serving GitHub's own
//! example payloads, changed per test (issue 6, acceptance 2 and 3).

#![cfg(all(test, feature = "drift"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fixtures/drift/github_server.rs"]
mod github_server;
#[path = "fixtures/e2e/support.rs"]
mod support;

use std::collections::HashMap;
use std::process::Output;

use github_server::{Answer, GitHub, corpus_routes, payload};
use serde_json::{Value, json};
use support::{Repo, code, run, stderr, stdout, tollgate};

pub const POLICY: &str = r#"environments:
  production:
    required_reviewers: [justice-league]
    min_reviewers: 1
    prevent_self_review: true
    admins_can_bypass: false
    deployment_branches: [main, "release/*"]
  "prod-*": {}
allowed_unpinned_actions:
  - docker/*
  - monalisa/octocat
"#;

pub const ENVIRONMENTS_TF: &str = r#"resource "github_repository_environment" "production" {
  repository          = "app"
  environment         = "production"
  prevent_self_review = true
  can_admins_bypass   = false
  wait_timer          = 30
}
"#;

pub const DEPLOY: &str = r#"name: deploy
on:
  push:
    branches: [main]
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo deploy
"#;

pub fn declared_repo() -> Repo {
    Repo::with(&[
        ("tollgate.yml", POLICY.as_bytes()),
        ("infra/github.tf", ENVIRONMENTS_TF.as_bytes()),
        (".github/workflows/deploy.yml", DEPLOY.as_bytes()),
    ])
}

/// GitHub's example environment, renamed, with the given changes merged in.
pub fn environment(name: &str, changes: &Value) -> Value {
    let mut env = payload("GET_repos_OWNER_REPO_environments.json")["environments"][0].clone();
    env["name"] = json!(name);
    if let (Some(target), Some(changes)) = (env.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            target.insert(key.clone(), value.clone());
        }
    }
    env
}

pub fn set_self_review(env: &mut Value, prevent: bool) {
    for rule in env["protection_rules"].as_array_mut().unwrap() {
        if rule["type"] == "required_reviewers" {
            rule["prevent_self_review"] = json!(prevent);
        }
    }
}

/// The example environment as production, protected as declared.
pub fn compliant_production() -> Value {
    let mut env = environment("production", &json!({ "can_admins_bypass": false }));
    set_self_review(&mut env, true);
    env
}

/// GitHub's example branch protection allows force pushes, which lets a change reach the
/// branch unreviewed; the compliant stand-in blocks them.
pub fn with_force_push_blocked(routes: &mut HashMap<String, Answer>) {
    let mut protection = payload("GET_repos_OWNER_REPO_branches_BRANCH_protection.json");
    protection["allow_force_pushes"]["enabled"] = json!(false);
    routes.insert(
        "/repos/acme/app/branches/main/protection".into(),
        Answer::json(&protection),
    );
}

pub fn with_environments(routes: &mut HashMap<String, Answer>, envs: Vec<Value>) {
    routes.insert(
        "/repos/acme/app/environments".into(),
        Answer::json(&json!({ "total_count": envs.len(), "environments": envs })),
    );
}

pub fn drift(repo: &Repo, github: &GitHub, args: &[&str]) -> Output {
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .env("GITHUB_TOKEN", "test-token")
        .args([
            "drift",
            "--github",
            "acme/app",
            "--github-api-url",
            &github.url,
        ])
        .args(args);
    run(&mut cmd)
}

pub fn drift_json(repo: &Repo, github: &GitHub) -> (i32, Value) {
    let output = drift(repo, github, &["--format", "json"]);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(&output), stderr(&output)));
    (code(&output), report)
}

pub fn control<'a>(report: &'a Value, control: &str, subject: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == control && c["subject"] == subject)
        .unwrap_or_else(|| panic!("no {control} for {subject} in {report:#}"))
}

fn status<'a>(report: &'a Value, name: &str, subject: &str) -> &'a str {
    control(report, name, subject)["status"].as_str().unwrap()
}

const PRODUCTION: &str = "environment `production`";
const ENV_CONTROLS: [&str; 6] = [
    "environment-exists",
    "environment-reviewers",
    "environment-prevent-self-review",
    "environment-admin-bypass",
    "environment-branch-policy",
    "environment-wait-timer",
];

#[test]
fn an_environment_as_declared_is_compliant() {
    let mut routes = corpus_routes();
    with_force_push_blocked(&mut routes);
    with_environments(&mut routes, vec![compliant_production()]);
    let github = GitHub::start(routes);
    let (_, report) = drift_json(&declared_repo(), &github);
    for name in ENV_CONTROLS {
        assert_eq!(
            status(&report, name, PRODUCTION),
            "compliant",
            "{name}: {report:#}"
        );
    }
    // GitHub's example secrets (GH_TOKEN, GIST_ID) are not cloud credentials.
    assert_eq!(
        status(&report, "actions-secrets", "repository secrets"),
        "compliant"
    );
    // The example's custom branch patterns were read from their own endpoint.
    let branches = control(&report, "environment-branch-policy", PRODUCTION);
    assert!(
        branches["live"].as_str().unwrap().contains("release/*"),
        "{branches:#}"
    );
    // Selected actions within the declared catalog; a protected default branch.
    assert_eq!(
        status(&report, "allowed-actions", "repository allowed actions"),
        "compliant"
    );
    assert_eq!(
        status(&report, "default-branch-protection", "default branch"),
        "compliant"
    );
    assert_eq!(
        status(
            &report,
            "oidc-subject-template",
            "repository OIDC sub template"
        ),
        "compliant"
    );
}

#[test]
fn self_review_missing_reviewers_admin_bypass_and_a_stored_key_are_each_reported() {
    let mut routes = corpus_routes();
    let mut production = environment("production", &json!({ "can_admins_bypass": true }));
    set_self_review(&mut production, false);
    let unreviewed = environment(
        "prod-eu",
        &json!({ "protection_rules": [], "deployment_branch_policy": null, "can_admins_bypass": false }),
    );
    with_environments(&mut routes, vec![production, unreviewed]);
    let mut secrets = payload("GET_repos_OWNER_REPO_actions_secrets.json");
    secrets["secrets"].as_array_mut().unwrap().push(json!({
        "name": "AWS_SECRET_ACCESS_KEY", "created_at": "2026-01-10T10:59:22Z", "updated_at": "2026-01-10T10:59:22Z"
    }));
    secrets["total_count"] = json!(3);
    routes.insert(
        "/repos/acme/app/actions/secrets".into(),
        Answer::json(&secrets),
    );
    let github = GitHub::start(routes);
    let (exit, report) = drift_json(&declared_repo(), &github);
    assert_eq!(exit, 1, "drift exits 1: {report:#}");

    let self_review = control(&report, "environment-prevent-self-review", PRODUCTION);
    assert_eq!(self_review["status"], "drifted", "{self_review:#}");
    let bypass = control(&report, "environment-admin-bypass", PRODUCTION);
    assert_eq!(bypass["status"], "drifted", "{bypass:#}");
    let reviewers = control(&report, "environment-reviewers", "environment `prod-eu`");
    assert_eq!(reviewers["status"], "drifted", "{reviewers:#}");
    assert!(
        reviewers["live"]
            .as_str()
            .unwrap()
            .contains("no required reviewers")
    );
    let secrets = control(&report, "actions-secrets", "repository secrets");
    assert_eq!(secrets["status"], "drifted");
    let diff = secrets["diff"].to_string();
    assert!(diff.contains("AWS_SECRET_ACCESS_KEY"), "{diff}");
    assert!(!diff.contains("GIST_ID"), "{diff}");
    // Nothing prevents self-review without reviewers, and any branch may deploy.
    assert_eq!(
        status(
            &report,
            "environment-prevent-self-review",
            "environment `prod-eu`"
        ),
        "drifted"
    );
    assert_eq!(
        status(
            &report,
            "environment-branch-policy",
            "environment `prod-eu`"
        ),
        "drifted"
    );

    // The declared line is linked: the Terraform attribute for self-review.
    let at = &self_review["declared_at"];
    assert_eq!(at["path"], "infra/github.tf");
    assert_eq!(at["line"], 4);
}

#[test]
fn a_payload_without_can_admins_bypass_is_unknown_never_compliant() {
    let mut routes = corpus_routes();
    // GitHub's example as it is: its REST description has no can_admins_bypass.
    let mut production = environment("production", &json!({}));
    set_self_review(&mut production, true);
    assert!(production.get("can_admins_bypass").is_none());
    with_environments(&mut routes, vec![production]);
    let github = GitHub::start(routes);
    let (_, report) = drift_json(&declared_repo(), &github);
    let bypass = control(&report, "environment-admin-bypass", PRODUCTION);
    assert_eq!(bypass["status"], "unknown", "{bypass:#}");
    assert!(
        bypass["reason"]
            .as_str()
            .unwrap()
            .contains("can_admins_bypass")
    );
    assert_eq!(
        status(&report, "environment-prevent-self-review", PRODUCTION),
        "compliant"
    );
}

#[test]
fn a_403_and_rate_limits_make_only_their_controls_unknown() {
    let mut routes = corpus_routes();
    with_force_push_blocked(&mut routes);
    with_environments(&mut routes, vec![compliant_production()]);
    routes.insert(
        "/repos/acme/app/actions/secrets".into(),
        Answer::status(403, "Resource not accessible by integration"),
    );
    // A secondary rate limit that never clears: honoured (Retry-After) and retried, then given up.
    routes.insert(
        "/repos/acme/app/actions/permissions/workflow".into(),
        Answer::status(429, "You have exceeded a secondary rate limit").header("Retry-After", "1"),
    );
    // The primary limit, reset an hour away: longer than the run waits, so not waited for.
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    routes.insert(
        "/repos/acme/app/actions/oidc/customization/sub".into(),
        Answer::status(403, "API rate limit exceeded")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", &reset.to_string()),
    );
    let github = GitHub::start(routes);
    let repo = declared_repo();
    let started = std::time::Instant::now();
    let (exit, report) = drift_json(&repo, &github);
    assert!(
        started.elapsed().as_secs() < 30,
        "the hour-long reset was waited for"
    );

    let secrets = control(&report, "actions-secrets", "repository secrets");
    assert_eq!(secrets["status"], "unknown");
    assert!(
        secrets["reason"].as_str().unwrap().contains("403"),
        "{secrets:#}"
    );
    let workflow = control(
        &report,
        "workflow-token-permissions",
        "repository default GITHUB_TOKEN",
    );
    assert_eq!(workflow["status"], "unknown");
    assert!(
        workflow["reason"]
            .as_str()
            .unwrap()
            .contains("rate limited"),
        "{workflow:#}"
    );
    assert_eq!(
        github.requests_to("/repos/acme/app/actions/permissions/workflow"),
        3
    );
    let oidc = control(
        &report,
        "oidc-subject-template",
        "repository OIDC sub template",
    );
    assert_eq!(oidc["status"], "unknown");
    assert!(
        oidc["reason"].as_str().unwrap().contains("rate limited"),
        "{oidc:#}"
    );
    assert_eq!(
        github.requests_to("/repos/acme/app/actions/oidc/customization/sub"),
        1
    );

    // The rest of the report is intact.
    for name in ENV_CONTROLS {
        assert_eq!(status(&report, name, PRODUCTION), "compliant", "{name}");
    }
    assert_eq!(
        status(&report, "default-branch-protection", "default branch"),
        "compliant"
    );
    assert_eq!(exit, 0, "unknown alone does not fail the run: {report:#}");

    // The Markdown report says so.
    let output = drift(&repo, &github, &["--format", "markdown"]);
    let markdown = stdout(&output);
    assert!(markdown.contains("**No standing credentials in secrets: unknown** — GET /repos/acme/app/actions/secrets answered 403"), "{markdown}");
    // `--fail-on-unknown` makes unknown fail.
    assert_eq!(
        code(&drift(
            &repo,
            &github,
            &["--format", "json", "--fail-on-unknown"]
        )),
        1
    );
}

#[test]
fn an_environment_a_workflow_deploys_to_must_exist_live() {
    let mut routes = corpus_routes();
    with_environments(&mut routes, vec![compliant_production()]);
    let github = GitHub::start(routes);
    let repo = declared_repo();
    repo.write(
        ".github/workflows/qa.yml",
        DEPLOY.replace("environment: production", "environment: qa"),
    );
    let (exit, report) = drift_json(&repo, &github);
    let qa = control(&report, "environment-exists", "environment `qa`");
    assert_eq!(qa["status"], "drifted", "{qa:#}");
    assert_eq!(qa["declared_at"]["path"], ".github/workflows/qa.yml");
    assert_eq!(qa["declared_at"]["line"], 9);
    assert_eq!(exit, 1);
}

#[test]
fn offline_or_without_a_token_the_live_checks_step_aside() {
    let repo = declared_repo();
    for args in [vec!["--offline"], vec![]] {
        let mut cmd = tollgate();
        cmd.current_dir(repo.path())
            .args(["drift", "--github", "acme/app", "--format", "json"])
            .args(&args);
        if !args.is_empty() {
            cmd.env("GITHUB_TOKEN", "test-token");
        }
        let output = run(&mut cmd);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let reason = report["skipped"][0]["reason"].as_str().unwrap();
        assert!(reason.starts_with("skipped: "), "{reason}");
        assert!(report["controls"].as_array().unwrap().is_empty());
        assert!(stderr(&output).contains(reason));
    }
    // A bad config is exit 2, as for `check`.
    repo.write("tollgate.yml", "environments: [\n");
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .args(["drift", "--offline", "--github", "acme/app"]);
    assert_eq!(code(&run(&mut cmd)), 2);
}

#[test]
fn sarif_validates_and_results_anchor_on_the_declared_line() {
    let mut routes = corpus_routes();
    let mut production = environment("production", &json!({ "can_admins_bypass": true }));
    set_self_review(&mut production, false);
    with_environments(&mut routes, vec![production]);
    let github = GitHub::start(routes);
    let output = drift(&declared_repo(), &github, &["--format", "sarif"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let sarif = support::json(&output);
    if let Some(shared) = support::shared() {
        let problems = support::schema_problems(&shared, &sarif);
        assert!(problems.is_empty(), "{problems:#?}");
    }
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let self_review = results
        .iter()
        .find(|r| r["ruleId"] == "environment-prevent-self-review")
        .expect("a self-review result");
    let location = &self_review["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "infra/github.tf");
    assert_eq!(location["region"]["startLine"], 4);
    // Controls nothing in the repository declares anchor on the policy file.
    let token = results
        .iter()
        .find(|r| r["ruleId"] == "workflow-token-permissions")
        .expect("the example allows workflows to approve pull requests");
    assert_eq!(
        token["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "tollgate.yml"
    );
    assert!(
        results
            .iter()
            .all(|r| r["partialFingerprints"]["primaryLocationLineHash"].is_string())
    );
}

#[test]
fn organisation_shards_take_each_repository_once_and_merge() {
    let mut routes = corpus_routes();
    with_environments(&mut routes, vec![compliant_production()]);
    routes.insert(
        "/orgs/acme/repos".into(),
        Answer::json(&payload("GET_orgs_ORG_repos.tollgate.json")),
    );
    let github = GitHub::start(routes);
    let repo = declared_repo();
    let mut files = Vec::new();
    let mut targets = Vec::new();
    for shard in ["1/2", "2/2"] {
        let path = repo.join(&format!("shard-{}.json", &shard[..1]));
        let mut cmd = tollgate();
        cmd.current_dir(repo.path())
            .env("GITHUB_TOKEN", "test-token")
            .args([
                "drift",
                "--github-org",
                "acme",
                "--github-api-url",
                &github.url,
            ])
            .args(["--shard", shard, "--format", "json", "--output"])
            .arg(&path);
        let output = run(&mut cmd);
        assert_ne!(code(&output), 2, "{}", stderr(&output));
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(report["shard"], shard);
        let mut mine: Vec<String> = report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["target"].as_str().unwrap().to_string())
            .collect();
        mine.sort();
        mine.dedup();
        let org_here = mine.iter().any(|t| t == "github-org:acme");
        assert_eq!(
            org_here,
            shard == "1/2",
            "organisation controls only in the first shard"
        );
        targets.extend(mine.into_iter().filter(|t| t.starts_with("github:")));
        files.push(path);
    }
    targets.sort();
    assert_eq!(
        targets,
        ["github:acme/api", "github:acme/app", "github:acme/web"]
    );

    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .args(["drift", "--format", "json", "--merge"])
        .args(&files);
    let output = run(&mut cmd);
    let merged: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut merged_targets: Vec<&str> = merged["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["target"].as_str().unwrap())
        .collect();
    merged_targets.sort();
    merged_targets.dedup();
    assert_eq!(
        merged_targets,
        [
            "github-org:acme",
            "github:acme/api",
            "github:acme/app",
            "github:acme/web"
        ]
    );
    let total = merged["summary"]["compliant"].as_u64().unwrap()
        + merged["summary"]["drifted"].as_u64().unwrap()
        + merged["summary"]["unknown"].as_u64().unwrap();
    assert_eq!(total as usize, merged["controls"].as_array().unwrap().len());
    // Each shard counted its requests; the merge adds them.
    assert!(
        merged["github_requests"].as_u64().unwrap() > 0,
        "{merged:#}"
    );

    // --expect-shards: complete passes; a missing or a repeated shard fails.
    let merge = |files: &[&std::path::PathBuf]| {
        let mut cmd = tollgate();
        cmd.current_dir(repo.path())
            .args([
                "drift",
                "--format",
                "json",
                "--expect-shards",
                "2",
                "--merge",
            ])
            .args(files);
        run(&mut cmd)
    };
    assert_ne!(code(&merge(&[&files[0], &files[1]])), 2);
    let missing = merge(&[&files[0]]);
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("shards missing: 2/2"),
        "{}",
        stderr(&missing)
    );
    let repeated = merge(&[&files[0], &files[0], &files[1]]);
    assert_eq!(code(&repeated), 2);
    assert!(
        stderr(&repeated).contains("more than once: 1/2"),
        "{}",
        stderr(&repeated)
    );
}

#[test]
fn the_html_report_is_a_document() {
    let mut routes = corpus_routes();
    with_environments(&mut routes, vec![compliant_production()]);
    let github = GitHub::start(routes);
    let output = drift(&declared_repo(), &github, &["--format", "html"]);
    let html = stdout(&output);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("<h3>environment <code>production</code></h3>"),
        "{html}"
    );
    assert!(html.trim_end().ends_with("</html>"));
}

// ---------------------------------------------------------------------------------------------
// The defects of `../shared/research/drift-fidelity.md` (G1–G10) and the hostile API of
// `hostile-input.md` §5, each on GitHub's example payloads changed only as the schema allows.
// None may come out compliant.

/// The example production environment with its reviewers replaced.
fn production_with_reviewers(reviewers: Value) -> Value {
    let mut env = compliant_production();
    for rule in env["protection_rules"].as_array_mut().unwrap() {
        if rule["type"] == "required_reviewers" {
            rule["reviewers"] = reviewers.clone();
        }
    }
    env
}

fn compliant_routes() -> HashMap<String, Answer> {
    let mut routes = corpus_routes();
    with_force_push_blocked(&mut routes);
    with_environments(&mut routes, vec![compliant_production()]);
    routes
}

fn octocat_as(name: &str) -> Value {
    let mut user =
        payload("GET_repos_OWNER_REPO_environments.json")["environments"][0]["protection_rules"][1]
            ["reviewers"][0]
            .clone();
    assert_eq!(user["type"], "User");
    user["reviewer"]["name"] = json!(name);
    user
}

#[test]
fn g1_a_user_named_like_the_team_or_with_its_id_is_not_the_team() {
    // The only reviewer is a User whose self-chosen display name is the required team's.
    let mut routes = compliant_routes();
    with_environments(
        &mut routes,
        vec![production_with_reviewers(json!([octocat_as(
            "Justice League"
        )]))],
    );
    let github = GitHub::start(routes);
    let (_, report) = drift_json(&declared_repo(), &github);
    let reviewers = control(&report, "environment-reviewers", PRODUCTION);
    assert_eq!(reviewers["status"], "drifted", "{reviewers:#}");
    assert!(
        reviewers["diff"][0]
            .as_str()
            .unwrap()
            .contains("justice-league"),
        "{reviewers:#}"
    );

    // Terraform `teams = [1]`; live, only User octocat, whose id is 1.
    let tf = ENVIRONMENTS_TF.replace(
        "  wait_timer          = 30\n",
        "  wait_timer          = 30\n  reviewers {\n    teams = [1]\n  }\n",
    );
    let repo = Repo::with(&[
        (
            "tollgate.yml",
            b"environments:\n  production: {}\n".as_slice(),
        ),
        ("infra/github.tf", tf.as_bytes()),
        (".github/workflows/deploy.yml", DEPLOY.as_bytes()),
    ]);
    let (_, report) = drift_json(&repo, &github);
    let reviewers = control(&report, "environment-reviewers", PRODUCTION);
    assert_eq!(reviewers["status"], "drifted", "{reviewers:#}");
    assert!(
        reviewers["diff"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d.as_str().unwrap().contains("reviewer `1`")),
        "{reviewers:#}"
    );
}

#[test]
fn g2_tag_deployment_policies_are_not_branch_policies() {
    let mut routes = compliant_routes();
    let mut policies = payload(
        "GET_repos_OWNER_REPO_environments_ENVIRONMENT_NAME_deployment-branch-policies.json",
    );
    for policy in policies["branch_policies"].as_array_mut().unwrap() {
        policy["type"] = json!("tag");
    }
    routes.insert(
        "/repos/acme/app/environments/production/deployment-branch-policies".into(),
        Answer::json(&policies),
    );
    let github = GitHub::start(routes);
    let (_, report) = drift_json(&declared_repo(), &github);
    let branches = control(&report, "environment-branch-policy", PRODUCTION);
    assert_eq!(branches["status"], "drifted", "{branches:#}");
    assert!(
        branches["live"].as_str().unwrap().contains("tag:main"),
        "{branches:#}"
    );
}

#[test]
fn g4_a_list_still_going_at_the_page_cap_is_unknown_not_cut() {
    let mut routes = compliant_routes();
    // Every page is full and GitHub counts 5,050: the 50th page is not the end.
    let secrets: Vec<Value> = (0..100)
        .map(|i| json!({ "name": format!("S{i}"), "created_at": "2026-01-10T10:59:22Z", "updated_at": "2026-01-10T10:59:22Z" }))
        .collect();
    routes.insert(
        "/repos/acme/app/actions/secrets".into(),
        Answer::json(&json!({ "total_count": 5050, "secrets": secrets })),
    );
    let github = GitHub::start(routes);
    let (_, report) = drift_json(&declared_repo(), &github);
    let control = control(&report, "actions-secrets", "repository secrets");
    assert_eq!(control["status"], "unknown", "{control:#}");
    assert!(
        control["reason"]
            .as_str()
            .unwrap()
            .contains("truncated after 50 pages"),
        "{control:#}"
    );
}

#[test]
fn a_secrets_answer_that_is_not_a_list_is_unknown() {
    for body in [json!({}), json!("aaaa"), json!({ "secrets": "aaaa" })] {
        let mut routes = compliant_routes();
        routes.insert(
            "/repos/acme/app/actions/secrets".into(),
            Answer::json(&body),
        );
        let github = GitHub::start(routes);
        let (_, report) = drift_json(&declared_repo(), &github);
        let control = control(&report, "actions-secrets", "repository secrets");
        assert_eq!(control["status"], "unknown", "{body}: {control:#}");
    }
}

#[test]
fn g3_every_branch_rule_is_read() {
    // No classic protection; the ruleset's pull_request rule is the 33rd of 35.
    let mut routes = compliant_routes();
    routes.insert(
        "/repos/acme/app/branches/main/protection".into(),
        Answer::status(404, "Branch not protected"),
    );
    let example = payload("GET_repos_OWNER_REPO_rules_branches_BRANCH.json");
    let mut rules: Vec<Value> = (0..35).map(|i| example[i % 2].clone()).collect();
    rules[32] = json!({ "type": "pull_request", "ruleset_source_type": "Repository", "ruleset_source": "acme/app", "ruleset_id": 42,
        "parameters": { "required_approving_review_count": 1, "dismiss_stale_reviews_on_push": true, "require_code_owner_review": false, "require_last_push_approval": false, "required_review_thread_resolution": false } });
    rules[34] = json!({ "type": "non_fast_forward", "ruleset_source_type": "Repository", "ruleset_source": "acme/app", "ruleset_id": 42 });
    // GitHub's default page is 30 rules; only a request for 100 gets them all.
    routes.insert(
        "/repos/acme/app/rules/branches/main".into(),
        Answer::json(&json!(rules[..30])),
    );
    routes.insert(
        "/repos/acme/app/rules/branches/main?per_page=100&page=1".into(),
        Answer::json(&json!(rules)),
    );
    routes.insert(
        "/repos/acme/app/rulesets/42".into(),
        Answer::json(
            &json!({ "id": 42, "name": "main", "enforcement": "active", "bypass_actors": [] }),
        ),
    );
    let github = GitHub::start(routes.clone());
    let (_, report) = drift_json(&declared_repo(), &github);
    let branch = control(&report, "default-branch-protection", "default branch");
    assert_eq!(branch["status"], "compliant", "{branch:#}");

    // The same ruleset with a bypass actor is not review-only.
    routes.insert(
        "/repos/acme/app/rulesets/42".into(),
        Answer::json(&json!({ "id": 42, "bypass_actors": [{ "actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always" }] })),
    );
    let github = GitHub::start(routes.clone());
    let (_, report) = drift_json(&declared_repo(), &github);
    let branch = control(&report, "default-branch-protection", "default branch");
    assert_eq!(branch["status"], "drifted", "{branch:#}");

    // Without the bypass actors (a token that may not read them) it is unknown.
    routes.insert(
        "/repos/acme/app/rulesets/42".into(),
        Answer::json(&json!({ "id": 42 })),
    );
    let github = GitHub::start(routes);
    let (_, report) = drift_json(&declared_repo(), &github);
    let branch = control(&report, "default-branch-protection", "default branch");
    assert_eq!(branch["status"], "unknown", "{branch:#}");
}

fn with_protection(routes: &mut HashMap<String, Answer>, change: impl Fn(&mut Value)) {
    let mut protection = payload("GET_repos_OWNER_REPO_branches_BRANCH_protection.json");
    protection["allow_force_pushes"]["enabled"] = json!(false);
    change(&mut protection);
    routes.insert(
        "/repos/acme/app/branches/main/protection".into(),
        Answer::json(&protection),
    );
}

#[test]
fn g7_g9_admins_bypass_lists_force_push_and_a_missing_count() {
    type Change = fn(&mut Value);
    let cases: [(&str, Change); 4] = [
        ("drifted", |p| p["enforce_admins"]["enabled"] = json!(false)),
        ("drifted", |p| {
            p["required_pull_request_reviews"]["bypass_pull_request_allowances"] = json!({ "users": [{ "login": "octocat", "id": 1, "type": "User" }], "teams": [], "apps": [] });
        }),
        ("drifted", |p| {
            p["allow_force_pushes"]["enabled"] = json!(true)
        }),
        ("unknown", |p| {
            p["required_pull_request_reviews"]
                .as_object_mut()
                .unwrap()
                .remove("required_approving_review_count");
        }),
    ];
    for (want, change) in cases {
        let mut routes = compliant_routes();
        with_protection(&mut routes, change);
        let github = GitHub::start(routes);
        let (_, report) = drift_json(&declared_repo(), &github);
        let branch = control(&report, "default-branch-protection", "default branch");
        assert_eq!(branch["status"], want, "{branch:#}");
        assert!(
            !branch["live"].as_str().unwrap().contains("requiring 0"),
            "{branch:#}"
        );
    }
}

#[test]
fn g6_a_repository_template_deferring_to_an_unread_organisation_template_is_unknown() {
    let mut routes = compliant_routes();
    routes.insert(
        "/repos/acme/app/actions/oidc/customization/sub".into(),
        Answer::json(&json!({ "use_default": false })),
    );
    let github = GitHub::start(routes);
    let (_, report) = drift_json(&declared_repo(), &github);
    let oidc = control(
        &report,
        "oidc-subject-template",
        "repository OIDC sub template",
    );
    assert_eq!(oidc["status"], "unknown", "{oidc:#}");
}

#[test]
fn g5_an_unreadable_environments_list_makes_environment_controls_unknown() {
    let mut routes = compliant_routes();
    routes.insert(
        "/repos/acme/app/environments".into(),
        Answer::status(403, "Resource not accessible by integration"),
    );
    let github = GitHub::start(routes);
    let (_, report) = drift_json(&declared_repo(), &github);
    for name in ENV_CONTROLS {
        assert_eq!(status(&report, name, PRODUCTION), "unknown", "{name}");
    }
    assert_eq!(
        status(&report, "environment-exists", "environments"),
        "unknown"
    );
    assert_eq!(
        status(&report, "actions-secrets", "environment secrets"),
        "unknown"
    );
}

#[test]
fn g8_declared_admin_bypass_allowed_is_judged() {
    let mut routes = compliant_routes();
    let mut env = compliant_production();
    env.as_object_mut().unwrap().remove("can_admins_bypass");
    with_environments(&mut routes, vec![env]);
    let github = GitHub::start(routes);
    let policy = POLICY.replace("admins_can_bypass: false", "admins_can_bypass: true");
    let tf = ENVIRONMENTS_TF.replace("can_admins_bypass   = false", "can_admins_bypass   = true");
    let repo = Repo::with(&[
        ("tollgate.yml", policy.as_bytes()),
        ("infra/github.tf", tf.as_bytes()),
        (".github/workflows/deploy.yml", DEPLOY.as_bytes()),
    ]);
    let (_, report) = drift_json(&repo, &github);
    assert_eq!(
        status(&report, "environment-admin-bypass", PRODUCTION),
        "compliant"
    );
}

#[test]
fn g10_a_secondary_rate_limit_without_retry_after_is_a_rate_limit() {
    let mut routes = compliant_routes();
    routes.insert(
        "/repos/acme/app/actions/permissions/workflow".into(),
        Answer::status(
            403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        ),
    );
    let github = GitHub::start(routes);
    let output = drift(
        &declared_repo(),
        &github,
        &["--format", "json", "--max-wait", "1"],
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let workflow = control(
        &report,
        "workflow-token-permissions",
        "repository default GITHUB_TOKEN",
    );
    assert_eq!(workflow["status"], "unknown");
    let reason = workflow["reason"].as_str().unwrap();
    assert!(reason.contains("rate limited"), "{reason}");
    assert!(!reason.contains("may not read"), "{reason}");
}

#[test]
fn a_huge_answer_is_refused_and_reasons_stay_short() {
    let mut routes = compliant_routes();
    let big = "a".repeat(9 * 1024 * 1024);
    routes.insert(
        "/repos/acme/app/actions/secrets".into(),
        Answer::json(&json!(big)),
    );
    // 5 MB: under the cap, not JSON of the right shape; its reason must not carry it.
    routes.insert(
        "/repos/acme/app/actions/permissions".into(),
        Answer::json(&json!("b".repeat(5 * 1024 * 1024))),
    );
    let github = GitHub::start(routes);
    let output = drift(&declared_repo(), &github, &["--format", "json"]);
    assert!(
        output.stdout.len() < 200_000,
        "{} bytes",
        output.stdout.len()
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let secrets = control(&report, "actions-secrets", "repository secrets");
    assert_eq!(secrets["status"], "unknown");
    assert!(
        secrets["reason"].as_str().unwrap().contains("larger than"),
        "{secrets:#}"
    );
    assert_eq!(
        status(&report, "allowed-actions", "repository allowed actions"),
        "unknown"
    );
}

/// A server that accepts, answers headers for a 100-byte body, then sends a byte every
/// `every`, for as long as the client stays.
fn drip_server(every: std::time::Duration) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[",
                );
                for _ in 0..100 {
                    std::thread::sleep(every);
                    if stream.write_all(b" ").is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[test]
fn a_slow_drip_ends_within_the_request_timeout_and_all_unknown_exits_2() {
    let url = drip_server(std::time::Duration::from_millis(500));
    let started = std::time::Instant::now();
    let repo = declared_repo();
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .env("GITHUB_TOKEN", "test-token")
        .args([
            "drift",
            "--github",
            "acme/app",
            "--github-api-url",
            &url,
            "--request-timeout",
            "2",
            "--concurrency",
            "16",
            "--format",
            "json",
        ]);
    let output = run(&mut cmd);
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let controls = report["controls"].as_array().unwrap();
    assert!(!controls.is_empty());
    assert!(
        controls.iter().all(|c| c["status"] == "unknown"),
        "{report:#}"
    );
    assert!(
        controls.iter().any(|c| c["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("did not finish within 2s")),
        "{report:#}"
    );
    assert_eq!(
        code(&output),
        2,
        "every control unknown: {}",
        stderr(&output)
    );
}

#[test]
fn the_api_down_exits_2() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let repo = declared_repo();
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .env("GITHUB_TOKEN", "test-token")
        .args([
            "drift",
            "--github",
            "acme/app",
            "--github-api-url",
            &format!("http://127.0.0.1:{port}"),
            "--format",
            "json",
        ]);
    let output = run(&mut cmd);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
}
