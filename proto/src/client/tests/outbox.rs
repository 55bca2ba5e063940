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
        vec![(1, Bytes::from_static(b"abc"))],
        "the merged delta keeps the lowest sequence; merged parts take none"
    );
    h.clear();
    h.submit("r", b"d");
    assert_eq!(
        h.client.outbox_len(),
        2,
        "the in-flight entry is not merged into"
    );
    assert_eq!(h.sent_seqs(), vec![2], "consecutive after the merged one");
    // Lost connection: everything unsent again, but entries that may have reached
    // the hub are never folded: under either sequence a merge could lose a part
    // (the hub may hold the lower one) or leave a gap (it may not).
    h.lost(TransportClosed::failed("reset"));
    h.submit("r", b"e");
    h.submit("r", b"f");
    let outbox = &h.client.export_state().rooms[0].outbox;
    let kept: Vec<_> = outbox.iter().map(|e| (e.seq, e.payload.clone())).collect();
    assert_eq!(
        kept,
        vec![
            (1, Bytes::from_static(b"abc")),
            (2, Bytes::from_static(b"d")),
            (3, Bytes::from_static(b"ef")),
        ],
        "only the never-sent deltas merged, under the lowest of their numbers"
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
fn rate_limited_delta_is_resent_unchanged_once_later_refusals_arrived_and_the_pause_ended() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"a");
    h.submit("r", b"b");
    h.clear();
    h.recv(reject(ErrorCode::RATE_LIMITED, Some("r"), Some(1)));
    assert_eq!(h.client.outbox_len(), 2, "kept");
    h.submit("r", b"c");
    h.advance(Duration::from_secs(1));
    assert!(
        h.sent_seqs().is_empty(),
        "seq 2 is still in flight (its refusal is due): sending 1 again now could put a \
         sequence on the wire twice"
    );
    h.recv(reject(ErrorCode::SEQ_GAP, Some("r"), Some(2)));
    assert_eq!(
        h.sent_seqs(),
        vec![1, 2, 3],
        "same numbers, no gap, no reuse"
    );
    h.recv(ack("r", 3));
    assert_eq!(h.client.outbox_len(), 0);
    assert_eq!(h.client.check_invariants(), Ok(()));
}

#[test]
fn an_ack_below_the_refused_delta_does_not_end_the_wait_for_the_refusals_after_it() {
    let mut h = Harness::joined_room(config());
    for p in [&b"a"[..], b"b", b"c"] {
        h.submit("r", p);
    }
    h.clear();
    h.recv(reject(ErrorCode::RATE_LIMITED, Some("r"), Some(2)));
    // The ack of 1 (sent before the refusal of 2) is not the hub accepting 3.
    h.recv(ack("r", 1));
    h.advance(Duration::from_secs(1));
    assert!(
        h.sent_seqs().is_empty(),
        "3's refusal is still due: sending 2 again now could put 3 on the wire twice"
    );
    h.recv(reject(ErrorCode::SEQ_GAP, Some("r"), Some(3)));
    assert_eq!(h.sent_seqs(), vec![2, 3]);
}

