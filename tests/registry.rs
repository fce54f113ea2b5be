//! Everything that lists the rules reads the registry: the README's table, the rule pages,
//! `--explain` and the command line's rule names.

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
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&table()),
        "README.md's rule table differs from the registry; it should read:\n{}",
        table()
    );
}

#[test]
fn every_rule_has_its_page_and_explains_itself() {
    for rule in Rule::ALL {
        let path = format!("{}/docs/rules/{}.md", env!("CARGO_MANIFEST_DIR"), rule.id());
        let page = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{path} is missing"));
        assert_eq!(rule.spec().page, page, "{path}");
        assert!(
            page.starts_with(&format!("# {}\n", rule.id())),
            "{path} names its rule first"
        );
        let explained = std::process::Command::new(env!("CARGO_BIN_EXE_samfix"))
            .args(["--explain", rule.id()])
            .output()
            .unwrap();
        assert!(explained.status.success());
        assert_eq!(String::from_utf8(explained.stdout).unwrap(), page);
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
