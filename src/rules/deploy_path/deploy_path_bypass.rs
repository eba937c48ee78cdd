//! `deploy-path-bypass`: the role a deploy job assumes can be assumed without passing the
//! job's environment.

use crate::finding::{Location, Severity};
use crate::model::federation::{self, ClaimTest, Lead, Reached};
use crate::model::iam::{Condition, Statement};
use crate::model::roles::{self, DeclaredRole};
use crate::model::terraform::value::{could_not_resolve, is_unresolved};
use crate::model::{Job, Workflow};
use crate::rules::{Cx, Rule, RuleMeta};

pub struct DeployPathBypass;

crate::rule_meta!(
    DeployPathBypass,
    "deploy-path-bypass",
    Severity::High,
    "deploy role's trust policy does not require the job's environment",
    r#"## What it does
Follows each deploy job to the AWS role it assumes (`role-to-assume` of
`aws-actions/configure-aws-credentials`, matched by name to a role declared in the
repository's IAM JSON, CloudFormation or Terraform) and reads that role's trust policy for
GitHub's OIDC provider. When the trust's `sub` condition lets a token in that was *not* issued
to the job's environment — a branch (`ref:refs/heads/main`), a tag, a pull request, a wildcard,
another environment, or no `sub` condition at all — the finding points at the trust condition,
with the job as a related location. Terraform is evaluated first (variables, locals, local
modules with the caller's arguments, registry OIDC role modules from
`rules/terraform/oidc-modules.toml`), so a role made by a module is found at the module call.
A `sub` the evaluator could not resolve is reported as `info` "could not resolve …": it is
not known to require the environment. One `sub` condition bound to the environment bounds the
statement, as IAM requires every condition.

GCP and Azure logins are followed the same way. `google-github-actions/auth` with
`workload_identity_provider` leads to the `google_iam_workload_identity_pool_provider` of that
id (its CEL `attribute_condition`), and with `service_account` through that account's
`roles/iam.workloadIdentityUser` binding (`principal://…/subject/…`,
`principalSet://…/attribute.…/…`). Each alternative of the condition, with the binding's
member, must require the environment. `azure/login` with `client-id` leads to the
repository's GitHub federated credentials (`subject`). The client id is almost always a
secret, so they are followed only when one application holds them all. Otherwise the link is
unknown in `paths`.

## Why is this bad
The environment is where the approval gate lives; the trust policy is what the cloud actually
enforces. If the role trusts `repo:org/app:ref:refs/heads/main`, any workflow that runs on
`main` — including one added in a later pull request, with no `environment:` at all — can take
the production role without anyone approving. The gate exists, and is bypassed.

## Example
```json
"Condition": {
  "StringEquals": {
    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
    "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"
  }
}
```

## Use instead
```json
"Condition": {
  "StringEquals": {
    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
    "token.actions.githubusercontent.com:sub": "repo:acme/app:environment:production"
  }
}
```

## References
- https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#filtering-for-a-specific-environment
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub
"#
);

pub const SUB: &str = "token.actions.githubusercontent.com:sub";

/// Whether a statement lets GitHub's OIDC tokens assume the role.
pub fn trusts_github(statement: &Statement) -> bool {
    statement.allow
        && statement.is_trust()
        && (statement
            .principals
            .iter()
            .any(|p| p.value.text.contains("token.actions.githubusercontent.com"))
            || statement
                .actions
                .iter()
                .any(|a| a.text.eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity")))
}

fn glob_match(pattern: &str, text: &str) -> bool {
    globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .case_insensitive(true)
        .build()
        .is_ok_and(|g| g.compile_matcher().is_match(text))
}

/// Why a `sub` value admits tokens from outside `environment`, or `None` when it is bound to it.
/// A value the evaluator could not resolve is not bound: see [`is_unresolved`].
pub fn outside_environment(sub: &str, environment: &str, wildcards: bool) -> Option<String> {
    if is_unresolved(sub) {
        return Some(could_not_resolve(sub));
    }
    let has_wildcard = wildcards && sub.contains(['*', '?']);
    let Some(rest) = sub.strip_prefix("repo:") else {
        // A customised subject template: it must at least name the environment.
        let bound = sub
            .split(':')
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[0] == "environment" && w[1].eq_ignore_ascii_case(environment));
        return (!bound || has_wildcard)
            .then(|| "a subject that is not bound to the environment".to_string());
    };
    let Some((repository, context)) = rest.split_once(':') else {
        return Some("any context of the repository".into());
    };
    if wildcards && repository.contains('*') {
        return Some(format!("a wildcard over repositories (`{repository}`)"));
    }
    if let Some(name) = context.strip_prefix("environment:") {
        if wildcards && name.contains(['*', '?']) {
            return glob_match(name, environment)
                .then(|| format!("every environment matching `{name}`, not only `{environment}`"))
                .or_else(|| {
                    Some(format!(
                        "environments matching `{name}`, which `{environment}` is not"
                    ))
                });
        }
        return (!name.eq_ignore_ascii_case(environment))
            .then(|| format!("another environment (`{name}`)"));
    }
    if has_wildcard {
        return Some("a wildcard".into());
    }
    Some(if context.starts_with("ref:refs/heads/") {
        format!(
            "a branch (`{}`)",
            context.trim_start_matches("ref:refs/heads/")
        )
    } else if context.starts_with("ref:refs/tags/") {
        format!("a tag (`{}`)", context.trim_start_matches("ref:refs/tags/"))
    } else if context == "pull_request" {
        "pull requests".into()
    } else {
        format!("`{context}`")
    })
}

/// Whether every value of a `sub` condition is bound to `environment`.
pub fn requires_environment(condition: &Condition, environment: &str) -> bool {
    let wildcards = condition.base_operator().eq_ignore_ascii_case("StringLike");
    !condition.operator.starts_with("ForAllValues")
        && !condition.values.is_empty()
        && condition
            .values
            .iter()
            .all(|v| outside_environment(v.text, environment, wildcards).is_none())
}

impl DeployPathBypass {
    fn judge(&self, cx: &mut Cx, job: &Job, environment: &str, role: &DeclaredRole) {
        let job_location = Location::key(job.route.clone()).labelled(format!(
            "job `{}` deploys through environment `{environment}`",
            job.id
        ));
        for statement in role.trust.statements.iter().filter(|s| trusts_github(s)) {
            let subs: Vec<_> = statement
                .conditions
                .iter()
                .filter(|c| c.key.eq_ignore_ascii_case(SUB))
                .collect();
            if subs.is_empty() {
                cx.report(
                    Self::META
                        .finding(
                            format!(
                                "role `{}` trusts GitHub's OIDC tokens with no `sub` condition, so any workflow can assume it without passing environment `{environment}`",
                                role.name
                            ),
                            Location::value(statement.route.clone()).in_file(role.file.path.clone()),
                        )
                        .related(job_location.clone()),
                );
                continue;
            }
            // Every condition of a statement must hold: one `sub` condition bound to the
            // environment bounds the statement, whatever looser ones sit beside it.
            if subs.iter().any(|c| requires_environment(c, environment)) {
                continue;
            }
            for condition in subs {
                let wildcards = condition.base_operator().eq_ignore_ascii_case("StringLike");
                for value in &condition.values {
                    let Some(why) = outside_environment(value.text, environment, wildcards) else {
                        continue;
                    };
                    let finding = if is_unresolved(value.text) {
                        Self::META
                            .finding(
                                format!(
                                    "role `{}` trusts `{}`: {why}, so whether it requires environment `{environment}` is unknown",
                                    role.name, value.text
                                ),
                                Location::value(value.route.clone()).in_file(role.file.path.clone()),
                            )
                            .severity(Severity::Info)
                    } else {
                        Self::META.finding(
                            format!(
                                "role `{}` trusts `{}`, so {why} can assume it without passing environment `{environment}`",
                                role.name, value.text
                            ),
                            Location::value(value.route.clone()).in_file(role.file.path.clone()),
                        )
                    };
                    cx.report(finding.related(job_location.clone()));
                }
            }
        }
    }
}

impl DeployPathBypass {
    /// A GCP provider (with the service account binding passed) or an Azure credential: each
    /// alternative of its condition must require the job's environment.
    fn judge_federated(&self, cx: &mut Cx, job: &Job, environment: &str, reached: &Reached) {
        let trust = &reached.trust;
        if !trust.trusts_github() && trust.unresolved_issuer().is_none() {
            return;
        }
        let job_location = Location::key(job.route.clone()).labelled(format!(
            "job `{}` deploys through environment `{environment}`",
            job.id
        ));
        if !trust.has_condition {
            cx.report(
                Self::META
                    .finding(
                        format!(
                            "{} trusts GitHub's OIDC tokens with no condition, so any workflow can use it without passing environment `{environment}`",
                            trust.title()
                        ),
                        Location::key(trust.route.clone()).in_file(trust.file.path.clone()),
                    )
                    .related(job_location),
            );
            return;
        }
        for alternative in &reached.alternatives {
            let patterns = ClaimTest::subject_patterns(alternative, &trust.condition_route);
            let reasons: Vec<Option<String>> = patterns
                .iter()
                .map(|p| outside_environment(&p.text, environment, p.wildcards))
                .collect();
            if reasons.iter().any(Option::is_none) {
                continue;
            }
            let via = reached
                .via
                .as_ref()
                .map(|via| format!(" through the binding to `{}`", via.member))
                .unwrap_or_default();
            let Some(pattern) = patterns.first() else {
                continue;
            };
            let subjects = patterns
                .iter()
                .map(|p| format!("`{}`", p.text))
                .collect::<Vec<_>>()
                .join(" and ");
            let finding = if let Some(test) = federation::unreadable(alternative) {
                Self::META
                    .finding(
                        format!(
                            "{} lets in {subjects}{via}: {}, so whether it requires environment `{environment}` is unknown",
                            trust.title(),
                            could_not_resolve(&test.claim)
                        ),
                        Location::value(test.route.clone()).in_file(trust.file.path.clone()),
                    )
                    .severity(Severity::Info)
            } else {
                let why = reasons.into_iter().flatten().next().unwrap_or_default();
                // Through a binding, the binding's member is the last gate that could have
                // named the environment: point there, with the provider beside it.
                let (at, beside) = match &reached.via {
                    Some(via) => (
                        Location::value(via.route.clone()).in_file(via.file.path.clone()),
                        Some(
                            Location::value(pattern.route.clone())
                                .in_file(trust.file.path.clone())
                                .labelled(format!("the condition of {}", trust.title())),
                        ),
                    ),
                    None => (
                        Location::value(pattern.route.clone()).in_file(trust.file.path.clone()),
                        None,
                    ),
                };
                let finding = Self::META.finding(
                    format!(
                        "{} lets in {subjects}{via}, so {why} can use it without passing environment `{environment}`",
                        trust.title()
                    ),
                    at,
                );
                match beside {
                    Some(location) => finding.related(location),
                    None => finding,
                }
            };
            cx.report(finding.related(job_location.clone()));
        }
    }
}

impl Rule for DeployPathBypass {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_job(&self, cx: &mut Cx, _workflow: &Workflow, job: &Job) {
        let Some(environment) = job.environment() else {
            return;
        };
        if environment.contains("${{") {
            return;
        }
        for step in job.steps() {
            if let Some((_, _, Lead::Found(reached))) = federation::login(cx.repo, &step) {
                for trust in &reached {
                    self.judge_federated(cx, job, environment, trust);
                }
                continue;
            }
            if !step.uses_action("aws-actions/configure-aws-credentials") {
                continue;
            }
            let Some(name) = step
                .with("role-to-assume")
                .and_then(|n| n.as_str())
                .and_then(roles::role_name_of)
            else {
                continue;
            };
            let repo = cx.repo;
            for role in &repo.roles_named(name) {
                self.judge(cx, job, environment, role);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        assert_eq!(
            outside_environment("repo:acme/app:environment:production", "production", true),
            None
        );
        assert!(
            outside_environment("repo:acme/app:ref:refs/heads/main", "production", true)
                .unwrap()
                .contains("branch")
        );
        assert!(
            outside_environment("repo:acme/app:environment:staging", "production", false)
                .unwrap()
                .contains("another")
        );
        assert!(
            outside_environment("repo:acme/app:*", "production", true)
                .unwrap()
                .contains("wildcard")
        );
        assert!(
            outside_environment("repo:acme/*:environment:production", "production", true).is_some()
        );
        assert!(outside_environment("repo:acme/app:pull_request", "production", true).is_some());
        assert!(
            outside_environment("repo:acme/app:environment:prod*", "production", true).is_some()
        );
    }
}
