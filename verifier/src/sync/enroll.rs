//! Enrollment: a new gate trades its one-time token for an identity, pins the root key the
//! token names, and syncs once.

use std::path::Path;
use std::time::Duration;

use ureq::tls::Certificate;
use xiaoge_pass::api::{EnrollRequest, EnrollResponse};
use xiaoge_pass::gate_auth::{self, EnrollmentToken};
use xiaoge_pass::keys::public_key_from_bytes;
use xiaoge_pass::{KeyPair, ListError, UnixTime};

use crate::error::{GateError, Result};
use crate::gate::Gate;
use crate::store::Enrollment;

use super::client::{Client, parse_ca, random_bytes};
use super::sync;

/// Enrolls a new gate in `dir` with the issuer at `issuer_url`, then syncs its lists.
/// The issuer's TLS certificate, for an `https://` URL, is checked against Mozilla's roots.
pub fn enroll(
    dir: &Path,
    issuer_url: &str,
    token: &str,
    timeout: Duration,
    now: UnixTime,
) -> Result<Gate> {
    enroll_with_ca(dir, issuer_url, token, None, timeout, now)
}

/// Enrolls like [`enroll`], pinning the CA certificates in the PEM file `ca_file` when
/// given: they are kept in the gate's state and, for this and every later sync, are the only
/// roots trusted for the issuer's TLS certificate (a private PKI). This is on top of the
/// root-key fingerprint in the token, which authenticates the lists whatever TLS says.
pub fn enroll_with_ca(
    dir: &Path,
    issuer_url: &str,
    token: &str,
    ca_file: Option<&Path>,
    timeout: Duration,
    now: UnixTime,
) -> Result<Gate> {
    let parsed: EnrollmentToken = token
        .parse()
        .map_err(|_| GateError::BadToken(token.chars().count()))?;
    if dir.join(crate::gate::DB_FILE).exists() {
        return Err(GateError::AlreadyEnrolled);
    }
    let ca = ca_file
        .map(|path| read_ca_file(path, issuer_url))
        .transpose()?;
    let key = KeyPair::from_seed(random_bytes()?);
    let client = Client::new(
        issuer_url,
        ca.as_ref().map(|(_, certs)| certs.clone()),
        timeout,
    );
    let body = client.post_json(
        "/v1/gates/enroll",
        &EnrollRequest {
            token: parsed.to_string(),
            public_key: hex::encode(key.public().as_bytes()),
        },
    )?;
    let response: EnrollResponse =
        serde_json::from_slice(&body).map_err(|e| GateError::Issuer {
            url: client.url("/v1/gates/enroll"),
            status: 200,
            code: "bad_json".into(),
            message: e.to_string(),
        })?;
    let root_bytes = hex::decode(&response.root_public_key).unwrap_or_default();
    let root = public_key_from_bytes(&root_bytes).map_err(|e| GateError::List {
        which: "root key",
        source: ListError::Format(e),
    })?;
    let found = gate_auth::root_fingerprint(&root);
    if found != parsed.root_fingerprint {
        return Err(GateError::RootMismatch {
            expected: parsed.root_fingerprint,
            found,
        });
    }
    let enrollment = Enrollment {
        gate_id: response.gate_id,
        gate_name: response.gate_name,
        site_id: response.site_id,
        site_name: response.site_name,
        issuer_url: client.base.clone(),
        issuer_name: response.issuer,
        issuer_ca_pem: ca.map(|(pem, _)| pem),
        root_public_key: root_bytes,
        gate_seed: key.seed(),
        enrolled_at: now,
    };
    drop(Gate::create(dir, &enrollment)?);
    let mut gate = Gate::open(dir)?;
    sync(&mut gate, timeout, now)?;
    Ok(gate)
}

/// Reads and checks the CA file to pin for `issuer_url`: its PEM text and certificates.
fn read_ca_file(path: &Path, issuer_url: &str) -> Result<(String, Vec<Certificate<'static>>)> {
    let refuse = |reason: String| GateError::CaFile {
        path: path.to_owned(),
        reason,
    };
    if !issuer_url.starts_with("https://") {
        return Err(refuse(format!(
            "a CA file pins the issuer's TLS certificate, but {issuer_url} is not an https:// URL"
        )));
    }
    let pem = std::fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?;
    let certs = parse_ca(&pem).map_err(refuse)?;
    Ok((pem, certs))
}
