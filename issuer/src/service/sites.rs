//! The property side: sites with their guides and parking, gates and their enrollment and
//! request signatures, bans (pushed to gates in the signed site bundle) and complaints.

use sha2::{Digest, Sha256};
use xiaoge_pass::api::{EnrollRequest, EnrollResponse};
use xiaoge_pass::gate_auth::{self, EnrollmentToken, GateAuthHeaders};
use xiaoge_pass::keys::{public_key_from_bytes, signature_valid};
use xiaoge_pass::{RiderId, SiteBundle, SiteId, UnixTime};

use super::{DEFAULT_TOKEN_DAYS, Issuer, Secret, SignedList, audit, validate_text};
use crate::error::{IssuerError, Result};
use crate::model::{Actor, Ban, GateCreated, GateInfo, RiderComplaint, Site, SiteInput};
use crate::paging::{self, Page, PageRequest};
use crate::secrets;
use crate::store::{Enrollment, GateRow};

/// Most buildings in one site's guide: as many as its gates' site bundle carries.
pub const MAX_BUILDINGS: usize = xiaoge_pass::site_bundle::MAX_BUILDINGS;
/// Most parking spots at one site.
pub const MAX_PARKING_SPOTS: usize = 200;
/// Positions further than this from the main gate, in metres, are typos.
const MAX_DISTANCE: f64 = 10_000.0;

/// A site bundle as fetched: unchanged since the ETag the gate holds, or signed afresh.
#[derive(Debug)]
pub enum BundleFetch {
    /// The gate's copy is current; the ETag.
    NotModified(String),
    /// A newly signed bundle.
    Fresh(SignedList),
}

fn validate_site(input: &SiteInput) -> Result<()> {
    validate_text(
        "site name",
        &input.name,
        xiaoge_pass::site_bundle::SITE_NAME_MAX_LEN,
    )?;
    for (what, text, max) in [
        ("address", &input.address, 300),
        ("district", &input.district, 50),
    ] {
        if text.len() > max || text.chars().any(char::is_control) {
            return Err(IssuerError::Invalid(format!(
                "{what} {text:?} must be at most {max} bytes of printable text"
            )));
        }
    }
    if input.buildings.len() > MAX_BUILDINGS || input.parking.len() > MAX_PARKING_SPOTS {
        return Err(IssuerError::Invalid(format!(
            "{} buildings and {} parking spots; at most {MAX_BUILDINGS} and {MAX_PARKING_SPOTS}",
            input.buildings.len(),
            input.parking.len()
        )));
    }
    let places = input
        .buildings
        .iter()
        .map(|b| (&b.name, b.x, b.y))
        .chain(input.parking.iter().map(|p| (&p.name, p.x, p.y)));
    for (name, x, y) in places {
        // Building names travel in the site bundle, whose bound this is.
        validate_text(
            "building or parking name",
            name,
            xiaoge_pass::site_bundle::BUILDING_NAME_MAX_LEN,
        )?;
        if !(x.is_finite() && y.is_finite() && x.hypot(y) <= MAX_DISTANCE) {
            return Err(IssuerError::Invalid(format!(
                "{name:?} at ({x}, {y}) must be within {MAX_DISTANCE} m of the main gate"
            )));
        }
    }
    Ok(())
}

impl Issuer {
    /// Adds a site.
    pub fn add_site(&self, input: &SiteInput, now: UnixTime) -> Result<SiteId> {
        validate_site(input)?;
        self.store.insert_site(input, now)
    }

    /// Replaces a site's details, guide and parking.
    pub fn update_site(&self, id: SiteId, input: &SiteInput) -> Result<Site> {
        validate_site(input)?;
        if !self.store.update_site(id, input)? {
            return Err(not_found_site(id));
        }
        self.site(id)
    }

    /// The site with this id.
    pub fn site(&self, id: SiteId) -> Result<Site> {
        self.store.site(id)?.ok_or_else(|| not_found_site(id))
    }

    /// The place URL (场所码) of a site: its QR on the poster, its NFC tag, its page.
    pub fn place_url(&self, id: SiteId) -> Result<String> {
        self.site(id)?;
        Ok(format!(
            "{}/s/{}",
            self.public_url.trim_end_matches('/'),
            id.0
        ))
    }

    /// A page of the sites, in id order.
    pub fn sites(&self, page: &PageRequest) -> Result<Page<Site>> {
        self.store.sites(page)
    }

    /// Adds a gate at `site`; returns its id and its one-time enrollment token, which works
    /// for [`DEFAULT_TOKEN_DAYS`].
    pub fn add_gate(&self, site: SiteId, name: &str, now: UnixTime) -> Result<(u64, String)> {
        self.add_gate_by(Actor::Cli, site, name, DEFAULT_TOKEN_DAYS, now)
            .map(|g| (g.gate_id, g.token))
    }

