//! End to end against the real `jitosd` process: capabilities of later milestones answer
//! `NOT_IMPLEMENTED` through the same error path as every other error, and everything the serving layer
//! decides by itself (validation, limits, transports, shutdown) must already hold.
//!
//! # Invariants
//! - Each test starts its own daemon on an ephemeral loopback port and ends by stopping it with
//!   SIGTERM, checking exit status 0.
//! - Every GraphQL error checked here carries `extensions.code`.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use jitos_core::limits;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::daemon::Daemon;

/// Longest wait for one WebSocket message.
const WS_MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs `body` as JSON to `/graphql`; returns the status and the body as JSON.
pub(crate) async fn post_graphql(daemon: &Daemon, body: &Value) -> (reqwest::StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(daemon.url("/graphql"))
        .json(body)
        .send()
        .await
        .expect("POST /graphql");
    let status = response.status();
    let body = response.json().await.expect("a JSON response body");
    (status, body)
}

/// POSTs `body` and returns the response's only error, checking that it carries `code`.
async fn only_error(daemon: &Daemon, body: &Value, code: &str) -> Value {
    let (status, response) = post_graphql(daemon, body).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{response}");
    let errors = response["errors"].as_array().expect("an errors array");
    assert_eq!(errors.len(), 1, "{response}");
    assert_eq!(errors[0]["extensions"]["code"], code, "{response}");
    errors[0].clone()
}

pub(crate) fn message_of(error: &Value) -> &str {
    error["message"].as_str().expect("a message")
}

#[tokio::test]
async fn healthz_is_200_ok() {
    let daemon = Daemon::start();
    let response = reqwest::get(daemon.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
    daemon.stop();
}

#[tokio::test]
async fn submit_intent_is_not_implemented() {
    let daemon = Daemon::start();
    let body = json!({"query": "mutation { submitIntent(input: {intent: {}}) { taskId } }"});
    let error = only_error(&daemon, &body, "NOT_IMPLEMENTED").await;
    assert!(
        message_of(&error).contains("Mutation.submitIntent"),
        "{error}"
    );
    daemon.stop();
}

#[tokio::test]
async fn intents_are_not_implemented_before_m6() {
    let daemon = Daemon::start();
    let body = json!({
        "query": "mutation Submit($input: SubmitIntentInput!) {
            submitIntent(input: $input) { taskId }
        }",
        "operationName": "Submit",
        "variables": { "input": {"intent": {"do": "something"}} },
    });
    let error = only_error(&daemon, &body, "NOT_IMPLEMENTED").await;
    assert!(
        message_of(&error).contains("Mutation.submitIntent"),
        "{error}"
    );
    daemon.stop();
}

#[tokio::test]
async fn apply_rewrite_with_a_bad_sws_id_is_invalid_input_on_that_field() {
    let daemon = Daemon::start();
    let query = r#"mutation { applyRewrite(view: {kind: SWS, swsId: "01"},
        rewrite: {ops: [{op: "AddNode", data: {kind: "demo", payload_b64: "aGk="}}]})
        { accepted } }"#;
    let error = only_error(&daemon, &json!({"query": query}), "INVALID_INPUT").await;
    assert_eq!(error["extensions"]["field"], "view.swsId", "{error}");
    assert!(message_of(&error).contains("view.swsId"), "{error}");
    daemon.stop();
}

#[tokio::test]
async fn unknown_field_is_invalid_input_naming_the_field() {
    let daemon = Daemon::start();
    let body = json!({"query": "{ kernelInfo { version noSuchField } }"});
    let error = only_error(&daemon, &body, "INVALID_INPUT").await;
    assert!(message_of(&error).contains("noSuchField"), "{error}");
    daemon.stop();
}

