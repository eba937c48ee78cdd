//! `check` and `drift` give the same verdict on the same environment state (issue 18,
//! acceptance 3): each case declares an environment in Terraform and serves the same state
//! live, built from GitHub's own example environment payload; both go through the real
//! binary, and the verdict of each requirement (reviewers, self-review, admin bypass,
//! deployment branches, wait timer) must agree, and be the one expected.

#![cfg(all(test, feature = "drift"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fixtures/drift/github_server.rs"]
mod github_server;
#[path = "fixtures/e2e/support.rs"]
mod support;

use std::collections::BTreeSet;

use github_server::{Answer, GitHub, corpus_routes, payload};
use serde_json::{Value, json};
use support::{Repo, run, stderr, stdout, tollgate};

const POLICY: &str = r#"environments:
  production:
    required_reviewers: [octocat]
    min_reviewers: 1
    prevent_self_review: true
    admins_can_bypass: false
    deployment_branches: [main, "release/*"]
    min_wait_timer: 10
"#;

const DEPLOY: &str = "name: deploy\non:\n  push:\n    branches: [main]\npermissions: {}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: echo deploy\n";

#[derive(Clone, Debug)]
enum Branches {
    Any,
    Protected,
    /// (pattern, is a tag)
    Custom(Vec<(&'static str, bool)>),
}

/// One environment state, declared and live alike.
#[derive(Clone, Debug)]
struct State {
    /// User logins of the required reviewers.
    reviewers: Vec<&'static str>,
    prevent_self_review: bool,
    admins_can_bypass: bool,
    branches: Branches,
    wait_timer: u64,
}

const ASPECTS: [&str; 5] = [
    "reviewers",
    "self-review",
    "admin-bypass",
    "branches",
    "wait-timer",
];

fn protected() -> State {
    State {
        reviewers: vec!["octocat"],
        prevent_self_review: true,
        admins_can_bypass: false,
        branches: Branches::Custom(vec![("main", false)]),
        wait_timer: 30,
    }
}

fn terraform(state: &State) -> String {
    let mut tf = format!(
        "resource \"github_repository_environment\" \"production\" {{\n  repository          = \"app\"\n  environment         = \"production\"\n  prevent_self_review = {}\n  can_admins_bypass   = {}\n  wait_timer          = {}\n",
        state.prevent_self_review, state.admins_can_bypass, state.wait_timer
    );
    if !state.reviewers.is_empty() {
        let users: Vec<String> = state.reviewers.iter().map(|u| format!("\"{u}\"")).collect();
        tf.push_str(&format!(
            "  reviewers {{\n    users = [{}]\n  }}\n",
            users.join(", ")
        ));
    }
    match &state.branches {
        Branches::Any => {}
        Branches::Protected => tf.push_str("  deployment_branch_policy {\n    protected_branches     = true\n    custom_branch_policies = false\n  }\n"),
        Branches::Custom(_) => tf.push_str("  deployment_branch_policy {\n    protected_branches     = false\n    custom_branch_policies = true\n  }\n"),
    }
    tf.push_str("}\n");
    if let Branches::Custom(patterns) = &state.branches {
        for (i, (pattern, tag)) in patterns.iter().enumerate() {
            let key = if *tag {
                "tag_pattern"
            } else {
                "branch_pattern"
            };
            tf.push_str(&format!(
                "\nresource \"github_repository_environment_deployment_policy\" \"p{i}\" {{\n  repository  = \"app\"\n  environment = github_repository_environment.production.environment\n  {key} = \"{pattern}\"\n}}\n"
            ));
        }
    }
    tf
}

/// The same state as GitHub's REST API would answer it, from its example environment.
fn live_routes(state: &State) -> std::collections::HashMap<String, Answer> {
    let example = payload("GET_repos_OWNER_REPO_environments.json")["environments"][0].clone();
    let rules = example["protection_rules"].as_array().unwrap();
    let user = rules[1]["reviewers"][0].clone();
    assert_eq!(user["type"], "User");
    let mut protection_rules = Vec::new();
    if state.wait_timer > 0 {
        let mut wait = rules[0].clone();
        assert_eq!(wait["type"], "wait_timer");
        wait["wait_timer"] = json!(state.wait_timer);
        protection_rules.push(wait);
    }
    if !state.reviewers.is_empty() {
        let mut reviewers = rules[1].clone();
        reviewers["prevent_self_review"] = json!(state.prevent_self_review);
        reviewers["reviewers"] = Value::Array(
            state
                .reviewers
                .iter()
                .map(|login| {
                    let mut entry = user.clone();
                    entry["reviewer"]["login"] = json!(login);
                    entry
                })
                .collect(),
        );
        protection_rules.push(reviewers);
    }
    let mut env = example.clone();
    env["name"] = json!("production");
    env["protection_rules"] = Value::Array(protection_rules);
    env["can_admins_bypass"] = json!(state.admins_can_bypass);
    env["deployment_branch_policy"] = match &state.branches {
        Branches::Any => Value::Null,
        Branches::Protected => {
            json!({ "protected_branches": true, "custom_branch_policies": false })
        }
        Branches::Custom(_) => {
            json!({ "protected_branches": false, "custom_branch_policies": true })
        }
    };
    let mut routes = corpus_routes();
    routes.insert(
        "/repos/acme/app/environments".into(),
        Answer::json(&json!({ "total_count": 1, "environments": [env] })),
    );
    if let Branches::Custom(patterns) = &state.branches {
        let example = payload(
            "GET_repos_OWNER_REPO_environments_ENVIRONMENT_NAME_deployment-branch-policies.json",
        );
        let entry = example["branch_policies"][0].clone();
        let policies: Vec<Value> = patterns
            .iter()
            .map(|(pattern, tag)| {
                let mut policy = entry.clone();
                policy["name"] = json!(pattern);
                policy["type"] = json!(if *tag { "tag" } else { "branch" });
                policy
            })
            .collect();
        routes.insert(
            "/repos/acme/app/environments/production/deployment-branch-policies".into(),
            Answer::json(&json!({ "total_count": policies.len(), "branch_policies": policies })),
        );
    }
    routes
}

fn repo(state: &State) -> Repo {
    Repo::with(&[
        ("tollgate.yml", POLICY.as_bytes()),
        ("infra/github.tf", terraform(state).as_bytes()),
        (".github/workflows/deploy.yml", DEPLOY.as_bytes()),
    ])
}

/// The requirements `check` finds unmet, by aspect.
fn check_verdict(repo: &Repo, state: &State) -> BTreeSet<&'static str> {
    let output = run(tollgate()
        .current_dir(repo.path())
        .args(["check", ".", "--format", "json"]));
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(&output), stderr(&output)));
    let mut unmet = BTreeSet::new();
    for finding in report["findings"].as_array().unwrap() {
        if finding["path"] != "infra/github.tf" {
            continue;
        }
        let message = finding["message"].as_str().unwrap();
        match finding["rule"].as_str().unwrap() {
            "environment-unprotected" if message.contains(" waits ") => {
                unmet.insert("wait-timer");
            }
            "environment-unprotected" => {
                unmet.insert("reviewers");
                // With no reviewers nothing prevents self-review; `check` reports the one fact
                // once, under environment-unprotected.
                if state.reviewers.is_empty() {
                    unmet.insert("self-review");
                }
            }
            "self-review-allowed" => {
                unmet.insert("self-review");
            }
            "environment-admin-bypass" => {
                unmet.insert("admin-bypass");
            }
            "environment-any-branch" => {
                unmet.insert("branches");
            }
            _ => {}
        }
    }
    unmet
}

