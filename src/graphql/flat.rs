//! Lists of small objects answered without a future per field (issue 17, goal 1).
//!
//! async-graphql resolves each object of a list as a future that joins one boxed future per
//! selected field, then gathers their answers in a map. For a `Partner` asked for its `code`
//! that machinery costs far more than the answer: the structures page with its effective
//! partners resolves about 450 of them, and they took about 18 % of the server's CPU.
//!
//! A [`FlatObject`] names the fields that read only the object itself, cannot fail, take no
//! argument and are guarded by nothing. When every field selected on a [`FlatList`]'s items
//! is one of them (or `__typename`), written plainly (no fragment, no directive), the list
//! is answered at once, in the selection's order. Any other selection takes async-graphql's
//! own path, item by item, so a client sees the same answer either way
//! (`tests/api/partners.rs` asks both ways and compares).
//!
//! The schema is unchanged: a `FlatList<T>` is the GraphQL type of a `Vec<T>`.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};

/// An object type some of whose fields can be answered without a future.
pub trait FlatObject: OutputType {
    /// The fields [`FlatObject::flat_field`] answers: each must give exactly what the
    /// object's own resolver gives.
    const FLAT: &'static [&'static str];

    /// The value of `name`, one of [`FlatObject::FLAT`].
    fn flat_field(&self, name: &str) -> Value;
}

/// A list of `T`, answered at once when its selection allows (see the module). Shared, so
/// that a list kept between requests is answered without a copy.
pub struct FlatList<T>(pub Arc<[T]>);

impl<T> From<Vec<T>> for FlatList<T> {
    fn from(items: Vec<T>) -> Self {
        Self(items.into())
    }
}

impl<T: FlatObject> OutputType for FlatList<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        // The schema registers no extension (`schema.rs`), so no hook misses these fields.
        if let Some(keys) = flat_selection::<T>(field) {
            let typename = T::type_name();
            let items = self
                .0
                .iter()
                .map(|item| {
                    let mut object = IndexMap::with_capacity(keys.len());
                    for (key, name) in &keys {
                        let value = match *name {
                            "__typename" => Value::String(typename.to_string()),
                            name => item.flat_field(name),
                        };
                        object.insert(key.clone(), value);
                    }
                    Value::Object(object)
                })
                .collect();
            return Ok(Value::List(items));
        }
        resolve_list(ctx, field, self.0.iter(), Some(self.0.len())).await
    }
}

/// The response keys and field names selected on the items of `field`, when every one is
/// plain and flat.
fn flat_selection<T: FlatObject>(
    field: &Positioned<Field>,
) -> Option<Vec<(async_graphql::Name, &str)>> {
    field
        .node
        .selection_set
        .node
        .items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(selected) => {
                let node = &selected.node;
                let name = node.name.node.as_str();
                (node.arguments.is_empty()
                    && node.directives.is_empty()
                    && node.selection_set.node.items.is_empty()
                    && (name == "__typename" || T::FLAT.contains(&name)))
                .then(|| (node.response_key().node.clone(), name))
            }
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => None,
        })
        .collect()
}
