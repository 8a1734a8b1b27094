//! The label workflow (R-01..R-08) through GraphQL, on real imported sites: each step by the
//! right role only, from the right state only, at the version the caller saw; every refused
//! attempt changes nothing.
use maillage::service::import_sites;
use serde_json::json;

use crate::helpers::*;
use crate::import::read_rows;
use crate::workflow::*;

#[tokio::test]
async fn a_real_candidate_walks_from_candidate_to_labelled_each_step_by_its_role() {
    let sites = real_sites_of("59", 1);
    let m = sites[0].as_str();
    let app = app_with_candidates(&[m]).await;
    signed_convention_59(&app).await;
    assert_eq!(label_state(&app, m).await, ("CANDIDATE".into(), 0));
    let unchanged = |state: (String, i64), expected: (&str, i64)| {
        assert_eq!(
            (state.0.as_str(), state.1),
            expected,
            "a refused step changed the state"
        );
    };

    // Propose: the prefect of 59 only, at the current version, with a full self-assessment.
    let vars = json!({ "m": m, "v": 0, "sa": self_assessment(&[]) });
    refused(
        &app.query_as(ANCT_T, PROPOSE, vars.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(PREFECT_23_T, PROPOSE, vars.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(AUDITOR_T, PROPOSE, vars.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(OPERATOR_CAF_T, PROPOSE, vars.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.post(None, PROPOSE, vars.clone()).await,
        "UNAUTHENTICATED",
    );
    let stale = json!({ "m": m, "v": 7, "sa": self_assessment(&[]) });
    refused(
        &app.query_as(PREFECT_59_T, PROPOSE, stale).await,
        "CONFLICT",
    );
    let partial = json!({ "m": m, "v": 0, "sa": [{ "criterion": "C01", "met": true }] });
    let response = app.query_as(PREFECT_59_T, PROPOSE, partial).await;
    refused(&response, "BAD_USER_INPUT");
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .expect("present")
            .contains("C30")
    );
    // Steps of later states are refused now.
    refused(
        &app.query_as(ANCT_T, APPROVE, json!({ "m": m, "v": 0 }))
            .await,
        "CONFLICT",
    );
    let label = json!({ "m": m, "v": 0, "d": app.day(0) });
    refused(&app.query_as(PREFECT_59_T, LABEL, label).await, "CONFLICT");
    unchanged(label_state(&app, m).await, ("CANDIDATE", 0));

    let proposed = app.query_as(PREFECT_59_T, PROPOSE, vars.clone()).await;
    assert_eq!(
        data(&proposed)["proposeLabel"],
        json!({ "labelStatus": "PROPOSED", "labelVersion": 1 })
    );
    let again = json!({ "m": m, "v": 1, "sa": self_assessment(&[]) });
    refused(
        &app.query_as(PREFECT_59_T, PROPOSE, again).await,
        "CONFLICT",
    );

    // Schedule: ANCT only, with a real auditor.
    let schedule = json!({ "m": m, "v": 1, "a": AUDITOR_T, "on": app.day(2) });
    refused(
        &app.query_as(PREFECT_59_T, SCHEDULE, schedule.clone()).await,
        "FORBIDDEN",
    );
    let not_auditor = json!({ "m": m, "v": 1, "a": PREFECT_23_T, "on": app.day(2) });
    refused(
        &app.query_as(ANCT_T, SCHEDULE, not_auditor).await,
        "BAD_USER_INPUT",
    );
    unchanged(label_state(&app, m).await, ("PROPOSED", 1));
    // Before the assignment the auditor does not see the structure.
    let read = "query($m: String!) { structure(matricule: $m) { name compliance { computed } } }";
    refused(
        &app.query_as(AUDITOR_T, read, json!({ "m": m })).await,
        "NOT_FOUND",
    );
    let scheduled = app.query_as(ANCT_T, SCHEDULE, schedule).await;
    let scheduled = &data(&scheduled)["scheduleLabelAudit"];
    assert_eq!(scheduled["labelStatus"], "AUDIT_SCHEDULED");
    assert_eq!(scheduled["labelApplications"][0]["priority"], false);
    let audit = scheduled["labelApplications"][0]["audit"]["id"]
        .as_str()
        .expect("present")
        .to_owned();

    // The assigned auditor now sees the structure, but not its internal data.
    let seen = app.query_as(AUDITOR_T, read, json!({ "m": m })).await;
    assert!(seen["data"]["structure"]["name"].is_string());
    assert!(seen["data"]["structure"]["compliance"].is_null());
    assert_eq!(error_codes(&seen), ["FORBIDDEN"]);
    refused(
        &app.query_as(OTHER_AUDITOR_T, read, json!({ "m": m })).await,
        "NOT_FOUND",
    );

    // Record and submit: the assigned auditor only.
    let one = json!({ "a": audit, "c": "C01", "met": true, "r": null });
    refused(
        &app.query_as(OTHER_AUDITOR_T, RECORD, one.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(PREFECT_59_T, RECORD, one.clone()).await,
        "FORBIDDEN",
    );
    refused(&app.post(None, RECORD, one).await, "UNAUTHENTICATED");
    let unknown = json!({ "a": audit, "c": "C99", "met": true, "r": null });
    refused(
        &app.query_as(AUDITOR_T, RECORD, unknown).await,
        "BAD_USER_INPUT",
    );
    let early = app.query_as(AUDITOR_T, SUBMIT, json!({ "a": audit })).await;
    refused(&early, "BAD_USER_INPUT");
    record_all(&app, &audit, &[]).await;
    refused(
        &app.query_as(PREFECT_59_T, SUBMIT, json!({ "a": audit }))
            .await,
        "FORBIDDEN",
    );
    unchanged(label_state(&app, m).await, ("AUDIT_SCHEDULED", 2));
    let submitted = app.query_as(AUDITOR_T, SUBMIT, json!({ "a": audit })).await;
    let submitted = &data(&submitted)["submitAudit"];
    assert_eq!(submitted["outcome"], "PASSED");
    assert_eq!(submitted["reasons"], json!([]));
    assert_eq!(submitted["findings"].as_array().expect("present").len(), 30);
    refused(
        &app.query_as(AUDITOR_T, SUBMIT, json!({ "a": audit })).await,
        "CONFLICT",
    );
    let late = json!({ "a": audit, "c": "C01", "met": false, "r": null });
    refused(&app.query_as(AUDITOR_T, RECORD, late).await, "CONFLICT");
    assert_eq!(label_state(&app, m).await, ("AUDIT_PASSED".into(), 3));

    // Approve: ANCT only, at the current version; two at once, one wins.
    let label = json!({ "m": m, "v": 3, "d": app.day(0) });
    refused(&app.query_as(PREFECT_59_T, LABEL, label).await, "CONFLICT");
    refused(
        &app.query_as(PREFECT_59_T, APPROVE, json!({ "m": m, "v": 3 }))
            .await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(ANCT_T, APPROVE, json!({ "m": m, "v": 2 }))
            .await,
        "CONFLICT",
    );
    let token = app.token(ANCT_T).await;
    let approve = json!({ "m": m, "v": 3 });
    let (first, second) = tokio::join!(
        app.post(Some(&token), APPROVE, approve.clone()),
        app.post(Some(&token), APPROVE, approve.clone()),
    );
    let mut codes = [error_codes(&first), error_codes(&second)];
    codes.sort();
    assert_eq!(
        codes,
        [vec![], vec!["CONFLICT".to_owned()]],
        "{first:#} {second:#}"
    );
    assert_eq!(label_state(&app, m).await, ("APPROVED".into(), 4));

    // Label: the prefect, with a date; this creates the invitation and the annex amendment.
    let label = json!({ "m": m, "v": 4, "d": app.day(0) });
    refused(
        &app.query_as(ANCT_T, LABEL, label.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(PREFECT_23_T, LABEL, label.clone()).await,
        "NOT_FOUND",
    );
    let too_early = json!({ "m": m, "v": 4, "d": "2020-01-01" });
    refused(
        &app.query_as(PREFECT_59_T, LABEL, too_early).await,
        "BAD_USER_INPUT",
    );
    unchanged(label_state(&app, m).await, ("APPROVED", 4));
    let labelled = app.query_as(PREFECT_59_T, LABEL, label).await;
    let labelled = &data(&labelled)["labelStructure"];
    assert_eq!(labelled["structure"]["labelStatus"], "LABELLED");
    assert_eq!(labelled["structure"]["labelVersion"], 5);
    assert_eq!(labelled["structure"]["labelDate"], app.day(0));
    assert!(labelled["structure"]["annex"]["signedOn"].is_string());
    let code = labelled["invitationCode"].as_str().expect("present");
    assert_eq!(code.len(), 24, "five groups of four: {code}");
    assert_eq!(
        labelled["amendment"],
        json!({ "number": 1, "kind": "ADD_ANNEX", "structure": { "matricule": m } })
    );
    // Only the hash of the code is stored.
    let stored = <entity::onboarding_invitation::Entity as sea_orm::EntityTrait>::find()
        .all(&app.db)
        .await
        .expect("present");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].code_hash, code);
    assert_eq!(
        stored[0].code_hash,
        maillage::service::labelling::code_hash(code)
    );

    // Every step is in the audit log.
    let actions = logged_actions(&app, m).await;
    assert_eq!(
        actions,
        [
            "label.propose",
            "label.schedule_audit",
            "label.submit_audit",
            "label.approve",
            "label.grant"
        ]
    );

    // Compliance puts data, self-assessment and audit side by side.
    let query = "query($m: String!) { structure(matricule: $m) {
        compliance { criterion { code } computed evidence selfAssessed audited auditedOn } } }";
    let response = app.query_as(PREFECT_59_T, query, json!({ "m": m })).await;
    let compliance = by_code(&data(&response)["structure"]["compliance"]);
    assert_eq!(compliance.len(), 30);
    assert_eq!(
        compliance["C26"]["computed"], "MET",
        "annex signed with the amendment"
    );
    assert_eq!(
        compliance["C09"]["computed"], "MET",
        "nine core partners signed"
    );
    assert_eq!(
        compliance["C14"]["computed"],
        serde_json::Value::Null,
        "not computable"
    );
    assert_eq!(compliance["C14"]["selfAssessed"], true);
    assert_eq!(compliance["C14"]["audited"], true);
    assert!(compliance["C14"]["auditedOn"].is_string());
}

#[tokio::test]
async fn a_failed_audit_keeps_the_structure_unlabelled_and_the_re_proposal_is_a_priority() {
    let sites = real_sites_of("59", 2);
    let m = sites[1].as_str();
    let app = app_with_candidates(&[m]).await;
    let (audit, application) = propose_and_schedule(&app, m).await;
    assert_eq!(application["priority"], false);
    assert_eq!(application["audit"]["priority"], false);
    record_all(&app, &audit, &["C15", "C16"]).await;
    let submitted = app.query_as(AUDITOR_T, SUBMIT, json!({ "a": audit })).await;
    let submitted = &data(&submitted)["submitAudit"];
    assert_eq!(submitted["outcome"], "FAILED");
    assert_eq!(submitted["reasons"], json!(["C15", "C16"]));
    assert_eq!(label_state(&app, m).await, ("AUDIT_FAILED".into(), 3));
    // Nothing leads to the label from a failure but a new proposal.
    refused(
        &app.query_as(ANCT_T, APPROVE, json!({ "m": m, "v": 3 }))
            .await,
        "CONFLICT",
    );
    let label = json!({ "m": m, "v": 3, "d": app.day(0) });
    refused(&app.query_as(PREFECT_59_T, LABEL, label).await, "CONFLICT");
    assert_eq!(label_state(&app, m).await, ("AUDIT_FAILED".into(), 3));

    // The prefect re-proposes once the remarks are addressed: the new audit is a priority.
    let (second, application) = propose_and_schedule(&app, m).await;
    assert_ne!(second, audit);
    assert_eq!(application["priority"], true);
    assert_eq!(application["audit"]["priority"], true);
    let pending = app
        .query_as(
            AUDITOR_T,
            "{ labelAudits(pending: true) { totalCount edges { node { id priority structure { matricule } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&pending)["labelAudits"]["edges"],
        json!([{ "node": { "id": second, "priority": true, "structure": { "matricule": m } } }])
    );
    assert_eq!(data(&pending)["labelAudits"]["totalCount"], 1);
    // The audit is a node for those who may read it.
    let node = "query($id: ID!) { node(id: $id) { ... on LabelAudit { priority } } }";
    let read = app.query_as(AUDITOR_T, node, json!({ "id": second })).await;
    assert_eq!(data(&read)["node"], json!({ "priority": true }));
    refused(
        &app.query_as(OTHER_AUDITOR_T, node, json!({ "id": second }))
            .await,
        "NOT_FOUND",
    );
    // The auditor not assigned sees no audit; a prefect of another department neither.
    for email in [OTHER_AUDITOR_T, PREFECT_23_T] {
        let none = app
            .query_as(
                email,
                "{ labelAudits { totalCount edges { node { id } } } }",
                json!({}),
            )
            .await;
        assert_eq!(data(&none)["labelAudits"]["edges"], json!([]), "{email}");
        assert_eq!(data(&none)["labelAudits"]["totalCount"], 0, "{email}");
    }
    let all = app
        .query_as(
            ANCT_T,
            "{ labelAudits { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&all)["labelAudits"]["edges"]
            .as_array()
            .expect("present")
            .len(),
        2
    );
    // Compliance shows the failed audit's finding until the new audit is submitted.
    let query = "query($m: String!) { structure(matricule: $m) {
        compliance { criterion { code } audited auditRemark selfAssessed } } }";
    let response = app.query_as(PREFECT_59_T, query, json!({ "m": m })).await;
    let compliance = by_code(&data(&response)["structure"]["compliance"]);
    assert_eq!(compliance["C15"]["audited"], false);
    assert_eq!(compliance["C15"]["auditRemark"], "C15 not met on site");
    assert_eq!(
        compliance["C15"]["selfAssessed"], true,
        "the self-assessment gap (R-04)"
    );
}