/// The requirements `drift` finds unmet, by aspect; every one of them must have been read.
fn drift_verdict(repo: &Repo, state: &State) -> BTreeSet<&'static str> {
    let github = GitHub::start(live_routes(state));
    let output = run(tollgate()
        .current_dir(repo.path())
        .env("GITHUB_TOKEN", "test-token")
        .args([
            "drift",
            "--github",
            "acme/app",
            "--github-api-url",
            &github.url,
            "--format",
            "json",
        ]));
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(&output), stderr(&output)));
    let mut unmet = BTreeSet::new();
    for (aspect, control) in ASPECTS.iter().zip([
        "environment-reviewers",
        "environment-prevent-self-review",
        "environment-admin-bypass",
        "environment-branch-policy",
        "environment-wait-timer",
    ]) {
        let found = report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["control"] == control && c["subject"] == "environment `production`")
            .unwrap_or_else(|| panic!("no {control} in {report:#}"));
        match found["status"].as_str().unwrap() {
            "drifted" => {
                unmet.insert(*aspect);
            }
            "compliant" => {}
            other => panic!("{control} is {other} for {state:?}: {found:#}"),
        }
    }
    unmet
}

#[test]
fn check_and_drift_agree_on_the_same_environment_state() {
    let cases: Vec<(&str, State, &[&str])> = vec![
        ("protected as required", protected(), &[]),
        (
            "no reviewers",
            State {
                reviewers: Vec::new(),
                prevent_self_review: false,
                ..protected()
            },
            &["reviewers", "self-review"],
        ),
        (
            "self-review allowed",
            State {
                prevent_self_review: false,
                ..protected()
            },
            &["self-review"],
        ),
        (
            "the required reviewer missing",
            State {
                reviewers: vec!["hubot"],
                ..protected()
            },
            &["reviewers"],
        ),
        (
            "admins can bypass",
            State {
                admins_can_bypass: true,
                ..protected()
            },
            &["admin-bypass"],
        ),
        (
            "any branch",
            State {
                branches: Branches::Any,
                ..protected()
            },
            &["branches"],
        ),
        (
            "protected branches where patterns are required",
            State {
                branches: Branches::Protected,
                ..protected()
            },
            &["branches"],
        ),
        (
            "an empty custom list lets nothing deploy",
            State {
                branches: Branches::Custom(Vec::new()),
                ..protected()
            },
            &[],
        ),
        (
            "a tag policy named like an allowed branch",
            State {
                branches: Branches::Custom(vec![("main", true)]),
                ..protected()
            },
            &["branches"],
        ),
        (
            "a pattern outside the allowed ones",
            State {
                branches: Branches::Custom(vec![("main", false), ("feature/*", false)]),
                ..protected()
            },
            &["branches"],
        ),
        (
            "a wait timer under the minimum",
            State {
                wait_timer: 5,
                ..protected()
            },
            &["wait-timer"],
        ),
    ];
    for (name, state, expected) in cases {
        let repo = repo(&state);
        let checked = check_verdict(&repo, &state);
        let drifted = drift_verdict(&repo, &state);
        let expected: BTreeSet<&str> = expected.iter().copied().collect();
        assert_eq!(
            checked, drifted,
            "{name}: check and drift disagree on {state:?}"
        );
        assert_eq!(checked, expected, "{name}: {state:?}");
    }
}
