//! The live AWS IAM side of drift: each role the repository declares (IAM JSON,
//! CloudFormation, Terraform) against the live role — trust policy, `MaxSessionDuration`,
//! inline and attached policies — as a statement-by-statement, order-insensitive diff; every
//! live role that trusts GitHub's OIDC provider without a bounded `sub`; IAM users with active
//! access keys.
//!
//! Live policy documents come back percent-encoded (as on real IAM; the Rust SDK does not
//! decode them). They are decoded and then parsed into the same statement model as the
//! declarations, so both sides are compared in one shape.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_sdk_iam::Client;
use aws_sdk_iam::config::ProvideCredentials;
use percent_encoding::percent_decode_str;
use regex::Regex;

use super::{Anchor, Control, Declared, Skipped, list};
use crate::model::iam::{self, Policy, Statement};
use crate::model::roles;
use crate::rules::iam::iam_oidc_trust_unbounded::IamOidcTrustUnbounded;
use crate::source::{FileKind, Node, Route, SourceFile, yaml};

const TARGET: &str = "aws:iam";
/// Pages of one IAM listing read before it is called truncated: a server whose answers are
/// always `IsTruncated` must not page forever.
pub const MAX_AWS_PAGES: usize = 200;

fn truncated(what: &str) -> String {
    format!("{what}: truncated after {MAX_AWS_PAGES} pages (IAM kept answering IsTruncated)")
}
/// IAM's default when a role does not set `MaxSessionDuration`.
const DEFAULT_SESSION: u64 = 3600;

// ---------------------------------------------------------------------------------------------
// The declared roles.

/// An inline policy as declared.
pub struct DeclaredInline<'a> {
    pub name: String,
    /// `None` when the document is only a reference tollgate cannot follow.
    pub policy: Option<Policy<'a>>,
    pub anchor: Anchor,
}

/// A role as the repository declares it.
pub struct DeclaredRole<'a> {
    pub name: String,
    pub path: String,
    pub trust: Policy<'a>,
    pub trust_anchor: Anchor,
    pub name_anchor: Anchor,
    /// The text as written and where; `None` when not written (IAM's default applies).
    pub max_session: Option<(String, Anchor)>,
    /// The role's IAM path as written; `None` when not written (IAM's default `/`).
    pub role_path: Option<(String, Anchor)>,
    /// The permissions boundary's policy ARN as written; `None` when none is declared.
    pub boundary: Option<(String, Anchor)>,
    /// `None` when the declaration's format cannot say which policies the role has.
    pub inline: Option<Vec<DeclaredInline<'a>>>,
    pub attached: Option<Vec<(String, Anchor)>>,
}

/// Every role declared across the repository's declaration documents, first declaration
/// of a name wins.
pub fn declared_roles(declared: &Declared) -> Vec<DeclaredRole<'_>> {
    let mut files: Vec<&SourceFile> = declared.repo.held_files().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    // Policies anywhere, by (path, route), for references across files.
    let all_policies: Vec<(&SourceFile, Policy)> = files
        .iter()
        .flat_map(|f| iam::policies(f).into_iter().map(move |p| (*f, p)))
        .collect();
    let mut out: Vec<DeclaredRole> = Vec::new();
    for file in &files {
        for role in roles::roles(file) {
            if out.iter().any(|r| r.name == role.name) {
                continue;
            }
            let trust_anchor = Anchor::at(file, &role.trust.route);
            let mut declared_role = DeclaredRole {
                name: role.name.clone(),
                path: file.path.clone(),
                trust: role.trust,
                name_anchor: trust_anchor.clone(),
                trust_anchor,
                max_session: None,
                role_path: None,
                boundary: None,
                inline: None,
                attached: None,
            };
            match file.kind {
                FileKind::Terraform => {
                    terraform_role(&mut declared_role, file, &files, &all_policies)
                }
                FileKind::CloudFormation => {
                    cloudformation_role(&mut declared_role, file, &all_policies)
                }
                FileKind::IamJson => json_role(&mut declared_role, file, &files, &all_policies),
                _ => {}
            }
            out.push(declared_role);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A customer-managed policy the repository declares (`aws_iam_policy`), by its Terraform
/// label: its name and path as written, and its document when tollgate can read it.
pub struct DeclaredManaged<'a> {
    pub label: String,
    pub name: Option<String>,
    pub path: String,
    pub policy: Option<Policy<'a>>,
}

pub fn declared_managed(declared: &Declared) -> Vec<DeclaredManaged<'_>> {
    let files: Vec<&SourceFile> = declared.repo.held_files().collect();
    let all: Vec<(&SourceFile, Policy)> = files
        .iter()
        .flat_map(|f| iam::policies(f).into_iter().map(move |p| (*f, p)))
        .collect();
    let mut out = Vec::new();
    let base = Route::root().key("resource").key("aws_iam_policy");
    for file in files.iter().filter(|f| f.kind == FileKind::Terraform) {
        let Some(policies) = file.root.as_ref().and_then(|r| r.at(&base)) else {
            continue;
        };
        for (label, body) in policies.entries() {
            let name = body
                .get_str("name")
                .filter(|n| !unresolved(n))
                .map(str::to_string);
            let path = body.get_str("path").unwrap_or("/").to_string();
            let policy = policy_at(&all, &file.path, &base.key(label).key("policy"))
                .or_else(|| referenced_document(body.get_str("policy"), &all));
            out.push(DeclaredManaged {
                label: label.to_string(),
                name,
                path,
                policy,
            });
        }
    }
    out
}

/// `aws_iam_policy.LABEL.arn` (or `${…}`) → LABEL.
fn managed_label(text: &str) -> Option<&str> {
    let text = text.trim().trim_start_matches("${").trim_end_matches('}');
    text.strip_prefix("aws_iam_policy.")?.strip_suffix(".arn")
}

fn policy_at<'a>(
    all: &[(&'a SourceFile, Policy<'a>)],
    path: &str,
    route: &Route,
) -> Option<Policy<'a>> {
    all.iter()
        .find(|(f, p)| f.path == path && p.route == *route)
        .map(|(_, p)| p.clone())
}

fn scalar_anchor(file: &SourceFile, route: &Route) -> Option<(String, Anchor)> {
    let text = file.root.as_ref()?.at(route)?.as_str()?.to_string();
    Some((text, Anchor::at(file, route)))
}

/// Like [`scalar_anchor`], but a value that is written and is not a plain string (a
/// CloudFormation `!Ref` or `Fn::Sub` mapping) is kept as an unresolved `${…}`, so the
/// comparison is unknown rather than taken as not declared.
fn written_anchor(file: &SourceFile, route: &Route) -> Option<(String, Anchor)> {
    let node = file.root.as_ref()?.at(route)?;
    let text = node
        .as_str()
        .map_or_else(|| "${(an expression)}".to_string(), str::to_string);
    Some((text, Anchor::at(file, route)))
}

