//! The committed `openapi/openapi.json` is what the code serves, and says what the server does.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[test]
fn committed_spec_matches_the_code() {
    let generated = hocba_api::openapi().to_pretty_json().expect("serialize");
    assert!(
        generated.trim() == COMMITTED.trim(),
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

/// utoipa names a schema after its Rust type and keeps one schema per name: two types of one
/// name in different modules would silently describe one of them with the other's schema.
#[test]
fn no_two_schema_types_share_a_name() {
    let mut seen = std::collections::BTreeMap::<String, String>::new();
    let mut clashes = Vec::new();
    let sources =
        ["crates/hocba-api/src", "crates/hocba-credentials/src", "crates/hocba-domain/src"];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = sources.iter().map(|dir| root.join(dir)).collect();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut derives_schema = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") {
                derives_schema |= line.contains("ToSchema");
                continue;
            }
            if line.starts_with("#[") || line.starts_with("///") {
                continue;
            }
            let declared = [
                "pub struct ",
                "pub enum ",
                "pub(crate) struct ",
                "pub(crate) enum ",
                "struct ",
                "enum ",
            ]
            .iter()
            .find_map(|keyword| line.strip_prefix(keyword));
            if let (true, Some(rest)) = (derives_schema, declared) {
                let name: String =
                    rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                let place = path.strip_prefix(root).unwrap().display().to_string();
                if let Some(earlier) = seen.insert(name.clone(), place.clone()) {
                    clashes.push(format!("{name}: {earlier} and {place}"));
                }
            }
            derives_schema = false;
        }
    }
    assert!(clashes.is_empty(), "schema types sharing a name: {clashes:#?}");
    assert!(seen.contains_key("Problem"), "the scan found the schema types");
}

fn spec() -> Value {
    serde_json::to_value(hocba_api::openapi()).expect("serialize")
}

/// `(method path status, response)` for every response of every operation.
fn responses(spec: &Value) -> Vec<(String, Value)> {
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                all.push((format!("{method} {path} {status}"), response.clone()));
            }
        }
    }
    all
}

#[test]
fn every_response_has_a_description() {
    // OpenAPI requires one; strict validators and client generators refuse the spec without.
    let spec = spec();
    let undescribed: Vec<_> = responses(&spec)
        .into_iter()
        .filter(|(_, response)| response["description"].as_str().is_none_or(str::is_empty))
        .map(|(name, _)| name)
        .collect();
    assert!(undescribed.is_empty(), "responses without a description: {undescribed:?}");
}

#[test]
fn problem_documents_are_documented_as_problem_json() {
    // `ApiError` answers with `application/problem+json`, so the spec must say so.
    let problem = json!({ "$ref": "#/components/schemas/Problem" });
    let spec = spec();
    let problems: Vec<_> = responses(&spec)
        .into_iter()
        .flat_map(|(name, response)| {
            let content = response["content"].as_object().cloned().unwrap_or_default();
            content
                .into_iter()
                .filter(|(_, media)| media["schema"] == problem)
                .map(move |(media_type, _)| format!("{name} {media_type}"))
        })
        .collect();
    assert!(!problems.is_empty());
    let wrong: Vec<_> =
        problems.iter().filter(|name| !name.ends_with(" application/problem+json")).collect();
    assert!(wrong.is_empty(), "problems documented under another media type: {wrong:?}");
}

#[test]
fn page_parameters_have_the_bounds_the_server_enforces() {
    let spec = spec();
    let mut limits = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        // The changes feed pages up to 1,000 events (ids only) after its own cursor.
        if path == "/api/v1/events" {
            continue;
        }
        for operation in item.as_object().expect("path item").values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                limits.push((parameter["name"].clone(), parameter["schema"].clone()));
            }
        }
    }
    limits.push((
        json!("limit"),
        spec["components"]["schemas"]["SearchBody"]["properties"]["limit"].clone(),
    ));
    limits.push((
        json!("cursor"),
        spec["components"]["schemas"]["SearchBody"]["properties"]["cursor"].clone(),
    ));
    let (mut limit, mut cursor) = (0, 0);
    for (name, schema) in limits {
        if name == "limit" {
            assert_eq!((&schema["minimum"], &schema["maximum"]), (&json!(1), &json!(200)));
            limit += 1;
        } else if name == "cursor" {
            assert_eq!(schema["pattern"], "^[A-Za-z0-9_-]{21}[AQgw]$");
            cursor += 1;
        }
    }
    // The audit log's events page by leaf index (`from`), a public position, not by cursor.
    assert_eq!(
        (limit, cursor),
        (8, 7),
        "six lists (with a report's missing list and a webhook's delivery log), the search and \
         the audit log"
    );
}

#[test]
fn a_verify_body_is_exactly_one_of_credential_jws_or_number_with_an_optional_national_id() {
    let spec = spec();
    let body = &spec["components"]["schemas"]["VerifyBody"];
    let required: Vec<_> = body["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .map(|choice| (choice["required"].clone(), choice["additionalProperties"].clone()))
        .collect();
    assert_eq!(
        required,
        [
            (json!(["credential"]), json!(false)),
            (json!(["jws"]), json!(false)),
            (json!(["number"]), json!(false))
        ]
    );
    for choice in body["oneOf"].as_array().expect("oneOf") {
        let national_id = &choice["properties"]["national_id"];
        assert_eq!(national_id["type"], "string", "{choice:#}");
        assert_eq!(national_id["pattern"], "^[0-9]{12}$", "{choice:#}");
    }
}

async fn the_spec_and_swagger_ui_are_served(app: TestApp) {
    let spec = app.get("/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    let committed: Value = serde_json::from_str(COMMITTED).expect("committed spec is JSON");
    assert!(spec.body == committed, "the served spec is not the committed one");
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, StatusCode::OK);
}

on_both_backends!(the_spec_and_swagger_ui_are_served);
