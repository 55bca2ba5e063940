//! [`AnyCrdt`] and [`AnyOp`]: a dynamically typed CRDT value, used for the
//! values of the nested [`OrMap`] and by applications that pick the type at
//! run time. Wire tag `"any"`.
//!
//! Encoding: `[tag, state]` where `tag` is the inner type's wire tag (or
//! `"empty"` with `null`) and `state` the inner encoding, inline (not as bytes).
//!
//! Type conflicts (two replicas writing different kinds under one map key)
//! resolve deterministically: the kind later in this order wins and the other
//! is dropped: empty < gcounter < pncounter < lww < mvreg < orset < map.

use core::fmt;

use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::cbor;
use super::{
    CrdtError, DeltaCrdt, GCounter, GCounterOp, LwwOp, LwwRegister, MapOp, MvOp, MvRegister,
    OpContext, OrMap, OrSet, OrSetOp, PnCounter, PnCounterOp, Value,
};
use crate::wire::ReplicaId;

/// A CRDT value whose type is chosen at run time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AnyCrdt {
    /// No value yet; becomes the kind of the first operation applied.
    #[default]
    Empty,
    /// A grow-only counter.
    GCounter(GCounter),
    /// A positive-negative counter.
    PnCounter(PnCounter),
    /// A last-writer-wins register of [`Value`].
    Lww(LwwRegister<Value>),
    /// A multi-value register of [`Value`].
    MvReg(MvRegister<Value>),
    /// An add-wins set of [`Value`].
    OrSet(OrSet<Value>),
    /// A nested map.
    Map(OrMap),
}

/// An operation on an [`AnyCrdt`]; its variant must match the value's kind
/// (or the value must be [`AnyCrdt::Empty`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnyOp {
    /// On a grow-only counter.
    GCounter(GCounterOp),
    /// On a positive-negative counter.
    PnCounter(PnCounterOp),
    /// On a last-writer-wins register.
    Lww(LwwOp<Value>),
    /// On a multi-value register.
    MvReg(MvOp<Value>),
    /// On a set.
    OrSet(OrSetOp<Value>),
    /// On a nested map.
    Map(MapOp),
}

const EMPTY_TAG: &str = "empty";

impl AnyCrdt {
    /// The wire tag of the inner type (`"empty"` for [`AnyCrdt::Empty`]).
    pub fn kind(&self) -> &'static str {
        match self {
            AnyCrdt::Empty => EMPTY_TAG,
            AnyCrdt::GCounter(_) => GCounter::TAG,
            AnyCrdt::PnCounter(_) => PnCounter::TAG,
            AnyCrdt::Lww(_) => LwwRegister::<Value>::TAG,
            AnyCrdt::MvReg(_) => MvRegister::<Value>::TAG,
            AnyCrdt::OrSet(_) => OrSet::<Value>::TAG,
            AnyCrdt::Map(_) => OrMap::TAG,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            AnyCrdt::Empty => 0,
            AnyCrdt::GCounter(_) => 1,
            AnyCrdt::PnCounter(_) => 2,
            AnyCrdt::Lww(_) => 3,
            AnyCrdt::MvReg(_) => 4,
            AnyCrdt::OrSet(_) => 5,
            AnyCrdt::Map(_) => 6,
        }
    }

    /// A plain [`Value`] view for rendering: counters as `Int`, an LWW register
    /// as its value (`Null` if unset), a multi-value register and a set as a
    /// `List`, a map as a `Map`.
    pub fn to_value(&self) -> Value {
        match self {
            AnyCrdt::Empty => Value::Null,
            AnyCrdt::GCounter(c) => Value::Int(i64::try_from(c.value()).unwrap_or(i64::MAX)),
            AnyCrdt::PnCounter(c) => Value::Int(c.value()),
            AnyCrdt::Lww(r) => r.get().cloned().unwrap_or_default(),
            AnyCrdt::MvReg(r) => Value::List(r.values().cloned().collect()),
            AnyCrdt::OrSet(s) => Value::List(s.iter().cloned().collect()),
            AnyCrdt::Map(m) => {
                // In key order: collected without sorting.
                let mut out = Vec::with_capacity(m.len());
                for k in m.keys() {
                    let v = m.get(k).map(|v| v.to_value()).unwrap_or_default();
                    out.push((k.clone(), v));
                }
                Value::Map(out.into_iter().collect())
            }
        }
    }

    /// The nested map, if this is one.
    pub fn as_map(&self) -> Option<&OrMap> {
        match self {
            AnyCrdt::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The LWW register's value, if this is a set register.
    pub fn as_lww(&self) -> Option<&Value> {
        match self {
            AnyCrdt::Lww(r) => r.get(),
            _ => None,
        }
    }

    /// The value a map key created afresh by `op` starts from: for causal
    /// kinds, an empty value whose context holds `replica`'s dots `1..=max`
    /// (see [`OrMap`]'s module docs); otherwise [`AnyCrdt::Empty`].
    pub(crate) fn fresh_for(op: &AnyOp, replica: ReplicaId, max: u64) -> Self {
        match op {
            AnyOp::MvReg(_) => AnyCrdt::MvReg(MvRegister::seeded(replica, max)),
            AnyOp::OrSet(_) => AnyCrdt::OrSet(OrSet::seeded(replica, max)),
            AnyOp::Map(_) => AnyCrdt::Map(OrMap::seeded(replica, max)),
            _ => AnyCrdt::Empty,
        }
    }

    /// An empty value of the kind `op` is for.
    fn empty_for(op: &AnyOp) -> Self {
        match op {
            AnyOp::GCounter(_) => AnyCrdt::GCounter(GCounter::default()),
            AnyOp::PnCounter(_) => AnyCrdt::PnCounter(PnCounter::default()),
            AnyOp::Lww(_) => AnyCrdt::Lww(LwwRegister::default()),
            AnyOp::MvReg(_) => AnyCrdt::MvReg(MvRegister::default()),
            AnyOp::OrSet(_) => AnyCrdt::OrSet(OrSet::default()),
            AnyOp::Map(_) => AnyCrdt::Map(OrMap::default()),
        }
    }

    pub(crate) fn prepare_at(
        &self,
        op: AnyOp,
        ctx: &OpContext,
        depth: usize,
    ) -> Result<Self, CrdtError> {
        let empty;
        let this = match self {
            AnyCrdt::Empty => {
                empty = AnyCrdt::empty_for(&op);
                &empty
            }
            other => other,
        };
        Ok(match (this, op) {
            (AnyCrdt::GCounter(s), AnyOp::GCounter(op)) => AnyCrdt::GCounter(s.prepare(op, ctx)?),
            (AnyCrdt::PnCounter(s), AnyOp::PnCounter(op)) => {
                AnyCrdt::PnCounter(s.prepare(op, ctx)?)
            }
            (AnyCrdt::Lww(s), AnyOp::Lww(op)) => AnyCrdt::Lww(s.prepare(op, ctx)?),
            (AnyCrdt::MvReg(s), AnyOp::MvReg(op)) => AnyCrdt::MvReg(s.prepare(op, ctx)?),
            (AnyCrdt::OrSet(s), AnyOp::OrSet(op)) => AnyCrdt::OrSet(s.prepare(op, ctx)?),
            (AnyCrdt::Map(s), AnyOp::Map(op)) => AnyCrdt::Map(s.prepare_at(op, ctx, depth)?),
            (found, op) => {
                return Err(CrdtError::TypeMismatch {
                    op: op.kind(),
                    found: found.kind(),
                });
            }
        })
    }
}

impl AnyOp {
    /// The wire tag of the type this operation is for.
    pub fn kind(&self) -> &'static str {
        match self {
            AnyOp::GCounter(_) => GCounter::TAG,
            AnyOp::PnCounter(_) => PnCounter::TAG,
            AnyOp::Lww(_) => LwwRegister::<Value>::TAG,
            AnyOp::MvReg(_) => MvRegister::<Value>::TAG,
            AnyOp::OrSet(_) => OrSet::<Value>::TAG,
            AnyOp::Map(_) => OrMap::TAG,
        }
    }
}

