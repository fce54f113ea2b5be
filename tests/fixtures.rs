//! Each fixture in, one snapshot out: the report, and the diff of every strategy.

mod common;

use common::{snapshot_of, snapshot_settings};

#[test]
fn fixtures() {
    snapshot_settings().bind(|| {
        insta::glob!("fixtures/*", |path| {
            insta::assert_snapshot!(snapshot_of(path));
        });
    });
}
