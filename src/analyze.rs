//! The rules: an API-level setting that SAM also puts on the CORS preflight, which a
//! browser sends without credentials.

use std::collections::{HashMap, HashSet};

use crate::model::{child, is_intrinsic, Api, Target, Template, IMPLICIT_API};
use crate::parse::{Node, Path, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Rule {
    /// `Auth.ApiKeyRequired` reaches the preflight: 403 without `x-api-key`.
    #[value(name = "api-key-on-preflight")]
    ApiKeyOnPreflight,
    /// `Auth.DefaultAuthorizer` reaches the preflight: 401/403 without `Authorization`.
    #[value(name = "authorizer-on-preflight")]
    AuthorizerOnPreflight,
}

impl Rule {
    pub const ALL: [Rule; 2] = [Rule::ApiKeyOnPreflight, Rule::AuthorizerOnPreflight];

    pub fn id(self) -> &'static str {
        match self {
            Rule::ApiKeyOnPreflight => "api-key-on-preflight",
            Rule::AuthorizerOnPreflight => "authorizer-on-preflight",
        }
    }

    /// The `Auth` key that causes it.
    pub fn setting(self) -> &'static str {
        match self {
            Rule::ApiKeyOnPreflight => "ApiKeyRequired",
            Rule::AuthorizerOnPreflight => "DefaultAuthorizer",
        }
    }

    /// The `Auth` key that keeps that setting off the preflight.
    pub fn preflight_flag(self) -> &'static str {
        match self {
            Rule::ApiKeyOnPreflight => "AddApiKeyRequiredToCorsPreflight",
            Rule::AuthorizerOnPreflight => "AddDefaultAuthorizerToCorsPreflight",
        }
    }
}

/// Where an API's effective `ApiKeyRequired` is written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeySource {
    Globals,
    Api(String),
}

impl KeySource {
    pub fn describe(&self) -> String {
        match self {
            KeySource::Globals => "Globals.Api.Auth".to_string(),
            KeySource::Api(id) => format!("{id}.Properties.Auth"),
        }
    }
}

/// A setting in an `Auth` map, as an API sees it after Globals are merged in.
#[derive(Debug, Clone)]
pub struct AuthSetting<'t> {
    pub source: KeySource,
    /// Path of the `Auth` map that holds it.
    pub auth: Path,
    pub key_span: Span,
    pub value: Node<'t>,
    /// Reached through an alias or a `<<` merge key: readable, not editable.
    pub indirect: bool,
}

/// What decides whether an API's preflight requires the key or the authorizer.
pub struct ApiSettings<'t> {
    pub api_key: Option<AuthSetting<'t>>,
    pub preflight_flag: Option<AuthSetting<'t>>,
    pub authorizer_flag: Option<AuthSetting<'t>>,
    /// Why the API has a CORS preflight, if it has one.
    pub preflight: Option<String>,
    /// `DefinitionBody` or `DefinitionUri`: the API brings its own body, which events don't reach.
    pub own_body: Option<&'static str>,
    /// `Globals.Api.Auth` requires the key and reaches this API wherever its own `Auth`
    /// does not say otherwise.
    pub inherits_global_key: bool,
    /// The effective `DefaultAuthorizer`, if any.
    pub default_authorizer: Option<AuthSetting<'t>>,
    /// The `DefinitionBody`'s document-wide `security`, if it sets one: an operation without
    /// its own `security` falls back to it.
    pub body_wide_security: Option<Node<'t>>,
}

