//! The sequence rule (PROTOCOL.md §8.1): the hub accepts from a replica only the
//! next sequence of the room (highest accepted + 1), so a cumulative `Ack` never
//! covers a delta that was refused, and `Joined.acked_seq` is exactly what the hub
//! holds.

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

fn room() -> RoomId {
    RoomId::new("r")
}

fn reject_of(frames: &[Frame]) -> Option<(ErrorCode, Option<u64>)> {
    match frames {
        [Frame::Reject(r)] => Some((r.code, r.seq)),
        _ => None,
    }
}

#[test]
fn a_refused_delta_leaves_no_gap_for_a_later_ack_to_cover() {
    let mut h = Harness::with(HubConfig {
        max_payload_bytes: 8,
        ..config()
    });
    let (a, b) = (h.connect(1), h.connect(2));
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.take(a);
    h.take(b);
    h.delta(a, "r", 1, 1, sum(1));
    assert_eq!(acks(&h.take(a)), vec![1]);
    // seq 2 is refused for its content; 3 must not be accepted over the hole.
    h.send(a, delta("r", "sum", 1, 2, bytes::Bytes::from(vec![0; 9])));
    assert_eq!(
        reject_of(&h.take(a)),
        Some((ErrorCode::PAYLOAD_TOO_LARGE, Some(2)))
    );
    h.delta(a, "r", 1, 3, sum(1));
    assert_eq!(
        reject_of(&h.take(a)),
        Some((ErrorCode::SEQ_GAP, Some(3))),
        "3 is not the next sequence: nothing stored, nothing acked"
    );
    assert_eq!(h.storage.entry_count(&room()), 1);
    // The client withdraws 2 by sending its next delta as 2: accepted.
    h.delta(a, "r", 1, 2, sum(5));
    assert_eq!(acks(&h.take(a)), vec![2]);
    assert_eq!(deltas(&h.take(b)), vec![(0, 1, 1), (1, 1, 2)]);
}

#[test]
fn a_rate_limited_delta_is_accepted_when_resent_and_only_then_the_next() {
    let mut h = Harness::with(HubConfig {
        rate_frame_burst: 4,
        rate_frames_per_sec: 1,
        rate_strikes_to_close: 100,
        ..config()
    });
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.take(a);
    h.delta(a, "r", 1, 1, sum(1));
    h.delta(a, "r", 1, 2, sum(1));
    h.delta(a, "r", 1, 3, sum(1)); // over the burst: dropped
    h.delta(a, "r", 1, 4, sum(1)); // dropped too
    let frames = h.take(a);
    assert_eq!(acks(&frames), vec![1, 2]);
    assert_eq!(
        rejects(&frames),
        vec![ErrorCode::RATE_LIMITED, ErrorCode::RATE_LIMITED]
    );
    h.advance(std::time::Duration::from_secs(2));
    h.take(a);
    h.delta(a, "r", 1, 4, sum(1));
    assert_eq!(reject_of(&h.take(a)), Some((ErrorCode::SEQ_GAP, Some(4))));
    h.advance(std::time::Duration::from_secs(2));
    h.take(a);
    h.delta(a, "r", 1, 3, sum(1));
    assert_eq!(acks(&h.take(a)), vec![3], "3 is stored, never skipped");
    assert_eq!(h.storage.entry_count(&room()), 3);
}

#[test]
fn a_session_claiming_a_huge_sequence_cannot_make_later_deltas_duplicates() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.take(a);
    h.delta(a, "r", 1, u64::MAX, sum(1));
    assert_eq!(
        reject_of(&h.take(a)),
        Some((ErrorCode::SEQ_GAP, Some(u64::MAX)))
    );
    h.delta(a, "r", 1, 1, sum(1));
    assert_eq!(acks(&h.take(a)), vec![1], "the real next delta is stored");
    assert_eq!(h.storage.entry_count(&room()), 1);
}

#[test]
fn joined_waits_for_the_replicas_appends_in_flight_so_acked_seq_is_exact() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.take(a);
    h.hold_storage = true;
    h.delta(a, "r", 1, 1, sum(1));
    h.delta(a, "r", 1, 2, sum(1));
    // The connection dies with both appends in flight; the replica comes back.
    h.hub.handle_session_closed(h.now, a);
    h.settle();
    let b = h.connect(1);
    assert!(
        h.join(b, "r", "sum", None).is_empty(),
        "no Joined while seq 1 and 2 are not durable: acked_seq would say 0 and the \
         replica would reuse 1"
    );
    h.release_storage();
    let frames = h.take(b);
    assert_eq!(joined(&frames).acked_seq, 2);
    h.hold_storage = false;
    h.delta(b, "r", 1, 3, sum(1));
    assert_eq!(acks(&h.take(b)), vec![3]);
}

#[test]
fn a_parked_join_is_dropped_with_its_session_and_the_room_can_unload() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.take(a);
    h.hold_storage = true;
    h.delta(a, "r", 1, 1, sum(1));
    h.hub.handle_session_closed(h.now, a);
    let b = h.connect(1);
    assert!(h.join(b, "r", "sum", None).is_empty());
    h.hub.handle_session_closed(h.now, b);
    h.settle();
    h.release_storage();
    assert!(h.take(b).is_empty(), "nothing sent to a closed session");
    h.advance(std::time::Duration::from_secs(3600));
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, crate::hub::HubEvent::RoomUnloaded { .. })),
        "{:?}",
        h.events
    );
}
