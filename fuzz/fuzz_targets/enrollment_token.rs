//! Any text pasted as an enrollment token: refused without a panic, and what is accepted
//! prints back as the same token.

#![no_main]

use libfuzzer_sys::fuzz_target;
use xiaoge_pass::gate_auth::{EnrollmentToken, nonce_well_formed};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = text.parse::<EnrollmentToken>() {
        let printed = token.to_string();
        assert_eq!(
            printed
                .parse::<EnrollmentToken>()
                .ok()
                .map(|t| t.to_string()),
            Some(printed)
        );
    }
    // A nonce header is 32 lowercase hex digits or nothing the issuer accepts.
    if nonce_well_formed(text) {
        assert!(text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()));
    }
});
