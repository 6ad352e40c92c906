//! Golden vectors: fixed seeds and a fixed time give fixed bytes and fixed verdicts.
//!
//! `every_vector_gets_its_expected_verdict` reads the files only, as another implementation
//! would. `the_encoder_still_writes_the_vectors` rebuilds every file from the fixture and
//! fails on any difference, so a format change is never silent. After an intended change,
//! rewrite them with `XIAOGE_BLESS=1 cargo test -p xiaoge-pass --test golden` and say why in
//! the commit.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use common::{Fixture, GATE_SITE, REVOKED_INDEX, SUSPENDED_INDEX, T0};
use xiaoge_pass::gate_auth;
use xiaoge_pass::keys::{public_key_from_bytes, signature_valid};
use xiaoge_pass::{
    CodeId, GateContext, KeyPair, Pass, RiderId, SiteBans, SiteBundle, SiteId, StatusList,
    TimeToken, TrustList, TrustState, UnixTime, qr_text, verify,
};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// One vector as written to its file.
struct Vector {
    name: &'static str,
    expect: &'static str,
    now: UnixTime,
    banned: Option<String>,
    seen: Option<CodeId>,
    clock_floor: Option<UnixTime>,
    true_time: Option<UnixTime>,
    bans_unverifiable: bool,
    code: String,
}

impl Vector {
    fn new(name: &'static str, expect: &'static str, now: UnixTime, code: String) -> Self {
        Self {
            name,
            expect,
            now,
            banned: None,
            seen: None,
            clock_floor: None,
            true_time: None,
            bans_unverifiable: false,
            code,
        }
    }

    fn render(&self) -> String {
        let mut out =
            String::from("# A code shown at a gate; the fields are described in README.md.\n");
        out += &format!("expect: {}\n", self.expect);
        out += &format!("now: {}\n", self.now);
        out += &format!("site: {GATE_SITE}\n");
        if let Some(b) = &self.banned {
            out += &format!("banned: {b}\n");
        }
        if let Some(s) = &self.seen {
            out += &format!("seen: {s}\n");
        }
        if let Some(f) = &self.clock_floor {
            out += &format!("clock-floor: {f}\n");
        }
        if let Some(t) = &self.true_time {
            out += &format!("true-time: {t}\n");
        }
        if self.bans_unverifiable {
            out += "bans: unverifiable\n";
        }
        out += &format!("code: {}\n", self.code);
        out
    }
}

fn mint(pass: &Pass, key: &KeyPair) -> String {
    pass.mint(key).expect("fixture passes are well-formed")
}

