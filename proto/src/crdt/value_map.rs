//! [`ValueMap`]: the entries of a [`Value::Map`](super::Value::Map), a vector sorted
//! by key, built once by one sort (see `vecmap` for the cost bounds).

use core::fmt;
use std::collections::BTreeMap;

use super::Value;
use crate::vecmap::VecMap;

/// The entries of a [`Value::Map`]: text keys in ascending order, each once.
///
/// Build it whole — [`FromIterator`] (`collect`), `From` an array or a `BTreeMap` —
/// which sorts the entries once (O(n log n); a repeated key keeps its last value,
/// as `BTreeMap::insert` would). [`ValueMap::insert`] is O(n), for the occasional
/// edit. Compares and prints as a `BTreeMap` of the same entries.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ValueMap(VecMap<String, Value>);

impl ValueMap {
    /// An empty map.
    pub fn new() -> Self {
        ValueMap::default()
    }

    /// The map of `entries` in any order; a repeated key keeps its last value.
    pub(super) fn of(entries: Vec<(String, Value)>) -> Self {
        ValueMap(VecMap::from_unsorted(entries, |kept, later| *kept = later))
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Inserts or replaces (O(n)); the old value, if any.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        self.0.insert(key, value)
    }

    /// Removes `key` (O(n)); its value, if it was present.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries, by key.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Value)> {
        self.0.iter()
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> {
        self.0.keys()
    }

    /// The values, by key.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> {
        self.0.values()
    }
}

impl fmt::Debug for ValueMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromIterator<(String, Value)> for ValueMap {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut entries = Vec::new();
        for e in iter {
            entries.push(e);
        }
        ValueMap::of(entries)
    }
}

impl<const N: usize> From<[(String, Value); N]> for ValueMap {
    fn from(entries: [(String, Value); N]) -> Self {
        ValueMap::of(Vec::from(entries))
    }
}

impl From<BTreeMap<String, Value>> for ValueMap {
    fn from(map: BTreeMap<String, Value>) -> Self {
        map.into_iter().collect()
    }
}

impl From<ValueMap> for BTreeMap<String, Value> {
    fn from(map: ValueMap) -> Self {
        let mut out = BTreeMap::new();
        for (k, v) in map {
            out.insert(k, v);
        }
        out
    }
}

impl IntoIterator for ValueMap {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValueMap {
    type Item = (&'a String, &'a Value);
    type IntoIter = core::iter::Map<
        core::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        (&self.0).into_iter()
    }
}
