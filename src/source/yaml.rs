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

/// How many lines the indentation repair may re-indent before the original error stands.
const MAX_REPAIRS: usize = 64;

/// Where a collection ends. A flow collection ends at its closing bracket; a block collection's
/// end event sits at the next token, past blank lines and comments, so it ends with its last
/// child instead (else a step's region would run into the next step).
fn collection_end(text: &str, event_start: usize, event_end: usize, last_child: usize) -> usize {
    // A flow collection's end event covers its bracket and any blanks after it; the node
    // ends right after the bracket.
    match text.get(event_start..event_end) {
        Some(closing) if closing.starts_with([']', '}']) => (event_start + 1).max(last_child),
        _ => last_child,
    }
}

/// Parses the first document of `text`. An empty document is an empty plain scalar.
///
/// saphyr follows the YAML spec's indentation rules for flow collections and multi-line
/// quoted scalars strictly, while PyYAML, go-yaml and GitHub itself accept continuation lines
/// indented no deeper than their parent key (real workflows rely on this). When the strict
/// parse fails on indentation, the offending continuation lines are indented a little more in
/// a copy, the copy is parsed, and its spans are mapped back to the original text.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let first_error = match parse_strict(text) {
        Ok(node) => return Ok(node),
        Err(error) if error.message.contains("indentation") => error,
        Err(error) => return Err(error),
    };
    let mut repaired = Repair::default();
    let mut attempt = text.to_string();
    let mut error = first_error.clone();
    // Mid-line errors (a quoted scalar's start) repeat at the same place while the scalar's
    // later lines still need help; walk down its lines one at a time.
    let mut next_line_after: HashMap<usize, usize> = HashMap::new();
    for _ in 0..MAX_REPAIRS {
        let line_start = attempt[..error.offset.min(attempt.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let indent =
            attempt[line_start..].len() - attempt[line_start..].trim_start_matches(' ').len();
        let at_line_start = error.offset <= line_start + indent;
        let target = if at_line_start {
            line_start
        } else {
            let skip = next_line_after.entry(error.offset).or_insert(0);
            *skip += 1;
            let mut start = line_start;
            for _ in 0..*skip {
                match attempt[start..].find('\n') {
                    Some(i) => start += i + 1,
                    None => return Err(first_error),
                }
            }
            start
        };
        let width = if at_line_start { 2 } else { indent + 2 };
        if at_line_start {
            // The lines after it at the same depth are the same slip (a flow list's items, a
            // quoted scalar's lines): mend them in the same copy, so one slip costs one more
            // parse, not one per line.
            attempt = indent_run(&attempt, line_start, indent, width, &mut repaired);
        } else {
            attempt.insert_str(target, &" ".repeat(width));
            repaired.record(target, width);
        }
        match parse_strict(&attempt) {
            Ok(mut node) => {
                repaired.map_back(&mut node);
                return Ok(node);
            }
            Err(next) if next.message.contains("indentation") => error = next,
            Err(_) => return Err(first_error),
        }
    }
    Err(first_error)
}

/// `text` with `width` spaces put before the line at `first` and before each line after it
/// indented exactly `indent` deep, up to the first line that is not (blank lines pass); each
/// insertion recorded as if made one after the other, top to bottom.
fn indent_run(
    text: &str,
    first: usize,
    indent: usize,
    width: usize,
    repaired: &mut Repair,
) -> String {
    let mut out = String::with_capacity(text.len() + width * 16);
    out.push_str(&text[..first]);
    let pad = " ".repeat(width);
    let mut at = first;
    let mut is_first = true;
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        let line = &text[at..end];
        let body = line.trim_start_matches(' ');
        let depth = line.len() - body.len();
        let blank = body.trim().is_empty();
        // A block key or item at that depth is structure, not the slip's continuation.
        let structure = body.starts_with("- ")
            || body.split_once(':').is_some_and(|(key, rest)| {
                (rest.is_empty() || rest.starts_with([' ', '\n', '\r']))
                    && !key.is_empty()
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            });
        if !is_first && !blank && (depth != indent || structure) {
            break;
        }
        if !blank {
            repaired.record(out.len(), width);
            out.push_str(&pad);
        }
        out.push_str(line);
        at = end;
        is_first = false;
        // A closing bracket ends the flow collection, and with it the slip.
        if body.starts_with([']', '}']) {
            break;
        }
    }
    out.push_str(&text[at..]);
    out
}

