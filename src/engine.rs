//! `tollgate check`: find files, parse each once, run the rules, resolve and filter findings.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::baseline::Baseline;
use crate::config::{self, Config};
use crate::finding::{self, Draft, Finding, Related, Severity};
use crate::model::iam::Policy;
use crate::model::repo::{Digested, Keep, RepoContext};
use crate::model::terraform::Tree;
use crate::model::vault;
use crate::model::{Action, Workflow};
use crate::rules::{self, Cx, RuleMeta};
use crate::source::discover::{self, Candidate};
use crate::source::{FileError, FileKind, SourceFile, Span};
use crate::suppress;

#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    /// Report only on `paths`, reading the rest of their repository as context
    /// (`--changed-only`).
    pub changed_only: bool,
    /// Keep the text of files that have findings in the report, for code frames (the human
    /// format). Off, no file text outlives its check, which keeps memory flat on big trees.
    pub keep_sources: bool,
    /// A baseline file (`tollgate baseline`): findings whose fingerprint it lists are hidden.
    pub baseline: Option<PathBuf>,
    /// Hold every declaration document in memory (drift compares all of them), not only
    /// those other files' rules read.
    pub keep_all_declarations: bool,
    /// Folders not to read: repositories nested under the paths, each judged on its own
    /// (see [`repositories`]).
    pub exclude: Vec<PathBuf>,
    /// The folder paths are shown relative to, when not the scan root of `paths` (a nested
    /// repository is shown as part of the run that found it).
    pub display_root: Option<PathBuf>,
    /// A git revision (`--base`): `tollgate.yml` and the baseline are compared with their
    /// versions there, and what the change weakens is reported as `policy-weakened`.
    pub base: Option<String>,
}

/// Whether a folder is a repository of its own: it holds a config file or is a git checkout
/// (as [`discover::context_root`] has it).
fn is_repository(dir: &Path) -> bool {
    dir.join(".git").exists() || discover::held_by(dir).is_some()
}

/// One run per repository: each file is judged with the config, and in the context, of the
/// repository it belongs to, the nearest folder above it that holds a `tollgate.yml` (or
/// `tollgate.yaml`, `.github/tollgate.yml`) or is a git checkout, as `--changed-only` finds
/// it. `check fixtures/` thus reads `fixtures/example-repo/tollgate.yml` for the files under
/// `fixtures/example-repo/`. With `--config`, that one config applies to every file.
pub fn repositories(options: &CheckOptions) -> Vec<CheckOptions> {
    if options.config.is_some() {
        return vec![options.clone()];
    }
    // The given paths, grouped by the repository each lies in.
    let mut groups: Vec<(Option<PathBuf>, Vec<PathBuf>)> = Vec::new();
    for path in &options.paths {
        let context = discover::context_root(std::slice::from_ref(path));
        match groups.iter_mut().find(|(c, _)| *c == context) {
            Some((_, paths)) => paths.push(path.clone()),
            None => groups.push((context, vec![path.clone()])),
        }
    }
    if groups.len() <= 1 {
        return if options.changed_only {
            vec![options.clone()]
        } else {
            nested_repositories(options)
        };
    }
    let display_root = discover::scan_root(&options.paths);
    groups
        .into_iter()
        .flat_map(|(_, paths)| {
            let group = CheckOptions {
                paths,
                display_root: Some(display_root.clone()),
                ..options.clone()
            };
            if options.changed_only {
                vec![group]
            } else {
                nested_repositories(&group)
            }
        })
        .collect()
}

/// A full run over folders: the repositories nested in them, each on its own, and the rest.
fn nested_repositories(options: &CheckOptions) -> Vec<CheckOptions> {
    let root = options
        .display_root
        .clone()
        .unwrap_or_else(|| discover::scan_root(&options.paths));
    let mut nested: Vec<PathBuf> = Vec::new();
    for input in options.paths.iter().filter(|p| p.is_dir()) {
        let walk = ignore::WalkBuilder::new(input)
            .hidden(false)
            .filter_entry(|entry| {
                !matches!(
                    entry.file_name().to_str(),
                    Some(".git" | "node_modules" | "vendor" | ".terraform")
                )
            })
            .build();
        for entry in walk.flatten() {
            let dir = entry.path();
            if entry.depth() > 0
                && entry.file_type().is_some_and(|t| t.is_dir())
                && is_repository(dir)
            {
                nested.push(dir.to_path_buf());
            }
        }
    }
    if nested.is_empty() {
        return vec![options.clone()];
    }
    nested.sort();
    nested.dedup();
    // Each repository leaves out the ones nested in it.
    let inside = |outer: &Path| -> Vec<PathBuf> {
        nested
            .iter()
            .filter(|n| n.as_path() != outer && n.starts_with(outer))
            .cloned()
            .collect()
    };
    let mut runs = vec![CheckOptions {
        exclude: nested.clone(),
        display_root: Some(root.clone()),
        ..options.clone()
    }];
    for folder in &nested {
        runs.push(CheckOptions {
            paths: vec![folder.clone()],
            exclude: inside(folder),
            display_root: Some(root.clone()),
            ..options.clone()
        });
    }
    runs
}

/// In a changed-files run, the files (and folders) the report is about; the rest of the
/// repository is read only as context for them.
#[derive(Debug, Default)]
pub struct Focus {
    files: HashSet<String>,
    folders: Vec<String>,
}

