//! Routes for operators and properties, authenticated by an admin token: platforms, sites
//! with their guides, gates, bans, complaints, the regulator's figures, and cutting off
//! credentials (gates, platform keys, admin tokens, sessions) with the audit log.
//!
//! Every list answers a page, `{"items": [...], "next_after": ...}`, read with `limit` and
//! `after` in the query string ([`crate::paging`]).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use xiaoge_pass::{RiderId, SiteId, UnixTime};

use super::{ApiError, ApiResult, PathId, bearer, blocking, json, now, parse_json};
use crate::error::IssuerError;
use crate::model::{
    Actor, CloseHelpRequest, NewBan, NewGate, NewPlatform, PlatformCreated, ReplaceGate,
    RevokePlatformKey, Revoked, RiderComplaint, RotatePlatformKey, SiteInput,
};
use crate::paging::PageParams;
use crate::service::{DEFAULT_OVERLAP_HOURS, DEFAULT_TOKEN_DAYS, Issuer};

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
        .route("/v1/admin/gates/{gate_id}/revoke", post(revoke_gate))
        .route("/v1/admin/gates/{gate_id}/replace", post(replace_gate))
        .route("/v1/admin/platforms/{platform}/keys", get(platform_keys))
        .route(
            "/v1/admin/platforms/{platform}/keys/rotate",
            post(rotate_platform_key),
        )
        .route(
            "/v1/admin/platforms/{platform}/keys/revoke",
            post(revoke_platform_keys),
        )
        .route("/v1/admin/admin-tokens", get(admin_tokens))
        .route(
            "/v1/admin/admin-tokens/{token_id}/revoke",
            post(revoke_admin_token),
        )
        .route("/v1/admin/sessions", get(sessions))
        .route("/v1/admin/sessions/{session_id}/end", post(end_session))
        .route(
            "/v1/admin/riders/{rider_id}/sessions/end",
            post(end_rider_sessions),
        )
        .route("/v1/admin/audit", get(audit))
}

/// A request made with the regulator's admin token; holds who it is for the audit log, and
/// the token's name.
pub(super) struct Admin(Actor, String);

impl FromRequestParts<Arc<Issuer>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, issuer: &Arc<Issuer>) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)?;
        let (actor, name) = blocking(issuer, move |i| i.authenticate_admin_actor(&token)).await?;
        tracing::debug!(admin = %name, %actor, "admin request");
        Ok(Admin(actor, name))
    }
}

fn created(body: Response) -> Response {
    (StatusCode::CREATED, body).into_response()
}

async fn platforms(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Query(paging): Query<PageParams>,
) -> ApiResult<Response> {
    let page = paging.request()?;
    Ok(json(&blocking(&issuer, move |i| i.platforms(&page)).await?))
}

async fn add_platform(
    State(issuer): State<Arc<Issuer>>,
    Admin(actor, _): Admin,
    body: Bytes,
) -> ApiResult<Response> {
    let new: NewPlatform = parse_json(&body).map_err(ApiError::from)?;
    let (id, api_key) = blocking(&issuer, {
        let name = new.name.clone();
        move |i| i.add_platform_by(actor, &name, now())
    })
    .await?;
    Ok(created(json(&PlatformCreated {
        id,
        name: new.name,
        api_key,
    })))
}

async fn sites(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Query(paging): Query<PageParams>,
) -> ApiResult<Response> {
    let page = paging.request()?;
    Ok(json(&blocking(&issuer, move |i| i.sites(&page)).await?))
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
    Query(paging): Query<PageParams>,
) -> ApiResult<Response> {
    let page = paging.request()?;
    Ok(json(
        &blocking(&issuer, move |i| i.gates(Some(SiteId(id)), &page)).await?,
    ))
}

async fn add_gate(
    State(issuer): State<Arc<Issuer>>,
    Admin(actor, _): Admin,
    Path(PathId(id)): Path<PathId>,
    body: Bytes,
) -> ApiResult<Response> {
    let new: NewGate = parse_json(&body).map_err(ApiError::from)?;
    let days = new.token_days.unwrap_or(DEFAULT_TOKEN_DAYS);
    let gate = blocking(&issuer, move |i| {
        i.add_gate_by(actor, SiteId(id), &new.name, days, now())
    })
    .await?;
    Ok(created(json(&gate)))
}

async fn bans(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path(PathId(id)): Path<PathId>,
    Query(paging): Query<PageParams>,
) -> ApiResult<Response> {
    let page = paging.request()?;
    Ok(json(
        &blocking(&issuer, move |i| i.bans(SiteId(id), &page)).await?,
    ))
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
    Query(paging): Query<PageParams>,
) -> ApiResult<Response> {
    let page = paging.request()?;
    Ok(json(
        &blocking(&issuer, move |i| i.help_requests(query.open, None, &page)).await?,
    ))
}

