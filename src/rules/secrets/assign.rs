//! Assignments in raw text: `NAME: value` (YAML), `"name": "value"` (JSON), `name = "value"`
//! (HCL), `export NAME=value` (shell, `.env`), `name = value` (INI) and `<name>value</name>`.
//!
//! This is a lexer, not a parser: it starts from a secret-like word the prefilter found,
//! widens it to the whole name, and reads the operator and the literal after it by the rules
//! of the file's syntax. It works on files that do not parse (a workflow with a stray `*`),
//! on scripts embedded in YAML `run: |` blocks, and on minified one-line JSON alike.

use crate::source::Span;

/// How a file writes assignments, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
    Hcl,
    Shell,
    Ini,
    Code,
}

pub fn syntax_of(path: &str, text: &str) -> Syntax {
    if text.starts_with("#!") && !path.ends_with(".py") && !path.ends_with(".rb") {
        return Syntax::Shell;
    }
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") || name == ".envrc" {
        return Syntax::Shell;
    }
    if name.starts_with("dockerfile")
        || name.starts_with("containerfile")
        || name == "makefile"
        || name == "gnumakefile"
    {
        return Syntax::Shell;
    }
    match ext {
        "yml" | "yaml" => Syntax::Yaml,
        "json" | "jsonc" | "json5" | "ipynb" | "tfstate" => Syntax::Json,
        "tf" | "hcl" | "tfvars" | "nomad" | "policy" => Syntax::Hcl,
        "sh" | "bash" | "zsh" | "ksh" | "ash" | "mk" | "bashrc" | "profile" | "zshrc" => {
            Syntax::Shell
        }
        "ini" | "cfg" | "conf" | "properties" | "npmrc" | "pypirc" | "cnf" | "editorconfig" => {
            Syntax::Ini
        }
        _ => Syntax::Code,
    }
}

/// A literal assigned to a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub name: Span,
    pub value: Span,
    pub quoted: bool,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Longest name looked at; longer runs are data (base64, minified code), not names.
const MAX_NAME: usize = 96;
/// Longest value read.
const MAX_VALUE: usize = 1024;

/// The name around the keyword at `at..end`, widened over name characters.
pub fn name_around(bytes: &[u8], at: usize, end: usize) -> Span {
    let mut start = at;
    while start > 0 && at - start < MAX_NAME && is_name_byte(bytes[start - 1]) {
        start -= 1;
    }
    let mut stop = end;
    while stop < bytes.len() && stop - end < MAX_NAME && is_name_byte(bytes[stop]) {
        stop += 1;
    }
    Span::new(start, stop)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `:` (YAML, JSON, object literals)
    Colon,
    /// `=`
    Equals,
    /// `:=`
    Walrus,
    /// `=>`
    Arrow,
    /// `--name value`
    Flag,
}

fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

