//! Walking the inputs and deciding what each file is.

use std::path::{Component, Path, PathBuf};

use ignore::WalkBuilder;

use super::{FileError, FileKind, Node, SourceFile, fsio, hcl, hcl1, json, yaml};

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

/// Names the config file may have, in the order they are looked for.
pub const CONFIG_NAMES: [&str; 3] = ["tollgate.yml", "tollgate.yaml", ".github/tollgate.yml"];

/// The config file a folder holds, if any. A folder inside `.github` holds none: a workflow
/// may be called `tollgate.yml`.
pub fn held_by(dir: &Path) -> Option<PathBuf> {
    if dir.components().any(|c| c.as_os_str() == ".github") {
        return None;
    }
    CONFIG_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
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
        .find(|dir| dir.join(".git").exists() || held_by(dir).is_some())
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

/// Path shown to users: relative to the scan root, `/`-separated. Bytes that are not UTF-8
/// are shown as `\xNN` and control characters as visible escapes, so two names that differ
/// only there stay distinct and a name cannot break the line it is printed on.
pub fn display_path(root: &Path, fs_path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let abs = absolute(&cwd, fs_path);
    let shown = match abs.strip_prefix(root) {
        Ok(inside) => inside.to_path_buf(),
        // Outside the root (a file named on the command line): relative to where we stand.
        Err(_) => relative(&cwd, &abs),
    };
    let text = escaped_name(shown.as_os_str());
    if text.is_empty() { ".".into() } else { text }
}

/// A file name as text: UTF-8 as it is, other bytes as `\xNN`, control characters visible.
fn escaped_name(name: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        out.push_str(&crate::escape::visible(chunk.valid()));
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// Whether a walked file is worth reading for the document rules. Named files are always read.
fn wanted(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    let name = name.as_ref();
    if lock_file(name) {
        return false;
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("yml" | "yaml" | "json" | "tf" | "hcl" | "policy" | "template")
    )
}

/// Whether a walked file may hold text worth a raw-text rule (secret detection): anything
/// but lock files and files whose extension says binary. Content is checked when read.
fn text_candidate(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    let name = name.as_ref();
    if lock_file(name) {
        return false;
    }
    let Some((_, ext)) = name.rsplit_once('.') else {
        return true;
    };
    let ext = ext.to_ascii_lowercase();
    !BINARY_EXTENSIONS.contains(&ext.as_str())
}

/// Generated dependency pins: large, machine-written, full of hashes that look random.
fn lock_file(name: &str) -> bool {
    matches!(
        name,
        "package-lock.json"
            | "npm-shrinkwrap.json"
            | "pnpm-lock.yaml"
            | "yarn.lock"
            | "Cargo.lock"
            | "Gemfile.lock"
            | "poetry.lock"
            | "Pipfile.lock"
            | "composer.lock"
            | "go.sum"
            | ".terraform.lock.hcl"
    ) || name.ends_with(".lock")
}

/// Extensions of files that are not text; skipped without being opened.
const BINARY_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "webp", "tif", "tiff", "psd", "svgz", "pdf", "doc",
    "docx", "xls", "xlsx", "ppt", "pptx", "odt", "zip", "gz", "tgz", "bz2", "xz", "zst", "7z",
    "rar", "tar", "jar", "war", "ear", "whl", "egg", "class", "pyc", "pyo", "o", "a", "so",
    "dylib", "dll", "exe", "bin", "obj", "lib", "wasm", "woff", "woff2", "ttf", "otf", "eot",
    "mp3", "mp4", "m4a", "wav", "ogg", "flac", "avi", "mov", "mkv", "webm", "iso", "dmg", "img",
    "deb", "rpm", "apk", "ipa", "sqlite", "db", "parquet", "avro", "pb", "onnx", "pt", "h5", "npy",
    "npz", "pkl",
];

/// Folders whose contents belong to someone else.
fn vendored(name: &str) -> bool {
    matches!(
        name,
        ".git"
            | "node_modules"
            | "vendor"
            | ".terraform"
            | "bower_components"
            | ".venv"
            | "venv"
            | "site-packages"
            | "__pycache__"
            | ".tox"
    )
}

/// Walks the inputs. In a git repository every tracked file is a candidate whatever the
/// ignore files say (a pull request cannot hide a committed workflow behind a `.gitignore`);
/// ignore files (`.gitignore`, `.ignore`, `.git/info/exclude`) only drop untracked files.
/// Hidden folders such as `.github` are not skipped. With `all_text`, every file that may be
/// text is a candidate (for raw-text rules), not only the kinds the document rules read.
///
/// No symlink is followed out of the scan root: a link found by the walk or named on the
/// command line that leads outside it (or nowhere) is an error naming the link. A FIFO,
/// socket or device is an error naming it, and is never opened.
pub fn walk(
    inputs: &[PathBuf],
    root: &Path,
    ignore_globs: &globset::GlobSet,
    all_text: bool,
) -> (Vec<Candidate>, Vec<FileError>) {
    let mut walk = Walk {
        root,
        real_root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
        ignore_globs,
        all_text,
        candidates: Vec::new(),
        errors: Vec::new(),
        seen: std::collections::HashSet::new(),
    };
    for input in inputs {
        walk.input(input);
    }
    let mut candidates = walk.candidates;
    candidates.sort_by(|a, b| a.display.cmp(&b.display));
    // The same file named twice is read once; two files shown alike both stay.
    candidates.dedup_by(|a, b| a.display == b.display && a.fs_path == b.fs_path);
    (candidates, walk.errors)
}

struct Walk<'a> {
    root: &'a Path,
    real_root: PathBuf,
    ignore_globs: &'a globset::GlobSet,
    all_text: bool,
    candidates: Vec<Candidate>,
    errors: Vec<FileError>,
    /// Files the ignore-aware walk already gave, so the tracked ones are not added twice.
    seen: std::collections::HashSet<PathBuf>,
}

