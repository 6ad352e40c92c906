//! The gates' API through the real router: every authorization boundary is tried and refused.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use uuid::Uuid;
use xiaoge_issuer::service::InitOptions;
use xiaoge_issuer::{Issuer, http};
use xiaoge_pass::api::{
    Decision, EnrollRequest, EnrollResponse, Entry, EntryMethod, UploadRequest,
};
use xiaoge_pass::gate_auth::{self, EnrollmentToken};
use xiaoge_pass::{KeyPair, SiteId, UnixTime};

struct Setup {
    _dir: tempfile::TempDir,
    issuer: Arc<Issuer>,
    site: SiteId,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::init(
        &dir.path().join("issuer"),
        &InitOptions::default(),
        http::now(),
    )
    .unwrap();
    let site = issuer.add_site("翠苑一区", http::now()).unwrap();
    Setup {
        _dir: dir,
        issuer: Arc::new(issuer),
        site,
    }
}

async fn call(issuer: &Arc<Issuer>, request: Request<Body>) -> (StatusCode, serde_json::Value) {
    let response = http::router(Arc::clone(issuer))
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json)
}

fn post_json(path: &str, body: &impl serde::Serialize) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// Enrolls a new gate at `site` and returns its id and key.
async fn enrolled_gate(s: &Setup, name: &str) -> (u64, KeyPair) {
    let (_, token) = s.issuer.add_gate(s.site, name, http::now()).unwrap();
    let key = KeyPair::from_seed(rand_seed());
    let (status, body) = call(
        &s.issuer,
        post_json(
            "/v1/gates/enroll",
            &EnrollRequest {
                token,
                public_key: hex::encode(key.public().as_bytes()),
            },
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response: EnrollResponse = serde_json::from_value(body).unwrap();
    assert_eq!(response.site_id, s.site);
    (response.gate_id, key)
}

fn rand_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    seed
}

fn entry(gate: u64, site: SiteId) -> Entry {
    Entry {
        id: Uuid::now_v7(),
        gate_id: gate,
        site_id: site,
        recorded_at: http::now(),
        method: EntryMethod::Scan,
        decision: Decision::Allow,
        reason: None,
        rider: None,
        code_id: Some("0011223344556677".into()),
    }
}

/// A signed upload, with the time and nonce to use.
fn signed_upload(
    gate: u64,
    key: &KeyPair,
    entries: Vec<Entry>,
    time: UnixTime,
    nonce: &str,
) -> Request<Body> {
    let body = serde_json::to_vec(&UploadRequest { entries }).unwrap();
    let path = "/v1/gate/entries";
    let signature = key.sign(&gate_auth::signing_input(
        "POST", path, time.0, nonce, &body,
    ));
    Request::post(path)
        .header("content-type", "application/json")
        .header(gate_auth::GATE_HEADER, gate.to_string())
        .header(gate_auth::TIME_HEADER, time.0.to_string())
        .header(gate_auth::NONCE_HEADER, nonce)
        .header(gate_auth::SIGNATURE_HEADER, hex::encode(signature))
        .body(Body::from(body))
        .unwrap()
}

fn nonce() -> String {
    hex::encode(&rand_seed()[..16])
}

#[tokio::test]
async fn an_enrollment_token_works_once() {
    let s = setup();
    let (_, token) = s.issuer.add_gate(s.site, "东门", http::now()).unwrap();
    let request = |seed| {
        post_json(
            "/v1/gates/enroll",
            &EnrollRequest {
                token: token.clone(),
                public_key: hex::encode(KeyPair::from_seed(seed).public().as_bytes()),
            },
        )
    };
    assert_eq!(call(&s.issuer, request([1; 32])).await.0, StatusCode::OK);
    let (status, body) = call(&s.issuer, request([2; 32])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unknown_token");
}

#[tokio::test]
async fn a_token_for_another_issuer_is_refused() {
    let s = setup();
    let (_, token) = s.issuer.add_gate(s.site, "东门", http::now()).unwrap();
    let mut token: EnrollmentToken = token.parse().unwrap();
    token.root_fingerprint = "00".repeat(16);
    let (status, body) = call(
        &s.issuer,
        post_json(
            "/v1/gates/enroll",
            &EnrollRequest {
                token: token.to_string(),
                public_key: hex::encode(KeyPair::from_seed([1; 32]).public().as_bytes()),
            },
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn an_unsigned_upload_is_refused() {
    let s = setup();
    let (gate, _) = enrolled_gate(&s, "东门").await;
    let (status, body) = call(
        &s.issuer,
        post_json(
            "/v1/gate/entries",
            &UploadRequest {
                entries: vec![entry(gate, s.site)],
            },
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "gate_auth_failed");
    assert!(s.issuer.entries().unwrap().is_empty());
}

#[tokio::test]
async fn a_gate_cannot_sign_as_another() {
    let s = setup();
    let (east, _) = enrolled_gate(&s, "东门").await;
    let (_, west_key) = enrolled_gate(&s, "西门").await;
    let request = signed_upload(
        east,
        &west_key,
        vec![entry(east, s.site)],
        http::now(),
        &nonce(),
    );
    let (status, body) = call(&s.issuer, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(s.issuer.entries().unwrap().is_empty());
}

#[tokio::test]
async fn a_gate_cannot_upload_entries_of_another() {
    let s = setup();
    let (east, _) = enrolled_gate(&s, "东门").await;
    let (west, west_key) = enrolled_gate(&s, "西门").await;
    let request = signed_upload(
        west,
        &west_key,
        vec![entry(east, s.site)],
        http::now(),
        &nonce(),
    );
    let (status, body) = call(&s.issuer, request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(s.issuer.entries().unwrap().is_empty());
}

#[tokio::test]
async fn a_replayed_request_is_refused() {
    let s = setup();
    let (gate, key) = enrolled_gate(&s, "东门").await;
    let entries = vec![entry(gate, s.site)];
    let (now, once) = (http::now(), nonce());
    let first = call(
        &s.issuer,
        signed_upload(gate, &key, entries.clone(), now, &once),
    )
    .await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    let (status, body) = call(&s.issuer, signed_upload(gate, &key, entries, now, &once)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("replayed"),
        "{body}"
    );
}

#[tokio::test]
async fn a_request_far_from_the_issuers_clock_is_refused() {
    let s = setup();
    let (gate, key) = enrolled_gate(&s, "东门").await;
    let old = http::now().plus(-gate_auth::MAX_REQUEST_AGE - 60);
    let (status, _) = call(
        &s.issuer,
        signed_upload(gate, &key, vec![entry(gate, s.site)], old, &nonce()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_entry_uploaded_twice_is_stored_once() {
    let s = setup();
    let (gate, key) = enrolled_gate(&s, "东门").await;
    let entries = vec![entry(gate, s.site), entry(gate, s.site)];
    let (_, first) = call(
        &s.issuer,
        signed_upload(gate, &key, entries.clone(), http::now(), &nonce()),
    )
    .await;
    assert_eq!(first["results"][0]["outcome"], "stored");
    assert_eq!(first["results"][1]["outcome"], "stored");
    let (_, second) = call(
        &s.issuer,
        signed_upload(gate, &key, entries, http::now(), &nonce()),
    )
    .await;
    assert_eq!(second["results"][0]["outcome"], "duplicate");
    assert_eq!(second["results"][1]["outcome"], "duplicate");
    assert_eq!(s.issuer.entries().unwrap().len(), 2);
}

#[tokio::test]
async fn an_unchanged_list_costs_a_304() {
    let s = setup();
    for path in ["/v1/trust-list", "/v1/status-list"] {
        let response = http::router(Arc::clone(&s.issuer))
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/cose");
        let etag = response.headers()["etag"].clone();
        let again = http::router(Arc::clone(&s.issuer))
            .oneshot(
                Request::get(path)
                    .header("if-none-match", etag)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
}

#[tokio::test]
async fn bad_json_gets_a_json_error() {
    let s = setup();
    let request = Request::post("/v1/gates/enroll")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let (status, body) = call(&s.issuer, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_json");
}
