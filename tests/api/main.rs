//! Integration tests of maillage, end to end through HTTP GraphQL. One binary; each test
//! spawns its own app on port 0 with a fresh database.

mod agents;
mod api_keys;
mod audit;
mod auth;
mod browser;
mod cli;
mod conventions;
mod criteria;
mod dashboard;
mod data_filter;
mod first_run;
mod funding;
mod helpers;
mod idempotency;
mod import;
mod introspection;
mod labelling;
mod lifecycle;
mod oidc;
mod partners;
mod policy;
mod quality;
mod queries;
mod races;
mod reach;
mod reference;
mod referents;
mod reporting;
mod schema;
mod server;
mod structures;
mod support;
mod widening;
mod workflow;
