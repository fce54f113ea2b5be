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

mod yaml;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use compact_str::CompactString;
use indexmap::IndexSet;

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

/// A parsed template: its nodes, borrowing their texts from `source`.
pub struct Tree<'s> {
    source: &'s str,
    /// Texts that are not a range of the source: scalars with escapes or folded lines,
    /// tags, and what a fix adds.
    owned: String,
    nodes: Vec<NodeData>,
    /// The entries of every map, each map's side by side in the order written.
    entries: Vec<EntryData>,
    /// The items of every sequence, as node ids, each sequence's side by side.
    items: Vec<u32>,
    skipped: Vec<Skipped>,
    left_out: Vec<LeftOut>,
    /// For each map of more than [`SCANNED_UP_TO`] entries (by node id), its keys in the
    /// order of its entries, so that a key's index is its entry's; smaller maps are
    /// scanned, which is faster and takes no memory.
    indexes: HashMap<u32, KeyIndex, foldhash::fast::RandomState>,
    /// Where each text added to `owned` by [`Tree::intern`] is, so that a tag or key written
    /// many times is kept once.
    interned: HashMap<Box<str>, Text>,
    /// The text of each key that does not read as written (see [`KeyText::Decoded`]), by
    /// where the key starts.
    decoded_keys: HashMap<u32, Text>,
    root: u32,
}

/// foldhash: SipHash, the default, costs more than the lookups it serves; its per-map
/// random seeds still keep crafted keys from colliding.
type KeyIndex = IndexSet<CompactString, foldhash::fast::RandomState>;

/// Maps with more entries than this are hashed.
const SCANNED_UP_TO: u32 = 16;

/// Where a text is: a range of the source, or (with [`Text::OWNED`] set in `len`) of the
/// tree's own buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Text {
    start: u32,
    len: u32,
}

impl Text {
    const OWNED: u32 = 1 << 31;
    /// No text: a node without a tag.
    const NONE: Text = Text {
        start: u32::MAX,
        len: 0,
    };

    fn is_none(self) -> bool {
        self.start == u32::MAX
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
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
struct NodeData {
    start: u32,
    end: u32,
    tag: Text,
    a: u32,
    b: u32,
    c: u32,
    shape: Shape,
    style: ScalarStyle,
    flow: bool,
    anchored: bool,
}

/// An entry as stored, in 16 bytes: most keys read exactly as written, so their text is
/// found from their span (see [`KeyText`]).
#[derive(Debug, Clone, Copy)]
struct EntryData {
    key_start: u32,
    key_end: u32,
    value: u32,
    key_style: ScalarStyle,
    key_text: KeyText,
}

/// Where an entry's key text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyText {
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
    fn new(source: &'s str) -> Self {
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
        }
    }

