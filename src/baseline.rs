//! Baselines: the findings a team has accepted as known debt, by fingerprint.
//!
//! `tollgate baseline` writes one; `tollgate check --baseline FILE` hides the findings it
//! lists, so a rule can be adopted on an old repository and a pre-commit hook only speaks up
//! about new findings. A baseline holds fingerprints, rule ids and paths: never a message or
//! a line of source. A secret enters a fingerprint only through a hash of a hash (see
//! `finding::fingerprint`), so the file is safe to commit.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

pub const VERSION: u32 = 1;

/// Far more than the fingerprints of any real repository's findings.
pub const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct Document {
    version: u32,
    #[serde(default)]
    generated_by: String,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    path: String,
}

/// Why a baseline cannot be used; `Display` is the wording users see.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("baseline file not found")]
    NotFound,
    #[error("cannot use this baseline: {0}")]
    Unreadable(crate::source::fsio::ReadError),
    #[error("invalid baseline: {0}")]
    Invalid(serde_json::Error),
    #[error("baseline version {0} is not supported (expected {VERSION})")]
    Version(u32),
}

/// The fingerprints of a baseline file.
#[derive(Debug, Default)]
pub struct Baseline {
    fingerprints: HashSet<String>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        if !path.exists() {
            return Err(BaselineError::NotFound);
        }
        // A FIFO or device is refused, not waited on or read without end.
        let text = crate::source::fsio::read_text(path, MAX_BASELINE_BYTES)
            .map_err(BaselineError::Unreadable)?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, BaselineError> {
        let document: Document = serde_json::from_str(text).map_err(BaselineError::Invalid)?;
        if document.version != VERSION {
            return Err(BaselineError::Version(document.version));
        }
        Ok(Self {
            fingerprints: document
                .findings
                .into_iter()
                .map(|entry| entry.fingerprint)
                .collect(),
        })
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    /// Every fingerprint listed, in no order.
    pub fn fingerprints(&self) -> impl Iterator<Item = &str> {
        self.fingerprints.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

/// The baseline of a report's findings: every finding's fingerprint, with its rule and path so a
/// reviewer can see what was accepted. Sorted, so regenerating it gives a small diff.
pub fn render(findings: &[Finding]) -> String {
    let mut findings: Vec<Entry> = findings
        .iter()
        .map(|f| Entry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.to_string(),
            path: f.region.path.clone(),
        })
        .collect();
    findings.sort_by(|a, b| {
        (&a.path, &a.rule, &a.fingerprint).cmp(&(&b.path, &b.rule, &b.fingerprint))
    });
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    let document = Document {
        version: VERSION,
        generated_by: format!("tollgate {}", env!("CARGO_PKG_VERSION")),
        findings,
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let baseline =
            Baseline::parse(r#"{"version":1,"findings":[{"fingerprint":"abc"}]}"#).unwrap();
        assert!(baseline.contains("abc"));
        assert!(!baseline.contains("abd"));
        assert!(Baseline::parse(r#"{"version":2,"findings":[]}"#).is_err());
        assert!(Baseline::parse("not json").is_err());
    }
}
