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
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};
use xiaoge_pass::api::{
    EnrollRequest, EnrollResponse, ErrorBody, UploadOutcome, UploadRequest, UploadResponse,
};
use xiaoge_pass::gate_auth::{self, EnrollmentToken};
use xiaoge_pass::keys::public_key_from_bytes;
use xiaoge_pass::site_bundle::MAX_SITE_BUNDLE_BYTES;
use xiaoge_pass::status_list::MAX_STATUS_LIST_BYTES;
use xiaoge_pass::time_token::{MAX_TIME_TOKEN_BYTES, NONCE_LEN};
use xiaoge_pass::trust_list::MAX_TRUST_LIST_BYTES;
use xiaoge_pass::{
    FormatError, KeyPair, ListError, SiteBundle, StatusList, TimeToken, TrustList, UnixTime,
};

use crate::clock::{self, BootMark, TrustedTime};
use crate::error::{GateError, Result};
use crate::gate::Gate;
use crate::store::{CachedList, Enrollment, ListName, META_CLOCK_OFFSET, META_LAST_SYNC};

/// Entries per upload request.
pub const UPLOAD_BATCH: usize = 500;
/// How long one request to the issuer may take in all, unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest JSON answer read from the issuer.
const MAX_JSON_BYTES: u64 = 4 * 1024 * 1024;

/// What one sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncReport {
    /// Entries the issuer stored for the first time.
    pub uploaded: usize,
    /// Entries the issuer already had (a retried upload).
    pub duplicates: usize,
    /// Entries the issuer refused as breaking the entry rules: kept on the gate with the
    /// issuer's reason and not sent again.
    pub rejected: usize,
    /// Whether a new trust list was installed.
    pub trust_list_updated: bool,
    /// Whether a new status list was installed.
    pub status_list_updated: bool,
    /// Whether a new site bundle (bans) was installed.
    pub site_bundle_updated: bool,
    /// Synced entries older than the policy's retention, deleted from the gate.
    pub purged: usize,
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

/// Who signs a gate request, and when.
#[derive(Clone, Copy)]
struct Signer<'a> {
    gate: u64,
    key: &'a KeyPair,
    now: UnixTime,
}

/// An HTTP client for one issuer.
struct Client {
    agent: ureq::Agent,
    base: String,
    /// Whether a CA file is pinned (only then are Mozilla's roots not trusted).
    pinned: bool,
}

