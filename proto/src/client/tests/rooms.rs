//! Rooms: joining, join rejection, validation, leaving, presence and peer events.

use bytes::Bytes;

use super::harness::*;
use crate::client::{ClientError, ClientEvent, RoomStatus, TransportClosed};
use crate::wire::*;

#[test]
fn join_sends_join_and_reports_joined() {
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("r"), "g").unwrap();
    h.drain();
    assert_eq!(
        h.sent,
        vec![Frame::Join(Join {
            room: room("r"),
            crdt: "g".into(),
            resume: None
        })]
    );
    assert_eq!(
        h.client.room(&room("r")).map(|r| r.status),
        Some(RoomStatus::Joining)
    );
    h.recv(joined("r", 3, 0, 2, 0));
    assert_eq!(
        h.app_events(),
        vec![ClientEvent::Joined {
            room: room("r"),
            epoch: 3,
            offset: 0,
            head: 2,
            writable: true,
            resync: false
        }]
    );
    let info = h.client.room(&room("r")).unwrap();
    assert_eq!(info.status, RoomStatus::Joined);
    assert_eq!(
        info.position,
        Some(Position {
            epoch: 3,
            offset: 0
        })
    );
}

#[test]
fn rejected_join_is_reported_and_sticks_until_leave() {
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("r"), "g").unwrap();
    h.drain();
    h.recv(reject(ErrorCode::FORBIDDEN, Some("r"), None));
    assert!(matches!(
        h.app_events()[..],
        [ClientEvent::JoinRejected {
            code: ErrorCode::FORBIDDEN,
            ..
        }]
    ));
    let status = h.client.room(&room("r")).unwrap().status;
    assert_eq!(status, RoomStatus::Rejected(ErrorCode::FORBIDDEN));
    assert!(matches!(
        h.client.submit(h.now, &room("r"), Bytes::new()),
        Err(ClientError::RoomRejected { .. })
    ));
    assert_eq!(
        h.client.join(h.now, room("r"), "g"),
        Err(ClientError::AlreadyJoined(room("r")))
    );
    h.clear();
    h.client.leave(h.now, &room("r")).unwrap();
    h.client.join(h.now, room("r"), "g").unwrap();
    h.drain();
    assert!(
        matches!(h.sent[..], [Frame::Join(_)]),
        "no Leave for a rejected room"
    );
}

#[test]
fn unknown_room_for_a_joined_room_rejoins() {
    let mut h = Harness::joined_room(config());
    h.recv(reject(ErrorCode::UNKNOWN_ROOM, Some("r"), None));
    assert!(matches!(h.sent[..], [Frame::Join(_)]));
}

#[test]
fn join_validates_names_and_room_count() {
    let mut c = config();
    c.max_rooms = 1;
    let mut h = Harness::new(c);
    assert!(matches!(
        h.client.join(h.now, room(""), "g"),
        Err(ClientError::InvalidRoomId { .. })
    ));
    let long = "x".repeat(MAX_ROOM_ID_LEN + 1);
    assert!(matches!(
        h.client.join(h.now, room(&long), "g"),
        Err(ClientError::InvalidRoomId { .. })
    ));
    assert!(matches!(
        h.client.join(h.now, room("a"), ""),
        Err(ClientError::InvalidCrdtTag { .. })
    ));
    h.client.join(h.now, room("a"), "g").unwrap();
    assert_eq!(
        h.client.join(h.now, room("b"), "g"),
        Err(ClientError::TooManyRooms { max: 1 })
    );
    assert_eq!(
        h.client.leave(h.now, &room("b")),
        Err(ClientError::NotJoined(room("b")))
    );
}

#[test]
fn leave_then_frames_for_the_room_are_ignored() {
    let mut h = Harness::joined_room(config());
    h.client.leave(h.now, &room("r")).unwrap();
    h.drain();
    assert_eq!(h.sent, vec![Frame::Leave(Leave { room: room("r") })]);
    h.recv(hub_delta("r", 1, 0, PEER, 1));
    h.recv(joined("r", 1, 0, 0, 0));
    assert!(h.app_events().is_empty());
    assert!(h.client.room(&room("r")).is_none());
}

