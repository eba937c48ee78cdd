//! HCL1, the dialect Vault reads policies in, into the spanned [`Node`] tree.
//!
//! Vault parses policies with `github.com/hashicorp/hcl` v1 (`vault/policy.go`), which accepts
//! what HCL2 parsers reject: a `{` on the line after `path "…"` (HashiCorp Learn's admin
//! policy) and blocks inside object literals (`control_group = { factor "x" { … } }`). This
//! reader follows HCL1: `key = value`, `key { … }` and `key "label" { … }` are all items,
//! newlines are not significant, commas between items are optional.
//!
//! Items with labels nest: `path "secret/*" { … }` is reached by `path → secret/* → …`, and
//! repeated `path` items share one mapping, as in Vault's JSON form of a policy.
//!
//! [`validate_vault_policy`] then applies the checks Vault's own parser makes.

use super::node::{Entry, Node, NodeKind, ScalarStyle, Span};
use super::yaml::ParseError;
use std::collections::HashMap;

/// Nesting deeper than this is refused; the parser recurses.
const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Str(String),
    Word(String),
    Heredoc(String),
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Equals,
    Comma,
    Colon,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

fn err(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        message: message.into(),
    }
}

fn lex(text: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let single = match b {
            b'{' => Some(Tok::LBrace),
            b'}' => Some(Tok::RBrace),
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b'=' => Some(Tok::Equals),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            _ => None,
        };
        if let Some(tok) = single {
            i += 1;
            tokens.push(Token {
                tok,
                span: Span::new(start, i),
            });
            continue;
        }
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let Some(end) = text[i + 2..].find("*/") else {
                    return Err(err(i, "comment not terminated"));
                };
                i += 2 + end + 2;
            }
            b'"' => {
                let (value, end) = string(text, i)?;
                i = end;
                tokens.push(Token {
                    tok: Tok::Str(value),
                    span: Span::new(start, i),
                });
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                let (value, end) = heredoc(text, i)?;
                i = end;
                tokens.push(Token {
                    tok: Tok::Heredoc(value),
                    span: Span::new(start, i),
                });
            }
            _ if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'+') => {
                while bytes.get(i).is_some_and(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'+')
                }) {
                    i += 1;
                }
                tokens.push(Token {
                    tok: Tok::Word(text[start..i].to_owned()),
                    span: Span::new(start, i),
                });
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or('?');
                return Err(err(i, format!("unexpected character {c:?}")));
            }
        }
    }
    Ok(tokens)
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

