//! The web front (issue 16): its GraphQL documents hold against the schema, its files are
//! served from the binary with a policy that loads nothing from elsewhere.
use apollo_compiler::{ExecutableDocument, Schema};

use crate::helpers::*;

#[test]
fn every_graphql_document_of_the_front_is_valid_against_the_committed_schema() {
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    let schema = Schema::parse_and_validate(sdl, "schema.graphql").expect("a valid schema");
    let documents = maillage::front::documents();
    assert!(documents.len() >= 9, "{} documents", documents.len());
    for (name, text) in &documents {
        if let Err(errors) = ExecutableDocument::parse_and_validate(&schema, *text, *name) {
            // Each error as JSON (message, location): the styled report needs every source.
            let listed: Vec<String> = errors
                .errors
                .iter()
                .map(|e| serde_json::to_string(&e.to_json()).unwrap_or_default())
                .collect();
            panic!("front/graphql/{name} drifted from schema.graphql: {listed:#?}");
        }
    }
    // The check fails on a document that drifts (a field the schema does not have).
    let drifted = "query Drift { dashboard { reporting { totl } } }";
    assert!(ExecutableDocument::parse_and_validate(&schema, drifted, "drift.graphql").is_err());
}

#[tokio::test]
async fn the_front_is_served_from_the_binary_and_loads_nothing_from_elsewhere() {
    let app = spawn_demo_mode_app().await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}/", app.address))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    let html = page.text().await.expect("html");
    assert!(html.contains("data-demo=\"true\""), "demo mode is told");
    assert!(
        html.contains("République<br>Française"),
        "the Marianne block"
    );
    for (path, kind) in [
        ("/ui/app.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
        ("/ui/dsfr/dsfr.min.css", "text/css"),
        ("/ui/dsfr/dsfr.module.min.js", "text/javascript"),
        ("/ui/dsfr/fonts/Marianne-Regular.woff2", "font/woff2"),
        ("/ui/dsfr/chart/DSFRChart.js", "text/javascript"),
        ("/ui/dsfr/chart/DSFRChart.css", "text/css"),
        ("/ui/graphql/Dashboard.graphql", "application/graphql"),
    ] {
        let response = client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("asset");
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"].to_str().expect("ascii");
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert!(!response.bytes().await.expect("body").is_empty(), "{path}");
    }
    for path in [
        "/ui/absent.js",
        "/ui/../Cargo.toml",
        "/ui/dsfr/../../Cargo.toml",
        "/ui//app.js",
    ] {
        let response = client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("asset");
        assert_eq!(response.status(), 404, "{path}");
    }
    // Stored gzipped: sent so to a browser, inflated for a client that does not accept it.
    let gzipped = client
        .get(format!("{}/ui/dsfr/dsfr.min.css", app.address))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .expect("css");
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    // Every icon and font the stylesheet refers to is served.
    let css = client
        .get(format!("{}/ui/dsfr/dsfr.min.css", app.address))
        .send()
        .await
        .expect("css")
        .text()
        .await
        .expect("text");
    let mut checked = 0;
    for part in css.split("url(").skip(1) {
        let target = part
            .split(')')
            .next()
            .unwrap_or_default()
            .trim_matches(['"', '\'']);
        if target.starts_with("data:") || target.ends_with(".woff") {
            continue; // inline, or the older format next to each woff2
        }
        let response = client
            .get(format!("{}/ui/dsfr/{target}", app.address))
            .send()
            .await
            .expect("asset");
        assert_eq!(response.status(), 200, "{target}");
        checked += 1;
    }
    assert!(css.contains(".fr-header"), "inflated");
    assert!(checked > 50, "{checked} files of the stylesheet");
}

mod in_a_browser {
    use std::time::Duration;

    use fantoccini::{Client, Locator};
    use serde_json::{Value, json};

    use crate::browser::{driver, session};
    use crate::helpers::*;

    const PREFECT: &str = "prefet.nord@demo.maillage.fr";
    const AGENT: &str = "agent.lille@demo.maillage.fr";
    const OPERATOR: &str = "operateur.caf@demo.maillage.fr";

