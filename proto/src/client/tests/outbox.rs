//! The outbox: sequencing, acks, re-sending after reconnect, merging, bounds and
//! delta rejections.

use bytes::Bytes;
use core::time::Duration;
use std::sync::Arc;

use super::harness::*;
use crate::client::{ClientError, ClientEvent, ClientState, TransportClosed};
use crate::crdt::{CrdtError, DeltaMerger};
use crate::wire::*;

/// Merges type "g" by concatenation; knows no other type.
struct Concat;

impl DeltaMerger for Concat {
    fn merge(&self, tag: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        Ok((tag == "g").then(|| [a, b].concat()))
    }
}

fn merging() -> crate::client::ClientConfig {
    let mut c = config();
    c.merger = Arc::new(Concat);
    c
}

#[test]
fn deltas_are_sequenced_sent_and_removed_on_cumulative_ack() {
    let mut h = Harness::joined_room(config());
    assert_eq!(h.submit("r", b"a"), 1);
    assert_eq!(h.submit("r", b"b"), 2);
    assert_eq!(h.submit("r", b"c"), 3);
    assert_eq!(h.sent_seqs(), vec![1, 2, 3]);
    let Some(Frame::ClientDelta(d)) = h.sent.first() else {
        panic!("{:?}", h.sent);
    };
    assert_eq!(
        (d.replica, d.crdt.as_str(), &d.payload[..]),
        (ME, "g", &b"a"[..])
    );
    assert_eq!(h.client.outbox_len(), 3, "in flight until acked");
    h.recv(ack("r", 2));
    assert_eq!(h.client.outbox_len(), 1);
    assert_eq!(
        h.app_events(),
        vec![ClientEvent::DeltaAcked {
            room: room("r"),
            seq: 2
        }]
    );
    h.recv(ack("r", 3));
    assert_eq!((h.client.outbox_len(), h.client.outbox_bytes()), (0, 0));
    let m = h.client.metrics();
    assert_eq!((m.deltas_submitted, m.deltas_acked), (3, 3));
}

#[test]
fn offline_deltas_wait_and_unacked_ones_are_resent_after_reconnect() {
    let mut h = Harness::new(config());
    h.client.join(h.now, room("r"), "g").unwrap();
    h.submit("r", b"a");
    assert!(h.sent.is_empty());
    h.connect();
    h.recv(welcome(0));
    assert!(h.sent_seqs().is_empty(), "not before Joined");
    h.recv(joined("r", 1, 0, 0, 0));
    assert_eq!(h.sent_seqs(), vec![1]);
    h.submit("r", b"b");
    h.clear();
    h.lost(TransportClosed::failed("reset"));
    h.open();
    h.recv(welcome(0));
    let Some(Frame::Join(j)) = h.sent.iter().find(|f| matches!(f, Frame::Join(_))) else {
        panic!("{:?}", h.sent);
    };
    assert_eq!(
        j.resume,
        Some(Position {
            epoch: 1,
            offset: 0
        })
    );
    h.recv(joined("r", 1, 0, 0, 1)); // the hub holds seq 1 already
    assert_eq!(h.sent_seqs(), vec![2], "only the unacked delta is re-sent");
    assert_eq!(h.client.outbox_len(), 1);
    assert!(h.app_events().contains(&ClientEvent::DeltaAcked {
        room: room("r"),
        seq: 1
    }));
    assert_eq!(h.submit("r", b"c"), 3);
}

