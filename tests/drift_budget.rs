//! Issue 18, rate budget: GraphQL in place of REST where one query answers many requests,
//! conditional requests with `--cache`, and organisation settings repositories cannot loosen.
//! Each through the binary, against the GitHub stand-in serving GitHub's example payloads;
//! each GraphQL answer is built from the same example payload the REST route serves, in the
//! field names of GitHub's public GraphQL schema, so both paths must give one verdict.

#![cfg(all(test, feature = "drift"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fixtures/drift/github_server.rs"]
mod github_server;
#[path = "fixtures/e2e/support.rs"]
mod support;

use std::collections::HashMap;

use github_server::{Answer, GitHub, corpus_routes, payload};
use serde_json::{Value, json};
use support::{Repo, code, run, stderr, stdout, tollgate};

const POLICY: &str = r#"environments:
  production:
    required_reviewers: [justice-league]
    prevent_self_review: true
allowed_unpinned_actions:
  - docker/*
  - monalisa/octocat
"#;

const DEPLOY: &str = r#"name: deploy
on: { push: { branches: [main] } }
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo deploy
"#;

fn declared() -> Repo {
    Repo::with(&[
        ("tollgate.yml", POLICY.as_bytes()),
        (".github/workflows/deploy.yml", DEPLOY.as_bytes()),
    ])
}

/// GitHub's example branch protection, force pushes blocked.
fn protection() -> Value {
    let mut protection = payload("GET_repos_OWNER_REPO_branches_BRANCH_protection.json");
    protection["allow_force_pushes"]["enabled"] = json!(false);
    protection
}

fn routes() -> HashMap<String, Answer> {
    let mut routes = corpus_routes();
    routes.insert(
        "/repos/acme/app/branches/main/protection".into(),
        Answer::json(&protection()),
    );
    routes
}

/// The GraphQL answer for `acme/app` (alias `r0`) that says what the REST payloads say: the
/// classic protection `protection` (or none), the ruleset rules of the example, `environments`
/// environments.
fn graphql_of(protection: Option<&Value>, environments: u64, admin: bool) -> Value {
    let rule = protection.map(|p| {
        let reviews = &p["required_pull_request_reviews"];
        let allowances = &reviews["bypass_pull_request_allowances"];
        let mut nodes = Vec::new();
        for user in allowances["users"].as_array().into_iter().flatten() {
            nodes.push(json!({ "actor": { "__typename": "User", "login": user["login"] } }));
        }
        for team in allowances["teams"].as_array().into_iter().flatten() {
            nodes.push(json!({ "actor": { "__typename": "Team", "slug": team["slug"] } }));
        }
        for app in allowances["apps"].as_array().into_iter().flatten() {
            nodes.push(json!({ "actor": { "__typename": "App", "slug": app["slug"], "name": app["name"] } }));
        }
        json!({
            "requiresApprovingReviews": reviews.is_object(),
            "requiredApprovingReviewCount": reviews["required_approving_review_count"],
            "isAdminEnforced": p["enforce_admins"]["enabled"],
            "allowsForcePushes": p["allow_force_pushes"]["enabled"],
            "bypassPullRequestAllowances": { "totalCount": nodes.len(), "nodes": nodes },
        })
    });
    let rules: Vec<Value> = payload("GET_repos_OWNER_REPO_rules_branches_BRANCH.json")
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!({
                "type": r["type"].as_str().unwrap().to_ascii_uppercase(),
                "parameters": { "__typename": "CommitMessagePatternParameters" },
                "repositoryRuleset": { "databaseId": r["ruleset_id"], "enforcement": "ACTIVE",
                    "bypassActors": { "totalCount": 0, "nodes": [] } },
            })
        })
        .collect();
    json!({ "data": {
        "rateLimit": { "cost": 1, "remaining": 4999 },
        "r0": {
            "nameWithOwner": "acme/app",
            "viewerCanAdminister": admin,
            "environments": { "totalCount": environments },
            "defaultBranchRef": {
                "name": "main",
                "branchProtectionRule": rule,
                "rules": { "totalCount": rules.len(), "nodes": rules },
            },
        },
    } })
}

fn drift(repo: &Repo, github: &GitHub, args: &[&str]) -> (i32, Value, String) {
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .env("GITHUB_TOKEN", "test-token")
        .args(["drift", "--github-api-url", &github.url, "--format", "json"])
        .args(args);
    let output = run(&mut cmd);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(&output), stderr(&output)));
    (code(&output), report, stderr(&output))
}

fn repo_drift(repo: &Repo, github: &GitHub, args: &[&str]) -> Value {
    let mut all = vec!["--github", "acme/app"];
    all.extend_from_slice(args);
    drift(repo, github, &all).1
}

fn control<'a>(report: &'a Value, control: &str, target: &str, subject: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == control && c["target"] == target && c["subject"] == subject)
        .unwrap_or_else(|| panic!("no {control} of {target} for {subject} in {report:#}"))
}

fn verdicts(report: &Value) -> Vec<(String, String, String, String, String)> {
    let mut out: Vec<_> = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (
                text("control"),
                text("target"),
                text("subject"),
                text("status"),
                c["diff"].to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

const APP: &str = "github:acme/app";
const BRANCH_ROUTES: [&str; 3] = [
    "/repos/acme/app",
    "/repos/acme/app/branches/main/protection",
    "/repos/acme/app/rules/branches/main",
];

#[test]
fn one_graphql_query_replaces_the_branch_requests_with_the_same_verdicts() {
    // Over REST alone (the stand-in has no GraphQL: 404), then with GraphQL.
    let rest = GitHub::start(routes());
    let over_rest = repo_drift(&declared(), &rest, &[]);
    for route in BRANCH_ROUTES {
        assert_eq!(rest.requests_to(route), 1, "{route}");
    }
    assert_eq!(
        control(
            &over_rest,
            "default-branch-protection",
            APP,
            "default branch"
        )["status"],
        "compliant",
        "the example protection requires 2 approvals, enforced for administrators"
    );

    let mut with_graphql = routes();
    with_graphql.insert(
        "/graphql".into(),
        Answer::json(&graphql_of(Some(&protection()), 2, true)),
    );
    let github = GitHub::start(with_graphql);
    let over_graphql = repo_drift(&declared(), &github, &[]);
    assert_eq!(verdicts(&over_graphql), verdicts(&over_rest));
    assert_eq!(github.requests_to("/graphql"), 1);
    for route in BRANCH_ROUTES {
        assert_eq!(
            github.requests_to(route),
            0,
            "{route} was read although GraphQL answered it"
        );
    }
    assert_eq!(over_graphql["github_graphql_requests"], 1);
    assert_eq!(
        over_graphql["github_requests"].as_u64().unwrap() + 3,
        over_rest["github_requests"].as_u64().unwrap(),
        "three REST requests fewer; the query is counted in both runs (a 404 without GraphQL)"
    );

    // No classic protection either way: the same drift.
    let mut unprotected = routes();
    unprotected.insert(
        "/repos/acme/app/branches/main/protection".into(),
        Answer::status(404, "Branch not protected"),
    );
    let rest = GitHub::start(unprotected.clone());
    let over_rest = repo_drift(&declared(), &rest, &[]);
    unprotected.insert("/graphql".into(), Answer::json(&graphql_of(None, 2, true)));
    let github = GitHub::start(unprotected);
    let over_graphql = repo_drift(&declared(), &github, &[]);
    assert_eq!(verdicts(&over_graphql), verdicts(&over_rest));
}

#[test]
fn graphql_saying_there_is_no_environment_spares_the_listing_and_keeps_the_verdict() {
    let mut empty = routes();
    empty.insert(
        "/repos/acme/app/environments".into(),
        Answer::json(&json!({ "total_count": 0, "environments": [] })),
    );
    let rest = GitHub::start(empty.clone());
    let over_rest = repo_drift(&declared(), &rest, &[]);
    empty.insert(
        "/graphql".into(),
        Answer::json(&graphql_of(Some(&protection()), 0, true)),
    );
    let github = GitHub::start(empty);
    let over_graphql = repo_drift(&declared(), &github, &[]);
    assert_eq!(github.requests_to("/repos/acme/app/environments"), 0);
    assert_eq!(verdicts(&over_graphql), verdicts(&over_rest));
    assert_eq!(
        control(
            &over_graphql,
            "environment-exists",
            APP,
            "environment `production`"
        )["status"],
        "drifted"
    );
}

#[test]
fn a_graphql_error_or_hidden_field_is_never_taken_as_an_answer() {
    // An error for the repository: it is read over REST, with REST's verdict.
    let rest = GitHub::start(routes());
    let over_rest = repo_drift(&declared(), &rest, &[]);
    let mut failing = routes();
    failing.insert(
        "/graphql".into(),
        Answer::json(&json!({ "data": { "r0": null }, "errors": [
            { "type": "FORBIDDEN", "path": ["r0"], "message": "Resource not accessible by integration" } ] })),
    );
    let github = GitHub::start(failing);
    let report = repo_drift(&declared(), &github, &[]);
    assert_eq!(verdicts(&report), verdicts(&over_rest));
    assert_eq!(
        github.requests_to("/repos/acme/app/branches/main/protection"),
        1
    );

    // A token that cannot administer the repository sees no protection rule and no bypass
    // actors: unknown, not "unprotected" and never compliant.
    let mut hidden = routes();
    hidden.insert("/graphql".into(), Answer::json(&graphql_of(None, 2, false)));
    let github = GitHub::start(hidden);
    let report = repo_drift(&declared(), &github, &[]);
    let branch = control(&report, "default-branch-protection", APP, "default branch");
    assert_eq!(branch["status"], "unknown", "{branch:#}");
    assert!(
        branch["reason"]
            .as_str()
            .unwrap()
            .contains("cannot administer"),
        "{branch:#}"
    );
}

/// Every answer with an ETag (a hash of its body), as GitHub sends.
fn with_etags(routes: &mut HashMap<String, Answer>) {
    for answer in routes.values_mut() {
        let digest: u64 = answer.body.bytes().fold(1469598103934665603u64, |h, b| {
            (h ^ b as u64).wrapping_mul(1099511628211)
        });
        answer
            .headers
            .push(("ETag".into(), format!("\"{digest:016x}\"")));
    }
}

#[test]
fn a_cached_run_asks_if_changed_and_304s_do_not_count() {
    let cache = tempfile_dir();
    let mut unchanged = routes();
    with_etags(&mut unchanged);
    let github = GitHub::start(unchanged.clone());
    let first = repo_drift(&declared(), &github, &["--cache", cache.to_str().unwrap()]);
    assert_eq!(first["github_not_modified"], 0);
    let second = repo_drift(&declared(), &github, &["--cache", cache.to_str().unwrap()]);
    let free = second["github_not_modified"].as_u64().unwrap();
    let counted = second["github_requests"].as_u64().unwrap();
    assert!(free >= 8, "{second:#}");
    assert_eq!(
        counted + free,
        first["github_requests"].as_u64().unwrap(),
        "every request of the first run was asked again; the 304s are not counted"
    );
    assert_eq!(verdicts(&second), verdicts(&first));
    let log = github.log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("304 /repos/acme/app/actions/secrets"))
    );

    // A changed resource gets a new ETag and is judged anew.
    let mut changed = unchanged;
    let mut secrets = payload("GET_repos_OWNER_REPO_actions_secrets.json");
    secrets["secrets"].as_array_mut().unwrap().push(json!({
        "name": "AWS_SECRET_ACCESS_KEY", "created_at": "2026-01-10T10:59:22Z", "updated_at": "2026-01-10T10:59:22Z" }));
    secrets["total_count"] = json!(3);
    changed.insert(
        "/repos/acme/app/actions/secrets".into(),
        Answer::json(&secrets).header("ETag", "\"changed\""),
    );
    let github = GitHub::start(changed);
    let third = repo_drift(&declared(), &github, &["--cache", cache.to_str().unwrap()]);
    assert_eq!(
        control(&third, "actions-secrets", APP, "repository secrets")["status"],
        "drifted",
        "{third:#}"
    );

    // A damaged cache file is a miss, not an answer.
    for entry in std::fs::read_dir(&cache).unwrap() {
        std::fs::write(entry.unwrap().path(), "{ not json").unwrap();
    }
    let fourth = repo_drift(&declared(), &github, &["--cache", cache.to_str().unwrap()]);
    assert_eq!(fourth["github_not_modified"], 0);
    assert_eq!(verdicts(&fourth), verdicts(&third));
    let _ = std::fs::remove_dir_all(&cache);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tollgate-cache-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn org_routes(can_approve: bool) -> HashMap<String, Answer> {
    let mut routes = routes();
    routes.insert(
        "/orgs/acme/repos".into(),
        Answer::json(&json!([{ "id": 1, "name": "app", "full_name": "acme/app", "default_branch": "main", "archived": false, "disabled": false }])),
    );
    let mut workflow = payload("GET_orgs_ORG_actions_permissions_workflow.json");
    workflow["can_approve_pull_request_reviews"] = json!(can_approve);
    routes.insert(
        "/orgs/acme/actions/permissions/workflow".into(),
        Answer::json(&workflow),
    );
    routes
}

#[test]
fn settings_the_organisation_fixes_are_not_read_per_repository() {
    // The organisation restricts the token to read and forbids approving pull requests, and
    // sets selected actions (GitHub's example): no repository can loosen either.
    let github = GitHub::start(org_routes(false));
    let (_, report, err) = drift(&declared(), &github, &["--github-org", "acme"]);
    for route in [
        "/repos/acme/app/actions/permissions/workflow",
        "/repos/acme/app/actions/permissions",
        "/repos/acme/app/actions/permissions/selected-actions",
    ] {
        assert_eq!(github.requests_to(route), 0, "{route}: {err}");
    }
    let token = control(
        &report,
        "workflow-token-permissions",
        APP,
        "repository default GITHUB_TOKEN",
    );
    assert_eq!(token["status"], "compliant", "{token:#}");
    assert!(
        token["reason"]
            .as_str()
            .unwrap()
            .contains("set by the organisation")
    );
    let actions = control(
        &report,
        "allowed-actions",
        APP,
        "repository allowed actions",
    );
    assert_eq!(
        actions["status"],
        control(
            &report,
            "allowed-actions",
            "github-org:acme",
            "organisation allowed actions"
        )["status"],
        "{actions:#}"
    );
    assert!(
        actions["reason"]
            .as_str()
            .unwrap()
            .contains("set by the organisation")
    );

    // GitHub's example organisation lets workflows approve pull requests, which a repository
    // may then allow or not: its own setting is read.
    let github = GitHub::start(org_routes(true));
    let (_, report, _) = drift(&declared(), &github, &["--github-org", "acme"]);
    assert_eq!(
        github.requests_to("/repos/acme/app/actions/permissions/workflow"),
        1
    );
    let token = control(
        &report,
        "workflow-token-permissions",
        APP,
        "repository default GITHUB_TOKEN",
    );
    assert_eq!(
        token["status"], "drifted",
        "the example repository allows approvals: {token:#}"
    );

    // An organisation setting that cannot be read fixes nothing.
    let mut unreadable = org_routes(false);
    unreadable.insert(
        "/orgs/acme/actions/permissions/workflow".into(),
        Answer::status(403, "Resource not accessible by integration"),
    );
    let github = GitHub::start(unreadable);
    let (_, report, _) = drift(&declared(), &github, &["--github-org", "acme"]);
    assert_eq!(
        github.requests_to("/repos/acme/app/actions/permissions/workflow"),
        1
    );
    assert_eq!(
        control(
            &report,
            "workflow-token-permissions",
            APP,
            "repository default GITHUB_TOKEN"
        )["status"],
        "drifted"
    );
}
