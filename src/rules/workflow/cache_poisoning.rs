//! `cache-poisoning`: a release or publish workflow restores a cache that other workflows,
//! including those an outsider triggers, can write.

use std::sync::LazyLock;

use crate::finding::{Location, Severity};
use crate::model::events::{
    pushes_release_branch, release_trigger, step_publishes, workflow_publishes,
};
use crate::model::{Step, Workflow};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::Node;

pub struct CachePoisoning;

crate::rule_meta!(
    CachePoisoning,
    "cache-poisoning",
    Severity::High,
    "release or publish workflow restores a poisonable cache",
    r#"## What it does
Reports steps that restore a GitHub Actions cache (`actions/cache`, `actions/cache/restore`,
and the setup actions whose caching is on, by the table in `rules/workflow/cache-actions.txt`)
in a workflow that cuts releases: one triggered by `release`, by tag pushes, by pushes to
release branches, or by `workflow_dispatch` when it publishes (`npm publish`,
`cargo publish`, `twine upload`, `gh release create`, `docker push`, a publishing action). A
job that publishes under any trigger counts too. High when the workflow publishes; medium
when it only runs on a release trigger and publishes nothing (CI that also runs on tags). A cache input set by an expression is taken
as on unless it plainly turns caching off for tags (`!startsWith(github.ref, 'refs/tags/')`).

**Differences from zizmor** (`cache-poisoning`): the same triggers and actions, but tollgate
reads defaults by the action's version (the ref, or the `# vX.Y` comment after a SHA):
`actions/setup-node` before v5 and `actions/setup-go` before v4 do not cache unless asked, and
`astral-sh/setup-uv` `auto` is off from v10; zizmor reports setup-node of any version. A
`docker/build-push-action` without `push: true` and `goreleaser --snapshot` do not publish.

## Why is this bad
Caches are shared by every workflow of the repository on the default branch, and any job
that holds the Actions runtime token can write an entry, whatever it declares. A workflow that
runs an outsider's code (`pull_request_target` with a checkout of the head, a poisoned
dependency in CI) can plant a cache entry under the key the release job will look up; the
release then builds and signs the attacker's files (the Ultralytics compromise of December
2024 went this way).

## Example
```yaml
on:
  push:
    tags: ["v*"]
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          cache: npm
      - run: npm ci && npm publish
```

## Use instead
Build releases from a clean state: no cache restore in release workflows.
```yaml
      - uses: actions/setup-node@v4
      - run: npm ci && npm publish
```

## References
- https://adnanthekhan.com/2024/05/06/the-monsters-in-your-build-cache-github-actions-cache-poisoning/
- https://blog.yossarian.net/2024/12/06/zizmor-ultralytics-injection
- https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/caching-dependencies-to-speed-up-workflows#restrictions-for-accessing-a-cache
- zizmor `cache-poisoning`: https://docs.zizmor.sh/audits/#cache-poisoning
"#
);

struct CacheAction {
    action: &'static str,
    input: &'static str,
    mode: &'static str,
    default_on: bool,
    /// Major versions the line holds for: `since..until`.
    since: u32,
    until: u32,
    needs: Option<&'static str>,
}

static CACHE_ACTIONS: LazyLock<Vec<CacheAction>> = LazyLock::new(|| {
    include_str!("../../../rules/workflow/cache-actions.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let fields: Vec<&'static str> = l.split_whitespace().collect();
            let [action, input, mode, default, conditions @ ..] = fields.as_slice() else {
                return None;
            };
            let mut entry = CacheAction {
                action,
                input,
                mode,
                default_on: *default == "on",
                since: 0,
                until: u32::MAX,
                needs: None,
            };
            for condition in conditions {
                match condition.split_once('=') {
                    Some(("since", n)) => entry.since = n.parse().ok()?,
                    Some(("until", n)) => entry.until = n.parse().ok()?,
                    Some(("needs", input)) => entry.needs = Some(input),
                    _ => return None,
                }
            }
            Some(entry)
        })
        .collect()
});

