//! SARIF 2.1.0 for GitHub code scanning: one writer for `check` findings and `drift` controls.
//!
//! The document is built from the typed structs below, not from a crate such as serde-sarif:
//! tollgate writes a small, fixed subset of SARIF (one run, rules, results with physical
//! locations, notifications), and serde-sarif's generated types (every property of the whole
//! schema, with builders) would be a heavy default dependency for that. Both writers are
//! validated against the SARIF 2.1.0 schema in `../shared/schemas/` by the tests
//! (`tests/outputs.rs`, `tests/drift_github.rs`, `tests/corpus.rs`). Fields are declared in the
//! order they are written.

use serde::Serialize;

use super::Streamed;
use crate::engine::Report;
use crate::finding::{Finding, Region as FindingRegion, Severity};
use crate::rules;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFORMATION_URI: &str = "https://github.com/tollgate-dev/tollgate";

#[derive(Serialize)]
pub struct Log<'a, R: Serialize> {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: [Run<'a, R>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run<'a, R: Serialize> {
    pub tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automation_details: Option<AutomationDetails>,
    pub invocations: [Invocation; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_uri_base_ids: Option<UriBaseIds>,
    pub results: &'a R,
}

#[derive(Serialize)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: &'static str,
    pub semantic_version: &'static str,
    pub information_uri: &'static str,
    pub rules: Vec<Descriptor>,
}

impl Driver {
    pub fn tollgate(rules: Vec<Descriptor>) -> Self {
        Self {
            name: "tollgate",
            version: env!("CARGO_PKG_VERSION"),
            semantic_version: env!("CARGO_PKG_VERSION"),
            information_uri: INFORMATION_URI,
            rules,
        }
    }
}

/// A rule (a `check` rule or a drift control kind).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub id: String,
    pub name: String,
    pub short_description: Text,
    pub full_description: Text,
    pub help: Help,
    pub default_configuration: Configuration,
    pub properties: DescriptorProperties,
}

#[derive(Serialize)]
pub struct Text {
    pub text: String,
}

impl Text {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }
}

#[derive(Serialize)]
pub struct Help {
    pub text: String,
    pub markdown: String,
}

#[derive(Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Serialize)]
pub struct DescriptorProperties {
    #[serde(rename = "security-severity")]
    pub security_severity: &'static str,
    pub precision: &'static str,
    pub tags: Vec<&'static str>,
}

#[derive(Serialize)]
pub struct AutomationDetails {
    pub id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub execution_successful: bool,
    pub tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
pub struct Notification {
    pub level: &'static str,
    pub message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
}

#[derive(Serialize)]
pub struct UriBaseIds {
    #[serde(rename = "%SRCROOT%")]
    pub src_root: Uri,
}

#[derive(Serialize)]
pub struct Uri {
    pub uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    pub rule_index: usize,
    pub level: &'static str,
    pub message: Text,
    pub locations: [Location; 1],
    pub partial_fingerprints: Fingerprints,
    pub properties: ResultProperties,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<RelatedLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fingerprints {
    pub primary_location_line_hash: String,
}

/// A result's properties: a finding's severity, or a drift control's status and subject.
#[derive(Default, Serialize)]
pub struct ResultProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(rename = "security-severity")]
    pub security_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelatedLocation {
    pub id: usize,
    pub physical_location: PhysicalLocation,
    pub message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<usize>,
}

impl Region {
    pub fn span(line: usize, column: usize, end_line: usize, end_column: usize) -> Self {
        Self {
            start_line: Some(line),
            start_column: Some(column),
            end_line: Some(end_line),
            end_column: Some(end_column),
        }
    }
}

/// A SARIF document of one run, written as it is serialised.
pub fn write_log<R: Serialize>(
    run: Run<'_, R>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    super::write_pretty(
        &Log {
            schema: SCHEMA,
            version: "2.1.0",
            runs: [run],
        },
        out,
    )
}

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
pub fn artifact(path: &str) -> ArtifactLocation {
    let outside = path == ".." || path.starts_with("../") || path.starts_with('/');
    if !outside {
        return ArtifactLocation {
            uri: uri(path),
            uri_base_id: Some("%SRCROOT%"),
        };
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
    ArtifactLocation {
        uri: format!("file://{}", uri(&absolute.to_string_lossy())),
        uri_base_id: None,
    }
}

fn physical(region: &FindingRegion) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact(&region.path),
        region: Some(Region::span(
            region.line,
            region.column,
            region.end_line,
            region.end_column,
        )),
    }
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
    let rules: Vec<Descriptor> = rules::all_meta()
        .iter()
        .map(|meta| Descriptor {
            id: meta.id.to_string(),
            name: meta.id.to_string(),
            short_description: Text::new(meta.summary),
            full_description: Text::new(meta.summary),
            help: Help {
                text: meta.docs.to_string(),
                markdown: meta.docs.to_string(),
            },
            default_configuration: Configuration {
                level: level(meta.severity),
            },
            properties: DescriptorProperties {
                security_severity: meta.severity.security_severity(),
                precision: "high",
                tags: vec!["security"],
            },
        })
        .collect();
    let notifications: Vec<Notification> = report
        .errors
        .iter()
        .map(|e| {
            let region = Region {
                start_line: e.line,
                start_column: e.column,
                ..Region::default()
            };
            let has_region = region.start_line.is_some() || region.start_column.is_some();
            Notification {
                level: "error",
                message: Text::new(format!("{}: {}", e.path, e.message)),
                locations: vec![Location {
                    physical_location: PhysicalLocation {
                        artifact_location: artifact(&e.path),
                        region: has_region.then_some(region),
                    },
                }],
            }
        })
        .collect();
    write_log(
        Run {
            tool: Tool {
                driver: Driver::tollgate(rules),
            },
            automation_details: None,
            invocations: [Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: Some(UriBaseIds {
                src_root: Uri {
                    uri: root_uri(report),
                },
            }),
            results: &Streamed {
                items: &report.findings,
                to_value: result,
            },
        },
        out,
    )
}

