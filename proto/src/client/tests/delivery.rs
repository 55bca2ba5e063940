//! Delivery: exactly-once in-order delivery, duplicates, own entries, gaps,
//! resume after reconnect, resync, and the event-queue bound.

use bytes::Bytes;

use super::harness::*;
use crate::client::{ClientEvent, ClientState, RoomStatus, TransportClosed};
use crate::wire::*;

fn batch(name: &str, epoch: u64, first: u64, replicas: &[ReplicaId]) -> Frame {
    Frame::DeltaBatch(DeltaBatch {
        room: room(name),
        crdt: "g".into(),
        epoch,
        first_offset: first,
        entries: replicas
            .iter()
            .map(|r| BatchEntry {
                replica: *r,
                seq: 1,
                payload: Bytes::from_static(b"x"),
            })
            .collect(),
    })
}

#[test]
fn deltas_are_delivered_once_in_order_and_duplicates_dropped() {
    let mut h = Harness::joined_room(config());
    h.recv(hub_delta("r", 1, 0, PEER, 1));
    h.recv(batch("r", 1, 0, &[PEER, PEER, PEER])); // offsets 0..3, 0 is a duplicate
    h.recv(hub_delta("r", 1, 1, PEER, 2)); // duplicate
    h.recv(hub_delta("r", 1, 3, PEER, 9));
    assert_eq!(h.delivered(), vec![0, 1, 2, 3]);
    assert_eq!(h.client.metrics().duplicates_dropped, 2);
    assert_eq!(
        h.client.room(&room("r")).unwrap().position,
        Some(Position {
            epoch: 1,
            offset: 4
        })
    );
}

#[test]
fn own_entries_in_replay_advance_without_delivery() {
    let mut h = Harness::joined_room(config());
    h.recv(batch("r", 1, 0, &[ME, PEER, ME]));
    assert_eq!(h.delivered(), vec![1]);
    assert_eq!(h.client.metrics().own_deltas_skipped, 2);
    assert_eq!(
        h.client
            .room(&room("r"))
            .unwrap()
            .position
            .map(|p| p.offset),
        Some(3)
    );
}

#[test]
fn gap_or_epoch_change_rejoins_from_the_position_without_delivering() {
    for bad in [hub_delta("r", 1, 5, PEER, 1), hub_delta("r", 2, 1, PEER, 1)] {
        let mut h = Harness::joined_room(config());
        h.recv(hub_delta("r", 1, 0, PEER, 1));
        h.clear();
        h.recv(bad);
        assert!(h.delivered().is_empty());
        assert_eq!(
            h.sent,
            vec![Frame::Join(Join {
                room: room("r"),
                crdt: "g".into(),
                resume: Some(Position {
                    epoch: 1,
                    offset: 1
                }),
            })]
        );
        assert_eq!(h.client.metrics().gaps, 1);
        h.recv(hub_delta("r", 1, 1, PEER, 2));
        assert!(
            h.delivered().is_empty(),
            "nothing delivered until re-joined"
        );
        h.recv(joined("r", 1, 1, 2, 0));
        h.recv(hub_delta("r", 1, 1, PEER, 2));
        assert_eq!(h.delivered(), vec![1]);
    }
}

#[test]
fn reconnect_resumes_exactly_where_delivery_stopped() {
    let mut h = Harness::joined_room(config());
    h.recv(batch("r", 1, 0, &[PEER, PEER]));
    h.lost(TransportClosed::failed("reset"));
    h.open();
    h.recv(welcome(0));
    assert!(h.sent.contains(&Frame::Join(Join {
        room: room("r"),
        crdt: "g".into(),
        resume: Some(Position {
            epoch: 1,
            offset: 2
        }),
    })));
    h.recv(joined("r", 1, 1, 4, 0)); // hub replays from 1: offset 1 is a duplicate
    h.recv(batch("r", 1, 1, &[PEER, PEER, PEER]));
    assert_eq!(h.delivered(), vec![0, 1, 2, 3]);
}