/// A value's truth as the action reads it: `Some(bool)` for a literal, `None` for an
/// expression whose value is decided at run time.
/// `tags_only`: every release run is a tag run, so a guard that turns caching off for tags
/// turns it off for releases.
fn truth(value: &str, string_input: bool, tags_only: bool) -> Option<bool> {
    let v = value.trim();
    if v.contains("${{") {
        let squeezed: String = v
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let tag_guard = squeezed.contains("!startswith(github.ref,'refs/tags/')")
            || squeezed.contains("github.ref_type!='tag'")
            || squeezed.contains("!(github.event_name=='push'&&github.ref_type=='tag')");
        if tag_guard {
            return (!tags_only).then_some(true).or(Some(false));
        }
        if squeezed == "${{false}}" {
            return Some(false);
        }
        return None;
    }
    let lower = v.to_ascii_lowercase();
    Some(match lower.as_str() {
        "true" | "yes" | "1" => true,
        "false" | "no" | "0" | "" => false,
        _ => string_input,
    })
}

/// The major version a step's action is used at: from its ref, or from the `# vX.Y` comment
/// that tools write after a SHA. `None` when neither says.
fn major_version(cx: &Cx, step: &Step) -> Option<u32> {
    let major = |text: &str| -> Option<u32> {
        let text = text.trim().trim_start_matches(['v', 'V']);
        text.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let reference = step.uses()?.rsplit_once('@')?.1;
    if reference.starts_with(['v', 'V'])
        || reference.starts_with(|c: char| c.is_ascii_digit()) && reference.len() < 40
    {
        return major(reference);
    }
    let node = step.node.get("uses")?;
    let line = cx.file.line_text(cx.file.position(node.span.start).line);
    let comment = line.split_once('#')?.1;
    comment.split_whitespace().find_map(|word| {
        word.trim_start_matches("tag=")
            .starts_with(['v', 'V'])
            .then(|| major(word.trim_start_matches("tag=")))
            .flatten()
    })
}

/// The cache-restoring action a step uses, when its caching is on.
fn restores(cx: &Cx, step: &Step, tags_only: bool) -> Option<&'static str> {
    let name = step.action_name()?;
    if name == "actions/cache/save" {
        return None;
    }
    let longest = CACHE_ACTIONS
        .iter()
        .filter(|c| step.uses_action(c.action))
        .map(|c| c.action.len())
        .max()?;
    let version = major_version(cx, step);
    let mut found = None;
    for entry in CACHE_ACTIONS
        .iter()
        .filter(|c| c.action.len() == longest && step.uses_action(c.action))
    {
        let holds = version.is_none_or(|v| entry.since <= v && v < entry.until)
            && entry.needs.is_none_or(|input| step.with(input).is_some());
        if !holds {
            continue;
        }
        let value = step
            .with(entry.input)
            .and_then(Node::as_str)
            .filter(|v| !v.trim().eq_ignore_ascii_case("auto"));
        let on = match (entry.mode, value) {
            ("always", _) => true,
            (_, None) => entry.default_on,
            ("opt-in", Some(v)) => truth(v, true, tags_only).unwrap_or(true),
            (_, Some(v)) => !truth(v, false, tags_only).unwrap_or(false),
        };
        if on {
            found = Some(entry.action);
        }
    }
    found
}

impl Rule for CachePoisoning {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_workflow(&self, cx: &mut Cx, workflow: &Workflow) {
        let publishes = workflow_publishes(workflow);
        let release = release_trigger(workflow, publishes);
        let tags_only = !pushes_release_branch(workflow);
        for job in workflow.jobs() {
            let steps = job.steps();
            let publisher = steps.iter().find(|s| step_publishes(s));
            let (why, related) = match (&release, publisher) {
                (Some(release), _) => (
                    format!("the workflow runs on {}", release.why),
                    Location::key(release.route.clone()).labelled("release trigger"),
                ),
                (None, Some(step)) => (
                    format!("job `{}` publishes", job.id),
                    Location::value(step.route.clone()).labelled("publishes here"),
                ),
                (None, None) => continue,
            };
            // A workflow that also runs on tags but publishes nothing (CI, lint) gains an
            // attacker little beyond the default-branch foothold the poisoning needed.
            let severity = if publishes || publisher.is_some() {
                Severity::High
            } else {
                Severity::Medium
            };
            for step in &steps {
                let Some(action) = restores(cx, step, tags_only) else {
                    continue;
                };
                cx.report(
                    Self::META
                        .finding(
                            format!("{why}, and `{action}` restores a cache that any workflow on the default branch, including ones outsiders trigger, can write"),
                            Location::value(step.route.key("uses")).labelled("restores a shared cache"),
                        )
                        .severity(severity)
                        .related(related.clone()),
                );
            }
        }
    }
}
