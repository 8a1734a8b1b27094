//! Shared steps of the partnership and labelling tests: a real-sites app with the roles
//! granted, self-assessments, a signed convention, label-workflow state.
use std::collections::HashMap;

use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use maillage::service::{import_reference, import_sites};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::import::read_rows;

pub const ANCT_T: &str = "anct@t.fr";
pub const PREFECT_59_T: &str = "prefet59@t.fr";
pub const PREFECT_23_T: &str = "prefet23@t.fr";
pub const AUDITOR_T: &str = "auditeur@t.fr";
pub const OTHER_AUDITOR_T: &str = "autre.auditeur@t.fr";
pub const OPERATOR_CAF_T: &str = "caf@t.fr";
pub const OPERATOR_DGFIP_59_T: &str = "dgfip59@t.fr";

/// The nine core partners.
pub const CORE: [&str; 9] = [
    "ASSURANCE_MALADIE",
    "ASSURANCE_RETRAITE",
    "CAF",
    "DGFIP",
    "FRANCE_TRAVAIL",
    "INTERIEUR",
    "JUSTICE",
    "LA_POSTE",
    "MSA",
];

pub async fn grant(app: &TestApp, email: &str, role: Role, scope: ScopeArgs) {
    users::grant(&app.db, email, role, &scope, app.now())
        .await
        .expect("grant");
}

fn department(code: &str) -> ScopeArgs {
    ScopeArgs {
        department: Some(code.into()),
        ..Default::default()
    }
}

/// An app with the real reference data and the real sites, where the sites `candidates`
/// (matricules) arrive without a label ("labellisation_fs" blank), and the test users.
pub async fn app_with_candidates(candidates: &[&str]) -> TestApp {
    let dir = shared_data_dir();
    let app = spawn_empty_app().await;
    import_reference::import(&app.db, &dir)
        .await
        .expect("import reference");
    let source = dir.join("france-services-2024-08-01.csv");
    let mut reader = csv::Reader::from_path(&source).expect("open");
    let headers = reader.headers().expect("header").clone();
    let label = headers
        .iter()
        .position(|h| h == "labellisation_fs")
        .expect("label column");
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let mut writer = csv::Writer::from_path(file.path()).expect("writer");
    writer.write_record(&headers).expect("header");
    for record in reader.records() {
        let record = record.expect("record");
        let blank = candidates.contains(&&record[0]);
        let fields: Vec<&str> = record
            .iter()
            .enumerate()
            .map(|(i, f)| if blank && i == label { "" } else { f })
            .collect();
        writer.write_record(&fields).expect("row");
    }
    writer.flush().expect("flush");
    import_sites::import(&app.db, file.path(), &app.clock())
        .await
        .expect("import sites");
    grant(&app, ANCT_T, Role::Anct, ScopeArgs::default()).await;
    grant(&app, PREFECT_59_T, Role::Prefect, department("59")).await;
    grant(&app, PREFECT_23_T, Role::Prefect, department("23")).await;
    grant(&app, AUDITOR_T, Role::Auditor, ScopeArgs::default()).await;
    grant(&app, OTHER_AUDITOR_T, Role::Auditor, ScopeArgs::default()).await;
    let caf = ScopeArgs {
        partner: Some("CAF".into()),
        ..Default::default()
    };
    grant(&app, OPERATOR_CAF_T, Role::Operator, caf).await;
    let dgfip = ScopeArgs {
        partner: Some("DGFIP".into()),
        department: Some("59".into()),
        ..Default::default()
    };
    grant(&app, OPERATOR_DGFIP_59_T, Role::Operator, dgfip).await;
    app
}

/// The first `n` real sites of `department` (matricules, file order).
pub fn real_sites_of(department: &str, n: usize) -> Vec<String> {
    read_rows(&shared_data_dir().join("france-services-2024-08-01.csv"))
        .into_iter()
        .filter(|r| r["insee_dep"] == department)
        .take(n)
        .map(|r| r["id_fs"].clone())
        .collect()
}

/// A self-assessment of the 30 criteria of the 2019 grid, all met except `unmet`.
pub fn self_assessment(unmet: &[&str]) -> Value {
    Value::Array(
        (1..=30)
            .map(|i| {
                let code = format!("C{i:02}");
                json!({ "criterion": code, "met": !unmet.contains(&code.as_str()) })
            })
            .collect(),
    )
}

/// Label status and version of a structure, read by ANCT.
pub async fn label_state(app: &TestApp, matricule: &str) -> (String, i64) {
    let response = app
        .query_as(
            ANCT_T,
            "query($m: String!) { structure(matricule: $m) { labelStatus labelVersion } }",
            json!({ "m": matricule }),
        )
        .await;
    let s = &data(&response)["structure"];
    (
        s["labelStatus"].as_str().expect("status").to_owned(),
        s["labelVersion"].as_i64().expect("version"),
    )
}

/// Asserts `response` failed with exactly `code`.
pub fn refused(response: &Value, code: &str) {
    assert_eq!(error_codes(response), [code], "{response:#}");
}

