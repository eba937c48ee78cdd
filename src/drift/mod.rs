//! `tollgate drift`: the live GitHub and AWS IAM settings against what the repository declares
//! (issue 6).
//!
//! The declared state comes from the same spine as `check`: `tollgate.yml` (environment
//! requirements, the OIDC subject, the action catalog), the declaration documents (settings,
//! Terraform, IAM JSON, CloudFormation) and the workflows' `environment:` keys. Each live
//! setting becomes a [`Control`] that is `compliant`, `drifted` or `unknown` — unknown always
//! with its reason, never silently compliant. Without a token, with `--offline` or without AWS
//! credentials the live checks step aside and say why ([`Skipped`]).

pub mod aws;
pub mod etag_cache;
pub mod fetch_error;
pub mod github;
pub mod graphql;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::engine::{self, CheckOptions};
use crate::finding::{self, Location};
use crate::model::Workflow;
use crate::model::repo::RepoContext;
use crate::source::{FileKind, Route, SourceFile, discover};

/// The version of the JSON report's field names.
pub const REPORT_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Compliant,
    Drifted,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Compliant => "compliant",
            Status::Drifted => "drifted",
            Status::Unknown => "unknown",
        }
    }
}

/// Where the declared setting is written: what a SARIF result and the report's link point at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Anchor {
    /// A whole line, for places known only by line (`tollgate.yml` entries).
    pub fn line(path: &str, line: usize) -> Self {
        Self {
            path: path.to_string(),
            line: line.max(1),
            column: 1,
            end_line: line.max(1),
            end_column: 1,
        }
    }

    /// The place a route names in a parsed file.
    pub fn at(file: &SourceFile, route: &Route) -> Self {
        let region = finding::region(
            file,
            finding::resolve_span(file, &Location::value(route.clone())),
        );
        Self {
            path: region.path,
            line: region.line,
            column: region.column,
            end_line: region.end_line,
            end_column: region.end_column,
        }
    }
}

/// One live setting judged against its declaration.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Control {
    /// The kind of control, one of [`CONTROLS`] (e.g. `environment-prevent-self-review`).
    pub control: String,
    /// What was read: `github:OWNER/REPO`, `github-org:ORG` or `aws:iam`.
    pub target: String,
    /// What within the target, e.g. ``environment `production` `` or ``role `deploy` ``.
    pub subject: String,
    pub status: Status,
    /// The declared (or required) state, in words.
    pub declared: String,
    /// The live state, in words; empty when it could not be read.
    pub live: String,
    /// Statement-by-statement or field-by-field differences, when drifted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<String>,
    /// Why the status is unknown, or a note on how it was judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_at: Option<Anchor>,
    /// Stable across runs: control, target and subject, never the line.
    pub fingerprint: String,
}

impl Control {
    pub fn new(control: &str, target: &str, subject: impl Into<String>) -> Self {
        let subject = subject.into();
        Self {
            fingerprint: fingerprint(control, target, &subject),
            control: control.to_string(),
            target: target.to_string(),
            subject,
            status: Status::Unknown,
            declared: String::new(),
            live: String::new(),
            diff: Vec::new(),
            reason: None,
            declared_at: None,
        }
    }

    pub fn declared(mut self, text: impl Into<String>) -> Self {
        self.declared = text.into();
        self
    }

    pub fn live(mut self, text: impl Into<String>) -> Self {
        self.live = bounded_to(text.into(), MAX_LIVE);
        self
    }

    pub fn at(mut self, anchor: Option<Anchor>) -> Self {
        self.declared_at = anchor;
        self
    }

    pub fn compliant(mut self) -> Self {
        self.status = Status::Compliant;
        self
    }

    pub fn drifted(mut self, diff: Vec<String>) -> Self {
        self.status = Status::Drifted;
        self.diff = diff.into_iter().map(bounded).collect();
        self
    }

    pub fn unknown(mut self, reason: impl Into<String>) -> Self {
        self.status = Status::Unknown;
        self.reason = Some(bounded(reason.into()));
        self
    }

    /// Compliant when `ok`, else drifted with `diff`.
    pub fn judged(self, ok: bool, diff: Vec<String>) -> Self {
        if ok {
            self.compliant()
        } else {
            self.drifted(diff)
        }
    }

    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.reason = Some(bounded(text.into()));
        self
    }
}

/// The longest reason a control carries: an API's answer can be megabytes, and a reason
/// quotes it.
pub const MAX_REASON: usize = 500;

