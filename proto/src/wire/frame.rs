//! The frame types of protocol version 1. Layouts are normative in docs/PROTOCOL.md.
//!
//! Application data (delta payloads, snapshots, user info, presence state) is
//! opaque bytes here: the frame schema has a fixed nesting depth of at most three.

use bytes::Bytes;

use super::codes::ErrorCode;
use super::types::{Limits, Position, ReplicaId, RoomId, SessionId};

/// Client → hub: opens the handshake.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Hello {
    /// Protocol versions the client speaks, in order of preference. The wire allows
    /// any uint; decoding leaves out offers beyond 32 bits (no build speaks them).
    pub versions: Vec<u32>,
    /// The replica this session speaks for.
    pub replica: ReplicaId,
    /// Credential for the hub's authorizer.
    pub token: Option<String>,
    /// Opaque application data shown to peers (e.g. a user name), if any.
    pub user_info: Option<Bytes>,
}

/// Hub → client: the handshake succeeded.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Welcome {
    /// The chosen protocol version.
    pub version: u32,
    /// This session's id on the hub.
    pub session: SessionId,
    /// How often the hub expects a frame (a ping at least), in milliseconds.
    pub heartbeat_ms: u32,
    /// Limits that apply to this session.
    pub limits: Limits,
}

/// Either direction: an explicit rejection with a reason code.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Reject {
    /// Why.
    pub code: ErrorCode,
    /// The room concerned, if any.
    pub room: Option<RoomId>,
    /// The sequence number of the rejected delta, if any.
    pub seq: Option<u64>,
    /// Human-readable detail, at most [`MAX_MESSAGE_LEN`](crate::wire::MAX_MESSAGE_LEN) bytes.
    pub message: String,
}

/// Client → hub: join a room (or rejoin, resuming from a position).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Join {
    /// The room.
    pub room: RoomId,
    /// The room's CRDT type tag.
    pub crdt: String,
    /// Where the client's copy of the log ends, if it has one.
    pub resume: Option<Position>,
}

/// Hub → client: the join succeeded; entries from `start` to `head` follow as deltas.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Joined {
    /// The room.
    pub room: RoomId,
    /// The room's CRDT type tag.
    pub crdt: String,
    /// The room's current epoch.
    pub epoch: u64,
    /// Offset of the first delta that follows this frame.
    pub start: u64,
    /// The room's next offset at the time of the join (deltas `start..head` follow).
    pub head: u64,
    /// Highest sequence of this replica that the hub holds durably in this room (0 if none).
    pub acked_seq: u64,
    /// Whether this session may submit deltas to the room.
    pub writable: bool,
    /// True when the client must discard its state for this room: the resume position
    /// could not be served. The state is then `snapshot` (or empty) plus the deltas that follow.
    pub resync: bool,
    /// The room state covering offsets `0..start`, when `resync` is set and one exists.
    pub snapshot: Option<Bytes>,
}

/// Client → hub: leave a room.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Leave {
    /// The room.
    pub room: RoomId,
}

/// Client → hub: a local delta.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ClientDelta {
    /// The room.
    pub room: RoomId,
    /// The CRDT type tag of the payload.
    pub crdt: String,
    /// The originating replica; must equal the session's replica.
    pub replica: ReplicaId,
    /// Per-room, per-replica sequence number, strictly increasing, starting at 1.
    pub seq: u64,
    /// The encoded delta.
    pub payload: Bytes,
}

/// Hub → client: a logged delta with its position.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HubDelta {
    /// The room.
    pub room: RoomId,
    /// The CRDT type tag of the payload.
    pub crdt: String,
    /// The room's epoch.
    pub epoch: u64,
    /// This entry's offset in the room's log.
    pub offset: u64,
    /// The originating replica.
    pub replica: ReplicaId,
    /// The origin's sequence number.
    pub seq: u64,
    /// The encoded delta.
    pub payload: Bytes,
}

/// One entry of a [`DeltaBatch`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BatchEntry {
    /// The originating replica.
    pub replica: ReplicaId,
    /// The origin's sequence number.
    pub seq: u64,
    /// The encoded delta.
    pub payload: Bytes,
}

/// Hub → client: consecutive logged deltas of one room, offsets `first_offset..`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DeltaBatch {
    /// The room.
    pub room: RoomId,
    /// The CRDT type tag of the payloads.
    pub crdt: String,
    /// The room's epoch.
    pub epoch: u64,
    /// Offset of the first entry; entry `i` has offset `first_offset + i`.
    pub first_offset: u64,
    /// The entries, in log order.
    pub entries: Vec<BatchEntry>,
}

/// Hub → client: every delta of this replica in `room` with sequence ≤ `seq` is durable.
///
/// Sent at the point of the room's log order where the entry `seq` would have been
/// broadcast, so a client in step with the log advances its position past `offset`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Ack {
    /// The room.
    pub room: RoomId,
    /// Cumulative acknowledged sequence.
    pub seq: u64,
    /// Log offset of the acknowledged entry; `None` when the hub re-acks a duplicate
    /// whose offset it no longer knows.
    pub offset: Option<u64>,
}

/// How a [`Peers`] frame changes the receiver's list of a room's peers (§3.12).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PeersMode {
    /// `0`: the room's peers are exactly `joined` (replace the list; `left` is empty).
    /// Sent first after each `Joined` of a listed room, and when a room falls back
    /// below the summary threshold.
    Full,
    /// `1`: remove `left`, then add `joined`.
    Changes,
    /// `2`: the room has too many members to list; only `count` is kept (forget the
    /// list; `joined` and `left` are empty).
    Summary,
}

