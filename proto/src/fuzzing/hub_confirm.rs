//! [`Confirmations`]: what the hub fuzz body's storage has told the hub is durable.
//! Storage executes actions at once and only their completions are delayed, so a
//! check against storage alone would miss an ack sent after the write but before the
//! hub heard of it; acks are also checked against this.

use std::collections::BTreeMap;

use crate::hub::{AppendOutcome, OpId, StorageAction, StorageCompletion};
use crate::wire::{ReplicaId, RoomId};

/// Per room and replica, the highest sequence a successful completion delivered to
/// the hub confirmed (an append's, or a load's record).
#[derive(Default)]
pub(crate) struct Confirmations {
    /// What each executed append or load confirms once its completion arrives.
    pending: BTreeMap<OpId, (RoomId, Vec<(ReplicaId, u64)>)>,
    confirmed: BTreeMap<(RoomId, ReplicaId), u64>,
}

impl Confirmations {
    /// An action is executed; remember what its completion would confirm.
    pub(crate) fn executed(&mut self, action: &StorageAction) {
        match action {
            StorageAction::Append {
                op, room, entries, ..
            } => {
                let seqs = entries.iter().map(|e| (e.replica, e.seq)).collect();
                self.pending.insert(*op, (room.clone(), seqs));
            }
            StorageAction::AppendShared {
                op, room, entries, ..
            } => {
                let seqs = entries.iter().map(|e| (e.replica, e.seq)).collect();
                self.pending.insert(*op, (room.clone(), seqs));
            }
            // Shared-log mode: the hub fills holes and catches up for joins with
            // range reads; what they return is stored, so it confirms its entries.
            StorageAction::LoadRange { op, room, .. } => {
                self.pending.insert(*op, (room.clone(), Vec::new()));
            }
            StorageAction::Load { op, room, .. } => {
                self.pending.insert(*op, (room.clone(), Vec::new()));
            }
            _ => {}
        }
    }

    /// A completion is delivered to the hub: a successful one confirms its entries.
    pub(crate) fn delivered(&mut self, done: &StorageCompletion) {
        let Some((room, seqs)) = self.pending.remove(&done.op()) else {
            return;
        };
        let durable = match done {
            StorageCompletion::Appended { result: Ok(()), .. } => seqs,
            // Logged, or stored before (`acked` is durable): both confirmed.
            StorageCompletion::AppendedShared { result: Ok(o), .. } => seqs
                .into_iter()
                .zip(o)
                .filter_map(|((r, s), o)| match o {
                    AppendOutcome::Logged { .. } => Some((r, s)),
                    AppendOutcome::Duplicate { acked } => Some((r, *acked)),
                    AppendOutcome::Gap { .. } => None,
                })
                .collect(),
            StorageCompletion::Loaded {
                result: Ok(Some(rec)),
                ..
            } => rec.seqs.clone(),
            StorageCompletion::Range { result: Ok(e), .. } => {
                e.iter().map(|e| (e.replica, e.seq)).collect()
            }
            _ => return,
        };
        for (replica, seq) in durable {
            let slot = self.confirmed.entry((room.clone(), replica)).or_insert(0);
            *slot = (*slot).max(seq);
        }
    }

    /// Stored entries of `room` handed to the hub directly (the shared log's tail
    /// feed): the hub may count them as durable.
    pub(crate) fn fed(&mut self, room: &RoomId, entries: &[crate::hub::StoredEntry]) {
        for e in entries {
            let slot = self.confirmed.entry((room.clone(), e.replica)).or_insert(0);
            *slot = (*slot).max(e.seq);
        }
    }

    /// The hub crashed: its completions in flight are lost, it knows nothing.
    pub(crate) fn clear(&mut self) {
        self.pending.clear();
        self.confirmed.clear();
    }

    /// The highest sequence of `replica` in `room` the hub was told is durable.
    pub(crate) fn told(&self, room: &RoomId, replica: ReplicaId) -> u64 {
        self.confirmed
            .get(&(room.clone(), replica))
            .copied()
            .unwrap_or(0)
    }
}