#[test]
fn presence_is_sent_when_joined_and_again_after_rejoin() {
    let mut h = Harness::new(config());
    h.client.join(h.now, room("r"), "g").unwrap();
    h.client
        .set_presence(h.now, &room("r"), Bytes::from_static(b"cursor"))
        .unwrap();
    h.connect();
    h.recv(welcome(0));
    h.recv(joined("r", 1, 0, 0, 0));
    let set = Frame::SetPresence(SetPresence {
        room: room("r"),
        state: Bytes::from_static(b"cursor"),
    });
    assert_eq!(h.sent.iter().filter(|f| **f == set).count(), 1);
    h.clear();
    h.lost(TransportClosed::failed("reset"));
    h.open();
    h.recv(welcome(0));
    h.recv(joined("r", 1, 0, 0, 0));
    assert!(h.sent.contains(&set), "re-sent after rejoin");
    assert_eq!(
        h.client.set_presence(h.now, &room("x"), Bytes::new()),
        Err(ClientError::NotJoined(room("x")))
    );
}

fn peer(sid: u64, state: Option<&'static [u8]>) -> PeerInfo {
    PeerInfo {
        peer: SessionId(sid),
        replica: PEER,
        user_info: None,
        state: state.map(Bytes::from_static),
    }
}

fn peers(r: &str, mode: PeersMode, count: u64, joined: Vec<PeerInfo>, left: &[u64]) -> Frame {
    Frame::Peers(Peers {
        room: room(r),
        mode,
        count,
        joined,
        left: left.iter().map(|&s| SessionId(s)).collect(),
    })
}

fn joined_ev(sid: u64) -> ClientEvent {
    ClientEvent::PeerJoined {
        room: room("r"),
        peer: SessionId(sid),
        replica: PEER,
        user_info: None,
    }
}

fn left_ev(sid: u64) -> ClientEvent {
    ClientEvent::PeerLeft {
        room: room("r"),
        peer: SessionId(sid),
    }
}

fn count_ev(count: u64) -> ClientEvent {
    ClientEvent::PeerCount {
        room: room("r"),
        count,
    }
}

#[test]
fn peer_frames_become_events() {
    let mut h = Harness::joined_room(config());
    h.recv(peers("r", PeersMode::Full, 2, vec![peer(4, None)], &[]));
    h.recv(Frame::Presence(Presence {
        room: room("r"),
        peer: SessionId(4),
        state: Bytes::from_static(b"p"),
    }));
    h.recv(peers(
        "r",
        PeersMode::Changes,
        2,
        vec![peer(5, Some(b"q"))],
        &[4],
    ));
    h.recv(peers("other", PeersMode::Changes, 1, vec![], &[5]));
    assert_eq!(
        h.app_events(),
        vec![
            joined_ev(4),
            count_ev(2),
            ClientEvent::Presence {
                room: room("r"),
                peer: SessionId(4),
                state: Bytes::from_static(b"p")
            },
            left_ev(4),
            joined_ev(5),
            ClientEvent::Presence {
                room: room("r"),
                peer: SessionId(5),
                state: Bytes::from_static(b"q")
            },
        ]
    );
    assert_eq!(
        h.client.room(&room("r")).and_then(|r| r.peer_count),
        Some(2)
    );
}

/// A joined room whose full list named peers 4 and 5; the events seen so far.
fn listing_4_and_5() -> (Harness, usize) {
    let mut h = Harness::joined_room(config());
    h.recv(peers(
        "r",
        PeersMode::Full,
        3,
        vec![peer(4, None), peer(5, None)],
        &[],
    ));
    let seen = h.app_events().len();
    (h, seen)
}

#[test]
fn a_full_list_replaces_the_view_and_tells_only_the_difference() {
    let (mut h, seen) = listing_4_and_5();
    // The hub lists 5 again and 9, not 4.
    h.recv(peers(
        "r",
        PeersMode::Full,
        3,
        vec![peer(5, None), peer(9, None)],
        &[],
    ));
    assert_eq!(h.app_events()[seen..], [left_ev(4), joined_ev(9)]);
}

#[test]
fn a_lost_connection_forgets_the_peers() {
    let (mut h, seen) = listing_4_and_5();
    h.client
        .handle_transport_closed(h.now, h.conn, TransportClosed::failed("reset"));
    h.drain();
    assert_eq!(h.app_events()[seen..], [left_ev(4), left_ev(5)]);
    assert_eq!(h.client.room(&room("r")).and_then(|r| r.peer_count), None);
}