/// Spaces inserted into a copy of the text, to map spans back to the original.
#[derive(Default)]
struct Repair {
    /// (position in the repaired text, spaces inserted there), in insertion order.
    insertions: Vec<(usize, usize)>,
}

impl Repair {
    fn record(&mut self, position: usize, width: usize) {
        self.insertions.push((position, width));
    }

    /// Undoes the insertions, last first, for one offset.
    fn original(&self, mut offset: usize) -> usize {
        for &(position, width) in self.insertions.iter().rev() {
            if offset >= position + width {
                offset -= width;
            } else if offset > position {
                offset = position;
            }
        }
        offset
    }

    fn map_back(&self, root: &mut Node) {
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            node.span = Span::new(self.original(node.span.start), self.original(node.span.end));
            match &mut node.kind {
                NodeKind::Scalar { .. } => {}
                NodeKind::Seq(items) => stack.extend(items.iter_mut()),
                NodeKind::Map(entries) => {
                    for entry in entries.iter_mut() {
                        stack.push(&mut entry.key);
                        stack.push(&mut entry.value);
                    }
                }
            }
        }
    }
}

fn parse_strict(text: &str) -> Result<Node, ParseError> {
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
                // saphyr's span of a quoted scalar takes in the blanks after the closing
                // quote; the node ends at the quote.
                let end = match style {
                    ScalarStyle::Quoted => {
                        start
                            + text
                                .get(start..end)
                                .map_or(end - start, |s| s.trim_end_matches([' ', '\t']).len())
                    }
                    _ => end,
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
                        let last = entries
                            .last()
                            .map_or(map_start, |e| e.value.span.end.max(e.key.span.end));
                        let node = Node {
                            kind: NodeKind::Map(entries.into()),
                            span: Span::new(map_start, collection_end(text, start, end, last)),
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
                            span: Span::new(seq_start, collection_end(text, start, end, last)),
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
    fn lenient_flow_and_quoted_indentation() {
        let text = "jobs:\n  a:\n    matrix:\n      d: [\n        'x'\n      ]\n    run: \"echo $(a\n 'b')\"\n    id: z\n";
        let root = parse(text).unwrap();
        let id = root
            .at(&Route::root().key("jobs").key("a").key("id"))
            .unwrap();
        assert_eq!(&text[id.span.start..id.span.end], "z");
        let d = root
            .at(&Route::root().key("jobs").key("a").key("matrix").key("d"))
            .unwrap();
        assert_eq!(d.as_seq().unwrap().len(), 1);
    }

    #[test]
    fn a_flow_list_slipped_on_every_line_is_mended_in_one_copy() {
        // Far more slipped lines than MAX_REPAIRS: one copy mends them all, and the key after
        // the closing bracket keeps its place.
        let items: String = (0..200).map(|k| format!(" a{k},\n")).collect();
        let text = format!("jobs:\n  z:\n    d: [\n{items} ]\n    id: q\n");
        let root = parse(&text).unwrap();
        let z = Route::root().key("jobs").key("z");
        let d = root.at(&z.clone().key("d")).unwrap();
        assert_eq!(d.as_seq().unwrap().len(), 200);
        let last = &d.as_seq().unwrap()[199];
        assert_eq!(&text[last.span.start..last.span.end], "a199");
        let id = root.at(&z.key("id")).unwrap();
        assert_eq!(&text[id.span.start..id.span.end], "q");
    }

    #[test]
    fn collections_end_at_their_last_child_or_bracket() {
        let text = "steps:\n  - a: 1\n    b: [x, y]\n\n  # next\n  - c: {d: e}\n";
        let root = parse(text).unwrap();
        let steps = root.get("steps").unwrap().as_seq().unwrap();
        assert_eq!(
            &text[steps[0].span.start..steps[0].span.end],
            "a: 1\n    b: [x, y]"
        );
        assert_eq!(&text[steps[1].span.start..steps[1].span.end], "c: {d: e}");
        let d = steps[1].get("c").unwrap();
        assert_eq!(&text[d.span.start..d.span.end], "{d: e}");
    }

    #[test]
    fn empty_value_is_empty_string() {
        let root = parse("environment:\nx: 1\n").unwrap();
        assert_eq!(root.get_str("environment"), Some(""));
    }
}
