//! `tollgate.yml`: parsed with spans, validated into [`Config`]; mistakes are errors that point
//! at their line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::finding::Severity;
use crate::source::discover::held_by;
use crate::source::{FileError, FileKind, Node, SourceFile, yaml};
use crate::util::duration;

/// The commented starter policy `tollgate init` writes; `@ENVIRONMENTS@` is where
/// [`starter`] puts the environments it declares.
const TEMPLATE: &str = include_str!("template.yml");

/// The starter policy declaring `environments` (each with the production requirements), or,
/// when there are none, an empty mapping with a commented example: `init` declares only what
/// it saw in the repository or was asked for, since a declared environment is taken as
/// existing and would hide `deploy-path-undeclared`.
pub fn starter(environments: &[String]) -> String {
    const REQUIREMENTS: &str =
        "required_reviewers: []            # team slugs or user logins, e.g. [platform-team]
min_reviewers: 1
prevent_self_review: true
admins_can_bypass: false
deployment_branches: restricted   # restricted | protected | [main, \"release/*\"]
min_wait_timer: 0                 # minutes
";
    let mut block = String::new();
    if environments.is_empty() {
        block.push_str("  {}   # none seen in the repository; for example:\n  # production:\n");
        for line in REQUIREMENTS.lines() {
            block.push_str(&format!("  #   {line}\n"));
        }
    }
    for name in environments {
        // A JSON string is a YAML scalar, whatever the name holds.
        block.push_str(&format!("  {}:\n", serde_json::Value::String(name.clone())));
        for line in REQUIREMENTS.lines() {
            block.push_str(&format!("    {line}\n"));
        }
    }
    TEMPLATE.replace("@ENVIRONMENTS@\n", &block)
}

const TOP_LEVEL_KEYS: [&str; 8] = [
    "rules",
    "max_credential_ttl",
    "production_environments",
    "allowed_unpinned_actions",
    "ignore",
    "environments",
    "oidc_subject",
    "break_glass",
];

/// The default OIDC subject a production role's trust policy should require.
pub const DEFAULT_OIDC_SUBJECT: &str = "repo:{owner}/{repo}:environment:{environment}";

pub use crate::model::environment::BranchRequirement;

/// What the policy requires of environments whose names match `pattern`.
#[derive(Clone, Debug)]
pub struct EnvironmentRequirement {
    pub pattern: String,
    matcher: Option<globset::GlobMatcher>,
    /// Line of the entry in `tollgate.yml`, when it came from there.
    pub line: Option<usize>,
    pub required_reviewers: Vec<String>,
    pub min_reviewers: usize,
    pub prevent_self_review: bool,
    pub admins_can_bypass: bool,
    pub deployment_branches: BranchRequirement,
    pub min_wait_timer: u64,
}

impl EnvironmentRequirement {
    /// What this requirement demands, in the terms the shared judgement of `check` and
    /// `drift` takes (`model::environment::judge`).
    pub fn demands(&self) -> crate::model::environment::Demands {
        crate::model::environment::Demands {
            required_reviewers: self.required_reviewers.clone(),
            min_reviewers: self.min_reviewers,
            prevent_self_review: self.prevent_self_review,
            admins_can_bypass: self.admins_can_bypass,
            branches: self.deployment_branches.clone(),
            min_wait_timer: self.min_wait_timer,
        }
    }

    /// The requirement applied to production environments when the policy names none.
    fn production_default() -> Self {
        Self {
            pattern: "<production environments>".into(),
            matcher: None,
            line: None,
            required_reviewers: Vec::new(),
            min_reviewers: 1,
            prevent_self_review: true,
            admins_can_bypass: false,
            deployment_branches: BranchRequirement::Restricted,
            min_wait_timer: 0,
        }
    }

    /// A pattern without glob characters names one environment: the policy declares it.
    pub fn is_literal(&self) -> bool {
        !self.pattern.contains(['*', '?', '[', '{'])
    }
}

