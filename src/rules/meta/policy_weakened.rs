//! A change that weakens the policy it is judged by. Reported by the engine itself when
//! `check --base REF` is given (see `crate::engine`): it compares `tollgate.yml` and the
//! baseline as they are with how they were at `REF`, so a pull request cannot silence its own
//! findings in the same change.

use std::collections::HashSet;

use crate::baseline::Baseline;
use crate::config::{BranchRequirement, Config, EnvironmentRequirement};
use crate::finding::{Draft, Feature, Location, Severity};
use crate::rules;
use crate::source::{Node, Route, SourceFile, Span};

pub struct PolicyWeakened;

crate::rule_meta!(
    PolicyWeakened,
    "policy-weakened",
    Severity::High,
    "a change that loosens tollgate.yml or grows the baseline",
    r#"## What it does
With `tollgate check --changed-only --base REF` (the Action passes the pull request's base),
reads `tollgate.yml` and the baseline as they were at `REF` and reports, at the changed line,
every way the change makes the policy weaker:

- a rule turned off, or its severity lowered (also by removing a raised severity);
- a path added to `ignore`;
- `max_credential_ttl` raised;
- an environment requirement loosened or removed: fewer or other required reviewers, a lower
  `min_reviewers` or `min_wait_timer`, `prevent_self_review` turned off, `admins_can_bypass`
  turned on, looser `deployment_branches`, or a new entry that now matches first;
- an action added to `allowed_unpinned_actions`;
- a role added to `break_glass`, an approver removed from one, or its `max_ttl` raised;
- a fingerprint added to the baseline.

The rule's own settings are read from `REF`, never from the change, and its findings cannot be
suppressed inline or baselined by the change they are about. It is quiet when the policy is
tightened or untouched.

## Why is this bad
tollgate runs on pull requests written by people it does not trust. A pull request that adds
`ignore: ["**/deploy.yml"]`, turns a rule off or appends its own findings' fingerprints to the
baseline hides its findings from the very check that reviews it. A policy change may be right,
but it deserves a reviewer who sees it as one.

## Example
```yaml
# tollgate.yml, changed in the same pull request as a risky workflow
ignore: ["**/deploy.yml"]
rules:
  template-injection: off
```

## Use instead
Change the policy in its own pull request, reviewed by its owners (a `CODEOWNERS` entry for
`tollgate.yml` and the baseline), and keep it apart from the changes it would let through.

## References
- GitHub, CODEOWNERS: https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners
- OpenSSF Scorecard, Branch-Protection and Code-Review checks: https://github.com/ossf/scorecard/blob/main/docs/checks.md
"#
);

/// One version of the policy: the validated config, and its document for pointing at lines.
pub struct PolicyVersion<'a> {
    pub config: &'a Config,
    pub root: Option<&'a Node>,
}

/// The weakenings of `new` compared with `base`, as drafts in the new config file (whose
/// document is `new.root`).
pub fn compare_configs(base: &PolicyVersion, new: &PolicyVersion, file: &SourceFile) -> Vec<Draft> {
    let mut out = Weakenings {
        file,
        root: new.root,
        drafts: Vec::new(),
    };
    rules_weakened(base.config, new.config, &mut out);
    for (key, what) in [
        ("ignore", "ignores"),
        ("allowed_unpinned_actions", "allows unpinned"),
    ] {
        let before: HashSet<&str> = strings(base.root, key)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        for (value, node) in strings(new.root, key) {
            if !before.contains(value) {
                out.at_node(
                    node,
                    &format!("{key}:{value}"),
                    format!("the policy now {what} `{value}`, which it did not at the base"),
                );
            }
        }
    }
    if new.config.max_credential_ttl > base.config.max_credential_ttl {
        out.at_key(
            "max_credential_ttl",
            "max_credential_ttl",
            format!(
                "`max_credential_ttl` raised from {} to {}",
                base.config.max_credential_ttl_text, new.config.max_credential_ttl_text
            ),
        );
    }
    environments_weakened(base.config, new.config, &mut out);
    break_glass_weakened(base.config, new.config, &mut out);
    out.drafts
}