impl<'t> ApiSettings<'t> {
    /// The setting a rule is about, and the flag that keeps it off the preflight.
    pub fn for_rule(&self, rule: Rule) -> (Option<&AuthSetting<'t>>, Option<&AuthSetting<'t>>) {
        match rule {
            Rule::ApiKeyOnPreflight => (self.api_key.as_ref(), self.preflight_flag.as_ref()),
            Rule::AuthorizerOnPreflight => (
                self.default_authorizer.as_ref(),
                self.authorizer_flag.as_ref(),
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding<'t> {
    pub rule: Rule,
    pub api: String,
    /// The setting that reaches the preflight (`ApiKeyRequired` or `DefaultAuthorizer`).
    pub key: AuthSetting<'t>,
    pub preflight: String,
    /// The `Type: Api` events of the API, as `Owner.Event`.
    pub events: Vec<String>,
    pub own_body: Option<&'static str>,
}

/// Something in the template samfix can't read with certainty; shown as a warning.
#[derive(Debug, Clone)]
pub struct Note {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// An event whose API can't be known: it may belong to an API whose key moves.
    pub blocks_moving_keys: bool,
}

pub struct Analysis<'t> {
    pub findings: Vec<Finding<'t>>,
    pub notes: Vec<Note>,
}

pub fn analyze<'t>(template: &Template<'t>, rules: &[Rule]) -> Analysis<'t> {
    let mut notes = unresolved_targets(template);
    let mut findings = Vec::new();
    for api in &template.apis {
        let settings = settings(template, api, &mut notes);
        let Some(preflight) = &settings.preflight else {
            continue;
        };
        if let Some(security) = settings.body_wide_security {
            notes.push(Note {
                span: security.span(),
                message: format!(
                    "the `DefinitionBody` of `{}` sets a document-wide `security`, which its OPTIONS operations inherit unless they set their own: browsers' preflight requests will be refused",
                    api.id
                ),
                help: Some("give each `options` operation `security: []`, or set `security` per operation instead".into()),
                blocks_moving_keys: false,
            });
        }
        for &rule in rules {
            let (Some(key), flag) = settings.for_rule(rule) else {
                continue;
            };
            // A flag that loads as false (or null) keeps the setting off the preflight.
            if !key.value.is_truthy() || flag.is_some_and(|flag| !flag.value.is_truthy()) {
                continue;
            }
            findings.push(Finding {
                rule,
                api: api.id.clone(),
                key: key.clone(),
                preflight: preflight.clone(),
                events: template
                    .events_of(&api.id)
                    .map(|event| event.label())
                    .collect(),
                own_body: settings.own_body,
            });
        }
    }
    Analysis { findings, notes }
}

