//! Who holds which policy: the roles, users and groups a file declares, each with every
//! identity policy that applies to it, so that a rule can judge the union (an escalation split
//! across two policies, an `Allow` in one and a `Deny` in another).
//!
//! Sources of attachment:
//! - Terraform: `aws_iam_role.inline_policy`, `aws_iam_role.managed_policy_arns`,
//!   `aws_iam_{role,user,group}_policy`, `aws_iam_{role,user,group}_policy_attachment`,
//!   `aws_iam_policy_attachment`, `aws_iam_user_group_membership`, `aws_iam_group_membership`;
//!   policies given as `data.aws_iam_policy_document.x.json`.
//! - CloudFormation: `Policies` and `ManagedPolicyArns` of `AWS::IAM::{Role,User,Group}`,
//!   `Roles`/`Users`/`Groups` of `AWS::IAM::{Policy,ManagedPolicy}`, a user's `Groups`.
//!
//! Terraform references are resolved by address (`aws_iam_role.x.name`, `aws_iam_policy.y.arn`)
//! or by a literal name equal to a declared one, in [`tf_address`] and nowhere else, so a full
//! Terraform evaluator can take its place later. A policy attached to something the file does
//! not declare (a variable, another module's role) stays [`Holders::unattached`].

use std::collections::HashMap;

use super::iam::{Policy, PolicyKind};
use crate::source::{FileKind, Node, Route, SourceFile};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentityKind {
    Role,
    User,
    Group,
}

impl IdentityKind {
    pub fn word(self) -> &'static str {
        match self {
            IdentityKind::Role => "role",
            IdentityKind::User => "user",
            IdentityKind::Group => "group",
        }
    }
}

/// A customer-managed policy declared in the file and attached to an identity: what a
/// statement's resource may call it (`aws_iam_policy.p`, its name, a CloudFormation logical id).
#[derive(Clone, Debug, Default)]
pub struct PolicyName {
    pub address: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct Identity {
    pub kind: IdentityKind,
    /// The file that declares it, an index into the files read together (0 for one file).
    pub file: usize,
    /// `aws_iam_role.deploy` (Terraform) or the logical id (CloudFormation).
    pub address: String,
    /// The declared name (`name`, `RoleName`), else the label or logical id.
    pub name: String,
    /// Indexes into the file's policies, in order, without repeats (a user's groups' included).
    pub policies: Vec<usize>,
    /// Customer-managed policies of the file attached to it.
    pub managed: Vec<PolicyName>,
    /// Policy ARNs attached that the file does not declare (AWS-managed or elsewhere).
    pub external_arns: Vec<String>,
}

impl Identity {
    /// Whether a resource value names this identity itself: its address in a Terraform
    /// reference, its logical id (`!GetAtt Role.Arn`), or an ARN ending `:role/<name>`.
    pub fn is_named_by(&self, resource: &str) -> bool {
        names(resource, &self.address, &self.name, self.kind.word())
    }

    /// Whether a resource value names one of its attached customer-managed policies.
    pub fn names_own_policy(&self, resource: &str) -> bool {
        self.managed
            .iter()
            .any(|p| names(resource, &p.address, &p.name, "policy"))
    }
}

fn names(resource: &str, address: &str, name: &str, kind: &str) -> bool {
    if resource.contains('*') || resource.contains('?') {
        return false;
    }
    let reference = format!("{address}.");
    if resource == address
        || resource.starts_with(&reference)
        || resource.contains(&format!("{{{reference}"))
        || resource.contains(&format!("${{{address}}}"))
    {
        return true;
    }
    let marker = format!(":{kind}/");
    resource.contains(&marker) && resource.rsplit('/').next() == Some(name)
}

/// The identities of a file (or of the files of one Terraform module) and the policies
/// nobody there is known to hold. Policy indexes run over the files' policies in order: file
/// 0's first, then file 1's (see [`Holders::locate`]).
#[derive(Debug, Default)]
pub struct Holders {
    pub identities: Vec<Identity>,
    /// Identity policies judged on their own: attached to no declared identity, or also to
    /// one the files do not declare.
    pub unattached: Vec<usize>,
    /// Where each file's policies start among the indexes.
    offsets: Vec<usize>,
}

impl Holders {
    /// A policy index as (file, index among that file's policies).
    pub fn locate(&self, index: usize) -> (usize, usize) {
        let file = self
            .offsets
            .iter()
            .rposition(|&start| start <= index)
            .unwrap_or(0);
        (file, index - self.offsets.get(file).copied().unwrap_or(0))
    }
}

/// A Terraform reference or a `${…}` template of one: `aws_iam_role.x.name` → (`aws_iam_role`,
/// `x`). The one place references are resolved (see the module docs).
pub fn tf_address(expr: &str) -> Option<(&str, &str)> {
    let text = expr.trim();
    let text = text
        .strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text);
    let text = text.strip_prefix("data.").unwrap_or(text);
    let mut parts = text.split('.');
    let kind = parts.next()?;
    let label = parts.next()?;
    let label = label.split('[').next().unwrap_or(label);
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    (kind.starts_with("aws_") && plain(kind) && plain(label)).then_some((kind, label))
}

