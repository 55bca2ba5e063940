//! Protection: frame size, malformed frames, rate limits, unexpected frames; bad input
//! of one session never costs another session its accepted data.

use std::time::Duration;

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

#[test]
fn oversized_frames_are_rejected_without_closing() {
    let mut h = Harness::with(HubConfig {
        max_frame_bytes: 64,
        ..config()
    });
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.take(a);
    let big = delta("r", "sum", 1, 1, bytes::Bytes::from(vec![7u8; 80]));
    h.send(a, big);
    let frames = h.take(a);
    assert!(
        matches!(frames.as_slice(), [Frame::Reject(r)]
            if r.code == ErrorCode::PAYLOAD_TOO_LARGE && r.seq == Some(1)
                && r.room == Some(RoomId::new("r"))),
        "the refusal names the delta: {frames:?}"
    );
    assert!(h.closed.is_empty());
    // An oversized message that is not a frame at all is malformed.
    h.send_raw(a, &[0u8; 65]);
    assert_eq!(rejects(&h.take(a)), vec![ErrorCode::MALFORMED]);
    assert_eq!(h.closed.len(), 1);
}

#[test]
fn malformed_frames_reject_and_close_but_accepted_data_stays() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.delta(a, "r", 1, 1, sum(1));
    h.take(b);
    h.send_raw(a, &[0xff, 0x00, 0x13]);
    assert_eq!(rejects(&h.take(a)), vec![ErrorCode::MALFORMED]);
    assert_eq!(h.closed.get(&a), Some(&CloseCode::MALFORMED));
    let fb = h.take(b);
    assert!(matches!(fb.as_slice(), [Frame::Peers(p)] if p.left == [a]));
    assert_eq!(h.storage.entry_count(&RoomId::new("r")), 1);
    let c = h.connect(3);
    assert_eq!(deltas(&h.join(c, "r", "sum", None)), vec![(0, 1, 1)]);
}

#[test]
fn rate_limits_reject_then_close_when_abuse_continues() {
    let cfg = HubConfig {
        rate_frames_per_sec: 1,
        rate_frame_burst: 3,
        rate_strikes_to_close: 3,
        ..config()
    };
    let mut h = Harness::with(cfg);
    let a = h.connect(1); // Hello used one token
    h.join(a, "r", "sum", None);
    h.delta(a, "r", 1, 1, sum(1));
    h.take(a);
    h.delta(a, "r", 1, 2, sum(1));
    let frames = h.take(a);
    assert!(
        matches!(frames.as_slice(), [Frame::Reject(r)] if r.code == ErrorCode::RATE_LIMITED && r.seq == Some(2))
    );
    assert!(h.closed.is_empty());
    h.advance(Duration::from_secs(1));
    h.delta(a, "r", 1, 2, sum(1));
    assert_eq!(
        acks(&h.take(a)),
        vec![2],
        "after refilling, the resent delta is accepted"
    );
    for _ in 0..3 {
        h.send(a, Frame::Ping { nonce: 0 });
    }
    assert_eq!(h.closed.get(&a), Some(&CloseCode::RATE_LIMITED));
    // One strike for the delta, then two pings: the third strike closes.
    assert_eq!(h.hub.metrics().rejections_of(ErrorCode::RATE_LIMITED), 3);
    assert_eq!(h.hub.metrics().closes_of(CloseCode::RATE_LIMITED), 1);
}

#[test]
fn hub_only_frames_from_a_client_are_unexpected() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.send(
        a,
        Frame::Ack(Ack {
            room: RoomId::new("r"),
            seq: 1,
            offset: None,
        }),
    );
    h.send(a, Frame::Pong { nonce: 1 });
    assert_eq!(rejects(&h.take(a)), vec![ErrorCode::UNEXPECTED_FRAME]);
    assert!(h.closed.is_empty());
}

#[test]
fn metrics_count_sessions_rooms_deltas_bytes_and_storage() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.delta(a, "r", 1, 1, sum(1));
    let m = h.hub.metrics();
    assert_eq!(
        (m.sessions, m.rooms, m.deltas_in, m.deltas_out),
        (2, 1, 1, 1)
    );
    assert!(m.bytes_in > 0 && m.bytes_out > 0 && m.frames_in >= 5);
    assert!(m.storage_ops >= 3, "load, create, append");
    assert_eq!(m.storage_failures, 0);
}
