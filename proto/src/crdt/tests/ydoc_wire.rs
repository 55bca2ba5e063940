//! The `ydoc` type's bytes: the examples of docs/CRDTS.md (checked to be printed
//! there byte for byte, and decoded), the explicit rejections of the bounded check,
//! and the registry's handling of `ydoc` payloads as the hub uses it.

use crate::crdt::ydoc::{MAX_ANY_DEPTH, validate_update};
use crate::crdt::{CrdtError, DeltaCrdt, OpContext, Registry, YDoc, YOp};
use crate::wire::ReplicaId;

type T = YDoc;

fn ctx(r: u64) -> OpContext {
    OpContext::new(ReplicaId(r), 0)
}

/// One root text "t" holding "hi", written by client 1: the example of docs/CRDTS.md.
const HI: &str = "0101010004010174026869 00";

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The hex examples as docs/CRDTS.md prints them (checked to be there, byte for byte).
const DOCUMENTED: [&str; 4] = [
    "0000",
    "01 01 01 00 04 01 01 74 02 68 69 00",
    "00 01 01 01 00 01",
    "01 01 8080808080808010 00 04 01 01 74 02 68 69 00",
];

#[test]
fn the_documented_examples_are_in_crdts_md() {
    let doc = include_str!("../../../../docs/CRDTS.md");
    for ex in DOCUMENTED {
        assert!(doc.contains(&format!("`{ex}`")), "CRDTS.md lacks `{ex}`");
    }
    assert_eq!(hex(DOCUMENTED[1]), hex(HI));
    assert!(validate_update(&hex(DOCUMENTED[3])).is_err());
}

#[test]
fn documented_examples_decode() {
    let mut a = T::default();
    let d = a.apply(YOp::insert_text("t", 0, "hi"), &ctx(1)).unwrap();
    assert_eq!(d.encode().unwrap(), hex(HI));
    assert_eq!(T::decode(&hex(HI)).unwrap().text("t"), "hi");
    assert_eq!(T::default().encode().unwrap(), hex(DOCUMENTED[0]));
    let del = a.apply(YOp::delete_text("t", 0, 1), &ctx(1)).unwrap();
    assert_eq!(del.encode().unwrap(), hex(DOCUMENTED[2]));
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
    // A clock past MAX_CLOCK (2^31 - 1; here u32::MAX).
    assert_eq!(
        rejected(&hex("01 01 01 ffffffff0f 0401017402686900")),
        "clock beyond 2^31 - 1"
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
    // One client in two struct sections (the fuzz input that overflowed yrs's
    // BlockStore::push: client 127 as GC 99..226, then again as GC 99..354).
    assert_eq!(
        rejected(&hex(
            "04 01 ff00 63 00 ff00 00 01 01 00 01 a82c 01 ff00 63 00 ff01 00"
        )),
        "client listed twice"
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

/// A fuzz finding (`ydoc_update`): an update that passes the bounded scan and yrs's
/// decoder, but whose item names as its parent another struct of the same update that
/// is a string, not a type. yrs refuses to integrate it (`InvalidParent`), so no
/// replica could load it: the hub's check refuses it too, exactly as decoding does.
#[test]
fn an_update_no_document_can_load_is_refused_by_the_hubs_check_too() {
    let bytes = hex(
        "04 01 ff 00 63 01 00 00 01 01 01 04 01 01 74 02 68 69 00 01 01 01 00 01 03 01 00 \
         04 01 01 00 00 01 02 00",
    );
    assert!(T::decode(&bytes).is_err(), "no document loads it");
    assert!(validate_update(&bytes).is_err(), "so the check refuses it");
    let registry = Registry::with_builtin();
    assert!(registry.validate("ydoc", &bytes).is_err());
}

/// A forged delta: client 2's item names client 1's string `"h"` as its parent. It
/// passes the check on its own (alone, the parent is missing, so it waits), but no
/// document holding that string integrates it. Replicas count it as an apply error and
/// go on; the hub's fold skips it the same way, so compaction does not stop at it for
/// ever and the snapshot is what replicas hold.
#[test]
fn the_fold_skips_a_delta_no_replica_can_apply_as_replicas_do() {
    let forged = hex("01 01 02 00 04 00 01 00 01 78 00");
    // Client 1 appends "!" after its "i".
    let next = hex("01 01 01 02 84 01 01 01 21 00");
    assert!(validate_update(&forged).is_ok());
    let mut replica = T::decode(&hex(HI)).unwrap();
    assert!(replica.merge_encoded(&forged).is_err());
    assert!(replica.merge_encoded(&next).unwrap());
    assert_eq!(replica.text("t"), "hi!");
    let registry = Registry::with_builtin();
    let folded =
        crate::crdt::DeltaMerger::merge_many(&registry, "ydoc", &hex(HI), &[&forged, &next])
            .unwrap()
            .expect("ydoc is registered");
    assert_eq!(T::decode(&folded).unwrap(), replica);
}
