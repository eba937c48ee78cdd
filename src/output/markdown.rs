//! `--format markdown`: a summary for a pull request or a GitHub job summary
//! (`$GITHUB_STEP_SUMMARY`): counts by rule and severity, then the top findings, each linked to
//! its lines when a link base (the repository's blob URL at the commit) is known.

use std::collections::BTreeMap;

use crate::engine::Report;
use crate::finding::{Region, Severity};

/// How many findings the summary lists; the rest are in the annotations and the SARIF file.
pub const TOP: usize = 25;

const SEVERITIES: [Severity; 4] = [
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// Text from a file (messages quote job ids, action names, file names) safe inside a table
/// cell, a list item or a link's brackets: nothing in it can end the cell or the row, or make
/// a link, an image, a heading or HTML.
fn cell(text: &str) -> String {
    crate::escape::markdown_message(text)
}

fn place(region: &Region, link_base: Option<&str>) -> String {
    let shown = format!("{}:{}", region.path, region.line);
    let Some(base) = link_base else {
        return crate::escape::markdown_code(&shown);
    };
    let lines = if region.end_line > region.line {
        format!("L{}-L{}", region.line, region.end_line)
    } else {
        format!("L{}", region.line)
    };
    format!(
        "[{}]({base}{}#{lines})",
        cell(&shown),
        super::sarif::uri(&region.path)
    )
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `link_base` ends with `/` and is prefixed to repository-relative paths, e.g.
/// `https://github.com/acme/app/blob/<sha>/`.
pub fn render(report: &Report, link_base: Option<&str>) -> String {
    let mut out = String::from("## tollgate\n\n");
    let counts = super::severity_counts(report);
    let breakdown: Vec<String> = counts
        .iter()
        .rev()
        .map(|(severity, n)| format!("{n} {severity}"))
        .collect();
    out.push_str(&format!(
        "**{}**{} in {} scanned; {}.\n",
        plural(report.findings.len(), "finding"),
        if breakdown.is_empty() {
            String::new()
        } else {
            format!(" ({})", breakdown.join(", "))
        },
        plural(report.files_scanned, "file"),
        plural(report.errors.len(), "file error"),
    ));

    if !report.findings.is_empty() {
        let mut by_rule: BTreeMap<&str, BTreeMap<Severity, usize>> = BTreeMap::new();
        for finding in &report.findings {
            *by_rule
                .entry(finding.rule)
                .or_default()
                .entry(finding.severity)
                .or_insert(0) += 1;
        }
        out.push_str(
            "\n| rule | high | medium | low | info | total |\n|---|---:|---:|---:|---:|---:|\n",
        );
        for (rule, severities) in &by_rule {
            let columns: Vec<String> = SEVERITIES
                .iter()
                .map(|s| severities.get(s).map_or(String::new(), usize::to_string))
                .collect();
            out.push_str(&format!(
                "| `{rule}` | {} | {} |\n",
                columns.join(" | "),
                severities.values().sum::<usize>()
            ));
        }
        let totals: Vec<String> = SEVERITIES
            .iter()
            .map(|s| counts.get(s).copied().unwrap_or(0).to_string())
            .collect();
        out.push_str(&format!(
            "| **total** | {} | {} |\n",
            totals.join(" | "),
            report.findings.len()
        ));

        // Highest severity first; within one, the report's order (path, line).
        let mut top: Vec<_> = report.findings.iter().collect();
        top.sort_by_key(|f| std::cmp::Reverse(f.severity));
        out.push_str(
            "\n### Top findings\n\n| severity | rule | where | message |\n|---|---|---|---|\n",
        );
        for finding in top.iter().take(TOP) {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                finding.severity,
                finding.rule,
                place(&finding.region, link_base),
                cell(&finding.message)
            ));
        }
        if top.len() > TOP {
            out.push_str(&format!(
                "\n…and {} more, in the annotations and the SARIF report.\n",
                top.len() - TOP
            ));
        }
    }

    if !report.errors.is_empty() {
        out.push_str("\n### Files that could not be checked\n\n");
        for error in &report.errors {
            let shown = match error.line {
                Some(line) => place(
                    &Region {
                        path: error.path.clone(),
                        line,
                        column: error.column.unwrap_or(1),
                        end_line: line,
                        end_column: error.column.unwrap_or(1),
                        span: crate::source::Span::new(0, 0),
                    },
                    link_base,
                ),
                None => crate::escape::markdown_code(&error.path),
            };
            out.push_str(&format!("- {shown}: {}\n", cell(&error.message)));
        }
    }
    out
}

