//! Builds the span-carrying tree from `granit-parser` events.

use std::collections::HashMap;

use compact_str::CompactString;
use granit_parser::{Event, Parser, ScalarStyle as GranitStyle, StructureStyle};

mod parts;

use super::fingerprint;
use super::tree::{Duplicate, EntryData, NodeData, Shape, Text};
use super::{BoolSpelling, LeftOut, ParseError, Reads, ScalarStyle, Span, Tree};

/// How deeply collections may nest, as written and once aliases are expanded.
/// CloudFormation templates stay far below this; the limit keeps hostile input (and the
/// recursive walks that follow aliases) from exhausting the stack.
const NESTING_LIMIT: usize = 200;

/// YAML's limit on a key written without `? `; the parser reports a longer one as a key
/// without its colon, which names neither the length nor the way out.
const IMPLICIT_KEY_LIMIT: usize = 1024;

/// Which values under a collection the tree keeps. A template's bulk (function code
/// settings, policies, parameters, outputs) is never read by a rule, and leaving it out of
/// the tree is most of what makes a large template fast to check. What is kept is what the
/// [`Reads`] given to the parser name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Everything below.
    All,
    /// The template's sections: those the reads name, and `Resources`.
    Root,
    /// Logical ids to resources.
    Resources,
    /// `Fn::ForEach::Name: [Identifier, Collection, {resources}]`.
    ForEach,
    /// A resource: its `Type` and `Properties`.
    Resource,
    /// A resource's `Properties` that a fix may edit: the keys the reads name for its
    /// type (for any type, while the type is not yet known) are kept whole, the others as
    /// fingerprints.
    Properties(Option<&'static str>),
    /// The `Properties` of a resource whose `Type` came first and whose properties no fix
    /// edits: only the keys the reads name for that type (none, for a type they don't name)
    /// and merge keys are read, and its other entries are left out of it entirely.
    Listed(Option<&'static str>),
    /// Nothing: only the fingerprint and the boolean spelling are kept.
    Skip,
}

impl Scope {
    /// The scope of the value under `key` in a map of this scope.
    fn under_key(self, key: &str, reads: &[Reads]) -> Scope {
        match self {
            Scope::All | Scope::Skip => self,
            _ if key == "<<" => Scope::All,
            Scope::Root if key == "Resources" => Scope::Resources,
            Scope::Root if reads.iter().any(|r| r.sections.contains(&key)) => Scope::All,
            Scope::Root => Scope::Skip,
            Scope::Resources if key.starts_with("Fn::ForEach::") => Scope::ForEach,
            Scope::Resources => Scope::Resource,
            Scope::Resource => match key {
                "Type" => Scope::All,
                "Properties" => Scope::Properties(None),
                _ if reads.iter().any(|r| r.attributes.contains(&key)) => Scope::All,
                _ => Scope::Skip,
            },
            Scope::Properties(kind) if reads_property(reads, kind, key) => Scope::All,
            Scope::Listed(Some(kind)) if reads_property(reads, Some(kind), key) => Scope::All,
            Scope::Properties(_) | Scope::Listed(_) | Scope::ForEach => Scope::Skip,
        }
    }

    /// The scope of item `index` in a sequence of this scope.
    fn under_index(self, index: usize) -> Scope {
        match self {
            Scope::Skip => Scope::Skip,
            Scope::ForEach if index == 2 => Scope::Resources,
            Scope::ForEach => Scope::Skip,
            // A section that is a list is an error the model reports from its kind alone.
            _ => Scope::All,
        }
    }
}

/// Whether the reads name `key` among the properties of resources of type `kind`; of any
/// type when `kind` is `None`.
fn reads_property(reads: &[Reads], kind: Option<&str>, key: &str) -> bool {
    reads.iter().flat_map(|r| r.resources).any(|resource| {
        kind.is_none_or(|kind| resource.kind == kind) && resource.properties.contains(&key)
    })
}

/// What the `Properties` of a resource of type `kind` is read as (see [`Scope`]).
fn properties_scope(reads: &[Reads], kind: &str) -> Scope {
    let mut named = reads
        .iter()
        .flat_map(|r| r.resources)
        .filter(|resource| resource.kind == kind)
        .peekable();
    match named.peek() {
        None => Scope::Listed(None),
        Some(first) => {
            let kind = Some(first.kind);
            if named.any(|resource| resource.edited) {
                Scope::Properties(kind)
            } else {
                Scope::Listed(kind)
            }
        }
    }
}

fn on_a_long_line(source: &str, offset: usize) -> bool {
    line_at(source, offset).len() > IMPLICIT_KEY_LIMIT
}

/// The line of `source` that holds `offset`, without its line break.
pub(crate) fn line_at(source: &str, offset: usize) -> &str {
    let offset = offset.min(source.len());
    let start = source.as_bytes()[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = source.as_bytes()[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(source.len(), |i| offset + i);
    &source[start..end]
}

fn too_deep(offset: usize) -> ParseError {
    ParseError::new(
        offset,
        format!("collections are nested more than {NESTING_LIMIT} deep"),
    )
}

/// Parses a single-document YAML (or JSON) template into a tree of every node.
pub fn parse(source: &str) -> Result<Tree<'_>, ParseError> {
    build(source, Scope::All, &[])
}

/// Parses a template into a tree of what `reads` name: the sections, each resource's
/// `Type`, the `Properties` named for its type, and every anchored node. Every other value is a [`Kind::Skipped`](super::Kind::Skipped) that keeps its
/// fingerprint, so the tree's [`Tree::fingerprint`] is the whole template's. The text is
/// checked exactly as by [`parse`]: the same errors, at the same places.
pub fn parse_template<'s>(source: &'s str, reads: &[Reads]) -> Result<Tree<'s>, ParseError> {
    build(source, Scope::Root, reads)
}

