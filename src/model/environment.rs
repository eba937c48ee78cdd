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
}
