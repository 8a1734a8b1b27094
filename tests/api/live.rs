//! Live Administration+ events (issue 16): `supportEvents` over a real WebSocket with the
//! graphql-transport-ws protocol. The partner's operators and the structure's agents receive
//! what concerns them; an operator of another department receives nothing; an anonymous
//! subscriber and a foreign origin are refused; a revoked role ends the stream; on
//! PostgreSQL, an event made through one replica reaches a subscriber of another (NOTIFY).
use std::time::Duration;

use chrono::TimeDelta;
use futures::{SinkExt, StreamExt};
use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::*;
use crate::support::{SEND, WRITE, request};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long the subscribers' tokens last: the test moves the clock past a deadline.
const MONTH: Duration = Duration::from_secs(30 * 24 * 3600);

const EVENTS: &str =
    "subscription { supportEvents { kind request structure partner status dueAt late } }";

async fn grant(app: &TestApp, email: &str, partner: &str, department: &str) {
    let scope = ScopeArgs {
        partner: Some(partner.into()),
        department: Some(department.into()),
        ..Default::default()
    };
    users::grant(&app.db, email, Role::Operator, &scope, app.now())
        .await
        .expect("grant");
}

/// The app, with a CAF back-office referent in 59 and CAF operators in 59 and in 23.
async fn setup() -> TestApp {
    let app = spawn_app_serving(maillage::config::ServeConfig {
        deadline_watch: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    let referent = "mutation { createReferent(input: { partner: \"CAF\", department: \"59\",
        kind: BACK_OFFICE, name: \"Paul Martin\", email: \"paul.martin@caf.fr\" }) { id } }";
    data(&app.query_as(PREFECT_59, referent, json!({})).await);
    grant(&app, "caf59@t.fr", "CAF", "59").await;
    grant(&app, "caf23@t.fr", "CAF", "23").await;
    app
}

/// A WebSocket to `address`'s subscriptions, initialised with `token` (if any) and
/// subscribed to the events. Its `connection_ack` is checked.
async fn subscribe(address: &str, token: Option<&str>) -> Socket {
    let url = format!("{}/graphql/ws", address.replacen("http://", "ws://", 1));
    let mut upgrade = url.into_client_request().expect("request");
    upgrade.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(upgrade)
        .await
        .expect("upgrade");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    let payload = token.map_or(
        json!({}),
        |t| json!({ "Authorization": format!("Bearer {t}") }),
    );
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    assert_eq!(
        receive(&mut socket).await.expect("ack")["type"],
        "connection_ack"
    );
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS } }),
    )
    .await;
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// The next protocol message within 10 s (pings answered), `None` when none comes.
async fn receive(socket: &mut Socket) -> Option<Value> {
    receive_within(socket, Duration::from_secs(10)).await
}

async fn receive_within(socket: &mut Socket, within: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(within, socket.next()).await.ok()??;
        match message.expect("a frame") {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).expect("JSON");
                if value["type"] == "ping" {
                    send(socket, json!({ "type": "pong" })).await;
                    continue;
                }
                return Some(value);
            }
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// The next event's notice (a `next` message with data).
async fn event(socket: &mut Socket) -> Value {
    let message = receive(socket).await.expect("an event");
    assert_eq!(message["type"], "next", "{message}");
    message["payload"]["data"]["supportEvents"].clone()
}

