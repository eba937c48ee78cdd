//! `--format github`: workflow commands that annotate pull requests.
//! Escaping follows the runner's rules (actions/toolkit `command.ts`): data escapes `%`, CR and
//! LF; property values also escape `:` and `,`.

use crate::engine::Report;
use crate::finding::Severity;

/// After the toolkit's escapes, the other control characters (ESC and the like) are made
/// visible, so no value from a file can move the cursor in the log.
fn escape_data(text: &str) -> String {
    let escaped = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    crate::escape::visible(&escaped).into_owned()
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            command(f.severity),
            escape_property(&f.region.path),
            f.region.line,
            f.region.column,
            f.region.end_line,
            f.region.end_column,
            escape_property(&format!("tollgate {} ({})", f.rule, f.severity)),
            escape_data(&f.message),
        ));
    }
    for e in &report.errors {
        let mut properties = format!("file={}", escape_property(&e.path));
        if let Some(line) = e.line {
            properties.push_str(&format!(",line={line}"));
        }
        if let Some(column) = e.column {
            properties.push_str(&format!(",col={column}"));
        }
        out.push_str(&format!(
            "::error {properties},title={}::{}\n",
            escape_property("tollgate could not read this file"),
            escape_data(&e.message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
