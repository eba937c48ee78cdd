//! Thin adapters from one [`Report`] to each output format.

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

/// Counts by severity, highest first, for summaries.
pub fn severity_counts(report: &Report) -> BTreeMap<Severity, usize> {
    let mut counts = BTreeMap::new();
    for finding in &report.findings {
        *counts.entry(finding.severity).or_insert(0) += 1;
    }
    counts
}
