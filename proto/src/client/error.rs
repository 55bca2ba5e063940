//! Errors split by cause: [`ClientError`] for caller mistakes (returned at once),
//! [`SessionError`] for faults of the hub or the connection (reported as events),
//! [`DisconnectReason`] for why a connection ended, [`RestoreError`] for bad
//! persisted state.

use core::fmt;

use thiserror::Error;

use super::config::ConfigError;
use super::event::TransportClosed;
use crate::wire::{DecodeError, ErrorCode, RoomId};

/// A command could not be carried out; nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ClientError {
    /// The room id is empty or longer than the protocol allows.
    #[error("room id must be 1..={max} bytes, got {len}")]
    InvalidRoomId {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The CRDT type tag is empty or longer than the protocol allows.
    #[error("CRDT type tag must be 1..={max} bytes, got {len}")]
    InvalidCrdtTag {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The room is already joined (or being joined).
    #[error("room {0} is already joined")]
    AlreadyJoined(RoomId),
    /// The room is not joined.
    #[error("room {0} is not joined")]
    NotJoined(RoomId),
    /// The hub rejected the join; leave and join again to retry.
    #[error("room {room} was rejected by the hub: {code}")]
    RoomRejected {
        /// The room.
        room: RoomId,
        /// The hub's reason.
        code: ErrorCode,
    },
    /// The hub said this session may not write to the room.
    #[error("room {0} is read-only for this session")]
    ReadOnly(RoomId),
    /// `max_rooms` rooms are joined (or still being left).
    #[error("at most {max} rooms may be joined")]
    TooManyRooms {
        /// The configured limit.
        max: usize,
    },
    /// The payload would not fit one frame.
    #[error("payload of {size} bytes exceeds the largest allowed {max}")]
    PayloadTooLarge {
        /// Payload size.
        size: usize,
        /// Largest payload that fits a frame for this room.
        max: usize,
    },
    /// The room's sequence numbers are used up (the counter reached `u64::MAX`).
    #[error("sequence numbers of room {0} are exhausted")]
    SequenceExhausted(RoomId),
    /// The outbox is at its bound; nothing already queued was dropped.
    #[error("outbox full ({deltas} deltas, {bytes} bytes queued)")]
    OutboxFull {
        /// Deltas queued.
        deltas: usize,
        /// Payload bytes queued.
        bytes: usize,
    },
}

/// A fault of the hub or of the connection. The session handles it by itself
/// (closing and reconnecting where needed); the event is for logs and UI.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SessionError {
    /// The hub rejected something with a reason code.
    #[error("hub rejected (room {}, seq {}): {code}: {message}", Shown(.room), Shown(.seq))]
    Rejected {
        /// The reason.
        code: ErrorCode,
        /// The room concerned, if any.
        room: Option<RoomId>,
        /// The delta concerned, if any.
        seq: Option<u64>,
        /// The hub's detail text.
        message: String,
    },
    /// A frame from the hub did not decode.
    #[error("malformed frame from hub: {0}")]
    Malformed(DecodeError),
    /// A frame from the hub exceeded `max_frame_bytes`.
    #[error("frame of {size} bytes from hub exceeds {max}")]
    FrameTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The hub broke the protocol (unexpected frame, impossible position, ...).
    #[error("protocol violation by hub: {0}")]
    ProtocolViolation(&'static str),
    /// No frame arrived within `heartbeat_timeout`.
    #[error("hub heartbeat timed out")]
    HeartbeatTimeout,
    /// The transport did not open or the handshake did not finish in time.
    #[error("handshake timed out")]
    HandshakeTimeout,
    /// The hub answered a `Join` neither with `Joined` nor with `Reject` within
    /// `join_timeout`; the connection was dropped and the join is retried.
    #[error("hub did not answer the join of room {room} in time")]
    JoinTimeout {
        /// The room whose `Join` went unanswered.
        room: RoomId,
    },
    /// The driver left `max_queued_events` events undrained while more deltas
    /// arrived; the connection was dropped and will resume where delivery stopped.
    #[error("application is not draining events")]
    SlowApplication,
}

/// Why a connection (or the whole session) ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The application called `close`.
    ClosedByApp,
    /// The driver reported the transport closed or failed.
    Transport(TransportClosed),
    /// A fault detected by the session.
    Fault(SessionError),
    /// The hub replaced this session: a newer session claimed the same replica id
    /// (`Reject{replica_in_use}` / close 4013). Fatal: reconnecting with this
    /// replica id would replace the other session in turn. Outbox and documents
    /// are kept; continue under another replica id.
    Replaced,
    /// The identity may not use this replica id (`Reject{replica_forbidden}` /
    /// close 4014). Fatal for this replica id; outbox and documents are kept.
    ReplicaForbidden,
    /// `max_attempts` consecutive reconnection attempts failed.
    MaxAttemptsReached {
        /// Attempts made.
        attempts: u32,
    },
}

impl DisconnectReason {
    /// The TLS failure behind this disconnect, if the transport reported one
    /// ([`TransportClosed::tls`]).
    pub fn tls_failure(&self) -> Option<super::event::TlsFailure> {
        match self {
            DisconnectReason::Transport(closed) => closed.tls,
            _ => None,
        }
    }
}

/// Persisted state that cannot be restored.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RestoreError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A room in the state is invalid (bad id or tag, duplicate, too many rooms).
    #[error("invalid room in persisted state: {0}")]
    Room(ClientError),
    /// An outbox entry breaks ordering (`seq` not increasing, or not below `next_seq`).
    #[error("persisted outbox of room {0} is not ordered below next_seq")]
    BadSequence(RoomId),
    /// The persisted outbox exceeds the configured bounds.
    #[error("persisted outbox exceeds the configured bounds")]
    OutboxTooLarge,
}

/// An optional room or sequence number as `Some("room")`, `Some(5)` or `None` —
/// what `{:?}` prints for an ordinary room name — without `Debug`'s string escaping
/// (`char::escape_debug` and its tables: kilobytes of the browser bundle).
struct Shown<'a, T>(&'a Option<T>);

impl fmt::Display for Shown<'_, RoomId> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(room) => write!(f, "Some(\"{room}\")"),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Display for Shown<'_, u64> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(seq) => write!(f, "Some({seq})"),
            None => f.write_str("None"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SessionError;
    use crate::wire::{ErrorCode, RoomId};

    /// The message reads as it did with `{:?}` for ordinary room names.
    #[test]
    fn rejected_reads_as_with_debug() {
        for (room, seq) in [(Some(RoomId::new("r-1")), Some(5)), (None, None)] {
            let e = SessionError::Rejected {
                code: ErrorCode(4000),
                room: room.clone(),
                seq,
                message: "m".to_owned(),
            };
            let want = format!(
                "hub rejected (room {room:?}, seq {seq:?}): {}: m",
                ErrorCode(4000)
            );
            assert_eq!(e.to_string(), want);
        }
    }
}
