//! The issuer's web pages, rendered on the server: the rider's code page, the place-code page
//! with its building guide, help requests, and the regulator's dashboard. Every script, style
//! and chart comes from this process; nothing is fetched from elsewhere.
//!
//! Pages are maud templates, so whatever text reaches a page is escaped by its type; markup
//! goes in unescaped only where a `PreEscaped` says why it is safe. Pages share the JSON
//! API's services and cookies; their errors are pages too (Chinese first), never JSON.

mod charts;
mod dashboard;
mod html;
mod place;
mod rider;
pub mod text;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::de::DeserializeOwned;

use crate::service::Issuer;
use text::Lang;

/// Every page the issuer serves, as (method, path), for the README and the tests.
pub const PAGES: &[(&str, &str)] = &[
    ("GET", "/r/login"),
    ("POST", "/r/login"),
    ("GET", "/r"),
    ("GET", "/r/code"),
    ("GET", "/r/help"),
    ("POST", "/r/help"),
    ("POST", "/r/logout"),
    ("GET", "/s/{site_id}"),
    ("GET", "/admin"),
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),
    ("POST", "/admin/logout"),
    ("POST", "/admin/help/{help_id}/close"),
    ("GET", "/assets/{file}"),
];

pub(super) fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .merge(rider::routes())
        .merge(place::routes())
        .merge(dashboard::routes())
        .route("/assets/{file}", get(asset))
        .layer(middleware::from_fn(guard))
}

/// What every page may load: only this origin's own styles, scripts and images (QR codes and
/// charts are inline SVG, which needs no source), no frames around it, forms only to itself.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Refuses forms posted from another site, then marks every answer so that it cannot be
/// framed, sniffed into another type, or leak its URL (a login link's token) to another site
/// as a referrer. The policy is `same-origin`, not `no-referrer`: under `no-referrer` a
/// browser sends `Origin: null` even for this site's own forms.
///
/// The cookies are `SameSite=Strict` already; the Origin check stands on its own so that a
/// browser or webview that ignores SameSite still cannot be made to log in, log out or close
/// a help request from another site.
async fn guard(request: Request, next: Next) -> Response {
    let mut response = if request.method() == Method::POST && cross_site(request.headers()) {
        let lang = lang(None, request.headers());
        page(
            StatusCode::FORBIDDEN,
            html::error_page(lang, lang.words().cross_site_form),
        )
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
    ] {
        headers.insert(name, value);
    }
    response
}

/// Whether a posted form comes from another site: its `Origin` names another host than the
/// one it was sent to (or is `null`), or, without an `Origin`, the browser says cross-site.
/// A request with neither (not a browser) is left to the cookie's own checks.
fn cross_site(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match text("origin") {
        Some(origin) => {
            let host = origin
                .split_once("://")
                .map(|(_, rest)| rest.trim_end_matches('/'));
            host.is_none() || host != text("host")
        }
        None => text("sec-fetch-site") == Some("cross-site"),
    }
}

/// The pages' language: `?lang=` first, then the browser's, then Chinese.
fn lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::choose(query, accept)
}

/// A page as a response: HTML, never cached (it may hold a code or a session's data).
fn page(status: StatusCode, body: Markup) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.into_string(),
    )
        .into_response()
}

/// A page's query string. A malformed one (`?site=abc`) gets a page saying so, in the
/// browser's language, where axum's own `Query` would answer plain text.
struct PageQuery<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(query)) => Ok(Self(query)),
            Err(e) => Err(malformed(&parts.headers, &e.body_text())),
        }
    }
}

/// A page's posted form, refused with a page like `PageQuery`.
struct PageForm<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let headers = request.headers().clone();
        match Form::<T>::from_request(request, state).await {
            Ok(Form(form)) => Ok(Self(form)),
            Err(e) => Err(malformed(&headers, &e.body_text())),
        }
    }
}

fn malformed(headers: &HeaderMap, detail: &str) -> Response {
    let lang = lang(None, headers);
    let message = format!("{} ({detail})", lang.words().malformed_request);
    page(StatusCode::BAD_REQUEST, html::error_page(lang, &message))
}

/// A redirect after a form or a login (303: the browser follows with GET).
fn see_other(location: &str) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/r"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind): (&'static str, &'static str) = match file.as_str() {
        "site.css" => (
            include_str!("../../../../assets/web/site.css"),
            "text/css; charset=utf-8",
        ),
        "rider.js" => (
            include_str!("../../../../assets/web/rider.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => {
            return page(
                StatusCode::NOT_FOUND,
                html::layout(Lang::Zh, "404", Markup::default(), html! { p { "404" } }),
            );
        }
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}