/// A role that may be used outside the normal path, with its own approval and lifetime.
#[derive(Clone, Debug)]
pub struct BreakGlass {
    pub role: String,
    pub approvers: Vec<String>,
    pub max_ttl: Option<u64>,
    pub line: usize,
}

#[derive(Clone, Debug, Default)]
pub struct RuleSetting {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    /// `ignore: [globs]`: the rule's findings under these paths are dropped.
    pub ignore: Option<GlobSet>,
}

/// The validated configuration every rule reads.
#[derive(Debug)]
pub struct Config {
    /// Display path of the file it came from, if any.
    pub source: Option<String>,
    pub rules: HashMap<String, RuleSetting>,
    /// Longest credential or session lifetime allowed, in seconds.
    pub max_credential_ttl: u64,
    /// The text it was written as, for messages (`1h`).
    pub max_credential_ttl_text: String,
    production_patterns: Option<GlobSet>,
    allowed_unpinned: Vec<String>,
    pub ignore: GlobSet,
    /// Per-environment requirements, in the order written; the first match applies.
    pub environments: Vec<EnvironmentRequirement>,
    /// The OIDC `sub` form production roles must require.
    pub oidc_subject: String,
    pub break_glass: Vec<BreakGlass>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            source: None,
            rules: HashMap::new(),
            max_credential_ttl: 3600,
            max_credential_ttl_text: "1h".into(),
            production_patterns: None,
            allowed_unpinned: Vec::new(),
            ignore: GlobSet::empty(),
            environments: Vec::new(),
            oidc_subject: DEFAULT_OIDC_SUBJECT.into(),
            break_glass: Vec::new(),
        }
    }
}

impl Config {
    pub fn rule_enabled(&self, id: &str) -> bool {
        self.rules.get(id).and_then(|s| s.enabled).unwrap_or(true)
    }

    pub fn severity_override(&self, id: &str) -> Option<Severity> {
        self.rules.get(id).and_then(|s| s.severity)
    }

    /// Whether `rules.<id>.ignore` drops the rule's findings at this display path.
    pub fn rule_ignores(&self, id: &str, path: &str) -> bool {
        self.rules
            .get(id)
            .and_then(|s| s.ignore.as_ref())
            .is_some_and(|globs| globs.is_match(path))
    }

    /// Whether an environment name counts as production: by the configured globs, or by
    /// default when one of its words is `prod`, `production`, `prd` or `live` (`prod-eu`,
    /// `eu-production`).
    pub fn is_production(&self, environment: &str) -> bool {
        match &self.production_patterns {
            Some(set) => set.is_match(environment.to_ascii_lowercase()),
            None => environment
                .to_ascii_lowercase()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| matches!(word, "prod" | "production" | "prd" | "live" | "prods")),
        }
    }

    /// The requirement that applies to an environment: the first policy entry whose pattern
    /// matches, else the production default for production environments, else none.
    pub fn requirement_for(&self, environment: &str) -> Option<EnvironmentRequirement> {
        let lower = environment.to_ascii_lowercase();
        if let Some(found) = self
            .environments
            .iter()
            .find(|r| r.matcher.as_ref().is_some_and(|m| m.is_match(&lower)))
        {
            return Some(found.clone());
        }
        self.is_production(environment)
            .then(EnvironmentRequirement::production_default)
    }

    /// Environments the policy itself names.
    pub fn declared_environments(&self) -> impl Iterator<Item = &EnvironmentRequirement> {
        self.environments.iter().filter(|r| r.is_literal())
    }

    /// The service catalog as written (`allowed_unpinned_actions`), lower-cased.
    pub fn catalog(&self) -> &[String] {
        &self.allowed_unpinned
    }

    /// Whether `owner/repo[/path]` may be pinned by tag: the service catalog.
    pub fn unpinned_allowed(&self, action: &str) -> bool {
        let action = action.to_ascii_lowercase();
        self.allowed_unpinned.iter().any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some(owner) = entry.strip_suffix("/*") {
                return action.split('/').next() == Some(owner);
            }
            action == *entry || action.starts_with(&format!("{entry}/"))
        })
    }
}