/// Everything that attaches a policy to something, before resolution, over the files read
/// together (one file, or every file of a Terraform module: a module's files share one
/// namespace, so a role in `iam.tf` holds the attachment written in `policies.tf`).
struct Builder<'p> {
    files: Vec<&'p [Policy<'p>]>,
    offsets: Vec<usize>,
    /// The file being read.
    current: usize,
    identities: Vec<Identity>,
    by_address: HashMap<String, usize>,
    /// Policy index → attached to something the files do not declare.
    external: Vec<bool>,
    held: Vec<bool>,
}

impl<'p> Builder<'p> {
    fn new(files: Vec<&'p [Policy<'p>]>) -> Self {
        let mut offsets = Vec::with_capacity(files.len());
        let mut total = 0;
        for policies in &files {
            offsets.push(total);
            total += policies.len();
        }
        Self {
            files,
            offsets,
            current: 0,
            identities: Vec::new(),
            by_address: HashMap::new(),
            external: vec![false; total],
            held: vec![false; total],
        }
    }

    fn policy(&self, index: usize) -> Option<&Policy<'p>> {
        let file = self.offsets.iter().rposition(|&start| start <= index)?;
        self.files.get(file)?.get(index - self.offsets[file])
    }

    fn declare(&mut self, kind: IdentityKind, address: String, name: String) {
        self.by_address
            .insert(address.clone(), self.identities.len());
        self.identities.push(Identity {
            kind,
            file: self.current,
            address,
            name,
            policies: Vec::new(),
            managed: Vec::new(),
            external_arns: Vec::new(),
        });
    }

    /// The policy whose document sits at `route` in the file being read, if it is an identity
    /// policy.
    fn policy_at(&self, route: &Route) -> Option<usize> {
        self.policy_in(self.current, route)
    }

    fn policy_in(&self, file: usize, route: &Route) -> Option<usize> {
        let at = self
            .files
            .get(file)?
            .iter()
            .position(|p| &p.route == route && p.kind != PolicyKind::Trust)?;
        Some(self.offsets[file] + at)
    }

    /// A `data "aws_iam_policy_document"` of the module, in whichever of its files.
    fn data_document(&self, label: &str) -> Option<usize> {
        let route = Route::root()
            .key("data")
            .key("aws_iam_policy_document")
            .key(label);
        std::iter::once(self.current)
            .chain(0..self.files.len())
            .find_map(|file| self.policy_in(file, &route))
    }

    /// An identity by reference or by declared name.
    fn identity(&self, kind: IdentityKind, reference: &str) -> Option<usize> {
        if let Some((tf_kind, label)) = tf_address(reference) {
            let address = format!("{tf_kind}.{label}");
            return self.by_address.get(&address).copied();
        }
        if let Some(&i) = self.by_address.get(reference) {
            return Some(i);
        }
        self.identities
            .iter()
            .position(|id| id.kind == kind && id.name == reference)
    }

    fn attach(&mut self, identity: Option<usize>, policy: usize, name: Option<PolicyName>) {
        match identity.and_then(|i| self.identities.get_mut(i)) {
            Some(id) => {
                if !id.policies.contains(&policy) {
                    id.policies.push(policy);
                }
                if let Some(name) = name {
                    id.managed.push(name);
                }
                if let Some(held) = self.held.get_mut(policy) {
                    *held = true;
                }
            }
            None => {
                if let Some(external) = self.external.get_mut(policy) {
                    *external = true;
                }
            }
        }
    }

    fn attach_external(&mut self, identity: Option<usize>, arn: &str) {
        if let Some(id) = identity.and_then(|i| self.identities.get_mut(i)) {
            id.external_arns.push(arn.to_owned());
        }
    }

    fn finish(mut self, groups_of: Vec<(usize, usize)>) -> Holders {
        // A user holds its groups' policies too.
        for (user, group) in groups_of {
            let (Some(g), true) = (self.identities.get(group).cloned(), user != group) else {
                continue;
            };
            if let Some(u) = self.identities.get_mut(user) {
                for p in g.policies {
                    if !u.policies.contains(&p) {
                        u.policies.push(p);
                    }
                }
                u.managed.extend(g.managed);
                u.external_arns.extend(g.external_arns);
            }
        }
        let unattached = (0..self.held.len())
            .filter(|&i| {
                self.policy(i).is_some_and(|p| p.kind != PolicyKind::Trust)
                    && (!self.held[i] || self.external[i])
            })
            .collect();
        Holders {
            identities: self.identities,
            unattached,
            offsets: self.offsets,
        }
    }
}

