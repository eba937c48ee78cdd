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
- other clouds' access keys (Alibaba, Tencent, IBM, HCP Terraform, DigitalOcean).

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
        Provider::Cluster,
    ),
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
];

/// Secret names that, by convention, hold a long-lived cloud, Vault or cluster credential.
static CREDENTIAL_SECRET: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^(?:",
        r"(?P<aws>.*AWS.*(?:SECRET|ACCESS_KEY).*|.*SECRET_ACCESS_KEY.*)",
        r"|(?P<google>.*(?:GCP|GCLOUD|GOOGLE|GKE).*(?:KEY|CREDENTIAL|SA_JSON).*|.*SERVICE_ACCOUNT_(?:KEY|JSON).*)",
        r"|(?P<azure>.*AZURE.*(?:CREDENTIAL|SECRET|PUBLISH_?PROFILE|API_TOKEN).*|.*PUBLISH_?PROFILE.*|ARM_CLIENT_SECRET)",
        r"|(?P<vault>.*VAULT_TOKEN.*)",
        r"|(?P<cluster>.*KUBE_?CONFIG.*|.*KUBE_TOKEN.*|.*OPENSHIFT_TOKEN.*|.*K8S_(?:TOKEN|CONFIG).*)",
        r"|(?P<terraform>TF_API_TOKEN|TFE_TOKEN|TF_TOKEN_.*)",
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
    Cluster,
    Terraform,
    Other,
}

impl Provider {
    fn name(self) -> &'static str {
        match self {
            Provider::Aws => "AWS",
            Provider::Google => "Google Cloud",
            Provider::Azure => "Azure",
            Provider::Vault => "Vault",
            Provider::Cluster => "cluster",
            Provider::Terraform => "HCP Terraform",
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
            Provider::Cluster => {
                "get short-lived cluster credentials after an OIDC cloud login (e.g. `aws eks update-kubeconfig`, `azure/aks-set-context`, `get-gke-credentials`)"
            }
            Provider::Terraform => {
                "use HCP Terraform workload identity or dynamic provider credentials"
            }
            Provider::Other => "use the provider's OIDC federation for GitHub Actions",
        }
    }
}

/// What kind of standing credential a secret's name says it holds (`AWS`, `Vault`, `cluster`, …),
/// or `None`. Shared with `tollgate drift`, which can read only the names of live secrets.
pub fn credential_kind_of_secret(name: &str) -> Option<&'static str> {
    provider_of_secret(name).map(Provider::name)
}

fn provider_of_secret(name: &str) -> Option<Provider> {
    let captures = CREDENTIAL_SECRET.as_ref()?.captures(name)?;
    let groups = [
        ("aws", Provider::Aws),
        ("google", Provider::Google),
        ("azure", Provider::Azure),
        ("vault", Provider::Vault),
        ("cluster", Provider::Cluster),
        ("terraform", Provider::Terraform),
        ("other", Provider::Other),
    ];
    groups
        .into_iter()
        .find(|(group, _)| captures.name(group).is_some())
        .map(|(_, provider)| provider)
}

/// Names under `context` (`secrets`, `inputs`) read by the expressions in `text`, with the
/// expression text.
fn read_in(text: &str, context: &str) -> Vec<(String, String)> {
    let prefix = format!("{context}.");
    expr::expressions(text)
        .into_iter()
        .flat_map(|e| {
            expr::contexts(e.inner)
                .into_iter()
                .filter_map(|c| c.strip_prefix(&prefix).map(str::to_string))
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
}

impl Scan<'_, '_> {
    fn report(&mut self, location: Location, provider: Provider, what: &str) {
        let key = (location.route.clone(), what.to_string());
        if !self.reported.insert(key) {
            return;
        }
        self.cx
            .report(StandingCredentials::META.finding(message(provider, what), location));
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
            let known = ENV_NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
            let value_route = route.key("env").key(name);
            if let Some((_, provider)) = known {
                self.report(
                    Location::value(value_route),
                    *provider,
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
        };
        for step in action.steps() {
            scan.step(&step);
        }
    }
}

fn check_job(scan: &mut Scan, job: &Job) {
    scan.env(job.node.get("env"), &job.route);
    // Reusable workflow calls pass secrets explicitly under `secrets:`.
    if let Some(secrets) = job.node.get("secrets") {
        for (name, value) in secrets.entries() {
            if let Some(text) = value.as_str() {
                scan.secrets(text, &job.route.key("secrets").key(name));
            }
        }
    }
    for step in job.steps() {
        scan.step(&step);
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
        assert_eq!(provider_of_secret("NPM_TOKEN"), None);
        assert_eq!(provider_of_secret("AZURE_CLIENT_ID"), None);
        assert_eq!(provider_of_secret("GITHUB_TOKEN"), None);
    }
}
