//! Lifecycle transitions, handshake and rejection paths.

use core::time::Duration;

use super::harness::*;
use crate::client::{
    ClientEvent, ClientState, DisconnectReason, SessionError, TlsFailure, TransportClosed,
    TransportCommand,
};
use crate::wire::*;

use ClientState::*;

#[test]
fn connect_handshake_welcome_reaches_connected() {
    let mut h = Harness::new(config());
    assert_eq!(h.client.state(), Disconnected);
    h.client.connect(h.now);
    h.drain();
    assert!(
        matches!(h.transport[..], [TransportCommand::Open { .. }]),
        "{:?}",
        h.transport
    );
    assert_eq!(h.client.state(), Connecting);
    h.open();
    let Some(Frame::Hello(hello)) = h.sent.first() else {
        panic!("expected Hello, got {:?}", h.sent);
    };
    assert_eq!(hello.versions, SUPPORTED_VERSIONS.to_vec());
    assert_eq!(hello.replica, ME);
    assert_eq!(hello.token.as_deref(), Some("secret"));
    h.recv(welcome(0));
    assert_eq!(h.states(), vec![Connecting, Handshaking, Connected]);
    assert_eq!(h.client.session().map(|w| w.session), Some(SessionId(1)));
    assert_eq!(h.client.metrics().connections, 1);
}

#[test]
fn fatal_handshake_rejects_fail_without_reconnecting() {
    for code in [ErrorCode::UNAUTHORIZED, ErrorCode::UNSUPPORTED_VERSION] {
        let mut h = Harness::new(config());
        h.connect();
        h.clear();
        h.recv(reject(code, None, None));
        assert_eq!(h.client.state(), Failed);
        assert_eq!(
            h.transport,
            vec![TransportCommand::Close {
                conn: h.conn,
                code: CloseCode::NORMAL,
                reason: "normal",
            }]
        );
        assert!(matches!(
            h.client.failure(),
            Some(DisconnectReason::Fault(SessionError::Rejected { code: c, .. })) if *c == code
        ));
        assert_eq!(h.client.poll_timeout(), None, "nothing left to wake up for");
        h.advance(Duration::from_secs(3600));
        assert_eq!(h.client.state(), Failed);
        assert_eq!(h.transport.len(), 1, "no reconnect storm");
    }
}

#[test]
fn non_fatal_handshake_reject_backs_off_and_retries() {
    let mut h = Harness::new(config());
    h.connect();
    h.clear();
    h.recv(reject(ErrorCode::INTERNAL, None, None));
    assert_eq!(h.client.state(), Backoff);
    assert!(matches!(h.transport[0], TransportCommand::Close { .. }));
    let waited = h.next_deadline().expect("retry scheduled");
    assert!(waited <= h.client.config().backoff_base);
    assert_eq!(h.client.state(), Connecting);
    assert!(matches!(
        h.transport.last(),
        Some(TransportCommand::Open { .. })
    ));
}

#[test]
fn fatal_close_code_fails_and_other_codes_back_off() {
    let mut h = Harness::new(config());
    h.connect();
    h.lost(TransportClosed::closed(
        CloseCode::UNAUTHORIZED,
        "bad token",
    ));
    assert_eq!(h.client.state(), Failed);
    assert!(
        !h.transport
            .iter()
            .any(|c| matches!(c, TransportCommand::Close { .. })),
        "a transport reported closed is not closed again"
    );

    let mut h = Harness::new(config());
    h.connect();
    h.lost(TransportClosed::closed(CloseCode::GOING_AWAY, "restart"));
    assert_eq!(h.client.state(), Backoff);
}

#[test]
fn failed_connection_attempt_backs_off_then_retries() {
    let mut h = Harness::new(config());
    h.client.connect(h.now);
    h.drain();
    h.lost(TransportClosed::failed("connection refused"));
    assert_eq!(h.client.state(), Backoff);
    assert_eq!(h.client.attempts(), 1);
    h.clear();
    let waited = h.next_deadline().expect("retry");
    assert!(waited <= Duration::from_millis(500));
    assert!(
        matches!(h.transport[..], [TransportCommand::Open { .. }]),
        "{:?}",
        h.transport
    );
    assert_eq!(h.client.metrics().reconnects, 1);
}

#[test]
fn every_tls_failure_is_reported_with_its_kind_and_backs_off() {
    let mut h = Harness::new(config());
    h.client.connect(h.now);
    h.drain();
    for attempt in 1..=3 {
        h.lost(TransportClosed::tls_failed(
            TlsFailure::UnknownIssuer,
            "unknown issuer",
        ));
        assert_eq!(h.client.state(), Backoff);
        assert_eq!(h.client.attempts(), attempt);
        let reported = h.events.iter().filter(|e| {
            matches!(e, ClientEvent::StateChanged { to: Backoff, reason: Some(r), .. }
                if r.tls_failure() == Some(TlsFailure::UnknownIssuer))
        });
        assert_eq!(reported.count(), 1, "attempt {attempt}: {:?}", h.events);
        h.clear();
        h.next_deadline().expect("retry");
    }
}

