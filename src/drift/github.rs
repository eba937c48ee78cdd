//! The live GitHub side of drift: environments, Actions secrets, token defaults, allowed
//! actions, the OIDC subject template and default-branch protection.
//!
//! octocrab carries the requests (base URI, auth); the payloads are decoded into the tolerant
//! types below, because octocrab's models reject real answers (branch protection without
//! `strict`, the organisation OIDC template without `use_default`, rulesets with `enabled`;
//! see `../shared/research/drift.md` §2). Every field is optional: a field GitHub does not
//! return makes its control `unknown`, never compliant.

use std::time::Duration;

use futures_util::future::join_all;
use octocrab::Octocrab;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::fetch_error::{FetchError, github_message};
use super::{Anchor, Control, Declared, DeployedEnvironment, DriftOptions, Skipped, graphql, list};
use crate::config::EnvironmentRequirement;
use crate::model::environment::{
    BranchPolicy, BranchRequirement, DeclaredEnvironment, Protection, Reviewer as ModelReviewer,
    ReviewerKind, Shortfall, TAG_PREFIX, Verdict, judge_admin_bypass, judge_branches,
    judge_reviewers, judge_self_review, judge_wait_timer, missing_reviewers, same_branches,
};
use crate::rules::workflow::standing_credentials::credential_kind_of_secret;

