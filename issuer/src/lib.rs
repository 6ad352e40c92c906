//! The Xiaoge Pass issuer: holds the signing keys and the registry of platforms, riders,
//! sites and gates; signs rider codes; publishes the trust list and the status list; and
//! receives the gates' entry logs.
//!
//! [`service::Issuer`] holds the operations; [`http`] serves them to gates and [`store`]
//! keeps every SQL statement. The `xiaoge-issuer` binary is the operator's CLI over both.

#![forbid(unsafe_code)]

pub mod error;
pub mod http;
mod keyfile;
pub mod model;
pub mod paging;
pub mod poster;
mod secrets;
pub mod service;
pub mod store;

pub use error::IssuerError;
pub use service::{InitOptions, Issuer};
