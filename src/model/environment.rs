//! GitHub Environments as declared in the repository: the settings app's
//! `.github/settings.yml` and the Terraform github provider's `github_repository_environment`.
//!
//! Absent fields keep GitHub's defaults, which are the unsafe ones: `prevent_self_review` is
//! false, `can_admins_bypass` is true, and no `deployment_branch_policy` lets any branch deploy.

use crate::source::{FileKind, Node, Route, SourceFile};

/// Where an environment was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declaration {
    Settings,
    Terraform,
}

impl Declaration {
    pub fn name(self) -> &'static str {
        match self {
            Declaration::Settings => "the settings app",
            Declaration::Terraform => "Terraform",
        }
    }
}

/// Which branches may deploy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BranchPolicy {
    /// No policy: any branch, including a pull request's, can deploy.
    Any,
    ProtectedBranches,
    Custom(Vec<String>),
}

/// How a tag deployment policy is written among branch patterns: a tag pattern is not a
/// branch pattern, and `main` as a tag is not `main` as a branch.
pub const TAG_PREFIX: &str = "tag:";

/// A field's value and the route to it, when the field is written.
#[derive(Clone, Debug)]
pub struct Field<T> {
    pub value: T,
    pub route: Route,
}

#[derive(Clone, Debug)]
pub struct DeclaredEnvironment {
    pub name: String,
    pub path: String,
    pub declared_in: Declaration,
    /// The environment's block or list entry.
    pub route: Route,
    /// The place that names it (`environment = "…"`, `name: …`).
    pub name_route: Route,
    /// Reviewer names or ids as written (Terraform references keep their resource name).
    pub reviewers: Vec<String>,
    /// The GitHub type of each of `reviewers` (`User` or `Team`) when the declaration says
    /// it, in the same order.
    pub reviewer_kinds: Vec<Option<&'static str>>,
    pub reviewers_route: Option<Route>,
    pub prevent_self_review: Option<Field<bool>>,
    pub can_admins_bypass: Option<Field<bool>>,
    pub branch_policy: BranchPolicy,
    pub branch_policy_route: Option<Route>,
    pub wait_timer: Option<Field<u64>>,
}

impl DeclaredEnvironment {
    pub fn prevents_self_review(&self) -> bool {
        self.prevent_self_review.as_ref().is_some_and(|f| f.value)
    }

    pub fn admins_can_bypass(&self) -> bool {
        self.can_admins_bypass.as_ref().is_none_or(|f| f.value)
    }
}

fn boolean(node: &Node) -> Option<bool> {
    match node.as_str()? {
        "true" | "True" => Some(true),
        "false" | "False" => Some(false),
        _ => None,
    }
}

fn bool_field(parent: &Node, key: &str, route: &Route) -> Option<Field<bool>> {
    Some(Field {
        value: boolean(parent.get(key)?)?,
        route: route.key(key),
    })
}

fn minutes_field(parent: &Node, key: &str, route: &Route) -> Option<Field<u64>> {
    Some(Field {
        value: parent.get_str(key)?.parse().ok()?,
        route: route.key(key),
    })
}

/// Every environment a settings or Terraform file declares.
pub fn declared_in(file: &SourceFile) -> Vec<DeclaredEnvironment> {
    let Some(root) = &file.root else {
        return Vec::new();
    };
    match file.kind {
        FileKind::Settings => from_settings(file, root),
        FileKind::Terraform => from_terraform(file, root),
        _ => Vec::new(),
    }
}

