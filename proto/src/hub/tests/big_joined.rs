//! A `Joined` bigger than the room left in a session's backlog (a big snapshot behind
//! queued output) waits for the backlog to drain instead of closing the session
//! `SLOW_CONSUMER`: a client re-joining several big rooms at once would otherwise be
//! closed on every reconnect, for ever. Meanwhile the session is sent no data frames,
//! so the backlog does drain; they are delivered from the log afterwards.

use std::sync::Arc;

use bytes::Bytes;

use super::harness::*;
use crate::crdt::{CrdtError, DeltaMerger};
use crate::hub::*;
use crate::wire::*;

/// Keeps the longer of two payloads: a state that stays as big as the biggest delta.
struct Longest;

impl DeltaMerger for Longest {
    fn merge(&self, _: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        Ok(Some(if b.len() > a.len() { b } else { a }.to_vec()))
    }
}

const BIG: usize = 1_500;

fn cfg() -> HubConfig {
    HubConfig {
        max_backlog_bytes: 2_000,
        max_tail_entries: 8,
        merger: Arc::new(Longest),
        ..config()
    }
}

/// A hub whose rooms `names` each have a snapshot of about `BIG` bytes, written by
/// replica 1 (whose session is returned).
fn big_rooms(names: &[&str]) -> (Harness, SessionId) {
    let mut h = Harness::with(cfg());
    let w = h.connect(1);
    for room in names {
        h.join(w, room, "sum", None);
        h.delta(w, room, 1, 1, Bytes::from(vec![9u8; BIG]));
        for seq in 2..=20 {
            h.delta(w, room, 1, seq, Bytes::from_static(b"x"));
        }
        let snapshot = h.storage.snapshot(&RoomId::new(room)).expect("compacted");
        assert_eq!(snapshot.state.len(), BIG);
    }
    (h, w)
}

fn joined_rooms(frames: &[Frame]) -> Vec<String> {
    let rooms = frames.iter().filter_map(|f| match f {
        Frame::Joined(j) => Some(j.room.to_string()),
        _ => None,
    });
    rooms.collect()
}

fn flush_all(h: &mut Harness, sid: SessionId) {
    h.stalled.clear();
    let backlog = h.hub.backlog(sid).unwrap_or(0);
    h.hub.handle_flushed(sid, backlog);
    h.settle();
}

#[test]
fn a_joined_that_does_not_fit_a_busy_backlog_waits_for_it_and_holds_data_back() {
    let (mut h, w) = big_rooms(&["big"]);
    let r = h.connect(2);
    h.join(w, "small", "sum", None);
    h.join(r, "small", "sum", None);
    h.stalled.push(r);
    for seq in 1..=5 {
        h.delta(w, "small", 1, seq, Bytes::from(vec![1u8; 100]));
    }
    assert_eq!(deltas(&h.take(r)).len(), 5);
    assert!(
        h.hub.backlog(r).unwrap() + BIG > 2_000,
        "the Joined cannot fit now"
    );

    h.send(r, join("big", "sum", None));
    assert!(!h.closed.contains_key(&r), "not closed slow consumer");
    assert!(joined_rooms(&h.take(r)).is_empty(), "the Joined waits");
    h.delta(w, "small", 1, 6, Bytes::from(vec![1u8; 100]));
    assert!(
        deltas(&h.take(r)).is_empty(),
        "data waits behind the Joined"
    );

    flush_all(&mut h, r);
    let frames = h.take(r);
    assert_eq!(joined_rooms(&frames), ["big"]);
    let j = joined(&frames);
    assert_eq!(j.snapshot.as_ref().map(|s| s.len()), Some(BIG));
    let offsets: Vec<u64> = deltas(&frames).iter().map(|d| d.0).collect();
    assert!(
        offsets.contains(&5),
        "the held delta is delivered after it: {offsets:?}"
    );
    assert!(!h.closed.contains_key(&r));
}

#[test]
fn a_client_joining_several_big_rooms_at_once_gets_every_joined_and_is_never_closed() {
    let rooms = ["a", "b", "c"];
    let (mut h, _) = big_rooms(&rooms);
    let r = h.connect(2);
    h.stalled.push(r);
    for room in rooms {
        h.send(r, join(room, "sum", None));
    }
    // The first fits the empty backlog; the others wait.
    assert_eq!(joined_rooms(&h.take(r)), ["a"]);
    let mut got = vec!["a".to_string()];
    for _ in 0..rooms.len() {
        flush_all(&mut h, r);
        h.stalled.push(r);
        got.extend(joined_rooms(&h.take(r)));
    }
    assert_eq!(got, rooms);
    assert!(!h.closed.contains_key(&r));
}

#[test]
fn leaving_a_room_whose_joined_waits_forgets_it() {
    let (mut h, _) = big_rooms(&["a", "b"]);
    let r = h.connect(2);
    h.stalled.push(r);
    h.send(r, join("a", "sum", None));
    h.send(r, join("b", "sum", None));
    assert_eq!(joined_rooms(&h.take(r)), ["a"]);
    h.send(
        r,
        Frame::Leave(Leave {
            room: RoomId::new("b"),
        }),
    );
    flush_all(&mut h, r);
    assert!(joined_rooms(&h.take(r)).is_empty());
    assert!(!h.closed.contains_key(&r));
}
