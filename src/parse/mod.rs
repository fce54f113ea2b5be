//! The template as a tree: every node knows the bytes it came from.
//!
//! `yaml` turns source text into this tree; nothing else in samfix touches the YAML
//! parser, so it can be swapped without changing the rest of the pipeline.

mod yaml;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use compact_str::CompactString;
use indexmap::IndexMap;

pub use yaml::{
    fingerprint_text, fingerprint_text_in_parts, parse, parse_template, parse_template_in_parts,
};

/// A byte range into the source text.
pub type Span = Range<usize>;

#[derive(Debug, Clone)]
pub struct Node {
    /// The node's content: a scalar's text (with its quotes), a flow collection from its
    /// opening to its closing bracket, a block collection from its first key or dash to the
    /// end of its last value. Trailing blank lines of block scalars are not included.
    pub span: Span,
    /// The tag as written, e.g. `!Ref` or `!!str`.
    pub tag: Option<Box<str>>,
    /// Whether it carries an anchor (`&name`): what aliases share must not be edited.
    pub anchored: bool,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Scalar(Scalar),
    /// Boxed: maps are fewer than scalars, and every node is as large as its largest kind.
    Map(Box<Map>),
    /// Boxed, like maps: sequences are rare in the parts of a template the rules read.
    Seq(Box<Seq>),
    /// `*name`: the anchored node it stands for.
    Alias(Arc<Node>),
    /// A value no rule reads, left out of the tree (see [`parse_template`]).
    Skipped(Skipped),
}

/// What the tree keeps of a value it leaves out: enough to fingerprint the whole template
/// and to know how it spells its booleans.
#[derive(Debug, Clone, Copy)]
pub struct Skipped {
    /// The value's [`Node::fingerprint`], in two halves: a `u128` field would make every
    /// node 16-byte aligned, and larger.
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

#[derive(Debug, Clone)]
pub struct Scalar {
    /// Short texts, which most keys and values are, are stored without an allocation.
    pub value: CompactString,
    pub style: ScalarStyle,
}

#[derive(Debug, Clone)]
pub struct Map {
    pub flow: bool,
    pub entries: Entries,
    /// Entries no rule reads and no edit needs, left out of `entries`
    /// (see [`parse_template`]).
    pub left_out: Option<Box<LeftOut>>,
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

/// A map's entries in the order written. Most maps have a few entries, which a scan finds
/// faster than a hash and stores in less; a large map (`Resources`, say) is an IndexMap.
#[derive(Debug, Clone)]
pub struct Entries(Repr);

#[derive(Debug, Clone)]
enum Repr {
    Few(Vec<(CompactString, Entry)>),
    /// foldhash: SipHash, the default, costs more than the lookups it serves; its
    /// per-map random seeds still keep crafted keys from colliding.
    /// Boxed: few maps are large, and every map would otherwise be as large as this.
    Many(Box<IndexMap<CompactString, Entry, foldhash::fast::RandomState>>),
}

/// Maps with more entries than this are hashed.
const SCANNED_UP_TO: usize = 16;

impl Default for Entries {
    fn default() -> Self {
        Entries(Repr::Few(Vec::new()))
    }
}

impl Entries {
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Few(list) => list.len(),
            Repr::Many(map) => map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Few(list) => Iter::Few(list.iter()),
            Repr::Many(map) => Iter::Many(map.iter()),
        }
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &CompactString> {
        self.iter().map(|(key, _)| key)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.iter().map(|(_, entry)| entry)
    }

