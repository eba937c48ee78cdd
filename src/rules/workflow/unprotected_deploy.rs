//! `unprotected-deploy`: a job that deploys without a protected environment.

use crate::finding::{Location, Severity};
use crate::model::deploy::{Target, first_deploy_step, job_target, shows_deploy_intent};
use crate::model::{Job, Workflow};
use crate::rules::{Cx, Rule, RuleMeta};

pub struct UnprotectedDeploy;

crate::rule_meta!(
    UnprotectedDeploy,
    "unprotected-deploy",
    Severity::High,
    "deploy job not gated by a production environment",
    r#"## What it does
Finds jobs that deploy — they obtain cloud credentials (`aws-actions/configure-aws-credentials`,
`google-github-actions/auth`, `azure/login`), use a known deploy action (ECS, Cloud Run,
Azure Web Apps, Kubernetes, Firebase, Netlify, …) or run a deploy command (`terraform apply`,
`atmos terraform deploy`, `kubectl apply`, `helm upgrade`, `aws s3 sync … s3://`,
`gsutil rsync … gs://`, `cdk deploy`, `gcloud run deploy`, `pulumi up`, `firebase deploy`,
`flyctl deploy`, `vercel --prod`, `netlify deploy --prod`, `wrangler deploy`,
`argocd app sync`, `gh workflow run` of a deploy workflow, `curl` with a bearer token to Argo
CD or a deploy webhook, …) — and either have no `environment:`, or have an environment that
is not one of the production environments in `tollgate.yml` while the job plainly targets
production (medium). The catalogue of actions and commands is data:
`rules/workflow/deploy.toml`.

Without an `environment:`, the severity follows what the job deploys to, read from its id,
name, step names, `with:`/`env:` values (the job's, its steps' and the workflow's) and the target arguments of its commands (namespace,
project, cluster, stack, workspace, stage, context, bucket):
- a production word (the production patterns of `tollgate.yml`), or no word either way: high;
- only non-production words (dev, test, staging, sandbox, preview, ci, qa, …), or a job that
  runs only for pull requests (every trigger is a pull-request event, or its `if:` tests for
  `pull_request` alone), which deploys a preview: low. It still
  matters: the credentials such a job uses are repository secrets or a repository-wide trust,
  not scoped to an environment, so any branch or workflow can use them.

Cloud credentials alone are not a deploy. A job whose only evidence is a credentials action
is reported at high only when it says it deploys (a deploy word such as `deploy`, `release`,
`publish`, `apply` in its id, name, step names or commands, like `./scripts/deploy.sh`); at
medium otherwise ("no deploy step was recognised"); and not at all when its description says
it does something else — scans, backs up, exports, reports or tests
(`docker-vulnerability-scan`, `s3-backup`, `export-data`) — and names no deploy. A copy to a
bucket in such a job (`aws s3 cp backup.zip s3://…` in `s3-backup`) is a data copy, not a
deploy. The word lists are `non_deploy_purposes` and `deploy_intent_words` in
`rules/workflow/deploy.toml`.

Not deploys: plan-only and read-only jobs (cloud credentials used only for `terraform plan`,
`cdk diff`, `pulumi preview`, `helm template|diff`, `kubectl diff`, a plan action, or a role
named for planning or reading), commands with `--dry-run`, reading commands (`kubectl get`,
`aws s3 ls`, `aws s3 cp s3://… .`), text inside heredocs and the arguments of `echo` and
`printf`, and `kubectl`/`helm` in a job that first starts a throwaway cluster (kind, minikube,
k3d) to test against.

The finding points at the deploying step's action or command, with the job as a related
location.

## Why is this bad
A GitHub Environment is where required reviewers, wait timers, deployment branch rules and
environment-scoped secrets live. A deploy job without one runs on any push to any branch the
workflow triggers on, with nobody approving. Cloud trust policies that bind the OIDC `sub` to
an environment cannot be satisfied by a job without one, so the job is also using a role that
is broader than it should be.

## Example
```yaml
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: terraform apply -auto-approve
```

## Use instead
```yaml
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: terraform apply -auto-approve
```

## References
- https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment
- https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#configuring-the-oidc-trust-with-the-cloud
"#
);

/// Whether a job's own text names production: its id, name, step names or commands.
fn targets_production(cx: &Cx, job: &Job) -> Option<String> {
    let mut texts: Vec<&str> = vec![job.id];
    texts.extend(job.node.get_str("name"));
    for step in job.steps() {
        texts.extend(step.node.get_str("name"));
        texts.extend(step.run());
        if let Some(with) = step.node.get("with") {
            texts.extend(with.entries().filter_map(|(_, v)| v.as_str()));
        }
    }
    texts.iter().find_map(|text| {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .find(|word| !word.is_empty() && cx.config.is_production(word))
            .map(str::to_string)
    })
}

impl Rule for UnprotectedDeploy {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_job(&self, cx: &mut Cx, workflow: &Workflow, job: &Job) {
        let Some((_, evidence)) = first_deploy_step(job) else {
            return;
        };
        let why = &evidence.why;
        let deploys_here = match evidence.fragment {
            Some(command) => Location::fragment(evidence.route, command),
            None => Location::value(evidence.route),
        }
        .labelled("deploys here");
        let job_location = Location::key(job.route.clone()).labelled(format!("job `{}`", job.id));
        match job.environment() {
            None => match job_target(workflow, job, |word| {
                cx.config.is_production(word)
            }) {
                Target::NonProduction(word) => cx.report(
                    Self::META
                        .finding(
                            format!(
                                "job `{}` {why} to a non-production target (`{word}`) with no `environment:`; it still matters because the credentials it uses are repository-wide, not scoped to an environment, so any branch or workflow can use them",
                                job.id
                            ),
                            deploys_here,
                        )
                        .severity(Severity::Low)
                        .related(job_location),
                ),
                // Credentials alone are not a deploy: without a deploy command, a deploy
                // action or a deploy word, the job may only read with them.
                _ if evidence.credentials_only && !shows_deploy_intent(job) => cx.report(
                    Self::META
                        .finding(
                            format!(
                                "job `{}` {why} with no `environment:`, but no deploy step was recognised; if the role can change live systems, gate the job with an environment and bind the role's trust to it",
                                job.id
                            ),
                            deploys_here,
                        )
                        .severity(Severity::Medium)
                        .related(job_location),
                ),
                Target::Production(_) | Target::Unknown => cx.report(
                    Self::META
                        .finding(
                            format!(
                                "job `{}` {why} but has no `environment:`, so no approval gates it",
                                job.id
                            ),
                            deploys_here,
                        )
                        .related(job_location),
                ),
            },
            // An environment chosen at run time cannot be judged here.
            Some(environment) if environment.contains("${{") => {}
            Some(environment) if !cx.config.is_production(environment) => {
                if let Some(word) = targets_production(cx, job) {
                    cx.report(
                        Self::META
                            .finding(
                                format!(
                                    "job `{}` {why} and targets `{word}`, but its environment `{environment}` is not a production environment",
                                    job.id
                                ),
                                deploys_here,
                            )
                            .severity(Severity::Medium)
                            .related(Location::value(job.route.key("environment")).labelled("environment used"))
                            .related(job_location),
                    );
                }
            }
            Some(_) => {}
        }
    }
}
