//! Slow consumers: a member that does not read falls behind without growing the hub's
//! memory, and catches up from the log once it drains; output other than deltas that
//! cannot be queued closes the session with `SLOW_CONSUMER`.

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

fn cfg() -> HubConfig {
    HubConfig {
        max_backlog_bytes: 2_000,
        max_tail_entries: 16,
        batch_max_entries: 8,
        ..config()
    }
}

#[test]
fn a_stalled_reader_falls_behind_boundedly_then_catches_up_in_order() {
    let mut h = Harness::with(cfg());
    let w = h.connect(1);
    let slow = h.connect(2);
    h.join(w, "r", "sum", None);
    h.join(slow, "r", "sum", None);
    h.take(slow);
    h.stalled.push(slow);
    for seq in 1..=200 {
        h.delta(w, "r", 1, seq, bytes::Bytes::from(vec![7u8; 40]));
        assert!(h.hub.backlog(slow).unwrap() <= 2_000);
    }
    assert!(!h.closed.contains_key(&slow));
    let before = deltas(&h.take(slow)).len();
    assert!(before < 200, "it fell behind ({before})");
    h.stalled.clear();
    let backlog = h.hub.backlog(slow).unwrap();
    h.hub.handle_flushed(slow, backlog);
    h.settle();
    let mut all = before as u64;
    let rest = deltas(&h.take(slow));
    let offsets: Vec<u64> = rest.iter().map(|d| d.0).collect();
    assert_eq!(
        offsets,
        (all..200).collect::<Vec<_>>(),
        "exactly the missing entries, in order"
    );
    all += rest.len() as u64;
    assert_eq!(all, 200);
    h.delta(w, "r", 1, 201, sum(1));
    assert!(
        matches!(h.take(slow).as_slice(), [Frame::HubDelta(d)] if d.offset == 200),
        "live again"
    );
}

#[test]
fn a_reader_that_never_drains_is_closed_slow_consumer() {
    let mut h = Harness::with(cfg());
    let a = h.connect(1);
    h.stalled.push(a);
    for n in 0..300 {
        h.send(
            a,
            Frame::Ping {
                nonce: u64::MAX - n,
            },
        );
        if h.closed.contains_key(&a) {
            break;
        }
    }
    assert_eq!(h.closed.get(&a), Some(&CloseCode::SLOW_CONSUMER));
    assert_eq!(h.hub.session_count(), 0);
}

/// Found by the simulator's `slow` scenario (issue 17; every one of seeds 1..=10 with
/// the `spurious_internal` check): a member so far behind that the entries it needs
/// were folded into a durable snapshot (and deleted from storage) asked storage for
/// them, got nothing, and was refused `internal` and closed 1011 as if storage had
/// failed. It is a slow consumer: closed 4011, and its resume gets a resync.
#[test]
fn a_reader_behind_a_durable_snapshot_is_closed_slow_consumer_and_resynced() {
    let mut h = Harness::with(HubConfig {
        merger: std::sync::Arc::new(SumMerger),
        ..cfg()
    });
    let w = h.connect(1);
    let slow = h.connect(2);
    h.join(w, "r", "sum", None);
    let epoch = joined(&h.join(slow, "r", "sum", None)).epoch;
    h.stalled.push(slow);
    for seq in 1..=200 {
        h.delta(w, "r", 1, seq, sum(1));
    }
    let seen = deltas(&h.take(slow)).len() as u64;
    let snapshot = h.storage.snapshot(&RoomId::new("r")).map(|s| s.offset);
    assert!(
        snapshot.is_some_and(|s| s > seen),
        "compacted past the reader ({snapshot:?} > {seen})"
    );
    h.stalled.clear();
    let backlog = h.hub.backlog(slow).unwrap_or(0);
    h.hub.handle_flushed(slow, backlog);
    h.settle();
    assert_eq!(h.closed.get(&slow), Some(&CloseCode::SLOW_CONSUMER));
    assert!(!rejects(&h.take(slow)).contains(&ErrorCode::INTERNAL));
    // It resumes from its position and is resynced to the snapshot, then the tail.
    let again = h.connect(2);
    let position = Position {
        epoch,
        offset: seen,
    };
    let frames = h.join(again, "r", "sum", Some(position));
    let j = joined(&frames);
    assert!(j.resync, "resync, not a replay of compacted entries");
    assert_eq!(Some(j.start), snapshot);
    assert!(!rejects(&frames).contains(&ErrorCode::INTERNAL));
}
