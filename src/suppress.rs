//! Inline suppression: `# tollgate: ignore[rule-id, …] reason` on the finding's line or the
//! line above. In a workflow, one on a job's key line (or the line above it) covers every
//! finding of that job, and one in the comment block that opens the file covers the whole
//! workflow. A suppression must say why; one without a reason suppresses nothing and is
//! itself reported, so silenced findings stay reviewable.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::finding::{self, Finding, Location};
use crate::model::Workflow;
use crate::rules::meta::suppression_without_reason;
use crate::source::{Route, SourceFile, Span};

static SUPPRESSION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:#|//)\s*tollgate:\s*ignore\[([A-Za-z0-9_,\s-]*)\]\s*(.*)$").ok()
});

pub struct Suppression {
    pub rules: Vec<String>,
    pub reason: String,
    /// Byte span of the comment, for reporting a suppression without a reason.
    pub span: Span,
}

#[derive(Default)]
pub struct Suppressions {
    by_line: HashMap<usize, Suppression>,
    /// Lines (first, last) a suppression covers beyond its own line and the next: a job's,
    /// or the whole workflow's; with the line of the comment.
    scopes: Vec<(usize, usize, usize)>,
    /// Other scanners' allow-markers, by line: each suppresses `hardcoded-secret` on its own
    /// line, with the marker as the reason (a migration aid, see the rule's docs).
    markers: HashMap<usize, &'static str>,
}

/// Allow-markers of gitleaks, detect-secrets and trufflehog, honoured for `hardcoded-secret`.
pub const SECRET_MARKERS: [&str; 3] = [
    "gitleaks:allow",
    "pragma: allowlist secret",
    "trufflehog:ignore",
];

/// The rule other scanners' allow-markers apply to.
const MARKED_RULE: &str = "hardcoded-secret";

pub fn scan(file: &SourceFile) -> Suppressions {
    let mut suppressions = Suppressions::default();
    if SECRET_MARKERS.iter().any(|m| file.text.contains(m)) {
        for (index, line) in file.text.lines().enumerate() {
            if let Some(marker) = SECRET_MARKERS.iter().find(|m| line.contains(*m)) {
                suppressions.markers.insert(index + 1, marker);
            }
        }
    }
    // Cheap test first: almost no file has any.
    if !file.text.contains("tollgate:") {
        return suppressions;
    }
    let Some(pattern) = SUPPRESSION.as_ref() else {
        return suppressions;
    };
    let mut offset = 0;
    for (index, line) in file.text.split_inclusive('\n').enumerate() {
        // Without its line break: `$` is the end of the haystack, and `(.*)` cannot cross a
        // `\n`, so a suppression that gives a reason would otherwise never match.
        if let Some(captures) = pattern.captures(line.trim_end_matches(['\n', '\r'])) {
            let whole = captures.get(0).map_or(0..0, |m| m.range());
            let rules = captures
                .get(1)
                .map_or("", |m| m.as_str())
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            let reason = captures
                .get(2)
                .map_or("", |m| m.as_str())
                .trim()
                .to_string();
            let span = Span::new(
                offset + whole.start,
                offset + whole.end.min(line.trim_end().len()),
            );
            suppressions.by_line.insert(
                index + 1,
                Suppression {
                    rules,
                    reason,
                    span,
                },
            );
        }
        offset += line.len();
    }
    if file.kind == crate::source::FileKind::Workflow && !suppressions.by_line.is_empty() {
        suppressions.scopes = scopes(file, &suppressions.by_line);
    }
    suppressions
}

/// The job and workflow scopes of a workflow's suppressions.
fn scopes(file: &SourceFile, by_line: &HashMap<usize, Suppression>) -> Vec<(usize, usize, usize)> {
    let mut scopes = Vec::new();
    let last_line = file.text.lines().count().max(1);
    // The comment block that opens the file (blank lines and a `---` allowed in it).
    for (index, line) in file.text.lines().enumerate() {
        let trimmed = line.trim();
        if !(trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---") {
            break;
        }
        if by_line.contains_key(&(index + 1)) {
            scopes.push((1, last_line, index + 1));
        }
    }
    let Some(workflow) = Workflow::new(file) else {
        return scopes;
    };
    for job in workflow.jobs() {
        let Some(key) = workflow.root.key_span(&job.route) else {
            continue;
        };
        let first = file.position(key.start).line;
        // The span's end is exclusive: its last byte is the job's last line.
        let last = file
            .position(job.node.span.end.max(key.end).saturating_sub(1))
            .line;
        for line in [first, first.saturating_sub(1)] {
            if line > 0 && by_line.contains_key(&line) {
                scopes.push((first, last, line));
            }
        }
    }
    scopes
}

