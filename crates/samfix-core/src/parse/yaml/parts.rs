//! A large template read in parts, on two threads with the `parallel` feature.
//!
//! Most of a large template is its `Resources`. When that is a block map, the text is cut
//! before one of its resources, about halfway through the file, and where `Resources`
//! ends: the *middle* (the later resources) is read on a second thread as a map of its
//! own, while this thread reads the *head* (everything before the middle) and the *tail*
//! (the sections after `Resources`). Joined, they give the tree a whole read gives,
//! provided nothing crosses a cut, which the joining checks: each part reads as complete
//! YAML on its own, the middle is a block map at the resources' indentation, the head ends
//! in a block `Resources` map, the tail is a block map at the first column, no key is
//! repeated across parts, and no part has an anchor or an alias (which could reach into
//! another part). Anything else is read whole, which is also how its errors are reported.

use super::{fingerprint, Builder, Outer, Reads, Scope, NESTING_LIMIT};
use crate::parse::{BoolSpelling, Kind, Tree};

/// Where a template is cut (byte offsets), found in its text.
struct Cuts {
    /// The `Resources` key, at the start of its line.
    resources_key: usize,
    /// The first resource's key.
    first_entry: usize,
    /// The start of the line where the middle begins, before a resource's key.
    split: usize,
    /// Where the tail begins: the first line after the resources that is indented less.
    end: usize,
    /// How far the resources' keys are indented.
    indent: usize,
}

/// One part as read: its tree, and its outermost collections as they closed.
struct Part<'s> {
    tree: Option<Tree<'s>>,
    outer: [Option<Outer>; 2],
}

pub(super) fn read<'s>(source: &'s str, root_scope: Scope, reads: &[Reads]) -> Option<Tree<'s>> {
    let cuts = Cuts::find(source)?;
    let resources_scope = root_scope.under_key("Resources", reads);
    // The middle's map stands one level down in the template.
    let middle = || {
        read_part(
            source,
            cuts.split..cuts.end,
            resources_scope,
            reads,
            NESTING_LIMIT - 1,
        )
    };
    let head_and_tail = || {
        let head = read_part(source, 0..cuts.split, root_scope, reads, NESTING_LIMIT);
        let tail = if source[cuts.end..].trim_ascii().is_empty() {
            Some(Part {
                tree: None,
                outer: [None, None],
            })
        } else {
            read_part(
                source,
                cuts.end..source.len(),
                root_scope,
                reads,
                NESTING_LIMIT,
            )
        };
        (head, tail)
    };
    #[cfg(feature = "parallel")]
    let ((head, tail), middle) = std::thread::scope(|threads| {
        let middle = threads.spawn(middle);
        (head_and_tail(), middle.join().ok().flatten())
    });
    // Without threads the parts are read one after the other, and still joined the same way.
    #[cfg(not(feature = "parallel"))]
    let ((head, tail), middle) = (head_and_tail(), middle());
    join(&cuts, head?, middle?, tail?)
}

fn read_part<'s>(
    source: &'s str,
    range: std::ops::Range<usize>,
    scope: Scope,
    reads: &[Reads],
    nesting_limit: usize,
) -> Option<Part<'s>> {
    let mut builder = Builder::new(source, scope, reads, range.start, nesting_limit, true);
    builder.read(&source[range]).ok()?;
    // A key written twice is rare: the whole read records it where it is.
    if !builder.tree.duplicates.is_empty() {
        return None;
    }
    let outer = std::mem::take(&mut builder.outer);
    Some(Part {
        tree: builder.finish(),
        outer,
    })
}

impl Cuts {
    fn find(source: &str) -> Option<Cuts> {
        let bytes = source.as_bytes();
        let mut lines = Lines { bytes, at: 0 };
        // `Resources:` at the first column, with its value on the lines below.
        let resources_key = loop {
            let (start, line) = lines.next()?;
            let (key_at, line) = match line.strip_prefix("\u{feff}".as_bytes()) {
                Some(rest) => (start + "\u{feff}".len(), rest),
                None => (start, line),
            };
            if let Some(rest) = line.strip_prefix(b"Resources:") {
                let rest = rest.trim_ascii_start();
                if rest.is_empty() || rest.starts_with(b"#") {
                    break key_at;
                }
            }
        };
        let (first_entry, indent) = loop {
            let (start, line) = lines.next()?;
            if let Some((indent, first)) = significant(line) {
                if indent == 0 || first == b'-' {
                    return None;
                }
                break (start + indent, indent);
            }
        };
        let end = loop {
            match lines.next() {
                None => break source.len(),
                Some((start, line)) => {
                    if significant(line).is_some_and(|(width, _)| width < indent) {
                        break start;
                    }
                }
            }
        };
        // The middle runs to `end`: for two halves of the work, it starts half the file
        // before that, at the next resource.
        let target = end.saturating_sub(source.len() / 2).max(first_entry + 1);
        let mut lines = Lines {
            bytes,
            at: target + bytes[target..].iter().position(|&b| b == b'\n')? + 1,
        };
        let split = loop {
            let (start, line) = lines.next()?;
            if start >= end {
                return None;
            }
            if let Some((width, first)) = significant(line) {
                if width == indent
                    && (first.is_ascii_alphanumeric() || matches!(first, b'_' | b'"' | b'\''))
                {
                    break start;
                }
            }
        };
        Some(Cuts {
            resources_key,
            first_entry,
            split,
            end,
            indent,
        })
    }
}

