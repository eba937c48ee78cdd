//! A hostile pull request cannot hide from tollgate, stall it or make it forge output (issue
//! 12; the reproducers of `../shared/research/hostile-input.md`, sections 1–4 and 6), through
//! the real binary. The big sizes of section 1 are in `benches/scaling.sh`.

// `cfg(test)` marks the helpers as test code, where clippy.toml allows `expect` and `panic`.
#![cfg(test)]

#[path = "fixtures/e2e/support.rs"]
mod support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use support::{code, run, stderr, stdout, tollgate};

const UNPINNED: &str = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: evil/act@v1\n";
const WILDCARD_TF: &str = "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({Statement=[{Effect=\"Allow\",Action=\"*\",Resource=\"*\"}]})\n}\n";

/// A real git repository (so tracked files are tracked), in a temporary folder.
struct Git {
    dir: tempfile::TempDir,
}

impl Git {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let git = Self { dir };
        git.git(&["init", "-q", "."]);
        git.git(&["config", "user.email", "t@example.com"]);
        git.git(&["config", "user.name", "t"]);
        git
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .current_dir(self.path())
            .args(args)
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    }

    fn write(&self, relative: impl AsRef<OsStr>, contents: &[u8]) {
        let path = self.path().join(relative.as_ref());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(path, contents).expect("write fixture");
    }

    fn tollgate(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = tollgate();
        cmd.current_dir(self.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(args);
        run(&mut cmd)
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

// ---------------------------------------------------------------------------------------------
// §4 discovery

#[test]
fn a_tracked_workflow_under_a_gitignore_is_scanned() {
    let repo = Git::new();
    repo.write(".github/workflows/evil.yml", UNPINNED.as_bytes());
    repo.write(".github/workflows/.gitignore", b"*\n");
    repo.write(".ignore", b"evil.yml\n");
    repo.git(&["add", "-f", ".github/workflows/evil.yml"]);
    // An untracked file the ignore files match is still dropped.
    repo.write(".github/workflows/untracked.yml", UNPINNED.as_bytes());
    for args in [
        vec!["check", ".", "--format", "github"],
        vec!["check", ".github", "--format", "github"],
    ] {
        let output = repo.tollgate(&args);
        let out = stdout(&output);
        assert!(out.contains("file=.github/workflows/evil.yml"), "{out}");
        assert!(!out.contains("untracked.yml"), "{out}");
        assert_eq!(code(&output), 1, "{out}");
    }
}

#[test]
fn non_utf8_names_are_scanned_escaped_and_distinct() {
    let repo = Git::new();
    repo.write(OsStr::from_bytes(b"infra/\xfe.tf"), WILDCARD_TF.as_bytes());
    repo.write(OsStr::from_bytes(b"infra/\x83/main.tf"), b"# benign\n");
    repo.write(
        OsStr::from_bytes(b"infra/\xff/main.tf"),
        WILDCARD_TF.as_bytes(),
    );
    let output = repo.tollgate(&["check", ".", "--format", "github"]);
    let out = stdout(&output);
    assert!(out.contains("file=infra/\\xfe.tf"), "{out}");
    assert!(out.contains("file=infra/\\xff/main.tf"), "{out}");
    assert_eq!(code(&output), 1, "{out}");
}

#[test]
fn special_files_are_errors_naming_them_and_never_read() {
    let repo = Git::new();
    repo.write(".github/workflows/ok.yml", UNPINNED.as_bytes());
    mkfifo(&repo.path().join("pipe.yml"));
    mkfifo(&repo.path().join("pipe.json"));
    for args in [
        vec!["check", "pipe.yml"],
        vec!["check", "."],
        vec!["check", "/dev/null"],
        vec!["check", "--changed-only", "pipe.yml"],
        vec!["check", "--baseline", "pipe.json", ".github"],
        vec!["check", "--config", "pipe.yml", ".github"],
        vec!["check", "--baseline", "/dev/zero", ".github"],
    ] {
        let output = repo.tollgate(&args);
        let err = stderr(&output) + &stdout(&output);
        assert_eq!(code(&output), 2, "{args:?}: {err}");
        assert!(
            err.contains("not a regular file") || err.contains("a device"),
            "{args:?}: {err}"
        );
    }
    if cfg!(feature = "drift") {
        let output = repo.tollgate(&["drift", "--merge", "pipe.json"]);
        assert_eq!(code(&output), 2, "{}", stderr(&output));
        assert!(stderr(&output).contains("not a regular file"));
    }
}

#[test]
fn symlinks_out_of_the_root_are_errors_naming_the_link() {
    let outside = tempfile::tempdir().expect("temporary folder");
    std::fs::write(outside.path().join("secret.yml"), "SECRET_MARKER=1\n").expect("write");
    let repo = Git::new();
    repo.write(".github/workflows/ok.yml", UNPINNED.as_bytes());
    std::os::unix::fs::symlink(
        outside.path().join("secret.yml"),
        repo.path().join(".github/workflows/e.yml"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink("/proc/self/environ", repo.path().join("env.yml")).expect("link");
    std::os::unix::fs::symlink("nowhere.yml", repo.path().join("dangling.yml")).expect("link");
    for args in [
        vec![
            "check",
            "--format",
            "human",
            "--changed-only",
            ".github/workflows/e.yml",
        ],
        vec!["check", "--format", "human", "env.yml"],
        vec!["check", "--format", "human", "."],
    ] {
        let output = repo.tollgate(&args);
        let all = stdout(&output) + &stderr(&output);
        assert_eq!(code(&output), 2, "{args:?}: {all}");
        assert!(
            !all.contains("SECRET_MARKER") && !all.contains("PATH="),
            "{all}"
        );
        assert!(all.contains("outside the scan root"), "{args:?}: {all}");
    }
    let output = repo.tollgate(&["check", "."]);
    assert!(stdout(&output).contains("dangling.yml: broken symbolic link"));
    // A link that stays inside the root is read under its own name.
    std::os::unix::fs::symlink("ok.yml", repo.path().join(".github/workflows/in.yml"))
        .expect("link");
    let output = repo.tollgate(&["check", "--format", "github", ".github"]);
    assert!(stdout(&output).contains("file=.github/workflows/in.yml"));
}

#[test]
fn reports_and_init_are_never_written_through_a_symlink() {
    let outside = tempfile::tempdir().expect("temporary folder");
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "precious").expect("write");
    let repo = Git::new();
    repo.write(".github/workflows/ok.yml", UNPINNED.as_bytes());
    std::os::unix::fs::symlink(&victim, repo.path().join("tollgate.sarif")).expect("link");
    std::os::unix::fs::symlink(
        outside.path().join("made.yml"),
        repo.path().join("tollgate.yml"),
    )
    .expect("link");
    for args in [
        vec!["check", ".github", "--also", "sarif=tollgate.sarif"],
        vec![
            "check",
            ".github",
            "--format",
            "sarif",
            "--output",
            "tollgate.sarif",
        ],
        vec!["baseline", ".github", "--output", "tollgate.sarif"],
        vec!["init"],
    ] {
        let output = repo.tollgate(&args);
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("symbolic link"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
    assert!(!outside.path().join("made.yml").exists());
}

// ---------------------------------------------------------------------------------------------
// §2 output injection

/// A workflow that does not parse, named to forge workflow commands and move the cursor.
const FORGED_NAME: &str = ".github/workflows/x\n::warning file=forged.yml,line=1::FORGED\n::add-mask::ubuntu\n\x1b[2K\r.yml";

#[test]
fn no_output_line_can_start_a_workflow_command_or_carry_escapes() {
    let repo = Git::new();
    repo.write(FORGED_NAME, b"on: push\njobs:\n  a:\n   b: [\n");
    repo.write(
        ".github/workflows/job.yml",
        "on: push\njobs:\n  \"x\\n::error file=README.md::forged\\n\\u001b[1A` [click](https://evil.example) <img src=x> `\":\n    runs-on: ubuntu-latest\n    steps:\n      - uses: \"evil/act@v1` [link2](https://evil.example/2) `\"\n".as_bytes(),
    );
    for format in ["github", "human", "markdown", "json", "sarif"] {
        let output = repo.tollgate(&["check", ".", "--format", format]);
        for (stream, text) in [("stdout", stdout(&output)), ("stderr", stderr(&output))] {
            for line in text.lines() {
                let is_own = format == "github" && stream == "stdout" && line.starts_with("::");
                assert!(
                    is_own || !line.trim_start().starts_with("::"),
                    "{format} {stream}: {line}"
                );
                assert!(
                    !line.contains('\x1b') && !line.contains('\r'),
                    "{format}: {line:?}"
                );
            }
            if format == "markdown" {
                assert!(!text.contains("](https://evil"), "{text}");
                assert!(!text.contains("<img"), "{text}");
            }
        }
        assert_eq!(code(&output), 2, "{format}");
    }
}

#[test]
fn sarif_uris_never_climb_out_of_the_root() {
    let repo = Git::new();
    repo.write("a/.git/keep", b"");
    repo.write("a/.github/workflows/w.yml", UNPINNED.as_bytes());
    repo.write("b/.github/workflows/w.yml", UNPINNED.as_bytes());
    let mut cmd = tollgate();
    cmd.current_dir(repo.path().join("a")).args([
        "check",
        ".",
        "../b/.github/workflows/w.yml",
        "--format",
        "sarif",
    ]);
    let output = run(&mut cmd);
    let out = stdout(&output);
    assert!(!out.contains("\"../"), "{out}");
    assert!(out.contains("\"file:///"), "{out}");
}

#[test]
fn paths_text_and_mermaid_labels_stay_on_their_line() {
    let repo = Git::new();
    repo.write(
        ".github/workflows/d.yml",
        b"on: push\njobs:\n  \"deploy\\n  \\u2192 environment production: fine\\n\\u001b[2K\":\n    runs-on: ubuntu-latest\n    environment: \"prod\\nforged\"\n    steps:\n      - run: terraform apply -auto-approve\n",
    );
    for format in ["text", "mermaid", "dot"] {
        let output = repo.tollgate(&["paths", ".", "--format", format]);
        let out = stdout(&output);
        assert!(!out.contains('\x1b'), "{out}");
        assert!(
            !out.lines()
                .any(|l| l.starts_with("  → environment production: fine")),
            "{out}"
        );
        assert!(!out.lines().any(|l| l.starts_with("forged")), "{out}");
    }
}

// ---------------------------------------------------------------------------------------------
// §6 config

#[test]
fn an_oversized_config_is_a_clear_error() {
    let repo = Git::new();
    repo.write(".github/workflows/ok.yml", UNPINNED.as_bytes());
    let globs: String = (0..200_000).map(|i| format!("  - \"g{i}/**\"\n")).collect();
    repo.write("tollgate.yml", format!("ignore:\n{globs}").as_bytes());
    let output = repo.tollgate(&["check", "."]);
    assert_eq!(code(&output), 2);
    let all = stdout(&output) + &stderr(&output);
    assert!(
        all.contains("tollgate.yml") && all.contains("more than the 1 MB"),
        "{all}"
    );
}

// ---------------------------------------------------------------------------------------------
// policy-weakened

const BASE_POLICY: &str = "max_credential_ttl: 1h\nrules:\n  unpinned-action:\n    severity: high\nenvironments:\n  \"prod*\":\n    min_reviewers: 2\n    deployment_branches: protected\nbreak_glass:\n  - role: bg\n    approvers: [sec]\n    max_ttl: 1h\n";

/// A repository whose base commit holds `BASE_POLICY` and a baseline of nothing; the change
/// then writes `policy` (and `baseline`, when given) and is checked against HEAD.
fn weakened(policy: &str, baseline_of_all: bool) -> Vec<String> {
    let repo = Git::new();
    repo.write(".github/workflows/w.yml", UNPINNED.as_bytes());
    repo.write("tollgate.yml", BASE_POLICY.as_bytes());
    repo.write(
        "baseline.json",
        b"{\n  \"version\": 1,\n  \"generated_by\": \"t\",\n  \"findings\": []\n}\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "base"]);
    repo.write("tollgate.yml", policy.as_bytes());
    if baseline_of_all {
        let output = repo.tollgate(&["baseline", ".", "--output", "baseline.json"]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
    }
    let output = repo.tollgate(&[
        "check",
        "--changed-only",
        "--base",
        "HEAD",
        "--baseline",
        "baseline.json",
        "--format",
        "json",
        "tollgate.yml",
        ".github/workflows/w.yml",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert!(
        report["errors"].as_array().is_some_and(Vec::is_empty),
        "{report}"
    );
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "policy-weakened")
        .map(|f| {
            format!(
                "{}:{} {}",
                f["path"].as_str().unwrap_or(""),
                f["line"],
                f["message"]
            )
        })
        .collect()
}

#[test]
fn policy_weakened_fires_on_each_weakening_at_its_line() {
    let cases: [(&str, &str, &str); 10] = [
        (
            "rules:\n  unpinned-action: off\n",
            "tollgate.yml:2",
            "turned off",
        ),
        (
            "rules:\n  unpinned-action:\n    severity: low\n",
            "tollgate.yml:2",
            "lowered from high to low",
        ),
        (
            "ignore: [\"**/w.yml\"]\nrules:\n  unpinned-action:\n    severity: high\n",
            "tollgate.yml:1",
            "ignores",
        ),
        (
            "max_credential_ttl: 12h\n",
            "tollgate.yml:1",
            "max_credential_ttl",
        ),
        (
            "environments:\n  \"prod*\":\n    min_reviewers: 1\n    deployment_branches: protected\n",
            "tollgate.yml:2",
            "min_reviewers 2 → 1",
        ),
        (
            "environments:\n  production:\n    min_reviewers: 2\n    deployment_branches: restricted\n  \"prod*\":\n    min_reviewers: 2\n    deployment_branches: protected\n",
            "tollgate.yml:2",
            "deployment_branches loosened",
        ),
        (
            "allowed_unpinned_actions: [\"evil/*\"]\n",
            "tollgate.yml:1",
            "allows unpinned",
        ),
        (
            "break_glass:\n  - role: bg\n    approvers: [sec]\n    max_ttl: 1h\n  - role: more\n    approvers: [x]\n",
            "tollgate.yml:5",
            "added to break_glass",
        ),
        (
            "break_glass:\n  - role: bg\n    approvers: []\n    max_ttl: 8h\n",
            "tollgate.yml:2",
            "approver `sec` removed",
        ),
        (
            "rules:\n  policy-weakened: off\n",
            "tollgate.yml:2",
            "`policy-weakened` turned off",
        ),
    ];
    for (change, at, what) in cases {
        // Everything of the base not restated is a loosening too; restate it around the change.
        let policy = restate(change);
        let found = weakened(&policy, false);
        assert!(
            found
                .iter()
                .any(|f| f.starts_with(&format!("{at} ")) && f.contains(what)),
            "{change}\n→ {found:#?}"
        );
    }
    let found = weakened(BASE_POLICY, true);
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("baseline.json:") && f.contains("now hides")),
        "{found:#?}"
    );
}

/// The base policy with `change` written over its sections (the sections `change` names are
/// replaced; the rest are kept below it).
fn restate(change: &str) -> String {
    let sections = ["max_credential_ttl", "rules", "environments", "break_glass"];
    let mut out = change.to_string();
    for section in sections {
        if change.contains(&format!("{section}:")) {
            continue;
        }
        let start = BASE_POLICY.find(&format!("{section}:")).expect("section");
        let end = sections
            .iter()
            .filter_map(|s| BASE_POLICY[start + 1..].find(&format!("\n{s}:")))
            .map(|i| start + 1 + i + 1)
            .min()
            .unwrap_or(BASE_POLICY.len());
        out.push_str(&BASE_POLICY[start..end]);
    }
    out
}

#[test]
fn policy_weakened_is_quiet_when_tightened_or_untouched() {
    assert_eq!(weakened(BASE_POLICY, false), Vec::<String>::new());
    let tightened = "max_credential_ttl: 30m\nrules:\n  unpinned-action:\n    severity: high\n  dangerous-trigger:\n    severity: high\nenvironments:\n  \"prod*\":\n    min_reviewers: 3\n    deployment_branches: protected\n    min_wait_timer: 5\n  staging:\n    min_reviewers: 1\nbreak_glass:\n  - role: bg\n    approvers: [sec, more]\n    max_ttl: 30m\n";
    assert_eq!(weakened(tightened, false), Vec::<String>::new());
}

#[test]
fn a_base_that_does_not_exist_is_an_error() {
    let repo = Git::new();
    repo.write(".github/workflows/w.yml", UNPINNED.as_bytes());
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "base"]);
    let output = repo.tollgate(&["check", "--base", "no-such-ref", "."]);
    assert_eq!(code(&output), 2);
    let all = stdout(&output) + &stderr(&output);
    assert!(all.contains("--base no-such-ref"), "{all}");
}

// ---------------------------------------------------------------------------------------------
// Many findings in one place (the benchmark's quadratic cases, at a size that is quick here)

fn json_findings(output: &std::process::Output) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(&stdout(output)).expect("json report");
    report["findings"].as_array().cloned().unwrap_or_default()
}

#[test]
fn many_findings_in_one_place_each_keep_their_own_place() {
    // Distinct injections in one script: each found at its own line and column.
    let repo = Git::new();
    let lines: String = (0..300)
        .map(|i| format!("          echo ${{{{ github.event.issue.title || 'k{i}' }}}}\n"))
        .collect();
    repo.write(
        ".github/workflows/w.yml",
        format!("on: issues\npermissions: {{}}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n{lines}").as_bytes(),
    );
    let found = json_findings(&repo.tollgate(&["check", ".", "--format", "json"]));
    let mut places: Vec<(u64, u64)> = found
        .iter()
        .filter(|f| f["rule"] == "template-injection")
        .map(|f| {
            (
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    places.sort_unstable();
    let expected: Vec<(u64, u64)> = (0..300).map(|i| (8 + i, 16)).collect();
    assert_eq!(places, expected);

    // Keys one per line: each found at its line, and none shown in a code frame.
    let repo = Git::new();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut seed = 1u64;
    let keys: Vec<String> = (0..300)
        .map(|_| {
            let tail: String = (0..16)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    char::from(alphabet[((seed >> 33) % 32) as usize])
                })
                .collect();
            format!("AKIA{tail}")
        })
        .collect();
    repo.write("keys.txt", (keys.join("\n") + "\n").as_bytes());
    let output = repo.tollgate(&["check", ".", "--format", "json"]);
    let found = json_findings(&output);
    let mut lines: Vec<u64> = found
        .iter()
        .filter(|f| f["rule"] == "hardcoded-secret")
        .map(|f| f["line"].as_u64().unwrap_or(0))
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, (1..=300).collect::<Vec<u64>>());
    let human = stdout(&repo.tollgate(&["check", ".", "--format", "human"]));
    assert!(keys.iter().all(|key| !human.contains(&key[4..])), "{human}");

    // A one-line policy with a finding per statement: each human frame names its column, which
    // a window of the long line must not shift.
    let repo = Git::new();
    let statements: Vec<String> = (0..300)
        .map(|i| format!("{{\"Sid\": \"S{i}\", \"Effect\": \"Allow\", \"Action\": \"iam:PassRole\", \"Resource\": \"*\"}}"))
        .collect();
    repo.write(
        "policy.json",
        format!(
            "{{\"Version\": \"2012-10-17\", \"Statement\": [{}]}}",
            statements.join(", ")
        )
        .as_bytes(),
    );
    let found = json_findings(&repo.tollgate(&["check", ".", "--format", "json"]));
    assert_eq!(found.len(), 300);
    let human = stdout(&repo.tollgate(&["check", ".", "--format", "human"]));
    for finding in &found {
        let place = format!("--> policy.json:1:{}\n", finding["column"]);
        assert!(human.contains(&place), "{place} missing");
    }
    assert_eq!(human.matches("--> policy.json:1:").count(), 300);
}
