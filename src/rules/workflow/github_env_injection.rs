//! `github-env-injection`: attacker text written to `GITHUB_ENV`, `GITHUB_PATH` or
//! `GITHUB_OUTPUT` under a privileged trigger.

use crate::finding::{Location, Severity};
use crate::model::events::{PRIVILEGED, attacker_text_in, first_trigger, step_env};
use crate::model::{Step, expr};
use crate::rules::{Cx, Rule, RuleMeta, StepHost};

pub struct GithubEnvInjection;

crate::rule_meta!(
    GithubEnvInjection,
    "github-env-injection",
    Severity::High,
    "attacker text written to GITHUB_ENV, GITHUB_PATH or GITHUB_OUTPUT",
    r#"## What it does
Under a privileged trigger (`pull_request_target`, `workflow_run`, `issue_comment`, `issues`,
`discussion`, `discussion_comment`), reports `run:` lines that write attacker-controlled text
(a pull request title, a branch name, a comment, by the catalogue in
`rules/workflow/untrusted-contexts.txt`) to `$GITHUB_ENV` or `$GITHUB_PATH` (high) or
`$GITHUB_OUTPUT` (medium). The text may be expanded in place, come through the step's, job's
or workflow's `env:` (step over job over workflow), or through a shell variable assigned from
one of those earlier in the script. bash, pwsh (`$env:GITHUB_ENV`) and cmd (`%GITHUB_ENV%`)
forms are read. In a composite action, where the trigger is the caller's, the action's
`inputs.*` count as attacker text too and findings are medium.

**Differences from zizmor** (`github-env`): zizmor reports any write that is not wholly
static, and in composite actions whatever the caller; tollgate requires attacker text to
reach the write, so `echo "dir=$(pwd)" >> $GITHUB_ENV` is quiet.

## Why is this bad
`GITHUB_ENV` sets environment variables for every later step: `LD_PRELOAD`, `NODE_OPTIONS`,
`BASH_ENV` or a multi-line value with its own delimiter turn text into code execution.
`GITHUB_PATH` puts a directory first on the `PATH`. `GITHUB_OUTPUT` values flow into later
`${{ steps.<id>.outputs.* }}` expressions. Under a privileged trigger those later steps hold
the base repository's secrets and a write token.

## Example
```yaml
on: pull_request_target
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - run: echo "TITLE=${{ github.event.pull_request.title }}" >> "$GITHUB_ENV"
```

## Use instead
Pass the text to the steps that need it through `env:`, which never becomes code:
```yaml
      - run: ./scripts/label.sh
        env:
          TITLE: ${{ github.event.pull_request.title }}
```

## References
- https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/workflow-commands-for-github-actions#environment-files
- https://securitylab.github.com/resources/github-actions-untrusted-input/
- https://www.legitsecurity.com/blog/github-privilege-escalation-vulnerability
- zizmor `github-env`: https://docs.zizmor.sh/audits/#github-env
"#
);

const FILES: [(&str, Severity); 3] = [
    ("GITHUB_ENV", Severity::High),
    ("GITHUB_PATH", Severity::High),
    ("GITHUB_OUTPUT", Severity::Medium),
];

/// Whether `text` reads the shell (or pwsh, or cmd) variable `name`.
fn reads(text: &str, name: &str) -> bool {
    let bounded = |pattern: &str| {
        text.match_indices(pattern).any(|(at, m)| {
            !text[at + m.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    text.contains(&format!("${{{name}}}"))
        || bounded(&format!("${name}"))
        || bounded(&format!("$env:{name}"))
        || text.contains(&format!("%{name}%"))
}

/// Which environment file a line appends to, if any.
fn target(line: &str) -> Option<(&'static str, Severity)> {
    FILES.into_iter().find(|(file, _)| {
        let redirected = line.contains(">>")
            || line.contains("tee")
            || line.contains("Out-File")
            || line.contains("Add-Content");
        redirected && reads(line, file)
    })
}

/// `name=…` or `export name=…` at the start of a shell line.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line);
    let line = line.strip_prefix("local ").unwrap_or(line);
    let (name, value) = line.split_once('=')?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some((name, value))
}

impl Rule for GithubEnvInjection {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_step(&self, cx: &mut Cx, host: &StepHost, step: &Step) {
        let Some(run) = step.run() else {
            return;
        };
        let (job, trigger) = match host {
            StepHost::Job(workflow, job) => {
                let Some(trigger) = first_trigger(workflow, PRIVILEGED) else {
                    return;
                };
                (Some((*workflow, *job)), Some(trigger))
            }
            StepHost::Action(_) => (None, None),
        };
        let untrusted = |text: &str| -> Option<String> {
            attacker_text_in(text).or_else(|| {
                trigger.is_none().then(|| {
                    expr::expressions(text)
                        .into_iter()
                        .flat_map(|e| expr::contexts(e.inner))
                        .find(|c| c.starts_with("inputs."))
                })?
            })
        };
        // Shell variables carrying attacker text, and where it came from.
        let mut tainted: Vec<(String, String)> = step_env(step, job)
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_string(), untrusted(value.as_str()?)?)))
            .collect();
        for line in run.lines() {
            let direct = untrusted(line);
            let carried = || {
                tainted
                    .iter()
                    .find(|(name, _)| reads(line, name))
                    .map(|(name, origin)| format!("`${name}` (from `{origin}`)"))
            };
            if let Some((file, severity)) = target(line) {
                let Some(what) = direct.clone().map(|d| format!("`{d}`")).or_else(carried) else {
                    continue;
                };
                let (severity, under) = match trigger {
                    Some(t) => (severity, format!("under `{t}`")),
                    None => (
                        Severity::Medium,
                        "in a composite action, whose callers may be privileged".into(),
                    ),
                };
                cx.report(
                    Self::META
                        .finding(
                            format!("{what} is attacker-controlled and written to `{file}` {under}; later steps run with it"),
                            Location::key(step.route.key("run")).labelled("in this script"),
                        )
                        .severity(severity)
                        .related(Location::fragment(step.route.key("run"), line.trim()).labelled(format!("written to `{file}` here"))),
                );
                continue;
            }
            if let Some((name, value)) = assignment(line) {
                let origin = direct.or_else(|| {
                    tainted
                        .iter()
                        .find(|(n, _)| reads(value, n))
                        .map(|(_, origin)| origin.clone())
                });
                if let Some(origin) = origin {
                    tainted.push((name.to_string(), origin));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert!(target(r#"echo "a=$b" >> "$GITHUB_ENV""#).is_some());
        assert!(target("echo x >> $env:GITHUB_PATH").is_some());
        assert!(target("echo x >> %GITHUB_ENV%").is_some());
        assert!(target("echo $GITHUB_ENV").is_none());
        assert!(target(r#"echo "a" >> "$GITHUB_ENVX""#).is_none());
        assert_eq!(
            assignment("message=$(echo \"$TITLE\")"),
            Some(("message", "$(echo \"$TITLE\")"))
        );
        assert!(reads("echo ${TITLE}", "TITLE") && !reads("echo $TITLES", "TITLE"));
    }
}
