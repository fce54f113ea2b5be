//! Arbitrary bytes through the whole pipeline, with every strategy: samfix must never
//! panic, hang or blow up memory (libFuzzer's -timeout and -rss_limit_mb catch the last
//! two), and every fix it produces must re-parse, keep every line it did not edit, and
//! leave nothing for a second run to plan. Read in parts, as large templates are, every
//! input must read as it does whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use samfix::Strategy;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    // Large templates are read in parts; any template that can be must read as it does
    // whole, or not at all.
    if let Some(in_parts) = samfix::parse::parse_template_in_parts(source, &samfix::rules::reads(samfix::Rule::ALL)) {
        let whole = samfix::parse::parse_template(source, &samfix::rules::reads(samfix::Rule::ALL));
        assert!(whole.is_ok(), "read in parts, but not whole: {whole:?}");
        assert_eq!(format!("{in_parts:?}"), format!("{:?}", whole.unwrap()));
    }
    if let Some(in_parts) = samfix::parse::fingerprint_text_in_parts(source) {
        assert_eq!(Ok(in_parts), samfix::parse::fingerprint_text(source));
    }
    for strategy in [Strategy::Auto, Strategy::Events, Strategy::Flag] {
        let Ok(checked) = samfix::check(source, strategy) else {
            continue;
        };
        let Some(fixed) = &checked.fixed else {
            assert!(checked.edits.is_empty(), "edits without a fixed text");
            continue;
        };
        assert_eq!(
            *fixed,
            samfix::edits::apply(source, &checked.edits),
            "the fixed text is not the edits applied"
        );
        if let Err(error) = samfix::parse::parse(fixed) {
            panic!("the fixed text does not parse: {error:?}\n{fixed}");
        }
        assert_unedited_lines_kept(source, fixed, &checked.edits);
        match samfix::check(fixed, strategy) {
            Ok(again) => assert!(
                again.fixed.is_none() && again.edits.is_empty(),
                "a second run changes the fixed text again:\n{fixed}"
            ),
            Err(error) => panic!("the fixed text fails a second check: {error:?}\n{fixed}"),
        }
    }
});

/// Every line of `source` that no edit touches is in `fixed`, byte for byte, where the
/// edits before it moved it.
fn assert_unedited_lines_kept(source: &str, fixed: &str, edits: &[samfix::edits::Edit]) {
    let mut start = 0;
    while start < source.len() {
        let end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i + 1);
        let touched = edits
            .iter()
            .any(|edit| edit.range.end > start && edit.range.start < end);
        if !touched {
            let shift: isize = edits
                .iter()
                .filter(|edit| edit.range.end <= start)
                .map(|edit| edit.content.len() as isize - edit.range.len() as isize)
                .sum();
            let moved = start.checked_add_signed(shift).expect("a line moved before 0");
            assert_eq!(
                fixed.get(moved..moved + (end - start)),
                Some(&source[start..end]),
                "line at byte {start} was changed"
            );
        }
        start = end;
    }
}
