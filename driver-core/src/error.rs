//! Errors returned to applications by driver handles.

use syncwire_proto::client::ClientError;
use syncwire_proto::crdt::CrdtError;
use syncwire_proto::replica::ReplicaError;
use syncwire_proto::wire::RoomId;
use thiserror::Error;

/// Why a driver operation failed.
#[derive(Debug, Error)]
pub enum DriverError {
    /// The session refused the command (caller mistake or bound hit, e.g. outbox full).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The CRDT operation, or encoding its delta, failed.
    #[error(transparent)]
    Crdt(#[from] CrdtError),
    /// The room is joined with another CRDT type than the handle asks for.
    #[error("room {room} holds a {actual} document, not {requested}")]
    TypeMismatch {
        /// The room.
        room: RoomId,
        /// The type the room was joined with.
        actual: &'static str,
        /// The type requested.
        requested: &'static str,
    },
    /// Too many local operations wait for their room to catch up
    /// ([`Doc::apply`](crate::Doc::apply)); this one was not taken.
    #[error("{max} local operations already wait for their rooms to catch up")]
    TooManyWaiting {
        /// The bound (the configuration's `outbox_max_deltas`).
        max: usize,
    },
    /// The session was closed; the handle can no longer be used.
    #[error("the session is closed")]
    Closed,
    /// The URL or configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl From<ReplicaError> for DriverError {
    fn from(e: ReplicaError) -> Self {
        match e {
            ReplicaError::Client(e) => DriverError::Client(e),
            ReplicaError::Crdt(e) => DriverError::Crdt(e),
            ReplicaError::TypeMismatch {
                room,
                actual,
                requested,
            } => DriverError::TypeMismatch {
                room,
                actual,
                requested,
            },
            ReplicaError::TooManyWaiting { max } => DriverError::TooManyWaiting { max },
            other => DriverError::Config(other.to_string()),
        }
    }
}