/// The [`Tree::fingerprint`] of the template `source` parses to, read without building a
/// tree (anchored nodes aside, which aliases need). Fails as [`parse`] does.
pub fn fingerprint_text(source: &str) -> Result<u128, ParseError> {
    build(source, Scope::Skip, &[]).map(|tree| tree.fingerprint())
}

/// The tree keeps offsets and lengths in 32 bits, one of them for which buffer a text is in.
const LARGEST_SOURCE: usize = (1 << 31) - 1;

fn build<'s>(source: &'s str, root_scope: Scope, reads: &[Reads]) -> Result<Tree<'s>, ParseError> {
    if source.len() > LARGEST_SOURCE {
        return Err(ParseError::new(
            0,
            format!("the file is larger than {LARGEST_SOURCE} bytes"),
        ));
    }
    if root_scope != Scope::All && source.len() >= READ_IN_PARTS_FROM {
        if let Some(tree) = parts::read(source, root_scope, reads) {
            return Ok(tree);
        }
    }
    let mut builder = Builder::new(source, root_scope, reads, 0, NESTING_LIMIT, false);
    builder.read(source)?;
    builder.finish().ok_or_else(|| no_document(source))
}

/// Templates from this size up are read in parts, on two threads (see [`parts`]).
const READ_IN_PARTS_FROM: usize = 1 << 20;

/// [`parse_template`] read in parts whatever its size, or `None` where it would be read
/// whole: how the tests show that both read alike. Not for other uses.
#[doc(hidden)]
pub fn parse_template_in_parts<'s>(source: &'s str, reads: &[Reads]) -> Option<Tree<'s>> {
    parts::read(source, Scope::Root, reads)
}

/// [`fingerprint_text`] read in parts whatever its size, as [`parse_template_in_parts`].
#[doc(hidden)]
pub fn fingerprint_text_in_parts(source: &str) -> Option<u128> {
    parts::read(source, Scope::Skip, &[]).map(|tree| tree.fingerprint())
}

type Tag<'a> = Option<std::borrow::Cow<'a, granit_parser::Tag>>;

/// Block scalars own the blank lines after them; the node ends at its last visible text.
fn trim_trailing_space(source: &str, range: &Span) -> usize {
    let text = &source[range.clone()];
    range.start + text.trim_end_matches([' ', '\t', '\r', '\n']).len()
}

struct Builder<'s> {
    source: &'s str,
    root_scope: Scope,
    /// What the tree keeps in full.
    reads: Vec<Reads>,
    /// The tree being built: nodes go in as they finish, children before their parents.
    tree: Tree<'s>,
    stack: Vec<Frame>,
    /// The entries of the maps being read, innermost last; a map's go into the tree, side
    /// by side, when it closes.
    entries: Vec<EntryData>,
    /// The items of the sequences being read, as `entries`.
    items: Vec<u32>,
    /// Every anchored node, with its depth once aliases are expanded.
    anchors: HashMap<usize, (u32, usize)>,
    /// Where the fingerprints of skipped collections are laid out (see `fingerprint`).
    scratch: Vec<u8>,
    /// The fingerprint of every anchored node an alias in a skipped value led to.
    anchor_fingerprints: HashMap<u32, u128>,
    /// Where the text being read starts in `source`.
    offset: usize,
    /// How deeply collections may nest in the text being read.
    nesting_limit: usize,
    /// Reading a part of the template (see [`parts`]), which refuses anchors and aliases:
    /// they could reach into another part.
    part: bool,
    /// The last collection closed at depth 0 and 1, for joining parts.
    outer: [Option<Outer>; 2],
}

/// A collection as it closed, for joining parts (see [`parts`]).
struct Outer {
    start: usize,
    end: usize,
    flow: bool,
    map: bool,
    tag: Option<Box<str>>,
    keys: KeySet,
    /// A skipped map's entry count, sum, first boolean spelling and fingerprint.
    skipped: Option<(usize, u128, Option<BoolSpelling>, u128)>,
}

struct Frame {
    start: usize,
    flow: bool,
    tag: Text,
    anchor_id: usize,
    /// End of the last child, which is where a block collection ends.
    last_end: usize,
    /// The deepest child, counting what its aliases stand for.
    depth: usize,
    /// Which of its values the tree keeps.
    scope: Scope,
    /// The keys so far, for finding a duplicate.
    keys: KeySet,
    /// A resource whose `Type` has been read: what its `Properties` are read as.
    properties_scope: Option<Scope>,
    body: Body,
}