/// GitHub's limit on one step's job summary (`$GITHUB_STEP_SUMMARY`): 1 MiB.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// What the drift summary keeps free below the limit for its closing pointer.
#[cfg(feature = "drift")]
const TRAILER_ROOM: usize = 8 * 1024;

/// `tollgate drift --format markdown`: the summary table, then the drifted controls, then the
/// unknown ones, then the compliant ones, each grouped by target and subject. Whatever the
/// organisation's size the text stays under [`STEP_SUMMARY_LIMIT`]: when the next subject
/// would not fit, the rest is left out and counted, with a pointer to `full_report` (the page
/// of the run whose artifacts keep the JSON or HTML report).
#[cfg(feature = "drift")]
pub fn drift(report: &crate::drift::DriftReport, full_report: Option<&str>) -> String {
    drift_within(report, full_report, STEP_SUMMARY_LIMIT)
}

#[cfg(feature = "drift")]
pub fn drift_within(
    report: &crate::drift::DriftReport,
    full_report: Option<&str>,
    limit: usize,
) -> String {
    use std::fmt::Write as _;

    use crate::drift::Status;

    let budget = limit.saturating_sub(TRAILER_ROOM);
    let mut out = String::new();
    out.push_str("# tollgate drift report\n\n");
    let _ = write!(
        out,
        "The live settings of GitHub and AWS IAM, compared with what this repository declares. Generated by tollgate {} on {}",
        env!("CARGO_PKG_VERSION"),
        super::drift::today()
    );
    if let Some(shard) = &report.shard {
        let _ = write!(out, ", shard {}", cell(shard));
    }
    out.push_str(".\n\nEach control is **compliant** (live matches the declaration), **drifted** (it does not: the diff says how) or **unknown** (it could not be read: the reason says why). Unknown is never counted as compliant.\n\n");
    if let Some(requests) = report.github_requests {
        let _ = write!(out, "GitHub requests used: {requests}");
        if let Some(left) = report.github_rate_remaining {
            let _ = write!(out, "; rate-limit budget left: {left}");
        }
        if let Some(graphql) = report.github_graphql_requests.filter(|n| *n > 0) {
            let _ = write!(out, "; of them GraphQL queries: {graphql}");
            if let Some(left) = report.github_graphql_remaining {
                let _ = write!(out, " (GraphQL budget left: {left} points)");
            }
        }
        if let Some(free) = report.github_not_modified.filter(|n| *n > 0) {
            let _ = write!(
                out,
                "; answered unchanged from --cache (not counted by GitHub): {free}"
            );
        }
        out.push_str(".\n\n");
    }
    out.push_str(
        "## Summary\n\n| control | compliant | drifted | unknown |\n|---|---:|---:|---:|\n",
    );
    let totals_row = |label: &str, counts: [usize; 3]| {
        format!(
            "| {label} | {} | {} | {} |\n",
            counts[0], counts[1], counts[2]
        )
    };
    for (i, (title, counts)) in super::drift::summary_rows(report).into_iter().enumerate() {
        let label = if i == 0 {
            format!("**{title}**")
        } else {
            title.to_string()
        };
        out.push_str(&totals_row(&label, counts));
    }
    out.push('\n');

    // Everything below is optional: it is written while it fits.
    let mut left_out = [0usize; 3];
    let mut full = false;
    let section = |out: &mut String, heading: &str, lines: Vec<String>, left: &mut usize| {
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(out, "## {heading}\n");
        for line in lines {
            if out.len() + line.len() + 1 > budget {
                *left += 1;
                continue;
            }
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    };
    let mut skipped_left = 0;
    section(
        &mut out,
        "Live checks that stepped aside",
        report
            .skipped
            .iter()
            .map(|s| {
                format!(
                    "- {}: {}",
                    crate::escape::markdown_code(&s.target),
                    cell(&s.reason)
                )
            })
            .collect(),
        &mut skipped_left,
    );
    section(
        &mut out,
        "Errors reading the declared state",
        report
            .errors
            .iter()
            .map(|e| {
                let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                format!(
                    "- {}: {}",
                    crate::escape::markdown_code(&format!("{}{line}", e.path)),
                    cell(&e.message)
                )
            })
            .collect(),
        &mut skipped_left,
    );

    for (rank, (status, heading)) in [
        (Status::Drifted, "Drifted controls"),
        (Status::Unknown, "Unknown controls"),
        (Status::Compliant, "Compliant controls"),
    ]
    .into_iter()
    .enumerate()
    {
        let blocks = drift_blocks(report, status);
        if blocks.is_empty() {
            continue;
        }
        if full {
            left_out[rank] += blocks.iter().map(|(_, n, _)| n).sum::<usize>();
            continue;
        }
        let _ = writeln!(out, "## {heading}\n");
        let mut target_shown: Option<&str> = None;
        for (target, count, block) in blocks {
            let heading = if target_shown != Some(target) {
                format!("### {}\n\n", crate::escape::markdown_code(target))
            } else {
                String::new()
            };
            if full || out.len() + heading.len() + block.len() > budget {
                full = true;
                left_out[rank] += count;
                continue;
            }
            target_shown = Some(target);
            out.push_str(&heading);
            out.push_str(&block);
        }
    }
    if report.controls.is_empty() {
        out.push_str("No live setting was compared.\n");
    }
    let omitted: usize = left_out.iter().sum();
    if omitted > 0 || skipped_left > 0 {
        let _ = writeln!(
            out,
            "## Not shown\n\nThis summary stops below GitHub's 1 MiB job-summary limit. Left out: {} drifted, {} unknown and {} compliant control(s){}.\n",
            left_out[0],
            left_out[1],
            left_out[2],
            if skipped_left > 0 {
                format!(", and {skipped_left} skipped check(s) or error(s)")
            } else {
                String::new()
            }
        );
        match full_report {
            // A link only to a plain https URL: nothing in it can end the link or add markup.
            Some(url)
                if url.starts_with("https://")
                    && !url.contains(|c: char| c.is_whitespace() || "<>()[]`\\\"'".contains(c)) =>
            {
                let _ = writeln!(
                    out,
                    "The full report, every control: [the artifacts of this run]({url})."
                );
            }
            Some(place) => {
                let _ = writeln!(out, "The full report, every control: {}.", cell(place));
            }
            None => out.push_str("The full report, every control: run `tollgate drift --format json` (or `html`) and keep its output as the run's artifact.\n"),
        }
    }
    out
}

/// The controls of one status as Markdown blocks, one per subject: (target, number of
/// controls, text), in report order.
#[cfg(feature = "drift")]
fn drift_blocks(
    report: &crate::drift::DriftReport,
    status: crate::drift::Status,
) -> Vec<(&str, usize, String)> {
    use std::fmt::Write as _;

    use crate::drift::{Control, Status, control_title};

    let mut subjects: Vec<(&str, &str, Vec<&Control>)> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str), usize> =
        std::collections::HashMap::new();
    for control in report.controls.iter().filter(|c| c.status == status) {
        let key = (control.target.as_str(), control.subject.as_str());
        match index.get(&key) {
            Some(&i) => subjects[i].2.push(control),
            None => {
                index.insert(key, subjects.len());
                subjects.push((key.0, key.1, vec![control]));
            }
        }
    }
    subjects
        .into_iter()
        .map(|(target, subject, controls)| {
            let mut block = String::new();
            let _ = writeln!(block, "#### {}\n", cell(subject));
            block.push_str("| control | status | declared | live |\n|---|---|---|---|\n");
            for control in &controls {
                let link = match &control.declared_at {
                    Some(a) => format!(
                        " ([{}:{}]({}#L{}))",
                        cell(&a.path),
                        a.line,
                        super::sarif::uri(&a.path),
                        a.line
                    ),
                    None => String::new(),
                };
                let _ = writeln!(
                    block,
                    "| {} | {} | {}{link} | {} |",
                    control_title(&control.control),
                    match control.status {
                        Status::Compliant => "✅ compliant",
                        Status::Drifted => "❌ drifted",
                        Status::Unknown => "❔ unknown",
                    },
                    cell(&control.declared),
                    cell(if control.live.is_empty() {
                        "—"
                    } else {
                        &control.live
                    }),
                );
            }
            block.push('\n');
            for control in &controls {
                let title = control_title(&control.control);
                match (control.status, &control.reason) {
                    (Status::Drifted, _) => {
                        let _ = writeln!(block, "**{title}: drift**\n");
                        for line in &control.diff {
                            let _ = writeln!(block, "- {}", cell(line));
                        }
                        block.push('\n');
                    }
                    (Status::Unknown, Some(reason)) => {
                        let _ = writeln!(block, "**{title}: unknown** — {}\n", cell(reason));
                    }
                    (Status::Compliant, Some(reason)) => {
                        let _ = writeln!(block, "**{title}: note** — {}\n", cell(reason));
                    }
                    _ => {}
                }
            }
            (target, controls.len(), block)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a | b\nc"), "a \\| b\\\\nc");
        assert_eq!(cell("x[1]"), "x\\[1\\]");
    }
}
