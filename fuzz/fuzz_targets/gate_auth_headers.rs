//! Any four values offered as a gate's signature headers (or some of them missing): read
//! without a panic, refused with the header named, and what is read is sent back the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use xiaoge_pass::gate_auth::{
    GATE_HEADER, GateAuthError, GateAuthHeaders, NONCE_HEADER, SIGNATURE_HEADER, TIME_HEADER,
};

const NAMES: [&str; 4] = [GATE_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER];

fuzz_target!(|data: &[u8]| {
    // The first byte says which headers are present; the rest, split at NUL bytes (which no
    // header value holds), are their values in order.
    let Some((&present, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.split(|&b| b == 0);
    let values: Vec<Option<&[u8]>> = (0..NAMES.len())
        .map(|i| {
            let part = parts.next().unwrap_or_default();
            (present & (1 << i) != 0).then_some(part)
        })
        .collect();
    let lookup = |name: &'static str| {
        NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| values[i])
    };
    match GateAuthHeaders::parse(lookup) {
        Ok(headers) => {
            let sent = headers.values();
            let again = GateAuthHeaders::parse(|name| {
                sent.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.as_bytes())
            });
            assert_eq!(again.as_ref(), Ok(&headers));
        }
        Err(GateAuthError::Missing { header }) => {
            assert!(lookup(header).is_none(), "{header} was there");
        }
        Err(GateAuthError::Malformed { header, value, .. }) => {
            assert!(lookup(header).is_some(), "{header} was missing");
            assert!(value.chars().count() <= 80, "{value:?}");
        }
        Err(e) => panic!("an error the target does not know: {e}"),
    }
});
