//! `--format json`: versioned; the field names are a contract.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::Report;
use crate::finding::Region;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<FindingOut<'a>>,
    errors: Vec<ErrorOut<'a>>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    fingerprint: &'a str,
    related: Vec<RelatedOut<'a>>,
}

#[derive(Serialize)]
struct RelatedOut<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    path: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
}

#[derive(Serialize)]
struct Summary<'a> {
    files_scanned: usize,
    findings: usize,
    errors: usize,
    by_severity: BTreeMap<&'a str, usize>,
    by_rule: BTreeMap<&'a str, usize>,
}

fn related<'a>(region: &'a Region, message: &'a str) -> RelatedOut<'a> {
    RelatedOut {
        path: &region.path,
        line: region.line,
        column: region.column,
        end_line: region.end_line,
        end_column: region.end_column,
        message,
    }
}

pub fn render(report: &Report) -> String {
    super::pretty(&document(report))
}

pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    super::write_pretty(&document(report), out)
}

fn document(report: &Report) -> Document<'_> {
    let findings = report
        .findings
        .iter()
        .map(|f| FindingOut {
            rule: f.rule,
            severity: f.severity.as_str(),
            message: &f.message,
            path: &f.region.path,
            line: f.region.line,
            column: f.region.column,
            end_line: f.region.end_line,
            end_column: f.region.end_column,
            fingerprint: &f.fingerprint,
            related: f
                .related
                .iter()
                .map(|r| related(&r.region, &r.message))
                .collect(),
        })
        .collect();
    let errors = report
        .errors
        .iter()
        .map(|e| ErrorOut {
            path: &e.path,
            line: e.line,
            column: e.column,
            message: &e.message,
        })
        .collect();
    let by_severity = super::severity_counts(report)
        .into_iter()
        .map(|(s, n)| (s.as_str(), n))
        .collect();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in &report.findings {
        *by_rule.entry(finding.rule).or_insert(0) += 1;
    }
    Document {
        version: VERSION,
        findings,
        errors,
        summary: Summary {
            files_scanned: report.files_scanned,
            findings: report.findings.len(),
            errors: report.errors.len(),
            by_severity,
            by_rule,
        },
    }
}