fn from_settings(file: &SourceFile, root: &Node) -> Vec<DeclaredEnvironment> {
    let Some(items) = root.get("environments").and_then(Node::as_seq) else {
        return Vec::new();
    };
    let list = Route::root().key("environments");
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let route = list.index(index);
            let name = item.get_str("name")?.to_string();
            let reviewers_node = item.get("reviewers");
            let (reviewers, reviewer_kinds): (Vec<String>, Vec<Option<&'static str>>) =
                reviewers_node
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|r| {
                        let kind = match r.get_str("type") {
                            Some(t) if t.eq_ignore_ascii_case("team") => Some("Team"),
                            Some(t) if t.eq_ignore_ascii_case("user") => Some("User"),
                            _ if r.get_str("slug").is_some() => Some("Team"),
                            _ if r.get_str("login").is_some() => Some("User"),
                            _ => None,
                        };
                        ["slug", "login", "name", "id"]
                            .iter()
                            .find_map(|key| r.get_str(key))
                            .or_else(|| r.as_str())
                            .map(|n| (n.to_string(), kind))
                    })
                    .unzip();
            let (branch_policy, branch_policy_route) = match item.get("deployment_branch_policy") {
                Some(policy) if policy.as_map().is_some() => {
                    let custom: Vec<String> = policy
                        .get("custom_branches")
                        .and_then(Node::as_seq)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|b| {
                            let name = b.as_str().or_else(|| b.get_str("name"))?;
                            Some(if b.get_str("type") == Some("tag") {
                                format!("{TAG_PREFIX}{name}")
                            } else {
                                name.to_string()
                            })
                        })
                        .collect();
                    let policy_kind = if policy
                        .get("protected_branches")
                        .is_some_and(|n| boolean(n) == Some(true))
                    {
                        BranchPolicy::ProtectedBranches
                    } else if !custom.is_empty() {
                        BranchPolicy::Custom(custom)
                    } else {
                        BranchPolicy::Any
                    };
                    (policy_kind, Some(route.key("deployment_branch_policy")))
                }
                _ => (BranchPolicy::Any, None),
            };
            Some(DeclaredEnvironment {
                name,
                path: file.path.clone(),
                declared_in: Declaration::Settings,
                name_route: route.key("name"),
                reviewers,
                reviewer_kinds,
                reviewers_route: reviewers_node.map(|_| route.key("reviewers")),
                prevent_self_review: bool_field(item, "prevent_self_review", &route),
                can_admins_bypass: bool_field(item, "can_admins_bypass", &route),
                branch_policy,
                branch_policy_route,
                wait_timer: minutes_field(item, "wait_timer", &route),
                route,
            })
        })
        .collect()
}

/// The resource name a Terraform reference points at: `github_team.platform.id` → `platform`,
/// `data.github_user.alice.id` → `alice`; a literal id stays as it is.
fn reference_name(text: &str) -> String {
    let parts: Vec<&str> = text.trim().split('.').collect();
    match parts.as_slice() {
        ["data", _, name, ..] => (*name).to_string(),
        [kind, name, ..] if kind.starts_with("github_") => (*name).to_string(),
        _ => text.trim().to_string(),
    }
}

