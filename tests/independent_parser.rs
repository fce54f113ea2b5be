//! Reads every fixture and its fix with a second, unrelated YAML parser (libyaml's
//! lineage, through serde_norway) and checks that the values differ exactly by the
//! planned changes: samfix's own parser can't vouch for itself.

mod common;

use common::files_in;
use samfix::parse::Seg;
use samfix::{Change, Strategy};
use serde_norway::{Mapping, Value};

fn load(text: &str) -> Value {
    serde_norway::from_str(text.trim_start_matches('\u{feff}'))
        .expect("the independent parser reads it")
}

fn to_value(value: &samfix::Value) -> Value {
    match value {
        samfix::Value::Null => Value::Null,
        samfix::Value::Bool(value) => Value::Bool(*value),
        samfix::Value::Int(value) => Value::Number((*value).into()),
        samfix::Value::Str(text) => Value::String(text.clone()),
        samfix::Value::Map(entries) => Value::Mapping(
            entries
                .iter()
                .map(|(key, value)| (Value::String(key.to_string()), to_value(value)))
                .collect(),
        ),
        samfix::Value::Seq(items) => Value::Sequence(items.iter().map(to_value).collect()),
        other => panic!("a value the test does not know: {other:?}"),
    }
}

fn at<'v>(value: &'v mut Value, path: &[Seg]) -> &'v mut Value {
    path.iter().fold(value, |node, seg| match seg {
        Seg::Key(key) => node
            .get_mut(key.as_str())
            .unwrap_or_else(|| panic!("no key {key}")),
        Seg::Index(i) => node.get_mut(*i).unwrap_or_else(|| panic!("no index {i}")),
    })
}

fn apply(value: &mut Value, change: &Change) {
    match change {
        Change::Remove { map, key } => {
            let removed = at(value, map)
                .as_mapping_mut()
                .unwrap()
                .remove(key.as_str());
            assert!(removed.is_some(), "{key} was there to remove");
        }
        Change::Insert {
            map,
            key,
            value: new,
            ..
        } => {
            let target = at(value, map);
            if target.is_null() {
                *target = Value::Mapping(Mapping::new());
            }
            target
                .as_mapping_mut()
                .unwrap()
                .insert(Value::String(key.to_string()), to_value(new));
        }
        Change::Replace { path, value: new } => *at(value, path) = to_value(new),
        other => panic!("a change the test does not know: {other:?}"),
    }
}

#[test]
fn fixes_change_exactly_the_planned_values() {
    let mut checked_fixes = 0;
    for path in files_in("tests/fixtures") {
        let source = std::fs::read_to_string(&path).unwrap();
        for strategy in [Strategy::Auto, Strategy::Events, Strategy::Flag] {
            let checked = samfix::check(&source, strategy).unwrap();
            let Some(fixed) = &checked.fixed else {
                continue;
            };
            let mut expected = load(&source);
            for change in checked.fixes.iter().flat_map(|fix| &fix.changes) {
                apply(&mut expected, change);
            }
            assert_eq!(
                expected,
                load(fixed),
                "{} with {strategy:?}",
                path.display()
            );
            assert_ne!(
                load(&source),
                load(fixed),
                "{} with {strategy:?} changed a value",
                path.display()
            );
            checked_fixes += 1;
        }
    }
    assert!(
        checked_fixes >= 20,
        "only {checked_fixes} fixes were checked"
    );
}
