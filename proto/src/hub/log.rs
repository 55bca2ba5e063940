//! A loaded room's log: the bounded in-memory tail of durable entries, the appends in
//! flight, and the per-replica deduplication table ([`seqs`]).
//!
//! Offsets are assigned when a delta is accepted (`next_offset` counts appends in
//! flight); entries become visible (`durable_head`) strictly in log order, once their
//! append completed and every earlier append did too. Entries that became durable
//! during a hub turn wait (`live_head..durable_head`) until the end of the turn, when
//! they go to the members live together ([`RoomLog::take_undelivered`]).
//!
//! In shared-log mode (several hubs, one log) the backend assigns offsets: accepted
//! deltas wait for its verdict and durable entries arrive out of order
//! ([`arrivals`]); the durable head advances over them in offset order.

use std::collections::VecDeque;

use bytes::Bytes;

use super::storage::{AppendOutcome, OpId, StoredEntry};
use crate::wire::ReplicaId;

mod arrivals;
mod seqs;

use arrivals::Arrivals;
pub(crate) use arrivals::Refused;
pub(crate) use seqs::Dedupe;
use seqs::SeqTable;

#[derive(Debug)]
struct Inflight {
    op: OpId,
    entry: StoredEntry,
    done: bool,
}

/// The log state of one loaded room.
#[derive(Debug)]
pub(crate) struct RoomLog {
    tail: VecDeque<StoredEntry>,
    tail_start: u64,
    tail_bytes: usize,
    durable_head: u64,
    /// First durable offset not yet handed to the members live (≤ `durable_head`).
    live_head: u64,
    next_offset: u64,
    inflight: VecDeque<Inflight>,
    seqs: SeqTable,
    /// Shared-log mode: offsets come from the backend.
    shared: bool,
    arrivals: Arrivals,
}

impl RoomLog {
    /// A log whose durable entries end at `head`, holding `tail` (consecutive, ending at head).
    pub(crate) fn new(head: u64, tail: Vec<StoredEntry>, seqs: &[(ReplicaId, u64)]) -> Self {
        let len = u64::try_from(tail.len()).unwrap_or(u64::MAX);
        let tail_bytes = tail.iter().map(|e| e.payload.len()).sum();
        RoomLog {
            tail_start: head.saturating_sub(len),
            tail: tail.into(),
            tail_bytes,
            durable_head: head,
            live_head: head,
            next_offset: head,
            inflight: VecDeque::new(),
            seqs: SeqTable::durable(seqs),
            shared: false,
            arrivals: Arrivals::default(),
        }
    }

    /// The same log in shared-log mode (offsets assigned by the backend).
    pub(crate) fn into_shared(mut self) -> Self {
        self.shared = true;
        self
    }