/// A double-quoted string starting at `start`; `${ … }` may hold quotes of its own.
fn string(text: &str, start: usize) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    let mut braces = 0usize;
    while let Some((at, c)) = chars.next() {
        let offset = start + 1 + at;
        match c {
            '"' if braces == 0 => return Ok((out, offset + 1)),
            '\n' if braces == 0 => return Err(err(start, "string not terminated")),
            '\\' => {
                let Some((_, escaped)) = chars.next() else {
                    break;
                };
                match escaped {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' => {
                        let hex: String = (0..4)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let decoded = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                        let Some(decoded) = decoded else {
                            return Err(err(offset, "invalid \\u escape"));
                        };
                        out.push(decoded);
                    }
                    other => out.push(other),
                }
            }
            '$' if chars.peek().map(|(_, n)| *n) == Some('{') => {
                out.push('$');
                braces += 1;
                if let Some((_, brace)) = chars.next() {
                    out.push(brace);
                }
            }
            '{' if braces > 0 => {
                braces += 1;
                out.push(c);
            }
            '}' if braces > 0 => {
                braces -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Err(err(start, "string not terminated"))
}

/// `<<EOF … EOF` or `<<-EOF … EOF` starting at `start`.
fn heredoc(text: &str, start: usize) -> Result<(String, usize), ParseError> {
    let rest = &text[start + 2..];
    let indented = rest.starts_with('-');
    let rest = if indented { &rest[1..] } else { rest };
    let marker_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let marker = &rest[..marker_len];
    if marker.is_empty() {
        return Err(err(start, "heredoc without a marker"));
    }
    let Some(newline) = rest.find('\n') else {
        return Err(err(start, "heredoc not terminated"));
    };
    let body_start = start + 2 + usize::from(indented) + newline + 1;
    let mut line_start = body_start;
    let mut out = String::new();
    while line_start <= text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |p| line_start + p);
        let line = &text[line_start..line_end];
        let candidate = if indented {
            line.trim()
        } else {
            line.trim_end()
        };
        if candidate == marker {
            return Ok((out, line_end));
        }
        out.push_str(line);
        out.push('\n');
        if line_end >= text.len() {
            break;
        }
        line_start = line_end + 1;
    }
    Err(err(start, format!("heredoc `{marker}` not terminated")))
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn here(&self) -> usize {
        self.peek().map_or(self.end, |t| t.span.start)
    }

    /// Items up to `}` (inside an object) or the end of input (at the top).
    fn object_body(&mut self, depth: usize, closing: bool) -> Result<Vec<Entry>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(err(
                self.here(),
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        let mut entries: Vec<Entry> = Vec::new();
        // First mapping entry per key: a body of many distinct keys is built in linear time.
        let mut index: HashMap<String, usize> = HashMap::new();
        loop {
            match self.peek().map(|t| &t.tok) {
                None if closing => return Err(err(self.end, "expected `}` before end of file")),
                None => return Ok(entries),
                Some(Tok::RBrace) if closing => return Ok(entries),
                Some(Tok::Comma) => {
                    self.at += 1;
                    continue;
                }
                _ => {}
            }
            let mut keys: Vec<Node> = Vec::new();
            loop {
                let Some(token) = self.next() else {
                    return Err(err(self.end, "expected `=` or `{` after key"));
                };
                match token.tok {
                    Tok::Word(word) => keys.push(scalar(word, ScalarStyle::Plain, token.span)),
                    Tok::Str(value) => keys.push(scalar(value, ScalarStyle::Quoted, token.span)),
                    Tok::Equals | Tok::Colon if !keys.is_empty() => {
                        let value = self.value(depth + 1)?;
                        insert_indexed(&mut entries, &mut index, keys, value);
                        break;
                    }
                    Tok::LBrace if !keys.is_empty() => {
                        let value = self.object(token.span.start, depth + 1)?;
                        insert_indexed(&mut entries, &mut index, keys, value);
                        break;
                    }
                    other => {
                        let what = describe(&other);
                        let message = if keys.is_empty() {
                            format!("expected a key, found {what}")
                        } else {
                            format!("expected `=` or `{{` after key, found {what}")
                        };
                        return Err(err(token.span.start, message));
                    }
                }
            }
        }
    }

    /// An object whose `{` started at `open`; consumes the closing `}`.
    fn object(&mut self, open: usize, depth: usize) -> Result<Node, ParseError> {
        let entries = self.object_body(depth, true)?;
        let close = self.next().map_or(self.end, |t| t.span.end);
        Ok(Node {
            kind: NodeKind::Map(entries.into()),
            span: Span::new(open, close),
        })
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(err(
                self.here(),
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        let Some(token) = self.next() else {
            return Err(err(self.end, "expected a value before end of file"));
        };
        match token.tok {
            Tok::Str(value) => Ok(scalar(value, ScalarStyle::Quoted, token.span)),
            Tok::Heredoc(value) => Ok(scalar(value, ScalarStyle::Block, token.span)),
            Tok::Word(word) => Ok(scalar(word, ScalarStyle::Plain, token.span)),
            Tok::LBrace => self.object(token.span.start, depth),
            Tok::LBracket => {
                let mut items = Vec::new();
                loop {
                    match self.peek().map(|t| &t.tok) {
                        Some(Tok::RBracket) => {
                            let close = self.next().map_or(self.end, |t| t.span.end);
                            return Ok(Node {
                                kind: NodeKind::Seq(items),
                                span: Span::new(token.span.start, close),
                            });
                        }
                        Some(Tok::Comma) if !items.is_empty() => self.at += 1,
                        None => return Err(err(token.span.start, "list not closed with `]`")),
                        _ => items.push(self.value(depth + 1)?),
                    }
                }
            }
            other => Err(err(
                token.span.start,
                format!("expected a value, found {}", describe(&other)),
            )),
        }
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Str(s) => format!("string \"{s}\""),
        Tok::Word(w) => format!("`{w}`"),
        Tok::Heredoc(_) => "a heredoc".into(),
        Tok::LBrace => "`{`".into(),
        Tok::RBrace => "`}`".into(),
        Tok::LBracket => "`[`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::Equals => "`=`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Colon => "`:`".into(),
    }
}

fn scalar(value: String, style: ScalarStyle, span: Span) -> Node {
    Node {
        kind: NodeKind::Scalar { value, style },
        span,
    }
}

/// [`insert`] at the top of a body, finding the entry of the first key through `index`.
fn insert_indexed(
    entries: &mut Vec<Entry>,
    index: &mut HashMap<String, usize>,
    mut keys: Vec<Node>,
    value: Node,
) {
    let Some(first) = keys.first().and_then(|k| k.as_str()).map(str::to_owned) else {
        return insert(entries, keys, value);
    };
    if keys.len() == 1 {
        if matches!(value.kind, NodeKind::Map(_)) {
            index.entry(first).or_insert(entries.len());
        }
        if let Some(key) = keys.pop() {
            entries.push(Entry { key, value });
        }
        return;
    }
    match index.get(&first).and_then(|&at| entries.get_mut(at)) {
        Some(entry) => {
            keys.remove(0);
            entry.value.span.end = entry.value.span.end.max(value.span.end);
            if let NodeKind::Map(children) = &mut entry.value.kind {
                insert(children, keys, value);
            }
        }
        None => {
            index.insert(first, entries.len());
            let key = keys.remove(0);
            let span = Span::new(key.span.start, value.span.end);
            let mut children = Vec::new();
            insert(&mut children, keys, value);
            entries.push(Entry {
                key,
                value: Node {
                    kind: NodeKind::Map(children.into()),
                    span,
                },
            });
        }
    }
}

/// Adds `keys… = value`; items with labels merge into the mapping of their first key.
fn insert(entries: &mut Vec<Entry>, mut keys: Vec<Node>, value: Node) {
    if keys.len() == 1 {
        if let Some(key) = keys.pop() {
            entries.push(Entry { key, value });
        }
        return;
    }
    let first = keys.remove(0);
    let start = first.span.start;
    let existing = entries
        .iter_mut()
        .find(|e| e.key.as_str() == first.as_str() && matches!(e.value.kind, NodeKind::Map(_)));
    let end = value.span.end;
    match existing {
        Some(entry) => {
            entry.value.span.end = entry.value.span.end.max(end);
            if let NodeKind::Map(children) = &mut entry.value.kind {
                insert(children, keys, value);
            }
        }
        None => {
            let mut children = Vec::new();
            insert(&mut children, keys, value);
            entries.push(Entry {
                key: first,
                value: Node {
                    kind: NodeKind::Map(children.into()),
                    span: Span::new(start, end),
                },
            });
        }
    }
}

/// Parses an HCL1 document.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let tokens = lex(text)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        end: text.len(),
    };
    let entries = parser.object_body(0, false)?;
    Ok(Node {
        kind: NodeKind::Map(entries.into()),
        span: Span::new(0, text.len()),
    })
}

