//! Turns value changes into text edits that follow the file's own layout.

use std::borrow::Cow;
use std::ops::Range;

use serde::Serialize;

use crate::change::{Change, Value};
use crate::parse::{
    resolve_plain, BoolSpelling, Entry, Kind, Map, Node, Path, Resolved, ScalarStyle, Seg,
};
use crate::rules::Plan;
use crate::text::{
    column, indentation_at, line_ending_near, line_start, next_line_start, starts_line,
};

/// Replace `range` of the source with `content`. The one currency of fixes: `--write`,
/// `--diff` and every report are made from a list of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// The bytes replaced (empty for a pure insertion).
    pub range: Range<usize>,
    /// What takes their place.
    pub content: String,
}

/// The edits of a plan, and the fixes that must wait for another pass.
pub(crate) struct Rendered {
    /// The edits of every fix not deferred, sorted.
    pub edits: Vec<Edit>,
    /// The fixes (indexes into the plan's) whose edits overlap an earlier fix's: they are
    /// planned again on the text the others make.
    pub deferred: Vec<usize>,
}

/// The edits that make the plan's changes to `source`, whose tree is `root`. A fix whose
/// edits overlap those of a fix before it is deferred, not rendered: two rules may edit
/// the same value (one quotes `AllowOrigin`, another adds `AllowHeaders` beside it).
pub(crate) fn render(source: &str, root: Node, plan: &Plan) -> Result<Rendered, String> {
    // Once, not per edit: finding the first boolean can walk the whole tree.
    let bools = root.first_bool_spelling().unwrap_or(BoolSpelling::Lower);
    let mut holders = plan.holders.iter().copied();
    let mut rendered = Rendered {
        edits: Vec::new(),
        deferred: Vec::new(),
    };
    for (index, fix) in plan.fixes.iter().enumerate() {
        let mut edits = Vec::with_capacity(fix.changes.len());
        for (change, holder) in fix.changes.iter().zip(holders.by_ref()) {
            edits.push(render_change(source, root, change, holder, bools)?);
        }
        edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
        if edits
            .windows(2)
            .any(|pair| pair[0].range.end > pair[1].range.start)
        {
            return Err("two edits overlap".into());
        }
        if edits
            .iter()
            .any(|edit| overlaps(&rendered.edits, &edit.range))
        {
            rendered.deferred.push(index);
            continue;
        }
        rendered.edits.extend(edits);
        rendered
            .edits
            .sort_by_key(|edit| (edit.range.start, edit.range.end));
    }
    Ok(rendered)
}

/// Whether `range` meets an edit of `sorted`: shares a byte with it or touches it. Two
/// edits at one place would land in an order the text decides, not the values: a key added
/// to an inner map and another added after that map's parent, say, both go after the same
/// line, and in the wrong order the first would join the second's map.
fn overlaps(sorted: &[Edit], range: &Range<usize>) -> bool {
    let after = sorted.partition_point(|edit| edit.range.end < range.start);
    sorted[after..]
        .first()
        .is_some_and(|edit| edit.range.start <= range.end)
}

fn render_change(
    source: &str,
    root: Node,
    change: &Change,
    holder: Option<Entry>,
    bools: BoolSpelling,
) -> Result<Edit, String> {
    Ok(match change {
        Change::Remove { map, key } => remove(source, root, map, key)?,
        Change::Insert {
            map,
            key,
            value,
            after,
        } => {
            let map = EditedMap { path: map, holder };
            insert(source, root, map, key, value, after.as_deref(), bools)?
        }
        Change::Replace { path, value } => {
            let (node, holder) = locate(root, path).ok_or("the value to replace is gone")?;
            // Written as its key is: a string in a JSON file gets JSON's quotes.
            let style = KeyStyle {
                colon: ": ",
                ..KeyStyle::of(source, holder, bools)
            };
            Edit {
                range: node.span(),
                content: flow_value(value, &style),
            }
        }
    })
}

