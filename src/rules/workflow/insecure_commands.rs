//! `insecure-commands`: `ACTIONS_ALLOW_UNSECURE_COMMANDS` re-enables `set-env` and `add-path`.

use crate::finding::{Location, Severity};
use crate::model::events::{matrix_key, matrix_values};
use crate::model::{Action, Job, Step, Workflow};
use crate::rules::{Cx, Rule, RuleMeta, StepHost};
use crate::source::{Node, Route};

pub struct InsecureCommands;

crate::rule_meta!(
    InsecureCommands,
    "insecure-commands",
    Severity::High,
    "ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables set-env and add-path",
    r#"## What it does
Reports `ACTIONS_ALLOW_UNSECURE_COMMANDS` set to a true value in a workflow's, a job's or a
step's `env:` (also in composite actions and in a matrix that feeds `env:`), and scripts that
write it to `$GITHUB_ENV`. An `env:` given wholly by an expression (`env: ${{ matrix.env }}`,
`env: ${{ inputs.env }}`) is reported at medium, since it cannot be ruled out, unless it is a
matrix value the job's own matrix defines: then the matrix's env blocks are checked instead.

**Differences from zizmor** (`insecure-commands`): zizmor reports the expression-valued `env:`
only in its auditor persona; tollgate reports it at medium. checkov's `CKV_GHA_1` checks the
same variable.

## Why is this bad
With the variable set, the runner again obeys the `::set-env` and `::add-path` workflow
commands printed on standard output. Anything the job prints (a pull request title, a test's
output, a dependency's log line) can then set `LD_PRELOAD`, `NODE_OPTIONS` or `PATH` for the
later steps: code execution with the job's secrets. GitHub disabled these commands in 2020
for this reason (CVE-2020-15228).

## Example
```yaml
    env:
      ACTIONS_ALLOW_UNSECURE_COMMANDS: true
```

## Use instead
Write to the environment files, which only the step's own code can do:
```yaml
      - run: echo "TOOL_HOME=$PWD/tool" >> "$GITHUB_ENV"
```

## References
- https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/
- https://github.com/advisories/GHSA-mfwh-5m23-j46w
- https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/workflow-commands-for-github-actions#environment-files
- zizmor `insecure-commands`: https://docs.zizmor.sh/audits/#insecure-commands
"#
);

const VAR: &str = "ACTIONS_ALLOW_UNSECURE_COMMANDS";

fn truthy(node: &Node) -> bool {
    node.as_str().is_some_and(|v| {
        let v = v.trim().trim_matches(['"', '\'']);
        !v.is_empty() && !v.eq_ignore_ascii_case("false") && v != "0"
    })
}

/// Checks one `env:` block at `route`. An `env:` that is one matrix value is left to the
/// matrix check when `job`'s matrix defines that key.
fn check_env(cx: &mut Cx, env: &Node, route: Route, whose: &str, job: Option<&Job>) {
    if let Some(text) = env.as_str() {
        let from_matrix = job.is_some_and(|job| {
            matrix_key(text).is_some_and(|key| !matrix_values(job, key).is_empty())
        });
        if text.contains("${{") && !from_matrix {
            cx.report(
                InsecureCommands::META
                    .finding(
                        format!(
                            "{whose} takes its whole `env:` from `{}`, which may set `{VAR}`",
                            text.trim()
                        ),
                        Location::value(route).labelled("env chosen at run time"),
                    )
                    .severity(Severity::Medium),
            );
        }
        return;
    }
    for (name, value) in env.entries() {
        if name.eq_ignore_ascii_case(VAR) && truthy(value) {
            cx.report(InsecureCommands::META.finding(
                format!("{whose} sets `{VAR}`, so anything it prints can set env vars and PATH for later steps"),
                Location::key(route.key(name)).labelled("re-enables `set-env` and `add-path`"),
            ));
        }
    }
}

fn check_step_text(cx: &mut Cx, step: &Step) {
    if let Some(run) = step.run()
        && let Some(line) = run
            .lines()
            .find(|l| l.contains(VAR) && l.contains("GITHUB_ENV") && !l.contains("=false"))
    {
        cx.report(InsecureCommands::META.finding(
            format!("the step writes `{VAR}` to `$GITHUB_ENV`, re-enabling `set-env` and `add-path` for later steps"),
            Location::fragment(step.route.key("run"), line.trim()).labelled("re-enables insecure commands"),
        ));
    }
}

impl Rule for InsecureCommands {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_workflow(&self, cx: &mut Cx, workflow: &Workflow) {
        if let Some(env) = workflow.root.get("env") {
            check_env(cx, env, Route::root().key("env"), "the workflow", None);
        }
        for job in workflow.jobs() {
            self.check_job(cx, workflow, &job);
        }
    }

    fn check_job(&self, cx: &mut Cx, workflow: &Workflow, job: &Job) {
        let whose = format!("job `{}`", job.id);
        if let Some(env) = job.node.get("env") {
            check_env(cx, env, job.route.key("env"), &whose, Some(job));
        }
        // A matrix whose entries are env blocks (`env: ${{ matrix.env }}`), in its lists or
        // its `include` entries.
        if let Some(matrix) = job.node.get("strategy").and_then(|s| s.get("matrix")) {
            let matrix_route = job.route.key("strategy").key("matrix");
            for (key, values) in matrix.entries() {
                let Some(items) = values.as_seq() else {
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    if key == "include" {
                        for (name, value) in item.entries() {
                            if value.as_map().is_some() {
                                let route = matrix_route.key(key).index(i).key(name);
                                check_env(cx, value, route, &whose, None);
                            }
                        }
                    } else if item.as_map().is_some() {
                        check_env(cx, item, matrix_route.key(key).index(i), &whose, None);
                    }
                }
            }
        }
        for step in job.steps() {
            self.check_step(cx, &StepHost::Job(workflow, job), &step);
        }
    }

    fn check_action(&self, cx: &mut Cx, action: &Action) {
        for step in action.steps() {
            self.check_step(cx, &StepHost::Action(action), &step);
        }
    }

    fn check_step(&self, cx: &mut Cx, host: &StepHost, step: &Step) {
        if let Some(env) = step.node.get("env") {
            let job = match host {
                StepHost::Job(_, job) => Some(*job),
                StepHost::Action(_) => None,
            };
            check_env(cx, env, step.route.key("env"), "the step", job);
        }
        check_step_text(cx, step);
    }
}
