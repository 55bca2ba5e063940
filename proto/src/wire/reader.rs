//! The bounded CBOR reader under decoding: item headers and typed fields read in
//! place from the input slice.
//!
//! * Headers are parsed here (not by a general CBOR library) with exactly the
//!   acceptance rules of `ciborium_ll::Decoder::pull`: reserved additional
//!   information (28–30) and indefinite integers or tags are invalid CBOR at the
//!   header's offset; an input ending inside a header is truncated. The tests
//!   check this parity on random input.
//! * Every declared length (byte string, text, array) is checked against the
//!   bytes remaining before anything is allocated.
//! * Text is validated as UTF-8 in place and borrowed from the input; only the
//!   final values (`String`, `RoomId`) allocate. Byte strings are sliced from the
//!   shared input without copying when one is given, copied once otherwise.

use bytes::Bytes;
use ciborium_ll::Header;

use super::error::DecodeError;

mod fields;

/// A cursor over one frame's bytes.
pub(super) struct In<'a> {
    input: &'a [u8],
    pos: usize,
    /// The same bytes as `input`, shared: byte strings are sliced from it.
    shared: Option<&'a Bytes>,
}

/// A big-endian unsigned integer of at most 8 bytes.
fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

impl<'a> In<'a> {
    /// A reader over `input`; `shared`, when given, must hold the same bytes.
    pub(super) fn new(input: &'a [u8], shared: Option<&'a Bytes>) -> Self {
        In {
            input,
            pos: 0,
            shared,
        }
    }

    pub(super) fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    /// The argument of the next header if it has major type `major` and a definite
    /// argument that fits a `usize`, consuming the header; otherwise `None` and
    /// nothing consumed (the caller then reads it with [`In::head`], which reports
    /// whatever is wrong). The common case, without building a [`Header`].
    #[inline]
    fn fast_arg(&mut self, major: u8) -> Option<usize> {
        let start = self.pos;
        let first = *self.input.get(start)?;
        if first >> 5 != major {
            return None;
        }
        let minor = first & 0x1f;
        let ext = match minor {
            0..=23 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return None,
        };
        let body = start.saturating_add(1);
        let end = body.saturating_add(ext);
        let bytes = self.input.get(body..end)?;
        let v = if ext == 0 {
            u64::from(minor)
        } else {
            be(bytes)
        };
        let v = usize::try_from(v).ok()?;
        self.pos = end;
        Some(v)
    }

    /// The next item header.
    #[inline]
    pub(super) fn head(&mut self, field: &'static str) -> Result<Header, DecodeError> {
        let start = self.pos;
        let Some(&first) = self.input.get(start) else {
            return Err(DecodeError::Truncated { field });
        };
        let minor = first & 0x1f;
        let ext = match minor {
            0..=23 | 31 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return Err(DecodeError::InvalidCbor { offset: start }),
        };
        let body = start.saturating_add(1);
        let end = body.saturating_add(ext);
        let Some(ext_bytes) = self.input.get(body..end) else {
            return Err(DecodeError::Truncated { field });
        };
        self.pos = end;
        let arg = match minor {
            0..=23 => Some(u64::from(minor)),
            31 => None,
            _ => Some(be(ext_bytes)),
        };
        let invalid = DecodeError::InvalidCbor { offset: start };
        let len = |v: Option<u64>| match v {
            Some(n) => usize::try_from(n).map(Some).map_err(|_| invalid.clone()),
            None => Ok(None),
        };
        Ok(match (first >> 5, arg) {
            (0, Some(v)) => Header::Positive(v),
            (1, Some(v)) => Header::Negative(v),
            (6, Some(v)) => Header::Tag(v),
            (0 | 1 | 6, None) => return Err(invalid),
            (2, n) => Header::Bytes(len(n)?),
            (3, n) => Header::Text(len(n)?),
            (4, n) => Header::Array(len(n)?),
            (5, n) => Header::Map(len(n)?),
            (_, None) => Header::Break,
            // Simple values: inline (0..=23) or in the next byte (24).
            (_, Some(v)) if minor <= 24 => Header::Simple(v.to_le_bytes()[0]),
            // Half, single and double floats: the value is never used.
            (_, Some(_)) => Header::Float(0.0),
        })
    }
}
