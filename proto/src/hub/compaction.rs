//! Compaction: bounding a room's in-memory log and folding its prefix into a snapshot.
//!
//! When a room's tail exceeds `max_tail_entries` or `max_tail_bytes`, the oldest
//! entries leave memory until the tail is at three quarters of both bounds. Each one
//! is folded into the room's snapshot with the configured
//! [`DeltaMerger`] while the merger knows the room's type;
//! once it does not (or a merge fails) the entries still leave memory — they stay in
//! storage and catch-up reads them from there. An advanced snapshot is written with
//! [`StorageAction::WriteSnapshot`], one write in flight per room, carrying the
//! per-replica sequence table so deduplication survives the entries' deletion.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::Hub;
use super::events::HubEvent;
use super::room::Room;
use super::state::OpKind;
use super::storage::{StorageAction, StoredEntry, StoredSnapshot};
use crate::crdt::DeltaMerger;
use crate::wire::RoomId;

/// Folds `entry` into `base` (a state covering `0..entry.offset`, with its seq table).
fn fold(
    merger: &dyn DeltaMerger,
    crdt: &str,
    base: &StoredSnapshot,
    entry: &StoredEntry,
) -> Option<StoredSnapshot> {
    if base.offset != entry.offset {
        return None;
    }
    let state = merger.merge(crdt, &base.state, &entry.payload).ok()??;
    let mut table: BTreeMap<_, _> = base.seqs.iter().copied().collect();
    let slot = table.entry(entry.replica).or_insert(0);
    *slot = (*slot).max(entry.seq);
    Some(StoredSnapshot {
        offset: entry.offset.saturating_add(1),
        state: Bytes::from(state),
        seqs: table.into_iter().collect(),
    })
}

/// The state covering offset 0 alone: the first delta (used only as a merge base).
fn first(entry: &StoredEntry) -> StoredSnapshot {
    StoredSnapshot {
        offset: 1,
        state: entry.payload.clone(),
        seqs: vec![(entry.replica, entry.seq)],
    }
}

impl Hub {
    /// Trims the room's tail to its bounds, folding what leaves into the snapshot.
    pub(crate) fn maybe_compact(&mut self, room: &RoomId) {
        let merger = self.config.merger.clone();
        let (max_n, max_b) = (self.config.max_tail_entries, self.config.max_tail_bytes);
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        if l.log.tail_len() <= max_n && l.log.tail_bytes() <= max_b {
            return;
        }
        let (target_n, target_b) = (max_n - max_n / 4, max_b - max_b / 4);
        let before = l.snapshot.as_ref().map_or(0, |s| s.offset);
        let mut folding = true;
        while l.log.tail_len() > target_n || l.log.tail_bytes() > target_b {
            let Some(entry) = l.log.pop_front() else {
                break;
            };
            if !folding {
                continue;
            }
            let next = match &l.snapshot {
                Some(base) => fold(merger.as_ref(), &l.crdt, base, &entry),
                // No snapshot yet: the first snapshot merges the first two entries, so
                // that one is only created when the merger knows the type.
                None if entry.offset == 0 => l
                    .log
                    .pop_front()
                    .and_then(|second| fold(merger.as_ref(), &l.crdt, &first(&entry), &second)),
                None => None,
            };
            match next {
                Some(s) => l.snapshot = Some(s),
                None => folding = false,
            }
        }
        let after = l.snapshot.as_ref().map_or(0, |s| s.offset);
        if after > before {
            self.metrics.compactions = self.metrics.compactions.saturating_add(1);
            self.events.push(HubEvent::Compacted {
                room: room.clone(),
                offset: after,
            });
        }
        self.write_snapshot(room);
    }

    /// Starts a snapshot write if the snapshot is ahead of storage and none is in flight.
    fn write_snapshot(&mut self, room: &RoomId) {
        let Some(r) = self.rooms.get(room) else {
            return;
        };
        let incarnation = r.incarnation;
        let Some(l) = r.loaded() else {
            return;
        };
        let Some(snapshot) = l.snapshot.clone() else {
            return;
        };
        if l.snapshot_write.is_some() || snapshot.offset <= l.snapshot_durable {
            return;
        }
        let epoch = l.epoch;
        let offset = snapshot.offset;
        let op = self.alloc_op(room, incarnation, OpKind::Snapshot { offset });
        if let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) {
            l.snapshot_write = Some((op, offset));
        }
        let room = room.clone();
        self.storage.push_back(StorageAction::WriteSnapshot {
            op,
            room,
            epoch,
            snapshot,
        });
    }

    pub(crate) fn on_snapshot_written(&mut self, room: &RoomId, offset: u64, ok: bool) {
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        l.snapshot_write = None;
        if ok {
            l.snapshot_durable = l.snapshot_durable.max(offset);
            // Storage may now delete entries below `offset`.
            l.storage_first = l.storage_first.max(offset);
        }
        self.write_snapshot(room);
        if self.room_members(room).is_empty() {
            self.arm_idle(room);
        }
    }
}
