//! Command-line interface: argument parsing and the commands behind it.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::engine::{self, CheckOptions};
use crate::finding::Severity;
use crate::output::{self, Format, RenderOptions};
use crate::rules;

#[derive(Parser, Debug)]
#[command(
    name = "tollgate",
    version,
    about = "Policy-as-code linter for the path to production"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check workflows, actions and policies for findings.
    Check(CheckArgs),
    /// Write a baseline: the fingerprints of today's findings, for `check --baseline`.
    Baseline(BaselineArgs),
    /// List every rule with its default severity and summary.
    Rules,
    /// Print a rule's documentation.
    Explain {
        /// Rule id, e.g. `template-injection`.
        rule: String,
    },
    /// Print every deploy path: workflow → job → environment → role → trust condition.
    Paths {
        /// Files or folders to read.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: crate::paths::PathsFormat,
        /// Config file (default: tollgate.yml in the scanned folder or repository root).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Compare live GitHub and AWS IAM settings with the declared policy.
    #[cfg(feature = "drift")]
    Drift(DriftArgs),
    /// Write a commented starter tollgate.yml.
    Init {
        /// Where to write it.
        #[arg(long, default_value = "tollgate.yml")]
        output: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print the rule reference (docs/rules.md) generated from the rules' own docs.
    #[command(hide = true)]
    GenerateDocs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum FailOn {
    High,
    Medium,
    Low,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format (default: human on a terminal, github under GitHub Actions).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Config file (default: tollgate.yml in the scanned folder or repository root).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value = "low")]
    pub fail_on: FailOn,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Also write the report in another format to a file, e.g. `sarif=tollgate.sarif`
    /// (repeatable): one scan, several reports.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_also)]
    pub also: Vec<(Format, PathBuf)>,
    /// Report only on the given files (and folders), reading the rest of their repository
    /// (declared environments, roles, tollgate.yml) as context: for pre-commit and pull
    /// requests.
    #[arg(long)]
    pub changed_only: bool,
    /// Hide findings listed in this baseline file (written by `tollgate baseline`).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
}

#[cfg(feature = "drift")]
#[derive(clap::Args, Debug)]
pub struct DriftArgs {
    /// Files or folders holding the declared state (default: the current folder).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// A repository to compare, OWNER/REPO (repeatable).
    #[arg(long, value_name = "OWNER/REPO")]
    pub github: Vec<String>,
    /// Every repository of an organisation (and the organisation's own settings).
    #[arg(long, value_name = "ORG")]
    pub github_org: Option<String>,
    /// GitHub REST API root, for GitHub Enterprise Server (default: https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub github_api_url: Option<String>,
    /// Compare the roles declared here with live AWS IAM (standard credential and region chain).
    #[arg(long)]
    pub aws: bool,
    /// Do not call any API: the live checks step aside.
    #[arg(long)]
    pub offline: bool,
    /// Take the K-th of N slices of --github-org's repositories, for a CI matrix.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: crate::drift::report::DriftFormat,
    /// Config file (default: tollgate.yml in the scanned folder or repository root).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Merge these JSON reports (from sharded runs) instead of scanning; render in --format.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub merge: Vec<PathBuf>,
    /// Make `unknown` controls fail the run (exit 1) as drift does.
    #[arg(long)]
    pub fail_on_unknown: bool,
    /// Longest wait, in seconds, for a Retry-After or rate-limit reset before a control
    /// becomes unknown.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub max_wait: u64,
    /// Concurrent requests to GitHub.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

#[derive(clap::Args, Debug)]
pub struct BaselineArgs {
    /// Files or folders to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Config file (default: tollgate.yml in the scanned folder or repository root).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write the baseline to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 the tool could not do all that
/// was asked.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_TROUBLE: u8 = 2;

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check(args) => check(args),
        #[cfg(feature = "drift")]
        Command::Drift(args) => drift(args),
        Command::Baseline(args) => write_baseline(args),
        Command::Rules => {
            let mut text = String::new();
            for meta in rules::all_meta() {
                // `as_str`, not `Display`: the padding needs a `str` (Severity's Display ignores
                // width), else the summary column is ragged.
                text.push_str(&format!(
                    "{:<28} {:<7} {}\n",
                    meta.id,
                    meta.severity.as_str(),
                    meta.summary
                ));
            }
            emit(&text, None)
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(meta) => emit(&explain(meta), None),
            None => {
                eprintln!("tollgate: no rule `{rule}` (see `tollgate rules`)");
                ExitCode::from(EXIT_TROUBLE)
            }
        },
        Command::GenerateDocs => emit(&rules_markdown(), None),
        Command::Paths {
            paths,
            format,
            config,
            output,
        } => {
            let (found, errors) = crate::paths::collect(&CheckOptions {
                paths,
                config,
                ..CheckOptions::default()
            });
            // Labels quote the repository's text (commands, environment names): never a secret.
            let rendered = rules::secrets::redact(&crate::paths::render(&found, format), &[]);
            let written = emit(&rendered, output.as_deref());
            let mut errors = errors;
            engine::redact_errors(&mut errors);
            for error in &errors {
                eprintln!("tollgate: {}: {}", error.path, error.message);
            }
            if written != ExitCode::SUCCESS || !errors.is_empty() {
                return ExitCode::from(EXIT_TROUBLE);
            }
            ExitCode::SUCCESS
        }
        Command::Init { output, force } => {
            if output.exists() && !force {
                eprintln!(
                    "tollgate: {} already exists; pass --force to overwrite it",
                    output.display()
                );
                return ExitCode::from(EXIT_TROUBLE);
            }
            let written = emit(crate::config::TEMPLATE, Some(&output));
            if written == ExitCode::SUCCESS {
                eprintln!("tollgate: wrote {}", output.display());
            }
            written
        }
    }
}

