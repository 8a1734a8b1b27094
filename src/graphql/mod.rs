//! The GraphQL API: schema, request context, DataLoaders, queries and object types.
//! Resolvers are thin: they read arguments, call a service and wrap the result.

pub mod context;
pub mod documents;
pub mod flat;
pub mod graphiql;
pub mod http;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod nulls;
pub mod pagination;
pub mod query;
pub mod scalars;
pub mod schema;
pub mod subscription;
pub mod types;

pub use schema::{MaillageSchema, schema, sdl};
