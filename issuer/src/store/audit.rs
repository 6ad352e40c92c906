//! The audit log: who cut off or handed out which credential, and when. Each record is
//! written inside the transaction of the change it describes, so the log never claims an
//! action that did not happen, nor misses one that did.

use rusqlite::{Connection, params};
use xiaoge_pass::UnixTime;

use super::Store;
use crate::error::Result;
use crate::model::AuditEntry;
use crate::paging::{Page, PageRequest};

/// One action, as the service describes it to the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    /// Who: `cli`, `admin-token:ID` or `gate:ID`.
    pub actor: String,
    /// What, such as `gate.revoke`.
    pub action: &'static str,
    /// On what, such as `gate:3`.
    pub target: String,
    /// Anything else worth knowing later (never a secret).
    pub detail: String,
    /// When.
    pub at: UnixTime,
}

/// Writes `audit` on `conn`, which is inside the change's transaction.
pub(super) fn record(conn: &Connection, audit: &Audit) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        audit.at.0,
        audit.actor,
        audit.action,
        audit.target,
        audit.detail
    ])?;
    Ok(())
}

impl Store {
    /// Records an action that changes nothing else in the database.
    pub fn record_audit(&self, audit: &Audit) -> Result<()> {
        self.write(|c| Ok(record(c, audit)?))
    }

    /// A page of the audit log from `since` on, oldest first.
    pub fn audit_log(&self, since: UnixTime, page: &PageRequest) -> Result<Page<AuditEntry>> {
        let after = page.after_id()?.unwrap_or(0);
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, actor, action, target, detail FROM audit_log
                 WHERE at >= ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![since.0, after, page.fetch()], |r| {
                let entry = AuditEntry {
                    id: r.get(0)?,
                    at: UnixTime(r.get(1)?),
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    target: r.get(4)?,
                    detail: r.get(5)?,
                };
                Ok((entry.id, entry))
            })?;
            Ok(Page::from_keyed(
                rows.collect::<rusqlite::Result<_>>()?,
                page,
            ))
        })
    }
}