impl DeltaCrdt for AnyCrdt {
    const TAG: &'static str = "any";
    type Op = AnyOp;

    fn prepare(&self, op: AnyOp, ctx: &OpContext) -> Result<Self, CrdtError> {
        self.prepare_at(op, ctx, 0)
    }

    fn merge(&mut self, other: &Self) -> bool {
        match (&mut *self, other) {
            (AnyCrdt::GCounter(a), AnyCrdt::GCounter(b)) => a.merge(b),
            (AnyCrdt::PnCounter(a), AnyCrdt::PnCounter(b)) => a.merge(b),
            (AnyCrdt::Lww(a), AnyCrdt::Lww(b)) => a.merge(b),
            (AnyCrdt::MvReg(a), AnyCrdt::MvReg(b)) => a.merge(b),
            (AnyCrdt::OrSet(a), AnyCrdt::OrSet(b)) => a.merge(b),
            (AnyCrdt::Map(a), AnyCrdt::Map(b)) => a.merge(b),
            (a, b) if b.rank() > a.rank() => {
                a.clone_from(b);
                true
            }
            _ => false,
        }
    }

    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        cbor::encode(Self::TAG, self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, CrdtError> {
        cbor::decode(Self::TAG, bytes)
    }
}

impl Serialize for AnyCrdt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let tag = self.kind();
        match self {
            AnyCrdt::Empty => (tag, ()).serialize(s),
            AnyCrdt::GCounter(v) => (tag, v).serialize(s),
            AnyCrdt::PnCounter(v) => (tag, v).serialize(s),
            AnyCrdt::Lww(v) => (tag, v).serialize(s),
            AnyCrdt::MvReg(v) => (tag, v).serialize(s),
            AnyCrdt::OrSet(v) => (tag, v).serialize(s),
            AnyCrdt::Map(v) => (tag, v).serialize(s),
        }
    }
}

struct AnyVisitor;

fn next<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(seq: &mut A) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::custom("missing element of [tag, state]"))
}

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = AnyCrdt;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[tag, state]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyCrdt, A::Error> {
        let tag: String = next(&mut seq)?;
        let value = match tag.as_str() {
            EMPTY_TAG => {
                let () = next(&mut seq)?;
                AnyCrdt::Empty
            }
            "gcounter" => AnyCrdt::GCounter(next(&mut seq)?),
            "pncounter" => AnyCrdt::PnCounter(next(&mut seq)?),
            "lww" => AnyCrdt::Lww(next(&mut seq)?),
            "mvreg" => AnyCrdt::MvReg(next(&mut seq)?),
            "orset" => AnyCrdt::OrSet(next(&mut seq)?),
            "map" => AnyCrdt::Map(next(&mut seq)?),
            other => return Err(de::Error::custom(format!("unknown nested type {other:?}"))),
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("extra element after [tag, state]"));
        }
        Ok(value)
    }
}

impl<'de> Deserialize<'de> for AnyCrdt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(AnyVisitor)
    }
}
