//! Health, readiness, GraphiQL, and what the HTTP edge refuses.
use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn health_and_ready_answer_ok_while_the_database_is_up() {
    let app = spawn_app().await;
    let health = app.get("/health").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.expect("body"), "ok");
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn ready_reports_unavailable_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.clone().close().await.expect("close the pool");
    assert_eq!(app.get("/ready").await.status(), 503);
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary_in_demo_mode_or_when_switched_on() {
    // Off by default outside demo mode, with a JSON answer that says how to switch it on.
    let off = spawn_app().await;
    let page = off.get("/graphql").await;
    assert_eq!(page.status(), 404);
    let body: Value = page.json().await.expect("json");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("MAILLAGE_GRAPHIQL"))
    );

    let demo = spawn_demo_mode_app().await;
    let on = spawn_app_serving(maillage::config::ServeConfig {
        graphiql: Some(true),
        ..Default::default()
    })
    .await;
    for app in [&demo, &on] {
        let page = app.get("/graphql").await;
        assert_eq!(page.status(), 200);
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .to_owned();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        let html = page.text().await.expect("body");
        // Every script and style comes from this server, and each is served.
        let sources: Vec<&str> = html
            .split(['"', '\''])
            .filter(|s| s.starts_with("/graphiql/"))
            .collect();
        assert_eq!(sources.len(), 5, "{html}");
        assert!(!html.contains("http://") && !html.contains("https://"));
        for source in sources {
            let asset = app.get(source).await;
            assert_eq!(asset.status(), 200, "{source}");
            assert!(asset.bytes().await.expect("bytes").len() > 300, "{source}");
        }
    }
}

#[tokio::test]
async fn a_body_not_declared_json_is_refused_with_415() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let query = r#"{"query":"{ __typename }"}"#;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = client
            .post(format!("{}/graphql", app.address))
            .header("Content-Type", content_type)
            .body(query)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 415, "{content_type}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "UNSUPPORTED_MEDIA_TYPE"
        );
    }
    let response = client
        .post(format!("{}/graphql", app.address))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(query)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn text_with_a_nul_character_is_bad_input_and_long_input_is_not_echoed_whole() {
    let app = spawn_app().await;
    let register = "mutation($s: String!, $input: AgentInput!) { registerAgent(structure: $s, input: $input) { id } }";
    let vars = serde_json::json!({ "s": "DEMO-59-01",
        "input": { "name": "Alice\u{0}Durand", "email": "alice@mairie.fr" } });
    let response = app.query_as(PREFECT_59, register, vars).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert_eq!(
        response["errors"][0]["extensions"]["field"],
        "variables.input.name"
    );
    assert!(
        maillage::service::users::find_by_email(&app.db, "alice@mairie.fr")
            .await
            .expect("db")
            .is_none()
    );
    let long = "M".repeat(1_000_000);
    let response = app
        .query_as(
            ANCT,
            "query($m: String!) { structure(matricule: $m) { name } }",
            serde_json::json!({ "m": long }),
        )
        .await;
    assert_eq!(error_codes(&response), ["NOT_FOUND"]);
    let message = response["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.chars().count() < 120,
        "{} characters",
        message.len()
    );
}

