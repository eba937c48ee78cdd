//! `environment-any-branch`: any branch can deploy to a production environment.

use crate::config::BranchRequirement;
use crate::finding::{Location, Severity};
use crate::model::environment::BranchPolicy;
use crate::rules::environment::{governed, report_against_policy};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::SourceFile;

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

    fn check_document(&self, cx: &mut Cx, _file: &SourceFile) {
        for (env, requirement) in governed(cx) {
            let at_policy = || {
                env.branch_policy_route
                    .clone()
                    .map_or_else(|| Location::value(env.name_route.clone()), Location::value)
            };
            let problem = match (&env.branch_policy, &requirement.deployment_branches) {
                (BranchPolicy::Any, _) => Some((
                    format!("any branch can deploy to `{}`: it has no deployment branch policy", env.name),
                    Severity::High,
                )),
                (BranchPolicy::Custom(_), BranchRequirement::Protected) => Some((
                    format!("`{}` allows named branch patterns; the policy requires protected branches only", env.name),
                    Severity::Medium,
                )),
                (BranchPolicy::Custom(patterns), BranchRequirement::Patterns(allowed)) => patterns
                    .iter()
                    .find(|p| !allowed.contains(p))
                    .map(|extra| {
                        (
                            format!("`{}` lets branch pattern `{extra}` deploy; the policy allows only {}", env.name, allowed.join(", ")),
                            Severity::Medium,
                        )
                    }),
                _ => None,
            };
            let Some((message, severity)) = problem else {
                continue;
            };
            report_against_policy(
                cx,
                Self::META.finding(message, at_policy()).severity(severity),
                &requirement,
            );
        }
    }
}
