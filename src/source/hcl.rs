//! Terraform HCL (HCL2, via `hcl-edit`) into the spanned [`Node`] tree.
//!
//! Blocks become mappings keyed by their identifier and then by each label, so
//! `resource "aws_iam_role" "deploy" { … }` is reached by the route
//! `resource.aws_iam_role.deploy`. Unlabelled blocks (`statement { … }`, `tune { … }`) may
//! repeat, so they are always a sequence: `statement[0]`.
//!
//! Policies written inside Terraform are read as documents of their own and grafted into the
//! tree with spans into the `.tf` file: `jsonencode({ … })` becomes its argument, a heredoc
//! holding JSON becomes the parsed JSON, and a heredoc under a `policy` attribute that reads
//! as a Vault policy becomes the parsed Vault policy.

use std::collections::HashMap;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::Element;

use super::hcl1;
use super::node::{Entry, Mapping, Node, NodeKind, ScalarStyle, Span};
use super::yaml::{self, ParseError};

/// Deeper than any real Terraform; the tree is built recursively, so the depth is bounded.
const MAX_DEPTH: usize = 128;

/// Parses a Terraform file.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let (body, renamed) = parse_lenient(text)?;
    let mut cv = Converter { text, renamed };
    Ok(cv.body(&body, Span::new(0, text.len()), 0))
}

/// Parses a Terraform file into hcl-edit's syntax tree, accepting a repeated object key as
/// Terraform does (the evaluator keeps the last).
pub fn parse_body(text: &str) -> Result<Body, ParseError> {
    parse_lenient(text).map(|(body, _)| body)
}

/// Repeated object keys a file may have before it is taken for hostile input.
const MAX_RENAMED: usize = 256;

/// hcl-edit rejects an object with a repeated key, which Terraform accepts (the last one wins).
/// Each repeated key is overwritten, in a copy of the text, by a placeholder of the same byte
/// length, so every span still points into the original; the placeholder's offset maps back to
/// the key as written.
fn parse_lenient(text: &str) -> Result<(Body, Vec<(usize, String)>), ParseError> {
    let mut copy: Option<String> = None;
    let mut renamed: Vec<(usize, String)> = Vec::new();
    loop {
        let current = copy.as_deref().unwrap_or(text);
        let error = match hcl_edit::parser::parse_body(current) {
            Ok(body) => return Ok((body, renamed)),
            Err(error) => error,
        };
        let offset = error.location().offset().min(text.len());
        let failure = ParseError {
            offset,
            message: error.message().to_owned(),
        };
        if !failure.message.contains("redefined object key") || renamed.len() >= MAX_RENAMED {
            return Err(failure);
        }
        let Some((key, placeholder)) = placeholder_at(current, offset, renamed.len()) else {
            return Err(failure);
        };
        let mut next = current.to_string();
        next.replace_range(offset..offset + placeholder.len(), &placeholder);
        renamed.push((offset, key));
        copy = Some(next);
    }
}

/// The object key at `offset` and a unique placeholder of its byte length, or `None` when the
/// key is too short to hold one.
fn placeholder_at(text: &str, offset: usize, n: usize) -> Option<(String, String)> {
    let rest = text.get(offset..)?;
    let (key, len) = if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find('"')?;
        (quoted[..end].to_string(), end + 2)
    } else {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        (rest[..end].to_string(), end)
    };
    let tag = format!("_{n}");
    if rest.starts_with('"') {
        let inner = len - 2;
        (inner > tag.len()).then(|| (key, format!("\"{tag}{}\"", "_".repeat(inner - tag.len()))))
    } else {
        (len > tag.len()).then(|| (key, format!("{tag}{}", "_".repeat(len - tag.len()))))
    }
}

struct Converter<'t> {
    text: &'t str,
    /// Offsets of repeated keys renamed for the parser, with the key as written.
    renamed: Vec<(usize, String)>,
}

