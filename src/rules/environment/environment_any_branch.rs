//! `environment-any-branch`: any branch can deploy to a production environment.

use crate::config::EnvironmentRequirement;
use crate::finding::{Location, Severity};
use crate::model::environment::{DeclaredEnvironment, judge_branches};
use crate::rules::environment::report_shortfall;
use crate::rules::{Cx, Rule, RuleMeta};

pub struct EnvironmentAnyBranch;

crate::rule_meta!(
    EnvironmentAnyBranch,
    "environment-any-branch",
    Severity::High,
    "production environment with no deployment branch policy",
    r#"## What it does
Reports production environments with no deployment branch policy, so a workflow run on any
branch can target them (high), and environments whose branch policy is weaker than the one
`tollgate.yml` requires (`deployment_branches: protected` or a list of patterns; medium).
Protected branches do not meet a list of patterns: which branches are protected is not part
of the environment. A custom policy with no patterns lets nothing deploy and is not reported.
`tollgate drift` judges the live environment with the same functions.

## Why is this bad
Without a branch policy, anyone who can push a branch can run a workflow on it that deploys
to production: the code that reaches production no longer has to pass review on a protected
branch. Reviewers see an approval request, not the unreviewed branch behind it.

## Example
```yaml
# .github/settings.yml
environments:
  - name: production
    reviewers:
      - id: 4242
        type: Team
```

## Use instead
```yaml
environments:
  - name: production
    reviewers:
      - id: 4242
        type: Team
    deployment_branch_policy:
      protected_branches: true
```

## References
- https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment#deployment-branches-and-tags
- https://registry.terraform.io/providers/integrations/github/latest/docs/resources/repository_environment#deployment_branch_policy
"#
);

impl Rule for EnvironmentAnyBranch {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_environment(
        &self,
        cx: &mut Cx,
        env: &DeclaredEnvironment,
        requirement: &EnvironmentRequirement,
    ) {
        let verdict = judge_branches(&Ok(env.branch_policy.clone()), &requirement.demands());
        for shortfall in verdict.shortfalls() {
            let location = env
                .branch_policy_route
                .clone()
                .map_or_else(|| Location::value(env.name_route.clone()), Location::value);
            report_shortfall(cx, Self::META, env, shortfall, location, requirement);
        }
    }
}
