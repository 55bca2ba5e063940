//! The fold a storage backend runs for [`StorageAction::Fold`](super::StorageAction::Fold):
//! a snapshot and the log entries after it merged into one snapshot with the room's
//! CRDT type, through a [`DeltaMerger`]. Pure (no I/O), so every backend — proto's
//! [`MemoryStorage`](super::MemoryStorage), the server's redb backend, a simulator's
//! store — folds the same way. It costs O(state + entries): the snapshot is decoded
//! and encoded once per fold. The hub never calls it: folding a big room's state
//! would stall every room of the hub (issue 18), so it happens where storage runs.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::storage::{StoredEntry, StoredSnapshot};
use crate::crdt::DeltaMerger;

/// Folds `entries` (consecutive offsets, oldest first) into `base`, or — with no
/// snapshot yet — into the first of them, which must be offset 0 (so a first snapshot
/// merges at least two entries and exists only when the merger knows the type).
/// The whole run is merged in one [`DeltaMerger::merge_many`] call: the snapshot is
/// decoded and encoded once per compaction, not once per entry. If that fails (a
/// result over the size bound, a payload that does not decode), the longest prefix
/// that folds one by one is kept. `None` when nothing folds.
pub fn fold_snapshot(
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