    pub fn root(&self) -> Node<'_> {
        self.node(self.root)
    }

    fn node(&self, id: u32) -> Node<'_> {
        Node { tree: self, id }
    }

    /// The root's [`Node::fingerprint`].
    pub fn fingerprint(&self) -> u128 {
        self.root().fingerprint()
    }

    fn text(&self, text: Text) -> &str {
        if text.len & Text::OWNED != 0 {
            let start = text.start as usize;
            &self.owned[start..start + (text.len & !Text::OWNED) as usize]
        } else {
            let start = text.start as usize;
            &self.source[start..start + text.len as usize]
        }
    }

    fn key_text(&self, entry: &EntryData) -> &str {
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
    fn parsed_entry(&mut self, text: Text, start: u32, end: u32, style: ScalarStyle) -> EntryData {
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
    fn keep_text(&mut self, text: &str) -> Text {
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
    fn intern(&mut self, text: &str) -> Text {
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

    fn push_node(&mut self, node: NodeData) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(node);
        id
    }

    fn push_skipped(
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
    fn push_map(&mut self, mut node: NodeData, entries: impl Iterator<Item = EntryData>) -> u32 {
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
    fn append(&mut self, other: Tree<'s>) -> NodeId {
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
    fn concat_maps(&mut self, map: NodeId, more: NodeId) -> Option<()> {
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

    fn set_end(&mut self, node: NodeId, end: usize) {
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
pub struct NodeId(u32);

/// A node of a [`Tree`].
#[derive(Clone, Copy)]
pub struct Node<'t> {
    tree: &'t Tree<'t>,
    id: u32,
}

/// What a node is.
pub enum Kind<'t> {
    Scalar(Scalar<'t>),
    Map(Map<'t>),
    Seq(Seq<'t>),
    /// `*name`: the anchored node it stands for.
    Alias(Node<'t>),
    /// A value no rule reads, left out of the tree (see [`parse_template`]).
    Skipped(Skipped),
}

/// What the tree keeps of a value it leaves out: enough to fingerprint the whole template
/// and to know how it spells its booleans.
#[derive(Debug, Clone, Copy)]
pub struct Skipped {
    /// The value's [`Node::fingerprint`], in two halves: a `u128` field would make it
    /// 16-byte aligned, and larger.
    fingerprint: [u64; 2],
    pub first_bool: Option<BoolSpelling>,
}

impl Skipped {
    fn new(fingerprint: u128, first_bool: Option<BoolSpelling>) -> Self {
        Skipped {
            fingerprint: [fingerprint as u64, (fingerprint >> 64) as u64],
            first_bool,
        }
    }

    pub fn fingerprint(&self) -> u128 {
        u128::from(self.fingerprint[0]) | (u128::from(self.fingerprint[1]) << 64)
    }
}

/// What a map keeps of the entries it leaves out, so that its fingerprint and boolean
/// spelling are the whole map's.
#[derive(Debug, Clone, Default)]
pub struct LeftOut {
    pub len: usize,
    /// The sum of their entry fingerprints (see `fingerprint::entry`).
    pub sum: u128,
    /// The first boolean spelling among them, with the number of kept entries before it.
    pub first_bool: Option<(usize, BoolSpelling)>,
}

#[derive(Debug, Clone, Copy)]
pub struct Scalar<'t> {
    pub value: &'t str,
    pub style: ScalarStyle,
}

/// A map's entries in the order written.
#[derive(Clone, Copy)]
pub struct Map<'t> {
    tree: &'t Tree<'t>,
    id: u32,
    start: u32,
    len: u32,
}

/// A map entry: its key and value.
#[derive(Clone, Copy)]
pub struct Entry<'t> {
    tree: &'t Tree<'t>,
    at: u32,
}

#[derive(Clone, Copy)]
pub struct Seq<'t> {
    tree: &'t Tree<'t>,
    start: u32,
    len: u32,
    flow: bool,
}

impl<'t> Map<'t> {
    pub fn flow(self) -> bool {
        self.tree.nodes[self.id as usize].flow
    }

    pub fn len(self) -> usize {
        self.len as usize
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The entries in the order written.
    pub fn iter(self) -> impl DoubleEndedIterator<Item = Entry<'t>> + ExactSizeIterator {
        let tree = self.tree;
        (self.start..self.start + self.len).map(move |at| Entry { tree, at })
    }

    pub fn keys(self) -> impl DoubleEndedIterator<Item = &'t str> {
        self.iter().map(Entry::key)
    }

    pub fn get_index_of(self, key: &str) -> Option<usize> {
        if self.len > SCANNED_UP_TO {
            let index = self.tree.indexes.get(&self.id)?;
            return index.get_index_of(key);
        }
        self.iter().position(|entry| entry.key() == key)
    }

    pub fn get(self, key: &str) -> Option<Entry<'t>> {
        self.get_index_of(key).and_then(|at| self.get_index(at))
    }

    pub fn get_index(self, at: usize) -> Option<Entry<'t>> {
        (at < self.len()).then(|| Entry {
            tree: self.tree,
            at: self.start + at as u32,
        })
    }

    pub fn first(self) -> Option<Entry<'t>> {
        self.get_index(0)
    }

    pub fn last(self) -> Option<Entry<'t>> {
        self.len().checked_sub(1).and_then(|at| self.get_index(at))
    }

    /// The entries no rule reads and no edit needs, left out of the map
    /// (see [`parse_template`]).
    pub fn left_out(self) -> Option<&'t LeftOut> {
        match self.tree.nodes[self.id as usize].c {
            0 => None,
            c => Some(&self.tree.left_out[c as usize - 1]),
        }
    }
}

