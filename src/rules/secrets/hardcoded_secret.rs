//! `hardcoded-secret`: a credential written into a file instead of injected at run time.

use std::collections::HashMap;

use crate::finding::{Location, Severity};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::SourceFile;

use super::scanner::Hit;

pub struct HardcodedSecret;

crate::rule_meta!(
    HardcodedSecret,
    "hardcoded-secret",
    Severity::High,
    "a credential written into a file instead of injected at run time",
    r#"## What it does
Reports credentials written into any text file of the tree: workflows, Terraform and Vault
HCL, IAM and other JSON, shell scripts, `.env` files, Dockerfiles and configs. Hidden folders
such as `.github` are read; `.gitignore`d files, binaries, lock files and vendored folders
(`node_modules`, `vendor`, `.terraform`, …) are not, nor are files over 16 MB.

It finds secrets three ways, from the most to the least specific:
- **By format**: private key blocks, and token formats with a fixed shape: AWS access key IDs
  (`AKIA`, `ASIA`, `ABIA`, `ACCA`; not the `AIDA`/`AROA` identifiers), GitHub tokens (`ghp_`,
  `gho_`, `ghu_`, `ghs_`, `ghr_`, whose CRC32 checksum must be right, and `github_pat_`), npm
  tokens (checksum too; a right-shaped token whose checksum fails is reported at `low`, its
  message saying the checksum does not match: a fake or an altered copy as often as a live
  token, but not one to drop silently; not at all when its own line calls it a fixture or a
  fake), Vault (`hvs.`, `hvb.`), Terraform Cloud, GitLab, Slack tokens and
  webhooks, Stripe, Google, OpenAI, Anthropic, PyPI, JWTs and about thirty more. The
  catalogue is data: `rules/secrets/patterns.toml`.
- **In a URI**: the password of `scheme://user:password@host`.
- **By name**: a literal assigned to a secret-like name (`password`, `secret`, `token`,
  `api_key`, `SecretAccessKey`, `credentials`, …) in a YAML mapping, a JSON member, an HCL
  attribute, a shell or `.env` assignment (`export X=…`, `X=…`), an INI line or an XML
  element, when it looks random enough to be a credential. AWS secret access keys are found
  this way.

Values that only point at a secret are never reported: `${{ secrets.X }}`, `${var.x}`,
`$VAR`, `$(command)`, `vault(…)`, YAML blocks (`secrets: |`) other than one word on one
line, and placeholders (`…EXAMPLE`, `changeme`, `xxxx…`, `<your-token>`, `REPLACE_ME`,
`dummy`, `YourPasswordGoesHere`, …). A UUID is an identifier, not a credential, except under
the name of a provider whose keys are UUIDs (`HEROKU_API_KEY`, `SNYK_TOKEN`; see
`rules/secrets/context.toml`).

Credential material in test, fixture or example code (`test/`, `tests/`, `testdata/`,
`fixtures/`, `__tests__/`, `examples/`, `*_test.go`, `*.spec.ts`, …) is reported at `low`,
and the message says it is in test code; everywhere else at `high`. To drop the rule's
findings under some paths altogether, list globs under `rules.hardcoded-secret.ignore` in
`tollgate.yml` (any rule takes this setting).

Nothing any output prints contains the secret. Messages give its kind, at most a public
format prefix (`ghp_…`) and its length; code frames show its characters as `*`. This holds
for every rule's output, not only this one's: a message of another rule that quotes the
line, or an error that quotes a value, has the secret masked, and code frames mask it
whether this rule is on, suppressed or baselined. Fingerprints (and so baselines) hold no
hash of the secret, which a dictionary would reverse for a weak password: a finding is named
by the rule, the file, what found it, the name it is assigned to and its occurrence there.

## Why is this bad
A secret in a repository is readable by everyone who can read the repository, its forks, its
clones and its history, for as long as the secret is valid; removing the line does not remove
it from git. CI credentials are the first thing an attacker with any foothold looks for. A
secret that is injected at run time (repository or environment secrets, OIDC, Vault) can be
scoped, rotated and audited; one in a file can be none of these.

## Example
```yaml
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      DB_PASSWORD: hR4#kq9Lw2xZ-t7Vb
    steps:
      - run: ./migrate.sh
```

## Use instead
```yaml
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    env:
      DB_PASSWORD: ${{ secrets.DB_PASSWORD }}
    steps:
      - run: ./migrate.sh
```
Better still, where the provider supports it, no stored secret at all: OIDC federation
(`aws-actions/configure-aws-credentials` with `role-to-assume`, Vault's JWT auth).
Revoke a secret that was committed, then remove it. To adopt the rule on a repository with
known findings, record them with `tollgate baseline --output .tollgate-baseline.json` and run
`tollgate check --baseline .tollgate-baseline.json`: only new findings are reported. A value
that is not a secret (a test fixture) can be suppressed on its line with
`# tollgate: ignore[hardcoded-secret] reason`.

As a migration aid, other scanners' allow-markers are honoured on their own line:
`gitleaks:allow` (gitleaks), `pragma: allowlist secret` (detect-secrets) and
`trufflehog:ignore` (trufflehog) suppress this rule there, with the marker as the reason.
Prefer tollgate's own comment in new code, since it names the rule and says why.

## References
- GitHub, "Behind GitHub's new authentication token formats": https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
- AWS IAM unique identifier prefixes: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
- GitHub Actions, using secrets: https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions
- OWASP Secrets Management Cheat Sheet: https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html
"#
);

impl Rule for HardcodedSecret {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn reads_all_text(&self) -> bool {
        true
    }

    fn check_text(&self, cx: &mut Cx, file: &SourceFile) {
        let hits = cx.secrets().to_vec();
        let in_tests = is_test_path(&file.path);
        // The same kind of secret under the same name twice in a file is two findings with
        // distinct, stable fingerprints.
        let mut occurrences: HashMap<(String, Option<String>), usize> = HashMap::new();
        for hit in hits {
            let length = match hit.material.as_deref() {
                Some(material) => material.chars().count(),
                None => file.slice(hit.secret).chars().count(),
            };
            let prefix = file
                .slice(hit.secret)
                .get(..hit.prefix)
                .unwrap_or("")
                .to_string();
            let occurrence = occurrences
                .entry((hit.detector.clone(), hit.name.clone()))
                .or_insert(0);
            *occurrence += 1;
            // No part of the secret, not even a hash of it: a hash of a weak password is
            // reversed by hashing a dictionary. The place names the finding instead.
            let identity = format!(
                "{}:{}:{occurrence}",
                hit.detector,
                hit.name.as_deref().unwrap_or("")
            );
            let mut message = message(&hit, &prefix, length);
            let mut draft_severity = Self::META.severity;
            if hit.checksum_failed {
                message.push_str(", whose checksum does not match");
                draft_severity = Severity::Low;
            }
            if in_tests {
                message.push_str(" in test code");
                draft_severity = Severity::Low;
            }
            cx.report(
                Self::META
                    .finding(message, Location::span(hit.span, identity))
                    .severity(draft_severity)
                    .sensitive(hit.secret),
            );
        }
    }
}

/// Test, fixture and example code: its credentials are usually fakes, reported at `low`.
pub fn is_test_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    const FOLDERS: [&str; 12] = [
        "test",
        "tests",
        "testdata",
        "testing",
        "fixtures",
        "fixture",
        "__tests__",
        "__mocks__",
        "examples",
        "example",
        "spec",
        "e2e",
    ];
    let in_folder = lower
        .split('/')
        .rev()
        .skip(1)
        .any(|folder| FOLDERS.contains(&folder));
    let stem = name.split('.').next().unwrap_or(name);
    in_folder
        || stem.ends_with("_test")
        || stem.starts_with("test_")
        || stem.ends_with("_spec")
        || name.contains(".spec.")
        || name.contains(".test.")
        || stem.ends_with("tests")
        || stem.ends_with("test") && name.ends_with(".java")
}

/// Every message of the rule. None contains more of the secret than its public prefix.
fn message(hit: &Hit, prefix: &str, length: usize) -> String {
    match (&hit.name, hit.detector.as_str()) {
        (_, "private-key") => format!(
            "hardcoded private key `-----BEGIN {}-----` ({length} base64 characters)",
            hit.kind
        ),
        (Some(name), _) => format!("hardcoded {} in `{name}` ({length} characters)", hit.kind),
        (None, _) if !prefix.is_empty() => {
            format!("hardcoded {} `{prefix}…` ({length} characters)", hit.kind)
        }
        (None, _) => format!("hardcoded {} ({length} characters)", hit.kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_paths() {
        for path in [
            "src/test/App.java",
            "pkg/x_test.go",
            "web/src/a.spec.ts",
            "examples/deploy.sh",
            "a/__tests__/b.js",
            "internal/testdata/c.yml",
            "tests/fixtures/x.env",
            "test_settings.py",
        ] {
            assert!(is_test_path(path), "{path}");
        }
        for path in [
            "src/main.rs",
            "deploy/prod.env",
            "contest/x.py",
            "latest/a.yml",
        ] {
            assert!(!is_test_path(path), "{path}");
        }
    }
}
