//! `environment-unprotected`: a production environment that needs no (or too little) approval.

use crate::config::EnvironmentRequirement;
use crate::finding::{Location, Severity};
use crate::model::environment::{
    DeclaredEnvironment, Shortfall, judge_reviewers, judge_wait_timer,
};
use crate::rules::environment::report_shortfall;
use crate::rules::{Cx, Rule, RuleMeta};

pub struct EnvironmentUnprotected;

crate::rule_meta!(
    EnvironmentUnprotected,
    "environment-unprotected",
    Severity::High,
    "production environment with no required reviewers",
    r#"## What it does
Reports production environments declared in `.github/settings.yml` or Terraform that have no
required reviewers (high), fewer reviewers than the policy's `min_reviewers`, a reviewer the
policy requires missing (`required_reviewers`, matched by team or user name), or a wait timer
shorter than `min_wait_timer` (medium).

## Why is this bad
An environment without required reviewers is a label, not a gate: any workflow run that
targets it deploys at once, with whatever secrets and cloud roles the environment unlocks.

## Example
```yaml
# .github/settings.yml
environments:
  - name: production
    deployment_branch_policy:
      protected_branches: true
```

## Use instead
```yaml
environments:
  - name: production
    prevent_self_review: true
    reviewers:
      - id: 4242
        type: Team
    deployment_branch_policy:
      protected_branches: true
```

## References
- https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment#required-reviewers
- https://github.com/repository-settings/app/blob/master/docs/plugins/environments.md
"#
);

impl Rule for EnvironmentUnprotected {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_environment(
        &self,
        cx: &mut Cx,
        env: &DeclaredEnvironment,
        requirement: &EnvironmentRequirement,
    ) {
        let demands = requirement.demands();
        let protection = env.protection();
        let reviewers_at = env
            .reviewers_route
            .clone()
            .map_or_else(|| Location::value(env.name_route.clone()), Location::value);
        let wait_at = env.wait_timer.as_ref().map_or_else(
            || Location::value(env.name_route.clone()),
            |w| Location::value(w.route.clone()),
        );
        let reviewers = judge_reviewers(&protection.reviewers, &demands);
        let wait = judge_wait_timer(&protection.wait_timer, &demands);
        for shortfall in reviewers.shortfalls().iter().chain(wait.shortfalls()) {
            let location = match shortfall {
                Shortfall::NoReviewers => Location::value(env.name_route.clone()),
                Shortfall::WaitTooShort { .. } => wait_at.clone(),
                _ => reviewers_at.clone(),
            };
            report_shortfall(cx, Self::META, env, shortfall, location, requirement);
        }
    }
}
