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
    assert!(
        matches!(&fb[1], Frame::PeerJoined(p) if p.peer == a && p.replica == ReplicaId(1) && p.user_info.as_deref() == Some(&b"user1"[..]))
    );
    assert!(matches!(&fb[2], Frame::Presence(p) if p.peer == a && &p.state[..] == b"cursor@1"));
    let fa = h.take(a);
    assert!(
        matches!(fa.as_slice(), [Frame::PeerJoined(p)] if p.peer == b && p.user_info.as_deref() == Some(&b"user2"[..]))
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
            Frame::PeerLeft(p) if p.peer == a => Some(p.room),
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
