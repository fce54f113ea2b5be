//! The unified diff of a fix, made from its edits.
//!
//! A line diff of two whole templates costs time in proportion to the file's size times
//! the number of changes (minutes for a 10 MB template with thousands of events). The
//! edits already say which lines change, so only those lines are diffed, each group on its
//! own, and the untouched lines between them are known to be equal.

use std::fmt;

use similar::{capture_diff_slices, group_diff_ops, udiff::UnifiedHunkHeader, Algorithm, DiffOp};

use crate::edits::Edit;
use crate::text::{line_start, next_line_start, LineIndex};

/// How many unchanged lines surround each change, as in `diff -u`.
const CONTEXT_LINES: usize = 3;

/// A unified diff from `before` to `before` with `edits` applied, with `a/` and `b/`
/// headers that `git apply` takes. Displays nothing when there are no edits. The lines that
/// change come from the edited lines alone: the fixed text as a whole is not needed.
pub struct UnifiedDiff<'a> {
    path: &'a str,
    before: LineIndex<'a>,
    /// The edited lines as they become, by the number of their first line in the fixed text.
    windows: Vec<(usize, String)>,
    hunks: Vec<Vec<DiffOp>>,
}

impl<'a> UnifiedDiff<'a> {
    /// The diff that `edits` make to `before`, the text of the file at `path`.
    pub fn new(path: &'a str, before: &'a str, edits: &[Edit]) -> Self {
        let before_lines = LineIndex::new(before);
        let (ops, windows) = line_ops(before, &before_lines, edits);
        UnifiedDiff {
            path: path.trim_start_matches('/'),
            before: before_lines,
            windows,
            hunks: group_diff_ops(ops, CONTEXT_LINES),
        }
    }

    /// Line `index` of the fixed text, which is in an edited window.
    fn new_line(&self, index: usize) -> &str {
        let window = self.windows.partition_point(|(first, _)| *first <= index) - 1;
        let (first, text) = &self.windows[window];
        text.split_inclusive('\n')
            .nth(index - first)
            .expect("inserted lines are in their window")
    }
}