/// Whether a Terraform `role = …` names the role with this label or name.
fn names_tf_role(text: &str, label: &str, name: &str) -> bool {
    let text = text.trim();
    text == name
        || text.starts_with(&format!("aws_iam_role.{label}."))
        || text.contains(&format!("${{aws_iam_role.{label}."))
}

fn terraform_role<'a>(
    role: &mut DeclaredRole<'a>,
    file: &'a SourceFile,
    files: &[&'a SourceFile],
    all: &[(&'a SourceFile, Policy<'a>)],
) {
    let Some(root) = &file.root else { return };
    let base = Route::root().key("resource").key("aws_iam_role");
    let Some((label, body)) = root.at(&base).and_then(|roles| {
        roles
            .entries()
            .find(|(label, body)| body.get_str("name").unwrap_or(label) == role.name)
    }) else {
        return;
    };
    let route = base.key(label);
    role.name_anchor = Anchor::at(file, &route.key("name"));
    role.max_session = scalar_anchor(file, &route.key("max_session_duration"));
    role.role_path = written_anchor(file, &route.key("path"));
    role.boundary = written_anchor(file, &route.key("permissions_boundary"));
    let mut inline = Vec::new();
    if let Some(blocks) = body.get("inline_policy") {
        for (i, block) in blocks.items().into_iter().enumerate() {
            let block_route = match blocks.as_seq() {
                Some(_) => route.key("inline_policy").index(i),
                None => route.key("inline_policy"),
            };
            let name = block.get_str("name").unwrap_or("inline").to_string();
            let policy = policy_at(all, &file.path, &block_route.key("policy"))
                .or_else(|| referenced_document(block.get_str("policy"), all));
            inline.push(DeclaredInline {
                name,
                policy,
                anchor: Anchor::at(file, &block_route),
            });
        }
    }
    let mut attached: Vec<(String, Anchor)> = Vec::new();
    if let Some(arns) = body.get("managed_policy_arns") {
        for (i, arn) in arns.items().into_iter().enumerate() {
            if let Some(text) = arn.as_str() {
                let arn_route = route.key("managed_policy_arns").index(i);
                attached.push((text.to_string(), Anchor::at(file, &arn_route)));
            }
        }
    }
    for other in files.iter().filter(|f| f.kind == FileKind::Terraform) {
        let Some(other_root) = &other.root else {
            continue;
        };
        let resources = Route::root().key("resource");
        if let Some(policies) = other_root.at(&resources.key("aws_iam_role_policy")) {
            for (policy_label, policy_body) in policies.entries() {
                if !policy_body
                    .get_str("role")
                    .is_some_and(|r| names_tf_role(r, label, &role.name))
                {
                    continue;
                }
                let policy_route = resources.key("aws_iam_role_policy").key(policy_label);
                let policy = policy_at(all, &other.path, &policy_route.key("policy"))
                    .or_else(|| referenced_document(policy_body.get_str("policy"), all));
                inline.push(DeclaredInline {
                    name: policy_body
                        .get_str("name")
                        .unwrap_or(policy_label)
                        .to_string(),
                    policy,
                    anchor: Anchor::at(other, &policy_route),
                });
            }
        }
        if let Some(attachments) = other_root.at(&resources.key("aws_iam_role_policy_attachment")) {
            for (attachment_label, attachment) in attachments.entries() {
                if !attachment
                    .get_str("role")
                    .is_some_and(|r| names_tf_role(r, label, &role.name))
                {
                    continue;
                }
                if let Some(arn) = attachment.get_str("policy_arn") {
                    let arn_route = resources
                        .key("aws_iam_role_policy_attachment")
                        .key(attachment_label)
                        .key("policy_arn");
                    attached.push((arn.to_string(), Anchor::at(other, &arn_route)));
                }
            }
        }
    }
    role.inline = Some(inline);
    role.attached = Some(attached);
}

/// `data.aws_iam_policy_document.NAME.json`, followed to the document.
fn referenced_document<'a>(
    text: Option<&str>,
    all: &[(&'a SourceFile, Policy<'a>)],
) -> Option<Policy<'a>> {
    let text = text?.trim().trim_start_matches("${").trim_end_matches('}');
    let name = text
        .strip_prefix("data.aws_iam_policy_document.")?
        .strip_suffix(".json")?;
    let route = Route::root()
        .key("data")
        .key("aws_iam_policy_document")
        .key(name);
    all.iter()
        .find(|(_, p)| p.route == route)
        .map(|(_, p)| p.clone())
}

fn cloudformation_role<'a>(
    role: &mut DeclaredRole<'a>,
    file: &'a SourceFile,
    all: &[(&'a SourceFile, Policy<'a>)],
) {
    let Some(root) = &file.root else { return };
    let Some(resources) = root.get("Resources") else {
        return;
    };
    let Some(logical) = resources.entries().find_map(|(logical, resource)| {
        let is_role = resource.get_str("Type") == Some("AWS::IAM::Role");
        let name = resource
            .get("Properties")
            .and_then(|p| p.get_str("RoleName"))
            .filter(|n| !n.contains("${"))
            .unwrap_or(logical);
        (is_role && name == role.name).then_some(logical)
    }) else {
        return;
    };
    let props = Route::root()
        .key("Resources")
        .key(logical)
        .key("Properties");
    role.name_anchor = Anchor::at(file, &Route::root().key("Resources").key(logical));
    role.max_session = scalar_anchor(file, &props.key("MaxSessionDuration"));
    role.role_path = written_anchor(file, &props.key("Path"));
    role.boundary = written_anchor(file, &props.key("PermissionsBoundary"));
    let mut inline = Vec::new();
    if let Some(items) = root.at(&props.key("Policies")).and_then(Node::as_seq) {
        for (i, item) in items.iter().enumerate() {
            let item_route = props.key("Policies").index(i);
            inline.push(DeclaredInline {
                name: item.get_str("PolicyName").unwrap_or("inline").to_string(),
                policy: policy_at(all, &file.path, &item_route.key("PolicyDocument")),
                anchor: Anchor::at(file, &item_route),
            });
        }
    }
    // AWS::IAM::Policy resources naming this role.
    for (policy_logical, resource) in resources.entries() {
        if resource.get_str("Type") != Some("AWS::IAM::Policy") {
            continue;
        }
        let Some(policy_props) = resource.get("Properties") else {
            continue;
        };
        let names_role = policy_props
            .get("Roles")
            .map(|r| {
                r.items()
                    .into_iter()
                    .filter_map(Node::as_str)
                    .any(|r| r == logical || r == role.name)
            })
            .unwrap_or(false);
        if !names_role {
            continue;
        }
        let route = Route::root()
            .key("Resources")
            .key(policy_logical)
            .key("Properties");
        inline.push(DeclaredInline {
            name: policy_props
                .get_str("PolicyName")
                .unwrap_or(policy_logical)
                .to_string(),
            policy: policy_at(all, &file.path, &route.key("PolicyDocument")),
            anchor: Anchor::at(file, &route),
        });
    }
    let mut attached = Vec::new();
    if let Some(arns) = root
        .at(&props.key("ManagedPolicyArns"))
        .and_then(Node::as_seq)
    {
        for (i, arn) in arns.iter().enumerate() {
            if let Some(text) = arn.as_str() {
                attached.push((
                    text.to_string(),
                    Anchor::at(file, &props.key("ManagedPolicyArns").index(i)),
                ));
            }
        }
    }
    role.inline = Some(inline);
    role.attached = Some(attached);
}

