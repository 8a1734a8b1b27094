//! GraphiQL in a real browser (issue 11): headless Chromium, driven over WebDriver
//! (chromium-driver), with every host but 127.0.0.1 unresolvable, loads GraphiQL from the
//! server, runs a query and shows the docs explorer.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages; `.ci/run` installs them and sets
//! `MAILLAGE_REQUIRE_BROWSER=1`, which turns a missing browser into a failure). Without them,
//! and under `faketime` (the shifted-clock leg), the test says it is skipped.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::*;

/// chromedriver on a free port, stopped when dropped.
pub struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver, or `None` (the test is skipped) without a browser or under `faketime`.
pub fn driver() -> Option<Driver> {
    if std::env::var_os("FAKETIME").is_some() {
        eprintln!("browser test skipped: the clock is faked (the browser is not)");
        return None;
    }
    let binary = [
        "chromedriver",
        "/usr/bin/chromedriver",
        "/usr/lib/chromium/chromedriver",
    ]
    .into_iter()
    .find(|b| Command::new(b).arg("--version").output().is_ok());
    let Some(binary) = binary else {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_BROWSER").is_none(),
            "chromedriver is missing (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "browser test skipped: no chromedriver (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    Some(Driver(child, port))
}

/// A headless Chromium session of `driver`, with no network beyond this machine.
pub async fn session(driver: &Driver) -> fantoccini::Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1400,900",
            // No network beyond this machine: any other host does not resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ] }),
    );
    let url = format!("http://127.0.0.1:{}", driver.1);
    let mut client = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    client.expect("a WebDriver session")
}

#[tokio::test]
async fn graphiql_renders_runs_a_query_and_shows_the_docs_with_no_internet() {
    let Some(driver) = driver() else {
        return;
    };
    let app = spawn_demo_mode_app().await;
    let browser = session(&driver).await;
    let outcome = async {
        browser.goto(&format!("{}/graphql", app.address)).await?;
        browser
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(".graphiql-container"))
            .await?;
        // Anonymous introspection is open in demo mode: a query that needs no token.
        browser
            .execute(
                "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror\
                 .setValue('{ __schema { queryType { name } } }')",
                vec![],
            )
            .await?;
        browser
            .find(Locator::Css(".graphiql-execute-button"))
            .await?
            .click()
            .await?;
        let mut answered = String::new();
        for _ in 0..100 {
            answered = browser
                .find(Locator::Css(".graphiql-response"))
                .await?
                .text()
                .await?;
            if answered.contains("\"name\": \"Query\"") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            answered.contains("\"name\": \"Query\""),
            "the response pane: {answered}"
        );
        browser
            .find(Locator::Css(
                "button[aria-label='Show Documentation Explorer']",
            ))
            .await?
            .click()
            .await?;
        let docs = browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(".graphiql-doc-explorer"))
            .await?;
        let mut text = String::new();
        for _ in 0..50 {
            text = docs.text().await?;
            if text.contains("query: Query") || text.contains("query:\nQuery") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            text.contains("query: Query") || text.contains("query:\nQuery"),
            "the docs explorer: {text}"
        );
        let shot = browser.screenshot().await?;
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        std::fs::write(dir.join("graphiql.png"), shot).expect("screenshot");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    browser.close().await.expect("close the session");
    outcome.expect("GraphiQL in the browser");
}
