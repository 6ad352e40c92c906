//! The kiosk's own settings, kept in the gate's state beside the gate rather than in it: the
//! guard PIN that opens the settings screen, the language, the sound (volume, voice prompts)
//! and the screen's size. The gate verifies and logs without knowing any of them.

use sha2::{Digest, Sha256};

use crate::error::{GateError, Result};
use crate::gate::Gate;
use crate::i18n::Lang;
#[cfg(feature = "kiosk")]
use crate::kiosk::announce::Volume;
use crate::store::{META_LANGUAGE, META_PIN_HASH, Store};

// The sound and screen keys live here rather than beside the gate's own in `store.rs`: only
// the kiosk reads them.
/// Meta key: the announcement volume, in percent.
#[cfg(feature = "kiosk")]
const META_VOLUME: &str = "kiosk_volume";
/// Meta key: whether a prompt is spoken after the tone (`on` or `off`).
const META_VOICE: &str = "kiosk_voice";
/// Meta key: the screen's diagonal in inches.
const META_SCREEN_INCHES: &str = "kiosk_screen_inches";

/// Digits in a guard PIN.
pub const PIN_LEN: usize = 4;

/// The screen diagonals a gate accepts, in inches: from a large phone to a wall display.
pub const SCREEN_INCHES: std::ops::RangeInclusive<f32> = 5.0..=32.0;

/// The screen diagonal assumed until one is set: the common 10.1-inch gate tablet.
pub const DEFAULT_SCREEN_INCHES: f32 = 10.1;

/// The stored form of a PIN.
pub type PinHash = [u8; 32];

/// The stored form of `pin`.
#[must_use]
pub fn pin_hash(pin: &str) -> PinHash {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::digest(format!("xiaoge-gate-pin:{pin}")));
    out
}

/// The settings of the kiosk on `gate`'s state.
pub struct Settings<'a> {
    store: &'a Store,
}

impl<'a> Settings<'a> {
    /// The settings kept in `gate`'s state.
    #[must_use]
    pub fn of(gate: &'a Gate) -> Self {
        Self {
            store: gate.store(),
        }
    }

    /// The kiosk's language (Chinese unless set otherwise).
    pub fn language(&self) -> Result<Lang> {
        Ok(match self.store.meta(META_LANGUAGE)?.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        })
    }

    /// Keeps the kiosk's language.
    pub fn set_language(&self, lang: Lang) -> Result<()> {
        let code = match lang {
            Lang::Zh => "zh",
            Lang::En => "en",
        };
        self.store.set_meta(META_LANGUAGE, code)
    }

    /// The hash of the guard PIN that opens the kiosk's settings.
    pub fn pin_hash(&self) -> Result<PinHash> {
        self.store
            .meta(META_PIN_HASH)?
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| PinHash::try_from(b).ok())
            .ok_or_else(|| {
                GateError::Input(
                    "this gate has no guard PIN: set one with `xiaoge-gate pin`".into(),
                )
            })
    }

    /// Sets the guard PIN: exactly four digits.
    pub fn set_pin(&self, pin: &str) -> Result<()> {
        if pin.len() != PIN_LEN || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GateError::Input(format!(
                "a guard PIN is exactly {PIN_LEN} digits, not {} characters",
                pin.chars().count()
            )));
        }
        self.store
            .set_meta(META_PIN_HASH, &hex::encode(pin_hash(pin)))
    }

    /// How loud the kiosk announces verdicts ([`Volume::DEFAULT`] unless set otherwise).
    #[cfg(feature = "kiosk")]
    pub fn volume(&self) -> Result<Volume> {
        let Some(stored) = self.store.meta(META_VOLUME)? else {
            return Ok(Volume::DEFAULT);
        };
        match stored.parse::<u8>() {
            Ok(percent) if percent <= Volume::MAX.percent() => Ok(Volume::new(percent)),
            _ => Err(GateError::Corrupt(format!(
                "stored kiosk volume {stored:?} is not a percentage from 0 to 100"
            ))),
        }
    }

    /// Keeps the kiosk's volume.
    #[cfg(feature = "kiosk")]
    pub fn set_volume(&self, volume: Volume) -> Result<()> {
        self.store
            .set_meta(META_VOLUME, &volume.percent().to_string())
    }

    /// Whether a spoken prompt follows the tone (on unless set otherwise: 语音播报 is what
    /// riders expect at a gate).
    pub fn voice(&self) -> Result<bool> {
        match self.store.meta(META_VOICE)?.as_deref() {
            None | Some("on") => Ok(true),
            Some("off") => Ok(false),
            Some(other) => Err(GateError::Corrupt(format!(
                "stored kiosk voice setting {other:?} is neither \"on\" nor \"off\""
            ))),
        }
    }

    /// Keeps whether a spoken prompt follows the tone.
    pub fn set_voice(&self, on: bool) -> Result<()> {
        self.store
            .set_meta(META_VOICE, if on { "on" } else { "off" })
    }

    /// The diagonal of the kiosk's screen in inches, which sizes the UI in millimetres
    /// ([`DEFAULT_SCREEN_INCHES`] unless set otherwise).
    pub fn screen_inches(&self) -> Result<f32> {
        let Some(stored) = self.store.meta(META_SCREEN_INCHES)? else {
            return Ok(DEFAULT_SCREEN_INCHES);
        };
        stored
            .parse::<f32>()
            .ok()
            .filter(|inches| SCREEN_INCHES.contains(inches))
            .ok_or_else(|| {
                GateError::Corrupt(format!(
                    "stored screen diagonal {stored:?} is not a number of inches from {} to {}",
                    SCREEN_INCHES.start(),
                    SCREEN_INCHES.end()
                ))
            })
    }

    /// Keeps the diagonal of the kiosk's screen: from 5 to 32 inches.
    pub fn set_screen_inches(&self, inches: f32) -> Result<()> {
        // `contains` is false for NaN, and infinities lie outside the range.
        if !SCREEN_INCHES.contains(&inches) {
            return Err(GateError::Input(format!(
                "a screen diagonal is {} to {} inches, not {inches}",
                SCREEN_INCHES.start(),
                SCREEN_INCHES.end()
            )));
        }
        // Display writes the shortest text that parses back to the same f32.
        self.store.set_meta(META_SCREEN_INCHES, &inches.to_string())
    }
}