/// A map's key waiting for its value.
#[derive(Clone, Copy)]
struct Key {
    text: Text,
    start: u32,
    end: u32,
    style: ScalarStyle,
}

enum Body {
    Map {
        /// Where its entries start in [`Builder::entries`].
        first_entry: usize,
        key: Option<Key>,
        left_out: Option<LeftOut>,
    },
    /// Where its items start in [`Builder::items`].
    Seq { first_item: usize },
    /// A collection in [`Scope::Skip`]: only its fingerprint is built, as its values come.
    Skipped(Fold),
}

/// A skipped collection's fingerprint, folded together value by value.
struct Fold {
    /// Where its bytes start in the builder's scratch.
    scratch_start: usize,
    map: bool,
    /// A map's key waiting for its value.
    key: Option<CompactString>,
    len: usize,
    /// The sum of a map's entry fingerprints, or a sequence's chained items.
    sum: u128,
    first_bool: Option<BoolSpelling>,
}

impl Fold {
    /// Whether the next scalar is a map's key.
    fn wants_key(&self) -> bool {
        self.map && self.key.is_none()
    }

    /// Adds the next value: a map's entry under its pending key, or a sequence's item.
    fn add(&mut self, scratch: &mut Vec<u8>, fingerprint: u128, first_bool: Option<BoolSpelling>) {
        if self.first_bool.is_none() {
            self.first_bool = first_bool;
        }
        if self.map {
            let key = self.key.take().expect("a value follows its key");
            self.sum = self
                .sum
                .wrapping_add(fingerprint::entry(scratch, &key, fingerprint));
        } else {
            fingerprint::seq_item(&mut self.sum, fingerprint);
        }
        self.len += 1;
    }

    fn finish(&self, scratch: &mut Vec<u8>) -> u128 {
        if self.map {
            fingerprint::close_map(scratch, self.scratch_start, self.len, self.sum)
        } else {
            fingerprint::close_seq(scratch, self.scratch_start, self.len, self.sum)
        }
    }
}

/// A value the builder has finished: a node in the tree, or a skipped value's fingerprint.
enum Done {
    Node {
        id: u32,
        span: Span,
    },
    Skipped {
        span: Span,
        fingerprint: u128,
        first_bool: Option<BoolSpelling>,
    },
}

impl Done {
    fn span(&self) -> &Span {
        match self {
            Done::Node { span, .. } | Done::Skipped { span, .. } => span,
        }
    }
}

pub(super) fn node_data(span: &Span, tag: Text, anchored: bool, shape: Shape) -> NodeData {
    NodeData {
        start: span.start as u32,
        end: span.end as u32,
        tag,
        a: 0,
        b: 0,
        c: 0,
        shape,
        style: ScalarStyle::Plain,
        flow: false,
        anchored,
    }
}

impl<'s> Builder<'s> {
    fn new(
        source: &'s str,
        root_scope: Scope,
        reads: &[Reads],
        offset: usize,
        nesting_limit: usize,
        part: bool,
    ) -> Self {
        Builder {
            source,
            root_scope,
            reads: reads.to_vec(),
            tree: Tree::new(source),
            stack: Vec::new(),
            entries: Vec::new(),
            items: Vec::new(),
            anchors: HashMap::new(),
            scratch: Vec::new(),
            anchor_fingerprints: HashMap::new(),
            offset,
            nesting_limit,
            part,
            outer: [None, None],
        }
    }

