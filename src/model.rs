//! What samfix needs to know of a SAM template: the APIs, the `Type: Api` events that
//! target them, and the `Globals.Api` settings they inherit (see SAM-FACTS.md).

use crate::parse::{Kind, Node, Path, Seg};

pub const IMPLICIT_API: &str = "ServerlessRestApi";
const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

pub struct Template<'t> {
    pub root: &'t Node,
    pub declares_sam_transform: bool,
    pub apis: Vec<Api<'t>>,
    pub events: Vec<ApiEvent<'t>>,
    /// Logical ids of every resource, for telling a typo from a reference SAM can't follow.
    pub resource_ids: Vec<String>,
    /// Indexes into `events` by the API they target: every API asks for its events, and a
    /// scan per API would make large templates quadratic.
    events_by_api: std::collections::HashMap<String, Vec<usize>>,
}

/// An `AWS::Serverless::Api` resource, or the implicit `ServerlessRestApi`.
pub struct Api<'t> {
    pub id: String,
    /// Path of the resource's `Properties`; `None` for the implicit API.
    pub properties: Option<Path>,
    pub node: Option<&'t Node>,
}

/// A `Type: Api` event of a Function or StateMachine.
pub struct ApiEvent<'t> {
    pub owner: String,
    pub name: String,
    /// Path of the event's `Properties` map.
    pub properties: Path,
    pub node: &'t Node,
    pub target: Target,
    pub method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// No `RestApiId`: the implicit API.
    Implicit,
    /// `!Ref X`, `{Ref: X}` or the plain string `X`; `span` is where X is written.
    Named {
        id: String,
        span: std::ops::Range<usize>,
    },
    /// Anything else: SAM rejects it, and samfix can't tell which API is meant.
    Unresolvable { span: std::ops::Range<usize> },
}

/// A template whose shape is not a CloudFormation template at all.
#[derive(Debug)]
pub struct ModelError {
    pub offset: usize,
    pub message: String,
}

impl<'t> Template<'t> {
    pub fn read(root: &'t Node) -> Result<Self, ModelError> {
        if root.resolved().as_map().is_none() {
            return Err(ModelError {
                offset: root.span.start,
                message: format!(
                    "a template is a mapping of sections, but this document is {}",
                    describe(root)
                ),
            });
        }
        let declares_sam_transform = match root.get("Transform").map(Node::resolved) {
            Some(node) => match &node.kind {
                Kind::Scalar(_) => node.as_str() == Some(SAM_TRANSFORM),
                Kind::Seq(seq) => seq
                    .items
                    .iter()
                    .any(|item| item.as_str() == Some(SAM_TRANSFORM)),
                _ => false,
            },
            None => false,
        };
        let mut template = Template {
            root,
            declares_sam_transform,
            apis: Vec::new(),
            events: Vec::new(),
            resource_ids: Vec::new(),
            events_by_api: Default::default(),
        };
        if let Some(resources) = root.get("Resources") {
            if resources.resolved().as_map().is_none() && !resources.is_null() {
                return Err(ModelError {
                    offset: resources.span.start,
                    message: format!(
                        "`Resources` must be a mapping of logical ids, but it is {}",
                        describe(resources)
                    ),
                });
            }
            template.read_resources(resources, vec![Seg::Key("Resources".into())]);
        }
        if template
            .events
            .iter()
            .any(|event| event.target == Target::Implicit)
        {
            template.apis.push(Api {
                id: IMPLICIT_API.to_string(),
                properties: None,
                node: None,
            });
        }
        for (index, event) in template.events.iter().enumerate() {
            if let Some(api_id) = event.target_id() {
                let ids = template
                    .events_by_api
                    .entry(api_id.to_string())
                    .or_default();
                ids.push(index);
            }
        }
        Ok(template)
    }

    fn read_resources(&mut self, resources: &'t Node, path: Path) {
        let Some(map) = resources.as_map() else {
            return;
        };
        for (id, entry) in &map.entries {
            let mut resource_path = path.clone();
            resource_path.push(Seg::Key(id.to_string()));
            if id.starts_with("Fn::ForEach::") {
                // [Identifier, Collection, {LogicalId${Identifier}: Resource}]
                if let Some(body) = entry.value.as_seq().and_then(|seq| seq.items.get(2)) {
                    resource_path.push(Seg::Index(2));
                    self.read_resources(body, resource_path);
                }
                continue;
            }
            self.resource_ids.push(id.to_string());
            self.read_resource(id, &entry.value, resource_path);
        }
    }

