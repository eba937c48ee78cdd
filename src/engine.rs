//! `tollgate check`: find files, parse each once, run the rules, resolve and filter findings.

use std::collections::HashMap;
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

pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
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
}

pub fn prepare(options: &CheckOptions) -> Prepared {
    let paths = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let options = CheckOptions {
        paths,
        config: options.config.clone(),
    };
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
    let loaded: Vec<Result<Option<SourceFile>, FileError>> =
        early.par_iter().map(discover::load).collect();
    let mut declarations = Vec::new();
    for result in loaded {
        match result {
            Ok(Some(file)) => declarations.push(file),
            Ok(None) => {}
            Err(error) => errors.push(error),
        }
    }
    Prepared {
        root,
        config,
        errors,
        repo: RepoContext::build(declarations),
        late,
    }
}

pub fn check(options: &CheckOptions) -> Report {
    let Prepared {
        root,
        config,
        mut errors,
        repo,
        late,
    } = prepare(options);
    let enabled: Vec<&'static dyn rules::Rule> = rules::registry()
        .iter()
        .copied()
        .filter(|rule| config.rule_enabled(rule.meta().id))
        .collect();
    let mut files_scanned = repo.files.len();
    let mut findings: Vec<Finding> = repo
        .files
        .par_iter()
        .flat_map_iter(|(_, file)| check_file(file, &enabled, &config, &repo))
        .collect();

    let checked: Vec<Result<Option<CheckedFile>, FileError>> = late
        .par_iter()
        .map(|candidate| {
            let Some(mut file) = discover::load(candidate)? else {
                return Ok(None);
            };
            let findings = check_file(&file, &enabled, &config, &repo);
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
                errors.push(error);
                continue;
            }
        };
        files_scanned += 1;
        if !file_findings.is_empty() {
            findings.extend(file_findings);
            kept.insert(file.path.clone(), file);
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
