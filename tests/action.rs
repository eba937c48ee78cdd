//! The GitHub Action's script (`scripts/action.sh`, run by `action.yml`) outside GitHub, with
//! the environment variables the runner sets, on a repository with findings: annotations, a job
//! summary with links to the lines at the commit, a SARIF file that validates, and outputs
//! (issue 7, acceptance 1).

#![cfg(test)]
#![cfg(unix)]

#[path = "fixtures/e2e/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::{DEPLOY, Repo};

const SHA: &str = "4f2c1a9e0b7d3c5e8f6a1b2c3d4e5f60718293a4";

/// A runner's temporary folder holding a restored build of tollgate, as the cache step leaves
/// it: the test binary, and the key of the sources it was built from.
struct Runner {
    temp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        let runner = Self {
            temp: tempfile::tempdir().expect("runner temp"),
        };
        let key = runner.script(&["cache-key"], None);
        assert_eq!(support::code(&key), 0, "{}", support::stderr(&key));
        let outputs = runner.read("output");
        let key = outputs
            .lines()
            .find_map(|l| l.strip_prefix("key="))
            .expect("cache-key writes key= to GITHUB_OUTPUT");
        assert_eq!(key.len(), 40, "{outputs}");
        let home = runner.path("tollgate-action");
        std::fs::create_dir_all(home.join("bin")).expect("mkdir");
        std::fs::copy(env!("CARGO_BIN_EXE_tollgate"), home.join("bin/tollgate")).expect("copy");
        std::fs::write(home.join("key"), format!("{key}\n")).expect("write key");
        std::fs::write(runner.path("output"), "").expect("reset outputs");
        runner
    }

    fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// `bash scripts/action.sh ARGS` with a runner's environment and no cargo on PATH, so an
    /// attempt to rebuild fails the test.
    fn script(&self, args: &[&str], workspace: Option<&Path>) -> Output {
        self.script_with(args, workspace, &[])
    }

    fn script_with(
        &self,
        args: &[&str],
        workspace: Option<&Path>,
        inputs: &[(&str, &str)],
    ) -> Output {
        let action_path = Path::new(env!("CARGO_MANIFEST_DIR"));
        // action.yml runs the script with `shell: bash`; only the runner's variables are set.
        let mut cmd = assert_cmd::Command::new("bash");
        cmd.arg(action_path.join("scripts/action.sh"))
            .args(args)
            .env_clear()
            .timeout(std::time::Duration::from_secs(120))
            .env("PATH", "/usr/bin:/bin")
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", action_path)
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_REPOSITORY", "acme/app")
            .env("GITHUB_SHA", SHA)
            .env("GITHUB_REF", "refs/pull/7/merge")
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_OUTPUT", self.path("output"))
            .env("GITHUB_STEP_SUMMARY", self.path("summary.md"))
            .env("GITHUB_ENV", self.path("env"))
            .env("RUNNER_TEMP", self.temp.path())
            .env("RUNNER_OS", "Linux")
            .env("INPUT_PATHS", ".")
            .env("INPUT_CHANGED_ONLY", "false")
            .env("INPUT_CONFIG", "")
            .env("INPUT_FAIL_ON", "low")
            .env("INPUT_BASELINE", "")
            .env("INPUT_SARIF", "reports/tollgate.sarif");
        if let Some(workspace) = workspace {
            cmd.env("GITHUB_WORKSPACE", workspace);
        }
        for (name, value) in inputs {
            cmd.env(name, value);
        }
        support::run(&mut cmd)
    }

    fn outputs(&self) -> Vec<(String, String)> {
        self.read("output")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

fn repo_with_findings() -> Repo {
    Repo::with(&[(".github/workflows/deploy.yml", DEPLOY.as_bytes())])
}

#[test]
fn install_uses_the_restored_build() {
    let runner = Runner::new();
    let output = runner.script(&["install"], None);
    assert_eq!(support::code(&output), 0, "{}", support::stderr(&output));
    assert!(
        support::stdout(&output).contains("using the cached build"),
        "{}",
        support::stdout(&output)
    );
}

#[test]
fn run_annotates_summarises_and_writes_sarif() {
    let runner = Runner::new();
    let repo = repo_with_findings();
    std::fs::write(runner.path("summary.md"), "# Earlier step\n").expect("summary");
    let (_, expected) = repo.check_json(&[]);
    let expected = support::findings(&expected).clone();
    assert!(expected.len() >= 4);

    let output = runner.script(&["run"], Some(repo.path()));
    assert_eq!(support::code(&output), 1, "{}", support::stderr(&output));

    // Annotations: one workflow command per finding, at its line.
    let stdout = support::stdout(&output);
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), expected.len(), "{stdout}");
    for finding in &expected {
        let at = format!(
            "file=.github/workflows/deploy.yml,line={},",
            finding["line"]
        );
        assert!(
            annotations.iter().any(|a| a.contains(&at)),
            "no annotation {at} in\n{stdout}"
        );
    }

    // The job summary is appended, counts by rule and severity, and links the top findings to
    // their lines at the commit.
    let summary = runner.read("summary.md");
    assert!(
        summary.starts_with("# Earlier step\n## tollgate"),
        "{summary}"
    );
    assert!(summary.contains("| rule | high | medium | low | info | total |"));
    assert!(
        summary.contains("| `template-injection` | 1 |"),
        "{summary}"
    );
    for finding in &expected {
        let link = format!(
            "(https://github.com/acme/app/blob/{SHA}/.github/workflows/deploy.yml#L{})",
            finding["line"]
        );
        assert!(summary.contains(&link), "no link {link} in\n{summary}");
    }

    // Outputs name the SARIF file, which validates.
    let outputs = runner.outputs();
    assert!(outputs.contains(&("sarif".into(), "reports/tollgate.sarif".into())));
    assert!(outputs.contains(&("exit-code".into(), "1".into())));
    let sarif_text =
        std::fs::read_to_string(repo.join("reports/tollgate.sarif")).expect("SARIF written");
    let sarif: serde_json::Value = serde_json::from_str(&sarif_text).expect("SARIF is JSON");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(expected.len())
    );
    if let Some(shared) = support::shared() {
        support::check_sarif(&shared, &sarif);
    }
}

