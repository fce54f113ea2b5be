//! What samfix needs to know of a SAM template: the APIs, the `Type: Api` events that
//! target them, and the `Globals.Api` settings they inherit (see SAM-FACTS.md).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::diagnostic::EventLabels;
use crate::parse::{Entry, Kind, Node, Path, Seg};

/// The logical id of the API SAM makes for the events that name no `RestApiId`.
pub const IMPLICIT_API: &str = "ServerlessRestApi";
const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// A template's APIs and the `Type: Api` events that target them.
pub struct Template<'t> {
    /// The document's root node.
    pub root: Node<'t>,
    /// Whether `Transform` names `AWS::Serverless-2016-10-31`, alone or in a list.
    pub declares_sam_transform: bool,
    /// The `AWS::Serverless::Api` resources in template order, then the implicit API if an
    /// event targets it.
    pub apis: Vec<Api<'t>>,
    /// Every `Type: Api` event, in template order.
    pub events: Vec<ApiEvent<'t>>,
    /// Logical ids of every resource, for telling a typo from a reference SAM can't follow.
    pub resource_ids: Vec<&'t str>,
    /// Indexes into `events` by the API they target: every API asks for its events, and a
    /// scan per API would make large templates quadratic. Hashed with foldhash, as the
    /// tree's maps are: every event is filed here.
    events_by_api: HashMap<&'t str, Vec<usize>, foldhash::fast::RandomState>,
    /// Each API's [`Template::event_labels`], made on first use: every finding about an
    /// API lists them, and a copy per finding would hold a large template's labels many
    /// times over.
    labels_by_api: RefCell<Labels>,
}

/// Event labels by API id.
pub(crate) type Labels = HashMap<String, EventLabels, foldhash::fast::RandomState>;

/// An `AWS::Serverless::Api` resource, or the implicit `ServerlessRestApi`.
pub struct Api<'t> {
    /// The logical id.
    pub id: String,
    /// Path of the resource's `Properties`; `None` for the implicit API.
    pub properties: Option<Path>,
    /// The `Properties` node; `None` for the implicit API or when there is none.
    pub node: Option<Node<'t>>,
    /// The resource's `IgnoreGlobals` attribute (beside `Type`, not in `Properties`).
    pub ignore_globals: Option<Node<'t>>,
}

impl Api<'_> {
    /// Whether `IgnoreGlobals` (`"*"` or a list naming it) keeps the `Globals.Api` setting
    /// `section` away from this API.
    pub fn ignores_global(&self, section: &str) -> bool {
        ignores_global(self.ignore_globals, section)
    }
}

/// Whether a resource's `IgnoreGlobals` attribute (`"*"` or a list naming it) keeps the
/// `Globals` setting `section` away from it.
pub fn ignores_global(ignore_globals: Option<Node<'_>>, section: &str) -> bool {
    ignore_globals.is_some_and(|ignore| match ignore.resolved().as_seq() {
        Some(seq) => seq.items().any(|item| item.as_str() == Some(section)),
        None => ignore.as_str() == Some("*"),
    })
}

/// A `Type: Api` event of a Function or StateMachine.
///
/// Its names are borrowed from the tree and its path is built only when asked for: a large
/// template has tens of thousands of events, and most are only read, never edited.
pub struct ApiEvent<'t> {
    /// The logical id of the Function or StateMachine the event belongs to.
    pub owner: &'t str,
    /// The event's key under `Events`.
    pub name: &'t str,
    /// Path of the map that holds the owner: `Resources`, or a `Fn::ForEach` body in it.
    /// One per such map, shared by its events.
    resources: Rc<Path>,
    /// The entry whose value is the event's `Properties` map (an entry of another map when a
    /// merge key brings it).
    pub properties: Entry<'t>,
    /// Whether [`ApiEvent::properties_path`] ends at `properties`, with no alias or merge key
    /// on the way and no node on it that carries an anchor or is an alias: then an edit of
    /// that path lands in `properties`, and nothing else shares it.
    pub unshared: bool,
    /// The API its `RestApiId` names.
    pub target: Target<'t>,
    /// Its `Method`, as written, when that is a string.
    pub method: Option<&'t str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// Which API an event's `RestApiId` names.
pub enum Target<'t> {
    /// No `RestApiId`: the implicit API.
    Implicit,
    /// `!Ref X`, `{Ref: X}` or the plain string `X`; `span` is where X is written.
    Named {
        /// The API's logical id, X.
        id: &'t str,
        /// Where X is written.
        span: std::ops::Range<usize>,
    },
    /// Anything else: SAM rejects it, and samfix can't tell which API is meant.
    Unresolvable {
        /// Where the `RestApiId` value is written.
        span: std::ops::Range<usize>,
    },
}