fn span_of(range: Option<std::ops::Range<usize>>) -> Span {
    range.map_or_else(Span::default, |r| Span::new(r.start, r.end))
}

fn scalar(value: impl Into<String>, style: ScalarStyle, span: Span) -> Node {
    Node {
        kind: NodeKind::Scalar {
            value: value.into(),
            style,
        },
        span,
    }
}

/// A body's entries while it is built: repeated blocks merge into the entry of their first
/// key, found through an index, so a file of many distinct block types or labels costs time
/// linear in its size (a linear search per block made 100k types take a minute).
#[derive(Default)]
struct Level {
    slots: Vec<Slot>,
    index: HashMap<String, usize>,
}

struct Slot {
    key: Node,
    value: SlotValue,
}

enum SlotValue {
    Done(Node),
    /// A labelled block's mapping, still being built.
    Labelled {
        span: Span,
        children: Level,
    },
}

impl Level {
    /// Adds an entry that never merges (an attribute, a block's last label).
    fn push(&mut self, key: Node, value: SlotValue) {
        if let Some(name) = key.as_str() {
            self.index
                .entry(name.to_owned())
                .or_insert(self.slots.len());
        }
        self.slots.push(Slot { key, value });
    }

    /// The first entry under `key`, created with `make` when absent.
    fn entry(
        &mut self,
        key: &str,
        key_span: Span,
        make: impl FnOnce() -> SlotValue,
    ) -> Option<&mut Slot> {
        let index = match self.index.get(key) {
            Some(&index) => index,
            None => {
                self.push(scalar(key, ScalarStyle::Plain, key_span), make());
                self.slots.len() - 1
            }
        };
        self.slots.get_mut(index)
    }

    fn finish(self) -> Mapping {
        self.slots
            .into_iter()
            .map(|slot| Entry {
                key: slot.key,
                value: match slot.value {
                    SlotValue::Done(node) => node,
                    SlotValue::Labelled { span, children } => Node {
                        kind: NodeKind::Map(children.finish()),
                        span,
                    },
                },
            })
            .collect::<Vec<_>>()
            .into()
    }
}

