//! Bytes → frame, bounded.
//!
//! * A message longer than the configured maximum is rejected before parsing.
//! * Every declared length (byte string, text, array) is checked against the
//!   bytes remaining before anything is allocated, so decoding never allocates
//!   more than a small multiple of the input size.
//! * The layout is schema-driven with a fixed nesting depth (at most three
//!   levels: frame → batch entries → entry), so no input can recurse.
//! * Indefinite lengths, tags, floats and unknown frame types are rejected.

use bytes::Bytes;
use ciborium_io::Read;
use ciborium_ll::{Decoder, Header, simple};

use super::decode_frames::decode_frame;
use super::error::DecodeError;
use super::frame::*;
use super::types::*;

/// Default maximum frame size: 1 MiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1 << 20;

pub(super) struct In<'a> {
    len: usize,
    dec: Decoder<&'a [u8]>,
}

impl<'a> In<'a> {
    pub(super) fn remaining(&mut self) -> usize {
        self.len - self.dec.offset()
    }

    pub(super) fn head(&mut self, field: &'static str) -> Result<Header, DecodeError> {
        let offset = self.dec.offset();
        self.dec.pull().map_err(|e| match e {
            ciborium_ll::Error::Io(_) => DecodeError::Truncated { field },
            ciborium_ll::Error::Syntax(_) => DecodeError::InvalidCbor { offset },
        })
    }

    pub(super) fn array(&mut self, field: &'static str) -> Result<usize, DecodeError> {
        match self.head(field)? {
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

    pub(super) fn uint(&mut self, field: &'static str) -> Result<u64, DecodeError> {
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

    /// Reads `len` body bytes after a length header, checking the input first.
    pub(super) fn body(&mut self, field: &'static str, len: usize) -> Result<Vec<u8>, DecodeError> {
        let remaining = self.remaining();
        if len > remaining {
            return Err(DecodeError::LengthExceedsInput {
                field,
                declared: len,
                remaining,
            });
        }
        let mut buf = vec![0u8; len];
        self.dec
            .read_exact(&mut buf)
            .map_err(|_| DecodeError::Truncated { field })?;
        Ok(buf)
    }

    pub(super) fn text_body(
        &mut self,
        field: &'static str,
        len: usize,
        max: usize,
    ) -> Result<String, DecodeError> {
        if len > max {
            return Err(DecodeError::FieldTooLong { field, len, max });
        }
        let raw = self.body(field, len)?;
        String::from_utf8(raw).map_err(|_| DecodeError::InvalidUtf8 { field })
    }

    pub(super) fn text(&mut self, field: &'static str, max: usize) -> Result<String, DecodeError> {
        match self.head(field)? {
            Header::Text(Some(len)) => self.text_body(field, len, max),
            Header::Text(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "text",
            }),
        }
    }

    pub(super) fn opt_text(
        &mut self,
        field: &'static str,
        max: usize,
    ) -> Result<Option<String>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Text(Some(len)) => self.text_body(field, len, max).map(Some),
            Header::Text(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "text or null",
            }),
        }
    }

    pub(super) fn room(&mut self) -> Result<RoomId, DecodeError> {
        self.text("room", MAX_ROOM_ID_LEN).map(|s| RoomId::new(&s))
    }

    pub(super) fn crdt(&mut self) -> Result<String, DecodeError> {
        self.text("crdt", MAX_CRDT_TAG_LEN)
    }

    pub(super) fn bytes(&mut self, field: &'static str) -> Result<Bytes, DecodeError> {
        match self.head(field)? {
            Header::Bytes(Some(len)) => self.body(field, len).map(Bytes::from),
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
            Header::Bytes(Some(len)) => self.body(field, len).map(|b| Some(Bytes::from(b))),
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

impl Frame {
    /// Decodes one frame, rejecting messages over [`DEFAULT_MAX_FRAME_BYTES`].
    pub fn decode(input: &[u8]) -> Result<Frame, DecodeError> {
        Frame::decode_with_limit(input, DEFAULT_MAX_FRAME_BYTES)
    }

    /// Decodes one frame, rejecting messages over `max_frame_bytes` before parsing.
    pub fn decode_with_limit(input: &[u8], max_frame_bytes: usize) -> Result<Frame, DecodeError> {
        if input.len() > max_frame_bytes {
            return Err(DecodeError::FrameTooLarge {
                size: input.len(),
                max: max_frame_bytes,
            });
        }
        let mut r = In {
            len: input.len(),
            dec: Decoder::from(input),
        };
        let frame = decode_frame(&mut r)?;
        let extra = r.remaining();
        if extra != 0 {
            return Err(DecodeError::TrailingBytes { extra });
        }
        Ok(frame)
    }
}
