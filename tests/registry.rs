//! Everything that lists the rules reads the registry: the README's table, the rule pages,
//! `--explain` and the command line's rule names.

mod common;

use common::{repo_path, Samfix};
use samfix::Rule;

/// The README's rule table, as the registry makes it.
fn table() -> String {
    let mut table = String::from("| rule | finds | fix |\n| --- | --- | --- |\n");
    for rule in Rule::ALL {
        let spec = rule.spec();
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            spec.id, spec.summary, spec.fix
        ));
    }
    table
}

#[test]
fn the_readme_rule_table_is_the_registry() {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    assert!(
        readme.contains(&table()),
        "README.md's rule table differs from the registry; it should read:\n{}",
        table()
    );
}

#[test]
fn every_rule_has_its_page_and_explains_itself() {
    for rule in Rule::ALL {
        let path = repo_path(&format!("crates/samfix-core/docs/rules/{}.md", rule.id()));
        let page = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing", path.display()));
        assert_eq!(rule.spec().page, page, "{}", path.display());
        assert!(
            page.starts_with(&format!("# {}\n", rule.id())),
            "{} names its rule first",
            path.display()
        );
        let explained = Samfix::new(&["--explain", rule.id()]).run();
        assert_eq!(explained.code, Some(0));
        assert_eq!(explained.stdout, page);
    }
}

#[test]
fn ids_are_unique_and_kebab_case() {
    let mut ids: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
    assert!(ids
        .iter()
        .all(|id| id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')));
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), Rule::ALL.len());
    for rule in Rule::ALL {
        assert_eq!(Rule::from_id(rule.id()), Some(*rule));
    }
}
