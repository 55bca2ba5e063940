//! The wire codec: frame types, CBOR encoding and bounded decoding, reason and close codes.
//!
//! One frame is one WebSocket binary message: a CBOR array whose first element is the
//! frame type code. docs/PROTOCOL.md is the normative description; its hex examples are
//! decoded by this module's tests.

mod borrowed;
mod codes;
mod decode;
mod decode_frames;
mod encode;
mod error;
mod frame;
mod reader;
mod room_encoder;
mod types;

#[cfg(test)]
pub(crate) use borrowed::HubDeltaRef;
pub(crate) use borrowed::{AckRef, ClientDeltaRef, FrameRef};
pub use codes::{CloseCode, ErrorCode};
pub use decode::DEFAULT_MAX_FRAME_BYTES;
pub use error::DecodeError;
pub use frame::*;
pub(crate) use room_encoder::RoomEncoder;
pub use types::*;

#[cfg(test)]
mod tests;