// ---------------------------------------------------------------------------------------------
// Payloads, tolerant of missing and extra fields.

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EnvironmentList {
    pub total_count: Option<u64>,
    pub environments: Vec<LiveEnvironment>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct LiveEnvironment {
    pub name: String,
    pub protection_rules: Vec<ProtectionRule>,
    pub deployment_branch_policy: Option<BranchPolicySettings>,
    /// Not in GitHub's REST description; absent means unknown, not false.
    pub can_admins_bypass: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProtectionRule {
    #[serde(rename = "type")]
    pub kind: String,
    pub wait_timer: Option<u64>,
    pub prevent_self_review: Option<bool>,
    pub reviewers: Vec<ReviewerEntry>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewerEntry {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub reviewer: Option<Reviewer>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Reviewer {
    pub login: Option<String>,
    pub slug: Option<String>,
    pub name: Option<String>,
    pub id: Option<u64>,
}

impl Reviewer {
    /// How a person would name this reviewer: login or team slug.
    pub fn label(&self) -> String {
        self.login
            .clone()
            .or_else(|| self.slug.clone())
            .or_else(|| self.name.clone())
            .or_else(|| self.id.map(|i| i.to_string()))
            .unwrap_or_else(|| "?".into())
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct BranchPolicySettings {
    pub protected_branches: Option<bool>,
    pub custom_branch_policies: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BranchPolicyList {
    pub total_count: Option<u64>,
    pub branch_policies: Vec<BranchPolicyEntry>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct BranchPolicyEntry {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SecretList {
    pub total_count: Option<u64>,
    pub secrets: Vec<Secret>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Secret {
    pub name: String,
    pub updated_at: Option<String>,
    pub visibility: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionsPermissions {
    pub enabled: Option<bool>,
    pub enabled_repositories: Option<String>,
    pub allowed_actions: Option<String>,
    pub sha_pinning_required: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct WorkflowPermissions {
    pub default_workflow_permissions: Option<String>,
    pub can_approve_pull_request_reviews: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SelectedActions {
    pub github_owned_allowed: Option<bool>,
    pub verified_allowed: Option<bool>,
    pub patterns_allowed: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct OidcTemplate {
    pub use_default: Option<bool>,
    pub include_claim_keys: Option<Vec<String>>,
    pub use_immutable_subject: Option<bool>,
    pub sub_claim_prefix: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RepositoryInfo {
    pub name: Option<String>,
    pub full_name: Option<String>,
    pub default_branch: Option<String>,
    pub archived: Option<bool>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BranchProtection {
    pub required_pull_request_reviews: Option<PullRequestReviews>,
    pub allow_force_pushes: Option<Enabled>,
    pub enforce_admins: Option<Enabled>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PullRequestReviews {
    pub required_approving_review_count: Option<u64>,
    pub bypass_pull_request_allowances: Option<Allowances>,
}

/// Who may merge without the required reviews.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Allowances {
    pub users: Vec<Reviewer>,
    pub teams: Vec<Reviewer>,
    pub apps: Vec<Reviewer>,
}

/// One ruleset, read for its bypass actors (absent when the token may not see them).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Ruleset {
    pub bypass_actors: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Enabled {
    pub enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BranchRule {
    #[serde(rename = "type")]
    pub kind: String,
    pub ruleset_source: Option<String>,
    pub ruleset_source_type: Option<String>,
    pub ruleset_id: Option<u64>,
    pub parameters: Option<serde_json::Value>,
}

// ---------------------------------------------------------------------------------------------
// Fetching, with bounded concurrency and rate limits honoured.

/// The outcome of one GET.
#[derive(Debug)]
pub enum Fetch<T> {
    Ok(T),
    NotFound,
    /// Why it could not be read, by kind (401, 403, rate limit, network, payload …).
    Failed(FetchError),
}

impl<T> Fetch<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fetch<U> {
        match self {
            Fetch::Ok(v) => Fetch::Ok(f(v)),
            Fetch::NotFound => Fetch::NotFound,
            Fetch::Failed(e) => Fetch::Failed(e),
        }
    }

    /// The value, or why it is missing (a 404 is described with `what`).
    pub fn or_reason(self, route: &str) -> Result<T, String> {
        match self {
            Fetch::Ok(v) => Ok(v),
            Fetch::NotFound => Err(format!(
                "GET {route} answered 404 (not found, or the token cannot see it)"
            )),
            Fetch::Failed(e) => Err(e.to_string()),
        }
    }
}

pub struct Api {
    octo: Octocrab,
    permits: Semaphore,
    max_wait: Duration,
    timeout: Duration,
    /// Requests sent that count against the rate limit (each attempt counts; a `304 Not
    /// Modified` does not), for the report's budget line.
    pub requests: std::sync::atomic::AtomicU64,
    /// Of those, GraphQL queries.
    pub graphql_requests: std::sync::atomic::AtomicU64,
    /// Conditional GETs GitHub answered `304 Not Modified` from the `--cache`.
    pub not_modified: std::sync::atomic::AtomicU64,
    /// The lowest REST `x-ratelimit-remaining` GitHub sent (`u64::MAX` when it sent none).
    pub remaining: std::sync::atomic::AtomicU64,
    /// The lowest GraphQL `x-ratelimit-remaining` (GitHub keeps a separate GraphQL budget).
    pub graphql_remaining: std::sync::atomic::AtomicU64,
    cache: Option<super::etag_cache::EtagCache>,
    graphql_uri: String,
}

/// One request: a REST GET of a route, or a GraphQL query.
#[derive(Clone, Copy)]
enum Outgoing<'a> {
    Get(&'a str),
    Graphql(&'a serde_json::Value),
}

impl Outgoing<'_> {
    /// How the reasons name the request.
    fn describe(&self) -> String {
        match self {
            Outgoing::Get(route) => format!("GET {route}"),
            Outgoing::Graphql(_) => "POST /graphql".into(),
        }
    }
}

/// Pages read of one list before it is called truncated (and its control unknown).
pub const MAX_PAGES: u32 = 50;
/// Pages of an organisation's repository listing (100 a page) before the listing is called
/// truncated.
pub const MAX_ORG_PAGES: u32 = 1_000;
/// The largest answer read; a larger one is refused, not parsed.
pub const MAX_BODY: usize = 8 * 1024 * 1024;
const ATTEMPTS: u32 = 3;

/// One attempt's answer, or why there is none; `retry` says whether another try may help.
struct Attempt {
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

enum AttemptError {
    Retry(FetchError),
    Final(FetchError),
}

impl Api {
    pub fn new(options: &DriftOptions, token: &str) -> Result<Self, String> {
        let mut builder = Octocrab::builder()
            .personal_token(token.to_string())
            // Our own loop below honours Retry-After and the rate-limit headers with a cap.
            .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)));
        if let Some(url) = &options.github_api_url {
            builder = builder
                .base_uri(url.trim_end_matches('/'))
                .map_err(|e| format!("--github-api-url `{url}`: {e}"))?;
        }
        let octo = builder
            .build()
            .map_err(|e| format!("cannot build the GitHub client: {e}"))?;
        let cache = options
            .cache
            .as_deref()
            .map(|dir| super::etag_cache::EtagCache::open(dir, MAX_BODY))
            .transpose()?;
        Ok(Self {
            octo,
            permits: Semaphore::new(options.concurrency.max(1)),
            max_wait: Duration::from_secs(options.max_wait),
            timeout: Duration::from_secs(options.request_timeout.max(1)),
            requests: std::sync::atomic::AtomicU64::new(0),
            graphql_requests: std::sync::atomic::AtomicU64::new(0),
            not_modified: std::sync::atomic::AtomicU64::new(0),
            remaining: std::sync::atomic::AtomicU64::new(u64::MAX),
            graphql_remaining: std::sync::atomic::AtomicU64::new(u64::MAX),
            cache,
            graphql_uri: graphql_uri(options.github_api_url.as_deref()),
        })
    }

    /// One request, its whole body read within the size cap. A GET with a cached ETag asks
    /// `If-None-Match`, and a `304` is answered from the cache.
    async fn attempt(&self, send: Outgoing<'_>) -> Result<Attempt, AttemptError> {
        use http_body::Body as _;
        use std::sync::atomic::Ordering::Relaxed;
        self.requests.fetch_add(1, Relaxed);
        let what = send.describe();
        let cached = match send {
            Outgoing::Get(route) => self.cache.as_ref().and_then(|c| c.lookup(route)),
            Outgoing::Graphql(_) => None,
        };
        let response = match send {
            Outgoing::Get(route) => {
                let headers = cached
                    .as_ref()
                    .and_then(|c| http::HeaderValue::from_str(&c.etag).ok())
                    .map(|etag| {
                        let mut headers = http::HeaderMap::new();
                        headers.insert(http::header::IF_NONE_MATCH, etag);
                        headers
                    });
                self.octo._get_with_headers(route, headers).await
            }
            Outgoing::Graphql(body) => {
                self.graphql_requests.fetch_add(1, Relaxed);
                self.octo._post(self.graphql_uri.as_str(), Some(body)).await
            }
        }
        .map_err(|e| {
            AttemptError::Retry(FetchError::Network {
                what: what.clone(),
                detail: format!("failed: {e}"),
            })
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        if status == http::StatusCode::NOT_MODIFIED {
            // GitHub does not count a 304 against the rate limit.
            self.requests.fetch_sub(1, Relaxed);
            self.not_modified.fetch_add(1, Relaxed);
            return match cached {
                Some(cached) => Ok(Attempt {
                    status: http::StatusCode::OK,
                    headers,
                    body: cached.body,
                }),
                None => Err(AttemptError::Final(FetchError::Payload {
                    what,
                    detail: "answered 304 Not Modified, but no cached copy was asked about".into(),
                })),
            };
        }
        if let Some(left) = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            let graphql = matches!(send, Outgoing::Graphql(_))
                || headers
                    .get("x-ratelimit-resource")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|r| r.eq_ignore_ascii_case("graphql"));
            if graphql {
                self.graphql_remaining.fetch_min(left, Relaxed);
            } else {
                self.remaining.fetch_min(left, Relaxed);
            }
        }
        let declared_length = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared_length.is_some_and(|n| n > MAX_BODY as u64) {
            return Err(AttemptError::Final(FetchError::TooLarge {
                what,
                mib: MAX_BODY / (1024 * 1024),
            }));
        }
        let mut body = response.into_body();
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(frame) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
        {
            let frame = frame.map_err(|e| {
                AttemptError::Retry(FetchError::Network {
                    what: what.clone(),
                    detail: format!("broke off mid-answer ({e})"),
                })
            })?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > MAX_BODY {
                    return Err(AttemptError::Final(FetchError::TooLarge {
                        what,
                        mib: MAX_BODY / (1024 * 1024),
                    }));
                }
                bytes.extend_from_slice(&data);
            }
        }
        if let (Outgoing::Get(route), Some(cache)) = (send, &self.cache)
            && status.is_success()
            && let Some(etag) = headers
                .get(http::header::ETAG)
                .and_then(|v| v.to_str().ok())
        {
            cache.store(route, etag, &bytes);
        }
        Ok(Attempt {
            status,
            headers,
            body: bytes,
        })
    }

    /// GET a route as JSON. Each attempt holds a concurrency permit only while it is on the
    /// wire, never while it waits out a rate limit, and ends within the request timeout.
    pub async fn value(&self, route: &str) -> Fetch<serde_json::Value> {
        self.send(Outgoing::Get(route)).await
    }

    /// A GraphQL query (`{"query", "variables"}`), its answer as JSON: GraphQL's own `errors`
    /// are the caller's to read.
    pub async fn graphql(&self, body: &serde_json::Value) -> Fetch<serde_json::Value> {
        self.send(Outgoing::Graphql(body)).await
    }

    async fn send(&self, send: Outgoing<'_>) -> Fetch<serde_json::Value> {
        let what = send.describe();
        let mut last = FetchError::Network {
            what: what.clone(),
            detail: "was not sent".into(),
        };
        for attempt in 1..=ATTEMPTS {
            let outcome = {
                let Ok(_permit) = self.permits.acquire().await else {
                    return Fetch::Failed(FetchError::Network {
                        what,
                        detail: "was not sent: the request queue closed".into(),
                    });
                };
                tokio::time::timeout(self.timeout, self.attempt(send)).await
            };
            let answer = match outcome {
                Err(_) => {
                    return Fetch::Failed(FetchError::Timeout {
                        what,
                        seconds: self.timeout.as_secs(),
                    });
                }
                Ok(Err(AttemptError::Final(reason))) => return Fetch::Failed(reason),
                Ok(Err(AttemptError::Retry(reason))) => {
                    last = reason;
                    continue;
                }
                Ok(Ok(answer)) => answer,
            };
            let status = answer.status;
            let body = String::from_utf8_lossy(&answer.body);
            if status.is_success() {
                return match serde_json::from_str(&body) {
                    Ok(value) => Fetch::Ok(value),
                    Err(e) => Fetch::Failed(FetchError::Payload {
                        what,
                        detail: format!("the answer is not JSON ({e})"),
                    }),
                };
            }
            if status.as_u16() == 404 {
                return Fetch::NotFound;
            }
            let message = github_message(&body);
            if let Some(wait) = rate_limit_wait(status.as_u16(), &answer.headers, &message) {
                if wait > self.max_wait {
                    return Fetch::Failed(FetchError::RateLimitWaitTooLong {
                        what,
                        status: status.as_u16(),
                        wait: wait.as_secs(),
                        max_wait: self.max_wait.as_secs(),
                        message,
                    });
                }
                last = FetchError::RateLimited {
                    what: what.clone(),
                    status: status.as_u16(),
                    attempts: ATTEMPTS,
                    message,
                };
                if attempt < ATTEMPTS {
                    tokio::time::sleep(wait).await;
                }
                continue;
            }
            if status.is_server_error() {
                last = FetchError::Status {
                    what: what.clone(),
                    status: status.as_u16(),
                    message,
                };
                continue;
            }
            return Fetch::Failed(match status.as_u16() {
                401 => FetchError::Unauthorized { what, message },
                403 => FetchError::Forbidden { what, message },
                code => FetchError::Status {
                    what,
                    status: code,
                    message,
                },
            });
        }
        Fetch::Failed(last)
    }

    pub async fn get<T: DeserializeOwned>(&self, route: &str) -> Fetch<T> {
        match self.value(route).await {
            Fetch::Ok(value) => match serde_json::from_value(value) {
                Ok(v) => Fetch::Ok(v),
                Err(e) => Fetch::Failed(FetchError::Payload {
                    what: format!("GET {route}"),
                    detail: format!("unexpected payload ({e})"),
                }),
            },
            Fetch::NotFound => Fetch::NotFound,
            Fetch::Failed(e) => Fetch::Failed(e),
        }
    }

    /// A list GitHub wraps as `{total_count, KEY: [...]}` or returns bare, page by page, at
    /// most [`MAX_PAGES`] pages. A list that is not a list, that ends short of its
    /// `total_count`, or that is still going at the cap is a failure with its reason, never
    /// a shorter list.
    pub async fn pages<T: DeserializeOwned>(
        &self,
        route: &str,
        key: Option<&str>,
    ) -> Fetch<Vec<T>> {
        self.pages_capped(route, key, MAX_PAGES).await
    }

    pub async fn pages_capped<T: DeserializeOwned>(
        &self,
        route: &str,
        key: Option<&str>,
        max_pages: u32,
    ) -> Fetch<Vec<T>> {
        let mut items: Vec<T> = Vec::new();
        let separator = if route.contains('?') { '&' } else { '?' };
        for page in 1..=max_pages {
            let paged = format!("{route}{separator}per_page=100&page={page}");
            let value = match self.value(&paged).await {
                Fetch::Ok(value) => value,
                Fetch::NotFound => return Fetch::NotFound,
                // Name the list, not the page, in the reason.
                Fetch::Failed(e) => return Fetch::Failed(e.renamed(&paged, route)),
            };
            let total = value.get("total_count").and_then(serde_json::Value::as_u64);
            let list = match key {
                Some(key) => match value.get(key) {
                    Some(list) => list.clone(),
                    // `{"total_count": 0}` alone is an empty list; anything else is not a list.
                    None if total == Some(0) => serde_json::Value::Array(Vec::new()),
                    None => {
                        return Fetch::Failed(FetchError::Payload {
                            what: format!("GET {route}"),
                            detail: format!("unexpected payload (no `{key}` list)"),
                        });
                    }
                },
                None => value,
            };
            if !list.is_array() {
                return Fetch::Failed(FetchError::Payload {
                    what: format!("GET {route}"),
                    detail: format!(
                        "unexpected payload (not a list{})",
                        key.map(|k| format!(" under `{k}`")).unwrap_or_default()
                    ),
                });
            }
            let batch: Vec<T> = match serde_json::from_value(list) {
                Ok(batch) => batch,
                Err(e) => {
                    return Fetch::Failed(FetchError::Payload {
                        what: format!("GET {route}"),
                        detail: format!("unexpected payload ({e})"),
                    });
                }
            };
            let got = batch.len();
            items.extend(batch);
            let done = match total {
                Some(total) => items.len() as u64 >= total,
                None => got < 100,
            };
            if done || got == 0 {
                if let Some(total) = total
                    && (items.len() as u64) < total
                {
                    return Fetch::Failed(FetchError::Payload {
                        what: format!("GET {route}"),
                        detail: format!("GitHub counted {total} but listed {}", items.len()),
                    });
                }
                return Fetch::Ok(items);
            }
        }
        Fetch::Failed(FetchError::Truncated {
            what: format!("GET {route}"),
            pages: max_pages,
            items: items.len(),
        })
    }
}

/// `Retry-After`, or the primary limit's reset time when `x-ratelimit-remaining` is 0, for a
/// 403 or 429 (GitHub's two rate-limit answers).
fn rate_limit_wait(status: u16, headers: &http::HeaderMap, message: &str) -> Option<Duration> {
    if status != 403 && status != 429 {
        return None;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(seconds) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds));
    }
    if header("x-ratelimit-remaining") == Some("0") {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let reset = header("x-ratelimit-reset")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(now + 60);
        return Some(Duration::from_secs(reset.saturating_sub(now).max(1)));
    }
    // A 429, or a 403 whose message says it is a (secondary) rate limit, without headers:
    // GitHub's docs say to wait at least a minute.
    let says_rate_limit = message.to_ascii_lowercase().contains("rate limit");
    (status == 429 || says_rate_limit).then(|| Duration::from_secs(60))
}

fn segment(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// Where GraphQL answers: `/graphql` beside the REST root on github.com and stand-ins, and
/// `/api/graphql` for a GitHub Enterprise Server REST root of `/api/v3`.
fn graphql_uri(api_url: Option<&str>) -> String {
    match api_url.map(|u| u.trim_end_matches('/')) {
        Some(url) if url.ends_with("/api/v3") => {
            format!("{}/api/graphql", &url[..url.len() - "/api/v3".len()])
        }
        _ => "/graphql".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The scan.

/// What one GitHub scan found: controls, targets it stepped aside from, and targets it was
/// asked to read and could not (an organisation whose repositories cannot be listed).
#[derive(Default)]
pub struct Scanned {
    pub controls: Vec<Control>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<String>,
    /// Requests that count against the rate limit (REST and GraphQL).
    pub requests: u64,
    /// Of those, GraphQL queries.
    pub graphql_requests: u64,
    /// Conditional GETs answered `304 Not Modified` (free of the rate limit).
    pub not_modified: u64,
    /// The REST rate-limit budget GitHub said was left, when it said.
    pub remaining: Option<u64>,
    /// The GraphQL budget (points) GitHub said was left, when it said.
    pub graphql_remaining: Option<u64>,
}

/// The organisation's Actions settings, read once per run: each shard needs them, because a
/// repository cannot loosen a restriction its organisation sets.
struct OrgSettings {
    workflow: Result<WorkflowPermissions, String>,
    permissions: Result<ActionsPermissions, String>,
    selected: Option<Result<SelectedActions, String>>,
}

impl OrgSettings {
    async fn read(api: &Api, org: &str) -> Self {
        let base = format!("/orgs/{}", segment(org));
        let workflow_route = format!("{base}/actions/permissions/workflow");
        let permissions_route = format!("{base}/actions/permissions");
        let (workflow, permissions) = futures_util::join!(
            api.get::<WorkflowPermissions>(&workflow_route),
            api.get::<ActionsPermissions>(&permissions_route),
        );
        let permissions = permissions.or_reason(&permissions_route);
        let selected_route = format!("{base}/actions/permissions/selected-actions");
        let selected = match &permissions {
            Ok(p) if p.allowed_actions.as_deref() == Some("selected") => Some(
                api.get::<SelectedActions>(&selected_route)
                    .await
                    .or_reason(&selected_route),
            ),
            _ => None,
        };
        Self {
            workflow: workflow.or_reason(&workflow_route),
            permissions,
            selected,
        }
    }

    /// The default token every repository of the organisation gets, when the organisation
    /// fixes it: GitHub does not let a repository choose write permissions once its
    /// organisation restricts the default to read, nor let workflows approve pull requests
    /// once the organisation forbids it.
    fn fixed_workflow(&self) -> Option<WorkflowPermissions> {
        let w = self.workflow.as_ref().ok()?;
        (w.default_workflow_permissions.as_deref() == Some("read")
            && w.can_approve_pull_request_reviews == Some(false))
        .then(|| WorkflowPermissions {
            default_workflow_permissions: Some("read".into()),
            can_approve_pull_request_reviews: Some(false),
        })
    }

    /// The allowed actions every repository gets, when the organisation fixes them: with
    /// Actions disabled, local actions only, or selected actions set at the organisation,
    /// GitHub does not let a repository override the setting or the selection.
    fn fixed_actions(
        &self,
    ) -> Option<(ActionsPermissions, Option<Result<SelectedActions, String>>)> {
        let p = self.permissions.as_ref().ok()?;
        let fixed = p.enabled == Some(false)
            || p.enabled_repositories.as_deref() == Some("none")
            || matches!(p.allowed_actions.as_deref(), Some("local_only"))
            || (p.allowed_actions.as_deref() == Some("selected")
                && matches!(self.selected, Some(Ok(_))));
        if !fixed {
            return None;
        }
        Some((p.clone(), self.selected.clone()))
    }
}

/// Why a repository's setting was not read: its organisation fixes it.
const FIXED_BY_ORG: &str = "set by the organisation, which repositories of it cannot loosen; read from the organisation, not from the repository";

pub async fn scan(options: &DriftOptions, declared: &Declared) -> Scanned {
    let mut scanned = Scanned::default();
    let Some(token) = options.github_token.as_deref() else {
        return scanned;
    };
    let api = match Api::new(options, token) {
        Ok(api) => api,
        Err(reason) => {
            scanned.skipped = super::github_targets(options)
                .into_iter()
                .map(|target| Skipped {
                    target,
                    reason: reason.clone(),
                })
                .collect();
            return scanned;
        }
    };
    let mut controls = Vec::new();
    let mut org_template: Option<(String, Result<OidcTemplate, String>)> = None;
    let mut org_settings: Option<(String, OrgSettings)> = None;
    let repos: Vec<(String, bool)> = options.github.iter().map(|r| (r.clone(), true)).collect();
    let mut org_repos: Vec<(String, bool)> = Vec::new();
    if let Some(org) = &options.github_org {
        let route = format!("/orgs/{}/repos?type=all", segment(org));
        match api
            .pages_capped::<RepositoryInfo>(&route, None, MAX_ORG_PAGES)
            .await
        {
            Fetch::Ok(list) => {
                for repo in list {
                    if repo.archived == Some(true) || repo.disabled == Some(true) {
                        continue;
                    }
                    let Some(full) = repo
                        .full_name
                        .clone()
                        .or_else(|| repo.name.as_ref().map(|n| format!("{org}/{n}")))
                    else {
                        continue;
                    };
                    if options.shard.is_none_or(|s| s.takes(&full))
                        && !repos.iter().any(|(r, _)| r.eq_ignore_ascii_case(&full))
                    {
                        org_repos.push((full, false));
                    }
                }
            }
            other => {
                let reason = match other.or_reason(&route) {
                    Err(reason) => reason,
                    Ok(_) => String::new(),
                };
                scanned.errors.push(super::bounded(format!(
                    "github-org:{org}: cannot list the organisation's repositories, so none of them was compared: {reason}"
                )));
            }
        }
        let oidc_route = format!("/orgs/{}/actions/oidc/customization/sub", segment(org));
        let (template, settings) = futures_util::join!(
            api.get::<OidcTemplate>(&oidc_route),
            OrgSettings::read(&api, org),
        );
        let template = template.or_reason(&oidc_route);
        if options.shard.is_none_or(|s| s.is_first()) {
            controls.extend(org_controls(&api, org, declared, &template, &settings).await);
        }
        org_template = Some((org.clone(), template));
        org_settings = Some((org.clone(), settings));
    }
    let all: Vec<(String, bool)> = repos.into_iter().chain(org_repos).collect();
    let mut snapshots = snapshots(&api, &all).await;
    let scans = all.iter().map(|(repo, local)| {
        let in_org = |org: &String| {
            repo.split_once('/')
                .is_some_and(|(owner, _)| owner.eq_ignore_ascii_case(org))
        };
        // A repository template that defers to its organisation's is judged with the
        // organisation's, when this run read it.
        let inherited = org_template
            .as_ref()
            .and_then(|(org, template)| in_org(org).then_some(template));
        let settings = org_settings
            .as_ref()
            .and_then(|(org, settings)| in_org(org).then_some(settings));
        let snapshot = snapshots.remove(&repo.to_ascii_lowercase());
        repo_controls(
            &api,
            repo,
            *local,
            declared,
            RepoContextLive {
                org_template: inherited,
                org_settings: settings,
                snapshot,
            },
        )
    });
    for batch in join_all(scans).await {
        controls.extend(batch);
    }
    use std::sync::atomic::Ordering::Relaxed;
    let seen = |v: u64| Some(v).filter(|r| *r != u64::MAX);
    scanned.controls = controls;
    scanned.requests = api.requests.load(Relaxed);
    scanned.graphql_requests = api.graphql_requests.load(Relaxed);
    scanned.not_modified = api.not_modified.load(Relaxed);
    scanned.remaining = seen(api.remaining.load(Relaxed));
    scanned.graphql_remaining = seen(api.graphql_remaining.load(Relaxed));
    scanned
}

/// One GraphQL query per [`graphql::BATCH`] repositories, run together; a repository left
/// out of the map (GraphQL missing, refused or in error for it) is read over REST.
async fn snapshots(
    api: &Api,
    repos: &[(String, bool)],
) -> std::collections::HashMap<String, graphql::Snapshot> {
    let names: Vec<String> = repos
        .iter()
        .filter(|(r, _)| {
            r.split_once('/')
                .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty())
        })
        .map(|(r, _)| r.clone())
        .collect();
    let batches = names.chunks(graphql::BATCH).map(|batch| async move {
        let body = graphql::batch_query(batch);
        match api.graphql(&body).await {
            Fetch::Ok(answer) => batch
                .iter()
                .zip(graphql::parse_batch(&answer, batch))
                .filter_map(|(name, snapshot)| {
                    snapshot.ok().map(|s| (name.to_ascii_lowercase(), s))
                })
                .collect::<Vec<_>>(),
            Fetch::NotFound | Fetch::Failed(_) => Vec::new(),
        }
    });
    join_all(batches).await.into_iter().flatten().collect()
}

/// What a repository's scan may take from elsewhere than its own REST routes.
struct RepoContextLive<'a> {
    org_template: Option<&'a Result<OidcTemplate, String>>,
    org_settings: Option<&'a OrgSettings>,
    snapshot: Option<graphql::Snapshot>,
}

/// The controls of one repository. `local` says the scanned folder is this repository, so
/// its declared environments and workflows apply; otherwise only `tollgate.yml` does.
async fn repo_controls(
    api: &Api,
    full: &str,
    local: bool,
    declared: &Declared,
    context: RepoContextLive<'_>,
) -> Vec<Control> {
    let RepoContextLive {
        org_template,
        org_settings,
        snapshot,
    } = context;
    let target = format!("github:{full}");
    let Some((owner, name)) = full.split_once('/') else {
        return vec![
            Control::new("environment-exists", &target, "repository")
                .unknown(format!("`{full}` is not OWNER/REPO")),
        ];
    };
    let base = format!("/repos/{}/{}", segment(owner), segment(name));
    let environments_route = format!("{base}/environments");
    let secrets_route = format!("{base}/actions/secrets");
    let workflow_route = format!("{base}/actions/permissions/workflow");
    let permissions_route = format!("{base}/actions/permissions");
    let oidc_route = format!("{base}/actions/oidc/customization/sub");
    let fixed_workflow = org_settings.and_then(OrgSettings::fixed_workflow);
    let fixed_actions = org_settings.and_then(OrgSettings::fixed_actions);
    // GraphQL said there is no environment: the REST listing would be an empty page.
    let no_environments = snapshot.as_ref().and_then(|s| s.environments) == Some(0);
    let (environments, secrets, workflow, permissions, oidc) = futures_util::join!(
        async {
            if no_environments {
                Fetch::Ok(Vec::new())
            } else {
                api.pages::<LiveEnvironment>(&environments_route, Some("environments"))
                    .await
            }
        },
        api.pages::<Secret>(&secrets_route, Some("secrets")),
        async {
            match &fixed_workflow {
                Some(_) => None,
                None => Some(api.get::<WorkflowPermissions>(&workflow_route).await),
            }
        },
        async {
            match &fixed_actions {
                Some(_) => None,
                None => Some(api.get::<ActionsPermissions>(&permissions_route).await),
            }
        },
        api.get::<OidcTemplate>(&oidc_route),
    );
    let mut controls = Vec::new();

    // Environments.
    let environments = environments.or_reason(&environments_route);
    let names = environments_of_interest(declared, local, environments.as_ref().ok());
    let live_list: Vec<LiveEnvironment> = environments.clone().unwrap_or_default();
    let branch_fetches = names.iter().map(|env| {
        let live = live_list
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(env))
            .cloned();
        let route = format!(
            "{base}/environments/{}/deployment-branch-policies",
            segment(env)
        );
        async move {
            match live
                .as_ref()
                .and_then(|l| l.deployment_branch_policy.as_ref())
            {
                Some(settings) if settings.custom_branch_policies == Some(true) => Some(
                    api.pages::<BranchPolicyEntry>(&route, Some("branch_policies"))
                        .await
                        .or_reason(&route)
                        .map(|list| {
                            list.into_iter()
                                .map(|p| match p.kind.as_deref() {
                                    Some("tag") => format!("{TAG_PREFIX}{}", p.name),
                                    _ => p.name,
                                })
                                .collect::<Vec<_>>()
                        }),
                ),
                _ => None,
            }
        }
    });
    let branch_patterns = join_all(branch_fetches).await;
    for (env, patterns) in names.iter().zip(branch_patterns) {
        let live = environments
            .as_ref()
            .map(|list| list.iter().find(|l| l.name.eq_ignore_ascii_case(env)));
        controls.extend(environment_controls(
            &target,
            env,
            live.map_err(Clone::clone),
            patterns,
            declared,
            local,
        ));
    }

    // Secrets: the repository's and each live environment's.
    controls.push(secrets_control(
        &target,
        "repository secrets",
        secrets.or_reason(&secrets_route),
        declared,
    ));
    let env_secret_fetches = live_list.iter().map(|env| {
        let route = format!("{base}/environments/{}/secrets", segment(&env.name));
        async move {
            let fetched = api.pages::<Secret>(&route, Some("secrets")).await;
            (env.name.clone(), fetched.or_reason(&route))
        }
    });
    for (env, fetched) in join_all(env_secret_fetches).await {
        controls.push(secrets_control(
            &target,
            &format!("environment `{env}` secrets"),
            fetched,
            declared,
        ));
    }
    // An unreadable environments list leaves every environment unseen: say so, per control,
    // rather than judging none of them (G5).
    if let Err(reason) = &environments {
        controls.push(
            Control::new("environment-exists", &target, "environments")
                .declared("every environment is listed, so its protection can be judged")
                .unknown(format!(
                    "cannot list the environments, so their reviewers, branches, wait timers and secrets are unknown: {reason}"
                )),
        );
        controls.push(secrets_control(
            &target,
            "environment secrets",
            Err(format!("cannot list the environments: {reason}")),
            declared,
        ));
    }

    controls.push(match (workflow, fixed_workflow) {
        (Some(workflow), _) => workflow_permissions_control(
            &target,
            "repository",
            workflow.or_reason(&workflow_route),
            declared,
        ),
        (None, fixed) => {
            let fixed = fixed.ok_or_else(|| "the organisation's setting was not read".to_string());
            workflow_permissions_control(&target, "repository", fixed, declared).note(FIXED_BY_ORG)
        }
    });
    let selected_route = format!("{base}/actions/permissions/selected-actions");
    controls.push(match (permissions, fixed_actions) {
        (Some(permissions), _) => {
            let permissions = permissions.or_reason(&permissions_route);
            let selected = match &permissions {
                Ok(p) if p.allowed_actions.as_deref() == Some("selected") => Some(
                    api.get::<SelectedActions>(&selected_route)
                        .await
                        .or_reason(&selected_route),
                ),
                _ => None,
            };
            allowed_actions_control(&target, "repository", permissions, selected, declared)
        }
        (None, fixed) => {
            let (permissions, selected) = fixed.map_or_else(
                || {
                    (
                        Err("the organisation's setting was not read".to_string()),
                        None,
                    )
                },
                |(p, s)| (Ok(p), s),
            );
            allowed_actions_control(&target, "repository", permissions, selected, declared)
                .note(FIXED_BY_ORG)
        }
    });
    controls.push(oidc_control(
        &target,
        "repository",
        oidc.or_reason(&oidc_route),
        org_template,
        declared,
    ));

    // Default branch: classic protection or a ruleset's pull_request rule.
    let subject = "default branch";
    let default_branch = match &snapshot {
        Some(snapshot) => Ok(snapshot.default_branch.clone()),
        None => api
            .get::<RepositoryInfo>(&base)
            .await
            .or_reason(&base)
            .map(|info| info.default_branch),
    };
    let control = match default_branch {
        Err(reason) => Control::new("default-branch-protection", &target, subject)
            .unknown(format!("cannot tell the default branch: {reason}")),
        Ok(None) => Control::new("default-branch-protection", &target, subject)
            .unknown("GitHub did not return the repository's default_branch"),
        Ok(Some(branch)) => {
            let protection_route = format!("{base}/branches/{}/protection", segment(&branch));
            let rules_route = format!("{base}/rules/branches/{}", segment(&branch));
            let (protection, rules, ruleset) = match snapshot {
                Some(graphql::Snapshot {
                    protection,
                    rules: Some(rules),
                    ruleset,
                    ..
                }) => (protection, Ok(rules), ruleset),
                snapshot => {
                    let (protection, rules) = futures_util::join!(
                        async {
                            match snapshot {
                                Some(s) => s.protection,
                                None => api.get::<BranchProtection>(&protection_route).await,
                            }
                        },
                        api.pages::<BranchRule>(&rules_route, None),
                    );
                    let rules = rules.or_reason(&rules_route);
                    let ruleset = ruleset_of(api, &base, rules.as_ref().ok()).await;
                    (protection, rules, ruleset)
                }
            };
            branch_control(
                &target,
                &branch,
                protection,
                rules,
                ruleset,
                &protection_route,
                declared,
            )
        }
    };
    controls.push(control);
    controls
}

/// The bypass actors of the ruleset that requires the pull request, over REST.
async fn ruleset_of(
    api: &Api,
    base: &str,
    rules: Option<&Vec<BranchRule>>,
) -> Option<Result<Ruleset, String>> {
    let rule = rules?.iter().find(|r| r.kind == "pull_request")?;
    Some(match rule.ruleset_id {
        None => Err("the pull_request rule names no ruleset_id".to_string()),
        Some(id) => {
            let route = match (rule.ruleset_source_type.as_deref(), &rule.ruleset_source) {
                (Some("Organization"), Some(org)) => {
                    format!("/orgs/{}/rulesets/{id}", segment(org))
                }
                _ => format!("{base}/rulesets/{id}"),
            };
            api.get::<Ruleset>(&route).await.or_reason(&route)
        }
    })
}

async fn org_controls(
    api: &Api,
    org: &str,
    declared: &Declared,
    oidc: &Result<OidcTemplate, String>,
    settings: &OrgSettings,
) -> Vec<Control> {
    let target = format!("github-org:{org}");
    let base = format!("/orgs/{}", segment(org));
    let secrets_route = format!("{base}/actions/secrets");
    let secrets = api.pages::<Secret>(&secrets_route, Some("secrets")).await;
    vec![
        secrets_control(
            &target,
            "organisation secrets",
            secrets.or_reason(&secrets_route),
            declared,
        ),
        workflow_permissions_control(&target, "organisation", settings.workflow.clone(), declared),
        allowed_actions_control(
            &target,
            "organisation",
            settings.permissions.clone(),
            settings.selected.clone(),
            declared,
        ),
        oidc_control(&target, "organisation", oidc.clone(), None, declared),
    ]
}

/// Environments to judge: declared ones, deployed-to ones and policy-named ones (when this is
/// the scanned repository), and any live one a `tollgate.yml` requirement matches.
fn environments_of_interest(
    declared: &Declared,
    local: bool,
    live: Option<&Vec<LiveEnvironment>>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.to_string());
        }
    };
    if local {
        for env in &declared.repo.environments {
            add(&env.name);
        }
        for env in &declared.deployed {
            add(&env.name);
        }
        for requirement in declared.config.declared_environments() {
            add(&requirement.pattern);
        }
    }
    for env in live.into_iter().flatten() {
        if declared.config.requirement_for(&env.name).is_some() {
            add(&env.name);
        }
    }
    names.sort_by_key(|n| n.to_ascii_lowercase());
    names
}

fn declaration_anchor(
    declared: &Declared,
    env: &DeclaredEnvironment,
    route: Option<&crate::source::Route>,
) -> Option<Anchor> {
    let file = declared.repo.file(&env.path)?;
    Some(Anchor::at(file, route.unwrap_or(&env.route)))
}

fn requirement_anchor(declared: &Declared, requirement: &EnvironmentRequirement) -> Option<Anchor> {
    requirement
        .line
        .and_then(|line| declared.config_anchor(Some(line)))
}

fn requirement_words(requirement: &EnvironmentRequirement) -> String {
    if requirement.line.is_some() {
        format!("tollgate.yml `{}`", requirement.pattern)
    } else {
        "tollgate's production default".to_string()
    }
}

fn branch_words(policy: &BranchPolicy) -> String {
    match policy {
        BranchPolicy::Any => "any branch".into(),
        BranchPolicy::ProtectedBranches => "protected branches".into(),
        BranchPolicy::Custom(patterns) if patterns.is_empty() => {
            "no branch or tag (an empty custom list)".into()
        }
        BranchPolicy::Custom(patterns) => format!("branches matching {}", list(&quoted(patterns))),
    }
}

fn quoted(items: &[String]) -> Vec<String> {
    items.iter().map(|i| format!("`{i}`")).collect()
}

/// The environment controls: existence, reviewers, self-review, admin bypass, branches,
/// wait timer. `live` is `Err(reason)` when the environments could not be listed.
pub fn environment_controls(
    target: &str,
    name: &str,
    live: Result<Option<&LiveEnvironment>, String>,
    branch_patterns: Option<Result<Vec<String>, String>>,
    declared: &Declared,
    local: bool,
) -> Vec<Control> {
    let subject = format!("environment `{name}`");
    let decls: Vec<&DeclaredEnvironment> = if local {
        declared.repo.environment(name)
    } else {
        Vec::new()
    };
    let deployed: Vec<&DeployedEnvironment> = if local {
        declared
            .deployed
            .iter()
            .filter(|d| d.name.eq_ignore_ascii_case(name))
            .collect()
    } else {
        Vec::new()
    };
    let requirement = declared.config.requirement_for(name);
    let policy_named = local
        && declared
            .config
            .declared_environments()
            .any(|r| r.pattern.eq_ignore_ascii_case(name));
    let mut controls = Vec::new();

    // Where the environment is declared or used, for the existence control.
    let mut sources: Vec<String> = decls
        .iter()
        .map(|d| format!("declared in {} ({})", d.path, d.declared_in.name()))
        .collect();
    sources.extend(
        deployed
            .iter()
            .map(|d| format!("deployed to by job `{}` in {}", d.job, d.anchor.path)),
    );
    if policy_named {
        sources.push("named in tollgate.yml".into());
    }
    let exists_anchor = decls
        .first()
        .and_then(|d| declaration_anchor(declared, d, Some(&d.name_route)))
        .or_else(|| deployed.first().map(|d| d.anchor.clone()))
        .or_else(|| {
            requirement
                .as_ref()
                .and_then(|r| requirement_anchor(declared, r))
        });
    let wanted = !sources.is_empty();

    let live = match live {
        Err(reason) => {
            if wanted {
                controls.push(
                    Control::new("environment-exists", target, &subject)
                        .declared(list(&sources))
                        .at(exists_anchor)
                        .unknown(reason.clone()),
                );
            }
            if !decls.is_empty() || requirement.is_some() {
                for control in [
                    "environment-reviewers",
                    "environment-prevent-self-review",
                    "environment-admin-bypass",
                    "environment-branch-policy",
                    "environment-wait-timer",
                ] {
                    controls.push(Control::new(control, target, &subject).unknown(reason.clone()));
                }
            }
            return controls;
        }
        Ok(None) => {
            if wanted {
                controls.push(
                    Control::new("environment-exists", target, &subject)
                        .declared(list(&sources))
                        .live("no such environment")
                        .at(exists_anchor)
                        .drifted(vec![format!("environment `{name}` does not exist live")]),
                );
            }
            return controls;
        }
        Ok(Some(live)) => live,
    };
    if wanted {
        controls.push(
            Control::new("environment-exists", target, &subject)
                .declared(list(&sources))
                .live("exists")
                .at(exists_anchor)
                .compliant(),
        );
    }
    if decls.is_empty() && requirement.is_none() {
        return controls;
    }

    let protection = live_protection(live, branch_patterns);
    let demands = requirement.as_ref().map(EnvironmentRequirement::demands);
    let live_reviewer_words = match &protection.reviewers {
        Ok(r) if r.is_empty() => "no required reviewers".to_string(),
        Ok(r) => format!(
            "required reviewers {}",
            list(
                &r.iter()
                    .map(|r| match r.kind {
                        Some(kind) => format!("`{}` ({})", r.label(), kind.name()),
                        None => format!("`{}`", r.label()),
                    })
                    .collect::<Vec<_>>()
            )
        ),
        Err(_) => String::new(),
    };

    // Reviewers.
    {
        let mut judged = Judged::default();
        for decl in &decls {
            if decl.reviewers_route.is_some() {
                judged.words.push(format!(
                    "reviewers {} ({})",
                    list(&quoted(&decl.reviewers)),
                    decl.path
                ));
                judged.add(
                    || declaration_anchor(declared, decl, decl.reviewers_route.as_ref()),
                    match &protection.reviewers {
                        Err(reason) => Verdict::Unknown(reason.clone()),
                        Ok(live) => {
                            let wanted = decl.declared_reviewers();
                            let missing = missing_reviewers(&wanted, live);
                            if missing.is_empty() {
                                Verdict::Met
                            } else {
                                differences(
                                missing
                                    .iter()
                                    .map(|r| {
                                        format!(
                                            "reviewer `{}` ({}) is not a live required reviewer",
                                            r.label(),
                                            decl.path
                                        )
                                    })
                                    .collect(),
                            )
                            }
                        }
                    },
                );
            }
        }
        if let (Some(req), Some(demands)) = (&requirement, &demands) {
            if req.min_reviewers > 0 {
                judged.words.push(format!(
                    "at least {} reviewer{} ({})",
                    req.min_reviewers,
                    if req.min_reviewers == 1 { "" } else { "s" },
                    requirement_words(req)
                ));
            } else {
                judged
                    .words
                    .push(format!("required reviewers ({})", requirement_words(req)));
            }
            if !req.required_reviewers.is_empty() {
                judged.words.push(format!(
                    "reviewers including {} ({})",
                    list(&quoted(&req.required_reviewers)),
                    requirement_words(req)
                ));
            }
            judged.add(
                || requirement_anchor(declared, req),
                judge_reviewers(&protection.reviewers, demands),
            );
        }
        controls.extend(judged.control(
            "environment-reviewers",
            target,
            &subject,
            live_reviewer_words,
            name,
        ));
    }

    // Self-review.
    {
        let mut judged = Judged::default();
        for decl in &decls {
            if let Some(field) = &decl.prevent_self_review {
                judged.words.push(format!(
                    "prevent_self_review = {} ({})",
                    field.value, decl.path
                ));
                judged.add(
                    || declaration_anchor(declared, decl, Some(&field.route)),
                    match &protection.prevent_self_review {
                        Err(reason) => Verdict::Unknown(reason.clone()),
                        Ok(live) if *live == field.value => Verdict::Met,
                        Ok(live) => differences(vec![format!(
                            "declared prevent_self_review = {} ({}), live = {live}",
                            field.value, decl.path
                        )]),
                    },
                );
            }
        }
        if let Some((req, demands)) = requirement
            .as_ref()
            .zip(demands.as_ref())
            .filter(|(r, _)| r.prevent_self_review)
        {
            judged.words.push(format!(
                "self-review prevented ({})",
                requirement_words(req)
            ));
            judged.add(
                || requirement_anchor(declared, req),
                judge_self_review(&protection, demands),
            );
        }
        let live_words = match (&protection.reviewers, &protection.prevent_self_review) {
            (Ok(r), _) if r.is_empty() => "no required reviewers, so nothing prevents self-review",
            (_, Ok(true)) => "self-review prevented",
            (_, Ok(false)) => "self-review allowed (prevent_self_review = false)",
            _ => "",
        };
        controls.extend(judged.control(
            "environment-prevent-self-review",
            target,
            &subject,
            live_words,
            name,
        ));
    }

    // Admin bypass: allowed only when every declaration and the policy allow it.
    {
        let mut allowed: Option<bool> = None;
        let mut judged = Judged::default();
        for decl in &decls {
            if let Some(field) = &decl.can_admins_bypass {
                allowed = Some(allowed.unwrap_or(true) && field.value);
                judged.words.push(format!(
                    "can_admins_bypass = {} ({})",
                    field.value, decl.path
                ));
                judged.anchor = judged
                    .anchor
                    .take()
                    .or_else(|| declaration_anchor(declared, decl, Some(&field.route)));
            }
        }
        if let Some(req) = requirement.as_ref().filter(|r| !r.admins_can_bypass) {
            allowed = Some(false);
            judged.words.push(format!(
                "admins may not bypass ({})",
                requirement_words(req)
            ));
            judged.anchor = judged
                .anchor
                .take()
                .or_else(|| requirement_anchor(declared, req));
        }
        if let Some(allowed) = allowed {
            let live_words = match protection.admins_can_bypass {
                Ok(true) => "administrators can bypass the protection rules",
                Ok(false) => "administrators cannot bypass",
                Err(_) if allowed => "not reported by GitHub",
                Err(_) => "",
            };
            judged
                .verdicts
                .push(judge_admin_bypass(&protection.admins_can_bypass, allowed));
            let control = judged.control(
                "environment-admin-bypass",
                target,
                &subject,
                live_words,
                name,
            );
            controls.extend(control.map(|control| {
                if allowed && protection.admins_can_bypass.is_err() {
                    control.note("bypass is declared allowed, so the live value does not matter")
                } else {
                    control
                }
            }));
        }
    }

    // Deployment branches.
    {
        let mut judged = Judged::default();
        for decl in &decls {
            if decl.branch_policy_route.is_some() {
                judged.words.push(format!(
                    "{} ({})",
                    branch_words(&decl.branch_policy),
                    decl.path
                ));
                judged.add(
                    || declaration_anchor(declared, decl, decl.branch_policy_route.as_ref()),
                    match &protection.branches {
                        Err(reason) => Verdict::Unknown(reason.clone()),
                        Ok(live) if same_branches(&decl.branch_policy, live) => Verdict::Met,
                        Ok(live) => differences(vec![format!(
                            "declared {} ({}), live: {}",
                            branch_words(&decl.branch_policy),
                            decl.path,
                            branch_words(live)
                        )]),
                    },
                );
            }
        }
        if let (Some(req), Some(demands)) = (&requirement, &demands) {
            let source = requirement_words(req);
            judged.words.push(match &req.deployment_branches {
                BranchRequirement::Restricted => {
                    format!("restricted to protected branches or named patterns ({source})")
                }
                BranchRequirement::Protected => format!("protected branches only ({source})"),
                BranchRequirement::Patterns(allowed) => {
                    format!("only {} ({source})", list(&quoted(allowed)))
                }
            });
            judged.add(
                || requirement_anchor(declared, req),
                judge_branches(&protection.branches, demands),
            );
        }
        let live_words = protection
            .branches
            .as_ref()
            .map(branch_words)
            .unwrap_or_default();
        controls.extend(judged.control(
            "environment-branch-policy",
            target,
            &subject,
            live_words,
            name,
        ));
    }

    // Wait timer.
    {
        let mut judged = Judged::default();
        for decl in &decls {
            if let Some(field) = &decl.wait_timer {
                let want = field.value;
                judged
                    .words
                    .push(format!("wait timer {want} min ({})", decl.path));
                judged.add(
                    || declaration_anchor(declared, decl, Some(&field.route)),
                    match &protection.wait_timer {
                        Err(reason) => Verdict::Unknown(reason.clone()),
                        Ok(live) if *live == want => Verdict::Met,
                        Ok(live) => differences(vec![format!(
                            "declared wait timer {want} min ({}), live {live} min",
                            decl.path
                        )]),
                    },
                );
            }
        }
        if let Some((req, demands)) = requirement
            .as_ref()
            .zip(demands.as_ref())
            .filter(|(r, _)| r.min_wait_timer > 0)
        {
            judged.words.push(format!(
                "wait timer at least {} min ({})",
                req.min_wait_timer,
                requirement_words(req)
            ));
            judged.add(
                || requirement_anchor(declared, req),
                judge_wait_timer(&protection.wait_timer, demands),
            );
        }
        let live_words = protection
            .wait_timer
            .as_ref()
            .map(|m| format!("wait timer {m} min"))
            .unwrap_or_default();
        controls.extend(judged.control(
            "environment-wait-timer",
            target,
            &subject,
            live_words,
            name,
        ));
    }
    controls
}

/// What one environment control is judged on: the declared and required state in words, the
/// first place that declares it, and the verdicts of the declaration and of the policy.
#[derive(Default)]
struct Judged {
    words: Vec<String>,
    anchor: Option<Anchor>,
    verdicts: Vec<Verdict>,
}

impl Judged {
    /// One verdict, and where it is declared when nothing before it said where.
    fn add(&mut self, anchor: impl FnOnce() -> Option<Anchor>, verdict: Verdict) {
        if self.anchor.is_none() {
            self.anchor = anchor();
        }
        self.verdicts.push(verdict);
    }

    /// The control, when anything was declared or required for it.
    fn control(
        self,
        kind: &str,
        target: &str,
        subject: &str,
        live: impl Into<String>,
        environment: &str,
    ) -> Option<Control> {
        if self.verdicts.is_empty() {
            return None;
        }
        Some(verdict_control(
            Control::new(kind, target, subject)
                .declared(self.words.join("; "))
                .live(live)
                .at(self.anchor),
            environment,
            &self.verdicts,
        ))
    }
}

/// Differences between the declaration and the live state, carried as a verdict. The texts
/// are the diff lines as they stand.
fn differences(lines: Vec<String>) -> Verdict {
    Verdict::Unmet(lines.into_iter().map(Shortfall::Differs).collect())
}

/// A control judged by several verdicts (the declaration's and the policy's): drifted when
/// any is unmet, else unknown when any is unknown, else compliant.
fn verdict_control(control: Control, environment: &str, verdicts: &[Verdict]) -> Control {
    let diff: Vec<String> = verdicts
        .iter()
        .flat_map(Verdict::shortfalls)
        .map(|s| s.describe(environment))
        .collect();
    if !diff.is_empty() {
        return control.drifted(diff);
    }
    match verdicts.iter().find_map(|v| match v {
        Verdict::Unknown(reason) => Some(reason),
        _ => None,
    }) {
        Some(reason) => control.unknown(reason.clone()),
        None => control.compliant(),
    }
}

/// The live environment in the terms of the shared judgement (`model::environment`): a rule
/// GitHub did not send is absent protection; a field missing from a rule it did send is
/// unknown, never a default.
pub fn live_protection(
    live: &LiveEnvironment,
    branch_patterns: Option<Result<Vec<String>, String>>,
) -> Protection {
    let rule = |kind: &str| live.protection_rules.iter().find(|r| r.kind == kind);
    let reviewers_rule = rule("required_reviewers");
    let reviewers = reviewers_rule
        .map(|r| {
            r.reviewers
                .iter()
                .filter_map(|entry| {
                    let reviewer = entry.reviewer.as_ref()?;
                    let kind = entry.kind.as_deref().and_then(ReviewerKind::parse);
                    // A user's display name is the user's own choice: never a name to match (G1).
                    let names = match kind {
                        Some(ReviewerKind::User) => vec![&reviewer.login],
                        Some(ReviewerKind::Team) => vec![&reviewer.slug, &reviewer.name],
                        None => vec![&reviewer.login, &reviewer.slug],
                    };
                    Some(ModelReviewer {
                        kind,
                        names: names.into_iter().flatten().cloned().collect(),
                        id: reviewer.id,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let prevent_self_review = match reviewers_rule {
        None => Ok(false),
        Some(r) => r.prevent_self_review.ok_or_else(|| {
            "GitHub returned the required-reviewers rule without `prevent_self_review`".to_string()
        }),
    };
    let admins_can_bypass = live.can_admins_bypass.ok_or_else(|| {
        "GitHub did not return `can_admins_bypass` for this environment (the field is missing from GitHub's REST description, so its absence says nothing); check the environment's settings page".to_string()
    });
    let branches = match &live.deployment_branch_policy {
        None => Ok(BranchPolicy::Any),
        Some(settings) => match (settings.protected_branches, settings.custom_branch_policies) {
            (Some(true), _) => Ok(BranchPolicy::ProtectedBranches),
            (_, Some(true)) => match branch_patterns {
                Some(Ok(mut patterns)) => {
                    patterns.sort();
                    Ok(BranchPolicy::Custom(patterns))
                }
                Some(Err(reason)) => {
                    Err(format!("cannot read the custom branch patterns: {reason}"))
                }
                None => Err("cannot read the custom branch patterns".into()),
            },
            (Some(false), Some(false)) => Ok(BranchPolicy::Any),
            _ => Err("GitHub returned deployment_branch_policy without its two flags".into()),
        },
    };
    let wait_timer = rule("wait_timer").map_or(Ok(0), |r| {
        r.wait_timer
            .ok_or_else(|| "GitHub returned the wait_timer rule without its minutes".to_string())
    });
    Protection {
        reviewers: Ok(reviewers),
        prevent_self_review,
        admins_can_bypass,
        branches,
        wait_timer,
    }
}

fn baseline_anchor(declared: &Declared, key: &str) -> Option<Anchor> {
    declared
        .config_key_anchor(key)
        .or_else(|| declared.config_anchor(None))
}

pub fn secrets_control(
    target: &str,
    subject: &str,
    secrets: Result<Vec<Secret>, String>,
    declared: &Declared,
) -> Control {
    let control = Control::new("actions-secrets", target, subject)
        .declared("no long-lived cloud, Vault or cluster credential stored as a secret (OIDC federation instead; rule standing-credentials)")
        .at(baseline_anchor(declared, "rules"));
    match secrets {
        Err(reason) => control.unknown(reason),
        Ok(secrets) => {
            let mut diff = Vec::new();
            for secret in &secrets {
                if let Some(kind) = credential_kind_of_secret(&secret.name) {
                    let updated = secret
                        .updated_at
                        .as_deref()
                        .map(|u| format!(", last updated {u}"))
                        .unwrap_or_default();
                    let visibility = secret
                        .visibility
                        .as_deref()
                        .map(|v| format!(", visible to {v} repositories"))
                        .unwrap_or_default();
                    diff.push(format!(
                        "secret `{}` is named like a long-lived {kind} credential{updated}{visibility}",
                        secret.name
                    ));
                }
            }
            let names: Vec<String> = secrets.iter().map(|s| format!("`{}`", s.name)).collect();
            control
                .live(format!(
                    "{} secret{}: {}",
                    secrets.len(),
                    if secrets.len() == 1 { "" } else { "s" },
                    list(&names)
                ))
                .judged(diff.is_empty(), diff)
        }
    }
}

pub fn workflow_permissions_control(
    target: &str,
    level: &str,
    permissions: Result<WorkflowPermissions, String>,
    declared: &Declared,
) -> Control {
    let control = Control::new(
        "workflow-token-permissions",
        target,
        format!("{level} default GITHUB_TOKEN"),
    )
    .declared(
        "read-only default token that cannot approve pull requests (rule excessive-permissions)",
    )
    .at(baseline_anchor(declared, "rules"));
    match permissions {
        Err(reason) => control.unknown(reason),
        Ok(p) => {
            let (Some(default), Some(approve)) = (
                p.default_workflow_permissions.as_deref(),
                p.can_approve_pull_request_reviews,
            ) else {
                return control.unknown("GitHub did not return default_workflow_permissions and can_approve_pull_request_reviews");
            };
            let mut diff = Vec::new();
            if default != "read" {
                diff.push(format!(
                    "default token permissions are `{default}`, not `read`"
                ));
            }
            if approve {
                diff.push(
                    "workflows can approve pull requests (can_approve_pull_request_reviews = true)"
                        .into(),
                );
            }
            control
                .live(format!("default_workflow_permissions = {default}, can_approve_pull_request_reviews = {approve}"))
                .judged(diff.is_empty(), diff)
        }
    }
}

pub fn allowed_actions_control(
    target: &str,
    level: &str,
    permissions: Result<ActionsPermissions, String>,
    selected: Option<Result<SelectedActions, String>>,
    declared: &Declared,
) -> Control {
    let catalog = declared.config.catalog();
    let declared_words = if catalog.is_empty() {
        "only selected actions (or local only)".to_string()
    } else {
        format!(
            "only selected actions, within the catalog {}",
            list(&quoted(catalog))
        )
    };
    let control = Control::new(
        "allowed-actions",
        target,
        format!("{level} allowed actions"),
    )
    .declared(declared_words)
    .at(baseline_anchor(declared, "allowed_unpinned_actions"));
    let permissions = match permissions {
        Err(reason) => return control.unknown(reason),
        Ok(p) => p,
    };
    if permissions.enabled == Some(false)
        || permissions.enabled_repositories.as_deref() == Some("none")
    {
        return control.live("GitHub Actions disabled").compliant();
    }
    let Some(allowed) = permissions.allowed_actions.as_deref() else {
        return control.unknown("GitHub did not return allowed_actions");
    };
    match allowed {
        "local_only" => control.live("local actions only").compliant(),
        "all" => control
            .live("all actions and reusable workflows")
            .drifted(vec![
                "any action from any repository may run (allowed_actions = all)".into(),
            ]),
        "selected" => match selected {
            None => control.unknown("the selected actions were not read"),
            Some(Err(reason)) => control.live("selected actions").unknown(reason),
            Some(Ok(selected)) => {
                let mut diff = Vec::new();
                if !catalog.is_empty() {
                    for pattern in &selected.patterns_allowed {
                        let action = pattern.split('@').next().unwrap_or(pattern);
                        if !declared.config.unpinned_allowed(action) {
                            diff.push(format!(
                                "`{pattern}` is allowed live but is not in the declared catalog"
                            ));
                        }
                    }
                    if selected.verified_allowed == Some(true) {
                        diff.push("actions of every Marketplace verified creator are allowed (verified_allowed = true)".into());
                    }
                }
                let mut live = vec![format!(
                    "patterns {}",
                    list(&quoted(&selected.patterns_allowed))
                )];
                if selected.github_owned_allowed == Some(true) {
                    live.push("GitHub-owned actions".into());
                }
                if selected.verified_allowed == Some(true) {
                    live.push("verified creators".into());
                }
                if permissions.sha_pinning_required == Some(true) {
                    live.push("SHA pinning required".into());
                }
                control
                    .live(format!("selected actions: {}", live.join("; ")))
                    .judged(diff.is_empty(), diff)
            }
        },
        other => control.unknown(format!(
            "GitHub returned allowed_actions = `{other}`, which tollgate does not know"
        )),
    }
}

/// The claim keys a `sub` template such as `repo:{owner}/{repo}:environment:{environment}`
/// uses, in GitHub's names (`environment`, `ref` and `pull_request` are the `context` claim).
pub fn claim_keys_of_subject(subject: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for key in subject.split(':').step_by(2) {
        let key = match key {
            "environment" | "ref" | "pull_request" => "context",
            other => other,
        };
        if keys.last().map(String::as_str) != Some(key) {
            keys.push(key.to_string());
        }
    }
    keys
}

pub fn oidc_control(
    target: &str,
    level: &str,
    template: Result<OidcTemplate, String>,
    org_template: Option<&Result<OidcTemplate, String>>,
    declared: &Declared,
) -> Control {
    let wanted = claim_keys_of_subject(&declared.config.oidc_subject);
    let control = Control::new(
        "oidc-subject-template",
        target,
        format!("{level} OIDC sub template"),
    )
    .declared(format!(
        "`{}` (claims {})",
        declared.config.oidc_subject,
        list(&quoted(&wanted))
    ))
    .at(baseline_anchor(declared, "oidc_subject"));
    let template = match template {
        Err(reason) => return control.unknown(reason),
        Ok(t) => t,
    };
    let default_keys = vec!["repo".to_string(), "context".to_string()];
    let keys = match (level, template.use_default, &template.include_claim_keys) {
        (_, Some(true), _) => default_keys.clone(),
        (_, _, Some(keys)) if !keys.is_empty() => keys.clone(),
        ("repository", Some(false), _) => match org_template {
            None => {
                return control
                    .live("the organisation's template (use_default = false, no keys of its own)")
                    .unknown("the repository defers to its organisation's template, which this run did not read (scan with --github-org to judge it)");
            }
            Some(Err(reason)) => {
                return control
                    .live("the organisation's template (use_default = false, no keys of its own)")
                    .unknown(format!(
                        "the repository defers to its organisation's template, which could not be read: {reason}"
                    ));
            }
            Some(Ok(org)) => match &org.include_claim_keys {
                Some(keys) if !keys.is_empty() && org.use_default != Some(true) => keys.clone(),
                _ => default_keys.clone(),
            },
        },
        ("organisation", _, Some(_)) => default_keys.clone(),
        _ => return control.unknown("GitHub returned neither use_default nor include_claim_keys"),
    };
    let mut diff = Vec::new();
    if keys != wanted {
        diff.push(format!(
            "live claims {} give `sub` values such as `{}`; the declared subject and trust policies expect claims {}",
            list(&quoted(&keys)),
            keys.iter().map(|k| format!("{k}:…")).collect::<Vec<_>>().join(":"),
            list(&quoted(&wanted))
        ));
    }
    if template.use_immutable_subject == Some(true) {
        diff.push("use_immutable_subject = true: `sub` carries repository ids, not the names trust policies match".into());
    }
    let mut live = format!("claims {}", list(&quoted(&keys)));
    if let Some(prefix) = &template.sub_claim_prefix {
        live.push_str(&format!("; sub prefix `{prefix}`"));
    }
    control.live(live).judged(diff.is_empty(), diff)
}

/// Three-valued: `Some(true)` holds, `Some(false)` does not, `None` unknown.
fn any_of(items: &[Option<bool>]) -> Option<bool> {
    if items.contains(&Some(true)) {
        Some(true)
    } else if items.iter().all(|i| *i == Some(false)) {
        Some(false)
    } else {
        None
    }
}

fn all_of(items: &[Option<bool>]) -> Option<bool> {
    if items.contains(&Some(false)) {
        Some(false)
    } else if items.iter().all(|i| *i == Some(true)) {
        Some(true)
    } else {
        None
    }
}

/// Whether changes reach the default branch only through a reviewed pull request: a review
/// of at least one approval that administrators and bypass lists cannot skip (classic
/// protection or a ruleset, either suffices since both apply), and no force push (G7, G9).
pub fn branch_control(
    target: &str,
    branch: &str,
    protection: Fetch<BranchProtection>,
    rules: Result<Vec<BranchRule>, String>,
    ruleset: Option<Result<Ruleset, String>>,
    protection_route: &str,
    declared: &Declared,
) -> Control {
    let control = Control::new("default-branch-protection", target, "default branch")
        .declared("changes reach the default branch only through a reviewed pull request, which administrators cannot skip, and no force push")
        .at(baseline_anchor(declared, "rules"));
    let mut live = Vec::new();
    let mut diff = Vec::new();
    let mut unknown = Vec::new();

    // Classic protection.
    let (classic_clean, classic_force_blocked) = match &protection {
        Fetch::NotFound => {
            live.push(format!("no classic branch protection on `{branch}`"));
            (Some(false), Some(false))
        }
        Fetch::Failed(reason) => {
            unknown.push(format!("{reason} (classic protection, {protection_route})"));
            (None, None)
        }
        Fetch::Ok(p) => {
            let reviewed = match &p.required_pull_request_reviews {
                None => {
                    live.push(format!(
                        "branch protection on `{branch}` without required reviews"
                    ));
                    Some(false)
                }
                Some(r) => match r.required_approving_review_count {
                    None => {
                        live.push(format!(
                            "branch protection on `{branch}` requiring reviews (GitHub sent no approval count)"
                        ));
                        unknown.push(
                            "GitHub returned required_pull_request_reviews without required_approving_review_count".into(),
                        );
                        None
                    }
                    Some(n) => {
                        live.push(format!(
                            "branch protection on `{branch}` requiring {n} approving review(s)"
                        ));
                        Some(n >= 1)
                    }
                },
            };
            let admins = match p.enforce_admins.as_ref().and_then(|e| e.enabled) {
                Some(true) => Some(true),
                Some(false) => {
                    live.push("not enforced for administrators".into());
                    Some(false)
                }
                None => {
                    unknown.push("GitHub did not return enforce_admins".into());
                    None
                }
            };
            let bypass = match p
                .required_pull_request_reviews
                .as_ref()
                .and_then(|r| r.bypass_pull_request_allowances.as_ref())
            {
                None => Some(true),
                Some(a) => {
                    let who: Vec<String> = a
                        .users
                        .iter()
                        .chain(&a.teams)
                        .chain(&a.apps)
                        .map(|r| format!("`{}`", r.label()))
                        .collect();
                    if who.is_empty() {
                        Some(true)
                    } else {
                        live.push(format!("pull-request bypass allowed for {}", list(&who)));
                        Some(false)
                    }
                }
            };
            let force = match p.allow_force_pushes.as_ref().and_then(|e| e.enabled) {
                Some(allowed) => {
                    if allowed {
                        live.push("force pushes allowed".into());
                    }
                    Some(!allowed)
                }
                None => None,
            };
            (all_of(&[reviewed, admins, bypass]), force)
        }
    };

    // Rulesets.
    let (ruleset_clean, ruleset_force_blocked) = match &rules {
        Err(reason) => {
            unknown.push(reason.clone());
            (None, None)
        }
        Ok(rules) => {
            let force = Some(rules.iter().any(|r| r.kind == "non_fast_forward"));
            let reviewed = match rules.iter().find(|r| r.kind == "pull_request") {
                None => {
                    live.push("no ruleset pull_request rule".into());
                    Some(false)
                }
                Some(rule) => {
                    match rule
                        .parameters
                        .as_ref()
                        .and_then(|p| p.get("required_approving_review_count"))
                        .and_then(serde_json::Value::as_u64)
                    {
                        None => {
                            live.push(
                                "a ruleset pull_request rule (GitHub sent no approval count)"
                                    .into(),
                            );
                            unknown.push("the ruleset pull_request rule has no required_approving_review_count".into());
                            None
                        }
                        Some(n) => {
                            live.push(format!(
                                "a ruleset pull_request rule requiring {n} approving review(s)"
                            ));
                            Some(n >= 1)
                        }
                    }
                }
            };
            let bypass = match &ruleset {
                None => Some(true),
                Some(Err(reason)) => {
                    unknown.push(format!("cannot read the ruleset's bypass actors: {reason}"));
                    None
                }
                Some(Ok(r)) => match &r.bypass_actors {
                    None => {
                        unknown.push("GitHub did not return the ruleset's bypass_actors (the token may need admin)".into());
                        None
                    }
                    Some(actors) if actors.is_empty() => Some(true),
                    Some(actors) => {
                        live.push(format!("the ruleset has {} bypass actor(s)", actors.len()));
                        Some(false)
                    }
                },
            };
            (all_of(&[reviewed, bypass]), force)
        }
    };

    let reviewed = any_of(&[classic_clean, ruleset_clean]);
    let force_blocked = any_of(&[classic_force_blocked, ruleset_force_blocked]);
    if reviewed == Some(false) {
        diff.push(format!(
            "`{branch}` can be changed without an approved pull request (or administrators and bypass lists can skip it)"
        ));
    }
    if force_blocked == Some(false) {
        diff.push(format!("`{branch}` accepts force pushes"));
    }
    let control = control.live(live.join("; "));
    match all_of(&[reviewed, force_blocked]) {
        Some(true) => control.compliant(),
        Some(false) => control.drifted(diff),
        None if unknown.is_empty() => {
            control.unknown("GitHub did not say whether force pushes are allowed")
        }
        None => control.unknown(unknown.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_keys_of_the_default_subject() {
        assert_eq!(
            claim_keys_of_subject("repo:{owner}/{repo}:environment:{environment}"),
            vec!["repo", "context"]
        );
        assert_eq!(
            claim_keys_of_subject("repository_owner:{owner}:repository_visibility:private"),
            vec!["repository_owner", "repository_visibility"]
        );
    }

    #[test]
    fn rate_limit_waits() {
        let mut headers = http::HeaderMap::new();
        headers.insert("retry-after", http::HeaderValue::from_static("2"));
        let none = http::HeaderMap::new();
        assert_eq!(
            rate_limit_wait(429, &headers, ""),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            rate_limit_wait(403, &headers, ""),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            rate_limit_wait(403, &none, ": Resource not accessible"),
            None
        );
        assert_eq!(rate_limit_wait(500, &headers, ""), None);
        // G10: GitHub's secondary limit without retry-after.
        assert_eq!(
            rate_limit_wait(403, &none, ": You have exceeded a secondary rate limit"),
            Some(Duration::from_secs(60))
        );
    }
}
