//! Limits on what one client may ask of the service: request body size, and request rates
//! per address and per bearer token (429 with `Retry-After` beyond them).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};

use crate::db::AppState;
use crate::error::SyncError;

/// A sustained request rate with a burst allowance; `per_second == 0` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

/// The limits the service enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted, in bytes.
    pub body_bytes: usize,
    /// Requests per client address.
    pub per_address: Rate,
    /// Requests per bearer token (on top of its address's limit).
    pub per_token: Rate,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: crate::BODY_LIMIT,
            per_address: Rate {
                per_second: 200,
                burst: 400,
            },
            per_token: Rate {
                per_second: 100,
                burst: 200,
            },
        }
    }
}

/// The rate limiters (in memory; they start empty on every start).
#[derive(Debug)]
pub struct RateLimits {
    body_bytes: usize,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_token: Option<DefaultKeyedRateLimiter<u64>>,
}

/// Keys tracked before idle ones are swept out.
const SWEEP_AT: usize = 10_000;

fn limiter<K: Hash + Eq + Clone>(rate: Rate) -> Option<DefaultKeyedRateLimiter<K>> {
    let per_second = NonZeroU32::new(rate.per_second)?;
    let burst = NonZeroU32::new(rate.burst).unwrap_or(per_second);
    Some(RateLimiter::keyed(
        Quota::per_second(per_second).allow_burst(burst),
    ))
}

impl RateLimits {
    pub fn new(limits: &Limits) -> RateLimits {
        RateLimits {
            body_bytes: limits.body_bytes,
            per_address: limiter(limits.per_address),
            per_token: limiter(limits.per_token),
        }
    }

    /// Largest request body accepted, in bytes.
    pub fn body_bytes(&self) -> usize {
        self.body_bytes
    }

    fn check(&self, address: IpAddr, token: Option<u64>) -> Result<(), SyncError> {
        if let Some(limiter) = &self.per_address {
            if limiter.len() > SWEEP_AT {
                limiter.retain_recent();
            }
            limiter
                .check_key(&address)
                .map_err(|n| too_many("from your address", &n))?;
        }
        if let (Some(limiter), Some(token)) = (&self.per_token, token) {
            if limiter.len() > SWEEP_AT {
                limiter.retain_recent();
            }
            limiter
                .check_key(&token)
                .map_err(|n| too_many("with your token", &n))?;
        }
        Ok(())
    }
}

fn too_many(whose: &str, not_until: &NotUntil<<DefaultClock as Clock>::Instant>) -> SyncError {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    SyncError::RateLimited {
        message: format!("too many requests {whose}; slow down and try again shortly"),
        retry_after_s: wait.as_secs().max(1),
    }
}

/// Middleware: refuses a request beyond its address's or token's rate with 429.
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let token = request.headers().get(header::AUTHORIZATION).map(|v| {
        let mut hasher = DefaultHasher::new();
        v.as_bytes().hash(&mut hasher);
        hasher.finish()
    });
    match state.rates().check(address, token) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// `Retry-After` for a rate-limited answer.
pub(crate) fn retry_after(seconds: u64) -> HeaderValue {
    HeaderValue::from(seconds)
}