impl Client {
    /// A client trusting `ca` (parsed CA certificates) for the issuer's TLS certificate,
    /// or Mozilla's roots when `None`.
    fn new(base: &str, ca: Option<Vec<Certificate<'static>>>, timeout: Duration) -> Self {
        let pinned = ca.is_some();
        let roots = ca.map_or(RootCerts::WebPki, RootCerts::from);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("xiaoge-gate/", env!("CARGO_PKG_VERSION")))
            .tls_config(
                TlsConfig::builder()
                    .provider(TlsProvider::Rustls)
                    .root_certs(roots)
                    .build(),
            )
            // A pinned CA means nothing if a redirect could take the gate to plain HTTP.
            .https_only(pinned)
            .build()
            .new_agent();
        Self {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            pinned,
        }
    }

    /// The client for an enrolled gate: its issuer, trusting the CA pinned at enrollment.
    fn for_enrollment(enrollment: &Enrollment, timeout: Duration) -> Result<Self> {
        let ca = enrollment
            .issuer_ca_pem
            .as_deref()
            .map(|pem| {
                parse_ca(pem).map_err(|reason| {
                    GateError::Corrupt(format!(
                        "the CA certificates pinned at enrollment: {reason}"
                    ))
                })
            })
            .transpose()?;
        Ok(Self::new(&enrollment.issuer_url, ca, timeout))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn network(&self, path: &str, e: &ureq::Error) -> GateError {
        if let Some(reason) = tls_refusal(e, self.pinned) {
            return GateError::Tls {
                url: self.url(path),
                reason,
            };
        }
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
        signer: &Signer<'_>,
        nonce: [u8; NONCE_LEN],
    ) -> [(&'static str, String); 4] {
        let Signer { gate, key, now } = *signer;
        let nonce = hex::encode(nonce);
        let input = gate_auth::signing_input(method, path, now.0, &nonce, body);
        [
            (gate_auth::GATE_HEADER, gate.to_string()),
            (gate_auth::TIME_HEADER, now.0.to_string()),
            (gate_auth::NONCE_HEADER, nonce),
            (gate_auth::SIGNATURE_HEADER, hex::encode(key.sign(&input))),
        ]
    }

    fn signed_post<T: Serialize>(
        &self,
        path: &str,
        body: &T,
        signer: &Signer<'_>,
    ) -> Result<Vec<u8>> {
        let bytes = serde_json::to_vec(body).map_err(|e| GateError::Corrupt(e.to_string()))?;
        let mut request = self
            .agent
            .post(&self.url(path))
            .header("content-type", "application/json");
        for (name, value) in Self::signature_headers("POST", path, &bytes, signer, random_bytes()?)
        {
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
        signer: Option<(&Signer<'_>, [u8; NONCE_LEN])>,
    ) -> Result<Fetched> {
        let mut request = self.agent.get(&self.url(path));
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        if let Some((signer, nonce)) = signer {
            for (name, value) in Self::signature_headers("GET", path, &[], signer, nonce) {
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
}

/// The rustls error inside a ureq error: ureq returns handshake failures wrapped in I/O
/// errors, and configuration failures as its own variant.
fn rustls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

/// Why a TLS handshake with the issuer failed, in words an operator can act on; `None` when
/// `e` is not about TLS (then it is an ordinary network error).
fn tls_refusal(e: &ureq::Error, pinned: bool) -> Option<String> {
    use rustls::CertificateError as C;
    if let ureq::Error::Tls(what) = e {
        return Some(format!("TLS failed before the handshake: {what}"));
    }
    let r = rustls_error(e)?;
    let plain = match r {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension => {
                if pinned {
                    "the certificate is not signed by the CA pinned at enrollment (--ca-file)"
                } else {
                    "the certificate is not signed by a CA this gate trusts (Mozilla's roots); \
                     for a private CA, enroll with --ca-file"
                }
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the certificate is not valid for the URL's host name"
            }
            C::Expired | C::ExpiredContext { .. } => "the certificate has expired",
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the certificate is not valid yet (is the gate's clock right?)"
            }
            C::Revoked => "the certificate is revoked",
            _ => "the certificate is invalid",
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the server did not answer in TLS (is it plain http:// at an https:// URL?)"
        }
        rustls::Error::NoCertificatesPresented => "the server presented no certificate",
        rustls::Error::AlertReceived(_) => "the server ended the TLS handshake",
        _ => "the TLS handshake failed",
    };
    Some(format!("{plain} ({r})"))
}

/// Reads PEM text into the CA certificates it holds, each checked to be usable as a trust
/// anchor, so that a wrong file is refused at enrollment rather than at every sync.
fn parse_ca(pem: &str) -> std::result::Result<Vec<Certificate<'static>>, String> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem.as_bytes()) {
        match item.map_err(|e| format!("not readable as PEM: {e}"))? {
            PemItem::Certificate(c) => certs.push(c),
            PemItem::PrivateKey(_) => {
                return Err("holds a private key: give only the CA's certificate".into());
            }
            // Other blocks (CRLs, CSRs) are no roots; a file that holds nothing but them
            // is refused below for holding no certificate.
            _ => {}
        }
    }
    if certs.is_empty() {
        return Err("holds no PEM CERTIFICATE block".into());
    }
    for (i, cert) in certs.iter().enumerate() {
        rustls::RootCertStore::empty()
            .add(rustls::pki_types::CertificateDer::from(cert.der()))
            .map_err(|e| format!("certificate {} is not a usable CA certificate: {e}", i + 1))?;
    }
    Ok(certs)
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| GateError::Random(e.to_string()))?;
    Ok(out)
}

/// Enrolls a new gate in `dir` with the issuer at `issuer_url`, then syncs its lists.
/// The issuer's TLS certificate, for an `https://` URL, is checked against Mozilla's roots.
pub fn enroll(
    dir: &Path,
    issuer_url: &str,
    token: &str,
    timeout: Duration,
    now: UnixTime,
) -> Result<Gate> {
    enroll_with_ca(dir, issuer_url, token, None, timeout, now)
}

/// Enrolls like [`enroll`], pinning the CA certificates in the PEM file `ca_file` when
/// given: they are kept in the gate's state and, for this and every later sync, are the only
/// roots trusted for the issuer's TLS certificate (a private PKI). This is on top of the
/// root-key fingerprint in the token, which authenticates the lists whatever TLS says.
pub fn enroll_with_ca(
    dir: &Path,
    issuer_url: &str,
    token: &str,
    ca_file: Option<&Path>,
    timeout: Duration,
    now: UnixTime,
) -> Result<Gate> {
    let parsed: EnrollmentToken = token
        .parse()
        .map_err(|_| GateError::BadToken(token.chars().count()))?;
    if dir.join(crate::gate::DB_FILE).exists() {
        return Err(GateError::AlreadyEnrolled);
    }
    let ca = ca_file
        .map(|path| read_ca_file(path, issuer_url))
        .transpose()?;
    let key = KeyPair::from_seed(random_bytes()?);
    let client = Client::new(
        issuer_url,
        ca.as_ref().map(|(_, certs)| certs.clone()),
        timeout,
    );
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
        issuer_ca_pem: ca.map(|(pem, _)| pem),
        root_public_key: root_bytes,
        gate_seed: key.seed(),
        enrolled_at: now,
    };
    drop(Gate::create(dir, &enrollment)?);
    let mut gate = Gate::open(dir)?;
    sync(&mut gate, timeout, now)?;
    Ok(gate)
}

/// Reads and checks the CA file to pin for `issuer_url`: its PEM text and certificates.
fn read_ca_file(path: &Path, issuer_url: &str) -> Result<(String, Vec<Certificate<'static>>)> {
    let refuse = |reason: String| GateError::CaFile {
        path: path.to_owned(),
        reason,
    };
    if !issuer_url.starts_with("https://") {
        return Err(refuse(format!(
            "a CA file pins the issuer's TLS certificate, but {issuer_url} is not an https:// URL"
        )));
    }
    let pem = std::fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?;
    let certs = parse_ca(&pem).map_err(refuse)?;
    Ok((pem, certs))
}

/// Pushes every un-synced entry, then pulls the lists and the issuer's time.
///
/// The upload goes first so that entries leave the gate even when a list fails to verify.
/// An error stops the sync at that step; what was done before it stays done.
pub fn sync(gate: &mut Gate, timeout: Duration, now: UnixTime) -> Result<SyncReport> {
    let enrollment = gate.enrollment().clone();
    let client = Client::for_enrollment(&enrollment, timeout)?;
    let key = KeyPair::from_seed(enrollment.gate_seed);
    let signer = Signer {
        gate: enrollment.gate_id,
        key: &key,
        now,
    };
    let mut report = SyncReport::default();

    loop {
        let batch = gate
            .store()
            .unsynced(enrollment.gate_id, enrollment.site_id, UPLOAD_BATCH)?;
        if batch.is_empty() {
            break;
        }
        let request = UploadRequest {
            entries: batch.clone(),
        };
        let body = client.signed_post("/v1/gate/entries", &request, &signer)?;
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
        let mut rejected = Vec::new();
        for r in answer
            .results
            .iter()
            .filter(|r| acknowledged.contains(&r.id))
        {
            match r.outcome {
                UploadOutcome::Stored => report.uploaded += 1,
                UploadOutcome::Duplicate => report.duplicates += 1,
                UploadOutcome::Rejected => {
                    report.rejected += 1;
                    let why = r.error.as_ref().map_or("rejected", |e| e.message.as_str());
                    rejected.push((r.id, why.to_owned()));
                }
            }
        }
        // A rejected entry is done: sending it again would be refused again and hold up
        // every entry behind it. It stays on the gate with the reason, never purged.
        gate.store_mut().mark_rejected(&rejected, now)?;
        gate.store_mut().mark_synced(&acknowledged, now)?;
    }
    let keep = gate.policy().keep_synced_days;
    report.purged = gate.store().purge_synced(now.plus(-keep * 86_400))?;
    gate.store().forget_seen_codes(now.plus(-86_400))?;

    let root = public_key_from_bytes(&enrollment.root_public_key)
        .map_err(|e| GateError::Corrupt(format!("pinned root key: {e}")))?;
    report.trust_list_updated = refresh_list(&client, gate, ListName::Trust, &signer, |bytes| {
        TrustList::open(bytes, &root).map(|l| l.issued_at)
    })?;
    let trust_list = gate
        .trust_list()
        .cloned()
        .ok_or_else(|| GateError::Corrupt("the stored trust list does not verify".into()))?;
    report.status_list_updated = refresh_list(&client, gate, ListName::Status, &signer, |bytes| {
        StatusList::open(bytes, &trust_list).map(|l| l.issued_at)
    })?;
    let site = enrollment.site_id;
    report.site_bundle_updated = refresh_list(&client, gate, ListName::Site, &signer, |bytes| {
        let bundle = SiteBundle::open(bytes, &trust_list)?;
        if bundle.site != site {
            return Err(ListError::Format(FormatError::Invalid {
                field: "site bundle site",
                expected: "this gate's own site",
            }));
        }
        Ok(bundle.issued_at)
    })?;

    // The issuer's signed time, bound to this request's nonce, becomes the trusted time; the
    // boot clock is read on both sides of the request and its middle taken.
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let before = clock::boot_mark();
    let Fetched::Fresh { bytes, .. } = client.get_list(
        "/v1/gate/time",
        None,
        MAX_TIME_TOKEN_BYTES,
        Some((&signer, nonce)),
    )?
    else {
        return Err(GateError::Issuer {
            url: client.url("/v1/gate/time"),
            status: 304,
            code: "not_modified".into(),
            message: "a time token is never cached".into(),
        });
    };
    let after = clock::boot_mark();
    let token = TimeToken::open(&bytes, &trust_list).map_err(|source| GateError::List {
        which: "time token",
        source,
    })?;
    if token.nonce != nonce {
        return Err(GateError::List {
            which: "time token",
            source: ListError::Format(FormatError::Invalid {
                field: "time token cti",
                expected: "the nonce of this request",
            }),
        });
    }
    let boot = match (before, after) {
        (Some(b), Some(a)) if a.boot_id == b.boot_id => Some(BootMark {
            seconds: (a.seconds + b.seconds) / 2.0,
            boot_id: a.boot_id,
        }),
        _ => None,
    };
    gate.set_trusted_time(&TrustedTime {
        server: token.time,
        boot,
    })?;
    let offset = token.time.since(now);
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
    signer: &Signer<'_>,
    open: impl FnOnce(&[u8]) -> Result<UnixTime, ListError>,
) -> Result<bool> {
    let now = signer.now;
    let (path, limit, which) = match name {
        ListName::Trust => ("/v1/trust-list", MAX_TRUST_LIST_BYTES, "trust list"),
        ListName::Status => ("/v1/status-list", MAX_STATUS_LIST_BYTES, "status list"),
        ListName::Site => ("/v1/gate/site-bundle", MAX_SITE_BUNDLE_BYTES, "site bundle"),
    };
    // Only the site bundle says which gate asks: the lists are public.
    let signer = match name {
        ListName::Site => Some((signer, random_bytes()?)),
        ListName::Trust | ListName::Status => None,
    };
    let held = gate.store().list(name)?;
    // A held copy that no longer verifies (its signing key left the trust list) is asked
    // for afresh: its ETag would only bring a 304 and keep the gate failing closed.
    let etag = held
        .as_ref()
        .filter(|_| gate.verifies(name))
        .and_then(|l| l.etag.as_deref());
    let fetched = client.get_list(path, etag, limit, signer)?;
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
    gate.reload()?;
    Ok(true)
}

/// When the background sync runs.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Pause after a successful sync.
    pub interval: Duration,
    /// Only sync inside this daily window (local time), if set.
    pub window: Option<Window>,
    /// How long one request may take.
    pub timeout: Duration,
    /// The longest pause after failures.
    pub max_backoff: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(300),
            window: None,
            timeout: DEFAULT_TIMEOUT,
            max_backoff: Duration::from_secs(1800),
        }
    }
}

