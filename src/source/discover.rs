//! Walking the inputs and deciding what each file is.

use std::path::{Component, Path, PathBuf};

use ignore::WalkBuilder;

use super::{FileError, FileKind, Node, SourceFile, hcl, hcl1, yaml};

/// Bigger than any workflow or policy a person writes; bigger files are refused, not parsed.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A file to read, with how it was found: files named on the command line are read even when
/// their names would not be picked up by the walk.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub fs_path: PathBuf,
    pub display: String,
    pub explicit: bool,
}

/// The folder findings are relative to: the enclosing git repository when there is one, so
/// SARIF uris are repository-relative; else the one folder given; else the working folder.
pub fn scan_root(inputs: &[PathBuf]) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let first = inputs
        .first()
        .map_or_else(|| cwd.clone(), |p| absolute(&cwd, p));
    let start = if first.is_dir() {
        first.clone()
    } else {
        first
            .parent()
            .map_or_else(|| cwd.clone(), Path::to_path_buf)
    };
    let mut dir = Some(start.as_path());
    while let Some(current) = dir {
        if current.join(".git").exists() {
            return current.to_path_buf();
        }
        dir = current.parent();
    }
    if inputs.len() == 1 && first.is_dir() {
        return first;
    }
    cwd
}

/// The folder a changed-files run reads its repository context from: the nearest folder, from
/// the first input upwards, that holds a `tollgate.yml` (in any of its accepted places) or is a
/// git repository. `None` outside any repository: then only the given files are read.
pub fn context_root(inputs: &[PathBuf]) -> Option<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let first = absolute(&cwd, inputs.first()?);
    let start = if first.is_dir() {
        first
    } else {
        first.parent()?.to_path_buf()
    };
    start
        .ancestors()
        .find(|dir| {
            dir.join(".git").exists()
                || crate::config::CONFIG_NAMES
                    .iter()
                    .any(|name| dir.join(name).is_file())
        })
        .map(Path::to_path_buf)
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    normalize(&joined)
}

/// Removes `.` and resolves `..` lexically, so relative display paths come out clean.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `base`, with `..` where needed; both absolute and normalised.
fn relative(base: &Path, path: &Path) -> PathBuf {
    let base: Vec<_> = base.components().collect();
    let target: Vec<_> = path.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for component in &target[common..] {
        out.push(component.as_os_str());
    }
    out
}

/// Path shown to users: relative to the scan root, `/`-separated.
pub fn display_path(root: &Path, fs_path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let abs = absolute(&cwd, fs_path);
    let shown = match abs.strip_prefix(root) {
        Ok(inside) => inside.to_path_buf(),
        // Outside the root (a file named on the command line): relative to where we stand.
        Err(_) => relative(&cwd, &abs),
    };
    let text = shown.to_string_lossy().replace('\\', "/");
    if text.is_empty() { ".".into() } else { text }
}

/// Whether a walked file is worth reading at all. Named files are always read.
fn wanted(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("yml" | "yaml" | "json" | "tf" | "hcl" | "policy" | "template")
    )
}

/// Folders whose contents belong to someone else.
fn vendored(name: &str) -> bool {
    matches!(name, ".git" | "node_modules" | "vendor" | ".terraform")
}

/// Walks the inputs, honouring `.gitignore` but not skipping hidden folders such as `.github`.
pub fn walk(
    inputs: &[PathBuf],
    root: &Path,
    ignore_globs: &globset::GlobSet,
) -> (Vec<Candidate>, Vec<FileError>) {
    let mut candidates = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        if !input.exists() {
            errors.push(FileError {
                path: input.to_string_lossy().into_owned(),
                line: None,
                column: None,
                message: "no such file or folder".into(),
            });
            continue;
        }
        if input.is_file() {
            candidates.push(Candidate {
                display: display_path(root, input),
                fs_path: input.clone(),
                explicit: true,
            });
            continue;
        }
        let walker = WalkBuilder::new(input)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|entry| {
                !(entry.file_type().is_some_and(|t| t.is_dir())
                    && entry.file_name().to_str().is_some_and(vendored))
            })
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if !entry.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    let path = entry.path();
                    if !wanted(path) {
                        continue;
                    }
                    let display = display_path(root, path);
                    if ignore_globs.is_match(&display) {
                        continue;
                    }
                    candidates.push(Candidate {
                        fs_path: path.to_path_buf(),
                        display,
                        explicit: false,
                    });
                }
                Err(error) => errors.push(walk_error(root, &error)),
            }
        }
    }
    candidates.sort_by(|a, b| a.display.cmp(&b.display));
    candidates.dedup_by(|a, b| a.display == b.display);
    (candidates, errors)
}

