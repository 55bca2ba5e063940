//! The outbox on its own: its invariant check, the fold at a connection loss,
//! settling, withdrawing and renumbering.

use super::*;
use crate::client::merging::SizeBounds;

/// Breaks an outbox in one way.
type Spoil = fn(&mut Outbox);

/// An outbox holding room "r" with entries 1..=3 of one byte, the first sent.
fn outbox() -> Outbox {
    let mut o = Outbox::new(10, 100);
    for seq in 1..=3 {
        let e = Entry {
            seq,
            payload: Bytes::from_static(b"x"),
            ever_sent: seq == 1,
            sent_before: false,
        };
        o.append(&RoomId::new("r"), "g", e).expect("within bounds");
    }
    if let Some(q) = o.rooms.get_mut(&RoomId::new("r")) {
        q.sent = 1;
    }
    o
}

fn queue(o: &mut Outbox) -> &mut RoomQueue {
    o.rooms.get_mut(&RoomId::new("r")).expect("room r")
}

#[test]
fn check_reports_every_broken_rule() {
    let known = |_: &RoomId| true;
    assert_eq!(outbox().check(true, known), Ok(()));
    assert!(outbox().check(true, |_| false).is_err(), "unknown room");
    assert!(outbox().check(false, known).is_err(), "sent while offline");
    let broken: [(&str, Spoil); 7] = [
        ("empty queue", |o| queue(o).entries.clear()),
        ("sent beyond the queue", |o| queue(o).sent = 4),
        ("a gap in the sequences", |o| queue(o).entries[2].seq = 9),
        ("sequence 0", |o| {
            for (i, e) in queue(o).entries.iter_mut().enumerate() {
                e.seq = i as u64;
            }
        }),
        ("sent after a never-sent entry", |o| {
            queue(o).entries[2].ever_sent = true
        }),
        ("a sent prefix not marked sent", |o| {
            queue(o).entries[0].ever_sent = false
        }),
        ("totals that do not add up", |o| o.bytes = 7),
    ];
    for (why, spoil) in broken {
        let mut o = outbox();
        spoil(&mut o);
        assert!(o.check(true, known).is_err(), "{why}");
    }
    let mut over = outbox();
    over.max_count = 2;
    assert!(over.check(true, known).is_err(), "over the count bound");
    let mut over = outbox();
    over.max_bytes = 2;
    assert!(over.check(true, known).is_err(), "over the byte bound");
}

/// Merges tag "g" by keeping the second value; refuses to merge `!`.
struct KeepSecond;

impl DeltaMerger for KeepSecond {
    fn merge(
        &self,
        tag: &str,
        first: &[u8],
        second: &[u8],
    ) -> Result<Option<Vec<u8>>, crate::crdt::CrdtError> {
        Ok((tag == "g" && first != b"!" && second != b"!").then(|| second.to_vec()))
    }
}