/// Every file of the vector folder, as the encoder writes it today.
fn generate() -> BTreeMap<String, String> {
    let fx = Fixture::new();
    let at = T0;
    let valid = fx.pass(at);
    let valid_text = mint(&valid, &fx.current);
    let in_window = at.plus(10);

    let mut vectors = vec![Vector::new("valid", "allow", in_window, valid_text.clone())];
    let bound = Pass {
        site: Some(GATE_SITE),
        ..valid.clone()
    };
    vectors.push(Vector::new(
        "valid-site-bound",
        "allow",
        in_window,
        mint(&bound, &fx.current),
    ));
    let stale_now = fx.status_list.issued_at.plus(36 * 3600 + 1);
    vectors.push(Vector::new(
        "valid-lists-stale",
        "allow stale",
        stale_now,
        mint(&fx.pass(stale_now.plus(-10)), &fx.current),
    ));
    vectors.push(Vector::new(
        "malformed",
        "deny malformed",
        in_window,
        // A CBOR map where the COSE_Sign1 should be.
        qr_text::encode(&[0xa1, 0x01, 0x02]),
    ));
    vectors.push(Vector::new(
        "unsupported-version",
        "deny unsupported_version",
        in_window,
        valid_text.replacen("XG1:", "XG2:", 1),
    ));
    vectors.push(Vector::new(
        "unknown-key",
        "deny unknown_key",
        in_window,
        mint(&valid, &fx.foreign),
    ));
    let mut cose = qr_text::decode(&valid_text).expect("valid text decodes");
    let last = cose.len() - 1;
    cose[last] ^= 0x01;
    vectors.push(Vector::new(
        "bad-signature",
        "deny bad_signature",
        in_window,
        qr_text::encode(&cose),
    ));
    vectors.push(Vector {
        clock_floor: Some(at.plus(86_400)),
        ..Vector::new(
            "clock-untrusted",
            "deny clock_untrusted",
            in_window,
            valid_text.clone(),
        )
    });
    vectors.push(Vector::new(
        "key-not-valid-at-time",
        "deny key_not_valid_at_time",
        in_window,
        mint(&valid, &fx.next),
    ));
    vectors.push(Vector::new(
        "expired",
        "deny expired",
        valid.expires_at.plus(30),
        valid_text.clone(),
    ));
    vectors.push(Vector::new(
        "not-yet-valid",
        "deny not_yet_valid",
        in_window,
        mint(&fx.pass(at.plus(600)), &fx.current),
    ));
    let too_stale_now = fx.status_list.issued_at.plus(72 * 3600 + 1);
    vectors.push(Vector::new(
        "lists-too-stale",
        "deny lists_too_stale",
        too_stale_now,
        mint(&fx.pass(too_stale_now.plus(-10)), &fx.current),
    ));
    let revoked = Pass {
        status_index: REVOKED_INDEX,
        ..valid.clone()
    };
    vectors.push(Vector::new(
        "revoked",
        "deny revoked",
        in_window,
        mint(&revoked, &fx.current),
    ));
    let suspended = Pass {
        status_index: SUSPENDED_INDEX,
        ..valid.clone()
    };
    vectors.push(Vector::new(
        "suspended",
        "deny suspended",
        in_window,
        mint(&suspended, &fx.current),
    ));
    vectors.push(Vector {
        banned: Some(valid.rider.to_string()),
        ..Vector::new(
            "banned-at-site",
            "deny banned_at_site",
            in_window,
            valid_text.clone(),
        )
    });
    let elsewhere = Pass {
        site: Some(SiteId(13)),
        ..valid.clone()
    };
    vectors.push(Vector::new(
        "wrong-site",
        "deny wrong_site",
        in_window,
        mint(&elsewhere, &fx.current),
    ));
    vectors.push(Vector {
        seen: Some(valid.code_id),
        ..Vector::new("replayed", "deny replayed", in_window, valid_text.clone())
    });
    // Added with the fail-closed rules; the vectors above are unchanged.
    let unlisted = Pass {
        status_index: 100_000,
        ..valid.clone()
    };
    vectors.push(Vector::new(
        "status-unknown",
        "deny status_unknown",
        in_window,
        mint(&unlisted, &fx.current),
    ));
    vectors.push(Vector {
        bans_unverifiable: true,
        ..Vector::new(
            "bans-unverifiable",
            "deny bans_unverifiable",
            in_window,
            valid_text.clone(),
        )
    });
    // The wall clock reads 290 s behind the gate's trusted estimate (within a 300 s
    // tolerance), which would keep a code alive 160 s past its expiry: the estimate decides.
    let true_time = valid.expires_at.plus(160);
    vectors.push(Vector {
        true_time: Some(true_time),
        ..Vector::new(
            "expired-by-true-time",
            "deny expired",
            true_time.plus(-290),
            valid_text,
        )
    });

    let mut files = BTreeMap::new();
    files.insert(
        "root-public-key.hex".to_owned(),
        format!("{}\n", hex::encode(fx.root.public().as_bytes())),
    );
    files.insert(
        "trust-list.hex".to_owned(),
        format!("{}\n", hex::encode(fx.trust_list.sign(&fx.root))),
    );
    files.insert(
        "status-list.hex".to_owned(),
        format!("{}\n", hex::encode(fx.status_list.sign(&fx.current))),
    );
    let token = TimeToken {
        issuer: common::ISSUER.into(),
        time: T0.plus(5),
        nonce: [0xa5; 16],
    };
    files.insert(
        "time-token.hex".to_owned(),
        format!("{}\n", hex::encode(token.sign(&fx.current))),
    );
    files.insert(
        "site-bundle.hex".to_owned(),
        format!("{}\n", hex::encode(fx.site_bundle.sign(&fx.current))),
    );
    // The same bundle without buildings and platforms: the bytes issuers wrote before those
    // keys existed (and still write for a site with neither), which gates must still open.
    let without_lists = SiteBundle {
        buildings: Vec::new(),
        platforms: Vec::new(),
        ..fx.site_bundle.clone()
    };
    files.insert(
        "site-bundle-without-lists.hex".to_owned(),
        format!("{}\n", hex::encode(without_lists.sign(&fx.current))),
    );
    for (i, v) in vectors.iter().enumerate() {
        files.insert(format!("{:02}-{}.vector", i + 1, v.name), v.render());
    }
    files.insert("gate-request.request".to_owned(), gate_request());
    files
}