fn walk_error(root: &Path, error: &ignore::Error) -> FileError {
    // The ignore crate wraps the path inside the error; dig it out so the message names it.
    fn path_of(error: &ignore::Error) -> Option<&Path> {
        match error {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Loop { child, .. } => Some(child),
            _ => None,
        }
    }
    let path = path_of(error).map_or_else(|| ".".into(), |p| display_path(root, p));
    let message = match error {
        ignore::Error::Loop { .. } => "symbolic link loop".to_string(),
        other => other.to_string(),
    };
    FileError {
        path,
        line: None,
        column: None,
        message,
    }
}

/// Whether a file may declare environments, roles or policy, and so must be read before the
/// workflows that depend on it. YAML outside the known places is peeked at for the marks of a
/// CloudFormation template.
pub fn is_declaration_candidate(candidate: &Candidate) -> bool {
    let name = candidate
        .display
        .rsplit('/')
        .next()
        .unwrap_or(&candidate.display)
        .to_ascii_lowercase();
    if [".tf", ".hcl", ".policy", ".json", ".template"]
        .iter()
        .any(|ext| name.ends_with(ext))
    {
        return true;
    }
    if !is_yaml(&name)
        || in_workflows_dir(&candidate.display)
        || name == "action.yml"
        || name == "action.yaml"
    {
        return false;
    }
    if matches!(
        classify_by_path(&candidate.display, &name),
        Some(FileKind::Settings | FileKind::Policy)
    ) {
        return true;
    }
    std::fs::read_to_string(&candidate.fs_path)
        .is_ok_and(|text| text.contains("AWSTemplateFormatVersion") || text.contains("AWS::"))
}

fn in_workflows_dir(display: &str) -> bool {
    display.contains(".github/workflows/") && !display.contains(".github/workflows/templates/")
}

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yml") || name.ends_with(".yaml")
}