    pub fn get_index_of(&self, key: &str) -> Option<usize> {
        match &self.0 {
            Repr::Few(list) => list.iter().position(|(k, _)| k == key),
            Repr::Many(map) => map.get_index_of(key),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        match &self.0 {
            Repr::Few(list) => list.iter().find(|(k, _)| k == key).map(|(_, entry)| entry),
            Repr::Many(map) => map.get(key),
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        match &mut self.0 {
            Repr::Few(list) => list
                .iter_mut()
                .find(|(k, _)| k == key)
                .map(|(_, entry)| entry),
            Repr::Many(map) => map.get_mut(key),
        }
    }

    pub fn get_index(&self, index: usize) -> Option<(&CompactString, &Entry)> {
        match &self.0 {
            Repr::Few(list) => list.get(index).map(|(key, entry)| (key, entry)),
            Repr::Many(map) => map.get_index(index),
        }
    }

    pub fn first(&self) -> Option<(&CompactString, &Entry)> {
        self.get_index(0)
    }

    pub fn last(&self) -> Option<(&CompactString, &Entry)> {
        self.len().checked_sub(1).and_then(|i| self.get_index(i))
    }

    /// Sets `key` to `entry`: in place when the key exists, as the last entry otherwise.
    pub fn insert(&mut self, key: CompactString, entry: Entry) {
        match &mut self.0 {
            Repr::Few(list) => match list.iter().position(|(k, _)| *k == key) {
                Some(i) => list[i].1 = entry,
                None if list.len() < SCANNED_UP_TO => {
                    // Maps are sized to their entries; growing by doubling would leave
                    // most of a block map's buffer unused for one more entry.
                    list.reserve_exact(1);
                    list.push((key, entry));
                }
                None => {
                    let mut map: IndexMap<_, _, _> = std::mem::take(list).into_iter().collect();
                    map.insert(key, entry);
                    self.0 = Repr::Many(Box::new(map));
                }
            },
            Repr::Many(map) => {
                map.insert(key, entry);
            }
        }
    }

    /// Removes `key`, keeping the order of the others.
    pub fn shift_remove(&mut self, key: &str) -> Option<Entry> {
        match &mut self.0 {
            Repr::Few(list) => {
                let i = list.iter().position(|(k, _)| k == key)?;
                Some(list.remove(i).1)
            }
            Repr::Many(map) => map.shift_remove(key),
        }
    }

    /// The entries in the order written.
    fn into_list(self) -> Vec<(CompactString, Entry)> {
        match self.0 {
            Repr::Few(list) => list,
            Repr::Many(map) => map.into_iter().collect(),
        }
    }

    /// Entries whose keys are known to be distinct, in the order written.
    fn from_distinct(mut list: Vec<(CompactString, Entry)>) -> Self {
        if list.len() > SCANNED_UP_TO {
            return Entries(Repr::Many(Box::new(list.into_iter().collect())));
        }
        // Spare capacity would stay for the life of the tree, and most maps are a few
        // entries in a buffer grown for more.
        list.shrink_to_fit();
        Entries(Repr::Few(list))
    }
}

/// The entries of a map in the order written.
pub enum Iter<'a> {
    Few(std::slice::Iter<'a, (CompactString, Entry)>),
    Many(indexmap::map::Iter<'a, CompactString, Entry>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a CompactString, &'a Entry);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Few(list) => list.next().map(|(key, entry)| (key, entry)),
            Iter::Many(map) => map.next(),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Few(list) => list.next_back().map(|(key, entry)| (key, entry)),
            Iter::Many(map) => map.next_back(),
        }
    }
}

impl std::ops::Index<usize> for Entries {
    type Output = Entry;

