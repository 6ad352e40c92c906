//! TLS termination for `serve --tls-cert --tls-key`: small deployments without a reverse
//! proxy serve HTTPS themselves.
//!
//! The handshake is the only difference from plain HTTP: connections are accepted, capped,
//! timed and drained by the same loop ([`super::connections`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;

use super::connections::Handshake;

/// Why the certificate or the key given to `serve` cannot be served.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not the PEM expected.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was expected and not found.
        reason: String,
    },
    /// rustls refused the pair (for example, the key does not belong to the certificate).
    #[error("the certificate {cert} and the key {key} cannot be served together: {source}")]
    Refused {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        source: rustls::Error,
    },
}

/// The server's TLS settings from a PEM certificate chain (leaf first) and its PEM private
/// key (PKCS#8, PKCS#1 or SEC1): TLS 1.3 and 1.2 on ring, HTTP/1.1 only, as the router serves.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsSetupError::Read {
            path: path.to_owned(),
            source,
        })
    };
    let pem_error = |path: &Path, reason: String| TlsSetupError::Pem {
        path: path.to_owned(),
        reason,
    };
    let cert_pem = read(cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(cert, format!("not a readable PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(pem_error(
            cert,
            "holds no PEM CERTIFICATE block (expected the server's certificate chain)".into(),
        ));
    }
    let key_pem = read(key)?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        pem_error(
            key,
            format!("holds no readable PEM private key (PKCS#8, PKCS#1 or SEC1): {e}"),
        )
    })?;
    let refused = |source| TlsSetupError::Refused {
        cert: cert.to_owned(),
        key: key.to_owned(),
        source,
    };
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(refused)?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(refused)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// TLS on accepted connections, for [`super::connections::serve`].
#[derive(Clone)]
pub struct Tls(TlsAcceptor);

impl Tls {
    /// Handshakes with `config`.
    #[must_use]
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Self(TlsAcceptor::from(config))
    }
}

impl Handshake for Tls {
    type Io = TlsStream<TcpStream>;

    async fn handshake(&self, tcp: TcpStream) -> std::io::Result<Self::Io> {
        self.0.accept(tcp).await
    }

    // Before the handshake there is no way to say anything a TLS client would read.
    fn refuse(&self, _: &TcpStream) {}
}
