//! What the client reports: application events ([`ClientEvent`]), commands to the
//! driver's transport ([`TransportCommand`]) and the driver's report of a lost
//! transport ([`TransportClosed`], with [`TlsFailure`] when TLS refused the hub).

use bytes::Bytes;

use super::error::{DisconnectReason, SessionError};
use super::lifecycle::ClientState;
use crate::wire::{CloseCode, ErrorCode, ReplicaId, RoomId, SessionId};

/// An event for the application, handed out by
/// [`Replica::poll_output`](crate::replica::Replica::poll_output) as [`Output::Event`](crate::replica::Output::Event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The lifecycle state changed. `reason` is set when a connection ended
    /// (entering `Backoff`, `Closed` or `Failed`).
    StateChanged {
        /// Previous state.
        from: ClientState,
        /// New state.
        to: ClientState,
        /// Why the connection ended, if it did.
        reason: Option<DisconnectReason>,
    },
    /// The hub accepted a join (or re-join after reconnect). Deltas from `offset`
    /// follow; if `resync` is set a [`ClientEvent::Resync`] comes right after.
    Joined {
        /// The room.
        room: RoomId,
        /// The room's epoch.
        epoch: u64,
        /// Offset of the next delta to be delivered.
        offset: u64,
        /// The room's head when joined: replay is complete at this offset.
        head: u64,
        /// Whether submissions are allowed.
        writable: bool,
        /// Whether the application must replace its state (see `Resync`).
        resync: bool,
    },
    /// Drop all state of the room and take `snapshot` (empty if `None`); deltas
    /// from `offset` follow.
    Resync {
        /// The room.
        room: RoomId,
        /// The new epoch.
        epoch: u64,
        /// Offset of the first delta after the snapshot.
        offset: u64,
        /// The room state covering offsets `0..offset`, if any.
        snapshot: Option<Bytes>,
    },
    /// The room caught up: its position reached the `head` of the latest
    /// [`ClientEvent::Joined`] (it follows that `Joined` at once when there was
    /// nothing to replay, else the last replayed `Delta`), once per `Joined`. The
    /// application now holds every log entry below `offset` — after a fresh join or
    /// a resync this replica's own earlier entries too — and the session knows the
    /// replica's highest acknowledged sequence: local operations prepared from now
    /// on build on everything the replica wrote before. A replica that joined with
    /// no state of its own (a replica id reused by a new process) waits for this
    /// before preparing local operations; the drivers do so.
    CaughtUp {
        /// The room.
        room: RoomId,
        /// The position reached (the next offset to be delivered).
        offset: u64,
    },
    /// A logged delta to merge, delivered at most once per document state and in
    /// log order: every remote delta, and, in the replay after a `Joined` that reset
    /// or created the room's state (`resync`, or a join without resume position),
    /// this replica's own earlier deltas too (`replica` is then the own replica id).
    Delta {
        /// The room.
        room: RoomId,
        /// The originating replica.
        replica: ReplicaId,
        /// The origin's sequence number.
        seq: u64,
        /// The delta's offset in the room's log.
        offset: u64,
        /// The encoded delta.
        payload: Bytes,
    },
    /// Every local delta of `room` with sequence ≤ `seq` is durable on the hub.
    DeltaAcked {
        /// The room.
        room: RoomId,
        /// Cumulative sequence.
        seq: u64,
    },
    /// The hub refused a local delta for good; it was removed from the outbox.
    DeltaRejected {
        /// The room.
        room: RoomId,
        /// The delta's sequence number.
        seq: u64,
        /// The reason.
        code: ErrorCode,
        /// The hub's detail text.
        message: String,
    },
    /// The hub refused to let this session join the room. The room stays in the
    /// `Rejected` status until the application leaves it.
    JoinRejected {
        /// The room.
        room: RoomId,
        /// The reason.
        code: ErrorCode,
        /// The hub's detail text.
        message: String,
    },
    /// A peer joined a room.
    PeerJoined {
        /// The room.
        room: RoomId,
        /// The peer's session.
        peer: SessionId,
        /// The peer's replica.
        replica: ReplicaId,
        /// The peer's user info.
        user_info: Option<Bytes>,
    },
    /// A peer left a room.
    PeerLeft {
        /// The room.
        room: RoomId,
        /// The peer's session.
        peer: SessionId,
    },
    /// The room's member count changed (this session included). In a room too large
    /// to list peer by peer this is all the hub tells about its members.
    PeerCount {
        /// The room.
        room: RoomId,
        /// Members of the room.
        count: u64,
    },
    /// A peer's ephemeral presence state.
    Presence {
        /// The room.
        room: RoomId,
        /// The peer's session.
        peer: SessionId,
        /// Opaque state.
        state: Bytes,
    },
    /// A fault of the hub or the connection (already handled by the session).
    Error(SessionError),
}

