//! `--format human`: a code frame per finding, then a summary line.

use std::collections::HashMap;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use crate::engine::Report;
use crate::escape::visible;
use crate::finding::{Finding, Severity};
use crate::source::Span;
use crate::util::words::counted;

/// Longest stretch of source shown for one finding.
const MAX_FRAME_LINES: usize = 12;
/// A frame longer than this (a minified line) shows a window of the primary span's line instead.
const MAX_FRAME_BYTES: usize = 4096;
/// Bytes shown on each side of the primary span in such a window, and of the span itself.
const FRAME_WINDOW: usize = 200;

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::High => Level::ERROR,
        Severity::Medium => Level::WARNING,
        Severity::Low => Level::NOTE,
        Severity::Info => Level::INFO,
    }
}

fn frame(report: &Report, finding: &Finding, secrets: &Secrets, renderer: &Renderer) -> String {
    // Messages, labels and paths carry text from files (job ids, file names): control
    // characters are shown as escapes, so none can move the cursor or start a line of its own.
    let title = format!(
        "{} [{}]: {}",
        finding.severity,
        finding.rule,
        visible(&finding.message)
    );
    let shown_path = visible(&finding.region.path);
    let Some(file) = report.file(&finding.region.path) else {
        return format!(
            "{shown_path}:{}:{}: {title}\n",
            finding.region.line, finding.region.column
        );
    };
    let first = finding
        .related
        .iter()
        .filter(|r| r.region.path == finding.region.path)
        .map(|r| r.region.line)
        .fold(finding.region.line, usize::min);
    let last = finding
        .region
        .end_line
        .min(first + MAX_FRAME_LINES)
        .max(finding.region.line);
    let start_offset = file.line_offset(first);
    let end_offset = file.line_offset(last + 1);
    if end_offset.saturating_sub(start_offset) > MAX_FRAME_BYTES {
        let mut out = long_line_frame(file, finding, secrets, renderer, &title, &shown_path);
        push_related_elsewhere(&mut out, finding);
        return out;
    }
    let source = file.text.get(start_offset..end_offset).unwrap_or("");
    // Any secret found in this file is masked, whichever finding's frame shows its line.
    let masked;
    let source = if secrets.meets(start_offset, end_offset) {
        masked = mask(source, start_offset, secrets);
        masked.as_str()
    } else {
        source
    };
    let clamp = |offset: usize| offset.saturating_sub(start_offset).min(source.len());
    let span = finding.region.span;
    let mut primary = clamp(span.start)..clamp(span.end.max(span.start));
    if primary.is_empty() && primary.end < source.len() {
        primary.end += 1;
    }
    let mut snippet = Snippet::source(source)
        .line_start(first)
        .path(shown_path.as_ref())
        .annotation(AnnotationKind::Primary.span(primary).label(finding.rule));
    let mut labels = Vec::new();
    for related in &finding.related {
        if related.region.path != finding.region.path
            || related.region.span.start < start_offset
            || related.region.span.start >= end_offset
        {
            continue;
        }
        let range =
            clamp(related.region.span.start)..clamp(related.region.span.end.min(end_offset));
        labels.push((range, visible(&related.message)));
    }
    for (range, label) in &labels {
        snippet = snippet.annotation(AnnotationKind::Context.span(range.clone()).label(label));
    }
    let report_elements = [level(finding.severity)
        .primary_title(title.as_str())
        .element(snippet)];
    let mut out = renderer.render(&report_elements).to_string();
    out.push('\n');
    push_related_elsewhere(&mut out, finding);
    out
}

/// The `= related:` lines of the places in other files than the finding's.
fn push_related_elsewhere(out: &mut String, finding: &Finding) {
    for related in finding
        .related
        .iter()
        .filter(|r| r.region.path != finding.region.path)
    {
        out.push_str(&format!(
            "  = related: {}:{}:{}: {}\n",
            visible(&related.region.path),
            related.region.line,
            related.region.column,
            visible(&related.message)
        ));
    }
}

