//! Inline suppression: a `# samfix: ignore[rule-id]` comment (several ids separated by
//! commas), or a bare `# samfix: ignore` for every rule, on the line of the setting a
//! finding is about or on the first line of the API's resource, silences that finding and
//! leaves its setting as it is.

use crate::model::Template;
use crate::parse::{line_at, Duplicate, Node};
use crate::rules::{Plan, Rule};
use crate::{Edit, Finding, Reason, Refusal};

/// Whether `line` has a suppression comment for `rule`.
pub fn line_ignores(line: &str, rule: &str) -> bool {
    line.match_indices('#').any(|(at, _)| {
        // A `#` starts a comment at the start of a line or after a space.
        if at > 0 && !line[..at].ends_with([' ', '\t']) {
            return false;
        }
        let Some(rest) = line[at + 1..]
            .trim_start()
            .strip_prefix("samfix:")
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix("ignore"))
        else {
            return false;
        };
        if let Some(list) = rest.strip_prefix('[') {
            let list = list.split(']').next().unwrap_or_default();
            list.split(',').any(|id| id.trim() == rule)
        } else {
            rest.is_empty() || rest.starts_with([' ', '\t', '\r', '#'])
        }
    })
}

fn is_suppressed(source: &str, template: &Template<'_>, finding: &Finding) -> bool {
    let rule = finding.rule.id();
    if line_ignores(line_at(source, finding.span.start), rule) {
        return true;
    }
    let resource = template
        .root
        .get("Resources")
        .and_then(|resources| resources.as_map())
        .and_then(|resources| resources.get(&finding.api));
    resource.is_some_and(|entry| line_ignores(line_at(source, entry.key_span().start), rule))
}

/// Takes the suppressed findings out of `plan`, with the fixes and refusals only they
/// had. A finding whose fix also fixes a finding that is not suppressed stays: the fix
/// changes its setting all the same.
pub(crate) fn apply(source: &str, template: &Template<'_>, plan: &mut Plan<'_>) {
    let suppressed: Vec<bool> = plan
        .findings
        .iter()
        .map(|finding| is_suppressed(source, template, finding))
        .collect();
    if !suppressed.contains(&true) {
        return;
    }
    let mut fix_needed = vec![None::<bool>; plan.fixes.len()];
    for (finding, &quiet) in plan.findings.iter().zip(&suppressed) {
        if let Some(fix) = finding.fix {
            let needed = fix_needed[fix].get_or_insert(false);
            *needed |= !quiet;
        }
    }
    // A fix no finding points at is left alone.
    let keep_fix: Vec<bool> = fix_needed.iter().map(|n| n.unwrap_or(true)).collect();
    let keep_finding: Vec<bool> = plan
        .findings
        .iter()
        .zip(&suppressed)
        .map(|(finding, &quiet)| !quiet || finding.fix.is_some_and(|fix| keep_fix[fix]))
        .collect();
    let mut refusal_needed = vec![None::<bool>; plan.refusals.len()];
    for (finding, &keep) in plan.findings.iter().zip(&keep_finding) {
        if let Some(refusal) = finding.refusal {
            let needed = refusal_needed[refusal].get_or_insert(false);
            *needed |= keep;
        }
    }
    let keep_refusal: Vec<bool> = refusal_needed.iter().map(|n| n.unwrap_or(true)).collect();
    let new_index = |keep: &[bool]| {
        let mut next = 0;
        keep.iter()
            .map(|&kept| {
                let index = next;
                next += usize::from(kept);
                kept.then_some(index)
            })
            .collect::<Vec<_>>()
    };
    let (fix_index, refusal_index) = (new_index(&keep_fix), new_index(&keep_refusal));
    let findings = std::mem::take(&mut plan.findings);
    plan.findings = findings
        .into_iter()
        .zip(keep_finding)
        .filter(|(_, keep)| *keep)
        .map(|(mut finding, _)| {
            finding.fix = finding.fix.and_then(|fix| fix_index[fix]);
            finding.refusal = finding.refusal.and_then(|refusal| refusal_index[refusal]);
            finding
        })
        .collect();
    // The holders run alongside the fixes' changes.
    let mut holders = std::mem::take(&mut plan.holders).into_iter();
    let fixes = std::mem::take(&mut plan.fixes);
    for (fix, keep) in fixes.into_iter().zip(&keep_fix) {
        let own: Vec<_> = holders.by_ref().take(fix.changes.len()).collect();
        if *keep {
            plan.holders.extend(own);
            plan.fixes.push(fix);
        }
    }
    let refusals = std::mem::take(&mut plan.refusals);
    plan.refusals = refusals
        .into_iter()
        .zip(&keep_refusal)
        .filter(|(_, keep)| **keep)
        .map(|(refusal, _)| refusal)
        .collect();
}

/// The offset of a `# samfix:` comment an edit would delete, if one would.
fn deleted_comment(source: &str, edits: &[Edit]) -> Option<usize> {
    edits.iter().find_map(|edit| {
        let deleted = &source[edit.range.clone()];
        deleted.match_indices('#').find_map(|(at, _)| {
            let comment = deleted[at..].lines().next().unwrap_or_default().trim_end();
            let ours = comment[1..].trim_start().starts_with("samfix:");
            (ours && !edit.content.contains(comment)).then_some(edit.range.start + at)
        })
    })
}

