//! The drift job summary fits GitHub's 1 MiB step-summary limit whatever the organisation's
//! size (issue 18, "Reports that fit"): an organisation report of 5,000 repositories of
//! controls, merged and rendered by the real binary.

#![cfg(all(test, feature = "drift"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fixtures/e2e/support.rs"]
mod support;

use serde_json::{Value, json};
use support::{Repo, code, run, stderr, stdout, tollgate};

const LIMIT: usize = 1024 * 1024;

const REPO_CONTROLS: [(&str, &str); 11] = [
    ("environment-exists", "environment `production`"),
    ("environment-reviewers", "environment `production`"),
    (
        "environment-prevent-self-review",
        "environment `production`",
    ),
    ("environment-admin-bypass", "environment `production`"),
    ("environment-branch-policy", "environment `production`"),
    ("environment-wait-timer", "environment `production`"),
    ("actions-secrets", "repository secrets"),
    ("workflow-token-permissions", "default GITHUB_TOKEN"),
    ("allowed-actions", "allowed actions"),
    ("oidc-subject-template", "OIDC subject template"),
    ("default-branch-protection", "default branch `main`"),
];

/// A report as `tollgate drift --github-org` writes it, for `repos` repositories: every 10th
/// repository has drifted reviewers, every 7th an unknown branch protection.
fn org_report(repos: usize) -> Value {
    let mut controls = Vec::new();
    for r in 0..repos {
        let target = format!("github:acme/service-{r:05}");
        for (i, (control, subject)) in REPO_CONTROLS.iter().enumerate() {
            let drifted = *control == "environment-reviewers" && r % 10 == 0;
            let unknown = *control == "default-branch-protection" && r % 7 == 0;
            let mut c = json!({
                "control": control,
                "target": target,
                "subject": subject,
                "status": if drifted { "drifted" } else if unknown { "unknown" } else { "compliant" },
                "declared": "at least 1 reviewer (tollgate.yml `production`); reviewers including `platform` (tollgate.yml `production`)",
                "live": if drifted { "no required reviewers" } else { "required reviewers `platform` (Team)" },
                "declared_at": { "path": "tollgate.yml", "line": 3, "column": 3, "end_line": 3, "end_column": 13 },
                "fingerprint": format!("{r:08x}{i:08x}"),
            });
            if drifted {
                c["diff"] = json!([
                    "production environment `production` has no required reviewers, so deployments to it need no approval",
                    "environment `production` does not include the required reviewer `platform`"
                ]);
            }
            if unknown {
                c["reason"] = json!(
                    "GET /repos/acme/service/branches/main/protection answered 403: Resource not accessible by integration"
                );
            }
            controls.push(c);
        }
    }
    json!({ "version": 1, "controls": controls, "skipped": [], "errors": [] })
}

fn summary_of(repos: usize, github_env: bool) -> (String, Value) {
    let repo = Repo::new();
    let report = org_report(repos);
    repo.write("org.json", serde_json::to_vec(&report).unwrap());
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .args(["drift", "--format", "markdown", "--merge", "org.json"]);
    if github_env {
        cmd.env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_REPOSITORY", "acme/audit")
            .env("GITHUB_RUN_ID", "42");
    }
    let output = run(&mut cmd);
    // Drifted controls fail the run (exit 1); the summary is written all the same.
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    (stdout(&output), report)
}

#[test]
fn an_organisation_of_5000_repositories_fits_the_step_summary_drifted_first() {
    let (markdown, _) = summary_of(5_000, true);
    assert!(
        markdown.len() < LIMIT,
        "the summary is {} bytes, over GitHub's 1 MiB",
        markdown.len()
    );
    // The summary counts every control, shown or not.
    let drifted = 5_000 / 10;
    let unknown = (0..5_000).filter(|r| r % 7 == 0).count();
    let compliant = 5_000 * 11 - drifted - unknown;
    assert!(
        markdown.contains(&format!(
            "| **all controls** | {compliant} | {drifted} | {unknown} |"
        )),
        "{}",
        &markdown[..2000]
    );
    // Drifted controls come first, and every one of them is shown.
    let at = |heading: &str| markdown.find(heading).unwrap_or(usize::MAX);
    assert!(at("## Drifted controls") < at("## Unknown controls"));
    assert!(at("## Unknown controls") < at("## Not shown"));
    for r in (0..5_000).step_by(10) {
        assert!(
            markdown.contains(&format!("### `github:acme/service-{r:05}`")),
            "drifted repository {r} is missing"
        );
    }
    assert!(
        markdown.contains("Left out: 0 drifted,"),
        "{}",
        &markdown[markdown.len() - 2000..]
    );
    // What is left out is counted, and the full report is pointed at.
    assert!(
        markdown.contains("The full report, every control: [the artifacts of this run](https://github.com/acme/audit/actions/runs/42)."),
        "{}",
        &markdown[markdown.len() - 2000..]
    );
}

#[test]
fn a_small_report_is_whole_and_has_no_pointer() {
    let (markdown, report) = summary_of(20, false);
    assert!(!markdown.contains("## Not shown"), "{markdown}");
    for control in report["controls"].as_array().unwrap() {
        assert!(
            markdown.contains(&format!("### `{}`", control["target"].as_str().unwrap())),
            "{control}"
        );
    }
    assert!(at_most_once(&markdown, "## Drifted controls"));
}

fn at_most_once(text: &str, needle: &str) -> bool {
    text.matches(needle).count() <= 1
}

#[test]
fn without_github_actions_the_pointer_names_the_json_report() {
    let (markdown, _) = summary_of(5_000, false);
    assert!(markdown.len() < LIMIT);
    assert!(
        markdown.contains("run `tollgate drift --format json` (or `html`) and keep its output as the run's artifact"),
        "{}",
        &markdown[markdown.len() - 2000..]
    );
}
