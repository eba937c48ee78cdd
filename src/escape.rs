//! Making text from files and APIs harmless where it is printed: file names, job ids,
//! environment names and API messages are written by people tollgate does not trust.

use std::borrow::Cow;
use std::fmt::Write;

/// Control characters (C0, DEL, C1, and the Unicode line and bidi controls that reorder or
/// break what a reader sees) shown as visible escapes: `\n`, `\r`, `\t`, `\e`, `\u{202e}`. A
/// printed value then stays on its line and cannot move a terminal's cursor, and a line can
/// never start with a workflow command (`::add-mask::`) the Actions runner would obey.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{1b}' => out.push_str("\\e"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Text safe inline in Markdown (GitHub-flavoured, with its inline HTML): every character
/// that could start a link, autolink, image, emphasis, code span, table cell or HTML tag is
/// escaped, control characters are made visible, and line breaks become `\n` so a value
/// can never start a block of its own.
pub fn markdown(text: &str) -> String {
    let text = visible(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // `:` and a `.` after `www` stop GitHub's autolinks (`https://…`, `www.…`); the
            // others are every inline mark (brackets end any link or image before it starts).
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '|' | '~' | ':' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '.' if out
                .as_bytes()
                .get(out.len().saturating_sub(3)..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(b"www")) =>
            {
                out.push_str("\\.");
            }
            c => out.push(c),
        }
    }
    out
}

/// A message as Markdown: the code spans its author wrote (`` `job` ``) stay code spans, and
/// everything is escaped for where it lands, so a value that brings its own backticks (a job
/// id such as ``x` [click](https://…) ` ``) only moves where the code spans split, never
/// making a link, an image, HTML or a new line.
pub fn markdown_message(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len() + 8);
    let closed = parts.len() % 2 == 1;
    for (index, part) in parts.iter().enumerate() {
        let in_code = index % 2 == 1;
        if in_code && (closed || index + 1 < parts.len()) {
            out.push_str(&markdown_code(part));
        } else {
            if in_code {
                // An unmatched backtick is shown as one.
                out.push_str("\\`");
            }
            out.push_str(&markdown(part));
        }
    }
    out
}

/// Text safe inside a Markdown code span: the span is fenced with more backticks than the
/// text holds, and control characters are made visible. Inside a code span nothing else is
/// interpreted, except `|` in a table, which GitHub still reads as a cell break.
pub fn markdown_code(text: &str) -> String {
    let text = visible(text).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text safe in HTML text and attribute values.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in visible(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(visible("a\nb\x1b[2K\r"), "a\\nb\\e[2K\\r");
        assert_eq!(visible("x\u{202e}y\u{85}"), "x\\u{202e}y\\u{85}");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_values_cannot_make_links_images_or_html() {
        let hostile = "x` [click](https://evil.example) <img src=x> ![](p)\n## forged";
        let escaped = markdown(hostile);
        for bad in ["<img", "\n"] {
            assert!(!escaped.contains(bad), "{bad} survived in {escaped}");
        }
        assert!(unescaped_brackets(&escaped) == 0, "{escaped}");
        let message = markdown_message(&format!("job `{hostile}` sets no `permissions`"));
        for bad in ["<img", "\n"] {
            assert!(!message.contains(bad), "{bad} survived in {message}");
        }
        // Outside code spans, every bracket is escaped.
        let outside: String = message.split('`').step_by(2).collect();
        assert!(unescaped_brackets(&outside) == 0, "{message}");
        assert_eq!(markdown_message("job `a` runs"), "job `a` runs");
        assert_eq!(
            markdown("see www.evil.example or https://x"),
            "see www\\.evil.example or https\\://x"
        );
        assert_eq!(markdown_message("odd ` tick"), "odd \\` tick");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert!(!markdown_code("a|b\nc").contains('\n'));
    }

    fn unescaped_brackets(text: &str) -> usize {
        let mut count = 0;
        let mut escaped = false;
        for c in text.chars() {
            if !escaped && matches!(c, '[' | ']') {
                count += 1;
            }
            escaped = !escaped && c == '\\';
        }
        count
    }

    #[test]
    fn html_escapes_tags_and_quotes() {
        assert_eq!(html("<a href=\"x\">'"), "&lt;a href=&quot;x&quot;&gt;&#39;");
    }
}
