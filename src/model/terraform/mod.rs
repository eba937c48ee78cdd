//! The repository's Terraform, read as Terraform evaluates it.
//!
//! A [`Tree`] is made once per scan. Each folder of `.tf` files is a [`Module`]: its
//! variables (with `terraform.tfvars`, `*.auto.tfvars` and, for a local module, the
//! arguments its callers pass), locals, resources and data sources. [`Tree::resolve`]
//! rewrites a parsed Terraform file so that every expression holds its value: rules and
//! `paths` read `var.org`, `local.subjects`, `aws_iam_openid_connect_provider.github.arn`,
//! templates, `jsonencode`, `for` expressions and `dynamic` blocks as values, and never resolve
//! references themselves.
//!
//! **Unknown stays unknown.** What cannot be resolved statically (a variable with no default
//! and no caller, a remote state, a module output, an unsupported function) is left as a
//! string holding `${…}` around the expression (see [`value::is_unresolved`] and
//! [`value::could_not_resolve`]); a rule that meets one reports that it could not resolve it,
//! never that the value is safe.
//!
//! Drift can use the same API: [`Tree::new`], [`Tree::resolve`], then a value with
//! [`value::is_unresolved`] matches any live value.

pub mod eval;
pub mod functions;
pub mod registry;
pub mod value;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};

use crate::source::{Node, NodeKind, ScalarStyle, SourceFile};
use eval::Eval;
use value::{Value, literal};

/// Module arguments that are Terraform's own, not the module's variables.
const META_ARGUMENTS: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "depends_on",
];

/// A module call found in the tree: `module "x" { source = "./…" … }`.
struct Call {
    caller_dir: PathBuf,
    text: Arc<str>,
    args: Vec<(String, Expression)>,
}

/// The Terraform of one scan: modules read once each, and the local module calls between them.
pub struct Tree {
    root: PathBuf,
    terraform_files: Vec<PathBuf>,
    modules: Mutex<HashMap<PathBuf, Arc<Module>>>,
    calls: OnceLock<HashMap<PathBuf, Vec<Call>>>,
    /// A tree of one file alone (a document checked on its own): its folder's other files
    /// are not read.
    only: Option<PathBuf>,
}

thread_local! {
    /// Modules being built on this thread, so that a cycle of module calls ends.
    static BUILDING: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
}

