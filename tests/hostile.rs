//! Hostile input through the binary: every one ends in exit status 2 (or, where the input is
//! valid, an ordinary result) with one diagnostic on stderr naming the file, in bounded time, and
//! the file as it was. Each runs with `--write`, so "untouched" means something.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{compact, names, temp_dir_with, Run, Samfix};

const SAM: &str = "Transform: AWS::Serverless-2016-10-31\n";

/// An API whose key reaches the preflight, so there is a fix to plan, verify and write.
const FIXABLE: &str = "Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Cors: \"'*'\"
      Auth:
        ApiKeyRequired: true
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /x
            Method: GET
";

/// Generous for a debug build on a busy machine; the release binary takes milliseconds.
const TIME_LIMIT: Duration = Duration::from_secs(10);

/// Runs samfix in `dir` within the time limit, its errors in their one-line form.
fn samfix_in(dir: &Path, args: &[&str], stdin: Stdio) -> Run {
    let run = Samfix::new(args)
        .dir(dir)
        .stdin(stdin)
        .time_limit(TIME_LIMIT)
        .run();
    Run {
        stderr: compact(&run.stderr),
        ..run
    }
}

/// Writes `contents` to `name`, runs `samfix --write name`, and checks it is refused with
/// exactly `expected` as the one line on stderr, and that the file is unchanged.
fn assert_refused(name: &str, contents: &[u8], expected: &str) {
    let dir = temp_dir_with(&[(name, contents)]);
    let path = dir.path().join(name);
    let out = samfix_in(dir.path(), &["--write", name], Stdio::null());
    assert_eq!(out.code, Some(2), "{name}: {}{}", out.stdout, out.stderr);
    assert_eq!(out.stderr, format!("{expected}\n"), "{name}");
    assert!(out.stdout.ends_with("1 error\n"), "{name}: {}", out.stdout);
    assert!(
        std::fs::read(&path).unwrap() == contents,
        "{name} was changed"
    );
    assert_eq!(names(dir.path()), [name], "{name} left more");
}

/// Writes `contents` to `name`, runs `samfix --write name`, and checks the fix is written
/// and leaves nothing for a second run.
fn assert_fixed(name: &str, contents: &[u8]) {
    let dir = temp_dir_with(&[(name, contents)]);
    let path = dir.path().join(name);
    let out = samfix_in(dir.path(), &["--write", name], Stdio::null());
    assert_eq!(out.code, Some(0), "{name}: {}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.ends_with("1 file fixed, 0 errors\n"),
        "{name}: {}",
        out.stdout
    );
    let fixed = std::fs::read(&path).unwrap();
    assert!(fixed != contents, "{name} was not changed");
    let again = samfix_in(dir.path(), &[name], Stdio::null());
    assert_eq!(
        again.code,
        Some(0),
        "{name}: {}{}",
        again.stdout,
        again.stderr
    );
}

#[test]
/// Verification fingerprints each anchored value once: an alias bomb elsewhere in the file
/// costs what its text costs, and the fix is written.
fn billion_laughs_is_fixed_without_expanding() {
    let mut text =
        format!("{SAM}Metadata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let items = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("  a{i}: &a{i} [{items}]\n"));
    }
    text.push_str(FIXABLE);
    assert_fixed("bomb.yaml", text.as_bytes());
}

/// A 1 MB string aliased 9^7 times: its fingerprint is taken once, not once per alias,
/// which would hash terabytes.
#[test]
fn a_long_string_aliased_millions_of_times() {
    let mut text = format!("{SAM}Metadata:\n  a0: &a0 \"{}\"\n", "x".repeat(1_000_000));
    for i in 1..8 {
        let items = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("  a{i}: &a{i} [{items}]\n"));
    }
    text.push_str(FIXABLE);
    assert_fixed("long_bomb.yaml", text.as_bytes());
}

