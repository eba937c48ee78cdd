//! `vault-jwt-unbounded`: a Vault JWT/OIDC role for GitHub Actions that any workflow can use.

use crate::finding::{Location, Severity};
use crate::model::terraform::value;
use crate::model::vault::JwtRole;
use crate::rules::iam::iam_oidc_trust_unbounded::judge_sub;
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::{Node, SourceFile};

pub struct VaultJwtUnbounded;

crate::rule_meta!(
    VaultJwtUnbounded,
    "vault-jwt-unbounded",
    Severity::High,
    "Vault JWT role for GitHub Actions not bound to a repository",
    r#"## What it does
Reads Terraform `vault_jwt_auth_backend_role` resources that accept GitHub Actions tokens
(the file's JWT backend names `token.actions.githubusercontent.com`, or the role's audience,
user claim or bound claims are GitHub's) and reports roles without `bound_subject` or
`bound_claims` on `sub`, `repository`, `repository_id` or `job_workflow_ref`, roles bound
only on `environment`/`ref`/`repository_owner`, and glob-bound subjects that span
repositories (`repo:org/*`, `*`). Claims the Terraform evaluator cannot resolve (a
variable with no default, a `for_each` value it cannot see) are reported at `info` as
"could not resolve …": unknown, never taken as bound or as missing.

## Why is this bad
GitHub signs a token for every workflow run of every repository. Without a bound
repository, any workflow of the organisation, or of anyone on GitHub when nothing else
is bound, can log in to Vault with this role and read what its policies allow.

## Example
```hcl
resource "vault_jwt_auth_backend_role" "ci" {
  backend         = vault_jwt_auth_backend.github.path
  role_name       = "ci"
  role_type       = "jwt"
  user_claim      = "actor"
  bound_audiences = ["https://github.com/acme"]
  token_policies  = ["deploy"]
}
```

## Use instead
```hcl
resource "vault_jwt_auth_backend_role" "ci" {
  backend         = vault_jwt_auth_backend.github.path
  role_name       = "ci"
  role_type       = "jwt"
  user_claim      = "actor"
  bound_audiences = ["https://github.com/acme"]
  bound_claims    = { sub = "repo:acme/api:environment:production" }
  token_policies  = ["deploy"]
  token_ttl       = 300
}
```

## References
- https://developer.hashicorp.com/vault/docs/auth/jwt#bound-claims
- https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-hashicorp-vault
- https://registry.terraform.io/providers/hashicorp/vault/latest/docs/resources/jwt_auth_backend_role
"#
);

const GITHUB_CLAIMS: &[&str] = &[
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "job_workflow_ref",
    "workflow",
    "actor",
    "environment",
    "ref",
];

const BINDING_CLAIMS: &[&str] = &["sub", "repository", "repository_id", "job_workflow_ref"];

fn is_github_role(file: &SourceFile, body: &Node) -> bool {
    if file.text.contains("token.actions.githubusercontent.com") {
        return true;
    }
    let audience = body
        .get("bound_audiences")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|a| a.as_str().is_some_and(|s| s.contains("github")));
    let user_claim = body
        .get_str("user_claim")
        .is_some_and(|c| GITHUB_CLAIMS.contains(&c));
    let claims = body
        .get("bound_claims")
        .is_some_and(|c| c.entries().any(|(k, _)| GITHUB_CLAIMS.contains(&k)));
    audience || user_claim || claims
}

impl Rule for VaultJwtUnbounded {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_vault_role(&self, cx: &mut Cx, role: &JwtRole) {
        let JwtRole { name, body, route } = role;
        if body.get_str("role_type") == Some("oidc") || !is_github_role(cx.file, body) {
            return;
        }
        let claims = body.get("bound_claims");
        let glob = body.get_str("bound_claims_type") == Some("glob");
        let bound_subject = body.get_str("bound_subject").filter(|s| !s.is_empty());
        let binding: Vec<(&str, &Node)> = claims
            .map(|c| {
                c.entries()
                    .filter(|(k, _)| BINDING_CLAIMS.contains(k))
                    .collect()
            })
            .unwrap_or_default();
        // `bound_claims` the evaluator could not resolve (a `for_each` role's claims) is
        // unknown, not absent: say so, never "no bound claims".
        if bound_subject.is_none()
            && let Some(text) = claims
                .and_then(Node::as_str)
                .filter(|text| value::is_unresolved(text))
        {
            cx.report(
                Self::META
                    .finding(
                        format!(
                            "{} in `bound_claims` of JWT role `{name}`: whether it binds the role to one repository is unknown",
                            value::could_not_resolve(text)
                        ),
                        Location::key(route.key("bound_claims")),
                    )
                    .severity(Severity::Info),
            );
            return;
        }
        if bound_subject.is_none() && binding.is_empty() {
            let message = match claims {
                Some(c) if c.entries().next().is_some() => format!(
                    "JWT role `{name}` binds no repository: its `bound_claims` ({}) can be presented by other repositories' workflows",
                    c.entries()
                        .map(|(k, _)| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => format!(
                    "JWT role `{name}` has no `bound_subject` or `bound_claims`: any GitHub workflow the issuer signs for can log in"
                ),
            };
            cx.report(Self::META.finding(message, Location::key(route.clone())));
            return;
        }
        if !glob {
            return;
        }
        for (claim, value) in binding {
            let claim_route = route.key("bound_claims").key(claim);
            for text in value
                .as_str()
                .map(|s| s.split(',').map(str::trim).collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let verdict = match claim {
                    "sub" => judge_sub(text),
                    _ if text.contains('*') => Some((
                        Severity::High,
                        format!("`{claim}` glob `{text}` spans repositories"),
                    )),
                    _ => None,
                };
                if let Some((severity, message)) = verdict {
                    cx.report(
                        Self::META
                            .finding(
                                format!("JWT role `{name}`: {message}"),
                                Location::value(claim_route.clone()),
                            )
                            .severity(severity),
                    );
                }
            }
        }
    }
}
