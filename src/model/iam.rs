//! IAM policies wherever they are written: IAM JSON files, CloudFormation/SAM templates
//! (JSON or YAML) and Terraform (`aws_iam_*` resources with `jsonencode`/heredoc policies,
//! `data "aws_iam_policy_document"` statement blocks, `vault_aws_secret_backend_role`).
//!
//! Every statement is normalised into one [`Statement`] shape whose values carry their routes,
//! so a rule written once points at the exact line in any of these formats.

use crate::source::{FileKind, Node, Route, SourceFile};

/// A scalar value and where it is.
#[derive(Clone, Debug)]
pub struct Value<'a> {
    pub text: &'a str,
    pub route: Route,
}

#[derive(Clone, Debug)]
pub struct Principal<'a> {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` for `Principal: "*"`.
    pub kind: String,
    pub value: Value<'a>,
}

#[derive(Clone, Debug)]
pub struct Condition<'a> {
    /// The operator as written, e.g. `StringLike` or `ForAllValues:StringEquals`.
    pub operator: String,
    /// The condition key, e.g. `token.actions.githubusercontent.com:sub`.
    pub key: String,
    pub key_route: Route,
    pub values: Vec<Value<'a>>,
}

impl Condition<'_> {
    /// The operator without `ForAnyValue:`/`ForAllValues:` and `IfExists`.
    pub fn base_operator(&self) -> &str {
        let op = self.operator.as_str();
        let op = op.rsplit_once(':').map_or(op, |(_, rest)| rest);
        op.strip_suffix("IfExists").unwrap_or(op)
    }
}

#[derive(Clone, Debug)]
pub struct Statement<'a> {
    pub route: Route,
    pub node: &'a Node,
    pub allow: bool,
    /// `Action` values, or `NotAction` values when `not_action` is set.
    pub actions: Vec<Value<'a>>,
    pub not_action: bool,
    /// Route of the `Action`/`NotAction` key's value, for statement-level findings.
    pub action_route: Route,
    pub resources: Vec<Value<'a>>,
    pub not_resource: bool,
    pub resource_route: Route,
    pub principals: Vec<Principal<'a>>,
    pub principal_route: Route,
    pub conditions: Vec<Condition<'a>>,
}

impl Statement<'_> {
    /// Whether the statement lets a principal assume a role (a trust policy statement).
    pub fn is_trust(&self) -> bool {
        !self.principals.is_empty()
            && !self.not_action
            && self.actions.iter().any(|a| {
                let lower = a.text.to_ascii_lowercase();
                lower == "*" || lower == "sts:*" || lower.starts_with("sts:assumerole")
            })
    }

    pub fn resource_is_star(&self) -> bool {
        !self.not_resource && self.resources.iter().any(|r| r.text == "*")
    }

    /// The statements AWS writes into a KMS key policy by default: the key's own account
    /// (`arn:aws:iam::<account>:root`) may do `kms:*` (or any `kms:` actions) on the key, which hands the key's
    /// access over to IAM policies, and the console's "key administrators" statement. In a key
    /// policy `Resource: "*"` is the key itself.
    pub fn is_default_key_policy(&self) -> bool {
        if self.principals.is_empty() || self.not_action || self.actions.is_empty() {
            return false;
        }
        let root = self.principals.iter().all(|p| {
            let v = p.value.text.trim();
            // The Terraform evaluator carries what it cannot resolve as `${expression}`.
            let v = v
                .strip_prefix("${")
                .and_then(|inner| inner.strip_suffix('}'))
                .unwrap_or(v);
            // `arn:aws:iam::123456789012:root`, a bare account id, a Terraform
            // `format("arn:…:iam::%s:root", …)`, or the caller's own account id.
            p.kind == "AWS"
                && (v.ends_with(":root")
                    || (v.contains(":root\"") && v.starts_with("format("))
                    || (v.contains("aws_caller_identity") && v.ends_with(".account_id"))
                    || (v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit())))
        });
        let all_kms = |allowed: &[&str]| {
            self.actions
                .iter()
                .all(|a| allowed.iter().any(|k| a.text.eq_ignore_ascii_case(k)))
        };
        let kms_only = self
            .actions
            .iter()
            .all(|a| a.text.to_ascii_lowercase().starts_with("kms:"));
        (root && kms_only) || all_kms(&KEY_ADMINISTRATORS)
    }
}

