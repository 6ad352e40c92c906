//! Talking to the issuer: `enroll`, then `sync` (push the entry outbox, pull the lists, the
//! site bundle and the issuer's time), over `client`, on the `worker`'s schedule.
//! Verification never waits for any of this.
//!
//! Every request after enrollment is signed with the gate's own key (docs/FORMAT.md, "Gate
//! request signature"). Lists are verified before they replace the cached ones, and an older
//! list never replaces a newer one, so a hostile network can delay updates but not forge or
//! roll them back.

use std::time::Duration;

use serde::Serialize;
use xiaoge_pass::api::{UploadOutcome, UploadRequest, UploadResponse};
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
use crate::store::{CachedList, ListName, META_CLOCK_OFFSET, META_LAST_SYNC};

mod client;
mod enroll;
mod worker;

pub use enroll::{enroll, enroll_with_ca};
pub use worker::{Schedule, SyncFailure, Window, Worker, WorkerEvent, backoff, run_worker};

use client::{Client, Fetched, Signer, random_bytes};

/// Entries per upload request.
pub const UPLOAD_BATCH: usize = 500;
/// How long one request to the issuer may take in all, unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

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
