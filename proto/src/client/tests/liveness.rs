//! Bounded exits: every state that waits for the transport or the hub ends within
//! its timeout of the driver's time, even when the driver's clock steps back.

use core::time::Duration;

use super::harness::*;
use crate::client::ClientState::*;
use crate::client::{ClientEvent, SessionError, TransportCommand};
use crate::time::Instant;
use crate::wire::CloseCode;

/// Steps the harness clock back by `d` (as a wall clock corrected by NTP, or a
/// driver without a monotonic clock, would) and gives the client an input.
fn step_back(h: &mut Harness, d: Duration) {
    h.now = Instant::from_micros(h.now.as_micros() - d.as_micros() as u64);
    h.client.handle_timeout(h.now);
    h.drain();
}

/// Simulator seeds 720 and 2210 of `realistic`: the transport of an attempt is
/// black-holed (never opens, never fails) and the client's clock steps back 83 s
/// while it waits. The handshake deadline must still come 10 s of driver time
/// after the attempt started, not 10 s + 83 s.
#[test]
fn clock_step_back_does_not_postpone_the_handshake_timeout() {
    let mut h = Harness::new(config());
    h.now = Instant::from_millis(100_000);
    h.client.connect(h.now);
    h.drain();
    assert_eq!(h.client.state(), Connecting);
    h.advance(Duration::from_secs(1));
    step_back(&mut h, Duration::from_millis(82_836));
    let left = h.client.poll_timeout().map(|t| t - h.now);
    assert_eq!(left, Some(Duration::from_secs(9)), "9 s of the 10 s remain");
    h.clear();
    h.advance(Duration::from_secs(9));
    assert_eq!(h.client.state(), Backoff);
    assert!(matches!(
        h.transport[0],
        TransportCommand::Close {
            code: CloseCode::HANDSHAKE_TIMEOUT,
            ..
        }
    ));
    // The next attempt is armed on the driver's clock as well.
    let backoff = h.next_deadline().expect("retry deadline");
    assert!(backoff <= config().backoff_base);
    assert_eq!(h.client.state(), Connecting);
    assert_eq!(
        h.client.poll_timeout().map(|t| t - h.now),
        Some(config().handshake_timeout)
    );
}

#[test]
fn clock_step_back_while_handshaking_and_connected_keeps_timeouts() {
    // Handshaking: transport open, hub silent.
    let mut h = Harness::new(config());
    h.now = Instant::from_millis(200_000);
    h.connect();
    h.advance(Duration::from_secs(4));
    step_back(&mut h, Duration::from_secs(60));
    h.advance(Duration::from_secs(6));
    assert_eq!(h.client.state(), Backoff, "10 s of driver time elapsed");
    // Connected: the hub goes silent; the heartbeat timeout still holds.
    let mut h = Harness::new(config());
    h.now = Instant::from_millis(200_000);
    h.connect();
    h.recv(welcome(0));
    h.advance(Duration::from_secs(15));
    h.recv(crate::wire::Frame::Pong { nonce: 1 });
    assert_eq!(h.client.state(), Connected);
    h.clear();
    step_back(&mut h, Duration::from_secs(90));
    h.advance(config().heartbeat_timeout - Duration::from_millis(1));
    assert_eq!(h.client.state(), Connected);
    h.advance(Duration::from_millis(1));
    assert_eq!(h.client.state(), Connecting, "dead hub detected, retried");
    assert!(
        h.events
            .contains(&ClientEvent::Error(SessionError::HeartbeatTimeout))
    );
}

/// Advances `total` in steps of 5 s, the hub sending a `Ping` after each, so the
/// heartbeat sees a live hub.
fn live_hub_for(h: &mut Harness, total: Duration) {
    let step = Duration::from_secs(5);
    let mut left = total;
    while left > Duration::ZERO {
        let d = left.min(step);
        h.advance(d);
        left -= d;
        if h.client.state() == Connected {
            h.recv(crate::wire::Frame::Ping { nonce: 1 });
        }
    }
}

#[test]
fn unanswered_join_times_out_reconnects_and_joins_again() {
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("r"), "g").expect("join");
    h.drain();
    assert!(
        h.sent
            .iter()
            .any(|f| matches!(f, crate::wire::Frame::Join(_)))
    );
    h.clear();
    live_hub_for(&mut h, config().join_timeout - Duration::from_secs(1));
    assert_eq!(h.client.state(), Connected, "hub alive, join still pending");
    h.clear();
    h.advance(Duration::from_secs(1));
    assert!(
        h.events
            .contains(&ClientEvent::Error(SessionError::JoinTimeout {
                room: room("r")
            }))
    );
    assert!(matches!(
        h.transport[0],
        TransportCommand::Close {
            code: CloseCode::HEARTBEAT_TIMEOUT,
            ..
        }
    ));
    assert_eq!(h.client.state(), Connecting, "retried at once");
    assert_eq!(h.client.metrics().errors.join_timeouts, 1);
    h.clear();
    h.open();
    h.recv(welcome(0));
    assert!(
        h.sent
            .iter()
            .any(|f| matches!(f, crate::wire::Frame::Join(_)))
    );
    h.recv(joined("r", 1, 0, 0, 0));
    live_hub_for(&mut h, config().join_timeout * 2);
    assert_eq!(
        h.client.state(),
        Connected,
        "answered joins do not time out"
    );
}

#[test]
fn join_deadline_follows_each_room() {
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("a"), "g").expect("join");
    h.drain();
    live_hub_for(&mut h, Duration::from_secs(10));
    h.client.join(h.now, room("b"), "g").expect("join");
    h.drain();
    h.recv(joined("a", 1, 0, 0, 0));
    // "a" was answered; "b" (sent 10 s later) times out 10 s after "a" would have.
    live_hub_for(&mut h, config().join_timeout - Duration::from_secs(1));
    assert_eq!(h.client.state(), Connected);
    h.clear();
    h.advance(Duration::from_secs(1));
    assert!(
        h.events
            .contains(&ClientEvent::Error(SessionError::JoinTimeout {
                room: room("b")
            }))
    );
}
