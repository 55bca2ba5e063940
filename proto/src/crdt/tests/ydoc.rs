//! The `ydoc` type (feature `ydoc`): the merge laws, convergence under any delivery
//! order and duplication, delta grouping and garbage handling (quickcheck, as for the
//! other types), with equality and `merge_many` compared semantically (two documents
//! holding the same structs may lay out their blocks differently); text semantics;
//! a document applying local operations. The bytes (examples, bounds) are in `ydoc_wire`.

use quickcheck::{Gen, QuickCheck, TestResult};

use super::harness::{Script, run};
use super::laws::{Pairwise, convergence, decode_never_panics, delta_grouping, join_laws, qc};
use crate::crdt::ydoc::validate_update;
use crate::crdt::{CrdtError, DeltaCrdt, DeltaMerger, OpContext, Registry, YDoc, YOp};
use crate::wire::ReplicaId;

type T = YDoc;

// yrs 0.28 keeps a struct whose same-client predecessors are missing behind a skip
// in its block store and may integrate it before they arrive (a map write can then
// win over a concurrent one early), so two documents holding such structs, reached
// through different orders, can differ until the predecessors arrive. The join laws
// are therefore checked on values that hold none (`has_pending`); convergence, where
// everything is delivered, is checked over every order and duplication.

fn no_held(script: &Script<T>, picks: &[u8]) -> bool {
    let r = run(script);
    let pool = r.pool();
    let deltas = r.deltas.len().max(1);
    pool.iter().all(|v| !v.has_pending())
        && picks.iter().all(|p| {
            !r.deltas
                .get(usize::from(*p) % deltas)
                .is_some_and(YDoc::has_pending)
        })
}

fn laws_without_held(script: Script<T>, i: u8, j: u8, k: u8) -> TestResult {
    if !no_held(&script, &[]) {
        return TestResult::discard();
    }
    TestResult::from_bool(join_laws::<T>(script, i, j, k))
}

fn grouping_without_held(script: Script<T>, s: u8, i: u8, j: u8) -> TestResult {
    if !no_held(&script, &[i, j]) {
        return TestResult::discard();
    }
    TestResult::from_bool(delta_grouping::<T>(script, s, i, j))
}

#[test]
fn merge_is_commutative_associative_idempotent() {
    qc().quickcheck(laws_without_held as fn(Script<T>, u8, u8, u8) -> TestResult);
}

#[test]
fn merging_deltas_first_equals_applying_one_by_one() {
    qc().quickcheck(grouping_without_held as fn(Script<T>, u8, u8, u8) -> TestResult);
}

/// Three replicas that already hold parts of the history converge once every delta
/// reaches each of them in an order consistent with causality (creation order: a
/// delta can only depend on earlier ones), each duplicated anywhere after its first
/// delivery, as the hub's log delivers them (resends and resyncs duplicate).
fn causal_convergence(script: Script<T>, dups: Vec<u16>) -> bool {
    let mut r = run(&script);
    let n = r.deltas.len();
    for (x, replica) in r.replicas.iter_mut().enumerate() {
        let mut order: Vec<usize> = (0..n).collect();
        for d in dups.iter().filter(|_| n > 0) {
            let i = usize::from(*d) % n;
            let first = order.iter().position(|&k| k == i).unwrap_or(0);
            let at = first + 1 + (usize::from(*d) + x) % (order.len() - first);
            order.insert(at, i);
        }
        for i in order {
            replica.merge(&r.deltas[i]);
        }
    }
    let mut fresh = T::default();
    for d in &r.deltas {
        fresh.merge(d);
    }
    let texts = |v: &T| (v.text("t"), v.text("u"));
    r.replicas
        .iter()
        .all(|v| *v == fresh && texts(v) == texts(&fresh))
}

#[test]
fn three_replicas_converge_under_causal_delivery_with_duplicates() {
    qc().quickcheck(causal_convergence as fn(Script<T>, Vec<u16>) -> bool);
}

/// Any delivery order at all, as for the CBOR types. yrs 0.28 integrates a struct
/// received before its same-client predecessors early, and may leave one pending for
/// good (CRDTS.md "Known limits"): this failed about 1 run in 10 until updates to a
/// document holding a gap were merged as updates (`apply_rebuilt`), then 1 run in 365
/// until a replica whose own edits wait again was kept from reusing their ids
/// (`ydoc_clock.rs`), then 0 in 1,400 runs (random seeds, 250 scripts each).
#[test]
fn three_replicas_converge_under_any_delivery() {
    qc().quickcheck(convergence::<T> as fn(Script<T>, Vec<u16>) -> bool);
}

#[test]
fn decoding_garbage_is_an_error_not_a_panic() {
    qc().quickcheck(decode_never_panics::<T> as fn(Script<T>, Vec<u8>, Vec<(u16, u8)>) -> bool);
}