/// The edits that take `before` straight to the text that `second` makes of the text that
/// `first` makes of it: each region either touched is one edit, its content taken from the
/// final text. `None` if the composition does not give that text.
pub(crate) fn compose(before: &str, first: &[Edit], second: &[Edit]) -> Option<Vec<Edit>> {
    let middle = apply(before, first);
    let after = apply(&middle, second);
    // Where each edit of `first` landed in the middle text, with the range it replaced.
    let mut landed = Vec::with_capacity(first.len());
    let mut shift = 0isize;
    for edit in first {
        let start = (edit.range.start as isize + shift) as usize;
        landed.push((start..start + edit.content.len(), edit.range.clone()));
        shift += edit.content.len() as isize - edit.range.len() as isize;
    }
    // A middle position outside the landed regions (or on their edge) in `before`; inside
    // one, the start or end of what that region replaced. (An edge that two readings share
    // is widened by the merging below, which takes in the region it touches.)
    // The landed regions are in order and apart, as the edits were: those that end by a
    // position are the ones before it, and only the next can hold it. Their shifts are
    // summed once, so each lookup is a binary search, not a scan of every edit.
    let mut shifts = Vec::with_capacity(landed.len() + 1);
    shifts.push(0isize);
    for (middle_range, before_range) in &landed {
        let total = shifts[shifts.len() - 1];
        shifts.push(total + middle_range.len() as isize - before_range.len() as isize);
    }
    let back = |position: usize, is_end: bool| -> usize {
        let before = landed.partition_point(|(middle_range, _)| middle_range.end <= position);
        if let Some((middle_range, before_range)) = landed.get(before) {
            if middle_range.start < position && position < middle_range.end {
                return if is_end {
                    before_range.end
                } else {
                    before_range.start
                };
            }
        }
        (position as isize - shifts[before]) as usize
    };
    // Regions of the middle text that either pass touches, merged where they meet.
    let mut regions: Vec<(Range<usize>, Range<usize>)> = landed.clone();
    for edit in second {
        let range = edit.range.clone();
        regions.push((
            range.clone(),
            back(range.start, false)..back(range.end, true),
        ));
    }
    regions.sort_by_key(|(middle_range, _)| (middle_range.start, middle_range.end));
    let mut merged: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for (middle_range, before_range) in regions {
        match merged.last_mut() {
            Some((last, last_before)) if middle_range.start <= last.end => {
                last.end = last.end.max(middle_range.end);
                last_before.start = last_before.start.min(before_range.start);
                last_before.end = last_before.end.max(before_range.end);
            }
            _ => merged.push((middle_range, before_range)),
        }
    }
    // Each merged region's final text: the middle text with the second pass's edits in it.
    let mut composed = Vec::with_capacity(merged.len());
    let mut next = 0;
    for (middle_range, before_range) in merged {
        let mut content = String::new();
        let mut cursor = middle_range.start;
        // Every edit of the second pass lies in one region, an insertion at its end included.
        while let Some(edit) = second.get(next).filter(|edit| {
            edit.range.start < middle_range.end
                || edit.range.start == middle_range.end && edit.range.is_empty()
        }) {
            content.push_str(&middle[cursor..edit.range.start]);
            content.push_str(&edit.content);
            cursor = edit.range.end;
            next += 1;
        }
        content.push_str(&middle[cursor..middle_range.end]);
        composed.push(Edit {
            range: before_range,
            content,
        });
    }
    (apply(before, &composed) == after).then_some(composed)
}

fn map_at<'n>(root: Node<'n>, path: &Path) -> Result<(Node<'n>, Map<'n>), String> {
    let node = root.at(path).ok_or("the mapping to edit is gone")?;
    let map = node.as_map().ok_or("the value to edit is not a mapping")?;
    Ok((node, map))
}

/// The node at `path`, and the map entry that holds it when the path ends in a key: both in
/// one walk from the root, which on a large template costs more than the rest of an edit.
fn locate<'n>(root: Node<'n>, path: &[Seg]) -> Option<(Node<'n>, Option<Entry<'n>>)> {
    match path.split_last() {
        Some((Seg::Key(key), parent)) => {
            let entry = root.at(parent)?.as_map()?.get(key.as_str())?;
            Some((entry.value(), Some(entry)))
        }
        _ => Some((root.at(path)?, None)),
    }
}

