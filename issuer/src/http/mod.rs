//! The issuer's HTTP API: thin handlers that turn requests into [`Issuer`] calls, one module
//! per kind of caller.
//!
//! Database work runs on Tokio's blocking pool, so a slow disk never stalls the reactor.
//! Errors answer JSON `{"error": {"code", "message"}}`; internal failures are logged and
//! answered with a bare `internal` code, never with their details. `docs/openapi.json`
//! describes every route in [`ROUTES`], and a test keeps the two in step.

mod admin;
mod background;
pub mod connections;
mod gate;
pub mod guesses;
pub mod pages;
mod platform;
mod public;
mod rider;
pub mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use xiaoge_pass::UnixTime;
use xiaoge_pass::api::{ErrorBody, ErrorDetail};

use crate::error::IssuerError;
use crate::model::RowError;
use crate::service::{Issuer, Secret};

pub use background::Background;

/// Largest request body accepted, in bytes: a full roster or entry upload fits with room.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// How long one request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The OpenAPI description, served at `/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// Every route the router serves, as (method, path) in OpenAPI's path syntax.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/v1/time"),
    ("GET", "/v1/trust-list"),
    ("GET", "/v1/status-list"),
    ("POST", "/v1/gates/enroll"),
    ("POST", "/v1/gate/entries"),
    ("GET", "/v1/gate/site-bundle"),
    ("GET", "/v1/gate/time"),
    ("POST", "/v1/platform/riders"),
    ("GET", "/v1/platform/riders/{platform_rider_id}"),
    ("PUT", "/v1/platform/riders/{platform_rider_id}/status"),
    ("POST", "/v1/platform/riders/{platform_rider_id}/login-link"),
    ("GET", "/v1/platform/conduct"),
    ("POST", "/v1/rider/session"),
    ("DELETE", "/v1/rider/session"),
    ("GET", "/v1/rider/code"),
    ("POST", "/v1/rider/help"),
    ("GET", "/v1/admin/platforms"),
    ("POST", "/v1/admin/platforms"),
    ("GET", "/v1/admin/sites"),
    ("POST", "/v1/admin/sites"),
    ("GET", "/v1/admin/sites/{site_id}"),
    ("PUT", "/v1/admin/sites/{site_id}"),
    ("GET", "/v1/admin/sites/{site_id}/gates"),
    ("POST", "/v1/admin/sites/{site_id}/gates"),
    ("GET", "/v1/admin/sites/{site_id}/bans"),
    ("POST", "/v1/admin/sites/{site_id}/bans"),
    ("DELETE", "/v1/admin/sites/{site_id}/bans/{rider_id}"),
    ("POST", "/v1/admin/sites/{site_id}/complaints"),
    ("GET", "/v1/admin/help-requests"),
    ("POST", "/v1/admin/help-requests/{help_id}/close"),
    ("GET", "/v1/stats"),
    ("POST", "/v1/admin/gates/{gate_id}/revoke"),
    ("POST", "/v1/admin/gates/{gate_id}/replace"),
    ("GET", "/v1/admin/platforms/{platform}/keys"),
    ("POST", "/v1/admin/platforms/{platform}/keys/rotate"),
    ("POST", "/v1/admin/platforms/{platform}/keys/revoke"),
    ("GET", "/v1/admin/admin-tokens"),
    ("POST", "/v1/admin/admin-tokens/{token_id}/revoke"),
    ("GET", "/v1/admin/sessions"),
    ("POST", "/v1/admin/sessions/{session_id}/end"),
    ("POST", "/v1/admin/riders/{rider_id}/sessions/end"),
    ("GET", "/v1/admin/audit"),
];

/// The issuer's router, ready to serve or to call in tests without a socket.
pub fn router(issuer: Arc<Issuer>) -> Router {
    router_behind(issuer, guesses::Edge::default())
}