/// Why a symbolic link is not followed; `Display` is the wording users see.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("symbolic link to a path outside the scan root; not followed")]
    OutsideRoot,
    #[error("symbolic link loop; not followed")]
    Loop,
    #[error("broken symbolic link (its target does not exist)")]
    Broken,
}

impl Walk<'_> {
    fn error(&mut self, path: &Path, message: impl Into<String>) {
        self.errors.push(FileError {
            path: display_path(self.root, path),
            line: None,
            column: None,
            message: message.into(),
        });
    }

    fn wants(&self, path: &Path) -> bool {
        wanted(path) || self.all_text && text_candidate(path)
    }

    /// Where a symlink leads, when that is inside the scan root; else the reason it is not
    /// followed.
    fn resolve_link(&self, link: &Path) -> Result<PathBuf, LinkError> {
        match std::fs::canonicalize(link) {
            Ok(target) if target.starts_with(&self.real_root) => Ok(target),
            Ok(_) => Err(LinkError::OutsideRoot),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Err(LinkError::Loop),
            Err(_) => Err(LinkError::Broken),
        }
    }

    fn input(&mut self, input: &Path) {
        let metadata = match std::fs::symlink_metadata(input) {
            Ok(metadata) => metadata,
            Err(_) => {
                self.errors.push(FileError {
                    path: escaped_name(input.as_os_str()),
                    line: None,
                    column: None,
                    message: "no such file or folder".into(),
                });
                return;
            }
        };
        let (path, file_type) = if metadata.file_type().is_symlink() {
            match self.resolve_link(input) {
                Ok(target) => match std::fs::metadata(&target) {
                    Ok(m) => (target, m.file_type()),
                    Err(e) => {
                        return self.error(input, fsio::ReadError::from(e).to_string());
                    }
                },
                Err(e) => return self.error(input, e.to_string()),
            }
        } else {
            (input.to_path_buf(), metadata.file_type())
        };
        if file_type.is_file() {
            self.candidates.push(Candidate {
                display: display_path(self.root, input),
                fs_path: path,
                explicit: true,
            });
        } else if file_type.is_dir() {
            self.folder(&path);
        } else if let Some(kind) = fsio::special_kind(file_type) {
            self.error(input, format!("is {kind}, not a regular file; not read"));
        }
    }

    /// One walked or tracked entry that is not a folder.
    fn entry(&mut self, path: &Path, file_type: std::fs::FileType) {
        if file_type.is_file() {
            if !self.wants(path) {
                return;
            }
            let display = display_path(self.root, path);
            if self.ignore_globs.is_match(&display) {
                return;
            }
            if !self.seen.insert(path.to_path_buf()) {
                return;
            }
            self.candidates.push(Candidate {
                fs_path: path.to_path_buf(),
                display,
                explicit: false,
            });
        } else if file_type.is_symlink() {
            let display = display_path(self.root, path);
            if self.ignore_globs.is_match(&display) || !self.seen.insert(path.to_path_buf()) {
                return;
            }
            match self.resolve_link(path) {
                Ok(target) => {
                    // A link to a file inside the root is read under the link's name; a link
                    // to a folder inside it is not walked (its files are walked where they are).
                    if std::fs::metadata(&target).is_ok_and(|m| m.is_file()) && self.wants(path) {
                        self.candidates.push(Candidate {
                            fs_path: target,
                            display,
                            explicit: false,
                        });
                    }
                }
                Err(e) => {
                    let is_dir_link = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
                    if is_dir_link || self.wants(path) {
                        self.error(path, e.to_string());
                    }
                }
            }
        } else if !file_type.is_dir()
            && let Some(kind) = fsio::special_kind(file_type)
            && self.seen.insert(path.to_path_buf())
        {
            self.error(path, format!("is {kind}, not a regular file; not read"));
        }
    }

    fn folder(&mut self, folder: &Path) {
        let in_git = folder.ancestors().any(|dir| dir.join(".git").exists());
        let tracked = if in_git { tracked_files(folder) } else { None };
        // Outside git every file is untracked, and ignore files drop what they match. Inside a
        // repository where git cannot say what is tracked, no ignore file is trusted.
        let honour_ignores = !in_git || tracked.is_some();
        let walker = WalkBuilder::new(folder)
            .hidden(false)
            .require_git(false)
            .ignore(honour_ignores)
            .git_ignore(honour_ignores)
            .git_exclude(honour_ignores)
            .follow_links(false)
            .filter_entry(|entry| {
                !(entry.file_type().is_some_and(|t| t.is_dir())
                    && vendored(&entry.file_name().to_string_lossy()))
            })
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if let Some(file_type) = entry.file_type() {
                        self.entry(entry.path(), file_type);
                    }
                }
                Err(error) => self.errors.push(walk_error(self.root, &error)),
            }
        }
        for relative in tracked.into_iter().flatten() {
            let vendored_path = relative
                .parent()
                .into_iter()
                .flat_map(Path::components)
                .any(|c| vendored(&c.as_os_str().to_string_lossy()));
            if vendored_path {
                continue;
            }
            let path = folder.join(&relative);
            if self.seen.contains(&path) {
                continue;
            }
            // A tracked file deleted from the working tree (or a submodule) is not a file.
            if let Ok(metadata) = std::fs::symlink_metadata(&path)
                && !metadata.is_dir()
            {
                self.entry(&path, metadata.file_type());
            }
        }
    }
}

