//! Signing in through a real OpenID provider: panva's `oidc-provider` (OpenID Certified; the
//! core of the ProConnect federation), run by Node from `tests/oidc/provider.mjs`, installed
//! with `npm ci` on first use. The "browser" is an HTTP client that keeps cookies and follows
//! redirects by hand, filling in the provider's login and consent forms.
//!
//! Needs Node (20 or later) and the npm registry; `.ci/run` sets `MAILLAGE_REQUIRE_OIDC=1`,
//! which turns a missing Node into a failure. Without Node, and under `faketime` (the
//! shifted-clock leg), the tests say they are skipped.
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use chrono::TimeDelta;
use maillage::config::ServeConfig;
use maillage::service::users::{self, ScopeArgs};
use maillage::signin::oidc::ProviderConfig;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use crate::helpers::*;

const SECRET: &str = "client-secret-client-secret-client-secret";
const SLICE: &str =
    "{ me { email } structures(first: 50) { totalCount edges { node { matricule } } } }";

/// The provider's directory of people: login → claims.
fn accounts() -> Value {
    json!({
        "prefet": { "email": "prefet.nord@demo.maillage.fr", "email_verified": true,
                    "given_name": "Paul", "usual_name": "Préfet", "uid": "p-59",
                    "siret": "17590001100010", "idp_id": "agentconnect-test" },
        "operateur": { "email": "Operateur.CAF@demo.maillage.fr", "email_verified": true },
        "chloe": { "email": "chloe@bus.fr", "email_verified": true },
        "inconnu": { "email": "inconnu@nord.gouv.fr", "email_verified": true },
        "non-verifie": { "email": "prefet.creuse@demo.maillage.fr", "email_verified": false },
        "usurpateur": { "email": "prefet.nord@demo.maillage.fr", "email_verified": true },
        "anct": { "email": "anct@demo.maillage.fr", "email_verified": true }
    })
}

