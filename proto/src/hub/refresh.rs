//! Shared-log mode: learning a room's snapshot and first stored offset again when
//! another node compacted entries a member of this node still needs (a catch-up
//! read came back short); the members behind it are then closed into a resync.

use super::Hub;
use super::room::Room;
use super::state::OpKind;
use super::storage::{StorageAction, StorageError};
use crate::wire::{RoomId, SessionId};

impl Hub {
    /// Loads `room`'s record again for the snapshot and first offset storage holds
    /// now; catch-up reads wait until it is back.
    pub(crate) fn refresh(&mut self, room: &RoomId) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let incarnation = r.incarnation;
        let Some(l) = r.loaded_mut() else {
            return;
        };
        if l.refreshing {
            return;
        }
        l.refreshing = true;
        let op = self.alloc_op(room, incarnation, OpKind::Refresh);
        self.storage.push_back(StorageAction::Load {
            op,
            room: room.clone(),
            tail_limit: 0,
        });
    }

    /// The refreshed record: adopts a newer snapshot (up to the durable head) and
    /// the first stored offset, then pumps every member (those behind it are closed
    /// into a resync).
    pub(crate) fn on_refreshed(
        &mut self,
        room: &RoomId,
        result: Result<Option<super::storage::RoomRecord>, StorageError>,
    ) {
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        l.refreshing = false;
        let rec = match result {
            Ok(Some(rec)) if rec.epoch == l.epoch => rec,
            Ok(_) => {
                let e = StorageError("the shared log was lost or restarted".into());
                return self.fail_room(room, e);
            }
            Err(e) => return self.fail_room(room, e),
        };
        let ours = l.snapshot.as_ref().map_or(0, |s| s.offset);
        if let Some(snap) = rec.snapshot {
            if snap.offset > ours && snap.offset <= l.log.durable_head() {
                l.storage_first = l.storage_first.max(snap.offset);
                l.snapshot = Some(snap);
            }
        }
        l.storage_first = l
            .storage_first
            .max(rec.first_offset.min(l.log.durable_head()));
        let members: Vec<SessionId> = l.members.keys().copied().collect();
        for sid in members {
            self.pump(sid, room);
        }
    }
}