    fn read_resource(&mut self, id: &str, resource: &'t Node, path: Path) {
        let kind = resource.get("Type").and_then(Node::as_str);
        let properties_path = child(&path, "Properties");
        let properties = resource.get("Properties");
        match kind {
            Some("AWS::Serverless::Api") => {
                self.apis.push(Api {
                    id: id.to_string(),
                    properties: Some(properties_path),
                    node: properties,
                });
            }
            Some("AWS::Serverless::Function" | "AWS::Serverless::StateMachine") => {
                let Some(events) = properties
                    .and_then(|p| p.get("Events"))
                    .and_then(|e| e.as_map())
                else {
                    return;
                };
                let events_path = child(&properties_path, "Events");
                for (name, event) in &events.entries {
                    if event.value.get("Type").and_then(Node::as_str) != Some("Api") {
                        continue;
                    }
                    let Some(props) = event.value.get("Properties") else {
                        continue;
                    };
                    let target = match props.get("RestApiId") {
                        None => Target::Implicit,
                        Some(node) => rest_api_target(node),
                    };
                    let method = props
                        .get("Method")
                        .and_then(Node::as_str)
                        .map(str::to_string);
                    self.events.push(ApiEvent {
                        owner: id.to_string(),
                        name: name.to_string(),
                        properties: child(&child(&events_path, name), "Properties"),
                        node: props,
                        target,
                        method,
                    });
                }
            }
            _ => {}
        }
    }

    pub fn globals_api(&self) -> Option<&'t Node> {
        self.root.get("Globals")?.get("Api")
    }

    pub fn api(&self, id: &str) -> Option<&Api<'t>> {
        self.apis.iter().find(|api| api.id == id)
    }

    /// The events that target `api_id`, in template order.
    pub fn events_of<'a>(&'a self, api_id: &str) -> impl Iterator<Item = &'a ApiEvent<'t>> + 'a {
        self.events_by_api
            .get(api_id)
            .into_iter()
            .flatten()
            .map(move |&index| &self.events[index])
    }
}

impl ApiEvent<'_> {
    pub fn target_id(&self) -> Option<&str> {
        match &self.target {
            Target::Implicit => Some(IMPLICIT_API),
            Target::Named { id, .. } => Some(id),
            Target::Unresolvable { .. } => None,
        }
    }

    pub fn is_options(&self) -> bool {
        self.method
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("options"))
    }

    pub fn label(&self) -> String {
        format!("{}.{}", self.owner, self.name)
    }
}

fn rest_api_target(node: &Node) -> Target {
    let unresolvable = || Target::Unresolvable {
        span: node.span.clone(),
    };
    let resolved = node.resolved();
    match &resolved.kind {
        Kind::Scalar(scalar) if resolved.tag.as_deref() == Some("!Ref") => Target::Named {
            id: scalar.value.to_string(),
            span: resolved.span.clone(),
        },
        Kind::Scalar(_) if resolved.tag.is_none() => match resolved.as_str() {
            Some(id) => Target::Named {
                id: id.to_string(),
                span: resolved.span.clone(),
            },
            None => unresolvable(),
        },
        Kind::Map(map) if map.entries.len() == 1 && resolved.tag.is_none() => {
            match map.entries.get("Ref") {
                Some(entry) => match entry.value.as_str() {
                    Some(id) => Target::Named {
                        id: id.to_string(),
                        span: entry.value.span.clone(),
                    },
                    None => unresolvable(),
                },
                None => unresolvable(),
            }
        }
        _ => unresolvable(),
    }
}

pub fn child(path: &Path, key: &str) -> Path {
    let mut path = path.clone();
    path.push(Seg::Key(key.to_string()));
    path
}

/// Whether a node is an intrinsic function (`!If ...` or `{Fn::If: ...}`), whose value
/// only CloudFormation knows.
pub fn is_intrinsic(node: &Node) -> bool {
    let node = node.resolved();
    if node
        .tag
        .as_deref()
        .is_some_and(|tag| !tag.starts_with("!!"))
    {
        return true;
    }
    node.as_map().is_some_and(|map| {
        map.entries.len() == 1
            && map
                .entries
                .keys()
                .all(|key| key == "Ref" || key == "Condition" || key.starts_with("Fn::"))
    })
}

fn describe(node: &Node) -> &'static str {
    match &node.resolved().kind {
        Kind::Scalar(_) if node.is_null() => "empty (null)",
        Kind::Scalar(_) => "a scalar",
        Kind::Seq(_) => "a list",
        Kind::Map(_) => "a mapping",
        Kind::Alias(_) => "an alias",
        Kind::Skipped(_) => "a value",
    }
}
