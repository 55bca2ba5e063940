//! The typed fields of the frame layouts (integers, booleans, text, byte strings,
//! arrays, positions), read with [`In::head`] and its fast path.

use bytes::Bytes;
use ciborium_ll::{Header, simple};

use super::In;
use crate::wire::error::DecodeError;
use crate::wire::types::*;

impl<'a> In<'a> {
    pub(in crate::wire) fn array(&mut self, field: &'static str) -> Result<usize, DecodeError> {
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

    pub(in crate::wire) fn exact_array(
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
    pub(in crate::wire) fn uint(&mut self, field: &'static str) -> Result<u64, DecodeError> {
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

    pub(in crate::wire) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let v = self.uint(field)?;
        u32::try_from(v).map_err(|_| DecodeError::IntegerOutOfRange { field, value: v })
    }

    pub(in crate::wire) fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        let v = self.uint(field)?;
        u16::try_from(v).map_err(|_| DecodeError::IntegerOutOfRange { field, value: v })
    }

    pub(in crate::wire) fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
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
    pub(in crate::wire) fn str(
        &mut self,
        field: &'static str,
        max: usize,
    ) -> Result<&'a str, DecodeError> {
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

    pub(in crate::wire) fn text(
        &mut self,
        field: &'static str,
        max: usize,
    ) -> Result<String, DecodeError> {
        self.str(field, max).map(str::to_owned)
    }

    pub(in crate::wire) fn opt_text(
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

    /// A room name: text of 1..=`MAX_ROOM_ID_LEN` bytes (docs/PROTOCOL.md §2).
    pub(in crate::wire) fn room_str(&mut self) -> Result<&'a str, DecodeError> {
        non_empty("room", self.str("room", MAX_ROOM_ID_LEN)?)
    }

    /// A room name or `null` (the room of a `Reject`).
    pub(in crate::wire) fn opt_room(&mut self) -> Result<Option<RoomId>, DecodeError> {
        let room = self.opt_text("room", MAX_ROOM_ID_LEN)?;
        match room.as_deref() {
            Some(r) => non_empty("room", r).map(|r| Some(RoomId::new(r))),
            None => Ok(None),
        }
    }

    pub(in crate::wire) fn room(&mut self) -> Result<RoomId, DecodeError> {
        self.room_str().map(RoomId::new)
    }

    /// A CRDT type tag: text of 1..=`MAX_CRDT_TAG_LEN` bytes.
    pub(in crate::wire) fn crdt_str(&mut self) -> Result<&'a str, DecodeError> {
        non_empty("crdt", self.str("crdt", MAX_CRDT_TAG_LEN)?)
    }

    pub(in crate::wire) fn crdt(&mut self) -> Result<String, DecodeError> {
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
    pub(in crate::wire) fn bytes(&mut self, field: &'static str) -> Result<Bytes, DecodeError> {
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

    pub(in crate::wire) fn opt_bytes(
        &mut self,
        field: &'static str,
    ) -> Result<Option<Bytes>, DecodeError> {
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

    pub(in crate::wire) fn opt_uint(
        &mut self,
        field: &'static str,
    ) -> Result<Option<u64>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Positive(v) => Ok(Some(v)),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "unsigned integer or null",
            }),
        }
    }

    pub(in crate::wire) fn opt_position(
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

/// Refuses an empty room name or CRDT tag.
fn non_empty<'s>(field: &'static str, text: &'s str) -> Result<&'s str, DecodeError> {
    if text.is_empty() {
        return Err(DecodeError::EmptyField { field });
    }
    Ok(text)
}