fn from_terraform(file: &SourceFile, root: &Node) -> Vec<DeclaredEnvironment> {
    let base = Route::root()
        .key("resource")
        .key("github_repository_environment");
    let Some(resources) = root.at(&base) else {
        return Vec::new();
    };
    // Extra branch patterns come from separate deployment-policy resources.
    let policies = root.at(&Route::root()
        .key("resource")
        .key("github_repository_environment_deployment_policy"));
    resources
        .entries()
        .filter_map(|(label, block)| {
            let route = base.key(label);
            let name = block.get_str("environment")?.to_string();
            let reviewers_route = route.key("reviewers");
            let reviewers_block = block.get("reviewers");
            let (reviewers, reviewer_kinds): (Vec<String>, Vec<Option<&'static str>>) =
                reviewers_block
                    .map(Node::items)
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(|r| {
                        [("users", "User"), ("teams", "Team")].into_iter().flat_map(
                            move |(key, kind)| {
                                r.get(key)
                                    .map(Node::items)
                                    .unwrap_or_default()
                                    .into_iter()
                                    .filter_map(move |n| {
                                        n.as_str().map(|t| (reference_name(t), Some(kind)))
                                    })
                            },
                        )
                    })
                    .unzip();
            let policy_block = block
                .get("deployment_branch_policy")
                .and_then(|p| p.items().into_iter().next());
            let mut custom: Vec<String> = policies
                .map(|p| {
                    p.entries()
                        .filter(|(_, policy)| {
                            policy.get_str("environment").is_some_and(|e| {
                                e == name
                                    || e.contains(&format!(
                                        "github_repository_environment.{label}."
                                    ))
                            })
                        })
                        .filter_map(|(_, policy)| {
                            policy
                                .get_str("branch_pattern")
                                .map(str::to_string)
                                .or_else(|| {
                                    policy
                                        .get_str("tag_pattern")
                                        .map(|t| format!("{TAG_PREFIX}{t}"))
                                })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let branch_policy = match policy_block {
                Some(p) if p.get("protected_branches").and_then(boolean) == Some(true) => {
                    BranchPolicy::ProtectedBranches
                }
                Some(p) if p.get("custom_branch_policies").and_then(boolean) == Some(true) => {
                    custom.sort();
                    BranchPolicy::Custom(custom)
                }
                _ => BranchPolicy::Any,
            };
            Some(DeclaredEnvironment {
                name,
                path: file.path.clone(),
                declared_in: Declaration::Terraform,
                name_route: route.key("environment"),
                reviewers,
                reviewer_kinds,
                reviewers_route: reviewers_block.map(|_| reviewers_route),
                prevent_self_review: bool_field(block, "prevent_self_review", &route),
                can_admins_bypass: bool_field(block, "can_admins_bypass", &route),
                branch_policy_route: policy_block.map(|_| route.key("deployment_branch_policy")),
                branch_policy,
                wait_timer: minutes_field(block, "wait_timer", &route),
                route,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// One judgement of an environment's protection, for `check` (on the declaration) and `drift`
// (on the live environment): both build a [`Protection`] and ask the same functions.

/// A value that is known, or the reason it is not. Unknown is never judged compliant.
pub type Known<T> = Result<T, String>;

/// GitHub's two kinds of environment reviewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewerKind {
    User,
    Team,
}

impl ReviewerKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "user" => Some(ReviewerKind::User),
            "team" => Some(ReviewerKind::Team),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ReviewerKind::User => "User",
            ReviewerKind::Team => "Team",
        }
    }
}

/// A required reviewer, declared or live.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reviewer {
    pub kind: Option<ReviewerKind>,
    /// The names that identify it and that its owner cannot choose: a user's login, a team's
    /// slug and name; for a declaration, the name written there.
    pub names: Vec<String>,
    pub id: Option<u64>,
}

impl Reviewer {
    /// A reviewer as a declaration writes it: a name, or a numeric id.
    pub fn declared(written: &str, kind: Option<&str>) -> Self {
        let written = written.trim();
        let kind = kind.and_then(ReviewerKind::parse);
        match written.parse::<u64>() {
            Ok(id) => Reviewer {
                kind,
                names: Vec::new(),
                id: Some(id),
            },
            Err(_) => Reviewer {
                kind,
                names: vec![written.to_string()],
                id: None,
            },
        }
    }

    /// How a person would name this reviewer: its first name, else its id.
    pub fn label(&self) -> String {
        self.names
            .first()
            .cloned()
            .or_else(|| self.id.map(|i| i.to_string()))
            .unwrap_or_else(|| "?".into())
    }

    /// Whether `wanted` (a login, slug, team name, Terraform resource name or id, of type
    /// `wanted_kind` when the declaration says it) names this reviewer. Kinds that are both
    /// known must agree: a user never satisfies a team (G1). An id matches only when both
    /// kinds are known, because user and team ids overlap.
    pub fn answers_to(&self, wanted: &str, wanted_kind: Option<ReviewerKind>) -> bool {
        if let (Some(have), Some(want)) = (self.kind, wanted_kind)
            && have != want
        {
            return false;
        }
        let want = normalised_reviewer(wanted);
        if self.names.iter().any(|n| normalised_reviewer(n) == want) {
            return true;
        }
        wanted_kind.is_some()
            && self.kind.is_some()
            && self.id.is_some_and(|i| i.to_string() == wanted.trim())
    }

    /// Known only by a number: no name can be matched against it.
    fn nameless(&self) -> bool {
        self.names.is_empty()
    }
}

/// `@acme/Payments_Leads` and `payments-leads` name the same team.
fn normalised_reviewer(name: &str) -> String {
    name.trim()
        .trim_start_matches('@')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .replace(['_', ' '], "-")
}

/// What protects an environment, each part known or not.
#[derive(Clone, Debug)]
pub struct Protection {
    pub reviewers: Known<Vec<Reviewer>>,
    pub prevent_self_review: Known<bool>,
    pub admins_can_bypass: Known<bool>,
    pub branches: Known<BranchPolicy>,
    pub wait_timer: Known<u64>,
}

impl DeclaredEnvironment {
    /// The protection this declaration gives, GitHub's defaults where a field is absent.
    pub fn protection(&self) -> Protection {
        Protection {
            reviewers: Ok(self.declared_reviewers()),
            prevent_self_review: Ok(self.prevents_self_review()),
            admins_can_bypass: Ok(self.admins_can_bypass()),
            branches: Ok(self.branch_policy.clone()),
            wait_timer: Ok(self.wait_timer.as_ref().map_or(0, |w| w.value)),
        }
    }

    pub fn declared_reviewers(&self) -> Vec<Reviewer> {
        self.reviewers
            .iter()
            .enumerate()
            .map(|(i, r)| Reviewer::declared(r, self.reviewer_kinds.get(i).copied().flatten()))
            .collect()
    }
}

/// Which branches a protected environment may deploy from, as the policy requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BranchRequirement {
    /// Any restriction will do: protected branches or named patterns.
    Restricted,
    /// Only protected branches.
    Protected,
    /// Only these patterns.
    Patterns(Vec<String>),
}

/// What a policy (`tollgate.yml`, or the production default) demands of an environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demands {
    pub required_reviewers: Vec<String>,
    pub min_reviewers: usize,
    pub prevent_self_review: bool,
    pub admins_can_bypass: bool,
    pub branches: BranchRequirement,
    pub min_wait_timer: u64,
}

/// How far short an environment falls: unprotected (no gate at all) or weaker than asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gravity {
    Unprotected,
    Weaker,
}

/// One way an environment falls short of its demands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shortfall {
    NoReviewers,
    TooFewReviewers {
        have: usize,
        need: usize,
    },
    MissingReviewer(String),
    /// Self-review is required to be prevented and is not.
    SelfReviewAllowed,
    AdminsCanBypass,
    AnyBranch,
    /// Named patterns where only protected branches are allowed.
    PatternsNotProtected,
    /// Any protected branch where only named patterns are allowed: which branches are
    /// protected is not part of the environment, so nothing bounds them to the patterns.
    ProtectedNotPatterns(Vec<String>),
    PatternNotAllowed {
        pattern: String,
        allowed: Vec<String>,
    },
    WaitTooShort {
        have: u64,
        need: u64,
    },
    /// The live state differs from the declaration, in these words (drift).
    Differs(String),
}

impl Shortfall {
    pub fn gravity(&self) -> Gravity {
        match self {
            Shortfall::NoReviewers | Shortfall::AnyBranch => Gravity::Unprotected,
            _ => Gravity::Weaker,
        }
    }

    /// The shortfall in words, for environment `env`.
    pub fn describe(&self, env: &str) -> String {
        match self {
            Shortfall::NoReviewers => format!(
                "production environment `{env}` has no required reviewers, so deployments to it need no approval"
            ),
            Shortfall::TooFewReviewers { have, need } => format!(
                "environment `{env}` has {have} required reviewer(s); the policy requires at least {need}"
            ),
            Shortfall::MissingReviewer(wanted) => {
                format!("environment `{env}` does not include the required reviewer `{wanted}`")
            }
            Shortfall::SelfReviewAllowed => {
                format!("environment `{env}` lets reviewers approve their own deployments")
            }
            Shortfall::AdminsCanBypass => {
                format!("administrators can bypass the protection rules of `{env}`")
            }
            Shortfall::AnyBranch => {
                format!("any branch can deploy to `{env}`: it has no deployment branch policy")
            }
            Shortfall::PatternsNotProtected => format!(
                "`{env}` allows named branch patterns; the policy requires protected branches only"
            ),
            Shortfall::ProtectedNotPatterns(allowed) => format!(
                "`{env}` lets any protected branch deploy; the policy allows only {}",
                allowed.join(", ")
            ),
            Shortfall::PatternNotAllowed { pattern, allowed } => format!(
                "`{env}` lets branch pattern `{pattern}` deploy; the policy allows only {}",
                allowed.join(", ")
            ),
            Shortfall::WaitTooShort { have, need } => format!(
                "environment `{env}` waits {have} minute(s) before deploying; the policy requires at least {need}"
            ),
            Shortfall::Differs(words) => words.clone(),
        }
    }
}

/// The judgement of one part of an environment's protection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Unmet(Vec<Shortfall>),
    Unknown(String),
}

