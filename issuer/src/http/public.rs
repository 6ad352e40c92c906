//! Routes anyone may call: health, the API description, the time and the signed lists.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use xiaoge_pass::api::TimeResponse;

use super::{ApiResult, OPENAPI, blocking, json, now, signed_response};
use crate::service::Issuer;

pub(super) fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/time", get(time))
        .route("/v1/trust-list", get(trust_list))
        .route("/v1/status-list", get(status_list))
}

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

async fn time() -> Response {
    json(&TimeResponse { now: now() })
}

async fn trust_list(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> ApiResult<Response> {
    let list = blocking(&issuer, Issuer::trust_list).await?;
    Ok(signed_response(list.bytes, &list.etag, &headers))
}

async fn status_list(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> ApiResult<Response> {
    let at = now();
    let list = blocking(&issuer, move |i| i.status_list(at)).await?;
    Ok(signed_response(list.bytes.clone(), &list.etag, &headers))
}
