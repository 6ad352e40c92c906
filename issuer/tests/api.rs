//! The issuer's API, called through its router: every authorization boundary is tried and
//! refused, and every route answers. Requests go to the router directly (`oneshot`, no
//! socket); only a test about what a real connection carries serves on loopback.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;
use xiaoge_issuer::http::{self, Background, ROUTES};
use xiaoge_issuer::model::{Actor, HelpCategory, NewHelpRequest, SiteInput, SiteKind};
use xiaoge_issuer::paging::{self, PageRequest};
use xiaoge_issuer::service::InitOptions;
use xiaoge_issuer::{Issuer, IssuerError};
use xiaoge_pass::api::{Decision, Entry, EntryMethod};
use xiaoge_pass::gate_auth::{self, EnrollmentToken};
use xiaoge_pass::{
    KeyPair, RiderId, RiderStatus, SiteBundle, SiteId, StatusBits, StatusList, TrustList, UnixTime,
};

/// The `Host` a direct request names, as a browser would name the server it reached.
const HOST: &str = "issuer.test";
/// The peer a direct request comes from, as the accept loop would record it.
const PEER: ([u8; 4], u16) = ([127, 0, 0, 1], 40_000);

/// An issuer in a temporary directory, and the way its requests reach it.
struct Api {
    _dir: tempfile::TempDir,
    issuer: Arc<Issuer>,
    transport: Transport,
}

/// How requests reach the issuer.
enum Transport {
    /// The router called in-process on a runtime of the test's own.
    Direct {
        router: axum::Router,
        runtime: tokio::runtime::Runtime,
    },
    /// A real server on an ephemeral loopback port.
    Socket {
        server: Background,
        agent: ureq::Agent,
    },
}

/// An answer: status, headers and body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

impl Api {
    /// An issuer whose router is called directly.
    fn new() -> Self {
        let (dir, issuer) = Self::issuer();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let router = http::router(Arc::clone(&issuer));
        Self {
            _dir: dir,
            issuer,
            transport: Transport::Direct { router, runtime },
        }
    }

    /// An issuer served on loopback, for what only a real connection shows.
    fn served() -> Self {
        let (dir, issuer) = Self::issuer();
        let server = Background::start(&issuer, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
        // Redirects are what the pages answer; the tests look at them, not past them.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .new_agent();
        Self {
            _dir: dir,
            issuer,
            transport: Transport::Socket { server, agent },
        }
    }

    fn issuer() -> (tempfile::TempDir, Arc<Issuer>) {
        let dir = tempfile::tempdir().unwrap();
        let issuer = Arc::new(
            Issuer::init(
                &dir.path().join("issuer"),
                &InitOptions::default(),
                http::now(),
            )
            .unwrap(),
        );
        (dir, issuer)
    }

    /// The host requests are addressed to, as their `Host` header names it.
    fn host(&self) -> String {
        match &self.transport {
            Transport::Direct { .. } => HOST.to_owned(),
            Transport::Socket { server, .. } => server.addr().to_string(),
        }
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<Value>,
    ) -> Answer {
        match body {
            Some(body) => {
                let mut all = headers.to_vec();
                all.push(("content-type", "application/json".to_owned()));
                self.send(method, path, &all, serde_json::to_vec(&body).unwrap())
            }
            None => self.send(method, path, headers, Vec::new()),
        }
    }

    /// Sends one request with `body` (none when empty) and reads the whole answer.
    fn send(&self, method: &str, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> Answer {
        match &self.transport {
            Transport::Direct { router, runtime } => {
                let mut request = axum::http::Request::builder().method(method).uri(path);
                if !headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case("host"))
                {
                    request = request.header("host", HOST);
                }
                for (name, value) in headers {
                    request = request.header(*name, value);
                }
                let mut request = request.body(Body::from(body)).unwrap();
                request
                    .extensions_mut()
                    .insert(ConnectInfo(SocketAddr::from(PEER)));
                runtime.block_on(async {
                    let response = router.clone().oneshot(request).await.unwrap();
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                        .await
                        .unwrap();
                    Answer {
                        status,
                        headers,
                        body: body.to_vec(),
                    }
                })
            }
            Transport::Socket { server, agent } => {
                let mut request = ureq::http::Request::builder()
                    .method(method)
                    .uri(format!("{}{path}", server.url()));
                for (name, value) in headers {
                    request = request.header(*name, value);
                }
                let response = if body.is_empty() {
                    agent.run(request.body(()).unwrap())
                } else {
                    agent.run(request.body(body).unwrap())
                };
                let mut response = response.unwrap();
                Answer {
                    status: response.status().as_u16(),
                    headers: response.headers().clone(),
                    body: response.body_mut().read_to_vec().unwrap(),
                }
            }
        }
    }

    fn site(&self, name: &str) -> SiteId {
        let input = SiteInput::named(name, SiteKind::Residential);
        self.issuer.add_site(&input, http::now()).unwrap()
    }

    fn platform(&self, name: &str) -> String {
        self.issuer.add_platform(name, http::now()).unwrap().1
    }

    fn enrolled_gate(&self, site: SiteId, name: &str) -> (u64, KeyPair) {
        let (_, token) = self.issuer.add_gate(site, name, http::now()).unwrap();
        let key = KeyPair::from_seed(seed());
        let answer = self.call(
            "POST",
            "/v1/gates/enroll",
            &[],
            Some(json!({"token": token, "public_key": hex::encode(key.public().as_bytes())})),
        );
        assert_eq!(answer.status, 200, "{:?}", answer.json());
        (answer.json()["gate_id"].as_u64().unwrap(), key)
    }
}

fn seed() -> [u8; 32] {
    let mut s = [0u8; 32];
    getrandom::fill(&mut s).unwrap();
    s
}

fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

/// The signature headers for a gate request.
fn signed(
    gate: u64,
    key: &KeyPair,
    method: &str,
    path: &str,
    body: &[u8],
    time: UnixTime,
    nonce: &str,
) -> Vec<(&'static str, String)> {
    let input = gate_auth::signing_input(method, path, time.0, nonce, body);
    vec![
        (gate_auth::GATE_HEADER, gate.to_string()),
        (gate_auth::TIME_HEADER, time.0.to_string()),
        (gate_auth::NONCE_HEADER, nonce.to_owned()),
        (gate_auth::SIGNATURE_HEADER, hex::encode(key.sign(&input))),
    ]
}

fn nonce() -> String {
    hex::encode(&seed()[..16])
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
        code_id: None,
        trusted_at: None,
        manual: None,
        overrides: None,
    }
}

/// Uploads `entries` signed as `gate` with `key`, at `time` with `nonce`.
fn upload(
    api: &Api,
    gate: u64,
    key: &KeyPair,
    entries: &[Entry],
    time: UnixTime,
    nonce: &str,
) -> Answer {
    let body = json!({ "entries": entries });
    let bytes = serde_json::to_vec(&body).unwrap();
    let headers = signed(gate, key, "POST", "/v1/gate/entries", &bytes, time, nonce);
    api.call("POST", "/v1/gate/entries", &headers, Some(body))
}

