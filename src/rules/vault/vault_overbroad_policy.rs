//! `vault-overbroad-policy`: Vault policy paths that hand out Vault itself.

use crate::finding::{Location, Severity};
use crate::model::vault::PathRule;
use crate::rules::{Cx, Rule, RuleMeta};

pub struct VaultOverbroadPolicy;

crate::rule_meta!(
    VaultOverbroadPolicy,
    "vault-overbroad-policy",
    Severity::High,
    "Vault policy grants write or sudo on Vault-wide or root-protected paths",
    r#"## What it does
Reads Vault policies (`.hcl`/`.policy` files, JSON policies, and the `policy` heredoc of
Terraform's `vault_policy`) and reports path stanzas that:
- match every path (`path "*"`) or glob at the root (`path "+/*"`) with a write capability;
- give `sudo` on `sys/*`, `auth/*` or `auth/token/create*`;
- can write `sys/policies/*`/`sys/policy/*` (rewrite any policy, including their own),
  `sys/auth/*` (enable or reconfigure auth methods) or `sys/mounts/*` (mount or remount
  secret engines).
Stanzas whose capabilities include `deny` are skipped: `deny` wins in Vault.

## Why is this bad
A CI token is meant to fetch one short-lived credential. A policy that can write policies,
enable auth methods or mount engines is an administrator: whoever runs the workflow can
grant themselves anything Vault guards, and the approval in front of it does not matter.

## Example
```hcl
path "sys/*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
```

## Use instead
```hcl
path "aws/sts/prod-deployer" {
  capabilities        = ["update"]
  required_parameters = ["ttl"]
}
```

## References
- https://developer.hashicorp.com/vault/docs/concepts/policies
- https://developer.hashicorp.com/vault/docs/concepts/policies#root-protected-api-endpoints
- https://developer.hashicorp.com/vault/tutorials/policies/policies
"#
);

/// Whether a policy path pattern can match some path under `prefix`.
fn reaches(pattern: &str, prefix: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(stem) => prefix.starts_with(stem) || stem.starts_with(prefix),
        None => pattern.starts_with(prefix),
    }
}

/// Why a stanza is over-broad, or `None`.
fn judge(rule: &PathRule) -> Option<String> {
    let path = rule.path;
    if rule.has("deny") {
        return None;
    }
    let first = path.split('/').next().unwrap_or(path);
    if rule.writes() && (first.contains('*') || first == "+") {
        return Some(format!(
            "path `{path}` with write capabilities covers every secrets engine, auth method and `sys/` endpoint"
        ));
    }
    if rule.has("sudo") {
        for target in ["sys/", "auth/", "auth/token/create"] {
            // The stanza must cover all of the target, not a corner of it.
            if path
                .strip_suffix('*')
                .is_some_and(|stem| target.starts_with(stem))
            {
                return Some(format!(
                    "`sudo` on `{path}` opens Vault's root-protected endpoints under `{target}`"
                ));
            }
        }
    }
    let writes_config = !rule.has("deny")
        && ["create", "update", "patch", "delete", "sudo"]
            .iter()
            .any(|c| rule.has(c));
    if writes_config {
        for (target, what) in [
            ("sys/policies/", "rewrite any policy, its own included"),
            ("sys/policy/", "rewrite any policy, its own included"),
            ("sys/auth/", "enable or reconfigure auth methods"),
            ("sys/mounts/", "mount, tune or remount secrets engines"),
        ] {
            if reaches(path, target) {
                return Some(format!("write on `{path}` lets the token {what}"));
            }
        }
    }
    None
}

impl Rule for VaultOverbroadPolicy {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_vault_policy(&self, cx: &mut Cx, stanza: &PathRule) {
        if let Some(message) = judge(stanza) {
            cx.report(
                Self::META
                    .finding(message, Location::key(stanza.route.clone()))
                    .related(
                        Location::value(stanza.capabilities_route.clone())
                            .labelled("capabilities granted here"),
                    ),
            );
        }
    }
}
