//! `tollgate paths`: every deploy path, workflow → job → environment → role → trust
//! condition, as text or as a Mermaid or Graphviz diagram, with broken links marked.

use crate::escape::visible;
use rayon::prelude::*;

use crate::engine::{self, CheckOptions, Prepared};
use crate::model::deploy::first_deploy_step;
use crate::model::environment::{BranchPolicy, DeclaredEnvironment};
use crate::model::federation::{self, ClaimTest, Lead};
use crate::model::repo::RepoContext;
use crate::model::roles;
use crate::model::terraform::value::{could_not_resolve, is_unresolved};
use crate::model::{Job, Workflow};
use crate::rules::deploy_path::deploy_path_bypass::{SUB, outside_environment, trusts_github};
use crate::source::discover;
use crate::source::{FileError, FileKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PathsFormat {
    Text,
    Mermaid,
    Dot,
    /// Versioned JSON (`docs/paths.schema.json`).
    Json,
}

/// The version of `paths --format json`; it changes when a field does.
pub const JSON_VERSION: u64 = 1;

/// One link of a path: what it is, and what is wrong with it, if anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub broken: Option<String>,
    /// What could not be resolved, when the link is neither known good nor known broken.
    pub unknown: Option<String>,
}

impl Link {
    fn ok(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            broken: None,
            unknown: None,
        }
    }

    fn broken(label: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            broken: Some(why.into()),
            unknown: None,
        }
    }

    /// A link that could not be followed: unknown is not safe, and not broken either.
    fn unknown(label: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            broken: None,
            unknown: Some(why.into()),
        }
    }
}

/// workflow → job → environment → role → trust, as far as the path can be followed.
#[derive(Clone, Debug)]
pub struct DeployPath {
    pub workflow: String,
    pub job: String,
    pub line: usize,
    /// The environment the job names, as written (`None` without one).
    pub environment: Option<String>,
    pub links: Vec<Link>,
}

impl DeployPath {
    pub fn is_broken(&self) -> bool {
        self.links.iter().any(|l| l.broken.is_some())
    }

    /// Whether a link could not be followed (and none is broken).
    pub fn is_unknown(&self) -> bool {
        !self.is_broken() && self.links.iter().any(|l| l.unknown.is_some())
    }
}

fn protection(env: &DeclaredEnvironment) -> String {
    let reviewers = match env.reviewers.len() {
        0 => "no reviewers".to_string(),
        1 => "1 reviewer".to_string(),
        n => format!("{n} reviewers"),
    };
    let branches = match &env.branch_policy {
        BranchPolicy::Any => "any branch".to_string(),
        BranchPolicy::ProtectedBranches => "protected branches".to_string(),
        BranchPolicy::Custom(patterns) if patterns.is_empty() => "custom branches".to_string(),
        BranchPolicy::Custom(patterns) => format!("branches {}", patterns.join(", ")),
    };
    format!(
        "{reviewers}, self-review {}, admins {}, {branches} ({})",
        if env.prevents_self_review() {
            "prevented"
        } else {
            "allowed"
        },
        if env.admins_can_bypass() {
            "can bypass"
        } else {
            "cannot bypass"
        },
        env.path
    )
}

fn environment_link(repo: &RepoContext, config: &crate::config::Config, name: &str) -> Link {
    let label = format!("environment {name}");
    let declared = repo.environment(name);
    let Some(env) = declared.first() else {
        return if config
            .declared_environments()
            .any(|r| r.pattern.eq_ignore_ascii_case(name))
        {
            Link::ok(format!("{label}: named in the policy"))
        } else {
            Link::broken(label, "declared nowhere")
        };
    };
    let summary = format!("{label}: {}", protection(env));
    let requirement = config.requirement_for(name);
    let weak = if env.reviewers.is_empty() {
        Some("no required reviewers")
    } else if requirement.as_ref().is_some_and(|r| r.prevent_self_review)
        && !env.prevents_self_review()
    {
        Some("self-review allowed")
    } else if env.branch_policy == BranchPolicy::Any {
        Some("any branch can deploy")
    } else {
        None
    };
    match weak {
        Some(why) if requirement.is_some() => Link::broken(summary, why),
        _ => Link::ok(summary),
    }
}

