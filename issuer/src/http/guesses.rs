//! The guess throttle at the edge: which requests present a secret, from which address, and
//! the middleware that asks [`Issuer::guess_allowed`] before them and tells
//! [`Issuer::guess_failed`] after an answer that refused one.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, blocking, now};
use crate::service::{Issuer, Secret};

/// What the server knows of the network in front of it.
#[derive(Clone, Debug, Default)]
pub struct Edge {
    /// Reverse proxies whose `X-Forwarded-For` names the real caller: a request from one of
    /// them is counted against the last address the header names, not the proxy's.
    pub trusted_proxies: Vec<IpAddr>,
}

/// Marks an answer that refused a presented secret as unknown.
#[derive(Clone, Copy, Debug)]
struct SecretRefused(Secret);

/// `response`, marked as refusing an unknown `secret` if there is one.
pub(super) fn mark_refused(mut response: Response, secret: Option<Secret>) -> Response {
    if let Some(secret) = secret {
        response.extensions_mut().insert(SecretRefused(secret));
    }
    response
}

/// The kind of secret a request to `path` presents, if it presents one.
fn presented(method: &Method, path: &str) -> Option<Secret> {
    let post = method == Method::POST;
    if path.starts_with("/v1/admin/") || path == "/v1/stats" || (post && path == "/admin/login") {
        Some(Secret::AdminToken)
    } else if path.starts_with("/v1/platform/") {
        Some(Secret::PlatformKey)
    } else if post && path == "/v1/gates/enroll" {
        Some(Secret::EnrollmentToken)
    } else if post && (path == "/v1/rider/session" || path == "/r/login") {
        Some(Secret::LoginLink)
    } else {
        None
    }
}

/// The caller's address: the peer's, or behind a trusted proxy the last one it forwarded.
fn source(peer: Option<IpAddr>, headers: &HeaderMap, edge: &Edge) -> IpAddr {
    // Without a socket (a test calling the router directly) every caller is one source.
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !edge.trusted_proxies.contains(&peer) {
        return peer;
    }
    // Only the last entry is the proxy's own; anything before it the caller wrote.
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|a| a.trim().parse::<IpAddr>().ok())
        .unwrap_or(peer)
}

/// Refuses a throttled address before its request does any work, and counts the refusals.
pub(super) async fn throttle_guesses(
    State((issuer, edge)): State<(Arc<Issuer>, Arc<Edge>)>,
    request: Request,
    next: Next,
) -> Response {
    let Some(secret) = presented(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let source = source(peer, request.headers(), &edge);
    if let Err(e) = issuer.guess_allowed(secret, source, now()) {
        return ApiError::from(e).into_response();
    }
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if let Some(&SecretRefused(refused)) = response.extensions().get::<SecretRefused>() {
        let counted = blocking(&issuer, move |i| {
            i.guess_failed(refused, source, &path, now())
        })
        .await;
        if let Err(e) = counted {
            tracing::warn!(error = e.message(), "counting an unknown secret failed");
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn only_requests_that_present_a_secret_are_throttled() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(presented(&get, "/v1/admin/sites"), Some(Secret::AdminToken));
        assert_eq!(presented(&post, "/admin/login"), Some(Secret::AdminToken));
        assert_eq!(presented(&get, "/admin/login"), None);
        assert_eq!(
            presented(&get, "/admin"),
            None,
            "a session cookie, not a secret"
        );
        assert_eq!(
            presented(&post, "/v1/platform/riders"),
            Some(Secret::PlatformKey)
        );
        assert_eq!(
            presented(&post, "/v1/gates/enroll"),
            Some(Secret::EnrollmentToken)
        );
        assert_eq!(presented(&post, "/r/login"), Some(Secret::LoginLink));
        assert_eq!(presented(&get, "/v1/gate/site-bundle"), None);
        assert_eq!(presented(&get, "/v1/rider/code"), None);
    }

    #[test]
    fn a_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.1.1.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.append(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 5.6.7.8"),
        );
        let trusting = Edge {
            trusted_proxies: vec![proxy],
        };
        assert_eq!(
            source(Some(proxy), &headers, &trusting),
            "5.6.7.8".parse::<IpAddr>().unwrap(),
            "the proxy appends the address it saw: the last one"
        );
        assert_eq!(
            source(Some(proxy), &headers, &Edge::default()),
            proxy,
            "an untrusted peer cannot choose its own address"
        );
        let other: IpAddr = "9.9.9.9".parse().unwrap();
        assert_eq!(source(Some(other), &headers, &trusting), other);
    }
}
