//! Per-room session state: membership status, log position, local sequence
//! counter, writability and the presence state to (re-)send.
//!
//! A room is `Pending` while a `Join` is owed to the hub (before the first
//! connection, after every reconnect, after a gap), `Joining` once the `Join` was
//! sent (at most `join_timeout`, see `join_timer.rs`), `Joined` after the hub's
//! `Joined`, and `Rejected` if the hub refused it (it then stays so until the
//! application leaves the room).

use crate::vecmap::VecSet;

use bytes::Bytes;

use super::error::ClientError;
use crate::time::Instant;
use crate::wire::{ErrorCode, MAX_CRDT_TAG_LEN, MAX_ROOM_ID_LEN, Position, RoomId, SessionId};

/// Membership status of a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomStatus {
    /// A `Join` will be sent when connected.
    Pending,
    /// A `Join` was sent; waiting for `Joined`.
    Joining,
    /// Joined: deltas are delivered and submitted.
    Joined,
    /// The hub refused the join with this code.
    Rejected(ErrorCode),
}

/// A snapshot of one room's state, for applications, tests and simulators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomInfo {
    /// The room's CRDT type tag.
    pub crdt: String,
    /// Membership status.
    pub status: RoomStatus,
    /// Epoch and next expected offset, once known.
    pub position: Option<Position>,
    /// The sequence number the next local delta gets.
    pub next_seq: u64,
    /// Whether the hub allows this session to write (true until told otherwise).
    pub writable: bool,
    /// The presence state last set for the room.
    pub presence: Option<Bytes>,
    /// Members of the room (this session included) as the hub last counted them.
    pub peer_count: Option<u64>,
    /// Joined, and the document holds every entry the hub had logged when it
    /// answered the latest join (`CaughtUp` was emitted since that `Joined`).
    pub caught_up: bool,
}

/// The client's record of a room.
#[derive(Clone, Debug)]
pub(super) struct Room {
    pub(super) crdt: String,
    pub(super) status: RoomStatus,
    pub(super) position: Option<Position>,
    pub(super) next_seq: u64,
    pub(super) writable: bool,
    pub(super) presence: Option<Bytes>,
    /// The presence state must be sent once the room is joined.
    pub(super) presence_dirty: bool,
    /// Own log entries below this offset are delivered to the application (the
    /// replay after a `Joined` that reset or created its state); 0 when none.
    pub(super) deliver_own_below: u64,
    /// Restored from saved state and not caught up since: the saved document may
    /// predate own entries logged after the save (saves can lag acks), so the
    /// replay delivers own entries as after a fresh state.
    pub(super) restored: bool,
    /// Refusals still due for deltas sent after one the hub refused: the hub
    /// refuses every delta after a missing sequence, one `Reject` each, in order.
    /// Deltas of the room are not sent again until all of them arrived, so no
    /// sequence is ever in flight twice (PROTOCOL.md §8.1). An `Ack` at or above
    /// [`awaiting_from`](Self::awaiting_from) ends the wait: the hub accepted what it
    /// was expected to refuse, so the refusals will not come (a hub that does not
    /// keep the sequence rule must not stall the outbox).
    pub(super) awaiting_rejects: usize,
    /// The refused sequence number the awaited refusals follow.
    pub(super) awaiting_from: u64,
    /// The head of the latest `Joined` while the position has not reached it yet
    /// (`CaughtUp` is owed); `None` otherwise.
    pub(super) catch_up_to: Option<u64>,
    /// When the `Join` was sent, while `Joining`.
    pub(super) join_sent: Instant,
    /// Peers the hub listed (empty in summary mode), see [`super::peers`].
    pub(super) peers: VecSet<SessionId>,
    /// The member count of the hub's last `Peers` frame.
    pub(super) peer_count: Option<u64>,
}

impl Room {
    pub(super) fn new(crdt: &str, position: Option<Position>, next_seq: u64) -> Self {
        Room {
            crdt: crdt.to_owned(),
            status: RoomStatus::Pending,
            position,
            next_seq: next_seq.max(1),
            writable: true,
            presence: None,
            presence_dirty: false,
            deliver_own_below: 0,
            restored: false,
            awaiting_rejects: 0,
            awaiting_from: 0,
            catch_up_to: None,
            join_sent: Instant::ZERO,
            peers: VecSet::new(),
            peer_count: None,
        }
    }

    /// The public view of this room.
    pub(super) fn info(&self) -> RoomInfo {
        RoomInfo {
            crdt: self.crdt.clone(),
            status: self.status,
            position: self.position,
            next_seq: self.next_seq,
            writable: self.writable,
            presence: self.presence.clone(),
            peer_count: self.peer_count,
            caught_up: self.status == RoomStatus::Joined && self.catch_up_to.is_none(),
        }
    }

    /// Takes the next local sequence number; `None` once `u64::MAX` is reached
    /// (the hub can push the counter there through `acked_seq`).
    pub(super) fn take_seq(&mut self) -> Option<u64> {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.checked_add(1)?;
        Some(seq)
    }

    /// Ensures the next local sequence exceeds `seq` (the hub already holds it).
    pub(super) fn bump_seq_past(&mut self, seq: u64) {
        if seq >= self.next_seq {
            self.next_seq = seq.saturating_add(1);
        }
    }

    /// The connection is gone: the room must be joined again (unless rejected).
    pub(super) fn connection_lost(&mut self) {
        if !matches!(self.status, RoomStatus::Rejected(_)) {
            self.status = RoomStatus::Pending;
        }
        self.presence_dirty = false;
        self.awaiting_rejects = 0;
        self.catch_up_to = None;
    }
}

/// Checks a room id and CRDT tag against the protocol's limits.
pub(super) fn validate_names(room: &RoomId, crdt: &str) -> Result<(), ClientError> {
    let len = room.as_str().len();
    if len == 0 || len > MAX_ROOM_ID_LEN {
        return Err(ClientError::InvalidRoomId {
            len,
            max: MAX_ROOM_ID_LEN,
        });
    }
    if crdt.is_empty() || crdt.len() > MAX_CRDT_TAG_LEN {
        return Err(ClientError::InvalidCrdtTag {
            len: crdt.len(),
            max: MAX_CRDT_TAG_LEN,
        });
    }
    Ok(())
}
