//! [`LwwRegister`]: a last-writer-wins register, wire tag `"lww"`.
//!
//! Each write is stamped `(wall-clock millis, replica)`; the largest stamp wins
//! (the value's order breaks a tie only between malformed duplicates). The
//! wall clock is passed in by the caller ([`OpContext::now`]); proto never reads
//! it. A write always wins over the value it overwrote: if the caller's clock is
//! behind the current stamp, the new stamp is moved just past it (as in hybrid
//! logical clocks), so a replica with a slow clock can still overwrite.
//!
//! Size: one value. Encoding: `null` (never written) or `[millis, replica, value]`.

use serde::{Deserialize, Serialize};

use super::cbor;
use super::{CrdtError, CrdtValue, DeltaCrdt, OpContext};
use crate::time::WallClockMillis;
use crate::wire::ReplicaId;

/// A last-writer-wins register holding a `T`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent, bound = "T: CrdtValue")]
pub struct LwwRegister<T> {
    entry: Option<(WallClockMillis, u64, T)>,
}

impl<T> Default for LwwRegister<T> {
    fn default() -> Self {
        LwwRegister { entry: None }
    }
}

/// Operations on an [`LwwRegister`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LwwOp<T> {
    /// Replaces the value.
    Set(T),
}

impl<T: CrdtValue> LwwRegister<T> {
    /// The current value, `None` if never written.
    pub fn get(&self) -> Option<&T> {
        self.entry.as_ref().map(|(_, _, v)| v)
    }

    /// The winning write `(millis, replica, value)`.
    pub(crate) fn entry(&self) -> Option<&(WallClockMillis, u64, T)> {
        self.entry.as_ref()
    }

    /// A register holding a decoded write.
    pub(crate) fn from_entry(entry: Option<(WallClockMillis, u64, T)>) -> Self {
        LwwRegister { entry }
    }

    /// The winning write's stamp: wall-clock millis and writer.
    pub fn stamp(&self) -> Option<(WallClockMillis, ReplicaId)> {
        self.entry.as_ref().map(|(t, r, _)| (*t, ReplicaId(*r)))
    }
}

impl<T: CrdtValue> DeltaCrdt for LwwRegister<T> {
    const TAG: &'static str = "lww";
    type Op = LwwOp<T>;

    fn prepare(&self, op: LwwOp<T>, ctx: &OpContext) -> Result<Self, CrdtError> {
        let LwwOp::Set(value) = op;
        let mut millis = ctx.now;
        if let Some((t, r, _)) = &self.entry {
            if (millis, ctx.replica.0) <= (*t, *r) {
                millis = t.checked_add(1).ok_or(CrdtError::Overflow("lww clock"))?;
            }
        }
        Ok(LwwRegister {
            entry: Some((millis, ctx.replica.0, value)),
        })
    }

    fn merge(&mut self, other: &Self) -> bool {
        match (&self.entry, &other.entry) {
            (_, None) => false,
            (Some(mine), Some(theirs)) if mine >= theirs => false,
            _ => {
                self.entry.clone_from(&other.entry);
                true
            }
        }
    }

    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        cbor::encode(Self::TAG, self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, CrdtError> {
        cbor::decode(Self::TAG, bytes)
    }
}
