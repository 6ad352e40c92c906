//! The issuer's errors: each variant is something a caller can act on.

use std::path::PathBuf;

use thiserror::Error;

/// What can go wrong in an issuer operation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// The data directory already holds an issuer; `init` never overwrites one.
    #[error("{0} already holds an issuer (found {1}); refusing to overwrite it")]
    AlreadyInitialised(PathBuf, PathBuf),
    /// The data directory holds no issuer.
    #[error("{0} holds no issuer: run `xiaoge-issuer init --data {0}` first")]
    NotInitialised(PathBuf),
    /// A named thing does not exist.
    #[error("no {what} {id:?}")]
    NotFound {
        /// What kind of thing, such as "rider".
        what: &'static str,
        /// The id or name asked for.
        id: String,
    },
    /// The request conflicts with what exists, such as a duplicate name.
    #[error("{0}")]
    Conflict(String),
    /// An argument or request field is out of range or badly formed.
    #[error("{0}")]
    Invalid(String),
    /// A rider who is not in good standing asked for a code.
    #[error("rider {rider} is {status}: no code is issued")]
    RiderNotValid {
        /// The rider's pseudonym.
        rider: String,
        /// Their status.
        status: &'static str,
    },
    /// No signing key may sign at the requested time.
    #[error("no signing key may sign at {0}; rotate or add a key valid then")]
    NoSigningKey(i64),
    /// A list the issuer was about to publish would be refused by its own gates; nothing was
    /// published and the previous list stays in force.
    #[error("refusing to publish a {what} that gates would refuse: {problem}")]
    Unpublishable {
        /// Which list, such as "trust list".
        what: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A request body is not the JSON the endpoint expects.
    #[error("request body is not the expected JSON: {0}")]
    BadJson(String),
    /// Something the issuer must have published first is missing (run `init` again?).
    #[error("{0}")]
    NotReady(String),
    /// The caller's credentials are missing or unknown.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A rider asked for codes faster than a page ever needs.
    #[error("too many codes requested; retry in {retry_after} s")]
    RateLimited {
        /// Seconds until the next code may be fetched.
        retry_after: i64,
    },
    /// A roster upload had invalid rows; nothing of it was applied.
    #[error("{} roster rows are invalid; nothing was applied", .0.len())]
    RosterRejected(Vec<crate::model::RowError>),
    /// The status list has too few indexes left for a request's new riders; nothing of it
    /// was registered. Gates would know nothing of a rider past the list's end.
    #[error(
        "status list full: only {left} of its {capacity} indexes are left and {new_riders} \
         are needed for new riders; nothing was registered"
    )]
    StatusListFull {
        /// New riders the request would have registered.
        new_riders: u64,
        /// Indexes still free.
        left: u64,
        /// How many indexes the status list holds.
        capacity: u64,
    },
    /// A presented secret matches none the issuer holds (an enrollment token may also be
    /// used already, or be another issuer's; a login link, used or expired).
    #[error("{}", .0.unknown_words())]
    UnknownSecret(crate::service::Secret),
    /// The caller's address presented too many unknown secrets of this kind lately.
    #[error("too many unknown {secret}s from this address; retry in {retry_after} s")]
    TooManyFailures {
        /// Which kind of secret.
        secret: crate::service::Secret,
        /// Seconds until the address may try again.
        retry_after: i64,
    },
    /// A gate request failed authentication.
    #[error("gate request refused: {0}")]
    GateAuth(String),
    /// The gate's key was cut off by the operator (`gate revoke` or `gate replace`): nothing
    /// it signs is accepted; a new tablet enrolls with a token from `gate replace`.
    #[error(
        "gate {gate} was revoked at unix time {at}: its key is refused; the operator can issue \
         a new enrollment token with `xiaoge-issuer gate replace {gate}`"
    )]
    GateRevoked {
        /// The gate id.
        gate: u64,
        /// When its key was cut off.
        at: i64,
    },
    /// The enrollment token is past its expiry; the operator must issue a new one.
    #[error(
        "the enrollment token of gate {gate} expired at unix time {expired_at}; ask the \
         operator for a new one (`xiaoge-issuer gate replace {gate}`)"
    )]
    EnrollmentTokenExpired {
        /// The gate the token was for.
        gate: u64,
        /// When it expired.
        expired_at: i64,
    },
    /// A platform API key was rotated out and its overlap has ended.
    #[error(
        "platform API key {key} stopped working at unix time {at} (rotated out); use the \
         platform's current key"
    )]
    PlatformKeyExpired {
        /// The key's id.
        key: u64,
        /// When its overlap ended.
        at: i64,
    },
    /// A platform API key was revoked.
    #[error("platform API key {key} was revoked at unix time {at}; ask the operator for a new one")]
    PlatformKeyRevoked {
        /// The key's id.
        key: u64,
        /// When it was revoked.
        at: i64,
    },
    /// An admin token was revoked; so were its dashboard sessions.
    #[error("admin token {token} was revoked at unix time {at}; ask the operator for a new one")]
    AdminTokenRevoked {
        /// The token's id.
        token: u64,
        /// When it was revoked.
        at: i64,
    },
    /// The operator ended this session (or revoked the token it was opened with).
    #[error("this session was ended by the operator at unix time {at}; sign in again")]
    SessionEnded {
        /// When it was ended.
        at: i64,
    },
    /// A key file is missing, unreadable or corrupt.
    #[error("key file {path}: {problem}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The database failed.
    #[error("database: {0}")]
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

impl From<xiaoge_pass::qr_image::QrError> for IssuerError {
    /// A text too long for a QR code is the caller's to shorten, as before the renderer moved.
    fn from(e: xiaoge_pass::qr_image::QrError) -> Self {
        Self::Invalid(e.to_string())
    }
}

impl From<xiaoge_sqlite::OpenError> for IssuerError {
    fn from(e: xiaoge_sqlite::OpenError) -> Self {
        match e {
            xiaoge_sqlite::OpenError::Sqlite(e) => Self::Store(e),
            other => Self::Database(other),
        }
    }
}

impl IssuerError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// Shorthand for the issuer's results.
pub type Result<T, E = IssuerError> = std::result::Result<T, E>;
