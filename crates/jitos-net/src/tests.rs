//! Unit tests: the error-code mapping, alone and through the real schema and router.
//!
//! # Invariants
//! - Every test runs the generated schema with the `Unimplemented` placeholder, so what it
//!   checks is the serving layer, not a kernel.

use std::sync::Arc;

use async_graphql::dynamic::Schema;
use async_graphql::{PathSegment, ServerError};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::StreamExt as _;
use jitos_core::limits;
use jitos_schema::resolvers::Unimplemented;
use jitos_schema::runtime::ErrorCode;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::errors::{Stage, code_for, code_of, ensure_code};

fn test_schema() -> Schema {
    crate::schema(&Arc::new(Unimplemented)).unwrap()
}

/// Runs `query` over the schema and returns the response as JSON, as a client sees it.
async fn run(query: &str) -> Value {
    let response = test_schema().execute(query).await;
    serde_json::to_value(&response).unwrap()
}

/// The only error of a response.
fn only_error(response: &Value) -> &Value {
    let errors = response["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{response}");
    &errors[0]
}

fn assert_code(response: &Value, code: ErrorCode) -> &Value {
    let error = only_error(response);
    assert_eq!(error["extensions"]["code"], code.as_str(), "{response}");
    error
}

/// `{ __schema { types { fields { type { ofType { ofType ... { name } } } } } } }` with
/// `n_fields` nested fields in all.
fn nested_query(n_fields: usize) -> String {
    assert!(n_fields >= 5);
    let n_of_type = n_fields - 5;
    let mut query = String::from("{ __schema { types { fields { type { ");
    query.push_str(&"ofType { ".repeat(n_of_type));
    query.push_str("name");
    query.push_str(&" }".repeat(n_of_type + 4));
    query.push_str(" }");
    query
}

#[test]
fn parse_and_validation_errors_are_invalid_input_unless_a_limit() {
    let plain = ServerError::new("Unknown field \"nope\" on type \"Query\".", None);
    assert_eq!(code_for(Stage::Parse, &plain), ErrorCode::InvalidInput);
    assert_eq!(code_for(Stage::Validation, &plain), ErrorCode::InvalidInput);
    for message in [
        "Query is nested too deep.",
        "Query is too complex.",
        "The recursion depth of the query cannot be greater than `32`",
    ] {
        let limit = ServerError::new(message, None);
        assert_eq!(code_for(Stage::Parse, &limit), ErrorCode::LimitExceeded);
        assert_eq!(
            code_for(Stage::Validation, &limit),
            ErrorCode::LimitExceeded
        );
    }
}

#[test]
fn execution_errors_are_internal_on_a_field_and_invalid_input_on_the_request() {
    let request_level = ServerError::new("Unknown operation named \"X\"", None);
    assert_eq!(
        code_for(Stage::Execution, &request_level),
        ErrorCode::InvalidInput
    );
    let field_level = ServerError::new("downcast failed", None)
        .with_path(vec![PathSegment::Field("kernelInfo".to_owned())]);
    assert_eq!(
        code_for(Stage::Execution, &field_level),
        ErrorCode::Internal
    );
}

#[test]
fn ensure_code_keeps_an_existing_code_and_message() {
    let mut error = ServerError::new("Query is too complex.", None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", "NOT_FOUND");
    let before = error.clone();
    ensure_code(&mut error, Stage::Validation);
    assert_eq!(error, before);
    assert_eq!(code_of(&error), Some("NOT_FOUND"));
}

#[test]
fn ensure_code_adds_code_and_limit_name() {
    let mut error = ServerError::new("Query is nested too deep.", None);
    ensure_code(&mut error, Stage::Validation);
    assert_eq!(code_of(&error), Some("LIMIT_EXCEEDED"));
    assert_eq!(error.message, "Query is nested too deep.");
    let extensions = error.extensions.as_ref().unwrap();
    assert_eq!(
        extensions.get("limit"),
        Some(&async_graphql::Value::from("QUERY_DEPTH_MAX"))
    );
}

#[tokio::test]
async fn placeholder_resolver_error_keeps_not_implemented() {
    let response = run("{ kernelInfo { version } }").await;
    let error = assert_code(&response, ErrorCode::NotImplemented);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Query.kernelInfo"),
        "{response}"
    );
}

