//! The room log on its own: batch reads at their bounds, the consistency check.

use bytes::Bytes;

use super::*;

fn entries(offsets: core::ops::Range<u64>, len: usize) -> Vec<StoredEntry> {
    offsets
        .map(|offset| StoredEntry {
            offset,
            replica: ReplicaId(1),
            seq: offset + 1,
            payload: Bytes::from(vec![0; len]),
        })
        .collect()
}

#[test]
fn a_read_stops_before_the_byte_bound_but_always_returns_one_entry() {
    let log = RoomLog::new(6, entries(0..6, 10), &[(ReplicaId(1), 6)]);
    let offsets = |v: Vec<StoredEntry>| v.iter().map(|e| e.offset).collect::<Vec<_>>();
    assert_eq!(offsets(log.read(1, 10, 20)), [1, 2], "20 bytes fit exactly");
    assert_eq!(
        offsets(log.read(1, 10, 25)),
        [1, 2],
        "a third would exceed 25"
    );
    assert_eq!(offsets(log.read(1, 10, 5)), [1], "one entry goes alone");
    assert_eq!(offsets(log.read(4, 1, 100)), [4], "the entry bound");
    assert!(log.read(6, 10, 100).is_empty(), "nothing past the head");
}

#[test]
fn check_reports_a_tail_that_does_not_end_at_the_head() {
    let seqs = [(ReplicaId(1), 3)];
    let good = RoomLog::new(3, entries(0..3, 1), &seqs);
    assert_eq!(good.check(), Ok(()));
    let mut bad = RoomLog::new(3, entries(0..3, 1), &seqs);
    bad.durable_head = 5;
    assert!(bad.check().is_err());
    let mut gap = RoomLog::new(3, entries(0..3, 1), &seqs);
    gap.tail[1].offset = 7;
    assert!(gap.check().is_err());
}

#[test]
fn shared_verdicts_move_the_sequence_table_and_only_logged_entries_join_the_log() {
    let mut log = RoomLog::new(0, Vec::new(), &[]).into_shared();
    let r = ReplicaId(1);
    let p = Bytes::from_static(b"x");
    log.reserve_shared(OpId(1), r, 1, p.clone());
    log.reserve_shared(OpId(2), r, 2, p.clone());
    log.reserve_shared(OpId(3), r, 3, p.clone());
    assert_eq!(log.dedupe(r, 3), Dedupe::InFlight);
    assert!(log.replica_pending(r));
    // Seq 1 was stored through another node, seq 2 is logged at offset 1, and
    // seq 3 comes back a gap (the log misses something this node never saw).
    let dup = log.settle_shared(OpId(1), &[AppendOutcome::Duplicate { acked: 1 }]);
    assert_eq!(dup.map(|v| v.len()), Ok(1));
    assert_eq!(log.durable_seq(r), 1);
    assert_eq!(
        log.settle_shared(OpId(2), &[AppendOutcome::Logged { offset: 1 }]),
        Ok(vec![])
    );
    assert_eq!(log.durable_head(), 0, "offset 0 has not arrived");
    assert!(log.has_hole());
    let gap = log.settle_shared(OpId(3), &[AppendOutcome::Gap { expected: 2 }]);
    assert_eq!(gap.map(|v| v.len()), Ok(1));
    assert_eq!(log.dedupe(r, 2), Dedupe::New, "the gap reopened seq 2");
    let other = StoredEntry {
        offset: 0,
        replica: ReplicaId(2),
        seq: 1,
        payload: p.clone(),
    };
    log.arrive(vec![other.clone(), other], 10);
    assert_eq!(log.durable_head(), 2);
    assert_eq!(log.durable_seq(r), 2);
    assert!(!log.replica_pending(r));
    assert_eq!(log.check(), Ok(()));
    assert!(
        log.settle_shared(OpId(9), &[AppendOutcome::Logged { offset: 5 }])
            .is_err(),
        "outcomes for an unknown append"
    );
}

#[test]
fn entries_waiting_above_a_hole_are_bounded() {
    let mut log = RoomLog::new(0, Vec::new(), &[]).into_shared();
    log.arrive(entries(5..50, 1), 10);
    assert_eq!(log.arrived_len(), 10);
    log.arrive(entries(0..5, 1), 10);
    assert_eq!(log.durable_head(), 15, "0..5 and the ten that waited");
    assert!(
        log.has_hole(),
        "15..50 were dropped: read them from storage"
    );
    log.arrive(entries(15..50, 1), 10);
    assert_eq!(log.durable_head(), 50);
    assert!(!log.has_hole());
}

#[test]
fn check_names_the_first_entry_above_the_durable_table() {
    let mut tail = entries(0..4, 1);
    tail[2].replica = ReplicaId(2);
    tail[2].seq = 9;
    tail[3].replica = ReplicaId(2);
    tail[3].seq = 10;
    let log = RoomLog::new(4, tail, &[(ReplicaId(1), 4), (ReplicaId(2), 9)]);
    assert_eq!(
        log.check(),
        Err("entry 3 seq above the durable table".into())
    );
}