/// IAM JSON: `aws iam create-role` input (`RoleName`, `AssumeRolePolicyDocument`,
/// `MaxSessionDuration`), with `put-role-policy` (`RoleName`, `PolicyName`, `PolicyDocument`)
/// and `attach-role-policy` (`RoleName`, `PolicyArn`) inputs in other files.
fn json_role<'a>(
    role: &mut DeclaredRole<'a>,
    file: &'a SourceFile,
    files: &[&'a SourceFile],
    all: &[(&'a SourceFile, Policy<'a>)],
) {
    let Some(root) = &file.root else { return };
    if root.get("RoleName").is_some() {
        role.name_anchor = Anchor::at(file, &Route::root().key("RoleName"));
        role.max_session = scalar_anchor(file, &Route::root().key("MaxSessionDuration"));
        role.role_path = written_anchor(file, &Route::root().key("Path"));
        role.boundary = written_anchor(file, &Route::root().key("PermissionsBoundary"));
    }
    let mut inline = Vec::new();
    let mut attached = Vec::new();
    let mut declares = false;
    for other in files.iter().filter(|f| f.kind == FileKind::IamJson) {
        let Some(other_root) = &other.root else {
            continue;
        };
        if other_root.get_str("RoleName") != Some(role.name.as_str()) {
            continue;
        }
        if let Some(name) = other_root.get_str("PolicyName") {
            declares = true;
            inline.push(DeclaredInline {
                name: name.to_string(),
                policy: policy_at(all, &other.path, &Route::root().key("PolicyDocument")),
                anchor: Anchor::at(other, &Route::root().key("PolicyName")),
            });
        }
        if let Some(arn) = other_root.get_str("PolicyArn") {
            declares = true;
            attached.push((
                arn.to_string(),
                Anchor::at(other, &Route::root().key("PolicyArn")),
            ));
        }
    }
    if declares {
        role.inline = Some(inline);
        role.attached = Some(attached);
    }
}

// ---------------------------------------------------------------------------------------------
// Statements in one canonical, order-insensitive shape.

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Canon {
    pub effect: String,
    pub action_key: &'static str,
    pub actions: Vec<String>,
    pub resource_key: &'static str,
    pub resources: Vec<String>,
    pub principals: Vec<(String, String)>,
    /// (operator, key, values), keys lower-cased as IAM compares them.
    pub conditions: Vec<(String, String, Vec<String>)>,
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items.dedup();
    items
}

pub fn canon(statement: &Statement) -> Canon {
    let mut principals: Vec<(String, String)> = statement
        .principals
        .iter()
        .map(|p| {
            let kind = if p.kind == "*" {
                "AWS".to_string()
            } else {
                p.kind.clone()
            };
            (kind, p.value.text.to_string())
        })
        .collect();
    principals.sort();
    principals.dedup();
    let mut conditions: Vec<(String, String, Vec<String>)> = statement
        .conditions
        .iter()
        .map(|c| {
            (
                c.operator.clone(),
                c.key.to_ascii_lowercase(),
                sorted(c.values.iter().map(|v| v.text.to_string()).collect()),
            )
        })
        .collect();
    conditions.sort();
    Canon {
        effect: if statement.allow { "Allow" } else { "Deny" }.to_string(),
        action_key: if statement.not_action {
            "NotAction"
        } else {
            "Action"
        },
        actions: sorted(
            statement
                .actions
                .iter()
                .map(|a| a.text.to_ascii_lowercase())
                .collect(),
        ),
        resource_key: if statement.not_resource {
            "NotResource"
        } else {
            "Resource"
        },
        resources: sorted(
            statement
                .resources
                .iter()
                .map(|r| r.text.to_string())
                .collect(),
        ),
        principals,
        conditions,
    }
}

impl Canon {
    pub fn words(&self) -> String {
        let mut text = format!(
            "{} {} [{}]",
            self.effect,
            self.action_key,
            self.actions.join(", ")
        );
        if !self.resources.is_empty() {
            text.push_str(&format!(
                " {} [{}]",
                self.resource_key,
                self.resources.join(", ")
            ));
        }
        if !self.principals.is_empty() {
            let principals: Vec<String> = self
                .principals
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            text.push_str(&format!(" Principal [{}]", principals.join(", ")));
        }
        for (op, key, values) in &self.conditions {
            text.push_str(&format!(" Condition {op} {key} = [{}]", values.join(", ")));
        }
        text
    }
}

static REFERENCE: std::sync::LazyLock<Option<Regex>> = std::sync::LazyLock::new(|| {
    Regex::new(r"^(?:data|var|local|module|aws_[a-z0-9_]+)\.[A-Za-z0-9_.\[\]-]+$").ok()
});

/// Whether a declared value (which may hold `${…}` interpolations or be a Terraform
/// reference, known only at apply time) matches a live value.
pub fn value_matches(declared: &str, live: &str) -> bool {
    if declared == live {
        return true;
    }
    if REFERENCE
        .as_ref()
        .is_some_and(|r| r.is_match(declared.trim()))
    {
        return true;
    }
    if !declared.contains("${") {
        return false;
    }
    let mut pattern = String::from("^");
    let mut rest = declared;
    while let Some(start) = rest.find("${") {
        pattern.push_str(&regex::escape(&rest[..start]));
        pattern.push_str(".*");
        rest = rest[start..]
            .find('}')
            .map_or("", |end| &rest[start + end + 1..]);
    }
    pattern.push_str(&regex::escape(rest));
    pattern.push('$');
    Regex::new(&pattern).is_ok_and(|r| r.is_match(live))
}

