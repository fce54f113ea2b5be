//! The checks every fixed text passes before samfix writes or shows it.

use crate::parse::Node;
use crate::plan::{apply_to_tree, Change, Strategy};

/// Re-reads `fixed` and checks it is what the changes meant: it parses, its values are the
/// original values with exactly the changes applied, the fixed keys no longer reach a
/// preflight, and a second run would change nothing.
pub fn verify(
    before: &Node,
    changes: &[Change],
    fixed: &str,
    strategy: Strategy,
    rules: &[crate::analyze::Rule],
    still_refused: usize,
) -> Result<(), String> {
    let after = crate::parse::parse(fixed)
        .map_err(|error| format!("the fixed text does not parse: {}", error.message))?;
    let expected =
        apply_to_tree(before, changes).ok_or("the planned changes do not apply to the template")?;
    match expected.same_value(&after) {
        Some(true) => {}
        Some(false) => {
            return Err("the fixed template's values differ from the planned change".into())
        }
        None => return Err("its aliases expand to a value too large to check".into()),
    }
    let template = crate::model::Template::read(&after).map_err(|error| error.message)?;
    let analysis = crate::analyze::analyze(&template, rules);
    let again = crate::plan::plan(&template, &analysis, strategy);
    if again.changes().next().is_some() {
        return Err("a second run would change the fixed template again".into());
    }
    if again.refusals.len() > still_refused {
        return Err("the fix left a setting on a preflight".into());
    }
    Ok(())
}
