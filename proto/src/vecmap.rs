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

/// Sorts the positions `order` (a permutation of `0..n`) so that `less(a, b)`
/// holds for each neighbouring pair `a` before `b`. Not generic: every key type of
/// [`VecMap::from_unsorted`] shares this one routine, with its comparison behind a
/// `dyn` reference.
///
/// A heapsort: O(n log n) comparisons and swaps on every input (no quadratic case
/// a hostile order could hit), no recursion, no allocation, and a fraction of the
/// code of the standard library's sorts in the browser bundle (`sort_unstable`
/// alone: 2.9 KB of wasm); checked against `sort` by a property test.
#[inline(never)]
fn sort_index(order: &mut [usize], less: &dyn Fn(usize, usize) -> bool) {
    let n = order.len();
    for root in (0..n / 2).rev() {
        sift_down(order, less, root, n);
    }
    for end in (1..n).rev() {
        order.swap(0, end);
        sift_down(order, less, 0, end);
    }
}

/// Moves `order[root]` down the max-heap `order[..end]` to its place.
fn sift_down(
    order: &mut [usize],
    less: &dyn Fn(usize, usize) -> bool,
    mut root: usize,
    end: usize,
) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(order[child], order[child + 1]) {
            child += 1;
        }
        if !less(order[root], order[child]) {
            return;
        }
        order.swap(root, child);
        root = child;
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

/// An ordered set as a sorted vector (see the module docs).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct VecSet<K> {
    items: Vec<K>,
}

impl<K> Default for VecSet<K> {
    fn default() -> Self {
        VecSet { items: Vec::new() }
    }
}

impl<K: fmt::Debug> fmt::Debug for VecSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.items.iter()).finish()
    }
}