/// The issuer's router for a server behind `edge`.
pub fn router_behind(issuer: Arc<Issuer>, edge: guesses::Edge) -> Router {
    let throttle = (Arc::clone(&issuer), Arc::new(edge));
    Router::new()
        .merge(public::routes())
        .merge(gate::routes())
        .merge(platform::routes())
        .merge(rider::routes())
        .merge(admin::routes())
        .merge(pages::routes())
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint".into(),
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::map_response(error_answers))
        .layer(axum::middleware::from_fn_with_state(
            throttle,
            guesses::throttle_guesses,
        ))
        .layer(axum::middleware::from_fn(sort_callers))
        // The span names the path only: a query may carry a one-time login token, and a
        // debug log must not hand it to whoever reads the logs.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
                tracing::debug_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                )
            }),
        )
        .with_state(issuer)
}

/// Serves `issuer` on `listener` behind `edge`, over TLS when `tls` is given, within
/// `limits`, until `shutdown` completes; then finishes the requests in flight.
pub async fn serve(
    issuer: Arc<Issuer>,
    listener: TcpListener,
    edge: guesses::Edge,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    limits: connections::ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let router = router_behind(issuer, edge);
    match tls {
        Some(config) => {
            connections::serve(listener, tls::Tls::new(config), router, limits, shutdown).await;
        }
        None => connections::serve(listener, connections::Plain, router, limits, shutdown).await,
    }
}

/// The wall clock, read at the edge and passed inward.
#[must_use]
pub fn now() -> UnixTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    rows: Vec<RowError>,
    retry_after: Option<i64>,
    refused_secret: Option<Secret>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: String) -> Self {
        Self {
            status,
            code,
            message,
            rows: Vec::new(),
            retry_after: None,
            refused_secret: None,
        }
    }

    /// Marks `response`, a page answered for this error, as refusing an unknown secret if
    /// it did, so that the guess throttle counts it as it counts the API's answers.
    fn mark(&self, response: Response) -> Response {
        guesses::mark_refused(response, self.refused_secret)
    }

    /// The answer's status.
    fn status(&self) -> StatusCode {
        self.status
    }

    /// What went wrong, in words.
    fn message(&self) -> String {
        self.message.clone()
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the issuer's log has the details".into(),
        )
    }
}

impl From<IssuerError> for ApiError {
    fn from(e: IssuerError) -> Self {
        let (status, code) = match &e {
            IssuerError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            IssuerError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            IssuerError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
            IssuerError::RosterRejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "roster_rejected"),
            IssuerError::RiderNotValid { .. } => (StatusCode::FORBIDDEN, "rider_not_valid"),
            IssuerError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            IssuerError::UnknownSecret(Secret::EnrollmentToken) => {
                (StatusCode::UNAUTHORIZED, "unknown_token")
            }
            IssuerError::UnknownSecret(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            IssuerError::TooManyFailures { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_failures")
            }
            IssuerError::GateAuth(_) => (StatusCode::UNAUTHORIZED, "gate_auth_failed"),
            IssuerError::GateRevoked { .. } => (StatusCode::UNAUTHORIZED, "gate_revoked"),
            IssuerError::EnrollmentTokenExpired { .. } => {
                (StatusCode::UNAUTHORIZED, "enrollment_token_expired")
            }
            IssuerError::PlatformKeyExpired { .. } => {
                (StatusCode::UNAUTHORIZED, "platform_key_expired")
            }
            IssuerError::PlatformKeyRevoked { .. } => {
                (StatusCode::UNAUTHORIZED, "platform_key_revoked")
            }
            IssuerError::AdminTokenRevoked { .. } => {
                (StatusCode::UNAUTHORIZED, "admin_token_revoked")
            }
            IssuerError::SessionEnded { .. } => (StatusCode::UNAUTHORIZED, "session_ended"),
            IssuerError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            IssuerError::NoSigningKey(_) => (StatusCode::SERVICE_UNAVAILABLE, "no_signing_key"),
            // The issuer's capacity, not the caller's mistake: retrying will not help.
            IssuerError::StatusListFull { .. } => {
                (StatusCode::INSUFFICIENT_STORAGE, "status_list_full")
            }
            IssuerError::NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            IssuerError::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            _ => {
                tracing::error!(error = %e, "internal error");
                return Self::internal();
            }
        };
        let mut answer = Self::new(status, code, e.to_string());
        match e {
            IssuerError::RosterRejected(rows) => answer.rows = rows,
            IssuerError::RateLimited { retry_after }
            | IssuerError::TooManyFailures { retry_after, .. } => {
                answer.retry_after = Some(retry_after);
            }
            IssuerError::UnknownSecret(secret) => answer.refused_secret = Some(secret),
            _ => {}
        }
        answer
    }
}

