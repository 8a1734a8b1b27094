//! sea-orm entities of maillage: one module per table.
//!
//! Entities are plain storage shapes; rules live in `maillage::domain` and use cases in
//! `maillage::service`.

pub mod agent;
pub mod agent_structure;
pub mod amendment;
pub mod annex;
pub mod annex_partner;
pub mod api_key;
pub mod app_user;
pub mod audit_log;
pub mod audit_result;
pub mod canton;
pub mod commune;
pub mod content_read;
pub mod convention;
pub mod convention_signatory;
pub mod criteria_framework;
pub mod criterion;
pub mod department;
pub mod deployment_target;
pub mod funding_envelope;
pub mod funding_grant;
pub mod idempotency_key;
pub mod label_application;
pub mod label_audit;
pub mod login_attempt;
pub mod mystery_campaign;
pub mod mystery_visit;
pub mod onboarding_invitation;
pub mod partner;
pub mod referent;
pub mod region;
pub mod report_daily;
pub mod report_entry;
pub mod report_monthly;
pub mod role_assignment;
pub mod self_assessment;
pub mod structure;
pub mod structure_stop;
pub mod support_attachment;
pub mod support_message;
pub mod support_request;
pub mod survey_answer;
pub mod survey_campaign;
pub mod survey_code;
pub mod training_enrolment;
pub mod training_module;
pub mod training_session;
pub mod user_identity;
pub mod web_session;
