//! The OpenAPI 3.1 document, generated from the handlers' annotations, and
//! its docs UI at `/docs`.
//!
//! Each handler's annotation lists its success answers and the errors
//! particular to it (409 `email_taken`, 403 for admin routes, ...). The errors
//! every operation of a kind can answer — 401 without a valid token, 400 for
//! a malformed path parameter, 415/413/400/422 for a request body, 422 for
//! query parameters, 503 when Postgres is unreachable or slow — are added by
//! [`document_problems`] from the operation's shape, so that no operation
//! forgets one. Every error is `application/problem+json`.

use utoipa::openapi::content::Content;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{Object, Ref, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};

/// Media type of every error answer (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Top-level document; paths are added by `utoipa_axum` from each route module.
#[derive(OpenApi)]
#[openapi(
    info(title = "Hoofbeat API", description = include_str!("../openapi-intro.md")),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Accounts and tokens"), (name = "horses"), (name = "sessions"),
         (name = "jobs"), (name = "admin", description = "Admin role only"), (name = "operations"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Documents the error answers of every operation: turns each `Problem`
/// response into `application/problem+json`, and adds the errors that follow
/// from the operation's shape (see the module documentation) where the
/// annotation did not already describe them. Called on the merged routes.
pub fn document_problems(openapi: &mut utoipa::openapi::OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            problems_of(path, operation);
        }
    }
}

fn problems_of(path: &str, op: &mut Operation) {
    // Annotations say `body = Problem`, which utoipa files under application/json.
    for response in op.responses.responses.values_mut() {
        if let RefOr::T(response) = response
            && is_problem(response)
            && let Some(content) = response.content.shift_remove("application/json")
        {
            response.content.insert(PROBLEM_JSON.to_owned(), content);
        }
    }
    if !path.starts_with("/v1/") {
        return;
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_in = |place: ParameterIn| {
        params
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
    };
    let (in_path, in_query) = (has_in(ParameterIn::Path), has_in(ParameterIn::Query));
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let with_body = op.request_body.is_some();

    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(problem(status, description)));
    };
    if in_path || with_body {
        add(
            "400",
            "`bad_request`: a malformed path parameter (not a UUID) or request body",
        );
    }
    if secured {
        add(
            "401",
            "`unauthorized`: missing, unknown, expired or revoked bearer token",
        );
    }
    if in_path {
        add("404", "`not_found`: absent, or someone else's");
    }
    if with_body {
        add("413", "`payload_too_large`: the body is over the limit");
        add(
            "415",
            "`unsupported_media_type`: the Content-Type is not one of the documented ones",
        );
    }
    if with_body || in_query {
        add(
            "422",
            "`validation_failed`: an invalid or unknown field or parameter (listed in `errors`)",
        );
    }
    add(
        "503",
        "`database_unavailable` or `timeout`: Postgres is unreachable or slow; retry after `Retry-After`",
    );
}

fn is_problem(response: &Response) -> bool {
    response.content.values().any(|c| {
        matches!(c, RefOr::T(Content { schema: Some(RefOr::Ref(r)), .. })
                 if r.ref_location == "#/components/schemas/Problem")
    })
}

/// A problem+json response with the headers its status carries.
fn problem(status: &str, description: &str) -> Response {
    let mut response = Response::new(description);
    response.content.insert(
        PROBLEM_JSON.to_owned(),
        RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
    );
    match status {
        "401" => {
            let mut h = Header::new(Object::with_type(Type::String));
            h.description = Some("`Bearer`".to_owned());
            response
                .headers
                .insert("WWW-Authenticate".to_owned(), RefOr::T(h));
        }
        "429" | "503" => {
            response
                .headers
                .insert("Retry-After".to_owned(), RefOr::T(retry_after()));
        }
        _ => {}
    }
    response
}

fn retry_after() -> Header {
    let mut h = Header::new(Schema::Object(
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .build(),
    ));
    h.description = Some("Seconds to wait before retrying".to_owned());
    h
}
