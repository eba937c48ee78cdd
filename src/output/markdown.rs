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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a | b\nc"), "a \\| b\\\\nc");
        assert_eq!(cell("x[1]"), "x\\[1\\]");
    }
}
