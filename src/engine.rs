//! `tollgate check`: find files, parse each once, run the rules, resolve and filter findings.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::{self, Config};
use crate::finding::{self, Draft, Finding, Related, Severity};
use crate::model::repo::RepoContext;
use crate::model::{Action, Workflow};
use crate::rules::{self, Cx, RuleMeta};
use crate::source::discover::{self, Candidate};
use crate::source::{FileError, FileKind, SourceFile};
use crate::suppress;

/// A file read and checked, with its findings.
type CheckedFile = (SourceFile, Vec<Finding>);

#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    /// Report only on `paths`, reading the rest of their repository as context
    /// (`--changed-only`).
    pub changed_only: bool,
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
    pub files_scanned: usize,
}

impl Report {
    /// A file's text by display path, for code frames.
    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        self.files.get(path).or_else(|| self.repo.file(path))
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
            if options.config.is_some() && !path.is_file() {
                let error = FileError {
                    path: path.to_string_lossy().into_owned(),
                    line: None,
                    column: None,
                    message: "config file not found".into(),
                };
                return (Config::default(), vec![error]);
            }
            config::load(&path, &discover::display_path(root, &path))
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
    let root = discover::scan_root(&options.paths);
    let (config, mut errors) = load_config(&options, &root);
    let (candidates, walk_errors) = discover::walk(&options.paths, &root, &config.ignore);
    errors.extend(walk_errors);
    // Declarations (environments, roles, policy) are read first and kept, so every rule can
    // see the rest of the repository; the many workflows are then read, checked and dropped
    // one by one.
    let (early, late): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_par_iter()
        .partition(discover::is_declaration_candidate);
    let declarations = load_declarations(&early, &mut errors, |_| true);
    Prepared {
        root,
        config,
        errors,
        repo: RepoContext::build(declarations),
        late,
        focus: None,
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
    let (given, given_errors) = discover::walk(&options.paths, &root, &config.ignore);
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
    let (context_files, _) = discover::walk(&[context.to_path_buf()], &root, &config.ignore);
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
    let declarations = load_declarations(&early, &mut errors, |e| focus.covers(&e.path));
    Prepared {
        root,
        config,
        errors,
        repo: RepoContext::build(declarations),
        late,
        focus: Some(focus),
    }
}

/// Reads the declaration documents; load errors pass through `keep_error`.
fn load_declarations(
    early: &[Candidate],
    errors: &mut Vec<FileError>,
    keep_error: impl Fn(&FileError) -> bool,
) -> Vec<SourceFile> {
    let loaded: Vec<Result<Option<SourceFile>, FileError>> =
        early.par_iter().map(discover::load).collect();
    let mut declarations = Vec::new();
    for result in loaded {
        match result {
            Ok(Some(file)) => declarations.push(file),
            Ok(None) => {}
            Err(error) if keep_error(&error) => errors.push(error),
            Err(_) => {}
        }
    }
    declarations
}

pub fn check(options: &CheckOptions) -> Report {
    let Prepared {
        root,
        config,
        mut errors,
        repo,
        late,
        focus,
    } = prepare(options);
    let enabled: Vec<&'static dyn rules::Rule> = rules::registry()
        .iter()
        .copied()
        .filter(|rule| config.rule_enabled(rule.meta().id))
        .collect();
    // In a changed-files run, only what concerns a given file is reported.
    let in_focus = |path: &str| focus.as_ref().is_none_or(|f| f.covers(path));
    let keeps = |finding: &Finding| focus.as_ref().is_none_or(|f| f.keeps(finding));
    let mut files_scanned = repo.files.keys().filter(|p| in_focus(p)).count();
    let mut findings: Vec<Finding> = repo
        .files
        .par_iter()
        .flat_map_iter(|(_, file)| check_file(file, &enabled, &config, &repo))
        .filter(keeps)
        .collect();

    let checked: Vec<Result<Option<CheckedFile>, FileError>> = late
        .par_iter()
        .map(|candidate| {
            let Some(mut file) = discover::load(candidate)? else {
                return Ok(None);
            };
            let findings: Vec<Finding> = check_file(&file, &enabled, &config, &repo)
                .into_iter()
                .filter(keeps)
                .collect();
            file.root = None;
            Ok(Some((file, findings)))
        })
        .collect();
    let mut kept = HashMap::new();
    for result in checked {
        let (file, file_findings) = match result {
            Ok(Some(pair)) => pair,
            Ok(None) => continue,
            Err(error) => {
                if in_focus(&error.path) {
                    errors.push(error);
                }
                continue;
            }
        };
        if in_focus(&file.path) {
            files_scanned += 1;
        }
        if !file_findings.is_empty() {
            findings.extend(file_findings);
            kept.insert(file.path.clone(), file);
        }
    }
    // Room for `--baseline` (known debt, by fingerprint): it filters here, after the
    // changed-files focus and before the sort.
    findings.sort_by(|a, b| {
        (&a.region.path, a.region.line, a.region.column, a.rule).cmp(&(
            &b.region.path,
            b.region.line,
            b.region.column,
            b.rule,
        ))
    });
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
        files_scanned,
    }
}

/// Runs every enabled rule on one file and turns its drafts into findings.
pub fn check_file(
    file: &SourceFile,
    rules: &[&'static dyn rules::Rule],
    config: &Config,
    repo: &RepoContext,
) -> Vec<Finding> {
    let mut cx = Cx {
        config,
        file,
        repo,
        drafts: Vec::new(),
    };
    match file.kind {
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
        _ => {
            for rule in rules {
                rule.check_document(&mut cx, file);
            }
        }
    }
    for rule in rules {
        rule.check_text(&mut cx, file);
    }
    let drafts = std::mem::take(&mut cx.drafts);
    let suppressions = suppress::scan(file);
    // A finding may sit in another file (a trust policy reached from a workflow job): the
    // suppression that counts is the one beside it, in that file.
    let mut elsewhere: HashMap<String, suppress::Suppressions> = HashMap::new();
    let mut findings: Vec<Finding> = drafts
        .into_iter()
        .map(|draft| resolve(file, repo, draft, config))
        .filter(|finding| {
            if finding.region.path == file.path {
                return !suppressions.suppresses(finding);
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
    if config.rule_enabled(rules::meta::suppression_without_reason::META.id) {
        findings.extend(suppressions.without_reason(file));
    }
    dedupe(&mut findings);
    findings
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
    let fingerprint = finding::fingerprint(
        draft.rule,
        &primary_file.path,
        &draft.primary,
        &draft.message,
    );
    Finding {
        rule: draft.rule,
        severity: config
            .severity_override(draft.rule)
            .unwrap_or(draft.severity),
        message: draft.message,
        region,
        related,
        fingerprint,
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
    discover::load(&Candidate {
        fs_path: path.to_path_buf(),
        display: display.into(),
        explicit: true,
    })
}
