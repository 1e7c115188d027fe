//! The OpenAPI document is the contract (issue 10): every error answer is
//! documented as `application/problem+json` where it can occur, and the
//! limits are in the schema, not only in prose. `scripts/schemathesis`
//! checks the server against it; this checks the document's own shape.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

fn param<'a>(op: &'a Value, name: &str) -> &'a Value {
    op["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

#[tokio::test]
async fn every_error_is_documented_as_problem_json_with_its_limits() {
    let app = spawn_app().await;
    let spec: Value = app.openapi().await;

    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let has = |s: &str| responses.contains_key(s);
            for (status, r) in responses {
                if status.starts_with('4') || (path.starts_with("/v1/") && status.starts_with('5'))
                {
                    let types: Vec<&String> = r["content"].as_object().unwrap().keys().collect();
                    assert_eq!(
                        types,
                        ["application/problem+json"],
                        "{method} {path} {status}"
                    );
                }
            }
            if !path.starts_with("/v1/") {
                continue;
            }
            operations += 1;
            let at = format!("{method} {path}");
            assert!(has("503"), "{at}");
            if op["security"].is_array() {
                assert!(has("401"), "{at}: 401");
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if params.iter().any(|p| p["in"] == "path") {
                assert!(has("400") && has("404"), "{at}: 400 and 404");
            }
            if params.iter().any(|p| p["in"] == "query") {
                assert!(has("422"), "{at}: 422");
            }
            if op["requestBody"].is_object() {
                for s in ["400", "413", "415", "422"] {
                    assert!(has(s), "{at}: {s}");
                }
            }
        }
    }
    assert!(operations >= 20, "{operations}");
    for (path, method) in [("/v1/auth/register", "post"), ("/v1/auth/login", "post")] {
        let responses = &spec["paths"][path][method]["responses"];
        for s in ["422", "429", "503"] {
            assert!(responses[s].is_object(), "{method} {path}: {s}");
        }
    }

    let schemas = &spec["components"]["schemas"];
    let credentials = &schemas["Credentials"]["properties"];
    assert_eq!(credentials["email"]["format"], "email");
    assert_eq!(credentials["email"]["maxLength"], 254);
    assert_eq!(credentials["password"]["minLength"], 8);
    assert_eq!(credentials["password"]["maxLength"], 128);
    for schema in ["NewHorse", "HorseChanges"] {
        let p = &schemas[schema]["properties"];
        assert_eq!(p["name"]["maxLength"], 100, "{schema}");
        assert_eq!(p["birth_year"]["minimum"], 1950, "{schema}");
        assert_eq!(
            p["birth_year"]["maximum"],
            chrono::Utc::now().year(),
            "{schema}"
        );
        assert_eq!(p["notes"]["maxLength"], 2000, "{schema}");
    }
    let list = &spec["paths"]["/v1/horses/{horse_id}/sessions"]["get"];
    assert_eq!(param(list, "limit")["schema"]["minimum"], 1);
    assert_eq!(param(list, "limit")["schema"]["maximum"], 200);
    let jobs = &spec["paths"]["/v1/admin/jobs"]["get"];
    let status = &param(jobs, "status")["schema"];
    let status = if status["$ref"].is_string() {
        &schemas["JobStatus"]
    } else {
        status
    };
    assert_eq!(
        status["enum"],
        json!(["queued", "running", "succeeded", "failed", "dead"])
    );
}

/// JSON Schema's `integer` includes `2015.0`; the server reads it as 2015.
#[tokio::test]
async fn an_integral_number_is_an_integer() {
    let app = spawn_app().await;
    let (token, _) = app.user("integral@example.com").await;
    let r = app
        .post_json(
            &token,
            "/v1/horses",
            &json!({"name": "Comet", "birth_year": 2015.0}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let horse: Value = r.json().await.unwrap();
    assert_eq!(horse["birth_year"], 2015);
    let id = horse["id"].as_str().unwrap();
    let r = app
        .patch_json(
            &token,
            &format!("/v1/horses/{id}"),
            &json!({"birth_year": 2016.5}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
}
