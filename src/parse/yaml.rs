//! Builds the span-carrying tree from `granit-parser` events.

use std::collections::HashMap;
use std::rc::Rc;

use compact_str::CompactString;
use granit_parser::{Event, Parser, ScalarStyle as GranitStyle, StructureStyle};

use super::{Entries, Entry, Kind, Map, Node, ParseError, Scalar, ScalarStyle, Seq, Span};

/// How deeply collections may nest, as written and once aliases are expanded.
/// CloudFormation templates stay far below this; the limit keeps hostile input (and the
/// recursive walks that follow aliases) from exhausting the stack.
const NESTING_LIMIT: usize = 200;

/// The tree holds its own copy of every anchored node, so an anchor inside an anchored
/// collection is copied once per enclosing anchor. The copies may add up to the size of
/// the file plus this much; more is refused, which keeps memory linear in the file size.
const ANCHOR_COPY_SLACK: usize = 1 << 20;

/// YAML's limit on a key written without `? `; the parser reports a longer one as a key
/// without its colon, which names neither the length nor the way out.
const IMPLICIT_KEY_LIMIT: usize = 1024;

fn on_a_long_line(source: &str, offset: usize) -> bool {
    let offset = offset.min(source.len());
    let start = source.as_bytes()[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = source.as_bytes()[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(source.len(), |i| offset + i);
    end - start > IMPLICIT_KEY_LIMIT
}

fn too_deep(offset: usize) -> ParseError {
    ParseError::new(
        offset,
        format!("collections are nested more than {NESTING_LIMIT} deep"),
    )
}

/// Parses a single-document YAML (or JSON) template.
pub fn parse(source: &str) -> Result<Node, ParseError> {
    let options = granit_parser::options! {
        emit_anchor_events: true,
        emit_comments: false,
        flow_nesting_limit: NESTING_LIMIT,
        block_nesting_limit: NESTING_LIMIT,
    };
    let mut parser = Parser::new_from_str_with_options(source, options);
    let mut builder = Builder {
        source,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        copied: 0,
    };
    let mut documents = 0;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|error| {
            let offset = error.marker().byte_offset().unwrap_or(0);
            if error.info() == "recursion limit exceeded" {
                too_deep(offset)
            } else if on_a_long_line(source, offset) && error.info().contains("key") {
                ParseError::new(
                    offset,
                    format!(
                        "{} (an implicit key is at most {IMPLICIT_KEY_LIMIT} characters; write a \
                         longer one as `? key`)",
                        error.info()
                    ),
                )
            } else {
                ParseError::new(offset, error.info())
            }
        })?;
        let range = span.byte_range().unwrap_or(0..0);
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
                let mut range = range;
                if value.is_empty() && style == GranitStyle::Plain && range.is_empty() {
                    range = builder.implicit_null_span(range.start);
                }
                if matches!(style, GranitStyle::Literal | GranitStyle::Folded) {
                    range.end = trim_trailing_space(source, &range);
                }
                let node = Node {
                    span: range,
                    tag: tag.map(|t| t.original().into_boxed_str()),
                    anchor: anchor_name(&mut parser, anchor_id),
                    kind: Kind::Scalar(Scalar {
                        value: CompactString::from(value),
                        style: style.into(),
                    }),
                };
                builder.complete(node, anchor_id, 0)?;
            }
            Event::MappingStart(style, anchor_id, tag) => {
                let anchor = anchor_name(&mut parser, anchor_id);
                let body = Body::Map {
                    entries: Entries::default(),
                    key: None,
                };
                builder.open(
                    range.start,
                    style,
                    tag.map(|t| t.original().into_boxed_str()),
                    anchor,
                    anchor_id,
                    body,
                )?;
            }
            Event::SequenceStart(style, anchor_id, tag) => {
                let anchor = anchor_name(&mut parser, anchor_id);
                let body = Body::Seq(Vec::new());
                builder.open(
                    range.start,
                    style,
                    tag.map(|t| t.original().into_boxed_str()),
                    anchor,
                    anchor_id,
                    body,
                )?;
            }
            Event::MappingEnd | Event::SequenceEnd => builder.close(range)?,
            Event::Alias(id) => {
                let (target, depth) = builder.anchors.get(&id).cloned().ok_or_else(|| {
                    ParseError::new(range.start, "alias to an anchor that is not defined")
                })?;
                let node = Node {
                    span: range,
                    tag: None,
                    anchor: None,
                    kind: Kind::Alias(target),
                };
                builder.complete(node, 0, depth)?;
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
    builder
        .root
        .ok_or_else(|| ParseError::new(0, "the file is empty"))
}

/// The anchor's name: with anchor events on, it follows its node's event directly.
fn anchor_name<'s>(
    parser: &mut Parser<'s, granit_parser::StrInput<'s>>,
    anchor_id: usize,
) -> Option<Box<str>> {
    if anchor_id == 0 {
        return None;
    }
    match parser.peek() {
        Some(Ok((Event::Anchor(id, _), _))) if *id == anchor_id => {}
        _ => return Some("".into()),
    }
    match parser.next_event() {
        Some(Ok((Event::Anchor(_, name), _))) => Some(name.into()),
        _ => Some("".into()),
    }
}