impl<'t> Entry<'t> {
    fn data(self) -> &'t EntryData {
        &self.tree.entries[self.at as usize]
    }

    pub fn key(self) -> &'t str {
        self.tree.key_text(self.data())
    }

    /// Where the key is written; `0..0` for a key a fix added.
    pub fn key_span(self) -> Span {
        let data = self.data();
        match data.key_text {
            KeyText::Added => 0..0,
            _ => data.key_start as usize..data.key_end as usize,
        }
    }

    pub fn key_style(self) -> ScalarStyle {
        self.data().key_style
    }

    pub fn value(self) -> Node<'t> {
        Node {
            tree: self.tree,
            id: self.data().value,
        }
    }
}

impl<'t> Seq<'t> {
    pub fn flow(self) -> bool {
        self.flow
    }

    pub fn len(self) -> usize {
        self.len as usize
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    pub fn items(self) -> impl DoubleEndedIterator<Item = Node<'t>> + ExactSizeIterator {
        let tree = self.tree;
        let ids = &tree.items[self.start as usize..(self.start + self.len) as usize];
        ids.iter().map(move |&id| Node { tree, id })
    }

    pub fn get(self, at: usize) -> Option<Node<'t>> {
        (at < self.len()).then(|| Node {
            tree: self.tree,
            id: self.tree.items[self.start as usize + at],
        })
    }
}

impl PartialEq for Node<'_> {
    /// The same node of the same tree.
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.tree, other.tree) && self.id == other.id
    }
}

impl fmt::Debug for Node<'_> {
    /// The node as the value it loads to, with its spans, tags and styles; an alias shows
    /// where its anchored node is, not that node again.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.span())?;
        if let Some(tag) = self.tag() {
            write!(f, " {tag}")?;
        }
        if self.anchored() {
            f.write_str(" &")?;
        }
        match self.kind() {
            Kind::Scalar(scalar) => write!(f, " {:?} {:?}", scalar.style, scalar.value),
            Kind::Map(map) => {
                f.write_str(if map.flow() { " flow " } else { " " })?;
                let mut entries = f.debug_map();
                for entry in map.iter() {
                    let key = format!(
                        "{:?} {:?} {:?}",
                        entry.key_span(),
                        entry.key_style(),
                        entry.key()
                    );
                    entries.entry(&format_args!("{key}"), &entry.value());
                }
                entries.finish()?;
                match map.left_out() {
                    Some(left_out) => write!(f, " and {left_out:?}"),
                    None => Ok(()),
                }
            }
            Kind::Seq(seq) => {
                f.write_str(if seq.flow() { " flow " } else { " " })?;
                f.debug_list().entries(seq.items()).finish()
            }
            Kind::Alias(target) => write!(f, " alias of {:?}", target.span()),
            Kind::Skipped(skipped) => write!(f, " {skipped:?}"),
        }
    }
}

impl<'t> Scalar<'t> {
    pub fn resolve(&self) -> Resolved<'t> {
        if self.style != ScalarStyle::Plain {
            return Resolved::Str(self.value);
        }
        resolve_plain(self.value)
    }
}

