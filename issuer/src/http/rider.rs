//! Routes for riders' phones: a login link's token becomes an HttpOnly session cookie, and
//! the session fetches fresh codes.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use xiaoge_pass::SiteId;

use super::{ApiError, ApiResult, blocking, json, now, parse_json};
use crate::model::{NewHelpRequest, SessionRequest};
use crate::service::Issuer;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "xg_session";

pub(super) fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/v1/rider/session", post(start_session).delete(end_session))
        .route("/v1/rider/code", get(code))
        .route("/v1/rider/help", post(ask_for_help))
}

/// The session token from the request's cookie.
pub(super) fn session_token(headers: &HeaderMap) -> ApiResult<String> {
    super::cookie_value(headers, SESSION_COOKIE).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "no rider session: open the login link from your platform's app".into(),
        )
    })
}

/// The `Set-Cookie` value for a rider session (an empty value and `max_age` 0 clear it).
pub(super) fn cookie(issuer: &Issuer, value: &str, max_age: i64) -> HeaderValue {
    super::session_cookie(issuer, SESSION_COOKIE, "/", value, max_age)
}

async fn start_session(State(issuer): State<Arc<Issuer>>, body: Bytes) -> ApiResult<Response> {
    let request: SessionRequest = parse_json(&body).map_err(ApiError::from)?;
    let at = now();
    let (token, info) = blocking(&issuer, move |i| i.start_session(&request.token, at)).await?;
    let set = cookie(&issuer, &token, info.expires_at.since(at));
    Ok(([(header::SET_COOKIE, set)], json(&info)).into_response())
}

async fn end_session(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> ApiResult<Response> {
    let token = session_token(&headers)?;
    blocking(&issuer, move |i| i.end_session(&token)).await?;
    let clear = cookie(&issuer, "", 0);
    Ok(([(header::SET_COOKIE, clear)], StatusCode::NO_CONTENT).into_response())
}

#[derive(Deserialize)]
struct CodeQuery {
    site: Option<u64>,
}

async fn code(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    Query(query): Query<CodeQuery>,
) -> ApiResult<Response> {
    let token = session_token(&headers)?;
    let site = query.site.map(SiteId);
    let code = blocking(&issuer, move |i| i.code_for_session(&token, site, now())).await?;
    let mut response = json(&code);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn ask_for_help(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let token = session_token(&headers)?;
    let request: NewHelpRequest = parse_json(&body).map_err(ApiError::from)?;
    let id = blocking(&issuer, move |i| i.ask_for_help(&token, &request, now())).await?;
    Ok((StatusCode::CREATED, json(&serde_json::json!({ "id": id }))).into_response())
}
