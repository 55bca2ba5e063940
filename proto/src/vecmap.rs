//! [`VecMap`] and [`VecSet`]: ordered maps and sets as sorted vectors, with the
//! subset of the `BTreeMap` / `BTreeSet` API the client side uses (rooms of one
//! client, peers of one room, rooms of one replica, the registry's types).
//!
//! Why not `BTreeMap`: each key/value pair type instantiates the B-tree's node code
//! (insert, split, merge, steal, remove, drop, clone), several kilobytes per type
//! in the browser bundle; a sorted vector is a binary search and a `Vec` insert or
//! remove. A client holds few rooms and a room few peers, so the linear insert is
//! no cost there. Iteration is in key order, as with the B-tree.
//!
//! Not for collections built from what a peer sends (CRDT states and deltas): filled
//! in descending order a sorted vector costs O(n²) moves, which a hostile payload
//! would turn into a denial of service where a B-tree stays O(n log n).

use core::borrow::Borrow;
use core::fmt;

/// An ordered map as a vector sorted by key (see the module docs).
#[derive(Clone, PartialEq, Eq)]
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

    use super::{VecMap, VecSet};

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
