//! `secrets-exposed`: the whole secrets context loaded into a job, secrets that bypass log
//! redaction, and secrets sent with curl or wget to an address built from inputs.

use crate::finding::{Location, Severity};
use crate::model::events::{attacker_controlled, scalars, step_env};
use crate::model::{Action, Step, Workflow, expr};
use crate::rules::{Cx, Rule, RuleMeta, StepHost};
use crate::source::{Node, Route};

pub struct SecretsExposed;

crate::rule_meta!(
    SecretsExposed,
    "secrets-exposed",
    Severity::High,
    "secrets exposed in bulk, unredacted, or sent to an address from inputs",
    r#"## What it does
Reports, anywhere in a workflow or composite action:
- `toJSON(secrets)`, which serialises every secret the job can see (high);
- `secrets[…]` with a computed key (`secrets[format('{0}_TOKEN', matrix.env)]`,
  `secrets[inputs.name]`), which makes every secret reachable from the key's source (high);
- `fromJSON(secrets.X)` and `fromJSON(secrets.X).field`, whose parts are not redacted in logs
  (medium);
- a `run:` line that sends a secret with `curl` or `wget` to a URL built from workflow
  inputs or attacker-controlled event text, directly or through `env:` (high).

**Differences from peers.** zizmor splits the first two into `overprovisioned-secrets` and the
third into `unredacted-secrets`; poutine calls the first two `job_all_secrets`. checkov's
`CKV_GHA_3` fails any `run:` line with both `curl` and `secret` in it; tollgate reports curl
only when the destination can be chosen by whoever triggers the workflow, since curl with a
token to a fixed API is how most workflows call APIs. The secret in `toJSON(secrets)` piped to
curl is reported as `toJSON(secrets)`.

## Why is this bad
GitHub gives a job only the secrets it names, and masks each one in the logs. `toJSON(secrets)`
and computed keys undo the first: one compromised step gets every repository and organisation
secret. A secret stored as JSON is masked only as a whole, so its fields print in clear text.
And a URL from an input lets whoever can dispatch the workflow send the token to their own
server.

## Example
```yaml
      - run: echo '${{ toJSON(secrets) }}' > secrets.json
      - run: curl -H "Authorization: Bearer ${{ secrets.API_TOKEN }}" "${{ inputs.endpoint }}"
```

## Use instead
Name each secret the step needs, store JSON fields as separate secrets, and fix the
destination in the workflow:
```yaml
      - run: curl -H "Authorization: Bearer $API_TOKEN" https://api.example.com/hooks
        env:
          API_TOKEN: ${{ secrets.API_TOKEN }}
```

## References
- https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions#using-secrets-in-a-workflow
- https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-secrets
- zizmor `overprovisioned-secrets`, `unredacted-secrets`: https://docs.zizmor.sh/audits/
"#
);

