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
Reports the ways the `GITHUB_TOKEN` gets more power than a job needs:
- `permissions: write-all` at workflow or job level (high);
- `permissions: read-all` at workflow or job level (medium): read access to every scope,
  including ones no job needs (`actions`, `security-events`, `packages`, private
  dependencies);
- write scopes granted at workflow level in a workflow with several jobs, where jobs that do
  not set their own `permissions` inherit them (medium);
- write scopes granted at workflow level in a single-job workflow (low): the one job may need
  them, but any job added later inherits them; grant them on the job instead;
- no `permissions` anywhere, so the repository's default token applies, which on many
  repositories and organisations is read-write on every scope (medium, per job).

A workflow triggered only by `workflow_call` with no `permissions` is not reported: a
reusable workflow's token is the one its caller grants, so the caller is where the scopes are
decided (and checked). With any other trigger beside `workflow_call`, the jobs are reported.
Where tollgate differs from zizmor on purpose: zizmor also reports a job of a
`workflow_call`-only workflow that itself calls another reusable workflow (its
`issue-472-repro.yml`); tollgate leaves that to the outermost caller too. zizmor reports each
write scope of a workflow-level block on its own line; tollgate reports the block once and
names every scope.

Where tollgate differs from zizmor: zizmor reports one finding per write scope and reports the
single-job workflow-level case only in its pedantic persona; tollgate reports one finding on
the `permissions` block, listing the scopes, and the single-job case at low severity.

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
        return match text.trim() {
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

/// Whether a `permissions` node is the blanket `read-all`.
fn is_read_all(permissions: &Node) -> bool {
    permissions
        .as_str()
        .is_some_and(|text| text.trim() == "read-all")
}

fn read_all(place: &str, route: Route) -> crate::finding::Draft {
    ExcessivePermissions::META.finding(
        format!(
            "{place} `read-all` grants read access to every scope (actions, packages, security-events, …); list only the scopes needed"
        ),
        Location::value(route),
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
        let triggers = workflow.triggers();
        let reusable_only = !triggers.is_empty() && triggers.iter().all(|t| *t == "workflow_call");
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
                Some(_) if is_read_all(top) => {
                    cx.report(read_all("workflow-level", top_route.clone()))
                }
                Some(scopes) if !scopes.is_empty() && jobs.len() == 1 => {
                    if jobs[0].node.get("permissions").is_none() {
                        cx.report(
                            Self::META
                                .finding(
                                    format!(
                                        "workflow-level write scopes ({}) apply to every job, including any added later; grant them on job `{}` instead",
                                        scopes.join(", "),
                                        jobs[0].id
                                    ),
                                    Location::key(top_route.clone()),
                                )
                                .severity(Severity::Low),
                        );
                    }
                }
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
                Some(permissions) if is_read_all(permissions) => cx.report(read_all(
                    &format!("job `{}`:", job.id),
                    job.route.key("permissions"),
                )),
                Some(_) => {}
                // A reusable workflow runs with the token its caller grants.
                None if top.is_none() && reusable_only => {}
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
