//! Handshake: version negotiation, authentication (inline and deferred), replica
//! binding, frames before `Welcome`, handshake timeout, pings.

use std::sync::Arc;
use std::time::Duration;

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

#[test]
fn welcome_announces_version_session_heartbeat_and_limits() {
    let mut h = Harness::new();
    let sid = h.open();
    h.send(sid, hello(7));
    let frames = h.take(sid);
    let [Frame::Welcome(w)] = frames.as_slice() else {
        panic!("{frames:?}")
    };
    assert_eq!(w.version, 2);
    assert_eq!(w.session, sid);
    assert_eq!(w.heartbeat_ms, 15_000);
    assert_eq!(w.limits, h.hub.config().wire_limits());
    assert!(h.events.iter().any(|e| matches!(e,
        HubEvent::SessionAuthenticated { session, replica, .. } if *session == sid && replica.0 == 7)));
}

#[test]
fn unsupported_versions_are_rejected_with_a_reason_and_closed() {
    let mut h = Harness::new();
    let sid = h.open();
    h.send(
        sid,
        Frame::Hello(Hello {
            versions: vec![1, 9],
            replica: ReplicaId(1),
            token: None,
            user_info: None,
        }),
    );
    let frames = h.take(sid);
    assert_eq!(rejects(&frames), vec![ErrorCode::UNSUPPORTED_VERSION]);
    assert_eq!(h.closed.get(&sid), Some(&CloseCode::UNSUPPORTED_VERSION));
    assert_eq!(h.hub.session_count(), 0);
}

/// `Hello [1, versions, 1, null, null]` with `versions` given as encoded CBOR uints.
fn hello_offering(versions: &[&[u8]]) -> Vec<u8> {
    let mut bytes = vec![0x85, 0x01, 0x80 + versions.len() as u8];
    for v in versions {
        bytes.extend_from_slice(v);
    }
    bytes.extend([0x01, 0xf6, 0xf6]);
    bytes
}

