//! Per-rule fixtures for the workflow rules (STYLE.md habit 11).
//!
//! Each folder under `tests/fixtures/workflow/` is named after one rule id and holds a small
//! repository: `fires*` files, where every case is labelled `# NOT OK:` and must be reported,
//! and `quiet*` files (safe twins, labelled `# OK:`) where the rule must stay silent. A
//! `tollgate.yml` in a folder shows how the config changes the rule; folders without one are
//! checked with `tests/fixtures/workflow/tollgate.yml` (the defaults).
//!
//! A label covers its own line and the lines after it, up to the next label or
//! [`LABEL_REACH`] lines. `# NOT OK (medium):` also pins the severity of the findings it covers.
//! Besides the snapshot, each test checks the labels both ways: every `# NOT OK` case has a
//! finding, and every finding sits under a `# NOT OK` label.

// `cfg(test)` marks the helpers as test code, where clippy.toml allows `expect` and `panic`.
#![cfg(test)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tollgate::engine::{self, CheckOptions, Report};
use tollgate::finding::{Finding, Severity};

/// How many lines a label reaches: the labelled construct plus a few lines of its body.
const LABEL_REACH: usize = 8;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workflow")
}

/// The fixture folders, one per rule; a folder without a test here is a mistake.
const FOLDERS: [&str; 17] = [
    "cache-poisoning",
    "checkout-credentials-persisted",
    "dangerous-trigger",
    "excessive-permissions",
    "github-env-injection",
    "insecure-commands",
    "long-ttl",
    "secrets-exposed",
    "secrets-outside-environment",
    "self-hosted-runner",
    "spoofable-bot-condition",
    "standing-credentials",
    "suppression-without-reason",
    "template-injection",
    "unpinned-action",
    "unpinned-image",
    "unprotected-deploy",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Fires,
    Quiet,
}

struct Label {
    line: usize,
    /// Last line the label covers, inclusive.
    last: usize,
    fires: bool,
    severity: Option<Severity>,
    text: String,
}

/// The `# NOT OK` / `# OK` labels of a fixture file and the lines each covers.
fn labels(text: &str) -> Vec<Label> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found: Vec<Label> = lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| {
            // `# NOT OK:`, `# NOT OK (medium):` or `# OK:`; a mention such as "each `# NOT OK`
            // case" in prose is not a label.
            let (fires, rest) = if let Some(at) = line.find("# NOT OK") {
                (true, line[at + "# NOT OK".len()..].trim_start())
            } else if let Some(at) = line.find("# OK:") {
                (false, &line[at + "# OK".len()..])
            } else {
                return None;
            };
            let (severity, rest) = match rest.strip_prefix('(').and_then(|r| r.split_once(')')) {
                Some((severity, rest)) => (
                    Some(Severity::parse(severity.trim()).expect("severity in a label")),
                    rest,
                ),
                None => (None, rest),
            };
            if !rest.starts_with(':') {
                return None;
            }
            Some(Label {
                line: index + 1,
                last: 0,
                fires,
                severity,
                text: line.trim().to_string(),
            })
        })
        .collect();
    let starts: Vec<usize> = found.iter().map(|l| l.line).collect();
    for (k, label) in found.iter_mut().enumerate() {
        let next = starts.get(k + 1).map_or(usize::MAX, |n| n - 1);
        label.last = next.min(label.line + LABEL_REACH).min(lines.len());
    }
    found
}

/// Whether a fixture file is a firing case or a safe twin, from its name or its folder's.
fn expectation(relative: &Path) -> Expect {
    let fires = relative
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with("fires"));
    let quiet = relative
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with("quiet"));
    match (fires, quiet) {
        (true, false) => Expect::Fires,
        (false, true) => Expect::Quiet,
        _ => panic!(
            "{}: a fixture's name (or its folder's) must start with `fires` or `quiet`",
            relative.display()
        ),
    }
}