#[tokio::test]
async fn anct_withdraws_a_label_with_a_reason_and_a_re_import_does_not_restore_it() {
    let sites = real_sites_of("59", 3);
    let m = sites[2].as_str();
    let app = app_with_candidates(&[]).await;
    assert_eq!(label_state(&app, m).await, ("LABELLED".into(), 0));
    let blank = json!({ "m": m, "v": 0, "r": "  " });
    refused(
        &app.query_as(ANCT_T, WITHDRAW, blank).await,
        "BAD_USER_INPUT",
    );
    let vars = json!({ "m": m, "v": 0, "r": "Closed for six months" });
    refused(
        &app.query_as(PREFECT_59_T, WITHDRAW, vars.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.post(None, WITHDRAW, vars.clone()).await,
        "UNAUTHENTICATED",
    );
    assert_eq!(label_state(&app, m).await, ("LABELLED".into(), 0));
    let withdrawn = app.query_as(ANCT_T, WITHDRAW, vars.clone()).await;
    assert_eq!(
        data(&withdrawn)["withdrawLabel"],
        json!({ "labelStatus": "WITHDRAWN", "labelVersion": 1,
                "labelWithdrawalReason": "Closed for six months" })
    );
    refused(&app.query_as(ANCT_T, WITHDRAW, vars).await, "CONFLICT");
    // The open data still says "labelled": the workflow owns the label now.
    let file = shared_data_dir().join("france-services-2024-08-01.csv");
    import_sites::import(&app.db, &file, &app.clock())
        .await
        .expect("re-import");
    assert_eq!(label_state(&app, m).await, ("WITHDRAWN".into(), 1));
    // The operator of a partner sees neither the reason nor the legacy flag.
    signed_convention_59(&app).await;
    let query = "query($m: String!) { structure(matricule: $m) {
        labelStatus labelWithdrawalReason legacyMsap losingFunding } }";
    let seen = app.query_as(OPERATOR_CAF_T, query, json!({ "m": m })).await;
    assert_eq!(seen["data"]["structure"]["labelStatus"], "WITHDRAWN");
    assert!(seen["data"]["structure"]["labelWithdrawalReason"].is_null());
    assert_eq!(error_codes(&seen), ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]);
}

