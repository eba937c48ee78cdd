//! `unpinned-image`: container images not pinned to a digest.

use crate::finding::{Location, Severity};
use crate::model::events::{matrix_key, matrix_values};
use crate::model::expr;
use crate::model::{Action, Job, Step, Workflow};
use crate::rules::{Cx, Rule, RuleMeta, StepHost};
use crate::source::{Node, Route};

pub struct UnpinnedImage;

crate::rule_meta!(
    UnpinnedImage,
    "unpinned-image",
    Severity::High,
    "container image not pinned to a digest",
    r#"## What it does
Reports container images that are not pinned to a digest (`@sha256:…`): a job's
`container:` (or `container.image`), each `services:` image, a Docker action's `runs.image`
in `action.yml`, and steps that `uses: docker://…`.

An image with no tag or the `latest` tag is high severity; a version tag is medium. An image
chosen by an expression is resolved through the job's matrix when it can be; otherwise it is
reported at medium, since what runs is decided at run time. Empty images (a service that a
matrix entry switches off) and images built from the repository (`runs.image: Dockerfile`)
are fine.

**Differences from zizmor** (`unpinned-images`): zizmor shows tag-pinned images only in its
pedantic and auditor personas; tollgate reports them at medium by default. `docker://` step
images were reported by `unpinned-action` before this rule and are now reported here only.
An image chosen through a matrix is reported once on its line, naming the least pinned value;
zizmor reports one finding per matrix expansion.

## Why is this bad
A tag is a pointer that whoever controls the registry repository can move. The job then runs
a different image, with the job's token, secrets and cloud credentials mounted in it. A
digest names exactly one image.

## Example
```yaml
jobs:
  test:
    runs-on: ubuntu-latest
    container:
      image: node:20
    services:
      redis:
        image: redis
```

## Use instead
```yaml
jobs:
  test:
    runs-on: ubuntu-latest
    container:
      image: node:20@sha256:2f3b7f7d6a1c8e0d4b9c5a6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809102
    services:
      redis:
        image: redis:7.4@sha256:7df1eeff67eb0ba84f6b9d2940765a6bb1158081426745c185a03b1507de6a09
```

## References
- https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#jobsjob_idcontainerimage
- https://docs.docker.com/reference/cli/docker/image/pull/#pull-an-image-by-digest-immutable-identifier
- zizmor `unpinned-images`: https://docs.zizmor.sh/audits/#unpinned-images
"#
);

/// What is wrong with one image reference, or `None` when it is pinned or empty.
fn judge(image: &str) -> Option<(Severity, String)> {
    let image = image.trim().trim_start_matches("docker://");
    if image.is_empty() || image.contains("@sha256:") {
        return None;
    }
    // The tag follows the last `:` after the last `/` (a registry may have a port).
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some((
            Severity::High,
            format!("`{image}` has no tag, so it is `latest`"),
        )),
        Some((_, "latest")) => Some((Severity::High, format!("`{image}` uses the `latest` tag"))),
        Some((_, tag)) => Some((
            Severity::Medium,
            format!("`{image}` is pinned to the mutable tag `{tag}`"),
        )),
    }
}

/// Judges an image value that may be an expression, resolving a `matrix.KEY` through `job`.
fn judge_value(text: &str, job: Option<&Job>) -> Option<(Severity, String)> {
    if !text.contains("${{") {
        return judge(text);
    }
    if let (Some(key), Some(job)) = (matrix_key(text), job) {
        let values = matrix_values(job, key);
        if !values.is_empty() {
            return values
                .into_iter()
                .flatten()
                .filter_map(|node| judge_value(node.as_str()?, None))
                .max_by_key(|(severity, _)| *severity)
                .map(|(severity, why)| (severity, format!("matrix value {why}")));
        }
    }
    // Literal alternatives in the expression (`cond && 'redis:7' || ''`) are judged as
    // images; when there are none, what runs is decided at run time.
    let literals: Vec<String> = expr::expressions(text)
        .iter()
        .flat_map(|e| string_literals(e.inner))
        .collect();
    if !literals.is_empty() {
        return literals
            .iter()
            .filter_map(|l| judge(l))
            .max_by_key(|(severity, _)| *severity);
    }
    Some((
        Severity::Medium,
        format!("`{}` is chosen at run time", text.trim()),
    ))
}