#[test]
fn a_refused_delta_is_withdrawn_and_later_ones_move_down_so_the_hub_sees_no_gap() {
    let mut h = Harness::joined_room(config());
    for p in [&b"a"[..], b"b", b"c"] {
        h.submit("r", p);
    }
    h.clear();
    // The hub refused 2 for good, and therefore 3 (a gap).
    h.recv(reject(ErrorCode::PAYLOAD_TOO_LARGE, Some("r"), Some(2)));
    assert!(h.sent_seqs().is_empty(), "3's refusal is still due");
    h.recv(reject(ErrorCode::SEQ_GAP, Some("r"), Some(3)));
    let sent: Vec<_> = h
        .sent
        .iter()
        .filter_map(|f| match f {
            Frame::ClientDelta(d) => Some((d.seq, d.payload.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(sent, vec![(2, Bytes::from_static(b"c"))], "c is the new 2");
    assert!(h.app_events().iter().any(|e| matches!(
        e,
        ClientEvent::DeltaRejected {
            seq: 2,
            code: ErrorCode::PAYLOAD_TOO_LARGE,
            ..
        }
    )));
    h.clear();
    h.submit("r", b"d");
    assert_eq!(h.sent_seqs(), vec![3]);
    h.recv(ack("r", 3));
    assert_eq!(h.client.outbox_len(), 0);
    assert_eq!(h.client.check_invariants(), Ok(()));
}

#[test]
fn an_unexplained_seq_gap_rejoins_and_the_joined_renumbers_from_acked_seq() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"a");
    h.submit("r", b"b");
    h.clear();
    // The hub holds only up to 0 though we never saw a refusal: re-join to learn.
    h.recv(reject(ErrorCode::SEQ_GAP, Some("r"), Some(1)));
    assert!(
        h.sent
            .iter()
            .any(|f| matches!(f, Frame::Join(j) if j.room == room("r"))),
        "re-joins the room"
    );
    h.recv(reject(ErrorCode::SEQ_GAP, Some("r"), Some(2))); // stale: ignored
    h.clear();
    h.recv(joined("r", 1, 0, 0, 0));
    assert_eq!(h.sent_seqs(), vec![1, 2]);
    assert_eq!(h.client.check_invariants(), Ok(()));
}

#[test]
fn a_rate_limited_join_is_retried_after_the_pause_not_given_up() {
    let mut h = Harness::new(config());
    h.client.join(h.now, room("r"), "g").unwrap();
    h.connect();
    h.recv(welcome(0));
    h.clear();
    h.recv(reject(ErrorCode::RATE_LIMITED, Some("r"), None));
    assert!(
        !h.sent.iter().any(|f| matches!(f, Frame::Join(_))),
        "paused"
    );
    h.advance(Duration::from_secs(1));
    assert!(
        h.sent.iter().any(|f| matches!(f, Frame::Join(_))),
        "joined again"
    );
    assert!(
        !h.app_events()
            .iter()
            .any(|e| matches!(e, ClientEvent::JoinRejected { .. }))
    );
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

#[test]
fn the_latest_joined_is_authoritative_for_numbering_even_below_earlier_acks() {
    let mut h = Harness::joined_room(config());
    h.submit("r", b"a");
    h.submit("r", b"b");
    h.recv(ack("r", 2));
    h.submit("r", b"c"); // seq 3, in flight
    h.lost(TransportClosed::failed("reset"));
    h.open();
    h.recv(welcome(0));
    h.clear();
    // A new history (epoch 2, e.g. the hub's storage was reset) holds nothing of
    // this replica: c is sent again as its 1, not lost behind a gap.
    h.recv(Frame::Joined(Joined {
        resync: true,
        ..match joined("r", 2, 0, 0, 0) {
            Frame::Joined(j) => j,
            _ => unreachable!(),
        }
    }));
    assert_eq!(h.sent_seqs(), vec![1]);
    assert_eq!(h.client.check_invariants(), Ok(()));
}

/// The `ClientDelta`s in `sent`, as (seq, payload).
fn deltas_sent(h: &Harness) -> Vec<(u64, Bytes)> {
    h.sent
        .iter()
        .filter_map(|f| match f {
            Frame::ClientDelta(d) => Some((d.seq, d.payload.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_delta_sent_through_another_node_is_never_merged_so_its_duplicate_ack_covers_only_it() {
    // Several hub nodes (PROTOCOL.md §8.6): delta 1 went to node A, whose append is
    // still in flight when the connection drops. Node B's `Joined` does not count
    // it yet, and B refuses the re-sent copy `rate_limited`. A delta made during the
    // pause must not merge into 1: A's copy of 1 becomes durable, so B answers the
    // next copy of 1 as a duplicate, and whatever was merged into it would be
    // acknowledged without ever being stored.
    let mut h = Harness::joined_room(merging());
    h.submit("r", b"a");
    h.clear();
    h.lost(TransportClosed::failed("node A went away"));
    h.open();
    h.recv(welcome(0));
    h.recv(joined("r", 1, 0, 0, 0));
    assert_eq!(deltas_sent(&h), vec![(1, Bytes::from_static(b"a"))]);
    h.clear();
    h.recv(reject(ErrorCode::RATE_LIMITED, Some("r"), Some(1)));
    h.submit("r", b"b");
    h.advance(Duration::from_secs(1));
    assert_eq!(
        deltas_sent(&h),
        vec![(1, Bytes::from_static(b"a")), (2, Bytes::from_static(b"b"))],
        "b travels under its own sequence"
    );
    h.recv(ack("r", 1)); // the duplicate of A's durable copy
    assert_eq!(h.client.outbox_len(), 1, "b is still owed an ack");
    assert_eq!(h.client.check_invariants(), Ok(()));
}

/// A client joined to room "r" through a hub announcing `max_payload_bytes` and
/// `max_presence_bytes` of 6, then offline; logs cleared.
fn small_payload_hub_then_offline() -> Harness {
    let mut h = Harness::new(merging());
    h.client.join(h.now, room("r"), "g").expect("join");
    h.connect();
    let mut l = limits(0);
    l.max_payload_bytes = 6;
    l.max_presence_bytes = 6;
    h.recv(welcome_with(0, l));
    h.drain();
    h.recv(joined("r", 1, 0, 0, 0));
    h.lost(TransportClosed::failed("offline"));
    h.clear();
    h
}

#[test]
fn the_hubs_announced_payload_limits_bound_submits_presence_and_merges() {
    // PROTOCOL.md §7: a client uses the limits of `Welcome`. A merge past the hub's
    // `max_payload_bytes` would be refused `payload_too_large` and withdrawn, taking
    // every delta merged into it along.
    let mut h = small_payload_hub_then_offline();
    assert!(matches!(
        h.client
            .submit(h.now, &room("r"), Bytes::from_static(b"1234567")),
        Err(ClientError::PayloadTooLarge { size: 7, max: 6 })
    ));
    assert!(matches!(
        h.client
            .set_presence(h.now, &room("r"), Bytes::from_static(b"1234567")),
        Err(ClientError::PayloadTooLarge { size: 7, max: 6 })
    ));
    assert_eq!(h.submit("r", b"abcd"), 1);
    assert_eq!(h.submit("r", b"ef"), 1, "merged: 6 bytes fit");
    assert_eq!(h.submit("r", b"g"), 2, "7 bytes would not");
    assert_eq!(h.submit("r", b"hi"), 2);
    h.lost(TransportClosed::failed("again"));
    assert_eq!(
        h.client.outbox_len(),
        2,
        "the fold keeps within the limit too"
    );
    assert_eq!(h.client.check_invariants(), Ok(()));
}
