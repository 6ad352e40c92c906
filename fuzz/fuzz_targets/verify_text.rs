//! Any text a camera or a keyboard could hand to `verify`: it must get a verdict, never a
//! panic, and never `Accepted` unless it is a genuine code.

#![no_main]

use libfuzzer_sys::fuzz_target;
use xiaoge_pass::{
    GateContext, IssuerKey, KeyPair, SiteId, StatusBits, StatusList, TrustList, TrustState,
    UnixTime, qr_text, verify,
};

fuzz_target!(|data: &[u8]| {
    let key = KeyPair::from_seed([2; 32]);
    let now = UnixTime(1_767_225_600);
    let trust = TrustState {
        trust_list: TrustList {
            issuer: "xg-fuzz".into(),
            issued_at: now.plus(-60),
            keys: vec![IssuerKey::new(
                key.public(),
                now.plus(-86_400),
                now.plus(86_400),
            )],
        },
        status_list: Some(StatusList {
            issuer: "xg-fuzz".into(),
            uri: "http://localhost/v1/status-list".into(),
            issued_at: now.plus(-60),
            ttl: 300,
            bits: StatusBits::new(64),
        }),
    };
    let gate = GateContext::new(SiteId(1));
    // Both as raw text and as Base45 behind the prefix, to reach the CBOR and COSE readers.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = verify(text, &trust, &gate, now);
    }
    // Without the issuer's secret key nothing fuzzed can carry a valid signature.
    assert!(verify(&qr_text::encode(data), &trust, &gate, now).is_err());
});