impl Verdict {
    fn of(shortfalls: Vec<Shortfall>) -> Self {
        if shortfalls.is_empty() {
            Verdict::Met
        } else {
            Verdict::Unmet(shortfalls)
        }
    }

    pub fn shortfalls(&self) -> &[Shortfall] {
        match self {
            Verdict::Unmet(s) => s,
            _ => &[],
        }
    }
}

/// Reviewers: some, enough, and every required one among them. A required name cannot be
/// matched against a reviewer known only by id: that is unknown, not met.
pub fn judge_reviewers(reviewers: &Known<Vec<Reviewer>>, demands: &Demands) -> Verdict {
    let reviewers = match reviewers {
        Ok(r) => r,
        Err(reason) => return Verdict::Unknown(reason.clone()),
    };
    if reviewers.is_empty() {
        return Verdict::Unmet(vec![Shortfall::NoReviewers]);
    }
    let mut shortfalls = Vec::new();
    if reviewers.len() < demands.min_reviewers {
        shortfalls.push(Shortfall::TooFewReviewers {
            have: reviewers.len(),
            need: demands.min_reviewers,
        });
    }
    let mut unmatched_by_id = Vec::new();
    for wanted in &demands.required_reviewers {
        if reviewers.iter().any(|r| r.answers_to(wanted, None)) {
            continue;
        }
        if reviewers.iter().any(Reviewer::nameless) {
            unmatched_by_id.push(wanted.clone());
        } else {
            shortfalls.push(Shortfall::MissingReviewer(wanted.clone()));
        }
    }
    if shortfalls.is_empty() && !unmatched_by_id.is_empty() {
        let ids: Vec<String> = reviewers
            .iter()
            .filter(|r| r.nameless())
            .map(Reviewer::label)
            .collect();
        return Verdict::Unknown(format!(
            "reviewer(s) {} are known only by id, so the required {} cannot be matched to them",
            ids.join(", "),
            unmatched_by_id.join(", ")
        ));
    }
    Verdict::of(shortfalls)
}

