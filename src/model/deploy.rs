//! What makes a job a deploy: cloud-credential actions, known deploy actions, deploy commands.
//! Shared by the workflow rules and the deploy-path rules, so both agree on what a deploy is.

use std::sync::LazyLock;

use regex::Regex;

use super::{Job, Step};

/// Actions that obtain cloud credentials: a job that has them is reaching production systems.
const CREDENTIAL_ACTIONS: &[&str] = &[
    "aws-actions/configure-aws-credentials",
    "google-github-actions/auth",
    "azure/login",
    "aliyun/configure-aliyun-credentials-action",
];

/// Actions whose purpose is to deploy or to get deploy access to a cluster.
const DEPLOY_ACTIONS: &[&str] = &[
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "aws-actions/aws-codebuild-run-build",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloud-functions",
    "google-github-actions/get-gke-credentials",
    "azure/webapps-deploy",
    "azure/functions-action",
    "azure/k8s-deploy",
    "azure/aks-set-context",
    "azure/arm-deploy",
    "azure/container-apps-deploy-action",
    "azure/static-web-apps-deploy",
    "azure/k8s-set-context",
    "aliyun/ack-set-context",
    "tencentcloud/tke-cluster-credential-action",
    "redhat-actions/oc-login",
    "octopusdeploy/deploy-release-action",
    "pulumi/actions",
    "cloudflare/wrangler-action",
    "superfly/flyctl-actions",
    "akhileshns/heroku-deploy",
    "serverless/github-action",
    "amondnet/vercel-action",
    "digitalocean/app_action",
    "ibm/cloud-functions-deploy",
];

/// Commands in `run:` that change a live system.
static DEPLOY_COMMAND: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?m)(?:^|[\s;&|(])(?:",
        r"terraform\s+(?:-chdir=\S+\s+)?(?:apply|destroy)",
        r"|terragrunt\s+(?:run-all\s+)?apply",
        r"|kubectl\s+(?:\S+\s+)*?(?:apply|rollout|set\s+image|replace|create|patch)\b",
        r"|helm\s+(?:\S+\s+)*?(?:upgrade|install)\b",
        r"|helmfile\s+(?:\S+\s+)*?(?:apply|sync)\b",
        r"|aws\s+s3\s+(?:sync|cp)\s[^\n]*s3://",
        r"|aws\s+ecs\s+update-service",
        r"|aws\s+cloudformation\s+(?:deploy|create-stack|update-stack)",
        r"|aws\s+lambda\s+update-function-code",
        r"|aws\s+deploy\s+create-deployment",
        r"|(?:sam|cdk|serverless|sls)\s+(?:\S+\s+)*?deploy\b",
        r"|gcloud\s+(?:\S+\s+)*?(?:run|app|functions)\s+deploy",
        r"|az\s+(?:webapp|functionapp)\s+(?:deploy|deployment)",
        r"|az\s+deployment\s+\S+\s+create",
        r"|pulumi\s+up\b",
        r"|flyctl\s+deploy|fly\s+deploy",
        r"|eb\s+deploy",
        r"|firebase\s+deploy",
        r"|wrangler\s+(?:deploy|publish)",
        r"|vercel\s+(?:\S+\s+)*?--prod",
        r"|netlify\s+deploy\s[^\n]*--prod",
        r")"
    ))
    .ok()
});

/// Why a step deploys, or `None`.
pub fn step_deploys(step: &Step) -> Option<String> {
    if let Some(name) = step.action_name() {
        let matches = |list: &[&'static str]| -> Option<&'static str> {
            list.iter()
                .find(|a| name == **a || name.starts_with(&format!("{a}/")))
                .copied()
        };
        if let Some(action) = matches(CREDENTIAL_ACTIONS) {
            return Some(format!("gets cloud credentials with `{action}`"));
        }
        if let Some(action) = matches(DEPLOY_ACTIONS) {
            return Some(format!("deploys with `{action}`"));
        }
    }
    let run = step.run()?;
    let found = DEPLOY_COMMAND.as_ref()?.find(run)?;
    let command: String = found
        .as_str()
        .trim_start_matches([' ', '\t', '\n', ';', '&', '|', '('])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(format!("runs `{command}`"))
}

/// The first deploying step of a job, with the reason.
pub fn first_deploy_step<'a>(job: &Job<'a>) -> Option<(Step<'a>, String)> {
    job.steps()
        .into_iter()
        .find_map(|step| step_deploys(&step).map(|why| (step, why)))
}
