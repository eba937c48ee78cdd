//! `--format json`: versioned; the field names are a contract.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::engine::Report;

pub const VERSION: u32 = 1;

pub fn render(report: &Report) -> String {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule,
                "severity": f.severity.as_str(),
                "message": f.message,
                "path": f.region.path,
                "line": f.region.line,
                "column": f.region.column,
                "end_line": f.region.end_line,
                "end_column": f.region.end_column,
                "fingerprint": f.fingerprint,
                "related": f.related.iter().map(|r| json!({
                    "path": r.region.path,
                    "line": r.region.line,
                    "column": r.region.column,
                    "end_line": r.region.end_line,
                    "end_column": r.region.end_column,
                    "message": r.message,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let errors: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "path": e.path,
                "line": e.line,
                "column": e.column,
                "message": e.message,
            })
        })
        .collect();
    let by_severity: BTreeMap<&str, usize> = super::severity_counts(report)
        .into_iter()
        .map(|(s, n)| (s.as_str(), n))
        .collect();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in &report.findings {
        *by_rule.entry(finding.rule).or_insert(0) += 1;
    }
    let document = json!({
        "version": VERSION,
        "findings": findings,
        "errors": errors,
        "summary": {
            "files_scanned": report.files_scanned,
            "findings": report.findings.len(),
            "errors": report.errors.len(),
            "by_severity": by_severity,
            "by_rule": by_rule,
        },
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
