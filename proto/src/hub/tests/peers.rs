//! Membership notices (`Peers`, PROTOCOL.md §3.12): batched per turn, one frame per
//! member however many sessions came and went, and a count-only summary for rooms
//! above `max_presence_members`.

use std::time::Duration;

use bytes::Bytes;

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

fn ids(p: &Peers) -> Vec<SessionId> {
    p.joined.iter().map(|e| e.peer).collect()
}

/// Hands the hub every frame before it writes anything: one turn.
fn one_turn(h: &mut Harness, frames: &[(SessionId, Frame)]) {
    for (sid, f) in frames {
        h.hub.handle_frame(h.now, *sid, &f.encode());
    }
    h.settle();
}

#[test]
fn many_joins_in_one_turn_cost_each_member_one_frame() {
    let mut h = Harness::new();
    let first = h.connect(1);
    h.join(first, "r", "sum", None);
    let others: Vec<SessionId> = (2..=40).map(|r| h.connect(r)).collect();
    h.take(first);
    let joins: Vec<_> = others
        .iter()
        .map(|&s| (s, join("r", "sum", None)))
        .collect();
    one_turn(&mut h, &joins);

    let old = h.take(first);
    let [p] = peers_of(&old)[..] else {
        panic!("one notice for the whole turn: {old:?}")
    };
    assert_eq!((p.mode, p.count), (PeersMode::Changes, 40));
    assert_eq!(ids(p), others);
    for &s in &others {
        let frames = h.take(s);
        let [p] = peers_of(&frames)[..] else {
            panic!("{frames:?}")
        };
        assert_eq!((p.mode, p.count), (PeersMode::Full, 40));
        let mut expected: Vec<SessionId> = others.iter().copied().filter(|&o| o != s).collect();
        expected.insert(0, first);
        assert_eq!(ids(p), expected, "everyone but itself");
    }
}

#[test]
fn a_session_that_joins_and_leaves_within_a_turn_is_never_announced() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    let b = h.connect(2);
    let c = h.connect(3);
    h.take(a);
    one_turn(
        &mut h,
        &[
            (b, join("r", "sum", None)),
            (c, join("r", "sum", None)),
            (
                b,
                Frame::Leave(Leave {
                    room: RoomId::new("r"),
                }),
            ),
        ],
    );
    let fa = h.take(a);
    let [p] = peers_of(&fa)[..] else {
        panic!("{fa:?}")
    };
    assert_eq!((ids(p), p.left.clone(), p.count), (vec![c], vec![], 2));
    assert!(peers_of(&h.take(b)).is_empty(), "b left before the flush");
}

#[test]
fn presence_of_a_peer_joined_this_turn_follows_its_announcement() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    let b = h.connect(2);
    h.take(a);
    let set = Frame::SetPresence(SetPresence {
        room: RoomId::new("r"),
        state: Bytes::from_static(b"here"),
    });
    one_turn(&mut h, &[(b, join("r", "sum", None)), (b, set)]);
    let fa = h.take(a);
    let names: Vec<&str> = fa.iter().map(Frame::name).collect();
    assert_eq!(names, ["Peers", "Presence"], "{fa:?}");
}

fn summary_config() -> HubConfig {
    HubConfig {
        max_presence_members: 4,
        presence_summary_interval: Duration::from_secs(1),
        ..config()
    }
}

#[test]
fn a_room_above_the_listing_bound_is_summarised_and_counts_are_paced() {
    let mut h = Harness::with(summary_config());
    let members: Vec<SessionId> = (1..=4).map(|r| h.connect(r)).collect();
    for &m in &members {
        h.join(m, "r", "sum", None);
    }
    for &m in &members {
        h.take(m);
    }
    // The fifth member tips the room over the bound: everyone gets a summary.
    let fifth = h.connect(5);
    let ff = h.join(fifth, "r", "sum", None);
    let [p] = peers_of(&ff)[..] else {
        panic!("{ff:?}")
    };
    assert_eq!(
        (p.mode, p.count, p.joined.len()),
        (PeersMode::Summary, 5, 0)
    );
    for &m in &members {
        let f = h.take(m);
        assert!(
            matches!(peers_of(&f)[..], [p] if p.mode == PeersMode::Summary && p.count == 5),
            "{f:?}"
        );
    }
    // Presence is kept, not relayed, while the room is summarised.
    h.send(
        members[0],
        Frame::SetPresence(SetPresence {
            room: RoomId::new("r"),
            state: Bytes::from_static(b"cursor"),
        }),
    );
    assert!(h.take(fifth).is_empty(), "no presence relayed");
    // Within the interval a new count reaches only the joiner.
    let sixth = h.connect(6);
    let f6 = h.join(sixth, "r", "sum", None);
    assert!(matches!(peers_of(&f6)[..], [p] if p.mode == PeersMode::Summary && p.count == 6));
    assert!(h.take(fifth).is_empty(), "paced");
    // Once the interval passed, everyone hears the count, once.
    h.advance(Duration::from_secs(1));
    for &m in members.iter().chain([&fifth]) {
        let f = h.take(m);
        assert!(
            matches!(peers_of(&f)[..], [p] if p.mode == PeersMode::Summary && p.count == 6),
            "{f:?}"
        );
    }
    h.advance(Duration::from_secs(2));
    assert!(h.take(fifth).is_empty(), "no news, no frame");

    // Down to half the bound: listed again, with the presence kept meanwhile.
    for &m in &members[1..] {
        h.hub.handle_session_closed(h.now, m);
    }
    h.hub.handle_session_closed(h.now, sixth);
    h.settle();
    let f = h.take(fifth);
    let [p] = peers_of(&f)[..] else {
        panic!("{f:?}")
    };
    assert_eq!((p.mode, p.count), (PeersMode::Full, 2));
    assert_eq!(ids(p), vec![members[0]]);
    assert_eq!(p.joined[0].state.as_deref(), Some(&b"cursor"[..]));
}

#[test]
fn a_big_full_list_is_split_into_frames_that_add_up() {
    let mut h = Harness::with(HubConfig {
        max_presence_members: 1000,
        max_user_info_bytes: 1024,
        ..config()
    });
    let info = Bytes::from(vec![7u8; 1000]);
    let mut members = Vec::new();
    for r in 1..=100 {
        let sid = h.open();
        h.send(
            sid,
            Frame::Hello(Hello {
                versions: SUPPORTED_VERSIONS.to_vec(),
                replica: ReplicaId(r),
                token: None,
                user_info: Some(info.clone()),
            }),
        );
        h.join(sid, "r", "sum", None);
        members.push(sid);
    }
    let last = h.connect(1000);
    let frames = h.join(last, "r", "sum", None);
    let notices = peers_of(&frames);
    assert!(
        notices.len() >= 2,
        "100 KB of user info takes more than one frame"
    );
    assert_eq!(notices[0].mode, PeersMode::Full);
    assert!(notices[1..].iter().all(|p| p.mode == PeersMode::Changes));
    let all: Vec<SessionId> = notices.iter().flat_map(|p| ids(p)).collect();
    assert_eq!(all, members);
    for f in &frames {
        assert!(f.encode().len() <= 66 * 1024, "frames stay near 64 KiB");
    }
}