    /// The front's own document `name`.
    pub fn document(name: &str) -> &'static str {
        maillage::front::documents()
            .into_iter()
            .find(|(file, _)| *file == format!("{name}.graphql"))
            .map(|(_, text)| text)
            .unwrap_or_else(|| panic!("no front/graphql/{name}.graphql"))
    }

    /// Runs the front's document `file`, its operation of the same name, as `email`: what the
    /// page asks.
    pub async fn run(app: &TestApp, email: &str, file: &str, variables: Value) -> Value {
        let token = app.token(email).await;
        answer(
            reqwest::Client::new()
                .post(format!("{}/graphql", app.address))
                .bearer_auth(token)
                .json(
                    &json!({ "query": document(file), "operationName": file, "variables": variables }),
                ),
        )
        .await
    }

    /// A count as the page writes it (French grouping with a narrow no-break space).
    pub fn shown(count: &Value) -> String {
        let digits = count.as_i64().expect("a count").to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('\u{202f}');
            }
            out.push(ch);
        }
        out
    }

    async fn text_of(browser: &Client, css: &str) -> Result<String, fantoccini::error::CmdError> {
        browser
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await?
            .text()
            .await
    }

    /// The text of `css` now (read in the page, so a re-render in between does not matter).
    pub async fn text_now(
        browser: &Client,
        css: &str,
    ) -> Result<String, fantoccini::error::CmdError> {
        let text = browser
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
                vec![json!(css)],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().trim().to_owned())
    }

    /// Signs in through the demo page as `email` (signing out first if someone is in).
    async fn sign_in(
        browser: &Client,
        app: &TestApp,
        email: &str,
    ) -> Result<(), fantoccini::error::CmdError> {
        browser.goto(&format!("{}/", app.address)).await?;
        browser
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("#outils li"))
            .await?;
        if let Ok(out) = browser
            .find(Locator::XPath("//button[contains(., 'Se déconnecter')]"))
            .await
        {
            out.click().await?;
            browser
                .wait()
                .at_most(Duration::from_secs(10))
                .for_url(url::Url::parse(&format!("{}/auth/logged-out", app.address)).expect("url"))
                .await?;
        }
        browser.goto(&format!("{}/auth/demo", app.address)).await?;
        browser
            .find(Locator::XPath(&format!("//button[contains(., '{email}')]")))
            .await?
            .click()
            .await?;
        let signed_in = text_of(browser, "[data-email]").await?;
        assert_eq!(signed_in, email);
        Ok(())
    }

    /// axe-core, vendored (scripts/update-axe.sh).
    fn axe() -> String {
        let gzipped = include_bytes!("fixtures/axe.min.js.gz");
        let mut source = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut source)
            .expect("axe-core");
        source
    }

    /// Runs axe-core on the page (WCAG 2.1 A and AA rules, as RGAA 4 follows them): the
    /// serious and critical violations, as `rule: what (element)`.
    async fn accessibility(browser: &Client) -> Result<Vec<String>, fantoccini::error::CmdError> {
        let script = format!(
            "{}\n;const done = arguments[arguments.length - 1];\
             axe.run(document, {{ runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }})\
             .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
             .map(v => v.id + ': ' + v.help + ' (' + v.nodes.map(n => n.target.join(' ')).join(', ') + ')')))\
             .catch(e => done(['axe failed: ' + e]));",
            axe()
        );
        let found = browser.execute_async(&script, vec![]).await?;
        Ok(serde_json::from_value(found).expect("a list"))
    }

    /// Waits (at most 30 s) until every chart of the page (DSFR's, loaded apart) has drawn its
    /// canvas or its map, and returns how many there are.
    pub async fn charts_drawn(browser: &Client) -> Result<usize, fantoccini::error::CmdError> {
        let script = "const charts = [...document.querySelectorAll('[data-chart]')]; \
            return charts.every((c) => c.querySelector('canvas[width], svg path')) ? charts.length : -1;";
        for _ in 0..300 {
            let drawn = browser.execute(script, vec![]).await?;
            if let Some(count) = drawn.as_u64() {
                return Ok(count as usize);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the charts are not drawn after 30 s");
    }

    pub async fn screenshot(
        browser: &Client,
        name: &str,
    ) -> Result<(), fantoccini::error::CmdError> {
        charts_drawn(browser).await?;
        // A value the page failed to render shows as a bare "null" or "undefined".
        let text = text_now(browser, "main").await?;
        for word in ["null", "undefined", "NaN", "[object"] {
            assert!(!text.contains(word), "{name} shows '{word}':\n{text}");
        }
        let violations = accessibility(browser).await?;
        assert!(violations.is_empty(), "{name}: {violations:#?}");
        let shot = browser.screenshot().await?;
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        std::fs::write(dir.join(format!("front-{name}.png")), shot).expect("screenshot");
        Ok(())
    }

    #[tokio::test]
    async fn the_three_views_show_the_api_s_figures_and_an_entry_recorded_at_the_desk_is_counted() {
        let Some(driver) = driver() else {
            return;
        };
        let app = spawn_demo_mode_app().await;
        // An Administration+ request for the operator's inbox.
        let referent = "mutation { createReferent(input: { partner: \"CAF\", department: \"59\",
            kind: BACK_OFFICE, name: \"Paul Martin\", email: \"paul.martin@caf.fr\" }) { id } }";
        data(&app.query_as(PREFECT, referent, Value::Null).await);
        let send = "mutation { sendSupportRequest(input: { structure: \"DEMO-59-01\",
            partner: \"CAF\", subject: \"Rupture de droits\", description: \"Dossier bloqué\",
            citizenName: \"Jeanne Dupont\" }) { id } }";
        data(&app.query_as(AGENT, send, Value::Null).await);
        let dashboard = |answer: &Value| answer["data"]["dashboard"].clone();
        let filter = json!({ "filter": { "departments": ["59"] } });

        let browser = session(&driver).await;
        browser.set_window_size(1400, 2200).await.expect("window");
        let outcome = async {
            // The prefect's dashboard: the figures are the API's for the prefect.
            sign_in(&browser, &app, PREFECT).await?;
            let before = dashboard(&run(&app, PREFECT, "Dashboard", filter.clone()).await);
            assert_eq!(
                text_of(&browser, "[data-figure='reporting.total']").await?,
                shown(&before["reporting"]["total"])
            );
            assert_eq!(
                text_of(&browser, "[data-figure='supportRequests.total']").await?,
                shown(&before["supportRequests"]["total"])
            );
            assert_eq!(
                text_of(&browser, "[data-figure='supportRequests.late']").await?,
                shown(&before["supportRequests"]["late"])
            );
            // The map: one point per structure of the department with coordinates.
            text_of(&browser, "[data-map='59']").await?;
            let structures = app
                .query_as(
                    PREFECT,
                    document("StructuresMap"),
                    json!({ "department": "59" }),
                )
                .await;
            let nodes: Vec<Value> = data(&structures)["structures"]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone())
                .collect();
            let located = nodes.iter().filter(|n| !n["location"].is_null()).count();
            assert!(located > 0);
            let points = browser
                .find_all(Locator::Css("[data-map='59'] circle"))
                .await?;
            assert_eq!(points.len(), located);
            let rows = browser
                .find_all(Locator::Css("[data-table='structures'] tbody tr"))
                .await?;
            assert_eq!(rows.len(), nodes.len());
            screenshot(&browser, "dashboard").await?;

            // The agent desk: an entry in three actions (partner, theme, record).
            sign_in(&browser, &app, AGENT).await?;
            let desk = run(
                &app,
                AGENT,
                "AgentDesk",
                json!({ "structure": "DEMO-59-01" }),
            )
            .await;
            assert_eq!(
                text_of(&browser, "[data-figure='reportEntries.totalCount']").await?,
                shown(&data(&desk)["reportEntries"]["totalCount"])
            );
            browser
                .find(Locator::Css("#partenaire option[value='CAF']"))
                .await?
                .click()
                .await?;
            browser
                .find(Locator::Css("#theme option[value='FAMILY']"))
                .await?
                .click()
                .await?;
            browser
                .find(Locator::XPath(
                    "//button[contains(., 'Enregistrer la demande')]",
                ))
                .await?
                .click()
                .await?;
            let recorded = text_of(&browser, "#enregistrement .fr-alert").await?;
            assert!(recorded.contains("Demande enregistrée"), "{recorded}");
            let after_desk = run(
                &app,
                AGENT,
                "AgentDesk",
                json!({ "structure": "DEMO-59-01" }),
            )
            .await;
            let entries = &data(&after_desk)["reportEntries"]["totalCount"];
            assert_eq!(
                entries.as_i64(),
                data(&desk)["reportEntries"]["totalCount"]
                    .as_i64()
                    .map(|n| n + 1)
            );
            assert_eq!(
                text_of(&browser, "[data-figure='reportEntries.totalCount']").await?,
                shown(entries)
            );
            screenshot(&browser, "agent").await?;

            // Counted on the prefect's dashboard.
            sign_in(&browser, &app, PREFECT).await?;
            let after = dashboard(&run(&app, PREFECT, "Dashboard", filter.clone()).await);
            assert_eq!(
                after["reporting"]["total"].as_i64(),
                before["reporting"]["total"].as_i64().map(|n| n + 1)
            );
            assert_eq!(
                text_of(&browser, "[data-figure='reporting.total']").await?,
                shown(&after["reporting"]["total"])
            );

            // The operator portal: the inbox is the API's, a request opens with its content.
            sign_in(&browser, &app, OPERATOR).await?;
            let portal = run(&app, OPERATOR, "OperatorPortal", Value::Null).await;
            let total = &data(&portal)["supportRequests"]["totalCount"];
            assert_eq!(total.as_i64(), Some(1));
            assert_eq!(
                text_of(&browser, "[data-figure='supportRequests.totalCount']").await?,
                shown(total)
            );
            assert_eq!(
                text_of(&browser, "[data-figure='structures.totalCount']").await?,
                shown(&data(&portal)["structures"]["totalCount"])
            );
            let inbox = browser
                .find_all(Locator::Css("[data-table='boite'] tbody tr"))
                .await?;
            assert_eq!(inbox.len(), 1);
            // The partner's referents, as the API gives them to the operator.
            let referents = data(&portal)["me"]["roles"][0]["partner"]["referents"]
                .as_array()
                .expect("referents")
                .len();
            assert_eq!(referents, 1);
            let rows = browser
                .find_all(Locator::Css("[data-table='referents-partenaire'] tbody tr"))
                .await?;
            assert_eq!(rows.len(), referents);
            browser
                .find(Locator::Css("[data-open]"))
                .await?
                .click()
                .await?;
            let opened = text_of(&browser, "#demande section").await?;
            assert!(opened.contains("Jeanne Dupont"), "{opened}");
            // Live: a new request appears in the open inbox (supportEvents over WebSocket).
            data(&app.query_as(AGENT, send, Value::Null).await);
            let mut shown_count = String::new();
            for _ in 0..100 {
                shown_count =
                    text_now(&browser, "[data-figure='supportRequests.totalCount']").await?;
                if shown_count == "2" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(shown_count, "2", "the inbox followed the new request");
            let live = text_now(&browser, "#direct").await?;
            assert!(live.contains("nouvelle demande"), "{live}");
            let inbox = browser
                .find_all(Locator::Css("[data-table='boite'] tbody tr"))
                .await?;
            assert_eq!(inbox.len(), 2);
            // The opened request stayed open.
            assert!(
                text_of(&browser, "#demande section")
                    .await?
                    .contains("Jeanne Dupont")
            );
            screenshot(&browser, "operator").await?;
            // The check sees a violation: a button without a name.
            browser
                .execute(
                    "document.querySelector('main').append(document.createElement('button'))",
                    vec![],
                )
                .await?;
            let found = accessibility(&browser).await?;
            assert!(
                found.iter().any(|v| v.starts_with("button-name")),
                "{found:?}"
            );
            Ok::<_, fantoccini::error::CmdError>(())
        }
        .await;
        browser.close().await.expect("close the session");
        outcome.expect("the front in the browser");
    }
}

mod on_the_national_data {
    use std::time::Duration;

    use fantoccini::{Client, Locator};
    use maillage::domain::enums::Role;
    use maillage::service::sessions;
    use maillage::service::users::{self, ScopeArgs};
    use serde_json::{Value, json};

    use super::in_a_browser::{charts_drawn, document, run, screenshot, shown, text_now};
    use crate::browser::{driver, session};
    use crate::helpers::*;

    /// Opens a session for `email` (as a sign-in would) and hands its cookie to the browser.
    async fn signed_in(browser: &Client, app: &TestApp, email: &str) {
        let value = app.session(email).await;
        browser
            .goto(&format!("{}/ui/app.css", app.address))
            .await
            .expect("goto");
        browser.delete_all_cookies().await.expect("cookies");
        browser
            .execute(
                "document.cookie = arguments[0] + '=' + arguments[1] + '; path=/; SameSite=Lax'",
                vec![json!(sessions::COOKIE), json!(value)],
            )
            .await
            .expect("cookie");
    }

    /// Waits (at most a minute) until the figure `key` reads `expected`.
    async fn figure_reads(browser: &Client, key: &str, expected: &str) {
        let css = format!("[data-figure='{key}']");
        let mut now = String::new();
        for _ in 0..600 {
            now = text_now(browser, &css).await.expect("read");
            if now == expected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{key} reads '{now}', the API says '{expected}'");
    }

    #[tokio::test]
    async fn anct_and_a_prefect_see_the_api_s_figures_of_the_real_network() {
        let Some(driver) = driver() else {
            return;
        };
        let (app, _) = crate::import::app_with_real_sites().await;
        crate::dashboard::synthetic(&app, 11).await;
        let anct = "anct.front@t.fr";
        let prefect = "prefet.nord.front@t.fr";
        users::grant(&app.db, anct, Role::Anct, &ScopeArgs::default(), app.now())
            .await
            .expect("grant");
        let nord = ScopeArgs {
            department: Some("59".into()),
            ..Default::default()
        };
        users::grant(&app.db, prefect, Role::Prefect, &nord, app.now())
            .await
            .expect("grant");
        let operator = "operateur.caf.front@t.fr";
        let caf = ScopeArgs {
            partner: Some("CAF".into()),
            ..Default::default()
        };
        users::grant(&app.db, operator, Role::Operator, &caf, app.now())
            .await
            .expect("grant");
        let figures = |answer: &Value| answer["data"]["dashboard"].clone();

        let browser = session(&driver).await;
        let outcome = async {
            // ANCT, the whole network.
            signed_in(&browser, &app, anct).await;
            browser.goto(&format!("{}/", app.address)).await?;
            let national = figures(&run(&app, anct, "Dashboard", json!({ "filter": {} })).await);
            assert!(
                national["reporting"]["total"].as_i64() > Some(1000),
                "{national}"
            );
            figure_reads(
                &browser,
                "reporting.total",
                &shown(&national["reporting"]["total"]),
            )
            .await;
            figure_reads(
                &browser,
                "supportRequests.total",
                &shown(&national["supportRequests"]["total"]),
            )
            .await;
            figure_reads(
                &browser,
                "supportRequests.late",
                &shown(&national["supportRequests"]["late"]),
            )
            .await;
            // The coverage of every department's cantons, on DSFR's map and in its table.
            let coverage = national["coverage"].as_array().expect("coverage");
            let sum = |key: &str| {
                coverage
                    .iter()
                    .map(|c| c[key].as_i64().expect("a count"))
                    .sum::<i64>()
            };
            figure_reads(
                &browser,
                "coverage.covered",
                &format!(
                    "{} cantons couverts sur {} ({} sans France Services)",
                    shown(&json!(sum("covered"))),
                    shown(&json!(sum("cantons"))),
                    shown(&json!(sum("uncovered")))
                ),
            )
            .await;
            assert_eq!(
                browser
                    .find_all(Locator::Css("[data-table='couverture'] tbody tr"))
                    .await?
                    .len(),
                coverage.len()
            );
            let charts = charts_drawn(&browser).await?;
            assert_eq!(
                charts, 5,
                "by month, partner, theme and label step, and the map"
            );
            browser.set_window_size(1400, 2400).await?;
            screenshot(&browser, "national").await?;
            let departments = browser
                .find_all(Locator::Css("#departement option"))
                .await?;
            assert_eq!(
                departments.len(),
                102,
                "the whole network and its 101 departments"
            );

            // ANCT picks Nord: Nord's figures and its structures on the map.
            browser
                .find(Locator::Css("#departement option[value='59']"))
                .await?
                .click()
                .await?;
            browser
                .find(Locator::XPath("//button[contains(., 'Afficher')]"))
                .await?
                .click()
                .await?;
            let filter = json!({ "filter": { "departments": ["59"] } });
            let nord_figures = figures(&run(&app, anct, "Dashboard", filter.clone()).await);
            figure_reads(
                &browser,
                "reporting.total",
                &shown(&nord_figures["reporting"]["total"]),
            )
            .await;
            let mut located = 0;
            let mut after = Value::Null;
            loop {
                let page = app
                    .query_as(
                        anct,
                        document("StructuresMap"),
                        json!({ "department": "59", "after": after }),
                    )
                    .await;
                let page = data(&page)["structures"].clone();
                located += page["edges"]
                    .as_array()
                    .expect("edges")
                    .iter()
                    .filter(|e| !e["node"]["location"].is_null())
                    .count();
                if page["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = page["pageInfo"]["endCursor"].clone();
            }
            assert!(located > 30, "{located} structures of Nord placed");
            let mut points = 0;
            for _ in 0..300 {
                points = browser
                    .find_all(Locator::Css("[data-map='59'] circle"))
                    .await?
                    .len();
                if points == located {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(points, located);

            // The prefect of Nord: Nord by default, the same figures as the API gives them.
            signed_in(&browser, &app, prefect).await;
            browser.goto(&format!("{}/", app.address)).await?;
            let theirs = figures(&run(&app, prefect, "Dashboard", filter).await);
            assert_eq!(theirs["reporting"], nord_figures["reporting"]);
            figure_reads(
                &browser,
                "reporting.total",
                &shown(&theirs["reporting"]["total"]),
            )
            .await;
            figure_reads(
                &browser,
                "training.qualified",
                &format!(
                    "{} / {}",
                    shown(&theirs["training"]["qualified"]),
                    shown(&theirs["training"]["agents"])
                ),
            )
            .await;
            let options = browser
                .find_all(Locator::Css("#departement option"))
                .await?;
            assert_eq!(options.len(), 2, "their departments only");

            // A national operator of CAF: the inbox and the structures of the whole network,
            // counted by the API, read 100 at a time.
            signed_in(&browser, &app, operator).await;
            browser
                .goto(&format!("{}/#/operateur", app.address))
                .await?;
            let portal = data(&run(&app, operator, "OperatorPortal", Value::Null).await).clone();
            for (key, count) in [
                (
                    "supportRequests.totalCount",
                    &portal["supportRequests"]["totalCount"],
                ),
                (
                    "supportRequests.late",
                    &portal["lateRequests"]["totalCount"],
                ),
                ("structures.totalCount", &portal["structures"]["totalCount"]),
            ] {
                figure_reads(&browser, key, &shown(count)).await;
            }
            assert!(
                portal["lateRequests"]["totalCount"].as_i64() > Some(0),
                "late requests among {}",
                portal["supportRequests"]["totalCount"]
            );
            let structures = portal["structures"]["totalCount"]
                .as_u64()
                .expect("a count") as usize;
            assert!(
                structures > 100,
                "{structures} structures where CAF is effective"
            );
            let rows = async || -> Result<usize, fantoccini::error::CmdError> {
                Ok(browser
                    .find_all(Locator::Css(
                        "[data-table='structures-partenaire'] tbody tr",
                    ))
                    .await?
                    .len())
            };
            assert_eq!(rows().await?, 100);
            browser
                .find(Locator::Css("[data-more='structures-partenaire']"))
                .await?
                .click()
                .await?;
            let mut read = 0;
            for _ in 0..100 {
                read = rows().await?;
                if read > 100 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(read, structures.min(200), "the next page added");

            // An agent of the synthetic network: their structure's entries, as the API counts.
            let agent = "agent0@synthetic.maillage.fr";
            signed_in(&browser, &app, agent).await;
            browser.goto(&format!("{}/#/agent", app.address)).await?;
            let me = app
                .query_as(
                    agent,
                    "{ me { roles { structure { matricule } } } }",
                    Value::Null,
                )
                .await;
            let structure = data(&me)["me"]["roles"][0]["structure"]["matricule"].clone();
            let desk = run(&app, agent, "AgentDesk", json!({ "structure": structure })).await;
            let entries = &data(&desk)["reportEntries"]["totalCount"];
            assert!(entries.as_i64() > Some(0), "{desk}");
            figure_reads(&browser, "reportEntries.totalCount", &shown(entries)).await;
            Ok::<_, fantoccini::error::CmdError>(())
        }
        .await;
        browser.close().await.expect("close the session");
        outcome.expect("the front on the national data");
    }
}