/// `<<: [*m, *m]`, sixty deep: looking a key up used to search 2^60 maps.
#[test]
fn merge_key_bomb_is_fixed_without_expanding() {
    let mut text = format!("{SAM}Metadata:\n  m0: &m0 {{x: 1}}\n");
    for i in 1..60 {
        text.push_str(&format!(
            "  m{i}: &m{i} {{<<: [*m{p}, *m{p}]}}\n",
            p = i - 1
        ));
    }
    text.push_str("Globals:\n  Api: *m59\n");
    text.push_str(FIXABLE);
    assert_fixed("merge_bomb.yaml", text.as_bytes());
}

/// The tree stores each node once, anchored or not, so 190 nested anchors around 400 KB
/// cost what their text costs (when each anchor held a copy of its node, they took 27 s and
/// 6.6 GB).
#[test]
fn nested_anchors_are_stored_once() {
    let depth = 190;
    let mut text = format!("{SAM}Metadata: ");
    for i in 0..depth {
        text.push_str(&format!("&n{i} ["));
    }
    text.push_str(&vec!["x"; 200_000].join(","));
    text.push_str(&"]".repeat(depth));
    text.push('\n');
    text.push_str(FIXABLE);
    assert_fixed("anchors.yaml", text.as_bytes());
}

/// `a1: [*a0]`, `a2: [*a1]`, ...: shallow as written, 100,000 deep once expanded, which the
/// walks that follow aliases would recurse through.
#[test]
fn alias_chains_count_towards_the_nesting_limit() {
    let mut text = format!("{SAM}Metadata:\n  a0: &a0 x\n");
    for i in 1..100_000 {
        text.push_str(&format!("  a{i}: &a{i} [*a{}]\n", i - 1));
    }
    text.push_str(FIXABLE);
    assert_refused(
        "chain.yaml",
        text.as_bytes(),
        "chain.yaml:204:15: error: collections are nested more than 200 deep once aliases are expanded",
    );
}

#[test]
fn hundred_thousand_deep_flow_nesting() {
    let n = 100_000;
    let seqs = format!("{SAM}Resources: {}{}\n", "[".repeat(n), "]".repeat(n));
    assert_refused(
        "flow_seq.yaml",
        seqs.as_bytes(),
        "flow_seq.yaml:2:212: error: collections are nested more than 200 deep",
    );
    let maps = format!("{SAM}Resources: {}1{}\n", "{a: ".repeat(n), "}".repeat(n));
    assert_refused(
        "flow_map.yaml",
        maps.as_bytes(),
        "flow_map.yaml:2:808: error: collections are nested more than 200 deep",
    );
    let json = format!(
        "{{\"Transform\": \"AWS::Serverless-2016-10-31\", \"Resources\": {}1{}}}\n",
        "{\"a\": ".repeat(n),
        "}".repeat(n)
    );
    assert_refused(
        "deep.json",
        json.as_bytes(),
        "deep.json:1:1252: error: collections are nested more than 200 deep",
    );
}

/// Block nesting 100,000 deep by indentation alone would be a 5 GB file; compact block
/// collections (`- - - x`, `? ? ? x`) and one-space steps for the first thousand levels
/// reach the limit just the same.
#[test]
fn hundred_thousand_deep_block_nesting() {
    let n = 100_000;
    let seqs = format!("{SAM}Resources:\n  {}x\n", "- ".repeat(n));
    assert_refused(
        "block_seq.yaml",
        seqs.as_bytes(),
        "block_seq.yaml:3:401: error: collections are nested more than 200 deep",
    );
    let keys = format!("{SAM}Resources:\n  {}x\n", "? ".repeat(n));
    assert_refused(
        "block_keys.yaml",
        keys.as_bytes(),
        "block_keys.yaml:3:401: error: collections are nested more than 200 deep",
    );
    let mut maps = SAM.to_string();
    for depth in 0..1_000 {
        maps.push_str(&format!("{}k:\n", " ".repeat(depth)));
    }
    assert_refused(
        "block_maps.yaml",
        maps.as_bytes(),
        "block_maps.yaml:202:201: error: collections are nested more than 200 deep",
    );
}