    /// The tree, once the text is read; `None` for a text with no document.
    fn finish(mut self) -> Option<Tree<'s>> {
        if self.tree.root == u32::MAX {
            return None;
        }
        // The arrays grew by doubling; what they did not fill would stay for the tree's life.
        self.tree.nodes.shrink_to_fit();
        self.tree.entries.shrink_to_fit();
        Some(self.tree)
    }

    /// Reads `text`, which starts at `self.offset` in the source.
    fn read(&mut self, text: &str) -> Result<(), ParseError> {
        let options = granit_parser::options! {
            emit_anchor_events: true,
            emit_comments: false,
            flow_nesting_limit: self.nesting_limit,
            block_nesting_limit: self.nesting_limit,
        };
        let mut parser = Parser::new_from_str_with_options(text, options);
        let mut documents = 0;
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|error| {
                let offset = self.offset + error.marker().byte_offset().unwrap_or(0);
                if error.info() == "recursion limit exceeded" {
                    too_deep(offset)
                } else if on_a_long_line(self.source, offset) && error.info().contains("key") {
                    ParseError::new(
                        offset,
                        format!(
                            "{} (an implicit key is at most {IMPLICIT_KEY_LIMIT} characters; \
                             write a longer one as `? key`)",
                            error.info()
                        ),
                    )
                } else if error.info().contains("quote") {
                    quote_error(self.source, offset, &error.info())
                } else {
                    ParseError::new(offset, error.info())
                }
            })?;
            let range = span.byte_range().unwrap_or(0..0);
            let range = self.offset + range.start..self.offset + range.end;
            match event {
                Event::DocumentStart(..) => {
                    documents += 1;
                    if documents > 1 {
                        return Err(ParseError::new(
                            range.start,
                            "more than one YAML document; a template is a single document",
                        ));
                    }
                }
                Event::Scalar(value, style, anchor_id, tag) => {
                    self.refuse_in_part(anchor_id != 0, &range)?;
                    self.scalar(range, value.as_ref(), style.into(), tag, anchor_id)?;
                }
                Event::MappingStart(style, anchor_id, tag) => {
                    self.refuse_in_part(anchor_id != 0, &range)?;
                    self.open(range.start, style, tag, anchor_id, true)?;
                }
                Event::SequenceStart(style, anchor_id, tag) => {
                    self.refuse_in_part(anchor_id != 0, &range)?;
                    self.open(range.start, style, tag, anchor_id, false)?;
                }
                Event::MappingEnd | Event::SequenceEnd => self.close(range)?,
                Event::Alias(id) => {
                    self.refuse_in_part(true, &range)?;
                    self.alias(range, id)?;
                }
                Event::UnresolvedAlias(_) => {
                    return Err(ParseError::new(
                        range.start,
                        "alias to an anchor that is not defined",
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// In a part, an anchor or alias (`shared`) could reach into another part.
    fn refuse_in_part(&self, shared: bool, range: &Span) -> Result<(), ParseError> {
        if self.part && shared {
            return Err(ParseError::new(range.start, "an anchor or alias in a part"));
        }
        Ok(())
    }

    /// The scope of the next value: under the pending key of the innermost map, or the next
    /// item of the innermost sequence.
    fn next_scope(&self) -> Scope {
        let Some(frame) = self.stack.last() else {
            return self.root_scope;
        };
        match &frame.body {
            Body::Map { key: Some(key), .. } => {
                match frame.scope.under_key(self.tree.text(key.text), &self.reads) {
                    Scope::Properties(None) => {
                        frame.properties_scope.unwrap_or(Scope::Properties(None))
                    }
                    scope => scope,
                }
            }
            // A key: only scalars are keys, and the error for another is the same anywhere.
            Body::Map { key: None, .. } => frame.scope,
            Body::Seq { first_item } => frame.scope.under_index(self.items.len() - first_item),
            Body::Skipped(_) => Scope::Skip,
        }
    }

    /// A tag as kept in the tree.
    fn tag(&mut self, tag: Tag<'_>) -> Text {
        let Some(tag) = tag else {
            return Text::NONE;
        };
        self.tree.intern(&tag.original())
    }

    fn scalar(
        &mut self,
        mut range: Span,
        value: &str,
        style: ScalarStyle,
        tag: Tag<'_>,
        anchor_id: usize,
    ) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            // In a skipped collection a scalar is hashed where it stands, without a node (an
            // anchored one is kept for its aliases).
            Some(Frame {
                body: Body::Skipped(fold),
                keys,
                last_end,
                ..
            }) if anchor_id == 0 => {
                // A block collection ends where its last scalar does.
                let end = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    trim_trailing_space(self.source, &range)
                } else {
                    range.end
                };
                *last_end = (*last_end).max(end);
                if fold.wants_key() {
                    let earlier = keys.insert(value, range.start);
                    fold.key = Some(CompactString::from(value));
                    if let Some(first) = earlier {
                        self.skipped_duplicate(value, first, range);
                    }
                } else {
                    let (hash, spelling) = left_out_scalar(&mut self.scratch, &tag, value, style);
                    fold.add(&mut self.scratch, hash, spelling);
                }
                return Ok(());
            }
            // A key of a kept map goes into its entry, without a node.
            Some(Frame {
                body: Body::Map { key: None, .. },
                ..
            }) if anchor_id == 0 => {
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    range.end = trim_trailing_space(self.source, &range);
                }
                let text = self.tree.keep_text(value);
                let last_end = &mut self.stack.last_mut().expect("a frame").last_end;
                *last_end = (*last_end).max(range.end);
                return self.add_key(Key {
                    text,
                    start: range.start as u32,
                    end: range.end as u32,
                    style,
                });
            }
            _ => {}
        }
        if value.is_empty() && style == ScalarStyle::Plain && range.is_empty() {
            range = self.implicit_null_span(range.start);
        }
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            range.end = trim_trailing_space(self.source, &range);
        }
        // A value the tree leaves out of a map it keeps, such as a function's `Handler`.
        if anchor_id == 0 && self.next_scope() == Scope::Skip {
            let (fingerprint, first_bool) = left_out_scalar(&mut self.scratch, &tag, value, style);
            let done = Done::Skipped {
                span: range,
                fingerprint,
                first_bool,
            };
            return self.complete(done, 0, 0);
        }
        let tag = self.tag(tag);
        let text = self.tree.keep_text(value);
        let mut node = node_data(&range, tag, anchor_id != 0, Shape::Scalar);
        node.a = text.start;
        node.b = text.len;
        node.style = style;
        let id = self.tree.push_node(node);
        self.complete(Done::Node { id, span: range }, anchor_id, 0)
    }

    fn alias(&mut self, range: Span, id: usize) -> Result<(), ParseError> {
        let (target, depth) = self.anchors.get(&id).copied().ok_or_else(|| {
            ParseError::new(range.start, "alias to an anchor that is not defined")
        })?;
        if matches!(self.next_scope(), Scope::Skip) {
            let fingerprint = self
                .tree
                .node(target)
                .anchored_fingerprint(&mut self.anchor_fingerprints, &mut self.scratch);
            let done = Done::Skipped {
                span: range,
                fingerprint,
                // An alias says nothing about how the file spells booleans.
                first_bool: None,
            };
            return self.complete(done, 0, depth);
        }
        let mut node = node_data(&range, Text::NONE, false, Shape::Alias);
        node.a = target;
        let id = self.tree.push_node(node);
        self.complete(Done::Node { id, span: range }, 0, depth)
    }

    fn open(
        &mut self,
        start: usize,
        style: StructureStyle,
        tag: Tag<'_>,
        anchor_id: usize,
        map: bool,
    ) -> Result<(), ParseError> {
        if self.stack.len() >= self.nesting_limit {
            return Err(too_deep(start));
        }
        let mut scope = self.next_scope();
        // Aliases may stand for an anchored node anywhere, so the tree keeps all of it.
        if anchor_id != 0 {
            scope = Scope::All;
        }
        let body = if scope == Scope::Skip {
            let tag = tag.as_ref().map(|t| t.original());
            Body::Skipped(Fold {
                scratch_start: fingerprint::open(
                    &mut self.scratch,
                    tag.as_deref(),
                    if map { b'{' } else { b'[' },
                ),
                map,
                key: None,
                len: 0,
                sum: 0,
                first_bool: None,
            })
        } else if map {
            Body::Map {
                first_entry: self.entries.len(),
                key: None,
                left_out: None,
            }
        } else {
            Body::Seq {
                first_item: self.items.len(),
            }
        };
        let tag = self.tag(tag);
        self.stack.push(Frame {
            start,
            flow: style == StructureStyle::Flow,
            tag,
            anchor_id,
            last_end: start,
            depth: 0,
            scope,
            keys: KeySet::default(),
            properties_scope: None,
            body,
        });
        Ok(())
    }

    fn close(&mut self, end_token: Span) -> Result<(), ParseError> {
        let mut frame = self
            .stack
            .pop()
            .expect("the parser balances collection events");
        let depth_in_text = self.stack.len();
        let end = if frame.flow {
            end_token.end
        } else {
            frame.last_end
        };
        let span = frame.start..end;
        let depth = frame.depth + 1;
        if depth > self.nesting_limit {
            return Err(ParseError::new(
                span.start,
                format!(
                    "collections are nested more than {NESTING_LIMIT} deep once aliases are expanded"
                ),
            ));
        }
        let outer = (self.part && depth_in_text < self.outer.len()).then(|| Outer {
            start: span.start,
            end: span.end,
            flow: frame.flow,
            map: matches!(
                frame.body,
                Body::Map { .. } | Body::Skipped(Fold { map: true, .. })
            ),
            tag: (!frame.tag.is_none()).then(|| self.tree.text(frame.tag).into()),
            keys: std::mem::take(&mut frame.keys),
            skipped: None,
        });
        let mut skipped = None;
        let mut node = node_data(&span, frame.tag, frame.anchor_id != 0, Shape::Map);
        node.flow = frame.flow;
        let done = match frame.body {
            Body::Skipped(fold) => {
                let fingerprint = fold.finish(&mut self.scratch);
                skipped = Some((fold.len, fold.sum, fold.first_bool, fingerprint));
                Done::Skipped {
                    span,
                    fingerprint,
                    first_bool: fold.first_bool,
                }
            }
            Body::Map {
                first_entry,
                left_out,
                ..
            } => {
                if let Some(left_out) = left_out {
                    self.tree.left_out.push(left_out);
                    node.c = self.tree.left_out.len() as u32;
                }
                let id = self.tree.push_map(node, self.entries.drain(first_entry..));
                Done::Node { id, span }
            }
            Body::Seq { first_item } => {
                node.shape = Shape::Seq;
                node.a = self.tree.items.len() as u32;
                node.b = (self.items.len() - first_item) as u32;
                self.tree.items.extend(self.items.drain(first_item..));
                let id = self.tree.push_node(node);
                Done::Node { id, span }
            }
        };
        if let Some(outer) = outer {
            self.outer[depth_in_text] = Some(Outer { skipped, ..outer });
        }
        self.complete(done, frame.anchor_id, depth)
    }

    /// A key's text, span and style: keys are scalars.
    fn key_of(&self, done: &Done) -> Result<Key, ParseError> {
        match *done {
            Done::Node { id, ref span } => {
                let node = self.tree.nodes[id as usize];
                if node.shape != Shape::Scalar {
                    return Err(not_a_key(span.start));
                }
                Ok(Key {
                    text: Text {
                        start: node.a,
                        len: node.b,
                    },
                    start: node.start,
                    end: node.end,
                    style: node.style,
                })
            }
            Done::Skipped { ref span, .. } => Err(not_a_key(span.start)),
        }
    }

    /// The value's fingerprint and first boolean spelling (see [`Fold::add`]).
    fn folded(&mut self, done: Done) -> (u128, Option<BoolSpelling>) {
        match done {
            Done::Skipped {
                fingerprint,
                first_bool,
                ..
            } => (fingerprint, first_bool),
            Done::Node { id, .. } => {
                let node = self.tree.node(id);
                (
                    node.fingerprint_with(&mut self.anchor_fingerprints, &mut self.scratch),
                    node.first_bool_spelling(),
                )
            }
        }
    }

    /// The value as a node of the tree: a skipped one gets its node here.
    fn node_of(&mut self, done: Done) -> u32 {
        match done {
            Done::Node { id, .. } => id,
            Done::Skipped {
                span,
                fingerprint,
                first_bool,
            } => self.tree.push_skipped(&span, fingerprint, first_bool),
        }
    }

    /// Adds the key of the innermost map, which is a kept map waiting for one. A key written
    /// before in the map takes the earlier entry's place (see [`Duplicate`]).
    fn add_key(&mut self, key: Key) -> Result<(), ParseError> {
        let frame = self.stack.last_mut().expect("a map to add the key to");
        let Body::Map {
            first_entry,
            key: pending,
            ..
        } = &mut frame.body
        else {
            unreachable!("keys are added to kept maps")
        };
        let first_entry = *first_entry;
        *pending = Some(key);
        let text = self.tree.text(key.text);
        let earlier = if matches!(frame.scope, Scope::Listed(_)) {
            // Its entries lack the keys it leaves out.
            frame.keys.insert(text, key.start as usize)
        } else {
            frame.keys.insert_kept(
                &self.tree,
                &self.entries[first_entry..],
                text,
                key.start as usize,
            )
        };
        if let Some(first) = earlier {
            self.drop_earlier(first_entry, first, key);
        }
        Ok(())
    }

    /// Takes the entry whose key starts at `first` out of the innermost map's kept entries
    /// (if it is one: a left-out entry is folded already) into what the map leaves out, so
    /// the map reads the later one but its fingerprint still counts both; and records the
    /// duplicate.
    fn drop_earlier(&mut self, first_entry: usize, first: usize, key: Key) {
        let name = CompactString::from(self.tree.text(key.text));
        let position = self.entries[first_entry..]
            .iter()
            .position(|entry| entry.key_start as usize == first);
        let mut first_span = first..first + name.len();
        if let Some(position) = position {
            let entry = self.entries.remove(first_entry + position);
            let node = self.tree.node(entry.value);
            first_span.end = node.span().end;
            let first_bool = node.first_bool_spelling();
            let fingerprint =
                node.fingerprint_with(&mut self.anchor_fingerprints, &mut self.scratch);
            let folded = fingerprint::entry(&mut self.scratch, &name, fingerprint);
            let Some(Frame {
                body: Body::Map { left_out, .. },
                ..
            }) = self.stack.last_mut()
            else {
                unreachable!("a kept map")
            };
            let left_out = left_out.get_or_insert_with(Default::default);
            left_out.len += 1;
            left_out.sum = left_out.sum.wrapping_add(folded);
            match &mut left_out.first_bool {
                Some((kept_before, _)) if *kept_before > position => *kept_before -= 1,
                Some(_) => {}
                none => *none = first_bool.map(|spelling| (position, spelling)),
            }
        }
        self.tree.duplicates.push(Duplicate {
            key: name.to_string(),
            first: first_span,
            second: key.start as usize..key.end as usize,
        });
    }

    /// Records a key written twice in a map the tree doesn't keep: both count in its
    /// fingerprint, as in the kept map's.
    fn skipped_duplicate(&mut self, key: &str, first: usize, second: Span) {
        self.tree.duplicates.push(Duplicate {
            key: key.to_string(),
            first: first..first + key.len(),
            second,
        });
    }

    /// Adds a finished node to its parent; `depth` is how deeply it nests once its aliases
    /// are expanded (0 for a scalar).
    fn complete(&mut self, done: Done, anchor_id: usize, depth: usize) -> Result<(), ParseError> {
        if let Done::Node { id, .. } = done {
            if anchor_id != 0 {
                self.anchors.insert(anchor_id, (id, depth));
            }
        }
        let Some(frame) = self.stack.last_mut() else {
            self.tree.root = self.node_of(done);
            return Ok(());
        };
        frame.last_end = frame.last_end.max(done.span().end);
        frame.depth = frame.depth.max(depth);
        let scope = frame.scope;
        match &mut frame.body {
            // An anchored scalar or a collection: other scalars are folded in `scalar`.
            Body::Skipped(fold) if fold.wants_key() => {
                let key = self.key_of(&done)?;
                let text = CompactString::from(self.tree.text(key.text));
                let frame = self.stack.last_mut().expect("a frame");
                let earlier = frame.keys.insert(&text, key.start as usize);
                innermost_fold(frame).key = Some(text.clone());
                if let Some(first) = earlier {
                    self.skipped_duplicate(&text, first, key.start as usize..key.end as usize);
                }
            }
            Body::Skipped(_) => {
                let (fingerprint, first_bool) = self.folded(done);
                let fold = innermost_fold(self.stack.last_mut().expect("a frame"));
                fold.add(&mut self.scratch, fingerprint, first_bool);
            }
            Body::Seq { .. } => {
                let id = self.node_of(done);
                self.items.push(id);
            }
            Body::Map { key, .. } => match key.take() {
                None => {
                    let key = self.key_of(&done)?;
                    self.add_key(key)?;
                }
                Some(key) => {
                    let name = self.tree.text(key.text);
                    if let Scope::Listed(kind) = scope {
                        let read =
                            kind.is_some_and(|kind| reads_property(&self.reads, Some(kind), name));
                        if name != "<<" && !read {
                            self.leave_out(key, done);
                            return Ok(());
                        }
                    }
                    if scope == Scope::Resource && name == "Type" {
                        if let Done::Node { id, .. } = done {
                            let properties_scope = self
                                .tree
                                .node(id)
                                .as_str()
                                .map(|kind| properties_scope(&self.reads, kind));
                            self.stack.last_mut().expect("a frame").properties_scope =
                                properties_scope;
                        }
                    }
                    let value = self.node_of(done);
                    let entry = self
                        .tree
                        .parsed_entry(key.text, key.start, key.end, key.style);
                    self.entries.push(EntryData { value, ..entry });
                    // A later copy of a key spans its value too.
                    if !self.tree.duplicates.is_empty() {
                        let end = self.tree.node(value).span().end;
                        if let Some(duplicate) = self
                            .tree
                            .duplicates
                            .iter_mut()
                            .rev()
                            .find(|duplicate| duplicate.second.start == key.start as usize)
                        {
                            duplicate.second.end = end;
                        }
                    }
                }
            },
        }
        Ok(())
    }

    /// Folds an entry of the innermost map into what it leaves out (see
    /// [`Scope::Listed`]).
    fn leave_out(&mut self, key: Key, done: Done) {
        let name = CompactString::from(self.tree.text(key.text));
        let kept_before = self.entries.len();
        let (fingerprint, first_bool) = self.folded(done);
        let entry = fingerprint::entry(&mut self.scratch, &name, fingerprint);
        let Some(Frame {
            body:
                Body::Map {
                    first_entry,
                    left_out,
                    ..
                },
            ..
        }) = self.stack.last_mut()
        else {
            unreachable!("entries are left out of kept maps")
        };
        let left_out = left_out.get_or_insert_with(Default::default);
        left_out.len += 1;
        left_out.sum = left_out.sum.wrapping_add(entry);
        if left_out.first_bool.is_none() {
            left_out.first_bool = first_bool.map(|spelling| (kept_before - *first_entry, spelling));
        }
    }

    /// An empty value (`Key:` followed by nothing) sits right after its key's colon.
    fn implicit_null_span(&self, fallback: usize) -> Span {
        let Some(Frame {
            body: Body::Map { key: Some(key), .. },
            ..
        }) = self.stack.last()
        else {
            return fallback..fallback;
        };
        let key_end = key.end as usize;
        let after_key = &self.source[key_end..];
        let colon = after_key
            .find(|c: char| c != ' ' && c != '\t')
            .filter(|&i| after_key[i..].starts_with(':'))
            .map(|i| key_end + i + 1)
            .unwrap_or(key_end);
        colon..colon
    }
}