impl Suppressions {
    fn applying(&self, line: usize, rule: &str) -> Option<&Suppression> {
        let names = |s: &&Suppression| s.rules.iter().any(|r| r == rule || r == "all");
        [line, line.saturating_sub(1)]
            .iter()
            .filter_map(|l| self.by_line.get(l))
            .find(names)
            .or_else(|| self.scoped(line, rule))
    }

    /// A job or workflow suppression naming `rule` whose scope holds `line`.
    fn scoped(&self, line: usize, rule: &str) -> Option<&Suppression> {
        self.scopes
            .iter()
            .filter(|(first, last, _)| (*first..=*last).contains(&line))
            .filter_map(|(_, _, at)| self.by_line.get(at))
            .find(|s| s.rules.iter().any(|r| r == rule || r == "all"))
    }

    pub fn suppresses(&self, finding: &Finding) -> bool {
        self.reason(finding).is_some()
    }

    /// Why a finding is suppressed: the reason given, or the allow-marker on its line.
    pub fn reason(&self, finding: &Finding) -> Option<&str> {
        if let Some(s) = self
            .applying(finding.region.line, finding.rule)
            .filter(|s| !s.reason.is_empty())
        {
            return Some(&s.reason);
        }
        (finding.rule == MARKED_RULE)
            .then(|| self.markers.get(&finding.region.line).copied())
            .flatten()
    }

    /// Whether a job or workflow suppression in file `path` covers a finding that lies in
    /// another file but concerns a job there (a related location in the scope): a trust
    /// policy reached from a suppressed job.
    pub fn suppresses_related(&self, finding: &Finding, path: &str) -> bool {
        finding
            .related
            .iter()
            .filter(|r| r.region.path == path)
            .any(|r| {
                self.scoped(r.region.line, finding.rule)
                    .is_some_and(|s| !s.reason.is_empty())
            })
    }

    /// One finding per suppression comment that gives no reason.
    pub fn without_reason(&self, file: &SourceFile) -> Vec<Finding> {
        let mut lines: Vec<_> = self
            .by_line
            .iter()
            .filter(|(_, s)| s.reason.is_empty())
            .collect();
        lines.sort_by_key(|(line, _)| **line);
        lines
            .into_iter()
            .map(|(line, suppression)| {
                let meta = &suppression_without_reason::META;
                let message = format!(
                    "suppression of {} gives no reason, so it suppresses nothing",
                    suppression.rules.join(", ")
                );
                let location = Location::value(Route(vec![crate::source::Step::Key(format!(
                    "line {line}"
                ))]));
                Finding {
                    rule: meta.id,
                    severity: meta.severity,
                    fingerprint: finding::fingerprint(meta.id, &file.path, &location, &message),
                    message,
                    region: finding::region(file, suppression.span),
                    related: Vec::new(),
                    sensitive: Default::default(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    #[test]
    fn reasons_are_read_on_lines_that_end_in_a_line_break() {
        let text = "# tollgate: ignore[unpinned-action] vendored, pinned upstream\r\nx: 1 # tollgate: ignore[long-ttl]\n";
        let file = SourceFile::new(
            "a.yml".into(),
            std::path::PathBuf::new(),
            text.into(),
            FileKind::Other,
            None,
        );
        let found = scan(&file);
        assert_eq!(found.by_line[&1].reason, "vendored, pinned upstream");
        assert_eq!(found.by_line[&1].rules, ["unpinned-action"]);
        assert_eq!(found.by_line[&2].reason, "");
    }

    fn file(text: &str) -> SourceFile {
        SourceFile::new(
            "a.yml".into(),
            "a.yml".into(),
            text.into(),
            FileKind::Other,
            None,
        )
    }

    #[test]
    fn a_reason_on_a_line_that_ends_in_a_line_break() {
        let text = "x: 1  # tollgate: ignore[some-rule] accepted risk\ny: 2\n";
        let suppressions = scan(&file(text));
        let suppression = suppressions.applying(2, "some-rule").unwrap();
        assert_eq!(suppression.reason, "accepted risk");
        assert!(suppressions.applying(3, "some-rule").is_none());
        assert!(suppressions.without_reason(&file(text)).is_empty());
    }
}