/// `a/b/../c` → `/…/a/c`, absolute, without touching the file system (no link is followed).
fn normalize(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

impl Tree {
    /// A tree rooted at `root`, whose Terraform files are `terraform_files` (the scan's).
    pub fn new(root: &Path, terraform_files: Vec<PathBuf>) -> Self {
        Self {
            root: normalize(root),
            terraform_files: terraform_files.iter().map(|p| normalize(p)).collect(),
            modules: Mutex::new(HashMap::new()),
            calls: OnceLock::new(),
            only: None,
        }
    }

    /// A tree of `file` alone: its variables, locals and resources, none of its folder's.
    pub fn single(file: &Path) -> Self {
        let mut tree = Self::new(file.parent().unwrap_or(Path::new(".")), Vec::new());
        tree.only = Some(normalize(file));
        tree
    }

    /// Rewrites `file`'s tree so that its expressions hold their values.
    pub fn resolve(&self, file: &mut SourceFile) {
        if file.kind != crate::source::FileKind::Terraform {
            return;
        }
        let dir = normalize(file.fs_path.parent().unwrap_or(Path::new(".")));
        let module = self.module(&dir);
        let ev = Eval::new(&module);
        if let Some(root) = file.root.as_mut() {
            expand_instances(root, &ev);
            resolve_node(root, &ev, 0);
            if self.only.is_none() && self.calls().contains_key(&dir) {
                // The module's roles are declared at each call, evaluated with its arguments
                // (nested calls included): read here as well, each would be reported twice.
                drop_called_roles(root);
            } else {
                self.graft_module_roles(root, &dir);
            }
        }
    }

    /// Roles made by module calls, declared at the call: `module.<call>.resource.aws_iam_role.
    /// <name>` in the calling file, every part spanning the call (or the input it came from).
    /// A local module is evaluated with this call's arguments; a registry module is read
    /// through the table of `registry`; any other module adds nothing (it stays unknown).
    fn graft_module_roles(&self, root: &mut Node, dir: &Path) {
        let NodeKind::Map(top) = &mut root.kind else {
            return;
        };
        let Some(calls) = top.iter_mut().find(|e| e.key.as_str() == Some("module")) else {
            return;
        };
        let NodeKind::Map(calls) = &mut calls.value.kind else {
            return;
        };
        for call in calls.iter_mut() {
            let Some(source) = call.value.get_str("source").map(str::to_string) else {
                continue;
            };
            let span = call.value.span;
            let roles: Vec<(String, Node)> = if is_local_source(&source) {
                let target = normalize(&dir.join(&source));
                if !target.starts_with(&self.root) || self.only.is_some() {
                    continue;
                }
                local_module_roles(&target, &self.root, &call.value, span)
            } else if let Some(module) = registry::find(&source) {
                registry_role(module, &call.value, span)
                    .into_iter()
                    .collect()
            } else {
                continue;
            };
            if roles.is_empty() {
                continue;
            }
            let role_map = Node {
                kind: NodeKind::Map(
                    roles
                        .into_iter()
                        .map(|(name, body)| entry(&name, body, span))
                        .collect::<Vec<_>>()
                        .into(),
                ),
                span,
            };
            let resource = Node {
                kind: NodeKind::Map(vec![entry("aws_iam_role", role_map, span)].into()),
                span,
            };
            if let NodeKind::Map(body) = &mut call.value.kind {
                body.retain(|e| e.key.as_str() != Some("resource"));
                body.push(entry("resource", resource, span));
            }
        }
    }

    fn calls(&self) -> &HashMap<PathBuf, Vec<Call>> {
        self.calls.get_or_init(|| {
            let mut calls: HashMap<PathBuf, Vec<Call>> = HashMap::new();
            for path in &self.terraform_files {
                let Ok(text) = std::fs::read_to_string(path) else {
                    continue;
                };
                if !text.contains("module") || !(text.contains("\"./") || text.contains("\"../")) {
                    continue;
                }
                let Ok(body) = crate::source::hcl::parse_body(&text) else {
                    continue;
                };
                let caller_dir = normalize(path.parent().unwrap_or(Path::new(".")));
                let text: Arc<str> = Arc::from(text.as_str());
                for block in body.iter().filter_map(Structure::as_block) {
                    if block.ident.as_str() != "module" {
                        continue;
                    }
                    let mut source = None;
                    let mut args = Vec::new();
                    for attribute in block.body.iter().filter_map(Structure::as_attribute) {
                        let key = attribute.key.as_str();
                        if key == "source" {
                            if let Expression::String(s) = &attribute.value {
                                source = Some(s.value().to_string());
                            }
                        } else if !META_ARGUMENTS.contains(&key) {
                            args.push((key.to_string(), attribute.value.clone()));
                        }
                    }
                    let Some(source) = source.filter(|s| is_local_source(s)) else {
                        continue;
                    };
                    let target = normalize(&caller_dir.join(&source));
                    if !target.starts_with(&self.root) {
                        continue;
                    }
                    calls.entry(target).or_default().push(Call {
                        caller_dir: caller_dir.clone(),
                        text: text.clone(),
                        args,
                    });
                }
            }
            calls
        })
    }

    /// The first Terraform file (relative to the root) that writes `"text"` as a string: a role
    /// named there may be made by something the evaluator cannot read (a module missing from
    /// the registry table), so a deploy path that needs it is unknown, not broken.
    pub fn mentions(&self, text: &str) -> Option<String> {
        let quoted = format!("\"{text}\"");
        self.terraform_files.iter().find_map(|path| {
            let found = std::fs::read_to_string(path).ok()?.contains(&quoted);
            found.then(|| {
                path.strip_prefix(&self.root)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .replace('\\', "/")
            })
        })
    }

    /// The module in `dir`, read on first use.
    pub fn module(&self, dir: &Path) -> Arc<Module> {
        let dir = normalize(dir);
        if let Ok(modules) = self.modules.lock()
            && let Some(module) = modules.get(&dir)
        {
            return module.clone();
        }
        let cycle = BUILDING.with(|b| b.borrow().contains(&dir));
        let mut module = Module::read(&dir, self.only.as_deref());
        if !cycle {
            BUILDING.with(|b| b.borrow_mut().push(dir.clone()));
            module.inputs = self.inputs(&dir, &module);
            BUILDING.with(|b| {
                b.borrow_mut().pop();
            });
        }
        let module = Arc::new(module);
        if !cycle && let Ok(mut modules) = self.modules.lock() {
            modules.insert(dir, module.clone());
        }
        module
    }

    /// What the module's variables are set to: `*.tfvars` first, then the arguments of its
    /// callers. Callers that disagree, or pass what is unknown, leave the variable unknown.
    fn inputs(&self, dir: &Path, module: &Module) -> HashMap<String, Value> {
        let mut inputs = module.tfvars.clone();
        let Some(calls) = self.calls().get(dir) else {
            return inputs;
        };
        let mut passed: HashMap<String, Vec<Value>> = HashMap::new();
        for call in calls {
            let caller = self.module(&call.caller_dir);
            let ev = Eval::new(&caller);
            for (name, expr) in &call.args {
                passed
                    .entry(name.clone())
                    .or_default()
                    .push(ev.expr(expr, &call.text));
            }
        }
        for (name, values) in passed {
            if inputs.contains_key(&name) {
                continue;
            }
            let value = match values.as_slice() {
                [one] => one.clone(),
                [first, rest @ ..] if rest.iter().all(|v| v == first) => first.clone(),
                _ => Value::unknown(&format!(
                    "var.{name} (differs between the {} callers of this module)",
                    values.len()
                )),
            };
            inputs.insert(name, value);
        }
        inputs
    }
}

/// A called module's `aws_iam_role` resources, and the `aws_iam_policy_document`s their trust
/// is read from, taken out of its own file's tree (they are grafted at the calls).
fn drop_called_roles(root: &mut Node) {
    let mut documents: Vec<String> = Vec::new();
    if let Some(roles) = root.get("resource").and_then(|r| r.get("aws_iam_role")) {
        for (_, body) in roles.entries() {
            if let Some(document) = body
                .get_str("assume_role_policy")
                .and_then(|r| r.trim().strip_prefix("data.aws_iam_policy_document."))
                .and_then(|r| r.strip_suffix(".json"))
            {
                documents.push(document.to_string());
            }
        }
    }
    let NodeKind::Map(top) = &mut root.kind else {
        return;
    };
    for entry in top.iter_mut() {
        let NodeKind::Map(kinds) = &mut entry.value.kind else {
            continue;
        };
        match entry.key.as_str() {
            Some("resource") => kinds.retain(|k| k.key.as_str() != Some("aws_iam_role")),
            Some("data") => {
                for kind in kinds.iter_mut() {
                    if kind.key.as_str() != Some("aws_iam_policy_document") {
                        continue;
                    }
                    if let NodeKind::Map(labels) = &mut kind.value.kind {
                        labels.retain(|l| {
                            l.key
                                .as_str()
                                .is_none_or(|label| !documents.iter().any(|d| d == label))
                        });
                    }
                }
            }
            _ => {}
        }
    }
}

fn entry(key: &str, value: Node, span: crate::source::Span) -> crate::source::node::Entry {
    crate::source::node::Entry {
        key: Node {
            kind: NodeKind::Scalar {
                value: key.to_string(),
                style: ScalarStyle::Plain,
            },
            span,
        },
        value,
    }
}

/// A call's arguments as the module's inputs.
fn call_inputs(call: &Node) -> HashMap<String, Value> {
    call.entries()
        .filter(|(key, _)| !META_ARGUMENTS.contains(key))
        .map(|(key, value)| (key.to_string(), Value::from_node(value)))
        .collect()
}

/// A policy held as JSON text (a heredoc, `file()`d JSON) read as a document.
fn as_document(value: Value) -> Value {
    match &value {
        Value::String(text) if text.trim_start().starts_with('{') => {
            match crate::source::yaml::parse(text) {
                Ok(node) => Value::from_node(&node),
                Err(_) => value,
            }
        }
        _ => value,
    }
}

/// Local modules followed below a call: deeper than any real tree, and a cycle ends here.
const MAX_MODULE_DEPTH: usize = 8;

/// Module instances evaluated below one call. Each call of a module is evaluated anew with
/// its arguments, so a tree that calls each module several times grows as fan-out^depth: a
/// few small hostile files would otherwise cost minutes. Real trees stay far below this;
/// what lies beyond it is not followed, as a module outside the table is not.
const MAX_MODULE_INSTANCES: usize = 128;

/// Whether a local module's folder may be read: inside the repository, and not reached
/// through a symbolic link (which could point anywhere).
fn readable_module_dir(dir: &Path, root: &Path) -> bool {
    dir.starts_with(root) && std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
}

/// The roles of the local module in `dir`, evaluated with the arguments of `call`.
fn local_module_roles(
    dir: &Path,
    root: &Path,
    call: &Node,
    span: crate::source::Span,
) -> Vec<(String, Node)> {
    let mut budget = MAX_MODULE_INSTANCES;
    module_roles(dir, root, call_inputs(call), span, 0, &mut budget)
}

/// The roles of the module in `dir` with `inputs`, and of the modules it calls in turn (local
/// ones evaluated with the arguments it passes, registry ones through the table), named
/// `<call>.<role>` below it.
fn module_roles(
    dir: &Path,
    root: &Path,
    inputs: HashMap<String, Value>,
    span: crate::source::Span,
    depth: usize,
    budget: &mut usize,
) -> Vec<(String, Node)> {
    if *budget == 0 || !readable_module_dir(dir, root) {
        return Vec::new();
    }
    *budget -= 1;
    let mut module = Module::read(dir, None);
    module.inputs = inputs;
    let ev = Eval::new(&module);
    let mut names: Vec<&str> = module
        .blocks
        .keys()
        .filter_map(|k| k.strip_prefix("resource.aws_iam_role."))
        .collect();
    names.sort_unstable();
    let mut roles: Vec<(String, Node)> = names
        .into_iter()
        .map(|name| {
            let mut body = Vec::new();
            for attr in ["name", "assume_role_policy", "max_session_duration"] {
                if let Some(value) = module.attribute(&ev, false, "aws_iam_role", name, attr) {
                    body.push((attr.to_string(), as_document(value)));
                }
            }
            (name.to_string(), Value::Map(body).to_node(span))
        })
        .collect();
    if depth >= MAX_MODULE_DEPTH {
        return roles;
    }
    let mut calls: Vec<(&String, &(usize, Body))> = module.calls.iter().collect();
    calls.sort_by(|a, b| a.0.cmp(b.0));
    for (call, (file, body)) in calls {
        let text = module.text(*file);
        let mut source = None;
        let mut args = HashMap::new();
        for attribute in body.iter().filter_map(Structure::as_attribute) {
            let key = attribute.key.as_str();
            if key == "source" {
                source = ev.nested(&attribute.value, text).as_text();
            } else if !META_ARGUMENTS.contains(&key) {
                args.insert(key.to_string(), ev.nested(&attribute.value, text));
            }
        }
        let Some(source) = source else { continue };
        let inner: Vec<(String, Node)> = if is_local_source(&source) {
            let target = normalize(&dir.join(&source));
            module_roles(&target, root, args, span, depth + 1, budget)
        } else if let Some(table) = registry::find(&source) {
            let call_node = Value::Map(args.into_iter().collect()).to_node(span);
            registry_role(table, &call_node, span).into_iter().collect()
        } else {
            continue;
        };
        roles.extend(
            inner
                .into_iter()
                .map(|(name, node)| (format!("{call}.{name}"), node)),
        );
    }
    roles
}

/// The role a registry module in the table makes, from the call's inputs.
fn registry_role(
    module: &registry::OidcModule,
    call: &Node,
    span: crate::source::Span,
) -> Option<(String, Node)> {
    let inputs = call_inputs(call);
    let input_span = |name: &str| call.get(name).map_or(span, |n| n.span);
    let name = inputs
        .get(&module.role_name)
        .cloned()
        .or_else(|| module.default_role_name.clone().map(Value::String))
        .unwrap_or_else(|| Value::unknown(&format!("var.{}", module.role_name)));
    let subjects = inputs
        .get(&module.subjects)
        .cloned()
        .unwrap_or_else(|| Value::unknown(&format!("var.{}", module.subjects)));
    let context = module.context.as_ref().and_then(|c| inputs.get(c));
    let subs = module.subjects_of(&subjects, context);
    let duration = module
        .session_duration
        .as_ref()
        .and_then(|d| inputs.get(d).cloned())
        .unwrap_or(Value::Number(module.default_session_duration as f64));
    let provider = Value::Unknown(
        "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com"
            .into(),
    );
    let statement = Value::Map(vec![
        ("Effect".into(), Value::String("Allow".into())),
        (
            "Action".into(),
            Value::String("sts:AssumeRoleWithWebIdentity".into()),
        ),
        (
            "Principal".into(),
            Value::Map(vec![("Federated".into(), provider)]),
        ),
    ]);
    let mut statement_node = statement.to_node(span);
    let aud = Value::Map(vec![(
        "token.actions.githubusercontent.com:aud".into(),
        Value::String("sts.amazonaws.com".into()),
    )])
    .to_node(span);
    let sub = Node {
        kind: NodeKind::Map(
            vec![entry(
                "token.actions.githubusercontent.com:sub",
                subs.to_node(input_span(&module.subjects)),
                input_span(&module.subjects),
            )]
            .into(),
        ),
        span,
    };
    let condition = Node {
        kind: NodeKind::Map(
            vec![
                entry("StringEquals", aud, span),
                entry(&module.operator, sub, span),
            ]
            .into(),
        ),
        span,
    };
    if let NodeKind::Map(entries) = &mut statement_node.kind {
        entries.push(entry("Condition", condition, span));
    }
    let trust = Node {
        kind: NodeKind::Map(
            vec![
                entry(
                    "Version",
                    Value::String("2012-10-17".into()).to_node(span),
                    span,
                ),
                entry(
                    "Statement",
                    Node {
                        kind: NodeKind::Seq(vec![statement_node]),
                        span,
                    },
                    span,
                ),
            ]
            .into(),
        ),
        span,
    };
    let role = Node {
        kind: NodeKind::Map(
            vec![
                entry("name", name.to_node(input_span(&module.role_name)), span),
                entry("assume_role_policy", trust, span),
                entry(
                    "max_session_duration",
                    duration.to_node(
                        module
                            .session_duration
                            .as_ref()
                            .map_or(span, |d| input_span(d)),
                    ),
                    span,
                ),
            ]
            .into(),
        ),
        span,
    };
    Some(("this".to_string(), role))
}

/// `./x`, `../x`: a module in the same repository.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// One folder of `.tf` files.
#[derive(Default)]
pub struct Module {
    texts: Vec<Arc<str>>,
    variables: HashMap<String, (usize, Option<Expression>)>,
    locals: HashMap<String, (usize, Expression)>,
    /// `resource.T.N` / `data.T.N` → (file, body).
    blocks: HashMap<String, (usize, Body)>,
    /// Module calls: name → (file, body).
    calls: HashMap<String, (usize, Body)>,
    tfvars: HashMap<String, Value>,
    inputs: HashMap<String, Value>,
}

impl Module {
    fn read(dir: &Path, only: Option<&Path>) -> Self {
        let mut module = Module::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return module;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| normalize(&e.path()))
            .filter(|path| only.is_none_or(|only| only == path))
            .collect();
        files.sort();
        let mut tfvars = Vec::new();
        for path in files {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let is_tfvars = name == "terraform.tfvars" || name.ends_with(".auto.tfvars");
            if !name.ends_with(".tf") && !is_tfvars {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(body) = crate::source::hcl::parse_body(&text) else {
                continue;
            };
            let index = module.texts.len();
            module.texts.push(Arc::from(text.as_str()));
            if is_tfvars {
                tfvars.push((name, index, body));
                continue;
            }
            module.index(index, &body);
        }
        // terraform.tfvars first, then *.auto.tfvars in name order: later files win.
        tfvars.sort_by_key(|(name, _, _)| (name != "terraform.tfvars", name.clone()));
        let empty = Module::default();
        let ev = Eval::new(&empty);
        let mut values = HashMap::new();
        for (_, index, body) in tfvars {
            let text = module
                .texts
                .get(index)
                .cloned()
                .unwrap_or_else(|| Arc::from(""));
            for attribute in body.iter().filter_map(Structure::as_attribute) {
                values.insert(
                    attribute.key.as_str().to_string(),
                    ev.expr(&attribute.value, &text),
                );
            }
        }
        module.tfvars = values;
        module
    }

    fn index(&mut self, file: usize, body: &Body) {
        for block in body.iter().filter_map(Structure::as_block) {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            match (block.ident.as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    let default = block
                        .body
                        .iter()
                        .filter_map(Structure::as_attribute)
                        .find(|a| a.key.as_str() == "default")
                        .map(|a| a.value.clone());
                    self.variables.insert(name.to_string(), (file, default));
                }
                ("locals", []) => {
                    for attribute in block.body.iter().filter_map(Structure::as_attribute) {
                        self.locals.insert(
                            attribute.key.as_str().to_string(),
                            (file, attribute.value.clone()),
                        );
                    }
                }
                ("module", [n]) => {
                    self.calls.insert(n.to_string(), (file, block.body.clone()));
                }
                (kind @ ("resource" | "data"), [t, n]) => {
                    self.blocks
                        .insert(format!("{kind}.{t}.{n}"), (file, block.body.clone()));
                }
                _ => {}
            }
        }
    }

    fn text(&self, file: usize) -> &str {
        self.texts.get(file).map_or("", |t| t)
    }

    pub fn variable(&self, ev: &Eval, name: &str) -> Value {
        if let Some(value) = self.tfvars.get(name).or_else(|| self.inputs.get(name)) {
            return value.clone();
        }
        match self.variables.get(name) {
            Some((file, Some(default))) => ev.nested(default, self.text(*file)),
            Some((_, None)) => Value::unknown(&format!("var.{name}")),
            None => Value::unknown(&format!("var.{name}")),
        }
    }

    pub fn local(&self, ev: &Eval, name: &str) -> Value {
        match self.locals.get(name) {
            Some((file, expr)) => ev.nested(expr, self.text(*file)),
            None => Value::unknown(&format!("local.{name}")),
        }
    }

    fn argument(&self, ev: &Eval, file: usize, body: &Body, name: &str) -> Option<Value> {
        body.iter()
            .filter_map(Structure::as_attribute)
            .find(|a| a.key.as_str() == name)
            .map(|a| ev.nested(&a.value, self.text(file)))
    }

    /// An attribute of `resource.kind.name` (or `data.…`), as far as it is known statically:
    /// arguments as written, and the ARNs, URLs and documents the AWS provider derives.
    pub fn attribute(
        &self,
        ev: &Eval,
        data: bool,
        kind: &str,
        name: &str,
        attr: &str,
    ) -> Option<Value> {
        let prefix = if data { "data" } else { "resource" };
        let address = format!("{prefix}.{kind}.{name}");
        if data && kind == "aws_caller_identity" {
            return Some(Value::unknown(&format!("data.{kind}.{name}.{attr}")));
        }
        let (file, body) = self.blocks.get(&address)?;
        let arg = |key: &str| self.argument(ev, *file, body, key);
        let account = || Value::unknown("data.aws_caller_identity.current.account_id");
        match (kind, attr) {
            ("aws_iam_openid_connect_provider", "arn") => {
                if data && let Some(arn) = arg("arn") {
                    return Some(arn);
                }
                let url = arg("url")?;
                Some(oidc_arn(&url, &account()))
            }
            ("aws_iam_openid_connect_provider", "url") => {
                if let Some(url) = arg("url") {
                    return Some(url);
                }
                let arn = arg("arn")?.as_text()?;
                let host = arn.split_once(":oidc-provider/")?.1.to_string();
                Some(Value::String(format!("https://{host}")))
            }
            ("aws_iam_role", "arn") => {
                let name = arg("name")?;
                let path = arg("path")
                    .and_then(|p| p.as_text())
                    .unwrap_or_else(|| "/".into());
                let text = format!(
                    "arn:aws:iam::{}:role{path}{}",
                    account().as_text().unwrap_or_default(),
                    name.as_text()?
                );
                Some(Value::Unknown(text))
            }
            ("aws_iam_role", "id" | "name") => arg("name"),
            ("aws_iam_policy_document", "json" | "minified_json") if data => {
                Some(policy_document(ev, self.text(*file), body))
            }
            _ => arg(attr),
        }
    }
}

