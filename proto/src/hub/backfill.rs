//! Backfilling the snapshot from storage: compaction makes progress whatever the
//! crash rate.
//!
//! Compaction folds entries into the snapshot as they leave the in-memory tail, so it
//! needs the snapshot to end where the tail starts. A loaded room can start with a gap
//! between the two: storage held more entries after its snapshot than the hub keeps in
//! memory (a crash lost a snapshot write, or came before the tail was compacted). Left
//! alone, the snapshot would never advance again and the log would grow without bound.
//! So while a gap exists, the hub reads it from storage in batches of
//! `batch_max_entries` (one read in flight per room) and folds each batch into the
//! snapshot with one [`DeltaMerger::merge_many`](crate::crdt::DeltaMerger::merge_many),
//! writing the advanced snapshot as compaction does, until the snapshot reaches the
//! tail. A batch that does not fold (the merger does not know the type, a storage
//! error) stops the backfill for this room instance; the next load retries.

use super::Hub;
use super::compaction::fold_run;
use super::events::HubEvent;
use super::room::Room;
use super::state::OpKind;
use super::storage::{StorageAction, StorageError, StoredEntry};
use crate::wire::RoomId;

/// Whether a room instance's backfill may run, is running, or gave up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Backfill {
    /// No read in flight.
    #[default]
    Idle,
    /// A read from this offset is in flight.
    Reading { from: u64 },
    /// A batch did not fold: no more reads for this room instance.
    Stopped,
}

impl Hub {
    /// Starts reading the next batch between the snapshot and the in-memory tail,
    /// if there is a gap and no read is in flight.
    pub(crate) fn backfill(&mut self, room: &RoomId) {
        let max_entries = self.config.batch_max_entries;
        let Some(r) = self.rooms.get(room) else {
            return;
        };
        let incarnation = r.incarnation;
        let Some(l) = r.loaded() else {
            return;
        };
        if l.backfill != Backfill::Idle {
            return;
        }
        let from = l.snapshot.as_ref().map_or(0, |s| s.offset);
        let gap = l.log.tail_start().saturating_sub(from);
        if gap == 0 {
            return;
        }
        let epoch = l.epoch;
        let want = usize::try_from(gap).unwrap_or(usize::MAX).min(max_entries);
        let op = self.alloc_op(room, incarnation, OpKind::Backfill { from });
        if let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) {
            l.backfill = Backfill::Reading { from };
        }
        self.storage.push_back(StorageAction::LoadRange {
            op,
            room: room.clone(),
            epoch,
            from,
            max_entries: want,
        });
    }

    /// A backfill read completed: fold what it returned, then read on.
    pub(crate) fn on_backfill(
        &mut self,
        room: &RoomId,
        from: u64,
        result: Result<Vec<StoredEntry>, StorageError>,
    ) {
        let merger = self.config.merger.clone();
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        l.backfill = Backfill::Stopped;
        let base = l.snapshot.as_ref().map_or(0, |s| s.offset);
        let Ok(mut entries) = result else {
            return;
        };
        if base != from {
            return;
        }
        let tail_start = l.log.tail_start();
        entries.retain(|e| e.offset < tail_start);
        // A first snapshot merges at least two entries: with a gap of one, the
        // second comes from the tail (it leaves memory, it stays in storage).
        if l.snapshot.is_none() && entries.len() == 1 {
            entries.extend(l.log.pop_front());
        }
        let Some(folded) = fold_run(merger.as_ref(), &l.crdt, l.snapshot.as_ref(), &entries) else {
            return;
        };
        let offset = folded.offset;
        l.snapshot = Some(folded);
        l.backfill = Backfill::Idle;
        self.metrics.compactions = self.metrics.compactions.saturating_add(1);
        self.events.push(HubEvent::Compacted {
            room: room.clone(),
            offset,
        });
        self.write_snapshot(room);
        self.backfill(room);
    }
}
