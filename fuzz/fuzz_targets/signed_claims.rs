//! Any claims bytes, signed with the right key in the right envelope, so that the claims
//! readers of codes, trust lists, status lists, site bundles and time tokens are reached
//! (fuzzed bytes alone never carry a valid signature). Each reader refuses without a panic,
//! and whatever it accepts signs back into an object that reads the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use xiaoge_pass::fuzzing::{Sealed, seal};
use xiaoge_pass::{
    GateContext, IssuerKey, KeyPair, SiteBundle, SiteId, StatusList, TimeToken, TrustList,
    TrustState, UnixTime, qr_text, verify,
};

fuzz_target!(|data: &[u8]| {
    let Some((&which, claims)) = data.split_first() else {
        return;
    };
    let root = KeyPair::from_seed([1; 32]);
    let key = KeyPair::from_seed([2; 32]);
    let now = UnixTime(1_767_225_600);
    // A window as wide as the format allows, so that readable claims are judged on their own.
    let trust = TrustList {
        issuer: "xg-fuzz".into(),
        issued_at: now,
        keys: vec![IssuerKey::new(
            key.public(),
            UnixTime(0),
            UnixTime(i64::MAX / 2),
        )],
    };
    let claims = claims.to_vec();
    match which % 5 {
        0 => {
            let bytes = seal(Sealed::TrustList, &root, claims);
            if let Ok(list) = TrustList::open(&bytes, &root.public()) {
                let again = TrustList::open(&list.sign(&root), &root.public());
                assert_eq!(again.ok(), Some(list));
            }
        }
        1 => {
            let bytes = seal(Sealed::StatusList, &key, claims);
            if let Ok(list) = StatusList::open(&bytes, &trust) {
                assert_eq!(StatusList::open(&list.sign(&key), &trust).ok(), Some(list));
            }
        }
        2 => {
            let bytes = seal(Sealed::SiteBundle, &key, claims);
            if let Ok(bundle) = SiteBundle::open(&bytes, &trust) {
                let again = SiteBundle::open(&bundle.sign(&key), &trust);
                assert_eq!(again.ok(), Some(bundle));
            }
        }
        3 => {
            let bytes = seal(Sealed::TimeToken, &key, claims);
            if let Ok(token) = TimeToken::open(&bytes, &trust) {
                assert_eq!(TimeToken::open(&token.sign(&key), &trust).ok(), Some(token));
            }
        }
        _ => {
            // A code whose claims are fuzzed: verified, never a panic.
            let state = TrustState {
                trust_list: trust,
                status_list: None,
            };
            let text = qr_text::encode(&seal(Sealed::Code, &key, claims));
            let _ = verify(&text, &state, &GateContext::new(SiteId(1)), now);
        }
    }
});
