//! Terraform values as the evaluator knows them, with "unknown" as a value of its own.

use crate::source::node::{Entry, Mapping};
use crate::source::{Node, NodeKind, ScalarStyle, Span};

/// A value of a Terraform expression. [`Value::Unknown`] holds what could not be resolved,
/// written as Terraform would interpolate it: `${var.org}`, or a whole string with the
/// unresolved parts kept in `${…}` (`repo:${var.org}/*`).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
    Unknown(String),
}

impl Value {
    /// An unknown value naming the expression that could not be resolved.
    pub fn unknown(expression: &str) -> Self {
        Value::Unknown(format!("${{{}}}", expression.trim()))
    }

    pub fn is_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(items) => items.iter().all(Value::is_known),
            Value::Map(entries) => entries.iter().all(|(_, v)| v.is_known()),
            _ => true,
        }
    }

    /// The value as a template interpolates it; `None` for collections.
    pub fn as_text(&self) -> Option<String> {
        Some(match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => number_text(*n),
            Value::String(s) | Value::Unknown(s) => s.clone(),
            Value::List(_) | Value::Map(_) => return None,
        })
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as a document node, every part spanning `span` (the expression it came from).
    pub fn to_node(&self, span: Span) -> Node {
        let scalar = |value: String, style: ScalarStyle| Node {
            kind: NodeKind::Scalar { value, style },
            span,
        };
        match self {
            Value::Null => scalar("null".into(), ScalarStyle::Plain),
            Value::Bool(b) => scalar(b.to_string(), ScalarStyle::Plain),
            Value::Number(n) => scalar(number_text(*n), ScalarStyle::Plain),
            Value::String(s) | Value::Unknown(s) => scalar(s.clone(), ScalarStyle::Quoted),
            Value::List(items) => Node {
                kind: NodeKind::Seq(items.iter().map(|v| v.to_node(span)).collect()),
                span,
            },
            Value::Map(entries) => {
                let entries: Vec<Entry> = entries
                    .iter()
                    .map(|(k, v)| Entry {
                        key: scalar(k.clone(), ScalarStyle::Quoted),
                        value: v.to_node(span),
                    })
                    .collect();
                Node {
                    kind: NodeKind::Map(Mapping::from(entries)),
                    span,
                }
            }
        }
    }

    /// A document node read back as a value (a JSON heredoc, a literal block body).
    pub fn from_node(node: &Node) -> Value {
        match &node.kind {
            NodeKind::Scalar { value, style } => match style {
                ScalarStyle::Plain => literal(value).unwrap_or_else(|| Value::unknown(value)),
                _ if is_unresolved(value) => Value::Unknown(value.clone()),
                _ => Value::String(value.clone()),
            },
            NodeKind::Seq(items) => Value::List(items.iter().map(Value::from_node).collect()),
            NodeKind::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|e| {
                        (
                            e.key.as_str().unwrap_or_default().to_string(),
                            Value::from_node(&e.value),
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// The value as JSON text (`jsonencode` used inside a string); `None` when unknown.
    pub fn to_json(&self) -> Option<String> {
        fn walk(value: &Value) -> Option<serde_json::Value> {
            Some(match value {
                Value::Null => serde_json::Value::Null,
                Value::Bool(b) => serde_json::Value::Bool(*b),
                Value::Number(n) => serde_json::Number::from_f64(*n)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number),
                Value::String(s) => serde_json::Value::String(s.clone()),
                Value::List(items) => {
                    serde_json::Value::Array(items.iter().map(walk).collect::<Option<_>>()?)
                }
                Value::Map(entries) => serde_json::Value::Object(
                    entries
                        .iter()
                        .map(|(k, v)| Some((k.clone(), walk(v)?)))
                        .collect::<Option<_>>()?,
                ),
                Value::Unknown(_) => return None,
            })
        }
        walk(self).map(|json| json.to_string())
    }
}

/// A literal as a plain scalar holds it: a number, `true`, `false` or `null`.
pub fn literal(text: &str) -> Option<Value> {
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => text
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Value::Number),
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// What a string still leaves unresolved: the expressions inside its `${…}`, for messages.
pub fn unresolved_parts(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let mut depth = 1usize;
        let mut end = None;
        for (i, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            out.push(after);
            break;
        };
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    out
}

/// Whether a value read from a Terraform document is unresolved (holds a `${…}`).
pub fn is_unresolved(text: &str) -> bool {
    text.contains("${")
}

/// "could not resolve `var.org`": the phrase rules use for an unresolved value.
pub fn could_not_resolve(text: &str) -> String {
    let parts = unresolved_parts(text);
    let names: Vec<String> = parts.iter().map(|p| format!("`{}`", p.trim())).collect();
    if names.is_empty() {
        format!("could not resolve `{text}`")
    } else {
        format!("could not resolve {}", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unresolved_parts_are_named() {
        assert_eq!(
            unresolved_parts("repo:${var.org}/${local.x[\"a\"]}:*"),
            vec!["var.org", "local.x[\"a\"]"]
        );
        assert_eq!(
            could_not_resolve("repo:${var.org}/*"),
            "could not resolve `var.org`"
        );
        assert!(!is_unresolved("repo:acme/app:*"));
    }
}
