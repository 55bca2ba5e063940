//! Compaction: bounded in-memory retention; prefixes folded into snapshots with the
//! room's CRDT type; fresh joiners get snapshot + tail; unknown types just trim.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::harness::*;
use crate::crdt::{CrdtError, DeltaMerger, NoMerge};
use crate::hub::*;
use crate::wire::*;

pub(super) fn cfg(merger: Arc<dyn crate::crdt::DeltaMerger>) -> HubConfig {
    HubConfig {
        max_tail_entries: 8,
        merger,
        ..config()
    }
}

pub(super) fn total(frames: &[Frame]) -> u64 {
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

#[test]
fn the_tail_is_bounded_by_bytes_as_well_as_by_entries() {
    // Entries bound far away; 8-byte payloads against a 40-byte bound.
    let mut h = Harness::with(HubConfig {
        max_tail_entries: 1_000,
        max_tail_bytes: 40,
        merger: Arc::new(NoMerge),
        ..config()
    });
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    for seq in 1..=30 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let room = RoomId::new("r");
    let kept = h.hub.room_tail_len(&room).unwrap();
    assert!((1..=5).contains(&kept), "{kept} entries of 8 bytes kept");
    h.hub.check_invariants().unwrap();
}

/// [`SumMerger`] that counts how often the snapshot is merged into, and can be made
/// to refuse the batch merge and one payload value.
#[derive(Default)]
struct Counting {
    batches: AtomicUsize,
    pairs: AtomicUsize,
    refuse_batches: bool,
    refuse_value: Option<u64>,
}

impl DeltaMerger for Counting {
    fn merge(&self, tag: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        self.pairs.fetch_add(1, Relaxed);
        if self.refuse_value.map(sum).as_deref() == Some(b) {
            return Ok(None);
        }
        SumMerger.merge(tag, a, b)
    }
    fn merge_many(
        &self,
        tag: &str,
        base: &[u8],
        deltas: &[&[u8]],
    ) -> Result<Option<Vec<u8>>, CrdtError> {
        self.batches.fetch_add(1, Relaxed);
        if self.refuse_batches {
            return Ok(None);
        }
        SumMerger.merge_many(tag, base, deltas)
    }
}

#[test]
fn a_compaction_merges_into_the_snapshot_once_not_once_per_entry() {
    // Merging into a large state costs O(state): a compaction that folds 100 entries
    // must pay it once, not 100 times (issue 18, large OR-sets stalling the hub).
    let merger = Arc::new(Counting::default());
    let mut h = Harness::with(HubConfig {
        max_tail_entries: 400,
        ..cfg(merger.clone())
    });
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    for seq in 1..=1000 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let compactions = h.hub.metrics().compactions;
    assert!(compactions >= 5, "the tail was compacted several times");
    assert_eq!(merger.batches.load(Relaxed) as u64, compactions);
    assert_eq!(merger.pairs.load(Relaxed), 0, "no merge entry by entry");
    let a = h.connect(2);
    let frames = h.join(a, "r", "sum", None);
    assert_eq!(total(&frames), (1..=1000).sum::<u64>());
}

#[test]
fn when_a_run_does_not_fold_at_once_its_longest_foldable_prefix_does() {
    let merger = Arc::new(Counting {
        refuse_batches: true,
        refuse_value: Some(13),
        ..Counting::default()
    });
    let mut h = Harness::with(cfg(merger));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    for seq in 1..=30 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let room = RoomId::new("r");
    let snap = h.storage.snapshot(&room).expect("snapshot written").clone();
    assert_eq!(
        snap.offset, 12,
        "folded up to the entry that does not merge"
    );
    assert!(h.hub.room_tail_len(&room).unwrap() <= 8);
    let a = h.connect(2);
    let frames = h.join(a, "r", "sum", None);
    assert_eq!(
        total(&frames),
        (1..=30).sum::<u64>(),
        "the rest is served from storage"
    );
}

/// A storage holding `n` entries of room "r" (payloads 1..=n) and no snapshot, as
/// left by crashes that lost every snapshot write (here: written by a hub that
/// could not fold).
fn unfolded_log(n: u64) -> MemoryStorage {
    let mut h = Harness::with(cfg(Arc::new(NoMerge)));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    for seq in 1..=n {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let room = RoomId::new("r");
    assert!(h.storage.snapshot(&room).is_none());
    assert_eq!(h.storage.entry_count(&room), n as usize);
    h.storage.clone()
}

#[test]
fn entries_only_in_storage_are_folded_into_the_snapshot_when_the_room_loads() {
    // Loaded with its last 8 entries in memory, the room has 92 entries between its
    // (absent) snapshot and its tail: compaction alone could never fold them, and
    // the log would grow for ever (issue 18: 68,000 entries after frequent restarts).
    let mut h = Harness::with_storage(cfg(Arc::new(SumMerger)), unfolded_log(100));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    let room = RoomId::new("r");
    let snap = h.storage.snapshot(&room).expect("backfilled").clone();
    assert_eq!(snap.offset, 92, "the snapshot reaches the in-memory tail");
    assert_eq!(snap.seqs, vec![(ReplicaId(1), 92)]);
    assert_eq!(h.storage.entry_count(&room), 8, "folded entries deleted");
    // Compaction goes on from there as usual.
    for seq in 101..=130 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    assert!(h.storage.entry_count(&room) <= 8);
    let a = h.connect(2);
    let frames = h.join(a, "r", "sum", None);
    assert_eq!(total(&frames), (1..=130).sum::<u64>());
}

#[test]
fn a_gap_of_one_entry_takes_the_tail_front_into_the_first_snapshot() {
    let mut h = Harness::with_storage(cfg(Arc::new(SumMerger)), unfolded_log(9));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    let room = RoomId::new("r");
    let snap = h.storage.snapshot(&room).expect("backfilled").clone();
    assert_eq!(
        snap.offset, 2,
        "entry 0 from storage and entry 1 from the tail"
    );
    let a = h.connect(2);
    let frames = h.join(a, "r", "sum", None);
    assert_eq!(total(&frames), (1..=9).sum::<u64>());
}

#[test]
fn a_room_of_a_type_the_merger_does_not_know_reads_its_gap_once_and_stops() {
    let mut h = Harness::with_storage(cfg(Arc::new(NoMerge)), unfolded_log(100));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    let reads = h.hub.metrics().storage_ops;
    for seq in 101..=130 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let room = RoomId::new("r");
    assert!(h.storage.snapshot(&room).is_none());
    assert_eq!(
        h.hub.metrics().storage_ops - reads,
        30,
        "one append per delta, no more backfill reads"
    );
}

#[test]
fn the_hub_never_merges_storage_folds_and_a_crash_mid_fold_loses_nothing() {
    // Merging into a big state is O(state): the hub only asks (issue 18). Its own
    // merger is never asked to merge; the storage's is.
    let on_hub = Arc::new(Counting::default());
    let mut h = Harness::with(cfg(on_hub.clone()));
    let in_storage = Arc::new(Counting::default());
    h.storage.set_merger(in_storage.clone());
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    for seq in 1..=30 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let room = RoomId::new("r");
    assert!(h.hub.metrics().compactions > 0);
    assert_eq!(on_hub.batches.load(Relaxed) + on_hub.pairs.load(Relaxed), 0);
    assert_eq!(
        in_storage.batches.load(Relaxed) as u64,
        h.hub.metrics().compactions
    );
    // A fold lost in a crash (never executed) leaves the old snapshot and every
    // entry: a restarted hub folds again and the history is whole.
    h.hold_storage = true;
    for seq in 31..=36 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let mut appends = h.storage.pending();
    let before = h.storage.snapshot(&room).cloned();
    while h.storage.pending() <= appends {
        let done = h.storage.release_next().expect("an append is queued");
        appends -= 1;
        h.hub.handle_storage(h.now, done);
        h.settle();
    }
    assert!(h.hub.pending_storage_ops() > 0, "a fold is in flight");
    h.storage.lose_pending();
    assert_eq!(h.storage.snapshot(&room).cloned(), before);
    let mut h = Harness::with_storage(cfg(Arc::new(SumMerger)), h.storage.clone());
    let a = h.connect(2);
    let frames = h.join(a, "r", "sum", None);
    let head = joined(&frames).head;
    assert_eq!(total(&frames), (1..=head).sum::<u64>());
    let snap = h.storage.snapshot(&room).expect("folded").offset;
    assert_eq!(h.hub.room_tail_len(&room), Some((head - snap) as usize));
}

/// A writer's nine deltas in room "r" (type "sum", tail of 8) with storage held: the
/// ninth append is durable and trimmed the tail, and the fold it asked for waits in
/// storage. Returns the harness and the writer.
pub(super) fn fold_asked() -> (Harness, SessionId) {
    let mut h = Harness::with(cfg(Arc::new(SumMerger)));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    for seq in 1..=8 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    h.hold_storage = true;
    h.delta(w, "r", 1, 9, sum(9));
    let appended = h.storage.release_next().expect("the append");
    h.hub.handle_storage(h.now, appended);
    h.settle();
    assert_eq!(h.storage.pending(), 1, "the fold was asked for");
    (h, w)
}

#[test]
fn a_fold_declined_because_another_node_folds_is_deferred_not_a_failure() {
    let (mut h, w) = fold_asked();
    let room = RoomId::new("r");
    let fold = h.storage.take_queued().expect("the fold");
    let before = h.hub.metrics();
    h.hub
        .handle_storage(h.now, fold.failed(StorageError::fold_busy()));
    h.settle();
    let after = h.hub.metrics();
    assert_eq!(after.storage_failures, before.storage_failures);
    assert_eq!(after.folds_deferred, before.folds_deferred + 1);
    assert!(h.closed.is_empty(), "nobody is closed");
    // Folded later, as after any declined fold.
    h.hold_storage = false;
    for seq in 10..=12 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    assert!(h.storage.snapshot(&room).is_some());
}

/// 30 deltas folded, ten more whose fold is held in storage, then a member (replica
/// 2) resuming from the first snapshot's offset: its range read is queued after the
/// held fold, which will delete the entries it needs. Returns the harness, the
/// member, the first snapshot's offset and the resume position.
fn range_queued_after_a_held_fold() -> (Harness, SessionId, u64, Position) {
    let mut h = Harness::with(cfg(Arc::new(SumMerger)));
    let w = h.connect(1);
    let epoch = joined(&h.join(w, "r", "sum", None)).epoch;
    for seq in 1..=30 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let room = RoomId::new("r");
    let folded = h.storage.snapshot(&room).expect("folded").offset;
    // Ten more deltas leave memory while their fold is held in storage.
    h.hold_storage = true;
    for seq in 31..=40 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    while h.storage.pending() > 0 && h.hub.pending_storage_ops() > 1 {
        let done = h.storage.release_next().expect("an append");
        h.hub.handle_storage(h.now, done);
        h.settle();
    }
    assert!(matches!(h.storage.pending(), 1), "the fold is held");
    // A member resumes from the old snapshot's offset: entries it needs are only in
    // storage, and the held fold will delete them.
    let a = h.connect(2);
    let position = Position {
        epoch,
        offset: folded,
    };
    h.send(a, join("r", "sum", Some(position)));
    assert_eq!(
        h.storage.pending(),
        2,
        "the range read is queued after the fold"
    );
    (h, a, folded, position)
}

#[test]
fn a_range_read_before_a_late_fold_deleted_its_entries_is_still_served() {
    let (mut h, a, folded, _) = range_queued_after_a_held_fold();
    // The range read runs first; the fold finishes later (as redb's fold thread
    // may) and its completion reaches the hub first.
    let range = h.storage.release_newest().expect("the range read");
    let fold = h.storage.release_next().expect("the fold");
    h.hub.handle_storage(h.now, fold);
    h.hub.handle_storage(h.now, range);
    h.hold_storage = false;
    h.settle();
    assert_eq!(h.closed.get(&a), None, "not cut off: it got its entries");
    let frames = h.take(a);
    let offsets: Vec<u64> = deltas(&frames).iter().map(|d| d.0).collect();
    assert_eq!(
        offsets,
        (folded..40).collect::<Vec<_>>(),
        "every entry once, in order"
    );
}

#[test]
fn a_range_read_after_a_fold_whose_completion_comes_later_closes_4011_not_1011() {
    // Conformance finding A4: storage runs a fold (deleting what it covers), then a
    // member's range read, but the range's completion reaches the hub first. The
    // entries are gone because of compaction, not a storage failure.
    let (mut h, a, _, position) = range_queued_after_a_held_fold();
    // The fold runs first and deletes the entries the range read wants.
    let fold = h.storage.release_next().expect("the fold");
    let range = h.storage.release_next().expect("the range read");
    h.hub.handle_storage(h.now, range);
    h.hub.handle_storage(h.now, fold);
    h.hold_storage = false;
    h.settle();
    assert_eq!(
        h.closed.get(&a),
        Some(&CloseCode::SLOW_CONSUMER),
        "behind compaction: 4011 and a resync on resume, never internal/1011"
    );
    assert_eq!(h.hub.metrics().storage_failures, 0);
    // Its resume from the same position gets the resync with the whole value.
    let b = h.connect(2);
    let frames = h.join(b, "r", "sum", Some(position));
    assert!(joined(&frames).resync);
    assert_eq!(total(&frames), (1..=40).sum::<u64>());
}

#[test]
fn the_first_fold_never_takes_an_entry_not_yet_delivered_live() {
    // Offset 0 is delivered; nine appends then become durable in one turn, which
    // trims the tail. The first fold needs two entries, but offset 1 is this turn's:
    // taking it from memory before the turn ends would deliver it to nobody (the
    // writer's Ack for seq 2 never came; a spec-review finding).
    let mut h = Harness::with(cfg(Arc::new(SumMerger)));
    let w = h.connect(1);
    h.join(w, "r", "sum", None);
    let a = h.connect(2);
    h.join(a, "r", "sum", None);
    h.delta(w, "r", 1, 1, sum(1));
    h.take(w);
    h.take(a);
    h.hold_storage = true;
    for seq in 2..=10 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    while let Some(done) = h.storage.release_next() {
        h.hub.handle_storage(h.now, done);
    }
    h.hold_storage = false;
    h.settle();
    h.release_storage();
    assert_eq!(
        acks(&h.take(w)),
        (2..=10).collect::<Vec<_>>(),
        "every seq acked live"
    );
    let got: Vec<u64> = deltas(&h.take(a)).iter().map(|d| d.0).collect();
    assert_eq!(
        got,
        (1..10).collect::<Vec<_>>(),
        "every entry live, in order"
    );
    assert!(h.closed.is_empty());
}