/// Self-review: with no reviewers nothing stops the person who triggers a deployment, so a
/// demand to prevent self-review is unmet ([`Shortfall::NoReviewers`]).
pub fn judge_self_review(protection: &Protection, demands: &Demands) -> Verdict {
    if !demands.prevent_self_review {
        return Verdict::Met;
    }
    match (&protection.reviewers, &protection.prevent_self_review) {
        (Ok(r), _) if r.is_empty() => Verdict::Unmet(vec![Shortfall::NoReviewers]),
        (Err(reason), _) | (_, Err(reason)) => Verdict::Unknown(reason.clone()),
        (Ok(_), Ok(true)) => Verdict::Met,
        (Ok(_), Ok(false)) => Verdict::Unmet(vec![Shortfall::SelfReviewAllowed]),
    }
}

/// Admin bypass: when the bypass is `allowed`, any value complies, even an unread one (G8).
pub fn judge_admin_bypass(can_bypass: &Known<bool>, allowed: bool) -> Verdict {
    if allowed {
        return Verdict::Met;
    }
    match can_bypass {
        Ok(true) => Verdict::Unmet(vec![Shortfall::AdminsCanBypass]),
        Ok(false) => Verdict::Met,
        Err(reason) => Verdict::Unknown(reason.clone()),
    }
}

