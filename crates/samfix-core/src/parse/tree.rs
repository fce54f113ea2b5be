//! The flat storage of a tree: its nodes, entries, items and texts, and the changes a
//! fix makes to them.

use std::collections::{HashMap, HashSet};
use std::fmt;

use compact_str::CompactString;
use indexmap::IndexSet;

use super::yaml;
use super::{BoolSpelling, LeftOut, Node, ScalarStyle, Seg, Skipped, Span};

/// A parsed template: its nodes, borrowing their texts from `source`.
pub struct Tree<'s> {
    source: &'s str,
    /// Texts that are not a range of the source: scalars with escapes or folded lines,
    /// tags, and what a fix adds.
    owned: String,
    pub(super) nodes: Vec<NodeData>,
    /// The entries of every map, each map's side by side in the order written.
    pub(super) entries: Vec<EntryData>,
    /// The items of every sequence, as node ids, each sequence's side by side.
    pub(super) items: Vec<u32>,
    pub(super) skipped: Vec<Skipped>,
    pub(super) left_out: Vec<LeftOut>,
    /// For each map of more than [`SCANNED_UP_TO`] entries (by node id), its keys in the
    /// order of its entries, so that a key's index is its entry's; smaller maps are
    /// scanned, which is faster and takes no memory.
    pub(super) indexes: HashMap<u32, KeyIndex, foldhash::fast::RandomState>,
    /// Where each text added to `owned` by [`Tree::intern`] is, so that a tag or key written
    /// many times is kept once.
    interned: HashMap<Box<str>, Text>,
    /// The text of each key that does not read as written (see [`KeyText::Decoded`]), by
    /// where the key starts.
    decoded_keys: HashMap<u32, Text>,
    pub(super) root: u32,
    /// Keys written twice in one map, in the order the second ones are read.
    pub(super) duplicates: Vec<Duplicate>,
}

/// A key written twice in one map. The tree keeps the later entry, as SAM CLI's YAML
/// reader does (the last one wins); the earlier one counts only in the map's fingerprint,
/// so the fixed text is checked against what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The key.
    pub key: String,
    /// The earlier entry: its key to the end of its value.
    pub first: Span,
    /// The later entry, the one read: its key to the end of its value (the end of its key
    /// in a map the tree doesn't keep).
    pub second: Span,
}

/// foldhash: SipHash, the default, costs more than the lookups it serves; its per-map
/// random seeds still keep crafted keys from colliding.
type KeyIndex = IndexSet<CompactString, foldhash::fast::RandomState>;

/// Maps with more entries than this are hashed.
pub(super) const SCANNED_UP_TO: u32 = 16;

/// Where a text is: a range of the source, or (with [`Text::OWNED`] set in `len`) of the
/// tree's own buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Text {
    pub(super) start: u32,
    pub(super) len: u32,
}

impl Text {
    const OWNED: u32 = 1 << 31;
    /// No text: a node without a tag.
    pub(super) const NONE: Text = Text {
        start: u32::MAX,
        len: 0,
    };

    pub(super) fn is_none(self) -> bool {
        self.start == u32::MAX
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Scalar,
    Map,
    Seq,
    Alias,
    Skipped,
}

/// A node as stored. What `a`, `b` and `c` hold depends on its shape:
/// - scalar: its text's start and length (as in [`Text`]);
/// - map: where its entries start in [`Tree::entries`], how many, and 1 + its index in
///   [`Tree::left_out`] (0 for none);
/// - sequence: where its items start in [`Tree::items`], and how many;
/// - alias: the id of the anchored node it stands for;
/// - skipped: its index in [`Tree::skipped`].
#[derive(Debug, Clone, Copy)]
pub(super) struct NodeData {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) tag: Text,
    pub(super) a: u32,
    pub(super) b: u32,
    pub(super) c: u32,
    pub(super) shape: Shape,
    pub(super) style: ScalarStyle,
    pub(super) flow: bool,
    pub(super) anchored: bool,
}