#[tokio::test]
async fn a_read_only_database_is_unavailable_not_internal() {
    let app = spawn_app().await;
    let Some(file) = maillage::db::sqlite_file(&app.database_url) else {
        return; // PostgreSQL: a read-only server is a standby, covered by the same code path.
    };
    let read_only = maillage::db::connect(&format!("sqlite://{}?mode=ro", file.display()), 2)
        .await
        .expect("connect read-only");
    let time = app.time.clone();
    let served = maillage::startup::Application::with_state(
        read_only,
        app.keys.clone(),
        test_vault(),
        false,
        maillage::clock::Clock::from_source(time),
        &maillage::config::ServeConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            ..Default::default()
        },
    )
    .await
    .expect("app");
    let address = format!("http://127.0.0.1:{}", served.port());
    tokio::spawn(served.run_until_stopped());
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("{address}/ready"))
        .send()
        .await
        .expect("ready");
    assert_eq!(ready.status(), 503);
    let token = app.token(PREFECT_59).await;
    let create = "mutation { createReferent(input: { partner: \"CAF\", department: \"59\",
        kind: BACK_OFFICE, name: \"Paul Martin\", email: \"paul.martin@caf.fr\" }) { id } }";
    let response = client
        .post(format!("{address}/graphql"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": create }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error_codes(&body), ["UNAVAILABLE"]);
    // Reads still work.
    let read = client
        .post(format!("{address}/graphql"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": "{ structures { totalCount } }" }))
        .send()
        .await
        .expect("send");
    assert_eq!(read.status(), 200);
}

#[tokio::test]
async fn a_query_that_asks_too_much_is_refused_before_it_runs() {
    let app = spawn_app().await;
    let figure = "reporting { total }";
    let aliases: String = (0..50)
        .map(|i| format!("f{i}: dashboard {{ {figure} }} "))
        .collect();
    let before = app.statements();
    let response = app
        .query_as(
            OPERATOR_CAF,
            &format!("{{ {aliases} }}"),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(error_codes(&response), ["QUERY_TOO_COMPLEX"]);
    assert!(response["data"].is_null());
    // Refused before any resolver ran: only the caller's own look-up reached the database.
    assert!(
        app.statements() - before <= 2,
        "{} statements",
        app.statements() - before
    );
    let periods: String = (0..3)
        .map(|i| format!("p{i}: dashboard {{ {figure} }} "))
        .collect();
    let fine = app
        .query_as(
            OPERATOR_CAF,
            &format!("{{ {periods} }}"),
            serde_json::Value::Null,
        )
        .await;
    assert!(data(&fine)["p2"]["reporting"]["total"].is_number());
}

#[tokio::test]
async fn the_complexity_limit_weighs_dashboard_figures_and_page_sizes() {
    let app = spawn_app().await;
    // 100 figure groups, no field more than 10 times in one selection, 210 fields in all.
    let groups: String = (0..10)
        .map(|i| format!("r{i}: reporting {{ total }} "))
        .collect();
    let heavy: String = (0..10)
        .map(|i| format!("d{i}: dashboard {{ {groups} }} "))
        .collect();
    let before = app.statements();
    let response = app
        .query_as(ANCT, &format!("{{ {heavy} }}"), serde_json::Value::Null)
        .await;
    assert_eq!(error_codes(&response), ["QUERY_TOO_COMPLEX"], "{response}");
    assert!(app.statements() - before <= 2);
    // A whole dashboard is fine.
    let page = "{ dashboard {
        reporting { total byMonth { key count } byPartner { key count } byTheme { key count } }
        supportRequests { total late } labelPipeline { byStatus { key count } }
        assessmentGap { criterion gap } missingReferents { key count }
        training { agents qualified } answerDelays { partner answered }
        satisfaction { audience answers } coverage { department }
        complianceGaps { criterion } mysteryVisits { department } } }";
    let whole = app.query_as(ANCT, page, serde_json::Value::Null).await;
    assert!(data(&whole)["dashboard"]["reporting"]["total"].is_number());

    // A page counts its selection once per row asked.
    let fields = "id matricule name format labelStatus labelDate department { code name }
        commune { code name } address postalCode location { latitude longitude } phone email";
    let pages = |first: u32| -> String {
        let one = format!("structures(first: {first}) {{ edges {{ node {{ {fields} }} }} }}");
        (0..10).map(|i| format!("s{i}: {one} ")).collect()
    };
    let big = app
        .query_as(
            ANCT,
            &format!("{{ {} }}", pages(100)),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(error_codes(&big), ["QUERY_TOO_COMPLEX"], "{big}");
    let small = app
        .query_as(
            ANCT,
            &format!("{{ {} }}", pages(10)),
            serde_json::Value::Null,
        )
        .await;
    assert!(data(&small)["s9"]["edges"][0]["node"]["matricule"].is_string());
}

/// Every error carries `extensions.code`, also those raised before execution.
#[tokio::test]
async fn errors_raised_before_execution_carry_a_code() {
    let app = spawn_app().await;
    let record = "mutation($d: Date!) { recordReportEntry(input: { structure: \"DEMO-59-01\",
        occurredOn: $d, partner: \"CAF\", theme: FAMILY, helpKind: REFERRAL,
        resolvedOnSite: true, durationMinutes: 5 }) { id } }";
    for (query, variables, code) in [
        (
            "{ structures { totalCount ",
            json!({}),
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "{ structures { nope } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "{ structures(first: \"ten\") { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "{ structures(filter: { format: SUBMARINE }) { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (record, json!({ "d": "2026-02-30" }), "BAD_USER_INPUT"),
        (record, json!({}), "BAD_USER_INPUT"),
        (
            "query($n: Int) { structures(first: $n) { totalCount } }",
            json!({ "n": "x" }),
            "BAD_USER_INPUT",
        ),
        (
            "query A { me { email } } query B { me { email } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ] {
        let response = app.query_as(AGENT_LILLE, query, variables).await;
        let codes = error_codes(&response);
        assert!(
            !codes.is_empty() && codes.iter().all(|c| c == code),
            "{query}: {response}"
        );
    }
}

#[tokio::test]
async fn a_list_of_forty_thousand_items_is_bad_input_inline_or_as_a_variable() {
    let app = spawn_app().await;
    let codes: Vec<String> = (0..40_000).map(|i| format!("{:02}", i % 100)).collect();
    let query = "query($d: [String!]) { structures(filter: { departments: $d }) { totalCount } }";
    let response = app.query_as(ANCT, query, json!({ "d": codes })).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response}");
    assert_eq!(response["errors"][0]["extensions"]["field"], "variables.d");

    let inline = format!(
        "{{ dashboard(filter: {{ departments: {} }}) {{ departments }} }}",
        serde_json::to_string(&codes).expect("json")
    );
    let response = app.query_as(ANCT, &inline, json!({})).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response}");

    let fine = app
        .query_as(ANCT, query, json!({ "d": ["59", "23", "62"] }))
        .await;
    assert!(data(&fine)["structures"]["totalCount"].is_number());
}

/// Every refusal at the HTTP level is a GraphQL-shaped JSON body with a code, and the
/// GraphQL over HTTP draft is followed for the clients that ask for it.
#[tokio::test]
async fn http_refusals_are_graphql_shaped_and_the_media_type_is_negotiated() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", app.address);
    let send = |body: String, content_type: &'static str| {
        client
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let big = format!(
        "{{\"query\": \"{{ __typename }}\", \"x\": \"{}\"}}",
        "a".repeat(maillage::startup::MAX_REQUEST_BYTES)
    );
    for (body, content_type, status, code) in [
        (
            "{ not json".to_owned(),
            "application/json",
            400,
            "BAD_REQUEST",
        ),
        (
            "[{\"query\": \"{ __typename }\"}, {\"query\": \"{ __typename }\"}]".to_owned(),
            "application/json",
            400,
            "BAD_REQUEST",
        ),
        (
            "query=%7B__typename%7D".to_owned(),
            "application/x-www-form-urlencoded",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (big, "application/json", 413, "PAYLOAD_TOO_LARGE"),
    ] {
        let response = send(body, content_type).await.expect("send");
        assert_eq!(response.status(), status);
        let json: Value = response.json().await.expect("a JSON body");
        assert_eq!(error_codes(&json), [code], "{json}");
        let message = json["errors"][0]["message"].as_str().expect("message");
        assert!(
            !message.contains('\n') && !message.contains("InvalidRequest"),
            "{message}"
        );
    }
    let put = client.put(&url).send().await.expect("send");
    assert_eq!(put.status(), 405);
    let json: Value = put.json().await.expect("a JSON body");
    assert_eq!(error_codes(&json), ["METHOD_NOT_ALLOWED"]);

    // application/graphql-response+json: its media type, and 4xx for request errors.
    let ask = |query: &str, accept: Option<&'static str>| {
        let mut request = client.post(&url).json(&json!({ "query": query }));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        request.send()
    };
    let modern = Some("application/graphql-response+json, application/json;q=0.9");
    for (query, status) in [
        ("{ __typename", 400),
        ("{ nope }", 400),
        // Refused by its resolver: execution began, 200 with the error.
        ("{ structures { totalCount } }", 200),
        ("{ __typename }", 200),
    ] {
        let response = ask(query, modern).await.expect("send");
        assert_eq!(response.status(), status, "{query}");
        assert_eq!(
            response.headers()["content-type"],
            "application/graphql-response+json"
        );
    }
    let forged = client
        .post(&url)
        .header("accept", "application/graphql-response+json")
        .bearer_auth("not-a-token")
        .json(&json!({ "query": "{ me { email } }" }))
        .send()
        .await
        .expect("send");
    assert_eq!(forged.status(), 401);
    // Any other client: application/json, 200 for every GraphQL response.
    for accept in [None, Some("application/json"), Some("*/*")] {
        let response = ask("{ nope }", accept).await.expect("send");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
    }
}

#[tokio::test]
async fn browsers_of_the_listed_origins_may_call_the_api_and_no_other() {
    let listed = "https://tableau.nord.gouv.fr";
    let app = spawn_app_serving(maillage::config::ServeConfig {
        cors_origins: vec![listed.to_owned()],
        ..Default::default()
    })
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", app.address);
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight(listed).await.expect("preflight");
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], listed);
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .expect("headers");
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));

    let other = preflight("https://evil.example").await.expect("preflight");
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // The cross-origin request itself.
    let token = app.token(PREFECT_59).await;
    let response = client
        .post(&url)
        .header("origin", listed)
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { email } }" }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.headers()["access-control-allow-origin"], listed);
    let body: Value = response.json().await.expect("json");
    assert_eq!(data(&body)["me"]["email"], PREFECT_59);
    let foreign = client
        .post(&url)
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("send");
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // None by default.
    let closed = spawn_app().await;
    let response = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/graphql", closed.address),
        )
        .header("origin", listed)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// A field refused to its caller reads `null` with its error, never vanishes; a non-null