pub const PROPOSE: &str = "mutation($m: String!, $v: Int!, $sa: [SelfAssessmentInput!]!) {
    proposeLabel(structure: $m, expectedVersion: $v, selfAssessment: $sa) { labelStatus labelVersion }
}";
pub const SCHEDULE: &str = "mutation($m: String!, $v: Int!, $a: String!, $on: Date!) {
    scheduleLabelAudit(structure: $m, expectedVersion: $v, auditor: $a, scheduledOn: $on) {
        labelStatus labelVersion labelApplications { priority audit { id priority } }
    }
}";
pub const RECORD: &str = "mutation($a: ID!, $c: String!, $met: Boolean!, $r: String) {
    recordAuditResult(audit: $a, criterion: $c, met: $met, remark: $r) { id }
}";
pub const SUBMIT: &str = "mutation($a: ID!) {
    submitAudit(audit: $a) { outcome reasons submittedAt findings { criterion { code } met remark } }
}";
pub const APPROVE: &str = "mutation($m: String!, $v: Int!) {
    approveLabel(structure: $m, expectedVersion: $v) { labelStatus labelVersion }
}";
pub const LABEL: &str = "mutation($m: String!, $v: Int!, $d: Date!) {
    labelStructure(structure: $m, expectedVersion: $v, labelDate: $d) {
        invitationCode amendment { number kind structure { matricule } }
        structure { labelStatus labelVersion labelDate annex { signedOn } }
    }
}";
pub const WITHDRAW: &str = "mutation($m: String!, $v: Int!, $r: String!) {
    withdrawLabel(structure: $m, expectedVersion: $v, reason: $r) { labelStatus labelVersion labelWithdrawalReason }
}";

/// Proposes `m` (by the prefect of 59) and schedules its audit with [`AUDITOR_T`]; returns
/// the audit's id.
pub async fn propose_and_schedule(app: &TestApp, m: &str) -> (String, Value) {
    let (_, version) = label_state(app, m).await;
    let proposed = app
        .query_as(
            PREFECT_59_T,
            PROPOSE,
            json!({ "m": m, "v": version, "sa": self_assessment(&[]) }),
        )
        .await;
    let version = data(&proposed)["proposeLabel"]["labelVersion"].clone();
    let scheduled = app
        .query_as(
            ANCT_T,
            SCHEDULE,
            json!({ "m": m, "v": version, "a": AUDITOR_T, "on": app.day(2) }),
        )
        .await;
    let application = data(&scheduled)["scheduleLabelAudit"]["labelApplications"][0].clone();
    (
        application["audit"]["id"]
            .as_str()
            .expect("audit id")
            .to_owned(),
        application,
    )
}

/// The auditor records every criterion, met except `unmet` (with a remark).
pub async fn record_all(app: &TestApp, audit: &str, unmet: &[&str]) {
    for i in 1..=30 {
        let code = format!("C{i:02}");
        let met = !unmet.contains(&code.as_str());
        let remark = (!met).then(|| format!("{code} not met on site"));
        let response = app
            .query_as(
                AUDITOR_T,
                RECORD,
                json!({ "a": audit, "c": code, "met": met, "r": remark }),
            )
            .await;
        data(&response);
    }
}

/// Drafts, signs (by the prefect) and concludes the convention of 59.
pub async fn signed_convention_59(app: &TestApp) {
    let draft = "mutation { draftConvention(department: \"59\", title: \"Convention-cadre France services du Nord\") { status } }";
    data(&app.query_as(PREFECT_59_T, draft, json!({})).await);
    for partner in CORE {
        sign(app, PREFECT_59_T, "59", partner).await;
    }
    let conclude = "mutation { concludeConvention(department: \"59\") { status } }";
    let concluded = app.query_as(PREFECT_59_T, conclude, json!({})).await;
    assert_eq!(data(&concluded)["concludeConvention"]["status"], "SIGNED");
}

pub const SIGN: &str = "mutation($d: String!, $p: String!) {
    signConvention(department: $d, partner: $p) { status missingSignatures { code } }
}";

/// Records `partner`'s signature as `email`, expecting success.
pub async fn sign(app: &TestApp, email: &str, department: &str, partner: &str) -> Value {
    let response = app
        .query_as(email, SIGN, json!({ "d": department, "p": partner }))
        .await;
    data(&response)["signConvention"].clone()
}

/// Actions of the audit log about one structure, oldest first (read by ANCT).
pub async fn logged_actions(app: &TestApp, matricule: &str) -> Vec<String> {
    let response = app
        .query_as(
            ANCT_T,
            "query($k: String!) { auditLog(first: 100, filter: { targetKey: $k }) {
                edges { node { action } } } }",
            json!({ "k": matricule }),
        )
        .await;
    let mut actions: Vec<String> = data(&response)["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["action"].as_str().expect("action").to_owned())
        .collect();
    actions.reverse();
    actions
}

/// Counts of criteria per status in a compliance list.
pub fn by_code(compliance: &Value) -> HashMap<String, Value> {
    compliance
        .as_array()
        .expect("compliance")
        .iter()
        .map(|c| {
            (
                c["criterion"]["code"].as_str().expect("code").to_owned(),
                c.clone(),
            )
        })
        .collect()
}
