//! [`MvRegister`]: a multi-value register, wire tag `"mvreg"`.
//!
//! A write replaces every value it has seen; concurrent writes are all kept, so
//! the application sees the conflict and can resolve it with a new write.
//! Each value is tagged with the [`Dot`] of its write; a causal context records
//! overwritten dots, so no tombstones are kept.
//!
//! Size: one value per concurrent writer plus the causal context (one counter
//! per writer). Encoding: `[[[replica, counter, value], ...], context]`.
//!
//! The values are a sorted vector by dot ([`VecMap`]): one entry per concurrent
//! writer, so a local write's insert is O(writers); a decoded register is sorted
//! once and a merge is a linear join (see `vecmap`'s cost bounds), so a hostile
//! payload of many entries in any order costs O(n log n).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::causal::{CausalContext, Dot, join_dots};
use super::cbor;
use super::{CrdtError, CrdtValue, DeltaCrdt, OpContext};
use crate::vecmap::VecMap;
use crate::wire::ReplicaId;

/// A multi-value register holding `T`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MvRegister<T> {
    entries: VecMap<Dot, T>,
    cc: CausalContext,
}

impl<T> Default for MvRegister<T> {
    fn default() -> Self {
        MvRegister {
            entries: VecMap::new(),
            cc: CausalContext::default(),
        }
    }
}

/// Operations on an [`MvRegister`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MvOp<T> {
    /// Replaces every value seen with this one.
    Set(T),
    /// Removes every value seen.
    Clear,
}

impl<T: CrdtValue> MvRegister<T> {
    /// The current values (more than one after concurrent writes), ordered by
    /// their writes' dots.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.entries.values()
    }

    /// Whether there are concurrent values.
    pub fn is_conflicted(&self) -> bool {
        self.entries.len() > 1
    }

    /// An empty value whose context already holds `replica`'s dots `1..=max`.
    pub(crate) fn seeded(replica: ReplicaId, max: u64) -> Self {
        MvRegister {
            cc: CausalContext::up_to(replica, max),
            ..Self::default()
        }
    }

    /// The values by dot.
    pub(crate) fn entry_map(&self) -> &VecMap<Dot, T> {
        &self.entries
    }

    /// The register of decoded entries `(replica, counter, value)` and context: a
    /// repeated dot keeps the largest value; the context gains the entries' dots.
    pub(crate) fn from_repr(
        entries: impl IntoIterator<Item = (u64, u64, T)>,
        mut cc: CausalContext,
    ) -> Result<Self, &'static str> {
        let mut list = Vec::new();
        for (r, c, v) in entries {
            list.push((Dot::try_from((r, c))?, v));
        }
        let map = VecMap::from_unsorted(list, |old, v| {
            if v > *old {
                *old = v;
            }
        });
        cc.extend(map.keys().copied());
        Ok(MvRegister { entries: map, cc })
    }

    /// The causal context (size cost: [`CausalContext::stored_len`]).
    pub fn context(&self) -> &CausalContext {
        &self.cc
    }
}

impl<T: CrdtValue> DeltaCrdt for MvRegister<T> {
    const TAG: &'static str = "mvreg";
    type Op = MvOp<T>;

    fn prepare(&self, op: MvOp<T>, ctx: &OpContext) -> Result<Self, CrdtError> {
        let mut delta = MvRegister::default();
        delta.cc.extend(self.entries.keys().copied());
        if let MvOp::Set(value) = op {
            let dot = self.cc.next_dot(ctx.replica)?;
            delta.cc.insert(dot);
            delta.entries.insert(dot, value);
        }
        Ok(delta)
    }

    fn merge(&mut self, other: &Self) -> bool {
        let store = join_dots(
            &mut self.entries,
            &self.cc,
            &other.entries,
            &other.cc,
            |a, b| {
                if b > a {
                    a.clone_from(b);
                    true
                } else {
                    false
                }
            },
        );
        let cc = self.cc.union(&other.cc);
        store || cc
    }

    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        cbor::encode(Self::TAG, self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, CrdtError> {
        cbor::decode(Self::TAG, bytes)
    }
}

impl<T: CrdtValue> Serialize for MvRegister<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries: Vec<(u64, u64, &T)> = self
            .entries
            .iter()
            .map(|(d, v)| (d.replica.0, d.counter, v))
            .collect();
        (entries, &self.cc).serialize(s)
    }
}

impl<'de, T: CrdtValue> Deserialize<'de> for MvRegister<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (entries, cc) = <(Vec<(u64, u64, T)>, CausalContext)>::deserialize(d)?;
        MvRegister::from_repr(entries, cc).map_err(serde::de::Error::custom)
    }
}
