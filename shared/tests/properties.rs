//! Property tests: round trips, tamper resistance, and no panic on any input.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Fixture, GATE_SITE, T0};
use proptest::prelude::*;
use xiaoge_pass::ids::CodeId;
use xiaoge_pass::{
    GateContext, Pass, ReasonCode, RiderId, SiteBundle, SiteId, StatusList, TrustList, TrustState,
    UnixTime, pass, qr_text, site_bundle, verify,
};

fn trust(fx: &Fixture) -> TrustState {
    TrustState {
        trust_list: fx.trust_list.clone(),
        status_list: Some(fx.status_list.clone()),
    }
}

fn arb_pass() -> impl Strategy<Value = Pass> {
    (
        "[0-9A-Z-]{1,32}",
        "[\\PC]{1,16}",
        "[\\PC]{1,16}",
        any::<u32>(),
        proptest::option::of(any::<u64>()),
        -4_000_000_000i64..4_000_000_000,
        0i64..3600,
        1i64..86_400,
        any::<[u8; 8]>(),
    )
        .prop_filter_map(
            "names within the byte limits",
            |(rider, name, platform, index, site, iat, delay, life, cti)| {
                let pass = Pass {
                    issuer: common::ISSUER.into(),
                    rider: RiderId::try_from(rider).ok()?,
                    name,
                    platform,
                    status_index: index,
                    site: site.map(SiteId),
                    issued_at: UnixTime(iat),
                    not_before: UnixTime(iat + delay),
                    expires_at: UnixTime(iat + delay + life),
                    code_id: CodeId(cti),
                };
                (pass.name.len() <= pass::NAME_MAX_LEN
                    && pass.platform.len() <= pass::PLATFORM_MAX_LEN)
                    .then_some(pass)
            },
        )
}

/// Names of 1 to `max` bytes, at most `count` of them.
fn arb_names(max: usize, count: usize) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        "[\\PC]{1,24}".prop_filter("within the byte bound", move |n| n.len() <= max),
        0..count,
    )
}

proptest! {
    #[test]
    fn a_signed_bundle_reads_back_the_same(
        buildings in arb_names(site_bundle::BUILDING_NAME_MAX_LEN, 40),
        platforms in arb_names(pass::PLATFORM_MAX_LEN, 12),
    ) {
        let fx = Fixture::new();
        let bundle = SiteBundle { buildings, platforms, ..fx.site_bundle.clone() };
        let read = SiteBundle::open(&bundle.sign(&fx.current), &fx.trust_list).unwrap();
        prop_assert_eq!(read, bundle);
    }

    #[test]
    fn a_minted_pass_reads_back_the_same(p in arb_pass()) {
        let fx = Fixture::new();
        let text = p.mint(&fx.current).unwrap();
        prop_assert!(text.len() <= qr_text::MAX_TEXT_LEN);
        let (kid, read) = pass::inspect(&text).unwrap();
        prop_assert_eq!(kid, fx.current.kid());
        prop_assert_eq!(read, p);
    }

    #[test]
    fn flipping_any_byte_of_a_code_never_allows_it(at in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let fx = Fixture::new();
        let text = fx.pass(T0).mint(&fx.current).unwrap();
        let mut cose = qr_text::decode(&text).unwrap();
        let i = at.index(cose.len());
        cose[i] ^= mask;
        let tampered = qr_text::encode(&cose);
        let verdict = verify(&tampered, &trust(&fx), &GateContext::new(GATE_SITE), T0.plus(10));
        prop_assert!(verdict.is_err(), "byte {} ^ {:#x} was accepted", i, mask);
    }

    #[test]
    fn any_text_gets_a_verdict_without_panicking(text in "\\PC{0,400}") {
        let fx = Fixture::new();
        let _ = verify(&text, &trust(&fx), &GateContext::new(GATE_SITE), T0);
    }

    #[test]
    fn any_bytes_behind_the_prefix_get_a_verdict(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let fx = Fixture::new();
        let text = qr_text::encode(&bytes);
        prop_assert!(verify(&text, &trust(&fx), &GateContext::new(GATE_SITE), T0).is_err());
    }

    #[test]
    fn any_bytes_offered_as_lists_are_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let fx = Fixture::new();
        prop_assert!(TrustList::open(&bytes, &fx.root.public()).is_err());
        prop_assert!(StatusList::open(&bytes, &fx.trust_list).is_err());
        prop_assert!(SiteBundle::open(&bytes, &fx.trust_list).is_err());
    }
}

#[test]
fn a_status_list_is_not_a_code_and_a_code_is_not_a_list() {
    let fx = Fixture::new();
    let list = fx.status_list.sign(&fx.current);
    let as_code = qr_text::encode(&list);
    let verdict = verify(&as_code, &trust(&fx), &GateContext::new(GATE_SITE), T0);
    assert_eq!(verdict.unwrap_err().code(), ReasonCode::Malformed);

    let code = qr_text::decode(&fx.pass(T0).mint(&fx.current).unwrap()).unwrap();
    assert!(StatusList::open(&code, &fx.trust_list).is_err());
    assert!(TrustList::open(&code, &fx.root.public()).is_err());
}

#[test]
fn a_list_signed_by_an_issuer_key_is_not_a_trust_list() {
    let fx = Fixture::new();
    let forged = fx.trust_list.sign(&fx.current);
    assert!(TrustList::open(&forged, &fx.root.public()).is_err());
}

#[test]
fn flipping_each_byte_of_a_code_in_turn_never_allows_it() {
    let fx = Fixture::new();
    let trust = trust(&fx);
    let gate = GateContext::new(GATE_SITE);
    let cose = qr_text::decode(&fx.pass(T0).mint(&fx.current).unwrap()).unwrap();
    for i in 0..cose.len() {
        for mask in [0x01, 0x80, 0xff] {
            let mut tampered = cose.clone();
            tampered[i] ^= mask;
            let verdict = verify(&qr_text::encode(&tampered), &trust, &gate, T0.plus(10));
            assert!(verdict.is_err(), "byte {i} ^ {mask:#x} was accepted");
        }
    }
}