fn oidc_arn(url: &Value, account: &Value) -> Value {
    let Some(url) = url.as_text() else {
        return Value::unknown("aws_iam_openid_connect_provider.arn");
    };
    let host = url.trim_start_matches("https://");
    Value::Unknown(format!(
        "arn:aws:iam::{}:oidc-provider/{host}",
        account.as_text().unwrap_or_default()
    ))
}

/// `data "aws_iam_policy_document"`'s `json`: the statement blocks as an IAM JSON document.
fn policy_document(ev: &Eval, text: &str, body: &Body) -> Value {
    let mut statements = Vec::new();
    for block in body.iter().filter_map(Structure::as_block) {
        if block.ident.as_str() != "statement" {
            continue;
        }
        let arg = |key: &str| {
            block
                .body
                .iter()
                .filter_map(Structure::as_attribute)
                .find(|a| a.key.as_str() == key)
                .map(|a| ev.nested(&a.value, text))
        };
        let mut statement = vec![(
            "Effect".to_string(),
            arg("effect").unwrap_or_else(|| Value::String("Allow".into())),
        )];
        for (from, to) in [
            ("sid", "Sid"),
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(value) = arg(from) {
                statement.push((to.to_string(), value));
            }
        }
        let mut principals: Vec<(String, Value)> = Vec::new();
        let mut conditions: Vec<(String, Value)> = Vec::new();
        for inner in block.body.iter().filter_map(Structure::as_block) {
            let get = |key: &str| {
                inner
                    .body
                    .iter()
                    .filter_map(Structure::as_attribute)
                    .find(|a| a.key.as_str() == key)
                    .map(|a| ev.nested(&a.value, text))
            };
            match inner.ident.as_str() {
                "principals" => {
                    let kind = get("type").and_then(|t| t.as_text()).unwrap_or_default();
                    principals.push((kind, get("identifiers").unwrap_or(Value::Null)));
                }
                "condition" => {
                    let test = get("test").and_then(|t| t.as_text()).unwrap_or_default();
                    let variable = get("variable")
                        .and_then(|t| t.as_text())
                        .unwrap_or_default();
                    let values = get("values").unwrap_or(Value::Null);
                    match conditions.iter_mut().find(|(t, _)| *t == test) {
                        Some((_, Value::Map(tests))) => tests.push((variable, values)),
                        _ => conditions.push((test, Value::Map(vec![(variable, values)]))),
                    }
                }
                _ => {}
            }
        }
        if !principals.is_empty() {
            statement.push(("Principal".into(), Value::Map(principals)));
        }
        if !conditions.is_empty() {
            statement.push(("Condition".into(), Value::Map(conditions)));
        }
        statements.push(Value::Map(statement));
    }
    Value::Map(vec![
        ("Version".into(), Value::String("2012-10-17".into())),
        ("Statement".into(), Value::List(statements)),
    ])
}

