//! Strict reading and deterministic writing of the CBOR maps inside the format's claims.

use ciborium::value::Integer;

use crate::error::FormatError;
use crate::time::UnixTime;

pub(crate) use ciborium::Value;

/// Encodes a value; the maps this crate builds keep their keys in the order written.
pub(crate) fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing a ciborium Value into a Vec cannot fail: the only error is the writer's.
    ciborium::into_writer(value, &mut out)
        .unwrap_or_else(|e| unreachable!("CBOR into a Vec never fails: {e}"));
    out
}

/// Decodes exactly one CBOR item, refusing trailing bytes.
pub(crate) fn from_slice(bytes: &[u8]) -> Result<Value, FormatError> {
    let mut rest = bytes;
    let value: Value =
        ciborium::from_reader(&mut rest).map_err(|e| FormatError::Cbor(e.to_string()))?;
    if !rest.is_empty() {
        return Err(FormatError::Cbor(format!(
            "{} trailing bytes after the item",
            rest.len()
        )));
    }
    Ok(value)
}

/// A CBOR map with integer keys, read one field at a time; leftovers are an error.
pub(crate) struct IntMap {
    entries: Vec<(i128, Value)>,
    what: &'static str,
}

impl IntMap {
    /// Reads `value` as a map whose keys are distinct integers.
    pub fn read(value: Value, what: &'static str) -> Result<Self, FormatError> {
        let Value::Map(pairs) = value else {
            return Err(FormatError::Invalid {
                field: what,
                expected: "a CBOR map",
            });
        };
        let mut entries: Vec<(i128, Value)> = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            let Value::Integer(key) = key else {
                return Err(FormatError::Invalid {
                    field: what,
                    expected: "integer map keys",
                });
            };
            let key = i128::from(key);
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(FormatError::Cbor(format!("duplicate key {key} in {what}")));
            }
            entries.push((key, value));
        }
        Ok(Self { entries, what })
    }

    /// Removes and returns the value at `key`, if present.
    pub fn take(&mut self, key: i64) -> Option<Value> {
        let at = self
            .entries
            .iter()
            .position(|(k, _)| *k == i128::from(key))?;
        Some(self.entries.remove(at).1)
    }

    /// Removes and returns the value at `key`, which must be present.
    pub fn require(&mut self, key: i64, field: &'static str) -> Result<Value, FormatError> {
        self.take(key).ok_or(FormatError::Missing(field))
    }

    /// Fails if any key was not taken.
    pub fn finish(self) -> Result<(), FormatError> {
        match self.entries.first() {
            None => Ok(()),
            Some((key, _)) => Err(FormatError::Unexpected(format!(
                "key {key} in {}",
                self.what
            ))),
        }
    }
}

/// Reads a text string of at most `max` bytes.
pub(crate) fn text(value: Value, field: &'static str, max: usize) -> Result<String, FormatError> {
    match value {
        Value::Text(t) if !t.is_empty() && t.len() <= max => Ok(t),
        _ => Err(FormatError::Invalid {
            field,
            expected: "a non-empty text string of bounded length",
        }),
    }
}

/// Reads a byte string of exactly `N` bytes.
pub(crate) fn bytes_exact<const N: usize>(
    value: Value,
    field: &'static str,
) -> Result<[u8; N], FormatError> {
    match value {
        Value::Bytes(b) => b.try_into().map_err(|_| FormatError::Invalid {
            field,
            expected: "a byte string of the fixed length",
        }),
        _ => Err(FormatError::Invalid {
            field,
            expected: "a byte string",
        }),
    }
}

/// Reads an unsigned integer that fits `u64`.
pub(crate) fn uint(value: Value, field: &'static str) -> Result<u64, FormatError> {
    match value {
        Value::Integer(i) => u64::try_from(i).map_err(|_| FormatError::Invalid {
            field,
            expected: "an unsigned integer",
        }),
        _ => Err(FormatError::Invalid {
            field,
            expected: "an unsigned integer",
        }),
    }
}

/// Reads a NumericDate in whole seconds.
pub(crate) fn time(value: Value, field: &'static str) -> Result<UnixTime, FormatError> {
    match value {
        Value::Integer(i) => i64::try_from(i)
            .map(UnixTime)
            .map_err(|_| FormatError::Invalid {
                field,
                expected: "whole seconds since 1970 that fit 64 bits",
            }),
        _ => Err(FormatError::Invalid {
            field,
            expected: "an integer NumericDate",
        }),
    }
}

/// An integer CBOR value.
pub(crate) fn int(i: impl Into<Integer>) -> Value {
    Value::Integer(i.into())
}
