//! The kiosk's two tones, played through `aplay` when the system has it.

use super::model::Tone;

/// The two sounds, played through `aplay` when the system has it.
pub(super) struct Sounds {
    dir: Option<tempfile::TempDir>,
}

impl Sounds {
    /// Writes the tones where `aplay` can read them; without a temporary folder, no sound.
    pub(super) fn new() -> Self {
        let dir = tempfile::tempdir().ok().filter(|d| {
            std::fs::write(
                d.path().join("allow.wav"),
                include_bytes!("../../../assets/sounds/allow.wav"),
            )
            .is_ok()
                && std::fs::write(
                    d.path().join("deny.wav"),
                    include_bytes!("../../../assets/sounds/deny.wav"),
                )
                .is_ok()
        });
        Self { dir }
    }

    /// Plays a tone without waiting for it.
    pub(super) fn play(&self, tone: Tone) {
        let Some(dir) = &self.dir else {
            return;
        };
        let file = dir.path().join(match tone {
            Tone::Allow => "allow.wav",
            Tone::Deny => "deny.wav",
        });
        // A missing player or sound card must never stop the kiosk: the verdict is on screen.
        if let Ok(mut child) = std::process::Command::new("aplay")
            .arg("-q")
            .arg(file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
    }
}
