//! [`GCounter`]: a grow-only counter, wire tag `"gcounter"`.
//!
//! State: one count per replica that ever incremented; the value is their sum.
//! A delta carries only the incrementing replica's new count. Size: one entry
//! per writing replica. Encoding: `[[replica, count], ...]` sorted by replica.
//!
//! The counts are a sorted vector by replica ([`VecMap`]): one entry per writing
//! replica, so a local increment's insert is O(replicas); a decoded counter is
//! sorted once and a merge is a linear join (see `vecmap`'s cost bounds).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::cbor;
use super::{CrdtError, DeltaCrdt, OpContext};
use crate::vecmap::VecMap;
use crate::wire::ReplicaId;

/// A grow-only counter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GCounter {
    counts: VecMap<ReplicaId, u64>,
}

/// Operations on a [`GCounter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GCounterOp {
    /// Adds this amount.
    Increment(u64),
}

impl GCounter {
    /// The counter's value (saturating at `u64::MAX`).
    pub fn value(&self) -> u64 {
        self.counts.values().fold(0u64, |a, c| a.saturating_add(*c))
    }

    /// The count contributed by `replica`.
    pub fn count_of(&self, replica: ReplicaId) -> u64 {
        self.counts.get(&replica).copied().unwrap_or(0)
    }

    /// Number of replicas with an entry (the size cost).
    pub fn replicas(&self) -> usize {
        self.counts.len()
    }

    /// The entries `(replica, count)`, by replica.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.counts.iter().map(|(r, c)| (*r, *c))
    }

    /// The counter of decoded entries `(replica, count)`: zero counts dropped, the
    /// largest count of a repeated replica kept.
    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (u64, u64)>) -> Self {
        let mut counts = Vec::new();
        for (r, c) in pairs {
            if c > 0 {
                counts.push((ReplicaId(r), c));
            }
        }
        GCounter {
            counts: VecMap::from_unsorted(counts, |kept, c| *kept = (*kept).max(c)),
        }
    }

    pub(crate) fn increment_delta(&self, by: u64, replica: ReplicaId) -> Result<Self, CrdtError> {
        let next = self
            .count_of(replica)
            .checked_add(by)
            .ok_or(CrdtError::Overflow("counter"))?;
        let mut delta = GCounter::default();
        if next > 0 {
            delta.counts.insert(replica, next);
        }
        Ok(delta)
    }
}

impl Serialize for GCounter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.counts.iter().map(|(r, c)| (r.0, *c)))
    }
}

impl<'de> Deserialize<'de> for GCounter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = Vec::<(u64, u64)>::deserialize(d)?;
        Ok(GCounter::from_pairs(repr))
    }
}

impl DeltaCrdt for GCounter {
    const TAG: &'static str = "gcounter";
    type Op = GCounterOp;

    fn prepare(&self, op: GCounterOp, ctx: &OpContext) -> Result<Self, CrdtError> {
        let GCounterOp::Increment(by) = op;
        self.increment_delta(by, ctx.replica)
    }

    fn merge(&mut self, other: &Self) -> bool {
        self.counts.join(
            &other.counts,
            |_| true,
            |mine, theirs| {
                let more = *theirs > *mine;
                *mine = (*mine).max(*theirs);
                more
            },
        )
    }

    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        cbor::encode(Self::TAG, self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, CrdtError> {
        cbor::decode(Self::TAG, bytes)
    }
}
