//! `environment-unprotected`: a production environment that needs no (or too little) approval.

use crate::finding::{Location, Severity};
use crate::rules::environment::{governed, report_against_policy};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::SourceFile;

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

    fn check_document(&self, cx: &mut Cx, _file: &SourceFile) {
        for (env, requirement) in governed(cx) {
            let reviewers_at = env
                .reviewers_route
                .clone()
                .map_or_else(|| Location::value(env.name_route.clone()), Location::value);
            let mut problems = Vec::new();
            if env.reviewers.is_empty() {
                problems.push((
                    format!("production environment `{}` has no required reviewers, so deployments to it need no approval", env.name),
                    Location::value(env.name_route.clone()),
                    Severity::High,
                ));
            } else {
                if env.reviewers.len() < requirement.min_reviewers {
                    problems.push((
                        format!(
                            "environment `{}` has {} required reviewer(s); the policy requires at least {}",
                            env.name,
                            env.reviewers.len(),
                            requirement.min_reviewers
                        ),
                        reviewers_at.clone(),
                        Severity::Medium,
                    ));
                }
                // Numeric ids cannot be matched to names; only named reviewers are compared.
                let named = env
                    .reviewers
                    .iter()
                    .any(|r| !r.chars().all(|c| c.is_ascii_digit()));
                if named {
                    for wanted in &requirement.required_reviewers {
                        let short = wanted.rsplit('/').next().unwrap_or(wanted);
                        if !env.reviewers.iter().any(|r| {
                            r.eq_ignore_ascii_case(short) || r.eq_ignore_ascii_case(wanted)
                        }) {
                            problems.push((
                                format!("environment `{}` does not include the required reviewer `{wanted}`", env.name),
                                reviewers_at.clone(),
                                Severity::Medium,
                            ));
                        }
                    }
                }
            }
            let wait = env.wait_timer.as_ref().map_or(0, |w| w.value);
            if wait < requirement.min_wait_timer {
                let location = env.wait_timer.as_ref().map_or_else(
                    || Location::value(env.name_route.clone()),
                    |w| Location::value(w.route.clone()),
                );
                problems.push((
                    format!(
                        "environment `{}` waits {wait} minute(s) before deploying; the policy requires at least {}",
                        env.name, requirement.min_wait_timer
                    ),
                    location,
                    Severity::Medium,
                ));
            }
            for (message, location, severity) in problems {
                report_against_policy(
                    cx,
                    Self::META.finding(message, location).severity(severity),
                    &requirement,
                );
            }
        }
    }
}