/// The hub's `merge_many` (decode the snapshot once, apply every update, encode once)
/// holds the same document as merging the updates in one at a time, and the encoded
/// state decodes back to an equal document with the same text.
fn merge_many_and_round_trip(script: Script<T>, s: u8) -> TestResult {
    if !no_held(&script, &[]) {
        return TestResult::discard();
    }
    TestResult::from_bool(merge_many_and_round_trip_held_free(script, s))
}

fn merge_many_and_round_trip_held_free(script: Script<T>, s: u8) -> bool {
    let r = run(&script);
    let registry = Registry::with_builtin();
    let base = r.replicas[usize::from(s) % 3].encode().expect("encode");
    let deltas: Vec<Vec<u8>> = r
        .deltas
        .iter()
        .map(|d| d.encode().expect("encode"))
        .collect();
    let refs: Vec<&[u8]> = deltas.iter().map(Vec::as_slice).collect();
    let many = registry
        .merge_many("ydoc", &base, &refs)
        .expect("merge_many");
    let pairwise = Pairwise(&registry)
        .merge_many("ydoc", &base, &refs)
        .expect("pairwise");
    let (Some(many), Some(pairwise)) = (many, pairwise) else {
        return false;
    };
    let (a, b) = (
        T::decode(&many).expect("many"),
        T::decode(&pairwise).expect("pw"),
    );
    let round = r.pool().into_iter().all(|v| {
        let back = T::decode(&v.encode().expect("encode")).expect("decode");
        back == *v && back.text("t") == v.text("t")
    });
    a == b && a.text("t") == b.text("t") && round
}

#[test]
fn merge_many_equals_pairwise_and_states_round_trip() {
    qc().quickcheck(merge_many_and_round_trip as fn(Script<T>, u8) -> TestResult);
}

/// Random bytes never pass validation by accident in a way that panics later:
/// whatever validates also decodes and merges.
fn validated_bytes_decode(noise: Vec<u8>) -> bool {
    match validate_update(&noise) {
        Ok(_) => T::decode(&noise).is_ok_and(|d| {
            let mut s = T::default();
            s.merge(&d);
            true
        }),
        Err(_) => T::decode(&noise).is_err(),
    }
}

#[test]
fn validation_and_decoding_agree_on_noise() {
    QuickCheck::new()
        .tests(2000)
        .rng(Gen::new(64))
        .quickcheck(validated_bytes_decode as fn(Vec<u8>) -> bool);
}

fn ctx(r: u64) -> OpContext {
    OpContext::new(ReplicaId(r), 0)
}

#[test]
fn concurrent_typing_converges_to_one_text() {
    let (mut a, mut b) = (T::default(), T::default());
    let da = a.apply(YOp::insert_text("t", 0, "hello"), &ctx(1)).unwrap();
    b.merge(&da);
    let d1 = a
        .apply(YOp::insert_text("t", 5, " world"), &ctx(1))
        .unwrap();
    let d2 = b.apply(YOp::insert_text("t", 0, "¡"), &ctx(2)).unwrap();
    let d3 = b.apply(YOp::delete_text("t", 1, 1), &ctx(2)).unwrap();
    for d in [&d2, &d3] {
        a.merge(d);
    }
    b.merge(&d1);
    assert_eq!(a.text("t"), "¡ello world");
    assert_eq!(a.text("t"), b.text("t"));
    assert_eq!(a, b);
}

#[test]
fn text_indices_are_characters_and_out_of_range_is_an_error() {
    let mut a = T::default();
    a.apply(YOp::insert_text("t", 0, "😀é"), &ctx(1)).unwrap();
    a.apply(YOp::insert_text("t", 1, "x"), &ctx(1)).unwrap();
    assert_eq!(a.text("t"), "😀xé");
    assert_eq!(
        a.apply(YOp::insert_text("t", 4, "y"), &ctx(1)),
        Err(CrdtError::OutOfRange { index: 4, len: 3 })
    );
    assert_eq!(a.text("t"), "😀xé", "a refused operation changes nothing");
    a.apply(YOp::delete_text("t", 0, 2), &ctx(1)).unwrap();
    assert_eq!(a.text("t"), "é");
}

#[test]
fn prepare_leaves_the_state_unchanged() {
    let a = T::default();
    let delta = a.prepare(YOp::insert_text("t", 0, "x"), &ctx(7)).unwrap();
    assert_eq!(a.text("t"), "");
    assert_eq!(delta.text("t"), "x");
}