/// Today in China Standard Time, `YYYY-MM-DD`.
fn today() -> String {
    chrono::DateTime::from_timestamp(http::now().0 + 8 * 3600, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn every_route_is_served() {
    let api = Api::new();
    for (method, path) in ROUTES {
        let concrete = path
            .replace("{platform_rider_id}", "nobody")
            .replace("{site_id}", "1")
            .replace("{rider_id}", "R1")
            .replace("{help_id}", "1")
            .replace("{gate_id}", "1")
            .replace("{platform}", "1")
            .replace("{token_id}", "1")
            .replace("{session_id}", "0123456789abcdef");
        let answer = api.call(method, &concrete, &[], None);
        let fell_through =
            answer.status == 404 && answer.json()["error"]["message"] == "no such endpoint";
        assert!(
            !fell_through && answer.status != 405,
            "{method} {path} is not routed: {}",
            answer.status
        );
    }
    let openapi = api.call("GET", "/v1/openapi.json", &[], None);
    assert_eq!(openapi.json()["openapi"], "3.1.0");
}

#[test]
fn admin_routes_need_an_admin_token() {
    let mut api = Api::new();
    let mut platform_key = api.platform("美团");
    let admin_routes = ROUTES
        .iter()
        .filter(|(_, p)| p.starts_with("/v1/admin") || *p == "/v1/stats");
    for (n, (method, path)) in admin_routes.enumerate() {
        // Each route presents two unknown secrets; a fresh issuer every few routes keeps
        // loopback under the guess throttle, which has its own test.
        if n % 4 == 3 {
            api = Api::new();
            platform_key = api.platform("美团");
        }
        let path = path
            .replace("{site_id}", "1")
            .replace("{rider_id}", "R1")
            .replace("{help_id}", "1")
            .replace("{gate_id}", "1")
            .replace("{platform}", "1")
            .replace("{token_id}", "1")
            .replace("{session_id}", "0123456789abcdef");
        for headers in [vec![], bearer("xga_not-a-token"), bearer(&platform_key)] {
            let answer = api.call(method, &path, &headers, Some(json!({})));
            assert_eq!(answer.status, 401, "{method} {path} with {headers:?}");
            assert_eq!(answer.code(), "unauthorized");
        }
    }
    let token = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let stats = api.call("GET", "/v1/stats", &bearer(&token), None);
    assert_eq!(stats.status, 200);
    assert!(stats.json()["targets"].is_array());
}

#[test]
fn a_platform_sees_and_changes_only_its_own_riders() {
    let api = Api::new();
    let meituan = api.platform("美团");
    let eleme = api.platform("饿了么");
    for headers in [vec![], bearer("xgp_wrong")] {
        let answer = api.call(
            "POST",
            "/v1/platform/riders",
            &headers,
            Some(json!({"riders": []})),
        );
        assert_eq!(answer.status, 401, "{headers:?}");
    }
    let roster =
        json!({"riders": [{"platform_rider_id": "mt-1", "name": "黄小明", "status": "active"}]});
    let created = api.call(
        "POST",
        "/v1/platform/riders",
        &bearer(&meituan),
        Some(roster),
    );
    assert_eq!(created.status, 200, "{:?}", created.json());
    assert_eq!(created.json()["results"][0]["created"], true);

    // 饿了么 cannot see, suspend, or log in 美团's rider, even by the same platform rider id.
    let peek = api.call("GET", "/v1/platform/riders/mt-1", &bearer(&eleme), None);
    assert_eq!(peek.status, 404);
    let suspend = api.call(
        "PUT",
        "/v1/platform/riders/mt-1/status",
        &bearer(&eleme),
        Some(json!({"status": "suspended"})),
    );
    assert_eq!(suspend.status, 404);
    let link = api.call(
        "POST",
        "/v1/platform/riders/mt-1/login-link",
        &bearer(&eleme),
        None,
    );
    assert_eq!(link.status, 404);
    let own = api.call("GET", "/v1/platform/riders/mt-1", &bearer(&meituan), None);
    assert_eq!(own.json()["status"], "active");
    assert_eq!(own.json()["name"], "黄**");

    // Entries of 美团's rider show in 美团's conduct report and never in 饿了么's.
    let site = api.site("翠苑一区");
    let (gate, key) = api.enrolled_gate(site, "东门");
    let rider_id = own.json()["rider_id"].as_str().unwrap().to_owned();
    let mut seen = entry(gate, site);
    seen.rider = Some(rider_id.parse().unwrap());
    seen.decision = Decision::Deny;
    seen.reason = Some("expired".into());
    assert_eq!(
        upload(&api, gate, &key, &[seen], http::now(), &nonce()).status,
        200
    );
    let day = today();
    let range = format!("/v1/platform/conduct?from={day}&to={day}");
    let mine = api.call("GET", &range, &bearer(&meituan), None).json();
    assert_eq!(mine[0]["platform_rider_id"], "mt-1");
    assert_eq!(
        (mine[0]["entries"].as_u64(), mine[0]["denials"].as_u64()),
        (Some(1), Some(1))
    );
    let theirs = api.call("GET", &range, &bearer(&eleme), None);
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.json(), json!([]));
}

#[test]
fn a_roster_batch_is_all_or_nothing_with_every_bad_row_reported() {
    let api = Api::new();
    let key = api.platform("美团");
    let batch = json!({"riders": [
        {"platform_rider_id": "mt-1", "name": "黄小明", "status": "active"},
        {"platform_rider_id": "mt-2", "name": "   ", "status": "active"},
        {"platform_rider_id": "mt-1", "name": "黄小明", "status": "active"},
        {"platform_rider_id": "mt-3", "name": "李大伟", "status": "suspended"}
    ]});
    let answer = api.call("POST", "/v1/platform/riders", &bearer(&key), Some(batch));
    assert_eq!(answer.status, 422);
    assert_eq!(answer.code(), "roster_rejected");
    let rows = answer.json()["rows"].clone();
    assert_eq!(rows[0]["index"], 1);
    assert_eq!(rows[0]["code"], "invalid_name");
    assert_eq!(rows[1]["index"], 2);
    assert_eq!(rows[1]["code"], "duplicate_in_batch");
    assert_eq!(
        paging::every(|p| api.issuer.platforms(p)).unwrap()[0].riders,
        0,
        "nothing was applied"
    );
}

#[test]
fn a_login_link_works_once_and_not_after_it_expires() {
    let api = Api::new();
    let key = api.platform("美团");
    let roster =
        json!({"riders": [{"platform_rider_id": "mt-1", "name": "黄小明", "status": "active"}]});
    let rider_id = api
        .call("POST", "/v1/platform/riders", &bearer(&key), Some(roster))
        .json()["results"][0]["rider_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = api
        .call(
            "POST",
            "/v1/platform/riders/mt-1/login-link",
            &bearer(&key),
            None,
        )
        .json();
    let token = link["token"].as_str().unwrap().to_owned();
    assert!(link["url"].as_str().unwrap().ends_with(&token));

    let session = api.call(
        "POST",
        "/v1/rider/session",
        &[],
        Some(json!({"token": token})),
    );
    assert_eq!(session.status, 200, "{:?}", session.json());
    let cookie = session.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let again = api.call(
        "POST",
        "/v1/rider/session",
        &[],
        Some(json!({"token": token})),
    );
    assert_eq!(again.status, 401, "a login link works once");

    // A link made eleven minutes ago has expired.
    let old = api
        .issuer
        .login_link_for(&rider_id.parse().unwrap(), http::now().plus(-660))
        .unwrap();
    let expired = api.call(
        "POST",
        "/v1/rider/session",
        &[],
        Some(json!({"token": old.token})),
    );
    assert_eq!(expired.status, 401);
    assert_eq!(expired.code(), "unauthorized");

    // With the cookie, codes; without it or with a forged one, nothing.
    let session_cookie = cookie.split(';').next().unwrap().to_owned();
    let code = api.call(
        "GET",
        "/v1/rider/code",
        &[("cookie", session_cookie.clone())],
        None,
    );
    assert_eq!(code.status, 200);
    assert!(code.json()["code"].as_str().unwrap().starts_with("XG1:"));
    assert_eq!(code.json()["refresh_after"], 30);
    for headers in [vec![], vec![("cookie", "xg_session=xgs_forged".to_owned())]] {
        assert_eq!(
            api.call("GET", "/v1/rider/code", &headers, None).status,
            401
        );
    }

    // A suspended rider's session gets no code.
    let suspended = api.call(
        "PUT",
        "/v1/platform/riders/mt-1/status",
        &bearer(&key),
        Some(json!({"status": "suspended"})),
    );
    assert_eq!(suspended.json()["status"], "suspended");
    let refused = api.call("GET", "/v1/rider/code", &[("cookie", session_cookie)], None);
    assert_eq!(refused.status, 403);
    assert_eq!(refused.code(), "rider_not_valid");
}

#[test]
fn a_rider_fetching_codes_too_fast_is_slowed_down() {
    let api = Api::new();
    api.platform("美团");
    let rider = api
        .issuer
        .add_rider("美团", "mt-1", "黄小明", http::now())
        .unwrap();
    let link = api.issuer.login_link_for(&rider.id, http::now()).unwrap();
    let session = api.call(
        "POST",
        "/v1/rider/session",
        &[],
        Some(json!({"token": link.token})),
    );
    let cookie = session.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let statuses: Vec<u16> = (0..10)
        .map(|_| {
            api.call("GET", "/v1/rider/code", &[("cookie", cookie.clone())], None)
                .status
        })
        .collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let limited = api.call("GET", "/v1/rider/code", &[("cookie", cookie)], None);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.code(), "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
}

#[test]
fn an_enrollment_token_works_once_and_only_for_this_issuer() {
    let api = Api::new();
    let site = api.site("翠苑一区");
    let (_, token) = api.issuer.add_gate(site, "东门", http::now()).unwrap();
    let enroll = |token: &str| {
        let key = KeyPair::from_seed(seed());
        api.call(
            "POST",
            "/v1/gates/enroll",
            &[],
            Some(json!({"token": token, "public_key": hex::encode(key.public().as_bytes())})),
        )
    };
    let mut foreign: EnrollmentToken = token.parse().unwrap();
    foreign.root_fingerprint = "00".repeat(16);
    assert_eq!(
        enroll(&foreign.to_string()).status,
        401,
        "a token for another issuer"
    );
    assert_eq!(enroll(&token).status, 200);
    let twice = enroll(&token);
    assert_eq!(twice.status, 401);
    assert_eq!(twice.code(), "unknown_token");
}

#[test]
fn a_gate_cannot_act_as_another_nor_replay_a_request() {
    let api = Api::new();
    let site = api.site("翠苑一区");
    let (east, east_key) = api.enrolled_gate(site, "东门");
    let (west, west_key) = api.enrolled_gate(site, "西门");
    let now = http::now();

    let unsigned = api.call(
        "POST",
        "/v1/gate/entries",
        &[],
        Some(json!({"entries": [entry(east, site)]})),
    );
    assert_eq!(unsigned.status, 401);
    assert_eq!(unsigned.code(), "gate_auth_failed");

    let impostor = upload(&api, east, &west_key, &[entry(east, site)], now, &nonce());
    assert_eq!(impostor.status, 401, "west's key cannot sign as east");
    let smuggled = upload(&api, west, &west_key, &[entry(east, site)], now, &nonce());
    assert_eq!(smuggled.status, 422, "west cannot upload east's entries");
    let stale = upload(
        &api,
        east,
        &east_key,
        &[entry(east, site)],
        now.plus(-400),
        &nonce(),
    );
    assert_eq!(stale.status, 401, "a request from 400 s ago");
    assert!(api.issuer.entries().unwrap().is_empty());

    let once = nonce();
    let entries = [entry(east, site), entry(east, site)];
    let first = upload(&api, east, &east_key, &entries, now, &once);
    assert_eq!(first.status, 200);
    assert_eq!(first.json()["results"][0]["outcome"], "stored");
    let replay = upload(&api, east, &east_key, &entries, now, &once);
    assert_eq!(replay.status, 401, "the same signed request again");
    assert!(
        replay.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("replayed")
    );
    let retry = upload(&api, east, &east_key, &entries, now, &nonce());
    assert_eq!(
        retry.json()["results"][1]["outcome"],
        "duplicate",
        "a retried upload stores nothing twice"
    );
    assert_eq!(api.issuer.entries().unwrap().len(), 2);
}

#[test]
fn a_gate_request_with_a_malformed_header_is_told_which_and_why() {
    let api = Api::new();
    let site = api.site("翠苑一区");
    let (gate, key) = api.enrolled_gate(site, "东门");
    let mut headers = signed(
        gate,
        &key,
        "GET",
        "/v1/gate/time",
        &[],
        http::now(),
        &nonce(),
    );
    headers[2].1 = "NOT-A-NONCE".to_owned();
    let answer = api.call("GET", "/v1/gate/time", &headers, None);
    assert_eq!(answer.status, 401);
    assert_eq!(answer.code(), "gate_auth_failed");
    assert_eq!(
        answer.json()["error"]["message"],
        "gate request refused: header x-xg-nonce is \"NOT-A-NONCE\": expected 32 lowercase \
         hexadecimal digits"
    );
}

#[test]
fn a_gate_gets_its_own_sites_bans_in_a_signed_bundle_with_etags() {
    let api = Api::new();
    api.platform("美团");
    let home = api.site("翠苑一区");
    let other = api.site("西溪花园");
    let (gate, key) = api.enrolled_gate(home, "东门");
    let banned_here = api
        .issuer
        .add_rider("美团", "mt-1", "黄小明", http::now())
        .unwrap();
    let banned_there = api
        .issuer
        .add_rider("美团", "mt-2", "李大伟", http::now())
        .unwrap();
    api.issuer
        .ban(home, &banned_here.id, "超速", http::now())
        .unwrap();
    api.issuer
        .ban(other, &banned_there.id, "超速", http::now())
        .unwrap();

    let fetch = |etag: Option<&str>| {
        let mut headers = signed(
            gate,
            &key,
            "GET",
            "/v1/gate/site-bundle",
            &[],
            http::now(),
            &nonce(),
        );
        if let Some(etag) = etag {
            headers.push(("if-none-match", etag.to_owned()));
        }
        api.call("GET", "/v1/gate/site-bundle", &headers, None)
    };
    assert_eq!(
        api.call("GET", "/v1/gate/site-bundle", &[], None).status,
        401
    );
    let first = fetch(None);
    assert_eq!(first.status, 200);
    let trust_bytes = api.call("GET", "/v1/trust-list", &[], None).body;
    let trust = TrustList::open(&trust_bytes, &api.issuer.root_public()).unwrap();
    let bundle = SiteBundle::open(&first.body, &trust).unwrap();
    assert_eq!(bundle.site, home);
    assert_eq!(bundle.banned, vec![banned_here.id.clone()]);

    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(fetch(Some(&etag)).status, 304, "unchanged bans cost a 304");
    api.issuer.unban(home, &banned_here.id).unwrap();
    let changed = fetch(Some(&etag));
    assert_eq!(changed.status, 200);
    assert!(
        SiteBundle::open(&changed.body, &trust)
            .unwrap()
            .banned
            .is_empty()
    );

    for path in ["/v1/trust-list", "/v1/status-list"] {
        let first = api.call("GET", path, &[], None);
        assert_eq!(first.headers["content-type"], "application/cose");
        let etag = first.headers["etag"].to_str().unwrap().to_owned();
        assert_eq!(
            api.call("GET", path, &[("if-none-match", etag)], None)
                .status,
            304,
            "{path}"
        );
    }
}

#[test]
fn a_bundle_carries_the_sites_buildings_and_the_platforms_and_is_resigned_when_they_change() {
    let api = Api::new();
    api.platform("美团");
    let home = api.site("翠苑一区");
    let (gate, key) = api.enrolled_gate(home, "东门");
    let fetch = |etag: Option<&str>| {
        let mut headers = signed(
            gate,
            &key,
            "GET",
            "/v1/gate/site-bundle",
            &[],
            http::now(),
            &nonce(),
        );
        if let Some(etag) = etag {
            headers.push(("if-none-match", etag.to_owned()));
        }
        api.call("GET", "/v1/gate/site-bundle", &headers, None)
    };
    let trust_bytes = api.call("GET", "/v1/trust-list", &[], None).body;
    let trust = TrustList::open(&trust_bytes, &api.issuer.root_public()).unwrap();
    let open = |answer: &Answer| SiteBundle::open(&answer.body, &trust).unwrap();
    let etag = |answer: &Answer| answer.headers["etag"].to_str().unwrap().to_owned();

    let first = fetch(None);
    let bundle = open(&first);
    assert!(bundle.buildings.is_empty(), "a site without a guide");
    assert_eq!(bundle.platforms, ["美团"]);

    let building = |name: &str, x| xiaoge_issuer::model::Building {
        name: name.into(),
        x,
        y: 0.0,
    };
    let mut input = SiteInput::named("翠苑一区", SiteKind::Residential);
    input.buildings = vec![building("15幢", 40.0), building("3幢", 10.0)];
    api.issuer.update_site(home, &input).unwrap();
    let guided = fetch(Some(&etag(&first)));
    assert_eq!(guided.status, 200, "a new guide is a new bundle");
    assert_eq!(
        open(&guided).buildings,
        ["15幢", "3幢"],
        "in the guide's order"
    );
    assert_eq!(fetch(Some(&etag(&guided))).status, 304);

    input.buildings.swap(0, 1);
    api.issuer.update_site(home, &input).unwrap();
    let reordered = fetch(Some(&etag(&guided)));
    assert_eq!(reordered.status, 200, "a reordered guide is a new bundle");
    assert_eq!(open(&reordered).buildings, ["3幢", "15幢"]);

    api.platform("饿了么");
    let more = fetch(Some(&etag(&reordered)));
    assert_eq!(more.status, 200, "a new platform is a new bundle");
    assert_eq!(
        open(&more).platforms,
        ["美团", "饿了么"],
        "in the order added"
    );
    assert_eq!(fetch(Some(&etag(&more))).status, 304);
}

#[test]
fn a_rotated_key_is_announced_before_it_signs_and_kept_until_its_codes_expire() {
    let api = Api::new();
    api.platform("美团");
    let rider = api
        .issuer
        .add_rider("美团", "mt-1", "黄小明", http::now())
        .unwrap();
    let now = http::now();
    let first_key = api.issuer.keys(now).unwrap()[0].kid.clone();
    let new_key = api.issuer.rotate_keys(7, now).unwrap();

    let bytes = api.call("GET", "/v1/trust-list", &[], None).body;
    let list = TrustList::open(&bytes, &api.issuer.root_public()).unwrap();
    let kids: Vec<String> = list.keys.iter().map(|k| k.kid.to_string()).collect();
    assert_eq!(
        kids,
        [first_key.clone(), new_key.kid.clone()],
        "announced a week ahead"
    );

    let signed_by = |at: UnixTime| {
        let (_, text) = api.issuer.mint(&rider.id, None, at).unwrap();
        xiaoge_pass::pass::inspect(&text).unwrap().0.to_string()
    };
    assert_eq!(
        signed_by(now.plus(3600)),
        first_key,
        "the old key signs until the new one starts"
    );
    assert_eq!(
        signed_by(now.plus(8 * 86_400)),
        new_key.kid,
        "the new key signs from its start"
    );
    let states = |at| -> Vec<&str> {
        api.issuer
            .keys(at)
            .unwrap()
            .iter()
            .map(|k| k.state.as_str())
            .collect()
    };
    assert_eq!(states(now), ["signing", "announced"]);
    assert_eq!(states(now.plus(7 * 86_400 + 60)), ["retiring", "signing"]);
    assert_eq!(states(now.plus(9 * 86_400)), ["retired", "signing"]);
}

#[test]
fn every_bad_request_gets_a_json_error() {
    let api = Api::new();
    let token = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let not_a_number = api.call("GET", "/v1/admin/sites/abc", &bearer(&token), None);
    assert_eq!(not_a_number.status, 400);
    assert_eq!(not_a_number.code(), "bad_request");
    let missing_range = api.call(
        "GET",
        "/v1/platform/conduct",
        &bearer(&api.platform("美团")),
        None,
    );
    assert_eq!(missing_range.status, 400);
    assert_eq!(missing_range.code(), "bad_request");
    let wrong_method = api.call("PATCH", "/v1/trust-list", &[], None);
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.code(), "method_not_allowed");
    let huge = json!({"riders": "x".repeat(http::MAX_BODY_BYTES)});
    let too_big = api.call(
        "POST",
        "/v1/platform/riders",
        &bearer(&api.platform("饿了么")),
        Some(huge),
    );
    assert_eq!(too_big.status, 413);
    assert_eq!(too_big.code(), "payload_too_large");
    // The same through the gates' signed-request extractor, which reads the body itself.
    let huge = json!({"entries": "x".repeat(http::MAX_BODY_BYTES)});
    let too_big = api.call("POST", "/v1/gate/entries", &[], Some(huge));
    assert_eq!(too_big.status, 413);
    assert_eq!(too_big.code(), "payload_too_large");
    let not_json = api.call(
        "POST",
        "/v1/admin/sites",
        &bearer(&token),
        Some(json!("a string")),
    );
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.code(), "bad_json");
    for answer in [&not_a_number, &wrong_method, &too_big, &not_json] {
        assert_eq!(answer.headers["connection"], "close");
    }
}

