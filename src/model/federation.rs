//! GitHub OIDC trust outside AWS, as Terraform declares it: GCP Workload Identity Federation
//! (`google_iam_workload_identity_pool_provider` and the service account's IAM binding) and
//! Azure federated identity credentials (`azuread_application_federated_identity_credential`,
//! `azurerm_federated_identity_credential`). The far end of a deploy path that logs in with
//! `google-github-actions/auth` or `azure/login`.
//!
//! Each trust is read into the claims it tests, in disjunctive form (alternatives of tests that
//! must all hold), so rules grade it as they grade an AWS trust policy: through
//! [`ClaimTest::subject_patterns`], the `sub` patterns an alternative is equivalent to. What
//! tollgate cannot read (a CEL function it does not know, an unresolved Terraform value) is
//! kept as [`Comparison::Unreadable`]: never taken as bound.

use crate::model::terraform::value::is_unresolved;
use crate::source::{FileKind, Node, Route, SourceFile};

/// GitHub's OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Role a GCP binding needs for a federated identity to act as the service account.
const IMPERSONATION_ROLES: &[&str] = &[
    "roles/iam.workloadIdentityUser",
    "roles/iam.serviceAccountTokenCreator",
];

/// More alternatives than this in one condition is not read (it would be costly, and no real
/// condition has them).
const MAX_ALTERNATIVES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cloud {
    Gcp,
    Azure,
}

impl Cloud {
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Gcp => "GCP",
            Cloud::Azure => "Azure",
        }
    }
}

/// How a test compares a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// Equal to one of the values (CEL `==` or `in [...]`; Azure's `subject`). `*` is literal.
    Exact,
    /// Starts with the value (CEL `startsWith`).
    Prefix,
    /// A test that does not narrow to a value (`!=`, `!…`): read, and binds nothing.
    Loose,
    /// What tollgate could not read: neither bound nor unbound.
    Unreadable,
}

/// One test of a GitHub claim.
#[derive(Clone, Debug)]
pub struct ClaimTest {
    /// The claim (`sub`, `repository`, `repository_owner`, `environment`, `ref`, …), or the
    /// text that could not be read.
    pub claim: String,
    pub comparison: Comparison,
    pub values: Vec<String>,
    pub route: Route,
}

/// A `sub` pattern an alternative is equivalent to: `repo:org/app:environment:prod`, with
/// whether `*` in it is a wildcard.
#[derive(Clone, Debug)]
pub struct SubjectPattern {
    pub text: String,
    pub wildcards: bool,
    pub route: Route,
}

impl ClaimTest {
    /// `claim == value`, or unreadable when the value is an unresolved expression.
    fn equals(claim: &str, value: &str, route: &Route) -> Self {
        Self {
            claim: claim.to_string(),
            comparison: if is_unresolved(value) {
                Comparison::Unreadable
            } else {
                Comparison::Exact
            },
            values: vec![value.to_string()],
            route: route.clone(),
        }
    }

    /// A test that could not be read, naming what (the text, or why).
    fn unreadable(what: &str, route: &Route) -> Self {
        Self {
            claim: what.to_string(),
            comparison: Comparison::Unreadable,
            values: Vec::new(),
            route: route.clone(),
        }
    }

    /// Whether this test binds the token to one repository on its own.
    pub fn binds_repository(&self) -> bool {
        self.comparison == Comparison::Exact
            && !self.values.is_empty()
            && self.values.iter().all(|v| {
                !v.is_empty()
                    && !v.contains(['*', '?'])
                    && !is_unresolved(v)
                    && match self.claim.as_str() {
                        "repository" | "job_workflow_ref" => v.contains('/'),
                        "repository_id" => v.chars().all(|c| c.is_ascii_digit()),
                        _ => false,
                    }
            })
    }

