//! Talking to the issuer: enrollment, then sync (push the entry outbox, pull the lists, the
//! site bundle and the issuer's time). Verification never waits for any of this.
//!
//! Every request after enrollment is signed with the gate's own key (docs/FORMAT.md, "Gate
//! request signature"). Lists are verified before they replace the cached ones, and an older
//! list never replaces a newer one, so a hostile network can delay updates but not forge or
//! roll them back.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use xiaoge_pass::api::{
    EnrollRequest, EnrollResponse, ErrorBody, TimeResponse, UploadRequest, UploadResponse,
};
use xiaoge_pass::gate_auth::{self, EnrollmentToken};
use xiaoge_pass::keys::public_key_from_bytes;
use xiaoge_pass::site_bundle::MAX_SITE_BUNDLE_BYTES;
use xiaoge_pass::status_list::MAX_STATUS_LIST_BYTES;
use xiaoge_pass::trust_list::MAX_TRUST_LIST_BYTES;
use xiaoge_pass::{KeyPair, ListError, SiteBundle, StatusList, TrustList, UnixTime};

use crate::error::{GateError, Result};
use crate::gate::Gate;
use crate::store::{CachedList, Enrollment, ListName, META_CLOCK_OFFSET, META_LAST_SYNC};

/// Entries per upload request.
pub const UPLOAD_BATCH: usize = 500;
/// How long one request to the issuer may take in all.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest JSON answer read from the issuer.
const MAX_JSON_BYTES: u64 = 4 * 1024 * 1024;

/// What one sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncReport {
    /// Entries the issuer stored for the first time.
    pub uploaded: usize,
    /// Entries the issuer already had (a retried upload).
    pub duplicates: usize,
    /// Whether a new trust list was installed.
    pub trust_list_updated: bool,
    /// Whether a new status list was installed.
    pub status_list_updated: bool,
    /// Whether a new site bundle (bans) was installed.
    pub site_bundle_updated: bool,
    /// The issuer's clock minus the gate's, in seconds.
    pub clock_offset: Option<i64>,
}