impl Focus {
    /// Whether a display path is one of the given files or lies under a given folder.
    pub fn covers(&self, path: &str) -> bool {
        self.files.contains(path)
            || self.folders.iter().any(|folder| {
                folder == "."
                    || path
                        .strip_prefix(folder.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
    }

    /// A finding concerns the change when its primary location or any related location is in
    /// a given file: a trust statement in an unchanged Terraform file is this change's business
    /// when the changed workflow is what now relies on it (`deploy-path-bypass`).
    pub fn keeps(&self, finding: &Finding) -> bool {
        self.covers(&finding.region.path)
            || finding.related.iter().any(|r| self.covers(&r.region.path))
    }
}

/// Everything a run produced: the outputs read only this.
pub struct Report {
    pub root: PathBuf,
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
    /// Files with findings, by display path (outputs draw code frames from their text).
    pub files: HashMap<String, SourceFile>,
    /// The declaration documents every rule could see.
    pub repo: RepoContext,
    /// Those of the other repositories under the paths (see [`repositories`]).
    pub more_repos: Vec<RepoContext>,
    pub files_scanned: usize,
    /// Findings hidden because the baseline lists them.
    pub baselined: usize,
}

impl Report {
    /// A file's text by display path, for code frames.
    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        self.files
            .get(path)
            .or_else(|| self.repo.file(path))
            .or_else(|| self.more_repos.iter().find_map(|repo| repo.file(path)))
    }

    pub fn count_at_or_above(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= severity)
            .count()
    }
}

pub fn load_config(options: &CheckOptions, root: &Path) -> (Config, Vec<FileError>) {
    match config::locate(options.config.as_deref(), &options.paths, root) {
        Some(path) => {
            if options.config.is_some() && !path.exists() {
                let error = FileError {
                    path: path.to_string_lossy().into_owned(),
                    line: None,
                    column: None,
                    message: "config file not found".into(),
                };
                return (Config::default(), vec![error]);
            }
            config::load(
                &path,
                &discover::display_path(root, &path),
                rules::is_rule_id,
            )
        }
        None => (Config::default(), Vec::new()),
    }
}

/// What every command over a repository starts from: the config, the declaration documents
/// read into the repository context, and the remaining files still to read.
pub struct Prepared {
    pub root: PathBuf,
    pub config: Config,
    pub errors: Vec<FileError>,
    pub repo: RepoContext,
    /// Files read after the declarations: workflows, actions and the rest.
    pub late: Vec<Candidate>,
    /// In a changed-files run, what the report is limited to.
    pub focus: Option<Focus>,
    /// Whether a raw-text rule (secret detection) is on, so every text file is read.
    pub all_text: bool,
    /// Files read with the declarations that no other file's rules read (plain text, and
    /// policies that declare no environment): already checked, their text dropped.
    pub early: Checked,
}

/// Whether an enabled rule reads every text file.
fn reads_all_text(config: &Config) -> bool {
    rules::registry()
        .iter()
        .any(|rule| rule.reads_all_text() && config.rule_enabled(rule.meta().id))
}

fn enabled_rules(config: &Config) -> Vec<&'static dyn rules::Rule> {
    rules::registry()
        .iter()
        .copied()
        .filter(|rule| config.rule_enabled(rule.meta().id))
        .collect()
}

pub fn prepare(options: &CheckOptions) -> Prepared {
    let paths = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let options = CheckOptions {
        paths,
        ..options.clone()
    };
    if options.changed_only
        && let Some(context) = discover::context_root(&options.paths)
    {
        return prepare_changed(&options, &context);
    }
    let scan_root = discover::scan_root(&options.paths);
    let root = options.display_root.clone().unwrap_or(scan_root.clone());
    let (config, mut errors) = load_config(&options, &scan_root);
    let all_text = reads_all_text(&config);
    let (mut candidates, walk_errors) =
        discover::walk(&options.paths, &root, &config.ignore, all_text);
    if !options.exclude.is_empty() {
        let cwd = std::env::current_dir().unwrap_or_default();
        let excluded: Vec<PathBuf> = options.exclude.iter().map(|e| cwd.join(e)).collect();
        candidates.retain(|c| !excluded.iter().any(|e| cwd.join(&c.fs_path).starts_with(e)));
    }
    errors.extend(walk_errors);
    // Declarations (environments, roles, policy) are read first and kept, so every rule can
    // see the rest of the repository; the many workflows are then read, checked and dropped
    // one by one.
    let (early, late): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_par_iter()
        .partition(discover::is_declaration_candidate);
    let (repo, mut early) = load_declarations(
        &early,
        &root,
        &config,
        &options,
        all_text,
        &mut errors,
        |_| true,
    );
    let mut late = late;
    late.append(&mut early.deferred);
    Prepared {
        root,
        config,
        errors,
        repo,
        late,
        focus: None,
        all_text,
        early,
    }
}

