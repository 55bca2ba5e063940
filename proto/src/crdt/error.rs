//! Errors of the CRDT layer.

use thiserror::Error;

/// Why a CRDT operation, merge or decode failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CrdtError {
    /// No CRDT type with this tag is registered.
    #[error("unknown CRDT type tag {0:?}")]
    UnknownType(String),
    /// Bytes that should hold an encoded state or delta do not.
    #[error("cannot decode {tag} value: {reason}")]
    Decode {
        /// The CRDT type tag.
        tag: String,
        /// What was wrong.
        reason: String,
    },
}
