//! Spec-exact partial results (issue 11). async-graphql 7 leaves a field that failed out of
//! `data` altogether; the GraphQL specification wants it there as `null`, and when the field
//! is non-null, the null to take the place of its nearest nullable parent (up to `data`
//! itself). This pass, run on every response that holds field errors, puts them back: it
//! follows each error's path through the document (aliases and fragments) and the schema's
//! types, writes `null` at the failed field and propagates it through non-null positions.

use std::collections::HashMap;
use std::sync::OnceLock;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, Type, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{PathSegment, Response, Value};

/// The output types of the schema: `(type, field) → field type`.
struct Types {
    fields: HashMap<(String, String), Type>,
    query: String,
    mutation: String,
}

fn types() -> &'static Types {
    static TYPES: OnceLock<Types> = OnceLock::new();
    TYPES.get_or_init(|| {
        let mut fields = HashMap::new();
        let (mut query, mut mutation) = ("Query".to_owned(), "Mutation".to_owned());
        // The SDL of our own schema always parses; an empty map only disables this pass.
        if let Ok(document) = async_graphql::parser::parse_schema(super::sdl()) {
            for definition in document.definitions {
                let t = match definition {
                    TypeSystemDefinition::Type(t) => t,
                    TypeSystemDefinition::Schema(s) => {
                        if let Some(q) = &s.node.query {
                            query = q.node.to_string();
                        }
                        if let Some(m) = &s.node.mutation {
                            mutation = m.node.to_string();
                        }
                        continue;
                    }
                    TypeSystemDefinition::Directive(_) => continue,
                };
                let name = t.node.name.node.to_string();
                let list = match t.node.kind {
                    TypeKind::Object(o) => o.fields,
                    TypeKind::Interface(i) => i.fields,
                    _ => continue,
                };
                for field in list {
                    let field = field.node;
                    fields.insert((name.clone(), field.name.node.to_string()), field.ty.node);
                }
            }
        }
        Types {
            fields,
            query,
            mutation,
        }
    })
}

/// The field selected under response key `key` in `set` (looking into fragments), with the
/// type that owns it (the type condition of an inline fragment or fragment, else `parent`).
fn find<'d>(
    document: &'d ExecutableDocument,
    set: &'d SelectionSet,
    parent: &str,
    key: &str,
    depth: usize,
) -> Option<(String, &'d str, &'d SelectionSet)> {
    if depth > 32 {
        return None;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                if field.node.response_key().node.as_str() == key {
                    return Some((
                        parent.to_owned(),
                        field.node.name.node.as_str(),
                        &field.node.selection_set.node,
                    ));
                }
            }
            Selection::InlineFragment(inline) => {
                let owner = inline
                    .node
                    .type_condition
                    .as_ref()
                    .map_or(parent, |c| c.node.on.node.as_str());
                if let Some(found) = find(
                    document,
                    &inline.node.selection_set.node,
                    owner,
                    key,
                    depth + 1,
                ) {
                    return Some(found);
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document
                    .fragments
                    .get(spread.node.fragment_name.node.as_str())
                {
                    let owner = fragment.node.type_condition.node.on.node.as_str();
                    if let Some(found) = find(
                        document,
                        &fragment.node.selection_set.node,
                        owner,
                        key,
                        depth + 1,
                    ) {
                        return Some(found);
                    }
                }
            }
        }
    }
    None
}

