//! The HTTP client a gate talks to its issuer with: ureq over rustls, the pinned CA or
//! Mozilla's roots, bounded answers, and the signature headers of every request after
//! enrollment.

use std::time::Duration;

use serde::Serialize;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};
use xiaoge_pass::api::ErrorBody;
use xiaoge_pass::gate_auth::{self, GateAuthHeaders, Nonce};
use xiaoge_pass::time_token::NONCE_LEN;
use xiaoge_pass::{KeyPair, UnixTime};

use crate::error::{GateError, Result};
use crate::store::Enrollment;

/// Largest JSON answer read from the issuer.
const MAX_JSON_BYTES: u64 = 4 * 1024 * 1024;

/// A conditional GET's answer.
pub(super) enum Fetched {
    /// The ETag matched: what the gate holds is current.
    NotModified,
    /// A new body, with its ETag when the issuer sent one.
    Fresh {
        /// The body.
        bytes: Vec<u8>,
        /// Its ETag.
        etag: Option<String>,
    },
}

/// Who signs a gate request, and when.
#[derive(Clone, Copy)]
pub(super) struct Signer<'a> {
    pub(super) gate: u64,
    pub(super) key: &'a KeyPair,
    pub(super) now: UnixTime,
}

/// An HTTP client for one issuer.
pub(super) struct Client {
    pub(super) agent: ureq::Agent,
    pub(super) base: String,
    /// Whether a CA file is pinned (only then are Mozilla's roots not trusted).
    pub(super) pinned: bool,
}

