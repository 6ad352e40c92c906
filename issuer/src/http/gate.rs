//! Routes for gates: enrollment with a one-time token, then requests signed with the gate's
//! own key (docs/FORMAT.md, "Gate request signature").

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use xiaoge_pass::api::{EnrollRequest, UploadRequest};
use xiaoge_pass::gate_auth::GateAuthHeaders;

use super::{ApiError, ApiResult, blocking, json, now, parse_json, signed_response};
use crate::error::IssuerError;
use crate::service::{BundleFetch, Issuer};
use crate::store::GateRow;

pub(super) fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/v1/gates/enroll", post(enroll))
        .route("/v1/gate/entries", post(upload_entries))
        .route("/v1/gate/site-bundle", get(site_bundle))
        .route("/v1/gate/time", get(time_token))
}

async fn enroll(State(issuer): State<Arc<Issuer>>, body: Bytes) -> ApiResult<Response> {
    let request: EnrollRequest = parse_json(&body).map_err(ApiError::from)?;
    let at = now();
    let response = blocking(&issuer, move |i| i.enroll(&request, at)).await?;
    Ok(json(&response))
}

/// A request signed by a gate: the one extractor of every gate route after enrollment. It
/// reads what the signature covers before the blocking work; [`SignedRequest::gate`] checks
/// it there.
struct SignedRequest {
    method: Method,
    path: String,
    auth: GateAuthHeaders,
    headers: HeaderMap,
    body: Bytes,
}

impl FromRequest<Arc<Issuer>> for SignedRequest {
    type Rejection = Response;

    async fn from_request(request: Request, issuer: &Arc<Issuer>) -> Result<Self, Response> {
        let method = request.method().clone();
        // The path as the gate sent it, even under a nested router.
        let uri = request
            .extensions()
            .get::<OriginalUri>()
            .map_or_else(|| request.uri().clone(), |original| original.0.clone());
        let headers = request.headers().clone();
        // The body first: an oversized upload is answered 413 whatever its headers say.
        let body = Bytes::from_request(request, issuer)
            .await
            .map_err(IntoResponse::into_response)?;
        let auth = GateAuthHeaders::parse(|name| headers.get(name).map(HeaderValue::as_bytes))
            .map_err(|e| ApiError::from(IssuerError::GateAuth(e.to_string())).into_response())?;
        Ok(Self {
            method,
            path: uri
                .path_and_query()
                .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
            auth,
            headers,
            body,
        })
    }
}

impl SignedRequest {
    /// Authenticates the request; runs on the blocking pool.
    fn gate(&self, issuer: &Issuer) -> Result<GateRow, IssuerError> {
        issuer.authenticate_gate(
            self.method.as_str(),
            &self.path,
            &self.auth,
            &self.body,
            now(),
        )
    }
}

async fn upload_entries(
    State(issuer): State<Arc<Issuer>>,
    request: SignedRequest,
) -> ApiResult<Response> {
    let response = blocking(&issuer, move |i| {
        let gate = request.gate(i)?;
        let upload: UploadRequest = parse_json(&request.body)?;
        i.ingest(&gate, &upload.entries, now())
    })
    .await?;
    Ok(json(&response))
}

async fn site_bundle(
    State(issuer): State<Arc<Issuer>>,
    request: SignedRequest,
) -> ApiResult<Response> {
    let held = request
        .headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let fetch = blocking(&issuer, move |i| {
        let gate = request.gate(i)?;
        i.site_bundle(gate.site_id, held.as_deref(), now())
    })
    .await?;
    Ok(match fetch {
        BundleFetch::NotModified(etag) => {
            let mut headers = HeaderMap::new();
            if let Ok(v) = etag.parse() {
                headers.insert(header::IF_NONE_MATCH, v);
            }
            signed_response(Vec::new(), &etag, &headers)
        }
        BundleFetch::Fresh(list) => signed_response(list.bytes, &list.etag, &HeaderMap::new()),
    })
}

async fn time_token(
    State(issuer): State<Arc<Issuer>>,
    request: SignedRequest,
) -> ApiResult<Response> {
    let token = blocking(&issuer, move |i| {
        request.gate(i)?;
        // The request's own nonce is echoed: the gate knows the answer is to this request.
        i.time_token(request.auth.nonce.as_str(), now())
    })
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/cose"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        token,
    )
        .into_response())
}