/// The map a change edits: its path, and the entry holding it when the planner already had
/// that in hand (see [`Plan::holders`]).
#[derive(Clone, Copy)]
struct EditedMap<'a> {
    path: &'a Path,
    holder: Option<Entry<'a>>,
}

impl<'a> EditedMap<'a> {
    /// What [`locate`] finds at the path, without the walk when the holder is known.
    fn locate(self, root: Node<'a>) -> Option<(Node<'a>, Option<Entry<'a>>)> {
        match self.holder {
            Some(holder) => Some((holder.value(), Some(holder))),
            None => locate(root, self.path),
        }
    }
}

fn remove(source: &str, root: Node, path: &Path, key: &str) -> Result<Edit, String> {
    let (_, map) = map_at(root, path)?;
    let index = map.get_index_of(key).ok_or("the key to remove is gone")?;
    let entry = map.get_index(index).expect("an entry at the index");
    if !map.flow() {
        if !starts_line(source, entry.key_span().start) {
            return Err(format!("`{key}` does not start its line"));
        }
        let mut start = line_start(source, entry.key_span().start);
        let end = next_line_start(source, entry.value().span().end);
        if end == source.len() && !source.ends_with('\n') && start > 0 {
            // Keep the file's missing final newline missing.
            start = source[..start - 1]
                .rfind(|c| c != '\r')
                .map_or(0, |i| i + 1);
        }
        return Ok(Edit {
            range: start..end,
            content: String::new(),
        });
    }
    let range = if let Some(next) = map.get_index(index + 1) {
        let own_lines = starts_line(source, entry.key_span().start)
            && starts_line(source, next.key_span().start);
        if own_lines {
            line_start(source, entry.key_span().start)..line_start(source, next.key_span().start)
        } else {
            entry.key_span().start..next.key_span().start
        }
    } else if let Some(previous) = index.checked_sub(1).and_then(|i| map.get_index(i)) {
        previous.value().span().end..entry.value().span().end
    } else {
        // The map's only entry: keep the braces.
        let span = root.at(path).ok_or("the mapping to edit is gone")?.span();
        span.start + 1..span.end - 1
    };
    Ok(Edit {
        range,
        content: String::new(),
    })
}

fn insert(
    source: &str,
    root: Node,
    target: EditedMap,
    key: &str,
    value: &Value,
    after: Option<&str>,
    bools: BoolSpelling,
) -> Result<Edit, String> {
    let (node, holder) = target.locate(root).ok_or("the mapping to edit is gone")?;
    if node.is_null() {
        return insert_into_null(source, root, target.path, node, key, value, bools);
    }
    let map = node.as_map().ok_or("the value to edit is not a mapping")?;
    let anchor = after.and_then(|k| map.get(k)).or_else(|| map.last());
    let Some(anchor) = anchor else {
        // `{}`: the first entry goes between the braces, written like the map's own key.
        let style = KeyStyle::of(source, holder, bools);
        let at = node.span().start + 1;
        return Ok(Edit {
            range: at..at,
            content: flow_entry(key, value, &style),
        });
    };
    let style = KeyStyle::of(source, Some(anchor), bools);
    if !map.flow() {
        // The new lines follow the anchor's last line, and end as it does.
        let eol = line_ending_near(source, anchor.value().span().end);
        let indent = key_indentation(source, anchor.key_span().start);
        let unit = indent_unit(source, map, holder);
        let mut content = block_entry(key, value, &indent, &unit, eol, &style);
        let mut at = next_line_start(source, anchor.value().span().end);
        if keeps_trailing_lines(source, anchor.value()) {
            // `|+` owns the blank lines after it: a key before them would cut them off.
            while at < source.len() && source[at..next_line_start(source, at)].trim().is_empty() {
                at = next_line_start(source, at);
            }
        }
        if at == source.len() && !source.ends_with('\n') {
            // The anchor is the file's last line and has no newline: start a line, end none.
            content = format!(
                "{}{}",
                line_ending_near(source, 0),
                content.strip_suffix(eol).unwrap_or(&content)
            );
            at = source.len();
        }
        return Ok(Edit {
            range: at..at,
            content,
        });
    }
    // One entry per line: the new one goes on lines of its own before its neighbour
    // (the key it belongs beside, else the first), so no other line gains a comma.
    let neighbour = after
        .and_then(|k| map.get(k))
        .or_else(|| map.first())
        .filter(|entry| starts_line(source, entry.key_span().start));
    if let Some(neighbour) = neighbour {
        // The new lines precede the neighbour's, and end as it does.
        let eol = line_ending_near(source, neighbour.key_span().start);
        let indent = indentation_at(source, neighbour.key_span().start);
        let entry = if style.quote == Some('"') {
            let unit = json_unit(source, node.span().start, indent);
            pretty_entry(key, value, indent, &unit, eol, &style)
        } else {
            flow_entry(key, value, &style)
        };
        let at = line_start(source, neighbour.key_span().start);
        return Ok(Edit {
            range: at..at,
            content: format!("{indent}{entry},{eol}"),
        });
    }
    let at = anchor.value().span().end;
    let separator = entry_separator(source, root, target.path);
    let style = KeyStyle {
        comma: separator,
        ..style
    };
    Ok(Edit {
        range: at..at,
        content: format!("{separator}{}", flow_entry(key, value, &style)),
    })
}