    /// The `sub` patterns of a whole alternative: each `sub` test as written (a prefix test
    /// as a wildcard), and, when the alternative tests other claims, the subject they make
    /// together (`repository == 'o/r'` and `environment == 'prod'` → `repo:o/r:environment:
    /// prod`, with `*` for what is not tested). One bound pattern bounds the alternative, as
    /// every test of it must hold.
    pub fn subject_patterns(tests: &[ClaimTest], fallback: &Route) -> Vec<SubjectPattern> {
        let mut out = Vec::new();
        let mut repository: Vec<(String, bool)> = Vec::new();
        let mut context: Vec<String> = Vec::new();
        let mut route = None;
        for test in tests {
            let values = || test.values.iter().cloned();
            match (test.claim.as_str(), &test.comparison) {
                ("sub", Comparison::Exact) => out.extend(values().map(|text| SubjectPattern {
                    text,
                    wildcards: false,
                    route: test.route.clone(),
                })),
                ("sub", Comparison::Prefix) => out.extend(values().map(|v| SubjectPattern {
                    text: format!("{v}*"),
                    wildcards: true,
                    route: test.route.clone(),
                })),
                ("repository", Comparison::Exact) => {
                    repository.extend(values().map(|v| (v, false)));
                    route.get_or_insert(test.route.clone());
                }
                ("repository", Comparison::Prefix) => {
                    repository.extend(values().map(|v| (format!("{v}*"), true)));
                    route.get_or_insert(test.route.clone());
                }
                ("repository_owner", Comparison::Exact) => {
                    repository.extend(values().map(|v| (format!("{v}/*"), true)));
                    route.get_or_insert(test.route.clone());
                }
                ("environment", Comparison::Exact) => {
                    context.extend(values().map(|v| format!("environment:{v}")));
                    route.get_or_insert(test.route.clone());
                }
                ("ref", Comparison::Exact) => {
                    context.extend(values().map(|v| format!("ref:{v}")));
                    route.get_or_insert(test.route.clone());
                }
                ("event_name", Comparison::Exact)
                    if test.values.iter().all(|v| v.starts_with("pull_request")) =>
                {
                    context.push("pull_request".into());
                    route.get_or_insert(test.route.clone());
                }
                _ => {}
            }
        }
        if out.is_empty() || route.is_some() {
            let route = route.unwrap_or_else(|| fallback.clone());
            let repositories = if repository.is_empty() {
                vec![("*".to_string(), true)]
            } else {
                repository
            };
            let contexts = if context.is_empty() {
                vec!["*".to_string()]
            } else {
                context
            };
            for (repo, _) in &repositories {
                for context in &contexts {
                    out.push(SubjectPattern {
                        text: format!("repo:{repo}:{context}"),
                        wildcards: true,
                        route: route.clone(),
                    });
                }
            }
        }
        out
    }
}

/// A GitHub OIDC trust declared in Terraform for GCP or Azure.
#[derive(Clone)]
pub struct FederatedTrust<'a> {
    pub cloud: Cloud,
    /// The Terraform resource type.
    pub kind: &'static str,
    pub label: String,
    /// The provider id (GCP) or the credential's name (Azure), as the workflow names it.
    pub name: String,
    /// The pool id (GCP).
    pub pool: Option<String>,
    /// The application or managed identity the credential belongs to (Azure), as resolved.
    pub parent: Option<String>,
    pub file: &'a SourceFile,
    /// The resource body.
    pub route: Route,
    /// The issuer as resolved, or `None` when it is not written.
    pub issuer: Option<String>,
    pub issuer_route: Route,
    /// Where the condition (or subject) is written, or the resource when it is missing.
    pub condition_route: Route,
    /// Whether a condition (subject) is written at all.
    pub has_condition: bool,
    /// Alternatives: a token is let in when every test of one of them holds.
    pub alternatives: Vec<Vec<ClaimTest>>,
}

