//! Typed decode errors: each names what was wrong and, where useful, which field.

use thiserror::Error;

/// Why a byte string is not a valid frame.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The message is larger than the configured maximum; nothing was parsed.
    #[error("frame of {size} bytes exceeds the maximum of {max}")]
    FrameTooLarge {
        /// Size of the rejected message.
        size: usize,
        /// Configured maximum.
        max: usize,
    },
    /// The input ended inside an item.
    #[error("input ended inside {field}")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// Bytes remained after a complete frame.
    #[error("{extra} trailing bytes after the frame")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// The bytes are not well-formed CBOR at this point.
    #[error("invalid CBOR at byte {offset}")]
    InvalidCbor {
        /// Byte offset of the bad header.
        offset: usize,
    },
    /// A field had a different CBOR type than the layout requires.
    #[error("{field}: expected {expected}")]
    UnexpectedType {
        /// The field.
        field: &'static str,
        /// What the layout requires.
        expected: &'static str,
    },
    /// The frame type code is not defined in this protocol version.
    #[error("unknown frame type {0}")]
    UnknownFrameType(u64),
    /// A frame or nested array had the wrong number of elements.
    #[error("{what}: expected {expected} elements, got {got}")]
    WrongArity {
        /// The frame or structure.
        what: &'static str,
        /// Elements required.
        expected: usize,
        /// Elements present.
        got: usize,
    },
    /// Indefinite-length items are not allowed.
    #[error("{field}: indefinite-length items are not allowed")]
    IndefiniteLength {
        /// The field.
        field: &'static str,
    },
    /// A declared length exceeds what remains of the input.
    #[error("{field}: declared length {declared} exceeds the {remaining} bytes left")]
    LengthExceedsInput {
        /// The field.
        field: &'static str,
        /// The declared length.
        declared: usize,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A text or list field is longer than the protocol allows.
    #[error("{field}: length {len} exceeds the limit of {max}")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A text field that must not be empty is (a room name or a CRDT tag).
    #[error("{field}: must not be empty")]
    EmptyField {
        /// The field.
        field: &'static str,
    },
    /// A text field is not valid UTF-8.
    #[error("{field}: invalid UTF-8")]
    InvalidUtf8 {
        /// The field.
        field: &'static str,
    },
    /// An integer does not fit the field's range.
    #[error("{field}: integer {value} out of range")]
    IntegerOutOfRange {
        /// The field.
        field: &'static str,
        /// The value.
        value: u64,
    },
}
