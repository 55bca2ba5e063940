//! Bounded CBOR encoding and decoding of CRDT states and deltas.
//!
//! [`encode`] and [`decode`] go through serde and ciborium (for application types;
//! the built-in types have a hand-written equivalent, `crdt/cbor/`, tested
//! against these on random input). Decoding is bounded:
//!
//! * inputs larger than [`MAX_ENCODED_BYTES`] are rejected before parsing;
//! * a structural pre-scan ([`check_cbor`]) walks the CBOR headers without
//!   recursion and rejects indefinite lengths, tags, unknown simple values,
//!   nesting deeper than [`MAX_NESTING`], trailing bytes, and any declared length
//!   (byte string, text, array, map) larger than the bytes left in the input;
//! * only then does serde deserialize, with a recursion limit.
//!
//! Because every declared length has been checked against the input, decoding
//! allocates at most a small multiple of the input size and never panics.
//! Application types can use [`check_cbor`] for their own encodings.

use ciborium_ll::{Header, simple};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::CrdtError;
use crate::cbor_head;

/// Largest encoded state or delta accepted by [`decode`]: 8 MiB. (A delta sent
/// to the hub must also fit the frame limit the hub announces, 1 MiB by default.)
pub const MAX_ENCODED_BYTES: usize = 8 << 20;

// A folded state travels in a `Joined`, which every client accepts up to this size.
const _: () = assert!(MAX_ENCODED_BYTES == crate::wire::MAX_SNAPSHOT_BYTES);

/// Deepest CBOR nesting (arrays and maps inside each other) accepted by [`decode`].
pub const MAX_NESTING: usize = 64;

/// Encodes `value` as CBOR. `tag` only labels errors.
pub fn encode<T: Serialize>(tag: &str, value: &T) -> Result<Vec<u8>, CrdtError> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).map_err(|e| CrdtError::Encode {
        tag: tag.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(out)
}

/// Decodes one CBOR value of type `T` from all of `bytes`, bounded as described
/// in the module docs. `tag` labels errors.
pub fn decode<T: DeserializeOwned>(tag: &str, bytes: &[u8]) -> Result<T, CrdtError> {
    check_cbor(tag, bytes, MAX_ENCODED_BYTES)?;
    ciborium::de::from_reader_with_recursion_limit(bytes, MAX_NESTING + 2)
        .map_err(|e| CrdtError::decode(tag, e.to_string()))
}

/// Checks that `bytes` hold exactly one well-formed, definite-length, tag-free
/// CBOR item of at most `max_bytes` bytes and [`MAX_NESTING`] levels, whose every
/// declared length fits in the input. Never recurses, never allocates more than
/// the nesting stack.
pub fn check_cbor(tag: &str, bytes: &[u8], max_bytes: usize) -> Result<(), CrdtError> {
    if bytes.len() > max_bytes {
        return Err(CrdtError::TooLarge {
            size: bytes.len(),
            max: max_bytes,
        });
    }
    let total = bytes.len();
    let mut pos = 0usize;
    // Items still expected at each open nesting level (outermost first).
    let mut open: Vec<usize> = vec![1];
    while let Some(top) = open.last_mut() {
        if *top == 0 {
            open.pop();
            continue;
        }
        *top -= 1;
        let offset = pos;
        let remaining = total.saturating_sub(offset);
        let header = cbor_head::read(bytes, &mut pos).map_err(|_| {
            CrdtError::decode(tag, format!("invalid or truncated CBOR at byte {offset}"))
        })?;
        let too_long = |len: usize| {
            CrdtError::decode(
                tag,
                format!("length {len} at byte {offset} exceeds the input"),
            )
        };
        let children = match header {
            Header::Positive(_) | Header::Negative(_) | Header::Float(_) => 0,
            Header::Simple(simple::FALSE | simple::TRUE | simple::NULL) => 0,
            Header::Bytes(Some(len)) | Header::Text(Some(len)) => {
                if len > total.saturating_sub(pos) {
                    return Err(too_long(len));
                }
                pos += len;
                0
            }
            Header::Array(Some(n)) => {
                if n > remaining {
                    return Err(too_long(n));
                }
                n
            }
            Header::Map(Some(n)) => {
                if n > remaining / 2 {
                    return Err(too_long(n));
                }
                n * 2
            }
            Header::Bytes(None) | Header::Text(None) | Header::Array(None) | Header::Map(None) => {
                return Err(CrdtError::decode(
                    tag,
                    format!("indefinite length at byte {offset}"),
                ));
            }
            Header::Tag(_) => {
                return Err(CrdtError::decode(tag, format!("CBOR tag at byte {offset}")));
            }
            Header::Simple(_) | Header::Break => {
                return Err(CrdtError::decode(
                    tag,
                    format!("unexpected item at byte {offset}"),
                ));
            }
        };
        if children > 0 {
            if open.len() > MAX_NESTING {
                return Err(CrdtError::decode(
                    tag,
                    format!("nesting deeper than {MAX_NESTING}"),
                ));
            }
            open.push(children);
        }
    }
    let extra = total.saturating_sub(pos);
    if extra != 0 {
        return Err(CrdtError::decode(tag, format!("{extra} trailing bytes")));
    }
    Ok(())
}