/// `npm ci` in `tests/oidc`, once per test run; `false` when Node is missing (skip).
fn installed() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        if std::env::var_os("FAKETIME").is_some() {
            eprintln!("OpenID tests skipped under faketime");
            return false;
        }
        if Command::new("node").arg("--version").output().is_err() {
            assert!(
                std::env::var_os("MAILLAGE_REQUIRE_OIDC").is_none(),
                "node is missing: the OpenID tests run oidc-provider on Node 20 or later"
            );
            eprintln!("OpenID tests skipped: no node");
            return false;
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
        if !std::path::Path::new(dir)
            .join("node_modules/oidc-provider")
            .exists()
        {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(dir)
                .status()
                .expect("run npm ci in tests/oidc");
            assert!(status.success(), "npm ci in tests/oidc failed");
        }
        true
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// oidc-provider on a port of its own, stopped when dropped.
struct Provider {
    child: Child,
    port: u16,
    clients: Value,
}

impl Provider {
    /// Starts the provider with `clients` (oidc-provider client metadata); new signing keys
    /// are generated at every start.
    fn start(port: u16, clients: Value) -> Self {
        let mut child = Command::new("node")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/oidc/provider.mjs"
            ))
            .env("PORT", port.to_string())
            .env("CLIENTS", clients.to_string())
            .env("ACCOUNTS", accounts().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start oidc-provider");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("provider output");
        assert!(line.starts_with("listening"), "provider: {line}");
        Self {
            child,
            port,
            clients,
        }
    }

    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops and starts the provider again on the same port: its keys change (a rotation).
    fn restart(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        *self = Self::start(self.port, self.clients.clone());
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// An app registered at a provider as two clients: `test` (RS256 ID tokens) and `test-es`
/// (ES256).
struct World {
    app: TestApp,
    provider: Provider,
}

async fn world() -> Option<World> {
    if !installed() {
        return None;
    }
    let (app_port, provider_port) = (free_port(), free_port());
    let callback = format!("http://127.0.0.1:{app_port}/auth/callback");
    let client = |id: &str, alg: &str| {
        json!({
            "client_id": id, "client_secret": SECRET,
            "redirect_uris": [callback],
            "post_logout_redirect_uris": [format!("http://127.0.0.1:{app_port}/auth/logged-out")],
            "grant_types": ["authorization_code"], "response_types": ["code"],
            "id_token_signed_response_alg": alg
        })
    };
    let provider = Provider::start(
        provider_port,
        json!([
            client("maillage", "RS256"),
            client("maillage-es", "ES256"),
            // Another application of the provider, not configured in maillage.
            client("other-app", "RS256")
        ]),
    );
    let config = |name: &str, client_id: &str| ProviderConfig {
        name: name.into(),
        label: name.into(),
        issuer: provider.issuer(),
        client_id: client_id.into(),
        client_secret: SECRET.into(),
        redirect_url: callback.clone(),
        scopes: vec!["openid".into(), "email".into(), "profile".into()],
    };
    let serve = ServeConfig {
        listen: format!("127.0.0.1:{app_port}").parse().expect("addr"),
        oidc: vec![config("test", "maillage"), config("test-es", "maillage-es")],
        ..Default::default()
    };
    let app = spawn_app_listening(false, serve).await;
    Some(World { app, provider })
}

/// A browser: keeps cookies (by name, like a browser on one host), follows redirects by
/// hand, fills in the provider's forms.
struct Browser {
    http: reqwest::Client,
    cookies: Mutex<HashMap<String, String>>,
}

/// What the app answered at the end of a sign-in.
struct Landing {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: Mutex::new(HashMap::new()),
        }
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("jar").get(name).cloned()
    }

    fn keep(&self, headers: &HeaderMap) {
        let mut jar = self.cookies.lock().expect("jar");
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().expect("cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            let gone = attributes.to_ascii_lowercase().contains("max-age=0")
                || attributes.contains("1970");
            if gone || value.is_empty() {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .expect("jar")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, HeaderMap, String) {
        let response = request
            .header("Cookie", self.cookie_header())
            .send()
            .await
            .expect("request");
        let (status, headers) = (response.status(), response.headers().clone());
        self.keep(&headers);
        (status, headers, response.text().await.unwrap_or_default())
    }

    /// From `/auth/login?provider=…` through the provider's forms as `login`, up to the
    /// redirect back to the app: returns the callback URL, not yet visited.
    async fn to_callback(&self, app: &TestApp, provider: &str, login: &str) -> String {
        let start = format!(
            "{}/auth/login?provider={provider}&return_to=/after",
            app.address
        );
        self.follow(app, start, login).await
    }

    /// From `start` through the provider's forms as `login`, up to the redirect to the app's
    /// callback, which is returned.
    async fn follow(&self, app: &TestApp, start: String, login: &str) -> String {
        let mut url = start;
        let mut form: Option<(String, Vec<(&str, String)>)> = None;
        for _ in 0..20 {
            let (status, headers, body) = match form.take() {
                Some((action, fields)) => self.send(self.http.post(&action).form(&fields)).await,
                None => self.send(self.http.get(&url)).await,
            };
            if status.is_redirection() {
                let next = headers[LOCATION].to_str().expect("location").to_owned();
                let next = if next.starts_with('/') {
                    let origin: String = url.split('/').take(3).collect::<Vec<_>>().join("/");
                    format!("{origin}{next}")
                } else {
                    next
                };
                if next.starts_with(&format!("{}/auth/callback", app.address)) {
                    return next;
                }
                url = next;
                continue;
            }
            assert_eq!(status, StatusCode::OK, "{url}: {body}");
            let action = between(&body, "action=\"", "\"").expect("a form");
            let action = if action.starts_with('/') {
                let origin: String = url.split('/').take(3).collect::<Vec<_>>().join("/");
                format!("{origin}{action}")
            } else {
                action
            };
            let prompt = between(&body, "name=\"prompt\" value=\"", "\"").expect("a prompt");
            let fields = if prompt == "login" {
                vec![
                    ("prompt", prompt),
                    ("login", login.to_owned()),
                    ("password", "x".to_owned()),
                ]
            } else {
                vec![("prompt", prompt)]
            };
            form = Some((action, fields));
        }
        panic!("the sign-in did not come back to the app");
    }

    /// Visits the app's callback.
    async fn callback(&self, url: &str) -> Landing {
        let (status, headers, body) = self.send(self.http.get(url)).await;
        Landing {
            status,
            location: headers
                .get(LOCATION)
                .map(|v| v.to_str().expect("location").to_owned()),
            body,
        }
    }

    /// A whole sign-in as `login` at `provider`.
    async fn sign_in(&self, app: &TestApp, provider: &str, login: &str) -> Landing {
        let callback = self.to_callback(app, provider, login).await;
        self.callback(&callback).await
    }

    /// A GraphQL query from a page of the app, signed in by the session cookie.
    async fn graphql(&self, app: &TestApp, query: &str) -> Value {
        let (status, _, body) = self
            .send(
                self.http
                    .post(format!("{}/graphql", app.address))
                    .header("Origin", &app.address)
                    .json(&json!({ "query": query })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_str(&body).expect("JSON")
    }
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].replace("&amp;", "&"))
}

fn signed_in(landing: &Landing, browser: &Browser) {
    assert_eq!(landing.status, StatusCode::SEE_OTHER, "{}", landing.body);
    assert_eq!(landing.location.as_deref(), Some("/after"));
    assert!(browser.cookie("maillage_session").is_some());
}

fn refused(landing: &Landing, status: StatusCode, says: &str, browser: &Browser) {
    assert_eq!(landing.status, status, "{}", landing.body);
    assert!(
        landing.body.contains(says),
        "{says:?} not in {}",
        landing.body
    );
    assert!(browser.cookie("maillage_session").is_none());
}

#[tokio::test]
async fn a_prefect_an_operator_and_an_onboarded_agent_sign_in_and_see_exactly_their_slice() {
    let Some(world) = world().await else { return };
    let app = &world.app;
    let code = crate::agents::label_demo_bus(app).await;
    let onboarded = app
        .post(
            None,
            "mutation($c: String!, $a: [AgentInput!]!) { onboardStructure(code: $c, agents: $a) { registered } }",
            json!({ "c": code, "a": [crate::agents::person("Chloé Petit", "chloe@bus.fr")] }),
        )
        .await;
    assert_eq!(data(&onboarded)["onboardStructure"]["registered"], 1);
    for (provider, login, email) in [
        ("test", "prefet", PREFECT_59),
        ("test-es", "operateur", "operateur.caf@demo.maillage.fr"),
        ("test", "chloe", "chloe@bus.fr"),
    ] {
        let browser = Browser::new();
        signed_in(&browser.sign_in(app, provider, login).await, &browser);
        let by_session = browser.graphql(app, SLICE).await;
        let by_token = app.query_as(email, SLICE, json!({})).await;
        assert_eq!(data(&by_session)["me"]["email"], email);
        assert_eq!(by_session, by_token, "{email}");
    }
    // Their slices differ: each sees their own.
    let prefect = app.query_as(PREFECT_59, SLICE, json!({})).await;
    let agent = app.query_as("chloe@bus.fr", SLICE, json!({})).await;
    assert_ne!(
        data(&prefect)["structures"]["totalCount"],
        data(&agent)["structures"]["totalCount"]
    );
    // The provider's subject was bound on the first sign-in.
    let bound = entity::user_identity::Entity::find()
        .all(&app.db)
        .await
        .expect("identities");
    assert_eq!(bound.len(), 3);
}

#[tokio::test]
async fn a_sign_in_the_provider_did_not_vouch_for_is_refused() {
    let Some(world) = world().await else { return };
    let app = &world.app;

    // A wrong state.
    let browser = Browser::new();
    let callback = browser.to_callback(app, "test", "prefet").await;
    let state = between(&callback, "state=", "&").expect("state");
    let forged = callback.replace(&state, "forged-state");
    refused(
        &browser.callback(&forged).await,
        StatusCode::BAD_REQUEST,
        "unknown",
        &browser,
    );

    // A callback in another browser (no sign-in cookie): login CSRF.
    let other = Browser::new();
    let callback = browser.to_callback(app, "test", "prefet").await;
    refused(
        &other.callback(&callback).await,
        StatusCode::BAD_REQUEST,
        "not started in this browser",
        &other,
    );

    // A replayed callback: the state was used.
    let browser = Browser::new();
    let callback = browser.to_callback(app, "test", "prefet").await;
    signed_in(&browser.callback(&callback).await, &browser);
    let again = Browser::new();
    again.cookies.lock().expect("jar").insert(
        "maillage_login".into(),
        between(&callback, "state=", "&").expect("state"),
    );
    refused(
        &again.callback(&callback).await,
        StatusCode::BAD_REQUEST,
        "already used",
        &again,
    );

    // A replayed code, the state put back: the provider refuses the code.
    let browser = Browser::new();
    let callback = browser.to_callback(app, "test", "prefet").await;
    let attempt = attempt_of(app, &callback).await;
    signed_in(&browser.callback(&callback).await, &browser);
    restore_attempt(app, &attempt).await;
    let replay = Browser::new();
    replay
        .cookies
        .lock()
        .expect("jar")
        .insert("maillage_login".into(), attempt.state.clone());
    refused(
        &replay.callback(&callback).await,
        StatusCode::UNAUTHORIZED,
        "refused the sign-in code",
        &replay,
    );

    // A wrong nonce: the ID token carries the one the provider was sent, not the expected one.
    let browser = Browser::new();
    let callback = browser.to_callback(app, "test", "prefet").await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE login_attempt SET nonce = 'another-nonce' WHERE state = '{}'",
            attempt_of(app, &callback).await.state
        ))
        .await
        .expect("tamper");
    refused(
        &browser.callback(&callback).await,
        StatusCode::UNAUTHORIZED,
        "nonce",
        &browser,
    );

    // An expired ID token (it lives an hour): the app's clock is 61 minutes on when it
    // arrives, the sign-in itself started a minute before.
    let browser = Browser::new();
    let callback = browser.to_callback(app, "test", "prefet").await;
    app.time.advance(TimeDelta::minutes(61));
    let attempt = attempt_of(app, &callback).await;
    let mut moved: entity::login_attempt::ActiveModel = attempt.into();
    moved.created_at = sea_orm::Set(app.now() - TimeDelta::minutes(1));
    sea_orm::ActiveModelTrait::update(moved, &app.db)
        .await
        .expect("move the start");
    refused(
        &browser.callback(&callback).await,
        StatusCode::UNAUTHORIZED,
        "Expired",
        &browser,
    );

    // A sign-in that took more than ten minutes.
    let browser = Browser::new();
    let callback = browser.to_callback(app, "test", "prefet").await;
    app.time.advance(TimeDelta::minutes(11));
    refused(
        &browser.callback(&callback).await,
        StatusCode::BAD_REQUEST,
        "expired",
        &browser,
    );
}