#[tokio::test]
async fn body_over_the_limit_is_413_limit_exceeded() {
    let daemon = Daemon::start();
    let padding = " ".repeat(limits::REQUEST_BODY_BYTES_MAX);
    let body = format!(r#"{{"query": "{{ __typename }}"{padding}}}"#);
    assert!(body.len() > limits::REQUEST_BODY_BYTES_MAX);
    let response = reqwest::Client::new()
        .post(daemon.url("/graphql"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    let response: Value = response.json().await.unwrap();
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{response}"
    );
    daemon.stop();
}

#[tokio::test]
async fn query_deeper_than_the_limit_is_limit_exceeded() {
    let daemon = Daemon::start();
    // __schema, types, fields, type, then ofType until one level past the limit, then name.
    let n_of_type = limits::QUERY_DEPTH_MAX + 1 - 5;
    let query = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(n_of_type),
        " }".repeat(n_of_type),
    );
    let error = only_error(&daemon, &json!({"query": query}), "LIMIT_EXCEEDED").await;
    assert_eq!(error["extensions"]["limit"], "QUERY_DEPTH_MAX", "{error}");
    daemon.stop();
}

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let daemon = Daemon::start();
    let response = reqwest::get(daemon.url("/graphql")).await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.to_lowercase().contains("graphiql"));
    daemon.stop();
}

pub(crate) type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/graphql/ws` with `graphql-transport-ws` and completes the connection handshake.
pub(crate) async fn ws_connect(daemon: &Daemon) -> WsStream {
    let mut request = daemon
        .ws_url("/graphql/ws")
        .into_client_request()
        .expect("a WebSocket URL");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connecting to /graphql/ws");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    ws_send(&mut ws, &json!({"type": "connection_init"})).await;
    assert_eq!(ws_recv(&mut ws).await, json!({"type": "connection_ack"}));
    ws
}

pub(crate) async fn ws_send(ws: &mut WsStream, message: &Value) {
    ws.send(Message::text(message.to_string()))
        .await
        .expect("sending a WebSocket message");
}

/// The next text message, as JSON.
pub(crate) async fn ws_recv(ws: &mut WsStream) -> Value {
    loop {
        let message = tokio::time::timeout(WS_MESSAGE_TIMEOUT, ws.next())
            .await
            .expect("no WebSocket message in time")
            .expect("the WebSocket closed")
            .expect("reading a WebSocket message");
        match message {
            Message::Text(text) => {
                return serde_json::from_str(text.as_str()).expect("a JSON message");
            }
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected WebSocket message {other:?}"),
        }
    }
}

/// Subscribes with `query` under `id` and returns the errors of the first `next` or `error`.
pub(crate) async fn ws_first_errors(ws: &mut WsStream, id: &str, query: &str) -> Vec<Value> {
    ws_send(
        ws,
        &json!({"id": id, "type": "subscribe", "payload": {"query": query}}),
    )
    .await;
    let message = ws_recv(ws).await;
    assert_eq!(message["id"], id, "{message}");
    match message["type"].as_str() {
        Some("next") => message["payload"]["errors"].as_array(),
        Some("error") => message["payload"].as_array(),
        _ => panic!("expected next or error, got {message}"),
    }
    .unwrap_or_else(|| panic!("no errors in {message}"))
    .clone()
}

#[tokio::test]
async fn subscription_over_websocket_is_not_implemented_and_the_daemon_stays_up() {
    let mut daemon = Daemon::start();
    let mut ws = ws_connect(&daemon).await;

    let query = "subscription { ticks { id } }";
    let errors = ws_first_errors(&mut ws, "1", query).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0]["extensions"]["code"], "NOT_IMPLEMENTED",
        "{errors:?}"
    );
    assert!(
        message_of(&errors[0]).contains("Subscription.ticks"),
        "{errors:?}"
    );
    assert_eq!(
        ws_recv(&mut ws).await,
        json!({"type": "complete", "id": "1"})
    );

    // The same connection still serves, and maps async-graphql's own errors too.
    let query = "subscription { rewrites(view: {kind: SYSTEM}) { noSuchField } }";
    let errors = ws_first_errors(&mut ws, "2", query).await;
    assert_eq!(
        errors[0]["extensions"]["code"], "INVALID_INPUT",
        "{errors:?}"
    );
    assert!(message_of(&errors[0]).contains("noSuchField"), "{errors:?}");

    assert!(daemon.is_running());
    let health = reqwest::get(daemon.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    daemon.stop();
}

#[tokio::test]
async fn sigterm_exits_0_promptly_with_connections_open() {
    let daemon = Daemon::start();
    // An idle keep-alive HTTP connection and an open WebSocket must not hold the shutdown.
    let client = reqwest::Client::new();
    let health = client.get(daemon.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let _ws = ws_connect(&daemon).await;
    let status = daemon.terminate(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0), "{status}");
}