/// Every identity of the file with the policies that apply to it.
pub fn holders<'a>(file: &'a SourceFile, policies: &'a [Policy<'a>]) -> Holders {
    if file.kind == FileKind::Terraform {
        return module_holders(&[(file, policies)]);
    }
    let mut builder = Builder::new(vec![policies]);
    let groups_of = match (&file.root, file.kind) {
        (Some(root), FileKind::CloudFormation) => cloudformation(root, &mut builder),
        _ => Vec::new(),
    };
    builder.finish(groups_of)
}

/// Every identity the Terraform files of one module declare, with the policies that apply to
/// it from any of the files. Identities are declared first, then customer-managed policies,
/// then attachments, so a reference may point into any file of the module.
pub fn module_holders<'a>(files: &[(&'a SourceFile, &'a [Policy<'a>])]) -> Holders {
    let mut builder = Builder::new(files.iter().map(|(_, policies)| *policies).collect());
    let roots: Vec<Option<&Node>> = files
        .iter()
        .map(|(file, _)| {
            file.root
                .as_ref()
                .filter(|_| file.kind == FileKind::Terraform)
        })
        .collect();
    for (i, root) in roots.iter().enumerate() {
        builder.current = i;
        if let Some(root) = root {
            terraform_identities(root, &mut builder);
        }
    }
    let mut managed = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        builder.current = i;
        if let Some(root) = root {
            terraform_managed(root, &mut builder, &mut managed);
        }
    }
    let mut groups_of = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        builder.current = i;
        if let Some(root) = root {
            groups_of.extend(terraform_attachments(root, &mut builder, &managed));
        }
    }
    builder.finish(groups_of)
}

/// A policy by where it is written: the file's display path and the document's route.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyRef {
    pub path: String,
    pub route: Route,
}

/// An identity of a module, the file declaring it, and every policy it holds, wherever in
/// the module that policy is written.
#[derive(Clone, Debug)]
pub struct ModuleIdentity {
    pub identity: Identity,
    pub path: String,
    pub policies: Vec<PolicyRef>,
}

/// The principals of one Terraform module, read once for the whole repository (see
/// `RepoContext::module_principals`): owned, so it outlives the files it was read from.
#[derive(Clone, Debug, Default)]
pub struct ModuleView {
    pub identities: Vec<ModuleIdentity>,
    /// Identity policies no identity of the module is known to hold (or also held by one the
    /// module does not declare): each is judged on its own.
    pub unattached: Vec<PolicyRef>,
}

