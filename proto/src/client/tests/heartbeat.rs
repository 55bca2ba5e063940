//! Heartbeat: pings, pongs, RTT and dead-hub detection.

use core::time::Duration;

use super::harness::*;
use crate::client::{ClientEvent, ClientState, SessionError, TransportCommand};
use crate::wire::*;

fn pings(h: &Harness) -> Vec<u64> {
    h.sent
        .iter()
        .filter_map(|f| match f {
            Frame::Ping { nonce } => Some(*nonce),
            _ => None,
        })
        .collect()
}

#[test]
fn pings_every_interval_and_measures_rtt() {
    let mut h = Harness::connected(config());
    h.advance(Duration::from_millis(9_999));
    assert!(pings(&h).is_empty());
    h.advance(Duration::from_millis(1));
    let [nonce] = pings(&h)[..] else {
        panic!("{:?}", h.sent);
    };
    h.advance(Duration::from_millis(40));
    h.recv(Frame::Pong { nonce });
    let m = h.client.metrics();
    assert_eq!(m.rtt_last, Some(Duration::from_millis(40)));
    assert_eq!(m.rtt_smoothed, Some(Duration::from_millis(40)));
    h.advance(Duration::from_millis(9_960));
    assert_eq!(pings(&h).len(), 2);
    assert_ne!(pings(&h)[1], nonce, "nonces come from a counter");
}

#[test]
fn hub_pings_are_answered_by_the_core() {
    let mut h = Harness::connected(config());
    h.recv(Frame::Ping { nonce: 77 });
    assert_eq!(h.sent, vec![Frame::Pong { nonce: 77 }]);
}

#[test]
fn dead_hub_is_detected_within_the_timeout_and_closed() {
    let mut h = Harness::connected(config());
    // Pings go out, nothing comes back.
    h.advance(Duration::from_millis(29_999));
    assert_eq!(h.client.state(), ClientState::Connected);
    h.advance(Duration::from_millis(1));
    assert!(
        h.events
            .contains(&ClientEvent::Error(SessionError::HeartbeatTimeout))
    );
    assert!(matches!(
        h.transport[0],
        TransportCommand::Close {
            code: CloseCode::HEARTBEAT_TIMEOUT,
            ..
        }
    ));
    assert_eq!(h.client.state(), ClientState::Connecting, "immediate retry");
    assert_eq!(h.client.metrics().errors.heartbeat_timeouts, 1);
}

#[test]
fn any_frame_counts_as_liveness() {
    let mut h = Harness::connected(config());
    for _ in 0..5 {
        h.advance(Duration::from_secs(20));
        h.recv(Frame::Ping { nonce: 1 });
    }
    assert_eq!(h.client.state(), ClientState::Connected);
}

#[test]
fn hub_heartbeat_shortens_the_interval() {
    let mut h = Harness::new(config());
    h.connect();
    h.recv(welcome(2_000));
    h.clear();
    h.advance(Duration::from_secs(2));
    assert_eq!(pings(&h).len(), 1);
}

#[test]
fn time_connected_accumulates_across_connections() {
    let mut h = Harness::connected(config());
    h.advance(Duration::from_secs(5));
    h.lost(crate::client::TransportClosed::failed("reset"));
    h.advance(Duration::from_secs(1));
    h.open();
    h.recv(welcome(0));
    h.advance(Duration::from_secs(2));
    assert_eq!(h.client.metrics().time_connected, Duration::from_secs(7));
}