/// A daily window of local time, such as `01:00-05:00` (it may run past midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    start: u32,
    end: u32,
}

impl std::str::FromStr for Window {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("window {s:?} is not HH:MM-HH:MM"))?;
        match (minutes(a), minutes(b)) {
            (Some(start), Some(end)) if start != end => Ok(Self { start, end }),
            _ => Err(format!(
                "window {s:?} is not HH:MM-HH:MM with two different times"
            )),
        }
    }
}

impl Window {
    /// Whether `minute_of_day` (0..1440, local time) falls in the window.
    #[must_use]
    pub fn contains(self, minute_of_day: u32) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute_of_day)
        } else {
            minute_of_day >= self.start || minute_of_day < self.end
        }
    }
}

/// What the background sync did, for whoever shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorkerEvent {
    /// A sync completed.
    Synced {
        /// What it did.
        report: SyncReport,
    },
    /// A sync failed; the next try is after `retry_in_s`.
    Failed {
        /// Why, in words.
        error: String,
        /// What kind of failure, for the guard.
        failure: SyncFailure,
        /// Seconds until the next try.
        retry_in_s: u64,
    },
    /// Outside the window: the next sync waits for it.
    OutsideWindow,
}

/// What kind of failure a sync met, as the guard must tell them apart: one passes by
/// itself, one only the operator can end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncFailure {
    /// The issuer was not reached, or its certificate was refused: it may come back.
    Unreachable,
    /// The issuer refuses this gate's key (`gate revoke` or `gate replace`): it will never
    /// sync again until it is enrolled anew.
    GateRevoked,
    /// Anything else; the words say what.
    Other,
}

