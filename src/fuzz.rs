//! Entry points for the fuzz targets in `fuzz/` (one per parser, one for the whole per-file
//! check). They live in the library so that `tests/fuzz_corpus.rs` replays the kept corpora
//! through exactly the code the fuzzer ran. Each returns nothing: the property under test is
//! that no input panics, overflows the stack or runs away with time or memory.

use std::path::PathBuf;

use crate::config::{self, Config};
use crate::engine;
use crate::model::repo::RepoContext;
use crate::rules;
use crate::source::discover::{self, Candidate};
use crate::source::{hcl, hcl1, json, yaml};

/// A fuzz target's body: any bytes in, nothing out, never a panic.
pub type Target = fn(&[u8]);

/// The fuzz targets, by the name of their folder under `fuzz/corpus/`.
pub const TARGETS: [(&str, Target); 5] = [
    ("yaml", yaml_target),
    ("json", json_target),
    ("terraform", terraform_target),
    ("vault", vault_target),
    ("check", check_target),
];

/// The parsers take text; the fuzzer's bytes become text the way a file's would, or not at all.
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The YAML parser (workflows, actions, settings, `tollgate.yml`, CloudFormation).
pub fn yaml_target(data: &[u8]) {
    if let Some(text) = text(data) {
        let _ = yaml::parse(text);
    }
}

/// JSON through the fast JSON path and through the YAML parser it falls back to (JSON is
/// YAML 1.2); seeded with JSON policies, and the parsed tree is walked the way classification
/// and the IAM model walk it.
pub fn json_target(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Some(root) = json::parse(text) {
        let _ = root.get("Statement").map(|s| s.entries().count());
    }
    if let Ok(root) = yaml::parse(text) {
        let _ = root.get("Statement").map(|s| s.entries().count());
    }
}

/// Terraform through hcl-edit into the spanned tree.
pub fn terraform_target(data: &[u8]) {
    if let Some(text) = text(data) {
        let _ = hcl::parse(text);
    }
}

/// Vault policy HCL1 through the hand-written parser, then its validation.
pub fn vault_target(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(root) = hcl1::parse(text) {
        let _ = hcl1::validate_vault_policy(&root);
    }
}

/// File names that steer classification: the first byte of the input picks one, the rest is
/// the file's content.
const NAMES: [&str; 10] = [
    ".github/workflows/ci.yml",
    "action.yml",
    ".github/settings.yml",
    "tollgate.yml",
    "infra/main.tf",
    "vault/app.hcl",
    "vault/app.policy",
    "iam/policy.json",
    "cfn/stack.yaml",
    "cfn/stack.template",
];

/// The whole per-file check: classification and parsing as `load` does them, then every rule
/// through `engine::check_file` with the default config and an empty repository context. A
/// `tollgate.yml` is also read as the config.
pub fn check_target(data: &[u8]) {
    let Some((&selector, content)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(selector) % NAMES.len()];
    // Half the inputs as a file named on the command line, half as one found by the walk.
    let candidate = Candidate {
        fs_path: PathBuf::from(name),
        display: name.into(),
        explicit: selector >= 128,
    };
    if name == "tollgate.yml"
        && let Some(text) = text(content)
    {
        let _ = config::parse(text, name, crate::rules::is_rule_id);
    }
    let Ok(Some(file)) = discover::parse(&candidate, content.to_vec()) else {
        return;
    };
    let _ = engine::check_file(
        &file,
        rules::registry(),
        &Config::default(),
        &RepoContext::default(),
    );
}
