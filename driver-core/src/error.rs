//! Errors returned to applications by driver handles.

use syncwire_proto::replica::ReplicaError;
use thiserror::Error;

/// Why a driver operation failed.
#[derive(Debug, Error)]
pub enum DriverError {
    /// The replica refused the command, and nothing changed: a caller mistake or a
    /// bound hit (outbox full, too many operations waiting for their room, a room of
    /// another CRDT type, an operation the CRDT refuses, invalid saved state).
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    /// The session was closed; the handle can no longer be used.
    #[error("the session is closed")]
    Closed,
    /// The hub refused to let this session join the room (the room stays refused
    /// until the application leaves it; PROTOCOL.md §6 says what each code means).
    #[error("the hub refused the join: {0}")]
    JoinRefused(syncwire_proto::wire::ErrorCode),
    /// The URL or configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The URL asks for TLS (`wss://`) and this driver has none (the async-std
    /// driver); the tokio and browser drivers connect to `wss://` URLs.
    #[error("wss:// (TLS) is not supported by this driver: {url}")]
    TlsUnsupported {
        /// The refused URL.
        url: String,
    },
}

impl From<syncwire_proto::client::ClientError> for DriverError {
    fn from(e: syncwire_proto::client::ClientError) -> Self {
        DriverError::Replica(e.into())
    }
}
