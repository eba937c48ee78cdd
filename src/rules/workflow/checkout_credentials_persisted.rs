//! `checkout-credentials-persisted`: `actions/checkout` leaves the token in `.git/config` in a
//! job that uploads the workspace or runs a pull request's code.

use crate::finding::{Location, Severity};
use crate::model::events::{PRIVILEGED, first_trigger, names_pr_head};
use crate::model::{Action, Job, Step, Workflow};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::Node;

pub struct CheckoutCredentialsPersisted;

crate::rule_meta!(
    CheckoutCredentialsPersisted,
    "checkout-credentials-persisted",
    Severity::Medium,
    "checkout token persisted in a job that uploads artifacts or runs untrusted code",
    r#"## What it does
Reports `actions/checkout` steps without `persist-credentials: false` when the same job (or
composite action) also
- uploads an artifact whose path takes in the checkout's `.git` directory (the workspace
  root, `.`, `*`, `${{ github.workspace }}`, `.git` or the checkout's own `path:`) with
  `actions/upload-artifact` v1–v3 or a SHA (which may be one of those), or any version with
  `include-hidden-files: true`: medium, high with `include-hidden-files: true`;
- checks out a pull request's head under a privileged trigger (`pull_request_target`,
  `workflow_run`, `issue_comment`, …) and then runs a script or a local action, so that the
  pull request's code runs next to the token: high.

An upload that excludes `.git` (`!.git`, `!./.git`) is fine.

**Differences from zizmor** (`artipacked`): zizmor reports every checkout that persists its
credentials, whatever the job does next; tollgate reports only the jobs where the token can
leave the runner (an uploaded artifact) or reach code that is not the repository's own.
`actions/upload-artifact@v4` and later skip hidden files unless told otherwise, so their
uploads are not reported.

## Why is this bad
`actions/checkout` writes the job's `GITHUB_TOKEN` (or the token it was given) into
`.git/config` unless `persist-credentials: false`. An artifact of the workspace then ships
that token to anyone who can download the artifact (for public repositories, everyone), and
a pull request's build script can read it from disk and push with it.

## Example
```yaml
      - uses: actions/checkout@v4
      - uses: actions/upload-artifact@v3
        with:
          path: .
```

## Use instead
```yaml
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - uses: actions/upload-artifact@v4
        with:
          path: dist/
```

## References
- https://unit42.paloaltonetworks.com/github-repo-artifacts-leak-tokens/
- https://github.com/actions/checkout#usage (`persist-credentials`)
- https://github.com/actions/upload-artifact/releases/tag/v4.4.0 (hidden files excluded)
- zizmor `artipacked`: https://docs.zizmor.sh/audits/#artipacked
"#
);

fn persists(step: &Step) -> bool {
    step.uses_action("actions/checkout")
        && !step
            .with("persist-credentials")
            .and_then(Node::as_str)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
}

/// Whether the upload-artifact version skips hidden files by default (v4 and later).
fn skips_hidden(uses: &str) -> bool {
    let Some((_, reference)) = uses.rsplit_once('@') else {
        return false;
    };
    reference
        .trim_start_matches(['v', 'V'])
        .split('.')
        .next()
        .and_then(|major| major.parse::<u32>().ok())
        .is_some_and(|major| (4..1000).contains(&major))
}

/// Why an upload step takes in the checkout's `.git`, with its severity.
fn uploads_git(step: &Step, checkout_path: Option<&str>) -> Option<Severity> {
    let uses = step.uses()?;
    if !step.uses_action("actions/upload-artifact") {
        return None;
    }
    let hidden = step.with("include-hidden-files").is_some_and(Node::is_true);
    if !hidden && skips_hidden(uses) {
        return None;
    }
    let path = step.with("path").and_then(Node::as_str)?;
    let lines: Vec<&str> = path
        .lines()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    // `!.git` (or `!./.git`, `!**/.git`) keeps the checkout's credentials out.
    let excludes_git = lines.iter().filter_map(|p| p.strip_prefix('!')).any(|p| {
        p.trim_start_matches("./")
            .trim_start_matches("**/")
            .starts_with(".git")
    });
    if excludes_git {
        return None;
    }
    let takes_git = lines
        .iter()
        .copied()
        .filter(|p| !p.starts_with('!'))
        .any(|p| {
            matches!(
                p,
                "." | "./"
                    | "*"
                    | "**"
                    | "./*"
                    | "**/*"
                    | "${{ github.workspace }}"
                    | "${{github.workspace}}"
            ) || p.starts_with(".git")
                || p.starts_with("./.git")
                || checkout_path.is_some_and(|c| p.trim_end_matches('/') == c.trim_end_matches('/'))
        });
    takes_git.then_some(if hidden {
        Severity::High
    } else {
        Severity::Medium
    })
}

fn check_steps(cx: &mut Cx, steps: &[Step], privileged: Option<&str>) {
    for (index, checkout) in steps.iter().enumerate() {
        if !persists(checkout) {
            continue;
        }
        let path = checkout.with("path").and_then(Node::as_str);
        // The head's code must also run: a later script or local action.
        let head = checkout
            .with("ref")
            .and_then(Node::as_str)
            .is_some_and(names_pr_head)
            && steps[index + 1..]
                .iter()
                .any(|s| s.run().is_some() || s.uses().is_some_and(|u| u.starts_with("./")));
        let location = Location::value(checkout.route.key("uses"))
            .labelled("persists the token in .git/config");
        if let (Some(trigger), true) = (privileged, head) {
            cx.report(
                CheckoutCredentialsPersisted::META
                    .finding(
                        format!("checks out the pull request's head under `{trigger}` and leaves the token in `.git/config`, where the pull request's code can read it; set `persist-credentials: false`"),
                        location,
                    )
                    .severity(Severity::High),
            );
            continue;
        }
        if let Some((upload, severity)) = steps[index + 1..]
            .iter()
            .find_map(|s| Some((s, uploads_git(s, path)?)))
        {
            cx.report(
                CheckoutCredentialsPersisted::META
                    .finding(
                        "the checkout leaves the token in `.git/config` and a later step uploads an artifact that includes it; set `persist-credentials: false`",
                        location,
                    )
                    .severity(severity)
                    .related(Location::value(upload.route.key("uses")).labelled("uploads the checkout's .git")),
            );
        }
    }
}

impl Rule for CheckoutCredentialsPersisted {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_job(&self, cx: &mut Cx, workflow: &Workflow, job: &Job) {
        check_steps(cx, &job.steps(), first_trigger(workflow, PRIVILEGED));
    }

    fn check_action(&self, cx: &mut Cx, action: &Action) {
        check_steps(cx, &action.steps(), None);
    }
}