#[test]
fn version_offers_beyond_32_bits_are_not_common_rather_than_malformed() {
    let two_to_32: &[u8] = &[0x1b, 0, 0, 0, 1, 0, 0, 0, 0];
    let max: &[u8] = &[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    // A common version among them: welcomed with it.
    let mut h = Harness::new();
    let sid = h.open();
    h.send_raw(sid, &hello_offering(&[&[0x02], two_to_32]));
    let frames = h.take(sid);
    assert!(
        frames
            .iter()
            .any(|f| matches!(f, Frame::Welcome(w) if w.version == 2)),
        "{frames:?}"
    );
    // None in common: unsupported_version and 4001, not malformed.
    let sid = h.open();
    h.send_raw(sid, &hello_offering(&[two_to_32, max]));
    assert_eq!(rejects(&h.take(sid)), vec![ErrorCode::UNSUPPORTED_VERSION]);
    assert_eq!(h.closed.get(&sid), Some(&CloseCode::UNSUPPORTED_VERSION));
}

#[test]
fn deferred_authorization_waits_for_the_driver() {
    let mut h = Harness::with(HubConfig::default());
    let sid = h.open();
    h.send(sid, hello(3));
    assert!(h.take(sid).is_empty(), "no Welcome before the decision");
    assert_eq!(h.auth.len(), 1);
    assert_eq!(h.auth[0].token.as_deref(), Some("t"));
    assert_eq!(h.auth[0].replica, ReplicaId(3));
    // A delta while waiting is refused, not processed.
    h.send(sid, delta("r", "sum", 3, 1, sum(1)));
    assert_eq!(rejects(&h.take(sid)), vec![ErrorCode::UNEXPECTED_FRAME]);
    h.hub
        .handle_auth(h.now, sid, Ok(Identity::read_only_all("ann")))
        .unwrap();
    h.settle();
    assert!(matches!(h.take(sid).as_slice(), [Frame::Welcome(_)]));
    assert_eq!(
        h.hub
            .handle_auth(h.now, sid, Ok(Identity::read_only_all("ann"))),
        Err(HubError::NotAwaitingAuth(sid))
    );
}

#[test]
fn refused_authorization_rejects_unauthorized_and_closes() {
    let mut h = Harness::with(HubConfig::default());
    let sid = h.open();
    h.send(sid, hello(3));
    h.hub
        .handle_auth(h.now, sid, Err(AuthError("expired".into())))
        .unwrap();
    h.settle();
    let frames = h.take(sid);
    assert!(
        matches!(frames.as_slice(), [Frame::Reject(r)] if r.code == ErrorCode::UNAUTHORIZED && r.message == "expired")
    );
    assert_eq!(h.closed.get(&sid), Some(&CloseCode::UNAUTHORIZED));
    // An answer for a session that has gone is ignored.
    assert_eq!(
        h.hub.handle_auth(h.now, sid, Err(AuthError("x".into()))),
        Ok(())
    );
}

#[test]
fn a_refusal_reason_longer_than_a_reject_allows_is_cut_at_a_character_boundary() {
    // An HTTP authorizer's reason can be any length; a `Reject` carries at most
    // MAX_MESSAGE_LEN bytes, or the client could not decode it and would never
    // learn that it must stop (4002).
    let mut h = Harness::with(HubConfig::default());
    let sid = h.open();
    h.send(sid, hello(3));
    let reason = format!("x{}", "é".repeat(600));
    h.hub
        .handle_auth(h.now, sid, Err(AuthError(reason.clone())))
        .unwrap();
    h.settle();
    let frames = h.take(sid);
    let [Frame::Reject(r)] = frames.as_slice() else {
        panic!("{frames:?}");
    };
    assert_eq!(r.code, ErrorCode::UNAUTHORIZED);
    assert_eq!(
        r.message.len(),
        MAX_MESSAGE_LEN - 1,
        "511 two-byte characters fit"
    );
    assert!(reason.starts_with(&r.message));
    assert_eq!(h.closed.get(&sid), Some(&CloseCode::UNAUTHORIZED));
}

#[test]
fn an_authorizer_that_cannot_decide_closes_internal_error() {
    let mut h = Harness::with(HubConfig::default());
    let sid = h.open();
    h.send(sid, hello(3));
    h.hub
        .handle_auth_unavailable(h.now, sid, "authorization timed out")
        .unwrap();
    h.settle();
    let frames = h.take(sid);
    assert!(
        matches!(frames.as_slice(), [Frame::Reject(r)] if r.code == ErrorCode::INTERNAL && r.message == "authorization timed out")
    );
    assert_eq!(h.closed.get(&sid), Some(&CloseCode::INTERNAL_ERROR));
    assert_eq!(h.hub.handle_auth_unavailable(h.now, sid, "x"), Ok(()));
    let open = h.open();
    h.send(open, hello(4));
    h.hub
        .handle_auth(h.now, open, Ok(Identity::read_only_all("ann")))
        .unwrap();
    assert_eq!(
        h.hub.handle_auth_unavailable(h.now, open, "late"),
        Err(HubError::NotAwaitingAuth(open))
    );
}

struct TokenAuthorizer;
impl Authorizer for TokenAuthorizer {
    fn authorize(&self, r: &AuthRequest) -> AuthDecision {
        match r.token.as_deref() {
            Some("good") => AuthDecision::Decided(Ok(Identity::read_write_all("good"))),
            Some("later") => AuthDecision::Defer,
            _ => AuthDecision::Decided(Err(AuthError("bad token".into()))),
        }
    }
}

#[test]
fn inline_authorizer_decides_or_defers() {
    let cfg = HubConfig {
        authorizer: Some(Arc::new(TokenAuthorizer)),
        ..HubConfig::default()
    };
    let mut h = Harness::with(cfg);
    let with_token = |t: &str| {
        Frame::Hello(Hello {
            versions: crate::wire::SUPPORTED_VERSIONS.to_vec(),
            replica: ReplicaId(1),
            token: Some(t.into()),
            user_info: None,
        })
    };
    let (a, b, c) = (h.open(), h.open(), h.open());
    h.send(a, with_token("good"));
    h.send(b, with_token("nope"));
    h.send(c, with_token("later"));
    assert!(matches!(h.take(a).as_slice(), [Frame::Welcome(_)]));
    assert_eq!(rejects(&h.take(b)), vec![ErrorCode::UNAUTHORIZED]);
    assert!(h.take(c).is_empty());
    assert_eq!(
        h.auth.iter().map(|r| r.session).collect::<Vec<_>>(),
        vec![c]
    );
}

#[test]
fn frames_before_welcome_are_unexpected_but_pings_are_answered() {
    let mut h = Harness::new();
    let sid = h.open();
    h.send(sid, join("r", "sum", None));
    h.send(sid, Frame::Ping { nonce: 5 });
    let frames = h.take(sid);
    assert_eq!(rejects(&frames), vec![ErrorCode::UNEXPECTED_FRAME]);
    assert!(frames.contains(&Frame::Pong { nonce: 5 }));
    h.send(sid, hello(1));
    h.send(sid, hello(1));
    let frames = h.take(sid);
    assert!(matches!(frames.first(), Some(Frame::Welcome(_))));
    assert_eq!(
        rejects(&frames),
        vec![ErrorCode::UNEXPECTED_FRAME],
        "a second Hello"
    );
}

#[test]
fn handshake_timeout_closes_sessions_that_never_finish() {
    let mut h = Harness::with(HubConfig::default());
    let idle = h.open();
    let waiting = h.open();
    h.send(waiting, hello(1)); // awaiting a decision that never comes
    assert_eq!(h.hub.poll_timeout(), Some(h.now + Duration::from_secs(10)));
    h.advance(Duration::from_secs(9));
    assert!(h.closed.is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(h.closed.get(&idle), Some(&CloseCode::HANDSHAKE_TIMEOUT));
    assert_eq!(h.closed.get(&waiting), Some(&CloseCode::HANDSHAKE_TIMEOUT));
    assert_eq!(h.hub.session_count(), 0);
}

#[test]
fn heartbeat_timeout_closes_silent_sessions_and_any_frame_is_liveness() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.take(a);
    for _ in 0..4 {
        h.advance(Duration::from_secs(30));
        h.send(a, Frame::Ping { nonce: 1 });
    }
    assert!(h.take(a).contains(&Frame::Pong { nonce: 1 }));
    assert_eq!(h.closed.get(&b), Some(&CloseCode::HEARTBEAT_TIMEOUT));
    assert!(!h.closed.contains_key(&a));
    assert_eq!(h.hub.room_members(&RoomId::new("r")), vec![a]);
    assert!(h.take(a).is_empty());
}

#[test]
fn the_heartbeat_deadline_is_the_last_frame_plus_the_timeout() {
    let mut h = Harness::new(); // heartbeat_timeout: 45 s
    let a = h.connect(1);
    let welcomed = h.now;
    h.advance(Duration::from_secs(44));
    h.send(a, Frame::Ping { nonce: 1 });
    let last = h.now;
    // The first deadline (welcome + 45 s) passes: the session was heard from since.
    h.advance(Duration::from_secs(1));
    assert_eq!(h.now, welcomed + Duration::from_secs(45));
    assert!(!h.closed.contains_key(&a));
    assert_eq!(h.hub.poll_timeout(), Some(last + Duration::from_secs(45)));
    h.advance(Duration::from_millis(43_999));
    assert!(!h.closed.contains_key(&a), "1 ms before the deadline");
    h.advance(Duration::from_millis(1));
    assert_eq!(h.closed.get(&a), Some(&CloseCode::HEARTBEAT_TIMEOUT));
}

#[test]
fn the_hub_refuses_sessions_beyond_its_limit() {
    let mut h = Harness::with(HubConfig {
        max_sessions: 1,
        ..config()
    });
    let a = h.open();
    let b = h.open();
    assert_ne!(a, b);
    assert_eq!(h.closed.get(&b), Some(&CloseCode::GOING_AWAY));
    assert_eq!(h.hub.session_count(), 1);
}

#[test]
fn invalid_config_is_refused() {
    let bad = HubConfig {
        max_backlog_bytes: 0,
        ..HubConfig::default()
    };
    assert!(matches!(
        Hub::new(bad, crate::Instant::ZERO),
        Err(ConfigError::Invalid {
            field: "max_backlog_bytes",
            ..
        })
    ));
}