/// The error body, with the rejected rows of a roster upload when there are some.
#[derive(Serialize)]
struct ErrorAnswer {
    #[serde(flatten)]
    body: ErrorBody,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rows: Vec<RowError>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, retry_after, refused_secret) =
            (self.status, self.retry_after, self.refused_secret);
        let body = ErrorAnswer {
            body: ErrorBody {
                error: ErrorDetail {
                    code: self.code.into(),
                    message: self.message,
                },
            },
            rows: self.rows,
        };
        let mut response =
            guesses::mark_refused((status, axum::Json(body)).into_response(), refused_secret);
        if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// A numeric id from a URL path, such as a site's: at most `i64::MAX`, the largest integer
/// SQLite holds, so that a larger one is answered 400 here rather than failing in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PathId(pub u64);

impl<'de> serde::Deserialize<'de> for PathId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = u64::deserialize(d)?;
        if i64::try_from(id).is_err() {
            return Err(serde::de::Error::custom(format!(
                "id {id} is out of range: expected at most {}",
                i64::MAX
            )));
        }
        Ok(Self(id))
    }
}

/// Makes every error answer a JSON error that closes the connection.
///
/// The framework answers some errors by itself in plain text (a path or query that does not
/// parse, a body over the limit, a wrong method, a timeout); they become the API's JSON
/// errors. And an error may be answered before the request's body was read (a bad API key
/// is refused before the upload is looked at), which leaves the connection unfit for the
/// next request: `Connection: close` tells the client not to reuse it.
async fn error_answers(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // JSON and the pages' own HTML error pages pass as they are; anything else (axum's
    // plain-text rejections) becomes a JSON error.
    let is_ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html")
        });
    let mut response = if is_ours {
        response
    } else {
        to_json_error(response).await
    };
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn to_json_error(response: Response) -> Response {
    let status = response.status();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_request",
        _ if status.is_server_error() => "internal",
        _ => "bad_request",
    };
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    ApiError::new(status, code, message).into_response()
}

/// Who a request serves, for sharing out store work: each kind of caller has its own permits,
/// so that a burst from one (a platform's heavy reports, a flood of page loads) queues behind
/// itself and never holds the permits a gate's sync or a rider's code needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CallerKind {
    /// Gate enrollment, uploads and lists (`/v1/gate…`, `/v1/gates/…`).
    Gate,
    /// Riders' API and pages (`/v1/rider/…`, `/r…`, `/s/…`).
    Rider,
    /// Platforms' API (`/v1/platform/…`).
    Platform,
    /// The admin API and the dashboard (`/v1/admin/…`, `/v1/stats`, `/admin…`).
    Admin,
    /// Everything else: the public lists, time, assets.
    Public,
}

impl CallerKind {
    fn of(path: &str) -> Self {
        let under = |prefix: &str| {
            path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if under("/v1/gate") || under("/v1/gates") {
            CallerKind::Gate
        } else if under("/v1/rider") || under("/r") || under("/s") {
            CallerKind::Rider
        } else if under("/v1/platform") {
            CallerKind::Platform
        } else if under("/v1/admin") || under("/v1/stats") || under("/admin") {
            CallerKind::Admin
        } else {
            CallerKind::Public
        }
    }

    /// Store work of this kind running at once. Riders' codes and gates' syncs get the most;
    /// in all a few more than the store's connections, so that under load requests queue here,
    /// cheaply, rather than as hundreds of threads fighting for two cores.
    fn permits(self) -> &'static tokio::sync::Semaphore {
        static GATE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
        static RIDER: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(6);
        static PLATFORM: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
        static ADMIN: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
        static PUBLIC: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
        match self {
            CallerKind::Gate => &GATE,
            CallerKind::Rider => &RIDER,
            CallerKind::Platform => &PLATFORM,
            CallerKind::Admin => &ADMIN,
            CallerKind::Public => &PUBLIC,
        }
    }
}

