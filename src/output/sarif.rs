//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning.

use serde::Serialize;
use serde_json::{Value, json};

use super::Streamed;
use crate::engine::Report;
use crate::finding::{Finding, Region, Severity};
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

/// Where a file is: relative to `%SRCROOT%` when it lies inside the scan root; a file named
/// outside it (shown as `../…`) gets an absolute `file://` uri, so no uri climbs out of the
/// root.
fn artifact(path: &str) -> Value {
    let outside = path == ".." || path.starts_with("../") || path.starts_with('/');
    if !outside {
        return json!({ "uri": uri(path), "uriBaseId": "%SRCROOT%" });
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut absolute = std::path::PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            std::path::Component::ParentDir => {
                absolute.pop();
            }
            std::path::Component::CurDir => {}
            other => absolute.push(other.as_os_str()),
        }
    }
    json!({ "uri": format!("file://{}", uri(&absolute.to_string_lossy())) })
}

fn physical(region: &Region) -> Value {
    json!({
        "artifactLocation": artifact(&region.path),
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
    super::text_of(|out| write(report, out))
}

pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
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
            let mut physical = json!({ "artifactLocation": artifact(&e.path) });
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
    super::write_pretty(
        &Sarif {
            schema: "https://json.schemastore.org/sarif-2.1.0.json",
            version: "2.1.0",
            runs: [Run {
                tool: json!({
                    "driver": {
                        "name": "tollgate",
                        "version": env!("CARGO_PKG_VERSION"),
                        "semanticVersion": env!("CARGO_PKG_VERSION"),
                        "informationUri": "https://github.com/tollgate-dev/tollgate",
                        "rules": rule_entries,
                    }
                }),
                invocations: json!([{
                    "executionSuccessful": report.errors.is_empty(),
                    "toolExecutionNotifications": notifications,
                }]),
                original_uri_base_ids: json!({ "%SRCROOT%": { "uri": root_uri(report) } }),
                results: Streamed {
                    items: &report.findings,
                    to_value: result,
                },
            }],
        },
        out,
    )
}

#[derive(Serialize)]
struct Sarif<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    invocations: Value,
    original_uri_base_ids: Value,
    results: Streamed<'a, Finding>,
}

fn result(f: &Finding) -> Value {
    let rule_index = rules::all_meta()
        .iter()
        .position(|m| m.id == f.rule)
        .unwrap_or(0);
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
}
