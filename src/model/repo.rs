//! What a rule can know about the rest of the repository: the documents that declare
//! environments, roles and policy, read before any workflow is judged.

use std::collections::HashMap;

use super::environment::{self, DeclaredEnvironment};
use crate::source::SourceFile;

#[derive(Default)]
pub struct RepoContext {
    /// Declaration documents (settings, Terraform, IAM, CloudFormation), by display path.
    pub files: HashMap<String, SourceFile>,
    pub environments: Vec<DeclaredEnvironment>,
}

impl RepoContext {
    pub fn build(files: Vec<SourceFile>) -> Self {
        let mut environments: Vec<DeclaredEnvironment> =
            files.iter().flat_map(environment::declared_in).collect();
        environments.sort_by(|a, b| (&a.path, &a.name).cmp(&(&b.path, &b.name)));
        Self {
            files: files.into_iter().map(|f| (f.path.clone(), f)).collect(),
            environments,
        }
    }

    /// Declarations of an environment, matched case-insensitively as GitHub does.
    pub fn environment(&self, name: &str) -> Vec<&DeclaredEnvironment> {
        self.environments
            .iter()
            .filter(|e| e.name.eq_ignore_ascii_case(name))
            .collect()
    }

    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        self.files.get(path)
    }
}