/// Reads the assignment whose name is `name`, if the text after it is one.
pub fn read(bytes: &[u8], name: Span, syntax: Syntax) -> Option<Assignment> {
    if name.end - name.start > MAX_NAME || name.start == name.end {
        return None;
    }
    let before = name.start.checked_sub(1).map(|i| bytes[i]);
    // `$NAME`, `${NAME}`, `%NAME%`: a use of the variable, not its definition.
    if matches!(before, Some(b'$' | b'%')) {
        return None;
    }
    if before == Some(b'{') && name.start >= 2 && bytes[name.start - 2] == b'$' {
        return None;
    }
    // XML element: `<password>value</password>`.
    if before == Some(b'<') && bytes.get(name.end) == Some(&b'>') {
        let start = name.end + 1;
        let end = find_line_byte(bytes, start, b'<')?;
        if bytes.get(end + 1) != Some(&b'/') {
            return None;
        }
        return Some(Assignment {
            name,
            value: trim(bytes, Span::new(start, end)),
            quoted: true,
        });
    }
    // A quoted name: `"password": …`, `'password' => …`, `\"password\": …` (JSON in a string).
    let mut at = name.end;
    let mut name_quoted = false;
    if let Some(quote @ (b'"' | b'\'')) = before {
        let escaped = name.start >= 2 && bytes[name.start - 2] == b'\\';
        if escaped && bytes.get(at) == Some(&b'\\') && bytes.get(at + 1) == Some(&quote) {
            at += 2;
        } else if !escaped && bytes.get(at) == Some(&quote) {
            at += 1;
        } else {
            return None;
        }
        name_quoted = true;
    } else if bytes.get(at) == Some(&b']') {
        return None;
    }
    let spaced = matches!(bytes.get(at), Some(b' ' | b'\t'));
    at = skip_blanks(bytes, at);
    let flag = bytes[name.start] == b'-' && !matches!(syntax, Syntax::Json | Syntax::Hcl);
    let (op, width) = match (bytes.get(at), bytes.get(at + 1)) {
        (Some(b':'), Some(b'=')) => (Op::Walrus, 2),
        (Some(b'='), Some(b'>')) => (Op::Arrow, 2),
        (Some(b'='), Some(b'=' | b'~')) => return None,
        (Some(b'='), _) => (Op::Equals, 1),
        // YAML needs a blank after the colon; JSON (even minified) has a quoted name.
        (Some(b':'), next)
            if name_quoted || matches!(next, None | Some(b' ' | b'\t' | b'\r' | b'\n')) =>
        {
            (Op::Colon, 1)
        }
        // `token:abc` in notes and logs, but not `https://…` or `a::b`.
        (Some(b':'), Some(next))
            if syntax == Syntax::Code && !spaced && !matches!(next, b'/' | b':') =>
        {
            (Op::Colon, 1)
        }
        // A command-line option and its argument: `--password hunter2`.
        (Some(b), _) if flag && spaced && !matches!(b, b'-' | b'\n' | b'\r' | b'|' | b'\\') => {
            (Op::Flag, 0)
        }
        _ => return None,
    };
    let value_at = skip_blanks(bytes, at + width);
    let first = *bytes.get(value_at)?;
    if matches!(first, b'\n' | b'\r') {
        return None;
    }
    let quoted_value = quoted(bytes, value_at);
    let shell_word = || Some((word(bytes, value_at, SHELL_STOPS), false));
    let (value, quoted) = match (syntax, op) {
        (Syntax::Json, Op::Colon) => quoted_value.map(|v| (v, true))?,
        (Syntax::Hcl, Op::Equals | Op::Colon) => quoted_value.map(|v| (v, true))?,
        (_, Op::Arrow) => quoted_value.map(|v| (v, true))?,
        (Syntax::Yaml, Op::Colon) => match quoted_value {
            Some(v) => (v, true),
            None => (yaml_plain(bytes, value_at)?, false),
        },
        (Syntax::Ini, _) => match quoted_value {
            Some(v) => (v, true),
            None => (rest_of_line(bytes, value_at, &[" #", " ;", "\t#"]), false),
        },
        (_, Op::Walrus | Op::Flag) => match quoted_value {
            Some(v) => (v, true),
            None => shell_word()?,
        },
        // Shell assignments have no blank around `=`; `NAME = x` is a command in shell.
        (Syntax::Shell | Syntax::Yaml, Op::Equals) => {
            if spaced || name_quoted {
                return None;
            }
            match quoted_value {
                Some(v) => (v, true),
                None => shell_word()?,
            }
        }
        (Syntax::Shell, Op::Colon) => match quoted_value {
            Some(v) => (v, true),
            None => (word(bytes, value_at, CODE_STOPS), false),
        },
        (Syntax::Code, Op::Equals) => match quoted_value {
            Some(v) => (v, true),
            // `KEY=value` flags and Makefile/Dockerfile lines.
            None if !spaced && !name_quoted => shell_word()?,
            // `KEY = value` alone on its line (a config, a note); `x = f(y)` is code.
            None if !name_quoted && line_starts_with_name(bytes, name.start) => {
                (lone_word(bytes, value_at)?, false)
            }
            None => return None,
        },
        (Syntax::Code, Op::Colon) => match quoted_value {
            Some(v) => (v, true),
            // `password: abc` at the start of a line reads as YAML in docs and configs.
            None if !name_quoted && (!spaced || line_starts_with_name(bytes, name.start)) => {
                (word(bytes, value_at, CODE_STOPS), false)
            }
            None => return None,
        },
        (Syntax::Json, _) => return None,
    };
    (value.end > value.start).then_some(Assignment {
        name,
        value,
        quoted,
    })
}

