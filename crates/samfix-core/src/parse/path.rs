//! Where a node is, as a path from the root, and why a template could not be read.

use std::fmt;

use compact_str::CompactString;

/// One step on the way from the document root to a node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(untagged)]
pub enum Seg {
    /// A map key.
    Key(CompactString),
    /// A sequence index.
    Index(usize),
}

/// The way from the document root to a node.
pub type Path = Vec<Seg>;

/// A path as people write it: keys joined by dots, indexes in brackets, as in `a.b[0].c`.
pub fn display_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Why a template could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where the problem is, as a byte offset into the source.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
    /// Another place the message is about, such as the first of two duplicate keys.
    pub related: Option<usize>,
}

impl ParseError {
    /// An error at `offset`, saying `message`.
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        ParseError {
            offset,
            message: message.into(),
            related: None,
        }
    }

    /// The error, with `offset` as the other place it is about.
    pub fn with_related(mut self, offset: usize) -> Self {
        self.related = Some(offset);
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}
