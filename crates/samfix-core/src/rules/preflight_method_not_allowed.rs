//! `preflight-method-not-allowed`: an API whose `Cors.AllowMethods` is a literal that leaves
//! out a method its routes use. SAM writes a given `AllowMethods` as it is on every path's
//! preflight answer, so a browser's `PUT`, `DELETE` or `PATCH` (anything but the
//! CORS-safelisted `GET`, `HEAD` and `POST`) stops at the preflight.

use std::collections::BTreeSet;

use super::{Context, Output, Rule, RuleSpec};
use crate::change::{Change, Value};
use crate::cors::Setting;
use crate::diagnostic::{Finding, Fix, FixReason, Reason, Refusal, Strategy};
use crate::facts::ApiFacts;
use crate::model::{is_intrinsic, Api, Template};
use crate::parse::{display_path, Map, Node, Reads, Resolved, ResourceReads, Seg};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "preflight-method-not-allowed",
    name: "PreflightMethodNotAllowed",
    summary: "An API's CORS preflight does not allow a method its routes use",
    description: "An API whose `Cors.AllowMethods` (its own or `Globals.Api`'s) is a quoted literal that does not list a method its routes use and that browsers preflight: `PUT`, `DELETE`, `PATCH` (an `ANY` route uses all three). SAM writes a given `AllowMethods` unchanged on the preflight answer of every path, so the browser stops after the preflight. `GET`, `HEAD` and `POST` never need to be listed.",
    fix: "appends the missing methods to the `AllowMethods` literal, in its own separator",
    page: include_str!("../../docs/rules/preflight-method-not-allowed.md"),
    reads: Reads {
        attributes: &[],
        sections: &[],
        resources: &[ResourceReads {
            kind: "AWS::Serverless::Api",
            properties: &["MergeDefinitions"],
            edited: false,
        }],
    },
    check,
};

/// The methods a browser sends without a preflight (Fetch spec): never needed in the list.
const SAFELISTED: [&str; 3] = ["GET", "HEAD", "POST"];

/// What an `ANY` route needs beyond the safelisted methods (SAM's `ANY` is `GET`, `HEAD`,
/// `POST`, `PUT`, `DELETE` and `PATCH`).
const ANY_NEEDS: [&str; 3] = ["PUT", "DELETE", "PATCH"];

/// The methods an `Access-Control-Allow-Methods` list may name, and `*`.
const METHOD_NAMES: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "*",
];

/// The body's method keys: OpenAPI's and API Gateway's `ANY`.
const BODY_METHODS: [&str; 9] = [
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "x-amazon-apigateway-any-method",
];

/// One `AllowMethods` value and the APIs that read it.
struct Group<'a, 't> {
    setting: Setting<'t>,
    /// The literal as written.
    text: String,
    /// Its items, as a browser reads them.
    items: Vec<String>,
    /// Whether its quotes leave one list of items (not `'a', 'b'`, nor a quote inside).
    well_formed: bool,
    members: Vec<(&'a Api<'t>, &'a ApiFacts<'t>)>,
}

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let template = context.template;
    let mut groups: Vec<Group<'_, 't>> = Vec::new();
    for (api, facts, cors) in context.cors_apis() {
        let Some(setting) = cors
            .cors
            .as_ref()
            .filter(|cors| cors.is_map)
            .and_then(|cors| cors.allow_methods.as_ref())
        else {
            continue;
        };
        if let Some(group) = groups.iter_mut().find(|g| g.setting.path == setting.path) {
            group.members.push((api, facts));
            continue;
        }
        if is_intrinsic(setting.node) {
            continue;
        }
        let Some(text) = plain_text(setting.node) else {
            continue;
        };
        // Only a quoted literal is judged here: anything else is not a mapping expression,
        // and a list quoted item by item is one literal that lists nothing, both
        // `invalid-mapping-expression`'s to make whole.
        let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) else {
            continue;
        };
        if quoted_item_by_item(inner) {
            continue;
        }
        groups.push(Group {
            setting: setting.clone(),
            text: text.to_string(),
            items: inner
                .split(',')
                .map(|item| item.trim().to_string())
                .filter(|item| !item.is_empty())
                .collect(),
            well_formed: !inner.contains('\''),
            members: vec![(api, facts)],
        });
    }
    let mut output = Output::default();
    for group in &groups {
        settle(template, rule, group, &mut output);
    }
    output
}