/// Reads, classifies and parses one file. `Ok(None)` means the file is not one tollgate reads.
pub fn load(candidate: &Candidate) -> Result<Option<SourceFile>, FileError> {
    let error = |message: String| FileError {
        path: candidate.display.clone(),
        line: None,
        column: None,
        message,
    };
    let metadata = std::fs::metadata(&candidate.fs_path)
        .map_err(|e| error(format!("cannot read: {}", io_reason(&e))))?;
    if metadata.len() > MAX_FILE_BYTES {
        return Err(error(format!(
            "file is {} MB, more than the {} MB tollgate reads",
            metadata.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = std::fs::read(&candidate.fs_path)
        .map_err(|e| error(format!("cannot read: {}", io_reason(&e))))?;
    parse(candidate, bytes)
}

/// Classifies and parses a file's bytes, as [`load`] does once they are read; the fuzz
/// targets and their corpus replay (`tests/fuzz_corpus.rs`) start here.
pub fn parse(candidate: &Candidate, bytes: Vec<u8>) -> Result<Option<SourceFile>, FileError> {
    let error = |message: String| FileError {
        path: candidate.display.clone(),
        line: None,
        column: None,
        message,
    };
    let name = candidate
        .display
        .rsplit('/')
        .next()
        .unwrap_or(&candidate.display)
        .to_ascii_lowercase();
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            if e.as_bytes().contains(&0)
                && !candidate.explicit
                && !in_workflows_dir(&candidate.display)
            {
                // A binary file with a config-like name is not ours to judge.
                return Ok(None);
            }
            return Err(error(format!(
                "not valid UTF-8 (first bad byte at offset {offset})"
            )));
        }
    };
    let kind = classify_by_path(&candidate.display, &name);
    let position_error = |offset: usize, text: &str, what: &str, message: &str| {
        let probe = SourceFile::new(
            String::new(),
            PathBuf::new(),
            text.to_owned(),
            FileKind::Other,
            None,
        );
        let position = probe.position(offset);
        FileError {
            path: candidate.display.clone(),
            line: Some(position.line),
            column: Some(position.column),
            message: format!("invalid {what}: {message}"),
        }
    };
    match kind {
        Some(FileKind::Terraform) => {
            let root = hcl::parse(&text)
                .map_err(|e| position_error(e.offset, &text, "Terraform HCL", &e.message))?;
            Ok(Some(SourceFile::new(
                candidate.display.clone(),
                candidate.fs_path.clone(),
                text,
                FileKind::Terraform,
                Some(root),
            )))
        }
        Some(FileKind::VaultPolicy) => {
            // `.hcl` is also Terragrunt, Packer, Nomad and Vault's own server config: only a
            // file that reads as a policy (or is named `.policy`) is judged as one.
            let policy_named = name.ends_with(".policy");
            let root = match hcl1::parse(&text) {
                Ok(root) => root,
                Err(e) if policy_named || looks_like_vault_policy(&text) => {
                    return Err(position_error(e.offset, &text, "Vault policy", &e.message));
                }
                Err(_) => return Ok(None),
            };
            let is_policy = policy_named
                || root
                    .as_map()
                    .unwrap_or_default()
                    .iter()
                    .any(|e| matches!(e.key.as_str(), Some("path" | "name")));
            if !is_policy {
                return Ok(None);
            }
            hcl1::validate_vault_policy(&root)
                .map_err(|e| position_error(e.offset, &text, "Vault policy", &e.message))?;
            Ok(Some(SourceFile::new(
                candidate.display.clone(),
                candidate.fs_path.clone(),
                text,
                FileKind::VaultPolicy,
                Some(root),
            )))
        }
        // A YAML or JSON file found by the walk outside the known paths is parsed only when
        // its text could make it a workflow or a policy: most such files (package manifests,
        // lock files, Helm charts) are neither, and parsing them would dominate the scan.
        None if !candidate.explicit && !could_be_document(&text) => Ok(None),
        _ if is_yaml(&name) || name.ends_with(".json") || name.ends_with(".template") => {
            let file_error = |e: yaml::ParseError, text: &str| {
                let probe = SourceFile::new(
                    String::new(),
                    PathBuf::new(),
                    text.to_owned(),
                    FileKind::Other,
                    None,
                );
                let position = probe.position(e.offset);
                FileError {
                    path: candidate.display.clone(),
                    line: Some(position.line),
                    column: Some(position.column),
                    message: format!(
                        "invalid {}: {}",
                        if name.ends_with(".json") {
                            "JSON"
                        } else {
                            "YAML"
                        },
                        e.message
                    ),
                }
            };
            let root = match yaml::parse(&text) {
                Ok(root) => root,
                Err(e) => {
                    // Only files tollgate is meant to read are worth an error; a broken YAML
                    // that is nobody's workflow or policy is skipped.
                    if kind.is_some() || candidate.explicit || looks_relevant(&text) {
                        return Err(file_error(e, &text));
                    }
                    return Ok(None);
                }
            };
            let kind = kind.unwrap_or_else(|| classify_by_content(&name, &root));
            if kind == FileKind::Other {
                return Ok(None);
            }
            let mut root = root;
            if kind == FileKind::CloudFormation {
                graft_string_policies(&text, &mut root);
            }
            Ok(Some(SourceFile::new(
                candidate.display.clone(),
                candidate.fs_path.clone(),
                text,
                kind,
                Some(root),
            )))
        }
        _ => Ok(None),
    }
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file".into(),
        _ => error.to_string(),
    }
}

/// Cheap test for the content markers of a workflow, an IAM policy or a cloud template.
fn could_be_document(text: &str) -> bool {
    text.contains("jobs") || text.contains("Statement") || text.contains("AWS")
}

/// CloudFormation accepts a policy document written as a JSON string (`PolicyDocument: |`).
/// The string's source text is still JSON, indentation and all, so it is parsed in place and
/// grafted into the tree with spans into the template.
fn graft_string_policies(text: &str, root: &mut Node) {
    let mut stack: Vec<&mut Node> = vec![root];
    while let Some(node) = stack.pop() {
        match &mut node.kind {
            super::NodeKind::Map(entries) => {
                for entry in entries.iter_mut() {
                    let is_policy = matches!(
                        entry.key.as_str(),
                        Some("PolicyDocument" | "AssumeRolePolicyDocument")
                    );
                    let raw = text.get(entry.value.span.start..entry.value.span.end);
                    if is_policy
                        && let Some(raw) = raw
                        && entry
                            .value
                            .as_str()
                            .is_some_and(|s| s.trim_start().starts_with('{'))
                    {
                        // Skip the block header (`|`, `|-`, `>`) up to the first `{`.
                        if let Some(brace) = raw.find('{')
                            && let Ok(mut parsed) = yaml::parse(&raw[brace..])
                            && parsed.as_map().is_some()
                        {
                            parsed.shift(entry.value.span.start + brace);
                            entry.value = parsed;
                            continue;
                        }
                    }
                    stack.push(&mut entry.value);
                }
            }
            super::NodeKind::Seq(items) => stack.extend(items.iter_mut()),
            super::NodeKind::Scalar { .. } => {}
        }
    }
}

/// A broken `.hcl` file that still reads like a Vault policy deserves an error.
fn looks_like_vault_policy(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("path \"") || l.starts_with("path\t")
    })
}

