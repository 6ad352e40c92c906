//! The guard's kiosk: `model` (the state machine), `view` (egui drawing) and `app` (eframe,
//! threads and effects).

pub mod app;
pub mod model;
pub mod view;