/// The findings of one `AllowMethods` value, and its fix or refusal.
fn settle<'t>(template: &Template<'t>, rule: Rule, group: &Group<'_, 't>, output: &mut Output<'t>) {
    if group.items.iter().any(|item| item == "*") {
        return;
    }
    let allowed: BTreeSet<String> = group.items.iter().map(|i| i.to_ascii_uppercase()).collect();
    let name = shown_path(&group.setting.path);
    let mut findings = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut unknown: Option<(&str, String)> = None;
    for &(api, facts) in &group.members {
        let needs = match needs_of(template, api, facts) {
            Ok(needs) => needs,
            Err(why) => {
                unknown.get_or_insert((api.id.as_str(), why));
                continue;
            }
        };
        let lacking: Vec<String> = ordered(
            needs
                .into_iter()
                .filter(|method| !allowed.contains(method))
                .collect(),
        );
        if lacking.is_empty() {
            continue;
        }
        for method in &lacking {
            if !missing.contains(method) {
                missing.push(method.clone());
            }
        }
        findings.push(Finding {
            rule,
            api: api.id.clone(),
            message: format!(
                "`{}`'s CORS preflight does not allow {}, which its routes use: browsers block those calls",
                api.id,
                listed_code(&lacking)
            ),
            label: "lacks methods the routes use",
            span: group.setting.key_span.clone(),
            setting_kind: "cors",
            setting: name.clone(),
            written_in: group.setting.written_in.clone(),
            preflight: facts
                .preflight
                .clone()
                .unwrap_or_else(|| format!("`Cors` reaches `{}`", api.id)),
            events: template.event_labels(&api.id),
            fix: None,
            refusal: None,
        });
    }
    if findings.is_empty() {
        return;
    }
    let missing = ordered(missing);
    let root = template.root;
    let setting = &group.setting;
    let refuse = |kind: &'static str, message: String| Err(Reason::Rule { kind, message });
    let outcome = if let Some((api, why)) = unknown {
        refuse(
            "routes-unknown",
            format!(
                "`{api}` also reads `{name}`, and samfix can't tell which methods its routes use ({why}): add {} and any method `{api}`'s routes use by hand",
                listed_code(&missing)
            ),
        )
    } else if !group.well_formed {
        refuse(
            "allow-methods-not-a-list",
            format!(
                "`{name}` has quotes inside that samfix can't read as a list of methods: write one literal `'GET,POST,...'` with every method the routes use"
            ),
        )
    } else if let Some(item) = group
        .items
        .iter()
        .find(|item| !METHOD_NAMES.iter().any(|m| m.eq_ignore_ascii_case(item)))
    {
        refuse(
            "not-methods",
            format!(
                "`{item}` in `{name}` is not an HTTP method: which methods are meant is for a person to say (the routes use {})",
                listed_code(&missing)
            ),
        )
    } else if setting.shared
        || root.shared_on_path(&setting.path).is_some()
        || root.at(&setting.path) != Some(setting.node)
    {
        refuse(
            "shared-yaml",
            format!(
                "`{name}` is shared through a YAML anchor, alias or merge key; editing it would change every place that shares it: add {} where it is written",
                listed_code(&missing)
            ),
        )
    } else {
        Ok(Change::Replace {
            path: setting.path.clone(),
            value: Value::str(extended(&group.text, &missing)),
        })
    };
    let apis: Vec<String> = group
        .members
        .iter()
        .map(|(api, _)| api.id.clone())
        .collect();
    match outcome {
        Ok(change) => {
            output.fixes.push(Fix {
                rule,
                written_in: setting.written_in.clone(),
                apis,
                strategy: Strategy::Auto,
                why: FixReason::Rule {
                    kind: "methods-added",
                    message: format!("adds {} to `AllowMethods`", listed_code(&missing)),
                },
                changes: vec![change],
            });
            output.holders.push(None);
            let index = output.fixes.len() - 1;
            for finding in &mut findings {
                finding.fix = Some(index);
            }
        }
        Err(reason) => {
            output.refusals.push(Refusal {
                rule,
                written_in: setting.written_in.clone(),
                apis,
                span: setting.key_span.clone(),
                reason,
            });
            let index = output.refusals.len() - 1;
            for finding in &mut findings {
                finding.refusal = Some(index);
            }
        }
    }
    output.findings.extend(findings);
}