impl FederatedTrust<'_> {
    /// Whether the issuer is GitHub's (an Enterprise issuer `…/<slug>` too).
    pub fn trusts_github(&self) -> bool {
        self.issuer.as_deref().is_some_and(|issuer| {
            issuer
                .trim_end_matches('/')
                .strip_prefix(GITHUB_ISSUER)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// The issuer when the evaluator could not resolve it: it may be GitHub's.
    pub fn unresolved_issuer(&self) -> Option<&str> {
        self.issuer.as_deref().filter(|i| is_unresolved(i))
    }

    /// What to call it in a message: `provider github (pool ci)`, `credential deploy`.
    pub fn title(&self) -> String {
        match (self.cloud, &self.pool) {
            (Cloud::Gcp, Some(pool)) => {
                format!("workload identity provider `{}` (pool `{pool}`)", self.name)
            }
            (Cloud::Gcp, None) => format!("workload identity provider `{}`", self.name),
            (Cloud::Azure, _) => format!("federated credential `{}`", self.name),
        }
    }
}

/// A GCP IAM binding that lets federated identities act as a service account.
#[derive(Clone)]
pub struct ServiceAccountBinding<'a> {
    /// The service account: an email, an account id, or what could not be resolved.
    pub service_account: String,
    /// The pool the member names, when it can be read.
    pub pool: Option<String>,
    /// The member as resolved (`principalSet://…/attribute.repository/o/r`).
    pub member: String,
    /// What the member admits: `None` is the whole pool (`…/*`).
    pub tests: Vec<ClaimTest>,
    pub file: &'a SourceFile,
    pub route: Route,
}

impl ServiceAccountBinding<'_> {
    /// Whether this binding is for the service account `email` (`sa@p.iam.gserviceaccount.com`).
    pub fn is_for(&self, email: &str) -> bool {
        let email = email.trim();
        let account = email.split('@').next().unwrap_or(email);
        let bound = self
            .service_account
            .rsplit('/')
            .next()
            .unwrap_or(&self.service_account);
        bound.eq_ignore_ascii_case(email) || bound.eq_ignore_ascii_case(account)
    }
}

/// Every GCP or Azure GitHub-shaped trust declared in `file`.
pub fn trusts(file: &SourceFile) -> Vec<FederatedTrust<'_>> {
    let mut out = Vec::new();
    let Some(root) = terraform_root(file) else {
        return out;
    };
    let resources = Route::root().key("resource");
    for (kind, cloud) in [
        ("google_iam_workload_identity_pool_provider", Cloud::Gcp),
        (
            "azuread_application_federated_identity_credential",
            Cloud::Azure,
        ),
        ("azurerm_federated_identity_credential", Cloud::Azure),
    ] {
        let base = resources.key(kind);
        let Some(labels) = root.at(&base) else {
            continue;
        };
        for (label, body) in labels.entries() {
            let route = base.key(label);
            let trust = match cloud {
                Cloud::Gcp => gcp_provider(file, kind, label, body, route),
                Cloud::Azure => azure_credential(file, kind, label, body, route),
            };
            out.push(trust);
        }
    }
    out
}

/// Whether `file` may declare a federated trust or binding (cheap: by text).
pub fn declares_federation(file: &SourceFile) -> bool {
    file.kind == FileKind::Terraform
        && (file
            .text
            .contains("google_iam_workload_identity_pool_provider")
            || file.text.contains("federated_identity_credential")
            || file.text.contains("google_service_account_iam_"))
}

fn terraform_root(file: &SourceFile) -> Option<&Node> {
    (file.kind == FileKind::Terraform)
        .then_some(file.root.as_ref())
        .flatten()
}

/// The first block of `body` under `key` (`oidc { … }` is a one-item sequence).
fn block<'n>(body: &'n Node, key: &str) -> Option<(&'n Node, Route)> {
    let node = body.get(key)?;
    match node.as_seq() {
        Some(items) => items
            .first()
            .map(|first| (first, Route::root().key(key).index(0))),
        None => Some((node, Route::root().key(key))),
    }
}

fn join(base: &Route, tail: &Route) -> Route {
    let mut route = base.clone();
    route.0.extend(tail.0.iter().cloned());
    route
}

