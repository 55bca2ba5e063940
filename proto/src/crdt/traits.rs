//! [`DeltaCrdt`]: the one trait every delta-state CRDT implements, and the
//! [`OpContext`] a local operation runs in.

use core::fmt::Debug;

use super::CrdtError;
use crate::time::WallClockMillis;
use crate::wire::ReplicaId;

/// Who performs a local operation, and the wall-clock time the driver read for it.
///
/// Proto never reads a clock: `now` is only used by timestamped types (the LWW
/// register) and may go backwards without harm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpContext {
    /// The replica performing the operation.
    pub replica: ReplicaId,
    /// Wall-clock time in milliseconds since the Unix epoch.
    pub now: WallClockMillis,
}

impl OpContext {
    /// A context for `replica` at wall-clock time `now`.
    pub fn new(replica: ReplicaId, now: WallClockMillis) -> Self {
        OpContext { replica, now }
    }
}

/// A delta-state CRDT (Almeida et al., "Delta State Replicated Data Types").
///
/// States form a join-semilattice; deltas are states too (usually tiny ones), so
/// one [`merge`](DeltaCrdt::merge) joins a delta or a full state alike. For all
/// states `a`, `b`, `c` reachable by operations and merges:
///
/// * commutative: `a ⊔ b == b ⊔ a`;
/// * associative: `(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)`;
/// * idempotent: `a ⊔ a == a` (so duplicated deltas are harmless);
/// * `s.apply(op) == s ⊔ s.prepare(op)`, and merging deltas into each other
///   first equals applying them one by one: `s ⊔ (d1 ⊔ d2) == (s ⊔ d1) ⊔ d2`.
///
/// [`Default`] is the bottom (empty) state. Encodings must be deterministic and
/// [`decode`](DeltaCrdt::decode) must return an error, never panic or allocate
/// without bound, on any input.
pub trait DeltaCrdt: Clone + Debug + Default + PartialEq + Send + Sync + 'static {
    /// The stable type tag carried on the wire (at most 64 bytes of UTF-8).
    const TAG: &'static str;

    /// A local operation (increment, set, add, ...).
    type Op: Clone + Debug;

    /// Computes the delta of `op` on this state without changing it.
    ///
    /// Errors are caller mistakes (an operation that does not fit the value,
    /// a counter overflow); the state is unchanged.
    fn prepare(&self, op: Self::Op, ctx: &OpContext) -> Result<Self, CrdtError>;

    /// Joins `other` (a delta or a full state) into `self`; returns whether
    /// `self` changed.
    fn merge(&mut self, other: &Self) -> bool;

    /// Encodes the state (or delta) to bytes.
    fn encode(&self) -> Result<Vec<u8>, CrdtError>;

    /// Decodes bytes produced by [`encode`](DeltaCrdt::encode).
    fn decode(bytes: &[u8]) -> Result<Self, CrdtError>;

    /// Checks that `bytes` are a state or delta of this type, as the hub checks a
    /// payload before logging it. The default decodes; a type whose decoding builds
    /// large structures checks the bytes without building them.
    fn validate(bytes: &[u8]) -> Result<(), CrdtError> {
        Self::decode(bytes).map(|_| ())
    }

    /// Merges an encoded delta (or state) into `self`, as a replica applies a remote
    /// delta; whether `self` changed. The default decodes and merges; a type whose
    /// encoding can be applied directly does so.
    fn merge_encoded(&mut self, bytes: &[u8]) -> Result<bool, CrdtError> {
        let other = Self::decode(bytes)?;
        Ok(self.merge(&other))
    }

    /// The encoded merge of `base` and every one of `deltas`, as the hub folds a log
    /// prefix into a snapshot. The default decodes `base` once, joins the deltas with
    /// each other in pairs ([`join_all`]: a merge into a causal type walks its whole
    /// state, so merging them one by one would cost O(state × deltas)), merges the
    /// join into `base` and encodes once.
    fn merge_many_encoded(base: &[u8], deltas: &[&[u8]]) -> Result<Vec<u8>, CrdtError> {
        let mut a = Self::decode(base)?;
        // A loop, not `collect::<Result<Vec<_>, _>>()`: the same, in less code per
        // type (the browser bundle has seven).
        let mut decoded = Vec::with_capacity(deltas.len());
        for d in deltas {
            decoded.push(Self::decode(d)?);
        }
        if !decoded.is_empty() {
            a.merge(&join_all(decoded));
        }
        a.encode()
    }

    /// Checks an encoded local delta before it is sent: at most `max` bytes and
    /// within the encoding's structural bounds. The default is the bounded CBOR
    /// check every built-in CBOR type uses ([`check_cbor`](super::codec::check_cbor));
    /// a type with another encoding checks its own.
    fn check_encoded(bytes: &[u8], max: usize) -> Result<(), CrdtError> {
        super::codec::check_cbor(Self::TAG, bytes, max)
    }

    /// Applies a local operation: merges its delta into `self` and returns the
    /// delta to send to other replicas.
    fn apply(&mut self, op: Self::Op, ctx: &OpContext) -> Result<Self, CrdtError> {
        let delta = self.prepare(op, ctx)?;
        self.merge(&delta);
        Ok(delta)
    }
}

/// What registers and sets can hold: any ordered, serde-encodable value.
/// [`Value`](super::Value) is the dynamic choice; the order breaks ties
/// deterministically.
pub trait CrdtValue:
    Clone + Debug + Ord + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
}

impl<T> CrdtValue for T where
    T: Clone + Debug + Ord + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
}

/// The join of `deltas` (the empty state for none), merged in pairs: a merge into a
/// causal type walks its whole left side, so joining k deltas one by one into a
/// growing value costs O(k²) where pairs cost O(k log k) (the laws allow any
/// grouping: `(d1 ⊔ d2) ⊔ d3 == d1 ⊔ (d2 ⊔ d3)`).
pub fn join_all<C: DeltaCrdt>(mut deltas: Vec<C>) -> C {
    while deltas.len() > 1 {
        let mut next = Vec::with_capacity(deltas.len().div_ceil(2));
        let mut pairs = deltas.into_iter();
        while let Some(mut x) = pairs.next() {
            if let Some(y) = pairs.next() {
                x.merge(&y);
            }
            next.push(x);
        }
        deltas = next;
    }
    deltas.pop().unwrap_or_default()
}