/// Every YAML fixture under `folder` except its config, relative to `folder`.
fn fixture_files(folder: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("fixture folder") {
            let path = entry.expect("fixture entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml")
                && path.file_name().is_some_and(|n| n != "tollgate.yml")
            {
                out.push(path.strip_prefix(base).expect("under base").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(folder, folder, &mut out);
    out.sort();
    out
}

/// The finding's path relative to the fixture folder, whatever the scan root was.
fn relative_path(report: &Report, folder: &Path, finding: &Finding) -> PathBuf {
    let absolute = report.root.join(&finding.region.path);
    absolute
        .strip_prefix(folder)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| PathBuf::from(&finding.region.path))
}

fn render(report: &Report, folder: &Path, findings: &[&Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let r = &f.region;
        let _ = writeln!(
            out,
            "{}:{}:{}-{}:{} {} {} {}",
            relative_path(report, folder, f).display(),
            r.line,
            r.column,
            r.end_line,
            r.end_column,
            f.severity,
            f.rule,
            f.message
        );
    }
    out
}

/// Runs the engine on one fixture folder and checks it, keeping only `rules`' findings.
/// Returns the compact rendering for the snapshot.
fn check_fixture(name: &str, rules: &[&str]) -> String {
    let folder = fixtures().join(name);
    let own_config = folder.join("tollgate.yml");
    let config = (!own_config.is_file()).then(|| fixtures().join("tollgate.yml"));
    let report = engine::check(&CheckOptions {
        paths: vec![folder.clone()],
        config,
        ..CheckOptions::default()
    });
    let errors: Vec<String> = report
        .errors
        .iter()
        .map(|e| format!("{}:{:?}: {}", e.path, e.line, e.message))
        .collect();
    assert!(errors.is_empty(), "{name}: errors: {errors:#?}");
    let findings: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| rules.contains(&f.rule))
        .collect();

    let files = fixture_files(&folder);
    let mut seen = (false, false);
    let mut problems = Vec::new();
    for file in &files {
        let expect = expectation(file);
        match expect {
            Expect::Fires => seen.0 = true,
            Expect::Quiet => seen.1 = true,
        }
        let text = std::fs::read_to_string(folder.join(file)).expect("fixture text");
        let labels = labels(&text);
        let in_file: Vec<&&Finding> = findings
            .iter()
            .filter(|f| relative_path(&report, &folder, f) == *file)
            .collect();
        let shown = file.display();
        if expect == Expect::Quiet {
            for label in labels.iter().filter(|l| l.fires) {
                problems.push(format!(
                    "{shown}:{}: `# NOT OK` in a quiet file",
                    label.line
                ));
            }
            for f in &in_file {
                problems.push(format!(
                    "{shown}:{}: reported in a quiet file: {}",
                    f.region.line, f.message
                ));
            }
            continue;
        }
        if !labels.iter().any(|l| l.fires) {
            problems.push(format!("{shown}: a fires file without `# NOT OK` cases"));
        }
        for label in labels.iter().filter(|l| l.fires) {
            let covered: Vec<&&&Finding> = in_file
                .iter()
                .filter(|f| (label.line..=label.last).contains(&f.region.line))
                .collect();
            if covered.is_empty() {
                problems.push(format!(
                    "{shown}:{}: missed (nothing reported on lines {}-{}): {}",
                    label.line, label.line, label.last, label.text
                ));
            }
            if let Some(severity) = label.severity {
                for f in covered.iter().filter(|f| f.severity != severity) {
                    problems.push(format!(
                        "{shown}:{}: expected {severity}, got {}: {}",
                        f.region.line, f.severity, f.message
                    ));
                }
            }
        }
        for f in &in_file {
            let under = labels
                .iter()
                .find(|l| (l.line..=l.last).contains(&f.region.line));
            match under {
                Some(label) if label.fires => {}
                Some(label) => problems.push(format!(
                    "{shown}:{}: reported under `# OK` (line {}): {}",
                    f.region.line, label.line, f.message
                )),
                None => problems.push(format!(
                    "{shown}:{}: reported outside any `# NOT OK` label: {}",
                    f.region.line, f.message
                )),
            }
        }
    }
    assert!(seen.0, "{name}: no fires fixture");
    assert!(seen.1, "{name}: no quiet fixture");
    assert!(
        problems.is_empty(),
        "{name}: fixture labels disagree with findings:\n{}\n\nall findings:\n{}",
        problems.join("\n"),
        render(&report, &folder, &findings)
    );
    render(&report, &folder, &findings)
}

#[test]
fn every_fixture_folder_is_tested() {
    let mut present: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    assert_eq!(present, FOLDERS);
}

#[test]
fn labels_cover_the_lines_after_them() {
    let text = "a\n# NOT OK (medium): x\nb\n# OK: y\nc\n";
    let found = labels(text);
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].line, found[0].last), (2, 3));
    assert_eq!(found[0].severity, Some(Severity::Medium));
    assert!(found[0].fires && !found[1].fires);
    assert_eq!((found[1].line, found[1].last), (4, 5));
}