/// The response keys selected in `set`, fragments included, each once, in the order of the
/// selection (type conditions aside, as in [`find`]).
fn keys_in_order<'d>(document: &'d ExecutableDocument, set: &'d SelectionSet) -> Vec<&'d str> {
    fn walk<'d>(
        document: &'d ExecutableDocument,
        set: &'d SelectionSet,
        out: &mut Vec<&'d str>,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.as_str();
                    if !out.contains(&key) {
                        out.push(key);
                    }
                }
                Selection::InlineFragment(inline) => {
                    walk(document, &inline.node.selection_set.node, out, depth + 1);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document
                        .fragments
                        .get(spread.node.fragment_name.node.as_str())
                    {
                        walk(document, &fragment.node.selection_set.node, out, depth + 1);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(document, set, &mut out, 0);
    out
}

/// Whether each position of `path` may hold null, from the root field down, with the
/// selection set each position's field was selected in (`None` when the path cannot be
/// followed: the pass leaves that error alone).
fn nullability<'d>(
    document: &'d ExecutableDocument,
    operation: Option<&str>,
    path: &[PathSegment],
) -> Option<Vec<(bool, &'d SelectionSet)>> {
    let types = types();
    let op = match operation {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n == name)),
        None => document.operations.iter().next(),
    }?
    .1;
    let mut parent = match op.node.ty {
        OperationType::Query => types.query.clone(),
        OperationType::Mutation => types.mutation.clone(),
        OperationType::Subscription => return None,
    };
    let mut set = &op.node.selection_set.node;
    let mut current: Option<Type> = None;
    let mut out = Vec::with_capacity(path.len());
    for segment in path {
        match segment {
            PathSegment::Field(key) => {
                // Inside an object: the owner is the named type of the position we are at.
                if let Some(t) = &current {
                    parent = named(t)?.to_owned();
                }
                let (owner, name, next) = find(document, set, &parent, key, 0)?;
                let ty = types
                    .fields
                    .get(&(owner, name.to_owned()))
                    .or_else(|| {
                        // A field of a concrete type reached through an interface or union:
                        // any type declaring it has the same field type for our schema.
                        types
                            .fields
                            .iter()
                            .find(|((_, f), _)| f == name)
                            .map(|(_, t)| t)
                    })?
                    .clone();
                out.push((ty.nullable, set));
                current = Some(ty);
                set = next;
            }
            PathSegment::Index(_) => {
                let item = match &current.as_ref()?.base {
                    BaseType::List(item) => (**item).clone(),
                    BaseType::Named(_) => return None,
                };
                out.push((item.nullable, set));
                current = Some(item);
            }
        }
    }
    Some(out)
}

fn named(t: &Type) -> Option<&str> {
    match &t.base {
        BaseType::Named(name) => Some(name.as_str()),
        BaseType::List(item) => named(item),
    }
}

/// The value at `path` under `data`, if every step exists.
fn at<'v>(data: &'v mut Value, path: &[PathSegment]) -> Option<&'v mut Value> {
    path.iter()
        .try_fold(data, |value, segment| match (value, segment) {
            (Value::Object(map), PathSegment::Field(key)) => map.get_mut(key.as_str()),
            (Value::List(items), PathSegment::Index(i)) => items.get_mut(*i),
            _ => None,
        })
}

/// Puts every failed field of `response` back as `null`, propagated as the specification
/// says; `document` and `operation` are the request's document and operation name.
pub fn restore(response: &mut Response, document: &ExecutableDocument, operation: Option<&str>) {
    let mut paths: Vec<Vec<PathSegment>> = response
        .errors
        .iter()
        .filter(|e| !e.path.is_empty())
        .map(|e| e.path.clone())
        .collect();
    if paths.is_empty() {
        return;
    }
    // Execution ran: an empty `data` (every root field failed) is an object to fill.
    if matches!(response.data, Value::Null) {
        response.data = Value::Object(Default::default());
    }
    paths.sort_by_key(Vec::len);
    for path in paths {
        let Some(nullable) = nullability(document, operation, &path) else {
            continue;
        };
        // The position that takes the null: the failed field, or its nearest nullable parent.
        let mut end = path.len();
        while end > 0 && !nullable[end - 1].0 {
            end -= 1;
        }
        if end == 0 {
            response.data = Value::Null;
            return;
        }
        let (parent, last) = path[..end].split_at(end - 1);
        if matches!(response.data, Value::Null) {
            // `data` null already (an earlier propagation reached it).
            return;
        }
        match (at(&mut response.data, parent), &last[0]) {
            (Some(Value::Object(map)), PathSegment::Field(key)) => {
                if let Some(value) = map.get_mut(key.as_str()) {
                    *value = Value::Null;
                } else {
                    // Left out by the executor: the null takes its place in the selection's
                    // order, before the first key present that was selected after it.
                    let order = keys_in_order(document, nullable[end - 1].1);
                    let rank = |k: &str| order.iter().position(|o| *o == k);
                    let own = rank(key);
                    let at = map
                        .keys()
                        .position(|k| rank(k.as_str()) > own)
                        .unwrap_or(map.len());
                    map.shift_insert(at, async_graphql::Name::new(key), Value::Null);
                }
            }
            (Some(Value::List(items)), PathSegment::Index(i)) => {
                if let Some(item) = items.get_mut(*i) {
                    *item = Value::Null;
                }
            }
            // A parent already null (or gone with an earlier error): nothing to write.
            _ => {}
        }
    }
}