/// Stops of a shell word.
const SHELL_STOPS: &[u8] = b" \t\r\n;&|)<>`\"'";
/// Stops of a bare value in code.
const CODE_STOPS: &[u8] = b" \t\r\n;,)}]\"'`";

fn word(bytes: &[u8], start: usize, stops: &[u8]) -> Span {
    let mut end = start;
    while end < bytes.len() && end - start < MAX_VALUE && !stops.contains(&bytes[end]) {
        end += 1;
    }
    Span::new(start, end)
}

/// A bare word that is all that is left of its line (but for a comment).
fn lone_word(bytes: &[u8], start: usize) -> Option<Span> {
    let span = word(bytes, start, SHELL_STOPS);
    let rest = skip_blanks(bytes, span.end);
    match bytes.get(rest) {
        None | Some(b'\n' | b'\r' | b'#') => Some(span),
        Some(b'/') if bytes.get(rest + 1) == Some(&b'/') => Some(span),
        _ => None,
    }
}

fn find_line_byte(bytes: &[u8], start: usize, needle: u8) -> Option<usize> {
    let mut at = start;
    while at < bytes.len() && at - start < MAX_VALUE {
        match bytes[at] {
            b if b == needle => return Some(at),
            b'\n' => return None,
            _ => at += 1,
        }
    }
    None
}

/// The inside of a quoted string starting at `at` (`"…"` with backslash escapes, `'…'`,
/// `` `…` ``, or `\"…\"` inside another string), on one line.
fn quoted(bytes: &[u8], at: usize) -> Option<Span> {
    let (quote, start, escaped_quotes) = match (bytes.get(at), bytes.get(at + 1)) {
        (Some(b'\\'), Some(b'"')) => (b'"', at + 2, true),
        (Some(&q @ (b'"' | b'\'' | b'`')), _) => (q, at + 1, false),
        _ => return None,
    };
    let mut i = start;
    while i < bytes.len() && i - start < MAX_VALUE {
        let b = bytes[i];
        if b == b'\n' {
            return None;
        }
        if escaped_quotes {
            if b == b'\\' && bytes.get(i + 1) == Some(&quote) {
                return Some(Span::new(start, i));
            }
        } else if b == b'\\' && quote == b'"' {
            i += 2;
            continue;
        } else if b == quote {
            return Some(Span::new(start, i));
        }
        i += 1;
    }
    None
}

/// A YAML plain scalar on one line: up to a ` #` comment. Block indicators (`|`, `>-`), flow
/// collections and tags (`!Ref x`, `!vault |`) are not literal values.
fn yaml_plain(bytes: &[u8], at: usize) -> Option<Span> {
    let span = rest_of_line(bytes, at, &[" #", "\t#"]);
    let text = &bytes[span.start..span.end];
    let first = *text.first()?;
    match first {
        b'|' | b'>'
            if text[1..]
                .iter()
                .all(|b| matches!(b, b'-' | b'+' | b'0'..=b'9')) =>
        {
            None
        }
        b'{' | b'[' => None,
        b'!' if text.contains(&b' ') => None,
        _ => Some(span),
    }
}

fn rest_of_line(bytes: &[u8], at: usize, comments: &[&str]) -> Span {
    let mut end = at;
    while end < bytes.len() && end - at < MAX_VALUE && bytes[end] != b'\n' {
        if comments
            .iter()
            .any(|c| bytes[end..].starts_with(c.as_bytes()))
        {
            break;
        }
        end += 1;
    }
    trim(bytes, Span::new(at, end))
}