impl ModuleView {
    /// The view of the module made of `files` (its Terraform files).
    pub fn build(files: &[&SourceFile]) -> Self {
        let policies: Vec<Vec<Policy>> = files.iter().map(|f| super::iam::policies(f)).collect();
        let pairs: Vec<(&SourceFile, &[Policy])> = files
            .iter()
            .zip(&policies)
            .map(|(file, policies)| (*file, policies.as_slice()))
            .collect();
        let holders = module_holders(&pairs);
        let refer = |index: usize| {
            let (file, local) = holders.locate(index);
            Some(PolicyRef {
                path: files.get(file)?.path.clone(),
                route: policies.get(file)?.get(local)?.route.clone(),
            })
        };
        let identities = holders
            .identities
            .iter()
            .filter_map(|identity| {
                Some(ModuleIdentity {
                    identity: identity.clone(),
                    path: files.get(identity.file)?.path.clone(),
                    policies: identity.policies.iter().filter_map(|&i| refer(i)).collect(),
                })
            })
            .collect();
        let unattached = holders
            .unattached
            .iter()
            .filter_map(|&i| refer(i))
            .collect();
        Self {
            identities,
            unattached,
        }
    }
}

/// The Terraform module a display path belongs to: its directory.
pub fn module_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Whether a Terraform file takes part in its module's principals: it holds a policy or an
/// `aws_iam_*` resource (a role, an attachment, a membership).
pub fn in_module_view(file: &SourceFile, policies: &[Policy]) -> bool {
    file.kind == FileKind::Terraform
        && (policies.iter().any(|p| p.kind != PolicyKind::Trust)
            || file
                .root
                .as_ref()
                .and_then(|root| root.get("resource"))
                .is_some_and(|r| {
                    r.entries()
                        .any(|(kind, _)| TF_IDENTITY_RESOURCES.iter().any(|k| kind.starts_with(k)))
                }))
}

/// Resource kinds that declare or attach to an identity.
const TF_IDENTITY_RESOURCES: [&str; 4] = [
    "aws_iam_role",
    "aws_iam_user",
    "aws_iam_group",
    "aws_iam_policy_attachment",
];

const TF_IDENTITIES: [(&str, IdentityKind); 3] = [
    ("aws_iam_role", IdentityKind::Role),
    ("aws_iam_user", IdentityKind::User),
    ("aws_iam_group", IdentityKind::Group),
];

/// Strings of a value that is one string or a list.
fn strings(node: &Node) -> Vec<&str> {
    node.items().into_iter().filter_map(Node::as_str).collect()
}

/// A customer-managed policy of the module, with its document when the module has it.
type Managed = (PolicyName, Option<usize>);

fn terraform_identities(root: &Node, b: &mut Builder) {
    let Some(resources) = root.get("resource") else {
        return;
    };
    for (tf_kind, kind) in TF_IDENTITIES {
        for (label, body) in resources
            .get(tf_kind)
            .map(Node::entries)
            .into_iter()
            .flatten()
        {
            let name = body
                .get_str("name")
                .filter(|n| !n.contains("${") && tf_address(n).is_none())
                .unwrap_or(label);
            b.declare(kind, format!("{tf_kind}.{label}"), name.to_owned());
        }
    }
}

/// The document of a resource's policy attribute: written in place, or a data reference.
fn document(b: &Builder, route: Route, value: Option<&Node>) -> Option<usize> {
    if let Some(i) = b.policy_at(&route) {
        return Some(i);
    }
    let (kind, label) = tf_address(value?.as_str()?)?;
    (kind == "aws_iam_policy_document").then_some(())?;
    b.data_document(label)
}

/// Customer-managed policies by address and by name.
fn terraform_managed(root: &Node, b: &mut Builder, managed: &mut Vec<Managed>) {
    let Some(resources) = root.get("resource") else {
        return;
    };
    let base = Route::root().key("resource");
    for (label, body) in resources
        .get("aws_iam_policy")
        .map(Node::entries)
        .into_iter()
        .flatten()
    {
        let route = base.key("aws_iam_policy").key(label).key("policy");
        let name = PolicyName {
            address: format!("aws_iam_policy.{label}"),
            name: body.get_str("name").unwrap_or(label).to_owned(),
        };
        managed.push((name, document(b, route, body.get("policy"))));
    }
}