#[test]
fn standing_credentials() {
    insta::assert_snapshot!(check_fixture(
        "standing-credentials",
        &["standing-credentials"]
    ));
}

#[test]
fn unprotected_deploy() {
    insta::assert_snapshot!(check_fixture("unprotected-deploy", &["unprotected-deploy"]));
}

#[test]
fn unprotected_deploy_points_at_the_job_too() {
    let folder = fixtures().join("unprotected-deploy");
    let report = engine::check(&CheckOptions {
        paths: vec![folder],
        config: Some(fixtures().join("tollgate.yml")),
        ..CheckOptions::default()
    });
    let findings: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == "unprotected-deploy")
        .collect();
    assert!(!findings.is_empty());
    for f in findings {
        assert!(
            f.related.iter().any(|r| r.message.starts_with("job `")),
            "{}:{}: no related job location",
            f.region.path,
            f.region.line
        );
    }
}

#[test]
fn long_ttl() {
    insta::assert_snapshot!(check_fixture("long-ttl", &["long-ttl"]));
}

#[test]
fn excessive_permissions() {
    insta::assert_snapshot!(check_fixture(
        "excessive-permissions",
        &["excessive-permissions"]
    ));
}

#[test]
fn unpinned_action() {
    insta::assert_snapshot!(check_fixture("unpinned-action", &["unpinned-action"]));
}

#[test]
fn template_injection() {
    insta::assert_snapshot!(check_fixture("template-injection", &["template-injection"]));
}

#[test]
fn dangerous_trigger() {
    insta::assert_snapshot!(check_fixture("dangerous-trigger", &["dangerous-trigger"]));
}

/// The suppressed rule is kept too: a reasoned suppression hides its finding, one without a
/// reason hides nothing and is reported itself.
#[test]
fn suppression_without_reason() {
    insta::assert_snapshot!(check_fixture(
        "suppression-without-reason",
        &["suppression-without-reason", "unpinned-action"]
    ));
}

#[test]
fn cache_poisoning() {
    insta::assert_snapshot!(check_fixture("cache-poisoning", &["cache-poisoning"]));
}

#[test]
fn checkout_credentials_persisted() {
    insta::assert_snapshot!(check_fixture(
        "checkout-credentials-persisted",
        &["checkout-credentials-persisted"]
    ));
}

#[test]
fn github_env_injection() {
    insta::assert_snapshot!(check_fixture(
        "github-env-injection",
        &["github-env-injection"]
    ));
}

#[test]
fn insecure_commands() {
    insta::assert_snapshot!(check_fixture("insecure-commands", &["insecure-commands"]));
}

#[test]
fn secrets_exposed() {
    insta::assert_snapshot!(check_fixture("secrets-exposed", &["secrets-exposed"]));
}

#[test]
fn secrets_outside_environment() {
    insta::assert_snapshot!(check_fixture(
        "secrets-outside-environment",
        &["secrets-outside-environment"]
    ));
}

#[test]
fn self_hosted_runner() {
    insta::assert_snapshot!(check_fixture("self-hosted-runner", &["self-hosted-runner"]));
}

#[test]
fn spoofable_bot_condition() {
    insta::assert_snapshot!(check_fixture(
        "spoofable-bot-condition",
        &["spoofable-bot-condition"]
    ));
}

#[test]
fn unpinned_image() {
    insta::assert_snapshot!(check_fixture("unpinned-image", &["unpinned-image"]));
}
