//! Fuzz body for the frame decoder.

use bytes::Bytes;

use crate::wire::{DEFAULT_MAX_FRAME_BYTES, Frame, FrameRef};

/// Decodes arbitrary bytes. Asserts that a decoded frame re-encodes to bytes that decode
/// to the same frame, that encoding is canonical (re-encoding is a fixed point), and
/// that the borrowed decoder the hub runs on every inbound message
/// (`Frame::decode_ref_bytes`: fields sliced from the input, a `ClientDelta` borrowed)
/// accepts and refuses exactly what the owned decoder does, with the same frame.
pub fn decode_frame(data: &[u8]) {
    let owned = Frame::decode(data);
    let shared = Bytes::copy_from_slice(data);
    let borrowed =
        Frame::decode_ref_bytes(&shared, DEFAULT_MAX_FRAME_BYTES).map(FrameRef::into_owned);
    assert_eq!(borrowed, owned, "the hub's borrowed decoder disagrees");
    if let Ok(frame) = owned {
        let bytes = frame.encode();
        let again = Frame::decode(&bytes);
        assert_eq!(again.as_ref(), Ok(&frame), "decode(encode(f)) != f");
        assert!(
            bytes.len() <= data.len(),
            "canonical encoding is never longer than the input"
        );
    }
}