fn gcp_provider<'a>(
    file: &'a SourceFile,
    kind: &'static str,
    label: &str,
    body: &Node,
    route: Route,
) -> FederatedTrust<'a> {
    // The provider schema has `oidc { issuer_uri }`; some write it at the top.
    let (issuer, issuer_route) = match block(body, "oidc") {
        Some((oidc, at)) => (
            oidc.get_str("issuer_uri").map(str::to_string),
            join(&route, &at.key("issuer_uri")),
        ),
        None => (
            body.get_str("issuer_uri").map(str::to_string),
            route.key("issuer_uri"),
        ),
    };
    let mapping: Vec<(String, String)> = body
        .get("attribute_mapping")
        .map(|m| {
            m.entries()
                .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let condition = body.get_str("attribute_condition");
    let condition_route = if condition.is_some() {
        route.key("attribute_condition")
    } else {
        route.clone()
    };
    let alternatives = match condition {
        Some(text) => cel_alternatives(text, &mapping, &condition_route),
        None => vec![Vec::new()],
    };
    FederatedTrust {
        cloud: Cloud::Gcp,
        kind,
        label: label.to_string(),
        name: body
            .get_str("workload_identity_pool_provider_id")
            .unwrap_or(label)
            .to_string(),
        pool: body
            .get_str("workload_identity_pool_id")
            .filter(|p| !is_unresolved(p))
            .map(|p| p.rsplit('/').next().unwrap_or(p).to_string()),
        parent: None,
        file,
        route,
        issuer,
        issuer_route,
        condition_route,
        has_condition: condition.is_some_and(|c| !c.trim().is_empty()),
        alternatives,
    }
}

fn azure_credential<'a>(
    file: &'a SourceFile,
    kind: &'static str,
    label: &str,
    body: &Node,
    route: Route,
) -> FederatedTrust<'a> {
    let subject = body.get_str("subject");
    let condition_route = if subject.is_some() {
        route.key("subject")
    } else {
        route.clone()
    };
    let alternatives = vec![
        subject
            .map(|s| {
                // An unresolved subject names what could not be resolved, for the message.
                let claim = if is_unresolved(s) { s } else { "sub" };
                ClaimTest::equals(claim, s, &condition_route)
            })
            .into_iter()
            .collect(),
    ];
    let parent = ["application_id", "application_object_id", "parent_id"]
        .into_iter()
        .find_map(|key| body.get_str(key))
        .map(str::to_string);
    FederatedTrust {
        cloud: Cloud::Azure,
        kind,
        label: label.to_string(),
        name: body
            .get_str("display_name")
            .or_else(|| body.get_str("name"))
            .unwrap_or(label)
            .to_string(),
        pool: None,
        parent,
        file,
        issuer: body.get_str("issuer").map(str::to_string),
        issuer_route: route.key("issuer"),
        route,
        condition_route,
        has_condition: subject.is_some(),
        alternatives,
    }
}

/// Every GCP service-account binding in `file` that lets a workload identity pool's members
/// act as the account.
pub fn service_account_bindings(file: &SourceFile) -> Vec<ServiceAccountBinding<'_>> {
    let mut out = Vec::new();
    let Some(root) = terraform_root(file) else {
        return out;
    };
    let resources = Route::root().key("resource");
    for kind in [
        "google_service_account_iam_member",
        "google_service_account_iam_binding",
    ] {
        let base = resources.key(kind);
        let Some(labels) = root.at(&base) else {
            continue;
        };
        for (label, body) in labels.entries() {
            let route = base.key(label);
            if !body
                .get_str("role")
                .is_some_and(|r| IMPERSONATION_ROLES.contains(&r))
            {
                continue;
            }
            let account = body
                .get_str("service_account_id")
                .map(|a| service_account_of(root, a))
                .unwrap_or_default();
            let members: Vec<(&str, Route)> = match body.get("members") {
                Some(list) => list
                    .items()
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, m)| Some((m.as_str()?, route.key("members").index(i))))
                    .collect(),
                None => body
                    .get_str("member")
                    .map(|m| vec![(m, route.key("member"))])
                    .unwrap_or_default(),
            };
            for (member, member_route) in members {
                let Some((pool, tests)) = federated_member(member, &member_route) else {
                    continue;
                };
                out.push(ServiceAccountBinding {
                    service_account: account.clone(),
                    pool,
                    member: member.to_string(),
                    tests,
                    file,
                    route: member_route,
                });
            }
        }
    }
    out
}