    fn index(&self, index: usize) -> &Entry {
        self.get_index(index).expect("an entry at the index").1
    }
}

impl FromIterator<(CompactString, Entry)> for Entries {
    /// Later entries replace earlier ones with the same key, as in a YAML loader.
    fn from_iter<I: IntoIterator<Item = (CompactString, Entry)>>(items: I) -> Self {
        let mut entries = Entries::default();
        for (key, entry) in items {
            entries.insert(key, entry);
        }
        entries
    }
}

impl<'a> IntoIterator for &'a Entries {
    type Item = (&'a CompactString, &'a Entry);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key_span: Span,
    pub key_style: ScalarStyle,
    pub value: Node,
}

#[derive(Debug, Clone)]
pub struct Seq {
    pub flow: bool,
    pub items: Vec<Node>,
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

impl Scalar {
    pub fn resolve(&self) -> Resolved<'_> {
        if self.style != ScalarStyle::Plain {
            return Resolved::Str(&self.value);
        }
        resolve_plain(&self.value)
    }
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

impl Node {
    /// Follows aliases to the node they stand for.
    pub fn resolved(&self) -> &Node {
        match &self.kind {
            Kind::Alias(target) => target.resolved(),
            _ => self,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.kind {
            Kind::Map(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&Seq> {
        match &self.kind {
            Kind::Seq(seq) => Some(seq),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            Kind::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The text of an untagged scalar that is not null.
    pub fn as_str(&self) -> Option<&str> {
        let scalar = self.as_scalar()?;
        if self.tag.is_some() {
            return None;
        }
        match scalar.resolve() {
            Resolved::Null => None,
            _ => Some(&scalar.value),
        }
    }

    pub fn is_null(&self) -> bool {
        self.tag.is_none()
            && self
                .as_scalar()
                .is_some_and(|s| s.resolve() == Resolved::Null)
    }

    /// Python truthiness of the loaded value, which is how the SAM translator reads
    /// `ApiKeyRequired` and friends. Tagged nodes are intrinsic functions, always truthy.
    pub fn is_truthy(&self) -> bool {
        let node = self.resolved();
        if node.tag.is_some() {
            return true;
        }
        match &node.kind {
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
            Kind::Map(map) => !map.entries.is_empty(),
            Kind::Seq(seq) => !seq.items.is_empty(),
            Kind::Alias(_) => unreachable!("resolved() follows aliases"),
            // Only values no rule reads are skipped; a rule that asked anyway sees a value.
            Kind::Skipped(_) => true,
        }
    }

    /// A map entry, looking through aliases and `<<` merge keys the way a YAML loader
    /// does. The second value says whether the entry was reached through either, which
    /// makes it something samfix must not edit.
    pub fn lookup(&self, key: &str) -> Option<(&Entry, bool)> {
        let map = self.resolved().as_map()?;
        if let Some(entry) = map.entries.get(key) {
            return Some((entry, matches!(self.kind, Kind::Alias(_))));
        }
        // Most maps merge nothing, and need no record of what was searched.
        map.entries.get("<<")?;
        self.lookup_merged(key, &mut HashSet::new())
    }

    /// `searched` holds the merge sources already searched: merge keys can name the same
    /// anchor many times over (`<<: [*a, *a]`, nested), and searching each once keeps a
    /// lookup linear in the template instead of exponential, with the same answer.
    fn lookup_merged<'n>(
        &'n self,
        key: &str,
        searched: &mut HashSet<*const Node>,
    ) -> Option<(&'n Entry, bool)> {
        let via_alias = matches!(self.kind, Kind::Alias(_));
        let map = self.resolved().as_map()?;
        if let Some(entry) = map.entries.get(key) {
            return Some((entry, via_alias));
        }
        let merge = map.entries.get("<<")?;
        let sources: Vec<&Node> = match &merge.value.resolved().kind {
            Kind::Seq(seq) => seq.items.iter().collect(),
            _ => vec![&merge.value],
        };
        sources.into_iter().find_map(|source| {
            if !searched.insert(std::ptr::from_ref(source.resolved())) {
                return None;
            }
            source
                .lookup_merged(key, searched)
                .map(|(entry, _)| (entry, true))
        })
    }

    /// The value under `key`, if any (see [`Node::lookup`]).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.lookup(key).map(|(entry, _)| &entry.value)
    }

    /// A 128-bit fingerprint of the value the node loads to: nodes that load to the same
    /// value have the same fingerprint, and different values share one with a chance of
    /// about 2^-128. Styles, spans and anchors do not count, aliases
    /// stand for their anchor's value, plain scalars count by their YAML 1.1 type, and a
    /// map's entries count in any order. Each anchored value is fingerprinted once, so an
    /// alias bomb costs no more than its text. [`fingerprint_text`] computes the same
    /// value from text, without a tree.
    pub fn fingerprint(&self) -> u128 {
        self.fingerprint_with(&mut HashMap::new(), &mut Vec::new())
    }

    /// `anchors` remembers the fingerprint of every anchored node an alias has led to;
    /// `scratch` is where the bytes to hash are laid out (see [`fingerprint`]).
    fn fingerprint_with(
        &self,
        anchors: &mut HashMap<*const Node, u128>,
        scratch: &mut Vec<u8>,
    ) -> u128 {
        match &self.kind {
            Kind::Alias(target) => {
                let key = Arc::as_ptr(target);
                if let Some(&known) = anchors.get(&key) {
                    return known;
                }
                let value = target.fingerprint_with(anchors, scratch);
                anchors.insert(key, value);
                value
            }
            Kind::Skipped(skipped) => skipped.fingerprint(),
            Kind::Scalar(scalar) => {
                fingerprint::scalar(scratch, self.tag.as_deref(), &scalar.value, scalar.style)
            }
            Kind::Seq(seq) => {
                let start = fingerprint::open(scratch, self.tag.as_deref(), b'[');
                let mut chain = 0;
                for item in &seq.items {
                    let item = item.fingerprint_with(anchors, scratch);
                    fingerprint::seq_item(&mut chain, item);
                }
                fingerprint::close_seq(scratch, start, seq.items.len(), chain)
            }
            Kind::Map(map) => {
                let start = fingerprint::open(scratch, self.tag.as_deref(), b'{');
                let (mut len, mut sum) = map
                    .left_out
                    .as_ref()
                    .map_or((0, 0), |left_out| (left_out.len, left_out.sum));
                for (key, entry) in &map.entries {
                    let value = entry.value.fingerprint_with(anchors, scratch);
                    sum = sum.wrapping_add(fingerprint::entry(scratch, key, value));
                }
                len += map.entries.len();
                fingerprint::close_map(scratch, start, len, sum)
            }
        }
    }

    /// How the first boolean value written in the node is spelled, in document order;
    /// keys, tagged scalars, quoted scalars and aliases don't count.
    pub fn first_bool_spelling(&self) -> Option<BoolSpelling> {
        match &self.kind {
            Kind::Scalar(scalar) if self.tag.is_none() && scalar.style == ScalarStyle::Plain => {
                BoolSpelling::of_word(&scalar.value)
            }
            Kind::Map(map) => {
                let left_out = map
                    .left_out
                    .as_ref()
                    .and_then(|left_out| left_out.first_bool);
                map.entries
                    .values()
                    .enumerate()
                    .find_map(|(kept_before, entry)| match left_out {
                        Some((at, spelling)) if at <= kept_before => Some(spelling),
                        _ => entry.value.first_bool_spelling(),
                    })
                    .or(left_out.map(|(_, spelling)| spelling))
            }
            Kind::Seq(seq) => seq.items.iter().find_map(Node::first_bool_spelling),
            Kind::Skipped(skipped) => skipped.first_bool,
            Kind::Scalar(_) | Kind::Alias(_) => None,
        }
    }
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(CompactString),
    Index(usize),
}

pub type Path = Vec<Seg>;

impl Node {
    /// The node at `path`, without following aliases or merge keys.
    pub fn at(&self, path: &[Seg]) -> Option<&Node> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        let child = match (first, &self.kind) {
            (Seg::Key(key), Kind::Map(map)) => &map.entries.get(key.as_str())?.value,
            (Seg::Index(i), Kind::Seq(seq)) => seq.items.get(*i)?,
            _ => return None,
        };
        child.at(rest)
    }

    pub fn at_mut(&mut self, path: &[Seg]) -> Option<&mut Node> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        let child = match (first, &mut self.kind) {
            (Seg::Key(key), Kind::Map(map)) => &mut map.entries.get_mut(key.as_str())?.value,
            (Seg::Index(i), Kind::Seq(seq)) => seq.items.get_mut(*i)?,
            _ => return None,
        };
        child.at_mut(rest)
    }

    /// Whether any node from the root down to `path` carries an anchor or is an alias:
    /// an edit there would also change, or could not reach, what the alias shares.
    pub fn shared_on_path(&self, path: &[Seg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            if node.anchored || matches!(node.kind, Kind::Alias(_)) {
                return Some(node);
            }
            node = match (seg, &node.kind) {
                (Seg::Key(key), Kind::Map(map)) => &map.entries.get(key.as_str())?.value,
                (Seg::Index(i), Kind::Seq(seq)) => seq.items.get(*i)?,
                _ => return None,
            };
        }
        (node.anchored || matches!(node.kind, Kind::Alias(_))).then_some(node)
    }

    pub fn plain(value: &str) -> Node {
        Node {
            span: 0..0,
            tag: None,
            anchored: false,
            kind: Kind::Scalar(Scalar {
                value: value.into(),
                style: ScalarStyle::Plain,
            }),
        }
    }

    pub fn map_of(entries: Vec<(&str, Node)>) -> Node {
        let entries = entries
            .into_iter()
            .map(|(key, value)| {
                let entry = Entry {
                    key_span: 0..0,
                    key_style: ScalarStyle::Plain,
                    value,
                };
                (CompactString::from(key), entry)
            })
            .collect();
        Node {
            span: 0..0,
            tag: None,
            anchored: false,
            kind: Kind::Map(Box::new(Map {
                flow: false,
                entries,
                left_out: None,
            })),
        }
    }
}

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
