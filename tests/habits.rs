//! Issue 11 through the real binary: the check-only build, the baseline cycle, one config
//! discovery, the command-line habits (`--select`, `--ignore`, `--min-severity`,
//! `--fail-on never`, `--color`, the tally, completions, man page, `paths --format json`,
//! `paths --fail-on-broken`, `init`) and job- and workflow-wide suppressions.

// `cfg(test)` marks the helpers as test code, where clippy.toml allows `expect` and `panic`.
#![cfg(test)]

#[path = "fixtures/e2e/support.rs"]
mod support;

use std::path::Path;

use serde_json::Value;
use support::{DEPLOY, Repo, code, findings, json, rules_of, stderr, stdout, tollgate};

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tollgate ARGS` from the project root.
fn in_project(args: &[&str]) -> std::process::Output {
    let mut cmd = tollgate();
    cmd.current_dir(project()).args(args);
    support::run(&mut cmd)
}

fn severity_of(report: &Value, rule: &str, path_end: &str, line: u64) -> Option<String> {
    findings(report)
        .iter()
        .find(|f| {
            f["rule"] == rule
                && f["path"].as_str().is_some_and(|p| p.ends_with(path_end))
                && f["line"] == line
        })
        .and_then(|f| f["severity"].as_str().map(str::to_string))
}

// ---------------------------------------------------------------------------------------------
// 1. The default build has no drift, and says how to get it.

#[cfg(not(feature = "drift"))]
#[test]
fn drift_in_the_default_build_says_how_to_get_it_and_exits_2() {
    for args in [
        &["drift"][..],
        &["drift", "--github", "acme/app", "--aws"][..],
    ] {
        let output = in_project(args);
        assert_eq!(code(&output), 2, "{args:?}");
        let text = stderr(&output);
        assert!(text.contains("--features drift"), "{text}");
        // The README's install section gives the same commands.
        let readme = std::fs::read_to_string(project().join("README.md")).expect("README");
        for line in text.lines().filter(|l| l.starts_with("    cargo install")) {
            assert!(
                readme.contains(line.trim()),
                "README lacks `{}`",
                line.trim()
            );
        }
    }
}

#[cfg(feature = "drift")]
#[test]
fn drift_in_the_drift_build_is_the_real_command() {
    let output = in_project(&["drift", "--help"]);
    assert_eq!(code(&output), 0);
    assert!(stdout(&output).contains("--github-org"));
}

// ---------------------------------------------------------------------------------------------
// 2. The README's baseline workflow: write, check with it, a new finding fails, a fixed one
//    goes away.

#[test]
fn baseline_cycle_hides_known_findings_reports_new_ones_and_forgets_fixed_ones() {
    let repo = Repo::with(&[(".github/workflows/deploy.yml", DEPLOY.as_bytes())]);
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .args(["baseline", ".", "--output", ".tollgate-baseline.json"]);
    let written = support::run(&mut cmd);
    assert_eq!(code(&written), 0, "{}", stderr(&written));
    assert!(
        stderr(&written).contains("baseline of"),
        "{}",
        stderr(&written)
    );

    let with_baseline = ["--baseline", ".tollgate-baseline.json"];
    let (status, report) = repo.check_json(&with_baseline);
    assert_eq!(status, 0, "known findings are hidden: {report:#}");
    assert!(findings(&report).is_empty());
    let human = repo.check(&with_baseline);
    assert!(
        stdout(&human).contains("more in the baseline"),
        "{}",
        stdout(&human)
    );

    // A new finding: a second workflow with an injection.
    repo.write(
        ".github/workflows/new.yml",
        "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.issue.title }}\"\n",
    );
    let (status, report) = repo.check_json(&with_baseline);
    assert_eq!(status, 1, "a new finding fails the run");
    assert_eq!(rules_of(&report), ["template-injection"], "{report:#}");

    // Fixing a known finding leaves nothing behind; writing the baseline again shrinks it.
    std::fs::remove_file(repo.join(".github/workflows/new.yml")).expect("remove");
    let fixed = DEPLOY.replace(" ${{ github.event.head_commit.message }}", "");
    repo.write(".github/workflows/deploy.yml", fixed);
    let (status, report) = repo.check_json(&with_baseline);
    assert_eq!(status, 0, "{report:#}");
    let before = std::fs::read_to_string(repo.join(".tollgate-baseline.json")).expect("read");
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .args(["baseline", ".", "--output", ".tollgate-baseline.json"]);
    assert_eq!(code(&support::run(&mut cmd)), 0);
    let after = std::fs::read_to_string(repo.join(".tollgate-baseline.json")).expect("read");
    assert!(
        after.len() < before.len(),
        "the rewritten baseline is smaller"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. One config discovery.

/// An outer repository with a nested one (`svc/`, its own `tollgate.yml` raising
/// `excessive-permissions` to low): the same line gets the same severity in a full run and a
/// changed-only run, and `paths` reads the same config.
#[test]
fn full_and_changed_only_runs_judge_a_line_with_the_same_config() {
    let workflow = "on: push\npermissions: write-all\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n";
    let repo = Repo::with(&[
        (".github/workflows/outer.yml", workflow.as_bytes()),
        ("svc/.github/workflows/inner.yml", workflow.as_bytes()),
        (
            "svc/tollgate.yml",
            b"rules:\n  excessive-permissions: low\n",
        ),
    ]);
    let (_, full) = repo.check_json(&[]);
    let inner_full = severity_of(
        &full,
        "excessive-permissions",
        "svc/.github/workflows/inner.yml",
        2,
    );
    let outer_full = severity_of(&full, "excessive-permissions", "/outer.yml", 2)
        .or_else(|| severity_of(&full, "excessive-permissions", "outer.yml", 2));
    assert_eq!(inner_full.as_deref(), Some("low"), "{full:#}");
    assert_eq!(outer_full.as_deref(), Some("high"), "{full:#}");

    let (_, changed) = repo.check_json(&["--changed-only", "svc/.github/workflows/inner.yml"]);
    let inner_changed = severity_of(
        &changed,
        "excessive-permissions",
        "svc/.github/workflows/inner.yml",
        2,
    );
    assert_eq!(inner_changed, inner_full, "{changed:#}");

    // Files of both repositories in one changed-only run: each with its own config.
    let (_, both) = repo.check_json(&[
        "--changed-only",
        ".github/workflows/outer.yml",
        "svc/.github/workflows/inner.yml",
    ]);
    assert_eq!(
        severity_of(
            &both,
            "excessive-permissions",
            "svc/.github/workflows/inner.yml",
            2
        ),
        inner_full,
        "{both:#}"
    );
    assert_eq!(
        severity_of(&both, "excessive-permissions", "outer.yml", 2),
        outer_full,
        "{both:#}"
    );

    // A full run of a folder inside the nested repository, or of its file, reads its config
    // too; so does a full run naming files of both repositories.
    for args in [
        &["svc/.github"][..],
        &["svc/.github/workflows/inner.yml"][..],
        &[
            ".github/workflows/outer.yml",
            "svc/.github/workflows/inner.yml",
        ][..],
    ] {
        let (_, report) = repo.check_json(args);
        assert_eq!(
            severity_of(
                &report,
                "excessive-permissions",
                "svc/.github/workflows/inner.yml",
                2
            ),
            inner_full,
            "{args:?}: {report:#}"
        );
    }
    // A workflow called `tollgate.yml` is not a config, whichever folder is checked.
    repo.write(".github/workflows/tollgate.yml", workflow);
    for args in [
        &[".github/workflows"][..],
        &["--changed-only", ".github/workflows/tollgate.yml"][..],
    ] {
        let (status, report) = repo.check_json(args);
        assert_eq!(status, 1, "{args:?}: {report:#}");
        assert!(support::errors(&report).is_empty(), "{args:?}: {report:#}");
    }

    // `check fixtures/` reads fixtures/example-repo/tollgate.yml (it raises
    // excessive-permissions to high), as `--changed-only` on the file does.
    let full = json(&in_project(&["check", "fixtures/", "--format", "json"]));
    let changed = json(&in_project(&[
        "check",
        "--format",
        "json",
        "--changed-only",
        "fixtures/example-repo/.github/workflows/deploy.yml",
    ]));
    let path = "fixtures/example-repo/.github/workflows/deploy.yml";
    let full_severity = severity_of(&full, "excessive-permissions", path, 13);
    assert_eq!(full_severity.as_deref(), Some("high"), "{full:#}");
    assert_eq!(
        severity_of(&changed, "excessive-permissions", path, 13),
        full_severity
    );
}

#[test]
fn paths_reads_each_repository_with_its_own_config() {
    // `production_environments` of the nested repository makes `live-eu` production there.
    let deploy = "on: push\njobs:\n  ship:\n    runs-on: ubuntu-latest\n    environment: live-eu\n    steps:\n      - uses: aws-actions/configure-aws-credentials@0123456789abcdef0123456789abcdef01234567\n        with:\n          role-to-assume: arn:aws:iam::123456789012:role/ship\n";
    let repo = Repo::with(&[
        ("svc/.github/workflows/ship.yml", deploy.as_bytes()),
        (
            "svc/tollgate.yml",
            b"environments:\n  live-eu:\n    min_reviewers: 1\n",
        ),
    ]);
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .args(["paths", "--format", "json"]);
    let report = json(&support::run(&mut cmd));
    let links = &report["paths"][0]["links"];
    assert_eq!(
        links[0]["label"], "environment live-eu: named in the policy",
        "{report:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Command-line habits.

fn fixture_rules(args: &[&str]) -> (i32, Vec<String>, Vec<String>) {
    let mut all = vec!["check", "fixtures/", "--format", "json"];
    all.extend_from_slice(args);
    let output = in_project(&all);
    let report = json(&output);
    let rules = rules_of(&report).into_iter().map(str::to_string).collect();
    let severities = findings(&report)
        .iter()
        .filter_map(|f| f["severity"].as_str().map(str::to_string))
        .collect();
    (code(&output), rules, severities)
}

#[test]
fn select_and_ignore_take_ids_and_prefixes() {
    let (_, all, _) = fixture_rules(&[]);
    assert!(all.len() >= 5, "{all:?}");

    let (status, rules, _) = fixture_rules(&["--select", "standing-credentials"]);
    assert_eq!(status, 1);
    assert!(!rules.is_empty() && rules.iter().all(|r| r == "standing-credentials"));

    // A prefix ending at a `-`, with or without the dash or a `*`; comma-separated.
    for prefix in ["deploy-path", "deploy-path-", "deploy-path-*"] {
        let (_, rules, _) = fixture_rules(&["--select", prefix]);
        assert_eq!(rules, ["deploy-path-bypass"], "{prefix}");
    }
    let (_, rules, _) = fixture_rules(&["--select", "deploy-path,template-injection"]);
    assert_eq!(rules, ["template-injection", "deploy-path-bypass"]);
    let (_, rules, _) = fixture_rules(&["--select", "unprotected"]);
    assert_eq!(rules, ["unprotected-deploy"]);

    // --ignore wins over --select, and repeats.
    let (_, rules, _) = fixture_rules(&[
        "--select",
        "standing,template-injection",
        "--ignore",
        "standing",
    ]);
    assert_eq!(rules, ["template-injection"]);
    let (_, rules, _) =
        fixture_rules(&["--ignore", "standing-credentials", "--ignore", "long-ttl"]);
    assert!(
        !rules
            .iter()
            .any(|r| r == "standing-credentials" || r == "long-ttl")
    );
    assert_eq!(rules.len() + 3, all.len(), "{rules:?} vs {all:?}");

    // A selector that names no rule is an error, not an empty report; so is half a word.
    for typo in ["nosuch-rule", "standin"] {
        let output = in_project(&["check", "fixtures/", "--select", typo]);
        assert_eq!(code(&output), 2, "{typo}");
        assert!(
            stderr(&output).contains("tollgate rules"),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn min_severity_hides_lower_findings_and_fail_on_never_reports_only() {
    let (_, _, severities) = fixture_rules(&[]);
    assert!(severities.iter().any(|s| s == "medium"));
    let (status, _, severities) = fixture_rules(&["--min-severity", "high"]);
    assert_eq!(status, 1);
    assert!(!severities.is_empty() && severities.iter().all(|s| s == "high"));
    // Hidden findings do not fail the run.
    let (status, rules, _) = fixture_rules(&["--select", "long-ttl", "--min-severity", "high"]);
    assert_eq!((status, rules.len()), (0, 0));

    let (status, rules, _) = fixture_rules(&["--fail-on", "never"]);
    assert_eq!(status, 0, "findings, yet exit 0");
    assert!(!rules.is_empty());
    // Errors still exit 2 with --fail-on never.
    let repo = Repo::with(&[(".github/workflows/bad.yml", b"on: [push\n")]);
    assert_eq!(code(&repo.check(&["--fail-on", "never"])), 2);
}

#[test]
fn color_flag_honours_no_color_and_clicolor_force() {
    let ansi = |flag: Option<&str>, env: &[(&str, &str)]| {
        let mut cmd = tollgate();
        cmd.current_dir(project())
            .args(["check", "fixtures/", "--select", "template-injection"]);
        if let Some(flag) = flag {
            cmd.args(["--color", flag]);
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        let output = support::run(&mut cmd);
        assert_eq!(code(&output), 1);
        stdout(&output).contains('\u{1b}')
    };
    // Standard output is a pipe here.
    assert!(!ansi(None, &[]), "auto: no colour off a terminal");
    assert!(ansi(Some("always"), &[]));
    assert!(ansi(Some("always"), &[("NO_COLOR", "1")]), "the flag wins");
    assert!(
        !ansi(Some("never"), &[("CLICOLOR_FORCE", "1")]),
        "the flag wins"
    );
    assert!(ansi(None, &[("CLICOLOR_FORCE", "1")]));
    assert!(!ansi(None, &[("CLICOLOR_FORCE", "0")]));
    assert!(!ansi(None, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!ansi(Some("auto"), &[("NO_COLOR", "1")]));
}

#[test]
fn human_summary_is_followed_by_a_per_rule_tally() {
    let output = in_project(&["check", "fixtures/"]);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let summary = lines
        .iter()
        .position(|l| l.contains(" files scanned; "))
        .expect("a summary line");
    let tally: Vec<(usize, &str)> = lines[summary + 1..]
        .iter()
        .map(|l| {
            let mut words = l.split_whitespace();
            let count = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            (count, words.next().unwrap_or(""))
        })
        .collect();
    let report = json(&in_project(&["check", "fixtures/", "--format", "json"]));
    let by_rule = report["summary"]["by_rule"].as_object().expect("by_rule");
    assert_eq!(tally.len(), by_rule.len(), "{text}");
    for (count, rule) in &tally {
        assert_eq!(by_rule[*rule].as_u64(), Some(*count as u64), "{rule}");
    }
    // Most frequent first.
    assert!(tally.windows(2).all(|w| w[0].0 >= w[1].0), "{text}");
    // A clean run has no tally.
    let clean = in_project(&["check", "fixtures/", "--select", "vault-jwt-unbounded"]);
    assert!(
        stdout(&clean).trim_end().ends_with("0 file errors"),
        "{}",
        stdout(&clean)
    );
}

#[test]
fn completions_and_man_page() {
    let bash = in_project(&["completions", "bash"]);
    assert_eq!(code(&bash), 0);
    assert!(stdout(&bash).contains("_tollgate()"), "{}", stdout(&bash));
    assert!(stdout(&bash).contains("--min-severity"));
    let zsh = in_project(&["completions", "zsh"]);
    assert!(stdout(&zsh).starts_with("#compdef tollgate"));
    let fish = in_project(&["completions", "fish"]);
    assert!(stdout(&fish).contains("complete -c tollgate"));
    assert_eq!(code(&in_project(&["completions", "tcsh"])), 2);

    let man = in_project(&["man"]);
    assert_eq!(code(&man), 0);
    let page = stdout(&man);
    assert!(
        page.starts_with(".ie") || page.contains(".TH tollgate"),
        "{page}"
    );
    assert!(page.contains(".TH tollgate 1"), "{page}");
    assert!(
        page.contains("tollgate\\-check") || page.contains("check"),
        "{page}"
    );
}

#[test]
fn paths_json_matches_its_schema_and_fail_on_broken_exits_1() {
    let output = in_project(&["paths", "fixtures/", "--format", "json"]);
    assert_eq!(
        code(&output),
        0,
        "without --fail-on-broken, broken paths exit 0"
    );
    let report = json(&output);
    assert_eq!(report["version"], 1);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(project().join("docs/paths.schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}\n{report:#}");
    let paths = report["paths"].as_array().expect("paths");
    assert_eq!(paths.len(), 2, "{report:#}");
    assert_eq!(report["summary"]["broken"], 2);
    assert_eq!(paths[1]["environment"], "production");
    assert_eq!(paths[0]["environment"], Value::Null);
    assert!(paths.iter().all(|p| p["broken"] == true));

    let broken = in_project(&["paths", "fixtures/", "--fail-on-broken"]);
    assert_eq!(code(&broken), 1);
    // No deploy path, nothing broken: 0.
    let repo = Repo::with(&[(".github/workflows/ci.yml", support::CLEAN.as_bytes())]);
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .args(["paths", "--fail-on-broken", "--format", "json"]);
    let output = support::run(&mut cmd);
    assert_eq!(code(&output), 0);
    assert_eq!(json(&output)["summary"]["paths"], 0);
}

#[test]
fn init_declares_only_the_production_environments_it_sees_and_says_so() {
    let deploy = |env: &str| {
        format!(
            "on: push\njobs:\n  ship:\n    runs-on: ubuntu-latest\n    environment: {env}\n    steps:\n      - uses: aws-actions/configure-aws-credentials@0123456789abcdef0123456789abcdef01234567\n        with:\n          role-to-assume: arn:aws:iam::123456789012:role/ship\n"
        )
    };
    let repo = Repo::with(&[
        (".github/workflows/prod.yml", deploy("prod-eu").as_bytes()),
        (
            ".github/workflows/staging.yml",
            deploy("staging").as_bytes(),
        ),
    ]);
    let init = |args: &[&str]| {
        let mut cmd = tollgate();
        cmd.current_dir(repo.path()).arg("init").args(args);
        support::run(&mut cmd)
    };
    let output = init(&[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains("declared environment \"prod-eu\"")
            || said.contains("declared environment prod-eu"),
        "{said}"
    );
    assert!(said.contains(".github/workflows/prod.yml"), "{said}");
    assert!(said.contains("left out environment staging"), "{said}");
    let written = std::fs::read_to_string(repo.join("tollgate.yml")).expect("written");
    assert!(written.contains("  \"prod-eu\":\n"), "{written}");
    assert!(!written.contains("staging"), "{written}");
    assert!(!written.contains("\n  production:"), "{written}");
    // The written config is valid: a check with it has no config error.
    let (status, report) = repo.check_json(&[]);
    assert!(status < 2, "{report:#}");

    // Asked for, declared though no job uses it; an existing file needs --force.
    assert_eq!(code(&init(&["--environment", "production"])), 2);
    let output = init(&["--force", "--environment", "production"]);
    assert_eq!(code(&output), 0);
    assert!(
        stderr(&output).contains("production (asked for)"),
        "{}",
        stderr(&output)
    );
    let written = std::fs::read_to_string(repo.join("tollgate.yml")).expect("written");
    assert!(written.contains("  \"production\":\n"), "{written}");

    // Nothing seen, nothing asked: no environment at all.
    let empty = Repo::new();
    let mut cmd = tollgate();
    cmd.current_dir(empty.path()).arg("init");
    let output = support::run(&mut cmd);
    assert_eq!(code(&output), 0);
    assert!(
        stderr(&output).contains("declared no environment"),
        "{}",
        stderr(&output)
    );
    let written = std::fs::read_to_string(empty.join("tollgate.yml")).expect("written");
    let config: Vec<&str> = written
        .lines()
        .skip_while(|l| *l != "environments:")
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(
        config,
        ["  {}   # none seen in the repository; for example:"]
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Suppression scope.

const JOB_WORKFLOW: &str = "name: deploy
on: push
jobs:
  # tollgate: ignore[unpinned-action, unprotected-deploy] sandbox account, reviewed by the platform team
  sandbox:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/sandbox
  other:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
";

fn findings_at(report: &Value) -> Vec<(String, u64)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn a_suppression_above_a_job_covers_that_job_only() {
    let repo = Repo::with(&[(".github/workflows/deploy.yml", JOB_WORKFLOW.as_bytes())]);
    let (_, report) = repo.check_json(&["--select", "unpinned-action,unprotected-deploy"]);
    assert_eq!(
        findings_at(&report),
        [("unpinned-action".to_string(), 15)],
        "the other job's finding stays: {report:#}"
    );
    // On the job's key line itself.
    let on_key = JOB_WORKFLOW.replace(
        "  # tollgate: ignore[unpinned-action, unprotected-deploy] sandbox account, reviewed by the platform team\n  sandbox:\n",
        "  \n  sandbox: # tollgate: ignore[unpinned-action, unprotected-deploy] sandbox account\n",
    );
    repo.write(".github/workflows/deploy.yml", &on_key);
    let (_, report) = repo.check_json(&["--select", "unpinned-action,unprotected-deploy"]);
    assert_eq!(
        findings_at(&report),
        [("unpinned-action".to_string(), 15)],
        "{report:#}"
    );
    // Without a reason it covers nothing and is reported.
    let no_reason = JOB_WORKFLOW.replace(" sandbox account, reviewed by the platform team", "");
    repo.write(".github/workflows/deploy.yml", &no_reason);
    let (_, report) = repo.check_json(&[
        "--select",
        "unpinned-action,unprotected-deploy,suppression-without-reason",
    ]);
    let rules = rules_of(&report);
    assert!(rules.contains(&"suppression-without-reason"), "{report:#}");
    assert!(rules.contains(&"unprotected-deploy"), "{report:#}");
    assert_eq!(rules.iter().filter(|r| **r == "unpinned-action").count(), 3);
}

#[test]
fn a_suppression_in_the_opening_comments_covers_the_workflow() {
    let whole = format!(
        "# Deploys the sandbox.\n# tollgate: ignore[unpinned-action] actions vendored and reviewed\n{JOB_WORKFLOW}"
    );
    let repo = Repo::with(&[(".github/workflows/deploy.yml", whole.as_bytes())]);
    let (_, report) = repo.check_json(&["--select", "unpinned-action"]);
    assert!(findings(&report).is_empty(), "{report:#}");
    // The same comment further down is an ordinary line suppression.
    let later = JOB_WORKFLOW.replace(
        "jobs:\n",
        "jobs:\n# tollgate: ignore[excessive-permissions] scoped below\n",
    );
    repo.write(
        ".github/workflows/deploy.yml",
        format!("name: x\n# tollgate: ignore[unpinned-action] not at the top\n{later}"),
    );
    let (_, report) = repo.check_json(&["--select", "unpinned-action"]);
    assert!(!findings(&report).is_empty(), "{report:#}");
}