/// The links of a GCP or Azure login: the provider or application it reaches, the service
/// account binding passed on the way, and each alternative of the trust's condition.
fn federated_links(
    repo: &RepoContext,
    lead: Lead,
    environment: Option<&str>,
    links: &mut Vec<Link>,
) {
    let reached = match lead {
        Lead::RunTime(label) => {
            links.push(Link::broken(label, "chosen at run time"));
            return;
        }
        Lead::Missing(label, name) => {
            let mentioned = name
                .as_deref()
                .and_then(|name| repo.terraform.as_ref()?.mentions(name));
            links.push(match mentioned {
                Some(path) => Link::unknown(
                    label,
                    format!("named in {path}, but made by what tollgate cannot evaluate"),
                ),
                None => Link::broken(label, "not declared in the repository"),
            });
            return;
        }
        Lead::Unknown(why) => {
            links.push(Link::unknown("federated trust", why));
            return;
        }
        Lead::Found(reached) => reached,
    };
    for reached in reached {
        let trust = &reached.trust;
        links.push(Link::ok(format!("{} ({})", trust.title(), trust.file.path)));
        if let Some(via) = &reached.via {
            links.push(Link::ok(format!(
                "service account bound to {} ({})",
                via.member, via.file.path
            )));
        }
        if let Some(issuer) = trust.unresolved_issuer() {
            links.push(Link::unknown("trust issuer", could_not_resolve(issuer)));
            continue;
        }
        if !trust.has_condition {
            links.push(Link::broken("trust: any sub", "no condition"));
            continue;
        }
        for alternative in &reached.alternatives {
            let patterns = ClaimTest::subject_patterns(alternative, &trust.condition_route);
            let label = format!(
                "trust sub {}",
                patterns
                    .iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            );
            let Some(environment) = environment else {
                links.push(Link::broken(label, "job has no environment"));
                continue;
            };
            let reasons: Vec<Option<String>> = patterns
                .iter()
                .map(|p| outside_environment(&p.text, environment, p.wildcards))
                .collect();
            if reasons.iter().any(Option::is_none) {
                links.push(Link::ok(label));
            } else if let Some(test) = federation::unreadable(alternative) {
                links.push(Link::unknown(label, could_not_resolve(&test.claim)));
            } else {
                let why = reasons.into_iter().flatten().next().unwrap_or_default();
                links.push(Link::broken(label, format!("{why} can assume it")));
            }
        }
    }
}

fn role_and_trust_links(repo: &RepoContext, job: &Job, environment: Option<&str>) -> Vec<Link> {
    let mut links = Vec::new();
    for step in job.steps() {
        if let Some((_, _, lead)) = federation::login(repo, &step) {
            federated_links(repo, lead, environment, &mut links);
            continue;
        }
        if !step.uses_action("aws-actions/configure-aws-credentials") {
            continue;
        }
        let Some(arn) = step.with("role-to-assume").and_then(|n| n.as_str()) else {
            continue;
        };
        let Some(name) = roles::role_name_of(arn) else {
            links.push(Link::broken(format!("role {arn}"), "chosen at run time"));
            continue;
        };
        let declared = repo.roles_named(name);
        let Some(role) = declared.first() else {
            let maybe = repo.unresolved_role_names(name);
            let mentioned = repo.terraform.as_ref().and_then(|tree| tree.mentions(name));
            links.push(match (mentioned, maybe.first()) {
                (Some(path), _) => Link::unknown(
                    format!("role {name}"),
                    format!(
                        "named in {path}, but made by what tollgate cannot evaluate (a module missing from rules/terraform/oidc-modules.toml)"
                    ),
                ),
                (None, Some((pattern, path))) => Link::unknown(
                    format!("role {name}"),
                    format!(
                        "may be the role named `{pattern}` in {path}, {}",
                        could_not_resolve(pattern)
                    ),
                ),
                (None, None) => {
                    Link::broken(format!("role {name}"), "not declared in the repository")
                }
            });
            continue;
        };
        links.push(Link::ok(format!("role {name} ({})", role.file.path)));
        for statement in role.trust.statements.iter().filter(|s| trusts_github(s)) {
            let subs: Vec<&str> = statement
                .conditions
                .iter()
                .filter(|c| c.key.eq_ignore_ascii_case(SUB))
                .flat_map(|c| c.values.iter().map(|v| v.text))
                .collect();
            if subs.is_empty() {
                links.push(Link::broken("trust: any sub", "no sub condition"));
            }
            for sub in subs {
                let label = format!("trust sub {sub}");
                if is_unresolved(sub) {
                    links.push(Link::unknown(label, could_not_resolve(sub)));
                    continue;
                }
                let why =
                    environment.and_then(|env| outside_environment(sub, env, sub.contains('*')));
                links.push(match (environment, why) {
                    (None, _) => Link::broken(label, "job has no environment"),
                    (Some(_), Some(why)) => Link::broken(label, format!("{why} can assume it")),
                    (Some(_), None) => Link::ok(label),
                });
            }
        }
    }
    links
}

