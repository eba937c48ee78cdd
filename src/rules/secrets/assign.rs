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
    /// Makefiles: `NAME = value`, `:=`, `::=`, `:::=`, `?=`, `+=`, blanks allowed.
    Make,
    /// A programming language known by its extension: only a quoted string is a literal;
    /// a bare word is an identifier, a type or an expression.
    Code,
    /// CSV: `name,value` on a line, the name in the first column.
    Csv,
    /// Anything else (notes, logs, unknown configs): bare words count as in a config file.
    Text,
}

/// Extensions of programming languages, whose literals are quoted.
const CODE_EXTENSIONS: [&str; 40] = [
    "js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx", "py", "go", "java", "kt", "kts", "cs",
    "fs", "vb", "rb", "php", "rs", "swift", "scala", "groovy", "gradle", "c", "h", "cc", "cpp",
    "hpp", "m", "dart", "lua", "pl", "pm", "r", "ex", "exs", "clj", "vue", "svelte", "ps1",
];

pub fn syntax_of(path: &str, text: &str) -> Syntax {
    if text.starts_with("#!") && !path.ends_with(".py") && !path.ends_with(".rb") {
        return Syntax::Shell;
    }
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") || name == ".envrc" {
        return Syntax::Shell;
    }
    if name.starts_with("dockerfile") || name.starts_with("containerfile") {
        return Syntax::Shell;
    }
    if name == "makefile" || name == "gnumakefile" || matches!(ext, "mk" | "mak") {
        return Syntax::Make;
    }
    if CODE_EXTENSIONS.contains(&ext) {
        return Syntax::Code;
    }
    match ext {
        "yml" | "yaml" => Syntax::Yaml,
        "csv" => Syntax::Csv,
        "json" | "jsonc" | "json5" | "ipynb" | "tfstate" => Syntax::Json,
        "tf" | "hcl" | "tfvars" | "nomad" | "policy" => Syntax::Hcl,
        "sh" | "bash" | "zsh" | "ksh" | "ash" | "bashrc" | "profile" | "zshrc" => Syntax::Shell,
        "ini" | "cfg" | "conf" | "properties" | "npmrc" | "pypirc" | "cnf" | "editorconfig" => {
            Syntax::Ini
        }
        _ => Syntax::Text,
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
    // `\npassword = …` (a config written into a JSON string): the `n` is the escape's.
    if start < at
        && start > 0
        && bytes[start - 1] == b'\\'
        && matches!(bytes[start], b'n' | b't' | b'r')
    {
        start += 1;
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
    // `$NAME`, `${NAME}`, `%NAME%`: a use of the variable, not its definition; but in code
    // (PHP, Perl) `$password = "…"` defines it.
    let sigil = before == Some(b'$') && syntax == Syntax::Code;
    if !sigil && matches!(before, Some(b'$' | b'%')) {
        return None;
    }
    if before == Some(b'{') && name.start >= 2 && bytes[name.start - 2] == b'$' {
        return None;
    }
    if syntax == Syntax::Yaml
        && let Some(assignment) = name_value_pair(bytes, name)
    {
        return Some(assignment);
    }
    // XML element: `<password>value</password>`.
    if before == Some(b'<') && bytes.get(name.end) == Some(&b'>') {
        let start = element_text_start(bytes, name.end + 1);
        let end = match find_line_byte(bytes, start, b'<') {
            Some(end) => end,
            // `<token>` / `  value` / `</token>`: the text is the whole line between.
            None if start > name.end + 1 => find_line_byte(bytes, start, b'\n')?,
            None => return None,
        };
        let closing = skip_blanks(bytes, end);
        let closing = if bytes.get(closing) == Some(&b'\n') {
            skip_blanks(bytes, closing + 1)
        } else {
            closing
        };
        if bytes.get(closing) != Some(&b'<') || bytes.get(closing + 1) != Some(&b'/') {
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
        if !escaped && let Some(assignment) = argument_pair(bytes, name, at) {
            return Some(assignment);
        }
    } else if bytes.get(at) == Some(&b']') {
        return None;
    }
    if syntax == Syntax::Make && !name_quoted {
        return make_assignment(bytes, name, at);
    }
    if syntax == Syntax::Csv {
        return csv_field(bytes, name, at);
    }
    let syntax = if syntax == Syntax::Make {
        Syntax::Shell
    } else {
        syntax
    };
    if syntax == Syntax::Code && !name_quoted {
        at = skip_type(bytes, at);
    }
    let spaced = matches!(bytes.get(at), Some(b' ' | b'\t'));
    at = skip_blanks(bytes, at);
    // A line of a config written into a string: `"[db]\npassword = hunter2\n"`.
    let string_line = name.start >= 2 && &bytes[name.start - 2..name.start] == b"\\n";
    if string_line && matches!(bytes.get(at), Some(b'=' | b':')) {
        let value_at = skip_blanks(bytes, at + 1);
        let value = word(bytes, value_at, b"\\\"'\r\n ");
        return (value.end > value.start).then_some(Assignment {
            name,
            value,
            quoted: true,
        });
    }
    let flag = bytes[name.start] == b'-' && !matches!(syntax, Syntax::Json | Syntax::Hcl);
    let (op, width) = match (bytes.get(at), bytes.get(at + 1)) {
        (Some(b':'), Some(b'=')) => (Op::Walrus, 2),
        (Some(b'='), Some(b'>')) => (Op::Arrow, 2),
        (Some(b'='), Some(b'=' | b'~')) => return None,
        (Some(b'='), _) => (Op::Equals, 1),
        // PHP's `$password .= "…"`.
        (Some(b'.'), Some(b'=')) if sigil => (Op::Equals, 2),
        // YAML needs a blank after the colon; JSON (even minified) has a quoted name.
        (Some(b':'), next)
            if name_quoted || matches!(next, None | Some(b' ' | b'\t' | b'\r' | b'\n')) =>
        {
            (Op::Colon, 1)
        }
        // `token:abc` in notes and logs, but not `https://…` or `a::b`.
        (Some(b':'), Some(next))
            if syntax == Syntax::Text && !spaced && !matches!(next, b'/' | b':') =>
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
            None => match yaml_plain(bytes, value_at) {
                Some(v) => (v, false),
                None => (yaml_block_word(bytes, name.start, value_at)?, false),
            },
        },
        (Syntax::Ini, _) => match quoted_value {
            Some(v) => (v, true),
            None => (rest_of_line(bytes, value_at, &[" #", " ;", "\t#"]), false),
        },
        (Syntax::Code, Op::Walrus | Op::Flag | Op::Equals | Op::Colon) => {
            quoted_value.map(|v| (v, true))?
        }
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
        (Syntax::Text | Syntax::Make, Op::Equals) => match quoted_value {
            Some(v) => (v, true),
            // `KEY=value` flags and Makefile/Dockerfile lines.
            None if !spaced && !name_quoted => shell_word()?,
            // `KEY = value` alone on its line (a config, a note); `x = f(y)` is code.
            None if !name_quoted && line_starts_with_name(bytes, name.start) => {
                (lone_word(bytes, value_at)?, false)
            }
            None => return None,
        },
        (Syntax::Text | Syntax::Make, Op::Colon) => match quoted_value {
            Some(v) => (v, true),
            // `password: abc` at the start of a line reads as YAML in docs and configs.
            None if !name_quoted && (!spaced || line_starts_with_name(bytes, name.start)) => {
                (word(bytes, value_at, CODE_STOPS), false)
            }
            None => return None,
        },
        (Syntax::Json | Syntax::Csv, _) => return None,
    };
    (value.end > value.start).then_some(Assignment {
        name,
        value,
        quoted,
    })
}

/// `- name: DB_PASSWORD` and `value: "…"` on the next line (Kubernetes env lists, compose,
/// many Helm charts): the value of the pair whose `name` is secret-like.
fn name_value_pair(bytes: &[u8], name: Span) -> Option<Assignment> {
    let line_start = bytes[..name.start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let head = std::str::from_utf8(&bytes[line_start..name.start]).ok()?;
    let key = head.trim_start().trim_start_matches("- ").trim_end();
    let key = key.trim_end_matches(['"', '\'']).trim_end();
    if key != "name:" {
        return None;
    }
    let mut after = name.end;
    if matches!(bytes.get(after), Some(b'"' | b'\'')) {
        after += 1;
    }
    let after = skip_blanks(bytes, after);
    if !matches!(bytes.get(after), None | Some(b'\n' | b'\r')) {
        return None;
    }
    let next_start = bytes[after..].iter().position(|&b| b == b'\n')? + after + 1;
    let indent_at = skip_blanks(bytes, next_start);
    let rest = &bytes[indent_at..];
    if !rest.starts_with(b"value:") {
        return None;
    }
    let value_at = skip_blanks(bytes, indent_at + "value:".len());
    let (value, quoted) = match quoted(bytes, value_at) {
        Some(v) => (v, true),
        None => (yaml_plain(bytes, value_at)?, false),
    };
    (value.end > value.start).then_some(Assignment {
        name,
        value,
        quoted,
    })
}

/// `setProperty("db.password", "…")`, `put("apiKey", "…")`, `os.environ.setdefault(…)`, and
/// XML's `key="Password" value="…"`: a quoted secret-like name, then its quoted value.
/// `after` is just past the name's closing quote.
fn argument_pair(bytes: &[u8], name: Span, after: usize) -> Option<Assignment> {
    let open = name.start.checked_sub(1)?;
    let mut before = open;
    while before > 0 && matches!(bytes[before - 1], b' ' | b'\t') {
        before -= 1;
    }
    let lead = before.checked_sub(1).map(|i| bytes[i]);
    let next = skip_blanks(bytes, after);
    let value_at = match lead {
        Some(b'(') if bytes.get(next) == Some(&b',') => skip_blanks(bytes, next + 1),
        Some(b'=') => {
            let attribute = bytes[..before - 1]
                .rsplit(|b| !b.is_ascii_alphanumeric())
                .next()
                .unwrap_or(b"");
            let keyed = [b"key".as_slice(), b"name"]
                .iter()
                .any(|k| attribute.eq_ignore_ascii_case(k));
            if !keyed || !bytes[next..].starts_with(b"value=") {
                return None;
            }
            next + "value=".len()
        }
        _ => return None,
    };
    let value = quoted(bytes, value_at)?;
    (value.end > value.start).then_some(Assignment {
        name,
        value,
        quoted: true,
    })
}

/// A Makefile variable: `NAME = value`, `:=`, `::=`, `:::=`, `?=`, `+=`, up to a comment.
fn make_assignment(bytes: &[u8], name: Span, at: usize) -> Option<Assignment> {
    if !line_starts_with_name(bytes, name.start) {
        return None;
    }
    let at = skip_blanks(bytes, at);
    let rest = &bytes[at..];
    let width = [":::=", "::=", ":=", "?=", "+=", "="]
        .iter()
        .find(|op| rest.starts_with(op.as_bytes()))?
        .len();
    if rest.starts_with(b"==") {
        return None;
    }
    let value_at = skip_blanks(bytes, at + width);
    let (value, quoted_value) = match quoted(bytes, value_at) {
        Some(v) => (v, true),
        None => (rest_of_line(bytes, value_at, &[" #", "\t#"]), false),
    };
    (value.end > value.start).then_some(Assignment {
        name,
        value,
        quoted: quoted_value,
    })
}

/// Past a type annotation between a name and its `=`: `password: string = …` (TypeScript),
/// `var password string = …` (Go), `apiKey: String = …` (Kotlin).
fn skip_type(bytes: &[u8], at: usize) -> usize {
    let mut j = skip_blanks(bytes, at);
    let colon = bytes.get(j) == Some(&b':');
    if colon {
        j = skip_blanks(bytes, j + 1);
    } else if j == at {
        return at;
    }
    let type_start = j;
    while j < bytes.len()
        && j - type_start < 64
        && (bytes[j].is_ascii_alphanumeric() || b"_.<>&*[]?".contains(&bytes[j]))
    {
        j += 1;
    }
    if j == type_start {
        return at;
    }
    let k = skip_blanks(bytes, j);
    if bytes.get(k) == Some(&b'=') && !matches!(bytes.get(k + 1), Some(b'=' | b'>')) {
        k
    } else {
        at
    }
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

/// The one word of a YAML block scalar (`token: |` then one more-indented line holding one
/// word, then the block ends): a value written as a block. A block of several lines or of
/// words with blanks is a script, a document or a list, not a literal credential.
fn yaml_block_word(bytes: &[u8], name_start: usize, indicator: usize) -> Option<Span> {
    let header = rest_of_line(bytes, indicator, &[" #", "\t#"]);
    let text = &bytes[header.start..header.end];
    if !matches!(text.first(), Some(b'|' | b'>'))
        || !text[1..]
            .iter()
            .all(|b| matches!(b, b'-' | b'+' | b'0'..=b'9'))
    {
        return None;
    }
    let indent_of = |line_start: usize| {
        bytes[line_start..]
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count()
    };
    let name_line = bytes[..name_start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let name_indent = indent_of(name_line);
    let line = find_line_byte(bytes, indicator, b'\n')? + 1;
    let indent = indent_of(line);
    let value = rest_of_line(bytes, line + indent, &[]);
    if indent <= name_indent || value.start == value.end {
        return None;
    }
    if bytes[value.start..value.end]
        .iter()
        .any(u8::is_ascii_whitespace)
    {
        return None;
    }
    // The block ends after its one line: end of file, a blank line, or a line indented no
    // deeper than the name.
    let next = find_line_byte(bytes, value.end, b'\n').map_or(bytes.len(), |i| i + 1);
    let ends = next >= bytes.len()
        || bytes[next..]
            .iter()
            .take_while(|b| **b != b'\n')
            .all(u8::is_ascii_whitespace)
        || indent_of(next) <= name_indent;
    ends.then_some(value)
}

/// `name,value` in a CSV file: the field after the name's, unquoted or double-quoted.
fn csv_field(bytes: &[u8], name: Span, at: usize) -> Option<Assignment> {
    if bytes.get(at) != Some(&b',') || !line_starts_with_name(bytes, name.start) {
        return None;
    }
    let value_at = at + 1;
    if let Some(value) = quoted(bytes, value_at).filter(|_| bytes[value_at] == b'"') {
        return (value.end > value.start).then_some(Assignment {
            name,
            value,
            quoted: true,
        });
    }
    let value = word(bytes, value_at, b",\r\n");
    (value.end > value.start).then_some(Assignment {
        name,
        value: trim(bytes, value),
        quoted: false,
    })
}

/// Where an element's text starts: after `<name>`, or on the next line when the element
/// opens its own line (`<token>` / `  value` / `</token>`).
fn element_text_start(bytes: &[u8], after_tag: usize) -> usize {
    let blank = skip_blanks(bytes, after_tag);
    match bytes.get(blank) {
        Some(b'\n') => skip_blanks(bytes, blank + 1),
        Some(b'\r') if bytes.get(blank + 1) == Some(&b'\n') => skip_blanks(bytes, blank + 2),
        _ => after_tag,
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
    fn reads_block_scalars_csv_and_multiline_elements() {
        let value = |text: &str, syntax| assignment(text, "Token", syntax);
        let v = "Qx7rT2mVk9LpZ3wN";
        assert_eq!(
            value("ghToken: |\n  Qx7rT2mVk9LpZ3wN\n", Syntax::Yaml),
            Some(format!("ghToken={v}"))
        );
        assert_eq!(
            value("ghToken: >-\n    Qx7rT2mVk9LpZ3wN\nnext: 1\n", Syntax::Yaml),
            Some(format!("ghToken={v}"))
        );
        // A block of several lines, or of words, is a script or a document.
        assert_eq!(value("ghToken: |\n  abc\n  def\n", Syntax::Yaml), None);
        assert_eq!(value("ghToken: |\n  echo $X\n", Syntax::Yaml), None);
        assert_eq!(
            value("slackToken,Qx7rT2mVk9LpZ3wN,\n", Syntax::Csv),
            Some(format!("slackToken={v}"))
        );
        assert_eq!(value("id,slackToken,x\n", Syntax::Csv), None);
        assert_eq!(
            value(
                "<apiToken>\n    Qx7rT2mVk9LpZ3wN\n</apiToken>\n",
                Syntax::Text
            ),
            Some(format!("apiToken={v}"))
        );
        assert_eq!(
            value("<apiToken>\n  <nested/>\n</apiToken>\n", Syntax::Text),
            None
        );
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
            // A block of one word is read (and judged as any value); of several lines, not.
            (
                "  secrets: |\n    x\n",
                "secret",
                Syntax::Yaml,
                Some("secrets=x"),
            ),
            ("  secrets: |\n    x\n    y\n", "secret", Syntax::Yaml, None),
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
                Syntax::Text,
                None,
            ),
            (
                "\"{\\\"password\\\": \\\"abc\\\"}\"",
                "password",
                Syntax::Code,
                Some("password=abc"),
            ),
            (
                "var dbPassword string = \"q7Rt9xKz2Lm4\"\n",
                "Password",
                Syntax::Code,
                Some("dbPassword=q7Rt9xKz2Lm4"),
            ),
            (
                "  apiKey: string = 'q7Rt9xKz2Lm4';\n",
                "Key",
                Syntax::Code,
                Some("apiKey=q7Rt9xKz2Lm4"),
            ),
            (
                "  PrivateKey = orgKeys.PrivateKey;\n",
                "PrivateKey",
                Syntax::Code,
                None,
            ),
            ("  APIKEY: NonEmptyString,\n", "APIKEY", Syntax::Code, None),
            (
                "$db_password .= \"q7Rt9xKz2Lm4\";\n",
                "password",
                Syntax::Code,
                Some("db_password=q7Rt9xKz2Lm4"),
            ),
            (
                "System.setProperty(\"db.password\", \"q7Rt9xKz2Lm4\");\n",
                "password",
                Syntax::Code,
                Some("db.password=q7Rt9xKz2Lm4"),
            ),
            (
                "<add key=\"ApiKey\" value=\"q7Rt9xKz2Lm4\" />\n",
                "Key",
                Syntax::Text,
                Some("ApiKey=q7Rt9xKz2Lm4"),
            ),
            (
                "{\"cfg\": \"[db]\\npassword = q7Rt9xKz2Lm4\\n\"}",
                "password",
                Syntax::Json,
                Some("password=q7Rt9xKz2Lm4"),
            ),
            (
                "API_TOKEN ::= q7Rt9xKz2Lm4 # ci\n",
                "TOKEN",
                Syntax::Make,
                Some("API_TOKEN=q7Rt9xKz2Lm4"),
            ),
            (
                "API_TOKEN ?= q7Rt9xKz2Lm4\n",
                "TOKEN",
                Syntax::Make,
                Some("API_TOKEN=q7Rt9xKz2Lm4"),
            ),
            (
                "        - name: DB_PASSWORD\n          value: \"q7Rt9xKz2Lm4\"\n",
                "PASSWORD",
                Syntax::Yaml,
                Some("DB_PASSWORD=q7Rt9xKz2Lm4"),
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
        assert_eq!(syntax_of("Makefile", ""), Syntax::Make);
        assert_eq!(syntax_of("notes.txt", ""), Syntax::Text);
        assert_eq!(syntax_of("bin/deploy", "#!/bin/sh\n"), Syntax::Shell);
    }
}
