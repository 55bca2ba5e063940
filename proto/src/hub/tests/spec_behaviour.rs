//! Behaviour docs/PROTOCOL.md states exactly so that an independent client can rely on
//! it: the order of a join's answer, re-joins, frames the hub ignores, the rate-limit
//! and timeout thresholds of the defaults, deltas in flight when a session closes,
//! and the range of the integers the hub generates.

use std::time::Duration;

use bytes::Bytes;

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

fn room() -> RoomId {
    RoomId::new("r")
}

fn presence(state: &'static [u8]) -> Frame {
    Frame::SetPresence(SetPresence {
        room: room(),
        state: Bytes::from_static(state),
    })
}

/// Frame names in order, for comparing a whole answer at once.
fn names(frames: &[Frame]) -> Vec<&'static str> {
    frames.iter().map(Frame::name).collect()
}

#[test]
fn a_join_is_answered_joined_then_the_replay_then_peers_with_presence() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.delta(a, "r", 1, 1, sum(1));
    h.delta(a, "r", 1, 2, sum(1));
    h.send(a, presence(b"cursor"));
    h.take(a);
    let b = h.connect(2);
    let fb = h.join(b, "r", "sum", None);
    assert_eq!(names(&fb), ["Joined", "DeltaBatch", "Peers"], "{fb:?}");
    assert!(
        matches!(&fb[2], Frame::Peers(p) if p.mode == PeersMode::Full && matches!(p.joined.as_slice(), [e] if e.peer == a && e.replica == ReplicaId(1) && e.state.as_deref() == Some(&b"cursor"[..])))
    );
    assert_eq!(deltas(&fb), vec![(0, 1, 1), (1, 1, 2)]);
    // The existing member learns of the newcomer, with its user info.
    let fa = h.take(a);
    let [Frame::Peers(p)] = fa.as_slice() else {
        panic!("{fa:?}")
    };
    let [e] = p.joined.as_slice() else {
        panic!("{p:?}")
    };
    assert_eq!((e.peer, e.user_info.as_deref()), (b, Some(&b"user2"[..])));
}

#[test]
fn a_join_of_a_joined_room_is_a_leave_then_a_join_from_the_new_position() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    let epoch = joined(&h.join(a, "r", "sum", None)).epoch;
    h.join(b, "r", "sum", None);
    h.delta(b, "r", 2, 1, sum(1));
    h.delta(b, "r", 2, 2, sum(1));
    h.take(a);
    h.take(b);
    let again = h.join(a, "r", "sum", Some(Position { epoch, offset: 1 }));
    let j = joined(&again);
    assert_eq!((j.start, j.head, j.resync), (1, 2, false));
    assert_eq!(names(&again), ["Joined", "DeltaBatch", "Peers"]);
    assert_eq!(deltas(&again), vec![(1, 2, 2)]);
    let fb = h.take(b);
    // One notice for the turn: a left, then a (as a new session of the room) joined.
    assert!(
        matches!(fb.as_slice(), [Frame::Peers(p)] if p.left == [a] && p.joined.len() == 1 && p.joined[0].peer == a),
        "{fb:?}"
    );
    // A re-join that is refused leaves the session outside the room.
    let refused = h.join(a, "r", "other", None);
    assert_eq!(rejects(&refused), vec![ErrorCode::CRDT_MISMATCH]);
    assert_eq!(h.hub.room_members(&room()), vec![b]);
}

#[test]
fn pong_and_reject_from_a_client_are_ignored_in_any_state_and_ping_is_answered() {
    let mut h = Harness::new();
    let a = h.open();
    let reject = Frame::Reject(Reject {
        code: ErrorCode::INTERNAL,
        room: None,
        seq: None,
        message: "x".into(),
    });
    h.send(a, Frame::Pong { nonce: 1 });
    h.send(a, reject.clone());
    assert!(h.take(a).is_empty(), "no answer before Hello");
    h.send(a, Frame::Ping { nonce: 9 });
    assert_eq!(h.take(a), vec![Frame::Pong { nonce: 9 }]);
    h.send(a, hello(1));
    assert_eq!(names(&h.take(a)), ["Welcome"], "the handshake still works");
    h.send(a, Frame::Pong { nonce: 2 });
    h.send(a, reject);
    assert!(h.take(a).is_empty(), "no answer after Hello either");
    assert!(h.closed.is_empty());
}

