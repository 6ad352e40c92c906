//! What the kiosk makes heard for a verdict: a tone, then optionally a spoken prompt. The
//! model decides what to announce; `sounds` turns it into audio.

use xiaoge_pass::ReasonCode;

/// The tones the kiosk plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tone {
    /// "滴": allowed.
    Allow,
    /// A loud, high pattern: the rider's code is refused.
    Deny,
    /// A distinct chime: the gate cannot decide, the guard checks by hand.
    Attention,
}

/// The spoken prompt after the tone (语音播报), in the kiosk's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prompt {
    /// "请通行".
    Allow,
    /// "请稍候，人工核验": the gate cannot decide.
    Attention,
    /// "请出示小哥码": a QR code that is not a pass at all (a payment code, a URL).
    NotAPass,
    /// "禁止通行" and the reason.
    Deny(ReasonCode),
}

/// A tone and the prompt that follows it when voice prompts are on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Announcement {
    /// The tone.
    pub tone: Tone,
    /// The prompt.
    pub prompt: Prompt,
}

/// Loudness, in percent of full scale (0 to 100).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Volume(u8);

impl Volume {
    /// The loudest.
    pub const MAX: Volume = Volume(100);
    /// What a new gate starts at: loud, because gates are noisy.
    pub const DEFAULT: Volume = Volume(90);

    /// A volume of `percent`, capped at 100.
    #[must_use]
    pub fn new(percent: u8) -> Self {
        Volume(percent.min(100))
    }

    /// The volume in percent.
    #[must_use]
    pub fn percent(self) -> u8 {
        self.0
    }
}

impl Default for Volume {
    fn default() -> Self {
        Volume::DEFAULT
    }
}
