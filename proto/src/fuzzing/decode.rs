//! Fuzz body for the frame decoder.

use crate::wire::Frame;

/// Decodes arbitrary bytes. Asserts that a decoded frame re-encodes to bytes that decode
/// to the same frame, and that encoding is canonical (re-encoding is a fixed point).
pub fn decode_frame(data: &[u8]) {
    if let Ok(frame) = Frame::decode(data) {
        let bytes = frame.encode();
        let again = Frame::decode(&bytes);
        assert_eq!(again.as_ref(), Ok(&frame), "decode(encode(f)) != f");
        assert!(
            bytes.len() <= data.len(),
            "canonical encoding is never longer than the input"
        );
    }
}
