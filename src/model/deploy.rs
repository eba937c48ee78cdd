//! What makes a job a deploy: cloud-credential actions, known deploy actions, deploy commands.
//! Shared by the workflow rules and the deploy-path rules, so both agree on what a deploy is.

use std::sync::LazyLock;

use regex::Regex;

use super::{Job, Step};
use crate::source::Route;

/// The deploy catalogue, as data beside the rule pack (`rules/workflow/deploy.toml`).
#[derive(serde::Deserialize, Default)]
struct Catalogue {
    credential_actions: Vec<String>,
    deploy_actions: Vec<String>,
    deploy_commands: Vec<String>,
    cluster_commands: Vec<String>,
    bucket_copy_commands: Vec<String>,
    plan_commands: Vec<String>,
    dry_run_flags: Vec<String>,
    plan_actions: Vec<String>,
    local_cluster_actions: Vec<String>,
    local_cluster_commands: Vec<String>,
    non_production_words: Vec<String>,
    non_deploy_purposes: Vec<String>,
    deploy_intent_words: Vec<String>,
}

/// An embedded data file that does not parse leaves the catalogue empty; a unit test keeps it
/// parsing.
static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    toml::from_str(include_str!("../../rules/workflow/deploy.toml")).unwrap_or_default()
});

/// Spaces between words of one command: blanks, or a line continuation (`\` at line end).
/// Never a bare newline: the next line is another command.
const SP: &str = r"(?:[ \t]|\\\r?\n)+";

/// Options (with an optional value) between a tool and its verb: `kubectl --context prod -n web
/// apply`, but not `helm plugin install` or a word on a later line.
const OPTS: &str = r"(?:-\S+(?:~[^-\s;&|]\S*)?~)*";

/// The end of the verb: a blank, a separator or the line's end (`deploy-docs` is not `deploy`).
const END: &str = r"(?:[\s;&|)]|$)";

/// Compiles command patterns written with the shorthands `~` ([`SP`]), `OPTS` ([`OPTS`]) and
/// `END` ([`END`]) into one regex that finds any of them at the start of a command.
fn command_regex(patterns: &[String]) -> Option<Regex> {
    if patterns.is_empty() {
        return None;
    }
    let alternatives = patterns.join("|");
    Regex::new(
        &format!(r"(?m)(?:^|[\s;&|(])(?:{alternatives})")
            .replace("OPTS", OPTS)
            .replace("END", END)
            .replace('~', SP),
    )
    .ok()
}

static DEPLOY_COMMAND: LazyLock<Option<Regex>> =
    LazyLock::new(|| command_regex(&CATALOGUE.deploy_commands));
static CLUSTER_COMMAND: LazyLock<Option<Regex>> =
    LazyLock::new(|| command_regex(&CATALOGUE.cluster_commands));
static PLAN_COMMAND: LazyLock<Option<Regex>> =
    LazyLock::new(|| command_regex(&CATALOGUE.plan_commands));
static LOCAL_CLUSTER_COMMAND: LazyLock<Option<Regex>> =
    LazyLock::new(|| command_regex(&CATALOGUE.local_cluster_commands));
static BUCKET_COPY: LazyLock<Option<Regex>> =
    LazyLock::new(|| command_regex(&CATALOGUE.bucket_copy_commands));

