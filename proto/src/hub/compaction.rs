//! Compaction: bounding a room's in-memory log and folding its prefix into a snapshot.
//!
//! When a room's tail exceeds `max_tail_entries` or `max_tail_bytes`, the oldest
//! entries leave memory until the tail is at three quarters of both bounds. Each one
//! is folded into the room's snapshot with the configured
//! [`DeltaMerger`] — all of them in one `merge_many` call, so the snapshot is decoded
//! and encoded once per compaction, not once per entry — while the merger knows the
//! room's type; once it does not (or a merge fails) the entries still leave memory — they stay in
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

/// Folds `entries` (consecutive offsets, oldest first) into `base`, or — with no
/// snapshot yet — into the first of them, which must be offset 0 (so a first snapshot
/// merges at least two entries and exists only when the merger knows the type).
/// The whole run is merged in one [`DeltaMerger::merge_many`] call: the snapshot is
/// decoded and encoded once per compaction, not once per entry. If that fails (a
/// result over the size bound, a payload that does not decode), the longest prefix
/// that folds one by one is kept. `None` when nothing folds.
pub(crate) fn fold_run(
    merger: &dyn DeltaMerger,
    crdt: &str,
    base: Option<&StoredSnapshot>,
    entries: &[StoredEntry],
) -> Option<StoredSnapshot> {
    let (start, rest) = match base {
        Some(b) => (b.clone(), entries),
        None => {
            let (head, rest) = entries.split_first()?;
            if head.offset != 0 {
                return None;
            }
            (first(head), rest)
        }
    };
    // Entries the base already covers are skipped.
    let rest = &rest[rest.iter().take_while(|e| e.offset < start.offset).count()..];
    let run = rest
        .iter()
        .zip(start.offset..)
        .take_while(|(e, want)| e.offset == *want)
        .count();
    let rest = &rest[..run];
    if rest.is_empty() {
        return None;
    }
    let payloads: Vec<&[u8]> = rest.iter().map(|e| &e.payload[..]).collect();
    if let Ok(Some(state)) = merger.merge_many(crdt, &start.state, &payloads) {
        return Some(advance(&start, state, rest));
    }
    let mut folded: Option<StoredSnapshot> = None;
    for entry in rest {
        let base = folded.as_ref().unwrap_or(&start);
        match merger.merge(crdt, &base.state, &entry.payload) {
            Ok(Some(state)) => folded = Some(advance(base, state, std::slice::from_ref(entry))),
            _ => break,
        }
    }
    folded
}

/// `base` advanced past `entries` (consecutive, starting at `base.offset`), with
/// `state` the merge of all of them and the seq table raised by theirs.
fn advance(base: &StoredSnapshot, state: Vec<u8>, entries: &[StoredEntry]) -> StoredSnapshot {
    let mut table: BTreeMap<_, _> = base.seqs.iter().copied().collect();
    for e in entries {
        let slot = table.entry(e.replica).or_insert(0);
        *slot = (*slot).max(e.seq);
    }
    let offset = entries
        .last()
        .map_or(base.offset, |e| e.offset.saturating_add(1));
    StoredSnapshot {
        offset,
        state: Bytes::from(state),
        seqs: table.into_iter().collect(),
    }
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
        let mut leaving = Vec::new();
        while l.log.tail_len() > target_n || l.log.tail_bytes() > target_b {
            let Some(entry) = l.log.pop_front() else {
                break;
            };
            leaving.push(entry);
        }
        // A first snapshot needs two entries to merge.
        if l.snapshot.is_none() && leaving.len() == 1 {
            leaving.extend(l.log.pop_front());
        }
        // What does not fold leaves memory all the same: it stays in storage, and
        // catch-up reads it from there.
        if let Some(s) = fold_run(merger.as_ref(), &l.crdt, l.snapshot.as_ref(), &leaving) {
            l.snapshot = Some(s);
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
        self.backfill(room);
    }

    /// Starts a snapshot write if the snapshot is ahead of storage and none is in flight.
    pub(crate) fn write_snapshot(&mut self, room: &RoomId) {
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