/// Lines with the offsets where they start, without their line breaks.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let start = self.at;
        let rest = &self.bytes[start..];
        let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        self.at = start + len + 1;
        let line = &rest[..len];
        Some((start, line.strip_suffix(b"\r").unwrap_or(line)))
    }
}

/// A line's indentation and first character, unless it is blank or a comment.
fn significant(line: &[u8]) -> Option<(usize, u8)> {
    let indent = line.iter().take_while(|&&b| b == b' ').count();
    let rest = &line[indent..];
    if rest.trim_ascii().is_empty() || rest[0] == b'#' {
        return None;
    }
    Some((indent, rest[0]))
}

fn join<'s>(cuts: &Cuts, head: Part<'s>, middle: Part<'s>, tail: Part<'s>) -> Option<Tree<'s>> {
    let block_map = |outer: &Outer, start: usize| outer.map && !outer.flow && outer.start == start;
    let root = head.outer[0].as_ref()?;
    let resources = head.outer[1].as_ref()?;
    let middle_map = middle.outer[0].as_ref()?;
    let joinable = root.map
        && !root.flow
        && block_map(resources, cuts.first_entry)
        && block_map(middle_map, cuts.split + cuts.indent);
    if !joinable {
        return None;
    }
    let tail_map = match (&tail.tree, &tail.outer[0]) {
        (None, None) => None,
        (Some(_), Some(outer)) if block_map(outer, cuts.end) => Some(outer),
        _ => return None,
    };
    let end = tail_map.map_or(middle_map.end, |outer| outer.end);
    let mut tree = head.tree?;
    let middle_tree = middle.tree?;
    let skipped = |tree: &Tree<'_>| matches!(tree.root().kind(), Kind::Skipped(_));
    if skipped(&tree) && skipped(&middle_tree) {
        let (hash, first) = join_fingerprints(cuts, root, resources, middle_map, tail_map)?;
        tree.root = tree.push_skipped(&(root.start..end), hash, first);
        return Some(tree);
    }
    join_trees(cuts, tree, middle_tree, tail.tree, end)
}

fn join_trees<'s>(
    cuts: &Cuts,
    mut tree: Tree<'s>,
    middle: Tree<'s>,
    tail: Option<Tree<'s>>,
    end: usize,
) -> Option<Tree<'s>> {
    let root = tree.root();
    let resources_entry = root.as_map()?.last()?;
    if resources_entry.key() != "Resources"
        || resources_entry.key_span().start != cuts.resources_key
    {
        return None;
    }
    let resources = resources_entry.value();
    resources.as_map()?;
    let (root, resources) = (root.id(), resources.id());
    let middle = tree.append(middle);
    tree.concat_maps(resources, middle)?;
    if let Some(tail) = tail {
        let tail = tree.append(tail);
        tree.concat_maps(root, tail)?;
    }
    tree.set_end(root, end);
    Some(tree)
}

fn join_fingerprints(
    cuts: &Cuts,
    root: &Outer,
    resources: &Outer,
    middle: &Outer,
    tail: Option<&Outer>,
) -> Option<(u128, Option<BoolSpelling>)> {
    let (root_len, root_sum, root_first, _) = root.skipped?;
    let (resources_len, resources_sum, _, resources_before) = resources.skipped?;
    let (middle_len, middle_sum, middle_first, _) = middle.skipped?;
    if root.keys.offset_of("Resources") != Some(cuts.resources_key)
        || middle
            .keys
            .keys()
            .any(|key| resources.keys.offset_of(key).is_some())
    {
        return None;
    }
    let mut scratch = Vec::new();
    let start = fingerprint::open(&mut scratch, resources.tag.as_deref(), b'{');
    let resources_after = fingerprint::close_map(
        &mut scratch,
        start,
        resources_len + middle_len,
        resources_sum.wrapping_add(middle_sum),
    );
    // The head's root counted its `Resources` as the head had it.
    let mut len = root_len;
    let mut sum = root_sum
        .wrapping_sub(fingerprint::entry(
            &mut scratch,
            "Resources",
            resources_before,
        ))
        .wrapping_add(fingerprint::entry(
            &mut scratch,
            "Resources",
            resources_after,
        ));
    let mut first = root_first.or(middle_first);
    if let Some(tail) = tail {
        let (tail_len, tail_sum, tail_first, _) = tail.skipped?;
        if tail
            .keys
            .keys()
            .any(|key| root.keys.offset_of(key).is_some())
        {
            return None;
        }
        len += tail_len;
        sum = sum.wrapping_add(tail_sum);
        first = first.or(tail_first);
    }
    let start = fingerprint::open(&mut scratch, root.tag.as_deref(), b'{');
    Some((fingerprint::close_map(&mut scratch, start, len, sum), first))
}
