//! The Xiaoge Pass gate (`xiaoge-gate`): verifies rider codes with no network, logs every
//! attempt in its own SQLite database, and syncs with the issuer when it can.
//!
//! [`gate::Gate`] wraps the pure `xiaoge_pass::verify` with the local store; [`decode`]
//! reads QR codes out of images; [`sync`] talks to the issuer; [`synthetic`] simulates
//! a gate camera photographing a rider's phone, for the demo, tests and benchmarks.

#![forbid(unsafe_code)]

pub mod clock;
pub mod decode;
pub mod error;
pub mod frames;
pub mod gate;
pub mod i18n;
#[cfg(feature = "kiosk")]
pub mod kiosk;
pub mod scanner;
pub mod settings;
pub mod store;
pub mod sync;
pub mod synthetic;
pub mod verdict_kind;

pub use error::GateError;
pub use gate::{Gate, Verdict};