pub fn explain(meta: &rules::RuleMeta) -> String {
    format!(
        "# {}\n\nDefault severity: {}. {}.\n\n{}",
        meta.id,
        meta.severity,
        capitalise(meta.summary),
        meta.docs
    )
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// The generated rule reference, `docs/rules.md`.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated by `tollgate generate-docs` from the rules' own docs; do not edit. -->\n# tollgate rules\n\n| rule | default severity | summary |\n|---|---|---|\n",
    );
    for meta in rules::all_meta() {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} |\n",
            meta.id, meta.id, meta.severity, meta.summary
        ));
    }
    for meta in rules::all_meta() {
        out.push('\n');
        // Demote the rule's sections one level under its own heading.
        out.push_str(&explain(meta).replace("\n## ", "\n### "));
    }
    out
}

fn check(args: CheckArgs) -> ExitCode {
    let format = args.format.unwrap_or_else(|| {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            Format::Github
        } else {
            Format::Human
        }
    });
    let color = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let report = engine::check(&CheckOptions {
        paths: args.paths,
        config: args.config,
        changed_only: args.changed_only,
        keep_sources: format == Format::Human || args.also.iter().any(|(f, _)| *f == Format::Human),
        baseline: args.baseline,
        ..CheckOptions::default()
    });
    let link_base = github_link_base();
    let options = RenderOptions {
        color,
        link_base: link_base.clone(),
    };
    let written = emit_report(&report, format, &options, args.output.as_deref());
    if written != ExitCode::SUCCESS {
        return written;
    }
    for (also_format, path) in &args.also {
        let options = RenderOptions {
            color: false,
            link_base: link_base.clone(),
        };
        let written = emit_report(&report, *also_format, &options, Some(path));
        if written != ExitCode::SUCCESS {
            return written;
        }
    }
    if format != Format::Human {
        // Machine formats keep stdout clean; a person still deserves to hear about errors.
        for error in &report.errors {
            eprintln!("tollgate: {}: {}", error.path, error.message);
        }
    }
    let code = if !report.errors.is_empty() {
        ExitCode::from(EXIT_TROUBLE)
    } else if report.count_at_or_above(args.fail_on.severity()) > 0 {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    };
    // The process is about to exit: freeing every document one by one only costs time.
    std::mem::forget(report);
    code
}