/// `--changed-only`: the given files are checked in the context of their repository (found
/// by [`discover::context_root`]), whose declarations are read as in a full run; findings and
/// errors are then kept only when they concern a given file.
fn prepare_changed(options: &CheckOptions, context: &Path) -> Prepared {
    // Paths are shown relative to the enclosing git repository, as in a full run, so SARIF
    // uris and fingerprints do not depend on the mode.
    let root = discover::scan_root(&[context.to_path_buf()]);
    let context_options = CheckOptions {
        paths: vec![context.to_path_buf()],
        ..options.clone()
    };
    let (config, mut errors) = load_config(&context_options, &root);
    let all_text = reads_all_text(&config);
    let (given, given_errors) = discover::walk(&options.paths, &root, &config.ignore, all_text);
    errors.extend(given_errors);
    // pre-commit and pull requests pass every changed file: each is judged as a full run
    // would judge it (a `tsconfig.json` that is nobody's policy is skipped, not an error), and
    // `ignore` is still the repository's word on which files are not to be judged.
    let given: Vec<Candidate> = given
        .into_iter()
        .filter(|c| !config.ignore.is_match(&c.display))
        .map(|c| Candidate {
            explicit: false,
            ..c
        })
        .collect();
    let focus = Focus {
        files: given.iter().map(|c| c.display.clone()).collect(),
        folders: options
            .paths
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| discover::display_path(&root, p))
            .collect(),
    };
    // The rest of the repository is read for its declarations only. What cannot be read there
    // is not this change's to report (a full run reports it), so its walk errors are dropped.
    let (context_files, _) = discover::walk(&[context.to_path_buf()], &root, &config.ignore, false);
    let mut candidates = given;
    candidates.extend(
        context_files
            .into_iter()
            .filter(|c| !focus.covers(&c.display)),
    );
    let (early, late): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_par_iter()
        .partition(discover::is_declaration_candidate);
    // A workflow's findings can point into declarations (the trust a job relies on), never
    // into another workflow: the repository's other workflows are checked only when a
    // declaration was given, so that changing a role's trust reports the jobs it now lets by.
    let declaration_given = early.iter().any(|c| focus.covers(&c.display));
    let late = if declaration_given {
        late
    } else {
        late.into_iter()
            .filter(|c| focus.covers(&c.display))
            .collect()
    };
    let (repo, early) = load_declarations(
        &early,
        &root,
        &config,
        options,
        all_text,
        &mut errors,
        |path| focus.covers(path),
    );
    let mut early = early;
    early.findings.retain(|f| focus.keeps(f));
    let mut late = late;
    late.append(&mut early.deferred);
    Prepared {
        root,
        config,
        errors,
        repo,
        late,
        focus: Some(focus),
        all_text,
        early,
    }
}

/// Reads the declaration documents into the repository context; load errors pass through
/// `in_focus`. Files among them that no other file's rules read (plain text, such as a
/// `.json` that is nobody's policy, and, unless `keep_all_declarations`, policies that
/// declare no environment) are checked at once and dropped, so they never pile up in memory.
#[allow(clippy::too_many_arguments)]
fn load_declarations(
    early: &[Candidate],
    root: &Path,
    config: &Config,
    options: &CheckOptions,
    all_text: bool,
    errors: &mut Vec<FileError>,
    in_focus: impl Fn(&str) -> bool + Sync,
) -> (RepoContext, Checked) {
    let enabled = enabled_rules(config);
    let no_context = RepoContext::default();
    // The repository's Terraform, evaluated module by module as its files are read.
    let terraform = Arc::new(Tree::new(
        root,
        early
            .iter()
            .filter(|c| c.display.ends_with(".tf"))
            .map(|c| c.fs_path.clone())
            .collect(),
    ));
    let keep = if options.keep_all_declarations {
        Keep::All
    } else {
        Keep::Context
    };
    // Folded per thread as files are read, so no list of per-file results is ever held.
    let (digested, checked) = early
        .par_iter()
        .fold(
            || (Vec::new(), Checked::default()),
            |(mut digested, mut checked): (Vec<Digested>, Checked), candidate| {
                let mut loaded = discover::load_with(candidate, all_text);
                checked
                    .errors
                    .extend(loaded.error.filter(|e| in_focus(&e.path)));
                if let Some(file) = loaded.file.as_mut() {
                    terraform.resolve(file);
                }
                match loaded.file {
                    Some(file) if file.kind == FileKind::Other || file.root.is_none() => {
                        let findings = check_file(&file, &enabled, config, &no_context);
                        let counted = in_focus(&file.path);
                        checked.add(file, findings, counted, options.keep_sources);
                    }
                    Some(file) => {
                        // The policies read for the context are the ones the file's own
                        // check reads.
                        let (mut declaration, findings, held) = {
                            let iam = OnceCell::new();
                            let declaration = Digested::new(candidate.clone(), &file, &iam);
                            let held = declaration.held_under(keep);
                            let findings = (!held && !declaration.needs_context()).then(|| {
                                check_file_with(
                                    &file,
                                    &enabled,
                                    config,
                                    &no_context,
                                    &iam,
                                    &SecretsElsewhere::default(),
                                )
                            });
                            (declaration, findings, held)
                        };
                        match findings {
                            Some(findings) => {
                                let counted = in_focus(&file.path);
                                checked.add(file, findings, counted, options.keep_sources);
                            }
                            None if held => declaration.hold(candidate.clone(), file),
                            // Read again and checked once the repository context is built.
                            None => checked.deferred.push(candidate.clone()),
                        }
                        if !declaration.is_empty() {
                            digested.push(declaration);
                        }
                    }
                    None => {}
                }
                (digested, checked)
            },
        )
        .reduce(
            || (Vec::new(), Checked::default()),
            |(mut digested, checked), (more_digested, more)| {
                digested.extend(more_digested);
                (digested, checked.merge(more))
            },
        );
    let mut checked = checked;
    errors.append(&mut checked.errors);
    let mut repo = RepoContext::build(
        digested,
        Box::new(|candidate| discover::load(candidate).ok().flatten()),
    );
    repo.terraform = Some(terraform);
    (repo, checked)
}

