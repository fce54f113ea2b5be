//! Error diagnostics read back as one line each, the form assertions about a file's error
//! compare; the snippets themselves are pinned by the snapshots of `tests/formats.rs`.

/// Each `error: MESSAGE` diagnostic whose second line is `--> PLACE` becomes
/// `PLACE: error: MESSAGE`; anything else is kept as it is.
pub fn compact(stderr: &str) -> String {
    let mut out = String::new();
    for block in stderr
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
    {
        let mut lines = block.lines();
        let message = lines.next().and_then(|title| title.strip_prefix("error: "));
        let place = lines
            .next()
            .and_then(|line| line.trim_start().strip_prefix("--> "));
        match message.zip(place) {
            Some((message, place)) => out.push_str(&format!("{place}: error: {message}\n")),
            None => {
                out.push_str(block.trim_end_matches('\n'));
                out.push('\n');
            }
        }
    }
    out
}
