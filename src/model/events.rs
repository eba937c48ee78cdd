//! What triggers, contexts and environments mean for a workflow's trust: which events a pull
//! request reaches, which run with the base repository's privileges, which publish releases,
//! which contexts an outsider writes, and what env a step sees.
//!
//! Shared by the workflow rules; the catalogues are data in `rules/workflow/`.

use super::expr;
use super::{Job, Step, Workflow};
use crate::source::{Node, NodeKind, Route};

/// Events a pull request (from a fork or a branch) can cause, directly or through a run it
/// triggers: jobs under them can run on behalf of whoever opened it.
pub const PR_REACHABLE: &[&str] = &[
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
    "issue_comment",
    "workflow_run",
];

/// Events that outsiders cause but that run with the base repository's secrets and a token
/// that can write.
pub const PRIVILEGED: &[&str] = &[
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "issues",
    "discussion",
    "discussion_comment",
];

/// The first of `events` that `workflow` is triggered by.
pub fn first_trigger<'w>(workflow: &Workflow<'w>, events: &[&'static str]) -> Option<&'static str> {
    let triggers = workflow.triggers();
    events.iter().copied().find(|e| triggers.contains(e))
}

/// The route to a trigger's key (or its item in a list form) under `on:`.
pub fn trigger_route(workflow: &Workflow, trigger: &str) -> Route {
    let on = Route::root().key("on");
    match workflow.root.get("on") {
        Some(node) if node.as_map().is_some() => on.key(trigger),
        Some(node) => match node.as_seq() {
            Some(items) => on.index(
                items
                    .iter()
                    .position(|n| n.as_str() == Some(trigger))
                    .unwrap_or(0),
            ),
            None => on,
        },
        None => on,
    }
}

/// Why a workflow is a release workflow: the trigger that publishes, and where it is.
pub struct ReleaseTrigger {
    pub why: String,
    pub route: Route,
}

/// Whether a workflow runs to cut a release: on `release`, on a tag push, on a push to a
/// release branch, or (when it also publishes) on `workflow_dispatch`.
pub fn release_trigger(workflow: &Workflow, publishes: bool) -> Option<ReleaseTrigger> {
    let on = workflow.root.get("on");
    if workflow.has_trigger("release") {
        return Some(ReleaseTrigger {
            why: "`release` events".into(),
            route: trigger_route(workflow, "release"),
        });
    }
    if let Some(push) = on.and_then(|on| on.get("push")) {
        if push.get("tags").is_some() {
            return Some(ReleaseTrigger {
                why: "tag pushes".into(),
                route: Route::root().key("on").key("push").key("tags"),
            });
        }
        let release_branch = pushes_release_branch(workflow);
        if release_branch {
            return Some(ReleaseTrigger {
                why: "pushes to release branches".into(),
                route: Route::root().key("on").key("push").key("branches"),
            });
        }
    }
    if publishes && workflow.has_trigger("workflow_dispatch") {
        return Some(ReleaseTrigger {
            why: "`workflow_dispatch`, and it publishes".into(),
            route: trigger_route(workflow, "workflow_dispatch"),
        });
    }
    None
}

/// Whether the workflow runs on pushes to branches named like release branches (`release`,
/// `release/*`, `releases/**`, `v[0-9]*`).
pub fn pushes_release_branch(workflow: &Workflow) -> bool {
    let Some(branches) = workflow
        .root
        .get("on")
        .and_then(|on| on.get("push"))
        .and_then(|push| push.get("branches"))
    else {
        return false;
    };
    branches.items().iter().filter_map(|b| b.as_str()).any(|b| {
        let b = b.to_ascii_lowercase();
        b.starts_with("release") || b.contains("/release") || b.starts_with("v[")
    })
}

/// Actions that publish a package, a release or an image.
const PUBLISH_ACTIONS: &[&str] = &[
    "pypa/gh-action-pypi-publish",
    "rubygems/release-gem",
    "jreleaser/release-action",
    "goreleaser/goreleaser-action",
    "softprops/action-gh-release",
    "ncipollo/release-action",
    "docker/build-push-action",
    "redhat-actions/push-to-registry",
    "js-devtools/npm-publish",
    "katyo/publish-crates",
];

/// Commands that publish a package, a release or an image.
const PUBLISH_COMMANDS: &[&str] = &[
    "npm publish",
    "pnpm publish",
    "yarn publish",
    "yarn npm publish",
    "cargo publish",
    "twine upload",
    "poetry publish",
    "uv publish",
    "flit publish",
    "gem push",
    "dotnet nuget push",
    "nuget push",
    "gh release create",
    "gh release upload",
    "docker push",
    "goreleaser release",
    "mvn deploy",
    "gradle publish",
    "./gradlew publish",
];

/// Whether a step publishes a package, a release or an image.
pub fn step_publishes(step: &Step) -> bool {
    if PUBLISH_ACTIONS.iter().any(|a| step.uses_action(a)) {
        if step.uses_action("docker/build-push-action") {
            return step.with("push").and_then(Node::as_str) == Some("true");
        }
        // `goreleaser --snapshot` / `--skip-publish` builds without releasing.
        let args = step.with("args").and_then(Node::as_str).unwrap_or("");
        return !["--snapshot", "--skip-publish", "--skip=publish"]
            .iter()
            .any(|flag| args.contains(flag));
    }
    step.run()
        .is_some_and(|run| PUBLISH_COMMANDS.iter().any(|c| run.contains(c)))
}

/// Whether any job of the workflow publishes.
pub fn workflow_publishes(workflow: &Workflow) -> bool {
    workflow
        .jobs()
        .iter()
        .any(|job| job.steps().iter().any(step_publishes))
}

/// Whether an outsider chooses the text of a normalised context path
/// (`github.event.issue.title`), by the `untrusted-contexts.txt` catalogue that
/// [`super::contexts`] reads; `github.event` and its direct fields count whole.
pub fn attacker_controlled(context: &str) -> bool {
    super::contexts::names_untrusted_field(context)
        || (context.starts_with("github.event") && context.split('.').count() <= 2)
}

/// The first attacker-controlled context expanded in `text`, if any.
pub fn attacker_text_in(text: &str) -> Option<String> {
    expr::expressions(text)
        .into_iter()
        .flat_map(|e| expr::contexts(e.inner))
        .find(|c| attacker_controlled(c))
}

/// Contexts that name a pull request's head (or a triggering run's) rather than the base.
const HEAD_CONTEXTS: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.head_ref",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.id",
    "github.event.pull_request.merge_commit_sha",
    "github.event.pull_request.number",
];