/// The listed action a step uses (`owner/repo`, any path or ref), if any.
fn listed_action<'c>(name: &str, list: &'c [String]) -> Option<&'c str> {
    list.iter()
        .find(|a| {
            name.strip_prefix(a.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map(String::as_str)
}

/// Whether a step starts a throwaway cluster on the runner (kind, minikube, k3d).
pub fn starts_local_cluster(step: &Step) -> bool {
    if let Some(name) = step.action_name() {
        return listed_action(&name, &CATALOGUE.local_cluster_actions).is_some();
    }
    step.run().is_some_and(|run| {
        LOCAL_CLUSTER_COMMAND
            .as_ref()
            .is_some_and(|re| re.is_match(&code_only(run)))
    })
}

/// A script with what is not a command blanked out, byte for byte (so offsets and the text of
/// commands stay as written): heredoc bodies, and the arguments of `echo` and `printf` up to
/// the end of their command.
pub fn code_only(run: &str) -> String {
    let mut out = String::with_capacity(run.len());
    let mut heredoc: Option<String> = None;
    for line in run.split_inclusive('\n') {
        if let Some(delimiter) = &heredoc {
            if line.trim() == delimiter.as_str() {
                heredoc = None;
                out.push_str(line);
            } else {
                out.push_str(&blank(line));
            }
            continue;
        }
        heredoc = heredoc_delimiter(line);
        out.push_str(&blank_echo(line));
    }
    out
}

/// Spaces for every character of `text` but its line break.
fn blank(text: &str) -> String {
    text.chars()
        .map(|c| if c == '\n' || c == '\r' { c } else { ' ' })
        .collect()
}

/// The delimiter of a heredoc opened on this line (`<<EOF`, `<<-'EOF'`, `<< "END"`).
fn heredoc_delimiter(line: &str) -> Option<String> {
    let at = line.find("<<")?;
    let rest = line[at + 2..].trim_start_matches('-').trim_start();
    if rest.starts_with('<') {
        return None; // `<<<` is a here-string
    }
    let word: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// `echo …` / `printf …` arguments blanked, up to an unquoted `;`, `&`, `|` or the line end.
fn blank_echo(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start =
            i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b';' | b'&' | b'|' | b'(');
        let command = ["echo", "printf"].into_iter().find(|word| {
            line[i..].starts_with(word) && matches!(bytes.get(i + word.len()), Some(b' ' | b'\t'))
        });
        if let (true, Some(word)) = (at_word_start, command) {
            out.push_str(word);
            i += word.len();
            let start = i;
            let mut quote: Option<u8> = None;
            while i < bytes.len() {
                let c = bytes[i];
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if c == b'\'' || c == b'"' => quote = Some(c),
                    None if matches!(c, b';' | b'&' | b'|' | b'\n' | b'>') => break,
                    None => {}
                }
                i += 1;
            }
            out.push_str(&blank(&line[start..i]));
            continue;
        }
        let next = line[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&line[i..i + next]);
        i += next;
    }
    out
}

/// Whether the arguments of a bucket copy (up to the end of the command) write to a bucket: an
/// `s3://` or `gs://` destination. The first argument is the source, so `aws s3 cp s3://b/x .` only reads.
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
        .find(|token| token.contains("s3://") || token.contains("gs://"))
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
    /// The evidence is only an action that gets cloud credentials.
    pub credentials_only: bool,
    /// The evidence is a copy to a bucket (`aws s3 cp … s3://…`): a deploy of a site or an
    /// artifact, unless the job says it backs up or exports data.
    pub copies_to_bucket: bool,
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
        let credentials = listed_action(&name, &CATALOGUE.credential_actions);
        let why = credentials
            .map(|action| format!("gets cloud credentials with `{action}`"))
            .or_else(|| {
                listed_action(&name, &CATALOGUE.deploy_actions)
                    .map(|action| format!("deploys with `{action}`"))
            });
        if let Some(why) = why {
            return Some(DeployEvidence {
                why,
                route: step.route.key("uses"),
                fragment: None,
                credentials_only: credentials.is_some(),
                copies_to_bucket: false,
            });
        }
    }
    let run = step.run()?;
    let code = code_only(run);
    let separators = [' ', '\t', '\n', ';', '&', '|', '('];
    let command = |re: &LazyLock<Option<Regex>>| {
        re.as_ref()?
            .find_iter(&code)
            .find(|found| !dry_run(&code[found.start()..]))
            .map(|found| {
                let text = found.as_str().trim_start_matches(separators);
                (
                    found.start(),
                    squeeze(text.trim_end_matches(separators)),
                    first_line(text),
                )
            })
    };
    let copy = BUCKET_COPY.as_ref().and_then(|re| {
        re.find_iter(&code).find_map(|found| {
            if dry_run(&code[found.start()..]) {
                return None;
            }
            let bucket = writes_to_bucket(&code[found.end()..])?;
            let text = found.as_str().trim_start_matches(separators);
            let shown = format!("{} … {bucket}", squeeze(text.trim_end_matches(separators)));
            Some((found.start(), shown, first_line(text), true))
        })
    });
    let cluster = (!local_cluster)
        .then(|| command(&CLUSTER_COMMAND))
        .flatten();
    let (_, shown, fragment, copies_to_bucket) = [command(&DEPLOY_COMMAND), cluster]
        .into_iter()
        .flatten()
        .map(|(start, shown, fragment)| (start, shown, fragment, false))
        .chain(copy)
        .min_by_key(|(start, _, _, _)| *start)?;
    Some(DeployEvidence {
        why: format!("runs `{shown}`"),
        route: step.route.key("run"),
        fragment: Some(fragment),
        credentials_only: false,
        copies_to_bucket,
    })
}

