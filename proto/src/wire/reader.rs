//! The bounded CBOR reader under decoding: item headers and typed fields read in
//! place from the input slice.
//!
//! * Headers are read by the crate's one header reader, [`cbor_head::read`] (the
//!   acceptance rules of `ciborium_ll::Decoder::pull`); [`In::fast_arg`] is its
//!   shortcut for the common definite header of an expected major type.
//! * Every declared length (byte string, text, array) is checked against the
//!   bytes remaining before anything is allocated.
//! * Text is validated as UTF-8 in place and borrowed from the input; only the
//!   final values (`String`, `RoomId`) allocate. Byte strings are sliced from the
//!   shared input without copying when one is given, copied once otherwise.

use bytes::Bytes;
use ciborium_ll::Header;

use super::error::DecodeError;
use crate::cbor_head::{self, HeadError};

mod fields;

/// A cursor over one frame's bytes.
pub(super) struct In<'a> {
    input: &'a [u8],
    pos: usize,
    /// The same bytes as `input`, shared: byte strings are sliced from it.
    shared: Option<&'a Bytes>,
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
        cbor_head::read_arg(self.input, &mut self.pos, major)
    }

    /// The next item header ([`cbor_head::read`]).
    #[inline]
    pub(super) fn head(&mut self, field: &'static str) -> Result<Header, DecodeError> {
        cbor_head::read(self.input, &mut self.pos).map_err(|e| match e {
            HeadError::Truncated => DecodeError::Truncated { field },
            HeadError::Invalid { offset } => DecodeError::InvalidCbor { offset },
        })
    }
}
