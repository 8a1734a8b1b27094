//! Generic authorization checks, generated from `schema.graphql` (issue 13): every `Node`
//! type answers `node(id)` by the rule of its lists and relations, for every kind of actor;
//! no value refused to a reader reaches them by another path (the audit log's payloads
//! included); no mutation widens its caller's reads or changes the roles of someone outside
//! the caller's scope. Nothing here names a type, a field or a rule: a type, relation or
//! mutation added later is covered without anyone remembering to.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use maillage::domain::enums::Role;
use maillage::domain::ids::{decode, encode};
use maillage::service::users::{self, ScopeArgs};
use serde_json::{Value, json};

use crate::agents::person;
use crate::helpers::*;
use crate::workflow::{
    OPERATOR_DGFIP_59_T as OPERATOR_DGFIP_59, OTHER_AUDITOR_T as OTHER_AUDITOR, grant,
    self_assessment,
};

// ---------------------------------------------------------------------------------------
// The schema, as the generator sees it.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Leaf,
    Object,
    Other,
}

struct Field {
    name: String,
    base: String,
    /// Arguments: name, base type, whether a value must be given.
    args: Vec<(String, String, bool)>,
}

/// The object types of `schema.graphql`, their fields, and which ones implement `Node`.
pub struct Model {
    kinds: HashMap<String, Kind>,
    fields: HashMap<String, Vec<Field>>,
    nodes: BTreeSet<String>,
}

fn base_name(ty: &async_graphql::parser::types::Type) -> String {
    match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => base_name(inner),
    }
}

impl Model {
    pub fn load() -> Self {
        let sdl = include_str!("../../schema.graphql");
        let document = async_graphql::parser::parse_schema(sdl).expect("schema.graphql parses");
        let mut model = Model {
            kinds: ["String", "Int", "Float", "Boolean", "ID"]
                .into_iter()
                .map(|s| (s.to_owned(), Kind::Leaf))
                .collect(),
            fields: HashMap::new(),
            nodes: BTreeSet::new(),
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = ty.node;
            let name = ty.name.node.to_string();
            let (kind, fields, implements) = match ty.kind {
                TypeKind::Scalar | TypeKind::Enum(_) => (Kind::Leaf, Vec::new(), Vec::new()),
                TypeKind::Object(object) => (Kind::Object, object.fields, object.implements),
                TypeKind::Interface(interface) => {
                    (Kind::Object, interface.fields, interface.implements)
                }
                _ => (Kind::Other, Vec::new(), Vec::new()),
            };
            if implements.iter().any(|i| i.node.as_str() == "Node") {
                model.nodes.insert(name.clone());
            }
            let fields = fields
                .into_iter()
                .map(|f| {
                    let f = f.node;
                    Field {
                        name: f.name.node.to_string(),
                        base: base_name(&f.ty.node),
                        args: f
                            .arguments
                            .iter()
                            .map(|a| {
                                let a = &a.node;
                                let required = !a.ty.node.nullable && a.default_value.is_none();
                                (a.name.node.to_string(), base_name(&a.ty.node), required)
                            })
                            .collect(),
                    }
                })
                .collect();
            model.kinds.insert(name.clone(), kind);
            model.fields.insert(name, fields);
        }
        assert!(model.nodes.len() > 5, "Node types: {:?}", model.nodes);
        model
    }

    fn kind(&self, ty: &str) -> Kind {
        self.kinds.get(ty).copied().unwrap_or(Kind::Other)
    }

    fn fields(&self, ty: &str) -> &[Field] {
        self.fields.get(ty).map(Vec::as_slice).unwrap_or_default()
    }

    /// The root fields of a type: name and required arguments.
    pub fn roots(&self, ty: &str) -> Vec<(String, Vec<String>)> {
        self.fields(ty)
            .iter()
            .map(|f| {
                let required = f.args.iter().filter(|a| a.2).map(|a| a.0.clone());
                (f.name.clone(), required.collect())
            })
            .collect()
    }

    fn returns(&self, ty: &str, field: &str) -> String {
        self.fields(ty)
            .iter()
            .find(|f| f.name == field)
            .map(|f| f.base.clone())
            .unwrap_or_default()
    }

    /// Every field of `ty` that takes no required argument: leaves by name, objects with
    /// their own selection. A `Node` met below `levels` more `Node`s gives its id only.
    pub fn selection(&self, ty: &str, levels: usize) -> String {
        self.select(ty, levels, 0)
    }

    /// The fields of `ty` itself: leaves, and the ids of the `Node`s it points to (no other
    /// objects: the cheap selection of a reach measurement).
    pub fn lean(&self, ty: &str) -> String {
        let mut parts = vec!["__typename".to_owned()];
        for field in self.fields(ty) {
            if field.args.iter().any(|a| a.2) {
                continue;
            }
            match self.kind(&field.base) {
                Kind::Leaf => parts.push(field.name.clone()),
                Kind::Object if self.nodes.contains(&field.base) => {
                    parts.push(format!("{} {{ __typename id }}", field.name));
                }
                _ => {}
            }
        }
        parts.join(" ")
    }

    fn select(&self, ty: &str, levels: usize, nest: usize) -> String {
        let mut parts = vec!["__typename".to_owned()];
        let has_nodes = self.fields(ty).iter().any(|f| f.name == "nodes");
        for field in self.fields(ty) {
            if field.args.iter().any(|a| a.2) || (has_nodes && field.name == "edges") {
                continue;
            }
            let args = if field.args.iter().any(|a| a.0 == "first") {
                "(first: 20)"
            } else {
                ""
            };
            let name = &field.name;
            match self.kind(&field.base) {
                Kind::Leaf => parts.push(format!("{name}{args}")),
                Kind::Object if self.nodes.contains(&field.base) => {
                    if levels == 0 || nest >= 6 {
                        parts.push(format!("{name}{args} {{ __typename id }}"));
                    } else {
                        let inner = self.select(&field.base, levels - 1, nest + 1);
                        parts.push(format!("{name}{args} {{ {inner} }}"));
                    }
                }
                Kind::Object if nest < 6 => {
                    let inner = self.select(&field.base, levels, nest + 1);
                    parts.push(format!("{name}{args} {{ {inner} }}"));
                }
                _ => {}
            }
        }
        parts.join(" ")
    }
}

// ---------------------------------------------------------------------------------------
// What a caller reads.

/// A caller: a signed-in user, or nobody.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Caller {
    User(String),
    Anonymous,
}

impl Caller {
    fn email(&self) -> &str {
        match self {
            Caller::User(email) => email,
            Caller::Anonymous => "anonymous",
        }
    }
}

async fn ask(app: &TestApp, caller: &Caller, query: &str, variables: Value) -> Value {
    match caller {
        Caller::User(email) => app.query_as(email, query, variables).await,
        Caller::Anonymous => app.post(None, query, variables).await,
    }
}

/// The global ids in a response.
fn ids_in(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            if let (Some(Value::String(id)), Some(Value::String(_))) =
                (fields.get("id"), fields.get("__typename"))
                && decode(id).is_some()
            {
                out.insert(id.clone());
            }
            fields.values().for_each(|v| ids_in(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| ids_in(v, out)),
        Value::String(text) if decode(text).is_some() => {
            out.insert(text.clone());
        }
        _ => {}
    }
}

/// Every string in a response (JSON payloads included), for the leak check.
fn strings_in(value: &Value, skip_json: bool, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            for (key, v) in fields {
                if skip_json && (key == "before" || key == "after") {
                    continue;
                }
                strings_in(v, skip_json, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings_in(v, skip_json, out)),
        Value::String(text) => {
            out.insert(text.clone());
        }
        _ => {}
    }
}