fn terraform_attachments(root: &Node, b: &mut Builder, managed: &[Managed]) -> Vec<(usize, usize)> {
    let Some(resources) = root.get("resource") else {
        return Vec::new();
    };
    let base = Route::root().key("resource");
    let policy_arn = |arn: &str| -> Option<&Managed> {
        if let Some((kind, label)) = tf_address(arn) {
            return managed.iter().find(|(n, _)| {
                kind == "aws_iam_policy" && n.address.ends_with(&format!(".{label}"))
            });
        }
        let name = arn.rsplit_once(":policy/")?.1.rsplit('/').next()?;
        managed.iter().find(|(n, _)| n.name == name)
    };
    let attach_arn = |b: &mut Builder, identity: Option<usize>, arn: &str| match policy_arn(arn) {
        Some((name, Some(policy))) => b.attach(identity, *policy, Some(name.clone())),
        _ => b.attach_external(identity, arn),
    };
    // Roles' inline blocks and `managed_policy_arns`.
    for (label, body) in resources
        .get("aws_iam_role")
        .map(Node::entries)
        .into_iter()
        .flatten()
    {
        let identity = b.identity(IdentityKind::Role, &format!("aws_iam_role.{label}"));
        let route = base.key("aws_iam_role").key(label);
        if let Some(blocks) = body.get("inline_policy") {
            for (i, block) in blocks.items().into_iter().enumerate() {
                let at = match blocks.as_seq() {
                    Some(_) => route.key("inline_policy").index(i).key("policy"),
                    None => route.key("inline_policy").key("policy"),
                };
                if let Some(p) = document(b, at, block.get("policy")) {
                    b.attach(identity, p, None);
                }
            }
        }
        for arn in body
            .get("managed_policy_arns")
            .map(strings)
            .unwrap_or_default()
        {
            attach_arn(b, identity, arn);
        }
    }
    // Inline policy resources.
    for (tf_kind, attr, kind) in [
        ("aws_iam_role_policy", "role", IdentityKind::Role),
        ("aws_iam_user_policy", "user", IdentityKind::User),
        ("aws_iam_group_policy", "group", IdentityKind::Group),
    ] {
        for (label, body) in resources
            .get(tf_kind)
            .map(Node::entries)
            .into_iter()
            .flatten()
        {
            let route = base.key(tf_kind).key(label).key("policy");
            let Some(p) = document(b, route, body.get("policy")) else {
                continue;
            };
            let identity = body.get_str(attr).and_then(|r| b.identity(kind, r));
            b.attach(identity, p, None);
        }
    }
    // Attachments of managed policies.
    for (tf_kind, attr, kind) in [
        ("aws_iam_role_policy_attachment", "role", IdentityKind::Role),
        ("aws_iam_user_policy_attachment", "user", IdentityKind::User),
        (
            "aws_iam_group_policy_attachment",
            "group",
            IdentityKind::Group,
        ),
    ] {
        for (_, body) in resources
            .get(tf_kind)
            .map(Node::entries)
            .into_iter()
            .flatten()
        {
            let Some(arn) = body.get_str("policy_arn") else {
                continue;
            };
            let identity = body.get_str(attr).and_then(|r| b.identity(kind, r));
            attach_arn(b, identity, arn);
        }
    }
    for (_, body) in resources
        .get("aws_iam_policy_attachment")
        .map(Node::entries)
        .into_iter()
        .flatten()
    {
        let Some(arn) = body.get_str("policy_arn") else {
            continue;
        };
        for (attr, kind) in [
            ("roles", IdentityKind::Role),
            ("users", IdentityKind::User),
            ("groups", IdentityKind::Group),
        ] {
            for target in body.get(attr).map(strings).unwrap_or_default() {
                let identity = b.identity(kind, target);
                attach_arn(b, identity, arn);
            }
        }
    }
    // Group membership.
    let mut groups_of = Vec::new();
    for (_, body) in resources
        .get("aws_iam_user_group_membership")
        .map(Node::entries)
        .into_iter()
        .flatten()
    {
        let user = body
            .get_str("user")
            .and_then(|u| b.identity(IdentityKind::User, u));
        for group in body.get("groups").map(strings).unwrap_or_default() {
            if let (Some(u), Some(g)) = (user, b.identity(IdentityKind::Group, group)) {
                groups_of.push((u, g));
            }
        }
    }
    for (_, body) in resources
        .get("aws_iam_group_membership")
        .map(Node::entries)
        .into_iter()
        .flatten()
    {
        let group = body
            .get_str("group")
            .and_then(|g| b.identity(IdentityKind::Group, g));
        for user in body.get("users").map(strings).unwrap_or_default() {
            if let (Some(u), Some(g)) = (b.identity(IdentityKind::User, user), group) {
                groups_of.push((u, g));
            }
        }
    }
    groups_of
}