/// The "Allow access for Key Administrators" statement of AWS's default key policy.
const KEY_ADMINISTRATORS: [&str; 14] = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
];

impl Policy<'_> {
    /// Lower-cased action patterns the policy denies outright: `Deny` statements on
    /// `Resource: "*"` without conditions. A conditional deny may not apply, so it is not one.
    pub fn unconditional_denies(&self) -> Vec<String> {
        self.statements
            .iter()
            .filter(|s| {
                !s.allow && !s.not_action && s.conditions.is_empty() && s.resource_is_star()
            })
            .flat_map(|s| s.actions.iter().map(|a| a.text.to_ascii_lowercase()))
            .collect()
    }
}

/// Where a policy sits, for wording and for rules that only read one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to an identity (a role's inline or managed policy).
    Identity,
    /// A role's trust (assume-role) policy.
    Trust,
    /// A standalone document: its statements tell what it is.
    Document,
}

#[derive(Clone, Debug)]
pub struct Policy<'a> {
    pub route: Route,
    pub kind: PolicyKind,
    pub statements: Vec<Statement<'a>>,
}

/// A role's maximum session duration as written.
#[derive(Clone, Debug)]
pub struct SessionDuration<'a> {
    pub value: Value<'a>,
    /// Resource name, e.g. `aws_iam_role.deploy` or `DeployRole`.
    pub owner: String,
}

fn value<'a>(node: &'a Node, route: Route) -> Option<Value<'a>> {
    Some(Value {
        text: node.as_str()?,
        route,
    })
}

/// Scalars of a value that may be one string or a list of strings.
fn values<'a>(node: &'a Node, route: &Route) -> Vec<Value<'a>> {
    match node.as_seq() {
        Some(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| value(item, route.index(i)))
            .collect(),
        None => value(node, route.clone()).into_iter().collect(),
    }
}

/// Every policy in a file.
pub fn policies(file: &SourceFile) -> Vec<Policy<'_>> {
    let Some(root) = &file.root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match file.kind {
        FileKind::IamJson => {
            if root.get("Statement").is_some() {
                push_json(&mut out, root, Route::root(), PolicyKind::Document);
            }
            for (key, kind) in [
                ("PolicyDocument", PolicyKind::Identity),
                ("AssumeRolePolicyDocument", PolicyKind::Trust),
            ] {
                if let Some(doc) = root.get(key) {
                    push_json(&mut out, doc, Route::root().key(key), kind);
                }
            }
        }
        FileKind::CloudFormation => cloudformation(root, &mut out),
        FileKind::Terraform => terraform(root, &mut out),
        _ => {}
    }
    out
}

fn cloudformation<'a>(root: &'a Node, out: &mut Vec<Policy<'a>>) {
    let Some(resources) = root.get("Resources") else {
        return;
    };
    let base = Route::root().key("Resources");
    for (name, resource) in resources.entries() {
        let Some(kind) = resource.get_str("Type") else {
            continue;
        };
        let Some(props) = resource.get("Properties") else {
            continue;
        };
        let props_route = base.key(name).key("Properties");
        match kind {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                if let Some(doc) = props.get("AssumeRolePolicyDocument") {
                    let route = props_route.key("AssumeRolePolicyDocument");
                    push_json(out, doc, route, PolicyKind::Trust);
                }
                if let Some(list) = props.get("Policies").and_then(Node::as_seq) {
                    for (i, item) in list.iter().enumerate() {
                        if let Some(doc) = item.get("PolicyDocument") {
                            let route = props_route.key("Policies").index(i).key("PolicyDocument");
                            push_json(out, doc, route, PolicyKind::Identity);
                        }
                    }
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                if let Some(doc) = props.get("PolicyDocument") {
                    let route = props_route.key("PolicyDocument");
                    push_json(out, doc, route, PolicyKind::Identity);
                }
            }
            _ => {}
        }
    }
}

