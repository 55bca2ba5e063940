//! Presence across nodes (PROTOCOL.md §8.6): members of a room on other hub nodes are
//! listed in `Peers` and their presence relayed, from the news the nodes publish
//! (`HubOutput::Publish` → `Hub::handle_peer_news`), which the tests carry, lose or
//! withhold by hand.

use bytes::Bytes;
use core::time::Duration;

use super::harness::*;
use super::nodes::*;
use crate::hub::*;
use crate::wire::*;

/// Hands hub `from`'s news to every other hub, through the bus encoding; `lose`
/// drops it instead. Returns how many news there were.
fn relay(n: &mut Nodes, from: usize, lose: bool) -> usize {
    let mut count = 0;
    while let Some(news) = n.hubs[from].hub.poll_news() {
        count += 1;
        let bytes = news.encode();
        if lose {
            continue;
        }
        for (k, h) in n.hubs.iter_mut().enumerate() {
            if k != from {
                let news = NodeNews::decode(&bytes, 1 << 20).expect("news decodes");
                h.hub.handle_peer_news(h.now, news);
                h.settle();
            }
        }
    }
    count
}

/// Relays every hub's news until none is left (rosters asked for are answered).
fn relay_all(n: &mut Nodes) {
    for _ in 0..10 {
        let mut any = 0;
        for i in 0..n.hubs.len() {
            any += relay(n, i, false);
        }
        if any == 0 {
            return;
        }
    }
    panic!("news never stopped");
}

/// The peer id under which `frames` listed `replica` (last listing wins).
fn listed_as(frames: &[Frame], replica: u64) -> Option<SessionId> {
    peers_of(frames)
        .iter()
        .flat_map(|p| p.joined.iter())
        .filter(|e| e.replica == ReplicaId(replica))
        .map(|e| e.peer)
        .last()
}

fn last_count(frames: &[Frame]) -> Option<u64> {
    peers_of(frames).last().map(|p| p.count)
}

fn advance_all(n: &mut Nodes, d: Duration) {
    for h in &mut n.hubs {
        h.advance(d);
    }
}

#[test]
fn members_of_two_nodes_see_each_other_their_presence_and_their_leave() {
    let mut n = Nodes::new(2);
    let a = member(&mut n, 0, 1);
    let b = member(&mut n, 1, 2);
    relay_all(&mut n);
    let to_a = n.hubs[0].take(a);
    let to_b = n.hubs[1].take(b);
    let b_at_a = listed_as(&to_a, 2).expect("a lists b");
    let a_at_b = listed_as(&to_b, 1).expect("b lists a");
    assert_eq!((last_count(&to_a), last_count(&to_b)), (Some(2), Some(2)));
    // Aliases never collide with the node's own session ids.
    assert!(b_at_a.0 > a.0 && a_at_b.0 > b.0);
    let entry = peers_of(&to_b)
        .iter()
        .flat_map(|p| p.joined.iter())
        .find(|e| e.peer == a_at_b)
        .cloned()
        .expect("entry");
    assert_eq!(entry.user_info, Some(Bytes::from_static(b"user1")));

    // Presence set on node 0 reaches the member on node 1 under the alias.
    n.hubs[0].send(
        a,
        Frame::SetPresence(SetPresence {
            room: RoomId::new("r"),
            state: Bytes::from_static(b"typing"),
        }),
    );
    relay_all(&mut n);
    let to_b = n.hubs[1].take(b);
    assert!(
        to_b.iter().any(|f| matches!(f, Frame::Presence(p)
            if p.peer == a_at_b && p.state == Bytes::from_static(b"typing"))),
        "{to_b:?}"
    );

    // A member joining node 1 later is listed with a's presence.
    let c = n.hubs[1].connect(3);
    n.hubs[1].send(c, join("r", "sum", None));
    n.pump_all();
    let to_c = n.hubs[1].take(c);
    let full = peers_of(&to_c);
    let a_entry = full
        .iter()
        .flat_map(|p| p.joined.iter())
        .find(|e| e.replica == ReplicaId(1))
        .expect("c lists a");
    assert_eq!(a_entry.state, Some(Bytes::from_static(b"typing")));
    assert_eq!(last_count(&to_c), Some(3));

    // a leaves: b and c are told.
    n.hubs[0].send(
        a,
        Frame::Leave(Leave {
            room: RoomId::new("r"),
        }),
    );
    relay_all(&mut n);
    let to_b = n.hubs[1].take(b);
    let p = peers_of(&to_b);
    assert!(p.iter().any(|p| p.left.contains(&a_at_b)), "{to_b:?}");
    assert_eq!(last_count(&to_b), Some(2));
}

