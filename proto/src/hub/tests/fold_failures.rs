//! A fold storage could not confirm is a storage failure: the room is dropped and its
//! members closed `INTERNAL_ERROR`, because the fold may have taken effect (entries
//! deleted, a newer snapshot) with only its reply lost. The room loads again from what
//! storage holds, so a member resuming below the new snapshot gets a resync, not a
//! refusal on every reconnect (simulator `storage_faults` seeds 2283, 2979, 3049).

use std::sync::Arc;

use super::compaction::{cfg, fold_asked, total};
use super::harness::*;
use crate::hub::*;
use crate::wire::*;

#[test]
fn a_failed_fold_drops_the_room_and_the_next_join_loads_it_and_folds_again() {
    // The ninth append trims the tail; its fold fails in storage before its write.
    let (mut h, w) = fold_asked();
    let room = RoomId::new("r");
    h.storage.set_failing(true);
    let failed = h.storage.release_next().expect("the fold");
    h.storage.set_failing(false);
    h.hub.handle_storage(h.now, failed);
    h.settle();
    assert_eq!(h.closed.get(&w), Some(&CloseCode::INTERNAL_ERROR));
    assert_eq!(rejects(&h.take(w)), [ErrorCode::INTERNAL]);
    assert_eq!(h.hub.room_tail_len(&room), None, "dropped from memory");
    assert_eq!(h.storage.pending(), 0, "no retry loop on a failing backend");
    assert!(h.storage.snapshot(&room).is_none());
    // The writer comes back; the room loads, and later trims fold again.
    h.hold_storage = false;
    let w = h.connect(1);
    assert_eq!(joined(&h.join(w, "r", "sum", None)).acked_seq, 9);
    for seq in 10..=12 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let snap = h.storage.snapshot(&room).expect("folded after the reload");
    let tail = h.hub.room_tail_len(&room).unwrap() as u64;
    assert_eq!(snap.offset + tail, 12, "the snapshot reaches the tail");
    let a = h.connect(2);
    let frames = h.join(a, "r", "sum", None);
    assert_eq!(total(&frames), (1..=12).sum::<u64>());
}

#[test]
fn a_resume_below_a_fold_whose_reply_was_lost_gets_a_resync_not_internal() {
    let mut h = Harness::with(cfg(Arc::new(SumMerger)));
    let room = RoomId::new("r");
    let w = h.connect(1);
    let epoch = joined(&h.join(w, "r", "sum", None)).epoch;
    for seq in 1..=16 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    let first = h.storage.snapshot(&room).expect("folded").offset;
    // More deltas leave memory; storage folds them and deletes the entries, but the
    // hub only hears that the fold failed.
    h.hold_storage = true;
    for seq in 17..=24 {
        h.delta(w, "r", 1, seq, sum(seq));
    }
    while h.hub.pending_storage_ops() > 1 {
        let appended = h.storage.release_next().expect("an append");
        h.hub.handle_storage(h.now, appended);
        h.settle();
    }
    let fold = h.storage.release_next().expect("the fold");
    let lost = fold.into_failure(StorageError("reply lost".into()));
    let newer = h.storage.snapshot(&room).expect("still there").offset;
    assert!(newer > first, "storage folded on: {first} -> {newer}");
    h.hub.handle_storage(h.now, lost);
    h.hold_storage = false;
    h.settle();
    assert_eq!(h.closed.get(&w), Some(&CloseCode::INTERNAL_ERROR));
    // A member resumes from the old snapshot's end: those entries are gone now.
    let a = h.connect(2);
    let position = Position {
        epoch,
        offset: first,
    };
    let frames = h.join(a, "r", "sum", Some(position));
    assert_eq!(h.closed.get(&a), None, "served, not refused");
    let j = joined(&frames);
    assert!(j.resync, "a resync from the snapshot storage holds: {j:?}");
    assert_eq!(total(&frames), (1..=24).sum::<u64>());
}