tokio::task_local! {
    /// The kind of caller the running request serves (set by [`sort_callers`]).
    static CALLER: CallerKind;
}

/// Marks every request with the kind of caller it serves, for [`blocking`].
async fn sort_callers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let kind = CallerKind::of(request.uri().path());
    CALLER.scope(kind, next.run(request)).await
}

/// Runs a store-touching closure on the blocking pool, within its caller kind's permits.
async fn blocking<T: Send + 'static>(
    issuer: &Arc<Issuer>,
    f: impl FnOnce(&Issuer) -> Result<T, IssuerError> + Send + 'static,
) -> ApiResult<T> {
    let issuer = Arc::clone(issuer);
    let kind = CALLER.try_with(|k| *k).unwrap_or(CallerKind::Public);
    let permit = kind
        .permits()
        .acquire()
        .await
        .map_err(|_| ApiError::internal())?;
    let result = tokio::task::spawn_blocking(move || f(&issuer)).await;
    drop(permit);
    result
        .map_err(|e| {
            tracing::error!(error = %e, "blocking task failed");
            ApiError::internal()
        })?
        .map_err(ApiError::from)
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, IssuerError> {
    serde_json::from_slice(body).map_err(|e| IssuerError::BadJson(e.to_string()))
}

fn json<T: Serialize>(value: &T) -> Response {
    axum::Json(value).into_response()
}

/// The token of an `Authorization: Bearer …` header (the scheme name in any case).
fn bearer(headers: &HeaderMap) -> ApiResult<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "an Authorization: Bearer header is required".into(),
            )
        })
}

/// A signed object (list or bundle) as a response, or a 304 if the caller holds it.
fn signed_response(bytes: Vec<u8>, etag: &str, headers: &HeaderMap) -> Response {
    let etag_value = HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"\""));
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    if unchanged {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/cose"),
            ),
            (header::ETAG, etag_value),
        ],
        bytes,
    )
        .into_response()
}

/// The value of the cookie `name` in a request, if it has a non-empty one.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value for a session cookie: HttpOnly, SameSite=Strict, scoped to `path`,
/// and Secure when the issuer's public URL is HTTPS. An empty value with `max_age` 0 clears it.
pub(crate) fn session_cookie(
    issuer: &Issuer,
    name: &str,
    path: &str,
    value: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = if issuer.public_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("xg_invalid=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn callers_are_sorted_by_path() {
        use super::CallerKind::{self, *};
        for (path, kind) in [
            ("/v1/gate/entries", Gate),
            ("/v1/gates/enroll", Gate),
            ("/v1/rider/code", Rider),
            ("/r", Rider),
            ("/r/login", Rider),
            ("/s/12", Rider),
            ("/v1/platform/conduct", Platform),
            ("/v1/admin/sites", Admin),
            ("/admin", Admin),
            ("/v1/stats", Admin),
            ("/v1/status-list", Public),
            ("/robots.txt", Public),
            ("/rx", Public),
        ] {
            assert_eq!(CallerKind::of(path), kind, "{path}");
        }
    }

    use super::*;

    #[test]
    fn the_openapi_description_lists_exactly_the_served_routes() {
        let spec: serde_json::Value =
            serde_json::from_str(OPENAPI).expect("docs/openapi.json is JSON");
        let paths = spec["paths"]
            .as_object()
            .expect("the description has paths");
        let mut described = Vec::new();
        for (path, ops) in paths {
            for method in ops.as_object().expect("a path holds operations").keys() {
                if method != "parameters" {
                    described.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        let mut served: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        described.sort();
        served.sort();
        assert_eq!(described, served);
    }
}