/// The fingerprint and boolean spelling of a scalar the tree leaves out, taken where it
/// stands.
fn left_out_scalar(
    scratch: &mut Vec<u8>,
    tag: &Tag<'_>,
    value: &str,
    style: ScalarStyle,
) -> (u128, Option<BoolSpelling>) {
    let tag = tag.as_ref().map(|t| t.original());
    let fingerprint = fingerprint::scalar(scratch, tag.as_deref(), value, style);
    let first_bool = match (tag, style) {
        (None, ScalarStyle::Plain) => BoolSpelling::of_word(value),
        _ => None,
    };
    (fingerprint, first_bool)
}

fn innermost_fold(frame: &mut Frame) -> &mut Fold {
    match &mut frame.body {
        Body::Skipped(fold) => fold,
        _ => unreachable!("the innermost collection is skipped"),
    }
}

/// A file without a document: empty, or only comments (which is not "empty" to whoever
/// wrote them), pointed at its first comment.
fn no_document(source: &str) -> ParseError {
    let text = source.trim_start_matches('\u{feff}');
    match text.find(|c: char| !c.is_whitespace()) {
        Some(at) => ParseError::new(
            source.len() - text.len() + at,
            "the file holds only comments: no YAML or JSON document",
        ),
        None => ParseError::new(0, "the file is empty"),
    }
}

