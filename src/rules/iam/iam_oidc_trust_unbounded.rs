//! `iam-oidc-trust-unbounded`: a trust policy for GitHub's OIDC provider that lets more
//! workflows assume the role than the one meant to.

use std::sync::LazyLock;

use regex::Regex;

use crate::finding::{Location, Severity};
use crate::model::federation::{self, ClaimTest, Cloud, FederatedTrust};
use crate::model::iam::{Condition, Policy, Statement};
use crate::model::terraform::value::{could_not_resolve, is_unresolved};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::SourceFile;

pub struct IamOidcTrustUnbounded;

crate::rule_meta!(
    IamOidcTrustUnbounded,
    "iam-oidc-trust-unbounded",
    Severity::High,
    "GitHub OIDC trust policy that does not bind the role to one repository",
    r#"## What it does
Reads trust statements whose `Federated` principal is GitHub's OIDC provider
(`token.actions.githubusercontent.com`, or a GitHub Enterprise issuer
`token.actions.githubusercontent.com/<slug>`) and grades how far their conditions open the
role. Terraform is read as Terraform evaluates it: the provider may be an
`aws_iam_openid_connect_provider` resource or data source whose `url` resolves to GitHub, and
subjects may come from variables (defaults, `terraform.tfvars`, a local module's caller),
locals, templates, functions, `for` expressions and `dynamic "condition"` blocks. Roles made
by the registry modules listed in `rules/terraform/oidc-modules.toml` are read at the module
call. The grades:
- no `sub` condition and no repository claim: any repository on GitHub (high);
- `sub` of `*`, `repo:*` or `repo:*/*`: any repository (high);
- `sub` of `repo:org/*`: every repository of the organisation, new ones included (high;
  checkov accepts this, tollgate does not);
- `sub` that does not start with `repo:` (`environment:prod`, `ref:…`): a claim any
  repository can present under GitHub's default subject template (high);
- `ForAllValues:` on `sub`, which passes when the claim is absent (high); `ForAnyValue:`
  (medium);
- `repo:org/repo:*`: any branch, pull request or environment of the repository (medium);
- `repo:org/repo:ref:refs/heads/*`: any branch (medium); `repo:org/repo:environment:*`: any
  environment, protected or not (medium);
- a `pull_request` subject (medium);
- a wildcard under `StringEquals`, which is a literal `*` and never matches today: medium when
  the pattern meant would open the role (checkov's `repo:org*`, `*`), else low;
- no `aud` condition (low);
- a subject, condition or `Federated` principal the evaluator could not resolve (a variable
  with no default, a remote state, a module output): `info` "could not resolve …", naming it.
  Unknown is never taken as bound.

IAM requires every condition of a statement: one `sub` condition that binds the role (say a
`StringEquals` on an exact subject) bounds the statement, whatever looser `StringLike` sits
beside it. A repeated key in a `jsonencode` object is read as Terraform reads it: the last
one wins.

Since 2026 STS checks GitHub's claims as condition keys of their own
(`token.actions.githubusercontent.com:repository`, `:repository_id`, `:job_workflow_ref`,
`:environment`, `:ref`, …). An exact `repository`, `repository_id` or `job_workflow_ref`
condition binds the role to a repository as well as `sub` does and is accepted.

GCP and Azure are graded the same way. A `google_iam_workload_identity_pool_provider` whose
issuer (`oidc { issuer_uri }`) is GitHub's is read through its CEL `attribute_condition`
(`==`, `in [...]`, `startsWith`, `&&`, `||`, `!`, with `attribute.*` and `google.subject`
mapped back to GitHub's claims through `attribute_mapping`): every alternative must bind one
repository, by `sub` or by an exact `repository`, `repository_id` or `job_workflow_ref`. A
`repository_owner` test alone is every repository of the owner (high). An
`azuread_application_federated_identity_credential` or `azurerm_federated_identity_credential`
with GitHub's `issuer` is read through its `subject`. No condition, or no `subject`, is any
repository (high). Both compare exactly: a `*` in CEL `==` or in an Azure `subject` is a
literal that never matches. It is graded as a `*` under `StringEquals` is graded (medium when
the pattern meant would open the trust), so tollgate is stricter than checkov on
`repo:org/repo:*`. A CEL function tollgate does not read (`matches`, `extract`) is `info`
"could not resolve …". The service account's binding (`principalSet://…/attribute.repository/…`)
can narrow a pool further. `deploy-path-bypass` and `paths` join it to the provider. This
rule judges the provider alone, as checkov does.

## Why is this bad
GitHub mints an OIDC token for every workflow run of every repository. The trust policy's
conditions are the only thing that tells AWS which of those runs may become this role; a
missing or wildcard `sub` lets any repository, including an attacker's, assume it.

## Example
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
 "Action": "sts:AssumeRoleWithWebIdentity",
 "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
 "Action": "sts:AssumeRoleWithWebIdentity",
 "Condition": {"StringEquals": {
   "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
   "token.actions.githubusercontent.com:sub": "repo:acme/api:environment:production"}}}
```

## References
- https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
- https://securitylabs.datadoghq.com/articles/exploring-github-to-aws-keyless-authentication-flaws/
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html
- https://docs.github.com/en/actions/reference/openid-connect-reference#example-subject-claims
"#
);

static GITHUB_KEY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^token\.actions\.githubusercontent\.com(?:/[a-z0-9_-]+)?:([a-z_]+)$").ok()
});

/// The GitHub claim a condition tests, lower-cased.
fn claim(condition: &Condition) -> Option<String> {
    let captures = GITHUB_KEY.as_ref()?.captures(&condition.key)?;
    Some(captures.get(1)?.as_str().to_ascii_lowercase())
}

/// Whether a statement trusts GitHub's OIDC provider: a `Federated` principal whose value
/// names GitHub's issuer (literally, or as the evaluated ARN of an
/// `aws_iam_openid_connect_provider` resource or data source), or a `Federated` principal
/// whose conditions test GitHub's claims.
pub fn is_github_provider(statement: &Statement) -> bool {
    let federated = || {
        statement
            .principals
            .iter()
            .filter(|p| p.kind.eq_ignore_ascii_case("Federated"))
    };
    federated().any(|p| p.value.text.contains(GITHUB_HOST))
        || (federated().next().is_some() && statement.conditions.iter().any(|c| claim(c).is_some()))
}

const GITHUB_HOST: &str = "token.actions.githubusercontent.com";

/// A web-identity trust whose `Federated` principal could not be resolved: it may be GitHub.
fn unresolved_provider<'s>(statement: &'s Statement) -> Option<&'s str> {
    let web_identity = statement
        .actions
        .iter()
        .any(|a| a.text.eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity"));
    if !web_identity {
        return None;
    }
    statement
        .principals
        .iter()
        .find(|p| p.kind.eq_ignore_ascii_case("Federated") && is_unresolved(p.value.text))
        .map(|p| p.value.text)
}

fn exact(condition: &Condition) -> bool {
    condition.base_operator() == "StringEquals"
        && !condition.operator.starts_with("ForAllValues")
        && condition
            .values
            .iter()
            .all(|v| !v.text.contains(['*', '?']) && !is_unresolved(v.text))
}

/// How far one `sub` value opens the role: severity and wording, or `None` when it binds.
/// A value holding what the evaluator could not resolve (`repo:${var.org}/*`) is `info`:
/// the binding is unknown, which is not the same as bound.
pub fn judge_sub(text: &str) -> Option<(Severity, String)> {
    if is_unresolved(text) {
        return Some((
            Severity::Info,
            format!(
                "{} in `sub` `{text}`: whether it binds the role to one repository is unknown",
                could_not_resolve(text)
            ),
        ));
    }
    let Some(rest) = text.strip_prefix("repo:") else {
        if text == "*" || text.starts_with('*') {
            return Some((
                Severity::High,
                format!("`sub` of `{text}` lets any GitHub repository assume this role"),
            ));
        }
        let first = text.split(':').next().unwrap_or(text);
        return Some((
            Severity::High,
            format!(
                "`sub` of `{text}` starts with the `{first}` claim, which any repository can present under GitHub's default subject template; bind `repo:ORG/REPO:…`"
            ),
        ));
    };
    let (repo, context) = rest.split_once(':').unwrap_or((rest, ""));
    let (org, name) = repo.split_once('/').unwrap_or((repo, ""));
    if org.contains(['*', '?']) || repo.is_empty() {
        return Some((
            Severity::High,
            format!("`sub` of `{text}` lets any GitHub repository assume this role"),
        ));
    }
    if name.contains(['*', '?']) || name.is_empty() {
        return Some((
            Severity::High,
            format!(
                "`sub` of `{text}` lets every repository of `{org}` assume this role, including new ones"
            ),
        ));
    }
    if context.is_empty() || context.starts_with('*') {
        return Some((
            Severity::Medium,
            format!(
                "`sub` of `{text}` lets any branch, pull request or environment of `{repo}` assume this role"
            ),
        ));
    }
    // `ref:refs/heads/*` is any branch, `environment:*` any environment (a job naming one
    // that does not exist creates it, unprotected).
    for (prefix, what) in [
        ("environment:", "environment"),
        ("ref:refs/heads/", "branch"),
        ("ref:refs/tags/", "tag"),
        ("ref:", "branch or tag"),
    ] {
        if let Some(value) = context.strip_prefix(prefix) {
            if value.is_empty() || value.starts_with(['*', '?']) {
                return Some((
                    Severity::Medium,
                    format!("`sub` of `{text}` lets any {what} of `{repo}` assume this role"),
                ));
            }
            break;
        }
    }
    if context.starts_with("pull_request") {
        return Some((
            Severity::Medium,
            format!("`sub` of `{text}` lets pull-request workflows of `{repo}` assume this role"),
        ));
    }
    if let Some(branch) = context.strip_prefix("ref:refs/heads/")
        && branch.contains(['*', '?'])
    {
        return Some((
            Severity::Medium,
            format!(
                "`sub` of `{text}` lets a workflow on any branch of `{repo}` matching `{branch}` assume this role, and anyone who can push a branch can make one"
            ),
        ));
    }
    if let Some(environment) = context.strip_prefix("environment:")
        && environment.contains(['*', '?'])
    {
        return Some((
            Severity::Medium,
            format!(
                "`sub` of `{text}` lets any environment of `{repo}` matching `{environment}` assume this role, including ones with no protection rules"
            ),
        ));
    }
    if context.starts_with("ref:") && context.contains(['*', '?']) {
        return Some((
            Severity::Medium,
            format!("`sub` of `{text}` lets any matching ref of `{repo}` assume this role"),
        ));
    }
    None
}

/// Whether a `sub` condition binds the role on its own: every value bounded and known. IAM
/// requires every condition of a statement, so one such condition bounds the statement
/// whatever looser `sub` conditions sit beside it.
fn binds(condition: &Condition) -> bool {
    let like = condition.base_operator() == "StringLike";
    !condition.operator.starts_with("ForAllValues")
        && !condition.values.is_empty()
        && condition.values.iter().all(|v| {
            let wild = v.text.contains(['*', '?']);
            (!wild || like) && judge_sub(v.text).is_none()
        })
}

impl Rule for IamOidcTrustUnbounded {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_policies(&self, cx: &mut Cx, file: &SourceFile, policies: &[Policy]) {
        if federation::declares_federation(file) {
            for trust in federation::trusts(file) {
                self.check_federated(cx, &trust);
            }
        }
        for policy in policies {
            for statement in &policy.statements {
                // A GitHub `Federated` principal makes it a trust statement, whatever its actions say.
                if !statement.allow || statement.not_action {
                    continue;
                }
                if is_github_provider(statement) {
                    self.check_statement(cx, statement);
                } else if let Some(provider) = unresolved_provider(statement) {
                    cx.report(
                        Self::META
                            .finding(
                                format!(
                                    "{} in the `Federated` principal: if it is GitHub's OIDC provider, whether this trust is bounded is unknown",
                                    could_not_resolve(provider)
                                ),
                                Location::value(statement.principal_route.clone()),
                            )
                            .severity(Severity::Info),
                    );
                }
            }
        }
    }
}

impl IamOidcTrustUnbounded {
    /// A GCP workload identity provider or an Azure federated credential, graded as an AWS
    /// trust: each alternative of its condition must bind one repository.
    fn check_federated(&self, cx: &mut Cx, trust: &FederatedTrust) {
        if let Some(issuer) = trust.unresolved_issuer() {
            cx.report(
                Self::META
                    .finding(
                        format!(
                            "{} in the issuer of {}: if it is GitHub's, whether this trust is bounded is unknown",
                            could_not_resolve(issuer),
                            trust.title()
                        ),
                        Location::value(trust.issuer_route.clone()),
                    )
                    .severity(Severity::Info),
            );
            return;
        }
        if !trust.trusts_github() {
            return;
        }
        let what = match trust.cloud {
            Cloud::Gcp => "get tokens from this workload identity provider",
            Cloud::Azure => "sign in with this federated credential",
        };
        let reword = |message: String| message.replace("assume this role", what);
        if !trust.has_condition {
            let missing = match trust.cloud {
                Cloud::Gcp => "no `attribute_condition`",
                Cloud::Azure => "no `subject`",
            };
            cx.report(Self::META.finding(
                format!(
                    "{}: {missing}, so any GitHub repository can {what}",
                    trust.title()
                ),
                Location::key(trust.route.clone()),
            ));
            return;
        }
        for alternative in &trust.alternatives {
            if alternative.iter().any(ClaimTest::binds_repository) {
                continue;
            }
            let patterns = ClaimTest::subject_patterns(alternative, &trust.condition_route);
            let binds = patterns.iter().any(|p| {
                (p.wildcards || !p.text.contains(['*', '?'])) && judge_sub(&p.text).is_none()
            });
            if binds {
                continue;
            }
            if let Some(test) = federation::unreadable(alternative) {
                cx.report(
                    Self::META
                        .finding(
                            format!(
                                "{} in the condition of {}: whether it binds one repository is unknown",
                                could_not_resolve(&test.claim),
                                trust.title()
                            ),
                            Location::value(test.route.clone()),
                        )
                        .severity(Severity::Info),
                );
                continue;
            }
            for pattern in &patterns {
                let literal = !pattern.wildcards && pattern.text.contains(['*', '?']);
                let finding = if literal {
                    // An exact comparison: the `*` never matches today, one edit away from a
                    // wildcard over what it covers.
                    let meant = judge_sub(&pattern.text);
                    let severity = match &meant {
                        Some((Severity::High | Severity::Medium, _)) => Severity::Medium,
                        _ => Severity::Low,
                    };
                    let intent = match &meant {
                        Some((_, message)) if severity == Severity::Medium => {
                            format!("; as a pattern, {}", reword(message.clone()))
                        }
                        _ => String::new(),
                    };
                    Some((
                        severity,
                        format!(
                            "{} compares `{}` exactly: the `*` never matches today, use an exact subject{intent}",
                            trust.title(),
                            pattern.text
                        ),
                    ))
                } else {
                    judge_sub(&pattern.text).map(|(severity, message)| (severity, reword(message)))
                };
                if let Some((severity, message)) = finding {
                    cx.report(
                        Self::META
                            .finding(message, Location::value(pattern.route.clone()))
                            .severity(severity),
                    );
                }
            }
        }
    }

    fn check_statement(&self, cx: &mut Cx, statement: &Statement) {
        let github: Vec<(String, &Condition)> = statement
            .conditions
            .iter()
            .filter_map(|c| claim(c).map(|name| (name, c)))
            .collect();
        let repo_bound = github.iter().any(|(name, c)| {
            matches!(
                name.as_str(),
                "repository" | "repository_id" | "job_workflow_ref"
            ) && exact(c)
        });
        let subs: Vec<&Condition> = github
            .iter()
            .filter(|(name, _)| name == "sub")
            .map(|(_, c)| *c)
            .collect();
        let principal = statement
            .principals
            .iter()
            .find(|p| p.kind.eq_ignore_ascii_case("Federated"))
            .map_or_else(
                || Location::value(statement.route.clone()),
                |p| Location::value(p.value.route.clone()),
            );
        // Conditions the evaluator could not read (a `dynamic "condition"` over an unknown
        // collection): what they test is unknown, so "no `sub`" is not a verdict.
        let unreadable: Vec<&Condition> = statement
            .conditions
            .iter()
            .filter(|c| is_unresolved(&c.key) || is_unresolved(&c.operator))
            .collect();
        if subs.is_empty() && !repo_bound {
            match unreadable.first() {
                Some(condition) => cx.report(
                    Self::META
                        .finding(
                            format!(
                                "{} in a trust condition: whether it binds the role to one repository is unknown",
                                could_not_resolve(&format!("{} {}", condition.operator, condition.key))
                            ),
                            Location::key(condition.key_route.clone()),
                        )
                        .severity(Severity::Info),
                ),
                None => cx.report(Self::META.finding(
                    "trust lets any GitHub repository assume this role: no `sub` or repository condition",
                    principal.clone(),
                )),
            }
        }
        let bound_by_one = subs.iter().any(|c| binds(c));
        for condition in &subs {
            let location = Location::key(condition.key_route.clone());
            if condition.operator.starts_with("ForAllValues") {
                cx.report(Self::META.finding(
                    format!(
                        "`{}` on the single-valued `sub` passes when the claim is absent",
                        condition.operator
                    ),
                    location.clone(),
                ));
            } else if condition.operator.starts_with("ForAnyValue") {
                cx.report(
                    Self::META
                        .finding(
                            format!(
                                "`{}` on the single-valued `sub`: use `StringEquals`",
                                condition.operator
                            ),
                            location.clone(),
                        )
                        .severity(Severity::Medium),
                );
            }
            let like = condition.base_operator() == "StringLike";
            for value in &condition.values {
                let wild = value.text.contains(['*', '?']) && !is_unresolved(value.text);
                if wild && !like {
                    // Nothing matches today; what was meant is a wildcard, one operator change
                    // away from letting in what the pattern covers.
                    let meant = judge_sub(value.text);
                    let severity = match &meant {
                        Some((Severity::High | Severity::Medium, _))
                            if !repo_bound && !bound_by_one =>
                        {
                            Severity::Medium
                        }
                        _ => Severity::Low,
                    };
                    let intent = match &meant {
                        Some((_, message)) if severity == Severity::Medium => {
                            format!("; as a pattern, {message}")
                        }
                        _ => String::new(),
                    };
                    cx.report(
                        Self::META
                            .finding(
                                format!(
                                    "`{}` compares `{}` literally: the `*` never matches today, use an exact subject{intent}",
                                    condition.operator, value.text
                                ),
                                Location::value(value.route.clone()),
                            )
                            .severity(severity),
                    );
                    continue;
                }
                if repo_bound || bound_by_one {
                    continue;
                }
                if let Some((severity, message)) = judge_sub(value.text) {
                    cx.report(
                        Self::META
                            .finding(message, Location::value(value.route.clone()))
                            .severity(severity),
                    );
                }
            }
        }
        if !github.iter().any(|(name, _)| name == "aud") && unreadable.is_empty() {
            cx.report(
                Self::META
                    .finding(
                        "no `aud` condition: add `token.actions.githubusercontent.com:aud` = `sts.amazonaws.com`",
                        principal,
                    )
                    .severity(Severity::Low),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::judge_sub;

    #[test]
    fn any_branch_or_any_environment_is_not_bound() {
        for sub in [
            "repo:acme/app:ref:refs/heads/*",
            "repo:acme/app:environment:*",
            "repo:acme/app:ref:refs/tags/*",
            "repo:acme/app:ref:*",
            // A branch pattern: anyone who can push a branch can make a matching one.
            "repo:acme/app:ref:refs/heads/release/*",
        ] {
            assert!(judge_sub(sub).is_some(), "{sub}");
        }
        for sub in [
            "repo:acme/app:ref:refs/heads/main",
            "repo:acme/app:environment:production",
        ] {
            assert!(judge_sub(sub).is_none(), "{sub}");
        }
    }
}