/// Finds the config: `--config` when given, else the first of
/// [`CONFIG_NAMES`](crate::source::discover::CONFIG_NAMES) in the scanned
/// folder, else in the scan root.
pub fn locate(explicit: Option<&Path>, inputs: &[PathBuf], root: &Path) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let mut folders: Vec<PathBuf> = inputs.iter().filter(|p| p.is_dir()).cloned().collect();
    // The repository the first path lies in, as `--changed-only` finds it, when it is inside
    // the scan root: `check svc/src` reads `svc/tollgate.yml`.
    if let Some(context) = crate::source::discover::context_root(&inputs[..inputs.len().min(1)])
        && context.starts_with(root)
    {
        folders.push(context);
    }
    folders.push(root.to_path_buf());
    folders.iter().find_map(|folder| held_by(folder))
}

/// Largest config read: a hand-written `tollgate.yml` is a few kilobytes, and globs cost
/// memory (a 10 MB list of globs took 3 GB).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Whether a text is the id of a rule, as the registry knows it. The registry sits above
/// config in the layers, so whoever reads a config passes this in.
pub type IsRuleId = fn(&str) -> bool;

/// Reads and validates a config file. Every problem is returned; what could be read is kept.
pub fn load(path: &Path, display: &str, is_rule: IsRuleId) -> (Config, Vec<FileError>) {
    // Capped, and a FIFO or device is refused without being read: a config is written by hand.
    let text = match crate::source::fsio::read_text(path, MAX_CONFIG_BYTES) {
        Ok(text) => text,
        Err(e) => {
            return (
                Config::default(),
                vec![FileError {
                    path: display.into(),
                    line: None,
                    column: None,
                    message: format!("cannot use this config: {e}"),
                }],
            );
        }
    };
    parse(&text, display, is_rule)
}

pub fn parse(text: &str, display: &str, is_rule: IsRuleId) -> (Config, Vec<FileError>) {
    let mut config = Config {
        source: Some(display.into()),
        ..Config::default()
    };
    let root = match yaml::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let file = SourceFile::new(
                display.into(),
                PathBuf::new(),
                text.into(),
                FileKind::Policy,
                None,
            );
            let at = file.position(e.offset);
            return (
                config,
                vec![FileError {
                    path: display.into(),
                    line: Some(at.line),
                    column: Some(at.column),
                    message: format!("invalid YAML in config: {}", e.message),
                }],
            );
        }
    };
    let file = SourceFile::new(
        display.into(),
        PathBuf::new(),
        text.into(),
        FileKind::Policy,
        None,
    );
    let mut problems = Problems {
        file: &file,
        errors: Vec::new(),
    };
    if root.as_map().is_none() {
        if root.as_str() != Some("") {
            problems.at(&root, "config must be a mapping of settings");
        }
        return (config, problems.errors);
    }
    for entry in root.as_map().unwrap_or_default() {
        let Some(key) = entry.key.as_str() else {
            problems.at(&entry.key, "setting names must be text");
            continue;
        };
        let value = &entry.value;
        match key {
            "rules" => read_rules(value, is_rule, &mut config, &mut problems),
            "max_credential_ttl" => match value.as_str().and_then(duration::seconds) {
                Some(seconds) => {
                    config.max_credential_ttl = seconds;
                    config.max_credential_ttl_text = value.as_str().unwrap_or_default().into();
                }
                None => problems.at(
                    value,
                    "max_credential_ttl must be a duration such as `1h`, `30m` or `900s`",
                ),
            },
            "production_environments" => {
                let mut builder = GlobSetBuilder::new();
                for item in string_list(value, key, &mut problems) {
                    match GlobBuilder::new(&item.0.to_ascii_lowercase())
                        .case_insensitive(true)
                        .build()
                    {
                        Ok(glob) => {
                            builder.add(glob);
                        }
                        Err(e) => problems.at(item.1, &format!("invalid pattern: {e}")),
                    }
                }
                config.production_patterns = builder.build().ok();
            }
            "allowed_unpinned_actions" => {
                config.allowed_unpinned = string_list(value, key, &mut problems)
                    .into_iter()
                    .map(|(s, _)| s.to_ascii_lowercase().trim_end_matches('/').to_string())
                    .collect();
            }
            "ignore" => {
                config.ignore = glob_set(string_list(value, key, &mut problems), &mut problems);
            }
            "environments" => read_environments(value, &mut config, &mut problems),
            "oidc_subject" => match value.as_str() {
                Some(subject) if subject.starts_with("repo:") || subject.contains('{') => {
                    config.oidc_subject = subject.to_string();
                }
                _ => problems.at(value, "oidc_subject must be a subject template such as `repo:{owner}/{repo}:environment:{environment}`"),
            },
            "break_glass" => read_break_glass(value, &mut config, &mut problems),
            other => problems.at(
                &entry.key,
                &format!(
                    "unknown setting `{other}` (known: {})",
                    TOP_LEVEL_KEYS.join(", ")
                ),
            ),
        }
    }
    (config, problems.errors)
}

