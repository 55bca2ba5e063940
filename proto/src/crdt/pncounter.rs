//! [`PnCounter`]: a counter that goes up and down, wire tag `"pncounter"`.
//!
//! Two [`GCounter`]s, increments and decrements; the value is their difference.
//! Size: up to two entries per writing replica. Encoding:
//! `[increments, decrements]`, each as a GCounter's `[[replica, count], ...]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::cbor;
use super::{CrdtError, DeltaCrdt, GCounter, OpContext};

/// A positive-negative counter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PnCounter {
    inc: GCounter,
    dec: GCounter,
}

/// Operations on a [`PnCounter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PnCounterOp {
    /// Adds this amount.
    Increment(u64),
    /// Subtracts this amount.
    Decrement(u64),
}

impl PnCounter {
    /// The counter's value: increments minus decrements, saturating at the
    /// bounds of `i64`.
    pub fn value(&self) -> i64 {
        let v = i128::from(self.inc.value()) - i128::from(self.dec.value());
        i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
    }

    /// The increments and the decrements.
    pub(crate) fn parts(&self) -> (&GCounter, &GCounter) {
        (&self.inc, &self.dec)
    }

    /// A counter of its increments and decrements.
    pub(crate) fn from_parts(inc: GCounter, dec: GCounter) -> Self {
        PnCounter { inc, dec }
    }

    /// Sum of all increments.
    pub fn increments(&self) -> u64 {
        self.inc.value()
    }

    /// Sum of all decrements.
    pub fn decrements(&self) -> u64 {
        self.dec.value()
    }
}

impl Serialize for PnCounter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&self.inc, &self.dec).serialize(s)
    }
}

impl<'de> Deserialize<'de> for PnCounter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (inc, dec) = <(GCounter, GCounter)>::deserialize(d)?;
        Ok(PnCounter { inc, dec })
    }
}

impl DeltaCrdt for PnCounter {
    const TAG: &'static str = "pncounter";
    type Op = PnCounterOp;

    fn prepare(&self, op: PnCounterOp, ctx: &OpContext) -> Result<Self, CrdtError> {
        Ok(match op {
            PnCounterOp::Increment(by) => PnCounter {
                inc: self.inc.increment_delta(by, ctx.replica)?,
                dec: GCounter::default(),
            },
            PnCounterOp::Decrement(by) => PnCounter {
                inc: GCounter::default(),
                dec: self.dec.increment_delta(by, ctx.replica)?,
            },
        })
    }

    fn merge(&mut self, other: &Self) -> bool {
        let a = self.inc.merge(&other.inc);
        let b = self.dec.merge(&other.dec);
        a || b
    }

    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        cbor::encode(Self::TAG, self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, CrdtError> {
        cbor::decode(Self::TAG, bytes)
    }
}