/// A refused field reads `null` with its error, its key present (GraphQL spec, 6.4.4): the
/// path leads through `data` to a key holding `null` (the field, or the nullable parent a
/// non-null field nulled).
fn assert_null_at(data: &Value, path: &[Value]) {
    if data.is_null() {
        // A non-null root field refused nulls `data` itself.
        return;
    }
    let mut at = data;
    for segment in path {
        let next = match segment {
            Value::String(name) => at.get(name.as_str()),
            Value::Number(n) => at.get(n.as_u64().unwrap_or_default() as usize),
            _ => None,
        };
        match next {
            Some(Value::Null) => return,
            Some(value) => at = value,
            None => panic!("the refused field at {path:?} is missing from data: {at}"),
        }
    }
    panic!("the refused field at {path:?} is not null: {at}");
}

/// Where an error points: the object (global id) that owns the refused field, and the
/// field's path below it (names only), e.g. `("U3Vw…", "messages.body")`.
fn owner_of(data: &Value, path: &[Value]) -> (String, String) {
    let mut owner = String::new();
    let mut below: Vec<String> = Vec::new();
    let mut at = data;
    for segment in path {
        match segment {
            Value::String(name) => {
                below.push(name.clone());
                at = &at[name.as_str()];
            }
            Value::Number(n) => at = &at[n.as_u64().unwrap_or_default() as usize],
            _ => {}
        }
        if let (Some(id), Some(_)) = (at["id"].as_str(), at["__typename"].as_str())
            && decode(id).is_some()
        {
            owner = id.to_owned();
            below.clear();
        }
    }
    (owner, below.join("."))
}

/// What one caller reads of the objects of the universe through `node(id)`: for each object
/// they may read, the fields refused to them and the values of the fields they read.
#[derive(Default, Debug, Clone)]
pub struct NodeReads {
    /// Readable objects → refused field paths.
    pub objects: BTreeMap<String, BTreeSet<String>>,
    /// Readable objects → their JSON as read.
    pub values: BTreeMap<String, Value>,
    /// Objects refused, with the error codes.
    pub refused: BTreeMap<String, Vec<String>>,
    /// Objects met in full as a relation of a readable object: from which object, and the
    /// fields refused there.
    pub related: BTreeMap<String, Vec<(String, BTreeSet<String>)>>,
}

impl NodeReads {
    /// Objects and fields read, as comparable keys: `id` and `id/field`.
    pub fn reach(&self, model: &Model, only: &BTreeSet<String>) -> BTreeSet<String> {
        let mut reach = BTreeSet::new();
        for (id, refused) in self.objects.iter().filter(|(id, _)| only.contains(*id)) {
            reach.insert(id.clone());
            let ty = decode(id).map(|(t, _)| <&str>::from(t).to_owned());
            for field in model.fields(&ty.unwrap_or_default()) {
                if !refused
                    .iter()
                    .any(|r| r.split('.').next() == Some(&field.name))
                {
                    reach.insert(format!("{id}/{}", field.name));
                }
            }
        }
        reach
    }
}

/// The `levels` of [`read_nodes`] that selects [`Model::lean`].
const LEAN: usize = usize::MAX;

/// `node(id)` for every id, as `caller`, `batch` at a time (a field may appear at most ten
/// times under aliases).
pub async fn read_nodes(
    app: &TestApp,
    model: &Model,
    caller: &Caller,
    ids: &BTreeSet<String>,
    levels: usize,
) -> NodeReads {
    let mut reads = NodeReads::default();
    let ids: Vec<&String> = ids.iter().collect();
    let pieces = ids
        .iter()
        .map(|id| {
            let ty = decode(id).map(|(t, _)| <&str>::from(t).to_owned());
            let ty = ty.expect("one of our ids");
            let fields = if levels == LEAN {
                model.lean(&ty)
            } else {
                model.selection(&ty, levels)
            };
            format!("__typename id ... on {ty} {{ {fields} }}")
        })
        .collect();
    for batch in batches(pieces) {
        let mut variables = serde_json::Map::new();
        let mut declared = Vec::new();
        let mut body = String::new();
        for (i, piece) in &batch {
            declared.push(format!("$i{i}: ID!"));
            variables.insert(format!("i{i}"), json!(ids[*i]));
            body.push_str(&format!("n{i}: node(id: $i{i}) {{ {piece} }} "));
        }
        let query = format!("query({}) {{ {body} }}", declared.join(", "));
        let response = ask(app, caller, &query, Value::Object(variables)).await;
        let data = &response["data"];
        for (i, _) in &batch {
            let id = ids[*i];
            let node = &data[format!("n{i}")];
            let errors: Vec<&Value> = response["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .filter(|e| e["path"][0] == format!("n{i}").as_str())
                        .collect()
                })
                .unwrap_or_default();
            if node.is_null() {
                let codes = errors
                    .iter()
                    .map(|e| {
                        e["extensions"]["code"]
                            .as_str()
                            .unwrap_or("<none>")
                            .to_owned()
                    })
                    .collect();
                reads.refused.insert(id.clone(), codes);
                continue;
            }
            let mut refused = BTreeSet::new();
            let mut related = BTreeMap::new();
            full_objects(node, &mut related);
            related.remove(id);
            for error in errors {
                let path = error["path"].as_array().cloned().unwrap_or_default();
                let (owner, field) = owner_of(data, &path);
                assert_eq!(
                    error["extensions"]["code"],
                    "FORBIDDEN",
                    "{}: node({id}) {error}",
                    caller.email()
                );
                assert_null_at(data, &path);
                if owner == *id {
                    refused.insert(field);
                } else {
                    related.entry(owner).or_default().insert(field);
                }
            }
            for (other, fields) in related {
                reads
                    .related
                    .entry(other)
                    .or_default()
                    .push((describe(id), fields));
            }
            reads.objects.insert(id.clone(), refused);
            reads.values.insert(id.clone(), node.clone());
        }
    }
    reads
}

/// What a caller reaches through the root fields (lists, by-key queries, `me`, the audit
/// log) and the relations below them: every object met with the fields refused to it, the
/// responses themselves.
#[derive(Default, Debug)]
pub struct Crawl {
    /// Objects met in full (their fields selected) → refused field paths.
    pub full: BTreeMap<String, BTreeSet<String>>,
    /// Every object met, even by its id only.
    pub met: BTreeSet<String>,
    /// Every response.
    pub responses: Vec<Value>,
}

/// The arguments that name an object by its key, filled by [`pool`].
const KEY_ARGUMENTS: [&str; 4] = ["department", "structure", "matricule", "partner"];

/// The values to try for a required argument `arg` of `field` (returning `returns`).
fn pool(universe: &BTreeSet<String>, arg: &str, returns: &str) -> Vec<String> {
    let ty = match arg {
        "department" => "Department",
        "structure" | "matricule" => "Structure",
        "partner" => "Partner",
        "code" => returns,
        other => panic!("no values to try for a required argument '{other}': teach `pool`"),
    };
    let mut keys: Vec<String> = universe
        .iter()
        .filter_map(|id| decode(id))
        .filter(|(t, _)| <&str>::from(*t) == ty)
        .map(|(_, key)| key)
        .collect();
    keys.sort();
    keys
}

