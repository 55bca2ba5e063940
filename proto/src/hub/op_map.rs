//! The map of storage operations in flight: a `HashMap` keyed by [`OpId`] with a
//! multiplicative hash. Op ids are assigned by the hub (sequential, never chosen by
//! a peer), so a keyed hash buys nothing; this map takes one insert and one remove
//! per delta, where a `BTreeMap` spends several hundred instructions.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::state::PendingOp;
use super::storage::OpId;

/// Hashes one `u64` (an op id) by a Fibonacci multiplication.
#[derive(Default)]
pub(crate) struct OpIdHasher(u64);

impl Hasher for OpIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Storage operations in flight, by id (bounded by what the hub issues: at most
/// `max_pending_appends` appends per room, plus loads, catch-up ranges (at most one
/// per member) and folds (at most one per room)).
pub(crate) type OpMap = HashMap<OpId, PendingOp, BuildHasherDefault<OpIdHasher>>;
