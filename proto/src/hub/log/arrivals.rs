//! Shared-log mode (several hubs, one log): this node's appends awaiting the
//! backend's verdict, and durable entries (its own, or appended by other nodes and
//! fed in by the driver) that are not yet contiguous with the room's durable head.
//!
//! The backend assigns offsets ([`StorageAction::AppendShared`](crate::hub::StorageAction::AppendShared)),
//! so entries become known out of order: an `Appended` completion of this node and
//! the driver's tail feed race, and either may be late or repeated. Entries wait here,
//! keyed by offset, until the offsets below them are known; a hole is filled by a
//! range read ([`Arrivals::fill`] names the read in flight).

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;

use crate::hub::storage::{AppendOutcome, OpId, StoredEntry};
use crate::wire::ReplicaId;

/// One entry of an append of this node in flight.
#[derive(Debug)]
struct Sent {
    op: OpId,
    replica: ReplicaId,
    seq: u64,
    payload: Bytes,
}

/// A verdict of the shared log that is not a stored entry: the hub answers the
/// replica's sessions with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) replica: ReplicaId,
    pub(crate) seq: u64,
    /// `Duplicate` or `Gap`.
    pub(crate) outcome: AppendOutcome,
}

/// Shared-log bookkeeping of one loaded room (empty in single-node mode).
#[derive(Debug, Default)]
pub(crate) struct Arrivals {
    /// Durable entries above the durable head, by offset.
    arrived: BTreeMap<u64, StoredEntry>,
    /// Entries of this node's appends in flight, in the order they were sent (the
    /// entries of one append are contiguous; appends mostly complete in order, so
    /// settling one takes entries from the front).
    sent: VecDeque<Sent>,
    /// The range read in flight filling a hole or catching up before a join.
    pub(crate) fill: Option<OpId>,
    /// One past the highest offset known to be durable (arrived, or dropped over
    /// the bound): the log has a hole while its head is below it.
    seen_head: u64,
}

impl Arrivals {
    /// Records an entry sent in append `op`.
    pub(crate) fn sent(&mut self, op: OpId, replica: ReplicaId, seq: u64, payload: Bytes) {
        self.sent.push_back(Sent {
            op,
            replica,
            seq,
            payload,
        });
    }

    /// Number of entries sent and not yet answered.
    pub(crate) fn in_flight(&self) -> usize {
        self.sent.len()
    }

    /// Highest sequence of `replica` sent and not yet answered.
    pub(crate) fn highest_sent(&self, replica: ReplicaId) -> Option<u64> {
        self.sent
            .iter()
            .filter(|s| s.replica == replica)
            .map(|s| s.seq)
            .max()
    }

    /// Applies the backend's outcomes for append `op`: logged entries wait by offset
    /// (those at or above `head`), the others are returned. `Err` if the outcomes do
    /// not match the entries sent (a backend bug: the room must be reloaded).
    pub(crate) fn settle(
        &mut self,
        op: OpId,
        outcomes: &[AppendOutcome],
        head: u64,
    ) -> Result<Vec<Refused>, String> {
        let start = self.sent.iter().position(|s| s.op == op);
        let sent: Vec<Sent> = match start {
            Some(i) => {
                let n = self.sent.iter().skip(i).take_while(|s| s.op == op).count();
                self.sent.drain(i..i + n).collect()
            }
            None => Vec::new(),
        };
        if sent.len() != outcomes.len() {
            return Err(format!(
                "{} outcomes for {} entries appended",
                outcomes.len(),
                sent.len()
            ));
        }
        let mut refused = Vec::new();
        for (s, &outcome) in sent.into_iter().zip(outcomes) {
            match outcome {
                AppendOutcome::Logged { offset } => {
                    let entry = StoredEntry {
                        offset,
                        replica: s.replica,
                        seq: s.seq,
                        payload: s.payload,
                    };
                    self.arrive(entry, head);
                }
                AppendOutcome::Duplicate { .. } | AppendOutcome::Gap { .. } => {
                    refused.push(Refused {
                        replica: s.replica,
                        seq: s.seq,
                        outcome,
                    });
                }
            }
        }
        Ok(refused)
    }

    /// Takes a durable entry (from a completion, the tail feed or a range read) if it
    /// is at or above `head` and not yet known. Bounded by `max_waiting`: entries
    /// beyond it are dropped and read again from storage when their turn comes.
    pub(crate) fn arrive_bounded(&mut self, entry: StoredEntry, head: u64, max_waiting: usize) {
        self.seen_head = self.seen_head.max(entry.offset.saturating_add(1));
        if self.arrived.len() < max_waiting || entry.offset == head {
            self.arrive(entry, head);
        }
    }

    fn arrive(&mut self, entry: StoredEntry, head: u64) {
        self.seen_head = self.seen_head.max(entry.offset.saturating_add(1));
        if entry.offset >= head {
            self.arrived.entry(entry.offset).or_insert(entry);
        }
    }

    /// Removes and returns the entry at `head`, if it arrived (entries below it,
    /// made durable meanwhile through another path, are dropped).
    pub(crate) fn take_at(&mut self, head: u64) -> Option<StoredEntry> {
        while let Some(first) = self.arrived.first_entry() {
            if *first.key() >= head {
                break;
            }
            first.remove();
        }
        self.arrived.remove(&head)
    }

    /// Whether entries at or above `head` are known to be durable while the one at
    /// `head` has not arrived (call after taking what arrived at `head`).
    pub(crate) fn has_hole(&self, head: u64) -> bool {
        head < self.seen_head && !self.arrived.contains_key(&head)
    }

    /// Entries waiting above the durable head.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn waiting(&self) -> usize {
        self.arrived.len()
    }
}