/// Whether a declared value is known only when applied: a Terraform reference or a value
/// with `${…}` interpolations. Such a value can match a live one only conditionally, so a
/// comparison that passes through it is unknown, never compliant (A2).
pub fn unresolved(declared: &str) -> bool {
    declared.contains("${")
        || REFERENCE
            .as_ref()
            .is_some_and(|r| r.is_match(declared.trim()))
}

/// The unresolved values of declared statements, for the reason of an unknown control.
fn unresolved_values(statements: &[Canon]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for statement in statements {
        let values = statement
            .actions
            .iter()
            .chain(&statement.resources)
            .chain(statement.principals.iter().map(|(_, v)| v))
            .chain(statement.conditions.iter().flat_map(|(_, _, v)| v));
        for value in values {
            if unresolved(value) && !out.contains(value) {
                out.push(value.clone());
            }
        }
    }
    out
}

fn unresolved_reason(values: &[String]) -> String {
    format!(
        "matches live only if {} resolve{} to the live value{} when applied; tollgate does not evaluate Terraform references",
        list(&values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>()),
        if values.len() == 1 { "s" } else { "" },
        if values.len() == 1 { "" } else { "s" },
    )
}

fn values_match(declared: &[String], live: &[String]) -> bool {
    declared
        .iter()
        .all(|d| live.iter().any(|l| value_matches(d, l)))
        && live
            .iter()
            .all(|l| declared.iter().any(|d| value_matches(d, l)))
}

fn pairs_match(declared: &[(String, String)], live: &[(String, String)]) -> bool {
    let ok = |a: &(String, String), b: &(String, String)| a.0 == b.0 && value_matches(&a.1, &b.1);
    declared.iter().all(|d| live.iter().any(|l| ok(d, l)))
        && live.iter().all(|l| declared.iter().any(|d| ok(d, l)))
}

fn conditions_match(
    declared: &[(String, String, Vec<String>)],
    live: &[(String, String, Vec<String>)],
) -> bool {
    declared.len() == live.len()
        && declared.iter().all(|d| {
            live.iter()
                .any(|l| d.0.eq_ignore_ascii_case(&l.0) && d.1 == l.1 && values_match(&d.2, &l.2))
        })
}

pub fn statements_match(declared: &Canon, live: &Canon) -> bool {
    declared.effect == live.effect
        && declared.action_key == live.action_key
        && values_match(&declared.actions, &live.actions)
        && (declared.resource_key == live.resource_key
            || declared.resources.is_empty() && live.resources.is_empty())
        && values_match(&declared.resources, &live.resources)
        && pairs_match(&declared.principals, &live.principals)
        && conditions_match(&declared.conditions, &live.conditions)
}

