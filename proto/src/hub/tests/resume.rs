//! Resume: a rejoin with (epoch, offset) gets exactly the missing entries, from memory
//! or from storage, or a snapshot plus tail with `resync` when the gap cannot be filled.

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

fn pos(epoch: u64, offset: u64) -> Option<Position> {
    Some(Position { epoch, offset })
}

/// One writer appends `n` deltas to "r"; returns the room epoch.
fn fill(h: &mut Harness, n: u64) -> u64 {
    let w = h.connect(100);
    let epoch = joined(&h.join(w, "r", "sum", None)).epoch;
    for seq in 1..=n {
        h.delta(w, "r", 100, seq, sum(seq));
    }
    h.send(
        w,
        Frame::Leave(Leave {
            room: RoomId::new("r"),
        }),
    );
    epoch
}

#[test]
fn resume_from_memory_gets_exactly_the_missing_entries() {
    let mut h = Harness::new();
    let epoch = fill(&mut h, 5);
    let a = h.connect(1);
    let frames = h.join(a, "r", "sum", pos(epoch, 3));
    let j = joined(&frames);
    assert_eq!(
        (j.start, j.head, j.resync, j.snapshot.is_none()),
        (3, 5, false, true)
    );
    assert_eq!(deltas(&frames), vec![(3, 100, 4), (4, 100, 5)]);
    let a2 = h.connect(2);
    let frames = h.join(a2, "r", "sum", pos(epoch, 5));
    assert_eq!((joined(&frames).start, deltas(&frames).len()), (5, 0));
}

#[test]
fn resume_older_than_memory_is_served_from_storage_in_batches() {
    let cfg = HubConfig {
        max_tail_entries: 4,
        batch_max_entries: 3,
        ..config()
    };
    let mut h = Harness::with(cfg);
    let epoch = fill(&mut h, 20);
    assert!(h.hub.room_tail_len(&RoomId::new("r")).unwrap() <= 4);
    let a = h.connect(1);
    let frames = h.join(a, "r", "sum", pos(epoch, 2));
    let j = joined(&frames);
    assert_eq!((j.start, j.head, j.resync), (2, 20, false));
    let got: Vec<u64> = deltas(&frames).iter().map(|d| d.0).collect();
    assert_eq!(got, (2..20).collect::<Vec<_>>());
    assert!(frames.iter().all(|f| match f {
        Frame::DeltaBatch(b) => b.entries.len() <= 3,
        _ => true,
    }));
}

#[test]
fn a_different_epoch_or_a_future_offset_resyncs() {
    let mut h = Harness::new();
    let epoch = fill(&mut h, 3);
    for resume in [pos(epoch.wrapping_add(1), 1), pos(epoch, 4)] {
        let a = h.connect(1);
        let frames = h.join(a, "r", "sum", resume);
        let j = joined(&frames);
        assert_eq!(
            (j.start, j.head, j.resync, j.snapshot.clone()),
            (0, 3, true, None)
        );
        assert_eq!(deltas(&frames).len(), 3);
        h.hub.handle_session_closed(h.now, a);
    }
}

#[test]
fn lost_history_means_a_new_epoch_and_a_resync() {
    let mut h = Harness::new();
    let epoch = fill(&mut h, 3);
    h.advance(std::time::Duration::from_secs(120)); // unload
    assert_eq!(h.hub.room_count(), 0);
    h.storage.forget(&RoomId::new("r"));
    let a = h.connect(1);
    let frames = h.join(a, "r", "sum", pos(epoch, 3));
    let j = joined(&frames);
    assert_ne!(j.epoch, epoch);
    assert_ne!(j.epoch, 0);
    assert_eq!((j.resync, j.start, j.head), (true, 0, 0));
}

#[test]
fn a_resume_into_the_compacted_prefix_gets_the_snapshot() {
    let cfg = HubConfig {
        max_tail_entries: 4,
        merger: std::sync::Arc::new(SumMerger),
        ..config()
    };
    let mut h = Harness::with(cfg);
    let epoch = fill(&mut h, 10);
    let snap = h
        .storage
        .snapshot(&RoomId::new("r"))
        .expect("compacted")
        .clone();
    let a = h.connect(1);
    let frames = h.join(a, "r", "sum", pos(epoch, 1));
    let j = joined(&frames);
    assert_eq!((j.resync, j.start, j.head), (true, snap.offset, 10));
    assert_eq!(j.snapshot.as_ref(), Some(&snap.state));
    let got: Vec<u64> = deltas(&frames).iter().map(|d| d.0).collect();
    assert_eq!(got, (snap.offset..10).collect::<Vec<_>>());
}

#[test]
fn live_deltas_during_a_storage_catch_up_follow_it_in_order() {
    let cfg = HubConfig {
        max_tail_entries: 4,
        batch_max_entries: 3,
        ..config()
    };
    let mut h = Harness::with(cfg);
    fill(&mut h, 10);
    let w = h.connect(7);
    h.join(w, "r", "sum", None);
    let a = h.connect(1);
    h.hold_storage = true;
    h.send(a, join("r", "sum", None));
    h.delta(w, "r", 7, 1, sum(1));
    h.delta(w, "r", 7, 2, sum(2));
    h.release_storage();
    let got: Vec<u64> = deltas(&h.take(a)).iter().map(|d| d.0).collect();
    assert_eq!(got, (0..12).collect::<Vec<_>>());
}