fn big_template(at_least: usize) -> String {
    let mut text = format!("{SAM}Resources:\n");
    let mut i = 0;
    while text.len() < at_least {
        text.push_str(&format!(
            "  Fn{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
             Handler: index.handler\n      Events:\n        Api:\n          Type: Api\n          \
             Properties:\n            Path: /p{i}\n            Method: GET\n"
        ));
        i += 1;
    }
    text
}

/// Refused by size before it is read: `--max-size` (4 MiB by default).
#[test]
fn fifty_megabytes_is_refused_unread() {
    let text = big_template(50_000_000);
    let expected = format!(
        "big.yaml: error: too large ({} bytes, over the --max-size limit of 4194304 bytes)",
        text.len()
    );
    assert_refused("big.yaml", text.as_bytes(), &expected);
}

/// The same limit for standard input and devices, which have no size to look at: reading
/// stops one byte past the limit.
#[test]
fn endless_input_is_cut_off_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = samfix_in(dir.path(), &["/dev/zero"], Stdio::null());
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.stderr,
        "/dev/zero: error: too large (over the --max-size limit of 4194304 bytes)\n"
    );
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let out = samfix_in(dir.path(), &["--max-size", "1000", "-"], zero.into());
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.stderr,
        "<stdin>: error: too large (over the --max-size limit of 1000 bytes)\n"
    );
}

/// `--max-size` raises (or lowers) the limit, and a file of exactly the limit is read.
#[test]
fn max_size_is_inclusive_and_adjustable() {
    let text = format!("{SAM}{FIXABLE}");
    let dir = temp_dir_with(&[("t.yaml", &text)]);
    let size = text.len().to_string();
    let out = samfix_in(dir.path(), &["--max-size", &size, "t.yaml"], Stdio::null());
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let smaller = (text.len() - 1).to_string();
    let out = samfix_in(
        dir.path(),
        &["--max-size", &smaller, "t.yaml"],
        Stdio::null(),
    );
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.stderr,
        format!(
            "t.yaml: error: too large ({} bytes, over the --max-size limit of {smaller} bytes)\n",
            text.len()
        )
    );
}

/// A directory walk skips an oversized file that is no SAM template, as it skips small ones,
/// and reports one that is.
#[test]
fn a_walk_skips_large_files_that_are_not_templates() {
    let mut data = "[".to_string();
    data.push_str(&"1,".repeat(3_000));
    data.push_str("1]\n");
    let template = format!("# padding {}\n{SAM}{FIXABLE}", "x".repeat(70_000));
    let dir = temp_dir_with(&[("data.json", &data), ("t.yaml", &template)]);
    let out = samfix_in(dir.path(), &["--max-size", "5000", "."], Stdio::null());
    assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "t.yaml: error: too large ({} bytes, over the --max-size limit of 5000 bytes)\n",
            template.len()
        )
    );
}

#[test]
fn invalid_utf8() {
    let mut bytes = SAM.as_bytes().to_vec();
    bytes.extend_from_slice(b"Description: caf\xe9\n");
    assert_refused(
        "latin1.yaml",
        &bytes,
        "latin1.yaml:2:17: error: not UTF-8 text: invalid byte 0xE9",
    );
}

#[test]
fn nul_bytes() {
    let text = format!("{SAM}Resources:\n  A\0: 1\n");
    assert_refused(
        "nul.yaml",
        text.as_bytes(),
        "nul.yaml:3:4: error: unexpected character: `\\u{0}'",
    );
}

#[test]
fn binary_files() {
    // A PNG's signature, then noise.
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut state: u32 = 12345;
    bytes.extend((0..4096).map(|_| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (state >> 16) as u8
    }));
    assert_refused(
        "image.yaml",
        &bytes,
        "image.yaml:1:1: error: not UTF-8 text: invalid byte 0x89",
    );
    // An ELF header is valid UTF-8 up to its first NUL.
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0\x01\0\0\0";
    assert_refused(
        "program.yaml",
        elf,
        "program.yaml:1:1: error: unexpected character: `\\u{7f}'",
    );
}

