//! `--format json`: versioned; the field names are a contract.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::Streamed;
use crate::engine::Report;
use crate::finding::Finding;

pub const VERSION: u32 = 1;

fn finding(f: &Finding) -> Value {
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
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Streamed<'a, Finding>,
    errors: Vec<Value>,
    summary: Value,
}

pub fn render(report: &Report) -> String {
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
    super::pretty(&Document {
        version: VERSION,
        findings: Streamed {
            items: &report.findings,
            to_value: finding,
        },
        errors,
        summary: json!({
            "files_scanned": report.files_scanned,
            "findings": report.findings.len(),
            "errors": report.errors.len(),
            "by_severity": by_severity,
            "by_rule": by_rule,
        }),
    })
}
