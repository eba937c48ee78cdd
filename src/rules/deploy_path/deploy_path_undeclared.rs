//! `deploy-path-undeclared`: a deploy job's environment is declared nowhere.

use crate::finding::{Location, Severity};
use crate::model::deploy::first_deploy_step;
use crate::model::{Job, Workflow};
use crate::rules::{Cx, Rule, RuleMeta};

pub struct DeployPathUndeclared;

crate::rule_meta!(
    DeployPathUndeclared,
    "deploy-path-undeclared",
    Severity::Medium,
    "deploy job's environment is not declared in the repository or the policy",
    r#"## What it does
Reports deploy jobs whose `environment:` is not declared anywhere tollgate can read: not in
Terraform (`github_repository_environment`), not in `.github/settings.yml`, and not named in
the `environments` section of `tollgate.yml`.

## Why is this bad
GitHub creates an environment on first use with no protection at all: no reviewers, no branch
policy. If its protection is only clicked together in the UI, nothing in the repository shows
it exists, reviews cannot see it change, and `tollgate drift` has nothing to compare against.

## Example
```yaml
jobs:
  deploy:
    environment: production   # declared nowhere
    steps:
      - run: terraform apply -auto-approve
```

## Use instead
Declare it, with its protection, where the repository's settings live:
```hcl
resource "github_repository_environment" "production" {
  environment         = "production"
  repository          = "api"
  prevent_self_review = true
  can_admins_bypass   = false
  reviewers {
    teams = [github_team.platform.id]
  }
  deployment_branch_policy {
    protected_branches     = true
    custom_branch_policies = false
  }
}
```
or name it in `tollgate.yml` under `environments:` so `tollgate drift` checks it live.

## References
- https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment#creating-an-environment
- https://registry.terraform.io/providers/integrations/github/latest/docs/resources/repository_environment
"#
);

impl Rule for DeployPathUndeclared {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_job(&self, cx: &mut Cx, _workflow: &Workflow, job: &Job) {
        let Some(environment) = job.environment() else {
            return;
        };
        // A name chosen at run time cannot be looked up.
        if environment.contains("${{") || first_deploy_step(job).is_none() {
            return;
        }
        let declared = !cx.repo.environment(environment).is_empty()
            || cx
                .config
                .declared_environments()
                .any(|r| r.pattern.eq_ignore_ascii_case(environment));
        if declared {
            return;
        }
        let route = match job.node.get("environment") {
            Some(node) if node.as_map().is_some() => job.route.key("environment").key("name"),
            _ => job.route.key("environment"),
        };
        cx.report(Self::META.finding(
            format!(
                "deploy job `{}` uses environment `{environment}`, which is declared neither in Terraform, .github/settings.yml nor tollgate.yml, so nothing shows it is protected",
                job.id
            ),
            Location::value(route),
        ));
    }
}