/// `!Ref X` (read as the scalar `X`) or `{"Ref": "X"}`.
fn cfn_ref(node: &Node) -> Option<&str> {
    node.as_str().or_else(|| node.get_str("Ref"))
}

fn cloudformation(root: &Node, b: &mut Builder) -> Vec<(usize, usize)> {
    let Some(resources) = root.get("Resources") else {
        return Vec::new();
    };
    let base = Route::root().key("Resources");
    for (logical, resource) in resources.entries() {
        let (kind, name_key) = match resource.get_str("Type") {
            Some("AWS::IAM::Role") => (IdentityKind::Role, "RoleName"),
            Some("AWS::IAM::User") => (IdentityKind::User, "UserName"),
            Some("AWS::IAM::Group") => (IdentityKind::Group, "GroupName"),
            _ => continue,
        };
        let name = resource
            .get("Properties")
            .and_then(|p| p.get_str(name_key))
            .filter(|n| !n.contains("${"))
            .unwrap_or(logical);
        b.declare(kind, logical.to_owned(), name.to_owned());
    }
    let mut managed: Vec<(PolicyName, Option<usize>)> = Vec::new();
    for (logical, resource) in resources.entries() {
        if resource.get_str("Type") != Some("AWS::IAM::ManagedPolicy") {
            continue;
        }
        let route = base.key(logical).key("Properties").key("PolicyDocument");
        let name = resource
            .get("Properties")
            .and_then(|p| p.get_str("ManagedPolicyName"))
            .unwrap_or(logical);
        managed.push((
            PolicyName {
                address: logical.to_owned(),
                name: name.to_owned(),
            },
            b.policy_at(&route),
        ));
    }
    let mut groups_of = Vec::new();
    for (logical, resource) in resources.entries() {
        let Some(p) = resource.get("Properties") else {
            continue;
        };
        let route = base.key(logical).key("Properties");
        match resource.get_str("Type") {
            Some("AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group") => {
                let identity = b.by_address.get(logical).copied();
                if let Some(list) = p.get("Policies").and_then(Node::as_seq) {
                    for i in 0..list.len() {
                        let at = route.key("Policies").index(i).key("PolicyDocument");
                        if let Some(policy) = b.policy_at(&at) {
                            b.attach(identity, policy, None);
                        }
                    }
                }
                for arn in p
                    .get("ManagedPolicyArns")
                    .map(Node::items)
                    .unwrap_or_default()
                {
                    let Some(text) = cfn_ref(arn) else { continue };
                    match managed.iter().find(|(n, _)| n.address == text) {
                        Some((name, Some(policy))) => {
                            b.attach(identity, *policy, Some(name.clone()));
                        }
                        _ => b.attach_external(identity, text),
                    }
                }
                for group in p.get("Groups").map(Node::items).unwrap_or_default() {
                    let group = cfn_ref(group).and_then(|g| b.identity(IdentityKind::Group, g));
                    if let (Some(u), Some(g)) = (identity, group) {
                        groups_of.push((u, g));
                    }
                }
            }
            Some(kind @ ("AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy")) => {
                let Some(policy) = b.policy_at(&route.key("PolicyDocument")) else {
                    continue;
                };
                let name = (kind == "AWS::IAM::ManagedPolicy")
                    .then(|| managed.iter().find(|(n, _)| n.address == logical))
                    .flatten()
                    .map(|(n, _)| n.clone());
                for (key, kind) in [
                    ("Roles", IdentityKind::Role),
                    ("Users", IdentityKind::User),
                    ("Groups", IdentityKind::Group),
                ] {
                    for target in p.get(key).map(Node::items).unwrap_or_default() {
                        let identity = cfn_ref(target).and_then(|t| b.identity(kind, t));
                        b.attach(identity, policy, name.clone());
                    }
                }
            }
            _ => {}
        }
    }
    groups_of
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::iam;
    use std::path::PathBuf;

    fn file(text: &str, kind: FileKind) -> SourceFile {
        let root = match kind {
            FileKind::Terraform => crate::source::hcl::parse(text).unwrap(),
            _ => crate::source::yaml::parse(text).unwrap(),
        };
        SourceFile::new("x".into(), PathBuf::new(), text.into(), kind, Some(root))
    }

    #[test]
    fn terraform_attachments_by_address_and_name() {
        let text = r#"
resource "aws_iam_role" "ci" {
  name = "ci-role"
  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
  inline_policy {
    name   = "a"
    policy = jsonencode({Statement = [{Effect = "Allow", Action = "s3:GetObject", Resource = "*"}]})
  }
}
resource "aws_iam_policy" "p" {
  name   = "deploy"
  policy = data.aws_iam_policy_document.d.json
}
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["iam:PassRole"]
    resources = ["*"]
  }
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.ci.name
  policy_arn = aws_iam_policy.p.arn
}
resource "aws_iam_role_policy" "b" {
  role   = "ci-role"
  policy = jsonencode({Statement = [{Effect = "Deny", Action = "*", Resource = "*"}]})
}
resource "aws_iam_user_policy" "c" {
  user   = var.user
  policy = jsonencode({Statement = [{Effect = "Allow", Action = "*", Resource = "*"}]})
}
"#;
        let f = file(text, FileKind::Terraform);
        let policies = iam::policies(&f);
        let holders = holders(&f, &policies);
        assert_eq!(holders.identities.len(), 1);
        let ci = &holders.identities[0];
        assert_eq!(ci.name, "ci-role");
        assert_eq!(ci.policies.len(), 3, "{:?}", ci.policies);
        assert_eq!(ci.managed[0].name, "deploy");
        assert!(ci.is_named_by("aws_iam_role.ci.arn"));
        assert!(ci.is_named_by("arn:aws:iam::1:role/ci-role"));
        assert!(!ci.is_named_by("arn:aws:iam::1:role/*"));
        assert!(ci.names_own_policy("${aws_iam_policy.p.arn}"));
        // The user policy's holder is a variable: judged alone.
        assert_eq!(holders.unattached.len(), 1);
        let alone = &policies[holders.unattached[0]];
        assert!(alone.route.0.len() > 2);
    }

    #[test]
    fn cloudformation_managed_policies_and_groups() {
        let text = "Resources:\n  G:\n    Type: AWS::IAM::Group\n  U:\n    Type: AWS::IAM::User\n    Properties:\n      Groups: [!Ref G]\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Groups: [!Ref G]\n      PolicyDocument:\n        Statement:\n          - {Effect: Allow, Action: 'iam:PassRole', Resource: '*'}\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      ManagedPolicyArns: [!Ref P, 'arn:aws:iam::aws:policy/ReadOnlyAccess']\n";
        let f = file(text, FileKind::CloudFormation);
        let policies = iam::policies(&f);
        let holders = holders(&f, &policies);
        let by = |a: &str| holders.identities.iter().find(|i| i.address == a).unwrap();
        assert_eq!(by("U").policies, vec![0]);
        assert_eq!(by("R").policies, vec![0]);
        assert_eq!(by("R").external_arns.len(), 1);
        assert!(holders.unattached.is_empty());
    }

    #[test]
    fn references() {
        assert_eq!(
            tf_address("aws_iam_role.x.name"),
            Some(("aws_iam_role", "x"))
        );
        assert_eq!(
            tf_address("${aws_iam_policy.y.arn}"),
            Some(("aws_iam_policy", "y"))
        );
        assert_eq!(
            tf_address("data.aws_iam_policy_document.d.json"),
            Some(("aws_iam_policy_document", "d"))
        );
        assert_eq!(tf_address("ci-role"), None);
        assert_eq!(tf_address("var.role"), None);
    }
}
