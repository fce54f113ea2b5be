//! The handle API: a [`Node`] and what it reads of its tree.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::fingerprint;
use super::tree::{EntryData, KeyText, NodeData, Shape, Text, SCANNED_UP_TO};
use super::{resolve_plain, BoolSpelling, NodeId, Resolved, ScalarStyle, Seg, Span, Tree};

/// A node of a [`Tree`].
#[derive(Clone, Copy)]
pub struct Node<'t> {
    pub(super) tree: &'t Tree<'t>,
    pub(super) id: u32,
}

/// What a node is.
pub enum Kind<'t> {
    /// A scalar: its text and style.
    Scalar(Scalar<'t>),
    /// A map.
    Map(Map<'t>),
    /// A sequence.
    Seq(Seq<'t>),
    /// `*name`: the anchored node it stands for.
    Alias(Node<'t>),
    /// A value no rule reads, left out of the tree
    /// (see [`parse_template`](super::parse_template)).
    Skipped(Skipped),
}

/// What the tree keeps of a value it leaves out: enough to fingerprint the whole template
/// and to know how it spells its booleans.
#[derive(Debug, Clone, Copy)]
pub struct Skipped {
    /// The value's [`Node::fingerprint`], in two halves: a `u128` field would make it
    /// 16-byte aligned, and larger.
    fingerprint: [u64; 2],
    /// How the first boolean in the value is spelled (see [`Node::first_bool_spelling`]).
    pub first_bool: Option<BoolSpelling>,
}

impl Skipped {
    pub(super) fn new(fingerprint: u128, first_bool: Option<BoolSpelling>) -> Self {
        Skipped {
            fingerprint: [fingerprint as u64, (fingerprint >> 64) as u64],
            first_bool,
        }
    }

    /// The value's [`Node::fingerprint`].
    pub fn fingerprint(&self) -> u128 {
        u128::from(self.fingerprint[0]) | (u128::from(self.fingerprint[1]) << 64)
    }
}

/// What a map keeps of the entries it leaves out, so that its fingerprint and boolean
/// spelling are the whole map's.
#[derive(Debug, Clone, Default)]
pub struct LeftOut {
    /// How many entries are left out.
    pub len: usize,
    /// The sum of their entry fingerprints (see `fingerprint::entry`).
    pub sum: u128,
    /// The first boolean spelling among them, with the number of kept entries before it.
    pub first_bool: Option<(usize, BoolSpelling)>,
}

#[derive(Debug, Clone, Copy)]
/// A scalar's text and how it is written.
pub struct Scalar<'t> {
    /// The text it loads to: without quotes, escapes or block indentation.
    pub value: &'t str,
    /// How it is written.
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
/// A sequence's items in order.
pub struct Seq<'t> {
    tree: &'t Tree<'t>,
    start: u32,
    len: u32,
    flow: bool,
}

impl<'t> Map<'t> {
    /// Whether it is written in flow style, `{...}`.
    pub fn flow(self) -> bool {
        self.tree.nodes[self.id as usize].flow
    }

    /// How many entries it keeps (see [`Map::left_out`]).
    pub fn len(self) -> usize {
        self.len as usize
    }

    /// Whether it keeps no entries.
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The entries in the order written.
    pub fn iter(self) -> impl DoubleEndedIterator<Item = Entry<'t>> + ExactSizeIterator {
        let tree = self.tree;
        (self.start..self.start + self.len).map(move |at| Entry { tree, at })
    }

    /// The keys in the order written.
    pub fn keys(self) -> impl DoubleEndedIterator<Item = &'t str> {
        self.iter().map(Entry::key)
    }

    /// The index of the entry for `key`.
    pub fn get_index_of(self, key: &str) -> Option<usize> {
        if self.len > SCANNED_UP_TO {
            let index = self.tree.indexes.get(&self.id)?;
            return index.get_index_of(key);
        }
        self.iter().position(|entry| entry.key() == key)
    }

    /// The entry for `key`, not looking through merge keys (see [`Node::lookup`]).
    pub fn get(self, key: &str) -> Option<Entry<'t>> {
        self.get_index_of(key).and_then(|at| self.get_index(at))
    }

    /// The entry at index `at`.
    pub fn get_index(self, at: usize) -> Option<Entry<'t>> {
        (at < self.len()).then(|| Entry {
            tree: self.tree,
            at: self.start + at as u32,
        })
    }

    /// The first entry.
    pub fn first(self) -> Option<Entry<'t>> {
        self.get_index(0)
    }

    /// The last entry.
    pub fn last(self) -> Option<Entry<'t>> {
        self.len().checked_sub(1).and_then(|at| self.get_index(at))
    }

    /// The entries no rule reads and no edit needs, left out of the map
    /// (see [`parse_template`](super::parse_template)).
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

    /// The key's text, as it loads.
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

    /// How the key is written.
    pub fn key_style(self) -> ScalarStyle {
        self.data().key_style
    }

    /// The value.
    pub fn value(self) -> Node<'t> {
        Node {
            tree: self.tree,
            id: self.data().value,
        }
    }
}

impl<'t> Seq<'t> {
    /// Whether it is written in flow style, `[...]`.
    pub fn flow(self) -> bool {
        self.flow
    }

    /// How many items it has.
    pub fn len(self) -> usize {
        self.len as usize
    }

    /// Whether it has no items.
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The items in order.
    pub fn items(self) -> impl DoubleEndedIterator<Item = Node<'t>> + ExactSizeIterator {
        let tree = self.tree;
        let ids = &tree.items[self.start as usize..(self.start + self.len) as usize];
        ids.iter().map(move |&id| Node { tree, id })
    }

    /// The item at index `at`.
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
    /// The value it loads to: a plain scalar by YAML 1.1 resolution, any other a string.
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

    /// Where the node is in its tree, for changing it (see [`Tree::replace`]).
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

    /// Whether it is an alias, `*name`.
    pub fn is_alias(self) -> bool {
        self.data().shape == Shape::Alias
    }

    /// What the node is; an alias is [`Kind::Alias`], not what it stands for.
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

    /// The map, if the node is one (not following aliases).
    pub fn as_map(self) -> Option<Map<'t>> {
        match self.kind() {
            Kind::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The sequence, if the node is one (not following aliases).
    pub fn as_seq(self) -> Option<Seq<'t>> {
        match self.kind() {
            Kind::Seq(seq) => Some(seq),
            _ => None,
        }
    }

    /// The scalar, if the node is one (not following aliases).
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

    /// Whether it is an untagged scalar that loads to null.
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
    /// alias bomb costs no more than its text. [`fingerprint_text`](super::fingerprint_text)
    /// computes the same value from text, without a tree.
    pub fn fingerprint(self) -> u128 {
        self.fingerprint_with(&mut HashMap::new(), &mut Vec::new())
    }

    /// `anchors` remembers the fingerprint of every anchored node an alias has led to (by
    /// id); `scratch` is where the bytes to hash are laid out (see [`fingerprint`]).
    pub(super) fn fingerprint_with(
        self,
        anchors: &mut HashMap<u32, u128>,
        scratch: &mut Vec<u8>,
    ) -> u128 {
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
    pub(super) fn anchored_fingerprint(
        self,
        anchors: &mut HashMap<u32, u128>,
        scratch: &mut Vec<u8>,
    ) -> u128 {
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