/// The fingerprints the new baseline adds, each reported at its line.
pub fn compare_baselines(base: &Baseline, new: &Baseline, file: &SourceFile) -> Vec<Draft> {
    let added: HashSet<&str> = new.fingerprints().filter(|f| !base.contains(f)).collect();
    if added.is_empty() {
        return Vec::new();
    }
    let mut drafts = Vec::new();
    let mut offset = 0;
    for line in file.text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let Some(rest) = line.trim_start().strip_prefix("\"fingerprint\"") else {
            continue;
        };
        let value = rest
            .trim_start_matches([' ', ':'])
            .trim_start_matches('"')
            .split('"')
            .next()
            .unwrap_or("");
        if !added.contains(value) {
            continue;
        }
        let span = Span::new(start, start + line.trim_end().len());
        drafts.push(META.finding(
            format!("the baseline now hides finding `{value}`, which it did not at the base"),
            span_location(span, &format!("baseline:{value}")),
        ));
    }
    drafts
}

fn span_location(span: Span, identity: &str) -> Location {
    Location {
        path: None,
        route: Route::root(),
        feature: Feature::Span {
            span,
            identity: identity.into(),
        },
        label: None,
    }
}

struct Weakenings<'a> {
    file: &'a SourceFile,
    root: Option<&'a Node>,
    drafts: Vec<Draft>,
}

impl Weakenings<'_> {
    fn at_span(&mut self, span: Span, identity: &str, message: String) {
        // The whole line, so a reviewer sees the entry.
        let position = self.file.position(span.start);
        let start = self.file.line_offset(position.line);
        let end = start + self.file.line_text(position.line).len();
        self.drafts
            .push(META.finding(message, span_location(Span::new(start, end), identity)));
    }

    fn at_node(&mut self, node: &Node, identity: &str, message: String) {
        self.at_span(node.span, identity, message);
    }

    /// At `key.sub` in the new document, else at `key`, else at the top of the file.
    fn at_path(&mut self, keys: &[&str], identity: &str, message: String) {
        let mut span = Span::new(0, 0);
        if let Some(mut node) = self.root {
            for key in keys {
                match node.entry(key) {
                    Some(entry) => {
                        span = entry.key.span;
                        node = &entry.value;
                    }
                    None => break,
                }
            }
        }
        self.at_span(span, identity, message);
    }

    fn at_key(&mut self, key: &str, identity: &str, message: String) {
        self.at_path(&[key], identity, message);
    }
}

/// The string items of a top-level list, with their nodes.
fn strings<'a>(root: Option<&'a Node>, key: &str) -> Vec<(&'a str, &'a Node)> {
    root.and_then(|r| r.get(key))
        .map(|list| {
            list.items()
                .into_iter()
                .filter_map(|item| item.as_str().map(|s| (s, item)))
                .collect()
        })
        .unwrap_or_default()
}

fn rules_weakened(base: &Config, new: &Config, out: &mut Weakenings) {
    for meta in rules::all_meta() {
        let id = meta.id;
        if !base.rule_enabled(id) {
            continue;
        }
        if !new.rule_enabled(id) {
            out.at_path(
                &["rules", id],
                &format!("rules:{id}:off"),
                format!("rule `{id}` turned off"),
            );
            continue;
        }
        let before = base.severity_override(id).unwrap_or(meta.severity);
        let after = new.severity_override(id).unwrap_or(meta.severity);
        if after < before {
            out.at_path(
                &["rules", id],
                &format!("rules:{id}:severity"),
                format!("rule `{id}` lowered from {before} to {after}"),
            );
        }
    }
}

