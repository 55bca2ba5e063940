//! The log: validation of client deltas, dedupe by (replica, seq), ack only when
//! durable, broadcast in log order to the other members, the seq table across restarts.

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

fn room() -> RoomId {
    RoomId::new("r")
}

fn two_members(h: &mut Harness) -> (SessionId, SessionId) {
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.take(a);
    (a, b)
}

#[test]
fn a_delta_is_acked_and_broadcast_only_once_durable() {
    let mut h = Harness::new();
    let (a, b) = two_members(&mut h);
    h.hold_storage = true;
    h.delta(a, "r", 1, 1, sum(3));
    assert!(h.take(a).is_empty(), "no ack before durability");
    assert!(h.take(b).is_empty(), "no broadcast before durability");
    h.release_storage();
    let fa = h.take(a);
    assert_eq!(acks(&fa), vec![1]);
    assert!(deltas(&fa).is_empty(), "own delta not echoed");
    let fb = h.take(b);
    let [Frame::HubDelta(d)] = fb.as_slice() else {
        panic!("{fb:?}")
    };
    assert_eq!(
        (d.offset, d.replica, d.seq, d.payload.clone()),
        (0, ReplicaId(1), 1, sum(3))
    );
    assert_eq!(Some((d.epoch, 1)), h.hub.room_position(&room()));
}

#[test]
fn broadcast_follows_log_order_even_if_appends_complete_out_of_order() {
    let mut h = Harness::new();
    let (a, b) = two_members(&mut h);
    h.hold_storage = true;
    h.delta(a, "r", 1, 1, sum(1));
    h.delta(b, "r", 2, 1, sum(2));
    h.delta(a, "r", 1, 2, sum(3));
    let mut done: Vec<_> = std::iter::from_fn(|| h.storage.release_next()).collect();
    let first = done.remove(0);
    // Offsets 2 and 1 complete first: nothing may be visible while 0 is pending.
    for c in done.into_iter().rev() {
        h.hub.handle_storage(h.now, c);
        h.settle();
        assert!(h.take(a).is_empty() && h.take(b).is_empty());
    }
    h.hub.handle_storage(h.now, first);
    h.settle();
    assert_eq!(deltas(&h.take(b)), vec![(0, 1, 1), (2, 1, 2)]);
    assert_eq!(deltas(&h.take(a)), vec![(1, 2, 1)]);
}

#[test]
fn duplicates_are_reacked_never_relogged() {
    let mut h = Harness::new();
    let (a, b) = two_members(&mut h);
    h.delta(a, "r", 1, 1, sum(1));
    h.delta(a, "r", 1, 1, sum(1));
    assert_eq!(acks(&h.take(a)), vec![1, 1]);
    assert_eq!(deltas(&h.take(b)).len(), 1);
    // In flight: the duplicate is acked once, when the original is durable.
    h.hold_storage = true;
    h.delta(a, "r", 1, 2, sum(1));
    h.delta(a, "r", 1, 2, sum(1));
    assert!(h.take(a).is_empty());
    h.release_storage();
    assert_eq!(acks(&h.take(a)), vec![2]);
    assert_eq!(h.storage.entry_count(&room()), 2);
}

#[test]
fn invalid_deltas_are_rejected_with_room_and_seq() {
    let cfg = HubConfig {
        max_payload_bytes: 8,
        ..config()
    };
    let mut h = Harness::with(cfg);
    let (a, _b) = two_members(&mut h);
    let cases = [
        (delta("r", "sum", 9, 1, sum(1)), ErrorCode::REPLICA_MISMATCH),
        (delta("other", "sum", 1, 2, sum(1)), ErrorCode::UNKNOWN_ROOM),
        (delta("r", "lww", 1, 1, sum(1)), ErrorCode::CRDT_MISMATCH),
        (
            delta("r", "sum", 1, 1, bytes::Bytes::from(vec![0; 9])),
            ErrorCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (frame, code) in cases {
        let Frame::ClientDelta(d) = &frame else {
            unreachable!()
        };
        let seq = d.seq;
        h.send(a, frame.clone());
        let frames = h.take(a);
        assert!(
            matches!(frames.as_slice(), [Frame::Reject(r)] if r.code == code && r.seq == Some(seq) && r.room.is_some()),
            "{code:?}: {frames:?}"
        );
    }
    assert_eq!(h.storage.entry_count(&room()), 0);
    assert_eq!(
        h.hub.metrics().rejections_of(ErrorCode::REPLICA_MISMATCH),
        1
    );
}

#[test]
fn read_only_members_cannot_write() {
    let mut h = Harness::with(deferred());
    let (w, _) = h.connect_as(2, Identity::read_write_all("rw"));
    h.join(w, "r", "sum", None);
    let (a, _) = h.connect_as(1, Identity::read_only_all("ro"));
    assert!(!joined(&h.join(a, "r", "sum", None)).writable);
    h.delta(a, "r", 1, 1, sum(1));
    assert_eq!(rejects(&h.take(a)), vec![ErrorCode::FORBIDDEN]);
}

#[test]
fn the_seq_table_survives_a_hub_restart() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.delta(a, "r", 1, 1, sum(1));
    h.delta(a, "r", 1, 2, sum(1));
    let storage = h.storage.clone();
    // A new hub over the same durable storage.
    let mut h = Harness::with_storage(config(), storage);
    let a = h.connect(1);
    let j = h.join(a, "r", "sum", None);
    assert_eq!(joined(&j).acked_seq, 2);
    h.delta(a, "r", 1, 2, sum(1));
    assert_eq!(acks(&h.take(a)), vec![2]);
    assert_eq!(h.storage.entry_count(&RoomId::new("r")), 2);
}

#[test]
fn appends_beyond_the_room_queue_are_rate_limited() {
    let mut h = Harness::with(HubConfig {
        max_pending_appends: 2,
        ..config()
    });
    let (a, _b) = two_members(&mut h);
    h.hold_storage = true;
    for seq in 1..=3 {
        h.delta(a, "r", 1, seq, sum(1));
    }
    let frames = h.take(a);
    assert!(
        matches!(frames.as_slice(), [Frame::Reject(r)] if r.code == ErrorCode::RATE_LIMITED && r.seq == Some(3))
    );
    h.release_storage();
    assert_eq!(acks(&h.take(a)), vec![1, 2]);
    h.delta(a, "r", 1, 3, sum(1));
    h.release_storage();
    assert_eq!(acks(&h.take(a)), vec![3], "the resent delta is accepted");
}

#[test]
fn a_failed_append_closes_members_so_they_resume_from_storage() {
    let mut h = Harness::new();
    let (a, b) = two_members(&mut h);
    h.delta(a, "r", 1, 1, sum(1));
    h.storage.set_failing(true);
    h.delta(a, "r", 1, 2, sum(1));
    assert_eq!(h.closed.get(&a), Some(&CloseCode::INTERNAL_ERROR));
    assert_eq!(h.closed.get(&b), Some(&CloseCode::INTERNAL_ERROR));
    assert!(!acks(&h.take(a)).contains(&2));
    h.storage.set_failing(false);
    let a = h.connect(1);
    assert_eq!(joined(&h.join(a, "r", "sum", None)).acked_seq, 1);
}