/// Deployment branches. An empty custom list lets no branch or tag deploy, which meets every
/// demand. A tag pattern (`tag:…`) is never one of the allowed branch patterns (G2).
pub fn judge_branches(branches: &Known<BranchPolicy>, demands: &Demands) -> Verdict {
    let branches = match branches {
        Ok(b) => b,
        Err(reason) => return Verdict::Unknown(reason.clone()),
    };
    let shortfall = match (branches, &demands.branches) {
        (BranchPolicy::Any, _) => Some(Shortfall::AnyBranch),
        (BranchPolicy::Custom(patterns), _) if patterns.is_empty() => None,
        (BranchPolicy::Custom(_), BranchRequirement::Protected) => {
            Some(Shortfall::PatternsNotProtected)
        }
        (BranchPolicy::ProtectedBranches, BranchRequirement::Patterns(allowed)) => {
            Some(Shortfall::ProtectedNotPatterns(allowed.clone()))
        }
        (BranchPolicy::Custom(patterns), BranchRequirement::Patterns(allowed)) => patterns
            .iter()
            .find(|p| !allowed.contains(p))
            .map(|extra| Shortfall::PatternNotAllowed {
                pattern: extra.clone(),
                allowed: allowed.clone(),
            }),
        _ => None,
    };
    Verdict::of(shortfall.into_iter().collect())
}

pub fn judge_wait_timer(minutes: &Known<u64>, demands: &Demands) -> Verdict {
    match minutes {
        Ok(m) if *m < demands.min_wait_timer => Verdict::Unmet(vec![Shortfall::WaitTooShort {
            have: *m,
            need: demands.min_wait_timer,
        }]),
        Ok(_) => Verdict::Met,
        Err(_) if demands.min_wait_timer == 0 => Verdict::Met,
        Err(reason) => Verdict::Unknown(reason.clone()),
    }
}

/// Every part of an environment's protection judged against its demands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub reviewers: Verdict,
    pub self_review: Verdict,
    pub admin_bypass: Verdict,
    pub branches: Verdict,
    pub wait_timer: Verdict,
}

pub fn judge(protection: &Protection, demands: &Demands) -> Judgement {
    Judgement {
        reviewers: judge_reviewers(&protection.reviewers, demands),
        self_review: judge_self_review(protection, demands),
        admin_bypass: judge_admin_bypass(&protection.admins_can_bypass, demands.admins_can_bypass),
        branches: judge_branches(&protection.branches, demands),
        wait_timer: judge_wait_timer(&protection.wait_timer, demands),
    }
}

// Declared against live (drift): the declaration's own settings, beside the policy's demands.

/// Declared reviewers missing from the live ones.
pub fn missing_reviewers<'a>(declared: &'a [Reviewer], live: &[Reviewer]) -> Vec<&'a Reviewer> {
    declared
        .iter()
        .filter(|want| {
            let written = want.label();
            !live.iter().any(|r| r.answers_to(&written, want.kind))
        })
        .collect()
}

