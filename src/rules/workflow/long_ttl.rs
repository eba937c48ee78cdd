//! `long-ttl` (workflow part): credentials requested for longer than `max_credential_ttl`.

use crate::config::parse_duration;
use crate::finding::{Location, Severity};
use crate::model::Step;
use crate::rules::{Cx, Rule, RuleMeta, StepHost};

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

## References
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

fn human(seconds: u64) -> String {
    if seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}