/// A gate's signed request: every header value and the signing text, from a fixed key.
fn gate_request() -> String {
    let key = KeyPair::from_seed([0x07; 32]);
    let (method, path, time, nonce) = (
        "POST",
        "/v1/gate/entries",
        T0.0,
        "00112233445566778899aabbccddeeff",
    );
    let body = br#"{"entries":[]}"#;
    let input = gate_auth::signing_input(method, path, time, nonce, body);
    format!(
        "# A gate's signed request (docs/FORMAT.md, \"Gate request signature\").\n\
         gate-public-key: {}\nmethod: {method}\npath: {path}\nx-xg-time: {time}\n\
         x-xg-nonce: {nonce}\nbody: {}\nsigning-text-hex: {}\nx-xg-signature: {}\n",
        hex::encode(key.public().as_bytes()),
        String::from_utf8_lossy(body),
        hex::encode(&input),
        hex::encode(key.sign(&input)),
    )
}

#[test]
fn the_gate_request_vector_verifies_as_the_issuer_checks_it() {
    let text = fs::read_to_string(vectors_dir().join("gate-request.request")).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("gate-request.request has no {name}"))
    };
    let key = public_key_from_bytes(&hex::decode(field("gate-public-key")).unwrap()).unwrap();
    let input = gate_auth::signing_input(
        field("method"),
        field("path"),
        field("x-xg-time").parse().unwrap(),
        field("x-xg-nonce"),
        field("body").as_bytes(),
    );
    assert_eq!(hex::encode(&input), field("signing-text-hex"));
    let signature = hex::decode(field("x-xg-signature")).unwrap();
    assert!(signature_valid(&key, &input, &signature));
    let mut tampered = input.clone();
    tampered[20] ^= 1;
    assert!(!signature_valid(&key, &tampered, &signature));
}

fn read_hex(name: &str) -> Vec<u8> {
    let text = fs::read_to_string(vectors_dir().join(name)).expect("vector file is readable");
    hex::decode(text.trim()).expect("vector file holds hex")
}

#[test]
fn the_encoder_still_writes_the_vectors() {
    let dir = vectors_dir();
    let expected = generate();
    if std::env::var_os("XIAOGE_BLESS").is_some() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_some_and(|e| e == "vector" || e == "hex" || e == "request")
            {
                fs::remove_file(path).unwrap();
            }
        }
        for (name, contents) in &expected {
            fs::write(dir.join(name), contents).unwrap();
        }
    }
    let on_disk: BTreeSet<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".vector") || n.ends_with(".hex") || n.ends_with(".request"))
        .collect();
    let generated: BTreeSet<String> = expected.keys().cloned().collect();
    assert_eq!(
        on_disk, generated,
        "the vector files differ from the generated set"
    );
    for (name, contents) in expected {
        let found = fs::read_to_string(dir.join(&name)).unwrap();
        assert_eq!(
            found, contents,
            "{name}: the encoder's output changed; if intended, bless the vectors"
        );
    }
}

