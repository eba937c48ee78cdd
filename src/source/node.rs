//! The format-neutral document tree every rule reads.
//!
//! YAML, JSON and (later) HCL are all parsed into [`Node`]s that carry the byte span of every
//! key, value and sequence item. Rules never see line numbers: they name places by [`Route`]
//! and the source layer resolves routes to spans, and spans to lines, only for output.

use std::fmt;

/// A half-open byte range in the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

/// How a scalar was written; rules use it to tell `"*"` from a block of shell script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    Quoted,
    Block,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    Scalar { value: String, style: ScalarStyle },
    Map(Vec<Entry>),
    Seq(Vec<Node>),
}

#[derive(Clone, Debug)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

/// One step of a route: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A path from the document root to a node, e.g. `jobs → build → steps → 0 → run`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Route(pub Vec<Step>);

impl Route {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_owned()));
        Self(steps)
    }

    pub fn index(&self, index: usize) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        Self(steps)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match step {
                Step::Key(key) => f.write_str(key)?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn style(&self) -> Option<ScalarStyle> {
        match &self.kind {
            NodeKind::Scalar { style, .. } => Some(*style),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The value under `key` when this node is a mapping with a scalar key of that text.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?
            .iter()
            .find(|entry| entry.key.as_str() == Some(key))
    }

    /// Mapping entries whose keys are scalars, as `(key, value)` pairs.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|entry| Some((entry.key.as_str()?, &entry.value)))
    }

    /// The scalar under `key`, as text.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// Items of a sequence, or the node itself when a single value stands where a list may.
    pub fn items(&self) -> Vec<&Node> {
        match &self.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![self],
        }
    }

    /// Follows a route from this node.
    pub fn at(&self, route: &Route) -> Option<&Node> {
        let mut node = self;
        for step in &route.0 {
            node = match step {
                Step::Key(key) => node.get(key)?,
                Step::Index(index) => node.as_seq()?.get(*index)?,
            };
        }
        Some(node)
    }

    /// The span of the key that leads to `route`'s last step, when that step is a key.
    pub fn key_span(&self, route: &Route) -> Option<Span> {
        let (last, parent) = route.0.split_last()?;
        let parent = self.at(&Route(parent.to_vec()))?;
        match last {
            Step::Key(key) => Some(parent.entry(key)?.key.span),
            Step::Index(index) => Some(parent.as_seq()?.get(*index)?.span),
        }
    }

    /// Moves every span by `offset` bytes: a document parsed out of a larger file (a heredoc
    /// in Terraform) then points into that file.
    pub fn shift(&mut self, offset: usize) {
        let mut stack: Vec<&mut Node> = vec![self];
        while let Some(node) = stack.pop() {
            node.span.start += offset;
            node.span.end += offset;
            match &mut node.kind {
                NodeKind::Scalar { .. } => {}
                NodeKind::Seq(items) => stack.extend(items.iter_mut()),
                NodeKind::Map(entries) => {
                    for entry in entries {
                        stack.push(&mut entry.key);
                        stack.push(&mut entry.value);
                    }
                }
            }
        }
    }

    /// A scalar reading as a YAML boolean (`true`, `True`, …).
    pub fn is_true(&self) -> bool {
        matches!(self.as_str(), Some("true" | "True" | "TRUE"))
    }
}
