//! Files found, classified and parsed once into spanned documents.

pub mod discover;
pub mod fsio;
pub mod hcl;
pub mod hcl1;
pub mod json;
pub mod node;
pub mod yaml;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::OnceLock;

pub use node::{Node, NodeKind, Route, ScalarStyle, Span, Step};

/// What a file is, decided from its path and, where the path is not enough, its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    Workflow,
    Action,
    IamJson,
    CloudFormation,
    VaultPolicy,
    Terraform,
    Settings,
    Policy,
    Other,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Workflow => "workflow",
            FileKind::Action => "action",
            FileKind::IamJson => "iam-json",
            FileKind::CloudFormation => "cloudformation",
            FileKind::VaultPolicy => "vault-policy",
            FileKind::Terraform => "terraform",
            FileKind::Settings => "settings",
            FileKind::Policy => "policy",
            FileKind::Other => "other",
        }
    }
}

/// A file read and parsed: the unit every rule sees.
pub struct SourceFile {
    /// Path relative to the scan root, with `/` separators; what outputs print.
    pub path: String,
    /// Path as given to the file system.
    pub fs_path: PathBuf,
    pub text: String,
    pub kind: FileKind,
    /// The document tree, for formats parsed into one.
    pub root: Option<Node>,
    line_starts: Vec<usize>,
    /// Characters before each [`CHAR_BLOCK`]-byte block, so a column deep in a long line
    /// (minified JSON) is counted from the nearest block, not from the line's start; empty
    /// when the text is ASCII and columns are byte counts.
    char_marks: Vec<usize>,
    /// Where each `${{ … }}` starts, by the hash of its text; built on the first fragment looked
    /// up, so that many distinct expressions in one script are each found without a search of
    /// the whole script.
    expressions: OnceLock<HashMap<u64, Vec<usize>>>,
}

/// Longest `${{ … }}` the index of [`SourceFile::find_fragment`] holds; longer ones are searched.
const MAX_INDEXED_EXPRESSION: usize = 512;

/// Bytes between two marks of [`SourceFile::char_marks`].
const CHAR_BLOCK: usize = 4096;

/// A 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(
        path: String,
        fs_path: PathBuf,
        text: String,
        kind: FileKind,
        root: Option<Node>,
    ) -> Self {
        let line_starts = line_starts(&text);
        let char_marks = if text.is_ascii() {
            Vec::new()
        } else {
            let mut marks = Vec::with_capacity(text.len() / CHAR_BLOCK + 1);
            let mut count = 0;
            for block in text.as_bytes().chunks(CHAR_BLOCK) {
                marks.push(count);
                count += char_starts(block);
            }
            marks.push(count);
            marks
        };
        Self {
            path,
            fs_path,
            text,
            kind,
            root,
            line_starts,
            char_marks,
            expressions: OnceLock::new(),
        }
    }

    /// Offset of the first occurrence of `fragment` inside `span`, as a search of that text
    /// would find it. A `${{ … }}` with no `}}` before its end is looked up in an index of the
    /// file's expressions, built once; anything else is searched.
    pub fn find_fragment(&self, span: Span, fragment: &str) -> Option<usize> {
        let indexed = fragment.len() >= 5
            && fragment.len() <= MAX_INDEXED_EXPRESSION
            && fragment.starts_with("${{")
            && fragment.get(3..).and_then(|rest| rest.find("}}")) == Some(fragment.len() - 5);
        if !indexed {
            let at = self.slice(span).find(fragment)?;
            return Some(span.start + at);
        }
        // An occurrence at `p` starts with `${{` and its first `}}` after that ends it, so it is
        // an indexed expression of the same text; the first at or after `span.start` is the one.
        let starts = self
            .expressions
            .get_or_init(|| expression_index(&self.text))
            .get(&text_hash(fragment))?;
        let from = starts.partition_point(|&p| p < span.start);
        starts
            .get(from..)?
            .iter()
            .copied()
            .take_while(|&p| p + fragment.len() <= span.end)
            .find(|&p| self.text.get(p..p + fragment.len()) == Some(fragment))
    }

    /// Characters in the text before a byte offset.
    fn chars_before(&self, offset: usize) -> usize {
        if self.char_marks.is_empty() {
            return offset;
        }
        let block = offset / CHAR_BLOCK;
        let base = self.char_marks.get(block).copied().unwrap_or(0);
        let start = (block * CHAR_BLOCK).min(offset);
        base + char_starts(self.text.as_bytes().get(start..offset).unwrap_or(&[]))
    }

    /// Line and column of a byte offset; computed only for output.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let column = self
            .chars_before(offset)
            .saturating_sub(self.chars_before(line_start))
            + 1;
        Position {
            line: line_index + 1,
            column,
        }
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Byte offset where a 1-based line starts; the end of the text past the last line.
    pub fn line_offset(&self, line: usize) -> usize {
        self.line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The source text under a span.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }
}

/// Bytes that start a UTF-8 character.
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

fn text_hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Each `${{` of `text` up to its first `}}`, by the hash of that text, in order. The next `}}`
/// is found once for all the `${{` before it, so the index costs one pass.
fn expression_index(text: &str) -> HashMap<u64, Vec<usize>> {
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut close: Option<usize> = None;
    for (start, _) in text.match_indices("${{") {
        let from = start + 3;
        if close.is_none_or(|c| c < from) {
            close = text
                .get(from..)
                .and_then(|rest| rest.find("}}"))
                .map(|at| from + at);
        }
        let Some(end) = close.map(|c| c + 2) else {
            break;
        };
        if end - start <= MAX_INDEXED_EXPRESSION
            && let Some(expression) = text.get(start..end)
        {
            index.entry(text_hash(expression)).or_default().push(start);
        }
    }
    index
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
    starts
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == b'\n').then_some(i))
}

/// Why a file could not be analysed.
#[derive(Clone, Debug)]
pub struct FileError {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}
