//! Command-line interface: argument parsing and the commands behind it.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

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
        /// Exit 1 when a deploy path is broken.
        #[arg(long)]
        fail_on_broken: bool,
    },
    /// Compare live GitHub and AWS IAM settings with the declared policy.
    #[cfg(feature = "drift")]
    Drift(DriftArgs),
    /// Compare live settings with the declared policy (not in this build: see `tollgate drift`).
    #[cfg(not(feature = "drift"))]
    #[command(disable_help_flag = true)]
    Drift {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
    /// Write a commented starter tollgate.yml, declaring the production environments the
    /// repository's deploy jobs use.
    Init {
        /// Where to write it.
        #[arg(long, default_value = "tollgate.yml")]
        output: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
        /// Also declare this environment, though no deploy job uses it (repeatable).
        #[arg(long, value_name = "NAME")]
        environment: Vec<String>,
    },
    /// Print a shell completion script, e.g. `tollgate completions bash > ~/.local/share/bash-completion/completions/tollgate`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `tollgate man > tollgate.1`.
    Man,
    /// Print the rule reference (docs/rules.md) generated from the rules' own docs.
    #[command(hide = true)]
    GenerateDocs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum FailOn {
    High,
    Medium,
    Low,
    /// Report only: findings never make the exit code 1 (errors still make it 2).
    Never,
}

impl FailOn {
    fn severity(self) -> Option<Severity> {
        match self {
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Never => None,
        }
    }
}

/// A severity named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    High,
    Medium,
    Low,
    Info,
}

