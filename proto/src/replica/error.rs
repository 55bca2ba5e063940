//! [`ReplicaError`]: why a command on a [`Replica`](super::Replica) was refused.
//! Caller mistakes and bounds hit; faults of the hub are events, never errors.

use thiserror::Error;

use crate::client::{ClientError, ConfigError, RestoreError};
use crate::crdt::CrdtError;
use crate::wire::{ReplicaId, RoomId};

/// A command could not be carried out; nothing changed.
#[derive(Debug, Error)]
pub enum ReplicaError {
    /// The client session refused the command (caller mistake or bound hit, e.g.
    /// outbox full).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The CRDT operation, or encoding or checking its delta, failed.
    #[error(transparent)]
    Crdt(#[from] CrdtError),
    /// The room is joined with another CRDT type than the caller asks for.
    #[error("room {room} holds a {actual} document, not {requested}")]
    TypeMismatch {
        /// The room.
        room: RoomId,
        /// The type the room was joined with.
        actual: &'static str,
        /// The type requested.
        requested: &'static str,
    },
    /// Too many local operations wait for their rooms to catch up; this one was
    /// not taken.
    #[error("{max} local operations already wait for their rooms to catch up")]
    TooManyWaiting {
        /// The bound (the configuration's `outbox_max_deltas`).
        max: usize,
    },
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The saved state is invalid.
    #[error(transparent)]
    Restore(#[from] RestoreError),
    /// The saved state belongs to another replica than the configuration's.
    #[error("saved state belongs to replica {}, not {}", saved.0, configured.0)]
    WrongReplica {
        /// The replica of the saved state.
        saved: ReplicaId,
        /// The replica of the configuration.
        configured: ReplicaId,
    },
}