/// Whether the command starting `text` (up to its line's end, continuations included) carries
/// a dry-run flag: `kubectl apply --dry-run=server`, `helm upgrade --dry-run`.
fn dry_run(text: &str) -> bool {
    let text = text.trim_start_matches([' ', '\t', '\n', ';', '&', '|', '(']);
    let command = text.replace("\\\n", " ");
    let line = command.lines().next().unwrap_or_default();
    line.split_whitespace().any(|word| {
        CATALOGUE
            .dry_run_flags
            .iter()
            .any(|flag| word == flag || word.starts_with(&format!("{flag}=")))
    })
}

/// Whether a step only shows what a deploy would do: a plan command or a plan action, or cloud
/// credentials for a role named for planning or reading (`…-plan`, `…readonly`).
fn plans(step: &Step) -> bool {
    if let Some(name) = step.action_name() {
        if listed_action(&name, &CATALOGUE.plan_actions).is_some() {
            return true;
        }
        let role = ["role-to-assume", "service_account", "client-id"]
            .into_iter()
            .filter_map(|input| step.with(input).and_then(crate::source::Node::as_str))
            .any(|role| {
                let role = role.to_ascii_lowercase();
                ["plan", "readonly", "read-only", "read_only", "reader"]
                    .iter()
                    .any(|word| role.contains(word))
            });
        return role;
    }
    step.run().is_some_and(|run| {
        PLAN_COMMAND
            .as_ref()
            .is_some_and(|re| re.is_match(&code_only(run)))
    })
}

/// The words of a job's own description: its id, its name and its steps' names.
fn description_words(job: &Job) -> Vec<String> {
    let mut texts: Vec<&str> = vec![job.id];
    texts.extend(job.node.get_str("name"));
    texts.extend(
        job.steps()
            .iter()
            .filter_map(|step| step.node.get_str("name")),
    );
    texts.iter().flat_map(|text| words(text)).collect()
}

/// Whether a word is in a catalogue list.
fn listed(word: &str, list: &[String]) -> bool {
    list.iter().any(|entry| entry == word)
}

/// The word saying a job scans, backs up, exports, reports or tests rather than deploys, when
/// its description says so and names no deploy (`docker-vulnerability-scan`, `s3-backup`;
/// not `deploy-test`).
fn non_deploy_purpose(job: &Job) -> Option<String> {
    let words = description_words(job);
    if words
        .iter()
        .any(|word| listed(word, &CATALOGUE.deploy_intent_words))
    {
        return None;
    }
    words
        .into_iter()
        .find(|word| listed(word, &CATALOGUE.non_deploy_purposes))
}

/// Whether a job says it changes a live system: a deploy word in its description or in its
/// commands (`./scripts/deploy.sh`, `make release`).
pub fn shows_deploy_intent(job: &Job) -> bool {
    let intent = |word: &String| listed(word, &CATALOGUE.deploy_intent_words);
    description_words(job).iter().any(intent)
        || job
            .steps()
            .iter()
            .filter_map(|step| step.run())
            .any(|run| words(&code_only(run)).iter().any(intent))
}

