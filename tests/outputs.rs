//! End-to-end tests of the four output formats, run on the real binary (issue 2, section 7).

// `cfg(test)` marks the helpers as test code, where clippy.toml allows `expect` and `panic`.
#![cfg(test)]

#[path = "fixtures/e2e/support.rs"]
mod support;

use std::collections::BTreeSet;

use regex::Regex;
use serde_json::Value;
use support::{CLEAN, DEPLOY, MEDIUM, Repo, code, json, stdout, tollgate};

const BROKEN: &str = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: [\n";

fn deploy_repo() -> Repo {
    Repo::with(&[
        (".github/workflows/deploy.yml", DEPLOY.as_bytes()),
        (".github/workflows/clean.yml", CLEAN.as_bytes()),
    ])
}

// ---------------------------------------------------------------------------------------------
// SARIF

#[test]
fn sarif_with_findings_validates_against_the_schema() {
    let Some(shared) = support::shared() else {
        return;
    };
    let repo = deploy_repo();
    let output = repo.check(&["--format", "sarif"]);
    assert_eq!(code(&output), 1, "{}", support::stderr(&output));
    let sarif = json(&output);
    support::check_sarif(&shared, &sarif);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for result in results {
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            ".github/workflows/deploy.yml"
        );
    }
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

#[test]
fn sarif_with_a_file_error_validates_and_reports_the_error() {
    let Some(shared) = support::shared() else {
        return;
    };
    let repo = deploy_repo();
    repo.write(".github/workflows/broken.yml", BROKEN);
    let output = repo.check(&["--format", "sarif"]);
    assert_eq!(code(&output), 2, "{}", support::stderr(&output));
    let sarif = json(&output);
    support::check_sarif(&shared, &sarif);
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notifications.len(), 1, "{notifications:#?}");
    let location = &notifications[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        ".github/workflows/broken.yml"
    );
    assert!(location["region"]["startLine"].as_u64().is_some());
    // The good file is still scanned.
    assert!(
        !sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .is_empty()
    );
}

/// The validator is not a rubber stamp: a document the schema forbids is caught.
#[test]
fn sarif_schema_check_rejects_a_broken_document() {
    let Some(shared) = support::shared() else {
        return;
    };
    let output = deploy_repo().check(&["--format", "sarif"]);
    let mut sarif = json(&output);
    assert!(support::schema_problems(&shared, &sarif).is_empty());
    sarif["runs"][0]["results"][0]["level"] = "fatal".into();
    sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    let problems = support::schema_problems(&shared, &sarif);
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

#[test]
fn sarif_uris_are_percent_encoded_and_relative() {
    let Some(shared) = support::shared() else {
        return;
    };
    let repo = Repo::with(&[(".github/workflows/my deploy#1.yml", DEPLOY.as_bytes())]);
    let output = repo.check(&["--format", "sarif"]);
    let sarif = json(&output);
    support::check_sarif(&shared, &sarif);
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".github/workflows/my%20deploy%231.yml"
    );
}

// ---------------------------------------------------------------------------------------------
// JSON

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

#[test]
fn json_field_names_are_the_contract() {
    let repo = deploy_repo();
    repo.write(".github/workflows/broken.yml", BROKEN);
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 2);
    assert_eq!(
        keys(&report),
        set(&["version", "findings", "errors", "summary"])
    );
    assert_eq!(report["version"], 1);

    let finding_fields = set(&[
        "rule",
        "severity",
        "message",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "fingerprint",
        "related",
    ]);
    let findings = support::findings(&report);
    assert!(!findings.is_empty());
    let mut saw_related = false;
    for finding in findings {
        assert_eq!(keys(finding), finding_fields, "{finding:#}");
        for field in ["rule", "severity", "message", "path", "fingerprint"] {
            assert!(finding[field].is_string(), "{field} in {finding:#}");
        }
        for field in ["line", "column", "end_line", "end_column"] {
            assert!(finding[field].as_u64().is_some_and(|n| n >= 1), "{field}");
        }
        assert!(
            ["high", "medium", "low", "info"].contains(&finding["severity"].as_str().unwrap_or(""))
        );
        let (line, column) = (&finding["line"], &finding["column"]);
        let (end_line, end_column) = (&finding["end_line"], &finding["end_column"]);
        assert!(
            (end_line.as_u64(), end_column.as_u64()) >= (line.as_u64(), column.as_u64()),
            "end before start in {finding:#}"
        );
        for related in finding["related"].as_array().expect("related is an array") {
            saw_related = true;
            for field in ["path", "line", "column", "message"] {
                assert!(!related[field].is_null(), "related.{field}");
            }
        }
    }
    assert!(saw_related, "unprotected-deploy names its job as related");

    let errors = support::errors(&report);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        keys(&errors[0]),
        set(&["path", "line", "column", "message"])
    );
    assert_eq!(errors[0]["path"], ".github/workflows/broken.yml");
    assert!(errors[0]["line"].as_u64().is_some());

    let summary = &report["summary"];
    assert_eq!(summary["findings"].as_u64(), Some(findings.len() as u64));
    assert_eq!(summary["errors"], 1);
    // The broken workflow is still read as text for secret detection, so it counts as scanned.
    assert_eq!(summary["files_scanned"], 3);
}