/// one makes its nearest nullable parent null (GraphQL specification, "Handling Field
/// Errors").
#[tokio::test]
async fn refused_fields_read_null_with_their_error_and_non_null_ones_propagate() {
    let app = spawn_app().await;
    // Every field an operator may not read on a structure, under an alias too, directly and
    // through the page of a connection.
    let fields = "name agents { name } surveyResults { answers } funding { year }
        compliance { computed } labelApplications { priority } internal: agents { email }";
    let query = format!(
        "{{ structure(matricule: \"DEMO-59-01\") {{ {fields} }}
           structures(first: 3) {{ edges {{ node {{ ... on Structure {{ {fields} }} }} }} }}
           dashboard {{ reporting {{ total }} training {{ agents }} }}
           convention(department: \"23\") {{ title }} }}"
    );
    let operator = app.query_as(OPERATOR_CAF, &query, json!({})).await;
    let refused_paths: Vec<String> = operator["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["path"].to_string())
        .collect();
    assert!(refused_paths.len() >= 7, "{operator:#}");
    for error in operator["errors"].as_array().expect("errors") {
        let mut at = &operator["data"];
        let path = error["path"].as_array().expect("a path");
        for (i, step) in path.iter().enumerate() {
            at = match step {
                Value::String(key) => {
                    let object = at
                        .as_object()
                        .unwrap_or_else(|| panic!("{path:?}: {operator:#}"));
                    assert!(object.contains_key(key), "{path:?} vanished from data");
                    &object[key]
                }
                Value::Number(n) => &at[n.as_u64().expect("index") as usize],
                _ => panic!("path {path:?}"),
            };
            if i + 1 == path.len() {
                assert!(at.is_null(), "{path:?} is not null");
            }
        }
    }
    // The figures the operator may read are there.
    assert!(operator["data"]["dashboard"]["reporting"]["total"].is_number());
    assert_eq!(
        operator["data"]["structure"]["name"],
        "France services Lille Moulins"
    );

    // A prefect of 59 asking for the convention of 23: null, with NOT_FOUND.
    let prefect = app
        .query_as(
            PREFECT_59,
            "{ me { email } convention(department: \"23\") { title } }",
            json!({}),
        )
        .await;
    assert!(
        prefect["data"]
            .as_object()
            .expect("data")
            .contains_key("convention")
    );
    assert!(prefect["data"]["convention"].is_null());
    assert_eq!(prefect["data"]["me"]["email"], PREFECT_59);

    // `me` is non-null: refused, it nulls `data` itself, __typename included.
    let anonymous = app
        .post(None, "{ __typename me { email } }", json!({}))
        .await;
    assert!(anonymous["data"].is_null(), "{anonymous}");
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn metrics_are_scraped_with_real_figures() {
    let app = spawn_app().await;
    let token = app.token(PREFECT_59).await;
    let named = "query StructuresPage { structures { totalCount } }";
    for _ in 0..3 {
        data(&app.post(Some(&token), named, json!({})).await);
    }
    app.post(Some(&token), "{ nope }", json!({})).await;
    let scrape = app.get("/metrics").await;
    assert_eq!(scrape.status(), 200);
    assert!(
        scrape.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/plain")
    );
    let text = scrape.text().await.expect("text");
    let count = |needle: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with("maillage_graphql_requests_total") && l.contains(needle))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0)
    };
    // One process, several apps: at least what this test sent.
    assert!(
        count("operation=\"StructuresPage\",code=\"OK\"") >= 3.0,
        "{text}"
    );
    assert!(count("code=\"GRAPHQL_VALIDATION_FAILED\"") >= 1.0, "{text}");
    assert!(
        text.contains(
            "maillage_graphql_request_duration_seconds_bucket{operation=\"StructuresPage\""
        )
    );
    assert!(text.contains("maillage_db_connections{state=\"idle\"}"));
    // An unnamed operation is labelled by a hash of its document.
    assert!(text.contains("operation=\"anonymous:"), "{text}");
}

