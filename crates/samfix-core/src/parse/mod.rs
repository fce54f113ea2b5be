//! The template as a tree: every node knows the bytes it came from.
//!
//! `yaml` turns source text into this tree; nothing else in samfix touches the YAML
//! parser, so it can be swapped without changing the rest of the pipeline.
//!
//! The tree is flat: its nodes, map entries and sequence items sit in three arrays, each
//! collection's children side by side, and texts are byte ranges of the source (or of the
//! tree's own buffer, for the few that are not written as they read, such as escaped
//! strings). A node is a handle, [`Node`], into that tree. Compared with a node per
//! allocation, this holds a large template in a third of the memory and frees it at once.

mod fingerprint;
mod node;
mod path;
mod scalar;
mod tree;
mod yaml;

use std::ops::Range;

pub use node::{Entry, Kind, LeftOut, Map, Node, Scalar, Seq, Skipped};
pub use path::{display_path, ParseError, Path, Seg};
pub use scalar::{resolve_plain, BoolSpelling, Resolved, ScalarStyle};
pub use tree::{Duplicate, NodeId, Tree};
pub(crate) use yaml::line_at;
pub use yaml::{
    fingerprint_text, fingerprint_text_in_parts, parse, parse_template, parse_template_in_parts,
};

/// What a tree of a template keeps in full (see [`parse_template`]); every other value is
/// kept as a fingerprint of what it loads to. The parser knows the shape of a
/// CloudFormation template (sections, `Resources`, each resource's `Type` and
/// `Properties`), and the reads name what to keep of it.
#[derive(Debug, Clone, Copy)]
pub struct Reads {
    /// Top-level sections kept whole, e.g. `Globals`.
    pub sections: &'static [&'static str],
    /// Per resource type, the `Properties` kept whole.
    pub resources: &'static [ResourceReads],
    /// Resource attributes beside `Type` and `Properties` kept whole, of every resource.
    pub attributes: &'static [&'static str],
}

/// The `Properties` kept whole of resources of one type.
#[derive(Debug, Clone, Copy)]
pub struct ResourceReads {
    /// The resource type, e.g. `AWS::Serverless::Api`.
    pub kind: &'static str,
    /// The keys of its `Properties` kept whole.
    pub properties: &'static [&'static str],
    /// Whether a fix may add to or remove from its `Properties` map itself: then the map
    /// keeps an entry for every key; otherwise the keys it does not read are left out.
    pub edited: bool,
}

/// A byte range into the source text.
pub type Span = Range<usize>;
