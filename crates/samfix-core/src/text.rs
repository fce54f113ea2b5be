//! Positions and line layout of the source text.

/// Maps byte offsets to 1-based lines and columns.
pub struct LineIndex<'s> {
    source: &'s str,
    /// 32 bits each: a 10 MB template has half a million lines. Lines that start past
    /// 4 GiB (larger than any file samfix parses) count as part of the last one before.
    /// Found on the first question: most files a report renders have nothing to place.
    line_starts: std::cell::OnceCell<Vec<u32>>,
}

impl<'s> LineIndex<'s> {
    /// The index of `source`; its lines are found when first asked for.
    pub fn new(source: &'s str) -> Self {
        LineIndex {
            source,
            line_starts: std::cell::OnceCell::new(),
        }
    }

    /// Where each line starts.
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut line_starts = vec![0];
            // Byte by byte: templates' lines are short, and a search per line costs more
            // to start than it saves.
            line_starts.extend(
                self.source
                    .bytes()
                    .enumerate()
                    .filter(|&(_, byte)| byte == b'\n')
                    .map_while(|(i, _)| u32::try_from(i + 1).ok()),
            );
            line_starts
        })
    }

    /// 1-based line and column; the column counts characters, and a leading byte order
    /// mark is not one.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let line = self.line_of(offset);
        let start = self.line_starts()[line] as usize;
        let text = self.source.get(start..offset).unwrap_or("");
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        (line + 1, text.chars().count() + 1)
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts()
            .partition_point(|&start| start as usize <= offset)
            - 1
    }

    /// How many lines hold text: a final line ending ends the last line, it starts none.
    pub fn line_count(&self) -> usize {
        let line_starts = self.line_starts();
        let empty_last = line_starts.last().map(|&start| start as usize) == Some(self.source.len());
        line_starts.len() - usize::from(empty_last)
    }

    /// The 0-based line `index`, with its line ending.
    pub fn line(&self, index: usize) -> &'s str {
        let line_starts = self.line_starts();
        let start = line_starts[index] as usize;
        let end = line_starts
            .get(index + 1)
            .map_or(self.source.len(), |&end| end as usize);
        &self.source[start..end]
    }
}

/// Start of the line holding `offset`.
pub fn line_start(source: &str, offset: usize) -> usize {
    source[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Offset just after the line ending of the line holding `offset` (or the end of the text).
pub fn next_line_start(source: &str, offset: usize) -> usize {
    source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i + 1)
}

/// The line ending of the line holding `offset`, or the file's first one, or `\n`.
pub fn line_ending_near(source: &str, offset: usize) -> &'static str {
    let own = &source[offset..next_line_start(source, offset)];
    let sample = if own.ends_with('\n') {
        own
    } else {
        first_line(source)
    };
    if sample.ends_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

fn first_line(source: &str) -> &str {
    &source[..next_line_start(source, 0)]
}

/// Whether only spaces, tabs (or a byte order mark) come before `offset` on its line.
/// Looks back only over that white space: a one-line JSON file asks this of every key.
pub fn starts_line(source: &str, offset: usize) -> bool {
    let before = source[..offset].trim_end_matches([' ', '\t']);
    before.is_empty() || before.ends_with('\n') || before == "\u{feff}"
}

/// The leading white space of the line holding `offset`.
pub fn indentation_at(source: &str, offset: usize) -> &str {
    let start = line_start(source, offset);
    let line = &source[start..];
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let width = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..width]
}

/// Column (in bytes, from the line start, ignoring a byte order mark) of `offset`.
pub fn column(source: &str, offset: usize) -> usize {
    let start = line_start(source, offset);
    let prefix = &source[start..offset];
    prefix.strip_prefix('\u{feff}').unwrap_or(prefix).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_after_a_bom() {
        let source = "\u{feff}a: é\r\nb: x\n";
        let index = LineIndex::new(source);
        assert_eq!(index.line_col(3), (1, 1));
        assert_eq!(index.line_col(source.find('é').unwrap()), (1, 4));
        assert_eq!(index.line_col(source.find('b').unwrap()), (2, 1));
        assert_eq!(index.line(0), "\u{feff}a: é\r\n");
        assert_eq!(index.line_count(), 2);
        assert_eq!(LineIndex::new("").line_count(), 0);
        assert_eq!(LineIndex::new("a\nb").line_count(), 2);
        assert_eq!(line_ending_near(source, 0), "\r\n");
        assert_eq!(line_ending_near(source, source.find('b').unwrap()), "\n");
    }
}
