//! The replica's own log entries: live `Ack`s with offsets keep the position in
//! step (no gap, no re-join), and replays after a reset or a fresh join deliver the
//! own entries the application's new document lacks.

use bytes::Bytes;

use super::harness::*;
use crate::client::{ClientEvent, RoomStatus, TransportClosed};
use crate::wire::*;

fn batch(first: u64, entries: &[(ReplicaId, u64)]) -> Frame {
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

fn offset(h: &Harness) -> Option<u64> {
    h.client
        .room(&room("r"))
        .and_then(|r| r.position.map(|p| p.offset))
}

fn joins(h: &Harness) -> usize {
    h.sent
        .iter()
        .filter(|f| matches!(f, Frame::Join(_)))
        .count()
}

/// Own deltas at offsets 0 and 2 of a room the application must rebuild.
fn own_history() -> Frame {
    batch(0, &[(ME, 1), (PEER, 1), (ME, 2)])
}

#[test]
fn an_ack_at_the_expected_offset_stands_for_the_own_entry() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"+1");
    h.recv(ack_at("r", 1, 0)); // our delta was logged at offset 0
    h.recv(hub_delta("r", 1, 1, PEER, 1)); // the next entry follows without a gap
    assert_eq!(h.delivered(), vec![1]);
    assert_eq!(offset(&h), Some(2));
    assert_eq!(joins(&h), 0, "no re-join");
    assert_eq!(h.client.metrics().gaps, 0);
    assert_eq!(h.client.outbox_len(), 0);
}

#[test]
fn acks_below_above_or_without_offset_settle_but_leave_the_position() {
    for (ack, settled) in [
        (ack_at("r", 1, 5), true), // ahead: we are behind, the replay brings it
        (ack("r", 1), true),       // re-ack of a duplicate
        (ack_at("r", 1, 0), true), // below: offset 0 was already delivered
    ] {
        let mut h = Harness::joined_room(config());
        h.recv(hub_delta("r", 1, 0, PEER, 1));
        h.submit("r", b"+1");
        h.recv(ack);
        assert_eq!(offset(&h), Some(1));
        assert_eq!(h.client.outbox_len() == 0, settled);
        h.recv(hub_delta("r", 1, 1, PEER, 2));
        assert_eq!(h.delivered(), vec![0, 1]);
        assert_eq!(joins(&h), 0);
    }
}

#[test]
fn a_fresh_join_delivers_own_entries_of_the_replay() {
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("r"), "g").expect("join");
    h.drain();
    h.recv(joined("r", 1, 0, 3, 2));
    h.recv(own_history());
    assert_eq!(h.delivered(), vec![0, 1, 2]);
    let own: Vec<u64> = h
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Delta { replica, seq, .. } if *replica == ME => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(own, vec![1, 2]);
    assert_eq!(h.client.metrics().own_deltas_skipped, 0);
}

#[test]
fn an_ack_of_an_own_entry_the_replay_will_deliver_does_not_advance_the_position() {
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("r"), "g").expect("join");
    h.drain();
    h.recv(joined("r", 1, 0, 3, 2));
    // The ack of own seq 1 at offset 0 arrives before the replay reaches it: the
    // replay, not the ack, must bring that entry to the fresh document.
    h.recv(ack_at("r", 1, 0));
    h.recv(own_history());
    assert_eq!(h.delivered(), vec![0, 1, 2]);
}

#[test]
fn a_resume_without_resync_skips_own_entries() {
    let mut h = Harness::joined_room(config());
    h.lost(TransportClosed::failed("reset"));
    h.connect();
    h.recv(welcome(0));
    h.clear();
    h.recv(joined("r", 1, 0, 3, 2)); // resumed at offset 0, no resync
    h.recv(own_history());
    assert_eq!(h.delivered(), vec![1]);
    assert_eq!(h.client.metrics().own_deltas_skipped, 2);
}

#[test]
fn a_resync_delivers_own_entries_after_the_snapshot() {
    let mut h = Harness::joined_room(config());
    // A gap makes the client re-join; the hub answers with a resync.
    h.recv(hub_delta("r", 1, 4, PEER, 1));
    assert_eq!(
        h.client.room(&room("r")).unwrap().status,
        RoomStatus::Joining
    );
    h.recv(Frame::Joined(Joined {
        room: room("r"),
        crdt: "g".into(),
        epoch: 1,
        start: 0,
        head: 3,
        acked_seq: 2,
        writable: true,
        resync: true,
        snapshot: None,
    }));
    h.recv(own_history());
    assert_eq!(h.delivered(), vec![0, 1, 2]);
    // Live acks after the replay still count as own entries.
    h.submit("r", b"+1");
    h.recv(ack_at("r", 3, 3));
    assert_eq!(offset(&h), Some(4));
}

#[test]
fn a_gap_inside_a_fresh_replay_keeps_delivering_own_entries_after_resume() {
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("r"), "g").expect("join");
    h.drain();
    h.recv(joined("r", 1, 0, 3, 2));
    h.recv(batch(0, &[(ME, 1)]));
    h.recv(batch(2, &[(ME, 2)])); // gap: offset 1 missing, re-join from 1
    h.recv(joined("r", 1, 1, 3, 2));
    h.recv(batch(1, &[(PEER, 1), (ME, 2)]));
    assert_eq!(h.delivered(), vec![0, 1, 2]);
}

#[test]
fn a_replayed_own_entry_acknowledges_the_outbox() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"+1");
    h.submit("r", b"+2");
    // The live ack did not fit the backlog; the catch-up replays the entry.
    h.recv(batch(0, &[(ME, 2)]));
    assert_eq!(h.client.outbox_len(), 0);
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, ClientEvent::DeltaAcked { seq: 2, .. }))
    );
}

/// Found by the simulator's `restore` scenario (seeds 4 and 10): a replica restored
/// from a save taken before some of its deltas were logged and acknowledged resumed
/// past them without delivering them, so its document lacked its own acknowledged
/// deltas for good (the hub holds them; the replica never converged).
#[test]
fn a_restored_room_delivers_own_entries_logged_after_the_save() {
    let mut h = Harness::joined_room(config());
    let saved = h.client.export_state(); // position (1, 0), nothing queued
    // After the save: own deltas logged at offsets 0 and 2, acknowledged.
    h.submit("r", b"+1");
    h.recv(ack_at("r", 1, 0));
    h.recv(hub_delta("r", 1, 1, PEER, 1));
    h.submit("r", b"+2");
    h.recv(ack_at("r", 2, 2));
    // The process restarts from the older save and resumes at offset 0.
    let client = crate::client::Client::restore(config(), h.now, saved).expect("restore");
    let mut h = Harness {
        client,
        now: h.now,
        sent: vec![],
        events: vec![],
        transport: vec![],
        conn: Default::default(),
    };
    h.connect();
    h.recv(welcome(0));
    h.recv(joined("r", 1, 0, 3, 2));
    h.recv(own_history());
    assert_eq!(
        h.delivered(),
        vec![0, 1, 2],
        "own entries reach the document"
    );
    assert_eq!(h.client.metrics().own_deltas_skipped, 0);
    // Once caught up, a later plain resume skips own entries again.
    h.lost(TransportClosed::failed("reset"));
    h.connect();
    h.recv(welcome(0));
    h.clear();
    h.recv(joined("r", 1, 3, 4, 3));
    h.recv(batch(3, &[(ME, 3)]));
    assert_eq!(h.delivered(), Vec::<u64>::new());
    assert_eq!(h.client.metrics().own_deltas_skipped, 1);
}