/// Files checked in one pass, folded per thread and then merged: their findings, the texts
/// kept for code frames, their load errors, and how many count as scanned (in a
/// changed-files run, only the given files do).
#[derive(Default)]
pub struct Checked {
    pub findings: Vec<Finding>,
    pub sources: Vec<SourceFile>,
    pub errors: Vec<FileError>,
    pub scanned: usize,
    /// Declarations that need the repository context to be checked (see
    /// [`Digested::needs_context`]): read again with the late files.
    pub deferred: Vec<Candidate>,
}

impl Checked {
    /// Records a checked file; its text outlives the check only for code frames.
    fn add(
        &mut self,
        mut file: SourceFile,
        findings: Vec<Finding>,
        counted: bool,
        keep_source: bool,
    ) {
        self.scanned += usize::from(counted);
        if keep_source && !findings.is_empty() {
            file.root = None;
            self.sources.push(file);
        }
        self.findings.extend(findings);
    }

    fn merge(mut self, more: Self) -> Self {
        self.findings.extend(more.findings);
        self.sources.extend(more.sources);
        self.errors.extend(more.errors);
        self.scanned += more.scanned;
        self.deferred.extend(more.deferred);
        self
    }
}

/// Checks every repository under the paths (see [`repositories`]), each with its own config,
/// in one report.
pub fn check(options: &CheckOptions) -> Report {
    let mut runs = repositories(options).into_iter();
    let Some(first) = runs.next() else {
        return check_repository(options);
    };
    let mut report = check_repository(&first);
    for run in runs {
        let more = check_repository(&run);
        report.findings.extend(more.findings);
        report.errors.extend(more.errors);
        report.files.extend(more.files);
        report.files_scanned += more.files_scanned;
        report.baselined += more.baselined;
        report.more_repos.push(more.repo);
        report.more_repos.extend(more.more_repos);
    }
    report.findings.sort_by(|a, b| {
        (&a.region.path, a.region.line, a.region.column, a.rule).cmp(&(
            &b.region.path,
            b.region.line,
            b.region.column,
            b.rule,
        ))
    });
    report
        .errors
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    report
}

fn check_repository(options: &CheckOptions) -> Report {
    let Prepared {
        root,
        config,
        mut errors,
        repo,
        late,
        focus,
        all_text,
        early,
    } = prepare(options);
    let baseline = match &options.baseline {
        Some(path) => match Baseline::load(path) {
            Ok(baseline) => Some(baseline),
            Err(error) => {
                errors.push(FileError {
                    path: path.to_string_lossy().into_owned(),
                    line: None,
                    column: None,
                    message: error.to_string(),
                });
                None
            }
        },
        None => None,
    };
    let enabled = enabled_rules(&config);
    // In a changed-files run, only what concerns a given file is reported.
    let in_focus = |path: &str| focus.as_ref().is_none_or(|f| f.covers(path));
    let keeps = |finding: &Finding| focus.as_ref().is_none_or(|f| f.keeps(finding));
    let held: Vec<&SourceFile> = repo.held_files().collect();
    // Secrets of the files other files' findings point into, found once for the whole run.
    let elsewhere = SecretsElsewhere::default();
    let mut files_scanned = held.iter().filter(|f| in_focus(&f.path)).count();
    let mut findings: Vec<Finding> = held
        .par_iter()
        .flat_map_iter(|file| {
            check_file_with(file, &enabled, &config, &repo, &OnceCell::new(), &elsewhere)
        })
        .filter(keeps)
        .collect();

    // Each file's text is dropped as soon as it is checked, unless kept for code frames; the
    // results are folded per thread, so no list of per-file results is ever held.
    let late = late
        .par_iter()
        .fold(Checked::default, |mut checked, candidate| {
            // A declaration checked late (see `Checked::deferred`) is read once more only if
            // its module's principals have not read it already: the context keeps that copy.
            if let Some(file) = repo.deferred_file(&candidate.display) {
                let findings: Vec<Finding> = check_file(file, &enabled, &config, &repo)
                    .into_iter()
                    .filter(keeps)
                    .collect();
                checked.scanned += usize::from(in_focus(&file.path));
                if options.keep_sources && !findings.is_empty() {
                    checked.sources.push(SourceFile::new(
                        file.path.clone(),
                        file.fs_path.clone(),
                        file.text.clone(),
                        file.kind,
                        None,
                    ));
                }
                checked.findings.extend(findings);
                return checked;
            }
            let loaded = discover::load_with(candidate, all_text);
            checked
                .errors
                .extend(loaded.error.filter(|e| in_focus(&e.path)));
            if let Some(mut file) = loaded.file {
                // A declaration checked late (see `Checked::deferred`) is evaluated as when
                // it was first read.
                if let Some(tree) = &repo.terraform {
                    tree.resolve(&mut file);
                }
                let none = OnceCell::new();
                let findings: Vec<Finding> =
                    check_file_with(&file, &enabled, &config, &repo, &none, &elsewhere)
                        .into_iter()
                        .filter(keeps)
                        .collect();
                let counted = in_focus(&file.path);
                checked.add(file, findings, counted, options.keep_sources);
            }
            checked
        })
        .reduce(Checked::default, Checked::merge);
    let mut kept: HashMap<String, SourceFile> = HashMap::new();
    for checked in [early, late] {
        files_scanned += checked.scanned;
        findings.extend(checked.findings);
        errors.extend(checked.errors);
        kept.extend(
            checked
                .sources
                .into_iter()
                .map(|file| (file.path.clone(), file)),
        );
    }
    // Known debt, by fingerprint: after the changed-files focus, before the sort.
    let before = findings.len();
    if let Some(baseline) = &baseline {
        findings.retain(|f| !baseline.contains(&f.fingerprint));
    }
    let baselined = before - findings.len();
    // After the focus and the baseline: the change under review cannot hide these.
    if let Some(base) = &options.base {
        let (weakened, sources, base_errors) =
            policy_change::weakenings(options, &root, &config, base, &repo);
        findings.extend(weakened);
        errors.extend(base_errors);
        if options.keep_sources {
            kept.extend(sources.into_iter().map(|file| (file.path.clone(), file)));
        }
    }
    findings.sort_by(|a, b| {
        (&a.region.path, a.region.line, a.region.column, a.rule).cmp(&(
            &b.region.path,
            b.region.line,
            b.region.column,
            b.rule,
        ))
    });
    redact_errors(&mut errors);
    errors.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    // A broken `tollgate.yml` is both the config and a scanned document; report it once, with
    // the config loader's message (pushed first, and the sort is stable).
    errors.dedup_by(|later, first| {
        (&later.path, later.line, later.column) == (&first.path, first.line, first.column)
    });
    Report {
        root,
        findings,
        errors,
        files: kept,
        repo,
        more_repos: Vec::new(),
        files_scanned,
        baselined,
    }
}

