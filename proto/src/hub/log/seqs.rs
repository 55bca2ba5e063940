//! The per-replica deduplication table of one room: for each replica, the highest
//! sequence the hub accepted (appends in flight included) and the highest that is
//! durable. It decides what a `ClientDelta` is under the sequence rule
//! (docs/PROTOCOL.md §8.1).

use std::collections::BTreeMap;

use crate::wire::ReplicaId;

/// Highest sequence of one replica: accepted (including in flight) and durable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeqState {
    pub(crate) accepted: u64,
    pub(crate) durable: u64,
}

/// How a sequence number relates to what the room already has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dedupe {
    /// Not seen: append it.
    New,
    /// Already durable; re-acknowledge with this cumulative sequence.
    Durable(u64),
    /// Already accepted, append in flight: the ack follows when it is durable.
    InFlight,
    /// Beyond the next expected sequence (`expected`): an earlier one is missing.
    Gap {
        /// The only sequence the hub accepts next (highest accepted + 1).
        expected: u64,
    },
}

/// The table: replicas that never wrote to the room are absent (all zero).
#[derive(Debug, Default)]
pub(crate) struct SeqTable(BTreeMap<ReplicaId, SeqState>);

impl SeqTable {
    /// A table whose sequences are all durable (a room loaded from storage).
    pub(crate) fn durable(seqs: &[(ReplicaId, u64)]) -> Self {
        let state = |s| SeqState {
            accepted: s,
            durable: s,
        };
        SeqTable(seqs.iter().map(|&(r, s)| (r, state(s))).collect())
    }

    /// The state of `replica` (zero if it never wrote).
    pub(crate) fn get(&self, replica: ReplicaId) -> SeqState {
        self.0.get(&replica).copied().unwrap_or_default()
    }

    /// Mutable state of `replica`, created at zero.
    pub(crate) fn entry(&mut self, replica: ReplicaId) -> &mut SeqState {
        self.0.entry(replica).or_default()
    }

    /// Classifies `seq` of `replica` under the sequence rule: the hub accepts only
    /// the next sequence (highest accepted + 1); lower ones are duplicates.
    pub(crate) fn dedupe(&self, replica: ReplicaId, seq: u64) -> Dedupe {
        let s = self.get(replica);
        if seq <= s.durable {
            Dedupe::Durable(s.durable)
        } else if seq <= s.accepted {
            Dedupe::InFlight
        } else if seq == s.accepted.saturating_add(1) {
            Dedupe::New
        } else {
            Dedupe::Gap {
                expected: s.accepted.saturating_add(1),
            }
        }
    }

    /// `seq` of `replica` was accepted (its append is in flight).
    pub(crate) fn accept(&mut self, replica: ReplicaId, seq: u64) {
        let s = self.entry(replica);
        s.accepted = s.accepted.max(seq);
    }

    /// `seq` of `replica` became durable (accepted by this hub or another node).
    pub(crate) fn made_durable(&mut self, replica: ReplicaId, seq: u64) {
        let s = self.entry(replica);
        s.durable = s.durable.max(seq);
        s.accepted = s.accepted.max(s.durable);
    }

    /// Checks that no replica is durable beyond what was accepted.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn check(&self) -> Result<(), String> {
        match self.0.iter().find(|(_, s)| s.durable > s.accepted) {
            Some((r, _)) => Err(format!("replica {r:?}: durable above accepted")),
            None => Ok(()),
        }
    }
}
