//! `long-ttl`: credentials requested or allowed for longer than `max_credential_ttl`, in
//! workflows (`role-duration-seconds`), IAM roles (`MaxSessionDuration`) and Vault roles
//! (`token_ttl`, `max_sts_ttl`, …, and roles that set none and inherit Vault's 768h).

use crate::finding::{Location, Severity};
use crate::model::terraform::value::{could_not_resolve, is_unresolved};
use crate::model::{Step, iam, vault};
use crate::rules::{Cx, Rule, RuleMeta, StepHost};
use crate::source::{FileKind, SourceFile};
use crate::util::duration::{human, seconds as parse_duration};

pub struct LongTtl;

crate::rule_meta!(
    LongTtl,
    "long-ttl",
    Severity::Medium,
    "credential or session lifetime longer than max_credential_ttl",
    r#"## What it does
Reports credentials requested for longer than `max_credential_ttl` in `tollgate.yml` (default
`1h`). In workflows: `role-duration-seconds` of `aws-actions/configure-aws-credentials` and
`access_token_lifetime` of `google-github-actions/auth`.

In IAM: a role's `MaxSessionDuration` (CloudFormation) or `max_session_duration`
(Terraform `aws_iam_role`).

In Vault roles written in Terraform: `default_sts_ttl` and `max_sts_ttl` of
`vault_aws_secret_backend_role`; `ttl`, `max_ttl`, `token_ttl`, `token_max_ttl` and
`token_explicit_max_ttl` of `vault_jwt_auth_backend_role`, `vault_token_auth_backend_role`,
`vault_approle_auth_backend_role` and `vault_kubernetes_auth_backend_role` (seconds, or Go
durations as Vault takes them: `15m`, `1.5h`, `1h30m`).

Terraform values are evaluated: a lifetime set through a variable, a local, `*.tfvars`, a
local module's caller or a registry module's input (`max_session_duration` of the modules in
`rules/terraform/oidc-modules.toml`) is judged at its value. One the evaluator cannot resolve
is reported as `info` "could not resolve …", never as within the limit. A role that sets no maximum inherits the mount's or the
system's (768h unless tuned): that is reported too, unless the same file declares a mount or
auth backend tuned to `max_lease_ttl` within the limit.

## Why is this bad
A short-lived credential is only short-lived if it is asked for briefly. A deploy that takes
ten minutes does not need a twelve-hour session; a session token copied out of a log or a
compromised step keeps working for as long as it was issued for.

## Example
```yaml
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          role-duration-seconds: 43200
```

## Use instead
```yaml
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          role-duration-seconds: 900
```

```hcl
resource "vault_jwt_auth_backend_role" "ci" {
  token_ttl     = 300
  token_max_ttl = 900
}
```

```hcl
resource "vault_jwt_auth_backend_role" "ci" {
  token_ttl = 43200
}
```

## References
- https://developer.hashicorp.com/vault/docs/concepts/tokens#token-time-to-live-periodic-tokens-and-explicit-max-ttls
- https://registry.terraform.io/providers/hashicorp/vault/latest/docs/resources/aws_secret_backend_role
- https://github.com/aws-actions/configure-aws-credentials#session-duration
- https://github.com/google-github-actions/auth#inputs-generating-oauth-20-access-tokens
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html#id_roles_use_view-role-max-session
"#
);

/// (action, input) pairs that set a credential lifetime.
const LIFETIME_INPUTS: [(&str, &str); 2] = [
    (
        "aws-actions/configure-aws-credentials",
        "role-duration-seconds",
    ),
    ("google-github-actions/auth", "access_token_lifetime"),
];

impl Rule for LongTtl {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_document(&self, cx: &mut Cx, file: &SourceFile) {
        match file.kind {
            FileKind::CloudFormation => Self::check_iam(cx, file),
            FileKind::Terraform => {
                Self::check_iam(cx, file);
                Self::check_vault(cx, file);
            }
            _ => {}
        }
    }

    fn check_step(&self, cx: &mut Cx, _host: &StepHost, step: &Step) {
        for (action, input) in LIFETIME_INPUTS {
            if !step.uses_action(action) {
                continue;
            }
            let Some(value) = step.with(input).and_then(|n| n.as_str()) else {
                continue;
            };
            // Expressions are decided at run time; nothing to judge here.
            let Some(seconds) = parse_duration(value) else {
                continue;
            };
            if seconds > cx.config.max_credential_ttl {
                cx.report(Self::META.finding(
                    format!(
                        "`{input}` asks for {} of credentials, longer than the {} allowed by max_credential_ttl",
                        human(seconds),
                        cx.config.max_credential_ttl_text
                    ),
                    Location::value(step.with_route(input)),
                ));
            }
        }
    }
}

