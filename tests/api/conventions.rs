//! Departmental conventions: drafting, signatures, the nine core partners,
//! annexes and amendments; the effective partners and the operator's restricted view that
//! follow from them.
use maillage::domain::enums::Role;
use maillage::service::users::ScopeArgs;
use serde_json::json;

use crate::helpers::*;
use crate::workflow::*;

const CONCLUDE: &str = "mutation($d: String!) {
    concludeConvention(department: $d) { status signedOn }
}";
const CONVENTION: &str = "query($d: String!) { convention(department: $d) {
    department { code } title status signedOn
    signatories { partner { code } signedAt } missingSignatures { code }
    annexes { structure { matricule } functioning carrier partners { code } signedOn }
    amendments { number kind structure { matricule } partner { code } endDate description }
} }";
const ADD_ANNEX: &str = "mutation($input: AnnexInput!) {
    addAnnex(input: $input) { annexes { structure { matricule } partners { code } signedOn } amendments { number kind } }
}";
const ADD_PARTNER: &str = "mutation($d: String!, $p: String!) {
    addConventionPartner(department: $d, partner: $p) { signatories { partner { code } signedAt } amendments { number kind partner { code } } }
}";
const EFFECTIVE: &str =
    "query($m: String!) { structure(matricule: $m) { effectivePartners { code } } }";

fn codes(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|p| p["code"].as_str().expect("code").to_owned())
        .collect()
}

