//! Request extractors whose rejections use the service's `ApiError` JSON shape.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::db::AppState;
use crate::error::SyncError;

/// Like `axum::Json`, but a body that is missing, too large or not the expected JSON is
/// answered with an `ApiError` body (`invalid_input` for bad JSON) naming what is wrong.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T> FromRequest<AppState> for ApiJson<T>
where
    axum::Json<T>: FromRequest<AppState, Rejection = JsonRejection>,
{
    type Rejection = SyncError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(from_rejection(&rejection, state.rates().body_bytes())),
        }
    }
}

/// A byte count as people read it: `4 KiB`, `32 MiB`.
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

fn from_rejection(rejection: &JsonRejection, limit: usize) -> SyncError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => SyncError::UnsupportedMediaType(
            "expected a JSON body with `Content-Type: application/json`".to_owned(),
        ),
        JsonRejection::JsonDataError(e) => SyncError::InvalidInput(format!(
            "request body has the wrong shape: {}",
            e.body_text()
        )),
        JsonRejection::JsonSyntaxError(e) => {
            SyncError::InvalidInput(format!("request body is not valid JSON: {}", e.body_text()))
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            SyncError::PayloadTooLarge(format!("request body is too large (limit {})", size(limit)))
        }
        other => SyncError::InvalidInput(format!(
            "could not read request body: {}",
            other.body_text()
        )),
    }
}

/// Like `axum::extract::Path`, but a path segment of the wrong type (a version that is not
/// a number) is answered with an `ApiError` body naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = SyncError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(SyncError::InvalidInput(format!(
                "the address is not valid: {}",
                rejection.body_text()
            ))),
        }
    }
}