/// The frame of a finding whose lines are too long to show whole (minified files): a window of
/// its own line around the primary span, so that each frame costs the window, not the line.
/// The place is printed by us, as annotate-snippets would count columns from the window.
fn long_line_frame(
    file: &crate::source::SourceFile,
    finding: &Finding,
    secrets: &Secrets,
    renderer: &Renderer,
    title: &str,
    shown_path: &str,
) -> String {
    let text = file.text.as_str();
    let span = finding.region.span;
    let line_start = file.line_offset(finding.region.line);
    let line_end = file.line_offset(finding.region.line + 1);
    let start = span.start.clamp(line_start, line_end);
    let shown_end = span.end.max(start).min(start + FRAME_WINDOW).min(line_end);
    let mut from = start.saturating_sub(FRAME_WINDOW).max(line_start);
    let mut to = (shown_end + FRAME_WINDOW).min(line_end);
    while from > line_start && !text.is_char_boundary(from) {
        from -= 1;
    }
    while to < line_end && !text.is_char_boundary(to) {
        to += 1;
    }
    let window = text.get(from..to).unwrap_or("");
    let masked;
    let window = if secrets.meets(from, to) {
        masked = mask(window, from, secrets);
        masked.as_str()
    } else {
        window
    };
    let before = if from > line_start { "…" } else { "" };
    let after = if to < line_end { "…" } else { "" };
    let source = format!("{before}{}{after}", window.trim_end_matches(['\n', '\r']));
    let mut primary = start - from + before.len()..shown_end - from + before.len();
    if primary.is_empty() && primary.end < source.len() {
        primary.end += 1;
    }
    let snippet = Snippet::source(source.as_str())
        .line_start(finding.region.line)
        .annotation(AnnotationKind::Primary.span(primary).label(finding.rule));
    let report_elements = [level(finding.severity)
        .primary_title(title)
        .element(snippet)];
    let rendered = renderer.render(&report_elements).to_string();
    let width = finding.region.line.to_string().len();
    let place = format!(
        "{:width$}--> {shown_path}:{}:{}",
        "", finding.region.line, finding.region.column
    );
    let mut out = String::with_capacity(rendered.len() + place.len() + 2);
    let mut lines = rendered.lines();
    if let Some(first) = lines.next() {
        out.push_str(first);
        out.push('\n');
    }
    out.push_str(&place);
    out.push('\n');
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `source` (which starts at byte `base` of its file) with every character inside a
/// sensitive span replaced by `*`: a code frame must never print a secret. Line breaks and
/// the indentation that follows them stay, so a masked key block keeps its shape. Byte
/// offsets are kept too (a multi-byte character becomes as many `*`), so annotation spans
/// still line up.
fn mask(source: &str, base: usize, spans: &Secrets) -> String {
    let mut out = String::with_capacity(source.len());
    let mut line_start = true;
    for (index, c) in source.char_indices() {
        let at = base + index;
        let secret = spans.meets(at, at + 1);
        if c == '\n' || c == '\r' {
            line_start = true;
            out.push(c);
        } else if secret && !(line_start && (c == ' ' || c == '\t')) {
            line_start = false;
            out.extend(std::iter::repeat_n('*', c.len_utf8()));
        } else {
            line_start = line_start && (c == ' ' || c == '\t');
            out.push(c);
        }
    }
    out
}

/// The secret spans of a file, sorted by start, with the furthest end reached so far: whether
/// a range meets any of them is a binary search, not a scan of them all.
struct Secrets {
    starts: Vec<usize>,
    furthest_end: Vec<usize>,
}

impl Secrets {
    fn new<'a>(spans: impl Iterator<Item = &'a Span>) -> Self {
        let mut spans: Vec<Span> = spans.copied().collect();
        spans.sort_by_key(|s| s.start);
        let mut furthest = 0;
        let furthest_end = spans
            .iter()
            .map(|s| {
                furthest = furthest.max(s.end);
                furthest
            })
            .collect();
        Secrets {
            starts: spans.iter().map(|s| s.start).collect(),
            furthest_end,
        }
    }

    /// Whether some span `s` has `s.start < end && start < s.end`.
    fn meets(&self, start: usize, end: usize) -> bool {
        let before = self.starts.partition_point(|&s| s < end);
        before > 0
            && self
                .furthest_end
                .get(before - 1)
                .is_some_and(|&e| start < e)
    }
}

pub fn render(report: &Report, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    // Findings of one file mostly share one list of its secrets: each list is read once.
    let mut lists: HashMap<&str, Vec<&Arc<Vec<Span>>>> = HashMap::new();
    for finding in &report.findings {
        if !finding.sensitive.is_empty() {
            let seen = lists.entry(finding.region.path.as_str()).or_default();
            if !seen
                .iter()
                .any(|list| Arc::ptr_eq(list, &finding.sensitive))
            {
                seen.push(&finding.sensitive);
            }
        }
    }
    let secrets: HashMap<&str, Secrets> = lists
        .into_iter()
        .map(|(path, lists)| (path, Secrets::new(lists.into_iter().flat_map(|l| l.iter()))))
        .collect();
    let no_secrets = Secrets::new([].iter());
    let mut out = String::new();
    for finding in &report.findings {
        let in_file = secrets
            .get(finding.region.path.as_str())
            .unwrap_or(&no_secrets);
        out.push_str(&frame(report, finding, in_file, &renderer));
        out.push('\n');
    }
    for error in &report.errors {
        let path = visible(&error.path);
        let place = match (error.line, error.column) {
            (Some(line), Some(column)) => format!("{path}:{line}:{column}"),
            (Some(line), None) => format!("{path}:{line}"),
            _ => path.into_owned(),
        };
        out.push_str(&format!("error: {place}: {}\n", visible(&error.message)));
    }
    let counts = super::severity_counts(report);
    let parts: Vec<String> = counts
        .iter()
        .rev()
        .map(|(severity, n)| format!("{n} {severity}"))
        .collect();
    let breakdown = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    let hidden = if report.baselined > 0 {
        format!(" ({} more in the baseline)", report.baselined)
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{}{breakdown}{hidden} in {} scanned; {}\n",
        counted(report.findings.len(), "finding"),
        counted(report.files_scanned, "file"),
        counted(report.errors.len(), "file error"),
    ));
    out.push_str(&tally(report));
    out
}

/// The per-rule tally after the summary: most frequent rule first, as ruff's `--statistics`.
fn tally(report: &Report) -> String {
    let mut by_rule: HashMap<&str, (usize, Severity)> = HashMap::new();
    for finding in &report.findings {
        let entry = by_rule.entry(finding.rule).or_insert((0, finding.severity));
        entry.0 += 1;
        entry.1 = entry.1.max(finding.severity);
    }
    let mut rows: Vec<_> = by_rule.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let mut out = String::new();
    for (rule, (count, highest)) in rows {
        out.push_str(&format!("{count:>5}  {rule:<28} {}\n", highest.as_str()));
    }
    out
}
