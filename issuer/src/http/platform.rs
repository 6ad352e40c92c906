//! Routes for delivery platforms, each authenticated by its own API key and confined to its
//! own riders.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post, put};
use serde::Deserialize;

use super::{ApiError, ApiResult, bearer, blocking, json, now, parse_json};
use crate::model::{RosterUpload, StatusChange};
use crate::service::Issuer;
use crate::store::PlatformRow;

pub(super) fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/v1/platform/riders", post(upsert_roster))
        .route("/v1/platform/riders/{platform_rider_id}", get(rider))
        .route(
            "/v1/platform/riders/{platform_rider_id}/status",
            put(set_status),
        )
        .route(
            "/v1/platform/riders/{platform_rider_id}/login-link",
            post(login_link),
        )
        .route("/v1/platform/conduct", get(conduct))
}

/// The platform a request's API key belongs to.
pub(super) struct Caller(PlatformRow);

impl FromRequestParts<Arc<Issuer>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, issuer: &Arc<Issuer>) -> Result<Self, ApiError> {
        let key = bearer(&parts.headers)?;
        blocking(issuer, move |i| i.authenticate_platform(&key, now()))
            .await
            .map(Caller)
    }
}

async fn upsert_roster(
    State(issuer): State<Arc<Issuer>>,
    Caller(platform): Caller,
    body: Bytes,
) -> ApiResult<Response> {
    let upload: RosterUpload = parse_json(&body).map_err(ApiError::from)?;
    let applied = blocking(&issuer, move |i| {
        i.upsert_roster(&platform, &upload.riders, now())
    })
    .await?;
    Ok(json(&applied))
}

async fn rider(
    State(issuer): State<Arc<Issuer>>,
    Caller(platform): Caller,
    Path(platform_rider_id): Path<String>,
) -> ApiResult<Response> {
    let rider = blocking(&issuer, move |i| {
        i.platform_rider(&platform, &platform_rider_id)
    })
    .await?;
    Ok(json(&rider))
}

async fn set_status(
    State(issuer): State<Arc<Issuer>>,
    Caller(platform): Caller,
    Path(platform_rider_id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let change: StatusChange = parse_json(&body).map_err(ApiError::from)?;
    let rider = blocking(&issuer, move |i| {
        i.set_platform_rider_status(&platform, &platform_rider_id, change.status, now())
    })
    .await?;
    Ok(json(&rider))
}

async fn login_link(
    State(issuer): State<Arc<Issuer>>,
    Caller(platform): Caller,
    Path(platform_rider_id): Path<String>,
) -> ApiResult<Response> {
    let link = blocking(&issuer, move |i| {
        i.login_link(&platform, &platform_rider_id, now())
    })
    .await?;
    Ok(json(&link))
}

#[derive(Deserialize)]
struct Range {
    from: String,
    to: String,
}

async fn conduct(
    State(issuer): State<Arc<Issuer>>,
    Caller(platform): Caller,
    Query(range): Query<Range>,
) -> ApiResult<Response> {
    let days = blocking(&issuer, move |i| {
        i.conduct(&platform, &range.from, &range.to)
    })
    .await?;
    Ok(json(&days))
}
