//! `iam-wildcard-action`: `Action: "*"`, `service:*`, wildcards that reach write or
//! permissions-management actions, and `NotAction` with `Allow`.

use super::{actions, expanded, is_pattern, sample};
use crate::finding::{Location, Severity};
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
heredocs and `aws_iam_policy_document`) whose actions are wildcards:
- `Action: "*"` (every action of every service): high;
- `service:*`: high when the service has permissions-management actions (`iam:*`, `s3:*`),
  else medium;
- other wildcards (`s3:Put*`) that expand, against AWS's action table, to write or
  permissions-management actions: medium. Wildcards that only reach read and list actions
  are left alone;
- `NotAction` with `Allow`, which grants everything not listed: high.

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
"#
);

impl Rule for IamWildcardAction {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_document(&self, cx: &mut Cx, _file: &SourceFile) {
        let Some(db) = actions::db() else {
            return;
        };
        for policy in cx.policies() {
            for statement in policy.statements.iter().filter(|s| s.allow) {
                if statement.not_action {
                    let listed = statement.actions.len();
                    cx.report(
                        Self::META.finding(
                            format!(
                                "`NotAction` with `Allow` grants every action except the {listed} listed, including ones AWS adds later"
                            ),
                            Location::key(statement.action_route.clone()),
                        ),
                    );
                    continue;
                }
                for (value, matched) in expanded(db, statement) {
                    if !is_pattern(value.text) {
                        continue;
                    }
                    let text = value.text;
                    let location = Location::value(value.route.clone());
                    if text == "*" || text == "*:*" {
                        cx.report(Self::META.finding(
                            format!(
                                "`{text}` grants all {} actions of every AWS service",
                                db.len()
                            ),
                            location,
                        ));
                        continue;
                    }
                    let mutating: Vec<&str> = matched
                        .iter()
                        .filter(|a| a.access.is_mutating())
                        .map(|a| a.name.as_str())
                        .collect();
                    if mutating.is_empty() {
                        continue;
                    }
                    let permissions = matched
                        .iter()
                        .any(|a| a.access == actions::Access::Permissions);
                    if let Some(service) = text.strip_suffix(":*") {
                        let severity = if permissions {
                            Severity::High
                        } else {
                            Severity::Medium
                        };
                        cx.report(
                            Self::META
                                .finding(
                                    format!(
                                        "`{text}` grants all {} `{service}` actions, {} of them write or permissions management",
                                        matched.len(),
                                        mutating.len()
                                    ),
                                    location,
                                )
                                .severity(severity),
                        );
                        continue;
                    }
                    cx.report(
                        Self::META
                            .finding(
                                format!(
                                    "`{text}` expands to {} write or permissions-management {}: {}",
                                    mutating.len(),
                                    super::plural(mutating.len(), "action"),
                                    sample(&mutating, 3)
                                ),
                                location,
                            )
                            .severity(Severity::Medium),
                    );
                }
            }
        }
    }
}