impl PeersMode {
    /// The wire value.
    pub fn code(self) -> u64 {
        match self {
            PeersMode::Full => 0,
            PeersMode::Changes => 1,
            PeersMode::Summary => 2,
        }
    }
    /// The mode of a wire value, if it is one.
    pub fn from_code(code: u64) -> Option<PeersMode> {
        match code {
            0 => Some(PeersMode::Full),
            1 => Some(PeersMode::Changes),
            2 => Some(PeersMode::Summary),
            _ => None,
        }
    }
}

/// One peer in a [`Peers`] frame.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PeerInfo {
    /// The peer's session.
    pub peer: SessionId,
    /// The peer's replica.
    pub replica: ReplicaId,
    /// The peer's user info from its `Hello`.
    pub user_info: Option<Bytes>,
    /// The peer's latest presence state, if it set one (and it fitted; §3.13).
    pub state: Option<Bytes>,
}

impl PeerInfo {
    /// An upper bound of the entry's encoded size, in bytes.
    pub(crate) fn size_hint(&self) -> usize {
        let opt = |b: &Option<Bytes>| b.as_ref().map_or(1, |b| b.len() + 9);
        1 + 9 + 9 + opt(&self.user_info) + opt(&self.state)
    }
}

/// Hub → client: the peers of a room, or how they changed, batched per hub turn.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Peers {
    /// The room.
    pub room: RoomId,
    /// How the lists apply to the receiver's view.
    pub mode: PeersMode,
    /// Members of the room, the receiver included.
    pub count: u64,
    /// Peers that joined (or, in [`PeersMode::Full`], all peers).
    pub joined: Vec<PeerInfo>,
    /// Sessions that left.
    pub left: Vec<SessionId>,
}

/// Client → hub: set this session's ephemeral presence state in a room.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SetPresence {
    /// The room.
    pub room: RoomId,
    /// Opaque state (cursor, selection, ...); never logged.
    pub state: Bytes,
}

/// Hub → client: a peer's ephemeral presence state.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Presence {
    /// The room.
    pub room: RoomId,
    /// The peer's session.
    pub peer: SessionId,
    /// Opaque state.
    pub state: Bytes,
}

/// One protocol frame: exactly one WebSocket binary message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Frame {
    /// Type 1, client → hub.
    Hello(Hello),
    /// Type 2, hub → client.
    Welcome(Welcome),
    /// Type 3, either direction.
    Reject(Reject),
    /// Type 4, client → hub.
    Join(Join),
    /// Type 5, hub → client.
    Joined(Joined),
    /// Type 6, client → hub.
    Leave(Leave),
    /// Type 7, client → hub.
    ClientDelta(ClientDelta),
    /// Type 8, hub → client.
    HubDelta(HubDelta),
    /// Type 9, hub → client.
    DeltaBatch(DeltaBatch),
    /// Type 10, hub → client.
    Ack(Ack),
    /// Type 11, either direction; answered by a `Pong` with the same nonce.
    Ping {
        /// Echoed in the pong.
        nonce: u64,
    },
    /// Type 12, either direction.
    Pong {
        /// The nonce of the ping answered.
        nonce: u64,
    },
    /// Type 15, client → hub.
    SetPresence(SetPresence),
    /// Type 16, hub → client.
    Presence(Presence),
    /// Type 17, hub → client.
    Peers(Peers),
}

/// Numeric frame type codes (the first element of every frame array).
pub(crate) mod frame_type {
    #![allow(missing_docs)]
    pub(crate) const HELLO: u64 = 1;
    pub(crate) const WELCOME: u64 = 2;
    pub(crate) const REJECT: u64 = 3;
    pub(crate) const JOIN: u64 = 4;
    pub(crate) const JOINED: u64 = 5;
    pub(crate) const LEAVE: u64 = 6;
    pub(crate) const CLIENT_DELTA: u64 = 7;
    pub(crate) const HUB_DELTA: u64 = 8;
    pub(crate) const DELTA_BATCH: u64 = 9;
    pub(crate) const ACK: u64 = 10;
    pub(crate) const PING: u64 = 11;
    pub(crate) const PONG: u64 = 12;
    pub(crate) const SET_PRESENCE: u64 = 15;
    pub(crate) const PRESENCE: u64 = 16;
    pub(crate) const PEERS: u64 = 17;
}

impl Frame {
    /// The frame's name as used in docs/PROTOCOL.md and error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Frame::Hello(_) => "Hello",
            Frame::Welcome(_) => "Welcome",
            Frame::Reject(_) => "Reject",
            Frame::Join(_) => "Join",
            Frame::Joined(_) => "Joined",
            Frame::Leave(_) => "Leave",
            Frame::ClientDelta(_) => "ClientDelta",
            Frame::HubDelta(_) => "HubDelta",
            Frame::DeltaBatch(_) => "DeltaBatch",
            Frame::Ack(_) => "Ack",
            Frame::Ping { .. } => "Ping",
            Frame::Pong { .. } => "Pong",
            Frame::SetPresence(_) => "SetPresence",
            Frame::Presence(_) => "Presence",
            Frame::Peers(_) => "Peers",
        }
    }
}