struct Problems<'a> {
    file: &'a SourceFile,
    errors: Vec<FileError>,
}

impl Problems<'_> {
    fn at(&mut self, node: &Node, message: &str) {
        let at = self.file.position(node.span.start);
        self.errors.push(FileError {
            path: self.file.path.clone(),
            line: Some(at.line),
            column: Some(at.column),
            message: message.into(),
        });
    }
}

fn string_list<'n>(node: &'n Node, key: &str, problems: &mut Problems) -> Vec<(String, &'n Node)> {
    let Some(items) = node.as_seq() else {
        problems.at(node, &format!("{key} must be a list of strings"));
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item.as_str() {
            Some(s) if item.as_map().is_none() => Some((s.to_string(), item)),
            _ => {
                problems.at(item, &format!("{key} entries must be strings"));
                None
            }
        })
        .collect()
}

/// Path globs, each checked; a bad one is a problem at its node and is left out.
fn glob_set(patterns: Vec<(String, &Node)>, problems: &mut Problems) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for (pattern, node) in patterns {
        match Glob::new(&pattern) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(e) => problems.at(node, &format!("invalid glob: {e}")),
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}

fn read_rules(node: &Node, is_rule: IsRuleId, config: &mut Config, problems: &mut Problems) {
    // `rules:` with only comments under it is an empty setting, not a mistake.
    if node.as_str() == Some("") {
        return;
    }
    let Some(entries) = node.as_map() else {
        problems.at(node, "rules must map rule ids to settings");
        return;
    };
    for entry in entries {
        let Some(id) = entry.key.as_str() else {
            continue;
        };
        if !is_rule(id) {
            problems.at(
                &entry.key,
                &format!("unknown rule `{id}` (see `tollgate rules`)"),
            );
            continue;
        }
        let mut setting = RuleSetting::default();
        let value = &entry.value;
        // `rule: false` and `rule: off` are shorthands for disabling.
        if let Some(text) = value.as_str() {
            match text {
                "false" | "off" | "disable" | "disabled" => setting.enabled = Some(false),
                "true" | "on" | "enable" | "enabled" => setting.enabled = Some(true),
                other => match Severity::parse(other) {
                    Some(severity) => setting.severity = Some(severity),
                    None => problems.at(
                        value,
                        "expected `false`, a severity, or a mapping with `enabled` and `severity`",
                    ),
                },
            }
        } else if value.as_map().is_some() {
            for (key, setting_value) in value.entries() {
                match key {
                    "enabled" => match setting_value.as_str() {
                        Some("true") => setting.enabled = Some(true),
                        Some("false") => setting.enabled = Some(false),
                        _ => problems.at(setting_value, "enabled must be true or false"),
                    },
                    "severity" => match setting_value.as_str().and_then(Severity::parse) {
                        Some(severity) => setting.severity = Some(severity),
                        None => {
                            problems.at(setting_value, "severity must be high, medium, low or info")
                        }
                    },
                    "ignore" => {
                        setting.ignore = Some(glob_set(
                            string_list(setting_value, "ignore", problems),
                            problems,
                        ));
                    }
                    other => {
                        let key_node = value.entry(other).map_or(setting_value, |e| &e.key);
                        problems.at(
                            key_node,
                            &format!(
                                "unknown rule setting `{other}` (known: enabled, severity, ignore)"
                            ),
                        );
                    }
                }
            }
        } else {
            problems.at(value, "expected a mapping with `enabled` and `severity`");
        }
        config.rules.insert(id.to_string(), setting);
    }
}

