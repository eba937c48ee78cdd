//! What a rule can know about the rest of the repository: the documents that declare
//! environments, roles and policy, read before any workflow is judged.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::environment::{self, DeclaredEnvironment};
use super::federation::{self, FederatedTrust, ServiceAccountBinding};
use super::iam::{self, Policy};
use super::principals::{self, ModuleView};
use super::roles;
use super::terraform::Tree;
use crate::source::discover::Candidate;
use crate::source::{FileKind, SourceFile};

/// A declaration document: held in memory, or only found and read again when a rule asks
/// for it (a role's trust policy, reached from the few workflow jobs that assume it).
struct Declaration {
    candidate: Candidate,
    file: OnceLock<Option<SourceFile>>,
}

/// Reads a declaration document again: the engine's file loading, handed to the model so the
/// model itself does no IO. `None` when the file cannot be read or parsed any more.
pub type Loader = Box<dyn Fn(&Candidate) -> Option<SourceFile> + Send + Sync>;

#[derive(Default)]
pub struct RepoContext {
    /// Declaration documents (settings, Terraform, IAM, CloudFormation), by display path.
    files: HashMap<String, Declaration>,
    pub environments: Vec<DeclaredEnvironment>,
    /// Role name → the files that declare a role of that name.
    roles: HashMap<String, Vec<String>>,
    /// Files declaring GCP or Azure federated trusts or service-account bindings, sorted.
    federation_files: Vec<String>,
    /// The repository's Terraform, to evaluate a declaration read again.
    pub terraform: Option<Arc<Tree>>,
    /// Terraform module directory → its files that hold policies or identities, and their
    /// principals, read on the first rule's request (see [`RepoContext::module_principals`]).
    modules: HashMap<String, (Vec<String>, OnceLock<ModuleView>)>,
    /// How a declaration not kept in memory is read again; without one, it cannot be.
    loader: Option<Loader>,
}

/// Which declaration documents the context holds in memory ([`Digested::held_under`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Every document stays in memory (drift compares all of them with the live side).
    All,
    /// Only documents that other files' rules read on every run (settings, `tollgate.yml`,
    /// environment declarations) stay; role declarations are read again on demand; the
    /// rest are not kept at all. This keeps memory flat on trees of many policies.
    Context,
}

/// One declaration document, digested on its own (in parallel with the others) for
/// [`RepoContext::build`]: what it declares, and the document when it is to be held.
pub struct Digested {
    path: String,
    declaration: Option<Declaration>,
    environments: Vec<DeclaredEnvironment>,
    role_names: Vec<String>,
    /// Whether the document declares GCP or Azure federated trust.
    federated: bool,
    /// Settings and the policy file: held whatever they declare.
    always: bool,
    /// A Terraform file with policies or identities: part of its module's principals.
    in_module: bool,
}

impl Digested {
    /// What the context needs of `file`, read from its policies (`iam`, filled on demand and
    /// left for the file's own check to reuse). The document itself is not held until
    /// [`Digested::hold`]; if it declares roles, it will be read again when a rule asks.
    pub fn new<'a>(
        candidate: Candidate,
        file: &'a SourceFile,
        iam: &OnceCell<Vec<Policy<'a>>>,
    ) -> Self {
        let environments = environment::declared_in(file);
        let in_module = file.kind == FileKind::Terraform
            && principals::in_module_view(file, iam.get_or_init(|| iam::policies(file)));
        let mut role_names: Vec<String> = match file.kind {
            FileKind::IamJson | FileKind::CloudFormation | FileKind::Terraform => {
                roles::roles_with(file, iam.get_or_init(|| iam::policies(file)))
                    .into_iter()
                    .map(|r| r.name)
                    .collect()
            }
            _ => Vec::new(),
        };
        role_names.sort();
        role_names.dedup();
        let federated = federation::declares_federation(file)
            && (!federation::trusts(file).is_empty()
                || !federation::service_account_bindings(file).is_empty());
        let declaration = (!role_names.is_empty() || in_module || federated).then(|| Declaration {
            candidate,
            file: OnceLock::new(),
        });
        Self {
            path: file.path.clone(),
            declaration,
            environments,
            role_names,
            federated,
            always: matches!(file.kind, FileKind::Settings | FileKind::Policy),
            in_module,
        }
    }

    /// Whether the file's IAM rules need the repository: a Terraform file whose policies and
    /// identities may meet others of its module. It is checked after the context is built.
    pub fn needs_context(&self) -> bool {
        self.in_module
    }

    /// Whether the context holds this document in memory under `keep`: other files' rules
    /// read settings, the policy file and environment declarations on every run.
    pub fn held_under(&self, keep: Keep) -> bool {
        keep == Keep::All || self.always || !self.environments.is_empty()
    }

    /// Holds the document in memory.
    pub fn hold(&mut self, candidate: Candidate, file: SourceFile) {
        let held = OnceLock::new();
        let _ = held.set(Some(file));
        self.declaration = Some(Declaration {
            candidate,
            file: held,
        });
    }

    /// Whether the document adds nothing to the context.
    pub fn is_empty(&self) -> bool {
        self.declaration.is_none()
            && self.environments.is_empty()
            && self.role_names.is_empty()
            && !self.in_module
            && !self.federated
    }
}