/// `--base REF`: the policy and the baseline as they were at a git revision, compared with
/// how they are (see `rules::meta::policy_weakened`).
mod policy_change {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    use super::{CheckOptions, resolve};
    use crate::baseline::{Baseline, MAX_BASELINE_BYTES};
    use crate::config::{self, Config, MAX_CONFIG_BYTES};
    use crate::finding::Finding;
    use crate::model::repo::RepoContext;
    use crate::rules::meta::policy_weakened::{self, PolicyVersion};
    use crate::source::discover::CONFIG_NAMES;
    use crate::source::{FileError, FileKind, SourceFile, discover, fsio, yaml};

    /// Why git could not answer; `Display` is the wording users see.
    #[derive(Debug, thiserror::Error)]
    enum GitError {
        #[error("cannot run git: {0}")]
        NotRun(std::io::Error),
        /// git ran and refused; its standard error, trimmed (empty when it said nothing).
        #[error("{0}")]
        Refused(String),
        #[error("{relative} at {base} is {size} bytes, more than tollgate reads")]
        TooBig {
            relative: String,
            base: String,
            size: u64,
        },
        #[error("{relative} at {base} is not valid UTF-8")]
        NotUtf8 { relative: String, base: String },
    }

    fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(GitError::NotRun)?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(GitError::Refused(
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ))
        }
    }

    /// A file's text at the revision, `None` when it did not exist there.
    fn at_revision(
        top: &Path,
        base: &str,
        relative: &str,
        max: u64,
    ) -> Result<Option<String>, GitError> {
        let object = format!("{base}:{relative}");
        if git(top, &["cat-file", "-e", &object]).is_err() {
            return Ok(None);
        }
        let size = git(top, &["cat-file", "-s", &object])?;
        let size: u64 = String::from_utf8_lossy(&size)
            .trim()
            .parse()
            .unwrap_or(u64::MAX);
        if size > max {
            return Err(GitError::TooBig {
                relative: relative.into(),
                base: base.into(),
                size,
            });
        }
        let bytes = git(top, &["cat-file", "blob", &object])?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| GitError::NotUtf8 {
                relative: relative.into(),
                base: base.into(),
            })
    }

    /// A path inside the work tree, relative to its top, `/`-separated.
    fn relative_to(top: &Path, path: &Path) -> Option<String> {
        let absolute = match std::fs::canonicalize(path) {
            Ok(absolute) => absolute,
            // A file deleted by the change: its folder still exists.
            Err(_) => {
                let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
                std::fs::canonicalize(parent.unwrap_or(Path::new(".")))
                    .ok()?
                    .join(path.file_name()?)
            }
        };
        let relative = absolute.strip_prefix(top).ok()?;
        relative.to_str().map(str::to_owned)
    }

    fn error(path: &str, message: String) -> FileError {
        FileError {
            path: path.into(),
            line: None,
            column: None,
            message,
        }
    }

    pub fn weakenings(
        options: &CheckOptions,
        root: &Path,
        current: &Config,
        base: &str,
        repo: &RepoContext,
    ) -> (Vec<Finding>, Vec<SourceFile>, Vec<FileError>) {
        let mut findings = Vec::new();
        let mut sources = Vec::new();
        let mut errors = Vec::new();
        let top = match git(root, &["rev-parse", "--show-toplevel"]) {
            Ok(out) => PathBuf::from(String::from_utf8_lossy(&out).trim()),
            Err(e) => {
                errors.push(error(".", format!("--base needs a git repository: {e}")));
                return (findings, sources, errors);
            }
        };
        let top = std::fs::canonicalize(&top).unwrap_or(top);
        if let Err(e) = git(
            &top,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{base}^{{commit}}"),
            ],
        ) {
            let why = match e {
                GitError::Refused(said) if said.is_empty() => "no such revision".to_string(),
                other => other.to_string(),
            };
            errors.push(error(".", format!("--base {base}: {why}")));
            return (findings, sources, errors);
        }
        // The config at the base: the one named, else the first of the usual names there.
        let current_path =
            config::locate(options.config.as_deref(), &options.paths, root).filter(|p| p.exists());
        let named = options.config.as_deref().and_then(|p| relative_to(&top, p));
        let mut base_config_text = None;
        let mut base_config_name = None;
        let candidates: Vec<String> = match named {
            Some(name) => vec![name],
            None => CONFIG_NAMES.iter().map(|n| (*n).to_string()).collect(),
        };
        for name in candidates {
            match at_revision(&top, base, &name, MAX_CONFIG_BYTES) {
                Ok(Some(text)) => {
                    base_config_text = Some(text);
                    base_config_name = Some(name);
                    break;
                }
                Ok(None) => {}
                Err(e) => {
                    errors.push(error(&name, e.to_string()));
                    return (findings, sources, errors);
                }
            }
        }
        let (base_config, _) = match &base_config_text {
            Some(text) => config::parse(
                text,
                base_config_name.as_deref().unwrap_or("tollgate.yml"),
                crate::rules::is_rule_id,
            ),
            None => (Config::default(), Vec::new()),
        };
        // The rule's own switch and severity are the base's: the change cannot turn it off.
        if !base_config.rule_enabled(policy_weakened::META.id) {
            return (findings, sources, errors);
        }
        let base_root = base_config_text
            .as_deref()
            .and_then(|t| yaml::parse(t).ok());
        let (new_text, display) = match &current_path {
            Some(path) => match fsio::read_text(path, MAX_CONFIG_BYTES) {
                Ok(text) => (text, discover::display_path(root, path)),
                Err(_) => return (findings, sources, errors),
            },
            None => (
                String::new(),
                base_config_name
                    .clone()
                    .unwrap_or_else(|| "tollgate.yml".into()),
            ),
        };
        let new_root = yaml::parse(&new_text).ok();
        let file = SourceFile::new(
            display,
            current_path.clone().unwrap_or_default(),
            new_text,
            FileKind::Policy,
            new_root,
        );
        let drafts = policy_weakened::compare_configs(
            &PolicyVersion {
                config: &base_config,
                root: base_root.as_ref(),
            },
            &PolicyVersion {
                config: current,
                root: file.root.as_ref(),
            },
            &file,
        );
        findings.extend(
            drafts
                .into_iter()
                .map(|d| resolve(&file, repo, d, &base_config)),
        );
        if !findings.is_empty() {
            sources.push(file);
        }
        if let Some(path) = &options.baseline {
            let Ok(text) = fsio::read_text(path, MAX_BASELINE_BYTES) else {
                // Reported by the baseline's own load.
                return (findings, sources, errors);
            };
            let Ok(new) = Baseline::parse(&text) else {
                return (findings, sources, errors);
            };
            let old = match relative_to(&top, path) {
                Some(name) => match at_revision(&top, base, &name, MAX_BASELINE_BYTES) {
                    Ok(Some(old)) => Baseline::parse(&old).unwrap_or_default(),
                    Ok(None) => Baseline::default(),
                    Err(e) => {
                        errors.push(error(&name, e.to_string()));
                        return (findings, sources, errors);
                    }
                },
                // A baseline outside the repository has no version at the base.
                None => Baseline::default(),
            };
            let file = SourceFile::new(
                discover::display_path(root, path),
                path.clone(),
                text,
                FileKind::Other,
                None,
            );
            let drafts = policy_weakened::compare_baselines(&old, &new, &file);
            let before = findings.len();
            findings.extend(
                drafts
                    .into_iter()
                    .map(|d| resolve(&file, repo, d, &base_config)),
            );
            if findings.len() > before {
                sources.push(file);
            }
        }
        (findings, sources, errors)
    }
}