/// The `'…'` literals of an expression.
fn string_literals(inner: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = inner;
    while let Some(open) = rest.find('\'') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('\'') else {
            break;
        };
        out.push(after[..close].to_string());
        rest = &after[close + 1..];
    }
    out
}

fn report(cx: &mut Cx, what: &str, route: Route, verdict: (Severity, String)) {
    let (severity, why) = verdict;
    cx.report(
        UnpinnedImage::META
            .finding(
                format!("{what}: {why}, not pinned to a digest (`@sha256:…`)"),
                Location::value(route).labelled("pin this image to a digest"),
            )
            .severity(severity),
    );
}

/// An image under `node` (a string, or a mapping with `image:`).
fn image_of<'a>(node: &'a Node, route: &Route) -> Option<(&'a str, Route)> {
    match node.as_str() {
        Some(text) => Some((text, route.clone())),
        None => Some((node.get_str("image")?, route.key("image"))),
    }
}

impl Rule for UnpinnedImage {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_job(&self, cx: &mut Cx, workflow: &Workflow, job: &Job) {
        if let Some(container) = job.node.get("container")
            && let Some((image, route)) = image_of(container, &job.route.key("container"))
            && let Some(verdict) = judge_value(image, Some(job))
        {
            report(
                cx,
                &format!("job `{}` runs in a container", job.id),
                route,
                verdict,
            );
        }
        if let Some(services) = job.node.get("services") {
            for (name, service) in services.entries() {
                let base = job.route.key("services").key(name);
                if let Some((image, route)) = image_of(service, &base)
                    && let Some(verdict) = judge_value(image, Some(job))
                {
                    report(
                        cx,
                        &format!("service `{name}` of job `{}`", job.id),
                        route,
                        verdict,
                    );
                }
            }
        }
        for step in job.steps() {
            self.check_step(cx, &StepHost::Job(workflow, job), &step);
        }
    }

    fn check_action(&self, cx: &mut Cx, action: &Action) {
        let runs = Route::root().key("runs");
        let docker = action
            .root
            .at(&runs.key("using"))
            .and_then(Node::as_str)
            .is_some_and(|u| u.eq_ignore_ascii_case("docker"));
        if docker
            && let Some(image) = action.root.at(&runs.key("image")).and_then(Node::as_str)
            && image.trim().starts_with("docker://")
            && let Some(verdict) = judge_value(image, None)
        {
            report(cx, "the Docker action runs", runs.key("image"), verdict);
        }
        for step in action.steps() {
            self.check_step(cx, &StepHost::Action(action), &step);
        }
    }

    fn check_step(&self, cx: &mut Cx, _host: &StepHost, step: &Step) {
        if let Some(uses) = step.uses()
            && uses.trim().starts_with("docker://")
            && let Some(verdict) = judge_value(uses, None)
        {
            report(cx, "the step runs", step.route.key("uses"), verdict);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert_eq!(judge("redis").map(|v| v.0), Some(Severity::High));
        assert_eq!(judge("redis:latest").map(|v| v.0), Some(Severity::High));
        assert_eq!(
            judge("localhost:5000/redis").map(|v| v.0),
            Some(Severity::High)
        );
        assert_eq!(judge("redis:7.4").map(|v| v.0), Some(Severity::Medium));
        assert!(judge("redis@sha256:abc").is_none());
        assert!(judge("").is_none());
        assert!(judge_value("${{ cond && 'redis@sha256:1' || '' }}", None).is_none());
        assert_eq!(
            judge_value("${{ inputs.image }}", None).map(|v| v.0),
            Some(Severity::Medium)
        );
    }
}