/// Keys Vault allows inside `path`; the last three are OpenBao's, which Vault refuses but
/// OpenBao accepts, so a policy written for either parses.
const PATH_KEYS: &[&str] = &[
    "comment",
    "policy",
    "capabilities",
    "allowed_parameters",
    "denied_parameters",
    "required_parameters",
    "min_wrapping_ttl",
    "max_wrapping_ttl",
    "mfa_methods",
    "control_group",
    "subscribe_event_types",
    "pagination_limit",
    "expiration",
    "list_scan_response_keys_filter_path",
];

const CAPABILITIES: &[&str] = &[
    "create",
    "read",
    "update",
    "patch",
    "delete",
    "list",
    "sudo",
    "deny",
    "subscribe",
    "recover",
    "scan",
    "root",
];

const LEGACY_POLICIES: &[&str] = &["deny", "read", "write", "sudo"];

/// Vault's own checks on a parsed policy (`vault/policy.go`), with the offending position.
pub fn validate_vault_policy(root: &Node) -> Result<(), ParseError> {
    for entry in root.as_map().unwrap_or_default() {
        let key = entry.key.as_str().unwrap_or_default();
        if !matches!(key, "name" | "path") {
            return Err(err(entry.key.span.start, format!("invalid key \"{key}\"")));
        }
    }
    let Some(paths) = root.get("path") else {
        return Ok(());
    };
    let Some(paths) = paths.as_map() else {
        return Err(err(
            paths.span.start,
            "`path` must be followed by a quoted path and a block",
        ));
    };
    for path in paths {
        let name = path.key.as_str().unwrap_or_default();
        let at = path.key.span.start;
        if name.contains("+*") {
            return Err(err(
                at,
                format!("path \"{name}\": invalid use of wildcards ('+*' is forbidden)"),
            ));
        }
        let Some(body) = path.value.as_map() else {
            return Err(err(
                path.value.span.start,
                format!("path \"{name}\": expected a block"),
            ));
        };
        for item in body {
            let key = item.key.as_str().unwrap_or_default();
            if !PATH_KEYS.contains(&key) {
                return Err(err(item.key.span.start, format!("invalid key \"{key}\"")));
            }
        }
        if let Some(policy) = path.value.get("policy") {
            let value = policy.as_str().unwrap_or_default();
            if !LEGACY_POLICIES.contains(&value) {
                return Err(err(
                    policy.span.start,
                    format!("path \"{name}\": invalid policy \"{value}\""),
                ));
            }
        }
        if let Some(caps) = path.value.get("capabilities") {
            for cap in caps.items() {
                let value = cap.as_str().unwrap_or_default();
                if !CAPABILITIES.contains(&value) {
                    return Err(err(
                        cap.span.start,
                        format!("path \"{name}\": invalid capability \"{value}\""),
                    ));
                }
            }
        }
        let ttl = |key: &str| {
            path.value
                .get(key)
                .map(|n| (n, n.as_str().and_then(crate::util::duration::seconds)))
        };
        if let (Some((_, Some(min))), Some((max_node, Some(max)))) =
            (ttl("min_wrapping_ttl"), ttl("max_wrapping_ttl"))
            && max < min
        {
            return Err(err(
                max_node.span.start,
                format!("path \"{name}\": max_wrapping_ttl cannot be less than min_wrapping_ttl"),
            ));
        }
        for key in ["min_wrapping_ttl", "max_wrapping_ttl"] {
            if let Some((node, None)) = ttl(key) {
                return Err(err(
                    node.span.start,
                    format!("path \"{name}\": invalid {key}"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::node::Route;

    #[test]
    fn brace_on_next_line_and_comments() {
        let text = "# admin\npath \"auth/*\"\n{\n  capabilities = [\"create\", \"read\",] // x\n}\n/* c */\n";
        let root = parse(text).unwrap();
        let cap = root
            .at(&Route::root()
                .key("path")
                .key("auth/*")
                .key("capabilities")
                .index(1))
            .unwrap();
        assert_eq!(&text[cap.span.start..cap.span.end], "\"read\"");
        validate_vault_policy(&root).unwrap();
    }

    #[test]
    fn block_inside_object() {
        let text = "path \"x\" {\n capabilities = [\"read\"]\n control_group = {\n  ttl = \"4h\"\n  factor \"a\" { identity = { approvals = 1 } }\n }\n}\n";
        let root = parse(text).unwrap();
        assert!(
            root.at(&Route::root()
                .key("path")
                .key("x")
                .key("control_group")
                .key("factor")
                .key("a")
                .key("identity")
                .key("approvals"))
                .is_some()
        );
        validate_vault_policy(&root).unwrap();
    }

    #[test]
    fn repeated_paths_share_a_mapping() {
        let root =
            parse("path \"a\" { policy = \"read\" }\npath \"b\" { policy = \"deny\" }\n").unwrap();
        assert_eq!(root.get("path").unwrap().as_map().unwrap().len(), 2);
    }

    #[test]
    fn errors_have_positions() {
        let error = parse("path \"a\" {\n  capabilities = [\"read\"\n").unwrap_err();
        assert!(error.message.contains("list"), "{}", error.message);
        let root = parse("path \"/\" {\n  capabilities = [\"read\", \"banana\"]\n}\n").unwrap();
        let error = validate_vault_policy(&root).unwrap_err();
        assert_eq!(error.message, "path \"/\": invalid capability \"banana\"");
        assert_eq!(error.offset, 37);
    }

    #[test]
    fn hostile_nesting_is_an_error() {
        let text = format!("a = {}", "[".repeat(10_000));
        assert!(parse(&text).is_err());
    }
}
