//! `excessive-permissions`: the workflow token can do more than the jobs need.

use crate::finding::{Location, Severity};
use crate::model::Workflow;
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::{Node, Route};

pub struct ExcessivePermissions;

crate::rule_meta!(
    ExcessivePermissions,
    "excessive-permissions",
    Severity::Medium,
    "workflow token with more permissions than its jobs need",
    r#"## What it does
Reports three ways the `GITHUB_TOKEN` gets more power than a job needs:
- `permissions: write-all` at workflow or job level (high);
- write scopes granted at workflow level in a workflow with several jobs, where jobs that do
  not set their own `permissions` inherit them (medium);
- no `permissions` anywhere, so the repository's default token applies, which on many
  repositories and organisations is read-write on every scope (medium, per job).

## Why is this bad
Every step of every job can use the token: a compromised action, a dependency's install
script or an injected command can push code, publish packages, approve deployments or mint
an OIDC token for a cloud role. Least privilege limits what one bad step can do.

## Example
```yaml
on: push
permissions: write-all
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
```

## Use instead
```yaml
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - run: make test
```

## References
- https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/controlling-permissions-for-github_token
- zizmor `excessive-permissions`: https://docs.zizmor.sh/audits/#excessive-permissions
- OpenSSF Scorecard Token-Permissions: https://github.com/ossf/scorecard/blob/main/docs/checks.md#token-permissions
"#
);

/// The write scopes a `permissions` node grants, or `None` for a blanket `write-all`.
fn write_scopes(permissions: &Node) -> Option<Vec<String>> {
    if let Some(text) = permissions.as_str() {
        return match text {
            "write-all" => None,
            _ => Some(Vec::new()),
        };
    }
    Some(
        permissions
            .entries()
            .filter(|(_, level)| level.as_str() == Some("write"))
            .map(|(scope, _)| scope.to_string())
            .collect(),
    )
}

impl Rule for ExcessivePermissions {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_workflow(&self, cx: &mut Cx, workflow: &Workflow) {
        let jobs = workflow.jobs();
        let top = workflow.root.get("permissions");
        let top_route = Route::root().key("permissions");
        if let Some(top) = top {
            match write_scopes(top) {
                None => cx.report(
                    Self::META
                        .finding(
                            "`write-all` grants every job write access to every scope",
                            Location::value(top_route.clone()),
                        )
                        .severity(Severity::High),
                ),
                Some(scopes) if !scopes.is_empty() && jobs.len() > 1 => {
                    let inheriting: Vec<&str> = jobs
                        .iter()
                        .filter(|job| job.node.get("permissions").is_none())
                        .map(|job| job.id)
                        .collect();
                    if !inheriting.is_empty() {
                        cx.report(Self::META.finding(
                            format!(
                                "workflow-level write scopes ({}) are inherited by every job without its own `permissions` ({}); grant them only to the jobs that need them",
                                scopes.join(", "),
                                inheriting.join(", ")
                            ),
                            Location::key(top_route.clone()),
                        ));
                    }
                }
                Some(_) => {}
            }
        }
        for job in &jobs {
            let job_permissions = job.node.get("permissions");
            match job_permissions {
                Some(permissions) if write_scopes(permissions).is_none() => cx.report(
                    Self::META
                        .finding(
                            format!("job `{}` grants `write-all` to its token", job.id),
                            Location::value(job.route.key("permissions")),
                        )
                        .severity(Severity::High),
                ),
                Some(_) => {}
                None if top.is_none() => cx.report(Self::META.finding(
                    format!(
                        "job `{}` sets no `permissions` and the workflow sets none either, so the repository's default token scopes apply",
                        job.id
                    ),
                    Location::key(job.route.clone()),
                )),
                None => {}
            }
        }
    }
}
