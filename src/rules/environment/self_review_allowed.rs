//! `self-review-allowed`: a production environment whose reviewers may approve their own runs.

use crate::config::EnvironmentRequirement;
use crate::finding::{Location, Severity};
use crate::model::environment::{DeclaredEnvironment, Shortfall, judge_self_review};
use crate::rules::environment::report_against_policy;
use crate::rules::{Cx, Rule, RuleMeta};

pub struct SelfReviewAllowed;

crate::rule_meta!(
    SelfReviewAllowed,
    "self-review-allowed",
    Severity::High,
    "production environment lets the person who triggered a deployment approve it",
    r#"## What it does
Reports production environments (by the `environments` requirements in `tollgate.yml`, or the
production name patterns) declared in `.github/settings.yml` or Terraform
(`github_repository_environment`) that have required reviewers but do not set
`prevent_self_review: true`. An absent field counts as false: that is GitHub's default.
An environment with no reviewers at all is reported once, by `environment-unprotected`.

## Why is this bad
With self-review allowed, a required reviewer who pushes a change can approve their own
deployment. The "second pair of eyes" on production becomes one pair: any reviewer account, if
compromised, can ship to production alone.

## Example
```hcl
resource "github_repository_environment" "production" {
  environment = "production"
  repository  = "api"
  reviewers {
    teams = [github_team.platform.id]
  }
}
```

## Use instead
```hcl
resource "github_repository_environment" "production" {
  environment         = "production"
  repository          = "api"
  prevent_self_review = true
  reviewers {
    teams = [github_team.platform.id]
  }
}
```

## References
- https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment#required-reviewers
- https://registry.terraform.io/providers/integrations/github/latest/docs/resources/repository_environment
"#
);

impl Rule for SelfReviewAllowed {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_environment(
        &self,
        cx: &mut Cx,
        env: &DeclaredEnvironment,
        requirement: &EnvironmentRequirement,
    ) {
        let verdict = judge_self_review(&env.protection(), &requirement.demands());
        // With no reviewers the verdict is the same (unmet), but `environment-unprotected`
        // reports it, at the same place: one finding for one fact.
        if !verdict.shortfalls().contains(&Shortfall::SelfReviewAllowed) {
            return;
        }
        let (message, location) = match &env.prevent_self_review {
            Some(field) => (
                format!(
                    "environment `{}` lets reviewers approve their own deployments (`prevent_self_review` is false)",
                    env.name
                ),
                Location::value(field.route.clone()),
            ),
            None => (
                format!(
                    "environment `{}` lets reviewers approve their own deployments: `prevent_self_review` is not set in {}, and GitHub's default is false",
                    env.name,
                    env.declared_in.name()
                ),
                Location::value(env.name_route.clone()),
            ),
        };
        report_against_policy(cx, Self::META.finding(message, location), requirement);
    }
}
