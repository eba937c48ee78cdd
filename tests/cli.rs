//! End-to-end tests of the command line: exit codes, options, config, suppression, and files
//! that try to break the scan (issue 2, sections 2, 6 and 8; STYLE habits 12 and 13).

// `cfg(test)` marks the helpers as test code, where clippy.toml allows `expect` and `panic`.
#![cfg(test)]

#[path = "fixtures/e2e/support.rs"]
mod support;

use support::{
    CLEAN, DEPLOY, MEDIUM, Repo, code, errors, finding_keys, rules_of, stderr, stdout, tollgate,
};

const EXIT_CLEAN: i32 = 0;
const EXIT_FINDINGS: i32 = 1;
const EXIT_TROUBLE: i32 = 2;

fn workflow(name: &str, text: &str) -> (String, Vec<u8>) {
    (
        format!(".github/workflows/{name}"),
        text.as_bytes().to_vec(),
    )
}

fn repo_of(files: &[(String, Vec<u8>)]) -> Repo {
    let repo = Repo::new();
    for (path, contents) in files {
        repo.write(path, contents);
    }
    repo
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn clean_file_exits_0() {
    let repo = repo_of(&[workflow("clean.yml", CLEAN)]);
    let output = repo.check(&[]);
    assert_eq!(code(&output), EXIT_CLEAN, "{}", stdout(&output));
    assert!(stdout(&output).contains("0 findings in 1 file scanned; 0 file errors"));
}

#[test]
fn findings_exit_1() {
    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    assert_eq!(code(&repo.check(&[])), EXIT_FINDINGS);
    // A file named directly is checked the same way.
    let output = repo.check(&[".github/workflows/deploy.yml"]);
    assert_eq!(code(&output), EXIT_FINDINGS);
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["check", "--format", "xml"][..],
        &["check", "--fail-on", "critical"],
        &["check", "--no-such-flag"],
        &["no-such-command"],
        &[],
    ] {
        let output = support::run(tollgate().args(args));
        assert_eq!(code(&output), EXIT_TROUBLE, "args {args:?}");
        assert!(
            !stderr(&output).is_empty(),
            "args {args:?} explain themselves"
        );
    }
}

#[test]
fn missing_path_exits_2_and_the_rest_is_scanned() {
    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    let (exit, report) = repo.check_json(&[".", "no/such/place"]);
    assert_eq!(exit, EXIT_TROUBLE);
    assert_eq!(errors(&report).len(), 1);
    assert_eq!(errors(&report)[0]["path"], "no/such/place");
    assert!(!support::findings(&report).is_empty());
}

#[test]
fn bad_config_exits_2_naming_the_file_and_line() {
    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    repo.write(
        "tollgate.yml",
        "# project policy\nrules:\n  no-such-rule: false\n",
    );
    let output = repo.check(&[]);
    assert_eq!(code(&output), EXIT_TROUBLE);
    let text = stdout(&output);
    assert!(
        text.contains("error: tollgate.yml:3:3: unknown rule `no-such-rule`"),
        "{text}"
    );

    let (exit, report) = repo.check_json(&[]);
    assert_eq!(exit, EXIT_TROUBLE);
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["path"], "tollgate.yml");
    assert_eq!(errors[0]["line"], 3);
    // The scan still ran, with the default config.
    assert!(rules_of(&report).contains(&"standing-credentials"));
    // Machine formats keep stdout clean and tell a person on stderr.
    assert!(stderr(&support::Repo::check(&repo, &["--format", "json"])).contains("tollgate.yml"));
}

#[test]
fn config_that_is_not_yaml_exits_2_with_its_line() {
    let repo = repo_of(&[workflow("clean.yml", CLEAN)]);
    repo.write("tollgate.yml", "rules:\n  unpinned-action: [\n");
    let (exit, report) = repo.check_json(&[]);
    assert_eq!(exit, EXIT_TROUBLE);
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["path"], "tollgate.yml");
    assert!(errors[0]["line"].as_u64().is_some());
}

#[test]
fn explicit_config_that_does_not_exist_exits_2() {
    let repo = repo_of(&[workflow("clean.yml", CLEAN)]);
    let (exit, report) = repo.check_json(&["--config", "nowhere.yml"]);
    assert_eq!(exit, EXIT_TROUBLE);
    assert_eq!(errors(&report)[0]["path"], "nowhere.yml");
}