fn trim(bytes: &[u8], span: Span) -> Span {
    let mut start = span.start;
    let mut end = span.end;
    while start < end && bytes[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && bytes[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    Span::new(start, end)
}

/// Whether only blanks (and a YAML `- `) stand between the line start and `at`.
fn line_starts_with_name(bytes: &[u8], at: usize) -> bool {
    let mut i = at;
    while i > 0 {
        match bytes[i - 1] {
            b'\n' => return true,
            b' ' | b'\t' | b'-' => i -= 1,
            _ => return false,
        }
    }
    true
}

/// Lower-case words of a name: split at non-alphanumerics and camelCase humps, trailing
/// digits dropped (`AWS_SECRET_ACCESS_KEY`, `SecretAccessKey`, `apiKey2`).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    for word in &mut words {
        let kept = word.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if kept > 0 {
            word.truncate(kept);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(text: &str, keyword: &str, syntax: Syntax) -> Option<String> {
        let at = text.find(keyword)?;
        let name = name_around(text.as_bytes(), at, at + keyword.len());
        let a = read(text.as_bytes(), name, syntax)?;
        Some(format!(
            "{}={}",
            &text[a.name.start..a.name.end],
            &text[a.value.start..a.value.end]
        ))
    }

    #[test]
    fn reads_each_syntax() {
        let cases = [
            (
                "  DB_PASSWORD: ,1WQgu # note\n",
                "PASSWORD",
                Syntax::Yaml,
                Some("DB_PASSWORD=,1WQgu"),
            ),
            (
                "  DB_PASSWORD: \"a b\"\n",
                "PASSWORD",
                Syntax::Yaml,
                Some("DB_PASSWORD=a b"),
            ),
            ("  secrets: |\n    x\n", "secret", Syntax::Yaml, None),
            ("  key: >-\n", "key", Syntax::Yaml, None),
            (
                "    \"SecretAccessKey\": \"abc/def\",\n",
                "Secret",
                Syntax::Json,
                Some("SecretAccessKey=abc/def"),
            ),
            (
                "{\"token\":\"abc\"}",
                "token",
                Syntax::Json,
                Some("token=abc"),
            ),
            ("  \"Key\": [\n", "Key", Syntax::Json, None),
            (
                "  password = \"p4ss\"\n",
                "password",
                Syntax::Hcl,
                Some("password=p4ss"),
            ),
            (
                "  password = var.db_password\n",
                "password",
                Syntax::Hcl,
                None,
            ),
            (
                "export DB_PASSWORD='x:y'\n",
                "PASSWORD",
                Syntax::Shell,
                Some("DB_PASSWORD=x:y"),
            ),
            (
                "TOKEN=abc123 gh release\n",
                "TOKEN",
                Syntax::Shell,
                Some("TOKEN=abc123"),
            ),
            (
                "echo \"${GITHUB_TOKEN}\" | docker\n",
                "TOKEN",
                Syntax::Shell,
                None,
            ),
            ("if [ \"$TOKEN\" == x ]\n", "TOKEN", Syntax::Shell, None),
            (
                "password = hunter2\n",
                "password",
                Syntax::Ini,
                Some("password=hunter2"),
            ),
            (
                "<password>abc</password>\n",
                "password",
                Syntax::Code,
                Some("password=abc"),
            ),
            ("x = password == y\n", "password", Syntax::Code, None),
            (
                "String password = \"abc\";\n",
                "password",
                Syntax::Code,
                Some("password=abc"),
            ),
            (
                "password = get_password()\n",
                "password",
                Syntax::Code,
                None,
            ),
            (
                "\"{\\\"password\\\": \\\"abc\\\"}\"",
                "password",
                Syntax::Code,
                Some("password=abc"),
            ),
        ];
        for (text, keyword, syntax, want) in cases {
            assert_eq!(
                assignment(text, keyword, syntax).as_deref(),
                want,
                "{text:?}"
            );
        }
    }

    #[test]
    fn splits_words() {
        assert_eq!(
            words("AWS_SECRET_ACCESS_KEY"),
            ["aws", "secret", "access", "key"]
        );
        assert_eq!(words("SecretAccessKey"), ["secret", "access", "key"]);
        assert_eq!(words("AWSSecretKey"), ["aws", "secret", "key"]);
        assert_eq!(words("apiKey2"), ["api", "key"]);
        assert_eq!(words("--db-password"), ["db", "password"]);
    }

    #[test]
    fn syntax_by_name() {
        assert_eq!(syntax_of("a/.github/workflows/ci.yml", ""), Syntax::Yaml);
        assert_eq!(syntax_of("x/.env.production", ""), Syntax::Shell);
        assert_eq!(syntax_of("Dockerfile", ""), Syntax::Shell);
        assert_eq!(syntax_of("main.tf", ""), Syntax::Hcl);
        assert_eq!(
            syntax_of("app.py", "#!/usr/bin/env python3\n"),
            Syntax::Code
        );
        assert_eq!(syntax_of("bin/deploy", "#!/bin/sh\n"), Syntax::Shell);
    }
}
