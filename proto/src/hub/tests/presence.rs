//! Presence: peers joined / left with user info, ephemeral state relayed and never
//! logged, and leaving every room when the session is lost.

use super::harness::*;
use crate::hub::*;
use crate::wire::*;
use bytes::Bytes;

fn set(room: &str, state: &'static [u8]) -> Frame {
    Frame::SetPresence(SetPresence {
        room: RoomId::new(room),
        state: Bytes::from_static(state),
    })
}

#[test]
fn joiners_learn_existing_peers_and_their_presence_and_peers_learn_the_joiner() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.send(a, set("r", b"cursor@1"));
    let b = h.connect(2);
    let fb = h.join(b, "r", "sum", None);
    let [Frame::Joined(_), Frame::Peers(p)] = fb.as_slice() else {
        panic!("{fb:?}")
    };
    assert_eq!((p.mode, p.count), (PeersMode::Full, 2));
    assert_eq!(
        p.joined,
        vec![PeerInfo {
            peer: a,
            replica: ReplicaId(1),
            user_info: Some(Bytes::from_static(b"user1")),
            state: Some(Bytes::from_static(b"cursor@1")),
        }]
    );
    let fa = h.take(a);
    let [Frame::Peers(p)] = fa.as_slice() else {
        panic!("{fa:?}")
    };
    assert_eq!((p.mode, p.count, p.left.len()), (PeersMode::Changes, 2, 0));
    assert!(
        matches!(p.joined.as_slice(), [e] if e.peer == b && e.user_info.as_deref() == Some(&b"user2"[..]) && e.state.is_none())
    );
}

#[test]
fn presence_is_relayed_to_others_and_never_logged() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.take(a);
    h.send(a, set("r", b"sel"));
    assert!(h.take(a).is_empty(), "not echoed");
    assert!(matches!(h.take(b).as_slice(), [Frame::Presence(p)] if p.peer == a));
    assert_eq!(h.storage.entry_count(&RoomId::new("r")), 0);
    h.send(a, set("elsewhere", b"x"));
    assert_eq!(rejects(&h.take(a)), vec![ErrorCode::UNKNOWN_ROOM]);
    let big = Frame::SetPresence(SetPresence {
        room: RoomId::new("r"),
        state: Bytes::from(vec![0; 5000]),
    });
    h.send(a, big);
    assert_eq!(rejects(&h.take(a)), vec![ErrorCode::PAYLOAD_TOO_LARGE]);
}

#[test]
fn a_lost_session_leaves_every_room() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    for r in ["r1", "r2"] {
        h.join(a, r, "sum", None);
        h.join(b, r, "sum", None);
    }
    h.take(b);
    h.hub.handle_session_closed(h.now, a);
    h.settle();
    let left: Vec<_> = h
        .take(b)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Peers(p) if p.left == [a] => Some(p.room),
            _ => None,
        })
        .collect();
    assert_eq!(left, vec![RoomId::new("r1"), RoomId::new("r2")]);
    assert_eq!(h.hub.room_members(&RoomId::new("r1")), vec![b]);
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, HubEvent::SessionClosed { session, code: None } if *session == a))
    );
}

fn state(n: u32, len: usize) -> Frame {
    let mut state = vec![0u8; len];
    state[..4].copy_from_slice(&n.to_le_bytes());
    Frame::SetPresence(SetPresence {
        room: RoomId::new("r"),
        state: Bytes::from(state),
    })
}

/// A session spamming presence cannot push a member that does not read past its
/// backlog bound, nor get it closed; once it reads, it gets the latest state.
#[test]
fn presence_spam_never_overflows_a_stalled_member_and_the_latest_state_wins() {
    let mut h = Harness::with(HubConfig {
        max_backlog_bytes: 2_000,
        max_presence_bytes: 512,
        rate_frame_burst: 10_000,
        rate_byte_burst: 10_000_000,
        ..config()
    });
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.take(a);
    h.take(b);
    h.stalled.push(b);
    for n in 1..=300 {
        h.send(a, state(n, 500));
        assert!(h.hub.backlog(b).unwrap() <= 2_000, "at update {n}");
    }
    assert!(h.closed.is_empty(), "{:?}", h.closed);
    assert!(h.hub.metrics().presence_dropped > 0);
    let seen = h.take(b).len();
    assert!(seen < 10, "only what fit was queued ({seen})");
    h.stalled.clear();
    let backlog = h.hub.backlog(b).unwrap();
    h.hub.handle_flushed(b, backlog);
    h.settle();
    let latest: Vec<u32> = h
        .take(b)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Presence(p) if p.peer == a => {
                Some(u32::from_le_bytes(p.state[..4].try_into().unwrap()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(latest, vec![300], "one re-send, of the latest state");
    // Live again afterwards.
    h.send(a, state(301, 8));
    assert!(matches!(h.take(b).as_slice(), [Frame::Presence(p)] if p.state[0] == 45));
}

#[test]
fn set_presence_counts_against_the_rate_limit() {
    let mut h = Harness::with(HubConfig {
        rate_frame_burst: 4,
        rate_strikes_to_close: 3,
        ..config()
    });
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    for _ in 0..6 {
        h.send(a, set("r", b"x"));
    }
    let frames = h.take(a);
    assert!(
        frames.iter().all(|f| matches!(f, Frame::Reject(r)
            if r.code == ErrorCode::RATE_LIMITED && r.room == Some(RoomId::new("r")))),
        "{frames:?}"
    );
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert_eq!(h.closed.get(&a), Some(&CloseCode::RATE_LIMITED));
}

/// A joiner of a room whose members all hold large presence states is not closed
/// as a slow consumer: the states that do not fit follow as it drains.
#[test]
fn a_joiner_gets_many_large_presence_states_within_its_backlog() {
    let mut h = Harness::with(HubConfig {
        max_backlog_bytes: 2_000,
        max_presence_bytes: 512,
        ..config()
    });
    let members: Vec<SessionId> = (1..=10).map(|r| h.connect(r)).collect();
    for (n, &m) in members.iter().enumerate() {
        h.join(m, "r", "sum", None);
        h.send(m, state(n as u32, 500));
    }
    for &m in &members {
        h.take(m);
    }
    let joiner = h.connect(99);
    h.stalled.push(joiner);
    let first = h.join(joiner, "r", "sum", None);
    assert!(!h.closed.contains_key(&joiner), "{:?}", h.closed);
    assert!(h.hub.backlog(joiner).unwrap() <= 2_000);
    let peers = |frames: &[Frame]| -> Vec<SessionId> {
        frames
            .iter()
            .flat_map(|f| match f {
                Frame::Presence(p) => vec![p.peer],
                Frame::Peers(p) => p
                    .joined
                    .iter()
                    .filter(|e| e.state.is_some())
                    .map(|e| e.peer)
                    .collect(),
                _ => vec![],
            })
            .collect()
    };
    let mut seen = peers(&first);
    assert!(seen.len() < members.len(), "not all fit at once");
    h.stalled.clear();
    for _ in 0..members.len() {
        let backlog = h.hub.backlog(joiner).unwrap();
        h.hub.handle_flushed(joiner, backlog);
        h.settle();
        seen.extend(peers(&h.take(joiner)));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen, members, "every member's presence arrived");
}