/// Vault role resources and the TTL attributes each takes; the last group are the ones that
/// cap the credential (when none is set, the mount's or system's maximum applies).
const VAULT_ROLES: &[(&str, &[&str], &[&str])] = &[
    (
        "vault_aws_secret_backend_role",
        &["default_sts_ttl", "max_sts_ttl"],
        &["max_sts_ttl"],
    ),
    (
        "vault_jwt_auth_backend_role",
        &[
            "ttl",
            "max_ttl",
            "token_ttl",
            "token_max_ttl",
            "token_explicit_max_ttl",
        ],
        &["max_ttl", "token_max_ttl", "token_explicit_max_ttl"],
    ),
    (
        "vault_token_auth_backend_role",
        &[
            "ttl",
            "max_ttl",
            "token_ttl",
            "token_max_ttl",
            "token_explicit_max_ttl",
        ],
        &["max_ttl", "token_max_ttl", "token_explicit_max_ttl"],
    ),
    (
        "vault_approle_auth_backend_role",
        &["token_ttl", "token_max_ttl", "token_explicit_max_ttl"],
        &["token_max_ttl", "token_explicit_max_ttl"],
    ),
    (
        "vault_kubernetes_auth_backend_role",
        &["token_ttl", "token_max_ttl", "token_explicit_max_ttl"],
        &["token_max_ttl", "token_explicit_max_ttl"],
    ),
];

/// Vault's system default `max_lease_ttl`.
const VAULT_SYSTEM_MAX: u64 = 768 * 3600;

impl LongTtl {
    /// A lifetime the evaluator could not resolve: not known to be within the limit.
    fn unresolved(cx: &mut Cx, owner: &str, text: &str, route: crate::source::Route) {
        cx.report(
            Self::META
                .finding(
                    format!(
                        "{} for the lifetime of `{owner}`: whether it is within max_credential_ttl is unknown",
                        could_not_resolve(text)
                    ),
                    Location::value(route),
                )
                .severity(Severity::Info),
        );
    }

    fn check_iam(cx: &mut Cx, file: &SourceFile) {
        for duration in iam::session_durations(file) {
            if is_unresolved(duration.value.text) {
                Self::unresolved(
                    cx,
                    &duration.owner,
                    duration.value.text,
                    duration.value.route,
                );
                continue;
            }
            let Some(seconds) = parse_duration(duration.value.text) else {
                continue;
            };
            if seconds > cx.config.max_credential_ttl {
                cx.report(Self::META.finding(
                    format!(
                        "role `{}` allows sessions of {}, longer than the {} allowed by max_credential_ttl",
                        duration.owner,
                        human(seconds),
                        cx.config.max_credential_ttl_text
                    ),
                    Location::value(duration.value.route),
                ));
            }
        }
    }

    fn check_vault(cx: &mut Cx, file: &SourceFile) {
        let Some(root) = &file.root else {
            return;
        };
        let limit = cx.config.max_credential_ttl;
        let tuned = vault::declared_mount_max_ttl(root);
        for (kind, keys, caps) in VAULT_ROLES {
            for (name, body, route) in vault::resources(root, kind) {
                // STS TTLs apply only to STS credential types; iam_user is standing-credentials'.
                if *kind == "vault_aws_secret_backend_role"
                    && body.get_str("credential_type") == Some("iam_user")
                {
                    continue;
                }
                for key in *keys {
                    let Some(value) = vault::attr(body, &route, key) else {
                        continue;
                    };
                    if is_unresolved(value.text) {
                        Self::unresolved(cx, &format!("{kind}.{name}"), value.text, value.route);
                        continue;
                    }
                    let Some(seconds) = parse_duration(value.text) else {
                        continue;
                    };
                    if seconds > limit {
                        cx.report(Self::META.finding(
                            format!(
                                "`{key}` of {} on `{kind}.{name}` is longer than the {} allowed by max_credential_ttl",
                                human(seconds),
                                cx.config.max_credential_ttl_text
                            ),
                            Location::value(value.route),
                        ));
                    }
                }
                let capped = caps.iter().any(|key| {
                    body.get(key)
                        .and_then(|n| n.as_str())
                        .and_then(parse_duration)
                        .is_some_and(|s| s > 0)
                });
                let inherited = tuned.unwrap_or(VAULT_SYSTEM_MAX);
                if !capped && inherited > limit {
                    let source = if tuned.is_some() {
                        "the mount's tuned maximum"
                    } else {
                        "the mount or system default, 768h unless tuned"
                    };
                    cx.report(
                        Self::META
                            .finding(
                                format!(
                                    "`{kind}.{name}` sets no maximum TTL ({}), so its credentials may live {} ({source})",
                                    caps.join(", "),
                                    human(inherited)
                                ),
                                Location::key(route.clone()),
                            ),
                    );
                }
            }
        }
    }
}