/// A template whose shape is not a CloudFormation template at all.
#[derive(Debug)]
pub struct ModelError {
    /// Where the problem is, as a byte offset into the source.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ModelError {}

impl<'t> Template<'t> {
    /// Finds the APIs and their events under `root`; fails when `root` is not a map, or
    /// `Resources` is neither a map nor null.
    pub fn read(root: Node<'t>) -> Result<Self, ModelError> {
        if root.resolved().as_map().is_none() {
            return Err(ModelError {
                offset: root.span().start,
                message: format!(
                    "a template is a mapping of sections, but this document is {}",
                    describe(root)
                ),
            });
        }
        let declares_sam_transform = match root.get("Transform").map(Node::resolved) {
            Some(node) => match node.kind() {
                Kind::Scalar(_) => node.as_str() == Some(SAM_TRANSFORM),
                Kind::Seq(seq) => seq.items().any(|item| item.as_str() == Some(SAM_TRANSFORM)),
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
            labels_by_api: Default::default(),
        };
        if let Some((entry, indirect)) = root.lookup("Resources") {
            let resources = entry.value();
            if resources.resolved().as_map().is_none() && !resources.is_null() {
                return Err(ModelError {
                    offset: resources.span().start,
                    message: format!(
                        "`Resources` must be a mapping of logical ids, but it is {}",
                        describe(resources)
                    ),
                });
            }
            let unshared = !indirect && !is_shared(root) && !is_shared(resources);
            template.read_resources(
                resources,
                Rc::new(vec![Seg::Key("Resources".into())]),
                unshared,
            );
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
                ignore_globals: None,
            });
        }
        for (index, event) in template.events.iter().enumerate() {
            if let Some(api_id) = event.target_id() {
                template
                    .events_by_api
                    .entry(api_id)
                    .or_default()
                    .push(index);
            }
        }
        Ok(template)
    }

    /// `path` leads to `resources`; `unshared` says it does so the way
    /// [`ApiEvent::unshared`] means.
    fn read_resources(&mut self, resources: Node<'t>, path: Rc<Path>, unshared: bool) {
        let Some(map) = resources.as_map() else {
            return;
        };
        for entry in map.iter() {
            let id = entry.key();
            if id.starts_with("Fn::ForEach::") {
                // [Identifier, Collection, {LogicalId${Identifier}: Resource}]
                if let Some(body) = entry.value().as_seq().and_then(|seq| seq.get(2)) {
                    let mut body_path = Path::clone(&path);
                    body_path.extend([Seg::Key(id.into()), Seg::Index(2)]);
                    let unshared = unshared && !is_shared(entry.value()) && !is_shared(body);
                    self.read_resources(body, Rc::new(body_path), unshared);
                }
                continue;
            }
            self.resource_ids.push(id);
            self.read_resource(id, entry.value(), &path, unshared);
        }
    }

    /// `resources` is the path of the map holding the resource `id`; `unshared` as in
    /// [`Template::read_resources`].
    fn read_resource(
        &mut self,
        id: &'t str,
        resource: Node<'t>,
        resources: &Rc<Path>,
        unshared: bool,
    ) {
        let kind = resource.get("Type").and_then(Node::as_str);
        let properties = resource.lookup("Properties");
        match kind {
            Some("AWS::Serverless::Api") => {
                let mut properties_path = Path::clone(resources);
                properties_path.extend([Seg::Key(id.into()), Seg::Key("Properties".into())]);
                self.apis.push(Api {
                    id: id.to_string(),
                    properties: Some(properties_path),
                    node: properties.map(|(entry, _)| entry.value()),
                    ignore_globals: resource.get("IgnoreGlobals"),
                });
            }
            Some("AWS::Serverless::Function" | "AWS::Serverless::StateMachine") => {
                let Some((properties, properties_indirect)) = properties else {
                    return;
                };
                let properties = properties.value();
                let Some((events, events_indirect)) = properties.lookup("Events") else {
                    return;
                };
                let events = events.value();
                let Some(map) = events.as_map() else {
                    return;
                };
                let unshared = unshared
                    && !is_shared(resource)
                    && !properties_indirect
                    && !is_shared(properties)
                    && !events_indirect
                    && !is_shared(events);
                for event in map.iter() {
                    if event.value().get("Type").and_then(Node::as_str) != Some("Api") {
                        continue;
                    }
                    let Some((properties, props_indirect)) = event.value().lookup("Properties")
                    else {
                        continue;
                    };
                    let props = properties.value();
                    let target = match props.get("RestApiId") {
                        None => Target::Implicit,
                        Some(node) => rest_api_target(node),
                    };
                    self.events.push(ApiEvent {
                        owner: id,
                        name: event.key(),
                        resources: Rc::clone(resources),
                        properties,
                        unshared: unshared
                            && !is_shared(event.value())
                            && !props_indirect
                            && !is_shared(props),
                        target,
                        method: props.get("Method").and_then(Node::as_str),
                    });
                }
            }
            _ => {}
        }
    }

