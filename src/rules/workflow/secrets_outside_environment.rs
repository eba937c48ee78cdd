//! `secrets-outside-environment`: repository or organisation secrets read by a job with no
//! `environment:`.

use std::sync::LazyLock;

use crate::finding::{Location, Severity};
use crate::model::events::{scalars, step_publishes};
use crate::model::{Job, Workflow, deploy, expr};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::Route;

pub struct SecretsOutsideEnvironment;

crate::rule_meta!(
    SecretsOutsideEnvironment,
    "secrets-outside-environment",
    Severity::Medium,
    "job reads repository secrets without an environment",
    r#"## What it does
Reports jobs that read repository or organisation secrets (`${{ secrets.X }}`, anything but
`GITHUB_TOKEN`) and have no `environment:`. One finding per job, at the first read of its
most sensitive secret, naming the secrets it reads.

It is high severity when a secret looks like a deploy or publish credential (its name has a
word such as `DEPLOY`, `NPM`, `PYPI`, `AWS`, `KUBECONFIG`, `DOCKER`, `SSH` from
`rules/workflow/deploy-secret-names.txt`), or when the job deploys or publishes (by the
same deploy commands and actions as `unprotected-deploy`); medium otherwise. Jobs that call a reusable workflow (`jobs.<id>.uses`) are left
out: such a job cannot name an environment; the called workflow's jobs are checked instead.
Secrets named as identifiers (`AZURE_CLIENT_ID`, `REGISTRY_HOST`, `AWS_ROLE_ARN`, by the last
words in `rules/workflow/identifier-secret-words.txt`) grant nothing by themselves and are not
counted.

**Differences from zizmor** (`secrets-outside-env`): zizmor reports every reference, in its
auditor persona only; tollgate reports one finding per job, by default, graded by what the
secret can do, since moving the job to an environment fixes them all at once.

## Why is this bad
Repository and organisation secrets are handed to every job of every workflow on every
branch. Environment secrets are released only after the environment's protection rules pass:
required reviewers approve, the branch is allowed, the wait timer ends. A deploy or publish
token stored as a repository secret can be used by any workflow change pushed to any branch,
with nobody approving.

## Example
```yaml
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
```

## Use instead
Move the secret into an environment with required reviewers, and name it in the job:
```yaml
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: npm
    steps:
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
```

## References
- https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment#environment-secrets
- https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions
- zizmor `secrets-outside-env`: https://docs.zizmor.sh/audits/#secrets-outside-env
"#
);

static DEPLOY_WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("../../../rules/workflow/deploy-secret-names.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

static IDENTIFIER_WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("../../../rules/workflow/identifier-secret-words.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Whether a secret's name marks it as an identifier (`AZURE_CLIENT_ID`, `REGISTRY_HOST`),
/// which grants nothing by itself.
pub fn identifier_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper
        .rsplit(['_', '-', '.'])
        .find(|w| !w.is_empty())
        .is_some_and(|last| IDENTIFIER_WORDS.contains(&last))
}

/// Whether a secret's name marks it as a deploy or publish credential.
pub fn deploy_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().any(|w| DEPLOY_WORDS.contains(w))
        || words
            .windows(2)
            .any(|pair| DEPLOY_WORDS.contains(&format!("{}_{}", pair[0], pair[1]).as_str()))
}

/// The secret names an expression text reads (`secrets.X`, `secrets['X']`), without
/// `GITHUB_TOKEN`.
fn secrets_read(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for expression in expr::expressions(text) {
        for context in expr::contexts(expression.inner) {
            let Some(name) = context
                .strip_prefix("secrets.")
                .or_else(|| context.strip_prefix("SECRETS."))
            else {
                continue;
            };
            let name = name.split('.').next().unwrap_or(name);
            if name.eq_ignore_ascii_case("GITHUB_TOKEN") || name == "*" || name.is_empty() {
                continue;
            }
            out.push((name.to_string(), expression.text.to_string()));
        }
    }
    out
}

struct Read {
    name: String,
    route: Route,
    fragment: String,
    high: bool,
}

impl Rule for SecretsOutsideEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_job(&self, cx: &mut Cx, _workflow: &Workflow, job: &Job) {
        if job.environment().is_some() || job.uses().is_some() {
            return;
        }
        // A job that deploys or publishes uses its secrets for that, whatever their names.
        let job_acts = job
            .steps()
            .iter()
            .any(|s| step_publishes(s) || deploy::step_deploys(s, false).is_some());
        let mut reads: Vec<Read> = Vec::new();
        for (route, text) in scalars(job.node, job.route.clone()) {
            if !text.contains("${{") {
                continue;
            }
            for (name, fragment) in secrets_read(text) {
                if identifier_secret(&name) {
                    continue;
                }
                let high = deploy_secret(&name) || job_acts;
                reads.push(Read {
                    name,
                    route: route.clone(),
                    fragment,
                    high,
                });
            }
        }
        let Some(first) = reads.iter().find(|r| r.high).or(reads.first()) else {
            return;
        };
        let mut names: Vec<&str> = Vec::new();
        for read in &reads {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(&read.name)) {
                names.push(&read.name);
            }
        }
        let shown = names
            .iter()
            .take(6)
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>();
        let more = if names.len() > 6 {
            format!(" and {} more", names.len() - 6)
        } else {
            String::new()
        };
        let (severity, kind) = if first.high {
            (
                Severity::High,
                ", including a deploy or publish credential,",
            )
        } else {
            (Severity::Medium, "")
        };
        cx.report(
            Self::META
                .finding(
                    format!(
                        "job `{}` reads repository secrets ({}{more}){kind} without an `environment:`; environment secrets are released only after the environment's reviewers approve",
                        job.id,
                        shown.join(", ")
                    ),
                    Location::fragment(first.route.clone(), first.fragment.clone())
                        .labelled(format!("`{}` read outside an environment", first.name)),
                )
                .severity(severity)
                .related(Location::key(job.route.clone()).labelled(format!("job `{}` has no `environment:`", job.id))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(deploy_secret("NPM_TOKEN"));
        assert!(deploy_secret("AWS_SECRET_ACCESS_KEY"));
        assert!(deploy_secret("prod-db-password"));
        assert!(deploy_secret("TF_API_TOKEN"));
        assert!(!deploy_secret("CODECOV_TOKEN"));
        assert!(!deploy_secret("SLACK_WEBHOOK"));
        assert!(identifier_secret("AZURE_CLIENT_ID") && identifier_secret("registry-host"));
        assert!(!identifier_secret("AZURE_CREDENTIALS") && !identifier_secret("NPM_TOKEN"));
        assert_eq!(
            secrets_read("${{ secrets['x'] }} ${{ secrets.GITHUB_TOKEN }}")
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>(),
            vec!["x"]
        );
    }
}
