//! `standing-credentials`: long-lived cloud, Vault or cluster credentials taken from secrets
//! where short-lived federation (GitHub OIDC) exists.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::finding::{Location, Severity};
use crate::model::expr;
use crate::model::{Job, Step, Workflow};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::{Node, Route};

pub struct StandingCredentials;

crate::rule_meta!(
    StandingCredentials,
    "standing-credentials",
    Severity::High,
    "long-lived cloud, Vault or cluster credential used instead of OIDC federation",
    r#"## What it does
Finds jobs that reach a cloud, Vault or a cluster with long-lived credentials stored as
repository secrets instead of short-lived credentials minted by GitHub's OIDC federation:
- `aws-actions/configure-aws-credentials` with `aws-access-key-id` / `aws-secret-access-key`,
  or `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` taken from secrets;
- `google-github-actions/auth` with `credentials_json` (a service-account key);
- `azure/login` with `creds`, Azure publish profiles, `ARM_CLIENT_SECRET`;
- `VAULT_TOKEN` from secrets, or `hashicorp/vault-action` with the `token` method;
- kubeconfig material or cluster tokens from secrets;
- Vault AppRole logins: `hashicorp/vault-action` `secretId`, `VAULT_SECRET_ID`, or a
  `secret_id` from secrets in an `auth/approle/login` command (alternative: Vault's JWT/OIDC
  auth method);
- OpenShift: `redhat-actions/oc-login` `openshift_token`/`openshift_password`, or secrets on an
  `oc login --token|-p` line (alternative: OIDC to OpenShift);
- HCP Terraform API tokens: `TF_TOKEN_<host>`, `TF_API_TOKEN`, `TFE_TOKEN`,
  `cli_config_credentials_token` (alternative: HCP Terraform workload identity);
- 1Password service-account tokens (`OP_SERVICE_ACCOUNT_TOKEN`; alternative: 1Password reached
  through OIDC or a Vault-backed secret);
- package-registry publish tokens (`NPM_TOKEN`/`NODE_AUTH_TOKEN`, `CARGO_REGISTRY_TOKEN`,
  `PYPI_API_TOKEN`/`TWINE_PASSWORD`, `GEM_HOST_API_KEY`, `NUGET_API_KEY`, the `password` of
  `pypa/gh-action-pypi-publish`), at medium and only in a job that publishes (`npm publish`,
  `cargo publish`, `twine upload`, …), since those registries accept trusted publishing; the
  same token in a job that only installs is left alone;
- other clouds' access keys (Alibaba, Tencent, IBM, DigitalOcean).

Each message names the short-lived alternative.

Where tollgate differs from zizmor: zizmor's `use-trusted-publishing` points at the publish
step (informational) and needs no stored token; tollgate points at the stored token and rates
it medium.

In a composite action, which cannot read secrets, the same environment variables set from the
action's `inputs` are reported: the caller is handing the action a stored key.

In Terraform, a Vault AWS secrets role (`vault_aws_secret_backend_role`) with
`credential_type = "iam_user"`: each read creates a real IAM user with an access key that
lives for the mount's lease (768h unless tuned), and revoking is Vault's job alone.

## Why is this bad
A stored key works for anyone who reads it, from anywhere, until someone rotates it. Every
workflow, branch and pull request job that can read the secret holds standing access to
production, bypassing any approval gate. OIDC credentials are minted per job, expire within
the hour, and the cloud side can bind them to one repository, branch or environment.

## Example
```yaml
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502
        with:
          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}
          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}
          aws-region: eu-west-1
```

## Use instead
```yaml
    permissions:
      id-token: write
      contents: read
    steps:
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
```

```hcl
resource "vault_aws_secret_backend_role" "deploy" {
  credential_type = "iam_user"
}
```

Use `credential_type = "assumed_role"` with `role_arns` and a short `max_sts_ttl`.

## References
- https://developer.hashicorp.com/vault/docs/secrets/aws#credential-types
- https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
- https://github.com/aws-actions/configure-aws-credentials#oidc
- https://github.com/google-github-actions/auth#preferred-direct-workload-identity-federation
- https://github.com/Azure/login#login-with-openid-connect-oidc-recommended
- https://github.com/hashicorp/vault-action#jwt-with-github-oidc-tokens
- https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials
- https://docs.npmjs.com/trusted-publishers
- https://docs.pypi.org/trusted-publishers/
- https://crates.io/docs/trusted-publishing
"#
);