#[tokio::test]
async fn labels_older_than_three_years_are_due_for_re_audit() {
    let app = app_with_candidates(&[]).await;
    let sites = real_sites_of("59", 1);
    let response = app
        .query_as(
            ANCT_T,
            "query($m: String!) { structure(matricule: $m) { labelDate reauditDueOn reauditDue } }",
            json!({ "m": sites[0] }),
        )
        .await;
    let s = &data(&response)["structure"];
    // Every real site was labelled in 2020-2024; today is after 2026-11-27.
    let label_date =
        chrono::NaiveDate::parse_from_str(s["labelDate"].as_str().expect("present"), "%Y-%m-%d")
            .expect("present");
    let due = label_date
        .checked_add_months(chrono::Months::new(36))
        .expect("present");
    assert_eq!(s["reauditDueOn"], due.to_string());
    assert_eq!(s["reauditDue"], due <= app.today());
    // The filter finds exactly the sites whose label is 3 years old, counted from the file.
    let today = app.today();
    let expected = read_rows(&shared_data_dir().join("france-services-2024-08-01.csv"))
        .into_iter()
        .filter(|r| r["insee_dep"] != "978")
        .filter_map(|r| {
            let date = r["labellisation_fs"]
                .trim_start_matches("Espace labellisé ")
                .to_owned();
            chrono::NaiveDate::parse_from_str(&date, "%d/%m/%Y").ok()
        })
        .filter(|d| d.checked_add_months(chrono::Months::new(36)).expect("date") <= today)
        .count();
    assert!(expected > 0);
    let due = app
        .query_as(
            ANCT_T,
            "{ structures(filter: { reauditDue: true }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&due)["structures"]["totalCount"], expected);
}