/// Crawls every root query field as `caller`, `levels` deep, required arguments filled
/// with the keys of `universe`.
pub async fn crawl(
    app: &TestApp,
    model: &Model,
    caller: &Caller,
    universe: &BTreeSet<String>,
    levels: usize,
) -> Crawl {
    let mut crawl = Crawl::default();
    for (field, required) in model.roots("Query") {
        // `contentReads` and `citizenRequests` are the data-protection officer's: the log
        // names requests (by id) the officer may not read, and the search takes a citizen's
        // identifiers; both are tested in privacy.rs.
        if ["node", "dashboard", "contentReads", "citizenRequests"].contains(&field.as_str()) {
            continue;
        }
        let returns = model.returns("Query", &field);
        let selection = if model.kind(&returns) == Kind::Leaf {
            String::new()
        } else {
            format!("{{ {} }}", model.selection(&returns, levels))
        };
        let optional_first = model
            .fields("Query")
            .iter()
            .any(|f| f.name == field && f.args.iter().any(|a| a.0 == "first"));
        let mut calls: Vec<String> = Vec::new();
        match required.as_slice() {
            [] if optional_first => calls.push(format!("{field}(first: 20) {selection}")),
            [] => calls.push(format!("{field} {selection}")),
            [arg] => {
                for key in pool(universe, arg, &returns) {
                    calls.push(format!("{field}({arg}: {}) {selection}", json!(key)));
                }
            }
            more => panic!("Query.{field}: several required arguments {more:?}"),
        }
        // An optional key argument (`trainingSessions(department:)`): each key as well.
        if required.is_empty() {
            let optional: Vec<String> = model
                .fields("Query")
                .iter()
                .filter(|f| f.name == field)
                .flat_map(|f| f.args.iter().map(|a| a.0.clone()))
                .filter(|a| KEY_ARGUMENTS.contains(&a.as_str()))
                .collect();
            for arg in optional {
                for key in pool(universe, &arg, &returns) {
                    calls.push(format!("{field}({arg}: {}) {selection}", json!(key)));
                }
            }
        }
        for batch in batches(calls) {
            let body: Vec<String> = batch
                .iter()
                .map(|(i, call)| format!("r{i}: {call}"))
                .collect();
            let query = format!("{{ {} }}", body.join(" "));
            let response = ask(app, caller, &query, Value::Null).await;
            for error in response["errors"].as_array().into_iter().flatten() {
                let code = error["extensions"]["code"].as_str().unwrap_or_default();
                assert!(
                    ["FORBIDDEN", "NOT_FOUND", "UNAUTHENTICATED"].contains(&code),
                    "{}: {field}: {error}",
                    caller.email()
                );
                let path = error["path"].as_array().cloned().unwrap_or_default();
                assert_null_at(&response["data"], &path);
                if path.len() > 1 {
                    let (owner, below) = owner_of(&response["data"], &path);
                    if !owner.is_empty() {
                        crawl.full.entry(owner).or_default().insert(below);
                    }
                }
            }
            full_objects(&response["data"], &mut crawl.full);
            ids_in(&response["data"], &mut crawl.met);
            crawl.responses.push(response);
        }
    }
    crawl
}

/// The objects of a response met with their fields (more than `__typename` and `id`).
fn full_objects(value: &Value, out: &mut BTreeMap<String, BTreeSet<String>>) {
    match value {
        Value::Object(fields) => {
            if let (Some(Value::String(id)), Some(Value::String(_))) =
                (fields.get("id"), fields.get("__typename"))
                && fields.len() > 2
                && decode(id).is_some()
            {
                out.entry(id.clone()).or_default();
            }
            fields.values().for_each(|v| full_objects(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| full_objects(v, out)),
        _ => {}
    }
}

/// Every object of the world: what ANCT meets crawling, plus forged neighbours of every
/// numbered id (objects no list shows, deleted ones, ids not yet given out).
pub async fn universe(app: &TestApp, model: &Model, seen: &BTreeSet<String>) -> BTreeSet<String> {
    let anct = Caller::User(ANCT.to_owned());
    let mut universe = seen.clone();
    let first = crawl(app, model, &anct, &universe, 1).await;
    universe.extend(first.met);
    // Large reference lists (every department) are sampled: the objects other objects point
    // to, and a few more.
    let mut referenced = BTreeSet::new();
    for response in &first.responses {
        pointed_to(&response["data"], "", &mut referenced);
    }
    let mut by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in &universe {
        by_type.entry(type_of(id)).or_default().push(id.clone());
    }
    for ids in by_type.values().filter(|ids| ids.len() > 12) {
        for id in ids.iter().filter(|id| !referenced.contains(*id)).skip(3) {
            universe.remove(id);
        }
    }
    // Once more, with the keys just found (by-key root fields).
    let second = crawl(app, model, &anct, &universe, 1).await;
    universe.extend(
        second
            .met
            .into_iter()
            .filter(|id| referenced.contains(id) || seen.contains(id)),
    );
    // Numbered objects (dense internal ids, unlike INSEE codes): their neighbours too.
    let mut universe = grown(&universe, model);
    for ty in &model.nodes {
        universe.insert(global(ty, "forged-key"));
    }
    universe
        .into_iter()
        .filter(|id| decode(id).is_some())
        .collect()
}

/// Roughly how many fields a piece of a document selects (the server allows 2,000).
fn weight(document: &str) -> usize {
    document
        .split_whitespace()
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        .filter(|w| !w.ends_with(':') && !w.ends_with(')'))
        .count()
}

/// Splits pieces of a document into requests of at most ten pieces and 1,500 fields.
fn batches(pieces: Vec<String>) -> Vec<Vec<(usize, String)>> {
    let mut batches: Vec<Vec<(usize, String)>> = Vec::new();
    let mut size = usize::MAX;
    for (i, piece) in pieces.into_iter().enumerate() {
        let w = weight(&piece);
        if size.saturating_add(w) > 1_500 || batches.last().is_none_or(|b| b.len() == 10) {
            batches.push(Vec::new());
            size = 0;
        }
        size += w;
        batches.last_mut().expect("a batch").push((i, piece));
    }
    batches
}

/// The objects that objects of another type point to.
fn pointed_to(value: &Value, parent: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            let mut here = parent.to_owned();
            if let Some(Value::String(id)) = fields.get("id")
                && decode(id).is_some()
            {
                if !parent.is_empty() && type_of(id) != parent {
                    out.insert(id.clone());
                }
                here = type_of(id);
            }
            fields.values().for_each(|v| pointed_to(v, &here, out));
        }
        Value::Array(items) => items.iter().for_each(|v| pointed_to(v, parent, out)),
        _ => {}
    }
}

fn type_of(id: &str) -> String {
    decode(id)
        .map(|(t, _)| <&str>::from(t).to_owned())
        .unwrap_or_default()
}

fn global(ty: &str, key: &str) -> String {
    encode(ty.parse().expect("a Node type of ours"), key)
}

// ---------------------------------------------------------------------------------------
// The world: every kind of actor, and a scenario that calls every mutation.

pub const AGENT_23: &str = "agent.gueret@t.fr";
pub const OPERATOR_LOCAL_59: &str = "cd59@t.fr";
pub const NO_ROLE: &str = "sans.role@t.fr";
/// ANCT's data-protection officer.
pub const DPO: &str = "dpo@t.fr";
/// The prefect of Corse-du-Sud, who has no convention yet: the scenario drafts one.
pub const PREFECT_2A: &str = "prefet.corse@t.fr";