/// Action inputs that carry a standing credential: (action, input, provider).
const ACTION_INPUTS: &[(&str, &str, Provider)] = &[
    (
        "aws-actions/configure-aws-credentials",
        "aws-access-key-id",
        Provider::Aws,
    ),
    (
        "aws-actions/configure-aws-credentials",
        "aws-secret-access-key",
        Provider::Aws,
    ),
    (
        "google-github-actions/auth",
        "credentials_json",
        Provider::Google,
    ),
    (
        "google-github-actions/setup-gcloud",
        "service_account_key",
        Provider::Google,
    ),
    ("azure/login", "creds", Provider::Azure),
    ("azure/webapps-deploy", "publish-profile", Provider::Azure),
    ("azure/functions-action", "publish-profile", Provider::Azure),
    (
        "azure/static-web-apps-deploy",
        "azure_static_web_apps_api_token",
        Provider::Azure,
    ),
    ("azure/k8s-set-context", "kubeconfig", Provider::Cluster),
    ("azure/k8s-set-context", "k8s-secret", Provider::Cluster),
    (
        "redhat-actions/oc-login",
        "openshift_token",
        Provider::OpenShift,
    ),
    (
        "redhat-actions/oc-login",
        "openshift_password",
        Provider::OpenShift,
    ),
    ("hashicorp/vault-action", "secretId", Provider::VaultAppRole),
    (
        "pypa/gh-action-pypi-publish",
        "password",
        Provider::Registry,
    ),
    ("js-devtools/npm-publish", "token", Provider::Registry),
    ("katyo/publish-crates", "registry-token", Provider::Registry),
    (
        "hashicorp/setup-terraform",
        "cli_config_credentials_token",
        Provider::Terraform,
    ),
    ("digitalocean/action-doctl", "token", Provider::Other),
    (
        "tencentcloud/tke-cluster-credential-action",
        "secret_key",
        Provider::Other,
    ),
];

/// Environment variables that hold a standing credential when set from a secret.
const ENV_NAMES: &[(&str, Provider)] = &[
    ("AWS_ACCESS_KEY_ID", Provider::Aws),
    ("AWS_SECRET_ACCESS_KEY", Provider::Aws),
    ("GOOGLE_CREDENTIALS", Provider::Google),
    ("GOOGLE_APPLICATION_CREDENTIALS", Provider::Google),
    ("GCP_SA_KEY", Provider::Google),
    ("AZURE_CREDENTIALS", Provider::Azure),
    ("AZURE_CLIENT_SECRET", Provider::Azure),
    ("ARM_CLIENT_SECRET", Provider::Azure),
    ("VAULT_TOKEN", Provider::Vault),
    ("KUBECONFIG", Provider::Cluster),
    ("KUBE_CONFIG", Provider::Cluster),
    ("KUBE_CONFIG_DATA", Provider::Cluster),
    ("KUBE_TOKEN", Provider::Cluster),
    ("TF_API_TOKEN", Provider::Terraform),
    ("TFE_TOKEN", Provider::Terraform),
    ("TF_CLOUD_TOKEN", Provider::Terraform),
    ("TFC_TOKEN", Provider::Terraform),
    ("VAULT_SECRET_ID", Provider::VaultAppRole),
    ("VAULT_APPROLE_SECRET_ID", Provider::VaultAppRole),
    ("OP_SERVICE_ACCOUNT_TOKEN", Provider::OnePassword),
    ("OP_CONNECT_TOKEN", Provider::OnePassword),
    ("NPM_TOKEN", Provider::Registry),
    ("NODE_AUTH_TOKEN", Provider::Registry),
    ("CARGO_REGISTRY_TOKEN", Provider::Registry),
    ("PYPI_API_TOKEN", Provider::Registry),
    ("PYPI_TOKEN", Provider::Registry),
    ("TWINE_PASSWORD", Provider::Registry),
    ("GEM_HOST_API_KEY", Provider::Registry),
    ("NUGET_API_KEY", Provider::Registry),
];

