//! sea-orm migrations of maillage. Each has a working `down`.

pub use sea_orm_migration::prelude::*;

pub mod builtin;
mod m20261127_000001_create_reference;
mod m20261127_000002_create_partner;
mod m20261127_000003_create_structure;
mod m20261127_000004_create_identity;
mod m20261127_000005_insert_builtin_reference;
mod m20261127_000006_create_audit_log;
mod m20261127_000007_create_criteria;
mod m20261127_000008_create_referent;
mod m20261127_000009_create_convention;
mod m20261127_000010_create_labelling;
mod m20261127_000011_create_funding;
mod m20261127_000012_create_agent_training;
mod m20261127_000013_create_support_request;
mod m20261127_000014_create_report_entry;
mod m20261127_000015_create_survey_mystery;
mod m20261127_000016_create_report_summary;
mod m20261127_000017_create_report_monthly;
mod m20261127_000018_dashboard_indexes;
mod m20261129_000019_add_user_token_epoch;
mod m20261129_000020_create_idempotency_key;
mod m20261129_000021_single_use_survey_codes;
mod m20261129_000022_create_sign_in;
mod m20261130_000023_structure_sort_keys;
mod m20261130_000024_structure_lifecycle;
mod m20261130_000025_reaudit_and_label_years;
mod m20261130_000026_deployment_target;
mod m20261130_000027_content_read_log;
mod m20261130_000028_purge;
mod m20261201_000029_content_encryption;
mod m20261201_000030_structure_department_order;
mod m20261201_000031_code_guess;
mod m20261201_000032_survey_answer_period;
pub mod m20261202_000033_data_version;
mod m20261203_000034_structure_revision;
pub mod m20261204_000035_report_entry_by_month;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_reference::Migration),
            Box::new(m20261127_000002_create_partner::Migration),
            Box::new(m20261127_000003_create_structure::Migration),
            Box::new(m20261127_000004_create_identity::Migration),
            Box::new(m20261127_000005_insert_builtin_reference::Migration),
            Box::new(m20261127_000006_create_audit_log::Migration),
            Box::new(m20261127_000007_create_criteria::Migration),
            Box::new(m20261127_000008_create_referent::Migration),
            Box::new(m20261127_000009_create_convention::Migration),
            Box::new(m20261127_000010_create_labelling::Migration),
            Box::new(m20261127_000011_create_funding::Migration),
            Box::new(m20261127_000012_create_agent_training::Migration),
            Box::new(m20261127_000013_create_support_request::Migration),
            Box::new(m20261127_000014_create_report_entry::Migration),
            Box::new(m20261127_000015_create_survey_mystery::Migration),
            Box::new(m20261127_000016_create_report_summary::Migration),
            Box::new(m20261127_000017_create_report_monthly::Migration),
            Box::new(m20261127_000018_dashboard_indexes::Migration),
            Box::new(m20261129_000019_add_user_token_epoch::Migration),
            Box::new(m20261129_000020_create_idempotency_key::Migration),
            Box::new(m20261129_000021_single_use_survey_codes::Migration),
            Box::new(m20261129_000022_create_sign_in::Migration),
            Box::new(m20261130_000023_structure_sort_keys::Migration),
            Box::new(m20261130_000024_structure_lifecycle::Migration),
            Box::new(m20261130_000025_reaudit_and_label_years::Migration),
            Box::new(m20261130_000026_deployment_target::Migration),
            Box::new(m20261130_000027_content_read_log::Migration),
            Box::new(m20261130_000028_purge::Migration),
            Box::new(m20261201_000029_content_encryption::Migration),
            Box::new(m20261201_000030_structure_department_order::Migration),
            Box::new(m20261201_000031_code_guess::Migration),
            Box::new(m20261201_000032_survey_answer_period::Migration),
            Box::new(m20261202_000033_data_version::Migration),
            Box::new(m20261203_000034_structure_revision::Migration),
            Box::new(m20261204_000035_report_entry_by_month::Migration),
        ]
    }
}
