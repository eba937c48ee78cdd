//! `spoofable-bot-condition`: `if:` trusting `github.actor == '…[bot]'`.

use crate::finding::{Location, Severity};
use crate::model::events::first_trigger;
use crate::model::{Job, Workflow};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::Route;

pub struct SpoofableBotCondition;

crate::rule_meta!(
    SpoofableBotCondition,
    "spoofable-bot-condition",
    Severity::High,
    "if: trusts a spoofable bot actor check",
    r#"## What it does
Reports job and step `if:` conditions that grant trust by comparing an actor context
(`github.actor`, `github.triggering_actor`, `github.event.pull_request.sender.login`) with a
`…[bot]` login, or an actor id (`github.actor_id`, `…sender.id`) with a known bot's id
(Dependabot, Renovate), in workflows triggered by `pull_request_target`, `workflow_run`,
`issue_comment` or `pull_request_review(_comment)`. Case and index forms
(`github['ACTOR']`) are recognised. A check that only excludes the bot
(`github.actor != 'dependabot[bot]'`) is not reported.

The condition is high severity when it decides the condition alone (`==` at the top or
under `||`), medium when it is combined with other checks by `&&`.

**Differences from zizmor** (`bot-conditions`): zizmor checks only `pull_request_target`
workflows; tollgate adds the other privileged triggers, where `github.actor` is just as
spoofable.

## Why is this bad
`github.actor` is whoever caused the latest event, not who wrote the code. An attacker can
make Dependabot the actor of a pull request they control (for example by having it rebase
their branch, or by triggering a re-run), and the "Dependabot only" job then auto-merges or
runs with secrets on the attacker's changes.

## Example
```yaml
on: pull_request_target
jobs:
  automerge:
    if: github.actor == 'dependabot[bot]'
```

## Use instead
Check who opened the pull request, which an attacker cannot change:
```yaml
jobs:
  automerge:
    if: github.event.pull_request.user.login == 'dependabot[bot]'
```

## References
- https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/
- https://www.synacktiv.com/publications/github-actions-exploitation-dependabot
- zizmor `bot-conditions`: https://docs.zizmor.sh/audits/#bot-conditions
"#
);

/// Triggers under which an attacker can steer who the actor is while the job is privileged.
const TRIGGERS: &[&str] = &[
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "pull_request_review",
    "pull_request_review_comment",
];

const NAME_CONTEXTS: &[&str] = &[
    "github.actor",
    "github.triggering_actor",
    "github.event.pull_request.sender.login",
];
const ID_CONTEXTS: &[&str] = &["github.actor_id", "github.event.pull_request.sender.id"];

/// Ids of bot accounts and apps that have no `[bot]` suffix to match.
const BOT_IDS: &[&str] = &["29110", "49699333", "27856297", "29139614"];

/// `github['ACTOR']` → `github.actor`: lowercased, index keys as path segments.
fn normalise(operand: &str) -> String {
    let mut out = String::new();
    let mut rest = operand.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let (key, tail) = after.split_once(']').unwrap_or((after, ""));
            out.push('.');
            out.push_str(key.trim().trim_matches(['\'', '"']));
            rest = tail;
        } else {
            let end = rest.find('[').unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out.to_ascii_lowercase()
}

fn literal(operand: &str) -> Option<&str> {
    let t = operand.trim();
    t.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| t.chars().all(|c| c.is_ascii_digit()).then_some(t))
        .filter(|t| !t.is_empty())
}

/// Whether one `a == b` comparison is a bot check.
fn bot_comparison(comparison: &str) -> bool {
    let Some((lhs, rhs)) = comparison.split_once("==") else {
        return false;
    };
    if lhs.trim_end().ends_with('!') {
        return false;
    }
    let (context, value) = match (literal(lhs), literal(rhs)) {
        (None, Some(value)) => (normalise(lhs), value),
        (Some(value), None) => (normalise(rhs), value),
        _ => return false,
    };
    let context = context.trim_matches(['(', ')', ' ', '!']);
    (NAME_CONTEXTS.contains(&context) && value.to_ascii_lowercase().ends_with("[bot]"))
        || (ID_CONTEXTS.contains(&context) && BOT_IDS.contains(&value))
}

/// `Some(true)` when a bot check decides the whole condition, `Some(false)` when it is one
/// `&&` part, `None` when there is none.
fn bot_condition(condition: &str) -> Option<bool> {
    let inner = condition.trim();
    let inner = inner
        .strip_prefix("${{")
        .and_then(|i| i.strip_suffix("}}"))
        .unwrap_or(inner)
        .trim();
    let mut found = None;
    for alternative in inner.split("||") {
        let parts: Vec<&str> = alternative.split("&&").collect();
        let alone = parts.len() == 1;
        for part in parts {
            if part.trim_start().starts_with('!') {
                continue;
            }
            if bot_comparison(part.trim().trim_matches(['(', ')'])) {
                found = Some(found.unwrap_or(false) || alone);
            }
        }
    }
    found
}

impl Rule for SpoofableBotCondition {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_job(&self, cx: &mut Cx, workflow: &Workflow, job: &Job) {
        let Some(trigger) = first_trigger(workflow, TRIGGERS) else {
            return;
        };
        let mut conditions: Vec<(Route, &str)> = Vec::new();
        conditions.extend(job.node.get_str("if").map(|c| (job.route.key("if"), c)));
        for step in job.steps() {
            conditions.extend(step.node.get_str("if").map(|c| (step.route.key("if"), c)));
        }
        for (route, condition) in conditions {
            let Some(decides) = bot_condition(condition) else {
                continue;
            };
            let severity = if decides {
                Severity::High
            } else {
                Severity::Medium
            };
            cx.report(
                Self::META
                    .finding(
                        format!("`if:` trusts the actor's login or id under `{trigger}`, and an attacker can make a bot the actor of their own event; check `github.event.pull_request.user.login` instead"),
                        Location::value(route).labelled("spoofable actor check"),
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
    fn conditions() {
        assert_eq!(
            bot_condition("github.actor == 'dependabot[bot]'"),
            Some(true)
        );
        assert_eq!(
            bot_condition("${{ 'renovate[bot]' == github.ACTOR }}"),
            Some(true)
        );
        assert_eq!(
            bot_condition("github['actor'] == 'x[bot]' && github.repository == 'a/b'"),
            Some(false)
        );
        assert_eq!(bot_condition("github.actor_id == 49699333"), Some(true));
        assert_eq!(bot_condition("github.actor_id == '49699333'"), Some(true));
        assert_eq!(bot_condition("github.actor == 'notabot'"), None);
        assert_eq!(bot_condition("github.actor != 'dependabot[bot]'"), None);
        assert_eq!(
            bot_condition("github.event.pull_request.user.login == 'dependabot[bot]'"),
            None
        );
    }
}