#[cfg(feature = "drift")]
fn drift(args: DriftArgs) -> ExitCode {
    use crate::drift::{self, DriftOptions, DriftReport, Shard, Status};
    let shard = match args.shard.as_deref().map(Shard::parse).transpose() {
        Ok(shard) => shard,
        Err(message) => {
            eprintln!("tollgate: {message}");
            return ExitCode::from(EXIT_TROUBLE);
        }
    };
    if shard.is_some() && args.github_org.is_none() {
        eprintln!("tollgate: --shard splits --github-org's repositories; give --github-org");
        return ExitCode::from(EXIT_TROUBLE);
    }
    let report = if args.merge.is_empty() {
        let token = ["GITHUB_TOKEN", "GH_TOKEN"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|t| !t.trim().is_empty()));
        drift::run(&DriftOptions {
            paths: args.paths,
            config: args.config,
            github: args.github,
            github_org: args.github_org,
            github_api_url: args.github_api_url,
            github_token: token,
            aws: args.aws,
            offline: args.offline,
            shard,
            max_wait: args.max_wait,
            concurrency: args.concurrency,
        })
    } else {
        let mut reports = Vec::new();
        for path in &args.merge {
            let parsed = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    serde_json::from_str::<DriftReport>(&text).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(report) => reports.push(report),
                Err(e) => {
                    eprintln!("tollgate: cannot merge {}: {e}", path.display());
                    return ExitCode::from(EXIT_TROUBLE);
                }
            }
        }
        DriftReport::merge(reports)
    };
    let written = emit(
        &drift::report::render(&report, args.format),
        args.output.as_deref(),
    );
    if written != ExitCode::SUCCESS {
        return written;
    }
    for skipped in &report.skipped {
        eprintln!("tollgate: {}: {}", skipped.target, skipped.reason);
    }
    for error in &report.errors {
        eprintln!("tollgate: {}: {}", error.path, error.message);
    }
    let failing = report.controls.iter().any(|c| {
        c.status == Status::Drifted || (args.fail_on_unknown && c.status == Status::Unknown)
    });
    if !report.errors.is_empty() {
        ExitCode::from(EXIT_TROUBLE)
    } else if failing {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// `FORMAT=FILE` for `--also`.
fn parse_also(text: &str) -> Result<(Format, PathBuf), String> {
    let Some((format, path)) = text.split_once('=') else {
        return Err("expected FORMAT=FILE, e.g. sarif=tollgate.sarif".into());
    };
    let format = Format::from_str(format, true)?;
    if path.is_empty() {
        return Err("the file after `=` is empty".into());
    }
    Ok((format, PathBuf::from(path)))
}

/// Under GitHub Actions, where a repository's files live at the commit being checked
/// (`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA/`): the Markdown summary links each
/// finding to its lines there.
fn github_link_base() -> Option<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let server = var("GITHUB_SERVER_URL")?;
    let repository = var("GITHUB_REPOSITORY")?;
    let sha = var("GITHUB_SHA")?;
    Some(format!(
        "{}/{repository}/blob/{sha}/",
        server.trim_end_matches('/')
    ))
}

fn write_baseline(args: BaselineArgs) -> ExitCode {
    let report = engine::check(&CheckOptions {
        paths: args.paths,
        config: args.config,
        ..CheckOptions::default()
    });
    for error in &report.errors {
        eprintln!("tollgate: {}: {}", error.path, error.message);
    }
    let written = emit(&crate::baseline::render(&report), args.output.as_deref());
    if written != ExitCode::SUCCESS {
        return written;
    }
    if args.output.is_some() {
        eprintln!(
            "tollgate: baseline of {} finding{} written",
            report.findings.len(),
            if report.findings.len() == 1 { "" } else { "s" }
        );
    }
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_TROUBLE)
    }
}

/// Writes a report to a file or standard output as it is serialised.
fn emit_report(
    report: &engine::Report,
    format: Format,
    options: &RenderOptions,
    path: Option<&std::path::Path>,
) -> ExitCode {
    let result = match path {
        Some(path) => std::fs::File::create(path).and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            output::write(report, format, options, &mut out)?;
            out.flush()
        }),
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            output::write(report, format, options, &mut out).and_then(|()| out.flush())
        }
    };
    written(result, path)
}

/// Writes to a file or stdout.
fn emit(text: &str, path: Option<&std::path::Path>) -> ExitCode {
    let result = match path {
        Some(path) => std::fs::write(path, text),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
        }
    };
    written(result, path)
}

/// The exit code for a write; a closed pipe (`| head`) is not an error.
fn written(result: std::io::Result<()>, path: Option<&std::path::Path>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let target = path.map_or_else(|| "standard output".into(), |p| p.display().to_string());
            eprintln!("tollgate: cannot write {target}: {e}");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}
