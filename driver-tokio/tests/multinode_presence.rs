//! Presence across hub nodes (PROTOCOL.md §8.6; the real `syncwire serve --redis`
//! binary, two nodes on one test `redis-server`, the news bus on Redis pub/sub): a
//! member on node B is listed to a member on node A with its user info, its presence
//! reaches A, and when node B dies (SIGKILL, so it never says its members left) A is
//! told they left within three roster intervals.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use bytes::Bytes;
use futures_util::StreamExt;
use syncwire_tokio::client::{ClientConfig, EventStream, HubUrls, SyncClient};
use syncwire_tokio::proto::client::ClientEvent;
use syncwire_tokio::proto::crdt::GCounter;
use syncwire_tokio::proto::wire::{ReplicaId, SessionId};

use common::WAIT;
use common::cluster::Cluster;
use common::sync::{fast_config, url};

/// The first event `pick` accepts, within [`WAIT`].
async fn until<T>(
    events: &mut EventStream,
    what: &str,
    pick: impl Fn(&ClientEvent) -> Option<T>,
) -> T {
    let found = tokio::time::timeout(WAIT, async {
        while let Some(ev) = events.next().await {
            if let Some(t) = pick(&ev) {
                return Some(t);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(t)) => t,
        _ => panic!("no {what} within {WAIT:?}"),
    }
}

/// A client of node `k` only (no failover), named `name`.
fn client(cluster: &Cluster, k: usize, replica: u64, name: &str) -> SyncClient {
    let mut config: ClientConfig = fast_config(replica);
    config.user_info = Some(Bytes::from(name.to_owned()));
    let urls = HubUrls::new([url(cluster.nodes[k].addr)]).unwrap();
    SyncClient::connect(urls, config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_of_two_nodes_see_each_other_and_a_dead_nodes_members_leave() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start_with(dir.path(), 2, &["--roster-interval-ms", "300"]).await;
    let ann = client(&cluster, 0, 1, "ann");
    let bob = client(&cluster, 1, 2, "bob");
    let mut ann_events = ann.events();
    let mut bob_events = bob.events();
    let doc_a = ann.join::<GCounter>("board").unwrap();
    let _doc_b = bob.join::<GCounter>("board").unwrap();

    // Each is listed to the other, with its user info, across the nodes.
    let bob_at_ann: SessionId = until(&mut ann_events, "bob listed to ann", |ev| match ev {
        ClientEvent::PeerJoined {
            peer,
            replica,
            user_info,
            ..
        } if *replica == ReplicaId(2) => {
            assert_eq!(user_info.as_deref(), Some(&b"bob"[..]));
            Some(*peer)
        }
        _ => None,
    })
    .await;
    let ann_at_bob: SessionId = until(&mut bob_events, "ann listed to bob", |ev| match ev {
        ClientEvent::PeerJoined { peer, replica, .. } if *replica == ReplicaId(1) => Some(*peer),
        _ => None,
    })
    .await;
    until(&mut bob_events, "a count of 2", |ev| {
        matches!(ev, ClientEvent::PeerCount { count: 2, .. }).then_some(())
    })
    .await;

    // Ann's presence on node 0 reaches Bob on node 1.
    doc_a.set_presence(Bytes::from_static(b"cursor 7")).unwrap();
    until(&mut bob_events, "ann's presence at bob", |ev| match ev {
        ClientEvent::Presence { peer, state, .. } if *peer == ann_at_bob => {
            (state.as_ref() == b"cursor 7").then_some(())
        }
        _ => None,
    })
    .await;

    // Node 1 dies without a word: Ann is told Bob left (three 300 ms rosters missed).
    cluster.nodes[1].kill_9().await;
    until(&mut ann_events, "bob leaving", |ev| match ev {
        ClientEvent::PeerLeft { peer, .. } if *peer == bob_at_ann => Some(()),
        _ => None,
    })
    .await;
    until(&mut ann_events, "a count of 1", |ev| {
        matches!(ev, ClientEvent::PeerCount { count: 1, .. }).then_some(())
    })
    .await;
}
