//! Where a node is, as a path from the root, and why a template could not be read.

use std::fmt;

use compact_str::CompactString;

/// One step on the way from the document root to a node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(untagged)]
pub enum Seg {
    Key(CompactString),
    Index(usize),
}

pub type Path = Vec<Seg>;

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
    pub message: String,
    /// Another place the message is about, such as the first of two duplicate keys.
    pub related: Option<usize>,
}

impl ParseError {
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        ParseError {
            offset,
            message: message.into(),
            related: None,
        }
    }

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