/// The typed views of one document, each read from the tree the first time a rule's hook
/// needs it and then shared by every rule: the typed hooks of [`rules::Rule`] are fed from here.
#[derive(Default)]
struct Views<'a> {
    vault_policy: OnceCell<Vec<vault::PathRule<'a>>>,
    vault_roles: OnceCell<Vec<vault::JwtRole<'a>>>,
}

impl<'a> Views<'a> {
    fn vault_policy(&self, file: &'a SourceFile) -> &[vault::PathRule<'a>] {
        self.vault_policy.get_or_init(|| vault::path_rules(file))
    }

    fn vault_roles(&self, file: &'a SourceFile) -> &[vault::JwtRole<'a>] {
        self.vault_roles.get_or_init(|| vault::jwt_roles(file))
    }
}

/// Runs every enabled rule on one file and turns its drafts into findings.
pub fn check_file(
    file: &SourceFile,
    rules: &[&'static dyn rules::Rule],
    config: &Config,
    repo: &RepoContext,
) -> Vec<Finding> {
    check_file_with(
        file,
        rules,
        config,
        repo,
        &OnceCell::new(),
        &SecretsElsewhere::default(),
    )
}

/// [`check_file`], with the file's IAM policies when they were already read.
fn check_file_with<'a, 'r: 'a>(
    file: &'a SourceFile,
    rules: &[&'static dyn rules::Rule],
    config: &'a Config,
    repo: &'r RepoContext,
    iam: &'a OnceCell<Vec<Policy<'a>>>,
    elsewhere: &SecretsElsewhere<'r>,
) -> Vec<Finding> {
    let mut cx = Cx {
        config,
        file,
        repo,
        drafts: Vec::new(),
        secrets: OnceCell::new(),
    };
    match file.kind {
        // Plain text (scripts, `.env`, unrecognised YAML) has no document view.
        FileKind::Other => {}
        FileKind::Workflow => {
            if let Some(workflow) = Workflow::new(file) {
                for rule in rules {
                    rule.check_workflow(&mut cx, &workflow);
                }
            }
        }
        FileKind::Action => {
            if let Some(action) = Action::new(file) {
                for rule in rules {
                    rule.check_action(&mut cx, &action);
                }
            }
        }
        kind => {
            let views = Views::default();
            for rule in rules {
                rule.check_document(&mut cx, file);
                for stanza in views.vault_policy(file) {
                    rule.check_vault_policy(&mut cx, stanza);
                }
                for role in views.vault_roles(file) {
                    rule.check_vault_role(&mut cx, role);
                }
            }
            if matches!(
                kind,
                FileKind::IamJson | FileKind::CloudFormation | FileKind::Terraform
            ) {
                let policies = iam.get_or_init(|| crate::model::iam::policies(file));
                for rule in rules {
                    rule.check_policies(&mut cx, file, policies);
                }
            }
            let governed = rules::environment::governed(&cx);
            for rule in rules {
                for (env, requirement) in &governed {
                    rule.check_environment(&mut cx, env, requirement);
                }
            }
        }
    }
    for rule in rules {
        rule.check_text(&mut cx, file);
    }
    let drafts = std::mem::take(&mut cx.drafts);
    if !drafts.is_empty() {
        cx.secrets();
    }
    let secrets = cx.secrets.take().unwrap_or_default();
    let mut drafts = drafts;
    shield(file, repo, &secrets, elsewhere, &mut drafts);
    let suppressions = suppress::scan(file);
    // A finding may sit in another file (a trust policy reached from a workflow job): the
    // suppression that counts is the one beside it, in that file.
    let mut elsewhere: HashMap<String, suppress::Suppressions> = HashMap::new();
    let mut findings: Vec<Finding> = drafts
        .into_iter()
        .map(|draft| resolve(file, repo, draft, config))
        .filter(|finding| !config.rule_ignores(finding.rule, &finding.region.path))
        .filter(|finding| {
            if finding.region.path == file.path {
                return !suppressions.suppresses(finding);
            }
            if suppressions.suppresses_related(finding, &file.path) {
                return false;
            }
            let Some(other) = repo.file(&finding.region.path) else {
                return true;
            };
            !elsewhere
                .entry(other.path.clone())
                .or_insert_with(|| suppress::scan(other))
                .suppresses(finding)
        })
        .collect();
    // Plain-text files are read for the raw-text rules only; a reasonless suppression there
    // (often a README quoting the syntax) is not worth a finding of its own.
    if file.kind != FileKind::Other
        && config.rule_enabled(rules::meta::suppression_without_reason::META.id)
    {
        findings.extend(suppressions.without_reason(file));
    }
    dedupe(&mut findings);
    findings
}

/// No output may show a secret, whichever rule found the line and whatever became of the
/// `hardcoded-secret` finding there (off, suppressed, baselined): every finding carries the
/// secret spans of the file it points into, which code frames mask, and its messages are
/// redacted of those secrets and of any other the detector sees in them.
/// Done on drafts, so that fingerprints never hash a secret either.
fn shield<'a>(
    file: &SourceFile,
    repo: &'a RepoContext,
    secrets: &[rules::secrets::Hit],
    elsewhere: &SecretsElsewhere<'a>,
    drafts: &mut [Draft],
) {
    let here = FileSecrets::new(&file.text, secrets);
    let none = FileSecrets::new("", &[]);
    for finding in drafts {
        let other = finding
            .primary
            .path
            .as_deref()
            .filter(|path| *path != file.path)
            .map(|path| repo.file(path));
        let shared;
        let secrets = match other {
            None => &here,
            Some(Some(other)) => {
                shared = elsewhere.of(other);
                shared.get().unwrap_or(&none)
            }
            Some(None) => &none,
        };
        // Shared, not copied: each finding of a file with many secrets would else cost them all.
        if finding
            .sensitive
            .iter()
            .all(|span| secrets.set.contains(span))
        {
            finding.sensitive = Arc::clone(&secrets.spans);
        } else if !secrets.spans.is_empty() {
            let own = Arc::make_mut(&mut finding.sensitive);
            let mine: HashSet<Span> = own.iter().copied().collect();
            own.extend(secrets.spans.iter().filter(|span| !mine.contains(span)));
        }
        // The detector's own messages name the kind of secret, never a value of the file: the
        // file's values need not be sought in them (a file of many secrets would else build
        // the automaton for nothing), only what the detector sees in the text.
        let own = finding.rule == rules::secrets::hardcoded_secret::HardcodedSecret::META.id;
        let redact = |text: &str| {
            if own {
                rules::secrets::redact(text, &[])
            } else {
                secrets.redact(text)
            }
        };
        finding.message = redact(&finding.message);
        for related in &mut finding.related {
            if let Some(label) = &related.label {
                related.label = Some(redact(label));
            }
        }
    }
}

