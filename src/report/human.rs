//! The report for people: one compiler-style diagnostic per finding, warning and error,
//! with the source line and a caret under the setting it is about.

use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::{error_text, finding_events, fix_of, listed, refusal_of, FileReport, Mode, Totals};
use crate::text::{line_start, LineIndex};
use crate::{CheckError, Checked, Finding};

/// Whether the report is coloured (ANSI escapes) or plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Colored,
}

impl Style {
    fn renderer(self) -> Renderer {
        match self {
            Style::Plain => Renderer::plain(),
            Style::Colored => Renderer::styled(),
        }
    }
}

/// A template's findings and warnings as plain diagnostics, as `samfix --check` prints
/// them (without the summary).
pub fn human(path: &str, source: &str, checked: &Checked) -> String {
    diagnostics(path, source, checked, Mode::Check, false, Style::Plain)
}

/// The findings and warnings of one file, each followed by a blank line; `written` says
/// whether `--write` wrote the fix.
pub fn diagnostics(
    path: &str,
    source: &str,
    checked: &Checked,
    mode: Mode,
    written: bool,
    style: Style,
) -> String {
    let renderer = style.renderer();
    let lines = LineIndex::new(source);
    let mut out = String::new();
    let mut emit = |group: Group| {
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    };
    for finding in &checked.findings {
        emit(finding_group(
            path, source, &lines, checked, finding, mode, written,
        ));
    }
    for note in &checked.warnings {
        let excerpt = Excerpt::around(source, &lines, note.span.clone());
        let mut title = Level::WARNING.primary_title(note.message.as_str());
        if let Some(rule) = note.rule {
            title = title.id(rule.id());
        }
        let mut group = title.element(
            excerpt
                .snippet(path)
                .annotation(AnnotationKind::Primary.span(excerpt.span)),
        );
        if let Some(help) = &note.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        emit(group);
    }
    out
}

fn finding_group<'a>(
    path: &'a str,
    source: &'a str,
    lines: &LineIndex,
    checked: &'a Checked,
    finding: &'a Finding,
    mode: Mode,
    written: bool,
) -> Group<'a> {
    let excerpt = Excerpt::around(source, lines, finding.span.clone());
    let label = finding.label;
    let events = finding_events(finding);
    let what = finding.setting_kind;
    // A fix this run wrote is reported as done, not as an error still standing.
    let level = if mode == Mode::Write && written && finding.fix.is_some() {
        Level::NOTE.with_name("fixed")
    } else {
        Level::ERROR
    };
    let mut group = level
        .primary_title(finding.message.as_str())
        .id(finding.rule.id())
        .element(
            excerpt
                .snippet(path)
                .annotation(AnnotationKind::Primary.span(excerpt.span).label(label)),
        )
        .element(
            Level::NOTE
                .with_name(what)
                .message(finding.setting.as_str()),
        )
        .element(
            Level::NOTE
                .with_name("preflight")
                .message(finding.preflight.as_str()),
        )
        .element(Level::NOTE.with_name("events").message(events));
    if let Some(fix) = fix_of(checked, finding) {
        let changes = listed(fix.changes.iter().map(ToString::to_string), "; ");
        group = group
            .element(
                Level::NOTE
                    .with_name(format!("fix ({})", fix.strategy))
                    .message(fix.why.to_string()),
            )
            .element(Level::NOTE.with_name("changes").message(changes))
            .element(Level::HELP.message(match mode {
                Mode::Check => "`samfix --write` applies the fix; `samfix --diff` shows it",
                Mode::Diff => "the patch on standard output is the fix; `git apply` takes it",
                Mode::Write if written => "this run wrote the fix",
                Mode::Write => "the fix was not written: see the error on standard error",
            }));
    }
    if let Some(refusal) = refusal_of(checked, finding) {
        group = group
            .element(
                Level::NOTE
                    .with_name("needs a human")
                    .message(refusal.reason.to_string()),
            )
            .element(Level::HELP.message(format!(
                "fix it by hand: `samfix --explain {}` describes both fixes",
                finding.rule.id()
            )));
    }
    group
}