/// `TF_TOKEN_<host>`: the CLI's per-host API token (`TF_TOKEN_app_terraform_io`).
fn env_provider(name: &str) -> Option<Provider> {
    if let Some((_, provider)) = ENV_NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Some(*provider);
    }
    let upper = name.to_ascii_uppercase();
    (upper.starts_with("TF_TOKEN_") && upper.len() > "TF_TOKEN_".len())
        .then_some(Provider::Terraform)
}

/// Secret names that, by convention, hold a long-lived cloud, Vault or cluster credential.
static CREDENTIAL_SECRET: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^(?:",
        r"(?P<aws>.*AWS.*(?:SECRET|ACCESS_KEY).*|.*SECRET_ACCESS_KEY.*)",
        r"|(?P<google>.*(?:GCP|GCLOUD|GOOGLE|GKE).*(?:KEY|CREDENTIAL|SA_JSON).*|.*SERVICE_ACCOUNT_(?:KEY|JSON).*)",
        r"|(?P<azure>.*AZURE.*(?:CREDENTIAL|SECRET|PUBLISH_?PROFILE|API_TOKEN).*|.*PUBLISH_?PROFILE.*|ARM_CLIENT_SECRET)",
        r"|(?P<vault>.*VAULT_TOKEN.*)",
        r"|(?P<approle>.*(?:VAULT|APPROLE).*SECRET_?ID.*)",
        r"|(?P<openshift>.*OPENSHIFT.*(?:TOKEN|PASSWORD).*|(?:.*_)?(?:OCP|OC)_(?:TOKEN|PASSWORD|LOGIN_TOKEN))",
        r"|(?P<cluster>.*KUBE_?CONFIG.*|.*KUBE_TOKEN.*|.*K8S_(?:TOKEN|CONFIG).*)",
        r"|(?P<terraform>TF_API_TOKEN|TFE_TOKEN|TF_TOKEN_.*|TFC_TOKEN|TF_CLOUD_TOKEN|.*TFC_API_TOKEN.*|.*TERRAFORM_(?:CLOUD_|API_)?TOKEN.*)",
        r"|(?P<onepassword>.*OP_SERVICE_ACCOUNT_TOKEN.*|OP_CONNECT_TOKEN|.*(?:1PASSWORD|ONEPASSWORD|ONE_PASSWORD).*TOKEN.*)",
        r"|(?P<registry>NPM_TOKEN|NPM_AUTH_TOKEN|NPM_PUBLISH_TOKEN|NPMJS_TOKEN|CARGO_REGISTRY_TOKEN|CRATES_IO_TOKEN|CRATES_TOKEN|CARGO_TOKEN|PYPI_API_TOKEN|PYPI_TOKEN|PYPI_PASSWORD|TEST_PYPI_API_TOKEN|TWINE_PASSWORD|RUBYGEMS_API_KEY|GEM_HOST_API_KEY|NUGET_API_KEY)",
        r"|(?P<other>.*ACCESS_KEY_SECRET.*|.*(?:ALIBABA|ALIYUN|ALICLOUD|TENCENT).*SECRET.*|.*IBM.*API_KEY.*|.*CLOUD_API_KEY.*|.*DIGITALOCEAN.*TOKEN.*|HCLOUD_TOKEN)",
        r")$"
    ))
    .ok()
});

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Provider {
    Aws,
    Google,
    Azure,
    Vault,
    VaultAppRole,
    OpenShift,
    Cluster,
    Terraform,
    OnePassword,
    /// A package registry's publish token (npm, crates.io, PyPI, RubyGems, NuGet), all of which
    /// offer trusted publishing from GitHub Actions. Reported only in a job that publishes.
    Registry,
    Other,
}