/// The first deploying step of a job, with the evidence. A job whose only evidence is cloud
/// credentials and that plans (`terraform plan`, `cdk diff`, a read-only role) is a plan job,
/// not a deploy. A job that says it scans, backs up, exports or tests (see
/// [`non_deploy_purpose`]) is not a deploy on weak evidence alone: cloud credentials, or a copy
/// to a bucket.
pub fn first_deploy_step<'a>(job: &Job<'a>) -> Option<(Step<'a>, DeployEvidence)> {
    let purpose = non_deploy_purpose(job);
    let mut local_cluster = false;
    let mut first: Option<(Step<'a>, DeployEvidence)> = None;
    let mut planning = false;
    for step in job.steps() {
        local_cluster |= starts_local_cluster(&step);
        planning |= plans(&step);
        if let Some(evidence) = step_deploys(&step, local_cluster) {
            if evidence.copies_to_bucket && purpose.is_some() {
                continue;
            }
            let credentials_only = evidence.credentials_only;
            let mut found = first.take().unwrap_or((step, evidence));
            if !credentials_only {
                // The job deploys: the first step still points at where it starts.
                found.1.credentials_only = false;
                return Some(found);
            }
            first = Some(found);
        }
    }
    first.filter(|_| !planning && purpose.is_none())
}

/// What a job deploys to, judged from the words of its id, name, step names, `with:` and `env:`
/// values and the target arguments of its commands (namespace, project, cluster, stack,
/// workspace, stage, context, bucket).
pub enum Target {
    /// A word the production patterns match (`prod`, `production`, `live`, …).
    Production(String),
    /// Only non-production words (`staging`, `dev`, `preview`, …), and no production one.
    NonProduction(String),
    /// Neither.
    Unknown,
}

/// Target arguments in a command: `--namespace web-staging`, `-n dev`, `--project x`,
/// `workspace select prod`, `s3://bucket`, `gs://bucket`.
static TARGET_ARGUMENT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:(?:^|\s)(?:-n|-s|-e|--namespace|--project|--project-id|--cluster|--cluster-name|--context|--kube-context|--stack|--stage|--env|--environment|--workspace|--app|--site|--alias|--resource-group|-g)[= ]+['\x22]?([\w./:-]+)",
        r"|workspace\s+(?:select|new)\s+(?:-\S+\s+)*['\x22]?([\w.-]+)",
        r"|\b(?:s3|gs)://([\w.-]+))"
    ))
    .ok()
});

