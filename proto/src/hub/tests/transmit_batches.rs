//! Output handed out a session at a time: `poll_transmit_batch` gives the same frames
//! as `poll_transmit`, in the same per-session order, the two can be mixed, and the
//! frames queued for a session before it closed still come out before its close.

use bytes::Bytes;

use super::harness::*;
use crate::wire::*;

/// A and B joined to room "r"; A's three deltas are durable but nothing is polled.
fn three_deltas_completed() -> (Harness, SessionId, SessionId) {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.take(a);
    h.hold_storage = true;
    for seq in 1..=3 {
        h.delta(a, "r", 1, seq, sum(seq));
    }
    while let Some(done) = h.storage.release_next() {
        h.hub.handle_storage(h.now, done);
    }
    (h, a, b)
}

fn decode(frames: &[Bytes]) -> Vec<Frame> {
    frames.iter().map(|b| Frame::decode(b).unwrap()).collect()
}

/// The sequences the frames carry, in order: acks for the origin, the others' entries
/// (one `DeltaBatch` for a turn's run of entries, `HubDelta` otherwise).
fn seqs(frames: &[Frame]) -> Vec<u64> {
    frames
        .iter()
        .flat_map(|f| match f {
            Frame::Ack(x) => vec![x.seq],
            Frame::HubDelta(x) => vec![x.seq],
            Frame::DeltaBatch(x) => x.entries.iter().map(|e| e.seq).collect(),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[test]
fn a_batch_holds_every_frame_queued_for_its_session_in_order() {
    let (mut h, a, b) = three_deltas_completed();
    let mut batches = Vec::new();
    while let Some((sid, frames)) = h.hub.poll_transmit_batch() {
        batches.push((sid, decode(&frames)));
    }
    assert_eq!(batches.len(), 2, "one batch per session");
    for (sid, frames) in batches {
        assert_eq!(seqs(&frames), [1, 2, 3]);
        if sid == a {
            assert!(
                frames.iter().all(|f| matches!(f, Frame::Ack(_))),
                "{frames:?}"
            );
        } else {
            assert_eq!(sid, b);
            // The turn's three entries, encoded once for every member in step.
            assert!(matches!(frames.as_slice(), [Frame::DeltaBatch(x)] if x.first_offset == 0));
        }
    }
    assert!(h.hub.poll_transmit().is_none());
    h.hub.check_invariants().unwrap();
}

#[test]
fn frame_by_frame_and_batches_mix_without_loss_or_reordering() {
    let (mut h, _, _) = three_deltas_completed();
    // Take one frame, then the rest of that session's output as a batch.
    let (sid, first) = h.hub.poll_transmit().unwrap();
    let (same, rest) = h.hub.poll_transmit_batch().unwrap();
    assert_eq!(sid, same, "the rest of the started batch comes first");
    assert_eq!(rest.len(), 2);
    let mut all = vec![first];
    all.extend(rest);
    assert_eq!(seqs(&decode(&all)), [1, 2, 3]);
    // Then the other session's whole output.
    let (other, frames) = h.hub.poll_transmit_batch().unwrap();
    assert_ne!(other, sid);
    assert_eq!(seqs(&decode(&frames)), [1, 2, 3]);
    assert!(h.hub.poll_transmit_batch().is_none());
    h.hub.check_invariants().unwrap();
}

#[test]
fn output_queued_before_a_close_is_still_handed_out() {
    let mut h = Harness::new();
    let s = h.open();
    // No common version: a Reject is queued, then the session is torn down.
    let mut hello = hello(1);
    if let Frame::Hello(x) = &mut hello {
        x.versions = vec![u32::MAX];
    }
    h.hub.handle_frame(h.now, s, &hello.encode());
    assert_eq!(h.hub.session_count(), 0, "torn down");
    let (sid, frames) = h.hub.poll_transmit_batch().expect("the rejection");
    assert_eq!(sid, s);
    assert!(matches!(
        decode(&frames).as_slice(),
        [Frame::Reject(r)] if r.code == ErrorCode::UNSUPPORTED_VERSION
    ));
    assert_eq!(
        h.hub.poll_close(),
        Some((s, CloseCode::UNSUPPORTED_VERSION))
    );
    assert!(h.hub.poll_transmit_batch().is_none());
    h.hub.check_invariants().unwrap();
}

#[test]
fn poll_output_hands_out_a_rejection_before_its_close_and_then_nothing() {
    let mut h = Harness::new();
    let s = h.open();
    let mut hello = hello(1);
    if let Frame::Hello(x) = &mut hello {
        x.versions = vec![u32::MAX];
    }
    h.hub.handle_frame(h.now, s, &hello.encode());
    let mut outputs = Vec::new();
    while let Some(o) = h.hub.poll_output() {
        outputs.push(o);
    }
    let close = crate::hub::HubOutput::Close {
        session: s,
        code: CloseCode::UNSUPPORTED_VERSION,
    };
    let at = |want: &dyn Fn(&crate::hub::HubOutput) -> bool| outputs.iter().position(want);
    let transmit =
        at(&|o| matches!(o, crate::hub::HubOutput::Transmit { session, .. } if *session == s));
    let closed = at(&|o| *o == close);
    assert!(transmit.expect("the rejection") < closed.expect("the close"));
    h.hub.check_invariants().unwrap();
}

#[test]
fn poll_output_gives_each_session_its_whole_batch_before_storage_and_events() {
    let (mut h, a, b) = three_deltas_completed();
    // A further delta: its Append is waiting next to the three deltas' frames.
    let fourth = delta("r", "sum", 1, 4, sum(4));
    h.hub.handle_frame(h.now, a, &fourth.encode());
    let mut kinds = Vec::new();
    while let Some(o) = h.hub.poll_output() {
        match o {
            crate::hub::HubOutput::Transmit { session, frames } => {
                assert!(session == a || session == b);
                kinds.push(("transmit", frames.len()));
            }
            crate::hub::HubOutput::Storage(_) => kinds.push(("storage", 1)),
            crate::hub::HubOutput::Close { .. } => panic!("nobody is closed"),
            crate::hub::HubOutput::Auth(_) => panic!("authorization is inline"),
            crate::hub::HubOutput::Publish(_) => panic!("a single node publishes nothing"),
            crate::hub::HubOutput::Event(_) => kinds.push(("event", 1)),
        }
    }
    let first_other = kinds.iter().position(|(k, _)| *k != "transmit");
    let transmits = &kinds[..first_other.unwrap_or(kinds.len())];
    // The origin's three acks, the other member's one batch of the three entries.
    assert_eq!(transmits, [("transmit", 3), ("transmit", 1)], "{kinds:?}");
    assert!(kinds.contains(&("storage", 1)), "the fourth delta's append");
    h.hub.check_invariants().unwrap();
}