/// The secrets of the files that other files' findings point into (a trust policy reached
/// from many workflow jobs), each found once per run and shared by every finding there,
/// whichever file's check needs it first.
#[derive(Default)]
struct SecretsElsewhere<'a> {
    files: Mutex<HashMap<String, Arc<OnceLock<FileSecrets<'a>>>>>,
}

impl<'a> SecretsElsewhere<'a> {
    fn of(&self, file: &'a SourceFile) -> Arc<OnceLock<FileSecrets<'a>>> {
        // The lock is held only to find the slot: the scan runs outside it, once.
        let slot = match self.files.lock() {
            Ok(mut files) => Arc::clone(files.entry(file.path.clone()).or_default()),
            Err(_) => Arc::new(OnceLock::new()),
        };
        slot.get_or_init(|| {
            FileSecrets::new(&file.text, &rules::secrets::find(&file.path, &file.text))
        });
        slot
    }
}

/// The secrets of one file, as [`shield`] needs them: their spans, and an automaton that finds
/// which of their values a message quotes in one pass over it (not one search per secret).
/// The values are borrowed from the file's text, not copied.
struct FileSecrets<'t> {
    spans: Arc<Vec<Span>>,
    set: HashSet<Span>,
    values: Vec<&'t str>,
    /// Built on first use: most files' findings quote nothing.
    automaton: OnceLock<Option<aho_corasick::AhoCorasick>>,
}