/// The sign-in in progress that `callback` (the provider's redirect) finishes.
async fn attempt_of(app: &TestApp, callback: &str) -> entity::login_attempt::Model {
    let state = between(callback, "state=", "&").expect("state");
    entity::login_attempt::Entity::find_by_id(state)
        .one(&app.db)
        .await
        .expect("attempt")
        .expect("the sign-in is in progress")
}

async fn restore_attempt(app: &TestApp, attempt: &entity::login_attempt::Model) {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    attempt
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&app.db)
        .await
        .expect("put the attempt back");
}

#[tokio::test]
async fn only_known_enabled_people_with_a_verified_address_and_their_own_identity_enter() {
    let Some(world) = world().await else { return };
    let app = &world.app;
    for (login, status, says) in [
        (
            "inconnu",
            StatusCode::FORBIDDEN,
            "no maillage account has the address inconnu@nord.gouv.fr",
        ),
        ("non-verifie", StatusCode::UNAUTHORIZED, "not verified"),
    ] {
        let browser = Browser::new();
        refused(
            &browser.sign_in(app, "test", login).await,
            status,
            says,
            &browser,
        );
    }
    users::set_disabled(&app.db, "anct@demo.maillage.fr", true)
        .await
        .expect("disable");
    let browser = Browser::new();
    refused(
        &browser.sign_in(app, "test", "anct").await,
        StatusCode::FORBIDDEN,
        "disabled",
        &browser,
    );
    // The prefect's identity is bound to the provider's subject `prefet` at the first
    // sign-in; another subject with the same address is someone else.
    let first = Browser::new();
    signed_in(&first.sign_in(app, "test", "prefet").await, &first);
    let other = Browser::new();
    refused(
        &other.sign_in(app, "test", "usurpateur").await,
        StatusCode::FORBIDDEN,
        "another identity",
        &other,
    );
    // The same subject at another provider is bound there on its own.
    let elsewhere = Browser::new();
    signed_in(
        &elsewhere.sign_in(app, "test-es", "prefet").await,
        &elsewhere,
    );
}

