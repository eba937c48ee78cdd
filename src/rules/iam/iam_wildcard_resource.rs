//! `iam-wildcard-resource`: write or permissions-management actions on `Resource: "*"` where
//! the action can be scoped to a resource.

use super::iam_wildcard_action::{self, IamWildcardAction};
use super::{actions, expanded, sample};
use crate::finding::{Location, Severity};
use crate::model::iam::Policy;
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::SourceFile;

pub struct IamWildcardResource;

crate::rule_meta!(
    IamWildcardResource,
    "iam-wildcard-resource",
    Severity::Medium,
    "write or permissions-management actions on Resource \"*\" where they could be scoped",
    r#"## What it does
Reports identity-policy `Allow` statements with `Resource: "*"` that grant write or
permissions-management actions which AWS lets you scope to a resource ARN (according to the
Service Authorization Reference). Actions that only work on `*` (`ecr:GetAuthorizationToken`,
`s3:ListAllMyBuckets`) and read/list actions are not reported. Permissions-management actions
make it high. Statements with a `Principal` (resource policies, trust policies) are skipped:
there `*` means the resource the policy is attached to. One finding per statement. Actions
the same policy denies outright (`Deny` on `*` without conditions) are not counted, nor are
KMS cryptographic operations (`kms:Decrypt`, `kms:GenerateDataKey`), which AWS classes as
Write but which use a key and change nothing. A tag condition (`aws:ResourceTag/…`,
`aws:RequestTag/…`, not negated) scopes `*` to the tagged resources and is not reported.
A statement that `iam-wildcard-action` reports (an action wildcard that reaches write or
permissions management, or `NotAction`) is left to it, and its message names the
`Resource: "*"` too: each statement gets at most one `iam-wildcard-*` finding.

## Why is this bad
`s3:PutObject` on `*` lets a deploy credential overwrite every bucket in the account, not
the one site it deploys. Scoping the resource is what keeps a leaked or misused credential
from reaching everything else.

## Example
```json
{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}
```

## Use instead
```json
{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::site-bucket/*"}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
- https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"#
);

/// A tag condition (`aws:ResourceTag/…`, `aws:RequestTag/…`) scopes `Resource: "*"` to the
/// tagged resources, as AWS's own controller policies do; a negated one (`StringNotEquals`)
/// or `Null` = `true` leaves every other resource open and does not.
fn tag_scoped(statement: &crate::model::iam::Statement) -> bool {
    statement.conditions.iter().any(|c| {
        let key = c.key.to_ascii_lowercase();
        (key.contains(":resourcetag/") || key.contains(":requesttag/"))
            && !c.base_operator().contains("Not")
            && !(c.base_operator() == "Null" && c.values.iter().any(|v| v.text == "true"))
    })
}

impl Rule for IamWildcardResource {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_policies(&self, cx: &mut Cx, _file: &SourceFile, policies: &[Policy]) {
        let Some(db) = actions::db() else {
            return;
        };
        // One finding per statement across the two wildcard rules: a statement whose action
        // wildcard is reported there (named with its `Resource: "*"`) is not reported here.
        let actions_reported = cx.config.rule_enabled(IamWildcardAction::META.id);
        for policy in policies {
            let denies = policy.unconditional_denies();
            for statement in &policy.statements {
                if !statement.allow
                    || statement.not_action
                    || !statement.principals.is_empty()
                    || !statement.resource_is_star()
                    || tag_scoped(statement)
                    || (actions_reported
                        && iam_wildcard_action::judge(db, &denies, statement).is_some())
                {
                    continue;
                }
                let mut names: Vec<&str> = Vec::new();
                let mut permissions = false;
                for (_, matched) in expanded(db, statement) {
                    for action in matched {
                        if action.changes_something()
                            && action.scoped
                            && !denies
                                .iter()
                                .any(|d| actions::matches_lower(d, action.lower()))
                        {
                            permissions |= action.access == actions::Access::Permissions;
                            names.push(action.name.as_str());
                        }
                    }
                }
                names.sort_unstable();
                names.dedup();
                if names.is_empty() {
                    continue;
                }
                let Some(star) = statement.resources.iter().find(|r| r.text == "*") else {
                    continue;
                };
                let severity = if permissions {
                    Severity::High
                } else {
                    Severity::Medium
                };
                cx.report(
                    Self::META
                        .finding(
                            format!(
                                "`Resource: \"*\"` with {} write or permissions-management {} that can be scoped to a resource: {}",
                                names.len(),
                                super::plural(names.len(), "action"),
                                sample(&names, 3)
                            ),
                            Location::value(star.route.clone()),
                        )
                        .severity(severity),
                );
            }
        }
    }
}
