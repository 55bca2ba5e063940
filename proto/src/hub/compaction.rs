//! Compaction: bounding a room's in-memory log, and asking storage to fold the log
//! prefix into the room's snapshot.
//!
//! When a room's tail exceeds `max_tail_entries` or `max_tail_bytes`, the oldest
//! entries leave memory until the tail is at three quarters of both bounds (they stay
//! in storage; catch-up reads them from there). The hub does not merge them itself:
//! merging into a snapshot costs O(state), and a big room (a 100,000-element OR-set)
//! would stall every room of the hub's task (issue 18). Instead, while the snapshot
//! ends before the tail starts, the hub emits [`StorageAction::Fold`] up to the tail's
//! start (at most `max_tail_entries` entries per fold, one fold in flight per room);
//! the backend merges with [`fold_snapshot`](super::fold::fold_snapshot), stores the
//! result atomically and returns it, and the hub adopts it for joins and resumes.
//! The hub's per-delta work stays O(delta) whatever the room's size.
//!
//! Compaction makes progress whatever the crash rate: a room can be loaded with a gap
//! between its snapshot and its in-memory tail (storage held more entries after its
//! snapshot than the hub keeps in memory: a crash lost a fold, or came before the
//! tail was compacted). Left alone, the snapshot would never advance again and the
//! log would grow without bound. The same rule closes that gap: a fold is requested
//! as soon as the room loads, and again after each completed fold, until the snapshot
//! reaches the tail. Each fold is all-or-nothing in storage, so a crash mid-fold
//! loses nothing and the next load simply asks again.
//!
//! A fold that stops short (the merger does not know the type, an entry does not
//! merge, the result would exceed the size bound) stops folding for this room
//! instance; the next load retries. A fold that fails (a storage error) is retried
//! when the next entries leave memory.

use super::Hub;
use super::events::HubEvent;
use super::room::Room;
use super::state::OpKind;
use super::storage::{StorageAction, StorageError, StoredSnapshot};
use crate::wire::RoomId;

/// Whether a room instance may ask storage to fold, is waiting for a fold, or gave up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Folding {
    /// No fold in flight.
    #[default]
    Idle,
    /// A fold up to this offset is in flight.
    InFlight { to: u64 },
    /// A fold stopped short: no more folds for this room instance.
    Stopped,
}

impl Hub {
    /// Trims the room's tail to its bounds; storage folds what left into the snapshot.
    pub(crate) fn maybe_compact(&mut self, room: &RoomId) {
        let (max_n, max_b) = (self.config.max_tail_entries, self.config.max_tail_bytes);
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        if l.log.tail_len() <= max_n && l.log.tail_bytes() <= max_b {
            return;
        }
        let (target_n, target_b) = (max_n - max_n / 4, max_b - max_b / 4);
        while (l.log.tail_len() > target_n || l.log.tail_bytes() > target_b) && l.log.can_trim() {
            if l.log.pop_front().is_none() {
                break;
            }
        }
        self.request_fold(room);
    }

    /// Asks storage to fold the entries between the snapshot and the in-memory tail,
    /// if there are any and no fold is in flight.
    pub(crate) fn request_fold(&mut self, room: &RoomId) {
        let max_entries = u64::try_from(self.config.max_tail_entries).unwrap_or(u64::MAX);
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let incarnation = r.incarnation;
        let Some(l) = r.loaded_mut() else {
            return;
        };
        if l.fold != Folding::Idle {
            return;
        }
        let from = l.snapshot.as_ref().map_or(0, |s| s.offset);
        // A first snapshot merges at least two entries: with a gap of one, the
        // second is the tail's front (it leaves memory, it stays in storage), once
        // it was delivered live (an entry of this turn stays until the turn ends).
        if l.snapshot.is_none() && l.log.tail_start() == 1 && l.log.can_trim() {
            l.log.pop_front();
        }
        let tail_start = l.log.tail_start();
        if tail_start <= from || (l.snapshot.is_none() && tail_start < 2) {
            return;
        }
        let to = tail_start.min(from.saturating_add(max_entries.max(2)));
        let epoch = l.epoch;
        l.fold = Folding::InFlight { to };
        let op = self.alloc_op(room, incarnation, OpKind::Fold { to });
        self.storage.push_back(StorageAction::Fold {
            op,
            room: room.clone(),
            epoch,
            to,
        });
    }

    /// A fold completed: adopt the snapshot storage now holds, then fold on.
    pub(crate) fn on_folded(
        &mut self,
        room: &RoomId,
        to: u64,
        result: Result<Option<StoredSnapshot>, StorageError>,
    ) {
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let before = l.snapshot.as_ref().map_or(0, |s| s.offset);
        match result {
            // Declined (another node folds): asked again when the next entries leave
            // memory.
            Err(e) if e.is_fold_busy() => l.fold = Folding::Idle,
            // The fold may have taken effect with only its reply lost: storage may
            // hold a newer snapshot and have deleted the entries it covers, which this
            // hub would go on reading, refusing every member that resumes below it.
            // As for any failed write, the room is dropped and loads again from what
            // storage holds.
            Err(e) => return self.fail_room(room, e),
            Ok(snapshot) => {
                let after = snapshot.as_ref().map_or(0, |s| s.offset);
                // Storage never holds a snapshot beyond what the hub asked for; one
                // that does not advance the hub's is not adopted, and folding stops.
                let adopted = after > before && after <= l.log.tail_start();
                l.fold = if adopted && after >= to {
                    Folding::Idle
                } else {
                    Folding::Stopped
                };
                if adopted {
                    l.snapshot = snapshot;
                    // Storage may now delete entries below `after`.
                    l.storage_first = l.storage_first.max(after);
                    self.metrics.compactions = self.metrics.compactions.saturating_add(1);
                    self.events.push(HubEvent::Compacted {
                        room: room.clone(),
                        offset: after,
                    });
                }
                self.request_fold(room);
            }
        }
        if self.room_members(room).is_empty() {
            self.arm_idle(room);
        }
    }
}
