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

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::CrdtError;
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
    vv: BTreeMap<ReplicaId, u64>,
    cloud: BTreeSet<Dot>,
}

type ContextRepr = (Vec<(u64, u64)>, Vec<Dot>);

impl From<ContextRepr> for CausalContext {
    fn from((vv, cloud): ContextRepr) -> Self {
        let mut cc = CausalContext::default();
        for (r, max) in vv {
            if max > 0 {
                let e = cc.vv.entry(ReplicaId(r)).or_insert(0);
                *e = (*e).max(max);
            }
        }
        // Inserted one by one: `collect` would bring a sort routine for dots into
        // the browser bundle.
        for dot in cloud {
            cc.cloud.insert(dot);
        }
        cc.compact();
        cc
    }
}

impl From<CausalContext> for ContextRepr {
    fn from(cc: CausalContext) -> Self {
        (
            cc.vv.into_iter().map(|(r, m)| (r.0, m)).collect(),
            cc.cloud.into_iter().collect(),
        )
    }
}

impl CausalContext {
    /// Whether `dot` is in the set.
    pub fn contains(&self, dot: Dot) -> bool {
        self.vv.get(&dot.replica).is_some_and(|m| dot.counter <= *m) || self.cloud.contains(&dot)
    }

    /// The largest counter of `replica` in the set (0 if none).
    pub fn max(&self, replica: ReplicaId) -> u64 {
        let vv = self.vv.get(&replica).copied().unwrap_or(0);
        let cloud = self
            .cloud
            .range(
                Dot {
                    replica,
                    counter: 1,
                }..=Dot {
                    replica,
                    counter: u64::MAX,
                },
            )
            .next_back()
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

    /// Adds one dot.
    pub fn insert(&mut self, dot: Dot) {
        self.extend([dot]);
    }

    /// Adds many dots, compacting once.
    pub fn extend(&mut self, dots: impl IntoIterator<Item = Dot>) {
        let mut added = false;
        for dot in dots {
            if !self.contains(dot) {
                added |= self.cloud.insert(dot);
            }
        }
        if added {
            self.compact();
        }
    }

    /// Adds every dot of `other`; returns whether `self` changed.
    pub fn union(&mut self, other: &CausalContext) -> bool {
        let mut changed = false;
        for (r, m) in &other.vv {
            if *m > self.vv.get(r).copied().unwrap_or(0) {
                self.vv.insert(*r, *m);
                changed = true;
            }
        }
        for d in &other.cloud {
            if !self.contains(*d) {
                self.cloud.insert(*d);
                changed = true;
            }
        }
        self.compact();
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
        self.cloud.iter()
    }

    /// Folds cloud dots that continue (or are covered by) the vector into it.
    fn compact(&mut self) {
        let cloud = core::mem::take(&mut self.cloud);
        for d in cloud {
            let max = self.vv.get(&d.replica).copied().unwrap_or(0);
            if d.counter <= max {
                continue;
            }
            if Some(d.counter) == max.checked_add(1) {
                self.vv.insert(d.replica, d.counter);
            } else {
                self.cloud.insert(d);
            }
        }
    }
}

/// Joins the dot-indexed entries `other` (under context `other_cc`) into `mine`
/// (under `my_cc`, not yet updated): an entry survives if both sides have it
/// (values joined by `join`), or if one side has it and the other has not seen
/// its dot. Returns whether `mine` changed.
pub(crate) fn join_dots<V: Clone>(
    mine: &mut BTreeMap<Dot, V>,
    my_cc: &CausalContext,
    other: &BTreeMap<Dot, V>,
    other_cc: &CausalContext,
    mut join: impl FnMut(&mut V, &V) -> bool,
) -> bool {
    let before = mine.len();
    mine.retain(|dot, _| other.contains_key(dot) || !other_cc.contains(*dot));
    let mut changed = before != mine.len();
    for (dot, v) in other {
        if let Some(m) = mine.get_mut(dot) {
            changed |= join(m, v);
        } else if !my_cc.contains(*dot) {
            mine.insert(*dot, v.clone());
            changed = true;
        }
    }
    changed
}

/// Joins keyed dot stores: [`join_dots`] for every key of either side; keys
/// left without entries are dropped. Returns whether `mine` changed.
pub(crate) fn join_keyed<K: Ord + Clone, V: Clone>(
    mine: &mut BTreeMap<K, BTreeMap<Dot, V>>,
    my_cc: &CausalContext,
    other: &BTreeMap<K, BTreeMap<Dot, V>>,
    other_cc: &CausalContext,
    mut join: impl FnMut(&mut V, &V) -> bool,
) -> bool {
    let empty = BTreeMap::new();
    let mut changed = false;
    for (k, entries) in mine.iter_mut() {
        let theirs = other.get(k).unwrap_or(&empty);
        changed |= join_dots(entries, my_cc, theirs, other_cc, &mut join);
    }
    for (k, theirs) in other {
        if !mine.contains_key(k) {
            let mut entries = BTreeMap::new();
            if join_dots(&mut entries, my_cc, theirs, other_cc, &mut join) {
                mine.insert(k.clone(), entries);
                changed = true;
            }
        }
    }
    mine.retain(|_, entries| !entries.is_empty());
    changed
}
