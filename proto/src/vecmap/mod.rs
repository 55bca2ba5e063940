//! [`VecMap`] and [`VecSet`]: ordered maps and sets as sorted vectors, with the
//! subset of the `BTreeMap` / `BTreeSet` API their users need: on the client side
//! the rooms of one client, the peers of one room, the rooms of one replica and the
//! registry's types; in the CRDTs the entries that come one per writer — the dot
//! entries of one map key, one set element or one multi-value register (one per
//! concurrent writer), the causal contexts (one version-vector entry per writing
//! replica, plus the dots received out of order) and the grow-only counters (one
//! entry per writing replica) — and the elements of a set and the keys of a map.
//!
//! Why not `BTreeMap`: each key/value pair type instantiates the B-tree's node code
//! (insert, split, merge, steal, remove, drop, clone), several kilobytes per type
//! in the browser bundle; a sorted vector is a binary search and a `Vec` insert or
//! remove. Iteration is in key order, as with the B-tree.
//!
//! # Cost bounds
//!
//! A single [`VecMap::insert`] moves the entries after the new key: O(n). That is
//! the cost of a local operation (one new dot, one new counter entry) on a
//! collection that holds one entry per concurrent writer or writing replica, so n
//! stays the number of writers. For a set's elements and a map's keys, n can be
//! large, but a local operation there merges its delta into the state, and that
//! join walks every element or key anyway (to drop what the delta's context
//! removes): the operation was O(n) with a B-tree too. Everything built from what
//! a peer sends — decoded states and deltas — and every join of two collections is
//! O(n log n) or linear, never a sequence of inserts:
//!
//! * [`VecMap::from_unsorted`] (decoding) takes the entries in any order, checks
//!   whether they are already strictly ascending (the canonical encoding is) and
//!   otherwise sorts them once, by one non-generic index heapsort ([`sort_index`])
//!   for every key type; repeated keys are resolved in input order by a caller's
//!   function, as inserting them one by one into a `BTreeMap` would.
//! * [`VecMap::join`] (merging two states) joins the common keys in place and,
//!   only if the other side has keys this one lacks, rebuilds the vector as one
//!   linear merge of the two sorted vectors.
//! * [`VecMap::absorb`] adds a map of new keys by one linear merge.
//!
//! Filled element by element in descending order, a sorted vector would cost O(n²)
//! moves — a hostile 1 MiB payload of ~170k entries, hundreds of GB of `memmove` —
//! so nothing built from input does that (`crdt/tests/order.rs` decodes large
//! payloads in every order; the bench `crdt_decode` times one).

use core::borrow::Borrow;
use core::fmt;

mod set;
mod sort;

pub(crate) use set::VecSet;
use sort::sort_index;

