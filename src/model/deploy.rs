//! What makes a job a deploy: cloud-credential actions, known deploy actions, deploy commands.
//! Shared by the workflow rules and the deploy-path rules, so both agree on what a deploy is.

use std::sync::LazyLock;

use regex::Regex;

use super::{Job, Step};
use crate::source::Route;

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

/// Spaces between words of one command: blanks, or a line continuation (`\` at line end).
/// Never a bare newline: the next line is another command.
const SP: &str = r"(?:[ \t]|\\\r?\n)+";

/// Options (with an optional value) between a tool and its verb: `kubectl --context prod -n web
/// apply`, but not `helm plugin install` or a word on a later line.
const OPTS: &str = r"(?:-\S+(?:~[^-\s;&|]\S*)?~)*";

/// The end of the verb: a blank, a separator or the line's end (`deploy-docs` is not `deploy`).
const END: &str = r"(?:[\s;&|)]|$)";

/// Compiles a command pattern written with the shorthands `~` ([`SP`]), `OPTS` ([`OPTS`]) and
/// `END` ([`END`]).
fn command_regex(pattern: &str) -> Option<Regex> {
    Regex::new(
        &pattern
            .replace("OPTS", OPTS)
            .replace("END", END)
            .replace('~', SP),
    )
    .ok()
}

/// Commands in `run:` that change a live system.
static DEPLOY_COMMAND: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let pattern = concat!(
        r"(?m)(?:^|[\s;&|(])(?:",
        r"terraform~(?:-chdir=\S+~)?(?:apply|destroy)END",
        r"|terragrunt~(?:run-all~)?apply",
        r"|aws~ecs~update-service",
        r"|aws~cloudformation~(?:deploy|create-stack|update-stack)",
        r"|aws~lambda~update-function-code",
        r"|aws~deploy~create-deployment",
        r"|(?:sam|cdk|serverless|sls)(?:@\S+)?~OPTSdeployEND",
        r"|gcloud~(?:\S+~)*?(?:run|app|functions)~deployEND",
        r"|az~(?:webapp|functionapp)~(?:deploy|deployment)END",
        r"|az~deployment~\S+~create",
        r"|pulumi~OPTSupEND",
        r"|flyctl~deploy|fly~deploy",
        r"|eb~deploy",
        r"|firebase~OPTSdeployEND",
        r"|wrangler~(?:deploy|publish)",
        r"|vercel~(?:\S+~)*?--prod",
        r"|netlify~deploy~(?:\S+~)*?--prod",
        r")"
    );
    command_regex(pattern)
});

/// Commands that change a Kubernetes cluster: deploys, unless the job started a throwaway
/// cluster for them (see [`LOCAL_CLUSTER_COMMAND`]).
static CLUSTER_COMMAND: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let pattern = concat!(
        r"(?m)(?:^|[\s;&|(])(?:",
        r"kubectl~OPTS(?:apply|rollout|set~image|replace|create|patch)END",
        r"|helm~OPTS(?:upgrade|install)END",
        r"|helmfile~OPTS(?:apply|sync)END",
        r")"
    );
    command_regex(pattern)
});

/// Actions that start a throwaway cluster on the runner, for end-to-end tests.
const LOCAL_CLUSTER_ACTIONS: &[&str] = &[
    "helm/kind-action",
    "engineerd/setup-kind",
    "container-tools/kind-action",
    "medyagh/setup-minikube",
    "manusa/actions-setup-minikube",
    "absaoss/k3d-action",
    "nolar/setup-k3d-k3s",
    "debianmaster/actions-k3s",
];

/// Commands that start a throwaway cluster on the runner (`scripts/minikube.sh start` included).
static LOCAL_CLUSTER_COMMAND: LazyLock<Option<Regex>> = LazyLock::new(|| {
    command_regex(
        r"(?m)(?:^|[\s;&|(])(?:\S*/)?(?:kind~create~cluster|minikube\S*~start|k3d~cluster~create)",
    )
});

/// Whether a step starts a throwaway cluster on the runner (kind, minikube, k3d).
pub fn starts_local_cluster(step: &Step) -> bool {
    if let Some(name) = step.action_name() {
        return LOCAL_CLUSTER_ACTIONS
            .iter()
            .any(|a| name == *a || name.starts_with(&format!("{a}/")));
    }
    step.run().is_some_and(|run| {
        LOCAL_CLUSTER_COMMAND
            .as_ref()
            .is_some_and(|re| re.is_match(run))
    })
}

/// `aws s3 sync|cp|mv`: a deploy only when it writes to a bucket, which
/// [`writes_to_bucket`] decides from the arguments.
static S3_COPY: LazyLock<Option<Regex>> =
    LazyLock::new(|| command_regex(r"(?m)(?:^|[\s;&|(])aws~s3~(?:sync|cp|mv)END"));

/// Whether the arguments of `aws s3 cp|sync|mv` (up to the end of the command) write to S3: an
/// `s3://` destination. The first argument is the source, so `aws s3 cp s3://b/x .` only reads.
/// Option values count as arguments, which errs towards reporting.
fn writes_to_bucket(arguments: &str) -> Option<String> {
    let arguments = arguments.replace("\\\n", " ");
    let command = arguments
        .split(['\n', ';', '|', '&', ')'])
        .next()
        .unwrap_or_default();
    let positional: Vec<&str> = command
        .split_whitespace()
        .filter(|token| !token.starts_with('-'))
        .collect();
    positional
        .iter()
        .skip(1)
        .find(|token| token.contains("s3://"))
        .map(|token| token.trim_matches(['"', '\'']).to_string())
}