/// Field-level differences between one declared and one live statement.
fn field_diff(declared: &Canon, live: &Canon) -> Vec<String> {
    let mut out = Vec::new();
    if declared.effect != live.effect {
        out.push(format!(
            "Effect: declared {}, live {}",
            declared.effect, live.effect
        ));
    }
    if declared.action_key != live.action_key || !values_match(&declared.actions, &live.actions) {
        out.push(format!(
            "{}: declared [{}], live {} [{}]",
            declared.action_key,
            declared.actions.join(", "),
            live.action_key,
            live.actions.join(", ")
        ));
    }
    if !values_match(&declared.resources, &live.resources) {
        out.push(format!(
            "{}: declared [{}], live [{}]",
            declared.resource_key,
            declared.resources.join(", "),
            live.resources.join(", ")
        ));
    }
    if !pairs_match(&declared.principals, &live.principals) {
        let words = |p: &[(String, String)]| {
            p.iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(format!(
            "Principal: declared [{}], live [{}]",
            words(&declared.principals),
            words(&live.principals)
        ));
    }
    let mut keys: Vec<(String, String)> = declared
        .conditions
        .iter()
        .chain(&live.conditions)
        .map(|(op, key, _)| (op.clone(), key.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    for (op, key) in keys {
        let find = |c: &[(String, String, Vec<String>)]| {
            c.iter()
                .find(|(o, k, _)| *o == op && *k == key)
                .map(|(_, _, v)| v.clone())
        };
        match (find(&declared.conditions), find(&live.conditions)) {
            (Some(d), Some(l)) if values_match(&d, &l) => {}
            (Some(d), Some(l)) => out.push(format!(
                "Condition {op} {key}: declared [{}], live [{}]",
                d.join(", "),
                l.join(", ")
            )),
            (Some(d), None) => out.push(format!(
                "Condition {op} {key} = [{}] is declared but missing live",
                d.join(", ")
            )),
            (None, Some(l)) => out.push(format!(
                "Condition {op} {key} = [{}] is live but not declared",
                l.join(", ")
            )),
            (None, None) => {}
        }
    }
    out
}

/// The statement-by-statement diff of two policies, order-insensitive; empty when they match.
pub fn policy_diff(declared: &[Canon], live: &[Canon]) -> Vec<String> {
    let mut unmatched_live: Vec<&Canon> = live.iter().collect();
    let mut unmatched_declared: Vec<&Canon> = Vec::new();
    for d in declared {
        match unmatched_live.iter().position(|l| statements_match(d, l)) {
            Some(i) => {
                unmatched_live.remove(i);
            }
            None => unmatched_declared.push(d),
        }
    }
    if let ([d], [l]) = (unmatched_declared.as_slice(), unmatched_live.as_slice()) {
        let fields = field_diff(d, l);
        if !fields.is_empty() {
            return fields;
        }
    }
    let mut out: Vec<String> = unmatched_declared
        .iter()
        .map(|d| format!("declared statement missing live: {}", d.words()))
        .collect();
    out.extend(
        unmatched_live
            .iter()
            .map(|l| format!("live statement not declared: {}", l.words())),
    );
    out
}

/// A live policy document (percent-encoded JSON) as a parsed file.
pub fn live_document(name: &str, encoded: &str) -> Result<SourceFile, String> {
    let text = percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|e| format!("{name}: the policy document is not UTF-8 ({e})"))?
        .into_owned();
    let root = yaml::parse(&text)
        .map_err(|e| format!("{name}: the policy document is not JSON ({})", e.message))?;
    Ok(SourceFile::new(
        name.to_string(),
        PathBuf::new(),
        text,
        FileKind::IamJson,
        Some(root),
    ))
}

fn canon_of(file: &SourceFile) -> Vec<Canon> {
    iam::policies(file)
        .iter()
        .flat_map(|p| p.statements.iter().map(canon))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The scan.

/// Whether anything in the standard chain is configured. The chain's last step asks the EC2
/// instance metadata service, which off AWS only times out; it is tried only on EC2.
fn aws_configured() -> bool {
    let env = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ROLE_ARN",
    ];
    if env
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
    {
        return true;
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let files = [
        std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").map(PathBuf::from),
        std::env::var_os("AWS_CONFIG_FILE").map(PathBuf::from),
        home.as_ref().map(|h| h.join(".aws/credentials")),
        home.as_ref().map(|h| h.join(".aws/config")),
    ];
    if files.iter().flatten().any(|f| f.is_file()) {
        return true;
    }
    std::fs::read_to_string("/sys/class/dmi/id/sys_vendor").is_ok_and(|v| v.contains("Amazon"))
}

pub async fn scan(declared: &Declared) -> (Vec<Control>, Vec<Skipped>) {
    let skip = |reason: String| {
        (
            Vec::new(),
            vec![Skipped {
                target: TARGET.into(),
                reason,
            }],
        )
    };
    if !aws_configured() {
        return skip(
            "skipped: no AWS credentials configured (AWS_PROFILE, AWS_ACCESS_KEY_ID, a shared config file, web identity or a container role)".into(),
        );
    }
    let conf = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let Some(provider) = conf.credentials_provider() else {
        return skip("skipped: no AWS credentials provider".into());
    };
    match tokio::time::timeout(Duration::from_secs(20), provider.provide_credentials()).await {
        Err(_) => {
            return skip("skipped: the AWS credential chain did not answer within 20s".into());
        }
        Ok(Err(e)) => return skip(format!("skipped: no AWS credentials: {e}")),
        Ok(Ok(_)) => {}
    }
    let mut builder = aws_sdk_iam::config::Builder::from(&conf);
    if conf.region().is_none() {
        // IAM is global; the SDK still wants a region to sign with.
        builder = builder.region(aws_config::Region::new("us-east-1"));
    }
    let iam = Client::from_conf(builder.build());
    let roles = declared_roles(declared);
    let managed = declared_managed(declared);
    let mut controls = Vec::new();
    for role in &roles {
        controls.extend(role_controls(&iam, role, &managed).await);
    }
    controls.extend(trust_bound_controls(&iam, declared, &roles).await);
    for entry in &declared.config.break_glass {
        controls.push(break_glass_control(&iam, declared, entry).await);
    }
    controls.extend(user_key_controls(&iam, SystemTime::now()).await);
    (controls, Vec::new())
}

fn sdk_error<E: std::error::Error>(what: &str, e: &E) -> String {
    let mut text = format!("{what} failed: {e}");
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    text
}

async fn role_controls(
    iam: &Client,
    role: &DeclaredRole<'_>,
    managed: &[DeclaredManaged<'_>],
) -> Vec<Control> {
    let subject = format!("role `{}`", role.name);
    let exists = Control::new("role-exists", TARGET, &subject)
        .declared(format!("declared in {}", role.path))
        .at(Some(role.name_anchor.clone()));
    let live = match iam.get_role().role_name(&role.name).send().await {
        Ok(output) => output.role,
        Err(e) => {
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception())
            {
                return vec![
                    exists
                        .live("no such role")
                        .drifted(vec![format!("role `{}` does not exist live", role.name)]),
                ];
            }
            let reason = sdk_error("iam:GetRole", &e);
            return [
                "role-exists",
                "role-trust-policy",
                "role-max-session-duration",
                "role-path",
                "role-permissions-boundary",
                "role-inline-policies",
                "role-attached-policies",
            ]
            .iter()
            .map(|c| Control::new(c, TARGET, &subject).unknown(reason.clone()))
            .collect();
        }
    };
    let Some(live) = live else {
        return vec![exists.unknown("iam:GetRole returned no role")];
    };
    let mut controls = vec![exists.live(live.arn.clone()).compliant()];

    // Trust policy.
    let declared_trust: Vec<Canon> = role.trust.statements.iter().map(canon).collect();
    let trust = Control::new("role-trust-policy", TARGET, &subject)
        .declared(format!(
            "{} statement(s) in {}",
            declared_trust.len(),
            role.path
        ))
        .at(Some(role.trust_anchor.clone()));
    controls.push(
        match live
            .assume_role_policy_document
            .as_deref()
            .map(|d| live_document(&format!("{} trust", role.name), d))
        {
            None => trust.unknown("iam:GetRole returned no AssumeRolePolicyDocument"),
            Some(Err(reason)) => trust.unknown(reason),
            Some(Ok(file)) => {
                let live_trust = canon_of(&file);
                let diff = policy_diff(&declared_trust, &live_trust);
                let pending = unresolved_values(&declared_trust);
                let trust = trust.live(format!("{} statement(s)", live_trust.len()));
                if diff.is_empty() && !pending.is_empty() {
                    trust.unknown(unresolved_reason(&pending))
                } else {
                    trust.judged(diff.is_empty(), diff)
                }
            }
        },
    );

    // MaxSessionDuration.
    let live_session = live.max_session_duration.map(|s| s as u64);
    let (declared_text, anchor) = match &role.max_session {
        Some((text, anchor)) => (text.clone(), Some(anchor.clone())),
        None => (
            format!("{DEFAULT_SESSION} (not written: IAM's default)"),
            Some(role.name_anchor.clone()),
        ),
    };
    let session = Control::new("role-max-session-duration", TARGET, &subject)
        .declared(format!("{declared_text} s"))
        .at(anchor);
    let declared_seconds = match &role.max_session {
        Some((text, _)) => text.trim().parse::<u64>().ok(),
        None => Some(DEFAULT_SESSION),
    };
    controls.push(match (declared_seconds, live_session) {
        (None, _) => session.unknown(format!(
            "the declared value `{declared_text}` is only known when applied"
        )),
        (_, None) => session.unknown("iam:GetRole returned no MaxSessionDuration"),
        (Some(want), Some(got)) => session.live(format!("{got} s")).judged(
            want == got,
            vec![format!(
                "MaxSessionDuration: declared {want} s, live {got} s"
            )],
        ),
    });

    controls.push(path_control(role, &subject, live.path.as_str()));
    controls.push(boundary_control(
        role,
        &subject,
        live.permissions_boundary
            .as_ref()
            .and_then(|b| b.permissions_boundary_arn.as_deref()),
    ));

    // Inline policies.
    let inline = Control::new("role-inline-policies", TARGET, &subject);
    controls.push(match &role.inline {
        None => inline.unknown(format!("{} declares only the trust policy, not which policies the role has", role.path)),
        Some(declared_inline) => {
            let inline = inline
                .declared(if declared_inline.is_empty() {
                    "none".to_string()
                } else {
                    list(&declared_inline.iter().map(|p| format!("`{}`", p.name)).collect::<Vec<_>>())
                })
                .at(declared_inline.first().map(|p| p.anchor.clone()).or_else(|| Some(role.name_anchor.clone())));
            match live_inline(iam, &role.name).await {
                Err(reason) => inline.unknown(reason),
                Ok(live_policies) => {
                    let mut diff = Vec::new();
                    let mut unknown = Vec::new();
                    for d in declared_inline {
                        match live_policies.get(&d.name) {
                            None => diff.push(format!("inline policy `{}` is declared but missing live", d.name)),
                            Some(Err(reason)) => unknown.push(reason.clone()),
                            Some(Ok(live_statements)) => match &d.policy {
                                None => unknown.push(format!("inline policy `{}`: the declared document is a reference tollgate cannot follow", d.name)),
                                Some(policy) => {
                                    let declared_statements: Vec<Canon> = policy.statements.iter().map(canon).collect();
                                    let pending = unresolved_values(&declared_statements);
                                    if !pending.is_empty() {
                                        unknown.push(format!("inline policy `{}` {}", d.name, unresolved_reason(&pending)));
                                    }
                                    diff.extend(
                                        policy_diff(&declared_statements, live_statements)
                                            .into_iter()
                                            .map(|line| format!("inline policy `{}`: {line}", d.name)),
                                    );
                                }
                            },
                        }
                    }
                    for name in live_policies.keys() {
                        if !declared_inline.iter().any(|d| &d.name == name) {
                            diff.push(format!("inline policy `{name}` exists live but is not declared"));
                        }
                    }
                    let live_words = list(&live_policies.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>());
                    let control = inline.live(live_words);
                    if !diff.is_empty() {
                        control.drifted(diff)
                    } else if !unknown.is_empty() {
                        control.unknown(unknown.join("; "))
                    } else {
                        control.compliant()
                    }
                }
            }
        }
    });

    // Attached managed policies.
    let attached = Control::new("role-attached-policies", TARGET, &subject);
    controls.push(match &role.attached {
        None => attached.unknown(format!(
            "{} declares only the trust policy, not which policies the role has",
            role.path
        )),
        Some(declared_arns) => {
            let attached = attached
                .declared(list(
                    &declared_arns
                        .iter()
                        .map(|(a, _)| format!("`{a}`"))
                        .collect::<Vec<_>>(),
                ))
                .at(declared_arns
                    .first()
                    .map(|(_, a)| a.clone())
                    .or_else(|| Some(role.name_anchor.clone())));
            match live_attached(iam, &role.name).await {
                Err(reason) => attached.unknown(reason),
                Ok(live_arns) => {
                    let mut diff = Vec::new();
                    let mut pending: Vec<String> = Vec::new();
                    let mut unknown: Vec<String> = Vec::new();
                    let mut matched: Vec<&String> = Vec::new();
                    for (arn, _) in declared_arns {
                        // A policy this repository declares: its ARN ends in its path and
                        // name, and its live document must be the declared one (A3).
                        if let Some(declared_policy) = managed_label(arn)
                            .and_then(|label| managed.iter().find(|m| m.label == label))
                        {
                            let Some(name) = &declared_policy.name else {
                                pending.push(arn.clone());
                                continue;
                            };
                            let suffix = format!(":policy{}{name}", declared_policy.path);
                            let Some(live_arn) = live_arns
                                .iter()
                                .find(|l| l.starts_with("arn:aws") && l.ends_with(&suffix))
                            else {
                                diff.push(format!("`{arn}` (policy `{name}`) is declared but not attached live"));
                                continue;
                            };
                            matched.push(live_arn);
                            match &declared_policy.policy {
                                None => unknown.push(format!("policy `{name}`: the declared document is a reference tollgate cannot follow")),
                                Some(policy) => match live_managed_document(iam, live_arn).await {
                                    Err(reason) => unknown.push(reason),
                                    Ok(live_statements) => {
                                        let declared_statements: Vec<Canon> = policy.statements.iter().map(canon).collect();
                                        let lines = policy_diff(&declared_statements, &live_statements);
                                        diff.extend(lines.into_iter().map(|l| format!("policy `{name}`: {l}")));
                                        let unresolved_here = unresolved_values(&declared_statements);
                                        if !unresolved_here.is_empty() {
                                            unknown.push(format!("policy `{name}` {}", unresolved_reason(&unresolved_here)));
                                        }
                                    }
                                },
                            }
                            continue;
                        }
                        if unresolved(arn) {
                            pending.push(arn.clone());
                            continue;
                        }
                        match live_arns.iter().find(|l| value_matches(arn, l)) {
                            Some(l) => matched.push(l),
                            None => diff.push(format!("`{arn}` is declared but not attached live")),
                        }
                    }
                    let extra: Vec<&String> = live_arns
                        .iter()
                        .filter(|l| !matched.contains(l))
                        .collect();
                    if pending.is_empty() {
                        for live_arn in &extra {
                            diff.push(format!("`{live_arn}` is attached live but not declared"));
                        }
                    } else {
                        unknown.push(format!(
                            "declared {}; live {}",
                            unresolved_reason(&pending),
                            list(&extra.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>())
                        ));
                    }
                    let control = attached.live(list(
                        &live_arns
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>(),
                    ));
                    if !diff.is_empty() {
                        control.drifted(diff)
                    } else if !unknown.is_empty() {
                        control.unknown(unknown.join("; "))
                    } else {
                        control.compliant()
                    }
                }
            }
        }
    });
    controls
}

/// A break-glass role live: its session length against `max_ttl`, and its last use, which
/// IAM keeps for 400 days. A use is a control to review (drifted), with its date and region;
/// IAM keeps only the last one, so uses before it are not listed.
/// The role's IAM path (A4): a role moved out of the path its policies and SCPs select is
/// no longer the role they govern.
fn path_control(role: &DeclaredRole<'_>, subject: &str, live: &str) -> Control {
    let (declared, anchor) = match &role.role_path {
        Some((text, anchor)) => (text.clone(), anchor.clone()),
        None => ("/".to_string(), role.name_anchor.clone()),
    };
    let words = if role.role_path.is_some() {
        format!("`{declared}`")
    } else {
        "`/` (not written: IAM's default)".to_string()
    };
    let control = Control::new("role-path", TARGET, subject)
        .declared(words)
        .at(Some(anchor));
    if unresolved(&declared) {
        return control
            .live(format!("`{live}`"))
            .unknown(unresolved_reason(&[declared]));
    }
    control.live(format!("`{live}`")).judged(
        declared == live,
        vec![format!("path: declared `{declared}`, live `{live}`")],
    )
}

/// The role's permissions boundary (A5): the ceiling on what its policies can grant. A
/// declared boundary missing live lets the role do all its policies allow.
fn boundary_control(role: &DeclaredRole<'_>, subject: &str, live: Option<&str>) -> Control {
    let control = Control::new("role-permissions-boundary", TARGET, subject).at(Some(
        role.boundary
            .as_ref()
            .map_or_else(|| role.name_anchor.clone(), |(_, a)| a.clone()),
    ));
    let live_words = live.map_or_else(|| "no boundary".to_string(), |arn| format!("`{arn}`"));
    match (&role.boundary, live) {
        (None, None) => control.declared("no boundary").live(live_words).compliant(),
        (None, Some(arn)) => control
            .declared("no boundary")
            .live(live_words)
            .drifted(vec![format!(
                "permissions boundary `{arn}` is set live but not declared"
            )]),
        (Some((declared, _)), live) => {
            let control = control.declared(format!("`{declared}`")).live(live_words);
            match live {
                None => control.drifted(vec![format!(
                    "the declared permissions boundary `{declared}` is not set live: the role is bounded only by its own policies"
                )]),
                Some(_) if unresolved(declared) => {
                    control.unknown(unresolved_reason(std::slice::from_ref(declared)))
                }
                Some(arn) => control.judged(
                    value_matches(declared, arn),
                    vec![format!(
                        "permissions boundary: declared `{declared}`, live `{arn}`"
                    )],
                ),
            }
        }
    }
}

async fn break_glass_control(
    iam: &Client,
    declared: &Declared,
    entry: &crate::config::BreakGlass,
) -> Control {
    let subject = format!("break-glass role `{}`", entry.role);
    let control = Control::new("break-glass-use", TARGET, &subject)
        .declared(match entry.max_ttl {
            Some(ttl) => format!("used rarely, sessions at most {ttl} s (tollgate.yml)"),
            None => "used rarely (tollgate.yml)".to_string(),
        })
        .at(declared.config_anchor(Some(entry.line)));
    let role = match iam.get_role().role_name(&entry.role).send().await {
        Ok(output) => output.role,
        Err(e) => {
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception())
            {
                return control.live("no such role").drifted(vec![format!(
                    "break-glass role `{}` does not exist live",
                    entry.role
                )]);
            }
            return control.unknown(sdk_error("iam:GetRole", &e));
        }
    };
    let Some(role) = role else {
        return control.unknown("iam:GetRole returned no role");
    };
    let mut diff = Vec::new();
    let session = role.max_session_duration.map(|s| s as u64);
    if let (Some(ttl), Some(live)) = (entry.max_ttl, session)
        && live > ttl
    {
        diff.push(format!(
            "MaxSessionDuration is {live} s live, longer than max_ttl {ttl} s"
        ));
    }
    let last_used = role.role_last_used.as_ref().and_then(|u| {
        u.last_used_date().map(|d| {
            let date = d
                .fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
                .unwrap_or_else(|_| d.secs().to_string());
            (date, u.region().unwrap_or("an unknown region").to_string())
        })
    });
    let mut live = match session {
        Some(s) => format!("MaxSessionDuration {s} s"),
        None => "MaxSessionDuration not returned".to_string(),
    };
    match &last_used {
        Some((date, region)) => {
            live.push_str(&format!("; last used {date} in {region}"));
            diff.push(format!(
                "used {date} in {region}: review this use (who, why, approved by whom)"
            ));
        }
        None => live.push_str("; no use recorded (IAM keeps the last use for 400 days)"),
    }
    let control = control.live(live);
    if !diff.is_empty() {
        control.drifted(diff)
    } else if session.is_none() && entry.max_ttl.is_some() {
        control.unknown("iam:GetRole returned no MaxSessionDuration")
    } else {
        control.compliant()
    }
}

/// The default version of a customer-managed policy, as statements.
async fn live_managed_document(iam: &Client, arn: &str) -> Result<Vec<Canon>, String> {
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_error("iam:GetPolicy", &e))?;
    let version = policy
        .policy
        .and_then(|p| p.default_version_id)
        .ok_or_else(|| format!("iam:GetPolicy {arn} returned no default version"))?;
    let document = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&version)
        .send()
        .await
        .map_err(|e| sdk_error("iam:GetPolicyVersion", &e))?
        .policy_version
        .and_then(|v| v.document)
        .ok_or_else(|| format!("iam:GetPolicyVersion {arn} returned no document"))?;
    live_document(&format!("{arn} {version}"), &document).map(|f| canon_of(&f))
}

