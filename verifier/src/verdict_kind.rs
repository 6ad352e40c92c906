//! What a verdict means for the guard, apart from its decision: a refusal is the rider's
//! code at fault (red) or the gate's own (amber, check by hand). Pure: it reads only the
//! verdict.

use xiaoge_pass::ReasonCode;
use xiaoge_pass::api::Decision;
use xiaoge_pass::error::FormatError;
use xiaoge_pass::verify::Rejection;

use crate::gate::Verdict;

/// What a verdict means for the guard: one colour and one sound each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictKind {
    /// Green: let the rider in.
    Allow,
    /// Red: the rider's code is at fault.
    Deny,
    /// Amber: the gate cannot decide (its lists, its clock), or the code is not a pass at
    /// all; the guard checks by hand.
    Attention,
}

impl VerdictKind {
    /// The kind of `verdict`.
    #[must_use]
    pub fn of(verdict: &Verdict) -> Self {
        if verdict.verdict == Decision::Allow {
            return VerdictKind::Allow;
        }
        match verdict.reason {
            Some(reason) if gate_cannot_decide(reason, verdict.stale) => VerdictKind::Attention,
            _ if not_a_pass(verdict) => VerdictKind::Attention,
            _ => VerdictKind::Deny,
        }
    }

    /// The kind of a logged refusal, which keeps its reason but not whether the lists were
    /// stale: an unknown key then counts as the code's fault.
    #[must_use]
    pub fn of_refusal(reason: ReasonCode) -> Self {
        if gate_cannot_decide(reason, false) {
            VerdictKind::Attention
        } else {
            VerdictKind::Deny
        }
    }
}

/// Whether `reason` is the gate's own fault rather than the code's: lists too old, a clock it
/// cannot trust, bans it cannot verify, a rider newer than its status list, a format newer
/// than the gate, or a key it has not learnt yet because its lists are stale.
fn gate_cannot_decide(reason: ReasonCode, stale: bool) -> bool {
    match reason {
        ReasonCode::ClockUntrusted
        | ReasonCode::ListsTooStale
        | ReasonCode::BansUnverifiable
        | ReasonCode::StatusUnknown
        | ReasonCode::UnsupportedVersion => true,
        ReasonCode::UnknownKey => stale,
        _ => false,
    }
}

/// Whether the code read is no pass at all (a payment code, a web address): the rider showed
/// the wrong code, which is not a refusal.
#[must_use]
pub fn not_a_pass(verdict: &Verdict) -> bool {
    // The verdict keeps the rejection only as its text; comparing with the rejection's own
    // rendering keeps the two from drifting apart.
    let foreign = Rejection::Malformed(FormatError::MissingPrefix).to_string();
    verdict.reason == Some(ReasonCode::Malformed) && verdict.detail.as_deref() == Some(&*foreign)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xiaoge_pass::UnixTime;

    fn verdict_of(decision: Decision, reason: Option<ReasonCode>, _id: u128) -> Verdict {
        Verdict {
            verdict: decision,
            reason,
            detail: None,
            rider: None,
            code_id: None,
            code_site: None,
            entry_id: uuid::Uuid::nil(),
            stale: false,
            at: UnixTime(1_800_000_000),
            trusted_at: None,
            first_used_at: None,
        }
    }

    #[test]
    fn gate_faults_and_foreign_codes_are_attention_not_refusals() {
        let kind = |reason, stale| {
            let mut v = verdict_of(Decision::Deny, Some(reason), 0);
            v.stale = stale;
            VerdictKind::of(&v)
        };
        assert_eq!(
            kind(ReasonCode::ClockUntrusted, false),
            VerdictKind::Attention
        );
        assert_eq!(
            kind(ReasonCode::StatusUnknown, false),
            VerdictKind::Attention
        );
        assert_eq!(kind(ReasonCode::UnknownKey, true), VerdictKind::Attention);
        assert_eq!(kind(ReasonCode::UnknownKey, false), VerdictKind::Deny);
        assert_eq!(kind(ReasonCode::Revoked, true), VerdictKind::Deny);
        let mut payment = verdict_of(Decision::Deny, Some(ReasonCode::Malformed), 0);
        payment.detail = Some(Rejection::Malformed(FormatError::MissingPrefix).to_string());
        assert_eq!(VerdictKind::of(&payment), VerdictKind::Attention);
        payment.detail = Some(Rejection::Malformed(FormatError::Base45).to_string());
        assert_eq!(VerdictKind::of(&payment), VerdictKind::Deny);
    }
}
