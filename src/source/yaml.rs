//! YAML (and JSON, which YAML 1.2 contains) into the spanned [`Node`] tree.
//!
//! Built on saphyr-parser's event stream, with an explicit stack instead of recursion so that
//! hostile nesting cannot overflow the stack, and with a budget on alias expansion so that an
//! alias bomb is an error rather than an out-of-memory kill.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle};

use super::node::{Entry, Node, NodeKind, ScalarStyle, Span};

/// Deeper than any real workflow or policy; deep enough nesting is an attack, not a config.
const MAX_DEPTH: usize = 512;
/// Nodes produced by alias expansion, in total, before the document is refused.
const MAX_ALIAS_NODES: usize = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the problem.
    pub offset: usize,
    pub message: String,
}

/// saphyr reports positions in characters; spans here are bytes.
struct CharToByte<'a> {
    text: &'a str,
    ascii: bool,
    char_pos: usize,
    byte_pos: usize,
}

impl<'a> CharToByte<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            ascii: text.is_ascii(),
            char_pos: 0,
            byte_pos: 0,
        }
    }

    /// Events arrive almost in order, so walking from the last answer is linear overall.
    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        while self.char_pos < char_index {
            let Some(c) = self.text[self.byte_pos..].chars().next() else {
                break;
            };
            self.byte_pos += c.len_utf8();
            self.char_pos += 1;
        }
        while self.char_pos > char_index {
            let Some(c) = self.text[..self.byte_pos].chars().next_back() else {
                break;
            };
            self.byte_pos -= c.len_utf8();
            self.char_pos -= 1;
        }
        self.byte_pos
    }
}

enum Frame {
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry>,
        pending_key: Option<Node>,
        size: usize,
    },
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
        size: usize,
    },
}

/// Parses the first document of `text`. An empty document is an empty plain scalar.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let mut to_byte = CharToByte::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut alias_budget = MAX_ALIAS_NODES;
    let mut root: Option<Node> = None;

    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|error| ParseError {
            offset: to_byte.byte(error.marker().index()),
            message: error.info().to_owned(),
        })?;
        let start = to_byte.byte(span.start.index());
        let end = to_byte.byte(span.end.index());
        // A completed node and its size in nodes, ready to attach to its parent.
        let (node, size, anchor) = match event {
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => continue,
            Event::DocumentEnd | Event::StreamEnd => {
                if root.is_some() {
                    break;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, _tag) => {
                let style = match style {
                    SaphyrStyle::Plain => ScalarStyle::Plain,
                    SaphyrStyle::SingleQuoted | SaphyrStyle::DoubleQuoted => ScalarStyle::Quoted,
                    SaphyrStyle::Literal | SaphyrStyle::Folded => ScalarStyle::Block,
                };
                // An absent value (`key:`) comes as a `~` with an empty span.
                let value = if start == end && value == "~" {
                    String::new()
                } else {
                    value.into_owned()
                };
                let node = Node {
                    kind: NodeKind::Scalar { value, style },
                    span: Span::new(start, end),
                };
                (node, 1, anchor)
            }
            Event::Alias(id) => {
                let Some((node, size)) = anchors.get(&id) else {
                    return Err(ParseError {
                        offset: start,
                        message: "alias refers to an unknown anchor".into(),
                    });
                };
                if *size > alias_budget {
                    return Err(ParseError {
                        offset: start,
                        message: format!(
                            "YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (alias bomb?)"
                        ),
                    });
                }
                alias_budget -= size;
                (node.clone(), *size, 0)
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError {
                        offset: start,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                let frame = if matches!(event, Event::MappingStart(..)) {
                    Frame::Map {
                        start,
                        anchor,
                        entries: Vec::new(),
                        pending_key: None,
                        size: 1,
                    }
                } else {
                    Frame::Seq {
                        start,
                        anchor,
                        items: Vec::new(),
                        size: 1,
                    }
                };
                stack.push(frame);
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some(frame) = stack.pop() else {
                    return Err(ParseError {
                        offset: start,
                        message: "unbalanced collection end".into(),
                    });
                };
                match frame {
                    Frame::Map {
                        start: map_start,
                        anchor,
                        entries,
                        size,
                        ..
                    } => {
                        let last = entries.last().map_or(map_start, |e| e.value.span.end);
                        let node = Node {
                            kind: NodeKind::Map(entries),
                            span: Span::new(map_start, last.max(end)),
                        };
                        (node, size, anchor)
                    }
                    Frame::Seq {
                        start: seq_start,
                        anchor,
                        items,
                        size,
                    } => {
                        let last = items.last().map_or(seq_start, |n| n.span.end);
                        let node = Node {
                            kind: NodeKind::Seq(items),
                            span: Span::new(seq_start, last.max(end)),
                        };
                        (node, size, anchor)
                    }
                }
            }
        };
        if anchor > 0 {
            anchors.insert(anchor, (node.clone(), size));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq {
                items, size: total, ..
            }) => {
                items.push(node);
                *total += size;
            }
            Some(Frame::Map {
                entries,
                pending_key,
                size: total,
                ..
            }) => {
                *total += size;
                match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(key) => entries.push(Entry { key, value: node }),
                }
            }
        }
    }
    Ok(root.unwrap_or(Node {
        kind: NodeKind::Scalar {
            value: String::new(),
            style: ScalarStyle::Plain,
        },
        span: Span::new(0, 0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::node::Route;

    #[test]
    fn spans_of_keys_and_values() {
        let text = "on: push\njobs:\n  build:\n    steps:\n      - run: echo hi\n";
        let root = parse(text).unwrap();
        let run = root
            .at(&Route::root()
                .key("jobs")
                .key("build")
                .key("steps")
                .index(0)
                .key("run"))
            .unwrap();
        assert_eq!(&text[run.span.start..run.span.end], "echo hi");
        let key = root.key_span(&Route::root().key("jobs")).unwrap();
        assert_eq!(&text[key.start..key.end], "jobs");
    }

    #[test]
    fn multibyte_text_gives_byte_spans() {
        let text = "name: \"déploiement ✓\"\nx: y\n";
        let root = parse(text).unwrap();
        let x = root.get("x").unwrap();
        assert_eq!(&text[x.span.start..x.span.end], "y");
    }

    #[test]
    fn alias_bomb_is_an_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let error = parse(&text).unwrap_err();
        assert!(error.message.contains("alias"), "{}", error.message);
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = "[".repeat(20_000);
        assert!(parse(&text).is_err());
    }

    #[test]
    fn empty_value_is_empty_string() {
        let root = parse("environment:\nx: 1\n").unwrap();
        assert_eq!(root.get_str("environment"), Some(""));
    }
}
