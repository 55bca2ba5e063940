//! The `ydoc` type (feature `ydoc`): the merge laws, convergence under any delivery
//! order and duplication, delta grouping and garbage handling (quickcheck, as for the
//! other types), with equality and `merge_many` compared semantically (two documents
//! holding the same structs may lay out their blocks differently); text semantics;
//! the bounds of the pre-decode check; the examples of docs/CRDTS.md.

use quickcheck::{Gen, QuickCheck, TestResult};

use super::harness::{Script, run};
use super::laws::{Pairwise, convergence, decode_never_panics, delta_grouping, join_laws, qc};
use crate::crdt::ydoc::{MAX_ANY_DEPTH, validate_update};
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

/// One root text "t" holding "hi", written by client 1: the example of docs/CRDTS.md.
pub(super) const HI: &str = "0101010004010174026869 00";

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn documented_examples_decode() {
    let mut a = T::default();
    let d = a.apply(YOp::insert_text("t", 0, "hi"), &ctx(1)).unwrap();
    assert_eq!(d.encode().unwrap(), hex(HI));
    assert_eq!(T::decode(&hex(HI)).unwrap().text("t"), "hi");
    assert_eq!(T::default().encode().unwrap(), hex("0000"));
    let del = a.apply(YOp::delete_text("t", 0, 1), &ctx(1)).unwrap();
    assert_eq!(del.encode().unwrap(), hex("00 01 01 01 00 01"));
    a.merge(&del);
    assert_eq!(a.text("t"), "i");
}

fn rejected(bytes: &[u8]) -> String {
    match validate_update(bytes) {
        Err(CrdtError::Rejected { reason, .. }) => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn bounds_are_explicit_rejections() {
    // A client id of 2^53 (yrs would trip a debug assertion).
    assert_eq!(
        rejected(&hex("01 01 8080808080808010 00 0401017402686900")),
        "client id beyond 53 bits"
    );
    // A clock plus a length past u32::MAX.
    assert_eq!(
        rejected(&hex("01 01 01 ffffffff0f 0401017402686900")),
        "clock overflow"
    );
    // Legacy JSON content, sub-documents: unsupported.
    assert_eq!(
        rejected(&hex("01 01 01 00 020101740100 00")),
        "unsupported content kind 2"
    );
    // A count larger than the bytes left.
    assert_eq!(rejected(&hex("01 ffff03 01 00")), "update truncated");
    // Trailing bytes.
    assert_eq!(
        rejected(&hex("0000 00")),
        "trailing bytes after the delete set"
    );
    // Any nested deeper than MAX_ANY_DEPTH.
    let mut deep = hex("01 01 01 00 08 01 01 74 01");
    deep.extend(std::iter::repeat_n(0x75_u8, MAX_ANY_DEPTH + 1).flat_map(|t| [t, 1]));
    deep.extend([0x7e, 0x00]);
    assert_eq!(
        rejected(&deep),
        format!("Any nesting: more than {MAX_ANY_DEPTH}")
    );
    // Oversized input.
    let big = vec![0u8; crate::crdt::MAX_ENCODED_BYTES + 1];
    assert!(matches!(
        validate_update(&big),
        Err(CrdtError::TooLarge { .. })
    ));
}

#[test]
fn the_hub_registry_validates_ydoc_payloads() {
    let r = Registry::with_builtin();
    assert!(r.contains("ydoc"));
    assert!(r.validate("ydoc", &hex(HI)).is_ok());
    assert!(r.validate("ydoc", &[0xff, 0x00]).is_err());
    assert_eq!(r.empty_state("ydoc").unwrap(), hex("0000"));
}

#[test]
fn a_document_applies_local_ydoc_operations_and_refuses_oversized_ones() {
    use crate::crdt::Document;
    let mut doc = Document::<YDoc>::new(ReplicaId(5));
    let bytes = doc.apply_local(YOp::insert_text("t", 0, "hi"), 0).unwrap();
    assert!(validate_update(&bytes).is_ok());
    assert_eq!(doc.state().text("t"), "hi");
    doc.set_max_delta_bytes(16);
    let long = "x".repeat(64);
    assert!(matches!(
        doc.apply_local(YOp::insert_text("t", 0, &long), 0),
        Err(CrdtError::TooLarge { .. })
    ));
    assert_eq!(doc.state().text("t"), "hi");
}