#[test]
fn empty_and_blank_files() {
    assert_refused(
        "empty.yaml",
        b"",
        "empty.yaml:1:1: error: the file is empty",
    );
    assert_refused(
        "blank.yaml",
        b"\n  \n",
        "blank.yaml:1:1: error: the file is empty",
    );
    assert_refused(
        "comments.yaml",
        b"\n  \n# only a comment\n",
        "comments.yaml:3:1: error: the file holds only comments: no YAML or JSON document",
    );
}

#[test]
fn documents_that_are_not_mappings() {
    assert_refused(
        "scalar.yaml",
        b"hello\n",
        "scalar.yaml:1:1: error: a template is a mapping of sections, but this document is a scalar",
    );
    assert_refused(
        "list.yaml",
        b"- a\n- b\n",
        "list.yaml:1:1: error: a template is a mapping of sections, but this document is a list",
    );
    assert_refused(
        "null.yaml",
        b"null\n",
        "null.yaml:1:1: error: a template is a mapping of sections, but this document is empty (null)",
    );
}

#[test]
fn duplicate_keys_are_read_last_wins_and_name_both_places() {
    let text = format!("{SAM}Resources: {{}}\nOutputs: {{}}\nResources: {{}}\n");
    let dir = temp_dir_with(&[("dup.yaml", &text)]);
    let out = samfix_in(dir.path(), &["--write", "dup.yaml"], Stdio::null());
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with(
            "warning: `Resources` is written twice in its map (first at line 2, column 1)"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dup.yaml")).unwrap(),
        text
    );
}

/// YAML ends a key written without `? ` at 1024 characters; a 1 MB one is refused with a
/// message that says so, and one written as `? key` is read like any other.
#[test]
fn a_key_longer_than_a_megabyte() {
    let key = "k".repeat((1 << 20) + 1);
    let text = format!("{SAM}{key}: 1\n");
    assert_refused(
        "long_key.yaml",
        text.as_bytes(),
        "long_key.yaml:2:1: error: simple key expected ':' (an implicit key is at most 1024 \
         characters; write a longer one as `? key`)",
    );
    let explicit = format!("{SAM}Resources:\n  ? {key}\n  : {{Type: AWS::Serverless::Function}}\n");
    let dir = temp_dir_with(&[("explicit.yaml", &explicit)]);
    let out = samfix_in(dir.path(), &["--write", "explicit.yaml"], Stdio::null());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("explicit.yaml")).unwrap(),
        explicit
    );
}

#[test]
fn resources_as_a_list() {
    let text = format!("{SAM}Resources:\n  - Type: AWS::Serverless::Api\n");
    assert_refused(
        "list_resources.yaml",
        text.as_bytes(),
        "list_resources.yaml:3:3: error: `Resources` must be a mapping of logical ids, but it is a list",
    );
}

/// One bad file doesn't stop the others: the good one is still fixed.
#[test]
fn other_files_are_still_processed() {
    let n = 100_000;
    let dir = temp_dir_with(&[
        (
            "a_deep.yaml",
            format!("{SAM}Resources: {}{}\n", "[".repeat(n), "]".repeat(n)),
        ),
        ("b_good.yaml", format!("{SAM}{FIXABLE}")),
    ]);
    let out = samfix_in(
        dir.path(),
        &[
            "--select",
            "api-key-on-preflight",
            "--write",
            "a_deep.yaml",
            "b_good.yaml",
        ],
        Stdio::null(),
    );
    assert_eq!(out.code, Some(2));
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("2 files checked: 1 finding, 1 fixable, 1 file fixed, 1 error\n"),
        "{}",
        out.stdout
    );
    let fixed = std::fs::read_to_string(dir.path().join("b_good.yaml")).unwrap();
    assert!(
        !fixed.contains("      Auth:\n        ApiKeyRequired: true\n  Fn:"),
        "{fixed}"
    );
}