    pub(crate) fn durable_head(&self) -> u64 {
        self.durable_head
    }
    /// First durable offset not yet delivered live: entries from here to the durable
    /// head became durable this turn.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn live_head(&self) -> u64 {
        self.live_head
    }
    /// Whether entries became durable and were not yet delivered live.
    pub(crate) fn has_undelivered(&self) -> bool {
        self.live_head < self.durable_head
    }
    /// The entries that became durable since the last call (those still in memory),
    /// oldest first; they count as delivered live from now on.
    pub(crate) fn take_undelivered(&mut self) -> impl Iterator<Item = &StoredEntry> {
        let from = self.live_head.max(self.tail_start);
        self.live_head = self.durable_head;
        let skip = usize::try_from(from - self.tail_start).unwrap_or(usize::MAX);
        self.tail.range(skip.min(self.tail.len())..)
    }
    /// Whether the oldest entry in memory may be dropped from it (it was delivered
    /// live: the entries of the current turn stay until the end of the turn).
    pub(crate) fn can_trim(&self) -> bool {
        self.tail_start < self.live_head
    }
    pub(crate) fn tail_start(&self) -> u64 {
        self.tail_start
    }
    pub(crate) fn tail_len(&self) -> usize {
        self.tail.len()
    }
    pub(crate) fn tail_bytes(&self) -> usize {
        self.tail_bytes
    }
    /// Appends in flight (entries awaiting the backend's verdict in shared mode).
    pub(crate) fn inflight_len(&self) -> usize {
        self.inflight.len() + self.arrivals.in_flight()
    }
    /// Highest durable sequence of `replica` (0 if none).
    pub(crate) fn durable_seq(&self, replica: ReplicaId) -> u64 {
        self.seqs.get(replica).durable
    }

    /// Whether appends of `replica` are in flight (accepted but not yet durable).
    pub(crate) fn replica_pending(&self, replica: ReplicaId) -> bool {
        let s = self.seqs.get(replica);
        s.accepted > s.durable
    }

    /// Classifies `seq` of `replica` under the sequence rule: the hub accepts only
    /// the next sequence (highest accepted + 1); lower ones are duplicates.
    pub(crate) fn dedupe(&self, replica: ReplicaId, seq: u64) -> Dedupe {
        self.seqs.dedupe(replica, seq)
    }

    /// Accepts a new delta at the next offset; returns the entry to append.
    pub(crate) fn reserve(
        &mut self,
        op: OpId,
        replica: ReplicaId,
        seq: u64,
        payload: Bytes,
    ) -> StoredEntry {
        let entry = StoredEntry {
            offset: self.next_offset,
            replica,
            seq,
            payload,
        };
        self.next_offset = self.next_offset.saturating_add(1);
        self.seqs.accept(replica, seq);
        self.inflight.push_back(Inflight {
            op,
            entry: entry.clone(),
            done: false,
        });
        entry
    }

    /// Marks an append durable; the entries that became durable with it wait for
    /// [`RoomLog::take_undelivered`].
    pub(crate) fn complete(&mut self, op: OpId) {
        if let Some(i) = self.inflight.iter_mut().find(|i| i.op == op) {
            i.done = true;
        }
        while self.inflight.front().is_some_and(|i| i.done) {
            let Some(i) = self.inflight.pop_front() else {
                break;
            };
            self.seqs.made_durable(i.entry.replica, i.entry.seq);
            self.durable_head = self.durable_head.saturating_add(1);
            self.tail_bytes = self.tail_bytes.saturating_add(i.entry.payload.len());
            self.tail.push_back(i.entry);
        }
    }

    /// Shared-log mode: accepts a new delta, to be appended without an offset
    /// (the backend assigns it) in append `op`.
    pub(crate) fn reserve_shared(
        &mut self,
        op: OpId,
        replica: ReplicaId,
        seq: u64,
        payload: Bytes,
    ) {
        self.seqs.accept(replica, seq);
        self.arrivals.sent(op, replica, seq, payload);
    }

    /// Shared-log mode: the backend's outcomes for append `op`. Logged entries
    /// become durable in offset order ([`RoomLog::advance`]); the duplicates and gaps
    /// are returned for the hub to answer. `Err`: the outcomes do not match the
    /// append (the room must be reloaded).
    pub(crate) fn settle_shared(
        &mut self,
        op: OpId,
        outcomes: &[AppendOutcome],
    ) -> Result<Vec<Refused>, String> {
        let refused = self.arrivals.settle(op, outcomes, self.durable_head)?;
        for r in &refused {
            let highest_sent = self.arrivals.highest_sent(r.replica).unwrap_or(0);
            let s = self.seqs.entry(r.replica);
            match r.outcome {
                AppendOutcome::Duplicate { acked } => s.durable = s.durable.max(acked),
                AppendOutcome::Gap { expected } => {
                    // The log has up to `expected - 1`: accept again from there.
                    s.durable = s.durable.max(expected.saturating_sub(1));
                    s.accepted = s.durable.max(highest_sent);
                }
                AppendOutcome::Logged { .. } => {}
            }
            s.accepted = s.accepted.max(s.durable);
        }
        self.advance();
        Ok(refused)
    }

    /// Shared-log mode: durable entries from the tail feed or a range read (any
    /// order, repeats ignored); at most `max_waiting` wait above a hole.
    pub(crate) fn arrive(&mut self, entries: Vec<StoredEntry>, max_waiting: usize) {
        for e in entries {
            self.arrivals
                .arrive_bounded(e, self.durable_head, max_waiting);
            self.advance();
        }
    }

    /// Moves the entries that arrived at the durable head into the log, in order.
    fn advance(&mut self) {
        while let Some(e) = self.arrivals.take_at(self.durable_head) {
            self.seqs.made_durable(e.replica, e.seq);
            self.durable_head = self.durable_head.saturating_add(1);
            self.next_offset = self.durable_head;
            self.tail_bytes = self.tail_bytes.saturating_add(e.payload.len());
            self.tail.push_back(e);
        }
    }

    /// Shared-log mode: entries above the durable head arrived but the one at it
    /// did not (read it from storage).
    pub(crate) fn has_hole(&self) -> bool {
        self.arrivals.has_hole(self.durable_head)
    }

    /// Shared-log mode: entries waiting above a hole.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn arrived_len(&self) -> usize {
        self.arrivals.waiting()
    }

    /// Shared-log mode: the range read in flight filling the log, if any.
    pub(crate) fn fill_op(&mut self) -> &mut Option<OpId> {
        &mut self.arrivals.fill
    }

    /// Up to `max_entries` durable entries from `from` (at least one if any), with at
    /// most `max_bytes` of payload unless the first alone is larger.
    pub(crate) fn read(&self, from: u64, max_entries: usize, max_bytes: usize) -> Vec<StoredEntry> {
        let Some(skip) = from.checked_sub(self.tail_start) else {
            return Vec::new();
        };
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for e in self.tail.iter().skip(skip).take(max_entries) {
            bytes = bytes.saturating_add(e.payload.len());
            if !out.is_empty() && bytes > max_bytes {
                break;
            }
            out.push(e.clone());
        }
        out
    }

    /// Removes the oldest durable entry from memory (it stays in storage).
    pub(crate) fn pop_front(&mut self) -> Option<StoredEntry> {
        let e = self.tail.pop_front()?;
        self.tail_start = self.tail_start.saturating_add(1);
        self.tail_bytes = self.tail_bytes.saturating_sub(e.payload.len());
        Some(e)
    }

    /// Checks internal consistency (for `Hub::check_invariants`).
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn check(&self) -> Result<(), String> {
        for (i, e) in self.tail.iter().enumerate() {
            let want = self.tail_start.saturating_add(i as u64);
            if e.offset != want {
                return Err(format!("tail entry {i} has offset {} not {want}", e.offset));
            }
        }
        let len = self.tail.len() as u64;
        if self.tail_start.saturating_add(len) != self.durable_head {
            return Err("tail does not end at the durable head".into());
        }
        if self.live_head > self.durable_head {
            return Err("delivered live beyond the durable head".into());
        }
        let infl = self.inflight.len() as u64;
        if self.shared && infl > 0 {
            return Err("offsets reserved in shared-log mode".into());
        }
        if self.durable_head.saturating_add(infl) != self.next_offset {
            return Err("appends in flight do not end at next_offset".into());
        }
        for e in &self.tail {
            if self.durable_seq(e.replica) < e.seq {
                return Err(format!("entry {} seq above the durable table", e.offset));
            }
        }
        self.seqs.check()
    }
}

/// Breaks the tail's offsets, for a test of the check.
#[cfg(test)]
impl RoomLog {
    pub(crate) fn corrupt_tail_start(&mut self) {
        self.tail_start += 1;
    }
}

#[cfg(test)]
mod tests;
