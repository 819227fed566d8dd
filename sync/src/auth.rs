//! Accounts: signup, login, bearer tokens and the `AuthUser` extractor.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use kiln_protocol::sync::{ApiError, Credentials, IssuedToken, NewToken, Session, TokenInfo};
use sha2::{Digest, Sha256};

use crate::db::{AppState, now_ms};
use crate::error::SyncError;
use crate::extract::{ApiJson, ApiPath};

const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_BYTES: usize = 1024;
const WRONG_CREDENTIALS: &str = "wrong username or password";
const TOO_MANY_FAILURES: &str = "too many failed logins; wait 15 minutes";
const SESSION_LABEL: &str = "session";
const MAX_LABEL_CHARS: usize = 64;

/// How long a session token stays valid after it is issued: 30 days, in milliseconds.
pub(crate) const TOKEN_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Routes under `/api/auth`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/session", delete(logout))
        .route("/tokens", get(list_tokens).post(new_token))
        .route("/tokens/{id}", delete(revoke_token))
}

/// The account a request is authenticated as, from `Authorization: Bearer <token>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    /// Id of the bearer token the request came with.
    pub(crate) token_id: i64,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = SyncError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, SyncError> {
        let token = bearer(parts)?.ok_or_else(|| {
            SyncError::Unauthorized("sign in first: missing `Authorization: Bearer` header".into())
        })?;
        let token_hash = sha256_hex(token.as_bytes());
        let found = state
            .run(move |store| store.find_token(&token_hash))
            .await?;
        match found {
            None => Err(SyncError::Unauthorized(
                "this session is not valid (it may have been logged out); log in again".into(),
            )),
            Some(owner) if owner.expires_at_ms <= now_ms() => Err(SyncError::Unauthorized(
                "your session has expired; log in again".into(),
            )),
            Some(owner) => Ok(AuthUser {
                id: owner.user_id,
                username: owner.username,
                token_id: owner.token_id,
            }),
        }
    }
}

/// The bearer token of a request, if it has an `Authorization` header; an error when the
/// header is not `Bearer <token>`.
pub(crate) fn bearer(parts: &Parts) -> Result<Option<String>, SyncError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| Some(t.to_owned()))
        .ok_or_else(|| {
            SyncError::Unauthorized("the `Authorization` header must be `Bearer <token>`".into())
        })
}

#[utoipa::path(post, path = "/api/auth/signup", tag = "accounts", request_body = Credentials,
    responses((status = 201, description = "Account created; a session token", body = Session),
        (status = 409, description = "The username is taken", body = ApiError)))]
async fn signup(
    State(state): State<AppState>,
    ApiJson(creds): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<Session>), SyncError> {
    validate_username(&creds.username)?;
    validate_password(&creds.password)?;
    let Credentials { username, password } = creds;
    let hash = blocking(move || hash_password(&password)).await?;
    let name = username.clone();
    let user_id = state
        .run(move |store| store.create_user(&name, &hash, now_ms()))
        .await?
        .ok_or_else(|| {
            SyncError::Conflict(format!("the username `{username}` is taken; pick another"))
        })?;
    let (_, token, _) = issue_token(&state, user_id, SESSION_LABEL).await?;
    Ok((StatusCode::CREATED, Json(Session { username, token })))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "accounts", request_body = Credentials,
    responses((status = 200, description = "A new session token", body = Session),
        (status = 401, description = "Wrong username or password", body = ApiError)))]
async fn login(
    State(state): State<AppState>,
    ApiJson(creds): ApiJson<Credentials>,
) -> Result<Json<Session>, SyncError> {
    let Credentials { username, password } = creds;
    // Only names that could belong to an account are tracked, which bounds what is kept.
    let tracked = validate_username(&username).is_ok();
    if tracked && state.login_throttle().is_locked(&username) {
        return Err(SyncError::TooManyRequests(TOO_MANY_FAILURES.into()));
    }
    let failed = |state: &AppState, username: &str| {
        if tracked {
            state.login_throttle().record_failure(username);
        }
        SyncError::Unauthorized(WRONG_CREDENTIALS.into())
    };
    let lookup = username.clone();
    let user = state.run(move |store| store.find_user(&lookup)).await?;
    let Some(user) = user else {
        // Spend the same time as a real check so that response times do not reveal which
        // usernames exist.
        let _ = blocking(move || verify_password(&password, dummy_hash())).await;
        return Err(failed(&state, &username));
    };
    let stored = user.password_hash;
    if !blocking(move || verify_password(&password, &stored)).await? {
        return Err(failed(&state, &username));
    }
    state.login_throttle().reset(&username);
    let (_, token, _) = issue_token(&state, user.id, SESSION_LABEL).await?;
    Ok(Json(Session { username, token }))
}

/// Logs out: revokes the token the request was made with. Other sessions stay valid.
#[utoipa::path(delete, path = "/api/auth/session", tag = "accounts", security(("bearer" = [])),
    responses((status = 204, description = "The token the request came with is revoked")))]
