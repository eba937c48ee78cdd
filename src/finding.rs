//! Findings: what rules report (drafts with routes) and what outputs print (resolved spans).

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::source::{Route, SourceFile, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }

    /// GitHub code scanning ranks alerts by this CVSS-like score.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "1.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of the node at a route is meant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// The whole value.
    Value,
    /// The key that leads to the value (e.g. to point at `permissions:` itself).
    Key,
    /// A fragment of the value's source text, such as one `${{ … }}` inside a script.
    Fragment(String),
    /// A byte span of the raw text, for rules that read text rather than a document tree
    /// (secret detection). `identity` names the place stably for fingerprints, since byte
    /// offsets move whenever an unrelated line above is edited.
    Span { span: Span, identity: String },
}

/// A place named symbolically; the source layer turns it into a span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// Another file's display path, when the place is not in the file being checked.
    pub path: Option<String>,
    pub route: Route,
    pub feature: Feature,
    pub label: Option<String>,
}

impl Location {
    pub fn value(route: Route) -> Self {
        Self {
            path: None,
            route,
            feature: Feature::Value,
            label: None,
        }
    }

    pub fn key(route: Route) -> Self {
        Self {
            feature: Feature::Key,
            ..Self::value(route)
        }
    }

    pub fn fragment(route: Route, text: impl Into<String>) -> Self {
        Self {
            feature: Feature::Fragment(text.into()),
            ..Self::value(route)
        }
    }

    /// A byte span of the file's raw text; `identity` is what the fingerprint hashes instead
    /// of the offsets (e.g. the kind and hash of the matched value and its occurrence).
    pub fn span(span: Span, identity: impl Into<String>) -> Self {
        Self {
            feature: Feature::Span {
                span,
                identity: identity.into(),
            },
            ..Self::value(Route::root())
        }
    }

    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn in_file(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

/// A finding as a rule reports it: routes, no line numbers.
#[derive(Clone, Debug)]
pub struct Draft {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub primary: Location,
    pub related: Vec<Location>,
    /// Byte spans of secret material that no output may show (masked in code frames). Shared:
    /// every finding of a file carries all of that file's secrets.
    pub sensitive: Arc<Vec<Span>>,
}

impl Draft {
    /// Marks a span of the source as secret: renderers mask it.
    pub fn sensitive(mut self, span: Span) -> Self {
        Arc::make_mut(&mut self.sensitive).push(span);
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn related(mut self, location: Location) -> Self {
        self.related.push(location);
        self
    }
}

/// A resolved place in a file, 1-based lines and columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Related {
    #[serde(flatten)]
    pub region: Region,
    pub message: String,
}

/// A finding ready for output.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub region: Region,
    pub related: Vec<Related>,
    pub fingerprint: String,
    /// Byte spans of secret material in the file; code frames mask them.
    pub sensitive: Arc<Vec<Span>>,
}

/// Turns a route into a span in `file`. A route that no longer resolves falls back to the
/// deepest node that does, so a finding is never lost for want of a location.
pub fn resolve_span(file: &SourceFile, location: &Location) -> Span {
    if let Feature::Span { span, .. } = &location.feature {
        let end = span.end.min(file.text.len());
        return Span::new(span.start.min(end), end);
    }
    let Some(root) = &file.root else {
        return Span::new(0, 0);
    };
    let mut route = location.route.clone();
    let node = loop {
        if let Some(node) = root.at(&route) {
            break node;
        }
        if route.0.pop().is_none() {
            break root;
        }
    };
    let exact = route == location.route;
    match &location.feature {
        Feature::Value | Feature::Span { .. } => node.span,
        Feature::Key if exact => root.key_span(&route).unwrap_or(node.span),
        Feature::Key => node.span,
        Feature::Fragment(text) => match file.find_fragment(node.span, text) {
            Some(at) => Span::new(at, at + text.len()),
            None => node.span,
        },
    }
}

pub fn region(file: &SourceFile, span: Span) -> Region {
    let start = file.position(span.start);
    // An end on the first column of the next line reads better as the end of this one.
    let mut end_offset = span.end.max(span.start);
    while end_offset > span.start && file.text.as_bytes().get(end_offset - 1) == Some(&b'\n') {
        end_offset -= 1;
    }
    let end = file.position(end_offset);
    Region {
        path: file.path.clone(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        span,
    }
}

/// The one fingerprint scheme of every report (`check` findings, `drift` controls): the
/// first 8 bytes of SHA-256 over the parts, each followed by a NUL except the last, in hex.
pub fn digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update([0]);
        }
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fingerprint that names the finding by rule, file, route and feature, never by line,
/// so it survives edits elsewhere in the file.
pub fn fingerprint(rule: &str, path: &str, location: &Location, message: &str) -> String {
    let feature = match &location.feature {
        Feature::Fragment(text) => text.as_str(),
        Feature::Span { identity, .. } => identity.as_str(),
        Feature::Value | Feature::Key => "",
    };
    digest(&[rule, path, &location.route.to_string(), feature, message])
}
