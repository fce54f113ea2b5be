//! The checks every fixed text passes before samfix writes or shows it.

use crate::analyze::Rule;
use crate::plan::Strategy;

/// Re-reads `fixed` and checks it is what the changes meant: it parses, its value has the
/// fingerprint of the original value with the changes applied (`expected`, see
/// [`crate::parse::Node::fingerprint`]), the fixed keys no longer reach a preflight, and a
/// second run would change nothing. Only one tree is alive at a time: the original's is
/// gone once its fingerprint is taken.
pub fn verify(
    expected: u128,
    fixed: &str,
    strategy: Strategy,
    rules: &[Rule],
    still_refused: usize,
) -> Result<(), String> {
    let after = crate::parse::parse(fixed)
        .map_err(|error| format!("the fixed text does not parse: {}", error.message))?;
    if after.fingerprint() != expected {
        return Err("the fixed template's values differ from the planned change".into());
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
