//! [`OrMap`]: a map from text keys to nested CRDT values ([`AnyCrdt`]),
//! wire tag `"map"`. Enough to model a form (`field → register`) or a todo list
//! (`id → map{title → lww, done → lww}`).
//!
//! # Semantics
//!
//! Each key holds entries tagged with the [`Dot`] of the update that wrote them;
//! the key's value is the join of its entries. An update folds everything the
//! replica sees under the key into one new entry (its full new value) under a
//! fresh dot, retiring the old dots. A remove retires the dots it has seen.
//! One causal context, shared by all keys, remembers retired dots, so removed
//! keys leave no tombstone and their nested state is freed.
//!
//! * Concurrent updates of one key: both entries stay; the key's value is their
//!   join (counters add up, LWW picks the later write, sets unite).
//! * Concurrent remove and update: **the update wins**: the key stays, with the
//!   value the updater saw plus its change (including what it saw from before
//!   the remove). A remove only removes what it has observed.
//! * Different kinds written concurrently under one key: see [`AnyCrdt`].
//! * A key created afresh gets a nested value whose causal context already
//!   holds the creating replica's earlier dots (`1..=` its map counter; every
//!   nested dot is created by a map update, so nested counters never exceed the
//!   map's). Its new dots are therefore unique, and the replica's adds from a
//!   removed incarnation of the key, which it has seen, stay removed.
//!
//! # Size
//!
//! State: present keys, each with one entry per concurrent updater, plus the
//! causal context. A delta carries the updated key's full nested value (not
//! the whole map), so keep nested values small; deep structures belong in
//! separate keys. Nesting is limited to [`MAX_MAP_DEPTH`] maps.
//!
//! Encoding: `[[[key, [[replica, counter, value], ...]], ...], context]` where
//! each `value` is an [`AnyCrdt`] `[tag, state]`.
//!
//! Storage: sorted vectors ([`VecMap`], see its module docs for the cost bounds),
//! of keys and of each key's entries by dot (one per concurrent updater). A
//! decoded map is sorted once (keys, then each key's entries), merges are linear
//! joins. A local update of a new key inserts into the key vector, O(keys) of
//! moves, and then merges its delta into the state, which walks every key anyway
//! (the join visits each key to drop the entries the delta's context removes) —
//! so an operation was O(keys) with a B-tree too, and stays so.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::causal::{CausalContext, Dot, join_keyed};
use super::cbor;
use super::{AnyCrdt, AnyOp, CrdtError, DeltaCrdt, OpContext, Value};
use crate::vecmap::VecMap;
use crate::wire::ReplicaId;

/// Deepest nesting of maps inside maps that operations may create.
pub const MAX_MAP_DEPTH: usize = 8;

/// A map from text keys to nested CRDT values; see the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrMap {
    entries: VecMap<String, VecMap<Dot, AnyCrdt>>,
    cc: CausalContext,
}

/// Operations on an [`OrMap`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapOp {
    /// Applies a nested operation to the value under `key` (creating it).
    Update {
        /// The key.
        key: String,
        /// The operation on the key's value.
        op: Box<AnyOp>,
    },
    /// Removes the key as observed locally.
    Remove {
        /// The key.
        key: String,
    },
    /// Removes every key observed locally.
    Clear,
}

impl MapOp {
    /// Applies `op` to the value under `key`.
    pub fn update(key: impl Into<String>, op: AnyOp) -> Self {
        MapOp::Update {
            key: key.into(),
            op: Box::new(op),
        }
    }

    /// Sets the LWW register under `key` to `value`.
    pub fn set(key: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::update(key, AnyOp::Lww(super::LwwOp::Set(value.into())))
    }

    /// Applies `op` to the nested map under `key`.
    pub fn nested(key: impl Into<String>, op: MapOp) -> Self {
        Self::update(key, AnyOp::Map(op))
    }

    /// Removes `key`.
    pub fn remove(key: impl Into<String>) -> Self {
        MapOp::Remove { key: key.into() }
    }
}

