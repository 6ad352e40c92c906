//! Gates and an issuer over HTTPS (issue 10): `serve --tls-cert --tls-key` terminates TLS,
//! a gate enrolls with `--ca-file` for a private CA and keeps trusting only that CA, and a
//! certificate from another CA or for another host is refused with a message that says so.
//! The CA and the certificates are made fresh by each test (rcgen).

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use xiaoge_e2e::{IssuerProcess, ok, run};

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// A private CA whose certificate is written to `<dir>/<name>.pem`.
struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pem: PathBuf,
}

impl TestCa {
    fn new(dir: &Path, name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let pem = dir.join(format!("{name}.pem"));
        std::fs::write(&pem, issuer.pem()).unwrap();
        Self { issuer, pem }
    }

    /// A server certificate for `names`, written as `<dir>/<file>.crt` and `.key`.
    fn server_cert(&self, dir: &Path, file: &str, names: &[&str]) -> (PathBuf, PathBuf) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, file);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let (cert_path, key_path) = (
            dir.join(format!("{file}.crt")),
            dir.join(format!("{file}.key")),
        );
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }
}

/// An initialised issuer data directory with a site, a gate token and a rider.
struct Registry {
    data: PathBuf,
    token: String,
    rider: String,
}

fn registry(tmp: &Path) -> Registry {
    let data = tmp.join("issuer");
    let d = s(&data);
    ok(
        "xiaoge-issuer",
        &["init", "--data", d, "--name", "xg-https"],
    );
    ok("xiaoge-issuer", &["platform", "add", "--data", d, "美团"]);
    let site = ok(
        "xiaoge-issuer",
        &["site", "add", "--data", d, "--name", "翠苑一区"],
    )
    .line();
    let token = ok(
        "xiaoge-issuer",
        &[
            "gate", "add", "--data", d, "--site", &site, "--name", "东门",
        ],
    )
    .line();
    let rider = ok(
        "xiaoge-issuer",
        &[
            "rider",
            "add",
            "--data",
            d,
            "--platform",
            "美团",
            "--platform-rider-id",
            "mt-1",
            "--name",
            "黄小明",
        ],
    )
    .line();
    Registry { data, token, rider }
}

fn enroll(state: &Path, url: &str, token: &str, ca: Option<&Path>) -> xiaoge_e2e::Run {
    let mut args = vec![
        "enroll",
        "--state",
        s(state),
        "--issuer",
        url,
        "--token",
        token,
    ];
    if let Some(ca) = ca {
        args.extend(["--ca-file", s(ca)]);
    }
    run("xiaoge-gate", &args)
}

#[test]
fn a_gate_enrolls_verifies_and_syncs_over_https_trusting_only_its_pinned_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = registry(tmp.path());
    let ca = TestCa::new(tmp.path(), "city-ca");
    let (cert, key) = ca.server_cert(tmp.path(), "issuer", &["127.0.0.1", "localhost"]);
    let issuer = IssuerProcess::start_tls(&reg.data, "127.0.0.1:0", &cert, &key);
    let url = issuer.url.clone();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let state = tmp.path().join("gate");
    let g = s(&state);
    let enrolled = enroll(&state, &url, &reg.token, Some(&ca.pem));
    assert_eq!(enrolled.code, Some(0), "enroll over HTTPS: {enrolled:?}");

    let code = ok(
        "xiaoge-issuer",
        &["code", "--data", s(&reg.data), "--rider", &reg.rider],
    )
    .line();
    let verdict = ok(
        "xiaoge-gate",
        &["verify", "--state", g, "--text", &code, "--json"],
    )
    .json();
    assert_eq!(verdict["verdict"], "allow", "{verdict}");
    let entry_id = verdict["entry_id"].as_str().unwrap().to_owned();

    ok("xiaoge-gate", &["sync", "--state", g]);
    let held = ok(
        "xiaoge-issuer",
        &["entries", "--data", s(&reg.data), "--json"],
    );
    let copies = held
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["id"] == entry_id.as_str())
        .count();
    assert_eq!(copies, 1, "the entry arrives once over HTTPS: {held:?}");

    // The CA stays pinned for every later sync: the same address with a certificate from
    // another CA (one a public CA could have issued, say) is refused...
    let addr = issuer.addr();
    issuer.stop();
    let other = TestCa::new(tmp.path(), "other-ca");
    let (cert2, key2) = other.server_cert(tmp.path(), "impostor", &["127.0.0.1"]);
    let impostor = IssuerProcess::start_tls(&reg.data, &addr, &cert2, &key2);
    let refused = run("xiaoge-gate", &["sync", "--state", g]);
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(
        refused.stderr.contains("certificate")
            && refused.stderr.contains("pinned at enrollment")
            && refused.stderr.contains(&url),
        "the refusal names the URL and the certificate: {refused:?}"
    );
    impostor.stop();

    // ...and the real one is trusted again.
    let issuer = IssuerProcess::start_tls(&reg.data, &addr, &cert, &key);
    ok("xiaoge-gate", &["sync", "--state", g]);
    issuer.stop();
}

