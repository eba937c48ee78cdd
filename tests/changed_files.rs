//! `check --changed-only`: the files pre-commit or a pull request passes are checked in the
//! context of their repository (declared environments, roles, `tollgate.yml`), and only what
//! concerns them is reported (issue 7, changed-files mode).

#![cfg(test)]

#[path = "fixtures/e2e/support.rs"]
mod support;

use support::{CLEAN, DEPLOY, Repo, errors, finding_keys, findings};

const EXIT_CLEAN: i32 = 0;
const EXIT_FINDINGS: i32 = 1;
const EXIT_TROUBLE: i32 = 2;

const BYPASS_WORKFLOW: &str =
    include_str!("fixtures/deploy-path/bypass/.github/workflows/deploy.yml");
const BYPASS_ROLES: &str = include_str!("fixtures/deploy-path/bypass/infra/roles.tf");
const BYPASS_CONFIG: &str = include_str!("fixtures/deploy-path/bypass/tollgate.yml");

/// The `deploy-path/bypass` fixture as a repository of its own: the role's trust (in
/// `infra/roles.tf`) lets `main` assume it, bypassing the job's `production` environment
/// (declared in `tollgate.yml`).
fn bypass_repo() -> Repo {
    Repo::with(&[
        (".github/workflows/deploy.yml", BYPASS_WORKFLOW.as_bytes()),
        ("infra/roles.tf", BYPASS_ROLES.as_bytes()),
        ("tollgate.yml", BYPASS_CONFIG.as_bytes()),
    ])
}

fn key(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.into(), path.into(), line)
}

#[test]
fn cross_file_rule_fires_when_only_the_workflow_is_given() {
    let repo = bypass_repo();
    let bypass = vec![key("deploy-path-bypass", "infra/roles.tf", 13)];
    let (exit, full) = repo.check_json(&[]);
    assert_eq!(exit, EXIT_FINDINGS);
    assert_eq!(finding_keys(&full), bypass);

    let (exit, changed) = repo.check_json(&["--changed-only", ".github/workflows/deploy.yml"]);
    assert_eq!(exit, EXIT_FINDINGS, "{changed:#}");
    // The finding's primary location is the trust statement in the unchanged Terraform file;
    // it is reported because its related location is the changed job.
    assert_eq!(finding_keys(&changed), bypass);
    let related = &findings(&changed)[0]["related"][0];
    assert_eq!(related["path"], ".github/workflows/deploy.yml");
    assert_eq!(related["line"], 6);
    assert_eq!(
        findings(&changed)[0]["fingerprint"],
        findings(&full)[0]["fingerprint"],
        "the mode does not change fingerprints"
    );
    assert_eq!(changed["summary"]["files_scanned"], 1);

    // Without the mode, the workflow alone has no context: the bypass goes unseen.
    let (_, alone) = repo.check_json(&[".github/workflows/deploy.yml"]);
    assert!(
        !support::rules_of(&alone).contains(&"deploy-path-bypass"),
        "{alone:#}"
    );
}

#[test]
fn the_trust_file_alone_reports_its_finding() {
    let repo = bypass_repo();
    let (exit, report) = repo.check_json(&["--changed-only", "infra/roles.tf"]);
    assert_eq!(exit, EXIT_FINDINGS);
    assert_eq!(
        finding_keys(&report),
        vec![key("deploy-path-bypass", "infra/roles.tf", 13)]
    );
}

#[test]
fn findings_in_files_not_given_are_not_reported() {
    let repo = bypass_repo();
    repo.write(".github/workflows/unsafe.yml", DEPLOY);
    repo.write(".github/workflows/ci.yml", CLEAN);

    let (exit, report) = repo.check_json(&["--changed-only", ".github/workflows/ci.yml"]);
    assert_eq!(exit, EXIT_CLEAN, "{report:#}");
    assert!(findings(&report).is_empty());

    let (exit, report) = repo.check_json(&["--changed-only", ".github/workflows/unsafe.yml"]);
    assert_eq!(exit, EXIT_FINDINGS);
    let keys = finding_keys(&report);
    assert!(keys.len() >= 4, "{keys:?}");
    assert!(
        keys.iter()
            .all(|(_, path, _)| path == ".github/workflows/unsafe.yml"),
        "{keys:?}"
    );

    // A folder given is a set of changed files too.
    let (_, report) = repo.check_json(&["--changed-only", "infra"]);
    assert_eq!(
        finding_keys(&report),
        vec![key("deploy-path-bypass", "infra/roles.tf", 13)]
    );
}