#[test]
fn fail_on_never_reports_without_failing() {
    let runner = Runner::new();
    let repo = repo_with_findings();
    let output = runner.script_with(&["run"], Some(repo.path()), &[("INPUT_FAIL_ON", "never")]);
    assert_eq!(support::code(&output), 0, "{}", support::stderr(&output));
    assert!(runner.outputs().contains(&("exit-code".into(), "1".into())));
    assert!(repo.join("reports/tollgate.sarif").is_file());
}

#[test]
fn changed_only_with_no_changed_files_checks_nothing() {
    let runner = Runner::new();
    let repo = repo_with_findings();
    let output = runner.script_with(
        &["run"],
        Some(repo.path()),
        &[("INPUT_CHANGED_ONLY", "true"), ("INPUT_PATHS", "\n")],
    );
    assert_eq!(support::code(&output), 0, "{}", support::stderr(&output));
    assert!(
        runner
            .read("summary.md")
            .contains("No changed files to check")
    );
}

#[test]
fn changed_only_reports_on_the_listed_files() {
    let runner = Runner::new();
    let repo = repo_with_findings();
    repo.write(".github/workflows/other.yml", DEPLOY);
    repo.write("README.md", "# app\n");
    let output = runner.script_with(
        &["run"],
        Some(repo.path()),
        &[
            ("INPUT_CHANGED_ONLY", "true"),
            ("INPUT_PATHS", ".github/workflows/other.yml\nREADME.md\n"),
        ],
    );
    assert_eq!(support::code(&output), 1, "{}", support::stderr(&output));
    let stdout = support::stdout(&output);
    assert!(
        stdout.contains("file=.github/workflows/other.yml"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("file=.github/workflows/deploy.yml"),
        "{stdout}"
    );
}

#[test]
fn bad_inputs_are_errors() {
    let runner = Runner::new();
    let repo = repo_with_findings();
    let output = runner.script_with(
        &["run"],
        Some(repo.path()),
        &[("INPUT_FAIL_ON", "critical")],
    );
    assert_eq!(support::code(&output), 2);
    assert!(support::stdout(&output).contains("::error title=tollgate::input fail-on"));
}

#[test]
fn own_workflows_action_and_examples_are_clean() {
    // What .ci/run and .github/workflows/tollgate.yml check: the project follows its own rules.
    let mut cmd = support::tollgate();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "check",
        "--format",
        "json",
        ".github/",
        "action.yml",
        "docs/examples/",
    ]);
    let output = support::run(&mut cmd);
    let report = support::json(&output);
    assert_eq!(support::code(&output), 0, "{report:#}");
    assert!(support::findings(&report).is_empty());
    // At least the action, both CI workflows and the example workflows were read.
    let scanned = report["summary"]["files_scanned"].as_u64().unwrap_or(0);
    assert!(scanned >= 6, "{report:#}");
}