#[tokio::test]
async fn a_convention_is_signed_only_once_the_nine_core_partners_have_signed() {
    let app = app_with_candidates(&[]).await;
    let draft =
        "mutation($d: String!) { draftConvention(department: $d, title: \"Convention-cadre\") {
        status signatories { partner { code } signedAt } } }";
    // Drafted by the department's prefect only.
    refused(
        &app.query_as(ANCT_T, draft, json!({ "d": "59" })).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(PREFECT_23_T, draft, json!({ "d": "59" }))
            .await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(OPERATOR_CAF_T, draft, json!({ "d": "59" }))
            .await,
        "FORBIDDEN",
    );
    refused(
        &app.post(None, draft, json!({ "d": "59" })).await,
        "UNAUTHENTICATED",
    );
    refused(
        &app.query_as(PREFECT_59_T, draft, json!({ "d": "999" }))
            .await,
        "BAD_USER_INPUT",
    );
    let drafted = app
        .query_as(PREFECT_59_T, draft, json!({ "d": "59" }))
        .await;
    let drafted = &data(&drafted)["draftConvention"];
    assert_eq!(drafted["status"], "DRAFT");
    let listed: Vec<&str> = drafted["signatories"]
        .as_array()
        .expect("present")
        .iter()
        .map(|s| s["partner"]["code"].as_str().expect("present"))
        .collect();
    let mut listed = listed;
    listed.sort();
    assert_eq!(listed, CORE, "the nine core partners are listed");
    refused(
        &app.query_as(PREFECT_59_T, draft, json!({ "d": "59" }))
            .await,
        "CONFLICT",
    );

    // Concluding early names every missing partner and changes nothing.
    let early = app
        .query_as(PREFECT_59_T, CONCLUDE, json!({ "d": "59" }))
        .await;
    refused(&early, "CONFLICT");
    let message = early["errors"][0]["message"].as_str().expect("present");
    for partner in CORE {
        assert!(
            message.contains(partner),
            "{partner} missing from: {message}"
        );
    }
    // Signatures: by an operator of that partner (nationally or in 59) or the prefect.
    let dgfip = json!({ "d": "59", "p": "DGFIP" });
    refused(
        &app.query_as(OPERATOR_CAF_T, SIGN, dgfip.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(PREFECT_23_T, SIGN, dgfip.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(AUDITOR_T, SIGN, dgfip.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.post(None, SIGN, dgfip.clone()).await,
        "UNAUTHENTICATED",
    );
    let not_listed = json!({ "d": "59", "p": "ANAH" });
    refused(
        &app.query_as(PREFECT_59_T, SIGN, not_listed).await,
        "BAD_USER_INPUT",
    );
    let signed = sign(&app, OPERATOR_DGFIP_59_T, "59", "DGFIP").await;
    assert_eq!(codes(&signed["missingSignatures"]).len(), 8);
    refused(&app.query_as(PREFECT_59_T, SIGN, dgfip).await, "CONFLICT");
    sign(&app, OPERATOR_CAF_T, "59", "CAF").await;
    for partner in CORE.iter().filter(|p| !["CAF", "DGFIP", "MSA"].contains(p)) {
        sign(&app, PREFECT_59_T, "59", partner).await;
    }
    let early = app
        .query_as(PREFECT_59_T, CONCLUDE, json!({ "d": "59" }))
        .await;
    refused(&early, "CONFLICT");
    let message = early["errors"][0]["message"].as_str().expect("present");
    assert!(
        message.ends_with("missing the signature of MSA"),
        "{message}"
    );
    let convention = app
        .query_as(PREFECT_59_T, CONVENTION, json!({ "d": "59" }))
        .await;
    assert_eq!(data(&convention)["convention"]["status"], "DRAFT");

    // Effective partners follow the signed convention only.
    let m = real_sites_of("59", 1)[0].clone();
    let before = app
        .query_as(PREFECT_59_T, EFFECTIVE, json!({ "m": m }))
        .await;
    assert_eq!(data(&before)["structure"]["effectivePartners"], json!([]));
    sign(&app, PREFECT_59_T, "59", "MSA").await;
    refused(
        &app.query_as(OPERATOR_DGFIP_59_T, CONCLUDE, json!({ "d": "59" }))
            .await,
        "FORBIDDEN",
    );
    let concluded = app
        .query_as(PREFECT_59_T, CONCLUDE, json!({ "d": "59" }))
        .await;
    assert_eq!(data(&concluded)["concludeConvention"]["status"], "SIGNED");
    refused(
        &app.query_as(PREFECT_59_T, CONCLUDE, json!({ "d": "59" }))
            .await,
        "CONFLICT",
    );
    let after = app
        .query_as(PREFECT_59_T, EFFECTIVE, json!({ "m": m }))
        .await;
    assert_eq!(codes(&data(&after)["structure"]["effectivePartners"]), CORE);

    // Everyone working in 59 reads it; others get NOT_FOUND.
    for email in [ANCT_T, OPERATOR_CAF_T, OPERATOR_DGFIP_59_T] {
        let read = app.query_as(email, CONVENTION, json!({ "d": "59" })).await;
        assert_eq!(data(&read)["convention"]["status"], "SIGNED", "{email}");
    }
    for email in [PREFECT_23_T, AUDITOR_T] {
        refused(
            &app.query_as(email, CONVENTION, json!({ "d": "59" })).await,
            "NOT_FOUND",
        );
    }
    let logged = app
        .query_as(
            ANCT_T,
            "{ auditLog(first: 100, filter: { targetType: \"Convention\" }) { totalCount } }",
            json!({}),
        )
        .await;
    // Draft, nine signatures, conclusion.
    assert_eq!(data(&logged)["auditLog"]["totalCount"], 11);
}

#[tokio::test]
async fn annexes_and_amendments_extend_a_structures_effective_partners() {
    let app = app_with_candidates(&[]).await;
    let sites = real_sites_of("59", 3);
    let (first, second, third) = (&sites[0], &sites[1], &sites[2]);
    // On a draft, an annex is part of the convention (no amendment); it takes effect with it.
    let draft = "mutation { draftConvention(department: \"59\", title: \"Nord\") { status } }";
    data(&app.query_as(PREFECT_59_T, draft, json!({})).await);
    let annex = json!({ "input": { "structure": first, "functioning": "Lundi-vendredi",
        "carrier": "COMMUNE", "partners": ["ANAH"] } });
    // An operator does not see the structures of a draft convention at all; ANCT sees them
    // but does not manage the convention.
    refused(
        &app.query_as(OPERATOR_DGFIP_59_T, ADD_ANNEX, annex.clone())
            .await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(ANCT_T, ADD_ANNEX, annex.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(PREFECT_23_T, ADD_ANNEX, annex.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.post(None, ADD_ANNEX, annex.clone()).await,
        "UNAUTHENTICATED",
    );
    let unknown =
        json!({ "input": { "structure": first, "functioning": "", "partners": ["NOPE"] } });
    let response = app.query_as(PREFECT_59_T, ADD_ANNEX, unknown).await;
    refused(&response, "BAD_USER_INPUT");
    assert_eq!(
        response["errors"][0]["extensions"]["field"],
        "input.partners.0"
    );
    let added = app.query_as(PREFECT_59_T, ADD_ANNEX, annex.clone()).await;
    let added = &data(&added)["addAnnex"];
    assert_eq!(added["amendments"], json!([]));
    assert!(added["annexes"][0]["signedOn"].is_null());
    refused(
        &app.query_as(PREFECT_59_T, ADD_ANNEX, annex).await,
        "CONFLICT",
    );
    // The annex partner is effective at once for that structure only.
    let effective = app
        .query_as(PREFECT_59_T, EFFECTIVE, json!({ "m": first }))
        .await;
    assert_eq!(
        codes(&data(&effective)["structure"]["effectivePartners"]),
        ["ANAH"]
    );
    for partner in CORE {
        sign(&app, PREFECT_59_T, "59", partner).await;
    }
    let concluded = app
        .query_as(PREFECT_59_T, CONCLUDE, json!({ "d": "59" }))
        .await;
    data(&concluded);

    // Once signed, every change is a numbered amendment.
    let annex = json!({ "input": { "structure": second, "functioning": "Bus", "partners": [] } });
    let added = app.query_as(PREFECT_59_T, ADD_ANNEX, annex).await;
    assert_eq!(
        data(&added)["addAnnex"]["amendments"],
        json!([{ "number": 1, "kind": "ADD_ANNEX" }])
    );
    let added = app
        .query_as(
            PREFECT_59_T,
            ADD_PARTNER,
            json!({ "d": "59", "p": "CHEQUE_ENERGIE" }),
        )
        .await;
    let added = &data(&added)["addConventionPartner"];
    assert_eq!(
        added["amendments"][1],
        json!({ "number": 2, "kind": "ADD_PARTNER", "partner": { "code": "CHEQUE_ENERGIE" } })
    );
    refused(
        &app.query_as(PREFECT_59_T, ADD_PARTNER, json!({ "d": "59", "p": "CAF" }))
            .await,
        "CONFLICT",
    );
    let anah = json!({ "d": "59", "p": "ANAH" });
    refused(
        &app.query_as(PREFECT_23_T, ADD_PARTNER, anah.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(OPERATOR_CAF_T, ADD_PARTNER, anah.clone())
            .await,
        "FORBIDDEN",
    );
    refused(&app.post(None, ADD_PARTNER, anah).await, "UNAUTHENTICATED");
    // A partner added by amendment is effective once it has signed.
    let effective = app
        .query_as(PREFECT_59_T, EFFECTIVE, json!({ "m": third }))
        .await;
    assert_eq!(
        codes(&data(&effective)["structure"]["effectivePartners"]),
        CORE
    );
    sign(&app, PREFECT_59_T, "59", "CHEQUE_ENERGIE").await;
    let effective = app
        .query_as(PREFECT_59_T, EFFECTIVE, json!({ "m": third }))
        .await;
    assert_eq!(
        codes(&data(&effective)["structure"]["effectivePartners"]).len(),
        10
    );
    let effective = app
        .query_as(PREFECT_59_T, EFFECTIVE, json!({ "m": first }))
        .await;
    assert!(
        codes(&data(&effective)["structure"]["effectivePartners"]).contains(&"ANAH".to_owned())
    );

    // Extending a legacy MSAP convention: amendment 3 with its end date, and the flag.
    let extend = "mutation($m: String!, $e: Date!) {
        extendLegacyMsapConvention(structure: $m, endDate: $e) { amendments { number kind endDate structure { matricule } } } }";
    let bad = json!({ "m": third, "e": "2019-06-30" });
    refused(
        &app.query_as(PREFECT_59_T, extend, bad).await,
        "BAD_USER_INPUT",
    );
    let vars = json!({ "m": third, "e": "2021-12-31" });
    refused(
        &app.query_as(ANCT_T, extend, vars.clone()).await,
        "FORBIDDEN",
    );
    let extended = app.query_as(PREFECT_59_T, extend, vars).await;
    assert_eq!(
        data(&extended)["extendLegacyMsapConvention"]["amendments"][2],
        json!({ "number": 3, "kind": "EXTEND_LEGACY_MSAP", "endDate": "2021-12-31",
                "structure": { "matricule": third } })
    );
    let flags = app
        .query_as(
            PREFECT_59_T,
            "query($m: String!) { structure(matricule: $m) { legacyMsap losingFunding labelDate } }",
            json!({ "m": third }),
        )
        .await;
    let flags = &data(&flags)["structure"];
    assert_eq!(flags["legacyMsap"], true);
    let labelled_in_time = flags["labelDate"].as_str().expect("present") <= "2021-12-31";
    assert_eq!(flags["losingFunding"], !labelled_in_time, "R-06");
}

#[tokio::test]
async fn an_operator_sees_where_their_partner_is_effective_through_a_restricted_view() {
    let app = app_with_candidates(&[]).await;
    let m = real_sites_of("59", 1)[0].clone();
    let in_23 = real_sites_of("23", 1)[0].clone();
    grant(
        &app,
        "caf23@t.fr",
        Role::Operator,
        ScopeArgs {
            partner: Some("CAF".into()),
            department: Some("23".into()),
            ..Default::default()
        },
    )
    .await;
    let public = "query($m: String!) { structure(matricule: $m) {
        name address format labelStatus openingHours { day } effectivePartners { code } } }";
    refused(
        &app.query_as(OPERATOR_CAF_T, public, json!({ "m": m }))
            .await,
        "NOT_FOUND",
    );
    let listed = "{ structures { totalCount } }";
    let none = app.query_as(OPERATOR_CAF_T, listed, json!({})).await;
    assert_eq!(data(&none)["structures"]["totalCount"], 0);

    signed_convention_59(&app).await;
    // National CAF operator: every structure of 59 now; the departmental one of 23: none.
    let seen = app
        .query_as(OPERATOR_CAF_T, public, json!({ "m": m }))
        .await;
    assert_eq!(
        data(&seen)["structure"]["effectivePartners"]
            .as_array()
            .expect("present")
            .len(),
        9
    );
    let in_59 = real_sites_of("59", 1000).len();
    let all = app.query_as(OPERATOR_CAF_T, listed, json!({})).await;
    assert_eq!(data(&all)["structures"]["totalCount"], in_59);
    refused(
        &app.query_as("caf23@t.fr", public, json!({ "m": m })).await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(OPERATOR_CAF_T, public, json!({ "m": in_23 }))
            .await,
        "NOT_FOUND",
    );
    let other = app.query_as("caf23@t.fr", listed, json!({})).await;
    assert_eq!(data(&other)["structures"]["totalCount"], 0);

    // Internal data reads as null with a FORBIDDEN entry for the operator, not for the prefect.
    let internal = "query($m: String!) { structure(matricule: $m) {
        name labelApplications { priority } compliance { computed } funding { amountEuros } } }";
    let restricted = app
        .query_as(OPERATOR_CAF_T, internal, json!({ "m": m }))
        .await;
    let s = &restricted["data"]["structure"];
    assert!(s["name"].is_string());
    assert!(
        s["labelApplications"].is_null() && s["compliance"].is_null() && s["funding"].is_null()
    );
    assert_eq!(
        error_codes(&restricted),
        ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]
    );
    let full = app
        .query_as(PREFECT_59_T, internal, json!({ "m": m }))
        .await;
    assert_eq!(
        data(&full)["structure"]["compliance"]
            .as_array()
            .expect("present")
            .len(),
        30
    );
}

