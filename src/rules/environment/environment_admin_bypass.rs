//! `environment-admin-bypass`: administrators can deploy past the protection rules.

use crate::config::EnvironmentRequirement;
use crate::finding::{Location, Severity};
use crate::model::environment::{DeclaredEnvironment, Verdict, judge_admin_bypass};
use crate::rules::environment::report_against_policy;
use crate::rules::{Cx, Rule, RuleMeta};

pub struct EnvironmentAdminBypass;

crate::rule_meta!(
    EnvironmentAdminBypass,
    "environment-admin-bypass",
    Severity::Medium,
    "repository administrators can bypass a production environment's protection rules",
    r#"## What it does
Reports production environments whose protection rules administrators may bypass:
`can_admins_bypass = true`, or the field absent so the default applies (true, both on GitHub
and in the Terraform provider). The settings app cannot set the field, so environments it
declares keep the default unless `can_admins_bypass: false` is written. Set
`admins_can_bypass: true` for an environment in `tollgate.yml` to accept the bypass.

## Why is this bad
A bypass turns required reviewers and wait timers into advice for anyone with admin rights,
including automation tokens with admin scope. A production deploy should have one path.

## Example
```hcl
resource "github_repository_environment" "production" {
  environment = "production"
  repository  = "api"
}
```

## Use instead
```hcl
resource "github_repository_environment" "production" {
  environment       = "production"
  repository        = "api"
  can_admins_bypass = false
}
```

## References
- https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment#allow-administrators-to-bypass-configured-protection-rules
- https://registry.terraform.io/providers/integrations/github/latest/docs/resources/repository_environment#can_admins_bypass
"#
);

impl Rule for EnvironmentAdminBypass {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_environment(
        &self,
        cx: &mut Cx,
        env: &DeclaredEnvironment,
        requirement: &EnvironmentRequirement,
    ) {
        let verdict =
            judge_admin_bypass(&Ok(env.admins_can_bypass()), requirement.admins_can_bypass);
        if verdict == Verdict::Met {
            return;
        }
        let (message, location) = match &env.can_admins_bypass {
            Some(field) => (
                format!(
                    "administrators can bypass the protection rules of `{}` (`can_admins_bypass` is true)",
                    env.name
                ),
                Location::value(field.route.clone()),
            ),
            None => (
                format!(
                    "administrators can bypass the protection rules of `{}`: `can_admins_bypass` is not set in {}, and the default is true",
                    env.name,
                    env.declared_in.name()
                ),
                Location::value(env.name_route.clone()),
            ),
        };
        report_against_policy(cx, Self::META.finding(message, location), requirement);
    }
}