/// Every deploy path under the given paths, plus the files that could not be read; each
/// repository under the paths judged with its own config, as `check` does.
pub fn collect(options: &CheckOptions) -> (Vec<DeployPath>, Vec<FileError>) {
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    for run in engine::repositories(options) {
        let (found, failed) = collect_repository(&run);
        paths.extend(found);
        errors.extend(failed);
    }
    paths.sort_by(|a, b| (&a.workflow, a.line).cmp(&(&b.workflow, b.line)));
    (paths, errors)
}

fn collect_repository(options: &CheckOptions) -> (Vec<DeployPath>, Vec<FileError>) {
    let Prepared {
        config,
        mut errors,
        repo,
        late,
        ..
    } = engine::prepare(options);
    let results: Vec<Result<Vec<DeployPath>, FileError>> = late
        .par_iter()
        .map(|candidate| {
            let Some(file) = discover::load(candidate)? else {
                return Ok(Vec::new());
            };
            if file.kind != FileKind::Workflow {
                return Ok(Vec::new());
            }
            let Some(workflow) = Workflow::new(&file) else {
                return Ok(Vec::new());
            };
            let mut paths = Vec::new();
            for job in workflow.jobs() {
                if first_deploy_step(&job).is_none() {
                    continue;
                }
                let environment = job.environment();
                let mut links = vec![match environment {
                    Some(name) if name.contains("${{") => {
                        Link::broken(format!("environment {name}"), "chosen at run time")
                    }
                    Some(name) => environment_link(&repo, &config, name),
                    None => Link::broken("no environment", "nothing gates this deploy"),
                }];
                links.extend(role_and_trust_links(&repo, &job, environment));
                let line = workflow
                    .root
                    .key_span(&job.route)
                    .map_or(1, |span| file.position(span.start).line);
                paths.push(DeployPath {
                    workflow: file.path.clone(),
                    job: job.id.to_string(),
                    line,
                    environment: environment.map(str::to_string),
                    links,
                });
            }
            Ok(paths)
        })
        .collect();
    let mut paths = Vec::new();
    for result in results {
        match result {
            Ok(found) => paths.extend(found),
            Err(error) => errors.push(error),
        }
    }
    paths.sort_by(|a, b| (&a.workflow, a.line).cmp(&(&b.workflow, b.line)));
    (paths, errors)
}

pub fn render(paths: &[DeployPath], format: PathsFormat) -> String {
    match format {
        PathsFormat::Text => text(paths),
        PathsFormat::Mermaid => mermaid(paths),
        PathsFormat::Dot => dot(paths),
        PathsFormat::Json => json(paths),
    }
}