// The invariants the fuzz target (fuzz/fuzz_targets/check.rs) asserts, for the inputs it
// or a person found (tests/hostile/) and for mutated fixtures (a short proptest).

/// Checks `source` with every strategy: no panic, and any fix re-parses, keeps every line
/// no edit touches (where the edits before it moved it), and leaves nothing to do.
fn assert_fix_invariants(source: &str) {
    use samfix::Strategy;
    for strategy in [Strategy::Auto, Strategy::Events, Strategy::Flag] {
        let Ok(checked) = samfix::check(source, strategy) else {
            continue;
        };
        let Some(fixed) = &checked.fixed else {
            assert!(checked.edits.is_empty());
            continue;
        };
        assert_eq!(*fixed, samfix::edits::apply(source, &checked.edits));
        assert!(samfix::parse::parse(fixed).is_ok(), "{fixed}");
        let mut start = 0;
        while start < source.len() {
            let end = source[start..]
                .find('\n')
                .map_or(source.len(), |i| start + i + 1);
            let touched = checked
                .edits
                .iter()
                .any(|edit| edit.range.end > start && edit.range.start < end);
            if !touched {
                let shift: isize = checked
                    .edits
                    .iter()
                    .filter(|edit| edit.range.end <= start)
                    .map(|edit| edit.content.len() as isize - edit.range.len() as isize)
                    .sum();
                let moved = start.checked_add_signed(shift).unwrap();
                assert_eq!(
                    fixed.get(moved..moved + (end - start)),
                    Some(&source[start..end]),
                    "line at byte {start} changed:\n{fixed}"
                );
            }
            start = end;
        }
        let again = samfix::check(fixed, strategy).expect("the fix checks again");
        assert!(again.fixed.is_none(), "a second run changes:\n{fixed}");
    }
}

/// Every input in tests/hostile/ (fuzz finds and the bombs above, small enough to keep),
/// each within the time limit.
#[test]
fn regressions_in_tests_hostile() {
    let mut count = 0;
    for path in common::files_in("tests/hostile") {
        let bytes = std::fs::read(&path).unwrap();
        let started = Instant::now();
        if let Ok(source) = std::str::from_utf8(&bytes) {
            assert_fix_invariants(source);
        }
        assert!(
            started.elapsed() < TIME_LIMIT,
            "{} took {:?}",
            path.display(),
            started.elapsed()
        );
        count += 1;
    }
    assert!(count >= 3);
}

mod mutations {
    use proptest::prelude::*;

    /// Pieces of YAML and SAM that mutations insert, so most mutants stay templates.
    const TOKENS: &[&str] = &[
        "\n",
        "\r\n",
        " ",
        "  ",
        "\t",
        ":",
        ": ",
        "- ",
        "? ",
        "{",
        "}",
        "[",
        "]",
        ",",
        "'",
        "\"",
        "#",
        "&a ",
        "*a",
        "<<: ",
        "!Ref ",
        "|",
        ">",
        "---\n",
        "\u{feff}",
        "\0",
        "é",
        "ApiKeyRequired: true",
        "Auth:",
        "Cors: x",
        "Type: Api",
        "Method: OPTIONS",
        "RestApiId: !Ref Api",
        "DefinitionBody:",
        "Globals:",
        "Events:",
        "Properties:",
    ];

    fn fixtures() -> Vec<String> {
        ["tests/fixtures", "tests/fidelity"]
            .into_iter()
            .flat_map(super::common::files_in)
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// A fixture with a few bytes cut, or a token inserted or swapped in: samfix never
        /// panics, and every fix it makes keeps the invariants.
        #[test]
        fn mutated_fixtures_keep_the_invariants(
            pick in any::<prop::sample::Index>(),
            edits in prop::collection::vec(
                (any::<prop::sample::Index>(), 0..3u8, 0..TOKENS.len(), 0..8usize),
                1..4,
            ),
        ) {
            let texts = fixtures();
            let mut text = texts[pick.index(texts.len())].clone();
            for (at, op, token, cut) in edits {
                let mut at = at.index(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + cut).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                match op {
                    0 => text.insert_str(at, TOKENS[token]),
                    1 => text.replace_range(at..end, ""),
                    _ => text.replace_range(at..end, TOKENS[token]),
                }
            }
            super::assert_fix_invariants(&text);
        }
    }
}

