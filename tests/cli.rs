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

/// Nesting far deeper than any parser should recurse, in each format tollgate parses.
const DEEP: usize = 20_000;

/// Hostile files by repository path: each must be one error naming it.
fn hostile_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            ".github/workflows/invalid-utf8.yml",
            b"on: push\njobs:\n  build:\n    runs-on: \xff\xfe ubuntu\n".to_vec(),
        ),
        (".github/workflows/alias-bomb.yml", alias_bomb()),
        (".github/workflows/deep.yml", "[".repeat(DEEP).into_bytes()),
        (".github/workflows/x.yml", {
            let mut bytes = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
            bytes.extend((0..=255u8).cycle().take(4096));
            bytes
        }),
        (
            ".github/workflows/unparseable.yml",
            b"on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: [\n      - run: x\n"
                .to_vec(),
        ),
        (
            "iam/deep.json",
            format!(
                "{{\"Version\": \"2012-10-17\", \"Statement\": {}{}}}",
                "[".repeat(DEEP),
                "]".repeat(DEEP)
            )
            .into_bytes(),
        ),
        (
            "infra/deep.tf",
            format!("locals {{\n  x = {}1{}\n}}\n", "[".repeat(DEEP), "]".repeat(DEEP)).into_bytes(),
        ),
        (
            "infra/deep-blocks.tf",
            format!("{}{}", "b {\n".repeat(DEEP), "}\n".repeat(DEEP)).into_bytes(),
        ),
        (
            "vault/deep.hcl",
            format!(
                "path \"secret/*\" {}{}\n",
                "{ a ".repeat(DEEP),
                "}".repeat(DEEP)
            )
            .into_bytes(),
        ),
        (
            ".github/workflows/huge.yml",
            // 50 MB: refused from its size, never read into memory.
            {
                let mut bytes = b"on: push\njobs:\n".to_vec();
                bytes.resize(50 * 1024 * 1024, b'#');
                bytes
            },
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
    for (path, bytes) in hostile_files() {
        let repo = repo_of(&[workflow("deploy.yml", DEPLOY), (path.to_string(), bytes)]);
        let (exit, report) = repo.check_json(&[]);
        assert_eq!(exit, EXIT_TROUBLE, "{path}: {report:#}");
        let errors = errors(&report);
        assert_eq!(errors.len(), 1, "{path}: {errors:#?}");
        assert_eq!(errors[0]["path"], path, "{path}");
        assert!(
            !errors[0]["message"].as_str().unwrap_or_default().is_empty(),
            "{path}"
        );
        assert_eq!(finding_keys(&report), baseline, "{path}");

        // Named on the command line, the file is still an error and not a crash.
        let (exit, report) = repo.check_json(&[path]);
        assert_eq!(exit, EXIT_TROUBLE, "{path} named explicitly");
        assert_eq!(support::errors(&report).len(), 1, "{path} named explicitly");
    }
}

fn hostile_repo() -> Repo {
    let mut files = vec![workflow("deploy.yml", DEPLOY)];
    for (path, bytes) in hostile_files() {
        files.push((path.to_string(), bytes));
    }
    repo_of(&files)
}

#[test]
fn all_hostile_files_together() {
    let baseline = good_file_baseline();
    let repo = hostile_repo();
    let output = repo.check(&[]);
    assert_eq!(code(&output), EXIT_TROUBLE);
    let text = stdout(&output);
    let hostile = hostile_files();
    for (path, _) in &hostile {
        let shown = format!("error: {path}");
        assert_eq!(text.matches(&shown).count(), 1, "{path}:\n{text}");
    }
    let ending = format!("; {} file errors", hostile.len());
    // The summary line (the per-rule tally follows it).
    assert!(text.lines().any(|l| l.ends_with(&ending)), "{text}");
    let (_, report) = repo.check_json(&[]);
    assert_eq!(finding_keys(&report), baseline);
}

