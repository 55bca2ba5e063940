//! Acks carry the offset of the acknowledged entry and take its place in the
//! origin's live stream; delta payloads are validated against the room's CRDT type.

use std::sync::Arc;

use bytes::Bytes;

use super::harness::*;
use crate::crdt::{Document, GCounter, GCounterOp, Registry};
use crate::hub::*;
use crate::wire::*;

/// What a member sees of the log, in arrival order: `(offset, Some(seq))` for an
/// ack, `(offset, None)` for a delta of another replica.
fn stream(frames: &[Frame]) -> Vec<(Option<u64>, Option<u64>)> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Ack(a) => Some((a.offset, Some(a.seq))),
            Frame::HubDelta(d) => Some((Some(d.offset), None)),
            _ => None,
        })
        .collect()
}

#[test]
fn acks_carry_the_offset_at_its_place_in_log_order() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.take(a);
    h.hold_storage = true;
    h.delta(a, "r", 1, 1, sum(1)); // offset 0
    h.delta(b, "r", 2, 1, sum(1)); // offset 1
    h.delta(a, "r", 1, 2, sum(1)); // offset 2
    h.release_storage();
    assert_eq!(
        stream(&h.take(a)),
        vec![(Some(0), Some(1)), (Some(1), None), (Some(2), Some(2))],
        "every offset once, in order: no gap for the origin"
    );
    assert_eq!(
        stream(&h.take(b)),
        vec![(Some(0), None), (Some(1), Some(1)), (Some(2), None)]
    );
}

#[test]
fn a_duplicate_of_a_durable_delta_is_reacked_without_offset() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.delta(a, "r", 1, 1, sum(1));
    assert_eq!(stream(&h.take(a)), vec![(Some(0), Some(1))]);
    h.delta(a, "r", 1, 1, sum(1));
    assert_eq!(stream(&h.take(a)), vec![(None, Some(1))]);
}

#[test]
fn an_undecodable_payload_is_rejected_malformed_and_never_logged() {
    let mut h = Harness::with(HubConfig {
        merger: Arc::new(Registry::with_builtin()),
        ..config()
    });
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "c", "gcounter", None);
    h.join(b, "c", "gcounter", None);
    h.take(a);
    let garbage = Bytes::from_static(&[0xff, 0x00, 0x13]);
    h.send(a, delta("c", "gcounter", 1, 1, garbage));
    let frames = h.take(a);
    assert!(
        matches!(frames.as_slice(), [Frame::Reject(r)]
            if r.code == ErrorCode::MALFORMED && r.seq == Some(1)
                && r.room == Some(RoomId::new("c"))),
        "{frames:?}"
    );
    assert!(h.closed.is_empty(), "the session stays open");
    assert!(h.take(b).is_empty(), "nothing reaches the other members");
    assert_eq!(h.storage.entry_count(&RoomId::new("c")), 0);
    // A valid gcounter delta from the same session is accepted afterwards.
    let mut doc = Document::<GCounter>::new(ReplicaId(1));
    let valid = Bytes::from(doc.apply_local(GCounterOp::Increment(1), 0).unwrap());
    // The refused sequence is not skipped: the next delta must reuse it.
    h.send(a, delta("c", "gcounter", 1, 2, valid.clone()));
    let fa = h.take(a);
    assert!(
        matches!(fa.as_slice(), [Frame::Reject(r)] if r.code == ErrorCode::SEQ_GAP && r.seq == Some(2)),
        "{fa:?}"
    );
    h.send(a, delta("c", "gcounter", 1, 1, valid));
    let fa = h.take(a);
    assert_eq!(stream(&fa), vec![(Some(0), Some(1))], "{fa:?}");
    assert_eq!(deltas(&h.take(b)), vec![(0, 1, 1)]);
    // Types the registry does not know are refused at the join: no room holds
    // payloads nobody checks.
    let refused = h.join(a, "s", "sum", None);
    assert!(
        matches!(refused.as_slice(), [Frame::Reject(r)]
            if r.code == ErrorCode::CRDT_MISMATCH && r.room == Some(RoomId::new("s"))),
        "{refused:?}"
    );
    assert_eq!(h.hub.room_count(), 1, "no room was created");
    h.delta(a, "s", 1, 1, Bytes::from_static(b"opaque"));
    assert_eq!(rejects(&h.take(a)), vec![ErrorCode::UNKNOWN_ROOM]);
}