    /// The `Globals.Api` section, if any.
    pub fn globals_api(&self) -> Option<Node<'t>> {
        self.root.get("Globals")?.get("Api")
    }

    /// The API whose logical id is `id`.
    pub fn api(&self, id: &str) -> Option<&Api<'t>> {
        self.apis.iter().find(|api| api.id == id)
    }

    /// The labels (`Owner.Event`) of the events that target `api_id`, in template order, as
    /// findings list them.
    pub fn event_labels(&self, api_id: &str) -> EventLabels {
        if let Some(labels) = self.labels_by_api.borrow().get(api_id) {
            return labels.clone();
        }
        let labels: EventLabels = self.events_of(api_id).map(ApiEvent::label).collect();
        self.labels_by_api
            .borrow_mut()
            .insert(api_id.to_string(), labels.clone());
        labels
    }

    /// The labels [`Template::event_labels`] made, by API: for a template read again after
    /// a fix, which keeps every event's name, to share with [`Template::reuse_labels`].
    pub(crate) fn take_labels(&self) -> Labels {
        self.labels_by_api.take()
    }

    /// Takes the labels of the same events, read from another tree of this template.
    pub(crate) fn reuse_labels(&self, labels: Labels) {
        *self.labels_by_api.borrow_mut() = labels;
    }

    /// The events that target `api_id`, in template order; the iterator knows how many,
    /// so what is collected from it is allocated once.
    pub fn events_of<'a>(
        &'a self,
        api_id: &str,
    ) -> impl ExactSizeIterator<Item = &'a ApiEvent<'t>> + 'a {
        self.events_by_api
            .get(api_id)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(move |&index| &self.events[index])
    }
}

impl<'t> ApiEvent<'t> {
    /// The logical id of the API the event targets (`ServerlessRestApi` for the implicit
    /// one); `None` when it can't be told.
    pub fn target_id(&self) -> Option<&'t str> {
        match self.target {
            Target::Implicit => Some(IMPLICIT_API),
            Target::Named { id, .. } => Some(id),
            Target::Unresolvable { .. } => None,
        }
    }

    /// Path of the event's `Properties` map.
    pub fn properties_path(&self) -> Path {
        let mut path = Vec::with_capacity(self.resources.len() + 5);
        path.extend_from_slice(&self.resources);
        path.extend([
            Seg::Key(self.owner.into()),
            Seg::Key("Properties".into()),
            Seg::Key("Events".into()),
            Seg::Key(self.name.into()),
            Seg::Key("Properties".into()),
        ]);
        path
    }

    /// Whether its `Method` is `options`, in any case.
    pub fn is_options(&self) -> bool {
        self.method
            .is_some_and(|m| m.eq_ignore_ascii_case("options"))
    }

    /// `Owner.Event`: how reports name the event.
    pub fn label(&self) -> String {
        [self.owner, ".", self.name].concat()
    }
}

fn rest_api_target(node: Node<'_>) -> Target<'_> {
    let unresolvable = || Target::Unresolvable { span: node.span() };
    let resolved = node.resolved();
    match resolved.kind() {
        Kind::Scalar(scalar) if resolved.tag() == Some("!Ref") => Target::Named {
            id: scalar.value,
            span: resolved.span(),
        },
        Kind::Scalar(_) if resolved.tag().is_none() => match resolved.as_str() {
            Some(id) => Target::Named {
                id,
                span: resolved.span(),
            },
            None => unresolvable(),
        },
        Kind::Map(map) if map.len() == 1 && resolved.tag().is_none() => match map.get("Ref") {
            Some(entry) => match entry.value().as_str() {
                Some(id) => Target::Named {
                    id,
                    span: entry.value().span(),
                },
                None => unresolvable(),
            },
            None => unresolvable(),
        },
        _ => unresolvable(),
    }
}

/// `path` with `key` added at the end.
pub fn child(path: &Path, key: &str) -> Path {
    let mut path = path.clone();
    path.push(Seg::Key(key.into()));
    path
}

/// Whether a node carries an anchor or is an alias: an edit there would also change, or
/// could not reach, what the alias shares (as in [`Node::shared_on_path`]).
pub fn is_shared(node: Node<'_>) -> bool {
    node.anchored() || node.is_alias()
}

/// Whether a node is an intrinsic function (`!If ...` or `{Fn::If: ...}`), whose value
/// only CloudFormation knows.
pub fn is_intrinsic(node: Node<'_>) -> bool {
    let node = node.resolved();
    if node.tag().is_some_and(|tag| !tag.starts_with("!!")) {
        return true;
    }
    node.as_map().is_some_and(|map| {
        map.len() == 1
            && map
                .keys()
                .all(|key| key == "Ref" || key == "Condition" || key.starts_with("Fn::"))
    })
}

fn describe(node: Node<'_>) -> &'static str {
    match node.resolved().kind() {
        Kind::Scalar(_) if node.is_null() => "empty (null)",
        Kind::Scalar(_) => "a scalar",
        Kind::Seq(_) => "a list",
        Kind::Map(_) => "a mapping",
        Kind::Alias(_) => "an alias",
        Kind::Skipped(_) => "a value",
    }
}