/// Terraform resources whose attribute holds an IAM policy document.
const TF_POLICY_ATTRIBUTES: &[(&str, &str, PolicyKind)] = &[
    ("aws_iam_role", "assume_role_policy", PolicyKind::Trust),
    ("aws_iam_policy", "policy", PolicyKind::Identity),
    ("aws_iam_role_policy", "policy", PolicyKind::Identity),
    ("aws_iam_user_policy", "policy", PolicyKind::Identity),
    ("aws_iam_group_policy", "policy", PolicyKind::Identity),
    (
        "aws_ssoadmin_permission_set_inline_policy",
        "inline_policy",
        PolicyKind::Identity,
    ),
    (
        "vault_aws_secret_backend_role",
        "policy_document",
        PolicyKind::Identity,
    ),
];

/// Roles a module call makes, grafted at the call by the Terraform evaluator
/// (`module.<call>.resource.aws_iam_role.<name>`, see `model::terraform`).
fn terraform_module_roles<'a>(root: &'a Node, out: &mut Vec<Policy<'a>>) {
    let Some(calls) = root.get("module") else {
        return;
    };
    for (call, body) in calls.entries() {
        let Some(roles) = body.get("resource").and_then(|r| r.get("aws_iam_role")) else {
            continue;
        };
        for (name, role) in roles.entries() {
            let route = Route::root()
                .key("module")
                .key(call)
                .key("resource")
                .key("aws_iam_role")
                .key(name);
            if let Some(doc) = role.get("assume_role_policy") {
                push_json(out, doc, route.key("assume_role_policy"), PolicyKind::Trust);
            }
        }
    }
}

fn terraform<'a>(root: &'a Node, out: &mut Vec<Policy<'a>>) {
    terraform_module_roles(root, out);
    if let Some(resources) = root.get("resource") {
        let base = Route::root().key("resource");
        for (kind, attr, policy_kind) in TF_POLICY_ATTRIBUTES {
            let Some(instances) = resources.get(kind) else {
                continue;
            };
            for (name, body) in instances.entries() {
                let route = base.key(kind).key(name);
                if let Some(doc) = body.get(attr) {
                    push_json(out, doc, route.key(attr), *policy_kind);
                }
                if *kind == "aws_iam_role"
                    && let Some(inline) = body.get("inline_policy").and_then(Node::as_seq)
                {
                    for (i, block) in inline.iter().enumerate() {
                        if let Some(doc) = block.get("policy") {
                            let route = route.key("inline_policy").index(i).key("policy");
                            push_json(out, doc, route, PolicyKind::Identity);
                        }
                    }
                }
            }
        }
    }
    let Some(documents) = root
        .get("data")
        .and_then(|data| data.get("aws_iam_policy_document"))
    else {
        return;
    };
    let base = Route::root().key("data").key("aws_iam_policy_document");
    for (name, body) in documents.entries() {
        let route = base.key(name);
        let Some(blocks) = body.get("statement") else {
            continue;
        };
        let statements = blocks
            .items()
            .into_iter()
            .enumerate()
            .filter_map(|(i, block)| {
                let route = match blocks.as_seq() {
                    Some(_) => route.key("statement").index(i),
                    None => route.key("statement"),
                };
                tf_statement(block, route)
            })
            .collect();
        out.push(Policy {
            route,
            kind: PolicyKind::Document,
            statements,
        });
    }
}