/// Whether a ref names the pull request's head: a head context or `refs/pull/…`.
pub fn names_pr_head(text: &str) -> bool {
    text.contains("refs/pull/")
        || text.contains("pull/${{")
        || expr::expressions(text).iter().any(|e| {
            expr::contexts(e.inner)
                .iter()
                .any(|c| HEAD_CONTEXTS.contains(&c.as_str()))
        })
}

/// The env a step sees, as `(name, value node)`, step over job over workflow (for a composite
/// action step, its own `env:` only). Names compare case-insensitively, as on the runner.
pub fn step_env<'a>(
    step: &Step<'a>,
    job: Option<(&Workflow<'a>, &Job<'a>)>,
) -> Vec<(&'a str, &'a Node)> {
    let mut blocks: Vec<&'a Node> = step.node.get("env").into_iter().collect();
    if let Some((workflow, job)) = job {
        blocks.extend(job.node.get("env"));
        blocks.extend(workflow.root.get("env"));
    }
    let mut env: Vec<(&'a str, &'a Node)> = Vec::new();
    for block in blocks {
        for (name, value) in block.entries() {
            if !env.iter().any(|(seen, _)| seen.eq_ignore_ascii_case(name)) {
                env.push((name, value));
            }
        }
    }
    env
}

/// Every scalar under `node` with its route, in document order (keys are not included).
pub fn scalars(node: &Node, route: Route) -> Vec<(Route, &str)> {
    let mut out = Vec::new();
    let mut stack = vec![(node, route)];
    while let Some((node, route)) = stack.pop() {
        match &node.kind {
            NodeKind::Scalar { value, .. } => out.push((route, value.as_str())),
            NodeKind::Seq(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, route.index(i)));
                }
            }
            NodeKind::Map(_) => {
                let entries: Vec<(&str, &Node)> = node.entries().collect();
                for (key, value) in entries.into_iter().rev() {
                    stack.push((value, route.key(key)));
                }
            }
        }
    }
    out
}

/// The values a `matrix.KEY` can take in a job: the key's list and every `include` entry's
/// value. `None` in the list stands for a combination that leaves the key unset.
pub fn matrix_values<'a>(job: &Job<'a>, key: &str) -> Vec<Option<&'a Node>> {
    let Some(matrix) = job.node.get("strategy").and_then(|s| s.get("matrix")) else {
        return Vec::new();
    };
    let mut values: Vec<Option<&'a Node>> = Vec::new();
    if let Some(list) = matrix.get(key) {
        values.extend(list.items().into_iter().map(Some));
    }
    if let Some(include) = matrix.get("include").and_then(Node::as_seq) {
        let from_list = matrix.get(key).is_some();
        for entry in include {
            match entry.get(key) {
                Some(value) => values.push(Some(value)),
                None if !from_list => values.push(None),
                None => {}
            }
        }
    }
    values
}

/// `matrix.KEY` when an expression is exactly one matrix value.
pub fn matrix_key(text: &str) -> Option<&str> {
    let found = expr::expressions(text);
    let [only] = found.as_slice() else {
        return None;
    };
    (only.text.len() == text.trim().len())
        .then(|| only.inner.strip_prefix("matrix."))
        .flatten()
        .filter(|k| {
            k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacker_contexts() {
        assert!(attacker_controlled("github.event.pull_request.title"));
        assert!(attacker_controlled("github.head_ref"));
        assert!(!attacker_controlled("github.event.pull_request.number"));
        assert!(!attacker_controlled("github.sha"));
        assert_eq!(
            attacker_text_in("x ${{ github.event.issue.body }}").as_deref(),
            Some("github.event.issue.body")
        );
    }

    #[test]
    fn heads_and_matrix_keys() {
        assert!(names_pr_head("${{ github.event.pull_request.head.sha }}"));
        assert!(!names_pr_head("main"));
        assert_eq!(matrix_key("${{ matrix.image }}"), Some("image"));
        assert_eq!(matrix_key("${{ matrix.image || '' }}"), None);
    }
}