/// Creuse's draft (the demo's, signed by CAF) with every core partner's signature.
async fn creuse_ready_to_conclude(app: &TestApp) {
    for partner in crate::workflow::CORE {
        if partner != "CAF" {
            crate::workflow::sign(app, PREFECT_23, "23", partner).await;
        }
    }
}

#[tokio::test]
async fn concluding_while_a_partner_or_an_annex_is_added_never_breaks_the_convention() {
    let annex = json!({ "input": { "structure": "DEMO-23-02", "functioning": "Permanences",
        "partners": [] } });
    for round in 0..6 {
        let app = spawn_app().await;
        creuse_ready_to_conclude(&app).await;
        let token = app.token(PREFECT_23).await;
        let conclude = app.post(Some(&token), CONCLUDE, json!({ "d": "23" }));
        let (concluded, added, annexed) = tokio::join!(
            conclude,
            app.post(Some(&token), ADD_PARTNER, json!({ "d": "23", "p": "ANAH" })),
            app.post(Some(&token), ADD_ANNEX, annex.clone()),
        );
        for response in [&concluded, &added, &annexed] {
            assert!(
                error_codes(response).iter().all(|c| c == "CONFLICT"),
                "round {round}: {response:#}"
            );
        }
        let convention = app.query_as(ANCT, CONVENTION, json!({ "d": "23" })).await;
        let convention = &data(&convention)["convention"];
        if convention["status"] != "SIGNED" {
            continue;
        }
        let amended = |kind: &str| {
            convention["amendments"]
                .as_array()
                .expect("amendments")
                .iter()
                .any(|a| a["kind"] == kind)
        };
        for signatory in convention["signatories"].as_array().expect("list") {
            assert!(
                signatory["signedAt"].is_string() || amended("ADD_PARTNER"),
                "round {round}: a signed convention lists a partner that never signed, \
                 with no amendment: {convention:#}"
            );
        }
        for annex in convention["annexes"].as_array().expect("list") {
            assert!(
                annex["signedOn"].is_string(),
                "round {round}: an annex of a signed convention is unsigned: {convention:#}"
            );
        }
    }
}