/// An entry as stored, in 16 bytes: most keys read exactly as written, so their text is
/// found from their span (see [`KeyText`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct EntryData {
    pub(super) key_start: u32,
    pub(super) key_end: u32,
    pub(super) value: u32,
    pub(super) key_style: ScalarStyle,
    pub(super) key_text: KeyText,
}

/// Where an entry's key text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyText {
    /// The source between `key_start` and `key_end`: a plain key.
    Span,
    /// The same without its first and last byte: a quoted key without escapes.
    InQuotes,
    /// In [`Tree::decoded_keys`], under `key_start`: a key with escapes, say.
    Decoded,
    /// A key a fix added, which has no span: `key_start` and `key_end` are where its text
    /// starts in [`Tree::owned`] and how long it is.
    Added,
}

impl<'s> Tree<'s> {
    /// The keys written twice in one map (see [`Duplicate`]).
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }

    pub(super) fn new(source: &'s str) -> Self {
        Tree {
            source,
            owned: String::new(),
            nodes: Vec::new(),
            entries: Vec::new(),
            items: Vec::new(),
            skipped: Vec::new(),
            left_out: Vec::new(),
            indexes: HashMap::default(),
            interned: HashMap::new(),
            decoded_keys: HashMap::new(),
            root: u32::MAX,
            duplicates: Vec::new(),
        }
    }

    /// The document's root node.
    pub fn root(&self) -> Node<'_> {
        self.node(self.root)
    }

    pub(super) fn node(&self, id: u32) -> Node<'_> {
        Node { tree: self, id }
    }

    /// The root's [`Node::fingerprint`].
    pub fn fingerprint(&self) -> u128 {
        self.root().fingerprint()
    }

    pub(super) fn text(&self, text: Text) -> &str {
        if text.len & Text::OWNED != 0 {
            let start = text.start as usize;
            &self.owned[start..start + (text.len & !Text::OWNED) as usize]
        } else {
            let start = text.start as usize;
            &self.source[start..start + text.len as usize]
        }
    }

    pub(super) fn key_text(&self, entry: &EntryData) -> &str {
        let (start, end) = (entry.key_start as usize, entry.key_end as usize);
        match entry.key_text {
            KeyText::Span => &self.source[start..end],
            KeyText::InQuotes => &self.source[start + 1..end - 1],
            KeyText::Decoded => self.text(self.decoded_keys[&entry.key_start]),
            KeyText::Added => &self.owned[start..start + end],
        }
    }

    /// The entry for a key read from the source, whose text is `text` and span
    /// `start..end`.
    pub(super) fn parsed_entry(
        &mut self,
        text: Text,
        start: u32,
        end: u32,
        style: ScalarStyle,
    ) -> EntryData {
        let in_source = text.len & Text::OWNED == 0;
        let key_text = if in_source && text.start == start && text.start + text.len == end {
            KeyText::Span
        } else if in_source && text.start == start + 1 && text.start + text.len + 1 == end {
            KeyText::InQuotes
        } else {
            self.decoded_keys.insert(start, text);
            KeyText::Decoded
        };
        EntryData {
            key_start: start,
            key_end: end,
            value: u32::MAX,
            key_style: style,
            key_text,
        }
    }

    /// The entry for a key a fix adds.
    fn added_entry(&mut self, key: &str, value: NodeId) -> EntryData {
        let text = self.intern(key);
        EntryData {
            key_start: text.start,
            key_end: text.len & !Text::OWNED,
            value: value.0,
            key_style: ScalarStyle::Plain,
            key_text: KeyText::Added,
        }
    }

    /// `text` as a range of the source when it is one (a parser hands those out as slices
    /// of its input), else copied into the tree's buffer.
    pub(super) fn keep_text(&mut self, text: &str) -> Text {
        let source = self.source.as_bytes().as_ptr_range();
        let at = text.as_ptr();
        if source.contains(&at) || (text.is_empty() && at == source.end) {
            Text {
                start: (at as usize - source.start as usize) as u32,
                len: text.len() as u32,
            }
        } else {
            self.own_text(text)
        }
    }

    /// `text` in the tree's buffer, once however often it is asked for.
    pub(super) fn intern(&mut self, text: &str) -> Text {
        if let Some(&kept) = self.interned.get(text) {
            return kept;
        }
        let kept = self.own_text(text);
        self.interned.insert(text.into(), kept);
        kept
    }

    fn own_text(&mut self, text: &str) -> Text {
        let start = self.owned.len() as u32;
        self.owned.push_str(text);
        Text {
            start,
            len: text.len() as u32 | Text::OWNED,
        }
    }

    pub(super) fn push_node(&mut self, node: NodeData) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(node);
        id
    }

    pub(super) fn push_skipped(
        &mut self,
        span: &Span,
        fingerprint: u128,
        first_bool: Option<BoolSpelling>,
    ) -> u32 {
        self.skipped.push(Skipped::new(fingerprint, first_bool));
        let mut node = yaml::node_data(span, Text::NONE, false, Shape::Skipped);
        node.a = self.skipped.len() as u32 - 1;
        self.push_node(node)
    }

    /// Adds a map with `entries`, which have distinct keys, in the order given.
    pub(super) fn push_map(
        &mut self,
        mut node: NodeData,
        entries: impl Iterator<Item = EntryData>,
    ) -> u32 {
        let start = self.entries.len();
        self.entries.extend(entries);
        node.shape = Shape::Map;
        node.a = start as u32;
        node.b = (self.entries.len() - start) as u32;
        let id = self.push_node(node);
        self.index_keys(id);
        id
    }

    /// Builds the key index of map `id` if it is large enough to need one.
    fn index_keys(&mut self, id: u32) {
        let node = self.nodes[id as usize];
        if node.shape != Shape::Map || node.b <= SCANNED_UP_TO {
            self.indexes.remove(&id);
            return;
        }
        let entries = &self.entries[node.a as usize..(node.a + node.b) as usize];
        let index = entries
            .iter()
            .map(|entry| CompactString::from(self.key_text(entry)))
            .collect();
        self.indexes.insert(id, index);
    }

    /// Adds `other`'s nodes, entries and items after this tree's (their ids move past
    /// this tree's); returns where `other`'s root now is. Used to join a template read in
    /// parts.
    pub(super) fn append(&mut self, other: Tree<'s>) -> NodeId {
        let nodes = self.nodes.len() as u32;
        let entries = self.entries.len() as u32;
        let items = self.items.len() as u32;
        let skipped = self.skipped.len() as u32;
        let left_out = self.left_out.len() as u32;
        let owned = self.owned.len() as u32;
        let moved = |text: Text| match text.len & Text::OWNED {
            0 => text,
            _ if text.is_none() => text,
            _ => Text {
                start: text.start + owned,
                ..text
            },
        };
        self.nodes.extend(other.nodes.into_iter().map(|mut node| {
            node.tag = moved(node.tag);
            match node.shape {
                Shape::Scalar => {
                    let text = moved(Text {
                        start: node.a,
                        len: node.b,
                    });
                    node.a = text.start;
                }
                Shape::Map => {
                    node.a += entries;
                    if node.c != 0 {
                        node.c += left_out;
                    }
                }
                Shape::Seq => node.a += items,
                Shape::Alias => node.a += nodes,
                Shape::Skipped => node.a += skipped,
            }
            node
        }));
        self.entries
            .extend(other.entries.into_iter().map(|entry| EntryData {
                key_start: match entry.key_text {
                    KeyText::Added => entry.key_start + owned,
                    _ => entry.key_start,
                },
                value: entry.value + nodes,
                ..entry
            }));
        self.decoded_keys.extend(
            other
                .decoded_keys
                .into_iter()
                .map(|(start, text)| (start, moved(text))),
        );
        self.items
            .extend(other.items.into_iter().map(|item| item + nodes));
        self.skipped.extend(other.skipped);
        self.left_out.extend(other.left_out);
        self.owned.push_str(&other.owned);
        self.indexes.extend(
            other
                .indexes
                .into_iter()
                .map(|(id, index)| (id + nodes, index)),
        );
        NodeId(other.root + nodes)
    }

    /// Gives map `map` the entries of maps `map` and `more`, in that order, and extends it
    /// to where `more` ends; `None` (and nothing changed) when either is not a map, a key
    /// is in both, or `more` leaves entries out.
    pub(super) fn concat_maps(&mut self, map: NodeId, more: NodeId) -> Option<()> {
        let first = self.node(map.0).as_map()?;
        let then = self.node(more.0).as_map()?;
        if then.left_out().is_some() {
            return None;
        }
        let known: HashSet<&str> = first.keys().collect();
        if then.keys().any(|key| known.contains(key)) {
            return None;
        }
        let (first, then) = (self.nodes[map.0 as usize], self.nodes[more.0 as usize]);
        let start = self.entries.len();
        self.entries
            .extend_from_within(first.a as usize..(first.a + first.b) as usize);
        self.entries
            .extend_from_within(then.a as usize..(then.a + then.b) as usize);
        let stored = &mut self.nodes[map.0 as usize];
        stored.a = start as u32;
        stored.b = first.b + then.b;
        stored.end = then.end;
        self.index_keys(map.0);
        self.indexes.remove(&more.0);
        Some(())
    }

    pub(super) fn set_end(&mut self, node: NodeId, end: usize) {
        self.nodes[node.0 as usize].end = end as u32;
    }

    /// The id of the node at `path` (see [`Node::at`]).
    pub fn id_at(&self, path: &[Seg]) -> Option<NodeId> {
        self.root().at(path).map(Node::id)
    }

    /// Adds a plain scalar outside the tree, for [`Tree::replace`] or [`Tree::insert`].
    pub fn add_plain(&mut self, text: &str) -> NodeId {
        let text = self.intern(text);
        NodeId(self.push_node(NodeData {
            start: 0,
            end: 0,
            tag: Text::NONE,
            a: text.start,
            b: text.len,
            c: 0,
            shape: Shape::Scalar,
            style: ScalarStyle::Plain,
            flow: false,
            anchored: false,
        }))
    }

    /// Adds a double-quoted scalar outside the tree: it reads as the string `text`,
    /// whatever that text is.
    pub fn add_string(&mut self, text: &str) -> NodeId {
        let text = self.intern(text);
        NodeId(self.push_node(NodeData {
            start: 0,
            end: 0,
            tag: Text::NONE,
            a: text.start,
            b: text.len,
            c: 0,
            shape: Shape::Scalar,
            style: ScalarStyle::DoubleQuoted,
            flow: false,
            anchored: false,
        }))
    }

    /// Adds a block sequence of `items` outside the tree.
    pub fn add_seq(&mut self, items: &[NodeId]) -> NodeId {
        let start = self.items.len() as u32;
        self.items.extend(items.iter().map(|item| item.0));
        NodeId(self.push_node(NodeData {
            start: 0,
            end: 0,
            tag: Text::NONE,
            a: start,
            b: items.len() as u32,
            c: 0,
            shape: Shape::Seq,
            style: ScalarStyle::Plain,
            flow: false,
            anchored: false,
        }))
    }

    /// Adds a block map of `entries` (with distinct keys) outside the tree.
    pub fn add_map(&mut self, entries: &[(&str, NodeId)]) -> NodeId {
        let entries: Vec<EntryData> = entries
            .iter()
            .map(|&(key, value)| self.added_entry(key, value))
            .collect();
        let node = NodeData {
            start: 0,
            end: 0,
            tag: Text::NONE,
            a: 0,
            b: 0,
            c: 0,
            shape: Shape::Map,
            style: ScalarStyle::Plain,
            flow: false,
            anchored: false,
        };
        NodeId(self.push_map(node, entries.into_iter()))
    }

    /// Puts the node `with` in the place of `at`.
    pub fn replace(&mut self, at: NodeId, with: NodeId) {
        self.nodes[at.0 as usize] = self.nodes[with.0 as usize];
        self.index_keys(at.0);
    }

    /// Sets `key` of the map `map` to `value`: in place when the key exists, as the last
    /// entry otherwise. `None` when `map` is not a map.
    pub fn insert(&mut self, map: NodeId, key: &str, value: NodeId) -> Option<()> {
        let existing = self.node(map.0).as_map()?.get_index_of(key);
        let node = self.nodes[map.0 as usize];
        if let Some(at) = existing {
            self.entries[node.a as usize + at].value = value.0;
            return Some(());
        }
        // A map's entries sit side by side, so one more moves them all to the end.
        let entry = self.added_entry(key, value);
        let start = self.entries.len();
        self.entries
            .extend_from_within(node.a as usize..(node.a + node.b) as usize);
        self.entries.push(entry);
        let stored = &mut self.nodes[map.0 as usize];
        stored.a = start as u32;
        stored.b += 1;
        self.index_keys(map.0);
        Some(())
    }

    /// Removes `key` from the map `map`, keeping the order of the others. `None` when
    /// `map` is not a map or has no such key.
    pub fn remove(&mut self, map: NodeId, key: &str) -> Option<()> {
        let at = self.node(map.0).as_map()?.get_index_of(key)?;
        let node = self.nodes[map.0 as usize];
        let range = node.a as usize..(node.a + node.b) as usize;
        self.entries[range][at..].rotate_left(1);
        self.nodes[map.0 as usize].b -= 1;
        self.index_keys(map.0);
        Some(())
    }
}