/// `Key:` with nothing after it (or `~`, `null`) becomes a mapping.
fn insert_into_null(
    source: &str,
    root: Node,
    path: &Path,
    node: Node,
    key: &str,
    value: &Value,
    bools: BoolSpelling,
) -> Result<Edit, String> {
    let (Some(Seg::Key(own_key)), Some(parent)) = (path.last(), path.split_last().map(|(_, p)| p))
    else {
        return Err("the empty value is not under a key".into());
    };
    let (parent_node, parent_holder) = locate(root, parent).ok_or("the mapping to edit is gone")?;
    let parent_map = parent_node
        .as_map()
        .ok_or("the value to edit is not a mapping")?;
    let owner = parent_map
        .get(own_key.as_str())
        .ok_or("the empty value's key is gone")?;
    let style = KeyStyle::of(source, Some(owner), bools);
    if !node.span().is_empty() || parent_map.flow() {
        let content = format!("{{{}}}", flow_entry(key, value, &style));
        let content = if node.span().is_empty() {
            format!(" {content}")
        } else {
            content
        };
        return Ok(Edit {
            range: node.span(),
            content,
        });
    }
    let eol = line_ending_near(source, owner.key_span().start);
    let unit = indent_unit(source, parent_map, parent_holder);
    let indent = format!("{}{unit}", key_indentation(source, owner.key_span().start));
    let at = next_line_start(source, node.span().end);
    let mut content = block_entry(key, value, &indent, &unit, eol, &style);
    if at == source.len() && !source.ends_with('\n') {
        content = format!("{eol}{}", content.strip_suffix(eol).unwrap_or(&content));
    }
    Ok(Edit {
        range: at..at,
        content,
    })
}

/// How keys are written in a map: quoted like their siblings, `:` spaced like them.
struct KeyStyle {
    quote: Option<char>,
    colon: &'static str,
    /// Between the entries or items of a flow collection a fix writes.
    comma: &'static str,
    bools: BoolSpelling,
}

impl KeyStyle {
    fn plain() -> Self {
        KeyStyle {
            quote: None,
            colon: ": ",
            comma: ", ",
            bools: BoolSpelling::Lower,
        }
    }

    fn of(source: &str, sample: Option<Entry>, bools: BoolSpelling) -> Self {
        let Some(sample) = sample else {
            return KeyStyle {
                bools,
                ..KeyStyle::plain()
            };
        };
        let quote = match sample.key_style() {
            ScalarStyle::DoubleQuoted => Some('"'),
            ScalarStyle::SingleQuoted => Some('\''),
            _ => None,
        };
        let after_key = &source[sample.key_span().end..];
        let tight = after_key.trim_start_matches([' ', '\t']).starts_with(':')
            && after_key.trim_start_matches([' ', '\t'])[1..]
                .starts_with(|c: char| c != ' ' && c != '\t' && c != '\n' && c != '\r');
        let colon = if tight && quote.is_some() { ":" } else { ": " };
        KeyStyle {
            quote,
            colon,
            bools,
            ..KeyStyle::plain()
        }
    }