/// Every environment name or pattern either version's requirements mention: each is judged by
/// the requirement that applies to it before and after, so an entry inserted ahead of a
/// stricter glob is caught as well as an entry loosened in place.
fn environments_weakened(base: &Config, new: &Config, out: &mut Weakenings) {
    let mut names: Vec<&str> = Vec::new();
    for requirement in base.environments.iter().chain(&new.environments) {
        if !names.contains(&requirement.pattern.as_str()) {
            names.push(&requirement.pattern);
        }
    }
    for name in names {
        let literal = !name.contains(['*', '?', '[', '{']);
        let find = |config: &Config| -> Option<EnvironmentRequirement> {
            if literal {
                config.requirement_for(name)
            } else {
                config
                    .environments
                    .iter()
                    .find(|r| r.pattern == name)
                    .cloned()
            }
        };
        let Some(before) = find(base) else {
            continue;
        };
        let identity = format!("environments:{name}");
        let Some(after) = find(new) else {
            out.at_key(
                "environments",
                &identity,
                format!("the requirement for environment `{name}` was removed"),
            );
            continue;
        };
        let loosened = loosened_requirement(&before, &after);
        if loosened.is_empty() {
            continue;
        }
        let message = format!(
            "environment `{name}` now requires less: {}",
            loosened.join(", ")
        );
        match after.line {
            Some(line) => {
                let span = Span::new(out.file.line_offset(line), out.file.line_offset(line));
                out.at_span(span, &identity, message);
            }
            None => out.at_key("environments", &identity, message),
        }
    }
}

fn loosened_requirement(
    before: &EnvironmentRequirement,
    after: &EnvironmentRequirement,
) -> Vec<String> {
    let mut loosened = Vec::new();
    for reviewer in &before.required_reviewers {
        if !after.required_reviewers.contains(reviewer) {
            loosened.push(format!("`{reviewer}` no longer a required reviewer"));
        }
    }
    if after.min_reviewers < before.min_reviewers {
        loosened.push(format!(
            "min_reviewers {} → {}",
            before.min_reviewers, after.min_reviewers
        ));
    }
    if before.prevent_self_review && !after.prevent_self_review {
        loosened.push("prevent_self_review turned off".into());
    }
    if !before.admins_can_bypass && after.admins_can_bypass {
        loosened.push("admins_can_bypass turned on".into());
    }
    if after.min_wait_timer < before.min_wait_timer {
        loosened.push(format!(
            "min_wait_timer {} → {}",
            before.min_wait_timer, after.min_wait_timer
        ));
    }
    let branches_looser = match (&before.deployment_branches, &after.deployment_branches) {
        (BranchRequirement::Restricted, _) => false,
        (_, BranchRequirement::Restricted) => true,
        (BranchRequirement::Patterns(old), BranchRequirement::Patterns(new)) => {
            new.iter().any(|p| !old.contains(p))
        }
        (BranchRequirement::Protected, BranchRequirement::Patterns(_)) => true,
        (_, BranchRequirement::Protected) => false,
    };
    if branches_looser {
        loosened.push("deployment_branches loosened".into());
    }
    loosened
}

fn break_glass_weakened(base: &Config, new: &Config, out: &mut Weakenings) {
    for entry in &new.break_glass {
        let identity = format!("break_glass:{}", entry.role);
        let span = Span::new(
            out.file.line_offset(entry.line),
            out.file.line_offset(entry.line),
        );
        let Some(before) = base.break_glass.iter().find(|b| b.role == entry.role) else {
            out.at_span(
                span,
                &identity,
                format!("role `{}` added to break_glass", entry.role),
            );
            continue;
        };
        let mut loosened: Vec<String> = before
            .approvers
            .iter()
            .filter(|a| !entry.approvers.contains(a))
            .map(|a| format!("approver `{a}` removed"))
            .collect();
        let ttl_raised = match (before.max_ttl, entry.max_ttl) {
            (Some(_), None) => true,
            (Some(old), Some(new)) => new > old,
            (None, _) => false,
        };
        if ttl_raised {
            loosened.push("max_ttl raised".into());
        }
        if !loosened.is_empty() {
            out.at_span(
                span,
                &identity,
                format!(
                    "break_glass role `{}` loosened: {}",
                    entry.role,
                    loosened.join(", ")
                ),
            );
        }
    }
}