impl SyncFailure {
    /// The kind of `error`.
    #[must_use]
    pub fn of(error: &GateError) -> Self {
        match error {
            GateError::Network { .. } | GateError::Tls { .. } => Self::Unreachable,
            GateError::Issuer { code, .. } if code == "gate_revoked" => Self::GateRevoked,
            _ => Self::Other,
        }
    }
}

/// The pause after `failures` failures in a row: doubling from 5 s up to `max`, with a
/// ±25 % jitter so that a city's gates do not all return at once after an outage.
#[must_use]
pub fn backoff(failures: u32, max: Duration) -> Duration {
    let base = Duration::from_secs(5).saturating_mul(1 << failures.saturating_sub(1).min(16));
    let pause = base.min(max);
    let jitter = random_bytes::<2>().map_or(0, u16::from_le_bytes);
    pause.mul_f64(0.75 + f64::from(jitter) / f64::from(u16::MAX) * 0.5)
}

/// Syncs `dir`'s gate on `schedule` until `stop` is set, telling `events` what happens.
///
/// Runs on its own connection: verification never waits for it, and a gate checking codes
/// beside it notices new lists through the database's data version.
pub fn run_worker(
    dir: &Path,
    schedule: &Schedule,
    stop: &std::sync::atomic::AtomicBool,
    wake: &std::sync::atomic::AtomicBool,
    mut events: impl FnMut(WorkerEvent),
) {
    use std::sync::atomic::Ordering;
    let mut failures = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let in_window = schedule.window.is_none_or(|w| {
            use chrono::Timelike;
            let now = chrono::Local::now();
            w.contains(now.hour() * 60 + now.minute())
        });
        let pause = if in_window {
            let result = Gate::open(dir)
                .and_then(|mut gate| sync(&mut gate, schedule.timeout, clock::read().wall));
            match result {
                Ok(report) => {
                    failures = 0;
                    events(WorkerEvent::Synced { report });
                    schedule.interval
                }
                Err(e) => {
                    failures += 1;
                    let failure = SyncFailure::of(&e);
                    // A revoked gate asks again only rarely: its answer will not change.
                    let pause = if failure == SyncFailure::GateRevoked {
                        schedule.max_backoff
                    } else {
                        backoff(failures, schedule.max_backoff)
                    };
                    events(WorkerEvent::Failed {
                        error: e.to_string(),
                        failure,
                        retry_in_s: pause.as_secs(),
                    });
                    pause
                }
            }
        } else {
            events(WorkerEvent::OutsideWindow);
            Duration::from_secs(60)
        };
        let until = std::time::Instant::now() + pause;
        while std::time::Instant::now() < until
            && !stop.load(Ordering::Relaxed)
            && !wake.swap(false, Ordering::Relaxed)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A background sync on its own thread, stopped when dropped.
pub struct Worker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    wake: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts syncing `dir`'s gate on `schedule`, sending what happens to `events`.
    pub fn spawn(
        dir: &Path,
        schedule: Schedule,
        events: std::sync::mpsc::Sender<WorkerEvent>,
    ) -> Result<Self> {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let wake = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (stop_flag, wake_flag) = (std::sync::Arc::clone(&stop), std::sync::Arc::clone(&wake));
        let dir = dir.to_owned();
        let thread = std::thread::Builder::new()
            .name("gate-sync".into())
            .spawn(move || {
                run_worker(&dir, &schedule, &stop_flag, &wake_flag, |event| {
                    let _ = events.send(event);
                });
            })
            .map_err(|e| GateError::io("starting the sync thread", e))?;
        Ok(Self {
            stop,
            wake,
            thread: Some(thread),
        })
    }

    /// Syncs as soon as the current pause allows, instead of waiting it out.
    pub fn sync_now(&self) {
        self.wake.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed P-256 CA certificate (openssl), only ever parsed here.
    const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBnjCCAUSgAwIBAgIUTb/xwktGIe64Bk6zMPw+GPKnLYwwCgYIKoZIzj0EAwIw\nHjEcMBoGA1UEAwwTeGlhb2dlIHVuaXQtdGVzdCBDQTAeFw0yNjEyMDEyMTQ3NDJa\nFw0zNjExMjgyMTQ3NDJaMB4xHDAaBgNVBAMME3hpYW9nZSB1bml0LXRlc3QgQ0Ew\nWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATwLDhOg/Ggq0jilVKCicLAqOvjwdgE\n7EMO+cf4on9Ka91a4YM2Di+iKylc2fh3z9DHj1f61/UFobrZe/C4xu9Ho2AwXjAd\nBgNVHQ4EFgQUQlSJ/TlkiDdSiL/iSqq+Mk0m+TkwHwYDVR0jBBgwFoAUQlSJ/Tlk\niDdSiL/iSqq+Mk0m+TkwDwYDVR0TAQH/BAUwAwEB/zALBgNVHQ8EBAMCAgQwCgYI\nKoZIzj0EAwIDSAAwRQIhAPjnpRrDSvzIJGjq6GUC8t5BWBwlHorZ2mmWsBgMcB5o\nAiA+M3XuQhZ58ANqYoXnJfvFzkZwl8lirLpRBlyjAqESqA==\n-----END CERTIFICATE-----\n";

    #[test]
    fn a_ca_file_must_hold_a_ca_certificate_and_no_key() {
        assert_eq!(parse_ca(TEST_CA).unwrap().len(), 1);
        assert!(
            parse_ca("not PEM at all\n")
                .unwrap_err()
                .contains("CERTIFICATE")
        );
        let with_key = format!(
            "{TEST_CA}-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
        );
        assert!(parse_ca(&with_key).unwrap_err().contains("private key"));
    }

    #[test]
    fn rustls_refusals_say_what_was_wrong_and_other_errors_stay_network_errors() {
        let unknown = || rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let pinned = tls_refusal(&ureq::Error::Rustls(unknown()), true).unwrap();
        assert!(pinned.contains("pinned at enrollment"), "{pinned}");
        // Handshake failures arrive wrapped in an I/O error.
        let wrapped = ureq::Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            unknown(),
        ));
        let public = tls_refusal(&wrapped, false).unwrap();
        assert!(public.contains("--ca-file"), "{public}");
        let refused = ureq::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(tls_refusal(&refused, true).is_none());
    }

    #[test]
    fn windows_may_run_past_midnight() {
        let night: Window = "23:30-05:00".parse().unwrap();
        assert!(night.contains(23 * 60 + 45));
        assert!(night.contains(60));
        assert!(!night.contains(12 * 60));
        let day: Window = "01:00-05:00".parse().unwrap();
        assert!(day.contains(60) && !day.contains(5 * 60));
        assert!("25:00-01:00".parse::<Window>().is_err());
        assert!("01:00".parse::<Window>().is_err());
        assert!("01:00-01:00".parse::<Window>().is_err());
    }

    #[test]
    fn backoff_doubles_up_to_the_ceiling_with_jitter() {
        let max = Duration::from_secs(1800);
        let first = backoff(1, max);
        assert!((3.75..=6.25).contains(&first.as_secs_f64()), "{first:?}");
        let fourth = backoff(4, max);
        assert!((30.0..=50.0).contains(&fourth.as_secs_f64()), "{fourth:?}");
        let many = backoff(40, max);
        assert!(
            many <= max.mul_f64(1.25) && many >= max.mul_f64(0.75),
            "{many:?}"
        );
    }
}