#[tokio::test]
async fn support_events_reach_those_they_concern_and_nobody_else() {
    let app = setup().await;
    let operator_token = app.token_lasting("caf59@t.fr", MONTH).await;
    let mut operator = subscribe(&app.address, Some(&operator_token)).await;
    let mut agent = subscribe(
        &app.address,
        Some(&app.token_lasting(AGENT_LILLE, MONTH).await),
    )
    .await;
    let mut elsewhere = subscribe(
        &app.address,
        Some(&app.token_lasting("caf23@t.fr", MONTH).await),
    )
    .await;
    // Give the subscriptions a moment to start before the first event.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A request sent: its partner's operator in 59 and its structure's agent hear of it.
    let sent = app.query_as(AGENT_LILLE, SEND, request(vec![])).await;
    let id = data(&sent)["sendSupportRequest"]["id"].clone();
    for socket in [&mut operator, &mut agent] {
        let notice = event(socket).await;
        assert_eq!(notice["kind"], "REQUEST_SENT");
        assert_eq!(notice["request"], id);
        assert_eq!(notice["structure"], "DEMO-59-01");
        assert_eq!(notice["partner"], "CAF");
        assert_eq!(notice["status"], "OPEN");
        assert_eq!(notice["late"], false);
        // Metadata only: the content is read (and logged) through node(id:).
        assert!(notice.get("citizenName").is_none());
    }
    // The answer: both hear of it.
    let answer = json!({ "r": id, "b": "Dossier repris", "f": [] });
    data(&app.query_as("caf59@t.fr", WRITE, answer).await);
    for socket in [&mut operator, &mut agent] {
        let notice = event(socket).await;
        assert_eq!(notice["kind"], "MESSAGE_WRITTEN");
        assert_eq!(notice["status"], "ANSWERED");
    }
    // A deadline passing unanswered.
    let second = app.query_as(AGENT_LILLE, SEND, request(vec![])).await;
    let second = data(&second)["sendSupportRequest"]["id"].clone();
    for socket in [&mut operator, &mut agent] {
        assert_eq!(event(socket).await["kind"], "REQUEST_SENT");
    }
    app.time.advance(TimeDelta::days(8));
    for socket in [&mut operator, &mut agent] {
        let notice = event(socket).await;
        assert_eq!(notice["kind"], "DEADLINE_PASSED");
        assert_eq!(notice["request"], second);
        assert_eq!(notice["late"], true);
    }
    // The CAF operator of Creuse heard nothing of Nord's requests.
    assert_eq!(
        receive_within(&mut elsewhere, Duration::from_millis(500)).await,
        None
    );

    // The operator's role revoked: the next event ends the stream with an error.
    let scope = ScopeArgs {
        partner: Some("CAF".into()),
        department: Some("59".into()),
        ..Default::default()
    };
    users::revoke(&app.db, "caf59@t.fr", Role::Operator, &scope)
        .await
        .expect("revoke");
    let again = json!({ "r": second, "b": "Relance", "f": [] });
    data(&app.query_as(AGENT_LILLE, WRITE, again).await);
    assert_eq!(event(&mut agent).await["kind"], "MESSAGE_WRITTEN");
    let refused = receive(&mut operator).await.expect("a refusal");
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
    let end = receive(&mut operator).await.expect("the end");
    assert_eq!(end["type"], "complete", "{end}");
}

#[tokio::test]
async fn anonymous_subscribers_and_foreign_origins_are_refused() {
    let app = setup().await;
    let mut anonymous = subscribe(&app.address, None).await;
    let refused = receive(&mut anonymous).await.expect("a refusal");
    let codes: Vec<&str> = refused["payload"]
        .as_array()
        .or_else(|| refused["payload"]["errors"].as_array())
        .expect("errors")
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert_eq!(codes, ["UNAUTHENTICATED"], "{refused}");
    // A prefect reads requests' metadata, never their content: no events.
    let mut prefect = subscribe(&app.address, Some(&app.token(PREFECT_59).await)).await;
    let refused = receive(&mut prefect).await.expect("a refusal");
    assert!(refused.to_string().contains("FORBIDDEN"), "{refused}");
    // A wrong token.
    let mut forged = subscribe(&app.address, Some("not-a-token")).await;
    let refused = receive(&mut forged).await.expect("a refusal");
    assert!(refused.to_string().contains("UNAUTHENTICATED"), "{refused}");
    // An upgrade from another site's page (which would carry the session cookie).
    let url = format!("{}/graphql/ws", app.address.replacen("http://", "ws://", 1));
    let mut upgrade = url.into_client_request().expect("request");
    upgrade.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    upgrade
        .headers_mut()
        .insert("Origin", "https://evil.example".parse().expect("header"));
    let refused = tokio_tungstenite::connect_async(upgrade).await;
    assert!(refused.is_err(), "a foreign origin upgraded");
    // Over HTTP, a subscription says where it runs.
    let over_http = app.query_as("caf59@t.fr", EVENTS, Value::Null).await;
    assert!(!error_codes(&over_http).is_empty(), "{over_http}");
}

#[tokio::test]
async fn on_postgresql_an_event_made_through_one_replica_reaches_another_s_subscribers() {
    let app = setup().await;
    if maillage::db::sqlite_file(&app.database_url).is_some() {
        return; // one server per SQLite file: no replicas
    }
    let replica = app.beside(test_vault()).await;
    let mut operator = subscribe(&replica, Some(&app.token("caf59@t.fr").await)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = app.query_as(AGENT_LILLE, SEND, request(vec![])).await;
    let id = data(&sent)["sendSupportRequest"]["id"].clone();
    let notice = event(&mut operator).await;
    assert_eq!(notice["kind"], "REQUEST_SENT");
    assert_eq!(notice["request"], id);
}