/// An error about a file, with its line when it has a place.
pub fn error_diagnostic(
    path: &str,
    source: Option<&str>,
    error: &CheckError,
    style: Style,
) -> String {
    let renderer = style.renderer();
    let group = match error.offset.zip(source) {
        Some((offset, source)) => {
            let lines = LineIndex::new(source);
            let offset = char_floor(source, offset);
            let end = source[offset..]
                .chars()
                .next()
                .map_or(offset, |c| offset + c.len_utf8());
            // An earlier place the error is about (the first of two duplicate keys) is shown
            // too, the lines between folded away.
            let from = error
                .related
                .map(|related| char_floor(source, related))
                .filter(|&related| related < offset)
                .unwrap_or(offset);
            let excerpt = Excerpt::around(source, &lines, from..end);
            let primary = excerpt.relative(offset).unwrap_or(excerpt.span.clone());
            let mut snippet = excerpt
                .snippet(path)
                .fold(true)
                .annotation(AnnotationKind::Primary.span(primary));
            let title = error_text(source, error);
            if let Some(span) = error.related.and_then(|related| excerpt.relative(related)) {
                snippet =
                    snippet.annotation(AnnotationKind::Context.span(span).label("first here"));
            }
            renderer.render(&[Level::ERROR.primary_title(title).element(snippet)])
        }
        None => renderer.render(&[Level::ERROR
            .primary_title(error.message.as_str())
            .element(Origin::path(path))]),
    };
    format!("{group}\n\n")
}

/// The closing line: files checked, findings, fixable, fixed and errors.
pub fn summary(totals: &Totals, mode: Mode, style: Style) -> String {
    let text = totals.summary(mode);
    match style {
        Style::Plain => format!("{text}\n"),
        Style::Colored => {
            let bold = anstyle::Style::new().bold();
            format!("{bold}{text}{bold:#}\n")
        }
    }
}

/// Everything a file gets in the human report on standard output.
pub fn file(report: &FileReport, mode: Mode, style: Style) -> String {
    match (&report.source, &report.checked) {
        (Some(source), Some(checked)) => {
            diagnostics(&report.path, source, checked, mode, report.written, style)
        }
        _ => String::new(),
    }
}

/// `offset` within the text and on a character boundary, so no offset can split a character.
fn char_floor(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The lines of the source a diagnostic shows, and the span within them.
struct Excerpt<'s> {
    text: &'s str,
    first_line: usize,
    /// The span, relative to `text`.
    span: Range<usize>,
    /// Where `text` starts in the source.
    start: usize,
}

impl<'s> Excerpt<'s> {
    /// Only the lines the span touches: a diagnostic costs the length of its lines, never
    /// the file's.
    fn around(source: &'s str, lines: &LineIndex, span: Range<usize>) -> Excerpt<'s> {
        let from = char_floor(source, span.start);
        let span = from..char_floor(source, span.end).max(from);
        let mut start = line_start(source, span.start);
        // A byte order mark is no character of the first line.
        if start == 0 && source.starts_with('\u{feff}') && span.start >= 3 {
            start = 3;
        }
        let end = source[span.end..]
            .find('\n')
            .map_or(source.len(), |i| span.end + i);
        let text = source[start..end].trim_end_matches('\r');
        let (first_line, _) = lines.line_col(span.start);
        let relative_end = (span.end - start).min(text.len());
        Excerpt {
            text,
            first_line,
            span: span.start - start..relative_end.max(span.start - start),
            start,
        }
    }

    fn relative(&self, offset: usize) -> Option<Range<usize>> {
        let at = offset.checked_sub(self.start)?;
        let char_len = self.text.get(at..)?.chars().next()?.len_utf8();
        Some(at..at + char_len)
    }

    fn snippet(&self, path: &'s str) -> Snippet<'s, annotate_snippets::Annotation<'s>> {
        Snippet::source(self.text)
            .line_start(self.first_line)
            .path(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_inside_a_character_points_at_the_character() {
        let error = CheckError {
            // The second byte of `é`.
            offset: Some(14),
            message: "bad".into(),
            related: None,
        };
        let out = error_diagnostic("t.yaml", Some("Resources:\n  é: [\n"), &error, Style::Plain);
        assert!(out.starts_with("error: bad\n --> t.yaml:2:3\n"), "{out}");
    }

    #[test]
    fn an_excerpt_is_only_the_lines_of_its_span() {
        let source = "\u{feff}a: 1\r\nb: [2,\r\n  3]\r\nc: 4\r\n";
        let lines = LineIndex::new(source);
        let start = source.find('[').unwrap();
        let end = source.find(']').unwrap() + 1;
        let excerpt = Excerpt::around(source, &lines, start..end);
        assert_eq!(excerpt.text, "b: [2,\r\n  3]");
        assert_eq!(excerpt.first_line, 2);
        assert_eq!(&excerpt.text[excerpt.span.clone()], "[2,\r\n  3]");
        let first = Excerpt::around(source, &lines, 3..4);
        assert_eq!(
            (first.text, first.span),
            ("a: 1", 0..1),
            "no byte order mark"
        );
    }
}
