//! `iam-wildcard-action`: `Action: "*"`, `service:*`, wildcards that reach write or
//! permissions-management actions, and `NotAction` with `Allow`.

use super::{actions, is_pattern, is_templated, sample};
use crate::finding::{Location, Severity};
use crate::model::iam::{Policy, Statement};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::SourceFile;

pub struct IamWildcardAction;

crate::rule_meta!(
    IamWildcardAction,
    "iam-wildcard-action",
    Severity::High,
    "IAM Allow statement whose action wildcard grants write or permissions-management actions",
    r#"## What it does
Reports `Allow` statements in IAM policies (IAM JSON, CloudFormation, Terraform `jsonencode`,
heredocs and `aws_iam_policy_document`) whose action wildcards reach actions that change
something, once per statement, naming every such wildcard:
- `Action: "*"` (every action of every service): high;
- wildcards (`s3:*`, `iam:Put*`) that expand, against AWS's action table, to write or
  permissions-management actions: high when one of them is permissions management (`iam:*`,
  `s3:Put*` with `s3:PutBucketPolicy`), else medium. Wildcards that only reach read, list or
  tagging actions are left alone;
- `NotAction` with `Allow`, which grants everything not listed: high.

Judgements:
- KMS cryptographic operations (`kms:Decrypt*`, `kms:GenerateDataKey*`, `kms:ReEncrypt*`,
  `kms:Encrypt*`, `kms:Sign`) are Write in AWS's table, but they use a key and change nothing:
  they do not count.
- AWS's default KMS key policy statement (the account's `root` with `kms:*`) is not a
  finding: it hands the key over to the account's IAM policies and grants no one anything.
- Actions the same policy denies outright (a `Deny` of `iam:*` on `*` without conditions) are
  not counted as granted.

## Why is this bad
A credential minted for a deploy can do whatever its policy allows. A wildcard grants
actions nobody reviewed, including ones AWS adds later, and turns a short-lived deploy
credential into an administrator.

## Example
```json
{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::site/*"}
```

## Use instead
```json
{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::site/*"}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
- https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
"#
);

impl Rule for IamWildcardAction {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_policies(&self, cx: &mut Cx, _file: &SourceFile, policies: &[Policy]) {
        let Some(db) = actions::db() else {
            return;
        };
        for policy in policies {
            let denies = policy.unconditional_denies();
            for statement in policy.statements.iter().filter(|s| s.allow) {
                if let Some((message, severity, location)) = judge(db, &denies, statement) {
                    cx.report(Self::META.finding(message, location).severity(severity));
                }
            }
        }
    }
}

/// This rule's finding on one `Allow` statement, given what its policy denies outright
/// ([`Policy::unconditional_denies`]). `iam-wildcard-resource` asks it too, and stays quiet on
/// a statement reported here: one finding per statement, naming both wildcards when the
/// resource is `*` as well.
pub fn judge(
    db: &actions::Db,
    denies: &[String],
    statement: &Statement,
) -> Option<(String, Severity, Location)> {
    let denied = |name: &str| denies.iter().any(|d| actions::matches_lower(d, name));
    let everything_denied = denies.iter().any(|d| d == "*" || d == "*:*");
    if !statement.allow || statement.is_default_key_policy() || everything_denied {
        return None;
    }
    // Only an identity policy's `*` is every resource; in a resource policy it is the
    // resource the policy is attached to. (A `NotAction` statement is never
    // iam-wildcard-resource's: its message names only the `NotAction`.)
    let on_star = if statement.principals.is_empty() && statement.resource_is_star() {
        " on `Resource: \"*\"`"
    } else {
        ""
    };
    if statement.not_action {
        let listed = statement.actions.len();
        return Some((
            format!(
                "`NotAction` with `Allow` grants every action except the {listed} listed, including ones AWS adds later"
            ),
            Severity::High,
            Location::key(statement.action_route.clone()),
        ));
    }
    // The statement's wildcards that change something, with how much.
    let mut wildcards: Vec<&str> = Vec::new();
    let mut first = None;
    let mut all = false;
    // Permissions management first, so the sample shows the worst.
    let mut names: Vec<&str> = Vec::new();
    let mut writes: Vec<&str> = Vec::new();
    let mut permissions = false;
    for value in statement.actions.iter().filter(|a| !is_templated(a.text)) {
        let text = value.text;
        if !is_pattern(text) {
            continue;
        }
        if text == "*" || text == "*:*" {
            // Never expanded: every action, whatever a partial deny removes.
            all = true;
            wildcards.push(text);
            first.get_or_insert(value);
            continue;
        }
        let mut reaches = false;
        for action in db.expand(text) {
            if action.changes_something() && !denied(action.lower()) {
                reaches = true;
                if action.access == actions::Access::Permissions {
                    permissions = true;
                    names.push(action.name.as_str());
                } else {
                    writes.push(action.name.as_str());
                }
            }
        }
        if reaches {
            wildcards.push(text);
            first.get_or_insert(value);
        }
    }
    let first = first?;
    for list in [&mut names, &mut writes] {
        list.sort_unstable();
        list.dedup();
    }
    names.append(&mut writes);
    let listed = sample(&wildcards, 4);
    let (message, severity) = if all {
        let others = if wildcards.len() > 1 {
            format!(" (with {listed})")
        } else {
            String::new()
        };
        (
            format!(
                "`*` grants all {} actions of every AWS service{others}{on_star}",
                db.len()
            ),
            Severity::High,
        )
    } else {
        let verb = if wildcards.len() == 1 {
            "expands"
        } else {
            "expand"
        };
        let severity = if permissions {
            Severity::High
        } else {
            Severity::Medium
        };
        let worst = if permissions {
            "write and permissions-management"
        } else {
            "write"
        };
        (
            format!(
                "{listed} {verb} to {} {worst} {}{on_star}: {}",
                names.len(),
                super::plural(names.len(), "action"),
                sample(&names, 3)
            ),
            severity,
        )
    };
    Some((message, severity, Location::value(first.route.clone())))
}
