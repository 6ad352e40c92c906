//! The fixed keys, lists and time behind the golden vectors, shared by the tests and benches.

// Shared by test targets: a failed expectation should stop the test where it happened.
// Not every target uses every item.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use xiaoge_pass::ids::CodeId;
use xiaoge_pass::{
    IssuerKey, KeyPair, Pass, RiderId, RiderStatus, SiteBundle, SiteId, StatusBits, StatusList,
    TrustList, UnixTime,
};

/// 2026-01-01T00:00:00Z: the time every vector is built around.
pub const T0: UnixTime = UnixTime(1_767_225_600);
/// The issuer name in every vector.
pub const ISSUER: &str = "xg-test";
/// The site of the gate in every vector.
pub const GATE_SITE: SiteId = SiteId(12);
/// Status index of a revoked rider.
pub const REVOKED_INDEX: u32 = 5;
/// Status index of a suspended rider.
pub const SUSPENDED_INDEX: u32 = 6;

/// Keys and lists made from fixed seeds.
pub struct Fixture {
    /// Root key: signs the trust list; a gate pins its public half.
    pub root: KeyPair,
    /// Current issuer key, valid from a day before T0 for 31 days.
    pub current: KeyPair,
    /// Next issuer key, announced in the trust list, signing only from T0 + 7 days.
    pub next: KeyPair,
    /// A key no trust list names.
    pub foreign: KeyPair,
    /// The trust list (signed at T0 - 1 h).
    pub trust_list: TrustList,
    /// The status list (signed at T0 - 10 min).
    pub status_list: StatusList,
    /// The gate's site bundle (signed at T0 - 5 min), banning one rider, with two buildings
    /// and two platforms.
    pub site_bundle: SiteBundle,
}

impl Fixture {
    /// The one fixture.
    pub fn new() -> Self {
        let root = KeyPair::from_seed([0x01; 32]);
        let current = KeyPair::from_seed([0x02; 32]);
        let next = KeyPair::from_seed([0x03; 32]);
        let foreign = KeyPair::from_seed([0x04; 32]);
        let trust_list = TrustList {
            issuer: ISSUER.into(),
            issued_at: T0.plus(-3600),
            keys: vec![
                IssuerKey::new(current.public(), T0.plus(-86_400), T0.plus(30 * 86_400)),
                IssuerKey::new(next.public(), T0.plus(7 * 86_400), T0.plus(60 * 86_400)),
            ],
        };
        let mut bits = StatusBits::new(16);
        bits.set(REVOKED_INDEX, RiderStatus::Revoked);
        bits.set(SUSPENDED_INDEX, RiderStatus::Suspended);
        let status_list = StatusList {
            issuer: ISSUER.into(),
            uri: "https://xg.example/v1/status-list".into(),
            issued_at: T0.plus(-600),
            ttl: 3600,
            bits,
        };
        let site_bundle = SiteBundle {
            issuer: ISSUER.into(),
            issued_at: T0.plus(-300),
            site: GATE_SITE,
            name: "翠苑一区".into(),
            banned: vec![RiderId::try_from("R0BANNED0001".to_owned()).unwrap()],
            buildings: vec!["1幢".into(), "15幢".into()],
            platforms: vec!["美团".into(), "饿了么".into()],
        };
        Self {
            root,
            current,
            next,
            foreign,
            trust_list,
            status_list,
            site_bundle,
        }
    }

    /// A valid pass issued at `at` for rider status index 1, unbound to any site.
    pub fn pass(&self, at: UnixTime) -> Pass {
        Pass {
            issuer: ISSUER.into(),
            rider: RiderId::try_from("R7K2M9QX4T5W".to_owned()).expect("a valid rider id"),
            name: "黄**".into(),
            platform: "美团".into(),
            status_index: 1,
            site: None,
            issued_at: at,
            not_before: at,
            expires_at: at.plus(120),
            code_id: CodeId([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]),
        }
    }
}
