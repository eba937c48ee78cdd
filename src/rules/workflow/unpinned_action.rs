//! `unpinned-action`: `uses:` not pinned to a full commit SHA.

use crate::finding::{Location, Severity};
use crate::model::{Job, Step, Workflow};
use crate::rules::{Cx, Rule, RuleMeta, StepHost};
use crate::source::Route;

pub struct UnpinnedAction;

crate::rule_meta!(
    UnpinnedAction,
    "unpinned-action",
    Severity::High,
    "action or reusable workflow not pinned to a commit SHA",
    r#"## What it does
Reports `uses:` references to actions and reusable workflows that are not pinned to a full
40-character commit SHA. Local actions (`./…`) are fine; container images
(`docker://…`) are judged by `unpinned-image`. Owners or repositories listed in `allowed_unpinned_actions`
in `tollgate.yml` (the service catalog) may be pinned by tag.

A missing ref, a branch name (`main`, `master`) or an abbreviated SHA (`@9780b0c`) is high
severity; a version tag is medium.

## Why is this bad
Tags and branches are mutable. Whoever controls the action's repository (or steals its
maintainer's token, as in the `tj-actions/changed-files` compromise of March 2025) can move
the tag to new code, which then runs in your pipeline with your secrets and cloud roles.

## Example
```yaml
      - uses: aws-actions/configure-aws-credentials@v4
```

## Use instead
```yaml
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2
```

## References
- https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions
- https://www.cisa.gov/news-events/alerts/2025/03/18/supply-chain-compromise-third-party-tj-actionschanged-files-cve-2025-30066-and-reviewdogaction-setup-cve-2025-30154
- zizmor `unpinned-uses`: https://docs.zizmor.sh/audits/#unpinned-uses
"#
);

/// Why a `uses:` value is not pinned, or `None` when it is.
enum Unpinned {
    NoRef,
    Branch(String),
    ShortSha(String),
    Tag(String),
}

fn judge(uses: &str) -> Option<Unpinned> {
    let uses = uses.trim();
    // `$/…` names a workflow of the same repository (zizmor's self-repository syntax); either
    // way it is not a remote action, as no owner is called `$`, so there is no ref to pin.
    if uses.starts_with("./") || uses.starts_with(".\\") || uses.starts_with("$/") {
        return None;
    }
    // Container images are `unpinned-image`'s to judge.
    if uses.starts_with("docker://") {
        return None;
    }
    let Some((_, reference)) = uses.rsplit_once('@') else {
        return Some(Unpinned::NoRef);
    };
    let hex = reference.chars().all(|c| c.is_ascii_hexdigit());
    if reference.len() == 40 && hex {
        return None;
    }
    // GitHub stopped resolving abbreviated commit SHAs in `uses:` in February 2021, so such a
    // ref only works when a branch or tag has that name (actions/languageservices#260).
    // All-digit refs are left to the tag check.
    if hex && reference.len() >= 7 && !reference.chars().all(|c| c.is_ascii_digit()) {
        return Some(Unpinned::ShortSha(reference.to_string()));
    }
    let looks_like_version = reference
        .trim_start_matches(['v', 'V'])
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit());
    if looks_like_version {
        Some(Unpinned::Tag(reference.to_string()))
    } else {
        Some(Unpinned::Branch(reference.to_string()))
    }
}

fn check_uses(cx: &mut Cx, uses: &str, route: Route) {
    let Some(verdict) = judge(uses) else {
        return;
    };
    let name = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
    if cx.config.unpinned_allowed(&name) {
        return;
    }
    let (message, severity) = match verdict {
        Unpinned::NoRef => (
            format!("`{uses}` has no ref: it runs whatever the default branch holds"),
            Severity::High,
        ),
        Unpinned::Branch(branch) => (
            format!("`{name}` is pinned to the branch or ref `{branch}`, not to a commit SHA"),
            Severity::High,
        ),
        Unpinned::ShortSha(sha) => (
            format!(
                "`{name}` uses the abbreviated SHA `{sha}`, which GitHub resolves only as a branch or tag name; pin the full commit SHA"
            ),
            Severity::High,
        ),
        Unpinned::Tag(tag) => (
            format!("`{name}` is pinned to the mutable tag `{tag}`, not to a commit SHA"),
            Severity::Medium,
        ),
    };
    cx.report(
        UnpinnedAction::META
            .finding(
                message,
                Location::value(route).labelled("pin to a full commit SHA"),
            )
            .severity(severity),
    );
}

impl Rule for UnpinnedAction {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_job(&self, cx: &mut Cx, workflow: &Workflow, job: &Job) {
        if let Some(uses) = job.uses() {
            check_uses(cx, uses, job.route.key("uses"));
        }
        for step in job.steps() {
            self.check_step(cx, &StepHost::Job(workflow, job), &step);
        }
    }

    fn check_step(&self, cx: &mut Cx, _host: &StepHost, step: &Step) {
        if let Some(uses) = step.uses() {
            check_uses(cx, uses, step.route.key("uses"));
        }
    }
}