#[test]
fn queued_deltas_merge_but_in_flight_ones_do_not() {
    let mut h = Harness::new(merging());
    h.client.join(h.now, room("r"), "g").unwrap();
    for p in [&b"a"[..], b"b", b"c"] {
        h.client
            .submit(h.now, &room("r"), Bytes::from_static(p))
            .unwrap();
    }
    assert_eq!(h.client.outbox_len(), 1, "merged while offline");
    assert_eq!(h.client.metrics().deltas_merged, 2);
    h.connect();
    h.recv(welcome(0));
    h.recv(joined("r", 1, 0, 0, 0));
    let deltas: Vec<_> = h
        .sent
        .iter()
        .filter_map(|f| match f {
            Frame::ClientDelta(d) => Some((d.seq, d.payload.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        deltas,
        vec![(3, Bytes::from_static(b"abc"))],
        "highest seq wins"
    );
    h.clear();
    h.submit("r", b"d");
    assert_eq!(
        h.client.outbox_len(),
        2,
        "the in-flight entry is not merged into"
    );
    assert_eq!(h.sent_seqs(), vec![4]);
    // Lost connection: everything unsent again, and folded.
    h.lost(TransportClosed::failed("reset"));
    assert_eq!(h.client.outbox_len(), 1);
    assert_eq!(
        h.client.export_state().rooms[0].outbox[0].payload,
        Bytes::from_static(b"abcd")
    );
}

#[test]
fn bounds_refuse_new_deltas_and_keep_queued_ones() {
    let mut c = config();
    c.outbox_max_deltas = 2;
    let mut h = Harness::joined_room(c);
    h.submit("r", b"a");
    h.submit("r", b"b");
    let err = h.client.submit(h.now, &room("r"), Bytes::from_static(b"c"));
    assert_eq!(
        err,
        Err(ClientError::OutboxFull {
            deltas: 2,
            bytes: 2
        })
    );
    assert_eq!(h.client.outbox_len(), 2);
    assert_eq!(
        h.client.room(&room("r")).map(|r| r.next_seq),
        Some(3),
        "seq not consumed"
    );

    let mut c = config();
    c.outbox_max_bytes = 4;
    let mut h = Harness::joined_room(c);
    h.submit("r", b"abc");
    let err = h
        .client
        .submit(h.now, &room("r"), Bytes::from_static(b"de"));
    assert!(matches!(
        err,
        Err(ClientError::OutboxFull {
            deltas: 1,
            bytes: 3
        })
    ));
    h.submit("r", b"d");
    assert_eq!(h.client.outbox_bytes(), 4);
}

#[test]
fn submit_refuses_caller_mistakes() {
    let mut c = config();
    c.max_frame_bytes = 256;
    let mut h = Harness::joined_room(c);
    let big = Bytes::from(vec![0u8; 300]);
    assert!(matches!(
        h.client.submit(h.now, &room("r"), big),
        Err(ClientError::PayloadTooLarge { size: 300, .. })
    ));
    assert_eq!(
        h.client.submit(h.now, &room("x"), Bytes::new()),
        Err(ClientError::NotJoined(room("x")))
    );
    assert_eq!(h.client.outbox_len(), 0);
}

#[test]
fn rejected_delta_is_removed_and_reported() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"a");
    h.submit("r", b"b");
    h.clear();
    h.recv(reject(ErrorCode::PAYLOAD_TOO_LARGE, Some("r"), Some(1)));
    assert_eq!(h.client.outbox_len(), 1);
    assert!(matches!(
        &h.app_events()[..],
        [ClientEvent::DeltaRejected {
            seq: 1,
            code: ErrorCode::PAYLOAD_TOO_LARGE,
            ..
        }]
    ));
    assert_eq!(h.client.state(), ClientState::Connected);
}

#[test]
fn rate_limited_delta_is_renumbered_and_resent_after_a_pause() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"a");
    h.submit("r", b"b");
    h.clear();
    h.recv(reject(ErrorCode::RATE_LIMITED, Some("r"), Some(1)));
    assert_eq!(h.client.outbox_len(), 2, "kept");
    h.submit("r", b"c");
    assert!(h.sent_seqs().is_empty(), "paused");
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.sent_seqs(),
        vec![3, 4],
        "old seq 1 became 3; new delta got 4"
    );
    h.recv(ack("r", 4));
    assert_eq!(h.client.outbox_len(), 0);
}

#[test]
fn restarted_replica_never_reuses_sequences_the_hub_holds() {
    // A fresh client (no persisted state) submits before joining; the hub already
    // holds seqs up to 5 from an earlier incarnation of this replica.
    let mut h = Harness::new(config());
    h.client.join(h.now, room("r"), "g").unwrap();
    h.submit("r", b"a");
    h.submit("r", b"b");
    h.connect();
    h.recv(welcome(0));
    h.recv(joined("r", 1, 0, 0, 5));
    assert_eq!(
        h.sent_seqs(),
        vec![6, 7],
        "renumbered, not dropped as acked"
    );
    assert_eq!(h.client.outbox_len(), 2);
    assert_eq!(h.submit("r", b"c"), 8);
}

#[test]
fn read_only_room_refuses_submissions_and_rejects_queued_ones() {
    let mut h = Harness::new(config());
    h.client.join(h.now, room("r"), "g").unwrap();
    h.submit("r", b"a");
    h.connect();
    h.recv(welcome(0));
    let mut j = joined("r", 1, 0, 0, 0);
    if let Frame::Joined(ref mut j) = j {
        j.writable = false;
    }
    h.recv(j);
    assert_eq!(h.client.outbox_len(), 0);
    assert!(h.app_events().iter().any(|e| matches!(
        e,
        ClientEvent::DeltaRejected {
            seq: 1,
            code: ErrorCode::FORBIDDEN,
            ..
        }
    )));
    assert!(h.sent_seqs().is_empty());
    assert_eq!(
        h.client.submit(h.now, &room("r"), Bytes::new()),
        Err(ClientError::ReadOnly(room("r")))
    );
}

#[test]
fn leaving_discards_the_rooms_outbox() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"a");
    h.client.leave(h.now, &room("r")).unwrap();
    h.drain();
    assert_eq!(h.client.outbox_len(), 0);
    assert!(matches!(h.sent.last(), Some(Frame::Leave(_))));
}
