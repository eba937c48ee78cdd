//! `iam-privilege-escalation`: policies that grant a known privilege-escalation path.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::{actions, is_templated};
use crate::finding::{Location, Severity};
use crate::model::iam::Statement;
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::{Route, SourceFile};

pub struct IamPrivilegeEscalation;

crate::rule_meta!(
    IamPrivilegeEscalation,
    "iam-privilege-escalation",
    Severity::High,
    "IAM policy grants a known privilege-escalation path",
    r#"## What it does
Reports policies whose `Allow` statements, after wildcard expansion against AWS's action
table, grant every action of a known privilege-escalation method: `iam:CreatePolicyVersion`,
`iam:SetDefaultPolicyVersion`, `iam:Attach*Policy`/`iam:Put*Policy`, `iam:CreateAccessKey`,
`iam:CreateLoginProfile`/`UpdateLoginProfile`, `iam:AddUserToGroup`,
`iam:UpdateAssumeRolePolicy`, `lambda:UpdateFunctionCode`, and `iam:PassRole` on any role
combined with a compute create action (EC2, Lambda, Glue, CloudFormation, Data Pipeline,
App Runner, CodeBuild, ECS, SageMaker). The method names follow Rhino Security Labs,
Pacu, parliament and cloudsplaining; the table is `rules/iam/privilege-escalation.tsv`.
`iam:PassRole` counts only when it is granted on an unconstrained role ARN without an
`iam:PassedToService` condition, and the other actions only on a wildcard resource (updating
one named function is a deploy, not an escalation). Actions denied outright in the same
policy do not count.

## Why is this bad
Each path lets the holder of a limited credential give itself more: a new default policy
version with `*:*`, an access key for an administrator, a Lambda function running as a
more privileged role. An approval gate in front of a credential that can escalate gates
nothing.

## Example
```json
{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}
```

## Use instead
```json
{"Effect": "Allow", "Action": "iam:PassRole",
 "Resource": "arn:aws:iam::123456789012:role/app-runtime",
 "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}
```

## References
- https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
- https://pathfinding.cloud/
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
"#
);

struct Method {
    name: &'static str,
    actions: Vec<&'static str>,
}

static METHODS: LazyLock<Vec<Method>> = LazyLock::new(|| {
    include_str!("../../../rules/iam/privilege-escalation.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next()?;
            let actions = fields.next()?.split(',').collect();
            Some(Method { name, actions })
        })
        .collect()
});

/// `iam:PassRole` on any role and to any service.
fn passrole_unbounded(statement: &Statement) -> bool {
    let any_role = statement.not_resource
        || statement
            .resources
            .iter()
            .any(|r| r.text == "*" || r.text.ends_with(":role/*") || r.text.ends_with(":*"));
    let bounded_service = statement
        .conditions
        .iter()
        .any(|c| c.key.eq_ignore_ascii_case("iam:PassedToService"));
    any_role && !bounded_service
}

/// A grant on named resources (one function, one policy) is what a deploy needs; a path is
/// open when the resource is a wildcard.
fn any_resource(statement: &Statement) -> bool {
    statement.not_resource
        || statement.resources.is_empty()
        || statement.resources.iter().any(|r| r.text.contains('*'))
}

/// Grants that only reach the caller's own user (`${aws:username}`) are self-service.
fn self_service(statement: &Statement) -> bool {
    !statement.resources.is_empty()
        && statement
            .resources
            .iter()
            .all(|r| r.text.contains("${aws:username}"))
}

impl Rule for IamPrivilegeEscalation {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_document(&self, cx: &mut Cx, _file: &SourceFile) {
        let Some(db) = actions::db() else {
            return;
        };
        for policy in cx.policies() {
            // Lower-cased action -> route of the value that grants it.
            let mut granted: BTreeMap<String, Route> = BTreeMap::new();
            let mut denied: Vec<String> = Vec::new();
            for statement in &policy.statements {
                if statement.not_action || !statement.principals.is_empty() {
                    continue;
                }
                for value in statement.actions.iter().filter(|a| !is_templated(a.text)) {
                    for action in db.expand(value.text) {
                        let lower = action.name.to_ascii_lowercase();
                        if !statement.allow {
                            if statement.conditions.is_empty() && statement.resource_is_star() {
                                denied.push(lower);
                            }
                            continue;
                        }
                        if self_service(statement)
                            || !any_resource(statement)
                            || (lower == "iam:passrole" && !passrole_unbounded(statement))
                        {
                            continue;
                        }
                        granted.entry(lower).or_insert_with(|| value.route.clone());
                    }
                }
            }
            for action in &denied {
                granted.remove(action);
            }
            // Methods grouped by the place that grants their first action.
            let mut by_place: Vec<(Route, Vec<String>)> = Vec::new();
            for method in METHODS.iter() {
                let all = method
                    .actions
                    .iter()
                    .all(|a| granted.contains_key(&a.to_ascii_lowercase()));
                if !all {
                    continue;
                }
                let Some(first) = method
                    .actions
                    .first()
                    .and_then(|a| granted.get(&a.to_ascii_lowercase()))
                else {
                    continue;
                };
                let described = format!("`{}` ({})", method.name, method.actions.join(" + "));
                match by_place.iter_mut().find(|(route, _)| route == first) {
                    Some((_, list)) => list.push(described),
                    None => by_place.push((first.clone(), vec![described])),
                }
            }
            for (route, methods) in by_place {
                let message = if methods.len() == 1 {
                    format!("grants the privilege-escalation path {}", methods.join(""))
                } else {
                    let shown: Vec<&str> = methods.iter().take(3).map(String::as_str).collect();
                    let more = methods.len().saturating_sub(3);
                    let tail = if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    };
                    format!(
                        "grants {} privilege-escalation paths: {}{tail}",
                        methods.len(),
                        shown.join(", ")
                    )
                };
                cx.report(Self::META.finding(message, Location::value(route)));
            }
        }
    }
}