fn json(paths: &[DeployPath]) -> String {
    let entries: Vec<serde_json::Value> = paths
        .iter()
        .map(|path| {
            serde_json::json!({
                "workflow": path.workflow,
                "job": path.job,
                "line": path.line,
                "environment": path.environment,
                "broken": path.is_broken(),
                "unknown": path.is_unknown(),
                "links": path.links.iter().map(|link| serde_json::json!({
                    "label": link.label,
                    "broken": link.broken,
                    "unknown": link.unknown,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let report = serde_json::json!({
        "version": JSON_VERSION,
        "paths": entries,
        "summary": {
            "paths": paths.len(),
            "broken": paths.iter().filter(|p| p.is_broken()).count(),
            "unknown": paths.iter().filter(|p| p.is_unknown()).count(),
        },
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

fn text(paths: &[DeployPath]) -> String {
    let mut out = String::new();
    for path in paths {
        out.push_str(&format!(
            "{} › job {} (line {}){}\n",
            visible(&path.workflow),
            visible(&path.job),
            path.line,
            if path.is_broken() {
                "  [broken]"
            } else if path.is_unknown() {
                "  [unknown]"
            } else {
                ""
            }
        ));
        for link in &path.links {
            match (&link.broken, &link.unknown) {
                (Some(why), _) => {
                    out.push_str(&format!("  ✗ {}: {}\n", visible(&link.label), visible(why)))
                }
                (None, Some(why)) => {
                    out.push_str(&format!("  ? {}: {}\n", visible(&link.label), visible(why)))
                }
                (None, None) => out.push_str(&format!("  → {}\n", visible(&link.label))),
            }
        }
    }
    let broken = paths.iter().filter(|p| p.is_broken()).count();
    let unknown = paths.iter().filter(|p| p.is_unknown()).count();
    let unknown = if unknown > 0 {
        format!(", {unknown} unknown")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{} deploy path(s), {broken} broken{unknown}\n",
        paths.len()
    ));
    out
}

/// Text safe inside a quoted Mermaid label: control characters visible (a raw line break
/// would end the statement), and what Mermaid or the HTML it renders to reads as markup
/// (`"`, `<`, `>`, `&`, `#`, and a leading backtick, which starts a Markdown string) written
/// as a `#NNN;` entity code.
fn mermaid_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, c) in visible(text).chars().enumerate() {
        if matches!(c, '"' | '<' | '>' | '&' | '#') || (index == 0 && c == '`') {
            out.push_str(&format!("#{};", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

fn mermaid(paths: &[DeployPath]) -> String {
    let mut out = String::from("flowchart LR\n");
    let mut broken_nodes = Vec::new();
    let mut unknown_nodes = Vec::new();
    for (p, path) in paths.iter().enumerate() {
        let workflow = format!("w{p}");
        out.push_str(&format!(
            "  {workflow}[\"{}\"]\n",
            mermaid_label(&path.workflow)
        ));
        let job = format!("p{p}j");
        out.push_str(&format!(
            "  {job}[\"job {}\"]\n  {workflow} --> {job}\n",
            mermaid_label(&path.job)
        ));
        let mut previous = job;
        for (l, link) in path.links.iter().enumerate() {
            let node = format!("p{p}l{l}");
            let label = match (&link.broken, &link.unknown) {
                (Some(why), _) => format!(
                    "{}<br/>✗ {why}",
                    mermaid_label(&link.label),
                    why = mermaid_label(why)
                ),
                (None, Some(why)) => format!(
                    "{}<br/>? {why}",
                    mermaid_label(&link.label),
                    why = mermaid_label(why)
                ),
                (None, None) => mermaid_label(&link.label),
            };
            out.push_str(&format!("  {node}[\"{label}\"]\n"));
            // Broken: a dashed arrow; unknown: a dotted line with no head (not known to lead on).
            let arrow = match (&link.broken, &link.unknown) {
                (Some(_), _) => "-.->",
                (None, Some(_)) => "-.-",
                (None, None) => "-->",
            };
            out.push_str(&format!("  {previous} {arrow} {node}\n"));
            if link.broken.is_some() {
                broken_nodes.push(node.clone());
            } else if link.unknown.is_some() {
                unknown_nodes.push(node.clone());
            }
            previous = node;
        }
    }
    out.push_str("  classDef broken stroke:#d00,stroke-width:2px,color:#d00\n");
    if !broken_nodes.is_empty() {
        out.push_str(&format!("  class {} broken\n", broken_nodes.join(",")));
    }
    if !unknown_nodes.is_empty() {
        out.push_str(
            "  classDef unknown stroke:#b60,stroke-width:2px,stroke-dasharray:4 3,color:#b60\n",
        );
        out.push_str(&format!("  class {} unknown\n", unknown_nodes.join(",")));
    }
    out
}

/// Text safe inside a quoted DOT string.
fn dot_label(text: &str) -> String {
    visible(text).replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot(paths: &[DeployPath]) -> String {
    let mut out = String::from(
        "digraph deploy_paths {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
    );
    for (p, path) in paths.iter().enumerate() {
        out.push_str(&format!(
            "  w{p} [label=\"{}\", shape=folder];\n",
            dot_label(&path.workflow)
        ));
        out.push_str(&format!(
            "  p{p}j [label=\"job {}\"];\n  w{p} -> p{p}j;\n",
            dot_label(&path.job)
        ));
        let mut previous = format!("p{p}j");
        for (l, link) in path.links.iter().enumerate() {
            let node = format!("p{p}l{l}");
            match (&link.broken, &link.unknown) {
                (Some(why), _) => {
                    out.push_str(&format!(
                        "  {node} [label=\"{}\\n✗ {}\", color=red, fontcolor=red];\n  {previous} -> {node} [color=red, style=dashed];\n",
                        dot_label(&link.label),
                        dot_label(why)
                    ));
                }
                (None, Some(why)) => {
                    out.push_str(&format!(
                        "  {node} [label=\"{}\\n? {}\", color=darkorange, fontcolor=darkorange, style=dashed];\n  {previous} -> {node} [color=darkorange, style=dotted, arrowhead=odot];\n",
                        dot_label(&link.label),
                        dot_label(why)
                    ));
                }
                (None, None) => {
                    out.push_str(&format!(
                        "  {node} [label=\"{}\"];\n  {previous} -> {node};\n",
                        dot_label(&link.label)
                    ));
                }
            }
            previous = node;
        }
    }
    out.push_str("}\n");
    out
}
