//! The rooms' documents: one CRDT document per joined room, the rooms restored
//! from saved state that the application has not attached to yet, and the count
//! of remote deltas that could not be applied. This part applies the client's
//! events to the documents before [`Replica::poll_output`](super::Replica::poll_output)
//! hands them out:
//!
//! * `Delta` (remote, or the replica's own logged delta in a replay) is merged;
//! * `Resync` resets the document to the hub's snapshot and re-applies the room's
//!   own unacknowledged deltas (the snapshot may predate them; merging is
//!   idempotent, so ones it already holds change nothing), then closes the room's
//!   gate until it caught up ([`gate`](super::gate));
//! * `CaughtUp` opens the gate and submits the operations waiting on it; an ack
//!   (`DeltaAcked`) makes room in the outbox for operations that waited for it;
//!   `JoinRejected` drops the room's waiting operations as failed.

use crate::vecmap::{VecMap, VecSet};

use bytes::Bytes;

use crate::client::ClientEvent;
use crate::crdt::DynDocument;
use crate::time::Instant;
use crate::wire::RoomId;

use super::{Replica, ReplicaError, ReplicaOrigin};

/// The documents of a replica's rooms.
#[derive(Debug, Default)]
pub(super) struct Documents {
    docs: VecMap<RoomId, Box<dyn DynDocument>>,
    /// Rooms restored from saved state that the application has not joined yet.
    restored: VecSet<RoomId>,
    /// Remote deltas or snapshots that could not be applied (a peer sent bytes of
    /// another type).
    apply_errors: u64,
}

impl Documents {
    /// Documents restored from saved state, waiting for the application to attach.
    pub(super) fn restored(docs: VecMap<RoomId, Box<dyn DynDocument>>) -> Self {
        // Inserted one by one: `collect` would bring a sort routine per key type
        // into the browser bundle.
        let mut restored = VecSet::new();
        for room in docs.keys() {
            restored.insert(room.clone());
        }
        Documents {
            restored,
            docs,
            apply_errors: 0,
        }
    }

    pub(super) fn insert(&mut self, room: RoomId, doc: Box<dyn DynDocument>) {
        self.restored.remove(&room);
        self.docs.insert(room, doc);
    }

    pub(super) fn remove(&mut self, room: &RoomId) {
        self.docs.remove(room);
        self.restored.remove(room);
    }

    /// Whether `room` was restored and not attached to yet.
    pub(super) fn is_restored(&self, room: &RoomId) -> bool {
        self.restored.contains(room)
    }

    /// The application attached to a restored room.
    pub(super) fn attached(&mut self, room: &RoomId) {
        self.restored.remove(room);
    }

    pub(super) fn get(&self, room: &RoomId) -> Option<&(dyn DynDocument + 'static)> {
        self.docs.get(room).map(|d| &**d)
    }

    pub(super) fn get_mut(&mut self, room: &RoomId) -> Option<&mut Box<dyn DynDocument>> {
        self.docs.get_mut(room)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&RoomId, &(dyn DynDocument + 'static))> {
        self.docs.iter().map(|(r, d)| (r, &**d))
    }

    pub(super) fn apply_errors(&self) -> u64 {
        self.apply_errors
    }

    /// Merges a delta into `room`'s document, if the room has one.
    fn merge(&mut self, room: &RoomId, payload: &[u8]) {
        if let Some(doc) = self.docs.get_mut(room) {
            if doc.apply_remote(payload).is_err() {
                self.apply_errors += 1;
            }
        }
    }

    /// Resets `room`'s document to `snapshot`, then re-applies `own` deltas.
    fn resync<'a>(
        &mut self,
        room: &RoomId,
        snapshot: Option<&[u8]>,
        own: impl Iterator<Item = &'a Bytes>,
    ) {
        let Some(doc) = self.docs.get_mut(room) else {
            return;
        };
        if doc.reset_to_snapshot(snapshot).is_err() {
            self.apply_errors += 1;
            let _ = doc.reset_to_snapshot(None);
        }
        for payload in own {
            if doc.apply_remote(payload).is_err() {
                self.apply_errors += 1;
            }
        }
    }
}

impl Replica {
    /// Joins `room` with `doc`; its gate opens at once for a fresh replica id.
    pub(super) fn join_doc(
        &mut self,
        now: Instant,
        room: RoomId,
        doc: Box<dyn DynDocument>,
    ) -> Result<(), ReplicaError> {
        self.client.join(now, room.clone(), doc.tag())?;
        // Nothing was ever written under a fresh id: no need to wait for the replay.
        self.gates
            .add(room.clone(), self.origin == ReplicaOrigin::Fresh);
        self.docs.insert(room, doc);
        Ok(())
    }

    /// Applies one client event to the documents and the gates.
    pub(super) fn on_event(&mut self, event: &ClientEvent) {
        match event {
            ClientEvent::Delta { room, payload, .. } => self.docs.merge(room, payload),
            ClientEvent::Resync { room, snapshot, .. } => {
                // The document was reset: own entries come back with the replay.
                self.gates.close(room);
                let own = self.client.room_unacked(room).map(|(_, p)| p);
                self.docs.resync(room, snapshot.as_deref(), own);
            }
            ClientEvent::CaughtUp { room, .. } => {
                self.gates.open(room);
                self.submit_waiting(room);
            }
            ClientEvent::DeltaAcked { .. } => {
                // The outbox has room again for operations that waited for it.
                for room in self.gates.ready_rooms() {
                    self.submit_waiting(&room);
                }
            }
            ClientEvent::JoinRejected { room, .. } => self.gates.fail_room(room),
            _ => {}
        }
    }
}