impl SeverityArg {
    fn severity(self) -> Severity {
        match self {
            SeverityArg::High => Severity::High,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Info => Severity::Info,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On at a terminal, unless `NO_COLOR` is set; `CLICOLOR_FORCE` turns it on anywhere.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a report bound for standard output (`to_terminal`) or a file.
    /// `NO_COLOR` (non-empty) wins over `CLICOLOR_FORCE` (non-empty, not `0`) in `auto`;
    /// the flag wins over both.
    fn resolve(self, to_terminal: bool) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto
                if set("CLICOLOR_FORCE")
                    && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") =>
            {
                true
            }
            ColorChoice::Auto => to_terminal,
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
    /// Lowest severity that makes the exit code 1; `never` only reports.
    #[arg(long, value_enum, default_value = "low")]
    pub fail_on: FailOn,
    /// Report only these rules: ids or prefixes (`iam` is every `iam-*` rule), comma-separated
    /// or repeated.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Do not report these rules: ids or prefixes, comma-separated or repeated. Wins over
    /// `--select`.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Hide findings below this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<SeverityArg>,
    /// Colour in the human format.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
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
    /// A git revision (a pull request's base, e.g. `origin/main`): tollgate.yml and the
    /// baseline are compared with their versions there, and whatever the change weakens is
    /// reported as `policy-weakened`.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
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
    pub format: crate::output::drift::DriftFormat,
    /// Config file (default: tollgate.yml in the scanned folder or repository root).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Merge these JSON reports (from sharded runs) instead of scanning; render in --format.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub merge: Vec<PathBuf>,
    /// With --merge: the number of shards; fail unless shards 1..N are each given once.
    #[arg(long, value_name = "N", requires = "merge")]
    pub expect_shards: Option<usize>,
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
    /// Longest time, in seconds, one GitHub request may take, body included.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub request_timeout: u64,
    /// Keep GitHub's answers here with their ETags and ask "if changed" next run: GitHub does
    /// not count a 304 Not Modified against the rate limit.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
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

/// What `tollgate drift` says in a build without the `drift` feature.
#[cfg(not(feature = "drift"))]
const DRIFT_MISSING: &str = "tollgate: this build has no `drift` command: it comes with the `drift` cargo feature, which adds the GitHub and AWS SDKs.
Install it with:
    cargo install --locked --features drift --git https://github.com/tollgate-dev/tollgate tollgate
or, from a checkout:
    cargo install --locked --features drift --path .";

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check(args) => check(args),
        #[cfg(feature = "drift")]
        Command::Drift(args) => drift(args),
        #[cfg(not(feature = "drift"))]
        Command::Drift { .. } => {
            eprintln!("{DRIFT_MISSING}");
            ExitCode::from(EXIT_TROUBLE)
        }
        Command::Baseline(args) => write_baseline(args),
        Command::Rules => {
            let mut text = String::new();
            let width = rules::all_meta()
                .iter()
                .map(|m| m.id.len())
                .max()
                .unwrap_or(0);
            for meta in rules::all_meta() {
                // `as_str`, not `Display`: the padding needs a `str` (Severity's Display ignores
                // width), else the summary column is ragged.
                text.push_str(&format!(
                    "{:<width$} {:<7} {}\n",
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
            fail_on_broken,
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
                say(&error.path, &error.message);
            }
            if written != ExitCode::SUCCESS || !errors.is_empty() {
                return ExitCode::from(EXIT_TROUBLE);
            }
            if fail_on_broken && found.iter().any(crate::paths::DeployPath::is_broken) {
                return ExitCode::from(EXIT_FINDINGS);
            }
            ExitCode::SUCCESS
        }
        Command::Init {
            output,
            force,
            environment,
        } => init(&output, force, environment),
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tollgate", &mut text);
            emit(&String::from_utf8_lossy(&text), None)
        }
        Command::Man => {
            let mut text = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut text) {
                Ok(()) => emit(&String::from_utf8_lossy(&text), None),
                Err(e) => {
                    eprintln!("tollgate: cannot render the man page: {e}");
                    ExitCode::from(EXIT_TROUBLE)
                }
            }
        }
    }
}

/// `tollgate init`: the starter policy, declaring the production environments that the deploy
/// jobs of the folder it is written to use, and those asked for; it says what it declared.
fn init(output: &std::path::Path, force: bool, asked: Vec<String>) -> ExitCode {
    if output.exists() && !force {
        eprintln!(
            "tollgate: {} already exists; pass --force to overwrite it",
            output.display()
        );
        return ExitCode::from(EXIT_TROUBLE);
    }
    let folder = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The built-in notion of production: the config being written is not there yet.
    let defaults = crate::config::Config::default();
    let (found, _) = crate::paths::collect(&CheckOptions {
        paths: vec![folder],
        ..CheckOptions::default()
    });
    let mut seen: Vec<(String, String)> = Vec::new();
    for path in &found {
        if let Some(name) = &path.environment
            && !seen.iter().any(|(n, _)| n == name)
        {
            seen.push((name.clone(), path.workflow.clone()));
        }
    }
    let (production, other): (Vec<_>, Vec<_>) = seen
        .into_iter()
        .partition(|(name, _)| defaults.is_production(name));
    let mut declared: Vec<String> = production.iter().map(|(n, _)| n.clone()).collect();
    for name in asked {
        if !declared.contains(&name) {
            declared.push(name);
        }
    }
    let written = emit(&crate::config::starter(&declared), Some(output));
    if written != ExitCode::SUCCESS {
        return written;
    }
    eprintln!("tollgate: wrote {}", output.display());
    if declared.is_empty() {
        eprintln!(
            "tollgate: declared no environment: no deploy job here uses a production one (add one with --environment NAME)"
        );
    }
    for name in &declared {
        match production.iter().find(|(n, _)| n == name) {
            Some((_, workflow)) => eprintln!(
                "tollgate: declared environment {} (deployed to by {}) with the production requirements",
                escape(name),
                escape(workflow)
            ),
            None => eprintln!(
                "tollgate: declared environment {} (asked for) with the production requirements",
                escape(name)
            ),
        }
    }
    for (name, workflow) in &other {
        eprintln!(
            "tollgate: left out environment {} (deployed to by {}): not a production name",
            escape(name),
            escape(workflow)
        );
    }
    written
}

/// Text from a repository, safe to print on a terminal: control characters are escaped.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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
    let color = args
        .color
        .resolve(args.output.is_none() && std::io::stdout().is_terminal());
    let filter = match RuleFilter::new(&args.select, &args.ignore, args.min_severity) {
        Ok(filter) => filter,
        Err(message) => {
            eprintln!("tollgate: {message}");
            return ExitCode::from(EXIT_TROUBLE);
        }
    };
    let mut report = engine::check(&CheckOptions {
        paths: args.paths,
        config: args.config,
        changed_only: args.changed_only,
        keep_sources: format == Format::Human || args.also.iter().any(|(f, _)| *f == Format::Human),
        baseline: args.baseline,
        base: args.base,
        ..CheckOptions::default()
    });
    report.findings.retain(|f| filter.keeps(f.rule, f.severity));
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
            say(&error.path, &error.message);
        }
    }
    let code = if !report.errors.is_empty() {
        ExitCode::from(EXIT_TROUBLE)
    } else if args
        .fail_on
        .severity()
        .is_some_and(|severity| report.count_at_or_above(severity) > 0)
    {
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
            request_timeout: args.request_timeout,
            cache: args.cache,
        })
    } else {
        let mut reports = Vec::new();
        for path in &args.merge {
            // A FIFO or device is refused, not waited on.
            let parsed = crate::source::fsio::read_text(path, crate::baseline::MAX_BASELINE_BYTES)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    serde_json::from_str::<DriftReport>(&text).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(report) => reports.push(report),
                Err(e) => {
                    say(&format!("cannot merge {}", path.display()), &e);
                    return ExitCode::from(EXIT_TROUBLE);
                }
            }
        }
        if let Some(expect) = args.expect_shards
            && let Err(message) = DriftReport::check_shards(&reports, expect)
        {
            eprintln!("tollgate: --merge --expect-shards {expect}: {message}");
            return ExitCode::from(EXIT_TROUBLE);
        }
        DriftReport::merge(reports)
    };
    let written = emit(
        &crate::output::drift::render(&report, args.format),
        args.output.as_deref(),
    );
    if written != ExitCode::SUCCESS {
        return written;
    }
    for skipped in &report.skipped {
        say(&skipped.target, &skipped.reason);
    }
    for error in &report.errors {
        say(&error.path, &error.message);
    }
    let failing = report.controls.iter().any(|c| {
        c.status == Status::Drifted || (args.fail_on_unknown && c.status == Status::Unknown)
    });
    // A run that saw nothing it was asked to compare cannot pass: every control unknown
    // (the API down, refusing or rate-limited throughout) is trouble, not a clean run.
    let saw_nothing =
        !report.controls.is_empty() && report.controls.iter().all(|c| c.status == Status::Unknown);
    if saw_nothing {
        eprintln!(
            "tollgate: every one of the {} controls is unknown: nothing live was compared",
            report.controls.len()
        );
    }
    if !report.errors.is_empty() || saw_nothing {
        ExitCode::from(EXIT_TROUBLE)
    } else if failing {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--select`, `--ignore` and `--min-severity`: which findings a run reports.
struct RuleFilter {
    select: Vec<String>,
    ignore: Vec<String>,
    min_severity: Option<Severity>,
}

impl RuleFilter {
    /// Every selector must name a rule or a prefix of one, so a typo is an error, not a
    /// silently empty report.
    fn new(
        select: &[String],
        ignore: &[String],
        min_severity: Option<SeverityArg>,
    ) -> Result<Self, UnknownSelector> {
        let clean = |selectors: &[String]| -> Vec<String> {
            selectors
                .iter()
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let filter = Self {
            select: clean(select),
            ignore: clean(ignore),
            min_severity: min_severity.map(SeverityArg::severity),
        };
        for selector in filter.select.iter().chain(&filter.ignore) {
            if !rules::all_meta()
                .iter()
                .any(|meta| matches_rule(selector, meta.id))
            {
                return Err(UnknownSelector(selector.clone()));
            }
        }
        Ok(filter)
    }

    fn keeps(&self, rule: &str, severity: Severity) -> bool {
        (self.select.is_empty() || self.select.iter().any(|s| matches_rule(s, rule)))
            && !self.ignore.iter().any(|s| matches_rule(s, rule))
            && self.min_severity.is_none_or(|min| severity >= min)
    }
}

/// A `--select`/`--ignore` selector that names no rule: a typo is an error, not a silently
/// empty report.
#[derive(Debug, thiserror::Error)]
#[error(
    "no rule is `{}` or starts with `{}-` (see `tollgate rules`)",
    escape(.0),
    escape(.0.trim_end_matches(['-', '*']))
)]
struct UnknownSelector(String);

/// A selector is a rule id, or a prefix of ids ending at a `-` (`iam`, `iam-`, `iam-*`,
/// `deploy-path`), as ruff takes `E` or `E4`; `all` is every rule.
fn matches_rule(selector: &str, rule: &str) -> bool {
    let prefix = selector.trim_end_matches('*').trim_end_matches('-');
    selector == "all"
        || rule == selector
        || (!prefix.is_empty()
            && rule
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('-')))
}

/// One problem on standard error. The path and message come from files and APIs: control
/// characters are shown as escapes, so no line can start with a workflow command
/// (`::add-mask::`) that the Actions runner, which reads stderr too, would obey.
fn say(subject: &str, message: &str) {
    eprintln!(
        "tollgate: {}: {}",
        crate::escape::visible(subject),
        crate::escape::visible(message)
    );
}

/// Why an `--also` value is not `FORMAT=FILE`.
#[derive(Debug, thiserror::Error)]
enum AlsoError {
    #[error("expected FORMAT=FILE, e.g. sarif=tollgate.sarif")]
    NoEquals,
    /// clap's own words for a format it does not know.
    #[error("{0}")]
    Format(String),
    #[error("the file after `=` is empty")]
    NoFile,
}

/// `FORMAT=FILE` for `--also`.
fn parse_also(text: &str) -> Result<(Format, PathBuf), AlsoError> {
    let Some((format, path)) = text.split_once('=') else {
        return Err(AlsoError::NoEquals);
    };
    let format = Format::from_str(format, true).map_err(AlsoError::Format)?;
    if path.is_empty() {
        return Err(AlsoError::NoFile);
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
        say(&error.path, &error.message);
    }
    let written = emit(
        &crate::baseline::render(&report.findings),
        args.output.as_deref(),
    );
    if written != ExitCode::SUCCESS {
        return written;
    }
    if args.output.is_some() {
        eprintln!(
            "tollgate: baseline of {} written",
            crate::util::words::counted(report.findings.len(), "finding")
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
        Some(path) => crate::source::fsio::create_output(path).and_then(|file| {
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
        Some(path) => crate::source::fsio::create_output(path)
            .and_then(|mut file| file.write_all(text.as_bytes()).and_then(|()| file.flush())),
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
