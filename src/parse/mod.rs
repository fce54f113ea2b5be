//! The template as a tree: every node knows the bytes it came from.
//!
//! `yaml` turns source text into this tree; nothing else in samfix touches the YAML
//! parser, so it can be swapped without changing the rest of the pipeline.

mod yaml;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::rc::Rc;

use compact_str::CompactString;
use indexmap::IndexMap;
use xxhash_rust::xxh3::xxh3_128;

pub use yaml::parse;

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
    pub anchor: Option<Box<str>>,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Scalar(Scalar),
    /// Boxed: maps are fewer than scalars, and every node is as large as its largest kind.
    Map(Box<Map>),
    Seq(Seq),
    /// `*name`: the anchored node it stands for.
    Alias(Rc<Node>),
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
}

/// A map's entries in the order written. foldhash: SipHash, the default, is a large share
/// of the parse; foldhash's per-map random seeds still keep crafted keys from colliding.
pub type Entries = IndexMap<CompactString, Entry, foldhash::fast::RandomState>;

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
        }
    }

    /// A map entry, looking through aliases and `<<` merge keys the way a YAML loader
    /// does. The second value says whether the entry was reached through either, which
    /// makes it something samfix must not edit.
    pub fn lookup(&self, key: &str) -> Option<(&Entry, bool)> {
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
    /// alias bomb costs no more than its text.
    pub fn fingerprint(&self) -> u128 {
        fingerprint(self, &mut HashMap::new())
    }
}

/// `anchors` remembers the fingerprint of every anchored node an alias has led to.
fn fingerprint(node: &Node, anchors: &mut HashMap<*const Node, u128>) -> u128 {
    fingerprint_into(node, anchors, &mut Vec::new())
}

/// The bytes that stand for a node are laid out in `scratch` above what is there, hashed
/// in one go and taken off again: a streaming hasher per node, with its large state, cost
/// more than the hashing.
fn fingerprint_into(
    node: &Node,
    anchors: &mut HashMap<*const Node, u128>,
    scratch: &mut Vec<u8>,
) -> u128 {
    if let Kind::Alias(target) = &node.kind {
        let key = Rc::as_ptr(target);
        if let Some(&known) = anchors.get(&key) {
            return known;
        }
        let value = fingerprint_into(target, anchors, scratch);
        anchors.insert(key, value);
        return value;
    }
    let start = scratch.len();
    match &node.tag {
        Some(tag) => {
            scratch.push(1);
            push_text(scratch, tag);
        }
        None => scratch.push(0),
    }
    match &node.kind {
        Kind::Scalar(scalar) => match scalar.resolve() {
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
        },
        Kind::Seq(seq) => {
            scratch.push(b'[');
            scratch.extend((seq.items.len() as u64).to_le_bytes());
            for item in &seq.items {
                let item = fingerprint_into(item, anchors, scratch);
                scratch.extend(item.to_le_bytes());
            }
        }
        Kind::Map(map) => {
            // A sum of strong per-entry hashes: the same entries in any order add up the same.
            let mut sum = 0u128;
            for (key, entry) in &map.entries {
                let value = fingerprint_into(&entry.value, anchors, scratch);
                let pair = scratch.len();
                push_text(scratch, key);
                scratch.extend(value.to_le_bytes());
                sum = sum.wrapping_add(xxh3_128(&scratch[pair..]));
                scratch.truncate(pair);
            }
            scratch.push(b'{');
            scratch.extend((map.entries.len() as u64).to_le_bytes());
            scratch.extend(sum.to_le_bytes());
        }
        Kind::Alias(_) => unreachable!("aliases are followed above"),
    }
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

/// One step on the way from the document root to a node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
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
            if node.anchor.is_some() || matches!(node.kind, Kind::Alias(_)) {
                return Some(node);
            }
            node = match (seg, &node.kind) {
                (Seg::Key(key), Kind::Map(map)) => &map.entries.get(key.as_str())?.value,
                (Seg::Index(i), Kind::Seq(seq)) => seq.items.get(*i)?,
                _ => return None,
            };
        }
        (node.anchor.is_some() || matches!(node.kind, Kind::Alias(_))).then_some(node)
    }

    pub fn plain(value: &str) -> Node {
        Node {
            span: 0..0,
            tag: None,
            anchor: None,
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
            anchor: None,
            kind: Kind::Map(Box::new(Map {
                flow: false,
                entries,
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