#[test]
fn a_lost_join_is_repaired_by_the_next_roster() {
    let mut n = Nodes::new(2);
    let b = member(&mut n, 1, 2);
    relay_all(&mut n);
    n.hubs[1].take(b);
    let a = member(&mut n, 0, 1);
    // Everything node 0 says about a is lost.
    assert!(relay(&mut n, 0, true) > 0);
    relay_all(&mut n);
    assert_eq!(listed_as(&n.hubs[1].take(b), 1), None);
    // One roster interval later node 0 publishes its roster again.
    advance_all(&mut n, Duration::from_secs(10));
    relay_all(&mut n);
    let to_b = n.hubs[1].take(b);
    assert!(listed_as(&to_b, 1).is_some(), "{to_b:?}");
    assert_eq!(last_count(&to_b), Some(2));
    let _ = a;
}

#[test]
fn the_members_of_a_silent_node_are_removed_after_three_intervals() {
    let mut n = Nodes::new(2);
    let _a = member(&mut n, 0, 1);
    let b = member(&mut n, 1, 2);
    relay_all(&mut n);
    let a_at_b = listed_as(&n.hubs[1].take(b), 1).expect("listed");
    // Node 0 crashes: nothing it says arrives any more.
    for _ in 0..2 {
        advance_all(&mut n, Duration::from_secs(10));
        relay(&mut n, 0, true);
        relay(&mut n, 1, false);
    }
    let to_b = n.hubs[1].take(b);
    assert!(peers_of(&to_b).iter().all(|p| !p.left.contains(&a_at_b)));
    advance_all(&mut n, Duration::from_secs(10));
    relay(&mut n, 0, true);
    let to_b = n.hubs[1].take(b);
    assert!(
        peers_of(&to_b).iter().any(|p| p.left.contains(&a_at_b)),
        "{to_b:?}"
    );
    assert_eq!(last_count(&to_b), Some(1));
}

#[test]
fn news_over_the_hubs_bounds_is_dropped_and_counted() {
    let mut n = Nodes::new(1);
    n.hubs[0].hub.config.max_remote_peers = 1;
    let b = member(&mut n, 0, 2);
    n.hubs[0].take(b);
    let entry = |peer: u64, state: Option<Bytes>| PeerInfo {
        peer: SessionId(peer),
        replica: ReplicaId(100 + peer),
        user_info: None,
        state,
    };
    let big = Bytes::from(vec![0; 5_000]);
    let news = |news| NodeNews {
        node: NodeId(99),
        room: RoomId::new("r"),
        news,
    };
    let h = &mut n.hubs[0];
    h.hub.handle_peer_news(
        h.now,
        news(PeerNews::Roster {
            peers: vec![entry(1, None), entry(2, None), entry(3, Some(big.clone()))],
            ask: false,
        }),
    );
    h.hub.handle_peer_news(
        h.now,
        news(PeerNews::Presence {
            peer: SessionId(1),
            state: big,
        }),
    );
    h.settle();
    let to_b = h.take(b);
    assert_eq!(
        last_count(&to_b),
        Some(2),
        "one remote member kept: {to_b:?}"
    );
    assert!(!to_b.iter().any(|f| matches!(f, Frame::Presence(_))));
    assert_eq!(h.hub.metrics().peer_news_dropped, 3);
}

#[test]
fn a_node_ignores_its_own_news_and_a_single_node_hub_ignores_all_news() {
    let mut n = Nodes::new(1);
    let b = member(&mut n, 0, 2);
    n.hubs[0].take(b);
    let h = &mut n.hubs[0];
    let own: Vec<NodeNews> = std::iter::from_fn(|| h.hub.poll_news()).collect();
    assert!(!own.is_empty(), "the join was published");
    for news in own {
        h.hub.handle_peer_news(h.now, news);
    }
    h.settle();
    assert_eq!(listed_as(&h.take(b), 2), None);

    let mut single = Harness::new();
    let s = single.connect(5);
    single.join(s, "r", "sum", None);
    assert_eq!(
        single.hub.poll_news(),
        None,
        "a single node publishes nothing"
    );
    let foreign = NodeNews {
        node: NodeId(7),
        room: RoomId::new("r"),
        news: PeerNews::Changes {
            joined: vec![PeerInfo {
                peer: SessionId(1),
                replica: ReplicaId(70),
                user_info: None,
                state: None,
            }],
            left: vec![],
        },
    };
    single.hub.handle_peer_news(single.now, foreign);
    single.settle();
    assert!(peers_of(&single.take(s)).is_empty());
}
