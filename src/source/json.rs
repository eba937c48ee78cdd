//! Strict JSON into the same spanned [`Node`] tree the YAML parser builds, without the YAML
//! parser's cost: on a minified one-line document the YAML scanner queues every token of the
//! line before it yields one (about 20 bytes of queue per byte of JSON), so a 1 MB IAM dump
//! took some 25 MB to parse.
//!
//! The tree is the one [`super::yaml::parse`] gives for the same text: same nodes, values,
//! styles and spans (a `{…}`, `[…]` or `"…"` ends at its closing bracket or quote). Anything that is not strict JSON, or that the YAML
//! parser would refuse (a lone surrogate escape, nesting past its limit), is not decided
//! here: `parse` returns `None` and the caller falls back to the YAML parser, which accepts
//! JSON's YAML-flavoured relatives and words the errors.

use super::node::{Entry, Node, NodeKind, ScalarStyle, Span};

/// The YAML parser's nesting limit; deeper documents go to it for its error.
const MAX_DEPTH: usize = 512;

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// The tree of a strict JSON document, or `None` to let the YAML parser decide.
pub fn parse(text: &str) -> Option<Node> {
    let bytes = text.as_bytes();
    let mut parser = Parser {
        bytes,
        pos: if text.starts_with('\u{feff}') { 3 } else { 0 },
    };
    parser.skip_whitespace();
    if parser.pos >= bytes.len() {
        return None;
    }
    let node = parser.value(0)?;
    parser.skip_whitespace();
    (parser.pos == bytes.len()).then_some(node)
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Where a collection's or quoted scalar's span ends, as the YAML parser has it: right
    /// after its closing bracket or quote.
    fn collection_end(&mut self) -> usize {
        self.pos
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Node> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let start = self.pos;
        self.pos += 1;
        let mut entries = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                if self.peek() != Some(b'"') {
                    return None;
                }
                let key = self.string()?;
                self.skip_whitespace();
                if self.peek() != Some(b':') {
                    return None;
                }
                self.pos += 1;
                self.skip_whitespace();
                let value = self.value(depth + 1)?;
                entries.push(Entry { key, value });
                self.skip_whitespace();
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        self.skip_whitespace();
                    }
                    b'}' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let end = self.collection_end();
        Some(Node {
            kind: NodeKind::Map(entries.into()),
            span: Span::new(start, end),
        })
    }

    fn array(&mut self, depth: usize) -> Option<Node> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                items.push(self.value(depth + 1)?);
                self.skip_whitespace();
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        self.skip_whitespace();
                    }
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let end = self.collection_end();
        Some(Node {
            kind: NodeKind::Seq(items),
            span: Span::new(start, end),
        })
    }

    fn string(&mut self) -> Option<Node> {
        let start = self.pos;
        self.pos += 1;
        let mut value: Vec<u8> = Vec::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            value.extend_from_slice(&self.bytes[run_start..self.pos]);
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    let escape = *self.bytes.get(self.pos + 1)?;
                    self.pos += 2;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hex = std::str::from_utf8(self.bytes.get(self.pos..self.pos + 4)?)
                                .ok()?;
                            self.pos += 4;
                            // Surrogate escapes are refused by the YAML parser; let it say so.
                            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                        }
                        _ => return None,
                    };
                    let mut buffer = [0u8; 4];
                    value.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                }
                // A raw control character or line break: not JSON.
                _ => return None,
            }
        }
        let end = self.collection_end();
        Some(Node {
            kind: NodeKind::Scalar {
                value: String::from_utf8(value).ok()?,
                style: ScalarStyle::Quoted,
            },
            span: Span::new(start, end),
        })
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Option<Node> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        self.plain(start)
    }

    fn literal(&mut self, word: &str) -> Option<Node> {
        let start = self.pos;
        if !self.bytes[start..].starts_with(word.as_bytes()) {
            return None;
        }
        self.pos += word.len();
        self.plain(start)
    }

    /// A number or literal as a plain scalar; it must end where a plain scalar would.
    fn plain(&mut self, start: usize) -> Option<Node> {
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}') => {}
            Some(_) => return None,
        }
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
        Some(Node {
            kind: NodeKind::Scalar {
                value: text.to_owned(),
                style: ScalarStyle::Plain,
            },
            span: Span::new(start, self.pos),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yaml;

    /// Node trees compared field by field, spans included.
    pub(crate) fn same(a: &Node, b: &Node) -> bool {
        if a.span != b.span {
            return false;
        }
        match (&a.kind, &b.kind) {
            (
                NodeKind::Scalar {
                    value: va,
                    style: sa,
                },
                NodeKind::Scalar {
                    value: vb,
                    style: sb,
                },
            ) => va == vb && sa == sb,
            (NodeKind::Map(ea), NodeKind::Map(eb)) => {
                ea.len() == eb.len()
                    && ea
                        .iter()
                        .zip(eb)
                        .all(|(x, y)| same(&x.key, &y.key) && same(&x.value, &y.value))
            }
            (NodeKind::Seq(ia), NodeKind::Seq(ib)) => {
                ia.len() == ib.len() && ia.iter().zip(ib).all(|(x, y)| same(x, y))
            }
            _ => false,
        }
    }

    #[test]
    fn same_tree_as_the_yaml_parser() {
        let cases = [
            "{\"a\": \"x\\u00e9\\n\", \"b\": [1, true, null, -2.5e3], \"c\": {}, \"d\": []}",
            "{\n  \"a\": {\n    \"b\": \"c\"\n  },\n  \"e\": [\n    \"f\"\n  ]\n}\n",
            "{\"a\": {\"b\": 1}  , \"c\": [1 ,2 ]  }  ",
            "[ {} , [ ] ]\t\n\n",
            "{\"a\":\"\\\"q\\\\\\/\" , \"b\" : \"tab\\tend\"}",
            "\u{feff}{\"a\":1}",
            "{\"k\": \"v\"}\r\n",
            "\"x\"",
            "[0, -0, 10.25, 1E+2, 3e-1]",
            "{\"a\":1,\"a\":2}",
            "{\"é\": \"ünïcode ✓\"}",
            "{\"a\" : \"x\"  , \"b\": 1  }",
            "[ \"a\"\t]",
            "{\"a\": {\"b\": \"c\" } }",
            "[\"x\"\n  , 2\n  ]",
        ];
        for text in cases {
            let ours = parse(text).unwrap_or_else(|| panic!("not parsed: {text:?}"));
            let theirs = yaml::parse(text).unwrap();
            assert!(same(&ours, &theirs), "{text:?}\n{ours:#?}\n{theirs:#?}");
        }
    }

    /// Every JSON file of the shared corpus (IAM policies, API payloads, fixtures) gives the
    /// YAML parser's tree. Skipped when `../shared` is absent.
    #[test]
    fn same_tree_on_the_shared_corpus() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "json") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(std::path::Path::new("../shared/corpus"), &mut files);
        walk(std::path::Path::new("../shared/schemas"), &mut files);
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Some(ours) = parse(&text) else {
                continue;
            };
            let theirs = yaml::parse(&text);
            assert!(
                theirs.as_ref().is_ok_and(|t| same(&ours, t)),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn leaves_non_json_to_the_yaml_parser() {
        for text in [
            "",
            "  \n",
            "{a: 1}",
            "[1, 2,]",
            "{\"a\": 'x'}",
            "# comment\n{}",
            "{\"a\": \"\\ud83d\\ude00\"}",
            "{\"a\": 01}",
            "{\"a\": tru}",
            "{} {}",
            "{\"a\": \"line\nbreak\"}",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
        }
        assert!(parse(&"[".repeat(600)).is_none());
    }
}
