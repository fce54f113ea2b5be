//! Each fixture in, one snapshot out: the report, and the diff of every strategy.

mod common;

use common::snapshot_of;

#[test]
fn fixtures() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("fixtures/*", |path| {
            insta::assert_snapshot!(snapshot_of(path));
        });
    });
}
