//! What a backend stores and returns: log entries ([`StoredEntry`], and
//! [`NewEntry`] before the shared log gives it an offset), snapshots, a room's whole
//! record ([`RoomRecord`]) and the shared log's verdict per entry ([`AppendOutcome`]).

use bytes::Bytes;

use crate::wire::ReplicaId;

/// One log entry as stored.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredEntry {
    /// Offset in the room's log (within its epoch).
    pub offset: u64,
    /// The originating replica.
    pub replica: ReplicaId,
    /// The origin's sequence number.
    pub seq: u64,
    /// The encoded delta.
    pub payload: Bytes,
}

/// A delta to append in shared-log mode; the backend assigns its offset.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewEntry {
    /// The originating replica.
    pub replica: ReplicaId,
    /// The origin's sequence number.
    pub seq: u64,
    /// The encoded delta.
    pub payload: Bytes,
}

/// What the shared log decided for one entry of a [`StorageAction::AppendShared`](super::StorageAction::AppendShared).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AppendOutcome {
    /// Stored, durable, at this offset.
    Logged {
        /// The offset the backend gave it.
        offset: u64,
    },
    /// Not stored: the replica's stored sequence already covers it (sent before,
    /// possibly through another node).
    Duplicate {
        /// The replica's highest stored sequence.
        acked: u64,
    },
    /// Not stored: an earlier sequence of the replica is missing.
    Gap {
        /// The only sequence the log accepts next for the replica.
        expected: u64,
    },
}

/// A room state covering log offsets `0..offset`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredSnapshot {
    /// First offset not covered by the snapshot.
    pub offset: u64,
    /// The encoded state (deltas folded with the room's CRDT type).
    pub state: Bytes,
    /// Highest sequence per replica among the folded entries (and earlier snapshots).
    pub seqs: Vec<(ReplicaId, u64)>,
}

/// What a backend knows about a room, returned by [`StorageAction::Load`](super::StorageAction::Load).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RoomRecord {
    /// The room's CRDT type tag.
    pub crdt: String,
    /// The room's epoch (never 0).
    pub epoch: u64,
    /// The next offset to append at.
    pub head: u64,
    /// The first offset still stored as an entry (≤ the snapshot offset, 0 without one).
    pub first_offset: u64,
    /// The latest snapshot, if any.
    pub snapshot: Option<StoredSnapshot>,
    /// Highest stored sequence per replica (snapshot table plus entries).
    pub seqs: Vec<(ReplicaId, u64)>,
    /// The last entries, consecutive and ending at `head`.
    pub tail: Vec<StoredEntry>,
}