enum Fetched {
    NotModified,
    Fresh {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
}

/// An HTTP client for one issuer.
struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .user_agent(concat!("xiaoge-gate/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Self {
            agent,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn network(&self, path: &str, e: &ureq::Error) -> GateError {
        GateError::Network {
            url: self.url(path),
            reason: e.to_string(),
        }
    }

    /// Reads a response: the body on 2xx, a typed error otherwise.
    fn finish(
        &self,
        path: &str,
        mut response: ureq::http::Response<ureq::Body>,
        limit: u64,
    ) -> Result<(u16, Vec<u8>, Option<String>)> {
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| self.network(path, &e))?;
        if (200..300).contains(&status) || status == 304 {
            return Ok((status, body, etag));
        }
        let (code, message) = serde_json::from_slice::<ErrorBody>(&body).map_or_else(
            |_| {
                (
                    "unexpected".to_owned(),
                    String::from_utf8_lossy(&body).chars().take(200).collect(),
                )
            },
            |b| (b.error.code, b.error.message),
        );
        Err(GateError::Issuer {
            url: self.url(path),
            status,
            code,
            message,
        })
    }

    fn post_json<T: Serialize>(&self, path: &str, body: &T) -> Result<Vec<u8>> {
        let bytes = serde_json::to_vec(body).map_err(|e| GateError::Corrupt(e.to_string()))?;
        let response = self
            .agent
            .post(&self.url(path))
            .header("content-type", "application/json")
            .send(&bytes[..])
            .map_err(|e| self.network(path, &e))?;
        Ok(self.finish(path, response, MAX_JSON_BYTES)?.1)
    }

    /// The four headers that sign a request as `gate` (docs/FORMAT.md).
    fn signature_headers(
        method: &str,
        path: &str,
        body: &[u8],
        gate: u64,
        key: &KeyPair,
        now: UnixTime,
    ) -> Result<[(&'static str, String); 4]> {
        let nonce = hex::encode(random_bytes::<16>()?);
        let input = gate_auth::signing_input(method, path, now.0, &nonce, body);
        Ok([
            (gate_auth::GATE_HEADER, gate.to_string()),
            (gate_auth::TIME_HEADER, now.0.to_string()),
            (gate_auth::NONCE_HEADER, nonce),
            (gate_auth::SIGNATURE_HEADER, hex::encode(key.sign(&input))),
        ])
    }

    fn signed_post<T: Serialize>(
        &self,
        path: &str,
        body: &T,
        gate: u64,
        key: &KeyPair,
        now: UnixTime,
    ) -> Result<Vec<u8>> {
        let bytes = serde_json::to_vec(body).map_err(|e| GateError::Corrupt(e.to_string()))?;
        let mut request = self
            .agent
            .post(&self.url(path))
            .header("content-type", "application/json");
        for (name, value) in Self::signature_headers("POST", path, &bytes, gate, key, now)? {
            request = request.header(name, value);
        }
        let response = request
            .send(&bytes[..])
            .map_err(|e| self.network(path, &e))?;
        Ok(self.finish(path, response, MAX_JSON_BYTES)?.1)
    }

    /// Fetches a signed object, with `If-None-Match` when one is held, signing the request
    /// as `signer` when the endpoint wants to know which gate asks.
    fn get_list(
        &self,
        path: &str,
        etag: Option<&str>,
        limit: usize,
        signer: Option<(u64, &KeyPair, UnixTime)>,
    ) -> Result<Fetched> {
        let mut request = self.agent.get(&self.url(path));
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        if let Some((gate, key, now)) = signer {
            for (name, value) in Self::signature_headers("GET", path, &[], gate, key, now)? {
                request = request.header(name, value);
            }
        }
        let response = request.call().map_err(|e| self.network(path, &e))?;
        let (status, bytes, etag) = self.finish(path, response, limit as u64)?;
        Ok(if status == 304 {
            Fetched::NotModified
        } else {
            Fetched::Fresh { bytes, etag }
        })
    }

    fn time(&self) -> Result<UnixTime> {
        let path = "/v1/time";
        let response = self
            .agent
            .get(&self.url(path))
            .call()
            .map_err(|e| self.network(path, &e))?;
        let (_, body, _) = self.finish(path, response, 1024)?;
        let time: TimeResponse = serde_json::from_slice(&body).map_err(|e| GateError::Issuer {
            url: self.url(path),
            status: 200,
            code: "bad_json".into(),
            message: e.to_string(),
        })?;
        Ok(time.now)
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| GateError::Random(e.to_string()))?;
    Ok(out)
}

/// Enrolls a new gate in `dir` with the issuer at `issuer_url`, then syncs its lists.
pub fn enroll(dir: &Path, issuer_url: &str, token: &str, now: UnixTime) -> Result<Gate> {
    let parsed: EnrollmentToken = token
        .parse()
        .map_err(|_| GateError::BadToken(token.chars().count()))?;
    if dir.join(crate::gate::DB_FILE).exists() {
        return Err(GateError::AlreadyEnrolled);
    }
    let key = KeyPair::from_seed(random_bytes()?);
    let client = Client::new(issuer_url);
    let body = client.post_json(
        "/v1/gates/enroll",
        &EnrollRequest {
            token: parsed.to_string(),
            public_key: hex::encode(key.public().as_bytes()),
        },
    )?;
    let response: EnrollResponse =
        serde_json::from_slice(&body).map_err(|e| GateError::Issuer {
            url: client.url("/v1/gates/enroll"),
            status: 200,
            code: "bad_json".into(),
            message: e.to_string(),
        })?;
    let root_bytes = hex::decode(&response.root_public_key).unwrap_or_default();
    let root = public_key_from_bytes(&root_bytes).map_err(|e| GateError::List {
        which: "root key",
        source: ListError::Format(e),
    })?;
    let found = gate_auth::root_fingerprint(&root);
    if found != parsed.root_fingerprint {
        return Err(GateError::RootMismatch {
            expected: parsed.root_fingerprint,
            found,
        });
    }
    let enrollment = Enrollment {
        gate_id: response.gate_id,
        gate_name: response.gate_name,
        site_id: response.site_id,
        site_name: response.site_name,
        issuer_url: client.base.clone(),
        issuer_name: response.issuer,
        root_public_key: root_bytes,
        gate_seed: key.seed(),
        enrolled_at: now,
    };
    drop(Gate::create(dir, &enrollment)?);
    let mut gate = Gate::open(dir)?;
    sync(&mut gate, now)?;
    Ok(gate)
}

/// Pushes every un-synced entry, then pulls the lists and the issuer's time.
///
/// The upload goes first so that entries leave the gate even when a list fails to verify.
/// An error stops the sync at that step; what was done before it stays done.
pub fn sync(gate: &mut Gate, now: UnixTime) -> Result<SyncReport> {
    let enrollment = gate.enrollment().clone();
    let client = Client::new(&enrollment.issuer_url);
    let key = KeyPair::from_seed(enrollment.gate_seed);
    let mut report = SyncReport::default();

    loop {
        let batch = gate
            .store()
            .unsynced(enrollment.gate_id, enrollment.site_id, UPLOAD_BATCH)?;
        if batch.is_empty() {
            break;
        }
        let body = client.signed_post(
            "/v1/gate/entries",
            &UploadRequest {
                entries: batch.clone(),
            },
            enrollment.gate_id,
            &key,
            now,
        )?;
        let answer: UploadResponse =
            serde_json::from_slice(&body).map_err(|e| GateError::Issuer {
                url: client.url("/v1/gate/entries"),
                status: 200,
                code: "bad_json".into(),
                message: e.to_string(),
            })?;
        // Only ids the issuer answered for are marked; anything else is retried next time.
        let acknowledged: Vec<_> = answer
            .results
            .iter()
            .filter(|r| batch.iter().any(|e| e.id == r.id))
            .map(|r| r.id)
            .collect();
        if acknowledged.is_empty() {
            break;
        }
        for r in answer
            .results
            .iter()
            .filter(|r| acknowledged.contains(&r.id))
        {
            match r.outcome {
                xiaoge_pass::api::UploadOutcome::Stored => report.uploaded += 1,
                xiaoge_pass::api::UploadOutcome::Duplicate => report.duplicates += 1,
            }
        }
        gate.store_mut().mark_synced(&acknowledged, now)?;
    }

    let root = public_key_from_bytes(&enrollment.root_public_key)
        .map_err(|e| GateError::Corrupt(format!("pinned root key: {e}")))?;
    report.trust_list_updated = refresh_list(&client, gate, ListName::Trust, now, |bytes| {
        TrustList::open(bytes, &root).map(|l| l.issued_at)
    })?;
    let trust_list = gate
        .trust_list()
        .cloned()
        .ok_or_else(|| GateError::Corrupt("the stored trust list does not verify".into()))?;
    report.status_list_updated = refresh_list(&client, gate, ListName::Status, now, |bytes| {
        StatusList::open(bytes, &trust_list).map(|l| l.issued_at)
    })?;
    let site = enrollment.site_id;
    report.site_bundle_updated = refresh_list(&client, gate, ListName::Site, now, |bytes| {
        let bundle = SiteBundle::open(bytes, &trust_list)?;
        if bundle.site != site {
            return Err(ListError::Format(xiaoge_pass::FormatError::Invalid {
                field: "site bundle site",
                expected: "this gate's own site",
            }));
        }
        Ok(bundle.issued_at)
    })?;

    let server_now = client.time()?;
    let offset = server_now.since(now);
    report.clock_offset = Some(offset);
    gate.store()
        .set_meta(META_CLOCK_OFFSET, &offset.to_string())?;
    gate.store().set_meta(META_LAST_SYNC, &now.0.to_string())?;
    Ok(report)
}

/// Fetches one list unless the issuer says it is unchanged; installs it only once `open` has
/// verified it and it is not older than the one held. Returns whether a new list went in.
fn refresh_list(
    client: &Client,
    gate: &mut Gate,
    name: ListName,
    now: UnixTime,
    open: impl FnOnce(&[u8]) -> Result<UnixTime, ListError>,
) -> Result<bool> {
    let (path, limit, which) = match name {
        ListName::Trust => ("/v1/trust-list", MAX_TRUST_LIST_BYTES, "trust list"),
        ListName::Status => ("/v1/status-list", MAX_STATUS_LIST_BYTES, "status list"),
        ListName::Site => ("/v1/gate/site-bundle", MAX_SITE_BUNDLE_BYTES, "site bundle"),
    };
    let key = KeyPair::from_seed(gate.enrollment().gate_seed);
    // Only the site bundle says which gate asks: the lists are public.
    let signer = (name == ListName::Site).then_some((gate.enrollment().gate_id, &key, now));
    let held = gate.store().list(name)?;
    let fetched = client.get_list(
        path,
        held.as_ref().and_then(|l| l.etag.as_deref()),
        limit,
        signer,
    )?;
    let Fetched::Fresh { bytes, etag } = fetched else {
        gate.store().touch_list(name, now)?;
        return Ok(false);
    };
    let issued_at = open(&bytes).map_err(|source| GateError::List { which, source })?;
    if let Some(h) = held.as_ref().filter(|h| issued_at < h.issued_at) {
        return Err(GateError::List {
            which,
            source: ListError::Rollback {
                offered: issued_at,
                held: h.issued_at,
            },
        });
    }
    let list = CachedList {
        bytes,
        issued_at,
        etag,
        fetched_at: now,
    };
    gate.store().set_list(name, &list)?;
    gate.reload_trust()?;
    Ok(true)
}