impl<'t> FileSecrets<'t> {
    fn new(text: &'t str, hits: &[rules::secrets::Hit]) -> Self {
        let mut spans = Vec::new();
        let mut set = HashSet::new();
        for hit in hits {
            if set.insert(hit.secret) {
                spans.push(hit.secret);
            }
        }
        let values: Vec<&'t str> = hits
            .iter()
            .filter_map(|hit| text.get(hit.secret.start..hit.secret.end))
            .collect();
        FileSecrets {
            spans: Arc::new(spans),
            set,
            values,
            automaton: OnceLock::new(),
        }
    }

    /// `text` redacted of the secrets it quotes, and of any other the detector sees in it.
    fn redact(&self, text: &str) -> String {
        if self.values.is_empty() {
            return rules::secrets::redact(text, &[]);
        }
        let automaton = self
            .automaton
            .get_or_init(|| aho_corasick::AhoCorasick::new(&self.values).ok());
        let quoted: Vec<&str> = match automaton {
            Some(automaton) => {
                let mut ids: Vec<usize> = automaton
                    .find_overlapping_iter(text)
                    .map(|m| m.pattern().as_usize())
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids.into_iter()
                    .filter_map(|id| self.values.get(id).copied())
                    .collect()
            }
            // No automaton (none could be built): every value is tried, as before.
            None => self.values.clone(),
        };
        rules::secrets::redact(text, &quoted)
    }
}

/// Errors quote what they could not read (`invalid policy "…"`): never a secret.
pub fn redact_errors(errors: &mut [FileError]) {
    for error in errors {
        error.message = rules::secrets::redact(&error.message, &[]);
    }
}

/// Resolves a draft's locations: a location naming another file is resolved in that file,
/// when it is one of the repository's declaration documents.
fn resolve(file: &SourceFile, repo: &RepoContext, draft: Draft, config: &Config) -> Finding {
    let file_of = |location: &finding::Location| -> Option<&SourceFile> {
        match &location.path {
            None => Some(file),
            Some(path) if *path == file.path => Some(file),
            Some(path) => repo.file(path),
        }
    };
    let primary_file = file_of(&draft.primary).unwrap_or(file);
    let region = finding::region(
        primary_file,
        finding::resolve_span(primary_file, &draft.primary),
    );
    let related = draft
        .related
        .iter()
        .filter_map(|location| {
            let related_file = file_of(location)?;
            Some(Related {
                region: finding::region(
                    related_file,
                    finding::resolve_span(related_file, location),
                ),
                message: location.label.clone().unwrap_or_default(),
            })
        })
        .collect();
    // A quoted fragment (a command line) may hold a secret: the fingerprint hashes it masked.
    let masked;
    let named = match &draft.primary.feature {
        finding::Feature::Fragment(text) => {
            masked = finding::Location {
                feature: finding::Feature::Fragment(rules::secrets::redact(text, &[])),
                ..draft.primary.clone()
            };
            &masked
        }
        _ => &draft.primary,
    };
    let fingerprint = finding::fingerprint(draft.rule, &primary_file.path, named, &draft.message);
    Finding {
        rule: draft.rule,
        severity: config
            .severity_override(draft.rule)
            .unwrap_or(draft.severity),
        message: draft.message,
        region,
        related,
        fingerprint,
        sensitive: draft.sensitive,
    }
}

/// The same rule at the same place with the same message is one finding.
fn dedupe(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert(f.fingerprint.clone()));
}

/// Metadata for a finding's rule.
pub fn meta_of(finding: &Finding) -> Option<&'static RuleMeta> {
    rules::find(finding.rule)
}

/// Loads a single file's candidate, for tests and tools that check one document.
pub fn load_one(path: &Path, display: &str) -> Result<Option<SourceFile>, FileError> {
    let mut file = discover::load(&Candidate {
        fs_path: path.to_path_buf(),
        display: display.into(),
        explicit: true,
    })?;
    if let Some(file) = file.as_mut() {
        Tree::single(path).resolve(file);
    }
    Ok(file)
}
