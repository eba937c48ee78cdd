//! `iam-trust-any-principal`: a role anyone can assume.

use crate::finding::{Location, Severity};
use crate::model::iam::{Policy, PolicyKind};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::SourceFile;

pub struct IamTrustAnyPrincipal;

crate::rule_meta!(
    IamTrustAnyPrincipal,
    "iam-trust-any-principal",
    Severity::High,
    "trust policy lets any AWS principal assume the role",
    r#"## What it does
Reports trust statements with `Principal: "*"` or `{"AWS": "*"}`. With no condition, high;
with conditions that do not name whose principals may come in (`aws:PrincipalOrgID`,
`aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:SourceAccount`, `aws:SourceArn`,
`aws:SourceOrgID`, `sts:ExternalId`), medium.

## Why is this bad
`*` is every AWS account in the world. Anyone who learns the role ARN can assume it and act
with its permissions.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
```

## Use instead
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/ci-broker"},
 "Action": "sts:AssumeRole"}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
"#
);

const BOUNDING_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:principalorgpaths",
    "sts:externalid",
];

impl Rule for IamTrustAnyPrincipal {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_policies(&self, cx: &mut Cx, _file: &SourceFile, policies: &[Policy]) {
        for policy in policies {
            for statement in &policy.statements {
                if !statement.allow || !(statement.is_trust() || policy.kind == PolicyKind::Trust) {
                    continue;
                }
                let Some(star) = statement.principals.iter().find(|p| {
                    p.value.text == "*" && (p.kind == "*" || p.kind.eq_ignore_ascii_case("AWS"))
                }) else {
                    continue;
                };
                let location = Location::value(star.value.route.clone());
                if statement.conditions.is_empty() {
                    cx.report(Self::META.finding(
                        "any AWS principal in any account can assume this role",
                        location,
                    ));
                    continue;
                }
                let bounded = statement
                    .conditions
                    .iter()
                    .any(|c| BOUNDING_KEYS.contains(&c.key.to_ascii_lowercase().as_str()));
                if !bounded {
                    cx.report(
                        Self::META
                            .finding(
                                "any AWS principal can assume this role: its conditions do not name an account, organisation or principal",
                                location,
                            )
                            .severity(Severity::Medium),
                    );
                }
            }
        }
    }
}
