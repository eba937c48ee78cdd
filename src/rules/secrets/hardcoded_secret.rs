//! `hardcoded-secret`: a credential written into a file instead of injected at run time.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::finding::{Location, Severity};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::SourceFile;

use super::assign::syntax_of;
use super::catalog::catalog;
use super::scanner::{self, Hit};

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
  tokens (checksum too), Vault (`hvs.`, `hvb.`), Terraform Cloud, GitLab, Slack tokens and
  webhooks, Stripe, Google, OpenAI, Anthropic, PyPI, JWTs and about thirty more. The
  catalogue is data: `rules/secrets/patterns.toml`.
- **In a URI**: the password of `scheme://user:password@host`.
- **By name**: a literal assigned to a secret-like name (`password`, `secret`, `token`,
  `api_key`, `SecretAccessKey`, `credentials`, …) in a YAML mapping, a JSON member, an HCL
  attribute, a shell or `.env` assignment (`export X=…`, `X=…`), an INI line or an XML
  element, when it looks random enough to be a credential. AWS secret access keys are found
  this way.

Values that only point at a secret are never reported: `${{ secrets.X }}`, `${var.x}`,
`$VAR`, `$(command)`, `vault(…)`, YAML block indicators (`secrets: |`), and placeholders
(`…EXAMPLE`, `changeme`, `xxxx…`, `<your-token>`, `REPLACE_ME`, `dummy`, …).

Messages never contain the secret: they give its kind, at most a public format prefix
(`ghp_…`), its length and a hash (`sha256:` and the first 12 hex digits of the SHA-256 of a
fixed label and the value), which tells two findings of the same secret apart from two of
different ones. Code frames in the human output show the secret's characters as `*`.

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
        // The catalogue is embedded and tested; a broken one finds nothing rather than panics.
        let Ok(catalog) = catalog() else {
            return;
        };
        let hits = scanner::scan(catalog, &file.text, syntax_of(&file.path, &file.text));
        // The same secret twice in a file is two findings with distinct, stable fingerprints.
        let mut occurrences: HashMap<(String, String), usize> = HashMap::new();
        for hit in hits {
            let material = hit
                .material
                .as_deref()
                .unwrap_or_else(|| file.slice(hit.secret));
            let digest = digest(material);
            let occurrence = occurrences
                .entry((hit.detector.clone(), digest.clone()))
                .or_insert(0);
            *occurrence += 1;
            let identity = format!("{}:{digest}:{occurrence}", hit.detector);
            let message = message(&hit, material, &digest);
            cx.report(
                Self::META
                    .finding(message, Location::span(hit.span, identity))
                    .sensitive(hit.secret),
            );
        }
    }
}

/// A short hash of the secret: enough to tell secrets apart and to find the same one
/// elsewhere, not enough to recover it unless it is weak enough to guess.
fn digest(material: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"tollgate hardcoded-secret v1\0");
    hasher.update(material.as_bytes());
    hasher
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every message of the rule. None contains more of the secret than its public prefix.
fn message(hit: &Hit, material: &str, digest: &str) -> String {
    let length = material.chars().count();
    let prefix = material.get(..hit.prefix).unwrap_or("");
    match (&hit.name, hit.detector.as_str()) {
        (_, "private-key") => format!(
            "hardcoded private key `-----BEGIN {}-----` ({length} base64 characters, sha256:{digest})",
            hit.kind
        ),
        (Some(name), _) => format!(
            "hardcoded {} in `{name}` ({length} characters, sha256:{digest})",
            hit.kind
        ),
        (None, _) if !prefix.is_empty() => format!(
            "hardcoded {} `{prefix}…` ({length} characters, sha256:{digest})",
            hit.kind
        ),
        (None, _) => format!(
            "hardcoded {} ({length} characters, sha256:{digest})",
            hit.kind
        ),
    }
}
