//! Compaction: bounded in-memory retention; prefixes folded into snapshots with the
//! room's CRDT type; fresh joiners get snapshot + tail; unknown types just trim.

use std::sync::Arc;

use super::harness::*;
use crate::crdt::NoMerge;
use crate::hub::*;
use crate::wire::*;

fn cfg(merger: Arc<dyn crate::crdt::DeltaMerger>) -> HubConfig {
    HubConfig {
        max_tail_entries: 8,
        merger,
        ..config()
    }
}

fn total(frames: &[Frame]) -> u64 {
    let mut t = 0;
    if let Some(s) = &joined(frames).snapshot {
        t += u64::from_le_bytes(s[..].try_into().unwrap());
    }
    for f in frames {
        match f {
            Frame::DeltaBatch(b) => {
                for e in &b.entries {
                    t += u64::from_le_bytes(e.payload[..].try_into().unwrap());
                }
            }
            Frame::HubDelta(d) => t += u64::from_le_bytes(d.payload[..].try_into().unwrap()),
            _ => {}
        }
    }
    t
}

#[test]
fn the_prefix_folds_into_a_snapshot_and_fresh_joiners_converge() {
    let mut h = Harness::with(cfg(Arc::new(SumMerger)));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    for seq in 1..=30 {
        h.delta(w, "r", 1, seq, sum(seq));
        assert!(h.hub.room_tail_len(&RoomId::new("r")).unwrap() <= 8);
    }
    let room = RoomId::new("r");
    let snap = h.storage.snapshot(&room).expect("snapshot written").clone();
    assert!(
        snap.offset >= 22,
        "at most 8 entries stay outside the snapshot"
    );
    assert_eq!(snap.seqs, vec![(ReplicaId(1), snap.offset)]);
    assert!(
        h.storage.entry_count(&room) < 30,
        "storage dropped the folded entries"
    );
    assert!(h.hub.metrics().compactions > 0);
    let a = h.connect(2);
    let frames = h.join(a, "r", "sum", None);
    let j = joined(&frames);
    assert_eq!((j.resync, j.start, j.head), (true, snap.offset, 30));
    assert_eq!(
        total(&frames),
        (1..=30).sum::<u64>(),
        "snapshot + tail = whole history"
    );
}

#[test]
fn dedupe_survives_compaction_and_restart() {
    let mut h = Harness::with(cfg(Arc::new(SumMerger)));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    for seq in 1..=30 {
        h.delta(w, "r", 1, seq, sum(1));
    }
    let storage = h.storage.clone();
    let mut h = Harness::with_storage(cfg(Arc::new(SumMerger)), storage);
    let w = h.connect(1);
    assert_eq!(joined(&h.join(w, "r", "sum", None)).acked_seq, 30);
    h.delta(w, "r", 1, 2, sum(1));
    assert_eq!(acks(&h.take(w)), vec![30]);
    assert_eq!(h.storage.head(&RoomId::new("r")), Some(30));
}

#[test]
fn without_a_merger_the_tail_is_trimmed_and_history_served_from_storage() {
    let mut h = Harness::with(cfg(Arc::new(NoMerge)));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    for seq in 1..=30 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let room = RoomId::new("r");
    assert!(h.hub.room_tail_len(&room).unwrap() <= 8);
    assert!(h.storage.snapshot(&room).is_none());
    assert_eq!(h.storage.entry_count(&room), 30);
    let a = h.connect(2);
    let frames = h.join(a, "r", "sum", None);
    assert_eq!(joined(&frames).start, 0);
    assert_eq!(deltas(&frames).len(), 30);
}
