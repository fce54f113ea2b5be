//! What a browser meets on each REST API, as far as the template decides: the API's `Cors`
//! (merged with `Globals.Api` as SAM merges it), its `GatewayResponses`, and the requests
//! its routes take, with the headers each needs (SAM-FACTS.md, "CORS beyond auth"). Read
//! once per check, beside [`Facts`](crate::facts::Facts), by the CORS rules.

use crate::diagnostic::WrittenIn;
use crate::facts::ApiFacts;
use crate::model::{child, is_intrinsic, is_shared, Api, ApiEvent, Template};
use crate::parse::{Node, Path, Reads, ResourceReads, Seg, Span};

/// What the CORS rules read beyond [`crate::facts::READS`]: an API's `GatewayResponses`.
pub const READS: Reads = Reads {
    sections: &[],
    resources: &[ResourceReads {
        kind: "AWS::Serverless::Api",
        properties: &["GatewayResponses"],
        edited: true,
    }],
};

/// A value the template sets for an API, and where.
#[derive(Debug, Clone)]
pub struct Setting<'t> {
    /// In `Globals.Api` or on the API resource.
    pub written_in: WrittenIn,
    /// The value's path.
    pub path: Path,
    /// The value.
    pub node: Node<'t>,
    /// Where its key is written.
    pub key_span: Span,
    /// Whether it reaches the API through an anchor, alias or merge key, or sits inside a
    /// shared node: readable, but an edit there would change every place that shares it.
    pub shared: bool,
}

impl Setting<'_> {
    /// Its literal text, if it is a plain string (not an intrinsic, a map or a list).
    pub fn text(&self) -> Option<&str> {
        if is_intrinsic(self.node) {
            return None;
        }
        self.node.as_str()
    }
}

/// An API's effective `Cors`.
#[derive(Debug, Clone)]
pub struct Cors<'t> {
    /// `Cors` itself, as the API reads it (its own, else `Globals.Api`'s).
    pub setting: Setting<'t>,
    /// Whether `Cors` is a map of fields; otherwise it is the origin itself (a string or
    /// an intrinsic), or an intrinsic map that only CloudFormation knows.
    pub is_map: bool,
    /// `AllowOrigin`, or `Cors` itself when it is a string.
    pub allow_origin: Option<Setting<'t>>,
    /// `AllowHeaders`.
    pub allow_headers: Option<Setting<'t>>,
    /// `AllowMethods`.
    pub allow_methods: Option<Setting<'t>>,
    /// `AllowCredentials`.
    pub allow_credentials: Option<Setting<'t>>,
    /// `MaxAge`.
    pub max_age: Option<Setting<'t>>,
}

/// How API Gateway checks a call before the integration sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorizer {
    /// A Cognito user pool authorizer: the token comes in this header.
    Cognito {
        /// `Identity.Header`, `Authorization` by default.
        header: String,
    },
    /// A Lambda TOKEN authorizer: the token comes in this header.
    Token {
        /// `Identity.Header`, `Authorization` by default.
        header: String,
    },
    /// A Lambda REQUEST authorizer: these headers are its identity sources.
    Request {
        /// `Identity.Headers`.
        headers: Vec<String>,
    },
    /// `AWS_IAM`: a SigV4-signed request.
    Iam,
    /// An authorizer samfix can't read (an intrinsic, a name it can't find).
    Unknown,
}

/// One route of an API, as a browser calls it.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `Owner.Event` for a route from an event, `path method` for one from a body.
    pub label: String,
    /// The path, if written as a string.
    pub path: Option<String>,
    /// The method, lower case (`any` stands for all of them).
    pub method: String,
    /// Whether the call must carry `x-api-key`.
    pub api_key: bool,
    /// The authorizer API Gateway runs first, if any.
    pub authorizer: Option<Authorizer>,
}

/// The methods `any` stands for, as the browser view counts them.
pub const ANY_METHODS: [&str; 6] = ["get", "head", "post", "put", "delete", "patch"];

impl Operation {
    /// The methods a browser may call this route with.
    pub fn methods(&self) -> Vec<&str> {
        if self.method == "any" {
            ANY_METHODS.to_vec()
        } else {
            vec![self.method.as_str()]
        }
    }