#[tokio::test]
async fn a_session_ends_at_logout_when_idle_or_old_and_its_access_with_the_role() {
    let Some(world) = world().await else { return };
    let app = &world.app;
    let me = "{ me { email } structures { totalCount } }";

    // Every browser signs in first: the provider's ID tokens are checked against the app's
    // clock, which the test then moves on.
    let operator = Browser::new();
    signed_in(&operator.sign_in(app, "test", "operateur").await, &operator);
    let [idle, busy, leaving] = [Browser::new(), Browser::new(), Browser::new()];
    for browser in [&idle, &busy, &leaving] {
        signed_in(&browser.sign_in(app, "test", "prefet").await, browser);
    }

    // Revoking the role mid-session: the next request sees nothing of the partner's slice.
    let operator_email = "operateur.caf@demo.maillage.fr";
    let before = operator.graphql(app, me).await;
    assert!(
        data(&before)["structures"]["totalCount"]
            .as_u64()
            .expect("count")
            > 0
    );
    let scope = ScopeArgs {
        partner: Some("CAF".into()),
        ..Default::default()
    };
    let operator_role = maillage::domain::enums::Role::Operator;
    users::revoke(&app.db, operator_email, operator_role, &scope)
        .await
        .expect("revoke");
    let after = operator.graphql(app, me).await;
    assert_eq!(data(&after)["structures"]["totalCount"], 0);
    users::grant(&app.db, operator_email, operator_role, &scope, app.now())
        .await
        .expect("grant again");
    assert!(error_codes(&operator.graphql(app, me).await).is_empty());

    // Disabling the person ends the session at once, and enabling them does not revive it.
    users::set_disabled(&app.db, operator_email, true)
        .await
        .expect("disable");
    assert_eq!(
        error_codes(&operator.graphql(app, me).await),
        ["UNAUTHENTICATED"]
    );
    users::set_disabled(&app.db, operator_email, false)
        .await
        .expect("enable");
    assert_eq!(
        error_codes(&operator.graphql(app, me).await),
        ["UNAUTHENTICATED"]
    );

    // A session idle for more than 30 minutes ends; the others go on.
    app.time.advance(TimeDelta::minutes(20));
    for browser in [&idle, &busy, &leaving] {
        assert!(error_codes(&browser.graphql(app, me).await).is_empty());
    }
    app.time.advance(TimeDelta::minutes(25));
    for browser in [&busy, &leaving] {
        assert!(error_codes(&browser.graphql(app, me).await).is_empty());
    }
    app.time.advance(TimeDelta::minutes(6));
    assert_eq!(
        error_codes(&idle.graphql(app, me).await),
        ["UNAUTHENTICATED"]
    );
    assert!(error_codes(&busy.graphql(app, me).await).is_empty());

    // Logout: the session ends, and the browser goes on to the provider's logout with the
    // ID token as hint, to come back to /auth/logged-out.
    let browser = leaving;
    let session = browser.cookie("maillage_session").expect("session");
    let cross_site = browser
        .send(
            browser
                .http
                .post(format!("{}/auth/logout", app.address))
                .header("Origin", "https://elsewhere.example"),
        )
        .await;
    assert_eq!(cross_site.0, StatusCode::FORBIDDEN);
    let (status, headers, _) = browser
        .send(
            browser
                .http
                .post(format!("{}/auth/logout", app.address))
                .header("Origin", &app.address),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers[LOCATION].to_str().expect("location");
    assert!(
        location.starts_with(&format!("{}/session/end?", world.provider.issuer())),
        "{location}"
    );
    assert!(
        location.contains("id_token_hint=ey") && location.contains("logged-out"),
        "{location}"
    );
    assert!(browser.cookie("maillage_session").is_none());
    let stale = Browser::new();
    stale
        .cookies
        .lock()
        .expect("jar")
        .insert("maillage_session".into(), session);
    assert_eq!(
        error_codes(&stale.graphql(app, me).await),
        ["UNAUTHENTICATED"]
    );

    // Used every 20 minutes, a session still ends 12 hours after sign-in (51 minutes ago).
    for _ in 0..33 {
        app.time.advance(TimeDelta::minutes(20));
        assert!(error_codes(&busy.graphql(app, me).await).is_empty());
    }
    app.time.advance(TimeDelta::minutes(20));
    assert_eq!(
        error_codes(&busy.graphql(app, me).await),
        ["UNAUTHENTICATED"]
    );
}

/// Exchanges the code of `callback` at the provider's token endpoint as `client`: the ID token.
async fn id_token(world: &World, client: &str, callback: &str, verifier: &str) -> String {
    let code = between(callback, "code=", "&").expect("code");
    let redirect = callback.split('?').next().expect("callback").to_owned();
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/token", world.provider.issuer()))
        .basic_auth(client, Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token response");
    answer["id_token"].as_str().expect("an ID token").to_owned()
}

#[tokio::test]
async fn an_api_client_holding_an_id_token_of_the_provider_for_maillage_is_accepted() {
    let Some(world) = world().await else { return };
    let app = &world.app;
    // A script of a person known at the provider signs in there as maillage's client and
    // keeps the ID token; before the person's first sign-in to maillage, nobody is bound to
    // its subject (the ID token carries no e-mail: that is at the userinfo endpoint).
    let browser = Browser::new();
    let callback = browser.to_callback(app, "test", "prefet").await;
    let verifier = attempt_of(app, &callback).await.pkce_verifier;
    let early = id_token(&world, "maillage", &callback, &verifier).await;
    let unknown = app.post(Some(&early), SLICE, json!({})).await;
    assert_eq!(error_codes(&unknown), ["UNAUTHENTICATED"]);
    let person = Browser::new();
    signed_in(&person.sign_in(app, "test", "prefet").await, &person);
    let browser = Browser::new();
    let callback = browser.to_callback(app, "test", "prefet").await;
    let verifier = attempt_of(app, &callback).await.pkce_verifier;
    let token = id_token(&world, "maillage", &callback, &verifier).await;
    let by_provider = app.post(Some(&token), SLICE, json!({})).await;
    let by_ours = app.query_as(PREFECT_59, SLICE, json!({})).await;
    assert_eq!(by_provider, by_ours);

    // A token the provider gave another application (its audience) is refused.
    use base64::Engine;
    use sha2::Digest;
    let verifier = "v".repeat(50);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let start = format!(
        "{}/auth?client_id=other-app&response_type=code&scope=openid%20email&state=s&nonce=n\
         &code_challenge={challenge}&code_challenge_method=S256&redirect_uri={}/auth/callback",
        world.provider.issuer(),
        app.address
    );
    let callback = Browser::new().follow(app, start, "prefet").await;
    let foreign = id_token(&world, "other-app", &callback, &verifier).await;
    let refused = app.post(Some(&foreign), SLICE, json!({})).await;
    assert_eq!(error_codes(&refused), ["UNAUTHENTICATED"]);

    // A forged signature, then the good token expired.
    let (head, _) = token.rsplit_once('.').expect("JWT");
    let forged = format!("{head}.{}", "A".repeat(342));
    assert_eq!(
        error_codes(&app.post(Some(&forged), SLICE, json!({})).await),
        ["UNAUTHENTICATED"]
    );
    app.time.advance(TimeDelta::minutes(61));
    assert_eq!(
        error_codes(&app.post(Some(&token), SLICE, json!({})).await),
        ["UNAUTHENTICATED"]
    );
}

#[tokio::test]
async fn a_key_rotation_at_the_provider_is_followed() {
    let Some(mut world) = world().await else {
        return;
    };
    let browser = Browser::new();
    signed_in(
        &browser.sign_in(&world.app, "test", "prefet").await,
        &browser,
    );
    let es = Browser::new();
    signed_in(&es.sign_in(&world.app, "test-es", "prefet").await, &es);
    // New keys: the app's cached JWKS does not know them; it fetches them again.
    world.provider.restart();
    for provider in ["test", "test-es"] {
        let browser = Browser::new();
        signed_in(
            &browser.sign_in(&world.app, provider, "prefet").await,
            &browser,
        );
    }
}

#[tokio::test]
async fn a_cookie_works_only_from_a_page_of_the_site_and_the_demo_page_only_in_demo_mode() {
    let demo = spawn_demo_mode_app().await;
    let browser = Browser::new();
    let (status, _, body) = browser
        .send(browser.http.get(format!("{}/auth/demo", demo.address)))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("prefet.nord@demo.maillage.fr"));
    let (status, headers, _) = browser
        .send(
            browser
                .http
                .post(format!("{}/auth/demo", demo.address))
                .form(&[("email", PREFECT_59)]),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = headers[SET_COOKIE].to_str().expect("cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert_eq!(
        data(&browser.graphql(&demo, "{ me { email } }").await)["me"]["email"],
        PREFECT_59
    );
    // The same cookie sent by another site's page, or without Origin, is refused.
    for origin in [Some("https://evil.example"), None] {
        let mut request = browser
            .http
            .post(format!("{}/graphql", demo.address))
            .json(&json!({ "query": "{ me { email } }" }));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        let (_, _, body) = browser.send(request).await;
        let answer: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{origin:?}");
        assert_eq!(answer["data"], Value::Null);
    }
    // Not a demo user, or not in demo mode: no session.
    let (status, _, _) = browser
        .send(
            browser
                .http
                .post(format!("{}/auth/demo", demo.address))
                .form(&[("email", "someone@else.fr")]),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let production = spawn_app().await;
    let fresh = Browser::new();
    let (status, _, _) = fresh
        .send(
            fresh
                .http
                .post(format!("{}/auth/demo", production.address))
                .form(&[("email", PREFECT_59)]),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(fresh.cookie("maillage_session").is_none());
}