/// `projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com` as written, or the `account_id`
/// of the `google_service_account` it references in the same file.
fn service_account_of(root: &Node, text: &str) -> String {
    let reference = text
        .trim()
        .trim_start_matches("${")
        .trim_end_matches('}')
        .strip_prefix("google_service_account.")
        .and_then(|r| r.split('.').next());
    reference
        .and_then(|label| {
            root.get("resource")?
                .get("google_service_account")?
                .get(label)?
                .get_str("account_id")
        })
        .map_or_else(|| text.to_string(), str::to_string)
}

/// A `principal://…/subject/S` or `principalSet://…/attribute.A/V` (or `…/*`) member: its pool
/// and what it admits.
fn federated_member(member: &str, route: &Route) -> Option<(Option<String>, Vec<ClaimTest>)> {
    if !(member.starts_with("principal") || member.contains("workloadIdentityPools")) {
        return None;
    }
    let pool = member
        .split_once("workloadIdentityPools/")
        .and_then(|(_, rest)| rest.split('/').next())
        .filter(|p| !is_unresolved(p))
        .map(str::to_string);
    let test = |claim: &str, value: &str| ClaimTest::equals(claim, value, route);
    if let Some((_, subject)) = member.split_once("/subject/") {
        return Some((pool, vec![test("sub", subject)]));
    }
    if let Some((_, attribute)) = member.split_once("/attribute.") {
        let (name, value) = attribute.split_once('/')?;
        return Some((pool, vec![test(name, value)]));
    }
    if member.ends_with("/*") {
        return Some((pool, Vec::new()));
    }
    // A member of a form not read here: what it admits is unknown.
    Some((pool, vec![ClaimTest::unreadable(member, route)]))
}

/// A CEL attribute condition in disjunctive form. `assertion.X` is claim X; `attribute.Y` and
/// `google.subject` are the claims `attribute_mapping` maps them from.
fn cel_alternatives(
    text: &str,
    mapping: &[(String, String)],
    route: &Route,
) -> Vec<Vec<ClaimTest>> {
    let unreadable = |why: &str| vec![vec![ClaimTest::unreadable(why, route)]];
    if is_unresolved(text) {
        return unreadable(text);
    }
    let tokens = match tokenize(text) {
        Some(tokens) => tokens,
        None => return unreadable(text),
    };
    let mut parser = Cel {
        tokens: &tokens,
        at: 0,
        mapping,
        route,
    };
    match parser.or() {
        Some(dnf) if parser.at == tokens.len() && dnf.len() <= MAX_ALTERNATIVES => dnf,
        _ => unreadable(text),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Op(&'static str),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let mut value = String::new();
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                value.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return None;
            }
            i += 1;
            out.push(Token::Str(value));
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '.'))
            {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let op = ["&&", "||", "==", "!="]
                .into_iter()
                .find(|op| two == *op)
                .or_else(|| {
                    ["(", ")", "[", "]", ",", "!"]
                        .into_iter()
                        .find(|op| c.to_string() == *op)
                })?;
            i += op.len();
            out.push(Token::Op(op));
        }
    }
    Some(out)
}

struct Cel<'t> {
    tokens: &'t [Token],
    at: usize,
    mapping: &'t [(String, String)],
    route: &'t Route,
}