const ENVIRONMENT_KEYS: [&str; 6] = [
    "required_reviewers",
    "min_reviewers",
    "prevent_self_review",
    "admins_can_bypass",
    "deployment_branches",
    "min_wait_timer",
];

fn read_environments(node: &Node, config: &mut Config, problems: &mut Problems) {
    if node.as_str() == Some("") {
        return;
    }
    let Some(entries) = node.as_map() else {
        problems.at(
            node,
            "environments must map environment names or patterns to requirements",
        );
        return;
    };
    for entry in entries {
        let Some(pattern) = entry.key.as_str() else {
            continue;
        };
        let matcher = match GlobBuilder::new(&pattern.to_ascii_lowercase())
            .case_insensitive(true)
            .build()
        {
            Ok(glob) => Some(glob.compile_matcher()),
            Err(e) => {
                problems.at(&entry.key, &format!("invalid environment pattern: {e}"));
                continue;
            }
        };
        let mut requirement = EnvironmentRequirement {
            pattern: pattern.to_string(),
            matcher,
            line: Some(problems.file.position(entry.key.span.start).line),
            ..EnvironmentRequirement::production_default()
        };
        let value = &entry.value;
        if value.as_map().is_none() && value.as_str() != Some("") {
            problems.at(value, "an environment's requirements must be a mapping");
            continue;
        }
        for (key, setting) in value.entries() {
            let bool_of = |problems: &mut Problems| match setting.as_str() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => {
                    problems.at(setting, &format!("{key} must be true or false"));
                    None
                }
            };
            match key {
                "required_reviewers" => {
                    requirement.required_reviewers = string_list(setting, key, problems).into_iter().map(|(s, _)| s).collect();
                }
                "min_reviewers" => match setting.as_str().and_then(|t| t.parse().ok()) {
                    Some(n) => requirement.min_reviewers = n,
                    None => problems.at(setting, "min_reviewers must be a whole number"),
                },
                "prevent_self_review" => {
                    if let Some(b) = bool_of(problems) {
                        requirement.prevent_self_review = b;
                    }
                }
                "admins_can_bypass" => {
                    if let Some(b) = bool_of(problems) {
                        requirement.admins_can_bypass = b;
                    }
                }
                "deployment_branches" => match (setting.as_str(), setting.as_seq()) {
                    (Some("protected"), _) => requirement.deployment_branches = BranchRequirement::Protected,
                    (Some("restricted"), _) => requirement.deployment_branches = BranchRequirement::Restricted,
                    (_, Some(_)) => {
                        requirement.deployment_branches = BranchRequirement::Patterns(
                            string_list(setting, key, problems).into_iter().map(|(s, _)| s).collect(),
                        );
                    }
                    _ => problems.at(setting, "deployment_branches must be `protected`, `restricted` or a list of branch patterns"),
                },
                "min_wait_timer" => match setting.as_str().and_then(|t| t.parse().ok()) {
                    Some(n) => requirement.min_wait_timer = n,
                    None => problems.at(setting, "min_wait_timer must be a number of minutes"),
                },
                other => {
                    let key_node = value.entry(other).map_or(setting, |e| &e.key);
                    problems.at(key_node, &format!("unknown environment requirement `{other}` (known: {})", ENVIRONMENT_KEYS.join(", ")));
                }
            }
        }
        config.environments.push(requirement);
    }
}

