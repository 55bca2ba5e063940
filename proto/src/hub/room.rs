//! Room state: loading (joins queued until storage answers) or loaded (type, epoch,
//! log, snapshot, members).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use super::log::RoomLog;
use super::storage::{OpId, StoredSnapshot};
use crate::wire::{Join, ReplicaId, RoomEncoder, SessionId};

/// One member of a loaded room.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) replica: ReplicaId,
    pub(crate) user_info: Option<Bytes>,
    pub(crate) writable: bool,
    /// Next offset to deliver to this member; equal to the durable head when live.
    pub(crate) next: u64,
    /// A storage range load in flight for this member's catch-up.
    pub(crate) range_op: Option<OpId>,
    /// Latest presence state (ephemeral, never logged).
    pub(crate) presence: Option<Bytes>,
}

/// A join waiting for the room to load.
#[derive(Debug)]
pub(crate) struct PendingJoin {
    pub(crate) session: SessionId,
    pub(crate) join: Join,
}

/// A loaded room.
#[derive(Debug)]
pub(crate) struct LoadedRoom {
    /// The CRDT type tag (shared: every delivered frame names it).
    pub(crate) crdt: Arc<str>,
    pub(crate) epoch: u64,
    pub(crate) log: RoomLog,
    /// The latest snapshot known to the hub (possibly not yet durable in storage).
    pub(crate) snapshot: Option<StoredSnapshot>,
    /// First offset storage still holds as an entry.
    pub(crate) storage_first: u64,
    /// A snapshot write in flight, with the offset it covers.
    pub(crate) snapshot_write: Option<(OpId, u64)>,
    /// Offset covered by the last snapshot storage confirmed.
    pub(crate) snapshot_durable: u64,
    pub(crate) members: BTreeMap<SessionId, Member>,
    /// Encodes the live frames; made at the first delivery (idle rooms keep none).
    pub(crate) encoder: Option<RoomEncoder>,
}

/// A room in the hub: `incarnation` tells storage completions for an older
/// instance of the same room id apart from current ones.
#[derive(Debug)]
pub(crate) struct Room {
    pub(crate) incarnation: u64,
    pub(crate) state: RoomState,
}

/// Loading or loaded.
#[derive(Debug)]
pub(crate) enum RoomState {
    Loading { pending: Vec<PendingJoin> },
    Loaded(Box<LoadedRoom>),
}

impl Room {
    pub(crate) fn loaded(&self) -> Option<&LoadedRoom> {
        match &self.state {
            RoomState::Loaded(r) => Some(r),
            RoomState::Loading { .. } => None,
        }
    }
    pub(crate) fn loaded_mut(&mut self) -> Option<&mut LoadedRoom> {
        match &mut self.state {
            RoomState::Loaded(r) => Some(r),
            RoomState::Loading { .. } => None,
        }
    }
    /// Whether nothing refers to the room any more, so it may be unloaded.
    pub(crate) fn is_idle(&self) -> bool {
        match &self.state {
            RoomState::Loading { .. } => false,
            RoomState::Loaded(r) => {
                r.members.is_empty() && r.log.inflight_len() == 0 && r.snapshot_write.is_none()
            }
        }
    }
}
