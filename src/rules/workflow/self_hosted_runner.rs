//! `self-hosted-runner`: self-hosted runners on triggers a pull request reaches.

use crate::finding::{Location, Severity};
use crate::model::events::{PR_REACHABLE, first_trigger, matrix_values, trigger_route};
use crate::model::{Job, Workflow};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::Node;

pub struct SelfHostedRunner;

crate::rule_meta!(
    SelfHostedRunner,
    "self-hosted-runner",
    Severity::Medium,
    "self-hosted runner on a trigger a pull request reaches",
    r#"## What it does
Reports jobs whose `runs-on` selects a self-hosted runner (the `self-hosted` label, or the
`linux`, `windows`, `macOS`, `x64`, `ARM`, `ARM64` labels only self-hosted runners carry, a runner `group:`, or a matrix value that expands to one of those, minus
`exclude`d combinations) in workflows triggered by events a pull request reaches:
`pull_request`, `pull_request_target`, `pull_request_review(_comment)`, `issue_comment` and
`workflow_run`. Under `pull_request` the runner executes the pull request's own code: high.
Under the others it runs the base branch's code on behalf of an outsider's event: medium.

**Differences from zizmor** (`self-hosted-runner`): zizmor reports every self-hosted runner, in
its auditor persona only; tollgate reports only the ones an outside pull request can reach,
by default. A `runs-on` chosen by an input (`${{ inputs.runner }}`) is not reported.

## Why is this bad
Self-hosted runners are not wiped between jobs unless they are built to be ephemeral. Code
from a fork's pull request can install a backdoor that sees the next job's secrets, reach the
internal network the runner sits on, or read credentials left on the machine. GitHub advises
against self-hosted runners for public repositories for this reason.

## Example
```yaml
on: pull_request
jobs:
  test:
    runs-on: [self-hosted, linux]
```

## Use instead
Run pull request jobs on GitHub-hosted runners, and keep self-hosted runners for trusted
triggers (or make them ephemeral, one job per machine):
```yaml
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
```

## References
- https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#hardening-for-self-hosted-runners
- https://docs.github.com/en/actions/hosting-your-own-runners/managing-self-hosted-runners/about-self-hosted-runners#self-hosted-runner-security
- zizmor `self-hosted-runner`: https://docs.zizmor.sh/audits/#self-hosted-runner
"#
);

/// Labels only self-hosted runners carry: `self-hosted` and the operating-system and
/// architecture labels GitHub gives every self-hosted runner (GitHub-hosted runners are named
/// `ubuntu-latest`, `windows-2022`, `macos-14`, …, never bare `linux` or `x64`).
const SELF_HOSTED_LABELS: &[&str] = &[
    "self-hosted",
    "linux",
    "windows",
    "macos",
    "x64",
    "arm",
    "arm64",
];

/// Why a `runs-on` value selects a self-hosted runner.
fn self_hosted(node: &Node) -> Option<String> {
    if node.get("group").is_some() {
        let group = node.get_str("group").unwrap_or("…");
        return Some(format!("the runner group `{group}`"));
    }
    let labels = node.get("labels").unwrap_or(node);
    labels
        .items()
        .iter()
        .filter_map(|n| n.as_str())
        .map(str::trim)
        .find(|l| SELF_HOSTED_LABELS.iter().any(|s| l.eq_ignore_ascii_case(s)))
        .map(|l| format!("the `{l}` label"))
}

/// Whether a matrix `exclude` entry removes `value` for `key`.
fn excluded(job: &Job, key: &str, value: &Node) -> bool {
    let Some(excludes) = job
        .node
        .get("strategy")
        .and_then(|s| s.get("matrix"))
        .and_then(|m| m.get("exclude"))
        .and_then(Node::as_seq)
    else {
        return false;
    };
    excludes.iter().any(|e| {
        e.get(key).and_then(Node::as_str).is_some()
            && e.get(key).and_then(Node::as_str) == value.as_str()
    })
}

fn runner(job: &Job) -> Option<String> {
    let runs_on = job.node.get("runs-on")?;
    if let Some(why) = self_hosted(runs_on) {
        return Some(why);
    }
    let text = runs_on.as_str()?;
    let key = crate::model::events::matrix_key(text)?;
    matrix_values(job, key)
        .into_iter()
        .flatten()
        .filter(|value| !excluded(job, key, value))
        .find_map(self_hosted)
        .map(|why| format!("`matrix.{key}`, which includes {why}"))
}

impl Rule for SelfHostedRunner {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_job(&self, cx: &mut Cx, workflow: &Workflow, job: &Job) {
        let Some(trigger) = first_trigger(workflow, PR_REACHABLE) else {
            return;
        };
        let Some(why) = runner(job) else {
            return;
        };
        let severity = if workflow.has_trigger("pull_request") {
            Severity::High
        } else {
            Severity::Medium
        };
        let shown = if severity == Severity::High {
            "pull_request"
        } else {
            trigger
        };
        cx.report(
            Self::META
                .finding(
                    format!(
                        "job `{}` runs on {why} under `{shown}`: a pull request's event runs on a machine that keeps state between jobs",
                        job.id
                    ),
                    Location::value(job.route.key("runs-on")).labelled("self-hosted runner"),
                )
                .severity(severity)
                .related(Location::key(trigger_route(workflow, shown)).labelled("reachable from pull requests")),
        );
    }
}