/// The files git tracks under a folder (in a git work tree), relative to it; `None` when git
/// cannot tell (not installed, or the repository is not trusted).
fn tracked_files(folder: &Path) -> Option<Vec<PathBuf>> {
    use std::os::unix::ffi::OsStrExt;
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(folder)
        .args(["ls-files", "-z", "--cached"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(
        output
            .stdout
            .split(|&b| b == 0)
            .filter(|name| !name.is_empty())
            .map(|name| PathBuf::from(std::ffi::OsStr::from_bytes(name)))
            .collect(),
    )
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

/// What reading one candidate gave: a file to check, an error to report, both (a workflow
/// that does not parse is still scanned as text), or neither (not a file tollgate reads).
#[derive(Default)]
pub struct Loaded {
    pub file: Option<SourceFile>,
    pub error: Option<FileError>,
}

impl Loaded {
    fn file(file: SourceFile) -> Self {
        Self {
            file: Some(file),
            error: None,
        }
    }

    fn error(error: FileError) -> Self {
        Self {
            file: None,
            error: Some(error),
        }
    }
}

/// Reads, classifies and parses one file. `Ok(None)` means the file is not one tollgate reads.
pub fn load(candidate: &Candidate) -> Result<Option<SourceFile>, FileError> {
    let loaded = load_with(candidate, false);
    match loaded.error {
        Some(error) => Err(error),
        None => Ok(loaded.file),
    }
}

/// Bytes looked at to tell a binary file from text.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// Reads, classifies and parses one file. With `all_text`, files the document rules do not
/// read (shell scripts, `.env`, Dockerfiles, YAML that is nobody's workflow…) come back as
/// text: [`FileKind::Other`], no tree, no parse error.
pub fn load_with(candidate: &Candidate, all_text: bool) -> Loaded {
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
    let kind = classify_by_path(&candidate.display, &name);
    let document =
        kind.is_some() || is_yaml(&name) || name.ends_with(".json") || name.ends_with(".template");
    if !document && !all_text {
        return Loaded::default();
    }
    let metadata = match std::fs::metadata(&candidate.fs_path) {
        Ok(metadata) => metadata,
        Err(e) => return Loaded::error(error(fsio::ReadError::from(e).to_string())),
    };
    if metadata.len() > MAX_FILE_BYTES {
        if !document && !candidate.explicit {
            // A large file of any other kind (a log, a data dump) is skipped, not refused.
            return Loaded::default();
        }
        return Loaded::error(error(format!(
            "file is {} MB, more than the {} MB tollgate reads",
            metadata.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    // Opened without blocking and checked on the handle: a file swapped for a FIFO or a
    // device after the walk is refused, not waited on.
    let bytes = match fsio::read_regular(&candidate.fs_path, MAX_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(e) => return Loaded::error(error(e.to_string())),
    };
    parse_with(candidate, bytes, all_text)
}

/// Classifies and parses a file's bytes, as [`load`] does once they are read; the fuzz
/// targets and their corpus replay (`tests/fuzz_corpus.rs`) start here.
pub fn parse(candidate: &Candidate, bytes: Vec<u8>) -> Result<Option<SourceFile>, FileError> {
    let loaded = parse_with(candidate, bytes, false);
    match loaded.error {
        Some(error) => Err(error),
        None => Ok(loaded.file),
    }
}

fn parse_with(candidate: &Candidate, bytes: Vec<u8>, all_text: bool) -> Loaded {
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
    let kind = classify_by_path(&candidate.display, &name);
    let document =
        kind.is_some() || is_yaml(&name) || name.ends_with(".json") || name.ends_with(".template");
    if !document && !all_text {
        return Loaded::default();
    }
    let text_file = |text: String| {
        SourceFile::new(
            candidate.display.clone(),
            candidate.fs_path.clone(),
            text,
            FileKind::Other,
            None,
        )
    };
    if !document {
        let head = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
        if head.contains(&0) {
            return Loaded::default();
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            // Latin-1 and other legacy encodings still carry ASCII secrets.
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        return Loaded::file(text_file(text));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            if e.as_bytes().contains(&0)
                && !candidate.explicit
                && !in_workflows_dir(&candidate.display)
            {
                // A binary file with a config-like name is not ours to judge.
                return Loaded::default();
            }
            let mut loaded = Loaded::error(error(format!(
                "not valid UTF-8 (first bad byte at offset {offset})"
            )));
            if all_text && !e.as_bytes().contains(&0) {
                loaded.file = Some(text_file(
                    String::from_utf8_lossy(e.as_bytes()).into_owned(),
                ));
            }
            return loaded;
        }
    };
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
        Some(FileKind::Terraform) => match hcl::parse(&text) {
            Ok(root) => Loaded::file(SourceFile::new(
                candidate.display.clone(),
                candidate.fs_path.clone(),
                text,
                FileKind::Terraform,
                Some(root),
            )),
            Err(e) => {
                let error = position_error(e.offset, &text, "Terraform HCL", &e.message);
                // Still scanned as text: a broken file may hold a secret all the same.
                Loaded {
                    file: all_text.then(|| text_file(text)),
                    error: Some(error),
                }
            }
        },
        Some(FileKind::VaultPolicy) => {
            // `.hcl` is also Terragrunt, Packer, Nomad and Vault's own server config: only a
            // file that reads as a policy (or is named `.policy`) is judged as one.
            let policy_named = name.ends_with(".policy");
            let root = match hcl1::parse(&text) {
                Ok(root) => root,
                Err(e) if policy_named || looks_like_vault_policy(&text) => {
                    let error = position_error(e.offset, &text, "Vault policy", &e.message);
                    return Loaded {
                        file: all_text.then(|| text_file(text)),
                        error: Some(error),
                    };
                }
                Err(_) => {
                    return Loaded {
                        file: all_text.then(|| text_file(text)),
                        error: None,
                    };
                }
            };
            let is_policy = policy_named
                || root
                    .as_map()
                    .unwrap_or_default()
                    .iter()
                    .any(|e| matches!(e.key.as_str(), Some("path" | "name")));
            if !is_policy {
                return Loaded {
                    file: all_text.then(|| text_file(text)),
                    error: None,
                };
            }
            if let Err(e) = hcl1::validate_vault_policy(&root) {
                let error = position_error(e.offset, &text, "Vault policy", &e.message);
                return Loaded {
                    file: all_text.then(|| text_file(text)),
                    error: Some(error),
                };
            }
            Loaded::file(SourceFile::new(
                candidate.display.clone(),
                candidate.fs_path.clone(),
                text,
                FileKind::VaultPolicy,
                Some(root),
            ))
        }
        // A YAML or JSON file found by the walk outside the known paths is parsed only when
        // its text could make it a workflow or a policy: most such files (package manifests,
        // Helm charts) are neither, and parsing them would dominate the scan.
        None if !candidate.explicit && !could_be_document(&text) => Loaded {
            file: all_text.then(|| text_file(text)),
            error: None,
        },
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
            // Strict JSON takes the fast path; anything else (and every error) is the YAML
            // parser's to decide.
            let parsed = if name.ends_with(".json") {
                json::parse(&text).map_or_else(|| yaml::parse(&text), Ok)
            } else {
                yaml::parse(&text)
            };
            let root = match parsed {
                Ok(root) => root,
                Err(e) => {
                    // Only files tollgate is meant to read are worth an error; a broken YAML
                    // that is nobody's workflow or policy is skipped (or read as plain text).
                    let relevant = kind.is_some() || candidate.explicit || looks_relevant(&text);
                    let error = relevant.then(|| file_error(e, &text));
                    let file = all_text.then(|| {
                        SourceFile::new(
                            candidate.display.clone(),
                            candidate.fs_path.clone(),
                            text,
                            kind.unwrap_or(FileKind::Other),
                            None,
                        )
                    });
                    return Loaded { file, error };
                }
            };
            let kind = kind.unwrap_or_else(|| classify_by_content(&name, &root));
            if kind == FileKind::Other && !all_text {
                return Loaded::default();
            }
            let mut root = root;
            if kind == FileKind::CloudFormation {
                graft_string_policies(&text, &mut root);
            }
            Loaded::file(SourceFile::new(
                candidate.display.clone(),
                candidate.fs_path.clone(),
                text,
                kind,
                Some(root),
            ))
        }
        _ => Loaded::default(),
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