/// A fix that `# samfix:` comments or duplicate keys keep from being made: its rule and
/// APIs.
pub(crate) type Kept = (Rule, Vec<String>);

/// Why a set of edits can't be made, if it can't: it deletes a `# samfix:` comment, or
/// touches an entry whose key is written twice.
fn blocked(source: &str, edits: &[Edit], duplicates: &[Duplicate]) -> Option<Reason> {
    let line = |offset: usize| source[..offset].matches('\n').count() + 1;
    if let Some(at) = deleted_comment(source, edits) {
        return Some(Reason::DeletesSamfixComment { line: line(at) });
    }
    let touches = |edit: &Edit, range: &std::ops::Range<usize>| {
        if edit.range.is_empty() {
            range.start < edit.range.start && edit.range.start < range.end
        } else {
            edit.range.start < range.end && range.start < edit.range.end
        }
    };
    duplicates.iter().find_map(|duplicate| {
        edits
            .iter()
            .any(|edit| touches(edit, &duplicate.first) || touches(edit, &duplicate.second))
            .then(|| Reason::TouchesDuplicateKey {
                key: duplicate.key.clone(),
                line: line(duplicate.second.start),
            })
    })
}

/// Renders `plan`; a fix whose edits [`blocked`] refuses is turned into a refusal that
/// says why, and the rest rendered again. Returns the rendering and the fixes refused this
/// way, which [`drop_kept`] takes out of the second run's plan.
pub(crate) fn render_keeping_comments(
    source: &str,
    root: Node<'_>,
    duplicates: &[Duplicate],
    plan: &mut Plan<'_>,
) -> Result<(crate::edits::Rendered, Vec<Kept>), String> {
    let mut kept = Vec::new();
    loop {
        let rendered = crate::edits::render(source, root, plan)?;
        if blocked(source, &rendered.edits, duplicates).is_none() {
            return Ok((rendered, kept));
        }
        // Which fix: each rendered alone.
        let mut first_change = 0;
        let mut culprit = None;
        for (index, fix) in plan.fixes.iter().enumerate() {
            let changes = first_change..first_change + fix.changes.len();
            first_change = changes.end;
            let alone = Plan {
                findings: Vec::new(),
                fixes: vec![fix.clone()],
                refusals: Vec::new(),
                warnings: Vec::new(),
                holders: plan.holders[changes].to_vec(),
            };
            let reason = crate::edits::render(source, root, &alone)
                .ok()
                .and_then(|alone| blocked(source, &alone.edits, duplicates));
            if let Some(reason) = reason {
                culprit = Some((index, reason));
                break;
            }
        }
        let Some((index, reason)) = culprit else {
            return Err(
                "the fixes together would delete a `# samfix:` comment or edit a key written twice"
                    .into(),
            );
        };
        kept.push(refuse(plan, index, reason));
    }
}

/// Turns fix `index` of `plan` into a refusal, for `reason`.
fn refuse(plan: &mut Plan<'_>, index: usize, reason: Reason) -> Kept {
    let before: usize = plan.fixes[..index]
        .iter()
        .map(|fix| fix.changes.len())
        .sum();
    let fix = plan.fixes.remove(index);
    plan.holders.drain(before..before + fix.changes.len());
    let refusal = plan.refusals.len();
    let mut span = None;
    for finding in &mut plan.findings {
        match finding.fix {
            Some(i) if i == index => {
                finding.fix = None;
                finding.refusal = Some(refusal);
                span.get_or_insert(finding.span.clone());
            }
            Some(i) if i > index => finding.fix = Some(i - 1),
            _ => {}
        }
    }
    plan.refusals.push(Refusal {
        rule: fix.rule,
        written_in: fix.written_in.clone(),
        apis: fix.apis.clone(),
        span: span.unwrap_or(0..0),
        reason,
    });
    (fix.rule, fix.apis)
}

/// Takes the fixes `kept` names out of a second run's plan: their comments are still
/// there, so the rules plan them again, and they are refused, not pending.
pub(crate) fn drop_kept(plan: &mut Plan<'_>, kept: &[Kept]) {
    while let Some(index) = plan.fixes.iter().position(|fix| {
        kept.iter()
            .any(|(rule, apis)| *rule == fix.rule && *apis == fix.apis)
    }) {
        refuse(plan, index, Reason::DeletesSamfixComment { line: 0 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_name_rules_or_all_of_them() {
        let rule = "api-key-on-preflight";
        assert!(line_ignores(
            "  ApiKeyRequired: true # samfix: ignore",
            rule
        ));
        assert!(line_ignores(
            "  Key: true  #samfix: ignore[authorizer-on-preflight, api-key-on-preflight]",
            rule
        ));
        assert!(!line_ignores(
            "  Key: true # samfix: ignore[authorizer-on-preflight]",
            rule
        ));
        assert!(!line_ignores("  Key: 'a#samfix: ignore'", rule));
        assert!(!line_ignores("  Key: true # samfix: ignored", rule));
        assert!(!line_ignores("  Key: true", rule));
    }
}
