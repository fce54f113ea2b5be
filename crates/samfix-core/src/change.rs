//! A fix as changes to the template's values, before [`edits`](crate::edits) turns them
//! into text.

use std::fmt;

use compact_str::CompactString;
use serde::Serialize;

use crate::parse::{display_path, NodeId, Path, Tree};

/// A change to the template's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// Remove `key` from the map at `map`.
    Remove {
        /// The map's path.
        map: Path,
        /// The key to remove.
        key: CompactString,
    },
    /// Add `key: value` to the map at `map` (a null value becomes a map), right after
    /// `after` if the map has that key, else at its end.
    Insert {
        /// The map's path.
        map: Path,
        /// The new key.
        key: CompactString,
        /// Its value.
        value: Value,
        /// The key it goes after, if the map has it.
        after: Option<CompactString>,
    },
    /// Replace the value at `path`.
    Replace {
        /// The value's path.
        path: Path,
        /// The new value.
        value: Value,
    },
}

/// A value a fix writes: any YAML or JSON value, written in the file's own layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`, spelled as the file spells its booleans.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string, quoted where it would otherwise read as something else.
    Str(String),
    /// A map, its entries in order.
    Map(Vec<(CompactString, Value)>),
    /// A sequence.
    Seq(Vec<Value>),
}

impl Value {
    /// A map of `entries`.
    pub fn map<K: Into<CompactString>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key.into(), value))
                .collect(),
        )
    }

    /// A string.
    pub fn str(text: impl Into<String>) -> Value {
        Value::Str(text.into())
    }

    /// Adds the value to `tree`, outside it, for [`Tree::replace`] or [`Tree::insert`].
    pub(crate) fn add_to(&self, tree: &mut Tree) -> NodeId {
        match self {
            Value::Null => tree.add_plain("null"),
            Value::Bool(true) => tree.add_plain("true"),
            Value::Bool(false) => tree.add_plain("false"),
            Value::Int(int) => tree.add_plain(&int.to_string()),
            Value::Str(text) => tree.add_string(text),
            Value::Map(entries) => {
                let entries: Vec<(&str, NodeId)> = entries
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.add_to(tree)))
                    .collect();
                tree.add_map(&entries)
            }
            Value::Seq(items) => {
                let items: Vec<NodeId> = items.iter().map(|item| item.add_to(tree)).collect();
                tree.add_seq(&items)
            }
        }
    }
}

/// The value in YAML's flow style, as reports show it: `{ApiKeyRequired: true}`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(value) => write!(f, "{value}"),
            Value::Int(value) => write!(f, "{value}"),
            Value::Str(text) => f.write_str(&crate::edits::yaml_string(text)),
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}: {value}")?;
                }
                f.write_str("}")
            }
            Value::Seq(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// What a change does, in the template's own terms: ``add `A.B: true` ``.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |path: &Path, key: &str| {
            let map = display_path(path);
            if map.is_empty() {
                key.to_string()
            } else {
                format!("{map}.{key}")
            }
        };
        match self {
            Change::Remove { map, key } => write!(f, "remove `{}`", at(map, key)),
            Change::Insert {
                map, key, value, ..
            } => write!(f, "add `{}: {value}`", at(map, key)),
            Change::Replace { path, value } => {
                write!(f, "set `{}` to `{value}`", display_path(path))
            }
        }
    }
}

/// Turns the tree into the value the changes should produce, for checking the text edits.
/// `None` when a change does not apply. Aliases stand for their anchored node itself, so an
/// edit through an anchor shows in its aliases too, as it does in the text.
pub(crate) fn apply_to_tree(tree: &mut Tree<'_>, changes: &[&Change]) -> Option<()> {
    // Changes that add the same value share one node of it: no change edits inside a value
    // another adds, and a template with 16,000 events needs one `{ApiKeyRequired: true}`.
    let mut added: Vec<(&Value, NodeId)> = Vec::new();
    for change in changes {
        match change {
            Change::Remove { map, key } => {
                let map = tree.id_at(map)?;
                tree.remove(map, key)?;
            }
            Change::Insert {
                map, key, value, ..
            } => {
                let (target, is_null) = tree.root().at(map).map(|n| (n.id(), n.is_null()))?;
                let node = shared_node(tree, &mut added, value);
                if is_null {
                    let map = tree.add_map(&[(key.as_str(), node)]);
                    tree.replace(target, map);
                } else {
                    tree.insert(target, key, node)?;
                }
            }
            Change::Replace { path, value } => {
                let at = tree.id_at(path)?;
                let node = shared_node(tree, &mut added, value);
                tree.replace(at, node);
            }
        }
    }
    Some(())
}

fn shared_node<'v>(
    tree: &mut Tree<'_>,
    added: &mut Vec<(&'v Value, NodeId)>,
    value: &'v Value,
) -> NodeId {
    if let Some(&(_, node)) = added.iter().find(|(v, _)| *v == value) {
        return node;
    }
    let node = value.add_to(tree);
    added.push((value, node));
    node
}