impl Cel<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, op: &'static str) -> bool {
        if self.peek() == Some(&Token::Op(op)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Option<Vec<Vec<ClaimTest>>> {
        let mut out = self.and()?;
        while self.eat("||") {
            out.extend(self.and()?);
            if out.len() > MAX_ALTERNATIVES {
                return None;
            }
        }
        Some(out)
    }

    fn and(&mut self) -> Option<Vec<Vec<ClaimTest>>> {
        let mut out = self.atom()?;
        while self.eat("&&") {
            let right = self.atom()?;
            let mut product = Vec::new();
            for left in &out {
                for r in &right {
                    let mut both = left.clone();
                    both.extend(r.iter().cloned());
                    product.push(both);
                }
            }
            if product.len() > MAX_ALTERNATIVES {
                return None;
            }
            out = product;
        }
        Some(out)
    }

    fn atom(&mut self) -> Option<Vec<Vec<ClaimTest>>> {
        if self.eat("(") {
            let inner = self.or()?;
            return self.eat(")").then_some(inner);
        }
        if self.eat("!") {
            // A negation narrows nothing to a value: read, binding nothing.
            self.atom()?;
            return Some(vec![vec![self.test(
                "negation",
                Comparison::Loose,
                Vec::new(),
            )]]);
        }
        let Some(Token::Ident(left)) = self.peek().cloned() else {
            return None;
        };
        self.at += 1;
        if let Some(target) = left.strip_suffix(".startsWith") {
            if !self.eat("(") {
                return None;
            }
            let Some(Token::Str(value)) = self.peek().cloned() else {
                return None;
            };
            self.at += 1;
            if !self.eat(")") {
                return None;
            }
            return Some(vec![vec![self.claim_test(
                target,
                Comparison::Prefix,
                vec![value],
            )]]);
        }
        if self.eat("==") {
            let Some(Token::Str(value)) = self.peek().cloned() else {
                return None;
            };
            self.at += 1;
            return Some(vec![vec![self.claim_test(
                &left,
                Comparison::Exact,
                vec![value],
            )]]);
        }
        if self.eat("!=") {
            self.at += 1;
            return Some(vec![vec![self.test(
                "negation",
                Comparison::Loose,
                Vec::new(),
            )]]);
        }
        if self.peek() == Some(&Token::Ident("in".into())) {
            self.at += 1;
            if !self.eat("[") {
                return None;
            }
            let mut values = Vec::new();
            loop {
                match self.peek().cloned() {
                    Some(Token::Str(value)) => {
                        self.at += 1;
                        values.push(value);
                    }
                    Some(Token::Op("]")) => {}
                    _ => return None,
                }
                if self.eat("]") {
                    break;
                }
                if !self.eat(",") {
                    return None;
                }
            }
            return Some(vec![vec![self.claim_test(
                &left,
                Comparison::Exact,
                values,
            )]]);
        }
        None
    }

    fn test(&self, claim: &str, comparison: Comparison, values: Vec<String>) -> ClaimTest {
        ClaimTest {
            claim: claim.to_string(),
            comparison,
            values,
            route: self.route.clone(),
        }
    }

    /// A test of `target` (`assertion.sub`, `attribute.repository`, `google.subject`).
    fn claim_test(&self, target: &str, comparison: Comparison, values: Vec<String>) -> ClaimTest {
        match claim_of(target, self.mapping) {
            Some(claim) => self.test(&claim, comparison, values),
            None => self.test(target, Comparison::Unreadable, values),
        }
    }
}

/// The GitHub claim behind a CEL name: `assertion.sub` → `sub`; `attribute.repo` →
/// the claim `attribute_mapping` maps to it (`assertion.repository` → `repository`).
fn claim_of(target: &str, mapping: &[(String, String)]) -> Option<String> {
    if let Some(claim) = target.strip_prefix("assertion.") {
        return (!claim.contains('.')).then(|| claim.to_string());
    }
    let mapped = mapping.iter().find(|(k, _)| k == target)?;
    let claim = mapped.1.trim().strip_prefix("assertion.")?;
    claim
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then(|| claim.to_string())
}

/// Where a GCP or Azure login step leads.
pub enum Lead<'r> {
    /// The provider or application is chosen at run time (`${{ secrets.… }}`).
    RunTime(String),
    /// Nothing the repository declares matches it: what to call it, and the name to look for
    /// elsewhere in the Terraform (a module tollgate cannot read may make it).
    Missing(String, Option<String>),
    /// It may be something tollgate cannot tell apart: the reason.
    Unknown(String),
    /// The trusts it reaches, each with what lets a token through it.
    Found(Vec<Reached<'r>>),
}

/// A trust a login reaches, and the alternatives of claim tests a token must pass: the
/// provider's condition, and (GCP) the service account binding's member beside it.
pub struct Reached<'r> {
    pub trust: FederatedTrust<'r>,
    /// The service account binding passed on the way (GCP).
    pub via: Option<Via<'r>>,
    pub alternatives: Vec<Vec<ClaimTest>>,
}