/// A quoted scalar the parser could not finish is reported at its opening quote, where
/// the mistake is, rather than where the parser gave up (often the next line, or the end
/// of the file); `unclosed quote` when no quote of its kind follows it at all.
fn quote_error(source: &str, offset: usize, info: &str) -> ParseError {
    let Some(open) = opening_quote(source, offset) else {
        return ParseError::new(offset, info);
    };
    let quote = source.as_bytes()[open];
    if source.as_bytes()[open + 1..].contains(&quote) {
        let line = source[..offset.min(source.len())].matches('\n').count() + 1;
        ParseError::new(
            open,
            format!("{info}: the quoted scalar that starts here goes on to line {line}"),
        )
    } else {
        ParseError::new(open, "unclosed quote")
    }
}

/// The quote that opens the scalar the parser was reading at `offset`: on the nearest
/// line up to `offset`, the last `"` or `'` where a scalar can start (at the start of the
/// line or after `:`, `-`, `?`, `[`, `{` or `,`).
fn opening_quote(source: &str, offset: usize) -> Option<usize> {
    let mut end = offset.min(source.len());
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    loop {
        let start = source[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = &source.as_bytes()[start..end];
        let opener = (0..line.len()).rev().find(|&i| {
            matches!(line[i], b'"' | b'\'')
                && line[..i]
                    .iter()
                    .rev()
                    .find(|b| !matches!(b, b' ' | b'\t'))
                    .is_none_or(|b| b":-?[{,".contains(b))
        });
        if let Some(i) = opener {
            return Some(start + i);
        }
        if start == 0 {
            return None;
        }
        end = start - 1;
    }
}

fn not_a_key(offset: usize) -> ParseError {
    ParseError::new(offset, "a mapping key must be a plain or quoted string")
}

/// The keys of a map being read, to find a key written twice. A scan finds
/// one among a few keys faster than a hash; a map past [`KEYS_SCANNED`] keys gets a hash.
#[derive(Default)]
struct KeySet {
    /// Each key with the offset where it is written.
    few: Vec<(CompactString, usize)>,
    many: Option<HashMap<CompactString, usize, foldhash::fast::RandomState>>,
}

const KEYS_SCANNED: usize = 16;

impl KeySet {
    /// Adds the key of a kept map, whose `entries` already hold its keys so far: a small
    /// map is scanned, and only a large one copies its keys into a hash.
    fn insert_kept(
        &mut self,
        tree: &Tree<'_>,
        entries: &[EntryData],
        key: &str,
        at: usize,
    ) -> Option<usize> {
        if self.many.is_none() {
            if entries.len() < KEYS_SCANNED {
                return entries
                    .iter()
                    .find(|entry| tree.key_text(entry) == key)
                    .map(|first| first.key_start as usize);
            }
            let written = entries.iter().map(|entry| {
                (
                    CompactString::from(tree.key_text(entry)),
                    entry.key_start as usize,
                )
            });
            self.many = Some(written.collect());
        }
        self.insert(key, at)
    }

    /// Where `key` is written, if it is one of the keys.
    fn offset_of(&self, key: &str) -> Option<usize> {
        match &self.many {
            Some(many) => many.get(key).copied(),
            None => self.few.iter().find(|(k, _)| k == key).map(|(_, at)| *at),
        }
    }

    fn keys(&self) -> Box<dyn Iterator<Item = &CompactString> + '_> {
        match &self.many {
            Some(many) => Box::new(many.keys()),
            None => Box::new(self.few.iter().map(|(key, _)| key)),
        }
    }

    /// Adds `key`, written at `at`; returns where it was written before, if it was. The
    /// set keeps the later place: a third copy names the second.
    fn insert(&mut self, key: &str, at: usize) -> Option<usize> {
        if let Some(many) = &mut self.many {
            return many.insert(CompactString::from(key), at);
        }
        if let Some((_, first)) = self.few.iter_mut().find(|(k, _)| k == key) {
            return Some(std::mem::replace(first, at));
        }
        self.few.push((CompactString::from(key), at));
        if self.few.len() > KEYS_SCANNED {
            self.many = Some(std::mem::take(&mut self.few).into_iter().collect());
        }
        None
    }
}