type LiveInline = BTreeMap<String, Result<Vec<Canon>, String>>;

async fn live_inline(iam: &Client, role: &str) -> Result<LiveInline, String> {
    let mut names = Vec::new();
    let mut pages = iam
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .send();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        read += 1;
        if read > MAX_AWS_PAGES {
            return Err(truncated("iam:ListRolePolicies"));
        }
        let page = page.map_err(|e| sdk_error("iam:ListRolePolicies", &e))?;
        names.extend(page.policy_names);
    }
    let mut out = BTreeMap::new();
    for name in names {
        let fetched = match iam
            .get_role_policy()
            .role_name(role)
            .policy_name(&name)
            .send()
            .await
        {
            Ok(policy) => live_document(&format!("{role} inline {name}"), &policy.policy_document)
                .map(|f| canon_of(&f)),
            Err(e) => Err(sdk_error("iam:GetRolePolicy", &e)),
        };
        out.insert(name, fetched);
    }
    Ok(out)
}

async fn live_attached(iam: &Client, role: &str) -> Result<Vec<String>, String> {
    let mut arns = Vec::new();
    let mut pages = iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .send();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        read += 1;
        if read > MAX_AWS_PAGES {
            return Err(truncated("iam:ListAttachedRolePolicies"));
        }
        let page = page.map_err(|e| sdk_error("iam:ListAttachedRolePolicies", &e))?;
        arns.extend(
            page.attached_policies
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.policy_arn),
        );
    }
    arns.sort();
    Ok(arns)
}