/// Whether a name with unresolved parts (`${var.env}-deploy`) could be `name`: its `${…}`
/// parts stand for any text.
fn could_name(pattern: &str, name: &str) -> bool {
    let mut literal = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        literal.push(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            return false;
        };
        rest = &rest[start + end + 1..];
    }
    literal.push(rest);
    let mut at = 0;
    for (i, part) in literal.iter().enumerate() {
        let Some(found) = name.get(at..).and_then(|n| n.find(part)) else {
            return false;
        };
        if i == 0 && found != 0 {
            return false;
        }
        at += found + part.len();
    }
    literal.last().is_none_or(|last| name.ends_with(last))
}

impl RepoContext {
    /// The context of these digested documents; `loader` reads again the ones not held.
    pub fn build(digested: Vec<Digested>, loader: Loader) -> Self {
        let mut context = Self {
            loader: Some(loader),
            ..Self::default()
        };
        for entry in digested {
            context.environments.extend(entry.environments);
            for name in entry.role_names {
                context
                    .roles
                    .entry(name)
                    .or_default()
                    .push(entry.path.clone());
            }
            if entry.in_module {
                context
                    .modules
                    .entry(principals::module_dir(&entry.path).to_owned())
                    .or_default()
                    .0
                    .push(entry.path.clone());
            }
            if entry.federated {
                context.federation_files.push(entry.path.clone());
            }
            if let Some(declaration) = entry.declaration {
                context.files.insert(entry.path, declaration);
            }
        }
        for (paths, _) in context.modules.values_mut() {
            paths.sort();
        }
        context
            .environments
            .sort_by(|a, b| (&a.path, &a.name).cmp(&(&b.path, &b.name)));
        for paths in context.roles.values_mut() {
            paths.sort();
        }
        context.federation_files.sort();
        context
    }

    /// Declarations of an environment, matched case-insensitively as GitHub does.
    pub fn environment(&self, name: &str) -> Vec<&DeclaredEnvironment> {
        self.environments
            .iter()
            .filter(|e| e.name.eq_ignore_ascii_case(name))
            .collect()
    }

    /// A declaration document by display path, read again if it was not kept.
    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        let declaration = self.files.get(path)?;
        declaration
            .file
            .get_or_init(|| {
                let mut file = (self.loader.as_ref()?)(&declaration.candidate)?;
                if let Some(tree) = &self.terraform {
                    tree.resolve(&mut file);
                }
                Some(file)
            })
            .as_ref()
    }

    /// The principals of the Terraform module `path` belongs to, read once from all its files
    /// that hold policies or identities; `None` when the context does not know the file's
    /// module (a file checked on its own).
    pub fn module_principals(&self, path: &str) -> Option<&ModuleView> {
        let (paths, view) = self.modules.get(principals::module_dir(path))?;
        if !paths.iter().any(|p| p == path) {
            return None;
        }
        Some(view.get_or_init(|| {
            let files: Vec<&SourceFile> = paths.iter().filter_map(|p| self.file(p)).collect();
            ModuleView::build(&files)
        }))
    }

    /// A Terraform file of a module's principals, as the context read it (evaluated), when
    /// it is one: such a file is checked late, with the repository context, from this copy.
    pub fn deferred_file(&self, path: &str) -> Option<&SourceFile> {
        let (paths, _) = self.modules.get(principals::module_dir(path))?;
        paths.iter().any(|p| p == path).then(|| self.file(path))?
    }

    /// The documents held in memory (with [`Keep::All`], every one).
    pub fn held_files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files
            .values()
            .filter_map(|d| d.file.get().and_then(Option::as_ref))
    }

    /// Roles whose name the evaluator could not resolve (`${var.prefix}-deploy`) and that
    /// could be named `name`, with the file declaring each.
    pub fn unresolved_role_names(&self, name: &str) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = self
            .roles
            .iter()
            .filter(|(pattern, _)| {
                super::terraform::value::is_unresolved(pattern) && could_name(pattern, name)
            })
            .flat_map(|(pattern, paths)| paths.iter().map(|p| (pattern.as_str(), p.as_str())))
            .collect();
        out.sort_unstable();
        out
    }

    /// Every role of this name the repository declares, ordered by file.
    pub fn roles_named(&self, name: &str) -> Vec<roles::DeclaredRole<'_>> {
        self.roles
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|path| self.file(path))
            .flat_map(roles::roles)
            .filter(|role| role.name == name)
            .collect()
    }

    /// Every GCP or Azure federated trust the repository declares, ordered by file.
    pub fn federated_trusts(&self) -> Vec<FederatedTrust<'_>> {
        self.federation_files
            .iter()
            .filter_map(|path| self.file(path))
            .flat_map(federation::trusts)
            .collect()
    }

    /// Every GCP service-account binding to a workload identity pool, ordered by file.
    pub fn service_account_bindings(&self) -> Vec<ServiceAccountBinding<'_>> {
        self.federation_files
            .iter()
            .filter_map(|path| self.file(path))
            .flat_map(federation::service_account_bindings)
            .collect()
    }
}