impl Api {
    /// Registers a rider on a new platform and signs them in; returns the session cookie.
    fn signed_in_rider(&self) -> String {
        let key = self.platform("美团");
        let roster = json!({"riders": [{"platform_rider_id": "mt-9", "name": "黄小明", "status": "active"}]});
        let upsert = self.call("POST", "/v1/platform/riders", &bearer(&key), Some(roster));
        assert_eq!(upsert.status, 200, "{:?}", upsert.json());
        let link = self.call(
            "POST",
            "/v1/platform/riders/mt-9/login-link",
            &bearer(&key),
            None,
        );
        let session = self.call(
            "POST",
            "/v1/rider/session",
            &[],
            Some(json!({"token": link.json()["token"]})),
        );
        assert_eq!(session.status, 200, "{:?}", session.json());
        let cookie = session.headers["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    /// Posts an HTML form.
    fn form(&self, path: &str, headers: &[(&str, String)], body: &str) -> Answer {
        let mut all = headers.to_vec();
        all.push((
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ));
        self.send("POST", path, &all, body.as_bytes().to_vec())
    }
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn is_html(&self) -> bool {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    }
}

#[test]
fn help_requests_are_filed_by_a_signed_in_rider_and_closed_once_by_an_admin() {
    let api = Api::new();
    let site = api.site("翠苑一区");
    let cookie = api.signed_in_rider();
    let admin = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let ask = |headers: &[(&str, String)], body: Value| {
        api.call("POST", "/v1/rider/help", headers, Some(body))
    };
    let request = json!({"site": site.0, "category": "refused", "note": "东门不认码"});

    let anonymous = ask(&[], request.clone());
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.code(), "unauthorized");
    let me = [("cookie", cookie.clone())];
    let bad_category = ask(&me, json!({"site": site.0, "category": "angry"}));
    assert_eq!(bad_category.status, 400, "{:?}", bad_category.json());
    let no_site = ask(&me, json!({"site": 999, "category": "other"}));
    assert_eq!(no_site.status, 404, "{:?}", no_site.json());
    let too_long = ask(
        &me,
        json!({"site": site.0, "category": "other", "note": "长".repeat(400)}),
    );
    assert_eq!(too_long.status, 422, "{:?}", too_long.json());
    let list = |open: bool| {
        api.call(
            "GET",
            &format!("/v1/admin/help-requests?open={open}"),
            &bearer(&admin),
            None,
        )
        .json()["items"]
            .clone()
    };
    assert_eq!(
        list(false),
        json!([]),
        "refused requests leave nothing behind"
    );

    let filed = ask(&me, request);
    assert_eq!(filed.status, 201, "{:?}", filed.json());
    let id = filed.json()["id"].as_u64().unwrap();
    let open = list(true);
    assert_eq!(open[0]["id"], id);
    assert_eq!(open[0]["site_name"], "翠苑一区");
    assert_eq!(
        open[0]["rider_name"], "黄**",
        "the dashboard sees the masked name"
    );
    assert_eq!(open[0]["note"], "东门不认码");

    let close = |body: Value| {
        api.call(
            "POST",
            &format!("/v1/admin/help-requests/{id}/close"),
            &bearer(&admin),
            Some(body),
        )
    };
    let empty = close(json!({"resolution": "  "}));
    assert_eq!(empty.status, 422, "a closing needs a resolution");
    let closed = close(json!({"resolution": "已联系物业"}));
    assert_eq!(closed.status, 200, "{:?}", closed.json());
    let twice = close(json!({"resolution": "again"}));
    assert_eq!(twice.status, 409, "{:?}", twice.json());
    assert_eq!(list(true), json!([]));
    assert_eq!(list(false)[0]["resolution"], "已联系物业");
}

#[test]
fn pages_escape_what_people_wrote_and_answer_errors_as_pages() {
    let api = Api::new();
    let site = api.site("<script>alert(1)</script>花园");
    let place = api.call("GET", &format!("/s/{}", site.0), &[], None);
    assert_eq!(place.status, 200);
    assert!(place.is_html());
    assert!(
        place
            .text()
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;花园")
    );
    assert!(!place.text().contains("<script>alert"));

    for (path, status) in [
        ("/s/999", 404),
        ("/s/abc", 404),
        ("/assets/nothing.js", 404),
    ] {
        let answer = api.call("GET", path, &[], None);
        assert_eq!(answer.status, status, "{path}");
        assert!(answer.is_html(), "{path} answers a page, not JSON");
    }
    let cookie = api.signed_in_rider();
    let me = [("cookie", cookie)];
    for (path, status, says) in [
        ("/r?site=abc", 400, "链接或表单有误"),
        ("/r?site=999", 404, "没有这个小区"),
        ("/r/help?site=-1", 400, "链接或表单有误"),
    ] {
        let answer = api.call("GET", path, &me, None);
        assert_eq!(answer.status, status, "{path}");
        assert!(answer.is_html(), "{path} answers a page, not JSON");
        assert!(answer.text().contains(says), "{path}: {}", answer.text());
    }
    let bad_form = api.form("/r/help", &me, "site=1&category=angry&note=x");
    assert_eq!(
        bad_form.status, 422,
        "the form comes back with what was wrong"
    );
    assert!(bad_form.is_html());
    assert!(
        paging::every(|p| api.issuer.help_requests(false, None, p))
            .unwrap()
            .is_empty()
    );

    let signed_out = api.call("GET", "/r", &[], None);
    assert_eq!(signed_out.status, 401);
    assert!(signed_out.is_html());
    assert!(signed_out.text().contains("您已退出登录"));
    let used = api.form("/r/login", &[], "token=xgl_0000&lang=zh");
    assert_eq!(used.status, 401);
    assert!(used.headers.get("set-cookie").is_none());

    // A note with markup is filed as text and shown as text on the dashboard.
    let filed = api.form(
        "/r/help",
        &me,
        &format!(
            "site={}&category=guard_conduct&note=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E",
            site.0
        ),
    );
    assert_eq!(filed.status, 303, "{}", filed.text());

    let admin = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let wrong = api.form("/admin/login", &[], "token=xga_wrong");
    assert_eq!(wrong.status, 401);
    assert!(wrong.headers.get("set-cookie").is_none());
    let dashboard_without = api.call("GET", "/admin", &[], None);
    assert_eq!(
        dashboard_without.status, 303,
        "the dashboard asks for a login"
    );
    let login = api.form("/admin/login", &[], &format!("token={admin}"));
    assert_eq!(login.status, 303);
    let session = login.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        session.contains("HttpOnly") && session.contains("Path=/admin"),
        "{session}"
    );
    let session = session.split(';').next().unwrap().to_owned();
    let dashboard = api.call("GET", "/admin", &[("cookie", session.clone())], None);
    assert_eq!(dashboard.status, 200);
    let page = dashboard.text();
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(!page.contains("<img src=x"));