/// One user of every kind: ANCT, two prefects, two auditors (one assigned, one not),
/// national, departmental and local operators, agents of two departments, ANCT's
/// data-protection officer, a user with no role.
pub fn actors() -> Vec<Caller> {
    [
        ANCT,
        PREFECT_59,
        PREFECT_23,
        AUDITOR,
        OTHER_AUDITOR,
        OPERATOR_CAF,
        OPERATOR_DGFIP_59,
        OPERATOR_LOCAL_59,
        AGENT_LILLE,
        AGENT_23,
        DPO,
        NO_ROLE,
    ]
    .into_iter()
    .map(|e| Caller::User(e.to_owned()))
    .collect()
}

/// The demo, with the users of [`actors`].
pub async fn spawn_world() -> TestApp {
    let app = spawn_app().await;
    let structure = |m: &str| ScopeArgs {
        structure: Some(m.into()),
        ..Default::default()
    };
    grant(&app, AGENT_23, Role::Agent, structure("DEMO-23-01")).await;
    let operator = |p: &str, d: Option<&str>| ScopeArgs {
        partner: Some(p.into()),
        department: d.map(Into::into),
        ..Default::default()
    };
    grant(
        &app,
        OPERATOR_DGFIP_59,
        Role::Operator,
        operator("DGFIP", Some("59")),
    )
    .await;
    grant(&app, OTHER_AUDITOR, Role::Auditor, ScopeArgs::default()).await;
    let department = |d: &str| ScopeArgs {
        department: Some(d.into()),
        ..Default::default()
    };
    grant(&app, PREFECT_2A, Role::Prefect, department("2A")).await;
    let local = "mutation { createLocalPartner(input: { code: \"CD59\", name: \"Département du Nord\", department: \"59\" }) { code } }";
    data(&app.query_as(PREFECT_59, local, json!({})).await);
    grant(
        &app,
        OPERATOR_LOCAL_59,
        Role::Operator,
        operator("CD59", Some("59")),
    )
    .await;
    grant(&app, DPO, Role::DataProtection, ScopeArgs::default()).await;
    // A user with no role: granted, then revoked.
    grant(&app, NO_ROLE, Role::Auditor, ScopeArgs::default()).await;
    users::revoke(&app.db, NO_ROLE, Role::Auditor, &ScopeArgs::default())
        .await
        .expect("revoke");
    app
}

/// What earlier steps answered, by step name.
pub type Saved = HashMap<&'static str, Value>;

/// The variables of a step, from what earlier steps answered and the caller's e-mail.
pub type Variables = Box<dyn Fn(&Saved, &str) -> Value>;

/// One call of the scenario: done by `by`; when `probe`, first tried by every other actor
/// and anonymously.
pub struct Step {
    pub name: &'static str,
    pub by: Caller,
    pub document: &'static str,
    /// The variables, from what earlier steps answered and the caller's e-mail.
    pub variables: Variables,
    pub probe: bool,
}

fn step(
    name: &'static str,
    by: &str,
    document: &'static str,
    variables: impl Fn(&Saved, &str) -> Value + 'static,
) -> Step {
    Step {
        name,
        by: if by.is_empty() {
            Caller::Anonymous
        } else {
            Caller::User(by.to_owned())
        },
        document,
        variables: Box::new(variables),
        probe: true,
    }
}

fn quiet(mut step: Step) -> Step {
    step.probe = false;
    step
}

fn at(saved: &Saved, name: &str, pointer: &str) -> Value {
    saved
        .get(name)
        .unwrap_or_else(|| panic!("no step {name} yet"))
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{name}: nothing at {pointer}: {}", saved[name]))
        .clone()
}

/// A small PDF, as an attachment.
fn attachment(name: &str) -> Value {
    use base64::Engine;
    let pdf = format!("%PDF-1.4\n% {name}\n%%EOF\n");
    json!({
        "fileName": name,
        "contentType": "application/pdf",
        "contentBase64": base64::engine::general_purpose::STANDARD.encode(pdf),
    })
}