#[test]
fn resync_emits_snapshot_and_restarts_delivery() {
    let mut h = Harness::joined_room(config());
    h.recv(hub_delta("r", 1, 0, PEER, 1));
    h.clear();
    h.recv(Frame::Joined(Joined {
        room: room("r"),
        crdt: "g".into(),
        epoch: 2,
        start: 10,
        head: 11,
        acked_seq: 0,
        writable: true,
        resync: true,
        snapshot: Some(Bytes::from_static(b"S")),
    }));
    assert!(h.app_events().is_empty(), "Joined while joined is stale");
    h.lost(TransportClosed::failed("reset"));
    h.open();
    h.recv(welcome(0));
    h.recv(Frame::Joined(Joined {
        room: room("r"),
        crdt: "g".into(),
        epoch: 2,
        start: 10,
        head: 11,
        acked_seq: 0,
        writable: true,
        resync: true,
        snapshot: Some(Bytes::from_static(b"S")),
    }));
    let ev = h.app_events();
    assert!(matches!(
        ev[0],
        ClientEvent::Joined {
            resync: true,
            epoch: 2,
            offset: 10,
            ..
        }
    ));
    assert_eq!(
        ev[1],
        ClientEvent::Resync {
            room: room("r"),
            epoch: 2,
            offset: 10,
            snapshot: Some(Bytes::from_static(b"S")),
        }
    );
    h.recv(hub_delta("r", 2, 10, PEER, 5));
    assert_eq!(h.delivered(), vec![10]);
    assert_eq!(h.client.metrics().resyncs, 1);
}

#[test]
fn an_answer_to_the_join_before_a_leave_is_not_taken_for_the_fresh_joins_answer() {
    // PROTOCOL.md §3.6: the room was joined with a resume position, left and joined
    // again at once; the first `Join`'s answer (start 7, no resync) arrives after the
    // new `Join` went out. A `Join` without a position is answered from 0 or with a
    // resync, so that one is ignored, not a protocol violation that would close the
    // connection; the real answer is taken.
    let mut h = Harness::connected(config());
    h.client.join(h.now, room("r"), "g").unwrap();
    h.drain();
    h.client.leave(h.now, &room("r")).unwrap();
    h.client.join(h.now, room("r"), "g").unwrap();
    h.drain();
    h.recv(joined("r", 1, 7, 9, 0));
    h.recv(batch("r", 1, 7, &[PEER, PEER]));
    assert_eq!(h.client.metrics().errors.protocol_violations, 0);
    assert_eq!(h.client.state(), ClientState::Connected);
    assert_eq!(
        h.client.room(&room("r")).unwrap().status,
        RoomStatus::Joining
    );
    h.recv(joined("r", 1, 0, 9, 0));
    assert_eq!(
        h.client.room(&room("r")).unwrap().status,
        RoomStatus::Joined
    );
    h.recv(batch("r", 1, 0, &[PEER; 9]));
    assert_eq!(
        h.delivered(),
        (0..9).collect::<Vec<u64>>(),
        "each once, in order"
    );
}

#[test]
fn a_resume_answer_that_skips_ahead_or_changes_epoch_without_resync_is_a_protocol_violation() {
    // joined(room, epoch, start, head, acked_seq): the client holds epoch 1, offsets 0..2.
    for (epoch, start) in [(1, 3), (2, 0), (2, 2)] {
        let mut h = Harness::joined_room(config());
        h.recv(batch("r", 1, 0, &[PEER, PEER]));
        h.lost(TransportClosed::failed("reset"));
        h.open();
        h.recv(welcome(0));
        h.recv(joined("r", epoch, start, 4, 0));
        assert_eq!(
            h.client.metrics().errors.protocol_violations,
            1,
            "epoch {epoch} start {start} does not continue epoch 1 offset 2"
        );
    }
    // Continuing at or before the position is fine (the replay skips duplicates).
    for start in [0, 2] {
        let mut h = Harness::joined_room(config());
        h.recv(batch("r", 1, 0, &[PEER, PEER]));
        h.lost(TransportClosed::failed("reset"));
        h.open();
        h.recv(welcome(0));
        h.recv(joined("r", 1, start, 4, 0));
        assert_eq!(h.client.metrics().errors.protocol_violations, 0);
    }
}

#[test]
fn undrained_events_drop_the_connection_and_lose_no_delta() {
    let mut c = config();
    c.max_queued_events = 3;
    let mut h = Harness::joined_room(c);
    // Feed deltas without draining events.
    for offset in 0..5 {
        let bytes = hub_delta("r", 1, offset, PEER, offset + 1).encode();
        h.client.handle_frame(h.now, h.conn, &bytes);
    }
    h.drain();
    assert_eq!(h.delivered(), vec![0, 1, 2]);
    assert_eq!(h.client.metrics().errors.slow_application, 1);
    assert!(h.sent.is_empty() || h.client.state() != crate::client::ClientState::Connected);
    h.open();
    h.recv(welcome(0));
    assert!(h.sent.contains(&Frame::Join(Join {
        room: room("r"),
        crdt: "g".into(),
        resume: Some(Position {
            epoch: 1,
            offset: 3
        }),
    })));
}