/// An ordered map as a vector sorted by key (see the module docs). Compared as
/// the sequence of its entries, as a `BTreeMap` is.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// An empty map.
    pub(crate) fn new() -> Self {
        VecMap::default()
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    pub(crate) fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    pub(crate) fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Inserts or replaces; the old value, if any (the key is not replaced, as in
    /// `BTreeMap::insert`).
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|(_, v)| core::mem::replace(v, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// The value under `key`, inserted by `make` if absent.
    pub(crate) fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        // `i` is in bounds: found, or just inserted there.
        let len = self.entries.len();
        &mut self.entries[i.min(len - 1)].1
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub(crate) fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub(crate) fn keys(&self) -> impl DoubleEndedIterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub(crate) fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Keeps the entries for which `keep` says so, in order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// The largest key not above `bound`.
    pub(crate) fn last_at_most(&self, bound: &K) -> Option<&K> {
        let end = match self.find(bound) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        self.entries[..end].last().map(|(k, _)| k)
    }

    /// Joins `other` into `self`: a key of both gets `join(mine, theirs)` (whether
    /// that changed it), a key only `other` has is copied if `admit` says so. Linear
    /// (see the module docs): the common keys are joined in place, and only when
    /// keys are to be added is the vector rebuilt, as one merge of the two sorted
    /// vectors. `admit` must give the same answer for a key every time it is asked.
    /// Returns whether `self` changed.
    pub(crate) fn join(
        &mut self,
        other: &Self,
        mut admit: impl FnMut(&K) -> bool,
        mut join: impl FnMut(&mut V, &V) -> bool,
    ) -> bool
    where
        K: Clone,
        V: Clone,
    {
        // One instance per key/value type, not per pair of closures.
        self.join_dyn(other, &mut admit, &mut join)
    }

    fn join_dyn(
        &mut self,
        other: &Self,
        admit: &mut dyn FnMut(&K) -> bool,
        join: &mut dyn FnMut(&mut V, &V) -> bool,
    ) -> bool
    where
        K: Clone,
        V: Clone,
    {
        let mut changed = false;
        let mut added = 0;
        for (k, v) in &other.entries {
            match self.find(k) {
                Ok(i) => changed |= join(&mut self.entries[i].1, v),
                Err(_) => added += usize::from(admit(k)),
            }
        }
        if added == 0 {
            return changed;
        }
        let mine = core::mem::take(&mut self.entries);
        let mut out = Vec::with_capacity(mine.len() + added);
        let mut theirs = other.entries.iter().peekable();
        for (k, v) in mine {
            while let Some((ok, ov)) = theirs.next_if(|(ok, _)| *ok < k) {
                if admit(ok) {
                    out.push((ok.clone(), ov.clone()));
                }
            }
            // Joined above.
            theirs.next_if(|(ok, _)| *ok == k);
            out.push((k, v));
        }
        for (ok, ov) in theirs {
            if admit(ok) {
                out.push((ok.clone(), ov.clone()));
            }
        }
        self.entries = out;
        true
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// The map of `entries` given in any order: O(n) when they are strictly
    /// ascending already (the canonical encoding), else one O(n log n) sort
    /// ([`sort_index`]). A repeated key keeps its first entry, and each later entry
    /// of that key is folded into it by `dup(kept, later)`, in input order — what
    /// inserting them one by one into a `BTreeMap` with that rule gives.
    pub(crate) fn from_unsorted(entries: Vec<(K, V)>, mut dup: impl FnMut(&mut V, V)) -> Self {
        // One instance per key/value type, not per closure.
        Self::from_unsorted_dyn(entries, &mut dup)
    }

    fn from_unsorted_dyn(entries: Vec<(K, V)>, dup: &mut dyn FnMut(&mut V, V)) -> Self {
        if entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return VecMap { entries };
        }
        let mut order: Vec<usize> = (0..entries.len()).collect();
        // By key, then by position: equal keys stay in input order.
        sort_index(&mut order, &|a, b| {
            entries[a].0.cmp(&entries[b].0).then(a.cmp(&b)).is_lt()
        });
        let mut slots: Vec<Option<(K, V)>> = Vec::with_capacity(entries.len());
        for e in entries {
            slots.push(Some(e));
        }
        let mut out: Vec<(K, V)> = Vec::with_capacity(slots.len());
        for i in order {
            if let Some((k, v)) = slots.get_mut(i).and_then(Option::take) {
                match out.last_mut() {
                    Some((last, kept)) if *last == k => dup(kept, v),
                    _ => out.push((k, v)),
                }
            }
        }
        VecMap { entries: out }
    }

    /// Adds the entries of `other`, whose keys `self` does not hold: one linear
    /// merge of the two sorted vectors.
    pub(crate) fn absorb(&mut self, other: Self) {
        if other.entries.is_empty() {
            return;
        }
        if self.entries.is_empty() {
            *self = other;
            return;
        }
        let mine = core::mem::take(&mut self.entries);
        let mut out = Vec::with_capacity(mine.len() + other.entries.len());
        let mut theirs = other.entries.into_iter().peekable();
        for (k, v) in mine {
            while let Some(e) = theirs.next_if(|(ok, _)| *ok < k) {
                out.push(e);
            }
            out.push((k, v));
        }
        out.extend(theirs);
        self.entries = out;
    }

    /// Appends an entry without keeping the order: for building a map from input in
    /// several pieces (the entries of one key repeated in a payload). The map must
    /// go through [`VecMap::restore_order`] before any other use.
    pub(crate) fn push_unordered(&mut self, key: K, value: V) {
        self.entries.push((key, value));
    }

    /// Sorts what [`VecMap::push_unordered`] appended, as
    /// [`VecMap::from_unsorted`] (`dup` for repeated keys).
    pub(crate) fn restore_order(&mut self, dup: impl FnMut(&mut V, V)) {
        let entries = core::mem::take(&mut self.entries);
        *self = VecMap::from_unsorted(entries, dup);
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter =
        core::iter::Map<core::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter =
        core::iter::Map<core::slice::IterMut<'a, (K, V)>, fn(&'a mut (K, V)) -> (&'a K, &'a mut V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
}

#[cfg(test)]
mod tests;
