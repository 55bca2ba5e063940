//! Clocks in `ydoc`: the bound ([`MAX_CLOCK`]), and a replica's own clocks.
//!
//! The bound: yrs 0.28.1 computes a struct's distance to
//! the document's clock in `i32` (`Update::integrate`), so a struct at a clock of 2^31
//! or more, landing past what the document holds, was integrated without the skip
//! that must precede it, and `BlockStore::push` unwrapped `None` (a panic on input
//! from the network, by direct integration and through `apply_rebuilt`). Such clocks
//! are refused; a struct past a gap below the bound is integrated as yrs integrates
//! honest ones (behind a skip), in either order and through either path.
//!
//! Own clocks: yrs numbers a local edit from the structs of the replica's client it
//! has integrated; a replica whose earlier edits wait for predecessors again (after a
//! rebuild of a document holding a gap) must not edit, or its edit reuses their ids.

use crate::crdt::ydoc::{MAX_CLOCK, validate_update};
use crate::crdt::{CrdtError, DeltaCrdt, DeltaMerger, OpContext, Registry, YDoc, YOp};
use crate::wire::ReplicaId;

/// A lib0 unsigned varint.
fn var(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// An update holding one GC range of client 1 at `clock`, `len` long (no deletions).
fn gc(clock: u64, len: u64) -> Vec<u8> {
    let mut u = vec![1, 1, 1];
    var(clock, &mut u);
    u.push(0);
    var(len, &mut u);
    u.push(0);
    u
}

/// Client 1's "hi" in root text "t" at clocks 0..2.
const HI: [u8; 12] = [1, 1, 1, 0, 4, 1, 1, 0x74, 2, 0x68, 0x69, 0];
/// Client 1's "hi" at clocks 1..3 (clock 0 missing: a document holding it has a gap).
const HI_AT_1: [u8; 12] = [1, 1, 1, 1, 4, 1, 1, 0x74, 2, 0x68, 0x69, 0];

fn rejected(bytes: &[u8]) -> String {
    match validate_update(bytes) {
        Err(CrdtError::Rejected { reason, .. }) => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// The fuzz input (fuzz/seeds/ydoc_update): "hi" and a GC range of client 1 at clock
/// 2,683,846,655 (98,303 long). Before the bound, merging it panicked inside yrs.
#[test]
fn a_struct_at_a_clock_past_2_pow_31_is_refused_not_a_panic() {
    let forged = [
        1, 1, 1, 0xff, 0xff, 0xe0, 0xff, 0x09, 0, 0xff, 0xff, 0x05, 0,
    ];
    assert_eq!(forged.to_vec(), gc(2_683_846_655, 98_303));
    assert_eq!(rejected(&forged), "clock beyond 2^31 - 1");
    let mut doc = YDoc::decode(&HI).unwrap();
    assert!(matches!(
        doc.merge_encoded(&forged),
        Err(CrdtError::Rejected { tag: "ydoc", .. })
    ));
    assert_eq!(doc.text("t"), "hi");
    let mut held = YDoc::decode(&HI_AT_1).unwrap();
    assert!(held.has_pending());
    assert!(held.merge_encoded(&forged).is_err());
    let registry = Registry::with_builtin();
    assert!(registry.merge_many("ydoc", &HI, &[&forged]).is_err());
    assert!(YDoc::decode(&forged).is_err());
}

/// Every place a clock is read: a struct section's start and end, an origin, a
/// deleted range.
#[test]
fn the_clock_bound_holds_for_every_clock_read() {
    let max = u64::from(MAX_CLOCK);
    validate_update(&gc(max - 1, 1)).unwrap();
    assert_eq!(rejected(&gc(max, 1)), "clock beyond 2^31 - 1");
    assert_eq!(rejected(&gc(max + 1, 1)), "clock beyond 2^31 - 1");
    assert_eq!(rejected(&gc(0, max + 1)), "clock beyond 2^31 - 1");
    // An item of client 2 whose left origin is client 1 at clock 2^31.
    let mut origin = vec![1, 1, 2, 0, 0x84, 1];
    var(max + 1, &mut origin);
    origin.extend([1, 0x78, 0]);
    assert_eq!(rejected(&origin), "clock beyond 2^31 - 1");
    // Deleted ranges: ending at the bound, and past it.
    let ds = |clock: u64, len: u64| {
        let mut u = vec![0, 1, 1, 1];
        var(clock, &mut u);
        var(len, &mut u);
        u
    };
    validate_update(&ds(max - 1, 1)).unwrap();
    assert_eq!(rejected(&ds(max, 1)), "clock beyond 2^31 - 1");
    assert_eq!(rejected(&ds(1, max)), "clock beyond 2^31 - 1");
}

/// GC ranges are honest, and one past a gap (up to the bound) is integrated behind a
/// skip: into a document holding "hi", into an empty one, and through the rebuilt
/// path of a document holding a gap; "hi" then fills the gap where it was missing.
#[test]
fn a_gc_range_past_a_gap_up_to_the_bound_is_integrated() {
    let max = u64::from(MAX_CLOCK);
    for far in [gc(1000, 5), gc(max - 98_303, 98_303), gc(max - 1, 1)] {
        let mut after_hi = YDoc::decode(&HI).unwrap();
        assert!(after_hi.merge_encoded(&far).unwrap());
        assert!(after_hi.has_pending(), "the GC range waits behind a gap");
        let mut before_hi = YDoc::decode(&far).unwrap();
        assert!(before_hi.has_pending());
        assert!(before_hi.merge_encoded(&HI).unwrap());
        assert_eq!(after_hi, before_hi);
        assert_eq!(before_hi.text("t"), "hi");
        let mut rebuilt = YDoc::decode(&HI_AT_1).unwrap();
        assert!(rebuilt.merge_encoded(&far).unwrap());
        // "hi" at 1..3 needs nothing before it: yrs integrates it behind a skip.
        assert_eq!(rebuilt.text("t"), "hi");
        assert!(rebuilt.has_pending());
        for doc in [&after_hi, &before_hi, &rebuilt] {
            validate_update(&doc.encode().unwrap()).unwrap();
        }
        let many = Registry::with_builtin()
            .merge_many("ydoc", &HI, &[&far])
            .unwrap()
            .unwrap();
        assert_eq!(YDoc::decode(&many).unwrap(), after_hi);
    }
}

fn write(key: &'static str, value: i64) -> YOp {
    YOp::transact(move |txn| {
        use yrs::{Map, WriteTxn};
        txn.get_or_insert_map("m").insert(txn, key, value);
    })
}

/// Found by `three_replicas_converge_under_any_delivery` (1 run in 365): replica 2
/// types "bc" before client 1's "a", which it holds ahead of a gap (yrs integrated it
/// early); client 1's second map write then arrives without the first, the document
/// is rebuilt and "a", and with it "bc", wait again. yrs would number replica 2's
/// next edit from clock 0 again, a second struct under the id of "bc": the replicas
/// then never agreed. The edit is refused until the gap is filled.
#[test]
fn a_replica_whose_own_edits_wait_does_not_reuse_their_ids() {
    let ctx = |r: u64| OpContext::new(ReplicaId(r), 0);
    let mut one = YDoc::default();
    let first = one.apply(write("k", 0), &ctx(1)).unwrap();
    let second = one.apply(write("k", 1), &ctx(1)).unwrap();
    let a = one.apply(YOp::insert_text("u", 0, "a"), &ctx(1)).unwrap();
    let mut two = YDoc::default();
    assert!(two.merge(&a));
    assert_eq!(two.text("u"), "a", "integrated ahead of the gap");
    let bc = two.apply(YOp::insert_text("u", 0, "bc"), &ctx(2)).unwrap();
    assert!(two.merge(&second));
    assert!(two.has_pending());
    let refused = two.apply(write("j", 2), &ctx(2));
    assert!(
        matches!(refused, Err(CrdtError::Rejected { tag: "ydoc", .. })),
        "{refused:?}"
    );
    assert!(two.merge(&first));
    assert!(!two.has_pending());
    let j = two.apply(write("j", 2), &ctx(2)).unwrap();
    for d in [&j, &bc, &a] {
        one.merge(d);
    }
    assert_eq!(one, two);
    assert_eq!((one.text("u"), two.text("u")), ("bca".into(), "bca".into()));
}
