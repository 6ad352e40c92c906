//! The operator CLI's commands, one file per noun; `main.rs` holds the top-level parser and
//! the shared printing helpers.

pub mod gate;
pub mod help;
pub mod platform;
pub mod report;
pub mod rider;
pub mod serve;
pub mod session;
pub mod site;