/// `text` cut to [`MAX_REASON`] bytes on a character boundary, marked when cut.
pub fn bounded(text: String) -> String {
    bounded_to(text, MAX_REASON)
}

/// The longest live state a control carries (a list of thousands of secret names).
pub const MAX_LIVE: usize = 4_000;

fn bounded_to(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes cut)", &text[..end], text.len() - end)
}

/// A control's fingerprint, by the scheme of every report ([`finding::digest`]). The empty
/// last part keeps the fingerprints of earlier reports (each part was NUL-terminated).
fn fingerprint(control: &str, target: &str, subject: &str) -> String {
    finding::digest(&[control, target, subject, ""])
}

/// A live check that stepped aside, and why.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Skipped {
    pub target: String,
    pub reason: String,
}

/// A problem with the declared side (config, a file) or the arguments: exit code 2.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReportError {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
}

/// Everything one run found; the JSON form is this struct, and sharded runs merge by
/// concatenating `controls`, `skipped` and `errors`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DriftReport {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub controls: Vec<Control>,
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    #[serde(default)]
    pub errors: Vec<ReportError>,
    #[serde(default)]
    pub summary: Summary,
    /// GitHub requests this run sent (every attempt counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_requests: Option<u64>,
    /// The lowest `x-ratelimit-remaining` GitHub reported during the run: the budget left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_rate_remaining: Option<u64>,
    /// Of `github_requests`, the GraphQL queries (GitHub prices them from a separate budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_graphql_requests: Option<u64>,
    /// The GraphQL budget (points) GitHub said was left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_graphql_remaining: Option<u64>,
    /// Conditional requests answered `304 Not Modified` from `--cache`: not in
    /// `github_requests`, since GitHub does not count them against the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_not_modified: Option<u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub compliant: usize,
    pub drifted: usize,
    pub unknown: usize,
    /// Per control kind: compliant, drifted, unknown.
    pub by_control: BTreeMap<String, [usize; 3]>,
}

impl DriftReport {
    /// Sorts the controls and recomputes the summary; call after building or merging.
    pub fn finish(&mut self) {
        self.version = REPORT_VERSION;
        self.controls.sort_by(|a, b| {
            (&a.target, control_order(&a.control), &a.subject).cmp(&(
                &b.target,
                control_order(&b.control),
                &b.subject,
            ))
        });
        self.controls
            .dedup_by(|a, b| a.fingerprint == b.fingerprint);
        let mut summary = Summary::default();
        for control in &self.controls {
            let counts = summary
                .by_control
                .entry(control.control.clone())
                .or_insert([0; 3]);
            match control.status {
                Status::Compliant => {
                    summary.compliant += 1;
                    counts[0] += 1;
                }
                Status::Drifted => {
                    summary.drifted += 1;
                    counts[1] += 1;
                }
                Status::Unknown => {
                    summary.unknown += 1;
                    counts[2] += 1;
                }
            }
        }
        self.summary = summary;
    }

    /// That `reports` are shards 1 to `expect` of `expect`, each exactly once: a missing
    /// shard would leave its repositories out of the merged report without a word.
    pub fn check_shards(reports: &[DriftReport], expect: usize) -> Result<(), String> {
        let mut seen = vec![0usize; expect];
        for (i, report) in reports.iter().enumerate() {
            let Some(shard) = report.shard.as_deref() else {
                return Err(format!("report {} was not made with --shard", i + 1));
            };
            let parsed = Shard::parse(shard)?;
            if parsed.total != expect {
                return Err(format!(
                    "report {} is shard {shard}, not one of {expect}",
                    i + 1
                ));
            }
            seen[parsed.index - 1] += 1;
        }
        let missing: Vec<String> = (1..=expect)
            .filter(|k| seen[k - 1] == 0)
            .map(|k| format!("{k}/{expect}"))
            .collect();
        let repeated: Vec<String> = (1..=expect)
            .filter(|k| seen[k - 1] > 1)
            .map(|k| format!("{k}/{expect}"))
            .collect();
        match (missing.is_empty(), repeated.is_empty()) {
            (true, true) => Ok(()),
            _ => Err(format!(
                "shards missing: {}; shards given more than once: {}",
                list(&missing),
                list(&repeated)
            )),
        }
    }

