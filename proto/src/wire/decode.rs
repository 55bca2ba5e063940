//! Bytes → frame, bounded.
//!
//! * A message longer than the configured maximum is rejected before parsing.
//! * Every declared length (byte string, text, array) is checked against the
//!   bytes remaining before anything is allocated, so decoding never allocates
//!   more than a small multiple of the input size (see [`In`](super::reader)).
//! * The layout is schema-driven with a fixed nesting depth (at most three
//!   levels: frame → batch entries → entry), so no input can recurse.
//! * Indefinite lengths, tags, floats and unknown frame types are rejected.
//!
//! Decoding from [`Bytes`] ([`Frame::decode_bytes`], [`Frame::decode_ref_bytes`])
//! slices byte-string fields (payloads, snapshots, presence state) out of the input
//! without copying; they then share the input's allocation.

use bytes::Bytes;

use super::borrowed::FrameRef;
use super::decode_frames::decode_frame;
use super::error::DecodeError;
use super::frame::*;
use super::reader::In;

/// Default maximum frame size: 1 MiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1 << 20;

fn decode_in<'a>(
    input: &'a [u8],
    shared: Option<&'a Bytes>,
    max_frame_bytes: usize,
) -> Result<FrameRef<'a>, DecodeError> {
    if input.len() > max_frame_bytes {
        return Err(DecodeError::FrameTooLarge {
            size: input.len(),
            max: max_frame_bytes,
        });
    }
    let mut r = In::new(input, shared);
    let frame = decode_frame(&mut r)?;
    let extra = r.remaining();
    if extra != 0 {
        return Err(DecodeError::TrailingBytes { extra });
    }
    Ok(frame)
}

impl Frame {
    /// Decodes one frame, rejecting messages over [`DEFAULT_MAX_FRAME_BYTES`].
    pub fn decode(input: &[u8]) -> Result<Frame, DecodeError> {
        Frame::decode_with_limit(input, DEFAULT_MAX_FRAME_BYTES)
    }

    /// Decodes one frame, rejecting messages over `max_frame_bytes` before parsing.
    pub fn decode_with_limit(input: &[u8], max_frame_bytes: usize) -> Result<Frame, DecodeError> {
        decode_in(input, None, max_frame_bytes).map(FrameRef::into_owned)
    }

    /// Like [`Frame::decode_with_limit`], but byte-string fields are slices of `input`
    /// (no copy; they keep `input`'s allocation alive).
    #[cfg(test)]
    pub(crate) fn decode_bytes(
        input: &Bytes,
        max_frame_bytes: usize,
    ) -> Result<Frame, DecodeError> {
        decode_in(input, Some(input), max_frame_bytes).map(FrameRef::into_owned)
    }

    /// Like [`Frame::decode_with_limit`], but a `ClientDelta` borrows its room and CRDT
    /// tag from `input` instead of allocating them (same validation, same errors).
    pub(crate) fn decode_ref(
        input: &[u8],
        max_frame_bytes: usize,
    ) -> Result<FrameRef<'_>, DecodeError> {
        decode_in(input, None, max_frame_bytes)
    }

    /// [`Frame::decode_ref`] with byte-string fields sliced from `input` (no copy).
    pub(crate) fn decode_ref_bytes(
        input: &Bytes,
        max_frame_bytes: usize,
    ) -> Result<FrameRef<'_>, DecodeError> {
        decode_in(input, Some(input), max_frame_bytes)
    }
}