    /// Adds a gate at `site` as `actor` (recorded in the audit log); its one-time
    /// enrollment token works for `token_days` days.
    pub fn add_gate_by(
        &self,
        actor: Actor,
        site: SiteId,
        name: &str,
        token_days: u32,
        now: UnixTime,
    ) -> Result<GateCreated> {
        validate_text("gate name", name, 200)?;
        let expires_at = super::credentials::token_expiry(token_days, now)?;
        if !self.store.site_exists(site)? {
            return Err(not_found_site(site));
        }
        let (token, hash) = self.new_enrollment_token()?;
        let gate_id = self.store.insert_gate(
            site,
            name,
            &hash,
            expires_at,
            &audit(
                actor,
                "gate.add",
                "",
                format!("{name:?} at site {site}; token expires at {expires_at}"),
                now,
            ),
        )?;
        Ok(GateCreated {
            gate_id,
            token,
            token_expires_at: Some(expires_at),
        })
    }

    /// A new enrollment token for this issuer, and the hash the store keeps of it.
    pub(super) fn new_enrollment_token(&self) -> Result<(String, Vec<u8>)> {
        let token = EnrollmentToken {
            secret: secrets::secret_hex()?,
            root_fingerprint: self.root_fingerprint(),
        };
        let hash = secrets::secret_hash(&token.secret);
        Ok((token.to_string(), hash))
    }

    /// A page of the gates of a site, or of every site, in id order.
    pub fn gates(&self, site: Option<SiteId>, page: &PageRequest) -> Result<Page<GateInfo>> {
        if let Some(site) = site
            && !self.store.site_exists(site)?
        {
            return Err(not_found_site(site));
        }
        self.store.gates(site, page)
    }

    /// Bans a rider from a site; its gates deny the rider after their next sync.
    pub fn ban(&self, site: SiteId, rider: &RiderId, reason: &str, now: UnixTime) -> Result<()> {
        validate_text("ban reason", reason, 500)?;
        self.site_and_rider(site, rider)?;
        self.store.ban(site, rider, reason, now)
    }

    /// Lifts a ban.
    pub fn unban(&self, site: SiteId, rider: &RiderId) -> Result<()> {
        if self.store.unban(site, rider)? {
            Ok(())
        } else {
            Err(IssuerError::NotFound {
                what: "ban",
                id: format!("{rider} at site {site}"),
            })
        }
    }

    /// A page of a site's bans, in rider id order.
    pub fn bans(&self, site: SiteId, page: &PageRequest) -> Result<Page<Ban>> {
        if !self.store.site_exists(site)? {
            return Err(not_found_site(site));
        }
        self.store.bans(site, page)
    }

    /// Records a property's complaint about a rider, which the rider's platform sees in its
    /// conduct report.
    pub fn complain(&self, site: SiteId, complaint: &RiderComplaint, now: UnixTime) -> Result<u64> {
        validate_text("complaint category", &complaint.category, 50)?;
        if complaint.note.len() > 2000 {
            return Err(IssuerError::Invalid(
                "complaint note is longer than 2000 bytes".into(),
            ));
        }
        self.site_and_rider(site, &complaint.rider)?;
        self.store.insert_complaint(site, complaint, now)
    }

    fn site_and_rider(&self, site: SiteId, rider: &RiderId) -> Result<()> {
        if !self.store.site_exists(site)? {
            return Err(not_found_site(site));
        }
        self.rider(rider).map(drop)
    }

    /// Trades a one-time enrollment token for a gate identity bound to the gate's key; an
    /// expired token is refused with [`IssuerError::EnrollmentTokenExpired`].
    pub fn enroll(&self, request: &EnrollRequest, now: UnixTime) -> Result<EnrollResponse> {
        let token: EnrollmentToken = request
            .token
            .parse()
            .map_err(|_| Secret::EnrollmentToken.unknown())?;
        if token.root_fingerprint != self.root_fingerprint() {
            return Err(Secret::EnrollmentToken.unknown());
        }
        let public = hex::decode(&request.public_key)
            .ok()
            .and_then(|b| public_key_from_bytes(&b).ok())
            .ok_or_else(|| {
                IssuerError::Invalid(format!(
                    "public_key {:?} is not 64 hex digits of an Ed25519 key",
                    request.public_key
                ))
            })?;
        // Who enrolls is the gate the token was for; the store fills in the actor and target
        // once it knows which gate that is.
        let record = audit(
            Actor::Cli,
            "gate.enroll",
            "",
            format!("key {}", &request.public_key),
            now,
        );
        let gate = match self.store.enroll_gate(
            &secrets::secret_hash(&token.secret),
            public.as_bytes(),
            &record,
        )? {
            Enrollment::Enrolled(gate) => gate,
            Enrollment::Expired { gate, expired_at } => {
                return Err(IssuerError::EnrollmentTokenExpired {
                    gate,
                    expired_at: expired_at.0,
                });
            }
            Enrollment::Unknown => return Err(Secret::EnrollmentToken.unknown()),
        };
        let site = self.site(gate.site_id)?;
        Ok(EnrollResponse {
            gate_id: gate.id,
            gate_name: gate.name,
            site_id: site.id,
            site_name: site.name,
            issuer: self.name.clone(),
            root_public_key: hex::encode(self.root.public().as_bytes()),
        })
    }