/// Calls every mutation of the schema in an order that makes each one meaningful, building
/// a world with an object of every `Node` type. `today`, `day(n)` as the app's clock says.
pub fn scenario(app: &TestApp) -> Vec<Step> {
    let today = app.today();
    let day = |n: i64| -> &'static str { Box::leak(app.day(n).into_boxed_str()) };
    let (d2, d10, d11, dm3) = (day(2), day(10), day(11), day(-3));
    let year = chrono::Datelike::year(&today);
    let mut steps = vec![
        step(
            "local",
            PREFECT_2A,
            "mutation { createLocalPartner(input: { code: \"CD2A\", name: \"Collectivité de Corse\", department: \"2A\" }) { code } }",
            |_, _| json!({}),
        ),
        step(
            "framework",
            ANCT,
            "mutation($input: LoadCriteriaFrameworkInput!) { loadCriteriaFramework(input: $input) { version } }",
            |_, _| {
                json!({ "input": { "version": "2099", "label": "Référentiel 2099", "effectiveFrom": "2099-01-01",
                    "criteria": [{ "code": "C01", "theme": "Accessibilité", "label": "Ouverture 24 h par semaine",
                        "mandatory": true, "computable": false }] } })
            },
        ),
        step(
            "referent",
            PREFECT_59,
            "mutation($input: ReferentInput!) { createReferent(input: $input) { id } }",
            |_, _| {
                json!({ "input": { "partner": "CAF", "department": "59", "kind": "BACK_OFFICE",
                    "name": "Paul Référent", "email": "paul.referent@caf.fr", "phone": "0320000001" } })
            },
        ),
        quiet(step(
            "referent2",
            OPERATOR_CAF,
            "mutation($input: ReferentInput!) { createReferent(input: $input) { id } }",
            |_, _| {
                json!({ "input": { "partner": "CAF", "department": "59", "kind": "TRAINING",
                    "name": "Jeanne Provisoire", "email": "jeanne.provisoire@caf.fr" } })
            },
        )),
        step(
            "update",
            PREFECT_59,
            "mutation($id: ID!, $input: ReferentInput!) { updateReferent(id: $id, input: $input) { id } }",
            |s, _| {
                json!({ "id": at(s, "referent", "/createReferent/id"), "input": { "partner": "CAF",
                    "department": "59", "kind": "BACK_OFFICE", "name": "Paul Référent-Martin",
                    "email": "paul.referent@caf.fr" } })
            },
        ),
        step(
            "delete",
            OPERATOR_CAF,
            "mutation($id: ID!) { deleteReferent(id: $id) }",
            |s, _| json!({ "id": at(s, "referent2", "/createReferent/id") }),
        ),
        step(
            "draft",
            PREFECT_2A,
            "mutation { draftConvention(department: \"2A\", title: \"Convention Corse-du-Sud\") { status } }",
            |_, _| json!({}),
        ),
    ];
    for partner in crate::workflow::CORE {
        let by = if partner == "CAF" {
            OPERATOR_CAF
        } else {
            PREFECT_2A
        };
        steps.push(Step {
            probe: partner == "CAF",
            ..step(
                "sign",
                by,
                "mutation($p: String!) { signConvention(department: \"2A\", partner: $p) { status } }",
                move |_, _| json!({ "p": partner }),
            )
        });
    }
    steps.extend([
        step(
            "conclude",
            PREFECT_2A,
            "mutation { concludeConvention(department: \"2A\") { status } }",
            |_, _| json!({}),
        ),
        step(
            "add",
            PREFECT_2A,
            "mutation { addConventionPartner(department: \"2A\", partner: \"CD2A\") { status } }",
            |_, _| json!({}),
        ),
        step(
            "annex",
            PREFECT_59,
            "mutation { addAnnex(input: { structure: \"DEMO-59-02\", functioning: \"Permanences\", partners: [\"CD59\"] }) { status } }",
            |_, _| json!({}),
        ),
        step(
            "legacy",
            PREFECT_59,
            "mutation { extendLegacyMsapConvention(structure: \"DEMO-59-02\", endDate: \"2021-12-31\") { status } }",
            |_, _| json!({}),
        ),
        step(
            "propose",
            PREFECT_59,
            crate::workflow::PROPOSE,
            |_, _| json!({ "m": "DEMO-59-04", "v": 0, "sa": self_assessment(&[]) }),
        ),
        step("schedule", ANCT, crate::workflow::SCHEDULE, move |_, _| {
            json!({ "m": "DEMO-59-04", "v": 1, "a": AUDITOR, "on": d2 })
        }),
    ]);
    for i in 1..=30 {
        let record = step("record", AUDITOR, crate::workflow::RECORD, move |s, _| {
            json!({ "a": at(s, "schedule", "/scheduleLabelAudit/labelApplications/0/audit/id"),
                "c": format!("C{i:02}"), "met": true, "r": "Constaté sur place" })
        });
        steps.push(if i == 1 { record } else { quiet(record) });
    }
    steps.extend([
        step("submit", AUDITOR, crate::workflow::SUBMIT, |s, _| {
            json!({ "a": at(s, "schedule", "/scheduleLabelAudit/labelApplications/0/audit/id") })
        }),
        step("approve", ANCT, crate::workflow::APPROVE, |_, _| {
            json!({ "m": "DEMO-59-04", "v": 3 })
        }),
        step(
            "label",
            PREFECT_59,
            crate::workflow::LABEL,
            move |_, _| json!({ "m": "DEMO-59-04", "v": 4, "d": today.to_string() }),
        ),
        // Every actor tries to register themselves at the bus; then the code registers a
        // newcomer.
        step(
            "onboard",
            "",
            "mutation($c: String!, $a: [AgentInput!]!) { onboardStructure(code: $c, agents: $a) { registered } }",
            |s, caller| {
                let email = if caller == "anonymous" { "chloe.petit@bus.fr" } else { caller };
                json!({ "c": at(s, "label", "/labelStructure/invitationCode"),
                    "a": [person("Chloé Petit", email)] })
            },
        ),
        step(
            "withdraw",
            ANCT,
            crate::workflow::WITHDRAW,
            |_, _| json!({ "m": "DEMO-23-02", "v": 0, "r": "Fermeture" }),
        ),
        step(
            "funding",
            PREFECT_59,
            "mutation { grantFunding(input: { structure: \"DEMO-59-01\", kind: OPERATING, year: 2026 }) { year } }",
            |_, _| json!({}),
        ),
        // Every actor tries to register themselves at a structure of 59.
        step(
            "register",
            PREFECT_59,
            "mutation($input: AgentInput!) { registerAgent(structure: \"DEMO-59-02\", input: $input) { id } }",
            |_, caller| {
                let email = if caller == PREFECT_59 { "marc.nouveau@t.fr" } else { caller };
                json!({ "input": person("Marc Nouveau", email) })
            },
        ),
        step(
            "register_other",
            PREFECT_59,
            "mutation($input: AgentInput!) { registerAgent(structure: \"DEMO-59-01\", input: $input) { id } }",
            |_, caller| {
                // Everyone tries to attach the agent of 23; the prefect then registers a newcomer.
                let email = if caller == PREFECT_59 { "lea.nouvelle@t.fr" } else { AGENT_23 };
                json!({ "input": person("Léa Nouvelle", email) })
            },
        ),
        step(
            "session",
            PREFECT_59,
            "mutation($input: TrainingSessionInput!) { organiseTrainingSession(input: $input) { id } }",
            move |_, _| {
                json!({ "input": { "module": "COMMON_CORE", "department": "59", "place": "Lille",
                    "startsOn": d10, "endsOn": d11, "halfDays": 4, "capacity": 5 } })
            },
        ),
        quiet(step(
            "online",
            OPERATOR_CAF,
            "mutation($input: TrainingSessionInput!) { organiseTrainingSession(input: $input) { id } }",
            move |_, _| {
                json!({ "input": { "module": "PARTNER_TRAINING", "place": "En ligne", "startsOn": dm3,
                    "endsOn": dm3, "halfDays": 1, "trainerPartner": "CAF", "capacity": 50 } })
            },
        )),
        quiet(step(
            "agents",
            PREFECT_59,
            "{ structure(matricule: \"DEMO-59-01\") { agents { id email } } }",
            |_, _| json!({}),
        )),
        step(
            "enrol",
            AGENT_LILLE,
            "mutation($s: ID!, $a: ID!) { enrolInTrainingSession(session: $s, agent: $a) { id } }",
            |s, _| {
                json!({ "s": at(s, "session", "/organiseTrainingSession/id"),
                    "a": agent_id(s, AGENT_LILLE) })
            },
        ),
        quiet(step(
            "enrol_online",
            AGENT_LILLE,
            "mutation($s: ID!, $a: ID!) { enrolInTrainingSession(session: $s, agent: $a) { id } }",
            |s, _| {
                json!({ "s": at(s, "online", "/organiseTrainingSession/id"),
                    "a": agent_id(s, AGENT_LILLE) })
            },
        )),
        step(
            "attend",
            OPERATOR_CAF,
            "mutation($s: ID!, $a: ID!) { recordTrainingAttendance(session: $s, agent: $a, attended: true) { id } }",
            |s, _| {
                json!({ "s": at(s, "online", "/organiseTrainingSession/id"),
                    "a": agent_id(s, AGENT_LILLE) })
            },
        ),
        step(
            "send",
            AGENT_LILLE,
            "mutation($input: SupportRequestInput!) { sendSupportRequest(input: $input) { id } }",
            |_, _| {
                json!({ "input": { "structure": "DEMO-59-01", "partner": "CAF",
                    "subject": "Rupture de droits APL Durand", "description": "Dossier bloqué depuis mars",
                    "citizenName": "Camille Durand-Secret", "citizenDetails": "NIR 2 84 05 59 350 017 42",
                    "attachments": [attachment("avis-imposition-durand.pdf")] } })
            },
        ),
        step(
            "answer",
            OPERATOR_CAF,
            "mutation($r: ID!, $a: [AttachmentInput!]!) { writeSupportMessage(request: $r, body: \"Droits rétablis au 1er avril\", attachments: $a) { id } }",
            |s, _| {
                json!({ "r": at(s, "send", "/sendSupportRequest/id"),
                    "a": [attachment("attestation-caf-durand.pdf")] })
            },
        ),
        step(
            "close",
            OPERATOR_CAF,
            "mutation($r: ID!) { closeSupportRequest(request: $r) { id } }",
            |s, _| json!({ "r": at(s, "send", "/sendSupportRequest/id") }),
        ),
        step(
            "reopen",
            AGENT_LILLE,
            "mutation($r: ID!) { reopenSupportRequest(request: $r) { id } }",
            |s, _| json!({ "r": at(s, "send", "/sendSupportRequest/id") }),
        ),
        step(
            "entry",
            AGENT_LILLE,
            "mutation($input: ReportEntryInput!) { recordReportEntry(input: $input) { id } }",
            move |_, _| json!({ "input": entry(&today.to_string(), "CAF") }),
        ),
        step(
            "correct",
            AGENT_LILLE,
            "mutation($e: ID!, $input: ReportEntryInput!) { correctReportEntry(entry: $e, input: $input, reason: \"Mauvais partenaire\") { id } }",
            move |s, _| {
                json!({ "e": at(s, "entry", "/recordReportEntry/id"),
                    "input": entry(&today.to_string(), "MSA") })
            },
        ),
        step(
            "survey",
            ANCT,
            "mutation($input: SurveyCampaignInput!) { createSurveyCampaign(input: $input) { id } }",
            move |_, _| {
                json!({ "input": { "year": year, "audience": "USERS", "title": "Satisfaction",
                    "opensOn": today.to_string(), "closesOn": d2 } })
            },
        ),
        quiet(step(
            "agent_survey",
            ANCT,
            "mutation($input: SurveyCampaignInput!) { createSurveyCampaign(input: $input) { id } }",
            move |_, _| {
                json!({ "input": { "year": year, "audience": "AGENTS", "title": "Baromètre agents",
                    "opensOn": today.to_string(), "closesOn": d2 } })
            },
        )),
        step(
            "code",
            AGENT_LILLE,
            "mutation($c: ID!) { issueSurveyCode(campaign: $c, structure: \"DEMO-59-01\") }",
            |s, _| json!({ "c": at(s, "survey", "/createSurveyCampaign/id") }),
        ),
        step(
            "codes",
            AGENT_LILLE,
            "mutation($c: ID!) { issueSurveyCodes(campaign: $c, structure: \"DEMO-59-01\", count: 2) }",
            |s, _| json!({ "c": at(s, "survey", "/createSurveyCampaign/id") }),
        ),
        step(
            "answer_survey",
            "",
            "mutation($k: String!) { answerSurvey(code: $k, satisfaction: 4, recommend: true, comment: \"Accueil de Mme Verdier-Confidentiel\") }",
            |s, _| json!({ "k": at(s, "codes", "/issueSurveyCodes/0") }),
        ),
        step(
            "agent_answer",
            AGENT_LILLE,
            "mutation($c: ID!) { answerAgentSurvey(campaign: $c, structure: \"DEMO-59-01\", satisfaction: 3, comment: \"Charge lourde le lundi\") }",
            |s, _| json!({ "c": at(s, "agent_survey", "/createSurveyCampaign/id") }),
        ),
        step(
            "mystery",
            ANCT,
            "mutation($y: Int!) { createMysteryCampaign(input: { year: $y, label: \"Visites\", perDepartment: 1, seed: 7 }) { id visits { id } } }",
            move |_, _| json!({ "y": year }),
        ),
        step(
            "assign",
            ANCT,
            "mutation($v: ID!) { assignMysteryVisitor(visit: $v, visitor: \"auditeur@demo.maillage.fr\") { id } }",
            |s, _| json!({ "v": at(s, "mystery", "/createMysteryCampaign/visits/0/id") }),
        ),
        step(
            "visit",
            AUDITOR,
            "mutation($v: ID!, $on: Date!, $s: [MysteryScoreInput!]!) { recordMysteryVisit(visit: $v, visitedOn: $on, scores: $s, comment: \"Attente longue\") { id } }",
            move |s, _| {
                let scores: Vec<Value> = ["WELCOME", "WAITING_TIME", "LISTENING", "ANSWER_QUALITY", "FOLLOW_UP", "PREMISES"]
                    .iter()
                    .map(|item| json!({ "item": item, "score": 7 }))
                    .collect();
                json!({ "v": at(s, "mystery", "/createMysteryCampaign/visits/0/id"),
                    "on": today.to_string(), "s": scores })
            },
        ),
        // A second campaign stays unpublished.
        quiet(step(
            "mystery2",
            ANCT,
            "mutation($y: Int!) { createMysteryCampaign(input: { year: $y, label: \"Vague 2\", perDepartment: 1, seed: 11 }) { id visits { id } } }",
            move |_, _| json!({ "y": year }),
        )),
        step(
            "publish",
            ANCT,
            "mutation($c: ID!) { publishMysteryCampaign(campaign: $c) { id } }",
            |s, _| json!({ "c": at(s, "mystery", "/createMysteryCampaign/id") }),
        ),
        step(
            "newsite",
            PREFECT_59,
            "mutation { createStructure(department: \"59\", input: { name: \"France services de Roubaix\", commune: \"59350\", format: BUS }) { matricule } }",
            |_, _| json!({}),
        ),
        step(
            "facts",
            PREFECT_59,
            "mutation($s: String!) { updateStructure(structure: $s, expectedVersion: 1, input: { pmrAccess: true, email: \"roubaix@fs.fr\" }) { matricule } }",
            |s, _| json!({ "s": at(s, "newsite", "/createStructure/matricule") }),
        ),
        step(
            "stops",
            ANCT,
            "mutation($s: String!) { setStructureStops(structure: $s, expectedVersion: 2, stops: [{ commune: \"59392\", day: MONDAY, opens: \"09:00\", closes: \"12:00\" }]) { matricule } }",
            |s, _| json!({ "s": at(s, "newsite", "/createStructure/matricule") }),
        ),
        step(
            "close",
            PREFECT_2A,
            "mutation($on: Date!) { closeStructure(structure: \"DEMO-2A-01\", expectedVersion: 0, on: $on, reason: \"Travaux\") { matricule } }",
            move |_, _| json!({ "on": today.to_string() }),
        ),
        step(
            "reopen",
            ANCT,
            "mutation { reopenStructure(structure: \"DEMO-2A-01\", expectedVersion: 1) { matricule } }",
            |_, _| json!({}),
        ),
        step(
            "target",
            ANCT,
            "mutation { setDeploymentTarget(department: \"59\", target: 40) { code } }",
            |_, _| json!({}),
        ),
        step(
            "apikey",
            ANCT,
            "mutation { createApiKey(input: { name: \"reach-script\", role: OPERATOR, partner: \"CAF\", expiresInDays: 30 }) { apiKey { name role } } }",
            |_, _| json!({}),
        ),
        step(
            "revokekey",
            ANCT,
            "mutation { revokeApiKey(name: \"reach-script\") { name revokedAt } }",
            |_, _| json!({}),
        ),
        step(
            "erase",
            DPO,
            "mutation($r: ID!) { eraseCitizenRequests(requests: [$r], reason: \"Demande de Camille Durand-Secret\") }",
            |s, _| json!({ "r": at(s, "send", "/sendSupportRequest/id") }),
        ),
    ]);
    steps
}