/// The API's effective settings, Globals merged in as SAM merges them.
pub fn settings<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    notes: &mut Vec<Note>,
) -> ApiSettings<'t> {
    let globals = template.globals_api();
    let ignores = |section: &str| {
        api.node
            .and_then(|p| p.get("IgnoreGlobals"))
            .is_some_and(|ignore| ignores_global(ignore, section))
    };
    let global_auth = globals
        .filter(|_| !ignores("Auth"))
        .and_then(|g| g.get("Auth"));
    let own_auth = api.node.and_then(|p| p.get("Auth"));
    let globals_auth_path = vec![
        crate::parse::Seg::Key("Globals".into()),
        crate::parse::Seg::Key("Api".into()),
        crate::parse::Seg::Key("Auth".into()),
    ];

    let mut auth_maps: Vec<(Node, KeySource, Path)> = Vec::new();
    match own_auth {
        Some(auth) if is_intrinsic(auth) => {
            notes.push(Note {
                span: auth.span(),
                message: format!("`Auth` of `{}` is an intrinsic function; samfix can't tell whether it requires an API key", api.id),
                help: Some("check this API's preflight by hand".into()),
                blocks_moving_keys: false,
            });
        }
        Some(auth) => {
            let path = child(
                api.properties
                    .as_ref()
                    .expect("explicit APIs have a properties path"),
                "Auth",
            );
            auth_maps.push((auth, KeySource::Api(api.id.clone()), path));
        }
        None => {}
    }
    // An intrinsic Auth on the resource replaces the global one wholesale.
    if !own_auth.is_some_and(is_intrinsic) {
        match global_auth {
            Some(auth) if is_intrinsic(auth) => notes.push(Note {
                span: auth.span(),
                message: "`Globals.Api.Auth` is an intrinsic function; samfix can't tell whether it requires an API key".into(),
                help: Some("check the preflight of every API by hand".into()),
                blocks_moving_keys: false,
            }),
            Some(auth) => auth_maps.push((auth, KeySource::Globals, globals_auth_path)),
            None => {}
        }
    }
    let setting = |key: &str| {
        auth_maps.iter().find_map(|(auth, source, path)| {
            let (entry, indirect) = auth.lookup(key)?;
            Some(AuthSetting {
                source: source.clone(),
                auth: path.clone(),
                key_span: entry.key_span(),
                value: entry.value(),
                indirect: indirect || auth.is_alias(),
            })
        })
    };

    let own_cors = api
        .node
        .and_then(|p| p.get("Cors"))
        .filter(|c| !c.is_null());
    let global_cors = globals
        .filter(|_| !ignores("Cors"))
        .and_then(|g| g.get("Cors"))
        .filter(|c| !c.is_null());
    let options_event = template.events_of(&api.id).find(|event| event.is_options());
    let body = api.node.and_then(|p| p.get("DefinitionBody"));
    let preflight = if own_cors.is_some() {
        Some(format!("`{}` sets `Cors`", api.id))
    } else if global_cors.is_some() {
        Some("`Globals.Api` sets `Cors`".to_string())
    } else if let Some(event) = options_event {
        Some(format!("event `{}` is an OPTIONS method", event.label()))
    } else {
        body.and_then(options_path_in_body)
            .map(|path| format!("its `DefinitionBody` defines OPTIONS on `{path}`"))
    };
    let own_body = if body.is_some() {
        Some("DefinitionBody")
    } else if api.node.and_then(|p| p.get("DefinitionUri")).is_some() {
        Some("DefinitionUri")
    } else {
        None
    };
    let inherits_global_key = !own_auth.is_some_and(is_intrinsic)
        && global_auth.is_some_and(|auth| {
            !is_intrinsic(auth) && auth.get("ApiKeyRequired").is_some_and(Node::is_truthy)
        });
    let body_wide_security = body
        .and_then(|b| b.get("security"))
        .filter(|security| security.is_truthy());
    ApiSettings {
        default_authorizer: setting("DefaultAuthorizer"),
        authorizer_flag: setting("AddDefaultAuthorizerToCorsPreflight"),
        body_wide_security,
        inherits_global_key,
        api_key: setting("ApiKeyRequired"),
        preflight_flag: setting("AddApiKeyRequiredToCorsPreflight"),
        preflight,
        own_body,
    }
}

/// `IgnoreGlobals: "*"` or a list naming the section.
fn ignores_global(ignore: Node<'_>, section: &str) -> bool {
    match ignore.resolved().as_seq() {
        Some(seq) => seq.items().any(|item| item.as_str() == Some(section)),
        None => ignore.as_str() == Some("*"),
    }
}

fn options_path_in_body(body: Node<'_>) -> Option<String> {
    let paths = body.get("paths")?.resolved().as_map()?;
    paths.iter().find_map(|item| {
        let methods = item.value().resolved().as_map()?;
        methods
            .keys()
            .any(|m| m.eq_ignore_ascii_case("options"))
            .then(|| item.key().to_string())
    })
}

