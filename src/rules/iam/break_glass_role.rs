//! `break-glass-role`: a role declared under `break_glass` in `tollgate.yml` must be rare,
//! short-lived and human: defined in the repository's IaC, with a session no longer than its
//! `max_ttl`, a trust that requires MFA of people and no GitHub OIDC trust, and no workflow
//! that assumes it.

use crate::config::BreakGlass;
use crate::finding::{Location, Severity};
use crate::model::Step;
use crate::model::iam::{self, Policy, Statement};
use crate::model::roles::{self, role_name_of};
use crate::rules::{Cx, Rule, RuleMeta, StepHost};
use crate::source::{FileKind, Route, SourceFile};
use crate::util::duration::human;

pub struct BreakGlassRole;

crate::rule_meta!(
    BreakGlassRole,
    "break-glass-role",
    Severity::High,
    "break-glass role that is missing, long-lived, assumable without MFA or through CI",
    r#"## What it does
For each role listed under `break_glass` in `tollgate.yml`:
- reports the entry when no IAM JSON, CloudFormation or Terraform file of the repository
  defines a role of that name;
- reports the role's `MaxSessionDuration` / `max_session_duration` when it is longer than
  the entry's `max_ttl` (IAM's default of one hour counts when it is not written);
- reports trust statements that let an AWS principal (a person's user or role, an account)
  assume it without `aws:MultiFactorAuthPresent` or `aws:MultiFactorAuthAge`;
- reports trust statements for GitHub's OIDC provider: CI must not be able to assume it;
- reports workflow steps whose `role-to-assume` is the role.

## Why is this bad
A break-glass role is the path around the normal deploy path: it must be rare, short-lived,
approved and reviewed on every use. A role that exists only in the console cannot be
reviewed; a twelve-hour session outlives the incident; a trust without MFA turns one stolen
password into production access; and a role a workflow can assume is a standing deploy path
with no environment approval in front of it.

## Example
```yaml
# tollgate.yml
break_glass:
  - role: break-glass-admin
    approvers: [security-leads]
    max_ttl: 1h
```
```hcl
resource "aws_iam_role" "break_glass" {
  name                 = "break-glass-admin"
  max_session_duration = 43200
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
                   Principal = { AWS = "arn:aws:iam::123456789012:root" } }]
  })
}
```

## Use instead
```hcl
resource "aws_iam_role" "break_glass" {
  name                 = "break-glass-admin"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
                   Principal = { AWS = "arn:aws:iam::123456789012:role/security-leads" },
                   Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } } }]
  })
}
```
`tollgate drift --aws` reads the role's live session length too.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html#id_roles_use_view-role-max-session
- https://docs.aws.amazon.com/whitepapers/latest/organizing-your-aws-environment/break-glass-access.html
"#
);

/// IAM's `MaxSessionDuration` when a role does not set one.
const DEFAULT_SESSION: u64 = 3600;

fn entry<'c>(cx: &Cx<'c>, name: &str) -> Option<&'c BreakGlass> {
    cx.config.break_glass.iter().find(|b| b.role == name)
}

fn requires_mfa(statement: &Statement) -> bool {
    statement.conditions.iter().any(|c| {
        let key = c.key.to_ascii_lowercase();
        (key == "aws:multifactorauthpresent"
            && c.operator.to_ascii_lowercase().starts_with("bool")
            && c.values.iter().all(|v| v.text.eq_ignore_ascii_case("true")))
            || (key == "aws:multifactorauthage"
                && c.operator
                    .to_ascii_lowercase()
                    .starts_with("numericlessthan"))
    })
}

impl Rule for BreakGlassRole {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    /// `tollgate.yml` itself: each entry's role is defined somewhere in the repository.
    fn check_document(&self, cx: &mut Cx, file: &SourceFile) {
        if file.kind == FileKind::Policy && !cx.config.break_glass.is_empty() {
            self.check_declared(cx);
        }
    }

    fn check_policies(&self, cx: &mut Cx, file: &SourceFile, policies: &[Policy]) {
        if !cx.config.break_glass.is_empty() {
            self.check_roles(cx, file, policies);
        }
    }