    /// Several runs' reports (the shards of one organisation scan) as one.
    pub fn merge(reports: Vec<DriftReport>) -> DriftReport {
        let mut merged = DriftReport::default();
        for report in reports {
            if let Some(n) = report.github_requests {
                merged.github_requests = Some(merged.github_requests.unwrap_or(0) + n);
            }
            if let Some(left) = report.github_rate_remaining {
                merged.github_rate_remaining =
                    Some(merged.github_rate_remaining.map_or(left, |m| m.min(left)));
            }
            for (sum, n) in [
                (
                    &mut merged.github_graphql_requests,
                    report.github_graphql_requests,
                ),
                (&mut merged.github_not_modified, report.github_not_modified),
            ] {
                if let Some(n) = n {
                    *sum = Some(sum.unwrap_or(0) + n);
                }
            }
            if let Some(left) = report.github_graphql_remaining {
                merged.github_graphql_remaining = Some(
                    merged
                        .github_graphql_remaining
                        .map_or(left, |m| m.min(left)),
                );
            }
            merged.controls.extend(report.controls);
            for skipped in report.skipped {
                if !merged
                    .skipped
                    .iter()
                    .any(|s| s.target == skipped.target && s.reason == skipped.reason)
                {
                    merged.skipped.push(skipped);
                }
            }
            merged.errors.extend(report.errors);
        }
        merged.finish();
        merged
    }
}

/// Every control kind, in report order, with a title and what it checks.
pub const CONTROLS: &[(&str, &str, &str)] = &[
    (
        "environment-exists",
        "Environment exists",
        "every environment the repository declares or a workflow deploys to exists live",
    ),
    (
        "environment-reviewers",
        "Environment reviewers",
        "the live required reviewers include the declared ones, and enough of them",
    ),
    (
        "environment-prevent-self-review",
        "Self-review prevented",
        "the live environment stops the person who triggered a deployment from approving it",
    ),
    (
        "environment-admin-bypass",
        "Admins cannot bypass",
        "administrators cannot skip the live environment's protection rules",
    ),
    (
        "environment-branch-policy",
        "Deployment branches",
        "only the declared branches may deploy to the live environment",
    ),
    (
        "environment-wait-timer",
        "Wait timer",
        "the live wait timer is the declared one (at least the required minimum)",
    ),
    (
        "actions-secrets",
        "No standing credentials in secrets",
        "no repository, environment or organisation Actions secret is named like a long-lived cloud, Vault or cluster credential",
    ),
    (
        "workflow-token-permissions",
        "Default token permissions",
        "the default GITHUB_TOKEN is read-only and cannot approve pull requests",
    ),
    (
        "allowed-actions",
        "Allowed actions",
        "Actions may run only selected actions, within the declared catalog",
    ),
    (
        "oidc-subject-template",
        "OIDC subject template",
        "GitHub's OIDC `sub` template has the shape the declared `oidc_subject` and the trust policies rely on",
    ),
    (
        "default-branch-protection",
        "Default branch protection",
        "the default branch requires a reviewed pull request, by branch protection or a ruleset",
    ),
    (
        "role-exists",
        "Role exists",
        "every role declared in the repository exists in the account",
    ),
    (
        "role-trust-policy",
        "Role trust policy",
        "the live trust policy has the declared statements, compared statement by statement",
    ),
    (
        "role-max-session-duration",
        "Role session duration",
        "the live MaxSessionDuration is the declared one",
    ),
    (
        "role-path",
        "Role path",
        "the live role path is the declared one (IAM's default `/` when none is written)",
    ),
    (
        "role-permissions-boundary",
        "Role permissions boundary",
        "the live permissions boundary is the declared one, and none is set that is not declared",
    ),
    (
        "role-inline-policies",
        "Role inline policies",
        "the live inline policies have the declared statements, and no others",
    ),
    (
        "role-attached-policies",
        "Role attached policies",
        "the live managed-policy attachments are the declared ones",
    ),
    (
        "role-oidc-trust-bounded",
        "GitHub OIDC trust bounded",
        "every live role that trusts GitHub's OIDC provider binds `sub` to one repository and context",
    ),
    (
        "user-access-keys",
        "No standing IAM user keys",
        "no IAM user used by CI has an active access key",
    ),
    (
        "break-glass-use",
        "Break-glass role use",
        "each `break_glass` role of tollgate.yml: its live session length is within `max_ttl`, and its last use (IAM's RoleLastUsed) is listed for review",
    ),
];

fn control_order(id: &str) -> usize {
    CONTROLS
        .iter()
        .position(|(c, _, _)| *c == id)
        .unwrap_or(CONTROLS.len())
}

