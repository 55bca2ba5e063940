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
use ciborium_ll::{Header, simple};

use super::error::DecodeError;
use super::types::*;

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

    pub(super) fn array(&mut self, field: &'static str) -> Result<usize, DecodeError> {
        let header = match self.fast_arg(4) {
            Some(n) => Header::Array(Some(n)),
            None => self.head(field)?,
        };
        match header {
            Header::Array(Some(n)) => {
                let remaining = self.remaining();
                // Every element takes at least one byte.
                if n > remaining {
                    return Err(DecodeError::LengthExceedsInput {
                        field,
                        declared: n,
                        remaining,
                    });
                }
                Ok(n)
            }
            Header::Array(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "array",
            }),
        }
    }

    pub(super) fn exact_array(
        &mut self,
        what: &'static str,
        expected: usize,
    ) -> Result<(), DecodeError> {
        let got = self.array(what)?;
        if got != expected {
            return Err(DecodeError::WrongArity {
                what,
                expected,
                got,
            });
        }
        Ok(())
    }

    #[inline]
    pub(super) fn uint(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        if let Some(v) = self.fast_arg(0) {
            return Ok(v as u64);
        }
        match self.head(field)? {
            Header::Positive(v) => Ok(v),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "unsigned integer",
            }),
        }
    }

    pub(super) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let v = self.uint(field)?;
        u32::try_from(v).map_err(|_| DecodeError::IntegerOutOfRange { field, value: v })
    }

    pub(super) fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        let v = self.uint(field)?;
        u16::try_from(v).map_err(|_| DecodeError::IntegerOutOfRange { field, value: v })
    }

    pub(super) fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::TRUE) => Ok(true),
            Header::Simple(simple::FALSE) => Ok(false),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "boolean",
            }),
        }
    }

    /// The `len` body bytes after a length header (checked against the input), and
    /// where they start.
    fn body(&mut self, field: &'static str, len: usize) -> Result<(usize, &'a [u8]), DecodeError> {
        let remaining = self.remaining();
        if len > remaining {
            return Err(DecodeError::LengthExceedsInput {
                field,
                declared: len,
                remaining,
            });
        }
        let start = self.pos;
        let end = start.saturating_add(len);
        let raw = self
            .input
            .get(start..end)
            .ok_or(DecodeError::Truncated { field })?;
        self.pos = end;
        Ok((start, raw))
    }

    fn text_body(
        &mut self,
        field: &'static str,
        len: usize,
        max: usize,
    ) -> Result<&'a str, DecodeError> {
        if len > max {
            return Err(DecodeError::FieldTooLong { field, len, max });
        }
        let (_, raw) = self.body(field, len)?;
        std::str::from_utf8(raw).map_err(|_| DecodeError::InvalidUtf8 { field })
    }

    /// A text field, borrowed from the input.
    #[inline]
    pub(super) fn str(&mut self, field: &'static str, max: usize) -> Result<&'a str, DecodeError> {
        if let Some(len) = self.fast_arg(3) {
            return self.text_body(field, len, max);
        }
        match self.head(field)? {
            Header::Text(Some(len)) => self.text_body(field, len, max),
            Header::Text(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "text",
            }),
        }
    }

    pub(super) fn text(&mut self, field: &'static str, max: usize) -> Result<String, DecodeError> {
        self.str(field, max).map(str::to_owned)
    }

    pub(super) fn opt_text(
        &mut self,
        field: &'static str,
        max: usize,
    ) -> Result<Option<String>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Text(Some(len)) => self.text_body(field, len, max).map(|s| Some(s.to_owned())),
            Header::Text(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "text or null",
            }),
        }
    }

    pub(super) fn room_str(&mut self) -> Result<&'a str, DecodeError> {
        self.str("room", MAX_ROOM_ID_LEN)
    }

    pub(super) fn room(&mut self) -> Result<RoomId, DecodeError> {
        self.room_str().map(RoomId::new)
    }

    pub(super) fn crdt_str(&mut self) -> Result<&'a str, DecodeError> {
        self.str("crdt", MAX_CRDT_TAG_LEN)
    }

    pub(super) fn crdt(&mut self) -> Result<String, DecodeError> {
        self.crdt_str().map(str::to_owned)
    }

    /// A byte string body: a slice of the shared input, or a copy.
    fn bytes_body(&mut self, field: &'static str, len: usize) -> Result<Bytes, DecodeError> {
        let (start, raw) = self.body(field, len)?;
        Ok(match self.shared {
            Some(shared) => shared.slice(start..start.saturating_add(raw.len())),
            None => Bytes::copy_from_slice(raw),
        })
    }

    #[inline]
    pub(super) fn bytes(&mut self, field: &'static str) -> Result<Bytes, DecodeError> {
        if let Some(len) = self.fast_arg(2) {
            return self.bytes_body(field, len);
        }
        match self.head(field)? {
            Header::Bytes(Some(len)) => self.bytes_body(field, len),
            Header::Bytes(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "byte string",
            }),
        }
    }

    pub(super) fn opt_bytes(&mut self, field: &'static str) -> Result<Option<Bytes>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Bytes(Some(len)) => self.bytes_body(field, len).map(Some),
            Header::Bytes(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "byte string or null",
            }),
        }
    }

    pub(super) fn opt_uint(&mut self, field: &'static str) -> Result<Option<u64>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Positive(v) => Ok(Some(v)),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "unsigned integer or null",
            }),
        }
    }

    pub(super) fn opt_position(
        &mut self,
        field: &'static str,
    ) -> Result<Option<Position>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Array(Some(2)) => Ok(Some(Position {
                epoch: self.uint("epoch")?,
                offset: self.uint("offset")?,
            })),
            Header::Array(Some(n)) => Err(DecodeError::WrongArity {
                what: field,
                expected: 2,
                got: n,
            }),
            Header::Array(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "[epoch, offset] or null",
            }),
        }
    }
}
