//! Thin adapters from one [`Report`] to each output format.

#[cfg(feature = "drift")]
pub mod drift;
pub mod github;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;

use std::collections::BTreeMap;

use crate::engine::Report;
use crate::finding::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Markdown,
}

pub struct RenderOptions {
    pub color: bool,
    /// Prefix that turns a repository-relative path into a link to the file at the commit
    /// (`markdown`), e.g. `https://github.com/acme/app/blob/<sha>/`.
    pub link_base: Option<String>,
}

pub fn render(report: &Report, format: Format, options: &RenderOptions) -> String {
    match format {
        Format::Human => human::render(report, options.color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Markdown => markdown::render(report, options.link_base.as_deref()),
    }
}

/// A sequence serialised one element at a time: each element's JSON value is built, written
/// and dropped before the next, so a report with tens of thousands of findings never exists
/// as one value tree (which costs several times the size of the output in memory).
pub struct Streamed<'a, T> {
    pub items: &'a [T],
    pub to_value: fn(&T) -> serde_json::Value,
}

impl<T> serde::Serialize for Streamed<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.items.len()))?;
        for item in self.items {
            seq.serialize_element(&(self.to_value)(item))?;
        }
        seq.end()
    }
}

/// Pretty JSON text of a serialisable document, with a final newline.
pub fn pretty(document: &impl serde::Serialize) -> String {
    text_of(|out| write_pretty(document, out))
}

/// What a writer function writes, as a string.
pub fn text_of(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut text = Vec::new();
    // Writing to a Vec cannot fail, and the documents hold only strings and numbers.
    let _ = write(&mut text);
    String::from_utf8(text).unwrap_or_default()
}

/// Writes a document as pretty JSON with a final newline, as it is serialised: a report of
/// many findings is never held as one string as well.
pub fn write_pretty(
    document: &impl serde::Serialize,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, document)?;
    out.write_all(b"\n")
}

/// Writes a report in a format. JSON and SARIF are written as they are serialised; the
/// other formats are rendered first.
pub fn write(
    report: &Report,
    format: Format,
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, out),
        _ => out.write_all(render(report, format, options).as_bytes()),
    }
}

/// Counts by severity, highest first, for summaries.
pub fn severity_counts(report: &Report) -> BTreeMap<Severity, usize> {
    let mut counts = BTreeMap::new();
    for finding in &report.findings {
        *counts.entry(finding.severity).or_insert(0) += 1;
    }
    counts
}