fn unresolved_targets(template: &Template) -> Vec<Note> {
    let api_ids: Vec<&str> = template
        .apis
        .iter()
        .map(|api| api.id.as_str())
        .filter(|id| *id != IMPLICIT_API)
        .collect();
    // Sets and a memo: thousands of events may name the same (missing) API. The set holds
    // every resource and hears from every event, so it hashes with foldhash, as the tree does.
    let mut resource_ids = HashSet::with_capacity_and_hasher(
        template.resource_ids.len(),
        foldhash::fast::RandomState::default(),
    );
    resource_ids.extend(template.resource_ids.iter().copied());
    let mut suggestions: HashMap<&str, Option<String>> = HashMap::new();
    let mut notes = Vec::new();
    for event in &template.events {
        match &event.target {
            Target::Implicit => {}
            Target::Named { id, span } => {
                if resource_ids.contains(id) {
                    continue;
                }
                let help = suggestions
                    .entry(id)
                    .or_insert_with(|| {
                        closest(id, &api_ids).map(|best| format!("did you mean `{best}`?"))
                    })
                    .clone();
                notes.push(Note {
                    span: span.clone(),
                    message: format!(
                        "`RestApiId` of event `{}` refers to `{id}`, which is not a resource in this template",
                        event.label()
                    ),
                    help,
                    blocks_moving_keys: true,
                });
            }
            Target::Unresolvable { span } => notes.push(Note {
                span: span.clone(),
                message: format!(
                    "`RestApiId` of event `{}` is not a `!Ref` to an API in this template; SAM rejects it",
                    event.label()
                ),
                help: Some("write `RestApiId: !Ref <ApiLogicalId>`".into()),
                blocks_moving_keys: true,
            }),
        }
    }
    notes
}

/// The candidate nearest to `name`, if it is near enough to be a typo. Logical ids are at
/// most 255 characters; longer names get no suggestion, which keeps this cheap.
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    const LOGICAL_ID_MAX: usize = 255;
    if name.len() > LOGICAL_ID_MAX {
        return None;
    }
    candidates
        .iter()
        .filter(|candidate| {
            candidate.len() <= LOGICAL_ID_MAX
                && candidate.len().abs_diff(name.len()) <= (candidate.len() / 3).max(1)
        })
        .map(|candidate| {
            (
                edit_distance(&name.to_lowercase(), &candidate.to_lowercase()),
                *candidate,
            )
        })
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding_apis(source: &str) -> Vec<String> {
        let tree = crate::parse::parse(source).unwrap();
        let template = Template::read(tree.root()).unwrap();
        analyze(&template, &[Rule::ApiKeyOnPreflight])
            .findings
            .into_iter()
            .map(|f| f.api)
            .collect()
    }

    #[test]
    fn ignore_globals_opts_an_api_out_of_the_global_key() {
        let template = |ignore: &str| {
            format!(
                "Globals:\n  Api:\n    Cors: \"'*'\"\n    Auth:\n      ApiKeyRequired: true\nResources:\n  \
                 A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n      IgnoreGlobals: {ignore}\n  \
                 B:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n"
            )
        };
        assert_eq!(finding_apis(&template("'*'")), ["B"]);
        assert_eq!(finding_apis(&template("[Auth]")), ["B"]);
        assert_eq!(
            finding_apis(&template("[Cors]")),
            ["B"],
            "without the global Cors, A has no preflight"
        );
        assert_eq!(finding_apis(&template("[Tags]")), ["A", "B"]);
    }

    #[test]
    fn yaml_1_1_booleans_and_python_truthiness_decide() {
        let template = |key: &str, flag: &str| {
            format!(
                "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      Cors: x\n      \
                 Auth:\n        ApiKeyRequired: {key}\n        AddApiKeyRequiredToCorsPreflight: {flag}\n"
            )
        };
        for (key, flag, affected) in [
            ("true", "true", true),
            ("yes", "On", true),
            ("'false'", "~", false),
            ("'false'", "TRUE", true),
            ("!Ref Param", "Yes", true),
            ("FALSE", "true", false),
            ("no", "true", false),
            ("0", "true", false),
            ("~", "true", false),
            ("true", "off", false),
            ("true", "'off'", true),
        ] {
            let expected: &[&str] = if affected { &["A"] } else { &[] };
            assert_eq!(
                finding_apis(&template(key, flag)),
                expected,
                "ApiKeyRequired: {key}, flag: {flag}"
            );
        }
    }

    #[test]
    fn typo_suggestions_ignore_case_and_stay_close() {
        assert_eq!(
            closest("SampleAPI", &["SampleApi", "Other"]),
            Some("SampleApi")
        );
        assert_eq!(closest("Completely", &["SampleApi"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