pub fn control_title(id: &str) -> &'static str {
    CONTROLS
        .iter()
        .find(|(c, _, _)| *c == id)
        .map_or("Other", |(_, title, _)| title)
}

pub fn control_summary(id: &str) -> &'static str {
    CONTROLS
        .iter()
        .find(|(c, _, _)| *c == id)
        .map_or("", |(_, _, summary)| summary)
}

/// `--shard K/N`: this run takes the K-th of N slices of an organisation's repositories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub total: usize,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("--shard `{text}` must be K/N, e.g. 1/4"))?;
        let index: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("--shard `{text}`: K must be a number"))?;
        let total: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard `{text}`: N must be a number"))?;
        if total == 0 || index == 0 || index > total {
            return Err(format!("--shard `{text}`: need 1 <= K <= N"));
        }
        Ok(Self { index, total })
    }

    /// Whether this shard takes `name`: a stable hash of the name, so a repository stays in
    /// its shard when others are added or archived.
    pub fn takes(&self, name: &str) -> bool {
        let digest = Sha256::digest(name.to_ascii_lowercase().as_bytes());
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        (u64::from_be_bytes(bytes) % self.total as u64) as usize == self.index - 1
    }

    /// Organisation-wide controls are read once, by the first shard.
    pub fn is_first(&self) -> bool {
        self.index == 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

/// What `tollgate drift` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct DriftOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    /// `OWNER/REPO` names.
    pub github: Vec<String>,
    pub github_org: Option<String>,
    pub github_api_url: Option<String>,
    /// Token from `GITHUB_TOKEN` or `GH_TOKEN`.
    pub github_token: Option<String>,
    pub aws: bool,
    pub offline: bool,
    pub shard: Option<Shard>,
    /// Longest wait honoured for `Retry-After` or a rate-limit reset, in seconds.
    pub max_wait: u64,
    /// Concurrent requests to GitHub.
    pub concurrency: usize,
    /// Longest time, in seconds, one request (connect, answer and whole body) may take.
    pub request_timeout: u64,
    /// Where GitHub answers are kept with their ETags for conditional requests next run.
    pub cache: Option<PathBuf>,
}

/// A workflow job's `environment:`, with where it is written.
#[derive(Clone, Debug)]
pub struct DeployedEnvironment {
    pub name: String,
    pub anchor: Anchor,
    pub job: String,
}

/// The declared side, read once from the repository.
pub struct Declared {
    /// The scan root: declared paths are relative to it.
    pub root: PathBuf,
    pub config: Config,
    pub repo: RepoContext,
    pub deployed: Vec<DeployedEnvironment>,
    pub errors: Vec<ReportError>,
}