/// Block scalars own the blank lines after them; the node ends at its last visible text.
fn trim_trailing_space(source: &str, range: &Span) -> usize {
    let text = &source[range.clone()];
    range.start + text.trim_end_matches([' ', '\t', '\r', '\n']).len()
}

struct Builder<'s> {
    source: &'s str,
    stack: Vec<Frame>,
    /// Every anchored node, with its depth once aliases are expanded.
    anchors: HashMap<usize, (Rc<Node>, usize)>,
    root: Option<Node>,
    /// Bytes of source the anchored copies stand for (see [`ANCHOR_COPY_SLACK`]).
    copied: usize,
}

struct Frame {
    start: usize,
    flow: bool,
    tag: Option<Box<str>>,
    anchor: Option<Box<str>>,
    anchor_id: usize,
    /// End of the last child, which is where a block collection ends.
    last_end: usize,
    /// The deepest child, counting what its aliases stand for.
    depth: usize,
    body: Body,
}

enum Body {
    Map {
        entries: Entries,
        key: Option<(CompactString, Span, ScalarStyle)>,
    },
    Seq(Vec<Node>),
}

impl Builder<'_> {
    fn open(
        &mut self,
        start: usize,
        style: StructureStyle,
        tag: Option<Box<str>>,
        anchor: Option<Box<str>>,
        anchor_id: usize,
        body: Body,
    ) -> Result<(), ParseError> {
        if self.stack.len() >= NESTING_LIMIT {
            return Err(too_deep(start));
        }
        let flow = style == StructureStyle::Flow;
        self.stack.push(Frame {
            start,
            flow,
            tag,
            anchor,
            anchor_id,
            last_end: start,
            depth: 0,
            body,
        });
        Ok(())
    }

    fn close(&mut self, end_token: Span) -> Result<(), ParseError> {
        let frame = self
            .stack
            .pop()
            .expect("the parser balances collection events");
        let end = if frame.flow {
            end_token.end
        } else {
            frame.last_end
        };
        // A collection's spare capacity would stay for the life of the tree, and most
        // are a few entries in a buffer grown for more.
        let kind = match frame.body {
            Body::Map { mut entries, .. } => Kind::Map(Box::new(Map {
                flow: frame.flow,
                entries: {
                    entries.shrink_to_fit();
                    entries
                },
            })),
            Body::Seq(mut items) => Kind::Seq(Seq {
                flow: frame.flow,
                items: {
                    items.shrink_to_fit();
                    items
                },
            }),
        };
        let node = Node {
            span: frame.start..end,
            tag: frame.tag,
            anchor: frame.anchor,
            kind,
        };
        let depth = frame.depth + 1;
        if depth > NESTING_LIMIT {
            return Err(ParseError::new(
                node.span.start,
                format!(
                    "collections are nested more than {NESTING_LIMIT} deep once aliases are expanded"
                ),
            ));
        }
        self.complete(node, frame.anchor_id, depth)
    }

    /// Adds a finished node to its parent; `depth` is how deeply it nests once its aliases
    /// are expanded (0 for a scalar).
    fn complete(&mut self, node: Node, anchor_id: usize, depth: usize) -> Result<(), ParseError> {
        if anchor_id != 0 {
            self.copied = self.copied.saturating_add(node.span.len());
            let limit = self.source.len().saturating_add(ANCHOR_COPY_SLACK);
            if self.copied > limit {
                return Err(ParseError::new(
                    node.span.start,
                    format!(
                        "anchors nested inside anchored collections would copy more than \
                         {limit} bytes"
                    ),
                ));
            }
            self.anchors
                .insert(anchor_id, (Rc::new(node.clone()), depth));
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        frame.last_end = frame.last_end.max(node.span.end);
        frame.depth = frame.depth.max(depth);
        match &mut frame.body {
            Body::Seq(items) => items.push(node),
            Body::Map { entries, key } => match key.take() {
                None => {
                    let Kind::Scalar(scalar) = node.kind else {
                        return Err(ParseError::new(
                            node.span.start,
                            "a mapping key must be a plain or quoted string",
                        ));
                    };
                    *key = Some((scalar.value, node.span, scalar.style));
                }
                Some((name, key_span, key_style)) => {
                    // One hash lookup both finds a duplicate and inserts.
                    match entries.entry(name) {
                        indexmap::map::Entry::Occupied(first) => {
                            return Err(ParseError::new(
                                key_span.start,
                                format!("duplicate key `{}`", first.key()),
                            )
                            .with_related(first.get().key_span.start));
                        }
                        indexmap::map::Entry::Vacant(slot) => {
                            slot.insert(Entry {
                                key_span,
                                key_style,
                                value: node,
                            });
                        }
                    }
                }
            },
        }
        Ok(())
    }

    /// An empty value (`Key:` followed by nothing) sits right after its key's colon.
    fn implicit_null_span(&self, fallback: usize) -> Span {
        let Some(Frame {
            body:
                Body::Map {
                    key: Some((_, key_span, _)),
                    ..
                },
            ..
        }) = self.stack.last()
        else {
            return fallback..fallback;
        };
        let after_key = &self.source[key_span.end..];
        let colon = after_key
            .find(|c: char| c != ' ' && c != '\t')
            .filter(|&i| after_key[i..].starts_with(':'))
            .map(|i| key_span.end + i + 1)
            .unwrap_or(key_span.end);
        colon..colon
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
