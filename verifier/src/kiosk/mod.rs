//! The guard's kiosk: `model` (the state machine) and `view` (egui drawing) are pure;
//! `controller` applies the model's effects to the gate; `app` is the eframe window, which
//! starts `scan_thread` and the background sync and plays `sounds`; `probe` measures it and
//! `screenshots` tours it. Layers call downward only: app → controller → model; view reads
//! the model and returns inputs.

pub mod announce;
pub mod app;
pub mod controller;
pub mod model;
pub mod probe;
pub mod scan_thread;
pub mod screenshots;
mod sounds;
pub mod view;
