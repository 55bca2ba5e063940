//! `CaughtUp`: once per `Joined`, when the position reaches the announced head —
//! what a replica without state of its own waits for before preparing operations.

use bytes::Bytes;

use super::harness::*;
use crate::client::{Client, ClientConfig, ClientEvent, ConfigError, TransportClosed};
use crate::wire::*;

fn caught_up(h: &Harness) -> Vec<u64> {
    h.events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::CaughtUp { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect()
}

fn replay(first: u64, entries: &[(ReplicaId, u64)]) -> Frame {
    Frame::DeltaBatch(DeltaBatch {
        room: room("r"),
        crdt: "g".into(),
        epoch: 1,
        first_offset: first,
        entries: entries
            .iter()
            .map(|&(replica, seq)| BatchEntry {
                replica,
                seq,
                payload: Bytes::from_static(b"x"),
            })
            .collect(),
    })
}

fn joining() -> Harness {
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("r"), "g").expect("join");
    h.drain();
    h.clear();
    h
}

#[test]
fn caught_up_follows_the_last_replayed_entry_once() {
    let mut h = joining();
    h.recv(joined("r", 1, 0, 3, 2));
    assert!(caught_up(&h).is_empty(), "the replay is still owed");
    h.recv(replay(0, &[(ME, 1), (PEER, 1)]));
    assert!(caught_up(&h).is_empty());
    h.recv(replay(2, &[(ME, 2)]));
    assert_eq!(caught_up(&h), vec![3]);
    // Right after the last delta, with the sequence counter past the replica's own.
    assert!(matches!(
        h.events.last(),
        Some(ClientEvent::CaughtUp { .. })
    ));
    assert_eq!(h.client.room(&room("r")).map(|r| r.next_seq), Some(3));
    // Later live entries do not repeat it.
    h.recv(hub_delta("r", 1, 3, PEER, 2));
    assert_eq!(caught_up(&h), vec![3]);
}

#[test]
fn nothing_to_replay_is_caught_up_at_once() {
    let mut h = joining();
    h.recv(joined("r", 1, 0, 0, 0));
    assert_eq!(caught_up(&h), vec![0]);
}

#[test]
fn a_lost_connection_mid_replay_owes_it_to_the_next_join() {
    let mut h = joining();
    h.recv(joined("r", 1, 0, 2, 0));
    h.recv(replay(0, &[(PEER, 1)]));
    h.lost(TransportClosed::failed("cut"));
    assert!(caught_up(&h).is_empty());
    h.connect();
    h.recv(welcome(0));
    h.recv(joined("r", 1, 1, 2, 0));
    assert!(caught_up(&h).is_empty());
    h.recv(replay(1, &[(PEER, 2)]));
    assert_eq!(caught_up(&h), vec![2]);
}

#[test]
fn a_client_needs_a_replica_id() {
    let err = Client::new(ClientConfig::default(), crate::Instant::ZERO).err();
    assert_eq!(err, Some(ConfigError::NoReplica));
    assert_eq!(ClientConfig::new(ME).replica, Some(ME));
}