#[test]
fn a_leave_of_a_room_not_joined_is_rejected_unknown_room_and_the_session_stays() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.send(a, Frame::Leave(Leave { room: room() }));
    let fa = h.take(a);
    let [Frame::Reject(r)] = fa.as_slice() else {
        panic!("{fa:?}")
    };
    assert_eq!(
        (r.code, r.room.clone(), r.seq),
        (ErrorCode::UNKNOWN_ROOM, Some(room()), None)
    );
    assert!(h.closed.is_empty());
}

#[test]
fn an_empty_room_name_is_malformed_and_closes() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.send(a, join("", "sum", None));
    assert_eq!(rejects(&h.take(a)), vec![ErrorCode::MALFORMED]);
    assert_eq!(h.closed.get(&a), Some(&CloseCode::MALFORMED));
}

#[test]
fn default_rate_limit_passes_the_burst_and_closes_at_the_twentieth_strike() {
    let mut h = Harness::new();
    let a = h.connect(1); // Hello: the first of the 20,000-frame burst.
    for nonce in 1..20_000 {
        h.send(a, Frame::Ping { nonce });
    }
    assert_eq!(h.take(a).len(), 19_999, "the whole burst is answered");
    for strike in 1..=20 {
        assert!(h.closed.is_empty(), "closed before strike {strike}");
        h.send(a, Frame::Ping { nonce: 0 });
        assert_eq!(rejects(&h.take(a)), vec![ErrorCode::RATE_LIMITED]);
    }
    assert_eq!(h.closed.get(&a), Some(&CloseCode::RATE_LIMITED));
}

#[test]
fn default_rate_limit_refills_at_one_frame_per_100_microseconds() {
    let mut h = Harness::new();
    let a = h.connect(1);
    for nonce in 1..20_000 {
        h.send(a, Frame::Ping { nonce });
    }
    h.take(a);
    h.advance(Duration::from_micros(100));
    h.send(a, Frame::Ping { nonce: 1 });
    h.send(a, Frame::Ping { nonce: 2 });
    assert_eq!(
        h.take(a),
        vec![
            Frame::Pong { nonce: 1 },
            Frame::Reject(Reject {
                code: ErrorCode::RATE_LIMITED,
                room: None,
                seq: None,
                message: "rate limited".into()
            })
        ]
    );
}

#[test]
fn default_heartbeat_timeout_closes_exactly_45_s_after_the_last_frame() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.advance(Duration::from_secs(30));
    h.send(a, Frame::Ping { nonce: 1 }); // any frame resets the clock
    h.advance(Duration::from_millis(44_999));
    assert!(h.closed.is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(h.closed.get(&a), Some(&CloseCode::HEARTBEAT_TIMEOUT));
}

#[test]
fn default_handshake_timeout_closes_exactly_10_s_after_the_session_opened() {
    let mut h = Harness::new();
    let a = h.open();
    h.send(a, Frame::Ping { nonce: 1 }); // frames before Hello do not extend it
    h.advance(Duration::from_millis(9_999));
    assert!(h.closed.is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(h.closed.get(&a), Some(&CloseCode::HANDSHAKE_TIMEOUT));
}

#[test]
fn a_delta_taken_in_before_its_session_closed_is_still_logged_and_counted_in_acked_seq() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.take(b);
    h.hold_storage = true;
    h.delta(a, "r", 1, 1, sum(5));
    h.hub.handle_session_closed(h.now, a);
    h.settle();
    h.release_storage();
    h.hold_storage = false;
    let fb = h.take(b);
    assert_eq!(names(&fb), ["Peers", "HubDelta"], "{fb:?}");
    assert_eq!(deltas(&fb), vec![(0, 1, 1)]);
    // The origin learns on its next join that seq 1 is durable.
    let again = h.connect(1);
    assert_eq!(joined(&h.join(again, "r", "sum", None)).acked_seq, 1);
}

#[test]
fn epochs_and_session_ids_fit_a_javascript_number() {
    for seed in 0..50 {
        let mut h = Harness::with(HubConfig { seed, ..config() });
        let a = h.connect(1);
        assert!(a.0 >= 1 && a.0 <= MAX_SAFE_INTEGER);
        let epoch = joined(&h.join(a, "r", "sum", None)).epoch;
        assert!((1..=MAX_SAFE_INTEGER).contains(&epoch), "{epoch}");
        let mut high = false;
        for _ in 0..1000 {
            let e = h.hub.new_epoch();
            assert!((1..=MAX_SAFE_INTEGER).contains(&e), "{e}");
            high |= e > MAX_SAFE_INTEGER / 2;
        }
        assert!(high, "epochs use the whole range");
    }
}
