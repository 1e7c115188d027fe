//! The OpenAPI 3.1 document, generated from the handlers' annotations, and
//! its docs UI at `/docs`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
