//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning.

use serde_json::{Value, json};

use crate::engine::Report;
use crate::finding::{Region, Severity};
use crate::rules;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A repo-relative path as a URI reference: unreserved characters and `/` stay, the rest is
/// percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn physical(region: &Region) -> Value {
    json!({
        "artifactLocation": { "uri": uri(&region.path), "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": region.line,
            "startColumn": region.column,
            "endLine": region.end_line,
            "endColumn": region.end_column,
        }
    })
}

fn root_uri(report: &Report) -> String {
    let path = report.root.to_string_lossy().replace('\\', "/");
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    let mut encoded = uri(&path);
    if !encoded.ends_with('/') {
        encoded.push('/');
    }
    format!("file://{encoded}")
}

pub fn render(report: &Report) -> String {
    let metas = rules::all_meta();
    let rule_entries: Vec<Value> = metas
        .iter()
        .map(|meta| {
            json!({
                "id": meta.id,
                "name": meta.id,
                "shortDescription": { "text": meta.summary },
                "fullDescription": { "text": meta.summary },
                "help": { "text": meta.docs, "markdown": meta.docs },
                "defaultConfiguration": { "level": level(meta.severity) },
                "properties": {
                    "security-severity": meta.severity.security_severity(),
                    "precision": "high",
                    "tags": ["security"],
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = metas.iter().position(|m| m.id == f.rule).unwrap_or(0);
            let related: Vec<Value> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    json!({
                        "id": i + 1,
                        "physicalLocation": physical(&r.region),
                        "message": { "text": if r.message.is_empty() { "related".to_string() } else { r.message.clone() } },
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [ { "physicalLocation": physical(&f.region) } ],
                "partialFingerprints": { "primaryLocationLineHash": f.fingerprint },
                "properties": {
                    "severity": f.severity.as_str(),
                    "security-severity": f.severity.security_severity(),
                },
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut region = serde_json::Map::new();
            if let Some(line) = e.line {
                region.insert("startLine".into(), json!(line));
            }
            if let Some(column) = e.column {
                region.insert("startColumn".into(), json!(column));
            }
            let mut physical =
                json!({ "artifactLocation": { "uri": uri(&e.path), "uriBaseId": "%SRCROOT%" } });
            if !region.is_empty() {
                physical["region"] = Value::Object(region);
            }
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", e.path, e.message) },
                "locations": [ { "physicalLocation": physical } ],
            })
        })
        .collect();
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "tollgate",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/tollgate-dev/tollgate",
                    "rules": rule_entries,
                }
            },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root_uri(report) } },
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