#[test]
fn a_summary_forgets_the_list_and_keeps_the_count() {
    let (mut h, seen) = listing_4_and_5();
    h.recv(peers("r", PeersMode::Summary, 900, vec![], &[]));
    assert_eq!(
        h.app_events()[seen..],
        [left_ev(4), left_ev(5), count_ev(900)]
    );
    let seen = h.app_events().len();
    h.recv(peers("r", PeersMode::Summary, 900, vec![], &[]));
    assert_eq!(h.app_events().len(), seen, "an unchanged count is not news");
    h.recv(peers("r", PeersMode::Full, 2, vec![peer(7, None)], &[]));
    assert_eq!(h.app_events()[seen..], [joined_ev(7), count_ev(2)]);
}

#[test]
fn a_changes_frame_for_unknown_or_known_peers_adds_no_duplicate_events() {
    let mut h = Harness::joined_room(config());
    h.recv(peers("r", PeersMode::Changes, 2, vec![peer(4, None)], &[8]));
    h.recv(peers("r", PeersMode::Changes, 2, vec![peer(4, None)], &[]));
    assert_eq!(h.app_events(), vec![joined_ev(4), count_ev(2)]);
}

#[test]
fn a_rate_limited_leave_is_sent_again_after_the_pause() {
    // Without its `Leave` the hub keeps the session in the room: listed to the
    // other members and sent every delta, until the connection ends.
    let mut h = Harness::joined_room(config());
    h.client.leave(h.now, &room("r")).unwrap();
    h.drain();
    h.clear();
    h.recv(reject(ErrorCode::RATE_LIMITED, Some("r"), None));
    assert!(h.sent.is_empty(), "not during the pause");
    h.advance(std::time::Duration::from_secs(1));
    assert_eq!(h.sent, vec![Frame::Leave(Leave { room: room("r") })]);
    h.clear();
    // The hub had let the session go after all: nothing more is sent.
    h.recv(reject(ErrorCode::UNKNOWN_ROOM, Some("r"), None));
    h.advance(std::time::Duration::from_secs(1));
    assert!(h.sent.is_empty());
}

#[test]
fn rooms_a_hub_names_in_rate_limited_refusals_wait_to_be_left_only_up_to_max_rooms() {
    let mut c = config();
    c.max_rooms = 4;
    let mut h = Harness::connected(c);
    for i in 0..100 {
        h.recv(reject(
            ErrorCode::RATE_LIMITED,
            Some(&format!("x{i}")),
            None,
        ));
    }
    h.advance(std::time::Duration::from_secs(1));
    let leaves = h
        .sent
        .iter()
        .filter(|f| matches!(f, Frame::Leave(_)))
        .count();
    assert_eq!(leaves, 4);
}

#[test]
fn a_rate_limited_presence_is_sent_again_after_the_pause() {
    let mut h = Harness::joined_room(config());
    h.client
        .set_presence(h.now, &room("r"), Bytes::from_static(b"cursor"))
        .unwrap();
    h.drain();
    h.clear();
    h.recv(reject(ErrorCode::RATE_LIMITED, Some("r"), None));
    assert!(h.sent.is_empty(), "not during the pause");
    h.advance(std::time::Duration::from_secs(1));
    let set = Frame::SetPresence(SetPresence {
        room: room("r"),
        state: Bytes::from_static(b"cursor"),
    });
    assert_eq!(h.sent, vec![set]);
}

#[test]
fn an_unknown_room_answer_to_a_leave_does_not_refuse_the_join_that_follows_it() {
    // The `Leave` of a rate-limited refusal goes again after the pause; the
    // application joined the room again meanwhile, so `Leave` and `Join` go out
    // together. The hub had let the session go: it answers the `Leave`
    // `unknown_room`, which is not the `Join`'s answer.
    let mut h = Harness::joined_room(config());
    h.client.leave(h.now, &room("r")).unwrap();
    h.drain();
    h.recv(reject(ErrorCode::RATE_LIMITED, Some("r"), None));
    h.client.join(h.now, room("r"), "g").unwrap();
    h.advance(std::time::Duration::from_secs(1));
    h.recv(reject(ErrorCode::UNKNOWN_ROOM, Some("r"), None));
    assert_eq!(
        h.client.room(&room("r")).unwrap().status,
        RoomStatus::Joining
    );
    h.recv(joined("r", 1, 0, 0, 0));
    assert_eq!(
        h.client.room(&room("r")).unwrap().status,
        RoomStatus::Joined
    );
}