fn read_break_glass(node: &Node, config: &mut Config, problems: &mut Problems) {
    let Some(items) = node.as_seq() else {
        problems.at(node, "break_glass must be a list of roles");
        return;
    };
    for item in items {
        let Some(role) = item.get_str("role") else {
            problems.at(item, "a break_glass entry needs a `role`");
            continue;
        };
        let approvers = item
            .get("approvers")
            .map(|a| {
                string_list(a, "approvers", problems)
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect()
            })
            .unwrap_or_default();
        let max_ttl = match item.get("max_ttl") {
            Some(ttl) => match ttl.as_str().and_then(duration::seconds) {
                Some(seconds) => Some(seconds),
                None => {
                    problems.at(ttl, "max_ttl must be a duration such as `1h`");
                    None
                }
            },
            None => None,
        };
        for (key, value) in item.entries() {
            if !matches!(key, "role" | "approvers" | "max_ttl") {
                problems.at(
                    value,
                    &format!(
                        "unknown break_glass setting `{key}` (known: role, approvers, max_ttl)"
                    ),
                );
            }
        }
        config.break_glass.push(BreakGlass {
            role: role.to_string(),
            approvers,
            max_ttl,
            line: problems.file.position(item.span.start).line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry is not config's to read: these tests know no rule.
    fn no_rule(_: &str) -> bool {
        false
    }

    #[test]
    fn the_starter_template_is_valid() {
        let (config, errors) = parse(&starter(&[]), "tollgate.yml", no_rule);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(config.declared_environments().next().is_none());
        let (config, errors) = parse(&starter(&["prod: \"eu\"".into()]), "tollgate.yml", no_rule);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(config.requirement_for("prod: \"eu\"").is_some());
        assert_eq!(config.max_credential_ttl, 3600);
    }

    #[test]
    fn durations_are_read_as_go_reads_them() {
        for (text, seconds) in [("1h", 3600), ("1h30m", 5400), ("900", 900), ("1.5h", 5400)] {
            let (config, errors) = parse(
                &format!("max_credential_ttl: {text}\n"),
                "tollgate.yml",
                no_rule,
            );
            assert!(errors.is_empty(), "{text}: {errors:?}");
            assert_eq!(config.max_credential_ttl, seconds, "{text}");
        }
        let (_, errors) = parse("max_credential_ttl: 12x\n", "tollgate.yml", no_rule);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn production_defaults() {
        let config = Config::default();
        for name in [
            "prod",
            "Production",
            "prd",
            "live",
            "prod-eu",
            "eu_production",
        ] {
            assert!(config.is_production(name), "{name}");
        }
        for name in ["staging", "dev", "product-docs", "preview"] {
            assert!(!config.is_production(name), "{name}");
        }
    }

    #[test]
    fn environment_requirements() {
        let (config, errors) = parse(
            "environments:\n  production:\n    required_reviewers: [platform]\n    deployment_branches: [main]\n  \"prod-*\":\n    min_reviewers: 2\n",
            "tollgate.yml",
            no_rule,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let production = config.requirement_for("production").unwrap();
        assert_eq!(production.required_reviewers, vec!["platform"]);
        assert_eq!(
            production.deployment_branches,
            BranchRequirement::Patterns(vec!["main".into()])
        );
        assert_eq!(config.requirement_for("prod-eu").unwrap().min_reviewers, 2);
        assert!(config.requirement_for("staging").is_none());
        assert_eq!(config.declared_environments().count(), 1);
        let (_, errors) = parse(
            "environments:\n  production:\n    reviewers: 1\n",
            "tollgate.yml",
            no_rule,
        );
        assert_eq!(errors[0].line, Some(3));
    }

    #[test]
    fn config_errors_point_at_lines() {
        let (_, errors) = parse(
            "rules:\n  no-such-rule: false\nmax_credential_ttl: forever\nbogus: 1\n",
            "tollgate.yml",
            no_rule,
        );
        let lines: Vec<_> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(4)]);
    }
}
