//! The issuer's HTTP API: a thin layer that turns requests into [`Issuer`] calls.
//!
//! Database work runs on Tokio's blocking pool, so a slow disk never stalls the reactor.
//! Errors answer JSON `{"error": {"code", "message"}}`; internal failures are logged and
//! answered with a bare `internal` code, never with their details.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use xiaoge_pass::UnixTime;
use xiaoge_pass::api::{EnrollRequest, ErrorBody, ErrorDetail, TimeResponse, UploadRequest};
use xiaoge_pass::gate_auth;

use crate::error::IssuerError;
use crate::service::{GateRequestAuth, Issuer, SignedList};

/// Largest request body accepted, in bytes: a full upload of entries fits with room.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// How long one request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Media type of the signed lists.
const COSE_MEDIA_TYPE: &str = "application/cose";

/// The issuer's router, ready to serve or to call in tests without a socket.
pub fn router(issuer: Arc<Issuer>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/time", get(time))
        .route("/v1/trust-list", get(trust_list))
        .route("/v1/status-list", get(status_list))
        .route("/v1/gates/enroll", post(enroll))
        .route("/v1/gate/entries", post(upload_entries))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint".into(),
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(issuer)
}

/// Serves `issuer` on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    issuer: Arc<Issuer>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(issuer))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The wall clock, read at the edge and passed inward.
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
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: String) -> Self {
        Self {
            status,
            code,
            message,
        }
    }
}

impl From<IssuerError> for ApiError {
    fn from(e: IssuerError) -> Self {
        let (status, code) = match &e {
            IssuerError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            IssuerError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            IssuerError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
            IssuerError::RiderNotValid { .. } => (StatusCode::FORBIDDEN, "rider_not_valid"),
            IssuerError::UnknownToken => (StatusCode::UNAUTHORIZED, "unknown_token"),
            IssuerError::GateAuth(_) => (StatusCode::UNAUTHORIZED, "gate_auth_failed"),
            IssuerError::NoSigningKey(_) => (StatusCode::SERVICE_UNAVAILABLE, "no_signing_key"),
            _ => {
                tracing::error!(error = %e, "internal error");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; the issuer's log has the details".into(),
                );
            }
        };
        Self::new(status, code, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: self.message,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs a store-touching closure on the blocking pool.
async fn blocking<T: Send + 'static>(
    issuer: &Arc<Issuer>,
    f: impl FnOnce(&Issuer) -> Result<T, IssuerError> + Send + 'static,
) -> ApiResult<T> {
    let issuer = Arc::clone(issuer);
    tokio::task::spawn_blocking(move || f(&issuer))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "blocking task failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error; the issuer's log has the details".into(),
            )
        })?
        .map_err(ApiError::from)
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("request body is not the expected JSON: {e}"),
        )
    })
}

fn json<T: Serialize>(value: &T) -> Response {
    axum::Json(value).into_response()
}

async fn time() -> Response {
    json(&TimeResponse { now: now() })
}

fn signed_list_response(list: &SignedList, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&list.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == list.etag.as_bytes());
    if unchanged {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(COSE_MEDIA_TYPE),
            ),
            (header::ETAG, etag),
        ],
        list.bytes.clone(),
    )
        .into_response()
}

async fn trust_list(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> ApiResult<Response> {
    let list = blocking(&issuer, Issuer::trust_list).await?;
    Ok(signed_list_response(&list, &headers))
}

async fn status_list(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> ApiResult<Response> {
    let at = now();
    let list = blocking(&issuer, move |i| i.status_list(at)).await?;
    Ok(signed_list_response(&list, &headers))
}

async fn enroll(State(issuer): State<Arc<Issuer>>, body: Bytes) -> ApiResult<Response> {
    let request: EnrollRequest = parse_json(&body)?;
    let at = now();
    let response = blocking(&issuer, move |i| i.enroll(&request, at)).await?;
    Ok(json(&response))
}

async fn upload_entries(
    State(issuer): State<Arc<Issuer>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let header_text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "gate_auth_failed",
                    format!("gate request refused: header {name} is missing"),
                )
            })
    };
    let gate = header_text(gate_auth::GATE_HEADER)?;
    let time = header_text(gate_auth::TIME_HEADER)?;
    let nonce = header_text(gate_auth::NONCE_HEADER)?;
    let signature = header_text(gate_auth::SIGNATURE_HEADER)?;
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let at = now();
    let response = blocking(&issuer, move |i| {
        let auth = GateRequestAuth {
            gate: &gate,
            time: &time,
            nonce: &nonce,
            signature: &signature,
        };
        let gate = i.authenticate_gate(method.as_str(), &path, auth, &body, at)?;
        let request: UploadRequest = serde_json::from_slice(&body).map_err(|e| {
            IssuerError::Invalid(format!("upload body is not the expected JSON: {e}"))
        })?;
        i.ingest(&gate, &request.entries, at)
    })
    .await?;
    Ok(json(&response))
}