#[tokio::test]
async fn parse_error_is_invalid_input() {
    let response = run("{ kernelInfo { version ").await;
    assert_code(&response, ErrorCode::InvalidInput);
}

#[tokio::test]
async fn unknown_field_is_invalid_input_naming_the_field() {
    let response = run("{ kernelInfo { noSuchField } }").await;
    let error = assert_code(&response, ErrorCode::InvalidInput);
    assert!(
        error["message"].as_str().unwrap().contains("noSuchField"),
        "{response}"
    );
}

#[tokio::test]
async fn wrong_argument_type_is_invalid_input_naming_the_argument() {
    let response = run(r#"{ listSws(page: {first: "ten"}) { id } }"#).await;
    let error = assert_code(&response, ErrorCode::InvalidInput);
    assert!(
        error["message"].as_str().unwrap().contains("page"),
        "{response}"
    );
}

#[tokio::test]
async fn generated_validator_error_keeps_its_field() {
    let query = r#"mutation { applyRewrite(view: {kind: SWS, swsId: "01"},
        rewrite: {ops: [{op: "AddNode", data: {kind: "k", payload_b64: ""}}]}) { accepted } }"#;
    let response = run(query).await;
    let error = assert_code(&response, ErrorCode::InvalidInput);
    assert_eq!(error["extensions"]["field"], "view.swsId", "{response}");
}

#[tokio::test]
async fn depth_within_the_limit_runs() {
    let response = run(&nested_query(limits::QUERY_DEPTH_MAX)).await;
    assert!(response.get("errors").is_none(), "{response}");
}

#[tokio::test]
async fn depth_over_the_limit_is_limit_exceeded() {
    let response = run(&nested_query(limits::QUERY_DEPTH_MAX + 1)).await;
    let error = assert_code(&response, ErrorCode::LimitExceeded);
    assert_eq!(
        error["extensions"]["limit"], "QUERY_DEPTH_MAX",
        "{response}"
    );
}

#[tokio::test]
async fn nesting_past_the_parser_guard_is_limit_exceeded() {
    let response = run(&nested_query(64)).await;
    let error = assert_code(&response, ErrorCode::LimitExceeded);
    assert_eq!(
        error["extensions"]["limit"], "QUERY_DEPTH_MAX",
        "{response}"
    );
}

/// `n_aliases` aliases of `kernelInfo { version }`: complexity `2 * n_aliases` (one per field;
/// `__typename` is not counted, so it cannot be used here).
fn wide_query(n_aliases: usize) -> String {
    let fields: String = (0..n_aliases)
        .map(|idx| format!("f{idx}: kernelInfo {{ version }} "))
        .collect();
    format!("{{ {fields}}}")
}

#[tokio::test]
async fn complexity_over_the_limit_is_limit_exceeded() {
    let response = run(&wide_query(limits::QUERY_COMPLEXITY_MAX / 2 + 1)).await;
    let error = assert_code(&response, ErrorCode::LimitExceeded);
    assert_eq!(
        error["extensions"]["limit"], "QUERY_COMPLEXITY_MAX",
        "{response}"
    );
}

#[tokio::test]
async fn complexity_at_the_limit_runs() {
    const _: () = assert!(limits::QUERY_COMPLEXITY_MAX.is_multiple_of(2));
    let response = run(&wide_query(limits::QUERY_COMPLEXITY_MAX / 2)).await;
    let errors = response["errors"].as_array().unwrap();
    assert_eq!(errors.len(), limits::QUERY_COMPLEXITY_MAX / 2);
    for error in errors {
        assert_eq!(error["extensions"]["code"], "NOT_IMPLEMENTED", "{error}");
    }
}

#[tokio::test]
async fn unknown_operation_name_is_invalid_input() {
    let request = async_graphql::Request::new("query A { __typename }").operation_name("B");
    let response = serde_json::to_value(test_schema().execute(request).await).unwrap();
    assert_code(&response, ErrorCode::InvalidInput);
}

