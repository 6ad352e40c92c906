//! The gate's errors: each variant is something the guard or the operator can act on.

use std::path::PathBuf;

use thiserror::Error;
use xiaoge_pass::ListError;

/// What can go wrong at a gate, apart from a code being denied (which is a verdict).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GateError {
    /// The state directory holds no enrolled gate.
    #[error(
        "{0} holds no enrolled gate: run `xiaoge-gate enroll --state {0} --issuer URL --token T`"
    )]
    NotEnrolled(PathBuf),
    /// The state directory already holds an enrolled gate.
    #[error("this state directory already holds an enrolled gate; use a new directory")]
    AlreadyEnrolled,
    /// The enrollment token is not of the form the issuer prints (it is not echoed: it is a
    /// secret).
    #[error("enrollment token ({0} characters) is not of the form xge1_<32 hex>_<32 hex>")]
    BadToken(usize),
    /// The issuer's root key does not match the fingerprint in the token: not the issuer
    /// the operator meant, or someone in between.
    #[error(
        "issuer root key fingerprint is {found}, the token expects {expected}: refusing to enroll"
    )]
    RootMismatch {
        /// Fingerprint in the token.
        expected: String,
        /// Fingerprint of the key the issuer sent.
        found: String,
    },
    /// The issuer could not be reached or the connection broke.
    #[error("cannot reach the issuer at {url}: {reason}")]
    Network {
        /// The URL asked.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The issuer's TLS certificate was refused: not signed by a trusted CA (the pinned CA
    /// file, or Mozilla's roots when none is pinned), not for the URL's host, expired, or the
    /// server does not speak TLS at all.
    #[error("refusing the TLS certificate of the issuer at {url}: {reason}")]
    Tls {
        /// The URL asked.
        url: String,
        /// What was wrong with the certificate or the handshake.
        reason: String,
    },
    /// The CA file given to pin the issuer's TLS certificate cannot be used.
    #[error("CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The issuer answered with an error.
    #[error("issuer answered {status} {code} for {url}: {message}")]
    Issuer {
        /// The URL asked.
        url: String,
        /// HTTP status.
        status: u16,
        /// The stable error code.
        code: String,
        /// The issuer's message.
        message: String,
    },
    /// A list from the issuer failed verification; the cached one is kept.
    #[error("{which} from the issuer was refused: {source}")]
    List {
        /// Which list.
        which: &'static str,
        /// Why.
        source: ListError,
    },
    /// The entry a guard tried to override does not exist at this gate.
    #[error("no entry {0} in this gate's log")]
    NoSuchEntry(uuid::Uuid),
    /// Only a denied scan can be overridden.
    #[error("entry {0} is not a denied scan; only those can be overridden")]
    NotOverridable(uuid::Uuid),
    /// The denied entry was already overridden.
    #[error("that entry was already overridden")]
    AlreadyOverridden,
    /// Another process on the same gate state accepted this code first.
    #[error("code {0} was accepted by another process on this gate first")]
    AlreadySeen(String),
    /// What the guard entered is not acceptable.
    #[error("{0}")]
    Input(String),
    /// The image could not be read.
    #[error("cannot read image {path}: {reason}")]
    Image {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No QR code was found in the image.
    #[error("no QR code found in {0}")]
    NoCode(PathBuf),
    /// The local database holds something this build cannot read.
    #[error("gate database is corrupt: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("gate database: {0}")]
    Store(#[from] rusqlite::Error),
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The database file could not be created or is from a newer build.
    #[error("{0}")]
    Database(xiaoge_sqlite::OpenError),
    /// The operating system's random source failed.
    #[error("random source failed: {0}")]
    Random(String),
}

impl From<xiaoge_sqlite::OpenError> for GateError {
    fn from(e: xiaoge_sqlite::OpenError) -> Self {
        match e {
            xiaoge_sqlite::OpenError::Sqlite(e) => Self::Store(e),
            other => Self::Database(other),
        }
    }
}

impl GateError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// Shorthand for the gate's results.
pub type Result<T, E = GateError> = std::result::Result<T, E>;
