//! Faults of the hub: malformed, oversized and misplaced frames, fatal rejects
//! while connected, and time going backwards.

use core::time::Duration;

use super::harness::*;
use crate::client::{ClientEvent, ClientState, TransportClosed, TransportCommand};
use crate::wire::*;

use ClientState::*;

#[test]
fn protocol_faults_close_with_the_right_code_and_reconnect() {
    let cases: Vec<(Vec<u8>, CloseCode)> = vec![
        (vec![0xff, 0x00], CloseCode::PROTOCOL_ERROR),
        (vec![0u8; 2 << 20], CloseCode::MESSAGE_TOO_BIG),
        (
            Frame::Leave(Leave { room: room("r") }).encode(),
            CloseCode::PROTOCOL_ERROR,
        ),
        (welcome(0).encode(), CloseCode::PROTOCOL_ERROR),
    ];
    for (bytes, code) in cases {
        let mut h = Harness::connected(config());
        let conn = h.conn;
        h.recv_bytes(&bytes);
        assert!(
            matches!(h.app_events()[..], [ClientEvent::Error(_)]),
            "{:?}",
            h.events
        );
        assert_eq!(
            h.transport[0],
            TransportCommand::Close {
                conn,
                code,
                reason: code.name().unwrap_or_default()
            }
        );
        assert_eq!(h.states(), vec![Backoff, Connecting]);
    }
}

#[test]
fn unexpected_frames_in_the_handshake_are_protocol_errors() {
    let mut h = Harness::new(config());
    h.connect();
    h.recv(ack("r", 1));
    assert_eq!(h.client.state(), Backoff);
    let mut h = Harness::new(config());
    h.connect();
    let mut w = welcome(0);
    if let Frame::Welcome(ref mut w) = w {
        w.version = 99;
    }
    h.recv(w);
    assert_eq!(h.client.state(), Backoff, "a version we did not offer");
    assert_eq!(h.client.metrics().errors.protocol_violations, 1);
}

#[test]
fn fatal_reject_while_connected_fails() {
    let mut h = Harness::connected(config());
    h.recv(reject(ErrorCode::UNAUTHORIZED, None, None));
    assert_eq!(h.client.state(), Failed);
    let mut h = Harness::connected(config());
    h.recv(reject(ErrorCode::INTERNAL, None, None));
    assert_eq!(h.client.state(), Connected, "non-fatal: reported only");
    assert_eq!(h.client.metrics().errors.rejected, 1);
}

#[test]
fn time_going_backwards_is_clamped() {
    let mut h = Harness::connected(config());
    let later = h.now + Duration::from_secs(5);
    h.client.handle_timeout(later);
    h.client.handle_timeout(h.now); // earlier: clamped
    h.now = later;
    h.drain();
    assert!(h.client.poll_timeout().is_some_and(|t| t >= later));
}

#[test]
fn reports_about_other_connections_are_ignored() {
    let mut h = Harness::connected(config());
    let old = h.conn;
    h.client.handle_transport_open(h.now, old); // not asked for
    h.drain();
    assert_eq!(h.client.state(), Connected);
    h.recv_bytes(&[0xff]); // fault: `old` closed, immediate retry on a new connection
    assert_ne!(h.conn, old);
    assert_eq!(h.client.connection(), Some(h.conn));
    h.clear();
    // Late reports about the old connection change nothing.
    h.client
        .handle_transport_closed(h.now, old, TransportClosed::failed("late"));
    h.client.handle_transport_open(h.now, old);
    h.client.handle_frame(h.now, old, &welcome(0).encode());
    h.drain();
    assert_eq!(h.client.state(), Connecting);
    assert!(h.transport.is_empty() && h.events.is_empty());
    // The new one proceeds.
    h.open();
    h.recv(welcome(0));
    assert_eq!(h.client.state(), Connected);
}