#[cfg(test)]
mod tests {
    // Test code: a failed expectation should stop the test where it happened.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A fresh store in its own folder, kept alive by the returned guard.
    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("gate.db"), true).unwrap();
        (dir, store)
    }

    #[cfg(feature = "kiosk")]
    #[test]
    fn volume_defaults_round_trips_and_refuses_a_corrupt_value() {
        let (_dir, store) = store();
        let settings = Settings { store: &store };
        assert_eq!(settings.volume().unwrap(), Volume::DEFAULT);
        for percent in [0, 35, 100] {
            settings.set_volume(Volume::new(percent)).unwrap();
            assert_eq!(settings.volume().unwrap(), Volume::new(percent));
        }
        store.set_meta(META_VOLUME, "loud").unwrap();
        let err = settings.volume().unwrap_err().to_string();
        assert!(err.contains("\"loud\""), "{err}");
        store.set_meta(META_VOLUME, "150").unwrap();
        assert!(settings.volume().unwrap_err().to_string().contains("150"));
    }

    #[test]
    fn voice_defaults_on_round_trips_and_refuses_a_corrupt_value() {
        let (_dir, store) = store();
        let settings = Settings { store: &store };
        assert!(settings.voice().unwrap());
        settings.set_voice(false).unwrap();
        assert!(!settings.voice().unwrap());
        settings.set_voice(true).unwrap();
        assert!(settings.voice().unwrap());
        store.set_meta(META_VOICE, "yes").unwrap();
        let err = settings.voice().unwrap_err().to_string();
        assert!(err.contains("\"yes\""), "{err}");
    }

    #[test]
    fn screen_inches_default_round_trip_and_refusals() {
        let (_dir, store) = store();
        let settings = Settings { store: &store };
        assert_eq!(settings.screen_inches().unwrap(), DEFAULT_SCREEN_INCHES);
        for inches in [5.0, 7.9, 10.1, 15.6, 32.0] {
            settings.set_screen_inches(inches).unwrap();
            assert_eq!(settings.screen_inches().unwrap(), inches);
        }
        for bad in [4.9, 32.5, 0.0, -10.1, f32::NAN, f32::INFINITY] {
            let err = settings.set_screen_inches(bad).unwrap_err();
            assert!(matches!(err, GateError::Input(_)), "{err:?}");
            assert!(err.to_string().contains(&bad.to_string()), "{err}");
            // A refused value leaves the last good one in place.
            assert_eq!(settings.screen_inches().unwrap(), 32.0);
        }
        store.set_meta(META_SCREEN_INCHES, "99").unwrap();
        let err = settings.screen_inches().unwrap_err().to_string();
        assert!(err.contains("\"99\""), "{err}");
    }
}
