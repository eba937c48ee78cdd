//! The format-neutral document tree every rule reads.
//!
//! YAML, JSON and (later) HCL are all parsed into [`Node`]s that carry the byte span of every
//! key, value and sequence item. Rules never see line numbers: they name places by [`Route`]
//! and the source layer resolves routes to spans, and spans to lines, only for output.

use std::collections::HashMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

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
    Map(Mapping),
    Seq(Vec<Node>),
}

/// Maps at least this long get a key index on their first lookup; shorter ones are searched.
const INDEXED_MAP_LEN: usize = 16;

/// A mapping's entries in source order. Lookups by key in a large map (a workflow with tens of
/// thousands of jobs, a generated policy) go through an index built on first use, so resolving
/// every finding's route stays linear in the number of findings rather than quadratic.
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    entries: Vec<Entry>,
    /// Scalar key → position of its first entry, as the linear search would find it.
    index: OnceLock<HashMap<String, usize>>,
}

impl Mapping {
    /// The first entry whose key is the scalar `key`.
    pub fn find(&self, key: &str) -> Option<&Entry> {
        if self.entries.len() < INDEXED_MAP_LEN {
            return self
                .entries
                .iter()
                .find(|entry| entry.key.as_str() == Some(key));
        }
        let index = self.index.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.entries.len());
            for (position, entry) in self.entries.iter().enumerate() {
                if let Some(key) = entry.key.as_str() {
                    index.entry(key.to_owned()).or_insert(position);
                }
            }
            index
        });
        self.entries.get(*index.get(key)?)
    }
}

impl From<Vec<Entry>> for Mapping {
    fn from(entries: Vec<Entry>) -> Self {
        Self {
            entries,
            index: OnceLock::new(),
        }
    }
}

impl Deref for Mapping {
    type Target = Vec<Entry>;

    fn deref(&self) -> &Vec<Entry> {
        &self.entries
    }
}

impl DerefMut for Mapping {
    /// Entries may change (parsers merge repeated Terraform blocks), so the index is dropped.
    fn deref_mut(&mut self) -> &mut Vec<Entry> {
        self.index.take();
        &mut self.entries
    }
}

impl<'a> IntoIterator for &'a Mapping {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
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
        match &self.kind {
            NodeKind::Map(mapping) => mapping.find(key),
            _ => None,
        }
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
                    for entry in entries.iter_mut() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(value: &str) -> Node {
        Node {
            kind: NodeKind::Scalar {
                value: value.to_owned(),
                style: ScalarStyle::Plain,
            },
            span: Span::default(),
        }
    }

    fn map(keys: &[&str]) -> Node {
        let entries: Vec<Entry> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| Entry {
                key: scalar(key),
                value: scalar(&i.to_string()),
            })
            .collect();
        Node {
            kind: NodeKind::Map(entries.into()),
            span: Span::default(),
        }
    }

    /// Small maps are searched and large ones indexed; both find the first of repeated keys,
    /// as YAML duplicate keys and merged Terraform blocks expect.
    #[test]
    fn indexed_and_searched_lookups_agree() {
        for len in [3, INDEXED_MAP_LEN - 1, INDEXED_MAP_LEN, 1000] {
            let mut keys: Vec<String> = (0..len).map(|i| format!("job{i}")).collect();
            keys.push("job1".into());
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let node = map(&keys);
            assert_eq!(node.get_str("job1"), Some("1"), "len {len}");
            assert_eq!(
                node.get_str(&format!("job{}", len - 1)),
                Some((len - 1).to_string().as_str())
            );
            assert!(node.get("missing").is_none());
        }
    }

    /// Changing a map's entries after a lookup drops the stale index.
    #[test]
    fn mutation_after_lookup_is_seen() {
        let keys: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut node = map(&keys);
        assert_eq!(node.get_str("k50"), Some("50"));
        let NodeKind::Map(entries) = &mut node.kind else {
            unreachable!()
        };
        entries.remove(0);
        entries.push(Entry {
            key: scalar("late"),
            value: scalar("x"),
        });
        assert_eq!(node.get_str("k50"), Some("50"));
        assert_eq!(node.get_str("late"), Some("x"));
        assert!(node.get("k0").is_none());
    }
}