/// A service account binding's member, where it is written.
pub struct Via<'r> {
    pub member: String,
    pub file: &'r SourceFile,
    pub route: Route,
}

/// A GCP or Azure login of a workflow step: `google-github-actions/auth` with
/// `workload_identity_provider`, or `azure/login` with `client-id`. What it names, and where
/// that leads in the repository. `None` for other steps, and for logins by a stored key.
pub fn login<'r>(
    repo: &'r super::repo::RepoContext,
    step: &super::Step,
) -> Option<(Cloud, String, Lead<'r>)> {
    let text = |key: &str| step.with(key).and_then(Node::as_str).map(str::to_string);
    if step.uses_action("google-github-actions/auth") {
        let provider = text("workload_identity_provider")?;
        return Some((
            Cloud::Gcp,
            provider.clone(),
            gcp_lead(repo, &provider, text("service_account")),
        ));
    }
    if step.uses_action("azure/login") {
        let client = text("client-id")?;
        return Some((Cloud::Azure, client.clone(), azure_lead(repo, &client)));
    }
    None
}

fn gcp_lead<'r>(
    repo: &'r super::repo::RepoContext,
    provider: &str,
    service_account: Option<String>,
) -> Lead<'r> {
    if provider.contains("${{") {
        return Lead::RunTime(format!("provider {provider}"));
    }
    let id = provider
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(provider);
    let pool = provider
        .split_once("workloadIdentityPools/")
        .and_then(|(_, rest)| rest.split('/').next());
    let all = repo.federated_trusts();
    let gcp: Vec<FederatedTrust<'r>> = all.into_iter().filter(|t| t.cloud == Cloud::Gcp).collect();
    let (matching, rest): (Vec<_>, Vec<_>) = gcp.into_iter().partition(|t| {
        t.name == id && (pool.is_none() || t.pool.as_deref().is_none_or(|p| Some(p) == pool))
    });
    if matching.is_empty() {
        return match rest.iter().find(|t| is_unresolved(&t.name)) {
            Some(maybe) => Lead::Unknown(format!(
                "may be the provider named `{}` in {}, {}",
                maybe.name,
                maybe.file.path,
                super::terraform::value::could_not_resolve(&maybe.name)
            )),
            None => Lead::Missing(format!("provider {id}"), Some(id.to_string())),
        };
    }
    let service_account = service_account.filter(|s| !s.contains("${{"));
    let bindings = repo.service_account_bindings();
    let mut reached = Vec::new();
    for trust in matching {
        let through: Vec<&ServiceAccountBinding> = match &service_account {
            Some(email) => bindings
                .iter()
                .filter(|b| b.is_for(email))
                .filter(|b| b.pool.is_none() || trust.pool.is_none() || b.pool == trust.pool)
                .collect(),
            None => Vec::new(),
        };
        if through.is_empty() {
            let alternatives = trust.alternatives.clone();
            reached.push(Reached {
                trust,
                via: None,
                alternatives,
            });
            continue;
        }
        for binding in through {
            let alternatives = trust
                .alternatives
                .iter()
                .map(|alternative| {
                    let mut both = alternative.clone();
                    both.extend(binding.tests.iter().cloned());
                    both
                })
                .collect();
            reached.push(Reached {
                trust: trust.clone(),
                via: Some(Via {
                    member: binding.member.clone(),
                    file: binding.file,
                    route: binding.route.clone(),
                }),
                alternatives,
            });
        }
    }
    Lead::Found(reached)
}

