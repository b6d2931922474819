//! Golden vectors for the generated validators (`tests/vectors/inputs.json`): what each input type
//! accepts, what it turns the input into, and every problem it reports with code and path. The
//! choices these pin are written down in `docs/spec/inputs.md`.
//!
//! `UPDATE_EXPECT=1 cargo test -p jitos-tests input_vectors` rewrites the `expect` of every case;
//! nothing else does.

use std::fmt::Debug;

use jitos_schema::inputs::{
    CollapseSwsInput, CreateSwsInput, DiscardSwsInput, EdgeFilterInput, NodeFilterInput, PageInput,
    QueryGraphArgs, RewriteInput, SubscriptionEventsArgs, ViewRefInput,
};
use jitos_schema::ops::Op;
use jitos_schema::{Json, Parse};
use serde_json::json;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/inputs.json");

/// The outcome of validating `input` as `T`: `{"ok": Debug}` or `{"errors": [...]}`.
fn outcome<T: Parse + Debug>(input: &Json) -> Json {
    match T::validate(input) {
        Ok(valid) => json!({ "ok": format!("{:?}", *valid) }),
        Err(errors) => {
            let errors: Vec<Json> = errors
                .iter()
                .map(|e| json!({ "code": e.code.as_str(), "path": e.path.as_str(), "message": e.message }))
                .collect();
            json!({ "errors": errors })
        }
    }
}

fn validate(type_name: &str, input: &Json) -> Json {
    match type_name {
        "PageInput" => outcome::<PageInput>(input),
        "ViewRefInput" => outcome::<ViewRefInput>(input),
        "RewriteInput" => outcome::<RewriteInput>(input),
        "QueryGraphArgs" => outcome::<QueryGraphArgs>(input),
        "CollapseSwsInput" => outcome::<CollapseSwsInput>(input),
        "DiscardSwsInput" => outcome::<DiscardSwsInput>(input),
        "NodeFilterInput" => outcome::<NodeFilterInput>(input),
        "EdgeFilterInput" => outcome::<EdgeFilterInput>(input),
        "CreateSwsInput" => outcome::<CreateSwsInput>(input),
        "SubscriptionEventsArgs" => outcome::<SubscriptionEventsArgs>(input),
        "Op" => outcome::<Op>(input),
        other => panic!("vectors name an unknown type `{other}`"),
    }
}

#[test]
fn input_vectors_hold() {
    let text = std::fs::read_to_string(VECTORS).expect("the vectors file exists");
    let mut cases: Vec<Json> = serde_json::from_str(&text).expect("the vectors file is JSON");
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for case in &mut cases {
        let name = case["name"].as_str().unwrap_or_default().to_owned();
        let actual = validate(case["type"].as_str().unwrap_or_default(), &case["input"]);
        if update {
            case["expect"] = actual;
        } else if case["expect"] != actual {
            failures.push(format!(
                "{name}:\n  expected {}\n  actual   {actual}",
                case["expect"]
            ));
        }
    }
    if update {
        let mut text = serde_json::to_string_pretty(&cases).expect("cases serialise");
        text.push('\n');
        std::fs::write(VECTORS, text).expect("the vectors file is writable");
    }
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_vector_type_and_error_code_is_exercised() {
    let cases: Vec<Json> =
        serde_json::from_str(&std::fs::read_to_string(VECTORS).expect("vectors")).expect("JSON");
    let codes: std::collections::BTreeSet<&str> = cases
        .iter()
        .flat_map(|case| case["expect"]["errors"].as_array().into_iter().flatten())
        .filter_map(|error| error["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["INVALID_INPUT", "LIMIT_EXCEEDED", "NOT_IMPLEMENTED"]
            .into_iter()
            .collect()
    );
    let accepted = cases
        .iter()
        .filter(|case| case["expect"].get("ok").is_some())
        .count();
    let rejected = cases
        .iter()
        .filter(|case| case["expect"].get("errors").is_some())
        .count();
    assert!(
        accepted >= 20 && rejected >= 30,
        "accepted {accepted}, rejected {rejected}"
    );
}