impl<'t> Node<'t> {
    fn data(self) -> &'t NodeData {
        &self.tree.nodes[self.id as usize]
    }

    pub fn id(self) -> NodeId {
        NodeId(self.id)
    }

    /// The node's content: a scalar's text (with its quotes), a flow collection from its
    /// opening to its closing bracket, a block collection from its first key or dash to the
    /// end of its last value. Trailing blank lines of block scalars are not included.
    pub fn span(self) -> Span {
        let data = self.data();
        data.start as usize..data.end as usize
    }

    /// The tag as written, e.g. `!Ref` or `!!str`.
    pub fn tag(self) -> Option<&'t str> {
        let tag = self.data().tag;
        (!tag.is_none()).then(|| self.tree.text(tag))
    }

    /// Whether it carries an anchor (`&name`): what aliases share must not be edited.
    pub fn anchored(self) -> bool {
        self.data().anchored
    }

    pub fn is_alias(self) -> bool {
        self.data().shape == Shape::Alias
    }

    pub fn kind(self) -> Kind<'t> {
        let tree = self.tree;
        let data = self.data();
        match data.shape {
            Shape::Scalar => Kind::Scalar(Scalar {
                value: tree.text(Text {
                    start: data.a,
                    len: data.b,
                }),
                style: data.style,
            }),
            Shape::Map => Kind::Map(Map {
                tree,
                id: self.id,
                start: data.a,
                len: data.b,
            }),
            Shape::Seq => Kind::Seq(Seq {
                tree,
                start: data.a,
                len: data.b,
                flow: data.flow,
            }),
            Shape::Alias => Kind::Alias(Node { tree, id: data.a }),
            Shape::Skipped => Kind::Skipped(tree.skipped[data.a as usize]),
        }
    }

    /// Follows aliases to the node they stand for.
    pub fn resolved(self) -> Node<'t> {
        let mut node = self;
        while node.data().shape == Shape::Alias {
            node = Node {
                tree: node.tree,
                id: node.data().a,
            };
        }
        node
    }

    pub fn as_map(self) -> Option<Map<'t>> {
        match self.kind() {
            Kind::Map(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_seq(self) -> Option<Seq<'t>> {
        match self.kind() {
            Kind::Seq(seq) => Some(seq),
            _ => None,
        }
    }

    pub fn as_scalar(self) -> Option<Scalar<'t>> {
        match self.kind() {
            Kind::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The text of an untagged scalar that is not null.
    pub fn as_str(self) -> Option<&'t str> {
        let scalar = self.as_scalar()?;
        if self.tag().is_some() {
            return None;
        }
        match scalar.resolve() {
            Resolved::Null => None,
            _ => Some(scalar.value),
        }
    }

    pub fn is_null(self) -> bool {
        self.tag().is_none()
            && self
                .as_scalar()
                .is_some_and(|s| s.resolve() == Resolved::Null)
    }

    /// Python truthiness of the loaded value, which is how the SAM translator reads
    /// `ApiKeyRequired` and friends. Tagged nodes are intrinsic functions, always truthy.
    pub fn is_truthy(self) -> bool {
        let node = self.resolved();
        if node.tag().is_some() {
            return true;
        }
        match node.kind() {
            Kind::Scalar(scalar) => match scalar.resolve() {
                Resolved::Null => false,
                Resolved::Bool(b) => b,
                Resolved::Int(i) => i != 0,
                Resolved::Float(f) => !f
                    .trim_start_matches(['-', '+'])
                    .trim_matches(['0', '.'])
                    .is_empty(),
                Resolved::Str(s) => !s.is_empty(),
            },
            Kind::Map(map) => !map.is_empty(),
            Kind::Seq(seq) => !seq.is_empty(),
            Kind::Alias(_) => unreachable!("resolved() follows aliases"),
            // Only values no rule reads are skipped; a rule that asked anyway sees a value.
            Kind::Skipped(_) => true,
        }
    }

    /// A map entry, looking through aliases and `<<` merge keys the way a YAML loader
    /// does. The second value says whether the entry was reached through either, which
    /// makes it something samfix must not edit.
    pub fn lookup(self, key: &str) -> Option<(Entry<'t>, bool)> {
        let map = self.resolved().as_map()?;
        if let Some(entry) = map.get(key) {
            return Some((entry, self.is_alias()));
        }
        // Most maps merge nothing, and need no record of what was searched.
        map.get("<<")?;
        self.lookup_merged(key, &mut HashSet::new())
    }

    /// `searched` holds the merge sources already searched: merge keys can name the same
    /// anchor many times over (`<<: [*a, *a]`, nested), and searching each once keeps a
    /// lookup linear in the template instead of exponential, with the same answer.
    fn lookup_merged(self, key: &str, searched: &mut HashSet<u32>) -> Option<(Entry<'t>, bool)> {
        let via_alias = self.is_alias();
        let map = self.resolved().as_map()?;
        if let Some(entry) = map.get(key) {
            return Some((entry, via_alias));
        }
        let merge = map.get("<<")?.value();
        let sources: Vec<Node<'t>> = match merge.resolved().kind() {
            Kind::Seq(seq) => seq.items().collect(),
            _ => vec![merge],
        };
        sources.into_iter().find_map(|source| {
            if !searched.insert(source.resolved().id) {
                return None;
            }
            source
                .lookup_merged(key, searched)
                .map(|(entry, _)| (entry, true))
        })
    }

    /// The value under `key`, if any (see [`Node::lookup`]).
    pub fn get(self, key: &str) -> Option<Node<'t>> {
        self.lookup(key).map(|(entry, _)| entry.value())
    }

    /// A 128-bit fingerprint of the value the node loads to: nodes that load to the same
    /// value have the same fingerprint, and different values share one with a chance of
    /// about 2^-128. Styles, spans and anchors do not count, aliases
    /// stand for their anchor's value, plain scalars count by their YAML 1.1 type, and a
    /// map's entries count in any order. Each anchored value is fingerprinted once, so an
    /// alias bomb costs no more than its text. [`fingerprint_text`] computes the same
    /// value from text, without a tree.
    pub fn fingerprint(self) -> u128 {
        self.fingerprint_with(&mut HashMap::new(), &mut Vec::new())
    }

    /// `anchors` remembers the fingerprint of every anchored node an alias has led to (by
    /// id); `scratch` is where the bytes to hash are laid out (see [`fingerprint`]).
    fn fingerprint_with(self, anchors: &mut HashMap<u32, u128>, scratch: &mut Vec<u8>) -> u128 {
        match self.kind() {
            Kind::Alias(target) => target.anchored_fingerprint(anchors, scratch),
            Kind::Skipped(skipped) => skipped.fingerprint(),
            Kind::Scalar(scalar) => {
                fingerprint::scalar(scratch, self.tag(), scalar.value, scalar.style)
            }
            Kind::Seq(seq) => {
                let start = fingerprint::open(scratch, self.tag(), b'[');
                let mut chain = 0;
                for item in seq.items() {
                    let item = item.fingerprint_with(anchors, scratch);
                    fingerprint::seq_item(&mut chain, item);
                }
                fingerprint::close_seq(scratch, start, seq.len(), chain)
            }
            Kind::Map(map) => {
                let start = fingerprint::open(scratch, self.tag(), b'{');
                let (mut len, mut sum) = map
                    .left_out()
                    .map_or((0, 0), |left_out| (left_out.len, left_out.sum));
                for entry in map.iter() {
                    let value = entry.value().fingerprint_with(anchors, scratch);
                    sum = sum.wrapping_add(fingerprint::entry(scratch, entry.key(), value));
                }
                len += map.len();
                fingerprint::close_map(scratch, start, len, sum)
            }
        }
    }

    /// The fingerprint of an anchored node an alias stands for, taken once however many
    /// aliases lead to it (see [`Node::fingerprint_with`]).
    fn anchored_fingerprint(self, anchors: &mut HashMap<u32, u128>, scratch: &mut Vec<u8>) -> u128 {
        if let Some(&known) = anchors.get(&self.id) {
            return known;
        }
        let value = self.fingerprint_with(anchors, scratch);
        anchors.insert(self.id, value);
        value
    }

    /// How the first boolean value written in the node is spelled, in document order;
    /// keys, tagged scalars, quoted scalars and aliases don't count.
    pub fn first_bool_spelling(self) -> Option<BoolSpelling> {
        match self.kind() {
            Kind::Scalar(scalar) if self.tag().is_none() && scalar.style == ScalarStyle::Plain => {
                BoolSpelling::of_word(scalar.value)
            }
            Kind::Map(map) => {
                let left_out = map.left_out().and_then(|left_out| left_out.first_bool);
                map.iter()
                    .enumerate()
                    .find_map(|(kept_before, entry)| match left_out {
                        Some((at, spelling)) if at <= kept_before => Some(spelling),
                        _ => entry.value().first_bool_spelling(),
                    })
                    .or(left_out.map(|(_, spelling)| spelling))
            }
            Kind::Seq(seq) => seq.items().find_map(Node::first_bool_spelling),
            Kind::Skipped(skipped) => skipped.first_bool,
            Kind::Scalar(_) | Kind::Alias(_) => None,
        }
    }

    /// The node at `path`, without following aliases or merge keys.
    pub fn at(self, path: &[Seg]) -> Option<Node<'t>> {
        let mut node = self;
        for seg in path {
            node = node.child(seg)?;
        }
        Some(node)
    }

    fn child(self, seg: &Seg) -> Option<Node<'t>> {
        match (seg, self.kind()) {
            (Seg::Key(key), Kind::Map(map)) => map.get(key).map(Entry::value),
            (Seg::Index(i), Kind::Seq(seq)) => seq.get(*i),
            _ => None,
        }
    }

    /// Whether any node from the root down to `path` carries an anchor or is an alias:
    /// an edit there would also change, or could not reach, what the alias shares.
    pub fn shared_on_path(self, path: &[Seg]) -> Option<Node<'t>> {
        let mut node = self;
        for seg in path {
            if node.anchored() || node.is_alias() {
                return Some(node);
            }
            node = node.child(seg)?;
        }
        (node.anchored() || node.is_alias()).then_some(node)
    }
}