impl Provider {
    fn name(self) -> &'static str {
        match self {
            Provider::Aws => "AWS",
            Provider::Google => "Google Cloud",
            Provider::Azure => "Azure",
            Provider::Vault => "Vault",
            Provider::VaultAppRole => "Vault AppRole",
            Provider::OpenShift => "OpenShift",
            Provider::Cluster => "cluster",
            Provider::Terraform => "HCP Terraform",
            Provider::OnePassword => "1Password service-account",
            Provider::Registry => "package registry publish",
            Provider::Other => "cloud",
        }
    }

    /// The short-lived alternative, named in the message.
    fn alternative(self) -> &'static str {
        match self {
            Provider::Aws => {
                "assume a role with GitHub OIDC (`role-to-assume` and `permissions: id-token: write`)"
            }
            Provider::Google => {
                "use Workload Identity Federation (`workload_identity_provider` in google-github-actions/auth)"
            }
            Provider::Azure => {
                "sign in with OIDC (`azure/login` with `client-id`, `tenant-id` and `subscription-id`)"
            }
            Provider::Vault => {
                "use the JWT/OIDC auth method (`method: jwt` in hashicorp/vault-action) with a role bound to this repository"
            }
            Provider::VaultAppRole => {
                "a `secret_id` is a standing password: use Vault's JWT/OIDC auth method (`method: jwt` in hashicorp/vault-action) with a role bound to this repository"
            }
            Provider::OpenShift => {
                "use OIDC to OpenShift (a cluster that trusts GitHub's OIDC issuer, or a short-lived token after an OIDC cloud login) instead of a stored token or password"
            }
            Provider::OnePassword => {
                "reach 1Password through OIDC (a short-lived cloud or Vault login that reads the secret) or use a Vault-backed secret, instead of a standing service-account token"
            }
            Provider::Registry => {
                "use trusted publishing (OIDC, `permissions: id-token: write`), which npm, crates.io, PyPI, RubyGems and NuGet accept from GitHub Actions"
            }
            Provider::Cluster => {
                "get short-lived cluster credentials after an OIDC cloud login (e.g. `aws eks update-kubeconfig`, `azure/aks-set-context`, `get-gke-credentials`)"
            }
            Provider::Terraform => {
                "use HCP Terraform workload identity (a run-scoped token for the workspace) and dynamic provider credentials instead of a user or team API token"
            }
            Provider::Other => "use the provider's OIDC federation for GitHub Actions",
        }
    }
}

/// What kind of standing credential a secret's name says it holds (`AWS`, `Vault`, `cluster`, …),
/// or `None`. Shared with `tollgate drift`, which can read only the names of live secrets.
/// Registry publish tokens are left out: a live secret's name alone cannot say whether it
/// publishes.
pub fn credential_kind_of_secret(name: &str) -> Option<&'static str> {
    provider_of_secret(name)
        .filter(|provider| *provider != Provider::Registry)
        .map(Provider::name)
}

fn provider_of_secret(name: &str) -> Option<Provider> {
    let captures = CREDENTIAL_SECRET.as_ref()?.captures(name)?;
    let groups = [
        ("aws", Provider::Aws),
        ("google", Provider::Google),
        ("azure", Provider::Azure),
        ("vault", Provider::Vault),
        ("approle", Provider::VaultAppRole),
        ("openshift", Provider::OpenShift),
        ("cluster", Provider::Cluster),
        ("terraform", Provider::Terraform),
        ("onepassword", Provider::OnePassword),
        ("registry", Provider::Registry),
        ("other", Provider::Other),
    ];
    groups
        .into_iter()
        .find(|(group, _)| captures.name(group).is_some())
        .map(|(_, provider)| provider)
}