#[test]
fn an_update_made_elsewhere_is_a_local_operation() {
    use yrs::{Text, Transact, WriteTxn};
    let other = yrs::Doc::with_client_id(42);
    let update = {
        let mut txn = other.transact_mut();
        let t = txn.get_or_insert_text("t");
        t.insert(&mut txn, 0, "from yrs");
        txn.encode_update_v1()
    };
    let mut a = T::default();
    let delta = a.apply(YOp::Update(update.clone()), &ctx(1)).unwrap();
    assert_eq!(a.text("t"), "from yrs");
    assert_eq!(delta.encode().unwrap(), update);
}

#[test]
fn a_diff_holds_what_a_state_vector_lacks() {
    let mut a = T::default();
    a.apply(YOp::insert_text("t", 0, "hello"), &ctx(1)).unwrap();
    let seen = a.state_vector_v1();
    let mut b = T::decode(&a.encode().unwrap()).unwrap();
    a.apply(YOp::insert_text("t", 5, " world"), &ctx(1))
        .unwrap();
    a.apply(YOp::delete_text("t", 0, 1), &ctx(1)).unwrap();
    let diff = a.encode_diff_v1(&seen).unwrap();
    let stats = validate_update(&diff).unwrap();
    assert_eq!(stats.structs, 1, "only the struct past the state vector");
    assert!(b.merge_encoded(&diff).unwrap());
    assert_eq!(b.text("t"), "ello world");
    assert_eq!(a, b);
    // Nothing new: the diff holds no structs; applying it changes nothing.
    let again = a.encode_diff_v1(&a.state_vector_v1()).unwrap();
    assert!(!b.merge_encoded(&again).unwrap());
    // The empty state vector gives the whole document.
    let whole = a.encode_diff_v1(&T::default().state_vector_v1()).unwrap();
    assert_eq!(T::decode(&whole).unwrap(), a);
    assert!(matches!(
        a.encode_diff_v1(&[0xff]),
        Err(CrdtError::Decode { .. })
    ));
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The fuzz reproducer of yrs 0.28.1's use-after-free (docs/CRDTS.md, known limits;
/// fuzz/seeds/ydoc_update): `a` holds "hi" as client 1, clocks 1..3, with clock 0
/// missing (a gap); `b` claims clocks 0..4 of client 1 with other content (deleted,
/// under another root). A document holding the gap does not integrate `b` into itself
/// (`apply_rebuilt`), which is where yrs read freed memory (AddressSanitizer:
/// `cargo +nightly fuzz run ydoc_update fuzz/seeds/ydoc_update`). Without a sanitizer
/// this only shows that every path runs through and what it yields passes the check.
#[test]
fn a_forged_update_over_a_gap_is_not_integrated_into_the_held_document() {
    let a = unhex("01 01 01 01 04 01 01 74 02 68 69 00");
    let b = unhex("01 01 01 00 01 01 01 00 04 01 01 00");
    for (first, second) in [(&a, &b), (&b, &a)] {
        let mut x = T::decode(first).unwrap();
        x.merge_encoded(second).unwrap();
        validate_update(&x.encode().unwrap()).unwrap();
    }
    let registry = Registry::with_builtin();
    let many = registry.merge_many("ydoc", &a, &[&b]).unwrap().unwrap();
    validate_update(&many).unwrap();
}

/// Honest updates arriving out of order go through the same path while the gap is
/// open: the predecessor alone, or a peer's whole state as one struct spanning the
/// gap and what is held, fill it.
#[test]
fn honest_updates_fill_a_gap_through_the_rebuilt_path() {
    use yrs::{Text, Transact, WriteTxn};
    let peer = yrs::Doc::with_client_id(1);
    let step = |at: u32, s: &str| {
        let mut txn = peer.transact_mut();
        let t = txn.get_or_insert_text("t");
        t.insert(&mut txn, at, s);
        txn.encode_update_v1()
    };
    let (u1, u2, u3) = (step(0, "X"), step(1, "hi"), step(3, "!"));
    let whole = {
        use yrs::ReadTxn;
        peer.transact()
            .encode_state_as_update_v1(&yrs::StateVector::default())
    };
    // The second and third edits first: held behind the gap at clock 0.
    let mut held = T::decode(&u2).unwrap();
    held.merge_encoded(&u3).unwrap();
    assert!(held.has_pending());
    let mut by_one = held.clone();
    assert!(by_one.merge_encoded(&u1).unwrap());
    assert_eq!(by_one.text("t"), "Xhi!");
    assert!(!by_one.has_pending());
    let mut by_whole = held.clone();
    assert!(by_whole.merge_encoded(&whole).unwrap());
    assert_eq!(by_whole.text("t"), "Xhi!");
    assert!(!by_whole.has_pending());
    assert_eq!(by_one, by_whole);
    // Once complete, an update again goes straight into the document.
    assert!(by_one.merge_encoded(&step(4, "?")).unwrap());
    assert_eq!(by_one.text("t"), "Xhi!?");
}
