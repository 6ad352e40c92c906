//! A scripted tour of the kiosk that saves screenshots of every screen: for the docs and the
//! layout checks, under Xvfb.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use eframe::egui;

use super::controller::Controller;
use super::model::{CameraState, Input};

/// A scripted tour of the kiosk that saves screenshots: for the docs, under Xvfb.
pub struct ScreenshotPlan {
    dir: PathBuf,
    steps: std::collections::VecDeque<PlanStep>,
    settle: u32,
    saving: Arc<std::sync::atomic::AtomicUsize>,
}

/// One step of a screenshot tour.
pub enum PlanStep {
    /// Wait until the scanner shows live frames and nothing else is on screen.
    WaitScanning,
    /// Wait until a verdict of this kind is on screen.
    WaitVerdict(xiaoge_pass::api::Decision),
    /// Apply these inputs.
    Apply(Vec<Input>),
    /// Save the screen to this file name.
    Capture(String),
}

impl ScreenshotPlan {
    /// A tour saving into `dir`.
    #[must_use]
    pub fn new(dir: PathBuf, steps: Vec<PlanStep>) -> Self {
        Self {
            dir,
            steps: steps.into(),
            settle: 0,
            saving: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        }
    }

    /// Advances the tour by one frame; `true` once every screenshot is saved.
    pub(super) fn step(
        &mut self,
        ctx: &egui::Context,
        controller: &mut Controller,
        preview: bool,
    ) -> bool {
        use super::model::Screen;
        use std::sync::atomic::Ordering;
        let Some(step) = self.steps.front() else {
            return self.saving.load(Ordering::SeqCst) == 0;
        };
        let done = match step {
            PlanStep::WaitScanning => {
                preview
                    && controller.kiosk.screen == Screen::Scanning
                    && controller.kiosk.verdict.is_none()
                    && controller.kiosk.notice.is_none()
                    && controller.kiosk.camera == CameraState::Running
            }
            PlanStep::WaitVerdict(decision) => (controller.kiosk.verdict.as_ref())
                .is_some_and(|card| card.verdict.verdict == *decision),
            PlanStep::Apply(inputs) => {
                for input in inputs.clone() {
                    controller.apply(input, Instant::now());
                }
                true
            }
            PlanStep::Capture(name) => {
                if self.settle > 0 {
                    self.settle -= 1;
                    return false;
                }
                let path = self.dir.join(name);
                let saving = Arc::clone(&self.saving);
                saving.fetch_add(1, Ordering::SeqCst);
                ctx.request_screenshot(move |image| {
                    let (w, h) = (image.size[0] as u32, image.size[1] as u32);
                    let rgba: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_array()).collect();
                    if let Some(buffer) = image::RgbaImage::from_raw(w, h, rgba)
                        && let Err(e) = buffer.save(&path)
                    {
                        eprintln!("cannot save {}: {e}", path.display());
                    }
                    saving.fetch_sub(1, Ordering::SeqCst);
                });
                true
            }
        };
        if done {
            self.steps.pop_front();
            // Let a few frames draw the new state before the next capture.
            self.settle = 5;
        }
        false
    }
}