/// Names under `context` (`secrets`, `inputs`) read by the expressions in `text`, with the
/// expression text. `secrets.GITHUB_TOKEN` is never one: it is the job's own token, issued
/// per run and expiring with it (`NODE_AUTH_TOKEN: ${{ secrets.GITHUB_TOKEN }}` to publish to
/// GitHub Packages is already short-lived).
fn read_in(text: &str, context: &str) -> Vec<(String, String)> {
    let prefix = format!("{context}.");
    expr::expressions(text)
        .into_iter()
        .flat_map(|e| {
            expr::contexts(e.inner)
                .into_iter()
                .filter_map(|c| c.strip_prefix(&prefix).map(str::to_string))
                .filter(|name| !name.eq_ignore_ascii_case("GITHUB_TOKEN"))
                .map(move |name| (name, e.text.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn secrets_in(text: &str) -> Vec<(String, String)> {
    read_in(text, "secrets")
}

fn message(provider: Provider, what: &str) -> String {
    format!(
        "long-lived {} credential {what}; {}",
        provider.name(),
        provider.alternative()
    )
}

/// Reports, once per place, every standing credential under one scope of a workflow.
struct Scan<'c, 'a> {
    cx: &'c mut Cx<'a>,
    reported: HashSet<(Route, String)>,
    /// Where stored credentials arrive from: `secrets` in a workflow; in a composite action,
    /// which cannot read secrets, the caller hands them in as `inputs`.
    source: &'static str,
    /// Whether the job (or action) being scanned publishes a package: registry tokens are
    /// reported only there, where trusted publishing could replace them.
    publishes: bool,
}

impl Scan<'_, '_> {
    fn report(&mut self, location: Location, provider: Provider, what: &str) {
        if provider == Provider::Registry && !self.publishes {
            return;
        }
        let key = (location.route.clone(), what.to_string());
        if !self.reported.insert(key) {
            return;
        }
        let finding = StandingCredentials::META.finding(message(provider, what), location);
        self.cx.report(match provider {
            Provider::Registry => finding.severity(Severity::Medium),
            _ => finding,
        });
    }

    /// `env:` blocks: known names set from secrets, then any credential-named secret.
    fn env(&mut self, env: Option<&Node>, route: &Route) {
        let Some(env) = env else { return };
        for (name, value) in env.entries() {
            let Some(text) = value.as_str() else { continue };
            let stored = read_in(text, self.source);
            if stored.is_empty() {
                continue;
            }
            let value_route = route.key("env").key(name);
            if let Some(provider) = env_provider(name) {
                self.report(
                    Location::value(value_route),
                    provider,
                    &format!("`{name}` is set from `{}.{}`", self.source, stored[0].0),
                );
                continue;
            }
            self.secrets(text, &value_route);
        }
    }

    /// Any reference to a credential-named secret in a value.
    fn secrets(&mut self, text: &str, route: &Route) {
        for (name, expression) in secrets_in(text) {
            if let Some(provider) = provider_of_secret(&name) {
                self.report(
                    Location::fragment(route.clone(), expression),
                    provider,
                    &format!("`secrets.{name}` is used"),
                );
            }
        }
    }

    fn step(&mut self, step: &Step) {
        let action = step.action_name();
        if let (Some(action), Some(with)) = (&action, step.node.get("with")) {
            for (input, value) in with.entries() {
                let input_route = step.with_route(input);
                let listed = ACTION_INPUTS.iter().find(|(a, i, _)| {
                    (action == a
                        || action.starts_with(&format!("{a}/"))
                        || (a.ends_with("credential-action")
                            && action.starts_with("tencentcloud/")))
                        && i.eq_ignore_ascii_case(input)
                });
                let vault_token = action.starts_with("hashicorp/vault-action")
                    && input == "token"
                    && step
                        .with("method")
                        .and_then(Node::as_str)
                        .is_none_or(|m| m == "token");
                let aliyun_secret = action.starts_with("aliyun/") && input == "access-key-secret";
                let provider = listed
                    .map(|(_, _, p)| *p)
                    .or(vault_token.then_some(Provider::Vault))
                    .or(aliyun_secret.then_some(Provider::Other));
                match provider {
                    Some(provider) if value.as_str().is_some_and(|v| !v.trim().is_empty()) => {
                        self.report(
                            Location::value(input_route),
                            provider,
                            &format!("`{input}` is passed to `{action}`"),
                        );
                    }
                    _ => {
                        if let Some(text) = value.as_str() {
                            self.secrets(text, &input_route);
                        }
                    }
                }
            }
        }
        self.env(step.node.get("env"), &step.route);
        if let Some(run) = step.run() {
            self.secrets(run, &step.route.key("run"));
            self.logins(run, &step.route.key("run"));
        }
    }

    /// Stored secrets handed to `oc login` (a token or a password) or to a Vault AppRole login
    /// (`vault write auth/approle/login … secret_id=…`) in a script, whatever the secrets' names.
    fn logins(&mut self, run: &str, route: &Route) {
        for line in joined_lines(run) {
            let lower = line.to_ascii_lowercase();
            let provider = if OC_LOGIN.as_ref().is_some_and(|re| re.is_match(&lower)) {
                Provider::OpenShift
            } else if lower.contains("approle") && lower.contains("secret_id") {
                Provider::VaultAppRole
            } else {
                continue;
            };
            for (name, expression) in read_in(&line, self.source) {
                // The role id names the role; the secret id is the credential.
                let upper = name.to_ascii_uppercase();
                if provider == Provider::VaultAppRole
                    && (upper.contains("ROLE_ID") || upper.contains("ROLEID"))
                {
                    continue;
                }
                self.report(
                    Location::fragment(route.clone(), expression),
                    provider,
                    &format!("`{}.{name}` is used to log in", self.source),
                );
            }
        }
    }
}

impl Rule for StandingCredentials {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_document(&self, cx: &mut Cx, file: &crate::source::SourceFile) {
        if file.kind != crate::source::FileKind::Terraform {
            return;
        }
        let Some(root) = &file.root else {
            return;
        };
        for (name, body, route) in
            crate::model::vault::resources(root, "vault_aws_secret_backend_role")
        {
            let Some(value) = crate::model::vault::attr(body, &route, "credential_type") else {
                continue;
            };
            if value.text == "iam_user" {
                cx.report(Self::META.finding(
                    format!(
                        "Vault AWS role `{name}` mints IAM users with access keys that live for the mount's lease; use `assumed_role`"
                    ),
                    Location::value(value.route),
                ));
            }
        }
    }

    fn check_workflow(&self, cx: &mut Cx, workflow: &Workflow) {
        let mut scan = Scan {
            cx,
            reported: HashSet::new(),
            source: "secrets",
            publishes: workflow.jobs().iter().any(|job| publishes(&job.steps())),
        };
        scan.env(workflow.root.get("env"), &Route::root());
        for job in workflow.jobs() {
            check_job(&mut scan, &job);
        }
    }

    fn check_action(&self, cx: &mut Cx, action: &crate::model::Action) {
        let mut scan = Scan {
            cx,
            reported: HashSet::new(),
            source: "inputs",
            publishes: publishes(&action.steps()),
        };
        for step in action.steps() {
            scan.step(&step);
        }
    }
}

/// `oc login` with a token or a password on the line.
static OC_LOGIN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;&|(])oc\s+login\b.*(?:--token|-p\b|--password|-u\b)").ok()
});

/// The logical lines of a script: a line ending in `\` continues on the next.
fn joined_lines(run: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in run.lines() {
        match line.trim_end().strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Commands and actions that publish a package to a registry with trusted publishing.
static PUBLISH_COMMAND: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?m)(?:^|[\s;&|(])(?:",
        r"(?:npm|yarn|pnpm)(?:\s+-\S+)*\s+publish\b|yarn\s+npm\s+publish\b|changeset\s+publish\b|semantic-release\b|lerna\s+publish\b",
        r"|cargo\s+(?:\+\S+\s+)?publish\b|cargo\s+release\b",
        r"|twine\s+upload\b|(?:poetry|uv|flit|hatch|pdm)\s+publish\b",
        r"|gem\s+push\b|dotnet\s+nuget\s+push\b|nuget\s+push\b",
        r")"
    ))
    .ok()
});

const PUBLISH_ACTIONS: &[&str] = &[
    "pypa/gh-action-pypi-publish",
    "js-devtools/npm-publish",
    "katyo/publish-crates",
    "changesets/action",
    "cycjimmy/semantic-release-action",
    "rubygems/release-gem",
];

/// Whether any of the steps publishes a package.
fn publishes(steps: &[Step]) -> bool {
    steps.iter().any(|step| {
        PUBLISH_ACTIONS
            .iter()
            .any(|action| step.uses_action(action))
            || step
                .run()
                .is_some_and(|run| PUBLISH_COMMAND.as_ref().is_some_and(|re| re.is_match(run)))
    })
}

fn check_job(scan: &mut Scan, job: &Job) {
    let steps = job.steps();
    scan.publishes = publishes(&steps);
    scan.env(job.node.get("env"), &job.route);
    // Reusable workflow calls pass secrets explicitly under `secrets:`.
    if let Some(secrets) = job.node.get("secrets") {
        for (name, value) in secrets.entries() {
            if let Some(text) = value.as_str() {
                scan.secrets(text, &job.route.key("secrets").key(name));
            }
        }
    }
    for step in &steps {
        scan.step(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        assert_eq!(
            provider_of_secret("AWS_SECRET_ACCESS_KEY"),
            Some(Provider::Aws)
        );
        assert_eq!(
            provider_of_secret("PROD_AWS_ACCESS_KEY_ID"),
            Some(Provider::Aws)
        );
        assert_eq!(provider_of_secret("GCP_SA_KEY"), Some(Provider::Google));
        assert_eq!(
            provider_of_secret("AZURE_WEBAPP_PUBLISH_PROFILE"),
            Some(Provider::Azure)
        );
        assert_eq!(provider_of_secret("KUBECONFIG"), Some(Provider::Cluster));
        assert_eq!(
            provider_of_secret("ACCESS_KEY_SECRET"),
            Some(Provider::Other)
        );
        assert_eq!(provider_of_secret("NPM_TOKEN"), Some(Provider::Registry));
        assert_eq!(credential_kind_of_secret("NPM_TOKEN"), None);
        assert_eq!(
            provider_of_secret("VAULT_SECRET_ID"),
            Some(Provider::VaultAppRole)
        );
        assert_eq!(provider_of_secret("VAULT_ROLE_ID"), None);
        assert_eq!(provider_of_secret("OCP_TOKEN"), Some(Provider::OpenShift));
        assert_eq!(
            provider_of_secret("TF_TOKEN_app_terraform_io"),
            Some(Provider::Terraform)
        );
        assert_eq!(
            provider_of_secret("OP_SERVICE_ACCOUNT_TOKEN"),
            Some(Provider::OnePassword)
        );
        assert_eq!(
            env_provider("TF_TOKEN_app_terraform_io"),
            Some(Provider::Terraform)
        );
        assert_eq!(env_provider("TF_TOKEN_"), None);
        assert_eq!(provider_of_secret("AZURE_CLIENT_ID"), None);
        assert_eq!(provider_of_secret("GITHUB_TOKEN"), None);
    }
}