/// A broken YAML file that still reads like a workflow, a cloud template or (in JSON) an IAM
/// policy deserves an error.
fn looks_relevant(text: &str) -> bool {
    let has_line = |prefix: &str| text.lines().any(|l| l.starts_with(prefix));
    (has_line("jobs:") && (has_line("on:") || has_line("\"on\":") || has_line("'on':")))
        || text.contains("AWSTemplateFormatVersion")
        || has_line("runs:")
        // Issue 7: a policy nested 20,000 deep was skipped in silence, not named as an error.
        || text.contains("\"Statement\"")
}

fn classify_by_path(display: &str, name: &str) -> Option<FileKind> {
    if name.ends_with(".tf") {
        return Some(FileKind::Terraform);
    }
    if name.ends_with(".hcl") || name.ends_with(".policy") {
        return Some(FileKind::VaultPolicy);
    }
    if !is_yaml(name) {
        return None;
    }
    if in_workflows_dir(display) {
        return Some(FileKind::Workflow);
    }
    if name == "action.yml" || name == "action.yaml" {
        return Some(FileKind::Action);
    }
    if display == ".github/settings.yml" || display.ends_with("/.github/settings.yml") {
        return Some(FileKind::Settings);
    }
    if name == "tollgate.yml" || name == "tollgate.yaml" {
        return Some(FileKind::Policy);
    }
    None
}

fn classify_by_content(name: &str, root: &Node) -> FileKind {
    if root.get("jobs").is_some() && root.get("on").is_some() {
        return FileKind::Workflow;
    }
    if root.get("AWSTemplateFormatVersion").is_some()
        || root.get("Resources").is_some_and(|r| {
            r.entries()
                .any(|(_, v)| v.get_str("Type").is_some_and(|t| t.starts_with("AWS::")))
        })
    {
        return FileKind::CloudFormation;
    }
    if name.ends_with(".json")
        && root.get("path").is_some_and(|paths| {
            paths
                .entries()
                .any(|(_, body)| body.get("capabilities").is_some() || body.get("policy").is_some())
        })
    {
        return FileKind::VaultPolicy;
    }
    if name.ends_with(".json") {
        let statement_holder = root.get("Statement").is_some()
            || root
                .get("PolicyDocument")
                .or_else(|| root.get("AssumeRolePolicyDocument"))
                .is_some();
        if statement_holder {
            return FileKind::IamJson;
        }
    }
    FileKind::Other
}
