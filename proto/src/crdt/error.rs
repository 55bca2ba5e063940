//! Errors of the CRDT layer.

use thiserror::Error;

/// Why a CRDT operation, merge, encode or decode failed.
///
/// Tags are quoted as `"{tag}"`, not printed with `{:?}`: the same text for any tag
/// without quotes, backslashes or control characters, and no `Debug` escaping code
/// (`char::escape_debug` and its tables) in the browser bundle.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CrdtError {
    /// No CRDT type with this tag is registered.
    #[error("unknown CRDT type tag \"{0}\"")]
    UnknownType(String),
    /// Bytes that should hold an encoded state or delta do not.
    #[error("cannot decode {tag} value: {reason}")]
    Decode {
        /// The CRDT type tag.
        tag: String,
        /// What was wrong.
        reason: String,
    },
    /// A value could not be encoded (a custom `Serialize` failed).
    #[error("cannot encode {tag} value: {reason}")]
    Encode {
        /// The CRDT type tag.
        tag: String,
        /// What was wrong.
        reason: String,
    },
    /// An encoded value is larger than the allowed maximum.
    #[error("encoded value of {size} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// Size of the encoded value in bytes.
        size: usize,
        /// The maximum in bytes.
        max: usize,
    },
    /// An operation does not fit the value it targets (for example a counter
    /// increment on a map entry that holds a register).
    #[error("operation for {op} applied to a {found} value")]
    TypeMismatch {
        /// The kind of value the operation is for.
        op: &'static str,
        /// The kind of value found.
        found: &'static str,
    },
    /// A counter or clock would exceed `u64::MAX`.
    #[error("{0} overflow")]
    Overflow(&'static str),
    /// Nested maps are deeper than [`crate::crdt::MAX_MAP_DEPTH`].
    #[error("map nesting deeper than {max}")]
    TooDeep {
        /// The maximum nesting depth.
        max: usize,
    },
    /// A payload is well-formed but over one of its type's bounds, or of a kind the
    /// type does not accept (the `ydoc` type's `UpdateRejection`, as text).
    #[error("{tag} value rejected: {reason}")]
    Rejected {
        /// The CRDT type tag.
        tag: &'static str,
        /// Which bound or kind.
        reason: String,
    },
    /// A position past the end of a sequence (a text index).
    #[error("index {index} out of range for length {len}")]
    OutOfRange {
        /// The index asked for.
        index: usize,
        /// The sequence's length.
        len: usize,
    },
    /// A type with this tag is already registered.
    #[error("CRDT type tag \"{0}\" is already registered")]
    DuplicateType(String),
    /// A tag is empty, too long for the wire or the registry is full.
    #[error("cannot register CRDT type tag \"{tag}\": {reason}")]
    InvalidRegistration {
        /// The offending tag.
        tag: String,
        /// Why it was refused.
        reason: &'static str,
    },
}

impl CrdtError {
    /// A [`CrdtError::Decode`] for `tag` with a reason.
    pub fn decode(tag: &str, reason: impl Into<String>) -> Self {
        CrdtError::Decode {
            tag: tag.to_owned(),
            reason: reason.into(),
        }
    }
}
