//! Losing the replica identity: replaced by a newer session (`replica_in_use` /
//! close 4013) or refused the claim (`replica_forbidden` / close 4014). Fatal for
//! the replica id, typed, and nothing queued is dropped.

use core::time::Duration;

use super::harness::*;
use crate::client::{ClientEvent, ClientState, DisconnectReason, TransportClosed};
use crate::wire::*;

fn assert_failed_for_good(h: &mut Harness, reason: DisconnectReason) {
    assert_eq!(h.client.state(), ClientState::Failed);
    assert_eq!(h.client.failure(), Some(&reason));
    assert!(h.events.iter().any(|e| matches!(e,
        ClientEvent::StateChanged { to: ClientState::Failed, reason: Some(r), .. } if *r == reason)));
    assert_eq!(h.client.poll_timeout(), None, "nothing left to wake up for");
    let commands = h.transport.len();
    h.advance(Duration::from_secs(3600));
    assert_eq!(h.client.state(), ClientState::Failed);
    assert_eq!(
        h.transport.len(),
        commands,
        "no reconnect with this replica id"
    );
}

#[test]
fn a_replaced_session_fails_with_replaced_and_keeps_its_outbox() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"one");
    h.clear();
    assert_eq!(h.client.outbox_len(), 1);
    h.recv(reject(ErrorCode::REPLICA_IN_USE, None, None));
    assert_failed_for_good(&mut h, DisconnectReason::Replaced);
    assert_eq!(h.client.outbox_len(), 1, "the unacked delta is kept");
    assert_eq!(h.client.export_state().rooms.len(), 1, "and so is the room");
}

#[test]
fn a_forbidden_replica_claim_fails_during_the_handshake() {
    let mut h = Harness::new(config());
    h.connect();
    h.clear();
    h.recv(reject(ErrorCode::REPLICA_FORBIDDEN, None, None));
    assert_failed_for_good(&mut h, DisconnectReason::ReplicaForbidden);
}

#[test]
fn the_close_codes_alone_are_enough() {
    for (code, reason) in [
        (CloseCode::REPLACED, DisconnectReason::Replaced),
        (
            CloseCode::REPLICA_FORBIDDEN,
            DisconnectReason::ReplicaForbidden,
        ),
    ] {
        let mut h = Harness::connected(config());
        h.lost(TransportClosed::closed(code, "gone"));
        assert_failed_for_good(&mut h, reason);
    }
}

#[test]
fn an_oversized_user_info_is_fatal_during_the_handshake() {
    let mut h = Harness::new(config());
    h.connect();
    h.clear();
    h.recv(reject(ErrorCode::PAYLOAD_TOO_LARGE, None, None));
    assert_eq!(h.client.state(), ClientState::Failed);
    // While connected, the same code (a frame too large) is only reported.
    let mut h = Harness::connected(config());
    h.recv(reject(ErrorCode::PAYLOAD_TOO_LARGE, None, None));
    assert_eq!(h.client.state(), ClientState::Connected);
}

/// docs/PROTOCOL.md §6, *Only the current connection counts*: after a heartbeat
/// timeout the client reconnects at once; when its new session completes the
/// handshake, the hub replaces the old one it still holds and tells the abandoned
/// connection so (`replica_in_use`, close 4013). That is the client's own reconnect:
/// it stays connected and keeps its outbox.
#[test]
fn a_replacement_reported_on_an_abandoned_connection_is_ignored() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"one");
    let old = h.conn;
    h.advance(config().heartbeat_timeout);
    assert_ne!(
        h.client.state(),
        ClientState::Connected,
        "heartbeat timeout"
    );
    while h.conn == old {
        h.next_deadline().expect("a reconnect is scheduled");
    }
    h.open();
    h.recv(welcome(0));
    assert_eq!(h.client.state(), ClientState::Connected);
    let replaced = reject(ErrorCode::REPLICA_IN_USE, None, None).encode();
    h.client.handle_frame(h.now, old, &replaced);
    h.drain();
    h.client.handle_transport_closed(
        h.now,
        old,
        TransportClosed::closed(CloseCode::REPLACED, "replaced"),
    );
    h.drain();
    assert_eq!(h.client.state(), ClientState::Connected);
    assert_eq!(h.client.failure(), None);
    assert_eq!(h.client.outbox_len(), 1, "the unacked delta is kept");
}