async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, SyncError> {
    state
        .run(move |store| store.delete_token(user.id, user.token_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's tokens that have not expired, newest first.
#[utoipa::path(get, path = "/api/auth/tokens", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "The account's tokens, newest first", body = Vec<TokenInfo>)))]
async fn list_tokens(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<TokenInfo>>, SyncError> {
    let current = user.token_id;
    let tokens = state
        .run(move |store| store.list_tokens(user.id, now_ms()))
        .await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                label: t.label,
                created_at_ms: t.created_at_ms,
                expires_at_ms: t.expires_at_ms,
                current: t.id == current,
            })
            .collect(),
    ))
}

/// A further token for the account, e.g. for a script.
#[utoipa::path(post, path = "/api/auth/tokens", tag = "accounts", security(("bearer" = [])),
    request_body = NewToken,
    responses((status = 201, description = "A further token, shown this once", body = IssuedToken)))]
async fn new_token(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<IssuedToken>), SyncError> {
    let label = body.label.trim().to_owned();
    if !(1..=MAX_LABEL_CHARS).contains(&label.chars().count()) {
        return Err(SyncError::InvalidField {
            field: "label".into(),
            message: format!("`label` must be 1 to {MAX_LABEL_CHARS} characters long"),
        });
    }
    let (id, token, expires_at_ms) = issue_token(&state, user.id, &label).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            id,
            label,
            token,
            expires_at_ms,
        }),
    ))
}

/// Revokes one of the account's tokens (it stops working at once).
#[utoipa::path(delete, path = "/api/auth/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Token id from the listing")),
    responses((status = 204, description = "Revoked"),
        (status = 404, description = "No such token in this account", body = ApiError)))]
async fn revoke_token(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, SyncError> {
    if state
        .run(move |store| store.delete_token(user.id, id))
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(SyncError::NotFound(format!(
            "your account has no token with id {id}"
        )))
    }
}

/// Runs CPU-heavy work (password hashing) on the blocking thread pool.
async fn blocking<T, F>(f: F) -> Result<T, SyncError>
where
    F: FnOnce() -> Result<T, SyncError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Internal(format!("password task failed: {e}")))?
}

/// Creates a new token for `user_id`, valid for [`TOKEN_TTL_MS`]; only its SHA-256 is
/// stored. Returns its id, the token and when it expires.
async fn issue_token(
    state: &AppState,
    user_id: i64,
    label: &str,
) -> Result<(i64, String, i64), SyncError> {
    let token = random_hex::<32>()?;
    let hash = sha256_hex(token.as_bytes());
    let label = label.to_owned();
    let now = now_ms();
    let expires = now.saturating_add(TOKEN_TTL_MS);
    let id = state
        .run(move |store| store.insert_token(user_id, &hash, &label, now, expires))
        .await?;
    Ok((id, token, expires))
}

fn validate_username(name: &str) -> Result<(), SyncError> {
    let len = name.chars().count();
    if !(3..=32).contains(&len) {
        return Err(SyncError::InvalidField {
            field: "username".into(),
            message: format!("username must be 3 to 32 characters long (got {len})"),
        });
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        return Err(SyncError::InvalidField {
            field: "username".into(),
            message: format!(
                "username may only contain lowercase letters a-z, digits, `_` and `-` (found \
                 {bad:?})"
            ),
        });
    }
    Ok(())
}

fn validate_password(password: &str) -> Result<(), SyncError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(SyncError::InvalidField {
            field: "password".into(),
            message: format!("password must be at least {MIN_PASSWORD_CHARS} characters long"),
        });
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(SyncError::InvalidField {
            field: "password".into(),
            message: format!("password must be at most {MAX_PASSWORD_BYTES} bytes long"),
        });
    }
    Ok(())
}

/// Argon2id (default parameters) PHC string of `password`, with a random salt.
fn hash_password(password: &str) -> Result<String, SyncError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| SyncError::Internal(format!("password hashing failed: {e}")))
}

fn verify_password(password: &str, phc: &str) -> Result<bool, SyncError> {
    let parsed = PasswordHash::new(phc)
        .map_err(|e| SyncError::Internal(format!("stored password hash is malformed: {e}")))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// A hash of a password nobody has, to verify against when the username is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("kiln-no-such-user-password").unwrap_or_default())
}

/// `N` random bytes from the operating system, as lowercase hex.
pub(crate) fn random_hex<const N: usize>() -> Result<String, SyncError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| SyncError::Internal(format!("no randomness available: {e}")))?;
    Ok(to_hex(&bytes))
}

/// Lowercase hex of the SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    to_hex(&Sha256::digest(data))
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(validate_username("ada_l-1").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username("Ada").is_err());
        assert!(validate_username("a b c").is_err());
        assert!(validate_username(&"a".repeat(33)).is_err());
    }

    #[test]
    fn hex_and_hash() {
        assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(random_hex::<16>().unwrap().len(), 32);
    }

    #[test]
    fn password_roundtrip() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h).unwrap());
        assert!(!verify_password("wrong horse", &h).unwrap());
    }
}
