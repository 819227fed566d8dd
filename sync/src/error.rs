//! The service's one error type and how each variant becomes an HTTP answer.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kiln_protocol::sync::{ApiError, ApiErrorBody};

/// Everything that can go wrong in the sync service.
///
/// Client-facing variants carry a message meant for people; internal variants (database,
/// pool, I/O, ...) are logged in full and answered with a generic message.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    InvalidInput(String),
    /// A well-formed request with a value that is not allowed (422, naming the field).
    #[error("{message}")]
    InvalidField { field: String, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The resource already exists (e.g. a taken username).
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` did not match the stored version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// An update was sent without `If-Match`.
    #[error("{0}")]
    PreconditionRequired(String),
    /// Too many attempts in a short time (e.g. failed logins).
    #[error("{0}")]
    TooManyRequests(String),
    /// Beyond the request rate of an address or token.
    #[error("{message}")]
    RateLimited { message: String, retry_after_s: u64 },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("connection pool error: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data could not be decoded: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl SyncError {
    /// HTTP status and stable machine-readable kind of this error.
    pub fn status_and_kind(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidInput(_) => (StatusCode::BAD_REQUEST, "invalid_input"),
            Self::InvalidField { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::PreconditionFailed(_) => (StatusCode::PRECONDITION_FAILED, "conflict"),
            Self::PreconditionRequired(_) => {
                (StatusCode::PRECONDITION_REQUIRED, "precondition_required")
            }
            Self::TooManyRequests(_) | Self::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::Database(_)
            | Self::Pool(_)
            | Self::Io(_)
            | Self::Decode(_)
            | Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for SyncError {
    fn into_response(self) -> Response {
        let (status, kind) = self.status_and_kind();
        let field = match &self {
            Self::InvalidField { field, .. } => Some(field.clone()),
            _ => None,
        };
        let retry = match &self {
            Self::RateLimited { retry_after_s, .. } => Some(*retry_after_s),
            _ => None,
        };
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "internal server error; details are in the server log".to_owned()
        } else {
            tracing::debug!(%status, error = %self, "request rejected");
            self.to_string()
        };
        let body = ApiError {
            error: ApiErrorBody {
                kind: kind.to_owned(),
                message,
                field,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, crate::limits::retry_after(seconds));
        }
        response
    }
}
