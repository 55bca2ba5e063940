//! The merge laws, convergence, codec round trip and decode robustness,
//! generated for every built-in type by [`law_tests!`].

use quickcheck::{Gen, QuickCheck};

use super::harness::{Script, Subject, join, run};
use crate::crdt::{CrdtError, DeltaMerger, Registry};

pub(super) const TESTS: u64 = 250;

pub(super) fn qc() -> QuickCheck {
    QuickCheck::new().tests(TESTS).rng(Gen::new(30))
}

fn pick<'a, C>(pool: &[&'a C], i: u8) -> &'a C {
    pool[usize::from(i) % pool.len()]
}

/// Commutative, associative, idempotent; `merge` reports change truthfully.
pub(super) fn join_laws<C: Subject>(script: Script<C>, i: u8, j: u8, k: u8) -> bool {
    let r = run(&script);
    let pool = r.pool();
    let (a, b, c) = (pick(&pool, i), pick(&pool, j), pick(&pool, k));
    let commutative = join(a, b) == join(b, a);
    let associative = join(&join(a, b), c) == join(a, &join(b, c));
    let mut aa = a.clone();
    let idempotent = !aa.merge(a) && aa == *a;
    let mut ab = a.clone();
    let reported = ab.merge(b);
    let truthful = reported == (ab != *a);
    commutative && associative && idempotent && truthful
}

/// Merging deltas into each other first equals applying them one by one.
pub(super) fn delta_grouping<C: Subject>(script: Script<C>, s: u8, i: u8, j: u8) -> bool {
    let r = run(&script);
    if r.deltas.is_empty() {
        return true;
    }
    let state = &r.replicas[usize::from(s) % 3];
    let di = &r.deltas[usize::from(i) % r.deltas.len()];
    let dj = &r.deltas[usize::from(j) % r.deltas.len()];
    join(state, &join(di, dj)) == join(&join(state, di), dj)
}

/// Three replicas converge whatever the delivery order and duplication.
pub(super) fn convergence<C: Subject>(script: Script<C>, order: Vec<u16>) -> bool {
    let mut r = run(&script);
    let n = r.deltas.len();
    for (x, replica) in r.replicas.iter_mut().enumerate() {
        // A replica-specific permutation, then random duplicates.
        let mut idx: Vec<usize> = (0..n).collect();
        for (step, o) in order.iter().enumerate() {
            if n > 1 {
                let a = (usize::from(*o) + x) % n;
                idx.swap(a, step % n);
            }
        }
        idx.extend(
            order
                .iter()
                .map(|o| usize::from(*o) % n.max(1))
                .filter(|_| n > 0),
        );
        for i in idx {
            replica.merge(&r.deltas[i]);
        }
    }
    let mut fresh = C::default();
    for d in r.deltas.iter().rev() {
        fresh.merge(d);
    }
    r.replicas[0] == r.replicas[1] && r.replicas[1] == r.replicas[2] && r.replicas[0] == fresh
}

/// Only `merge`: `merge_many` falls back to the trait's pairwise default.
pub(super) struct Pairwise<'a>(pub(super) &'a Registry);

impl DeltaMerger for Pairwise<'_> {
    fn merge(&self, tag: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        self.0.merge(tag, a, b)
    }
}

/// The registry's `merge_many` (one decode and one encode of the base, as the hub's
/// compaction uses it) gives the same bytes as merging the deltas in one at a time.
pub(super) fn merge_many_equals_pairwise<C: Subject>(script: Script<C>, s: u8) -> bool {
    let r = run(&script);
    let mut registry = Registry::new();
    registry.register::<C>().expect("register");
    let base = r.replicas[usize::from(s) % 3].encode().expect("encode");
    let deltas: Vec<Vec<u8>> = r
        .deltas
        .iter()
        .map(|d| d.encode().expect("encode"))
        .collect();
    let refs: Vec<&[u8]> = deltas.iter().map(Vec::as_slice).collect();
    let many = registry
        .merge_many(C::TAG, &base, &refs)
        .expect("merge_many");
    let pairwise = Pairwise(&registry).merge_many(C::TAG, &base, &refs);
    many.is_some() && Ok(many) == pairwise
}

/// Encode → decode gives the value back; encoding is deterministic.
pub(super) fn round_trip<C: Subject>(script: Script<C>) -> bool {
    let r = run(&script);
    r.pool().into_iter().all(|v| {
        let bytes = v.encode().expect("encode");
        let back = C::decode(&bytes).expect("decode");
        back == *v && back.encode().expect("re-encode") == bytes
    })
}

/// Arbitrary bytes, and valid encodings with bytes flipped, never panic; what
/// decodes can be merged and re-encoded.
pub(super) fn decode_never_panics<C: Subject>(
    script: Script<C>,
    noise: Vec<u8>,
    flips: Vec<(u16, u8)>,
) -> bool {
    let _ = C::decode(&noise);
    let r = run(&script);
    let mut bytes = r.replicas[0].encode().expect("encode");
    for (pos, x) in &flips {
        let len = bytes.len();
        if let Some(b) = bytes.get_mut(usize::from(*pos) % len) {
            *b ^= x;
        }
    }
    if flips.len() % 3 == 0 {
        bytes.truncate(bytes.len().saturating_sub(flips.len()));
    }
    if let Ok(v) = C::decode(&bytes) {
        let mut s = r.replicas[1].clone();
        s.merge(&v);
        s.encode().is_ok()
    } else {
        true
    }
}

macro_rules! law_tests {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        mod $name {
            use super::*;
            type T = $ty;

            #[test]
            fn merge_is_commutative_associative_idempotent() {
                qc().quickcheck(join_laws::<T> as fn(Script<T>, u8, u8, u8) -> bool);
            }

            #[test]
            fn merging_deltas_first_equals_applying_one_by_one() {
                qc().quickcheck(delta_grouping::<T> as fn(Script<T>, u8, u8, u8) -> bool);
            }

            #[test]
            fn three_replicas_converge_under_any_delivery() {
                qc().quickcheck(convergence::<T> as fn(Script<T>, Vec<u16>) -> bool);
            }

            #[test]
            fn merge_many_is_pairwise_merge() {
                qc().quickcheck(merge_many_equals_pairwise::<T> as fn(Script<T>, u8) -> bool);
            }

            #[test]
            fn encode_decode_round_trip() {
                qc().quickcheck(round_trip::<T> as fn(Script<T>) -> bool);
            }

            #[test]
            fn decoding_garbage_is_an_error_not_a_panic() {
                qc().quickcheck(
                    decode_never_panics::<T> as fn(Script<T>, Vec<u8>, Vec<(u16, u8)>) -> bool,
                );
            }
        }
    )*};
}

law_tests! {
    gcounter: crate::crdt::GCounter,
    pncounter: crate::crdt::PnCounter,
    lww_value: crate::crdt::LwwRegister<crate::crdt::Value>,
    lww_u8: crate::crdt::LwwRegister<u8>,
    mvreg: crate::crdt::MvRegister<crate::crdt::Value>,
    orset_u8: crate::crdt::OrSet<u8>,
    orset_value: crate::crdt::OrSet<crate::crdt::Value>,
    map: crate::crdt::OrMap,
    any: crate::crdt::AnyCrdt,
}
