//! The checks every fixed text passes before samfix writes or shows it.

use crate::parse::Node;
use crate::rules::Rule;
use crate::Strategy;

/// Checks the value the changes mean to produce: the original tree with the changes
/// applied. Read as a template, it must leave nothing to fix (a second run would change
/// nothing) and no fixed setting may still be found.
pub(crate) fn settles(
    source: &str,
    kept: &[crate::suppress::Kept],
    planned: Node<'_>,
    strategy: Strategy,
    rules: &[Rule],
    still_refused: usize,
    labels: crate::model::Labels,
) -> Result<(), String> {
    let template = crate::model::Template::read(planned).map_err(|error| error.message)?;
    // No fix adds, removes or renames an event, and these findings are only counted: the
    // labels the first reading made serve, where new ones would double them on a large
    // template.
    template.reuse_labels(labels);
    let facts = crate::facts::Facts::read(&template);
    let mut again = crate::rules::run(&template, &facts, strategy, rules);
    // What `# samfix: ignore` left alone is still there, as it should be: the nodes the fix
    // didn't touch keep their places in `source`.
    crate::suppress::apply(source, &template, &mut again);
    crate::suppress::drop_kept(&mut again, kept);
    if again.changes().next().is_some() {
        return Err("a second run would change the fixed template again".into());
    }
    if again.refusals.len() > still_refused {
        return Err("the fix left a setting on a preflight".into());
    }
    Ok(())
}

/// Re-reads `fixed` in full and checks that it parses to the planned value: its
/// fingerprint is `expected`, the planned tree's (see [`Node::fingerprint`]). With
/// [`settles`], this checks the fixed text itself: the two have the same value, and the
/// rules read values.
pub fn reparses_to(expected: u128, fixed: &str) -> Result<(), String> {
    let actual = crate::parse::fingerprint_text(fixed)
        .map_err(|error| format!("the fixed text does not parse: {}", error.message))?;
    if actual != expected {
        return Err("the fixed template's values differ from the planned change".into());
    }
    Ok(())
}