impl Declared {
    pub fn read(options: &CheckOptions) -> Self {
        // Drift compares every declared role and policy with the live side, so every
        // declaration document is held, not only those the check rules read across files.
        let prepared = engine::prepare(&CheckOptions {
            keep_all_declarations: true,
            ..options.clone()
        });
        let mut errors: Vec<ReportError> = prepared
            .errors
            .iter()
            .map(|e| ReportError {
                path: e.path.clone(),
                line: e.line,
                message: e.message.clone(),
            })
            .collect();
        let mut deployed = Vec::new();
        for candidate in &prepared.late {
            match discover::load(candidate) {
                Ok(Some(file)) if file.kind == FileKind::Workflow => {
                    let Some(workflow) = Workflow::new(&file) else {
                        continue;
                    };
                    for job in workflow.jobs() {
                        if let Some(name) = job.environment()
                            && !name.contains("${{")
                        {
                            deployed.push(DeployedEnvironment {
                                name: name.to_string(),
                                anchor: Anchor::at(&file, &job.route.key("environment")),
                                job: job.id.to_string(),
                            });
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(ReportError {
                    path: e.path,
                    line: e.line,
                    message: e.message,
                }),
            }
        }
        deployed.sort_by(|a, b| (&a.name, &a.anchor.path).cmp(&(&b.name, &b.anchor.path)));
        Self {
            root: prepared.root,
            config: prepared.config,
            repo: prepared.repo,
            deployed,
            errors,
        }
    }

    /// Where the config says something, or the config file itself.
    pub fn config_anchor(&self, line: Option<usize>) -> Option<Anchor> {
        let path = self.config.source.as_deref()?;
        Some(Anchor::line(path, line.unwrap_or(1)))
    }

    /// The line of a top-level key in the config, when it is written there.
    pub fn config_key_anchor(&self, key: &str) -> Option<Anchor> {
        let path = self.config.source.as_deref()?;
        let text = std::fs::read_to_string(self.root.join(path)).unwrap_or_default();
        let line = text
            .lines()
            .position(|l| l.starts_with(&format!("{key}:")))
            .map(|i| i + 1);
        self.config_anchor(line)
    }
}

/// Runs every live check asked for and returns the report.
pub fn run(options: &DriftOptions) -> DriftReport {
    let declared = Declared::read(&CheckOptions {
        paths: options.paths.clone(),
        config: options.config.clone(),
        ..CheckOptions::default()
    });
    let mut report = DriftReport {
        shard: options.shard.map(|s| s.to_string()),
        errors: declared.errors.clone(),
        ..DriftReport::default()
    };
    let wants_github = !options.github.is_empty() || options.github_org.is_some();
    if !wants_github && !options.aws {
        report.skipped.push(Skipped {
            target: "drift".into(),
            reason: "nothing to compare: pass --github OWNER/REPO, --github-org ORG or --aws"
                .into(),
        });
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            report.errors.push(ReportError {
                path: "tollgate".into(),
                line: None,
                message: format!("cannot start the async runtime: {e}"),
            });
            report.finish();
            return report;
        }
    };
    if wants_github {
        let targets = github_targets(options);
        if options.offline {
            for target in targets {
                report.skipped.push(Skipped {
                    target,
                    reason: "skipped: --offline".into(),
                });
            }
        } else if options.github_token.is_none() {
            for target in targets {
                report.skipped.push(Skipped {
                    target,
                    reason: "skipped: no GitHub token (set GITHUB_TOKEN or GH_TOKEN)".into(),
                });
            }
        } else {
            let scanned = runtime.block_on(github::scan(options, &declared));
            report.controls.extend(scanned.controls);
            report.skipped.extend(scanned.skipped);
            report
                .errors
                .extend(scanned.errors.into_iter().map(|message| ReportError {
                    path: "github".into(),
                    line: None,
                    message,
                }));
            report.github_requests = Some(scanned.requests);
            report.github_rate_remaining = scanned.remaining;
            report.github_graphql_requests = Some(scanned.graphql_requests);
            report.github_graphql_remaining = scanned.graphql_remaining;
            report.github_not_modified = Some(scanned.not_modified);
        }
    }
    if options.aws {
        if options.offline {
            report.skipped.push(Skipped {
                target: "aws:iam".into(),
                reason: "skipped: --offline".into(),
            });
        } else {
            let (controls, skipped) = runtime.block_on(aws::scan(&declared));
            report.controls.extend(controls);
            report.skipped.extend(skipped);
        }
    }
    report.finish();
    report
}

fn github_targets(options: &DriftOptions) -> Vec<String> {
    let mut targets: Vec<String> = options
        .github
        .iter()
        .map(|r| format!("github:{r}"))
        .collect();
    if let Some(org) = &options.github_org {
        targets.push(format!("github-org:{org}"));
    }
    targets
}

/// Words for a list: `a, b and c`, or `none`.
pub fn list(items: &[String]) -> String {
    match items {
        [] => "none".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_fingerprints_are_those_of_earlier_reports() {
        // SHA-256 of "environment-reviewers\0github:acme/app\0environment `production`\0",
        // the scheme before the fingerprint was shared with `check`.
        assert_eq!(
            fingerprint(
                "environment-reviewers",
                "github:acme/app",
                "environment `production`"
            ),
            "38b764b364d3f0e6"
        );
    }

    #[test]
    fn shards_split_every_name_exactly_once() {
        let shards: Vec<Shard> = (1..=3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for i in 0..50 {
            let name = format!("acme/repo-{i}");
            assert_eq!(shards.iter().filter(|s| s.takes(&name)).count(), 1);
        }
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("x").is_err());
    }

    #[test]
    fn merged_reports_recount() {
        let a = DriftReport {
            controls: vec![
                Control::new("actions-secrets", "github:a/b", "repository secrets").compliant(),
            ],
            ..DriftReport::default()
        };
        let b = DriftReport {
            controls: vec![
                Control::new("actions-secrets", "github:a/c", "repository secrets")
                    .drifted(vec!["x".into()]),
            ],
            ..DriftReport::default()
        };
        let merged = DriftReport::merge(vec![a, b]);
        assert_eq!(merged.summary.compliant, 1);
        assert_eq!(merged.summary.drifted, 1);
        assert_eq!(merged.summary.by_control["actions-secrets"], [1, 1, 0]);
    }
}