async fn close_help_request(
    State(issuer): State<Arc<Issuer>>,
    Admin(_, name): Admin,
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

/// A body that may be empty: an empty body means every field's default.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(body).map_err(ApiError::from)
}

async fn revoke_gate(
    State(issuer): State<Arc<Issuer>>,
    Admin(actor, _): Admin,
    Path(PathId(gate)): Path<PathId>,
) -> ApiResult<Response> {
    blocking(&issuer, move |i| i.revoke_gate(actor, gate, now())).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn replace_gate(
    State(issuer): State<Arc<Issuer>>,
    Admin(actor, _): Admin,
    Path(PathId(gate)): Path<PathId>,
    body: Bytes,
) -> ApiResult<Response> {
    let replace: ReplaceGate = optional_json(&body)?;
    let days = replace.token_days.unwrap_or(DEFAULT_TOKEN_DAYS);
    Ok(created(json(
        &blocking(&issuer, move |i| i.replace_gate(actor, gate, days, now())).await?,
    )))
}

async fn platform_keys(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Path(platform): Path<String>,
    Query(paging): Query<PageParams>,
) -> ApiResult<Response> {
    let page = paging.request()?;
    Ok(json(
        &blocking(&issuer, move |i| i.platform_keys(&platform, &page)).await?,
    ))
}

async fn rotate_platform_key(
    State(issuer): State<Arc<Issuer>>,
    Admin(actor, _): Admin,
    Path(platform): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let rotate: RotatePlatformKey = optional_json(&body)?;
    let hours = rotate.overlap_hours.unwrap_or(DEFAULT_OVERLAP_HOURS);
    Ok(created(json(
        &blocking(&issuer, move |i| {
            i.rotate_platform_key(actor, &platform, hours, now())
        })
        .await?,
    )))
}

async fn revoke_platform_keys(
    State(issuer): State<Arc<Issuer>>,
    Admin(actor, _): Admin,
    Path(platform): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let revoke: RevokePlatformKey = optional_json(&body)?;
    let revoked = blocking(&issuer, move |i| {
        i.revoke_platform_keys(actor, &platform, revoke.key_id, now())
    })
    .await?;
    Ok(json(&Revoked { revoked }))
}

async fn admin_tokens(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Query(paging): Query<PageParams>,
) -> ApiResult<Response> {
    let page = paging.request()?;
    Ok(json(
        &blocking(&issuer, move |i| i.admin_tokens(&page)).await?,
    ))
}

async fn revoke_admin_token(
    State(issuer): State<Arc<Issuer>>,
    Admin(actor, _): Admin,
    Path(PathId(token)): Path<PathId>,
) -> ApiResult<Response> {
    let sessions = blocking(&issuer, move |i| i.revoke_admin_token(actor, token, now())).await?;
    Ok(json(&serde_json::json!({ "sessions_ended": sessions })))
}

#[derive(serde::Deserialize)]
struct SessionQuery {
    /// Only this rider's sessions.
    rider: Option<String>,
    /// Only the dashboard sessions of this admin token.
    admin_token: Option<u64>,
}

fn rider_id(text: &str) -> ApiResult<RiderId> {
    text.parse().map_err(|e: xiaoge_pass::FormatError| {
        ApiError::from(IssuerError::Invalid(format!("rider id {text:?}: {e}")))
    })
}

async fn sessions(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Query(query): Query<SessionQuery>,
    Query(paging): Query<PageParams>,
) -> ApiResult<Response> {
    let rider = query.rider.as_deref().map(rider_id).transpose()?;
    let page = paging.request()?;
    Ok(json(
        &blocking(&issuer, move |i| {
            i.live_sessions(rider.as_ref(), query.admin_token, now(), &page)
        })
        .await?,
    ))
}

async fn end_session(
    State(issuer): State<Arc<Issuer>>,
    Admin(actor, _): Admin,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    blocking(&issuer, move |i| i.end_session_by_id(actor, &id, now())).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn end_rider_sessions(
    State(issuer): State<Arc<Issuer>>,
    Admin(actor, _): Admin,
    Path(rider): Path<String>,
) -> ApiResult<Response> {
    let rider = rider_id(&rider)?;
    let ended = blocking(&issuer, move |i| i.end_rider_sessions(actor, &rider, now())).await?;
    Ok(json(&serde_json::json!({ "sessions_ended": ended })))
}

#[derive(serde::Deserialize)]
struct AuditQuery {
    /// Only actions at or after this Unix time.
    #[serde(default)]
    since: i64,
}

async fn audit(
    State(issuer): State<Arc<Issuer>>,
    _: Admin,
    Query(query): Query<AuditQuery>,
    Query(paging): Query<PageParams>,
) -> ApiResult<Response> {
    let page = paging.request()?;
    Ok(json(
        &blocking(&issuer, move |i| i.audit_log(UnixTime(query.since), &page)).await?,
    ))
}
