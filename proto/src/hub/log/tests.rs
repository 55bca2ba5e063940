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