/// Every live role whose trust policy names GitHub's OIDC provider, judged by the same
/// logic as the `iam-oidc-trust-unbounded` rule.
async fn trust_bound_controls(
    iam: &Client,
    declared: &Declared,
    roles: &[DeclaredRole<'_>],
) -> Vec<Control> {
    let mut controls = Vec::new();
    let mut pages = iam.list_roles().into_paginator().send();
    let mut live_roles = Vec::new();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        read += 1;
        if read > MAX_AWS_PAGES {
            controls.push(
                Control::new("role-oidc-trust-bounded", TARGET, "live roles")
                    .unknown(truncated("iam:ListRoles")),
            );
            return controls;
        }
        match page {
            Ok(page) => live_roles.extend(page.roles),
            Err(e) => {
                controls.push(
                    Control::new("role-oidc-trust-bounded", TARGET, "live roles")
                        .unknown(sdk_error("iam:ListRoles", &e)),
                );
                return controls;
            }
        }
    }
    let rule: &'static dyn crate::rules::Rule = &IamOidcTrustUnbounded;
    for live in live_roles {
        let Some(document) = live.assume_role_policy_document.as_deref() else {
            continue;
        };
        let subject = format!("role `{}`", live.role_name);
        let file = match live_document(&format!("{} trust", live.role_name), document) {
            Ok(file) => file,
            Err(reason) => {
                controls.push(
                    Control::new("role-oidc-trust-bounded", TARGET, &subject).unknown(reason),
                );
                continue;
            }
        };
        if !file.text.contains("token.actions.githubusercontent.com") {
            continue;
        }
        let findings = crate::engine::check_file(&file, &[rule], &declared.config, &declared.repo);
        let anchor = roles
            .iter()
            .find(|r| r.name == live.role_name)
            .map(|r| r.trust_anchor.clone());
        let subs: Vec<String> = iam::policies(&file)
            .iter()
            .flat_map(|p| p.statements.iter())
            .flat_map(|s| s.conditions.iter())
            .filter(|c| c.key.to_ascii_lowercase().ends_with(":sub"))
            .flat_map(|c| c.values.iter().map(|v| format!("`{}`", v.text)))
            .collect();
        controls.push(
            Control::new("role-oidc-trust-bounded", TARGET, &subject)
                .declared("`sub` bound to one repository and one environment or branch (rule iam-oidc-trust-unbounded)")
                .live(if subs.is_empty() { "no `sub` condition".to_string() } else { format!("sub {}", list(&subs)) })
                .at(anchor)
                .judged(findings.is_empty(), findings.into_iter().map(|f| f.message).collect()),
        );
    }
    controls
}