/// Deeper than any real document; the tree is rewritten recursively.
const MAX_DEPTH: usize = 128;

/// Whether a plain scalar is Terraform expression text rather than a literal.
fn is_expression(text: &str) -> bool {
    literal(text).is_none() && !text.is_empty()
}

/// The value of one scalar, when evaluating it changes anything.
fn scalar_value(value: &str, style: ScalarStyle, ev: &Eval) -> Option<Value> {
    match style {
        ScalarStyle::Plain if is_expression(value) => {
            let expr = hcl_edit::parser::parse_expr(value).ok()?;
            // A reference to a policy document is kept as written: `roles` follows it to the
            // document's own statements, so findings point into the document.
            if let Expression::Traversal(_) = &expr
                && value.trim().starts_with("data.aws_iam_policy_document.")
            {
                return None;
            }
            Some(ev.expr(&expr, value))
        }
        ScalarStyle::Quoted | ScalarStyle::Block if value.contains("${") => {
            let template = hcl_edit::parser::parse_template(value).ok()?;
            let src = value;
            let mut out = String::new();
            let mut known = true;
            for element in template.iter() {
                match element {
                    hcl_edit::template::Element::Literal(text) => out.push_str(text.value()),
                    hcl_edit::template::Element::Interpolation(i) => {
                        let value = ev.expr(&i.expr, src);
                        match &value {
                            Value::Unknown(text) => {
                                known = false;
                                out.push_str(text);
                            }
                            other => match other.as_text() {
                                Some(text) => out.push_str(&text),
                                None => match other.to_json() {
                                    Some(json) => out.push_str(&json),
                                    None => return None,
                                },
                            },
                        }
                    }
                    hcl_edit::template::Element::Directive(_) => {
                        return Some(Value::unknown(value));
                    }
                }
            }
            if style == ScalarStyle::Block && known {
                let trimmed = out.trim_start();
                if (trimmed.starts_with('{') || trimmed.starts_with('['))
                    && let Ok(node) = crate::source::yaml::parse(&out)
                {
                    return Some(Value::from_node(&node));
                }
            }
            Some(if known {
                Value::String(out)
            } else {
                Value::Unknown(out)
            })
        }
        _ => None,
    }
}