    fn check_step(&self, cx: &mut Cx, _host: &StepHost, step: &Step) {
        if cx.config.break_glass.is_empty()
            || !step.uses_action("aws-actions/configure-aws-credentials")
        {
            return;
        }
        let Some(text) = step.with("role-to-assume").and_then(|n| n.as_str()) else {
            return;
        };
        let Some(name) = role_name_of(text) else {
            return;
        };
        if let Some(entry) = entry(cx, name) {
            cx.report(Self::META.finding(
                format!(
                    "this step assumes break-glass role `{}`: a workflow must never assume it (use the normal deploy role; break-glass use is by a person, approved and reviewed)",
                    entry.role
                ),
                Location::value(step.with_route("role-to-assume")),
            ));
        }
    }
}

impl BreakGlassRole {
    /// `tollgate.yml` itself: each entry's role is defined somewhere in the repository.
    fn check_declared(&self, cx: &mut Cx) {
        for (index, entry) in cx.config.break_glass.iter().enumerate() {
            if !cx.repo.roles_named(&entry.role).is_empty() {
                continue;
            }
            cx.report(Self::META.finding(
                format!(
                    "break-glass role `{}` is defined in no IAM JSON, CloudFormation or Terraform file of this repository: its trust and session length cannot be reviewed",
                    entry.role
                ),
                Location::value(Route::root().key("break_glass").index(index).key("role")),
            ));
        }
    }

    fn check_roles(&self, cx: &mut Cx, file: &SourceFile, policies: &[Policy]) {
        let sessions = iam::session_durations(file);
        for role in roles::roles_with(file, policies) {
            let Some(entry) = entry(cx, &role.name) else {
                continue;
            };
            // Trust: people with MFA, never GitHub OIDC.
            for statement in &role.trust.statements {
                if !statement.allow {
                    continue;
                }
                let github = statement
                    .principals
                    .iter()
                    .any(|p| p.value.text.contains("token.actions.githubusercontent.com"));
                if github {
                    cx.report(Self::META.finding(
                        format!(
                            "break-glass role `{}` trusts GitHub's OIDC provider: CI can assume it",
                            role.name
                        ),
                        Location::value(statement.principal_route.clone()),
                    ));
                    continue;
                }
                let people = statement
                    .principals
                    .iter()
                    .any(|p| p.kind == "AWS" || p.kind == "*");
                if people && !requires_mfa(statement) {
                    cx.report(Self::META.finding(
                        format!(
                            "break-glass role `{}` can be assumed without MFA: add `aws:MultiFactorAuthPresent` = `true` (Bool)",
                            role.name
                        ),
                        Location::value(statement.principal_route.clone()),
                    ));
                }
            }
            // Session length against max_ttl.
            let Some(max_ttl) = entry.max_ttl else {
                continue;
            };
            let owner: Vec<_> = role.trust.route.0.iter().take(3).cloned().collect();
            let in_resource = owner.len() == 3
                && matches!(owner.first(), Some(crate::source::Step::Key(k)) if k == "resource" || k == "Resources");
            if !in_resource {
                continue;
            }
            let written = sessions
                .iter()
                .find(|s| s.value.route.0.starts_with(&owner));
            match written {
                Some(session) => {
                    let Ok(seconds) = session.value.text.trim().parse::<u64>() else {
                        continue;
                    };
                    if seconds > max_ttl {
                        cx.report(Self::META.finding(
                            format!(
                                "break-glass role `{}` allows {} sessions, longer than its max_ttl of {}",
                                role.name,
                                human(seconds),
                                human(max_ttl)
                            ),
                            Location::value(session.value.route.clone()),
                        ));
                    }
                }
                None if DEFAULT_SESSION > max_ttl => {
                    cx.report(Self::META.finding(
                        format!(
                            "break-glass role `{}` does not set its session length, so IAM's default of 1h applies, longer than its max_ttl of {}",
                            role.name,
                            human(max_ttl)
                        ),
                        Location::value(role.trust.route.clone()),
                    ));
                }
                None => {}
            }
        }
    }
}
