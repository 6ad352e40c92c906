//! Riders asking for help about a site (投诉求助), closed by the property or the regulator;
//! the dashboard's sessions and figures.

use serde::Serialize;
use xiaoge_pass::{SiteId, UnixTime};

use super::{Issuer, Stats, validate_text};
use crate::error::{IssuerError, Result};
use crate::model::{Admin, HelpRequest, NewHelpRequest, SiteDenials, SiteGap};
use crate::paging::{Page, PageRequest};
use crate::secrets;
use crate::store::HelpLimits;

/// How long a dashboard session lasts.
pub const ADMIN_SESSION_TTL: i64 = 12 * 3600;
/// Longest note a rider may write.
pub const HELP_NOTE_MAX: usize = 1000;
/// How many help requests may be filed: per rider a day, per site an hour.
pub const HELP_LIMITS: HelpLimits = HelpLimits {
    per_rider: 5,
    per_site: 60,
};
/// How many sites the dashboard's site tables show at most.
const SITE_ROWS: u32 = 50;
/// Days the dashboard's denial figures cover.
const DENIAL_DAYS: i64 = 30;

/// Everything the regulator's dashboard shows.
#[derive(Clone, Debug, Serialize)]
pub struct Dashboard {
    /// The regulator's figures.
    pub stats: Stats,
    /// Sites by denials over the last 30 days, most first.
    pub denials_by_site: Vec<SiteDenials>,
    /// Sites without a building guide or parking.
    pub sites_missing: Vec<SiteGap>,
    /// A page of the open help requests, newest first.
    pub open_help: Page<HelpRequest>,
}