fn azure_lead<'r>(repo: &'r super::repo::RepoContext, client: &str) -> Lead<'r> {
    let credentials: Vec<FederatedTrust<'r>> = repo
        .federated_trusts()
        .into_iter()
        .filter(|t| {
            t.cloud == Cloud::Azure && (t.trusts_github() || t.unresolved_issuer().is_some())
        })
        .collect();
    let mut parents: Vec<&str> = credentials
        .iter()
        .map(|t| t.parent.as_deref().unwrap_or(""))
        .collect();
    parents.sort_unstable();
    parents.dedup();
    match parents.len() {
        0 => Lead::Missing(format!("application (client-id {client})"), None),
        1 => Lead::Found(
            credentials
                .into_iter()
                .map(|trust| {
                    let alternatives = trust.alternatives.clone();
                    Reached {
                        trust,
                        via: None,
                        alternatives,
                    }
                })
                .collect(),
        ),
        n => Lead::Unknown(format!(
            "client-id `{client}` may be any of {n} applications with GitHub federated credentials in the repository"
        )),
    }
}

/// What is unreadable in an alternative, if anything.
pub fn unreadable(alternative: &[ClaimTest]) -> Option<&ClaimTest> {
    alternative
        .iter()
        .find(|t| t.comparison == Comparison::Unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dnf(text: &str) -> Vec<Vec<(String, Comparison, Vec<String>)>> {
        let mapping = vec![
            ("google.subject".to_string(), "assertion.sub".to_string()),
            (
                "attribute.repository".to_string(),
                "assertion.repository".to_string(),
            ),
        ];
        cel_alternatives(text, &mapping, &Route::root())
            .into_iter()
            .map(|alt| {
                alt.into_iter()
                    .map(|t| (t.claim, t.comparison, t.values))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn cel_conditions_in_disjunctive_form() {
        let one = dnf("assertion.repository == 'acme/app' && attribute.repository != ''");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0][0].0, "repository");
        assert_eq!(one[0][1].1, Comparison::Loose);
        let two = dnf(
            "(assertion.ref == 'refs/heads/main' || assertion.ref == 'refs/tags/v1') && attribute.repository in ['acme/app', \"acme/web\"]",
        );
        assert_eq!(two.len(), 2);
        assert_eq!(two[1][1].2, vec!["acme/app".to_string(), "acme/web".into()]);
        let prefix = dnf("google.subject.startsWith('repo:acme/')");
        assert_eq!(prefix[0][0].0, "sub");
        assert_eq!(prefix[0][0].1, Comparison::Prefix);
        assert_eq!(
            dnf("assertion.sub.matches('^repo:acme/.*$')")[0][0].1,
            Comparison::Unreadable
        );
        assert_eq!(dnf("${var.condition}")[0][0].1, Comparison::Unreadable);
    }

    #[test]
    fn alternatives_as_subjects() {
        let tests = vec![
            ClaimTest {
                claim: "repository".into(),
                comparison: Comparison::Exact,
                values: vec!["acme/app".into()],
                route: Route::root(),
            },
            ClaimTest {
                claim: "environment".into(),
                comparison: Comparison::Exact,
                values: vec!["production".into()],
                route: Route::root(),
            },
        ];
        let patterns = ClaimTest::subject_patterns(&tests, &Route::root());
        assert_eq!(patterns.len(), 1);
        assert_eq!(patterns[0].text, "repo:acme/app:environment:production");
        assert!(tests[0].binds_repository());
        let owner = vec![ClaimTest {
            claim: "repository_owner".into(),
            comparison: Comparison::Exact,
            values: vec!["acme".into()],
            route: Route::root(),
        }];
        assert_eq!(
            ClaimTest::subject_patterns(&owner, &Route::root())[0].text,
            "repo:acme/*:*"
        );
        assert_eq!(
            ClaimTest::subject_patterns(&[], &Route::root())[0].text,
            "repo:*:*"
        );
    }

    #[test]
    fn members_of_a_pool() {
        let route = Route::root();
        let (pool, tests) = federated_member(
            "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/attribute.repository/acme/app",
            &route,
        )
        .unwrap();
        assert_eq!(pool.as_deref(), Some("ci"));
        assert_eq!(tests[0].claim, "repository");
        assert_eq!(tests[0].values, vec!["acme/app".to_string()]);
        let (_, all) = federated_member(
            "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/*",
            &route,
        )
        .unwrap();
        assert!(all.is_empty());
        assert!(federated_member("serviceAccount:x@p.iam.gserviceaccount.com", &route).is_none());
    }
}