/// The case-folded inner expression with blanks removed, for shape matching.
fn squeeze(inner: &str) -> String {
    inner
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// What is wrong with one expression, if anything.
fn judge(inner: &str) -> Option<(Severity, &'static str)> {
    let s = squeeze(inner);
    if s.contains("tojson(secrets)") {
        return Some((
            Severity::High,
            "`toJSON(secrets)` loads every secret the job can see into the runner",
        ));
    }
    let mut rest = s.as_str();
    while let Some(at) = rest.find("secrets[") {
        let key = &rest[at + "secrets[".len()..];
        let key = key.split(']').next().unwrap_or(key);
        let literal = key.len() >= 2
            && key.starts_with('\'')
            && key.ends_with('\'')
            && !key[1..key.len() - 1].contains('\'');
        let preceded = rest[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !literal && !preceded {
            return Some((
                Severity::High,
                "`secrets[…]` with a computed key makes every secret reachable from that key",
            ));
        }
        rest = &rest[at + 1..];
    }
    if s.contains("fromjson(secrets.") || s.contains("fromjson(secrets[") {
        return Some((
            Severity::Medium,
            "`fromJSON` of a secret: its fields are not redacted in the logs",
        ));
    }
    None
}

/// Where a URL's text comes from: an input or attacker-controlled context, if so.
fn chosen_source(text: &str) -> Option<String> {
    expr::expressions(text)
        .into_iter()
        .flat_map(|e| expr::contexts(e.inner))
        .find(|c| {
            c.starts_with("inputs.")
                || c.starts_with("github.event.inputs.")
                || attacker_controlled(c)
        })
}

/// Whether a shell word reads `$NAME` or `${NAME}`.
fn reads_var(text: &str, name: &str) -> bool {
    text.contains(&format!("${{{name}}}"))
        || text.match_indices(&format!("${name}")).any(|(at, m)| {
            !text[at + m.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// The words of a shell line: a quoted string or an expression (`${{ inputs.url }}`) is kept
/// as one word, quotes included.
fn words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut in_expression = false;
    let mut quote: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let rest = &line[i..];
        if rest.starts_with("${{") {
            in_expression = true;
            start.get_or_insert(i);
            continue;
        }
        if in_expression {
            if rest.starts_with("}}") {
                in_expression = false;
                chars.next();
            }
            continue;
        }
        if c == '"' || c == '\'' {
            match quote {
                Some(q) if q == c => quote = None,
                None => quote = Some(c),
                Some(_) => {}
            }
        }
        let blank = c.is_whitespace() || matches!(c, '|' | ';' | '&');
        if blank && quote.is_none() {
            if let Some(s) = start.take() {
                out.push(&line[s..i]);
            }
        } else {
            start.get_or_insert(i);
        }
    }
    if let Some(s) = start {
        out.push(&line[s..]);
    }
    out
}

/// curl's and wget's options that take a value which is not the address.
const VALUE_OPTIONS: &[&str] = &[
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "--data-urlencode",
    "-H",
    "--header",
    "-F",
    "--form",
    "-u",
    "--user",
    "-o",
    "--output",
    "-O",
    "-X",
    "--request",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-b",
    "--cookie",
    "-T",
    "--upload-file",
    "--header=",
    "--post-data",
    "--body-data",
    "-w",
    "--write-out",
    "--oauth2-bearer",
];

/// The words of a curl or wget command that are addresses: after the tool, not options and
/// not the values of options.
fn addresses<'a>(words: &[&'a str]) -> Vec<&'a str> {
    let Some(tool) = words.iter().position(|w| *w == "curl" || *w == "wget") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut skip = false;
    for word in &words[tool + 1..] {
        if skip {
            skip = false;
            continue;
        }
        if word.starts_with('-') {
            skip = VALUE_OPTIONS.contains(word);
            continue;
        }
        if word.starts_with('>') || word.starts_with('<') {
            break;
        }
        out.push(*word);
    }
    out
}

/// A curl or wget line in `run` that sends a secret to a URL an input chooses.
fn curl_exfiltration(run: &str, env: &[(&str, &Node)]) -> Option<(String, String)> {
    let secret_var = |name: &&str, value: &&Node| {
        value
            .as_str()
            .is_some_and(|v| squeeze(v).contains("secrets."))
            && !name.is_empty()
    };
    let secret_vars: Vec<&str> = env
        .iter()
        .filter(|(n, v)| secret_var(n, v))
        .map(|(n, _)| *n)
        .collect();
    let chosen_vars: Vec<(&str, String)> = env
        .iter()
        .filter_map(|(n, v)| Some((*n, chosen_source(v.as_str()?)?)))
        .collect();
    for line in run.lines() {
        let words = words(line);
        if !words.first().is_some_and(|w| *w == "curl" || *w == "wget")
            && !words.iter().any(|w| *w == "curl" || *w == "wget")
        {
            continue;
        }
        let sends_secret =
            squeeze(line).contains("secrets.") || secret_vars.iter().any(|v| reads_var(line, v));
        if !sends_secret {
            continue;
        }
        for address in addresses(&words) {
            let source = chosen_source(address).or_else(|| {
                chosen_vars
                    .iter()
                    .find(|(v, _)| reads_var(address, v))
                    .map(|(_, s)| s.clone())
            });
            if let Some(source) = source {
                return Some((line.trim().to_string(), source));
            }
        }
    }
    None
}

fn check_node(cx: &mut Cx, node: &Node, route: Route) {
    for (route, text) in scalars(node, route) {
        if !text.contains("${{") {
            continue;
        }
        for expression in expr::expressions(text) {
            if let Some((severity, why)) = judge(expression.inner) {
                cx.report(
                    SecretsExposed::META
                        .finding(
                            why,
                            Location::fragment(route.clone(), expression.text)
                                .labelled("secrets exposed here"),
                        )
                        .severity(severity),
                );
            }
        }
    }
}

impl Rule for SecretsExposed {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_workflow(&self, cx: &mut Cx, workflow: &Workflow) {
        check_node(cx, workflow.root, Route::root());
        for job in workflow.jobs() {
            for step in job.steps() {
                self.check_step(cx, &StepHost::Job(workflow, &job), &step);
            }
        }
    }

    fn check_action(&self, cx: &mut Cx, action: &Action) {
        check_node(cx, action.root, Route::root());
        for step in action.steps() {
            self.check_step(cx, &StepHost::Action(action), &step);
        }
    }

    /// Only the curl check: expressions were read with the whole document.
    fn check_step(&self, cx: &mut Cx, host: &StepHost, step: &Step) {
        let Some(run) = step.run() else {
            return;
        };
        let job = match host {
            StepHost::Job(workflow, job) => Some((*workflow, *job)),
            StepHost::Action(_) => None,
        };
        let env = step_env(step, job);
        if let Some((line, source)) = curl_exfiltration(run, &env) {
            cx.report(SecretsExposed::META.finding(
                format!("a secret is sent with curl or wget to an address built from `{source}`, which whoever triggers the workflow chooses"),
                Location::fragment(step.route.key("run"), line).labelled("secret sent here"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(judge("toJSON(secrets)").is_some());
        assert!(judge("format('{0}', toJson( secrets ))").is_some());
        assert!(judge("toJSON(secrets.x)").is_none());
        assert!(judge("secrets['x']").is_none());
        assert!(judge("secrets[format('{0}', matrix.x)]").is_some());
        assert!(judge("secrets[inputs.name]").is_some());
        assert_eq!(
            judge("fromJson(secrets.x).field").map(|j| j.0),
            Some(Severity::Medium)
        );
        assert!(judge("fromJSON(steps.x.outputs.y)").is_none());
    }

    #[test]
    fn curl() {
        assert!(curl_exfiltration("curl -d ${{ secrets.T }} ${{ inputs.url }}", &[]).is_some());
        assert!(
            curl_exfiltration("curl -d ${{ secrets.T }} https://api.example.com", &[]).is_none()
        );
        assert!(curl_exfiltration("curl ${{ inputs.url }}", &[]).is_none());
        assert!(curl_exfiltration("echo \"a – b\" curl ${{ secrets.T }}", &[]).is_none());
        assert_eq!(
            words("curl -H \"a b\" ${{ inputs.u }}–x"),
            vec!["curl", "-H", "\"a b\"", "${{ inputs.u }}–x"]
        );
        assert!(
            curl_exfiltration(
                "curl -H \"X: ${{ secrets.T }}\" https://a.example -d \"${{ inputs.m }}\"",
                &[]
            )
            .is_none()
        );
    }
}