fn result(f: &Finding) -> serde_json::Value {
    let rule_index = rules::all_meta()
        .iter()
        .position(|m| m.id == f.rule)
        .unwrap_or(0);
    let result = SarifResult {
        rule_id: f.rule.to_string(),
        rule_index,
        level: level(f.severity),
        message: Text::new(f.message.clone()),
        locations: [Location {
            physical_location: physical(&f.region),
        }],
        partial_fingerprints: Fingerprints {
            primary_location_line_hash: f.fingerprint.clone(),
        },
        properties: ResultProperties {
            severity: Some(f.severity.as_str()),
            security_severity: f.severity.security_severity(),
            ..ResultProperties::default()
        },
        related_locations: f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| RelatedLocation {
                id: i + 1,
                physical_location: physical(&r.region),
                message: Text::new(if r.message.is_empty() {
                    "related".to_string()
                } else {
                    r.message.clone()
                }),
            })
            .collect(),
    };
    serde_json::to_value(result).unwrap_or_default()
}

/// `tollgate drift --format sarif`: one result per drifted or unknown control, anchored on the
/// declared line. Controls with nothing declared in the repository anchor on `tollgate.yml`,
/// the policy.
#[cfg(feature = "drift")]
pub fn write_drift(
    report: &crate::drift::DriftReport,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use crate::drift::{CONTROLS, Status};
    let rules: Vec<Descriptor> = CONTROLS
        .iter()
        .map(|(id, title, summary)| {
            let help = format!("{title}: {summary}. Reported by `tollgate drift`, which compares live GitHub and AWS IAM settings with the repository's declared policy.");
            Descriptor {
                id: id.to_string(),
                name: id.to_string(),
                short_description: Text::new(*title),
                full_description: Text::new(*summary),
                help: Help {
                    text: help.clone(),
                    markdown: help,
                },
                default_configuration: Configuration { level: "error" },
                properties: DescriptorProperties {
                    security_severity: "8.0",
                    precision: "high",
                    tags: vec!["security", "drift"],
                },
            }
        })
        .collect();
    let fallback = report
        .controls
        .iter()
        .find_map(|c| c.declared_at.as_ref())
        .filter(|a| a.path.ends_with("tollgate.yml"))
        .map_or_else(|| "tollgate.yml".to_string(), |a| a.path.clone());
    let results: Vec<SarifResult> = report
        .controls
        .iter()
        .filter(|c| c.status != Status::Compliant)
        .map(|c| {
            let (path, region) = match &c.declared_at {
                Some(a) => (
                    a.path.clone(),
                    Region::span(
                        a.line,
                        a.column.max(1),
                        a.end_line.max(a.line),
                        a.end_column.max(1),
                    ),
                ),
                None => (
                    fallback.clone(),
                    Region {
                        start_line: Some(1),
                        ..Region::default()
                    },
                ),
            };
            let detail = match c.status {
                Status::Drifted => c.diff.join("; "),
                _ => c.reason.clone().unwrap_or_default(),
            };
            SarifResult {
                rule_id: c.control.clone(),
                rule_index: CONTROLS
                    .iter()
                    .position(|(id, _, _)| *id == c.control)
                    .unwrap_or(0),
                level: match c.status {
                    Status::Drifted => "error",
                    _ => "note",
                },
                message: Text::new(format!(
                    "{} {}: {} ({}). Declared: {}. Live: {}.",
                    c.target,
                    c.subject,
                    c.status.as_str(),
                    detail,
                    c.declared,
                    if c.live.is_empty() {
                        "not read"
                    } else {
                        &c.live
                    }
                )),
                locations: [Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: uri(&path),
                            uri_base_id: Some("%SRCROOT%"),
                        },
                        region: Some(region),
                    },
                }],
                partial_fingerprints: Fingerprints {
                    primary_location_line_hash: c.fingerprint.clone(),
                },
                properties: ResultProperties {
                    status: Some(c.status.as_str()),
                    target: Some(c.target.clone()),
                    subject: Some(c.subject.clone()),
                    security_severity: if c.status == Status::Drifted {
                        "8.0"
                    } else {
                        "2.0"
                    },
                    ..ResultProperties::default()
                },
                related_locations: Vec::new(),
            }
        })
        .collect();
    let notifications = report
        .skipped
        .iter()
        .map(|s| Notification {
            level: "note",
            message: Text::new(format!("{}: {}", s.target, s.reason)),
            locations: Vec::new(),
        })
        .chain(report.errors.iter().map(|e| Notification {
            level: "error",
            message: Text::new(format!("{}: {}", e.path, e.message)),
            locations: Vec::new(),
        }))
        .collect();
    write_log(
        Run {
            tool: Tool {
                driver: Driver::tollgate(rules),
            },
            automation_details: Some(AutomationDetails {
                id: format!(
                    "tollgate-drift/{}",
                    report
                        .shard
                        .as_deref()
                        .map_or_else(|| "all".into(), |s| s.replace('/', "-of-"))
                ),
            }),
            invocations: [Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: None,
            results: &results,
        },
        out,
    )
}
