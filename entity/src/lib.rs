//! sea-orm entities of maillage: one module per table.
//!
//! Entities are plain storage shapes; rules live in `maillage::domain` and use cases in
//! `maillage::service`.

pub mod app_user;
pub mod audit_log;
pub mod canton;
pub mod commune;
pub mod criteria_framework;
pub mod criterion;
pub mod department;
pub mod partner;
pub mod referent;
pub mod region;
pub mod role_assignment;
pub mod structure;