/// Resources, data sources and module calls with `count` or `for_each`: one entry per
/// instance (`label["a"]`, `label[0]`), each resolved with its `each`/`count`, when the
/// collection is known; else one, with `each` and `count` unknown.
fn expand_instances(root: &mut Node, ev: &Eval) {
    let NodeKind::Map(top) = &mut root.kind else {
        return;
    };
    for entry in top.iter_mut() {
        let blocks: Vec<&mut Node> = match entry.key.as_str() {
            Some("resource" | "data") => match &mut entry.value.kind {
                NodeKind::Map(kinds) => kinds.iter_mut().map(|k| &mut k.value).collect(),
                _ => continue,
            },
            Some("module") => vec![&mut entry.value],
            _ => continue,
        };
        for block in blocks {
            let NodeKind::Map(labels) = &mut block.kind else {
                continue;
            };
            let mut expanded: Vec<crate::source::node::Entry> = Vec::new();
            for labelled in labels.drain(..) {
                let Some(label) = labelled.key.as_str().map(str::to_string) else {
                    expanded.push(labelled);
                    continue;
                };
                let meta = ["for_each", "count"].into_iter().find_map(|key| {
                    labelled
                        .value
                        .get_str(key)
                        .map(|text| (key, text.to_string()))
                });
                let Some((meta, text)) = meta else {
                    expanded.push(labelled);
                    continue;
                };
                let collection = hcl_edit::parser::parse_expr(&text)
                    .ok()
                    .map(|expr| ev.expr(&expr, &text));
                let instances: Option<Vec<(String, Value)>> = match (meta, &collection) {
                    ("count", Some(Value::Number(n))) if *n >= 0.0 && *n <= 64.0 => Some(
                        (0..*n as usize)
                            .map(|i| {
                                (
                                    format!("{label}[{i}]"),
                                    Value::Map(vec![("index".into(), Value::Number(i as f64))]),
                                )
                            })
                            .collect(),
                    ),
                    ("for_each", Some(value)) if value.is_known() => {
                        eval::pairs(value).filter(|p| p.len() <= 64).map(|pairs| {
                            pairs
                                .into_iter()
                                .map(|(key, value)| {
                                    // A set's elements are their own keys.
                                    let key = match (&collection, key) {
                                        (Some(Value::List(_)), _) => value.clone(),
                                        (_, key) => key,
                                    };
                                    let shown = key.as_text().unwrap_or_default();
                                    (
                                        format!("{label}[\"{shown}\"]"),
                                        Value::Map(vec![
                                            ("key".into(), key),
                                            ("value".into(), value),
                                        ]),
                                    )
                                })
                                .collect()
                        })
                    }
                    _ => None,
                };
                let name = if meta == "count" { "count" } else { "each" };
                match instances {
                    Some(instances) => {
                        for (instance_label, binding) in instances {
                            let scope = ev.with(name, binding);
                            let mut body = labelled.value.clone();
                            resolve_node(&mut body, &scope, 1);
                            let mut key = labelled.key.clone();
                            if let NodeKind::Scalar { value, .. } = &mut key.kind {
                                *value = instance_label;
                            }
                            expanded.push(crate::source::node::Entry { key, value: body });
                        }
                    }
                    None => expanded.push(labelled),
                }
            }
            labels.extend(expanded);
        }
    }
}

