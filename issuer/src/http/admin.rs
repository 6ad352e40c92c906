//! Routes for operators and properties, authenticated by an admin token: platforms, sites
//! with their guides, gates, bans, complaints, and the regulator's figures.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use xiaoge_pass::{RiderId, SiteId};

use super::{ApiError, ApiResult, PathId, bearer, blocking, json, now, parse_json};
use crate::error::IssuerError;
use crate::model::{
    CloseHelpRequest, GateCreated, NewBan, NewGate, NewPlatform, PlatformCreated, RiderComplaint,
    SiteInput,
};
use crate::service::Issuer;

pub(super) fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/v1/admin/platforms", get(platforms).post(add_platform))
        .route("/v1/admin/sites", get(sites).post(add_site))
        .route("/v1/admin/sites/{site_id}", get(site).put(update_site))
        .route("/v1/admin/sites/{site_id}/gates", get(gates).post(add_gate))
        .route("/v1/admin/sites/{site_id}/bans", get(bans).post(ban))
        .route("/v1/admin/sites/{site_id}/bans/{rider_id}", delete(unban))
        .route(
            "/v1/admin/sites/{site_id}/complaints",
            axum::routing::post(complain),
        )
        .route("/v1/admin/help-requests", get(help_requests))
        .route(
            "/v1/admin/help-requests/{help_id}/close",
            axum::routing::post(close_help_request),
        )
        .route("/v1/stats", get(stats))
}

/// A request made with the regulator's admin token; holds the token's name.
pub(super) struct Admin(String);

impl FromRequestParts<Arc<Issuer>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, issuer: &Arc<Issuer>) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)?;
        let name = blocking(issuer, move |i| i.authenticate_admin(&token)).await?;
        tracing::debug!(admin = %name, "admin request");
        Ok(Admin(name))
    }
}

fn created(body: Response) -> Response {
    (StatusCode::CREATED, body).into_response()
}

async fn platforms(State(issuer): State<Arc<Issuer>>, _: Admin) -> ApiResult<Response> {
    Ok(json(&blocking(&issuer, Issuer::platforms).await?))
}

async fn add_platform(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    body: Bytes,
) -> ApiResult<Response> {
    let new: NewPlatform = parse_json(&body).map_err(ApiError::from)?;
    let (id, api_key) = blocking(&issuer, {
        let name = new.name.clone();
        move |i| i.add_platform(&name, now())
    })
    .await?;
    Ok(created(json(&PlatformCreated {
        id,
        name: new.name,
        api_key,
    })))
}

async fn sites(State(issuer): State<Arc<Issuer>>, _: Admin) -> ApiResult<Response> {
    Ok(json(&blocking(&issuer, Issuer::sites).await?))
}

async fn add_site(State(issuer): State<Arc<Issuer>>, _: Admin, body: Bytes) -> ApiResult<Response> {
    let input: SiteInput = parse_json(&body).map_err(ApiError::from)?;
    let site = blocking(&issuer, move |i| {
        let id = i.add_site(&input, now())?;
        i.site(id)
    })
    .await?;
    Ok(created(json(&site)))
}

async fn site(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path(PathId(id)): Path<PathId>,
) -> ApiResult<Response> {
    Ok(json(&blocking(&issuer, move |i| i.site(SiteId(id))).await?))
}

async fn update_site(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path(PathId(id)): Path<PathId>,
    body: Bytes,
) -> ApiResult<Response> {
    let input: SiteInput = parse_json(&body).map_err(ApiError::from)?;
    Ok(json(
        &blocking(&issuer, move |i| i.update_site(SiteId(id), &input)).await?,
    ))
}

async fn gates(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path(PathId(id)): Path<PathId>,
) -> ApiResult<Response> {
    Ok(json(
        &blocking(&issuer, move |i| i.gates(Some(SiteId(id)))).await?,
    ))
}

async fn add_gate(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path(PathId(id)): Path<PathId>,
    body: Bytes,
) -> ApiResult<Response> {
    let new: NewGate = parse_json(&body).map_err(ApiError::from)?;
    let (gate_id, token) =
        blocking(&issuer, move |i| i.add_gate(SiteId(id), &new.name, now())).await?;
    Ok(created(json(&GateCreated { gate_id, token })))
}

async fn bans(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path(PathId(id)): Path<PathId>,
) -> ApiResult<Response> {
    Ok(json(&blocking(&issuer, move |i| i.bans(SiteId(id))).await?))
}

async fn ban(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path(PathId(id)): Path<PathId>,
    body: Bytes,
) -> ApiResult<Response> {
    let ban: NewBan = parse_json(&body).map_err(ApiError::from)?;
    blocking(&issuer, move |i| {
        i.ban(SiteId(id), &ban.rider, &ban.reason, now())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn unban(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path((PathId(id), rider)): Path<(PathId, String)>,
) -> ApiResult<Response> {
    let rider: RiderId = rider.parse().map_err(|e: xiaoge_pass::FormatError| {
        ApiError::from(IssuerError::Invalid(e.to_string()))
    })?;
    blocking(&issuer, move |i| i.unban(SiteId(id), &rider)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn complain(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path(PathId(id)): Path<PathId>,
    body: Bytes,
) -> ApiResult<Response> {
    let complaint: RiderComplaint = parse_json(&body).map_err(ApiError::from)?;
    blocking(&issuer, move |i| i.complain(SiteId(id), &complaint, now())).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn stats(State(issuer): State<Arc<Issuer>>, _: Admin) -> ApiResult<Response> {
    Ok(json(&blocking(&issuer, |i| i.stats(now())).await?))
}

#[derive(serde::Deserialize)]
struct HelpQuery {
    /// Only open requests (the default) or all of them.
    #[serde(default = "open_only")]
    open: bool,
}

const fn open_only() -> bool {
    true
}

async fn help_requests(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Query(query): Query<HelpQuery>,
) -> ApiResult<Response> {
    Ok(json(
        &blocking(&issuer, move |i| i.help_requests(query.open, None)).await?,
    ))
}

async fn close_help_request(
    State(issuer): State<Arc<Issuer>>,
    Admin(name): Admin,
    Path(PathId(id)): Path<PathId>,
    body: Bytes,
) -> ApiResult<Response> {
    let close: CloseHelpRequest = parse_json(&body).map_err(ApiError::from)?;
    let by = crate::model::Admin { name, site: None };
    Ok(json(
        &blocking(&issuer, move |i| {
            i.close_help_request(id, &close.resolution, &by, now())
        })
        .await?,
    ))
}