/// How a boolean is written: `true`, `True` or `TRUE` (and their `false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolSpelling {
    Lower,
    Title,
    Upper,
}

impl BoolSpelling {
    /// The spelling of an untagged plain scalar, if it is one of the six boolean words
    /// (`yes` and friends don't say how to write `true`).
    fn of_word(text: &str) -> Option<Self> {
        match text {
            "true" | "false" => Some(BoolSpelling::Lower),
            "True" | "False" => Some(BoolSpelling::Title),
            "TRUE" | "FALSE" => Some(BoolSpelling::Upper),
            _ => None,
        }
    }

    pub fn word(self, value: bool) -> &'static str {
        match (self, value) {
            (BoolSpelling::Lower, true) => "true",
            (BoolSpelling::Lower, false) => "false",
            (BoolSpelling::Title, true) => "True",
            (BoolSpelling::Title, false) => "False",
            (BoolSpelling::Upper, true) => "TRUE",
            (BoolSpelling::Upper, false) => "FALSE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A YAML scalar read the way SAM tooling reads it (PyYAML, YAML 1.1 core types).
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(String),
    Str(&'a str),
}

/// YAML 1.1 resolution of a plain scalar, as PyYAML's SafeLoader does it.
pub fn resolve_plain(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true)
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false)
        }
        _ => {}
    }
    // Numbers start with a sign, a digit or a dot; most scalars are words, and resolving
    // runs for every scalar of the file.
    if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) {
        return Resolved::Str(text);
    }
    if let Some(int) = parse_yaml11_int(text) {
        return Resolved::Int(int);
    }
    if is_yaml11_float(text) {
        return Resolved::Float(text.replace('_', "").to_ascii_lowercase());
    }
    Resolved::Str(text)
}