#[test]
fn json_on_a_clean_repository_is_empty_and_exits_0() {
    let repo = Repo::with(&[(".github/workflows/clean.yml", CLEAN.as_bytes())]);
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(report["version"], 1);
    assert!(support::findings(&report).is_empty());
    assert!(support::errors(&report).is_empty());
}

// ---------------------------------------------------------------------------------------------
// GitHub workflow commands

fn command_line() -> Regex {
    Regex::new(
        r"^::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=[^,:]+::.+$",
    )
    .expect("regex")
}

#[test]
fn github_commands_have_every_property() {
    let repo = deploy_repo();
    let output = repo.check(&["--format", "github"]);
    assert_eq!(code(&output), 1);
    let text = stdout(&output);
    let pattern = command_line();
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(pattern.is_match(line), "not a workflow command: {line}");
        assert!(line.contains("file=.github/workflows/deploy.yml,"));
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::error ") && l.contains("template-injection"))
    );
}

/// Escaping per actions/toolkit `command.ts`: `%`, CR and LF in the message; also `:` and `,`
/// in property values.
#[cfg(unix)]
#[test]
fn github_commands_escape_data_and_properties() {
    // A job id carrying `%`, CR and LF reaches the message; a file name with `,`, `:` and `%`
    // reaches the `file` property.
    let workflow = MEDIUM.replace("  lint:", "  \"lint 100%\\r\\nnow\":");
    let repo = Repo::with(&[(".github/workflows/a,b:50%.yml", workflow.as_bytes())]);
    let output = repo.check(&["--format", "github"]);
    assert_eq!(code(&output), 1, "{}", support::stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one command, on one line:\n{text}");
    let line = lines[0];
    assert!(
        line.starts_with("::warning file=.github/workflows/a%2Cb%3A50%25.yml,line=5,col="),
        "{line}"
    );
    assert!(line.contains("lint 100%25%0D%0Anow"), "{line}");
    assert!(command_line().is_match(line), "{line}");
}

#[test]
fn github_commands_report_errors_with_escaped_paths() {
    let repo = Repo::with(&[(".github/workflows/clean.yml", CLEAN.as_bytes())]);
    let output = repo.check(&["--format", "github", ".", "missing,50%:x"]);
    assert_eq!(code(&output), 2);
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|l| l.starts_with("::error file=missing%2C50%25%3Ax,title=")),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// human

#[test]
fn human_shows_a_code_frame_and_a_summary_without_colour_off_a_terminal() {
    let repo = deploy_repo();
    let summary_line =
        Regex::new(r"^\d+ findings? \(.*high.*\) in 2 files scanned; 0 file errors$")
            .expect("regex");
    for no_color in [false, true] {
        let mut cmd = tollgate();
        cmd.current_dir(repo.path()).arg("check");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let output = support::run(&mut cmd);
        assert_eq!(code(&output), 1);
        let text = stdout(&output);
        assert!(!text.contains('\u{1b}'), "ANSI escape in:\n{text}");
        // The offending source line, with its line number, under the file and position.
        assert!(
            text.contains("--> .github/workflows/deploy.yml:18:"),
            "{text}"
        );
        assert!(
            text.contains(
                "18 |       - run: echo \"deploying ${{ github.event.head_commit.message }}\""
            ),
            "{text}"
        );
        assert!(text.contains("^^^^"), "{text}");
        // The summary line, then the per-rule tally.
        let summary = text
            .lines()
            .find(|l| l.contains(" files scanned; "))
            .unwrap_or_default();
        assert!(summary_line.is_match(summary), "summary line: {summary}");
    }
}

/// Colour is on at a terminal and off with `NO_COLOR`; `script` gives the run a terminal.
#[cfg(unix)]
#[test]
fn human_colours_only_at_a_terminal_without_no_color() {
    let script_ok = std::process::Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !script_ok {
        println!("skipped: util-linux `script` is not available to provide a terminal");
        return;
    }
    let repo = deploy_repo();
    let binary = env!("CARGO_BIN_EXE_tollgate");
    let run_at_terminal = |no_color: bool| {
        let mut cmd = std::process::Command::new("script");
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("TERM", "xterm")
            .current_dir(repo.path())
            .args(["-qec", &format!("'{binary}' check"), "/dev/null"]);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let output = cmd.output().expect("script runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let coloured = run_at_terminal(false);
    assert!(coloured.contains("deploy.yml"), "{coloured}");
    assert!(coloured.contains('\u{1b}'), "no colour at a terminal");
    let plain = run_at_terminal(true);
    assert!(plain.contains("deploy.yml"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "colour despite NO_COLOR");
}

#[test]
fn human_lists_file_errors_and_counts_them() {
    let repo = deploy_repo();
    repo.write(".github/workflows/broken.yml", BROKEN);
    let output = repo.check(&[]);
    assert_eq!(code(&output), 2);
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|l| l.starts_with("error: .github/workflows/broken.yml:")),
        "{text}"
    );
    // The summary line, then the per-rule tally.
    assert!(
        text.lines().any(|l| l.ends_with("; 1 file error")),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Fingerprints

/// `(rule, message)` → fingerprint, with the line each finding was on.
fn fingerprints(report: &Value) -> Vec<(String, String, String, u64)> {
    let mut out: Vec<_> = support::findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
                f["fingerprint"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn fingerprints_survive_unrelated_lines_above() {
    let before = Repo::with(&[(".github/workflows/deploy.yml", DEPLOY.as_bytes())]);
    let shifted = DEPLOY.replacen(
        "name: deploy\n",
        "name: deploy\n# A comment someone added.\n\nenv:\n  TZ: UTC\n  LANG: C\n",
        1,
    );
    let after = Repo::with(&[(".github/workflows/deploy.yml", shifted.as_bytes())]);
    let (_, old) = before.check_json(&[]);
    let (_, new) = after.check_json(&[]);
    let old = fingerprints(&old);
    let new = fingerprints(&new);
    assert_eq!(old.len(), new.len(), "{old:#?}\n{new:#?}");
    assert!(!old.is_empty());
    for (o, n) in old.iter().zip(&new) {
        assert_eq!((&o.0, &o.1, &o.2), (&n.0, &n.1, &n.2), "fingerprint moved");
        assert_eq!(n.3, o.3 + 5, "the finding itself moved down five lines");
    }
    let unique: BTreeSet<_> = old.iter().map(|f| &f.2).collect();
    assert_eq!(unique.len(), old.len(), "fingerprints are distinct");
}

#[test]
fn markdown_counts_by_rule_and_lists_errors_without_links_off_github() {
    let repo = deploy_repo();
    repo.write(".github/workflows/broken.yml", BROKEN);
    let output = repo.check(&["--format", "markdown"]);
    assert_eq!(code(&output), 2);
    let text = stdout(&output);
    assert!(text.starts_with("## tollgate\n"), "{text}");
    assert!(text.contains("| **total** |"), "{text}");
    // Without GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_SHA there is nothing to link to.
    assert!(!text.contains("](http"), "{text}");
    assert!(text.contains("| high | `template-injection` | `.github/workflows/deploy.yml:"));
    assert!(
        text.contains("### Files that could not be checked\n\n- `.github/workflows/broken.yml:")
    );
}

#[test]
fn also_writes_other_formats_from_the_same_run() {
    let repo = deploy_repo();
    let output = repo.check(&[
        "--format",
        "json",
        "--also",
        "sarif=tollgate.sarif",
        "--also",
        "markdown=summary.md",
    ]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("tollgate.sarif")).unwrap_or_default(),
    )
    .expect("SARIF written");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        support::findings(&report).len().into()
    );
    let summary = std::fs::read_to_string(repo.join("summary.md")).unwrap_or_default();
    assert!(summary.contains(&format!(
        "**{} findings**",
        support::findings(&report).len()
    )));
}
