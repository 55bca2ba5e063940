//! The join gate: local operations that wait until their room caught up. This
//! part owns the waiting operations and each room's open/closed flag.
//!
//! A local operation is prepared against the document (a counter increment becomes
//! "this replica's entry is now n + 1"). If the document does not yet hold the
//! replica's own earlier entries — a process that reuses a replica id without its
//! saved state, or a document just reset by a resync — the delta would merge into
//! nothing, and its sequence number could repeat one the hub already holds. So a
//! room's gate is closed until [`ClientEvent::CaughtUp`](crate::client::ClientEvent::CaughtUp):
//!
//! * closed at join when the replica id is not fresh
//!   ([`ReplicaOrigin::Chosen`](super::ReplicaOrigin)) and the room's document was
//!   not restored from saved state; open at once for a fresh random id (nothing was
//!   ever written under it) and for a restored room;
//! * closed again on every `Resync` (the document was reset to a snapshot);
//! * opened by `CaughtUp`: the operations waiting are then prepared, submitted and
//!   applied, in order.
//!
//! Waiting operations are bounded (at most `outbox_max_deltas` across rooms, the
//! number of deltas they may become); one more is refused with
//! [`ReplicaError::TooManyWaiting`]. An operation that waits while the outbox is
//! full keeps waiting until an ack makes room; one that fails when it is finally
//! prepared (the room turned out read-only or was rejected, the CRDT refused it) is
//! dropped and counted ([`Replica::failed_waiting_ops`](super::Replica::failed_waiting_ops)).
//! Leaving a room drops its waiting operations. They are not part of the saved
//! state: a replica that is restored before the room caught up loses them.

use std::collections::VecDeque;

use crate::vecmap::VecMap;

use crate::crdt::DynDocument;
use crate::time::WallClockMillis;
use crate::wire::RoomId;

use super::ReplicaError;

/// Prepares the delta of one local operation on the room's current document at a
/// wall-clock time. Callable again (the operation is cloned) if submitting it must
/// wait.
pub(super) type Prepare = Box<
    dyn FnMut(&(dyn DynDocument + 'static), WallClockMillis) -> Result<Prepared, ReplicaError>
        + Send,
>;

/// A prepared local delta: its encoding (for the client) and how to merge it into
/// the document once the client took it — the typed delta itself, so committing it
/// does not decode what was just encoded.
pub(super) struct Prepared {
    pub(super) bytes: Vec<u8>,
    pub(super) commit: Commit,
}

/// Merges a prepared delta into the document it was prepared on.
pub(super) type Commit = Box<dyn FnOnce(&mut (dyn DynDocument + 'static)) + Send>;

/// One local operation, prepared when it is submitted.
pub(super) struct LocalOp {
    pub(super) prepare: Prepare,
    /// Wall-clock time of the `apply` call (what an LWW register records).
    pub(super) wall_ms: WallClockMillis,
}

impl core::fmt::Debug for LocalOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LocalOp")
            .field("wall_ms", &self.wall_ms)
            .finish()
    }
}

#[derive(Debug, Default)]
struct Gate {
    open: bool,
    ops: VecDeque<LocalOp>,
}

/// The gates of a replica's rooms.
#[derive(Debug, Default)]
pub(super) struct Gates {
    rooms: VecMap<RoomId, Gate>,
    waiting: usize,
    failed: u64,
}

impl Gates {
    /// Starts tracking `room`, open or closed.
    pub(super) fn add(&mut self, room: RoomId, open: bool) {
        let gate = self.rooms.get_or_insert_with(room, Gate::default);
        gate.open = open;
    }

    /// Forgets `room` and drops its waiting operations.
    pub(super) fn remove(&mut self, room: &RoomId) {
        if let Some(g) = self.rooms.remove(room) {
            self.waiting -= g.ops.len();
        }
    }

    /// Closes `room`'s gate (its document was reset).
    pub(super) fn close(&mut self, room: &RoomId) {
        if let Some(g) = self.rooms.get_mut(room) {
            g.open = false;
        }
    }

    /// Opens `room`'s gate (it caught up).
    pub(super) fn open(&mut self, room: &RoomId) {
        if let Some(g) = self.rooms.get_mut(room) {
            g.open = true;
        }
    }

    /// Whether a new operation on `room` must wait: the gate is closed, or earlier
    /// operations still wait (order is kept).
    pub(super) fn must_wait(&self, room: &RoomId) -> bool {
        self.rooms
            .get(room)
            .is_some_and(|g| !g.open || !g.ops.is_empty())
    }

    /// Queues an operation on `room`; refused beyond `max` waiting in all.
    pub(super) fn push(
        &mut self,
        room: &RoomId,
        op: LocalOp,
        max: usize,
    ) -> Result<(), ReplicaError> {
        if self.waiting >= max {
            return Err(ReplicaError::TooManyWaiting { max });
        }
        self.rooms
            .get_or_insert_with(room.clone(), Gate::default)
            .ops
            .push_back(op);
        self.waiting += 1;
        Ok(())
    }

    /// The next operation of `room` to submit, if its gate is open.
    pub(super) fn pop_ready(&mut self, room: &RoomId) -> Option<LocalOp> {
        let g = self.rooms.get_mut(room).filter(|g| g.open)?;
        let op = g.ops.pop_front()?;
        self.waiting -= 1;
        Some(op)
    }

    /// Puts back an operation that could not be submitted yet (outbox full).
    pub(super) fn push_front(&mut self, room: &RoomId, op: LocalOp) {
        self.rooms
            .get_or_insert_with(room.clone(), Gate::default)
            .ops
            .push_front(op);
        self.waiting += 1;
    }

    /// Rooms whose gate is open and that have operations waiting, in room order.
    pub(super) fn ready_rooms(&self) -> Vec<RoomId> {
        self.rooms
            .iter()
            .filter(|(_, g)| g.open && !g.ops.is_empty())
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Drops every operation waiting on `room` as failed (the hub refused the room).
    pub(super) fn fail_room(&mut self, room: &RoomId) {
        if let Some(g) = self.rooms.get_mut(room) {
            let n = g.ops.len();
            g.ops.clear();
            self.waiting -= n;
            self.failed = self.failed.saturating_add(n as u64);
        }
    }

    /// Counts one operation that failed when it was finally prepared.
    pub(super) fn count_failed(&mut self) {
        self.failed = self.failed.saturating_add(1);
    }

    /// Operations waiting, across rooms.
    pub(super) fn waiting(&self) -> usize {
        self.waiting
    }

    /// Waiting operations that were dropped because they failed once prepared.
    pub(super) fn failed(&self) -> u64 {
        self.failed
    }
}