    fn key<'k>(&self, key: &'k str) -> Cow<'k, str> {
        match self.quote {
            Some(q) => format!("{q}{key}{q}").into(),
            None => key.into(),
        }
    }
}

fn flow_value(value: &Value, style: &KeyStyle) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(value) => style.bools.word(*value).into(),
        Value::Int(value) => value.to_string(),
        Value::Str(text) if style.quote == Some('"') => json_string(text),
        Value::Str(text) => yaml_string(text),
        Value::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(key, value)| flow_entry(key, value, style))
                .collect();
            format!("{{{}}}", entries.join(style.comma))
        }
        Value::Seq(items) => {
            let items: Vec<String> = items.iter().map(|item| flow_value(item, style)).collect();
            format!("[{}]", items.join(style.comma))
        }
    }
}

/// A string as a YAML scalar that reads back as that string: plain where it can be, else
/// quoted (single quotes unless the text has one, escaped double quotes for what single
/// quotes can't hold).
pub fn yaml_string(text: &str) -> String {
    let plain = !text.is_empty()
        && resolve_plain(text) == Resolved::Str(text)
        && !text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace())
        && !text.ends_with(|c: char| c == ':' || c.is_whitespace())
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.contains(|c: char| ",[]{}".contains(c) || c.is_control());
    if plain {
        return text.to_string();
    }
    let printable = !text.contains(|c: char| c.is_control());
    if printable && !text.contains('\'') {
        format!("'{text}'")
    } else if printable && !text.contains(['"', '\\']) {
        format!("\"{text}\"")
    } else {
        json_string(text)
    }
}

/// A string as JSON writes it, which YAML's double quotes read the same.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn flow_entry(key: &str, value: &Value, style: &KeyStyle) -> String {
    format!(
        "{}{}{}",
        style.key(key),
        style.colon,
        flow_value(value, style)
    )
}

/// A JSON-style entry spread over lines like the rest of the file.
fn pretty_entry(
    key: &str,
    value: &Value,
    indent: &str,
    unit: &str,
    eol: &str,
    style: &KeyStyle,
) -> String {
    format!(
        "{}{}{}",
        style.key(key),
        style.colon,
        pretty_value(value, indent, unit, eol, style)
    )
}

/// A JSON-style value spread over lines: each entry or item on a line of its own, one
/// `unit` deeper than `indent`.
fn pretty_value(value: &Value, indent: &str, unit: &str, eol: &str, style: &KeyStyle) -> String {
    let inner = format!("{indent}{unit}");
    let lines: Vec<String> = match value {
        Value::Map(entries) if !entries.is_empty() => entries
            .iter()
            .map(|(key, value)| {
                format!(
                    "{inner}{}",
                    pretty_entry(key, value, &inner, unit, eol, style)
                )
            })
            .collect(),
        Value::Seq(items) if !items.is_empty() => items
            .iter()
            .map(|item| format!("{inner}{}", pretty_value(item, &inner, unit, eol, style)))
            .collect(),
        _ => return flow_value(value, style),
    };
    let (open, close) = match value {
        Value::Map(_) => ('{', '}'),
        _ => ('[', ']'),
    };
    format!(
        "{open}{eol}{}{eol}{indent}{close}",
        lines.join(&format!(",{eol}"))
    )
}

/// Joined, not formatted: a fix that moves a key writes one of these for every event.
fn block_entry(
    key: &str,
    value: &Value,
    indent: &str,
    unit: &str,
    eol: &str,
    style: &KeyStyle,
) -> String {
    let key = style.key(key);
    let inner = [indent, unit].concat();
    match value {
        Value::Map(entries) if !entries.is_empty() => {
            let mut text = [indent, &key, ":", eol].concat();
            for (key, value) in entries {
                text.push_str(&block_entry(key, value, &inner, unit, eol, style));
            }
            text
        }
        Value::Seq(items) if !items.is_empty() => {
            let mut text = [indent, &key, ":", eol].concat();
            for item in items {
                text.push_str(&block_item(item, &inner, unit, eol, style));
            }
            text
        }
        _ => [indent, &key, ": ", &flow_value(value, style), eol].concat(),
    }
}