#[test]
fn handshake_timeout_closes_and_backs_off() {
    // The transport never opens.
    let mut h = Harness::new(config());
    h.client.connect(h.now);
    h.drain();
    h.clear();
    h.advance(Duration::from_secs(10));
    assert_eq!(h.client.state(), Backoff);
    assert!(
        h.events
            .contains(&ClientEvent::Error(SessionError::HandshakeTimeout))
    );
    assert!(matches!(
        h.transport[0],
        TransportCommand::Close {
            code: CloseCode::HANDSHAKE_TIMEOUT,
            ..
        }
    ));
    // The transport opens but no Welcome comes.
    let mut h = Harness::new(config());
    h.connect();
    h.advance(Duration::from_secs(9));
    assert_eq!(h.client.state(), Handshaking);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.client.state(), Backoff);
}

#[test]
fn losing_an_established_connection_retries_immediately() {
    let mut h = Harness::connected(config());
    h.lost(TransportClosed::failed("reset"));
    assert_eq!(h.states(), vec![Backoff, Connecting]);
    assert!(
        matches!(h.transport[..], [TransportCommand::Open { .. }]),
        "{:?}",
        h.transport
    );
}

#[test]
fn flapping_connection_backs_off_and_stable_one_resets() {
    let mut h = Harness::connected(config());
    h.lost(TransportClosed::failed("reset"));
    h.open();
    h.recv(welcome(0));
    h.clear();
    // Dropped again before `stable_after`: not immediate this time.
    h.advance(Duration::from_secs(1));
    h.lost(TransportClosed::failed("reset"));
    assert_eq!(h.client.state(), Backoff);
    assert_eq!(h.client.attempts(), 2);
    h.next_deadline();
    h.open();
    h.recv(welcome(0));
    h.advance(Duration::from_secs(10));
    assert_eq!(
        h.client.attempts(),
        0,
        "stable connection resets the counter"
    );
    h.clear();
    h.lost(TransportClosed::failed("reset"));
    assert_eq!(h.states(), vec![Backoff, Connecting]);
}

#[test]
fn backoff_delays_grow_up_to_the_cap() {
    let mut c = config();
    c.backoff_base = Duration::from_millis(100);
    c.backoff_cap = Duration::from_millis(800);
    let mut h = Harness::new(c);
    h.client.connect(h.now);
    h.drain();
    let mut waits = Vec::new();
    for _ in 0..12 {
        h.lost(TransportClosed::failed("refused"));
        waits.push(h.next_deadline().expect("retry"));
    }
    for (i, w) in waits.iter().enumerate() {
        let ceiling = Duration::from_millis(100u64 << i.min(3));
        assert!(*w <= ceiling, "attempt {} waited {w:?}", i + 1);
    }
    assert!(
        waits[6..].iter().any(|w| *w > Duration::from_millis(400)),
        "{waits:?}"
    );
}

#[test]
fn max_attempts_fails_the_session() {
    let mut c = config();
    c.max_attempts = Some(2);
    let mut h = Harness::new(c);
    h.client.connect(h.now);
    h.drain();
    for _ in 0..2 {
        h.lost(TransportClosed::failed("refused"));
        assert_eq!(h.client.state(), Backoff);
        h.next_deadline();
    }
    h.lost(TransportClosed::failed("refused"));
    assert_eq!(h.client.state(), Failed);
    assert_eq!(
        h.client.failure(),
        Some(&DisconnectReason::MaxAttemptsReached { attempts: 2 })
    );
    h.clear();
    h.client.connect(h.now);
    h.drain();
    assert_eq!(h.client.state(), Connecting, "connect starts afresh");
}

#[test]
fn close_stops_without_reconnect_and_connect_restarts() {
    let mut h = Harness::connected(config());
    h.client.close(h.now);
    h.drain();
    assert_eq!(h.client.state(), Closed);
    assert!(matches!(
        h.transport[..],
        [TransportCommand::Close {
            code: CloseCode::NORMAL,
            ..
        }]
    ));
    assert_eq!(h.client.poll_timeout(), None);
    // A frame still read from the old connection is ignored.
    h.recv(welcome(0));
    assert_eq!(h.client.state(), Closed);
    h.client.connect(h.now);
    h.drain();
    assert_eq!(h.client.state(), Connecting);
}

#[test]
fn close_before_the_driver_opened_cancels_the_open() {
    let mut h = Harness::new(config());
    h.client.connect(h.now);
    h.client.close(h.now);
    h.drain();
    assert!(h.transport.is_empty(), "{:?}", h.transport);
    assert_eq!(h.client.state(), Closed);
}

#[test]
fn connect_during_backoff_retries_at_once() {
    let mut h = Harness::new(config());
    h.client.connect(h.now);
    h.drain();
    h.lost(TransportClosed::failed("refused"));
    h.clear();
    h.client.connect(h.now);
    h.drain();
    assert!(
        matches!(h.transport[..], [TransportCommand::Open { .. }]),
        "{:?}",
        h.transport
    );
    assert_eq!(h.client.state(), Connecting);
}