/// The words of a text, lower-cased, split at anything but letters and digits (`non-prod` is
/// kept whole as `nonprod`).
fn words(text: &str) -> Vec<String> {
    text.to_ascii_lowercase()
        .replace("non-prod", "nonprod")
        .replace("non_prod", "nonprod")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether an input or variable name says its value is a deploy target.
fn names_target(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "env",
        "stage",
        "namespace",
        "project",
        "cluster",
        "stack",
        "workspace",
        "bucket",
        "target",
        "role",
        "context",
        "site",
        "alias",
        "resource-group",
        "resource_group",
        "app-name",
        "app_name",
        "slot",
        "deployment",
        "tier",
        "account",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// Whether a job runs only for pull requests: every trigger of its workflow is a pull-request
/// event, or its `if:` tests for `pull_request` and names no other event. What such a job
/// deploys is a pull request's preview.
fn runs_only_for_pull_requests(workflow: &super::Workflow, job: &Job) -> bool {
    let pull_request = |event: &str| event.starts_with("pull_request");
    let triggers = workflow.triggers();
    if !triggers.is_empty() && triggers.iter().all(|event| pull_request(event)) {
        return true;
    }
    job.node.get_str("if").is_some_and(|condition| {
        let other_events = ["'push'", "'release'", "'workflow_dispatch'", "'schedule'"];
        condition.contains("'pull_request")
            && !condition.contains("event_name !=")
            && !other_events.iter().any(|event| condition.contains(event))
    })
}

/// What a job deploys to, with `is_production` deciding which words are production. The
/// workflow's `env:` counts too: `ACCOUNT_ID: ${{ secrets.STAGING_AWS_ACCOUNT_ID }}` there
/// names the target of every job. A job that runs only for pull requests deploys a preview.
pub fn job_target(
    workflow: &super::Workflow,
    job: &Job,
    is_production: impl Fn(&str) -> bool,
) -> Target {
    let workflow_env = workflow.root.get("env");
    let mut texts: Vec<String> = vec![job.id.to_string()];
    if runs_only_for_pull_requests(workflow, job) {
        texts.push("preview".to_string());
    }
    texts.extend(job.node.get_str("name").map(str::to_string));
    // Only the values of keys that name a target: `image: europe-docker.pkg.dev/…` is not a
    // dev deploy.
    let values = |node: Option<&crate::source::Node>, texts: &mut Vec<String>| {
        if let Some(node) = node {
            texts.extend(
                node.entries()
                    .filter(|(key, _)| names_target(key))
                    .filter_map(|(_, v)| v.as_str())
                    .map(str::to_string),
            );
        }
    };
    values(workflow_env, &mut texts);
    values(job.node.get("env"), &mut texts);
    for step in job.steps() {
        texts.extend(step.node.get_str("name").map(str::to_string));
        values(step.node.get("with"), &mut texts);
        values(step.node.get("env"), &mut texts);
        if let (Some(run), Some(re)) = (step.run(), TARGET_ARGUMENT.as_ref()) {
            let code = code_only(run);
            for captures in re.captures_iter(&code) {
                texts.extend(
                    (1..=3)
                        .filter_map(|group| captures.get(group))
                        .map(|m| m.as_str().to_string()),
                );
            }
        }
    }
    let all: Vec<String> = texts.iter().flat_map(|t| words(t)).collect();
    if let Some(word) = all.iter().find(|w| is_production(w)) {
        return Target::Production(word.clone());
    }
    match all
        .iter()
        .find(|w| CATALOGUE.non_production_words.iter().any(|n| n == *w))
    {
        Some(word) => Target::NonProduction(word.clone()),
        None => Target::Unknown,
    }
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
    fn catalogue_parses() {
        let text = include_str!("../../rules/workflow/deploy.toml");
        let parsed: Result<Catalogue, _> = toml::from_str(text);
        assert!(parsed.is_ok(), "{:?}", parsed.err());
        for re in [
            &DEPLOY_COMMAND,
            &CLUSTER_COMMAND,
            &PLAN_COMMAND,
            &BUCKET_COPY,
            &LOCAL_CLUSTER_COMMAND,
        ] {
            assert!(re.is_some());
        }
    }

    #[test]
    fn heredocs_and_echo_are_not_commands() {
        for run in [
            "cat <<EOF > notes.md\nhelm install api ./chart\nEOF",
            "cat <<-'END'\n  terraform apply\n  END\nls",
            "echo \"then run: kubectl apply -f k8s/\"",
            "printf '%s\\n' 'helm upgrade api ./chart'",
            "kubectl apply --dry-run=server -f k8s/",
            "helm upgrade --install api ./chart --dry-run",
        ] {
            assert_eq!(command(run), None, "{run}");
        }
        assert!(command("cat <<EOF > x\nhi\nEOF\nhelm install api ./chart").is_some());
        assert_eq!(
            code_only("echo a && terraform apply").len(),
            "echo a && terraform apply".len()
        );
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
            "atmos terraform deploy vpc -s plat-ue1-prod",
            "firebase deploy --only hosting",
            "flyctl deploy --remote-only",
            "vercel deploy --prod --token x",
            "netlify deploy --dir dist --prod",
            "npx wrangler deploy",
            "gh workflow run deploy.yml -f env=prod",
            "curl -X POST -H \"Authorization: Bearer $ARGOCD_TOKEN\" https://argocd.example.com/api/v1/applications/web/sync",
            "curl -fsS https://hooks.example.com/deploy -H 'Authorization: Bearer x'",
            "gsutil -m rsync -r site gs://docs.example.com",
            "argocd app sync web",
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
            "cdk diff",
            "kubectl diff -f k8s/",
            "gh workflow run lint.yml",
            "curl -H \"Authorization: Bearer $T\" https://api.example.com/status",
            "gsutil cp gs://bucket/a.txt .",
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