fn entry(day: &str, partner: &str) -> Value {
    json!({ "structure": "DEMO-59-01", "occurredOn": day, "partner": partner, "theme": "FAMILY",
        "helpKind": "INFORMATION", "resolvedOnSite": true, "durationMinutes": 15 })
}

fn agent_id(saved: &Saved, email: &str) -> Value {
    at(saved, "agents", "/structure/agents")
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["email"] == email)
        .map(|a| a["id"].clone())
        .unwrap_or_else(|| panic!("no agent {email}"))
}

/// Runs the scenario by its intended actors only; returns the ids its answers showed.
pub async fn build_world(app: &TestApp) -> BTreeSet<String> {
    let mut saved = Saved::new();
    let mut seen = BTreeSet::new();
    for step in scenario(app) {
        let variables = (step.variables)(&saved, step.by.email());
        let response = ask(app, &step.by, step.document, variables).await;
        assert!(
            response.get("errors").is_none(),
            "step {} by {}: {response}",
            step.name,
            step.by.email()
        );
        let answer = response["data"].clone();
        ids_in(&answer, &mut seen);
        saved.insert(step.name, answer);
    }
    seen
}

// ---------------------------------------------------------------------------------------
// The tests.

/// The types whose every object (that ANCT reads) a signed-in user with no role reads too:
/// public reference data.
fn public_types(model: &Model, anct: &NodeReads, no_role: &NodeReads) -> BTreeSet<String> {
    let type_of = |id: &String| decode(id).map(|(t, _)| <&str>::from(t).to_owned());
    model
        .nodes
        .iter()
        .filter(|ty| {
            let mut of_type = anct
                .objects
                .keys()
                .filter(|id| type_of(id).as_ref() == Some(*ty))
                .peekable();
            of_type.peek().is_some() && of_type.all(|id| no_role.objects.contains_key(id))
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn every_node_type_answers_by_the_rule_of_its_lists_and_relations_for_every_actor() {
    let model = Model::load();
    let app = spawn_world().await;
    let seen = build_world(&app).await;
    let universe = universe(&app, &model, &seen).await;
    let anct = read_nodes(&app, &model, &Caller::User(ANCT.into()), &universe, 1).await;
    // The world has an object of every `Node` type, read by ANCT.
    for ty in &model.nodes {
        let found = anct
            .objects
            .keys()
            .any(|id| decode(id).is_some_and(|(t, _)| <&str>::from(t) == ty.as_str()));
        assert!(
            found,
            "no {ty} in the world: add a step that creates one to `scenario`"
        );
    }
    // Anonymous callers read nothing.
    let anonymous = read_nodes(&app, &model, &Caller::Anonymous, &universe, 0).await;
    assert!(anonymous.objects.is_empty(), "{:?}", anonymous.objects);
    assert!(
        anonymous
            .refused
            .values()
            .all(|codes| codes == &["UNAUTHENTICATED"]),
        "{:?}",
        anonymous.refused
    );
    let no_role = read_nodes(&app, &model, &Caller::User(NO_ROLE.into()), &universe, 1).await;
    let public = public_types(&model, &anct, &no_role);
    for actor in actors() {
        let reads = read_nodes(&app, &model, &actor, &universe, 1).await;
        for (id, codes) in &reads.refused {
            assert_eq!(codes, &["NOT_FOUND"], "{}: node({id})", actor.email());
        }
        let crawl = crawl(&app, &model, &actor, &universe, 1).await;
        let who = actor.email();
        // A relation never shows an object `node` refuses.
        for id in crawl.met.intersection(&universe) {
            assert!(
                reads.objects.contains_key(id),
                "{who}: {} is shown by a list or relation but refused by node(id)",
                describe(id)
            );
        }
        // `node` shows nothing that no list or relation shows (public reference data aside):
        // what a caller reaches from the roots, and from there on.
        let mut reached = crawl.met.clone();
        loop {
            let mut more = BTreeSet::new();
            for id in &reached {
                if let Some(value) = reads.values.get(id) {
                    ids_in(value, &mut more);
                }
            }
            let before = reached.len();
            reached.extend(more);
            if reached.len() == before {
                break;
            }
        }
        for id in reads.objects.keys() {
            let ty = decode(id)
                .map(|(t, _)| <&str>::from(t).to_owned())
                .unwrap_or_default();
            assert!(
                public.contains(&ty) || reached.contains(id),
                "{who}: node(id) reads {} which no list or relation shows them",
                describe(id)
            );
        }
        // The same fields are refused on every path: the lists, the relations of every
        // object read, and `node`.
        let mut paths: Vec<(String, String, BTreeSet<String>)> = crawl
            .full
            .iter()
            .filter(|(id, _)| universe.contains(*id))
            .map(|(id, refused)| (id.clone(), "a root field".to_owned(), refused.clone()))
            .collect();
        for (id, seen) in reads
            .related
            .iter()
            .filter(|(id, _)| universe.contains(*id))
        {
            for (from, refused) in seen {
                paths.push((id.clone(), format!("a relation of {from}"), refused.clone()));
            }
        }
        for (id, path, refused) in &paths {
            let by_node = reads.objects.get(id).cloned().unwrap_or_default();
            let only_here: Vec<_> = refused.difference(&by_node).collect();
            let only_node: Vec<_> = by_node.difference(refused).collect();
            assert!(
                only_here.is_empty() && only_node.is_empty(),
                "{who}: {} read through {path}: refused there only {only_here:?}, through node only {only_node:?}",
                describe(id)
            );
        }
    }
}

fn describe(id: &str) -> String {
    decode(id)
        .map(|(t, k)| format!("{}:{k}", <&str>::from(t)))
        .unwrap_or_else(|| id.to_owned())
}

#[tokio::test]
async fn no_value_refused_to_a_reader_reaches_them_by_another_path() {
    let model = Model::load();
    let app = spawn_world().await;
    let seen = build_world(&app).await;
    let universe = universe(&app, &model, &seen).await;
    let mut reads = BTreeMap::new();
    let mut texts = BTreeMap::new();
    for actor in actors() {
        let read = read_nodes(&app, &model, &actor, &universe, 1).await;
        let crawl = crawl(&app, &model, &actor, &universe, 1).await;
        // What they read through the fields the rules give them, and everything they are
        // shown (the audit log's `before` and `after` among it).
        let (mut legitimate, mut shown) = (BTreeSet::new(), BTreeSet::new());
        for value in read.values.values().chain(&crawl.responses) {
            strings_in(value, true, &mut legitimate);
            strings_in(value, false, &mut shown);
        }
        texts.insert(actor.clone(), (legitimate, shown));
        reads.insert(actor, read);
    }
    let public = public_types(
        &model,
        &reads[&Caller::User(ANCT.into())],
        &reads[&Caller::User(NO_ROLE.into())],
    );
    let mut checked = 0;
    for (actor, read) in &reads {
        // The values of the fields refused to them, as those who may read them read them.
        let mut secrets: BTreeMap<String, String> = BTreeMap::new();
        for (other, their) in &reads {
            for (id, value) in &their.values {
                if public.contains(&type_of(id)) {
                    continue;
                }
                let refused: BTreeSet<String> = match read.objects.get(id) {
                    None => value
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k.clone())
                        .collect(),
                    Some(refused) => refused
                        .iter()
                        .filter_map(|f| f.split('.').next().map(str::to_owned))
                        .collect(),
                };
                for field in refused.iter().filter(|f| *f != "__typename" && *f != "id") {
                    let mut values = BTreeSet::new();
                    strings_in(&value[field.as_str()], false, &mut values);
                    for v in values
                        .into_iter()
                        .filter(|v| v.chars().count() >= 8 && decode(v).is_none())
                    {
                        secrets.insert(
                            v,
                            format!("{}.{field} (read by {})", describe(id), other.email()),
                        );
                    }
                }
            }
        }
        let (legitimate, shown) = &texts[actor];
        for (secret, whence) in &secrets {
            checked += 1;
            assert!(
                legitimate.contains(secret) || !shown.contains(secret),
                "{}: is shown {secret:?}, the value of {whence}, refused to them",
                actor.email()
            );
        }
    }
    assert!(checked > 100, "only {checked} values checked");
}

/// The mutation fields a document calls.
fn mutations_in(model: &Model, document: &str) -> Vec<String> {
    model
        .roots("Mutation")
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| {
            document.contains(&format!("{{ {name}("))
                || document.contains(&format!("{{\n    {name}("))
                || document.contains(&format!(" {name}("))
        })
        .collect()
}

/// The reach of every actor (objects and fields they read, public reference data aside)
/// and every actor's role assignments.
struct Snapshot {
    reach: BTreeMap<Caller, BTreeSet<String>>,
    roles: BTreeMap<Caller, Value>,
    /// Objects read in full (no field refused), per actor.
    in_full: BTreeMap<Caller, BTreeSet<String>>,
}

async fn snapshot(
    app: &TestApp,
    model: &Model,
    universe: &BTreeSet<String>,
    public: &BTreeSet<String>,
) -> Snapshot {
    let private: BTreeSet<String> = universe
        .iter()
        .filter(|id| !public.contains(&type_of(id)))
        .cloned()
        .collect();
    let mut snapshot = Snapshot {
        reach: BTreeMap::new(),
        roles: BTreeMap::new(),
        in_full: BTreeMap::new(),
    };
    let query = "{ me { roles { role department { code } partner { code } structure { id } } } }";
    let measured = futures::future::join_all(actors().into_iter().map(|actor| {
        let private = &private;
        async move {
            let reads = read_nodes(app, model, &actor, private, LEAN).await;
            let me = ask(app, &actor, query, json!({})).await;
            (actor, reads, me)
        }
    }))
    .await;
    for (actor, reads, me) in measured {
        snapshot
            .reach
            .insert(actor.clone(), reads.reach(model, &private));
        let full = reads
            .objects
            .iter()
            .filter(|(_, refused)| refused.is_empty())
            .map(|(id, _)| id.clone())
            .collect();
        snapshot.in_full.insert(actor.clone(), full);
        let mut roles: Vec<Value> = data(&me)["me"]["roles"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        roles.sort_by_key(Value::to_string);
        snapshot.roles.insert(actor, Value::from(roles));
    }
    snapshot
}

/// The objects known to exist, with the next numbered ids (objects created without showing
/// in an answer).
fn grown(real: &BTreeSet<String>, model: &Model) -> BTreeSet<String> {
    let mut universe = real.clone();
    for ty in &model.nodes {
        let numbers: Vec<i64> = real
            .iter()
            .filter(|id| &type_of(id) == ty)
            .filter_map(|id| decode(id).and_then(|(_, k)| k.parse().ok()))
            .collect();
        let top = numbers.iter().copied().max().unwrap_or_default();
        if top <= 4 * numbers.len() as i64 + 10 {
            for n in 1..=top + 2 {
                universe.insert(global(ty, &n.to_string()));
            }
        }
    }
    universe
}

/// Adds to `real` the objects a call created without showing them (the next numbered ids,
/// as ANCT reads them).
async fn discover(app: &TestApp, model: &Model, real: &mut BTreeSet<String>) {
    loop {
        let forged: BTreeSet<String> = grown(real, model).difference(real).cloned().collect();
        let anct = read_nodes(app, model, &Caller::User(ANCT.into()), &forged, LEAN).await;
        if anct.objects.is_empty() {
            return;
        }
        real.extend(anct.objects.into_keys());
    }
}

/// What a successful call by `caller` may change: the caller reads nothing more of what
/// existed (unless they held no role: the onboarding of a new account); nobody else's roles
/// change unless the caller is ANCT, the person held no role, or every structure of their
/// roles is one the caller reads in full (a prefect attaching an agent of their own
/// department to another of its structures).
fn check(step: &str, caller: &Caller, before: &Snapshot, after: &Snapshot) {
    let who = caller.email();
    if let (Some(had), Some(has)) = (before.reach.get(caller), after.reach.get(caller)) {
        let held_roles = before.roles[caller]
            .as_array()
            .is_some_and(|r| !r.is_empty());
        // What existed: every object ANCT read.
        let existed = &before.reach[&Caller::User(ANCT.into())];
        let gained: Vec<&String> = has
            .iter()
            .filter(|key| {
                let object = key.split('/').next().unwrap_or_default();
                existed.contains(object) && !had.contains(*key)
            })
            .collect();
        assert!(
            gained.is_empty() || !held_roles,
            "{step} by {who}: the caller now reads {:?}",
            gained.iter().map(|k| describe_key(k)).collect::<Vec<_>>()
        );
        assert!(
            before.roles[caller] == after.roles[caller] || !held_roles,
            "{step} by {who}: the caller's roles changed from {} to {}",
            before.roles[caller],
            after.roles[caller]
        );
    }
    let anct = before
        .roles
        .get(caller)
        .is_some_and(|r| r.to_string().contains("\"ANCT\""));
    for (person, had) in &before.roles {
        if person == caller || anct || after.roles[person] == *had {
            continue;
        }
        let roles = had.as_array().cloned().unwrap_or_default();
        let in_scope = roles.iter().all(|role| {
            role["structure"]["id"]
                .as_str()
                .is_some_and(|s| before.in_full.get(caller).is_some_and(|f| f.contains(s)))
        });
        assert!(
            roles.is_empty() || in_scope,
            "{step} by {who}: the roles of {} changed from {had} to {}",
            person.email(),
            after.roles[person]
        );
    }
}

fn describe_key(key: &str) -> String {
    match key.split_once('/') {
        Some((id, field)) => format!("{}.{field}", describe(id)),
        None => describe(key),
    }
}

#[tokio::test]
async fn no_mutation_widens_its_callers_reads_or_changes_the_roles_of_someone_outside_their_scope()
{
    let model = Model::load();
    let app = spawn_world().await;
    let steps = scenario(&app);
    // Every mutation of the schema is called, by every kind of actor and anonymously.
    let probed: BTreeSet<String> = steps
        .iter()
        .filter(|s| s.probe)
        .flat_map(|s| mutations_in(&model, s.document))
        .collect();
    for (mutation, _) in model.roots("Mutation") {
        assert!(
            probed.contains(&mutation),
            "Mutation.{mutation} is not called by `scenario` (with `probe`): add a step"
        );
    }
    let start = universe(&app, &model, &BTreeSet::new()).await;
    let no_role = read_nodes(&app, &model, &Caller::User(NO_ROLE.into()), &start, LEAN).await;
    let anct = read_nodes(&app, &model, &Caller::User(ANCT.into()), &start, LEAN).await;
    let public = public_types(&model, &anct, &no_role);
    let mut real: BTreeSet<String> = anct.objects.keys().cloned().collect();
    let mut saved = Saved::new();
    let mut current: Option<Snapshot> = None;
    let mut successes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for step in &steps {
        let mut callers: Vec<Caller> = if step.probe {
            actors()
                .into_iter()
                .chain([Caller::Anonymous])
                .filter(|c| *c != step.by)
                .collect()
        } else {
            Vec::new()
        };
        callers.push(step.by.clone());
        let mut done = false;
        for caller in callers {
            if step.probe && current.is_none() {
                current = Some(snapshot(&app, &model, &real, &public).await);
            }
            let variables = (step.variables)(&saved, caller.email());
            let response = ask(&app, &caller, step.document, variables).await;
            let ok = response.get("errors").is_none();
            assert!(
                ok || done || caller != step.by,
                "step {} by {}: {response}",
                step.name,
                caller.email()
            );
            if !ok {
                continue;
            }
            done = true;
            ids_in(&response["data"], &mut real);
            saved.insert(step.name, response["data"].clone());
            for mutation in mutations_in(&model, step.document) {
                successes
                    .entry(mutation)
                    .or_default()
                    .insert(caller.email().to_owned());
            }
            discover(&app, &model, &mut real).await;
            if !step.probe {
                current = None;
                continue;
            }
            let before = current.take().expect("a snapshot");
            let after = snapshot(&app, &model, &real, &public).await;
            check(step.name, &caller, &before, &after);
            current = Some(after);
        }
    }
    // Each mutation succeeded for someone: the checks above ran on real changes.
    for (mutation, _) in model.roots("Mutation") {
        assert!(
            successes.contains_key(&mutation),
            "{mutation} never succeeded"
        );
    }
}