/// Room "r" with `payloads` as entries 1.., none sent yet (made offline).
fn local(payloads: &[&'static [u8]]) -> Outbox {
    let mut o = Outbox::new(10, 100);
    for (i, p) in payloads.iter().enumerate() {
        let e = Entry {
            seq: i as u64 + 1,
            payload: Bytes::from_static(p),
            ever_sent: false,
            sent_before: false,
        };
        o.append(&RoomId::new("r"), "g", e).expect("within bounds");
    }
    o
}

/// Room "r" with `payloads` as entries 1.., all sent, then the hub refused the
/// first in flight (`rewind`): every entry is unsent again. With `reconnected`
/// they were sent on an earlier connection too.
fn rewound(payloads: &[&'static [u8]], reconnected: bool) -> Outbox {
    let mut o = local(payloads);
    let r = RoomId::new("r");
    let send_all = |o: &mut Outbox| {
        for _ in payloads {
            o.next_unsent(&r).expect("an entry to send");
        }
    };
    if reconnected {
        send_all(&mut o);
        o.connection_lost(&KeepSecond, SizeBounds::frame(1 << 20));
    }
    send_all(&mut o);
    assert_eq!(o.rewind(&r, 1), Some(payloads.len() - 1));
    o
}

fn seqs_and_payloads(o: &mut Outbox) -> Vec<(u64, Vec<u8>)> {
    queue(o)
        .entries
        .iter()
        .map(|e| (e.seq, e.payload.to_vec()))
        .collect()
}

#[test]
fn a_connection_loss_folds_a_never_sent_run_into_one_entry() {
    let mut o = local(&[b"aa", b"b", b"ccc"]);
    o.connection_lost(&KeepSecond, SizeBounds::frame(1 << 20));
    assert_eq!(seqs_and_payloads(&mut o), [(1, b"ccc".to_vec())]);
    assert_eq!((o.count, o.bytes), (1, 3), "totals follow the fold");
    assert_eq!(o.check(false, |_| true), Ok(()));
}

#[test]
fn an_entry_that_does_not_merge_keeps_its_place_renumbered_after_the_fold() {
    let mut o = local(&[b"aa", b"b", b"!", b"dd", b"e"]);
    o.connection_lost(&KeepSecond, SizeBounds::frame(1 << 20));
    let want = [(1, b"b".to_vec()), (2, b"!".to_vec()), (3, b"e".to_vec())];
    assert_eq!(seqs_and_payloads(&mut o), want);
    assert_eq!((o.count, o.bytes), (3, 3));
    assert_eq!(o.check(false, |_| true), Ok(()));
}

#[test]
fn entries_that_may_be_on_the_hub_are_never_folded() {
    // 1 was sent and not refused (it may be on the hub); 2 and 3 never left.
    let mut o = outbox();
    o.connection_lost(&KeepSecond, SizeBounds::frame(1 << 20));
    let q = queue(&mut o);
    let flags: Vec<(u64, bool)> = q.entries.iter().map(|e| (e.seq, e.ever_sent)).collect();
    assert_eq!(
        flags,
        [(1, true), (2, false)],
        "only the never-sent pair merged"
    );
    assert_eq!(q.sent, 0, "nothing is in flight after a connection loss");
    assert_eq!((o.count, o.bytes), (2, 2));
}

#[test]
fn entries_refused_on_the_connection_that_first_sent_them_merge_again() {
    // Refused, and never sent before this connection: no hub holds them.
    let mut o = rewound(&[b"aa", b"b"], false);
    o.connection_lost(&KeepSecond, SizeBounds::frame(1 << 20));
    assert_eq!(seqs_and_payloads(&mut o), [(1, b"b".to_vec())]);
    assert_eq!(o.check(false, |_| true), Ok(()));
}

#[test]
fn entries_sent_on_an_earlier_connection_stay_unmerged_after_a_refusal() {
    // Sent before the reconnect, then refused by the node of this connection:
    // another node may still store the copy sent before (PROTOCOL.md §8.6), so
    // neither a fold at the next connection loss nor a new delta may merge into them.
    let mut o = rewound(&[b"aa", b"b"], true);
    o.connection_lost(&KeepSecond, SizeBounds::frame(1 << 20));
    assert_eq!(
        seqs_and_payloads(&mut o),
        [(1, b"aa".to_vec()), (2, b"b".to_vec())]
    );
    let r = RoomId::new("r");
    let pushed = o.push(
        &r,
        "g",
        3,
        Bytes::from_static(b"c"),
        &KeepSecond,
        SizeBounds::frame(1 << 20),
    );
    assert_eq!(pushed, Ok((3, false)), "a new entry, not merged into 2");
    assert_eq!(o.check(false, |_| true), Ok(()));
}

#[test]
fn renumbering_after_a_join_keeps_sent_entries_unmerged() {
    // The hub of the new connection holds up to 0: entries 1 and 2 continue from
    // 1, but they were sent before and may still land through another node.
    let mut o = rewound(&[b"aa", b"b"], true);
    let r = RoomId::new("r");
    assert_eq!(o.renumber_after(&r, 0), 3);
    let pushed = o.push(
        &r,
        "g",
        3,
        Bytes::from_static(b"c"),
        &KeepSecond,
        SizeBounds::frame(1 << 20),
    );
    assert_eq!(pushed, Ok((3, false)));
    let mut o = local(&[b"aa"]);
    assert_eq!(o.renumber_after(&r, 0), 2);
    let pushed = o.push(
        &r,
        "g",
        2,
        Bytes::from_static(b"c"),
        &KeepSecond,
        SizeBounds::frame(1 << 20),
    );
    assert_eq!(pushed, Ok((1, true)), "a never-sent entry still merges");
}

#[test]
fn a_merge_larger_than_a_frame_allows_is_not_made() {
    let mut o = local(&[b"a", b"bbbbbbbb"]);
    let limit = crate::client::config::DELTA_FRAME_OVERHEAD + "r".len() + "g".len() + 4;
    o.connection_lost(&KeepSecond, SizeBounds::frame(limit));
    assert_eq!(
        seqs_and_payloads(&mut o).len(),
        2,
        "8 bytes exceed the 4 allowed"
    );
    let mut o = local(&[b"a", b"bbbb"]);
    o.connection_lost(&KeepSecond, SizeBounds::frame(limit));
    assert_eq!(seqs_and_payloads(&mut o), [(1, b"bbbb".to_vec())], "4 fit");
}

#[test]
fn a_room_can_be_unsent_and_its_last_sequence_read() {
    let mut o = outbox();
    let r = RoomId::new("r");
    assert_eq!(o.last_seq(&r), Some(3));
    assert_eq!(o.last_seq(&RoomId::new("other")), None);
    o.unsend_room(&r);
    assert_eq!(queue(&mut o).sent, 0);
    let next = o.next_unsent(&r).expect("entry 1 again");
    assert_eq!(next.seq, 1, "the room is sent again from its first entry");
}

#[test]
fn withdrawing_the_entry_in_flight_renumbers_the_rest_and_keeps_the_totals() {
    let mut o = outbox();
    let r = RoomId::new("r");
    let gone = o.withdraw(&r, 1).expect("entry 1");
    assert_eq!(gone.seq, 1);
    assert_eq!(
        queue(&mut o).sent,
        0,
        "the withdrawn entry was the one in flight"
    );
    let seqs: Vec<u64> = queue(&mut o).entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2]);
    assert_eq!((o.count, o.bytes), (2, 2));
    assert_eq!(o.check(true, |_| true), Ok(()));
}

#[test]
fn settling_past_the_sent_prefix_renumbers_never_sent_entries_behind_the_rest() {
    // 1 in flight, 2 and 3 never sent; the hub holds up to 2 (2 came from an
    // earlier session of this replica): 1 is acked, 2 moves behind 3 as 4.
    let mut o = outbox();
    let r = RoomId::new("r");
    let mut fresh = 4..;
    let removed = o.settle(&r, 2, || fresh.next());
    assert_eq!(removed.iter().map(|e| e.seq).collect::<Vec<_>>(), [1]);
    let q = queue(&mut o);
    assert_eq!(q.sent, 0);
    let seqs: Vec<u64> = q.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [3, 4]);
    assert_eq!((o.count, o.bytes), (2, 2));
}