    /// The request headers a browser's call of `method` on this route needs in the
    /// preflight's `Access-Control-Allow-Headers`, as the browser view assumes them: the
    /// key, the authorizer's identity headers, SigV4's headers, and `Content-Type` for a
    /// JSON body.
    pub fn needed_headers(&self, method: &str) -> Vec<String> {
        let mut headers = Vec::new();
        if matches!(method, "post" | "put" | "patch") {
            headers.push("Content-Type".to_string());
        }
        if self.api_key {
            headers.push("x-api-key".to_string());
        }
        match &self.authorizer {
            Some(Authorizer::Cognito { header } | Authorizer::Token { header }) => {
                headers.push(header.clone());
            }
            Some(Authorizer::Request { headers: identity }) => {
                headers.extend(identity.iter().cloned());
            }
            Some(Authorizer::Iam) => headers
                .extend(["Authorization", "X-Amz-Date", "X-Amz-Security-Token"].map(String::from)),
            Some(Authorizer::Unknown) | None => {}
        }
        headers
    }

    /// Whether API Gateway itself may refuse the call (a key, an authorizer, SigV4),
    /// answering with a gateway response instead of the integration's.
    pub fn gateway_may_reject(&self) -> bool {
        self.api_key || self.authorizer.is_some()
    }
}

/// What a browser meets on one API.
#[derive(Debug, Clone)]
pub struct ApiCors<'t> {
    /// Its effective `Cors`, if SAM's `Cors` reaches it.
    pub cors: Option<Cors<'t>>,
    /// Its `GatewayResponses`: its own and `Globals.Api`'s, which SAM merges.
    pub gateway_responses: Vec<Setting<'t>>,
    /// Whether its `Auth.UsagePlan` makes a usage plan (which throttles with 429).
    pub usage_plan: bool,
    /// Its routes, from its events (or from its `DefinitionBody`, when it brings one).
    pub operations: Vec<Operation>,
    /// Whether samfix could read every route: `false` when a body or an event's `Auth`
    /// is an intrinsic, or the body comes from a file.
    pub operations_known: bool,
}

impl<'t> ApiCors<'t> {
    /// Reads what a browser meets on `api`, whose facts are `facts`.
    pub fn read(template: &Template<'t>, api: &Api<'t>, facts: &ApiFacts<'t>) -> Self {
        let own = api.node;
        let globals = template.globals_api();
        let ignores = |section: &str| {
            own.and_then(|p| p.get("IgnoreGlobals"))
                .is_some_and(|ignore| ignores_global(ignore, section))
        };
        let own_path = api.properties.clone();
        let globals_path: Path = vec![Seg::Key("Globals".into()), Seg::Key("Api".into())];
        let own_setting = |key: &str| {
            let (node, path) = (own?, own_path.as_ref()?);
            setting_in(
                node,
                path,
                key,
                WrittenIn::Api(api.id.clone()),
                template.root,
            )
        };
        let global_setting = |key: &str| {
            if ignores(key) {
                return None;
            }
            setting_in(
                globals?,
                &globals_path,
                key,
                WrittenIn::Globals,
                template.root,
            )
        };
        let cors = read_cors(
            own_setting("Cors").filter(|s| !s.node.is_null()),
            global_setting("Cors").filter(|s| !s.node.is_null()),
            template.root,
        );
        let gateway_responses = [
            own_setting("GatewayResponses"),
            global_setting("GatewayResponses"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let auth_maps: Vec<Node> = [
            own.and_then(|p| p.get("Auth")),
            globals
                .filter(|_| !ignores("Auth"))
                .and_then(|g| g.get("Auth")),
        ]
        .into_iter()
        .flatten()
        .filter(|auth| !is_intrinsic(*auth))
        .collect();
        let usage_plan = auth_maps
            .iter()
            .find_map(|auth| auth.get("UsagePlan"))
            .and_then(|plan| plan.get("CreateUsagePlan"))
            .and_then(Node::as_str)
            .is_some_and(|create| create != "NONE");
        let authorizer_named = |name: &str| -> Authorizer {
            if name == "AWS_IAM" {
                return Authorizer::Iam;
            }
            auth_maps
                .iter()
                .find_map(|auth| auth.get("Authorizers")?.get(name))
                .map_or(Authorizer::Unknown, read_authorizer)
        };
        let default_authorizer = facts
            .default_authorizer
            .as_ref()
            .and_then(|setting| setting.value.as_str())
            .filter(|name| *name != "NONE")
            .map(authorizer_named);
        let api_key = facts
            .api_key
            .as_ref()
            .is_some_and(|setting| setting.value.is_truthy());
        let mut operations_known = facts.own_body.is_none();
        let mut operations = Vec::new();
        for event in template.events_of(&api.id) {
            match event_operation(event, api_key, &default_authorizer, &authorizer_named) {
                Some(operation) => operations.push(operation),
                None => operations_known = false,
            }
        }
        ApiCors {
            cors,
            gateway_responses,
            usage_plan,
            operations,
            operations_known,
        }
    }

    /// The gateway response of `kind` (`DEFAULT_4XX`, `UNAUTHORIZED`...) as SAM merges it:
    /// the value of its `ResponseParameters.Headers.<header>`, own before global.
    pub fn gateway_header(&self, kind: &str, header: &str) -> Option<Node<'t>> {
        self.gateway_responses.iter().find_map(|responses| {
            responses
                .node
                .get(kind)?
                .get("ResponseParameters")?
                .get("Headers")?
                .get(header)
        })
    }

    /// Whether a gateway response of `kind` is written at all.
    pub fn has_gateway_response(&self, kind: &str) -> bool {
        self.gateway_responses
            .iter()
            .any(|responses| responses.node.get(kind).is_some())
    }
}

/// The value under `key` in the map `node` at `path`, as a [`Setting`].
fn setting_in<'t>(
    node: Node<'t>,
    path: &Path,
    key: &str,
    written_in: WrittenIn,
    root: Node<'t>,
) -> Option<Setting<'t>> {
    let (entry, indirect) = node.lookup(key)?;
    let value_path = child(path, key);
    let shared = indirect
        || node.is_alias()
        || is_shared(entry.value())
        || root.shared_on_path(&value_path).is_some();
    Some(Setting {
        written_in,
        path: value_path,
        node: entry.value(),
        key_span: entry.key_span(),
        shared,
    })
}