/// A block sequence's item at `indent`: `- value`, a map's first entry on the dash's line.
fn block_item(item: &Value, indent: &str, unit: &str, eol: &str, style: &KeyStyle) -> String {
    match item {
        Value::Map(entries) if !entries.is_empty() => {
            // The entries line up two columns in, after `- `.
            let inner = format!("{indent}  ");
            let mut text = String::new();
            for (key, value) in entries {
                text.push_str(&block_entry(key, value, &inner, unit, eol, style));
            }
            format!("{indent}- {}", &text[inner.len()..])
        }
        _ => [indent, "- ", &flow_value(item, style), eol].concat(),
    }
}

/// A block scalar with the keep indicator (`|+`, `>+`), whose value includes the blank
/// lines after its text.
fn keeps_trailing_lines(source: &str, node: Node) -> bool {
    let block = node
        .as_scalar()
        .is_some_and(|scalar| matches!(scalar.style, ScalarStyle::Literal | ScalarStyle::Folded));
    if !block {
        return false;
    }
    // The header (`|+`, `>2+ # ...`) ends the last non-blank line before the text.
    let before = source[..line_start(source, node.span().start)].trim_end();
    let header = &before[line_start(source, before.len())..];
    let header = header.split(" #").next().unwrap_or(header);
    header
        .rfind(['|', '>'])
        .is_some_and(|i| header[i + 1..].contains('+'))
}

/// The white space that puts a new key in the same column as the key at `offset`.
fn key_indentation(source: &str, offset: usize) -> Cow<'_, str> {
    if starts_line(source, offset) {
        indentation_at(source, offset).into()
    } else {
        " ".repeat(column(source, offset)).into()
    }
}

/// How far this file indents a block mapping below its key: measured at the map being
/// edited (below `holder`, the entry holding it), else at its children, else anywhere in
/// the file.
fn indent_unit(source: &str, map: Map, holder: Option<Entry>) -> String {
    let width_of = |map: Map, parent_key_offset: usize| {
        let first = map.first()?;
        let width = column(source, first.key_span().start)
            .checked_sub(column(source, parent_key_offset))?;
        (width > 0 && !map.flow()).then_some(width)
    };
    let own = holder.and_then(|holder| width_of(map, holder.key_span().start));
    let from_children = || {
        map.iter()
            .find_map(|entry| width_of(entry.value().as_map()?, entry.key_span().start))
    };
    let from_file = || {
        source.lines().find_map(|line| {
            let width = line.len() - line.trim_start_matches(' ').len();
            (width > 0 && !line.trim().is_empty() && !line.trim_start().starts_with('#'))
                .then_some(width)
        })
    };
    " ".repeat(own.or_else(from_children).or_else(from_file).unwrap_or(2))
}

/// One level of a JSON file's indentation: the entry's indentation past its brace's line.
fn json_unit(source: &str, brace: usize, entry_indent: &str) -> String {
    let outer = indentation_at(source, brace);
    match entry_indent.strip_prefix(outer) {
        Some(unit) if !unit.is_empty() => unit.to_string(),
        _ => "  ".to_string(),
    }
}

/// `, ` or `,` as between this flow map's entries; for a map of one entry, as in the
/// nearest enclosing flow collection that has two.
fn entry_separator(source: &str, root: Node, path: &Path) -> &'static str {
    let gap = |node: Node| match node.kind() {
        Kind::Map(map) if map.flow() && map.len() > 1 => {
            Some(map.get_index(0)?.value().span().end..map.get_index(1)?.key_span().start)
        }
        Kind::Seq(seq) if seq.flow() && seq.len() > 1 => {
            Some(seq.get(0)?.span().end..seq.get(1)?.span().start)
        }
        _ => None,
    };
    let between = (0..=path.len())
        .rev()
        .filter_map(|depth| root.at(&path[..depth]))
        .take_while(|node| {
            node.as_map().is_none_or(|m| m.flow()) && node.as_seq().is_none_or(|s| s.flow())
        })
        .find_map(gap)
        .map(|range| &source[range]);
    match between {
        Some(between) if between.trim() == "," && !between.contains(' ') => ",",
        _ => ", ",
    }
}