impl Converter<'_> {
    fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    fn body(&mut self, body: &Body, span: Span, depth: usize) -> Node {
        let mut entries = Level::default();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => {
                    let key = attribute.key.as_str();
                    let value = self.expr(&attribute.value, Some(key), depth + 1);
                    entries.push(
                        scalar(key, ScalarStyle::Plain, span_of(attribute.key.span())),
                        SlotValue::Done(value),
                    );
                }
                Structure::Block(block) => {
                    let block_span = span_of(block.span());
                    let ident_span = span_of(block.ident.span());
                    let inner = if depth >= MAX_DEPTH {
                        scalar("", ScalarStyle::Plain, block_span)
                    } else {
                        self.body(&block.body, block_span, depth + 1)
                    };
                    let ident = block.ident.as_str();
                    if block.labels.is_empty() {
                        let Some(slot) = entries.entry(ident, ident_span, || {
                            SlotValue::Done(Node {
                                kind: NodeKind::Seq(Vec::new()),
                                span: block_span,
                            })
                        }) else {
                            continue;
                        };
                        if let SlotValue::Done(node) = &mut slot.value {
                            node.span.end = node.span.end.max(block_span.end);
                            if let NodeKind::Seq(items) = &mut node.kind {
                                items.push(inner);
                            }
                        }
                        continue;
                    }
                    let empty_map = || SlotValue::Labelled {
                        span: block_span,
                        children: Level::default(),
                    };
                    let Some(mut slot) = entries.entry(ident, ident_span, empty_map) else {
                        continue;
                    };
                    let last = block.labels.len() - 1;
                    let mut inner = Some(inner);
                    for (i, label) in block.labels.iter().enumerate() {
                        let SlotValue::Labelled { span, children } = &mut slot.value else {
                            break;
                        };
                        span.end = span.end.max(block_span.end);
                        let label_span = span_of(label.span());
                        if i == last {
                            if let Some(inner) = inner.take() {
                                children.push(
                                    scalar(label.as_str(), ScalarStyle::Quoted, label_span),
                                    SlotValue::Done(inner),
                                );
                            }
                            break;
                        }
                        let Some(next) = children.entry(label.as_str(), label_span, empty_map)
                        else {
                            break;
                        };
                        slot = next;
                    }
                }
            }
        }
        Node {
            kind: NodeKind::Map(entries.finish()),
            span,
        }
    }

    fn expr(&mut self, expr: &Expression, key: Option<&str>, depth: usize) -> Node {
        let span = span_of(expr.span());
        if depth >= MAX_DEPTH {
            return scalar(self.slice(span), ScalarStyle::Plain, span);
        }
        match expr {
            Expression::Null(_) => scalar("null", ScalarStyle::Plain, span),
            Expression::Bool(b) => scalar(b.value().to_string(), ScalarStyle::Plain, span),
            Expression::String(s) => scalar(s.value().as_str(), ScalarStyle::Quoted, span),
            Expression::Array(array) => Node {
                kind: NodeKind::Seq(
                    array
                        .iter()
                        .map(|item| self.expr(item, None, depth + 1))
                        .collect(),
                ),
                span,
            },
            Expression::Object(object) => {
                let mut entries: Vec<Entry> = Vec::new();
                for (k, v) in object.iter() {
                    let key_node = self.object_key(k);
                    let value = self.expr(v.expr(), key_node.as_str(), depth + 1);
                    // A repeated key: the last one wins, as in Terraform.
                    if let Some(key) = key_node.as_str() {
                        entries.retain(|e| e.key.as_str() != Some(key));
                    }
                    entries.push(Entry {
                        key: key_node,
                        value,
                    });
                }
                Node {
                    kind: NodeKind::Map(entries.into()),
                    span,
                }
            }
            Expression::StringTemplate(_) => {
                let raw = self.slice(span);
                let inner = raw
                    .strip_prefix('"')
                    .and_then(|r| r.strip_suffix('"'))
                    .unwrap_or(raw);
                scalar(inner, ScalarStyle::Quoted, span)
            }
            Expression::HeredocTemplate(heredoc) => {
                let body_span = span_of(heredoc.template.span());
                if let Some(node) = self.embedded(body_span, key) {
                    return node;
                }
                let literal: Option<String> = heredoc
                    .template
                    .iter()
                    .map(|element| match element {
                        Element::Literal(text) => Some(text.value().as_str()),
                        _ => None,
                    })
                    .collect();
                let value = literal.unwrap_or_else(|| self.slice(body_span).to_owned());
                scalar(value, ScalarStyle::Block, span)
            }
            Expression::Parenthesis(inner) => self.expr(inner.inner(), key, depth + 1),
            Expression::FuncCall(call)
                if call.name.name.as_str() == "jsonencode" && call.args.len() == 1 =>
            {
                match call.args.get(0) {
                    Some(arg) => self.expr(arg, key, depth + 1),
                    None => scalar(self.slice(span), ScalarStyle::Plain, span),
                }
            }
            _ => scalar(self.slice(span), ScalarStyle::Plain, span),
        }
    }

    fn object_key(&mut self, key: &ObjectKey) -> Node {
        let span = span_of(key.span());
        if let Some((_, original)) = self.renamed.iter().find(|(at, _)| *at == span.start) {
            return scalar(original.clone(), ScalarStyle::Quoted, span);
        }
        match key {
            ObjectKey::Ident(ident) => scalar(ident.as_str(), ScalarStyle::Plain, span),
            ObjectKey::Expression(Expression::String(s)) => {
                scalar(s.value().as_str(), ScalarStyle::Quoted, span)
            }
            ObjectKey::Expression(_) => scalar(self.slice(span), ScalarStyle::Plain, span),
        }
    }

    /// A heredoc that holds a document of its own: JSON, or a Vault policy under `policy`.
    fn embedded(&self, span: Span, key: Option<&str>) -> Option<Node> {
        let raw = self.slice(span);
        let trimmed = raw.trim_start();
        let mut node = if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let node = yaml::parse(raw).ok()?;
            if !matches!(node.kind, NodeKind::Map(_) | NodeKind::Seq(_)) {
                return None;
            }
            node
        } else if key == Some("policy") {
            let node = hcl1::parse(raw).ok()?;
            node.get("path")?;
            node
        } else {
            return None;
        };
        node.shift(span.start);
        Some(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::node::Route;

    fn at<'t>(text: &'t str, node: &Node) -> &'t str {
        &text[node.span.start..node.span.end]
    }

    #[test]
    fn blocks_are_maps_by_label_and_unlabelled_blocks_are_sequences() {
        let text = r#"
resource "aws_iam_role" "deploy" {
  name = "deploy"
  max_session_duration = 43200
}
data "aws_iam_policy_document" "p" {
  statement {
    actions = ["s3:*"]
  }
  statement {
    actions = ["ec2:*"]
  }
}
"#;
        let root = parse(text).unwrap();
        let max = root
            .at(&Route::root()
                .key("resource")
                .key("aws_iam_role")
                .key("deploy")
                .key("max_session_duration"))
            .unwrap();
        assert_eq!(at(text, max), "43200");
        let second = root
            .at(&Route::root()
                .key("data")
                .key("aws_iam_policy_document")
                .key("p")
                .key("statement")
                .index(1)
                .key("actions")
                .index(0))
            .unwrap();
        assert_eq!(second.as_str(), Some("ec2:*"));
        assert_eq!(at(text, second), "\"ec2:*\"");
    }

    #[test]
    fn jsonencode_and_heredoc_json_point_into_the_file() {
        let text = r#"
resource "aws_iam_role" "a" {
  assume_role_policy = jsonencode({
    Statement = [{ Action = "sts:AssumeRoleWithWebIdentity" }]
  })
}
resource "aws_iam_policy" "b" {
  policy = <<EOF
{
  "Statement": [{"Action": "s3:*", "Resource": "*"}]
}
EOF
}
"#;
        let root = parse(text).unwrap();
        let action = root
            .at(&Route::root()
                .key("resource")
                .key("aws_iam_role")
                .key("a")
                .key("assume_role_policy")
                .key("Statement")
                .index(0)
                .key("Action"))
            .unwrap();
        assert_eq!(at(text, action), "\"sts:AssumeRoleWithWebIdentity\"");
        let action = root
            .at(&Route::root()
                .key("resource")
                .key("aws_iam_policy")
                .key("b")
                .key("policy")
                .key("Statement")
                .index(0)
                .key("Action"))
            .unwrap();
        assert_eq!(action.as_str(), Some("s3:*"));
        assert_eq!(at(text, action), "\"s3:*\"");
    }

    #[test]
    fn vault_policy_heredoc_is_parsed() {
        let text = "resource \"vault_policy\" \"p\" {\n  policy = <<EOT\npath \"*\"\n{\n  capabilities = [\"sudo\"]\n}\nEOT\n}\n";
        let root = parse(text).unwrap();
        let caps = root
            .at(&Route::root()
                .key("resource")
                .key("vault_policy")
                .key("p")
                .key("policy")
                .key("path")
                .key("*")
                .key("capabilities")
                .index(0))
            .unwrap();
        assert_eq!(at(text, caps), "\"sudo\"");
    }

    #[test]
    fn syntax_error_has_an_offset() {
        let error = parse("resource \"a\" \"b\" {\n  x = \n}\n").unwrap_err();
        assert!(error.offset > 0);
    }
}