    // Closing from the dashboard needs the dashboard's session, not the rider's.
    let id = paging::every(|p| api.issuer.help_requests(true, None, p)).unwrap()[0].id;
    let by_rider = api.form(&format!("/admin/help/{id}/close"), &me, "resolution=ok");
    assert_eq!(by_rider.status, 303);
    assert_eq!(by_rider.headers["location"], "/admin/login");
    assert_eq!(
        paging::every(|p| api.issuer.help_requests(true, None, p))
            .unwrap()
            .len(),
        1
    );
    let closed = api.form(
        &format!("/admin/help/{id}/close"),
        &[("cookie", session)],
        "resolution=%E5%B7%B2%E5%A4%84%E7%90%86",
    );
    assert_eq!(closed.status, 303);
    assert_eq!(closed.headers["location"], "/admin#help");
    assert!(
        paging::every(|p| api.issuer.help_requests(true, None, p))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_property_sees_and_closes_only_its_own_sites_help_requests() {
    let api = Api::new();
    let ours = api.site("翠苑一区");
    let theirs = api.site("文鼎苑");
    let cookie = api.signed_in_rider();
    for (site, note) in [(ours, "东门不让进"), (theirs, "文鼎苑没有停车位")] {
        let filed = api.call(
            "POST",
            "/v1/rider/help",
            &[("cookie", cookie.clone())],
            Some(json!({"site": site.0, "category": "refused", "note": note})),
        );
        assert_eq!(filed.status, 201, "{:?}", filed.json());
    }
    let property = api
        .issuer
        .add_site_token("翠苑一区物业", ours, http::now())
        .unwrap();
    assert!(
        api.issuer
            .add_site_token("nobody", SiteId(99), http::now())
            .is_err(),
        "a token for a site that does not exist"
    );

    // The admin API is the regulator's alone.
    let api_call = api.call("GET", "/v1/admin/help-requests", &bearer(&property), None);
    assert_eq!(api_call.status, 401);
    assert_eq!(api_call.code(), "unauthorized");

    let login = api.form("/admin/login", &[], &format!("token={property}"));
    assert_eq!(login.status, 303);
    let session = login.headers["set-cookie"].to_str().unwrap();
    let session = [("cookie", session.split(';').next().unwrap().to_owned())];
    let page = api.call("GET", "/admin", &session, None).text();
    assert!(page.contains("东门不让进"), "{page}");
    assert!(
        !page.contains("文鼎苑没有停车位"),
        "another site's request is not shown"
    );
    assert!(
        !page.contains("覆盖情况"),
        "no regulator figures for a property"
    );

    let open = paging::every(|p| api.issuer.help_requests(true, None, p)).unwrap();
    let id_of = |site: SiteId| open.iter().find(|h| h.site == site).unwrap().id;
    let other = api.form(
        &format!("/admin/help/{}/close", id_of(theirs)),
        &session,
        "resolution=x",
    );
    assert_eq!(other.status, 404, "another site's request is not found");
    let own = api.form(
        &format!("/admin/help/{}/close", id_of(ours)),
        &session,
        "resolution=%E5%B7%B2%E5%A4%84%E7%90%86",
    );
    assert_eq!(own.status, 303);
    let still_open = paging::every(|p| api.issuer.help_requests(true, None, p)).unwrap();
    assert_eq!(still_open.len(), 1);
    assert_eq!(still_open[0].site, theirs);
}

impl Api {
    /// The statuses of the status list gates would fetch now, opened against the trust list.
    fn status_bits(&self) -> StatusBits {
        let trust_bytes = self.call("GET", "/v1/trust-list", &[], None).body;
        let trust = TrustList::open(&trust_bytes, &self.issuer.root_public()).unwrap();
        let bytes = self.call("GET", "/v1/status-list", &[], None).body;
        StatusList::open(&bytes, &trust).unwrap().bits
    }

    /// Asserts that the status list marks `index` as `status` and every other index valid.
    fn assert_only(&self, index: u32, status: RiderStatus) {
        let bits = self.status_bits();
        let mut expected = StatusBits::new(bits.len());
        expected.set(index, status);
        assert_eq!(
            bits, expected,
            "index {index} should be {status:?}, all else valid"
        );
    }

    /// Uploads a one-row roster for `platform_rider_id` with `status`.
    fn roster(&self, key: &str, platform_rider_id: &str, status: &str) -> Answer {
        let roster = json!({"riders": [
            {"platform_rider_id": platform_rider_id, "name": "黄小明", "status": status}
        ]});
        self.call("POST", "/v1/platform/riders", &bearer(key), Some(roster))
    }
}

/// Issue 9: the nightly roster wrote the same column as the regulator, so a rider the
/// regulator revoked was reinstated by the next upload that listed them as active.
#[test]
fn a_platform_roster_never_lifts_the_regulators_revocation() {
    let api = Api::new();
    let key = api.platform("美团");
    let created = api.roster(&key, "mt-1", "active");
    assert_eq!(created.status, 200, "{:?}", created.json());
    let rider: RiderId = created.json()["results"][0]["rider_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let index = api.issuer.rider(&rider).unwrap().status_index;

    api.issuer
        .set_regulator_status(&rider, RiderStatus::Revoked, http::now())
        .unwrap();
    let nightly = api.roster(&key, "mt-1", "active");
    assert_eq!(nightly.status, 200, "{:?}", nightly.json());
    let result = &nightly.json()["results"][0];
    assert_eq!(
        (
            &result["status"],
            &result["platform_status"],
            &result["regulator_status"]
        ),
        (&json!("revoked"), &json!("active"), &json!("revoked")),
        "the upload's answer tells the platform its row did not reinstate the rider"
    );
    let put = api.call(
        "PUT",
        "/v1/platform/riders/mt-1/status",
        &bearer(&key),
        Some(json!({"status": "active"})),
    );
    assert_eq!(put.status, 200, "{:?}", put.json());
    assert_eq!(put.json()["status"], "revoked", "{:?}", put.json());

    // The status list still carries the regulator's revocation.
    api.assert_only(index, RiderStatus::Revoked);
    let shown = api
        .call("GET", "/v1/platform/riders/mt-1", &bearer(&key), None)
        .json();
    assert_eq!(shown["status"], "revoked", "{shown:?}");
    assert_eq!(shown["platform_status"], "active", "{shown:?}");
    assert_eq!(shown["regulator_status"], "revoked", "{shown:?}");
    let link = api.call(
        "POST",
        "/v1/platform/riders/mt-1/login-link",
        &bearer(&key),
        None,
    );
    assert_eq!(link.status, 403, "{:?}", link.json());
    assert_eq!(link.code(), "rider_not_valid");
}

/// The reverse of the above: the regulator's reinstatement lifts only the regulator's own
/// standing, never a suspension the platform set.
#[test]
fn the_regulators_reinstatement_does_not_lift_a_platform_suspension() {
    let api = Api::new();
    let key = api.platform("美团");
    let created = api.roster(&key, "mt-1", "active");
    let rider: RiderId = created.json()["results"][0]["rider_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let index = api.issuer.rider(&rider).unwrap().status_index;
    let link = api.call(
        "POST",
        "/v1/platform/riders/mt-1/login-link",
        &bearer(&key),
        None,
    );
    let token = link.json()["token"].as_str().unwrap().to_owned();
    let session = api.call(
        "POST",
        "/v1/rider/session",
        &[],
        Some(json!({"token": token})),
    );
    let cookie = session.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let suspended = api.roster(&key, "mt-1", "suspended");
    assert_eq!(suspended.status, 200, "{:?}", suspended.json());
    api.issuer
        .set_regulator_status(&rider, RiderStatus::Suspended, http::now())
        .unwrap();
    let reinstated = api
        .issuer
        .set_regulator_status(&rider, RiderStatus::Valid, http::now())
        .unwrap();
    assert_eq!(reinstated.status(), RiderStatus::Suspended);

    api.assert_only(index, RiderStatus::Suspended);
    let shown = api
        .call("GET", "/v1/platform/riders/mt-1", &bearer(&key), None)
        .json();
    assert_eq!(shown["status"], "suspended", "{shown:?}");
    assert_eq!(shown["platform_status"], "suspended", "{shown:?}");
    assert_eq!(shown["regulator_status"], "active", "{shown:?}");
    let refused = api.call("GET", "/v1/rider/code", &[("cookie", cookie.clone())], None);
    assert_eq!(refused.status, 403, "{:?}", refused.json());

    // Once the platform lifts its suspension too, the rider is in good standing again.
    let put = api.call(
        "PUT",
        "/v1/platform/riders/mt-1/status",
        &bearer(&key),
        Some(json!({"status": "active"})),
    );
    assert_eq!(put.json()["status"], "active", "{:?}", put.json());
    assert_eq!(put.json()["regulator_status"], "active", "{:?}", put.json());
    assert_eq!(api.status_bits(), StatusBits::new(api.status_bits().len()));
    let code = api.call("GET", "/v1/rider/code", &[("cookie", cookie)], None);
    assert_eq!(code.status, 200, "{:?}", code.json());
}

/// Issue 9: the issuer kept giving out status indexes past the list's end, whose statuses
/// were silently dropped, so every gate treated those riders as unknown. A roster that needs
/// more indexes than are left is now refused whole with 507 `status_list_full`.
#[test]
fn a_roster_past_the_status_lists_capacity_is_refused_whole() {
    let api = Api::new();
    let key = api.platform("美团");
    assert_eq!(api.roster(&key, "mt-1", "active").status, 200);
    // Sixteen million riders are too many for a test: moving the one rider to the list's
    // second-to-last index uses it up as far (indexes are never reused). Only the fixture
    // reaches into the database; everything after goes through the API.
    let capacity = xiaoge_pass::status_list::MAX_ENTRIES;
    rusqlite::Connection::open(api._dir.path().join("issuer").join("issuer.db"))
        .unwrap()
        .execute(
            "UPDATE riders SET status_index = ?1 WHERE platform_rider_id = 'mt-1'",
            [i64::try_from(capacity - 2).unwrap()],
        )
        .unwrap();

    let batch = |ids: &[&str]| {
        let riders: Vec<Value> = ids
            .iter()
            .map(|id| json!({"platform_rider_id": id, "name": "李大伟", "status": "suspended"}))
            .collect();
        api.call(
            "POST",
            "/v1/platform/riders",
            &bearer(&key),
            Some(json!({ "riders": riders })),
        )
    };
    let too_many = batch(&["mt-1", "mt-2", "mt-3"]);
    assert_eq!(too_many.status, 507, "{:?}", too_many.json());
    assert_eq!(too_many.code(), "status_list_full");
    let message = too_many.json()["error"]["message"].clone();
    assert!(
        message.as_str().unwrap().contains(&format!(
            "only 1 of its {capacity} indexes are left and 2 are needed"
        )),
        "{message}"
    );
    let mt1 = api.call("GET", "/v1/platform/riders/mt-1", &bearer(&key), None);
    assert_eq!(
        mt1.json()["platform_status"],
        "active",
        "nothing was applied"
    );
    let mt2 = api.call("GET", "/v1/platform/riders/mt-2", &bearer(&key), None);
    assert_eq!(mt2.status, 404, "nothing was applied");

    let fits = batch(&["mt-1", "mt-2"]);
    assert_eq!(fits.status, 200, "{:?}", fits.json());
    let last: RiderId = fits.json()["results"][1]["rider_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        api.issuer.rider(&last).unwrap().status_index as usize,
        capacity - 1
    );
    let usage = api.issuer.status_list_usage().unwrap();
    assert_eq!((usage.left(), usage.nearly_full()), (0, true));

    let full = batch(&["mt-3"]);
    assert_eq!(full.status, 507, "{:?}", full.json());
    assert!(
        full.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only 0 of"),
        "{:?}",
        full.json()
    );
    // Known riders still get their standing updated when no new one is asked for.
    let update = api.roster(&key, "mt-2", "active");
    assert_eq!(update.status, 200, "{:?}", update.json());
}

impl Api {
    /// Enrolls a new key for a gate with `token`; the answer.
    fn enroll(&self, token: &str, key: &KeyPair) -> Answer {
        self.call(
            "POST",
            "/v1/gates/enroll",
            &[],
            Some(json!({"token": token, "public_key": hex::encode(key.public().as_bytes())})),
        )
    }

    /// Fetches the site bundle signed as `gate` with `key`.
    fn site_bundle(&self, gate: u64, key: &KeyPair) -> Answer {
        let headers = signed(
            gate,
            key,
            "GET",
            "/v1/gate/site-bundle",
            &[],
            http::now(),
            &nonce(),
        );
        self.call("GET", "/v1/gate/site-bundle", &headers, None)
    }

    /// The state of `gate` in its site's gate listing.
    fn gate_state(&self, admin: &str, site: SiteId, gate: u64) -> String {
        let listing = self.call(
            "GET",
            &format!("/v1/admin/sites/{site}/gates"),
            &bearer(admin),
            None,
        );
        assert_eq!(listing.status, 200, "{:?}", listing.json());
        listing.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == gate)
            .unwrap()["state"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Signs in to the dashboard with `token`; the session cookie (`name=value`).
    fn dashboard_login(&self, token: &str) -> String {
        let login = self.form("/admin/login", &[], &format!("token={token}"));
        assert_eq!(login.status, 303, "{}", login.text());
        let cookie = login.headers["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }
}

#[test]
fn a_revoked_gate_is_refused_and_listed_as_revoked() {
    let api = Api::new();
    let admin = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let site = api.site("翠苑一区");
    let (gate, key) = api.enrolled_gate(site, "东门");
    let before = upload(
        &api,
        gate,
        &key,
        &[entry(gate, site)],
        http::now(),
        &nonce(),
    );
    assert_eq!(before.status, 200, "{:?}", before.json());
    assert_eq!(api.site_bundle(gate, &key).status, 200);
    assert_eq!(api.gate_state(&admin, site, gate), "enrolled");

    let revoke = api.call(
        "POST",
        &format!("/v1/admin/gates/{gate}/revoke"),
        &bearer(&admin),
        None,
    );
    assert_eq!(revoke.status, 204, "{:?}", revoke.json());

    let after = upload(
        &api,
        gate,
        &key,
        &[entry(gate, site)],
        http::now(),
        &nonce(),
    );
    assert_eq!(after.status, 401);
    assert_eq!(after.code(), "gate_revoked", "{:?}", after.json());
    assert!(
        after.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("gate {gate}")),
        "{:?}",
        after.json()
    );
    let bundle = api.site_bundle(gate, &key);
    assert_eq!(bundle.status, 401);
    assert_eq!(bundle.code(), "gate_revoked");
    assert_eq!(api.gate_state(&admin, site, gate), "revoked");

    // A gate revoked before it enrolled: its token is dead.
    let (unused, token) = api.issuer.add_gate(site, "西门", http::now()).unwrap();
    api.issuer
        .revoke_gate(Actor::Cli, unused, http::now())
        .unwrap();
    let enroll = api.enroll(&token, &KeyPair::from_seed(seed()));
    assert_eq!(enroll.status, 401);
    assert_eq!(enroll.code(), "unknown_token");
    let missing = api.call("POST", "/v1/admin/gates/999/revoke", &bearer(&admin), None);
    assert_eq!(missing.status, 404);
}

#[test]
fn a_replaced_gate_enrolls_with_the_new_token_and_keeps_its_gate_id() {
    let api = Api::new();
    let admin = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let site = api.site("翠苑一区");
    let (gate, old_key) = api.enrolled_gate(site, "东门");
    assert_eq!(
        upload(
            &api,
            gate,
            &old_key,
            &[entry(gate, site)],
            http::now(),
            &nonce()
        )
        .status,
        200
    );

    let replaced = api.call(
        "POST",
        &format!("/v1/admin/gates/{gate}/replace"),
        &bearer(&admin),
        Some(json!({"token_days": 1})),
    );
    assert_eq!(replaced.status, 201, "{:?}", replaced.json());
    assert_eq!(replaced.json()["gate_id"], gate);
    let token = replaced.json()["token"].as_str().unwrap().to_owned();
    assert!(replaced.json()["token_expires_at"].as_i64().unwrap() > http::now().0);
    assert_eq!(api.gate_state(&admin, site, gate), "awaiting_replacement");

    // The stolen or broken tablet is cut off at once.
    let old = upload(
        &api,
        gate,
        &old_key,
        &[entry(gate, site)],
        http::now(),
        &nonce(),
    );
    assert_eq!(old.status, 401);
    assert_eq!(old.code(), "gate_revoked");

    let new_key = KeyPair::from_seed(seed());
    let enrolled = api.enroll(&token, &new_key);
    assert_eq!(enrolled.status, 200, "{:?}", enrolled.json());
    assert_eq!(enrolled.json()["gate_id"], gate, "the same gate id goes on");
    assert_eq!(api.gate_state(&admin, site, gate), "enrolled");

    let fresh = entry(gate, site);
    let new = upload(
        &api,
        gate,
        &new_key,
        std::slice::from_ref(&fresh),
        http::now(),
        &nonce(),
    );
    assert_eq!(new.status, 200, "{:?}", new.json());
    assert_eq!(new.json()["results"][0]["outcome"], "stored");
    let old_again = upload(
        &api,
        gate,
        &old_key,
        &[entry(gate, site)],
        http::now(),
        &nonce(),
    );
    assert_eq!(old_again.status, 401, "the old key stays refused");
    assert_eq!(old_again.code(), "gate_revoked");
    let bundle = api.site_bundle(gate, &old_key);
    assert_eq!(bundle.code(), "gate_revoked");
    assert_eq!(api.site_bundle(gate, &new_key).status, 200);
    let logged = api.issuer.entries().unwrap();
    assert!(
        logged
            .iter()
            .any(|e| e.entry.id == fresh.id && e.entry.gate_id == gate),
        "the new tablet's entry is logged under gate {gate}"
    );
    // The replacement token works once.
    assert_eq!(api.enroll(&token, &KeyPair::from_seed(seed())).status, 401);
}

#[test]
fn an_expired_enrollment_token_is_refused() {
    let api = Api::new();
    let admin = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let site = api.site("翠苑一区");
    // A token made four days ago with the default three days.
    let old = api
        .issuer
        .add_gate_by(Actor::Cli, site, "东门", 3, http::now().plus(-4 * 86_400))
        .unwrap();
    let enroll = api.enroll(&old.token, &KeyPair::from_seed(seed()));
    assert_eq!(enroll.status, 401);
    assert_eq!(
        enroll.code(),
        "enrollment_token_expired",
        "{:?}",
        enroll.json()
    );
    assert_eq!(
        api.gate_state(&admin, site, old.gate_id),
        "awaiting_enrollment"
    );

    // Days come from the request; out-of-range days are refused.
    let added = api.call(
        "POST",
        &format!("/v1/admin/sites/{site}/gates"),
        &bearer(&admin),
        Some(json!({"name": "西门", "token_days": 7})),
    );
    assert_eq!(added.status, 201, "{:?}", added.json());
    let expires = added.json()["token_expires_at"].as_i64().unwrap();
    assert!(
        (expires - http::now().0 - 7 * 86_400).abs() < 60,
        "{expires}"
    );
    for days in [0, 31] {
        let refused = api.call(
            "POST",
            &format!("/v1/admin/sites/{site}/gates"),
            &bearer(&admin),
            Some(json!({"name": "北门", "token_days": days})),
        );
        assert_eq!(refused.status, 422, "{days} days");
    }
    // A replacement gives the gate a token that works.
    let replaced = api
        .issuer
        .replace_gate(Actor::Cli, old.gate_id, 3, http::now())
        .unwrap();
    let enrolled = api.enroll(&replaced.token, &KeyPair::from_seed(seed()));
    assert_eq!(enrolled.status, 200, "{:?}", enrolled.json());
}

#[test]
fn a_rotated_platform_key_works_until_the_overlap_ends_and_a_revoked_one_never() {
    let api = Api::new();
    let admin = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let first = api.platform("美团");
    let conduct = format!("/v1/platform/conduct?from={}&to={}", today(), today());
    let works = |key: &str| api.call("GET", &conduct, &bearer(key), None);
    assert_eq!(works(&first).status, 200);

    // Rotated 25 hours ago with a 24-hour overlap: the old key has just stopped working.
    let second = api
        .issuer
        .rotate_platform_key(Actor::Cli, "美团", 24, http::now().plus(-25 * 3600))
        .unwrap();
    let old = works(&first);
    assert_eq!(old.status, 401);
    assert_eq!(old.code(), "platform_key_expired", "{:?}", old.json());
    assert_eq!(works(&second.api_key).status, 200);

    // Rotated now over the API: the previous key keeps working through the overlap.
    let rotated = api.call(
        "POST",
        "/v1/admin/platforms/美团/keys/rotate",
        &bearer(&admin),
        Some(json!({"overlap_hours": 24})),
    );
    assert_eq!(rotated.status, 201, "{:?}", rotated.json());
    let third = rotated.json()["api_key"].as_str().unwrap().to_owned();
    assert_eq!(works(&second.api_key).status, 200, "inside the overlap");
    assert_eq!(works(&third).status, 200);
    let keys = api.call(
        "GET",
        &format!("/v1/admin/platforms/{}/keys", second.platform),
        &bearer(&admin),
        None,
    );
    assert_eq!(keys.json()["items"].as_array().unwrap().len(), 3);
    assert!(
        !keys.text().contains(&third[4..]),
        "keys are listed without secrets"
    );

    // A leak: every key of the platform is cut off at once.
    let revoked = api.call(
        "POST",
        &format!("/v1/admin/platforms/{}/keys/revoke", second.platform),
        &bearer(&admin),
        None,
    );
    assert_eq!(revoked.status, 200, "{:?}", revoked.json());
    assert_eq!(revoked.json()["revoked"], 3);
    for key in [&second.api_key, &third] {
        let refused = works(key);
        assert_eq!(refused.status, 401);
        assert_eq!(
            refused.code(),
            "platform_key_revoked",
            "{:?}",
            refused.json()
        );
    }
    let fourth = api
        .issuer
        .rotate_platform_key(Actor::Cli, "美团", 0, http::now())
        .unwrap();
    assert_eq!(
        works(&fourth.api_key).status,
        200,
        "a new key after the leak"
    );
}

#[test]
fn a_revoked_admin_token_and_its_dashboard_sessions_are_refused() {
    let api = Api::new();
    let ops = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let leaked = api.issuer.add_admin_token("console", http::now()).unwrap();
    let cookie = api.dashboard_login(&leaked);
    assert_eq!(
        api.call("GET", "/admin", &[("cookie", cookie.clone())], None)
            .status,
        200
    );
    assert_eq!(
        api.call("GET", "/v1/stats", &bearer(&leaked), None).status,
        200
    );

    let tokens = api.call("GET", "/v1/admin/admin-tokens", &bearer(&ops), None);
    assert_eq!(tokens.status, 200);
    assert!(
        !tokens.text().contains(&leaked) && !tokens.text().contains("xga_"),
        "tokens are listed without secrets"
    );
    let id = tokens.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "console")
        .unwrap()["id"]
        .as_u64()
        .unwrap();

    let revoke = api.call(
        "POST",
        &format!("/v1/admin/admin-tokens/{id}/revoke"),
        &bearer(&ops),
        None,
    );
    assert_eq!(revoke.status, 200, "{:?}", revoke.json());
    assert_eq!(revoke.json()["sessions_ended"], 1);

    let refused = api.call("GET", "/v1/stats", &bearer(&leaked), None);
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.code(),
        "admin_token_revoked",
        "{:?}",
        refused.json()
    );
    let page = api.call("GET", "/admin", &[("cookie", cookie.clone())], None);
    assert_eq!(
        page.status, 303,
        "the dashboard session ended with its token"
    );
    let session = cookie.split_once('=').unwrap().1;
    assert!(matches!(
        api.issuer.admin_session(session, http::now()),
        Err(IssuerError::SessionEnded { .. })
    ));
    let login = api.form("/admin/login", &[], &format!("token={leaked}"));
    assert_ne!(login.status, 303, "a revoked token opens no new session");
    let again = api.call(
        "POST",
        &format!("/v1/admin/admin-tokens/{id}/revoke"),
        &bearer(&ops),
        None,
    );
    assert_eq!(again.status, 404, "already revoked");
}

#[test]
fn the_operator_ends_a_dashboard_session_and_every_session_of_a_rider() {
    let api = Api::new();
    let ops = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let console = api.issuer.add_admin_token("console", http::now()).unwrap();
    let dashboard = api.dashboard_login(&console);
    let phone = api.signed_in_rider();
    let code = |cookie: &str| {
        api.call(
            "GET",
            "/v1/rider/code",
            &[("cookie", cookie.to_owned())],
            None,
        )
    };
    assert_eq!(code(&phone).status, 200);

    let listed = api.call("GET", "/v1/admin/sessions", &bearer(&ops), None);
    assert_eq!(listed.status, 200, "{:?}", listed.json());
    let sessions = listed.json();
    let sessions = sessions["items"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert!(!listed.text().contains(phone.split_once('=').unwrap().1));
    let admin_session = sessions.iter().find(|s| s["kind"] == "admin").unwrap();
    let rider: RiderId = sessions.iter().find(|s| s["kind"] == "rider").unwrap()["rider"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(admin_session["holder"], "console");

    // One dashboard session, by its id.
    let end = api.call(
        "POST",
        &format!(
            "/v1/admin/sessions/{}/end",
            admin_session["id"].as_str().unwrap()
        ),
        &bearer(&ops),
        None,
    );
    assert_eq!(end.status, 204, "{:?}", end.json());
    let page = api.call("GET", "/admin", &[("cookie", dashboard.clone())], None);
    assert_eq!(page.status, 303);
    assert!(matches!(
        api.issuer
            .admin_session(dashboard.split_once('=').unwrap().1, http::now()),
        Err(IssuerError::SessionEnded { .. })
    ));
    assert_eq!(
        api.call("GET", "/v1/stats", &bearer(&console), None).status,
        200,
        "ending a session leaves its token alone"
    );

    // Every session of a rider (a phone lost, a rider who left).
    let link = api.issuer.login_link_for(&rider, http::now()).unwrap();
    let second = api.call(
        "POST",
        "/v1/rider/session",
        &[],
        Some(json!({"token": link.token})),
    );
    let second = second.headers["set-cookie"].to_str().unwrap();
    let second = second.split(';').next().unwrap().to_owned();
    let of_rider = api.call(
        "GET",
        &format!("/v1/admin/sessions?rider={rider}"),
        &bearer(&ops),
        None,
    );
    assert_eq!(of_rider.json()["items"].as_array().unwrap().len(), 2);
    let ended = api.call(
        "POST",
        &format!("/v1/admin/riders/{rider}/sessions/end"),
        &bearer(&ops),
        None,
    );
    assert_eq!(ended.status, 200, "{:?}", ended.json());
    assert_eq!(ended.json()["sessions_ended"], 2);
    for cookie in [&phone, &second] {
        let refused = code(cookie);
        assert_eq!(refused.status, 401);
        assert_eq!(refused.code(), "session_ended", "{:?}", refused.json());
    }
    let none_left = api.call("GET", "/v1/admin/sessions", &bearer(&ops), None);
    assert_eq!(none_left.json()["items"].as_array().unwrap().len(), 0);
    let bad = api.call("POST", "/v1/admin/sessions/nope/end", &bearer(&ops), None);
    assert_eq!(bad.status, 422);
}

#[test]
fn the_audit_log_lists_every_credential_action_in_order() {
    let api = Api::new();
    let start = http::now();
    let ops = api.issuer.add_admin_token("ops", start).unwrap();
    let site = api.site("翠苑一区");
    let added = api.call(
        "POST",
        &format!("/v1/admin/sites/{site}/gates"),
        &bearer(&ops),
        Some(json!({"name": "东门"})),
    );
    let gate = added.json()["gate_id"].as_u64().unwrap();
    let key = KeyPair::from_seed(seed());
    let token = added.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(api.enroll(&token, &key).status, 200);
    let replaced = api
        .issuer
        .replace_gate(Actor::Cli, gate, 3, http::now())
        .unwrap();
    assert_eq!(api.enroll(&replaced.token, &key).status, 200);
    api.call(
        "POST",
        &format!("/v1/admin/gates/{gate}/revoke"),
        &bearer(&ops),
        None,
    );
    api.platform("美团");
    api.call(
        "POST",
        "/v1/admin/platforms/美团/keys/rotate",
        &bearer(&ops),
        None,
    );
    api.call(
        "POST",
        "/v1/admin/platforms/美团/keys/revoke",
        &bearer(&ops),
        None,
    );
    api.issuer.add_admin_token("console", http::now()).unwrap();
    api.call(
        "POST",
        "/v1/admin/admin-tokens/2/revoke",
        &bearer(&ops),
        None,
    );

    let log = api.call(
        "GET",
        &format!("/v1/admin/audit?since={}", start.0 - 1),
        &bearer(&ops),
        None,
    );
    assert_eq!(log.status, 200, "{:?}", log.json());
    let rows = log.json();
    let seen: Vec<(String, String, String)> = rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
                r["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let g = format!("gate:{gate}");
    let expected: Vec<(String, String, String)> = [
        ("cli", "admin_token.add", "admin-token:1"),
        ("admin-token:1", "gate.add", g.as_str()),
        (g.as_str(), "gate.enroll", g.as_str()),
        ("cli", "gate.replace", g.as_str()),
        (g.as_str(), "gate.enroll", g.as_str()),
        ("admin-token:1", "gate.revoke", g.as_str()),
        ("cli", "platform.add", "platform:1"),
        ("admin-token:1", "platform.rotate_key", "platform:1"),
        ("admin-token:1", "platform.revoke_key", "platform:1"),
        ("cli", "admin_token.add", "admin-token:2"),
        ("admin-token:1", "admin_token.revoke", "admin-token:2"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(seen, expected);
    let ids: Vec<u64> = rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let text = log.text();
    assert!(!text.contains(&token[5..37]), "no secret in the log");
}

#[test]
fn a_bad_entry_is_rejected_alone_and_the_rest_of_the_batch_is_stored() {
    let api = Api::new();
    let site = api.site("碧桂园");
    let (gate, key) = api.enrolled_gate(site, "east");
    let now = http::now();
    let good = entry(gate, site);
    let far_future = Entry {
        recorded_at: UnixTime(i64::MAX),
        ..entry(gate, site)
    };
    let long_reason = Entry {
        decision: Decision::Deny,
        reason: Some("x".repeat(100_000)),
        ..entry(gate, site)
    };
    let escape = Entry {
        method: EntryMethod::Override,
        reason: Some("ok\u{1b}]0;pwned\u{7}".into()),
        overrides: Some(Uuid::now_v7()),
        ..entry(gate, site)
    };
    let negative = Entry {
        trusted_at: Some(UnixTime(-5)),
        ..entry(gate, site)
    };
    let bad_code = Entry {
        code_id: Some("\0".into()),
        ..entry(gate, site)
    };
    let batch = [
        good.clone(),
        far_future,
        long_reason,
        escape,
        negative,
        bad_code,
    ];
    let answer = upload(&api, gate, &key, &batch, now, &nonce());
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let results = answer.json()["results"].clone();
    assert_eq!(results[0]["outcome"], "stored");
    assert!(results[0].get("error").is_none());
    for (i, e) in batch.iter().enumerate().skip(1) {
        assert_eq!(results[i]["id"], e.id.to_string());
        assert_eq!(results[i]["outcome"], "rejected", "{i}: {}", results[i]);
        assert_eq!(results[i]["error"]["code"], "invalid_entry");
        let message = results[i]["error"]["message"].as_str().unwrap();
        assert!(message.contains(&e.id.to_string()), "{message}");
        assert!(!message.contains('\u{1b}'), "{message:?}");
    }
    assert!(
        results[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("9223372036854775807")
    );
    let stored = api.issuer.entries().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].entry.id, good.id);
    // The figures stay up.
    let token = api.issuer.add_admin_token("ops", now).unwrap();
    assert_eq!(
        api.call("GET", "/v1/stats", &bearer(&token), None).status,
        200
    );
}

#[test]
fn the_figures_never_fail_because_of_a_row_stored_before_entries_were_checked() {
    let api = Api::new();
    let site = api.site("万科");
    let (gate, key) = api.enrolled_gate(site, "north");
    let now = http::now();
    let answer = upload(&api, gate, &key, &[entry(gate, site)], now, &nonce());
    assert_eq!(answer.status, 200);
    // Rows an older issuer accepted unchecked, written as it would have written them.
    let db = rusqlite::Connection::open(api._dir.path().join("issuer").join("issuer.db")).unwrap();
    for (i, (recorded_at, decision)) in [
        (i64::MAX, "deny"),
        (i64::MAX - 3600, "allow"),
        (i64::MIN, "deny"),
        (-1, "deny"),
    ]
    .into_iter()
    .enumerate()
    {
        db.execute(
            "INSERT INTO entries (id, gate_id, site_id, recorded_at, method, decision, reason,
                 received_at)
             VALUES (?1, ?2, ?3, ?4, 'scan', ?5, 'expired', ?6)",
            rusqlite::params![
                format!("00000000-0000-7000-8000-00000000000{i}"),
                gate,
                site.0,
                recorded_at,
                decision,
                now.0
            ],
        )
        .unwrap();
    }
    drop(db);
    let token = api.issuer.add_admin_token("ops", now).unwrap();
    let stats = api.call("GET", "/v1/stats", &bearer(&token), None);
    assert_eq!(stats.status, 200, "{:?}", stats.json());
    let days = stats.json()["entries_per_day"].clone();
    let total: u64 = days
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["entries"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1, "only the row inside the window is counted");
    assert!(api.issuer.stats(now).is_ok());
    assert!(api.issuer.dashboard(&PageRequest::first(), now).is_ok());
    assert_eq!(
        api.issuer.entries().unwrap().len(),
        5,
        "the rows are still listed"
    );
}

#[test]
fn an_id_past_what_the_database_holds_is_a_json_400_not_a_500() {
    let api = Api::new();
    let token = api.issuer.add_admin_token("ops", http::now()).unwrap();
    for path in [
        "/v1/admin/sites/18446744073709551615",
        "/v1/admin/sites/9223372036854775808",
        "/v1/admin/sites/9223372036854775808/gates",
        "/v1/admin/sites/9223372036854775808/bans",
    ] {
        let answer = api.call("GET", path, &bearer(&token), None);
        assert_eq!(answer.status, 400, "{path}: {:?}", answer.json());
        assert_eq!(answer.code(), "bad_request", "{path}");
        assert!(
            answer.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("out of range"),
            "{path}: {:?}",
            answer.json()
        );
    }
    let close = api.call(
        "POST",
        "/v1/admin/help-requests/9223372036854775808/close",
        &bearer(&token),
        None,
    );
    assert_eq!(close.status, 400, "{:?}", close.json());
    let largest = api.call(
        "GET",
        "/v1/admin/sites/9223372036854775807",
        &bearer(&token),
        None,
    );
    assert_eq!(largest.status, 404, "{:?}", largest.json());
}

#[test]
fn a_roster_name_with_a_star_is_masked_and_format_characters_are_refused_by_row() {
    let api = Api::new();
    let key = api.platform("美团");
    let ok = json!({"riders": [
        {"platform_rider_id": "mt-1", "name": "王*明 13812345678", "status": "active"}
    ]});
    let answer = api.call("POST", "/v1/platform/riders", &bearer(&key), Some(ok));
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let shown = api.call("GET", "/v1/platform/riders/mt-1", &bearer(&key), None);
    assert_eq!(shown.json()["name"], "王**", "{:?}", shown.json());
    let batch = json!({"riders": [
        {"platform_rider_id": "mt-2", "name": "李四", "status": "active"},
        {"platform_rider_id": "mt-3", "name": "黄\u{202e}明", "status": "active"},
        {"platform_rider_id": "mt-4", "name": "\u{200b}赵", "status": "active"},
        {"platform_rider_id": "mt-5", "name": "钱\u{1b}[2J", "status": "active"}
    ]});
    let answer = api.call("POST", "/v1/platform/riders", &bearer(&key), Some(batch));
    assert_eq!(answer.status, 422);
    assert_eq!(answer.code(), "roster_rejected");
    let rows = answer.json()["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (row, (index, id)) in rows.iter().zip([(1, "mt-3"), (2, "mt-4"), (3, "mt-5")]) {
        assert_eq!(row["index"], index);
        assert_eq!(row["platform_rider_id"], id);
        assert_eq!(row["code"], "invalid_name");
        let message = row["message"].as_str().unwrap();
        assert!(message.contains("U+"), "{message}");
    }
}

#[test]
fn pages_refuse_forms_from_other_sites_and_forbid_framing_and_foreign_scripts() {
    let api = Api::new();
    let admin = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let host = api.host();
    let forged = api.form(
        "/admin/login",
        &[("origin", "https://evil.example".to_owned())],
        &format!("token={admin}"),
    );
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert!(forged.is_html());
    assert!(forged.headers.get("set-cookie").is_none(), "no session");
    let null_origin = api.form("/r/logout", &[("origin", "null".to_owned())], "");
    assert_eq!(null_origin.status, 403);
    let cross_without_origin = api.form(
        "/admin/login",
        &[("sec-fetch-site", "cross-site".to_owned())],
        &format!("token={admin}"),
    );
    assert_eq!(cross_without_origin.status, 403);
    let same_site = api.form(
        "/admin/login",
        &[("origin", format!("http://{host}"))],
        &format!("token={admin}"),
    );
    assert_eq!(same_site.status, 303, "{}", same_site.text());

    for path in ["/r", "/s/1", "/admin/login", "/assets/site.css"] {
        let answer = api.call("GET", path, &[], None);
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
    }
    for page in ["/r", "/admin/login"] {
        let text = api.call("GET", page, &[], None).text();
        assert!(
            !text.contains("style=\""),
            "{page}: inline styles break the CSP"
        );
    }
}

#[test]
fn an_address_guessing_secrets_is_throttled_and_seen_in_the_audit_log() {
    // Over a socket: the address counted must be the one the accept loop saw, not one a test
    // put into the request.
    let api = Api::served();
    let admin = api.issuer.add_admin_token("ops", http::now()).unwrap();
    let platform_key = api.platform("美团");
    // Half through the API, half through the dashboard's login form: one count.
    for n in 0..10 {
        let answer = if n % 2 == 0 {
            api.call("GET", "/v1/admin/sites", &bearer("xga_guess"), None)
        } else {
            api.form("/admin/login", &[], "token=xga_guess")
        };
        assert_eq!(answer.status, 401, "guess {n}");
    }
    let throttled = api.call("GET", "/v1/admin/sites", &bearer(&admin), None);
    assert_eq!(
        throttled.status, 429,
        "even the right token waits out the window"
    );
    assert_eq!(throttled.code(), "too_many_failures");
    let wait: i64 = throttled.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    let login = api.form("/admin/login", &[], &format!("token={admin}"));
    assert_eq!(login.status, 429, "the dashboard's login is the same door");

    let riders = api.call(
        "GET",
        "/v1/platform/riders/R1",
        &bearer(&platform_key),
        None,
    );
    assert_ne!(
        riders.status, 429,
        "another kind of secret is not throttled"
    );

    let log = paging::every(|p| api.issuer.audit_log(UnixTime(0), p)).unwrap();
    let guesses: Vec<_> = log
        .iter()
        .filter(|e| e.action.starts_with("auth."))
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        guesses,
        [
            ("auth.unknown_secret", "address:127.0.0.1"),
            ("auth.throttled", "address:127.0.0.1")
        ]
    );
    assert!(
        log.iter().all(|e| !e.detail.contains("xga_guess")),
        "the log never holds what was presented"
    );
}

impl Api {
    /// Every row of the list at `path` (which may hold a query already), read page by page
    /// with `limit` rows per page; and how many pages it took.
    fn walk(&self, admin: &str, path: &str, limit: u32) -> (Vec<Value>, usize) {
        self.walk_while(admin, path, limit, |_| {})
    }

    /// Like `walk`, calling `between` with the number of pages read after each page.
    fn walk_while(
        &self,
        admin: &str,
        path: &str,
        limit: u32,
        mut between: impl FnMut(usize),
    ) -> (Vec<Value>, usize) {
        let joiner = if path.contains('?') { '&' } else { '?' };
        let mut rows = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let cursor = after
                .as_ref()
                .map_or(String::new(), |a| format!("&after={a}"));
            let page = self.call(
                "GET",
                &format!("{path}{joiner}limit={limit}{cursor}"),
                &bearer(admin),
                None,
            );
            assert_eq!(page.status, 200, "{path}: {:?}", page.json());
            let page = page.json();
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= usize::try_from(limit).unwrap(), "{path}");
            rows.extend(items.iter().cloned());
            pages += 1;
            between(pages);
            match page["next_after"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => return (rows, pages),
            }
        }
    }
}

#[test]
fn every_list_is_read_in_pages_and_a_walk_meets_every_row_once() {
    let api = Api::new();
    let now = http::now();
    let ops = api.issuer.add_admin_token("ops", now).unwrap();
    let site = api.site("翠苑一区");
    for i in 1..7 {
        api.site(&format!("翠苑{i}区"));
    }
    api.platform("美团");
    for i in 1..7 {
        api.platform(&format!("平台{i}"));
    }
    for i in 1..7 {
        api.issuer.add_admin_token(&format!("op{i}"), now).unwrap();
    }
    for i in 0..7 {
        api.issuer.add_gate(site, &format!("门{i}"), now).unwrap();
        api.issuer
            .rotate_platform_key(Actor::Cli, "美团", 1, now)
            .unwrap();
        let rider = api
            .issuer
            .add_rider("美团", &format!("mt-{i}"), "黄小明", now)
            .unwrap()
            .id;
        api.issuer.ban(site, &rider, "翻越围栏", now).unwrap();
        let link = api.issuer.login_link_for(&rider, now).unwrap();
        api.issuer.start_session(&link.token, now).unwrap();
        api.dashboard_login(&ops);
    }
    let audited = paging::every(|p| api.issuer.audit_log(UnixTime(0), p))
        .unwrap()
        .len();
    let lists = [
        ("/v1/admin/sites".to_owned(), 7),
        ("/v1/admin/platforms".to_owned(), 7),
        ("/v1/admin/admin-tokens".to_owned(), 7),
        (format!("/v1/admin/sites/{site}/gates"), 7),
        (format!("/v1/admin/sites/{site}/bans"), 7),
        ("/v1/admin/platforms/1/keys".to_owned(), 8),
        ("/v1/admin/sessions".to_owned(), 14),
        ("/v1/admin/help-requests?open=false".to_owned(), 0),
        ("/v1/admin/audit?since=0".to_owned(), audited),
    ];
    assert!(audited > 20, "{audited}");
    for (path, rows) in lists {
        let (small, pages) = api.walk(&ops, &path, 2);
        assert_eq!(small.len(), rows, "{path}: {small:?}");
        assert_eq!(pages, rows.div_ceil(2).max(1), "{path}");
        let (whole, one) = api.walk(&ops, &path, 500);
        assert_eq!(
            (&small, one),
            (&whole, 1),
            "{path}: the same rows in the same order"
        );
        let mut distinct: Vec<String> = small.iter().map(Value::to_string).collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), rows, "{path}: a row met twice");
        let first = api.call("GET", &path, &bearer(&ops), None).json();
        assert!(
            first["items"].as_array().unwrap().len() == rows.min(100)
                && first["next_after"].is_null() == (rows <= 100),
            "{path}: the default page is 100 rows: {first}"
        );
    }

    for (query, said) in [
        ("limit=0", "limit 0"),
        ("limit=501", "limit 501"),
        ("after=abc", "after \"abc\""),
        ("limit=ten", "limit"),
    ] {
        let refused = api.call(
            "GET",
            &format!("/v1/admin/sites?{query}"),
            &bearer(&ops),
            None,
        );
        assert!(
            [400, 422].contains(&refused.status)
                && refused.json()["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(said)),
            "{query}: {} {}",
            refused.status,
            refused.text()
        );
    }
}

#[test]
fn walking_the_help_requests_meets_each_once_while_a_flood_goes_on() {
    let api = Api::new();
    let start = http::now();
    let ops = api.issuer.add_admin_token("ops", start).unwrap();
    api.platform("美团");
    let sites: Vec<SiteId> = (0..10).map(|i| api.site(&format!("翠苑{i}区"))).collect();
    let mut token = String::new();
    // Request k comes from rider k / 5 at site (k / 60) % 10: within every limit.
    let file = |k: usize, token: &mut String| {
        if k.is_multiple_of(5) {
            let rider = api
                .issuer
                .add_rider("美团", &format!("mt-{k}"), "黄小明", start)
                .unwrap()
                .id;
            let link = api.issuer.login_link_for(&rider, start).unwrap();
            *token = api.issuer.start_session(&link.token, start).unwrap().0;
        }
        let request = NewHelpRequest {
            site: sites[(k / 60) % 10],
            category: HelpCategory::Refused,
            note: format!("第{k}次"),
        };
        api.issuer.ask_for_help(token, &request, start).unwrap()
    };
    let filed: Vec<u64> = (0..520).map(|k| file(k, &mut token)).collect();

    let (rows, pages) = api.walk_while(&ops, "/v1/admin/help-requests", 100, |pages| {
        if pages == 1 {
            // The flood goes on while the regulator reads.
            for k in 520..580 {
                file(k, &mut token);
            }
        }
    });
    let seen: Vec<u64> = rows.iter().map(|h| h["id"].as_u64().unwrap()).collect();
    assert_eq!(pages, 6, "520 requests in pages of 100");
    let mut expected = filed.clone();
    expected.reverse();
    assert_eq!(seen, expected, "every request once, newest first");

    // The dashboard pages them the same way: the oldest request is one "older" click away
    // from the newest page.
    let cookie = [("cookie", api.dashboard_login(&ops))];
    let newest = api.call("GET", "/admin", &cookie, None).text();
    let everything = paging::every(|p| api.issuer.help_requests(true, None, p)).unwrap();
    assert_eq!(everything.len(), 580);
    assert!(newest.contains(&format!("data-help-id=\"{}\"", everything[0].id)));
    assert!(!newest.contains(&format!("data-help-id=\"{}\"", everything[100].id)));
    let older = format!("/admin?after={}#help", everything[99].id);
    assert!(newest.contains(&format!("href=\"{older}\"")), "{newest}");
    let second = api.call("GET", &older, &cookie, None).text();
    assert!(second.contains(&format!("data-help-id=\"{}\"", everything[100].id)));
    assert!(
        second.contains("href=\"/admin#help\""),
        "a way back to the newest"
    );
}

/// The (method, path) pairs a router serves, read from its `Debug` form: axum lists no
/// routes otherwise. A change in that form fails the test loudly rather than passing it.
fn served_routes(router: &axum::Router) -> Vec<(String, String)> {
    let text = format!("{router:?}");
    let id = |part: &str| part.split(')').next().unwrap_or("").to_owned();
    let (routes, nodes) = text
        .split_once("node: Node { paths: {")
        .expect("the router's Debug form names its paths");
    let mut methods = std::collections::HashMap::new();
    for part in routes.split("RouteId(").skip(1) {
        if let Some((_, allow)) = part.split_once("allow_header: Bytes(b\"") {
            let allow = allow.split('"').next().unwrap_or("");
            methods.insert(id(part), allow.to_owned());
        }
    }
    let mut served = Vec::new();
    // The paths map is `RouteId(N): "/path"` pairs; whatever follows it is not.
    for part in nodes.split("RouteId(").skip(1) {
        let Some((_, rest)) = part.split_once("): \"") else {
            break;
        };
        let path = rest.split('"').next().unwrap_or("");
        let allow = methods.get(&id(part)).expect("every path has its methods");
        for method in allow.split(',').filter(|m| *m != "HEAD") {
            served.push((method.to_owned(), path.to_owned()));
        }
    }
    served.sort();
    served
}

#[test]
fn the_router_serves_exactly_the_listed_routes_and_pages() {
    let api = Api::new();
    let served = served_routes(&http::router(api.issuer.clone()));
    let mut listed: Vec<(String, String)> = ROUTES
        .iter()
        .chain(xiaoge_issuer::http::pages::PAGES)
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    listed.sort();
    assert!(served.len() > 40, "{served:?}");
    let unlisted: Vec<_> = served.iter().filter(|r| !listed.contains(r)).collect();
    let unserved: Vec<_> = listed.iter().filter(|r| !served.contains(r)).collect();
    assert!(
        unlisted.is_empty() && unserved.is_empty(),
        "served but in neither ROUTES nor PAGES: {unlisted:?}; listed but not served: {unserved:?}"
    );
}