/// Names one connection (attempt) of a session. The driver passes it back with
/// every report about that connection, so reports about a connection the
/// session already gave up (a late close event, a frame still buffered) are
/// recognised and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ConnectionId(pub u64);

/// What the driver must do with its transport, handed out by
/// [`Replica::poll_output`](crate::replica::Replica::poll_output) as [`Output::Transport`](crate::replica::Output::Transport).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportCommand {
    /// Open a new connection to the hub; report the outcome with
    /// `handle_transport_open` or `handle_transport_closed`, passing `conn`.
    Open {
        /// The id of the new connection.
        conn: ConnectionId,
    },
    /// Close connection `conn` (or abandon the attempt) with this code. The
    /// session already considers it gone; reports about it are ignored.
    Close {
        /// The connection to close.
        conn: ConnectionId,
        /// WebSocket close code.
        code: CloseCode,
        /// Short reason for the close frame.
        reason: &'static str,
    },
}

/// The driver's report that the transport closed or failed without being asked to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportClosed {
    /// The close code received from the hub, `None` for an I/O failure, a failed
    /// connection attempt or a close without code.
    pub code: Option<CloseCode>,
    /// Close reason text or error description.
    pub reason: String,
    /// Set when the connection (attempt) failed in TLS: the certificate was refused
    /// or the handshake failed. The session treats it like any other failed attempt
    /// (backoff, then retry), so the application sees one such report per attempt.
    pub tls: Option<TlsFailure>,
}

/// Why a TLS connection attempt failed, as far as the driver can tell. Retrying does
/// not cure the certificate kinds unless something changes on either side (the hub
/// gets a new certificate, the client another root), so an application that cannot
/// wait for that should show them and stop (`close`) or bound the attempts
/// (`ClientConfig::max_attempts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsFailure {
    /// The hub's certificate chain does not lead to a trusted root (self-signed,
    /// private CA not given to the client, incomplete chain).
    UnknownIssuer,
    /// The certificate is not valid for the host name (or IP address) in the URL.
    NotValidForName,
    /// The certificate has expired or is not valid yet (check the clocks too).
    Expired,
    /// The certificate was refused for another reason (revoked, bad signature,
    /// unsupported or malformed, wrong usage).
    BadCertificate,
    /// The client has no root certificates to check any certificate against.
    NoRootCertificates,
    /// The TLS handshake failed otherwise: no common protocol version or cipher
    /// suite, an alert from the hub, or a peer that does not speak TLS.
    Handshake,
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsFailure::UnknownIssuer => "certificate issued by an unknown authority",
            TlsFailure::NotValidForName => "certificate not valid for this host",
            TlsFailure::Expired => "certificate expired or not yet valid",
            TlsFailure::BadCertificate => "certificate refused",
            TlsFailure::NoRootCertificates => "no root certificates to verify the hub",
            TlsFailure::Handshake => "TLS handshake failed",
        })
    }
}

impl TransportClosed {
    /// A connection that failed with an I/O error (no close code).
    pub fn failed(reason: impl Into<String>) -> Self {
        TransportClosed {
            code: None,
            reason: reason.into(),
            tls: None,
        }
    }

    /// A connection attempt that failed in TLS (no close code).
    pub fn tls_failed(failure: TlsFailure, reason: impl Into<String>) -> Self {
        TransportClosed {
            code: None,
            reason: reason.into(),
            tls: Some(failure),
        }
    }

    /// A connection the hub closed with `code`.
    pub fn closed(code: CloseCode, reason: impl Into<String>) -> Self {
        TransportClosed {
            code: Some(code),
            reason: reason.into(),
            tls: None,
        }
    }
}