/// A FIFO named like a template would block a directory walk forever on open: walks skip
/// anything that is not a regular file. Named on the command line, a pipe is read.
#[test]
fn a_walk_skips_fifos_and_devices() {
    let dir = temp_dir_with(&[("t.yaml", format!("{SAM}{FIXABLE}"))]);
    let status = Command::new("mkfifo")
        .arg(dir.path().join("pipe.yaml"))
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo failed");
    let out = samfix_in(
        dir.path(),
        &["--select", "api-key-on-preflight", "."],
        Stdio::null(),
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("1 file checked: 1 finding, 1 fixable, 0 errors\n"),
        "{}",
        out.stdout
    );
}

/// Many APIs, each with a key and one event: every API's finding names its own event. How
/// the check grows with their number is measured in benches/run.py, not here.
#[test]
fn many_apis_and_events() {
    let n = 50;
    let mut text = format!("{SAM}Resources:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  A{i}: {{Type: AWS::Serverless::Api, Properties: {{Cors: x, Auth: {{ApiKeyRequired: true}}}}}}\n"
        ));
    }
    for i in 0..n {
        text.push_str(&format!(
            "  F{i}: {{Type: AWS::Serverless::Function, Properties: {{Events: {{E: {{Type: Api, \
             Properties: {{RestApiId: !Ref A{i}, Path: /, Method: GET}}}}}}}}}}\n"
        ));
    }
    let dir = temp_dir_with(&[("many.yaml", &text)]);
    let out = samfix_in(dir.path(), &["many.yaml"], Stdio::null());
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        out.stdout.matches("error[api-key-on-preflight]").count(),
        n,
        "{}",
        out.stdout
    );
    for i in 0..n {
        let moved = format!(
            "remove `Resources.A{i}.Properties.Auth`; \
             add `Resources.F{i}.Properties.Events.E.Properties.Auth: {{ApiKeyRequired: true}}`"
        );
        assert!(out.stdout.contains(&moved), "A{i}: {}", out.stdout);
    }
}

/// Five events whose `RestApiId` names a missing id longer than the 255 characters a logical
/// id can have, and five APIs with ids as long: each event is warned about, with its id whole.
/// How the check grows with the length of ids is measured in benches/run.py, not here.
#[test]
fn long_unresolved_refs() {
    let n = 300;
    let mut text = format!("{SAM}Resources:\n");
    for i in 0..5 {
        text.push_str(&format!(
            "  ? A{}{i}\n  : {{Type: AWS::Serverless::Api, Properties: {{StageName: p}}}}\n",
            "x".repeat(n)
        ));
    }
    for i in 0..5 {
        text.push_str(&format!(
            "  F{i}: {{Type: AWS::Serverless::Function, Properties: {{Events: {{E: {{Type: Api, \
             Properties: {{RestApiId: !Ref B{}{i}, Path: /, Method: GET}}}}}}}}}}\n",
            "y".repeat(n)
        ));
    }
    let dir = temp_dir_with(&[("refs.yaml", &text)]);
    let out = samfix_in(dir.path(), &["refs.yaml"], Stdio::null());
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    for i in 0..5 {
        let warning = format!(
            "warning: `RestApiId` of event `F{i}.E` refers to `B{}{i}`, which is not a resource \
             in this template",
            "y".repeat(n)
        );
        assert!(out.stdout.contains(&warning), "F{i}: {}", out.stdout);
    }
    assert!(
        out.stdout
            .ends_with("1 file checked: 0 findings, 0 fixable, 5 warnings, 0 errors\n"),
        "{}",
        out.stdout
    );
}