fn parse_yaml11_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = digits.replace('_', "");
    if digits.is_empty() || digits.contains(':') {
        return None;
    }
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i128::from_str_radix(&digits[1..], 8).ok()?
    } else if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn is_yaml11_float(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let body = lower.trim_start_matches(['-', '+']);
    if matches!(body, ".inf" | ".nan") {
        return true;
    }
    let body = body.replace('_', "");
    let (mantissa, exponent) = match body.split_once('e') {
        Some((m, e)) => (m.to_string(), Some(e.to_string())),
        None => (body.clone(), None),
    };
    let Some((whole, fraction)) = mantissa.split_once('.') else {
        return false;
    };
    let digits_ok = whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.trim_start_matches(['-', '+']);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    digits_ok && exponent_ok
}

/// The bytes a fingerprint hashes, shared by the tree ([`Node::fingerprint`]) and the
/// stream ([`fingerprint_text`]) so both give the same value. A node's own bytes (tag,
/// kind, length) are laid out in one scratch buffer above its parent's, hashed in one go
/// and taken off again: a streaming hasher per node, with its large state, cost more than
/// the hashing. Children are folded in as they come (a map's entries summed, a sequence's
/// items chained), so a skipped collection of a million items costs no memory per item.
mod fingerprint {
    use super::{resolve_plain, Resolved, ScalarStyle};
    use xxhash_rust::xxh3::xxh3_128;