/// Why a step deploys and where in the step the evidence is.
pub struct DeployEvidence {
    /// A phrase for messages: ``gets cloud credentials with `…` ``, ``runs `…` ``.
    pub why: String,
    /// The step's `uses` or `run`.
    pub route: Route,
    /// The deploy command as written in the script, to point at it rather than the whole
    /// script. `None` for actions.
    pub fragment: Option<String>,
}

/// One command as a message shows it: words joined by single spaces.
fn squeeze(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| *word != "\\")
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line of a matched command, without separators around it: its text in the script.
fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches([' ', '\t', '\\', ';', '&', '|', ')'])
        .to_string()
}

/// Why a step deploys, or `None`. With `local_cluster` (an earlier step started a throwaway
/// cluster), `kubectl` and `helm` commands are tests against it, not deploys.
pub fn step_deploys(step: &Step, local_cluster: bool) -> Option<DeployEvidence> {
    if let Some(name) = step.action_name() {
        let matches = |list: &[&'static str]| -> Option<&'static str> {
            list.iter()
                .find(|a| {
                    name.strip_prefix(**a)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                })
                .copied()
        };
        let why = matches(CREDENTIAL_ACTIONS)
            .map(|action| format!("gets cloud credentials with `{action}`"))
            .or_else(|| matches(DEPLOY_ACTIONS).map(|action| format!("deploys with `{action}`")));
        if let Some(why) = why {
            return Some(DeployEvidence {
                why,
                route: step.route.key("uses"),
                fragment: None,
            });
        }
    }
    let run = step.run()?;
    let separators = [' ', '\t', '\n', ';', '&', '|', '('];
    let command = |re: &LazyLock<Option<Regex>>| {
        re.as_ref().and_then(|re| re.find(run)).map(|found| {
            let text = found.as_str().trim_start_matches(separators);
            (
                found.start(),
                squeeze(text.trim_end_matches(separators)),
                first_line(text),
            )
        })
    };
    let copy = S3_COPY.as_ref().and_then(|re| {
        re.find_iter(run).find_map(|found| {
            let bucket = writes_to_bucket(&run[found.end()..])?;
            let text = found.as_str().trim_start_matches(separators);
            let shown = format!("{} … {bucket}", squeeze(text.trim_end_matches(separators)));
            Some((found.start(), shown, first_line(text)))
        })
    });
    let cluster = (!local_cluster)
        .then(|| command(&CLUSTER_COMMAND))
        .flatten();
    let (_, shown, fragment) = [command(&DEPLOY_COMMAND), cluster, copy]
        .into_iter()
        .flatten()
        .min_by_key(|(start, _, _)| *start)?;
    Some(DeployEvidence {
        why: format!("runs `{shown}`"),
        route: step.route.key("run"),
        fragment: Some(fragment),
    })
}

/// The first deploying step of a job, with the evidence.
pub fn first_deploy_step<'a>(job: &Job<'a>) -> Option<(Step<'a>, DeployEvidence)> {
    let mut local_cluster = false;
    job.steps().into_iter().find_map(|step| {
        local_cluster |= starts_local_cluster(&step);
        step_deploys(&step, local_cluster).map(|evidence| (step, evidence))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(run: &str) -> Option<String> {
        let node = crate::source::yaml::parse(&format!("run: {run:?}")).ok()?;
        let step = Step {
            node: &node,
            route: Route::root(),
        };
        step_deploys(&step, false).map(|evidence| evidence.why)
    }

    #[test]
    fn deploy_commands() {
        for run in [
            "terraform apply -auto-approve",
            "terraform -chdir=infra apply",
            "kubectl --context prod -n web apply -f k8s/",
            "kubectl rollout restart deployment/api",
            "kubectl set image deployment/api api=x:1",
            "helm upgrade --install api ./chart",
            "helm --kube-context prod upgrade api ./chart",
            "aws s3 sync ./dist s3://bucket --delete",
            "aws s3 cp ./a.zip \\\n  s3://bucket/a.zip",
            "aws s3 sync s3://a s3://b",
            "npx cdk deploy --all",
            "sam deploy --no-confirm-changeset",
            "sls deploy --stage prod",
            "gcloud beta run deploy api --image x",
            "az webapp deploy --name x",
            "pulumi up --yes",
            "echo start && terraform apply",
        ] {
            assert!(command(run).is_some(), "{run}");
        }
    }

    #[test]
    fn reading_and_validating_commands_are_not_deploys() {
        for run in [
            "terraform plan -out plan",
            "kubectl get pods\necho nothing to patch or create",
            "helm lint ./chart\npip install yamllint",
            "helm plugin install https://example.com/helm-diff",
            "helm template api ./chart",
            "aws s3 ls s3://bucket",
            "aws s3 cp s3://bucket/fixtures.tar.gz ./fixtures.tar.gz",
            "gcloud auth list\nnpm run deploy-docs",
            "npm run deploy-docs",
            "kubectl version --client",
        ] {
            assert_eq!(command(run), None, "{run}");
        }
    }

    #[test]
    fn messages_name_the_command() {
        assert_eq!(
            command("aws s3 sync ./dist s3://www.example.com --delete").as_deref(),
            Some("runs `aws s3 sync … s3://www.example.com`")
        );
        assert_eq!(
            command("npm ci\nkubectl -n web apply -f k8s/").as_deref(),
            Some("runs `kubectl -n web apply`")
        );
    }
}