impl Client {
    /// A client trusting `ca` (parsed CA certificates) for the issuer's TLS certificate,
    /// or Mozilla's roots when `None`.
    pub(super) fn new(
        base: &str,
        ca: Option<Vec<Certificate<'static>>>,
        timeout: Duration,
    ) -> Self {
        let pinned = ca.is_some();
        let roots = ca.map_or(RootCerts::WebPki, RootCerts::from);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("xiaoge-gate/", env!("CARGO_PKG_VERSION")))
            .tls_config(
                TlsConfig::builder()
                    .provider(TlsProvider::Rustls)
                    .root_certs(roots)
                    .build(),
            )
            // A pinned CA means nothing if a redirect could take the gate to plain HTTP.
            .https_only(pinned)
            .build()
            .new_agent();
        Self {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            pinned,
        }
    }

    /// The client for an enrolled gate: its issuer, trusting the CA pinned at enrollment.
    pub(super) fn for_enrollment(enrollment: &Enrollment, timeout: Duration) -> Result<Self> {
        let ca = enrollment
            .issuer_ca_pem
            .as_deref()
            .map(|pem| {
                parse_ca(pem).map_err(|reason| {
                    GateError::Corrupt(format!(
                        "the CA certificates pinned at enrollment: {reason}"
                    ))
                })
            })
            .transpose()?;
        Ok(Self::new(&enrollment.issuer_url, ca, timeout))
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(super) fn network(&self, path: &str, e: &ureq::Error) -> GateError {
        if let Some(reason) = tls_refusal(e, self.pinned) {
            return GateError::Tls {
                url: self.url(path),
                reason,
            };
        }
        GateError::Network {
            url: self.url(path),
            reason: e.to_string(),
        }
    }

    /// Reads a response: the body on 2xx, a typed error otherwise.
    pub(super) fn finish(
        &self,
        path: &str,
        mut response: ureq::http::Response<ureq::Body>,
        limit: u64,
    ) -> Result<(u16, Vec<u8>, Option<String>)> {
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| self.network(path, &e))?;
        if (200..300).contains(&status) || status == 304 {
            return Ok((status, body, etag));
        }
        let (code, message) = serde_json::from_slice::<ErrorBody>(&body).map_or_else(
            |_| {
                (
                    "unexpected".to_owned(),
                    String::from_utf8_lossy(&body).chars().take(200).collect(),
                )
            },
            |b| (b.error.code, b.error.message),
        );
        Err(GateError::Issuer {
            url: self.url(path),
            status,
            code,
            message,
        })
    }

    pub(super) fn post_json<T: Serialize>(&self, path: &str, body: &T) -> Result<Vec<u8>> {
        let bytes = serde_json::to_vec(body).map_err(|e| GateError::Corrupt(e.to_string()))?;
        let response = self
            .agent
            .post(&self.url(path))
            .header("content-type", "application/json")
            .send(&bytes[..])
            .map_err(|e| self.network(path, &e))?;
        Ok(self.finish(path, response, MAX_JSON_BYTES)?.1)
    }

    /// The four headers that sign a request as `gate` (docs/FORMAT.md).
    pub(super) fn signature_headers(
        method: &str,
        path: &str,
        body: &[u8],
        signer: &Signer<'_>,
        nonce: [u8; NONCE_LEN],
    ) -> [(&'static str, String); 4] {
        let Signer { gate, key, now } = *signer;
        let nonce = Nonce::from_bytes(nonce);
        let input = gate_auth::signing_input(method, path, now.0, nonce.as_str(), body);
        GateAuthHeaders {
            gate,
            time: now.0,
            nonce,
            signature: key.sign(&input),
        }
        .values()
    }

    pub(super) fn signed_post<T: Serialize>(
        &self,
        path: &str,
        body: &T,
        signer: &Signer<'_>,
    ) -> Result<Vec<u8>> {
        let bytes = serde_json::to_vec(body).map_err(|e| GateError::Corrupt(e.to_string()))?;
        let mut request = self
            .agent
            .post(&self.url(path))
            .header("content-type", "application/json");
        for (name, value) in Self::signature_headers("POST", path, &bytes, signer, random_bytes()?)
        {
            request = request.header(name, value);
        }
        let response = request
            .send(&bytes[..])
            .map_err(|e| self.network(path, &e))?;
        Ok(self.finish(path, response, MAX_JSON_BYTES)?.1)
    }

    /// Fetches a signed object, with `If-None-Match` when one is held, signing the request
    /// as `signer` when the endpoint wants to know which gate asks.
    pub(super) fn get_list(
        &self,
        path: &str,
        etag: Option<&str>,
        limit: usize,
        signer: Option<(&Signer<'_>, [u8; NONCE_LEN])>,
    ) -> Result<Fetched> {
        let mut request = self.agent.get(&self.url(path));
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        if let Some((signer, nonce)) = signer {
            for (name, value) in Self::signature_headers("GET", path, &[], signer, nonce) {
                request = request.header(name, value);
            }
        }
        let response = request.call().map_err(|e| self.network(path, &e))?;
        let (status, bytes, etag) = self.finish(path, response, limit as u64)?;
        Ok(if status == 304 {
            Fetched::NotModified
        } else {
            Fetched::Fresh { bytes, etag }
        })
    }
}

/// The rustls error inside a ureq error: ureq returns handshake failures wrapped in I/O
/// errors, and configuration failures as its own variant.
fn rustls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

/// Why a TLS handshake with the issuer failed, in words an operator can act on; `None` when
/// `e` is not about TLS (then it is an ordinary network error).
fn tls_refusal(e: &ureq::Error, pinned: bool) -> Option<String> {
    use rustls::CertificateError as C;
    if let ureq::Error::Tls(what) = e {
        return Some(format!("TLS failed before the handshake: {what}"));
    }
    let r = rustls_error(e)?;
    let plain = match r {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension => {
                if pinned {
                    "the certificate is not signed by the CA pinned at enrollment (--ca-file)"
                } else {
                    "the certificate is not signed by a CA this gate trusts (Mozilla's roots); \
                     for a private CA, enroll with --ca-file"
                }
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the certificate is not valid for the URL's host name"
            }
            C::Expired | C::ExpiredContext { .. } => "the certificate has expired",
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the certificate is not valid yet (is the gate's clock right?)"
            }
            C::Revoked => "the certificate is revoked",
            _ => "the certificate is invalid",
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the server did not answer in TLS (is it plain http:// at an https:// URL?)"
        }
        rustls::Error::NoCertificatesPresented => "the server presented no certificate",
        rustls::Error::AlertReceived(_) => "the server ended the TLS handshake",
        _ => "the TLS handshake failed",
    };
    Some(format!("{plain} ({r})"))
}

/// Reads PEM text into the CA certificates it holds, each checked to be usable as a trust
/// anchor, so that a wrong file is refused at enrollment rather than at every sync.
pub(super) fn parse_ca(pem: &str) -> std::result::Result<Vec<Certificate<'static>>, String> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem.as_bytes()) {
        match item.map_err(|e| format!("not readable as PEM: {e}"))? {
            PemItem::Certificate(c) => certs.push(c),
            PemItem::PrivateKey(_) => {
                return Err("holds a private key: give only the CA's certificate".into());
            }
            // Other blocks (CRLs, CSRs) are no roots; a file that holds nothing but them
            // is refused below for holding no certificate.
            _ => {}
        }
    }
    if certs.is_empty() {
        return Err("holds no PEM CERTIFICATE block".into());
    }
    for (i, cert) in certs.iter().enumerate() {
        rustls::RootCertStore::empty()
            .add(rustls::pki_types::CertificateDer::from(cert.der()))
            .map_err(|e| format!("certificate {} is not a usable CA certificate: {e}", i + 1))?;
    }
    Ok(certs)
}

pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| GateError::Random(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed P-256 CA certificate (openssl), only ever parsed here.
    const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBnjCCAUSgAwIBAgIUTb/xwktGIe64Bk6zMPw+GPKnLYwwCgYIKoZIzj0EAwIw\nHjEcMBoGA1UEAwwTeGlhb2dlIHVuaXQtdGVzdCBDQTAeFw0yNjEyMDEyMTQ3NDJa\nFw0zNjExMjgyMTQ3NDJaMB4xHDAaBgNVBAMME3hpYW9nZSB1bml0LXRlc3QgQ0Ew\nWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATwLDhOg/Ggq0jilVKCicLAqOvjwdgE\n7EMO+cf4on9Ka91a4YM2Di+iKylc2fh3z9DHj1f61/UFobrZe/C4xu9Ho2AwXjAd\nBgNVHQ4EFgQUQlSJ/TlkiDdSiL/iSqq+Mk0m+TkwHwYDVR0jBBgwFoAUQlSJ/Tlk\niDdSiL/iSqq+Mk0m+TkwDwYDVR0TAQH/BAUwAwEB/zALBgNVHQ8EBAMCAgQwCgYI\nKoZIzj0EAwIDSAAwRQIhAPjnpRrDSvzIJGjq6GUC8t5BWBwlHorZ2mmWsBgMcB5o\nAiA+M3XuQhZ58ANqYoXnJfvFzkZwl8lirLpRBlyjAqESqA==\n-----END CERTIFICATE-----\n";

    #[test]
    fn a_ca_file_must_hold_a_ca_certificate_and_no_key() {
        assert_eq!(parse_ca(TEST_CA).unwrap().len(), 1);
        assert!(
            parse_ca("not PEM at all\n")
                .unwrap_err()
                .contains("CERTIFICATE")
        );
        let with_key = format!(
            "{TEST_CA}-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
        );
        assert!(parse_ca(&with_key).unwrap_err().contains("private key"));
    }

    #[test]
    fn rustls_refusals_say_what_was_wrong_and_other_errors_stay_network_errors() {
        let unknown = || rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let pinned = tls_refusal(&ureq::Error::Rustls(unknown()), true).unwrap();
        assert!(pinned.contains("pinned at enrollment"), "{pinned}");
        // Handshake failures arrive wrapped in an I/O error.
        let wrapped = ureq::Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            unknown(),
        ));
        let public = tls_refusal(&wrapped, false).unwrap();
        assert!(public.contains("--ca-file"), "{public}");
        let refused = ureq::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(tls_refusal(&refused, true).is_none());
    }
}