impl Issuer {
    /// Files a request for help from the rider of a live session; returns its id.
    pub fn ask_for_help(
        &self,
        session_token: &str,
        request: &NewHelpRequest,
        now: UnixTime,
    ) -> Result<u64> {
        let session = self.session(session_token, now)?;
        let note = request.note.trim();
        if note.len() > HELP_NOTE_MAX
            || note
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(IssuerError::Invalid(format!(
                "a note is at most {HELP_NOTE_MAX} bytes of text; this one is {} bytes",
                note.len()
            )));
        }
        self.site(request.site)?;
        let request = NewHelpRequest {
            note: note.to_owned(),
            ..request.clone()
        };
        self.store
            .insert_help_request(&session.rider.id, &request, HELP_LIMITS, now)
    }

    /// A page of help requests, newest first; only open ones if `open_only`.
    pub fn help_requests(
        &self,
        open_only: bool,
        site: Option<SiteId>,
        page: &PageRequest,
    ) -> Result<Page<HelpRequest>> {
        self.store.help_requests(open_only, site, page)
    }

    /// Closes a help request with what was done about it, as `by`: a property closes only
    /// its own site's requests (another site's are "not found" to it).
    pub fn close_help_request(
        &self,
        id: u64,
        resolution: &str,
        by: &Admin,
        now: UnixTime,
    ) -> Result<HelpRequest> {
        let resolution = resolution.trim();
        validate_text("resolution", resolution, 500)?;
        let not_found = || IssuerError::NotFound {
            what: "help request",
            id: id.to_string(),
        };
        self.store
            .help_request(id)?
            .filter(|r| by.site.is_none_or(|site| site == r.site))
            .ok_or_else(not_found)?;
        if !self.store.close_help_request(id, resolution, now)? {
            return Err(IssuerError::Conflict(format!(
                "help request {id} is already closed"
            )));
        }
        self.store.help_request(id)?.ok_or_else(not_found)
    }

    /// Trades an admin token for a dashboard session; returns the session token and the
    /// admin token's name.
    pub fn start_admin_session(&self, admin_token: &str, now: UnixTime) -> Result<(String, Admin)> {
        let (token_id, admin) = self.admin_token_of(admin_token)?;
        let session = format!("xgd_{}", secrets::secret_hex()?);
        self.store.insert_admin_session(
            &secrets::secret_hash(&session),
            token_id,
            &admin,
            now,
            now.plus(ADMIN_SESSION_TTL),
        )?;
        Ok((session, admin))
    }

    /// The holder of a live dashboard session; one the operator ended (or whose token was
    /// revoked) is refused with [`IssuerError::SessionEnded`].
    pub fn admin_session(&self, session_token: &str, now: UnixTime) -> Result<Admin> {
        let hash = secrets::secret_hash(session_token);
        if let Some(admin) = self.store.admin_session(&hash, now)? {
            return Ok(admin);
        }
        match self.store.admin_session_ended_at(&hash)? {
            Some(at) => Err(IssuerError::SessionEnded { at: at.0 }),
            None => Err(IssuerError::Unauthorized(
                "dashboard session is unknown or expired",
            )),
        }
    }

    /// Ends a dashboard session.
    pub fn end_admin_session(&self, session_token: &str) -> Result<()> {
        self.store
            .end_admin_session(&secrets::secret_hash(session_token))
    }

    /// The dashboard's figures as of `now`, with the page `help` of the open help requests.
    pub fn dashboard(&self, help: &PageRequest, now: UnixTime) -> Result<Dashboard> {
        let since = now.plus(-DENIAL_DAYS * 86_400);
        Ok(Dashboard {
            stats: self.stats(now)?,
            denials_by_site: self.store.denials_by_site(
                since,
                now.plus(xiaoge_pass::api::MAX_ENTRY_AHEAD),
                SITE_ROWS,
            )?,
            sites_missing: self.store.sites_missing_details(SITE_ROWS)?,
            open_help: self.help_requests(true, None, help)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HelpCategory, SiteInput, SiteKind};
    use crate::service::InitOptions;

    #[test]
    fn a_flood_of_help_requests_is_refused_per_rider_and_per_site() {
        let dir = tempfile::tempdir().unwrap();
        let now = UnixTime(1_767_225_600);
        let issuer = Issuer::init(&dir.path().join("i"), &InitOptions::default(), now).unwrap();
        issuer.add_platform("美团", now).unwrap();
        let site = issuer
            .add_site(&SiteInput::named("翠苑一区", SiteKind::Residential), now)
            .unwrap();
        let session = |i: usize| {
            let rider = issuer
                .add_rider("美团", &format!("mt-{i}"), "黄小明", now)
                .unwrap()
                .id;
            let link = issuer.login_link_for(&rider, now).unwrap();
            issuer.start_session(&link.token, now).unwrap().0
        };
        let ask = |token: &str, at: UnixTime| {
            issuer.ask_for_help(
                token,
                &NewHelpRequest {
                    site,
                    category: HelpCategory::Other,
                    note: "东门不认码".into(),
                },
                at,
            )
        };
        let first = session(0);
        for i in 0..HELP_LIMITS.per_rider {
            ask(&first, now.plus(i64::from(i))).unwrap();
        }
        let refused = ask(&first, now.plus(10));
        assert!(
            matches!(refused, Err(IssuerError::RateLimited { retry_after }) if retry_after > 80_000),
            "{refused:?}"
        );

        // Many riders at once: the site's hourly allowance runs out for everyone.
        let mut filed = HELP_LIMITS.per_rider;
        let mut rider = 1;
        while filed < HELP_LIMITS.per_site {
            let token = session(rider);
            for _ in 0..HELP_LIMITS.per_rider.min(HELP_LIMITS.per_site - filed) {
                ask(&token, now.plus(20)).unwrap();
                filed += 1;
            }
            rider += 1;
        }
        let late = session(rider);
        assert!(matches!(
            ask(&late, now.plus(30)),
            Err(IssuerError::RateLimited { .. })
        ));
        assert_eq!(
            crate::paging::every(|p| issuer.help_requests(true, Some(site), p))
                .unwrap()
                .len(),
            usize::try_from(HELP_LIMITS.per_site).unwrap(),
            "nothing refused was stored"
        );
    }
}
