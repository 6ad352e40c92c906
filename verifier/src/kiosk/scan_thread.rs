//! The scanner thread: reads frames from a camera or the demo's synthetic source, puts them
//! through the pipeline on its own database connection, and sends the UI each frame's event
//! and a small preview. It never waits for the UI.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use eframe::egui::ColorImage;
use image::GrayImage;

use crate::clock;
use crate::error::{GateError, Result};
use crate::frames::{FrameSource, Refill, Synthetic};
use crate::gate::Gate;
use crate::scanner::{ScanEvent, ScanTiming, Scanner};
use crate::synthetic::ConditionMix;

use super::model::CameraChoice;

/// Width of the preview sent to the screen: enough to see, cheap to upload.
const PREVIEW_WIDTH: u32 = 640;
/// Synthetic frames come at a camera's pace.
const SYNTHETIC_FRAME: Duration = Duration::from_millis(33);
/// A failing camera is reopened after this pause.
const CAMERA_RETRY: Duration = Duration::from_secs(2);

/// Where frames come from.
pub enum SourceChoice {
    /// A camera by index.
    Camera(u32),
    /// Synthetic frames, refilled forever (the demo).
    Synthetic(Refill),
}

/// What the scanner thread reports.
pub(super) enum ScanMsg {
    /// A frame went through the pipeline.
    Frame {
        preview: ColorImage,
        event: ScanEvent,
        timing: ScanTiming,
        /// When the frame was taken from the source.
        captured: Instant,
    },
    /// The frame source failed.
    Failed(String),
}

/// Commands to the scanner thread.
pub(super) enum ScanCommand {
    /// Switch to this source.
    Use(SourceChoice),
}

fn preview_of(frame: &GrayImage) -> ColorImage {
    let small = if frame.width() > PREVIEW_WIDTH {
        let height = frame.height() * PREVIEW_WIDTH / frame.width();
        image::imageops::resize(
            frame,
            PREVIEW_WIDTH,
            height,
            image::imageops::FilterType::Nearest,
        )
    } else {
        frame.clone()
    };
    ColorImage::from_gray(
        [small.width() as usize, small.height() as usize],
        small.as_raw(),
    )
}

fn open_source(choice: SourceChoice) -> Box<dyn FrameSource> {
    match choice {
        SourceChoice::Synthetic(refill) => {
            Box::new(Synthetic::endless(ConditionMix::demo(1), refill))
        }
        #[cfg(feature = "camera")]
        SourceChoice::Camera(index) => Box::new(crate::frames::Camera::new(index)),
        #[cfg(not(feature = "camera"))]
        SourceChoice::Camera(index) => Box::new(NoCamera(index)),
    }
}

/// The camera of a build without camera support: fails with a clear message.
#[cfg(not(feature = "camera"))]
struct NoCamera(u32);

#[cfg(not(feature = "camera"))]
impl FrameSource for NoCamera {
    fn kind(&self) -> crate::frames::SourceKind {
        crate::frames::SourceKind::Live
    }

    fn next_frame(
        &mut self,
    ) -> std::result::Result<Option<crate::frames::Frame>, crate::frames::SourceError> {
        Err(crate::frames::SourceError::Camera(format!(
            "camera {}: this build has no camera support (--features camera)",
            self.0
        )))
    }
}

/// Runs the pipeline on its own thread until the UI hangs up.
pub(super) fn scanner_thread(
    dir: PathBuf,
    first: SourceChoice,
    commands: Receiver<ScanCommand>,
    out: Sender<ScanMsg>,
    paced: bool,
    repaint: impl Fn() + Send + 'static,
) -> Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("gate-scanner".into())
        .spawn(move || {
            let mut gate = match Gate::open(&dir) {
                Ok(gate) => gate,
                Err(e) => {
                    let _ = out.send(ScanMsg::Failed(e.to_string()));
                    return;
                }
            };
            let mut source = open_source(first);
            let mut scanner = Scanner::default();
            loop {
                match commands.try_recv() {
                    Ok(ScanCommand::Use(choice)) => {
                        source = open_source(choice);
                        scanner = Scanner::default();
                    }
                    Err(TryRecvError::Disconnected) => return,
                    Err(TryRecvError::Empty) => {}
                }
                let started = Instant::now();
                let message = match source.next_frame() {
                    Ok(Some(frame)) => {
                        match scanner.scan(
                            &mut gate,
                            &frame.image,
                            source.kind(),
                            &clock::read(),
                            started,
                        ) {
                            Ok((event, timing)) => ScanMsg::Frame {
                                preview: preview_of(&frame.image),
                                event,
                                timing,
                                captured: started,
                            },
                            Err(e) => ScanMsg::Failed(e.to_string()),
                        }
                    }
                    Ok(None) => ScanMsg::Failed("the frame source ended".into()),
                    Err(e) => ScanMsg::Failed(e.to_string()),
                };
                let failed = matches!(message, ScanMsg::Failed(_));
                if out.send(message).is_err() {
                    return;
                }
                repaint();
                if failed {
                    std::thread::sleep(CAMERA_RETRY);
                } else if paced && source.kind() == crate::frames::SourceKind::Live {
                    // Real cameras pace themselves; synthetic frames are paced to a camera's.
                    std::thread::sleep(SYNTHETIC_FRAME.saturating_sub(started.elapsed()));
                }
            }
        })
        .map_err(|e| GateError::io("starting the scanner thread", e))
}

/// The cameras the system offers (none in a build without camera support).
pub(super) fn list_cameras() -> Vec<CameraChoice> {
    #[cfg(feature = "camera")]
    {
        crate::frames::cameras()
            .unwrap_or_default()
            .into_iter()
            .map(|(index, name)| CameraChoice {
                index: Some(index),
                name,
            })
            .collect()
    }
    #[cfg(not(feature = "camera"))]
    {
        Vec::new()
    }
}
