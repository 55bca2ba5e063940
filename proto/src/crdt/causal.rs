//! Dots and causal contexts: the bookkeeping behind the OR-Set, the
//! multi-value register and the map.
//!
//! A [`Dot`] `(replica, n)` names the `n`-th event of a replica (n ≥ 1). A
//! [`CausalContext`] is a set of dots stored compactly as a version vector
//! (every dot `1..=vv[r]` of replica `r`) plus a *dot cloud* of dots seen out of
//! order; whenever the cloud continues the vector, it is folded into it, so a
//! replica that has received everything keeps exactly one counter per writer,
//! not one entry per operation. Removals are expressed by a dot being in the
//! context but no longer in the store, so no per-element tombstone is kept.
//!
//! Encoding: a dot is `[replica, counter]`; a context is
//! `[[[replica, max], ...], [dot, ...]]`, both lists sorted.
//!
//! Storage: sorted vectors ([`VecMap`], see its module docs for the cost bounds):
//! the version vector has one entry per writing replica and the cloud holds only
//! dots received out of order. A decoded context is sorted once; [`CausalContext::
//! union`], [`CausalContext::extend`] and the compaction are linear merges, so a
//! hostile context or delta costs O(n log n), never a sequence of O(n) inserts.

use serde::{Deserialize, Serialize};

use super::CrdtError;
use crate::vecmap::VecMap;
use crate::wire::ReplicaId;

/// One event of one replica: `(replica, counter)`, counter ≥ 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "(u64, u64)", into = "(u64, u64)")]
pub struct Dot {
    /// The replica that created the event.
    pub replica: ReplicaId,
    /// The replica's event number, starting at 1.
    pub counter: u64,
}

impl TryFrom<(u64, u64)> for Dot {
    type Error = &'static str;
    fn try_from((r, c): (u64, u64)) -> Result<Self, Self::Error> {
        if c == 0 {
            return Err("dot counter 0");
        }
        Ok(Dot {
            replica: ReplicaId(r),
            counter: c,
        })
    }
}

impl From<Dot> for (u64, u64) {
    fn from(d: Dot) -> Self {
        (d.replica.0, d.counter)
    }
}

/// A set of dots: version vector plus dot cloud (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ContextRepr", into = "ContextRepr")]
pub struct CausalContext {
    /// Counters above 0 only.
    vv: VecMap<ReplicaId, u64>,
    /// Dots above their replica's counter + 1 only (after [`CausalContext::compact`]).
    cloud: VecMap<Dot, ()>,
}

type ContextRepr = (Vec<(u64, u64)>, Vec<Dot>);

impl From<ContextRepr> for CausalContext {
    fn from((vv, cloud): ContextRepr) -> Self {
        // Sorted once (a repeated replica keeps its largest counter, a repeated dot
        // is kept once), then compacted in one pass.
        let mut counters = Vec::with_capacity(vv.len());
        for (r, max) in vv {
            if max > 0 {
                counters.push((ReplicaId(r), max));
            }
        }
        let mut dots = Vec::with_capacity(cloud.len());
        for dot in cloud {
            dots.push((dot, ()));
        }
        let mut cc = CausalContext {
            vv: VecMap::from_unsorted(counters, |kept, m| *kept = (*kept).max(m)),
            cloud: VecMap::from_unsorted(dots, |_, ()| {}),
        };
        cc.compact();
        cc
    }
}

impl From<CausalContext> for ContextRepr {
    fn from(cc: CausalContext) -> Self {
        (
            cc.vv.into_iter().map(|(r, m)| (r.0, m)).collect(),
            cc.cloud.into_iter().map(|(d, ())| d).collect(),
        )
    }
}

impl CausalContext {
    /// Whether `dot` is in the set.
    pub fn contains(&self, dot: Dot) -> bool {
        self.vv.get(&dot.replica).is_some_and(|m| dot.counter <= *m)
            || self.cloud.contains_key(&dot)
    }

    /// The largest counter of `replica` in the set (0 if none).
    pub fn max(&self, replica: ReplicaId) -> u64 {
        let vv = self.vv.get(&replica).copied().unwrap_or(0);
        let cloud = self
            .cloud
            .last_at_most(&Dot {
                replica,
                counter: u64::MAX,
            })
            .filter(|d| d.replica == replica)
            .map_or(0, |d| d.counter);
        vv.max(cloud)
    }

    /// The next unused dot of `replica`.
    pub fn next_dot(&self, replica: ReplicaId) -> Result<Dot, CrdtError> {
        let counter = self
            .max(replica)
            .checked_add(1)
            .ok_or(CrdtError::Overflow("dot counter"))?;
        Ok(Dot { replica, counter })
    }

    /// Adds one dot (a local operation: an O(n) insert, n the writers seen).
    pub fn insert(&mut self, dot: Dot) {
        if !self.contains(dot) {
            self.cloud.insert(dot, ());
            self.compact();
        }
    }

    /// Adds many dots (in any order): sorted once, merged and compacted once.
    pub fn extend(&mut self, dots: impl IntoIterator<Item = Dot>) {
        let mut new = Vec::new();
        for dot in dots {
            if !self.contains(dot) {
                new.push((dot, ()));
            }
        }
        if !new.is_empty() {
            let new = VecMap::from_unsorted(new, |_, ()| {});
            self.cloud.join(&new, |_| true, |_, _| false);
            self.compact();
        }
    }