    /// Checks a gate request's signature, time and nonce; returns the gate it comes from.
    pub fn authenticate_gate(
        &self,
        method: &str,
        path_and_query: &str,
        auth: &GateAuthHeaders,
        body: &[u8],
        now: UnixTime,
    ) -> Result<GateRow> {
        let refuse = IssuerError::GateAuth;
        let GateAuthHeaders {
            gate: gate_id,
            time,
            ref nonce,
            ref signature,
        } = *auth;
        let off = now.since(UnixTime(time));
        if off.abs() > gate_auth::MAX_REQUEST_AGE {
            return Err(refuse(format!(
                "request time {time} is {off} s from the issuer's clock {now}; at most {} s is accepted",
                gate_auth::MAX_REQUEST_AGE
            )));
        }
        let gate = self
            .store
            .gate(gate_id)?
            .ok_or_else(|| refuse(format!("gate {gate_id} does not exist")))?;
        // A cut-off gate has no key left to check against: whoever signs as it is refused,
        // and told why, so that a tablet shows "revoked" rather than a signature problem.
        if let (None, Some(at)) = (&gate.public_key, gate.revoked_at) {
            return Err(IssuerError::GateRevoked {
                gate: gate_id,
                at: at.0,
            });
        }
        let public = gate
            .public_key
            .as_deref()
            .and_then(|k| public_key_from_bytes(k).ok())
            .ok_or_else(|| refuse(format!("gate {gate_id} is not enrolled")))?;
        let input = gate_auth::signing_input(method, path_and_query, time, nonce.as_str(), body);
        if !signature_valid(&public, &input, signature) {
            // The tablet a replacement took over from: refused as revoked, so it says so.
            let old_key = gate
                .revoked_key
                .as_deref()
                .and_then(|k| public_key_from_bytes(k).ok());
            if let (Some(old), Some(at)) = (old_key, gate.revoked_at)
                && signature_valid(&old, &input, signature)
            {
                return Err(IssuerError::GateRevoked {
                    gate: gate_id,
                    at: at.0,
                });
            }
            return Err(refuse(format!(
                "signature does not verify with gate {gate_id}'s key"
            )));
        }
        if !self.store.remember_nonce(gate_id, nonce.as_str(), now)? {
            return Err(refuse(format!(
                "nonce {nonce} was already used: a replayed request"
            )));
        }
        self.store
            .forget_nonces(now.plus(-2 * gate_auth::MAX_REQUEST_AGE))?;
        Ok(gate)
    }

    /// The signed bundle of a gate's site, unless it is unchanged since `held_etag`.
    ///
    /// The ETag covers the content and the key that signs it now, not the signing time: an
    /// unchanged site costs a 304, but a gate holding a bundle signed by a key that has since
    /// stopped signing gets a fresh one before that key leaves the trust list.
    pub fn site_bundle(
        &self,
        site: SiteId,
        held_etag: Option<&str>,
        now: UnixTime,
    ) -> Result<BundleFetch> {
        let row = self.site(site)?;
        // In rider id order, as the ETag's hash needs.
        let banned: Vec<RiderId> = paging::every(|page| self.store.bans(site, page))?
            .into_iter()
            .map(|b| b.rider)
            .collect();
        let buildings: Vec<String> = row.buildings.into_iter().map(|b| b.name).collect();
        let platforms = self.store.platform_names()?;
        let key = self.signing_key(now)?;
        let mut content = Sha256::new();
        content.update(key.kid().0);
        content.update(site.0.to_be_bytes());
        content.update(row.name.as_bytes());
        // Each item after a byte naming its list: names and pseudonyms are printable text,
        // whose UTF-8 never holds these bytes, so no two contents hash the same bytes and a
        // changed, added or moved building or platform changes the ETag as a ban does.
        let items = (banned.iter().map(|r| (0, r.as_str())))
            .chain(buildings.iter().map(|b| (1, b.as_str())))
            .chain(platforms.iter().map(|p| (2, p.as_str())));
        for (list, item) in items {
            content.update([list]);
            content.update(item.as_bytes());
        }
        let etag = format!("\"{}\"", hex::encode(&content.finalize()[..16]));
        if held_etag == Some(etag.as_str()) {
            return Ok(BundleFetch::NotModified(etag));
        }
        let bundle = SiteBundle {
            issuer: self.name.clone(),
            issued_at: now,
            site,
            name: row.name,
            banned,
            buildings,
            platforms,
        };
        let bytes = bundle.sign(&key);
        self.check_publishable("site bundle", &bytes, SiteBundle::open)?;
        Ok(BundleFetch::Fresh(SignedList { bytes, etag }))
    }
}

fn not_found_site(id: SiteId) -> IssuerError {
    IssuerError::NotFound {
        what: "site",
        id: id.to_string(),
    }
}