/// Whether a user's name or path says CI uses it.
fn looks_like_ci(name: &str, path: &str) -> bool {
    let text = format!("{path}/{name}").to_ascii_lowercase();
    text.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        matches!(
            w,
            "ci" | "cd"
                | "cicd"
                | "github"
                | "gha"
                | "actions"
                | "deploy"
                | "deployer"
                | "pipeline"
                | "bot"
                | "automation"
                | "jenkins"
                | "gitlab"
                | "circleci"
                | "terraform"
                | "build"
        )
    })
}

async fn user_key_controls(iam: &Client, now: SystemTime) -> Vec<Control> {
    let mut controls = Vec::new();
    let mut users = Vec::new();
    let mut pages = iam.list_users().into_paginator().send();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        read += 1;
        if read > MAX_AWS_PAGES {
            return vec![
                Control::new("user-access-keys", TARGET, "IAM users")
                    .unknown(truncated("iam:ListUsers")),
            ];
        }
        match page {
            Ok(page) => users.extend(page.users),
            Err(e) => {
                return vec![
                    Control::new("user-access-keys", TARGET, "IAM users")
                        .unknown(sdk_error("iam:ListUsers", &e)),
                ];
            }
        }
    }
    let now_secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    for user in users {
        let subject = format!("user `{}`", user.user_name);
        let keys = match iam
            .list_access_keys()
            .user_name(&user.user_name)
            .send()
            .await
        {
            Ok(output) => output.access_key_metadata,
            Err(e) => {
                controls.push(
                    Control::new("user-access-keys", TARGET, &subject)
                        .unknown(sdk_error("iam:ListAccessKeys", &e)),
                );
                continue;
            }
        };
        let mut active = Vec::new();
        for key in keys {
            if key.status.as_ref().map(|s| s.as_str()) != Some("Active") {
                continue;
            }
            let id = key.access_key_id.clone().unwrap_or_else(|| "?".into());
            let age = key
                .create_date
                .map(|d| format!("{} days old", (now_secs - d.secs()).max(0) / 86_400))
                .unwrap_or_else(|| "age unknown".into());
            let last_used = match iam
                .get_access_key_last_used()
                .access_key_id(&id)
                .send()
                .await
            {
                Ok(output) => output
                    .access_key_last_used
                    .and_then(|u| u.last_used_date)
                    .map(|d| format!(", last used {}", d))
                    .unwrap_or_else(|| ", never used".into()),
                Err(_) => String::new(),
            };
            active.push(format!("active access key `{id}` ({age}{last_used})"));
        }
        if active.is_empty() {
            continue;
        }
        let control = Control::new("user-access-keys", TARGET, &subject)
            .declared("CI authenticates with GitHub OIDC and a role, never a standing key (rule standing-credentials)")
            .live(list(&active));
        controls.push(if looks_like_ci(&user.user_name, &user.path) {
            control.drifted(active)
        } else {
            control.unknown("an IAM user with an active access key; nothing in its name or path says whether CI uses it")
        });
    }
    if controls.is_empty() {
        controls.push(
            Control::new("user-access-keys", TARGET, "IAM users")
                .declared("CI authenticates with GitHub OIDC and a role, never a standing key (rule standing-credentials)")
                .live("no IAM user has an active access key")
                .compliant(),
        );
    }
    controls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(json: &str) -> Vec<Canon> {
        let encoded: String =
            percent_encoding::utf8_percent_encode(json, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        canon_of(&live_document("t", &encoded).unwrap())
    }

    #[test]
    fn decoded_documents_compare_order_insensitively() {
        let a = statements(
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
        );
        let b = statements(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["iam:*"],"Resource":["*"]},{"Effect":"Allow","Action":["S3:PutObject","s3:GetObject"],"Resource":"*"}]}"#,
        );
        assert!(policy_diff(&a, &b).is_empty());
    }

    #[test]
    fn one_changed_condition_is_one_line() {
        let a = statements(
            r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"arn:x"},"Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:a/b:environment:production"}}}}"#,
        );
        let b = statements(
            r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"arn:x"},"Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:a/b:environment:staging"}}}}"#,
        );
        let diff = policy_diff(&a, &b);
        assert_eq!(diff.len(), 1, "{diff:?}");
        assert!(diff[0].contains("staging"));
    }

    #[test]
    fn references_and_interpolations_match_live_values() {
        assert!(value_matches(
            "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com",
            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
        ));
        assert!(value_matches(
            "aws_iam_openid_connect_provider.github.arn",
            "arn:aws:iam::1:oidc-provider/x"
        ));
        assert!(!value_matches("arn:aws:s3:::a", "arn:aws:s3:::b"));
    }

    #[test]
    fn ci_users_by_name() {
        assert!(looks_like_ci("github-actions-deploy", "/"));
        assert!(looks_like_ci("svc", "/ci/"));
        assert!(!looks_like_ci("alice", "/"));
    }
}