impl fmt::Debug for Tree<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root().fmt(f)
    }
}

/// A node's place in its tree, which stays when the tree changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(pub(super) u32);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    /// A value the template tree leaves out spans what the tree of every node says it does,
    /// up to its last scalar, so an edit beside it lands after it.
    #[test]
    fn a_skipped_value_spans_its_whole_text() {
        let source = "Metadata:\n  Author: me\n  Tags:\n    - a\n    - b\n  Note: |\n    text\n\n\
                      Resources: {}\n";
        let reads = [crate::parse::Reads {
            attributes: &[],
            sections: &[],
            resources: &[],
        }];
        let skipped = crate::parse::parse_template(source, &reads).unwrap();
        let full = parse(source).unwrap();
        let span = |tree: &Tree<'_>| tree.root().get("Metadata").unwrap().span();
        assert_eq!(span(&skipped), span(&full));
        assert!(source[span(&full)].ends_with("text"));
    }

    /// Most keys are read from their span, with or without quotes; the rest are kept decoded.
    #[test]
    fn keys_read_as_written_or_decoded() {
        let source = "plain: 1\n'single': 2\n\"double\": 3\n\"tab\\there\": 4\n'it''s': 5\n\
                      ? explicit\n: 6\n\"\": 7\n";
        let tree = parse(source).unwrap();
        let map = tree.root().as_map().unwrap();
        let keys: Vec<&str> = map.keys().collect();
        assert_eq!(
            keys,
            [
                "plain",
                "single",
                "double",
                "tab\there",
                "it's",
                "explicit",
                ""
            ]
        );
        let spans: Vec<&str> = map.iter().map(|entry| &source[entry.key_span()]).collect();
        assert_eq!(
            spans,
            [
                "plain",
                "'single'",
                "\"double\"",
                "\"tab\\there\"",
                "'it''s'",
                "explicit",
                "\"\""
            ]
        );
        assert_eq!(map.get("tab\there").unwrap().value().as_str(), Some("4"));
    }

    /// The sizes the tree's memory is planned on (see the README's Performance section).
    #[test]
    fn nodes_and_entries_stay_small() {
        assert_eq!(std::mem::size_of::<NodeData>(), 32);
        assert_eq!(std::mem::size_of::<EntryData>(), 16);
    }

    /// A key a fix adds reads back, and has no span.
    #[test]
    fn added_keys_read_back() {
        let mut tree = parse("a: {b: 1}\n").unwrap();
        let map = tree.id_at(&[Seg::Key("a".into())]).unwrap();
        let value = tree.add_plain("true");
        tree.insert(map, "Added", value).unwrap();
        let entry = tree
            .root()
            .get("a")
            .unwrap()
            .as_map()
            .unwrap()
            .get("Added")
            .unwrap();
        assert_eq!(entry.key(), "Added");
        assert_eq!(entry.key_span(), 0..0);
        assert_eq!(entry.value().as_str(), Some("true"));
    }
}