/// Whether the live branch policy is the declared one (custom patterns as a set).
pub fn same_branches(declared: &BranchPolicy, live: &BranchPolicy) -> bool {
    match (declared, live) {
        (BranchPolicy::Custom(a), BranchPolicy::Custom(b)) => {
            a.iter().collect::<std::collections::BTreeSet<_>>()
                == b.iter().collect::<std::collections::BTreeSet<_>>()
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yaml;

    #[test]
    fn settings_environments_keep_defaults() {
        let text = "environments:\n  - name: production\n    reviewers:\n      - id: 1\n        type: Team\n  - name: staging\n    deployment_branch_policy:\n      protected_branches: true\n";
        let file = SourceFile::new(
            ".github/settings.yml".into(),
            Default::default(),
            text.into(),
            FileKind::Settings,
            yaml::parse(text).ok(),
        );
        let envs = declared_in(&file);
        assert_eq!(envs.len(), 2);
        assert_eq!(envs[0].name, "production");
        assert_eq!(envs[0].reviewers, vec!["1"]);
        assert!(!envs[0].prevents_self_review());
        assert!(envs[0].admins_can_bypass());
        assert_eq!(envs[0].branch_policy, BranchPolicy::Any);
        assert_eq!(envs[1].branch_policy, BranchPolicy::ProtectedBranches);
    }

    #[test]
    fn terraform_references_name_reviewers() {
        assert_eq!(reference_name("github_team.platform.id"), "platform");
        assert_eq!(reference_name("data.github_user.alice.id"), "alice");
        assert_eq!(reference_name("12345"), "12345");
    }

    #[test]
    fn reviewers_answer_to_login_slug_or_resource_name_never_a_display_name() {
        let team = Reviewer {
            kind: Some(ReviewerKind::Team),
            names: vec!["payments-leads".into(), "Payments Leads".into()],
            id: Some(7),
        };
        assert!(team.answers_to("payments_leads", None));
        assert!(team.answers_to("acme/payments-leads", Some(ReviewerKind::Team)));
        assert!(team.answers_to("7", Some(ReviewerKind::Team)));
        assert!(!team.answers_to("7", Some(ReviewerKind::User)));
        assert!(!team.answers_to("7", None));
        assert!(!team.answers_to("platform", None));
        // Live users carry only their login: a display name is the user's own choice (G1).
        let mallory = Reviewer {
            kind: Some(ReviewerKind::User),
            names: vec!["mallory".into()],
            id: Some(1),
        };
        assert!(!mallory.answers_to("justice-league", None));
        assert!(!mallory.answers_to("1", Some(ReviewerKind::Team)));
        assert!(mallory.answers_to("mallory", None));
    }

    fn demands() -> Demands {
        Demands {
            required_reviewers: vec!["platform".into()],
            min_reviewers: 1,
            prevent_self_review: true,
            admins_can_bypass: false,
            branches: BranchRequirement::Patterns(vec!["main".into()]),
            min_wait_timer: 0,
        }
    }

    #[test]
    fn a_reviewer_known_only_by_id_leaves_a_required_name_unknown() {
        let by_id = Ok(vec![Reviewer::declared("4242", Some("Team"))]);
        assert!(matches!(
            judge_reviewers(&by_id, &demands()),
            Verdict::Unknown(_)
        ));
        let named = Ok(vec![Reviewer::declared("platform", Some("Team"))]);
        assert_eq!(judge_reviewers(&named, &demands()), Verdict::Met);
        let other = Ok(vec![Reviewer::declared("web", Some("Team"))]);
        assert_eq!(
            judge_reviewers(&other, &demands()),
            Verdict::Unmet(vec![Shortfall::MissingReviewer("platform".into())])
        );
        assert_eq!(
            judge_reviewers(&Ok(Vec::new()), &demands()),
            Verdict::Unmet(vec![Shortfall::NoReviewers])
        );
    }

    #[test]
    fn branch_lists_empty_protected_and_tags() {
        let d = demands();
        let judge = |b: BranchPolicy| judge_branches(&Ok(b), &d);
        // An empty custom list lets nothing deploy.
        assert_eq!(judge(BranchPolicy::Custom(Vec::new())), Verdict::Met);
        assert_eq!(
            judge(BranchPolicy::Custom(vec!["main".into()])),
            Verdict::Met
        );
        assert!(matches!(
            judge(BranchPolicy::ProtectedBranches).shortfalls(),
            [Shortfall::ProtectedNotPatterns(_)]
        ));
        assert!(matches!(
            judge(BranchPolicy::Custom(vec![format!("{TAG_PREFIX}main")])).shortfalls(),
            [Shortfall::PatternNotAllowed { .. }]
        ));
        assert_eq!(
            judge(BranchPolicy::Any).shortfalls()[0].gravity(),
            Gravity::Unprotected
        );
        assert!(matches!(
            judge_branches(&Err("unread".into()), &d),
            Verdict::Unknown(_)
        ));
    }

    #[test]
    fn self_review_without_reviewers_is_unmet_and_an_unread_bypass_unknown() {
        let protection = Protection {
            reviewers: Ok(Vec::new()),
            prevent_self_review: Ok(false),
            admins_can_bypass: Err("not sent".into()),
            branches: Ok(BranchPolicy::ProtectedBranches),
            wait_timer: Ok(0),
        };
        let judgement = judge(&protection, &demands());
        assert_eq!(
            judgement.self_review,
            Verdict::Unmet(vec![Shortfall::NoReviewers])
        );
        assert!(matches!(judgement.admin_bypass, Verdict::Unknown(_)));
        // Declared allowed: any live value complies (G8).
        assert_eq!(
            judge_admin_bypass(&Err("not sent".into()), true),
            Verdict::Met
        );
    }
}