impl fmt::Display for UnifiedDiff<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.hunks.is_empty() {
            return Ok(());
        }
        writeln!(f, "--- a/{}", self.path)?;
        writeln!(f, "+++ b/{}", self.path)?;
        for hunk in &self.hunks {
            writeln!(f, "{}", UnifiedHunkHeader::new(hunk))?;
            for op in hunk {
                let (old, new) = (op.old_range(), op.new_range());
                match op {
                    DiffOp::Equal { .. } => write_lines(f, &self.before, ' ', old)?,
                    DiffOp::Delete { .. } => write_lines(f, &self.before, '-', old)?,
                    DiffOp::Insert { .. } => write_new_lines(f, self, new)?,
                    DiffOp::Replace { .. } => {
                        write_lines(f, &self.before, '-', old)?;
                        write_new_lines(f, self, new)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Writes lines `range` of `lines`, each after `tag`, as a unified diff shows them.
fn write_lines(
    f: &mut fmt::Formatter<'_>,
    lines: &LineIndex,
    tag: char,
    range: std::ops::Range<usize>,
) -> fmt::Result {
    range
        .into_iter()
        .try_for_each(|index| write_line(f, tag, lines.line(index)))
}

/// Writes lines `range` of the fixed text, as [`write_lines`].
fn write_new_lines(
    f: &mut fmt::Formatter<'_>,
    diff: &UnifiedDiff,
    range: std::ops::Range<usize>,
) -> fmt::Result {
    range
        .into_iter()
        .try_for_each(|index| write_line(f, '+', diff.new_line(index)))
}

fn write_line(f: &mut fmt::Formatter<'_>, tag: char, line: &str) -> fmt::Result {
    write!(f, "{tag}{line}")?;
    if !line.ends_with('\n') {
        writeln!(f, "\n\\ No newline at end of file")?;
    }
    Ok(())
}

/// The whole-file diff ops: each group of edited lines diffed on its own, equal lines
/// between; with each group's new text, by the number of its first line in the fixed text.
fn line_ops(
    source: &str,
    before: &LineIndex,
    edits: &[Edit],
) -> (Vec<DiffOp>, Vec<(usize, String)>) {
    let mut ops = Vec::new();
    let mut new_texts = Vec::new();
    // Next unmatched line of each side.
    let (mut old_line, mut new_line) = (0, 0);
    for window in windows(source, edits) {
        let old_start = if window.range.start == source.len() {
            before.line_count()
        } else {
            before.line_of(window.range.start)
        };
        let equal = old_start - old_line;
        if equal > 0 {
            ops.push(DiffOp::Equal {
                old_index: old_line,
                new_index: new_line,
                len: equal,
            });
        }
        let (old_start, new_start) = (old_line + equal, new_line + equal);
        let old: Vec<&str> = source[window.range.clone()].split_inclusive('\n').collect();
        let new: Vec<&str> = window.text.split_inclusive('\n').collect();
        for op in capture_diff_slices(Algorithm::Myers, &old, &new) {
            ops.push(shifted(op, old_start, new_start));
        }
        old_line = old_start + old.len();
        new_line = new_start + new.len();
        new_texts.push((new_start, window.text));
    }
    if old_line < before.line_count() {
        ops.push(DiffOp::Equal {
            old_index: old_line,
            new_index: new_line,
            len: before.line_count() - old_line,
        });
    }
    (ops, new_texts)
}

fn shifted(op: DiffOp, old: usize, new: usize) -> DiffOp {
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: old_index + old,
            new_index: new_index + new,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Delete {
            old_index: old_index + old,
            old_len,
            new_index: new_index + new,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Insert {
            old_index: old_index + old,
            new_index: new_index + new,
            new_len,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: old_index + old,
            old_len,
            new_index: new_index + new,
            new_len,
        },
    }
}

/// Whole lines of the source that edits touch, and what they become.
struct Window {
    range: std::ops::Range<usize>,
    text: String,
}

/// The edits' lines, neighbours merged, in order.
fn windows(source: &str, edits: &[Edit]) -> Vec<Window> {
    let mut windows: Vec<Window> = Vec::new();
    // Up to where the last window's text is built; the rest of its lines follow at its end.
    let mut cursor = 0;
    for edit in edits {
        let start = line_start(source, edit.range.start);
        let end = lines_end(source, edit);
        match windows.last_mut() {
            Some(last) if start <= last.range.end => {
                last.text.push_str(&source[cursor..edit.range.start]);
                last.range.end = last.range.end.max(end);
            }
            _ => {
                if let Some(last) = windows.last_mut() {
                    last.text.push_str(&source[cursor..last.range.end]);
                }
                windows.push(Window {
                    range: start..end,
                    text: source[start..edit.range.start].to_string(),
                });
            }
        }
        let last = windows
            .last_mut()
            .expect("a window was just pushed or grown");
        last.text.push_str(&edit.content);
        cursor = edit.range.end;
    }
    if let Some(last) = windows.last_mut() {
        last.text.push_str(&source[cursor..last.range.end]);
    }
    windows
}

/// Where the lines an edit touches end: its end, when that starts a line the edit leaves
/// whole, else the end of the line it ends in.
fn lines_end(source: &str, edit: &Edit) -> usize {
    let Edit { range, content } = edit;
    let at_line_start = range.end == line_start(source, range.end);
    let leaves_line_whole = if range.is_empty() {
        content.is_empty() || content.ends_with('\n')
    } else {
        source[..range.end].ends_with('\n')
    };
    if at_line_start && leaves_line_whole {
        range.end
    } else {
        next_line_start(source, range.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The diff of the edits equals the line diff of the whole texts.
    fn assert_same_as_whole_file_diff(source: &str, edits: &[Edit]) {
        let after = crate::edits::apply(source, edits);
        let expected = similar::TextDiff::from_lines(source, after.as_str())
            .unified_diff()
            .context_radius(CONTEXT_LINES)
            .missing_newline_hint(true)
            .header("a/t.yaml", "b/t.yaml")
            .to_string();
        let actual = UnifiedDiff::new("t.yaml", source, edits).to_string();
        assert_eq!(actual, expected, "{source:?} {edits:?}");
    }

    fn edit(range: std::ops::Range<usize>, content: &str) -> Edit {
        Edit {
            range,
            content: content.to_string(),
        }
    }

    #[test]
    fn matches_a_whole_file_line_diff() {
        let source = (1..=40).map(|i| format!("line {i}\n")).collect::<String>();
        let at = |line: usize| source.match_indices('\n').nth(line - 2).unwrap().0 + 1;
        // Removed line, inserted lines, a change inside a line, two edits on one line,
        // edits close enough to share a hunk and far enough apart to get their own.
        let cases = vec![
            vec![edit(at(5)..at(6), "")],
            vec![edit(at(5)..at(5), "new a\nnew b\n")],
            vec![edit(at(7) + 2..at(7) + 2, "XX")],
            vec![
                edit(at(7) + 1..at(7) + 2, "X"),
                edit(at(7) + 4..at(7) + 4, "Y"),
            ],
            vec![edit(at(3)..at(4), ""), edit(at(8)..at(8), "n\n")],
            vec![edit(at(3)..at(4), ""), edit(at(30)..at(30), "n\n")],
            vec![
                edit(0..0, "first\n"),
                edit(source.len()..source.len(), "last\n"),
            ],
            vec![edit(at(39)..source.len(), "")],
        ];
        for edits in cases {
            assert_same_as_whole_file_diff(&source, &edits);
        }
    }

    #[test]
    fn keeps_a_missing_final_newline_and_crlf() {
        assert_same_as_whole_file_diff("a\r\nb\r\nc", &[edit(3..3, "x\r\n")]);
        assert_same_as_whole_file_diff("a\nb\nc", &[edit(4..5, "d")]);
        assert_same_as_whole_file_diff("a\nb\nc", &[edit(5..5, "\nd")]);
        assert_same_as_whole_file_diff("a\nb\nc\n", &[edit(3..6, "")]);
        assert_same_as_whole_file_diff("a\nb", &[edit(1..3, "")]);
    }

    #[test]
    fn nothing_to_show_without_edits() {
        assert_eq!(UnifiedDiff::new("t", "a\n", &[]).to_string(), "");
    }
}
