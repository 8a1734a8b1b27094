//! maillage: the GraphQL platform of the France Services network.
//!
//! Data flows one way: GraphQL resolver (thin) → service (authorize, query, apply domain
//! rules) → entity. See `README.md` for the commands and `src/authorization.polar` for who
//! may see what.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod front;
pub mod graphql;
pub mod metrics;
pub mod service;
pub mod signin;
pub mod startup;
pub mod telemetry;
pub mod vault;
