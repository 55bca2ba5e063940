//! One room as [`MemoryStorage`](super::MemoryStorage) keeps it: type, epoch, the
//! stored entries and snapshot, and the shared-log append (offsets and the sequence
//! rule decided by the store).

use std::collections::{BTreeMap, VecDeque};

use crate::hub::storage::*;
use crate::wire::ReplicaId;

#[derive(Clone, Debug, Default)]
pub(super) struct StoredRoom {
    pub(super) crdt: String,
    pub(super) epoch: u64,
    pub(super) first_offset: u64,
    pub(super) entries: VecDeque<StoredEntry>,
    /// Boxed: most rooms have none, and the record stays small in the room map.
    pub(super) snapshot: Option<Box<StoredSnapshot>>,
}

impl StoredRoom {
    pub(super) fn head(&self) -> u64 {
        self.first_offset
            .saturating_add(u64::try_from(self.entries.len()).unwrap_or(u64::MAX))
    }
    pub(super) fn seqs(&self) -> Vec<(ReplicaId, u64)> {
        let mut table: BTreeMap<ReplicaId, u64> = BTreeMap::new();
        let snap = self.snapshot.iter().flat_map(|s| s.seqs.iter().copied());
        let entries = self.entries.iter().map(|e| (e.replica, e.seq));
        for (replica, seq) in snap.chain(entries) {
            let slot = table.entry(replica).or_default();
            *slot = (*slot).max(seq);
        }
        table.into_iter().collect()
    }

    /// Highest stored sequence of `replica` (snapshot table and entries).
    fn last_seq(&self, replica: ReplicaId) -> u64 {
        let snap = self.snapshot.iter().flat_map(|s| s.seqs.iter());
        let snap = snap.filter(|(r, _)| *r == replica).map(|(_, s)| *s);
        let logged = self.entries.iter().filter(|e| e.replica == replica);
        snap.chain(logged.map(|e| e.seq)).max().unwrap_or(0)
    }

    /// The shared-log append (storage.rs contract): offsets assigned here, the
    /// sequence rule decided here, all entries at once.
    pub(super) fn append_shared(
        &mut self,
        epoch: u64,
        entries: Vec<NewEntry>,
    ) -> Result<Vec<AppendOutcome>, StorageError> {
        if self.epoch != epoch {
            return Err(StorageError("epoch mismatch".into()));
        }
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let last = self.last_seq(e.replica);
            out.push(if e.seq <= last {
                AppendOutcome::Duplicate { acked: last }
            } else if e.seq == last.saturating_add(1) {
                let offset = self.head();
                self.entries.push_back(StoredEntry {
                    offset,
                    replica: e.replica,
                    seq: e.seq,
                    payload: e.payload,
                });
                AppendOutcome::Logged { offset }
            } else {
                AppendOutcome::Gap {
                    expected: last.saturating_add(1),
                }
            });
        }
        Ok(out)
    }
}
