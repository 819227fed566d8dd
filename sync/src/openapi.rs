//! The OpenAPI 3.1 description of the API, served at `/api/openapi.json`. Operations are
//! described next to their handlers (`#[utoipa::path]`) and bodies by the protocol types, so
//! the document follows the code; the errors every operation can answer are added here.

use axum::Json;
use axum::http::StatusCode;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use kiln_protocol::sync::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kiln sync service",
        description = "Accounts, projects with optimistic concurrency, read-only share links and \
                       a model registry for the Kiln studio. Errors are \
                       `{\"error\": {\"kind\", \"message\", \"field\"?}}`."
    ),
    paths(
        crate::health,
        crate::version,
        document,
        crate::auth::signup,
        crate::auth::login,
        crate::auth::logout,
        crate::auth::list_tokens,
        crate::auth::new_token,
        crate::auth::revoke_token,
        crate::projects::list,
        crate::projects::fetch,
        crate::projects::save,
        crate::projects::remove,
        crate::shares::create,
        crate::shares::list,
        crate::shares::revoke,
        crate::shares::open,
        crate::models::register,
        crate::models::list,
        crate::models::detail,
        crate::models::change_stage,
        crate::models::rollback,
        crate::models::set_public,
        crate::models::public_artifact,
        crate::models::public_production,
        crate::models::public_version,
    ),
    modifiers(&CommonAnswers)
)]
struct ApiDoc;

/// Adds the bearer scheme, and the errors any operation may answer: bad or oversized bodies,
/// missing or expired sessions, rate limits and internal failures.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components
            .schemas
            .entry(ApiError::name().into_owned())
            .or_insert_with(ApiError::schema);
        let mut nested = Vec::new();
        ApiError::schemas(&mut nested);
        for (name, schema) in nested {
            components.schemas.entry(name).or_insert(schema);
        }
        let common = [
            (StatusCode::BAD_REQUEST, "The request is malformed", true),
            (
                StatusCode::UNAUTHORIZED,
                "Sign in first, or the session expired",
                false,
            ),
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The body is over the size limit",
                true,
            ),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The body is not JSON",
                true,
            ),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "A field has a value that is not allowed",
                true,
            ),
            (
                StatusCode::TOO_MANY_REQUESTS,
                "Over the rate limit; see Retry-After",
                false,
            ),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something failed on the server",
                false,
            ),
        ];
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let has_body = operation.request_body.is_some();
                let authed = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                for (status, description, needs_body) in common {
                    if needs_body && !has_body && status != StatusCode::BAD_REQUEST {
                        continue;
                    }
                    if status == StatusCode::UNAUTHORIZED && !authed {
                        continue;
                    }
                    let response = ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                                ApiError::name(),
                            )))),
                        )
                        .build();
                    operation
                        .responses
                        .responses
                        .entry(status.as_u16().to_string())
                        .or_insert(RefOr::T(response));
                }
            }
        }
    }
}

/// The document, built once.
fn json() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).unwrap_or_default())
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "service",
    responses((status = 200, description = "This document", body = Object)))]
pub async fn document() -> Json<serde_json::Value> {
    Json(json().clone())
}