/// The methods (upper case) that the routes of `api` use, that browsers preflight and that
/// SAM's `Cors` answers the preflight of; or why samfix can't tell. A path with its own
/// OPTIONS (an event, or an `options` operation in the body) is answered by that, not by
/// `Cors`. The routes are the API's events, and its inline `DefinitionBody`'s operations:
/// SAM adds the events to a body of the template's own only with `MergeDefinitions`.
fn needs_of<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    facts: &ApiFacts,
) -> Result<BTreeSet<String>, String> {
    // Each route's path and method, as written: a large template has a route per event.
    let mut routes: Vec<(&'t str, &'t str)> = Vec::new();
    let mut options: BTreeSet<&'t str> = BTreeSet::new();
    let merge = api.node.and_then(|p| p.get("MergeDefinitions"));
    if merge.is_some_and(is_intrinsic) {
        return Err("its `MergeDefinitions` is an intrinsic function".into());
    }
    let events_reach_body =
        facts.own_body.is_none() || merge.is_some_and(|merge| merge.is_truthy());
    for event in template.events_of(&api.id).filter(|_| events_reach_body) {
        let not_plain = |key: &str| {
            format!(
                "the `{key}` of event `{}` is not a plain string",
                event.label()
            )
        };
        let method = event
            .properties
            .value()
            .get("Method")
            .and_then(plain_text)
            .ok_or_else(|| not_plain("Method"))?;
        let path = event
            .properties
            .value()
            .get("Path")
            .and_then(plain_text)
            .ok_or_else(|| not_plain("Path"))?;
        if method.eq_ignore_ascii_case("options") {
            options.insert(path);
        } else {
            routes.push((path, method));
        }
    }
    match facts.own_body {
        Some("DefinitionBody") => {
            let body = api
                .node
                .and_then(|p| p.get("DefinitionBody"))
                .ok_or("its `DefinitionBody` can't be read")?;
            body_routes(body, &mut routes, &mut options)?;
        }
        Some(other) => return Err(format!("its body comes from `{other}`")),
        None => {}
    }
    let mut needs = BTreeSet::new();
    for (path, method) in routes {
        let is = |name: &str| method.eq_ignore_ascii_case(name);
        let methods: Vec<String> = if is("ANY") || is("X-AMAZON-APIGATEWAY-ANY-METHOD") {
            ANY_NEEDS.map(String::from).to_vec()
        } else if SAFELISTED.iter().any(|safe| is(safe)) {
            continue;
        } else {
            vec![method.to_ascii_uppercase()]
        };
        if options.contains(path) {
            continue;
        }
        if options.contains(sibling(path).as_str()) {
            return Err(format!(
                "`{path}` has no OPTIONS but `{}` has one, and which answers the preflight depends on their order",
                sibling(path)
            ));
        }
        needs.extend(methods);
    }
    Ok(needs)
}

/// The routes and the paths with their own `options` of an inline `DefinitionBody`.
fn body_routes<'t>(
    body: Node<'t>,
    routes: &mut Vec<(&'t str, &'t str)>,
    options: &mut BTreeSet<&'t str>,
) -> Result<(), String> {
    if is_intrinsic(body) || body.resolved().as_map().is_none() {
        return Err("its `DefinitionBody` is not a mapping samfix can read".into());
    }
    let Some(paths) = body.get("paths") else {
        return Ok(());
    };
    if is_intrinsic(paths) {
        return Err("the `paths` of its `DefinitionBody` are an intrinsic function".into());
    }
    let paths = paths
        .resolved()
        .as_map()
        .ok_or("the `paths` of its `DefinitionBody` are not a mapping")?;
    for entry in paths.iter() {
        let path = entry.key();
        let variants = path_item_variants(entry.value())
            .ok_or_else(|| format!("the path `{path}` of its `DefinitionBody` can't be read"))?;
        let conditional = is_intrinsic(entry.value());
        for item in variants {
            for key in item.keys() {
                let lower = key.to_ascii_lowercase();
                if !BODY_METHODS.contains(&lower.as_str()) {
                    continue;
                }
                if key != lower {
                    return Err(format!("`{path}` writes the method `{key}` in capitals"));
                }
                if lower == "options" {
                    if conditional {
                        return Err(format!(
                            "`{path}` of its `DefinitionBody` has an `options` under `Fn::If`"
                        ));
                    }
                    options.insert(path);
                } else {
                    routes.push((path, key));
                }
            }
        }
    }
    Ok(())
}