#[test]
fn errors_elsewhere_in_the_repository_are_not_reported() {
    let repo = bypass_repo();
    repo.write("infra/broken.tf", "resource \"x\" {\n");
    repo.write(".github/workflows/broken.yml", "on: push\njobs: [\n");

    let (exit, report) = repo.check_json(&["--changed-only", ".github/workflows/deploy.yml"]);
    assert_eq!(exit, EXIT_FINDINGS, "{report:#}");
    assert!(errors(&report).is_empty(), "{report:#}");

    // A broken file that is given is still an error naming it.
    let (exit, report) = repo.check_json(&["--changed-only", "infra/broken.tf"]);
    assert_eq!(exit, EXIT_TROUBLE);
    assert_eq!(errors(&report).len(), 1, "{report:#}");
    assert_eq!(errors(&report)[0]["path"], "infra/broken.tf");

    // So is a broken config, which every run depends on.
    repo.write("tollgate.yml", "rules:\n  no-such-rule: off\n");
    let (exit, report) = repo.check_json(&["--changed-only", ".github/workflows/deploy.yml"]);
    assert_eq!(exit, EXIT_TROUBLE);
    assert_eq!(errors(&report)[0]["path"], "tollgate.yml", "{report:#}");
}

#[test]
fn given_files_are_judged_as_a_full_run_judges_them() {
    // pre-commit's file pattern and a pull request's diff include files that are nobody's
    // workflow or policy; a full run skips them, and so does a changed-files run.
    let repo = bypass_repo();
    repo.write(
        "web/tsconfig.json",
        "{\n  // comments are not JSON\n  \"strict\": true,\n}\n",
    );
    repo.write("README.md", "# app\n");
    let (exit, report) = repo.check_json(&["--changed-only", "web/tsconfig.json", "README.md"]);
    assert_eq!(exit, EXIT_CLEAN, "{report:#}");
    assert!(errors(&report).is_empty());
}

#[test]
fn paths_are_relative_to_the_repository_from_any_folder() {
    let repo = bypass_repo();
    let mut cmd = support::tollgate();
    cmd.current_dir(repo.join(".github/workflows")).args([
        "check",
        "--format",
        "json",
        "--changed-only",
        "deploy.yml",
    ]);
    let output = support::run(&mut cmd);
    assert_eq!(support::code(&output), EXIT_FINDINGS);
    assert_eq!(
        finding_keys(&support::json(&output)),
        vec![key("deploy-path-bypass", "infra/roles.tf", 13)]
    );
}

#[test]
fn config_ignore_applies_to_given_files() {
    let repo = bypass_repo();
    repo.write("vendor-ish/.github/workflows/unsafe.yml", DEPLOY);
    repo.write(
        "tollgate.yml",
        format!("{BYPASS_CONFIG}ignore:\n  - \"vendor-ish/**\"\n"),
    );
    let (exit, report) =
        repo.check_json(&["--changed-only", "vendor-ish/.github/workflows/unsafe.yml"]);
    assert_eq!(exit, EXIT_CLEAN, "{report:#}");
    assert_eq!(report["summary"]["files_scanned"], 0);
}

#[test]
fn nearest_tollgate_yml_marks_the_root_outside_git() {
    // No `.git` here: the folder holding `tollgate.yml` is the repository.
    let dir = tempfile::tempdir().expect("temporary folder");
    for (path, text) in [
        (".github/workflows/deploy.yml", BYPASS_WORKFLOW),
        ("infra/roles.tf", BYPASS_ROLES),
        ("tollgate.yml", BYPASS_CONFIG),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let mut cmd = support::tollgate();
    cmd.current_dir(dir.path()).args([
        "check",
        "--format",
        "json",
        "--changed-only",
        ".github/workflows/deploy.yml",
    ]);
    let output = support::run(&mut cmd);
    assert_eq!(
        finding_keys(&support::json(&output)),
        vec![key("deploy-path-bypass", "infra/roles.tf", 13)]
    );
}