#[test]
fn a_certificate_from_another_ca_or_for_another_host_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = registry(tmp.path());
    let ca = TestCa::new(tmp.path(), "city-ca");
    let other = TestCa::new(tmp.path(), "other-ca");
    let (cert, key) = ca.server_cert(tmp.path(), "issuer", &["127.0.0.1"]);
    let issuer = IssuerProcess::start_tls(&reg.data, "127.0.0.1:0", &cert, &key);
    let state = tmp.path().join("gate");

    // (a) The CA file of another CA.
    let wrong_ca = enroll(&state, &issuer.url, &reg.token, Some(&other.pem));
    assert_eq!(wrong_ca.code, Some(2), "{wrong_ca:?}");
    assert!(
        wrong_ca.stderr.contains(&format!(
            "refusing the TLS certificate of the issuer at {}",
            issuer.url
        )) && wrong_ca
            .stderr
            .contains("not signed by the CA pinned at enrollment"),
        "{wrong_ca:?}"
    );
    // No CA file: Mozilla's roots, which do not hold a private CA.
    let no_ca = enroll(&state, &issuer.url, &reg.token, None);
    assert_eq!(no_ca.code, Some(2), "{no_ca:?}");
    assert!(
        no_ca.stderr.contains("not signed by a CA this gate trusts")
            && no_ca.stderr.contains("--ca-file"),
        "{no_ca:?}"
    );
    // A CA file that is not a certificate, and a CA file for a plain http:// issuer.
    let junk = tmp.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let unreadable = enroll(&state, &issuer.url, &reg.token, Some(&junk));
    assert_eq!(unreadable.code, Some(2), "{unreadable:?}");
    assert!(
        unreadable.stderr.contains(s(&junk)) && unreadable.stderr.contains("CERTIFICATE"),
        "{unreadable:?}"
    );
    let plain = enroll(
        &state,
        &issuer.url.replacen("https://", "http://", 1),
        &reg.token,
        Some(&ca.pem),
    );
    assert_eq!(plain.code, Some(2), "{plain:?}");
    assert!(plain.stderr.contains("not an https:// URL"), "{plain:?}");
    assert!(
        !state.join("gate.db").exists(),
        "a refused enrollment leaves no gate behind"
    );
    issuer.stop();

    // (b) A certificate from the right CA, for another host name.
    let (cert, key) = ca.server_cert(tmp.path(), "elsewhere", &["pass.example.cn"]);
    let elsewhere = IssuerProcess::start_tls(&reg.data, "127.0.0.1:0", &cert, &key);
    let wrong_host = enroll(&state, &elsewhere.url, &reg.token, Some(&ca.pem));
    assert_eq!(wrong_host.code, Some(2), "{wrong_host:?}");
    assert!(
        wrong_host.stderr.contains(&elsewhere.url)
            && wrong_host
                .stderr
                .contains("certificate is not valid for the URL's host name"),
        "{wrong_host:?}"
    );

    // None of the refusals reached the issuer: the one-time token still works.
    elsewhere.stop();
    let (cert, key) = ca.server_cert(tmp.path(), "issuer2", &["127.0.0.1"]);
    let issuer = IssuerProcess::start_tls(&reg.data, "127.0.0.1:0", &cert, &key);
    let enrolled = enroll(&state, &issuer.url, &reg.token, Some(&ca.pem));
    assert_eq!(enrolled.code, Some(0), "{enrolled:?}");
    issuer.stop();
}

#[test]
fn serve_refuses_a_key_that_is_not_a_key() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = registry(tmp.path());
    let ca = TestCa::new(tmp.path(), "city-ca");
    let (cert, _) = ca.server_cert(tmp.path(), "issuer", &["127.0.0.1"]);
    let refused = run(
        "xiaoge-issuer",
        &[
            "serve",
            "--data",
            s(&reg.data),
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            s(&cert),
            "--tls-key",
            s(&cert),
        ],
    );
    assert_ne!(refused.code, Some(0), "{refused:?}");
    assert!(
        refused.stderr.contains(s(&cert)) && refused.stderr.contains("private key"),
        "{refused:?}"
    );
}
