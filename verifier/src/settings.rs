//! The kiosk's own settings, kept in the gate's state beside the gate rather than in it: the
//! guard PIN that opens the settings screen, and the language. The gate verifies and logs
//! without knowing either.

use sha2::{Digest, Sha256};

use crate::error::{GateError, Result};
use crate::gate::Gate;
use crate::i18n::Lang;
use crate::store::{META_LANGUAGE, META_PIN_HASH, Store};

/// Digits in a guard PIN.
pub const PIN_LEN: usize = 4;

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
}