/// One `statement { … }` block of `aws_iam_policy_document`.
fn tf_statement(node: &Node, route: Route) -> Option<Statement<'_>> {
    node.as_map()?;
    let allow = node
        .get_str("effect")
        .is_none_or(|e| e.eq_ignore_ascii_case("allow"));
    let (action_key, not_action) = match node.get("not_actions") {
        Some(_) => ("not_actions", true),
        None => ("actions", false),
    };
    let (resource_key, not_resource) = match node.get("not_resources") {
        Some(_) => ("not_resources", true),
        None => ("resources", false),
    };
    let list = |key: &str| {
        node.get(key)
            .map(|n| values(n, &route.key(key)))
            .unwrap_or_default()
    };
    let mut principals = Vec::new();
    if let Some(blocks) = node.get("principals") {
        for (i, block) in blocks.items().into_iter().enumerate() {
            let block_route = route.key("principals").index(i);
            let kind = block.get_str("type").unwrap_or("AWS").to_owned();
            if let Some(ids) = block.get("identifiers") {
                for v in values(ids, &block_route.key("identifiers")) {
                    principals.push(Principal {
                        kind: kind.clone(),
                        value: v,
                    });
                }
            }
        }
    }
    let mut conditions = Vec::new();
    if let Some(blocks) = node.get("condition") {
        for (i, block) in blocks.items().into_iter().enumerate() {
            let block_route = route.key("condition").index(i);
            let (Some(test), Some(variable)) = (block.get_str("test"), block.get_str("variable"))
            else {
                continue;
            };
            conditions.push(Condition {
                operator: test.to_owned(),
                key: variable.to_owned(),
                key_route: block_route.key("variable"),
                values: block
                    .get("values")
                    .map(|n| values(n, &block_route.key("values")))
                    .unwrap_or_default(),
            });
        }
    }
    Some(Statement {
        node,
        allow,
        actions: list(action_key),
        not_action,
        action_route: route.key(action_key),
        resources: list(resource_key),
        not_resource,
        resource_route: route.key(resource_key),
        principals,
        principal_route: route.key("principals"),
        conditions,
        route,
    })
}

/// A policy document in JSON shape (IAM JSON, CloudFormation, `jsonencode`, heredoc).
fn push_json<'a>(out: &mut Vec<Policy<'a>>, doc: &'a Node, route: Route, kind: PolicyKind) {
    let Some(statement) = doc.get("Statement") else {
        return;
    };
    let base = route.key("Statement");
    let statements = match statement.as_seq() {
        Some(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, s)| json_statement(s, base.index(i)))
            .collect(),
        None => json_statement(statement, base).into_iter().collect(),
    };
    out.push(Policy {
        route,
        kind,
        statements,
    });
}

fn json_statement(node: &Node, route: Route) -> Option<Statement<'_>> {
    node.as_map()?;
    let allow = node
        .get_str("Effect")
        .is_none_or(|e| e.eq_ignore_ascii_case("allow"));
    let (action_key, not_action) = match node.get("NotAction") {
        Some(_) => ("NotAction", true),
        None => ("Action", false),
    };
    let (resource_key, not_resource) = match node.get("NotResource") {
        Some(_) => ("NotResource", true),
        None => ("Resource", false),
    };
    let list = |key: &str| {
        node.get(key)
            .map(|n| values(n, &route.key(key)))
            .unwrap_or_default()
    };
    let mut principals = Vec::new();
    if let Some(principal) = node.get("Principal") {
        let principal_route = route.key("Principal");
        match principal.as_str() {
            Some(text) => principals.push(Principal {
                kind: "*".into(),
                value: Value {
                    text,
                    route: principal_route,
                },
            }),
            None => {
                for (kind, ids) in principal.entries() {
                    for v in values(ids, &principal_route.key(kind)) {
                        principals.push(Principal {
                            kind: kind.to_owned(),
                            value: v,
                        });
                    }
                }
            }
        }
    }
    let mut conditions = Vec::new();
    if let Some(condition) = node.get("Condition") {
        for (operator, tests) in condition.entries() {
            let op_route = route.key("Condition").key(operator);
            for (key, vals) in tests.entries() {
                conditions.push(Condition {
                    operator: operator.to_owned(),
                    key: key.to_owned(),
                    key_route: op_route.key(key),
                    values: values(vals, &op_route.key(key)),
                });
            }
        }
    }
    Some(Statement {
        node,
        allow,
        actions: list(action_key),
        not_action,
        action_route: route.key(action_key),
        resources: list(resource_key),
        not_resource,
        resource_route: route.key(resource_key),
        principals,
        principal_route: route.key("Principal"),
        conditions,
        route,
    })
}