impl OrMap {
    /// The value under `key`: the join of its concurrent entries.
    pub fn get(&self, key: &str) -> Option<AnyCrdt> {
        let entries = self.entries.get(key)?;
        let mut values = entries.values();
        let mut value = values.next()?.clone();
        for v in values {
            value.merge(v);
        }
        Some(value)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// The present keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    /// Number of present keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The whole map as a plain [`Value::Map`] (see [`AnyCrdt::to_value`]).
    pub fn to_value(&self) -> Value {
        AnyCrdt::Map(self.clone()).to_value()
    }

    /// The entries by key and dot.
    pub(crate) fn entry_map(&self) -> &VecMap<String, VecMap<Dot, AnyCrdt>> {
        &self.entries
    }

    /// The map of decoded keys `(key, [(replica, counter, value)])` and context:
    /// values under a repeated dot merged; the context gains every dot.
    pub(crate) fn from_repr(
        keys: impl IntoIterator<Item = (String, Vec<EntryRepr<AnyCrdt>>)>,
        mut cc: CausalContext,
    ) -> Result<Self, &'static str> {
        let mut list = Vec::new();
        for (key, entries) in keys {
            if entries.is_empty() {
                continue;
            }
            let mut slot = VecMap::new();
            for (r, c, value) in entries {
                slot.push_unordered(Dot::try_from((r, c))?, value);
            }
            list.push((key, slot));
        }
        // The keys sorted once (a repeated key's entries appended, in input order),
        // then each key's entries; the values of a repeated dot merged in input
        // order.
        let mut map = VecMap::from_unsorted(list, |kept: &mut VecMap<Dot, AnyCrdt>, later| {
            for (dot, value) in later {
                kept.push_unordered(dot, value);
            }
        });
        for slot in map.values_mut() {
            slot.restore_order(|old, value| {
                old.merge(&value);
            });
        }
        cc.extend(map.values().flat_map(|e| e.keys().copied()));
        Ok(OrMap { entries: map, cc })
    }

    /// The causal context (size cost: [`CausalContext::stored_len`]).
    pub fn context(&self) -> &CausalContext {
        &self.cc
    }

    /// An empty map whose context already holds `replica`'s dots `1..=max`.
    pub(crate) fn seeded(replica: ReplicaId, max: u64) -> Self {
        OrMap {
            entries: VecMap::new(),
            cc: CausalContext::up_to(replica, max),
        }
    }

    fn retire(&self, key: &str, delta: &mut Self) {
        let dots = self.entries.get(key).into_iter().flat_map(|e| e.keys());
        delta.cc.extend(dots.copied());
    }

    pub(crate) fn prepare_at(
        &self,
        op: MapOp,
        ctx: &OpContext,
        depth: usize,
    ) -> Result<Self, CrdtError> {
        if depth >= MAX_MAP_DEPTH {
            return Err(CrdtError::TooDeep { max: MAX_MAP_DEPTH });
        }
        let mut delta = OrMap::default();
        match op {
            MapOp::Update { key, op } => {
                let mut value = match self.get(&key) {
                    Some(v) => v,
                    None => AnyCrdt::fresh_for(&op, ctx.replica, self.cc.max(ctx.replica)),
                };
                let nested = value.prepare_at(*op, ctx, depth + 1)?;
                value.merge(&nested);
                let dot = self.cc.next_dot(ctx.replica)?;
                self.retire(&key, &mut delta);
                delta.cc.insert(dot);
                let mut entry = VecMap::new();
                entry.insert(dot, value);
                delta.entries.insert(key, entry);
            }
            MapOp::Remove { key } => self.retire(&key, &mut delta),
            MapOp::Clear => {
                let dots = self.entries.values().flat_map(|e| e.keys());
                delta.cc.extend(dots.copied());
            }
        }
        Ok(delta)
    }
}

impl DeltaCrdt for OrMap {
    const TAG: &'static str = "map";
    type Op = MapOp;

    fn prepare(&self, op: MapOp, ctx: &OpContext) -> Result<Self, CrdtError> {
        self.prepare_at(op, ctx, 0)
    }

    fn merge(&mut self, other: &Self) -> bool {
        let store = join_keyed(
            &mut self.entries,
            &self.cc,
            &other.entries,
            &other.cc,
            |a, b| a.merge(b),
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

type EntryRepr<V> = (u64, u64, V);

impl Serialize for OrMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries: Vec<(&String, Vec<EntryRepr<&AnyCrdt>>)> = self
            .entries
            .iter()
            .map(|(k, e)| {
                (
                    k,
                    e.iter().map(|(d, v)| (d.replica.0, d.counter, v)).collect(),
                )
            })
            .collect();
        (entries, &self.cc).serialize(s)
    }
}

impl<'de> Deserialize<'de> for OrMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        type Repr = (Vec<(String, Vec<EntryRepr<AnyCrdt>>)>, CausalContext);
        let (keys, cc) = Repr::deserialize(d)?;
        OrMap::from_repr(keys, cc).map_err(serde::de::Error::custom)
    }
}