#[tokio::test]
async fn subscription_over_http_is_invalid_input() {
    let response = run("subscription { rewrites(view: {kind: SYSTEM}) { idx } }").await;
    assert_code(&response, ErrorCode::InvalidInput);
}

/// The first response of a subscription, as JSON.
async fn first_streamed(query: &str) -> Value {
    let mut stream = test_schema().execute_stream(query);
    let response = stream.next().await.unwrap();
    serde_json::to_value(&response).unwrap()
}

#[tokio::test]
async fn subscription_resolver_error_is_not_implemented() {
    let response = first_streamed("subscription { rewrites(view: {kind: SYSTEM}) { idx } }").await;
    let error = assert_code(&response, ErrorCode::NotImplemented);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Subscription.rewrites"),
        "{response}"
    );
}

#[tokio::test]
async fn subscription_validation_error_is_invalid_input() {
    let response = first_streamed("subscription { rewrites(view: {kind: SYSTEM}) { nope } }").await;
    assert_code(&response, ErrorCode::InvalidInput);
}

#[tokio::test]
async fn subscription_depth_over_the_limit_is_limit_exceeded() {
    let query = nested_query(limits::QUERY_DEPTH_MAX + 1).replacen('{', "subscription {", 1);
    let response = first_streamed(&query).await;
    assert_code(&response, ErrorCode::LimitExceeded);
}

/// Sends `request` through the router and returns the status and the body.
async fn call(request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let router = crate::router(&Arc::new(Unimplemented), &crate::ServerConfig::default()).unwrap();
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, body.to_vec())
}

fn post_graphql(body: impl Into<Body>) -> Request<Body> {
    Request::post("/graphql")
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn http_body_over_the_limit_is_413_limit_exceeded() {
    let padding = " ".repeat(limits::REQUEST_BODY_BYTES_MAX);
    let body = format!(r#"{{"query": "{{ __typename }}"{padding}}}"#);
    let (status, body) = call(post_graphql(body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let response: Value = serde_json::from_slice(&body).unwrap();
    assert_code(&response, ErrorCode::LimitExceeded);
}

#[tokio::test]
async fn http_body_at_the_limit_is_executed() {
    let head = r#"{"query": "{ __typename }""#;
    let padding = " ".repeat(limits::REQUEST_BODY_BYTES_MAX - head.len() - 1);
    let body = format!("{head}{padding}}}");
    assert_eq!(body.len(), limits::REQUEST_BODY_BYTES_MAX);
    let (status, body) = call(post_graphql(body)).await;
    assert_eq!(status, StatusCode::OK);
    let response: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(response, json!({"data": {"__typename": "Query"}}));
}

#[tokio::test]
async fn http_body_not_json_is_400_invalid_input() {
    let (status, body) = call(post_graphql("{ kernelInfo { version } }")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let response: Value = serde_json::from_slice(&body).unwrap();
    assert_code(&response, ErrorCode::InvalidInput);
}

#[tokio::test]
async fn http_post_runs_the_query() {
    let (status, body) = call(post_graphql(r#"{"query": "{ kernelInfo { version } }"}"#)).await;
    assert_eq!(status, StatusCode::OK);
    let response: Value = serde_json::from_slice(&body).unwrap();
    assert_code(&response, ErrorCode::NotImplemented);
}

#[tokio::test]
async fn healthz_is_ok() {
    let (status, body) = call(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"ok");
}

#[tokio::test]
async fn graphiql_points_at_both_endpoints() {
    let (status, body) = call(Request::get("/graphql").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("graphiql"));
    assert!(page.contains("/graphql/ws"));
}

#[tokio::test]
async fn websocket_route_without_upgrade_is_refused() {
    let request = Request::get("/graphql/ws")
        .header("sec-websocket-protocol", "graphql-transport-ws")
        .body(Body::empty())
        .unwrap();
    let (status, _) = call(request).await;
    assert!(status.is_client_error(), "{status}");
}