    pub fn scalar(
        scratch: &mut Vec<u8>,
        tag: Option<&str>,
        value: &str,
        style: ScalarStyle,
    ) -> u128 {
        let start = push_tag(scratch, tag);
        let resolved = if style == ScalarStyle::Plain {
            resolve_plain(value)
        } else {
            Resolved::Str(value)
        };
        match resolved {
            Resolved::Null => scratch.push(b'n'),
            Resolved::Bool(value) => scratch.extend([b'b', u8::from(value)]),
            Resolved::Int(value) => {
                scratch.push(b'i');
                scratch.extend(value.to_le_bytes());
            }
            Resolved::Float(text) => {
                scratch.push(b'f');
                push_text(scratch, &text);
            }
            Resolved::Str(text) => {
                scratch.push(b's');
                push_text(scratch, text);
            }
        }
        hash_from(scratch, start)
    }

    /// Starts a collection (`kind` is `[` or `{`); returns where its bytes start.
    pub fn open(scratch: &mut Vec<u8>, tag: Option<&str>, kind: u8) -> usize {
        let start = push_tag(scratch, tag);
        scratch.push(kind);
        start
    }

    /// Chains an item onto its sequence's items so far: in order, and in constant memory
    /// however long the sequence.
    pub fn seq_item(chain: &mut u128, item: u128) {
        let mut pair = [0; 32];
        pair[..16].copy_from_slice(&chain.to_le_bytes());
        pair[16..].copy_from_slice(&item.to_le_bytes());
        *chain = xxh3_128(&pair);
    }

    pub fn close_seq(scratch: &mut Vec<u8>, start: usize, len: usize, chain: u128) -> u128 {
        scratch.extend((len as u64).to_le_bytes());
        scratch.extend(chain.to_le_bytes());
        hash_from(scratch, start)
    }

    /// One entry's share of its map's fingerprint. The map adds the shares up, so the same
    /// entries in any order give the same sum.
    pub fn entry(scratch: &mut Vec<u8>, key: &str, value: u128) -> u128 {
        let start = scratch.len();
        push_text(scratch, key);
        scratch.extend(value.to_le_bytes());
        hash_from(scratch, start)
    }

    pub fn close_map(scratch: &mut Vec<u8>, start: usize, len: usize, sum: u128) -> u128 {
        scratch.extend((len as u64).to_le_bytes());
        scratch.extend(sum.to_le_bytes());
        hash_from(scratch, start)
    }

    fn push_tag(scratch: &mut Vec<u8>, tag: Option<&str>) -> usize {
        let start = scratch.len();
        match tag {
            Some(tag) => {
                scratch.push(1);
                push_text(scratch, tag);
            }
            None => scratch.push(0),
        }
        start
    }

    fn hash_from(scratch: &mut Vec<u8>, start: usize) -> u128 {
        let hash = xxh3_128(&scratch[start..]);
        scratch.truncate(start);
        hash
    }

    /// Text with its length first, so that no two sequences of texts hash alike by running
    /// into each other.
    fn push_text(scratch: &mut Vec<u8>, text: &str) {
        scratch.extend((text.len() as u64).to_le_bytes());
        scratch.extend_from_slice(text.as_bytes());
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