/// The path items a `paths` entry stands for: itself, or the branches of an `Fn::If` (an
/// `AWS::NoValue` branch stands for none); `None` when it is something else.
fn path_item_variants(item: Node<'_>) -> Option<Vec<Map<'_>>> {
    fn as_item(node: Node<'_>) -> Option<Map<'_>> {
        let map = node.resolved().as_map()?;
        (!is_intrinsic(node) && map.get("$ref").is_none()).then_some(map)
    }
    if !is_intrinsic(item) {
        return as_item(item).map(|map| vec![map]);
    }
    let resolved = item.resolved();
    let branches = match resolved.tag() {
        Some("!If") => resolved,
        Some(_) => return None,
        None => resolved.get("Fn::If")?,
    };
    let branches = branches.resolved().as_seq().filter(|seq| seq.len() == 3)?;
    let mut variants = Vec::new();
    for branch in branches.items().skip(1) {
        let branch = branch.resolved();
        let reference = match branch.tag() {
            Some("!Ref") => branch.as_scalar().map(|scalar| scalar.value),
            Some(_) => None,
            None => branch.get("Ref").and_then(Node::as_str),
        };
        if reference == Some("AWS::NoValue") {
            continue;
        }
        variants.push(as_item(branch)?);
    }
    Some(variants)
}

/// `/p` for `/p/` and the other way round: API Gateway treats them as one resource.
fn sibling(path: &str) -> String {
    match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped.to_string(),
        _ => format!("{path}/"),
    }
}

/// The literal `text` with `missing` appended in its own separator (`,` or `, `).
fn extended(text: &str, missing: &[String]) -> String {
    let inner = &text[1..text.len() - 1];
    let separator = if inner.contains(", ") { ", " } else { "," };
    let kept = inner.trim_end().trim_end_matches(',').trim_end();
    if kept.trim().is_empty() {
        format!("'{}'", missing.join(separator))
    } else {
        format!("'{kept}{separator}{}'", missing.join(separator))
    }
}

/// `PUT`, `DELETE`, `PATCH` first, then any other method alphabetically.
fn ordered(mut methods: Vec<String>) -> Vec<String> {
    let rank = |method: &str| {
        ANY_NEEDS
            .iter()
            .position(|known| *known == method)
            .unwrap_or(ANY_NEEDS.len())
    };
    methods.sort_by(|a, b| (rank(a), a).cmp(&(rank(b), b)));
    methods.dedup();
    methods
}

/// `a', 'b` (the inside of `'a', 'b'`): several items, each quoted.
fn quoted_item_by_item(inner: &str) -> bool {
    let whole = format!("'{inner}'");
    inner.contains('\'')
        && whole.split(',').all(|part| {
            let part = part.trim();
            part.len() >= 2
                && part.starts_with('\'')
                && part.ends_with('\'')
                && !part[1..part.len() - 1].contains('\'')
        })
}

/// The text of an untagged scalar that loads as a string.
fn plain_text(node: Node<'_>) -> Option<&str> {
    let node = node.resolved();
    if node.tag().is_some() {
        return None;
    }
    match node.as_scalar()?.resolve() {
        Resolved::Str(text) => Some(text),
        _ => None,
    }
}

/// A path as the findings show it: from the resource's logical id, `MyApi.Properties.Cors`.
fn shown_path(path: &[Seg]) -> String {
    let shown = display_path(path);
    match shown.strip_prefix("Resources.") {
        Some(rest) => rest.to_string(),
        None => shown,
    }
}

/// `` `A`, `B` ``.
fn listed_code(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_appended_in_the_list_s_own_separator() {
        let missing = ["PUT".to_string(), "PATCH".to_string()];
        for (text, expected) in [
            ("'GET,POST'", "'GET,POST,PUT,PATCH'"),
            ("'GET, POST, OPTIONS'", "'GET, POST, OPTIONS, PUT, PATCH'"),
            ("'GET,'", "'GET,PUT,PATCH'"),
            ("''", "'PUT,PATCH'"),
            ("'GET'", "'GET,PUT,PATCH'"),
        ] {
            assert_eq!(extended(text, &missing), expected, "{text}");
        }
    }

    #[test]
    fn methods_are_added_put_delete_patch_first() {
        let methods = ["TRACE", "PATCH", "PUT", "DELETE", "PUT"]
            .map(String::from)
            .to_vec();
        assert_eq!(ordered(methods), ["PUT", "DELETE", "PATCH", "TRACE"]);
    }

    #[test]
    fn paths_with_and_without_a_slash_are_siblings() {
        assert_eq!(sibling("/p"), "/p/");
        assert_eq!(sibling("/p/"), "/p");
        assert_eq!(sibling("/"), "//");
    }
}
