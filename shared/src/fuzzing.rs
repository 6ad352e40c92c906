//! What the fuzz targets need beyond the public API: sealing arbitrary claims bytes as any
//! kind of signed object, so that fuzzed claims get past the signature check and reach the
//! claims readers. Built only with the `fuzzing` feature (the fuzz crate's); no binary of the
//! project signs bytes it did not build.

use crate::envelope::{self, Kind};
use crate::keys::KeyPair;

/// Which kind of signed object to seal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sealed {
    /// A rider code (no `typ`).
    Code,
    /// A trust list (sign with the root key).
    TrustList,
    /// A status list.
    StatusList,
    /// A site bundle.
    SiteBundle,
    /// A time token.
    TimeToken,
}

/// `claims` signed by `key` in the envelope of `kind`, whatever the claims hold.
#[must_use]
pub fn seal(kind: Sealed, key: &KeyPair, claims: Vec<u8>) -> Vec<u8> {
    let kind = match kind {
        Sealed::Code => Kind::Code,
        Sealed::TrustList => Kind::TrustList,
        Sealed::StatusList => Kind::StatusList,
        Sealed::SiteBundle => Kind::SiteBundle,
        Sealed::TimeToken => Kind::TimeToken,
    };
    envelope::seal(kind, key, claims)
}