impl<K: Ord> VecSet<K> {
    /// An empty set.
    pub(crate) fn new() -> Self {
        VecSet::default()
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.items.binary_search_by(|k| k.borrow().cmp(key))
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn contains<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Adds `key`; whether it was new.
    pub(crate) fn insert(&mut self, key: K) -> bool {
        match self.find(&key) {
            Ok(_) => false,
            Err(i) => {
                self.items.insert(i, key);
                true
            }
        }
    }

    /// Removes `key`; whether it was present.
    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        match self.find(key) {
            Ok(i) => {
                self.items.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.items.clear();
    }

    /// Removes and returns the smallest element.
    pub(crate) fn pop_first(&mut self) -> Option<K> {
        if self.items.is_empty() {
            None
        } else {
            Some(self.items.remove(0))
        }
    }

    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &K> {
        self.items.iter()
    }

    /// The elements of `self` not in `other`, in order.
    pub(crate) fn difference<'a>(&'a self, other: &'a VecSet<K>) -> impl Iterator<Item = &'a K> {
        self.items.iter().filter(move |k| !other.contains(*k))
    }
}

impl<K> IntoIterator for VecSet<K> {
    type Item = K;
    type IntoIter = std::vec::IntoIter<K>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, K> IntoIterator for &'a VecSet<K> {
    type Item = &'a K;
    type IntoIter = core::slice::Iter<'a, K>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use quickcheck_macros::quickcheck;

    use super::{VecMap, VecSet, sort_index};

    /// A key of two parts, so both halves of the sort key matter.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Key(u8, u8);

    /// Keys from a small domain (so they repeat), in the order given, reversed or
    /// sorted descending: the orders a hostile payload would choose.
    fn keyed(raw: &[(u8, u8, u8)], order: u8) -> Vec<(Key, u8)> {
        let mut v: Vec<(Key, u8)> = raw
            .iter()
            .map(|&(a, b, v)| (Key(a % 4, b % 8), v))
            .collect();
        match order % 3 {
            0 => {}
            1 => v.reverse(),
            // Descending by key, repeated keys kept in input order (a stable sort).
            _ => v.sort_by_key(|x| core::cmp::Reverse(x.0)),
        }
        v
    }

    /// Folding a repeated key's later value into the kept one: not commutative, so
    /// the input order of repeated keys shows.
    fn dup(kept: &mut u8, later: u8) {
        *kept = kept.wrapping_mul(31).wrapping_add(later);
    }

    /// What inserting one by one into a `BTreeMap` with that rule gives.
    fn model(entries: &[(Key, u8)]) -> BTreeMap<Key, u8> {
        let mut m = BTreeMap::new();
        for &(k, v) in entries {
            match m.get_mut(&k) {
                Some(kept) => dup(kept, v),
                None => {
                    m.insert(k, v);
                }
            }
        }
        m
    }

    /// `from_unsorted`, and `push_unordered` + `restore_order` in two pieces, give
    /// the `BTreeMap` of the same entries in any order (ascending, descending,
    /// shuffled, with repeated keys).
    #[quickcheck]
    fn from_unsorted_is_the_btree_of_the_entries(raw: Vec<(u8, u8, u8)>, order: u8) -> bool {
        let entries = keyed(&raw, order);
        let want = model(&entries);
        let built = VecMap::from_unsorted(entries.clone(), dup);
        let half = entries.len() / 2;
        let mut pieces = VecMap::from_unsorted(entries[..half].to_vec(), dup);
        for &(k, v) in &entries[half..] {
            pieces.push_unordered(k, v);
        }
        pieces.restore_order(dup);
        built.iter().eq(want.iter())
            && pieces.iter().eq(want.iter())
            && built.len() == want.len()
            && built.keys().zip(built.keys().skip(1)).all(|(a, b)| a < b)
    }

    /// `join` gives what joining into a `BTreeMap` key by key gives, and reports a
    /// change exactly when there was one; `last_at_most` is the B-tree's range end.
    #[quickcheck]
    fn join_is_the_btree_join(a: Vec<(u8, u8, u8)>, b: Vec<(u8, u8, u8)>, order: u8) -> bool {
        let (ea, eb) = (keyed(&a, order), keyed(&b, order.wrapping_add(1)));
        let (mut mine, theirs) = (
            VecMap::from_unsorted(ea.clone(), dup),
            VecMap::from_unsorted(eb.clone(), dup),
        );
        let (mut want, theirs_model) = (model(&ea), model(&eb));
        let admit = |k: &Key| k.1 % 3 != 0;
        let join = |m: &mut u8, t: &u8| {
            let more = *t > *m;
            *m = (*m).max(*t);
            more
        };
        let mut want_changed = false;
        for (k, v) in &theirs_model {
            match want.get_mut(k) {
                Some(m) => want_changed |= join(m, v),
                None if admit(k) => {
                    want.insert(*k, *v);
                    want_changed = true;
                }
                None => {}
            }
        }
        let changed = mine.join(&theirs, admit, join);
        let bounds_agree = (0..5).all(|x| {
            (0..9).all(|y| {
                let k = Key(x, y);
                mine.last_at_most(&k) == want.range(..=k).next_back().map(|(k, _)| k)
            })
        });
        changed == want_changed && mine.iter().eq(want.iter()) && bounds_agree
    }

    /// The heapsort sorts as the standard sort does.
    #[quickcheck]
    fn sort_index_sorts(raw: Vec<(u8, u64)>) -> bool {
        let keys: Vec<(u8, u64)> = raw.iter().map(|&(a, b)| (a % 8, b % 4)).collect();
        let mut order: Vec<usize> = (0..keys.len()).collect();
        sort_index(&mut order, &|a, b| (keys[a], a) < (keys[b], b));
        let mut want: Vec<(u8, u64, usize)> = keys
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| (a, b, i))
            .collect();
        want.sort();
        order.iter().map(|&i| (keys[i].0, keys[i].1, i)).eq(want)
    }

    /// Random inserts, removes, lookups and retains give what a `BTreeMap` /
    /// `BTreeSet` gives, in the same order.
    #[quickcheck]
    fn behaves_as_the_btree(ops: Vec<(u8, u8, u8)>) -> bool {
        let mut a = VecMap::new();
        let mut b = BTreeMap::new();
        let mut s = VecSet::new();
        let mut t = BTreeSet::new();
        for (op, k, v) in ops {
            let k = k % 16;
            let same = match op % 7 {
                0 => a.insert(k, v) == b.insert(k, v) && s.insert(k) == t.insert(k),
                1 => a.remove(&k) == b.remove(&k) && s.remove(&k) == t.remove(&k),
                2 => a.get(&k) == b.get(&k) && s.contains(&k) == t.contains(&k),
                3 => {
                    *a.get_or_insert_with(k, || v) == *b.entry(k).or_insert_with(|| v)
                        && a.contains_key(&k)
                }
                4 => a.values_mut().eq(b.values_mut()),
                5 => s.pop_first() == t.pop_first(),
                _ => {
                    if let (Some(x), Some(y)) = (a.get_mut(&k), b.get_mut(&k)) {
                        *x = x.wrapping_add(v);
                        *y = y.wrapping_add(v);
                    }
                    true
                }
            };
            let other: VecSet<u8> = {
                let mut o = VecSet::new();
                o.insert(v % 16);
                o
            };
            let other_t: BTreeSet<u8> = [v % 16].into();
            if !same
                || !a.iter().eq(b.iter())
                || !s.iter().eq(t.iter())
                || a.len() != b.len()
                || s.len() != t.len()
                || !s.difference(&other).eq(t.difference(&other_t))
            {
                return false;
            }
        }
        true
    }
}
