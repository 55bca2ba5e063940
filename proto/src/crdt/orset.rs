//! [`OrSet`]: an add-wins observed-remove set, wire tag `"orset"`.
//!
//! The delta-state add-wins OR-Set of Almeida et al.: every add tags the element
//! with a fresh [`Dot`]; a remove deletes the dots it has observed; a causal
//! context remembers removed dots, so an add concurrent with a remove survives
//! (add wins) and no per-element tombstone is kept. An add also retires the
//! element's dots it has seen, so an element carries at most one dot per
//! concurrent adder.
//!
//! Size: present elements, each with one dot per concurrent adder, plus the
//! causal context (one counter per writer once deltas arrive in order; dots
//! received out of order wait in the context's cloud until the gap fills).
//! Encoding: `[[[element, [dot, ...]], ...], context]`.
//!
//! Storage: sorted vectors ([`VecMap`], see its module docs for the cost bounds),
//! of elements and of each element's dots (one per concurrent adder). A decoded
//! set is sorted once (elements, then each element's dots), merges are linear
//! joins. A local add or remove inserts into the element vector, O(elements) of
//! moves, and then merges its delta into the state, which walks every element
//! anyway (the join visits each element to drop the dots the delta's context
//! removes) — so an operation was O(elements) with a B-tree too, and stays so.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::causal::{CausalContext, Dot, join_keyed};
use super::cbor;
use super::{CrdtError, CrdtValue, DeltaCrdt, OpContext};
use crate::vecmap::VecMap;
use crate::wire::ReplicaId;

/// An add-wins observed-remove set of `T`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrSet<T: Ord> {
    elements: VecMap<T, VecMap<Dot, ()>>,
    cc: CausalContext,
}

impl<T: Ord> Default for OrSet<T> {
    fn default() -> Self {
        OrSet {
            elements: VecMap::new(),
            cc: CausalContext::default(),
        }
    }
}

/// Operations on an [`OrSet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrSetOp<T> {
    /// Adds an element (wins over concurrent removes).
    Add(T),
    /// Removes an element as observed locally (no effect if absent).
    Remove(T),
    /// Removes every element observed locally.
    Clear,
}

impl<T: CrdtValue> OrSet<T> {
    /// Whether `value` is in the set.
    pub fn contains(&self, value: &T) -> bool {
        self.elements.contains_key(value)
    }

    /// The elements, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.elements.keys()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// An empty value whose context already holds `replica`'s dots `1..=max`.
    pub(crate) fn seeded(replica: ReplicaId, max: u64) -> Self {
        OrSet {
            cc: CausalContext::up_to(replica, max),
            ..Self::default()
        }
    }

    /// The elements with their dots.
    pub(crate) fn element_map(&self) -> &VecMap<T, VecMap<Dot, ()>> {
        &self.elements
    }

    /// The set of decoded elements `(value, dots)` and context: elements without
    /// dots dropped, repeated elements' dots united; the context gains every dot.
    pub(crate) fn from_repr(
        elements: impl IntoIterator<Item = (T, Vec<Dot>)>,
        mut cc: CausalContext,
    ) -> Self {
        let mut list = Vec::new();
        for (value, dots) in elements {
            if !dots.is_empty() {
                let mut entry = VecMap::new();
                for d in dots {
                    entry.push_unordered(d, ());
                }
                list.push((value, entry));
            }
        }
        // The elements sorted once (a repeated element's dots appended, in input
        // order), then each element's dots (a repeated dot kept once).
        let mut map = VecMap::from_unsorted(list, |kept: &mut VecMap<Dot, ()>, later| {
            for (d, ()) in later {
                kept.push_unordered(d, ());
            }
        });
        for dots in map.values_mut() {
            dots.restore_order(|_, ()| {});
        }
        cc.extend(map.values().flat_map(|dots| dots.keys().copied()));
        OrSet { elements: map, cc }
    }

    /// The causal context (size cost: [`CausalContext::stored_len`]).
    pub fn context(&self) -> &CausalContext {
        &self.cc
    }

    fn retire(&self, value: &T, delta: &mut Self) {
        let dots = self.elements.get(value).into_iter().flat_map(|d| d.keys());
        delta.cc.extend(dots.copied());
    }
}

impl<T: CrdtValue> DeltaCrdt for OrSet<T> {
    const TAG: &'static str = "orset";
    type Op = OrSetOp<T>;

    fn prepare(&self, op: OrSetOp<T>, ctx: &OpContext) -> Result<Self, CrdtError> {
        let mut delta = OrSet::default();
        match op {
            OrSetOp::Add(value) => {
                let dot = self.cc.next_dot(ctx.replica)?;
                self.retire(&value, &mut delta);
                delta.cc.insert(dot);
                let mut dots = VecMap::new();
                dots.insert(dot, ());
                delta.elements.insert(value, dots);
            }
            OrSetOp::Remove(value) => self.retire(&value, &mut delta),
            OrSetOp::Clear => {
                let dots = self.elements.values().flat_map(|d| d.keys());
                delta.cc.extend(dots.copied());
            }
        }
        Ok(delta)
    }

    fn merge(&mut self, other: &Self) -> bool {
        let store = join_keyed(
            &mut self.elements,
            &self.cc,
            &other.elements,
            &other.cc,
            |_, _| false,
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

impl<T: CrdtValue> Serialize for OrSet<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let elements: Vec<(&T, Vec<Dot>)> = self
            .elements
            .iter()
            .map(|(v, dots)| (v, dots.keys().copied().collect()))
            .collect();
        (elements, &self.cc).serialize(s)
    }
}

impl<'de, T: CrdtValue> Deserialize<'de> for OrSet<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (elements, cc) = <(Vec<(T, Vec<Dot>)>, CausalContext)>::deserialize(d)?;
        Ok(OrSet::from_repr(elements, cc))
    }
}