/// Issue 7: hostile inputs beside a good file stay under 10 s and 1 GB. Measured with
/// `/usr/bin/time` (GNU) when present, else wall time only.
#[cfg(unix)]
#[test]
fn hostile_files_stay_within_time_and_memory() {
    let repo = hostile_repo();
    let time = std::path::Path::new("/usr/bin/time");
    let report = repo.join("time.txt");
    let started = std::time::Instant::now();
    let mut cmd = if time.is_file() {
        let mut cmd = assert_cmd::Command::new(time);
        cmd.arg("-f")
            .arg("%e %M")
            .arg("-o")
            .arg(&report)
            .arg(env!("CARGO_BIN_EXE_tollgate"));
        cmd
    } else {
        println!("/usr/bin/time not found: measuring wall time only");
        assert_cmd::Command::new(env!("CARGO_BIN_EXE_tollgate"))
    };
    cmd.env_clear()
        .current_dir(repo.path())
        .args(["check", "--format", "json"])
        .timeout(std::time::Duration::from_secs(60));
    let output = support::run(&mut cmd);
    let elapsed = started.elapsed();
    assert_eq!(code(&output), EXIT_TROUBLE);
    assert!(elapsed.as_secs_f64() < 10.0, "took {elapsed:?}");
    if let Ok(measured) = std::fs::read_to_string(&report) {
        // GNU time says "Command exited with non-zero status 2" first; the figures are last.
        let fields: Vec<f64> = measured
            .lines()
            .last()
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        let [seconds, max_rss_kb] = fields[..] else {
            panic!("unexpected /usr/bin/time output: {measured}");
        };
        println!("hostile repository: {seconds} s, {max_rss_kb} KB peak RSS");
        assert!(seconds < 10.0, "{seconds} s");
        assert!(max_rss_kb < 1024.0 * 1024.0, "{max_rss_kb} KB");
    }
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

/// `check --format json` as a user whom permission bits stop. Root reads anything, so as root
/// the binary runs as `nobody` through `setpriv` (util-linux); `None`, after saying the test is
/// skipped, when neither is possible.
#[cfg(unix)]
fn check_json_unprivileged(
    repo: &Repo,
    locked: &std::path::Path,
) -> Option<(i32, serde_json::Value)> {
    use std::os::unix::fs::PermissionsExt;
    if std::fs::read_dir(locked).is_err() && std::fs::read(locked).is_err() {
        return Some(repo.check_json(&[]));
    }
    let setpriv = std::path::Path::new("/usr/bin/setpriv");
    if !setpriv.is_file() {
        println!("skipped: running as root without setpriv to drop privileges");
        return None;
    }
    // `nobody` must reach the repository (a private temporary folder) and read its files.
    std::fs::set_permissions(repo.path(), std::fs::Permissions::from_mode(0o755)).ok()?;
    let mut cmd = assert_cmd::Command::new(setpriv);
    cmd.env_clear()
        .current_dir(repo.path())
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", "--format", "json"])
        .timeout(std::time::Duration::from_secs(60));
    let output = support::run(&mut cmd);
    if ![0, 1, 2].contains(&code(&output)) {
        println!(
            "skipped: could not run tollgate as nobody: {}",
            stderr(&output)
        );
        return None;
    }
    Some((code(&output), support::json(&output)))
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
    let Some((exit, report)) = check_json_unprivileged(&repo, &locked) else {
        return;
    };
    assert_eq!(exit, EXIT_TROUBLE, "{report:#}");
    assert_eq!(errors(&report).len(), 1, "{report:#}");
    assert_eq!(errors(&report)[0]["path"], ".github/workflows/secret.yml");
    assert_eq!(finding_keys(&report), good_file_baseline());
}

#[cfg(unix)]
#[test]
fn unreadable_folder_is_an_error_and_the_rest_is_checked() {
    use std::os::unix::fs::PermissionsExt;
    let repo = repo_of(&[
        workflow("deploy.yml", DEPLOY),
        ("infra/private/roles.tf".into(), b"locals {}\n".to_vec()),
    ]);
    let locked = repo.join("infra/private");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let result = check_json_unprivileged(&repo, &locked);
    // Let the temporary folder be removed.
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let Some((exit, report)) = result else {
        return;
    };
    assert_eq!(exit, EXIT_TROUBLE, "{report:#}");
    assert_eq!(errors(&report).len(), 1, "{report:#}");
    assert_eq!(errors(&report)[0]["path"], "infra/private", "{report:#}");
    assert!(
        errors(&report)[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ermission denied")),
        "{report:#}"
    );
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