/// Every role's `MaxSessionDuration` / `max_session_duration` in a file.
pub fn session_durations(file: &SourceFile) -> Vec<SessionDuration<'_>> {
    let Some(root) = &file.root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match file.kind {
        FileKind::CloudFormation => {
            let Some(resources) = root.get("Resources") else {
                return out;
            };
            for (name, resource) in resources.entries() {
                if resource.get_str("Type") != Some("AWS::IAM::Role") {
                    continue;
                }
                let route = Route::root()
                    .key("Resources")
                    .key(name)
                    .key("Properties")
                    .key("MaxSessionDuration");
                if let Some(v) = root.at(&route).and_then(|n| value(n, route.clone())) {
                    out.push(SessionDuration {
                        value: v,
                        owner: name.to_owned(),
                    });
                }
            }
        }
        FileKind::Terraform => {
            // Roles made by module calls, grafted at the call by the Terraform evaluator.
            for (call, body) in root
                .get("module")
                .map(|m| m.entries().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let roles = body.get("resource").and_then(|r| r.get("aws_iam_role"));
                for (name, role) in roles
                    .map(|r| r.entries().collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    let route = Route::root()
                        .key("module")
                        .key(call)
                        .key("resource")
                        .key("aws_iam_role")
                        .key(name)
                        .key("max_session_duration");
                    if let Some(v) = role
                        .get("max_session_duration")
                        .and_then(|n| value(n, route))
                    {
                        out.push(SessionDuration {
                            value: v,
                            owner: format!("module.{call}"),
                        });
                    }
                }
            }
            let Some(roles) = root.get("resource").and_then(|r| r.get("aws_iam_role")) else {
                return out;
            };
            for (name, body) in roles.entries() {
                let route = Route::root()
                    .key("resource")
                    .key("aws_iam_role")
                    .key(name)
                    .key("max_session_duration");
                if let Some(v) = body
                    .get("max_session_duration")
                    .and_then(|n| value(n, route))
                {
                    out.push(SessionDuration {
                        value: v,
                        owner: format!("aws_iam_role.{name}"),
                    });
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(text: &str, kind: FileKind, tf: bool) -> SourceFile {
        let root = if tf {
            crate::source::hcl::parse(text).unwrap()
        } else {
            crate::source::yaml::parse(text).unwrap()
        };
        SourceFile::new("x".into(), PathBuf::new(), text.into(), kind, Some(root))
    }

    #[test]
    fn terraform_document_statements_and_conditions() {
        let text = r#"
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:org/*"]
    }
  }
}
"#;
        let f = file(text, FileKind::Terraform, true);
        let policies = policies(&f);
        assert_eq!(policies.len(), 1);
        let s = &policies[0].statements[0];
        assert!(s.is_trust());
        assert_eq!(s.conditions[0].values[0].text, "repo:org/*");
        assert_eq!(s.principals[0].kind, "Federated");
    }

    #[test]
    fn cloudformation_role_policies() {
        let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      MaxSessionDuration: 43200\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: {AWS: '*'}\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n              Effect: Allow\n              Action: ['s3:*']\n              Resource: !Sub 'arn:aws:s3:::${B}'\n";
        let f = file(text, FileKind::CloudFormation, false);
        let policies = policies(&f);
        assert_eq!(policies.len(), 2);
        assert_eq!(policies[0].kind, PolicyKind::Trust);
        assert_eq!(policies[1].statements[0].actions[0].text, "s3:*");
        assert_eq!(session_durations(&f)[0].value.text, "43200");
    }
}