/// Rewrites `node` in place: scalars to their values, `dynamic` blocks to the blocks they make.
fn resolve_node(node: &mut Node, ev: &Eval, depth: usize) {
    if depth >= MAX_DEPTH {
        return;
    }
    let span = node.span;
    match &mut node.kind {
        NodeKind::Scalar { value, style } => {
            if let Some(resolved) = scalar_value(value, *style, ev) {
                *node = resolved.to_node(span);
            }
        }
        NodeKind::Seq(items) => {
            for item in items {
                resolve_node(item, ev, depth + 1);
            }
        }
        NodeKind::Map(entries) => {
            let mut made: Vec<(String, Node)> = Vec::new();
            for entry in entries.iter_mut() {
                resolve_key(&mut entry.key, ev);
                if entry.key.as_str() == Some("dynamic") && is_dynamic(&entry.value) {
                    made.extend(expand_dynamic(&entry.value, ev, depth));
                    continue;
                }
                resolve_node(&mut entry.value, ev, depth + 1);
            }
            for (label, block) in made {
                let existing = entries.iter_mut().find(|e| e.key.as_str() == Some(&label));
                match existing {
                    Some(entry) => {
                        if let NodeKind::Seq(items) = &mut entry.value.kind {
                            items.push(block);
                        }
                    }
                    None => {
                        let key = Node {
                            kind: NodeKind::Scalar {
                                value: label,
                                style: ScalarStyle::Plain,
                            },
                            span: block.span,
                        };
                        entries.push(crate::source::node::Entry {
                            key,
                            value: Node {
                                span: block.span,
                                kind: NodeKind::Seq(vec![block]),
                            },
                        });
                    }
                }
            }
        }
    }
}