#[test]
fn every_vector_gets_its_expected_verdict() {
    let root = public_key_from_bytes(&read_hex("root-public-key.hex")).unwrap();
    let trust_list = TrustList::open(&read_hex("trust-list.hex"), &root).unwrap();
    let status_list = StatusList::open(&read_hex("status-list.hex"), &trust_list).unwrap();
    let bundle = SiteBundle::open(&read_hex("site-bundle.hex"), &trust_list).unwrap();
    let token = TimeToken::open(&read_hex("time-token.hex"), &trust_list).unwrap();
    assert_eq!(token.nonce, [0xa5; 16]);
    assert_eq!(bundle.site, GATE_SITE);
    assert_eq!(bundle.banned.len(), 1);
    assert_eq!(bundle.buildings, ["1幢", "15幢"]);
    assert_eq!(bundle.platforms, ["美团", "饿了么"]);
    let older = SiteBundle::open(&read_hex("site-bundle-without-lists.hex"), &trust_list).unwrap();
    assert_eq!(older.banned, bundle.banned);
    assert!(older.buildings.is_empty() && older.platforms.is_empty());
    let trust = TrustState {
        trust_list,
        status_list: Some(status_list),
    };
    let mut names: Vec<PathBuf> = fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vector"))
        .collect();
    names.sort();
    assert!(names.len() >= 17, "every rejection has a vector");
    let mut reasons_seen = BTreeSet::new();
    for path in names {
        let text = fs::read_to_string(&path).unwrap();
        let fields: BTreeMap<&str, &str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(": "))
            .collect();
        let mut gate = GateContext::new(SiteId(fields["site"].parse().unwrap()));
        if let Some(b) = fields.get("banned") {
            gate.bans = SiteBans::Verified([b.parse::<RiderId>().unwrap()].into());
        }
        if fields.get("bans") == Some(&"unverifiable") {
            gate.bans = SiteBans::Unverifiable;
        }
        gate.true_time = fields
            .get("true-time")
            .map(|t| UnixTime(t.parse().unwrap()));
        if let Some(s) = fields.get("seen") {
            gate.seen = HashSet::from([s.parse::<CodeId>().unwrap()]);
        }
        gate.clock_floor = fields
            .get("clock-floor")
            .map(|f| UnixTime(f.parse().unwrap()));
        let now = UnixTime(fields["now"].parse().unwrap());
        let verdict = verify(fields["code"], &trust, &gate, now);
        let got = match &verdict {
            Ok(a) if a.lists_stale() => "allow stale".to_owned(),
            Ok(_) => "allow".to_owned(),
            Err(r) => {
                reasons_seen.insert(r.code().as_str());
                format!("deny {}", r.code())
            }
        };
        assert_eq!(got, fields["expect"], "{}: {verdict:?}", path.display());
    }
    let all: BTreeSet<&str> = xiaoge_pass::ReasonCode::ALL
        .into_iter()
        .map(xiaoge_pass::ReasonCode::as_str)
        .collect();
    assert_eq!(reasons_seen, all, "each rejection reason has a vector");
}

#[test]
fn format_spec_shows_the_valid_vector() {
    let spec = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/FORMAT.md"))
        .expect("docs/FORMAT.md exists");
    let files = generate();
    let valid = &files["01-valid.vector"];
    let code = valid
        .lines()
        .find_map(|l| l.strip_prefix("code: "))
        .unwrap();
    let cose = hex::encode(qr_text::decode(code).unwrap());
    assert!(
        spec.contains(code),
        "FORMAT.md quotes the valid vector's QR text"
    );
    assert!(
        spec.replace(['\n', ' '], "").contains(&cose),
        "FORMAT.md quotes the valid vector's COSE bytes in hex"
    );
}
