//! Faults of the hub: malformed, oversized and misplaced frames, fatal rejects
//! while connected, and time going backwards.

use core::time::Duration;

use super::harness::*;
use crate::client::{ClientEvent, ClientState, TransportCommand};
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
        h.recv_bytes(&bytes);
        assert!(
            matches!(h.app_events()[..], [ClientEvent::Error(_)]),
            "{:?}",
            h.events
        );
        assert_eq!(
            h.transport[0],
            TransportCommand::Close {
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