/// Whether a `dynamic` entry holds `dynamic "label" { content { … } }` blocks, not a resource
/// that happens to be named `dynamic`.
fn is_dynamic(node: &Node) -> bool {
    node.as_map().is_some_and(|blocks| {
        !blocks.is_empty() && blocks.iter().all(|b| b.value.get("content").is_some())
    })
}

/// An object key written as an expression (`"${local.host}:sub"`, `(var.key)`) to its value.
fn resolve_key(key: &mut Node, ev: &Eval) {
    let NodeKind::Scalar { value, style } = &mut key.kind else {
        return;
    };
    if *style != ScalarStyle::Plain || !(value.starts_with('"') || value.starts_with('(')) {
        return;
    }
    let Ok(expr) = hcl_edit::parser::parse_expr(value) else {
        return;
    };
    if let Some(text) = ev.expr(&expr, value).as_text() {
        *value = text;
        *style = ScalarStyle::Quoted;
    }
}

/// `dynamic "label" { for_each = …, iterator = …, content { … } }` → the `label` blocks it
/// makes, one per element; one block with the iterator unknown when `for_each` is.
fn expand_dynamic(dynamic: &Node, ev: &Eval, depth: usize) -> Vec<(String, Node)> {
    let mut out = Vec::new();
    for (label, body) in dynamic.entries() {
        let Some(content) = body.get("content").and_then(|c| c.items().first().copied()) else {
            continue;
        };
        let iterator = body
            .get_str("iterator")
            .map_or_else(|| label.to_string(), str::to_string);
        let for_each = body
            .get_str("for_each")
            .and_then(|text| hcl_edit::parser::parse_expr(text).ok().map(|e| (e, text)))
            .map(|(expr, text)| ev.expr(&expr, text));
        let elements = for_each.as_ref().and_then(eval::pairs);
        let bindings: Vec<Value> = match elements {
            Some(pairs) => pairs
                .into_iter()
                .map(|(key, value)| Value::Map(vec![("key".into(), key), ("value".into(), value)]))
                .collect(),
            None => vec![Value::unknown(&format!("{iterator} (for_each)"))],
        };
        for binding in bindings {
            let scope = ev.with(&iterator, binding);
            let mut block = content.clone();
            resolve_node(&mut block, &scope, depth + 1);
            out.push((label.to_string(), block));
        }
    }
    out
}
