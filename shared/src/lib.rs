//! The Xiaoge Pass (小哥码) wire format and its verification: pure logic, no I/O.
//!
//! Nothing here reads a file, a socket, the clock or a random source: times, seeds and
//! replay state come in as arguments, so every result is a function of its inputs.
//! `docs/FORMAT.md` at the repository root specifies the bytes.

#![forbid(unsafe_code)]

pub mod api;
mod cbor;
mod envelope;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod gate_auth;
pub mod ids;
pub mod keys;
pub mod pass;
pub mod qr_image;
pub mod qr_text;
pub mod reason;
pub mod site_bundle;
pub mod status_list;
pub mod text;
pub mod time;
pub mod time_token;
pub mod trust_list;
pub mod verify;

pub use error::{FormatError, ListError};
pub use ids::{CodeId, KeyId, RiderId, SiteId};
pub use keys::{IssuerKey, KeyPair};
pub use pass::Pass;
pub use reason::ReasonCode;
pub use site_bundle::SiteBundle;
pub use status_list::{RiderStatus, StatusBits, StatusList};
pub use time::UnixTime;
pub use time_token::TimeToken;
pub use trust_list::TrustList;
pub use verify::{Accepted, GateContext, Policy, Rejection, SiteBans, TrustState, verify};
