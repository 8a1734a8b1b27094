//! Use cases: load, check, change. sea-orm queries live here, and every read is scoped by
//! the actor (SQL scope for lists, the policy for by-key reads).

pub mod agents;
pub mod api_keys;
pub mod audit;
pub mod compliance;
pub mod conventions;
pub mod coverage;
pub mod criteria;
pub mod csv_file;
pub mod dashboard;
pub mod demo;
pub mod export_sites;
pub mod funding;
pub mod guesses;
pub mod idempotency;
pub mod import_reference;
pub mod import_sites;
pub mod labelling;
pub mod mystery;
pub mod paging;
pub mod partners;
pub mod privacy;
pub mod purge;
pub mod reference;
pub mod reference_cache;
pub mod referents;
pub mod reporting;
pub mod sessions;
pub mod sql;
pub mod structure_life;
pub mod structures;
pub mod support;
pub mod surveys;
pub mod synthetic;
pub mod training;
pub mod users;