/// The effective `Cors`: the resource's wins over `Globals.Api`'s, and two maps merge key
/// by key (the resource's keys first), as SAM's Globals merge them.
fn read_cors<'t>(
    own: Option<Setting<'t>>,
    global: Option<Setting<'t>>,
    root: Node<'t>,
) -> Option<Cors<'t>> {
    let is_map = |s: &Setting| !is_intrinsic(s.node) && s.node.resolved().as_map().is_some();
    let setting = own.clone().or_else(|| global.clone())?;
    if !is_map(&setting) {
        // A string (or an intrinsic that makes one) is the origin itself.
        let origin = (!is_intrinsic(setting.node) || setting.node.as_str().is_some())
            .then(|| setting.clone());
        return Some(Cors {
            is_map: false,
            allow_origin: origin,
            allow_headers: None,
            allow_methods: None,
            allow_credentials: None,
            max_age: None,
            setting,
        });
    }
    let maps: Vec<&Setting> = [own.as_ref(), global.as_ref()]
        .into_iter()
        .flatten()
        .filter(|s| is_map(s))
        .collect();
    // A global map merges in only when the resource's Cors is a map too (or absent).
    let maps = if own.as_ref().is_some_and(|own| !is_map(own)) {
        Vec::new()
    } else {
        maps
    };
    let field = |key: &str| {
        maps.iter().find_map(|map| {
            setting_in(
                map.node.resolved(),
                &map.path,
                key,
                map.written_in.clone(),
                root,
            )
            .map(|mut field| {
                field.shared |= map.shared;
                field
            })
        })
    };
    Some(Cors {
        is_map: true,
        allow_origin: field("AllowOrigin"),
        allow_headers: field("AllowHeaders"),
        allow_methods: field("AllowMethods"),
        allow_credentials: field("AllowCredentials"),
        max_age: field("MaxAge"),
        setting,
    })
}

