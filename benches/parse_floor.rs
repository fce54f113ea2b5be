//! The parse-only floor for `benches/run.py`: reads each named file and pulls every event
//! out of `granit-parser`, configured exactly as `crates/samfix-core/src/parse/yaml.rs` configures it, and
//! does nothing else. No samfix run over the same file can be faster or smaller than this.

use std::hint::black_box;
use std::process::ExitCode;

use granit_parser::Parser;

// Must match the options in `crates/samfix-core/src/parse/yaml.rs`, or the floor measures another parser.
const NESTING_LIMIT: usize = 200;

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: parse_floor FILE...");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    for path in &paths {
        let source = match std::fs::read_to_string(path) {
            Ok(source) => source,
            Err(error) => {
                eprintln!("{path}: {error}");
                status = ExitCode::from(2);
                continue;
            }
        };
        let options = granit_parser::options! {
            emit_anchor_events: true,
            emit_comments: false,
            flow_nesting_limit: NESTING_LIMIT,
            block_nesting_limit: NESTING_LIMIT,
        };
        let mut parser = Parser::new_from_str_with_options(&source, options);
        // black_box keeps the optimizer from discarding the events, so every one is built.
        while let Some(next) = parser.next_event() {
            if let Err(error) = black_box(next) {
                eprintln!("{path}: {}", error.info());
                status = ExitCode::from(2);
                break;
            }
        }
    }
    status
}