#[test]
fn rejects_without_a_dedicated_event_are_reported_as_errors() {
    let mut h = Harness::joined_room(config());
    h.recv(reject(ErrorCode::FORBIDDEN, Some("r"), Some(99))); // no such delta
    h.recv(reject(ErrorCode::RATE_LIMITED, Some("r"), None)); // e.g. presence
    h.recv(reject(ErrorCode::UNKNOWN_ROOM, Some("gone"), None));
    let errors = h
        .app_events()
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                ClientEvent::Error(crate::client::SessionError::Rejected { .. })
            )
        })
        .count();
    assert_eq!(errors, 3);
    assert_eq!(h.client.state(), Connected);
    assert_eq!(h.client.metrics().errors.rejected, 3);
    let status = h.client.room(&room("r")).map(|r| r.status);
    assert_eq!(status, Some(crate::client::RoomStatus::Joined));
}

#[test]
fn traffic_counters_count_frames_and_bytes() {
    let mut h = Harness::connected(config());
    let before = h.client.metrics();
    let ping = Frame::Ping { nonce: 1 }.encode();
    h.recv_bytes(&ping);
    let m = h.client.metrics();
    assert_eq!(m.frames_received - before.frames_received, 1);
    assert_eq!(m.bytes_received - before.bytes_received, ping.len() as u64);
    assert_eq!(m.frames_sent - before.frames_sent, 1, "the pong");
    assert_eq!(m.bytes_sent - before.bytes_sent, ping.len() as u64);
}

#[test]
fn undrained_non_delivery_events_are_bounded_and_counted() {
    let mut c = config();
    c.max_queued_events = 2;
    let mut h = Harness::joined_room(c);
    for _ in 0..10 {
        let f = Frame::Presence(Presence {
            room: room("r"),
            peer: SessionId(3),
            state: bytes::Bytes::from_static(b"p"),
        })
        .encode();
        h.client.handle_frame(h.now, h.conn, &f);
    }
    h.drain();
    assert_eq!(h.app_events().len(), 4, "twice the bound");
    assert_eq!(h.client.metrics().events_dropped, 6);
    assert_eq!(h.client.state(), Connected, "no delivery was refused");
}

#[test]
fn a_joined_larger_than_the_frame_limit_is_accepted_up_to_the_largest_snapshot() {
    // A room's snapshot can be as large as any state a hub folds (8 MiB), above the
    // client's 1 MiB frame limit: refusing it would close 1009, reconnect, get the
    // same `Joined`, forever. Every other frame keeps the limit.
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("r"), "g").unwrap();
    h.drain();
    let snapshot = bytes::Bytes::from(vec![7u8; 2 << 20]);
    let Frame::Joined(mut j) = joined("r", 1, 5, 5, 0) else {
        unreachable!("joined builds a Joined")
    };
    j.resync = true;
    j.snapshot = Some(snapshot.clone());
    h.recv(Frame::Joined(j));
    assert_eq!(h.client.state(), Connected);
    assert!(h.app_events().iter().any(|e| matches!(
        e,
        ClientEvent::Resync { snapshot: Some(s), .. } if *s == snapshot
    )));
    let big_delta = Frame::HubDelta(HubDelta {
        room: room("r"),
        crdt: "g".into(),
        epoch: 1,
        offset: 5,
        replica: PEER,
        seq: 1,
        payload: snapshot,
    });
    h.recv(big_delta);
    assert_eq!(h.client.metrics().errors.frame_too_large, 1);
    assert!(h.transport.iter().any(|c| matches!(
        c,
        TransportCommand::Close {
            code: CloseCode::MESSAGE_TOO_BIG,
            ..
        }
    )));
    let mut h = Harness::connected(config());
    h.recv_bytes(&vec![0u8; MAX_JOINED_BYTES + 1]);
    assert_eq!(
        h.client.metrics().errors.frame_too_large,
        1,
        "nothing larger"
    );
}
