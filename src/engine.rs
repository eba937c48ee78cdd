//! `tollgate check`: find files, parse each once, run the rules, resolve and filter findings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::baseline::Baseline;
use crate::config::{self, Config};
use crate::finding::{self, Draft, Finding, Related, Severity};
use crate::model::{Action, Workflow};
use crate::rules::{self, Cx, RuleMeta};
use crate::source::discover::{self, Candidate};
use crate::source::{FileError, FileKind, SourceFile};
use crate::suppress;

#[derive(Debug, Default)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    /// Keep the text of files that have findings in the report, for code frames (the human
    /// format). Off, no file text outlives its check, which keeps memory flat on big trees.
    pub keep_sources: bool,
    /// A baseline file (`tollgate baseline`): findings whose fingerprint it lists are hidden.
    pub baseline: Option<PathBuf>,
}

/// Everything a run produced: the outputs read only this.
pub struct Report {
    pub root: PathBuf,
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
    /// Files with findings, by display path, when [`CheckOptions::keep_sources`] asked for
    /// them (outputs draw code frames from them).
    pub files: HashMap<String, SourceFile>,
    pub files_scanned: usize,
    /// Findings hidden because the baseline lists them.
    pub baselined: usize,
}

impl Report {
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

pub fn check(options: &CheckOptions) -> Report {
    let paths = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let root = discover::scan_root(&paths);
    let located = CheckOptions {
        paths,
        config: options.config.clone(),
        keep_sources: options.keep_sources,
        baseline: None,
    };
    let (config, mut errors) = load_config(&located, &root);
    let baseline = match &options.baseline {
        Some(path) => match Baseline::load(path) {
            Ok(baseline) => Some(baseline),
            Err(message) => {
                errors.push(FileError {
                    path: path.to_string_lossy().into_owned(),
                    line: None,
                    column: None,
                    message,
                });
                None
            }
        },
        None => None,
    };

    let enabled: Vec<&'static dyn rules::Rule> = rules::registry()
        .iter()
        .copied()
        .filter(|rule| config.rule_enabled(rule.meta().id))
        .collect();
    let all_text = enabled.iter().any(|rule| rule.reads_all_text());
    let (candidates, walk_errors) = discover::walk(&located.paths, &root, &config.ignore, all_text);
    errors.extend(walk_errors);

    // Read, parse and check each file in one pass, so a file's text is dropped as soon as
    // its findings are out (unless a code frame will need it).
    let outcomes: Vec<Outcome> = candidates
        .par_iter()
        .map(|candidate| {
            let loaded = discover::load_with(candidate, all_text);
            let mut outcome = Outcome {
                error: loaded.error,
                ..Outcome::default()
            };
            if let Some(file) = loaded.file {
                outcome.scanned = true;
                outcome.findings = check_file(&file, &enabled, &config);
                if options.keep_sources && !outcome.findings.is_empty() {
                    outcome.file = Some(file);
                }
            }
            outcome
        })
        .collect();

    let mut findings = Vec::new();
    let mut files = HashMap::new();
    let mut files_scanned = 0;
    for outcome in outcomes {
        findings.extend(outcome.findings);
        errors.extend(outcome.error);
        files_scanned += usize::from(outcome.scanned);
        if let Some(file) = outcome.file {
            files.insert(file.path.clone(), file);
        }
    }
    let before = findings.len();
    if let Some(baseline) = &baseline {
        findings.retain(|f| !baseline.contains(&f.fingerprint));
    }
    let baselined = before - findings.len();
    findings.sort_by(|a, b| {
        (&a.region.path, a.region.line, a.region.column, a.rule).cmp(&(
            &b.region.path,
            b.region.line,
            b.region.column,
            b.rule,
        ))
    });
    errors.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Report {
        root,
        findings,
        errors,
        files,
        files_scanned,
        baselined,
    }
}

/// What checking one candidate left behind.
#[derive(Default)]
struct Outcome {
    findings: Vec<Finding>,
    error: Option<FileError>,
    file: Option<SourceFile>,
    scanned: bool,
}

/// Runs every enabled rule on one file and turns its drafts into findings.
pub fn check_file(
    file: &SourceFile,
    rules: &[&'static dyn rules::Rule],
    config: &Config,
) -> Vec<Finding> {
    let mut cx = Cx {
        config,
        file,
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
        // Plain text (scripts, `.env`, unrecognised YAML) has no document view.
        FileKind::Other => {}
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
    let mut findings: Vec<Finding> = drafts
        .into_iter()
        .map(|draft| resolve(file, draft, config))
        .filter(|finding| !suppressions.suppresses(finding))
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

fn resolve(file: &SourceFile, draft: Draft, config: &Config) -> Finding {
    let span = finding::resolve_span(file, &draft.primary);
    let region = finding::region(file, span);
    let related = draft
        .related
        .iter()
        // Locations in other files are resolved by the passes that know those files.
        .filter(|location| location.path.is_none())
        .map(|location| Related {
            region: finding::region(file, finding::resolve_span(file, location)),
            message: location.label.clone().unwrap_or_default(),
        })
        .collect();
    let fingerprint = finding::fingerprint(draft.rule, &file.path, &draft.primary, &draft.message);
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
    discover::load(&Candidate {
        fs_path: path.to_path_buf(),
        display: display.into(),
        explicit: true,
    })
}