#[test]
fn fail_on_high_ignores_medium_findings() {
    let repo = repo_of(&[workflow("lint.yml", MEDIUM)]);
    assert_eq!(code(&repo.check(&[])), EXIT_FINDINGS);
    assert_eq!(code(&repo.check(&["--fail-on", "medium"])), EXIT_FINDINGS);
    let output = repo.check(&["--fail-on", "high"]);
    assert_eq!(code(&output), EXIT_CLEAN);
    // Still reported, only not failing.
    assert!(stdout(&output).contains("excessive-permissions"));

    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    assert_eq!(code(&repo.check(&["--fail-on", "high"])), EXIT_FINDINGS);
}

#[test]
fn output_writes_the_report_to_a_file() {
    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    let output = repo.check(&["--format", "json", "--output", "report.json"]);
    assert_eq!(code(&output), EXIT_FINDINGS);
    assert!(stdout(&output).is_empty(), "stdout: {}", stdout(&output));
    let written = std::fs::read_to_string(repo.join("report.json")).expect("report written");
    let report: serde_json::Value = serde_json::from_str(&written).expect("JSON report");
    assert_eq!(report["version"], 1);
    assert!(rules_of(&report).contains(&"template-injection"));
}

#[test]
fn output_to_an_unwritable_place_exits_2() {
    let repo = repo_of(&[workflow("clean.yml", CLEAN)]);
    let output = repo.check(&["--output", "no/such/folder/report.txt"]);
    assert_eq!(code(&output), EXIT_TROUBLE);
    assert!(
        stderr(&output).contains("report.txt"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn github_actions_environment_selects_github_format() {
    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    let output = support::run(
        tollgate()
            .current_dir(repo.path())
            .env("GITHUB_ACTIONS", "true")
            .arg("check"),
    );
    assert_eq!(code(&output), EXIT_FINDINGS);
    let text = stdout(&output);
    assert!(!text.is_empty());
    assert!(text.lines().all(|l| l.starts_with("::")), "{text}");

    // An explicit format wins.
    let output = support::run(
        tollgate()
            .current_dir(repo.path())
            .env("GITHUB_ACTIONS", "true")
            .args(["check", "--format", "json"]),
    );
    support::json(&output);

    // Only `true` means GitHub Actions.
    let output = support::run(
        tollgate()
            .current_dir(repo.path())
            .env("GITHUB_ACTIONS", "false")
            .arg("check"),
    );
    assert!(stdout(&output).contains("-->"));
}

// ---------------------------------------------------------------------------------------------
// rules and explain

const WORKFLOW_RULES: [&str; 7] = [
    "standing-credentials",
    "unprotected-deploy",
    "long-ttl",
    "excessive-permissions",
    "unpinned-action",
    "template-injection",
    "dangerous-trigger",
];

#[test]
fn rules_lists_every_rule_id_in_aligned_columns() {
    let output = support::run(tollgate().arg("rules"));
    assert_eq!(code(&output), EXIT_CLEAN);
    let text = stdout(&output);
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for id in WORKFLOW_RULES {
        assert!(ids.contains(&id), "{id} missing from:\n{text}");
    }
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "ids are unique");
    // The summary column starts at the same place on every line.
    let summary_columns: Vec<usize> = text
        .lines()
        .map(|l| {
            // Where each word starts; the third word begins the summary.
            let mut starts = Vec::new();
            let mut previous_space = true;
            for (i, c) in l.char_indices() {
                if !c.is_whitespace() && previous_space {
                    starts.push(i);
                }
                previous_space = c.is_whitespace();
            }
            starts.get(2).copied().unwrap_or(0)
        })
        .collect();
    assert!(
        summary_columns.windows(2).all(|w| w[0] == w[1]),
        "columns not aligned:\n{text}"
    );
}

#[test]
fn explain_prints_the_docs_sections() {
    let output = support::run(tollgate().args(["explain", "template-injection"]));
    assert_eq!(code(&output), EXIT_CLEAN);
    let text = stdout(&output);
    assert!(text.starts_with("# template-injection"), "{text}");
    let mut at = 0;
    for section in [
        "## What it does",
        "## Why is this bad",
        "## Example",
        "## Use instead",
        "## References",
    ] {
        let found = text[at..]
            .find(section)
            .unwrap_or_else(|| panic!("{section} missing or out of order:\n{text}"));
        at += found + section.len();
    }
}

#[test]
fn explain_of_every_listed_rule_works() {
    for id in WORKFLOW_RULES {
        let output = support::run(tollgate().args(["explain", id]));
        assert_eq!(code(&output), EXIT_CLEAN, "{id}");
        assert!(stdout(&output).contains("## Use instead"), "{id}");
    }
}

#[test]
fn explain_of_an_unknown_rule_exits_2() {
    let output = support::run(tollgate().args(["explain", "no-such-rule"]));
    assert_eq!(code(&output), EXIT_TROUBLE);
    assert!(stderr(&output).contains("no-such-rule"));
    assert!(stdout(&output).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Config and suppression

#[test]
fn config_disables_a_rule_and_overrides_a_severity() {
    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    let (_, before) = repo.check_json(&[]);
    assert!(rules_of(&before).contains(&"unpinned-action"));

    repo.write(
        "tollgate.yml",
        "rules:\n  unpinned-action: false\n  template-injection:\n    severity: low\n",
    );
    let (exit, after) = repo.check_json(&[]);
    assert_eq!(exit, EXIT_FINDINGS);
    assert!(support::errors(&after).is_empty(), "{after:#}");
    assert!(!rules_of(&after).contains(&"unpinned-action"));
    let injections: Vec<_> = support::findings(&after)
        .iter()
        .filter(|f| f["rule"] == "template-injection")
        .collect();
    assert!(!injections.is_empty());
    assert!(injections.iter().all(|f| f["severity"] == "low"));
    // The other rules are untouched.
    assert!(rules_of(&after).contains(&"standing-credentials"));

    // The same config named with --config from elsewhere.
    let elsewhere = Repo::new();
    elsewhere.write("policy.yml", "rules:\n  unpinned-action: false\n");
    let config = elsewhere.join("policy.yml");
    let config = config.to_str().expect("utf-8 temp path");
    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    let (_, report) = repo.check_json(&["--config", config]);
    assert!(support::errors(&report).is_empty(), "{report:#}");
    assert!(!rules_of(&report).contains(&"unpinned-action"));
}

#[test]
fn suppression_with_a_reason_suppresses() {
    let annotated = DEPLOY.replace(
        "      - run: echo \"deploying",
        "      # tollgate: ignore[template-injection] the message is only echoed, reviewed in #12\n      - run: echo \"deploying",
    );
    let repo = repo_of(&[workflow("deploy.yml", &annotated)]);
    let (_, report) = repo.check_json(&[]);
    let rules = rules_of(&report);
    assert!(!rules.contains(&"template-injection"), "{rules:?}");
    assert!(!rules.contains(&"suppression-without-reason"), "{rules:?}");
    assert!(rules.contains(&"standing-credentials"), "only that rule");

    // The same comment at the end of the line.
    let inline = DEPLOY.replace(
        "message }}\"\n",
        "message }}\" # tollgate: ignore[template-injection] reviewed\n",
    );
    let repo = repo_of(&[workflow("deploy.yml", &inline)]);
    let (_, report) = repo.check_json(&[]);
    assert!(!rules_of(&report).contains(&"template-injection"));
}

#[test]
fn suppression_without_a_reason_does_not_suppress_and_is_reported() {
    let annotated = DEPLOY.replace(
        "      - run: echo \"deploying",
        "      # tollgate: ignore[template-injection]\n      - run: echo \"deploying",
    );
    let repo = repo_of(&[workflow("deploy.yml", &annotated)]);
    let (exit, report) = repo.check_json(&[]);
    assert_eq!(exit, EXIT_FINDINGS);
    let rules = rules_of(&report);
    assert!(rules.contains(&"template-injection"), "{rules:?}");
    let unexplained: Vec<_> = support::findings(&report)
        .iter()
        .filter(|f| f["rule"] == "suppression-without-reason")
        .collect();
    assert_eq!(unexplained.len(), 1, "{report:#}");
    assert_eq!(unexplained[0]["line"], 18);
}

// ---------------------------------------------------------------------------------------------
// Hostile files: each is one error naming it, and the good file is still fully checked.

/// A billion-laughs document: ten levels of ten aliases each.
fn alias_bomb() -> Vec<u8> {
    let mut text = String::from("on: push\njobs: {}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text.into_bytes()
}

fn hostile_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "invalid-utf8.yml",
            b"on: push\njobs:\n  build:\n    runs-on: \xff\xfe ubuntu\n".to_vec(),
        ),
        ("alias-bomb.yml", alias_bomb()),
        ("deep.yml", "[".repeat(20_000).into_bytes()),
        ("x.yml", {
            let mut bytes = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
            bytes.extend((0..=255u8).cycle().take(4096));
            bytes
        }),
        (
            "unparseable.yml",
            b"on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: [\n      - run: x\n"
                .to_vec(),
        ),
    ]
}

fn good_file_baseline() -> Vec<(String, String, u64)> {
    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    let (exit, report) = repo.check_json(&[]);
    assert_eq!(exit, EXIT_FINDINGS);
    finding_keys(&report)
}

#[test]
fn each_hostile_file_is_one_error_and_the_good_file_is_still_checked() {
    let baseline = good_file_baseline();
    assert!(baseline.len() >= 4);
    for (name, bytes) in hostile_files() {
        let path = format!(".github/workflows/{name}");
        let repo = repo_of(&[workflow("deploy.yml", DEPLOY), (path.clone(), bytes)]);
        let (exit, report) = repo.check_json(&[]);
        assert_eq!(exit, EXIT_TROUBLE, "{name}: {report:#}");
        let errors = errors(&report);
        assert_eq!(errors.len(), 1, "{name}: {errors:#?}");
        assert_eq!(errors[0]["path"], path.as_str(), "{name}");
        assert!(
            !errors[0]["message"].as_str().unwrap_or_default().is_empty(),
            "{name}"
        );
        assert_eq!(finding_keys(&report), baseline, "{name}");

        // Named on the command line, the file is still an error and not a crash.
        let (exit, report) = repo.check_json(&[&path]);
        assert_eq!(exit, EXIT_TROUBLE, "{name} named explicitly");
        assert_eq!(support::errors(&report).len(), 1, "{name} named explicitly");
    }
}

#[test]
fn all_hostile_files_together() {
    let baseline = good_file_baseline();
    let mut files = vec![workflow("deploy.yml", DEPLOY)];
    for (name, bytes) in hostile_files() {
        files.push((format!(".github/workflows/{name}"), bytes));
    }
    let repo = repo_of(&files);
    let output = repo.check(&[]);
    assert_eq!(code(&output), EXIT_TROUBLE);
    let text = stdout(&output);
    for (name, _) in hostile_files() {
        let shown = format!("error: .github/workflows/{name}");
        assert_eq!(text.matches(&shown).count(), 1, "{name}:\n{text}");
    }
    assert!(text.trim_end().ends_with("; 5 file errors"), "{text}");
    let (_, report) = repo.check_json(&[]);
    assert_eq!(finding_keys(&report), baseline);
}

#[test]
fn parse_errors_carry_a_line_and_column() {
    let repo = repo_of(&[(
        ".github/workflows/broken.yml".into(),
        b"on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n   steps: oops: no\n".to_vec(),
    )]);
    let (exit, report) = repo.check_json(&[]);
    assert_eq!(exit, EXIT_TROUBLE);
    let error = &errors(&report)[0];
    assert_eq!(error["path"], ".github/workflows/broken.yml");
    assert_eq!(error["line"], 5, "{error:#}");
    assert!(error["column"].as_u64().is_some());
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_an_error_and_the_rest_is_checked() {
    use std::os::unix::fs::PermissionsExt;
    let repo = repo_of(&[
        workflow("deploy.yml", DEPLOY),
        workflow("secret.yml", CLEAN),
    ]);
    let locked = repo.join(".github/workflows/secret.yml");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&locked).is_ok() {
        // Root reads anything; nothing to test here.
        println!("skipped: running as a user who can read a mode-000 file");
        return;
    }
    let (exit, report) = repo.check_json(&[]);
    assert_eq!(exit, EXIT_TROUBLE);
    assert_eq!(errors(&report).len(), 1);
    assert_eq!(errors(&report)[0]["path"], ".github/workflows/secret.yml");
    assert_eq!(finding_keys(&report), good_file_baseline());
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang() {
    let repo = repo_of(&[workflow("deploy.yml", DEPLOY)]);
    std::fs::create_dir_all(repo.join("a/b")).expect("mkdir");
    std::os::unix::fs::symlink("..", repo.join("a/b/up")).expect("symlink");
    std::os::unix::fs::symlink("self", repo.join("a/self")).expect("symlink");
    std::os::unix::fs::symlink(repo.path(), repo.join(".github/root")).expect("symlink");
    // support::tollgate() sets a timeout, so a hang fails rather than stalls.
    let output = repo.check(&["--format", "json"]);
    assert!(
        [EXIT_FINDINGS, EXIT_TROUBLE].contains(&code(&output)),
        "{}",
        stderr(&output)
    );
    let report = support::json(&output);
    assert_eq!(finding_keys(&report), good_file_baseline());
    // A loop named on the command line is an error, not a hang.
    let output = repo.check(&["--format", "json", "a/self"]);
    assert_eq!(code(&output), EXIT_TROUBLE);
}
