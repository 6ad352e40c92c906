//! Any bytes offered as a trust list or a status list: refused without a panic, and never
//! accepted without the signing keys.

#![no_main]

use libfuzzer_sys::fuzz_target;
use xiaoge_pass::{IssuerKey, KeyPair, StatusList, TrustList, UnixTime};

fuzz_target!(|data: &[u8]| {
    let root = KeyPair::from_seed([1; 32]);
    let key = KeyPair::from_seed([2; 32]);
    let now = UnixTime(1_767_225_600);
    let trust = TrustList {
        issuer: "xg-fuzz".into(),
        issued_at: now,
        keys: vec![IssuerKey::new(
            key.public(),
            now.plus(-86_400),
            now.plus(86_400),
        )],
    };
    assert!(TrustList::open(data, &root.public()).is_err());
    assert!(StatusList::open(data, &trust).is_err());
});