/// The keys of every object of a JSON text in the order they are written, objects listed
/// depth first (a `serde_json::Value` would not keep the order).
fn keys_as_written(raw: &str) -> Vec<Vec<String>> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::cell::RefCell;

    struct Keys<'a>(&'a RefCell<Vec<Vec<String>>>);
    impl<'de> DeserializeSeed<'de> for Keys<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Keys<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let at = self.0.borrow().len();
            self.0.borrow_mut().push(Vec::new());
            while let Some(key) = map.next_key::<String>()? {
                self.0.borrow_mut()[at].push(key);
                map.next_value_seed(Keys(self.0))?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Keys(self.0))?.is_some() {}
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }
    let objects = RefCell::new(Vec::new());
    Keys(&objects)
        .deserialize(&mut serde_json::Deserializer::from_str(raw))
        .expect("JSON");
    objects.into_inner()
}

#[tokio::test]
async fn fields_come_in_the_order_they_were_selected() {
    let app = spawn_app().await;
    // Fields that wait on the database are selected before fields ready at once, at every
    // level, directly, through an inline fragment and through a named one.
    let query = "query Ordered {
        structures(first: 2) {
          ...Rows
          totalCount
          pageInfo { hasNextPage }
        }
        me { roles { role } email }
        last: __typename
      }
      fragment Rows on StructureConnection {
        edges {
          node {
            ... on Structure {
              effectivePartners { name code }
              department { name code }
              commune { name }
              name
              matricule
              __typename
            }
          }
          cursor
        }
      }";
    let raw = app.raw_as(PREFECT_59, query, json!({})).await;
    let response: Value = serde_json::from_str(&raw).expect("json");
    assert!(response.get("errors").is_none(), "{response:#}");
    assert_eq!(
        data(&response)["structures"]["edges"]
            .as_array()
            .expect("edges")
            .len(),
        2
    );
    let objects = keys_as_written(&raw);
    let expected: [&[&str]; 7] = [
        &["structures", "me", "last"],
        &["edges", "totalCount", "pageInfo"],
        &["node", "cursor"],
        &[
            "effectivePartners",
            "department",
            "commune",
            "name",
            "matricule",
            "__typename",
        ],
        &["name", "code"],
        &["roles", "email"],
        &["hasNextPage"],
    ];
    for keys in expected {
        let same_set: Vec<&Vec<String>> = objects
            .iter()
            .filter(|o| o.len() == keys.len() && keys.iter().all(|k| o.contains(&k.to_string())))
            .collect();
        assert!(!same_set.is_empty(), "no object with {keys:?} in {raw}");
        for object in same_set {
            assert_eq!(object, keys, "in {raw}");
        }
    }

    // Refused fields read null in their place: an operator may read a structure's name and
    // matricule, not its agents nor its funding.
    let refused = "{ structure(matricule: \"DEMO-59-01\") {
        agents { name } name ...Money matricule
      } }
      fragment Money on Structure { funding { year } }";
    let raw = app.raw_as(OPERATOR_CAF, refused, json!({})).await;
    let response: Value = serde_json::from_str(&raw).expect("json");
    let structure = &response["data"]["structure"];
    assert!(
        structure["agents"].is_null() && structure["funding"].is_null(),
        "{raw}"
    );
    assert_eq!(structure["matricule"], "DEMO-59-01");
    assert_eq!(error_codes(&response).len(), 2, "{raw}");
    assert!(
        keys_as_written(&raw).contains(
            &["agents", "name", "funding", "matricule"]
                .map(String::from)
                .to_vec()
        ),
        "{raw}"
    );

    // An anonymous caller is refused: `me` is non-null, so `data` is null.
    let anonymous = app.post(None, query, json!({})).await;
    assert!(anonymous["data"].is_null(), "{anonymous}");
    let codes = error_codes(&anonymous);
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "UNAUTHENTICATED"),
        "{anonymous}"
    );
}
