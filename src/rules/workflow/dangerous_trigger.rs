//! `dangerous-trigger`: `pull_request_target` and `workflow_run`, graded by whether the job
//! checks out and runs the pull request's code.

use crate::finding::{Location, Severity};
use crate::model::events::names_pr_head;
use crate::model::{Step, Workflow};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::Route;

pub struct DangerousTrigger;

crate::rule_meta!(
    DangerousTrigger,
    "dangerous-trigger",
    Severity::Low,
    "privileged trigger that can run code from a pull request",
    r#"## What it does
Reports workflows triggered by `pull_request_target`, `workflow_run` or `issue_comment`.
These run in the context of the base repository, with its secrets and a token that can write,
even when the event comes from a fork or from anyone who can comment.

The trigger alone is low severity. A job under such a trigger that checks out the pull
request's head (`ref: ${{ github.event.pull_request.head.sha }}`, `github.head_ref`,
`refs/pull/…`, `gh pr checkout`, the `workflow_run` head SHA) and then runs a script or a local
action (in a later step, or later in the same script) is high severity: that is running a
stranger's code with your credentials ("pwn request"). A checkout of the head with nothing run
after it is medium.

## Why is this bad
Any outside contributor can open a pull request. If a privileged workflow builds or tests
their code, the code can read the secrets, push to the repository with the token, or assume
the cloud role the job is trusted for.

## Example
```yaml
on: pull_request_target
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: npm ci && npm test
```

## Use instead
Use `pull_request` for anything that runs the contributor's code; keep
`pull_request_target` for jobs that only label or comment, and never check out the head there.
```yaml
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm test
```

## References
- https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/
- https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows#pull_request_target
- zizmor `dangerous-triggers`: https://docs.zizmor.sh/audits/#dangerous-triggers
"#
);

const DANGEROUS: [&str; 3] = ["pull_request_target", "workflow_run", "issue_comment"];

/// Whether a step fetches the head's code into the workspace.
fn checks_out_head(step: &Step) -> bool {
    if step.uses_action("actions/checkout") {
        return step
            .with("ref")
            .and_then(|r| r.as_str())
            .is_some_and(names_pr_head)
            || step
                .with("repository")
                .and_then(|r| r.as_str())
                .is_some_and(|r| r.contains("head.repo") || r.contains("head_repository"));
    }
    if let Some(run) = step.run() {
        return run.contains("gh pr checkout")
            || (run.contains("git ")
                && (run.contains("checkout") || run.contains("fetch"))
                && names_pr_head(run));
    }
    false
}

/// Whether a script that checks out the head goes on to run something besides git and echo,
/// as in `git fetch origin pull/1/head:pr && git checkout pr && make`.
fn script_runs_code_after_checkout(run: &str) -> bool {
    let commands: Vec<&str> = run
        .split(['\n', ';'])
        .flat_map(|line| line.split("&&"))
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.starts_with('#'))
        .collect();
    let is_checkout = |c: &&str| {
        c.contains("gh pr checkout")
            || (c.starts_with("git ")
                && ["checkout", "switch", "fetch", "pull"]
                    .iter()
                    .any(|verb| c.contains(verb)))
    };
    let Some(last) = commands.iter().rposition(is_checkout) else {
        return false;
    };
    commands[last + 1..].iter().any(|c| {
        !["git ", "echo ", "printf ", "cd ", "fi", "then", "else"]
            .iter()
            .any(|inert| c.starts_with(inert))
    })
}

/// Whether a step runs code from the workspace: a script, or a local action.
fn runs_code(step: &Step) -> bool {
    step.run().is_some() || step.uses().is_some_and(|u| u.starts_with("./"))
}

fn trigger_route(workflow: &Workflow, trigger: &str) -> Location {
    let on = Route::root().key("on");
    match workflow.root.get("on") {
        Some(node) if node.as_map().is_some() => Location::key(on.key(trigger)),
        Some(node) if node.as_seq().is_some() => {
            let index = node
                .as_seq()
                .unwrap_or_default()
                .iter()
                .position(|n| n.as_str() == Some(trigger))
                .unwrap_or(0);
            Location::value(on.index(index))
        }
        _ => Location::value(on),
    }
}

impl Rule for DangerousTrigger {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_workflow(&self, cx: &mut Cx, workflow: &Workflow) {
        let Some(trigger) = DANGEROUS.into_iter().find(|t| workflow.has_trigger(t)) else {
            return;
        };
        let trigger_location = trigger_route(workflow, trigger).labelled(format!(
            "runs on `{trigger}` with the base repository's secrets"
        ));
        let mut escalated = false;
        for job in workflow.jobs() {
            let steps = job.steps();
            let Some(checkout) = steps.iter().position(checks_out_head) else {
                continue;
            };
            let step = &steps[checkout];
            let ran = step
                .run()
                .filter(|run| script_runs_code_after_checkout(run))
                .map(|_| step)
                .or_else(|| steps[checkout + 1..].iter().find(|s| runs_code(s)));
            let (message, severity) = match ran {
                Some(_) => (
                    format!(
                        "job `{}` checks out the pull request's head under `{trigger}` and runs code from it",
                        job.id
                    ),
                    Severity::High,
                ),
                None => (
                    format!(
                        "job `{}` checks out the pull request's head under `{trigger}`",
                        job.id
                    ),
                    Severity::Medium,
                ),
            };
            let mut draft = Self::META
                .finding(
                    message,
                    Location::value(step.route.clone()).labelled("untrusted code checked out here"),
                )
                .severity(severity)
                .related(trigger_location.clone());
            if let Some(ran) = ran {
                draft = draft.related(Location::value(ran.route.clone()).labelled("and run here"));
            }
            cx.report(draft);
            escalated = true;
        }
        if !escalated {
            cx.report(Self::META.finding(
                format!("`{trigger}` runs with the base repository's secrets and a write token, even for forks"),
                trigger_location,
            ));
        }
    }
}