fn read_authorizer(authorizer: Node<'_>) -> Authorizer {
    if is_intrinsic(authorizer) || authorizer.as_map().is_none() {
        return Authorizer::Unknown;
    }
    let identity = authorizer.get("Identity");
    let header = || {
        identity
            .and_then(|identity| identity.get("Header"))
            .and_then(Node::as_str)
            .unwrap_or("Authorization")
            .to_string()
    };
    if authorizer.get("UserPoolArn").is_some() {
        return Authorizer::Cognito { header: header() };
    }
    if authorizer.get("FunctionArn").is_none() {
        return Authorizer::Unknown;
    }
    let payload = authorizer
        .get("FunctionPayloadType")
        .and_then(Node::as_str)
        .unwrap_or("TOKEN");
    if payload.eq_ignore_ascii_case("REQUEST") {
        let headers = identity
            .and_then(|identity| identity.get("Headers"))
            .and_then(|headers| headers.resolved().as_seq())
            .map(|seq| {
                seq.items()
                    .filter_map(|item| item.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        Authorizer::Request { headers }
    } else {
        Authorizer::Token { header: header() }
    }
}

/// The route an event makes, or `None` when its `Auth` can't be read.
fn event_operation(
    event: &ApiEvent<'_>,
    api_key: bool,
    default_authorizer: &Option<Authorizer>,
    authorizer_named: &dyn Fn(&str) -> Authorizer,
) -> Option<Operation> {
    let props = event.properties.value();
    let auth = props.get("Auth").filter(|auth| !auth.is_null());
    if auth.is_some_and(is_intrinsic) {
        return None;
    }
    let api_key = match auth.and_then(|auth| auth.get("ApiKeyRequired")) {
        Some(value) => value.is_truthy(),
        None => api_key,
    };
    let authorizer = match auth.and_then(|auth| auth.get("Authorizer")) {
        Some(name) => match name.as_str() {
            Some("NONE") => None,
            Some(name) => Some(authorizer_named(name)),
            None => Some(Authorizer::Unknown),
        },
        None => default_authorizer.clone(),
    };
    Some(Operation {
        label: event.label(),
        path: props.get("Path").and_then(Node::as_str).map(String::from),
        method: event.method.unwrap_or("").to_ascii_lowercase(),
        api_key,
        authorizer,
    })
}

/// `IgnoreGlobals: "*"` or a list naming the section.
fn ignores_global(ignore: Node<'_>, section: &str) -> bool {
    match ignore.resolved().as_seq() {
        Some(seq) => seq.items().any(|item| item.as_str() == Some(section)),
        None => ignore.as_str() == Some("*"),
    }
}

/// Splits a mapping-expression literal (`'a,b'`) into its items; `None` when the value is
/// not one quoted literal.
pub fn literal_items(value: &str) -> Option<Vec<String>> {
    let inner = value.strip_prefix('\'')?.strip_suffix('\'')?;
    if inner.contains('\'') {
        return None;
    }
    Some(
        inner
            .split(',')
            .map(|item| item.trim().to_string())
            .filter(|item| !item.is_empty())
            .collect(),
    )
}

/// The definition of the authorizer `name` as `api` reads it: the entry of its own
/// `Auth.Authorizers`, else of `Globals.Api.Auth.Authorizers` (unless it ignores `Auth`), as
/// [`ApiCors::read`] finds it. `None` when neither defines it (`AWS_IAM` is never defined).
pub fn authorizer_definition<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    name: &str,
) -> Option<Node<'t>> {
    let ignores_auth = api
        .node
        .and_then(|p| p.get("IgnoreGlobals"))
        .is_some_and(|ignore| ignores_global(ignore, "Auth"));
    let global = template
        .globals_api()
        .filter(|_| !ignores_auth)
        .and_then(|g| g.get("Auth"));
    [api.node.and_then(|p| p.get("Auth")), global]
        .into_iter()
        .flatten()
        .filter(|auth| !is_intrinsic(*auth))
        .find_map(|auth| auth.get("Authorizers")?.get(name))
}

/// The authorizer `name` as SAM reads it for `api`, and [`Authorizer::Unknown`] wherever the
/// header it reads would be a guess: an `Identity`, `Identity.Header`, `Identity.Headers` (or
/// one of its items) or `FunctionPayloadType` that is not plain text, which
/// [`ApiCors::read`] passes over.
pub fn authorizer_strictly<'t>(template: &Template<'t>, api: &Api<'t>, name: &str) -> Authorizer {
    if name == "AWS_IAM" {
        return Authorizer::Iam;
    }
    let Some(definition) = authorizer_definition(template, api, name) else {
        return Authorizer::Unknown;
    };
    let plain = |node: Node<'_>| !is_intrinsic(node) && node.as_str().is_some();
    let identity = definition.get("Identity").filter(|i| !i.is_null());
    let readable = identity.is_none_or(|identity| {
        !is_intrinsic(identity)
            && identity.resolved().as_map().is_some()
            && identity.get("Header").is_none_or(plain)
            && identity.get("Headers").is_none_or(|headers| {
                !is_intrinsic(headers)
                    && headers
                        .resolved()
                        .as_seq()
                        .is_some_and(|seq| seq.items().all(plain))
            })
    }) && definition.get("FunctionPayloadType").is_none_or(plain);
    if readable {
        read_authorizer(definition)
    } else {
        Authorizer::Unknown
    }
}
