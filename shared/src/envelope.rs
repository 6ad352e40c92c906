//! The COSE_Sign1 envelope (RFC 9052 §4.2) that every signed object of the format uses.
//!
//! One strict reader for codes, trust lists, status lists and site bundles: EdDSA only, an
//! 8-byte `kid`,
//! nothing unprotected, and a `typ` header (RFC 9596) that tells them apart so that no
//! signed object can be passed off as another. Codes carry no `typ` to keep the QR small;
//! everything else carries one, so nothing else can be read as a code nor a code as anything
//! else.

use coset::iana;
use coset::{Algorithm, CoseSign1, Header, Label, ProtectedHeader, TaggedCborSerializable};
use ed25519_dalek::VerifyingKey;

use crate::cbor::Value;
use crate::error::FormatError;
use crate::ids::KeyId;
use crate::keys::{KeyPair, signature_valid};

/// COSE header label of `typ` (RFC 9596).
const TYP_LABEL: i64 = 16;

/// Which signed object an envelope holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A rider code: no `typ` header.
    Code,
    /// The issuer's trust list.
    TrustList,
    /// The revocation status list, typed as the Token Status List draft requires.
    StatusList,
    /// A site's bundle for its gates.
    SiteBundle,
    /// The issuer's clock for a gate.
    TimeToken,
}

impl Kind {
    fn typ(self) -> Option<&'static str> {
        match self {
            Kind::Code => None,
            Kind::TrustList => Some("application/xg-trust+cwt"),
            Kind::StatusList => Some("application/statuslist+cwt"),
            Kind::SiteBundle => Some("application/xg-site+cwt"),
            Kind::TimeToken => Some("application/xg-time+cwt"),
        }
    }
}

/// A parsed envelope whose signature has not been checked yet.
#[derive(Debug)]
pub(crate) struct Envelope {
    /// Key id from the protected header.
    pub kid: KeyId,
    /// The signed payload: a CWT claims set.
    pub payload: Vec<u8>,
    sign1: CoseSign1,
}

impl Envelope {
    /// Whether the signature verifies with `key` over the protected header and payload.
    pub fn signed_by(&self, key: &VerifyingKey) -> bool {
        let tbs = self.sign1.tbs_data(&[]);
        signature_valid(key, &tbs, &self.sign1.signature)
    }
}

/// Signs `payload` into tagged COSE_Sign1 bytes.
pub(crate) fn seal(kind: Kind, signer: &KeyPair, payload: Vec<u8>) -> Vec<u8> {
    let mut header = Header {
        alg: Some(Algorithm::Assigned(iana::Algorithm::EdDSA)),
        key_id: signer.kid().0.to_vec(),
        ..Header::default()
    };
    if let Some(typ) = kind.typ() {
        header
            .rest
            .push((Label::Int(TYP_LABEL), Value::Text(typ.to_owned())));
    }
    let unsigned = CoseSign1 {
        protected: ProtectedHeader {
            original_data: None,
            header,
        },
        payload: Some(payload),
        ..CoseSign1::default()
    };
    let tbs = unsigned.tbs_data(&[]);
    let signed = CoseSign1 {
        signature: signer.sign(&tbs).to_vec(),
        ..unsigned
    };
    // Encoding a structure this module built from owned values cannot fail: every header
    // label is distinct and every value is a plain CBOR item.
    signed
        .to_tagged_vec()
        .unwrap_or_else(|e| unreachable!("COSE_Sign1 built here always encodes: {e}"))
}

/// A signed object other than a code: what kind of envelope holds it, how large its bytes
/// may be, and how its claims read. Every such object is opened the same way, by
/// [`crate::trust_list::TrustList::open_signed`] or, for the trust list itself, by its root.
pub(crate) trait Signed: Sized {
    /// The envelope's `typ`.
    const KIND: Kind;
    /// The most bytes a sender may hand over; more is refused before any parsing.
    const MAX_BYTES: usize;
    /// Reads the claims of a payload whose signature has been checked.
    fn from_claims(payload: &[u8]) -> Result<Self, FormatError>;
}

/// The envelope of a `T` in `bytes`, refused if too long or of another kind.
pub(crate) fn read<T: Signed>(bytes: &[u8]) -> Result<Envelope, FormatError> {
    if bytes.len() > T::MAX_BYTES {
        return Err(FormatError::TooLong {
            len: bytes.len(),
            max: T::MAX_BYTES,
        });
    }
    open(bytes, T::KIND)
}

/// Reads tagged COSE_Sign1 bytes of the given kind, refusing anything v1 does not define.
pub(crate) fn open(bytes: &[u8], kind: Kind) -> Result<Envelope, FormatError> {
    let sign1 = CoseSign1::from_tagged_slice(bytes)?;
    let header = &sign1.protected.header;
    if header.alg != Some(Algorithm::Assigned(iana::Algorithm::EdDSA)) {
        return Err(FormatError::Invalid {
            field: "alg header",
            expected: "EdDSA (-8)",
        });
    }
    let kid = KeyId::from_slice(&header.key_id)?;
    if !header.crit.is_empty()
        || header.content_type.is_some()
        || !header.iv.is_empty()
        || !header.partial_iv.is_empty()
        || !header.counter_signatures.is_empty()
    {
        return Err(FormatError::Unexpected("protected header parameter".into()));
    }
    check_typ(&header.rest, kind)?;
    if !sign1.unprotected.is_empty() {
        return Err(FormatError::Unexpected("unprotected header".into()));
    }
    let payload = sign1
        .payload
        .clone()
        .ok_or(FormatError::Missing("payload"))?;
    Ok(Envelope {
        kid,
        payload,
        sign1,
    })
}

fn check_typ(rest: &[(Label, Value)], kind: Kind) -> Result<(), FormatError> {
    match (rest, kind.typ()) {
        ([], None) => Ok(()),
        ([(Label::Int(TYP_LABEL), Value::Text(found))], Some(expected)) if found == expected => {
            Ok(())
        }
        ([(Label::Int(TYP_LABEL), _)], _) | ([], Some(_)) => Err(FormatError::Invalid {
            field: "typ header",
            expected: kind.typ().unwrap_or("no typ on a code"),
        }),
        ([(label, _), ..], _) => Err(FormatError::Unexpected(format!(
            "protected header parameter {}",
            label_text(label)
        ))),
    }
}

fn label_text(label: &Label) -> String {
    match label {
        Label::Int(i) => i.to_string(),
        Label::Text(t) => format!("{t:?}"),
    }
}