    /// Adds every dot of `other`; returns whether `self` changed. Linear in both
    /// sides' sizes.
    pub fn union(&mut self, other: &CausalContext) -> bool {
        let mut changed = self.vv.join(
            &other.vv,
            |_| true,
            |mine, theirs| {
                let more = *theirs > *mine;
                *mine = (*mine).max(*theirs);
                more
            },
        );
        // `other`'s cloud dots are above its own vector, so "not in `self`" is
        // "not in `self`'s cloud and above `self`'s (joined) vector".
        let vv = &self.vv;
        changed |= self.cloud.join(
            &other.cloud,
            |d| vv.get(&d.replica).is_none_or(|m| d.counter > *m),
            |_, _| false,
        );
        if changed {
            self.compact();
        }
        changed
    }

    /// A context holding dots `1..=max` of `replica` (none if `max` is 0).
    pub(crate) fn up_to(replica: ReplicaId, max: u64) -> Self {
        let mut cc = CausalContext::default();
        if max > 0 {
            cc.vv.insert(replica, max);
        }
        cc
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.vv.is_empty() && self.cloud.is_empty()
    }

    /// Number of stored entries (vector entries plus cloud dots): the size cost.
    pub fn stored_len(&self) -> usize {
        self.vv.len() + self.cloud.len()
    }

    /// Number of version-vector entries.
    pub(crate) fn vv_len(&self) -> usize {
        self.vv.len()
    }

    /// The version vector, by replica.
    pub(crate) fn vv_iter(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.vv.iter().map(|(r, m)| (*r, *m))
    }

    /// Number of cloud dots.
    pub(crate) fn cloud_len(&self) -> usize {
        self.cloud.len()
    }

    /// The dot cloud, in order.
    pub(crate) fn cloud_iter(&self) -> impl Iterator<Item = &Dot> {
        self.cloud.keys()
    }

    /// Folds cloud dots that continue (or are covered by) the vector into it: one
    /// pass over the cloud (in order: by replica, then counter) and the vector.
    fn compact(&mut self) {
        if self.cloud.is_empty() {
            return;
        }
        let mut vv_in = core::mem::take(&mut self.vv).into_iter().peekable();
        let mut vv = Vec::with_capacity(vv_in.len());
        let mut cloud = Vec::new();
        for (d, ()) in core::mem::take(&mut self.cloud) {
            while let Some(e) = vv_in.next_if(|(r, _)| *r < d.replica) {
                vv.push(e);
            }
            if vv.last().is_none_or(|(r, _)| *r != d.replica) {
                let max = vv_in
                    .next_if(|(r, _)| *r == d.replica)
                    .map_or(0, |(_, m)| m);
                vv.push((d.replica, max));
            }
            let Some((_, max)) = vv.last_mut() else {
                continue;
            };
            if d.counter <= *max {
                continue;
            }
            if Some(d.counter) == max.checked_add(1) {
                *max = d.counter;
            } else {
                cloud.push((d, ()));
            }
        }
        vv.extend(vv_in);
        vv.retain(|(_, m)| *m > 0);
        // Both ascending already: `from_unsorted` only checks that.
        self.vv = VecMap::from_unsorted(vv, |_, _| {});
        self.cloud = VecMap::from_unsorted(cloud, |_, ()| {});
    }
}

/// Joins the dot-indexed entries `other` (under context `other_cc`) into `mine`
/// (under `my_cc`, not yet updated): an entry survives if both sides have it
/// (values joined by `join`), or if one side has it and the other has not seen
/// its dot. Returns whether `mine` changed.
/// Linear in both sides (plus a binary search per entry).
pub(crate) fn join_dots<V: Clone>(
    mine: &mut VecMap<Dot, V>,
    my_cc: &CausalContext,
    other: &VecMap<Dot, V>,
    other_cc: &CausalContext,
    join: impl FnMut(&mut V, &V) -> bool,
) -> bool {
    let before = mine.len();
    mine.retain(|dot, _| other.contains_key(dot) || !other_cc.contains(*dot));
    let removed = before != mine.len();
    let joined = mine.join(other, |dot| !my_cc.contains(*dot), join);
    removed || joined
}

/// Joins keyed dot stores: [`join_dots`] for every key of either side; keys
/// left without entries are dropped. Returns whether `mine` changed. Linear in
/// both sides (plus a binary search per key): the keys of `mine` are joined in
/// place, the keys only `other` has are added by one merge ([`VecMap::absorb`]).
pub(crate) fn join_keyed<K: Ord + Clone, V: Clone>(
    mine: &mut VecMap<K, VecMap<Dot, V>>,
    my_cc: &CausalContext,
    other: &VecMap<K, VecMap<Dot, V>>,
    other_cc: &CausalContext,
    mut join: impl FnMut(&mut V, &V) -> bool,
) -> bool {
    let empty = VecMap::new();
    let mut changed = false;
    for (k, entries) in mine.iter_mut() {
        let theirs = other.get(k).unwrap_or(&empty);
        changed |= join_dots(entries, my_cc, theirs, other_cc, &mut join);
    }
    // In `other`'s order: ascending.
    let mut added = Vec::new();
    for (k, theirs) in other {
        if !mine.contains_key(k) {
            let mut entries = VecMap::new();
            if join_dots(&mut entries, my_cc, theirs, other_cc, &mut join) {
                added.push((k.clone(), entries));
            }
        }
    }
    if !added.is_empty() {
        changed = true;
        mine.absorb(VecMap::from_unsorted(added, |_, _| {}));
    }
    mine.retain(|_, entries| !entries.is_empty());
    changed
}