/// The text after the edits.
pub fn apply(source: &str, edits: &[Edit]) -> String {
    let mut out =
        String::with_capacity(source.len() + edits.iter().map(|e| e.content.len()).sum::<usize>());
    let mut cursor = 0;
    for edit in edits {
        out.push_str(&source[cursor..edit.range.start]);
        out.push_str(&edit.content);
        cursor = edit.range.end;
    }
    out.push_str(&source[cursor..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Fix, FixReason, Strategy, WrittenIn};
    use crate::parse::parse;
    use crate::rules::{Plan, Rule};

    /// `GatewayResponses: {DEFAULT_4XX: {ResponseParameters: {Headers: {...: "'*'"}}}}`:
    /// four levels, a string that needs quotes, and a list.
    fn gateway_responses() -> Value {
        let headers = Value::map([
            ("Access-Control-Allow-Origin", Value::str("'*'")),
            ("Access-Control-Allow-Credentials", Value::str("'true'")),
        ]);
        let response = Value::map([
            ("ResponseParameters", Value::map([("Headers", headers)])),
            ("StatusCode", Value::str("401")),
            ("Tags", Value::Seq(vec![Value::str("a b"), Value::Int(3)])),
        ]);
        Value::map([("DEFAULT_4XX", response)])
    }

    /// The text after inserting `GatewayResponses` into `Resources.Api.Properties`,
    /// checked to read back as the original value plus exactly that entry.
    fn with_inserted(source: &str) -> String {
        let tree = parse(source).unwrap();
        let map = ["Resources", "Api", "Properties"]
            .map(|key| Seg::Key(key.into()))
            .to_vec();
        let change = Change::Insert {
            map,
            key: "GatewayResponses".into(),
            value: gateway_responses(),
            after: None,
        };
        let plan = Plan {
            findings: Vec::new(),
            fixes: vec![Fix {
                rule: Rule::ALL[0],
                written_in: WrittenIn::Globals,
                apis: Vec::new(),
                strategy: Strategy::Flag,
                why: FixReason::KeyMovedToEvents { apis: Vec::new() },
                changes: vec![change.clone()],
            }],
            refusals: Vec::new(),
            warnings: Vec::new(),
            holders: vec![None],
        };
        let edits = render(source, tree.root(), &plan).unwrap().edits;
        let fixed = apply(source, &edits);
        let mut expected = parse(source).unwrap();
        crate::change::apply_to_tree(&mut expected, &[&change]).unwrap();
        assert_eq!(
            crate::parse::fingerprint_text(&fixed).unwrap(),
            expected.fingerprint(),
            "{fixed}"
        );
        fixed
    }

    #[test]
    fn a_nested_value_in_block_yaml_follows_the_indentation() {
        let source = "Resources:\r\n    Api:\r\n        Type: AWS::Serverless::Api\r\n        Properties:\r\n            StageName: p\r\n";
        assert_eq!(
            with_inserted(source),
            "Resources:\r\n    Api:\r\n        Type: AWS::Serverless::Api\r\n        Properties:\r\n            StageName: p\r\n\
             \x20           GatewayResponses:\r\n\
             \x20               DEFAULT_4XX:\r\n\
             \x20                   ResponseParameters:\r\n\
             \x20                       Headers:\r\n\
             \x20                           Access-Control-Allow-Origin: \"'*'\"\r\n\
             \x20                           Access-Control-Allow-Credentials: \"'true'\"\r\n\
             \x20                   StatusCode: '401'\r\n\
             \x20                   Tags:\r\n\
             \x20                       - a b\r\n\
             \x20                       - 3\r\n"
        );
    }

    #[test]
    fn a_nested_value_in_flow_yaml_stays_on_the_line() {
        let source = "Resources: {Api: {Type: AWS::Serverless::Api, Properties: {StageName: p}}}\n";
        assert_eq!(
            with_inserted(source),
            "Resources: {Api: {Type: AWS::Serverless::Api, Properties: {StageName: p, GatewayResponses: \
             {DEFAULT_4XX: {ResponseParameters: {Headers: {Access-Control-Allow-Origin: \"'*'\", \
             Access-Control-Allow-Credentials: \"'true'\"}}, StatusCode: '401', Tags: [a b, 3]}}}}}\n"
        );
    }

    #[test]
    fn a_nested_value_in_pretty_json_takes_a_line_per_entry() {
        let source = "{\n  \"Resources\": {\n    \"Api\": {\n      \"Type\": \"AWS::Serverless::Api\",\n      \"Properties\": {\n        \"StageName\": \"p\"\n      }\n    }\n  }\n}\n";
        assert_eq!(
            with_inserted(source),
            "{\n  \"Resources\": {\n    \"Api\": {\n      \"Type\": \"AWS::Serverless::Api\",\n      \"Properties\": {\n\
             \x20       \"GatewayResponses\": {\n\
             \x20         \"DEFAULT_4XX\": {\n\
             \x20           \"ResponseParameters\": {\n\
             \x20             \"Headers\": {\n\
             \x20               \"Access-Control-Allow-Origin\": \"'*'\",\n\
             \x20               \"Access-Control-Allow-Credentials\": \"'true'\"\n\
             \x20             }\n\
             \x20           },\n\
             \x20           \"StatusCode\": \"401\",\n\
             \x20           \"Tags\": [\n\
             \x20             \"a b\",\n\
             \x20             3\n\
             \x20           ]\n\
             \x20         }\n\
             \x20       },\n\
             \x20       \"StageName\": \"p\"\n      }\n    }\n  }\n}\n"
        );
    }

    #[test]
    fn a_nested_value_in_minified_json_stays_minified() {
        let source = r#"{"Resources":{"Api":{"Type":"AWS::Serverless::Api","Properties":{"StageName":"p"}}}}"#;
        assert_eq!(
            with_inserted(source),
            r#"{"Resources":{"Api":{"Type":"AWS::Serverless::Api","Properties":{"StageName":"p","GatewayResponses":{"DEFAULT_4XX":{"ResponseParameters":{"Headers":{"Access-Control-Allow-Origin":"'*'","Access-Control-Allow-Credentials":"'true'"}},"StatusCode":"401","Tags":["a b",3]}}}}}}"#
        );
    }

    /// Every way two passes of up to two edits each can meet on a short text composes into
    /// one set of edits with the same result (`compose` checks the result itself).
    #[test]
    fn two_passes_compose_into_one_set_of_edits() {
        let before = "abcdef";
        let edits_of = |text: &str| {
            let mut all = vec![Vec::new()];
            let n = text.len();
            let mut single = Vec::new();
            for start in 0..=n {
                for end in start..=n.min(start + 2) {
                    for content in ["", "XY"] {
                        if start == end && content.is_empty() {
                            continue;
                        }
                        single.push(Edit {
                            range: start..end,
                            content: content.to_string(),
                        });
                    }
                }
            }
            for a in &single {
                all.push(vec![a.clone()]);
                for b in &single {
                    if a.range.end < b.range.start {
                        all.push(vec![a.clone(), b.clone()]);
                    }
                }
            }
            all
        };
        let mut composed = 0;
        for first in edits_of(before) {
            let middle = apply(before, &first);
            for second in edits_of(&middle) {
                let edits = compose(before, &first, &second)
                    .unwrap_or_else(|| panic!("{first:?} then {second:?}"));
                assert!(edits
                    .windows(2)
                    .all(|pair| pair[0].range.end <= pair[1].range.start));
                composed += 1;
            }
        }
        assert!(composed > 10_000, "{composed}");
    }

    #[test]
    fn strings_are_plain_only_where_they_read_back_as_strings() {
        for (text, written) in [
            ("plain", "plain"),
            ("'*'", "\"'*'\""),
            ("true", "'true'"),
            ("401", "'401'"),
            ("", "''"),
            ("a: b", "'a: b'"),
            ("x, y", "'x, y'"),
            ("it's \"q\"", "it's \"q\""),
            ("'it's' \"q\"", "\"'it's' \\\"q\\\"\""),
            ("line\nbreak", "\"line\\nbreak\""),
            ("- item", "'- item'"),
        ] {
            assert_eq!(yaml_string(text), written, "{text:?}");
            let line = format!("k: {written}\n");
            let read = parse(&line).unwrap();
            assert_eq!(
                read.root().get("k").unwrap().as_str(),
                Some(text),
                "{written}"
            );
        }
    }
}