impl From<GranitStyle> for ScalarStyle {
    fn from(style: GranitStyle) -> Self {
        match style {
            GranitStyle::Plain => ScalarStyle::Plain,
            GranitStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            GranitStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            GranitStyle::Literal => ScalarStyle::Literal,
            GranitStyle::Folded => ScalarStyle::Folded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(source: &str) -> ParseError {
        match crate::parse::parse(source) {
            Ok(_) => panic!("{source:?} parses"),
            Err(error) => error,
        }
    }

    #[test]
    fn an_unclosed_quote_is_reported_at_its_opening_quote() {
        for (source, at) in [
            ("a: \"abc", 3),
            ("a: 'abc\n", 3),
            ("a: 1\nb: \"it's\n\nc: 2\n", 8),
            ("a:\n  - \"x\n  - y\n", 7),
            ("a: [ \"abc ]\n", 5),
        ] {
            let error = error_of(source);
            assert_eq!(
                (error.offset, error.message.as_str()),
                (at, "unclosed quote"),
                "{source:?}"
            );
        }
        let error = error_of("a: \"ok\nno indent\"\n");
        assert_eq!(error.offset, 3);
        assert!(error.message.ends_with("goes on to line 2"), "{error:?}");
    }

    #[test]
    fn a_file_of_comments_is_not_called_empty() {
        let error = error_of("\u{feff}\n# only\n# comments\n");
        assert_eq!(
            (error.offset, error.message.as_str()),
            (4, "the file holds only comments: no YAML or JSON document")
        );
        assert_eq!(error_of(" \n\n").message, "the file is empty");
    }
}
